//! Every protocol violation a peer can commit on an open connection (RFC 6455 §5.1–§5.5,
//! §7.4, §8.1): one test per rule. Each checks the typed [`ProtocolError`], the close frame
//! queued with its code, that the error is reported exactly once, and that nothing else
//! happens afterwards — in both APIs and however the bytes are split
//! (see `support::fail::assert_fails`).

mod support;

use sansws::{CloseCause, CloseCode, Config, ProtocolError, Role};
use support::driver::{Driver, Got};
use support::fail::{assert_fails, from_peer, upgraded};
use support::wire::only_close;
use support::wire::{close_payload, raw_frame, BINARY, CLOSE, CONT, FIN, KEY, PING, PONG, TEXT};
use support::{quiet, T0};

const ROLES: [Role; 2] = [Role::Server, Role::Client];

/// The masking key a frame towards `role` must carry.
fn key_for(role: Role) -> Option<[u8; 4]> {
    (role == Role::Server).then_some(KEY)
}

fn fails(role: Role, bad: &[u8], expected: ProtocolError) {
    assert_fails(role, quiet(), bad, expected);
}

#[test]
fn reserved_data_and_control_opcodes_fail_with_1002() {
    for role in ROLES {
        for opcode in [0x3, 0x7, 0xB, 0xF] {
            let bad = raw_frame(FIN | opcode, key_for(role), b"x");
            fails(role, &bad, ProtocolError::ReservedOpcode(opcode));
        }
    }
}

#[test]
fn rsv_bits_without_an_extension_fail_with_1002() {
    for role in ROLES {
        for (rsv, opcode) in [(0x40, TEXT), (0x20, BINARY), (0x10, TEXT), (0x40, PING)] {
            let bad = raw_frame(FIN | rsv | opcode, key_for(role), b"x");
            fails(role, &bad, ProtocolError::ReservedBits(rsv));
        }
    }
}

#[test]
fn unmasked_frame_to_a_server_fails_with_1002() {
    for opcode in [TEXT, BINARY, PING, CLOSE] {
        let bad = raw_frame(FIN | opcode, None, b"");
        fails(Role::Server, &bad, ProtocolError::UnmaskedFrame);
    }
}

#[test]
fn masked_frame_to_a_client_fails_with_1002() {
    for opcode in [TEXT, BINARY, PONG, CLOSE] {
        let bad = raw_frame(FIN | opcode, Some(KEY), b"");
        fails(Role::Client, &bad, ProtocolError::MaskedFrame);
    }
}

#[test]
fn fragmented_control_frame_fails_with_1002() {
    for role in ROLES {
        for opcode in [PING, PONG, CLOSE] {
            let bad = from_peer(role, opcode, false, b"");
            fails(role, &bad, ProtocolError::FragmentedControlFrame);
        }
    }
}

#[test]
fn control_frame_over_125_bytes_fails_with_1002() {
    for role in ROLES {
        let bad = from_peer(role, PING, true, &[7; 126]);
        fails(role, &bad, ProtocolError::ControlFrameTooLarge);
    }
}

#[test]
fn non_minimal_length_fails_with_1002() {
    for role in ROLES {
        // 5 bytes announced in the 16-bit form.
        let mut bad = vec![FIN | BINARY, if role == Role::Server { 0xFE } else { 0x7E }];
        bad.extend_from_slice(&5u16.to_be_bytes());
        if let Some(key) = key_for(role) {
            bad.extend_from_slice(&key);
        }
        bad.extend_from_slice(&[0; 5]);
        fails(role, &bad, ProtocolError::NonMinimalLength);
    }
}

#[test]
fn continuation_without_a_started_message_fails_with_1002() {
    for role in ROLES {
        for fin in [true, false] {
            let bad = from_peer(role, CONT, fin, b"orphan");
            fails(role, &bad, ProtocolError::UnexpectedContinuation);
        }
    }
}

#[test]
fn new_message_inside_a_fragmented_message_fails_with_1002() {
    for role in ROLES {
        for (open, intruder) in [(TEXT, TEXT), (TEXT, BINARY), (BINARY, TEXT)] {
            let bad = [
                from_peer(role, open, false, b"start"),
                from_peer(role, intruder, true, b"intruder"),
            ]
            .concat();
            fails(role, &bad, ProtocolError::ExpectedContinuation);
        }
    }
}

#[test]
fn close_codes_forbidden_on_the_wire_fail_with_1002() {
    for role in ROLES {
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let bad = from_peer(role, CLOSE, true, &close_payload(code, b""));
            fails(role, &bad, ProtocolError::InvalidCloseCode(code));
        }
    }
}

#[test]
fn one_byte_close_payload_fails_with_1002() {
    for role in ROLES {
        let bad = from_peer(role, CLOSE, true, &[0x03]);
        fails(role, &bad, ProtocolError::InvalidClosePayload);
    }
}

#[test]
fn invalid_utf8_close_reason_fails_with_1007() {
    for role in ROLES {
        for reason in [&b"\xFF"[..], b"ok\xC3", b"\xED\xA0\x80"] {
            let bad = from_peer(role, CLOSE, true, &close_payload(1000, reason));
            fails(role, &bad, ProtocolError::InvalidUtf8);
        }
    }
}

#[test]
fn invalid_utf8_text_fails_with_1007() {
    for role in ROLES {
        // An invalid byte, a surrogate, an overlong form, and a message ending mid code point.
        for text in [&b"a\xFFb"[..], b"\xED\xA0\x80", b"\xC0\xAF", b"caf\xC3"] {
            let bad = from_peer(role, TEXT, true, text);
            fails(role, &bad, ProtocolError::InvalidUtf8);
        }
    }
}

#[test]
fn errors_use_the_configured_limits_too() {
    // A limit violation goes through the same path: typed error, close 1009, once.
    let config = Config {
        max_frame_len: 10,
        ..quiet()
    };
    for role in ROLES {
        let bad = from_peer(role, BINARY, true, &[0; 11]);
        assert_fails(role, config, &bad, ProtocolError::FrameTooLarge);
    }
}

#[test]
fn an_error_after_our_close_sends_no_second_close_frame() {
    for role in ROLES {
        let mut d = Driver::new(upgraded(role, quiet(), T0));
        d.conn.close(T0, CloseCode::GOING_AWAY, "").unwrap();
        d.drain();
        assert_eq!(only_close(&d.take_wire()), Some(1001));
        // While awaiting the answer, the peer breaks a rule.
        d.feed(T0, &from_peer(role, CONT, true, b"?"));
        let err = ProtocolError::UnexpectedContinuation;
        assert_eq!(d.got, [Got::Error(err)]);
        assert!(d.wire.is_empty(), "a second close frame was written");
        assert_eq!(d.conn.close_cause(), Some(CloseCause::ProtocolError(err)));
        d.feed(T0, &from_peer(role, CLOSE, true, b""));
        assert_eq!(d.got.len(), 1);
    }
}
