//! The no-alloc run loop: `Connection::handle_read` over the unconsumed remainder of a buffer,
//! one event per call, draining `poll_transmit` after every call. The harness owns the buffer
//! (a `Vec`, for convenience); the connection only ever sees `&mut [u8]`.

use sansws::{CloseFrame, Connection, Event, Instant, MessageKind, ProtocolError};

/// An event as the application would see it once pieces are put together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Got {
    /// A whole message (the concatenation of its pieces).
    Message(MessageKind, Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// A close frame: the code and reason.
    Close(Option<u16>, String),
    /// A protocol error, in sequence with the events.
    Error(ProtocolError),
}

impl Got {
    /// A text message.
    pub(crate) fn text(text: &str) -> Got {
        Got::Message(MessageKind::Text, text.as_bytes().to_vec())
    }

    /// A binary message.
    pub(crate) fn binary(data: &[u8]) -> Got {
        Got::Message(MessageKind::Binary, data.to_vec())
    }
}

/// One `Event::Message` piece: kind, length, first, last.
pub(crate) type Piece = (MessageKind, usize, bool, bool);

/// A connection driven through the no-alloc API.
#[derive(Debug)]
pub(crate) struct Driver {
    pub(crate) conn: Connection,
    /// Received bytes not consumed yet.
    pending: Vec<u8>,
    /// The message being put together from pieces.
    partial: Option<(MessageKind, Vec<u8>)>,
    /// Every message piece as handed out.
    pub(crate) pieces: Vec<Piece>,
    /// Everything the application saw.
    pub(crate) got: Vec<Got>,
    /// Everything `poll_transmit` wrote.
    pub(crate) wire: Vec<u8>,
    /// Bytes of a frame under way go to `handle_payload`, at most the frame's rest at a time,
    /// as an adapter reading a large frame straight into place hands them over.
    direct: bool,
}

impl Driver {
    pub(crate) fn new(conn: Connection) -> Self {
        Driver {
            conn,
            pending: Vec::new(),
            partial: None,
            pieces: Vec::new(),
            got: Vec::new(),
            wire: Vec::new(),
            direct: false,
        }
    }

    /// A driver that hands the bytes of a frame under way to `Connection::handle_payload`.
    pub(crate) fn direct(conn: Connection) -> Self {
        Driver {
            direct: true,
            ..Driver::new(conn)
        }
    }

    /// Appends `bytes` to the unconsumed input and runs the loop at `now`.
    pub(crate) fn feed(&mut self, now: Instant, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let mut start: usize = 0;
        let total = self.pending.len();
        loop {
            let remaining = usize::try_from(self.conn.frame_remaining()).unwrap_or(usize::MAX);
            let result = if self.direct && remaining > 0 {
                let end = total.min(start.saturating_add(remaining));
                self.conn.handle_payload(now, &mut self.pending[start..end])
            } else {
                self.conn.handle_read(now, &mut self.pending[start..])
            };
            let more = match result {
                Ok(read) => {
                    assert!(start + read.consumed <= total, "consumed past the end");
                    start += read.consumed;
                    match read.event {
                        Some(event) => {
                            record(event, &mut self.partial, &mut self.pieces, &mut self.got);
                            true
                        }
                        None => false,
                    }
                }
                Err(err) => {
                    let repeated = matches!(self.got.last(), Some(Got::Error(_)));
                    self.got.push(Got::Error(err));
                    // A second error in a row would loop forever: stop and let the test see it.
                    !repeated
                }
            };
            self.drain();
            if !more {
                break;
            }
        }
        self.pending.drain(..start);
    }

    /// Feeds `bytes` cut at `cuts` (increasing offsets), all at `now`.
    pub(crate) fn feed_split(&mut self, now: Instant, bytes: &[u8], cuts: &[usize]) {
        let mut from = 0;
        for &cut in cuts.iter().chain(Some(&bytes.len())) {
            self.feed(now, &bytes[from..cut]);
            from = cut;
        }
    }

    /// Drains `poll_transmit` into [`Driver::wire`].
    pub(crate) fn drain(&mut self) {
        let mut out = [0u8; 512];
        loop {
            let n = self
                .conn
                .poll_transmit(&mut out)
                .expect("room for all control frames");
            if n == 0 {
                break;
            }
            self.wire.extend_from_slice(&out[..n]);
        }
        assert!(!self.conn.wants_transmit());
    }

    /// Takes what was written so far.
    pub(crate) fn take_wire(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.wire)
    }

    /// The protocol errors reported so far.
    pub(crate) fn errors(&self) -> Vec<ProtocolError> {
        self.got
            .iter()
            .filter_map(|got| match got {
                Got::Error(err) => Some(*err),
                _ => None,
            })
            .collect()
    }

    /// Unconsumed input bytes.
    pub(crate) fn pending_len(&self) -> usize {
        self.pending.len()
    }
}

fn record(
    event: Event<'_>,
    partial: &mut Option<(MessageKind, Vec<u8>)>,
    pieces: &mut Vec<Piece>,
    got: &mut Vec<Got>,
) {
    match event {
        Event::Message {
            kind,
            payload,
            first,
            last,
            ..
        } => {
            pieces.push((kind, payload.len(), first, last));
            assert_eq!(first, partial.is_none(), "`first` out of step");
            let (open_kind, data) = partial.get_or_insert_with(|| (kind, Vec::new()));
            assert_eq!(*open_kind, kind, "kind changed within a message");
            data.extend_from_slice(payload);
            if last {
                let (kind, data) = partial.take().expect("open message");
                got.push(Got::Message(kind, data));
            }
        }
        Event::Ping(payload) => got.push(Got::Ping(payload.to_vec())),
        Event::Pong(payload) => got.push(Got::Pong(payload.to_vec())),
        Event::Close(CloseFrame { code, reason }) => {
            got.push(Got::Close(code.map(|c| c.0), reason.into()));
        }
    }
}
