//! Server side of the opening handshake: every reason to refuse a request, and the answers.

use sansws::handshake::{
    write_reject, Header, HeaderStorage, Limits, Request, RequestError, WriteError,
};
use sansws::{InsufficientSize, Status};

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

fn parse_error(head: &str) -> RequestError {
    let mut storage: HeaderStorage = HeaderStorage::new();
    match Request::parse(head.as_bytes(), &mut storage, &Limits::DEFAULT) {
        Err(error) => error,
        Ok(other) => panic!("expected a rejection of {head:?}, got {other:?}"),
    }
}

fn response_for(error: RequestError) -> String {
    let mut out = [0u8; 512];
    let n = error.write_response(&mut out).unwrap();
    String::from_utf8(out[..n].to_vec()).unwrap()
}

#[test]
fn rejects_wrong_method_with_405_and_allow() {
    let error = parse_error(&request_with("POST / HTTP/1.1", "", ""));
    assert_eq!(error, RequestError::MethodNotGet);
    assert_eq!(error.http_status(), 405);
    let response = response_for(error);
    assert!(response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    assert!(response.contains("\r\nAllow: GET\r\n"));
}

#[test]
fn rejects_http_1_0() {
    let error = parse_error(&request_with("GET / HTTP/1.0", "", ""));
    assert_eq!(error, RequestError::HttpVersion);
    assert_eq!(error.http_status(), 400);
}

#[test]
fn rejects_missing_or_repeated_host() {
    assert_eq!(
        parse_error(&request_with("GET / HTTP/1.1", "Host", "")),
        RequestError::MissingHost
    );
    assert_eq!(
        parse_error(&valid_with("Host: b\r\n")),
        RequestError::InvalidHost
    );
}

#[test]
fn rejects_missing_or_wrong_upgrade() {
    let missing = parse_error(&request_with("GET / HTTP/1.1", "Upgrade", ""));
    assert_eq!(missing, RequestError::UpgradeNotWebSocket);
    let wrong = request_with("GET / HTTP/1.1", "Upgrade", "Upgrade: h2c\r\n");
    assert_eq!(parse_error(&wrong), RequestError::UpgradeNotWebSocket);
    assert_eq!(missing.http_status(), 400);
}

#[test]
fn rejects_missing_or_wrong_connection() {
    let missing = parse_error(&request_with("GET / HTTP/1.1", "Connection", ""));
    assert_eq!(missing, RequestError::ConnectionNotUpgrade);
    let wrong = request_with("GET / HTTP/1.1", "Connection", "Connection: keep-alive\r\n");
    assert_eq!(parse_error(&wrong), RequestError::ConnectionNotUpgrade);
}

#[test]
fn rejects_version_12_with_426_and_version_header() {
    let head = request_with(
        "GET / HTTP/1.1",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Version: 12\r\n",
    );
    let error = parse_error(&head);
    assert_eq!(error, RequestError::UnsupportedVersion);
    assert_eq!(error.http_status(), 426);
    let response = response_for(error);
    assert!(response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(response.contains("\r\nSec-WebSocket-Version: 13\r\n"));

    let missing = parse_error(&request_with("GET / HTTP/1.1", "Sec-WebSocket-Version", ""));
    assert_eq!(missing, RequestError::MissingVersion);
    assert_eq!(missing.http_status(), 426);
}

#[test]
fn rejects_bad_keys_with_400() {
    for key in [
        "not base64 at all!!!!!!!", // not base64
        "AAECAwQFBgcICQoLDA0O",     // 15 bytes
        "AAECAwQFBgcICQoLDA0ODxA=", // 17 bytes
        "",                         // empty
    ] {
        let head = request_with(
            "GET / HTTP/1.1",
            "Sec-WebSocket-Key",
            &format!("Sec-WebSocket-Key: {key}\r\n"),
        );
        let error = parse_error(&head);
        assert_eq!(error, RequestError::InvalidKey, "key {key:?}");
        assert_eq!(error.http_status(), 400);
        assert!(response_for(error).starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }
    let missing = parse_error(&request_with("GET / HTTP/1.1", "Sec-WebSocket-Key", ""));
    assert_eq!(missing, RequestError::MissingKey);
    let twice = valid_with("Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw==\r\n");
    assert_eq!(parse_error(&twice), RequestError::InvalidKey);
}

#[test]
fn rejects_bad_origin_subprotocol_and_extensions() {
    assert_eq!(
        parse_error(&valid_with("Origin: a\r\nOrigin: b\r\n")),
        RequestError::InvalidOrigin
    );
    assert_eq!(
        parse_error(&valid_with("Sec-WebSocket-Protocol: chat, a b\r\n")),
        RequestError::InvalidSubprotocol
    );
    let head = valid_with("Sec-WebSocket-Extensions: x\u{e9}\r\n");
    assert_eq!(parse_error(&head), RequestError::InvalidExtensions);
}

#[test]
fn rejects_malformed_head() {
    assert_eq!(
        parse_error("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
        RequestError::MalformedHead
    );
    assert_eq!(
        parse_error("\x16\x03\x01\x02\x00\x01\x00"),
        RequestError::MalformedHead
    );
}

#[test]
fn rejects_head_too_large_without_waiting() {
    let limits = Limits::default();
    // A head that never ends: refused once max_head_len bytes are buffered.
    let endless = format!(
        "GET / HTTP/1.1\r\nX-Pad: {}",
        "a".repeat(limits.max_head_len)
    );
    let mut storage: HeaderStorage = HeaderStorage::new();
    let below = Request::parse(
        &endless.as_bytes()[..limits.max_head_len - 1],
        &mut storage,
        &limits,
    );
    assert!(matches!(below, Ok(Status::Incomplete { .. })));
    let error = parse_error(&endless[..limits.max_head_len]);
    assert_eq!(error, RequestError::HeadTooLarge);
    assert_eq!(error.http_status(), 431);
    assert!(response_for(error).starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));

    // A head of exactly the limit is accepted; one byte more is not.
    let mut limits = Limits::default();
    let head = valid_with("");
    limits.max_head_len = head.len();
    let mut storage: HeaderStorage = HeaderStorage::new();
    assert!(Request::parse(head.as_bytes(), &mut storage, &limits)
        .unwrap()
        .is_complete());
    limits.max_head_len = head.len() - 1;
    let mut storage: HeaderStorage = HeaderStorage::new();
    let over = Request::parse(head.as_bytes(), &mut storage, &limits);
    assert_eq!(over.unwrap_err(), RequestError::HeadTooLarge);
}

#[test]
fn rejects_too_many_headers() {
    let extra: String = (0..28).map(|i| format!("X-{i}: v\r\n")).collect();
    let head = valid_with(&extra); // 33 fields
    let error = parse_error(&head);
    assert_eq!(error, RequestError::TooManyHeaders);
    assert_eq!(error.http_status(), 431);

    // The smaller of the limit and the storage capacity applies.
    let ok = valid_with("X-1: v\r\nX-2: v\r\n"); // 7 fields
    let mut small: HeaderStorage<'_, 6> = HeaderStorage::new();
    let parsed = Request::parse(ok.as_bytes(), &mut small, &Limits::DEFAULT);
    assert_eq!(parsed.unwrap_err(), RequestError::TooManyHeaders);
    let mut limits = Limits::default();
    limits.max_headers = 6;
    let mut storage: HeaderStorage = HeaderStorage::new();
    let parsed = Request::parse(ok.as_bytes(), &mut storage, &limits);
    assert_eq!(parsed.unwrap_err(), RequestError::TooManyHeaders);
}

#[test]
fn reject_response_exact_bytes() {
    let mut out = [0u8; 256];
    let headers = [Header::new("Content-Type", b"text/plain")];
    let n = write_reject(403, "Forbidden", &headers, b"go away", &mut out).unwrap();
    assert_eq!(
        core::str::from_utf8(&out[..n]).unwrap(),
        "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 7\r\n\
         Content-Type: text/plain\r\n\r\ngo away"
    );
    assert_eq!(
        write_reject(101, "Switching", &[], b"", &mut out),
        Err(WriteError::InvalidStatus)
    );
    assert_eq!(
        write_reject(400, "Bad\r\nX: y", &[], b"", &mut out),
        Err(WriteError::InvalidReason)
    );
    assert_eq!(
        write_reject(400, "Bad", &[Header::new("Bad Name", b"v")], b"", &mut out),
        Err(WriteError::InvalidHeaderName)
    );
    assert_eq!(
        write_reject(403, "Forbidden", &headers, b"go away", &mut out[..n - 1]),
        Err(WriteError::InsufficientSize(InsufficientSize {
            required: n
        }))
    );
}

#[test]
fn every_rejection_response_is_a_complete_http_answer() {
    for error in [
        RequestError::HeadTooLarge,
        RequestError::MalformedHead,
        RequestError::MissingHost,
        RequestError::InvalidKey,
        RequestError::UnsupportedVersion,
    ] {
        let response = response_for(error);
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with(&format!("HTTP/1.1 {} ", error.http_status())));
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert!(head.contains("Connection: close"));
        assert_eq!(body, error.to_string());
    }
}
