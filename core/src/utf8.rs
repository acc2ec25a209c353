//! Streaming UTF-8 validation for text messages that arrive in pieces.
//!
//! A text message may be split over many frames, and each frame's payload may arrive over many
//! reads; a code point can straddle any of those boundaries. [`Utf8Validator`] takes the pieces
//! in order ([`Utf8Validator::feed`]), keeps at most one unfinished code point as a few bytes of
//! state, and is asked once more when the message ends ([`Utf8Validator::finish`]).
//!
//! # Fail-fast
//!
//! RFC 6455 §8.1 lets an endpoint fail the connection as soon as it sees invalid UTF-8, and the
//! Autobahn test suite checks that it does so *early*. The validator reports an error at the
//! first byte after which the bytes fed so far can no longer be the beginning of valid UTF-8 —
//! not at the end of the code point, frame or message:
//!
//! - a byte that can never appear (`C0`, `C1`, `F5`–`FF`) or a continuation byte (`80`–`BF`)
//!   where a code point should start;
//! - a second byte that makes the sequence an overlong encoding (`E0 80`–`9F`, `F0 80`–`8F`),
//!   a UTF-16 surrogate (`ED A0`–`BF`) or a value above U+10FFFF (`F4 90`–`BF`);
//! - a lead byte followed by anything but the continuation bytes it announced.
//!
//! So feeding `[0xF4, 0x90]` or `[0xED, 0xA0]` fails at once, while `[0xE0]` or `[0xF0, 0x90]`
//! is only [`Utf8Status::Incomplete`]. A sequence still unfinished when the message ends is
//! reported by [`Utf8Validator::finish`]. Noncharacters such as U+FFFE and U+FFFF are valid
//! UTF-8 and are accepted.
//!
//! # Speed
//!
//! The validator is a deterministic automaton of nine states (start of a code point, failed,
//! and seven "inside a sequence" states that know which continuation bytes are still allowed).
//! Each state is stored as a bit offset. A 256-byte table sorts byte values into twelve
//! classes, and one 64-bit row per class packs the next state for every current state, so a
//! step is two loads that depend only on the byte and one shift of the row by the state
//! (352 bytes of tables in all). Bytes are run
//! through it in blocks of 64 with no exit test inside a block; only a block that ends failed is
//! walked again to find the failing byte. Runs of ASCII are skipped 32 bytes at a time while the
//! automaton is between code points. On 64 KiB texts this matches `core::str::from_utf8` on
//! ASCII and is about 1.5 to 2 times faster on mostly-ASCII and CJK text (see
//! `benches/benches/utf8.rs`); the unfinished code point carried between chunks is a single
//! byte of state. (One 64-bit entry per byte value, 2 KiB of table, saves the class lookup
//! and runs about a third faster on non-ASCII text on a desktop; on a microcontroller the
//! 1.7 KB weigh more.)
//!
//! ```
//! use sansws::utf8::{Utf8Status, Utf8Validator};
//!
//! let mut v = Utf8Validator::new();
//! let text = "añ€😀".as_bytes();
//! v.feed(&text[..4])?; // 'a', 'ñ', then the first byte of '€'
//! assert_eq!(v.status(), Utf8Status::Incomplete);
//! v.feed(&text[4..])?;
//! v.finish()?;
//!
//! let mut v = Utf8Validator::new();
//! let err = v.feed(b"ok\xED\xA0\x80").unwrap_err(); // a UTF-16 surrogate
//! assert_eq!(err.position(), 3); // the first byte no valid UTF-8 can continue with
//! # Ok::<(), sansws::utf8::Utf8Error>(())
//! ```

use core::fmt;

use crate::error::ProtocolError;

/// Where a [`Utf8Validator`] stands after the bytes fed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Utf8Status {
    /// Everything fed so far is valid UTF-8 and ends on a code point boundary: the message may
    /// end here.
    Valid,
    /// Everything fed so far is the beginning of valid UTF-8, but the last code point is
    /// unfinished: the message needs more bytes before it may end.
    Incomplete,
    /// The bytes fed so far cannot begin valid UTF-8, whatever follows.
    Invalid,
}

/// Text that is not valid UTF-8.
///
/// Converts into [`ProtocolError::InvalidUtf8`], which fails the connection with close code
/// 1007.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Utf8Error {
    position: u64,
    truncated: bool,
}

