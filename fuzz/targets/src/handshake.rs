//! `handshake_request` and `handshake_response`: the HTTP upgrade parsers over any bytes,
//! fed in any split.

use sansws::handshake::{
    Accept, ClientHandshake, HeaderStorage, Key, Limits, Request, RequestError, Response,
    ResponseError,
};
use sansws::Status;

use crate::split;

/// The limits a selector byte picks: bits 0–2 the head length, bits 3–7 the header count.
pub fn limits(selector: u8) -> Limits {
    let mut limits = Limits::DEFAULT;
    limits.max_head_len = [8192, 0, 1, 16, 64, 128, 256, 1024][usize::from(selector & 7)];
    limits.max_headers = usize::from(selector >> 3); // 0..=31; storage holds 32
    limits
}

/// The nonce of RFC 6455 §1.2's example ("the sample nonce", key `dGhlIHNhbXBsZSBub25jZQ==`).
pub const NONCE: [u8; 16] = *b"the sample nonce";

/// A request parse reduced to comparable values.
#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    Incomplete(usize),
    Request {
        head_len: usize,
        target: String,
        host: String,
        origin: Option<String>,
        key: String,
        protocols: Vec<String>,
        extensions: Vec<String>,
        accept: Vec<u8>,
    },
    Refused(RequestError, Vec<u8>),
}

fn parse_request(buf: &[u8], limits: &Limits) -> Parsed {
    let mut storage: HeaderStorage = HeaderStorage::new();
    let mut out = [0u8; 1024];
    match Request::parse(buf, &mut storage, limits) {
        Ok(Status::Incomplete { needed }) => Parsed::Incomplete(needed),
        Ok(Status::Complete((req, head_len))) => {
            assert!(head_len <= buf.len() && head_len <= limits.max_head_len);
            let protocols: Vec<String> = req.subprotocols().map(str::to_owned).collect();
            // Accept with the first offered subprotocol, as a server would.
            let mut accept = Accept::new();
            if let Some(first) = protocols.first() {
                accept = accept.subprotocol(first);
            }
            let n = req
                .write_accept(&accept, &mut out)
                .expect("an offered subprotocol is accepted");
            let _ = (
                req.path(),
                req.query(),
                req.headers().iter().count(),
                req.key(),
            );
            Parsed::Request {
                head_len,
                target: req.target().to_owned(),
                host: req.host().to_owned(),
                origin: req.origin().map(str::to_owned),
                key: req.key().as_str().to_owned(),
                protocols,
                extensions: req.extensions().map(str::to_owned).collect(),
                accept: out[..n].to_vec(),
            }
        }
        Err(err) => {
            let n = err.write_response(&mut out).expect("rejections fit 1 KiB");
            assert!(out[..n].starts_with(b"HTTP/1.1 4"), "{err:?}");
            Parsed::Refused(err, out[..n].to_vec())
        }
    }
}

/// Input: a limits byte ([`limits`]), a split seed byte ([`split::chunks`]), then the bytes a
/// client sent.
///
/// [`Request::parse`] on each growing prefix answers `Incomplete` (with a `needed` that does
/// not overshoot the head) until it answers exactly what the whole input gives, and never
/// answers `Incomplete` once `max_head_len` bytes are there: nothing beyond the limits is
/// waited for. Accepted requests write a 101, refused ones a 4xx.
pub fn handshake_request(data: &[u8]) {
    let [selector, seed, input @ ..] = data else {
        return;
    };
    let limits = limits(*selector);
    let whole = parse_request(input, &limits);
    check_bounded(&whole_status(&whole), input.len(), &limits);
    for end in split::prefix_ends(input.len(), *seed) {
        let part = parse_request(&input[..end], &limits);
        check_prefix(
            &part,
            &whole,
            end,
            &limits,
            |p| match p {
                Parsed::Incomplete(n) => Some(*n),
                _ => None,
            },
            |p| match p {
                Parsed::Request { head_len, .. } => Some(*head_len),
                _ => None,
            },
        );
    }
}

/// `Some(needed)` while incomplete.
fn whole_status(p: &Parsed) -> Option<usize> {
    match p {
        Parsed::Incomplete(n) => Some(*n),
        _ => None,
    }
}

