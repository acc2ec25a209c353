//! Timers on a virtual clock: keepalive ping, pong timeout, close timeout, handshake timeout,
//! and `poll_timeout` never asking for a past instant. Hours of protocol time run in
//! microseconds: the clock jumps straight to `poll_timeout`.

mod support;

use core::time::Duration;

use sansws::{CloseCause, CloseCode, Config, Connection, Instant, Role};
use support::driver::Driver;
use support::fail::{from_peer, upgraded};
use support::wire::{only_close, opcodes, parse_frames, BINARY, CLOSE, PING, PONG};
use support::{after, entropy, T0};

/// Keepalive every second, pong within 2 s, close answered within 3 s, upgrade within 4 s.
fn timed() -> Config {
    Config {
        ping_interval: Some(Duration::from_secs(1)),
        pong_timeout: Duration::from_secs(2),
        close_timeout: Duration::from_secs(3),
        handshake_timeout: Duration::from_secs(4),
        ..Config::default()
    }
}

fn secs(s: u64) -> Instant {
    after(T0, s * 1000)
}

#[test]
fn a_keepalive_ping_is_sent_after_ping_interval_of_silence() {
    for role in [Role::Server, Role::Client] {
        let mut d = Driver::new(upgraded(role, timed(), T0));
        assert_eq!(d.conn.poll_timeout(), Some(secs(1)));
        d.conn.handle_timeout(after(T0, 999));
        d.drain();
        assert!(d.wire.is_empty(), "too early");
        d.conn.handle_timeout(secs(1));
        d.drain();
        let frames = parse_frames(&d.take_wire());
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].opcode, PING);
        assert_eq!(frames[0].mask.is_some(), role == Role::Client);
        // Now the pong is awaited.
        assert_eq!(d.conn.poll_timeout(), Some(secs(3)));
    }
}

#[test]
fn no_keepalive_ping_while_data_keeps_arriving() {
    let mut d = Driver::new(upgraded(Role::Server, timed(), T0));
    let mut now = T0;
    for _ in 0..50 {
        now = after(now, 600);
        d.conn.handle_timeout(now);
        d.feed(now, &from_peer(Role::Server, BINARY, true, b"tick"));
        assert_eq!(d.conn.poll_timeout(), Some(after(now, 1000)));
    }
    assert!(
        d.wire.is_empty(),
        "pinged a live peer: {:?}",
        opcodes(&d.wire)
    );
    // Silence: the ping follows one interval after the last byte.
    d.conn.handle_timeout(after(now, 1000));
    d.drain();
    assert_eq!(opcodes(&d.wire), [PING]);
}

#[test]
fn no_pong_closes_with_pong_timeout_and_1011() {
    let mut d = Driver::new(upgraded(Role::Client, timed(), T0));
    d.conn.handle_timeout(secs(1));
    d.drain();
    assert_eq!(opcodes(&d.take_wire()), [PING]);
    // Data does not count as an answer; only a pong does.
    d.feed(
        after(T0, 1500),
        &from_peer(Role::Client, BINARY, true, b"data"),
    );
    d.conn.handle_timeout(after(T0, 2999));
    assert!(d.conn.is_open());
    d.conn.handle_timeout(secs(3));
    d.drain();
    assert_eq!(d.conn.close_cause(), Some(CloseCause::PongTimeout));
    assert_eq!(only_close(&d.wire), Some(1011));
    assert_eq!(d.conn.poll_timeout(), None);
}

#[test]
fn a_pong_keeps_the_connection_open() {
    let mut d = Driver::new(upgraded(Role::Server, timed(), T0));
    let mut now = T0;
    for round in 0..20 {
        now = d.conn.poll_timeout().expect("keepalive armed");
        d.conn.handle_timeout(now);
        d.drain();
        let ping = parse_frames(&d.take_wire());
        assert_eq!(ping.len(), 1, "round {round}");
        // The peer answers half a second later with the ping's payload.
        now = after(now, 500);
        d.feed(now, &from_peer(Role::Server, PONG, true, &ping[0].payload));
        assert!(d.conn.is_open(), "round {round}");
    }
    assert_eq!(now, after(T0, 20 * 1500));
}

