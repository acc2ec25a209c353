//! Receiving: bytes → frames → events, with fragmentation, UTF-8 and size rules.
//!
//! One engine serves both APIs. It works on the caller's buffer, which must start with the
//! bytes the previous call did not consume. In streaming mode (the no-alloc API) data payload
//! is released piece by piece as it arrives; in whole-frame mode (the buffered API) it is
//! unmasked and validated as it arrives but released only when the frame is complete, so a
//! single-frame message becomes one contiguous slice. Either way UTF-8 fails fast.
//!
//! Most messages are one small frame that arrives whole: module `small` takes that case in
//! one go, and hands everything else, errors included, to the general path untouched. Module
//! `payload` takes the middle of a large frame that an adapter reads straight into place.

use core::ops::Range;

use crate::close::{CloseCode, CloseFrame};
use crate::conn::connection::{Connection, State};
use crate::conn::event::{Event, MessageKind};
use crate::conn::timer::Timer;
use crate::error::ProtocolError;
use crate::frame::{apply_mask, apply_mask_short, FrameHeader, FrameRules, OpCode, RSV1};
use crate::status::Status;
use crate::time::Instant;
use crate::utf8::Utf8Validator;

mod payload;
mod small;

use small::SmallMessage;

/// Receive state between calls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Receiver {
    /// The data frame whose payload is being read.
    frame: Option<InFrame>,
    /// The message being received, from its first frame until its last.
    message: Option<InMessage>,
}

#[derive(Debug, Clone, Copy)]
struct InFrame {
    fin: bool,
    mask: Option<[u8; 4]>,
    /// Payload bytes not yet released to the caller.
    remaining: u64,
    /// Of those, how many are already unmasked and validated at the start of the buffer.
    held: usize,
    /// Payload bytes unmasked so far: the mask phase.
    offset: u64,
}

impl InFrame {
    /// Unmasks `fresh`, this frame's next payload bytes, in place and validates them as part
    /// of `message`.
    #[inline(always)]
    fn unmask(&mut self, message: &mut InMessage, fresh: &mut [u8]) -> Result<(), ProtocolError> {
        if let Some(key) = self.mask {
            apply_mask(fresh, key, (self.offset & 3) as usize);
        }
        self.offset += fresh.len() as u64;
        if message.is_validated() {
            message.utf8.feed(fresh)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct InMessage {
    kind: MessageKind,
    /// Payload bytes of all frames announced so far.
    len: u64,
    /// Whether the next released piece is the first.
    first: bool,
    /// RSV1 on its first frame: permessage-deflate (validated once inflated).
    compressed: bool,
    utf8: Utf8Validator,
}

impl InMessage {
    /// Whether its payload is UTF-8 checked as it arrives: text, unless compressed (checked
    /// once inflated).
    #[inline(always)]
    fn is_validated(&self) -> bool {
        self.kind == MessageKind::Text && !self.compressed
    }
}

/// Where a released piece of payload stands in its message, as bit flags in one byte. (As
/// four fields the engine would store them a byte at a time and the buffered API load them
/// back as one word: a stalled store forward on every message.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece(u8);

impl Piece {
    const TEXT: u8 = 1;
    const FIRST: u8 = 2;
    const LAST: u8 = 4;
    const COMPRESSED: u8 = 8;

    fn new(kind: MessageKind, first: bool, last: bool, compressed: bool) -> Self {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        Piece(
            flag(kind == MessageKind::Text, Self::TEXT)
                | flag(first, Self::FIRST)
                | flag(last, Self::LAST)
                | flag(compressed, Self::COMPRESSED),
        )
    }

    /// The one piece of a single-frame uncompressed message.
    #[cfg(any(feature = "alloc", test))]
    fn whole(text: bool) -> Self {
        let kind = if text { Self::TEXT } else { 0 };
        Piece(kind | Self::FIRST | Self::LAST)
    }

    pub(crate) fn kind(self) -> MessageKind {
        if self.0 & Self::TEXT != 0 {
            MessageKind::Text
        } else {
            MessageKind::Binary
        }
    }

    /// The message's first piece.
    pub(crate) fn is_first(self) -> bool {
        self.0 & Self::FIRST != 0
    }

    /// The message's last piece.
    pub(crate) fn is_last(self) -> bool {
        self.0 & Self::LAST != 0
    }

    /// The message is compressed (permessage-deflate).
    pub(crate) fn is_compressed(self) -> bool {
        self.0 & Self::COMPRESSED != 0
    }
}

/// An event located by ranges into the caller's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawEvent {
    Message {
        payload: Range<usize>,
        piece: Piece,
    },
    Ping(Range<usize>),
    Pong(Range<usize>),
    Close {
        code: Option<CloseCode>,
        reason: Range<usize>,
    },
}

impl RawEvent {
    /// Where the event's bytes (payload, or close reason) start; they end where the
    /// consumed span does.
    #[cfg(feature = "alloc")]
    pub(crate) fn bytes_start(&self) -> usize {
        match self {
            RawEvent::Message { payload, .. } => payload.start,
            RawEvent::Ping(range) | RawEvent::Pong(range) => range.start,
            RawEvent::Close { reason, .. } => reason.start,
        }
    }
}

/// One step of the receive engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// `consumed` bytes are done with and `event` happened within them.
    Event { consumed: usize, event: RawEvent },
    /// `consumed` bytes are done with (maybe 0); at least `needed` more are required.
    Need { consumed: usize, needed: usize },
}

/// What [`Connection::handle_read`] did with the caller's bytes.
#[derive(Debug)]
pub struct Read<'a> {
    /// How many bytes from the start of the buffer are done with; the next call must start
    /// with the byte after them.
    pub consumed: usize,
    /// The event those bytes completed, borrowing the buffer, if any. `None` means more input
    /// is needed.
    pub event: Option<Event<'a>>,
}

