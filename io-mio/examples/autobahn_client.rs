//! The Autobahn TestSuite client on the mio event loop: asks the fuzzing server for its case
//! count, echoes every message of every case, then asks it to write the reports.
//!
//! `cargo run --release -p sansws-mio --example autobahn_client -- ws://127.0.0.1:9001 sansws-mio`

use sansws_mio::{Conn, EventLoop, Handler, Message, Options};

/// Echoes, and remembers the last text it saw (the case count).
#[derive(Default)]
struct Client {
    last_text: Option<String>,
}

impl Handler for Client {
    fn on_message(&mut self, conn: &mut Conn<'_>, message: Message<'_>) {
        if let Some(text) = message.text() {
            self.last_text = Some(text.to_owned());
        }
        let _ = conn.send(message.kind, message.payload);
    }
}

/// Runs one connection to the end.
fn run(url: &str) -> Client {
    let Ok(mut event_loop) = EventLoop::new(Client::default(), Options::default()) else {
        return Client::default();
    };
    if event_loop.connect(url).is_ok() {
        let _ = event_loop.run();
    }
    std::mem::take(event_loop.handler())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, agent) = match args.as_slice() {
        [.., url, agent] if url.starts_with("ws://") => (url.as_str(), agent.as_str()),
        [.., url] => (url.as_str(), "sansws-mio"),
        [] => ("ws://127.0.0.1:9001", "sansws-mio"),
    };
    let url = url.trim_end_matches('/');
    let count: u32 = run(&format!("{url}/getCaseCount"))
        .last_text
        .and_then(|text| text.parse().ok())
        .unwrap_or(0);
    eprintln!("{count} cases");
    for case in 1..=count {
        run(&format!("{url}/runCase?case={case}&agent={agent}"));
    }
    run(&format!("{url}/updateReports?agent={agent}"));
}
