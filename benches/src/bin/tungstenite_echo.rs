//! tokio-tungstenite's echo server, built like ours (single-threaded tokio, release profile):
//! the peer the adapters are compared with. `tungstenite_echo ADDR`.

use futures_util::{future, StreamExt, TryStreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".into());
    let listener = TcpListener::bind(&addr).await?;
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            // tokio-tungstenite's own echo example: forward batches its flushes.
            let (write, read) = ws.split();
            let data = |m: &Message| future::ready(m.is_text() || m.is_binary());
            let _ = read.try_filter(data).forward(write).await;
        });
    }
}
