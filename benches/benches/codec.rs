//! The in-memory echo benchmark WebSocket crates in Rust are usually compared with: 100,000 text
//! messages of 14 bytes, the client sends, the server echoes, the client receives, then the
//! client closes and both sides finish the closing handshake. One iteration is the whole
//! exchange; throughput is in messages.
//!
//! The messages go in windows of [`WINDOW`]: the client queues a window and flushes it, the
//! server reads the window's messages and echoes each (one flush per window), the client reads
//! the echoes. Every library runs the same schedule in one thread, so the bench times the
//! codecs and their buffering, not a scheduler.
//!
//! - `sansws`: two buffered `sansws::conn::WebSocket`s over the synchronous in-memory pipe of
//!   `roundtrip.rs` (`VecDeque<u8>` each way);
//! - `tungstenite`: two `tungstenite::WebSocket`s (default configuration) over the same pipe;
//! - `sansws_duplex`: the sansws pair over `tokio::io::duplex`, reading straight into the
//!   connection's read buffer: the like-for-like comparison with the async peers;
//! - `fastwebsockets`: two `FragmentCollector<WebSocket<DuplexStream>>`s (whole messages, as
//!   the others deliver), default settings;
//! - `tokio_websockets`: two `WebSocketStream<DuplexStream>`s (`Stream` + `Sink`, `feed` then
//!   one `flush` per window), default settings.
//!
//! The async pairs run on a current-thread tokio runtime created once; every pair is created in
//! the untimed setup of `iter_batched`.

use std::io::{self, Write};

use criterion::{black_box, BatchSize, Criterion, Throughput};
use fastwebsockets::{FragmentCollector, Frame, OpCode, Payload as FPayload, Role as FRole};
use futures_util::{SinkExt, StreamExt};
use sansws::conn::{Incoming, Message, WebSocket};
use sansws::entropy::os_entropy;
use sansws::{CloseCode, Config, Connection, Instant};
use sansws_benches::memory::{self, read_all, End};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::runtime::Runtime;
use tungstenite::protocol::Role as TRole;
use tungstenite::{Message as TMessage, Utf8Bytes};

/// The message sent and echoed: 14 bytes of text.
const PAYLOAD: &str = "Hello, World!!";
/// Messages per iteration.
const MESSAGES: usize = 100_000;
/// Messages in flight between flushes.
const WINDOW: usize = 100;
/// The capacity of each direction of `tokio::io::duplex`: a window of frames fits easily.
const DUPLEX_CAPACITY: usize = 64 << 10;
/// The sansws clock: constant, no timer is due.
const NOW: Instant = Instant::ZERO;

/// A buffered sansws endpoint, upgraded.
fn sans_endpoint(client: bool) -> WebSocket {
    let mut conn = if client {
        Connection::client(Config::default(), os_entropy, NOW)
    } else {
        Connection::server(Config::default(), NOW)
    };
    conn.upgraded(NOW);
    WebSocket::new(conn)
}

/// A buffered sansws endpoint and its end of the synchronous stream.
struct SansPeer {
    ws: WebSocket,
    io: End,
}

impl SansPeer {
    /// Writes everything queued to the stream.
    fn flush(&mut self) {
        let mut written = 0;
        for chunk in self.ws.transmit_chunks() {
            self.io.write_all(chunk).unwrap();
            written += chunk.len();
        }
        self.ws.advance_transmit(written);
    }

    /// Hands what arrived to the connection.
    fn receive(&mut self, buf: &mut [u8]) {
        let len = read_all(&mut self.io, buf);
        self.ws.handle_read(NOW, &buf[..len]);
    }
}

/// The sansws pair over the synchronous pipe.
struct SansPair {
    client: SansPeer,
    server: SansPeer,
    buf: Vec<u8>,
}

