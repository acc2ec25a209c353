//! Fixed slots for the control frames the connection sends on its own (pong replies,
//! keepalive pings, close frames) until the caller drains them with `poll_transmit`.

use crate::close::{CloseCode, MAX_REASON_LEN};
use crate::frame::OpCode;

/// A control frame payload of at most 125 bytes, held inline.
#[derive(Clone, Copy)]
pub(crate) struct Payload {
    bytes: [u8; 125],
    len: u8,
}

impl Payload {
    /// `bytes` must be at most 125 long (checked by the caller: frame rules or `SendError`).
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let len = bytes.len().min(125);
        let mut payload = Payload {
            bytes: [0; 125],
            len: len as u8,
        };
        payload.bytes[..len].copy_from_slice(&bytes[..len]);
        payload
    }

    /// A close payload: the code, then the reason. The caller has checked that the code is
    /// sendable and the reason at most [`MAX_REASON_LEN`] bytes; a longer one is cut there,
    /// or dropped if the cut would split a character.
    pub(crate) fn close(code: CloseCode, reason: &str) -> Self {
        let reason_len = if reason.len() <= MAX_REASON_LEN {
            reason.len()
        } else if reason.is_char_boundary(MAX_REASON_LEN) {
            MAX_REASON_LEN
        } else {
            0
        };
        let mut payload = Payload {
            bytes: [0; 125],
            len: 2 + reason_len as u8,
        };
        payload.bytes[..2].copy_from_slice(&code.0.to_be_bytes());
        payload.bytes[2..2 + reason_len].copy_from_slice(&reason.as_bytes()[..reason_len]);
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
///
/// Which slots are full is one byte (`queued`), laid out first (`repr(C)`) with the ping
/// counter: whether anything waits is asked after every read, and the 250 bytes of payload
/// behind it stay out of cache until a control frame comes.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub(crate) struct ControlSlots {
    /// The full slots: [`PONG`], [`PING`], [`CLOSE`].
    queued: u8,
    /// A keepalive ping's payload: this counter, 4 bytes big-endian.
    ping: u32,
    /// The pong answering the most recent ping (RFC 6455 §5.5.3 allows answering only it).
    pong: Payload,
    /// Our close frame; always written last, and nothing is written after it.
    close: Payload,
}

const PONG: u8 = 1;
const PING: u8 = 2;
const CLOSE: u8 = 4;

impl Default for ControlSlots {
    fn default() -> Self {
        ControlSlots {
            queued: 0,
            ping: 0,
            pong: Payload::new(&[]),
            close: Payload::new(&[]),
        }
    }
}

impl ControlSlots {
    /// The bytes before the payloads: all that `is_empty` reads.
    #[cfg(test)]
    pub(crate) const HEAD_LEN: usize = core::mem::offset_of!(ControlSlots, pong);

    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Queues a pong with `payload`, replacing one not written yet.
    pub(crate) fn set_pong(&mut self, payload: &[u8]) {
        self.pong = Payload::new(payload);
        self.queued |= PONG;
    }

    /// Queues a keepalive ping carrying `count`.
    pub(crate) fn set_ping(&mut self, count: u32) {
        self.ping = count;
        self.queued |= PING;
    }

    /// Queues our close frame.
    pub(crate) fn set_close(&mut self, payload: Payload) {
        self.close = payload;
        self.queued |= CLOSE;
    }

    /// Drops a pong or ping not written yet (a close frame stays).
    pub(crate) fn drop_pings_and_pongs(&mut self) {
        self.queued &= CLOSE;
    }

    /// The payload queued for the control frame `opcode` (`Pong`, `Ping` or `Close`), if
    /// one is; a ping's is written out into `ping`.
    pub(crate) fn queued<'a>(&'a self, opcode: OpCode, ping: &'a mut [u8; 4]) -> Option<&'a [u8]> {
        if self.queued & bit(opcode) == 0 {
            return None;
        }
        Some(match opcode {
            OpCode::Pong => self.pong.as_slice(),
            OpCode::Ping => {
                *ping = self.ping.to_be_bytes();
                &ping[..]
            }
            _ => self.close.as_slice(),
        })
    }

