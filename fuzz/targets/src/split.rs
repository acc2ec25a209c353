//! Deterministic split points derived from a seed byte, shared by the targets that feed the
//! same input in pieces.

/// Chunk lengths covering `len` bytes, drawn from `seed`: `0` means one byte at a time, any
/// other value pseudo-random lengths in `1..=seed` (so small seeds give fine splits).
pub fn chunks(len: usize, seed: u8) -> Vec<usize> {
    let mut out = Vec::new();
    let mut state = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    let mut at = 0;
    while at < len {
        let step = if seed == 0 {
            1
        } else {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            1 + (state % u32::from(seed)) as usize
        };
        let step = step.min(len - at);
        out.push(step);
        at += step;
    }
    out
}

/// The prefix lengths at the end of each chunk of [`chunks`] (the last is `len`; none when
/// `len` is 0).
pub fn prefix_ends(len: usize, seed: u8) -> Vec<usize> {
    let mut at = 0;
    chunks(len, seed)
        .into_iter()
        .map(|n| {
            at += n;
            at
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_input() {
        for seed in [0, 1, 2, 7, 255] {
            for len in [0, 1, 5, 300] {
                assert_eq!(chunks(len, seed).iter().sum::<usize>(), len);
                assert!(chunks(len, seed).iter().all(|&n| n >= 1));
            }
        }
        assert_eq!(prefix_ends(3, 0), [1, 2, 3]);
    }
}
