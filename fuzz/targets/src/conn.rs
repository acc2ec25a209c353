//! `server_connection` and `client_connection`: an arbitrary sequence of operations through
//! the no-alloc [`Connection`] API and through the buffered [`WebSocket`] API.
//!
//! Invariants asserted after every operation:
//!
//! - no panic, and no call spins (each `handle_read` / `poll_event` loop is bounded);
//! - no-alloc: every write fits the caller's buffer (`n <= out.len()`, an `InsufficientSize`
//!   names more than the buffer) and `send` writes exactly `encoded_len`; a refused command
//!   changes nothing;
//! - buffered: `queued_len()` equals the bytes `transmit_chunks` yields and stays within
//!   `max_send_queue` + the largest message accepted + the control frames the engine queues;
//! - everything transmitted parses as valid frames ([`wire::check_sent`]): nothing follows a
//!   close frame and at most one close is sent; the data messages are exactly those sent;
//! - once `is_closed()`, commands are refused, reads yield no event, and no new output appears
//!   beyond draining what was queued;
//! - after `handle_timeout(now)`, `poll_timeout()` is `None` or later than `now`;
//! - a [`ProtocolError`] is reported at most once; a received close or error closes;
//! - with no keepalive, both APIs report the same received messages, pings, pongs, close
//!   frames and errors for the same bytes.

use core::cell::Cell;
use core::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use sansws::conn::{Incoming, Message, WebSocket};
use sansws::{
    CloseCode, Config, Connection, Event, Instant, MessageKind, ProtocolError, Role, SendError,
};

use crate::wire::{self, FrameSpec};

/// Room for the control frames the engine queues at once (pong, ping, close with headers).
const CONTROL_ROOM: usize = 3 * (14 + 125);
/// The most operations one input runs.
const MAX_OPS: usize = 256;

thread_local! {
    static ENTROPY: Cell<u32> = const { Cell::new(1) };
}

/// Deterministic "entropy" for client masking keys, reset at the start of every run so an
/// input always replays the same way.
fn test_entropy(dest: &mut [u8]) {
    ENTROPY.with(|state| {
        for byte in dest {
            let mut s = state.get();
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            state.set(s);
            *byte = s as u8;
        }
    });
}

/// What a run starts from.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    /// The connection's configuration.
    pub config: Config,
    /// Whether the upgrade completed before the first operation.
    pub upgraded: bool,
    /// No-alloc API: the size of the caller's output buffer.
    pub out_cap: usize,
    /// No-alloc API: bytes of a frame under way go to `handle_payload` (at most the frame's
    /// rest at a time), as an adapter reading large frames straight into place hands them
    /// over.
    pub direct: bool,
}

const LIMITS: [u64; 8] = [0, 1, 125, 126, 1000, 0xFFFF, 0x1_0000, 16 << 20];

fn bytes_n<const N: usize>(u: &mut Unstructured<'_>) -> [u8; N] {
    let mut b = [0u8; N];
    let _ = u.fill_buffer(&mut b);
    b
}

fn u16be(u: &mut Unstructured<'_>) -> u16 {
    u16::from_be_bytes(bytes_n(u))
}

/// Encoded setup: flags, frame limit, message limit (indexes into a table), send frame
/// length, keepalive, pong, close and handshake timeouts (ms), send queue cap, output buffer
/// size — every number 2 bytes big-endian. See [`encode_setup`].
pub fn read_setup(u: &mut Unstructured<'_>) -> Setup {
    let [flags, frame, message] = bytes_n(u);
    let mut config = Config::DEFAULT;
    config.auto_pong = flags & 2 == 0;
    config.max_frame_len = LIMITS[usize::from(frame & 7)];
    config.max_message_len = LIMITS[usize::from(message & 7)];
    config.max_send_frame_len = usize::from(u16be(u));
    let ping = u16be(u);
    config.ping_interval = (flags & 4 != 0).then(|| Duration::from_millis(ping.into()));
    config.pong_timeout = Duration::from_millis(u16be(u).into());
    config.close_timeout = Duration::from_millis(u16be(u).into());
    config.handshake_timeout = Duration::from_millis(u16be(u).into());
    config.max_send_queue = usize::from(u16be(u));
    let out_cap = usize::from(u16be(u));
    Setup {
        config,
        upgraded: flags & 1 == 0,
        out_cap,
        direct: flags & 8 != 0,
    }
}

