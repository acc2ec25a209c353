//! permessage-deflate (RFC 7692) in the opening handshake: the server's answer to a
//! request's offers, the client's offer and its check of the answer, and what either hands
//! to the connection. The codec itself runs in the core's `WebSocket`.
//!
//! Without feature `deflate` nothing is offered or accepted and these are no-ops, so the
//! handshake code has no `cfg` of its own.

use sansws::handshake::{Request, Upgraded};
use sansws::Connection;

use crate::client::ClientOptions;
use crate::error::Result;
use crate::server::ServerOptions;

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
    pub(crate) fn enable(self, conn: &mut Connection) {
        #[cfg(feature = "deflate")]
        if let Some((params, config)) = self.deflate {
            conn.enable_deflate(params, &config);
        }
        #[cfg(not(feature = "deflate"))]
        let _ = conn;
    }
}

/// A server's answer to the offers in `request`: the `Sec-WebSocket-Extensions` value to
/// send (none when every offer is declined) and what it agreed.
pub(crate) fn answer(
    options: &ServerOptions,
    request: &Request<'_, '_>,
) -> (Option<String>, Agreed) {
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

/// The extension offers of a client request.
pub(crate) fn offers(options: &ClientOptions) -> Vec<String> {
    #[cfg(feature = "deflate")]
    if let Some(config) = &options.deflate {
        return vec![config.offer()];
    }
    #[cfg(not(feature = "deflate"))]
    let _ = options;
    Vec::new()
}

/// A client's check of the server's answer to [`offers`]. An answer that breaks the offer
/// is `Error::Deflate`: RFC 7692 §5.1 has the client fail the
/// connection, and before any frame that is dropping the transport.
pub(crate) fn check(options: &ClientOptions, upgraded: &Upgraded<'_, '_>) -> Result<Agreed> {
    #[cfg(feature = "deflate")]
    if let Some(config) = &options.deflate {
        let params = config
            .check_response(upgraded.extensions())
            .map_err(crate::Error::Deflate)?;
        return Ok(Agreed {
            deflate: params.map(|params| (params, *config)),
        });
    }
    // Nothing offered: the core already refused any extension in the answer.
    let _ = (options, upgraded);
    Ok(Agreed::default())
}
