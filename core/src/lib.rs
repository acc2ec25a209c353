//! # sansws
//!
//! A sans-IO WebSocket (RFC 6455) protocol core: it takes bytes and time in and hands bytes,
//! events and deadlines out. It never touches a socket, a clock or a source of randomness, so
//! it runs the same under tokio, mio, a custom event loop, a fuzzer or a microcontroller.
//!
//! ```text
//!      application      send / ping / close            events (messages, pings, close)
//!          │  ▲                 │                                   ▲
//!          ▼  │                 ▼                                   │
//!      ┌────────────────────── sansws: Connection ──────────────────────┐
//!      │  frame codec · UTF-8 · close rules · timers · state machine   │
//!      └───────────────────────────────────────────────────────────────┘
//!          ▲  │                 ▲                                   │
//!          │  ▼                 │                                   ▼
//!      handle_read(now, bytes)  handle_timeout(now)       poll_transmit / poll_timeout
//!      network (your socket)    clock (your timer)        network / timer
//! ```
//!
//! ## Layers
//!
//! | module | holds | needs |
//! |---|---|---|
//! | [`frame`] | header parse/encode, opcodes, RSV and control rules, [`frame::apply_mask`] | nothing |
//! | [`utf8`] | streaming UTF-8 validation, failing at the first invalid byte | nothing |
//! | [`close`] | close codes and close frame payloads | nothing |
//! | [`handshake`] | the HTTP/1.1 upgrade for both roles, into caller buffers | nothing |
//! | [`conn`] | [`Connection`]: one WebSocket's state machine; [`conn::WebSocket`]: its buffered API | nothing / `alloc` |
//! | `deflate` | permessage-deflate (RFC 7692): negotiation, per-message compression | `alloc`, feature `deflate` |
//!
//! ## The contract
//!
//! A [`Connection`] is driven by four kinds of calls. After **any** of them, drain the
//! outputs — bytes to transmit, then events — and then read the next deadline:
//!
//! 1. **Bytes in**: [`Connection::handle_read`] (no-alloc: the caller's buffer, payloads
//!    unmasked in place and lent back in [`Event`]s) or [`conn::WebSocket::handle_read`] /
//!    [`conn::WebSocket::read_buffer`] (buffered: whole messages as `Bytes`). End of stream is
//!    [`Connection::handle_eof`]. An adapter that reads a large frame's payload straight into
//!    a buffer of its own (sized by [`Connection::frame_remaining`]) may hand those bytes to
//!    [`Connection::handle_payload`] instead: the same result, by a shorter path.
//! 2. **Time in**: [`Connection::handle_timeout`] with the current [`Instant`] once the
//!    instant from [`Connection::poll_timeout`] has passed (early calls are harmless; time
//!    never goes backwards).
//! 3. **Commands**: `send_text`, `send_binary`, `send_fragment`, `ping`, `pong`, `close`.
//!    Mistakes come back as [`SendError`] and change nothing.
//! 4. **Bytes out**: [`Connection::poll_transmit`] (control frames the connection queued on
//!    its own: pong answers, keepalive pings, close frames) or
//!    [`conn::WebSocket::transmit_chunks`] + [`conn::WebSocket::advance_transmit`].
//!
//! The peer's protocol violations come back once as a [`ProtocolError`] naming the close code
//! that was queued; the connection is closed from then on ([`Connection::close_cause`]).
//! Randomness for client masking keys comes from an [`Entropy`] function the caller supplies
//! (with `std`: [`entropy::os_entropy`]); the opening handshake goes through [`handshake`]
//! and ends with [`Connection::upgraded`].
//!
//! ## The run loop (no-alloc API)
//!
//! ```
//! use sansws::{Config, Connection, Event, Instant};
//!
//! // A server whose upgrade has completed (see `handshake`).
//! let mut now = Instant::ZERO;
//! let mut conn = Connection::server(Config::default(), now);
//! conn.upgraded(now);
//!
//! // Bytes "read from the socket": a masked ping "hi", then a masked text frame "ok".
//! let mut rx = [0x89, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2,
//!               0x81, 0x82, 5, 6, 7, 8, b'o' ^ 5, b'k' ^ 6];
//! let mut tx = [0u8; 256];
//! let mut start = 0;
//! loop {
//!     // 1. feed bytes; at most one event per call, borrowing `rx`
//!     let read = conn.handle_read(now, &mut rx[start..])?;
//!     start += read.consumed;
//!     match read.event {
//!         Some(Event::Message { payload, last, .. }) => {
//!             assert_eq!(payload, b"ok");
//!             assert!(last);
//!         }
//!         Some(Event::Ping(payload)) => assert_eq!(payload, b"hi"),
//!         Some(_) => {}
//!         None => break, // needs more bytes: go back to the socket
//!     }
//!     // 2. drain what the connection queued (here: the pong answering the ping)
//!     let n = conn.poll_transmit(&mut tx)?;
//!     if n > 0 {
//!         assert_eq!(&tx[..n], &[0x8A, 0x02, b'h', b'i']); // write it to the socket
//!     }
//! }
//! // 3. commands encode straight into the caller's buffer
//! let n = conn.send_text("hello", &mut tx)?;
//! assert_eq!(&tx[..n], b"\x81\x05hello");
//! // 4. arm the timer for the next deadline (here the 20 s keepalive ping)
//! let deadline = conn.poll_timeout().expect("keepalive");
//! now = deadline;
//! conn.handle_timeout(now);
//! let n = conn.poll_transmit(&mut tx)?;
//! assert_eq!(tx[0], 0x89); // the keepalive ping
//! # let _ = n;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! - `alloc`: the buffered API ([`conn::WebSocket`]) with `bytes::Bytes` messages.
//! - `std` (default): `alloc`, plus [`entropy::os_entropy`].
//!
//! Without either, everything above except [`conn::WebSocket`] works on borrowed buffers.
#![no_std]
#![deny(unsafe_code)]
// The core must stay usable without std: name items by their lowest home. (Only here: the
// adapters, tests and benches are std code.)
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod close;
pub mod conn;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod entropy;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod time;
pub mod utf8;

mod role;
mod status;

pub use close::{CloseCode, CloseFrame};
pub use conn::{CloseCause, Config, Connection, Event, MessageKind, Read, SendError};
pub use entropy::Entropy;
pub use error::{InsufficientSize, ProtocolError};
pub use role::Role;
pub use status::Status;
pub use time::Instant;

/// The README's example, compiled and run as a doctest.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
struct ReadmeExample;
