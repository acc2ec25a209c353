//! The receive engine's fast path: a whole message in one frame of up to 64 KiB, all in the
//! buffer.
//!
//! Most messages on a busy connection are one frame that arrives whole. This path takes that
//! case only — FIN set, no RSV bit, text or binary, a 7- or 16-bit length (minimal) within
//! the limits, masked as the role requires, no message in progress, header and payload all
//! present — and gives exactly the step the general path would. Anything else, including
//! every header a rule rejects and invalid UTF-8, returns `None` with the buffer as it was,
//! and the general path decides.

use crate::conn::connection::{Connection, State};
use crate::frame::{apply_mask, apply_mask_short};
use crate::utf8::Utf8Validator;

/// The first header byte of a final, unextended text frame; binary is one more.
const FIN_TEXT: u8 = 0x81;
const FIN_BINARY: u8 = 0x82;

/// Where a whole single-frame message sits in the buffer: its frame is `..end`, its payload
/// `header_len..end`.
#[derive(Debug, Clone, Copy)]
pub(super) struct SmallMessage {
    pub(super) header_len: usize,
    pub(super) end: usize,
    pub(super) text: bool,
}

/// Whether a whole text payload is valid UTF-8.
fn is_utf8(payload: &[u8]) -> bool {
    let mut utf8 = Utf8Validator::new();
    utf8.feed(payload).and_then(|()| utf8.finish()).is_ok()
}

/// (Un)masks a whole payload in place: short ones with the inline word loop, longer ones
/// with the vectorised code.
#[inline(always)]
fn mask_payload(payload: &mut [u8], key: [u8; 4]) {
    if payload.len() <= 125 {
        apply_mask_short(payload, key);
    } else {
        mask_long(payload, key);
    }
}

/// The vectorised unmasking of a longer payload, out of line: a short message's code then
/// lies together (and a long one's unmasking dwarfs a call).
#[inline(never)]
fn mask_long(payload: &mut [u8], key: [u8; 4]) {
    apply_mask(payload, key, 0);
}

