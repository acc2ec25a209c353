//! Size limits on received data (`Config::max_frame_len`, `Config::max_message_len`): at the
//! limit is accepted, one byte over fails with 1009 as soon as the header announces it.

mod support;

use sansws::{Config, ProtocolError, Role};
use support::driver::{Driver, Got};
use support::fail::{assert_fails, from_peer, upgraded};
use support::wire::{concat, only_close, BINARY, CONT, PING, TEXT};
use support::{quiet, T0};

fn limits(frame: u64, message: u64) -> Config {
    Config {
        max_frame_len: frame,
        max_message_len: message,
        ..quiet()
    }
}

#[test]
fn frame_at_the_limit_is_accepted() {
    let mut d = Driver::new(upgraded(Role::Server, limits(100, 1000), T0));
    d.feed(T0, &from_peer(Role::Server, BINARY, true, &[1; 100]));
    assert_eq!(d.got, [Got::binary(&[1; 100])]);
}

#[test]
fn frame_over_the_limit_fails_with_1009_on_its_header() {
    let config = limits(100, 1000);
    for role in [Role::Server, Role::Client] {
        for len in [101, 126, 70_000] {
            let frame = from_peer(role, TEXT, true, &vec![b'a'; len]);
            assert_fails(role, config, &frame, ProtocolError::FrameTooLarge);
            // Reported from the header alone: the payload is never buffered.
            let mut d = Driver::new(upgraded(role, config, T0));
            d.feed(T0, &frame[..len.min(14)]);
            assert_eq!(d.got, [Got::Error(ProtocolError::FrameTooLarge)]);
            assert_eq!(only_close(&d.wire), Some(1009));
        }
    }
}

#[test]
fn message_at_the_limit_summed_over_fragments_is_accepted() {
    let mut d = Driver::new(upgraded(Role::Server, limits(60, 100), T0));
    let r = Role::Server;
    d.feed(
        T0,
        &concat(&[
            from_peer(r, BINARY, false, &[1; 60]),
            from_peer(r, PING, true, &[0; 50]), // control frames do not count
            from_peer(r, CONT, true, &[2; 40]),
        ]),
    );
    assert_eq!(
        d.got[1],
        Got::binary(&[[1; 60].as_slice(), &[2; 40]].concat())
    );
    assert!(d.errors().is_empty());
}

#[test]
fn message_over_the_limit_summed_over_fragments_fails_with_1009() {
    let config = limits(60, 100);
    for role in [Role::Server, Role::Client] {
        // Every frame is within the frame limit; the sum is not.
        let bad = concat(&[
            from_peer(role, TEXT, false, &[b'a'; 60]),
            from_peer(role, CONT, false, &[b'b'; 40]),
            from_peer(role, CONT, true, &[b'c'; 1]),
        ]);
        assert_fails(role, config, &bad, ProtocolError::MessageTooLarge);
    }
    // Reported on the header of the fragment that crosses the limit.
    let mut d = Driver::new(upgraded(Role::Server, config, T0));
    let first = from_peer(Role::Server, BINARY, false, &[0; 60]);
    let second = from_peer(Role::Server, CONT, true, &[0; 41]);
    d.feed(T0, &[&first[..], &second[..6]].concat());
    assert_eq!(d.errors(), [ProtocolError::MessageTooLarge]);
    assert_eq!(only_close(&d.wire), Some(1009));
}

#[test]
fn the_message_limit_restarts_with_each_message() {
    let mut d = Driver::new(upgraded(Role::Server, limits(60, 100), T0));
    let r = Role::Server;
    let message = concat(&[
        from_peer(r, BINARY, false, &[1; 60]),
        from_peer(r, CONT, true, &[2; 40]),
    ]);
    d.feed(T0, &concat(&[message.clone(), message.clone(), message]));
    assert_eq!(d.got.len(), 3);
    assert!(d.errors().is_empty());
}
