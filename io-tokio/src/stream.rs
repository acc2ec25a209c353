//! `WebSocketStream`: one connection as a `Stream` of messages and a `Sink` of messages.
//!
//! Everything the protocol decides happens in the core's [`WebSocket`]; this file only moves
//! bytes between it and the transport, and arms one timer at the core's `poll_timeout()`.
//! All state lives in the struct, so dropping a pending `next()` (e.g. in `select!`) loses
//! nothing: the bytes read so far stay in the core's buffer.

use core::future::{poll_fn, Future};
use core::pin::Pin;
use core::task::{ready, Context, Poll, Waker};
use std::io::{self, IoSlice};

use bytes::{BufMut, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;
use sansws::conn::{Incoming, Message, WebSocket};
use sansws::{CloseCause, CloseCode, Connection};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;

use crate::clock::Clock;
use crate::deadline::Armed;
use crate::deflate::Agreed;
use crate::error::{Error, Result};

/// The most buffers handed to one vectored write (the list is set up on the stack for each
/// write: a long one costs more to clear than it saves in writes).
const MAX_IOVECS: usize = 16;
/// `poll_ready` waits for the queue to drain below this many bytes.
const DEFAULT_HIGH_WATER: usize = 128 * 1024;

/// A read takes at most this much: the core unmasks each read as it lands, while it is still
/// in cache. A read of all a large frame's bytes the socket holds (hundreds of KiB) pushes
/// its own start out of cache before the unmasking gets there.
const READ_MAX: usize = 128 * 1024;

/// A WebSocket over any `AsyncRead + AsyncWrite` transport (TCP, TLS, in-memory).
///
/// As a [`Stream`] it yields each received message; pings are answered and pongs, close
/// frames and timers are handled inside. The stream ends (`None`) after a clean close
/// handshake; any other end is an [`Error`] first. As a [`Sink`] it queues messages (batched
/// into vectored writes on flush, or whenever the stream waits for input), with
/// backpressure from `poll_ready`. Poll the stream for keepalive and close timeouts to run.
#[derive(Debug)]
pub struct WebSocketStream<S> {
    io: S,
    ws: WebSocket,
    clock: Clock,
    timer: Pin<Box<Sleep>>,
    armed: Armed,
    /// The waker the armed timer was polled with: it is woken at the deadline, so while the
    /// stream is polled with the same one, the timer is not polled (registered) again.
    timer_waker: Option<Waker>,
    /// The transport was read once since the armed deadline passed (see `poll_next_inner`).
    read_past_deadline: bool,
    high_water: usize,
    /// The stream has yielded its last item.
    finished: bool,
    /// The transport's write side is shut down.
    shut_down: bool,
    /// A protocol error to report once its close frame is written.
    failed: Option<sansws::ProtocolError>,
    /// Tasks that found the transport full. The transport wakes only the task that polled it
    /// last, so when the halves of a `split` wait on two tasks, the others are woken from
    /// here whenever the queue moves (and re-register if they still have to wait).
    write_waiters: Vec<Waker>,
    /// The subprotocol the upgrade agreed on.
    subprotocol: Option<String>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Wraps an upgraded connection; `clock` must be the one its instants came from.
    pub(crate) fn new(io: S, ws: WebSocket, clock: Clock, subprotocol: Option<String>) -> Self {
        WebSocketStream {
            io,
            ws,
            clock,
            timer: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
            armed: Armed::default(),
            timer_waker: None,
            read_past_deadline: false,
            high_water: DEFAULT_HIGH_WATER,
            finished: false,
            shut_down: false,
            failed: None,
            write_waiters: Vec::new(),
            subprotocol,
        }
    }

    /// Opens the stream on a connection whose upgrade just completed.
    pub(crate) fn open(io: S, mut conn: Connection, clock: Clock, opening: Opening) -> Self {
        let now = clock.now();
        // Before the first frame: the leftover bytes may already be compressed messages.
        opening.agreed.enable(&mut conn);
        conn.upgraded(now);
        let mut ws = WebSocket::new(conn);
        ws.handle_read(now, &opening.leftover);
        WebSocketStream::new(io, ws, clock, opening.subprotocol)
    }

    /// The subprotocol the upgrade agreed on, if any.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The permessage-deflate parameters the upgrade agreed on, or `None` when messages go
    /// uncompressed (not offered, declined, or turned off in the options).
    #[cfg(feature = "deflate")]
    pub fn deflate_params(&self) -> Option<sansws::deflate::DeflateParams> {
        self.ws.connection().deflate_params()
    }

    /// The core connection underneath (state, configuration, close cause).
    pub fn websocket(&self) -> &WebSocket {
        &self.ws
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// Sets how many queued bytes make `poll_ready` wait for the transport.
    pub fn set_high_water(&mut self, bytes: usize) {
        self.high_water = bytes.max(1);
    }

    /// The next message, or `None` after a clean close.
    pub async fn recv(&mut self) -> Option<Result<Message>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Queues a message and writes everything queued.
    pub async fn send(&mut self, message: Message) -> Result<()> {
        self.feed(message).await?;
        self.flush().await
    }

    /// Queues a message without writing it yet (it goes out with the next flush, or when the
    /// stream next waits for input): an echo loop batches its writes this way.
    pub async fn feed(&mut self, message: Message) -> Result<()> {
        poll_fn(|cx| self.poll_ready_inner(cx)).await?;
        self.ws.send(message)?;
        Ok(())
    }

    /// Writes everything queued and flushes the transport.
    pub async fn flush(&mut self) -> Result<()> {
        poll_fn(|cx| self.poll_flush_inner(cx)).await
    }

    /// Sends a ping.
    pub async fn ping(&mut self, payload: &[u8]) -> Result<()> {
        self.ws.ping(payload)?;
        self.flush().await
    }

    /// Starts the closing handshake with `code` and `reason` and flushes it. Keep polling the
    /// stream to see the peer's answer (it then ends with `None`).
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<()> {
        self.ws.close(self.clock.now(), code, reason)?;
        self.flush().await
    }

    /// Writes queued output until the queue is empty (or the transport would block).
    fn poll_write_queued(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let before = self.ws.queued_len();
        let poll = self.poll_write_queued_once(cx);
        let moved = poll.is_ready() || self.ws.queued_len() < before;
        if moved && !self.write_waiters.is_empty() {
            for waker in self.write_waiters.drain(..) {
                if !waker.will_wake(cx.waker()) {
                    waker.wake();
                }
            }
        }
        if poll.is_pending() && !self.write_waiters.iter().any(|w| w.will_wake(cx.waker())) {
            self.write_waiters.push(cx.waker().clone());
        }
        poll
    }

    fn poll_write_queued_once(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.ws.queued_len() > 0 {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let mut count = 0;
            for (slot, chunk) in slices.iter_mut().zip(self.ws.transmit_chunks()) {
                *slot = IoSlice::new(chunk);
                count += 1;
            }
            // One chunk (the usual case for small messages) goes out with a plain write: the
            // kernel's vectored path costs more for a single buffer.
            let io = Pin::new(&mut self.io);
            let written = if count == 1 {
                ready!(io.poll_write(cx, &slices[0]))?
            } else {
                ready!(io.poll_write_vectored(cx, &slices[..count]))?
            };
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.ws.advance_transmit(written);
        }
        if self.ws.connection().is_closed() && !self.shut_down {
            // The close handshake is over and its last frame written: end the transport.
            ready!(Pin::new(&mut self.io).poll_shutdown(cx))?;
            self.shut_down = true;
        }
        Poll::Ready(Ok(()))
    }

    /// Re-arms the timer for an earlier deadline of the core's (see [`Armed`]); whether the
    /// armed deadline has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(at) = self.armed.rearm(self.ws.poll_timeout()) {
            self.timer.as_mut().reset(self.clock.deadline(at));
            self.timer_waker = None;
            self.read_past_deadline = false;
        }
        if !self.armed.is_armed() {
            return false;
        }
        if (self.timer_waker.as_ref()).is_some_and(|waker| waker.will_wake(cx.waker())) {
            return self.timer.is_elapsed();
        }
        let elapsed = self.timer.as_mut().poll(cx).is_ready();
        if !elapsed {
            self.timer_waker = Some(cx.waker().clone());
        }
        elapsed
    }

    /// Runs the core's timers for the deadline that passed.
    fn run_timers(&mut self) {
        self.armed.fired();
        self.read_past_deadline = false;
        self.ws.handle_timeout(self.clock.now());
    }

    fn poll_ready_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.ws.queued_len() >= self.high_water {
            ready!(self.poll_write_queued(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        ready!(self.poll_write_queued(cx))?;
        ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        Poll::Ready(Ok(()))
    }

    fn poll_next_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message>>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if let Some(err) = self.failed {
                // The peer hears why before the caller does (and may drop us).
                ready!(self.poll_write_queued(cx))?;
                self.failed = None;
                return Poll::Ready(Some(Err(err.into())));
            }
            match self.ws.poll_event() {
                Err(err) => {
                    self.failed = Some(err);
                    continue;
                }
                Ok(Some(Incoming::Message(message))) => return Poll::Ready(Some(Ok(message))),
                Ok(Some(Incoming::Closed(cause))) => {
                    // Write the last frames and shut down before ending the stream.
                    ready!(self.poll_write_queued(cx))?;
                    self.finished = true;
                    return match cause {
                        CloseCause::Handshake { .. } | CloseCause::ProtocolError(_) => {
                            Poll::Ready(None)
                        }
                        cause => Poll::Ready(Some(Err(Error::Closed(cause)))),
                    };
                }
                Ok(Some(_)) => continue,
                Ok(None) => {}
            }
            // Waiting for input is the moment to write what was queued (pongs, batched sends).
            if let Poll::Ready(Err(err)) = self.poll_write_queued(cx) {
                self.ws.handle_eof();
                return Poll::Ready(Some(Err(err.into())));
            }
            // A deadline that passed while the task was busy elsewhere (compressing, or in
            // the application) is judged after one more read: the pong or close answer it
            // waits for may be in the transport already. One read only, so a peer that never
            // stops sending cannot hold a timeout off.
            let past_deadline = self.poll_deadline(cx);
            if past_deadline && self.read_past_deadline {
                self.run_timers();
                continue;
            }
            let mut room = self.ws.read_buffer().limit(READ_MAX);
            let read = tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut room);
            let Poll::Ready(read) = read else {
                if past_deadline {
                    self.run_timers();
                    continue;
                }
                return Poll::Pending;
            };
            match read {
                Ok(0) => self.ws.handle_eof(),
                Ok(_) => {
                    self.read_past_deadline = past_deadline;
                    self.ws.handle_received(self.clock.now());
                }
                Err(err) => {
                    self.ws.handle_eof();
                    self.finished = true;
                    return Poll::Ready(Some(Err(err.into())));
                }
            }
        }
    }
}

