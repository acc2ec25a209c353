//! The buffered API (`WebSocket`): the send queue and its cap, `queued_len` and partial
//! writes, zero-copy receive and send, and events as owned `Bytes`.
#![cfg(feature = "alloc")]

mod support;

use bytes::Bytes;
use sansws::conn::{Incoming, Message, WebSocket};
use sansws::{CloseCode, Config, MessageKind, ProtocolError, Role, SendError};
use support::fail::{from_peer, upgraded};
use support::wire::{
    client_frame, only_close, parse_frames, server_frame, BINARY, CLOSE, CONT, PING, PONG, TEXT,
};
use support::{quiet, T0};

fn buffered(role: Role, config: Config) -> WebSocket {
    WebSocket::new(upgraded(role, config, T0))
}

fn output(ws: &WebSocket) -> Vec<u8> {
    ws.transmit_chunks().flatten().copied().collect()
}

#[test]
fn sends_are_refused_with_queue_full_at_max_send_queue() {
    let config = Config {
        max_send_queue: 100,
        ..quiet()
    };
    let mut ws = buffered(Role::Server, config);
    ws.send_binary(vec![0; 60]).unwrap(); // 62 bytes queued
    assert_eq!(ws.queued_len(), 62);
    assert_eq!(ws.send_binary(vec![0; 60]), Err(SendError::QueueFull));
    assert_eq!(ws.send_text(&"x".repeat(37)), Err(SendError::QueueFull));
    assert_eq!(
        ws.send_fragment(MessageKind::Text, "x".repeat(37), false),
        Err(SendError::QueueFull)
    );
    assert_eq!(ws.queued_len(), 62, "a refused send queues nothing");
    // Exactly up to the cap is fine.
    ws.send_text(&"x".repeat(36)).unwrap();
    assert_eq!(ws.queued_len(), 100);
    // Draining makes room; a single message bigger than the cap still goes when the queue
    // is empty, so no message is unsendable.
    ws.advance_transmit(100);
    ws.send_binary(vec![0; 500]).unwrap();
    assert_eq!(ws.queued_len(), 504);
    // The refused fragment did not open a streamed message.
    ws.advance_transmit(504);
    ws.send_binary(vec![1]).unwrap();
}

/// After a frame of some length the next read is offered room for a longer one (the spare
/// room left behind the last one may be shorter: a read there would take the next frame in
/// two; and a read that fills its room exactly is followed by one that finds nothing).
#[test]
fn reads_are_offered_room_for_a_frame_like_the_last() {
    let mut ws = buffered(Role::Server, quiet());
    let frame = client_frame(BINARY, true, &[7; 16 * 1024]);
    // A buffer with room for the frame and a few KiB more (more than the minimum read).
    ws.read_buffer().reserve(frame.len() + 8 * 1024);
    ws.handle_read(T0, &frame);
    let Some(Incoming::Message(message)) = ws.poll_event().unwrap() else {
        panic!("the message");
    };
    drop(message);
    let rx = ws.read_buffer();
    assert!(
        rx.capacity() - rx.len() > frame.len(),
        "room for {} bytes, not {}",
        frame.len(),
        rx.capacity() - rx.len()
    );
}

/// A large frame read in pieces, as sockets deliver it, is moved at most once to make room
/// (when the room grows to the frame's length): only what the rest of the frame needs is
/// reserved while it is under way. (Reserving room for a
/// next frame too copied the whole megabyte received so far whenever the frame's last
/// piece was short.)
#[test]
fn a_large_frame_is_not_moved_to_make_room_while_it_arrives() {
    let mut ws = buffered(Role::Server, quiet());
    let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    // A message before it leaves the reads offered room for 64 KiB frames.
    ws.handle_read(T0, &client_frame(BINARY, true, &[1; 64 * 1024]));
    let Some(Incoming::Message(_)) = ws.poll_event().unwrap() else {
        panic!("the first message");
    };
    let wire = client_frame(BINARY, true, &payload);
    let (mut sent, mut copied) = (0, 0);
    let mut last = (core::ptr::null(), 0);
    let message = loop {
        if let Some(Incoming::Message(message)) = ws.poll_event().unwrap() {
            break message;
        }
        let rx = ws.read_buffer();
        if rx.as_ptr() != last.0 {
            copied += last.1;
        }
        // A read takes what the socket has, up to the room: here 120,000 bytes at a time, so
        // the frame's last piece is short.
        let n = (rx.capacity() - rx.len())
            .min(120_000)
            .min(wire.len() - sent);
        assert!(n > 0, "room for progress");
        rx.extend_from_slice(&wire[sent..sent + n]);
        sent += n;
        last = (rx.as_ptr(), rx.len());
        ws.handle_received(T0);
    };
    assert_eq!(message.payload(), &payload[..]);
    // Once, when the room grows from a read's size to the frame's: what one read brought.
    assert!(copied <= 120_000, "{copied} bytes copied to make room");
}

