//! One connection inside the loop: its socket, its core state machine, and only the bytes it
//! must keep between readiness events (an unparsed tail, a message being reassembled, output
//! not yet written). Idle, it holds no buffer at all.

mod upgrade;

use std::io;

use mio::net::TcpStream;
use sansws::handshake::Key;
use sansws::{CloseCause, Connection, Event, Instant, MessageKind, Read};

use crate::assembly::Assembly;
use crate::borrowed::{Borrowed, Lender, Received};
use crate::deflate::{self, ExtensionOffer};
use crate::error::Error;
use crate::event_loop::Options;
use crate::handler::{drain_control, Conn, ConnId, Handler, Message};
use crate::output::write_through;
use crate::readiness::SHORT_IO_EXHAUSTS;
use crate::socket;
use crate::spare::Spare;

/// Output buffers larger than this are given back once drained.
const KEEP_OUT: usize = 4096;

/// The loop's inflate buffer goes to the spare buffers once a message larger than this was
/// delivered from it (it is one per loop: no connection holds one).
const KEEP_INFLATED: usize = 64 * 1024;

/// Where the connection is in its life, as far as the adapter is concerned.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Server: waiting for the request head.
    Request,
    /// Client: request sent, waiting for the response head (checked against what was
    /// offered; boxed, so the other phases do not carry its size).
    Response(Box<Offered>),
    /// Frames flow.
    Open,
    /// The upgrade failed; close once the answer is written.
    Failed,
}

/// What a client's request offered, to check the response head against.
#[derive(Debug)]
pub(crate) struct Offered {
    pub(crate) key: Key,
    pub(crate) subprotocols: Box<[String]>,
    pub(crate) extensions: ExtensionOffer,
}

/// What the loop lends a connection while it handles received bytes.
#[derive(Debug)]
pub(crate) struct Lent<'a, H> {
    pub(crate) app: App<'a, H>,
    pub(crate) options: &'a Options,
    /// Payloads sent from the received bytes, written before those bytes are reused (held
    /// by the `Conn` of the message being handled, apart from the rest).
    pub(crate) borrowed: &'a mut Borrowed,
}

/// What handing a message over takes from the loop.
#[derive(Debug)]
pub(crate) struct App<'a, H> {
    pub(crate) handler: &'a mut H,
    /// The loop's buffer for inflating a compressed message (one is delivered at a time).
    pub(crate) inflated: &'a mut Vec<u8>,
    pub(crate) spare: &'a mut Spare,
}

/// Laid out in the order written (`repr(C)`): the fields every read and write touches, then
/// the core (whose own hot fields come first), then what only the connection's start and end
/// use. A loop with many connections finds each entry out of cache: packed together, the part
/// a message touches spans fewer cache lines. The order also decides where `Option<Entry>`
/// keeps its `None` (today `timer_at`'s tag, which every event reads first): keep the small
/// `Option`s and flags ahead of the core.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Entry {
    pub(crate) stream: TcpStream,
    pub(crate) generation: u32,
    pub(crate) phase: Phase,
    pub(crate) out: Vec<u8>,
    out_pos: usize,
    /// Received bytes not consumed yet (an incomplete head, frame header or control frame).
    pub(crate) tail: Vec<u8>,
    /// A message that arrives in pieces, and the large frame read straight into it.
    pub(crate) assembly: Assembly,
    /// The deadline this entry is filed under in the loop's timer heap.
    pub(crate) timer_at: Option<Instant>,
    /// A finished connection whose last bytes cannot be written is dropped at this instant.
    pub(crate) linger_until: Option<Instant>,
    /// The subprotocol the upgrade agreed on (every callback's `Conn` carries it).
    pub(crate) subprotocol: Option<Box<str>>,
    pub(crate) writable_interest: bool,
    /// Reading stopped because the output is over its cap (the peer is not reading).
    pub(crate) read_paused: bool,
    /// The upgrade completed (so `on_close` is due).
    pub(crate) opened: bool,
    /// The socket reached end of file or failed.
    pub(crate) dead: bool,
    pub(crate) core: Connection,
    pub(crate) error: Option<Error>,
}

