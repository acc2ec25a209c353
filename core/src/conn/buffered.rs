//! The buffered API (feature `alloc`): owned read buffer, whole messages as [`Bytes`], and an
//! output queue of chunks for vectored writes. Built on the same engine as the no-alloc API.

use alloc::collections::VecDeque;
use core::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use crate::close::CloseCode;
use crate::conn::connection::Connection;
use crate::conn::error::{CloseCause, SendError};
use crate::conn::event::MessageKind;
use crate::conn::recv::{RawEvent, Step};
use crate::conn::send::{append_unmasked, fragments, frame_len, Part};
use crate::error::ProtocolError;
use crate::frame::{apply_mask, FrameHeader, MAX_HEADER_LEN};
use crate::time::Instant;

/// Unmasked payloads at least this long are queued as their own chunk instead of being
/// copied next to their header: a vectored write sends them without a copy. Below it the
/// copy costs less than the second chunk (its handle, and a socket's vectored write, dearer
/// in the kernel than a plain one). Measured on echoes: copying 1 KiB saves user and kernel
/// time; at 16 KiB the two ways are about even.
const COPY_THRESHOLD: usize = 4096;
/// The smallest spare room offered to a read.
const MIN_READ: usize = 4096;
/// The shortest frame header (RFC 6455 §5.2): what the next frame needs at least.
const MIN_HEADER_LEN: usize = 2;
/// The most room a read is offered for a frame like the last one (a larger frame's header
/// asks for the rest of it anyway).
const MAX_READ_ROOM: usize = 64 * 1024;
/// Room for every control frame the engine may queue at once (pong, ping, close).
const CONTROL_ROOM: usize = 3 * (MAX_HEADER_LEN + 125);

/// A complete message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Message {
    /// A text message; the bytes are valid UTF-8 (see [`Message::as_text`]).
    Text(Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// A text message from a string.
    pub fn text(text: impl Into<alloc::string::String>) -> Self {
        Message::Text(Bytes::from(text.into()))
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Message::Binary(data.into())
    }

    /// The kind.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Text(_) => MessageKind::Text,
            Message::Binary(_) => MessageKind::Binary,
        }
    }

    /// The payload.
    pub fn payload(&self) -> &Bytes {
        match self {
            Message::Text(bytes) | Message::Binary(bytes) => bytes,
        }
    }

    /// The payload, taken out.
    pub fn into_payload(self) -> Bytes {
        match self {
            Message::Text(bytes) | Message::Binary(bytes) => bytes,
        }
    }

    /// The text of a text message (validated on receipt, so `None` only for binary).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(bytes) => core::str::from_utf8(bytes).ok(),
            Message::Binary(_) => None,
        }
    }
}

/// An event of the buffered API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A complete message.
    Message(Message),
    /// A ping (answered automatically unless `Config::auto_pong` is off).
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer's close frame; our answer, if one is due, is queued.
    Close {
        /// The code, or `None` when the frame had none (1005).
        code: Option<CloseCode>,
        /// The UTF-8 reason (validated).
        reason: Bytes,
    },
    /// The connection is closed, and why. Reported once, last. Shut the transport down
    /// once [`WebSocket::queued_len`] is 0.
    Closed(CloseCause),
}

/// A WebSocket connection with its own buffers: feed it bytes, take whole messages out, queue
/// messages and drain the output as chunks.
///
/// ```
/// use sansws::conn::{Incoming, Message, WebSocket};
/// use sansws::{Config, Connection, Instant};
///
/// let now = Instant::ZERO;
/// let mut conn = Connection::server(Config::default(), now);
/// conn.upgraded(now); // after the handshake
/// let mut ws = WebSocket::new(conn);
///
/// // A masked text frame "Hi" from a client (RFC 6455 §5.7 style).
/// ws.handle_read(now, &[0x81, 0x82, 1, 2, 3, 4, b'H' ^ 1, b'i' ^ 2]);
/// let Some(Incoming::Message(message)) = ws.poll_event()? else { panic!() };
/// assert_eq!(message.as_text(), Some("Hi"));
///
/// ws.send(message)?; // echo: the payload is queued without a copy
/// let wire: Vec<u8> = ws.transmit_chunks().flatten().copied().collect();
/// assert_eq!(wire, [0x81, 0x02, b'H', b'i']);
/// ws.advance_transmit(wire.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct WebSocket {
    conn: Connection,
    /// Received bytes the engine has not consumed.
    rx: BytesMut,
    /// At least this many more bytes are needed for progress.
    read_hint: usize,
    /// Room for a frame as long as the last one, and some: the next is likely alike, a read
    /// offered less would take it in two, and a read that fills its room exactly is
    /// followed by another (tokio's, mio's) that only finds the socket empty.
    read_room: usize,
    /// A fragmented message being reassembled.
    partial: BytesMut,
    /// A compressed message being inflated.
    #[cfg(feature = "deflate")]
    inflated: alloc::vec::Vec<u8>,
    /// Output chunks in order; `staging` (small frames) goes after them.
    queue: VecDeque<Bytes>,
    staging: BytesMut,
    queued: usize,
    closed_reported: bool,
}

