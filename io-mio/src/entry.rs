//! One connection inside the loop: its socket, its core state machine, and only the bytes it
//! must keep between readiness events (an unparsed tail, a message being reassembled, output
//! not yet written). Idle, it holds no buffer at all.

use std::io::{self, Write};

use mio::net::TcpStream;
use sansws::handshake::{
    reason_phrase, write_reject, Accept, ClientHandshake, HeaderStorage, Key, Limits, Request,
    Response,
};
use sansws::{CloseCause, Connection, Event, Instant, MessageKind, Read, Status};

use crate::assembly::Assembly;
use crate::error::Error;
use crate::handler::{append_with, drain_control, Conn, ConnId, Handler, Message, Upgrade};
use crate::output::write_through;
use crate::spare::Spare;

/// Output buffers larger than this are given back once drained.
const KEEP_OUT: usize = 4096;

/// Where the connection is in its life, as far as the adapter is concerned.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Server: waiting for the request head.
    Request,
    /// Client: request sent, waiting for the response head (checked against the key and
    /// the subprotocols offered).
    Response(Key, Box<[String]>),
    /// Frames flow.
    Open,
    /// The upgrade failed; close once the answer is written.
    Failed,
}

/// What the loop lends a connection while it handles received bytes.
#[derive(Debug)]
pub(crate) struct Lent<'a, H> {
    pub(crate) handler: &'a mut H,
    pub(crate) limits: &'a Limits,
    pub(crate) spare: &'a mut Spare,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) stream: TcpStream,
    pub(crate) core: Connection,
    pub(crate) phase: Phase,
    /// Received bytes not consumed yet (an incomplete head, frame header or control frame).
    pub(crate) tail: Vec<u8>,
    /// A message that arrives in pieces, and the large frame read straight into it.
    pub(crate) assembly: Assembly,
    pub(crate) out: Vec<u8>,
    out_pos: usize,
    pub(crate) writable_interest: bool,
    /// Reading stopped because the output is over its cap (the peer is not reading).
    pub(crate) read_paused: bool,
    /// The deadline this entry is filed under in the loop's timer heap.
    pub(crate) timer_at: Option<Instant>,
    pub(crate) generation: u32,
    pub(crate) error: Option<Error>,
    /// The subprotocol the upgrade agreed on.
    pub(crate) subprotocol: Option<Box<str>>,
    /// The upgrade completed (so `on_close` is due).
    pub(crate) opened: bool,
    /// A finished connection whose last bytes cannot be written is dropped at this instant.
    pub(crate) linger_until: Option<Instant>,
    /// The socket reached end of file or failed.
    pub(crate) dead: bool,
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
    pub(crate) fn linger(&mut self, now: Instant) {
        let finished = matches!(self.phase, Phase::Failed) || self.core.is_closed();
        if finished && self.wants_write() && self.linger_until.is_none() {
            self.linger_until = Some(now + self.core.config().close_timeout);
        }
    }

    /// The next instant the loop must look at this entry: the core's deadline or the end of
    /// its linger.
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
            Phase::Request => self.read_request(now, buf, lent.handler, lent.limits),
            Phase::Response(..) => self.read_response(now, buf, lent.limits),
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
            lent.handler.on_open(&mut self.conn(id, now));
        }
        while self.is_open() {
            let at = start;
            let read = match self.core.handle_read(now, &mut buf[start..]) {
                Ok(read) => read,
                Err(_) => break, // the core queued the close frame; on_close reports the cause
            };
            start += read.consumed;
            let Some(event) = read.event else {
                if start > at && !self.core.is_closed() {
                    // A data frame's header, consumed before any of its payload arrived.
                    self.assembly.start_frame(&buf[at..start], self.core.role());
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
            };
            // A piece of a message that did not arrive whole: (kind, length, last).
            let mut piece = None;
            match event {
                Event::Message {
                    kind,
                    payload,
                    first,
                    last,
                    ..
                } => {
                    if first && last {
                        lent.handler
                            .on_message(&mut conn, Message { kind, payload });
                        self.assembly.whole();
                    } else {
                        piece = Some((kind, payload.len(), last));
                    }
                }
                Event::Ping(payload) => lent.handler.on_ping(&mut conn, payload),
                Event::Pong(payload) => lent.handler.on_pong(&mut conn, payload),
                Event::Close(_) => {}
            }
            if let Some((kind, len, last)) = piece {
                self.reassemble(id, now, &buf[..start], at, (kind, len, last), lent);
            }
            drain_control(&mut self.core, &mut self.out);
        }
        drain_control(&mut self.core, &mut self.out);
        if self.core.is_closed() {
            self.assembly.clear(lent.spare);
            return buf.len();
        }
        start
    }

    /// A piece of a message that did not arrive whole, the last `len` bytes of `buf`; the
    /// core consumed `buf[at..]` for it (a frame header first if it started a frame).
    #[inline(never)]
    fn reassemble<H: Handler>(
        &mut self,
        id: ConnId,
        now: Instant,
        buf: &[u8],
        at: usize,
        (kind, len, last): (MessageKind, usize, bool),
        lent: &mut Lent<'_, H>,
    ) {
        let payload = buf.len() - len;
        if !last && payload > at {
            self.assembly
                .start_frame(&buf[at..payload], self.core.role());
        }
        self.assembly
            .push(&buf[payload..], payload, last, lent.spare);
        if last {
            self.deliver(id, now, kind, lent.handler, lent.spare);
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
        let read = self.core.handle_read(now, self.assembly.received(n));
        let (kept, ended) = match read {
            Ok(Read {
                event:
                    Some(Event::Message {
                        kind,
                        payload,
                        last,
                        ..
                    }),
                ..
            }) => (payload.len(), last.then_some(kind)),
            // A protocol error: the core queued the close frame and discards the rest.
            _ => (n, None),
        };
        self.assembly.keep_received(kept, ended.is_some());
        if let Some(kind) = ended {
            self.deliver(id, now, kind, lent.handler, lent.spare);
        }
        drain_control(&mut self.core, &mut self.out);
        if self.core.is_closed() {
            self.assembly.clear(lent.spare);
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
        if self.tail.is_empty() {
            let consumed = self.process(id, now, &mut read[..n], lent);
            self.tail.extend_from_slice(&read[consumed..n]);
            self.assembly.settle(read, true, lent.spare);
        } else {
            let mut tail = core::mem::take(&mut self.tail);
            tail.extend_from_slice(&read[..n]);
            let consumed = self.process(id, now, &mut tail, lent);
            self.assembly.settle(&mut tail, false, lent.spare);
            tail.drain(..consumed);
            if tail.is_empty() {
                tail = Vec::new();
            }
            self.tail = tail;
        }
    }

    /// The message in the assembly is complete: hands it to the application.
    fn deliver<H: Handler>(
        &mut self,
        id: ConnId,
        now: Instant,
        kind: MessageKind,
        handler: &mut H,
        spare: &mut Spare,
    ) {
        let mut conn = Conn {
            id,
            now,
            core: &mut self.core,
            out: &mut self.out,
            stream: &self.stream,
            subprotocol: self.subprotocol.as_deref(),
        };
        let payload = self.assembly.message();
        handler.on_message(&mut conn, Message { kind, payload });
        self.assembly.finish(spare);
    }

    fn conn(&mut self, id: ConnId, now: Instant) -> Conn<'_> {
        Conn {
            id,
            now,
            core: &mut self.core,
            out: &mut self.out,
            stream: &self.stream,
            subprotocol: self.subprotocol.as_deref(),
        }
    }

    /// Server upgrade: `Some(head length)` once answered with 101.
    fn read_request<H: Handler>(
        &mut self,
        now: Instant,
        buf: &[u8],
        handler: &mut H,
        limits: &Limits,
    ) -> Option<usize> {
        let mut storage: HeaderStorage = HeaderStorage::new();
        match Request::parse(buf, &mut storage, limits) {
            Ok(Status::Incomplete { .. }) => None,
            Ok(Status::Complete((request, head_len))) => match handler.on_upgrade(&request) {
                Upgrade::Accept(protocol) => {
                    let mut accept = Accept::new();
                    if let Some(protocol) = protocol {
                        accept = accept.subprotocol(protocol);
                    }
                    self.subprotocol = protocol.map(Box::from);
                    let mut answer = [0u8; 512];
                    match request.write_accept(&accept, &mut answer) {
                        Ok(len) => {
                            self.write_through(&answer[..len]);
                            self.core.upgraded(now);
                            self.phase = Phase::Open;
                            Some(head_len)
                        }
                        Err(err) => {
                            // The handler chose what cannot be sent (a subprotocol the client
                            // did not offer): the client still deserves an answer.
                            let mut answer = [0u8; 256];
                            if let Ok(len) =
                                write_reject(500, reason_phrase(500), &[], b"", &mut answer)
                            {
                                self.write_through(&answer[..len]);
                            }
                            self.fail(Error::Write(err));
                            None
                        }
                    }
                }
                Upgrade::Refuse(status) => {
                    let _ = append_with(&mut self.out, 256, |out| {
                        write_reject(status, reason_phrase(status), &[], b"", out)
                    });
                    self.fail(Error::Refused(status));
                    None
                }
            },
            Err(refused) => {
                let _ = append_with(&mut self.out, 256, |out| refused.write_response(out));
                self.fail(Error::Request(refused));
                None
            }
        }
    }

    /// Client upgrade: `Some(head length)` once the 101 checked out.
    fn read_response(&mut self, now: Instant, buf: &[u8], limits: &Limits) -> Option<usize> {
        let Phase::Response(key, offered) = &self.phase else {
            return None;
        };
        let offered: Vec<&str> = offered.iter().map(String::as_str).collect();
        let handshake = ClientHandshake::new(*key, &offered, &[]);
        let mut storage: HeaderStorage = HeaderStorage::new();
        match handshake.check_response(buf, &mut storage, limits) {
            Ok(Status::Incomplete { .. }) => None,
            Ok(Status::Complete((Response::Upgraded(upgraded), head_len))) => {
                self.subprotocol = upgraded.subprotocol().map(Box::from);
                self.core.upgraded(now);
                self.phase = Phase::Open;
                Some(head_len)
            }
            Ok(Status::Complete((Response::Refused(refused), _))) => {
                self.fail(Error::Rejected {
                    status: refused.status(),
                });
                None
            }
            Err(err) => {
                self.fail(Error::Response(err));
                None
            }
        }
    }

    fn fail(&mut self, error: Error) {
        self.phase = Phase::Failed;
        self.error = Some(error);
    }

    /// Writes `bytes` straight to the socket when nothing is queued, queuing only what it
    /// does not take: the 101 answer then never costs an idle connection a buffer.
    fn write_through(&mut self, bytes: &[u8]) {
        write_through(&self.stream, bytes, &[], &mut self.out);
    }

    /// Writes queued output until it is all out or the socket would block.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        while self.out_pos < self.out.len() {
            match self.stream.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_pos += n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        self.out_pos = 0;
        self.out.clear();
        if self.out.capacity() > KEEP_OUT {
            self.out = Vec::new();
        }
        Ok(())
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
}
