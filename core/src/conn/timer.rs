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

/// Deadlines by kind; an unset slot never fires.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerTable {
    slots: [Option<Instant>; 4],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.slots[timer as usize] = Some(at);
    }

    pub(crate) fn is_set(&self, timer: Timer) -> bool {
        self.slots[timer as usize].is_some()
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.slots[timer as usize] = None;
    }

    pub(crate) fn stop_all(&mut self) {
        self.slots = [None; 4];
    }

    /// The earliest deadline of all.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.slots.iter().flatten().min().copied()
    }

    /// The first timer (in table order) due at `now`, cleared as it is returned.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        let timer = Timer::ALL
            .into_iter()
            .find(|&t| self.slots[t as usize].is_some_and(|at| at <= now))?;
        self.stop(timer);
        Some(timer)
    }
}
