//! miniz_oxide: needs only `alloc`. Below 15 bits it limits itself to a 4 KiB window, and
//! below 12 bits to run-length matches, so a negotiated window is always honoured.

use alloc::boxed::Box;
use alloc::vec::Vec;

use miniz_oxide::deflate::core::{
    compress, CompressionStrategy, CompressorOxide, TDEFLFlush, TDEFLStatus,
};
use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

use super::{deflate_room, inflate_room, InflateFault, Inflated};

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
        let mut pos = 0;
        loop {
            let start = out.len();
            let room = deflate_room(input.len() - pos);
            out.resize(start + room, 0);
            let (status, read, written) = compress(
                &mut self.0,
                &input[pos..],
                &mut out[start..],
                TDEFLFlush::Sync,
            );
            pos += read;
            out.truncate(start + written);
            match status {
                TDEFLStatus::Okay | TDEFLStatus::Done => {}
                _ => return Err(()),
            }
            if pos == input.len() && written < room {
                return Ok(());
            }
        }
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
        let (mut pos, mut total) = (0, 0);
        loop {
            let start = out.len();
            let room = inflate_room(input.len() - pos, allowance - total);
            out.resize(start + room, 0);
            let result = inflate(&mut self.0, &input[pos..], &mut out[start..], MZFlush::None);
            let (read, written) = (result.bytes_consumed, result.bytes_written);
            out.truncate(start + written);
            pos += read;
            total += written;
            if total > allowance {
                return Err(InflateFault::TooLarge);
            }
            match result.status {
                Ok(MZStatus::StreamEnd) => {
                    return Ok(Inflated {
                        consumed: pos,
                        ended: true,
                    })
                }
                // `Buf` is no progress: the input ends inside a block.
                Ok(MZStatus::Ok) | Err(MZError::Buf) => {}
                _ => return Err(InflateFault::Invalid),
            }
            if (pos == input.len() && written < room) || (read == 0 && written == 0) {
                break;
            }
        }
        Ok(Inflated {
            consumed: pos,
            ended: false,
        })
    }

    pub(crate) fn reset(&mut self) {
        self.0.reset(DataFormat::Raw);
    }
}
