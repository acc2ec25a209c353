//! The single-threaded event loop: accept, read into one loop-wide buffer, write what the
//! core queued, and sleep until the earliest deadline of any connection.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::ToSocketAddrs;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use sansws::entropy::os_entropy;
use sansws::handshake::{ClientRequest, Header, Key, Limits, WriteError, WsUrl};
use sansws::{Config, Connection, Instant};

use crate::borrowed::Borrowed;
use crate::deflate::ExtensionOffer;
use crate::entry::{App, Entry, Lent, Offered, Phase};
use crate::error::Error;
use crate::handler::{append_with, drain_control, Conn, ConnId, Handler};
use crate::readiness::SHORT_IO_EXHAUSTS;
use crate::socket;
use crate::spare::Spare;

const LISTENER: Token = Token(usize::MAX);
pub(crate) const WAKER: Token = Token(usize::MAX - 1);

/// The most read at once straight into a large frame's buffer. The core unmasks each read as
/// soon as it lands, and a read this size is still in the CPU's cache then (the kernel's copy
/// touched twice as much: its source and this). A read of all the socket holds (up to 768 KiB
/// at a time in the echo benchmark) has pushed its start out of cache by the time it ends:
/// unmasking 1 MiB then took 13.5–14.6 µs, against 10.9–11.3 µs in reads of 128 KiB (and
/// 11.4 µs in the `mask` benchmark, in cache), for a few more `recv` calls per message.
const DIRECT_READ_MAX: usize = 128 * 1024;

/// Deadlines, earliest first: (when, entry index, entry generation).
type Timers = BinaryHeap<Reverse<(Instant, usize, u32)>>;

/// How a loop's connections are set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// Limits and timers of each connection.
    pub config: Config,
    /// Bounds on HTTP heads.
    pub limits: Limits,
    /// The loop-wide read buffer (bytes per read): every socket is read into it, and a
    /// connection keeps only the bytes it could not consume yet.
    pub read_buffer_len: usize,
    /// Bytes of large message buffers the loop keeps for reuse once their message is
    /// delivered (0: none). A large frame (64 KiB or more) is read into a buffer of its
    /// connection's own until its message is delivered; reusing one saves zeroing it again
    /// and faulting its pages in. No connection holds one while idle. (After large messages
    /// the loop's own read buffer also keeps the capacity of the largest, to take the next
    /// one without a copy.)
    pub spare_buffers_len: usize,
    /// permessage-deflate settings to accept a client's offer with (server side), or `None`
    /// to decline every offer. Default: accepted with
    /// [`DeflateConfig::default`](sansws::deflate::DeflateConfig::default). Compressed
    /// messages reach [`Handler::on_message`] inflated; a connection that is not delivering
    /// one holds no inflate buffer, but its codec keeps the memory the core documents
    /// ([`sansws::deflate`]) from its first compressed message until it ends.
    #[cfg(feature = "deflate")]
    pub deflate: Option<sansws::deflate::DeflateConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config: Config::default(),
            limits: Limits::default(),
            read_buffer_len: 256 * 1024,
            spare_buffers_len: 16 << 20,
            #[cfg(feature = "deflate")]
            deflate: Some(sansws::deflate::DeflateConfig::default()),
        }
    }
}

/// What a client asks for beyond the URL.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Subprotocols to offer, by preference.
    pub subprotocols: Vec<String>,
    /// Extra request headers (e.g. `Authorization`).
    pub headers: Vec<(String, String)>,
    /// permessage-deflate to offer, or `None` not to offer it. Default: offered with
    /// [`DeflateConfig::default`](sansws::deflate::DeflateConfig::default). A server's answer
    /// that breaks the offer fails the connection with [`Error::Deflate`].
    #[cfg(feature = "deflate")]
    pub deflate: Option<sansws::deflate::DeflateConfig>,
}

// Derivable only without feature `deflate`, whose default is on.
#[allow(clippy::derivable_impls)]
impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            subprotocols: Vec::new(),
            headers: Vec::new(),
            #[cfg(feature = "deflate")]
            deflate: Some(sansws::deflate::DeflateConfig::default()),
        }
    }
}

