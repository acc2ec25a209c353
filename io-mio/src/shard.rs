//! A sharded server: one event loop per thread, fed by one acceptor (accept-and-hand-off,
//! which needs nothing beyond std and mio, unlike `SO_REUSEPORT`).

use std::io;
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

use crate::event_loop::{EventLoop, Options};
use crate::handler::Handler;

/// Serves `listener` with `shards` event loops on their own threads, each with its own
/// handler from `make_handler(shard_index)`. Accepts on the calling thread and hands each
/// socket to the next loop in turn. Runs until accepting fails.
pub fn serve_sharded<H, F>(
    listener: TcpListener,
    shards: usize,
    options: Options,
    make_handler: F,
) -> io::Result<()>
where
    H: Handler,
    F: Fn(usize) -> H + Send + Sync + 'static,
{
    let make_handler = std::sync::Arc::new(make_handler);
    let mut loops = Vec::new();
    for index in 0..shards.max(1) {
        let (sender, receiver) = mpsc::channel();
        let (waker_sender, waker_receiver) = mpsc::channel();
        let options = options.clone();
        let make_handler = make_handler.clone();
        thread::Builder::new()
            .name(format!("sansws-shard-{index}"))
            .spawn(move || -> io::Result<()> {
                let mut event_loop = EventLoop::new(make_handler(index), options)?;
                let waker = event_loop.adopt_from(receiver)?;
                let _ = waker_sender.send(waker);
                event_loop.run()
            })?;
        let waker = waker_receiver
            .recv()
            .map_err(|_| io::Error::other("shard failed to start"))?;
        loops.push((sender, waker));
    }
    for (stream, next) in listener.incoming().zip((0..loops.len()).cycle()) {
        let Ok(stream) = stream else { continue };
        let (sender, waker) = &loops[next];
        if sender.send(stream).is_err() {
            return Err(io::Error::other("shard stopped"));
        }
        waker.wake()?;
    }
    Ok(())
}
