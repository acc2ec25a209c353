//! zlib-rs: every window size with real matches; memory scales with the window.

use alloc::boxed::Box;
use alloc::vec::Vec;

use zlib_rs::{
    Deflate, DeflateConfig, DeflateFlush, Inflate, InflateFlush, Method, Status, Strategy,
};

use super::{deflate_room, inflate_room, InflateFault, Inflated};

/// A raw DEFLATE compressor that sync-flushes every call. Boxed: an idle connection that
/// negotiated compression holds a pointer, not the stream state.
pub(crate) struct Compressor(Box<Deflate>);

impl core::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Compressor(zlib-rs)")
    }
}

impl Compressor {
    pub(crate) fn new(window_bits: u8, level: u8, mem_level: u8) -> Self {
        // zlib cannot make a raw stream with a 256-byte window. Huffman coding alone uses
        // no window at all, so it honours 8 bits exactly.
        let (window_bits, strategy) = match window_bits {
            8 => (9, Strategy::HuffmanOnly),
            bits => (bits, Strategy::Default),
        };
        Compressor(Box::new(Deflate::new_with_config(DeflateConfig {
            level: i32::from(level),
            method: Method::Deflated,
            window_bits: -i32::from(window_bits),
            mem_level: i32::from(mem_level),
            strategy,
        })))
    }

    /// Compresses all of `input` and sync-flushes, appending to `out`.
    pub(crate) fn compress_sync(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
        let mut pos = 0;
        loop {
            let start = out.len();
            let room = deflate_room(input.len() - pos);
            out.resize(start + room, 0);
            let (in_before, out_before) = (self.0.total_in(), self.0.total_out());
            let result = self
                .0
                .compress(&input[pos..], &mut out[start..], DeflateFlush::SyncFlush);
            let written = (self.0.total_out() - out_before) as usize;
            pos += (self.0.total_in() - in_before) as usize;
            out.truncate(start + written);
            result.map_err(|_| ())?;
            // Output room to spare means the flush is complete.
            if pos == input.len() && written < room {
                return Ok(());
            }
        }
    }

    pub(crate) fn reset(&mut self) {
        self.0.reset();
    }
}

/// A raw DEFLATE decompressor (boxed, as the compressor).
pub(crate) struct Decompressor(Box<Inflate>);

impl core::fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Decompressor(zlib-rs)")
    }
}

impl Decompressor {
    pub(crate) fn new(window_bits: u8) -> Self {
        Decompressor(Box::new(Inflate::new(false, window_bits)))
    }

    /// Inflates `input`, appending at most `allowance` bytes to `out`.
    pub(crate) fn decompress(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        allowance: usize,
    ) -> Result<Inflated, InflateFault> {
        let (mut pos, mut total) = (0, 0);
        loop {
            let start = out.len();
            let room = inflate_room(input.len() - pos, allowance - total);
            out.resize(start + room, 0);
            let (in_before, out_before) = (self.0.total_in(), self.0.total_out());
            let result =
                self.0
                    .decompress(&input[pos..], &mut out[start..], InflateFlush::SyncFlush);
            let written = (self.0.total_out() - out_before) as usize;
            let read = (self.0.total_in() - in_before) as usize;
            out.truncate(start + written);
            pos += read;
            total += written;
            if total > allowance {
                return Err(InflateFault::TooLarge);
            }
            match result.map_err(|_| InflateFault::Invalid)? {
                Status::StreamEnd => {
                    return Ok(Inflated {
                        consumed: pos,
                        ended: true,
                    })
                }
                _ if pos == input.len() && written < room => break,
                // No progress: the input ends inside a block; more will come.
                _ if read == 0 && written == 0 => break,
                _ => {}
            }
        }
        Ok(Inflated {
            consumed: pos,
            ended: false,
        })
    }

    pub(crate) fn reset(&mut self) {
        self.0.reset(false);
    }
}
