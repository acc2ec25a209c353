//! Payload masking (RFC 6455 §5.3).
//!
//! [`apply_mask`] rotates the key to the phase of the first byte, masks a short head so the body
//! starts on an [`ALIGN`]-byte boundary, then masks the body eight bytes at a time with the key
//! doubled into a `u64`: a loop LLVM turns into unrolled vector XORs with the key held in a
//! register (SSE2 on x86_64, NEON, simd128, ...). All of that is safe code. (A 32- or 64-byte
//! array of key bytes XORed lane by lane vectorizes too, but LLVM reloads the array from the
//! stack on every step: the `mask` benchmark measured that 1.5–1.8x slower.)
//!
//! On x86 with `std`, when the build does not already target AVX2, long buffers go through the
//! same code compiled for AVX2 if the CPU has it (module `simd`, the only `unsafe` here): the
//! `mask` benchmark measured it at about 1.5–1.9x the SSE2 code from 4 KiB to 1 MiB.

#[cfg(all(
    feature = "std",
    any(target_arch = "x86", target_arch = "x86_64"),
    not(target_feature = "avx2")
))]
#[allow(unsafe_code)]
mod simd;

/// The alignment of the body of a long buffer: one AVX2 register, two SSE2/NEON ones.
const ALIGN: usize = 32;

/// Buffers shorter than this are not aligned first: the head would cost more than it saves.
const ALIGN_MIN: usize = 128;

/// XORs `buf` in place with the masking `key`, as if `buf` started `offset` bytes into the
/// payload, so a payload can be (un)masked in chunks as it arrives.
///
/// Byte `i` of `buf` is XORed with `key[(offset + i) % 4]`; masking twice with the same key and
/// offset restores the input.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = phase(key, offset);
    #[cfg(all(
        feature = "std",
        any(target_arch = "x86", target_arch = "x86_64"),
        not(target_feature = "avx2")
    ))]
    if buf.len() >= simd::MIN_LEN && simd::mask_avx2(buf, key) {
        return;
    }
    mask_in_phase(buf, key);
}

/// [`apply_mask`] for a short payload from its first byte (a control frame, a small message):
/// the word loop only, inlined where it is used, with no call and no phase to compute.
#[inline(always)]
pub(crate) fn apply_mask_short(buf: &mut [u8], key: [u8; 4]) {
    mask_words(buf, key);
}

/// The key as seen from a byte `offset` bytes into the payload.
#[inline(always)]
fn phase(key: [u8; 4], offset: usize) -> [u8; 4] {
    // `key[(offset + i) % 4]` for i in 0..4, as one rotate (`<[u8]>::rotate_left` is a loop).
    let shift = 8 * (offset & 3) as u32;
    u32::from_le_bytes(key).rotate_right(shift).to_le_bytes()
}

/// Masks `buf` with `key` already in phase with `buf[0]`: a short head up to an [`ALIGN`]-byte
/// boundary, then the rest a word at a time, a loop LLVM turns into unrolled vector XORs with the
/// key broadcast in a register. This is the safe scalar twin of the AVX2 path, which is this very
/// function compiled with AVX2 enabled.
#[inline(always)]
fn mask_in_phase(buf: &mut [u8], key: [u8; 4]) {
    let head_len = if buf.len() < ALIGN_MIN {
        0
    } else {
        // `align_offset` may in principle give up (`usize::MAX`); then everything is "head".
        buf.as_ptr().align_offset(ALIGN).min(buf.len())
    };
    let (head, body) = buf.split_at_mut(head_len);
    mask_words(head, key);
    mask_words(body, phase(key, head_len));
}

