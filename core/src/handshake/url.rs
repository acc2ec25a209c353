//! `ws://` and `wss://` URLs (RFC 6455 §3), parsed without allocating.

use core::fmt;

/// A WebSocket URL, borrowing the text it was parsed from.
///
/// ```
/// use sansws::handshake::WsUrl;
///
/// let url = WsUrl::parse("ws://example.com:9001/chat?room=1")?;
/// assert_eq!((url.hostname(), url.port(), url.host()), ("example.com", 9001, "example.com:9001"));
/// assert_eq!(url.target(), "/chat?room=1");
/// assert!(!url.is_secure());
/// # Ok::<(), sansws::handshake::UrlError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsUrl<'a> {
    secure: bool,
    authority: &'a str,
    hostname: &'a str,
    port: u16,
    target: &'a str,
}

/// Why a text is not a WebSocket URL.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlError {
    /// The scheme is not `ws` or `wss`.
    Scheme,
    /// The host is missing or holds user information (`user@host`).
    Host,
    /// The port is not a number from 1 to 65535.
    Port,
    /// A fragment (`#...`), which RFC 6455 §3 forbids.
    Fragment,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::Scheme => "the scheme is not ws or wss",
            UrlError::Host => "missing or invalid host",
            UrlError::Port => "invalid port",
            UrlError::Fragment => "WebSocket URLs have no fragment",
        })
    }
}

impl core::error::Error for UrlError {}

impl<'a> WsUrl<'a> {
    /// Parses `ws://host[:port][/path][?query]` or the same with `wss`.
    pub fn parse(url: &'a str) -> Result<Self, UrlError> {
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::Scheme)?;
        let secure = if scheme.eq_ignore_ascii_case("ws") {
            false
        } else if scheme.eq_ignore_ascii_case("wss") {
            true
        } else {
            return Err(UrlError::Scheme);
        };
        if rest.contains('#') {
            return Err(UrlError::Fragment);
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        if authority.is_empty() || authority.contains('@') {
            return Err(UrlError::Host);
        }
        // The port follows the last ':' unless that ':' sits inside an IPv6 literal.
        let (hostname, port) = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => {
                let port = authority[i + 1..].parse().map_err(|_| UrlError::Port)?;
                (&authority[..i], port)
            }
            _ => (authority, if secure { 443 } else { 80 }),
        };
        if hostname.is_empty() || port == 0 {
            return Err(if port == 0 {
                UrlError::Port
            } else {
                UrlError::Host
            });
        }
        Ok(WsUrl {
            secure,
            authority,
            hostname,
            port,
            target,
        })
    }

    /// Whether the scheme is `wss` (TLS is the caller's to provide).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The `Host` header value: the authority as written.
    pub fn host(&self) -> &'a str {
        self.authority
    }

    /// The host name or address to connect to (IPv6 literals keep their brackets).
    pub fn hostname(&self) -> &'a str {
        self.hostname
    }

    /// The port, from the URL or the scheme's default (80, 443).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request target as written (path and query); empty or query-only targets are the
    /// root, which [`ClientRequest`](super::ClientRequest) writes as `/`.
    pub fn target(&self) -> &'a str {
        self.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let url = WsUrl::parse("ws://127.0.0.1:9001/runCase?case=3&agent=x").unwrap();
        assert_eq!(url.hostname(), "127.0.0.1");
        assert_eq!(url.port(), 9001);
        assert_eq!(url.target(), "/runCase?case=3&agent=x");
        let url = WsUrl::parse("WSS://example.com").unwrap();
        assert!(url.is_secure());
        assert_eq!(
            (url.port(), url.target(), url.host()),
            (443, "", "example.com")
        );
        let url = WsUrl::parse("ws://[::1]?x=1").unwrap();
        assert_eq!(
            (url.hostname(), url.port(), url.target()),
            ("[::1]", 80, "?x=1")
        );
        let url = WsUrl::parse("ws://[::1]:8080/").unwrap();
        assert_eq!((url.hostname(), url.port()), ("[::1]", 8080));
    }

    #[test]
    fn errors() {
        assert_eq!(WsUrl::parse("http://a/"), Err(UrlError::Scheme));
        assert_eq!(WsUrl::parse("example.com"), Err(UrlError::Scheme));
        assert_eq!(WsUrl::parse("ws:///path"), Err(UrlError::Host));
        assert_eq!(WsUrl::parse("ws://u@h/"), Err(UrlError::Host));
        assert_eq!(WsUrl::parse("ws://h:0/"), Err(UrlError::Port));
        assert_eq!(WsUrl::parse("ws://h:x/"), Err(UrlError::Port));
        assert_eq!(WsUrl::parse("ws://h:70000/"), Err(UrlError::Port));
        assert_eq!(WsUrl::parse("ws://h/#frag"), Err(UrlError::Fragment));
    }

    #[test]
    fn root_targets_are_written_as_slash() {
        use crate::handshake::ClientRequest;
        for (url, line) in [
            ("ws://h", &b"GET / HTTP/1.1\r\n"[..]),
            ("ws://h?x=1", b"GET /?x=1 HTTP/1.1\r\n"),
            ("ws://h/a?b", b"GET /a?b HTTP/1.1\r\n"),
        ] {
            let url = WsUrl::parse(url).unwrap();
            let mut out = [0u8; 256];
            let (n, _) = ClientRequest::new(url.host(), url.target())
                .write([7; 16], &mut out)
                .unwrap();
            assert!(out[..n].starts_with(line), "{url:?}");
        }
    }
}
