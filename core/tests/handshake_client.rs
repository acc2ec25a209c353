//! Client side of the opening handshake: request writing and response checking.

use sansws::handshake::{
    Accept, ClientHandshake, ClientRequest, Header, HeaderStorage, Key, Limits, Request, Response,
    ResponseError, WriteError,
};
use sansws::{InsufficientSize, Status};

const NONCE: [u8; 16] = *b"the sample nonce";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn handshake(
    subprotocols: &'static [&'static str],
    extensions: &'static [&'static str],
) -> ClientHandshake<'static> {
    ClientHandshake::new(Key::from_nonce(NONCE), subprotocols, extensions)
}

/// A 101 answer to [`NONCE`] with `extra` header lines.
fn upgrade_with(extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n"
    )
}

fn check(hs: &ClientHandshake<'_>, head: &str) -> Result<u16, ResponseError> {
    let mut storage: HeaderStorage = HeaderStorage::new();
    match hs.check_response(head.as_bytes(), &mut storage, &Limits::DEFAULT)? {
        Status::Complete((Response::Upgraded(_), len)) => {
            assert_eq!(len, head.len());
            Ok(101)
        }
        Status::Complete((Response::Refused(refused), _)) => Ok(refused.status()),
        Status::Incomplete { .. } => panic!("incomplete: {head:?}"),
    }
}

