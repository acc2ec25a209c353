//! Limits and timers of one connection.

use core::time::Duration;

/// Limits and timers of one connection. Every limit is finite by default.
///
/// | field | default | why |
/// |---|---|---|
/// | `max_frame_len` | 16 MiB | one frame never needs more buffering than this |
/// | `max_message_len` | 16 MiB | a fragmented message is bounded as a whole |
/// | `max_send_frame_len` | 16 MiB | we never send a frame we would refuse ourselves |
/// | `auto_pong` | on | RFC 6455 §5.5.2: a ping MUST be answered |
/// | `ping_interval` | 20 s | as Python `websockets`: find dead peers behind NATs |
/// | `pong_timeout` | 20 s | as Python `websockets` |
/// | `close_timeout` | 10 s | as Python `websockets` |
/// | `handshake_timeout` | 10 s | an upgrade that never finishes holds no resources for long |
/// | `max_send_queue` | 16 MiB | buffered API only: bytes queued before sends are refused |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The largest payload accepted in one received frame (larger: close 1009).
    pub max_frame_len: u64,
    /// The largest payload accepted in one received message, summed over its fragments
    /// (larger: close 1009).
    pub max_message_len: u64,
    /// Outgoing messages longer than this are split into frames of at most this many payload
    /// bytes. At least 1.
    pub max_send_frame_len: usize,
    /// Answer every ping with a pong automatically (the ping is still reported).
    pub auto_pong: bool,
    /// Send a keepalive ping after this long without receiving anything; `None` disables it.
    pub ping_interval: Option<Duration>,
    /// After a keepalive ping, close the connection if no pong arrives within this time.
    pub pong_timeout: Duration,
    /// After sending a close frame, give up on the peer's answer after this time.
    pub close_timeout: Duration,
    /// Give up on an upgrade that has not completed after this time.
    pub handshake_timeout: Duration,
    /// Buffered API: the cap on queued output bytes. A send that would exceed it while
    /// anything is queued is refused ([`SendError::QueueFull`](crate::conn::SendError::QueueFull)).
    pub max_send_queue: usize,
}

impl Config {
    /// The defaults in the table above.
    pub const DEFAULT: Config = Config {
        max_frame_len: 16 << 20,
        max_message_len: 16 << 20,
        max_send_frame_len: 16 << 20,
        auto_pong: true,
        ping_interval: Some(Duration::from_secs(20)),
        pong_timeout: Duration::from_secs(20),
        close_timeout: Duration::from_secs(10),
        handshake_timeout: Duration::from_secs(10),
        max_send_queue: 16 << 20,
    };
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}
