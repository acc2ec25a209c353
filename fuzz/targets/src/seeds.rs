//! The committed seed corpus, generated (`cargo run -p sansws-fuzz-targets --example
//! write_seeds`) so that every seed is documented here: RFC 6455 §5.7's example frames, the
//! §1.2 handshake, a few close payloads and short conversations.

use core::time::Duration;

use sansws::{Config, MessageKind};

use crate::conn::{encode_op, encode_setup, Op, Setup};
use crate::wire::{self, encode, BINARY, CLOSE, CONT, FIN, PING, PONG, TEXT};

/// The masking key of RFC 6455 §5.7's masked examples.
pub const KEY: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

/// RFC 6455 §5.7's example frames, as the server receives them (masked) or the client
/// (unmasked): "Hello" in one frame, "Hel" + "lo" fragmented, a ping "Hello", its pong, a
/// 256-byte and a 65536-byte binary frame.
pub fn rfc_frames(masked: bool) -> Vec<Vec<u8>> {
    let mask = masked.then_some(KEY);
    vec![
        encode(FIN | TEXT, mask, b"Hello", false),
        [
            encode(TEXT, mask, b"Hel", false),
            encode(FIN | CONT, mask, b"lo", false),
        ]
        .concat(),
        encode(FIN | PING, mask, b"Hello", false),
        encode(FIN | PONG, mask, b"Hello", false),
        encode(FIN | BINARY, mask, &[0xAB; 256], false),
        encode(FIN | BINARY, mask, &vec![0xCD; 65536][..], false),
    ]
}

/// RFC 6455 §1.2's request.
pub const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// RFC 6455 §1.2's response.
pub const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: chat\r\n\r\n";

fn conversation(masked: bool, setup: Setup, ops: &[Op]) -> Vec<u8> {
    let mut out = encode_setup(&setup);
    for op in ops {
        out.extend(encode_op(op, masked));
    }
    out
}

fn setup(ping: Option<u64>) -> Setup {
    let mut config = Config::DEFAULT;
    config.max_frame_len = 0x1_0000;
    config.max_message_len = 16 << 20;
    config.max_send_frame_len = 100;
    config.ping_interval = ping.map(Duration::from_millis);
    config.pong_timeout = Duration::from_millis(500);
    config.close_timeout = Duration::from_millis(300);
    config.handshake_timeout = Duration::from_millis(1000);
    config.max_send_queue = 2048;
    Setup {
        config,
        upgraded: true,
        out_cap: 4096,
        direct: false,
    }
}

