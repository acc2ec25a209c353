//! A message that arrives in more than one piece, reassembled in the connection's own buffer,
//! and the large frames whose payload is read from the socket straight into that buffer.
//!
//! The core hands a frame's payload out piece by piece as it arrives. Pieces read through the
//! loop-wide buffer are copied here; but once a frame is known to have many payload bytes
//! still to come, they are read straight into room reserved here, so each byte is written
//! once (by the kernel) where the application will see it. The room is reserved for the
//! whole frame at once (no regrowth copies) but zeroed, as safe code must before a read, only
//! one read at a time: memory in use follows the bytes received, not the length announced.

use sansws::frame::{FrameHeader, FrameRules};
use sansws::{Role, Status};

use crate::spare::Spare;

/// A frame with at least this many payload bytes still to come is read straight in. Below
/// it, copying costs less than the extra read that stopping at the frame's end can cost.
const DIRECT_MIN: u64 = 64 * 1024;

/// A buffer larger than this goes back to the loop once its message is delivered: an idle
/// connection must not keep a large message's memory.
const KEEP: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Assembly {
    /// `buf[..filled]` is the message so far; `buf[filled..]` is initialized room for reads.
    buf: Vec<u8>,
    filled: usize,
    /// Payload bytes of the current data frame that the core has not handed out yet.
    frame_left: u64,
    /// Room for the rest of the current frame is reserved: it is read straight in.
    direct: bool,
}

impl Assembly {
    /// The core consumed the header of a data frame (`header`, exactly).
    pub(crate) fn start_frame(&mut self, header: &[u8], role: Role) {
        self.frame_left = match FrameHeader::decode(header, &FrameRules::new(role)) {
            Ok(Status::Complete((header, _))) => header.payload_len,
            // The core accepted these bytes, so this does not happen; without a length the
            // frame is simply not read straight in.
            _ => 0,
        };
        self.direct = false;
    }

    /// A message arrived in one piece, handed out without passing through here.
    pub(crate) fn whole(&mut self) {
        self.frame_left = 0;
        self.direct = false;
    }

    /// Appends a piece of the current frame handed out from another buffer; `last` ends the
    /// message.
    pub(crate) fn push(&mut self, piece: &[u8], last: bool, spare: &mut Spare) {
        self.count(piece.len(), last);
        if self.frame_left >= DIRECT_MIN && !self.direct {
            self.reserve(piece.len(), spare);
        }
        self.append(piece);
    }

    /// Where to read the current frame's next bytes (at most `max`), when it is large enough
    /// to be read straight in.
    #[inline]
    pub(crate) fn room(&mut self, max: usize, spare: &mut Spare) -> Option<&mut [u8]> {
        if !self.direct && self.frame_left < DIRECT_MIN {
            return None;
        }
        Some(self.direct_room(max, spare))
    }

    fn direct_room(&mut self, max: usize, spare: &mut Spare) -> &mut [u8] {
        if !self.direct {
            self.reserve(0, spare);
        }
        let frame_left = usize::try_from(self.frame_left).unwrap_or(usize::MAX);
        let end = self.filled + frame_left.min(max.max(1));
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        &mut self.buf[self.filled..end]
    }

    /// The `n` bytes just read into the room, for the core to unmask in place.
    pub(crate) fn received(&mut self, n: usize) -> &mut [u8] {
        &mut self.buf[self.filled..self.filled + n]
    }

    /// The core handed out the first `len` bytes of the room as payload: they join the
    /// message; `last` ends it.
    pub(crate) fn keep_received(&mut self, len: usize, last: bool) {
        self.filled += len;
        self.count(len, last);
    }

