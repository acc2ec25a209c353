//! Helpers shared by the mio adapter's integration tests: a server loop on its own thread
//! that stops when dropped, a client loop driven on the test's thread, a handler that reports
//! every callback, and a raw blocking TCP peer that speaks the upgrade and the frame format
//! by hand. Every wait is bounded.

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sansws_mio::sansws::handshake::{AcceptKey, Request};
use sansws_mio::sansws::{CloseCause, CloseCode, MessageKind, SendError};
use sansws_mio::{
    ClientOptions, Conn, ConnId, Error, EventLoop, Handler, Message, Options, Upgrade,
};

/// The longest any single wait in these tests may take.
pub const LIMIT: Duration = Duration::from_secs(10);

/// One callback, as the [`Recorder`] saw it.
#[derive(Debug)]
pub enum Seen {
    Open(ConnId),
    Message(ConnId, MessageKind, Vec<u8>),
    Ping(ConnId, Vec<u8>),
    Pong(ConnId, Vec<u8>),
    Close(ConnId, CloseCause),
    Error(ConnId, Error),
    /// What permessage-deflate the upgrade agreed on, reported just before `Open` when the
    /// recorder's `report_agreed` is set.
    #[cfg(feature = "deflate")]
    Agreed(ConnId, Option<sansws_mio::DeflateParams>),
}

/// Server options with permessage-deflate off (when built in), for tests about frames and
/// the transport: compressed, a payload would not have the length the test chose.
pub fn uncompressed() -> Options {
    Options {
        #[cfg(feature = "deflate")]
        deflate: None,
        ..Options::default()
    }
}

/// Client options with permessage-deflate off; see [`uncompressed`].
pub fn uncompressed_client() -> ClientOptions {
    ClientOptions {
        #[cfg(feature = "deflate")]
        deflate: None,
        ..ClientOptions::default()
    }
}

/// A handler that reports every callback on a channel and, if asked, echoes messages and
/// closes on request.
#[derive(Debug)]
pub struct Recorder {
    events: Sender<Seen>,
    /// Echo every message back.
    pub echo: bool,
    /// Report each message (a load test turns this off and counts instead).
    pub report_messages: bool,
    /// Decides upgrades (server side).
    pub upgrade: fn(&Request<'_, '_>) -> Upgrade<'static>,
    /// A text message equal to this makes the handler close with `CloseCode(4001)`.
    pub close_on: Option<&'static str>,
    /// Messages received.
    pub messages: u64,
    /// Sends refused with `SendError::QueueFull`.
    pub queue_full: u64,
    /// Report `Seen::Agreed` on open.
    pub report_agreed: bool,
}

impl Recorder {
    pub fn new() -> (Self, Receiver<Seen>) {
        let (events, rx) = mpsc::channel();
        let recorder = Recorder {
            events,
            echo: false,
            report_messages: true,
            upgrade: |_| Upgrade::Accept(None),
            close_on: None,
            messages: 0,
            queue_full: 0,
            report_agreed: false,
        };
        (recorder, rx)
    }

    pub fn echo() -> (Self, Receiver<Seen>) {
        let (mut recorder, rx) = Recorder::new();
        recorder.echo = true;
        (recorder, rx)
    }

    fn report(&self, seen: Seen) {
        // The receiver may be gone at the end of a test.
        let _ = self.events.send(seen);
    }
}

impl Handler for Recorder {
    fn on_upgrade(&mut self, request: &Request<'_, '_>) -> Upgrade<'static> {
        (self.upgrade)(request)
    }

    fn on_open(&mut self, conn: &mut Conn<'_>) {
        #[cfg(feature = "deflate")]
        if self.report_agreed {
            let agreed = conn.connection().deflate_params();
            self.report(Seen::Agreed(conn.id(), agreed));
        }
        self.report(Seen::Open(conn.id()));
    }

    fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>) {
        self.messages += 1;
        if self.close_on.is_some() && message.text() == self.close_on {
            conn.close(CloseCode(4001), "asked to")
                .expect("close while open");
        } else if self.echo {
            match conn.send(message.kind, message.payload) {
                Ok(()) => {}
                Err(SendError::QueueFull) => self.queue_full += 1,
                // We are closing: data frames are over.
                Err(SendError::Closed) => {}
                Err(err) => panic!("echo refused: {err:?}"),
            }
        }
        if self.report_messages {
            let payload = message.payload.to_vec();
            self.report(Seen::Message(conn.id(), message.kind, payload));
        }
    }

    fn on_ping(&mut self, conn: &mut Conn<'_>, payload: &[u8]) {
        self.report(Seen::Ping(conn.id(), payload.to_vec()));
    }

    fn on_pong(&mut self, conn: &mut Conn<'_>, payload: &[u8]) {
        self.report(Seen::Pong(conn.id(), payload.to_vec()));
    }

    fn on_close(&mut self, id: ConnId, cause: CloseCause) {
        self.report(Seen::Close(id, cause));
    }

    fn on_error(&mut self, id: ConnId, error: Error) {
        self.report(Seen::Error(id, error));
    }
}

