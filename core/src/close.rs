//! Close codes (RFC 6455 §7.4) and the close frame payload (§5.5.1).

use core::fmt;

use crate::error::{InsufficientSize, ProtocolError};

/// A close status code (RFC 6455 §7.4), as a `u16` newtype with named constants.
///
/// Any `u16` can be held; [`CloseCode::is_allowed_on_wire`] and [`CloseCode::is_sendable`]
/// tell which ones may appear in a close frame.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose for which the connection was established has been fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: an endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer violated the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: the endpoint received a type of data it cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: reserved; stands for "no status code was present". Never sent.
    pub const NO_STATUS_RECEIVED: CloseCode = CloseCode(1005);
    /// 1006: reserved; stands for "closed without a close frame". Never sent.
    pub const ABNORMAL_CLOSURE: CloseCode = CloseCode(1006);
    /// 1007: a message's data was inconsistent with its type (e.g. invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected the server to negotiate an extension it did not.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// 1014: a gateway or proxy received an invalid response upstream (IANA registry).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);
    /// 1015: reserved; stands for "TLS handshake failed". Never sent.
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether this code may appear in a close frame received from the peer.
    ///
    /// Allowed: 1000–1003, 1007–1014 (the registered codes that are not reserved) and
    /// 3000–4999 (libraries, frameworks and applications). Everything else, including the
    /// reserved 1004, 1005, 1006 and 1015, is a protocol error.
    pub const fn is_allowed_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Whether this endpoint may send this code in a close frame: exactly the codes allowed on
    /// the wire (1005, 1006 and 1015 are placeholders for "no code", never sent).
    pub const fn is_sendable(self) -> bool {
        self.is_allowed_on_wire()
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

/// The largest close reason in bytes: a control frame payload is at most 125 bytes, two of
/// which hold the code.
pub const MAX_REASON_LEN: usize = 123;

/// The parsed payload of a close frame, borrowing its reason from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code; `None` when the payload was empty (reported as 1005 to users).
    pub code: Option<CloseCode>,
    /// The UTF-8 reason; empty when absent.
    pub reason: &'a str,
}

impl<'a> CloseFrame<'a> {
    /// Parses a received close frame payload (RFC 6455 §5.5.1): empty, or a 2-byte code the
    /// wire allows followed by a UTF-8 reason.
    ///
    /// A 1-byte payload or a forbidden code is [`ProtocolError`] with close code 1002; a reason
    /// that is not UTF-8 answers 1007.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ProtocolError> {
        match payload {
            [] => Ok(CloseFrame {
                code: None,
                reason: "",
            }),
            [_] => Err(ProtocolError::InvalidClosePayload),
            [hi, lo, reason @ ..] => {
                let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
                if !code.is_allowed_on_wire() {
                    return Err(ProtocolError::InvalidCloseCode(code.0));
                }
                if reason.len() > MAX_REASON_LEN {
                    return Err(ProtocolError::ControlFrameTooLarge);
                }
                let reason =
                    core::str::from_utf8(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
                Ok(CloseFrame {
                    code: Some(code),
                    reason,
                })
            }
        }
    }

    /// The code to report to users: the received code, or 1005 when none was present.
    pub fn code_or_no_status(&self) -> CloseCode {
        self.code.unwrap_or(CloseCode::NO_STATUS_RECEIVED)
    }

    /// The payload length [`CloseFrame::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self.code {
            None => 0,
            Some(_) => 2 + self.reason.len(),
        }
    }

    /// Writes the close payload into `out`, returning its length.
    ///
    /// The caller checks sendability and reason length (see [`CloseFrame::check_sendable`]);
    /// this only serializes.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, InsufficientSize> {
        let len = self.encoded_len();
        let out = out
            .get_mut(..len)
            .ok_or(InsufficientSize { required: len })?;
        if let Some(code) = self.code {
            out[..2].copy_from_slice(&code.0.to_be_bytes());
            out[2..].copy_from_slice(self.reason.as_bytes());
        }
        Ok(len)
    }

    /// Whether this endpoint may send this close frame: a sendable code (or none, with no
    /// reason) and a reason of at most [`MAX_REASON_LEN`] bytes.
    pub fn check_sendable(&self) -> Result<(), CloseError> {
        match self.code {
            None if !self.reason.is_empty() => Err(CloseError::ReasonWithoutCode),
            Some(code) if !code.is_sendable() => Err(CloseError::UnsendableCode(code)),
            _ if self.reason.len() > MAX_REASON_LEN => Err(CloseError::ReasonTooLong),
            _ => Ok(()),
        }
    }
}

