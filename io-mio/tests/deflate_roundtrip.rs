//! permessage-deflate between the adapter's own client and server: negotiated by default,
//! every context-takeover and window setting (asked by the client or imposed by the server),
//! messages of every size (1 MiB ones arrive as large frames, read straight in), messages
//! split into many frames, and turned off on either side.
#![cfg(feature = "deflate")]

mod support;

use std::sync::mpsc::Receiver;

use sansws_mio::sansws::{CloseCause, CloseCode, Config, Connection, Instant, MessageKind};
use sansws_mio::{ClientOptions, ConnId, DeflateConfig, DeflateParams, Options};
use support::{json_text, pattern, wait_for, Client, Recorder, Seen, Server, LIMIT};

use MessageKind::{Binary, Text};

/// Windows as large as the protocol allows, asked of nobody.
const FULL: DeflateConfig = DeflateConfig {
    max_window_bits: 15,
    peer_max_window_bits: 15,
    ..DeflateConfig::DEFAULT
};

fn server_options(deflate: Option<DeflateConfig>) -> Options {
    Options {
        deflate,
        ..Options::default()
    }
}

fn client_options(deflate: Option<DeflateConfig>) -> ClientOptions {
    ClientOptions {
        deflate,
        ..ClientOptions::default()
    }
}

/// An echo server that reports what it agreed on each connection.
fn echo_server(options: Options) -> (Server<Recorder>, Receiver<Seen>) {
    let (mut echo, events) = Recorder::echo();
    echo.report_messages = false;
    echo.report_agreed = true;
    (Server::start(echo, options), events)
}

/// Opens a connection; returns it and what the client and the server agreed on.
fn open(
    client: &mut Client,
    server: &Server<Recorder>,
    server_events: &Receiver<Seen>,
    options: &ClientOptions,
) -> (ConnId, Option<DeflateParams>, Option<DeflateParams>) {
    let id = client.open_with(&server.url("/"), options);
    let client_agreed = client
        .event_loop
        .with_conn(id, |conn| conn.connection().deflate_params())
        .expect("open");
    let agreed = wait_for(server_events, LIMIT, |seen| {
        matches!(seen, Seen::Agreed(..))
    });
    let Seen::Agreed(_, server_agreed) = agreed else {
        unreachable!("wait_for returns a match");
    };
    (id, client_agreed, server_agreed)
}

/// Sends each message, checks its echo, then closes cleanly.
fn echo_all(client: &mut Client, id: ConnId, messages: &[(MessageKind, Vec<u8>)]) {
    for (kind, payload) in messages {
        client.send(id, *kind, payload);
        let (from, echo_kind, echo) = client.recv();
        assert_eq!((from, echo_kind), (id, *kind));
        assert!(
            echo == *payload,
            "{kind:?} echo of {} bytes differs",
            payload.len()
        );
    }
    client
        .event_loop
        .with_conn(id, |conn| conn.close(CloseCode::NORMAL, ""))
        .expect("open")
        .expect("close");
    let closed = client.wait(|seen| matches!(seen, Seen::Close(..)));
    let clean = CloseCause::Handshake {
        peer_code: CloseCode::NORMAL,
        initiated_locally: true,
    };
    assert!(
        matches!(closed, Seen::Close(_, cause) if cause == clean),
        "{closed:?}"
    );
}

/// Empty, below the 32-byte threshold, and JSON larger than every window, twice over: the
/// second copy is where a kept context pays off (and where a wrongly kept one breaks).
fn assorted() -> Vec<(MessageKind, Vec<u8>)> {
    let json = json_text(40 * 1024, 0).into_bytes();
    vec![
        (Text, Vec::new()),
        (Binary, Vec::new()),
        (Text, b"ten bytes!".to_vec()),
        (Text, json.clone()),
        (Binary, pattern(4096, 3)),
        (Text, json),
        (Text, b"ten bytes!".to_vec()),
    ]
}

/// The payload length of `payload` compressed as a client with `params` would send it.
fn compressed_len(params: DeflateParams, payload: &[u8]) -> usize {
    let mut sender = Connection::client(Config::default(), |_| {}, Instant::ZERO);
    sender.enable_deflate(params, &DeflateConfig::default());
    sender.upgraded(Instant::ZERO);
    let mut wire = Vec::new();
    sender
        .send_to_vec(Binary, payload, &mut wire)
        .expect("send");
    assert_eq!(wire[0] & 0x40, 0x40, "compressed");
    wire.len() - 14 // a 64-bit length and a mask key
}

