//! Control frames through the adapter: pings answered both ways, keepalive on an idle but
//! healthy connection, a vanished peer found by the pong timeout, and the close handshake
//! started by either side (with the close cause each side records).

mod support;

use core::time::Duration;

use sansws_tokio::sansws::{CloseCause, CloseCode, Config};
use sansws_tokio::{accept_with, connect, connect_with, ClientOptions, Error, Message};
use sansws_tokio::{ServerOptions, WebSocketStream};
use support::{bounded, echo_server, listener, masked_frame, unmasked_frame, RawPeer};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A config with keepalive every `interval` and `pong_timeout` to answer it.
fn keepalive(interval: Duration, pong_timeout: Duration) -> Config {
    Config {
        ping_interval: Some(interval),
        pong_timeout,
        ..Config::default()
    }
}

/// Accepts one connection on a free port with `options` and runs `handler` on it; returns
/// the `ws://` URL and the handler's task.
async fn one_server<F, Fut, T>(options: ServerOptions, handler: F) -> (String, JoinHandle<T>)
where
    F: FnOnce(WebSocketStream<TcpStream>) -> Fut + Send + 'static,
    Fut: core::future::Future<Output = T> + Send,
    T: Send + 'static,
{
    let (listener, addr) = listener().await;
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let ws = accept_with(tcp, &options).await.expect("upgrade");
        handler(ws).await
    });
    (format!("ws://{addr}/"), task)
}

#[tokio::test]
async fn server_answers_a_ping_with_its_payload() {
    bounded(Duration::from_secs(5), async {
        let url = echo_server(ServerOptions::default()).await;
        let addr = url["ws://".len()..url.len() - 1].parse().expect("addr");
        let (mut peer, _) = RawPeer::upgrade(addr, "").await;
        peer.write(&masked_frame(0x89, b"are you there?", [9, 8, 7, 6]))
            .await;
        let pong = peer.read_frame().await.expect("pong");
        assert_eq!(pong.first, 0x8A, "a final pong");
        assert!(!pong.masked, "server frames are unmasked");
        assert_eq!(pong.payload, b"are you there?");
        // The connection still echoes afterwards.
        peer.write(&masked_frame(0x81, b"still here", [1, 2, 3, 4]))
            .await;
        let echo = peer.read_frame().await.expect("echo");
        assert_eq!((echo.first, &echo.payload[..]), (0x81, &b"still here"[..]));
    })
    .await;
}

#[tokio::test]
async fn client_ping_goes_out_and_the_pong_is_consumed() {
    bounded(Duration::from_secs(5), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut peer = RawPeer::new(tcp);
            let head = peer.read_head().await.expect("request");
            peer.answer_upgrade(&head, "").await;
            let ping = peer.read_frame().await.expect("ping");
            assert_eq!(ping.first, 0x89, "a final ping");
            assert!(ping.masked, "client frames are masked");
            assert_eq!(ping.payload, b"marco");
            // The pong is not a message: the client must yield only the text after it.
            peer.write(&unmasked_frame(0x8A, b"marco")).await;
            peer.write(&unmasked_frame(0x81, b"polo")).await;
            peer
        });
        let mut ws = connect(&format!("ws://{addr}/")).await.expect("connect");
        ws.ping(b"marco").await.expect("ping");
        let message = ws.recv().await.expect("open").expect("message");
        assert_eq!(message, Message::text("polo"));
        let _peer = server.await.expect("server task");
    })
    .await;
}

/// Both ends send keepalive pings every 50 ms with a 250 ms pong timeout; the connection
/// stays idle for many intervals and must survive (each side answers the other's pings, and
/// each side's pong timer is stopped by the answers).
#[tokio::test]
async fn keepalive_keeps_an_idle_healthy_connection_open() {
    bounded(Duration::from_secs(5), async {
        let fast = keepalive(Duration::from_millis(50), Duration::from_millis(250));
        let server_options = ServerOptions {
            config: fast,
            ..ServerOptions::default()
        };
        let (url, server) = one_server(server_options, |mut ws| async move {
            while let Some(Ok(message)) = ws.recv().await {
                ws.send(message).await.expect("echo");
            }
            ws.websocket().connection().close_cause()
        })
        .await;
        let client_options = ClientOptions {
            config: fast,
            ..ClientOptions::default()
        };
        let mut ws = connect_with(&url, &client_options).await.expect("connect");
        // Idle for 12 intervals, polling the stream so pings are answered and timers run.
        let idle = tokio::time::timeout(Duration::from_millis(600), ws.recv()).await;
        assert!(
            idle.is_err(),
            "nothing arrives on an idle connection: {idle:?}"
        );
        assert!(ws.websocket().connection().is_open());
        ws.send(Message::text("after the idle time"))
            .await
            .expect("send");
        let echo = ws.recv().await.expect("open").expect("echo");
        assert_eq!(echo, Message::text("after the idle time"));
        ws.close(CloseCode::NORMAL, "").await.expect("close");
        assert!(ws.recv().await.is_none());
        let server_cause = server.await.expect("server task");
        assert_eq!(
            server_cause,
            Some(CloseCause::Handshake {
                peer_code: CloseCode::NORMAL,
                initiated_locally: false
            })
        );
    })
    .await;
}