impl Entry {
    pub(crate) fn new(stream: TcpStream, core: Connection, phase: Phase, generation: u32) -> Self {
        Entry {
            stream,
            core,
            phase,
            tail: Vec::new(),
            assembly: Assembly::default(),
            out: Vec::new(),
            out_pos: 0,
            writable_interest: false,
            read_paused: false,
            timer_at: None,
            generation,
            error: None,
            subprotocol: None,
            opened: false,
            linger_until: None,
            dead: false,
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open)
    }

    /// Whether the entry is finished and may be dropped: closed (or failed) with nothing left
    /// to write, closed because the peer stopped answering (what it never read is not waited
    /// for: no timer would end the wait), or its socket is gone.
    pub(crate) fn is_done(&self) -> bool {
        let finished = matches!(self.phase, Phase::Failed) || self.core.is_closed();
        let gave_up = matches!(
            self.core.close_cause(),
            Some(CloseCause::PongTimeout | CloseCause::CloseTimeout)
        );
        self.dead || gave_up || (finished && self.out_pos == self.out.len())
    }

    /// Starts the wait for the last bytes of a finished connection, at most `close_timeout`:
    /// a peer that stops reading cannot hold a closed connection (and its output) forever.
    #[inline]
    pub(crate) fn linger(&mut self, now: Instant) {
        let finished = matches!(self.phase, Phase::Failed) || self.core.is_closed();
        if finished && self.wants_write() && self.linger_until.is_none() {
            self.start_linger(now);
        }
    }

    /// (Out of line: a connection starts lingering once, at its end.)
    #[cold]
    #[inline(never)]
    fn start_linger(&mut self, now: Instant) {
        self.linger_until = Some(now + self.core.config().close_timeout);
    }

