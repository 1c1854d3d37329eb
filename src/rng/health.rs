//! SP 800-90B §4.4 continuous health tests: the Repetition Count Test (RCT) and the Adaptive Proportion
//! Test (APT), plus start-up testing, applied to an entropy source's raw 8-bit samples.
//!
//! # Cutoffs
//!
//! Cutoffs follow from the source's claimed min-entropy `H` (bits per 8-bit sample) and a false-positive
//! probability `alpha`. SP 800-90B §4.4 leaves alpha between 2^-20 and 2^-40; qres uses **2^-40**
//! ([`ALPHA_EXPONENT`]) so that a healthy source's false alarms are negligible over its whole life: at
//! 2^-20 and a claim of 8 bits per byte the RCT trips about once per 2^24 bytes (16 MiB), which killed a
//! healthy OS source after 38 MB of output and one in 16,000 DRBG instantiations at start-up.
//!
//! * RCT: `C = 1 + ceil(40 / H)` identical consecutive samples trip the test (§4.4.1); a false alarm
//!   has probability about 2^-40 per sample.
//! * APT: in a window of `W = 512` samples (the non-binary window of §4.4.2), the first sample occurring
//!   `C = 1 + CRITBINOM(W, 2^-H, 1 - alpha)` times or more trips the test, where `CRITBINOM(n, p, q)` is
//!   the smallest `k` with `P[Binomial(n, p) <= k] >= q`, computed from the binomial *upper* tail
//!   `P[Binomial(n, p) > k] <= alpha` so that the tiny tail keeps full precision.
//!
//! | claimed H (bits/byte) | RCT cutoff | APT cutoff (W = 512) |
//! |---|---|---|
//! | 8.0 | 6 | 19 |
//! | 7.0 | 7 | 26 |
//! | 6.0 | 8 | 35 |
//! | 5.0 | 9 | 51 |
//! | 4.0 | 11 | 78 |
//! | 3.0 | 15 | 123 |
//! | 2.0 | 21 | 201 |
//! | 1.0 | 41 | 336 |
//! | 0.5 | 81 | 432 |
//!
//! The table was produced by an independent exact computation (`tools/health_cutoffs.py`: Python
//! fractions for integer `H`, 120-digit decimals for `H = 0.5`) and is checked against [`rct_cutoff`] and
//! [`apt_cutoff`] by `tests/rng_health.rs`; the same functions with alpha = 2^-20
//! ([`rct_cutoff_with`], [`apt_cutoff_with`]) reproduce SP 800-90B Table 2 (13 at H = 8, 311 at H = 1 for
//! W = 512; 589 at H = 1 for W = 1024).
//!
//! # Start-up, intermittent alarms, latching
//!
//! Before a source delivers anything, [`STARTUP_SAMPLES`] samples are drawn, run through both tests and
//! discarded; a failure there latches. Afterwards a test that trips is an *alarm* (§4.4 lets the
//! developer handle intermittent failures): it is counted (per source, [`HealthTests::alarms`], and
//! process-wide, [`health_alarm_count`]), the read that contained it is zeroized and discarded, and the
//! start-up tests are run again on [`STARTUP_SAMPLES`] fresh samples. If they pass, the source recovers
//! and the read is served again from fresh output; it **latches** (delivers nothing until
//! [`HealthTests::reset`]) if the retest fails, or if a second alarm comes within [`RELATCH_WINDOW`]
//! samples of the previous one. A healthy source gets a second alarm within 2^24 samples with
//! probability about 2^-56.
//!
//! A stuck source is therefore stopped within `2 C - 1` samples of stuck output after the first alarm
//! trips (the alarm after `C` identical samples, the failed retest after `C` more; at a claim of 8 bits
//! per byte, 6 + 6): none of that output is delivered, only up to `C - 1` identical samples that ended
//! an earlier read can have been. A source that is dominated by one value fails the retest's APT, or
//! alarms again within 2^24 samples.
//!
//! What the tests catch: a stuck source (RCT), and a large loss of entropy that makes one value dominate
//! (APT). What they do not catch: subtle bias, correlations, or a source that outputs attacker-known but
//! well-distributed data (for example a deterministic PRNG). That is why every source's output only ever
//! feeds the DRBG's derivation function together with other inputs, never becomes a key directly.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use zeroize::Zeroize;