impl Connection {
    /// Feeds received bytes at `now`. `buf` holds the bytes not consumed by the previous call
    /// followed by new ones; payloads are unmasked in place.
    ///
    /// Returns how much was consumed and at most one event. Call again with the rest of the
    /// buffer while events come; then drain [`Connection::poll_transmit`] (a pong or a close
    /// answer may be queued). A protocol error is returned once; the close frame naming it is
    /// then queued and the connection is closed. After closing, bytes are discarded.
    ///
    /// The buffer must be able to hold a whole control frame (131 bytes); data payloads are
    /// handed out in pieces of whatever size arrives.
    pub fn handle_read<'a>(
        &mut self,
        now: Instant,
        buf: &'a mut [u8],
    ) -> Result<Read<'a>, ProtocolError> {
        if !buf.is_empty() {
            self.note_activity(now);
        }
        if let Some(small) = self.read_small_message(buf) {
            let SmallMessage {
                header_len,
                end,
                text,
            } = small;
            let kind = if text {
                MessageKind::Text
            } else {
                MessageKind::Binary
            };
            return Ok(Read {
                consumed: end,
                event: Some(Event::Message {
                    kind,
                    payload: &mut buf[header_len..end],
                    first: true,
                    last: true,
                    compressed: false,
                }),
            });
        }
        self.handle_read_general(buf)
    }

    /// [`Connection::handle_read`] for everything but a whole single-frame message. (Out of
    /// line: the fast path's code then lies together.)
    #[inline(never)]
    fn handle_read_general<'a>(&mut self, buf: &'a mut [u8]) -> Result<Read<'a>, ProtocolError> {
        let step = self.read_step_general(buf, false)?;
        Ok(match step {
            Step::Need { consumed, .. } => Read {
                consumed,
                event: None,
            },
            Step::Event { consumed, event } => Read {
                consumed,
                event: Some(borrow_event(event, &mut buf[..consumed])),
            },
        })
    }

    /// Payload bytes of the data frame being received that have not been handed out yet (0
    /// between frames, and once the connection is closed). An adapter that reads a large frame straight into a buffer of its
    /// own sizes that buffer with this instead of decoding the header again.
    pub fn frame_remaining(&self) -> u64 {
        self.rx.frame.map_or(0, |frame| frame.remaining)
    }

    /// The receive engine: at most one event from the start of `buf`. (The no-alloc API
    /// inlines the same two paths itself, to build its event without this step's.)
    #[cfg(any(feature = "alloc", test))]
    #[inline]
    pub(crate) fn read_step(
        &mut self,
        buf: &mut [u8],
        whole_frames: bool,
    ) -> Result<Step, ProtocolError> {
        match self.read_small_message(buf) {
            Some(SmallMessage {
                header_len,
                end,
                text,
            }) => Ok(Step::Event {
                consumed: end,
                event: RawEvent::Message {
                    payload: header_len..end,
                    piece: Piece::whole(text),
                },
            }),
            None => self.read_step_general(buf, whole_frames),
        }
    }

    /// [`Connection::read_step`] for every case, without the fast path for a whole small
    /// message.
    fn read_step_general(
        &mut self,
        buf: &mut [u8],
        whole_frames: bool,
    ) -> Result<Step, ProtocolError> {
        match self.state {
            State::Open | State::CloseSent => {}
            State::Closed(_) => {
                return Ok(Step::Need {
                    consumed: buf.len(),
                    needed: 1,
                })
            }
            State::Upgrading => {
                return Ok(Step::Need {
                    consumed: 0,
                    needed: 1,
                })
            }
        }
        self.read_frame(buf, whole_frames)
            .map_err(|err| self.fail(err))
    }

    fn read_frame(&mut self, buf: &mut [u8], whole_frames: bool) -> Result<Step, ProtocolError> {
        let mut consumed = 0;
        if self.rx.frame.is_none() {
            if buf.is_empty() {
                // Asked again after every event (the buffered API): nothing to decode.
                return Ok(Step::Need {
                    consumed,
                    needed: 2,
                });
            }
            let rules = FrameRules {
                role: self.role,
                allowed_rsv: self.allowed_rsv(),
                max_payload_len: self.config.max_frame_len,
            };
            let (header, header_len) = match FrameHeader::decode(buf, &rules)? {
                Status::Complete(decoded) => decoded,
                Status::Incomplete { needed } => return Ok(Step::Need { consumed, needed }),
            };
            if header.opcode.is_control() {
                return self.read_control(buf, header, header_len);
            }
            self.start_data_frame(&header)?;
            consumed = header_len;
        }
        self.read_payload(buf, consumed, whole_frames)
    }

    /// RSV1 marks a compressed message once permessage-deflate is on (RFC 7692 §6).
    fn allowed_rsv(&self) -> u8 {
        #[cfg(feature = "deflate")]
        if self.deflate.is_some() {
            return RSV1;
        }
        0
    }

    /// Checks a data frame header against the message in progress and starts reading it.
    fn start_data_frame(&mut self, header: &FrameHeader) -> Result<(), ProtocolError> {
        let compressed = header.rsv & RSV1 != 0;
        if compressed && header.opcode == OpCode::Continuation {
            // Only a message's first frame says it is compressed (RFC 7692 §6.1).
            return Err(ProtocolError::ReservedBits(RSV1));
        }
        let message = match (header.opcode, &mut self.rx.message) {
            (OpCode::Continuation, Some(message)) => message,
            (OpCode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (_, Some(_)) => return Err(ProtocolError::ExpectedContinuation),
            (opcode, None) => self.rx.message.insert(InMessage {
                kind: if opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                },
                len: 0,
                first: true,
                compressed,
                utf8: Utf8Validator::new(),
            }),
        };
        message.len = message.len.saturating_add(header.payload_len);
        if message.len > self.config.max_message_len {
            return Err(ProtocolError::MessageTooLarge);
        }
        self.rx.frame = Some(InFrame {
            fin: header.fin,
            mask: header.mask,
            remaining: header.payload_len,
            held: 0,
            offset: 0,
        });
        Ok(())
    }

    /// Unmasks and validates newly arrived payload of the current data frame and releases it
    /// (streaming) or waits for the rest of the frame (whole-frame mode).
    fn read_payload(
        &mut self,
        buf: &mut [u8],
        start: usize,
        whole_frames: bool,
    ) -> Result<Step, ProtocolError> {
        let (Some(frame), Some(message)) = (&mut self.rx.frame, &mut self.rx.message) else {
            return Ok(Step::Need {
                consumed: start,
                needed: 1,
            });
        };
        let available = buf.len() - start;
        let end = usize::try_from(frame.remaining).map_or(available, |r| r.min(available));
        frame.unmask(message, &mut buf[start + frame.held..start + end])?;
        frame.held = end;

        let complete = end as u64 == frame.remaining;
        if (whole_frames && !complete) || (end == 0 && frame.remaining > 0) {
            let needed = usize::try_from(frame.remaining - end as u64).unwrap_or(usize::MAX);
            return Ok(Step::Need {
                consumed: start,
                needed,
            });
        }
        let last = complete && frame.fin;
        if last && message.is_validated() {
            message.utf8.finish()?;
        }
        let event = RawEvent::Message {
            payload: start..start + end,
            piece: Piece::new(message.kind, message.first, last, message.compressed),
        };
        message.first = false;
        frame.remaining -= end as u64;
        frame.held = 0;
        if complete {
            self.rx.frame = None;
            if last {
                self.rx.message = None;
            }
        }
        Ok(Step::Event {
            consumed: start + end,
            event,
        })
    }

    /// A control frame is handled whole: its payload is at most 125 bytes.
    fn read_control(
        &mut self,
        buf: &mut [u8],
        header: FrameHeader,
        header_len: usize,
    ) -> Result<Step, ProtocolError> {
        let frame_len = header_len + header.payload_len as usize;
        let Some(frame) = buf.get_mut(..frame_len) else {
            return Ok(Step::Need {
                consumed: 0,
                needed: frame_len - buf.len(),
            });
        };
        let payload = &mut frame[header_len..];
        if let Some(key) = header.mask {
            apply_mask_short(payload, key);
        }
        let range = header_len..frame_len;
        let event = match header.opcode {
            OpCode::Ping => {
                if self.config.auto_pong && self.state == State::Open {
                    self.control.set_pong(payload);
                }
                RawEvent::Ping(range)
            }
            OpCode::Pong => {
                self.timers.stop(Timer::Pong);
                RawEvent::Pong(range)
            }
            _ => {
                let close = CloseFrame::parse(payload)?;
                self.on_peer_close(close.code);
                RawEvent::Close {
                    code: close.code,
                    reason: frame_len - close.reason.len()..frame_len,
                }
            }
        };
        Ok(Step::Event {
            consumed: frame_len,
            event,
        })
    }
}

/// Turns a located event into one borrowing the buffer.
fn borrow_event(event: RawEvent, buf: &mut [u8]) -> Event<'_> {
    match event {
        RawEvent::Message { payload, piece } => Event::Message {
            kind: piece.kind(),
            payload: &mut buf[payload],
            first: piece.is_first(),
            last: piece.is_last(),
            compressed: piece.is_compressed(),
        },
        RawEvent::Ping(range) => Event::Ping(&buf[range]),
        RawEvent::Pong(range) => Event::Pong(&buf[range]),
        RawEvent::Close { code, reason } => Event::Close(CloseFrame {
            code,
            // Validated by `CloseFrame::parse` above.
            reason: core::str::from_utf8(&buf[reason]).unwrap_or(""),
        }),
    }
}
