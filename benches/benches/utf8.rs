//! Throughput of the streaming UTF-8 validator (`sansws::utf8::Utf8Validator`) against
//! `core::str::from_utf8` on 64 KiB of ASCII, mixed (mostly ASCII) and CJK text.
//!
//! The validator is measured with the whole message in one `feed` and in 4 KiB chunks (the
//! chunk boundaries fall inside code points of the mixed and CJK texts). Run with
//! `cargo bench -p sansws-benches --bench utf8`.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use core::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sansws::utf8::Utf8Validator;

const LEN: usize = 64 * 1024;
const CHUNK: usize = 4 * 1024;

/// Repeats code points drawn by `pick` from a fixed-seed generator until `LEN` bytes are
/// filled, then trims whole code points and pads with spaces to exactly `LEN` valid bytes.
fn generate(pick: impl Fn(u32) -> char) -> Vec<u8> {
    let mut state = 0x2545_F491_u32;
    let mut text = String::with_capacity(LEN + 4);
    while text.len() < LEN {
        // A 32-bit xorshift: deterministic and cheap.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        text.push(pick(state));
    }
    while text.len() > LEN {
        text.pop();
    }
    while text.len() < LEN {
        text.push(' ');
    }
    text.into_bytes()
}

fn ascii() -> Vec<u8> {
    generate(|r| char::from(b' ' + (r % 95) as u8))
}

/// About 80% ASCII by code point, the rest Latin-1, Cyrillic and a few CJK and symbols.
fn mixed() -> Vec<u8> {
    const OTHER: [char; 8] = ['é', 'ü', 'ß', 'ж', 'я', '€', '中', '→'];
    generate(|r| match r % 100 {
        0..80 => char::from(b'a' + (r / 100 % 26) as u8),
        _ => OTHER[(r / 100 % 8) as usize],
    })
}

/// CJK ideographs (3 bytes each) with an occasional ASCII space or punctuation.
fn cjk() -> Vec<u8> {
    generate(|r| match r % 16 {
        0 => ' ',
        _ => char::from_u32(0x4E00 + r / 16 % 0x5000).unwrap_or('中'),
    })
}

fn bench_utf8(c: &mut Criterion) {
    let mut group = c.benchmark_group("utf8");
    for (name, text) in [("ascii", ascii()), ("mixed", mixed()), ("cjk", cjk())] {
        assert_eq!(text.len(), LEN);
        assert!(core::str::from_utf8(&text).is_ok());
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("from_utf8", name), &text, |b, text| {
            b.iter(|| core::str::from_utf8(black_box(text)).is_ok());
        });
        group.bench_with_input(
            BenchmarkId::new("validator_whole", name),
            &text,
            |b, text| {
                b.iter(|| {
                    let mut v = Utf8Validator::new();
                    v.feed(black_box(text)).and_then(|()| v.finish()).is_ok()
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("validator_4k", name), &text, |b, text| {
            b.iter(|| {
                let mut v = Utf8Validator::new();
                black_box(text)
                    .chunks(CHUNK)
                    .try_for_each(|chunk| v.feed(chunk))
                    .and_then(|()| v.finish())
                    .is_ok()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_utf8);
criterion_main!(benches);