/// `-log2(alpha)`: the false-positive exponent used for the cutoffs by default (alpha = 2^-40).
pub const ALPHA_EXPONENT: u32 = 40;
/// The range of alpha exponents SP 800-90B §4.4 recommends (2^-20 to 2^-40).
pub const ALPHA_EXPONENT_RANGE: core::ops::RangeInclusive<u32> = 20..=40;
/// APT window for non-binary (8-bit) samples.
pub const APT_WINDOW: u32 = 512;
/// Samples tested and discarded at start-up, and again after an intermittent alarm (SP 800-90B §4.3
/// requires at least 1,024).
pub const STARTUP_SAMPLES: usize = 1024;
/// A second alarm within this many samples of the previous one latches the failure.
pub const RELATCH_WINDOW: u64 = 1 << 24;

static ALARMS: AtomicU64 = AtomicU64::new(0);

/// How many health-test alarms (intermittent or latching) all sources of this process have raised.
pub fn health_alarm_count() -> u64 {
    ALARMS.load(Ordering::Relaxed)
}

/// Which test tripped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
pub enum HealthStatus {
    /// Start-up testing has not completed yet: at first use, or again after an intermittent alarm.
    Startup,
    /// All tests passed so far.
    Healthy,
    /// A test tripped at start-up, in the retest after an alarm, or twice within [`RELATCH_WINDOW`]
    /// samples; the source delivers nothing until reset. The failure is the one that latched.
    Failed(HealthFailure),
    /// The source is not monitored by qres (its output is not health-tested here).
    Unmonitored,
}

/// RCT cutoff for a claimed min-entropy of `h` bits per sample, at alpha = 2^-[`ALPHA_EXPONENT`].
pub fn rct_cutoff(h: f64) -> u32 {
    rct_cutoff_with(h, ALPHA_EXPONENT)
}

/// RCT cutoff `1 + ceil(a / h)` for alpha = 2^-`alpha_exponent`.
pub fn rct_cutoff_with(h: f64, alpha_exponent: u32) -> u32 {
    1 + (f64::from(alpha_exponent) / h).ceil() as u32
}

/// APT cutoff for a claimed min-entropy of `h` bits per sample and window `w`, at alpha =
/// 2^-[`ALPHA_EXPONENT`].
pub fn apt_cutoff(h: f64, w: u32) -> u32 {
    apt_cutoff_with(h, w, ALPHA_EXPONENT)
}

/// APT cutoff `1 + CRITBINOM(w, 2^-h, 1 - alpha)` for alpha = 2^-`alpha_exponent`.
pub fn apt_cutoff_with(h: f64, w: u32, alpha_exponent: u32) -> u32 {
    1 + critbinom(w, 2f64.powf(-h), 2f64.powi(-(alpha_exponent as i32)))
}

/// Smallest `k` with `P[Binomial(n, p) > k] <= alpha` (equivalently `P[Binomial(n, p) <= k] >= 1 -
/// alpha`), summing the upper tail from `k = n` downwards. Each term is computed in log space and the
/// tail is accumulated directly, so tail probabilities far below the double-precision epsilon (alpha =
/// 2^-40) keep their full relative precision, which `1 - CDF` would not.
fn critbinom(n: u32, p: f64, alpha: f64) -> u32 {
    let (ln_p, ln_q) = (p.ln(), (1.0 - p).ln());
    let mut ln_choose = 0.0f64; // ln C(n, k), starting at C(n, n) = 1
    let mut tail = 0.0f64; // P[X > k]
    let mut k = n;
    while k > 0 {
        let pmf = (ln_choose + f64::from(k) * ln_p + f64::from(n - k) * ln_q).exp(); // P[X = k]
        if tail + pmf > alpha {
            break;
        }
        tail += pmf;
        // C(n, k - 1) = C(n, k) * k / (n - k + 1)
        ln_choose += f64::from(k).ln() - f64::from(n - k + 1).ln();
        k -= 1;
    }
    k
}

/// The RCT and APT state of one source.
///
/// Not `Clone` (a copy would let one stream's alarms go uncounted), its `Debug` shows cutoffs, counters and
/// status but never a sample value, and the sample values it holds are zeroized on drop.
pub struct HealthTests {
    claim: f64,
    alpha_exponent: u32,
    rct_cutoff: u32,
    apt_cutoff: u32,
    last: Option<u8>,
    run: u32,
    apt_reference: u8,
    apt_count: u32,
    apt_position: u32,
    samples: u64,
    status: HealthStatus,
    alarms: u64,
    last_alarm: Option<u64>,
}

impl HealthTests {
    /// Tests for a source claiming `claimed_min_entropy` bits per 8-bit sample, in `(0, 8]`, with alpha =
    /// 2^-[`ALPHA_EXPONENT`].
    pub fn new(claimed_min_entropy: f64) -> crate::Result<Self> {
        Self::with_alpha_exponent(claimed_min_entropy, ALPHA_EXPONENT)
    }

