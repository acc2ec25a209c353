//! The sans-IO property: however a byte stream is cut into reads, the connection reports the
//! same messages and events and writes the same answers — through the no-alloc API (pieces
//! reassembled; the bytes of frames under way also through `handle_payload`, as an adapter
//! reading large frames straight into place hands them over) and the buffered API alike.
//!
//! A recorded client→server stream with every kind of frame is fed whole, cut at every single
//! point, one byte at a time, and (for a short stream) cut at every pair of points. Inside the
//! 70 000-byte payload the single cuts are sampled (its first and last 128 offsets and every
//! 1999th between), which keeps the suite fast in debug builds; every header and every small
//! frame is cut at every byte.

mod support;

use sansws::MessageKind;
use support::driver::{Driver, Got};
use support::wire::{client_frame_with, close_payload, BINARY, CLOSE, CONT, PING, PONG, TEXT};
use support::{quiet, server, T0};

/// A masking key per frame, so mask phases differ from frame to frame.
fn key(i: u8) -> [u8; 4] {
    [0x11 ^ i, 0x9D, 0x40 | i, 0xF3 ^ i.wrapping_mul(7)]
}

/// A short stream: a text message fragmented inside a code point with a ping between the
/// fragments, an empty fragment, binary, empty text, a pong and a close.
fn short_stream() -> (Vec<u8>, Vec<Got>) {
    let stream = [
        client_frame_with(TEXT, false, key(1), b"h\xC3"),
        client_frame_with(PING, true, key(2), b"pi"),
        client_frame_with(CONT, false, key(3), b"\xA9l"),
        client_frame_with(CONT, false, key(4), b""),
        client_frame_with(CONT, true, key(5), b"lo"),
        client_frame_with(BINARY, true, key(6), &[0, 1, 2]),
        client_frame_with(TEXT, true, key(7), b""),
        client_frame_with(PONG, true, key(8), b"q"),
        client_frame_with(CLOSE, true, key(9), &close_payload(1000, b"k")),
    ]
    .concat();
    let expected = vec![
        Got::Ping(b"pi".to_vec()),
        Got::text("héllo"),
        Got::binary(&[0, 1, 2]),
        Got::text(""),
        Got::Pong(b"q".to_vec()),
        Got::Close(Some(1000), "k".into()),
    ];
    (stream, expected)
}

/// The full stream, and where its 70 000-byte payload lies.
fn full_stream() -> (Vec<u8>, Vec<Got>, core::ops::Range<usize>) {
    let big: Vec<u8> = (0..70_000u32).map(|i| (i * 31 % 256) as u8).collect();
    let text_126: String = "abcdé".repeat(21); // 126 bytes, multi-byte chars across the cut
    assert_eq!(text_126.len(), 126);
    let mut stream = [
        client_frame_with(TEXT, true, key(10), "naïve".as_bytes()),
        client_frame_with(BINARY, true, key(11), b""),
        client_frame_with(BINARY, true, key(12), &[0x7E; 125]),
        client_frame_with(TEXT, true, key(13), text_126.as_bytes()),
        client_frame_with(BINARY, false, key(14), b"frag-"),
        client_frame_with(PING, true, key(15), b"between"),
        client_frame_with(CONT, true, key(16), b"mented"),
    ]
    .concat();
    let big_frame = client_frame_with(BINARY, true, key(17), &big);
    let big_payload = stream.len() + 14..stream.len() + big_frame.len();
    stream.extend_from_slice(&big_frame);
    stream.extend(client_frame_with(PING, true, key(18), b""));
    stream.extend(client_frame_with(
        CLOSE,
        true,
        key(19),
        &close_payload(4321, b"done"),
    ));
    let expected = vec![
        Got::text("naïve"),
        Got::binary(b""),
        Got::binary(&[0x7E; 125]),
        Got::text(&text_126),
        Got::Ping(b"between".to_vec()),
        Got::binary(b"frag-mented"),
        Got::binary(&big),
        Got::Ping(Vec::new()),
        Got::Close(Some(4321), "done".into()),
    ];
    (stream, expected, big_payload)
}

/// The no-alloc API fed `stream` cut at `cuts`: what it reported and what it wrote.
fn no_alloc(stream: &[u8], cuts: &[usize]) -> (Vec<Got>, Vec<u8>) {
    let mut d = Driver::new(server(quiet()));
    d.feed_split(T0, stream, cuts);
    (d.got, d.wire)
}

/// The no-alloc API fed `stream` cut at `cuts`, the bytes of frames under way through
/// `handle_payload`: the pieces must be those `handle_read` hands out.
fn no_alloc_direct(stream: &[u8], cuts: &[usize]) -> (Vec<Got>, Vec<u8>) {
    let mut general = Driver::new(server(quiet()));
    general.feed_split(T0, stream, cuts);
    let mut direct = Driver::direct(server(quiet()));
    direct.feed_split(T0, stream, cuts);
    assert_eq!(direct.pieces, general.pieces, "pieces, cuts {cuts:?}");
    (direct.got, direct.wire)
}

