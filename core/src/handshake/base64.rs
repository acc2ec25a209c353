//! Base64 (RFC 4648 §4: the standard alphabet, with padding), only as the opening handshake
//! needs it: encoding the 16-byte nonce of `Sec-WebSocket-Key` and the 20-byte digest of
//! `Sec-WebSocket-Accept`, and strictly decoding a received key.

/// Writes the padded base64 of `input` into `out`, which holds `4 * ceil(input.len() / 3)`
/// bytes (24 for a 16-byte nonce, 28 for a 20-byte digest); anything past that is untouched.
pub(super) fn encode(input: &[u8], out: &mut [u8]) {
    for (chunk, quad) in input.chunks(3).zip(out.chunks_exact_mut(4)) {
        let mut group = 0u32;
        for (i, &byte) in chunk.iter().enumerate() {
            group |= u32::from(byte) << (16 - 8 * i);
        }
        // `n` input bytes give `n + 1` symbols; the rest of the quad is padding.
        for (i, out) in quad.iter_mut().enumerate() {
            *out = if i <= chunk.len() {
                symbol((group >> (18 - 6 * i)) as u8 & 63)
            } else {
                b'='
            };
        }
    }
}

/// Decodes a `Sec-WebSocket-Key`: `Some` only if `key` is the canonical padded base64 of
/// exactly 16 bytes (22 symbols, `==`, and the 4 bits the last symbol carries beyond the
/// 16th byte all zero, so that each nonce has exactly one encoding).
pub(super) fn decode_key(key: &[u8; 24]) -> Option<[u8; 16]> {
    let (symbols, padding) = key.split_at(22);
    if padding != b"==" {
        return None;
    }
    let mut out = [0u8; 16];
    let mut acc = 0u32;
    let mut bits = 0;
    let mut n = 0;
    for &c in symbols {
        acc = acc << 6 | u32::from(value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out[n] = (acc >> bits) as u8;
            n += 1;
        }
    }
    // 22 symbols carry 132 bits: 128 of data, then the 4 that must be zero.
    (acc & 0xF == 0).then_some(out)
}

/// The symbol for a 6-bit value.
fn symbol(v: u8) -> u8 {
    match v {
        0..=25 => b'A' + v,
        26..=51 => b'a' + (v - 26),
        52..=61 => b'0' + (v - 52),
        62 => b'+',
        _ => b'/',
    }
}

/// The 6-bit value of a symbol; `None` for anything outside the alphabet (`=` included).
fn value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(input: &[u8]) -> ([u8; 40], usize) {
        let len = input.len().div_ceil(3) * 4;
        let mut out = [b'.'; 40];
        encode(input, &mut out);
        assert!(out[len..].iter().all(|&b| b == b'.'), "wrote past the end");
        (out, len)
    }

    /// RFC 4648 §10.
    #[test]
    fn rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let (out, len) = encoded(input.as_bytes());
            assert_eq!(&out[..len], expected.as_bytes(), "{input:?}");
        }
    }

    #[test]
    fn alphabet_round_trips() {
        for v in 0..64u8 {
            assert_eq!(value(symbol(v)), Some(v));
        }
        let mut symbols = 0;
        for c in 0..=255u8 {
            if let Some(v) = value(c) {
                assert_eq!(symbol(v), c);
                symbols += 1;
            }
        }
        assert_eq!(symbols, 64);
        // The URL-safe alphabet (RFC 4648 §5) and padding are not symbols.
        assert_eq!((value(b'-'), value(b'_'), value(b'=')), (None, None, None));
    }

    #[test]
    fn digest_and_key_lengths() {
        let (out, len) = encoded(&[0xFF; 20]);
        assert_eq!(&out[..len], b"//////////////////////////8=");
        let (out, len) = encoded(&[0; 16]);
        assert_eq!(&out[..len], b"AAAAAAAAAAAAAAAAAAAAAA==");
    }

    #[test]
    fn keys_round_trip() {
        for seed in 0..=255u8 {
            let nonce: [u8; 16] = core::array::from_fn(|i| seed.wrapping_mul(31) ^ (i as u8 * 17));
            let mut key = [0u8; 24];
            encode(&nonce, &mut key);
            assert_eq!(decode_key(&key), Some(nonce));
        }
        assert_eq!(
            decode_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            Some(*b"the sample nonce")
        );
    }

    #[test]
    fn rejects_non_canonical_keys() {
        let good = *b"dGhlIHNhbXBsZSBub25jZQ==";
        // The last symbol may only be one whose low 4 bits are zero: A, Q, g or w.
        for c in 0..=255u8 {
            let mut key = good;
            key[21] = c;
            let canonical = matches!(c, b'A' | b'Q' | b'g' | b'w');
            assert_eq!(decode_key(&key).is_some(), canonical, "{c:#x}");
        }
        // Any byte outside the alphabet, anywhere in the 22 symbols.
        for at in 0..22 {
            for c in [b'=', b'-', b'_', b' ', b'.', 0, 0x80, 0xFF] {
                let mut key = good;
                key[at] = c;
                assert_eq!(decode_key(&key), None, "{at} {c:#x}");
            }
        }
        // Padding must be exactly `==`.
        for padding in [b"A=", b"=A", b"AA", b"= ", b"=\0"] {
            let mut key = good;
            key[22..].copy_from_slice(padding);
            assert_eq!(decode_key(&key), None, "{padding:?}");
        }
    }
}
