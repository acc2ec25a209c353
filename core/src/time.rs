//! Time as a value the caller passes in: the core never reads a clock.

use core::ops::{Add, AddAssign};
use core::time::Duration;

/// A point in time, in microseconds from an origin the caller picks (as smoltcp does).
///
/// Adapters convert from their clock (e.g. `std::time::Instant` minus a start instant);
/// a microcontroller passes its tick counter. Only differences between instants matter, and
/// the instants passed to one connection must never go backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    micros: u64,
}

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant { micros: 0 };

    /// The instant `micros` microseconds after the origin.
    pub const fn from_micros(micros: u64) -> Self {
        Instant { micros }
    }

    /// The instant `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Self {
        Instant {
            micros: millis.saturating_mul(1000),
        }
    }

    /// Microseconds since the origin.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }

    /// The time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_micros(self.micros.saturating_sub(earlier.micros))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates at the far future instead of overflowing. Sub-microsecond parts of `rhs`
    /// are dropped.
    // Out of line: the connection adds durations in several places, and on 32-bit targets
    // each inlined copy of the u128 conversion costs more than the call (measured on
    // thumbv7em; an all-u64 version with saturation was no smaller).
    #[inline(never)]
    fn add(self, rhs: Duration) -> Instant {
        let micros = u64::try_from(rhs.as_micros()).unwrap_or(u64::MAX);
        Instant {
            micros: self.micros.saturating_add(micros),
        }
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Instant::from_millis(5);
        assert_eq!(t.as_micros(), 5_000);
        assert_eq!(
            (t + Duration::from_millis(2)).saturating_duration_since(t),
            Duration::from_millis(2)
        );
        assert_eq!(
            t.saturating_duration_since(t + Duration::from_secs(1)),
            Duration::ZERO
        );
        assert_eq!((t + Duration::MAX).as_micros(), u64::MAX);
    }

    #[test]
    fn durations_convert_to_whole_microseconds() {
        let t = Instant::from_micros(7);
        assert_eq!((t + Duration::from_nanos(1_999)).as_micros(), 8);
        assert_eq!((t + Duration::new(3, 4_005_006)).as_micros(), 3_004_012);
        // The largest duration that fits, and one microsecond more (saturates).
        let max = Duration::from_micros(u64::MAX - 7);
        assert_eq!((t + max).as_micros(), u64::MAX);
        assert_eq!((Instant::from_micros(8) + max).as_micros(), u64::MAX);
        let secs = u64::MAX / 1_000_000;
        assert_eq!(
            (Instant::ZERO + Duration::from_secs(secs + 1)).as_micros(),
            u64::MAX
        );
        assert_eq!(
            (Instant::ZERO + Duration::from_secs(secs)).as_micros(),
            secs * 1_000_000
        );
        assert_eq!(
            (Instant::ZERO + Duration::new(secs, 999_999_999)).as_micros(),
            u64::MAX
        );
        let mut u = Instant::ZERO;
        u += Duration::from_millis(1500);
        assert_eq!(u, Instant::from_millis(1500));
    }
}
