//! `differential`: the same client byte stream into a sansws server and a tungstenite server.
//!
//! Both start right after a valid opening handshake (tungstenite through
//! `WebSocket::from_raw_socket`), with the same frame and message size limits. The verdict is
//! the list of messages (data, ping, pong, close) each reports and whether it rejected the
//! stream. They must agree, except for tungstenite's known leniencies and timing, which are
//! excused:
//!
//! | tungstenite | sansws | decided by |
//! |---|---|---|
//! | accepts a non-minimal length (a 16-bit length under 126, a 64-bit one under 65536), also on control frames | rejects (`NonMinimalLength`, or `ControlFrameTooLarge` for a control frame using the 16/64-bit form) | RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length"; §5.5 |
//! | reports a close frame with a disallowed code as `Close` (answering 1002) | rejects with 1002 | §7.4.1 / §7.4.2 and §5.5.1: the code must be a valid status code; both fail the connection, only the report differs |
//! | checks a frame only once its whole payload arrived | rejects at the header (RSV bits, opcode, mask bit, control length, frame/message size) | §5.2 and §5.1 let the receiver fail as soon as the violation is seen |
//! | checks UTF-8 per frame | rejects at the first byte no valid UTF-8 can continue with | §8.1: fail "when an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not", which sansws does as early as possible (Autobahn 6.x "fail fast") |
//! | rejects close code 1014 (reports `Close(1002)` and answers 1002) | accepts | §7.4.2 and the IANA close code registry (§11.7), which registered 1014 "Bad Gateway" after RFC 6455: sansws accepts the registered codes 1012–1014 (not a tungstenite leniency but a strictness; excused the same way) |
//!
//! The timing rows only excuse a sansws rejection inside the *last, incomplete* frame of the
//! input, where tungstenite is still waiting for bytes; on complete frames both must reject.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use sansws::conn::{Incoming, WebSocket};
use sansws::{Config, Connection, Instant, MessageKind, ProtocolError};
use tungstenite::protocol::{Role as TRole, WebSocketConfig};
use tungstenite::Message as TMessage;

use crate::conn::Got;

/// The frame and message size limits a selector byte picks (the same for both sides).
pub fn limits(selector: u8) -> (u64, u64) {
    const SIZES: [u64; 4] = [125, 1000, 0x1_0000, 16 << 20];
    (
        SIZES[usize::from(selector & 3)],
        SIZES[usize::from((selector >> 2) & 3)],
    )
}

/// A stream that yields the input, then `WouldBlock` (the peer is still connected), and
/// swallows writes.
#[derive(Debug)]
struct Stream(VecDeque<u8>);

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() && !buf.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.0.read(buf)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What one side made of the stream.
#[derive(Debug)]
struct Verdict<E> {
    got: Vec<Got>,
    /// `None`: accepted everything so far (maybe waiting for more).
    error: Option<E>,
}

fn sansws(input: &[u8], frame: u64, message: u64) -> Verdict<ProtocolError> {
    let mut config = Config::DEFAULT;
    config.max_frame_len = frame;
    config.max_message_len = message;
    config.ping_interval = None;
    let mut conn = Connection::server(config, Instant::ZERO);
    conn.upgraded(Instant::ZERO);
    let mut ws = WebSocket::new(conn);
    ws.handle_read(Instant::ZERO, input);
    let mut got = Vec::new();
    loop {
        match ws.poll_event() {
            Ok(Some(Incoming::Message(m))) => {
                got.push(Got::Message(m.kind(), m.payload().to_vec()))
            }
            Ok(Some(Incoming::Ping(p))) => got.push(Got::Ping(p.to_vec())),
            Ok(Some(Incoming::Pong(p))) => got.push(Got::Pong(p.to_vec())),
            Ok(Some(Incoming::Close { code, reason })) => got.push(Got::Close(
                code.map(|c| c.0),
                String::from_utf8(reason.to_vec()).unwrap(),
            )),
            Ok(Some(Incoming::Closed(_))) => {}
            Ok(None) => return Verdict { got, error: None },
            Err(err) => {
                return Verdict {
                    got,
                    error: Some(err),
                }
            }
        }
    }
}