impl WebSocket {
    /// Wraps a connection (usually just [upgraded](Connection::upgraded)).
    pub fn new(conn: Connection) -> Self {
        WebSocket {
            conn,
            rx: BytesMut::new(),
            read_hint: MIN_READ,
            read_room: MIN_READ,
            partial: BytesMut::new(),
            #[cfg(feature = "deflate")]
            inflated: alloc::vec::Vec::new(),
            queue: VecDeque::new(),
            staging: BytesMut::new(),
            queued: 0,
            closed_reported: false,
        }
    }

    /// The protocol state machine underneath.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The read buffer, with room for the next read reserved: read straight into its spare
    /// capacity (e.g. tokio's `read_buf`), then call [`WebSocket::handle_received`].
    pub fn read_buffer(&mut self) -> &mut BytesMut {
        // Room to spare is worth a copy of what the buffer holds only while that is small: a
        // large frame's received part is not moved for more than the rest of it.
        let room = if self.rx.len() <= self.read_room {
            self.read_hint.max(self.read_room)
        } else {
            self.read_hint
        };
        self.rx.reserve(room);
        &mut self.rx
    }

    /// Bytes were appended to [`WebSocket::read_buffer`] at `now`.
    pub fn handle_received(&mut self, now: Instant) {
        self.conn.note_activity(now);
    }

    /// Copies received bytes in (for adapters that read into a buffer of their own).
    pub fn handle_read(&mut self, now: Instant, data: &[u8]) {
        self.rx.extend_from_slice(data);
        self.handle_received(now);
    }

    /// The transport reached end of file.
    pub fn handle_eof(&mut self) {
        self.conn.handle_eof();
    }