impl Utf8Error {
    /// The offset, counted from the start of the message, of the byte at which validation
    /// failed: the first byte after which no valid UTF-8 could follow. For a message that
    /// ended inside a code point ([`Utf8Error::is_truncated`]) it is the message's length.
    pub const fn position(&self) -> u64 {
        self.position
    }

    /// Whether the message ended inside a code point (reported by
    /// [`Utf8Validator::finish`]) rather than containing a byte that cannot be UTF-8.
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.truncated {
            write!(
                f,
                "text ends inside a UTF-8 sequence (after {} bytes)",
                self.position
            )
        } else {
            write!(f, "invalid UTF-8 at byte {} of the text", self.position)
        }
    }
}

impl core::error::Error for Utf8Error {}

impl From<Utf8Error> for ProtocolError {
    fn from(_: Utf8Error) -> Self {
        ProtocolError::InvalidUtf8
    }
}

/// A streaming UTF-8 validator for one text message at a time.
///
/// Feed the message's bytes in order, split anywhere, with [`feed`](Self::feed); call
/// [`finish`](Self::finish) when the message ends; [`reset`](Self::reset) before the next one.
/// Errors are reported as early as possible (see the [module docs](self)); once an error has
/// been reported the validator stays failed and reports the same error until it is reset.
///
/// The state is a byte counter and the few bytes describing an unfinished code point; it
/// never allocates and is `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Utf8Validator {
    /// Bytes fed so far; once failed, the position of the error.
    offset: u64,
    /// The automaton's state (one of the `state` constants).
    state: u8,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub const fn new() -> Self {
        Utf8Validator {
            offset: 0,
            state: state::ACCEPT,
        }
    }

    /// Validates the next piece of the message.
    ///
    /// Returns an error as soon as the bytes fed so far cannot begin valid UTF-8; its
    /// [`position`](Utf8Error::position) is the offending byte's offset in the message. A
    /// piece that ends inside a code point is not an error: the unfinished code point is kept
    /// and must be completed by the next piece.
    #[inline]
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Utf8Error> {
        // A short piece of plain ASCII between code points (most small text messages) needs
        // no automaton: a few word loads decide, with no call.
        if self.state == state::ACCEPT && chunk.len() <= BLOCK && is_short_ascii(chunk) {
            self.advance(chunk.len());
            return Ok(());
        }
        self.run(chunk)
    }

    /// [`Utf8Validator::feed`] through the automaton.
    fn run(&mut self, chunk: &[u8]) -> Result<(), Utf8Error> {
        if self.state == state::FAIL {
            return Err(self.error());
        }
        // Only the low 6 bits are the state: `step` shifts by them and leaves the other bits
        // as they fall, which saves a mask per byte.
        let mut st = u64::from(self.state);
        let mut i = 0;
        while i < chunk.len() {
            if st & STATE_MASK == u64::from(state::ACCEPT) {
                i += ascii_prefix_len(&chunk[i..]);
            }
            let end = chunk.len().min(i + BLOCK);
            let block = &chunk[i..end];
            let before = st;
            for &byte in block {
                st = step(st, byte);
            }
            if st & STATE_MASK == u64::from(state::FAIL) {
                // Failure is absorbing, so the block holds the failing byte: find it.
                let mut st = before;
                for (k, &byte) in block.iter().enumerate() {
                    st = step(st, byte);
                    if st & STATE_MASK == u64::from(state::FAIL) {
                        return Err(self.fail(i + k));
                    }
                }
            }
            i = end;
        }
        // The mask leaves a value below 64.
        self.state = (st & STATE_MASK) as u8;
        self.advance(chunk.len());
        Ok(())
    }

    /// Ends the message: succeeds if everything fed was valid UTF-8 ending on a code point
    /// boundary.
    ///
    /// A message that ends inside a code point gives an error whose
    /// [`is_truncated`](Utf8Error::is_truncated) is true. The validator is left as it was;
    /// call [`reset`](Self::reset) before the next message.
    pub fn finish(&self) -> Result<(), Utf8Error> {
        match self.status() {
            Utf8Status::Valid => Ok(()),
            Utf8Status::Incomplete => Err(Utf8Error {
                position: self.offset,
                truncated: true,
            }),
            Utf8Status::Invalid => Err(self.error()),
        }
    }

    /// Where the validator stands after the bytes fed so far.
    pub const fn status(&self) -> Utf8Status {
        match self.state {
            state::ACCEPT => Utf8Status::Valid,
            state::FAIL => Utf8Status::Invalid,
            _ => Utf8Status::Incomplete,
        }
    }

    /// Whether the bytes fed so far end inside a code point (and are otherwise valid).
    pub const fn is_incomplete(&self) -> bool {
        matches!(self.status(), Utf8Status::Incomplete)
    }

    /// Whether an error has been reported since the last reset.
    pub const fn is_failed(&self) -> bool {
        self.state == state::FAIL
    }

    /// The number of bytes fed since the last reset (up to the error, once failed).
    pub const fn bytes_fed(&self) -> u64 {
        self.offset
    }

    /// Returns to the start of a message, forgetting any pending code point or error.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    fn advance(&mut self, len: usize) {
        // `usize` fits in `u64` on every supported target.
        self.offset += len as u64;
    }

    fn fail(&mut self, index: usize) -> Utf8Error {
        self.advance(index);
        self.state = state::FAIL;
        self.error()
    }

    const fn error(&self) -> Utf8Error {
        Utf8Error {
            position: self.offset,
            truncated: false,
        }
    }
}

