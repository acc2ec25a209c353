//! Accepting upgrades: on any stream, or from a `TcpListener`.

use core::future::Future;

use bytes::BytesMut;
use sansws::conn::WebSocket;
use sansws::handshake::{Accept, HeaderStorage, Limits, Request};
use sansws::{Config, Connection, Status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::stream::WebSocketStream;

/// How a server accepts upgrades.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Limits and timers of each connection (the handshake timeout included).
    pub config: Config,
    /// Bounds on the request head.
    pub limits: Limits,
    /// Subprotocols this server speaks, by preference: the first one the client also
    /// offered is chosen.
    pub subprotocols: Vec<String>,
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
/// bytes read past the head to the connection.
pub async fn accept_with<S>(mut io: S, options: &ServerOptions) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let clock = Clock::new();
    let mut conn = Connection::server(options.config, clock.now());
    let deadline = conn.poll_timeout().map(|at| clock.deadline(at));
    let upgrade = read_request(&mut io, options);
    let leftover = match deadline {
        Some(deadline) => match tokio::time::timeout_at(deadline, upgrade).await {
            Ok(result) => result?,
            Err(_) => {
                conn.handle_timeout(clock.now());
                return Err(Error::HandshakeTimeout);
            }
        },
        None => upgrade.await?,
    };
    let now = clock.now();
    conn.upgraded(now);
    let mut ws = WebSocket::new(conn);
    ws.handle_read(now, &leftover);
    Ok(WebSocketStream::new(io, ws, clock))
}

/// Reads and answers the request; returns the bytes read past its head.
async fn read_request<S>(io: &mut S, options: &ServerOptions) -> Result<BytesMut>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(1024);
    let mut out = vec![0; 1024];
    loop {
        if io.read_buf(&mut buf).await? == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        let mut storage: HeaderStorage = HeaderStorage::new();
        let (written, head_len) = match Request::parse(&buf, &mut storage, &options.limits) {
            Ok(Status::Incomplete { .. }) => continue,
            Ok(Status::Complete((request, head_len))) => {
                let protocol = options.subprotocols.iter().find(|ours| {
                    request
                        .subprotocols()
                        .any(|offered| offered == ours.as_str())
                });
                let mut accept = Accept::new();
                if let Some(protocol) = protocol {
                    accept = accept.subprotocol(protocol);
                }
                (request.write_accept(&accept, &mut out)?, head_len)
            }
            Err(refused) => {
                let n = refused
                    .write_response(&mut out)
                    .map_err(sansws::handshake::WriteError::from)?;
                io.write_all(&out[..n]).await?;
                io.shutdown().await?;
                return Err(Error::Request(refused));
            }
        };
        io.write_all(&out[..written]).await?;
        return Ok(buf.split_off(head_len));
    }
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
