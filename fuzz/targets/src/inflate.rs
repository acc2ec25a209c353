//! `inflate`: the permessage-deflate receive path (RFC 7692) on arbitrary bytes, and the
//! negotiation parsers on arbitrary header values.
//!
//! Input: a mode byte, then
//! - mode even: a settings byte (the peer's window bits 8–15, whether it resets its context,
//!   the message limit from 1 byte to 64 KiB), a split seed, then the server's frames as a
//!   client receives them (unmasked; RSV1 marks compressed messages). Invariants: no panic;
//!   every message is at most the limit; text is UTF-8; an error is reported once, with the
//!   close frame naming its code queued, and nothing but that close is written.
//! - mode odd: the rest as a `Sec-WebSocket-Extensions` value. Invariants: no panic; an
//!   accepted offer's response is one the client side accepts, with the same parameters.

use sansws::conn::{Incoming, WebSocket};
use sansws::deflate::{DeflateConfig, DeflateParams};
use sansws::{Config, Connection, Instant};

use crate::split;
use crate::wire::check_sent;

/// The fuzz target body.
pub fn inflate(data: &[u8]) {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 0 => receive(rest),
        Some((_, rest)) => negotiate(rest),
        None => {}
    }
}

fn entropy(dest: &mut [u8]) {
    dest.fill(0x5A);
}

fn receive(data: &[u8]) {
    let [settings, seed, frames @ ..] = data else {
        return;
    };
    let window_bits = 8 + (settings & 7);
    let params = DeflateParams {
        server_no_context_takeover: settings & 8 != 0,
        client_no_context_takeover: false,
        server_max_window_bits: window_bits,
        client_max_window_bits: 15,
    };
    let limit = 1u64 << (settings >> 4);
    let config = Config {
        max_message_len: limit,
        ping_interval: None,
        ..Config::DEFAULT
    };
    let now = Instant::ZERO;
    let mut conn = Connection::client(config, entropy, now);
    conn.upgraded(now);
    conn.enable_deflate(params, &DeflateConfig::default());
    let mut ws = WebSocket::new(conn);
    let mut errors = 0;
    let mut at = 0;
    for len in split::chunks(frames.len(), *seed) {
        ws.handle_read(now, &frames[at..at + len]);
        at += len;
        loop {
            match ws.poll_event() {
                Ok(Some(Incoming::Message(message))) => {
                    assert!(message.payload().len() as u64 <= limit, "over the limit");
                    if let sansws::conn::Message::Text(text) = &message {
                        assert!(core::str::from_utf8(text).is_ok(), "invalid text");
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(err) => {
                    errors += 1;
                    assert_eq!(errors, 1, "a second error");
                    let out: Vec<u8> = ws.transmit_chunks().flatten().copied().collect();
                    let sent = check_sent(&out, true);
                    let close = sent.frames.last().expect("a close frame");
                    assert_eq!(close.opcode, 0x8, "the close frame comes last");
                    let code = u16::from_be_bytes([close.payload[0], close.payload[1]]);
                    assert_eq!(code, err.close_code().0);
                }
            }
        }
        let queued: usize = ws.transmit_chunks().map(<[u8]>::len).sum();
        ws.advance_transmit(queued);
    }
}

fn negotiate(data: &[u8]) {
    let Ok(header) = core::str::from_utf8(data) else {
        return;
    };
    let offers = header.split(',');
    let server = DeflateConfig::default();
    if let Some(accepted) = server.accept_offers(offers) {
        // The client that made an offer allowing these parameters takes the answer as is.
        let client = DeflateConfig {
            max_window_bits: accepted.params.client_max_window_bits,
            peer_max_window_bits: 15,
            no_context_takeover: false,
            peer_no_context_takeover: false,
            ..DeflateConfig::DEFAULT
        };
        let agreed = client
            .check_response([accepted.response.as_str()])
            .expect("our own answer is acceptable");
        assert_eq!(agreed, Some(accepted.params));
    }
    // Whatever the server says, the client neither panics nor accepts twice.
    let _ = DeflateConfig::default().check_response(header.split(','));
}
