//! SP 800-90B §4.4 continuous health tests: the Repetition Count Test (RCT) and the Adaptive Proportion
//! Test (APT), plus start-up testing, applied to an entropy source's raw 8-bit samples.
//!
//! Cutoffs follow from the source's claimed min-entropy `H` (bits per 8-bit sample) and a false-positive
//! probability of `alpha = 2^-20`, the value SP 800-90B recommends:
//!
//! * RCT: `C = 1 + ceil(20 / H)` identical consecutive samples trip the test (§4.4.1).
//! * APT: in a window of `W = 512` samples (the non-binary window of §4.4.2), the first sample occurring
//!   `C = 1 + CRITBINOM(W, 2^-H, 1 - alpha)` times or more trips the test, where `CRITBINOM(n, p, q)` is
//!   the smallest `k` with `P[Binomial(n, p) <= k] >= q`.
//!
//! | claimed H (bits/byte) | RCT cutoff | APT cutoff (W = 512) |
//! |---|---|---|
//! | 8.0 | 4 | 13 |
//! | 7.0 | 4 | 18 |
//! | 6.0 | 5 | 25 |
//! | 4.0 | 6 | 62 |
//! | 2.0 | 11 | 177 |
//! | 1.0 | 21 | 311 |
//! | 0.5 | 41 | 410 |
//!
//! (The table is recomputed and checked by this module's tests.) Start-up: before a source delivers
//! anything, [`STARTUP_SAMPLES`] samples are drawn, run through both tests and discarded. A failure latches:
//! the source delivers nothing more until [`HealthTests::reset`] (which repeats the start-up test).
//!
//! What the tests catch: a stuck source (RCT), and a large loss of entropy that makes one value dominate
//! (APT). What they do not catch: subtle bias, correlations, or a source that outputs attacker-known but
//! well-distributed data (for example a deterministic PRNG). That is why every source's output only ever
//! feeds the DRBG's derivation function together with other inputs, never becomes a key directly.

use core::fmt;

/// `-log2(alpha)`: the false-positive exponent used for the cutoffs.
pub const ALPHA_EXPONENT: f64 = 20.0;
/// APT window for non-binary (8-bit) samples.
pub const APT_WINDOW: u32 = 512;
/// Samples tested and discarded at start-up (SP 800-90B §4.3 requires at least 1,024).
pub const STARTUP_SAMPLES: usize = 1024;

/// Which test tripped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HealthTest {
    /// Repetition Count Test.
    RepetitionCount,
    /// Adaptive Proportion Test.
    AdaptiveProportion,
}

/// Why a source was stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthFailure {
    /// The test that tripped.
    pub test: HealthTest,
    /// The count that reached the cutoff.
    pub count: u32,
    /// The cutoff.
    pub cutoff: u32,
    /// Position of the failing sample in the source's output (0-based, counting discarded start-up
    /// samples).
    pub sample_index: u64,
}

impl fmt::Display for HealthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.test {
            HealthTest::RepetitionCount => write!(
                f,
                "repetition count test: one value repeated {} times in a row (cutoff {}) at sample {}",
                self.count, self.cutoff, self.sample_index
            ),
            HealthTest::AdaptiveProportion => write!(
                f,
                "adaptive proportion test: one value seen {} times in a {}-sample window (cutoff {}) at sample {}",
                self.count, APT_WINDOW, self.cutoff, self.sample_index
            ),
        }
    }
}

/// The health state of a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthStatus {
    /// Start-up testing has not completed yet.
    Startup,
    /// All tests passed so far.
    Healthy,
    /// A test tripped; the source delivers nothing until reset.
    Failed(HealthFailure),
    /// The source is not monitored by qres (its output is not health-tested here).
    Unmonitored,
}

/// RCT cutoff for a claimed min-entropy of `h` bits per sample.
pub fn rct_cutoff(h: f64) -> u32 {
    1 + (ALPHA_EXPONENT / h).ceil() as u32
}

/// APT cutoff for a claimed min-entropy of `h` bits per sample and window `w`.
pub fn apt_cutoff(h: f64, w: u32) -> u32 {
    let p = 2f64.powf(-h);
    let q = 1.0 - 2f64.powf(-ALPHA_EXPONENT);
    1 + critbinom(w, p, q)
}

/// Smallest `k` with `P[Binomial(n, p) <= k] >= q`, summing the probability mass function in log space
/// (n is at most a few thousand, so this is exact to double precision).
fn critbinom(n: u32, p: f64, q: f64) -> u32 {
    let (ln_p, ln_q) = (p.ln(), (1.0 - p).ln());
    let mut ln_choose = 0.0f64; // ln C(n, 0)
    let mut cdf = 0.0f64;
    for k in 0..=n {
        if k > 0 {
            ln_choose += ((n - k + 1) as f64).ln() - (k as f64).ln();
        }
        cdf += (ln_choose + k as f64 * ln_p + (n - k) as f64 * ln_q).exp();
        if cdf >= q {
            return k;
        }
    }
    n
}

/// The RCT and APT state of one source.
#[derive(Clone, Debug)]
pub struct HealthTests {
    claim: f64,
    rct_cutoff: u32,
    apt_cutoff: u32,
    last: Option<u8>,
    run: u32,
    apt_reference: u8,
    apt_count: u32,
    apt_position: u32,
    samples: u64,
    status: HealthStatus,
}