/// Bytes run through the automaton between two checks for failure.
const BLOCK: usize = 64;

/// The automaton's states, each stored as the bit offset of its 6-bit field in a [`ROW`]
/// entry (so every value is below 64 and a multiple of 6).
mod state {
    /// Between code points: the message may end here.
    pub(super) const ACCEPT: u8 = 0;
    /// Failed; absorbing.
    pub(super) const FAIL: u8 = 6;
    /// One, two or three continuation bytes (`80`–`BF`) still to come.
    pub(super) const CONT1: u8 = 12;
    pub(super) const CONT2: u8 = 18;
    pub(super) const CONT3: u8 = 24;
    /// After `E0`: the next byte must be `A0`–`BF` (shorter forms are overlong).
    pub(super) const AFTER_E0: u8 = 30;
    /// After `ED`: the next byte must be `80`–`9F` (higher ones encode surrogates).
    pub(super) const AFTER_ED: u8 = 36;
    /// After `F0`: the next byte must be `90`–`BF` (lower ones are overlong).
    pub(super) const AFTER_F0: u8 = 42;
    /// After `F4`: the next byte must be `80`–`8F` (higher ones pass U+10FFFF).
    pub(super) const AFTER_F4: u8 = 48;
}

/// Selects the state bits of a value produced by [`step`].
const STATE_MASK: u64 = 63;

/// The byte classes: bytes that every state treats alike share a class.
mod class {
    /// `00`–`7F`.
    pub(super) const ASCII: u8 = 0;
    /// Continuation bytes, split where some state's allowed range ends: `80`–`8F`,
    /// `90`–`9F`, `A0`–`BF`.
    pub(super) const CONT_80: u8 = 1;
    pub(super) const CONT_90: u8 = 2;
    pub(super) const CONT_A0: u8 = 3;
    /// Bytes that never appear: `C0`, `C1`, `F5`–`FF`.
    pub(super) const NEVER: u8 = 4;
    /// Lead bytes of two-byte sequences, `C2`–`DF`.
    pub(super) const LEAD2: u8 = 5;
    /// `E0`, then the other three-byte leads but `ED`, then `ED`.
    pub(super) const E0: u8 = 6;
    pub(super) const LEAD3: u8 = 7;
    pub(super) const ED: u8 = 8;
    /// `F0`, then `F1`–`F3`, then `F4`.
    pub(super) const F0: u8 = 9;
    pub(super) const LEAD4: u8 = 10;
    pub(super) const F4: u8 = 11;
    /// The number of classes.
    pub(super) const COUNT: usize = 12;
}

/// The class of each byte value.
static CLASS: [u8; 256] = build_classes();

/// `ROW[c] >> s & 63` is the state that follows state `s` on a byte of class `c`.
static ROW: [u64; class::COUNT] = build_rows();

/// One transition. `st`'s bits above the low six are ignored (the shift amount wraps).
///
/// Both loads depend only on the byte, so the state's dependency chain is one shift per
/// byte, as it would be with one 64-bit entry per byte value (a 2 KiB table) rather than
/// these 352 bytes.
#[inline(always)]
fn step(st: u64, byte: u8) -> u64 {
    // No bounds check is left here: the compiler sees every class is below `class::COUNT`.
    ROW[usize::from(CLASS[usize::from(byte)])].wrapping_shr(st as u32)
}

