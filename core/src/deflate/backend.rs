//! The DEFLATE codec under the extension: zlib-rs with `std`, miniz_oxide without.
//!
//! Both backends offer the same two types. They append to a `Vec`, sizing each step from
//! what is left, and the decompressor never writes more than it is allowed: a
//! decompression bomb stops at the limit.

use alloc::vec::Vec;

#[cfg(not(feature = "std"))]
mod miniz;
#[cfg(feature = "std")]
mod zlib;

#[cfg(not(feature = "std"))]
pub(crate) use miniz::{Compressor, Decompressor};
#[cfg(feature = "std")]
pub(crate) use zlib::{Compressor, Decompressor};

// Both are compiled in tests with `std`, so the no-std backend is tested too.
#[cfg(all(test, feature = "std"))]
pub(crate) mod miniz;

/// Why inflating stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InflateFault {
    /// The data is not a valid DEFLATE stream.
    Invalid,
    /// The output would exceed the allowance.
    TooLarge,
}

/// What one call to `Decompressor::decompress` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Inflated {
    /// Input bytes used; less than given only when the stream ended (a block with BFINAL).
    pub(crate) consumed: usize,
    /// The stream ended.
    pub(crate) ended: bool,
}

/// What one backend call did: input bytes read, output bytes written, and whether the
/// DEFLATE stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) read: usize,
    pub(crate) written: usize,
    pub(crate) ended: bool,
}

/// Compresses all of `input` with sync flushes, appending to `out`: `step` runs the backend
/// on the input left and an output room, and the loop ends once a flush leaves room to spare.
pub(crate) fn compress_into(
    input: &[u8],
    out: &mut Vec<u8>,
    mut step: impl FnMut(&[u8], &mut [u8]) -> Result<Step, ()>,
) -> Result<(), ()> {
    let mut pos = 0;
    loop {
        let start = out.len();
        let room = deflate_room(input.len() - pos);
        out.resize(start + room, 0);
        let result = step(&input[pos..], &mut out[start..]);
        let done = *result.as_ref().unwrap_or(&Step {
            read: 0,
            written: 0,
            ended: false,
        });
        pos += done.read;
        out.truncate(start + done.written);
        result?;
        if pos == input.len() && done.written < room {
            return Ok(());
        }
    }
}

/// Inflates `input`, appending at most `allowance` bytes to `out`: `step` runs the backend
/// on the input left and an output room never more than one byte past the allowance.
pub(crate) fn inflate_into(
    input: &[u8],
    out: &mut Vec<u8>,
    allowance: usize,
    mut step: impl FnMut(&[u8], &mut [u8]) -> (Step, Result<(), InflateFault>),
) -> Result<Inflated, InflateFault> {
    let (mut pos, mut total) = (0, 0);
    loop {
        let start = out.len();
        let room = inflate_room(input.len() - pos, allowance - total);
        out.resize(start + room, 0);
        let (done, result) = step(&input[pos..], &mut out[start..]);
        out.truncate(start + done.written);
        pos += done.read;
        total += done.written;
        if total > allowance {
            return Err(InflateFault::TooLarge);
        }
        result?;
        let stalled = done.read == 0 && done.written == 0;
        if done.ended || (pos == input.len() && done.written < room) || stalled {
            // Stalled: the input ends inside a block; more will come.
            return Ok(Inflated {
                consumed: pos,
                ended: done.ended,
            });
        }
    }
}

/// A step's output room: four times the input left (at least 512 bytes, at most 1 MiB), but
/// never more than one byte past the allowance, so overflow is seen without writing further.
pub(crate) fn inflate_room(input_left: usize, allowance_left: usize) -> usize {
    input_left
        .saturating_mul(4)
        .clamp(512, 1 << 20)
        .min(allowance_left.saturating_add(1))
}

