//! Control frames through the mio loop: ping and pong, keepalive of a healthy idle peer, the
//! close handshake from either side, and the pong timeout that finds a vanished peer.

mod support;

use std::time::{Duration, Instant};

use sansws_mio::sansws::{CloseCause, CloseCode, Config, MessageKind};
use sansws_mio::Options;
use support::{client_frame, wait_for, Client, RawPeer, Recorder, Seen, Server, LIMIT};

fn keepalive(ping_interval: u64, pong_timeout: u64) -> Options {
    Options {
        config: Config {
            ping_interval: Some(Duration::from_millis(ping_interval)),
            pong_timeout: Duration::from_millis(pong_timeout),
            ..Config::default()
        },
        ..Options::default()
    }
}

fn handshake(peer_code: u16, initiated_locally: bool) -> CloseCause {
    CloseCause::Handshake {
        peer_code: CloseCode(peer_code),
        initiated_locally,
    }
}

fn close_cause(seen: &Seen) -> CloseCause {
    match seen {
        Seen::Close(_, cause) => *cause,
        other => panic!("expected a close, got {other:?}"),
    }
}

/// A client's ping is answered with a pong carrying its payload (seen by `on_pong`), and
/// the server reports the ping to its handler.
#[test]
fn client_ping_is_answered() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, Options::default());
    let mut client = Client::new(Options::default());
    let id = client.open(&server.url("/"));

    client
        .event_loop
        .with_conn(id, |conn| conn.ping(b"are you there"))
        .expect("open")
        .expect("ping");
    let pong = client.wait(|seen| matches!(seen, Seen::Pong(..)));
    assert!(
        matches!(&pong, Seen::Pong(from, payload) if *from == id && payload == b"are you there"),
        "{pong:?}"
    );
    let ping = wait_for(&server_events, LIMIT, |seen| matches!(seen, Seen::Ping(..)));
    assert!(
        matches!(&ping, Seen::Ping(_, payload) if payload == b"are you there"),
        "{ping:?}"
    );
    // Still open and echoing.
    client.send(id, MessageKind::Text, b"still here");
    assert_eq!(client.recv().2, b"still here");
}

/// A server pinging every 50 ms keeps an idle client that answers (the client loop pongs on
/// its own) open across many intervals.
#[test]
fn keepalive_keeps_a_healthy_idle_client() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, keepalive(50, 300));
    let mut client = Client::new(Options::default());
    let id = client.open(&server.url("/"));

    let seen = client.idle(Duration::from_millis(700));
    let pings = seen
        .iter()
        .filter(|seen| matches!(seen, Seen::Ping(..)))
        .count();
    assert!(
        pings >= 4,
        "only {pings} keepalive pings in 700 ms: {seen:?}"
    );
    assert!(
        !seen.iter().any(|seen| matches!(seen, Seen::Close(..))),
        "the idle connection ended: {seen:?}"
    );
    let pongs = server_events
        .try_iter()
        .filter(|seen| matches!(seen, Seen::Pong(..)))
        .count();
    assert!(pongs >= 4, "the server saw only {pongs} pongs");

    client.send(id, MessageKind::Binary, b"after idle");
    assert_eq!(client.recv().2, b"after idle");
    assert_eq!(client.event_loop.connection_count(), 1);
}

/// The client closes: both sides report a completed handshake, initiated by the client.
#[test]
fn client_initiated_close() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, Options::default());
    let mut client = Client::new(Options::default());
    let id = client.open(&server.url("/"));

    client
        .event_loop
        .with_conn(id, |conn| conn.close(CloseCode::GOING_AWAY, "bye"))
        .expect("open")
        .expect("close");
    // No data after close.
    assert!(client
        .event_loop
        .with_conn(id, |conn| conn.send_text("late"))
        .is_none_or(|sent| sent.is_err()));
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..)));
    assert_eq!(close_cause(&closed), handshake(1001, true));
    let closed = wait_for(&server_events, LIMIT, |seen| {
        matches!(seen, Seen::Close(..))
    });
    assert_eq!(close_cause(&closed), handshake(1001, false));
    assert_eq!(client.event_loop.connection_count(), 0);
    assert_eq!(server.exec(|event_loop| event_loop.connection_count()), 0);
}

