//! The opening handshake through the adapter: refused requests, a redirecting server,
//! handshake timeouts on both sides, and subprotocol negotiation.

mod support;

use core::time::Duration;

use sansws_tokio::sansws::handshake::RequestError;
use sansws_tokio::sansws::{CloseCode, Config};
use sansws_tokio::{accept, accept_with, connect, connect_with, ClientOptions, Error, Message};
use sansws_tokio::{accept_with_decision, Decision, ServerOptions, WebSocketStream};
use support::{bounded, header, listener, RawPeer};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Accepts one connection with `options`; the task returns `accept_with`'s result.
async fn accept_one(
    options: ServerOptions,
) -> (
    core::net::SocketAddr,
    tokio::task::JoinHandle<sansws_tokio::Result<WebSocketStream<TcpStream>>>,
) {
    let (listener, addr) = listener().await;
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        accept_with(tcp, &options).await
    });
    (addr, task)
}

#[tokio::test]
async fn plain_http_get_is_refused() {
    bounded(Duration::from_secs(5), async {
        let (addr, server) = accept_one(ServerOptions::default()).await;
        let mut peer = RawPeer::connect(addr).await;
        let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\n\r\n");
        peer.write(request.as_bytes()).await;
        let head = peer.read_head().await.expect("an HTTP answer");
        let status: u16 = head[9..12].parse().expect("status code");
        assert!(status == 400 || status == 426, "{head}");
        assert_eq!(header(&head, "connection"), Some("close"), "{head}");
        // The server closes after its answer (the body is the reason).
        let body = peer.read_to_end().await;
        let length: usize = header(&head, "content-length")
            .expect("content-length")
            .parse()
            .expect("number");
        assert_eq!(body.len(), length);
        let result = server.await.expect("server task");
        assert!(
            matches!(
                result,
                Err(Error::Request(RequestError::UpgradeNotWebSocket))
            ),
            "{result:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_version_gets_426_with_the_supported_version() {
    bounded(Duration::from_secs(5), async {
        let (addr, server) = accept_one(ServerOptions::default()).await;
        let mut peer = RawPeer::connect(addr).await;
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n"
        );
        peer.write(request.as_bytes()).await;
        let head = peer.read_head().await.expect("an HTTP answer");
        assert!(head.starts_with("HTTP/1.1 426"), "{head}");
        assert_eq!(header(&head, "sec-websocket-version"), Some("13"));
        let result = server.await.expect("server task");
        assert!(
            matches!(
                result,
                Err(Error::Request(RequestError::UnsupportedVersion))
            ),
            "{result:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn redirect_is_reported_with_its_location() {
    bounded(Duration::from_secs(5), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut peer = RawPeer::new(tcp);
            let head = peer.read_head().await.expect("request");
            assert!(head.starts_with("GET /old?x=1 HTTP/1.1\r\n"), "{head}");
            peer.write(
                b"HTTP/1.1 302 Found\r\nLocation: ws://example.invalid/new\r\n\
                  Content-Length: 5\r\n\r\nmoved",
            )
            .await;
            peer
        });
        let result = connect(&format!("ws://{addr}/old?x=1")).await;
        match result {
            Err(Error::Refused { status, location }) => {
                assert_eq!(status, 302);
                assert_eq!(location.as_deref(), Some("ws://example.invalid/new"));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let _peer = server.await.expect("server task");
    })
    .await;
}

#[tokio::test]
async fn invalid_accept_key_fails_the_client() {
    bounded(Duration::from_secs(5), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut peer = RawPeer::new(tcp);
            peer.read_head().await.expect("request");
            peer.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                  Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            )
            .await;
            peer
        });
        let result = connect(&format!("ws://{addr}/")).await;
        assert!(matches!(result, Err(Error::Response(_))), "{result:?}");
        let _peer = server.await.expect("server task");
    })
    .await;
}

