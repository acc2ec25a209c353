//! The HTTP/1.1 upgrade (RFC 6455 §4) for both roles, on caller buffers with no allocator.
//!
//! # Server
//!
//! [`Request::parse`] takes the bytes received so far and answers
//! [`Status::Incomplete`](crate::Status::Incomplete) until the head has ended, then the
//! validated [`Request`] and the head's length. Bytes after the head already belong to the
//! WebSocket connection. [`Request::write_accept`] writes the 101; a refused request's
//! [`RequestError::write_response`] writes the matching 4xx.
//!
//! ```
//! use sansws::handshake::{Accept, HeaderStorage, Limits, Request};
//! use sansws::Status;
//!
//! let received = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";
//! let mut storage: HeaderStorage = HeaderStorage::new();
//! let mut out = [0u8; 256];
//! let written = match Request::parse(received, &mut storage, &Limits::DEFAULT) {
//!     Ok(Status::Complete((request, head_len))) => {
//!         // received[head_len..] goes to the WebSocket connection.
//!         assert_eq!(head_len, received.len());
//!         request.write_accept(&Accept::new().subprotocol("chat"), &mut out).unwrap()
//!     }
//!     Ok(Status::Incomplete { .. }) => return, // read more, then parse again
//!     Err(refused) => refused.write_response(&mut out).unwrap(),
//! };
//! assert!(out[..written].starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//! ```
//!
//! # Client
//!
//! [`ClientRequest::write`] writes the request with a key made from 16 bytes of the caller's
//! entropy and returns a small [`ClientHandshake`] that checks the answer
//! ([`ClientHandshake::check_response`]): a valid 101 is [`Response::Upgraded`], any other
//! status [`Response::Refused`] (with its status and headers, e.g. to follow a redirect).
//!
//! ```
//! use sansws::handshake::{ClientRequest, HeaderStorage, Limits, Response};
//! use sansws::Status;
//!
//! let mut out = [0u8; 256];
//! let (len, handshake) = ClientRequest::new("server.example.com", "/chat")
//!     .subprotocols(&["chat"])
//!     .write(*b"the sample nonce", &mut out)
//!     .unwrap();
//! // send out[..len], then read the answer:
//! let received = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
//!     Sec-WebSocket-Protocol: chat\r\n\r\n";
//! let mut storage: HeaderStorage = HeaderStorage::new();
//! match handshake.check_response(received, &mut storage, &Limits::DEFAULT) {
//!     Ok(Status::Complete((Response::Upgraded(up), head_len))) => {
//!         assert_eq!(up.subprotocol(), Some("chat"));
//!         assert_eq!(head_len, received.len());
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```
//!
//! # Header storage and limits
//!
//! Parsed heads borrow the input buffer and a [`HeaderStorage`] the caller lends (`N`
//! slots, default 32), so nothing is allocated and no HTTP-library type appears in the API.
//! [`Limits`] bound the head (default 8192 bytes, 32 fields): a head that would exceed them
//! is refused at once rather than waited for.

mod accept;
mod base64;
mod client;
mod error;
mod head;
mod headers;
mod server;
mod sha1;
mod status;
mod url;
mod write;

pub use accept::{AcceptKey, Key, GUID};
pub use client::{ClientHandshake, ClientRequest, Refused, Response, Upgraded};
pub use error::{RequestError, ResponseError, WriteError};
pub use head::{HeaderStorage, Limits, DEFAULT_MAX_HEADERS, DEFAULT_MAX_HEAD_LEN};
pub use headers::{Header, HeaderIter, Headers, ListIter, StrList, Values};
pub use server::{write_reject, Accept, Request};
pub use status::reason_phrase;
pub use url::{UrlError, WsUrl};