/// Masks `buf` eight bytes at a time, then four, then one; `key` is in phase with `buf[0]`. The
/// eight-byte loop is what LLVM vectorizes for a long body; a short buffer or a head only ever
/// runs its scalar steps.
#[inline(always)]
fn mask_words(buf: &mut [u8], key: [u8; 4]) {
    let key4 = u32::from_ne_bytes(key);
    // The key twice, in memory order, whatever the endianness.
    let key8 = u64::from(key4) << 32 | u64::from(key4);
    let mut words = buf.chunks_exact_mut(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        word.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ key8).to_ne_bytes());
    }
    let mut rest = words.into_remainder();
    if rest.len() >= 4 {
        let (word, tail) = rest.split_at_mut(4);
        let mut bytes = [0u8; 4];
        bytes.copy_from_slice(word);
        word.copy_from_slice(&(u32::from_ne_bytes(bytes) ^ key4).to_ne_bytes());
        rest = tail;
    }
    for (byte, k) in rest.iter_mut().zip(key) {
        *byte ^= k;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// Offsets tried everywhere: every phase, plus large ones (only `offset % 4` may matter).
    const OFFSETS: [usize; 9] = [0, 1, 2, 3, 4, 7, 1_000_001, usize::MAX - 1, usize::MAX];

    /// The definition, byte by byte.
    fn reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte ^= key[(offset % 4 + i % 4) % 4];
        }
    }

    /// Deterministic pseudo-random bytes (an LCG), so no test depends on a crate.
    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect()
    }

    /// Checks `mask` against [`reference`] for every length up to `max_len`, every offset in
    /// [`OFFSETS`] and every start address modulo [`ALIGN`].
    fn check_against_reference(mask: impl Fn(&mut [u8], [u8; 4], usize), max_len: usize) {
        let starts = if cfg!(miri) { 0..4 } else { 0..ALIGN };
        let lens = if cfg!(miri) { 60..=70 } else { 0..=max_len };
        let source = noise(max_len + ALIGN, 1);
        let mut buf = [0u8; 300 + ALIGN];
        let mut expected = [0u8; 300 + ALIGN];
        for start in starts {
            for len in lens.clone() {
                for offset in OFFSETS {
                    let range = start..start + len;
                    buf[range.clone()].copy_from_slice(&source[range.clone()]);
                    expected[range.clone()].copy_from_slice(&source[range.clone()]);
                    mask(&mut buf[range.clone()], KEY, offset);
                    reference(&mut expected[range.clone()], KEY, offset);
                    assert_eq!(
                        buf[range.clone()],
                        expected[range],
                        "len {len} offset {offset}"
                    );
                }
            }
        }
    }

    #[test]
    fn matches_reference_for_every_length_offset_and_alignment() {
        check_against_reference(apply_mask, 300);
    }

    #[test]
    fn scalar_twin_matches_reference() {
        check_against_reference(
            |buf, key, offset| mask_in_phase(buf, phase(key, offset)),
            300,
        );
        check_against_reference(|buf, key, offset| mask_words(buf, phase(key, offset)), 300);
        check_against_reference(
            |buf, key, offset| apply_mask_short(buf, phase(key, offset)),
            125,
        );
    }

    #[cfg(all(
        feature = "std",
        any(target_arch = "x86", target_arch = "x86_64"),
        not(target_feature = "avx2")
    ))]
    #[test]
    fn avx2_path_matches_reference() {
        if !std::is_x86_feature_detected!("avx2") {
            std::eprintln!("no AVX2 on this CPU: only the scalar path was tested");
            return;
        }
        check_against_reference(
            |buf, key, offset| assert!(simd::mask_avx2(buf, phase(key, offset))),
            300,
        );
    }

    #[test]
    fn large_misaligned_buffers_match_reference() {
        let len = if cfg!(miri) { 4096 + 3 } else { (1 << 20) + 3 };
        let source = noise(len, 2);
        for start in [0, 1, 3] {
            for offset in [0, 1, 2, 3, usize::MAX] {
                let mut buf = source.clone();
                let mut expected = source.clone();
                apply_mask(&mut buf[start..], KEY, offset);
                reference(&mut expected[start..], KEY, offset);
                assert!(buf == expected, "start {start} offset {offset}");
            }
        }
    }

    #[test]
    fn chunked_unmasking_matches_whole() {
        let len = if cfg!(miri) { 80 } else { 300 };
        let payload = noise(len, 3);
        let mut whole = payload.clone();
        apply_mask(&mut whole, KEY, 0);
        // Every split point into two parts.
        for split in 0..=len {
            let mut parts = payload.clone();
            let (first, second) = parts.split_at_mut(split);
            apply_mask(first, KEY, 0);
            apply_mask(second, KEY, split);
            assert_eq!(parts, whole, "split at {split}");
        }
        // Many uneven chunks with a running offset.
        for step in 1..=70 {
            let mut chunks = payload.clone();
            let mut offset = 0;
            for (n, chunk) in chunks.chunks_mut(step).enumerate() {
                // Vary the chunk sizes within the payload: split each chunk again unevenly.
                let (a, b) = chunk.split_at_mut(n % (chunk.len() + 1));
                apply_mask(a, KEY, offset);
                apply_mask(b, KEY, offset + a.len());
                offset += a.len() + b.len();
            }
            assert_eq!(chunks, whole, "chunks of {step}");
        }
    }

    #[test]
    fn masking_twice_restores_input() {
        let len = if cfg!(miri) { 200 } else { 70_000 };
        let payload = noise(len, 4);
        for start in [0, 1, 2, 3, 5] {
            for offset in OFFSETS {
                let mut buf = payload.clone();
                apply_mask(&mut buf[start..], KEY, offset);
                assert!(len < 16 || buf[start..] != payload[start..]);
                apply_mask(&mut buf[start..], KEY, offset);
                assert!(buf == payload, "start {start} offset {offset}");
            }
        }
    }

    #[test]
    fn empty_and_zero_key_are_no_ops() {
        apply_mask(&mut [], KEY, 3);
        let payload = noise(100, 5);
        let mut buf = payload.clone();
        apply_mask(&mut buf, [0; 4], 1);
        assert_eq!(buf, payload);
    }

    #[test]
    fn rfc_6455_example() {
        // §5.7: a masked "Hello" from a client.
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }
}
