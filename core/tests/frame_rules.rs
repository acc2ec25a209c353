//! Frame header rules (RFC 6455 §5.1, §5.2, §5.5 and the configured size limit): one test
//! per rule, each checking the typed [`ProtocolError`] and the close code it maps to.
//!
//! Every decode here also runs one byte at a time (`support::decode_checked`), so each rule
//! gives the same verdict however the header is split.

#[path = "data/support.rs"]
mod support;

use sansws::frame::{FrameHeader, FrameRules, OpCode, RSV1, RSV2, RSV3};
use sansws::{CloseCode, ProtocolError, Role, Status};
use support::{client, expect_error, expect_header, server};

const KEY: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

/// A frame header: the first byte, then the MASK bit and 7-bit length, the extended length
/// bytes, and the masking key when `masked`.
fn header(first: u8, masked: bool, len7: u8, extended: &[u8]) -> Vec<u8> {
    let mut bytes = vec![first, (u8::from(masked) << 7) | len7];
    bytes.extend_from_slice(extended);
    if masked {
        bytes.extend_from_slice(&KEY);
    }
    bytes
}

/// A header with a 64-bit extended length of `len`.
fn header64(first: u8, masked: bool, len: u64) -> Vec<u8> {
    header(first, masked, 127, &len.to_be_bytes())
}

/// A header with a 16-bit extended length of `len`.
fn header16(first: u8, masked: bool, len: u16) -> Vec<u8> {
    header(first, masked, 126, &len.to_be_bytes())
}

/// Both receiving roles, each with a well-masked header built by `make(masked)`.
fn both_roles(make: impl Fn(bool) -> Vec<u8>) -> [(FrameRules, Vec<u8>); 2] {
    [(client(), make(false)), (server(), make(true))]
}

fn with_rsv(rules: FrameRules, allowed_rsv: u8) -> FrameRules {
    FrameRules {
        allowed_rsv,
        ..rules
    }
}

fn with_limit(rules: FrameRules, max_payload_len: u64) -> FrameRules {
    FrameRules {
        max_payload_len,
        ..rules
    }
}

/// Asserts the first byte alone already fails with `expected` (rules are checked in wire order).
#[track_caller]
fn fails_on_first_byte(first: u8, rules: &FrameRules, expected: ProtocolError) {
    assert_eq!(
        FrameHeader::decode(&[first], rules),
        Err(expected),
        "{first:#04x}"
    );
}

#[test]
fn reserved_opcodes_are_rejected() {
    for op in (0x3..=0x7).chain(0xB..=0xF) {
        for fin in [0x00, 0x80] {
            for (rules, bytes) in both_roles(|masked| header(fin | op, masked, 5, &[])) {
                let expected = ProtocolError::ReservedOpcode(op);
                expect_error(&bytes, &rules, expected, CloseCode::PROTOCOL_ERROR);
                fails_on_first_byte(fin | op, &rules, expected);
            }
        }
    }
}

#[test]
fn each_rsv_bit_is_rejected_without_an_extension() {
    for bits in 1..8u8 {
        let rsv = bits << 4;
        for op in [OpCode::Continuation, OpCode::Text, OpCode::Binary] {
            let first = 0x80 | rsv | op.as_u8();
            for (rules, bytes) in both_roles(|masked| header(first, masked, 5, &[])) {
                let expected = ProtocolError::ReservedBits(rsv);
                expect_error(&bytes, &rules, expected, CloseCode::PROTOCOL_ERROR);
                fails_on_first_byte(first, &rules, expected);
            }
        }
    }
}

#[test]
fn rsv_bits_outside_the_allowed_set_are_rejected() {
    // With only RSV1 negotiated, RSV2 and RSV3 stay reserved; the error holds just those.
    for (rsv, offending) in [
        (RSV2, RSV2),
        (RSV3, RSV3),
        (RSV1 | RSV2, RSV2),
        (RSV1 | RSV3, RSV3),
        (RSV1 | RSV2 | RSV3, RSV2 | RSV3),
    ] {
        for (rules, bytes) in both_roles(|masked| header(0x81 | rsv, masked, 5, &[])) {
            expect_error(
                &bytes,
                &with_rsv(rules, RSV1),
                ProtocolError::ReservedBits(offending),
                CloseCode::PROTOCOL_ERROR,
            );
        }
    }
}

