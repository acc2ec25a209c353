//! Header views and helpers: lookup by name (ASCII case-insensitive), iteration over the
//! comma-separated elements of list headers (RFC 9110 §5.6.1), and byte-class checks.

use core::fmt;
use core::slice;

/// One header field, borrowed from a parsed head or supplied by the caller for writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// The field name, as it appeared (compare with [`eq_ignore_ascii_case`](str::eq_ignore_ascii_case)).
    pub name: &'a str,
    /// The field value, without surrounding spaces. Values are bytes: HTTP allows non-ASCII.
    pub value: &'a [u8],
}

impl<'a> Header<'a> {
    /// A header with the given name and value.
    pub const fn new(name: &'a str, value: &'a [u8]) -> Self {
        Header { name, value }
    }
}

/// The headers of a parsed head, borrowed from the caller's buffer and
/// [`HeaderStorage`](super::HeaderStorage).
#[derive(Clone, Copy)]
pub struct Headers<'b, 'h> {
    raw: &'h [httparse::Header<'b>],
}

impl<'b, 'h> Headers<'b, 'h> {
    pub(super) fn new(raw: &'h [httparse::Header<'b>]) -> Self {
        Headers { raw }
    }

    /// The number of header fields.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether there are no header fields.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Every header field, in order.
    pub fn iter(&self) -> HeaderIter<'b, 'h> {
        HeaderIter {
            inner: self.raw.iter(),
        }
    }

    /// The value of the first field called `name` (ASCII case-insensitive), trimmed.
    pub fn get(&self, name: &str) -> Option<&'b [u8]> {
        self.get_all(name).next()
    }

    /// The trimmed values of every field called `name` (ASCII case-insensitive), in order.
    pub fn get_all<'n>(&self, name: &'n str) -> Values<'b, 'h, 'n> {
        Values {
            inner: self.raw.iter(),
            name,
        }
    }

    /// The non-empty, trimmed elements of every field called `name`, each value split at
    /// the commas outside quoted strings (the `#rule` lists of RFC 9110 §5.6.1).
    pub fn list<'n>(&self, name: &'n str) -> ListIter<'b, 'h, 'n> {
        ListIter {
            values: self.get_all(name),
            rest: &[],
        }
    }

    /// Whether any element of the list header `name` equals `token` (ASCII
    /// case-insensitive), e.g. `contains_token("connection", "upgrade")`.
    pub fn contains_token(&self, name: &str, token: &str) -> bool {
        self.list(name)
            .any(|element| element.eq_ignore_ascii_case(token.as_bytes()))
    }
}

impl fmt::Debug for Headers<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'b, 'h> IntoIterator for Headers<'b, 'h> {
    type Item = Header<'b>;
    type IntoIter = HeaderIter<'b, 'h>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the fields of [`Headers`].
#[derive(Debug, Clone)]
pub struct HeaderIter<'b, 'h> {
    inner: slice::Iter<'h, httparse::Header<'b>>,
}

impl<'b> Iterator for HeaderIter<'b, '_> {
    type Item = Header<'b>;

    fn next(&mut self) -> Option<Header<'b>> {
        self.inner
            .next()
            .map(|h| Header::new(h.name, trim_ows(h.value)))
    }
}

/// Iterator over the values of the fields with one name; see [`Headers::get_all`].
#[derive(Debug, Clone)]
pub struct Values<'b, 'h, 'n> {
    inner: slice::Iter<'h, httparse::Header<'b>>,
    name: &'n str,
}

impl<'b> Iterator for Values<'b, '_, '_> {
    type Item = &'b [u8];

    fn next(&mut self) -> Option<&'b [u8]> {
        let name = self.name;
        self.inner
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| trim_ows(h.value))
    }
}

/// Iterator over the elements of a list header; see [`Headers::list`].
#[derive(Debug, Clone)]
pub struct ListIter<'b, 'h, 'n> {
    values: Values<'b, 'h, 'n>,
    rest: &'b [u8],
}

impl<'b> Iterator for ListIter<'b, '_, '_> {
    type Item = &'b [u8];

    fn next(&mut self) -> Option<&'b [u8]> {
        loop {
            if self.rest.is_empty() {
                self.rest = self.values.next()?;
            }
            let (element, rest) = split_element(self.rest);
            self.rest = rest;
            let element = trim_ows(element);
            if !element.is_empty() {
                return Some(element);
            }
        }
    }
}

