//! Handshake errors: the client's faults (seen by a server), the server's faults (seen by a
//! client), and the caller's own mistakes while writing a head.

use core::fmt;

use crate::InsufficientSize;

/// Why a server refuses an upgrade request (RFC 6455 §4.2.1).
///
/// Each variant names the HTTP status to answer with ([`RequestError::http_status`]);
/// [`RequestError::write_response`] writes the whole rejection.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestError {
    /// The head grew past [`Limits::max_head_len`](super::Limits::max_head_len) without
    /// ending (431).
    HeadTooLarge,
    /// The head held more headers than the limit or the lent storage allows (431).
    TooManyHeaders,
    /// The bytes were not an HTTP/1.x request head (400).
    MalformedHead,
    /// The method was not `GET` (405, with `Allow: GET`).
    MethodNotGet,
    /// The request was HTTP/1.0; an upgrade needs HTTP/1.1 or later (400).
    HttpVersion,
    /// No `Host` header, or an empty one (400).
    MissingHost,
    /// More than one `Host` header, or one that is not visible ASCII (400).
    InvalidHost,
    /// The `Upgrade` header is missing or does not list `websocket` (400).
    UpgradeNotWebSocket,
    /// The `Connection` header is missing or does not list `upgrade` (400).
    ConnectionNotUpgrade,
    /// No `Sec-WebSocket-Version` header (426, with `Sec-WebSocket-Version: 13`).
    MissingVersion,
    /// A `Sec-WebSocket-Version` other than `13`, or more than one (426, with
    /// `Sec-WebSocket-Version: 13`).
    UnsupportedVersion,
    /// No `Sec-WebSocket-Key` header (400).
    MissingKey,
    /// A `Sec-WebSocket-Key` that is not the base64 of exactly 16 bytes, or more than one
    /// (400).
    InvalidKey,
    /// More than one `Origin` header, or one that is not visible ASCII (400).
    InvalidOrigin,
    /// A `Sec-WebSocket-Protocol` element that is not a token (400).
    InvalidSubprotocol,
    /// A `Sec-WebSocket-Extensions` header with bytes outside visible ASCII, space and tab
    /// (400).
    InvalidExtensions,
}

impl RequestError {
    /// The HTTP status code a server should answer this request with.
    pub const fn http_status(&self) -> u16 {
        match self {
            RequestError::HeadTooLarge | RequestError::TooManyHeaders => 431,
            RequestError::MethodNotGet => 405,
            RequestError::MissingVersion | RequestError::UnsupportedVersion => 426,
            _ => 400,
        }
    }

    /// The standard reason phrase for [`RequestError::http_status`].
    pub const fn reason_phrase(&self) -> &'static str {
        match self.http_status() {
            431 => "Request Header Fields Too Large",
            405 => "Method Not Allowed",
            426 => "Upgrade Required",
            _ => "Bad Request",
        }
    }

    /// A short description, also used as the body of the rejection response.
    pub const fn as_str(&self) -> &'static str {
        match self {
            RequestError::HeadTooLarge => "request head too large",
            RequestError::TooManyHeaders => "too many request headers",
            RequestError::MalformedHead => "malformed HTTP request head",
            RequestError::MethodNotGet => "upgrade request method is not GET",
            RequestError::HttpVersion => "upgrade request needs HTTP/1.1 or later",
            RequestError::MissingHost => "missing Host header",
            RequestError::InvalidHost => "invalid or repeated Host header",
            RequestError::UpgradeNotWebSocket => "Upgrade header does not list websocket",
            RequestError::ConnectionNotUpgrade => "Connection header does not list upgrade",
            RequestError::MissingVersion => "missing Sec-WebSocket-Version header",
            RequestError::UnsupportedVersion => "unsupported Sec-WebSocket-Version",
            RequestError::MissingKey => "missing Sec-WebSocket-Key header",
            RequestError::InvalidKey => "invalid Sec-WebSocket-Key",
            RequestError::InvalidOrigin => "invalid or repeated Origin header",
            RequestError::InvalidSubprotocol => "invalid Sec-WebSocket-Protocol header",
            RequestError::InvalidExtensions => "invalid Sec-WebSocket-Extensions header",
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for RequestError {}

/// Why a client fails the connection on the server's response (RFC 6455 §4.1).
///
/// A well-formed response with a status other than 101 is not an error: it is surfaced as
/// [`Response::Refused`](super::Response::Refused) so the caller can follow a redirect or
/// authenticate.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseError {
    /// The head grew past [`Limits::max_head_len`](super::Limits::max_head_len) without
    /// ending.
    HeadTooLarge,
    /// The head held more headers than the limit or the lent storage allows.
    TooManyHeaders,
    /// The bytes were not an HTTP/1.x response head.
    MalformedHead,
    /// A 101 response in HTTP/1.0.
    HttpVersion,
    /// The `Upgrade` header is missing or is not `websocket`.
    UpgradeNotWebSocket,
    /// The `Connection` header is missing or does not list `upgrade`.
    ConnectionNotUpgrade,
    /// No `Sec-WebSocket-Accept` header.
    MissingAccept,
    /// A `Sec-WebSocket-Accept` that does not match our key, or more than one.
    AcceptMismatch,
    /// The server selected a subprotocol we did not offer, or more than one.
    SubprotocolNotOffered,
    /// The server accepted an extension we did not offer, or sent a malformed list.
    ExtensionNotOffered,
}