/// What a completed upgrade hands to the connection it opens.
#[derive(Debug)]
pub(crate) struct Opening {
    /// The bytes read past the HTTP head: the first frames.
    pub(crate) leftover: BytesMut,
    /// The subprotocol agreed on.
    pub(crate) subprotocol: Option<String>,
    /// The extensions agreed on.
    pub(crate) agreed: Agreed,
}

/// Runs an upgrade within the core's handshake deadline; past it, the connection is told
/// and the upgrade abandoned.
pub(crate) async fn upgrade_within<T>(
    conn: &mut Connection,
    clock: &Clock,
    upgrade: impl Future<Output = Result<T>>,
) -> Result<T> {
    let Some(deadline) = conn.poll_timeout() else {
        return upgrade.await;
    };
    match tokio::time::timeout_at(clock.deadline(deadline), upgrade).await {
        Ok(result) => result,
        Err(_) => {
            conn.handle_timeout(clock.now());
            Err(Error::HandshakeTimeout)
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_inner(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_ready_inner(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<()> {
        self.get_mut().ws.send(message)?;
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flush_inner(cx)
    }

    /// Sends a 1000 close frame (unless one was sent) and flushes; the stream side then sees
    /// the peer's answer.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if this.ws.connection().is_open() {
            this.ws.close(this.clock.now(), CloseCode::NORMAL, "")?;
        }
        this.poll_flush_inner(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::ReadBuf;

    /// A transport that takes every write and counts how each came.
    #[derive(Default)]
    struct Recorder {
        plain: usize,
        vectored: usize,
        written: Vec<u8>,
    }

    impl AsyncRead for Recorder {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Poll::Pending
        }
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.plain += 1;
            self.written.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            self.vectored += 1;
            let mut n = 0;
            for buf in bufs {
                self.written.extend_from_slice(buf);
                n += buf.len();
            }
            Poll::Ready(Ok(n))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// A lone chunk goes out with a plain write (a socket's vectored write costs more in the
    /// kernel for one buffer); a header and a payload queued apart go out in one vectored
    /// write.
    #[tokio::test]
    async fn a_lone_chunk_is_written_plainly_and_several_at_once() {
        let clock = Clock::new();
        let mut conn = Connection::server(sansws::Config::default(), clock.now());
        conn.upgraded(clock.now());
        let mut stream =
            WebSocketStream::new(Recorder::default(), WebSocket::new(conn), clock, None);
        stream.send(Message::text("hi")).await.expect("sent");
        let io = stream.get_ref();
        assert_eq!((io.plain, io.vectored), (1, 0));
        assert_eq!(io.written, [0x81, 2, b'h', b'i']);

        stream
            .send(Message::binary(vec![7; 4096]))
            .await
            .expect("sent");
        let io = stream.get_ref();
        assert_eq!((io.plain, io.vectored), (1, 1));
        assert_eq!(io.written.len(), 4 + 4 + 4096);
        assert_eq!(&io.written[4..8], [0x82, 126, 0x10, 0x00]);
    }
}