/// A client that upgrades and then goes silent (socket open, nothing read or answered).
#[tokio::test]
async fn vanished_peer_is_found_by_the_pong_timeout() {
    bounded(Duration::from_secs(5), async {
        let options = ServerOptions {
            config: keepalive(Duration::from_millis(50), Duration::from_millis(100)),
            ..ServerOptions::default()
        };
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut ws = accept_with(tcp, &options).await.expect("upgrade");
            let start = Instant::now();
            let end = ws.recv().await;
            (
                end,
                start.elapsed(),
                ws.websocket().connection().close_cause(),
            )
        });
        let (mut peer, _) = RawPeer::upgrade(addr, "").await;
        let (end, elapsed, cause) = server.await.expect("server task");
        assert!(
            matches!(end, Some(Err(Error::Closed(CloseCause::PongTimeout)))),
            "{end:?}"
        );
        assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
        // Ping at 50 ms, give up 100 ms later (measured from a little after the upgrade).
        assert!(elapsed >= Duration::from_millis(100), "took {elapsed:?}");
        assert_eq!(cause, Some(CloseCause::PongTimeout));
        // What the silent peer would have read: the keepalive ping, then a 1011 close.
        let ping = peer.read_frame().await.expect("ping");
        assert_eq!(ping.opcode(), 0x9);
        let close = peer.read_frame().await.expect("close");
        assert_eq!(close.opcode(), 0x8);
        assert_eq!(close.payload[..2], 1011u16.to_be_bytes());
        assert!(
            peer.read_to_end().await.is_empty(),
            "nothing after the close"
        );
    })
    .await;
}

/// A pong that arrived while the application kept the task busy past the pong timeout (as
/// compressing a large message in an unoptimized build can) is read before the timeout is
/// judged: the connection lives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pong_waiting_in_the_socket_beats_a_passed_pong_timeout() {
    bounded(Duration::from_secs(5), async {
        let options = ServerOptions {
            config: keepalive(Duration::from_millis(50), Duration::from_millis(200)),
            ..ServerOptions::default()
        };
        let (url, server) = one_server(options, |mut ws| async move {
            let first = ws.recv().await;
            // Work that holds the task (and so the stream) for twice the pong timeout; the
            // runtime's other tasks move to another thread meanwhile.
            tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(400)));
            let second = ws.recv().await;
            (first, second, ws.websocket().connection().close_cause())
        })
        .await;
        let addr = url["ws://".len()..url.len() - 1].parse().expect("addr");
        let (mut peer, _) = RawPeer::upgrade(addr, "").await;
        let ping = peer.read_frame().await.expect("keepalive ping");
        assert_eq!(ping.opcode(), 0x9);
        peer.write(&masked_frame(0x81, b"busy", [1, 2, 3, 4])).await;
        // The server is asleep by now: the pong waits in its socket.
        tokio::time::sleep(Duration::from_millis(100)).await;
        peer.write(&masked_frame(0x8A, &ping.payload, [5, 6, 7, 8]))
            .await;
        peer.write(&masked_frame(0x81, b"after", [1, 2, 3, 4]))
            .await;
        let (first, second, cause) = server.await.expect("server task");
        assert!(
            matches!(first, Some(Ok(ref m)) if *m == Message::text("busy")),
            "{first:?}"
        );
        assert!(
            matches!(second, Some(Ok(ref m)) if *m == Message::text("after")),
            "{second:?}"
        );
        assert_eq!(cause, None, "still open");
    })
    .await;
}

#[tokio::test]
async fn client_initiated_close_handshake() {
    bounded(Duration::from_secs(5), async {
        let (url, server) = one_server(ServerOptions::default(), |mut ws| async move {
            let first = ws.recv().await.expect("open").expect("message");
            assert_eq!(first, Message::text("hello"));
            let end = ws.recv().await;
            assert!(end.is_none(), "the peer's close ends the stream: {end:?}");
            assert!(ws.recv().await.is_none(), "and it stays ended");
            ws.websocket().connection().close_cause()
        })
        .await;
        let mut ws = connect(&url).await.expect("connect");
        ws.send(Message::text("hello")).await.expect("send");
        ws.close(CloseCode::NORMAL, "bye").await.expect("close");
        assert!(
            matches!(ws.send(Message::text("late")).await, Err(Error::Send(_))),
            "no data after close"
        );
        let end = ws.recv().await;
        assert!(end.is_none(), "the answer ends the stream: {end:?}");
        assert_eq!(
            ws.websocket().connection().close_cause(),
            Some(CloseCause::Handshake {
                peer_code: CloseCode::NORMAL,
                initiated_locally: true
            })
        );
        assert_eq!(
            server.await.expect("server task"),
            Some(CloseCause::Handshake {
                peer_code: CloseCode::NORMAL,
                initiated_locally: false
            })
        );
    })
    .await;
}

