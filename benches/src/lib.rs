//! Benchmarks of sansws: see `benches/` and `BENCHMARKS.md`.