/// Waits (at most `limit`) for an event matching `pred`, skipping others.
pub fn wait_for(rx: &Receiver<Seen>, limit: Duration, pred: impl Fn(&Seen) -> bool) -> Seen {
    let deadline = Instant::now() + limit;
    let mut skipped = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(seen) if pred(&seen) => return seen,
            Ok(seen) => skipped.push(seen),
            Err(RecvTimeoutError::Timeout) => {
                panic!("no matching event within {limit:?}; saw {skipped:?}")
            }
            Err(RecvTimeoutError::Disconnected) => panic!("the loop is gone; saw {skipped:?}"),
        }
    }
}

/// A command run on a server loop's thread between turns.
type Command<H> = Box<dyn FnOnce(&mut EventLoop<H>) + Send>;

/// A server event loop on its own thread, on a free loopback port; stopped and joined when
/// dropped.
pub struct Server<H: Handler + Send + 'static> {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    commands: Option<Sender<Command<H>>>,
    thread: Option<JoinHandle<()>>,
}

impl<H: Handler + Send + 'static> Server<H> {
    pub fn start(handler: H, options: Options) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let (commands, incoming) = mpsc::channel::<Command<H>>();
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("server-loop".into())
            .spawn(move || {
                let mut event_loop = EventLoop::new(handler, options).expect("event loop");
                event_loop
                    .listen(mio::net::TcpListener::from_std(listener))
                    .expect("listen");
                while !stopped.load(Ordering::Relaxed) {
                    event_loop
                        .turn(Some(Duration::from_millis(5)))
                        .expect("turn");
                    for command in incoming.try_iter() {
                        command(&mut event_loop);
                    }
                }
            })
            .expect("spawn the server loop");
        Server {
            addr,
            stop,
            commands: Some(commands),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// Runs `f` on the loop's thread (between turns) and returns its result.
    pub fn exec<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut EventLoop<H>) -> R + Send + 'static,
    ) -> R {
        let (tx, rx) = mpsc::channel();
        let command: Command<H> = Box::new(move |event_loop| {
            let _ = tx.send(f(event_loop));
        });
        self.commands
            .as_ref()
            .expect("running")
            .send(command)
            .expect("the server loop is gone");
        rx.recv_timeout(LIMIT).expect("the server loop answers")
    }
}

impl<H: Handler + Send + 'static> Drop for Server<H> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.commands = None;
        if let Some(thread) = self.thread.take() {
            let joined = thread.join();
            if joined.is_err() && !std::thread::panicking() {
                panic!("the server loop panicked");
            }
        }
    }
}

/// A client event loop driven on the test's thread, with a [`Recorder`].
pub struct Client {
    pub event_loop: EventLoop<Recorder>,
    pub events: Receiver<Seen>,
}

impl Client {
    pub fn new(options: Options) -> Self {
        let (recorder, events) = Recorder::new();
        Client {
            event_loop: EventLoop::new(recorder, options).expect("event loop"),
            events,
        }
    }

    /// Connects and waits for the upgrade.
    pub fn open(&mut self, url: &str) -> ConnId {
        self.open_with(url, &ClientOptions::default())
    }

    /// Connects with `options` and waits for the upgrade.
    pub fn open_with(&mut self, url: &str, options: &ClientOptions) -> ConnId {
        let id = self.event_loop.connect_with(url, options).expect("connect");
        match self.wait(|seen| matches!(seen, Seen::Open(_) | Seen::Error(..))) {
            Seen::Open(open) => assert_eq!(open, id),
            other => panic!("the upgrade failed: {other:?}"),
        }
        id
    }