#[test]
fn allowed_rsv_bits_are_accepted_on_data_frames() {
    for allowed in 1..8u8 {
        let allowed = allowed << 4;
        // Every subset of the allowed bits, including none.
        for rsv in (0..8u8)
            .map(|bits| bits << 4)
            .filter(|rsv| rsv & !allowed == 0)
        {
            for op in [OpCode::Continuation, OpCode::Text, OpCode::Binary] {
                for fin in [0x00, 0x80] {
                    let first = fin | rsv | op.as_u8();
                    for (rules, bytes) in both_roles(|masked| header(first, masked, 5, &[])) {
                        let (decoded, _) = expect_header(&bytes, &with_rsv(rules, allowed));
                        assert_eq!(decoded.rsv, rsv, "{bytes:02x?}");
                        assert_eq!(decoded.opcode, op, "{bytes:02x?}");
                        assert_eq!(decoded.fin, fin != 0, "{bytes:02x?}");
                    }
                }
            }
        }
    }
}

#[test]
fn rsv_bits_are_never_allowed_on_control_frames() {
    let all = RSV1 | RSV2 | RSV3;
    for bits in 1..8u8 {
        let rsv = bits << 4;
        for op in [OpCode::Close, OpCode::Ping, OpCode::Pong] {
            let first = 0x80 | rsv | op.as_u8();
            for (rules, bytes) in both_roles(|masked| header(first, masked, 0, &[])) {
                let rules = with_rsv(rules, all);
                let expected = ProtocolError::ReservedBits(rsv);
                expect_error(&bytes, &rules, expected, CloseCode::PROTOCOL_ERROR);
                fails_on_first_byte(first, &rules, expected);
            }
        }
    }
}

#[test]
fn control_frame_with_fin_clear_is_rejected() {
    for op in [OpCode::Close, OpCode::Ping, OpCode::Pong] {
        for (rules, bytes) in both_roles(|masked| header(op.as_u8(), masked, 2, &[])) {
            let expected = ProtocolError::FragmentedControlFrame;
            expect_error(&bytes, &rules, expected, CloseCode::PROTOCOL_ERROR);
            fails_on_first_byte(op.as_u8(), &rules, expected);
        }
    }
}

#[test]
fn control_frame_payload_over_125_is_rejected() {
    for op in [OpCode::Close, OpCode::Ping, OpCode::Pong] {
        let first = 0x80 | op.as_u8();
        // The 16-bit and 64-bit length forms: even a well-formed 126 is over the limit, and so
        // is a non-minimal encoding of a small length (the 7-bit field alone decides).
        let cases = [
            (126, 126u64),
            (126, 0xFFFF),
            (126, 5),
            (127, 0x1_0000),
            (127, 5),
            (127, u64::MAX),
        ];
        for (len7, len) in cases {
            let extended = if len7 == 126 {
                (len as u16).to_be_bytes().to_vec()
            } else {
                len.to_be_bytes().to_vec()
            };
            for (rules, bytes) in both_roles(|masked| header(first, masked, len7, &extended)) {
                let expected = ProtocolError::ControlFrameTooLarge;
                expect_error(&bytes, &rules, expected, CloseCode::PROTOCOL_ERROR);
                // Decided by the second byte.
                assert_eq!(FrameHeader::decode(&bytes[..2], &rules), Err(expected));
            }
        }
    }
}

#[test]
fn control_frame_payload_up_to_125_is_accepted() {
    for op in [OpCode::Close, OpCode::Ping, OpCode::Pong] {
        for len in [0, 1, 124, 125] {
            for (rules, bytes) in both_roles(|masked| header(0x80 | op.as_u8(), masked, len, &[])) {
                let (decoded, _) = expect_header(&bytes, &rules);
                assert_eq!(decoded.payload_len, u64::from(len));
                assert_eq!(decoded.opcode, op);
            }
        }
    }
}