    /// The next instant the loop must look at this entry: the core's deadline or the end of
    /// its linger.
    #[inline]
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match (self.core.poll_timeout(), self.linger_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Why the connection ended, for `Handler::on_close`.
    pub(crate) fn close_cause(&self) -> CloseCause {
        self.core.close_cause().unwrap_or(CloseCause::Abnormal)
    }

    /// Consumes what it can of `buf` (received bytes, the tail first); returns the count.
    pub(crate) fn process<H: Handler>(
        &mut self,
        id: ConnId,
        now: Instant,
        buf: &mut [u8],
        lent: &mut Lent<'_, H>,
    ) -> usize {
        let was_open = self.is_open();
        let start = match self.phase {
            Phase::Request => self.read_request(now, buf, lent.app.handler, lent.options),
            Phase::Response(..) => self.read_response(now, buf, &lent.options.limits),
            Phase::Open => Some(0),
            Phase::Failed => None,
        };
        let Some(mut start) = start else {
            // Incomplete heads stay in the tail; a failed upgrade discards what follows.
            return if matches!(self.phase, Phase::Failed) {
                buf.len()
            } else {
                0
            };
        };
        if !was_open {
            self.opened = true;
            lent.app.handler.on_open(&mut self.conn(id, now));
        }
        let received = Received::of(buf);
        // Stops at the end of the bytes too: an empty read would only say so.
        while self.is_open() && start < buf.len() {
            let at = start;
            let read = match self.core.handle_read(now, &mut buf[start..]) {
                Ok(read) => read,
                Err(_) => break, // the core queued the close frame; on_close reports the cause
            };
            start += read.consumed;
            let Some(event) = read.event else {
                if start > at && !self.core.is_closed() {
                    // A data frame's header, consumed before any of its payload arrived.
                    self.assembly.start_frame(self.core.frame_remaining());
                }
                break;
            };
            let mut conn = Conn {
                id,
                now,
                core: &mut self.core,
                out: &mut self.out,
                stream: &self.stream,
                subprotocol: self.subprotocol.as_deref(),
                lender: Some(Lender::new(received, lent.borrowed)),
            };
            // A piece of a message that did not arrive whole: (kind, length, last, compressed).
            let mut piece = None;
            match event {
                Event::Message {
                    kind,
                    payload,
                    first,
                    last,
                    compressed,
                } => {
                    if first && last {
                        let message = Message { kind, payload };
                        hand_over(&mut conn, message, compressed, &mut lent.app);
                        self.assembly.whole();
                    } else {
                        piece = Some((kind, payload.len(), last, compressed));
                    }
                }
                Event::Ping(payload) => lent.app.handler.on_ping(&mut conn, payload),
                Event::Pong(payload) => lent.app.handler.on_pong(&mut conn, payload),
                Event::Close(_) => {}
            }
            if let Some(piece) = piece {
                self.reassemble(id, now, &buf[..start], at, piece, lent);
            }
            drain_control(&mut self.core, &mut self.out);
        }
        drain_control(&mut self.core, &mut self.out);
        if self.core.is_closed() {
            self.assembly.clear(lent.app.spare);
            return buf.len();
        }
        start
    }

    /// A piece of a message that did not arrive whole, the last `len` bytes of `buf`; the
    /// core consumed `buf[at..]` for it (a frame header first if it started a frame).
    /// `compressed` is the message's, reported with each of its pieces.
    #[inline(never)]
    fn reassemble<H: Handler>(
        &mut self,
        id: ConnId,
        now: Instant,
        buf: &[u8],
        at: usize,
        (kind, len, last, compressed): (MessageKind, usize, bool, bool),
        lent: &mut Lent<'_, H>,
    ) {
        let payload = buf.len() - len;
        if !last && payload > at {
            // This step also consumed the frame's header: the frame is what the core has
            // left of it plus this piece.
            self.assembly
                .start_frame(self.core.frame_remaining() + len as u64);
        }
        self.assembly
            .push(&buf[payload..], payload, last, lent.app.spare);
        if last {
            self.deliver(id, now, kind, compressed, lent);
        }
    }

    /// Hands the core `n` bytes just read straight into the message being reassembled: the
    /// rest of a large frame, which it unmasks and validates in place.
    pub(crate) fn process_direct<H: Handler>(
        &mut self,
        id: ConnId,
        now: Instant,
        n: usize,
        lent: &mut Lent<'_, H>,
    ) {
        let read = self.core.handle_payload(now, self.assembly.received(n));
        let (kept, ended) = match read {
            Ok(Read {
                event:
                    Some(Event::Message {
                        kind,
                        payload,
                        last,
                        compressed,
                        ..
                    }),
                ..
            }) => (payload.len(), last.then_some((kind, compressed))),
            // A protocol error: the core queued the close frame and discards the rest.
            _ => (n, None),
        };
        self.assembly.keep_received(kept, ended.is_some());
        if let Some((kind, compressed)) = ended {
            self.deliver(id, now, kind, compressed, lent);
        }
        drain_control(&mut self.core, &mut self.out);
        if self.core.is_closed() {
            self.assembly.clear(lent.app.spare);
        } else if kept < n {
            // Not expected (reads stop at the frame's end and the core hands out every payload
            // byte it has), but bytes past the frame must still be parsed.
            let mut rest = self.assembly.received(n - kept).to_vec();
            self.receive(id, now, &mut rest, n - kept, lent);
        }
    }

    /// Processes the `n` bytes read into `read` (the loop-wide buffer), after the tail kept
    /// from before; keeps what could not be consumed as the new tail. A large frame's first
    /// piece may take `read` over (leaving it empty).
    #[inline]
    pub(crate) fn receive<H: Handler>(
        &mut self,
        id: ConnId,
        now: Instant,
        read: &mut Vec<u8>,
        n: usize,
        lent: &mut Lent<'_, H>,
    ) {
        if !self.tail.is_empty() {
            return self.receive_after_tail(id, now, &read[..n], lent);
        }
        let consumed = self.process(id, now, &mut read[..n], lent);
        self.write_borrowed(&mut read[..n], lent.borrowed);
        if consumed < n {
            self.keep_tail(&read[consumed..n]);
        }
        self.assembly.settle(read, true, lent.app.spare);
    }

    /// [`Entry::receive`] when bytes kept from before come first: the new ones join them.
    /// (Out of line, as every path a small message does not take: the code a read runs
    /// then lies together.)
    #[inline(never)]
    fn receive_after_tail<H: Handler>(
        &mut self,
        id: ConnId,
        now: Instant,
        read: &[u8],
        lent: &mut Lent<'_, H>,
    ) {
        let mut tail = core::mem::take(&mut self.tail);
        tail.extend_from_slice(read);
        let consumed = self.process(id, now, &mut tail, lent);
        self.write_borrowed(&mut tail, lent.borrowed);
        self.assembly.settle(&mut tail, false, lent.app.spare);
        tail.drain(..consumed);
        if tail.is_empty() {
            tail = Vec::new();
        }
        self.tail = tail;
    }

    /// Keeps the bytes a read left unconsumed (an incomplete frame) for the next one.
    #[inline(never)]
    fn keep_tail(&mut self, rest: &[u8]) {
        self.tail.extend_from_slice(rest);
    }

    /// The message in the assembly is complete: hands it to the application.
    fn deliver<H: Handler>(
        &mut self,
        id: ConnId,
        now: Instant,
        kind: MessageKind,
        compressed: bool,
        lent: &mut Lent<'_, H>,
    ) {
        let mut conn = Conn {
            id,
            now,
            core: &mut self.core,
            out: &mut self.out,
            stream: &self.stream,
            subprotocol: self.subprotocol.as_deref(),
            lender: None,
        };
        let payload = self.assembly.message();
        hand_over(
            &mut conn,
            Message { kind, payload },
            compressed,
            &mut lent.app,
        );
        self.assembly.finish(lent.app.spare);
    }

    fn conn(&mut self, id: ConnId, now: Instant) -> Conn<'_> {
        Conn {
            id,
            now,
            core: &mut self.core,
            out: &mut self.out,
            stream: &self.stream,
            subprotocol: self.subprotocol.as_deref(),
            lender: None,
        }
    }

