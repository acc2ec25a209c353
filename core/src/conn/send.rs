//! Sending: messages → frames, written into the caller's buffer (no-alloc API).
//!
//! Client frames are masked with keys drawn from the caller's entropy source (RFC 6455 §5.3);
//! messages longer than `Config::max_send_frame_len` are split into fragments; nothing but
//! the queued close frame is written once a close is under way.

use crate::close::{CloseCode, CloseFrame};
use crate::conn::connection::{Connection, State};
use crate::conn::control::Payload;
use crate::conn::error::SendError;
use crate::conn::event::MessageKind;
use crate::entropy::Entropy;
use crate::error::InsufficientSize;
use crate::frame::{apply_mask, FrameHeader, OpCode, MAX_HEADER_LEN, RSV1};
use crate::time::Instant;

/// Send state between calls.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    entropy: Option<Entropy>,
    /// Entropy fetched ahead, four masking keys at a time.
    keys: [u8; 16],
    keys_used: usize,
    /// The kind of the streamed message in progress, if any.
    streaming: Option<MessageKind>,
    /// Whether that message is being compressed.
    #[cfg(feature = "deflate")]
    pub(crate) streaming_compressed: bool,
}

impl Sender {
    pub(crate) fn new(entropy: Option<Entropy>) -> Self {
        Sender {
            entropy,
            keys: [0; 16],
            keys_used: 16,
            streaming: None,
            #[cfg(feature = "deflate")]
            streaming_compressed: false,
        }
    }

    /// Whether the streamed message in progress is compressed; `None` when none is open.
    #[cfg(feature = "deflate")]
    pub(crate) fn streaming_compressed_open(&self) -> Option<bool> {
        self.streaming.map(|_| self.streaming_compressed)
    }

    /// A fresh masking key for a client frame; `None` for a server.
    fn next_mask(&mut self) -> Option<[u8; 4]> {
        let entropy = self.entropy?;
        if self.keys_used == self.keys.len() {
            entropy(&mut self.keys);
            self.keys_used = 0;
        }
        let key = &self.keys[self.keys_used..self.keys_used + 4];
        self.keys_used += 4;
        Some([key[0], key[1], key[2], key[3]])
    }
}

/// What one send carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// A whole message: refused while a streamed message is open.
    Whole,
    /// A fragment of a streamed message; `last` ends it.
    Fragment { last: bool },
}

impl Part {
    pub(crate) fn is_last(self) -> bool {
        matches!(self, Part::Whole | Part::Fragment { last: true })
    }
}

/// The frames of one outgoing message: `(range of the payload, opcode, fin)` for each. (No
/// division: it costs more than the rest of a small message's framing.)
pub(crate) fn fragments(
    opcode: OpCode,
    len: usize,
    max_frame_len: usize,
    fin: bool,
) -> impl Iterator<Item = (core::ops::Range<usize>, OpCode, bool)> {
    let max = max_frame_len.max(1);
    let mut start: usize = 0;
    let mut done = false;
    core::iter::from_fn(move || {
        if done {
            return None;
        }
        let end = start.saturating_add(max).min(len);
        let opcode = if start == 0 {
            opcode
        } else {
            OpCode::Continuation
        };
        done = end == len;
        let frame = (start..end, opcode, fin && done);
        start = end;
        Some(frame)
    })
}

/// The encoded length of a frame with `payload_len` bytes.
pub(crate) fn frame_len(payload_len: usize, masked: bool) -> usize {
    FrameHeader {
        fin: true,
        rsv: 0,
        opcode: OpCode::Binary,
        mask: masked.then_some([0; 4]),
        payload_len: payload_len as u64,
    }
    .encoded_len()
        + payload_len
}

impl Connection {
    /// Sends a whole text message into `out`, returning the bytes written.
    pub fn send_text(&mut self, text: &str, out: &mut [u8]) -> Result<usize, SendError> {
        self.send(MessageKind::Text, text.as_bytes(), out)
    }

    /// Sends a whole binary message into `out`, returning the bytes written.
    pub fn send_binary(&mut self, data: &[u8], out: &mut [u8]) -> Result<usize, SendError> {
        self.send(MessageKind::Binary, data, out)
    }

