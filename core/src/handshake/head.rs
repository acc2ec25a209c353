//! Incremental parsing of an HTTP/1.1 head under limits, shared by both roles.

use core::fmt;

use crate::Status;

/// The default [`Limits::max_head_len`]: 8 KiB, as common HTTP servers allow.
pub const DEFAULT_MAX_HEAD_LEN: usize = 8192;

/// The default [`Limits::max_headers`], and the default capacity of [`HeaderStorage`].
pub const DEFAULT_MAX_HEADERS: usize = 32;

/// Bounds on an HTTP head, so that no peer can make us wait or buffer without end.
///
/// A head that has not ended within `max_head_len` bytes, or that holds more than
/// `max_headers` fields (or more than the [`HeaderStorage`] lent for it), is refused.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// The largest head accepted, in bytes, including the final blank line.
    /// Default [`DEFAULT_MAX_HEAD_LEN`] (8192).
    pub max_head_len: usize,
    /// The most header fields accepted. Default [`DEFAULT_MAX_HEADERS`] (32).
    pub max_headers: usize,
}

impl Limits {
    /// The defaults: an 8192-byte head with at most 32 header fields.
    pub const DEFAULT: Limits = Limits {
        max_head_len: DEFAULT_MAX_HEAD_LEN,
        max_headers: DEFAULT_MAX_HEADERS,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Room for the header fields of one parsed head, lent by the caller so that parsing needs
/// no allocator. `N` is the capacity (default 32); a head with more fields is refused.
///
/// The parsed head borrows both the input buffer (`'b`) and this storage. While a head is
/// still incomplete, make a fresh storage for each attempt (it is only `N` empty slots), so
/// the input buffer is free to grow in between:
///
/// ```
/// use sansws::handshake::{HeaderStorage, Limits, Request};
///
/// let mut buf = Vec::new();
/// for piece in [&b"GET / HTTP/1.1\r\nHost: a\r\n"[..], b"Upgrade: websocket\r\n\r\n"] {
///     buf.extend_from_slice(piece);
///     let mut storage: HeaderStorage = HeaderStorage::new();
///     match Request::parse(&buf, &mut storage, &Limits::DEFAULT) {
///         Ok(status) => assert!(!status.is_complete()),
///         Err(error) => assert_eq!(error.http_status(), 400), // no Connection: upgrade
///     }
/// }
/// ```
pub struct HeaderStorage<'b, const N: usize = DEFAULT_MAX_HEADERS> {
    slots: [httparse::Header<'b>; N],
}

impl<'b, const N: usize> HeaderStorage<'b, N> {
    /// Empty storage for up to `N` header fields.
    pub const fn new() -> Self {
        HeaderStorage {
            slots: [httparse::EMPTY_HEADER; N],
        }
    }

    /// How many header fields fit.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The slots a parse may use: at most `N` and at most `limits.max_headers`.
    pub(super) fn slots(&mut self, limits: &Limits) -> &mut [httparse::Header<'b>] {
        let n = N.min(limits.max_headers);
        &mut self.slots[..n]
    }
}

impl<const N: usize> Default for HeaderStorage<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for HeaderStorage<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderStorage")
            .field("capacity", &N)
            .finish()
    }
}

/// Why a head could not be parsed, common to both roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HeadFault {
    TooLarge,
    TooManyHeaders,
    Malformed,
}

/// Runs `parse` (an httparse request or response parse) on at most `limits.max_head_len`
/// bytes of `buf` and maps its outcome: the head length once complete, `Incomplete` while it
/// may still end within the limit, and a fault otherwise.
pub(super) fn parse_limited<'b>(
    buf: &'b [u8],
    limits: &Limits,
    parse: impl FnOnce(&'b [u8]) -> httparse::Result<usize>,
) -> Result<Status<usize>, HeadFault> {
    let window = &buf[..buf.len().min(limits.max_head_len)];
    match parse(window) {
        Ok(httparse::Status::Complete(head_len)) => Ok(Status::Complete(head_len)),
        Ok(httparse::Status::Partial) if buf.len() >= limits.max_head_len => {
            Err(HeadFault::TooLarge)
        }
        Ok(httparse::Status::Partial) => Ok(Status::Incomplete {
            needed: needed(window),
        }),
        Err(httparse::Error::TooManyHeaders) => Err(HeadFault::TooManyHeaders),
        Err(_) => Err(HeadFault::Malformed),
    }
}

/// A lower bound on the bytes still needed to end a head: the shortest end httparse accepts
/// is a bare `\n` after a line end, so one byte after CR or LF, else two.
fn needed(buf: &[u8]) -> usize {
    match buf.last() {
        Some(b'\r' | b'\n') => 1,
        _ => 2,
    }
}
