//! The bodies of the sansws fuzz targets.
//!
//! Each public function takes the raw fuzzer input and panics when an invariant breaks. The
//! cargo-fuzz binaries in `fuzz/fuzz_targets/` are one line each calling these, and
//! `tests/replay.rs` runs every committed corpus file (`fuzz/corpus/TARGET/`) and every
//! crash reproducer (`fuzz/regressions/TARGET/`) through the same functions on stable Rust.
//!
//! | target | input | invariants |
//! |---|---|---|
//! | [`frame_header()`] | rules byte + header bytes | no panic; re-encodes byte for byte; prefixes are `Incomplete` or the same error |
//! | [`mask()`] | key, offset, chunking, payload | `apply_mask` equals a byte-by-byte XOR for every split and alignment |
//! | [`utf8()`] | split seed + message | streaming validator agrees with `core::str::from_utf8`, fails at the first non-extendable byte |
//! | [`close_payload()`] | a close payload | parse agrees with the RFC 6455 §5.5.1 rules; accepted payloads round-trip |
//! | [`handshake_request()`], [`handshake_response()`] | limits, split seed, head | any split: `Incomplete` until the whole input's result, never waits past `max_head_len` |
//! | [`server_connection()`], [`client_connection()`] | config + operations | see [`conn`](mod@conn): bounded output, nothing after close, no spinning timers, one error |
//! | [`roundtrip()`] | messages + write splits | client `WebSocket` → server `WebSocket` → back, unchanged |
//! | [`inflate()`] | settings + server frames, or an extensions header | messages within the limit even when compressed; one error, its close last; negotiation answers accepted by the client |
//! | [`differential()`] | limits + client byte stream | sansws and tungstenite accept and reject the same streams, modulo documented leniencies |

pub mod close;
pub mod conn;
pub mod differential;
pub mod frame;
pub mod handshake;
pub mod inflate;
pub mod mask;
pub mod roundtrip;
pub mod seeds;
pub mod split;
pub mod utf8;
pub mod wire;

pub use close::close_payload;
pub use conn::{client_connection, server_connection};
pub use differential::differential;
pub use frame::frame_header;
pub use handshake::{handshake_request, handshake_response};
pub use inflate::inflate;
pub use mask::mask;
pub use roundtrip::roundtrip;
pub use utf8::utf8;

/// A target body: panics when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target by name, as the fuzz binaries and corpus directories call them.
pub const TARGETS: [(&str, Target); 11] = [
    ("frame_header", frame_header),
    ("mask", mask),
    ("utf8", utf8),
    ("close_payload", close_payload),
    ("handshake_request", handshake_request),
    ("handshake_response", handshake_response),
    ("server_connection", server_connection),
    ("client_connection", client_connection),
    ("roundtrip", roundtrip),
    ("differential", differential),
    ("inflate", inflate),
];
