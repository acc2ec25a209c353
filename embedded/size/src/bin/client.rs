//! A client on the no-alloc API: write the upgrade request, check the 101, send a masked text
//! frame, then read frames and answer them (text echoed back, pings and closes answered by
//! the connection), with keepalive timers running.
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use harness::{halt, millis, read, rng_fill, write};
use sansws::handshake::{ClientRequest, HeaderStorage, Limits, Response};
use sansws::{Config, Connection, Event, Instant, Status};

static mut RX: [u8; 512] = [0; 512];
static mut TX: [u8; 256] = [0; 256];

fn now() -> Instant {
    Instant::from_millis(millis())
}

/// Writes whatever the connection queued (pongs, keepalive pings, the close frame).
fn flush(conn: &mut Connection, tx: &mut [u8]) {
    while let Ok(n @ 1..) = conn.poll_transmit(tx) {
        write(&tx[..n]);
    }
}

#[no_mangle]
pub extern "C" fn _start() -> ! {
    // SAFETY: the only references ever made to RX and TX.
    let (rx, tx) = unsafe { (&mut *addr_of_mut!(RX), &mut *addr_of_mut!(TX)) };
    let filled = handshake(rx, tx);
    connected(rx, tx, filled)
}

/// The connection, once upgraded: a masked text frame first, then the run loop. A frame of
/// its own, so the handshake's and the connection's stack needs do not add up.
#[inline(never)]
fn connected(rx: &mut [u8], tx: &mut [u8], filled: usize) -> ! {
    let t = now();
    let mut conn = Connection::client(Config::DEFAULT, rng_fill, t);
    conn.upgraded(t);
    match conn.send_text("hello", tx) {
        Ok(n) => write(&tx[..n]),
        Err(_) => halt(),
    }
    run(&mut conn, rx, tx, filled)
}

/// The opening handshake, in a frame of its own that is gone before the connection runs.
/// Returns how many bytes past the response head (WebSocket frames) are at the start of `rx`.
#[inline(never)]
fn handshake(rx: &mut [u8], tx: &mut [u8]) -> usize {
    // 1. The upgrade request, with a key from the hardware RNG.
    let mut nonce = [0u8; 16];
    rng_fill(&mut nonce);
    let Ok((len, handshake)) = ClientRequest::new("example.com", "/ws").write(nonce, tx) else {
        halt()
    };
    write(&tx[..len]);

    // 2. The answer: read until the head is complete, then check every rule.
    // A 101 answer carries a handful of headers (Upgrade, Connection, Sec-WebSocket-Accept,
    // perhaps a subprotocol, extensions, Date, Server): room for 8 (128 B of stack) rather than
    // the default 32 (512 B). A longer answer is refused as TooManyHeaders.
    const HEADERS: usize = 8;
    let mut limits = Limits::DEFAULT;
    limits.max_headers = HEADERS;
    limits.max_head_len = rx.len();
    let mut filled = 0;
    let head_len = loop {
        filled += read(&mut rx[filled..]);
        let mut storage: HeaderStorage<'_, HEADERS> = HeaderStorage::new();
        match handshake.check_response(&rx[..filled], &mut storage, &limits) {
            Ok(Status::Complete((Response::Upgraded(_), head_len))) => break head_len,
            Ok(Status::Incomplete { .. }) => {}
            _ => halt(),
        }
    };
    rx.copy_within(head_len..filled, 0);
    filled - head_len
}

fn run(conn: &mut Connection, rx: &mut [u8], tx: &mut [u8], mut filled: usize) -> ! {
    loop {
        filled += read(&mut rx[filled..]);
        let t = now();
        let mut start = 0;
        loop {
            let Ok(step) = conn.handle_read(t, &mut rx[start..filled]) else {
                break; // the close frame naming the error is queued
            };
            start += step.consumed;
            match step.event {
                None => break,
                Some(Event::Message {
                    kind,
                    payload,
                    last,
                    ..
                }) => {
                    if let Ok(n) = conn.send_fragment(kind, payload, last, tx) {
                        write(&tx[..n]);
                    }
                }
                Some(_) => {}
            }
            flush(conn, tx);
        }
        rx.copy_within(start..filled, 0);
        filled -= start;
        conn.handle_timeout(t);
        flush(conn, tx);
        if conn.is_closed() {
            halt()
        }
    }
}
