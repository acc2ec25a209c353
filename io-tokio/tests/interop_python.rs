//! Interop with Python's `websockets` (a peer nobody here wrote), both ways: its client
//! against a sansws-tokio echo server, and the sansws-tokio client against its server.
//!
//! The peers are `scripts/interop/ws_client.py` and `ws_server.py`, run by the interpreter
//! named in `SANSWS_PYTHON` (`scripts/test.sh` makes a virtualenv with the pinned
//! `websockets` and sets it). Without it the tests print a note and pass, except under CI
//! (`CI` set), where they fail rather than skip.
//!
//! Both sides compress by default, so the general tests run with permessage-deflate; the
//! ones named for it check the negotiation (Python's default offer, none at all, and a
//! Python server imposing small windows and no context takeover).

mod support;

use core::time::Duration;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use sansws_tokio::sansws::{CloseCause, CloseCode, Config};
#[cfg(feature = "deflate")]
use sansws_tokio::DeflateParams;
use sansws_tokio::{connect, connect_with, serve, ClientOptions, Message, ServerOptions};
#[cfg(feature = "deflate")]
use support::json_text;
use support::{bounded, listener, pattern, text, uncompressed_client};

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
    /// Waits for the process to exit (the caller bounds the wait); returns whether it
    /// succeeded and what it printed.
    async fn finish(&mut self) -> (bool, String, String) {
        let status = loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
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

/// Waits for a value on a std channel without blocking the runtime (callers bound the wait).
async fn poll_recv<T>(rx: &std::sync::mpsc::Receiver<T>) -> T {
    loop {
        match rx.try_recv() {
            Ok(value) => return value,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(err) => panic!("the sender is gone: {err}"),
        }
    }
}

/// Python's client against `serve`: echoes of every length encoding, a fragmented
/// message, its ping, keepalive pings from our side, subprotocol and close handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_against_tokio_server() {
    let Some(python) = python() else { return };
    bounded(Duration::from_secs(30), async move {
        let options = ServerOptions {
            config: Config {
                ping_interval: Some(Duration::from_millis(50)),
                pong_timeout: Duration::from_millis(500),
                ..Config::default()
            },
            subprotocols: vec!["chat".into()],
            ..ServerOptions::default()
        };
        let (causes_tx, causes) = std::sync::mpsc::channel();
        let (listener, addr) = listener().await;
        let causes_tx = std::sync::Mutex::new(causes_tx);
        tokio::spawn(serve(listener, options, move |mut ws| {
            let causes = causes_tx.lock().expect("not poisoned").clone();
            async move {
                let end = loop {
                    match ws.recv().await {
                        Some(Ok(message)) => {
                            if let Err(err) = ws.send(message).await {
                                break Some(Err(err));
                            }
                        }
                        end => break end,
                    }
                };
                let _ = causes.send((
                    end.map(|end| end.map(drop)),
                    ws.websocket().connection().close_cause(),
                ));
            }
        }));

        let mut client = Peer(
            Command::new(&python)
                .arg("-u")
                .arg(script("ws_client.py"))
                .arg(format!("ws://{addr}/"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start the Python client"),
        );
        let (ok, stdout, stderr) = client.finish().await;
        assert!(ok, "Python client failed:\n{stdout}\n{stderr}");
        assert_eq!(stdout.trim(), "ok", "{stderr}");

        let (end, cause) = poll_recv(&causes).await;
        assert!(end.is_none(), "the client's close ends the stream: {end:?}");
        assert_eq!(
            cause,
            Some(CloseCause::Handshake {
                peer_code: CloseCode::NORMAL,
                initiated_locally: false
            })
        );
    })
    .await;
}

/// Starts `ws_server.py` on a free port; returns the process and its port.
async fn python_server(python: &PathBuf) -> (Peer, u16) {
    python_server_with(python, &[]).await
}

/// Starts `ws_server.py` with extra arguments (e.g. `--small-deflate`) on a free port.
async fn python_server_with(python: &PathBuf, args: &[&str]) -> (Peer, u16) {
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
    let line = poll_recv(&rx).await;
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("the Python server printed {line:?}"));
    (server, port)
}

/// Our client against Python's server: echoes of every length encoding, idle time across
/// its keepalive pings (100 ms, dropped after 500 ms without a pong), close handshake.
/// Uncompressed: the lengths are the point, and compressing 1 MiB in an unoptimized build
/// can hold the client's task past Python's pong timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_client_against_python_server() {
    let Some(python) = python() else { return };
    bounded(Duration::from_secs(30), async move {
        let (_server, port) = python_server(&python).await;

        let url = format!("ws://127.0.0.1:{port}/echo");
        let mut ws = connect_with(&url, &uncompressed_client())
            .await
            .expect("connect");
        let sizes = [0usize, 1, 125, 126, 65_535, 64 * 1024, 1 << 20];
        for (seed, &len) in sizes.iter().enumerate() {
            for message in [
                Message::text(text(len, seed as u8)),
                Message::binary(pattern(len, seed as u8)),
            ] {
                ws.send(message.clone()).await.expect("send");
                let echo = ws.recv().await.expect("open").expect("echo");
                assert!(
                    echo == message,
                    "{:?} echo of {len} bytes differs",
                    message.kind()
                );
            }
        }
        // Idle for several of Python's keepalive intervals: we must answer its pings.
        let idle = tokio::time::timeout(Duration::from_millis(800), ws.recv()).await;
        assert!(idle.is_err(), "the idle connection ended: {idle:?}");
        ws.send(Message::text("after idle")).await.expect("send");
        assert_eq!(
            ws.recv().await.expect("open").expect("echo"),
            Message::text("after idle")
        );
        ws.close(CloseCode::NORMAL, "bye").await.expect("close");
        let end = ws.recv().await;
        assert!(end.is_none(), "Python's answer ends the stream: {end:?}");
        assert_eq!(
            ws.websocket().connection().close_cause(),
            Some(CloseCause::Handshake {
                peer_code: CloseCode::NORMAL,
                initiated_locally: true
            })
        );
    })
    .await;
}

