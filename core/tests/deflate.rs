//! permessage-deflate on a connection: the RFC 7692 §7.2.3 examples byte for byte, the
//! rules of §6 (RSV1 on the first frame only, control frames never compressed), context
//! takeover, limits, and round trips over every window size.
#![cfg(feature = "deflate")]

mod support;

use sansws::conn::{Incoming, Message, WebSocket};
use sansws::deflate::{DeflateConfig, DeflateParams};
use sansws::{CloseCode, Config, Event, MessageKind, ProtocolError, Role};
use support::wire::{self, parse_frames};

const HELLO: [u8; 9] = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

fn params(no_context_takeover: bool, window_bits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: no_context_takeover,
        client_no_context_takeover: no_context_takeover,
        server_max_window_bits: window_bits,
        client_max_window_bits: window_bits,
    }
}

/// Every message compressed, whatever its size.
const ALWAYS: DeflateConfig = DeflateConfig {
    min_compress_len: 0,
    ..DeflateConfig::DEFAULT
};

fn websocket(
    role: Role,
    config: Config,
    params: DeflateParams,
    deflate: DeflateConfig,
) -> WebSocket {
    let mut conn = support::fail::upgraded(role, config, support::T0);
    conn.enable_deflate(params, &deflate);
    WebSocket::new(conn)
}

fn client() -> WebSocket {
    websocket(Role::Client, Config::default(), params(false, 15), ALWAYS)
}

fn server_with(params: DeflateParams, deflate: DeflateConfig) -> WebSocket {
    websocket(Role::Server, Config::default(), params, deflate)
}

fn output(ws: &mut WebSocket) -> Vec<u8> {
    let out: Vec<u8> = ws.transmit_chunks().flatten().copied().collect();
    ws.advance_transmit(out.len());
    out
}

fn messages(ws: &mut WebSocket, bytes: &[u8]) -> Result<Vec<Message>, ProtocolError> {
    ws.handle_read(support::T0, bytes);
    let mut got = Vec::new();
    while let Some(incoming) = ws.poll_event()? {
        if let Incoming::Message(message) = incoming {
            got.push(message);
        }
    }
    Ok(got)
}

fn texts(ws: &mut WebSocket, bytes: &[u8]) -> Vec<String> {
    let got = messages(ws, bytes).expect("valid");
    got.iter()
        .map(|m| m.as_text().expect("text").to_owned())
        .collect()
}

/// The close code of the close frame in `bytes` (after any other frames).
fn close_code(bytes: &[u8]) -> u16 {
    let frames = parse_frames(bytes);
    let close = frames.last().expect("a close frame");
    assert_eq!(close.opcode, wire::CLOSE);
    u16::from_be_bytes([close.payload[0], close.payload[1]])
}

#[test]
fn rfc7692_7_2_3_1_a_message_in_one_compressed_block() {
    assert_eq!(texts(&mut client(), &HELLO), ["Hello"]);
}

#[test]
fn rfc7692_7_2_3_1_the_same_message_fragmented() {
    let frames = [
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ];
    let mut ws = client();
    // Byte by byte too: pieces of any size inflate to the same message.
    let mut got = Vec::new();
    for byte in frames {
        got.extend(texts(&mut ws, &[byte]));
    }
    assert_eq!(got, ["Hello"]);
}

#[test]
fn rfc7692_7_2_3_2_sharing_the_window() {
    let second = [0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00];
    let mut ws = client();
    assert_eq!(
        texts(&mut ws, &[&HELLO[..], &second].concat()),
        ["Hello", "Hello"]
    );
}

