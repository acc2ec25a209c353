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
//! With `std` the codec is zlib-rs: it honours every window size with real LZ77 matches and
//! its memory shrinks with the window. Without `std` it is miniz_oxide, which needs only
//! `alloc`; it honours small windows by compressing less (windows of 12–14 bits use a 4 KiB
//! window, smaller ones run-length matches only), so every offer is still accepted as
//! negotiated and no parameter is ever broken.
//!
//! # Memory per connection
//!
//! The compressor exists from the first compressed message sent, the decompressor from the
//! first compressed message received; both live until the connection is dropped. With
//! zlib-rs and the default `mem_level` of 5 (measured by `benches/src/bin/deflate.rs`):
//!
//! | window bits | compressor | decompressor |
//! |---|---|---|
//! | 9 | ≈ 12 KiB | ≈ 8 KiB |
//! | 12 | ≈ 40 KiB | ≈ 11 KiB |
//! | 15 | ≈ 264 KiB | ≈ 39 KiB |
//!
//! miniz_oxide uses about 300 KiB for a compressor and 43 KiB for a decompressor at any
//! window.

mod backend;
mod codec;
mod config;
mod negotiate;
mod params;

pub(crate) use codec::DeflateState;
pub use config::DeflateConfig;
pub use negotiate::{Accepted, NegotiationError};
pub use params::DeflateParams;