/// The buffered API fed `stream` cut at `cuts`, polling after every read.
#[cfg(feature = "alloc")]
fn buffered(stream: &[u8], cuts: &[usize]) -> (Vec<Got>, Vec<u8>) {
    use sansws::conn::{Incoming, WebSocket};

    let mut ws = WebSocket::new(server(quiet()));
    let mut got = Vec::new();
    let mut closed = 0;
    let mut from = 0;
    for &cut in cuts.iter().chain(Some(&stream.len())) {
        ws.handle_read(T0, &stream[from..cut]);
        from = cut;
        loop {
            match ws.poll_event() {
                Ok(None) => break,
                Ok(Some(event)) => got.push(match event {
                    Incoming::Message(message) => {
                        Got::Message(message.kind(), message.payload().to_vec())
                    }
                    Incoming::Ping(payload) => Got::Ping(payload.to_vec()),
                    Incoming::Pong(payload) => Got::Pong(payload.to_vec()),
                    Incoming::Close { code, reason } => Got::Close(
                        code.map(|c| c.0),
                        String::from_utf8(reason.to_vec()).expect("validated"),
                    ),
                    Incoming::Closed(_) => {
                        closed += 1;
                        continue;
                    }
                }),
                Err(err) => got.push(Got::Error(err)),
            }
        }
    }
    assert_eq!(closed, 1, "Closed reported {closed} times at cuts {cuts:?}");
    let wire = ws.transmit_chunks().flatten().copied().collect();
    (got, wire)
}

/// Both APIs give `expected` and the reference answers for `stream` cut at `cuts`.
fn check(stream: &[u8], cuts: &[usize], expected: &[Got], answers: &[u8]) {
    let (got, wire) = no_alloc(stream, cuts);
    assert_eq!(got, expected, "no-alloc, cuts {cuts:?}");
    assert_eq!(wire, answers, "no-alloc answers, cuts {cuts:?}");
    let (got, wire) = no_alloc_direct(stream, cuts);
    assert_eq!(got, expected, "no-alloc direct, cuts {cuts:?}");
    assert_eq!(wire, answers, "no-alloc direct answers, cuts {cuts:?}");
    #[cfg(feature = "alloc")]
    {
        let (got, wire) = buffered(stream, cuts);
        assert_eq!(got, expected, "buffered, cuts {cuts:?}");
        assert_eq!(wire, answers, "buffered answers, cuts {cuts:?}");
    }
}

/// The answers a server owes the stream: the pongs, then the close echo.
fn answers_for(stream: &[u8], expected: &[Got]) -> Vec<u8> {
    let (got, wire) = no_alloc(stream, &[]);
    assert_eq!(got, expected, "whole stream");
    let mut owed = Vec::new();
    for event in expected {
        match event {
            Got::Ping(payload) => owed.extend(support::wire::server_frame(PONG, true, payload)),
            Got::Close(code, _) => {
                let echo = close_payload(code.unwrap_or(1000), b"");
                owed.extend(support::wire::server_frame(CLOSE, true, &echo));
            }
            _ => {}
        }
    }
    assert_eq!(wire, owed);
    wire
}

#[test]
fn short_stream_cut_at_every_point() {
    let (stream, expected) = short_stream();
    let answers = answers_for(&stream, &expected);
    for cut in 0..=stream.len() {
        check(&stream, &[cut], &expected, &answers);
    }
}

#[test]
fn short_stream_cut_at_every_pair_of_points() {
    let (stream, expected) = short_stream();
    let answers = answers_for(&stream, &expected);
    for a in 1..stream.len() {
        for b in a..stream.len() {
            check(&stream, &[a, b], &expected, &answers);
        }
    }
}

#[test]
fn full_stream_cut_at_every_point() {
    let (stream, expected, big) = full_stream();
    let answers = answers_for(&stream, &expected);
    let cuts = (0..=stream.len()).filter(|&cut| {
        !big.contains(&cut)
            || cut < big.start + 128
            || cut + 128 >= big.end
            || (cut - big.start) % 1999 == 0
    });
    let mut count = 0;
    for cut in cuts {
        check(&stream, &[cut], &expected, &answers);
        count += 1;
    }
    assert!(count > 600, "{count} cuts");
}

#[test]
fn full_stream_one_byte_at_a_time() {
    let (stream, expected, _) = full_stream();
    let answers = answers_for(&stream, &expected);
    let cuts: Vec<usize> = (1..stream.len()).collect();
    check(&stream, &cuts, &expected, &answers);
}

#[test]
fn full_stream_in_reads_of_uneven_sizes() {
    let (stream, expected, _) = full_stream();
    let answers = answers_for(&stream, &expected);
    for step in [2, 3, 5, 13, 127, 1000, 4096, 65_537] {
        let cuts: Vec<usize> = (1..stream.len()).filter(|c| c % step == 0).collect();
        check(&stream, &cuts, &expected, &answers);
    }
}

#[test]
fn a_frame_that_arrives_whole_is_one_piece() {
    // The no-alloc API hands out what arrived: fed at once, each single-frame message is one
    // piece (first and last), and the fragmented one is one piece per frame.
    let (stream, _, _) = full_stream();
    let mut d = Driver::new(server(quiet()));
    d.feed(T0, &stream);
    let single: Vec<_> = d.pieces.iter().filter(|p| p.2 && p.3).collect();
    assert_eq!(single.len(), 5, "{:?}", d.pieces);
    let fragmented: Vec<_> = d.pieces.iter().filter(|p| !(p.2 && p.3)).collect();
    assert_eq!(
        fragmented,
        [
            &(MessageKind::Binary, 5, true, false),
            &(MessageKind::Binary, 6, false, true)
        ]
    );
}