/// A mio event loop serving WebSocket connections (server, client, or both) to a [`Handler`].
#[derive(Debug)]
pub struct EventLoop<H> {
    poll: Poll,
    events: Events,
    /// The events of the current turn (kept to reuse its allocation).
    ready: Vec<(Token, bool, bool)>,
    listener: Option<TcpListener>,
    incoming: Option<Receiver<std::net::TcpStream>>,
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    live: usize,
    generation: u32,
    /// Deadlines by connection; stale ones are skipped when they come up.
    timers: Timers,
    /// The loop-wide read buffer; a large frame's first piece may take it over.
    buf: Vec<u8>,
    /// Where compressed messages are inflated for the handler, one at a time.
    inflated: Vec<u8>,
    spare: Spare,
    /// Payloads sent from the bytes just read, until they are written.
    borrowed: Borrowed,
    /// The output of a connection with none queued while it handles a read (see `read_all`).
    staged: Vec<u8>,
    origin: std::time::Instant,
    /// The clock as last read: after each wait (and before one the application asks for);
    /// a turn's work takes microseconds to milliseconds, and deadlines are seconds apart.
    now: Instant,
    handler: H,
    options: Options,
}

impl<H: Handler> EventLoop<H> {
    /// A loop with no connections yet.
    pub fn new(handler: H, options: Options) -> io::Result<Self> {
        Ok(EventLoop {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            ready: Vec::new(),
            listener: None,
            incoming: None,
            entries: Vec::new(),
            free: Vec::new(),
            live: 0,
            generation: 0,
            timers: BinaryHeap::new(),
            buf: vec![0; options.read_buffer_len.max(4096)],
            inflated: Vec::new(),
            spare: Spare::new(options.spare_buffers_len),
            borrowed: Borrowed::default(),
            staged: Vec::new(),
            origin: std::time::Instant::now(),
            now: Instant::ZERO,
            handler,
            options,
        })
    }

    /// Accepts upgrades from `listener`.
    pub fn listen(&mut self, mut listener: TcpListener) -> io::Result<()> {
        self.poll
            .registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        self.listener = Some(listener);
        Ok(())
    }

    /// Takes sockets handed over on `incoming` (woken through the returned waker): how a
    /// sharded server feeds its loops.
    pub(crate) fn adopt_from(
        &mut self,
        incoming: Receiver<std::net::TcpStream>,
    ) -> io::Result<Waker> {
        self.incoming = Some(incoming);
        Waker::new(self.poll.registry(), WAKER)
    }

    /// Opens a client connection to a `ws://` URL; the handler hears `on_open` once the
    /// upgrade completes, or `on_error`.
    pub fn connect(&mut self, url: &str) -> Result<ConnId, Error> {
        self.connect_with(url, &ClientOptions::default())
    }

