//! The server's side: parse and validate an upgrade request (RFC 6455 §4.2.1), then write
//! the 101 answer (§4.2.2) or a rejection.

use super::accept::{AcceptKey, Key};
use super::head::{parse_limited, HeadFault, HeaderStorage, Limits};
use super::headers::{
    extension_name, is_field_value, is_text, is_token, is_visible, split_element, trim_ows, Header,
    Headers, StrList,
};
use super::write::Writer;
use super::{RequestError, WriteError};
use crate::{InsufficientSize, Status};

/// A valid WebSocket upgrade request, borrowed from the caller's buffer and
/// [`HeaderStorage`].
#[derive(Debug, Clone, Copy)]
pub struct Request<'b, 'h> {
    target: &'b str,
    host: &'b str,
    origin: Option<&'b str>,
    key: Key,
    headers: Headers<'b, 'h>,
}

impl<'b, 'h> Request<'b, 'h> {
    /// Parses and validates an upgrade request head from the bytes received so far.
    ///
    /// Returns [`Status::Incomplete`] until the blank line that ends the head has arrived
    /// (call again with more bytes), then `Complete((request, head_len))`. `head_len` is the
    /// number of bytes the head took: **any bytes after it already belong to the WebSocket
    /// connection** (a client may send frames right behind its request) and the caller must
    /// hand `buf[head_len..]` to the connection, never drop them.
    ///
    /// A head that breaks [`Limits`] or RFC 6455 §4.2.1 is refused with a [`RequestError`];
    /// [`RequestError::write_response`] writes the matching HTTP answer.
    pub fn parse<const N: usize>(
        buf: &'b [u8],
        storage: &'h mut HeaderStorage<'b, N>,
        limits: &Limits,
    ) -> Result<Status<(Self, usize)>, RequestError> {
        let mut req = httparse::Request::new(storage.slots(limits));
        let head_len = match parse_limited(buf, limits, |window| req.parse(window))? {
            Status::Complete(len) => len,
            Status::Incomplete { needed } => return Ok(Status::Incomplete { needed }),
        };
        let httparse::Request {
            method,
            path,
            version,
            headers,
        } = req;
        let request = validate(method, path, version, Headers::new(headers))?;
        Ok(Status::Complete((request, head_len)))
    }

    /// The request target as sent, e.g. `/chat?room=1`.
    pub fn target(&self) -> &'b str {
        self.target
    }

    /// The path: the target up to the first `?`.
    pub fn path(&self) -> &'b str {
        self.target.split_once('?').map_or(self.target, |(p, _)| p)
    }

    /// The query: the target after the first `?`, if there is one.
    pub fn query(&self) -> Option<&'b str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The `Host` header (possibly with a port).
    pub fn host(&self) -> &'b str {
        self.host
    }

    /// The `Origin` header, sent by browsers.
    pub fn origin(&self) -> Option<&'b str> {
        self.origin
    }

    /// The client's `Sec-WebSocket-Key`.
    pub fn key(&self) -> Key {
        self.key
    }

    /// The `Sec-WebSocket-Accept` value answering the key.
    pub fn accept_key(&self) -> AcceptKey {
        self.key.accept()
    }

    /// The offered subprotocols, in the client's order of preference, over all
    /// `Sec-WebSocket-Protocol` headers.
    pub fn subprotocols(&self) -> StrList<'b, 'h, 'static> {
        StrList::new(self.headers.list("sec-websocket-protocol"))
    }

    /// The raw extension offers (e.g. `permessage-deflate; client_max_window_bits`), one per
    /// comma-separated element over all `Sec-WebSocket-Extensions` headers.
    pub fn extensions(&self) -> StrList<'b, 'h, 'static> {
        StrList::new(self.headers.list("sec-websocket-extensions"))
    }

    /// The first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'b [u8]> {
        self.headers.get(name)
    }

    /// All headers.
    pub fn headers(&self) -> Headers<'b, 'h> {
        self.headers
    }

    /// Writes the `101 Switching Protocols` answer into `out` and returns its length.
    ///
    /// The chosen subprotocol must be one the client offered and every accepted extension
    /// must name one it offered; otherwise this is a [`WriteError`] and nothing is sent.
    pub fn write_accept(&self, accept: &Accept<'_>, out: &mut [u8]) -> Result<usize, WriteError> {
        if let Some(protocol) = accept.subprotocol {
            if !is_token(protocol.as_bytes()) {
                return Err(WriteError::InvalidSubprotocol);
            }
            if !self.subprotocols().any(|offered| offered == protocol) {
                return Err(WriteError::SubprotocolNotOffered);
            }
        }
        if let Some(extensions) = accept.extensions {
            self.check_accepted_extensions(extensions.as_bytes())?;
        }
        check_upgrade_headers(accept.headers)?;

        let mut w = Writer::new(out);
        w.put(b"HTTP/1.1 101 Switching Protocols\r\n")
            .put(b"Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .header("Sec-WebSocket-Accept", self.accept_key().as_bytes());
        if let Some(protocol) = accept.subprotocol {
            w.header("Sec-WebSocket-Protocol", protocol.as_bytes());
        }
        if let Some(extensions) = accept.extensions.map(|e| trim_ows(e.as_bytes())) {
            if !extensions.is_empty() {
                w.header("Sec-WebSocket-Extensions", extensions);
            }
        }
        for h in accept.headers {
            w.header(h.name, h.value);
        }
        w.put(b"\r\n");
        Ok(w.finish()?)
    }

    fn check_accepted_extensions(&self, mut list: &[u8]) -> Result<(), WriteError> {
        if !is_text(list) {
            return Err(WriteError::InvalidExtension);
        }
        while !list.is_empty() {
            let (element, rest) = split_element(list);
            list = rest;
            let name = extension_name(element);
            if name.is_empty() {
                continue;
            }
            let offered = self
                .extensions()
                .any(|offer| extension_name(offer.as_bytes()).eq_ignore_ascii_case(name));
            if !offered {
                return Err(WriteError::ExtensionNotOffered);
            }
        }
        Ok(())
    }
}

