//! Receiving on an open connection (RFC 6455 §5.4–§5.6, §8.1), through the no-alloc API
//! (`Connection::handle_read`): messages, fragments with control frames between them,
//! streaming UTF-8 validation, automatic pongs, control frames as events and the close echo.

mod support;

use sansws::{CloseCause, CloseCode, Config, MessageKind, ProtocolError, Role, SendError};
use support::driver::{Driver, Got};
use support::fail::{from_peer, upgraded};
use support::wire::{
    client_frame, close_payload, concat, only_close, opcodes, parse_frames, server_frame, BINARY,
    CLOSE, CONT, PING, PONG, TEXT,
};
use support::{after, quiet, T0};

fn driver(role: Role) -> Driver {
    Driver::new(upgraded(role, quiet(), T0))
}

#[test]
fn text_and_binary_messages_are_delivered() {
    for role in [Role::Server, Role::Client] {
        let mut d = driver(role);
        d.feed(
            T0,
            &concat(&[
                from_peer(role, TEXT, true, "héllo wörld".as_bytes()),
                from_peer(role, BINARY, true, &[0, 0xFF, 0x80, 1]),
                from_peer(role, TEXT, true, b""),
                from_peer(role, BINARY, true, &[0xAB; 300]),
            ]),
        );
        assert_eq!(
            d.got,
            [
                Got::text("héllo wörld"),
                Got::binary(&[0, 0xFF, 0x80, 1]),
                Got::text(""),
                Got::binary(&[0xAB; 300]),
            ]
        );
        assert!(d.wire.is_empty(), "nothing to answer");
        assert!(d.conn.is_open());
    }
}

#[test]
fn fragmented_message_with_control_frames_between_fragments_is_reassembled() {
    let mut d = driver(Role::Server);
    d.feed(
        T0,
        &concat(&[
            client_frame(TEXT, false, b"Hel"),
            client_frame(PING, true, b"p1"),
            client_frame(CONT, false, b"lo, "),
            client_frame(PONG, true, b"q"),
            client_frame(CONT, false, b""),
            client_frame(CONT, true, b"world"),
            client_frame(BINARY, false, &[1, 2]),
            client_frame(PING, true, b""),
            client_frame(CONT, true, &[3]),
        ]),
    );
    assert_eq!(
        d.got,
        [
            Got::Ping(b"p1".to_vec()),
            Got::Pong(b"q".to_vec()),
            Got::text("Hello, world"),
            Got::Ping(Vec::new()),
            Got::binary(&[1, 2, 3]),
        ]
    );
    // Pieces keep their order and first/last flags; the pings were answered in between.
    let t = MessageKind::Text;
    let b = MessageKind::Binary;
    assert_eq!(
        d.pieces,
        [
            (t, 3, true, false),
            (t, 4, false, false),
            (t, 0, false, false),
            (t, 5, false, true),
            (b, 2, true, false),
            (b, 1, false, true),
        ]
    );
    let pongs = [
        server_frame(PONG, true, b"p1"),
        server_frame(PONG, true, b""),
    ];
    assert_eq!(d.wire, concat(&pongs));
}

#[test]
fn large_frames_are_handed_out_in_pieces_as_they_arrive() {
    // The no-alloc API does not wait for a whole frame: each read yields what arrived.
    let payload: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let frame = client_frame(BINARY, true, &payload);
    let mut d = driver(Role::Server);
    d.feed(T0, &frame[..5_000]);
    let (kind, len, first, last) = d.pieces[0];
    assert_eq!((kind, first, last), (MessageKind::Binary, true, false));
    assert_eq!(
        len,
        5_000 - 14,
        "the payload that arrived, after the 14-byte header"
    );
    d.feed(T0, &frame[5_000..]);
    assert_eq!(d.got, [Got::binary(&payload)]);
}

#[test]
fn code_point_split_across_fragments_is_valid_text() {
    let mut d = driver(Role::Server);
    let emoji = "😀".as_bytes(); // 4 bytes, split over three frames
    d.feed(
        T0,
        &concat(&[
            client_frame(TEXT, false, &[b'a', 0xC3]),
            client_frame(CONT, false, &[0xA9, emoji[0]]),
            client_frame(PING, true, b""),
            client_frame(CONT, false, &emoji[1..3]),
            client_frame(CONT, true, &emoji[3..]),
        ]),
    );
    assert_eq!(d.got[1], Got::text("aé😀"));
    assert!(d.errors().is_empty());
}

