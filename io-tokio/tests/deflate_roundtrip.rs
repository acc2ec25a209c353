//! permessage-deflate between the adapter's own client and server: negotiated by default,
//! every context-takeover and window setting (asked by the client or imposed by the server),
//! messages below the threshold, large ones and ones split into many frames, and turned off
//! on either side.
#![cfg(feature = "deflate")]

mod support;

use core::time::Duration;

use sansws_tokio::sansws::{CloseCode, Config};
use sansws_tokio::{
    accept_with, connect_with, ClientOptions, DeflateConfig, DeflateParams, Message, ServerOptions,
    WebSocketStream,
};
use support::{bounded, json_text, listener, pattern};
use tokio::net::TcpStream;

/// A server that echoes one connection; its task returns the parameters it agreed on.
async fn echo_once(
    options: ServerOptions,
) -> (String, tokio::task::JoinHandle<Option<DeflateParams>>) {
    let (listener, addr) = listener().await;
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let mut ws = accept_with(tcp, &options).await.expect("upgrade");
        let params = ws.deflate_params();
        while let Some(Ok(message)) = ws.recv().await {
            ws.feed(message).await.expect("echo");
        }
        params
    });
    (format!("ws://{addr}/"), task)
}

/// Sends each message, checks its echo, then closes cleanly.
async fn echo_all(ws: &mut WebSocketStream<TcpStream>, messages: &[Message]) {
    for message in messages {
        ws.send(message.clone()).await.expect("send");
        let echo = ws.recv().await.expect("open").expect("echo");
        assert!(
            echo == *message,
            "{:?} echo of {} bytes differs",
            message.kind(),
            message.payload().len()
        );
    }
    ws.close(CloseCode::NORMAL, "").await.expect("close");
    assert!(ws.recv().await.is_none(), "clean close ends the stream");
}

/// Empty, below the 32-byte threshold, and JSON larger than every window, twice over: the
/// second copy is where a kept context pays off (and where a wrongly kept one breaks).
fn assorted() -> Vec<Message> {
    let json = json_text(40 * 1024, 0);
    vec![
        Message::text(""),
        Message::binary(Vec::new()),
        Message::text("ten bytes!"),
        Message::text(json.clone()),
        Message::binary(pattern(4096, 3)),
        Message::text(json),
        Message::text("ten bytes!"),
    ]
}

fn client(deflate: Option<DeflateConfig>) -> ClientOptions {
    ClientOptions {
        deflate,
        ..ClientOptions::default()
    }
}

fn server(deflate: Option<DeflateConfig>) -> ServerOptions {
    ServerOptions {
        deflate,
        ..ServerOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_options_negotiate_and_echo_large_messages() {
    bounded(Duration::from_secs(30), async {
        let (url, server) = echo_once(ServerOptions::default()).await;
        let mut ws = connect_with(&url, &ClientOptions::default())
            .await
            .expect("connect");
        // Both ends default to 4 KiB windows and keep their context.
        let expected = DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 12,
            client_max_window_bits: 12,
        };
        assert_eq!(ws.deflate_params(), Some(expected));
        let mut messages = assorted();
        messages.push(Message::text(json_text(64 * 1024, 5)));
        messages.push(Message::text(json_text(1 << 20, 7)));
        messages.push(Message::binary(pattern(1 << 20, 9)));
        echo_all(&mut ws, &messages).await;
        assert_eq!(server.await.expect("server"), Some(expected));
    })
    .await;
}

/// Every combination of `server_no_context_takeover`, `client_no_context_takeover` and
/// window bits 9, 12 and 15 for each side, once asked for in the client's offer and once
/// imposed by the server's configuration: both ends agree on exactly those parameters and
/// every message survives. The 72 connections run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_context_and_window_setting_both_ways() {
    bounded(Duration::from_secs(60), async {
        let full = DeflateConfig {
            max_window_bits: 15,
            peer_max_window_bits: 15,
            ..DeflateConfig::default()
        };
        let mut runs = tokio::task::JoinSet::new();
        for server_reset in [false, true] {
            for client_reset in [false, true] {
                for server_bits in [9, 12, 15] {
                    for client_bits in [9, 12, 15] {
                        let expected = DeflateParams {
                            server_no_context_takeover: server_reset,
                            client_no_context_takeover: client_reset,
                            server_max_window_bits: server_bits,
                            client_max_window_bits: client_bits,
                        };
                        let asked = DeflateConfig {
                            no_context_takeover: client_reset,
                            peer_no_context_takeover: server_reset,
                            max_window_bits: client_bits,
                            peer_max_window_bits: server_bits,
                            ..full
                        };
                        let imposed = DeflateConfig {
                            no_context_takeover: server_reset,
                            peer_no_context_takeover: client_reset,
                            max_window_bits: server_bits,
                            peer_max_window_bits: client_bits,
                            ..full
                        };
                        runs.spawn(agree_and_echo(asked, full, expected));
                        runs.spawn(agree_and_echo(full, imposed, expected));
                    }
                }
            }
        }
        while let Some(run) = runs.join_next().await {
            run.expect("run");
        }
    })
    .await;
}

/// One connection with these configurations must agree on `expected` at both ends and
/// echo [`assorted`] messages.
async fn agree_and_echo(
    client_config: DeflateConfig,
    server_config: DeflateConfig,
    expected: DeflateParams,
) {
    let (url, server_task) = echo_once(server(Some(server_config))).await;
    let mut ws = connect_with(&url, &client(Some(client_config)))
        .await
        .expect("connect");
    let setting = format!("{expected:?} from {client_config:?} and {server_config:?}");
    assert_eq!(ws.deflate_params(), Some(expected), "{setting}");
    echo_all(&mut ws, &assorted()).await;
    let agreed = server_task.await.expect("server");
    assert_eq!(agreed, Some(expected), "{setting}");
}

/// Compressed messages split into many frames both ways (a small `max_send_frame_len`):
/// the receiver inflates piece by piece.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_messages_in_many_frames() {
    bounded(Duration::from_secs(30), async {
        let config = Config {
            max_send_frame_len: 100,
            ..Config::default()
        };
        let (url, server) = echo_once(ServerOptions {
            config,
            ..ServerOptions::default()
        })
        .await;
        let options = ClientOptions {
            config,
            ..ClientOptions::default()
        };
        let mut ws = connect_with(&url, &options).await.expect("connect");
        assert!(ws.deflate_params().is_some());
        echo_all(&mut ws, &assorted()).await;
        server.await.expect("server");
    })
    .await;
}

/// `None` on either side (or both): nothing is compressed and messages still flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turned_off_on_either_side_echoes_uncompressed() {
    bounded(Duration::from_secs(30), async {
        let on = Some(DeflateConfig::default());
        for (client_config, server_config) in [(None, on), (on, None), (None, None)] {
            let (url, server_task) = echo_once(server(server_config)).await;
            let mut ws = connect_with(&url, &client(client_config))
                .await
                .expect("connect");
            assert_eq!(ws.deflate_params(), None);
            echo_all(&mut ws, &assorted()).await;
            assert_eq!(server_task.await.expect("server"), None);
        }
    })
    .await;
}