const fn build_classes() -> [u8; 256] {
    use class::*;
    let mut classes = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        classes[i] = match i as u8 {
            0x00..=0x7F => ASCII,
            0x80..=0x8F => CONT_80,
            0x90..=0x9F => CONT_90,
            0xA0..=0xBF => CONT_A0,
            0xC2..=0xDF => LEAD2,
            0xE0 => E0,
            0xED => ED,
            0xE1..=0xEC | 0xEE..=0xEF => LEAD3,
            0xF0 => F0,
            0xF1..=0xF3 => LEAD4,
            0xF4 => F4,
            _ => NEVER,
        };
        i += 1;
    }
    classes
}

const fn build_rows() -> [u64; class::COUNT] {
    use state::*;
    let mut rows = [0u64; class::COUNT];
    let mut c = 0;
    while c < class::COUNT {
        let class = c as u8;
        let from_accept = match class {
            class::ASCII => ACCEPT,
            class::LEAD2 => CONT1,
            class::E0 => AFTER_E0,
            class::ED => AFTER_ED,
            class::LEAD3 => CONT2,
            class::F0 => AFTER_F0,
            class::LEAD4 => CONT3,
            class::F4 => AFTER_F4,
            _ => FAIL,
        };
        let any = matches!(class, class::CONT_80 | class::CONT_90 | class::CONT_A0);
        let next = [
            (ACCEPT, from_accept),
            (FAIL, FAIL),
            (CONT1, cont(any, ACCEPT)),
            (CONT2, cont(any, CONT1)),
            (CONT3, cont(any, CONT2)),
            (AFTER_E0, cont(class == class::CONT_A0, CONT1)),
            (
                AFTER_ED,
                cont(matches!(class, class::CONT_80 | class::CONT_90), CONT1),
            ),
            (
                AFTER_F0,
                cont(matches!(class, class::CONT_90 | class::CONT_A0), CONT2),
            ),
            (AFTER_F4, cont(class == class::CONT_80, CONT2)),
        ];
        let mut row = 0u64;
        let mut k = 0;
        while k < next.len() {
            row |= (next[k].1 as u64) << next[k].0;
            k += 1;
        }
        rows[c] = row;
        c += 1;
    }
    rows
}

/// `next` if the byte was an allowed continuation, else [`state::FAIL`].
const fn cont(ok: bool, next: u8) -> u8 {
    if ok {
        next
    } else {
        state::FAIL
    }
}