/// A compression step's output room.
pub(crate) fn deflate_room(input_left: usize) -> usize {
    (input_left / 2).clamp(64, 1 << 20)
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use alloc::vec::Vec;

    use super::{miniz, zlib, InflateFault, Inflated};

    /// Text with repeats near and far, as JSON traffic has.
    fn corpus() -> Vec<u8> {
        let mut text = Vec::new();
        for i in 0..400u32 {
            let line = alloc::format!(
                "{{\"id\":{i},\"user\":\"user{}\",\"tags\":[\"a{}\",\"b\"],\"score\":{}}}\n",
                i % 37,
                i % 11,
                i.wrapping_mul(2654435761) % 1000
            );
            text.extend_from_slice(line.as_bytes());
        }
        text
    }

    /// zlib-rs with exactly `window_bits`: it rejects any match reaching further back, so it
    /// proves a compressor honoured the window (RFC 7692 §7.1.2).
    fn strict_inflate(window_bits: u8, data: &[u8]) -> Vec<u8> {
        let mut inflate = zlib_rs::Inflate::new(false, window_bits);
        let mut out = alloc::vec![0; 1 << 20];
        inflate
            .decompress(data, &mut out, zlib_rs::InflateFlush::SyncFlush)
            .expect("within the window");
        out.truncate(inflate.total_out() as usize);
        out
    }

    macro_rules! both_backends {
        ($($name:ident: $body:block)*) => {
            mod zlib_backend {
                use super::*;
                use super::zlib::{Compressor, Decompressor};
                $(#[test] fn $name() $body)*
            }
            mod miniz_backend {
                use super::*;
                use super::miniz::{Compressor, Decompressor};
                $(#[test] fn $name() $body)*
            }
        }
    }

    both_backends! {
        every_window_is_honoured: {
            let corpus = corpus();
            for window_bits in 8..=15 {
                let mut c = Compressor::new(window_bits, 6, 8);
                let mut wire = Vec::new();
                // Several messages through one context: matches may reach into earlier ones.
                for chunk in corpus.chunks(3000) {
                    c.compress_sync(chunk, &mut wire).unwrap();
                }
                assert!(wire.ends_with(&[0, 0, 0xff, 0xff]));
                assert_eq!(strict_inflate(window_bits, &wire), corpus, "{window_bits} bits");
                if window_bits >= 9 {
                    assert!(wire.len() < corpus.len() / 2, "{window_bits}: {}", wire.len());
                }
            }
        }
        inflates_its_own_output_piece_by_piece: {
            let corpus = corpus();
            let mut c = Compressor::new(15, 6, 8);
            let mut wire = Vec::new();
            c.compress_sync(&corpus, &mut wire).unwrap();
            let mut d = Decompressor::new(15);
            let mut out = Vec::new();
            for piece in wire.chunks(7) {
                let done = d.decompress(piece, &mut out, usize::MAX).unwrap();
                assert_eq!(done, Inflated { consumed: piece.len(), ended: false });
            }
            assert_eq!(out, corpus);
        }
        rfc7692_hello: {
            // RFC 7692 §7.2.3.1, the payload with its tail restored.
            let mut d = Decompressor::new(15);
            let mut out = Vec::new();
            let data = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff];
            d.decompress(&data, &mut out, 100).unwrap();
            assert_eq!(out, b"Hello");
        }
        a_bomb_stops_at_the_allowance: {
            let mut c = Compressor::new(15, 9, 8);
            let mut wire = Vec::new();
            c.compress_sync(&alloc::vec![0; 8 << 20], &mut wire).unwrap();
            assert!(wire.len() < 64 << 10, "{}", wire.len());
            let mut d = Decompressor::new(15);
            let mut out = Vec::new();
            assert_eq!(d.decompress(&wire, &mut out, 100_000), Err(InflateFault::TooLarge));
            assert!(out.len() <= 100_001, "{}", out.len());
            assert!(out.capacity() < 200_000, "{}", out.capacity());
        }
        exactly_the_allowance_is_fine: {
            let mut c = Compressor::new(15, 6, 8);
            let mut wire = Vec::new();
            c.compress_sync(&[7; 5000], &mut wire).unwrap();
            let mut d = Decompressor::new(15);
            let mut out = Vec::new();
            d.decompress(&wire, &mut out, 5000).unwrap();
            assert_eq!(out, [7; 5000]);
        }
        garbage_is_invalid: {
            // BTYPE 11 is reserved (RFC 1951 §3.2.3).
            let mut d = Decompressor::new(15);
            assert_eq!(d.decompress(&[0xff, 0xff, 0xff], &mut Vec::new(), 100), Err(InflateFault::Invalid));
        }
        reset_forgets_the_window: {
            let mut c = Compressor::new(15, 6, 8);
            let mut first = Vec::new();
            c.compress_sync(b"Hello, Hello, Hello", &mut first).unwrap();
            c.reset();
            let mut second = Vec::new();
            c.compress_sync(b"Hello, Hello, Hello", &mut second).unwrap();
            assert_eq!(first, second);
            let mut d = Decompressor::new(15);
            let mut out = Vec::new();
            d.decompress(&first, &mut out, 100).unwrap();
            d.reset();
            d.decompress(&second, &mut out, 100).unwrap();
            assert_eq!(out, b"Hello, Hello, HelloHello, Hello, Hello");
        }
    }
}
