//! Payloads sent from where they were received. A message a server sends from inside a
//! callback whose payload lies in the buffer the loop just read into (an echo, a relay) is not
//! copied into the connection's output: the output notes where it lies, and it goes out with
//! the rest of the output in one write before that buffer is reused. Only what the socket
//! does not take then is copied (a slow peer's share).
//!
//! The header sent before such a payload is moved into the received buffer right ahead of
//! it, where the payload's own frame header lay (a client's header is 4 bytes longer than a
//! server's for the same length: it always fits), so header and payload are one slice. An
//! echo is then written with a plain write, which a socket serves more cheaply than a
//! vectored one.

use std::io::IoSlice;

use mio::net::TcpStream;
use smallvec::SmallVec;

use crate::output::write_once;

/// Payloads shorter than this are copied: the copy costs less than noting where the payload
/// lies and moving its header before it (1 KiB echoes: 1,070 instructions each copied,
/// 1,096 borrowed, and no more kernel time).
pub(crate) const BORROW_MIN: usize = 4096;

/// At most this many payloads wait in one write; more are copied (so the write's slice list
/// stays small and on the stack).
const MAX_PIECES: usize = 8;

/// A write's slices: every piece, and a stretch of output around each.
type Slices<'s> = SmallVec<[IoSlice<'s>; 2 * MAX_PIECES + 1]>;

/// Output stretches at most this long right before a payload are moved in front of it: a
/// frame header.
const MAX_JOINED: usize = 14;

/// A payload waiting in the received buffer: it goes out after the first `at` bytes of the
/// output, and is `buf[start..start + len]` of the received buffer. The last `head` bytes
/// of the output before it were moved to `buf[start - head..start]`, to go out with it.
#[derive(Debug, Clone, Copy)]
struct Piece {
    at: usize,
    start: usize,
    len: usize,
    head: usize,
}

impl Piece {
    /// Where in the received buffer the piece (with its head) lies.
    fn span(&self) -> core::ops::Range<usize> {
        self.start - self.head..self.start + self.len
    }
}

/// The payloads waiting in the received buffer, in order (one list for the whole loop: one
/// connection's received bytes are handled at a time).
#[derive(Debug, Default)]
pub(crate) struct Borrowed {
    pieces: Vec<Piece>,
    /// Their lengths, summed.
    len: usize,
}

/// Where the received buffer lies in memory: its address range, compared with a payload's,
/// never turned back into a pointer (the bytes are read from the buffer itself when they are
/// written).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    base: usize,
    len: usize,
}

impl Received {
    pub(crate) fn of(buf: &[u8]) -> Self {
        Received {
            base: buf.as_ptr() as usize,
            len: buf.len(),
        }
    }
}

/// What a callback may borrow from (the received buffer), and where to note what it borrows.
#[derive(Debug)]
pub(crate) struct Lender<'a> {
    received: Received,
    borrowed: &'a mut Borrowed,
}

impl<'a> Lender<'a> {
    /// Payloads lying in `received` may be borrowed (noted in `borrowed`) until
    /// [`Borrowed::write`] is given the same bytes, unchanged as far as the pieces go.
    pub(crate) fn new(received: Received, borrowed: &'a mut Borrowed) -> Self {
        Lender { received, borrowed }
    }

    /// Notes `payload` to go out after the first `at` bytes of the output, if it lies in the
    /// received buffer and the list has room; `false` if it must be copied.
    pub(crate) fn lend(&mut self, payload: &[u8], at: usize) -> bool {
        let Received { base, len } = self.received;
        let start = (payload.as_ptr() as usize).wrapping_sub(base);
        let inside = start <= len && payload.len() <= len - start;
        if !inside || self.borrowed.pieces.len() == MAX_PIECES {
            return false;
        }
        let len = payload.len();
        self.borrowed.pieces.push(Piece {
            at,
            start,
            len,
            head: 0,
        });
        self.borrowed.len += len;
        true
    }

    /// Bytes borrowed so far, not written yet.
    pub(crate) fn pending(&self) -> usize {
        self.borrowed.len
    }
}

