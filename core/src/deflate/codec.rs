//! Per-message compression (RFC 7692 §7.2): the sync-flush tail stripped after compressing
//! and restored before inflating, context kept or reset per the agreed parameters.

use alloc::vec::Vec;

use super::backend::{Compressor, Decompressor, InflateFault};
use super::config::DeflateConfig;
use super::params::{DeflateParams, Side};
use crate::conn::MessageKind;
use crate::error::ProtocolError;
use crate::role::Role;
use crate::utf8::Utf8Validator;

/// The empty stored block a sync flush ends with (§7.2.1), not sent on the wire.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The compressor and decompressor of one connection, each made when first needed.
#[derive(Debug)]
pub(crate) struct DeflateState {
    params: DeflateParams,
    own: Side,
    peer: Side,
    level: u8,
    mem_level: u8,
    min_compress_len: usize,
    compressor: Option<Compressor>,
    decompressor: Option<Decompressor>,
    /// The message being inflated: its text so far is valid, this many bytes came out, and
    /// whether the peer ended the DEFLATE stream (a block with BFINAL, §7.2.3.4).
    utf8: Utf8Validator,
    inflated: u64,
    ended: bool,
}

impl DeflateState {
    pub(crate) fn new(role: Role, params: DeflateParams, config: &DeflateConfig) -> Self {
        let config = config.clamped();
        let clamp = |side: Side| Side {
            window_bits: side.window_bits.clamp(8, 15),
            ..side
        };
        DeflateState {
            params,
            own: clamp(params.own(role)),
            peer: clamp(params.peer(role)),
            level: config.level,
            mem_level: config.mem_level,
            min_compress_len: config.min_compress_len,
            compressor: None,
            decompressor: None,
            utf8: Utf8Validator::new(),
            inflated: 0,
            ended: false,
        }
    }

    pub(crate) fn params(&self) -> DeflateParams {
        self.params
    }

    /// Whether a whole message of `len` bytes is worth compressing.
    pub(crate) fn worth_compressing(&self, len: usize) -> bool {
        len >= self.min_compress_len
    }

    /// Compresses one piece of an outgoing message, appending to `out`. The last piece
    /// drops the tail (§7.2.1); earlier ones keep it, as it is inside the stream.
    pub(crate) fn compress(
        &mut self,
        data: &[u8],
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), ()> {
        let (own, level, mem_level) = (self.own, self.level, self.mem_level);
        let compressor = self
            .compressor
            .get_or_insert_with(|| Compressor::new(own.window_bits, level, mem_level));
        if compressor.compress_sync(data, out).is_err() {
            // A fresh compressor makes a valid continuation of the stream: its references
            // stay within what it sent, which the peer's window holds.
            self.compressor = None;
            return Err(());
        }
        if last {
            if out.ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            }
            if own.no_context_takeover {
                compressor.reset();
            }
        }
        Ok(())
    }

    /// Forgets the compression context: the next message starts a fresh stream, which is a
    /// valid continuation of the old one for the peer.
    pub(crate) fn reset_compressor(&mut self) {
        if let Some(compressor) = &mut self.compressor {
            compressor.reset();
        }
    }

    /// Inflates one received piece of a compressed message, appending to `out`; the last
    /// piece gets the tail back (§7.2.2). The message may inflate to at most `max_len`
    /// bytes; past that it fails with 1009, without inflating further.
    pub(crate) fn decompress(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        max_len: u64,
    ) -> Result<(), ProtocolError> {
        let result = self.inflate_piece(data, last, out, max_len);
        let result = result.and_then(|start| {
            if kind == MessageKind::Text {
                self.utf8.feed(&out[start..])?;
                if last {
                    self.utf8.finish()?;
                }
            }
            Ok(())
        });
        if last || result.is_err() {
            self.end_message(result.is_err());
        }
        result
    }

    /// Inflates a piece and returns where its output starts in `out`.
    fn inflate_piece(
        &mut self,
        data: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        max_len: u64,
    ) -> Result<usize, ProtocolError> {
        let start = out.len();
        let window_bits = self.peer.window_bits;
        // zlib compresses "8 bits" with a 512-byte window; reading with 9 accepts both.
        let decompressor = self
            .decompressor
            .get_or_insert_with(|| Decompressor::new(window_bits.max(9)));
        let allowance =
            usize::try_from(max_len.saturating_sub(self.inflated)).unwrap_or(usize::MAX);
        for piece in [data, if last { &TAIL[..] } else { &[] }] {
            // Bytes after the final block are ignored, as zlib does: RFC 7692 §7.2.3.4
            // shows a payload with one after it.
            if self.ended {
                break;
            }
            let allowance = allowance - (out.len() - start);
            let inflated = decompressor
                .decompress(piece, out, allowance)
                .map_err(|fault| match fault {
                    InflateFault::Invalid => ProtocolError::InvalidCompressedData,
                    InflateFault::TooLarge => ProtocolError::MessageTooLarge,
                })?;
            self.ended = inflated.ended;
        }
        self.inflated += (out.len() - start) as u64;
        Ok(start)
    }

    /// A message ended (or failed): the next one starts afresh, with the window kept only
    /// when the peer keeps its context and did not end its stream.
    fn end_message(&mut self, failed: bool) {
        self.utf8 = Utf8Validator::new();
        self.inflated = 0;
        if failed {
            self.decompressor = None;
        } else if self.ended || self.peer.no_context_takeover {
            if let Some(decompressor) = &mut self.decompressor {
                decompressor.reset();
            }
        }
        self.ended = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(no_context_takeover: bool) -> DeflateState {
        let params = DeflateParams {
            server_no_context_takeover: no_context_takeover,
            ..DeflateParams::default()
        };
        DeflateState::new(Role::Server, params, &DeflateConfig::default())
    }

    /// RFC 7692 §7.2.3.1 and §7.2.3.2: "Hello", then "Hello" again through the same window.
    #[test]
    fn rfc7692_hello_twice_with_context_takeover() {
        let mut deflate = server(false);
        let (mut first, mut second) = (Vec::new(), Vec::new());
        deflate.compress(b"Hello", true, &mut first).unwrap();
        deflate.compress(b"Hello", true, &mut second).unwrap();
        assert_eq!(first, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        assert_eq!(second, [0xf2, 0x00, 0x11, 0x00, 0x00]);
    }

    #[test]
    fn rfc7692_hello_twice_without_context_takeover() {
        let mut deflate = server(true);
        for _ in 0..2 {
            let mut out = Vec::new();
            deflate.compress(b"Hello", true, &mut out).unwrap();
            assert_eq!(out, [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        }
    }

    #[test]
    fn a_fragment_keeps_its_tail_and_the_last_drops_it() {
        let mut deflate = server(false);
        let mut out = Vec::new();
        deflate.compress(b"Hel", false, &mut out).unwrap();
        assert!(out.ends_with(&TAIL));
        let mut last = Vec::new();
        deflate.compress(b"lo", true, &mut last).unwrap();
        assert!(!last.ends_with(&TAIL));
        let mut client = DeflateState::new(
            Role::Client,
            DeflateParams::default(),
            &DeflateConfig::default(),
        );
        let mut text = Vec::new();
        client
            .decompress(MessageKind::Text, &out, false, &mut text, 100)
            .unwrap();
        client
            .decompress(MessageKind::Text, &last, true, &mut text, 100)
            .unwrap();
        assert_eq!(text, b"Hello");
    }
}
