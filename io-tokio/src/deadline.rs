//! When a connection's one timer is re-armed: only for a deadline earlier than the armed one.
//! A later deadline waits for the armed one to fire (running the core's timers early is
//! harmless; the timer is re-armed then), so a busy connection, whose keepalive deadline moves
//! with every message it receives, does not reset a tokio timer per message.

use sansws::Instant;

/// The deadline the timer is armed at, if any.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Armed(Option<Instant>);

impl Armed {
    /// Given the core's next `deadline`: the instant to re-arm the timer at, if it must be.
    pub(crate) fn rearm(&mut self, deadline: Option<Instant>) -> Option<Instant> {
        let at = deadline?;
        if self.0.is_some_and(|armed| armed <= at) {
            return None;
        }
        self.0 = Some(at);
        Some(at)
    }

    pub(crate) fn is_armed(&self) -> bool {
        self.0.is_some()
    }

    /// The armed deadline came: nothing is armed until the next [`Armed::rearm`].
    pub(crate) fn fired(&mut self) {
        self.0 = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re_armed_only_for_an_earlier_deadline() {
        let at = Instant::from_millis;
        let mut armed = Armed::default();
        assert_eq!(armed.rearm(None), None);
        assert!(!armed.is_armed());
        assert_eq!(armed.rearm(Some(at(20_000))), Some(at(20_000)));
        // Keepalive moving later with each message: the armed timer stays.
        for ms in 20_001..20_100 {
            assert_eq!(armed.rearm(Some(at(ms))), None);
        }
        assert_eq!(
            armed.rearm(None),
            None,
            "no deadline: the armed one fires harmlessly"
        );
        assert_eq!(
            armed.rearm(Some(at(5_000))),
            Some(at(5_000)),
            "earlier: re-armed"
        );
        armed.fired();
        assert!(!armed.is_armed());
        assert_eq!(
            armed.rearm(Some(at(20_100))),
            Some(at(20_100)),
            "after firing"
        );
    }
}