fn check_bounded(incomplete: &Option<usize>, len: usize, limits: &Limits) {
    if incomplete.is_some() {
        assert!(
            len < limits.max_head_len,
            "waits past max_head_len with {len} bytes"
        );
    }
}

/// A prefix of `end` bytes: incomplete (then the whole input is incomplete too or completes
/// no earlier than `end + needed`), or the whole input's answer.
fn check_prefix<P: PartialEq + core::fmt::Debug>(
    part: &P,
    whole: &P,
    end: usize,
    limits: &Limits,
    incomplete: impl Fn(&P) -> Option<usize>,
    head_len: impl Fn(&P) -> Option<usize>,
) {
    match incomplete(part) {
        Some(needed) => {
            assert!(needed >= 1);
            check_bounded(&Some(needed), end, limits);
            if let Some(len) = head_len(whole) {
                assert!(
                    end + needed <= len,
                    "prefix {end} needs {needed}, head is {len}"
                );
            }
        }
        None => assert_eq!(part, whole, "prefix of {end} bytes"),
    }
}

/// A response check reduced to comparable values.
#[derive(Debug, PartialEq, Eq)]
enum Checked {
    Incomplete(usize),
    Upgraded {
        head_len: usize,
        subprotocol: Option<String>,
        extensions: Vec<String>,
    },
    Refused {
        head_len: usize,
        status: u16,
        reason: String,
        location: Option<Vec<u8>>,
    },
    Failed(ResponseError),
}

const PROTOCOLS: [&str; 2] = ["chat", "superchat"];
const EXTENSIONS: [&str; 1] = ["permessage-deflate; client_max_window_bits"];

fn check_response(handshake: &ClientHandshake<'_>, buf: &[u8], limits: &Limits) -> Checked {
    let mut storage: HeaderStorage = HeaderStorage::new();
    match handshake.check_response(buf, &mut storage, limits) {
        Ok(Status::Incomplete { needed }) => Checked::Incomplete(needed),
        Ok(Status::Complete((response, head_len))) => {
            assert!(head_len <= buf.len() && head_len <= limits.max_head_len);
            match response {
                Response::Upgraded(up) => {
                    if let Some(p) = up.subprotocol() {
                        assert!(PROTOCOLS.contains(&p));
                    }
                    Checked::Upgraded {
                        head_len,
                        subprotocol: up.subprotocol().map(str::to_owned),
                        extensions: up.extensions().map(str::to_owned).collect(),
                    }
                }
                Response::Refused(refused) => {
                    assert_ne!(refused.status(), 101);
                    Checked::Refused {
                        head_len,
                        status: refused.status(),
                        reason: refused.reason().to_owned(),
                        location: refused.location().map(<[u8]>::to_vec),
                    }
                }
            }
        }
        Err(err) => Checked::Failed(err),
    }
}

/// Input: a limits byte ([`limits`]), a split seed byte, then the bytes a server sent in
/// answer to the RFC 6455 §1.2 request (offering `chat`, `superchat` and permessage-deflate).
///
/// The same invariants as [`handshake_request`] for [`ClientHandshake::check_response`]; an
/// upgrade only ever selects what was offered.
pub fn handshake_response(data: &[u8]) {
    let [selector, seed, input @ ..] = data else {
        return;
    };
    let limits = limits(*selector);
    let handshake = ClientHandshake::new(Key::from_nonce(NONCE), &PROTOCOLS, &EXTENSIONS);
    let whole = check_response(&handshake, input, &limits);
    let incomplete = |c: &Checked| match c {
        Checked::Incomplete(n) => Some(*n),
        _ => None,
    };
    let head_len = |c: &Checked| match c {
        Checked::Upgraded { head_len, .. } | Checked::Refused { head_len, .. } => Some(*head_len),
        _ => None,
    };
    check_bounded(&incomplete(&whole), input.len(), &limits);
    for end in split::prefix_ends(input.len(), *seed) {
        let part = check_response(&handshake, &input[..end], &limits);
        check_prefix(&part, &whole, end, &limits, incomplete, head_len);
    }
}