/// Short conversations for a connection whose peer masks (`masked`, i.e. we are a server)
/// or not.
pub fn conversations(masked: bool) -> Vec<(&'static str, Vec<u8>)> {
    let mask = masked.then_some(KEY);
    let frames = rfc_frames(masked);
    let close = |code: u16, reason: &str| {
        let mut p = code.to_be_bytes().to_vec();
        p.extend_from_slice(reason.as_bytes());
        encode(FIN | CLOSE, mask, &p, false)
    };
    let _ = MessageKind::Text;
    vec![
        (
            "echo-and-close",
            conversation(
                masked,
                setup(None),
                &[
                    Op::Recv(frames[0].clone()),
                    Op::SendText("Hello".into()),
                    Op::Recv(frames[1].clone()),
                    Op::Recv(frames[2].clone()),
                    Op::SendBinary(vec![1, 2, 3]),
                    Op::Recv(close(1000, "done")),
                    Op::SendText("late".into()),
                ],
            ),
        ),
        (
            "we-close-first",
            conversation(
                masked,
                setup(None),
                &[
                    Op::SendFragment {
                        binary: false,
                        last: false,
                        data: b"stream".to_vec(),
                    },
                    Op::Ping(b"p".to_vec()),
                    Op::SendFragment {
                        binary: false,
                        last: true,
                        data: b"ed".to_vec(),
                    },
                    Op::Close {
                        code: 1001,
                        reason: "bye".into(),
                    },
                    Op::Recv(frames[3].clone()),
                    Op::Recv(close(1001, "")),
                    Op::Eof,
                ],
            ),
        ),
        (
            "keepalive-and-timeouts",
            conversation(
                masked,
                setup(Some(1000)),
                &[
                    Op::Advance(999),
                    Op::Advance(1),
                    Op::Recv(frames[3].clone()),
                    Op::AdvanceToDeadline,
                    Op::AdvanceToDeadline,
                    Op::Drain(3),
                    Op::AdvanceToDeadline,
                    Op::Recv(frames[0].clone()),
                ],
            ),
        ),
        (
            "big-frames-in-pieces",
            conversation(
                masked,
                setup(None),
                &[
                    Op::Recv(frames[4][..7].to_vec()),
                    Op::Recv(frames[4][7..].to_vec()),
                    Op::Recv(frames[5][..300].to_vec()),
                    Op::SendBinary(vec![7; 3000]),
                    Op::Drain(10),
                    Op::SendBinary(vec![8; 3000]),
                ],
            ),
        ),
        (
            "big-frames-read-direct",
            conversation(
                masked,
                Setup {
                    direct: true,
                    ..setup(None)
                },
                &[
                    Op::Recv(frames[4][..7].to_vec()),
                    Op::Recv(frames[4][7..100].to_vec()),
                    Op::Recv(frames[4][100..].to_vec()),
                    Op::Recv(frames[5][..300].to_vec()),
                    Op::Recv(frames[5][300..301].to_vec()),
                    Op::Recv(frames[5][301..].to_vec()),
                ],
            ),
        ),
        (
            "protocol-error",
            conversation(
                masked,
                setup(None),
                &[
                    Op::Recv(encode(FIN | TEXT, mask, b"ok\xED\xA0\x80", false)),
                    Op::Recv(frames[0].clone()),
                    Op::Ping(vec![]),
                ],
            ),
        ),
        (
            "before-upgrade",
            conversation(
                masked,
                Setup {
                    upgraded: false,
                    ..setup(None)
                },
                &[
                    Op::Recv(frames[0].clone()),
                    Op::SendText("early".into()),
                    Op::Upgrade,
                    Op::Recv(frames[2].clone()),
                    Op::Advance(5000),
                ],
            ),
        ),
    ]
}