#[tokio::test]
async fn server_initiated_close_handshake() {
    bounded(Duration::from_secs(5), async {
        let (url, server) = one_server(ServerOptions::default(), |mut ws| async move {
            ws.send(Message::text("goodbye")).await.expect("send");
            ws.close(CloseCode(4000), "done").await.expect("close");
            let end = ws.recv().await;
            assert!(end.is_none(), "the answer ends the stream: {end:?}");
            ws.websocket().connection().close_cause()
        })
        .await;
        let mut ws = connect(&url).await.expect("connect");
        let last = ws.recv().await.expect("open").expect("message");
        assert_eq!(last, Message::text("goodbye"));
        let end = ws.recv().await;
        assert!(end.is_none(), "the server's close ends the stream: {end:?}");
        assert_eq!(
            ws.websocket().connection().close_cause(),
            Some(CloseCause::Handshake {
                peer_code: CloseCode(4000),
                initiated_locally: false
            })
        );
        assert_eq!(
            server.await.expect("server task"),
            Some(CloseCause::Handshake {
                peer_code: CloseCode(4000),
                initiated_locally: true
            })
        );
    })
    .await;
}

/// The close frame on the wire carries the code and reason given to `close`, and the server
/// ends the TCP stream after its answer.
#[tokio::test]
async fn close_frames_on_the_wire() {
    bounded(Duration::from_secs(5), async {
        let url = echo_server(ServerOptions::default()).await;
        let addr = url["ws://".len()..url.len() - 1].parse().expect("addr");
        let (mut peer, _) = RawPeer::upgrade(addr, "").await;
        let mut payload = 1000u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"bye");
        peer.write(&masked_frame(0x88, &payload, [4, 3, 2, 1]))
            .await;
        let answer = peer.read_frame().await.expect("close answer");
        assert_eq!(answer.first, 0x88);
        assert_eq!(
            answer.payload[..2],
            1000u16.to_be_bytes(),
            "the code is echoed"
        );
        assert!(
            peer.read_to_end().await.is_empty(),
            "the server ends the stream"
        );
    })
    .await;
}

/// A peer that closes TCP without a close frame: the stream reports an abnormal closure.
#[tokio::test]
async fn tcp_end_without_close_frame_is_abnormal() {
    bounded(Duration::from_secs(5), async {
        let (url, server) = one_server(ServerOptions::default(), |mut ws| async move {
            let end = ws.recv().await;
            (end, ws.websocket().connection().close_cause())
        })
        .await;
        let addr = url["ws://".len()..url.len() - 1].parse().expect("addr");
        let (peer, _) = RawPeer::upgrade(addr, "").await;
        drop(peer);
        let (end, cause) = server.await.expect("server task");
        assert!(
            matches!(end, Some(Err(Error::Closed(CloseCause::Abnormal)))),
            "{end:?}"
        );
        assert_eq!(cause, Some(CloseCause::Abnormal));
    })
    .await;
}

/// A protocol error reaches the peer before the application: the echo of the message before
/// it, then the close frame naming the error (1002), then the end of the stream — even though
/// the application drops the connection as soon as it sees the error. (Autobahn 3.2, 4.1.3
/// and 5.15 came out NON-STRICT before this was so.)
#[tokio::test]
async fn the_close_frame_for_a_protocol_error_is_written_before_the_error_is_reported() {
    bounded(Duration::from_secs(5), async {
        let addr = echo_server(ServerOptions::default()).await;
        let addr = addr.trim_start_matches("ws://").trim_end_matches('/');
        let (mut peer, _) = RawPeer::upgrade(addr.parse().expect("addr"), "").await;
        let mut burst = masked_frame(0x81, b"a", [1, 2, 3, 4]);
        // A reserved opcode (0x3) in the same segment.
        burst.extend(masked_frame(0x83, b"", [5, 6, 7, 8]));
        peer.write(&burst).await;
        let echo = peer.read_frame().await.expect("the echo");
        assert_eq!((echo.opcode(), echo.payload.as_slice()), (0x1, &b"a"[..]));
        let close = peer.read_frame().await.expect("a close frame");
        assert_eq!(close.opcode(), 0x8);
        assert_eq!(close.payload[..2], 1002u16.to_be_bytes());
        assert!(peer.read_frame().await.is_none(), "nothing after the close");
    })
    .await;
}
