//! Interop with tungstenite 0.30 as the peer, in both roles, over an in-memory duplex stream
//! driven step by step in one thread: the opening handshake both ways (with frames right
//! behind the HTTP head), text and binary messages from 0 B to 1 MiB both ways, fragmented
//! messages with control frames in between, ping/pong answered automatically by each side,
//! and the closing handshake started by either side.
//!
//! Every wait is bounded ([`MAX_STEPS`]); nothing sleeps or spins.

#![cfg(feature = "std")]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use core::cell::RefCell;
use std::io::{self, Read, Write};

use bytes::Bytes;
use sansws::conn::{Incoming, Message, WebSocket};
use sansws::entropy::os_entropy;
use sansws::handshake::{Accept, ClientRequest, Header, HeaderStorage, Limits, Request, Response};
use sansws::{CloseCause, CloseCode, Config, Connection, Instant, MessageKind, Role, Status};
use tungstenite::handshake::server::{ErrorResponse, Request as TRequest, Response as TResponse};
use tungstenite::handshake::{HandshakeError, HandshakeRole};
use tungstenite::http::HeaderValue;
use tungstenite::protocol::frame::coding::{CloseCode as TCloseCode, Data, OpCode};
use tungstenite::protocol::frame::{CloseFrame as TCloseFrame, Frame};
use tungstenite::Message as TMessage;

/// The most steps any wait takes before the test fails.
const MAX_STEPS: usize = 64;
/// Message sizes: empty, the largest 7-bit length, the smallest 16-bit length, 64 KiB (a
/// 64-bit length) and 1 MiB.
const SIZES: [usize; 5] = [0, 125, 126, 64 << 10, 1 << 20];
/// The sansws clock never moves: no timer fires during these tests.
const NOW: Instant = Instant::ZERO;

// ---------------------------------------------------------------------------------------
// The in-memory duplex stream.

/// One direction of the stream: bytes in flight, and whether the writer shut down.
#[derive(Debug, Default)]
struct Pipe {
    bytes: VecDeque<u8>,
    shut_down: bool,
}

/// One end of the duplex stream. Reading an empty pipe is `WouldBlock` until the other end
/// shuts down, then end of file; writes never block.
#[derive(Debug)]
struct End {
    rx: Rc<RefCell<Pipe>>,
    tx: Rc<RefCell<Pipe>>,
}

impl End {
    /// Shuts the write half down: the other end reads end of file once it has read the rest.
    fn shut_down(&self) {
        self.tx.borrow_mut().shut_down = true;
    }

