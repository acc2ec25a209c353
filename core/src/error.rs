//! Errors: the peer's faults ([`ProtocolError`]) kept apart from the caller's.

use core::fmt;

use crate::close::CloseCode;

/// A violation of RFC 6455 committed by the peer.
///
/// Every variant names the close code the connection must be failed with
/// ([`ProtocolError::close_code`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolError {
    /// A frame used one of the reserved opcodes 0x3–0x7 or 0xB–0xF (RFC 6455 §5.2).
    ReservedOpcode(u8),
    /// RSV1, RSV2 or RSV3 was set without an extension that defines it (§5.2). Holds the
    /// offending bits as they sit in the first header byte (0x40, 0x20, 0x10).
    ReservedBits(u8),
    /// A control frame had FIN clear (§5.5).
    FragmentedControlFrame,
    /// A control frame carried more than 125 payload bytes (§5.5).
    ControlFrameTooLarge,
    /// A server received an unmasked frame (§5.1).
    UnmaskedFrame,
    /// A client received a masked frame (§5.1).
    MaskedFrame,
    /// A 64-bit payload length had its most significant bit set (§5.2).
    LengthOverflow,
    /// A payload length was not encoded in the minimal number of bytes (§5.2: "the minimal
    /// number of bytes MUST be used").
    NonMinimalLength,
    /// A frame's payload exceeded the configured frame size limit.
    FrameTooLarge,
    /// A message's payload exceeded the configured message size limit.
    MessageTooLarge,
    /// A continuation frame arrived with no fragmented message in progress (§5.4).
    UnexpectedContinuation,
    /// A new text or binary frame arrived while a fragmented message was still open (§5.4).
    ExpectedContinuation,
    /// A text message (or a close reason) was not valid UTF-8 (§8.1).
    InvalidUtf8,
    /// A close frame carried a 1-byte payload (§5.5.1).
    InvalidClosePayload,
    /// A close frame carried a code that may not appear on the wire (§7.4).
    InvalidCloseCode(u16),
    /// A compressed message was not a valid DEFLATE stream (RFC 7692 §7.2.2): its data is
    /// not what its frames claim, as with invalid UTF-8.
    InvalidCompressedData,
}

impl ProtocolError {
    /// The close code RFC 6455 names for failing the connection with this error.
    pub const fn close_code(&self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::InvalidCompressedData => {
                CloseCode::INVALID_PAYLOAD
            }
            ProtocolError::FrameTooLarge | ProtocolError::MessageTooLarge => {
                CloseCode::MESSAGE_TOO_BIG
            }
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            ProtocolError::ReservedBits(bits) => write!(f, "reserved bits {bits:#04x} set"),
            ProtocolError::FragmentedControlFrame => f.write_str("fragmented control frame"),
            ProtocolError::ControlFrameTooLarge => {
                f.write_str("control frame payload over 125 bytes")
            }
            ProtocolError::UnmaskedFrame => f.write_str("unmasked frame from a client"),
            ProtocolError::MaskedFrame => f.write_str("masked frame from a server"),
            ProtocolError::LengthOverflow => {
                f.write_str("64-bit payload length has its top bit set")
            }
            ProtocolError::NonMinimalLength => f.write_str("payload length not minimally encoded"),
            ProtocolError::FrameTooLarge => f.write_str("frame exceeds the size limit"),
            ProtocolError::MessageTooLarge => f.write_str("message exceeds the size limit"),
            ProtocolError::UnexpectedContinuation => {
                f.write_str("continuation frame without a fragmented message")
            }
            ProtocolError::ExpectedContinuation => {
                f.write_str("new data frame inside a fragmented message")
            }
            ProtocolError::InvalidUtf8 => f.write_str("invalid UTF-8 in text"),
            ProtocolError::InvalidClosePayload => f.write_str("close frame with a 1-byte payload"),
            ProtocolError::InvalidCloseCode(code) => write!(f, "invalid close code {code}"),
            ProtocolError::InvalidCompressedData => f.write_str("invalid compressed data"),
        }
    }
}

impl core::error::Error for ProtocolError {}

/// The caller's buffer was too small for what had to be written into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InsufficientSize {
    /// The number of bytes the write needs in all.
    pub required: usize,
}

impl fmt::Display for InsufficientSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "buffer too small: need {} bytes", self.required)
    }
}

impl core::error::Error for InsufficientSize {}
