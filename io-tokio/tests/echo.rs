//! Echo through `serve` + `connect` over loopback TCP: every payload-length encoding (7-bit,
//! 16-bit, 64-bit) in text and binary up to 16 MiB, 100 concurrent clients, and a connection
//! split into `Sink` and `Stream` halves driven from two tasks. The tests about frame
//! lengths and full socket buffers turn permessage-deflate off, as compressed payloads would
//! be shorter than chosen; the others run with the default options, so compressed.

mod support;

use core::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sansws_tokio::sansws::{CloseCause, CloseCode};
use sansws_tokio::{connect, Message, ServerOptions};
use support::{bounded, echo_server, pattern, text, uncompressed_server};

/// Sizes at and around every length-encoding boundary, then large ones.
const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 64 * 1024, 16 << 20];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoes_text_and_binary_of_every_length_encoding() {
    bounded(Duration::from_secs(40), async {
        let url = echo_server(uncompressed_server()).await;
        let mut ws = connect(&url).await.expect("connect");
        #[cfg(feature = "deflate")]
        assert_eq!(ws.deflate_params(), None, "the server declined compression");
        for (i, &len) in SIZES.iter().enumerate() {
            let seed = i as u8;
            let binary = Message::binary(pattern(len, seed));
            ws.send(binary.clone()).await.expect("send binary");
            let echo = ws.recv().await.expect("open").expect("echo");
            assert!(echo == binary, "binary echo of {len} bytes differs");

            let text = Message::text(text(len, seed));
            ws.send(text.clone()).await.expect("send text");
            let echo = ws.recv().await.expect("open").expect("echo");
            assert!(
                echo.as_text().is_some(),
                "text echo of {len} bytes is not text"
            );
            assert!(echo == text, "text echo of {len} bytes differs");
        }
        ws.close(CloseCode::NORMAL, "").await.expect("close");
        assert!(ws.recv().await.is_none(), "clean close ends the stream");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_clients_hundred_messages_each() {
    bounded(Duration::from_secs(30), async {
        let url = echo_server(ServerOptions::default()).await;
        let clients = (0..100u32).map(|client| {
            let url = url.clone();
            tokio::spawn(async move {
                let mut ws = connect(&url).await.expect("connect");
                let sent: Vec<Message> = (0..100u32)
                    .map(|i| match i % 2 {
                        0 => Message::text(format!("client {client} message {i}")),
                        _ => Message::binary(pattern((i * 7) as usize, client as u8)),
                    })
                    .collect();
                // Pipelined: queue all, flush once, then read every echo in order.
                for message in &sent {
                    ws.feed(message.clone()).await.expect("feed");
                }
                ws.flush().await.expect("flush");
                for (i, message) in sent.iter().enumerate() {
                    let echo = ws.recv().await.expect("open").expect("echo");
                    assert_eq!(&echo, message, "client {client}, message {i}");
                }
                ws.close(CloseCode::NORMAL, "").await.expect("close");
                assert!(ws.recv().await.is_none());
            })
        });
        for client in clients.collect::<Vec<_>>() {
            client.await.expect("client task");
        }
    })
    .await;
}

/// The halves of `StreamExt::split` on two tasks: one sends, one receives, concurrently.
async fn split_round_trip(count: usize, len: usize, options: ServerOptions) {
    let url = echo_server(options).await;
    let ws = connect(&url).await.expect("connect");
    let (mut sink, mut stream) = ws.split();
    let sender = tokio::spawn(async move {
        for i in 0..count {
            let mut payload = pattern(len, i as u8);
            payload[..8].copy_from_slice(&(i as u64).to_be_bytes());
            sink.send(Message::binary(payload)).await.expect("send");
        }
        sink
    });
    let receiver = tokio::spawn(async move {
        for i in 0..count {
            let echo = stream.next().await.expect("open").expect("echo");
            let mut expected = pattern(len, i as u8);
            expected[..8].copy_from_slice(&(i as u64).to_be_bytes());
            assert!(echo.payload()[..] == expected[..], "echo {i} differs");
        }
        stream
    });
    let mut sink = sender.await.expect("sender task");
    let mut stream = receiver.await.expect("receiver task");
    // `Sink::close` starts the close handshake; the stream half sees the answer.
    sink.close().await.expect("close");
    assert!(stream.next().await.is_none(), "clean close ends the stream");
    let ws = sink.reunite(stream).expect("same connection");
    assert!(matches!(
        ws.websocket().connection().close_cause(),
        Some(CloseCause::Handshake {
            peer_code: CloseCode::NORMAL,
            initiated_locally: true
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_on_two_tasks() {
    bounded(
        Duration::from_secs(20),
        split_round_trip(1000, 64, ServerOptions::default()),
    )
    .await;
}

/// Large messages fill the socket buffers, so both halves end up waiting on the transport.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_on_two_tasks_with_full_socket_buffers() {
    let round_trip = split_round_trip(200, 256 * 1024, uncompressed_server());
    bounded(Duration::from_secs(30), round_trip).await;
}