/// One operation.
#[derive(Debug, Clone)]
pub enum Op {
    /// Bytes from the peer, verbatim.
    Recv(Vec<u8>),
    /// Well-formed (mostly) frames from the peer, delivered in chunks of `chunk` bytes.
    RecvFrames {
        /// Chunk size (0 means 1).
        chunk: u8,
        /// The frames.
        frames: Vec<FrameSpec>,
    },
    /// `send_text`.
    SendText(String),
    /// `send_binary`.
    SendBinary(Vec<u8>),
    /// `send_fragment`.
    SendFragment {
        /// Binary rather than text.
        binary: bool,
        /// Ends the message.
        last: bool,
        /// The payload (text is the lossy UTF-8 of it).
        data: Vec<u8>,
    },
    /// `ping`.
    Ping(Vec<u8>),
    /// `pong`.
    Pong(Vec<u8>),
    /// `close`.
    Close {
        /// The code (any, sendable or not).
        code: u16,
        /// The reason.
        reason: String,
    },
    /// Time advances by this many milliseconds, then `handle_timeout`.
    Advance(u32),
    /// Time advances to the next deadline (if any), then `handle_timeout`.
    AdvanceToDeadline,
    /// `handle_eof`.
    Eof,
    /// Buffered: write this many queued bytes out. No-alloc: the output buffer size becomes
    /// this.
    Drain(u16),
    /// `upgraded` (no-alloc only; the buffered API wraps an upgraded connection).
    Upgrade,
}

fn take(u: &mut Unstructured<'_>, len: usize) -> Vec<u8> {
    let len = len.min(u.len());
    u.bytes(len).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Reads one operation: a tag byte, then its fields (see [`encode_op`]).
pub fn read_op(u: &mut Unstructured<'_>) -> Op {
    let [tag] = bytes_n(u);
    match tag % 16 {
        1 => {
            let [chunk, count] = bytes_n(u);
            let frames = (0..count % 8)
                .map_while(|_| FrameSpec::arbitrary(u).ok())
                .collect();
            Op::RecvFrames { chunk, frames }
        }
        2 => {
            let n = u16be(u).into();
            Op::SendText(String::from_utf8_lossy(&take(u, n)).into_owned())
        }
        3 => {
            let n = u16be(u).into();
            Op::SendBinary(take(u, n))
        }
        4 => {
            let [flags] = bytes_n(u);
            let n = u16be(u).into();
            Op::SendFragment {
                binary: flags & 1 != 0,
                last: flags & 2 != 0,
                data: take(u, n),
            }
        }
        5 | 6 => {
            let [n] = bytes_n(u);
            let data = take(u, n.into());
            if tag % 16 == 5 {
                Op::Ping(data)
            } else {
                Op::Pong(data)
            }
        }
        7 => {
            let code = u16be(u);
            let [n] = bytes_n(u);
            let reason = String::from_utf8_lossy(&take(u, n.into())).into_owned();
            Op::Close { code, reason }
        }
        8 => {
            let [a, b, c] = bytes_n(u);
            Op::Advance(u32::from_be_bytes([0, a, b, c]))
        }
        9 => Op::AdvanceToDeadline,
        10 => Op::Eof,
        11 => Op::Drain(u16be(u)),
        12 => Op::Upgrade,
        _ => {
            let n = u16be(u).into();
            Op::Recv(take(u, n))
        }
    }
}

/// The bytes [`read_setup`] reads back as `setup` (limits must come from its table).
pub fn encode_setup(setup: &Setup) -> Vec<u8> {
    let c = &setup.config;
    let index = |v: u64| LIMITS.iter().position(|&l| l == v).unwrap_or(7) as u8;
    let ms = |d: Duration| (d.as_millis().min(0xFFFF) as u16).to_be_bytes();
    let mut flags = 0;
    if !setup.upgraded {
        flags |= 1;
    }
    if !c.auto_pong {
        flags |= 2;
    }
    if c.ping_interval.is_some() {
        flags |= 4;
    }
    if setup.direct {
        flags |= 8;
    }
    let mut out = vec![flags, index(c.max_frame_len), index(c.max_message_len)];
    out.extend_from_slice(&(c.max_send_frame_len.min(0xFFFF) as u16).to_be_bytes());
    out.extend_from_slice(&ms(c.ping_interval.unwrap_or_default()));
    out.extend_from_slice(&ms(c.pong_timeout));
    out.extend_from_slice(&ms(c.close_timeout));
    out.extend_from_slice(&ms(c.handshake_timeout));
    out.extend_from_slice(&(c.max_send_queue.min(0xFFFF) as u16).to_be_bytes());
    out.extend_from_slice(&(setup.out_cap.min(0xFFFF) as u16).to_be_bytes());
    out
}

/// The bytes [`read_op`] reads back as `op`. `RecvFrames` comes back as the `Recv` of its
/// frames, masked when they go `to_server` (the frame specs themselves have no byte form).
pub fn encode_op(op: &Op, to_server: bool) -> Vec<u8> {
    let with_len2 = |tag: u8, data: &[u8]| {
        let mut out = vec![tag];
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
        out
    };
    match op {
        Op::Recv(data) => with_len2(0, data),
        Op::RecvFrames { frames, .. } => {
            let role = if to_server {
                Role::Server
            } else {
                Role::Client
            };
            with_len2(0, &frame_chunks(role, u8::MAX, frames).concat())
        }
        Op::SendText(text) => with_len2(2, text.as_bytes()),
        Op::SendBinary(data) => with_len2(3, data),
        Op::SendFragment { binary, last, data } => {
            let mut out = vec![4, u8::from(*binary) | u8::from(*last) << 1];
            out.extend_from_slice(&with_len2(0, data)[1..]);
            out
        }
        Op::Ping(data) | Op::Pong(data) => {
            let mut out = vec![
                if matches!(op, Op::Ping(_)) { 5 } else { 6 },
                data.len() as u8,
            ];
            out.extend_from_slice(data);
            out
        }
        Op::Close { code, reason } => {
            let mut out = vec![7];
            out.extend_from_slice(&code.to_be_bytes());
            out.push(reason.len() as u8);
            out.extend_from_slice(reason.as_bytes());
            out
        }
        Op::Advance(ms) => {
            let b = ms.to_be_bytes();
            vec![8, b[1], b[2], b[3]]
        }
        Op::AdvanceToDeadline => vec![9],
        Op::Eof => vec![10],
        Op::Drain(n) => {
            let mut out = vec![11];
            out.extend_from_slice(&n.to_be_bytes());
            out
        }
        Op::Upgrade => vec![12],
    }
}

/// What an endpoint received, as comparable values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    /// A whole data message.
    Message(MessageKind, Vec<u8>),
    /// A ping.
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// The peer's close frame.
    Close(Option<u16>, String),
    /// A protocol error.
    Error(ProtocolError),
}

