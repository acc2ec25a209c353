//! Frame header codec against data: the RFC 6455 §5.7 example frames
//! (`data/rfc6455_5_7.txt`), partial input for every header form, and encoding every length
//! form with a round trip through the decoder.
//!
//! Every decode here also runs one byte at a time (`support::decode_checked`).

#[path = "data/support.rs"]
mod support;

use sansws::frame::{
    apply_mask, FrameHeader, FrameRules, OpCode, MAX_HEADER_LEN, RSV1, RSV2, RSV3,
};
use sansws::{CloseCode, InsufficientSize, ProtocolError, Role, Status};
use support::{client, decode_checked, expect_error, expect_header, server};

/// The RFC 6455 §5.7 example frames.
const RFC6455_5_7: &str = include_str!("data/rfc6455_5_7.txt");

/// One line of `data/rfc6455_5_7.txt`.
#[derive(Debug)]
struct Vector {
    name: String,
    frame: Vec<u8>,
    fin: bool,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    header_len: usize,
    payload_len: u64,
    plaintext: Vec<u8>,
}

/// The payload the data file calls `pattern N`: byte `i` is `i mod 251`.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn parse_hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|byte| u8::from_str_radix(byte, 16).unwrap_or_else(|_| panic!("bad hex {byte:?}")))
        .collect()
}

fn parse_pattern(text: &str) -> Vec<u8> {
    let len = text
        .trim()
        .strip_prefix("pattern ")
        .unwrap_or_else(|| panic!("expected `pattern N`, got {text:?}"));
    pattern(len.trim().parse().expect("pattern length"))
}

fn parse_opcode(text: &str) -> OpCode {
    match text {
        "continuation" => OpCode::Continuation,
        "text" => OpCode::Text,
        "binary" => OpCode::Binary,
        "close" => OpCode::Close,
        "ping" => OpCode::Ping,
        "pong" => OpCode::Pong,
        other => panic!("unknown opcode {other:?}"),
    }
}

fn vectors() -> Vec<Vector> {
    let mut vectors = Vec::new();
    for line in RFC6455_5_7.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [name, frame, fin, opcode, mask, header_len, payload_len, plaintext] = fields[..]
        else {
            panic!("expected 8 fields: {line:?}");
        };
        let frame = match frame.split_once('+') {
            Some((header, payload)) => {
                let mut bytes = parse_hex(header);
                bytes.extend(parse_pattern(payload));
                bytes
            }
            None => parse_hex(frame),
        };
        let mask = match mask {
            "-" => None,
            key => Some(parse_hex(key).try_into().expect("a 4-byte masking key")),
        };
        let plaintext = match plaintext.strip_prefix('"') {
            Some(quoted) => quoted.strip_suffix('"').expect("closing quote").into(),
            None => parse_pattern(plaintext),
        };
        vectors.push(Vector {
            name: name.into(),
            frame,
            fin: match fin {
                "1" => true,
                "0" => false,
                other => panic!("fin must be 0 or 1, got {other:?}"),
            },
            opcode: parse_opcode(opcode),
            mask,
            header_len: header_len.parse().expect("header_len"),
            payload_len: payload_len.parse().expect("payload_len"),
            plaintext,
        });
    }
    vectors
}

/// The rules the receiver of `vector` decodes with: a server for masked frames, a client for
/// unmasked ones.
fn receiver_of(vector: &Vector) -> FrameRules {
    if vector.mask.is_some() {
        server()
    } else {
        client()
    }
}