#[test]
fn rfc7692_7_2_3_3_a_block_with_no_compression() {
    let frame = [
        0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(texts(&mut client(), &frame), ["Hello"]);
}

#[test]
fn rfc7692_7_2_3_4_a_block_with_bfinal_set() {
    let frame = [0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let mut ws = client();
    // The stream ended, so the next message starts a new one.
    assert_eq!(texts(&mut ws, &[frame, frame].concat()), ["Hello", "Hello"]);
    assert_eq!(texts(&mut ws, &HELLO), ["Hello"]);
}

#[test]
fn rfc7692_7_2_3_5_two_blocks_in_one_message() {
    let frame = [
        0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(texts(&mut client(), &frame), ["Hello"]);
}

/// The RFC's "Hello" compresses to 7 bytes, more than it holds, so it is sent as it is (the
/// codec's own tests check those bytes); a longer text shows the window at work.
#[test]
fn a_server_keeps_its_window_between_messages() {
    let text = "Hello, Hello, Hello, world";
    let mut ws = server_with(params(false, 15), ALWAYS);
    ws.send_text(text).unwrap();
    ws.send_text(text).unwrap();
    let bytes = output(&mut ws);
    let frames = parse_frames(&bytes);
    assert_eq!(frames[0].rsv, 0x40);
    assert!(
        frames[1].payload.len() < frames[0].payload.len() / 2,
        "{frames:?}"
    );
    assert_eq!(texts(&mut client(), &bytes), [text, text]);
}

#[test]
fn without_context_takeover_every_message_stands_alone() {
    let text = "Hello, Hello, Hello, world";
    let mut ws = server_with(params(true, 15), ALWAYS);
    ws.send_text(text).unwrap();
    let first = output(&mut ws);
    for _ in 0..2 {
        ws.send_text(text).unwrap();
        assert_eq!(output(&mut ws), first);
    }
}

#[test]
fn the_peer_resetting_its_context_is_followed() {
    // A client that said client_no_context_takeover: the server's decompressor starts
    // afresh for each message, so a compressor that also resets is understood.
    let agreed = params(true, 15);
    let mut server = server_with(agreed, ALWAYS);
    let mut client = websocket(Role::Client, Config::default(), agreed, ALWAYS);
    for i in 0..3 {
        client
            .send_text(&format!("message {i} message {i}"))
            .unwrap();
    }
    let got = texts(&mut server, &output(&mut client));
    assert_eq!(
        got,
        [
            "message 0 message 0",
            "message 1 message 1",
            "message 2 message 2"
        ]
    );
}

#[test]
fn short_messages_go_uncompressed_below_the_threshold() {
    let mut ws = server_with(params(false, 15), DeflateConfig::default());
    ws.send_text("short").unwrap();
    ws.send_text(&"long enough to compress ".repeat(4)).unwrap();
    let frames = parse_frames(&output(&mut ws));
    assert_eq!(
        (frames[0].rsv, frames[0].payload.as_slice()),
        (0, &b"short"[..])
    );
    assert_eq!(frames[1].rsv, 0x40);
    assert!(frames[1].payload.len() < 40, "{}", frames[1].payload.len());
}

#[test]
fn control_frames_are_never_compressed() {
    let mut ws = server_with(params(false, 15), ALWAYS);
    ws.ping(b"ping").unwrap();
    ws.close(support::T0, CloseCode::NORMAL, "bye").unwrap();
    let frames = parse_frames(&output(&mut ws));
    assert_eq!(frames.iter().map(|f| f.rsv).collect::<Vec<_>>(), [0, 0]);
}

#[test]
fn a_compressed_control_frame_is_a_protocol_error() {
    let mut ws = client();
    let ping = wire::raw_frame(0x80 | 0x40 | wire::PING, None, b"");
    assert_eq!(
        messages(&mut ws, &ping),
        Err(ProtocolError::ReservedBits(0x40))
    );
    assert_eq!(close_code(&output(&mut ws)), 1002);
}

#[test]
fn rsv1_on_a_continuation_frame_is_a_protocol_error() {
    let mut ws = client();
    let first = wire::raw_frame(0x40 | wire::TEXT, None, &[0xf2, 0x48, 0xcd]);
    let rest = wire::raw_frame(0x80 | 0x40 | wire::CONT, None, &[0xc9, 0xc9, 0x07, 0x00]);
    assert_eq!(
        messages(&mut ws, &[first, rest].concat()),
        Err(ProtocolError::ReservedBits(0x40))
    );
    assert_eq!(close_code(&output(&mut ws)), 1002);
}

#[test]
fn rsv1_without_negotiation_is_a_protocol_error() {
    let conn = support::fail::upgraded(Role::Client, Config::default(), support::T0);
    let mut ws = WebSocket::new(conn);
    assert_eq!(
        messages(&mut ws, &HELLO),
        Err(ProtocolError::ReservedBits(0x40))
    );
}

#[test]
fn invalid_compressed_data_fails_with_1007() {
    let mut ws = client();
    let frame = wire::raw_frame(0x80 | 0x40 | wire::BINARY, None, &[0xff, 0xff, 0xff]);
    assert_eq!(
        messages(&mut ws, &frame),
        Err(ProtocolError::InvalidCompressedData)
    );
    assert_eq!(close_code(&output(&mut ws)), 1007);
}

#[test]
fn invalid_utf8_inside_compressed_text_fails_with_1007() {
    let mut sender = server_with(params(false, 15), ALWAYS);
    sender
        .send_binary([&[b'a'; 100][..], &[0xff]].concat())
        .unwrap();
    let mut wire_bytes = output(&mut sender);
    wire_bytes[0] = 0xc1; // now a compressed *text* frame
    let mut ws = client();
    assert_eq!(
        messages(&mut ws, &wire_bytes),
        Err(ProtocolError::InvalidUtf8)
    );
    assert_eq!(close_code(&output(&mut ws)), 1007);
}

#[test]
fn a_decompression_bomb_ends_in_1009_at_the_limit() {
    let mut bomber = websocket(Role::Client, Config::default(), params(false, 15), ALWAYS);
    bomber.send_binary(vec![0; 16 << 20]).unwrap();
    let bomb = output(&mut bomber);
    assert!(bomb.len() < 64 << 10, "{}", bomb.len());
    let limited = Config {
        max_message_len: 1 << 20,
        ..Config::default()
    };
    let mut ws = websocket(Role::Server, limited, params(false, 15), ALWAYS);
    assert_eq!(
        messages(&mut ws, &bomb),
        Err(ProtocolError::MessageTooLarge)
    );
    assert_eq!(close_code(&output(&mut ws)), 1009);
}

#[test]
fn a_message_inflating_to_exactly_the_limit_is_accepted() {
    let mut sender = websocket(Role::Client, Config::default(), params(false, 15), ALWAYS);
    sender.send_binary(vec![1; 1 << 16]).unwrap();
    let limited = Config {
        max_message_len: 1 << 16,
        ..Config::default()
    };
    let mut ws = websocket(Role::Server, limited, params(false, 15), ALWAYS);
    let got = messages(&mut ws, &output(&mut sender)).unwrap();
    assert_eq!(got, [Message::binary(vec![1; 1 << 16])]);
}

#[test]
fn large_compressed_messages_are_fragmented_with_rsv1_on_the_first_frame_only() {
    let config = Config {
        max_send_frame_len: 100,
        ..Config::default()
    };
    let mut ws = websocket(Role::Server, config, params(false, 15), ALWAYS);
    // Letters from a linear congruential generator: too irregular to shrink below 100 bytes.
    let mut seed = 1u32;
    let text: String = (0..2000)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            char::from(b'a' + (seed >> 16) as u8 % 26)
        })
        .collect();
    ws.send_text(&text).unwrap();
    let bytes = output(&mut ws);
    let frames = parse_frames(&bytes);
    assert!(frames.len() > 2, "{}", frames.len());
    assert_eq!(frames[0].rsv, 0x40);
    assert!(frames[1..]
        .iter()
        .all(|f| f.rsv == 0 && f.opcode == wire::CONT));
    assert_eq!(texts(&mut client(), &bytes), [text]);
}

#[test]
fn a_streamed_message_is_compressed_fragment_by_fragment() {
    let mut server = server_with(params(false, 15), DeflateConfig::default());
    for (i, part) in ["one ", "two ", "three"].into_iter().enumerate() {
        server
            .send_fragment(MessageKind::Text, part.as_bytes().to_vec(), i == 2)
            .unwrap();
    }
    let bytes = output(&mut server);
    let frames = parse_frames(&bytes);
    assert_eq!(
        frames.iter().map(|f| f.rsv).collect::<Vec<_>>(),
        [0x40, 0, 0]
    );
    assert_eq!(texts(&mut client(), &bytes), ["one two three"]);
}

/// Both directions, every window size and context setting, one connection each: text that
/// repeats near and far, so matches reach into earlier messages when allowed.
#[test]
fn round_trips_over_every_window_and_context_setting() {
    let corpus: Vec<String> = (0..60)
        .map(|i| {
            format!(
                "{{\"id\":{i},\"name\":\"user{}\",\"tags\":[\"x{}\"]}}",
                i % 7,
                i % 3
            )
            .repeat(1 + i % 5)
        })
        .collect();
    for bits in 8..=15 {
        for no_context_takeover in [false, true] {
            let agreed = params(no_context_takeover, bits);
            let mut server = server_with(agreed, ALWAYS);
            let mut client = websocket(Role::Client, Config::default(), agreed, ALWAYS);
            for text in &corpus {
                client.send_text(text).unwrap();
                server.send_text(text).unwrap();
            }
            let at_server = texts(&mut server, &output(&mut client));
            let at_client = texts(&mut client, &output(&mut server));
            assert_eq!(
                at_server, corpus,
                "{bits} bits, reset {no_context_takeover}"
            );
            assert_eq!(
                at_client, corpus,
                "{bits} bits, reset {no_context_takeover}"
            );
        }
    }
}

#[test]
fn the_no_alloc_api_reports_compressed_pieces_and_inflates_them() {
    let mut conn = support::fail::upgraded(Role::Client, Config::default(), support::T0);
    conn.enable_deflate(params(false, 15), &ALWAYS);
    let mut buf = HELLO.to_vec();
    let read = conn.handle_read(support::T0, &mut buf).unwrap();
    let Some(Event::Message {
        kind,
        payload,
        last,
        compressed: true,
        ..
    }) = read.event
    else {
        panic!("expected a compressed message, got {:?}", read.event)
    };
    let payload = payload.to_vec();
    let mut out = Vec::new();
    conn.inflate(kind, &payload, last, &mut out).unwrap();
    assert_eq!(out, b"Hello");
    // The no-alloc send stays uncompressed; send_to_vec compresses.
    let mut plain = [0; 32];
    let n = conn.send_text("Hello", &mut plain).unwrap();
    assert_eq!(plain[0], 0x81);
    let mut deflated = Vec::new();
    let text = b"Hello, Hello, Hello, world";
    conn.send_to_vec(MessageKind::Text, text, &mut deflated)
        .unwrap();
    assert_eq!((deflated[0], n), (0xc1, 11));
}

#[test]
fn a_small_inflated_message_does_not_keep_the_room_inflating_took() {
    let mut ws = client();
    let got = messages(&mut ws, &HELLO).unwrap();
    let [Message::Text(hello)] = &got[..] else {
        panic!("{got:?}")
    };
    let owned = hello.clone();
    drop(got);
    let buffer = owned.try_into_mut().expect("the only handle");
    assert!(buffer.capacity() <= 64, "{}", buffer.capacity());
}

#[test]
fn an_incompressible_message_goes_as_it_is_and_the_window_forgets_it() {
    let mut seed = 7u32;
    let noise: Vec<u8> = (0..4000)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as u8
        })
        .collect();
    let mut server = server_with(params(false, 15), ALWAYS);
    server.send_binary(noise.clone()).unwrap();
    // Were the noise still in the compressor's window, this could refer into it.
    server
        .send_binary([&noise[..200], &noise[..200]].concat())
        .unwrap();
    let bytes = output(&mut server);
    let frames = parse_frames(&bytes);
    assert_eq!((frames[0].rsv, frames[0].payload.len()), (0, 4000));
    assert_eq!(frames[1].rsv, 0x40);
    let got = messages(&mut client(), &bytes).unwrap();
    assert_eq!(
        got,
        [
            Message::binary(noise.clone()),
            Message::binary([&noise[..200], &noise[..200]].concat())
        ]
    );
}