    /// Opens a client connection offering subprotocols and sending extra headers.
    pub fn connect_with(&mut self, url: &str, options: &ClientOptions) -> Result<ConnId, Error> {
        let url = WsUrl::parse(url).map_err(Error::Url)?;
        let host = url.hostname().trim_matches(['[', ']']);
        let addr = (host, url.port())
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::from(io::ErrorKind::AddrNotAvailable))?;
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut nonce = [0; 16];
        os_entropy(&mut nonce);
        let protocols: Vec<&str> = options.subprotocols.iter().map(String::as_str).collect();
        let headers: Vec<Header<'_>> = options
            .headers
            .iter()
            .map(|(name, value)| Header {
                name,
                value: value.as_bytes(),
            })
            .collect();
        let extensions = ExtensionOffer::new(options);
        let offers: Vec<&str> = extensions.elements.iter().map(String::as_str).collect();
        let request = ClientRequest::new(url.host(), url.target())
            .subprotocols(&protocols)
            .extensions(&offers)
            .headers(&headers);
        let mut bytes = Vec::new();
        let write = |bytes: &mut Vec<u8>, room| {
            append_with(bytes, room, |out| {
                request.write(nonce, out).map(|(len, _)| len)
            })
        };
        match write(&mut bytes, 1024) {
            Err(WriteError::InsufficientSize(size)) => write(&mut bytes, size.required),
            other => other,
        }
        .map_err(Error::Write)?;
        let phase = Phase::Response(Box::new(Offered {
            key: Key::from_nonce(nonce),
            subprotocols: options.subprotocols.clone().into_boxed_slice(),
            extensions,
        }));
        let core = Connection::client(self.options.config, os_entropy, self.tick());
        let id = self.insert(stream, core, phase)?;
        let entry = self.entries[id.0].as_mut().expect("just inserted");
        entry.out = bytes;
        self.finish(id.0);
        Ok(id)
    }

    /// The application's handler.
    pub fn handler(&mut self) -> &mut H {
        &mut self.handler
    }

    /// Ends the loop (dropping its connections) and gives the handler back.
    pub fn into_handler(self) -> H {
        self.handler
    }

    /// How many connections are open or opening.
    pub fn connection_count(&self) -> usize {
        self.live
    }

    /// Runs until there is no listener and no connection left.
    pub fn run(&mut self) -> io::Result<()> {
        self.tick();
        while self.listener.is_some() || self.incoming.is_some() || self.live > 0 {
            // The wait is timed from the clock as read after the last one: what handling its
            // events took (microseconds to milliseconds) is all it can run late by, and
            // deadlines are seconds apart. One clock reading per turn, not two.
            self.wait_and_handle(None)?;
        }
        Ok(())
    }

    /// Waits for readiness or the next deadline (at most `max_wait`), and handles it all.
    pub fn turn(&mut self, max_wait: Option<Duration>) -> io::Result<()> {
        // The caller may have been busy since the last turn: the wait is timed from now.
        self.tick();
        self.wait_and_handle(max_wait)
    }

    /// [`EventLoop::turn`] with the clock as last read.
    fn wait_and_handle(&mut self, max_wait: Option<Duration>) -> io::Result<()> {
        let now = self.now;
        let until_timer = self.timers.peek().map(|Reverse((at, _, _))| {
            at.saturating_duration_since(now) + Duration::from_micros(1)
        });
        let timeout = match (until_timer, max_wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match self.poll.poll(&mut self.events, timeout) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            other => other?,
        }
        self.tick();
        // Copied out of `events` so that handling them may borrow the loop.
        let mut ready = core::mem::take(&mut self.ready);
        ready.clear();
        ready.extend(self.events.iter().map(|e| {
            (
                e.token(),
                e.is_readable() || e.is_read_closed(),
                e.is_writable(),
            )
        }));
        for &(token, readable, writable) in &ready {
            match token {
                LISTENER => self.accept_all()?,
                WAKER => self.adopt_incoming()?,
                Token(index) => {
                    if readable {
                        self.read_all(index);
                    }
                    if writable {
                        self.write_ready(index);
                    }
                    self.finish(index);
                }
            }
        }
        self.ready = ready;
        self.expire_timers();
        Ok(())
    }

    /// The socket takes output again: writes what is queued, and resumes reading if that
    /// was paused for it. (Out of line: output mostly goes out at once, and a read's code
    /// then lies together.)
    #[inline(never)]
    fn write_ready(&mut self, index: usize) {
        let Some(entry) = self.entries.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if let Err(err) = entry.flush() {
            broken(entry, err);
        } else if entry.read_paused && !entry.is_backlogged() {
            // Readiness is edge-triggered: what arrived meanwhile is only seen by reading
            // now.
            entry.read_paused = false;
            self.read_all(index);
        }
    }

    /// Reads the clock.
    fn tick(&mut self) -> Instant {
        self.now = clock(self.origin);
        self.now
    }

    fn accept_all(&mut self) -> io::Result<()> {
        loop {
            let Some(listener) = &self.listener else {
                return Ok(());
            };
            match listener.accept() {
                Ok((stream, _)) => self.add_server(stream)?,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                // A connection that died before accept, or a full fd table: keep serving.
                Err(_) => return Ok(()),
            }
        }
    }

    fn adopt_incoming(&mut self) -> io::Result<()> {
        let mut streams = Vec::new();
        if let Some(incoming) = &self.incoming {
            streams.extend(incoming.try_iter());
        }
        for stream in streams {
            stream.set_nonblocking(true)?;
            self.add_server(TcpStream::from_std(stream))?;
        }
        Ok(())
    }

    fn add_server(&mut self, stream: TcpStream) -> io::Result<()> {
        stream.set_nodelay(true)?;
        let core = Connection::server(self.options.config, self.now);
        let id = self.insert(stream, core, Phase::Request)?;
        self.schedule(id.0);
        Ok(())
    }

    fn insert(
        &mut self,
        mut stream: TcpStream,
        core: Connection,
        phase: Phase,
    ) -> io::Result<ConnId> {
        let index = self.free.pop().unwrap_or_else(|| {
            self.entries.push(None);
            self.entries.len() - 1
        });
        self.poll
            .registry()
            .register(&mut stream, Token(index), Interest::READABLE)?;
        self.generation = self.generation.wrapping_add(1);
        self.entries[index] = Some(Entry::new(stream, core, phase, self.generation));
        self.live += 1;
        Ok(ConnId(index))
    }

    /// Reads everything the socket has, through the loop-wide buffer (or, for the rest of a
    /// large frame, straight into the connection's message buffer). Inlined into the loop, as
    /// `Entry::flush` into it, so that after its syscalls the CPU goes on in the same frame:
    /// a return through a frame that was live across a syscall is mispredicted (see
    /// [`crate::socket`]).
    #[inline(always)]
    fn read_all(&mut self, index: usize) {
        let read_len = self.options.read_buffer_len.max(4096);
        let now = self.now;
        let mut lent = Lent {
            app: App {
                handler: &mut self.handler,
                inflated: &mut self.inflated,
                spare: &mut self.spare,
            },
            options: &self.options,
            borrowed: &mut self.borrowed,
        };
        loop {
            let Some(entry) = self.entries.get_mut(index).and_then(Option::as_mut) else {
                return;
            };
            if entry.is_done() {
                return;
            }
            if entry.is_backlogged() {
                entry.read_paused = true;
                return;
            }
            if self.buf.len() < read_len {
                // A large frame took the last buffer over: zeroed as far as reads go.
                grow(&mut self.buf, read_len);
            }
            // A large frame under way is read straight into the connection's own buffer, as
            // much of it as the room holds (the room grows with what the message received),
            // at most `DIRECT_READ_MAX` at a time; what follows its end lands in the loop's.
            let mut after_frame = None;
            if entry.assembly.is_large() {
                match read_direct(entry, index, now, &mut lent, &mut self.buf[..read_len]) {
                    Flow::Next => continue,
                    Flow::Stop => return,
                    Flow::Read => {}
                    Flow::Received(n) => after_frame = Some(n),
                }
            }
            let n = match after_frame {
                Some(n) => n,
                None => match socket::recv(&entry.stream, &mut self.buf[..read_len]) {
                    Ok(n) if n > 0 => n,
                    failed => match read_failed(entry, failed) {
                        Flow::Next => continue,
                        _ => return,
                    },
                },
            };
            let id = ConnId(index);
            // A connection with no output queued makes its output in the loop's buffer,
            // warm in cache (its own is cold by the time its turn comes round again). It is
            // written just below; only what the socket does not take stays with the
            // connection, which then keeps that buffer and leaves its own empty one.
            let staged = entry.out.is_empty();
            if staged {
                core::mem::swap(&mut entry.out, &mut self.staged);
            }
            entry.receive(id, now, &mut self.buf, n, &mut lent);
            // Write as we go: a large burst of echoes should not pile up.
            if entry.wants_write() {
                if let Err(err) = entry.flush() {
                    broken(entry, err);
                    return;
                }
            }
            if staged && entry.out.is_empty() {
                core::mem::swap(&mut entry.out, &mut self.staged);
            }
            if n < read_len && SHORT_IO_EXHAUSTS {
                return;
            }
        }
    }

    /// After any activity: write, update interest and deadline, and drop a finished entry.
    fn finish(&mut self, index: usize) {
        let Some(entry) = self.entries.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if !entry.dead && entry.wants_write() {
            if let Err(err) = entry.flush() {
                broken(entry, err);
            }
        }
        if entry.is_done() {
            self.remove(index);
            return;
        }
        if entry.wants_write() != entry.writable_interest {
            follow_output(&self.poll, index, entry);
        }
        file_deadline(&mut self.timers, self.now, index, entry);
        self.trim_timers();
    }

    /// Files the entry's next deadline (see [`file_deadline`]).
    fn schedule(&mut self, index: usize) {
        let Some(entry) = self.entries.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        file_deadline(&mut self.timers, self.now, index, entry);
        self.trim_timers();
    }

    /// Drops stale deadlines once they outnumber the live ones well, so a busy connection
    /// whose deadline keeps moving cannot grow the heap without bound.
    #[inline]
    fn trim_timers(&mut self) {
        if self.timers.len() > 4 * self.live + 1024 {
            self.drop_stale_timers();
        }
    }

    /// (Out of line: `trim_timers` runs after every event, this seldom.)
    #[cold]
    #[inline(never)]
    fn drop_stale_timers(&mut self) {
        self.timers.retain(|Reverse((at, i, generation))| {
            self.entries[*i]
                .as_ref()
                .is_some_and(|e| e.generation == *generation && e.timer_at == Some(*at))
        });
    }

    fn expire_timers(&mut self) {
        let now = self.now;
        while let Some(&Reverse((at, index, generation))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(entry) = self.entries.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            if entry.generation != generation || entry.timer_at != Some(at) {
                continue;
            }
            entry.timer_at = None;
            if entry.linger_until.is_some_and(|until| until <= now) {
                entry.dead = true;
            }
            entry.core.handle_timeout(now);
            drain_control(&mut entry.core, &mut entry.out);
            self.finish(index);
        }
    }

    // Once per connection: out of line, so `finish`, which runs after every event, stays
    // small.
    #[cold]
    #[inline(never)]
    fn remove(&mut self, index: usize) {
        let Some(mut entry) = self.entries[index].take() else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut entry.stream);
        self.free.push(index);
        self.live -= 1;
        let id = ConnId(index);
        let reported = entry.error.is_some();
        if let Some(error) = entry.error.take() {
            self.handler.on_error(id, error);
        }
        if entry.opened {
            self.handler.on_close(id, entry.close_cause());
        } else if entry.core.close_cause().is_some() && !entry.dead {
            // A handshake timeout: the upgrade never completed.
            self.handler
                .on_error(id, Error::Io(io::ErrorKind::TimedOut.into()));
        } else if entry.dead && !reported {
            // The socket ended or failed before the upgrade completed (a server that hung
            // up without answering, a failed connect): `on_error` is still due.
            let err = entry.stream.take_error().ok().flatten();
            let err = err.unwrap_or_else(|| io::ErrorKind::UnexpectedEof.into());
            self.handler.on_error(id, Error::Io(err));
        }
    }

    /// Runs `f` on an open connection from outside a callback (e.g. to send on a timer of
    /// the application's own); returns `None` if the connection is gone.
    pub fn with_conn<R>(&mut self, id: ConnId, f: impl FnOnce(&mut Conn<'_>) -> R) -> Option<R> {
        let now = self.tick();
        let entry = self.entries.get_mut(id.0).and_then(Option::as_mut)?;
        if !entry.is_open() {
            return None;
        }
        let result = f(&mut Conn {
            id,
            now,
            core: &mut entry.core,
            out: &mut entry.out,
            stream: &entry.stream,
            subprotocol: entry.subprotocol.as_deref(),
            lender: None,
        });
        self.finish(id.0);
        Some(result)
    }
}

