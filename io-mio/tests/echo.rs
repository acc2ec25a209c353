//! Echo through a sansws-mio server loop: every frame length encoding up to 16 MiB with the
//! sansws-mio client, and 100 concurrent clients × 100 messages each.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sansws_mio::sansws::{CloseCause, CloseCode, MessageKind};
use sansws_mio::{Conn, ConnId, EventLoop, Handler, Message, Options};
use support::{pattern, text, uncompressed, wait_for, Client, Recorder, Seen, Server, LIMIT};

/// 0 B to 16 MiB (the default message limit), text and binary, each echoed intact by a
/// sansws-mio server to a sansws-mio client; then a clean close. Uncompressed, so the
/// lengths are the ones on the wire (and large echoes are written straight out).
#[test]
fn echoes_every_length_encoding_up_to_16_mib() {
    let (echo, server_events) = Recorder::echo();
    let server = Server::start(echo, uncompressed());
    let mut client = Client::new(Options::default());
    let id = client.open(&server.url("/"));
    wait_for(&server_events, LIMIT, |seen| matches!(seen, Seen::Open(_)));

    let sizes = [0usize, 1, 125, 126, 64 * 1024, 16 << 20];
    for (seed, &len) in sizes.iter().enumerate() {
        let seed = seed as u8;
        let text = text(len, seed);
        let binary = pattern(len, seed);
        for (kind, payload) in [
            (MessageKind::Text, text.as_bytes()),
            (MessageKind::Binary, &binary[..]),
        ] {
            client.send(id, kind, payload);
            let (from, echo_kind, echo) = client.recv();
            assert_eq!(from, id);
            assert_eq!(echo_kind, kind, "kind of the {len}-byte echo");
            assert!(echo == payload, "{kind:?} echo of {len} bytes differs");
        }
    }

    client
        .event_loop
        .with_conn(id, |conn| conn.close(CloseCode::NORMAL, "done"))
        .expect("open")
        .expect("close");
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..)));
    assert!(
        matches!(
            closed,
            Seen::Close(
                _,
                CloseCause::Handshake {
                    peer_code: CloseCode::NORMAL,
                    initiated_locally: true
                }
            )
        ),
        "{closed:?}"
    );
    assert_eq!(client.event_loop.connection_count(), 0);
    let closed = wait_for(&server_events, LIMIT, |seen| {
        matches!(seen, Seen::Close(..))
    });
    assert!(
        matches!(
            closed,
            Seen::Close(
                _,
                CloseCause::Handshake {
                    peer_code: CloseCode::NORMAL,
                    initiated_locally: false
                }
            )
        ),
        "{closed:?}"
    );
}

const CLIENTS: usize = 100;
const MESSAGES: usize = 100;
const CLIENT_LOOPS: usize = 4;

/// The n-th message of a connection: text or binary, 0 to 299 bytes (across the 7-bit and
/// 16-bit length encodings), distinct per connection.
fn nth(conn: usize, n: usize) -> (MessageKind, Vec<u8>) {
    let len = (n * 37 + conn) % 300;
    if n % 2 == 0 {
        (MessageKind::Text, text(len, (conn + n) as u8).into_bytes())
    } else {
        (MessageKind::Binary, pattern(len, (conn * 3 + n) as u8))
    }
}

/// A client loop's handler: each connection sends its messages one at a time, checks each
/// echo, and closes after the last.
#[derive(Default)]
struct PingPongClients {
    /// Connection index (across all loops) by id, and how many echoes it has checked.
    conns: HashMap<ConnId, (usize, usize)>,
    done: usize,
    closed: usize,
    failures: Vec<String>,
}

impl Handler for PingPongClients {
    fn on_open(&mut self, conn: &mut Conn<'_>) {
        let (index, _) = self.conns[&conn.id()];
        let (kind, payload) = nth(index, 0);
        conn.send(kind, &payload).expect("first send");
    }

    fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>) {
        let entry = self.conns.get_mut(&conn.id()).expect("known connection");
        let (index, n) = *entry;
        let (kind, payload) = nth(index, n);
        if message.kind != kind || message.payload != payload {
            self.failures
                .push(format!("connection {index}: echo {n} differs"));
        }
        entry.1 += 1;
        if n + 1 == MESSAGES {
            self.done += 1;
            conn.close(CloseCode::NORMAL, "").expect("close");
        } else {
            let (kind, payload) = nth(index, n + 1);
            conn.send(kind, &payload).expect("send");
        }
    }

    fn on_close(&mut self, _: ConnId, cause: CloseCause) {
        self.closed += 1;
        if !matches!(
            cause,
            CloseCause::Handshake {
                initiated_locally: true,
                ..
            }
        ) {
            self.failures.push(format!("closed by {cause:?}"));
        }
    }

    fn on_error(&mut self, id: ConnId, error: sansws_mio::Error) {
        self.failures.push(format!("{id:?}: {error}"));
    }
}

/// 100 connections (over four client loops on their own threads) exchange 100 messages each
/// with one server loop; every echo is checked, and the server saw every message.
#[test]
fn hundred_concurrent_clients_hundred_messages_each() {
    let (mut echo, server_events) = Recorder::echo();
    echo.report_messages = false;
    let server = Server::start(echo, Options::default());
    let url = server.url("/");

    let threads: Vec<_> = (0..CLIENT_LOOPS)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut event_loop = EventLoop::new(PingPongClients::default(), Options::default())
                    .expect("event loop");
                let per_loop = CLIENTS / CLIENT_LOOPS;
                for i in 0..per_loop {
                    let id = event_loop.connect(&url).expect("connect");
                    event_loop.handler().conns.insert(id, (t * per_loop + i, 0));
                }
                let deadline = Instant::now() + Duration::from_secs(30);
                while event_loop.connection_count() > 0 && Instant::now() < deadline {
                    event_loop
                        .turn(Some(Duration::from_millis(20)))
                        .expect("turn");
                }
                let handler = event_loop.handler();
                (
                    handler.done,
                    handler.closed,
                    core::mem::take(&mut handler.failures),
                    event_loop.connection_count(),
                )
            })
        })
        .collect();
    for thread in threads {
        let (done, closed, failures, left) = thread.join().expect("client loop");
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(left, 0, "connections left open");
        assert_eq!(done, CLIENTS / CLIENT_LOOPS);
        assert_eq!(closed, CLIENTS / CLIENT_LOOPS);
    }

    let mut closes = 0;
    while closes < CLIENTS {
        if let Seen::Close(_, cause) = wait_for(&server_events, LIMIT, |seen| {
            matches!(seen, Seen::Close(..))
        }) {
            assert!(
                matches!(
                    cause,
                    CloseCause::Handshake {
                        peer_code: CloseCode::NORMAL,
                        initiated_locally: false
                    }
                ),
                "{cause:?}"
            );
            closes += 1;
        }
    }
    let (messages, refused, open) = server.exec(|event_loop| {
        let count = event_loop.connection_count();
        let handler = event_loop.handler();
        (handler.messages, handler.queue_full, count)
    });
    assert_eq!(messages, (CLIENTS * MESSAGES) as u64);
    assert_eq!(refused, 0);
    assert_eq!(open, 0);
}