#[test]
fn invalid_utf8_fails_with_1007_before_the_last_fragment_arrives() {
    let mut d = driver(Role::Server);
    // Only the first fragment: the invalid byte is reported now, not at the end.
    d.feed(T0, &client_frame(TEXT, false, b"fine so far \xFF"));
    assert_eq!(d.errors(), [ProtocolError::InvalidUtf8]);
    assert_eq!(only_close(&d.take_wire()), Some(1007));
    d.feed(T0, &client_frame(CONT, true, b"the end"));
    assert_eq!(d.got, [Got::Error(ProtocolError::InvalidUtf8)]);
    assert!(d.wire.is_empty());
}

#[test]
fn invalid_utf8_fails_before_the_rest_of_its_frame_arrives() {
    let frame = client_frame(TEXT, true, &[b"ok\xF8".as_slice(), &[b'x'; 1000]].concat());
    let mut d = driver(Role::Server);
    d.feed(T0, &frame[..8 + 3]); // the 8-byte header, then "ok\xF8"
    assert_eq!(d.errors(), [ProtocolError::InvalidUtf8]);
    assert_eq!(only_close(&d.wire), Some(1007));
}

#[test]
fn incomplete_code_point_at_the_end_of_a_message_fails_with_1007() {
    let mut d = driver(Role::Server);
    d.feed(
        T0,
        &concat(&[
            client_frame(TEXT, false, b"ab"),
            client_frame(CONT, true, b"\xE2\x82"),
        ]),
    );
    assert_eq!(d.errors(), [ProtocolError::InvalidUtf8]);
    assert_eq!(only_close(&d.wire), Some(1007));
}

#[test]
fn binary_messages_are_not_checked_for_utf8() {
    let mut d = driver(Role::Server);
    d.feed(T0, &client_frame(BINARY, true, b"\xFF\xC3"));
    assert_eq!(d.got, [Got::binary(b"\xFF\xC3")]);
}

#[test]
fn a_ping_is_answered_with_a_pong_carrying_its_payload() {
    let mut d = driver(Role::Server);
    d.feed(T0, &client_frame(PING, true, b"are you there?"));
    assert_eq!(d.got, [Got::Ping(b"are you there?".to_vec())]);
    assert_eq!(d.take_wire(), server_frame(PONG, true, b"are you there?"));

    // A client's pong is masked, and carries the same payload.
    let mut d = driver(Role::Client);
    let payload = [0xA5; 125];
    d.feed(T0, &server_frame(PING, true, &payload));
    let frames = parse_frames(&d.wire);
    assert_eq!(frames.len(), 1);
    assert_eq!((frames[0].opcode, frames[0].fin), (PONG, true));
    assert!(frames[0].mask.is_some());
    assert_eq!(frames[0].payload, payload);
}

#[test]
fn no_automatic_pong_when_auto_pong_is_off() {
    let config = Config {
        auto_pong: false,
        ..quiet()
    };
    let mut d = Driver::new(upgraded(Role::Server, config, T0));
    d.feed(T0, &client_frame(PING, true, b"hi"));
    assert_eq!(d.got, [Got::Ping(b"hi".to_vec())]);
    assert!(d.wire.is_empty());
    assert!(!d.conn.wants_transmit());
    // The application answers itself.
    let mut out = [0u8; 16];
    let n = d.conn.pong(b"hi", &mut out).unwrap();
    assert_eq!(out[..n], server_frame(PONG, true, b"hi"));
}

#[test]
fn ping_pong_and_close_are_reported_as_events() {
    let mut d = driver(Role::Client);
    d.feed(
        T0,
        &concat(&[
            server_frame(PING, true, b"1"),
            server_frame(PONG, true, b"2"),
            server_frame(CLOSE, true, &close_payload(1001, b"going away")),
        ]),
    );
    assert_eq!(
        d.got,
        [
            Got::Ping(b"1".to_vec()),
            Got::Pong(b"2".to_vec()),
            Got::Close(Some(1001), "going away".into()),
        ]
    );
    assert_eq!(opcodes(&d.wire), [PONG, CLOSE]);
}