/// What a server answers an upgrade with: the chosen subprotocol, accepted extensions and
/// extra headers (e.g. `Set-Cookie`). The default accepts with none of them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Accept<'a> {
    subprotocol: Option<&'a str>,
    extensions: Option<&'a str>,
    headers: &'a [Header<'a>],
}

impl<'a> Accept<'a> {
    /// An answer with no subprotocol, no extensions and no extra headers.
    pub const fn new() -> Self {
        Accept {
            subprotocol: None,
            extensions: None,
            headers: &[],
        }
    }

    /// Selects one of the client's offered subprotocols.
    pub const fn subprotocol(mut self, protocol: &'a str) -> Self {
        self.subprotocol = Some(protocol);
        self
    }

    /// Accepts extensions: the raw `Sec-WebSocket-Extensions` value to send.
    pub const fn extensions(mut self, value: &'a str) -> Self {
        self.extensions = Some(value);
        self
    }

    /// Extra headers to send, e.g. `Set-Cookie`.
    pub const fn headers(mut self, headers: &'a [Header<'a>]) -> Self {
        self.headers = headers;
        self
    }
}

/// Writes a refusal: `HTTP/1.1 {status} {reason}` with `Connection: close`,
/// `Content-Length`, the given headers and `body`. Returns the bytes written.
///
/// `status` must be in 200..=599 and `reason` plain text; the connection should be closed
/// once the answer has been sent.
pub fn write_reject(
    status: u16,
    reason: &str,
    headers: &[Header<'_>],
    body: &[u8],
    out: &mut [u8],
) -> Result<usize, WriteError> {
    if !(200..=599).contains(&status) {
        return Err(WriteError::InvalidStatus);
    }
    if !is_text(reason.as_bytes()) {
        return Err(WriteError::InvalidReason);
    }
    check_headers(headers)?;
    Ok(write_reject_unchecked(status, reason, headers, body, out)?)
}

impl RequestError {
    /// Writes the HTTP answer to a refused request: [`http_status`](Self::http_status) with
    /// its reason phrase and a short plain-text body; a 426 carries
    /// `Sec-WebSocket-Version: 13` (RFC 6455 §4.4) and a 405 carries `Allow: GET`.
    pub fn write_response(&self, out: &mut [u8]) -> Result<usize, InsufficientSize> {
        const TEXT: Header<'static> = Header::new("Content-Type", b"text/plain");
        let headers: &[Header<'_>] = match self.http_status() {
            426 => &[TEXT, Header::new("Sec-WebSocket-Version", b"13")],
            405 => &[TEXT, Header::new("Allow", b"GET")],
            _ => &[TEXT],
        };
        let status = self.http_status();
        let body = self.as_str().as_bytes();
        write_reject_unchecked(status, self.reason_phrase(), headers, body, out)
    }
}

fn write_reject_unchecked(
    status: u16,
    reason: &str,
    headers: &[Header<'_>],
    body: &[u8],
    out: &mut [u8],
) -> Result<usize, InsufficientSize> {
    let mut w = Writer::new(out);
    w.put(b"HTTP/1.1 ")
        .decimal(status.into())
        .put(b" ")
        .str(reason)
        .put(b"\r\nConnection: close\r\nContent-Length: ")
        .decimal(body.len())
        .put(b"\r\n");
    for h in headers {
        w.header(h.name, h.value);
    }
    w.put(b"\r\n").put(body);
    w.finish()
}

/// Checks caller-supplied headers, so none can split the head.
pub(super) fn check_headers(headers: &[Header<'_>]) -> Result<(), WriteError> {
    for h in headers {
        if !is_token(h.name.as_bytes()) {
            return Err(WriteError::InvalidHeaderName);
        }
        if !is_field_value(h.value) {
            return Err(WriteError::InvalidHeaderValue);
        }
    }
    Ok(())
}

/// Extra headers of an upgrade (request or 101) may not repeat what the handshake writes;
/// a rejection may (e.g. `Connection: close`).
pub(super) fn check_upgrade_headers(headers: &[Header<'_>]) -> Result<(), WriteError> {
    check_headers(headers)?;
    if headers.iter().any(|h| is_reserved(h.name)) {
        return Err(WriteError::ReservedHeader);
    }
    Ok(())
}

/// Headers the handshake writes itself, in either direction.
fn is_reserved(name: &str) -> bool {
    let name = name.as_bytes();
    let prefix = b"sec-websocket-";
    ["host", "upgrade", "connection"]
        .iter()
        .any(|reserved| name.eq_ignore_ascii_case(reserved.as_bytes()))
        || name
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

impl From<HeadFault> for RequestError {
    fn from(fault: HeadFault) -> Self {
        match fault {
            HeadFault::TooLarge => RequestError::HeadTooLarge,
            HeadFault::TooManyHeaders => RequestError::TooManyHeaders,
            HeadFault::Malformed => RequestError::MalformedHead,
        }
    }
}

/// The value of the only header called `name`: `Ok(None)` if absent, `Err(())` if repeated.
fn single<'b>(headers: &Headers<'b, '_>, name: &str) -> Result<Option<&'b [u8]>, ()> {
    let mut values = headers.get_all(name);
    match (values.next(), values.next()) {
        (value, None) => Ok(value),
        (_, Some(_)) => Err(()),
    }
}

/// RFC 6455 §4.2.1, in the order a server checks it.
fn validate<'b, 'h>(
    method: Option<&'b str>,
    target: Option<&'b str>,
    version: Option<u8>,
    headers: Headers<'b, 'h>,
) -> Result<Request<'b, 'h>, RequestError> {
    if method != Some("GET") {
        return Err(RequestError::MethodNotGet);
    }
    if version != Some(1) {
        return Err(RequestError::HttpVersion);
    }
    let target = target.ok_or(RequestError::MalformedHead)?;

    let host = match single(&headers, "host") {
        Ok(None) | Ok(Some(b"")) => return Err(RequestError::MissingHost),
        Ok(Some(host)) if is_visible(host) => host,
        _ => return Err(RequestError::InvalidHost),
    };
    if !headers.contains_token("upgrade", "websocket") {
        return Err(RequestError::UpgradeNotWebSocket);
    }
    if !headers.contains_token("connection", "upgrade") {
        return Err(RequestError::ConnectionNotUpgrade);
    }
    match single(&headers, "sec-websocket-version") {
        Ok(None) => return Err(RequestError::MissingVersion),
        Ok(Some(b"13")) => {}
        _ => return Err(RequestError::UnsupportedVersion),
    }
    let key = match single(&headers, "sec-websocket-key") {
        Ok(None) => return Err(RequestError::MissingKey),
        Ok(Some(value)) => Key::parse(value).ok_or(RequestError::InvalidKey)?,
        Err(()) => return Err(RequestError::InvalidKey),
    };
    let origin = match single(&headers, "origin") {
        Ok(None) => None,
        Ok(Some(origin)) if is_visible(origin) => Some(origin),
        _ => return Err(RequestError::InvalidOrigin),
    };
    if !headers.list("sec-websocket-protocol").all(is_token) {
        return Err(RequestError::InvalidSubprotocol);
    }
    if !headers
        .get_all("sec-websocket-extensions")
        .all(|value| is_text(trim_ows(value)))
    {
        return Err(RequestError::InvalidExtensions);
    }

    Ok(Request {
        target,
        host: ascii(host),
        origin: origin.map(ascii),
        key,
        headers,
    })
}

/// Text of bytes already checked to be visible ASCII.
fn ascii(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or_default()
}