#[test]
fn an_unanswered_close_ends_with_close_timeout() {
    let mut d = Driver::new(upgraded(Role::Server, timed(), T0));
    d.conn
        .close(after(T0, 100), CloseCode::GOING_AWAY, "")
        .unwrap();
    d.drain();
    assert_eq!(only_close(&d.take_wire()), Some(1001));
    // Only the close timer is left: no keepalive while closing.
    assert_eq!(d.conn.poll_timeout(), Some(after(T0, 3100)));
    d.conn.handle_timeout(after(T0, 3099));
    assert!(!d.conn.is_closed());
    d.conn.handle_timeout(after(T0, 3100));
    d.drain();
    assert_eq!(d.conn.close_cause(), Some(CloseCause::CloseTimeout));
    assert!(d.wire.is_empty());
    assert_eq!(d.conn.poll_timeout(), None);
}

#[test]
fn an_answered_close_stops_the_close_timer() {
    let mut d = Driver::new(upgraded(Role::Server, timed(), T0));
    d.conn.close(T0, CloseCode::NORMAL, "").unwrap();
    d.feed(
        secs(2),
        &from_peer(Role::Server, CLOSE, true, &[0x03, 0xE8]),
    );
    assert_eq!(d.conn.poll_timeout(), None);
    d.conn.handle_timeout(secs(100));
    assert!(matches!(
        d.conn.close_cause(),
        Some(CloseCause::Handshake {
            initiated_locally: true,
            ..
        })
    ));
}

#[test]
fn an_upgrade_that_never_completes_ends_with_handshake_timeout() {
    for mut conn in [
        Connection::server(timed(), T0),
        Connection::client(timed(), entropy, T0),
    ] {
        assert_eq!(conn.poll_timeout(), Some(secs(4)));
        conn.handle_timeout(after(T0, 3999));
        assert!(!conn.is_closed());
        conn.handle_timeout(secs(4));
        assert_eq!(conn.close_cause(), Some(CloseCause::HandshakeTimeout));
        // There is no WebSocket yet, so no close frame either.
        assert_eq!(conn.poll_transmit(&mut [0; 64]), Ok(0));
        assert_eq!(conn.poll_timeout(), None);
        conn.upgraded(secs(5));
        assert!(conn.is_closed(), "a timed-out upgrade stays closed");
    }
    // Upgraded in time: the handshake timer is gone, the keepalive armed.
    let mut conn = Connection::server(timed(), T0);
    conn.upgraded(after(T0, 3000));
    assert_eq!(conn.poll_timeout(), Some(secs(4)));
    conn.handle_timeout(secs(4));
    assert!(conn.is_open());
}

#[test]
fn timers_are_off_when_disabled() {
    let config = Config {
        ping_interval: None,
        ..timed()
    };
    let conn = upgraded(Role::Server, config, T0);
    assert_eq!(conn.poll_timeout(), None);
}

/// A tiny deterministic generator for the schedule below.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (self.0 >> 33) % below
    }
}

#[test]
fn poll_timeout_is_never_in_the_past_after_handle_timeout() {
    let configs = [
        timed(),
        Config {
            ping_interval: Some(Duration::ZERO),
            pong_timeout: Duration::ZERO,
            close_timeout: Duration::ZERO,
            ..timed()
        },
        Config {
            ping_interval: Some(Duration::from_millis(1)),
            pong_timeout: Duration::from_secs(3600),
            ..timed()
        },
    ];
    for (i, config) in configs.into_iter().enumerate() {
        for seed in 0..40 {
            let mut rng = Lcg(seed);
            let role = if seed % 2 == 0 {
                Role::Server
            } else {
                Role::Client
            };
            let mut d = Driver::new(match role {
                Role::Server => Connection::server(config, T0),
                Role::Client => Connection::client(config, entropy, T0),
            });
            let mut now = T0;
            for _ in 0..60 {
                match rng.next(8) {
                    0 => d.conn.upgraded(now),
                    1 => d.feed(now, &from_peer(role, BINARY, true, b"x")),
                    2 => d.feed(now, &from_peer(role, PONG, true, b"")),
                    3 => {
                        let _ = d.conn.close(now, CloseCode::NORMAL, "");
                    }
                    4 => now = after(now, rng.next(3000)),
                    _ => {
                        // Jump to the deadline, or a little past it.
                        if let Some(at) = d.conn.poll_timeout() {
                            now = now.max(at + Duration::from_micros(rng.next(2)));
                        }
                    }
                }
                d.conn.handle_timeout(now);
                d.drain();
                if let Some(next) = d.conn.poll_timeout() {
                    assert!(next > now, "config {i} seed {seed}: {next:?} <= {now:?}");
                }
            }
        }
    }
}

