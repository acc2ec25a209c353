//! permessage-deflate as the bytes on the wire show it, against hand-driven TCP peers:
//! which messages go compressed, what the handshake says when compression is off, a
//! decompression bomb, and a client failing server answers that break its offer.
#![cfg(feature = "deflate")]

mod support;

use core::net::SocketAddr;
use core::time::Duration;

use sansws_tokio::sansws::conn::{Incoming, WebSocket};
use sansws_tokio::sansws::entropy::os_entropy;
use sansws_tokio::sansws::handshake::ResponseError;
use sansws_tokio::sansws::{CloseCode, Config, Connection, Instant, ProtocolError};
use sansws_tokio::{
    accept_with, connect_with, ClientOptions, DeflateConfig, DeflateParams, Error, Message,
    NegotiationError, ServerOptions,
};
use support::{
    bounded, echo_server, header, json_text, listener, masked_frame, uncompressed_client,
    uncompressed_server, unmasked_frame, RawPeer,
};

/// FIN + text, FIN + RSV1 (compressed) + text, FIN + close.
const TEXT: u8 = 0x81;
const COMPRESSED_TEXT: u8 = 0xC1;
const CLOSE: u8 = 0x88;

/// What a raw client offers: the bare extension, so the server picks every parameter.
const BARE_OFFER: &str = "Sec-WebSocket-Extensions: permessage-deflate\r\n";

/// The parameters a server's 101 `head` agreed to for [`BARE_OFFER`].
fn agreed(head: &str) -> DeflateParams {
    let answer = header(head, "sec-websocket-extensions").expect("compression accepted");
    let bare = DeflateConfig {
        max_window_bits: 15,
        peer_max_window_bits: 15,
        ..DeflateConfig::default()
    };
    bare.check_response([answer])
        .expect("a valid answer")
        .expect("permessage-deflate")
}

/// The core in the client role with `params` on, for crafting and reading compressed
/// frames by hand.
fn client_codec(params: DeflateParams, config: &DeflateConfig) -> WebSocket {
    let mut conn = Connection::client(Config::default(), os_entropy, Instant::ZERO);
    conn.enable_deflate(params, config);
    conn.upgraded(Instant::ZERO);
    WebSocket::new(conn)
}

/// Inflates one server frame as the client would.
fn inflate_from_server(params: DeflateParams, first: u8, payload: &[u8]) -> Message {
    let mut codec = client_codec(params, &DeflateConfig::default());
    codec.handle_read(Instant::ZERO, &unmasked_frame(first, payload));
    match codec.poll_event() {
        Ok(Some(Incoming::Message(message))) => message,
        other => panic!("not a message: {other:?}"),
    }
}

/// The core in the server role with `params` on, reading one client frame.
fn inflate_from_client(params: DeflateParams, first: u8, payload: &[u8]) -> Message {
    let mut conn = Connection::server(Config::default(), Instant::ZERO);
    conn.enable_deflate(params, &DeflateConfig::default());
    conn.upgraded(Instant::ZERO);
    let mut codec = WebSocket::new(conn);
    codec.handle_read(Instant::ZERO, &masked_frame(first, payload, [1, 2, 3, 4]));
    match codec.poll_event() {
        Ok(Some(Incoming::Message(message))) => message,
        other => panic!("not a message: {other:?}"),
    }
}

/// Echoes of messages below `min_compress_len` (32 bytes by default) go out as they are;
/// longer ones are compressed, and inflate back to the message.
#[tokio::test]
async fn server_compresses_only_messages_past_the_threshold() {
    bounded(Duration::from_secs(10), async {
        let url = echo_server(ServerOptions::default()).await;
        let addr: SocketAddr = url[5..url.len() - 1].parse().expect("address");
        let (mut peer, head) = RawPeer::upgrade(addr, BARE_OFFER).await;
        let params = agreed(&head);

        for text in ["", "ten bytes!", &"x".repeat(31)] {
            peer.write(&masked_frame(TEXT, text.as_bytes(), [1, 2, 3, 4]))
                .await;
            let echo = peer.read_frame().await.expect("echo");
            assert_eq!(echo.first, TEXT, "{} bytes went compressed", text.len());
            assert_eq!(echo.payload, text.as_bytes());
        }

        for text in ["x".repeat(32), json_text(64 * 1024, 1)] {
            peer.write(&masked_frame(TEXT, text.as_bytes(), [1, 2, 3, 4]))
                .await;
            let echo = peer.read_frame().await.expect("echo");
            assert_eq!(echo.first, COMPRESSED_TEXT, "{} bytes", text.len());
            assert_eq!(
                inflate_from_server(params, echo.first, &echo.payload),
                Message::text(text.clone())
            );
            if text.len() > 1024 {
                assert!(
                    echo.payload.len() < text.len() / 4,
                    "{}",
                    echo.payload.len()
                );
            }
        }
    })
    .await;
}

