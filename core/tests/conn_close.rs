//! The closing handshake end to end (RFC 6455 §5.5.1, §7): a client and a server through the
//! buffered API, closing from either side or both at once, and the transport ending early.
#![cfg(feature = "alloc")]

mod support;

use sansws::conn::{Incoming, Message};
use sansws::{CloseCause, CloseCode, Instant, SendError};
use support::pair::{Pair, Side};
use support::quiet;
use support::wire::{parse_frames, CLOSE};

/// The close frames `side` transmitted, as codes.
fn close_codes(side: &Side) -> Vec<Option<u16>> {
    parse_frames(&side.sent)
        .iter()
        .filter(|f| f.opcode == CLOSE)
        .map(|f| f.close_code())
        .collect()
}

/// The peer's close frame as `side` received it.
fn close_event(side: &Side) -> (Option<CloseCode>, Vec<u8>) {
    let closes: Vec<_> = side
        .got
        .iter()
        .filter_map(|event| match event {
            Incoming::Close { code, reason } => Some((*code, reason.to_vec())),
            _ => None,
        })
        .collect();
    assert_eq!(closes.len(), 1, "{:?}", side.got);
    closes[0].clone()
}

/// Nothing more goes out of `side`, whatever is asked.
fn assert_silent(side: &mut Side, now: Instant) {
    assert_eq!(side.ws.send_text("late"), Err(SendError::Closed));
    assert_eq!(side.ws.send_binary(&b"late"[..]), Err(SendError::Closed));
    assert_eq!(side.ws.ping(b""), Err(SendError::Closed));
    assert_eq!(
        side.ws.close(now, CloseCode::NORMAL, ""),
        Err(SendError::Closed)
    );
    assert!(side.take_output().is_empty());
}

#[test]
fn client_initiated_close_completes_on_both_sides() {
    let mut pair = Pair::new(quiet());
    pair.client.ws.send_text("last words").unwrap();
    pair.client
        .ws
        .close(pair.now, CloseCode(4001), "bye")
        .unwrap();
    pair.drive();

    assert_eq!(
        close_event(&pair.server),
        (Some(CloseCode(4001)), b"bye".to_vec())
    );
    assert_eq!(
        close_event(&pair.client),
        (Some(CloseCode(4001)), Vec::new())
    );
    assert_eq!(
        pair.server.cause(),
        CloseCause::Handshake {
            peer_code: CloseCode(4001),
            initiated_locally: false,
        }
    );
    assert_eq!(
        pair.client.cause(),
        CloseCause::Handshake {
            peer_code: CloseCode(4001),
            initiated_locally: true,
        }
    );
    assert_eq!(
        pair.server.got[0],
        Incoming::Message(Message::text("last words"))
    );
    assert_eq!(close_codes(&pair.client), [Some(4001)]);
    assert_eq!(close_codes(&pair.server), [Some(4001)]);
    assert_silent(&mut pair.client, pair.now);
    assert_silent(&mut pair.server, pair.now);
    assert!(pair.client.ws.connection().is_closed());
    assert_eq!(
        pair.next_timeout(),
        None,
        "no timer outlives the connection"
    );
}

#[test]
fn server_initiated_close_completes_on_both_sides() {
    let mut pair = Pair::new(quiet());
    pair.server
        .ws
        .close(pair.now, CloseCode::GOING_AWAY, "restart")
        .unwrap();
    pair.drive();
    assert_eq!(
        pair.server.cause(),
        CloseCause::Handshake {
            peer_code: CloseCode::GOING_AWAY,
            initiated_locally: true,
        }
    );
    assert_eq!(
        pair.client.cause(),
        CloseCause::Handshake {
            peer_code: CloseCode::GOING_AWAY,
            initiated_locally: false,
        }
    );
    assert_eq!(close_event(&pair.client).1, b"restart");
    // The client's answer is masked, like every client frame.
    let answer = parse_frames(&pair.client.sent);
    assert!(answer[0].mask.is_some());
    assert_silent(&mut pair.client, pair.now);
    assert_silent(&mut pair.server, pair.now);
}

#[test]
fn simultaneous_closes_complete_on_both_sides() {
    let mut pair = Pair::new(quiet());
    pair.client.ws.close(pair.now, CloseCode(3001), "").unwrap();
    pair.server.ws.close(pair.now, CloseCode(3002), "").unwrap();
    pair.drive();
    assert_eq!(
        pair.client.cause(),
        CloseCause::Handshake {
            peer_code: CloseCode(3002),
            initiated_locally: true,
        }
    );
    assert_eq!(
        pair.server.cause(),
        CloseCause::Handshake {
            peer_code: CloseCode(3001),
            initiated_locally: true,
        }
    );
    // Each sent exactly one close frame.
    assert_eq!(close_codes(&pair.client), [Some(3001)]);
    assert_eq!(close_codes(&pair.server), [Some(3002)]);
}

#[test]
fn messages_in_flight_before_the_close_are_delivered() {
    let mut pair = Pair::new(quiet());
    pair.client
        .ws
        .close(pair.now, CloseCode::NORMAL, "")
        .unwrap();
    // The server speaks before it reads the close: still legal, and delivered.
    pair.server.ws.send_text("crossing").unwrap();
    pair.drive();
    assert_eq!(
        pair.client.got[0],
        Incoming::Message(Message::text("crossing"))
    );
    assert!(matches!(
        pair.client.cause(),
        CloseCause::Handshake {
            initiated_locally: true,
            ..
        }
    ));
}

#[test]
fn eof_before_a_close_is_abnormal() {
    let mut pair = Pair::new(quiet());
    pair.client.ws.send_text("cut short").unwrap();
    pair.drive();
    pair.client.ws.handle_eof();
    pair.server.ws.handle_eof();
    pair.drive();
    assert_eq!(pair.client.cause(), CloseCause::Abnormal);
    assert_eq!(pair.server.cause(), CloseCause::Abnormal);
    assert_eq!(CloseCause::Abnormal.code(), CloseCode::ABNORMAL_CLOSURE);
    assert!(close_codes(&pair.client).is_empty());
    assert_silent(&mut pair.client, pair.now);
}

#[test]
fn eof_while_awaiting_the_close_answer_is_abnormal() {
    let mut pair = Pair::new(quiet());
    pair.client
        .ws
        .close(pair.now, CloseCode::NORMAL, "")
        .unwrap();
    pair.client.take_output(); // lost
    pair.client.ws.handle_eof();
    pair.drive();
    assert_eq!(pair.client.cause(), CloseCause::Abnormal);
}

#[test]
fn eof_after_the_handshake_changes_nothing() {
    let mut pair = Pair::new(quiet());
    pair.client
        .ws
        .close(pair.now, CloseCode::NORMAL, "")
        .unwrap();
    pair.drive();
    pair.client.ws.handle_eof();
    pair.server.ws.handle_eof();
    pair.drive();
    assert!(matches!(pair.client.cause(), CloseCause::Handshake { .. }));
    assert!(matches!(pair.server.cause(), CloseCause::Handshake { .. }));
}
