//! A server on the no-alloc API: parse and check the upgrade request, write the 101 (or the
//! matching 4xx), then read frames and answer them (text echoed back, pings and closes
//! answered by the connection), with keepalive timers running.
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use harness::{halt, millis, read, write};
use sansws::handshake::{Accept, HeaderStorage, Limits, Request};
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
    let t0 = now();
    let filled = handshake(rx, tx);
    connected(rx, tx, filled, t0)
}

/// The connection, once upgraded. A frame of its own, so the handshake's and the
/// connection's stack needs do not add up.
#[inline(never)]
fn connected(rx: &mut [u8], tx: &mut [u8], filled: usize, t0: Instant) -> ! {
    let mut conn = Connection::server(Config::DEFAULT, t0);
    conn.upgraded(now());
    run(&mut conn, rx, tx, filled)
}

/// The opening handshake, in a frame of its own that is gone before the connection runs.
/// Returns how many bytes past the request head (WebSocket frames) are at the start of `rx`.
#[inline(never)]
fn handshake(rx: &mut [u8], tx: &mut [u8]) -> usize {
    // 1. The request: read until the head is complete, check it, answer it.
    // Browsers send 10 to 15 header fields with an upgrade (User-Agent, Accept-Language,
    // Cookie, Origin...): room for 16 (256 B of stack) rather than the default 32 (512 B).
    // A longer request is refused as TooManyHeaders (431).
    const HEADERS: usize = 16;
    let mut limits = Limits::DEFAULT;
    limits.max_headers = HEADERS;
    limits.max_head_len = rx.len();
    let mut filled = 0;
    let head_len = loop {
        filled += read(&mut rx[filled..]);
        let mut storage: HeaderStorage<'_, HEADERS> = HeaderStorage::new();
        match Request::parse(&rx[..filled], &mut storage, &limits) {
            Ok(Status::Complete((request, head_len))) => {
                match request.write_accept(&Accept::new(), tx) {
                    Ok(n) => write(&tx[..n]),
                    Err(_) => halt(),
                }
                break head_len;
            }
            Ok(Status::Incomplete { .. }) => {}
            Err(refused) => {
                if let Ok(n) = refused.write_response(tx) {
                    write(&tx[..n]);
                }
                halt()
            }
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
