//! The agreed parameters and the parser for one `permessage-deflate` element.

use crate::role::Role;

/// The parameters both ends agreed on (RFC 7692 §7.1). Window sizes are in bits, 8 to 15;
/// 15 (a 32 KiB window) when a side's size was not negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after every message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window the server compresses with (§7.1.2.1).
    pub server_max_window_bits: u8,
    /// The largest LZ77 window the client compresses with (§7.1.2.2).
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// What `permessage-deflate` with no parameters means.
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

/// One side's share of the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Side {
    pub(crate) no_context_takeover: bool,
    pub(crate) window_bits: u8,
}

impl DeflateParams {
    /// What `role` compresses with.
    pub(crate) fn own(&self, role: Role) -> Side {
        match role {
            Role::Server => self.server_side(),
            Role::Client => self.client_side(),
        }
    }

    /// What the peer of `role` compresses with.
    pub(crate) fn peer(&self, role: Role) -> Side {
        match role {
            Role::Server => self.client_side(),
            Role::Client => self.server_side(),
        }
    }

    fn server_side(&self) -> Side {
        Side {
            no_context_takeover: self.server_no_context_takeover,
            window_bits: self.server_max_window_bits,
        }
    }

    fn client_side(&self) -> Side {
        Side {
            no_context_takeover: self.client_no_context_takeover,
            window_bits: self.client_max_window_bits,
        }
    }
}

/// The name of the extension.
pub(crate) const NAME: &str = "permessage-deflate";

/// A window-bits parameter: absent, present without a value, or with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum WindowBits {
    #[default]
    Absent,
    NoValue,
    Value(u8),
}

/// The parameters of one `permessage-deflate` element, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Element {
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    pub(crate) server_max_window_bits: WindowBits,
    pub(crate) client_max_window_bits: WindowBits,
}

/// Why an element's parameters are unusable (RFC 7692 §7.1: unknown, duplicated or
/// invalid parameters make the whole element unacceptable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidElement;

impl Element {
    /// Parses `permessage-deflate; p1; p2=v; ...`. `None` when the element names another
    /// extension.
    pub(crate) fn parse(element: &str) -> Option<Result<Element, InvalidElement>> {
        let mut parts = element.split(';');
        let name = parts.next().unwrap_or("").trim_matches([' ', '\t']);
        if !name.eq_ignore_ascii_case(NAME) {
            return None;
        }
        let mut parsed = Element::default();
        Some(
            parts
                .try_for_each(|param| parsed.add(param))
                .map(|()| parsed),
        )
    }

    fn add(&mut self, param: &str) -> Result<(), InvalidElement> {
        let (name, value) = match param.split_once('=') {
            Some((name, value)) => (name, Some(unquote(value.trim_matches([' ', '\t']))?)),
            None => (param, None),
        };
        let name = name.trim_matches([' ', '\t']);
        let flag = |seen: &mut bool| match (*seen, value) {
            (false, None) => {
                *seen = true;
                Ok(())
            }
            _ => Err(InvalidElement),
        };
        let bits = |seen: &mut WindowBits| {
            if *seen != WindowBits::Absent {
                return Err(InvalidElement);
            }
            *seen = match value {
                None => WindowBits::NoValue,
                Some(value) => WindowBits::Value(window_bits(value)?),
            };
            Ok(())
        };
        if name.eq_ignore_ascii_case("server_no_context_takeover") {
            flag(&mut self.server_no_context_takeover)
        } else if name.eq_ignore_ascii_case("client_no_context_takeover") {
            flag(&mut self.client_no_context_takeover)
        } else if name.eq_ignore_ascii_case("server_max_window_bits") {
            bits(&mut self.server_max_window_bits)
        } else if name.eq_ignore_ascii_case("client_max_window_bits") {
            bits(&mut self.client_max_window_bits)
        } else {
            Err(InvalidElement)
        }
    }
}

/// A value may be a token or a quoted string holding one (RFC 7692 §7.1, RFC 7230 §3.2.6).
fn unquote(value: &str) -> Result<&str, InvalidElement> {
    match value.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"').ok_or(InvalidElement),
        None => Ok(value),
    }
}

/// `1*DIGIT` from 8 to 15 with no leading zero (RFC 7692 §7.1.2.1).
fn window_bits(value: &str) -> Result<u8, InvalidElement> {
    match value.as_bytes() {
        [b @ b'8'..=b'9'] => Ok(b - b'0'),
        [b'1', b @ b'0'..=b'5'] => Ok(10 + b - b'0'),
        _ => Err(InvalidElement),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_parameter_form() {
        let e = Element::parse(
            "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\"; \
             server_no_context_takeover;client_no_context_takeover",
        );
        assert_eq!(
            e,
            Some(Ok(Element {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                server_max_window_bits: WindowBits::Value(10),
                client_max_window_bits: WindowBits::NoValue,
            }))
        );
        assert_eq!(
            Element::parse(" PerMessage-Deflate "),
            Some(Ok(Element::default()))
        );
        assert_eq!(Element::parse("x-webkit-deflate-frame"), None);
    }

    #[test]
    fn rejects_unknown_duplicate_and_invalid_parameters() {
        for bad in [
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=09",
            "permessage-deflate; server_max_window_bits=",
            "permessage-deflate; server_max_window_bits=\"10",
            "permessage-deflate; client_max_window_bits=8; client_max_window_bits=8",
            "permessage-deflate; ",
        ] {
            assert_eq!(Element::parse(bad), Some(Err(InvalidElement)), "{bad}");
        }
        for bits in 8..=15u8 {
            let text = alloc::format!("permessage-deflate; server_max_window_bits={bits}");
            let parsed = Element::parse(&text).unwrap().unwrap();
            assert_eq!(parsed.server_max_window_bits, WindowBits::Value(bits));
        }
    }
}