fn vector(name: &str) -> Vector {
    vectors()
        .into_iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

#[test]
fn rfc6455_5_7_data_file_holds_every_example() {
    let names: Vec<String> = vectors().into_iter().map(|v| v.name).collect();
    assert_eq!(
        names,
        [
            "single_frame_unmasked_text",
            "single_frame_masked_text",
            "fragmented_unmasked_text_first",
            "fragmented_unmasked_text_last",
            "unmasked_ping",
            "masked_pong",
            "binary_256_unmasked",
            "binary_64k_unmasked",
        ]
    );
}

#[test]
fn rfc6455_5_7_examples_decode_field_by_field() {
    for v in vectors() {
        let (header, header_len) = expect_header(&v.frame, &receiver_of(&v));
        assert_eq!(
            header,
            FrameHeader {
                fin: v.fin,
                rsv: 0,
                opcode: v.opcode,
                mask: v.mask,
                payload_len: v.payload_len,
            },
            "{}",
            v.name
        );
        assert_eq!(header_len, v.header_len, "{}", v.name);
        assert_eq!(
            v.frame.len() as u64,
            header_len as u64 + v.payload_len,
            "{}",
            v.name
        );
        // The header alone decodes the same: the decoder never looks at the payload.
        assert_eq!(
            expect_header(&v.frame[..header_len], &receiver_of(&v)),
            (header, header_len),
            "{}",
            v.name
        );
    }
}

#[test]
fn rfc6455_5_7_examples_unmask_to_their_plaintext() {
    for v in vectors() {
        let (header, header_len) = expect_header(&v.frame, &receiver_of(&v));
        let mut payload = v.frame[header_len..].to_vec();
        if let Some(key) = header.mask {
            // Masked on the wire: the payload differs from the plaintext until unmasked.
            assert_ne!(payload, v.plaintext, "{}", v.name);
            apply_mask(&mut payload, key, 0);
        }
        assert_eq!(payload, v.plaintext, "{}", v.name);
    }
}

#[test]
fn rfc6455_5_7_masked_examples_unmask_in_chunks() {
    for v in vectors().into_iter().filter(|v| v.mask.is_some()) {
        let (header, header_len) = expect_header(&v.frame, &receiver_of(&v));
        let key = header.mask.expect("masked");
        let masked = &v.frame[header_len..];
        for split in 0..=masked.len() {
            let mut payload = masked.to_vec();
            let (head, tail) = payload.split_at_mut(split);
            apply_mask(head, key, 0);
            apply_mask(tail, key, split);
            assert_eq!(payload, v.plaintext, "{} split at {split}", v.name);
        }
    }
}

#[test]
fn rfc6455_5_7_examples_encode_byte_for_byte() {
    for v in vectors() {
        let (header, header_len) = expect_header(&v.frame, &receiver_of(&v));
        assert_eq!(header.encoded_len(), header_len, "{}", v.name);
        let mut out = [0xEE; MAX_HEADER_LEN];
        assert_eq!(header.encode(&mut out), Ok(header_len), "{}", v.name);
        assert_eq!(out[..header_len], v.frame[..header_len], "{}", v.name);
        assert!(out[header_len..].iter().all(|&b| b == 0xEE), "{}", v.name);
    }
}

#[test]
fn rfc6455_5_7_examples_are_rejected_by_the_wrong_role() {
    for v in vectors() {
        let (rules, expected) = if v.mask.is_some() {
            (client(), ProtocolError::MaskedFrame)
        } else {
            (server(), ProtocolError::UnmaskedFrame)
        };
        expect_error(&v.frame, &rules, expected, CloseCode::PROTOCOL_ERROR);
    }
}

#[test]
fn rfc6455_5_7_fragmented_message_reassembles_from_a_stream() {
    let first = vector("fragmented_unmasked_text_first");
    let last = vector("fragmented_unmasked_text_last");
    let stream = [first.frame, last.frame].concat();
    let mut rest = &stream[..];
    let mut frames = Vec::new();
    let mut message = Vec::new();
    while !rest.is_empty() {
        let (header, header_len) = expect_header(rest, &client());
        let end = header_len + usize::try_from(header.payload_len).expect("small payload");
        message.extend_from_slice(&rest[header_len..end]);
        frames.push((header.fin, header.opcode));
        rest = &rest[end..];
    }
    assert_eq!(
        frames,
        [(false, OpCode::Text), (true, OpCode::Continuation)]
    );
    assert_eq!(message, b"Hello");
}

#[test]
fn rfc6455_5_7_every_header_prefix_is_incomplete() {
    for v in vectors() {
        assert_prefixes_incomplete(&v.frame[..v.header_len], &receiver_of(&v));
    }
}

/// Asserts every strict prefix of `header` (a whole header) is `Incomplete` with a `needed`
/// that is at least 1 and never overshoots the header, and exactly the remainder once the
/// first two bytes (which fix the header's length) are in.
#[track_caller]
fn assert_prefixes_incomplete(header: &[u8], rules: &FrameRules) {
    let full = header.len();
    assert_eq!(
        FrameHeader::decode(header, rules).map(|s| s.complete().map(|(_, n)| n)),
        Ok(Some(full)),
        "{header:02x?} is not a whole header"
    );
    for len in 0..full {
        let prefix = &header[..len];
        match FrameHeader::decode(prefix, rules) {
            Ok(Status::Incomplete { needed }) => {
                assert!(needed >= 1, "{prefix:02x?}");
                assert!(
                    len + needed <= full,
                    "needed {needed} overshoots: {prefix:02x?}"
                );
                if len >= 2 {
                    assert_eq!(needed, full - len, "{prefix:02x?}");
                }
            }
            other => panic!("{prefix:02x?} of {header:02x?} gave {other:?}"),
        }
        assert_eq!(
            decode_checked(prefix, rules),
            FrameHeader::decode(prefix, rules)
        );
    }
}

/// A masking key for the encode tests.
const KEY: [u8; 4] = [0x12, 0x34, 0x56, 0x78];

/// Every header form: a 7-bit, 16-bit and 64-bit length, unmasked and masked.
#[test]
fn every_header_form_partial_input_is_incomplete() {
    let forms: [(&[u8], usize); 3] = [
        (&[0x81, 0x05], 2),
        (&[0x82, 0x7E, 0x01, 0x00], 4),
        (
            &[0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00],
            10,
        ),
    ];
    for (unmasked, len) in forms {
        assert_eq!(unmasked.len(), len);
        assert_prefixes_incomplete(unmasked, &client());
        let mut masked = unmasked.to_vec();
        masked[1] |= 0x80;
        masked.extend_from_slice(&KEY);
        assert_eq!(masked.len(), len + 4);
        assert_prefixes_incomplete(&masked, &server());
    }
}

#[test]
fn empty_input_is_incomplete() {
    for rules in [client(), server()] {
        match decode_checked(&[], &rules) {
            Ok(Status::Incomplete { needed }) => assert!((1..=2).contains(&needed)),
            other => panic!("empty input gave {other:?}"),
        }
    }
}

/// Each length form with the unmasked header it must encode to (RFC 6455 §5.2: the minimal
/// length encoding, network byte order).
const LENGTH_FORMS: [(u64, &[u8]); 7] = [
    (0, &[0x82, 0x00]),
    (125, &[0x82, 0x7D]),
    (126, &[0x82, 0x7E, 0x00, 0x7E]),
    (65535, &[0x82, 0x7E, 0xFF, 0xFF]),
    (
        65536,
        &[0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00],
    ),
    (
        1 << 32,
        &[0x82, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00],
    ),
    (
        (1 << 63) - 1,
        &[0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
    ),
];

/// The expected bytes for the masked variant of an unmasked header: MASK bit set, key appended.
fn masked_form(unmasked: &[u8]) -> Vec<u8> {
    let mut bytes = unmasked.to_vec();
    bytes[1] |= 0x80;
    bytes.extend_from_slice(&KEY);
    bytes
}

fn binary(payload_len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
    FrameHeader {
        fin: true,
        rsv: 0,
        opcode: OpCode::Binary,
        mask,
        payload_len,
    }
}

#[test]
fn encode_every_length_form_unmasked_and_masked() {
    for (payload_len, unmasked) in LENGTH_FORMS {
        for (mask, expected) in [
            (None, unmasked.to_vec()),
            (Some(KEY), masked_form(unmasked)),
        ] {
            let header = binary(payload_len, mask);
            assert_eq!(header.encoded_len(), expected.len(), "{header:?}");
            let mut out = [0xEE; MAX_HEADER_LEN + 2];
            assert_eq!(header.encode(&mut out), Ok(expected.len()), "{header:?}");
            assert_eq!(out[..expected.len()], expected[..], "{header:?}");
            assert!(
                out[expected.len()..].iter().all(|&b| b == 0xEE),
                "wrote past the header: {header:?}"
            );
            // And back.
            let rules = if mask.is_some() { server() } else { client() };
            assert_eq!(expect_header(&expected, &rules), (header, expected.len()));
        }
    }
}

#[test]
fn encode_reports_insufficient_size_for_every_short_buffer() {
    for (payload_len, _) in LENGTH_FORMS {
        for mask in [None, Some(KEY)] {
            let header = binary(payload_len, mask);
            let required = header.encoded_len();
            let mut out = [0u8; MAX_HEADER_LEN];
            for size in 0..required {
                assert_eq!(
                    header.encode(&mut out[..size]),
                    Err(InsufficientSize { required }),
                    "{header:?} into {size} bytes"
                );
            }
            assert_eq!(header.encode(&mut out[..required]), Ok(required));
        }
    }
}

const OPCODES: [OpCode; 6] = [
    OpCode::Continuation,
    OpCode::Text,
    OpCode::Binary,
    OpCode::Close,
    OpCode::Ping,
    OpCode::Pong,
];

/// Every opcode, FIN, RSV combination, length form and masking encodes and decodes back to
/// itself (with all RSV bits allowed), except the combinations RFC 6455 forbids for control
/// frames, which decode to the rule they break (checked in wire order).
#[test]
fn encode_decode_round_trip_for_every_combination() {
    let all_rsv = RSV1 | RSV2 | RSV3;
    let mut round_trips = 0;
    for opcode in OPCODES {
        for fin in [false, true] {
            for rsv in (0..8u8).map(|bits| bits << 4) {
                for (payload_len, _) in LENGTH_FORMS {
                    for mask in [None, Some(KEY)] {
                        let header = FrameHeader {
                            fin,
                            rsv,
                            opcode,
                            mask,
                            payload_len,
                        };
                        let mut out = [0u8; MAX_HEADER_LEN];
                        let written = header.encode(&mut out).expect("room for any header");
                        let role = if mask.is_some() {
                            Role::Server
                        } else {
                            Role::Client
                        };
                        let rules = FrameRules {
                            allowed_rsv: all_rsv,
                            ..FrameRules::new(role)
                        };
                        let decoded = decode_checked(&out[..written], &rules);
                        let expected = if opcode.is_control() && rsv != 0 {
                            Err(ProtocolError::ReservedBits(rsv))
                        } else if opcode.is_control() && !fin {
                            Err(ProtocolError::FragmentedControlFrame)
                        } else if opcode.is_control() && payload_len > 125 {
                            Err(ProtocolError::ControlFrameTooLarge)
                        } else {
                            round_trips += 1;
                            Ok(Status::Complete((header, written)))
                        };
                        assert_eq!(decoded, expected, "{header:?}");
                    }
                }
            }
        }
    }
    // Data frames: 3 opcodes x 2 FIN x 8 RSV x 7 lengths x 2 masks; control frames: 3 opcodes
    // x 2 lengths (0, 125) x 2 masks.
    assert_eq!(round_trips, 3 * 2 * 8 * 7 * 2 + 3 * 2 * 2);
}

#[test]
fn encode_keeps_stray_rsv_bits_out_of_the_opcode() {
    let header = FrameHeader {
        fin: true,
        rsv: 0xFF,
        opcode: OpCode::Text,
        mask: None,
        payload_len: 0,
    };
    let mut out = [0u8; 2];
    assert_eq!(header.encode(&mut out), Ok(2));
    assert_eq!(out, [0x80 | RSV1 | RSV2 | RSV3 | 0x1, 0x00]);
}
