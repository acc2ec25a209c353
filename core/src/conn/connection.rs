//! The `Connection` value and every state transition, in one place.
//!
//! ```text
//!   Upgrading ──upgraded()──▶ Open ──close()────────────────▶ CloseSent
//!       │                      │                                  │
//!       │ handshake timeout    │ peer close (answer queued),      │ peer close,
//!       │                      │ protocol error (close queued),   │ protocol error,
//!       ▼                      │ pong timeout (1011 queued),      │ close timeout, EOF
//!    Closed ◀──────────────────┴─ EOF ◀───────────────────────────┘
//! ```
//!
//! A close frame, once queued, is the last frame the connection ever writes.

use crate::close::CloseCode;
use crate::conn::config::Config;
use crate::conn::control::{ControlSlots, Payload};
use crate::conn::error::CloseCause;
use crate::conn::recv::Receiver;
use crate::conn::send::Sender;
use crate::conn::timer::{Timer, TimerTable};
use crate::entropy::Entropy;
use crate::error::ProtocolError;
use crate::role::Role;
use crate::time::Instant;

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// The HTTP upgrade is under way (its bytes go through [`crate::handshake`]).
    Upgrading,
    /// Frames flow both ways.
    Open,
    /// We queued a close frame and await the peer's.
    CloseSent,
    /// Nothing more is sent or received.
    Closed(CloseCause),
}

/// One WebSocket connection, client or server: the protocol state machine, with no I/O, no
/// clock and no allocator. See the [module docs](crate::conn) for the call sequence.
///
/// The fields are laid out in the order written (`repr(C)`): what every message touches first,
/// the control-frame payloads (over half the size, touched only by control frames) last. A
/// server with many connections finds each one's state out of cache; packed together, the hot
/// part spans a few cache lines instead of being spread over all nine.
#[derive(Debug)]
#[repr(C)]
pub struct Connection {
    pub(crate) rx: Receiver,
    pub(crate) tx: Sender,
    pub(crate) timers: TimerTable,
    /// `config.ping_interval` in microseconds: every read re-arms the keepalive, and a
    /// saturating add is cheaper there than converting a `Duration`.
    ping_interval_micros: Option<u64>,
    pub(crate) config: Config,
    /// permessage-deflate, once negotiated.
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Option<alloc::boxed::Box<crate::deflate::DeflateState>>,
    /// Keepalive pings sent, carried in their payload.
    pings_sent: u32,
    pub(crate) state: State,
    pub(crate) role: Role,
    pub(crate) control: ControlSlots,
}

impl Connection {
    /// A server connection whose upgrade started at `now`.
    pub fn server(config: Config, now: Instant) -> Self {
        Connection::new(Role::Server, config, None, now)
    }

    /// A client connection whose upgrade started at `now`. Masking keys come from `entropy`:
    /// a client cannot be built without one.
    pub fn client(config: Config, entropy: Entropy, now: Instant) -> Self {
        Connection::new(Role::Client, config, Some(entropy), now)
    }

    fn new(role: Role, config: Config, entropy: Option<Entropy>, now: Instant) -> Self {
        let mut timers = TimerTable::default();
        timers.set(Timer::Handshake, now + config.handshake_timeout);
        Connection {
            role,
            config,
            state: State::Upgrading,
            rx: Receiver::default(),
            tx: Sender::new(entropy),
            control: ControlSlots::default(),
            timers,
            pings_sent: 0,
            ping_interval_micros: config
                .ping_interval
                .map(|interval| u64::try_from(interval.as_micros()).unwrap_or(u64::MAX)),
            #[cfg(feature = "deflate")]
            deflate: None,
        }
    }

    /// Marks the upgrade complete at `now`: frames may flow, the keepalive timer starts.
    /// Call it once the handshake succeeded, then pass any bytes read past the HTTP head to
    /// [`Connection::handle_read`].
    pub fn upgraded(&mut self, now: Instant) {
        if self.state == State::Upgrading {
            self.state = State::Open;
            self.timers.stop(Timer::Handshake);
            self.arm_keepalive(now);
        }
    }

    /// Which end this is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether data frames may be sent: upgraded and no close frame queued.
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the connection is closed. Once [`Connection::poll_transmit`] has nothing
    /// more to write, the transport may be shut down.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// Why the connection closed, once it has.
    pub fn close_cause(&self) -> Option<CloseCause> {
        match self.state {
            State::Closed(cause) => Some(cause),
            _ => None,
        }
    }