/// The loop's clock: time since `origin`.
#[inline]
fn clock(origin: std::time::Instant) -> Instant {
    let micros = origin.elapsed().as_micros();
    Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
}

/// Files the entry's next deadline if it is earlier than the one on file (a later one is
/// filed when the earlier comes up: calling `handle_timeout` early is harmless).
#[inline]
fn file_deadline(timers: &mut Timers, now: Instant, index: usize, entry: &mut Entry) {
    entry.linger(now);
    let Some(next) = entry.deadline() else {
        return;
    };
    if entry.timer_at.is_none_or(|at| next < at) {
        file_timer(timers, next, index, entry);
    }
}

/// Files `at` as the entry's deadline. (Out of line: a deadline moves earlier seldom, and
/// `finish`, which runs after every event, stays small without the heap's code.)
#[cold]
#[inline(never)]
fn file_timer(timers: &mut Timers, at: Instant, index: usize, entry: &mut Entry) {
    entry.timer_at = Some(at);
    timers.push(Reverse((at, index, entry.generation)));
}

/// Asks for writable events while the entry has output the socket did not take, and stops
/// once it is written. (Rare next to the events that change nothing: out of line.)
#[cold]
#[inline(never)]
fn follow_output(poll: &Poll, index: usize, entry: &mut Entry) {
    let wants_write = entry.wants_write();
    let interest = if wants_write {
        Interest::READABLE | Interest::WRITABLE
    } else {
        Interest::READABLE
    };
    if poll
        .registry()
        .reregister(&mut entry.stream, Token(index), interest)
        .is_ok()
    {
        entry.writable_interest = wants_write;
    }
}

