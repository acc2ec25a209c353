//! zlib-rs: every window size with real matches; memory scales with the window.

use alloc::boxed::Box;
use alloc::vec::Vec;

use zlib_rs::{
    Deflate, DeflateConfig, DeflateFlush, Inflate, InflateFlush, Method, Status, Strategy,
};

use super::{compress_into, inflate_into, InflateFault, Inflated, Step};

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
        let deflate = &mut self.0;
        compress_into(input, out, |input, room| {
            let (in_before, out_before) = (deflate.total_in(), deflate.total_out());
            let result = deflate.compress(input, room, DeflateFlush::SyncFlush);
            let step = Step {
                read: (deflate.total_in() - in_before) as usize,
                written: (deflate.total_out() - out_before) as usize,
                ended: false,
            };
            result.map(|_| step).map_err(|_| ())
        })
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
        let inflate = &mut self.0;
        inflate_into(input, out, allowance, |input, room| {
            let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
            let result = inflate.decompress(input, room, InflateFlush::SyncFlush);
            let step = Step {
                read: (inflate.total_in() - in_before) as usize,
                written: (inflate.total_out() - out_before) as usize,
                ended: result == Ok(Status::StreamEnd),
            };
            (step, result.map(|_| ()).map_err(|_| InflateFault::Invalid))
        })
    }

    pub(crate) fn reset(&mut self) {
        self.0.reset(false);
    }
}
