//! The shared harness of the connection tests (`conn_*.rs`), included with `mod support;`.
//!
//! - [`wire`]: frames built and parsed by hand, independently of the crate's codec, so a test
//!   can send what no conforming peer would (reserved opcodes, RSV bits, bad masking) and check
//!   the exact bytes the connection wrote.
//! - [`driver`]: the no-alloc loop around `Connection::handle_read` / `poll_transmit`.
//! - [`pair`] (feature `alloc`): a client and a server `WebSocket` wired back to back, with a
//!   virtual clock that jumps straight to the next deadline.
//! - [`entropy`]: a deterministic entropy source that records what it handed out.
//!
//! Each test file uses only part of it.
#![allow(dead_code)]

pub(crate) mod driver;
pub(crate) mod fail;
#[cfg(feature = "alloc")]
pub(crate) mod pair;
pub(crate) mod wire;

use core::cell::RefCell;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

use sansws::{Config, Connection, Instant};

static COUNTER: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Every byte [`entropy`] produced on this thread, in order.
    static ENTROPY_LOG: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A deterministic stand-in for a random source: a mixed counter (no key is ever reused,
/// unlike a constant), logged per thread so a test can check where mask keys came from.
pub(crate) fn entropy(dest: &mut [u8]) {
    for byte in dest.iter_mut() {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        *byte = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8;
    }
    ENTROPY_LOG.with(|log| log.borrow_mut().extend_from_slice(dest));
}

/// Takes the bytes [`entropy`] produced on this thread since the last call.
pub(crate) fn take_entropy_log() -> Vec<u8> {
    ENTROPY_LOG.with(|log| core::mem::take(&mut *log.borrow_mut()))
}

/// The start of every test's virtual clock (not zero, so an origin bug would show).
pub(crate) const T0: Instant = Instant::from_millis(1_000);

/// `t` plus `millis` milliseconds.
pub(crate) fn after(t: Instant, millis: u64) -> Instant {
    t + Duration::from_millis(millis)
}

/// The default configuration without the keepalive timer, for tests that are not about time.
pub(crate) fn quiet() -> Config {
    Config {
        ping_interval: None,
        ..Config::default()
    }
}

/// An upgraded server connection.
pub(crate) fn server(config: Config) -> Connection {
    let mut conn = Connection::server(config, T0);
    conn.upgraded(T0);
    conn
}

/// An upgraded client connection masking with [`entropy`].
pub(crate) fn client(config: Config) -> Connection {
    let mut conn = Connection::client(config, entropy, T0);
    conn.upgraded(T0);
    conn
}
