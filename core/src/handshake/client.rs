//! The client's side: write the upgrade request (RFC 6455 §4.1), then check the server's
//! answer.

use super::accept::{AcceptKey, Key};
use super::head::{parse_limited, HeadFault, HeaderStorage, Limits};
use super::headers::{
    extension_name, is_text, is_token, is_visible, trim_ows, Header, Headers, StrList,
};
use super::server::check_upgrade_headers;
use super::write::Writer;
use super::{ResponseError, WriteError};
use crate::Status;

/// An upgrade request to write: host, target, and what to offer.
#[derive(Debug, Clone, Copy)]
pub struct ClientRequest<'a> {
    host: &'a str,
    target: &'a str,
    subprotocols: &'a [&'a str],
    extensions: &'a [&'a str],
    headers: &'a [Header<'a>],
}

impl<'a> ClientRequest<'a> {
    /// A request for `target` (path and query, starting with `/`) on `host` (with the port
    /// when it is not the scheme's default, e.g. `example.com:8080`).
    pub const fn new(host: &'a str, target: &'a str) -> Self {
        ClientRequest {
            host,
            target,
            subprotocols: &[],
            extensions: &[],
            headers: &[],
        }
    }

    /// Subprotocols to offer, most preferred first (`Sec-WebSocket-Protocol`).
    pub const fn subprotocols(mut self, subprotocols: &'a [&'a str]) -> Self {
        self.subprotocols = subprotocols;
        self
    }

    /// Extension offers, each a raw element such as
    /// `permessage-deflate; client_max_window_bits` (`Sec-WebSocket-Extensions`).
    pub const fn extensions(mut self, extensions: &'a [&'a str]) -> Self {
        self.extensions = extensions;
        self
    }

    /// Extra headers to send, e.g. `Origin`, `Cookie` or `Authorization`.
    pub const fn headers(mut self, headers: &'a [Header<'a>]) -> Self {
        self.headers = headers;
        self
    }

    /// Writes the request into `out`, with `Sec-WebSocket-Key` made from `nonce` (16 bytes
    /// the caller drew from a random source; never reuse one).
    ///
    /// Returns the length written and the [`ClientHandshake`] that checks the answer.
    pub fn write(
        &self,
        nonce: [u8; 16],
        out: &mut [u8],
    ) -> Result<(usize, ClientHandshake<'a>), WriteError> {
        let host = self.host.as_bytes();
        if !is_visible(host) || host.iter().any(|&b| matches!(b, b'/' | b'?' | b'#')) {
            return Err(WriteError::InvalidHost);
        }
        // An empty target, or one that is only a query, is the root (RFC 6455 §3).
        let target = self.target.as_bytes();
        let target_ok = match target.first() {
            None => true,
            Some(b'/' | b'?') => is_visible(target),
            Some(_) => false,
        };
        if !target_ok {
            return Err(WriteError::InvalidTarget);
        }
        if !self.subprotocols.iter().all(|p| is_token(p.as_bytes())) {
            return Err(WriteError::InvalidSubprotocol);
        }
        let bad_extension = |e: &&str| {
            let e = e.as_bytes();
            !is_text(e) || e.contains(&b',') || extension_name(e).is_empty()
        };
        if self.extensions.iter().any(bad_extension) {
            return Err(WriteError::InvalidExtension);
        }
        check_upgrade_headers(self.headers)?;

        let key = Key::from_nonce(nonce);
        let mut w = Writer::new(out);
        w.put(b"GET ");
        if !self.target.starts_with('/') {
            w.put(b"/");
        }
        w.str(self.target)
            .put(b" HTTP/1.1\r\n")
            .header("Host", self.host.as_bytes())
            .put(b"Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .header("Sec-WebSocket-Key", key.as_bytes())
            .put(b"Sec-WebSocket-Version: 13\r\n");
        write_list(&mut w, "Sec-WebSocket-Protocol", self.subprotocols);
        write_list(&mut w, "Sec-WebSocket-Extensions", self.extensions);
        for h in self.headers {
            w.header(h.name, h.value);
        }
        w.put(b"\r\n");
        let len = w.finish()?;
        Ok((
            len,
            ClientHandshake::new(key, self.subprotocols, self.extensions),
        ))
    }
}