    /// Everything that has arrived so far.
    fn read_available(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(self.rx.borrow_mut().bytes.drain(..));
        out
    }
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut pipe = self.rx.borrow_mut();
        if pipe.bytes.is_empty() && !pipe.shut_down && !buf.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        pipe.bytes.read(buf)
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut pipe = self.tx.borrow_mut();
        if pipe.shut_down {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        pipe.bytes.extend(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Two connected ends.
fn duplex() -> (End, End) {
    let (a_to_b, b_to_a) = (Rc::default(), Rc::default());
    let a = End {
        rx: Rc::clone(&b_to_a),
        tx: Rc::clone(&a_to_b),
    };
    let b = End {
        rx: a_to_b,
        tx: b_to_a,
    };
    (a, b)
}

// ---------------------------------------------------------------------------------------
// The two peers.

type Tung = tungstenite::WebSocket<End>;

/// The sansws end: a buffered `WebSocket` on one end of the stream.
#[derive(Debug)]
struct Sans {
    ws: WebSocket,
    io: End,
    /// Events polled but not yet looked at.
    events: VecDeque<Incoming>,
    eof: bool,
}

impl Sans {
    /// An upgraded connection, fed the bytes that came in behind the HTTP head.
    fn new(mut conn: Connection, io: End, past_head: &[u8]) -> Self {
        conn.upgraded(NOW);
        let mut ws = WebSocket::new(conn);
        ws.handle_read(NOW, past_head);
        Sans {
            ws,
            io,
            events: VecDeque::new(),
            eof: false,
        }
    }

    /// Writes everything queued.
    fn flush(&mut self) {
        let mut written = 0;
        for chunk in self.ws.transmit_chunks() {
            self.io.write_all(chunk).expect("write");
            written += chunk.len();
        }
        self.ws.advance_transmit(written);
        assert_eq!(self.ws.queued_len(), 0);
    }

    /// Reads what has arrived, polls every event, writes the answers; once closed and
    /// drained, shuts the transport down (as a server must first, RFC 6455 §7.1.1).
    fn step(&mut self) {
        let mut buf = [0; 16 << 10];
        while !self.eof {
            match self.io.read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    self.ws.handle_eof();
                }
                Ok(n) => self.ws.handle_read(NOW, &buf[..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) => panic!("read: {err}"),
            }
        }
        while let Some(event) = self.ws.poll_event().expect("no protocol error") {
            self.events.push_back(event);
        }
        self.flush();
        if self.ws.connection().is_closed() && !self.io.tx.borrow().shut_down {
            self.io.shut_down();
        }
    }

    /// The next event, stepping until there is one.
    fn recv(&mut self) -> Incoming {
        for _ in 0..MAX_STEPS {
            if let Some(event) = self.events.pop_front() {
                return event;
            }
            self.step();
        }
        panic!("sansws received nothing in {MAX_STEPS} steps");
    }

    /// Asserts nothing more is reported.
    fn assert_quiet(&mut self) {
        self.step();
        assert_eq!(self.events.pop_front(), None, "unexpected sansws event");
    }
}

/// tungstenite's next message (or error), stepping sansws while tungstenite would block.
fn tung_recv(t: &mut Tung, sans: &mut Sans) -> tungstenite::Result<TMessage> {
    for _ in 0..MAX_STEPS {
        match t.read() {
            Err(tungstenite::Error::Io(err)) if err.kind() == io::ErrorKind::WouldBlock => {
                sans.step();
            }
            other => return other,
        }
    }
    panic!("tungstenite received nothing in {MAX_STEPS} steps");
}

/// tungstenite's next message, which must be one.
fn tung_message(t: &mut Tung, sans: &mut Sans) -> TMessage {
    tung_recv(t, sans).unwrap_or_else(|err| panic!("tungstenite: {err}"))
}

/// Drives a tungstenite handshake to its end, running `peer` whenever it would block.
fn finish_handshake<R: HandshakeRole>(
    mut result: Result<R::FinalResult, HandshakeError<R>>,
    mut peer: impl FnMut(),
) -> R::FinalResult {
    for _ in 0..MAX_STEPS {
        match result {
            Ok(done) => return done,
            Err(HandshakeError::Interrupted(mid)) => {
                peer();
                result = mid.handshake();
            }
            Err(HandshakeError::Failure(err)) => panic!("tungstenite handshake: {err}"),
        }
    }
    panic!("handshake unfinished after {MAX_STEPS} steps");
}

/// sansws as the server: `Request::parse` + `write_accept` against `tungstenite::client`, with a
/// text message in the same write as the 101.
fn sansws_server(config: Config) -> (Sans, Tung) {
    let (tung_end, mut sans_end) = duplex();
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(
        "ws://localhost:9001/chat?room=1",
    )
    .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("superchat, chat"),
    );
    let started = tungstenite::client(request, tung_end);

    // The request is written before tungstenite blocks on the answer.
    let Err(HandshakeError::Interrupted(mid)) = started else {
        panic!("tungstenite should wait for the answer");
    };
    let received = sans_end.read_available();
    // Every proper prefix is an incomplete head.
    for end in 0..received.len() {
        let mut storage: HeaderStorage = HeaderStorage::new();
        let parsed = Request::parse(&received[..end], &mut storage, &Limits::DEFAULT);
        assert!(
            matches!(parsed, Ok(Status::Incomplete { .. })),
            "{end}: {parsed:?}"
        );
    }
    let mut storage: HeaderStorage = HeaderStorage::new();
    let Ok(Status::Complete((request, head_len))) =
        Request::parse(&received, &mut storage, &Limits::DEFAULT)
    else {
        panic!("request refused: {:?}", String::from_utf8_lossy(&received));
    };
    assert_eq!(head_len, received.len(), "nothing follows the request head");
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.query(), Some("room=1"));
    assert_eq!(request.host(), "localhost:9001");
    let offered: Vec<&str> = request.subprotocols().collect();
    assert_eq!(offered, ["superchat", "chat"]);
    let mut answer = [0; 512];
    let n = request
        .write_accept(&Accept::new().subprotocol("chat"), &mut answer)
        .unwrap();

