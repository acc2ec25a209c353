//! What the no-alloc API reports for received frames.

use crate::close::CloseFrame;

/// The type of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Binary data (opcode 0x2).
    Binary,
}

/// An event from [`Connection::handle_read`](super::Connection::handle_read), borrowing the
/// caller's read buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A piece of a text or binary message, unmasked in place in the caller's buffer.
    ///
    /// Pieces arrive in order; a message is the concatenation of its pieces from the one with
    /// `first` to the one with `last` (a small single-frame message is one piece with both).
    /// Text pieces are validated UTF-8 so far, but a piece may end inside a code point.
    Message {
        /// Text or binary.
        kind: MessageKind,
        /// The payload bytes of this piece.
        payload: &'a mut [u8],
        /// This piece starts the message.
        first: bool,
        /// This piece ends the message.
        last: bool,
        /// The message is compressed (permessage-deflate, RFC 7692): its payload must go
        /// through `Connection::inflate` (feature `deflate`). Set on every piece of such a
        /// message; always `false` unless compression was negotiated.
        compressed: bool,
    },
    /// A ping; with `auto_pong` its pong is queued ([`Connection::poll_transmit`](super::Connection::poll_transmit)).
    Ping(&'a [u8]),
    /// A pong.
    Pong(&'a [u8]),
    /// The peer's close frame. If we had not sent one, our answer is queued; either way the
    /// connection is now closed.
    Close(CloseFrame<'a>),
}
