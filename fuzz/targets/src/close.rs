//! `close_payload`: [`CloseFrame::parse`] and [`CloseFrame::encode`].

use sansws::close::MAX_REASON_LEN;
use sansws::{CloseCode, CloseFrame, ProtocolError};

/// Input: a close frame payload.
///
/// Parsing never panics and decides as RFC 6455 §5.5.1 and §7.4 do (empty, or a 2-byte code
/// allowed on the wire followed by at most 123 bytes of UTF-8); an accepted payload encodes
/// back to the same bytes and is sendable.
pub fn close_payload(data: &[u8]) {
    let parsed = CloseFrame::parse(data);
    let expected = match data {
        [] => Ok(()),
        [_] => Err(ProtocolError::InvalidClosePayload),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                Err(ProtocolError::InvalidCloseCode(code))
            } else if reason.len() > MAX_REASON_LEN {
                Err(ProtocolError::ControlFrameTooLarge)
            } else if core::str::from_utf8(reason).is_err() {
                Err(ProtocolError::InvalidUtf8)
            } else {
                Ok(())
            }
        }
    };
    assert_eq!(parsed.map(|_| ()), expected, "{data:x?}");
    let Ok(frame) = parsed else { return };
    assert_eq!(frame.encoded_len(), data.len());
    let mut out = [0u8; 2 + MAX_REASON_LEN];
    let n = frame
        .encode(&mut out)
        .expect("a parsed payload fits 125 bytes");
    assert_eq!(&out[..n], data);
    assert!(frame.check_sendable().is_ok());
    assert_eq!(frame.code.is_none(), data.is_empty());
    if let Some(code) = frame.code {
        assert!(code.is_sendable() && code.is_allowed_on_wire());
        assert_eq!(frame.code_or_no_status(), code);
    } else {
        assert_eq!(frame.code_or_no_status(), CloseCode::NO_STATUS_RECEIVED);
    }
}
