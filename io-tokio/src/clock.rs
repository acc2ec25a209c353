//! The adapter's clock: tokio instants as the core's microsecond `Instant`s.

use core::time::Duration;

use sansws::Instant;

/// Converts between tokio's clock and the core's [`Instant`], from a per-connection origin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin: tokio::time::Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            origin: tokio::time::Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        let micros = self.origin.elapsed().as_micros();
        Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// The tokio instant for a core deadline (a century away stands in for "never").
    pub(crate) fn deadline(&self, at: Instant) -> tokio::time::Instant {
        let far = Duration::from_secs(100 * 365 * 24 * 3600);
        self.origin
            .checked_add(Duration::from_micros(at.as_micros()).min(far))
            .unwrap_or(self.origin + far)
    }
}
