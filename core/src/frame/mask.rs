//! Payload masking (RFC 6455 §5.3).

/// XORs `buf` in place with the masking `key`, as if `buf` started `offset` bytes into the
/// payload, so a payload can be (un)masked in chunks as it arrives.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(offset + i) & 3];
    }
}
