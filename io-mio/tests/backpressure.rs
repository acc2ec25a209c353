//! Backpressure through the mio loop: a peer that sends without reading cannot make the
//! server buffer without bound. With `max_send_queue` at 64 KiB the server stops reading
//! from it (so the peer's writes block once the kernel buffers are full), refuses echoes it
//! cannot queue, keeps serving everyone else, and resumes once the peer reads again.

mod support;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansws_mio::sansws::{CloseCause, CloseCode, Config, MessageKind};
use sansws_mio::Options;
use support::{
    client_frame, parse_server_frame, wait_for, Client, RawPeer, Recorder, Seen, Server, LIMIT,
};

const MESSAGE: usize = 16 * 1024;
/// 64 MiB of messages in all.
const TOTAL: usize = 4096;
/// Writes that make no progress for this long mean the server stopped reading.
const STALL: Duration = Duration::from_millis(400);

fn capped(ping_interval: Option<Duration>) -> Options {
    Options {
        config: Config {
            max_send_queue: 64 * 1024,
            ping_interval,
            pong_timeout: Duration::from_millis(100),
            ..Config::default()
        },
        ..Options::default()
    }
}

/// A raw upgraded peer on a nonblocking socket, writing binary messages of [`MESSAGE`]
/// bytes.
struct Flood {
    peer: RawPeer,
    frame: Vec<u8>,
    /// Bytes of the current frame already written.
    at: usize,
    /// Whole messages written.
    sent: usize,
    /// Bytes the kernel accepted.
    accepted: usize,
}

impl Flood {
    fn start(addr: SocketAddr) -> Self {
        let (peer, _) = RawPeer::upgrade(addr, "");
        peer.stream.set_nonblocking(true).expect("nonblocking");
        Flood {
            peer,
            frame: client_frame(0x82, &[0xA5; MESSAGE]),
            at: 0,
            sent: 0,
            accepted: 0,
        }
    }

    /// Writes until `TOTAL` messages are out or writing made no progress for [`STALL`];
    /// returns whether it stalled.
    fn write_until_stalled(&mut self) -> io::Result<bool> {
        let mut last_progress = Instant::now();
        while self.sent < TOTAL {
            match self.peer.stream.write(&self.frame[self.at..]) {
                Ok(n) => {
                    self.advance(n);
                    last_progress = Instant::now();
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    if last_progress.elapsed() >= STALL {
                        return Ok(true);
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(err) => return Err(err),
            }
        }
        Ok(false)
    }

    fn advance(&mut self, n: usize) {
        self.accepted += n;
        self.at += n;
        if self.at == self.frame.len() {
            self.at = 0;
            self.sent += 1;
        }
    }

    /// Reads what is there into the peer's buffer; `false` at end of stream.
    fn read_some(&mut self) -> bool {
        let mut chunk = vec![0; 256 * 1024];
        loop {
            match self.peer.stream.read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => self.peer.buf.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return true,
                Err(err) => panic!("raw read: {err}"),
            }
        }
    }
}

/// Takes the complete frames off the front of `buf`: (echoes of a whole message, other
/// frames).
fn take_frames(buf: &mut Vec<u8>) -> (usize, Vec<(u8, Vec<u8>)>) {
    let mut echoes = 0;
    let mut others = Vec::new();
    let mut used = 0;
    while let Some((first, payload, n)) = parse_server_frame(&buf[used..]) {
        used += n;
        if first == 0x82 && payload.len() == MESSAGE && payload.iter().all(|&b| b == 0xA5) {
            echoes += 1;
        } else {
            others.push((first, payload));
        }
    }
    buf.drain(..used);
    (echoes, others)
}

/// A peer that floods without reading: its writes stall (the server stopped reading)
/// bounded by the cap plus the kernel's socket buffers, far below what it wanted to send;
/// the server keeps serving another client meanwhile; once the peer reads, everything it
/// sent is received, each message either echoed or refused with `QueueFull`.
#[test]
fn flooding_peer_that_never_reads_is_paused() {
    let (mut echo, server_events) = Recorder::echo();
    echo.report_messages = false;
    let server = Server::start(echo, capped(None));
    let mut flood = Flood::start(server.addr);

    let stalled = flood.write_until_stalled().expect("raw write");
    let at_stall = flood.accepted;
    eprintln!(
        "stalled after {} KiB ({} messages)",
        at_stall / 1024,
        flood.sent
    );
    assert!(
        stalled,
        "all {TOTAL} messages ({} MiB) went out although nothing was read",
        (TOTAL * MESSAGE) >> 20
    );
    assert!(
        at_stall < TOTAL * MESSAGE,
        "{at_stall} bytes before stalling"
    );

    // The server is paused on that peer: unpaused, it would read the megabytes waiting in
    // the kernel's buffers at once. (Its count may still creep: the kernel's send buffer
    // grows now and then, taking some output, and each drain lets it read a little.)
    let received = server.exec(|event_loop| event_loop.handler().messages);
    std::thread::sleep(Duration::from_millis(100));
    let (received_later, refused) = server.exec(|event_loop| {
        let handler = event_loop.handler();
        (handler.messages, handler.queue_full)
    });
    assert!(
        received_later - received < 64,
        "the server kept reading: {received} then {received_later} messages"
    );
    assert!(
        (received as usize) * MESSAGE <= at_stall,
        "received more than was sent"
    );
    eprintln!("server received {received} messages, refused {refused} echoes");

    // Everyone else is still served.
    let mut other = Client::new(Options::default());
    let id = other.open(&server.url("/"));
    other.send(id, MessageKind::Text, b"still serving");
    assert_eq!(other.recv().2, b"still serving");

    // The peer reads again: the server resumes, and the rest goes through.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut echoes = 0;
    while flood.sent < TOTAL {
        assert!(
            Instant::now() < deadline,
            "stuck after {} messages",
            flood.sent
        );
        assert!(flood.read_some(), "the server hung up");
        echoes += take_frames(&mut flood.peer.buf).0;
        match flood.peer.stream.write(&flood.frame[flood.at..]) {
            Ok(n) => flood.advance(n),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(err) => panic!("raw write: {err}"),
        }
    }
    flood.peer.stream.set_nonblocking(false).expect("blocking");
    flood
        .peer
        .write(&client_frame(0x88, &CloseCode::NORMAL.0.to_be_bytes()));
    // Everything up to the server's close, then the end of the stream (not a reset).
    let mut chunk = vec![0; 256 * 1024];
    loop {
        match flood.peer.stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => flood.peer.buf.extend_from_slice(&chunk[..n]),
            Err(err) => panic!("raw read after close: {err}"),
        }
    }
    let (last_echoes, others) = take_frames(&mut flood.peer.buf);
    echoes += last_echoes;
    assert!(flood.peer.buf.is_empty(), "a partial frame at the end");
    let heads: Vec<_> = others
        .iter()
        .map(|(first, payload)| (*first, payload.len()))
        .collect();
    assert_eq!(others.len(), 1, "only the close besides echoes: {heads:?}");
    assert_eq!(others[0].0, 0x88);