    /// Turns the loop until an event matching `pred` arrives (at most [`LIMIT`]).
    pub fn wait(&mut self, pred: impl Fn(&Seen) -> bool) -> Seen {
        self.wait_within(LIMIT, pred)
    }

    pub fn wait_within(&mut self, limit: Duration, pred: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = Instant::now() + limit;
        let mut skipped = Vec::new();
        loop {
            for seen in self.events.try_iter() {
                if pred(&seen) {
                    return seen;
                }
                skipped.push(seen);
            }
            let now = Instant::now();
            assert!(
                now < deadline,
                "no matching event within {limit:?}; saw {skipped:?}"
            );
            self.turn(deadline - now);
        }
    }

    /// Turns the loop for `duration`, returning every event seen meanwhile.
    pub fn idle(&mut self, duration: Duration) -> Vec<Seen> {
        let deadline = Instant::now() + duration;
        let mut seen = Vec::new();
        loop {
            seen.extend(self.events.try_iter());
            let now = Instant::now();
            if now >= deadline {
                return seen;
            }
            self.turn(deadline - now);
        }
    }

    fn turn(&mut self, left: Duration) {
        self.event_loop
            .turn(Some(left.min(Duration::from_millis(20))))
            .expect("turn");
    }

    /// Sends on an open connection.
    pub fn send(&mut self, id: ConnId, kind: MessageKind, payload: &[u8]) {
        self.event_loop
            .with_conn(id, |conn| conn.send(kind, payload))
            .expect("connection open")
            .expect("send");
    }

    /// The next message (skipping pings and pongs); panics on anything else.
    pub fn recv(&mut self) -> (ConnId, MessageKind, Vec<u8>) {
        match self.wait(|seen| !matches!(seen, Seen::Ping(..) | Seen::Pong(..))) {
            Seen::Message(id, kind, payload) => (id, kind, payload),
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// `len` bytes of a pattern that differs from byte to byte and from seed to seed.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect()
}

/// `len` bytes of valid UTF-8 mixing one-, two- and three-byte characters.
pub fn text(len: usize, seed: u8) -> String {
    let mut out = String::with_capacity(len);
    let mut i = usize::from(seed);
    while out.len() < len {
        let room = len - out.len();
        out.push(match i % 7 {
            0 if room >= 3 => '€',
            3 if room >= 2 => 'ß',
            _ => char::from(b'A' + (i % 26) as u8),
        });
        i += 1;
    }
    out
}

/// `len` bytes of JSON-like records (repeated keys, varying values): text that compresses
/// the way real traffic does.
pub fn json_text(len: usize, seed: u32) -> String {
    let mut out = String::with_capacity(len + 128);
    let mut i = seed;
    while out.len() < len {
        let score = i.wrapping_mul(2_654_435_761) % 1000;
        out.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"tags\":[\"a{}\",\"b\"],\"score\":{score}}}\n",
            i % 37,
            i % 11,
        ));
        i = i.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// A masked client frame: `first` is FIN/RSV/opcode.
pub fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x12, 0x34, 0x56, 0x78];
    let mut frame = vec![first];
    let len = payload.len();
    if len < 126 {
        frame.push(0x80 | len as u8);
    } else if len <= 0xFFFF {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        frame.push(0x80 | 127);
        frame.extend_from_slice(&(len as u64).to_be_bytes());
    }
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
    frame
}

