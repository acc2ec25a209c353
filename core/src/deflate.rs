//! permessage-deflate (RFC 7692), feature `deflate`: negotiation in both roles and the
//! per-message compressor and decompressor behind [`Connection`](crate::Connection).
//!
//! A server answers the offers of a request with [`DeflateConfig::accept_offers`] and puts
//! the response it returns into [`Accept::extensions`](crate::handshake::Accept::extensions);
//! a client sends [`DeflateConfig::offer`] and checks the server's answer with
//! [`DeflateConfig::check_response`]. Either way the agreed [`DeflateParams`] then go to
//! [`Connection::enable_deflate`](crate::Connection::enable_deflate), after which
//! compressed messages arrive with `compressed` set (inflate them with
//! [`Connection::inflate`](crate::Connection::inflate)) and the buffered API compresses and
//! inflates on its own.
//!
//! # Backends
//!
//! With `std` the codec is zlib-rs: it honours every window size with real LZ77 matches, so
//! small windows still compress well, and it is the faster of the two. Without `std` it is
//! miniz_oxide, which needs only
//! `alloc`; it honours small windows by compressing less (windows of 12–14 bits use a 4 KiB
//! window, smaller ones run-length matches only), so every offer is still accepted as
//! negotiated and no parameter is ever broken.
//!
//! # Memory per connection
//!
//! The compressor exists from the first compressed message sent, the decompressor from the
//! first compressed message received; both live until the connection is dropped. Heap held
//! by each, measured with a counting allocator (`cargo run --release -p sansws-benches --bin
//! deflate` for zlib-rs):
//!
//! | window bits | zlib-rs compressor (`mem_level` 5) | zlib-rs decompressor | miniz_oxide compressor | miniz_oxide decompressor |
//! |---|---|---|---|---|
//! | 9 | ≈ 147 KiB | ≈ 46 KiB | ≈ 311 KiB | ≈ 42 KiB |
//! | 12 | ≈ 161 KiB | ≈ 46 KiB | ≈ 311 KiB | ≈ 42 KiB |
//! | 15 | ≈ 273 KiB | ≈ 46 KiB | ≈ 311 KiB | ≈ 42 KiB |
//!
//! zlib-rs's compressor always holds a 128 KiB hash table plus 4 bytes per window byte and
//! its literal buffers (14 KiB at `mem_level` 5, 112 KiB at 8); both decompressors keep a
//! 32 KiB window whatever was negotiated. A server with many mostly idle connections that
//! cares about memory should compress only where it pays (`min_compress_len`) or not offer
//! compression at all.

mod backend;
mod codec;
mod config;
mod negotiate;
mod params;

pub(crate) use codec::DeflateState;
pub use config::DeflateConfig;
pub use negotiate::{Accepted, NegotiationError};
pub use params::DeflateParams;
