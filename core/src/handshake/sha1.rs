//! SHA-1 (FIPS 180-4 §6.1), only as the opening handshake needs it: `Sec-WebSocket-Accept`
//! is base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2). SHA-1 is not collision resistant; here it
//! only proves the server read the key, which is all RFC 6455 asks of it.
//!
//! Written for size, not speed: the 80 rounds are one loop over a 16-word circular message
//! schedule, and input is taken a byte at a time (the handshake hashes 60 bytes).

/// A SHA-1 computation in progress.
#[derive(Clone)]
pub(super) struct Sha1 {
    /// The intermediate hash value H0..H4.
    state: [u32; 5],
    /// The block being filled, as the big-endian words `compress` reads: each byte is
    /// shifted into its word, so four pushes replace a word whatever it held.
    block: [u32; 16],
    /// Bytes hashed so far, modulo 2^32 (so `len % 64` bytes of the block are filled) ...
    len: u32,
    /// ... and how many times that count wrapped: the length padding carries the full
    /// 64-bit bit count. (Two `u32`s rather than a `u64` keep the value 4-aligned, so that
    /// zeroing it needs no 8-aligned memset on 32-bit targets.)
    wraps: u32,
}

impl Sha1 {
    /// The initial hash value (FIPS 180-4 §5.3.1).
    pub(super) const fn new() -> Self {
        Sha1 {
            state: [
                0x6745_2301,
                0xEFCD_AB89,
                0x98BA_DCFE,
                0x1032_5476,
                0xC3D2_E1F0,
            ],
            block: [0; 16],
            len: 0,
            wraps: 0,
        }
    }

    /// Appends `data` to the message.
    pub(super) fn update(&mut self, data: &[u8]) {
        for &byte in data {
            self.push(byte);
        }
    }

    /// Pads the message (FIPS 180-4 §5.1.1) and returns its digest.
    pub(super) fn finish(mut self) -> [u8; 20] {
        let bits = (u64::from(self.wraps) << 32 | u64::from(self.len)).wrapping_mul(8);
        self.push(0x80);
        while self.len % 64 != 56 {
            self.push(0);
        }
        self.update(&bits.to_be_bytes());
        let mut digest = [0u8; 20];
        for (out, word) in digest.chunks_exact_mut(4).zip(&self.state) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        digest
    }

    fn push(&mut self, byte: u8) {
        let at = (self.len % 64) as usize;
        let word = &mut self.block[at / 4];
        *word = *word << 8 | u32::from(byte);
        self.len = self.len.wrapping_add(1);
        if self.len == 0 {
            self.wraps = self.wraps.wrapping_add(1);
        }
        if at == 63 {
            compress(&mut self.state, &mut self.block);
        }
    }
}

/// Hashes one 512-bit block into `state` (FIPS 180-4 §6.1.2). The block's 16 words become
/// the circular message schedule, so they are overwritten.
fn compress(state: &mut [u32; 5], w: &mut [u32; 16]) {
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for t in 0..80 {
        let s = t & 15;
        if t >= 16 {
            // W[t] = ROTL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16]), kept in 16 words.
            let x = w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[s];
            w[s] = x.rotate_left(1);
        }
        let (f, k) = match t / 20 {
            0 => ((b & c) | (!b & d), 0x5A82_7999),
            1 => (b ^ c ^ d, 0x6ED9_EBA1),
            2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let temp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(w[s]);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = temp;
    }
    for (h, v) in state.iter_mut().zip(&[a, b, c, d, e]) {
        *h = h.wrapping_add(*v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(digest: [u8; 20]) -> [u8; 40] {
        let mut out = [0u8; 40];
        for (pair, byte) in out.chunks_exact_mut(2).zip(digest) {
            pair[0] = b"0123456789abcdef"[usize::from(byte >> 4)];
            pair[1] = b"0123456789abcdef"[usize::from(byte & 15)];
        }
        out
    }

    fn sha1(data: &[u8]) -> [u8; 40] {
        let mut h = Sha1::new();
        h.update(data);
        hex(h.finish())
    }

    /// FIPS 180-2 appendix A and RFC 3174 §7.3, and the empty message.
    #[test]
    fn standard_vectors() {
        assert_eq!(&sha1(b"abc"), b"a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            &sha1(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            b"84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(&sha1(b""), b"da39a3ee5e6b4b0d3255bfef95601890afd80709");
        // RFC 3174 test 4: 64 bytes, repeated ten times.
        let mut h = Sha1::new();
        for _ in 0..10 {
            h.update(b"0123456701234567012345670123456701234567012345670123456701234567");
        }
        assert_eq!(
            &hex(h.finish()),
            b"dea356a2cddd90c7a7ecedc5ebb563934f460452"
        );
    }

    /// FIPS 180-2 appendix A.3: one million `a`, fed in pieces of every size up to 1000.
    #[test]
    fn one_million_a() {
        let mut h = Sha1::new();
        let piece = [b'a'; 1000];
        let mut left = 1_000_000usize;
        let mut size = 1;
        while left > 0 {
            let n = size.min(left);
            h.update(&piece[..n]);
            left -= n;
            size = size % 1000 + 1;
        }
        assert_eq!(
            &hex(h.finish()),
            b"34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    /// The byte count carries into `wraps` (a 4 GiB message is too long to hash in a test).
    #[test]
    fn length_counter_carries() {
        let mut h = Sha1::new();
        h.len = u32::MAX - 1;
        h.update(b"xyz");
        assert_eq!((h.wraps, h.len), (1, 1));
    }

    /// Message lengths around the padding boundaries (55, 56, 63, 64 and 65 bytes) hash the
    /// same whether fed whole or a byte at a time.
    #[test]
    fn padding_boundaries_and_splits() {
        let data = [0x5Au8; 130];
        for len in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 130] {
            let whole = sha1(&data[..len]);
            let mut h = Sha1::new();
            for byte in &data[..len] {
                h.update(core::slice::from_ref(byte));
            }
            assert_eq!(hex(h.finish()), whole, "{len}");
        }
        // Two known lengths at the boundary: 56 and 64 bytes of 'a'.
        assert_eq!(
            &sha1(&[b'a'; 56]),
            b"c2db330f6083854c99d4b5bfb6e8f29f201be699"
        );
        assert_eq!(
            &sha1(&[b'a'; 64]),
            b"0098ba824b5c16427bd7a1122a5a442a25ec644d"
        );
    }
}
