//! Echoes every text and binary message on `ws://ADDR/` until killed. With the default
//! options it accepts permessage-deflate when a client offers it.
//!
//! `cargo run --release -p sansws-tokio --example echo_server -- 127.0.0.1:9001`

use sansws_tokio::{serve, ServerOptions};
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> sansws_tokio::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("echo server on ws://{}/", listener.local_addr()?);
    serve(listener, ServerOptions::default(), |mut ws| async move {
        // `feed` queues without flushing: replies are written in batches whenever the
        // stream waits for input.
        while let Some(Ok(message)) = ws.recv().await {
            if ws.feed(message).await.is_err() {
                break;
            }
        }
    })
    .await
}