    /// Tests with alpha = 2^-`alpha_exponent`, the exponent within [`ALPHA_EXPONENT_RANGE`] (e.g. 20 to
    /// compare against SP 800-90B Table 2).
    pub fn with_alpha_exponent(claimed_min_entropy: f64, alpha_exponent: u32) -> crate::Result<Self> {
        if !(claimed_min_entropy > 0.0 && claimed_min_entropy <= 8.0) {
            return Err(crate::Error::InvalidInput("claimed min-entropy must be in (0, 8] bits per byte"));
        }
        if !ALPHA_EXPONENT_RANGE.contains(&alpha_exponent) {
            return Err(crate::Error::InvalidInput("health-test alpha must be between 2^-20 and 2^-40"));
        }
        Ok(Self::fresh(claimed_min_entropy, alpha_exponent, 0))
    }

    /// A new state for already validated parameters.
    fn fresh(claim: f64, alpha_exponent: u32, alarms: u64) -> Self {
        Self {
            claim,
            alpha_exponent,
            rct_cutoff: rct_cutoff_with(claim, alpha_exponent),
            apt_cutoff: apt_cutoff_with(claim, APT_WINDOW, alpha_exponent),
            last: None,
            run: 0,
            apt_reference: 0,
            apt_count: 0,
            apt_position: 0,
            samples: 0,
            status: HealthStatus::Startup,
            alarms,
            last_alarm: None,
        }
    }

    /// The claimed min-entropy per sample.
    pub fn claim(&self) -> f64 {
        self.claim
    }

