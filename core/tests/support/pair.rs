//! A client and a server [`WebSocket`] back to back: what one transmits is moved into the
//! other's `handle_read`, and a virtual clock jumps to the earliest `poll_timeout`.

use core::time::Duration;

use sansws::conn::{Incoming, WebSocket};
use sansws::{CloseCause, Config, Connection, Instant, ProtocolError};

use super::{entropy, T0};

/// One end of a [`Pair`] and what it observed.
#[derive(Debug)]
pub(crate) struct Side {
    pub(crate) ws: WebSocket,
    /// Events from `poll_event`, in order.
    pub(crate) got: Vec<Incoming>,
    /// Errors from `poll_event`, in order.
    pub(crate) errors: Vec<ProtocolError>,
    /// Every byte this side transmitted.
    pub(crate) sent: Vec<u8>,
}

impl Side {
    fn new(conn: Connection) -> Self {
        Side {
            ws: WebSocket::new(conn),
            got: Vec::new(),
            errors: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// Polls events until there are none.
    pub(crate) fn poll(&mut self) -> bool {
        let mut any = false;
        loop {
            match self.ws.poll_event() {
                Ok(Some(event)) => self.got.push(event),
                Ok(None) => return any,
                Err(err) => {
                    assert!(self.errors.len() < 8, "errors do not stop: {err:?}");
                    self.errors.push(err);
                }
            }
            any = true;
        }
    }

    /// Takes everything queued for transmission, as one write.
    pub(crate) fn take_output(&mut self) -> Vec<u8> {
        let bytes: Vec<u8> = self.ws.transmit_chunks().flatten().copied().collect();
        assert_eq!(
            bytes.len(),
            self.ws.queued_len(),
            "queued_len disagrees with chunks"
        );
        self.ws.advance_transmit(bytes.len());
        assert_eq!(self.ws.queued_len(), 0);
        assert_eq!(self.ws.transmit_chunks().count(), 0);
        self.sent.extend_from_slice(&bytes);
        bytes
    }

    /// The `Incoming::Closed` causes reported (at most one is correct).
    pub(crate) fn closed(&self) -> Vec<CloseCause> {
        self.got
            .iter()
            .filter_map(|event| match event {
                Incoming::Closed(cause) => Some(*cause),
                _ => None,
            })
            .collect()
    }

    /// The single close cause, asserting it was reported exactly once and last.
    pub(crate) fn cause(&self) -> CloseCause {
        let causes = self.closed();
        assert_eq!(
            causes.len(),
            1,
            "Closed reported {} times: {:?}",
            causes.len(),
            self.got
        );
        assert!(
            matches!(self.got.last(), Some(Incoming::Closed(_))),
            "Closed is not last"
        );
        causes[0]
    }
}

/// A client and a server, upgraded at [`T0`].
#[derive(Debug)]
pub(crate) struct Pair {
    pub(crate) now: Instant,
    pub(crate) client: Side,
    pub(crate) server: Side,
}

impl Pair {
    pub(crate) fn new(config: Config) -> Self {
        Pair::with(config, config)
    }

    pub(crate) fn with(client: Config, server: Config) -> Self {
        let mut client = Connection::client(client, entropy, T0);
        let mut server = Connection::server(server, T0);
        client.upgraded(T0);
        server.upgraded(T0);
        Pair {
            now: T0,
            client: Side::new(client),
            server: Side::new(server),
        }
    }

    /// Moves bytes both ways and polls events until nothing moves.
    pub(crate) fn drive(&mut self) {
        for _ in 0..1000 {
            let mut moved = self.client.poll() | self.server.poll();
            let to_server = self.client.take_output();
            if !to_server.is_empty() {
                self.server.ws.handle_read(self.now, &to_server);
                moved = true;
            }
            let to_client = self.server.take_output();
            if !to_client.is_empty() {
                self.client.ws.handle_read(self.now, &to_client);
                moved = true;
            }
            if !moved && !(self.client.poll() | self.server.poll()) {
                return;
            }
        }
        panic!("the pair never settles");
    }

    /// The earliest deadline of either side.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        [self.client.ws.poll_timeout(), self.server.ws.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Jumps the clock to the next deadline, runs both sides' timers and drives. Returns the
    /// new time, or `None` when no timer is armed.
    pub(crate) fn step_time(&mut self) -> Option<Instant> {
        let next = self.next_timeout()?;
        assert!(
            next >= self.now,
            "deadline {next:?} in the past (now {:?})",
            self.now
        );
        self.now = next;
        self.client.ws.handle_timeout(self.now);
        self.server.ws.handle_timeout(self.now);
        self.drive();
        Some(self.now)
    }

    /// Runs every deadline up to `until`, then sets the clock to it.
    pub(crate) fn run_until(&mut self, until: Instant) {
        self.drive();
        for _ in 0..10_000 {
            match self.next_timeout() {
                Some(next) if next <= until => {
                    self.step_time();
                }
                _ => {
                    self.now = until;
                    return;
                }
            }
        }
        panic!("timers spin");
    }

    /// Lets `d` pass.
    pub(crate) fn advance(&mut self, d: Duration) {
        self.run_until(self.now + d);
    }
}
