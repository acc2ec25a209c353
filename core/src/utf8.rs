//! Streaming UTF-8 validation across fragments (placeholder until implemented).
