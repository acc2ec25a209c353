//! Drives the [`sansws`] WebSocket core from tokio.
//!
//! The adapter owns the transport, the clock, entropy and tasks; every WebSocket decision
//! stays in the core. A connection is a [`WebSocketStream`]: a `Stream` of received messages
//! and a `Sink` of messages to send, over any `AsyncRead + AsyncWrite` (so TLS from
//! tokio-rustls works unchanged).
//!
//! With feature `deflate` (on by default) clients offer permessage-deflate (RFC 7692) and
//! servers accept it, per [`ClientOptions::deflate`] and [`ServerOptions::deflate`]; the
//! core then compresses and inflates messages on its own, and
//! [`WebSocketStream::deflate_params`] tells what was agreed.
//!
//! ```no_run
//! # async fn run() -> sansws_tokio::Result<()> {
//! // Server: echo every message.
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! sansws_tokio::serve(listener, Default::default(), |mut ws| async move {
//!     while let Some(Ok(message)) = ws.recv().await {
//!         if ws.feed(message).await.is_err() {
//!             break;
//!         }
//!     }
//! })
//! .await?;
//!
//! // Client.
//! let mut ws = sansws_tokio::connect("ws://127.0.0.1:9001/").await?;
//! ws.send(sansws::conn::Message::text("hello")).await?;
//! let echo = ws.recv().await;
//! # let _ = echo;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod client;
mod clock;
mod deadline;
mod deflate;
mod error;
mod server;
mod stream;

pub use client::{client_with, connect, connect_with, ClientOptions};
pub use error::{Error, Result};
pub use sansws;
pub use sansws::conn::Message;
#[cfg(feature = "deflate")]
pub use sansws::deflate::{DeflateConfig, DeflateParams, NegotiationError};
pub use server::{accept, accept_with, accept_with_decision, serve, Decision, ServerOptions};
pub use stream::WebSocketStream;
