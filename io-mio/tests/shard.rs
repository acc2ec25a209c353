//! The sharded server: `serve_sharded` with four loops hands 40 connections out in turn,
//! and each loop echoes its own.
//!
//! `serve_sharded` accepts until accepting fails and has no way to stop, so its threads are
//! left to end with the test process.

mod support;

use std::collections::HashMap;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use sansws_mio::sansws::{CloseCause, CloseCode, MessageKind};
use sansws_mio::{serve_sharded, Conn, ConnId, Handler, Message, Options};
use support::{Client, Seen, LIMIT};

const SHARDS: usize = 4;
const CLIENTS: usize = 40;
const MESSAGES: usize = 5;

/// What a shard's handler reports: its index and the event.
#[derive(Debug)]
enum ShardEvent {
    Open,
    Message,
    Close(CloseCause),
}

struct ShardEcho {
    shard: usize,
    events: Sender<(usize, ShardEvent)>,
}

impl Handler for ShardEcho {
    fn on_open(&mut self, _: &mut Conn<'_>) {
        let _ = self.events.send((self.shard, ShardEvent::Open));
    }

    fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>) {
        // Say which shard answered.
        let mut echo = message.payload.to_vec();
        echo.extend_from_slice(format!(" @{}", self.shard).as_bytes());
        conn.send(message.kind, &echo).expect("echo");
        let _ = self.events.send((self.shard, ShardEvent::Message));
    }

    fn on_close(&mut self, _: ConnId, cause: CloseCause) {
        let _ = self.events.send((self.shard, ShardEvent::Close(cause)));
    }
}

#[test]
fn four_shards_forty_clients() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (events, shard_events) = mpsc::channel();
    std::thread::spawn(move || {
        serve_sharded(listener, SHARDS, Options::default(), move |shard| {
            ShardEcho {
                shard,
                events: events.clone(),
            }
        })
    });

    let mut client = Client::new(Options::default());
    let url = format!("ws://{addr}/");
    // One at a time, so the acceptor hands them out in a known order.
    let ids: Vec<ConnId> = (0..CLIENTS).map(|_| client.open(&url)).collect();
    let mut opened = [0usize; SHARDS];
    for _ in 0..CLIENTS {
        match shard_events.recv_timeout(LIMIT).expect("an open") {
            (shard, ShardEvent::Open) => opened[shard] += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(opened, [CLIENTS / SHARDS; SHARDS], "round robin");

    // Every connection sends all its messages at once; the echoes come back in order on
    // each connection, from the shard it was handed to.
    for (i, &id) in ids.iter().enumerate() {
        for n in 0..MESSAGES {
            let kind = if n % 2 == 0 {
                MessageKind::Text
            } else {
                MessageKind::Binary
            };
            client.send(id, kind, format!("client {i} message {n}").as_bytes());
        }
    }
    let mut next: HashMap<ConnId, usize> = HashMap::new();
    for _ in 0..CLIENTS * MESSAGES {
        let (id, kind, payload) = client.recv();
        let i = ids.iter().position(|&known| known == id).expect("our id");
        let n = next.entry(id).or_default();
        let expected_kind = if *n % 2 == 0 {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        assert_eq!(kind, expected_kind);
        // Connection i was the i-th accepted, so shard i % SHARDS serves it.
        let expected = format!("client {i} message {n} @{}", i % SHARDS);
        assert_eq!(String::from_utf8(payload).expect("UTF-8"), expected);
        *n += 1;
    }
    assert!(next.values().all(|&n| n == MESSAGES));

    for &id in &ids {
        client
            .event_loop
            .with_conn(id, |conn| conn.close(CloseCode::NORMAL, ""))
            .expect("open")
            .expect("close");
    }
    let mut closed = 0;
    while closed < CLIENTS {
        let seen = client.wait_within(Duration::from_secs(5), |seen| {
            matches!(seen, Seen::Close(..))
        });
        assert!(
            matches!(
                seen,
                Seen::Close(
                    _,
                    CloseCause::Handshake {
                        peer_code: CloseCode::NORMAL,
                        initiated_locally: true
                    }
                )
            ),
            "{seen:?}"
        );
        closed += 1;
    }
    let mut server_closed = [0usize; SHARDS];
    let mut messages = 0;
    while server_closed.iter().sum::<usize>() < CLIENTS {
        match shard_events.recv_timeout(LIMIT).expect("a close") {
            (_, ShardEvent::Message) => messages += 1,
            (
                shard,
                ShardEvent::Close(CloseCause::Handshake {
                    peer_code: CloseCode::NORMAL,
                    initiated_locally: false,
                }),
            ) => server_closed[shard] += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(messages, CLIENTS * MESSAGES);
    assert_eq!(server_closed, [CLIENTS / SHARDS; SHARDS]);
}
