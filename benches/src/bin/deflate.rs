//! permessage-deflate (RFC 7692) measurements: compression ratio, time and memory per
//! connection for window bits 9, 12 and 15, with and without context takeover.
//!
//! `cargo run --release -p sansws-benches --bin deflate`
//!
//! # Corpus
//!
//! 10,000 JSON text messages of 97 to 600 bytes (mean 293), generated from a fixed seed (the
//! same bytes on every run) in three shapes that mimic a chat-and-telemetry service; the tool
//! prints each shape's count, sizes and first message:
//!
//! - 50 % chat messages, 130 to 600 bytes, three in four under 300: `{"type":"chat.message",
//!   "id":"m-…","room":…,"user":{"id":…,"name":…,"role":…},"text":…,"ts":…}` with 12 rooms,
//!   40 users, and text drawn from a 130-word vocabulary skewed towards its common words.
//! - 35 % telemetry, 220 to 590 bytes: `{"type":"telemetry","device":"sensor-…","site":…,
//!   "seq":…,"ts":…,"metrics":{…five readings…},"samples":[…],"status":…}` from 200 devices
//!   on 6 sites, numbers with two decimals, the samples a random walk.
//! - 15 % presence updates, 97 to 250 bytes: `{"type":"presence","user":{…},"status":…,
//!   "ts":…,"rooms":[…]}`.
//!
//! Keys and most string values repeat from message to message; numbers, ids, timestamps and
//! text vary.
//!
//! # Time
//!
//! A server [`WebSocket`] sends the messages (the buffered API, `min_compress_len: 0`, so every
//! message is compressed), each one's frame copied out of `transmit_chunks` into one wire
//! buffer; then a client `WebSocket` reads that wire one message's frame at a time and takes
//! the inflated messages out with `poll_event`. The two sides are timed separately; best of
//! three runs (or `deflate RUNS`), each on fresh connections, the configurations taking
//! turns. MB/s is payload (uncompressed) bytes, 10^6 per MB.
//! The same loops with permessage-deflate off give the baseline: framing and copying alone.
//!
//! # Memory
//!
//! A counting global allocator (around `System`) tracks the bytes currently allocated, as
//! requested by each layout. One side at a time: the bytes still held after building an
//! upgraded `WebSocket` and sending (or receiving) 50 messages, minus the same for a
//! connection without permessage-deflate (the `WebSocket`'s own buffers), minus the
//! connection's deflate state box (measured around `enable_deflate`), is the compressor (or
//! decompressor). It is right to a few hundred bytes: the `WebSocket`'s buffers grow a little
//! less for compressed frames than for plain ones.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant as Clock};

use sansws::conn::{Incoming, Message, WebSocket};
use sansws::deflate::{DeflateConfig, DeflateParams};
use sansws::{Config, Connection, Instant};

/// The global allocator, counting the bytes currently allocated.
struct Counting;