/// Every seed: `(target, name, bytes)`.
pub fn all() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        out.push((target, name.to_owned(), bytes));
    };
    for (name, bytes) in inflate_seeds() {
        add("inflate", name, bytes);
    }
    let names = [
        "text",
        "fragmented",
        "ping",
        "pong",
        "binary-256",
        "binary-64k",
    ];
    for (name, frame) in names.iter().zip(rfc_frames(true)) {
        // A server's rules (selector 0b0000_1100: server, no limit, no RSV) and a prefix of
        // the header only.
        add(
            "frame_header",
            &format!("rfc-masked-{name}"),
            [&[0x0C][..], &frame[..14.min(frame.len())]].concat(),
        );
        if frame.len() < 1000 {
            add(
                "differential",
                &format!("rfc-{name}"),
                [&[0x0F][..], &frame].concat(),
            );
        }
    }
    for (name, frame) in names.iter().zip(rfc_frames(false)) {
        add(
            "frame_header",
            &format!("rfc-unmasked-{name}"),
            [&[0x0D][..], &frame[..10.min(frame.len())]].concat(),
        );
    }
    add(
        "frame_header",
        "nonminimal-16",
        vec![0x0C, 0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4],
    );
    add(
        "differential",
        "nonminimal-64",
        [
            &[0x0F][..],
            &wire::encode(FIN | TEXT, Some(KEY), b"Hello", true),
        ]
        .concat(),
    );
    add(
        "differential",
        "conversation",
        [
            &[0x05][..],
            &rfc_frames(true)[..4].concat(),
            &wire::encode(FIN | CLOSE, Some(KEY), b"\x03\xe8bye", false),
        ]
        .concat(),
    );

    add(
        "mask",
        "rfc-hello",
        [&KEY[..], &[0; 8], &[3, 2], &[0, 0], b"Hello"].concat(),
    );
    add(
        "mask",
        "long-misaligned",
        [
            &KEY[..],
            &[1, 0, 0, 0, 0, 0, 0, 0],
            &[5, 40],
            &[0, 7, 0, 100],
            b"0123456789abcdef",
        ]
        .concat(),
    );

    add("utf8", "ascii", b"\x03Hello, world".to_vec());
    add(
        "utf8",
        "mixed",
        [&[2][..], "añ€😀 κόσμε".as_bytes()].concat(),
    );
    add("utf8", "surrogate", b"\x01ok\xed\xa0\x80".to_vec());
    add("utf8", "overlong", b"\x00\xc0\xaf\xe0\x80\xaf".to_vec());
    add("utf8", "truncated", b"\x00ab\xf0\x9f\x98".to_vec());
    add("utf8", "above-max", b"\x05\xf4\x90\x80\x80".to_vec());

    add("close_payload", "empty", vec![]);
    add("close_payload", "normal", b"\x03\xe8".to_vec());
    add(
        "close_payload",
        "going-away-reason",
        b"\x03\xe9server shutting down".to_vec(),
    );
    add("close_payload", "one-byte", vec![0x03]);
    add("close_payload", "reserved-1005", b"\x03\xed".to_vec());
    add("close_payload", "bad-utf8", b"\x0f\xa0\xff".to_vec());

    add(
        "handshake_request",
        "rfc",
        [&[0x00, 0x00][..], REQUEST].concat(),
    );
    add(
        "handshake_request",
        "rfc-chunks-with-frame",
        [&[0x00, 0x20][..], REQUEST, &rfc_frames(true)[0]].concat(),
    );
    add(
        "handshake_request",
        "rfc-small-limit",
        [&[0x06, 0x07][..], REQUEST].concat(),
    );
    add(
        "handshake_request",
        "post",
        [&[0x00, 0x05][..], b"POST / HTTP/1.1\r\nHost: a\r\n\r\n"].concat(),
    );
    add(
        "handshake_response",
        "rfc",
        [&[0x00, 0x00][..], RESPONSE].concat(),
    );
    add(
        "handshake_response",
        "rfc-chunks-with-frame",
        [&[0x00, 0x11][..], RESPONSE, &rfc_frames(false)[0]].concat(),
    );
    add(
        "handshake_response",
        "redirect",
        [
            &[0x00, 0x03][..],
            b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n",
        ]
        .concat(),
    );
    add("handshake_response", "bad-accept", [&[0x00, 0x09][..], b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"].concat());

    for (name, bytes) in conversations(true) {
        add("server_connection", name, bytes);
    }
    for (name, bytes) in conversations(false) {
        add("client_connection", name, bytes);
    }
    // Arbitrary-derived input: any bytes are a conversation; these decode to a few messages.
    add(
        "roundtrip",
        "words",
        b"\x10\x00\x03\x00hello fuzzing world, these bytes become messages and cuts".to_vec(),
    );
    add("roundtrip", "binary", (0u8..=255).collect());
    out
}

/// RFC 7692 §7.2.3's frames as a client receives them (mode 0, window 15, limit 32 KiB,
/// split seed 3), and extension headers (mode 1).
fn inflate_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let settings = [0x00, 0xF7, 0x03];
    let frames: [(&str, &[u8]); 6] = [
        (
            "rfc7692-hello",
            &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
        ),
        (
            "rfc7692-fragmented",
            &[
                0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
            ],
        ),
        (
            "rfc7692-shared-window",
            &[
                0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00, 0x11,
                0x00, 0x00,
            ],
        ),
        (
            "rfc7692-stored",
            &[
                0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ],
        ),
        (
            "rfc7692-bfinal",
            &[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        ),
        (
            "rfc7692-two-blocks",
            &[
                0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07,
                0x00,
            ],
        ),
    ];
    let mut out: Vec<(&str, Vec<u8>)> = frames
        .into_iter()
        .map(|(name, frame)| (name, [&settings[..], frame].concat()))
        .collect();
    for (name, header) in [
        ("offer-bare", "permessage-deflate"),
        (
            "offer-all",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits",
        ),
        (
            "offers-fallback",
            "permessage-deflate; foo, permessage-deflate; client_max_window_bits=9",
        ),
    ] {
        out.push((name, [&[0x01][..], header.as_bytes()].concat()));
    }
    out
}