#[cfg(feature = "alloc")]
mod pair {
    //! The same rules end to end, through two buffered endpoints.

    use super::*;
    use sansws::conn::Incoming;
    use support::pair::Pair;

    #[test]
    fn keepalive_pings_are_answered_and_the_pair_stays_open() {
        let mut pair = Pair::new(timed());
        pair.advance(Duration::from_secs(60));
        assert!(pair.client.ws.connection().is_open());
        assert!(pair.server.ws.connection().is_open());
        let pings = |bytes: &[u8]| opcodes(bytes).iter().filter(|&&op| op == PING).count();
        // Both sides ping each interval of silence and get their pongs.
        assert!(
            pings(&pair.client.sent) >= 30,
            "{}",
            pings(&pair.client.sent)
        );
        assert!(pair
            .server
            .got
            .iter()
            .any(|e| matches!(e, Incoming::Ping(_))));
        assert!(pair
            .client
            .got
            .iter()
            .any(|e| matches!(e, Incoming::Pong(_))));
    }

    #[test]
    fn no_keepalive_while_messages_flow() {
        let quiet_client = Config {
            ping_interval: None,
            ..timed()
        };
        let mut pair = Pair::with(quiet_client, timed());
        for _ in 0..40 {
            pair.client.ws.send_text("still here").unwrap();
            pair.advance(Duration::from_millis(900));
        }
        assert!(!opcodes(&pair.server.sent).contains(&PING));
        // One interval of silence: one ping, whose pong counts as traffic again.
        pair.advance(Duration::from_millis(1000));
        assert_eq!(opcodes(&pair.server.sent), [PING]);
    }

    #[test]
    fn a_peer_that_never_pongs_is_closed_with_pong_timeout() {
        let mute = Config {
            auto_pong: false,
            ping_interval: None,
            ..timed()
        };
        let mut pair = Pair::with(timed(), mute);
        pair.advance(Duration::from_secs(10));
        assert_eq!(pair.client.cause(), CloseCause::PongTimeout);
        assert_eq!(pair.now, secs(10));
        let frames = parse_frames(&pair.client.sent);
        assert_eq!(frames.last().unwrap().close_code(), Some(1011));
        // The server heard the 1011 and answered it.
        assert_eq!(
            pair.server.cause(),
            CloseCause::Handshake {
                peer_code: CloseCode::INTERNAL_ERROR,
                initiated_locally: false,
            }
        );
    }

    #[test]
    fn an_unanswered_close_times_out() {
        let mut pair = Pair::new(timed());
        pair.client
            .ws
            .close(pair.now, CloseCode::NORMAL, "")
            .unwrap();
        // The close is lost on the way: the server never sees it.
        pair.client.take_output();
        pair.advance(Duration::from_secs(5));
        assert_eq!(pair.client.cause(), CloseCause::CloseTimeout);
    }

    #[test]
    fn a_buffered_upgrade_that_never_completes_times_out() {
        let conn = Connection::client(timed(), entropy, T0);
        let mut ws = sansws::conn::WebSocket::new(conn);
        assert_eq!(ws.poll_event(), Ok(None));
        ws.handle_timeout(secs(4));
        assert_eq!(
            ws.poll_event(),
            Ok(Some(Incoming::Closed(CloseCause::HandshakeTimeout)))
        );
        assert_eq!(ws.poll_event(), Ok(None));
        assert_eq!(ws.queued_len(), 0);
    }
}