#[test]
fn server_receiving_an_unmasked_frame_is_rejected() {
    for first in [0x81, 0x82, 0x00, 0x88, 0x89, 0x8A] {
        for bytes in [header(first, false, 5, &[]), header(first, false, 0, &[])] {
            expect_error(
                &bytes,
                &server(),
                ProtocolError::UnmaskedFrame,
                CloseCode::PROTOCOL_ERROR,
            );
        }
    }
    for bytes in [header16(0x82, false, 300), header64(0x82, false, 1 << 20)] {
        expect_error(
            &bytes,
            &server(),
            ProtocolError::UnmaskedFrame,
            CloseCode::PROTOCOL_ERROR,
        );
    }
}

#[test]
fn client_receiving_a_masked_frame_is_rejected() {
    for first in [0x81, 0x82, 0x00, 0x88, 0x89, 0x8A] {
        expect_error(
            &header(first, true, 5, &[]),
            &client(),
            ProtocolError::MaskedFrame,
            CloseCode::PROTOCOL_ERROR,
        );
    }
    for bytes in [header16(0x82, true, 300), header64(0x82, true, 1 << 20)] {
        expect_error(
            &bytes,
            &client(),
            ProtocolError::MaskedFrame,
            CloseCode::PROTOCOL_ERROR,
        );
    }
}

#[test]
fn masking_matches_the_role_is_accepted() {
    let (decoded, len) = expect_header(&header(0x81, true, 5, &[]), &server());
    assert_eq!((decoded.mask, len), (Some(KEY), 6));
    let (decoded, len) = expect_header(&header(0x81, false, 5, &[]), &client());
    assert_eq!((decoded.mask, len), (None, 2));
}

#[test]
fn length_with_the_top_bit_set_is_rejected() {
    for len in [1 << 63, (1 << 63) + 1, (1 << 63) | 0x1_0000, u64::MAX] {
        for (rules, bytes) in both_roles(|masked| header64(0x82, masked, len)) {
            // Even with no size limit at all the length is not representable.
            for rules in [rules, with_limit(rules, u64::MAX)] {
                expect_error(
                    &bytes,
                    &rules,
                    ProtocolError::LengthOverflow,
                    CloseCode::PROTOCOL_ERROR,
                );
            }
        }
    }
}

#[test]
fn largest_64_bit_length_is_accepted() {
    for (rules, bytes) in both_roles(|masked| header64(0x82, masked, i64::MAX as u64)) {
        let (decoded, _) = expect_header(&bytes, &rules);
        assert_eq!(decoded.payload_len, i64::MAX as u64);
    }
}

/// Decision (see `frame/header.rs`): §5.2 says "the minimal number of bytes MUST be used to
/// encode the length", so a length that fits a shorter form is a protocol error.
#[test]
fn non_minimal_16_bit_length_is_rejected() {
    for len in [0, 1, 5, 125] {
        for (rules, bytes) in both_roles(|masked| header16(0x82, masked, len)) {
            expect_error(
                &bytes,
                &rules,
                ProtocolError::NonMinimalLength,
                CloseCode::PROTOCOL_ERROR,
            );
        }
    }
    // The smallest minimal 16-bit length.
    for (rules, bytes) in both_roles(|masked| header16(0x82, masked, 126)) {
        assert_eq!(expect_header(&bytes, &rules).0.payload_len, 126);
    }
}

/// Decision (see `frame/header.rs`): a 64-bit length under 65536 is not minimal.
#[test]
fn non_minimal_64_bit_length_is_rejected() {
    for len in [0, 5, 125, 126, 0xFFFF] {
        for (rules, bytes) in both_roles(|masked| header64(0x82, masked, len)) {
            expect_error(
                &bytes,
                &rules,
                ProtocolError::NonMinimalLength,
                CloseCode::PROTOCOL_ERROR,
            );
        }
    }
    // The smallest minimal 64-bit length.
    for (rules, bytes) in both_roles(|masked| header64(0x82, masked, 0x1_0000)) {
        assert_eq!(expect_header(&bytes, &rules).0.payload_len, 0x1_0000);
    }
}