#[tokio::test]
async fn silent_client_hits_the_server_handshake_timeout() {
    bounded(Duration::from_secs(5), async {
        let options = ServerOptions {
            config: Config {
                handshake_timeout: Duration::from_millis(200),
                ..Config::default()
            },
            ..ServerOptions::default()
        };
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let start = Instant::now();
            let result = accept_with(tcp, &options).await;
            (result, start.elapsed())
        });
        // Connects, sends part of a request head, then nothing.
        let mut peer = RawPeer::connect(addr).await;
        peer.write(b"GET / HTTP/1.1\r\nHost: x\r\n").await;
        let (result, elapsed) = server.await.expect("server task");
        assert!(matches!(result, Err(Error::HandshakeTimeout)), "{result:?}");
        assert!(elapsed >= Duration::from_millis(190), "took {elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        // The server let go of the connection.
        assert!(peer.read_to_end().await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn silent_server_hits_the_client_handshake_timeout() {
    bounded(Duration::from_secs(5), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut peer = RawPeer::new(tcp);
            peer.read_head().await.expect("request");
            // Never answers; ends when the client gives up.
            peer.read_to_end().await
        });
        let options = ClientOptions {
            config: Config {
                handshake_timeout: Duration::from_millis(200),
                ..Config::default()
            },
            ..ClientOptions::default()
        };
        let start = Instant::now();
        let result = connect_with(&format!("ws://{addr}/"), &options).await;
        assert!(matches!(result, Err(Error::HandshakeTimeout)), "{result:?}");
        assert!(start.elapsed() < Duration::from_secs(2));
        drop(result);
        assert!(server.await.expect("server task").is_empty());
    })
    .await;
}

/// The server picks its most preferred protocol among the client's offers, and says so in
/// the 101 response.
#[tokio::test]
async fn server_picks_its_preferred_offered_subprotocol() {
    bounded(Duration::from_secs(5), async {
        let options = ServerOptions {
            subprotocols: vec!["v3.chat".into(), "v2.chat".into(), "v1.chat".into()],
            ..ServerOptions::default()
        };
        for (offer, chosen) in [
            ("v1.chat, v2.chat", Some("v2.chat")),
            ("v1.chat", Some("v1.chat")),
            ("other", None),
        ] {
            let (addr, server) = accept_one(options.clone()).await;
            let extra = format!("Sec-WebSocket-Protocol: {offer}\r\n");
            let (_peer, head) = RawPeer::upgrade(addr, &extra).await;
            assert_eq!(header(&head, "sec-websocket-protocol"), chosen, "{head}");
            server.await.expect("server task").expect("upgraded");
        }
    })
    .await;
}

/// The client offers its subprotocols in order and accepts an answer naming one of them;
/// an answer naming another fails the handshake.
#[tokio::test]
async fn client_offers_subprotocols_and_checks_the_answer() {
    bounded(Duration::from_secs(5), async {
        let options = ClientOptions {
            subprotocols: vec!["mqtt".into(), "graphql-ws".into()],
            ..ClientOptions::default()
        };
        for (answer, accepted) in [("graphql-ws", true), ("soap", false)] {
            let (listener, addr) = listener().await;
            let server = tokio::spawn(async move {
                let (tcp, _) = listener.accept().await.expect("accept");
                let mut peer = RawPeer::new(tcp);
                let head = peer.read_head().await.expect("request");
                let offered = header(&head, "sec-websocket-protocol").map(str::to_owned);
                let extra = format!("Sec-WebSocket-Protocol: {answer}\r\n");
                peer.answer_upgrade(&head, &extra).await;
                (peer, offered)
            });
            let result = connect_with(&format!("ws://{addr}/"), &options).await;
            let (_peer, offered) = server.await.expect("server task");
            assert_eq!(offered.as_deref(), Some("mqtt, graphql-ws"));
            if accepted {
                assert!(result.is_ok(), "{result:?}");
            } else {
                assert!(matches!(result, Err(Error::Response(_))), "{result:?}");
            }
        }
    })
    .await;
}

