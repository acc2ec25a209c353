//! The Autobahn TestSuite client: asks the fuzzing server for its case count, echoes every
//! message of every case, then asks it to write the reports. It offers permessage-deflate,
//! so the suite runs its compression cases (12.*, 13.*) against it.
//!
//! `cargo run --release -p sansws-tokio --example autobahn_client -- ws://127.0.0.1:9001 sansws-tokio`

use sansws_tokio::{connect_with, ClientOptions, WebSocketStream};
use tokio::net::TcpStream;

/// The default offer asks for 12-bit windows, and the fuzzing server answers some cases
/// (13.4.*, 13.6.*) with `client_max_window_bits=15` whatever was offered, which RFC 7692
/// §7.1.2.2 has us refuse. Offering our window without a value lets the server choose any
/// size, so every case negotiates.
fn options() -> ClientOptions {
    ClientOptions {
        #[cfg(feature = "deflate")]
        deflate: Some(sansws_tokio::DeflateConfig {
            max_window_bits: 15,
            ..sansws_tokio::DeflateConfig::default()
        }),
        ..ClientOptions::default()
    }
}

async fn connect(url: &str) -> sansws_tokio::Result<WebSocketStream<TcpStream>> {
    connect_with(url, &options()).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> sansws_tokio::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (url, agent) = match args.as_slice() {
        [.., url, agent] if url.starts_with("ws://") => (url.clone(), agent.clone()),
        [.., url] => (url.clone(), "sansws-tokio".to_string()),
        [] => unreachable!("argv[0] is always present"),
    };
    let url = url.trim_end_matches('/');

    let mut ws = connect(&format!("{url}/getCaseCount")).await?;
    let count: u32 = match ws.recv().await {
        Some(Ok(message)) => message.as_text().and_then(|t| t.parse().ok()).unwrap_or(0),
        _ => 0,
    };
    while ws.recv().await.is_some() {}
    eprintln!("{count} cases");

    for case in 1..=count {
        let Ok(mut ws) = connect(&format!("{url}/runCase?case={case}&agent={agent}")).await else {
            continue;
        };
        while let Some(Ok(message)) = ws.recv().await {
            if ws.feed(message).await.is_err() {
                break;
            }
        }
    }

    let mut ws = connect(&format!("{url}/updateReports?agent={agent}")).await?;
    while ws.recv().await.is_some() {}
    Ok(())
}