fn write_list(w: &mut Writer<'_>, name: &str, items: &[&str]) {
    if let Some((first, rest)) = items.split_first() {
        // Offers are checked before this: tokens, or text whose only spaces are ' ' and tab.
        w.str(name).put(b": ").put(trim_ows(first.as_bytes()));
        for item in rest {
            w.put(b", ").put(trim_ows(item.as_bytes()));
        }
        w.put(b"\r\n");
    }
}

/// What a client remembers between sending its request and checking the answer: the
/// expected `Sec-WebSocket-Accept` and what it offered.
#[derive(Debug, Clone, Copy)]
pub struct ClientHandshake<'a> {
    accept: AcceptKey,
    subprotocols: &'a [&'a str],
    extensions: &'a [&'a str],
}

impl<'a> ClientHandshake<'a> {
    /// The state for a request sent with `key`, offering `subprotocols` and `extensions`
    /// (raw offers). [`ClientRequest::write`] makes this for you.
    pub fn new(key: Key, subprotocols: &'a [&'a str], extensions: &'a [&'a str]) -> Self {
        ClientHandshake {
            accept: key.accept(),
            subprotocols,
            extensions,
        }
    }

    /// The `Sec-WebSocket-Accept` value the server must answer with.
    pub fn expected_accept(&self) -> AcceptKey {
        self.accept
    }

    /// Parses and checks the server's answer from the bytes received so far.
    ///
    /// Returns [`Status::Incomplete`] until the head has ended, then
    /// `Complete((response, head_len))`. A 101 that passes every check of RFC 6455 §4.1 is
    /// [`Response::Upgraded`], and **bytes after `head_len` are WebSocket frames** the
    /// caller must hand to the connection. Any other status is [`Response::Refused`]
    /// (bytes after `head_len` are then its body). A 101 that fails a check is a
    /// [`ResponseError`], and the connection must be failed.
    pub fn check_response<'b, 'h, const N: usize>(
        &self,
        buf: &'b [u8],
        storage: &'h mut HeaderStorage<'b, N>,
        limits: &Limits,
    ) -> Result<Status<(Response<'b, 'h>, usize)>, ResponseError> {
        let mut res = httparse::Response::new(storage.slots(limits));
        let head_len = match parse_limited(buf, limits, |window| res.parse(window))? {
            Status::Complete(len) => len,
            Status::Incomplete { needed } => return Ok(Status::Incomplete { needed }),
        };
        let httparse::Response {
            version,
            code,
            reason,
            headers,
        } = res;
        let headers = Headers::new(headers);
        let status = code.ok_or(ResponseError::MalformedHead)?;
        let response = if status == 101 {
            if version != Some(1) {
                return Err(ResponseError::HttpVersion);
            }
            Response::Upgraded(self.check_upgrade(headers)?)
        } else {
            Response::Refused(Refused {
                status,
                reason: reason.unwrap_or_default(),
                headers,
            })
        };
        Ok(Status::Complete((response, head_len)))
    }

    fn check_upgrade<'b, 'h>(
        &self,
        headers: Headers<'b, 'h>,
    ) -> Result<Upgraded<'b, 'h>, ResponseError> {
        if !headers.contains_token("upgrade", "websocket") {
            return Err(ResponseError::UpgradeNotWebSocket);
        }
        if !headers.contains_token("connection", "upgrade") {
            return Err(ResponseError::ConnectionNotUpgrade);
        }
        let mut accepts = headers.get_all("sec-websocket-accept");
        match (accepts.next(), accepts.next()) {
            (None, _) => return Err(ResponseError::MissingAccept),
            (Some(value), None) if value == self.accept.as_bytes() => {}
            _ => return Err(ResponseError::AcceptMismatch),
        }
        let mut protocols = headers.list("sec-websocket-protocol");
        let subprotocol = match (protocols.next(), protocols.next()) {
            (None, _) => None,
            (Some(chosen), None) if self.subprotocols.iter().any(|p| p.as_bytes() == chosen) => {
                // Equal to one of our offers, so valid UTF-8.
                core::str::from_utf8(chosen).ok()
            }
            _ => return Err(ResponseError::SubprotocolNotOffered),
        };
        for element in headers.list("sec-websocket-extensions") {
            let name = extension_name(element);
            let offered = self
                .extensions
                .iter()
                .any(|offer| extension_name(offer.as_bytes()).eq_ignore_ascii_case(name));
            if !is_text(element) || !offered {
                return Err(ResponseError::ExtensionNotOffered);
            }
        }
        Ok(Upgraded {
            subprotocol,
            headers,
        })
    }
}

