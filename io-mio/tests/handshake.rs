//! The HTTP upgrade through the mio loop: refused requests (by the core and by the
//! application), handshake timeouts on both sides, subprotocol selection, invalid answers,
//! and heads and frames that arrive in pieces.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use sansws_mio::sansws::handshake::{Request, RequestError, ResponseError, WriteError};
use sansws_mio::sansws::{Config, MessageKind};
use sansws_mio::{Error, Options, Upgrade};
use support::{client_frame, header, wait_for, Client, RawPeer, Recorder, Seen, Server, LIMIT};

fn short_handshake() -> Options {
    Options {
        config: Config {
            handshake_timeout: Duration::from_millis(100),
            ..Config::default()
        },
        ..Options::default()
    }
}

fn error(seen: Seen) -> Error {
    match seen {
        Seen::Error(_, error) => error,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// A plain HTTP GET is answered 400 (and the connection closed); the handler hears
/// `on_error` with the request error, and no `on_open`.
#[test]
fn plain_http_get_is_refused() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, Options::default());
    let mut peer = RawPeer::connect(server.addr);
    peer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let head = peer.read_head().expect("an answer");
    assert!(
        head.starts_with("HTTP/1.1 400") || head.starts_with("HTTP/1.1 426"),
        "{head}"
    );
    peer.read_to_end();
    let seen = wait_for(&server_events, LIMIT, |_| true);
    assert!(
        matches!(
            error(seen),
            Error::Request(RequestError::UpgradeNotWebSocket)
        ),
        "not the request error"
    );

    // A missing version is 426 with the version we speak.
    let mut peer = RawPeer::connect(server.addr);
    peer.write(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    let head = peer.read_head().expect("an answer");
    assert!(head.starts_with("HTTP/1.1 426"), "{head}");
    assert_eq!(header(&head, "sec-websocket-version"), Some("13"));
    let seen = wait_for(&server_events, LIMIT, |_| true);
    assert!(matches!(
        error(seen),
        Error::Request(RequestError::MissingVersion)
    ));
    assert_eq!(server.exec(|event_loop| event_loop.connection_count()), 0);
}

/// `Upgrade::Refuse(403)` is sent as a 403; a mio client reports `Error::Rejected`.
#[test]
fn application_refusal_reaches_the_client() {
    let (mut refuser, server_events) = Recorder::echo();
    refuser.upgrade = |_| Upgrade::Refuse(403);
    let server = Server::start(refuser, Options::default());

    let mut client = Client::new(Options::default());
    let id = client
        .event_loop
        .connect(&server.url("/"))
        .expect("connect");
    let seen = client.wait(|_| true);
    assert!(matches!(&seen, Seen::Error(from, _) if *from == id));
    assert!(matches!(error(seen), Error::Rejected { status: 403 }));
    assert_eq!(client.event_loop.connection_count(), 0);
    let seen = wait_for(&server_events, LIMIT, |_| true);
    assert!(matches!(error(seen), Error::Refused(403)));

    // On the wire.
    let mut peer = RawPeer::connect(server.addr);
    peer.write(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    let head = peer.read_head().expect("an answer");
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
}

/// A client that connects and sends nothing is dropped after the handshake timeout, and the
/// handler hears `on_error` (never `on_open` or `on_close`).
#[test]
fn server_handshake_timeout() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, short_handshake());
    let started = Instant::now();
    let mut silent = RawPeer::connect(server.addr);
    let seen = wait_for(&server_events, Duration::from_secs(2), |_| true);
    let elapsed = started.elapsed();
    assert!(
        matches!(error(seen), Error::Io(err) if err.kind() == std::io::ErrorKind::TimedOut),
        "not a timeout"
    );
    assert!(elapsed >= Duration::from_millis(90), "after {elapsed:?}");
    assert!(silent.read_to_end().is_empty(), "nothing is sent");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.exec(|event_loop| event_loop.connection_count()), 0);

    // A request that stops halfway is dropped the same way.
    let mut half = RawPeer::connect(server.addr);
    half.write(b"GET / HTTP/1.1\r\nHost: loc");
    let seen = wait_for(&server_events, Duration::from_secs(2), |_| true);
    assert!(matches!(error(seen), Error::Io(_)));
    assert!(half.read_to_end().is_empty());
}

