//! How fast bytes a socket read has just written are unmasked, against the same bytes masked
//! again at once (hot in cache): what an echo server's unmasking can reach for a given read
//! size. A thread sends 400 MiB over loopback TCP; the reader reads at most `PIECE` bytes at a
//! time into a 1 MiB ring, unmasks each read, then unmasks it again.
//!
//! `mask_fresh [PIECE]` (default 131072) prints µs per MiB for both passes.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use sansws::frame::apply_mask;

const RING: usize = 1 << 20;
const MIB_SENT: usize = 400;

fn main() -> io::Result<()> {
    let piece: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(io::Error::other)?,
        None => 128 * 1024,
    };
    if piece == 0 || piece > RING {
        return Err(io::Error::other("PIECE must be 1..=1048576"));
    }
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let sender = std::thread::spawn(move || -> io::Result<()> {
        let mut stream = TcpStream::connect(addr)?;
        let chunk = vec![0x5A; RING];
        for _ in 0..MIB_SENT {
            stream.write_all(&chunk)?;
        }
        Ok(())
    });
    let (mut stream, _) = listener.accept()?;
    let mut ring = vec![0u8; RING + piece];
    let (mut fresh, mut hot, mut bytes) = (Duration::ZERO, Duration::ZERO, 0);
    let mut at = 0;
    loop {
        let n = stream.read(&mut ring[at..at + piece])?;
        if n == 0 {
            break;
        }
        let read = &mut ring[at..at + n];
        let start = Instant::now();
        apply_mask(read, [1, 2, 3, 4], 0);
        let between = Instant::now();
        apply_mask(read, [1, 2, 3, 4], 0);
        fresh += between - start;
        hot += between.elapsed();
        bytes += n;
        at = (at + piece) % RING;
    }
    sender
        .join()
        .map_err(|_| io::Error::other("sender panicked"))??;
    let per_mib = |d: Duration| d.as_secs_f64() * 1e6 / (bytes as f64 / RING as f64);
    println!(
        "piece={piece} fresh_us_per_mib={:.2} hot_us_per_mib={:.2}",
        per_mib(fresh),
        per_mib(hot)
    );
    Ok(())
}
