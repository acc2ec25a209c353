//! A message that arrives in more than one piece, reassembled in the connection's own buffer,
//! and the large frames whose payload is read from the socket straight into that buffer.
//!
//! The core hands a frame's payload out piece by piece as it arrives. Pieces of small frames
//! are copied here from the buffer they were read into. A large frame is not: its first piece
//! stays where it landed and the connection takes that whole read buffer over (the loop reads
//! into another) when it has room for the rest of the frame, else the piece is copied once
//! into room reserved for the whole frame; the rest is read from the socket straight after
//! it. Either way the core unmasks the bytes in place, and the kernel writes each byte once,
//! where the application will see it.
//!
//! Memory follows the bytes received, not the length a header announces: room is reserved
//! (address space only) for the whole frame, but zeroed (as safe code must before a read) at
//! most as far ahead as the message has received so far, nothing is read straight in before
//! the first payload bytes arrive, and a read buffer is taken over only when the piece in it
//! is a fair share of it. Kept buffers a connection takes are bounded for the whole loop.

use crate::spare::Spare;

/// A frame with at least this many payload bytes is large: read straight in. Below it,
/// copying costs less than the extra read that stopping at the frame's end can cost.
const DIRECT_MIN: u64 = 64 * 1024;

/// A read buffer is taken over only if the piece in it is at least this share of the bytes
/// it holds initialized (what the connection would then hold). The loop's buffer is often
/// one a large message left behind, initialized that far: a full read (256 KiB by default)
/// must qualify for a buffer a 1 MiB message left, header and lead included, with room to
/// spare.
const TAKE_SHARE: usize = 8;

/// A buffer larger than this goes back to the loop once its message is delivered: an idle
/// connection must not keep a large message's memory.
const KEEP: usize = 4096;

/// Room reserved before a large message, beyond what it needs: such buffers become the
/// loop's read buffer later, and a large frame whose first piece lands at most this far in
/// can then be taken over in place.
const LEAD: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Assembly {
    /// `buf[start..filled]` is the message so far; `buf[filled..]` is initialized room for
    /// reads.
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    /// Payload bytes of the current data frame that the core has not handed out yet.
    frame_left: u64,
    /// The current frame is large: read straight in.
    large: bool,
    /// Room for the rest of the large frame is ready (in `buf`, or once settled).
    reserved: bool,
    /// The message so far is the first piece of a large frame, still at `start..filled` of
    /// the buffer it was read into, until [`Assembly::settle`].
    lying: bool,
}

impl Assembly {
    /// The core started a data frame of `payload_len` bytes.
    pub(crate) fn start_frame(&mut self, payload_len: u64) {
        self.frame_left = payload_len;
        self.large = self.frame_left >= DIRECT_MIN;
        self.reserved = false;
    }

    /// A message arrived in one piece, handed out without passing through here.
    pub(crate) fn whole(&mut self) {
        self.frame_left = 0;
        (self.large, self.reserved) = (false, false);
    }

    /// The core handed out `piece`, at offset `at` of the buffer it was read into; `last` ends
    /// the message. The first piece of a large frame that starts a message is left where it
    /// is, for [`Assembly::settle`]; other pieces are copied in.
    pub(crate) fn push(&mut self, piece: &[u8], at: usize, last: bool, spare: &mut Spare) {
        self.count(piece.len(), last);
        if self.large && !self.reserved {
            if self.start == self.filled {
                self.start = at;
                self.filled = at + piece.len();
                self.lying = true;
                self.reserved = true;
                return;
            }
            self.reserve(piece.len(), spare);
        }
        self.append(piece);
    }

    /// After the bytes read into `read` were processed: takes over `read` itself if the
    /// message so far lies in it, it has room for the rest of the frame and `may_take` (the
    /// loop then reads into a kept buffer, or a new one as large), else copies that piece in.
    #[inline]
    pub(crate) fn settle(&mut self, read: &mut Vec<u8>, may_take: bool, spare: &mut Spare) {
        if self.lying {
            self.settle_piece(read, may_take, spare);
        }
    }