/// Whether `bytes` (at most a block or so) is all ASCII, a word at a time; the last word
/// overlaps the one before instead of leaving a byte-by-byte tail.
#[inline]
fn is_short_ascii(bytes: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let half = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&bytes[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    let len = bytes.len();
    let any = match len {
        0..=3 => bytes.iter().fold(0, |any, &b| any | u64::from(b)),
        4..=7 => half(0) | half(len - 4),
        _ => {
            let mut any = word(len - 8);
            let mut at = 0;
            while at + 8 < len {
                any |= word(at);
                at += 8;
            }
            any
        }
    };
    any & HIGH_BITS == 0
}

/// The length of `bytes`' leading ASCII, counted in whole 32-byte blocks (a shorter or mixed
/// remainder is left to the automaton).
#[inline]
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut len = 0;
    for block in bytes.chunks_exact(32) {
        let mut any = 0u64;
        for word in block.chunks_exact(8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            any |= u64::from_le_bytes(w);
        }
        if any & HIGH_BITS != 0 {
            break;
        }
        len += 32;
    }
    // The tail word by word, then byte by byte: short messages are ASCII-checked too.
    for word in bytes[len..].chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        if u64::from_le_bytes(w) & HIGH_BITS != 0 {
            break;
        }
        len += 8;
    }
    len + bytes[len..].iter().take_while(|b| b.is_ascii()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` one byte at a time; the index at which it failed, if it did.
    fn bytewise(input: &[u8]) -> (Option<usize>, Utf8Validator) {
        let mut v = Utf8Validator::new();
        for (i, b) in input.iter().enumerate() {
            if let Err(e) = v.feed(core::slice::from_ref(b)) {
                assert_eq!(e.position(), i as u64);
                return (Some(i), v);
            }
        }
        (None, v)
    }

    #[test]
    fn fail_fast_examples() {
        let cases: &[(&[u8], Option<usize>, Utf8Status)] = &[
            (b"", None, Utf8Status::Valid),
            (b"abc", None, Utf8Status::Valid),
            (&[0xE0], None, Utf8Status::Incomplete),
            (&[0xF0, 0x90], None, Utf8Status::Incomplete),
            (&[0xF4, 0x8F, 0xBF], None, Utf8Status::Incomplete),
            (&[0xF4, 0x90], Some(1), Utf8Status::Invalid),
            (&[0xED, 0xA0], Some(1), Utf8Status::Invalid),
            (&[0xE0, 0x9F], Some(1), Utf8Status::Invalid),
            (&[0xF0, 0x8F], Some(1), Utf8Status::Invalid),
            (&[0xC0], Some(0), Utf8Status::Invalid),
            (&[0xC1], Some(0), Utf8Status::Invalid),
            (&[0xF5], Some(0), Utf8Status::Invalid),
            (&[0xFF], Some(0), Utf8Status::Invalid),
            (&[0x80], Some(0), Utf8Status::Invalid),
            (b"a\xE2\x82", None, Utf8Status::Incomplete),
            (b"a\xE2\x82a", Some(3), Utf8Status::Invalid),
            (b"\xEF\xBF\xBF\xEF\xBF\xBE", None, Utf8Status::Valid),
        ];
        for &(input, fail_at, status) in cases {
            let (at, v) = bytewise(input);
            assert_eq!(at, fail_at, "{input:x?}");
            assert_eq!(v.status(), status, "{input:x?}");
            let mut whole = Utf8Validator::new();
            let res = whole.feed(input);
            assert_eq!(res.err().map(|e| e.position() as usize), fail_at);
            assert_eq!(whole.status(), status);
        }
    }

    #[test]
    fn short_ascii_check_sees_a_high_byte_anywhere() {
        let mut bytes = [b'a'; BLOCK + 1];
        for len in 0..=BLOCK + 1 {
            assert!(is_short_ascii(&bytes[..len]), "{len}");
            for at in 0..len {
                bytes[at] = 0x80;
                assert!(!is_short_ascii(&bytes[..len]), "{len} {at}");
                bytes[at] = b'a';
            }
        }
    }

    #[test]
    fn stays_failed_until_reset() {
        let mut v = Utf8Validator::new();
        v.feed(b"abc").unwrap();
        let err = v.feed(b"d\xFFe").unwrap_err();
        assert_eq!(err.position(), 4);
        assert!(!err.is_truncated());
        assert_eq!(v.feed(b"fine").unwrap_err(), err);
        assert_eq!(v.finish().unwrap_err(), err);
        assert!(v.is_failed());
        assert!(!v.is_incomplete());
        assert_eq!(ProtocolError::from(err), ProtocolError::InvalidUtf8);
        v.reset();
        assert_eq!(v, Utf8Validator::new());
        v.feed(b"fine").unwrap();
        assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn truncated_at_finish() {
        let mut v = Utf8Validator::new();
        v.feed(b"ab\xF0\x9F\x98").unwrap();
        assert!(v.is_incomplete());
        let err = v.finish().unwrap_err();
        assert!(err.is_truncated());
        assert_eq!(err.position(), 5);
        // `finish` leaves the validator as it was.
        v.feed(b"\x80").unwrap();
        assert_eq!(v.finish(), Ok(()));
        assert_eq!(v.bytes_fed(), 6);
    }

    /// Whether `input` could begin some valid UTF-8 string.
    fn is_valid_prefix(input: &[u8]) -> bool {
        match core::str::from_utf8(input) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        }
    }

    /// All 1- and 2-byte inputs, and 3-byte inputs whose first byte starts a 3- or 4-byte
    /// sequence (the others are covered by the shorter inputs), byte at a time.
    #[test]
    fn exhaustive_short_inputs() {
        let check = |input: &[u8]| {
            let expected_fail = (0..input.len()).find(|&k| !is_valid_prefix(&input[..=k]));
            let (at, v) = bytewise(input);
            assert_eq!(at, expected_fail, "{input:x?}");
            let complete = core::str::from_utf8(input).is_ok();
            assert_eq!(v.finish().is_ok(), complete, "{input:x?}");
            let mut whole = Utf8Validator::new();
            let res = whole.feed(input).and_then(|()| whole.finish());
            assert_eq!(res.is_ok(), complete, "{input:x?}");
        };
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        for a in 0xE0..=0xF4u8 {
            for b in 0..=255u8 {
                for c in 0..=255u8 {
                    check(&[a, b, c]);
                }
            }
        }
    }
}