/// Both ends default to 4 KiB windows and keep their context; messages of every size echo
/// intact, a compressed frame larger than a read among them (the large-frame path, which
/// reads a frame straight into its connection's buffer, carries it both ways).
#[test]
fn default_options_negotiate_and_echo_every_size() {
    let (server, server_events) = echo_server(Options::default());
    let mut client = Client::new(Options::default());
    let (id, client_agreed, server_agreed) = open(
        &mut client,
        &server,
        &server_events,
        &ClientOptions::default(),
    );
    let expected = DeflateParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 12,
        client_max_window_bits: 12,
    };
    assert_eq!(
        (client_agreed, server_agreed),
        (Some(expected), Some(expected))
    );

    // Compressed, it outgrows the loop's read buffer: the rest of its frame after the first
    // read is read straight into the connection's buffer, at both ends.
    let binary_1m = pattern(1 << 20, 9);
    let len = compressed_len(expected, &binary_1m);
    assert!(
        len > Options::default().read_buffer_len,
        "compressed to {len}"
    );
    let mut messages = assorted();
    messages.extend([
        (Text, json_text(64 * 1024, 5).into_bytes()),
        (Text, json_text(1 << 20, 7).into_bytes()),
        (Binary, binary_1m),
        (Text, b"after the large ones".to_vec()),
    ]);
    echo_all(&mut client, id, &messages);
}

/// Every combination of `server_no_context_takeover`, `client_no_context_takeover` and
/// window bits 9, 12 and 15 for each side, once asked for in the client's offer and once
/// imposed by the server's configuration: both ends agree on exactly those parameters and
/// every message survives.
#[test]
fn every_context_and_window_setting_both_ways() {
    let (asking_server, asking_events) = echo_server(server_options(Some(FULL)));
    let mut client = Client::new(Options::default());
    for server_reset in [false, true] {
        for client_reset in [false, true] {
            for server_bits in [9, 12, 15] {
                for client_bits in [9, 12, 15] {
                    let expected = DeflateParams {
                        server_no_context_takeover: server_reset,
                        client_no_context_takeover: client_reset,
                        server_max_window_bits: server_bits,
                        client_max_window_bits: client_bits,
                    };
                    let asked = DeflateConfig {
                        no_context_takeover: client_reset,
                        peer_no_context_takeover: server_reset,
                        max_window_bits: client_bits,
                        peer_max_window_bits: server_bits,
                        ..FULL
                    };
                    let (id, at_client, at_server) = open(
                        &mut client,
                        &asking_server,
                        &asking_events,
                        &client_options(Some(asked)),
                    );
                    let setting = format!("{expected:?} asked with {asked:?}");
                    assert_eq!(at_client, Some(expected), "{setting}");
                    assert_eq!(at_server, Some(expected), "{setting}");
                    echo_all(&mut client, id, &assorted());

                    let imposed = DeflateConfig {
                        no_context_takeover: server_reset,
                        peer_no_context_takeover: client_reset,
                        max_window_bits: server_bits,
                        peer_max_window_bits: client_bits,
                        ..FULL
                    };
                    let (server, events) = echo_server(server_options(Some(imposed)));
                    let full = client_options(Some(FULL));
                    let (id, at_client, at_server) = open(&mut client, &server, &events, &full);
                    let setting = format!("{expected:?} imposed with {imposed:?}");
                    assert_eq!(at_client, Some(expected), "{setting}");
                    assert_eq!(at_server, Some(expected), "{setting}");
                    echo_all(&mut client, id, &assorted());
                }
            }
        }
    }
}

/// Compressed messages split into many frames both ways: small frames reassembled from the
/// loop's reads, and large ones (a compressed 1 MiB message in frames of 100 KiB) whose
/// first piece comes through the loop's buffer and the rest straight into the connection's.
#[test]
fn compressed_messages_in_many_frames() {
    for max_send_frame_len in [100, 100 * 1024] {
        let config = Config {
            max_send_frame_len,
            ..Config::default()
        };
        let (server, server_events) = echo_server(Options {
            config,
            ..Options::default()
        });
        let mut client = Client::new(Options {
            config,
            ..Options::default()
        });
        let (id, client_agreed, _) = open(
            &mut client,
            &server,
            &server_events,
            &ClientOptions::default(),
        );
        assert!(client_agreed.is_some());
        let mut messages = assorted();
        messages.push((Text, json_text(256 * 1024, 2).into_bytes()));
        if max_send_frame_len > 100 {
            messages.push((Text, json_text(1 << 20, 3).into_bytes()));
        }
        echo_all(&mut client, id, &messages);
    }
}

/// `None` on either side (or both): nothing is compressed and messages still flow.
#[test]
fn turned_off_on_either_side_echoes_uncompressed() {
    let on = Some(DeflateConfig::default());
    for (client_config, server_config) in [(None, on), (on, None), (None, None)] {
        let (server, server_events) = echo_server(server_options(server_config));
        let mut client = Client::new(Options::default());
        let options = client_options(client_config);
        let (id, at_client, at_server) = open(&mut client, &server, &server_events, &options);
        assert_eq!((at_client, at_server), (None, None));
        echo_all(&mut client, id, &assorted());
    }
}