/// What a run observed.
#[derive(Debug, Default)]
struct Outcome {
    received: Vec<Got>,
}

/// Whether `SANSWS_FUZZ_DEBUG` is set: then every operation is printed.
fn debug() -> bool {
    static DEBUG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("SANSWS_FUZZ_DEBUG").is_some())
}

fn input_ops(data: &[u8]) -> (Setup, Vec<Op>) {
    let mut u = Unstructured::new(data);
    let setup = read_setup(&mut u);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < MAX_OPS {
        ops.push(read_op(&mut u));
    }
    (setup, ops)
}

/// Input: see [`read_setup`] and [`read_op`]. A server receiving from a client.
pub fn server_connection(data: &[u8]) {
    run(data, Role::Server);
}

/// Input: see [`read_setup`] and [`read_op`]. A client receiving from a server.
pub fn client_connection(data: &[u8]) {
    run(data, Role::Client);
}

fn run(data: &[u8], role: Role) {
    let (setup, ops) = input_ops(data);
    let a = NoAlloc::run(&setup, &ops, role);
    let b = Buffered::run(&setup, &ops, role);
    if setup.upgraded && setup.config.ping_interval.is_none() {
        assert_eq!(a.received, b.received, "the two APIs disagree");
    }
}

fn new_conn(setup: &Setup, role: Role) -> Connection {
    ENTROPY.with(|s| s.set(0x1234_5678));
    let mut conn = match role {
        Role::Server => Connection::server(setup.config, Instant::ZERO),
        Role::Client => Connection::client(setup.config, test_entropy, Instant::ZERO),
    };
    if setup.upgraded {
        conn.upgraded(Instant::ZERO);
    }
    conn
}

