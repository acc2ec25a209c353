//! miniz_oxide: needs only `alloc`. Below 15 bits it limits itself to a 4 KiB window, and
//! below 12 bits to run-length matches, so a negotiated window is always honoured.

use alloc::boxed::Box;
use alloc::vec::Vec;

use miniz_oxide::deflate::core::{
    compress, CompressionStrategy, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

use super::{compress_into, inflate_into, InflateFault, Inflated, Step};

/// A raw DEFLATE compressor that sync-flushes every call.
pub(crate) struct Compressor(Box<CompressorOxide>);

impl core::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Compressor(miniz_oxide)")
    }
}

impl Compressor {
    pub(crate) fn new(window_bits: u8, level: u8, _mem_level: u8) -> Self {
        Compressor(Box::new(CompressorOxide::with_params(
            DataFormat::Raw,
            level,
            CompressionStrategy::Default,
            window_bits,
        )))
    }

    /// Compresses all of `input` and sync-flushes, appending to `out`.
    pub(crate) fn compress_sync(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
        let compressor = &mut self.0;
        compress_into(input, out, |input, room| {
            let (status, read, written) = compress(compressor, input, room, TDEFLFlush::Sync);
            match status {
                TDEFLStatus::Okay | TDEFLStatus::Done => Ok(Step {
                    read,
                    written,
                    ended: false,
                }),
                _ => Err(()),
            }
        })
    }

    pub(crate) fn reset(&mut self) {
        self.0.reset();
    }
}

/// A raw DEFLATE decompressor.
pub(crate) struct Decompressor(Box<InflateState>);

impl core::fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Decompressor(miniz_oxide)")
    }
}

impl Decompressor {
    /// Its window is always 32 KiB, enough for any peer.
    pub(crate) fn new(_window_bits: u8) -> Self {
        Decompressor(InflateState::new_boxed(DataFormat::Raw))
    }

    /// Inflates `input`, appending at most `allowance` bytes to `out`.
    pub(crate) fn decompress(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        allowance: usize,
    ) -> Result<Inflated, InflateFault> {
        let state = &mut self.0;
        inflate_into(input, out, allowance, |input, room| {
            let result = inflate(state, input, room, MZFlush::None);
            let step = Step {
                read: result.bytes_consumed,
                written: result.bytes_written,
                ended: result.status == Ok(MZStatus::StreamEnd),
            };
            let status = match result.status {
                // `Buf` is no progress: the input ends inside a block.
                Ok(MZStatus::Ok | MZStatus::StreamEnd) | Err(MZError::Buf) => Ok(()),
                _ => Err(InflateFault::Invalid),
            };
            (step, status)
        })
    }

    pub(crate) fn reset(&mut self) {
        self.0.reset(DataFormat::Raw);
    }
}
