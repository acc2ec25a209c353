//! The streaming UTF-8 validator against `core::str::from_utf8`: the categories of Markus
//! Kuhn's UTF-8 decoder stress test, Autobahn's case 6.x inputs and pseudo-random text, each fed
//! whole, split at every point, split at every pair of points and byte by byte.
//!
//! The reference for fail-fast is computed from scratch: an input must be rejected at the
//! smallest `k` such that `input[..=k]` begins no valid UTF-8 string.

use sansws::utf8::{Utf8Status, Utf8Validator};

/// What the validator must report for a whole message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Valid,
    /// Rejected by `feed` at this byte offset.
    InvalidAt(u64),
    /// Every byte accepted, but the message ends inside a code point.
    Truncated,
}

/// Whether `input` could begin some valid UTF-8 string.
fn is_valid_prefix(input: &[u8]) -> bool {
    match core::str::from_utf8(input) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

fn reference(input: &[u8]) -> Outcome {
    // Every prefix up to `valid_up_to` is valid; search on from there.
    let from = core::str::from_utf8(input).map_or_else(|e| e.valid_up_to(), |_| input.len());
    if let Some(k) = (from..input.len()).find(|&k| !is_valid_prefix(&input[..=k])) {
        Outcome::InvalidAt(k as u64)
    } else if core::str::from_utf8(input).is_ok() {
        Outcome::Valid
    } else {
        Outcome::Truncated
    }
}

/// Feeds `input` cut at `cuts` (ascending offsets), checking the status after every piece.
fn run(input: &[u8], cuts: &[usize]) -> Outcome {
    let mut v = Utf8Validator::new();
    let mut start = 0;
    for end in cuts.iter().copied().chain([input.len()]) {
        let piece = &input[start..end];
        match v.feed(piece) {
            Ok(()) => {
                let fed = &input[..end];
                let expected = if core::str::from_utf8(fed).is_ok() {
                    Utf8Status::Valid
                } else {
                    assert!(is_valid_prefix(fed), "accepted {fed:x?}");
                    Utf8Status::Incomplete
                };
                assert_eq!(v.status(), expected, "{fed:x?}");
                assert_eq!(v.is_incomplete(), expected == Utf8Status::Incomplete);
                assert_eq!(v.bytes_fed(), end as u64);
            }
            Err(e) => {
                assert!(!e.is_truncated());
                assert_eq!(v.status(), Utf8Status::Invalid);
                // The validator stays failed with the same error.
                assert_eq!(v.feed(b"a"), Err(e));
                assert_eq!(v.finish(), Err(e));
                let at = e.position();
                assert!(
                    (start as u64..end as u64).contains(&at),
                    "{input:x?} {cuts:?}"
                );
                return Outcome::InvalidAt(at);
            }
        }
        start = end;
    }
    match v.finish() {
        Ok(()) => Outcome::Valid,
        Err(e) => {
            assert!(e.is_truncated());
            assert_eq!(e.position(), input.len() as u64);
            Outcome::Truncated
        }
    }
}

/// Checks `input` whole, at every split, at every pair of splits and byte by byte.
fn check(input: &[u8]) {
    let expected = reference(input);
    assert_eq!(run(input, &[]), expected, "whole {input:x?}");
    let bytewise: Vec<usize> = (1..input.len()).collect();
    assert_eq!(run(input, &bytewise), expected, "bytewise {input:x?}");
    for i in 0..=input.len() {
        assert_eq!(run(input, &[i]), expected, "split {i} {input:x?}");
        for j in i..=input.len() {
            assert_eq!(run(input, &[i, j]), expected, "split {i},{j} {input:x?}");
        }
    }
}

/// Checks `input`, and `input` with ASCII text around it.
fn check_in_context(input: &[u8]) {
    check(input);
    let mut wrapped = b"ab".to_vec();
    wrapped.extend_from_slice(input);
    wrapped.extend_from_slice(b"yz");
    check(&wrapped);
}

fn utf8(c: char) -> Vec<u8> {
    c.to_string().into_bytes()
}

#[test]
fn kuhn_correct_text_and_boundaries() {
    check_in_context("κόσμε".as_bytes());
    // First, last and around-the-edge code points of each length, and U+FFFD.
    for c in [
        '\u{0}',
        '\u{7F}',
        '\u{80}',
        '\u{7FF}',
        '\u{800}',
        '\u{D7FF}',
        '\u{E000}',
        '\u{FFFD}',
        '\u{FFFF}',
        '\u{10000}',
        '\u{10FFFF}',
    ] {
        check_in_context(&utf8(c));
    }
    // U+110000 and U+13FFFF would-be encodings, and 5- and 6-byte forms of old UTF-8.
    for bytes in [
        &[0xF4, 0x90, 0x80, 0x80][..],
        &[0xF7, 0xBF, 0xBF, 0xBF],
        &[0xF8, 0x88, 0x80, 0x80, 0x80],
        &[0xFB, 0xBF, 0xBF, 0xBF, 0xBF],
        &[0xFC, 0x84, 0x80, 0x80, 0x80, 0x80],
        &[0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF],
    ] {
        check_in_context(bytes);
    }
}

#[test]
fn kuhn_malformed_sequences() {
    // Unexpected continuation bytes, alone and in runs.
    for n in 1..=8 {
        let run: Vec<u8> = (0x80..=0xBFu8).take(n).collect();
        check_in_context(&run);
    }
    let all_continuations: Vec<u8> = (0x80..=0xBF).collect();
    check(&all_continuations);
    // Lonely start bytes, each followed by a space.
    for lead in 0xC0..=0xFDu8 {
        check_in_context(&[lead, b' ']);
    }
    // Sequences with their last byte missing, alone and concatenated.
    let missing_last: [&[u8]; 10] = [
        &[0xC0],
        &[0xE0, 0x80],
        &[0xF0, 0x80, 0x80],
        &[0xF8, 0x80, 0x80, 0x80],
        &[0xFC, 0x80, 0x80, 0x80, 0x80],
        &[0xDF],
        &[0xEF, 0xBF],
        &[0xF7, 0xBF, 0xBF],
        &[0xFB, 0xBF, 0xBF, 0xBF],
        &[0xFD, 0xBF, 0xBF, 0xBF, 0xBF],
    ];
    for bytes in missing_last {
        check_in_context(bytes);
    }
    check(&missing_last.concat());
    // The same with valid leads: only a truncation at the very end.
    for c in [
        '\u{80}',
        '\u{7FF}',
        '\u{800}',
        '\u{FFFF}',
        '\u{10000}',
        '\u{10FFFF}',
    ] {
        let bytes = utf8(c);
        check(&bytes[..bytes.len() - 1]);
        check_in_context(&bytes[..bytes.len() - 1]);
    }
    // Impossible bytes.
    for bytes in [&[0xFE][..], &[0xFF], &[0xFE, 0xFE, 0xFF, 0xFF]] {
        check_in_context(bytes);
    }
}

#[test]
fn kuhn_overlong_encodings() {
    // '/' (U+002F) in 2 to 6 bytes.
    let slash: [&[u8]; 5] = [
        &[0xC0, 0xAF],
        &[0xE0, 0x80, 0xAF],
        &[0xF0, 0x80, 0x80, 0xAF],
        &[0xF8, 0x80, 0x80, 0x80, 0xAF],
        &[0xFC, 0x80, 0x80, 0x80, 0x80, 0xAF],
    ];
    // The largest code points that are still overlong in each length.
    let maximal: [&[u8]; 5] = [
        &[0xC1, 0xBF],
        &[0xE0, 0x9F, 0xBF],
        &[0xF0, 0x8F, 0xBF, 0xBF],
        &[0xF8, 0x87, 0xBF, 0xBF, 0xBF],
        &[0xFC, 0x83, 0xBF, 0xBF, 0xBF, 0xBF],
    ];
    // NUL in 2 to 6 bytes.
    let nul: [&[u8]; 5] = [
        &[0xC0, 0x80],
        &[0xE0, 0x80, 0x80],
        &[0xF0, 0x80, 0x80, 0x80],
        &[0xF8, 0x80, 0x80, 0x80, 0x80],
        &[0xFC, 0x80, 0x80, 0x80, 0x80, 0x80],
    ];
    for bytes in slash.iter().chain(&maximal).chain(&nul) {
        check_in_context(bytes);
    }
    // Overlongs fail at the byte that proves them overlong.
    assert_eq!(reference(&[0xC0, 0xAF]), Outcome::InvalidAt(0));
    assert_eq!(reference(&[0xE0, 0x80, 0xAF]), Outcome::InvalidAt(1));
    assert_eq!(reference(&[0xF0, 0x8F, 0xBF, 0xBF]), Outcome::InvalidAt(1));
}

#[test]
fn kuhn_surrogates_and_noncharacters() {
    // Single UTF-16 surrogates.
    for second in [0xA0, 0xAD, 0xAE, 0xAF, 0xB0, 0xBE, 0xBF] {
        for third in [0x80, 0xBF] {
            check_in_context(&[0xED, second, third]);
        }
    }
    // Paired surrogates.
    for pair in [
        [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80],
        [0xED, 0xA0, 0x80, 0xED, 0xBF, 0xBF],
        [0xED, 0xAD, 0xBF, 0xED, 0xB0, 0x80],
        [0xED, 0xAF, 0xBF, 0xED, 0xBF, 0xBF],
    ] {
        check_in_context(&pair);
    }
    // Noncharacters are valid UTF-8.
    for c in [
        '\u{FFFE}',
        '\u{FFFF}',
        '\u{FDD0}',
        '\u{FDEF}',
        '\u{1FFFE}',
        '\u{10FFFF}',
    ] {
        assert_eq!(reference(&utf8(c)), Outcome::Valid);
        check_in_context(&utf8(c));
    }
}

#[test]
fn autobahn_case_6() {
    let kosme = "κόσμε".as_bytes();
    // 6.1: empty; 6.2: valid text; 6.5: κόσμε; 6.6: κόσμε cut at every point.
    check(b"");
    check("Hello-µ@ßöäüàá-UTF-8!!".as_bytes());
    for end in 0..=kosme.len() {
        check(&kosme[..end]);
    }
    // 6.3 / 6.4: κόσμε, then a surrogate or a code point past U+10FFFF, then "edited"; the
    // connection must fail at the byte after the bad lead, not at the end of the message.
    for bad in [&[0xED, 0xA0, 0x80][..], &[0xF4, 0x90, 0x80, 0x80]] {
        let input = [kosme, bad, b"edited"].concat();
        assert_eq!(
            reference(&input),
            Outcome::InvalidAt(kosme.len() as u64 + 1)
        );
        check(&input);
    }
    // 6.7 to 6.11: first and last code points of each length, and the edges of the valid range.
    for c in [
        '\u{0}',
        '\u{80}',
        '\u{800}',
        '\u{10000}',
        '\u{7F}',
        '\u{7FF}',
        '\u{FFFF}',
    ] {
        check(&utf8(c));
    }
    for c in ['\u{D7FF}', '\u{E000}', '\u{FFFD}', '\u{10FFFF}'] {
        check(&utf8(c));
    }
    check(&[0xF4, 0x90, 0x80, 0x80]);
    // 6.23: the replacement character and a stretch of valid text around it.
    check("\u{FFFD}·\u{FFFD}".as_bytes());
}

#[test]
fn ascii_runs_around_bad_bytes() {
    // Long ASCII runs exercise the skip of 32-byte ASCII blocks; the bad or split byte lands
    // at every offset modulo the block sizes.
    for pad in 0..72 {
        let mut input = vec![b'x'; pad];
        input.extend_from_slice("€".as_bytes());
        input.extend(core::iter::repeat_n(b'y', 37));
        check(&input);
        let bad_at = input.len() - 5;
        input[bad_at] = 0x92;
        check(&input);
    }
}

/// A small deterministic generator (xorshift64*), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Text of mixed-length code points, with a few corrupted, dropped or inserted bytes.
fn random_text(rng: &mut Rng, chars: usize, corruptions: u64) -> Vec<u8> {
    let pool = [
        'a',
        '~',
        'é',
        'ß',
        'ж',
        '€',
        '中',
        '\u{FFFF}',
        '😀',
        '\u{10FFFF}',
    ];
    let mut bytes = Vec::new();
    for _ in 0..chars {
        let c = pool[rng.below(pool.len() as u64) as usize];
        bytes.extend_from_slice(&utf8(c));
    }
    for _ in 0..corruptions {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(3) {
            0 => bytes[at] = rng.next() as u8,
            1 => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, 0x80 | (rng.next() as u8 & 0x7F)),
        }
    }
    bytes
}

#[test]
fn random_short_texts_every_split() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..300 {
        let chars = rng.below(12) as usize;
        let text = random_text(&mut rng, chars, round % 3);
        check(&text);
    }
}

#[test]
fn random_long_texts_random_chunks() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for round in 0..200 {
        let text = random_text(&mut rng, 2000, round % 2);
        let expected = reference(&text);
        assert_eq!(run(&text, &[]), expected);
        for _ in 0..10 {
            let mut cuts = Vec::new();
            let mut at = 0;
            loop {
                at += 1 + rng.below(64) as usize;
                if at >= text.len() {
                    break;
                }
                cuts.push(at);
            }
            assert_eq!(run(&text, &cuts), expected);
        }
    }
}

#[test]
fn one_validator_for_many_messages() {
    let mut v = Utf8Validator::new();
    for message in [
        &b"first \xE2\x82\xAC"[..],
        b"bad \xC0\x80",
        b"",
        "ünïcödé".as_bytes(),
    ] {
        let fed_all = message.chunks(3).try_for_each(|chunk| v.feed(chunk));
        let result = fed_all.and_then(|()| v.finish());
        assert_eq!(result.is_ok(), core::str::from_utf8(message).is_ok());
        v.reset();
    }
}
