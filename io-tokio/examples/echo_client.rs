//! Sends each stdin line as a text message, prints each message received as a line, and
//! closes with 1000 at the end of input. With the default options it offers
//! permessage-deflate.
//!
//! `cargo run --release -p sansws-tokio --example echo_client -- ws://127.0.0.1:9001/`

use sansws::CloseCode;
use sansws_tokio::{connect, Message};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main(flavor = "current_thread")]
async fn main() -> sansws_tokio::Result<()> {
    let url = std::env::args().next_back().unwrap_or_default();
    let mut ws = connect(&url).await?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut input_open = true;
    loop {
        tokio::select! {
            line = lines.next_line(), if input_open => match line? {
                Some(line) => ws.send(Message::text(line)).await?,
                None => {
                    input_open = false;
                    ws.close(CloseCode::NORMAL, "").await?;
                }
            },
            message = ws.recv() => match message {
                Some(Ok(message)) => print_message(&message),
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
}

fn print_message(message: &Message) {
    match message.as_text() {
        Some(text) => println!("{text}"),
        None => println!("{}", String::from_utf8_lossy(message.payload())),
    }
}
