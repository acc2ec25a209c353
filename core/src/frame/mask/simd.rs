//! AVX2 code for long buffers, chosen at run time.
//!
//! There are no intrinsics here: the AVX2 path is the safe [`super::mask_in_phase`] compiled with
//! AVX2 enabled, so it agrees with its scalar twin by construction (and the tests check it at
//! every length, offset and alignment). The one `unsafe` operation is calling that
//! `#[target_feature]` function, which is sound exactly when the CPU supports AVX2.

/// The shortest buffer worth the feature check and the wider loop.
pub(super) const MIN_LEN: usize = 128;

/// Masks `buf` (with `key` in phase with `buf[0]`) using AVX2 if the CPU has it, and returns
/// whether it did; if not, `buf` is untouched.
pub(super) fn mask_avx2(buf: &mut [u8], key: [u8; 4]) -> bool {
    if !std::is_x86_feature_detected!("avx2") {
        return false;
    }
    // SAFETY: `mask_avx2_unchecked` requires only that the CPU supports AVX2, which was just
    // detected at run time.
    unsafe { mask_avx2_unchecked(buf, key) };
    true
}

/// [`super::mask_in_phase`] compiled for AVX2.
///
/// # Safety
///
/// The CPU running this must support AVX2 (check with `is_x86_feature_detected!("avx2")`).
#[target_feature(enable = "avx2")]
unsafe fn mask_avx2_unchecked(buf: &mut [u8], key: [u8; 4]) {
    super::mask_in_phase(buf, key);
}