    /// Sends a whole message into `out` (split into frames of at most
    /// `Config::max_send_frame_len`), returning the bytes written. Text must be UTF-8: use
    /// [`Connection::send_text`] to have the type system say so.
    pub fn send(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, SendError> {
        self.write_message(kind, payload, Part::Whole, out)
    }

    /// The header to write before a whole message of `len` bytes when the payload can go out
    /// as it is (a server's single unmasked, uncompressed frame): the caller writes the
    /// payload right after it, from wherever it lies (e.g. in one vectored write, without
    /// copying it), and the message counts as sent. `Ok(None)`, recording nothing, when the
    /// core must transform the payload (a client masks it, a long one is split into frames,
    /// permessage-deflate may compress it): send it with [`Connection::send`] then.
    pub fn send_header(
        &mut self,
        kind: MessageKind,
        len: usize,
        out: &mut [u8; MAX_HEADER_LEN],
    ) -> Result<Option<usize>, SendError> {
        let opcode = self.begin_message(kind, Part::Whole)?;
        if self.role.masks_outgoing() || len > self.config.max_send_frame_len || self.compresses() {
            return Ok(None);
        }
        // A server's frame has no key to draw: the header is built in a register.
        let (word, written) = unmasked_header(0x80 | opcode.as_u8(), len);
        out.copy_from_slice(&word.to_le_bytes()[..MAX_HEADER_LEN]);
        self.end_message(kind, Part::Whole);
        Ok(Some(written))
    }

    /// Appends a whole message to `out` (feature `alloc`): the same frames as
    /// [`Connection::send`], without sizing a buffer first, and the payload is copied once.
    /// Returns the bytes appended.
    #[cfg(feature = "alloc")]
    pub fn send_to_vec(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<usize, SendError> {
        let opcode = self.begin_message(kind, Part::Whole)?;
        #[cfg(feature = "deflate")]
        if self.deflate.is_some() {
            return self.send_deflated_to_vec(kind, opcode, payload, out);
        }
        let written = self.append_message(opcode, payload, false, out);
        self.end_message(kind, Part::Whole);
        Ok(written)
    }

    /// [`Connection::send_to_vec`] once permessage-deflate is on: the message is compressed
    /// unless that does not pay.
    #[cfg(feature = "deflate")]
    #[inline(never)]
    fn send_deflated_to_vec(
        &mut self,
        kind: MessageKind,
        opcode: OpCode,
        payload: &[u8],
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<usize, SendError> {
        let written = match self.compress_message(payload, Part::Whole)? {
            Some(deflated) => self.append_message(opcode, &deflated, true, out),
            None => self.append_message(opcode, payload, false, out),
        };
        self.end_message(kind, Part::Whole);
        Ok(written)
    }

    /// Appends the frames of a whole message whose first opcode is `opcode`, returning the
    /// bytes appended.
    #[cfg(feature = "alloc")]
    #[inline(always)]
    fn append_message(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        compressed: bool,
        out: &mut alloc::vec::Vec<u8>,
    ) -> usize {
        let start = out.len();
        if !compressed && self.sends_one_plain_frame(payload.len()) {
            // A server's single frame, the common case: no key, no fragments, no 64-bit
            // length.
            append_unmasked(out, 0x80 | opcode.as_u8(), payload);
        } else {
            self.append_frames(opcode, payload, compressed, out);
        }
        out.len() - start
    }

    /// Whether messages may be compressed (permessage-deflate was agreed).
    pub(crate) fn compresses(&self) -> bool {
        #[cfg(feature = "deflate")]
        return self.deflate.is_some();
        #[cfg(not(feature = "deflate"))]
        false
    }

    /// Whether an uncompressed whole message of `len` bytes goes out as one unmasked frame
    /// with at most a 16-bit length: a server's common case, with no key, fragments or
    /// 64-bit length to handle.
    #[cfg(feature = "alloc")]
    #[inline]
    pub(crate) fn sends_one_plain_frame(&self, len: usize) -> bool {
        len <= self.config.max_send_frame_len && len <= 0xFFFF && !self.role.masks_outgoing()
    }

    /// [`Connection::append_message`] for every other case.
    #[cfg(feature = "alloc")]
    #[inline(never)]
    fn append_frames(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        compressed: bool,
        out: &mut alloc::vec::Vec<u8>,
    ) {
        let max = self.config.max_send_frame_len;
        if payload.len() <= max {
            // One frame: no fragment loop, no total to add up first.
            let header = self.frame_header(opcode, true, payload.len(), compressed);
            append_frame(out, &header, payload);
            return;
        }
        // Room for every frame, and for the last one's whole header word.
        out.reserve(self.encoded_len(payload.len()) + HEADER_WORD);
        for (range, opcode, fin) in fragments(opcode, payload.len(), max, true) {
            let header = self.frame_header(opcode, fin, range.len(), compressed);
            append_frame(out, &header, &payload[range]);
        }
    }

    /// Sends one fragment of a streamed message into `out`: the first call opens a message of
    /// `kind`, later calls continue it, and the call with `last` set ends it. Other messages
    /// cannot be sent in between (control frames can).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        last: bool,
        out: &mut [u8],
    ) -> Result<usize, SendError> {
        self.write_message(kind, payload, Part::Fragment { last }, out)
    }

    /// Sends a ping with up to 125 bytes of payload into `out`.
    pub fn ping(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, SendError> {
        self.write_control(OpCode::Ping, payload, out)
    }

    /// Sends an unsolicited pong with up to 125 bytes of payload into `out` (pongs answering
    /// pings are automatic unless `Config::auto_pong` is off).
    pub fn pong(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, SendError> {
        self.write_control(OpCode::Pong, payload, out)
    }

    /// Starts the closing handshake at `now`: queues a close frame with `code` and `reason`
    /// (at most 123 bytes) for [`Connection::poll_transmit`] and starts the close timeout.
    /// No data frame can be sent afterwards.
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), SendError> {
        self.check_open()?;
        CloseFrame {
            code: Some(code),
            reason,
        }
        .check_sendable()
        .map_err(SendError::InvalidClose)?;
        self.start_close(now, Payload::close(code, reason));
        Ok(())
    }

    /// Writes the control frames the connection queued on its own — pong answers, keepalive
    /// pings, the close frame, in that order — into `out`, returning the bytes written (0 when
    /// nothing is queued). Call it after every input and command until it returns 0.
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Result<usize, InsufficientSize> {
        let mut written = 0;
        for opcode in [OpCode::Pong, OpCode::Ping, OpCode::Close] {
            let mut ping = [0; 4];
            let Some(payload) = self.control.queued(opcode, &mut ping) else {
                continue;
            };
            let mask = self.tx.next_mask();
            let frame = FrameHeader {
                fin: true,
                rsv: 0,
                opcode,
                mask,
                payload_len: payload.len() as u64,
            };
            match write_frame(&frame, payload, &mut out[written..]) {
                Ok(n) => written += n,
                Err(InsufficientSize { required }) if written == 0 => {
                    return Err(InsufficientSize { required })
                }
                // What fitted goes out now; the rest on the next call.
                Err(_) => break,
            }
            self.control.clear(opcode);
        }
        Ok(written)
    }

    /// The bytes [`Connection::send`] writes for a message of `payload_len` bytes (all its
    /// frames), so a caller can size the output buffer first.
    pub fn encoded_len(&self, payload_len: usize) -> usize {
        let masked = self.role.masks_outgoing();
        if payload_len <= self.config.max_send_frame_len {
            return frame_len(payload_len, masked);
        }
        fragments(
            OpCode::Binary,
            payload_len,
            self.config.max_send_frame_len,
            true,
        )
        .map(|(range, _, _)| frame_len(range.len(), masked))
        .sum()
    }

    /// Whether [`Connection::poll_transmit`] has anything to write.
    pub fn wants_transmit(&self) -> bool {
        !self.control.is_empty()
    }

    fn check_open(&self) -> Result<(), SendError> {
        match self.state {
            State::Open => Ok(()),
            State::Upgrading => Err(SendError::NotOpen),
            State::CloseSent | State::Closed(_) => Err(SendError::Closed),
        }
    }

    /// Checks a message (or fragment) may be sent, and returns its first opcode.
    pub(crate) fn begin_message(
        &mut self,
        kind: MessageKind,
        part: Part,
    ) -> Result<OpCode, SendError> {
        self.check_open()?;
        match (self.tx.streaming, part) {
            (None, _) => Ok(match kind {
                MessageKind::Text => OpCode::Text,
                MessageKind::Binary => OpCode::Binary,
            }),
            (Some(open), Part::Fragment { .. }) if open == kind => Ok(OpCode::Continuation),
            // A whole message inside a streamed one would be taken for its last fragment.
            (Some(_), _) => Err(SendError::MessageInProgress),
        }
    }

    /// Records that a message (or fragment) was written.
    pub(crate) fn end_message(&mut self, kind: MessageKind, part: Part) {
        self.tx.streaming = if part.is_last() { None } else { Some(kind) };
    }

    /// The header of one outgoing frame, with a fresh mask for a client. A compressed
    /// message says so in RSV1 of its first frame only (RFC 7692 §6).
    pub(crate) fn frame_header(
        &mut self,
        opcode: OpCode,
        fin: bool,
        len: usize,
        compressed: bool,
    ) -> FrameHeader {
        let first = opcode != OpCode::Continuation;
        FrameHeader {
            fin,
            rsv: if compressed && first { RSV1 } else { 0 },
            opcode,
            mask: self.tx.next_mask(),
            payload_len: len as u64,
        }
    }

    fn write_message(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        part: Part,
        out: &mut [u8],
    ) -> Result<usize, SendError> {
        let opcode = self.begin_message(kind, part)?;
        let max = self.config.max_send_frame_len;
        let required = self.encoded_len(payload.len());
        if out.len() < required {
            return Err(InsufficientSize { required }.into());
        }
        let mut written = 0;
        for (range, opcode, fin) in fragments(opcode, payload.len(), max, part.is_last()) {
            let header = self.frame_header(opcode, fin, range.len(), false);
            written += write_frame(&header, &payload[range], &mut out[written..])?;
        }
        self.end_message(kind, part);
        Ok(written)
    }

    fn write_control(
        &mut self,
        opcode: OpCode,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, SendError> {
        self.check_open()?;
        if payload.len() > 125 {
            return Err(SendError::ControlTooLarge);
        }
        let required = frame_len(payload.len(), self.role.masks_outgoing());
        if out.len() < required {
            return Err(InsufficientSize { required }.into());
        }
        let header = self.frame_header(opcode, true, payload.len(), false);
        Ok(write_frame(&header, payload, out)?)
    }
}

/// The size of [`FrameHeader::encode_word`]: what [`append_frame`] copies before trimming.
#[cfg(feature = "alloc")]
const HEADER_WORD: usize = core::mem::size_of::<u128>();

/// Appends `header` and `payload` (masked when the header says so) to `out`, reserving room
/// once. The header goes in as one fixed-size word, then `out` is cut back to its length: two
/// moves where a copy of the header's own length would be a call.
#[cfg(feature = "alloc")]
#[inline(always)]
fn append_frame(out: &mut alloc::vec::Vec<u8>, header: &FrameHeader, payload: &[u8]) {
    let start = out.len();
    out.reserve(HEADER_WORD + payload.len());
    out.extend_from_slice(&header.encode_word().to_le_bytes());
    out.truncate(start + header.encoded_len());
    let body = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(&mut out[body..], key, 0);
    }
}

/// Where frames are appended: a caller's `Vec`, or the buffered API's staging.
#[cfg(feature = "alloc")]
pub(crate) trait FrameOut {
    fn len(&self) -> usize;
    fn reserve(&mut self, additional: usize);
    fn extend_from_slice(&mut self, bytes: &[u8]);
    fn truncate(&mut self, len: usize);
}

#[cfg(feature = "alloc")]
impl FrameOut for alloc::vec::Vec<u8> {
    fn len(&self) -> usize {
        alloc::vec::Vec::len(self)
    }
    fn reserve(&mut self, additional: usize) {
        alloc::vec::Vec::reserve(self, additional);
    }
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        alloc::vec::Vec::extend_from_slice(self, bytes);
    }
    fn truncate(&mut self, len: usize) {
        alloc::vec::Vec::truncate(self, len);
    }
}

#[cfg(feature = "alloc")]
impl FrameOut for bytes::BytesMut {
    fn len(&self) -> usize {
        bytes::BytesMut::len(self)
    }
    fn reserve(&mut self, additional: usize) {
        bytes::BytesMut::reserve(self, additional);
    }
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        bytes::BytesMut::extend_from_slice(self, bytes);
    }
    fn truncate(&mut self, len: usize) {
        bytes::BytesMut::truncate(self, len);
    }
}

/// Appends an unmasked frame with first header byte `first` and `payload` (at most 65535
/// bytes) to `out`: the header is built in a register, reserved for with the payload, and put
/// in as one word that `out` is then cut back from.
#[cfg(feature = "alloc")]
#[inline(always)]
pub(crate) fn append_unmasked<O: FrameOut>(out: &mut O, first: u8, payload: &[u8]) {
    let len = payload.len();
    debug_assert!(len <= 0xFFFF);
    let (word, head_len) = unmasked_header(first, len);
    // At most 4 bytes: a 16-bit length.
    let word = word as u32;
    let start = out.len();
    out.reserve(4 + len);
    out.extend_from_slice(&word.to_le_bytes());
    out.truncate(start + head_len);
    if len <= SHORT_PAYLOAD {
        append_short(out, payload);
    } else {
        out.extend_from_slice(payload);
    }
}

/// Payloads up to this long (those with a 2-byte header) are appended by [`append_short`].
#[cfg(feature = "alloc")]
const SHORT_PAYLOAD: usize = 125;

/// Appends a short payload inline, eight bytes at a time and then byte by byte. A call to
/// `memcpy` for these few bytes was the hottest user-space instruction of a one-connection
/// echo of 20-byte messages; copied inline, the echo took 13–16 % less user CPU. The pieces
/// are the ones the receive side unmasks a short payload in, so that no load spans two of
/// its stores (16-byte pieces measured the same, within noise).
#[cfg(feature = "alloc")]
#[inline(always)]
fn append_short<O: FrameOut>(out: &mut O, bytes: &[u8]) {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut piece = [0u8; 8];
        piece.copy_from_slice(word);
        out.extend_from_slice(&piece);
    }
    for &byte in words.remainder() {
        out.extend_from_slice(&[byte]);
    }
}