    /// Empties the slot of the control frame `opcode` once it has been written.
    pub(crate) fn clear(&mut self, opcode: OpCode) {
        self.queued &= !bit(opcode);
    }
}

/// The slot of the control frame `opcode` (`Pong`, `Ping`, or else `Close`).
fn bit(opcode: OpCode) -> u8 {
    match opcode {
        OpCode::Pong => PONG,
        OpCode::Ping => PING,
        _ => CLOSE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_payloads() {
        let p = Payload::close(CloseCode::NORMAL, "bye");
        assert_eq!(p.as_slice(), b"\x03\xe8bye");
        assert_eq!(Payload::close(CloseCode(4000), "").as_slice(), b"\x0f\xa0");
        let max = core::str::from_utf8(&[b'x'; MAX_REASON_LEN]).unwrap();
        assert_eq!(
            &Payload::close(CloseCode::NORMAL, max).as_slice()[2..],
            max.as_bytes()
        );
        // Longer reasons are refused before this; were one to come, it is cut at 123 bytes
        // on a character boundary, or dropped.
        let long = core::str::from_utf8(&[b'y'; 200]).unwrap();
        assert_eq!(
            Payload::close(CloseCode::NORMAL, long).as_slice().len(),
            125
        );
        let mut split = [b'z'; MAX_REASON_LEN + 1];
        split[MAX_REASON_LEN - 1..].copy_from_slice("é".as_bytes());
        let split = core::str::from_utf8(&split).unwrap();
        assert_eq!(
            Payload::close(CloseCode::NORMAL, split).as_slice(),
            b"\x03\xe8"
        );
    }

    #[test]
    fn slots_in_order() {
        let mut slots = ControlSlots::default();
        assert!(slots.is_empty());
        slots.set_close(Payload::close(CloseCode::GOING_AWAY, ""));
        slots.set_ping(0x0102_0304);
        slots.set_pong(b"p");
        let mut buf = [0; 4];
        assert_eq!(slots.queued(OpCode::Pong, &mut buf), Some(&b"p"[..]));
        assert_eq!(
            slots.queued(OpCode::Ping, &mut buf),
            Some(&[1, 2, 3, 4][..])
        );
        assert_eq!(
            slots.queued(OpCode::Close, &mut buf),
            Some(&b"\x03\xe9"[..])
        );
        for opcode in [OpCode::Pong, OpCode::Ping, OpCode::Close] {
            assert!(!slots.is_empty());
            slots.clear(opcode);
            assert_eq!(slots.queued(opcode, &mut buf), None);
        }
        assert!(slots.is_empty());
    }

    /// Keepalive pings carry the count of pings sent, 4 bytes big-endian.
    #[test]
    fn keepalive_pings_carry_the_counter() {
        use crate::conn::{Config, Connection};
        use crate::time::Instant;
        use core::time::Duration;

        let mut config = Config::DEFAULT;
        config.ping_interval = Some(Duration::from_secs(1));
        config.pong_timeout = Duration::from_secs(100);
        let mut conn = Connection::server(config, Instant::ZERO);
        conn.upgraded(Instant::ZERO);
        for n in 1..=3u8 {
            conn.handle_timeout(Instant::from_millis(1000 * u64::from(n)));
            let mut out = [0u8; 16];
            // An unmasked server frame: FIN + ping, length 4, then the payload.
            assert_eq!(conn.poll_transmit(&mut out), Ok(6));
            assert_eq!(out[..6], [0x89, 4, 0, 0, 0, n]);
            assert_eq!(conn.poll_transmit(&mut out), Ok(0));
            // The peer's (masked, empty) pong is activity: the next ping is an interval away.
            let mut pong = [0x8A, 0x80, 0, 0, 0, 0];
            let now = Instant::from_millis(1000 * u64::from(n));
            assert_eq!(conn.handle_read(now, &mut pong).map(|s| s.consumed), Ok(6));
        }
    }
}
