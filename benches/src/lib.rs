//! Benchmarks of sansws: criterion benches in `benches/`, and the echo load tools in
//! `src/bin/` (`load`, `idle`, and the peers' echo servers), driven by `scripts/`.
//!
//! This library holds what the load tools share: a client upgrade done by hand, so that the
//! load side never runs the code it measures.

pub mod memory;

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// A fixed upgrade request (the key is the RFC 6455 §1.3 sample: the load side does not
/// need randomness, and checking the answer is not its job).
pub fn upgrade_request(host: &str, path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// Upgrades a blocking stream: writes the request, reads up to the end of the 101 head.
/// Returns the bytes read past the head.
pub fn upgrade_blocking(stream: &mut TcpStream, host: &str) -> io::Result<Vec<u8>> {
    stream.write_all(&upgrade_request(host, "/"))?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 512];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = find_head_end(&head) {
            if !head.starts_with(b"HTTP/1.1 101") {
                return Err(io::Error::other("upgrade refused"));
            }
            return Ok(head.split_off(end));
        }
        if head.len() > 8192 {
            return Err(io::Error::other("response head too long"));
        }
    }
}

/// The length of an HTTP head (through its blank line), if complete.
pub fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// A masked binary frame with `len` payload bytes, encoded once and replayed.
pub fn masked_binary_frame(len: usize) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x82];
    match len {
        0..=125 => frame.push(0x80 | len as u8),
        126..=0xFFFF => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&key);
    frame.extend((0..len).map(|i| (i as u8) ^ key[i % 4]));
    frame
}

/// The answer to an upgrade request head (`None` without a `Sec-WebSocket-Key`): the 101 the
/// peers' echo servers that have no server handshake of their own send (`raw_echo`,
/// `fastwebsockets_echo`). Not a validating handshake: the load tools send a fixed, valid one.
pub fn upgrade_response(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let key = text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("sec-websocket-key")
            .then(|| value.trim())
    })?;
    let accept = sansws::handshake::AcceptKey::from_key(key.as_bytes());
    Some(
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            accept.as_str()
        )
        .into_bytes(),
    )
}

/// The length of the server frame at the start of `bytes`, if its header is there. A masked
/// frame (what `raw_echo` sends back: the client's own bytes) counts its 4-byte key.
pub fn server_frame_len(bytes: &[u8]) -> Option<usize> {
    let second = *bytes.get(1)?;
    let key = if second & 0x80 != 0 { 4 } else { 0 };
    let len7 = second & 0x7F;
    Some(
        key + match len7 {
            126 => 4 + usize::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?])),
            127 => {
                let raw: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
                10 + usize::try_from(u64::from_be_bytes(raw)).ok()?
            }
            n => 2 + usize::from(n),
        },
    )
}

/// Resident memory of a process in bytes, from `/proc/PID/status`.
pub fn rss_bytes(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| io::Error::other("no VmRSS"))?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| io::Error::other("bad VmRSS"))?;
    Ok(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths_round_trip() {
        for len in [0, 20, 125, 126, 1024, 65535, 65536] {
            let mut frame = masked_binary_frame(len);
            // The server's answer is the same frame unmasked.
            frame[1] &= 0x7F;
            let header = frame.len() - len - 4;
            frame.drain(header..header + 4);
            assert_eq!(server_frame_len(&frame), Some(frame.len()), "{len}");
        }
        for len in [0, 20, 126, 70_000] {
            let frame = masked_binary_frame(len);
            assert_eq!(server_frame_len(&frame), Some(frame.len()), "masked {len}");
        }
        assert_eq!(server_frame_len(&[0x82]), None);
        let answer = upgrade_response(&upgrade_request("h", "/")).unwrap();
        let answer = String::from_utf8(answer).unwrap();
        // RFC 6455 §1.3's sample key and accept value.
        assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert_eq!(find_head_end(b"HTTP/1.1 101 x\r\n\r\nrest"), Some(18));
    }
}
