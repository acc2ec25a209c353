//! Interop with Python's `websockets` (a peer nobody here wrote), both ways: its client
//! against a sansws-mio echo server, and the sansws-mio client against its server, with
//! permessage-deflate as each side offers or imposes it.
//!
//! The peers are `scripts/interop/ws_client.py` and `ws_server.py` (shared with the tokio
//! adapter's tests), run by the interpreter named in `SANSWS_PYTHON` (`scripts/test.sh`
//! makes a virtualenv with the pinned `websockets` and sets it). Without it the tests print
//! a note and pass, except under CI (`CI` set), where they fail rather than skip.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sansws_mio::sansws::handshake::Request;
use sansws_mio::sansws::{CloseCause, CloseCode, Config, MessageKind};
use sansws_mio::{Options, Upgrade};
use support::{pattern, text, uncompressed_client, Client, Recorder, Seen, Server, LIMIT};

/// The interpreter with `websockets` installed, or `None` (with a note) outside CI.
fn python() -> Option<PathBuf> {
    match std::env::var_os("SANSWS_PYTHON") {
        Some(path) => Some(path.into()),
        None if std::env::var_os("CI").is_some() => {
            panic!("SANSWS_PYTHON is not set: under CI the interop tests must run (use scripts/test.sh)")
        }
        None => {
            eprintln!(
                "note: SANSWS_PYTHON is not set, Python interop skipped \
                 (bash scripts/test.sh sets it up)"
            );
            None
        }
    }
}

fn script(name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "..", "scripts", "interop", name]
        .iter()
        .collect()
}

/// A child process killed (and reaped) when dropped, also on a failed assertion.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Peer {
    /// Waits (at most `limit`) for the process to exit; returns whether it succeeded and
    /// what it printed.
    fn finish(&mut self, limit: Duration) -> (bool, String, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the Python peer ran over {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        let mut stderr = String::new();
        if let Some(mut out) = self.0.stdout.take() {
            out.read_to_string(&mut stdout).expect("stdout");
        }
        if let Some(mut err) = self.0.stderr.take() {
            err.read_to_string(&mut stderr).expect("stderr");
        }
        (status.success(), stdout, stderr)
    }
}

fn choose_chat(request: &Request<'_, '_>) -> Upgrade<'static> {
    if request.subprotocols().any(|offered| offered == "chat") {
        Upgrade::Accept(Some("chat"))
    } else {
        Upgrade::Accept(None)
    }
}