/// What `read_all` does after a read handled out of line.
enum Flow {
    /// Read again.
    Next,
    /// The socket is drained, ended or failed.
    Stop,
    /// None of the large frame lies in the connection's buffer yet: read into the loop's.
    Read,
    /// This many bytes past the large frame's end were read into the loop's buffer: process
    /// them as a read there.
    Received(usize),
}

/// Reads the rest of a large frame straight into its connection's buffer and has it
/// processed. (Out of line: a read here moves up to `DIRECT_READ_MAX` bytes, and small
/// messages' reads stay compact without its code between theirs.)
///
/// The read that can finish the frame goes on into `after` (the loop's buffer). Reading
/// less than both hold then shows the socket empty, which saves the read that would only say
/// `WouldBlock` after each large message; what lands in `after` is returned as
/// [`Flow::Received`].
#[cold]
#[inline(never)]
fn read_direct<H: Handler>(
    entry: &mut Entry,
    index: usize,
    now: Instant,
    lent: &mut Lent<'_, H>,
    after: &mut [u8],
) -> Flow {
    let frame_left = entry.assembly.frame_left();
    let Some(room) = entry.assembly.room(DIRECT_READ_MAX, lent.app.spare) else {
        return Flow::Read;
    };
    let asked = room.len();
    let ends_frame = asked as u64 == frame_left;
    let read = if ends_frame {
        socket::recv_vectored(&entry.stream, room, after)
    } else {
        socket::recv(&entry.stream, room)
    };
    let total = match read {
        Ok(n) if n > 0 => n,
        failed => return read_failed(entry, failed),
    };
    let n = total.min(asked);
    let id = ConnId(index);
    entry.process_direct(id, now, n, lent);
    if entry.wants_write() {
        if let Err(err) = entry.flush() {
            broken(entry, err);
            return Flow::Stop;
        }
    }
    if total > asked {
        return Flow::Received(total - asked);
    }
    if (n < asked || ends_frame) && SHORT_IO_EXHAUSTS {
        return Flow::Stop;
    }
    Flow::Next
}