/// The client, too, sends messages below the threshold as they are and compresses the
/// others with the window the server asked for.
#[tokio::test]
async fn client_compresses_only_messages_past_the_threshold() {
    bounded(Duration::from_secs(10), async {
        const ANSWER: &str =
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=9";
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let mut peer = RawPeer::new(tcp);
            let head = peer.read_head().await.expect("request head");
            peer.answer_upgrade(&head, &format!("Sec-WebSocket-Extensions: {ANSWER}\r\n"))
                .await;
            let small = peer.read_frame().await.expect("small message");
            let large = peer.read_frame().await.expect("large message");
            (small, large)
        });
        let mut ws = connect_with(&format!("ws://{addr}/"), &ClientOptions::default())
            .await
            .expect("connect");
        let params = ws.deflate_params().expect("compression on");
        assert_eq!(params.client_max_window_bits, 9);
        let json = json_text(64 * 1024, 5);
        ws.send(Message::text("ten bytes!")).await.expect("send");
        ws.send(Message::text(json.clone())).await.expect("send");

        let (small, large) = server.await.expect("server task");
        assert_eq!(
            (small.first, &small.payload[..]),
            (TEXT, &b"ten bytes!"[..])
        );
        assert_eq!(large.first, COMPRESSED_TEXT);
        assert!(
            large.payload.len() < json.len() / 4,
            "{}",
            large.payload.len()
        );
        assert_eq!(
            inflate_from_client(params, large.first, &large.payload),
            Message::text(json)
        );
    })
    .await;
}

/// A server with `deflate: None` answers an offer without the extension and never sets
/// RSV1.
#[tokio::test]
async fn server_turned_off_declines_the_offer() {
    bounded(Duration::from_secs(10), async {
        let url = echo_server(uncompressed_server()).await;
        let addr: SocketAddr = url[5..url.len() - 1].parse().expect("address");
        let (mut peer, head) = RawPeer::upgrade(addr, BARE_OFFER).await;
        assert_eq!(header(&head, "sec-websocket-extensions"), None, "{head}");
        let text = json_text(64 * 1024, 2);
        peer.write(&masked_frame(TEXT, text.as_bytes(), [1, 2, 3, 4]))
            .await;
        let echo = peer.read_frame().await.expect("echo");
        assert_eq!(echo.first, TEXT);
        assert_eq!(echo.payload, text.as_bytes());
    })
    .await;
}

/// A small compressed message that inflates past `max_message_len` fails the server with
/// 1009 (MessageTooLarge), said in its close frame too.
#[tokio::test]
async fn decompression_bomb_fails_with_1009() {
    bounded(Duration::from_secs(10), async {
        let (listener, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            let options = ServerOptions {
                config: Config {
                    max_message_len: 64 * 1024,
                    ..Config::default()
                },
                ..ServerOptions::default()
            };
            let mut ws = accept_with(tcp, &options).await.expect("upgrade");
            ws.recv().await
        });
        let (mut peer, head) = RawPeer::upgrade(addr, BARE_OFFER).await;

        // 1 MiB of zeros, compressed by the core as a client would.
        let mut bomber = client_codec(agreed(&head), &DeflateConfig::default());
        bomber
            .send(Message::binary(vec![0; 1 << 20]))
            .expect("compress");
        let bomb: Vec<u8> = bomber.transmit_chunks().flatten().copied().collect();
        assert!(bomb.len() < 4096, "the bomb is small: {} bytes", bomb.len());
        assert_eq!(bomb[0] & 0x40, 0x40, "RSV1: compressed");
        peer.write(&bomb).await;

        let close = peer.read_frame().await.expect("a close frame");
        assert_eq!(close.first, CLOSE);
        assert_eq!(
            close.payload[..2],
            CloseCode::MESSAGE_TOO_BIG.0.to_be_bytes()
        );
        let result = server.await.expect("server task");
        assert!(
            matches!(
                result,
                Some(Err(Error::Protocol(ProtocolError::MessageTooLarge)))
            ),
            "{result:?}"
        );
    })
    .await;
}

