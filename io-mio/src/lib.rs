//! Drives the [`sansws`] WebSocket core from a mio event loop, without async.
//!
//! An [`EventLoop`] owns sockets, readiness and the clock; every WebSocket decision stays in
//! the core. The application implements [`Handler`]: its callbacks receive messages borrowed
//! straight from the loop's read buffer (no copy, no allocation for single-frame messages)
//! and send through a [`Conn`]. Every socket is read into one loop-wide buffer; a connection
//! keeps only the bytes it could not consume yet, so an idle connection holds no buffer. A
//! large frame is the exception while it lasts: the rest of it is read straight into a
//! buffer of its connection's own. What a server sends is not copied either when it can go
//! out from where it lies: a payload of 4 KiB or more sent from the bytes just received (an
//! echo, a relay) is written from the read buffer, with the rest of the output, in one
//! write, and a large message is written straight out. [`serve_sharded`] runs one
//! loop per core.
//!
//! With feature `deflate` (on by default) clients offer permessage-deflate (RFC 7692) and
//! servers accept it, per `ClientOptions::deflate` and `Options::deflate`. Compressed
//! messages reach [`Handler::on_message`] inflated (into one buffer of the loop's, not the
//! connection's), messages the application sends are compressed by the core (so a large one
//! is then copied once, compressed, rather than written from where it lies), and
//! `conn.connection().deflate_params()` tells what was agreed.
//!
//! ```no_run
//! use sansws_mio::{Conn, EventLoop, Handler, Message, Options};
//!
//! struct Echo;
//! impl Handler for Echo {
//!     fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>) {
//!         let _ = conn.send(message.kind, message.payload);
//!     }
//! }
//!
//! let mut event_loop = EventLoop::new(Echo, Options::default())?;
//! event_loop.listen(mio::net::TcpListener::bind("127.0.0.1:9001".parse().unwrap())?)?;
//! event_loop.run()?;
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]

mod assembly;
mod borrowed;
mod deflate;
mod entry;
mod error;
mod event_loop;
mod handler;
mod output;
mod readiness;
mod shard;
mod socket;
mod spare;
#[cfg(test)]
mod test_support;

pub use error::Error;
pub use event_loop::{ClientOptions, EventLoop, Options};
pub use handler::{Conn, ConnId, Handler, Message, Upgrade};
pub use sansws;
#[cfg(feature = "deflate")]
pub use sansws::deflate::{DeflateConfig, DeflateParams, NegotiationError};
pub use shard::serve_sharded;