/// Frames the peer of `role` sends, delivered in chunks.
fn frame_chunks(role: Role, chunk: u8, frames: &[FrameSpec]) -> Vec<Vec<u8>> {
    let mut bytes = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        let key = [0x37, 0xFA, 0x21, 0x3D ^ i as u8];
        bytes.extend(frame.encode(role == Role::Server, key));
    }
    bytes
        .chunks(usize::from(chunk).max(1))
        .map(<[u8]>::to_vec)
        .collect()
}

fn advance(now: Instant, ms: u32) -> Instant {
    now + Duration::from_millis(ms.into())
}

/// Messages sent, as the wire transcript reports them.
#[derive(Debug, Default)]
struct Expected {
    messages: Vec<wire::SentMessage>,
    partial: Option<wire::SentMessage>,
}

impl Expected {
    fn sent(&mut self, kind: MessageKind, data: &[u8], last: bool) {
        let opcode = if kind == MessageKind::Text {
            wire::TEXT
        } else {
            wire::BINARY
        };
        let partial = self.partial.get_or_insert_with(|| (opcode, Vec::new()));
        partial.1.extend_from_slice(data);
        if last {
            self.messages.extend(self.partial.take());
        }
    }

    fn check(&self, t: &wire::Transcript) {
        assert_eq!(t.messages, self.messages, "messages on the wire");
        let partial = t.partial.as_ref().map(|p| (p.0, p.1.len()));
        let expected = self.partial.as_ref().map(|p| (p.0, p.1.len()));
        assert_eq!(partial, expected, "open fragmented message");
    }
}

/// The no-alloc API harness.
struct NoAlloc {
    conn: Connection,
    role: Role,
    now: Instant,
    out_cap: usize,
    pending: Vec<u8>,
    wire: Vec<u8>,
    out: Vec<u8>,
    outcome: Outcome,
    message: Option<(MessageKind, Vec<u8>)>,
    errors: usize,
    expected: Expected,
    /// Set once closed and drained: no more output may appear.
    quiet: bool,
    /// See [`Setup::direct`].
    direct: bool,
}

impl NoAlloc {
    fn run(setup: &Setup, ops: &[Op], role: Role) -> Outcome {
        let mut h = NoAlloc {
            conn: new_conn(setup, role),
            role,
            now: Instant::ZERO,
            out_cap: setup.out_cap,
            pending: Vec::new(),
            wire: Vec::new(),
            out: vec![0; 0x1_0000 + CONTROL_ROOM],
            outcome: Outcome::default(),
            message: None,
            errors: 0,
            expected: Expected::default(),
            quiet: false,
            direct: setup.direct,
        };
        for op in ops {
            if debug() {
                eprintln!("no-alloc {op:?} on {:?}", h.conn);
            }
            let closed_before = h.conn.is_closed();
            let wire_before = h.wire.len();
            h.op(op);
            h.transmit(h.out_cap);
            if closed_before && h.quiet {
                assert_eq!(h.wire.len(), wire_before, "output after closing: {op:?}");
            }
            if h.conn.is_closed() && !h.conn.wants_transmit() {
                h.quiet = true;
            }
        }
        h.transmit(usize::MAX);
        assert!(!h.conn.wants_transmit());
        let t = wire::check_sent(&h.wire, role == Role::Client);
        h.expected.check(&t);
        h.outcome
    }

