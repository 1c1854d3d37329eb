//! What the benchmarks share: one criterion configuration, so that every figure of BENCHMARKS.md is
//! measured the same way (the warm-up is the same everywhere; the sample size and measurement time are
//! what differs between a microsecond primitive and a millisecond envelope).

use criterion::Criterion;
use std::time::Duration;

/// Criterion with a 500 ms warm-up, `samples` samples and `seconds` of measurement per benchmark.
pub fn config(samples: usize, seconds: u64) -> Criterion {
    Criterion::default()
        .sample_size(samples)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(seconds))
}