#[test]
fn request_bytes_exact_for_fixed_key() {
    let mut out = [0u8; 512];
    let (n, hs) = ClientRequest::new("server.example.com", "/chat")
        .write(NONCE, &mut out)
        .unwrap();
    assert_eq!(
        core::str::from_utf8(&out[..n]).unwrap(),
        "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    assert_eq!(hs.expected_accept().as_str(), ACCEPT);

    let origin = [Header::new("Origin", b"http://example.com")];
    let request = ClientRequest::new("example.com:8080", "/chat?room=1")
        .subprotocols(&["chat", "superchat"])
        .extensions(&["permessage-deflate; client_max_window_bits", "x-foo"])
        .headers(&origin);
    let (n, _) = request.write(NONCE, &mut out).unwrap();
    assert_eq!(
        core::str::from_utf8(&out[..n]).unwrap(),
        "GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo\r\n\
         Origin: http://example.com\r\n\r\n"
    );
    let mut small = vec![0u8; n - 1];
    assert_eq!(
        request.write(NONCE, &mut small).unwrap_err(),
        WriteError::InsufficientSize(InsufficientSize { required: n })
    );
}

#[test]
fn request_rejects_values_that_would_break_the_head() {
    let mut out = [0u8; 512];
    let cases: [(ClientRequest<'_>, WriteError); 6] = [
        (ClientRequest::new("", "/"), WriteError::InvalidHost),
        (ClientRequest::new("a b", "/"), WriteError::InvalidHost),
        (ClientRequest::new("h", "chat"), WriteError::InvalidTarget),
        (
            ClientRequest::new("h", "/a\r\nX: y"),
            WriteError::InvalidTarget,
        ),
        (
            ClientRequest::new("h", "/").subprotocols(&["a,b"]),
            WriteError::InvalidSubprotocol,
        ),
        (
            ClientRequest::new("h", "/").extensions(&["a\nb"]),
            WriteError::InvalidExtension,
        ),
    ];
    for (request, error) in cases {
        assert_eq!(
            request.write(NONCE, &mut out).unwrap_err(),
            error,
            "{request:?}"
        );
    }
    for reserved in ["Host", "Sec-WebSocket-Key", "sec-websocket-extensions"] {
        let header = [Header::new(reserved, b"x")];
        let request = ClientRequest::new("h", "/").headers(&header);
        assert_eq!(
            request.write(NONCE, &mut out).unwrap_err(),
            WriteError::ReservedHeader,
            "{reserved}"
        );
    }
    let evil = [Header::new("Cookie", b"a\r\n\r\nGET /")];
    let request = ClientRequest::new("h", "/").headers(&evil);
    assert_eq!(
        request.write(NONCE, &mut out).unwrap_err(),
        WriteError::InvalidHeaderValue
    );
}

#[test]
fn rfc6455_section_1_2_response_accepted() {
    let hs = handshake(&["chat", "superchat"], &[]);
    let head = upgrade_with("Sec-WebSocket-Protocol: chat\r\n");
    let mut storage: HeaderStorage = HeaderStorage::new();
    let result = hs.check_response(head.as_bytes(), &mut storage, &Limits::DEFAULT);
    let Ok(Status::Complete((Response::Upgraded(up), len))) = result else {
        panic!("{result:?}");
    };
    assert_eq!(len, head.len());
    assert_eq!(up.subprotocol(), Some("chat"));
    assert_eq!(up.extensions().count(), 0);
    assert_eq!(
        up.headers().get("sec-websocket-accept"),
        Some(ACCEPT.as_bytes())
    );
    // No subprotocol selected is fine too.
    assert_eq!(check(&hs, &upgrade_with("")), Ok(101));
}

#[test]
fn wrong_or_missing_accept_fails() {
    let hs = handshake(&[], &[]);
    let wrong = upgrade_with("").replace(ACCEPT, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(check(&hs, &wrong), Err(ResponseError::AcceptMismatch));
    let twice = upgrade_with(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n"));
    assert_eq!(check(&hs, &twice), Err(ResponseError::AcceptMismatch));
    let missing = upgrade_with("").replace(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n"), "");
    assert_eq!(check(&hs, &missing), Err(ResponseError::MissingAccept));
}

#[test]
fn missing_upgrade_or_connection_fails() {
    let hs = handshake(&[], &[]);
    let no_upgrade = upgrade_with("").replace("Upgrade: websocket\r\n", "");
    assert_eq!(
        check(&hs, &no_upgrade),
        Err(ResponseError::UpgradeNotWebSocket)
    );
    let h2c = upgrade_with("").replace("Upgrade: websocket", "Upgrade: h2c");
    assert_eq!(check(&hs, &h2c), Err(ResponseError::UpgradeNotWebSocket));
    let no_connection = upgrade_with("").replace("Connection: Upgrade\r\n", "");
    assert_eq!(
        check(&hs, &no_connection),
        Err(ResponseError::ConnectionNotUpgrade)
    );
    let http10 = upgrade_with("").replace("HTTP/1.1", "HTTP/1.0");
    assert_eq!(check(&hs, &http10), Err(ResponseError::HttpVersion));
}

#[test]
fn unoffered_subprotocol_fails() {
    let chat = upgrade_with("Sec-WebSocket-Protocol: chat\r\n");
    assert_eq!(
        check(&handshake(&[], &[]), &chat),
        Err(ResponseError::SubprotocolNotOffered)
    );
    let hs = handshake(&["superchat"], &[]);
    assert_eq!(check(&hs, &chat), Err(ResponseError::SubprotocolNotOffered));
    let both = upgrade_with("Sec-WebSocket-Protocol: chat, superchat\r\n");
    let hs = handshake(&["chat", "superchat"], &[]);
    assert_eq!(check(&hs, &both), Err(ResponseError::SubprotocolNotOffered));
}

#[test]
fn unoffered_extension_fails_and_offered_one_passes() {
    let deflate = upgrade_with(
        "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
    );
    assert_eq!(
        check(&handshake(&[], &[]), &deflate),
        Err(ResponseError::ExtensionNotOffered)
    );
    let hs = handshake(&[], &["x-foo"]);
    assert_eq!(
        check(&hs, &deflate),
        Err(ResponseError::ExtensionNotOffered)
    );

    let hs = handshake(&[], &["permessage-deflate; client_max_window_bits"]);
    let mut storage: HeaderStorage = HeaderStorage::new();
    let result = hs.check_response(deflate.as_bytes(), &mut storage, &Limits::DEFAULT);
    let Ok(Status::Complete((Response::Upgraded(up), _))) = result else {
        panic!("{result:?}");
    };
    let accepted: Vec<_> = up.extensions().collect();
    assert_eq!(accepted, ["permessage-deflate; server_no_context_takeover"]);
}

#[test]
fn redirect_is_surfaced_with_status_and_location() {
    let hs = handshake(&[], &[]);
    let head =
        "HTTP/1.1 302 Found\r\nLocation: wss://other.example/chat\r\nContent-Length: 3\r\n\r\n";
    let input = format!("{head}abc");
    let mut storage: HeaderStorage = HeaderStorage::new();
    let result = hs.check_response(input.as_bytes(), &mut storage, &Limits::DEFAULT);
    let Ok(Status::Complete((Response::Refused(refused), head_len))) = result else {
        panic!("{result:?}");
    };
    assert_eq!(head_len, head.len());
    assert_eq!(&input[head_len..], "abc");
    assert_eq!(refused.status(), 302);
    assert_eq!(refused.reason(), "Found");
    assert_eq!(refused.location(), Some(&b"wss://other.example/chat"[..]));
    assert_eq!(refused.headers().get("content-length"), Some(&b"3"[..]));
}

#[test]
fn unauthorized_is_surfaced_with_headers() {
    let hs = handshake(&[], &[]);
    let head = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"ws\"\r\n\r\n";
    let mut storage: HeaderStorage = HeaderStorage::new();
    let result = hs.check_response(head.as_bytes(), &mut storage, &Limits::DEFAULT);
    let Ok(Status::Complete((Response::Refused(refused), _))) = result else {
        panic!("{result:?}");
    };
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.location(), None);
    assert_eq!(
        refused.headers().get("www-authenticate"),
        Some(&b"Basic realm=\"ws\""[..])
    );
}

#[test]
fn response_split_at_every_byte_then_frame_bytes_are_left() {
    let hs = handshake(&["chat"], &[]);
    let head = upgrade_with("Sec-WebSocket-Protocol: chat\r\n");
    let frame = [0x81u8, 0x02, b'h', b'i'];
    let mut input = head.as_bytes().to_vec();
    input.extend_from_slice(&frame);
    for end in 0..input.len() + 1 {
        let mut storage: HeaderStorage = HeaderStorage::new();
        let result = hs.check_response(&input[..end], &mut storage, &Limits::DEFAULT);
        match result {
            Ok(Status::Incomplete { needed }) if end < head.len() => assert!(needed >= 1),
            Ok(Status::Complete((Response::Upgraded(up), head_len))) if end >= head.len() => {
                assert_eq!(head_len, head.len());
                assert_eq!(&input[head_len..end], &frame[..end - head_len]);
                assert_eq!(up.subprotocol(), Some("chat"));
            }
            other => panic!("{end} bytes gave {other:?}"),
        }
    }
}

#[test]
fn response_limits() {
    let hs = handshake(&[], &[]);
    let mut limits = Limits::default();
    limits.max_head_len = 64;
    let endless = format!("HTTP/1.1 101 Switching Protocols\r\nX: {}", "a".repeat(64));
    let mut storage: HeaderStorage = HeaderStorage::new();
    let result = hs.check_response(endless.as_bytes(), &mut storage, &limits);
    assert_eq!(result.unwrap_err(), ResponseError::HeadTooLarge);

    let many: String = (0..40).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_eq!(
        check(&hs, &upgrade_with(&many)),
        Err(ResponseError::TooManyHeaders)
    );
    assert_eq!(
        check(&hs, "HTTP/1.1 abc\r\n\r\n"),
        Err(ResponseError::MalformedHead)
    );
}

#[test]
fn client_and_server_agree() {
    let mut request_buf = [0u8; 512];
    let offer = ClientRequest::new("localhost:9001", "/echo?x=1")
        .subprotocols(&["v2.echo", "v1.echo"])
        .extensions(&["permessage-deflate"]);
    let (n, hs) = offer.write([7; 16], &mut request_buf).unwrap();

    let mut server_storage: HeaderStorage = HeaderStorage::new();
    let (request, head_len) =
        Request::parse(&request_buf[..n], &mut server_storage, &Limits::DEFAULT)
            .unwrap()
            .complete()
            .unwrap();
    assert_eq!(head_len, n);
    assert_eq!(request.query(), Some("x=1"));
    let chosen = request.subprotocols().nth(1).unwrap();
    let mut response_buf = [0u8; 512];
    let accept = Accept::new()
        .subprotocol(chosen)
        .extensions("permessage-deflate");
    let m = request.write_accept(&accept, &mut response_buf).unwrap();

    let mut client_storage: HeaderStorage = HeaderStorage::new();
    let result = hs.check_response(&response_buf[..m], &mut client_storage, &Limits::DEFAULT);
    let Ok(Status::Complete((Response::Upgraded(up), len))) = result else {
        panic!("{result:?}");
    };
    assert_eq!(len, m);
    assert_eq!(up.subprotocol(), Some("v1.echo"));
    assert_eq!(up.extensions().collect::<Vec<_>>(), ["permessage-deflate"]);
}
