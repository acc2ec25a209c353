//! The connection: the state machine of one open WebSocket, client or server.
//!
//! [`Connection`] is the engine, with the no-alloc API: the caller lends every buffer, events
//! borrow the caller's read buffer, sends encode into the caller's output buffer, and the
//! control frames the connection sends on its own wait in fixed slots for
//! [`Connection::poll_transmit`]. [`WebSocket`] (feature `alloc`) is the buffered API on the
//! same engine. The call sequence is in the [crate docs](crate#the-contract).

#[cfg(feature = "alloc")]
mod buffered;
mod config;
mod connection;
mod control;
#[cfg(feature = "deflate")]
mod deflate;
mod error;
mod event;
mod recv;
mod send;
mod timer;

#[cfg(feature = "alloc")]
pub use buffered::{Incoming, Message, WebSocket};
pub use config::Config;
pub use connection::Connection;
pub use error::{CloseCause, SendError};
pub use event::{Event, MessageKind};
pub use recv::Read;
