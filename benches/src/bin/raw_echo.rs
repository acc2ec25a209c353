//! The limit of the echo loop: a mio server on one thread that answers the WebSocket upgrade
//! by hand and then sends every byte back unchanged, with no framing at all (the load tool
//! accepts its own masked frames as echoes). Whatever a WebSocket server adds is measured
//! against this. `raw_echo [xor] ADDR`.
//!
//! With `xor` it also XORs every byte it reads, in place and right after the read, with a key
//! it cannot know is zero (so the bytes go back unchanged): the one pass over the payload
//! that every WebSocket server must make to unmask it, done at its cheapest (in the buffer
//! the kernel just wrote, by `sansws::frame::apply_mask`). That is the floor under any
//! server's CPU per message where unmasking dominates, measured in the same run.

use std::io;
#[cfg(not(target_os = "linux"))]
use std::io::{Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use sansws_benches::{find_head_end, upgrade_response};

const LISTENER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    /// The request head, until the upgrade is answered; then empty.
    head: Option<Vec<u8>>,
    /// Bytes the socket did not take yet; reading stops until they are written.
    backlog: Vec<u8>,
    /// Whether writable events are asked for: only while there is a backlog (as sansws-mio
    /// does; asked for all the time, every ACK that frees send space wakes the loop).
    writable: bool,
}

/// What became of a connection after it was served.
enum Outcome {
    Open,
    Closed,
}

/// One `recv`. On Linux it is made inline, as sansws-mio makes it (rustix): after a syscall
/// a return through frames that were live across it is mispredicted, and the floor should not
/// pay for wrappers a server can do without.
#[cfg(target_os = "linux")]
fn recv_bytes(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    Ok(rustix::net::recv(stream, buf, rustix::net::RecvFlags::empty())?.0)
}

/// One `send` (`MSG_NOSIGNAL`, as std's), inline on Linux like [`recv_bytes`].
#[cfg(target_os = "linux")]
fn send_bytes(stream: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    Ok(rustix::net::send(
        stream,
        bytes,
        rustix::net::SendFlags::NOSIGNAL,
    )?)
}

#[cfg(not(target_os = "linux"))]
fn recv_bytes(mut stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    stream.read(buf)
}

#[cfg(not(target_os = "linux"))]
fn send_bytes(mut stream: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    stream.write(bytes)
}

/// Writes as much of `bytes` as the socket takes; returns how many.
fn write_some(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<usize> {
    let mut written = 0;
    while written < bytes.len() {
        match send_bytes(stream, &bytes[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                written += n;
                if written < bytes.len() {
                    break; // the send buffer is full: a writable event follows
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(written)
}

/// Sends `bytes` now, keeping what the socket refuses in the backlog.
fn send(conn: &mut Conn, bytes: &[u8]) -> io::Result<()> {
    let n = write_some(&mut conn.stream, bytes)?;
    conn.backlog.extend_from_slice(&bytes[n..]);
    Ok(())
}

/// Reads and echoes until the socket is drained (edge-triggered); XORs what it reads with
/// `xor` first, if given.
fn serve(conn: &mut Conn, buf: &mut [u8], xor: Option<[u8; 4]>) -> io::Result<Outcome> {
    loop {
        if !conn.backlog.is_empty() {
            let n = write_some(&mut conn.stream, &conn.backlog)?;
            conn.backlog.drain(..n);
            if !conn.backlog.is_empty() {
                return Ok(Outcome::Open); // resumed on the next writable event
            }
        }
        let n = match recv_bytes(&conn.stream, buf) {
            Ok(0) => return Ok(Outcome::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Outcome::Open),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match conn.head.as_mut() {
            None => {
                if let Some(key) = xor {
                    sansws::frame::apply_mask(&mut buf[..n], key, 0);
                }
                send(conn, &buf[..n])?
            }
            Some(head) => {
                head.extend_from_slice(&buf[..n]);
                if let Some(end) = find_head_end(head) {
                    let mut rest = head.split_off(end);
                    if let Some(key) = xor {
                        sansws::frame::apply_mask(&mut rest, key, 0);
                    }
                    let answer =
                        upgrade_response(head).ok_or_else(|| io::Error::other("no key"))?;
                    conn.head = None;
                    send(conn, &answer)?;
                    send(conn, &rest)?;
                } else if head.len() > 8192 {
                    return Ok(Outcome::Closed);
                }
            }
        }
        if n < buf.len() {
            // A short read emptied the receive queue; epoll signals the next arrival, so the
            // read that would only say `WouldBlock` is skipped (as tokio and sansws-mio do).
            return Ok(Outcome::Open);
        }
    }
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args.iter().rfind(|a| *a != "xor");
    let addr = addr.map_or("127.0.0.1:9006", String::as_str);
    // Zero, but not to the compiler: the XOR is done, and changes nothing.
    let xor = args
        .iter()
        .any(|a| a == "xor")
        .then(|| std::hint::black_box([0; 4]));
    let mut listener = TcpListener::bind(addr.parse().map_err(io::Error::other)?)?;
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    // Connections by token, slots reused (no hashing on the way to one).
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 256 << 10];
    loop {
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => other?,
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            stream.set_nodelay(true)?;
                            let token = free.pop().unwrap_or_else(|| {
                                conns.push(None);
                                conns.len() - 1
                            });
                            poll.registry().register(
                                &mut stream,
                                Token(token),
                                Interest::READABLE,
                            )?;
                            conns[token] = Some(Conn {
                                stream,
                                head: Some(Vec::new()),
                                backlog: Vec::new(),
                                writable: false,
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let token = event.token().0;
            let Some(conn) = conns.get_mut(token).and_then(Option::as_mut) else {
                continue;
            };
            let mut open = matches!(serve(conn, &mut buf, xor), Ok(Outcome::Open));
            let wants = !conn.backlog.is_empty();
            if open && wants != conn.writable {
                let interest = if wants {
                    Interest::READABLE | Interest::WRITABLE
                } else {
                    Interest::READABLE
                };
                conn.writable = wants;
                open = poll
                    .registry()
                    .reregister(&mut conn.stream, Token(token), interest)
                    .is_ok();
            }
            if !open {
                if let Some(mut conn) = conns[token].take() {
                    let _ = poll.registry().deregister(&mut conn.stream);
                    free.push(token);
                }
            }
        }
    }
}