    /// The earliest instant at which [`Connection::handle_timeout`] has work to do, or `None`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Runs the timers due at `now`: handshake timeout, keepalive ping, pong timeout and close
    /// timeout. Calling it early is harmless; afterwards drain [`Connection::poll_transmit`].
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.take_expired(now) {
            match (timer, self.state) {
                (Timer::Handshake, State::Upgrading) => self.finish(CloseCause::HandshakeTimeout),
                (Timer::Keepalive, State::Open) => {
                    self.pings_sent = self.pings_sent.wrapping_add(1);
                    self.control.set_ping(self.pings_sent);
                    // A later ping does not push back the deadline of an unanswered one.
                    if !self.timers.is_set(Timer::Pong) {
                        self.timers.set(Timer::Pong, now + self.config.pong_timeout);
                    }
                }
                (Timer::Pong, State::Open) => {
                    self.queue_close(CloseCode::INTERNAL_ERROR);
                    self.finish(CloseCause::PongTimeout);
                }
                (Timer::Close, State::CloseSent) => self.finish(CloseCause::CloseTimeout),
                _ => {}
            }
        }
    }

    /// The transport reached end of file (or failed). Without a completed close handshake the
    /// closure is abnormal (1006).
    pub fn handle_eof(&mut self) {
        if !self.is_closed() {
            self.control = ControlSlots::default();
            self.finish(CloseCause::Abnormal);
        }
    }

    /// Bytes arrived at `now`: the peer is alive, so the keepalive ping can wait.
    pub(crate) fn note_activity(&mut self, now: Instant) {
        if self.state == State::Open {
            self.arm_keepalive(now);
        }
    }

    pub(crate) fn arm_keepalive(&mut self, now: Instant) {
        if let Some(interval) = self.ping_interval_micros {
            let at = Instant::from_micros(now.as_micros().saturating_add(interval));
            self.timers.set(Timer::Keepalive, at);
        }
    }

    /// Queues our close frame: the caller's `close()` while open.
    pub(crate) fn start_close(&mut self, now: Instant, payload: Payload) {
        self.control.set_close(payload);
        self.state = State::CloseSent;
        self.timers.stop_all();
        self.timers
            .set(Timer::Close, now + self.config.close_timeout);
    }

    /// The peer's close frame arrived.
    pub(crate) fn on_peer_close(&mut self, peer_code: Option<CloseCode>) {
        let initiated_locally = match self.state {
            State::Open => {
                // Echo the peer's code (RFC 6455 §5.5.1), or 1000 when it sent none.
                self.queue_close(peer_code.unwrap_or(CloseCode::NORMAL));
                false
            }
            _ => true,
        };
        self.finish(CloseCause::Handshake {
            peer_code: peer_code.unwrap_or(CloseCode::NO_STATUS_RECEIVED),
            initiated_locally,
        });
    }

    /// Fails the connection for a peer's protocol error: our close frame carries the error's
    /// code unless we already sent one.
    pub(crate) fn fail(&mut self, err: ProtocolError) -> ProtocolError {
        if self.state == State::Open {
            self.queue_close(err.close_code());
        }
        self.finish(CloseCause::ProtocolError(err));
        err
    }

    fn queue_close(&mut self, code: CloseCode) {
        self.control.drop_pings_and_pongs();
        self.control.set_close(Payload::close(code, ""));
    }

    fn finish(&mut self, cause: CloseCause) {
        self.state = State::Closed(cause);
        self.timers.stop_all();
        // Nothing more is received: no frame or message is under way.
        self.rx = Receiver::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    /// What every message reads or writes (receiver, sender, timers, limits, state, and
    /// whether a control frame waits) lies in the first 320 bytes, five cache lines; the
    /// control payloads come after it all.
    #[test]
    fn the_state_a_message_touches_comes_first() {
        let hot_end = offset_of!(Connection, control) + ControlSlots::HEAD_LEN;
        assert!(hot_end <= 320, "hot part ends at {hot_end}");
        for field in [
            offset_of!(Connection, rx),
            offset_of!(Connection, tx),
            offset_of!(Connection, timers),
            offset_of!(Connection, config),
            offset_of!(Connection, state),
            offset_of!(Connection, role),
        ] {
            assert!(field < hot_end);
        }
        assert!(core::mem::size_of::<Connection>() - hot_end >= 2 * 125);
    }
}
