//! An echo load generator in the style of uWebSockets' `load_test`: one thread, N
//! connections, each keeping K masked binary messages of B bytes in flight (encoded once),
//! for a fixed duration. Prints one machine-readable line:
//! `msgs_per_sec=… p50_us=… p99_us=… conns=… bytes=… pipeline=… secs=… total_msgs=…`, where
//! the rate and latencies are measured after a warm-up (a tenth of SECS, at most 1 s) and
//! `total_msgs` counts every echo of the run, warm-up included (for CPU time per message
//! sampled around the whole run).
//!
//! `load ADDR CONNS BYTES SECS [PIPELINE]`, e.g. `load 127.0.0.1:9001 100 20 5`.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use sansws_benches::{masked_binary_frame, server_frame_len, upgrade_blocking};

struct Client {
    stream: TcpStream,
    /// Received bytes not yet parsed into frames.
    rx: Vec<u8>,
    /// Bytes of replayed frames not yet written.
    pending: usize,
    sent_at: VecDeque<Instant>,
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let addr = arg(0, "127.0.0.1:9001");
    let conns: usize = arg(1, "100").parse().expect("CONNS");
    let bytes: usize = arg(2, "20").parse().expect("BYTES");
    let secs: f64 = arg(3, "5").parse().expect("SECS");
    let pipeline: usize = arg(4, "1").parse().expect("PIPELINE");

    let frame = masked_binary_frame(bytes);
    let echo_len = server_frame_len(&{
        let mut answer = frame.clone();
        answer[1] &= 0x7F;
        answer
    })
    .expect("header");

    let mut poll = Poll::new()?;
    let mut clients = Vec::with_capacity(conns);
    for i in 0..conns {
        let mut std_stream = std::net::TcpStream::connect(&addr)?;
        std_stream.set_nodelay(true)?;
        let leftover = upgrade_blocking(&mut std_stream, &addr)?;
        std_stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(std_stream);
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        clients.push(Client {
            stream,
            rx: leftover,
            pending: 0,
            sent_at: VecDeque::new(),
        });
    }

    let start = Instant::now();
    let warmup = Duration::from_secs_f64((secs * 0.1).min(1.0));
    let end = start + warmup + Duration::from_secs_f64(secs);
    let mut measuring_since = None;
    let mut echoed: u64 = 0;
    let mut total_echoed: u64 = 0;
    let mut latencies: Vec<u32> = Vec::with_capacity(1 << 20);
    for client in &mut clients {
        for _ in 0..pipeline {
            client.pending += frame.len();
            client.sent_at.push_back(Instant::now());
        }
        write_pending(client, &frame)?;
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 256 * 1024];
    while Instant::now() < end {
        poll.poll(&mut events, Some(Duration::from_millis(50)))?;
        let now = Instant::now();
        if measuring_since.is_none() && now >= start + warmup {
            measuring_since = Some(now);
            echoed = 0;
            latencies.clear();
        }
        for event in events.iter() {
            let client = &mut clients[event.token().0];
            loop {
                match client.stream.read(&mut buf) {
                    Ok(0) => return Err(io::Error::other("server closed a connection")),
                    Ok(n) => {
                        client.rx.extend_from_slice(&buf[..n]);
                        if n < buf.len() {
                            break; // drained: epoll signals the next arrival
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            let mut at = 0;
            while let Some(len) = server_frame_len(&client.rx[at..]) {
                if client.rx.len() - at < len {
                    break;
                }
                // `raw_echo` sends the client's masked frame back unchanged.
                debug_assert!(len == echo_len || len == frame.len());
                at += len;
                echoed += 1;
                total_echoed += 1;
                if let Some(sent) = client.sent_at.pop_front() {
                    let micros = now.duration_since(sent).as_micros();
                    latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
                }
                client.pending += frame.len();
                client.sent_at.push_back(now);
            }
            client.rx.drain(..at);
            write_pending(client, &frame)?;
        }
    }
    let elapsed = measuring_since.map_or(0.0, |since| since.elapsed().as_secs_f64());
    latencies.sort_unstable();
    let pct = |p: f64| -> u32 {
        if latencies.is_empty() {
            return 0;
        }
        latencies[((latencies.len() - 1) as f64 * p) as usize]
    };
    println!(
        "msgs_per_sec={:.0} p50_us={} p99_us={} conns={conns} bytes={bytes} pipeline={pipeline} secs={elapsed:.2} \
         total_msgs={total_echoed}",
        echoed as f64 / elapsed.max(1e-9),
        pct(0.50),
        pct(0.99),
    );
    Ok(())
}

/// Writes as much of the replayed frames as the socket takes.
fn write_pending(client: &mut Client, frame: &[u8]) -> io::Result<()> {
    while client.pending > 0 {
        let offset = (frame.len() - client.pending % frame.len()) % frame.len();
        let chunk = &frame[offset..];
        match client.stream.write(chunk) {
            Ok(n) => client.pending -= n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