    fn op(&mut self, op: &Op) {
        let closed = self.conn.is_closed();
        match op {
            Op::Recv(bytes) => self.recv(bytes),
            Op::RecvFrames { chunk, frames } => {
                for piece in frame_chunks(self.role, *chunk, frames) {
                    self.recv(&piece);
                }
            }
            Op::SendText(text) => {
                let r = self.command(|c, out| c.send_text(text, out), closed);
                if let Some(n) = r {
                    assert_eq!(n, self.conn.encoded_len(text.len()));
                    self.expected.sent(MessageKind::Text, text.as_bytes(), true);
                }
            }
            Op::SendBinary(data) => {
                if let Some(n) = self.command(|c, out| c.send_binary(data, out), closed) {
                    assert_eq!(n, self.conn.encoded_len(data.len()));
                    self.expected.sent(MessageKind::Binary, data, true);
                }
            }
            Op::SendFragment { binary, last, data } => {
                let (kind, data) = fragment(*binary, data);
                let r = self.command(|c, out| c.send_fragment(kind, &data, *last, out), closed);
                if r.is_some() {
                    self.expected.sent(kind, &data, *last);
                }
            }
            Op::Ping(data) => {
                self.command(|c, out| c.ping(data, out), closed);
            }
            Op::Pong(data) => {
                self.command(|c, out| c.pong(data, out), closed);
            }
            Op::Close { code, reason } => {
                let before = format!("{:?}", self.conn);
                match self.conn.close(self.now, CloseCode(*code), reason) {
                    Ok(()) => assert!(!closed && !self.conn.is_open()),
                    Err(_) => assert_eq!(before, format!("{:?}", self.conn), "refused close"),
                }
            }
            Op::Advance(ms) => {
                self.now = advance(self.now, *ms);
                self.timeout();
            }
            Op::AdvanceToDeadline => {
                if let Some(at) = self.conn.poll_timeout() {
                    self.now = self.now.max(at);
                }
                self.timeout();
            }
            Op::Eof => {
                self.conn.handle_eof();
                // An EOF before closing drops what was queued; a close answer queued before
                // the EOF may still be drained.
                assert!(self.conn.is_closed() && (closed || !self.conn.wants_transmit()));
            }
            Op::Drain(n) => self.out_cap = usize::from(*n),
            Op::Upgrade => self.conn.upgraded(self.now),
        }
    }

    fn timeout(&mut self) {
        self.conn.handle_timeout(self.now);
        if let Some(at) = self.conn.poll_timeout() {
            assert!(at > self.now, "deadline {at:?} not after {:?}", self.now);
        }
    }

    /// Runs a command writing into the output buffer; checks its bounds, and that a refusal
    /// changed nothing.
    fn command(
        &mut self,
        f: impl FnOnce(&mut Connection, &mut [u8]) -> Result<usize, SendError>,
        closed: bool,
    ) -> Option<usize> {
        let cap = self.out_cap.min(self.out.len());
        let before = format!("{:?}", self.conn);
        match f(&mut self.conn, &mut self.out[..cap]) {
            Ok(n) => {
                assert!(!closed, "a command succeeded after closing");
                assert!(n <= cap);
                self.wire.extend_from_slice(&self.out[..n]);
                Some(n)
            }
            Err(err) => {
                if let SendError::InsufficientSize(e) = err {
                    assert!(e.required > cap);
                }
                if closed {
                    assert_eq!(err, SendError::Closed);
                }
                assert_eq!(before, format!("{:?}", self.conn), "refused: {err:?}");
                None
            }
        }
    }

    /// Drains `poll_transmit` through a buffer of `cap` bytes.
    fn transmit(&mut self, cap: usize) {
        let cap = cap.min(self.out.len());
        for _ in 0..4 {
            match self.conn.poll_transmit(&mut self.out[..cap]) {
                Ok(0) => return,
                Ok(n) => {
                    assert!(n <= cap);
                    self.wire.extend_from_slice(&self.out[..n]);
                }
                Err(e) => {
                    assert!(e.required > cap && self.conn.wants_transmit());
                    return;
                }
            }
        }
        panic!("poll_transmit keeps writing");
    }

    fn recv(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let closed = self.conn.is_closed();
        self.pending.extend_from_slice(bytes);
        let mut budget = 2 * self.pending.len() + 16;
        loop {
            budget = budget.checked_sub(1).expect("handle_read spins");
            let len = self.pending.len();
            let remaining = usize::try_from(self.conn.frame_remaining()).unwrap_or(usize::MAX);
            let read = if self.direct && remaining > 0 {
                let end = len.min(remaining);
                self.conn.handle_payload(self.now, &mut self.pending[..end])
            } else {
                self.conn.handle_read(self.now, &mut self.pending)
            };
            let read = match read {
                Ok(read) => read,
                Err(err) => {
                    assert!(!closed, "an error after closing");
                    self.errors += 1;
                    assert_eq!(self.errors, 1, "a second protocol error");
                    assert!(self.conn.is_closed());
                    self.outcome.received.push(Got::Error(err));
                    continue;
                }
            };
            assert!(read.consumed <= len);
            let consumed = read.consumed;
            let event = read.event.map(Owned::from);
            self.pending.drain(..consumed);
            let got = event.map(|event| {
                assert!(!closed, "an event after closing");
                self.event(event)
            });
            match got {
                None => break,
                Some(Some(got)) => self.outcome.received.push(got),
                Some(None) => {}
            }
        }
        if self.conn.is_closed() {
            assert!(self.pending.is_empty(), "a closed connection keeps bytes");
        }
    }

