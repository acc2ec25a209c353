//! Sending through the no-alloc API: every command's exact frames, masking (RFC 6455 §5.3),
//! streamed and automatic fragmentation (§5.4), close codes and reasons (§5.5.1, §7.4), and
//! the caller's mistakes as `SendError` (not opened, closed, buffer too small).

mod support;

use sansws::close::CloseError;
use sansws::{CloseCode, Config, Connection, InsufficientSize, MessageKind, Role, SendError};
use support::driver::{Driver, Got};
use support::fail::upgraded;
use support::wire::{
    close_payload, concat, only_close, parse_frames, server_frame, BINARY, CLOSE, CONT, PING, PONG,
    TEXT,
};
use support::{client, entropy, quiet, server, take_entropy_log, T0};

/// Runs `send` against a fresh buffer and returns the written bytes.
fn sent(send: impl FnOnce(&mut [u8]) -> Result<usize, SendError>) -> Vec<u8> {
    let mut out = vec![0u8; 100_000];
    let n = send(&mut out).expect("send");
    out.truncate(n);
    out
}

/// What a client receiving `bytes` from a server sees.
fn received(bytes: &[u8]) -> Vec<Got> {
    let mut peer = Driver::new(upgraded(Role::Client, quiet(), T0));
    peer.feed(T0, bytes);
    peer.got
}

#[test]
fn server_frames_are_unmasked_and_exact() {
    let mut s = server(quiet());
    assert_eq!(
        sent(|o| s.send_text("hi ✓", o)),
        server_frame(TEXT, true, "hi ✓".as_bytes())
    );
    assert_eq!(
        sent(|o| s.send_binary(&[0, 1, 2], o)),
        server_frame(BINARY, true, &[0, 1, 2])
    );
    assert_eq!(
        sent(|o| s.send(MessageKind::Binary, &[9; 300], o)),
        server_frame(BINARY, true, &[9; 300])
    );
    assert_eq!(sent(|o| s.ping(b"p", o)), server_frame(PING, true, b"p"));
    assert_eq!(sent(|o| s.pong(b"", o)), server_frame(PONG, true, b""));
    assert_eq!(
        sent(|o| s.ping(&[1; 125], o)),
        server_frame(PING, true, &[1; 125])
    );
    // The frames say what was sent.
    let wire = sent(|o| s.send_text("round trip", o));
    assert_eq!(received(&wire), [Got::text("round trip")]);
}

#[test]
fn client_frames_are_masked_with_keys_from_the_entropy_source() {
    let mut c = Connection::client(quiet(), entropy, T0);
    c.upgraded(T0);
    take_entropy_log();
    let mut wire = Vec::new();
    for _ in 0..3 {
        wire.extend(sent(|o| c.send_text("hello, server", o)));
        wire.extend(sent(|o| c.send_binary(&[0x55; 200], o)));
        wire.extend(sent(|o| c.ping(b"ping!", o)));
    }
    c.close(T0, CloseCode::NORMAL, "done").unwrap();
    wire.extend(sent(|o| Ok(c.poll_transmit(o)?)));

    let frames = parse_frames(&wire);
    assert_eq!(frames.len(), 10);
    // Every key, in order, is the next 4 bytes the entropy function produced.
    let log = take_entropy_log();
    let keys: Vec<u8> = frames
        .iter()
        .flat_map(|f| f.mask.expect("masked"))
        .collect();
    assert_eq!(
        keys,
        log[..keys.len()],
        "keys do not come from the entropy source"
    );
    for frame in &frames {
        assert_ne!(
            frame.wire_payload, frame.payload,
            "payload sent in the clear"
        );
    }
    let distinct: std::collections::HashSet<_> = frames.iter().map(|f| f.mask).collect();
    assert_eq!(distinct.len(), frames.len(), "a key was reused");

    // The server unmasks it all.
    let mut s = Driver::new(server(quiet()));
    s.feed(T0, &wire);
    let expected = [
        Got::text("hello, server"),
        Got::binary(&[0x55; 200]),
        Got::Ping(b"ping!".to_vec()),
    ];
    assert_eq!(s.got[..3], expected);
    assert_eq!(s.got[9], Got::Close(Some(1000), "done".into()));
}

