//! Helpers shared by the frame codec tests (`frame_vectors.rs`, `frame_rules.rs`), included
//! with `#[path]`. Each test file uses only some of them.
#![allow(dead_code)]

use sansws::frame::{FrameHeader, FrameRules};
use sansws::{CloseCode, ProtocolError, Role, Status};

/// What [`FrameHeader::decode`] returns.
pub(crate) type Decoded = Result<Status<(FrameHeader, usize)>, ProtocolError>;

/// Rules of a client receiving (frames must be unmasked), no extension, no size limit.
pub(crate) fn client() -> FrameRules {
    FrameRules::new(Role::Client)
}

/// Rules of a server receiving (frames must be masked), no extension, no size limit.
pub(crate) fn server() -> FrameRules {
    FrameRules::new(Role::Server)
}

/// Decodes `buf` whole, then again as if it arrived one byte at a time, and asserts both give
/// the same result. Returns the whole-buffer result.
///
/// While growing the prefix it also checks the `Incomplete` contract: `needed` is at least 1
/// and never overstated (no header completes before `needed` more bytes have arrived), and a
/// complete header is reported exactly when its last byte arrives. `needed` counts bytes to a
/// whole header: a rule broken earlier may be reported sooner (the empty input asks for 2
/// bytes, yet a reserved opcode fails on the first).
pub(crate) fn decode_checked(buf: &[u8], rules: &FrameRules) -> Decoded {
    let whole = FrameHeader::decode(buf, rules);
    let mut len = 0;
    // The shortest prefix at which a result may appear, given the `needed` values seen so far.
    let mut floor = 0;
    loop {
        let step = FrameHeader::decode(&buf[..len], rules);
        match step {
            Ok(Status::Incomplete { needed }) => {
                assert!(needed >= 1, "needed 0 after {len} bytes of {buf:02x?}");
                floor = floor.max(len + needed);
                if len == buf.len() {
                    assert_eq!(step, whole, "prefix decode of {buf:02x?}");
                    return whole;
                }
                len += 1;
            }
            _ => {
                if let Ok(Status::Complete((_, header_len))) = step {
                    assert!(
                        len >= floor,
                        "complete after {len} bytes, but an earlier `needed` promised {floor}: \
                         {buf:02x?}"
                    );
                    assert_eq!(header_len, len, "header complete early or late: {buf:02x?}");
                }
                assert_eq!(step, whole, "byte-at-a-time decode differs for {buf:02x?}");
                return whole;
            }
        }
    }
}

/// Decodes `buf` (whole and byte by byte) and returns the complete header and its length.
#[track_caller]
pub(crate) fn expect_header(buf: &[u8], rules: &FrameRules) -> (FrameHeader, usize) {
    match decode_checked(buf, rules) {
        Ok(Status::Complete(done)) => done,
        other => panic!("expected a header from {buf:02x?}, got {other:?}"),
    }
}

/// Decodes `buf` (whole and byte by byte) and asserts it breaks the rule `expected`, whose
/// close code is `code`.
#[track_caller]
pub(crate) fn expect_error(
    buf: &[u8],
    rules: &FrameRules,
    expected: ProtocolError,
    code: CloseCode,
) {
    match decode_checked(buf, rules) {
        Err(err) => {
            assert_eq!(err, expected, "decoding {buf:02x?}");
            assert_eq!(err.close_code(), code, "close code of {err:?}");
        }
        other => panic!("expected {expected:?} from {buf:02x?}, got {other:?}"),
    }
}
