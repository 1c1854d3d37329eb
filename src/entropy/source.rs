//! The entropy-source API: [`EntropySource`], the health-test wrapper [`Monitored`], and the operating
//! system source [`OsEntropy`].
//!
//! A source delivers raw bytes and *claims* a min-entropy per byte. Every source that feeds a
//! [`SeedPolicy`](crate::rng::SeedPolicy) is wrapped in [`Monitored`], which runs the SP 800-90B
//! start-up test and the continuous Repetition Count and Adaptive Proportion tests on everything the
//! source produces; an intermittent alarm discards the read and re-runs the start-up test, and a source
//! that fails that retest (or alarms twice within 2^24 samples) is stopped ([`health`](crate::rng::health)).
//!
//! ```
//! use qres::entropy::{EntropySource, Monitored, OsEntropy};
//! use qres::rng::HealthStatus;
//! let mut os = Monitored::new(OsEntropy)?;
//! let mut buf = [0u8; 64];
//! os.fill(&mut buf)?;
//! assert_eq!(os.health(), HealthStatus::Healthy);
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::rng::health::{HealthStatus, HealthTests, STARTUP_SAMPLES, health_alarm_count};
use crate::secret::SecretBytes;
use zeroize::Zeroize;

/// A source of entropy.
pub trait EntropySource: Send {
    /// A short name for logs and errors (e.g. `"os"`, `"qrng-dd:gateway.example"`).
    fn name(&self) -> &str;

    /// The claimed min-entropy of one output byte, in bits (`0 < h <= 8`). Be conservative: the seeding
    /// policy reads `ceil(bits / h)` bytes to obtain `bits` of entropy, and the health-test cutoffs are
    /// derived from it.
    fn min_entropy_per_byte(&self) -> f64;

    /// Fills `dest` with raw output.
    fn fill(&mut self, dest: &mut [u8]) -> Result<()>;

    /// The health state. Sources that are not wrapped in [`Monitored`] report
    /// [`HealthStatus::Unmonitored`].
    fn health(&self) -> HealthStatus {
        HealthStatus::Unmonitored
    }
}

impl<S: EntropySource + ?Sized> EntropySource for Box<S> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn min_entropy_per_byte(&self) -> f64 {
        (**self).min_entropy_per_byte()
    }
    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        (**self).fill(dest)
    }
    fn health(&self) -> HealthStatus {
        (**self).health()
    }
}

/// A source with SP 800-90B health tests on its raw output.
///
/// Before the first delivery, [`STARTUP_SAMPLES`] samples are drawn, tested and discarded. Every byte
/// delivered afterwards is tested too. On an intermittent alarm the read is zeroized and discarded, the
/// alarm is counted and logged (`tracing` warning), the start-up test runs again on fresh samples and, if
/// it passes, the read is filled again from fresh output: the caller sees nothing but the delay. If the
/// retest fails, or a second alarm comes within [`RELATCH_WINDOW`](crate::rng::health::RELATCH_WINDOW)
/// samples, the read is zeroed, an error naming the test is returned, and the source delivers nothing until
/// [`reset`](Self::reset).
pub struct Monitored<S> {
    source: S,
    tests: HealthTests,
}

impl<S: EntropySource> Monitored<S> {
    /// Wraps `source`, with cutoffs from its claimed min-entropy.
    pub fn new(source: S) -> Result<Self> {
        let tests = HealthTests::new(source.min_entropy_per_byte())?;
        Ok(Self { source, tests })
    }

    /// The health tests' state and cutoffs.
    pub fn tests(&self) -> &HealthTests {
        &self.tests
    }

    /// Health-test alarms this source has raised (recovered or not).
    pub fn alarms(&self) -> u64 {
        self.tests.alarms()
    }

    /// Clears a failure; the next read repeats the start-up test.
    pub fn reset(&mut self) {
        tracing::info!(source = self.source.name(), "entropy source health reset");
        self.tests.reset();
    }

    /// The wrapped source.
    pub fn into_inner(self) -> S {
        self.source
    }

    fn failed(&self, reason: String) -> Error {
        tracing::warn!(source = self.source.name(), %reason, "entropy source stopped by health test");
        Error::EntropySource { source_name: self.source.name().to_owned(), reason }
    }

