//! Which end of the connection we are.

/// Which end of a WebSocket connection this endpoint is.
///
/// The two roles differ only in the opening handshake and in masking: a client masks every
/// frame it sends and rejects masked frames; a server requires masked frames and never masks
/// (RFC 6455 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The endpoint that sent the upgrade request.
    Client,
    /// The endpoint that accepted the upgrade request.
    Server,
}

impl Role {
    /// Whether frames this endpoint *sends* are masked.
    pub const fn masks_outgoing(self) -> bool {
        matches!(self, Role::Client)
    }

    /// Whether frames this endpoint *receives* must be masked.
    pub const fn expects_masked(self) -> bool {
        matches!(self, Role::Server)
    }
}