/// Iterator over the elements of a list header as text; elements that are not UTF-8 are
/// skipped (they cannot occur after validation, which the parsers here perform).
#[derive(Debug, Clone)]
pub struct StrList<'b, 'h, 'n> {
    inner: ListIter<'b, 'h, 'n>,
}

impl<'b, 'h, 'n> StrList<'b, 'h, 'n> {
    pub(super) fn new(inner: ListIter<'b, 'h, 'n>) -> Self {
        StrList { inner }
    }
}

impl<'b> Iterator for StrList<'b, '_, '_> {
    type Item = &'b str;

    fn next(&mut self) -> Option<&'b str> {
        self.inner
            .by_ref()
            .find_map(|e| core::str::from_utf8(e).ok())
    }
}

/// Splits off the first element of a list value at the first comma outside a quoted string.
/// Returns the element (untrimmed) and what follows the comma.
pub(super) fn split_element(value: &[u8]) -> (&[u8], &[u8]) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in value.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        } else if b == b',' && !quoted {
            return (&value[..i], &value[i + 1..]);
        }
    }
    (value, &[])
}

/// The name of an extension element (`name; param=value`): the part before the first `;`.
pub(super) fn extension_name(element: &[u8]) -> &[u8] {
    let end = element
        .iter()
        .position(|&b| b == b';')
        .unwrap_or(element.len());
    trim_ows(&element[..end])
}

/// Strips leading and trailing spaces and tabs.
pub(super) fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// Whether `b` may appear in a token (RFC 9110 §5.6.2).
const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// Whether `s` is a non-empty token.
pub(super) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether `s` holds only visible ASCII, space and tab (no CR, LF or other controls).
pub(super) fn is_text(s: &[u8]) -> bool {
    s.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// Whether `s` is a non-empty run of visible ASCII (no spaces).
pub(super) fn is_visible(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

/// Whether `s` may be sent as a field value: no NUL, CR, LF or other controls but tab
/// (obs-text bytes 0x80–0xFF are allowed, as RFC 9110 §5.5 does).
pub(super) fn is_field_value(s: &[u8]) -> bool {
    s.iter().all(|&b| b == b'\t' || (b >= b' ' && b != 0x7f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(pairs: &[(&'a str, &'a [u8])], out: &mut [httparse::Header<'a>]) -> usize {
        for (slot, (name, value)) in out.iter_mut().zip(pairs) {
            *slot = httparse::Header { name, value };
        }
        pairs.len()
    }

    #[test]
    fn lists_span_repeated_headers_and_skip_empty_elements() {
        let mut slots = [httparse::EMPTY_HEADER; 4];
        let n = raw(
            &[
                ("Connection", b"keep-alive, , Upgrade"),
                ("X", b"upgrade"),
                ("connection", b" ,close ,"),
            ],
            &mut slots,
        );
        let headers = Headers::new(&slots[..n]);
        let mut list = headers.list("CONNECTION");
        assert_eq!(list.next(), Some(&b"keep-alive"[..]));
        assert_eq!(list.next(), Some(&b"Upgrade"[..]));
        assert_eq!(list.next(), Some(&b"close"[..]));
        assert_eq!(list.next(), None);
        assert!(headers.contains_token("connection", "UPGRADE"));
        assert!(!headers.contains_token("upgrade", "websocket"));
    }

    #[test]
    fn split_respects_quotes() {
        let (a, rest) = split_element(b"foo; x=\"a,\\\"b\", bar");
        assert_eq!(a, b"foo; x=\"a,\\\"b\"");
        assert_eq!(rest, b" bar");
        assert_eq!(
            extension_name(b" permessage-deflate ; a=1"),
            b"permessage-deflate"
        );
    }

    #[test]
    fn byte_classes() {
        assert!(is_token(b"chat.v2"));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b""));
        assert!(is_text(b"a; b=1"));
        assert!(!is_text(b"a\r\nb"));
        assert!(is_field_value(b"caf\xc3\xa9"));
        assert!(!is_field_value(b"a\nb"));
        assert_eq!(trim_ows(b" \tx y\t "), b"x y");
    }
}