fn tungstenite(input: &[u8], frame: u64, message: u64) -> Verdict<tungstenite::Error> {
    let config = WebSocketConfig::default()
        .max_frame_size(Some(frame as usize))
        .max_message_size(Some(message as usize));
    let stream = Stream(input.iter().copied().collect());
    let mut ws = tungstenite::WebSocket::from_raw_socket(stream, TRole::Server, Some(config));
    let mut got = Vec::new();
    loop {
        match ws.read() {
            Ok(TMessage::Text(t)) => {
                got.push(Got::Message(MessageKind::Text, t.as_bytes().to_vec()))
            }
            Ok(TMessage::Binary(b)) => got.push(Got::Message(MessageKind::Binary, b.to_vec())),
            Ok(TMessage::Ping(p)) => got.push(Got::Ping(p.to_vec())),
            Ok(TMessage::Pong(p)) => got.push(Got::Pong(p.to_vec())),
            Ok(TMessage::Close(c)) => {
                got.push(Got::Close(
                    c.as_ref().map(|c| u16::from(c.code)),
                    c.map(|c| c.reason.as_str().to_owned()).unwrap_or_default(),
                ));
                // After the peer's close nothing more is read (sansws discards it too).
                return Verdict { got, error: None };
            }
            Ok(TMessage::Frame(_)) => unreachable!("raw frames are never read"),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                return Verdict { got, error: None };
            }
            Err(err) => {
                return Verdict {
                    got,
                    error: Some(err),
                }
            }
        }
    }
}

/// The start of the first frame the input does not hold whole, if any, and whether any
/// frame holds a non-minimal length (parsed leniently, as tungstenite does).
fn scan(input: &[u8]) -> (Option<usize>, bool) {
    let mut at = 0;
    let mut nonminimal = false;
    while at < input.len() {
        let rest = &input[at..];
        if rest.len() < 2 {
            return (Some(at), nonminimal);
        }
        let (len, mut pos) = match rest[1] & 0x7F {
            126 if rest.len() >= 4 => (u64::from(u16::from_be_bytes([rest[2], rest[3]])), 4),
            127 if rest.len() >= 10 => {
                let mut b = [0; 8];
                b.copy_from_slice(&rest[2..10]);
                (u64::from_be_bytes(b), 10)
            }
            126 | 127 => return (Some(at), nonminimal),
            n => (u64::from(n), 2),
        };
        nonminimal |= (pos == 4 && len < 126) || (pos == 10 && len <= 0xFFFF);
        if rest[1] & 0x80 != 0 {
            pos += 4;
        }
        match usize::try_from(len).ok().and_then(|l| l.checked_add(pos)) {
            Some(end) if end <= rest.len() => at += end,
            _ => return (Some(at), nonminimal),
        }
    }
    (None, nonminimal)
}

/// Input: a limits byte ([`limits`]), then the bytes a client sends after the handshake.
///
/// Both servers report the same messages, and reject together, modulo the excused
/// leniencies in the [module docs](self).
pub fn differential(data: &[u8]) {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let (frame, message) = limits(selector);
    let mut ours = sansws(input, frame, message);
    for got in &mut ours.got {
        // tungstenite does not know 1014 (IANA's "Bad Gateway", registered after RFC 6455)
        // and reports it as a protocol violation; sansws accepts it (§7.4.2, §11.7).
        if matches!(got, Got::Close(Some(1014), _)) {
            *got = Got::Close(Some(1002), "Protocol violation".to_owned());
        }
    }
    let theirs = tungstenite(input, frame, message);
    let (incomplete_at, nonminimal) = scan(input);

    match (&ours.error, &theirs.error) {
        (None, None) => {
            // Both accepted: same messages (a trailing incomplete frame is pending in both).
            assert_eq!(ours.got, theirs.got, "both accepted, different messages");
        }
        (Some(_), Some(_)) => {
            // Both rejected. sansws may fail earlier, so it reports no more than tungstenite.
            assert!(
                theirs.got.starts_with(&ours.got) || ours.got.starts_with(&theirs.got),
                "both rejected after different messages: {:?} vs {:?}",
                ours.got,
                theirs.got
            );
        }
        (Some(err), None) => {
            // Fail-fast timing: sansws judged a frame tungstenite has not read whole yet.
            let timing = incomplete_at.is_some() && theirs.got.starts_with(&ours.got);
            let excused = timing
                || match err {
                    // §5.2: tungstenite accepts non-minimal lengths. A control frame announcing
                    // its (small) length in the 16- or 64-bit form is refused by sansws at the
                    // 7-bit length already (§5.5: control lengths are at most 125, so only the
                    // 7-bit form is minimal): the same leniency.
                    ProtocolError::NonMinimalLength | ProtocolError::ControlFrameTooLarge => {
                        nonminimal && theirs.got.starts_with(&ours.got)
                    }
                    // §7.4: tungstenite reports a forbidden code as a Close (and answers 1002).
                    ProtocolError::InvalidCloseCode(_) => {
                        matches!(theirs.got.last(), Some(Got::Close(Some(1002), r)) if r == "Protocol violation")
                    }
                    _ => false,
                };
            assert!(
                excused,
                "sansws rejected ({err:?}) a stream tungstenite accepted: {:?} vs {:?}",
                ours.got, theirs.got
            );
        }
        (None, Some(err)) => {
            panic!(
                "tungstenite rejected ({err}) a stream sansws accepted: {:?} vs {:?}",
                ours.got, theirs.got
            );
        }
    }
}