/// The server's answer to an upgrade request.
#[derive(Debug, Clone, Copy)]
pub enum Response<'b, 'h> {
    /// A valid 101: the connection is now a WebSocket.
    Upgraded(Upgraded<'b, 'h>),
    /// Any status but 101 (a redirect, an authentication challenge, an error).
    Refused(Refused<'b, 'h>),
}

/// A valid `101 Switching Protocols` answer.
#[derive(Debug, Clone, Copy)]
pub struct Upgraded<'b, 'h> {
    subprotocol: Option<&'b str>,
    headers: Headers<'b, 'h>,
}

impl<'b, 'h> Upgraded<'b, 'h> {
    /// The subprotocol the server selected; always one we offered.
    pub fn subprotocol(&self) -> Option<&'b str> {
        self.subprotocol
    }

    /// The accepted extensions, one raw element each (e.g. `permessage-deflate;
    /// server_no_context_takeover`); each names an extension we offered.
    pub fn extensions(&self) -> StrList<'b, 'h, 'static> {
        StrList::new(self.headers.list("sec-websocket-extensions"))
    }

    /// All headers of the answer.
    pub fn headers(&self) -> Headers<'b, 'h> {
        self.headers
    }
}

/// An answer other than 101, surfaced whole so the caller can act on it.
#[derive(Debug, Clone, Copy)]
pub struct Refused<'b, 'h> {
    status: u16,
    reason: &'b str,
    headers: Headers<'b, 'h>,
}

impl<'b, 'h> Refused<'b, 'h> {
    /// The status code, e.g. 302 or 401.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase (empty if it held non-ASCII bytes).
    pub fn reason(&self) -> &'b str {
        self.reason
    }

    /// The `Location` header of a redirect.
    pub fn location(&self) -> Option<&'b [u8]> {
        self.headers.get("location")
    }

    /// All headers of the answer.
    pub fn headers(&self) -> Headers<'b, 'h> {
        self.headers
    }
}

impl From<HeadFault> for ResponseError {
    fn from(fault: HeadFault) -> Self {
        match fault {
            HeadFault::TooLarge => ResponseError::HeadTooLarge,
            HeadFault::TooManyHeaders => ResponseError::TooManyHeaders,
            HeadFault::Malformed => ResponseError::MalformedHead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(req: ClientRequest<'_>) -> Result<([u8; 512], usize), WriteError> {
        let mut out = [0u8; 512];
        let (len, _) = req.write([1; 16], &mut out)?;
        Ok((out, len))
    }

    #[test]
    fn offers_are_trimmed_of_spaces_and_tabs() {
        let (out, len) = request(
            ClientRequest::new("h", "/")
                .subprotocols(&["chat", "v2.x"])
                .extensions(&[" permessage-deflate; a=1\t", "\tx-foo "]),
        )
        .unwrap();
        let head = &out[..len];
        let has = |line: &[u8]| head.windows(line.len()).any(|w| w == line);
        assert!(has(b"\r\nSec-WebSocket-Protocol: chat, v2.x\r\n"));
        assert!(has(
            b"\r\nSec-WebSocket-Extensions: permessage-deflate; a=1, x-foo\r\n"
        ));
    }

    #[test]
    fn host_and_target_checks() {
        for host in ["", "a b", "h/x", "h?x", "h#x", "h\u{e9}"] {
            assert_eq!(
                request(ClientRequest::new(host, "/")).err(),
                Some(WriteError::InvalidHost),
                "{host:?}"
            );
        }
        for target in ["x", "#f", "/a b", "/\u{e9}", "?a\tb"] {
            assert_eq!(
                request(ClientRequest::new("h", target)).err(),
                Some(WriteError::InvalidTarget),
                "{target:?}"
            );
        }
        for (target, line) in [("", "GET / "), ("?q", "GET /?q "), ("/a?b", "GET /a?b ")] {
            let (out, _) = request(ClientRequest::new("h", target)).unwrap();
            assert!(out.starts_with(line.as_bytes()), "{target:?}");
        }
    }
}