    /// The upgrade failed: the connection ends once its answer (if any) is written.
    fn fail(&mut self, error: Error) {
        self.phase = Phase::Failed;
        self.error = Some(error);
    }

    /// Writes `bytes` straight to the socket when nothing is queued, queuing only what it
    /// does not take: the 101 answer then never costs an idle connection a buffer.
    fn write_through(&mut self, bytes: &[u8]) {
        write_through(&self.stream, bytes, &[], &mut self.out);
    }

    /// Writes the output with the payloads borrowed from `received` (the bytes just
    /// processed) in their places, before those bytes are reused (the header before each
    /// may be moved into the consumed bytes ahead of it); what the socket does not take is
    /// copied into the output.
    #[inline]
    fn write_borrowed(&mut self, received: &mut [u8], borrowed: &mut Borrowed) {
        if !borrowed.is_empty() {
            borrowed.write(&self.stream, received, &mut self.out, &mut self.out_pos);
            if self.out.is_empty() {
                self.drained();
            }
        }
    }

    /// Writes queued output until it is all out or the socket is full. (Always inlined: see
    /// `EventLoop::read_all`.)
    #[inline(always)]
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        while self.out_pos < self.out.len() {
            let left = self.out.len() - self.out_pos;
            match socket::send(&self.stream, &self.out[self.out_pos..]) {
                Ok(n) if n > 0 => {
                    self.out_pos += n;
                    if n < left && SHORT_IO_EXHAUSTS {
                        return Ok(());
                    }
                }
                failed => match write_failed(failed) {
                    Ok(true) => {}
                    Ok(false) => return Ok(()),
                    Err(err) => return Err(err),
                },
            }
        }
        self.drained();
        Ok(())
    }

    /// All output is written: an idle connection keeps no large buffer.
    fn drained(&mut self) {
        self.out_pos = 0;
        self.out.clear();
        if self.out.capacity() > KEEP_OUT {
            release(&mut self.out);
        }
    }

    pub(crate) fn wants_write(&self) -> bool {
        self.out_pos < self.out.len()
    }

    /// Whether the output queued since it was last drained has reached the send-queue cap
    /// (exactly when `Conn::send` refuses): stop reading from a peer that does not read, so
    /// its echoes and pongs cannot pile up without bound, until the output is drained.
    pub(crate) fn is_backlogged(&self) -> bool {
        self.wants_write() && self.out.len() >= self.core.config().max_send_queue
    }
}

/// Hands a whole message to the application, inflated first when it arrived compressed.
#[inline]
fn hand_over<H: Handler>(
    conn: &mut Conn<'_>,
    message: Message<'_>,
    compressed: bool,
    app: &mut App<'_, H>,
) {
    if compressed {
        hand_over_inflated(conn, message, app);
    } else {
        app.handler.on_message(conn, message);
    }
}

/// A write that took no bytes: `Ok(true)` to write again (interrupted), `Ok(false)` when the
/// socket is full, else the error (a write of 0 bytes is one). (Out of line, as every rare
/// path of `flush`: its common one then lies together.)
#[cold]
#[inline(never)]
fn write_failed(write: io::Result<usize>) -> io::Result<bool> {
    match write {
        Ok(_) => Err(io::ErrorKind::WriteZero.into()),
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(err) if err.kind() == io::ErrorKind::Interrupted => Ok(true),
        Err(err) => Err(err),
    }
}

