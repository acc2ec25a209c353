//! Writing straight to the socket while nothing is queued, queuing only what it does not
//! take: a large message sent by a server then goes out from where it lies (e.g. the message
//! being echoed), without first being copied into the connection's output buffer.

use std::io::{self, IoSlice};

use mio::net::TcpStream;

use crate::readiness::SHORT_IO_EXHAUSTS;
use crate::socket;

/// Messages with at least this many payload bytes are written straight out. Smaller ones are
/// queued, so a burst of them costs one write; above it the copy costs more than a write.
pub(crate) const WRITE_THROUGH_MIN: usize = 64 * 1024;

/// Writes `head` then `body` straight to `stream` if nothing is queued in `out`, and queues
/// in `out` whatever the socket did not take. A failed write is left for the next flush of
/// `out` to report.
pub(crate) fn write_through(
    stream: &TcpStream,
    mut head: &[u8],
    mut body: &[u8],
    out: &mut Vec<u8>,
) {
    while out.is_empty() && !(head.is_empty() && body.is_empty()) {
        let written = write_once(stream, &[IoSlice::new(head), IoSlice::new(body)]);
        if written == 0 {
            break;
        }
        if written < head.len() {
            head = &head[written..];
        } else {
            body = &body[written - head.len()..];
            head = &[];
        }
        if SHORT_IO_EXHAUSTS {
            break; // all written, or the send buffer is full
        }
    }
    out.extend_from_slice(head);
    out.extend_from_slice(body);
}

/// One write of `parts` in order; the bytes it took (0 if it took none or failed). One
/// non-empty part goes with a plain write, which a socket serves more cheaply than a
/// vectored one.
pub(crate) fn write_once(stream: &TcpStream, parts: &[IoSlice<'_>]) -> usize {
    loop {
        let written = match parts {
            [one] => socket::send(stream, one),
            [first, second] if second.is_empty() => socket::send(stream, first),
            [first, second] if first.is_empty() => socket::send(stream, second),
            _ => socket::send_vectored(stream, parts),
        };
        match written {
            Ok(n) => return n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::socket_pair as pair;
    use std::io::Read;

    #[test]
    fn written_straight_only_while_nothing_is_queued() {
        let (stream, mut peer) = pair();
        let mut out = Vec::new();
        write_through(&stream, b"head", b"body", &mut out);
        assert!(out.is_empty());
        let mut got = [0; 8];
        peer.read_exact(&mut got).expect("read");
        assert_eq!(&got, b"headbody");

        let mut out = b"queued".to_vec();
        write_through(&stream, b"head", b"body", &mut out);
        assert_eq!(
            out, b"queuedheadbody",
            "behind what is queued, not ahead of it"
        );
        peer.set_nonblocking(true).expect("nonblocking");
        let err = peer.read(&mut got).expect_err("nothing was written");
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn what_the_socket_does_not_take_is_queued_in_order() {
        let (stream, mut peer) = pair();
        let head = [0x82, 127, 0, 0, 0, 0, 1, 0, 0, 0];
        let body: Vec<u8> = (0..16 << 20).map(|i: u32| (i % 251) as u8).collect();
        let mut out = Vec::new();
        write_through(&stream, &head, &body, &mut out);
        let total = head.len() + body.len();
        assert!(!out.is_empty() && out.len() < total, "a partial write");
        let mut wire = vec![0; total - out.len()];
        peer.read_exact(&mut wire).expect("what was written");
        wire.extend_from_slice(&out);
        assert!(wire[..head.len()] == head && wire[head.len()..] == body[..]);
    }
}