    fn event(&mut self, event: Owned) -> Option<Got> {
        Some(match event {
            Owned::Message {
                kind,
                payload,
                first,
                last,
            } => {
                assert_eq!(first, self.message.is_none(), "first flag");
                let message = self.message.get_or_insert_with(|| (kind, Vec::new()));
                assert_eq!(message.0, kind);
                message.1.extend_from_slice(&payload);
                if kind == MessageKind::Text {
                    assert!(!matches!(crate::utf8::reference(&message.1), Err(Some(_))));
                }
                if !last {
                    return None;
                }
                let (kind, data) = self.message.take()?;
                if kind == MessageKind::Text {
                    assert!(core::str::from_utf8(&data).is_ok());
                }
                Got::Message(kind, data)
            }
            Owned::Ping(p) => {
                assert!(p.len() <= 125);
                Got::Ping(p)
            }
            Owned::Pong(p) => Got::Pong(p),
            Owned::Close(code, reason) => {
                assert!(self.conn.is_closed());
                Got::Close(code, reason)
            }
        })
    }
}

/// An [`Event`] copied out of the read buffer.
enum Owned {
    Message {
        kind: MessageKind,
        payload: Vec<u8>,
        first: bool,
        last: bool,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>, String),
}

impl From<Event<'_>> for Owned {
    fn from(event: Event<'_>) -> Self {
        match event {
            Event::Message {
                kind,
                payload,
                first,
                last,
                ..
            } => Owned::Message {
                kind,
                payload: payload.to_vec(),
                first,
                last,
            },
            Event::Ping(p) => Owned::Ping(p.to_vec()),
            Event::Pong(p) => Owned::Pong(p.to_vec()),
            Event::Close(frame) => Owned::Close(frame.code.map(|c| c.0), frame.reason.to_owned()),
        }
    }
}

fn fragment(binary: bool, data: &[u8]) -> (MessageKind, Vec<u8>) {
    if binary {
        (MessageKind::Binary, data.to_vec())
    } else {
        let text = String::from_utf8_lossy(data).into_owned();
        (MessageKind::Text, text.into_bytes())
    }
}

/// The buffered API harness.
struct Buffered {
    ws: WebSocket,
    role: Role,
    now: Instant,
    wire: Vec<u8>,
    outcome: Outcome,
    errors: usize,
    closed_reported: bool,
    expected: Expected,
    largest: usize,
}

impl Buffered {
    fn run(setup: &Setup, ops: &[Op], role: Role) -> Outcome {
        let mut h = Buffered {
            ws: WebSocket::new(new_conn(setup, role)),
            role,
            now: Instant::ZERO,
            wire: Vec::new(),
            outcome: Outcome::default(),
            errors: 0,
            closed_reported: false,
            expected: Expected::default(),
            largest: 0,
        };
        for op in ops {
            let closed = h.ws.connection().is_closed();
            let queued = h.ws.queued_len();
            h.op(op);
            if debug() {
                eprintln!(
                    "buffered {op:?} -> queued {}, {:?}",
                    h.ws.queued_len(),
                    h.ws.connection()
                );
            }
            h.check_queue();
            if closed {
                assert!(h.ws.queued_len() <= queued, "output after closing: {op:?}");
            }
        }
        let all = h.ws.queued_len();
        h.drain(all);
        assert_eq!(h.ws.queued_len(), 0);
        let t = wire::check_sent(&h.wire, role == Role::Client);
        h.expected.check(&t);
        h.outcome
    }

    fn check_queue(&self) {
        let chunks: usize = self.ws.transmit_chunks().map(<[u8]>::len).sum();
        assert_eq!(chunks, self.ws.queued_len(), "queued_len vs chunks");
        let config = self.ws.connection().config();
        let bound = config.max_send_queue.max(self.largest) + CONTROL_ROOM;
        assert!(
            self.ws.queued_len() <= bound,
            "queued {} > bound {bound}",
            self.ws.queued_len()
        );
    }