    /// Runs the timers due at `now` (keepalive ping, pong, close and handshake timeouts).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.conn.handle_timeout(now);
        self.flush_control();
    }

    /// The next deadline for [`WebSocket::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }

    /// The next event from the bytes received so far, or `None` until more arrive.
    ///
    /// A protocol error is returned once (the close frame naming it is queued); the
    /// [`Incoming::Closed`] event follows.
    pub fn poll_event(&mut self) -> Result<Option<Incoming>, ProtocolError> {
        if self.rx.is_empty() {
            // Asked again after every event and before every read (an async stream does
            // both): with no bytes, there is no step to take, and `read_hint` already says
            // what the next one needs.
            self.flush_control();
            return Ok(self.take_closed());
        }
        loop {
            let step = self.conn.read_step(&mut self.rx, true);
            self.flush_control();
            let (consumed, event) = match step? {
                Step::Need { consumed, needed } => {
                    self.rx.advance(consumed);
                    self.read_hint = needed;
                    return Ok(self.take_closed());
                }
                Step::Event { consumed, event } => {
                    self.read_room = (consumed + MIN_READ).min(MAX_READ_ROOM);
                    // Every event ends a frame: the next needs a header.
                    self.read_hint = MIN_HEADER_LEN;
                    (consumed, event)
                }
            };
            // Every event's bytes end the consumed span: take the span out whole and drop
            // its head from the handle, with no second handle to the buffer to count and
            // drop. (Advancing `rx` first would store its pointer and length just before
            // `split_to` loads them as one, a stalled store forward.)
            let mut bytes = self.rx.split_to(consumed).freeze();
            bytes.advance(event.bytes_start());
            let incoming = match event {
                RawEvent::Message { piece, .. } => {
                    let (kind, last) = (piece.kind(), piece.is_last());
                    let data = if piece.is_compressed() {
                        self.inflate(kind, &bytes, last)?
                    } else {
                        self.reassemble(bytes, piece.is_first(), last)
                    };
                    let Some(data) = data else {
                        continue;
                    };
                    Incoming::Message(match kind {
                        MessageKind::Text => Message::Text(data),
                        MessageKind::Binary => Message::Binary(data),
                    })
                }
                RawEvent::Ping(_) => Incoming::Ping(bytes),
                RawEvent::Pong(_) => Incoming::Pong(bytes),
                RawEvent::Close { code, .. } => Incoming::Close {
                    code,
                    reason: bytes,
                },
            };
            return Ok(Some(incoming));
        }
    }

    /// A single-frame message is handed out as is; fragments are copied together.
    fn reassemble(&mut self, piece: Bytes, first: bool, last: bool) -> Option<Bytes> {
        if first && last {
            return Some(piece);
        }
        self.partial.extend_from_slice(&piece);
        last.then(|| self.partial.split().freeze())
    }

    /// A compressed piece is inflated onto the message so far.
    #[cfg(feature = "deflate")]
    fn inflate(
        &mut self,
        kind: MessageKind,
        piece: &[u8],
        last: bool,
    ) -> Result<Option<Bytes>, ProtocolError> {
        let result = self.conn.inflate(kind, piece, last, &mut self.inflated);
        if let Err(err) = result {
            self.inflated = alloc::vec::Vec::new();
            self.flush_control();
            return Err(err);
        }
        Ok(last.then(|| {
            let mut message = core::mem::take(&mut self.inflated);
            // The message may be kept long after: it should not hold the room inflating took.
            if message.capacity() > 2 * message.len() + 64 {
                message.shrink_to_fit();
            }
            Bytes::from(message)
        }))
    }

    /// Never called: without the feature no message is compressed.
    #[cfg(not(feature = "deflate"))]
    fn inflate(
        &mut self,
        _: MessageKind,
        _: &[u8],
        _: bool,
    ) -> Result<Option<Bytes>, ProtocolError> {
        Ok(None)
    }

    fn take_closed(&mut self) -> Option<Incoming> {
        let cause = self.conn.close_cause()?;
        if self.closed_reported {
            return None;
        }
        self.closed_reported = true;
        Some(Incoming::Closed(cause))
    }

    /// Queues a whole message (split into frames of at most `Config::max_send_frame_len`).
    /// A server's large payloads are queued without a copy.
    pub fn send(&mut self, message: Message) -> Result<(), SendError> {
        // Borrowed, not moved out: a move copies the handle through the stack, where wider
        // loads of the caller's fresh stores stall.
        let payload = message.payload();
        if payload.len() < COPY_THRESHOLD
            && !self.conn.compresses()
            && self.conn.sends_one_plain_frame(payload.len())
        {
            return self.queue_plain(message.kind(), payload);
        }
        self.queue_message(message.kind(), payload, Part::Whole)
    }

    /// A short message a server sends uncompressed: one frame, copied in after a header built
    /// in a register, without the general path's fragments, masks and compression.
    fn queue_plain(&mut self, kind: MessageKind, payload: &[u8]) -> Result<(), SendError> {
        let opcode = self.conn.begin_message(kind, Part::Whole)?;
        let total = frame_len(payload.len(), false);
        self.check_room(total)?;
        append_unmasked(&mut self.staging, 0x80 | opcode.as_u8(), payload);
        self.conn.end_message(kind, Part::Whole);
        self.queued += total;
        Ok(())
    }

    /// Queues a text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        let data = Bytes::copy_from_slice(text.as_bytes());
        self.queue_message(MessageKind::Text, &data, Part::Whole)
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.queue_message(MessageKind::Binary, &data.into(), Part::Whole)
    }

    /// Queues one fragment of a streamed message (see [`Connection::send_fragment`]).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        last: bool,
    ) -> Result<(), SendError> {
        self.queue_message(kind, &data.into(), Part::Fragment { last })
    }

    /// Queues a ping with up to 125 bytes of payload ([`SendError::QueueFull`] at the cap, as
    /// a message).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.check_control_room(payload)?;
        let mut frame = [0; MAX_HEADER_LEN + 125];
        let n = self.conn.ping(payload, &mut frame)?;
        self.push_small(&frame[..n])
    }

    /// Queues an unsolicited pong with up to 125 bytes of payload ([`SendError::QueueFull`]
    /// at the cap, as a message).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.check_control_room(payload)?;
        let mut frame = [0; MAX_HEADER_LEN + 125];
        let n = self.conn.pong(payload, &mut frame)?;
        self.push_small(&frame[..n])
    }

    /// Starts the closing handshake at `now` with `code` and `reason` (≤ 123 bytes).
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), SendError> {
        self.conn.close(now, code, reason)?;
        self.flush_control();
        Ok(())
    }

    /// The output in order, as chunks suited to a vectored write.
    pub fn transmit_chunks(&self) -> impl Iterator<Item = &[u8]> {
        self.queue
            .iter()
            .map(|chunk| &chunk[..])
            .chain(Some(&self.staging[..]).filter(|s| !s.is_empty()))
    }

    /// Marks `n` bytes of output as written.
    pub fn advance_transmit(&mut self, mut n: usize) {
        self.queued -= n.min(self.queued);
        while n > 0 {
            let Some(front) = self.queue.front_mut() else {
                self.staging.advance(n.min(self.staging.len()));
                return;
            };
            let step = n.min(front.len());
            front.advance(step);
            n -= step;
            if front.is_empty() {
                self.queue.pop_front();
            }
        }
    }

    /// Bytes queued for output: apply backpressure on it.
    pub fn queued_len(&self) -> usize {
        self.queued
    }

    fn check_room(&self, len: usize) -> Result<(), SendError> {
        if self.queued > 0 && self.queued + len > self.conn.config.max_send_queue {
            return Err(SendError::QueueFull);
        }
        Ok(())
    }

    /// A ping or pong the caller queues counts against `max_send_queue` like a message (the
    /// connection's own pongs, pings and close do not); the connection's own refusals (not
    /// open, over 125 bytes) come first.
    fn check_control_room(&self, payload: &[u8]) -> Result<(), SendError> {
        if self.conn.is_open() && payload.len() <= 125 {
            self.check_room(frame_len(payload.len(), self.conn.role().masks_outgoing()))?;
        }
        Ok(())
    }

    fn queue_message(
        &mut self,
        kind: MessageKind,
        data: &Bytes,
        part: Part,
    ) -> Result<(), SendError> {
        let opcode = self.conn.begin_message(kind, part)?;
        let max = self.conn.config.max_send_frame_len;
        // Checked on the uncompressed size, before the compressor's state moves on: a
        // message refused after compressing would leave the peer's window behind ours.
        let plain_len = self.conn.encoded_len(data.len());
        self.check_room(plain_len)?;
        #[cfg(feature = "deflate")]
        let deflated = match self.conn.deflate {
            Some(_) => self.conn.compress_message(data, part)?.map(Bytes::from),
            None => None,
        };
        #[cfg(feature = "deflate")]
        let (data, compressed, total) = match &deflated {
            Some(deflated) => (deflated, true, self.conn.encoded_len(deflated.len())),
            None => (data, false, plain_len),
        };
        #[cfg(not(feature = "deflate"))]
        let (compressed, total) = (false, plain_len);
        for (range, opcode, fin) in fragments(opcode, data.len(), max, part.is_last()) {
            let header = self.conn.frame_header(opcode, fin, range.len(), compressed);
            self.push_frame(&header, data, range);
        }
        self.conn.end_message(kind, part);
        self.queued += total;
        Ok(())
    }

    /// Queues one frame with `data[range]` as its payload: copied into `staging` (masked
    /// there for a client), or, when long and unmasked, queued as a handle of its own.
    fn push_frame(&mut self, header: &FrameHeader, data: &Bytes, range: Range<usize>) {
        let head = header.encode_word().to_le_bytes();
        let payload = &data[range.clone()];
        let apart = header.mask.is_none() && payload.len() >= COPY_THRESHOLD;
        let start = self.staging.len();
        self.staging
            .reserve(head.len() + if apart { 0 } else { payload.len() });
        // A fixed-size copy is two moves where one of the header's length would be a call.
        self.staging.extend_from_slice(&head);
        self.staging.truncate(start + header.encoded_len());
        if apart {
            let staged = self.staging.split().freeze();
            self.queue.push_back(staged);
            // Only a payload queued apart takes a reference (an atomic count) to `data`.
            self.queue.push_back(data.slice(range));
            return;
        }
        let body = self.staging.len();
        self.staging.extend_from_slice(payload);
        if let Some(key) = header.mask {
            apply_mask(&mut self.staging[body..], key, 0);
        }
    }

    fn push_small(&mut self, frame: &[u8]) -> Result<(), SendError> {
        self.staging.extend_from_slice(frame);
        self.queued += frame.len();
        Ok(())
    }

    /// Moves the control frames the engine queued (pongs, pings, close) into the output.
    /// Inlined for its test: after almost every read nothing is queued.
    #[inline(always)]
    fn flush_control(&mut self) {
        if self.conn.wants_transmit() {
            self.queue_control();
        }
    }

    fn queue_control(&mut self) {
        if self.queued >= self.conn.config.max_send_queue {
            // A peer that pings but never reads would grow the queue without bound; RFC 6455
            // §5.5.3 lets us answer only the most recent ping, and that one can wait. A
            // keepalive ping is pointless behind a full queue: the pong timeout, already
            // running, ends a peer that stopped reading.
            self.conn.control.drop_pings_and_pongs();
        }
        if self.conn.wants_transmit() {
            let mut frames = [0; CONTROL_ROOM];
            let n = self.conn.poll_transmit(&mut frames).unwrap_or(0);
            self.staging.extend_from_slice(&frames[..n]);
            self.queued += n;
        }
    }
}