/// A server that accepts the TCP connection but never answers the upgrade: the client gives
/// up after its handshake timeout.
#[test]
fn client_handshake_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut client = Client::new(short_handshake());
    let started = Instant::now();
    let id = client
        .event_loop
        .connect(&format!("ws://{addr}/"))
        .expect("connect");
    let (_silent, _) = listener.accept().expect("accept");
    let seen = client.wait_within(Duration::from_secs(2), |_| true);
    assert!(matches!(&seen, Seen::Error(from, _) if *from == id));
    assert!(matches!(error(seen), Error::Io(err) if err.kind() == std::io::ErrorKind::TimedOut));
    assert!(started.elapsed() >= Duration::from_millis(90));
    assert_eq!(client.event_loop.connection_count(), 0);
}

/// The same under `run`, which times each wait from the clock as read after the last one:
/// the deadline still ends the connection, and with it the loop.
#[test]
fn run_ends_at_the_client_handshake_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (recorder, events) = Recorder::new();
    let mut event_loop = sansws_mio::EventLoop::new(recorder, short_handshake()).expect("loop");
    let id = event_loop
        .connect(&format!("ws://{addr}/"))
        .expect("connect");
    let (_silent, _) = listener.accept().expect("accept");
    let started = Instant::now();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(event_loop.run().map(|()| started.elapsed())));
    let took = finished
        .recv_timeout(Duration::from_secs(2))
        .expect("run returns once the connection is gone")
        .expect("run");
    assert!(took >= Duration::from_millis(90), "{took:?}");
    let seen = wait_for(&events, LIMIT, |_| true);
    assert!(matches!(&seen, Seen::Error(from, _) if *from == id));
    assert!(matches!(error(seen), Error::Io(err) if err.kind() == std::io::ErrorKind::TimedOut));
}

/// The handler picks `chat` when offered: the 101 names it, and frames flow.
#[test]
fn subprotocol_is_negotiated() {
    let (mut echo, server_events) = Recorder::echo();
    echo.upgrade = choose_chat;
    let server = Server::start(echo, Options::default());

    let (mut peer, head) =
        RawPeer::upgrade(server.addr, "Sec-WebSocket-Protocol: superchat, chat\r\n");
    assert_eq!(header(&head, "sec-websocket-protocol"), Some("chat"));
    peer.write(&client_frame(0x81, b"hello"));
    assert_eq!(peer.read_frame(), Some((0x81, b"hello".to_vec())));

    // Not offered: none chosen, no header.
    let (_peer, head) = RawPeer::upgrade(server.addr, "");
    assert_eq!(header(&head, "sec-websocket-protocol"), None);
    // The mio client offers none, so it gets none.
    let mut client = Client::new(Options::default());
    let id = client.open(&server.url("/"));
    client.send(id, MessageKind::Text, b"no protocol");
    assert_eq!(client.recv().2, b"no protocol");
    assert!(server_events
        .try_iter()
        .all(|seen| !matches!(seen, Seen::Error(..))));
}

fn choose_chat(request: &Request<'_, '_>) -> Upgrade<'static> {
    if request.subprotocols().any(|offered| offered == "chat") {
        Upgrade::Accept(Some("chat"))
    } else {
        Upgrade::Accept(None)
    }
}

/// A handler that names a subprotocol the client did not offer: the server reports the
/// write error and answers 500; the client hears the status of the failed upgrade.
#[test]
fn subprotocol_not_offered() {
    let (mut echo, server_events) = Recorder::echo();
    echo.upgrade = |_| Upgrade::Accept(Some("chat"));
    let server = Server::start(echo, Options::default());

    let mut client = Client::new(Options::default());
    let id = client
        .event_loop
        .connect(&server.url("/"))
        .expect("connect");
    let seen = wait_for(&server_events, LIMIT, |_| true);
    assert!(matches!(
        error(seen),
        Error::Write(WriteError::SubprotocolNotOffered)
    ));
    let seen = client.wait(|_| true);
    assert!(
        matches!(&seen, Seen::Error(from, Error::Rejected { status: 500 }) if *from == id),
        "{seen:?}"
    );
    assert_eq!(client.event_loop.connection_count(), 0);
}

/// Nothing listens: the client's connection fails and `on_error` says so.
#[test]
fn client_connection_refused() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let mut client = Client::new(Options::default());
    match client.event_loop.connect(&format!("ws://{addr}/")) {
        // Refused at once.
        Err(Error::Io(_)) => {}
        Err(other) => panic!("{other}"),
        Ok(id) => {
            let seen = client.wait(|_| true);
            assert!(
                matches!(&seen, Seen::Error(from, Error::Io(err))
                    if *from == id && err.kind() == std::io::ErrorKind::ConnectionRefused),
                "{seen:?}"
            );
        }
    }
    assert_eq!(client.event_loop.connection_count(), 0);
}

