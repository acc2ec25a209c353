//! Large messages through the mio loop, where a frame's payload is read straight into the
//! connection's own buffer and an echo is written straight from it: messages arriving in
//! many reads of odd sizes (UTF-8 split across them), fragments with a ping between them,
//! a frame pipelined right behind a large one, a peer too slow to take an echo at once, and
//! invalid UTF-8 deep inside a large text frame.

mod support;

use std::io::Read;
use std::time::{Duration, Instant};

use sansws_mio::Options;
use support::{client_frame, pattern, text, write_in_pieces, RawPeer, Recorder, Server, LIMIT};

/// A server echoing every message, with the spare-buffer limit given.
fn echo_server(spare_buffers_len: usize) -> Server<Recorder> {
    let (mut echo, _) = Recorder::echo();
    echo.report_messages = false;
    Server::start(
        echo,
        Options {
            spare_buffers_len,
            ..Options::default()
        },
    )
}

/// A 16 MiB binary message and a 3 MiB text message (three-byte characters split across
/// reads), each arriving in many reads, echo intact; a small frame written right behind the
/// large one in the same write is echoed after it.
#[test]
fn large_messages_in_many_reads_echo_intact() {
    for spare in [0, 16 << 20] {
        let server = echo_server(spare);
        let (mut peer, _) = RawPeer::upgrade(server.addr, "");
        for seed in 0..2 {
            let binary = pattern(16 << 20, seed);
            write_in_pieces(&mut peer, &client_frame(0x82, &binary));
            assert!(peer.read_frame() == Some((0x82, binary)), "binary echo");

            let text = text(3 << 20, seed);
            let mut bytes = client_frame(0x81, text.as_bytes());
            bytes.extend(client_frame(0x81, b"right behind"));
            write_in_pieces(&mut peer, &bytes);
            assert!(
                peer.read_frame() == Some((0x81, text.into_bytes())),
                "text echo"
            );
            assert_eq!(peer.read_frame(), Some((0x81, b"right behind".to_vec())));
        }
    }
}

/// A message in three large fragments, a ping between two of them (and the first
/// fragment's header written alone): the pong comes first, then the whole message.
#[test]
fn large_fragments_with_a_ping_between() {
    let server = echo_server(16 << 20);
    let (mut peer, _) = RawPeer::upgrade(server.addr, "");
    let parts = [
        pattern(300_000, 1),
        pattern(100_000, 2),
        pattern(700_001, 3),
    ];
    let first = client_frame(0x02, &parts[0]);
    peer.write(&first[..14]);
    std::thread::sleep(Duration::from_millis(20));
    write_in_pieces(&mut peer, &first[14..]);
    peer.write(&client_frame(0x89, b"between"));
    write_in_pieces(&mut peer, &client_frame(0x00, &parts[1]));
    write_in_pieces(&mut peer, &client_frame(0x80, &parts[2]));
    assert_eq!(peer.read_frame(), Some((0x8A, b"between".to_vec())));
    assert!(
        peer.read_frame() == Some((0x82, parts.concat())),
        "the reassembled echo"
    );
}

/// A peer that does not read while the server echoes 8 MiB, then reads slowly: the part
/// of the echo the socket did not take at once is queued, and the messages sent after it
/// (a large one, then a small one) are echoed after it, not in between.
#[test]
fn an_echo_too_large_for_the_socket_arrives_whole_and_in_order() {
    let server = echo_server(16 << 20);
    let (mut peer, _) = RawPeer::upgrade(server.addr, "");
    let large = pattern(8 << 20, 9);
    let next = pattern(1 << 20, 10);
    let mut bytes = client_frame(0x82, &large);
    bytes.extend(client_frame(0x82, &next));
    bytes.extend(client_frame(0x81, b"after"));
    peer.write(&bytes);
    std::thread::sleep(Duration::from_millis(200));

    let mut wire = Vec::new();
    let mut chunk = [0; 4096];
    let deadline = Instant::now() + LIMIT;
    let expected = 10 + large.len() + 10 + next.len() + 2 + 5;
    while wire.len() < expected {
        assert!(
            Instant::now() < deadline,
            "echo incomplete: {} bytes",
            wire.len()
        );
        let n = peer.stream.read(&mut chunk).expect("read");
        assert!(n > 0, "the server closed");
        wire.extend_from_slice(&chunk[..n]);
        if wire.len() < 256 * 1024 {
            // Slowly at first, so the server's writes fill the socket.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    peer.buf = wire;
    assert!(peer.read_frame() == Some((0x82, large)), "the large echo");
    assert!(
        peer.read_frame() == Some((0x82, next)),
        "the next large echo"
    );
    assert_eq!(peer.read_frame(), Some((0x81, b"after".to_vec())));
}

/// Invalid UTF-8 deep inside a large text frame, read straight in, fails the connection
/// with 1007 like anywhere else; the server stays up for others.
#[test]
fn invalid_utf8_inside_a_large_text_frame_closes_with_1007() {
    let server = echo_server(16 << 20);
    let (mut peer, _) = RawPeer::upgrade(server.addr, "");
    let mut payload = text(2 << 20, 4).into_bytes();
    payload[1_500_000] = 0xFF;
    write_in_pieces(&mut peer, &client_frame(0x81, &payload));
    let (first, close) = peer.read_frame().expect("a close frame");
    assert_eq!(first, 0x88);
    assert_eq!(&close[..2], &1007u16.to_be_bytes());
    assert!(peer.read_to_end().is_empty(), "nothing after the close");

    let (mut other, _) = RawPeer::upgrade(server.addr, "");
    other.write(&client_frame(0x81, b"still here"));
    assert_eq!(other.read_frame(), Some((0x81, b"still here".to_vec())));
}
