//! `frame_header`: [`FrameHeader::decode`] over any bytes and any rules.

use sansws::frame::{FrameHeader, FrameRules, OpCode, RSV1, RSV2, RSV3};
use sansws::{ProtocolError, Role, Status};

/// The rules a selector byte picks: bit 0 the role, bits 1–3 the payload limit, bits 4–6 the
/// allowed RSV bits (exactly where they sit in a header's first byte).
pub fn rules(selector: u8) -> FrameRules {
    let role = if selector & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let max_payload_len = match (selector >> 1) & 7 {
        0 => 0,
        1 => 125,
        2 => 126,
        3 => 0xFFFF,
        4 => 0x1_0000,
        5 => u64::from(u32::MAX),
        6 => i64::MAX as u64,
        _ => u64::MAX,
    };
    FrameRules {
        role,
        allowed_rsv: selector & (RSV1 | RSV2 | RSV3),
        max_payload_len,
    }
}

/// Input: a selector byte for [`rules`], then header bytes.
///
/// - decoding never panics;
/// - a decoded header obeys the rules and re-encodes to exactly the bytes it came from;
/// - each strict prefix decodes to `Incomplete` (with a `needed` that does not overshoot a
///   complete header) or to the same error as the whole input, and once a prefix fails every
///   longer one fails the same way.
pub fn frame_header(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let rules = rules(selector);
    let whole = FrameHeader::decode(bytes, &rules);
    if let Ok(Status::Complete((header, len))) = whole {
        check_header(&header, len, &bytes[..len], &rules);
    }
    let end = match whole {
        Ok(Status::Complete((_, len))) => len,
        _ => bytes.len(),
    };
    let mut failed: Option<ProtocolError> = None;
    for i in 0..end {
        match FrameHeader::decode(&bytes[..i], &rules) {
            Ok(Status::Incomplete { needed }) => {
                assert!(needed >= 1, "needed 0 at prefix {i}");
                assert!(failed.is_none(), "prefix {i} incomplete after failing");
                if let Ok(Status::Complete((_, len))) = whole {
                    assert!(i + needed <= len, "prefix {i} asks {needed} of {len}");
                }
            }
            Ok(Status::Complete(c)) => panic!("strict prefix {i} complete: {c:?}, whole {whole:?}"),
            Err(err) => {
                assert_eq!(Err(err), whole.map(|_| ()), "prefix {i}");
                failed = Some(err);
            }
        }
    }
}

fn check_header(header: &FrameHeader, len: usize, bytes: &[u8], rules: &FrameRules) {
    assert_eq!(len, header.encoded_len());
    assert!(header.payload_len <= rules.max_payload_len);
    assert!(header.payload_len >> 63 == 0);
    assert_eq!(header.rsv & !rules.allowed_rsv, 0);
    if header.opcode.is_control() {
        assert!(header.fin && header.payload_len <= 125 && header.rsv == 0);
    }
    assert_eq!(header.mask.is_some(), rules.role == Role::Server);
    assert!(OpCode::from_u8(header.opcode.as_u8()) == Some(header.opcode));
    let mut out = [0u8; 14];
    let n = header.encode(&mut out).expect("14 bytes hold any header");
    assert_eq!(&out[..n], bytes, "re-encoding {header:?}");
    // Too small a buffer is an error naming the size, never a panic or a partial write.
    let err = header.encode(&mut out[..n - 1]).unwrap_err();
    assert_eq!(err.required, n);
}