    fn settle_piece(&mut self, read: &mut Vec<u8>, may_take: bool, spare: &mut Spare) {
        self.lying = false;
        let piece = self.start..self.filled;
        let frame_left = usize::try_from(self.frame_left).unwrap_or(usize::MAX);
        let fits = read.capacity() - piece.end >= frame_left;
        if may_take && fits && read.len() <= TAKE_SHARE * piece.len() + LEAD {
            let replacement = spare.take(read.capacity());
            let old = core::mem::replace(&mut self.buf, core::mem::replace(read, replacement));
            spare.give(old);
        } else {
            (self.start, self.filled, self.reserved) = (0, 0, false);
            self.reserve(piece.len(), spare);
            self.append(&read[piece.clone()]);
            if may_take && !fits {
                // The loop's buffer was too small: it reads into a larger one from now on,
                // so the next large frame can stay where it lands.
                let larger = spare.take(piece.end.saturating_add(frame_left) + LEAD);
                spare.give(core::mem::replace(read, larger));
            }
        }
    }

    /// Whether the current frame is large: its later pieces may be read straight in.
    #[inline]
    pub(crate) fn is_large(&self) -> bool {
        self.large
    }

    /// Where to read the current frame's next bytes (at most `max`) when it is large and
    /// its message has received some payload already.
    #[inline]
    pub(crate) fn room(&mut self, max: usize, spare: &mut Spare) -> Option<&mut [u8]> {
        if !self.large || self.filled == self.start {
            return None;
        }
        Some(self.direct_room(max, spare))
    }

    fn direct_room(&mut self, max: usize, spare: &mut Spare) -> &mut [u8] {
        if !self.reserved {
            self.reserve(0, spare);
        }
        let frame_left = usize::try_from(self.frame_left).unwrap_or(usize::MAX);
        let mut end = self.filled + frame_left.min(max.max(1));
        if self.buf.len() < end {
            // Zeroed at most as far ahead as the message has received (so at most doubling).
            let received = self.filled - self.start;
            end = end.min(self.buf.len().max(self.filled + received));
            self.buf.resize(end, 0);
        }
        &mut self.buf[self.filled..end]
    }

    /// Payload bytes of the current data frame that the core has not handed out yet.
    #[inline]
    pub(crate) fn frame_left(&self) -> u64 {
        self.frame_left
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
        &self.buf[self.start..self.filled]
    }

