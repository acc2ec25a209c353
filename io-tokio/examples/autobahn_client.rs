//! The Autobahn TestSuite client: asks the fuzzing server for its case count, echoes every
//! message of every case, then asks it to write the reports.
//!
//! `cargo run --release -p sansws-tokio --example autobahn_client -- ws://127.0.0.1:9001 sansws-tokio`

use sansws_tokio::connect;

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
