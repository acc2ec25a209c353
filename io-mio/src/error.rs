//! Why a connection could not be opened: the core's typed errors plus the transport's.

use std::{fmt, io};

use sansws::handshake::{RequestError, ResponseError, UrlError, WriteError};

/// Why an upgrade failed or a connection could not be made.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// The transport failed.
    Io(io::Error),
    /// The upgrade request was refused (server side); the HTTP answer was sent.
    Request(RequestError),
    /// The application refused the upgrade with this status.
    Refused(u16),
    /// The upgrade response was invalid (client side).
    Response(ResponseError),
    /// The server answered the upgrade with another status than 101.
    Rejected {
        /// The HTTP status.
        status: u16,
    },
    /// The server's permessage-deflate answer does not fit the client's offer (client side);
    /// the transport was dropped without a frame, as RFC 7692 §5.1 fails such a connection.
    #[cfg(feature = "deflate")]
    Deflate(sansws::deflate::NegotiationError),
    /// A handshake value could not be written.
    Write(WriteError),
    /// The URL is not a `ws://` URL.
    Url(UrlError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(err) => write!(f, "transport: {err}"),
            Error::Request(err) => write!(f, "upgrade request refused: {err}"),
            Error::Refused(status) => write!(f, "upgrade refused by the application ({status})"),
            Error::Response(err) => write!(f, "invalid upgrade response: {err}"),
            Error::Rejected { status } => write!(f, "upgrade refused with status {status}"),
            #[cfg(feature = "deflate")]
            Error::Deflate(err) => write!(f, "unacceptable upgrade response: {err}"),
            Error::Write(err) => write!(f, "handshake: {err}"),
            Error::Url(err) => write!(f, "URL: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(err) => Some(err),
            Error::Request(err) => Some(err),
            Error::Response(err) => Some(err),
            #[cfg(feature = "deflate")]
            Error::Deflate(err) => Some(err),
            Error::Write(err) => Some(err),
            Error::Url(err) => Some(err),
            Error::Refused(_) | Error::Rejected { .. } => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::Io(err)
    }
}
