//! fastwebsockets' echo server, built like ours (single-threaded tokio, release profile): one
//! of the peers the adapters are compared with. `fastwebsockets_echo ADDR`.
//!
//! The upgrade is answered by hand (`sansws_benches::upgrade_response`) so that the
//! connection is the plain `TcpStream`, without hyper's upgrade wrapper; the loop is
//! fastwebsockets' own echo example (every reply is written as it is made).

use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
use sansws_benches::{find_head_end, upgrade_response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads the upgrade request and answers it; `None` if the peer went away or sent nonsense.
async fn upgrade(tcp: &mut TcpStream) -> Option<()> {
    let mut head = Vec::with_capacity(512);
    loop {
        if tcp.read_buf(&mut head).await.ok()? == 0 || head.len() > 8192 {
            return None;
        }
        if let Some(end) = find_head_end(&head) {
            // The load tools wait for the answer before sending frames.
            if end != head.len() {
                return None;
            }
            let answer = upgrade_response(&head)?;
            return tcp.write_all(&answer).await.ok();
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9004".into());
    let listener = TcpListener::bind(&addr).await?;
    loop {
        let (mut tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            if upgrade(&mut tcp).await.is_none() {
                return;
            }
            let mut ws = FragmentCollector::new(WebSocket::after_handshake(tcp, Role::Server));
            while let Ok(frame) = ws.read_frame().await {
                let echo = matches!(frame.opcode, OpCode::Text | OpCode::Binary);
                // Pings and the close answer are automatic.
                if frame.opcode == OpCode::Close || (echo && ws.write_frame(frame).await.is_err()) {
                    return;
                }
            }
        });
    }
}
