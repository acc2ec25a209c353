//! Fixed slots for the control frames the connection sends on its own (pong replies,
//! keepalive pings, close frames) until the caller drains them with `poll_transmit`.

use crate::close::{CloseCode, CloseFrame, MAX_REASON_LEN};

/// A control frame payload of at most 125 bytes, held inline.
#[derive(Clone, Copy)]
pub(crate) struct Payload {
    len: u8,
    bytes: [u8; 125],
}

impl Payload {
    /// `bytes` must be at most 125 long (checked by the caller: frame rules or `SendError`).
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let len = bytes.len().min(125);
        let mut payload = Payload {
            len: len as u8,
            bytes: [0; 125],
        };
        payload.bytes[..len].copy_from_slice(&bytes[..len]);
        payload
    }

    /// A close payload; the caller has checked the code and reason are sendable.
    pub(crate) fn close(code: CloseCode, reason: &str) -> Self {
        let mut payload = Payload {
            len: 0,
            bytes: [0; 125],
        };
        let reason = &reason.as_bytes()[..reason.len().min(MAX_REASON_LEN)];
        let frame = CloseFrame {
            code: Some(code),
            reason: core::str::from_utf8(reason).unwrap_or(""),
        };
        payload.len = frame.encode(&mut payload.bytes).unwrap_or(0) as u8;
        payload
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl core::fmt::Debug for Payload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Payload").field(&self.as_slice()).finish()
    }
}

/// The control frames waiting to be written, in the order they will be written.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ControlSlots {
    /// The pong answering the most recent ping (RFC 6455 §5.5.3 allows answering only it).
    pub(crate) pong: Option<Payload>,
    /// A keepalive ping.
    pub(crate) ping: Option<Payload>,
    /// Our close frame; always written last, and nothing is written after it.
    pub(crate) close: Option<Payload>,
}

impl ControlSlots {
    pub(crate) fn is_empty(&self) -> bool {
        self.pong.is_none() && self.ping.is_none() && self.close.is_none()
    }
}
