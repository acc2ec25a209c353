//! Frame header decode and encode (RFC 6455 §5.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! Decoding checks the rules in wire order — first byte (opcode, RSV, FIN of control
//! frames), second byte (control length, mask bit), then the extended length — so the same
//! bytes give the same result however they are split.
//!
//! Non-minimal length encodings (a 16-bit length under 126, a 64-bit length under 65536) are
//! rejected with [`ProtocolError::NonMinimalLength`]: §5.2 says the minimal number of bytes
//! MUST be used, and accepting them only widens what a peer can smuggle past a middlebox.

use crate::error::{InsufficientSize, ProtocolError};
use crate::frame::OpCode;
use crate::role::Role;
use crate::status::Status;

/// The RSV1 bit as it sits in the first header byte (permessage-deflate's "compressed" bit).
pub const RSV1: u8 = 0x40;
/// The RSV2 bit as it sits in the first header byte.
pub const RSV2: u8 = 0x20;
/// The RSV3 bit as it sits in the first header byte.
pub const RSV3: u8 = 0x10;

/// The longest frame header: 2 bytes, a 64-bit length and a masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// A decoded or to-be-encoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this is the last frame of its message.
    pub fin: bool,
    /// The RSV bits, in place in the first byte (any of [`RSV1`], [`RSV2`], [`RSV3`]).
    pub rsv: u8,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present exactly when the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

/// What a receiver accepts when decoding headers: the rules that depend on negotiation and
/// configuration rather than on RFC 6455 alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRules {
    /// The receiving endpoint's role: a server requires masked frames, a client rejects them.
    pub role: Role,
    /// The RSV bits a negotiated extension defines (e.g. [`RSV1`] with permessage-deflate).
    /// Control frames may never carry RSV bits.
    pub allowed_rsv: u8,
    /// The largest payload a single frame may carry; above it is
    /// [`ProtocolError::FrameTooLarge`] (close code 1009).
    pub max_payload_len: u64,
}

impl FrameRules {
    /// Rules for `role` with no extension and no size limit beyond the protocol's.
    pub const fn new(role: Role) -> Self {
        FrameRules {
            role,
            allowed_rsv: 0,
            max_payload_len: i64::MAX as u64,
        }
    }
}