/// The server closes from outside a callback (`EventLoop::with_conn`).
#[test]
fn server_initiated_close_with_conn() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, Options::default());
    let mut client = Client::new(Options::default());
    client.open(&server.url("/"));
    let Seen::Open(server_id) =
        wait_for(&server_events, LIMIT, |seen| matches!(seen, Seen::Open(_)))
    else {
        unreachable!()
    };

    let closing = server.exec(move |event_loop| {
        event_loop.with_conn(server_id, |conn| conn.close(CloseCode(4000), "maintenance"))
    });
    assert!(matches!(closing, Some(Ok(()))), "{closing:?}");
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..)));
    assert_eq!(close_cause(&closed), handshake(4000, false));
    let closed = wait_for(&server_events, LIMIT, |seen| {
        matches!(seen, Seen::Close(..))
    });
    assert_eq!(close_cause(&closed), handshake(4000, true));
    // The connection is gone for `with_conn` too.
    assert!(server
        .exec(move |event_loop| event_loop.with_conn(server_id, |_| ()))
        .is_none());
}

/// The server's handler closes from `on_message`.
#[test]
fn server_initiated_close_from_handler() {
    let (mut echo, server_events) = Recorder::echo();
    echo.close_on = Some("close please");
    let server = Server::start(echo, Options::default());
    let mut client = Client::new(Options::default());
    let id = client.open(&server.url("/"));

    client.send(id, MessageKind::Text, b"echo first");
    assert_eq!(client.recv().2, b"echo first");
    client.send(id, MessageKind::Text, b"close please");
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..) | Seen::Message(..)));
    assert_eq!(close_cause(&closed), handshake(4001, false));
    let closed = wait_for(&server_events, LIMIT, |seen| {
        matches!(seen, Seen::Close(..))
    });
    assert_eq!(close_cause(&closed), handshake(4001, true));
}

/// A peer that upgrades and then neither reads nor answers (its socket stays open) is
/// dropped by the pong timeout: ping after 50 ms, no pong within 100 ms.
#[test]
fn vanished_peer_is_dropped_by_pong_timeout() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, keepalive(50, 100));
    let (mut peer, _) = RawPeer::upgrade(server.addr, "");
    let opened = Instant::now();
    wait_for(&server_events, LIMIT, |seen| matches!(seen, Seen::Open(_)));

    let closed = wait_for(&server_events, Duration::from_secs(1), |seen| {
        matches!(seen, Seen::Close(..))
    });
    assert_eq!(close_cause(&closed), CloseCause::PongTimeout);
    let elapsed = opened.elapsed();
    assert!(
        elapsed >= Duration::from_millis(140),
        "closed after only {elapsed:?}"
    );
    assert_eq!(server.exec(|event_loop| event_loop.connection_count()), 0);

    // What the peer would have read: the keepalive ping, then close 1011, then the end.
    let (first, _) = peer.read_frame().expect("the ping");
    assert_eq!(first, 0x89);
    let (first, payload) = peer.read_frame().expect("the close");
    assert_eq!(first, 0x88);
    assert_eq!(payload[..2], 1011u16.to_be_bytes());
    assert!(peer.read_to_end().is_empty());
    drop(peer);
}

/// A raw peer that answers the keepalive pings by hand stays open across many intervals,
/// and is dropped once it stops answering.
#[test]
fn raw_peer_answering_pings_stays_open() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, keepalive(50, 100));
    let (mut peer, _) = RawPeer::upgrade(server.addr, "");
    for _ in 0..6 {
        let (first, payload) = peer.read_frame().expect("a keepalive ping");
        assert_eq!(first, 0x89);
        peer.write(&client_frame(0x8A, &payload));
    }
    assert!(
        server_events
            .try_iter()
            .all(|seen| !matches!(seen, Seen::Close(..))),
        "closed although it answered"
    );
    assert_eq!(server.exec(|event_loop| event_loop.connection_count()), 1);
    // Now it stops answering.
    let closed = wait_for(&server_events, Duration::from_secs(1), |seen| {
        matches!(seen, Seen::Close(..))
    });
    assert_eq!(close_cause(&closed), CloseCause::PongTimeout);
}