impl SansPair {
    fn new() -> Self {
        let (c, s) = memory::pair();
        SansPair {
            client: SansPeer {
                ws: sans_endpoint(true),
                io: c,
            },
            server: SansPeer {
                ws: sans_endpoint(false),
                io: s,
            },
            buf: vec![0; 64 << 10],
        }
    }

    /// Runs the whole exchange; returns the number of echoes the client received.
    fn run(mut self) -> usize {
        let mut received = 0;
        for _ in 0..MESSAGES / WINDOW {
            for _ in 0..WINDOW {
                // `From<&'static [u8]>` for `Bytes` is a static reference, no copy.
                let message = Message::Text(PAYLOAD.as_bytes().into());
                self.client.ws.send(message).unwrap();
            }
            self.client.flush();
            self.server.receive(&mut self.buf);
            while let Some(event) = self.server.ws.poll_event().unwrap() {
                let Incoming::Message(message) = event else {
                    panic!("expected a message, got {event:?}");
                };
                self.server.ws.send(message).unwrap();
            }
            self.server.flush();
            self.client.receive(&mut self.buf);
            while let Some(event) = self.client.ws.poll_event().unwrap() {
                let Incoming::Message(message) = event else {
                    panic!("expected a message, got {event:?}");
                };
                received += message.payload().len() / PAYLOAD.len();
            }
        }
        self.client.ws.close(NOW, CloseCode::NORMAL, "").unwrap();
        self.client.flush();
        self.server.receive(&mut self.buf);
        while self.server.ws.poll_event().unwrap().is_some() {}
        self.server.flush();
        self.client.receive(&mut self.buf);
        while self.client.ws.poll_event().unwrap().is_some() {}
        assert!(self.client.ws.connection().is_closed());
        assert!(self.server.ws.connection().is_closed());
        received
    }
}

/// The sansws pair over `tokio::io::duplex`.
struct SansDuplexPair {
    client: WebSocket,
    client_io: DuplexStream,
    server: WebSocket,
    server_io: DuplexStream,
}

/// Writes everything `ws` has queued.
async fn sans_flush(ws: &mut WebSocket, io: &mut DuplexStream) {
    while ws.queued_len() > 0 {
        let n = {
            let mut slices = [io::IoSlice::new(&[]); 64];
            let mut count = 0;
            for (slot, chunk) in slices.iter_mut().zip(ws.transmit_chunks()) {
                *slot = io::IoSlice::new(chunk);
                count += 1;
            }
            io.write_vectored(&slices[..count]).await.unwrap()
        };
        ws.advance_transmit(n);
    }
}

/// Reads what has arrived (at least one byte) into the connection's read buffer.
async fn sans_receive(ws: &mut WebSocket, io: &mut DuplexStream) {
    let n = io.read_buf(ws.read_buffer()).await.unwrap();
    assert!(n > 0, "unexpected end of stream");
    ws.handle_received(NOW);
}

/// Reads until `count` messages have been handed to `on_message`.
async fn sans_take(
    ws: &mut WebSocket,
    io: &mut DuplexStream,
    count: usize,
    mut on_message: impl FnMut(&mut WebSocket, Message),
) {
    let mut seen = 0;
    while seen < count {
        match ws.poll_event().unwrap() {
            Some(Incoming::Message(message)) => {
                on_message(ws, message);
                seen += 1;
            }
            Some(event) => panic!("expected a message, got {event:?}"),
            None => sans_receive(ws, io).await,
        }
    }
}

impl SansDuplexPair {
    fn new() -> Self {
        let (client_io, server_io) = tokio::io::duplex(DUPLEX_CAPACITY);
        SansDuplexPair {
            client: sans_endpoint(true),
            client_io,
            server: sans_endpoint(false),
            server_io,
        }
    }

