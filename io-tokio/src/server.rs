//! Accepting upgrades: on any stream, or from a `TcpListener`.

use core::future::Future;

use bytes::BytesMut;
use sansws::handshake::{
    reason_phrase, write_reject, Accept, Header, HeaderStorage, Limits, Request, WriteError,
};
use sansws::{Config, Connection, Status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::clock::Clock;
use crate::deflate;
use crate::error::{Error, Result};
use crate::stream::{upgrade_within, Opening, WebSocketStream};

/// How a server accepts upgrades.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Limits and timers of each connection (the handshake timeout included).
    pub config: Config,
    /// Bounds on the request head.
    pub limits: Limits,
    /// Subprotocols this server speaks, by preference: the first one the client also
    /// offered is chosen.
    pub subprotocols: Vec<String>,
    /// permessage-deflate settings to accept a client's offer with, or `None` to decline
    /// every offer. Default: accepted with
    /// [`DeflateConfig::default`](sansws::deflate::DeflateConfig::default).
    #[cfg(feature = "deflate")]
    pub deflate: Option<sansws::deflate::DeflateConfig>,
}

// Derivable only without feature `deflate`, whose default is on.
#[allow(clippy::derivable_impls)]
impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            config: Config::default(),
            limits: Limits::default(),
            subprotocols: Vec::new(),
            #[cfg(feature = "deflate")]
            deflate: Some(sansws::deflate::DeflateConfig::default()),
        }
    }
}

/// Accepts a WebSocket upgrade on `io` with default options.
pub async fn accept<S>(io: S) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(io, &ServerOptions::default()).await
}

/// Accepts a WebSocket upgrade on `io` (TCP, TLS, anything): reads the request head within
/// the handshake timeout, answers 101 or the status the refusal calls for, and hands the
/// bytes read past the head to the connection. The subprotocol is the first of
/// `options.subprotocols` the client offered; permessage-deflate is accepted as
/// `options.deflate` says.
pub async fn accept_with<S>(io: S, options: &ServerOptions) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with_decision(io, options, |request| Decision::Accept {
        subprotocol: options
            .subprotocols
            .iter()
            .find(|ours| {
                request
                    .subprotocols()
                    .any(|offered| offered == ours.as_str())
            })
            .cloned(),
        headers: Vec::new(),
    })
    .await
}

/// The server's answer to a valid upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Upgrade, choosing this subprotocol (one the client offered) and adding these response
    /// headers (e.g. `Set-Cookie`).
    Accept {
        /// The chosen subprotocol.
        subprotocol: Option<String>,
        /// Extra response headers.
        headers: Vec<(String, String)>,
    },
    /// Refuse with this HTTP status (e.g. 403 for a foreign `Origin`, 404 for an unknown
    /// path) and body.
    Reject {
        /// The HTTP status.
        status: u16,
        /// The response body.
        body: Vec<u8>,
    },
}

/// Like [`accept_with`], but `decide` sees the parsed request (path, query, `Origin`,
/// offered subprotocols, any header) and accepts or refuses it. An accepted upgrade
/// negotiates permessage-deflate as `options.deflate` says.
pub async fn accept_with_decision<S, F>(
    mut io: S,
    options: &ServerOptions,
    decide: F,
) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request<'_, '_>) -> Decision,
{
    let clock = Clock::new();
    let mut conn = Connection::server(options.config, clock.now());
    let upgrade = read_request(&mut io, options, decide);
    let opening = upgrade_within(&mut conn, &clock, upgrade).await?;
    Ok(WebSocketStream::open(io, conn, clock, opening))
}

/// Reads and answers the request; returns the bytes read past its head and what was agreed.
async fn read_request<S, F>(io: &mut S, options: &ServerOptions, decide: F) -> Result<Opening>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request<'_, '_>) -> Decision,
{
    let mut buf = BytesMut::with_capacity(1024);
    let mut out = Vec::new();
    let mut decide = Some(decide);
    loop {
        if io.read_buf(&mut buf).await? == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        let mut storage: HeaderStorage = HeaderStorage::new();
        let (request, head_len) = match Request::parse(&buf, &mut storage, &options.limits) {
            Ok(Status::Incomplete { .. }) => continue,
            Ok(Status::Complete(parsed)) => parsed,
            Err(refused) => {
                write_with(&mut out, |out| {
                    refused.write_response(out).map_err(Into::into)
                })?;
                io.write_all(&out).await?;
                io.shutdown().await?;
                return Err(Error::Request(refused));
            }
        };
        let decide = decide.take().expect("a head completes once");
        match decide(&request) {
            Decision::Accept {
                subprotocol,
                headers,
            } => {
                let headers: Vec<Header<'_>> = headers
                    .iter()
                    .map(|(name, value)| Header {
                        name,
                        value: value.as_bytes(),
                    })
                    .collect();
                let mut accept = Accept::new().headers(&headers);
                if let Some(protocol) = &subprotocol {
                    accept = accept.subprotocol(protocol);
                }
                let (extensions, agreed) = deflate::answer(options, &request);
                if let Some(extensions) = &extensions {
                    accept = accept.extensions(extensions);
                }
                write_with(&mut out, |out| request.write_accept(&accept, out))?;
                io.write_all(&out).await?;
                return Ok(Opening {
                    leftover: buf.split_off(head_len),
                    subprotocol,
                    agreed,
                });
            }
            Decision::Reject { status, body } => {
                write_with(&mut out, |out| {
                    write_reject(status, reason_phrase(status), &[], &body, out)
                })?;
                io.write_all(&out).await?;
                io.shutdown().await?;
                return Err(Error::Declined { status });
            }
        }
    }
}

/// Writes a handshake answer into `out`, growing it to the size the writer asks for.
fn write_with(
    out: &mut Vec<u8>,
    write: impl Fn(&mut [u8]) -> core::result::Result<usize, WriteError>,
) -> Result<()> {
    out.resize(1024, 0);
    let len = match write(out) {
        Err(WriteError::InsufficientSize(size)) => {
            out.resize(size.required, 0);
            write(out)?
        }
        other => other?,
    };
    out.truncate(len);
    Ok(())
}

/// Accepts connections from `listener` forever, upgrading each on its own task and handing
/// it to `handler`. Failed upgrades are answered and dropped.
pub async fn serve<H, F>(listener: TcpListener, options: ServerOptions, handler: H) -> Result<()>
where
    H: Fn(WebSocketStream<TcpStream>) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let options = std::sync::Arc::new(options);
    let handler = std::sync::Arc::new(handler);
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let options = options.clone();
        let handler = handler.clone();
        tokio::spawn(async move {
            if let Ok(ws) = accept_with(tcp, &options).await {
                handler(ws).await;
            }
        });
    }
}