#[test]
fn close_queues_a_frame_with_code_and_reason() {
    for role in [Role::Server, Role::Client] {
        let mut conn = upgraded(role, quiet(), T0);
        conn.close(T0, CloseCode(4000), "done").unwrap();
        assert!(!conn.is_open() && !conn.is_closed());
        assert!(conn.wants_transmit());
        let wire = sent(|o| Ok(conn.poll_transmit(o)?));
        let frames = parse_frames(&wire);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].opcode, CLOSE);
        assert_eq!(frames[0].payload, close_payload(4000, b"done"));
        assert_eq!(frames[0].mask.is_some(), role == Role::Client);
        assert_eq!(conn.poll_transmit(&mut [0; 64]), Ok(0));
    }
}

#[test]
fn unsendable_close_codes_and_long_reasons_are_refused() {
    let mut s = server(quiet());
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        assert_eq!(
            s.close(T0, CloseCode(code), ""),
            Err(SendError::InvalidClose(CloseError::UnsendableCode(
                CloseCode(code)
            )))
        );
    }
    let long = "x".repeat(124);
    assert_eq!(
        s.close(T0, CloseCode::NORMAL, &long),
        Err(SendError::InvalidClose(CloseError::ReasonTooLong))
    );
    // Refusals change nothing.
    assert!(s.is_open() && !s.wants_transmit());
    assert!(s.send_text("still open", &mut [0; 64]).is_ok());
    // 123 bytes is the most a reason may have.
    s.close(T0, CloseCode::NORMAL, &long[..123]).unwrap();
    let wire = sent(|o| Ok(s.poll_transmit(o)?));
    assert_eq!(parse_frames(&wire)[0].payload.len(), 125);
}

#[test]
fn a_message_can_be_streamed_in_fragments() {
    let mut s = server(quiet());
    let mut wire = Vec::new();
    wire.extend(sent(|o| {
        s.send_fragment(MessageKind::Text, b"Hel", false, o)
    }));
    wire.extend(sent(|o| s.ping(b"between", o)));
    wire.extend(sent(|o| {
        s.send_fragment(MessageKind::Text, b"lo", false, o)
    }));
    wire.extend(sent(|o| s.send_fragment(MessageKind::Text, b"!", true, o)));
    wire.extend(sent(|o| s.send_binary(b"next", o)));
    assert_eq!(
        wire,
        concat(&[
            server_frame(TEXT, false, b"Hel"),
            server_frame(PING, true, b"between"),
            server_frame(CONT, false, b"lo"),
            server_frame(CONT, true, b"!"),
            server_frame(BINARY, true, b"next"),
        ])
    );
    let got = received(&wire);
    assert_eq!(
        got,
        [
            Got::Ping(b"between".to_vec()),
            Got::text("Hello!"),
            Got::binary(b"next")
        ]
    );
}

#[test]
fn another_message_cannot_start_while_one_is_streamed() {
    let mut s = server(quiet());
    let mut out = [0u8; 64];
    s.send_fragment(MessageKind::Text, b"open", false, &mut out)
        .unwrap();
    assert_eq!(
        s.send_binary(b"x", &mut out),
        Err(SendError::MessageInProgress)
    );
    assert_eq!(
        s.send_fragment(MessageKind::Binary, b"x", true, &mut out),
        Err(SendError::MessageInProgress)
    );
    // A whole message of the same kind is another message too, not the end of this one.
    assert_eq!(
        s.send_text("whole", &mut out),
        Err(SendError::MessageInProgress)
    );
    assert_eq!(
        s.send(MessageKind::Text, b"whole", &mut out),
        Err(SendError::MessageInProgress)
    );
    // Ending the streamed message frees the way.
    let n = s
        .send_fragment(MessageKind::Text, b"", true, &mut out)
        .unwrap();
    assert_eq!(out[..n], server_frame(CONT, true, b""));
    assert!(s.send_binary(b"x", &mut out).is_ok());
}

