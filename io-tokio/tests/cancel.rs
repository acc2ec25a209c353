//! Cancel safety of `WebSocketStream::recv`: pending `recv()` futures are dropped by
//! `tokio::select!` over and over while messages arrive in pieces, and no message is lost,
//! reordered or corrupted.

mod support;

use core::time::Duration;

use sansws_tokio::sansws::CloseCode;
use sansws_tokio::{accept, connect, Message, ServerOptions};
use support::{bounded, echo_server, listener, masked_frame, pattern, RawPeer};

/// The messages the raw peer sends: short, 16-bit and 64-bit lengths would take too long to
/// trickle, so 7- and 16-bit lengths, text and binary, plus one fragmented message.
fn messages() -> Vec<Message> {
    let mut messages = Vec::new();
    for i in 0..12u8 {
        let len = [0, 1, 5, 125, 126, 300][usize::from(i % 6)];
        messages.push(match i % 2 {
            0 => Message::text("é".repeat(len / 2) + &"x".repeat(len % 2)),
            _ => Message::binary(pattern(len, i)),
        });
    }
    messages
}

/// Every frame the peer writes, in order: the messages, with a ping and a fragmented
/// message (text "fragmented", with a ping between its fragments) in the middle.
fn wire(messages: &[Message]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let key = [i as u8, 0x5A, 0xC3, (i * 7) as u8];
        let first = match message {
            Message::Text(_) => 0x81,
            Message::Binary(_) => 0x82,
        };
        bytes.extend(masked_frame(first, message.payload(), key));
        if i == 5 {
            bytes.extend(masked_frame(0x89, b"ping in between", key));
            bytes.extend(masked_frame(0x01, b"frag", key));
            bytes.extend(masked_frame(0x89, b"ping inside", key));
            bytes.extend(masked_frame(0x00, b"men", key));
            bytes.extend(masked_frame(0x80, b"ted", key));
        }
    }
    bytes
}

/// A raw peer writes every frame in 1-3 byte pieces with a pause after each; the server
/// races `recv()` against a 1 ms sleep, so most `recv()` futures are dropped mid-frame.
#[tokio::test]
async fn recv_dropped_mid_frame_loses_nothing() {
    bounded(Duration::from_secs(20), async {
        let mut expected = messages();
        let bytes = wire(&expected);
        expected.insert(6, Message::text("fragmented"));

        let (listener, addr) = listener().await;
        let peer = tokio::spawn(async move {
            let mut peer = RawPeer::connect(addr).await;
            let request = format!(
                "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            );
            // The request head itself arrives in pieces too, with the first frame bytes
            // right behind it in the same write.
            let mut all = request.into_bytes();
            let head_len = all.len();
            all.extend_from_slice(&bytes);
            peer.write(&all[..head_len - 7]).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
            let mut at = head_len - 7;
            let mut step = 0;
            while at < all.len() {
                let piece = (at + 1 + step % 3).min(all.len());
                peer.write(&all[at..piece]).await;
                at = piece;
                step += 1;
                if step % 2 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                } else {
                    tokio::task::yield_now().await;
                }
            }
            peer
        });

        let (tcp, _) = listener.accept().await.expect("accept");
        let mut ws = accept(tcp).await.expect("upgrade");
        let mut received = Vec::new();
        let mut cancelled = 0u32;
        while received.len() < expected.len() {
            tokio::select! {
                message = ws.recv() => {
                    received.push(message.expect("open").expect("message"));
                }
                () = tokio::time::sleep(Duration::from_millis(1)) => cancelled += 1,
            }
        }
        assert_eq!(received, expected);
        assert!(
            cancelled > 50,
            "only {cancelled} recv() futures were dropped"
        );

        // Both pings were answered, in order, once all the bytes were in.
        let mut peer = peer.await.expect("peer task");
        ws.close(CloseCode::NORMAL, "").await.expect("close");
        let head = peer.read_head().await.expect("response head");
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let mut pongs = Vec::new();
        loop {
            let frame = peer.read_frame().await.expect("frame");
            match frame.opcode() {
                0xA => pongs.push(frame.payload),
                0x8 => break,
                other => panic!("unexpected opcode {other}"),
            }
        }
        assert!(
            pongs.last().map(Vec::as_slice) == Some(&b"ping inside"[..]),
            "pongs: {pongs:?}"
        );
    })
    .await;
}

/// A client sends 2000 messages as fast as it can while the receiving side drops its
/// `recv()` whenever a task yield wins the race.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recv_dropped_between_many_messages_loses_nothing() {
    bounded(Duration::from_secs(20), async {
        let url = echo_server(ServerOptions::default()).await;
        let mut ws = connect(&url).await.expect("connect");
        let count = 2000usize;
        let mut sent = 0usize;
        let mut received = 0usize;
        let mut cancelled = 0u32;
        while received < count {
            // Keep 1 to 100 messages in flight, the count going round: with many in
            // flight an echo is usually waiting already and `recv()` wins every race; with
            // few, it must wait, and the yield wins some.
            let window = 1 + received % 100;
            while sent < count && sent - received < window {
                let payload = pattern(1 + sent % 700, sent as u8);
                ws.feed(Message::binary(payload)).await.expect("feed");
                sent += 1;
            }
            ws.flush().await.expect("flush");
            tokio::select! {
                message = ws.recv() => {
                    let message = message.expect("open").expect("echo");
                    let expected = pattern(1 + received % 700, received as u8);
                    assert!(message.payload()[..] == expected[..], "echo {received} differs");
                    received += 1;
                }
                () = tokio::task::yield_now() => cancelled += 1,
            }
        }
        assert!(cancelled > 0, "no recv() future was dropped");
        ws.close(CloseCode::NORMAL, "").await.expect("close");
        assert!(ws.recv().await.is_none());
    })
    .await;
}