impl HealthTests {
    /// Tests for a source claiming `claimed_min_entropy` bits per 8-bit sample, in `(0, 8]`.
    pub fn new(claimed_min_entropy: f64) -> crate::Result<Self> {
        if !(claimed_min_entropy > 0.0 && claimed_min_entropy <= 8.0) {
            return Err(crate::Error::InvalidInput("claimed min-entropy must be in (0, 8] bits per byte"));
        }
        Ok(Self {
            claim: claimed_min_entropy,
            rct_cutoff: rct_cutoff(claimed_min_entropy),
            apt_cutoff: apt_cutoff(claimed_min_entropy, APT_WINDOW),
            last: None,
            run: 0,
            apt_reference: 0,
            apt_count: 0,
            apt_position: 0,
            samples: 0,
            status: HealthStatus::Startup,
        })
    }

    /// The claimed min-entropy per sample.
    pub fn claim(&self) -> f64 {
        self.claim
    }

    /// The RCT cutoff in use.
    pub fn rct_cutoff(&self) -> u32 {
        self.rct_cutoff
    }

    /// The APT cutoff in use.
    pub fn apt_cutoff(&self) -> u32 {
        self.apt_cutoff
    }

    /// The current state.
    pub fn status(&self) -> &HealthStatus {
        &self.status
    }

    /// Samples tested so far (including start-up samples).
    pub fn samples_tested(&self) -> u64 {
        self.samples
    }

    /// Whether start-up testing still has to run.
    pub fn needs_startup(&self) -> bool {
        self.status == HealthStatus::Startup
    }

    /// Clears a failure; the next delivery starts with a fresh start-up test.
    pub fn reset(&mut self) {
        *self = Self::new(self.claim).expect("claim was validated");
    }

    /// Runs both tests over `samples`. The first failure latches and is returned; samples after it are
    /// not examined.
    pub fn feed(&mut self, samples: &[u8]) -> Result<(), HealthFailure> {
        if let HealthStatus::Failed(f) = &self.status {
            return Err(f.clone());
        }
        for &s in samples {
            // Repetition Count Test.
            if self.last == Some(s) {
                self.run += 1;
                if self.run >= self.rct_cutoff {
                    return Err(self.fail(HealthTest::RepetitionCount, self.run, self.rct_cutoff));
                }
            } else {
                self.last = Some(s);
                self.run = 1;
            }
            // Adaptive Proportion Test.
            if self.apt_position == 0 {
                self.apt_reference = s;
                self.apt_count = 1;
            } else if s == self.apt_reference {
                self.apt_count += 1;
                if self.apt_count >= self.apt_cutoff {
                    return Err(self.fail(HealthTest::AdaptiveProportion, self.apt_count, self.apt_cutoff));
                }
            }
            self.apt_position = (self.apt_position + 1) % APT_WINDOW;
            self.samples += 1;
        }
        Ok(())
    }

    /// Marks start-up testing as passed (after [`STARTUP_SAMPLES`] samples went through [`feed`](Self::feed)).
    pub fn startup_passed(&mut self) {
        if self.status == HealthStatus::Startup {
            self.status = HealthStatus::Healthy;
        }
    }

    fn fail(&mut self, test: HealthTest, count: u32, cutoff: u32) -> HealthFailure {
        let failure = HealthFailure { test, count, cutoff, sample_index: self.samples };
        self.status = HealthStatus::Failed(failure.clone());
        failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_table_in_the_docs_is_right() {
        for (h, rct, apt) in
            [(8.0, 4, 13), (7.0, 4, 18), (6.0, 5, 25), (4.0, 6, 62), (2.0, 11, 177), (1.0, 21, 311), (0.5, 41, 410)]
        {
            assert_eq!((rct_cutoff(h), apt_cutoff(h, APT_WINDOW)), (rct, apt), "H = {h}");
        }
    }

    #[test]
    fn binary_window_cutoff_matches_sp800_90b_table_2() {
        // SP 800-90B Table 2, alpha = 2^-20: binary window W = 1024 gives 589 at H = 1; the non-binary
        // column (W = 512) gives 13 at H = 8 and 311 at H = 1 (checked above).
        assert_eq!(apt_cutoff(1.0, 1024), 589);
    }

    #[test]
    fn stuck_source_trips_the_rct() {
        let mut t = HealthTests::new(8.0).unwrap();
        let err = t.feed(&[1, 2, 3, 7, 7, 7, 7, 9]).unwrap_err();
        assert_eq!(err.test, HealthTest::RepetitionCount);
        assert_eq!((err.count, err.cutoff, err.sample_index), (4, 4, 6));
        // Latched.
        assert_eq!(t.feed(&[1, 2, 3]).unwrap_err(), err);
        assert!(matches!(t.status(), HealthStatus::Failed(_)));
        t.reset();
        assert!(t.needs_startup());
        assert!(t.feed(&[1, 2, 3]).is_ok());
    }

    #[test]
    fn invalid_claims_are_refused() {
        for h in [0.0, -1.0, 8.5, f64::NAN] {
            assert!(HealthTests::new(h).is_err(), "{h}");
        }
    }
}