#[test]
fn a_close_is_answered_with_a_close_echoing_its_code() {
    for code in [1000, 1001, 1011, 3000, 4999] {
        let mut d = driver(Role::Server);
        d.feed(T0, &client_frame(CLOSE, true, &close_payload(code, b"bye")));
        assert_eq!(d.got, [Got::Close(Some(code), "bye".into())]);
        assert_eq!(only_close(&d.wire), Some(code));
        assert_eq!(
            d.conn.close_cause(),
            Some(CloseCause::Handshake {
                peer_code: CloseCode(code),
                initiated_locally: false,
            })
        );
    }
}

#[test]
fn an_empty_close_is_answered_with_1000() {
    let mut d = driver(Role::Client);
    d.feed(T0, &server_frame(CLOSE, true, b""));
    assert_eq!(d.got, [Got::Close(None, String::new())]);
    assert_eq!(only_close(&d.wire), Some(1000));
    assert_eq!(
        d.conn.close_cause(),
        Some(CloseCause::Handshake {
            peer_code: CloseCode::NO_STATUS_RECEIVED,
            initiated_locally: false,
        })
    );
}

#[test]
fn nothing_is_sent_after_the_close_answer() {
    let mut d = driver(Role::Server);
    // A ping right before the close: its pong may go out, but never after the close.
    d.feed(
        T0,
        &concat(&[
            client_frame(PING, true, b"x"),
            client_frame(CLOSE, true, &close_payload(1000, b"")),
            client_frame(PING, true, b"late"),
            client_frame(TEXT, true, b"late"),
        ]),
    );
    assert_eq!(
        d.got.len(),
        2,
        "nothing is read after the close: {:?}",
        d.got
    );
    assert_eq!(opcodes(&d.wire), [PONG, CLOSE]);
    let mut out = [0u8; 256];
    assert_eq!(d.conn.send_text("x", &mut out), Err(SendError::Closed));
    assert_eq!(d.conn.send_binary(b"x", &mut out), Err(SendError::Closed));
    assert_eq!(d.conn.ping(b"x", &mut out), Err(SendError::Closed));
    assert_eq!(d.conn.pong(b"x", &mut out), Err(SendError::Closed));
    assert_eq!(
        d.conn.close(T0, CloseCode::NORMAL, ""),
        Err(SendError::Closed)
    );
    assert_eq!(d.conn.poll_transmit(&mut out), Ok(0));
    // Nor on the timer.
    d.conn.handle_timeout(after(T0, 3_600_000));
    assert_eq!(d.conn.poll_transmit(&mut out), Ok(0));
    assert_eq!(d.conn.poll_timeout(), None);
}

#[test]
fn bytes_before_upgraded_wait_for_it() {
    // Frame bytes that arrive with the end of the handshake are kept, not dropped.
    let mut conn = sansws::Connection::server(quiet(), T0);
    let mut bytes = client_frame(TEXT, true, b"early");
    let read = conn.handle_read(T0, &mut bytes).unwrap();
    assert_eq!((read.consumed, read.event.is_none()), (0, true));
    conn.upgraded(T0);
    let mut d = Driver::new(conn);
    d.feed(T0, &bytes);
    assert_eq!(d.got, [Got::text("early")]);
}

#[test]
fn eof_before_a_close_is_abnormal_and_ends_all_output() {
    let mut d = driver(Role::Server);
    d.feed(T0, &client_frame(PING, true, b"unanswered"));
    d.conn.handle_eof();
    assert_eq!(d.conn.close_cause(), Some(CloseCause::Abnormal));
    let mut out = [0u8; 64];
    assert_eq!(d.conn.send_text("x", &mut out), Err(SendError::Closed));
    assert_eq!(d.conn.poll_transmit(&mut out), Ok(0));
    assert_eq!(d.conn.poll_timeout(), None);
    d.feed(T0, &client_frame(TEXT, true, b"after eof"));
    assert_eq!(d.got.len(), 1);
}