    /// The message was delivered: start the next one.
    pub(crate) fn finish(&mut self, spare: &mut Spare) {
        (self.start, self.filled, self.lying) = (0, 0, false);
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
            (self.large, self.reserved) = (false, false);
        }
    }

    /// Makes room for the rest of the frame (after `incoming` bytes about to be appended) at
    /// once, so reading it in never moves the message.
    fn reserve(&mut self, incoming: usize, spare: &mut Spare) {
        let frame_left = usize::try_from(self.frame_left).unwrap_or(usize::MAX);
        let rest = incoming.saturating_add(frame_left);
        if self.buf.capacity() - self.filled < rest {
            let len = self.filled - self.start;
            let want = (len + LEAD).saturating_add(rest);
            let old = core::mem::replace(&mut self.buf, spare.take(want));
            // The message's earlier fragments, if any, move over.
            let message = self.start..self.filled;
            (self.start, self.filled) = (0, 0);
            self.append(&old[message]);
            spare.give(old);
        }
        self.reserved = true;
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

    /// A read buffer of `capacity` holding `piece` at `at`, initialized as far as `len`.
    fn read_buffer(capacity: usize, len: usize, at: usize, piece: &[u8]) -> Vec<u8> {
        let mut read = Vec::with_capacity(capacity);
        read.resize(at, 0xEE);
        read.extend_from_slice(piece);
        read.resize(read.len().max(len), 0xEE);
        read
    }

    /// Reads the rest of the frame into the room as a socket would, `n` bytes at most per
    /// read, filling with `byte`; returns the size of each read.
    fn read_rest(assembly: &mut Assembly, spare: &mut Spare, n: usize, byte: u8) -> Vec<usize> {
        let mut reads = Vec::new();
        while let Some(room) = assembly.room(n, spare) {
            let got = room.len();
            room.fill(byte);
            assembly.received(got);
            assembly.keep_received(got, assembly.frame_left == got as u64);
            reads.push(got);
        }
        reads
    }

    #[test]
    fn small_frames_are_copied_and_never_read_straight_in() {
        let mut spare = Spare::new(1 << 20);
        let mut assembly = Assembly::default();
        assembly.start_frame(300);
        assembly.push(&[1; 100], 7, false, &mut spare);
        assert!(assembly.room(1 << 20, &mut spare).is_none());
        assembly.push(&[2; 200], 0, false, &mut spare);
        assembly.start_frame(5);
        assembly.push(&[3; 5], 9, true, &mut spare);
        assert!(assembly.room(1 << 20, &mut spare).is_none());
        assert_eq!(assembly.message().len(), 305);
        assert_eq!(&assembly.message()[295..], &[2, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
        assembly.finish(&mut spare);
        assert!(assembly.message().is_empty());
        assert!(assembly.buf.capacity() <= KEEP);
    }

    #[test]
    fn a_large_frame_takes_over_the_read_buffer_when_the_rest_fits() {
        let len = 1 << 20;
        let mut spare = Spare::new(4 << 20);
        let mut assembly = Assembly::default();
        let piece = vec![7; 200_000];
        let mut read = read_buffer(len + LEAD, 256 * 1024, 14, &piece);
        assembly.start_frame(len as u64);
        assembly.push(&read[14..200_014], 14, false, &mut spare);
        assembly.settle(&mut read, true, &mut spare);
        assert!(
            read.is_empty(),
            "taken over: the loop reads into another buffer"
        );
        assert!(
            read.capacity() >= len + LEAD,
            "as large, so the next frame fits too"
        );
        assert_eq!(assembly.message(), &piece[..]);
        // The rest is read straight in after it.
        let reads = read_rest(&mut assembly, &mut spare, 300 * 1024, 9);
        assert_eq!(reads.iter().sum::<usize>(), len - 200_000);
        let message = assembly.message();
        assert_eq!(message.len(), len);
        assert!(message[..200_000].iter().all(|&b| b == 7));
        assert!(message[200_000..].iter().all(|&b| b == 9));
        assembly.finish(&mut spare);
        assert_eq!(assembly.buf.capacity(), 0, "a large buffer is given back");
        assert!(
            spare.take(len).capacity() >= len + LEAD,
            "kept for the next one"
        );
    }

    /// The loop's buffer after an earlier 1 MiB message: initialized past that message's
    /// length. A full read's first piece of the next one takes it over, not a copy.
    #[test]
    fn a_full_read_takes_over_a_buffer_an_earlier_large_message_left() {
        let len = 1 << 20;
        let mut spare = Spare::new(4 << 20);
        let mut assembly = Assembly::default();
        let piece = vec![7; 256 * 1024 - 14];
        let mut read = read_buffer(14 + len + LEAD, 14 + len + LEAD, 14, &piece);
        assembly.start_frame(len as u64);
        assembly.push(&read[14..256 * 1024], 14, false, &mut spare);
        assembly.settle(&mut read, true, &mut spare);
        assert!(read.is_empty(), "taken over, not copied");
        assert_eq!(assembly.message(), &piece[..]);
    }

    #[test]
    fn a_large_frame_is_copied_once_when_the_read_buffer_is_too_small() {
        let len = 1 << 20;
        let mut spare = Spare::new(0);
        let mut assembly = Assembly::default();
        let mut read = read_buffer(256 * 1024, 256 * 1024, 14, &[7; 100_000]);
        assembly.start_frame(len as u64);
        assembly.push(&read[14..100_014], 14, false, &mut spare);
        assembly.settle(&mut read, true, &mut spare);
        assert!(
            read.is_empty() && read.capacity() >= 14 + len + LEAD,
            "the loop reads into a buffer large enough from now on"
        );
        assert!(
            assembly.buf.capacity() >= len,
            "room for the whole frame at once"
        );
        assert_eq!(assembly.message(), &[7; 100_000][..]);
        let reads = read_rest(&mut assembly, &mut spare, 256 * 1024, 9);
        assert_eq!(reads, [100_000, 200_000, 256 * 1024, 256 * 1024, 124_288]);

        // Read through the tail (not the loop's buffer): never taken over.
        let mut assembly = Assembly::default();
        let mut tail = read_buffer(4 * len, 0, 14, &[7; 100_000]);
        assembly.start_frame(len as u64);
        assembly.push(&tail[14..100_014], 14, false, &mut spare);
        assembly.settle(&mut tail, false, &mut spare);
        assert_eq!(tail.capacity(), 4 * len);
        assert_eq!(assembly.message(), &[7; 100_000][..]);
    }

    /// A peer that announces a large frame and sends little of it makes the connection hold
    /// little: no room before the first payload byte, no read buffer taken over for a small
    /// piece, and room zeroed at most as far ahead as what arrived.
    #[test]
    fn memory_follows_the_bytes_received_not_the_length_announced() {
        let len = 16 << 20;
        let mut spare = Spare::new(0);
        let mut assembly = Assembly::default();
        assembly.start_frame(len as u64);
        assert!(
            assembly.room(usize::MAX, &mut spare).is_none(),
            "a header alone"
        );
        let mut read = read_buffer(len + LEAD, 256 * 1024, 14, &[7; 10]);
        assembly.push(&read[14..24], 14, false, &mut spare);
        assembly.settle(&mut read, true, &mut spare);
        assert_eq!(
            read.len(),
            256 * 1024,
            "a small piece does not take the buffer over"
        );
        assert_eq!(assembly.message(), &[7; 10][..]);
        assert_eq!(
            assembly.room(usize::MAX, &mut spare).map(|r| r.len()),
            Some(10)
        );
        assert!(assembly.buf.len() <= 20, "zeroed only as far as received");
        let reads = read_rest(&mut assembly, &mut spare, 1 << 20, 9);
        assert_eq!(&reads[..4], &[10, 20, 40, 80], "doubling");
        assert_eq!(assembly.message().len(), len);
    }

    #[test]
    fn a_spare_buffer_is_reused_without_zeroing() {
        let len = 1 << 20;
        let mut spare = Spare::new(4 << 20);
        let mut old = Vec::with_capacity(2 * len);
        old.resize(2 * len, 5);
        spare.give(old);
        let mut assembly = Assembly::default();
        let mut tail = read_buffer(1000, 0, 0, &[7; 1000]);
        assembly.start_frame(len as u64);
        assembly.push(&tail[..1000], 0, false, &mut spare);
        assembly.settle(&mut tail, false, &mut spare);
        let room = assembly
            .room(usize::MAX, &mut spare)
            .expect("read straight in");
        assert_eq!(
            room.len(),
            len - 1000,
            "already initialized: one read for the rest"
        );
        assert!(
            room.iter().all(|&b| b == 5),
            "the spare buffer, not zeroed again"
        );
    }

    #[test]
    fn earlier_fragments_move_over_when_a_large_frame_starts() {
        let mut spare = Spare::new(0);
        let mut assembly = Assembly::default();
        assembly.start_frame(3);
        assembly.push(b"abc", 0, false, &mut spare);
        assembly.start_frame(100_000);
        let mut read = read_buffer(1 << 20, 64 * 1024, 20, &[b'd'; 50_000]);
        assembly.push(&read[20..50_020], 20, false, &mut spare);
        assembly.settle(&mut read, true, &mut spare);
        assert_eq!(
            read.len(),
            64 * 1024,
            "not taken over: the message began elsewhere"
        );
        read_rest(&mut assembly, &mut spare, usize::MAX, b'd');
        assembly.start_frame(1);
        assembly.push(b"e", 0, true, &mut spare);
        let message = assembly.message();
        assert_eq!(message.len(), 100_004);
        assert_eq!(&message[..4], b"abcd");
        assert_eq!(&message[100_002..], b"de");
    }
}