    async fn run(mut self) -> usize {
        let mut received = 0;
        for _ in 0..MESSAGES / WINDOW {
            for _ in 0..WINDOW {
                let message = Message::Text(PAYLOAD.as_bytes().into());
                self.client.send(message).unwrap();
            }
            sans_flush(&mut self.client, &mut self.client_io).await;
            sans_take(&mut self.server, &mut self.server_io, WINDOW, |ws, m| {
                ws.send(m).unwrap()
            })
            .await;
            sans_flush(&mut self.server, &mut self.server_io).await;
            sans_take(&mut self.client, &mut self.client_io, WINDOW, |_, m| {
                received += m.payload().len() / PAYLOAD.len()
            })
            .await;
        }
        self.client.close(NOW, CloseCode::NORMAL, "").unwrap();
        sans_flush(&mut self.client, &mut self.client_io).await;
        sans_receive(&mut self.server, &mut self.server_io).await;
        while self.server.poll_event().unwrap().is_some() {}
        sans_flush(&mut self.server, &mut self.server_io).await;
        sans_receive(&mut self.client, &mut self.client_io).await;
        while self.client.poll_event().unwrap().is_some() {}
        assert!(self.client.connection().is_closed());
        assert!(self.server.connection().is_closed());
        received
    }
}

/// The tungstenite pair over the synchronous pipe.
struct TungPair {
    client: tungstenite::WebSocket<End>,
    server: tungstenite::WebSocket<End>,
}

impl TungPair {
    fn new() -> Self {
        let (c, s) = memory::pair();
        TungPair {
            client: tungstenite::WebSocket::from_raw_socket(c, TRole::Client, None),
            server: tungstenite::WebSocket::from_raw_socket(s, TRole::Server, None),
        }
    }

    fn run(mut self) -> usize {
        let mut received = 0;
        for _ in 0..MESSAGES / WINDOW {
            for _ in 0..WINDOW {
                let message = TMessage::Text(Utf8Bytes::from_static(PAYLOAD));
                self.client.write(message).unwrap();
            }
            self.client.flush().unwrap();
            for _ in 0..WINDOW {
                let echo = self.server.read().unwrap();
                self.server.write(echo).unwrap();
            }
            self.server.flush().unwrap();
            for _ in 0..WINDOW {
                received += self.client.read().unwrap().len() / PAYLOAD.len();
            }
        }
        self.client.close(None).unwrap();
        assert!(self.server.read().unwrap().is_close());
        // `read` queued the answer; flushing sends it (and may report the end).
        match self.server.flush() {
            Ok(()) | Err(tungstenite::Error::ConnectionClosed) => {}
            Err(err) => panic!("server flush: {err}"),
        }
        // The client sees the server's answer to its close.
        match self.client.read() {
            Ok(message) if message.is_close() => {}
            Err(tungstenite::Error::ConnectionClosed) => {}
            other => panic!("expected the close answer, got {other:?}"),
        }
        received
    }
}

/// The fastwebsockets pair over `tokio::io::duplex`.
struct FastPair {
    client: FragmentCollector<DuplexStream>,
    server: FragmentCollector<DuplexStream>,
}

impl FastPair {
    fn new() -> Self {
        let (c, s) = tokio::io::duplex(DUPLEX_CAPACITY);
        let client = fastwebsockets::WebSocket::after_handshake(c, FRole::Client);
        let server = fastwebsockets::WebSocket::after_handshake(s, FRole::Server);
        FastPair {
            client: FragmentCollector::new(client),
            server: FragmentCollector::new(server),
        }
    }