impl Borrowed {
    pub(crate) fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Writes `out[pos..]` with the borrowed pieces of `received` in their places, once (a
    /// short write means the socket is full), then copies into `out` what was not written,
    /// leaving nothing borrowed. A failed write is left for the next flush of `out` to report.
    pub(crate) fn write(
        &mut self,
        stream: &TcpStream,
        received: &mut [u8],
        out: &mut Vec<u8>,
        pos: &mut usize,
    ) {
        self.join_heads(received, &out[*pos..], *pos);
        let received = &*received;
        let total = out.len() - *pos + self.len;
        let alone = match self.pieces[..] {
            [piece] if piece.at - *pos == piece.head && piece.at == out.len() => Some(piece),
            _ => None,
        };
        let rest = if let Some(piece) = alone {
            // The usual echo: the whole output is one payload and the header moved before it.
            let bytes = &received[piece.span()];
            let written = write_once(stream, &[IoSlice::new(bytes)]);
            (written < total).then(|| bytes[written..].to_vec())
        } else {
            // Not an array: filling one with empty slices first cost more than the write.
            let mut slices = Slices::new();
            self.gather(received, &out[*pos..], *pos, &mut slices);
            let written = write_once(stream, &slices);
            (written < total).then(|| {
                let mut rest = Vec::with_capacity(total - written);
                let mut skip = written;
                for part in &slices {
                    let from = skip.min(part.len());
                    rest.extend_from_slice(&part[from..]);
                    skip -= from;
                }
                rest
            })
        };
        match rest {
            Some(rest) => *out = rest,
            None => out.clear(),
        }
        *pos = 0;
        self.pieces.clear();
        self.len = 0;
    }

    /// Moves each short stretch of output that goes right before a piece (its frame header)
    /// into `received` just ahead of the piece, where no piece lies: the bytes there were
    /// consumed (the payload's own frame header, or earlier frames') and are not read again.
    /// `out` starts at offset `pos` of the output.
    fn join_heads(&mut self, received: &mut [u8], out: &[u8], pos: usize) {
        let mut from = 0;
        for index in 0..self.pieces.len() {
            let Piece { at, start, .. } = self.pieces[index];
            let at = at - pos;
            let head = at - from;
            from = at;
            if head == 0 || head > MAX_JOINED || head > start {
                continue;
            }
            let gap = start - head..start;
            let taken =
                (self.pieces.iter()).any(|p| p.span().start < gap.end && gap.start < p.span().end);
            if taken {
                continue;
            }
            copy_short(&mut received[gap], &out[at - head..at]);
            self.pieces[index].head = head;
        }
    }

    /// Fills `slices` with the output in order: the stretches of `out` (which starts at
    /// offset `pos` of the output) with the borrowed pieces of `received` between them, empty
    /// stretches left out.
    fn gather<'s>(&self, received: &'s [u8], out: &'s [u8], pos: usize, slices: &mut Slices<'s>) {
        let mut from = 0;
        for piece in &self.pieces {
            let at = piece.at - pos;
            if at - piece.head > from {
                slices.push(IoSlice::new(&out[from..at - piece.head]));
            }
            slices.push(IoSlice::new(&received[piece.span()]));
            from = at;
        }
        if out.len() > from {
            slices.push(IoSlice::new(&out[from..]));
        }
    }
}

