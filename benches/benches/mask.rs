//! Throughput of `sansws::frame::apply_mask` against `copy_from_slice` (memcpy, the memory
//! bandwidth limit for touching every byte), the same masking source compiled without its AVX2
//! dispatch (`safe`: what no-std and non-x86 builds run, SSE2 here) and a byte-by-byte loop.
//!
//! Every size is run with the slice start 64-byte aligned and 1 byte past that.

use criterion::{black_box, BenchmarkId, Criterion, Throughput};

/// `core/src/frame/mask.rs` itself, compiled into this crate: this crate has no `std` feature, so
/// its AVX2 module is left out and only the safe, autovectorized code remains.
#[allow(unexpected_cfgs, unreachable_pub, dead_code)]
#[rustfmt::skip]
#[path = "../../core/src/frame/mask.rs"]
mod safe;

/// The definition, byte by byte (the placeholder this crate started with).
fn bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[(offset + i) & 3];
    }
}

/// One masking implementation under test.
type MaskFn = fn(&mut [u8], [u8; 4], usize);

fn bench_mask(c: &mut Criterion) {
    const SIZES: [usize; 8] = [16, 64, 125, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 1 << 20];
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let impls: [(&str, MaskFn); 3] = [
        ("apply_mask", sansws::frame::apply_mask),
        ("safe", safe::apply_mask),
        ("bytewise", bytewise),
    ];
    let mut group = c.benchmark_group("mask");
    for len in SIZES {
        group.throughput(Throughput::Bytes(len as u64));
        let src = vec![0x5a_u8; len];
        let mut store = vec![0xa5_u8; len + 128];
        let aligned = store.as_ptr().align_offset(64);
        for (alignment, start) in [("aligned", aligned), ("unaligned", aligned + 1)] {
            let dst = start..start + len;
            group.bench_function(BenchmarkId::new(format!("memcpy/{alignment}"), len), |b| {
                b.iter(|| store[dst.clone()].copy_from_slice(black_box(&src)));
            });
            for (name, mask) in impls {
                if name == "bytewise" && len > 64 << 10 {
                    continue; // slow and uninformative at 1 MiB
                }
                group.bench_function(BenchmarkId::new(format!("{name}/{alignment}"), len), |b| {
                    b.iter(|| mask(black_box(&mut store[dst.clone()]), black_box(key), 1));
                });
            }
        }
    }
    group.finish();
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_mask(&mut criterion);
    criterion.final_summary();
}