    let mut sans = Sans::new(
        Connection::server(config, NOW),
        sans_end,
        &received[head_len..],
    );
    sans.io.write_all(&answer[..n]).unwrap();
    sans.ws.send_text("right behind the 101").unwrap();
    sans.flush();

    let (mut t, response) = finish_handshake(Err(HandshakeError::Interrupted(mid)), || {});
    assert_eq!(response.status(), 101);
    assert_eq!(
        response.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "chat"
    );
    let first = tung_message(&mut t, &mut sans);
    assert_eq!(first, TMessage::text("right behind the 101"));
    (sans, t)
}

/// sansws as the client: `ClientRequest::write` + `check_response` against
/// `tungstenite::accept_hdr`, which sends a text message right behind its 101.
fn sansws_client(config: Config) -> (Sans, Tung) {
    let (mut sans_end, tung_end) = duplex();
    let mut nonce = [0; 16];
    os_entropy(&mut nonce);
    let mut request = [0; 512];
    let origin = [Header::new("Origin", b"http://localhost")];
    let (n, handshake) = ClientRequest::new("localhost:9001", "/chat?room=1")
        .subprotocols(&["superchat", "chat"])
        .headers(&origin)
        .write(nonce, &mut request)
        .unwrap();
    sans_end.write_all(&request[..n]).unwrap();

    #[allow(clippy::result_large_err)] // tungstenite's callback signature
    let callback = |req: &TRequest, mut res: TResponse| -> Result<TResponse, ErrorResponse> {
        assert_eq!(req.uri().path(), "/chat");
        assert_eq!(req.uri().query(), Some("room=1"));
        assert_eq!(req.headers().get("Host").unwrap(), "localhost:9001");
        assert_eq!(req.headers().get("Origin").unwrap(), "http://localhost");
        let offered = req.headers().get("Sec-WebSocket-Protocol").unwrap();
        assert_eq!(offered, "superchat, chat");
        res.headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("chat"));
        Ok(res)
    };
    let mut t = finish_handshake(tungstenite::accept_hdr(tung_end, callback), || {});
    t.send(TMessage::text("right behind the 101")).unwrap();

    let received = sans_end.read_available();
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    for end in 0..head_end {
        let mut storage: HeaderStorage = HeaderStorage::new();
        let checked = handshake.check_response(&received[..end], &mut storage, &Limits::DEFAULT);
        assert!(
            matches!(checked, Ok(Status::Incomplete { .. })),
            "{end}: {checked:?}"
        );
    }
    let mut storage: HeaderStorage = HeaderStorage::new();
    let head_len = match handshake.check_response(&received, &mut storage, &Limits::DEFAULT) {
        Ok(Status::Complete((Response::Upgraded(upgraded), head_len))) => {
            assert_eq!(upgraded.subprotocol(), Some("chat"));
            assert_eq!(upgraded.extensions().count(), 0);
            head_len
        }
        other => panic!("answer refused: {other:?}"),
    };
    assert_eq!(head_len, head_end);
    assert!(head_len < received.len(), "the frame follows the head");
    let client = Connection::client(config, os_entropy, NOW);
    let mut sans = Sans::new(client, sans_end, &received[head_len..]);
    assert_eq!(
        sans.recv(),
        Incoming::Message(Message::text("right behind the 101"))
    );
    (sans, t)
}

/// A connected pair where sansws has `role`.
fn connect_with(role: Role, config: Config) -> (Sans, Tung) {
    match role {
        Role::Server => sansws_server(config),
        Role::Client => sansws_client(config),
    }
}

fn connect(role: Role) -> (Sans, Tung) {
    connect_with(role, Config::default())
}

