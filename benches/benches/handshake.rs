//! The opening handshake on each side, with no I/O: what accepting one browser connection and
//! checking one server's answer cost in CPU before the first frame (SHA-1 of the key included).
//!
//! - `handshake_server`: a browser-like upgrade request (Chrome's header set and order: Host,
//!   Connection, Pragma, Cache-Control, User-Agent, Upgrade, Origin, Sec-WebSocket-Version,
//!   Accept-Encoding, Accept-Language, Cookie, Sec-WebSocket-Key, Sec-WebSocket-Extensions;
//!   592 bytes). `parse`: `Request::parse` with a fresh `HeaderStorage` and the default
//!   `Limits` (HTTP parse plus the RFC 6455 §4.2.1 checks); `parse_accept`: the same, then
//!   `write_accept` with `Accept::new()` (the 101, computing `Sec-WebSocket-Accept`);
//!   `httparse`: `httparse::Request::parse` alone into 32 header slots, the floor under
//!   `parse` (sansws parses with httparse, then validates); `accept_key`:
//!   `AcceptKey::from_key` alone (SHA-1 and base64 of the key), the hashing inside both
//!   `write_accept` and `ClientRequest::write`.
//! - `handshake_client`: `write`: `ClientRequest::write` of a plain request (host and target,
//!   no offers, no extra headers; this computes the expected accept value); `check_response`:
//!   `ClientHandshake::check_response` on a valid 101 as nginx sends it (Server, Date,
//!   Connection, Upgrade, Sec-WebSocket-Accept); `write_check`: both, one client's whole
//!   handshake.
//!
//! Throughput is in handshakes (one side each).

use criterion::{black_box, Criterion, Throughput};
use sansws::handshake::{
    Accept, AcceptKey, ClientRequest, HeaderStorage, Limits, Request, Response, DEFAULT_MAX_HEADERS,
};
use sansws::Status;

/// What Chrome sends to open `wss://example.com/chat?room=lobby` from a page on the same site
/// (the key is RFC 6455 §1.2's example).
const REQUEST: &[u8] = b"GET /chat?room=lobby HTTP/1.1\r\n\
Host: example.com\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
Chrome/124.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: https://example.com\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Cookie: session=3f1c9a7e5b2d4c8f9e0a1b2c3d4e5f60; theme=dark; _ga=GA1.1.1234567890.1700000000\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
\r\n";

/// The request's `Sec-WebSocket-Key`.
const KEY: &[u8] = b"dGhlIHNhbXBsZSBub25jZQ==";

/// The client's target host and request target.
const HOST: &str = "example.com";
const TARGET: &str = "/chat?room=lobby";
/// The client's nonce (a real client draws a fresh one per connection).
const NONCE: [u8; 16] = *b"the sample nonce";

fn bench_server(c: &mut Criterion) {
    let limits = Limits::DEFAULT;
    let accept = Accept::new();
    let mut out = [0u8; 512];

    // The request is valid and the answer is the 101 for its key.
    let mut storage: HeaderStorage = HeaderStorage::new();
    let Ok(Status::Complete((request, head_len))) = Request::parse(REQUEST, &mut storage, &limits)
    else {
        panic!("the request does not parse");
    };
    assert_eq!((head_len, REQUEST.len()), (592, 592));
    assert_eq!(request.headers().len(), 13);
    let written = request.write_accept(&accept, &mut out).unwrap();
    let answer = std::str::from_utf8(&out[..written]).unwrap();
    assert!(answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(answer.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));

    let mut group = c.benchmark_group("handshake_server");
    group.throughput(Throughput::Elements(1));
    group.bench_function("httparse", |b| {
        b.iter(|| {
            let mut slots = [httparse::EMPTY_HEADER; DEFAULT_MAX_HEADERS];
            let mut req = httparse::Request::new(&mut slots);
            match req.parse(black_box(REQUEST)) {
                Ok(httparse::Status::Complete(len)) => len,
                other => panic!("{other:?}"),
            }
        })
    });
    group.bench_function("accept_key", |b| {
        b.iter(|| AcceptKey::from_key(black_box(KEY)))
    });
    group.bench_function("parse", |b| {
        b.iter(|| {
            let mut storage: HeaderStorage = HeaderStorage::new();
            match Request::parse(black_box(REQUEST), &mut storage, &limits) {
                Ok(Status::Complete((request, head_len))) => {
                    black_box(request);
                    head_len
                }
                other => panic!("{other:?}"),
            }
        })
    });
    group.bench_function("parse_accept", |b| {
        b.iter(|| {
            let mut storage: HeaderStorage = HeaderStorage::new();
            match Request::parse(black_box(REQUEST), &mut storage, &limits) {
                Ok(Status::Complete((request, _))) => {
                    request.write_accept(&accept, &mut out).unwrap()
                }
                other => panic!("{other:?}"),
            }
        })
    });
    group.finish();
}

fn bench_client(c: &mut Criterion) {
    let limits = Limits::DEFAULT;
    let request = ClientRequest::new(HOST, TARGET);
    let mut out = [0u8; 512];

    // The answer an upgraded server (nginx in front) sends, for this nonce.
    let (_, handshake) = request.write(NONCE, &mut out).unwrap();
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\n\
         Server: nginx/1.24.0\r\n\
         Date: Tue, 14 Apr 2026 12:00:00 GMT\r\n\
         Connection: upgrade\r\n\
         Upgrade: websocket\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        handshake.expected_accept().as_str()
    )
    .into_bytes();
    let response = &response[..];
    let check = || {
        let mut storage: HeaderStorage = HeaderStorage::new();
        match handshake.check_response(black_box(response), &mut storage, &limits) {
            Ok(Status::Complete((Response::Upgraded(up), head_len))) => {
                black_box(up);
                head_len
            }
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(check(), response.len());

    let mut group = c.benchmark_group("handshake_client");
    group.throughput(Throughput::Elements(1));
    group.bench_function("write", |b| {
        b.iter(|| request.write(black_box(NONCE), &mut out).unwrap().0)
    });
    group.bench_function("check_response", |b| b.iter(check));
    group.bench_function("write_check", |b| {
        b.iter(|| {
            let (len, handshake) = request.write(black_box(NONCE), &mut out).unwrap();
            black_box(&out[..len]);
            let mut storage: HeaderStorage = HeaderStorage::new();
            match handshake.check_response(black_box(response), &mut storage, &limits) {
                Ok(Status::Complete((Response::Upgraded(up), head_len))) => {
                    black_box(up);
                    head_len
                }
                other => panic!("{other:?}"),
            }
        })
    });
    group.finish();
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_server(&mut criterion);
    bench_client(&mut criterion);
    criterion.final_summary();
}