/// Python's client against a sansws-mio echo server: echoes of every length encoding up to
/// 1 MiB, a fragmented message, its ping, our keepalive pings while it idles, the `chat`
/// subprotocol, and its close handshake.
#[test]
fn python_client_against_mio_server() {
    let Some(python) = python() else { return };
    let (mut echo, server_events) = Recorder::echo();
    echo.report_messages = false;
    echo.upgrade = choose_chat;
    let options = Options {
        config: Config {
            ping_interval: Some(Duration::from_millis(50)),
            pong_timeout: Duration::from_millis(500),
            ..Config::default()
        },
        ..Options::default()
    };
    let server = Server::start(echo, options);

    let mut client = Peer(
        Command::new(&python)
            .arg("-u")
            .arg(script("ws_client.py"))
            .arg(server.url("/"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the Python client"),
    );
    let (ok, stdout, stderr) = client.finish(Duration::from_secs(30));
    assert!(ok, "Python client failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "ok", "{stderr}");

    let mut seen = Vec::new();
    let closed = loop {
        match server_events
            .recv_timeout(LIMIT)
            .expect("the server's events")
        {
            event @ (Seen::Close(..) | Seen::Error(..)) => break event,
            event => seen.push(event),
        }
    };
    assert!(
        matches!(
            closed,
            Seen::Close(
                _,
                CloseCause::Handshake {
                    peer_code: CloseCode::NORMAL,
                    initiated_locally: false
                }
            )
        ),
        "{closed:?}"
    );
    assert_eq!(server.exec(|event_loop| event_loop.connection_count()), 0);
    // Its ping reached the handler, and it answered our keepalive pings while idle.
    assert!(
        seen.iter()
            .any(|seen| matches!(seen, Seen::Ping(_, payload) if payload == b"from python")),
        "{seen:?}"
    );
    let pongs = seen
        .iter()
        .filter(|seen| matches!(seen, Seen::Pong(..)))
        .count();
    assert!(pongs >= 3, "only {pongs} keepalive pongs: {seen:?}");
}

/// Starts `ws_server.py` on a free port; returns the process and its port.
fn python_server(python: &PathBuf) -> (Peer, u16) {
    python_server_with(python, &[])
}

/// Starts `ws_server.py` with extra arguments (e.g. `--small-deflate`) on a free port.
fn python_server_with(python: &PathBuf, args: &[&str]) -> (Peer, u16) {
    let mut server = Peer(
        Command::new(python)
            .arg("-u")
            .arg(script("ws_server.py"))
            .args(args)
            // Its stdin ending (this process gone) stops it.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the Python server"),
    );
    let stdout = server.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the Python server starts");
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("the Python server printed {line:?}"));
    (server, port)
}

fn handshake(peer_code: u16, initiated_locally: bool) -> CloseCause {
    CloseCause::Handshake {
        peer_code: CloseCode(peer_code),
        initiated_locally,
    }
}

/// The sansws-mio client against Python's server: echoes of every length encoding, idle
/// time across its keepalive pings (every 100 ms, dropped after 500 ms without a pong: the
/// loop answers them), and our close handshake. Uncompressed, so the lengths are the ones
/// on the wire.
#[test]
fn mio_client_against_python_server() {
    let Some(python) = python() else { return };
    let (_server, port) = python_server(&python);
    let mut client = Client::new(Options::default());
    let id = client.open_with(
        &format!("ws://127.0.0.1:{port}/echo"),
        &uncompressed_client(),
    );

    let sizes = [0usize, 1, 125, 126, 65_535, 64 * 1024, 1 << 20];
    for (seed, &len) in sizes.iter().enumerate() {
        let text = text(len, seed as u8);
        let binary = pattern(len, seed as u8);
        for (kind, payload) in [
            (MessageKind::Text, text.as_bytes()),
            (MessageKind::Binary, &binary[..]),
        ] {
            client.send(id, kind, payload);
            let (_, echo_kind, echo) = client.recv();
            assert_eq!(echo_kind, kind);
            assert!(echo == payload, "{kind:?} echo of {len} bytes differs");
        }
    }

    // Idle across several of Python's keepalive intervals.
    let seen = client.idle(Duration::from_millis(800));
    let pings = seen
        .iter()
        .filter(|seen| matches!(seen, Seen::Ping(..)))
        .count();
    assert!(pings >= 3, "only {pings} pings from Python: {seen:?}");
    assert!(
        seen.iter().all(|seen| matches!(seen, Seen::Ping(..))),
        "{seen:?}"
    );
    client.send(id, MessageKind::Text, b"after idle");
    assert_eq!(client.recv().2, b"after idle");

    client
        .event_loop
        .with_conn(id, |conn| conn.close(CloseCode::NORMAL, "bye"))
        .expect("open")
        .expect("close");
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..)));
    assert!(
        matches!(closed, Seen::Close(_, cause) if cause == handshake(1000, true)),
        "{closed:?}"
    );
    assert_eq!(client.event_loop.connection_count(), 0);
}

/// Python's `/subprotocol` path reports the negotiated subprotocol (none: the mio client
/// offers none), and its `/close` path closes with 4001 after a last message.
#[test]
fn python_server_subprotocol_and_server_close() {
    let Some(python) = python() else { return };
    let (_server, port) = python_server(&python);
    let mut client = Client::new(Options::default());

    let id = client.open(&format!("ws://127.0.0.1:{port}/subprotocol"));
    let (_, kind, chosen) = client.recv();
    assert_eq!((kind, chosen), (MessageKind::Text, Vec::new()));
    client.send(id, MessageKind::Text, b"then echo");
    assert_eq!(client.recv().2, b"then echo");
    client
        .event_loop
        .with_conn(id, |conn| conn.close(CloseCode::NORMAL, ""))
        .expect("open")
        .expect("close");
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..)));
    assert!(
        matches!(closed, Seen::Close(_, cause) if cause == handshake(1000, true)),
        "{closed:?}"
    );

    let id = client.open(&format!("ws://127.0.0.1:{port}/close"));
    let (from, kind, last) = client.recv();
    assert_eq!(
        (from, kind, &last[..]),
        (id, MessageKind::Text, &b"closing"[..])
    );
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..)));
    assert!(
        matches!(closed, Seen::Close(_, cause) if cause == handshake(4001, false)),
        "{closed:?}"
    );
    assert_eq!(client.event_loop.connection_count(), 0);
}