const ROLES: [Role; 2] = [Role::Server, Role::Client];

// ---------------------------------------------------------------------------------------
// Payloads and checks.

/// `len` bytes of UTF-8 mixing 1- to 4-byte characters.
fn text_of(len: usize) -> String {
    let mut text = String::with_capacity(len);
    for c in "ascii é € 𝄞 ".chars().cycle() {
        if text.len() + c.len_utf8() > len {
            break;
        }
        text.push(c);
    }
    while text.len() < len {
        text.push('x');
    }
    text
}

/// `len` bytes covering every byte value.
fn binary_of(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

/// Compares without printing megabytes on failure.
fn assert_same(got: &[u8], expected: &[u8], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: length");
    let first_diff = got.iter().zip(expected).position(|(a, b)| a != b);
    assert_eq!(first_diff, None, "{what}: first differing byte");
}

fn sans_message(sans: &mut Sans) -> Message {
    match sans.recv() {
        Incoming::Message(message) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// The tests.

#[test]
fn handshake_sansws_server_with_tungstenite_client() {
    let (mut sans, mut t) = sansws_server(Config::default());
    // Both ways work right after the upgrade.
    t.send(TMessage::text("hi server")).unwrap();
    assert_eq!(sans.recv(), Incoming::Message(Message::text("hi server")));
    sans.ws.send_text("hi client").unwrap();
    sans.flush();
    assert_eq!(tung_message(&mut t, &mut sans), TMessage::text("hi client"));
    sans.assert_quiet();
}

#[test]
fn handshake_sansws_client_with_tungstenite_server() {
    let (mut sans, mut t) = sansws_client(Config::default());
    t.send(TMessage::text("hi client")).unwrap();
    assert_eq!(sans.recv(), Incoming::Message(Message::text("hi client")));
    sans.ws.send_text("hi server").unwrap();
    sans.flush();
    assert_eq!(tung_message(&mut t, &mut sans), TMessage::text("hi server"));
    sans.assert_quiet();
}

#[test]
fn text_and_binary_messages_of_every_size_both_ways() {
    for role in ROLES {
        let (mut sans, mut t) = connect(role);
        for len in SIZES {
            let text = text_of(len);
            let data = binary_of(len);
            let what = |dir: &str, kind: &str| format!("sansws {role:?}, {dir}, {kind} {len} B");

            // sansws → tungstenite
            sans.ws.send_text(&text).unwrap();
            sans.ws.send_binary(data.clone()).unwrap();
            sans.flush();
            match tung_message(&mut t, &mut sans) {
                TMessage::Text(got) => {
                    assert_same(got.as_bytes(), text.as_bytes(), &what("out", "text"))
                }
                other => panic!("{}: got {other:?}", what("out", "text")),
            }
            match tung_message(&mut t, &mut sans) {
                TMessage::Binary(got) => assert_same(&got, &data, &what("out", "binary")),
                other => panic!("{}: got {other:?}", what("out", "binary")),
            }

            // tungstenite → sansws
            t.send(TMessage::text(text.clone())).unwrap();
            t.send(TMessage::binary(data.clone())).unwrap();
            let got = sans_message(&mut sans);
            assert_eq!(got.kind(), MessageKind::Text, "{}", what("in", "text"));
            assert_same(got.payload(), text.as_bytes(), &what("in", "text"));
            let got = sans_message(&mut sans);
            assert_eq!(got.kind(), MessageKind::Binary, "{}", what("in", "binary"));
            assert_same(got.payload(), &data, &what("in", "binary"));
        }
        sans.assert_quiet();
    }
}

#[test]
fn sansws_fragments_reach_tungstenite_whole() {
    for role in ROLES {
        let (mut sans, mut t) = connect(role);
        // "Hello €" in four fragments, one empty, the € split across the last two, and a
        // ping between fragments.
        let euro = "€".as_bytes();
        sans.ws
            .send_fragment(MessageKind::Text, Bytes::from_static(b"Hel"), false)
            .unwrap();
        sans.ws
            .send_fragment(MessageKind::Text, Bytes::new(), false)
            .unwrap();
        sans.ws.ping(b"between").unwrap();
        let middle = [b'l', b'o', b' ', euro[0]];
        sans.ws
            .send_fragment(MessageKind::Text, middle.to_vec(), false)
            .unwrap();
        sans.ws
            .send_fragment(MessageKind::Text, euro[1..].to_vec(), true)
            .unwrap();
        sans.flush();
        assert_eq!(
            tung_message(&mut t, &mut sans),
            TMessage::Ping(Bytes::from_static(b"between"))
        );
        assert_eq!(tung_message(&mut t, &mut sans), TMessage::text("Hello €"));
        t.flush().unwrap(); // the automatic pong
        assert_eq!(sans.recv(), Incoming::Pong(Bytes::from_static(b"between")));

        // A binary message streamed in uneven pieces.
        let data = binary_of(200_000);
        for (i, piece) in data.chunks(70_000).enumerate() {
            let last = (i + 1) * 70_000 >= data.len();
            sans.ws
                .send_fragment(MessageKind::Binary, piece.to_vec(), last)
                .unwrap();
        }
        sans.flush();
        match tung_message(&mut t, &mut sans) {
            TMessage::Binary(got) => assert_same(&got, &data, "streamed binary"),
            other => panic!("got {other:?}"),
        }
        sans.assert_quiet();
    }
}

#[test]
fn sansws_splits_long_messages_into_frames_tungstenite_joins() {
    let config = Config {
        max_send_frame_len: 1000,
        ..Config::default()
    };
    for role in ROLES {
        let (mut sans, mut t) = connect_with(role, config);
        for len in [1001, 64 << 10, 1 << 20] {
            let text = text_of(len);
            sans.ws.send_text(&text).unwrap();
            sans.flush();
            match tung_message(&mut t, &mut sans) {
                TMessage::Text(got) => assert_same(got.as_bytes(), text.as_bytes(), "split text"),
                other => panic!("got {other:?}"),
            }
        }
    }
}

#[test]
fn tungstenite_fragments_reach_sansws_whole() {
    for role in ROLES {
        let (mut sans, mut t) = connect(role);
        let euro = "€".as_bytes();
        let text = OpCode::Data(Data::Text);
        let cont = OpCode::Data(Data::Continue);
        let frame =
            |data: &[u8], opcode, fin| TMessage::Frame(Frame::message(data.to_vec(), opcode, fin));
        t.write(frame(b"Hel", text, false)).unwrap();
        t.write(frame(b"", cont, false)).unwrap();
        t.write(TMessage::Ping(Bytes::from_static(b"between")))
            .unwrap();
        t.write(frame(&[b'l', b'o', b' ', euro[0]], cont, false))
            .unwrap();
        t.write(frame(&euro[1..], cont, true)).unwrap();
        t.flush().unwrap();
        assert_eq!(sans.recv(), Incoming::Ping(Bytes::from_static(b"between")));
        assert_eq!(sans.recv(), Incoming::Message(Message::text("Hello €")));
        assert_eq!(
            tung_message(&mut t, &mut sans),
            TMessage::Pong(Bytes::from_static(b"between"))
        );

        let data = binary_of(200_000);
        let pieces: Vec<&[u8]> = data.chunks(70_000).collect();
        for (i, piece) in pieces.iter().enumerate() {
            let opcode = if i == 0 {
                OpCode::Data(Data::Binary)
            } else {
                cont
            };
            t.write(frame(piece, opcode, i + 1 == pieces.len()))
                .unwrap();
        }
        t.flush().unwrap();
        let got = sans_message(&mut sans);
        assert_eq!(got.kind(), MessageKind::Binary);
        assert_same(got.payload(), &data, "streamed binary");
        sans.assert_quiet();
    }
}

#[test]
fn pings_are_answered_automatically_both_ways() {
    for role in ROLES {
        let (mut sans, mut t) = connect(role);
        for payload in [&b""[..], b"sansws ping", &[0xA5; 125]] {
            // sansws pings, tungstenite answers.
            sans.ws.ping(payload).unwrap();
            sans.flush();
            let ping = tung_message(&mut t, &mut sans);
            assert_eq!(ping, TMessage::Ping(Bytes::copy_from_slice(payload)));
            t.flush().unwrap();
            assert_eq!(sans.recv(), Incoming::Pong(Bytes::copy_from_slice(payload)));

            // tungstenite pings, sansws answers.
            t.send(TMessage::Ping(Bytes::copy_from_slice(payload)))
                .unwrap();
            assert_eq!(sans.recv(), Incoming::Ping(Bytes::copy_from_slice(payload)));
            let pong = tung_message(&mut t, &mut sans);
            assert_eq!(pong, TMessage::Pong(Bytes::copy_from_slice(payload)));
        }
        // An unsolicited pong from each side is reported and not answered.
        sans.ws.pong(b"heartbeat").unwrap();
        sans.flush();
        let pong = tung_message(&mut t, &mut sans);
        assert_eq!(pong, TMessage::Pong(Bytes::from_static(b"heartbeat")));
        t.send(TMessage::Pong(Bytes::from_static(b"beat"))).unwrap();
        assert_eq!(sans.recv(), Incoming::Pong(Bytes::from_static(b"beat")));
        sans.assert_quiet();
    }
}

#[test]
fn close_started_by_sansws() {
    for role in ROLES {
        let (mut sans, mut t) = connect(role);
        sans.ws
            .close(NOW, CloseCode::GOING_AWAY, "bye now")
            .unwrap();
        sans.flush();
        match tung_message(&mut t, &mut sans) {
            TMessage::Close(Some(frame)) => {
                assert_eq!(u16::from(frame.code), 1001);
                assert_eq!(frame.reason.as_str(), "bye now");
            }
            other => panic!("sansws {role:?}: expected a close, got {other:?}"),
        }
        // tungstenite echoes the close; sansws then shuts the stream down, tungstenite ends.
        let end = tung_recv(&mut t, &mut sans);
        assert!(
            matches!(end, Err(tungstenite::Error::ConnectionClosed)),
            "sansws {role:?}: {end:?}"
        );
        assert_eq!(
            sans.recv(),
            Incoming::Close {
                code: Some(CloseCode::GOING_AWAY),
                reason: Bytes::from_static(b"bye now"),
            }
        );
        assert_eq!(
            sans.recv(),
            Incoming::Closed(CloseCause::Handshake {
                peer_code: CloseCode::GOING_AWAY,
                initiated_locally: true,
            })
        );
        t.get_ref().shut_down();
        sans.assert_quiet();
        assert!(sans.ws.connection().is_closed());
        assert!(!t.can_read() && !t.can_write());
    }
}

#[test]
fn close_started_by_tungstenite() {
    for role in ROLES {
        for (code, reason) in [(Some(4321), "done here"), (Some(1000), ""), (None, "")] {
            let (mut sans, mut t) = connect(role);
            let frame = code.map(|code| TCloseFrame {
                code: TCloseCode::from(code),
                reason: reason.into(),
            });
            t.close(frame).unwrap();
            let code = code.map(CloseCode);
            assert_eq!(
                sans.recv(),
                Incoming::Close {
                    code,
                    reason: Bytes::from_static(reason.as_bytes()),
                }
            );
            assert_eq!(
                sans.recv(),
                Incoming::Closed(CloseCause::Handshake {
                    peer_code: code.unwrap_or(CloseCode::NO_STATUS_RECEIVED),
                    initiated_locally: false,
                })
            );
            // sansws echoed the code (1000 for a close without one) and shut down.
            match tung_message(&mut t, &mut sans) {
                TMessage::Close(Some(echo)) => {
                    let expected = code.unwrap_or(CloseCode::NORMAL);
                    assert_eq!(u16::from(echo.code), expected.0, "sansws {role:?}");
                }
                other => panic!("sansws {role:?}: expected the echo, got {other:?}"),
            }
            let end = tung_recv(&mut t, &mut sans);
            assert!(
                matches!(end, Err(tungstenite::Error::ConnectionClosed)),
                "sansws {role:?}: {end:?}"
            );
            sans.assert_quiet();
            assert!(sans.ws.send_text("late").is_err());
        }
    }
}