/// Found by the `client_connection` fuzz target (fuzz/regressions/client_connection/): pings
/// and pongs the caller queued bypassed `max_send_queue`, so a caller pinging a peer that
/// never reads grew the queue without bound.
#[test]
fn pings_and_pongs_are_refused_with_queue_full_at_max_send_queue() {
    for role in [Role::Server, Role::Client] {
        let config = Config {
            max_send_queue: 20,
            ..quiet()
        };
        let mut ws = buffered(role, config);
        ws.send_binary(vec![0; 4]).unwrap(); // 6 bytes from a server, 10 from a client
        ws.ping(b"").unwrap(); // 2 or 6 more: still within the cap
        for _ in 0..10 {
            let _ = ws.ping(b"12345");
            let _ = ws.pong(b"12345");
        }
        assert_eq!(ws.ping(b"12345"), Err(SendError::QueueFull));
        assert_eq!(ws.pong(b"12345"), Err(SendError::QueueFull));
        assert!(
            ws.queued_len() <= 20,
            "{role:?}: {} queued",
            ws.queued_len()
        );
        // The connection's own refusals come first.
        assert_eq!(ws.ping(&[0; 126]), Err(SendError::ControlTooLarge));
        // An empty queue always takes one.
        let all = ws.queued_len();
        ws.advance_transmit(all);
        ws.ping(b"12345").unwrap();
    }
}

/// A queue of every kind of output: small frames (copied next to their headers), a large
/// payload (its own chunk), control frames and a close.
fn mixed_queue(role: Role) -> WebSocket {
    let mut ws = buffered(role, quiet());
    ws.send_text("first").unwrap();
    ws.send_binary(Bytes::from(vec![0xEE; 2000])).unwrap();
    ws.ping(b"p").unwrap();
    ws.send_fragment(MessageKind::Text, "frag", false).unwrap();
    ws.send_fragment(MessageKind::Text, vec![b'y'; 1500], true)
        .unwrap();
    ws.pong(b"unsolicited").unwrap();
    ws.send(Message::binary(vec![7; 130])).unwrap();
    ws.close(T0, CloseCode::NORMAL, "end").unwrap();
    ws
}

#[test]
fn queued_len_counts_every_byte_of_every_chunk() {
    for role in [Role::Server, Role::Client] {
        let ws = mixed_queue(role);
        let wire = output(&ws);
        assert_eq!(ws.queued_len(), wire.len());
        let frames = parse_frames(&wire);
        let ops: Vec<u8> = frames.iter().map(|f| f.opcode).collect();
        assert_eq!(ops, [TEXT, BINARY, PING, TEXT, CONT, PONG, BINARY, CLOSE]);
        assert!(frames
            .iter()
            .all(|f| f.mask.is_some() == (role == Role::Client)));
    }
}

#[test]
fn a_partial_write_at_any_byte_leaves_the_rest_in_order() {
    let reference = output(&mixed_queue(Role::Server));
    for cut in 0..=reference.len() {
        let mut ws = mixed_queue(Role::Server);
        ws.advance_transmit(cut);
        assert_eq!(ws.queued_len(), reference.len() - cut, "cut {cut}");
        assert_eq!(output(&ws), reference[cut..], "cut {cut}");
    }
}

#[test]
fn writes_of_any_size_give_the_same_wire_bytes() {
    for role in [Role::Server, Role::Client] {
        for write_size in [1, 2, 3, 5, 7, 64, 1000, 4096] {
            let mut ws = mixed_queue(role);
            let reference = output(&ws);
            let mut wire = Vec::new();
            // A short writer that takes at most `write_size` bytes of the first chunk.
            loop {
                let Some(chunk) = ws.transmit_chunks().next() else {
                    break;
                };
                let n = chunk.len().min(write_size);
                assert!(n > 0, "an empty chunk");
                wire.extend_from_slice(&chunk[..n]);
                ws.advance_transmit(n);
                assert_eq!(ws.queued_len(), reference.len() - wire.len());
            }
            assert_eq!(wire, reference, "{role:?} writes of {write_size}");
            assert_eq!(ws.queued_len(), 0);
        }
    }
}