impl ResponseError {
    /// A short description.
    pub const fn as_str(&self) -> &'static str {
        match self {
            ResponseError::HeadTooLarge => "response head too large",
            ResponseError::TooManyHeaders => "too many response headers",
            ResponseError::MalformedHead => "malformed HTTP response head",
            ResponseError::HttpVersion => "101 response in HTTP/1.0",
            ResponseError::UpgradeNotWebSocket => "Upgrade header is not websocket",
            ResponseError::ConnectionNotUpgrade => "Connection header does not list upgrade",
            ResponseError::MissingAccept => "missing Sec-WebSocket-Accept header",
            ResponseError::AcceptMismatch => "Sec-WebSocket-Accept does not match the key",
            ResponseError::SubprotocolNotOffered => "server selected a subprotocol not offered",
            ResponseError::ExtensionNotOffered => "server accepted an extension not offered",
        }
    }
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for ResponseError {}

/// A mistake of the caller while writing a request or response head.
///
/// Values the caller passes are checked before they reach the wire, so no header can be
/// split or injected with a stray CR or LF.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteError {
    /// The output buffer was too small; the contents written so far are unspecified.
    InsufficientSize(InsufficientSize),
    /// A host that is empty or not visible ASCII.
    InvalidHost,
    /// A request target that does not start with `/` or is not visible ASCII.
    InvalidTarget,
    /// A subprotocol that is not a token.
    InvalidSubprotocol,
    /// An extension offer or answer with bytes outside visible ASCII, space and tab.
    InvalidExtension,
    /// A header name that is not a token.
    InvalidHeaderName,
    /// A header value holding CR, LF, NUL or another control byte.
    InvalidHeaderValue,
    /// An extra header the handshake writes itself (`Host`, `Upgrade`, `Connection`,
    /// `Sec-WebSocket-*`): a second copy would contradict what was negotiated.
    ReservedHeader,
    /// A status code outside 200..=599 for a rejection.
    InvalidStatus,
    /// A reason phrase with bytes outside visible ASCII, space and tab.
    InvalidReason,
    /// The chosen subprotocol was not among the client's offers.
    SubprotocolNotOffered,
    /// An accepted extension was not among the client's offers.
    ExtensionNotOffered,
}

impl From<InsufficientSize> for WriteError {
    fn from(e: InsufficientSize) -> Self {
        WriteError::InsufficientSize(e)
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::InsufficientSize(e) => fmt::Display::fmt(e, f),
            WriteError::InvalidHost => f.write_str("invalid host"),
            WriteError::InvalidTarget => f.write_str("invalid request target"),
            WriteError::InvalidSubprotocol => f.write_str("subprotocol is not a token"),
            WriteError::InvalidExtension => f.write_str("invalid extension"),
            WriteError::InvalidHeaderName => f.write_str("header name is not a token"),
            WriteError::InvalidHeaderValue => f.write_str("header value holds a control byte"),
            WriteError::ReservedHeader => f.write_str("header is written by the handshake itself"),
            WriteError::InvalidStatus => f.write_str("rejection status outside 200..=599"),
            WriteError::InvalidReason => f.write_str("invalid reason phrase"),
            WriteError::SubprotocolNotOffered => f.write_str("subprotocol was not offered"),
            WriteError::ExtensionNotOffered => f.write_str("extension was not offered"),
        }
    }
}

impl core::error::Error for WriteError {}
