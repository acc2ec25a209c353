//! Helpers shared by the adapter's integration tests: bounded runs, an echo server on a free
//! loopback port, and a raw TCP peer that speaks the HTTP upgrade and the frame format by
//! hand (so the adapter meets bytes it did not produce itself).

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use core::future::Future;
use core::net::SocketAddr;
use core::time::Duration;

use sansws_tokio::sansws::handshake::AcceptKey;
use sansws_tokio::{serve, ClientOptions, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Runs `fut`, failing the test if it takes longer than `limit`.
pub(crate) async fn bounded<F: Future>(limit: Duration, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(output) => output,
        Err(_) => panic!("test did not finish within {limit:?}"),
    }
}

/// A listener on a free loopback port.
pub(crate) async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    (listener, addr)
}

/// Starts an echo server (`serve` + `recv`/`feed`) on a free port; returns its `ws://` URL.
/// The server task ends with the test's runtime.
pub(crate) async fn echo_server(options: ServerOptions) -> String {
    let (listener, addr) = listener().await;
    tokio::spawn(serve(listener, options, |mut ws| async move {
        while let Some(Ok(message)) = ws.recv().await {
            if ws.feed(message).await.is_err() {
                break;
            }
        }
    }));
    format!("ws://{addr}/")
}

/// Server options with permessage-deflate off (when built in), for tests about the frames
/// and the transport: compressed, a payload would not have the length the test chose.
pub(crate) fn uncompressed_server() -> ServerOptions {
    ServerOptions {
        #[cfg(feature = "deflate")]
        deflate: None,
        ..ServerOptions::default()
    }
}

/// Client options with permessage-deflate off; see [`uncompressed_server`].
pub(crate) fn uncompressed_client() -> ClientOptions {
    ClientOptions {
        #[cfg(feature = "deflate")]
        deflate: None,
        ..ClientOptions::default()
    }
}

/// `len` bytes of a pattern that differs from byte to byte and from seed to seed.
pub(crate) fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

/// `len` bytes of valid UTF-8 text mixing one-, two- and three-byte characters.
pub(crate) fn text(len: usize, seed: u8) -> String {
    let mut out = String::with_capacity(len);
    let mut i = usize::from(seed);
    while out.len() < len {
        let room = len - out.len();
        let c = match i % 5 {
            0 if room >= 3 => '€',
            1 if room >= 2 => 'é',
            _ => char::from(b'a' + (i % 26) as u8),
        };
        out.push(c);
        i += 1;
    }
    out
}

/// `len` bytes of JSON-like text (records with repeated keys and varying values), the
/// kind of traffic compression is for.
pub(crate) fn json_text(len: usize, seed: u32) -> String {
    let mut out = String::with_capacity(len + 128);
    let mut i = seed;
    while out.len() < len {
        let score = i.wrapping_mul(2_654_435_761) % 1000;
        out.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"tags\":[\"a{}\",\"b\"],\"score\":{score}}}\n",
            i % 37,
            i % 11,
        ));
        i = i.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// A client frame: `first` is FIN/RSV/opcode, the payload is masked with `key`.
pub(crate) fn masked_frame(first: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut frame = vec![first];
    let len = payload.len();
    if len < 126 {
        frame.push(0x80 | len as u8);
    } else if len <= 0xFFFF {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        frame.push(0x80 | 127);
        frame.extend_from_slice(&(len as u64).to_be_bytes());
    }
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

/// A server frame (unmasked).
pub(crate) fn unmasked_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![first];
    let len = payload.len();
    if len < 126 {
        frame.push(len as u8);
    } else if len <= 0xFFFF {
        frame.push(126);
        frame.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        frame.push(127);
        frame.extend_from_slice(&(len as u64).to_be_bytes());
    }
    frame.extend_from_slice(payload);
    frame
}

/// One frame as read off the wire by [`RawPeer::read_frame`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RawFrame {
    /// FIN/RSV/opcode byte.
    pub(crate) first: u8,
    /// Whether the MASK bit was set.
    pub(crate) masked: bool,
    /// The payload, unmasked.
    pub(crate) payload: Vec<u8>,
}