#[test]
fn payload_over_the_limit_is_frame_too_large() {
    // (limit, header just over the limit, header exactly at the limit) in every length form.
    let cases = [
        (0, header(0x82, false, 1, &[]), header(0x82, false, 0, &[])),
        (
            100,
            header(0x82, false, 101, &[]),
            header(0x82, false, 100, &[]),
        ),
        (
            1000,
            header16(0x82, false, 1001),
            header16(0x82, false, 1000),
        ),
        (
            100_000,
            header64(0x82, false, 100_001),
            header64(0x82, false, 100_000),
        ),
        (
            u64::from(u32::MAX),
            header64(0x82, false, 1 << 32),
            header64(0x82, false, u64::from(u32::MAX)),
        ),
    ];
    for (limit, over, at) in cases {
        for role in [Role::Client, Role::Server] {
            let rules = with_limit(FrameRules::new(role), limit);
            let masked = role == Role::Server;
            let remask = |bytes: &[u8]| {
                if masked {
                    let mut bytes = bytes.to_vec();
                    bytes[1] |= 0x80;
                    bytes.extend_from_slice(&KEY);
                    bytes
                } else {
                    bytes.to_vec()
                }
            };
            expect_error(
                &remask(&over),
                &rules,
                ProtocolError::FrameTooLarge,
                CloseCode::MESSAGE_TOO_BIG,
            );
            let (decoded, _) = expect_header(&remask(&at), &rules);
            assert_eq!(decoded.payload_len, limit);
        }
    }
}

#[test]
fn control_frame_over_the_limit_is_frame_too_large() {
    for (rules, bytes) in both_roles(|masked| header(0x89, masked, 10, &[])) {
        expect_error(
            &bytes,
            &with_limit(rules, 9),
            ProtocolError::FrameTooLarge,
            CloseCode::MESSAGE_TOO_BIG,
        );
        assert_eq!(
            expect_header(&bytes, &with_limit(rules, 10)).0.payload_len,
            10
        );
    }
}

/// A header breaking several rules reports the first one in wire order: opcode, RSV, FIN of a
/// control frame, control length, masking, then the extended length and the size limit.
#[test]
fn the_first_rule_broken_in_wire_order_wins() {
    let limit = |rules| with_limit(rules, 10);
    let cases: [(Vec<u8>, FrameRules, ProtocolError); 8] = [
        // Reserved opcode with RSV set, unmasked to a server.
        (
            header(0x73, false, 126, &[0, 1]),
            server(),
            ProtocolError::ReservedOpcode(0x3),
        ),
        // RSV on a ping with FIN clear.
        (
            header(0x49, false, 5, &[]),
            client(),
            ProtocolError::ReservedBits(RSV1),
        ),
        // Ping with FIN clear and a 126 length.
        (
            header(0x09, false, 126, &[0, 200]),
            client(),
            ProtocolError::FragmentedControlFrame,
        ),
        // Oversized ping, masked to a client.
        (
            header(0x89, true, 127, &[0; 8]),
            client(),
            ProtocolError::ControlFrameTooLarge,
        ),
        // Masked to a client with a non-minimal length.
        (
            header16(0x82, true, 5),
            client(),
            ProtocolError::MaskedFrame,
        ),
        // Non-minimal 64-bit length under a tiny limit.
        (
            header64(0x82, false, 5),
            limit(client()),
            ProtocolError::NonMinimalLength,
        ),
        // Top bit set under a limit.
        (
            header64(0x82, false, 1 << 63),
            limit(client()),
            ProtocolError::LengthOverflow,
        ),
        // Over the limit, masked to a server.
        (
            header16(0x82, true, 200),
            limit(server()),
            ProtocolError::FrameTooLarge,
        ),
    ];
    for (bytes, rules, expected) in cases {
        let code = expected.close_code();
        expect_error(&bytes, &rules, expected, code);
    }
}

#[test]
fn a_rule_broken_after_the_first_bytes_waits_for_them() {
    // A non-minimal 16-bit length cannot be seen before the length bytes arrive.
    let bytes = header16(0x82, false, 5);
    assert_eq!(
        FrameHeader::decode(&bytes[..3], &client()),
        Ok(Status::Incomplete { needed: 1 })
    );
    assert_eq!(
        FrameHeader::decode(&bytes, &client()),
        Err(ProtocolError::NonMinimalLength)
    );
}