/// Lets a large output buffer go.
#[cold]
#[inline(never)]
fn release(out: &mut Vec<u8>) {
    *out = Vec::new();
}

/// A message that fails to inflate is not delivered: the core failed the connection and
/// queued its close frame, and `on_close` reports why.
#[inline(never)]
fn hand_over_inflated<H: Handler>(conn: &mut Conn<'_>, message: Message<'_>, app: &mut App<'_, H>) {
    let kind = message.kind;
    if let Some(payload) = deflate::inflate(conn.core, kind, message.payload, app.inflated) {
        app.handler.on_message(conn, Message { kind, payload });
    }
    if app.inflated.capacity() > KEEP_INFLATED {
        app.spare.give(core::mem::take(app.inflated));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sansws::Config;

    fn entry(phase: Phase) -> Entry {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let stream =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let core = Connection::server(Config::default(), Instant::ZERO);
        Entry::new(TcpStream::from_std(stream), core, phase, 1)
    }

    /// Echoes every message (as many times as asked), recording what each send returned.
    struct Echo {
        times: usize,
        results: Vec<Result<(), sansws::SendError>>,
    }

    impl Handler for Echo {
        fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>) {
            for _ in 0..self.times {
                let result = conn.send(message.kind, message.payload);
                self.results.push(result);
            }
        }
    }

    /// An open server entry on a nonblocking socket, its blocking peer, and a client core to
    /// encode the peer's frames.
    fn open_pair(config: Config) -> (Entry, std::net::TcpStream, Connection) {
        let (stream, peer) = crate::test_support::socket_pair();
        let mut core = Connection::server(config, Instant::ZERO);
        core.upgraded(Instant::ZERO);
        let entry = Entry::new(stream, core, Phase::Open, 1);
        let mut client = Connection::client(Config::default(), |key| key.fill(3), Instant::ZERO);
        client.upgraded(Instant::ZERO);
        (entry, peer, client)
    }

    /// Hands `wire` to the entry as one read, echoing with `handler`.
    fn receive_all(entry: &mut Entry, handler: &mut Echo, wire: &mut Vec<u8>) {
        let options = Options::default();
        let (mut inflated, mut spare) = (Vec::new(), Spare::new(0));
        let mut borrowed = Borrowed::default();
        let mut lent = Lent {
            app: App {
                handler,
                inflated: &mut inflated,
                spare: &mut spare,
            },
            options: &options,
            borrowed: &mut borrowed,
        };
        let n = wire.len();
        entry.receive(ConnId(0), Instant::ZERO, wire, n, &mut lent);
        assert!(
            borrowed.is_empty(),
            "nothing borrowed outlives the received bytes"
        );
    }

    /// Echoed payloads of 4 KiB or more go out from the read buffer, never through the
    /// output buffer, in order with the pongs and small messages around them.
    #[test]
    fn echoes_go_out_from_the_read_buffer_in_order() {
        let (mut server, mut peer, mut client) = open_pair(Config::default());
        let big: Vec<u8> = (0..9000u32).map(|i| (i % 251) as u8).collect();
        let mut wire = Vec::new();
        let ping = |client: &mut Connection, payload: &[u8], wire: &mut Vec<u8>| {
            let mut frame = [0; 14 + 125];
            let n = client.ping(payload, &mut frame).expect("ping");
            wire.extend_from_slice(&frame[..n]);
        };
        ping(&mut client, b"p1", &mut wire);
        let binary = MessageKind::Binary;
        (client.send_to_vec(binary, &big, &mut wire)).expect("send");
        ping(&mut client, b"p2", &mut wire);
        (client.send_to_vec(MessageKind::Text, b"small", &mut wire)).expect("send");
        (client.send_to_vec(binary, &big[1000..], &mut wire)).expect("send");

        let mut echo = Echo {
            times: 1,
            results: Vec::new(),
        };
        receive_all(&mut server, &mut echo, &mut wire);
        assert!(echo.results.iter().all(Result::is_ok));
        assert!(!server.wants_write(), "all written by the receive");
        assert!(
            server.out.capacity() < 1000,
            "the output buffer never held a payload: {}",
            server.out.capacity()
        );

        let want = [
            &[0x8A, 2][..],
            b"p1",
            &[0x82, 126, 0x23, 0x28],
            &big,
            &[0x8A, 2],
            b"p2",
            &[0x81, 5],
            b"small",
            &[0x82, 126, 0x1F, 0x40],
            &big[1000..],
        ]
        .concat();
        let mut got = vec![0; want.len()];
        std::io::Read::read_exact(&mut peer, &mut got).expect("read");
        assert!(got == want);
    }

    /// Borrowed payloads count toward `max_send_queue` like copied ones.
    #[test]
    fn borrowed_payloads_count_toward_the_send_queue_cap() {
        // Two echoes (5,004 bytes each, with their headers) reach it.
        let config = Config {
            max_send_queue: 10_000,
            ..Config::default()
        };
        let (mut server, mut peer, mut client) = open_pair(config);
        let mut wire = Vec::new();
        (client.send_to_vec(MessageKind::Binary, &[5; 5000], &mut wire)).expect("send");
        let mut echo = Echo {
            times: 3,
            results: Vec::new(),
        };
        receive_all(&mut server, &mut echo, &mut wire);
        let full = Err(sansws::SendError::QueueFull);
        assert_eq!(echo.results, [Ok(()), Ok(()), full]);
        let mut got = vec![0; 2 * 5004];
        std::io::Read::read_exact(&mut peer, &mut got).expect("two echoes");
    }

    #[test]
    fn a_finished_connection_waits_for_its_output_only_until_the_close_timeout() {
        let now = Instant::from_millis(5);
        let mut failed = entry(Phase::Failed);
        failed
            .out
            .extend_from_slice(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        failed.linger(now);
        let until = now + Config::default().close_timeout;
        assert_eq!(failed.linger_until, Some(until));
        assert!(failed.deadline().is_some_and(|at| at <= until));

        // Nothing left to write: no linger.
        let mut drained = entry(Phase::Failed);
        drained.linger(now);
        assert_eq!(drained.linger_until, None);

        // Still open: the core's own timers decide.
        let mut open = entry(Phase::Request);
        open.out.extend_from_slice(b"queued");
        open.linger(now);
        assert_eq!(open.linger_until, None);
    }

    /// Records the length of every message delivered.
    #[cfg(feature = "deflate")]
    struct Lengths(Vec<usize>);

    #[cfg(feature = "deflate")]
    impl Handler for Lengths {
        fn on_message(&mut self, _: &mut Conn<'_>, message: Message<'_>) {
            self.0.push(message.payload.len());
        }
    }

    /// Compressed messages are inflated into the loop's one buffer, which keeps its room
    /// after small messages and hands it to the spare buffers after a large one.
    #[cfg(feature = "deflate")]
    #[test]
    fn the_inflate_buffer_stays_small_between_messages() {
        use sansws::deflate::{DeflateConfig, DeflateParams};
        let (params, config) = (DeflateParams::default(), DeflateConfig::default());
        let mut server = entry(Phase::Open);
        server.core.upgraded(Instant::ZERO);
        server.core.enable_deflate(params, &config);
        let mut client = Connection::client(Config::default(), |key| key.fill(1), Instant::ZERO);
        client.upgraded(Instant::ZERO);
        client.enable_deflate(params, &config);

        let options = Options::default();
        let mut handler = Lengths(Vec::new());
        let mut inflated = Vec::new();
        let mut spare = Spare::new(4 << 20);
        let mut borrowed = Borrowed::default();
        for len in [1000, 1 << 20, 2000] {
            let mut wire = Vec::new();
            (client.send_to_vec(MessageKind::Binary, &vec![0; len], &mut wire)).expect("send");
            assert_eq!(wire[0], 0xC2, "compressed");
            let n = wire.len();
            let mut lent = Lent {
                app: App {
                    handler: &mut handler,
                    inflated: &mut inflated,
                    spare: &mut spare,
                },
                options: &options,
                borrowed: &mut borrowed,
            };
            server.receive(ConnId(0), Instant::ZERO, &mut wire, n, &mut lent);
            assert_eq!(handler.0.last(), Some(&len), "delivered inflated");
            if len > KEEP_INFLATED {
                assert_eq!(inflated.capacity(), 0, "given back after {len} bytes");
                assert!(spare.take(len).capacity() >= len, "to the spare buffers");
            } else {
                assert!(inflated.capacity() >= len && inflated.capacity() <= KEEP_INFLATED);
            }
        }
    }
}