/// Bytes currently allocated through [`Counting`].
static CURRENT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds as it does for `System`; the counter only reads sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size), passed on as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            CURRENT.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            CURRENT.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, i.e. by `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller upholds the rest.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            CURRENT.fetch_add(new_size, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocated() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

const MESSAGES: usize = 10_000;
const RUNS: usize = 3;
/// Messages sent or received before measuring what a connection holds.
const WARM: usize = 50;
const SEED: u64 = 0x5a45_5753_6465_666c;

/// One row of the matrix.
#[derive(Debug, Clone, Copy)]
struct Setup {
    window_bits: u8,
    no_context_takeover: bool,
    mem_level: u8,
}

impl Setup {
    fn params(&self) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: self.no_context_takeover,
            client_no_context_takeover: self.no_context_takeover,
            server_max_window_bits: self.window_bits,
            client_max_window_bits: self.window_bits,
        }
    }

    fn config(&self) -> DeflateConfig {
        DeflateConfig {
            max_window_bits: self.window_bits,
            peer_max_window_bits: self.window_bits,
            no_context_takeover: self.no_context_takeover,
            peer_no_context_takeover: self.no_context_takeover,
            level: 6,
            mem_level: self.mem_level,
            min_compress_len: 0,
        }
    }

    fn takeover(&self) -> &'static str {
        if self.no_context_takeover {
            "off"
        } else {
            "on"
        }
    }
}

fn setups() -> Vec<Setup> {
    let mut setups = Vec::new();
    for (window_bits, mem_level) in [(9, 5), (12, 5), (15, 5), (15, 8)] {
        for no_context_takeover in [false, true] {
            setups.push(Setup {
                window_bits,
                no_context_takeover,
                mem_level,
            });
        }
    }
    setups
}

fn server(setup: Option<Setup>) -> WebSocket {
    let mut conn = Connection::server(Config::default(), Instant::ZERO);
    conn.upgraded(Instant::ZERO);
    if let Some(setup) = setup {
        conn.enable_deflate(setup.params(), &setup.config());
    }
    WebSocket::new(conn)
}

fn client(setup: Option<Setup>) -> WebSocket {
    let mut conn = Connection::client(
        Config::default(),
        sansws::entropy::os_entropy,
        Instant::ZERO,
    );
    conn.upgraded(Instant::ZERO);
    if let Some(setup) = setup {
        conn.enable_deflate(setup.params(), &setup.config());
    }
    WebSocket::new(conn)
}

/// Queues `message` and copies its frame onto `wire`.
fn send(ws: &mut WebSocket, message: &Message, wire: &mut Vec<u8>) {
    ws.send(message.clone()).expect("send");
    let mut written = 0;
    for chunk in ws.transmit_chunks() {
        wire.extend_from_slice(chunk);
        written += chunk.len();
    }
    ws.advance_transmit(written);
}

/// Feeds one message's frame and hands the messages it completes to `handle`.
fn receive(ws: &mut WebSocket, frame: &[u8], mut handle: impl FnMut(Message)) {
    ws.handle_read(Instant::ZERO, frame);
    while let Some(incoming) = ws.poll_event().expect("valid stream") {
        if let Incoming::Message(message) = incoming {
            handle(message);
        }
    }
}

/// The buffers of a run, reused so that later runs do not page-fault them in.
#[derive(Default)]
struct Buffers {
    wire: Vec<u8>,
    /// Where each message's frame ends in `wire`.
    ends: Vec<usize>,
}

/// One run on fresh connections: send time, receive time. Received messages are dropped as
/// they come, as an application would; with `check`, each is compared with the original.
fn run(
    corpus: &[Message],
    setup: Option<Setup>,
    buffers: &mut Buffers,
    check: bool,
) -> (Duration, Duration) {
    let Buffers { wire, ends } = buffers;
    wire.clear();
    ends.clear();
    let (mut tx, mut rx) = (server(setup), client(setup));

    let start = Clock::now();
    for message in corpus {
        send(&mut tx, message, wire);
        ends.push(wire.len());
    }
    let send_time = start.elapsed();

    let (mut count, mut bytes) = (0, 0);
    let start = Clock::now();
    let mut from = 0;
    for &end in ends.iter() {
        receive(&mut rx, &wire[from..end], |message| {
            if check {
                assert!(
                    message == corpus[count],
                    "message {count} came back changed"
                );
            }
            count += 1;
            bytes += message.payload().len();
        });
        from = end;
    }
    let receive_time = start.elapsed();

    let payload: usize = corpus.iter().map(|m| m.payload().len()).sum();
    assert_eq!((count, bytes), (corpus.len(), payload));
    (send_time, receive_time)
}

/// Times every setup (`None`: deflate off): a checked run each, then [`RUNS`] rounds that
/// go through the setups in turn, so that a burst of load on the machine spreads over them.
/// The best send and receive time of each, and its wire bytes.
fn measure(corpus: &[Message], setups: &[Option<Setup>], runs: usize) -> Vec<Timing> {
    let mut buffers = Buffers::default();
    let mut timings: Vec<Timing> = setups
        .iter()
        .map(|&setup| {
            run(corpus, setup, &mut buffers, true);
            Timing {
                send: Duration::MAX,
                receive: Duration::MAX,
                wire: buffers.wire.len(),
            }
        })
        .collect();
    for _ in 0..runs {
        for (timing, &setup) in timings.iter_mut().zip(setups) {
            let (send, receive) = run(corpus, setup, &mut buffers, false);
            timing.send = timing.send.min(send);
            timing.receive = timing.receive.min(receive);
        }
    }
    timings
}

/// The best times of one setup and the bytes it put on the wire.
#[derive(Debug, Clone, Copy)]
struct Timing {
    send: Duration,
    receive: Duration,
    wire: usize,
}

/// Bytes held by a sender and by a receiver after [`WARM`] messages.
fn held(corpus: &[Message], setup: Option<Setup>) -> (usize, usize) {
    let corpus = &corpus[..WARM];
    let mut wire = Vec::with_capacity(64 * 1024);
    let mut ends = Vec::with_capacity(WARM);

    let before = allocated();
    let mut tx = server(setup);
    for message in corpus {
        send(&mut tx, message, &mut wire);
        ends.push(wire.len());
    }
    let sender = allocated() - before;

    let before = allocated();
    let mut rx = client(setup);
    let mut from = 0;
    for &end in &ends {
        // The application drops each message once handled.
        receive(&mut rx, &wire[from..end], drop);
        from = end;
    }
    let receiver = allocated() - before;
    drop((tx, rx));
    (sender, receiver)
}

/// The heap of the connection's deflate state alone (before either codec exists).
fn state_box(setup: Setup) -> usize {
    let mut conn = Connection::server(Config::default(), Instant::ZERO);
    conn.upgraded(Instant::ZERO);
    let before = allocated();
    conn.enable_deflate(setup.params(), &setup.config());
    allocated() - before
}

/// A deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.range(0, items.len())]
    }

    /// Skewed towards the start of `items`, as word frequencies are.
    fn pick_skewed<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        items[((u * u) * items.len() as f64) as usize]
    }

    /// `lo..hi` with two decimals.
    fn decimal(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((lo + u * (hi - lo)) * 100.0).round() / 100.0
    }
}

const ROOMS: [&str; 12] = [
    "general",
    "random",
    "engineering",
    "support",
    "announcements",
    "design",
    "ops-alerts",
    "sales",
    "team-berlin",
    "team-lisbon",
    "incident-2231",
    "watercooler",
];

const NAMES: [&str; 40] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yvonne", "zoe",
    "amir", "bea", "chen", "dmitri", "elena", "fatima", "goran", "hiro", "ines", "jonas", "kofi",
    "lena", "mateo", "noor", "oscar", "priya", "quinn", "rosa", "sven",
];

const ROLES: [&str; 3] = ["member", "member", "admin"];

/// A chat vocabulary, commonest first (130 words).
const WORDS: &str =
    "the to I a and is it you that of in we for this on be can have with not just so but do \
     it's if are will what at think there was all know we're get one about now yes no ok \
     thanks like need should deploy build test merge review PR branch release fix bug issue \
     ticket meeting tomorrow today later morning lunch coffee please check looks good great \
     sorry late update status server client latency error logs dashboard metrics alert pager \
     rollback staging production config timeout retry queue database migration index cache \
     memory CPU disk network customer feature design spec draft doc slides demo call sync \
     standup sprint plan estimate blocked waiting done shipped nice agreed maybe probably \
     definitely again still already soon again? why how :)";

const SITES: [&str; 6] = [
    "plant-north",
    "plant-south",
    "warehouse-3",
    "lab-a",
    "lab-b",
    "rooftop",
];

const DEVICE_STATUS: [&str; 4] = ["ok", "ok", "ok", "degraded"];

const PRESENCE: [&str; 4] = ["online", "away", "typing", "offline"];

/// The corpus described in the module docs: each message with its shape's name.
fn corpus() -> Vec<(&'static str, String)> {
    let mut rng = Rng(SEED);
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut ts: u64 = 1_717_171_717_000;
    let mut seq = [0u32; 200];
    let mut messages = Vec::with_capacity(MESSAGES);
    for n in 0..MESSAGES {
        ts += rng.range(1, 400) as u64;
        let kind = rng.range(0, 100);
        let (shape, message) = if kind < 50 {
            ("chat", chat(&mut rng, &words, n, ts))
        } else if kind < 85 {
            ("telemetry", telemetry(&mut rng, &mut seq, ts))
        } else {
            ("presence", presence(&mut rng, ts))
        };
        assert!(
            (80..=600).contains(&message.len()),
            "{} bytes: {message}",
            message.len()
        );
        messages.push((shape, message));
    }
    messages
}

/// Count, mean, min and max length and the first message of each shape.
fn describe(corpus: &[(&'static str, String)]) {
    for shape in ["chat", "telemetry", "presence"] {
        let lens: Vec<usize> = corpus
            .iter()
            .filter(|(s, _)| *s == shape)
            .map(|(_, m)| m.len())
            .collect();
        let first = corpus.iter().find(|(s, _)| *s == shape).map(|(_, m)| m);
        println!(
            "  {shape}: {} messages, mean {:.0} bytes, {}..={}; e.g. {}",
            lens.len(),
            lens.iter().sum::<usize>() as f64 / lens.len() as f64,
            lens.iter().min().unwrap_or(&0),
            lens.iter().max().unwrap_or(&0),
            first.map_or("", |m| m.as_str()),
        );
    }
}

fn chat(rng: &mut Rng, words: &[&str], n: usize, ts: u64) -> String {
    let user = rng.range(0, NAMES.len());
    let head = format!(
        r#"{{"type":"chat.message","id":"m-{}","room":"{}","user":{{"id":{},"name":"{}","role":"{}"}},"text":""#,
        1_000_000 + n,
        rng.pick(&ROOMS),
        1000 + user,
        NAMES[user],
        ROLES[user % ROLES.len()],
    );
    let tail = format!(r#"","ts":{ts}}}"#);
    // Mostly short lines, a few long ones.
    let target = if rng.range(0, 4) == 0 {
        rng.range(300, 601)
    } else {
        rng.range(120, 300)
    };
    let room = target.saturating_sub(head.len() + tail.len()).max(1);
    let mut text = String::new();
    while text.len() < room {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(rng.pick_skewed(words));
    }
    text.truncate(room);
    format!("{head}{}{tail}", text.trim_end())
}

fn telemetry(rng: &mut Rng, seq: &mut [u32; 200], ts: u64) -> String {
    let device = rng.range(0, seq.len());
    seq[device] += 1;
    let head = format!(
        r#"{{"type":"telemetry","device":"sensor-{device:04}","site":"{}","seq":{},"ts":{ts},"metrics":{{"temperature_c":{:.2},"humidity_pct":{:.2},"pressure_hpa":{:.2},"battery_v":{:.2},"rssi_dbm":{}}},"samples":["#,
        SITES[device % SITES.len()],
        seq[device],
        rng.decimal(18.0, 27.0),
        rng.decimal(30.0, 60.0),
        rng.decimal(990.0, 1030.0),
        rng.decimal(3.3, 4.2),
        -(rng.range(40, 95) as i64),
    );
    let tail = format!(r#"],"status":"{}"}}"#, rng.pick(&DEVICE_STATUS));
    let target = rng.range(160, 590);
    let mut samples = String::new();
    let mut value = rng.decimal(0.0, 100.0);
    while head.len() + samples.len() + tail.len() + 8 < target {
        if !samples.is_empty() {
            samples.push(',');
        }
        value = (value + rng.decimal(-2.0, 2.0)).clamp(0.0, 100.0);
        samples.push_str(&format!("{value:.2}"));
    }
    format!("{head}{samples}{tail}")
}

fn presence(rng: &mut Rng, ts: u64) -> String {
    let user = rng.range(0, NAMES.len());
    let head = format!(
        r#"{{"type":"presence","user":{{"id":{},"name":"{}"}},"status":"{}","ts":{ts},"rooms":["#,
        1000 + user,
        NAMES[user],
        rng.pick(&PRESENCE),
    );
    let target = rng.range(80, 240);
    let mut rooms = String::new();
    let mut count = 0;
    while head.len() + rooms.len() + 2 < target && count < ROOMS.len() {
        if !rooms.is_empty() {
            rooms.push(',');
        }
        rooms.push_str(&format!(r#""{}""#, ROOMS[(user + count * 5) % ROOMS.len()]));
        count += 1;
    }
    format!("{head}{rooms}]}}")
}

fn ns_per(time: Duration, n: usize) -> f64 {
    time.as_nanos() as f64 / n as f64
}

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / time.as_secs_f64() / 1e6
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

fn main() {
    let runs = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse::<usize>()
            .ok()
            .filter(|&runs| runs > 0)
            .expect("usage: deflate [RUNS]"),
        None => RUNS,
    };
    let texts = corpus();
    let corpus: Vec<Message> = texts
        .iter()
        .map(|(_, m)| Message::text(m.as_str()))
        .collect();
    let n = corpus.len();
    let payload: usize = corpus.iter().map(|m| m.payload().len()).sum();
    let (min, max) = corpus.iter().fold((usize::MAX, 0), |(lo, hi), m| {
        (lo.min(m.payload().len()), hi.max(m.payload().len()))
    });
    println!(
        "corpus: {n} JSON text messages, {payload} bytes (mean {:.0}, min {min}, max {max}); \
         level 6; best of {runs} runs",
        payload as f64 / n as f64,
    );
    describe(&texts);
    drop(texts);
    println!();

    let setups: Vec<Option<Setup>> = std::iter::once(None)
        .chain(setups().into_iter().map(Some))
        .collect();
    let timings = measure(&corpus, &setups, runs);
    let (base_tx, base_rx) = held(&corpus, None);
    let state = setups
        .iter()
        .flatten()
        .map(|&setup| state_box(setup))
        .max()
        .unwrap_or(0);

    println!(
        "| window bits | context takeover | mem_level | wire bytes | wire ÷ payload | \
         send ns/msg | send MB/s | receive ns/msg | receive MB/s | compressor | decompressor |"
    );
    println!("|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut lines = Vec::new();
    for (setup, timing) in setups.iter().zip(&timings) {
        let ratio = timing.wire as f64 / payload as f64;
        let send_ns = ns_per(timing.send, n);
        let send_mb = mb_per_s(payload, timing.send);
        let receive_ns = ns_per(timing.receive, n);
        let receive_mb = mb_per_s(payload, timing.receive);
        let wire = timing.wire;
        let Some(setup) = setup else {
            println!(
                "| off (no deflate) | – | – | {wire} | {ratio:.3} | {send_ns:.0} | {send_mb:.0} | \
                 {receive_ns:.0} | {receive_mb:.0} | – | – |"
            );
            lines.push(format!(
                "deflate=off payload_bytes={payload} wire_bytes={wire} ratio={ratio:.4} \
                 send_ns_per_msg={send_ns:.1} send_mb_s={send_mb:.1} \
                 receive_ns_per_msg={receive_ns:.1} receive_mb_s={receive_mb:.1} \
                 sender_bytes={base_tx} receiver_bytes={base_rx}"
            ));
            continue;
        };
        let (tx, rx) = held(&corpus, Some(*setup));
        let compressor = tx.saturating_sub(base_tx + state);
        let decompressor = rx.saturating_sub(base_rx + state);
        let (bits, takeover, mem_level) = (setup.window_bits, setup.takeover(), setup.mem_level);
        println!(
            "| {bits} | {takeover} | {mem_level} | {wire} | {ratio:.3} | {send_ns:.0} | \
             {send_mb:.0} | {receive_ns:.0} | {receive_mb:.0} | {:.1} KiB | {:.1} KiB |",
            kib(compressor),
            kib(decompressor),
        );
        lines.push(format!(
            "deflate=on window_bits={bits} context_takeover={takeover} level=6 \
             mem_level={mem_level} payload_bytes={payload} wire_bytes={wire} ratio={ratio:.4} \
             compress_ns_per_msg={send_ns:.1} compress_mb_s={send_mb:.1} \
             inflate_ns_per_msg={receive_ns:.1} inflate_mb_s={receive_mb:.1} \
             compressor_bytes={compressor} decompressor_bytes={decompressor} state_bytes={state}"
        ));
    }
    println!();
    println!(
        "ns/msg and MB/s: the whole send (compress + frame + copy out) and receive (frame + \
         inflate) paths, payload bytes per second. Memory: bytes held after {WARM} messages, \
         minus a connection without deflate (sender {base_tx} B, receiver {base_rx} B) and the \
         deflate state box ({state} B)."
    );
    println!();
    for line in lines {
        println!("{line}");
    }
}