/// Python picks the subprotocol we offer, and its close handshake ends our stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_server_subprotocol_and_server_close() {
    let Some(python) = python() else { return };
    bounded(Duration::from_secs(30), async move {
        let (_server, port) = python_server(&python).await;

        let options = ClientOptions {
            subprotocols: vec!["superchat".into(), "chat".into()],
            ..ClientOptions::default()
        };
        let url = format!("ws://127.0.0.1:{port}/subprotocol");
        let mut ws = connect_with(&url, &options).await.expect("connect");
        let chosen = ws.recv().await.expect("open").expect("message");
        assert_eq!(chosen, Message::text("chat"));
        ws.close(CloseCode::NORMAL, "").await.expect("close");
        assert!(ws.recv().await.is_none());

        let mut ws = connect(&format!("ws://127.0.0.1:{port}/close"))
            .await
            .expect("connect");
        let last = ws.recv().await.expect("open").expect("message");
        assert_eq!(last, Message::text("closing"));
        let end = ws.recv().await;
        assert!(end.is_none(), "Python's close ends the stream: {end:?}");
        assert_eq!(
            ws.websocket().connection().close_cause(),
            Some(CloseCause::Handshake {
                peer_code: CloseCode(4001),
                initiated_locally: false
            })
        );
    })
    .await;
}

/// An echo server on a free port whose task sends, per connection, the permessage-deflate
/// parameters it agreed on.
#[cfg(feature = "deflate")]
async fn reporting_echo_server(
    options: ServerOptions,
) -> (
    core::net::SocketAddr,
    std::sync::mpsc::Receiver<Option<DeflateParams>>,
) {
    let (agreed_tx, agreed) = std::sync::mpsc::channel();
    let (listener, addr) = listener().await;
    let agreed_tx = std::sync::Mutex::new(agreed_tx);
    tokio::spawn(serve(listener, options, move |mut ws| {
        let _ = agreed_tx
            .lock()
            .expect("not poisoned")
            .send(ws.deflate_params());
        async move {
            while let Some(Ok(message)) = ws.recv().await {
                if ws.send(message).await.is_err() {
                    break;
                }
            }
        }
    }));
    (addr, agreed)
}