/// `to.copy_from_slice(from)` for at most 16 bytes, as two overlapping fixed-size moves: a
/// copy of a length known only at run time is a call to `memcpy`, which costs more here
/// than the copy.
fn copy_short(to: &mut [u8], from: &[u8]) {
    fn halves<const N: usize>(to: &mut [u8], from: &[u8]) {
        let len = to.len();
        to[..N].copy_from_slice(&from[..N]);
        to[len - N..].copy_from_slice(&from[len - N..]);
    }
    debug_assert!(to.len() == from.len() && to.len() <= 16);
    match to.len() {
        8.. => halves::<8>(to, from),
        4.. => halves::<4>(to, from),
        2.. => halves::<2>(to, from),
        _ => to.copy_from_slice(from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::socket_pair as pair;
    use std::io::{Read, Write};

    /// Queues `b"<0>"`, piece 0, `b"<1>"`, piece 1, `b"<2>"` after what `out` holds, where
    /// the pieces are the halves of `received` past its first byte: what a callback would.
    fn queue(received: &[u8], borrowed: &mut Borrowed, out: &mut Vec<u8>) {
        let mut lender = Lender::new(Received::of(received), borrowed);
        let half = (received.len() - 1) / 2;
        out.extend_from_slice(b"<0>");
        assert!(lender.lend(&received[1..1 + half], out.len()));
        out.extend_from_slice(b"<1>");
        assert!(lender.lend(&received[1 + half..], out.len()));
        out.extend_from_slice(b"<2>");
        assert_eq!(lender.pending(), received.len() - 1);
    }

    fn expected(received: &[u8]) -> Vec<u8> {
        let half = (received.len() - 1) / 2;
        [
            b"<0>",
            &received[1..1 + half],
            b"<1>",
            &received[1 + half..],
            b"<2>",
        ]
        .concat()
    }

    #[test]
    fn only_payloads_inside_the_received_bytes_are_borrowed() {
        let buf = vec![7u8; 4096];
        let (received, outside) = buf.split_at(2048);
        let mut borrowed = Borrowed::default();
        let mut lender = Lender::new(Received::of(received), &mut borrowed);
        assert!(!lender.lend(outside, 0), "after the received bytes");
        assert!(!lender.lend(&buf[2000..2100], 0), "straddling their end");
        assert!(!lender.lend(&[7; 2048], 0), "elsewhere");
        assert!(lender.lend(received, 0), "all of them");
        assert!(lender.lend(&received[2048..], 0), "empty, at the end");
        assert_eq!(lender.pending(), 2048);
    }

    #[test]
    fn a_full_list_makes_the_sender_copy() {
        let received = vec![1u8; 64];
        let mut borrowed = Borrowed::default();
        let mut lender = Lender::new(Received::of(&received), &mut borrowed);
        for at in 0..MAX_PIECES {
            assert!(lender.lend(&received[at..at + 1], at));
        }
        assert!(!lender.lend(&received[..1], MAX_PIECES));
        assert_eq!(borrowed.pieces.len(), MAX_PIECES);
    }

    #[test]
    fn written_in_order_with_the_output_around_them() {
        let (stream, mut peer) = pair();
        let mut received: Vec<u8> = (0..3001).map(|i: u32| (i % 251) as u8).collect();
        let mut borrowed = Borrowed::default();
        let mut out = Vec::new();
        queue(&received, &mut borrowed, &mut out);
        let mut pos = 0;
        borrowed.write(&stream, &mut received, &mut out, &mut pos);
        assert!(out.is_empty() && pos == 0 && borrowed.is_empty());
        let want = expected(&received);
        let mut wire = vec![0; want.len()];
        peer.read_exact(&mut wire).expect("read");
        assert_eq!(wire, want);
    }

    #[test]
    fn what_the_socket_does_not_take_is_copied_in_order() {
        let (stream, mut peer) = pair();
        // More than the socket buffers hold: the write is partial.
        let mut received: Vec<u8> = (0..(32 << 20) + 1).map(|i: u32| (i % 251) as u8).collect();
        let mut borrowed = Borrowed::default();
        let mut out = b"written before".to_vec();
        let mut pos = out.len();
        queue(&received, &mut borrowed, &mut out);
        let want = expected(&received);
        borrowed.write(&stream, &mut received, &mut out, &mut pos);
        assert!(borrowed.is_empty() && pos == 0);
        assert!(!out.is_empty() && out.len() < want.len(), "a partial write");
        let mut wire = vec![0; want.len() - out.len()];
        peer.read_exact(&mut wire).expect("what was written");
        wire.extend_from_slice(&out);
        assert!(wire == want, "the written bytes, then the copied rest");
    }

    /// Two echoes as a server makes them: each payload lies after its 6-byte client header
    /// (a 2-byte one, then a mask); each server header (2 bytes) goes right before it.
    fn echoes(
        received: &[u8],
        count: usize,
        borrowed: &mut Borrowed,
        out: &mut Vec<u8>,
    ) -> Vec<u8> {
        let mut lender = Lender::new(Received::of(received), borrowed);
        let half = received.len() / 2;
        let mut want = Vec::new();
        for payload in [&received[6..half], &received[half + 6..]]
            .into_iter()
            .take(count)
        {
            let head = [0x82, payload.len() as u8];
            out.extend_from_slice(&head);
            assert!(lender.lend(payload, out.len()));
            want.extend_from_slice(&head);
            want.extend_from_slice(payload);
        }
        want
    }

    #[test]
    fn a_header_goes_out_from_where_the_payload_header_lay() {
        let (stream, mut peer) = pair();
        let mut received: Vec<u8> = (0..212).map(|i: u32| i as u8).collect();
        let mut borrowed = Borrowed::default();
        let mut out = Vec::new();
        let want = echoes(&received, 2, &mut borrowed, &mut out);
        let mut pos = 0;
        borrowed.write(&stream, &mut received, &mut out, &mut pos);
        assert!(out.is_empty() && borrowed.is_empty());
        assert_eq!(
            &received[4..6],
            [0x82, 100],
            "moved ahead of the first payload"
        );
        assert_eq!(&received[110..112], [0x82, 100], "and of the second");
        let mut wire = vec![0; want.len()];
        peer.read_exact(&mut wire).expect("read");
        assert_eq!(wire, want);
    }

    #[test]
    fn joined_headers_are_copied_in_order_when_the_socket_is_full() {
        // One echo (written from where it lies as one slice) and two (gathered).
        for count in [1, 2] {
            let (stream, mut peer) = pair();
            let mut filler = &stream;
            let mut filled = 0;
            while let Ok(n) = filler.write(&[0; 1 << 16]) {
                filled += n;
            }
            let mut received: Vec<u8> = (0..212).map(|i: u32| i as u8).collect();
            let mut borrowed = Borrowed::default();
            let mut out = Vec::new();
            let want = echoes(&received, count, &mut borrowed, &mut out);
            let mut pos = 0;
            borrowed.write(&stream, &mut received, &mut out, &mut pos);
            assert_eq!(out, want, "{count} echoes");
            let mut drained = vec![0; filled];
            peer.read_exact(&mut drained).expect("the filler");
        }
    }

    #[test]
    fn one_echo_partly_written_leaves_the_rest_in_order() {
        let (stream, mut peer) = pair();
        let mut received: Vec<u8> = (0..(32 << 20) + 12).map(|i: u32| (i % 251) as u8).collect();
        let mut borrowed = Borrowed::default();
        let mut lender = Lender::new(Received::of(&received), &mut borrowed);
        let payload = &received[14..];
        let head = [0x82, 127, 0, 0, 0, 0, 2, 0, 0, 0];
        let mut out = head.to_vec();
        assert!(lender.lend(payload, out.len()));
        let want = [&head[..], payload].concat();
        let mut pos = 0;
        borrowed.write(&stream, &mut received, &mut out, &mut pos);
        assert!(!out.is_empty() && out.len() < want.len(), "a partial write");
        let mut wire = vec![0; want.len() - out.len()];
        peer.read_exact(&mut wire).expect("what was written");
        wire.extend_from_slice(&out);
        assert!(wire == want, "the written bytes, then the copied rest");
    }

    #[test]
    fn short_copies_of_every_length() {
        let from: Vec<u8> = (1..=16).collect();
        for len in 0..=16 {
            let mut to = [0u8; 16];
            copy_short(&mut to[..len], &from[..len]);
            assert_eq!(&to[..len], &from[..len]);
            assert!(
                to[len..].iter().all(|&b| b == 0),
                "{len}: nothing past the end"
            );
        }
    }

    #[test]
    fn a_full_socket_leaves_it_all_copied() {
        let (stream, peer) = pair();
        let mut filler = &stream;
        while filler.write(&[0; 1 << 16]).is_ok() {}
        let mut received = vec![9u8; 5001];
        let mut borrowed = Borrowed::default();
        let mut out = Vec::new();
        queue(&received, &mut borrowed, &mut out);
        let mut pos = 0;
        borrowed.write(&stream, &mut received, &mut out, &mut pos);
        assert_eq!(out, expected(&received));
        drop(peer);
    }
}
