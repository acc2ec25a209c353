//! `mask`: [`apply_mask`] against the definition, byte by byte.

use arbitrary::{Arbitrary, Unstructured};
use sansws::frame::apply_mask;

/// What one run masks and how.
#[derive(Debug, Arbitrary)]
struct MaskInput {
    key: [u8; 4],
    offset: u64,
    /// Where the buffer starts relative to a 64-byte aligned allocation.
    misalign: u8,
    /// The payload is this many copies of `payload` (so long buffers take the SIMD paths).
    repeat: u8,
    /// Chunk lengths (cycled) for the chunked pass.
    chunks: Vec<u16>,
    payload: Vec<u8>,
}

/// The definition (RFC 6455 §5.3): byte `i` XOR `key[(offset + i) % 4]`.
fn reference(buf: &mut [u8], key: [u8; 4], offset: u64) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(offset.wrapping_add(i as u64) % 4) as usize];
    }
}

/// Input: an arbitrary `MaskInput` (key, offset, misalignment, repeat, chunk sizes, payload). Masking the whole buffer at once and in arbitrary chunks
/// with a running offset both equal the byte-by-byte reference, at any alignment; masking
/// twice restores the input.
pub fn mask(data: &[u8]) {
    let Ok(input) = MaskInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let repeat = usize::from(input.repeat % 64).max(1);
    let payload: Vec<u8> = input.payload.repeat(repeat);
    let offset = input.offset as usize;
    let misalign = usize::from(input.misalign % 64);

    let mut expected = payload.clone();
    reference(&mut expected, input.key, offset as u64);

    // Whole, at the chosen alignment.
    let mut storage = vec![0u8; payload.len() + 64];
    let start = storage.as_ptr().align_offset(64).min(64) + misalign;
    let start = start.min(storage.len() - payload.len());
    let buf = &mut storage[start..start + payload.len()];
    buf.copy_from_slice(&payload);
    apply_mask(buf, input.key, offset);
    assert!(buf == &expected[..], "whole buffer, offset {offset}");
    apply_mask(buf, input.key, offset);
    assert!(buf == &payload[..], "masking twice");

    // In chunks with a running offset.
    let mut buf = payload.clone();
    let mut at = 0;
    let mut sizes = input.chunks.iter().cycle();
    while at < buf.len() {
        let size = sizes.next().map_or(buf.len(), |&n| usize::from(n)).max(1);
        let end = (at + size).min(buf.len());
        apply_mask(&mut buf[at..end], input.key, offset.wrapping_add(at));
        at = end;
    }
    assert!(buf == expected, "chunked, offset {offset}");
}