    let closed = wait_for(&server_events, LIMIT, |seen| {
        matches!(seen, Seen::Close(..))
    });
    assert!(
        matches!(closed, Seen::Close(_, CloseCause::Handshake { .. })),
        "{closed:?}"
    );
    let (received, refused) = server.exec(|event_loop| {
        let handler = event_loop.handler();
        (handler.messages, handler.queue_full)
    });
    eprintln!("{echoes} echoes, {refused} refused");
    // The other client's message counts too (it was echoed).
    assert_eq!(received as usize, TOTAL + 1, "the server missed messages");
    assert_eq!(
        echoes as u64 + refused,
        TOTAL as u64,
        "every message is echoed or refused"
    );
}

/// A peer that floods, never reads and never answers pings is dropped by the pong timeout
/// even though the server's output to it can never be written.
#[test]
fn flooding_dead_peer_is_dropped_by_pong_timeout() {
    let (mut echo, server_events) = Recorder::echo();
    echo.report_messages = false;
    let server = Server::start(echo, capped(Some(Duration::from_millis(50))));
    let mut flood = Flood::start(server.addr);
    wait_for(&server_events, LIMIT, |seen| matches!(seen, Seen::Open(_)));
    let started = Instant::now();
    // Its writes stall, or the server gives up on it first (then writes fail).
    let _ = flood.write_until_stalled();
    let left = Duration::from_secs(2).saturating_sub(started.elapsed());
    let closed = wait_for(&server_events, left, |seen| matches!(seen, Seen::Close(..)));
    assert!(
        matches!(closed, Seen::Close(_, CloseCause::PongTimeout)),
        "{closed:?}"
    );
    assert_eq!(server.exec(|event_loop| event_loop.connection_count()), 0);
}

/// The server closes a flooding peer that never reads: its close frame can never be
/// written, and the close timeout ends the connection anyway.
#[test]
fn closing_a_peer_that_never_reads_ends_at_the_close_timeout() {
    let (mut echo, server_events) = Recorder::echo();
    echo.report_messages = false;
    let mut options = capped(None);
    options.config.close_timeout = Duration::from_millis(200);
    let server = Server::start(echo, options);
    let mut flood = Flood::start(server.addr);
    let Seen::Open(id) = wait_for(&server_events, LIMIT, |seen| matches!(seen, Seen::Open(_)))
    else {
        unreachable!()
    };
    assert!(flood.write_until_stalled().expect("raw write"), "no stall");

    let started = Instant::now();
    let closing = server.exec(move |event_loop| {
        event_loop.with_conn(id, |conn| conn.close(CloseCode::GOING_AWAY, ""))
    });
    assert!(matches!(closing, Some(Ok(()))), "{closing:?}");
    let closed = wait_for(&server_events, Duration::from_secs(2), |seen| {
        matches!(seen, Seen::Close(..))
    });
    assert!(
        matches!(closed, Seen::Close(_, CloseCause::CloseTimeout)),
        "{closed:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(190));
    assert_eq!(server.exec(|event_loop| event_loop.connection_count()), 0);
}
