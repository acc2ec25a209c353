//! permessage-deflate on a connection (feature `deflate`): turning it on, inflating
//! received messages, and choosing which outgoing messages to compress.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::conn::connection::Connection;
use crate::conn::error::SendError;
use crate::conn::event::MessageKind;
use crate::conn::send::Part;
use crate::deflate::{DeflateConfig, DeflateParams, DeflateState};
use crate::error::ProtocolError;

impl Connection {
    /// Turns permessage-deflate on with the parameters the handshake agreed
    /// ([`DeflateConfig::accept_offers`] on a server, [`DeflateConfig::check_response`] on
    /// a client), before any frame is exchanged (a later call replaces the codec state and
    /// breaks the stream the peer keeps). From then on RSV1 marks compressed messages:
    /// received ones arrive with `compressed` set; [`Connection::send_to_vec`] and the
    /// buffered API compress messages of at least `config.min_compress_len` bytes. The
    /// no-alloc [`Connection::send`] sends uncompressed, as RFC 7692 allows for any message.
    pub fn enable_deflate(&mut self, params: DeflateParams, config: &DeflateConfig) {
        self.deflate = Some(Box::new(DeflateState::new(self.role, params, config)));
    }

    /// The agreed permessage-deflate parameters, if it is on.
    pub fn deflate_params(&self) -> Option<DeflateParams> {
        self.deflate.as_ref().map(|deflate| deflate.params())
    }

    /// Inflates one piece of a compressed message (an [`Event::Message`] with `compressed`
    /// set; pass its `kind`, payload and `last`), appending the data to `out`. Pieces must
    /// come in order, each once.
    ///
    /// The inflated message counts against `Config::max_message_len`, and text is checked to
    /// be UTF-8. On error the connection fails as for any protocol error (1007 for invalid
    /// data or text, 1009 past the limit, without inflating further): drain
    /// [`Connection::poll_transmit`]. Without permessage-deflate the piece is appended as it is.
    ///
    /// [`Event::Message`]: crate::conn::Event::Message
    pub fn inflate(
        &mut self,
        kind: MessageKind,
        piece: &[u8],
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), ProtocolError> {
        let max_len = self.config.max_message_len;
        let Some(deflate) = &mut self.deflate else {
            out.extend_from_slice(piece);
            return Ok(());
        };
        deflate
            .decompress(kind, piece, last, out, max_len)
            .map_err(|err| self.fail(err))
    }

    /// The compressed payload of an outgoing message or fragment, or `None` to send it as
    /// it is: whole messages below the threshold, streams that did not start compressed,
    /// and everything when permessage-deflate is off. Call after `begin_message`.
    pub(crate) fn compress_message(
        &mut self,
        payload: &[u8],
        part: Part,
    ) -> Result<Option<Vec<u8>>, SendError> {
        let Some(deflate) = &mut self.deflate else {
            return Ok(None);
        };
        let compress = match (part, self.tx.streaming_compressed_open()) {
            (Part::Whole, _) => deflate.worth_compressing(payload.len()),
            // A stream's size is unknown when it starts: compress it all.
            (Part::Fragment { .. }, None) => true,
            (Part::Fragment { .. }, Some(compressed)) => compressed,
        };
        if let Part::Fragment { last } = part {
            self.tx.streaming_compressed = compress && !last;
        }
        if !compress {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(payload.len() / 2 + 16);
        deflate
            .compress(payload, part.is_last(), &mut out)
            .map_err(|()| SendError::Compression)?;
        if part == Part::Whole && out.len() >= payload.len() {
            // Incompressible: send it as it is. The peer will not see these bytes in its
            // window, so ours must forget them too.
            deflate.reset_compressor();
            return Ok(None);
        }
        Ok(Some(out))
    }
}
