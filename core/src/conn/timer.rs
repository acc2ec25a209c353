//! The connection's deadlines, one slot per kind, as quinn-proto's timer table.

use crate::time::Instant;

/// A kind of deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The upgrade must complete by then.
    Handshake = 0,
    /// Send a keepalive ping then.
    Keepalive = 1,
    /// The pong to our keepalive ping must arrive by then.
    Pong = 2,
    /// The peer must answer our close frame by then.
    Close = 3,
}

impl Timer {
    const ALL: [Timer; 4] = [
        Timer::Handshake,
        Timer::Keepalive,
        Timer::Pong,
        Timer::Close,
    ];
}

/// Deadlines by kind, in microseconds; an unset slot holds [`NEVER`] and never fires.
/// Plain integers, not `Option<Instant>`: the earliest is asked for after every read, and
/// the minimum of four words takes no branches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimerTable {
    slots: [u64; 4],
}

/// An unset slot. It is also the far future that saturating additions reach: a deadline
/// there would never come anyway.
const NEVER: u64 = u64::MAX;

impl Default for TimerTable {
    fn default() -> Self {
        TimerTable { slots: [NEVER; 4] }
    }
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.slots[timer as usize] = at.as_micros();
    }

    pub(crate) fn is_set(&self, timer: Timer) -> bool {
        self.slots[timer as usize] != NEVER
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.slots[timer as usize] = NEVER;
    }

    pub(crate) fn stop_all(&mut self) {
        self.slots = [NEVER; 4];
    }

    /// The earliest deadline of all.
    pub(crate) fn next(&self) -> Option<Instant> {
        let [a, b, c, d] = self.slots;
        let earliest = a.min(b).min(c.min(d));
        (earliest != NEVER).then_some(Instant::from_micros(earliest))
    }

    /// The first timer (in table order) due at `now`, cleared as it is returned.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        let now = now.as_micros();
        let timer = Timer::ALL.into_iter().find(|&t| {
            let at = self.slots[t as usize];
            at != NEVER && at <= now
        })?;
        self.stop(timer);
        Some(timer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_slots_never_fire_and_the_earliest_set_one_is_next() {
        let mut table = TimerTable::default();
        assert_eq!(table.next(), None);
        assert_eq!(table.take_expired(Instant::from_micros(u64::MAX)), None);
        table.set(Timer::Close, Instant::from_micros(30));
        table.set(Timer::Keepalive, Instant::from_micros(20));
        assert!(table.is_set(Timer::Close) && !table.is_set(Timer::Pong));
        assert_eq!(table.next(), Some(Instant::from_micros(20)));
        assert_eq!(table.take_expired(Instant::from_micros(19)), None);
        assert_eq!(
            table.take_expired(Instant::from_micros(30)),
            Some(Timer::Keepalive)
        );
        assert_eq!(
            table.take_expired(Instant::from_micros(30)),
            Some(Timer::Close)
        );
        assert_eq!(table.next(), None);
        table.set(Timer::Pong, Instant::from_micros(5));
        table.stop_all();
        assert_eq!(table.next(), None);
    }
}
