//! The frame codec on its own, below the connection: what one header costs to decode and to
//! encode, and how fast a stream of small frames goes through the decoder, raw and through the
//! full receive engine.
//!
//! - `frame_header`: `FrameHeader::decode` and `FrameHeader::encode` of one binary frame header
//!   in each length form, masked (as a server receives them) and unmasked (as a client does):
//!   `7bit` (14-byte payload: 2 or 6 header bytes), `16bit` (1 KiB: 4 or 8) and `64bit`
//!   (1 MiB: 10 or 14). Decode gets only the header bytes (it never reads the payload); encode
//!   writes into a 14-byte buffer. Throughput is in headers.
//! - `frame_stream_100k_14B_text`: a buffer of 100,000 masked 14-byte text frames as a client
//!   sends them (20 bytes each, a different masking key per frame), walked from start to end by
//!   a server. `decode_unmask`: `FrameHeader::decode` plus `apply_mask` on each payload, the
//!   floor of any receiver; `decode_unmask_utf8`: the same plus `Utf8Validator` on each payload
//!   (what a receiver must do with text); `connection_handle_read`: an upgraded server
//!   `Connection` fed the buffer through `handle_read`, one event per frame (header rules,
//!   message state, unmasking and UTF-8 validation in place). Every iteration gets a fresh copy
//!   of the masked buffer in the untimed setup, since unmasking works in place. Throughput is
//!   in frames.

use criterion::{black_box, BatchSize, BenchmarkId, Criterion, Throughput};
use sansws::frame::{apply_mask, FrameHeader, FrameRules, OpCode, MAX_HEADER_LEN};
use sansws::utf8::Utf8Validator;
use sansws::{Config, Connection, Event, Instant, MessageKind, Role, Status};

/// The masking key of the single-header benches.
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
/// One payload length per length form of the header.
const FORMS: [(&str, u64); 3] = [("7bit", 14), ("16bit", 1 << 10), ("64bit", 1 << 20)];
/// The text of every frame in the stream.
const PAYLOAD: &[u8; 14] = b"Hello, World!!";
/// Frames in the stream.
const FRAMES: usize = 100_000;
/// The sansws clock: constant, no timer is due.
const NOW: Instant = Instant::ZERO;

fn bench_header(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_header");
    group.throughput(Throughput::Elements(1));
    for (form, payload_len) in FORMS {
        for (masking, mask, receiver) in [
            ("masked", Some(KEY), Role::Server),
            ("unmasked", None, Role::Client),
        ] {
            let header = FrameHeader {
                fin: true,
                rsv: 0,
                opcode: OpCode::Binary,
                mask,
                payload_len,
            };
            let rules = FrameRules::new(receiver);
            let mut wire = [0u8; MAX_HEADER_LEN];
            let len = header.encode(&mut wire).unwrap();
            let wire = &wire[..len];
            assert_eq!(
                FrameHeader::decode(wire, &rules),
                Ok(Status::Complete((header, len)))
            );

            let id = BenchmarkId::new(format!("decode/{masking}"), form);
            group.bench_function(id, |b| {
                b.iter(|| FrameHeader::decode(black_box(wire), black_box(&rules)))
            });
            let id = BenchmarkId::new(format!("encode/{masking}"), form);
            let mut out = [0u8; MAX_HEADER_LEN];
            group.bench_function(id, |b| {
                b.iter(|| black_box(header).encode(black_box(&mut out)))
            });
        }
    }
    group.finish();
}

/// `FRAMES` masked text frames carrying [`PAYLOAD`], one after the other, each with its own key.
fn client_stream() -> Vec<u8> {
    let frame_len = 2 + 4 + PAYLOAD.len();
    let mut stream = vec![0u8; FRAMES * frame_len];
    for (i, frame) in stream.chunks_exact_mut(frame_len).enumerate() {
        // Any key will do; this one differs from frame to frame, as a client's random keys do.
        let key = (i as u32).wrapping_mul(0x9E37_79B9).to_le_bytes();
        let header = FrameHeader {
            fin: true,
            rsv: 0,
            opcode: OpCode::Text,
            mask: Some(key),
            payload_len: PAYLOAD.len() as u64,
        };
        let at = header.encode(frame).unwrap();
        frame[at..].copy_from_slice(PAYLOAD);
        apply_mask(&mut frame[at..], key, 0);
    }
    stream
}

/// Walks the stream with the header decoder, unmasking each payload in place (and validating
/// it as UTF-8 with `utf8`); returns the number of frames.
fn decode_stream(stream: &mut [u8], rules: &FrameRules, utf8: bool) -> usize {
    let mut at = 0;
    let mut frames = 0;
    while at < stream.len() {
        let (header, header_len) = match FrameHeader::decode(&stream[at..], rules) {
            Ok(Status::Complete(decoded)) => decoded,
            other => panic!("frame {frames}: {other:?}"),
        };
        let start = at + header_len;
        let end = start + header.payload_len as usize;
        let payload = &mut stream[start..end];
        if let Some(key) = header.mask {
            apply_mask(payload, key, 0);
        }
        if utf8 {
            let mut validator = Utf8Validator::new();
            validator.feed(payload).unwrap();
            validator.finish().unwrap();
        }
        black_box(&*payload);
        frames += 1;
        at = end;
    }
    frames
}

/// An upgraded server connection with the default configuration.
fn server() -> Connection {
    let mut conn = Connection::server(Config::default(), NOW);
    conn.upgraded(NOW);
    conn
}

/// Feeds the whole stream to `conn`; returns the number of messages it delivered.
fn engine_stream(conn: &mut Connection, stream: &mut [u8]) -> usize {
    let mut at = 0;
    let mut frames = 0;
    while at < stream.len() {
        let read = conn.handle_read(NOW, &mut stream[at..]).unwrap();
        at += read.consumed;
        match read.event {
            Some(Event::Message {
                kind: MessageKind::Text,
                payload,
                first: true,
                last: true,
                ..
            }) => {
                black_box(payload);
                frames += 1;
            }
            other => panic!("frame {frames}: expected a whole text message, got {other:?}"),
        }
    }
    frames
}

fn bench_stream(c: &mut Criterion) {
    let stream = client_stream();
    let rules = FrameRules::new(Role::Server);
    // Every decoder reads the whole stream and sees the text, before anything is timed.
    for utf8 in [false, true] {
        let mut copy = stream.clone();
        assert_eq!(decode_stream(&mut copy, &rules, utf8), FRAMES);
        assert!(copy.starts_with(&[0x81, 0x8e]) && copy[6..20] == *PAYLOAD);
    }
    assert_eq!(engine_stream(&mut server(), &mut stream.clone()), FRAMES);

    let mut group = c.benchmark_group("frame_stream_100k_14B_text");
    group.throughput(Throughput::Elements(FRAMES as u64));
    group.sample_size(20);
    let batch = BatchSize::LargeInput;
    for (name, utf8) in [("decode_unmask", false), ("decode_unmask_utf8", true)] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || stream.clone(),
                |copy| decode_stream(black_box(copy), &rules, utf8),
                batch,
            )
        });
    }
    group.bench_function("connection_handle_read", |b| {
        b.iter_batched_ref(
            || (server(), stream.clone()),
            |(conn, copy)| engine_stream(conn, black_box(copy)),
            batch,
        )
    });
    group.finish();
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_header(&mut criterion);
    bench_stream(&mut criterion);
    criterion.final_summary();
}
