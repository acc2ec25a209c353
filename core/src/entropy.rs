//! Randomness the caller supplies: client masking keys and `Sec-WebSocket-Key` (RFC 6455 §5.3,
//! §10.3 ask for a strong source). The core never reaches for randomness itself.

/// Fills a buffer with unpredictable bytes.
///
/// A plain function pointer so a connection stays `Copy`-free of generics and works without an
/// allocator: a microcontroller passes a function reading its hardware RNG; with `std`,
/// [`os_entropy`] is ready to use.
pub type Entropy = fn(&mut [u8]);

/// Entropy from the operating system, by way of the standard library's randomly keyed SipHash.
///
/// `std::collections::hash_map::RandomState` is keyed from OS randomness once per thread; each
/// output block hashes a fresh counter with a fresh `RandomState`, so outputs are
/// unpredictable to a peer without any extra dependency.
#[cfg(feature = "std")]
pub fn os_entropy(dest: &mut [u8]) {
    use core::hash::{BuildHasher, Hasher};
    use core::sync::atomic::{AtomicU64, Ordering};
    use std::collections::hash_map::RandomState;

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for chunk in dest.chunks_mut(8) {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        let word = hasher.finish().to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn os_entropy_differs_between_calls() {
        let (mut a, mut b) = ([0u8; 19], [0u8; 19]);
        os_entropy(&mut a);
        os_entropy(&mut b);
        assert_ne!(a, b);
        assert_ne!(a, [0; 19]);
    }
}
