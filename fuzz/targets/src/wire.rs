//! Frames by hand, independent of `sansws::frame`: an encoder for what a peer sends (valid or
//! not) and a strict checker for what a sansws endpoint transmitted.

use arbitrary::Arbitrary;

/// The FIN bit.
pub const FIN: u8 = 0x80;
/// Continuation opcode.
pub const CONT: u8 = 0x0;
/// Text opcode.
pub const TEXT: u8 = 0x1;
/// Binary opcode.
pub const BINARY: u8 = 0x2;
/// Close opcode.
pub const CLOSE: u8 = 0x8;
/// Ping opcode.
pub const PING: u8 = 0x9;
/// Pong opcode.
pub const PONG: u8 = 0xA;

/// Encodes a frame with first byte `first` verbatim, the minimal length encoding (or, with
/// `nonminimal`, the 64-bit form), and the payload masked with `mask` when given.
pub fn encode(first: u8, mask: Option<[u8; 4]>, payload: &[u8], nonminimal: bool) -> Vec<u8> {
    let bit = if mask.is_some() { 0x80 } else { 0 };
    let mut out = vec![first];
    let len = payload.len();
    if nonminimal {
        out.push(bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    } else if len <= 125 {
        out.push(bit | len as u8);
    } else if len <= 0xFFFF {
        out.push(bit | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(bit | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let start = out.len() + if mask.is_some() { 4 } else { 0 };
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        for (i, b) in out[start..].iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    out
}

/// A frame a peer sends, mostly well formed so that deep states are reached.
#[derive(Debug, Clone, Arbitrary)]
pub enum FrameSpec {
    /// A text frame (first of a message).
    Text {
        /// FIN.
        fin: bool,
        /// The payload.
        text: String,
    },
    /// A binary frame (first of a message).
    Binary {
        /// FIN.
        fin: bool,
        /// The payload.
        data: Vec<u8>,
    },
    /// A continuation frame carrying text.
    Continuation {
        /// FIN.
        fin: bool,
        /// The payload.
        text: String,
    },
    /// A continuation frame carrying any bytes (possibly splitting a code point).
    RawContinuation {
        /// FIN.
        fin: bool,
        /// The payload.
        data: Vec<u8>,
    },
    /// A ping (payload cut to 125 bytes).
    Ping(Vec<u8>),
    /// A pong (payload cut to 125 bytes).
    Pong(Vec<u8>),
    /// A close frame with an optional code and a reason (cut to 123 bytes).
    Close {
        /// The code; `None` sends an empty payload.
        code: Option<u16>,
        /// The reason.
        reason: String,
    },
    /// Anything: a verbatim first byte, a wrong mask bit, a non-minimal length.
    Raw {
        /// The first header byte.
        first: u8,
        /// The payload.
        payload: Vec<u8>,
        /// Mask as the wrong role would.
        wrong_mask: bool,
        /// Use the 64-bit length form.
        nonminimal: bool,
    },
}

impl FrameSpec {
    /// The frame's bytes as a peer of a `server` (masked, with `key`) or of a client sends them.
    pub fn encode(&self, to_server: bool, key: [u8; 4]) -> Vec<u8> {
        let mask = to_server.then_some(key);
        let fin = |f: bool| if f { FIN } else { 0 };
        match self {
            FrameSpec::Text { fin: f, text } => {
                encode(fin(*f) | TEXT, mask, text.as_bytes(), false)
            }
            FrameSpec::Binary { fin: f, data } => encode(fin(*f) | BINARY, mask, data, false),
            FrameSpec::Continuation { fin: f, text } => {
                encode(fin(*f) | CONT, mask, text.as_bytes(), false)
            }
            FrameSpec::RawContinuation { fin: f, data } => {
                encode(fin(*f) | CONT, mask, data, false)
            }
            FrameSpec::Ping(p) => encode(FIN | PING, mask, &p[..p.len().min(125)], false),
            FrameSpec::Pong(p) => encode(FIN | PONG, mask, &p[..p.len().min(125)], false),
            FrameSpec::Close { code, reason } => {
                let mut payload = Vec::new();
                if let Some(code) = code {
                    payload.extend_from_slice(&code.to_be_bytes());
                    let mut cut = reason.len().min(123);
                    while !reason.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    payload.extend_from_slice(&reason.as_bytes()[..cut]);
                }
                encode(FIN | CLOSE, mask, &payload, false)
            }
            FrameSpec::Raw {
                first,
                payload,
                wrong_mask,
                nonminimal,
            } => {
                let mask = if *wrong_mask {
                    (!to_server).then_some(key)
                } else {
                    mask
                };
                encode(*first, mask, payload, *nonminimal)
            }
        }
    }
}

/// A frame an endpoint transmitted, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// FIN.
    pub fin: bool,
    /// The opcode.
    pub opcode: u8,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

/// A message an endpoint transmitted: `(opcode of the first frame, payload)`.
pub type SentMessage = (u8, Vec<u8>);

/// What an endpoint transmitted, checked frame by frame.
#[derive(Debug, Default, Clone)]
pub struct Transcript {
    /// Every frame.
    pub frames: Vec<Sent>,
    /// Complete data messages in order.
    pub messages: Vec<SentMessage>,
    /// The message being assembled.
    pub partial: Option<SentMessage>,
    /// Whether a close frame was seen.
    pub closed: bool,
}

/// Parses everything `bytes` holds as frames a `client` (masked) or a server (unmasked)
/// transmitted, and checks RFC 6455 for a sender: known opcodes, no RSV bits, the minimal
/// length encoding, unfragmented control frames of at most 125 bytes, a well-formed close
/// payload with a sendable code, fragmentation rules, UTF-8 text messages, and **nothing
/// after the close frame**. Panics at the first violation or on trailing bytes.
pub fn check_sent(bytes: &[u8], client: bool) -> Transcript {
    let mut t = Transcript::default();
    let mut at = 0;
    while at < bytes.len() {
        assert!(
            !t.closed,
            "a frame after the close frame: {:x?}",
            &bytes[at..]
        );
        let rest = &bytes[at..];
        assert!(rest.len() >= 2, "truncated header");
        let (first, second) = (rest[0], rest[1]);
        assert_eq!(first & 0x70, 0, "RSV bits sent");
        let opcode = first & 0x0F;
        let fin = first & FIN != 0;
        assert!(matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10), "opcode {opcode}");
        assert_eq!(second & 0x80 != 0, client, "mask bit");
        let (len, mut pos) = match second & 0x7F {
            126 => {
                let len = u64::from(u16::from_be_bytes([rest[2], rest[3]]));
                assert!(len >= 126, "non-minimal 16-bit length");
                (len, 4)
            }
            127 => {
                let mut b = [0; 8];
                b.copy_from_slice(&rest[2..10]);
                let len = u64::from_be_bytes(b);
                assert!(len > 0xFFFF && len >> 63 == 0, "bad 64-bit length");
                (len, 10)
            }
            n => (u64::from(n), 2),
        };
        let key = client.then(|| {
            let k = [rest[pos], rest[pos + 1], rest[pos + 2], rest[pos + 3]];
            pos += 4;
            k
        });
        let len = usize::try_from(len).unwrap();
        assert!(rest.len() >= pos + len, "truncated payload");
        let mut payload = rest[pos..pos + len].to_vec();
        if let Some(key) = key {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        at += pos + len;
        if opcode >= 8 {
            assert!(fin && len <= 125, "bad control frame");
        }
        match opcode {
            CLOSE => {
                if !payload.is_empty() {
                    assert!(payload.len() >= 2, "1-byte close payload");
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    assert!(
                        matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999),
                        "unsendable close code {code}"
                    );
                    assert!(core::str::from_utf8(&payload[2..]).is_ok(), "close reason");
                }
                t.closed = true;
            }
            PING | PONG => {}
            CONT => {
                let partial = t.partial.as_mut().expect("continuation outside a message");
                partial.1.extend_from_slice(&payload);
            }
            _ => {
                assert!(t.partial.is_none(), "new message inside a fragmented one");
                t.partial = Some((opcode, payload.clone()));
            }
        }
        if opcode < 8 && fin {
            let message = t.partial.take().expect("a message in progress");
            if message.0 == TEXT {
                assert!(core::str::from_utf8(&message.1).is_ok(), "text not UTF-8");
            }
            t.messages.push(message);
        }
        t.frames.push(Sent {
            fin,
            opcode,
            payload,
        });
    }
    t
}
