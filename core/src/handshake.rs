//! The HTTP/1.1 upgrade (RFC 6455 §4) for both roles (placeholder until implemented).