/// A server whose 101 carries the wrong accept key: `Error::Response`.
#[test]
fn client_rejects_a_bad_accept_key() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut client = Client::new(Options::default());
    let id = client
        .event_loop
        .connect(&format!("ws://{addr}/"))
        .expect("connect");
    let (stream, _) = listener.accept().expect("accept");
    let mut server = RawPeer {
        stream,
        buf: Vec::new(),
    };
    server
        .stream
        .set_read_timeout(Some(LIMIT))
        .expect("timeout");
    // The loop must write the request: turn it while the raw server reads.
    let reader = std::thread::spawn(move || {
        let head = server.read_head().expect("a request");
        server
            .stream
            .write_all(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                  Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            )
            .expect("answer");
        (server, head)
    });
    let seen = client.wait(|_| true);
    let (_server, head) = reader.join().expect("raw server");
    assert!(head.starts_with("GET / HTTP/1.1\r\n"), "{head}");
    assert!(matches!(&seen, Seen::Error(from, _) if *from == id));
    assert!(matches!(
        error(seen),
        Error::Response(ResponseError::AcceptMismatch)
    ));
}

/// The request head, then frames, arriving a few bytes at a time (and a request and its
/// first frame in one write) are reassembled by the loop.
#[test]
fn heads_and_frames_in_pieces() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, Options::default());
    let mut peer = RawPeer::connect(server.addr);
    let request = b"GET /pieces HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
                    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                    Sec-WebSocket-Version: 13\r\n\r\n";
    let mut bytes = request.to_vec();
    bytes.extend(client_frame(0x81, b"first"));
    bytes.extend(client_frame(0x82, &[7; 300]));
    bytes.extend(client_frame(0x01, b"frag"));
    bytes.extend(client_frame(0x80, b"mented"));
    for chunk in bytes.chunks(7) {
        peer.write(chunk);
        std::thread::sleep(Duration::from_micros(300));
    }
    let head = peer.read_head().expect("101");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert_eq!(peer.read_frame(), Some((0x81, b"first".to_vec())));
    assert_eq!(peer.read_frame(), Some((0x82, vec![7; 300])));
    assert_eq!(peer.read_frame(), Some((0x81, b"fragmented".to_vec())));
    wait_for(&server_events, LIMIT, |seen| matches!(seen, Seen::Open(_)));

    // Request and first frame in a single write.
    let mut peer = RawPeer::connect(server.addr);
    let mut bytes = request.to_vec();
    bytes.extend(client_frame(0x81, b"together"));
    peer.write(&bytes);
    assert!(peer.read_head().expect("101").starts_with("HTTP/1.1 101"));
    assert_eq!(peer.read_frame(), Some((0x81, b"together".to_vec())));
}

/// Records the subprotocol each side agreed on when the connection opens.
#[derive(Debug, Default)]
struct ProtocolProbe {
    opened: Option<Option<String>>,
}

impl sansws_mio::Handler for ProtocolProbe {
    fn on_open(&mut self, conn: &mut sansws_mio::Conn<'_>) {
        self.opened = Some(conn.subprotocol().map(str::to_owned));
    }

    fn on_message(&mut self, _: &mut sansws_mio::Conn<'_>, _: sansws_mio::Message<'_>) {}
}

/// `connect_with` offers subprotocols (and sends extra headers); both sides see the one the
/// server chose from the offer.
#[test]
fn client_offers_subprotocols_and_both_sides_see_the_choice() {
    let (mut echo, server_events) = Recorder::echo();
    echo.upgrade = choose_chat;
    let server = Server::start(echo, Options::default());
    let mut client =
        sansws_mio::EventLoop::new(ProtocolProbe::default(), Options::default()).expect("loop");
    // Every field but `deflate` (feature-gated), which keeps its default.
    #[allow(clippy::needless_update)]
    let options = sansws_mio::ClientOptions {
        subprotocols: vec!["superchat".into(), "chat".into()],
        headers: vec![("X-Probe".into(), "1".into())],
        ..sansws_mio::ClientOptions::default()
    };
    client
        .connect_with(&server.url("/"), &options)
        .expect("connect");
    let deadline = Instant::now() + LIMIT;
    while client.handler().opened.is_none() && Instant::now() < deadline {
        client.turn(Some(Duration::from_millis(10))).expect("turn");
    }
    assert_eq!(client.handler().opened, Some(Some("chat".to_owned())));
    let Seen::Open(id) = wait_for(&server_events, LIMIT, |seen| matches!(seen, Seen::Open(_)))
    else {
        unreachable!("wait_for returns a match");
    };
    let agreed = server.exec(move |event_loop| {
        event_loop.with_conn(id, |conn| conn.subprotocol().map(str::to_owned))
    });
    assert_eq!(agreed, Some(Some("chat".to_owned())));
}
