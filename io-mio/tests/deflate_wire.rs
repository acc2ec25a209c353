//! permessage-deflate as the bytes on the wire show it, against hand-driven TCP peers:
//! which messages go compressed (the large-message write-through included), compressed
//! messages from a peer the adapter did not build, what the handshake says when compression
//! is off, a decompression bomb and corrupt data, and a client failing server answers that
//! break its offer.
#![cfg(feature = "deflate")]

mod support;

use std::net::TcpListener;
use std::sync::mpsc::Receiver;
use std::sync::LazyLock;
use std::thread::JoinHandle;
use std::time::Instant;

use sansws_mio::sansws::conn::{Incoming, Message, WebSocket};
use sansws_mio::sansws::handshake::{Request, ResponseError};
use sansws_mio::sansws::MessageKind::Text;
use sansws_mio::sansws::{CloseCause, CloseCode, Config, Connection, ProtocolError};
use sansws_mio::{DeflateConfig, DeflateParams, Error, NegotiationError, Options, Upgrade};
use support::{
    client_frame, header, json_text, parse_client_frame, uncompressed, uncompressed_client,
    wait_for, write_in_pieces, Client, RawPeer, Recorder, Seen, Server, LIMIT,
};

/// FIN + text, FIN + RSV1 (compressed) + text, FIN + close.
const TEXT: u8 = 0x81;
const COMPRESSED_TEXT: u8 = 0xC1;
const CLOSE: u8 = 0x88;

/// What a raw client offers: the bare extension, so the server picks every parameter.
const BARE_OFFER: &str = "Sec-WebSocket-Extensions: permessage-deflate\r\n";

/// The parameters a server's 101 `head` agreed to for [`BARE_OFFER`].
fn agreed(head: &str) -> DeflateParams {
    let answer = header(head, "sec-websocket-extensions").expect("compression accepted");
    let bare = DeflateConfig {
        max_window_bits: 15,
        peer_max_window_bits: 15,
        ..DeflateConfig::default()
    };
    bare.check_response([answer])
        .expect("a valid answer")
        .expect("permessage-deflate")
}

/// The core in `role` with `params` on, for crafting and reading compressed frames by hand.
fn codec(client: bool, params: DeflateParams, config: Config) -> WebSocket {
    let now = sansws_mio::sansws::Instant::ZERO;
    let mut conn = if client {
        Connection::client(config, |key| key.fill(7), now)
    } else {
        Connection::server(config, now)
    };
    conn.enable_deflate(params, &DeflateConfig::default());
    conn.upgraded(now);
    WebSocket::new(conn)
}

/// Reads one message out of `frame` (whole frames, as they were on the wire).
fn read_message(codec: &mut WebSocket, frame: &[u8]) -> Message {
    codec.handle_read(sansws_mio::sansws::Instant::ZERO, frame);
    match codec.poll_event() {
        Ok(Some(Incoming::Message(message))) => message,
        other => panic!("not a message: {other:?}"),
    }
}

/// An unmasked server frame, as [`RawPeer::read_frame`] took it apart.
fn server_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![first];
    match payload.len() {
        len @ 0..=125 => frame.push(len as u8),
        len @ 126..=0xFFFF => {
            frame.push(126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}

/// Takes the bytes a codec queued.
fn transmitted(codec: &mut WebSocket) -> Vec<u8> {
    let bytes: Vec<u8> = codec.transmit_chunks().flatten().copied().collect();
    codec.advance_transmit(bytes.len());
    bytes
}

/// A server that reports every message and how each connection ended.
fn recording_server(options: Options) -> (Server<Recorder>, Receiver<Seen>) {
    let (recorder, events) = Recorder::new();
    (Server::start(recorder, options), events)
}

/// Echoes of messages below `min_compress_len` (32 bytes by default) go out as they are;
/// longer ones are compressed and inflate back to the message, the ones of 64 KiB and more
/// too (which an uncompressed server writes straight from where they lie).
#[test]
fn server_compresses_only_messages_past_the_threshold() {
    let (echo, _) = Recorder::echo();
    let server = Server::start(echo, Options::default());
    let (mut peer, head) = RawPeer::upgrade(server.addr, BARE_OFFER);
    let mut inflater = codec(true, agreed(&head), Config::default());

    for text in ["", "ten bytes!", &"x".repeat(31)] {
        peer.write(&client_frame(TEXT, text.as_bytes()));
        let (first, payload) = peer.read_frame().expect("echo");
        assert_eq!(first, TEXT, "{} bytes went compressed", text.len());
        assert_eq!(payload, text.as_bytes());
    }

    for text in [
        "x".repeat(32),
        json_text(64 * 1024, 1),
        json_text(1 << 20, 2),
    ] {
        peer.write(&client_frame(TEXT, text.as_bytes()));
        let (first, payload) = peer.read_frame().expect("echo");
        assert_eq!(first, COMPRESSED_TEXT, "{} bytes", text.len());
        if text.len() > 1024 {
            assert!(payload.len() < text.len() / 4, "{}", payload.len());
        }
        let echo = read_message(&mut inflater, &server_frame(first, &payload));
        assert!(echo == Message::text(text.clone()), "{} bytes", text.len());
    }
}

/// A raw server on a free port: accepts one connection, reads its request head, answers
/// 101 with `extra` header lines and hands the peer and the head to `then`.
fn raw_server<T: Send + 'static>(
    extra: String,
    then: impl FnOnce(RawPeer, String) -> T + Send + 'static,
) -> (String, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    let thread = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut peer = RawPeer::new(stream);
        let head = peer.read_head().expect("request head");
        peer.answer_upgrade(&head, &extra);
        then(peer, head)
    });
    (url, thread)
}