/// An echo server that reports what it agreed on each connection.
#[cfg(feature = "deflate")]
fn reporting_echo_server() -> (Server<Recorder>, std::sync::mpsc::Receiver<Seen>) {
    let (mut echo, events) = Recorder::echo();
    echo.report_messages = false;
    echo.report_agreed = true;
    (Server::start(echo, Options::default()), events)
}

/// Runs `ws_deflate_client.py` against `server`; returns what it printed after checking it
/// succeeded.
#[cfg(feature = "deflate")]
fn python_deflate_client(python: &PathBuf, server: &Server<Recorder>, args: &[&str]) -> String {
    let mut client = Peer(
        Command::new(python)
            .arg("-u")
            .arg(script("ws_deflate_client.py"))
            .arg(server.url("/"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the Python client"),
    );
    let (ok, stdout, stderr) = client.finish(Duration::from_secs(60));
    assert!(ok, "Python client failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.lines().last(), Some("ok"), "{stdout}\n{stderr}");
    stdout
}

/// What the server agreed on for its next connection.
#[cfg(feature = "deflate")]
fn agreed(events: &std::sync::mpsc::Receiver<Seen>) -> Option<sansws_mio::DeflateParams> {
    match support::wait_for(events, LIMIT, |seen| matches!(seen, Seen::Agreed(..))) {
        Seen::Agreed(_, params) => params,
        _ => unreachable!("wait_for returns a match"),
    }
}

/// Python's client offers permessage-deflate by default and our server accepts it: both
/// sides agree, and small messages and 1 MiB of text and binary echo compressed.
#[cfg(feature = "deflate")]
#[test]
fn python_client_negotiates_compression_with_mio_server() {
    let Some(python) = python() else { return };
    let (server, events) = reporting_echo_server();
    let stdout = python_deflate_client(&python, &server, &[]);
    let answer = stdout.lines().next().unwrap_or_default();
    assert!(
        answer.starts_with("EXTENSIONS permessage-deflate"),
        "Python saw {answer:?}"
    );
    assert!(agreed(&events).is_some(), "the server agreed on nothing");
}

/// Python's client with `compression=None` offers nothing: the server answers without the
/// extension and everything echoes uncompressed.
#[cfg(feature = "deflate")]
#[test]
fn python_client_without_compression_against_mio_server() {
    let Some(python) = python() else { return };
    let (server, events) = reporting_echo_server();
    let stdout = python_deflate_client(&python, &server, &["--no-compression"]);
    assert_eq!(stdout.lines().next(), Some("EXTENSIONS "), "{stdout}");
    assert_eq!(agreed(&events), None);
}

/// Our client's default offer against a Python server that imposes 9-bit windows and no
/// context takeover on both sides: both ends agree on exactly that, and messages larger
/// than the window (and repeated, where a kept context would show) echo intact.
#[cfg(feature = "deflate")]
#[test]
fn mio_client_against_python_server_with_small_windows() {
    let Some(python) = python() else { return };
    let (_server, port) = python_server_with(&python, &["--small-deflate"]);
    let mut client = Client::new(Options::default());
    let id = client.open(&format!("ws://127.0.0.1:{port}/extensions"));
    let expected = sansws_mio::DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: 9,
        client_max_window_bits: 9,
    };
    let params = (client.event_loop)
        .with_conn(id, |conn| conn.connection().deflate_params())
        .expect("open");
    assert_eq!(params, Some(expected));
    let (_, kind, answer) = client.recv();
    assert_eq!(kind, MessageKind::Text);
    let answer = String::from_utf8(answer).expect("UTF-8");
    assert!(answer.starts_with("permessage-deflate"), "{answer}");

    let json = support::json_text(64 * 1024, 4).into_bytes();
    for (kind, payload) in [
        (MessageKind::Text, Vec::new()),
        (MessageKind::Text, b"ten bytes!".to_vec()),
        (MessageKind::Text, json.clone()),
        (MessageKind::Text, json),
        (MessageKind::Binary, pattern(256 * 1024, 5)),
        (
            MessageKind::Text,
            support::json_text(1 << 20, 6).into_bytes(),
        ),
    ] {
        client.send(id, kind, &payload);
        let (_, echo_kind, echo) = client.recv();
        assert_eq!(echo_kind, kind);
        assert!(
            echo == payload,
            "{kind:?} echo of {} bytes differs",
            payload.len()
        );
    }
    client
        .event_loop
        .with_conn(id, |conn| conn.close(CloseCode::NORMAL, ""))
        .expect("open")
        .expect("close");
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..)));
    assert!(
        matches!(closed, Seen::Close(_, cause) if cause == handshake(1000, true)),
        "{closed:?}"
    );
}
