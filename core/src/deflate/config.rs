//! What this end asks for and allows when negotiating, and how it compresses.

/// permessage-deflate settings of one end, in either role.
///
/// | field | default | why |
/// |---|---|---|
/// | `max_window_bits` | 12 | on JSON traffic 0.36 of the size against 0.30 at 15 bits, for 161 KiB of compressor instead of 273 (zlib-rs) |
/// | `peer_max_window_bits` | 12 | asked of the peer: its memory, and ours with a peer that sizes its decompressor |
/// | `no_context_takeover` | off | keeping the window between messages is most of the gain on small messages |
/// | `peer_no_context_takeover` | off | as above |
/// | `level` | 6 | zlib's default trade-off |
/// | `mem_level` | 5 | zlib-rs only: 14 KiB of literal buffers instead of 112 KiB at zlib's 8, same ratio on JSON |
/// | `min_compress_len` | 32 | shorter messages rarely shrink, and are sent as they are |
///
/// The window and memory defaults are Python `websockets`' own. Figures: BENCHMARKS.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateConfig {
    /// The largest LZ77 window this end compresses with, 8 to 15 bits: offered or answered as
    /// `client_max_window_bits` by a client and `server_max_window_bits` by a server. A
    /// peer may ask for less; never more is used.
    pub max_window_bits: u8,
    /// The window asked of the peer's compressor, 8 to 15 bits: a client offers it as
    /// `server_max_window_bits` (when below 15); a server answers it as
    /// `client_max_window_bits` when the client's offer allows.
    pub peer_max_window_bits: u8,
    /// Reset our compressor after every message (offered or answered as
    /// `<own role>_no_context_takeover`). Always honoured when the peer asks for it.
    pub no_context_takeover: bool,
    /// Ask the peer to reset its compressor after every message.
    pub peer_no_context_takeover: bool,
    /// Compression level, 0 (stored) to 9 (smallest).
    pub level: u8,
    /// zlib's `memLevel`, 1 to 9: the size of the compressor's literal buffers (zlib-rs
    /// backend only).
    pub mem_level: u8,
    /// Messages shorter than this are sent uncompressed (RFC 7692 lets each message choose).
    /// Streamed messages are compressed whatever their size, as it is not known upfront.
    pub min_compress_len: usize,
}

impl DeflateConfig {
    /// The defaults in the table above.
    pub const DEFAULT: DeflateConfig = DeflateConfig {
        max_window_bits: 12,
        peer_max_window_bits: 12,
        no_context_takeover: false,
        peer_no_context_takeover: false,
        level: 6,
        mem_level: 5,
        min_compress_len: 32,
    };

    /// The window sizes clamped to 8..=15 and the levels to their ranges.
    pub(crate) fn clamped(&self) -> DeflateConfig {
        DeflateConfig {
            max_window_bits: self.max_window_bits.clamp(8, 15),
            peer_max_window_bits: self.peer_max_window_bits.clamp(8, 15),
            level: self.level.min(9),
            mem_level: self.mem_level.clamp(1, 9),
            ..*self
        }
    }
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig::DEFAULT
    }
}