impl FrameHeader {
    /// Decodes a header from the start of `buf`.
    ///
    /// Returns the header and its length in bytes, [`Status::Incomplete`] with the number of
    /// further bytes needed, or the rule the header breaks. Never reads the payload.
    pub fn decode(
        buf: &[u8],
        rules: &FrameRules,
    ) -> Result<Status<(FrameHeader, usize)>, ProtocolError> {
        let Some(&first) = buf.first() else {
            return Ok(Status::Incomplete { needed: 2 });
        };
        let fin = first & 0x80 != 0;
        let rsv = first & (RSV1 | RSV2 | RSV3);
        let opcode =
            OpCode::from_u8(first & 0x0F).ok_or(ProtocolError::ReservedOpcode(first & 0x0F))?;
        let allowed_rsv = if opcode.is_control() {
            0
        } else {
            rules.allowed_rsv
        };
        if rsv & !allowed_rsv != 0 {
            return Err(ProtocolError::ReservedBits(rsv & !allowed_rsv));
        }
        if opcode.is_control() && !fin {
            return Err(ProtocolError::FragmentedControlFrame);
        }

        let Some(&second) = buf.get(1) else {
            return Ok(Status::Incomplete { needed: 1 });
        };
        let masked = second & 0x80 != 0;
        let len7 = second & 0x7F;
        if opcode.is_control() && len7 > 125 {
            return Err(ProtocolError::ControlFrameTooLarge);
        }
        match (rules.role.expects_masked(), masked) {
            (true, false) => return Err(ProtocolError::UnmaskedFrame),
            (false, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }

        let length_len = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let header_len = 2 + length_len + if masked { 4 } else { 0 };
        let Some(length_bytes) = buf.get(2..2 + length_len) else {
            return Ok(Status::Incomplete {
                needed: header_len - buf.len(),
            });
        };
        let payload_len = match *length_bytes {
            [] => u64::from(len7),
            [hi, lo] => {
                let len = u64::from(u16::from_be_bytes([hi, lo]));
                if len < 126 {
                    return Err(ProtocolError::NonMinimalLength);
                }
                len
            }
            _ => {
                let mut bytes = [0; 8];
                bytes.copy_from_slice(length_bytes);
                let len = u64::from_be_bytes(bytes);
                if len >> 63 != 0 {
                    return Err(ProtocolError::LengthOverflow);
                }
                if len <= 0xFFFF {
                    return Err(ProtocolError::NonMinimalLength);
                }
                len
            }
        };
        if payload_len > rules.max_payload_len {
            return Err(ProtocolError::FrameTooLarge);
        }

        let mask = if masked {
            let Some(key) = buf.get(header_len - 4..header_len) else {
                return Ok(Status::Incomplete {
                    needed: header_len - buf.len(),
                });
            };
            Some([key[0], key[1], key[2], key[3]])
        } else {
            None
        };
        Ok(Status::Complete((
            FrameHeader {
                fin,
                rsv,
                opcode,
                mask,
                payload_len,
            },
            header_len,
        )))
    }

    /// The number of bytes [`FrameHeader::encode`] writes.
    pub const fn encoded_len(&self) -> usize {
        let length_len = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + length_len + if self.mask.is_some() { 4 } else { 0 }
    }

    /// The bytes [`FrameHeader::encode`] writes, as the low [`FrameHeader::encoded_len`]
    /// bytes of a little-endian word (the rest are zero), for a buffered sender that appends
    /// a header with one fixed-size copy. Encoded into an array, the header would be stored
    /// a byte at a time and loaded back a word at a time: a stalled store forward per frame.
    #[cfg(feature = "alloc")]
    #[inline]
    pub(crate) fn encode_word(&self) -> u128 {
        if self.payload_len > 125 {
            return self.encode_word_extended();
        }
        // Most frames: no extended length, so the key (if any) sits at a fixed place.
        let (mask_bit, key) = match self.mask {
            Some(key) => (0x80, u128::from(u32::from_le_bytes(key))),
            None => (0, 0),
        };
        let second = mask_bit | self.payload_len as u8;
        u128::from(self.first_byte()) | u128::from(second) << 8 | key << 16
    }

    /// [`FrameHeader::encode_word`] for a payload of more than 125 bytes, kept apart so the
    /// short case stays a few instructions.
    #[cfg(feature = "alloc")]
    #[inline(never)]
    fn encode_word_extended(&self) -> u128 {
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        // The length field, then the extended length in network byte order and its size.
        let (len7, extended, extended_len) = match self.payload_len {
            len @ 0..=125 => (len as u8, 0, 0),
            len @ 126..=0xFFFF => (126, u128::from((len as u16).swap_bytes()), 2),
            len => (127, u128::from(len.swap_bytes()), 8),
        };
        let mut word =
            u128::from(self.first_byte()) | u128::from(mask_bit | len7) << 8 | extended << 16;
        if let Some(key) = self.mask {
            word |= u128::from(u32::from_le_bytes(key)) << (8 * (2 + extended_len));
        }
        word
    }

    /// FIN, the RSV bits and the opcode.
    fn first_byte(&self) -> u8 {
        (u8::from(self.fin) << 7) | (self.rsv & (RSV1 | RSV2 | RSV3)) | self.opcode.as_u8()
    }

    /// Writes the header into the start of `out` with the minimal length encoding, returning
    /// the number of bytes written.
    ///
    /// Encoding does not judge the header (a sender checks its own frames before); the length
    /// is written as given, so callers keep it below 2^63.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, InsufficientSize> {
        let len = self.encoded_len();
        let out = out
            .get_mut(..len)
            .ok_or(InsufficientSize { required: len })?;
        out[0] = self.first_byte();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut at = 2;
        match self.payload_len {
            len @ 0..=125 => out[1] = mask_bit | len as u8,
            len @ 126..=0xFFFF => {
                out[1] = mask_bit | 126;
                out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
                at = 4;
            }
            len => {
                out[1] = mask_bit | 127;
                out[2..10].copy_from_slice(&len.to_be_bytes());
                at = 10;
            }
        }
        if let Some(key) = self.mask {
            out[at..at + 4].copy_from_slice(&key);
        }
        Ok(len)
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;

    #[test]
    fn word_holds_the_encoded_bytes() {
        let lens = [
            0,
            1,
            125,
            126,
            127,
            0xFFFF,
            0x1_0000,
            0x0123_4567_89AB,
            i64::MAX as u64,
        ];
        for payload_len in lens {
            for mask in [None, Some([0xA1, 0xB2, 0xC3, 0xD4])] {
                for (fin, rsv, opcode) in [
                    (true, 0, OpCode::Text),
                    (false, RSV1, OpCode::Binary),
                    (true, RSV2 | RSV3, OpCode::Ping),
                ] {
                    let header = FrameHeader {
                        fin,
                        rsv,
                        opcode,
                        mask,
                        payload_len,
                    };
                    let mut encoded = [0; 16];
                    let len = header.encode(&mut encoded).unwrap();
                    assert_eq!(
                        header.encode_word().to_le_bytes(),
                        encoded,
                        "{header:?} ({len})"
                    );
                }
            }
        }
    }
}