/// Runs `ws_deflate_client.py` against `addr`; returns what it printed after checking it
/// succeeded.
#[cfg(feature = "deflate")]
async fn python_deflate_client(
    python: &PathBuf,
    addr: core::net::SocketAddr,
    args: &[&str],
) -> String {
    let mut client = Peer(
        Command::new(python)
            .arg("-u")
            .arg(script("ws_deflate_client.py"))
            .arg(format!("ws://{addr}/"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the Python client"),
    );
    let (ok, stdout, stderr) = client.finish().await;
    assert!(ok, "Python client failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.lines().last(), Some("ok"), "{stdout}\n{stderr}");
    stdout
}

/// Python's client offers permessage-deflate by default and our server accepts it: both
/// sides agree, and small messages and 1 MiB of text and binary echo compressed.
#[cfg(feature = "deflate")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_negotiates_compression_with_tokio_server() {
    let Some(python) = python() else { return };
    bounded(Duration::from_secs(60), async move {
        let (addr, agreed) = reporting_echo_server(ServerOptions::default()).await;
        let stdout = python_deflate_client(&python, addr, &[]).await;
        let answer = stdout.lines().next().unwrap_or_default();
        assert!(
            answer.starts_with("EXTENSIONS permessage-deflate"),
            "Python saw {answer:?}"
        );
        let params = poll_recv(&agreed).await;
        assert!(params.is_some(), "the server agreed on nothing");
    })
    .await;
}

/// Python's client with `compression=None` offers nothing: the server answers without the
/// extension and everything echoes uncompressed.
#[cfg(feature = "deflate")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_without_compression_against_tokio_server() {
    let Some(python) = python() else { return };
    bounded(Duration::from_secs(60), async move {
        let (addr, agreed) = reporting_echo_server(ServerOptions::default()).await;
        let stdout = python_deflate_client(&python, addr, &["--no-compression"]).await;
        assert_eq!(stdout.lines().next(), Some("EXTENSIONS "), "{stdout}");
        assert_eq!(poll_recv(&agreed).await, None);
    })
    .await;
}

/// Our client's default offer against a Python server that imposes 9-bit windows and no
/// context takeover on both sides: both ends agree on exactly that, and messages larger
/// than the window (and repeated, where a kept context would show) echo intact.
#[cfg(feature = "deflate")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_client_against_python_server_with_small_windows() {
    let Some(python) = python() else { return };
    bounded(Duration::from_secs(60), async move {
        let (_server, port) = python_server_with(&python, &["--small-deflate"]).await;
        let url = format!("ws://127.0.0.1:{port}/extensions");
        let mut ws = connect(&url).await.expect("connect");
        let expected = DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 9,
            client_max_window_bits: 9,
        };
        assert_eq!(ws.deflate_params(), Some(expected));
        let answer = ws.recv().await.expect("open").expect("message");
        let answer = answer.as_text().expect("text");
        assert!(answer.starts_with("permessage-deflate"), "{answer}");

        let json = json_text(64 * 1024, 4);
        for message in [
            Message::text(""),
            Message::text("ten bytes!"),
            Message::text(json.clone()),
            Message::text(json),
            Message::binary(pattern(256 * 1024, 5)),
            Message::text(json_text(1 << 20, 6)),
        ] {
            ws.send(message.clone()).await.expect("send");
            let echo = ws.recv().await.expect("open").expect("echo");
            assert!(
                echo == message,
                "{:?} echo of {} bytes differs",
                message.kind(),
                message.payload().len()
            );
        }
        ws.close(CloseCode::NORMAL, "").await.expect("close");
        assert!(ws.recv().await.is_none());
    })
    .await;
}
