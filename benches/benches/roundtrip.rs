//! The cost of one round trip of a small message (16 bytes of text) between two endpoints in
//! one thread: the client sends, the bytes move over an in-memory duplex stream, the server
//! reads the message and echoes it, the bytes move back, the client reads the echo.
//!
//! Three pairs, each set up once outside the timing loop (so only the steady state is timed),
//! all over the same `Read + Write` stream of `VecDeque<u8>` pipes:
//!
//! - `sansws_websocket`: two buffered `sansws::conn::WebSocket`s (whole messages as `Bytes`);
//! - `sansws_connection`: two no-alloc `sansws::Connection`s on stack buffers;
//! - `tungstenite`: two `tungstenite::WebSocket`s made with `from_raw_socket`, default
//!   configuration;
//! - `tungstenite_4k_read_buffer`: the same with a 4 KiB read buffer instead of 128 KiB (it
//!   zero-fills the free part of that buffer before every read).
//!
//! Both clients mask their frames with keys from their library's usual random source.

use std::io::Write;

use criterion::{black_box, Criterion};
use sansws::conn::{Incoming, Message, WebSocket};
use sansws::entropy::os_entropy;
use sansws::{Config, Connection, Event, Instant, MessageKind};
use sansws_benches::memory::{self, read_all, End};
use tungstenite::protocol::{Role as TRole, WebSocketConfig};
use tungstenite::{Message as TMessage, Utf8Bytes};

/// The message sent and echoed.
const PAYLOAD: &str = "0123456789abcdef";
/// The sansws clock: constant, no timer is due.
const NOW: Instant = Instant::ZERO;

/// A buffered endpoint and its end of the stream.
struct SansPeer {
    ws: WebSocket,
    io: End,
}

impl SansPeer {
    fn new(conn: Connection, io: End) -> Self {
        let mut conn = conn;
        conn.upgraded(NOW);
        SansPeer {
            ws: WebSocket::new(conn),
            io,
        }
    }

    /// Writes everything queued to the stream.
    fn flush(&mut self) {
        let mut written = 0;
        for chunk in self.ws.transmit_chunks() {
            self.io.write_all(chunk).unwrap();
            written += chunk.len();
        }
        self.ws.advance_transmit(written);
    }

    /// Reads what arrived and returns the message it completes.
    fn receive(&mut self, buf: &mut [u8]) -> Message {
        let len = read_all(&mut self.io, buf);
        self.ws.handle_read(NOW, &buf[..len]);
        match self.ws.poll_event() {
            Ok(Some(Incoming::Message(message))) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// Two buffered sansws endpoints.
struct SansPair {
    client: SansPeer,
    server: SansPeer,
    buf: Vec<u8>,
}

impl SansPair {
    fn new() -> Self {
        let (c, s) = memory::pair();
        SansPair {
            client: SansPeer::new(Connection::client(Config::default(), os_entropy, NOW), c),
            server: SansPeer::new(Connection::server(Config::default(), NOW), s),
            buf: vec![0; 4096],
        }
    }

    fn round_trip(&mut self) -> Message {
        // `From<&'static [u8]>` for `Bytes` is a static reference, no copy.
        let message = Message::Text(PAYLOAD.as_bytes().into());
        self.client.ws.send(message).unwrap();
        self.client.flush();
        let echo = self.server.receive(&mut self.buf);
        self.server.ws.send(echo).unwrap();
        self.server.flush();
        self.client.receive(&mut self.buf)
    }
}

/// Two no-alloc sansws endpoints on fixed buffers.
struct ConnPair {
    client: Connection,
    server: Connection,
    client_io: End,
    server_io: End,
    out: [u8; 64],
    buf: [u8; 4096],
}

impl ConnPair {
    fn new() -> Self {
        let (client_io, server_io) = memory::pair();
        let mut client = Connection::client(Config::default(), os_entropy, NOW);
        let mut server = Connection::server(Config::default(), NOW);
        client.upgraded(NOW);
        server.upgraded(NOW);
        ConnPair {
            client,
            server,
            client_io,
            server_io,
            out: [0; 64],
            buf: [0; 4096],
        }
    }

    fn round_trip(&mut self) -> usize {
        let n = self.client.send_text(PAYLOAD, &mut self.out).unwrap();
        self.client_io.write_all(&self.out[..n]).unwrap();

        let len = read_all(&mut self.server_io, &mut self.buf);
        let read = self.server.handle_read(NOW, &mut self.buf[..len]).unwrap();
        let Some(Event::Message { kind, payload, .. }) = read.event else {
            panic!("expected a message");
        };
        let n = self.server.send(kind, payload, &mut self.out).unwrap();
        self.server_io.write_all(&self.out[..n]).unwrap();

        let len = read_all(&mut self.client_io, &mut self.buf);
        let read = self.client.handle_read(NOW, &mut self.buf[..len]).unwrap();
        match read.event {
            Some(Event::Message {
                kind: MessageKind::Text,
                payload,
                ..
            }) => payload.len(),
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// Two tungstenite endpoints.
struct TungPair {
    client: tungstenite::WebSocket<End>,
    server: tungstenite::WebSocket<End>,
}

impl TungPair {
    fn new(config: Option<WebSocketConfig>) -> Self {
        let (c, s) = memory::pair();
        TungPair {
            client: tungstenite::WebSocket::from_raw_socket(c, TRole::Client, config),
            server: tungstenite::WebSocket::from_raw_socket(s, TRole::Server, config),
        }
    }

    fn round_trip(&mut self) -> TMessage {
        let message = TMessage::Text(Utf8Bytes::from_static(PAYLOAD));
        self.client.send(message).unwrap();
        let echo = self.server.read().unwrap();
        self.server.send(echo).unwrap();
        self.client.read().unwrap()
    }
}

fn bench_roundtrip(c: &mut Criterion) {
    let mut sans = SansPair::new();
    let mut conn = ConnPair::new();
    let mut tung = TungPair::new(None);
    // tungstenite zero-fills the free part of its read buffer (128 KiB by default) before
    // each read; a 4 KiB buffer shows its cost with that tuned down.
    let small_reads = WebSocketConfig::default().read_buffer_size(4 << 10);
    let mut tung_4k = TungPair::new(Some(small_reads));
    // Every pair echoes the message intact before it is timed.
    assert_eq!(sans.round_trip().as_text(), Some(PAYLOAD));
    assert_eq!(conn.round_trip(), PAYLOAD.len());
    assert_eq!(tung.round_trip(), TMessage::text(PAYLOAD));
    assert_eq!(tung_4k.round_trip(), TMessage::text(PAYLOAD));

    let mut group = c.benchmark_group("roundtrip_16B_text");
    group.bench_function("sansws_websocket", |b| {
        b.iter(|| black_box(sans.round_trip()))
    });
    group.bench_function("sansws_connection", |b| {
        b.iter(|| black_box(conn.round_trip()))
    });
    group.bench_function("tungstenite", |b| b.iter(|| black_box(tung.round_trip())));
    group.bench_function("tungstenite_4k_read_buffer", |b| {
        b.iter(|| black_box(tung_4k.round_trip()))
    });
    group.finish();
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_roundtrip(&mut criterion);
    criterion.final_summary();
}
