//! The adapter's error: the core's typed errors plus the transport's.

use std::{fmt, io};

use sansws::handshake::{RequestError, ResponseError, UrlError, WriteError};
use sansws::{CloseCause, ProtocolError, SendError};

/// Anything that can end an operation of this adapter.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// The transport failed.
    Io(io::Error),
    /// The peer broke the WebSocket protocol; the close frame naming it was sent.
    Protocol(ProtocolError),
    /// The caller's send was refused (e.g. after close).
    Send(SendError),
    /// The upgrade request was refused (server side); the HTTP answer was sent.
    Request(RequestError),
    /// The application refused the upgrade with this status (server side); the answer was
    /// sent.
    Declined {
        /// The HTTP status.
        status: u16,
    },
    /// The upgrade response was invalid (client side).
    Response(ResponseError),
    /// The server answered the upgrade with another status than 101.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The `Location` header, for a redirect.
        location: Option<String>,
    },
    /// The server's permessage-deflate answer does not fit the client's offer (client side);
    /// the transport was dropped, as RFC 7692 §5.1 fails such a connection.
    #[cfg(feature = "deflate")]
    Deflate(sansws::deflate::NegotiationError),
    /// A handshake value could not be written (e.g. a header with CR/LF).
    Write(WriteError),
    /// The upgrade did not finish within the handshake timeout.
    HandshakeTimeout,
    /// The URL was not `ws://host[:port][/path]` (`wss://` needs the caller's TLS).
    Url(UrlError),
    /// The connection is closed (and why).
    Closed(CloseCause),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(err) => write!(f, "transport: {err}"),
            Error::Protocol(err) => write!(f, "protocol: {err}"),
            Error::Send(err) => write!(f, "send: {err}"),
            Error::Request(err) => write!(f, "upgrade request refused: {err}"),
            Error::Declined { status } => write!(f, "upgrade declined with status {status}"),
            Error::Response(err) => write!(f, "invalid upgrade response: {err}"),
            Error::Refused { status, .. } => write!(f, "upgrade refused with status {status}"),
            #[cfg(feature = "deflate")]
            Error::Deflate(err) => write!(f, "unacceptable upgrade response: {err}"),
            Error::Write(err) => write!(f, "handshake: {err}"),
            Error::HandshakeTimeout => f.write_str("handshake timed out"),
            Error::Url(err) => write!(f, "URL: {err}"),
            Error::Closed(cause) => write!(f, "closed: {cause}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Io(err) => Some(err),
            Error::Protocol(err) => Some(err),
            Error::Send(err) => Some(err),
            Error::Request(err) => Some(err),
            Error::Response(err) => Some(err),
            #[cfg(feature = "deflate")]
            Error::Deflate(err) => Some(err),
            Error::Write(err) => Some(err),
            Error::Url(err) => Some(err),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::Io(err)
    }
}

impl From<ProtocolError> for Error {
    fn from(err: ProtocolError) -> Self {
        Error::Protocol(err)
    }
}

impl From<SendError> for Error {
    fn from(err: SendError) -> Self {
        Error::Send(err)
    }
}

impl From<WriteError> for Error {
    fn from(err: WriteError) -> Self {
        Error::Write(err)
    }
}

/// The adapter's result.
pub type Result<T, E = Error> = core::result::Result<T, E>;