/// Writes `bytes` in pieces of varied sizes, pausing now and then so the server sees them
/// in many reads.
pub fn write_in_pieces(peer: &mut RawPeer, bytes: &[u8]) {
    let sizes = [
        1, 13, 1000, 4096, 70_000, 333_333, 7, 200_000, 65_536, 1_048_577,
    ];
    let mut at = 0;
    for (i, size) in sizes.iter().cycle().enumerate() {
        if at == bytes.len() {
            break;
        }
        let end = (at + size).min(bytes.len());
        peer.write(&bytes[at..end]);
        at = end;
        if i % 3 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// A blocking TCP peer driven by hand, every read bounded by a timeout.
#[derive(Debug)]
pub struct RawPeer {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

impl RawPeer {
    pub fn connect(addr: SocketAddr) -> Self {
        RawPeer::new(TcpStream::connect_timeout(&addr, LIMIT).expect("connect"))
    }

    /// A peer on an accepted (or connected) stream, its reads and writes bounded.
    pub fn new(stream: TcpStream) -> Self {
        stream.set_read_timeout(Some(LIMIT)).expect("read timeout");
        stream
            .set_write_timeout(Some(LIMIT))
            .expect("write timeout");
        stream.set_nodelay(true).expect("nodelay");
        RawPeer {
            stream,
            buf: Vec::new(),
        }
    }

    /// Connects and upgrades by hand (with `extra` header lines), checking the 101 and its
    /// accept key; returns the peer and the response head.
    pub fn upgrade(addr: SocketAddr, extra: &str) -> (Self, String) {
        let mut peer = RawPeer::connect(addr);
        let key = "x3JJHMbDL1EzLkh9GBhXDw==";
        peer.write(
            format!(
                "GET /raw HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n\
                 Sec-WebSocket-Version: 13\r\n{extra}\r\n"
            )
            .as_bytes(),
        );
        let head = peer.read_head().expect("a response head");
        assert!(head.starts_with("HTTP/1.1 101"), "not upgraded: {head}");
        let accept = AcceptKey::from_key(key.as_bytes());
        assert_eq!(header(&head, "sec-websocket-accept"), Some(accept.as_str()));
        (peer, head)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("raw write");
    }

    /// Reads more; `false` at end of stream or on a reset (a timeout panics).
    fn fill(&mut self) -> bool {
        let mut chunk = [0; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(err) if is_timeout(&err) => panic!("raw read timed out"),
            Err(_) => false,
        }
    }

    /// Reads an HTTP head through its blank line; `None` if the stream ends first.
    pub fn read_head(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return Some(String::from_utf8(head).expect("ASCII head"));
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// Reads one unmasked server frame: (FIN/RSV/opcode byte, payload); `None` at the end.
    pub fn read_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if let Some((first, payload, used)) = parse_server_frame(&self.buf) {
                self.buf.drain(..used);
                return Some((first, payload));
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// Reads one masked client frame: (FIN/RSV/opcode byte, unmasked payload); `None` at the
    /// end.
    pub fn read_client_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if let Some((first, payload, used)) = parse_client_frame(&self.buf) {
                self.buf.drain(..used);
                return Some((first, payload));
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// Server side: answers the request `head` with a 101 (and `extra` header lines).
    pub fn answer_upgrade(&mut self, head: &str, extra: &str) {
        let key = header(head, "sec-websocket-key").expect("a key");
        let accept = AcceptKey::from_key(key.as_bytes());
        self.write(
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n{extra}\r\n",
                accept.as_str()
            )
            .as_bytes(),
        );
    }

    /// Reads until the peer ends the stream (at most [`LIMIT`]).
    pub fn read_to_end(&mut self) -> Vec<u8> {
        while self.fill() {}
        core::mem::take(&mut self.buf)
    }
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Parses one unmasked server frame from the front of `buf`: (FIN/RSV/opcode byte, payload,
/// bytes used).
pub fn parse_server_frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let second = *buf.get(1)?;
    assert_eq!(second & 0x80, 0, "a server frame is never masked");
    let (len, at) = match second & 0x7F {
        126 => (
            usize::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        len => (usize::from(len), 2),
    };
    let payload = buf.get(at..at + len)?.to_vec();
    Some((buf[0], payload, at + len))
}

/// Parses one masked client frame from the front of `buf`: (FIN/RSV/opcode byte, unmasked
/// payload, bytes used).
pub fn parse_client_frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let second = *buf.get(1)?;
    assert_eq!(second & 0x80, 0x80, "a client frame is always masked");
    let (len, at) = match second & 0x7F {
        126 => (
            usize::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        len => (usize::from(len), 2),
    };
    let key = buf.get(at..at + 4)?;
    let masked = buf.get(at + 4..at + 4 + len)?;
    let payload = masked.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k);
    Some((buf[0], payload.collect(), at + 4 + len))
}

/// The value of header `name` (case-insensitive) in an HTTP head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}
