//! The Autobahn TestSuite client on the mio event loop: asks the fuzzing server for its case
//! count, echoes every message of every case, then asks it to write the reports. It offers
//! permessage-deflate, so the suite runs its compression cases (12.*, 13.*) against it.
//!
//! `cargo run --release -p sansws-mio --example autobahn_client -- ws://127.0.0.1:9001 sansws-mio`

use sansws_mio::{ClientOptions, Conn, EventLoop, Handler, Message, Options};

/// The default offer asks for 12-bit windows, and the fuzzing server answers some cases
/// (13.4.*, 13.6.*) with `client_max_window_bits=15` whatever was offered, which RFC 7692
/// §7.1.2.2 has us refuse. Offering our window without a value lets the server choose any
/// size, so every case negotiates.
fn options() -> ClientOptions {
    ClientOptions {
        #[cfg(feature = "deflate")]
        deflate: Some(sansws_mio::DeflateConfig {
            max_window_bits: 15,
            ..sansws_mio::DeflateConfig::default()
        }),
        ..ClientOptions::default()
    }
}

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
    if event_loop.connect_with(url, &options()).is_ok() {
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
