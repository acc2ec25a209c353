//! The receive engine's path for the middle of a large frame: bytes that an adapter read
//! straight into a buffer of its own, sized by [`Connection::frame_remaining`].
//!
//! While such a read does not reach the frame's end, all of it is payload of the frame under
//! way, and the piece itself is its one event. This path unmasks and validates it and hands it
//! out, with no header to look for and none of the general path's other cases. Anything else,
//! the read that ends the frame included, goes to [`Connection::handle_read`].

use crate::conn::connection::Connection;
use crate::conn::event::Event;
use crate::error::ProtocolError;
use crate::time::Instant;

use super::{Piece, Read};

impl Connection {
    /// [`Connection::handle_read`] for bytes read straight into place as payload of the data
    /// frame under way (at most [`Connection::frame_remaining`] of them): the same result,
    /// by a short path while they do not reach the frame's end.
    #[inline]
    pub fn handle_payload<'a>(
        &mut self,
        now: Instant,
        buf: &'a mut [u8],
    ) -> Result<Read<'a>, ProtocolError> {
        let piece = match self.read_frame_middle(buf) {
            Some(Ok(piece)) => piece,
            Some(Err(err)) => return Err(self.fail(err)),
            None => return self.handle_read(now, buf),
        };
        self.note_activity(now);
        Ok(Read {
            consumed: buf.len(),
            event: Some(Event::Message {
                kind: piece.kind(),
                payload: buf,
                first: piece.is_first(),
                last: false,
                compressed: piece.is_compressed(),
            }),
        })
    }

    /// Unmasks and validates `buf` in place as the next payload of the data frame under way
    /// and returns it as a piece, if it is neither empty nor reaches the frame's end; else
    /// `None`, with `buf` untouched.
    #[inline(always)]
    fn read_frame_middle(&mut self, buf: &mut [u8]) -> Option<Result<Piece, ProtocolError>> {
        // A frame is under way only on a connection that receives (closing forgets it).
        let (Some(frame), Some(message)) = (&mut self.rx.frame, &mut self.rx.message) else {
            return None;
        };
        // The frame's end may end the message or be followed by the next header, and bytes
        // held (whole-frame mode) are the general path's.
        if buf.is_empty() || frame.held != 0 || buf.len() as u64 >= frame.remaining {
            return None;
        }
        if let Err(err) = frame.unmask(message, buf) {
            return Some(Err(err));
        }
        frame.remaining -= buf.len() as u64;
        let piece = Piece::new(message.kind, message.first, false, message.compressed);
        message.first = false;
        Some(Ok(piece))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use super::*;
    use crate::close::CloseCode;
    use crate::conn::config::Config;
    use crate::conn::event::MessageKind;

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// An open server connection that has read the header of a masked frame with first byte
    /// `first` and a `len`-byte payload (16-bit length), and the payload as the client masked
    /// it.
    fn after_header(first: u8, payload: &[u8]) -> (Connection, Vec<u8>) {
        let mut conn = Connection::server(Config::default(), Instant::ZERO);
        conn.upgraded(Instant::ZERO);
        let len = u16::try_from(payload.len()).expect("16-bit length");
        let mut header = Vec::from([first, 0x80 | 126]);
        header.extend_from_slice(&len.to_be_bytes());
        header.extend_from_slice(&KEY);
        let read = conn
            .handle_read(Instant::ZERO, &mut header)
            .expect("header");
        assert_eq!((read.consumed, read.event.is_none()), (8, true));
        let mut masked = payload.to_vec();
        crate::frame::apply_mask(&mut masked, KEY, 0);
        (conn, masked)
    }

    /// The middle of a frame is taken, unmasked with the mask's phase carried from piece to
    /// piece; the piece that reaches the frame's end is left to the general path.
    #[test]
    fn takes_the_middle_of_a_frame_and_leaves_its_end() {
        let payload: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let (mut conn, mut masked) = after_header(0x82, &payload);
        let (first, rest) = masked.split_at_mut(333);
        let (second, end) = rest.split_at_mut(666);
        let piece = conn
            .read_frame_middle(first)
            .expect("taken")
            .expect("binary");
        assert_eq!(
            (piece.kind(), piece.is_first()),
            (MessageKind::Binary, true)
        );
        let piece = conn
            .read_frame_middle(second)
            .expect("taken")
            .expect("binary");
        assert!(!piece.is_first());
        assert_eq!(conn.frame_remaining(), 1);
        assert!(conn.read_frame_middle(end).is_none(), "the frame's end");
        assert!(conn.read_frame_middle(&mut []).is_none(), "nothing");
        assert_eq!(masked[..999], payload[..999]);
        assert_ne!(masked[999], payload[999], "left untouched");
    }

    /// Outside the middle of a frame under way on an open connection, nothing is taken.
    #[test]
    fn declines_everything_else() {
        let mut conn = Connection::server(Config::default(), Instant::ZERO);
        conn.upgraded(Instant::ZERO);
        assert!(
            conn.read_frame_middle(&mut [0x82, 0x80]).is_none(),
            "no frame"
        );

        let (mut conn, mut masked) = after_header(0x82, &[7; 200]);
        conn.close(Instant::ZERO, CloseCode::NORMAL, "")
            .expect("close");
        assert!(
            conn.read_frame_middle(&mut masked[..10]).is_some(),
            "close sent"
        );
        conn.fail(ProtocolError::InvalidUtf8);
        assert!(
            conn.read_frame_middle(&mut masked[10..20]).is_none(),
            "closed"
        );
    }

    /// Text is validated piece by piece, a code point cut between pieces included; invalid
    /// UTF-8 is the error the general path gives (1007, RFC 6455 §8.1).
    #[test]
    fn validates_text_across_pieces() {
        let text = "añ€😀".repeat(20);
        let (mut conn, mut masked) = after_header(0x81, text.as_bytes());
        let (first, rest) = masked.split_at_mut(2); // inside "ñ"
        assert!(matches!(conn.read_frame_middle(first), Some(Ok(_))));
        assert!(matches!(
            conn.read_frame_middle(&mut rest[..5]),
            Some(Ok(_))
        ));

        let mut bad = text.into_bytes();
        bad[30] = 0xff;
        let (mut conn, mut masked) = after_header(0x81, &bad);
        let result = conn.handle_payload(Instant::ZERO, &mut masked[..40]);
        assert_eq!(result.err(), Some(ProtocolError::InvalidUtf8));
        assert_eq!(ProtocolError::InvalidUtf8.close_code(), CloseCode(1007));
        assert!(conn.wants_transmit(), "the close frame is queued");
    }
}