    /// `-log2(alpha)` of the cutoffs.
    pub fn alpha_exponent(&self) -> u32 {
        self.alpha_exponent
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

    /// Whether a failure has latched.
    pub fn is_failed(&self) -> bool {
        matches!(self.status, HealthStatus::Failed(_))
    }

    /// Alarms raised by these tests (intermittent ones and the one that latched), kept across
    /// [`reset`](Self::reset).
    pub fn alarms(&self) -> u64 {
        self.alarms
    }

    /// Samples of the source's output accounted for so far (tested, including start-up samples, or
    /// discarded unexamined after an alarm in the same read).
    pub fn samples_tested(&self) -> u64 {
        self.samples
    }

    /// Whether start-up testing (initial, or the retest after an intermittent alarm) still has to run.
    pub fn needs_startup(&self) -> bool {
        self.status == HealthStatus::Startup
    }

    /// Clears a failure and the alarm history (not the alarm count); the next delivery starts with a
    /// fresh start-up test.
    pub fn reset(&mut self) {
        *self = Self::fresh(self.claim, self.alpha_exponent, self.alarms);
    }

    /// Runs both tests over `samples`, which the caller must discard if this returns an error. A trip
    /// returns the failure, and the samples after it in `samples` are not examined. It is an
    /// intermittent alarm — [`status`](Self::status) becomes [`HealthStatus::Startup`]: run the start-up
    /// test again — unless it happened during start-up testing or within [`RELATCH_WINDOW`] samples of the
    /// previous alarm, when it latches ([`HealthStatus::Failed`]).
    pub fn feed(&mut self, samples: &[u8]) -> Result<(), HealthFailure> {
        if let HealthStatus::Failed(f) = &self.status {
            return Err(f.clone());
        }
        for (i, &s) in samples.iter().enumerate() {
            // Repetition Count Test.
            if self.last == Some(s) {
                self.run += 1;
                if self.run >= self.rct_cutoff {
                    return Err(self.alarm(HealthTest::RepetitionCount, self.run, self.rct_cutoff, samples.len() - i));
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
                    return Err(self.alarm(
                        HealthTest::AdaptiveProportion,
                        self.apt_count,
                        self.apt_cutoff,
                        samples.len() - i,
                    ));
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

    /// Records a trip at the current sample; `remaining` samples of the read (the failing one included)
    /// are discarded.
    fn alarm(&mut self, test: HealthTest, count: u32, cutoff: u32, remaining: usize) -> HealthFailure {
        let failure = HealthFailure { test, count, cutoff, sample_index: self.samples };
        self.alarms += 1;
        ALARMS.fetch_add(1, Ordering::Relaxed);
        let recent = self.last_alarm.is_some_and(|previous| self.samples - previous < RELATCH_WINDOW);
        self.last_alarm = Some(self.samples);
        self.samples += remaining as u64;
        // The tests start over on the fresh samples that follow.
        self.last.zeroize();
        self.apt_reference.zeroize();
        (self.run, self.apt_count, self.apt_position) = (0, 0, 0);
        self.status = if self.status == HealthStatus::Startup || recent {
            HealthStatus::Failed(failure.clone())
        } else {
            HealthStatus::Startup
        };
        failure
    }
}

impl Drop for HealthTests {
    fn drop(&mut self) {
        self.last.zeroize();
        self.apt_reference.zeroize();
    }
}

impl fmt::Debug for HealthTests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthTests")
            .field("claim", &self.claim)
            .field("alpha_exponent", &self.alpha_exponent)
            .field("rct_cutoff", &self.rct_cutoff)
            .field("apt_cutoff", &self.apt_cutoff)
            .field("samples", &self.samples)
            .field("status", &self.status)
            .field("alarms", &self.alarms)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_table_in_the_docs_is_right() {
        // The module table (alpha = 2^-40); tests/rng_health.rs checks it against the exact computation.
        for (h, rct, apt) in
            [(8.0, 6, 19), (7.0, 7, 26), (6.0, 8, 35), (4.0, 11, 78), (2.0, 21, 201), (1.0, 41, 336), (0.5, 81, 432)]
        {
            assert_eq!((rct_cutoff(h), apt_cutoff(h, APT_WINDOW)), (rct, apt), "H = {h}");
        }
    }

    #[test]
    fn alpha_2_20_matches_sp800_90b_table_2() {
        // SP 800-90B Table 2, alpha = 2^-20: W = 512 gives 13 at H = 8 and 311 at H = 1; the binary window
        // W = 1024 gives 589 at H = 1. The RCT cutoffs are 1 + ceil(20 / H).
        for (h, rct, apt) in
            [(8.0, 4, 13), (7.0, 4, 18), (6.0, 5, 25), (4.0, 6, 62), (2.0, 11, 177), (1.0, 21, 311), (0.5, 41, 410)]
        {
            assert_eq!((rct_cutoff_with(h, 20), apt_cutoff_with(h, APT_WINDOW, 20)), (rct, apt), "H = {h}");
        }
        assert_eq!(apt_cutoff_with(1.0, 1024, 20), 589);
    }

    #[test]
    fn stuck_source_trips_the_rct() {
        let mut t = HealthTests::new(8.0).unwrap();
        let err = t.feed(&[1, 2, 3, 7, 7, 7, 7, 7, 7, 9]).unwrap_err();
        assert_eq!(err.test, HealthTest::RepetitionCount);
        assert_eq!((err.count, err.cutoff, err.sample_index), (6, 6, 8));
        // During start-up testing a trip latches.
        assert_eq!(t.feed(&[1, 2, 3]).unwrap_err(), err);
        assert!(t.is_failed());
        t.reset();
        assert!(t.needs_startup());
        assert!(t.feed(&[1, 2, 3]).is_ok());
        assert_eq!(t.alarms(), 1, "the count survives a reset");
    }

    #[test]
    fn an_intermittent_alarm_asks_for_a_retest_and_a_second_one_soon_after_latches() {
        let mut t = HealthTests::new(8.0).unwrap();
        let before = health_alarm_count();
        t.feed(&[1, 2, 3]).unwrap();
        t.startup_passed();
        // The failing sample is the 6th 7; the two samples after it are discarded unexamined.
        let first = t.feed(&[4, 7, 7, 7, 7, 7, 7, 8, 9]).unwrap_err();
        assert_eq!(first.sample_index, 9);
        assert_eq!(t.samples_tested(), 12);
        assert!(t.needs_startup(), "intermittent: a retest is due, not a latched failure");
        assert!(t.feed(&[1, 2, 3]).is_ok(), "the run starts over");
        t.startup_passed();
        let second = t.feed(&[5; 6]).unwrap_err();
        assert!(t.is_failed(), "a second alarm within the window latches");
        assert_eq!(t.status(), &HealthStatus::Failed(second));
        assert_eq!(t.alarms(), 2);
        assert!(health_alarm_count() >= before + 2);
    }

    #[test]
    fn debug_shows_no_sample_values() {
        let mut t = HealthTests::new(8.0).unwrap();
        t.feed(&[0xab, 0xcd]).unwrap();
        let debug = format!("{t:?}");
        assert!(!debug.contains("171") && !debug.contains("205") && !debug.contains("last"), "{debug}");
    }

    #[test]
    fn invalid_claims_are_refused() {
        for h in [0.0, -1.0, 8.5, f64::NAN] {
            assert!(HealthTests::new(h).is_err(), "{h}");
        }
        for a in [0, 19, 41] {
            assert!(HealthTests::with_alpha_exponent(8.0, a).is_err(), "{a}");
        }
    }
}
