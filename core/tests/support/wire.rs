//! Frames by hand: a tiny encoder that can break every rule, and a strict parser for what the
//! connection writes. Deliberately independent of `sansws::frame`.

/// Opcodes as raw 4-bit values, reserved ones included.
pub(crate) const CONT: u8 = 0x0;
pub(crate) const TEXT: u8 = 0x1;
pub(crate) const BINARY: u8 = 0x2;
pub(crate) const CLOSE: u8 = 0x8;
pub(crate) const PING: u8 = 0x9;
pub(crate) const PONG: u8 = 0xA;
/// The FIN bit of the first header byte.
pub(crate) const FIN: u8 = 0x80;
/// The masking key of the frames the tests send as a client.
pub(crate) const KEY: [u8; 4] = [0x3A, 0x91, 0x5C, 0xE7];

/// XORs `data` with `key`, the first byte with `key[0]`.
pub(crate) fn xor(data: &mut [u8], key: [u8; 4]) {
    for (i, byte) in data.iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// A frame whose first header byte is `first` verbatim (FIN, RSV and opcode bits), with the
/// minimal length encoding, and the payload masked with `mask` when given.
pub(crate) fn raw_frame(first: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let mut out = vec![first];
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let start = out.len() + if mask.is_some() { 4 } else { 0 };
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        xor(&mut out[start..], key);
    }
    out
}

fn first_byte(opcode: u8, fin: bool) -> u8 {
    opcode | if fin { FIN } else { 0 }
}

/// A frame as a client sends it: masked with [`KEY`].
pub(crate) fn client_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    raw_frame(first_byte(opcode, fin), Some(KEY), payload)
}

/// A frame as a client sends it, masked with `key`.
pub(crate) fn client_frame_with(opcode: u8, fin: bool, key: [u8; 4], payload: &[u8]) -> Vec<u8> {
    raw_frame(first_byte(opcode, fin), Some(key), payload)
}

/// A frame as a server sends it: unmasked.
pub(crate) fn server_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    raw_frame(first_byte(opcode, fin), None, payload)
}

/// A close frame payload: the code big-endian, then the reason.
pub(crate) fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(reason);
    out
}

/// Concatenates frames into one byte stream.
pub(crate) fn concat(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

/// One frame as the connection wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireFrame {
    pub(crate) fin: bool,
    /// RSV1–3 as they sit in the first byte.
    pub(crate) rsv: u8,
    pub(crate) opcode: u8,
    pub(crate) mask: Option<[u8; 4]>,
    /// The payload, unmasked.
    pub(crate) payload: Vec<u8>,
    /// The payload exactly as on the wire (masked, for a client).
    pub(crate) wire_payload: Vec<u8>,
}

impl WireFrame {
    /// The code of a close frame, `None` for an empty one. Panics for other opcodes.
    pub(crate) fn close_code(&self) -> Option<u16> {
        assert_eq!(self.opcode, CLOSE, "not a close frame: {self:?}");
        match self.payload[..] {
            [] => None,
            [hi, lo, ..] => Some(u16::from_be_bytes([hi, lo])),
            [_] => panic!("1-byte close payload written"),
        }
    }
}

/// Parses a whole byte stream of frames; panics on a trailing partial frame or a
/// non-minimal length (the connection must never write either).
pub(crate) fn parse_frames(mut bytes: &[u8]) -> Vec<WireFrame> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 2, "partial header: {bytes:?}");
        let (first, second) = (bytes[0], bytes[1]);
        let mut at = 2;
        let len = match second & 0x7F {
            126 => {
                let len = u64::from(u16::from_be_bytes([bytes[2], bytes[3]]));
                assert!(len >= 126, "non-minimal 16-bit length");
                at = 4;
                len
            }
            127 => {
                let mut be = [0; 8];
                be.copy_from_slice(&bytes[2..10]);
                let len = u64::from_be_bytes(be);
                assert!(len > 0xFFFF, "non-minimal 64-bit length");
                at = 10;
                len
            }
            len => u64::from(len),
        };
        let mask = (second & 0x80 != 0).then(|| {
            let key = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
            at += 4;
            key
        });
        let end = at + usize::try_from(len).expect("length fits");
        assert!(bytes.len() >= end, "partial payload");
        let wire_payload = bytes[at..end].to_vec();
        let mut payload = wire_payload.clone();
        if let Some(key) = mask {
            xor(&mut payload, key);
        }
        frames.push(WireFrame {
            fin: first & FIN != 0,
            rsv: first & 0x70,
            opcode: first & 0x0F,
            mask,
            payload,
            wire_payload,
        });
        bytes = &bytes[end..];
    }
    frames
}

/// The opcodes of the frames in `bytes`, in order.
pub(crate) fn opcodes(bytes: &[u8]) -> Vec<u8> {
    parse_frames(bytes).iter().map(|f| f.opcode).collect()
}

/// Asserts `bytes` is exactly one close frame, and returns its code.
pub(crate) fn only_close(bytes: &[u8]) -> Option<u16> {
    let frames = parse_frames(bytes);
    assert_eq!(frames.len(), 1, "expected one close frame, got {frames:?}");
    frames[0].close_code()
}