    /// Runs the start-up test (at first use, or as the retest after an alarm: `retest`).
    fn startup(&mut self, retest: bool) -> Result<()> {
        let mut samples = SecretBytes::zeroed(STARTUP_SAMPLES);
        self.source.fill(samples.as_mut_bytes())?;
        match self.tests.feed(samples.as_bytes()) {
            Ok(()) => {
                self.tests.startup_passed();
                Ok(())
            }
            Err(f) if retest => Err(self.failed(format!("start-up retest after an intermittent alarm failed: {f}"))),
            Err(f) => Err(self.failed(format!("start-up test failed: {f}"))),
        }
    }
}

impl<S: EntropySource> EntropySource for Monitored<S> {
    fn name(&self) -> &str {
        self.source.name()
    }

    fn min_entropy_per_byte(&self) -> f64 {
        self.source.min_entropy_per_byte()
    }

    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        if let HealthStatus::Failed(f) = self.tests.status() {
            return Err(Error::EntropySource {
                source_name: self.source.name().to_owned(),
                reason: format!("stopped after a health-test failure: {f}"),
            });
        }
        if self.tests.needs_startup() {
            self.startup(false)?;
        }
        // Each pass either returns or follows an alarm whose retest passed; a second alarm within the
        // relatch window latches, so this ends.
        loop {
            if let Err(e) = self.source.fill(dest) {
                dest.zeroize();
                return Err(e);
            }
            let Err(f) = self.tests.feed(dest) else { return Ok(()) };
            dest.zeroize();
            if self.tests.is_failed() {
                return Err(self.failed(format!("{f} (a second alarm within the relatch window)")));
            }
            tracing::warn!(
                source = self.source.name(),
                alarm = %f,
                source_alarms = self.tests.alarms(),
                total_alarms = health_alarm_count(),
                "intermittent health-test alarm: read discarded, re-running the start-up test"
            );
            self.startup(true)?;
            tracing::info!(source = self.source.name(), "start-up retest passed; entropy source recovered");
        }
    }

    fn health(&self) -> HealthStatus {
        self.tests.status().clone()
    }
}

impl<S: EntropySource> core::fmt::Debug for Monitored<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Monitored").field("source", &self.source.name()).field("health", self.tests.status()).finish()
    }
}

/// The operating system's RNG (`getrandom(2)` on Linux), claimed at 8 bits per byte.
///
/// The kernel conditions its own noise sources and blocks until it has been seeded, so its output is
/// treated as full entropy; qres still health-tests it (which catches only gross failures of a
/// conditioned output).
#[derive(Copy, Clone, Debug, Default)]
pub struct OsEntropy;

impl EntropySource for OsEntropy {
    fn name(&self) -> &str {
        "os"
    }

    fn min_entropy_per_byte(&self) -> f64 {
        8.0
    }

    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        getrandom::fill(dest).map_err(|e| Error::EntropySource { source_name: "os".into(), reason: e.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::health::HealthTest;

    /// A source that repeats a byte pattern.
    struct Pattern(Vec<u8>, usize, f64);
    impl EntropySource for Pattern {
        fn name(&self) -> &str {
            "pattern"
        }
        fn min_entropy_per_byte(&self) -> f64 {
            self.2
        }
        fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
            for b in dest {
                *b = self.0[self.1 % self.0.len()];
                self.1 += 1;
            }
            Ok(())
        }
    }

    #[test]
    fn stuck_source_is_stopped_at_startup() {
        let mut s = Monitored::new(Pattern(vec![0x42], 0, 4.0)).unwrap();
        let mut buf = [0u8; 8];
        let err = s.fill(&mut buf).unwrap_err();
        assert!(err.to_string().contains("repetition count"), "{err}");
        assert!(matches!(s.health(), HealthStatus::Failed(ref f) if f.test == HealthTest::RepetitionCount));
        // Nothing is delivered afterwards.
        assert!(s.fill(&mut buf).is_err());
        assert_eq!(buf, [0; 8]);
    }

    #[test]
    fn failure_mid_stream_zeroes_the_read() {
        // Healthy-looking counter at first, then stuck: the alarm's retest fails too.
        let mut data: Vec<u8> = (0..=255).cycle().take(4096).collect();
        data.extend(std::iter::repeat_n(9u8, 4096));
        let mut s = Monitored::new(Pattern(data, 0, 8.0)).unwrap();
        let mut ok = vec![0u8; 3072];
        s.fill(&mut ok).unwrap();
        let mut bad = vec![0xAAu8; 64];
        assert!(s.fill(&mut bad).is_err());
        assert!(bad.iter().all(|&b| b == 0));
    }
}
