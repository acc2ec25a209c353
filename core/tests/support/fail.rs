//! One check for every rule a peer can break: the typed error is reported exactly once, the
//! close frame naming its code is the only thing written, and the connection stays shut —
//! through the no-alloc API (whole and byte at a time) and the buffered API.

use sansws::{CloseCause, Config, Connection, Instant, ProtocolError, Role, SendError};

use super::driver::{Driver, Got};
use super::wire::{client_frame, only_close, server_frame, TEXT};
use super::{entropy, T0};

/// A frame `role`'s peer would send: masked towards a server, unmasked towards a client.
pub(crate) fn from_peer(role: Role, opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    match role {
        Role::Server => client_frame(opcode, fin, payload),
        Role::Client => server_frame(opcode, fin, payload),
    }
}

/// An upgraded connection of `role`.
pub(crate) fn upgraded(role: Role, config: Config, now: Instant) -> Connection {
    let mut conn = match role {
        Role::Server => Connection::server(config, now),
        Role::Client => Connection::client(config, entropy, now),
    };
    conn.upgraded(now);
    conn
}

/// Feeds a valid message, then `bad`, then another valid message to a `role` endpoint and
/// checks the connection fails with `expected` and the close code it names.
pub(crate) fn assert_fails(role: Role, config: Config, bad: &[u8], expected: ProtocolError) {
    let before = from_peer(role, TEXT, true, b"before");
    let after = from_peer(role, TEXT, true, b"after");
    let stream = [&before[..], bad, &after].concat();
    let code = expected.close_code().0;

    // No-alloc, whole stream at once.
    let mut d = Driver::new(upgraded(role, config, T0));
    d.feed(T0, &stream);
    assert_eq!(
        d.got,
        [Got::text("before"), Got::Error(expected)],
        "{role:?}"
    );
    assert_eq!(only_close(&d.take_wire()), Some(code));
    assert_eq!(
        d.conn.close_cause(),
        Some(CloseCause::ProtocolError(expected))
    );
    assert!(d.conn.is_closed() && !d.conn.is_open());
    // Later input: no second error, no event, nothing written; sends refused.
    d.feed(T0, &stream);
    assert_eq!(d.got.len(), 2);
    assert!(d.wire.is_empty());
    assert_eq!(d.pending_len(), 0, "a closed connection discards input");
    let mut out = [0u8; 64];
    assert_eq!(d.conn.send_text("x", &mut out), Err(SendError::Closed));
    assert_eq!(d.conn.poll_transmit(&mut out), Ok(0));

    // No-alloc, one byte at a time, payload bytes also through `handle_payload`: same
    // verdict, still once.
    let drivers = [Driver::new, Driver::direct];
    for (direct, driver) in drivers.into_iter().enumerate() {
        let mut d = driver(upgraded(role, config, T0));
        for byte in &stream {
            d.feed(T0, core::slice::from_ref(byte));
        }
        assert_eq!(
            d.got,
            [Got::text("before"), Got::Error(expected)],
            "{role:?} bytewise, direct {direct}"
        );
        assert_eq!(only_close(&d.wire), Some(code));
    }

    #[cfg(feature = "alloc")]
    assert_fails_buffered(role, config, &stream, expected);
}

#[cfg(feature = "alloc")]
fn assert_fails_buffered(role: Role, config: Config, stream: &[u8], expected: ProtocolError) {
    use sansws::conn::{Incoming, Message, WebSocket};

    let mut ws = WebSocket::new(upgraded(role, config, T0));
    ws.handle_read(T0, stream);
    assert_eq!(
        ws.poll_event(),
        Ok(Some(Incoming::Message(Message::text("before"))))
    );
    assert_eq!(ws.poll_event(), Err(expected));
    let cause = CloseCause::ProtocolError(expected);
    assert_eq!(ws.poll_event(), Ok(Some(Incoming::Closed(cause))));
    assert_eq!(ws.poll_event(), Ok(None));
    ws.handle_read(T0, stream);
    assert_eq!(ws.poll_event(), Ok(None));
    let wire: Vec<u8> = ws.transmit_chunks().flatten().copied().collect();
    assert_eq!(wire.len(), ws.queued_len());
    assert_eq!(only_close(&wire), Some(expected.close_code().0));
    assert_eq!(ws.send_text("x"), Err(SendError::Closed));
}
