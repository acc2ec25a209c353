//! tokio-websockets' echo server, built like ours (single-threaded tokio, release profile):
//! one of the peers the adapters are compared with. `tokio_websockets_echo ADDR`.
//!
//! Replies are queued with `feed` and flushed when no further message is ready, the same
//! batching as the sansws-tokio example (tokio-websockets' own example flushes every reply).

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_websockets::ServerBuilder;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9005".into());
    let listener = TcpListener::bind(&addr).await?;
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            let Ok((_request, mut ws)) = ServerBuilder::new().accept(tcp).await else {
                return;
            };
            loop {
                // `poll_next` is cancel safe: a pending read is simply polled again.
                let next = match ws.next().now_or_never() {
                    Some(next) => next,
                    None => {
                        if ws.flush().await.is_err() {
                            return;
                        }
                        ws.next().await
                    }
                };
                let Some(Ok(message)) = next else {
                    return;
                };
                if (message.is_text() || message.is_binary()) && ws.feed(message).await.is_err() {
                    return;
                }
            }
        });
    }
}