/// Turns the client's loop until `thread` ends (at most [`LIMIT`]); returns its result.
fn join_turning<T>(client: &mut Client, thread: JoinHandle<T>) -> T {
    let deadline = Instant::now() + LIMIT;
    while !thread.is_finished() {
        assert!(Instant::now() < deadline, "the raw server did not finish");
        client.idle(std::time::Duration::from_millis(5));
    }
    thread.join().expect("the raw server")
}

/// The client, too, sends messages below the threshold as they are and compresses the
/// others within the window the server asked for.
#[test]
fn client_compresses_only_messages_past_the_threshold() {
    const ANSWER: &str = "permessage-deflate; server_max_window_bits=12; client_max_window_bits=9";
    let (url, server) = raw_server(
        format!("Sec-WebSocket-Extensions: {ANSWER}\r\n"),
        |mut peer, _| {
            let small = peer.read_client_frame().expect("small message");
            let large = peer.read_client_frame().expect("large message");
            (small, large)
        },
    );
    let mut client = Client::new(Options::default());
    let id = client.open(&url);
    let params = (client.event_loop)
        .with_conn(id, |conn| conn.connection().deflate_params())
        .expect("open")
        .expect("compression on");
    assert_eq!(params.client_max_window_bits, 9);
    let json = json_text(64 * 1024, 5);
    client.send(id, Text, b"ten bytes!");
    client.send(id, Text, json.as_bytes());

    let ((small_first, small), (large_first, large)) = join_turning(&mut client, server);
    assert_eq!((small_first, &small[..]), (TEXT, &b"ten bytes!"[..]));
    assert_eq!(large_first, COMPRESSED_TEXT);
    assert!(large.len() < json.len() / 4, "{}", large.len());
    let mut inflater = codec(false, params, Config::default());
    let message = read_message(&mut inflater, &client_frame(large_first, &large));
    assert!(message == Message::text(json));
}

/// Compressed messages from a peer the adapter did not build reach the handler inflated:
/// several in a row (the peer keeps its context, so later ones lean on earlier ones), one
/// split into many frames (only the first marked compressed), and 1 MiB whose compressed
/// frame is large and arrives over many reads (read straight into the connection's buffer).
#[test]
fn server_inflates_what_a_raw_client_compressed() {
    let (server, events) = recording_server(Options::default());
    let (mut peer, head) = RawPeer::upgrade(server.addr, BARE_OFFER);
    let params = agreed(&head);
    let mut deflater = codec(true, params, Config::default());
    let received = |expected: &str| {
        let seen = wait_for(&events, LIMIT, |seen| matches!(seen, Seen::Message(..)));
        let Seen::Message(_, _, payload) = seen else {
            unreachable!("wait_for returns a match");
        };
        assert!(payload == expected.as_bytes(), "{} bytes", expected.len());
    };

    let json = json_text(8 * 1024, 1);
    for _ in 0..3 {
        deflater
            .send(Message::text(json.clone()))
            .expect("compress");
        let frame = transmitted(&mut deflater);
        assert_eq!(frame[0], COMPRESSED_TEXT);
        peer.write(&frame);
        received(&json);
    }

    let json = json_text(64 * 1024, 2);
    let pieces: Vec<&[u8]> = json.as_bytes().chunks(500).collect();
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        (deflater.send_fragment(Text, piece.to_vec(), last)).expect("compress");
    }
    let frames = transmitted(&mut deflater);
    let (first, _, used) = parse_client_frame(&frames).expect("a frame");
    assert_eq!(first, 0x41, "RSV1 on the first frame, without FIN");
    assert_eq!(frames[used] & 0x40, 0, "continuations are not marked");
    write_in_pieces(&mut peer, &frames);
    received(&json);

    let json = json_text(1 << 20, 3);
    deflater
        .send(Message::text(json.clone()))
        .expect("compress");
    let frame = transmitted(&mut deflater);
    let (first, payload, _) = parse_client_frame(&frame).expect("a frame");
    assert_eq!(first, COMPRESSED_TEXT);
    assert!(
        payload.len() >= 64 * 1024,
        "a large frame: {}",
        payload.len()
    );
    write_in_pieces(&mut peer, &frame);
    received(&json);
}