#[test]
fn a_single_frame_message_shares_memory_with_the_read_buffer() {
    let mut ws = buffered(Role::Server, quiet());
    let frame = client_frame(BINARY, true, &[0x42; 3000]);
    let buf = ws.read_buffer();
    let filled_from = buf.len();
    buf.extend_from_slice(&frame);
    let region = buf[filled_from..].as_ptr_range();
    ws.handle_received(T0);
    let Ok(Some(Incoming::Message(message))) = ws.poll_event() else {
        panic!("no message")
    };
    assert_eq!(message.payload()[..], [0x42; 3000]);
    let payload = message.payload().as_ptr_range();
    assert!(
        region.start <= payload.start && payload.end <= region.end,
        "the payload was copied out of the read buffer"
    );
}

#[test]
fn a_large_server_payload_is_queued_without_a_copy() {
    let mut ws = buffered(Role::Server, quiet());
    let data = Bytes::from(vec![9u8; 4096]);
    let ptr = data.as_ptr();
    ws.send_text("small first").unwrap();
    ws.send(Message::binary(data)).unwrap();
    let chunk = ws
        .transmit_chunks()
        .find(|chunk| chunk.as_ptr() == ptr)
        .expect("the payload was copied");
    assert_eq!(chunk.len(), 4096);
    assert_eq!(
        output(&ws)[..],
        [
            server_frame(TEXT, true, b"small first"),
            server_frame(BINARY, true, &[9; 4096])
        ]
        .concat()
    );
    // One byte shorter, it is copied next to its header: one chunk for both messages.
    let mut ws = buffered(Role::Server, quiet());
    let data = Bytes::from(vec![9u8; 4095]);
    ws.send_text("small first").unwrap();
    ws.send(Message::binary(data)).unwrap();
    assert_eq!(ws.transmit_chunks().count(), 1);
}

#[test]
fn fragmented_messages_are_reassembled_and_controls_come_as_events() {
    let mut ws = buffered(Role::Client, quiet());
    let stream = [
        server_frame(TEXT, false, "ü".as_bytes()),
        server_frame(PING, true, b"x"),
        server_frame(CONT, true, b"ber"),
        server_frame(PONG, true, b"y"),
        server_frame(CLOSE, true, &support::wire::close_payload(1000, b"ok")),
    ]
    .concat();
    ws.handle_read(T0, &stream);
    let mut events = Vec::new();
    while let Some(event) = ws.poll_event().unwrap() {
        events.push(event);
    }
    assert_eq!(
        events,
        [
            Incoming::Ping(Bytes::from_static(b"x")),
            Incoming::Message(Message::text("über")),
            Incoming::Pong(Bytes::from_static(b"y")),
            Incoming::Close {
                code: Some(CloseCode::NORMAL),
                reason: Bytes::from_static(b"ok"),
            },
            Incoming::Closed(sansws::CloseCause::Handshake {
                peer_code: CloseCode::NORMAL,
                initiated_locally: false,
            }),
        ]
    );
    let ops: Vec<u8> = parse_frames(&output(&ws))
        .iter()
        .map(|f| f.opcode)
        .collect();
    assert_eq!(ops, [PONG, CLOSE]);
}

#[test]
fn buffered_utf8_fails_fast_within_a_frame() {
    // The buffered API waits for whole frames, yet validates what has arrived.
    let mut ws = buffered(Role::Server, quiet());
    let frame = client_frame(TEXT, true, &[b"ok\xFF".as_slice(), &[b'z'; 5000]].concat());
    ws.handle_read(T0, &frame[..8 + 3]);
    assert_eq!(ws.poll_event(), Err(ProtocolError::InvalidUtf8));
    assert_eq!(only_close(&output(&ws)), Some(1007));
}

#[test]
fn buffered_utf8_fails_fast_across_fragments() {
    let mut ws = buffered(Role::Server, quiet());
    ws.handle_read(T0, &from_peer(Role::Server, TEXT, false, b"\xC3\x28"));
    assert_eq!(ws.poll_event(), Err(ProtocolError::InvalidUtf8));
    assert_eq!(only_close(&output(&ws)), Some(1007));
}

#[test]
fn buffered_streamed_message_blocks_other_messages() {
    let mut ws = buffered(Role::Server, quiet());
    ws.send_fragment(MessageKind::Binary, vec![1], false)
        .unwrap();
    assert_eq!(ws.send_text("x"), Err(SendError::MessageInProgress));
    assert_eq!(ws.send_binary(vec![2]), Err(SendError::MessageInProgress));
    assert_eq!(
        ws.send(Message::binary(vec![2])),
        Err(SendError::MessageInProgress)
    );
    ws.ping(b"allowed").unwrap();
    ws.send_fragment(MessageKind::Binary, vec![3], true)
        .unwrap();
    ws.send_text("next").unwrap();
    let ops: Vec<u8> = parse_frames(&output(&ws))
        .iter()
        .map(|f| f.opcode)
        .collect();
    assert_eq!(ops, [BINARY, PING, CONT, TEXT]);
}

