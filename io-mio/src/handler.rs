//! What the application implements, and what it may do inside a callback.

use mio::net::TcpStream;
use sansws::frame::MAX_HEADER_LEN;
use sansws::handshake::Request;

use crate::borrowed::{Lender, BORROW_MIN};
use crate::error::Error;
use crate::output::{write_through, WRITE_THROUGH_MIN};
use sansws::{CloseCause, CloseCode, Connection, Instant, MessageKind, SendError};

/// Identifies a connection within its event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub(crate) usize);

impl ConnId {
    /// The index of the connection in its loop (reused after the connection ends).
    pub fn index(self) -> usize {
        self.0
    }
}

/// A received message, borrowed from the loop's read buffer (or, inflated, from its inflate
/// buffer): copy what you keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Text or binary.
    pub kind: MessageKind,
    /// The payload; for text, UTF-8 validated by the core.
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// The text of a text message.
    pub fn text(&self) -> Option<&'a str> {
        match self.kind {
            MessageKind::Text => core::str::from_utf8(self.payload).ok(),
            MessageKind::Binary => None,
        }
    }
}

/// The server's answer to an upgrade request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upgrade<'a> {
    /// Accept, choosing this subprotocol (one the client offered) or none.
    Accept(Option<&'a str>),
    /// Refuse with this HTTP status (e.g. 403 for a foreign origin).
    Refuse(u16),
}

/// The application's callbacks. Each runs on the loop's thread; none may block.
pub trait Handler {
    /// Server: decide on a valid upgrade request. By default every request is accepted
    /// without a subprotocol.
    fn on_upgrade(&mut self, request: &Request<'_, '_>) -> Upgrade<'static> {
        let _ = request;
        Upgrade::Accept(None)
    }

    /// The upgrade completed: the connection is open.
    fn on_open(&mut self, conn: &mut Conn<'_>) {
        let _ = conn;
    }

    /// A whole message arrived.
    fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>);

    /// A ping arrived (already answered unless `Config::auto_pong` is off).
    fn on_ping(&mut self, conn: &mut Conn<'_>, payload: &[u8]) {
        let _ = (conn, payload);
    }

    /// A pong arrived.
    fn on_pong(&mut self, conn: &mut Conn<'_>, payload: &[u8]) {
        let _ = (conn, payload);
    }

    /// The connection ended (after its last bytes were written), and why. Called once for
    /// every connection that opened.
    fn on_close(&mut self, id: ConnId, cause: CloseCause) {
        let _ = (id, cause);
    }

    /// An upgrade failed (refused request, invalid response, timeout) or a client could not
    /// connect; the connection is gone.
    fn on_error(&mut self, id: ConnId, error: Error) {
        let _ = (id, error);
    }
}

/// One connection, as seen from inside a callback: send to it, ping it, close it.
#[derive(Debug)]
pub struct Conn<'a> {
    pub(crate) id: ConnId,
    pub(crate) now: Instant,
    pub(crate) core: &'a mut Connection,
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) stream: &'a TcpStream,
    pub(crate) subprotocol: Option<&'a str>,
    /// While received bytes are handled: payloads lying in them may go out from there.
    pub(crate) lender: Option<Lender<'a>>,
}

impl Conn<'_> {
    /// The subprotocol the upgrade agreed on, if any.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol
    }

    /// This connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The protocol state machine (state, role, configuration).
    pub fn connection(&self) -> &Connection {
        self.core
    }

    /// Queues a text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send(MessageKind::Text, text.as_bytes())
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send(MessageKind::Binary, data)
    }

    /// Queues a message of `kind` (text must be UTF-8). A server does not copy a payload of
    /// 4 KiB or more that lies where the loop received it (an echo, a relay, sent from inside
    /// the callback): it goes out from there with the rest of the output, before the loop
    /// reads again. A server's message of 64 KiB or more is written to the socket right away
    /// when nothing is queued, without being copied. Only what the socket does not take is
    /// copied into the output buffer. With permessage-deflate on, messages of at least
    /// `DeflateConfig::min_compress_len` bytes are compressed into the queue instead (one
    /// that does not shrink goes as it is).
    ///
    /// Refused with [`SendError::QueueFull`] while the unwritten output is at
    /// `Config::max_send_queue` (a slow consumer).
    #[inline]
    pub fn send(&mut self, kind: MessageKind, payload: &[u8]) -> Result<(), SendError> {
        let queued = self.out.len() + self.lender.as_ref().map_or(0, Lender::pending);
        if queued != 0 && queued >= self.core.config().max_send_queue {
            return Err(SendError::QueueFull);
        }
        if payload.len() >= BORROW_MIN {
            return self.send_uncopied(kind, payload, queued);
        }
        self.core.send_to_vec(kind, payload, self.out).map(|_| ())
    }

    /// Sends a message without copying it when the core would only put a header before it
    /// (not when it masks, splits or may compress it): borrowed from the received bytes, or
    /// written straight out when it is large and nothing is queued. (Out of line, so the
    /// small-message path stays lean.)
    #[inline(never)]
    fn send_uncopied(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        queued: usize,
    ) -> Result<(), SendError> {
        let mut head = [0; MAX_HEADER_LEN];
        let Some(head_len) = self.core.send_header(kind, payload.len(), &mut head)? else {
            return self.core.send_to_vec(kind, payload, self.out).map(|_| ());
        };
        let head = &head[..head_len];
        if let Some(lender) = &mut self.lender {
            if lender.lend(payload, self.out.len() + head_len) {
                self.out.extend_from_slice(head);
                return Ok(());
            }
        }
        if payload.len() >= WRITE_THROUGH_MIN && queued == 0 {
            write_through(self.stream, head, payload, self.out);
        } else {
            self.out.extend_from_slice(head);
            self.out.extend_from_slice(payload);
        }
        Ok(())
    }

    /// Queues a ping (at most 125 bytes).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        let core = &mut *self.core;
        append_with(self.out, 14 + payload.len(), |buf| core.ping(payload, buf))
    }

    /// Starts the closing handshake.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        self.core.close(self.now, code, reason)?;
        drain_control(self.core, self.out);
        Ok(())
    }
}

/// Appends what `write` encodes into at most `room` fresh bytes of `out`.
pub(crate) fn append_with<E>(
    out: &mut Vec<u8>,
    room: usize,
    write: impl FnOnce(&mut [u8]) -> Result<usize, E>,
) -> Result<(), E> {
    let start = out.len();
    out.resize(start + room, 0);
    let result = write(&mut out[start..]);
    let written = *result.as_ref().unwrap_or(&0);
    out.truncate(start + written);
    result.map(|_| ())
}

/// Moves the control frames the core queued (pongs, pings, close) into `out`. (Checked
/// inline: it runs after every message, and there is rarely one.)
#[inline]
pub(crate) fn drain_control(core: &mut Connection, out: &mut Vec<u8>) {
    if core.wants_transmit() {
        drain_queued_control(core, out);
    }
}

#[inline(never)]
fn drain_queued_control(core: &mut Connection, out: &mut Vec<u8>) {
    while core.wants_transmit() {
        let room = 3 * (14 + 125);
        if append_with(out, room, |buf| core.poll_transmit(buf)).is_err() {
            break;
        }
    }
}
