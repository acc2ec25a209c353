//! The socket calls every message makes: `recv` (or `readv` at the end of a large frame), and
//! `send` or `sendmsg`, on a connection's socket.
//!
//! On Linux they are made inline (rustix's raw-syscall backend, without `unsafe` here)
//! rather than through std's `Read`/`Write` for mio's stream and libc's wrapper. The
//! kernel's call chains for a TCP send or receive run deeper than the CPU's return-stack
//! buffer, so after each syscall every `ret` through a frame that was live across it is
//! mispredicted; inline, the loop carries on in its own frame. On the 100 × 20 B echo this
//! took user CPU per message to 0.64 of the build before, total CPU to 0.83
//! (BENCHMARKS.md, session 10). Elsewhere the calls go through std.
//!
//! Both sends pass `MSG_NOSIGNAL` (std's `write` does too; its `write_vectored`, a `writev`,
//! cannot): a peer that went away yields `EPIPE`, never a `SIGPIPE`, which a library cannot
//! assume its program ignores.

use std::io::{self, IoSlice, IoSliceMut};

use mio::net::TcpStream;

/// Reads what the socket holds into `buf`, as `Read::read` would.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline(always)]
pub(crate) fn recv(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let (n, _) = rustix::net::recv(stream, buf, rustix::net::RecvFlags::empty())?;
    Ok(n)
}

/// Reads what the socket holds into `first`, then what does not fit there into `then`, as
/// `Read::read_vectored` would.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub(crate) fn recv_vectored(
    stream: &TcpStream,
    first: &mut [u8],
    then: &mut [u8],
) -> io::Result<usize> {
    Ok(rustix::io::readv(
        stream,
        &mut [IoSliceMut::new(first), IoSliceMut::new(then)],
    )?)
}

/// Writes as much of `bytes` as the socket takes, as `Write::write` would.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline(always)]
pub(crate) fn send(stream: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    Ok(rustix::net::send(
        stream,
        bytes,
        rustix::net::SendFlags::NOSIGNAL,
    )?)
}

/// Writes as much of `parts`, in order, as the socket takes, as `Write::write_vectored`
/// would. (A `sendmsg`, which takes `MSG_NOSIGNAL`; std's `writev` does not.)
#[cfg(any(target_os = "linux", target_os = "android"))]
#[inline]
pub(crate) fn send_vectored(stream: &TcpStream, parts: &[IoSlice<'_>]) -> io::Result<usize> {
    Ok(rustix::net::sendmsg(
        stream,
        parts,
        &mut rustix::net::SendAncillaryBuffer::default(),
        rustix::net::SendFlags::NOSIGNAL,
    )?)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn recv(mut stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    io::Read::read(&mut stream, buf)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn recv_vectored(
    mut stream: &TcpStream,
    first: &mut [u8],
    then: &mut [u8],
) -> io::Result<usize> {
    io::Read::read_vectored(
        &mut stream,
        &mut [IoSliceMut::new(first), IoSliceMut::new(then)],
    )
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn send(mut stream: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    io::Write::write(&mut stream, bytes)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[inline]
pub(crate) fn send_vectored(mut stream: &TcpStream, parts: &[IoSlice<'_>]) -> io::Result<usize> {
    io::Write::write_vectored(&mut stream, parts)
}

#[cfg(test)]
mod tests {
    use std::io::{IoSlice, Read, Write};

    use super::*;

    #[test]
    fn received_bytes_arrive_and_an_empty_socket_would_block() {
        let (stream, mut peer) = crate::test_support::socket_pair();
        let mut buf = [0; 16];
        let err = recv(&stream, &mut buf).expect_err("nothing sent yet");
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        peer.write_all(b"hello").expect("write");
        let got = recv_when_ready(&stream, &mut buf).unwrap_or(0);
        assert_eq!(&buf[..got], b"hello");
        drop(peer);
        let ended = recv_when_ready(&stream, &mut buf);
        assert_eq!(ended, Some(0), "end of file reads as 0 bytes");
    }

    #[test]
    fn a_vectored_read_fills_its_buffers_in_order() {
        let (stream, mut peer) = crate::test_support::socket_pair();
        peer.write_all(b"abcdefg").expect("write");
        let (mut first, mut then) = ([0; 3], [0; 16]);
        let got = poll_until_ready(|| recv_vectored(&stream, &mut first, &mut then));
        assert_eq!(got, Some(7));
        assert_eq!((&first, &then[..4]), (b"abc", &b"defg"[..]));
        // Fewer bytes than both buffers hold: the socket is empty now.
        let err = recv_vectored(&stream, &mut first, &mut then).expect_err("drained");
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    /// The first `recv` that does not say `WouldBlock` (polled for up to about a second).
    fn recv_when_ready(stream: &TcpStream, buf: &mut [u8]) -> Option<usize> {
        poll_until_ready(|| recv(stream, buf))
    }

    /// The first result of `read` that is not `WouldBlock` (polled for up to about a second).
    fn poll_until_ready(mut read: impl FnMut() -> io::Result<usize>) -> Option<usize> {
        for _ in 0..1000 {
            match read() {
                Ok(n) => return Some(n),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Err(err) => panic!("recv: {err}"),
            }
        }
        None
    }

    #[test]
    fn sent_bytes_reach_the_peer_in_order() {
        let (stream, mut peer) = crate::test_support::socket_pair();
        assert_eq!(send(&stream, b"ab").expect("send"), 2);
        let parts = [IoSlice::new(b"cd"), IoSlice::new(b""), IoSlice::new(b"ef")];
        assert_eq!(send_vectored(&stream, &parts).expect("writev"), 4);
        peer.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        let mut got = [0; 6];
        peer.read_exact(&mut got).expect("read");
        assert_eq!(&got, b"abcdef");
    }

    /// A peer that is gone makes either send fail with an error (`EPIPE` or a reset), which
    /// the loop reports. (Rust programs ignore `SIGPIPE` from the start, so this checks the
    /// error, not that no signal is raised.)
    #[test]
    fn sending_to_a_closed_peer_fails_with_an_error() {
        for vectored in [false, true] {
            let (stream, peer) = crate::test_support::socket_pair();
            drop(peer);
            let failed = send_until_failed(&stream, vectored);
            assert!(
                matches!(
                    failed,
                    Some(io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset)
                ),
                "vectored {vectored}: {failed:?}"
            );
        }
    }

    /// Sends until a send fails (bounded), and says how.
    fn send_until_failed(stream: &TcpStream, vectored: bool) -> Option<io::ErrorKind> {
        let bytes = [0; 1024];
        for _ in 0..1000 {
            let sent = if vectored {
                send_vectored(stream, &[IoSlice::new(&bytes), IoSlice::new(&bytes)])
            } else {
                send(stream, &bytes)
            };
            match sent {
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Some(err.kind()),
            }
        }
        None
    }
}
