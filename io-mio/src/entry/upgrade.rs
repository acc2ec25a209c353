//! The opening handshake of one connection: a server's answer to the request head, a
//! client's check of the response head, and what either agrees on (subprotocol,
//! permessage-deflate) before the first frame.

use sansws::handshake::{
    reason_phrase, write_reject, Accept, ClientHandshake, HeaderStorage, Limits, Request, Response,
    WriteError,
};
use sansws::{Instant, Status};

use super::{Entry, Phase};
use crate::deflate;
use crate::error::Error;
use crate::event_loop::Options;
use crate::handler::{append_with, Handler, Upgrade};

impl Entry {
    /// Server upgrade: `Some(head length)` once answered with 101.
    pub(super) fn read_request<H: Handler>(
        &mut self,
        now: Instant,
        buf: &[u8],
        handler: &mut H,
        options: &Options,
    ) -> Option<usize> {
        let mut storage: HeaderStorage = HeaderStorage::new();
        match Request::parse(buf, &mut storage, &options.limits) {
            Ok(Status::Incomplete { .. }) => None,
            Ok(Status::Complete((request, head_len))) => match handler.on_upgrade(&request) {
                Upgrade::Accept(protocol) => {
                    let mut accept = Accept::new();
                    if let Some(protocol) = protocol {
                        accept = accept.subprotocol(protocol);
                    }
                    let (extensions, agreed) = deflate::answer(options, &request);
                    if let Some(extensions) = &extensions {
                        accept = accept.extensions(extensions);
                    }
                    self.subprotocol = protocol.map(Box::from);
                    match self.write_accept(&request, &accept) {
                        Ok(()) => {
                            self.core.upgraded(now);
                            agreed.enable(&mut self.core);
                            self.phase = Phase::Open;
                            Some(head_len)
                        }
                        Err(err) => {
                            // The handler chose what cannot be sent (a subprotocol the client
                            // did not offer): the client still deserves an answer.
                            let mut answer = [0u8; 256];
                            if let Ok(len) =
                                write_reject(500, reason_phrase(500), &[], b"", &mut answer)
                            {
                                self.write_through(&answer[..len]);
                            }
                            self.fail(Error::Write(err));
                            None
                        }
                    }
                }
                Upgrade::Refuse(status) => {
                    let _ = append_with(&mut self.out, 256, |out| {
                        write_reject(status, reason_phrase(status), &[], b"", out)
                    });
                    self.fail(Error::Refused(status));
                    None
                }
            },
            Err(refused) => {
                let _ = append_with(&mut self.out, 256, |out| refused.write_response(out));
                self.fail(Error::Request(refused));
                None
            }
        }
    }

    /// Writes the 101 answer. It fits the stack unless a subprotocol is unusually long
    /// (the permessage-deflate answer alone takes up to 130 bytes).
    fn write_accept(
        &mut self,
        request: &Request<'_, '_>,
        accept: &Accept<'_>,
    ) -> Result<(), WriteError> {
        let mut answer = [0u8; 512];
        match request.write_accept(accept, &mut answer) {
            Ok(len) => self.write_through(&answer[..len]),
            Err(WriteError::InsufficientSize(size)) => {
                let mut answer = vec![0; size.required];
                let len = request.write_accept(accept, &mut answer)?;
                self.write_through(&answer[..len]);
            }
            Err(err) => return Err(err),
        }
        Ok(())
    }

    /// Client upgrade: `Some(head length)` once the 101 checked out.
    pub(super) fn read_response(
        &mut self,
        now: Instant,
        buf: &[u8],
        limits: &Limits,
    ) -> Option<usize> {
        let Phase::Response(offered) = &self.phase else {
            return None;
        };
        let protocols: Vec<&str> = offered.subprotocols.iter().map(String::as_str).collect();
        let extensions: Vec<&str> = (offered.extensions.elements.iter())
            .map(String::as_str)
            .collect();
        let handshake = ClientHandshake::new(offered.key, &protocols, &extensions);
        let mut storage: HeaderStorage = HeaderStorage::new();
        match handshake.check_response(buf, &mut storage, limits) {
            Ok(Status::Incomplete { .. }) => None,
            Ok(Status::Complete((Response::Upgraded(upgraded), head_len))) => {
                match offered.extensions.check(&upgraded) {
                    Ok(agreed) => {
                        self.subprotocol = upgraded.subprotocol().map(Box::from);
                        self.core.upgraded(now);
                        agreed.enable(&mut self.core);
                        self.phase = Phase::Open;
                        Some(head_len)
                    }
                    Err(err) => {
                        self.fail(err);
                        None
                    }
                }
            }
            Ok(Status::Complete((Response::Refused(refused), _))) => {
                self.fail(Error::Rejected {
                    status: refused.status(),
                });
                None
            }
            Err(err) => {
                self.fail(Error::Response(err));
                None
            }
        }
    }
}
