//! `roundtrip`: messages from a client [`WebSocket`] to a server [`WebSocket`] and back,
//! through an in-memory pair with arbitrary write sizes.

use arbitrary::{Arbitrary, Unstructured};
use sansws::conn::{Incoming, Message, WebSocket};
use sansws::{CloseCause, CloseCode, Config, Connection, Instant, MessageKind};

/// One thing the client does.
#[derive(Debug, Clone, Arbitrary)]
enum Step {
    Text(String),
    Binary(Vec<u8>),
    /// A streamed message: `payload` cut into fragments of the sizes in `cuts` (the rest is
    /// the last fragment), with a ping after each fragment whose flag is set.
    Fragmented {
        binary: bool,
        payload: String,
        cuts: Vec<(u8, bool)>,
    },
    Ping(Vec<u8>),
}

/// The whole conversation.
#[derive(Debug, Clone, Arbitrary)]
struct Conversation {
    /// The client's and server's `max_send_frame_len` (0 is taken as 1).
    client_frame: u16,
    server_frame: u16,
    /// Write sizes, cycled (0 is taken as 1).
    writes: Vec<u16>,
    steps: Vec<Step>,
}

fn config(frame: u16) -> Config {
    let mut c = Config::DEFAULT;
    c.max_send_frame_len = usize::from(frame).max(1);
    c.ping_interval = None;
    c
}

fn entropy(dest: &mut [u8]) {
    for (i, b) in dest.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(0x9D) ^ 0x5A;
    }
}

/// Moves everything `from` has queued to `to`, in writes of the sizes `writes` cycles through.
fn pump(from: &mut WebSocket, to: &mut WebSocket, writes: &[u16], turn: &mut usize) {
    let now = Instant::ZERO;
    while from.queued_len() > 0 {
        let size = writes
            .get(*turn % writes.len().max(1))
            .map_or(usize::MAX, |&n| usize::from(n).max(1));
        *turn += 1;
        let mut chunk = Vec::new();
        for piece in from.transmit_chunks() {
            let k = (size - chunk.len()).min(piece.len());
            chunk.extend_from_slice(&piece[..k]);
            if chunk.len() == size {
                break;
            }
        }
        from.advance_transmit(chunk.len());
        to.handle_read(now, &chunk);
    }
}

/// Everything `ws` has received, as events.
fn events(ws: &mut WebSocket) -> Vec<Incoming> {
    let mut out = Vec::new();
    while let Some(event) = ws
        .poll_event()
        .expect("no protocol error between sansws peers")
    {
        out.push(event);
    }
    out
}

/// Input: an arbitrary conversation (messages, fragment cuts, pings, write sizes).
///
/// Every message arrives at the server unchanged and in order, every ping is reported and
/// answered with its payload, the server's echo of every message arrives back at the client
/// unchanged, and a close started by the client completes the closing handshake on both ends.
pub fn roundtrip(data: &[u8]) {
    let Ok(conv) = Conversation::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let now = Instant::ZERO;
    let mut client = Connection::client(config(conv.client_frame), entropy, now);
    client.upgraded(now);
    let mut server = Connection::server(config(conv.server_frame), now);
    server.upgraded(now);
    let (mut client, mut server) = (WebSocket::new(client), WebSocket::new(server));

    let mut sent = Vec::new();
    let mut pings = Vec::new();
    for step in &conv.steps {
        match step {
            Step::Text(text) => {
                client.send_text(text).unwrap();
                sent.push(Message::text(text.clone()));
            }
            Step::Binary(data) => {
                client.send_binary(data.clone()).unwrap();
                sent.push(Message::binary(data.clone()));
            }
            Step::Fragmented {
                binary,
                payload,
                cuts,
            } => {
                let kind = if *binary {
                    MessageKind::Binary
                } else {
                    MessageKind::Text
                };
                let bytes = payload.as_bytes();
                let mut at = 0;
                for (i, &(cut, ping)) in cuts.iter().enumerate() {
                    let end = (at + usize::from(cut)).min(bytes.len());
                    client
                        .send_fragment(kind, bytes[at..end].to_vec(), false)
                        .unwrap();
                    at = end;
                    if ping {
                        let payload = (i as u32).to_be_bytes().to_vec();
                        client.ping(&payload).unwrap();
                        pings.push(payload);
                    }
                }
                client
                    .send_fragment(kind, bytes[at..].to_vec(), true)
                    .unwrap();
                sent.push(match kind {
                    MessageKind::Text => Message::text(payload.clone()),
                    MessageKind::Binary => Message::binary(bytes.to_vec()),
                });
            }
            Step::Ping(payload) => {
                let payload = payload[..payload.len().min(125)].to_vec();
                client.ping(&payload).unwrap();
                pings.push(payload);
            }
        }
    }

    let mut turn = 0;
    pump(&mut client, &mut server, &conv.writes, &mut turn);
    let mut received = Vec::new();
    let mut pinged = Vec::new();
    for event in events(&mut server) {
        match event {
            Incoming::Message(m) => {
                server.send(m.clone()).unwrap();
                received.push(m);
            }
            Incoming::Ping(p) => pinged.push(p.to_vec()),
            other => panic!("server got {other:?}"),
        }
    }
    assert_eq!(received, sent, "client → server");
    assert_eq!(pinged, pings, "pings");

    pump(&mut server, &mut client, &conv.writes, &mut turn);
    let mut echoed = Vec::new();
    let mut ponged = Vec::new();
    for event in events(&mut client) {
        match event {
            Incoming::Message(m) => echoed.push(m),
            Incoming::Pong(p) => ponged.push(p.to_vec()),
            other => panic!("client got {other:?}"),
        }
    }
    assert_eq!(echoed, sent, "server → client");
    assert_eq!(ponged, pings, "pongs");

    client.close(now, CloseCode::NORMAL, "bye").unwrap();
    pump(&mut client, &mut server, &conv.writes, &mut turn);
    let got = events(&mut server);
    assert!(matches!(
        got.first(),
        Some(Incoming::Close {
            code: Some(CloseCode::NORMAL),
            ..
        })
    ));
    pump(&mut server, &mut client, &conv.writes, &mut turn);
    events(&mut client);
    for (ws, local) in [(&client, true), (&server, false)] {
        assert_eq!(
            ws.connection().close_cause(),
            Some(CloseCause::Handshake {
                peer_code: CloseCode::NORMAL,
                initiated_locally: local,
            })
        );
        assert_eq!(ws.poll_timeout(), None);
    }
}