impl Connection {
    /// A single-frame message of at most 65535 bytes wholly at the start of `buf`, unmasked
    /// and validated in place, or `None` (with `buf` as it was) when the general path must
    /// decide, errors included.
    #[inline(always)]
    pub(super) fn read_small_message(&mut self, buf: &mut [u8]) -> Option<SmallMessage> {
        // Messages under way take the general path (a frame under way implies one): first,
        // as the rest of a large frame comes through here in many reads.
        if self.rx.message.is_some() {
            return None;
        }
        let [first, second, ..] = *buf else {
            return None;
        };
        if first != FIN_TEXT && first != FIN_BINARY {
            return None;
        }
        let masked = second & 0x80 != 0;
        // So do closed and upgrading connections.
        if masked != self.role.expects_masked()
            || !matches!(self.state, State::Open | State::CloseSent)
        {
            return None;
        }
        let (len, length_len) = match second & 0x7F {
            len7 @ 0..=125 => (usize::from(len7), 0),
            126 => {
                let [_, _, high, low, ..] = *buf else {
                    return None;
                };
                let len = u16::from_be_bytes([high, low]);
                // Under 126 the encoding is not minimal: an error, for the general path.
                if len < 126 {
                    return None;
                }
                (usize::from(len), 2)
            }
            _ => return None,
        };
        if len as u64 > self.config.max_frame_len || len as u64 > self.config.max_message_len {
            return None;
        }
        let header_len = 2 + length_len + if masked { 4 } else { 0 };
        let end = header_len + len;
        let frame = buf.get_mut(..end)?;
        let (header, payload) = frame.split_at_mut(header_len);
        let key = match *header {
            [.., a, b, c, d] if masked => Some([a, b, c, d]),
            _ => None,
        };
        if let Some(key) = key {
            mask_payload(payload, key);
        }
        let text = first == FIN_TEXT;
        if text && !is_utf8(payload) {
            // Masked back as it came, for the general path to fail the connection exactly
            // as it always does.
            if let Some(key) = key {
                mask_payload(payload, key);
            }
            return None;
        }
        Some(SmallMessage {
            header_len,
            end,
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::format;
    use std::string::String;
    use std::vec::Vec;

    use super::*;
    use crate::close::CloseCode;
    use crate::conn::config::Config;
    use crate::conn::recv::{RawEvent, Step};
    use crate::role::Role;
    use crate::time::Instant;

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// A frame with `first` as its first byte, masked or not, with the minimal length field.
    fn frame(first: u8, masked: bool, payload: &[u8]) -> Vec<u8> {
        let length_len = match payload.len() {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        frame_with_length(first, masked, payload, length_len)
    }

    /// A frame whose length takes `length_len` extra bytes (0, 2 or 8), minimal or not.
    fn frame_with_length(first: u8, masked: bool, payload: &[u8], length_len: usize) -> Vec<u8> {
        let mut out = Vec::from([first]);
        let mask_bit = if masked { 0x80 } else { 0 };
        let len = payload.len();
        match length_len {
            0 => out.push(mask_bit | len as u8),
            2 => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        if masked {
            out.extend_from_slice(&KEY);
        }
        let body = out.len();
        out.extend_from_slice(payload);
        if masked {
            crate::frame::apply_mask(&mut out[body..], KEY, 0);
        }
        out
    }

    /// Where a connection is before the frame under test arrives.
    #[derive(Debug, Clone, Copy)]
    enum Before {
        Open,
        /// A fragmented text message is under way.
        MidMessage,
        /// We sent a close frame.
        CloseSent,
        /// A protocol error closed the connection.
        Closed,
    }

    fn connection(role: Role, config: Config, before: Before) -> Connection {
        let now = Instant::ZERO;
        let mut conn = match role {
            Role::Server => Connection::server(config, now),
            Role::Client => Connection::client(config, |dest| dest.fill(7), now),
        };
        conn.upgraded(now);
        let masked = role.expects_masked();
        match before {
            Before::Open => {}
            Before::MidMessage => {
                let mut start = frame(0x01, masked, b"ab");
                let step = conn.read_step_general(&mut start, false);
                assert!(matches!(step, Ok(Step::Event { .. })), "{step:?}");
            }
            Before::CloseSent => conn.close(now, CloseCode::NORMAL, "bye").unwrap(),
            Before::Closed => {
                let step = conn.read_step_general(&mut [0x83, 0x80], false);
                assert!(step.is_err(), "{step:?}");
            }
        }
        conn
    }

    /// Feeds `input` in two reads split at `split`, as a caller would (keeping what was not
    /// consumed), and records every step with the bytes of its event, then the connection.
    fn run(conn: &mut Connection, input: &[u8], split: usize, whole: bool, fast: bool) -> String {
        let mut log = String::new();
        let mut buf = Vec::new();
        for part in [&input[..split], &input[split..]] {
            buf.extend_from_slice(part);
            for _ in 0..8 {
                let step = if fast {
                    conn.read_step(&mut buf, whole)
                } else {
                    conn.read_step_general(&mut buf, whole)
                };
                log += &format!("{step:?}");
                let consumed = match step {
                    Ok(Step::Event { consumed, event }) => {
                        log += &format!(" {:?}", &buf[event_start(&event)..consumed]);
                        consumed
                    }
                    Ok(Step::Need { consumed, .. }) => {
                        buf.drain(..consumed);
                        break;
                    }
                    Err(_) => 0,
                };
                buf.drain(..consumed);
                log += "\n";
            }
        }
        log + &format!("{conn:?}")
    }

    fn event_start(event: &RawEvent) -> usize {
        match event {
            RawEvent::Message { payload, .. } => payload.start,
            RawEvent::Ping(range) | RawEvent::Pong(range) => range.start,
            RawEvent::Close { reason, .. } => reason.start,
        }
    }

    /// Payloads that try every branch: empty, ASCII, multi-byte UTF-8, invalid UTF-8 early and
    /// late, a code point cut short at the end, a close payload, and lengths around 125 and
    /// past the vectorised masking threshold.
    fn payloads() -> Vec<Vec<u8>> {
        let mut payloads = Vec::from([
            Vec::new(),
            b"Hello, World!!".to_vec(),
            "añ€😀 text".as_bytes().to_vec(),
            b"\xffbad".to_vec(),
            b"bad at the end\xc0".to_vec(),
            "cut €".as_bytes()[..6].to_vec(),
            b"\x03\xe8bye".to_vec(),
        ]);
        for len in [20, 124, 125, 126, 200, 300] {
            payloads.push((0..len).map(|i| b'a' + (i % 26) as u8).collect());
        }
        let mut late_error = payloads[payloads.len() - 1].clone();
        late_error[250] = 0xff;
        payloads.push(late_error);
        payloads
    }

    /// Every test frame with first byte `first`: each payload with the minimal length, and
    /// some with a longer length field than needed (an error).
    fn frames(first: u8, masked: bool) -> Vec<Vec<u8>> {
        let mut frames: Vec<_> = payloads()
            .iter()
            .map(|payload| frame(first, masked, payload))
            .collect();
        for (len, length_len) in [(5, 2), (125, 2), (126, 8), (200, 8)] {
            frames.push(frame_with_length(
                first,
                masked,
                &[b'x'; 300][..len],
                length_len,
            ));
        }
        frames
    }

    /// Every split of a short input; the ends and every 7th byte of a long one.
    fn splits(len: usize) -> Vec<usize> {
        (0..=len)
            .filter(|&at| len <= 40 || at < 16 || at + 16 > len || at % 7 == 0)
            .collect()
    }

    /// The fast path gives the same steps, errors, unmasked bytes and connection state as
    /// the general path, for every first byte class, role, mask bit, limit and prior state,
    /// with the input split at every byte and another frame behind it.
    #[test]
    fn fast_path_matches_general_path() {
        let firsts = [
            0x81, 0x82, 0x01, 0x02, 0x80, 0x00, 0x83, 0x8B, 0x88, 0x89, 0x8A, 0x09, 0xC1, 0xC2,
            0xA2, 0x92,
        ];
        let configs = [
            Config::default(),
            Config {
                max_frame_len: 19,
                ..Config::default()
            },
            Config {
                max_message_len: 200,
                ..Config::default()
            },
        ];
        let befores = [
            Before::Open,
            Before::MidMessage,
            Before::CloseSent,
            Before::Closed,
        ];
        let mut fast_taken = 0;
        for role in [Role::Server, Role::Client] {
            for config in configs {
                for before in befores {
                    for first in firsts {
                        for masked in [true, false] {
                            for mut input in frames(first, masked) {
                                let trailer = frame(0x89, role.expects_masked(), b"next");
                                input.extend_from_slice(&trailer);
                                let probe = connection(role, config, before)
                                    .read_small_message(&mut input.clone());
                                fast_taken += usize::from(probe.is_some());
                                for whole in [false, true] {
                                    for split in splits(input.len()) {
                                        let mut fast = connection(role, config, before);
                                        let mut general = connection(role, config, before);
                                        assert_eq!(
                                            run(&mut fast, &input, split, whole, true),
                                            run(&mut general, &input, split, whole, false),
                                            "{role:?} {before:?} {config:?} {input:?} split {split}"
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(
            fast_taken > 100,
            "the fast path was taken {fast_taken} times"
        );
    }

    /// The fast path takes exactly the common case and leaves the rest alone, untouched.
    #[test]
    fn fast_path_takes_only_whole_final_data_frames_up_to_64_kib() {
        let mut conn = connection(Role::Server, Config::default(), Before::Open);
        for (len, header_len) in [(20, 6), (126, 8), (0xFFFF, 8)] {
            let mut whole = frame(0x82, true, &std::vec![1; len]);
            let small = conn.read_small_message(&mut whole).unwrap();
            let end = header_len + len;
            assert_eq!(
                (small.header_len, small.end, small.text),
                (header_len, end, false)
            );
            assert!(whole[header_len..].iter().all(|&byte| byte == 1));
        }

        for mut declined in [
            frame(0x82, true, &[1; 20])[..25].to_vec(),
            frame(0x02, true, &[1; 20]),
            frame(0xC2, true, &[1; 20]),
            frame(0x89, true, &[1; 20]),
            frame(0x82, false, &[1; 20]),
            frame(0x82, true, &[1; 0x1_0000]),
            frame_with_length(0x82, true, &[1; 20], 2),
            frame(0x82, true, &[1; 200])[..207].to_vec(),
            frame(0x81, true, b"bad\xff"),
            frame(0x81, true, &[[b'a'; 199].as_slice(), &[0xff]].concat()),
        ] {
            let before = declined.clone();
            assert!(
                conn.read_small_message(&mut declined).is_none(),
                "{before:?}"
            );
            assert_eq!(declined, before, "declined input is left as it was");
        }
    }
}
