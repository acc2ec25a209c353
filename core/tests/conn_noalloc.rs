//! The no-alloc API on its own, as firmware would drive it: fixed arrays for every buffer, the
//! unconsumed remainder moved to the front between reads, message payloads streamed through
//! in pieces (a 300-byte message passes a 160-byte read buffer), and no heap anywhere.
//!
//! A client sends messages; a server echoes every piece as a fragment of a streamed message;
//! the client reads the echo back and compares. Reads are short (7 and 5 bytes).

mod support;

use sansws::{CloseCause, CloseCode, Connection, Event, Instant, MessageKind};
use support::{client, quiet, server, T0};

/// A fixed read buffer: `buf[..len]` holds received bytes the connection has not consumed.
struct Reader<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Reader<N> {
    const fn new() -> Self {
        Reader {
            buf: [0; N],
            len: 0,
        }
    }

    /// Reads `input` in pieces of at most `read_size`, handing every event to `on_event`
    /// and every control frame the connection queues to `out`.
    fn pump(
        &mut self,
        conn: &mut Connection,
        now: Instant,
        mut input: &[u8],
        read_size: usize,
        out: &mut Output,
        on_event: &mut dyn FnMut(&mut Connection, &mut Output, Event<'_>),
    ) {
        while !input.is_empty() {
            // "Read from the socket" into the free tail of the buffer.
            let n = read_size.min(input.len()).min(N - self.len);
            assert!(n > 0, "the read buffer is full and nothing was consumed");
            self.buf[self.len..self.len + n].copy_from_slice(&input[..n]);
            self.len += n;
            input = &input[n..];
            // Hand the connection everything unconsumed; one event per call.
            let mut start = 0;
            loop {
                let read = conn
                    .handle_read(now, &mut self.buf[start..self.len])
                    .expect("a valid stream");
                start += read.consumed;
                let Some(event) = read.event else { break };
                on_event(conn, out, event);
                out.drain(conn);
            }
            out.drain(conn);
            self.buf.copy_within(start..self.len, 0);
            self.len -= start;
        }
    }
}

/// A fixed output buffer.
struct Output {
    buf: [u8; 2048],
    len: usize,
}

impl Output {
    const fn new() -> Self {
        Output {
            buf: [0; 2048],
            len: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Writes what the connection queued on its own.
    fn drain(&mut self, conn: &mut Connection) {
        loop {
            let n = conn.poll_transmit(&mut self.buf[self.len..]).expect("room");
            if n == 0 {
                return;
            }
            self.len += n;
        }
    }
}

#[test]
fn an_echo_server_in_fixed_buffers() {
    let mut c = client(quiet());
    let mut s = server(quiet());

    // The client's messages, encoded into a fixed buffer.
    let mut binary = [0u8; 300];
    for (i, byte) in binary.iter_mut().enumerate() {
        *byte = (i * 7) as u8;
    }
    let mut to_server = Output::new();
    for text in ["hello", "", "ünïcödé ✓"] {
        let n = c
            .send_text(text, &mut to_server.buf[to_server.len..])
            .unwrap();
        to_server.len += n;
    }
    let n = c
        .ping(b"still there?", &mut to_server.buf[to_server.len..])
        .unwrap();
    to_server.len += n;
    let n = c
        .send_binary(&binary, &mut to_server.buf[to_server.len..])
        .unwrap();
    to_server.len += n;
    c.close(T0, CloseCode::NORMAL, "bye").unwrap();
    to_server.drain(&mut c);

    // The server echoes each piece as it comes, as a fragment of the same message.
    let mut server_reader = Reader::<160>::new();
    let mut to_client = Output::new();
    let mut pings = 0;
    server_reader.pump(
        &mut s,
        T0,
        to_server.bytes(),
        7,
        &mut to_client,
        &mut |conn, out, event| match event {
            Event::Message {
                kind,
                payload,
                last,
                ..
            } => {
                let n = conn
                    .send_fragment(kind, payload, last, &mut out.buf[out.len..])
                    .unwrap();
                out.len += n;
            }
            Event::Ping(payload) => {
                assert_eq!(payload, b"still there?");
                pings += 1;
            }
            Event::Pong(_) => panic!("no pong was sent"),
            Event::Close(frame) => assert_eq!(frame.reason, "bye"),
        },
    );
    assert_eq!(pings, 1);
    assert_eq!(
        s.close_cause(),
        Some(CloseCause::Handshake {
            peer_code: CloseCode::NORMAL,
            initiated_locally: false,
        })
    );

    // The client reads the echo back, putting each message together in a fixed buffer.
    let mut client_reader = Reader::<160>::new();
    let mut message = [0u8; 512];
    let mut message_len = 0;
    let mut index = 0;
    let mut pongs = 0;
    let mut closes = 0;
    let mut sink = Output::new();
    client_reader.pump(
        &mut c,
        T0,
        to_client.bytes(),
        5,
        &mut sink,
        &mut |_, _, event| match event {
            Event::Message {
                kind,
                payload,
                first,
                last,
                ..
            } => {
                if first {
                    message_len = 0;
                }
                message[message_len..message_len + payload.len()].copy_from_slice(payload);
                message_len += payload.len();
                if last {
                    let (want_kind, want): (MessageKind, &[u8]) = match index {
                        0 => (MessageKind::Text, b"hello"),
                        1 => (MessageKind::Text, b""),
                        2 => (MessageKind::Text, "ünïcödé ✓".as_bytes()),
                        _ => (MessageKind::Binary, &binary),
                    };
                    assert_eq!((kind, &message[..message_len]), (want_kind, want));
                    index += 1;
                }
            }
            Event::Pong(payload) => {
                assert_eq!(payload, b"still there?");
                pongs += 1;
            }
            Event::Ping(_) => panic!("no ping was sent"),
            Event::Close(frame) => {
                assert_eq!(frame.code, Some(CloseCode::NORMAL));
                closes += 1;
            }
        },
    );
    assert_eq!((index, pongs, closes), (4, 1, 1));
    assert!(matches!(
        c.close_cause(),
        Some(CloseCause::Handshake {
            initiated_locally: true,
            ..
        })
    ));
    assert_eq!(sink.len, 0, "the client owes nothing after the handshake");
}

/// `frame_remaining` counts what the frame being received has not handed out yet: all of it
/// after the header, less each piece, 0 once it ended.
#[test]
fn frame_remaining_follows_the_frame_being_received() {
    let mut conn = server(quiet());
    let mut frame = support::wire::client_frame(support::wire::BINARY, true, &[7; 1000]);
    assert_eq!(conn.frame_remaining(), 0);
    let header_len = frame.len() - 1000;
    let read = conn.handle_read(T0, &mut frame[..header_len]).unwrap();
    assert_eq!((read.consumed, read.event.is_none()), (header_len, true));
    assert_eq!(conn.frame_remaining(), 1000);
    let read = conn
        .handle_read(T0, &mut frame[header_len..header_len + 300])
        .unwrap();
    assert!(matches!(
        read.event,
        Some(Event::Message { last: false, .. })
    ));
    assert_eq!(conn.frame_remaining(), 700);
    let read = conn
        .handle_read(T0, &mut frame[header_len + 300..])
        .unwrap();
    assert!(matches!(
        read.event,
        Some(Event::Message { last: true, .. })
    ));
    assert_eq!(conn.frame_remaining(), 0);
}

/// A connection that closed in the middle of a frame receives nothing more: no frame
/// remains, so an adapter stops reading payload straight into place.
#[test]
fn frame_remaining_is_0_once_closed_mid_frame() {
    let mut conn = server(quiet());
    let mut frame = support::wire::client_frame(support::wire::BINARY, true, &[7; 1000]);
    let header_len = frame.len() - 1000;
    conn.handle_read(T0, &mut frame[..header_len + 300])
        .unwrap();
    assert_eq!(conn.frame_remaining(), 700);
    conn.handle_eof();
    assert!(conn.is_closed());
    assert_eq!(conn.frame_remaining(), 0);
}