/// `send` puts a server's short messages out through a path of their own: the same bytes as
/// the general one, at every length class around its limits, and the same send-queue cap.
#[test]
fn short_messages_sent_whole_match_the_general_path() {
    let config = Config {
        max_send_frame_len: 300,
        ..quiet()
    };
    for len in [0, 1, 125, 126, 299, 300, 301, 4095, 4096, 70_000] {
        let payload = vec![0x5A; len];
        let mut short = buffered(Role::Server, config);
        short.send(Message::binary(payload.clone())).unwrap();
        short.send(Message::text("é".repeat(len / 2))).unwrap();
        let mut general = buffered(Role::Server, config);
        general.send_binary(payload).unwrap();
        general.send_text(&"é".repeat(len / 2)).unwrap();
        assert_eq!(output(&short), output(&general), "{len} bytes");
        assert_eq!(short.queued_len(), general.queued_len(), "{len} bytes");
    }

    let config = Config {
        max_send_queue: 100,
        ..quiet()
    };
    let mut ws = buffered(Role::Server, config);
    ws.send(Message::binary(vec![0; 60])).unwrap(); // 62 bytes queued
    assert_eq!(
        ws.send(Message::binary(vec![0; 60])),
        Err(SendError::QueueFull)
    );
    ws.send(Message::binary(vec![0; 36])).unwrap();
    assert_eq!(ws.queued_len(), 100, "up to the cap exactly");
}

#[test]
fn buffered_sends_after_close_are_refused() {
    let mut ws = buffered(Role::Client, quiet());
    ws.close(T0, CloseCode::NORMAL, "").unwrap();
    let queued = ws.queued_len();
    assert_eq!(ws.send_text("x"), Err(SendError::Closed));
    assert_eq!(ws.send_binary(vec![1]), Err(SendError::Closed));
    assert_eq!(ws.ping(b""), Err(SendError::Closed));
    assert_eq!(ws.pong(b""), Err(SendError::Closed));
    assert_eq!(ws.queued_len(), queued);
    assert_eq!(only_close(&output(&ws)), Some(1000));
}

#[test]
fn buffered_sends_before_upgraded_are_refused() {
    let mut ws = WebSocket::new(sansws::Connection::server(quiet(), T0));
    assert_eq!(ws.send_text("x"), Err(SendError::NotOpen));
    assert_eq!(ws.ping(b""), Err(SendError::NotOpen));
    assert_eq!(ws.close(T0, CloseCode::NORMAL, ""), Err(SendError::NotOpen));
    assert_eq!(ws.queued_len(), 0);
}

#[test]
fn a_peer_that_pings_but_never_reads_cannot_grow_the_queue_past_its_cap() {
    let config = Config {
        max_send_queue: 1000,
        ..Config::default()
    };
    let mut ws = buffered(Role::Server, config);
    let ping = client_frame(PING, true, &[7; 125]);
    for _ in 0..100 {
        ws.handle_read(T0, &ping);
        while let Ok(Some(_)) = ws.poll_event() {}
    }
    // Pongs are answered until the cap, then only the most recent ping would be (§5.5.3).
    assert!(ws.queued_len() < 1000 + 127, "{}", ws.queued_len());
    assert!(ws.queued_len() >= 1000 - 127);
    let pongs = parse_frames(&output(&ws));
    assert!(pongs.iter().all(|f| f.opcode == PONG));
}

#[test]
fn keepalive_pings_are_not_queued_behind_a_full_queue() {
    let config = Config {
        max_send_queue: 1000,
        ping_interval: Some(core::time::Duration::from_secs(1)),
        pong_timeout: core::time::Duration::from_secs(1000),
        ..Config::default()
    };
    let mut ws = buffered(Role::Server, config);
    ws.send_binary(Bytes::from(vec![0u8; 2000]))
        .expect("an empty queue takes one");
    let queued = ws.queued_len();
    // Many keepalive intervals pass; the peer sends unsolicited pongs but never reads.
    let pong = client_frame(PONG, true, b"");
    for _ in 0..50 {
        let now = ws.poll_timeout().expect("keepalive armed");
        ws.handle_timeout(now);
        ws.handle_read(now, &pong);
        while let Ok(Some(_)) = ws.poll_event() {}
    }
    assert_eq!(
        ws.queued_len(),
        queued,
        "nothing was added behind the full queue"
    );
}
