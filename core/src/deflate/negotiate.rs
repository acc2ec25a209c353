//! Negotiation (RFC 7692 §5 and §7.1): a client's offer and its check of the answer; a
//! server's choice among offers and its answer.

use alloc::string::String;
use core::fmt::{self, Write};

use super::config::DeflateConfig;
use super::params::{DeflateParams, Element, WindowBits, NAME};

/// A server's acceptance of one offer: what to answer and what was agreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The `Sec-WebSocket-Extensions` element to answer with (pass it to
    /// [`Accept::extensions`](crate::handshake::Accept::extensions)).
    pub response: String,
    /// The agreed parameters, for [`Connection::enable_deflate`](crate::Connection::enable_deflate).
    pub params: DeflateParams,
}

/// Why a client must fail the connection over the server's permessage-deflate answer
/// (RFC 7692 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// `permessage-deflate` was accepted more than once.
    Duplicate,
    /// An unknown, repeated or malformed parameter, or a window size outside 8–15.
    InvalidParameter,
    /// A window size above the one offered, or `client_max_window_bits` without a value.
    WindowNotOffered,
    /// The answer dropped `server_no_context_takeover` or `server_max_window_bits`, which
    /// the offer required the server to accept.
    ParameterIgnored,
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NegotiationError::Duplicate => "permessage-deflate accepted twice",
            NegotiationError::InvalidParameter => "invalid permessage-deflate parameter",
            NegotiationError::WindowNotOffered => "permessage-deflate window above the offer",
            NegotiationError::ParameterIgnored => "permessage-deflate answer ignored the offer",
        })
    }
}

impl core::error::Error for NegotiationError {}

impl DeflateConfig {
    /// The client's offer, an element for
    /// [`ClientRequest::extensions`](crate::handshake::ClientRequest::extensions). It always
    /// carries `client_max_window_bits`, so the server may size our window.
    pub fn offer(&self) -> String {
        let config = self.clamped();
        let mut offer = String::from(NAME);
        if config.no_context_takeover {
            offer.push_str("; client_no_context_takeover");
        }
        if config.peer_no_context_takeover {
            offer.push_str("; server_no_context_takeover");
        }
        if config.peer_max_window_bits < 15 {
            let _ = write!(
                offer,
                "; server_max_window_bits={}",
                config.peer_max_window_bits
            );
        }
        match config.max_window_bits {
            15 => offer.push_str("; client_max_window_bits"),
            bits => {
                let _ = write!(offer, "; client_max_window_bits={bits}");
            }
        }
        offer
    }

