//! permessage-deflate (RFC 7692) as this adapter uses it: the server's answer to a request's
//! offers, the client's offer and its check of the answer, turning on what was agreed, and
//! the two things the loop must know of a connection's codec (whether outgoing messages may
//! be compressed, and how to inflate a received one).
//!
//! Without feature `deflate` nothing is offered or accepted and these are no-ops, so the
//! handshake and delivery code carry no `cfg` of their own.

use sansws::handshake::{Request, Upgraded};
use sansws::{Connection, MessageKind};

use crate::error::Error;
use crate::event_loop::{ClientOptions, Options};

/// What the handshake agreed on, to turn on in the connection before any frame.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Agreed {
    #[cfg(feature = "deflate")]
    deflate: Option<(
        sansws::deflate::DeflateParams,
        sansws::deflate::DeflateConfig,
    )>,
}

impl Agreed {
    /// Turns on what was agreed.
    pub(crate) fn enable(self, core: &mut Connection) {
        #[cfg(feature = "deflate")]
        if let Some((params, config)) = self.deflate {
            core.enable_deflate(params, &config);
        }
        #[cfg(not(feature = "deflate"))]
        let _ = core;
    }
}

/// A server's answer to the offers in `request`: the `Sec-WebSocket-Extensions` value to
/// send (none when every offer is declined) and what it agreed.
pub(crate) fn answer(options: &Options, request: &Request<'_, '_>) -> (Option<String>, Agreed) {
    #[cfg(feature = "deflate")]
    if let Some(config) = &options.deflate {
        if let Some(accepted) = config.accept_offers(request.extensions()) {
            let agreed = Agreed {
                deflate: Some((accepted.params, *config)),
            };
            return (Some(accepted.response), agreed);
        }
    }
    #[cfg(not(feature = "deflate"))]
    let _ = (options, request);
    (None, Agreed::default())
}

/// The extensions a client offered, kept until the server's answer is checked.
#[derive(Debug, Default)]
pub(crate) struct ExtensionOffer {
    /// The `Sec-WebSocket-Extensions` elements of the request.
    pub(crate) elements: Vec<String>,
    #[cfg(feature = "deflate")]
    config: Option<sansws::deflate::DeflateConfig>,
}

impl ExtensionOffer {
    /// What `options` has a client offer.
    pub(crate) fn new(options: &ClientOptions) -> Self {
        #[cfg(feature = "deflate")]
        if let Some(config) = options.deflate {
            return ExtensionOffer {
                elements: vec![config.offer()],
                config: Some(config),
            };
        }
        #[cfg(not(feature = "deflate"))]
        let _ = options;
        ExtensionOffer::default()
    }

    /// Checks the server's answer. One that breaks the offer is `Error::Deflate`: RFC 7692
    /// §5.1 has the client fail the connection, and before any frame that is dropping the
    /// transport.
    pub(crate) fn check(&self, upgraded: &Upgraded<'_, '_>) -> Result<Agreed, Error> {
        #[cfg(feature = "deflate")]
        if let Some(config) = &self.config {
            let params = config
                .check_response(upgraded.extensions())
                .map_err(Error::Deflate)?;
            return Ok(Agreed {
                deflate: params.map(|params| (params, *config)),
            });
        }
        // Nothing offered: the core already refused any extension in the answer.
        let _ = upgraded;
        Ok(Agreed::default())
    }
}

/// Inflates a whole compressed message into `inflated` (emptied first) and returns it.
/// `None` when inflating fails: the core then failed the connection and queued its close
/// frame (1007 for invalid data or text, 1009 past `Config::max_message_len`).
#[cfg(feature = "deflate")]
pub(crate) fn inflate<'a>(
    core: &mut Connection,
    kind: MessageKind,
    payload: &[u8],
    inflated: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    inflated.clear();
    core.inflate(kind, payload, true, inflated).ok()?;
    Some(inflated)
}

/// Without the feature the core never reports a message as compressed.
#[cfg(not(feature = "deflate"))]
pub(crate) fn inflate<'a>(
    _: &mut Connection,
    _: MessageKind,
    payload: &[u8],
    inflated: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    inflated.clear();
    inflated.extend_from_slice(payload);
    Some(inflated)
}