    async fn run(mut self) -> usize {
        let mut received = 0;
        for _ in 0..MESSAGES / WINDOW {
            for _ in 0..WINDOW {
                let frame = Frame::text(FPayload::Borrowed(PAYLOAD.as_bytes()));
                self.client.write_frame(frame).await.unwrap();
            }
            for _ in 0..WINDOW {
                let echo = self.server.read_frame().await.unwrap();
                assert_eq!(echo.opcode, OpCode::Text);
                self.server.write_frame(echo).await.unwrap();
            }
            for _ in 0..WINDOW {
                let echo = self.client.read_frame().await.unwrap();
                received += echo.payload.len() / PAYLOAD.len();
            }
        }
        self.client
            .write_frame(Frame::close(1000, b""))
            .await
            .unwrap();
        // The server answers the close itself (auto_close, on by default).
        let close = self.server.read_frame().await.unwrap();
        assert_eq!(close.opcode, OpCode::Close);
        let answer = self.client.read_frame().await.unwrap();
        assert_eq!(answer.opcode, OpCode::Close);
        received
    }
}

/// The tokio-websockets pair over `tokio::io::duplex`.
struct TokioWsPair {
    client: tokio_websockets::WebSocketStream<DuplexStream>,
    server: tokio_websockets::WebSocketStream<DuplexStream>,
}

impl TokioWsPair {
    fn new() -> Self {
        let (c, s) = tokio::io::duplex(DUPLEX_CAPACITY);
        TokioWsPair {
            client: tokio_websockets::ClientBuilder::new().take_over(c),
            server: tokio_websockets::ServerBuilder::new().serve(s),
        }
    }

    async fn run(mut self) -> usize {
        let mut received = 0;
        for _ in 0..MESSAGES / WINDOW {
            for _ in 0..WINDOW {
                let message = tokio_websockets::Message::text(PAYLOAD);
                self.client.feed(message).await.unwrap();
            }
            self.client.flush().await.unwrap();
            for _ in 0..WINDOW {
                let echo = self.server.next().await.unwrap().unwrap();
                self.server.feed(echo).await.unwrap();
            }
            self.server.flush().await.unwrap();
            for _ in 0..WINDOW {
                let echo = self.client.next().await.unwrap().unwrap();
                received += echo.as_payload().len() / PAYLOAD.len();
            }
        }
        // `close` waits for the answer, so the server runs alongside it.
        let server = async {
            let mut frames = 0;
            while let Some(message) = self.server.next().await {
                assert!(message.unwrap().is_close());
                frames += 1;
                assert!(frames < 4, "the server kept reading after the close");
            }
        };
        let (closed, ()) = tokio::join!(self.client.close(), server);
        closed.unwrap();
        received
    }
}

fn bench_codec(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // Every pair completes the exchange before it is timed.
    assert_eq!(SansPair::new().run(), MESSAGES);
    assert_eq!(rt.block_on(SansDuplexPair::new().run()), MESSAGES);
    assert_eq!(TungPair::new().run(), MESSAGES);
    assert_eq!(rt.block_on(FastPair::new().run()), MESSAGES);
    assert_eq!(rt.block_on(TokioWsPair::new().run()), MESSAGES);

    let mut group = c.benchmark_group("codec_100k_14B_text");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.sample_size(20);
    let per_iter = BatchSize::PerIteration;
    group.bench_function("sansws", |b| {
        b.iter_batched(SansPair::new, |p| black_box(p.run()), per_iter)
    });
    group.bench_function("sansws_duplex", |b| {
        b.iter_batched(SansDuplexPair::new, |p| async_run(&rt, p.run()), per_iter)
    });
    group.bench_function("tungstenite", |b| {
        b.iter_batched(TungPair::new, |p| black_box(p.run()), per_iter)
    });
    group.bench_function("fastwebsockets", |b| {
        b.iter_batched(FastPair::new, |p| async_run(&rt, p.run()), per_iter)
    });
    group.bench_function("tokio_websockets", |b| {
        b.iter_batched(TokioWsPair::new, |p| async_run(&rt, p.run()), per_iter)
    });
    group.finish();
}

/// Runs one async exchange to completion on the bench's runtime.
fn async_run(rt: &Runtime, exchange: impl core::future::Future<Output = usize>) -> usize {
    black_box(rt.block_on(exchange))
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_codec(&mut criterion);
    criterion.final_summary();
}