    fn drain(&mut self, n: usize) {
        let mut left = n.min(self.ws.queued_len());
        let mut taken = Vec::new();
        for chunk in self.ws.transmit_chunks() {
            let k = left.min(chunk.len());
            taken.extend_from_slice(&chunk[..k]);
            left -= k;
        }
        self.ws.advance_transmit(taken.len());
        self.wire.extend(taken);
    }

    fn sent(&mut self, r: Result<(), SendError>, kind: MessageKind, data: &[u8], last: bool) {
        let closed = self.ws.connection().is_closed();
        match r {
            Ok(()) => {
                assert!(!closed);
                let len = self.ws.connection().encoded_len(data.len());
                self.largest = self.largest.max(len);
                self.expected.sent(kind, data, last);
            }
            Err(e) => {
                if closed {
                    assert_eq!(e, SendError::Closed);
                }
            }
        }
    }

    fn op(&mut self, op: &Op) {
        let closed = self.ws.connection().is_closed();
        match op {
            Op::Recv(bytes) => self.recv(bytes),
            Op::RecvFrames { chunk, frames } => {
                for piece in frame_chunks(self.role, *chunk, frames) {
                    self.recv(&piece);
                }
            }
            Op::SendText(text) => {
                let r = self.ws.send_text(text);
                self.sent(r, MessageKind::Text, text.as_bytes(), true);
            }
            Op::SendBinary(data) => {
                let r = self.ws.send(Message::binary(data.clone()));
                self.sent(r, MessageKind::Binary, data, true);
            }
            Op::SendFragment { binary, last, data } => {
                let (kind, data) = fragment(*binary, data);
                let r = self.ws.send_fragment(kind, data.clone(), *last);
                self.sent(r, kind, &data, *last);
            }
            Op::Ping(data) => {
                if self.ws.ping(data).is_ok() {
                    assert!(!closed);
                }
            }
            Op::Pong(data) => {
                if self.ws.pong(data).is_ok() {
                    assert!(!closed);
                }
            }
            Op::Close { code, reason } => {
                if self.ws.close(self.now, CloseCode(*code), reason).is_ok() {
                    assert!(!closed);
                }
            }
            Op::Advance(ms) => {
                self.now = advance(self.now, *ms);
                self.timeout();
            }
            Op::AdvanceToDeadline => {
                if let Some(at) = self.ws.poll_timeout() {
                    self.now = self.now.max(at);
                }
                self.timeout();
            }
            Op::Eof => {
                self.ws.handle_eof();
                self.poll();
            }
            Op::Drain(n) => self.drain(usize::from(*n)),
            Op::Upgrade => {}
        }
    }

    fn timeout(&mut self) {
        self.ws.handle_timeout(self.now);
        if let Some(at) = self.ws.poll_timeout() {
            assert!(at > self.now, "deadline {at:?} not after {:?}", self.now);
        }
        self.poll();
    }

    fn recv(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.ws.handle_read(self.now, bytes);
        self.poll();
    }

    fn poll(&mut self) {
        let mut budget = 4096usize;
        loop {
            budget = budget.checked_sub(1).expect("poll_event spins");
            let event = match self.ws.poll_event() {
                Ok(Some(event)) => event,
                Ok(None) => return,
                Err(err) => {
                    self.errors += 1;
                    assert_eq!(self.errors, 1, "a second protocol error");
                    assert!(!self.closed_reported);
                    self.outcome.received.push(Got::Error(err));
                    continue;
                }
            };
            assert!(!self.closed_reported, "an event after Closed: {event:?}");
            let got = match event {
                Incoming::Message(m) => {
                    if let Message::Text(bytes) = &m {
                        assert!(core::str::from_utf8(bytes).is_ok());
                    }
                    Got::Message(m.kind(), m.payload().to_vec())
                }
                Incoming::Ping(p) => Got::Ping(p.to_vec()),
                Incoming::Pong(p) => Got::Pong(p.to_vec()),
                Incoming::Close { code, reason } => Got::Close(
                    code.map(|c| c.0),
                    String::from_utf8(reason.to_vec()).expect("validated reason"),
                ),
                Incoming::Closed(_) => {
                    assert!(self.ws.connection().is_closed());
                    self.closed_reported = true;
                    continue;
                }
            };
            self.outcome.received.push(got);
        }
    }
}
