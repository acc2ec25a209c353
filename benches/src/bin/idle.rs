//! Opens N idle WebSocket connections to a server and reports its memory per connection:
//! the growth of the server's resident set (from `/proc/PID/status`) divided by N.
//!
//! `idle ADDR SERVER_PID CONNS`, e.g. `idle 127.0.0.1:9001 12345 10000`.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use sansws_benches::{rss_bytes, upgrade_blocking};

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let pid: u32 = args
        .get(1)
        .and_then(|p| p.parse().ok())
        .expect("SERVER_PID");
    let conns: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(10_000);

    std::thread::sleep(Duration::from_millis(300));
    let before = rss_bytes(pid)?;
    let mut streams = Vec::with_capacity(conns);
    for _ in 0..conns {
        let mut stream = TcpStream::connect(&addr)?;
        upgrade_blocking(&mut stream, &addr)?;
        streams.push(stream);
    }
    std::thread::sleep(Duration::from_secs(1));
    let after = rss_bytes(pid)?;
    let per_conn = after.saturating_sub(before) as f64 / conns as f64;
    println!("conns={conns} rss_before={before} rss_after={after} bytes_per_conn={per_conn:.0}");
    drop(streams);
    Ok(())
}
