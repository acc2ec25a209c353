//! Echoes every text and binary message on `ws://ADDR/` until killed. With the default
//! options it accepts permessage-deflate when a client offers it.
//!
//! `cargo run --release -p sansws-mio --example echo_server -- 127.0.0.1:9001 [SHARDS]`
//!
//! One event loop by default; with SHARDS > 1, that many loops on their own threads.

use sansws_mio::{serve_sharded, Conn, EventLoop, Handler, Message, Options};

struct Echo;

impl Handler for Echo {
    fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>) {
        // A refused send means the connection is closing: nothing to do.
        let _ = conn.send(message.kind, message.payload);
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9001".into());
    let shards: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let listener = std::net::TcpListener::bind(&addr)?;
    eprintln!("echo server on ws://{}/", listener.local_addr()?);
    if shards > 1 {
        return serve_sharded(listener, shards, Options::default(), |_| Echo);
    }
    listener.set_nonblocking(true)?;
    let mut event_loop = EventLoop::new(Echo, Options::default())?;
    event_loop.listen(mio::net::TcpListener::from_std(listener))?;
    event_loop.run()
}