    /// Checks the extensions a server accepted (each element of its
    /// `Sec-WebSocket-Extensions`, e.g. from
    /// [`Upgraded::extensions`](crate::handshake::Upgraded::extensions)) against
    /// [`DeflateConfig::offer`]. `Ok(None)` when the server declined compression; an error
    /// means the connection must be failed.
    pub fn check_response<'a>(
        &self,
        accepted: impl IntoIterator<Item = &'a str>,
    ) -> Result<Option<DeflateParams>, NegotiationError> {
        let config = self.clamped();
        let mut agreed = None;
        for element in accepted {
            let Some(parsed) = Element::parse(element) else {
                continue;
            };
            if agreed.is_some() {
                return Err(NegotiationError::Duplicate);
            }
            let answer = parsed.map_err(|_| NegotiationError::InvalidParameter)?;
            agreed = Some(config.agreed_by_server(&answer)?);
        }
        Ok(agreed)
    }

    fn agreed_by_server(&self, answer: &Element) -> Result<DeflateParams, NegotiationError> {
        if self.peer_no_context_takeover && !answer.server_no_context_takeover {
            return Err(NegotiationError::ParameterIgnored);
        }
        let server_max_window_bits = match answer.server_max_window_bits {
            WindowBits::Absent if self.peer_max_window_bits < 15 => {
                return Err(NegotiationError::ParameterIgnored)
            }
            WindowBits::Absent => 15,
            WindowBits::NoValue => return Err(NegotiationError::InvalidParameter),
            WindowBits::Value(bits) if bits > self.peer_max_window_bits => {
                return Err(NegotiationError::WindowNotOffered)
            }
            WindowBits::Value(bits) => bits,
        };
        let client_max_window_bits = match answer.client_max_window_bits {
            WindowBits::Absent => self.max_window_bits,
            WindowBits::NoValue => return Err(NegotiationError::WindowNotOffered),
            WindowBits::Value(bits) if bits > self.max_window_bits => {
                return Err(NegotiationError::WindowNotOffered)
            }
            WindowBits::Value(bits) => bits,
        };
        Ok(DeflateParams {
            server_no_context_takeover: answer.server_no_context_takeover,
            // We offered it, or may reset our own context anyway.
            client_no_context_takeover: answer.client_no_context_takeover
                || self.no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        })
    }

    /// A server's choice among a request's extension offers (each element, e.g. from
    /// [`Request::extensions`](crate::handshake::Request::extensions)), in the client's order
    /// of preference: the first `permessage-deflate` offer with valid parameters is accepted
    /// (every valid offer can be honoured), invalid ones are declined (RFC 7692 §5).
    /// `None` when there is nothing to accept: answer without the extension.
    pub fn accept_offers<'a>(&self, offers: impl IntoIterator<Item = &'a str>) -> Option<Accepted> {
        let config = self.clamped();
        offers
            .into_iter()
            .find_map(|offer| Element::parse(offer)?.ok())
            .map(|offer| config.answer(&offer))
    }

    fn answer(&self, offer: &Element) -> Accepted {
        let server_max_window_bits = match offer.server_max_window_bits {
            WindowBits::Value(bits) => bits.min(self.max_window_bits),
            _ => self.max_window_bits,
        };
        // Without the parameter in the offer the client may not be asked to shrink
        // (§7.1.2.2) and compresses with 32 KiB.
        let client_max_window_bits = match offer.client_max_window_bits {
            WindowBits::Absent => None,
            WindowBits::NoValue => Some(self.peer_max_window_bits),
            WindowBits::Value(bits) => Some(bits.min(self.peer_max_window_bits)),
        };
        let params = DeflateParams {
            server_no_context_takeover: offer.server_no_context_takeover
                || self.no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || self.peer_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits: client_max_window_bits.unwrap_or(15),
        };
        let mut response = String::from(NAME);
        if params.server_no_context_takeover {
            response.push_str("; server_no_context_takeover");
        }
        if params.client_no_context_takeover {
            response.push_str("; client_no_context_takeover");
        }
        if server_max_window_bits < 15 || offer.server_max_window_bits != WindowBits::Absent {
            let _ = write!(
                response,
                "; server_max_window_bits={server_max_window_bits}"
            );
        }
        if let Some(bits) = client_max_window_bits {
            let _ = write!(response, "; client_max_window_bits={bits}");
        }
        Accepted { response, params }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: DeflateConfig = DeflateConfig {
        max_window_bits: 15,
        peer_max_window_bits: 15,
        ..DeflateConfig::DEFAULT
    };

    fn accept(config: DeflateConfig, offers: &[&str]) -> Option<(String, DeflateParams)> {
        config
            .accept_offers(offers.iter().copied())
            .map(|a| (a.response, a.params))
    }

    fn params(snct: bool, cnct: bool, smwb: u8, cmwb: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: smwb,
            client_max_window_bits: cmwb,
        }
    }

    #[test]
    fn client_offers() {
        assert_eq!(
            DeflateConfig::default().offer(),
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
        );
        assert_eq!(FULL.offer(), "permessage-deflate; client_max_window_bits");
        let all = DeflateConfig {
            no_context_takeover: true,
            peer_no_context_takeover: true,
            max_window_bits: 3, // clamped to 8
            peer_max_window_bits: 9,
            ..FULL
        };
        assert_eq!(
            all.offer(),
            "permessage-deflate; client_no_context_takeover; server_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=8"
        );
    }

    #[test]
    fn server_accepts_a_bare_offer_with_its_own_limits() {
        assert_eq!(
            accept(FULL, &["permessage-deflate"]),
            Some(("permessage-deflate".into(), DeflateParams::default()))
        );
        // Our window may be announced unasked (§7.1.2.1); the client's may not (§7.1.2.2).
        assert_eq!(
            accept(DeflateConfig::default(), &["permessage-deflate"]),
            Some((
                "permessage-deflate; server_max_window_bits=12".into(),
                params(false, false, 12, 15)
            ))
        );
    }

    #[test]
    fn server_honours_every_offered_parameter() {
        assert_eq!(
            accept(
                FULL,
                &[
                    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
                   server_max_window_bits=10; client_max_window_bits"
                ]
            ),
            Some((
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
                 server_max_window_bits=10; client_max_window_bits=15"
                    .into(),
                params(true, true, 10, 15)
            ))
        );
        // The smaller of the offered window and our own limit.
        assert_eq!(
            accept(
                DeflateConfig::default(),
                &["permessage-deflate; server_max_window_bits=14; client_max_window_bits=9"]
            )
            .map(|(_, p)| p),
            Some(params(false, false, 12, 9))
        );
        assert_eq!(
            accept(
                DeflateConfig::default(),
                &["permessage-deflate; client_max_window_bits"]
            ),
            Some((
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12".into(),
                params(false, false, 12, 12)
            ))
        );
    }

    #[test]
    fn server_asks_for_context_reset_when_configured() {
        let config = DeflateConfig {
            no_context_takeover: true,
            peer_no_context_takeover: true,
            ..FULL
        };
        assert_eq!(
            accept(config, &["permessage-deflate"]),
            Some((
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover".into(),
                params(true, true, 15, 15)
            ))
        );
    }

    #[test]
    fn server_declines_invalid_offers_and_takes_the_next() {
        let offers = [
            "x-webkit-deflate-frame",
            "permessage-deflate; server_max_window_bits=20",
            "permessage-deflate; foo=1",
            "permessage-deflate; client_no_context_takeover",
        ];
        assert_eq!(
            accept(FULL, &offers),
            Some((
                "permessage-deflate; client_no_context_takeover".into(),
                params(false, true, 15, 15)
            ))
        );
        assert_eq!(accept(FULL, &offers[..3]), None);
        assert_eq!(accept(FULL, &[]), None);
    }

    #[test]
    fn client_accepts_valid_answers() {
        let config = DeflateConfig::default();
        let check = |answer: &[&str]| config.check_response(answer.iter().copied());
        assert_eq!(check(&[]), Ok(None));
        assert_eq!(check(&["x-other"]), Ok(None));
        assert_eq!(
            check(&["permessage-deflate; server_max_window_bits=12"]),
            Ok(Some(params(false, false, 12, 12)))
        );
        assert_eq!(
            check(&[
                "permessage-deflate; server_max_window_bits=9; client_max_window_bits=8; \
                 server_no_context_takeover; client_no_context_takeover"
            ]),
            Ok(Some(params(true, true, 9, 8)))
        );
        assert_eq!(
            FULL.check_response(["permessage-deflate"]),
            Ok(Some(DeflateParams::default()))
        );
    }

    #[test]
    fn client_fails_unacceptable_answers() {
        let config = DeflateConfig::default();
        let check = |answer: &[&str]| config.check_response(answer.iter().copied());
        use NegotiationError::*;
        for (answer, err) in [
            (
                &[
                    "permessage-deflate; server_max_window_bits=12",
                    "permessage-deflate",
                ][..],
                Duplicate,
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; foo"],
                InvalidParameter,
            ),
            (
                &["permessage-deflate; server_max_window_bits=16"],
                InvalidParameter,
            ),
            (
                &["permessage-deflate; server_max_window_bits"],
                InvalidParameter,
            ),
            (
                &["permessage-deflate; server_max_window_bits=13"],
                WindowNotOffered,
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; client_max_window_bits=13"],
                WindowNotOffered,
            ),
            (
                &["permessage-deflate; server_max_window_bits=12; client_max_window_bits"],
                WindowNotOffered,
            ),
            (&["permessage-deflate"], ParameterIgnored),
        ] {
            assert_eq!(check(answer), Err(err), "{answer:?}");
        }
        let strict = DeflateConfig {
            peer_no_context_takeover: true,
            ..FULL
        };
        assert_eq!(
            strict.check_response(["permessage-deflate"]),
            Err(ParameterIgnored)
        );
    }
}