/// The header of an unmasked frame with first byte `first` and a `len`-byte payload, as the
/// first bytes of a little-endian word, and how many bytes it is: the minimal length
/// encoding (RFC 6455 §5.2) without a byte-at-a-time store.
#[inline(always)]
fn unmasked_header(first: u8, len: usize) -> (u128, usize) {
    let first = u128::from(first);
    match len {
        0..=125 => (first | (len as u128) << 8, 2),
        126..=0xFFFF => (
            first | 126 << 8 | u128::from((len as u16).swap_bytes()) << 16,
            4,
        ),
        _ => (
            first | 127 << 8 | u128::from((len as u64).swap_bytes()) << 16,
            10,
        ),
    }
}

/// Encodes `header` and `payload` (masked when the header says so) into `out`.
pub(crate) fn write_frame(
    header: &FrameHeader,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, InsufficientSize> {
    let header_len = header.encoded_len();
    let total = header_len + payload.len();
    let out = out
        .get_mut(..total)
        .ok_or(InsufficientSize { required: total })?;
    header.encode(out)?;
    let body = &mut out[header_len..];
    body.copy_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(body, key, 0);
    }
    Ok(total)
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use super::*;
    use crate::conn::config::Config;
    use crate::role::Role;

    /// A deterministic key source, so two connections mask alike.
    fn counting(dest: &mut [u8]) {
        for (i, byte) in dest.iter_mut().enumerate() {
            *byte = i as u8 ^ 0x5A;
        }
    }

    fn open(role: Role, config: Config) -> Connection {
        let now = Instant::ZERO;
        let mut conn = match role {
            Role::Server => Connection::server(config, now),
            Role::Client => Connection::client(config, counting, now),
        };
        conn.upgraded(now);
        conn
    }

    /// `send_to_vec` appends exactly the bytes `send` writes, and refuses what it refuses,
    /// for both roles, both kinds, every header length and fragment sizes around them.
    #[test]
    fn send_to_vec_appends_the_bytes_send_writes() {
        let lens = [
            0, 1, 7, 8, 9, 20, 124, 125, 126, 127, 1000, 0xFFFF, 0x1_0000, 70_000,
        ];
        let maxes = [
            1,
            20,
            125,
            126,
            0xFFFF,
            0x1_0000,
            Config::DEFAULT.max_send_frame_len,
        ];
        for role in [Role::Server, Role::Client] {
            for max_send_frame_len in maxes {
                let config = Config {
                    max_send_frame_len,
                    ..Config::default()
                };
                for len in lens
                    .into_iter()
                    .filter(|len| len / max_send_frame_len < 2000)
                {
                    let payload: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    for kind in [MessageKind::Text, MessageKind::Binary] {
                        let (mut a, mut b) = (open(role, config), open(role, config));
                        let mut expected = std::vec![0; a.encoded_len(len)];
                        let n = a.send(kind, &payload, &mut expected).unwrap();
                        assert_eq!(n, expected.len());
                        let mut out = b"kept".to_vec();
                        let appended = b.send_to_vec(kind, &payload, &mut out).unwrap();
                        let case = (role, max_send_frame_len, len, kind);
                        assert_eq!(appended, n, "{case:?}");
                        assert!(out[..4] == *b"kept" && out[4..] == expected, "{case:?}");
                    }
                }
            }
        }
    }

    /// `send_header` gives the header `send` writes before an unchanged payload, and only
    /// then: a client's masked message, one split into frames and a compressed one get none.
    #[test]
    fn send_header_is_what_send_writes_before_the_payload() {
        for len in [0, 1, 125, 126, 0xFFFF, 0x1_0000, 1 << 20] {
            for kind in [MessageKind::Text, MessageKind::Binary] {
                let payload = std::vec![b'a'; len];
                let (mut a, mut b) = (
                    open(Role::Server, Config::default()),
                    open(Role::Server, Config::default()),
                );
                let mut expected = std::vec![0; a.encoded_len(len)];
                let n = a.send(kind, &payload, &mut expected).unwrap();
                let mut head = [0; MAX_HEADER_LEN];
                let head_len = b
                    .send_header(kind, len, &mut head)
                    .unwrap()
                    .expect("a header");
                assert_eq!(head_len + len, n);
                assert_eq!(head[..head_len], expected[..head_len], "{kind:?} {len}");
            }
        }
        let mut head = [0; MAX_HEADER_LEN];
        let binary = MessageKind::Binary;
        let mut client = open(Role::Client, Config::default());
        assert_eq!(client.send_header(binary, 10, &mut head), Ok(None));
        let split = Config {
            max_send_frame_len: 100,
            ..Config::default()
        };
        let mut server = open(Role::Server, split);
        assert!(server
            .send_header(binary, 100, &mut head)
            .unwrap()
            .is_some());
        assert_eq!(server.send_header(binary, 101, &mut head), Ok(None));
    }

    #[cfg(feature = "deflate")]
    #[test]
    fn send_header_leaves_compression_to_send() {
        use crate::deflate::{DeflateConfig, DeflateParams};
        let mut server = open(Role::Server, Config::default());
        server.enable_deflate(DeflateParams::default(), &DeflateConfig::default());
        let mut head = [0; MAX_HEADER_LEN];
        assert_eq!(
            server.send_header(MessageKind::Text, 10, &mut head),
            Ok(None)
        );
    }

    #[test]
    fn send_to_vec_refuses_what_send_refuses() {
        let mut out = Vec::new();
        for role in [Role::Server, Role::Client] {
            let mut streaming = open(role, Config::default());
            let mut buf = [0; 64];
            streaming
                .send_fragment(MessageKind::Text, b"a", false, &mut buf)
                .unwrap();
            let mut closing = open(role, Config::default());
            closing
                .close(Instant::ZERO, crate::close::CloseCode::NORMAL, "")
                .unwrap();
            let mut upgrading = Connection::server(Config::default(), Instant::ZERO);
            for conn in [&mut streaming, &mut closing, &mut upgrading] {
                let refused = conn.send(MessageKind::Text, b"x", &mut buf).unwrap_err();
                let again = conn.send_to_vec(MessageKind::Text, b"x", &mut out);
                assert_eq!(again, Err(refused));
                let mut head = [0; MAX_HEADER_LEN];
                let header = conn.send_header(MessageKind::Text, 1, &mut head);
                assert_eq!(header, Err(refused), "send_header refuses it too");
            }
        }
        assert!(out.is_empty());
    }
}
