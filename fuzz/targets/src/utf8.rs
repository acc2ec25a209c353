//! `utf8`: the streaming [`Utf8Validator`] against `core::str::from_utf8`.

use sansws::utf8::{Utf8Status, Utf8Validator};

use crate::split;

/// Whether `byte` can start a UTF-8 sequence.
fn is_lead(byte: u8) -> bool {
    matches!(byte, 0x00..=0x7F | 0xC2..=0xF4)
}

/// What `core::str::from_utf8` says about `message`: `Ok`, or the index of the first byte
/// after which no valid UTF-8 can follow (`Err(Some(i))`), or truncated (`Err(None)`).
pub fn reference(message: &[u8]) -> Result<(), Option<usize>> {
    match core::str::from_utf8(message) {
        Ok(_) => Ok(()),
        Err(e) => match e.error_len() {
            None => Err(None),
            // `valid_up_to` starts the maximal ill-formed subpart: a lone bad byte, or a
            // prefix of a valid sequence that the byte after it cannot extend.
            Some(len) => {
                let start = e.valid_up_to();
                Err(Some(if is_lead(message[start]) {
                    start + len
                } else {
                    start
                }))
            }
        },
    }
}

/// Whether `prefix` can still begin valid UTF-8.
fn extendable(prefix: &[u8]) -> bool {
    match core::str::from_utf8(prefix) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Input: a split seed byte (see [`split::chunks`]), then the message.
///
/// Fed in those pieces, the validator reports an error exactly when the message is not UTF-8:
/// at the first byte that no valid UTF-8 can continue with (a truncated message fails only at
/// `finish`, with `is_truncated`), its status after each piece matches the reference on the
/// prefix, and a failed validator keeps failing with the same error.
pub fn utf8(data: &[u8]) {
    let Some((&seed, message)) = data.split_first() else {
        return;
    };
    let expected = reference(message);
    if let Err(Some(at)) = expected {
        assert!(extendable(&message[..at]) && !extendable(&message[..=at]));
    }
    let mut v = Utf8Validator::new();
    let mut fed = 0;
    for n in split::chunks(message.len(), seed) {
        let piece = &message[fed..fed + n];
        match v.feed(piece) {
            Ok(()) => {
                fed += n;
                let status = match core::str::from_utf8(&message[..fed]) {
                    Ok(_) => Utf8Status::Valid,
                    Err(e) if e.error_len().is_none() => Utf8Status::Incomplete,
                    Err(_) => Utf8Status::Invalid,
                };
                assert_eq!(v.status(), status, "after {fed} bytes");
                assert_eq!(v.bytes_fed(), fed as u64);
            }
            Err(err) => {
                assert_eq!(expected, Err(Some(err.position() as usize)), "{message:x?}");
                assert!(err.position() >= fed as u64 && err.position() < (fed + n) as u64);
                assert!(!err.is_truncated() && v.is_failed());
                assert_eq!(v.feed(b"a"), Err(err));
                assert_eq!(v.finish(), Err(err));
                return;
            }
        }
    }
    match (v.finish(), expected) {
        (Ok(()), Ok(())) => {}
        (Err(err), Err(None)) => {
            assert!(err.is_truncated());
            assert_eq!(err.position(), message.len() as u64);
        }
        (got, want) => panic!("finish {got:?}, expected {want:?} for {message:x?}"),
    }
    // The same message in one piece, then reset and reused, agrees too.
    v.reset();
    let whole = v.feed(message).and_then(|()| v.finish());
    assert_eq!(whole.is_ok(), expected.is_ok());
}