/// A server with `deflate: None` answers an offer without the extension and never sets
/// RSV1.
#[test]
fn server_turned_off_declines_the_offer() {
    let (echo, _) = Recorder::echo();
    let server = Server::start(echo, uncompressed());
    let (mut peer, head) = RawPeer::upgrade(server.addr, BARE_OFFER);
    assert_eq!(header(&head, "sec-websocket-extensions"), None, "{head}");
    let text = json_text(64 * 1024, 2);
    peer.write(&client_frame(TEXT, text.as_bytes()));
    let (first, payload) = peer.read_frame().expect("echo");
    assert_eq!(first, TEXT);
    assert!(payload == text.as_bytes());
}

/// Reads the server's close frame and waits for the end it reported; no message was
/// delivered before it.
fn expect_failure(
    peer: &mut RawPeer,
    events: &Receiver<Seen>,
    code: CloseCode,
    err: ProtocolError,
) {
    let (first, payload) = peer.read_frame().expect("a close frame");
    assert_eq!(first, CLOSE);
    assert_eq!(payload[..2], code.0.to_be_bytes());
    let seen = wait_for(events, LIMIT, |seen| {
        matches!(seen, Seen::Message(..) | Seen::Close(..))
    });
    assert!(
        matches!(seen, Seen::Close(_, CloseCause::ProtocolError(found)) if found == err),
        "{seen:?}"
    );
}

/// A small compressed message that inflates past `max_message_len` fails the server with
/// 1009, said in its close frame too; the handler never sees it.
#[test]
fn decompression_bomb_closes_with_1009() {
    let (server, events) = recording_server(Options {
        config: Config {
            max_message_len: 64 * 1024,
            ..Config::default()
        },
        ..Options::default()
    });
    let (mut peer, head) = RawPeer::upgrade(server.addr, BARE_OFFER);
    let mut bomber = codec(true, agreed(&head), Config::default());
    bomber
        .send(Message::binary(vec![0; 1 << 20]))
        .expect("compress");
    let bomb = transmitted(&mut bomber);
    assert!(bomb.len() < 4096, "the bomb is small: {} bytes", bomb.len());
    assert_eq!(bomb[0] & 0x40, 0x40, "RSV1: compressed");
    peer.write(&bomb);
    expect_failure(
        &mut peer,
        &events,
        CloseCode::MESSAGE_TOO_BIG,
        ProtocolError::MessageTooLarge,
    );
}

/// A message marked compressed whose payload is not DEFLATE data fails the server with
/// 1007; the handler never sees it.
#[test]
fn corrupt_compressed_data_closes_with_1007() {
    let (server, events) = recording_server(Options::default());
    let (mut peer, _) = RawPeer::upgrade(server.addr, BARE_OFFER);
    // A final block of the reserved type 3.
    peer.write(&client_frame(COMPRESSED_TEXT, &[0xFF; 16]));
    expect_failure(
        &mut peer,
        &events,
        CloseCode::INVALID_PAYLOAD,
        ProtocolError::InvalidCompressedData,
    );
}

/// A raw server answering `extensions` (a `Sec-WebSocket-Extensions` value, if any), then
/// reading until the client hangs up. Its thread returns the request head and every byte
/// the client sent after the answer.
fn answering_server(extensions: Option<&str>) -> (String, JoinHandle<(String, Vec<u8>)>) {
    let extra = extensions
        .map(|value| format!("Sec-WebSocket-Extensions: {value}\r\n"))
        .unwrap_or_default();
    raw_server(extra, |mut peer, head| (head, peer.read_to_end()))
}

/// Connects, expecting the upgrade to fail; returns the error `on_error` reported.
fn failed_upgrade(client: &mut Client, url: &str, options: &sansws_mio::ClientOptions) -> Error {
    client
        .event_loop
        .connect_with(url, options)
        .expect("connect");
    match client.wait(|seen| matches!(seen, Seen::Open(_) | Seen::Error(..))) {
        Seen::Error(_, err) => err,
        other => panic!("the upgrade succeeded: {other:?}"),
    }
}