    /// The message so far.
    pub(crate) fn message(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    /// The message was delivered: start the next one.
    pub(crate) fn finish(&mut self, spare: &mut Spare) {
        self.filled = 0;
        if self.buf.capacity() > KEEP {
            spare.give(core::mem::take(&mut self.buf));
        }
    }

    /// The connection closed: nothing more is received.
    pub(crate) fn clear(&mut self, spare: &mut Spare) {
        self.finish(spare);
        self.whole();
    }

    fn count(&mut self, len: usize, last: bool) {
        self.frame_left = if last {
            0
        } else {
            self.frame_left.saturating_sub(len as u64)
        };
        if self.frame_left == 0 {
            self.direct = false;
        }
    }

    /// Makes room for the rest of the frame (after `incoming` bytes about to be appended) at
    /// once, so reading it in never moves the message.
    fn reserve(&mut self, incoming: usize, spare: &mut Spare) {
        let frame_left = usize::try_from(self.frame_left).unwrap_or(usize::MAX);
        let want = (self.filled.saturating_add(incoming)).saturating_add(frame_left);
        if self.buf.capacity() < want {
            let old = core::mem::replace(&mut self.buf, spare.take(want));
            // The message's earlier fragments, if any, move over.
            let filled = core::mem::take(&mut self.filled);
            self.append(&old[..filled]);
            if old.capacity() > KEEP {
                spare.give(old);
            }
        }
        self.direct = true;
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = (self.buf.len() - self.filled).min(bytes.len());
        let (into_room, rest) = bytes.split_at(room);
        self.buf[self.filled..self.filled + room].copy_from_slice(into_room);
        self.buf.extend_from_slice(rest);
        self.filled += bytes.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame header announcing `len` payload bytes.
    fn header(first: u8, len: usize) -> Vec<u8> {
        let mut head = [0; 14];
        let written = FrameHeader {
            fin: first & 0x80 != 0,
            rsv: 0,
            opcode: sansws::frame::OpCode::from_u8(first & 0x0F).expect("opcode"),
            mask: Some([1, 2, 3, 4]),
            payload_len: len as u64,
        }
        .encode(&mut head)
        .expect("encode");
        head[..written].to_vec()
    }

    #[test]
    fn small_frames_are_copied_and_never_read_straight_in() {
        let mut spare = Spare::new(1 << 20);
        let mut assembly = Assembly::default();
        assembly.start_frame(&header(0x02, 300), Role::Server);
        assembly.push(&[1; 100], false, &mut spare);
        assert!(assembly.room(1 << 20, &mut spare).is_none());
        assembly.push(&[2; 200], false, &mut spare);
        assembly.start_frame(&header(0x80, 5), Role::Server);
        assembly.push(&[3; 5], true, &mut spare);
        assert!(assembly.room(1 << 20, &mut spare).is_none());
        assert_eq!(assembly.message().len(), 305);
        assert_eq!(&assembly.message()[295..], &[2, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
        assembly.finish(&mut spare);
        assert!(assembly.message().is_empty());
        assert!(assembly.buf.capacity() <= KEEP);
    }

    #[test]
    fn a_large_frame_is_read_straight_in_a_read_at_a_time() {
        let len = 1 << 20;
        let mut spare = Spare::new(1 << 20);
        let mut assembly = Assembly::default();
        assembly.start_frame(&header(0x82, len), Role::Server);
        assembly.push(&[7; 1000], false, &mut spare);
        // Reserved for the whole frame, zeroed only as far as the next read.
        assert!(assembly.buf.capacity() >= len);
        let room = assembly
            .room(64 * 1024, &mut spare)
            .expect("read straight in");
        assert_eq!(room.len(), 64 * 1024);
        room[..5000].fill(8);
        assert_eq!(assembly.buf.len(), 1000 + 64 * 1024);
        assembly.received(5000);
        assembly.keep_received(5000, false);
        let mut got = 6000;
        while let Some(room) = assembly.room(300 * 1024, &mut spare) {
            let n = room.len();
            room.fill(9);
            assembly.keep_received(n, got + n == len);
            got += n;
        }
        assert_eq!(got, len);
        let message = assembly.message();
        assert_eq!(message.len(), len);
        assert!(message[..1000].iter().all(|&b| b == 7));
        assert!(message[1000..6000].iter().all(|&b| b == 8));
        assert!(message[6000..].iter().all(|&b| b == 9));
        assembly.finish(&mut spare);
        assert_eq!(assembly.buf.capacity(), 0, "a large buffer is given back");

        // The next large message reuses it, already initialized: nothing to zero.
        assembly.start_frame(&header(0x82, len), Role::Server);
        let room = assembly
            .room(usize::MAX, &mut spare)
            .expect("read straight in");
        assert_eq!(room.len(), len);
        assert_eq!(
            (room[0], room[len - 1]),
            (7, 9),
            "the spare buffer, not zeroed again"
        );
    }

    #[test]
    fn earlier_fragments_move_over_when_a_large_frame_starts() {
        let mut spare = Spare::new(0);
        let mut assembly = Assembly::default();
        assembly.start_frame(&header(0x01, 3), Role::Server);
        assembly.push(b"abc", false, &mut spare);
        assembly.start_frame(&header(0x00, 100_000), Role::Server);
        let room = assembly
            .room(usize::MAX, &mut spare)
            .expect("read straight in");
        assert_eq!(room.len(), 100_000);
        room.fill(b'd');
        assembly.keep_received(100_000, false);
        assembly.start_frame(&header(0x80, 1), Role::Server);
        assembly.push(b"e", true, &mut spare);
        let message = assembly.message();
        assert_eq!(message.len(), 100_004);
        assert_eq!(&message[..4], b"abcd");
        assert_eq!(&message[100_002..], b"de");
    }
}
