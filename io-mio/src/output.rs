//! Writing straight to the socket while nothing is queued, queuing only what it does not
//! take: a large message sent by a server then goes out from where it lies (e.g. the message
//! being echoed), without first being copied into the connection's output buffer.

use std::io::{self, IoSlice, Write};

use mio::net::TcpStream;
use sansws::frame::{FrameHeader, OpCode, MAX_HEADER_LEN};
use sansws::{Connection, MessageKind};

use crate::deflate;
use crate::readiness::SHORT_IO_EXHAUSTS;

/// Messages with at least this many payload bytes are written straight out. Smaller ones are
/// queued, so a burst of them costs one write; above it the copy costs more than a write.
pub(crate) const WRITE_THROUGH_MIN: usize = 64 * 1024;

/// The header that [`Connection::send_to_vec`] would write before `len` payload bytes of
/// `kind`, when that is all it would write: a server (nothing to mask) that may send, a
/// message that fits in one frame, and no permessage-deflate (which may compress it).
/// `None` otherwise (send through the core then).
pub(crate) fn unmasked_header(
    core: &Connection,
    kind: MessageKind,
    len: usize,
    head: &mut [u8; MAX_HEADER_LEN],
) -> Option<usize> {
    if core.role().masks_outgoing()
        || !core.is_open()
        || len > core.config().max_send_frame_len
        || deflate::is_on(core)
    {
        return None;
    }
    let header = FrameHeader {
        fin: true,
        rsv: 0,
        opcode: match kind {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        },
        mask: None,
        payload_len: len as u64,
    };
    header.encode(head).ok()
}

/// Writes `head` then `body` straight to `stream` if nothing is queued in `out`, and queues
/// in `out` whatever the socket did not take. A failed write is left for the next flush of
/// `out` to report.
pub(crate) fn write_through(
    mut stream: &TcpStream,
    mut head: &[u8],
    mut body: &[u8],
    out: &mut Vec<u8>,
) {
    while out.is_empty() && !(head.is_empty() && body.is_empty()) {
        let parts = [IoSlice::new(head), IoSlice::new(body)];
        match stream.write_vectored(&parts) {
            Ok(0) => break,
            Ok(n) if n < head.len() => head = &head[n..],
            Ok(n) => {
                body = &body[n - head.len()..];
                head = &[];
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
        if SHORT_IO_EXHAUSTS {
            break; // all written, or the send buffer is full
        }
    }
    out.extend_from_slice(head);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::socket_pair as pair;
    use sansws::{Config, Instant};
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

    fn open_server(config: Config) -> Connection {
        let mut core = Connection::server(config, Instant::ZERO);
        core.upgraded(Instant::ZERO);
        core
    }

    #[test]
    fn the_header_is_what_the_core_would_write() {
        for len in [0, 1, 125, 126, 65_535, 65_536, 1 << 20] {
            for kind in [MessageKind::Text, MessageKind::Binary] {
                let payload = vec![b'a'; len];
                let mut core = open_server(Config::default());
                let mut head = [0; MAX_HEADER_LEN];
                let head_len = unmasked_header(&core, kind, len, &mut head).expect("a header");
                let mut wire = Vec::new();
                core.send_to_vec(kind, &payload, &mut wire).expect("send");
                assert_eq!(&wire[..head_len], &head[..head_len], "{kind:?} {len}");
                assert_eq!(wire.len(), head_len + len);
            }
        }
    }

    #[test]
    fn no_header_when_the_core_must_do_more() {
        let mut head = [0; MAX_HEADER_LEN];
        let binary = MessageKind::Binary;
        let client = Connection::client(Config::default(), |_| {}, Instant::ZERO);
        assert_eq!(unmasked_header(&client, binary, 10, &mut head), None);
        let upgrading = Connection::server(Config::default(), Instant::ZERO);
        assert_eq!(unmasked_header(&upgrading, binary, 10, &mut head), None);
        let split = open_server(Config {
            max_send_frame_len: 100,
            ..Config::default()
        });
        assert!(unmasked_header(&split, binary, 100, &mut head).is_some());
        assert_eq!(unmasked_header(&split, binary, 101, &mut head), None);
        let mut closing = open_server(Config::default());
        closing
            .close(Instant::ZERO, sansws::CloseCode::NORMAL, "")
            .expect("close");
        assert_eq!(unmasked_header(&closing, binary, 10, &mut head), None);
    }

    #[cfg(feature = "deflate")]
    #[test]
    fn no_header_when_the_core_may_compress() {
        use sansws::deflate::{DeflateConfig, DeflateParams};
        let mut head = [0; MAX_HEADER_LEN];
        let mut core = open_server(Config::default());
        core.enable_deflate(DeflateParams::default(), &DeflateConfig::default());
        let len = WRITE_THROUGH_MIN;
        assert_eq!(
            unmasked_header(&core, MessageKind::Text, len, &mut head),
            None
        );
        let mut wire = Vec::new();
        (core.send_to_vec(MessageKind::Text, &vec![b'a'; len], &mut wire)).expect("send");
        assert_eq!(wire[0], 0xC1, "RSV1: the core compressed it");
    }
}
