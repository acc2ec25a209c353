//! Connecting: `ws://` URLs over TCP, or any stream the caller opened (e.g. TLS for `wss`).

use bytes::BytesMut;
use sansws::entropy::os_entropy;
use sansws::handshake::{ClientRequest, Header, HeaderStorage, Limits, Response, WsUrl};
use sansws::{Config, Connection, Status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::clock::Clock;
use crate::deflate;
use crate::error::{Error, Result};
use crate::stream::{upgrade_within, Opening, WebSocketStream};

/// What a client asks for.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Limits and timers of the connection (the handshake timeout included).
    pub config: Config,
    /// Bounds on the response head.
    pub limits: Limits,
    /// Subprotocols to offer, by preference.
    pub subprotocols: Vec<String>,
    /// Extra request headers (e.g. `Authorization`).
    pub headers: Vec<(String, String)>,
    /// permessage-deflate to offer, or `None` not to offer it. Default: offered with
    /// [`DeflateConfig::default`](sansws::deflate::DeflateConfig::default). A server's answer
    /// that breaks the offer fails the upgrade with [`Error::Deflate`].
    #[cfg(feature = "deflate")]
    pub deflate: Option<sansws::deflate::DeflateConfig>,
}

// Derivable only without feature `deflate`, whose default is on.
#[allow(clippy::derivable_impls)]
impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            config: Config::default(),
            limits: Limits::default(),
            subprotocols: Vec::new(),
            headers: Vec::new(),
            #[cfg(feature = "deflate")]
            deflate: Some(sansws::deflate::DeflateConfig::default()),
        }
    }
}

/// Connects to a `ws://` URL with default options.
pub async fn connect(url: &str) -> Result<WebSocketStream<TcpStream>> {
    connect_with(url, &ClientOptions::default()).await
}

/// Connects to a `ws://` URL.
pub async fn connect_with(
    url: &str,
    options: &ClientOptions,
) -> Result<WebSocketStream<TcpStream>> {
    let url = WsUrl::parse(url).map_err(Error::Url)?;
    if url.is_secure() {
        // TLS is the caller's: open it and use `client_with`.
        return Err(Error::Url(sansws::handshake::UrlError::Scheme));
    }
    let tcp = TcpStream::connect((url.hostname().trim_matches(['[', ']']), url.port())).await?;
    tcp.set_nodelay(true)?;
    client_with(tcp, url.host(), url.target(), options).await
}

/// Performs the client upgrade on a stream the caller opened (e.g. TLS for `wss://`).
pub async fn client_with<S>(
    mut io: S,
    host: &str,
    target: &str,
    options: &ClientOptions,
) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let clock = Clock::new();
    let mut conn = Connection::client(options.config, os_entropy, clock.now());
    let upgrade = upgrade(&mut io, host, target, options);
    let opening = upgrade_within(&mut conn, &clock, upgrade).await?;
    Ok(WebSocketStream::open(io, conn, clock, opening))
}

async fn upgrade<S>(
    io: &mut S,
    host: &str,
    target: &str,
    options: &ClientOptions,
) -> Result<Opening>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let protocols: Vec<&str> = options.subprotocols.iter().map(String::as_str).collect();
    let headers: Vec<Header<'_>> = options
        .headers
        .iter()
        .map(|(name, value)| Header {
            name,
            value: value.as_bytes(),
        })
        .collect();
    let offers = deflate::offers(options);
    let offers: Vec<&str> = offers.iter().map(String::as_str).collect();
    let mut nonce = [0; 16];
    os_entropy(&mut nonce);
    let mut out = vec![0; 1024];
    let request = ClientRequest::new(host, target)
        .subprotocols(&protocols)
        .extensions(&offers)
        .headers(&headers);
    let (len, handshake) = match request.write(nonce, &mut out) {
        Ok(written) => written,
        Err(sansws::handshake::WriteError::InsufficientSize(size)) => {
            out.resize(size.required, 0);
            request.write(nonce, &mut out)?
        }
        Err(err) => return Err(err.into()),
    };
    io.write_all(&out[..len]).await?;

    let mut buf = BytesMut::with_capacity(1024);
    loop {
        if io.read_buf(&mut buf).await? == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        let mut storage: HeaderStorage = HeaderStorage::new();
        match handshake.check_response(&buf, &mut storage, &options.limits) {
            Ok(Status::Incomplete { .. }) => continue,
            Ok(Status::Complete((Response::Upgraded(upgraded), head_len))) => {
                return Ok(Opening {
                    subprotocol: upgraded.subprotocol().map(str::to_owned),
                    agreed: deflate::check(options, &upgraded)?,
                    leftover: buf.split_off(head_len),
                });
            }
            Ok(Status::Complete((Response::Refused(refused), _))) => {
                return Err(Error::Refused {
                    status: refused.status(),
                    location: refused
                        .location()
                        .map(|value| String::from_utf8_lossy(value).into_owned()),
                })
            }
            Err(err) => return Err(Error::Response(err)),
        }
    }
}