/// Why a close frame the caller asked for cannot be sent.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseError {
    /// The code is reserved or outside the ranges a close frame may carry.
    UnsendableCode(CloseCode),
    /// The reason is longer than [`MAX_REASON_LEN`] bytes.
    ReasonTooLong,
    /// A reason was given without a code.
    ReasonWithoutCode,
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseError::UnsendableCode(code) => write!(f, "close code {code} may not be sent"),
            CloseError::ReasonTooLong => f.write_str("close reason longer than 123 bytes"),
            CloseError::ReasonWithoutCode => f.write_str("close reason without a code"),
        }
    }
}

impl core::error::Error for CloseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_rules_follow_rfc_6455_section_7_4() {
        for code in 0..=u16::MAX {
            let allowed = CloseCode(code).is_allowed_on_wire();
            let expected = matches!(code, 1000..=1003)
                || (1007..=1014).contains(&code)
                || (3000..=4999).contains(&code);
            assert_eq!(allowed, expected, "code {code}");
        }
        for reserved in [1004, 1005, 1006, 1015, 999, 1016, 2999, 5000] {
            assert!(!CloseCode(reserved).is_sendable(), "{reserved}");
        }
    }

    #[test]
    fn empty_payload_has_no_code() {
        let frame = CloseFrame::parse(&[]).unwrap();
        assert_eq!(frame.code, None);
        assert_eq!(frame.code_or_no_status(), CloseCode::NO_STATUS_RECEIVED);
    }

    #[test]
    fn one_byte_payload_is_a_protocol_error() {
        let err = CloseFrame::parse(&[0x03]).unwrap_err();
        assert_eq!(err, ProtocolError::InvalidClosePayload);
        assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    }

    #[test]
    fn code_and_reason_parse() {
        let frame = CloseFrame::parse(b"\x03\xe8bye").unwrap();
        assert_eq!(frame.code, Some(CloseCode::NORMAL));
        assert_eq!(frame.reason, "bye");
    }

    #[test]
    fn forbidden_codes_are_protocol_errors() {
        for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let err = CloseFrame::parse(&code.to_be_bytes()).unwrap_err();
            assert_eq!(err, ProtocolError::InvalidCloseCode(code));
            assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
        }
    }

    #[test]
    fn non_utf8_reason_answers_1007() {
        let err = CloseFrame::parse(b"\x03\xe8\xff").unwrap_err();
        assert_eq!(err, ProtocolError::InvalidUtf8);
        assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
    }

    #[test]
    fn encode_round_trips() {
        let frame = CloseFrame {
            code: Some(CloseCode(4000)),
            reason: "app",
        };
        let mut buf = [0u8; 8];
        let n = frame.encode(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"\x0f\xa0app");
        assert_eq!(CloseFrame::parse(&buf[..n]).unwrap(), frame);
        assert_eq!(
            frame.encode(&mut [0u8; 3]),
            Err(InsufficientSize { required: 5 })
        );
    }

    #[test]
    fn sendability() {
        let too_long = CloseFrame {
            code: Some(CloseCode::NORMAL),
            reason: core::str::from_utf8(&[b'x'; 124]).unwrap(),
        };
        assert_eq!(too_long.check_sendable(), Err(CloseError::ReasonTooLong));
        let reserved = CloseFrame {
            code: Some(CloseCode::NO_STATUS_RECEIVED),
            reason: "",
        };
        assert_eq!(
            reserved.check_sendable(),
            Err(CloseError::UnsendableCode(CloseCode(1005)))
        );
        let bare = CloseFrame {
            code: None,
            reason: "why",
        };
        assert_eq!(bare.check_sendable(), Err(CloseError::ReasonWithoutCode));
        let ok = CloseFrame {
            code: Some(CloseCode::GOING_AWAY),
            reason: "",
        };
        assert_eq!(ok.check_sendable(), Ok(()));
    }
}