impl RawFrame {
    pub(crate) fn opcode(&self) -> u8 {
        self.first & 0x0F
    }
}

/// A hand-driven TCP peer with its own read buffer.
#[derive(Debug)]
pub(crate) struct RawPeer {
    pub(crate) io: TcpStream,
    pub(crate) buf: Vec<u8>,
}

impl RawPeer {
    pub(crate) fn new(io: TcpStream) -> Self {
        io.set_nodelay(true).expect("nodelay");
        RawPeer {
            io,
            buf: Vec::new(),
        }
    }

    /// Connects to `addr` without sending anything.
    pub(crate) async fn connect(addr: SocketAddr) -> Self {
        RawPeer::new(TcpStream::connect(addr).await.expect("connect"))
    }

    /// Connects to `addr` and performs a client upgrade by hand, checking the 101 answer.
    pub(crate) async fn upgrade(addr: SocketAddr, extra_headers: &str) -> (Self, String) {
        let mut peer = RawPeer::connect(addr).await;
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let request = format!(
            "GET /chat HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n\
             Sec-WebSocket-Version: 13\r\n{extra_headers}\r\n"
        );
        peer.write(request.as_bytes()).await;
        let head = peer.read_head().await.expect("response head");
        assert!(head.starts_with("HTTP/1.1 101"), "not upgraded: {head}");
        let accept = AcceptKey::from_key(key.as_bytes());
        assert!(
            header(&head, "sec-websocket-accept") == Some(accept.as_str()),
            "bad accept key: {head}"
        );
        (peer, head)
    }

    pub(crate) async fn write(&mut self, bytes: &[u8]) {
        self.io.write_all(bytes).await.expect("raw write");
    }

    /// Reads more bytes into the buffer; `false` at end of stream (or on a reset).
    async fn fill(&mut self) -> bool {
        let mut chunk = [0; 16 * 1024];
        match self.io.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Reads an HTTP head (through the blank line); `None` if the stream ends first.
    pub(crate) async fn read_head(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return Some(String::from_utf8(head).expect("ASCII head"));
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// Reads one frame (masked or not); `None` if the stream ends first.
    pub(crate) async fn read_frame(&mut self) -> Option<RawFrame> {
        loop {
            if let Some((frame, used)) = parse_frame(&self.buf) {
                self.buf.drain(..used);
                return Some(frame);
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// Reads until the peer ends the stream; returns everything left unparsed.
    pub(crate) async fn read_to_end(&mut self) -> Vec<u8> {
        while self.fill().await {}
        core::mem::take(&mut self.buf)
    }

    /// Answers an upgrade request already read as `head` with 101 (and `extra_headers`).
    pub(crate) async fn answer_upgrade(&mut self, head: &str, extra_headers: &str) {
        let key = header(head, "sec-websocket-key").expect("request has a key");
        let accept = AcceptKey::from_key(key.as_bytes());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n{extra_headers}\r\n",
            accept.as_str()
        );
        self.write(response.as_bytes()).await;
    }
}

/// Parses one frame from the front of `buf`: the frame and the bytes it used.
fn parse_frame(buf: &[u8]) -> Option<(RawFrame, usize)> {
    if buf.len() < 2 {
        return None;
    }
    let masked = buf[1] & 0x80 != 0;
    let (len, mut at) = match buf[1] & 0x7F {
        126 => (
            usize::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => {
            let len = u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?);
            (usize::try_from(len).expect("frame fits memory"), 10)
        }
        len => (usize::from(len), 2),
    };
    let mut key = [0; 4];
    if masked {
        key.copy_from_slice(buf.get(at..at + 4)?);
        at += 4;
    }
    let payload = buf.get(at..at + len)?;
    let payload = if masked {
        payload
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[i % 4])
            .collect()
    } else {
        payload.to_vec()
    };
    let frame = RawFrame {
        first: buf[0],
        masked,
        payload,
    };
    Some((frame, at + len))
}

/// The value of header `name` (case-insensitive) in an HTTP head.
pub(crate) fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}