/// A read that returned no bytes: end of file, an interrupted call (read again), a drained
/// socket or a failure.
#[cold]
#[inline(never)]
fn read_failed(entry: &mut Entry, read: io::Result<usize>) -> Flow {
    match read {
        Err(err) if err.kind() == io::ErrorKind::Interrupted => Flow::Next,
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
            #[cfg(test)]
            tests::EMPTY_READS.with(|reads| reads.set(reads.get() + 1));
            Flow::Stop
        }
        Err(err) => {
            broken(entry, err);
            Flow::Stop
        }
        Ok(_) => {
            entry.core.handle_eof();
            entry.dead = true;
            Flow::Stop
        }
    }
}

/// Grows the loop's read buffer back to `len` after a large frame took it over.
#[cold]
#[inline(never)]
fn grow(buf: &mut Vec<u8>, len: usize) {
    buf.resize(len, 0);
}

/// The socket failed: the connection is over. Before the upgrade completed, `on_error` will
/// say why (e.g. a refused connect).
#[cold]
fn broken(entry: &mut Entry, err: io::Error) {
    if !entry.opened && entry.error.is_none() {
        entry.error = Some(Error::Io(err));
    }
    entry.core.handle_eof();
    entry.dead = true;
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::io::{Read, Write};

    use sansws::{Connection, MessageKind};

    use super::*;
    use crate::handler::{Conn, Message};

    thread_local! {
        /// Reads of this thread's loops that were answered `WouldBlock`.
        pub(super) static EMPTY_READS: Cell<usize> = const { Cell::new(0) };
    }

    struct Echo;

    impl Handler for Echo {
        fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>) {
            conn.send(message.kind, message.payload).expect("send");
        }
    }

    /// Turns the loop until what the peer read satisfies `done` (bounded: a few hundred
    /// turns of at most 10 ms).
    fn turn_until(
        lp: &mut EventLoop<Echo>,
        peer: &mut std::net::TcpStream,
        done: impl Fn(&[u8]) -> bool,
    ) -> Vec<u8> {
        turns_until(lp, peer, 500, Duration::from_millis(10), done)
    }

    /// Runs at most `turns` turns of the loop, each allowed to wait `max_wait`, until what
    /// the peer read satisfies `done`.
    fn turns_until(
        lp: &mut EventLoop<Echo>,
        peer: &mut std::net::TcpStream,
        turns: usize,
        max_wait: Duration,
        done: impl Fn(&[u8]) -> bool,
    ) -> Vec<u8> {
        peer.set_nonblocking(true).expect("nonblocking");
        let mut got = Vec::new();
        for _ in 0..turns {
            lp.turn(Some(max_wait)).expect("turn");
            let mut buf = [0; 16 * 1024];
            loop {
                match peer.read(&mut buf) {
                    Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                    Ok(_) => break,
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) => panic!("read: {err}"),
                }
            }
            if done(&got) {
                break;
            }
        }
        got
    }

    /// A server connection of `lp`'s, upgraded; returns the peer's (nonblocking) socket.
    fn upgraded(lp: &mut EventLoop<Echo>) -> std::net::TcpStream {
        let (stream, mut peer) = crate::test_support::socket_pair();
        lp.add_server(stream).expect("add");
        peer.write_all(
            b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .expect("request");
        let head = turn_until(lp, &mut peer, |got| got.ends_with(b"\r\n\r\n"));
        assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
        peer
    }

    /// The echo of a connection with no output queued is made in the loop's buffer and
    /// written from there: the connection is left holding no output buffer at all.
    #[test]
    fn output_written_at_once_leaves_the_connection_no_buffer() {
        let mut lp = EventLoop::new(Echo, Options::default()).expect("loop");
        let mut peer = upgraded(&mut lp);
        // RFC 6455 §5.7: a masked "Hello" from a client; its echo is unmasked.
        peer.write_all(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ])
        .expect("frame");
        let echo = turn_until(&mut lp, &mut peer, |got| got.len() >= 7);
        assert_eq!(echo, b"\x81\x05Hello");
        let entry = lp.entries[0].as_ref().expect("open");
        assert_eq!(entry.out.capacity(), 0);
        assert!(lp.staged.capacity() >= 7);
    }

    /// The read that ends a large frame offers the loop's buffer too. With nothing after the
    /// frame, reading less than both hold shows the socket empty: no read is made only to be
    /// told `WouldBlock`. What follows the frame in that read is processed, in order.
    #[test]
    fn the_read_that_ends_a_large_frame_shows_the_socket_empty() {
        let mut lp = EventLoop::new(Echo, Options::default()).expect("loop");
        let mut peer = upgraded(&mut lp);
        let mut client = Connection::client(Config::default(), |key| key.fill(3), Instant::ZERO);
        client.upgraded(Instant::ZERO);
        let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut large = Vec::new();
        (client.send_to_vec(MessageKind::Binary, &payload, &mut large)).expect("encode");
        let mut small = Vec::new();
        (client.send_to_vec(MessageKind::Text, b"after", &mut small)).expect("encode");
        // The server's frames: unmasked, a 64-bit length for the large one.
        let mut large_echo = vec![0x82, 127, 0, 0, 0, 0, 0, 1, 0x86, 0xa0];
        large_echo.extend_from_slice(&payload);
        let small_echo: &[u8] = b"\x81\x05after";

        // The frame's first 60,000 bytes, then the rest alone: the rest is read straight into
        // the connection's buffer, and that read ends the frame.
        let (head, rest) = large.split_at(60_000);
        // What the frame still lacks once `head` is in: its header is 14 bytes (2, a 64-bit
        // length, the key).
        let left = (payload.len() + 14 - head.len()) as u64;
        let echo = send_in_two(&mut lp, &mut peer, (head, left), rest, large_echo.len());
        assert!(echo == large_echo, "the large echo");
        assert_eq!(
            EMPTY_READS.with(Cell::get),
            0,
            "no read only said WouldBlock"
        );

        // Again, with a small frame right after the rest, in the same write.
        let rest = [rest, &small[..]].concat();
        let len = large_echo.len() + small_echo.len();
        let echo = send_in_two(&mut lp, &mut peer, (head, left), &rest, len);
        assert_eq!(echo.len(), len);
        assert!(echo[..large_echo.len()] == large_echo[..], "the large echo");
        assert_eq!(&echo[large_echo.len()..], small_echo, "then the small one");
    }

    /// Writes `head`, turns `lp` until it has read all of it (its large frame then lacks
    /// `left` bytes), writes `rest`, and returns the `len` bytes echoed. Only the reads of
    /// `rest` count in [`EMPTY_READS`].
    fn send_in_two(
        lp: &mut EventLoop<Echo>,
        peer: &mut std::net::TcpStream,
        (head, left): (&[u8], u64),
        rest: &[u8],
        len: usize,
    ) -> Vec<u8> {
        peer.set_nonblocking(false).expect("blocking");
        peer.write_all(head).expect("head");
        let lacking = |lp: &EventLoop<Echo>| {
            let entry = lp.entries[0].as_ref().expect("open");
            entry.assembly.frame_left()
        };
        for _ in 0..500 {
            if lacking(lp) == left {
                break;
            }
            lp.turn(Some(Duration::from_millis(10))).expect("turn");
        }
        assert_eq!(lacking(lp), left, "the head was read");
        EMPTY_READS.with(|reads| reads.set(0));
        peer.write_all(rest).expect("rest");
        turn_until(lp, peer, |got| got.len() >= len)
    }

    /// The loop wakes for its deadlines by itself. With nothing else to wake it and each
    /// wait allowed 10 s, the keepalive ping due 50 ms after the upgrade goes out, and then,
    /// unanswered, the close for the pong timeout 100 ms later (RFC 6455 §5.5.2, §7.4.1
    /// 1011): each wait is timed for the earliest deadline, not for what the caller allows.
    #[test]
    fn deadlines_end_the_wait() {
        let options = Options {
            config: Config {
                ping_interval: Some(Duration::from_millis(50)),
                pong_timeout: Duration::from_millis(100),
                ..Config::default()
            },
            ..Options::default()
        };
        let mut lp = EventLoop::new(Echo, options).expect("loop");
        let mut peer = upgraded(&mut lp);

        let started = std::time::Instant::now();
        // Ping (2 bytes + its payload), then close (2 bytes + code): a few turns at most.
        let got = turns_until(&mut lp, &mut peer, 4, Duration::from_secs(10), |got| {
            got.len() >= 2 && got.len() >= 2 + usize::from(got[1]) + 4
        });
        let elapsed = started.elapsed();
        assert_eq!(got.first(), Some(&0x89), "a ping first: {got:?}");
        let ping_len = 2 + usize::from(got[1]);
        assert_eq!(got[ping_len..], [0x88, 0x02, 0x03, 0xf3], "then close 1011");
        assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    }
}
