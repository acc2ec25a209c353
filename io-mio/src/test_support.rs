//! What the unit tests share.

use std::time::Duration;

use mio::net::TcpStream;

/// A connected nonblocking mio socket and its blocking peer (reads time out after 10 s, so a
/// test that waits for bytes that never come fails instead of hanging).
pub(crate) fn socket_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let peer = std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    peer.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let (stream, _) = listener.accept().expect("accept");
    stream.set_nonblocking(true).expect("nonblocking");
    (TcpStream::from_std(stream), peer)
}
