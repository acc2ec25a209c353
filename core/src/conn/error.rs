//! The caller's mistakes ([`SendError`]) and why a connection ended ([`CloseCause`]).

use core::fmt;

use crate::close::{CloseCode, CloseError};
use crate::error::{InsufficientSize, ProtocolError};

/// A send, ping, pong or close the connection refused. Always the caller's doing; the
/// connection is unchanged.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendError {
    /// The upgrade has not completed yet ([`Connection::upgraded`](super::Connection::upgraded)).
    NotOpen,
    /// A close frame has been sent or queued, or the connection is closed: no more frames.
    Closed,
    /// The output buffer is too small; nothing was written.
    InsufficientSize(InsufficientSize),
    /// A new message was started while a streamed (fragmented) message is still open.
    MessageInProgress,
    /// A control frame payload (ping, pong) longer than 125 bytes.
    ControlTooLarge,
    /// The close code or reason may not be sent.
    InvalidClose(CloseError),
    /// Buffered API: the send queue is at its cap (`Config::max_send_queue`).
    QueueFull,
    /// The compressor failed (permessage-deflate); nothing was sent and the next message
    /// starts a fresh compressor.
    Compression,
}

impl From<InsufficientSize> for SendError {
    fn from(err: InsufficientSize) -> Self {
        SendError::InsufficientSize(err)
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NotOpen => f.write_str("the upgrade has not completed"),
            SendError::Closed => f.write_str("the connection is closing or closed"),
            SendError::InsufficientSize(err) => fmt::Display::fmt(err, f),
            SendError::MessageInProgress => f.write_str("a fragmented message is still open"),
            SendError::ControlTooLarge => f.write_str("control frame payload over 125 bytes"),
            SendError::InvalidClose(err) => fmt::Display::fmt(err, f),
            SendError::QueueFull => f.write_str("the send queue is full"),
            SendError::Compression => f.write_str("compression failed"),
        }
    }
}

impl core::error::Error for SendError {}

/// Why a connection is closed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseCause {
    /// The close handshake completed: both close frames were exchanged.
    Handshake {
        /// The code the peer sent (1005 when its close frame had none).
        peer_code: CloseCode,
        /// Whether we sent the first close frame.
        initiated_locally: bool,
    },
    /// The peer broke the protocol; we sent a close frame with the error's code.
    ProtocolError(ProtocolError),
    /// No pong arrived within the pong timeout after a keepalive ping; we sent 1011.
    PongTimeout,
    /// We sent a close frame and the peer did not answer within the close timeout.
    CloseTimeout,
    /// The upgrade did not complete within the handshake timeout.
    HandshakeTimeout,
    /// The transport ended without a close handshake (reported as 1006).
    Abnormal,
}

impl CloseCause {
    /// The close code that describes this closure to the application, as browsers report it:
    /// the peer's code after a handshake, our code after a failure, 1006 when no close frame
    /// was received.
    pub const fn code(&self) -> CloseCode {
        match self {
            CloseCause::Handshake { peer_code, .. } => *peer_code,
            CloseCause::ProtocolError(err) => err.close_code(),
            CloseCause::PongTimeout => CloseCode::INTERNAL_ERROR,
            CloseCause::CloseTimeout | CloseCause::HandshakeTimeout | CloseCause::Abnormal => {
                CloseCode::ABNORMAL_CLOSURE
            }
        }
    }
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseCause::Handshake { peer_code, .. } => {
                write!(f, "closed by handshake (peer code {peer_code})")
            }
            CloseCause::ProtocolError(err) => write!(f, "protocol error: {err}"),
            CloseCause::PongTimeout => f.write_str("no pong before the timeout"),
            CloseCause::CloseTimeout => f.write_str("no close answer before the timeout"),
            CloseCause::HandshakeTimeout => f.write_str("upgrade not finished before the timeout"),
            CloseCause::Abnormal => f.write_str("transport closed without a close handshake"),
        }
    }
}