/// Both ends of the adapter: a client offering a protocol the server speaks connects and
/// exchanges messages.
#[tokio::test]
async fn subprotocol_end_to_end() {
    bounded(Duration::from_secs(5), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let options = ServerOptions {
                subprotocols: vec!["chat".into()],
                ..ServerOptions::default()
            };
            let mut ws = accept_with(tcp, &options).await.expect("upgrade");
            while let Some(Ok(message)) = ws.recv().await {
                ws.send(message).await.expect("echo");
            }
        });
        let options = ClientOptions {
            subprotocols: vec!["superchat".into(), "chat".into()],
            ..ClientOptions::default()
        };
        let mut ws = connect_with(&format!("ws://{addr}/"), &options)
            .await
            .expect("connect");
        assert_eq!(ws.subprotocol(), Some("chat"));
        ws.send(Message::text("hi")).await.expect("send");
        assert_eq!(
            ws.recv().await.expect("open").expect("echo"),
            Message::text("hi")
        );
        ws.close(CloseCode::NORMAL, "").await.expect("close");
        assert!(ws.recv().await.is_none());
        server.await.expect("server task");
    })
    .await;
}

/// `accept_with_decision` sees the request and may refuse it with a status of its choosing.
#[tokio::test]
async fn a_decision_can_refuse_by_origin() {
    bounded(Duration::from_secs(5), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            accept_with_decision(tcp, &ServerOptions::default(), |request| {
                match request.origin() {
                    Some("https://good.example") => Decision::Accept {
                        subprotocol: None,
                        headers: Vec::new(),
                    },
                    _ => Decision::Reject {
                        status: 403,
                        body: b"foreign origin".to_vec(),
                    },
                }
            })
            .await
        });
        let mut peer = RawPeer::connect(addr).await;
        let request = format!(
            "GET /chat HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n"
        );
        peer.write(request.as_bytes()).await;
        let head = peer.read_head().await.expect("an HTTP answer");
        assert!(head.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{head}");
        assert_eq!(peer.read_to_end().await, b"foreign origin");
        let result = server.await.expect("server task");
        assert!(
            matches!(result, Err(Error::Declined { status: 403 })),
            "{result:?}"
        );
    })
    .await;
}

/// An accepting decision sees the path and adds response headers.
#[tokio::test]
async fn a_decision_sees_the_path_and_adds_headers() {
    bounded(Duration::from_secs(5), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut seen = String::new();
            let ws = accept_with_decision(tcp, &ServerOptions::default(), |request| {
                seen = request.path().to_owned();
                Decision::Accept {
                    subprotocol: None,
                    headers: vec![("Set-Cookie".into(), "session=42".into())],
                }
            })
            .await
            .expect("upgrade");
            (seen, ws.subprotocol().map(str::to_owned))
        });
        let (_peer, head) = RawPeer::upgrade(addr, "").await;
        assert_eq!(header(&head, "set-cookie"), Some("session=42"), "{head}");
        let (path, subprotocol) = server.await.expect("server task");
        assert_eq!(path, "/chat");
        assert_eq!(subprotocol, None);
    })
    .await;
}

/// Frames sent in the same segment as the request head are not lost by the upgrade.
#[tokio::test]
async fn frames_right_behind_the_request_head_are_kept() {
    bounded(Duration::from_secs(5), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut ws = accept(tcp).await.expect("upgrade");
            ws.recv().await.expect("open").expect("message")
        });
        let mut peer = RawPeer::connect(addr).await;
        let mut bytes = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .into_bytes();
        bytes.extend(support::masked_frame(0x81, b"early", [1, 2, 3, 4]));
        peer.write(&bytes).await;
        assert_eq!(server.await.expect("server task"), Message::text("early"));
    })
    .await;
}