/// Answers that break the default offer fail the connection with `Error::Deflate` through
/// `on_error`; the client offered exactly `DeflateConfig::offer`, and hung up without
/// sending a frame.
#[test]
fn client_fails_answers_that_break_its_offer() {
    let mut client = Client::new(Options::default());
    for (answer, expected) in [
        (
            "permessage-deflate; server_max_window_bits=16",
            NegotiationError::InvalidParameter,
        ),
        (
            "permessage-deflate; server_max_window_bits=13",
            NegotiationError::WindowNotOffered,
        ),
        (
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=15",
            NegotiationError::WindowNotOffered,
        ),
        // The offer asked for a 12-bit server window: ignoring it is refusing it.
        ("permessage-deflate", NegotiationError::ParameterIgnored),
        (
            "permessage-deflate; server_max_window_bits=12, permessage-deflate; \
             server_max_window_bits=12",
            NegotiationError::Duplicate,
        ),
    ] {
        let (url, server) = answering_server(Some(answer));
        let err = failed_upgrade(&mut client, &url, &Default::default());
        assert!(
            matches!(err, Error::Deflate(found) if found == expected),
            "{answer}: {err:?}"
        );
        assert!(err.to_string().contains("permessage-deflate"), "{err}");
        assert!(std::error::Error::source(&err).is_some());

        let (head, rest) = join_turning(&mut client, server);
        assert_eq!(
            header(&head, "sec-websocket-extensions"),
            Some(DeflateConfig::default().offer().as_str())
        );
        assert!(rest.is_empty(), "the client sent {rest:?}");
        assert_eq!(client.event_loop.connection_count(), 0);
    }
}

/// A client with `deflate: None` offers nothing, so an answer naming the extension is one
/// it never offered.
#[test]
fn client_turned_off_offers_nothing_and_refuses_compression() {
    let mut client = Client::new(Options::default());
    let (url, server) = answering_server(Some("permessage-deflate"));
    let err = failed_upgrade(&mut client, &url, &uncompressed_client());
    assert!(
        matches!(err, Error::Response(ResponseError::ExtensionNotOffered)),
        "{err:?}"
    );
    let (head, _) = join_turning(&mut client, server);
    assert_eq!(header(&head, "sec-websocket-extensions"), None, "{head}");
}

/// A server that answers without the extension is fine: the client goes uncompressed.
#[test]
fn client_accepts_a_declined_offer() {
    let mut client = Client::new(Options::default());
    let (url, server) = raw_server(String::new(), |mut peer, _| peer.read_client_frame());
    let id = client.open(&url);
    let params = (client.event_loop)
        .with_conn(id, |conn| conn.connection().deflate_params())
        .expect("open");
    assert_eq!(params, None);
    let json = json_text(1024, 3);
    client.send(id, Text, json.as_bytes());
    let (first, payload) = join_turning(&mut client, server).expect("a frame");
    assert_eq!(first, TEXT, "sent uncompressed");
    assert!(payload == json.as_bytes());
}

/// A subprotocol long enough that, with the permessage-deflate answer, the 101 outgrows
/// the 512 bytes the server first writes it into.
static LONG_PROTOCOL: LazyLock<String> = LazyLock::new(|| "p".repeat(400));

fn choose_long(request: &Request<'_, '_>) -> Upgrade<'static> {
    let long = LONG_PROTOCOL.as_str();
    assert!(request.subprotocols().any(|offered| offered == long));
    Upgrade::Accept(Some(long))
}

/// A 101 longer than its first buffer (a long subprotocol and the permessage-deflate
/// answer) still goes out whole.
#[test]
fn a_long_answer_still_goes_out() {
    let (mut recorder, _) = Recorder::echo();
    recorder.upgrade = choose_long;
    let server = Server::start(recorder, Options::default());
    let offer = format!(
        "Sec-WebSocket-Protocol: {}\r\n{BARE_OFFER}",
        LONG_PROTOCOL.as_str()
    );
    let (mut peer, head) = RawPeer::upgrade(server.addr, &offer);
    assert!(head.len() > 512, "{} bytes", head.len());
    assert_eq!(
        header(&head, "sec-websocket-protocol"),
        Some(LONG_PROTOCOL.as_str())
    );
    let mut inflater = codec(true, agreed(&head), Config::default());
    let text = json_text(1024, 4);
    peer.write(&client_frame(TEXT, text.as_bytes()));
    let (first, payload) = peer.read_frame().expect("echo");
    let echo = read_message(&mut inflater, &server_frame(first, &payload));
    assert!(echo == Message::text(text));
}