#[test]
fn messages_above_max_send_frame_len_are_fragmented() {
    let config = Config {
        max_send_frame_len: 4,
        ..quiet()
    };
    let mut s = upgraded(Role::Server, config, T0);
    assert_eq!(
        sent(|o| s.send_text("abcdefghij", o)),
        concat(&[
            server_frame(TEXT, false, b"abcd"),
            server_frame(CONT, false, b"efgh"),
            server_frame(CONT, true, b"ij"),
        ])
    );
    // At the limit, and empty: one frame.
    assert_eq!(
        sent(|o| s.send_binary(b"wxyz", o)),
        server_frame(BINARY, true, b"wxyz")
    );
    assert_eq!(
        sent(|o| s.send_binary(b"", o)),
        server_frame(BINARY, true, b"")
    );
    // A streamed fragment above the limit is split too; only the last piece of the last
    // fragment has FIN.
    let mut wire = sent(|o| s.send_fragment(MessageKind::Binary, b"123456", false, o));
    wire.extend(sent(|o| {
        s.send_fragment(MessageKind::Binary, b"789", true, o)
    }));
    assert_eq!(
        wire,
        concat(&[
            server_frame(BINARY, false, b"1234"),
            server_frame(CONT, false, b"56"),
            server_frame(CONT, true, b"789"),
        ])
    );
    // A client's fragments are masked and reassemble.
    let mut c = upgraded(Role::Client, config, T0);
    let wire = sent(|o| c.send_text("fragmented by the client", o));
    assert_eq!(parse_frames(&wire).len(), 6);
    let mut peer = Driver::new(server(quiet()));
    peer.feed(T0, &wire);
    assert_eq!(peer.got, [Got::text("fragmented by the client")]);
}

#[test]
fn no_frame_is_sent_after_close_and_nothing_panics() {
    for role in [Role::Server, Role::Client] {
        let mut conn = upgraded(role, quiet(), T0);
        let mut out = [0u8; 256];
        conn.send_fragment(MessageKind::Binary, b"half", false, &mut out)
            .unwrap();
        conn.close(T0, CloseCode::GOING_AWAY, "").unwrap();
        assert_eq!(conn.send_text("x", &mut out), Err(SendError::Closed));
        assert_eq!(conn.send_binary(b"x", &mut out), Err(SendError::Closed));
        assert_eq!(
            conn.send_fragment(MessageKind::Binary, b"rest", true, &mut out),
            Err(SendError::Closed)
        );
        assert_eq!(conn.ping(b"x", &mut out), Err(SendError::Closed));
        assert_eq!(conn.pong(b"x", &mut out), Err(SendError::Closed));
        assert_eq!(
            conn.close(T0, CloseCode::NORMAL, ""),
            Err(SendError::Closed)
        );
        let n = conn.poll_transmit(&mut out).unwrap();
        assert_eq!(only_close(&out[..n]), Some(1001));
        assert_eq!(conn.poll_transmit(&mut out), Ok(0));
    }
}

#[test]
fn nothing_can_be_sent_before_upgraded() {
    for role in [Role::Server, Role::Client] {
        let mut conn = match role {
            Role::Server => Connection::server(quiet(), T0),
            Role::Client => Connection::client(quiet(), entropy, T0),
        };
        let mut out = [0u8; 64];
        assert!(!conn.is_open());
        assert_eq!(conn.send_text("x", &mut out), Err(SendError::NotOpen));
        assert_eq!(conn.send_binary(b"x", &mut out), Err(SendError::NotOpen));
        assert_eq!(
            conn.send_fragment(MessageKind::Text, b"x", false, &mut out),
            Err(SendError::NotOpen)
        );
        assert_eq!(conn.ping(b"", &mut out), Err(SendError::NotOpen));
        assert_eq!(conn.pong(b"", &mut out), Err(SendError::NotOpen));
        assert_eq!(
            conn.close(T0, CloseCode::NORMAL, ""),
            Err(SendError::NotOpen)
        );
        assert_eq!(conn.poll_transmit(&mut out), Ok(0));
        conn.upgraded(T0);
        assert!(conn.send_text("x", &mut out).is_ok());
    }
}

/// Asserts `send` fails with exactly `required` into one byte less, and fits `required`.
fn assert_required(required: usize, mut send: impl FnMut(&mut [u8]) -> Result<usize, SendError>) {
    let mut out = vec![0u8; required];
    assert_eq!(
        send(&mut out[..required - 1]),
        Err(SendError::InsufficientSize(InsufficientSize { required }))
    );
    assert_eq!(send(&mut out), Ok(required));
}

