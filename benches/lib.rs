//! Shared helpers for the wangge benchmarks (placeholder until the benches land).