/// A raw server that reads one upgrade request, answers 101 with `extensions` (a
/// `Sec-WebSocket-Extensions` value, if any) and then reads until the client hangs up.
/// Its task returns the request head and every byte the client sent after the answer.
async fn answering_server(
    extensions: Option<&'static str>,
) -> (String, tokio::task::JoinHandle<(String, Vec<u8>)>) {
    let (listener, addr) = listener().await;
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let mut peer = RawPeer::new(tcp);
        let head = peer.read_head().await.expect("request head");
        let extra = extensions
            .map(|value| format!("Sec-WebSocket-Extensions: {value}\r\n"))
            .unwrap_or_default();
        peer.answer_upgrade(&head, &extra).await;
        let rest = peer.read_to_end().await;
        (head, rest)
    });
    (format!("ws://{addr}/"), task)
}

/// Answers that break the default offer fail the upgrade with `Error::Deflate`; the client
/// offered exactly `DeflateConfig::offer`, and hung up without sending a frame.
#[tokio::test]
async fn client_fails_answers_that_break_its_offer() {
    bounded(Duration::from_secs(10), async {
        for (answer, expected) in [
            (
                "permessage-deflate; server_max_window_bits=16",
                NegotiationError::InvalidParameter,
            ),
            (
                "permessage-deflate; server_max_window_bits=13",
                NegotiationError::WindowNotOffered,
            ),
            (
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits=15",
                NegotiationError::WindowNotOffered,
            ),
            // The offer asked for a 12-bit server window: ignoring it is refusing it.
            ("permessage-deflate", NegotiationError::ParameterIgnored),
            (
                "permessage-deflate; server_max_window_bits=12, permessage-deflate; \
                 server_max_window_bits=12",
                NegotiationError::Duplicate,
            ),
        ] {
            let (url, server) = answering_server(Some(answer)).await;
            let result = connect_with(&url, &ClientOptions::default()).await;
            let err = result.expect_err("the upgrade fails");
            assert!(
                matches!(err, Error::Deflate(found) if found == expected),
                "{answer}: {err:?}"
            );
            assert!(err.to_string().contains("permessage-deflate"), "{err}");
            assert!(std::error::Error::source(&err).is_some());

            let (head, rest) = server.await.expect("server task");
            assert_eq!(
                header(&head, "sec-websocket-extensions"),
                Some(DeflateConfig::default().offer().as_str())
            );
            assert!(rest.is_empty(), "the client sent {rest:?}");
        }
    })
    .await;
}

/// A client with `deflate: None` offers nothing, so an answer naming the extension is one
/// it never offered.
#[tokio::test]
async fn client_turned_off_offers_nothing_and_refuses_compression() {
    bounded(Duration::from_secs(10), async {
        let (url, server) = answering_server(Some("permessage-deflate")).await;
        let result = connect_with(&url, &uncompressed_client()).await;
        assert!(
            matches!(
                result,
                Err(Error::Response(ResponseError::ExtensionNotOffered))
            ),
            "{:?}",
            result.err()
        );
        let (head, _) = server.await.expect("server task");
        assert_eq!(header(&head, "sec-websocket-extensions"), None, "{head}");
    })
    .await;
}

/// A server that answers without the extension is fine: the client goes uncompressed.
#[tokio::test]
async fn client_accepts_a_declined_offer() {
    bounded(Duration::from_secs(10), async {
        let (url, server) = answering_server(None).await;
        let mut ws = connect_with(&url, &ClientOptions::default())
            .await
            .expect("connect");
        assert_eq!(ws.deflate_params(), None);
        ws.send(Message::text(json_text(1024, 3)))
            .await
            .expect("send");
        drop(ws);
        let (_, rest) = server.await.expect("server task");
        assert_eq!(rest[0], TEXT, "sent uncompressed");
    })
    .await;
}