#[test]
fn a_small_buffer_reports_the_exact_size_required() {
    let mut s = server(quiet());
    assert_required(2 + 125, |o| s.send_binary(&[0; 125], o));
    assert_required(4 + 126, |o| s.send_binary(&[0; 126], o));
    assert_required(4 + 65_535, |o| s.send_binary(&vec![0; 65_535], o));
    assert_required(10 + 70_000, |o| s.send_binary(&vec![0; 70_000], o));
    assert_required(2 + 5, |o| s.ping(b"hello", o));
    assert_eq!(s.encoded_len(70_000), 10 + 70_000);

    let mut c = client(quiet());
    assert_required(6 + 3, |o| c.send_text("abc", o));
    assert_required(6, |o| c.pong(b"", o));
    assert_eq!(c.encoded_len(3), 6 + 3);

    // Fragmented: the sum over the frames.
    let config = Config {
        max_send_frame_len: 100,
        ..quiet()
    };
    let mut s = upgraded(Role::Server, config, T0);
    assert_required(2 + 100 + 2 + 100 + 2 + 50, |o| s.send_binary(&[0; 250], o));
    let mut c = upgraded(Role::Client, config, T0);
    assert_required(3 * 6 + 250, |o| c.send_binary(&[0; 250], o));
    assert_eq!(c.encoded_len(250), 3 * 6 + 250);

    // A failed send leaves no trace: a streamed message is not opened by it.
    let mut s = server(quiet());
    let mut tiny = [0u8; 3];
    assert!(s
        .send_fragment(MessageKind::Text, b"abcd", false, &mut tiny)
        .is_err());
    assert!(s.send_binary(b"a", &mut [0; 8]).is_ok());
}

#[test]
fn poll_transmit_reports_the_size_of_the_next_control_frame() {
    let mut conn = server(quiet());
    // A 100-byte ping queues a 102-byte pong.
    let mut ping = support::wire::client_frame(PING, true, &[1; 100]);
    let read = conn.handle_read(T0, &mut ping).unwrap();
    assert_eq!(read.consumed, ping.len());
    let mut small = [0u8; 101];
    assert_eq!(
        conn.poll_transmit(&mut small),
        Err(InsufficientSize { required: 102 })
    );
    assert!(conn.wants_transmit(), "a failed poll keeps the frame");
    let mut out = [0u8; 102];
    assert_eq!(conn.poll_transmit(&mut out), Ok(102));
    assert_eq!(out[..], server_frame(PONG, true, &[1; 100]));
    assert!(!conn.wants_transmit());
}

#[test]
fn control_payloads_over_125_bytes_are_refused() {
    let mut s = server(quiet());
    let mut out = [0u8; 512];
    assert_eq!(s.ping(&[0; 126], &mut out), Err(SendError::ControlTooLarge));
    assert_eq!(s.pong(&[0; 126], &mut out), Err(SendError::ControlTooLarge));
    assert!(s.is_open());
}

/// `send_to_vec` appends exactly the frames `send` writes, for both roles and fragmented
/// messages, after whatever the vector held.
#[cfg(feature = "alloc")]
#[test]
fn send_to_vec_appends_what_send_writes() {
    for role in [sansws::Role::Server, sansws::Role::Client] {
        let config = sansws::Config {
            max_send_frame_len: 100,
            ..sansws::Config::default()
        };
        let payload: Vec<u8> = (0..=255).cycle().take(250).collect();
        let mut a = support::fail::upgraded(role, config, support::T0);
        let mut b = support::fail::upgraded(role, config, support::T0);
        let mut expected = vec![0; a.encoded_len(payload.len())];
        let n = a
            .send(sansws::MessageKind::Binary, &payload, &mut expected)
            .expect("send");
        let mut out = b"kept".to_vec();
        let appended = b
            .send_to_vec(sansws::MessageKind::Binary, &payload, &mut out)
            .expect("send_to_vec");
        assert_eq!((appended, &out[..4]), (n, &b"kept"[..]));
        // Masking keys differ between the two sends; everything else is the same.
        let strip = |frames: Vec<support::wire::WireFrame>| {
            let shape = |f: &support::wire::WireFrame| (f.fin, f.opcode, f.mask.is_some());
            frames
                .iter()
                .map(|f| (shape(f), f.payload.clone()))
                .collect::<Vec<_>>()
        };
        let (got, want) = (parse_frames(&out[4..]), parse_frames(&expected[..n]));
        assert_eq!(got.len(), 3, "{role:?}: 250 bytes in frames of 100");
        assert_eq!(strip(got), strip(want), "{role:?}");
    }
}
