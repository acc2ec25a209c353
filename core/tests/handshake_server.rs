//! Server side of the opening handshake: request parsing, validation, and answers.

use sansws::handshake::{Accept, Header, HeaderStorage, Limits, Request, WriteError};
use sansws::{InsufficientSize, Status};

/// RFC 6455 §1.2, the client's handshake.
const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

/// RFC 6455 §1.2/§1.3, the server's handshake (with the accept value §1.3 computes).
const RFC_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: chat\r\n\r\n";

/// A minimal valid request with `extra` header lines inserted before the blank line.
fn request_with(first_line: &str, drop: &str, extra: &str) -> String {
    let mut head = format!("{first_line}\r\n");
    for line in [
        "Host: example.com",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw==",
    ] {
        if drop.is_empty() || !line.starts_with(drop) {
            head.push_str(line);
            head.push_str("\r\n");
        }
    }
    head.push_str(extra);
    head.push_str("\r\n");
    head
}

fn valid_with(extra: &str) -> String {
    request_with("GET / HTTP/1.1", "", extra)
}

#[test]
fn rfc6455_section_1_2_request_and_response() {
    let mut storage: HeaderStorage = HeaderStorage::new();
    let parsed = Request::parse(RFC_REQUEST.as_bytes(), &mut storage, &Limits::DEFAULT);
    let Ok(Status::Complete((request, head_len))) = parsed else {
        panic!("{parsed:?}");
    };
    assert_eq!(head_len, RFC_REQUEST.len());
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.query(), None);
    assert_eq!(request.host(), "server.example.com");
    assert_eq!(request.origin(), Some("http://example.com"));
    assert_eq!(request.key().as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(
        request.accept_key().as_str(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    let offered: Vec<_> = request.subprotocols().collect();
    assert_eq!(offered, ["chat", "superchat"]);
    assert_eq!(request.extensions().count(), 0);

    let mut out = [0u8; 256];
    let n = request
        .write_accept(&Accept::new().subprotocol("chat"), &mut out)
        .unwrap();
    assert_eq!(core::str::from_utf8(&out[..n]).unwrap(), RFC_RESPONSE);
}

#[test]
fn accessors_query_lists_and_headers() {
    let head = "GET /a/b?x=1&y=2 HTTP/1.1\r\nhost: h:8080\r\nUPGRADE: WebSocket\r\n\
        connection: keep-alive, Upgrade\r\nsec-websocket-version: 13\r\n\
        Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw==\r\nSec-WebSocket-Protocol: a\r\n\
        Sec-WebSocket-Protocol: b , c\r\n\
        Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo\r\n\
        Sec-WebSocket-Extensions: x-bar; q=\"1\"\r\nCookie: id=7\r\n\r\n";
    let mut storage: HeaderStorage = HeaderStorage::new();
    let (request, _) = Request::parse(head.as_bytes(), &mut storage, &Limits::DEFAULT)
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(request.target(), "/a/b?x=1&y=2");
    assert_eq!(request.path(), "/a/b");
    assert_eq!(request.query(), Some("x=1&y=2"));
    assert_eq!(request.host(), "h:8080");
    assert_eq!(request.origin(), None);
    assert_eq!(request.subprotocols().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(
        request.extensions().collect::<Vec<_>>(),
        [
            "permessage-deflate; client_max_window_bits",
            "x-foo",
            "x-bar; q=\"1\""
        ]
    );
    assert_eq!(request.header("COOKIE"), Some(&b"id=7"[..]));
    assert_eq!(request.header("x-missing"), None);
    assert_eq!(request.headers().len(), 10);
    assert_eq!(
        request.headers().get_all("sec-websocket-protocol").count(),
        2
    );
}

#[test]
fn split_at_every_byte_then_frame_bytes_are_left() {
    let frame = [
        0x81u8,
        0x85,
        1,
        2,
        3,
        4,
        b'h' ^ 1,
        b'e' ^ 2,
        b'l' ^ 3,
        b'l' ^ 4,
        b'o' ^ 1,
    ];
    let mut input = RFC_REQUEST.as_bytes().to_vec();
    input.extend_from_slice(&frame);
    for end in 0..RFC_REQUEST.len() {
        let mut storage: HeaderStorage = HeaderStorage::new();
        match Request::parse(&input[..end], &mut storage, &Limits::DEFAULT) {
            Ok(Status::Incomplete { needed }) => assert!(needed >= 1),
            other => panic!("prefix of {end} bytes gave {other:?}"),
        }
    }
    for end in RFC_REQUEST.len()..=input.len() {
        let mut storage: HeaderStorage = HeaderStorage::new();
        let parsed = Request::parse(&input[..end], &mut storage, &Limits::DEFAULT);
        let Ok(Status::Complete((request, head_len))) = parsed else {
            panic!("{end} bytes gave {parsed:?}");
        };
        assert_eq!(head_len, RFC_REQUEST.len());
        assert_eq!(&input[head_len..end], &frame[..end - head_len]);
        assert_eq!(request.key().as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(request.subprotocols().count(), 2);
    }
}

#[test]
fn accept_checks_offers_and_headers() {
    let head = valid_with(
        "Sec-WebSocket-Protocol: chat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
    );
    let mut storage: HeaderStorage = HeaderStorage::new();
    let (request, _) = Request::parse(head.as_bytes(), &mut storage, &Limits::DEFAULT)
        .unwrap()
        .complete()
        .unwrap();
    let mut out = [0u8; 512];
    let not_offered = Accept::new().subprotocol("superchat");
    assert_eq!(
        request.write_accept(&not_offered, &mut out),
        Err(WriteError::SubprotocolNotOffered)
    );
    let ext = Accept::new().extensions("x-webkit-deflate-frame");
    assert_eq!(
        request.write_accept(&ext, &mut out),
        Err(WriteError::ExtensionNotOffered)
    );
    let cookie = [Header::new("Set-Cookie", b"a=1\r\nX-Evil: 1")];
    assert_eq!(
        request.write_accept(&Accept::new().headers(&cookie), &mut out),
        Err(WriteError::InvalidHeaderValue)
    );

    for reserved in [
        "Sec-WebSocket-Extensions",
        "sec-websocket-accept",
        "Connection",
        "UPGRADE",
    ] {
        let header = [Header::new(reserved, b"x")];
        assert_eq!(
            request.write_accept(&Accept::new().headers(&header), &mut out),
            Err(WriteError::ReservedHeader),
            "{reserved}"
        );
    }

    let cookie = [Header::new("Set-Cookie", b"id=42; HttpOnly")];
    let accept = Accept::new()
        .subprotocol("chat")
        .extensions("permessage-deflate; server_no_context_takeover")
        .headers(&cookie);
    let n = request.write_accept(&accept, &mut out).unwrap();
    let expected = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: chat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\
         Set-Cookie: id=42; HttpOnly\r\n\r\n",
        request.accept_key().as_str()
    );
    assert_eq!(core::str::from_utf8(&out[..n]).unwrap(), expected);

    // Too small a buffer reports exactly the size needed.
    for len in [0, 1, n - 1] {
        let mut small = vec![0u8; len];
        assert_eq!(
            request.write_accept(&accept, &mut small),
            Err(WriteError::InsufficientSize(InsufficientSize {
                required: n
            }))
        );
    }
}
