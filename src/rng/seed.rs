//! Seeding policy (SP 800-90C): how much assessed entropy a DRBG needs and where it comes from.
//!
//! * Instantiation needs at least **384 bits** of assessed min-entropy (3/2 of the 256-bit security
//!   strength, which covers the nonce), every reseed at least **256 bits**.
//! * Every configured source is read for enough bytes to provide the *whole* requirement on its own,
//!   according to its claim (`ceil(bits / claim)` bytes), and the outputs of all healthy sources are
//!   concatenated as the entropy input of the DRBG's derivation function. A source that lies about its
//!   entropy, or is controlled by an attacker (a malicious QRNG gateway, say), therefore cannot lower the
//!   result below what the best honest source provides, nor choose the seed.
//! * Sources that fail (errors or health-test failures) are skipped; if none delivers, seeding **fails
//!   closed** with [`Error::InsufficientEntropy`], unless the caller configured an explicit fallback
//!   source: using it emits a `tracing` warning and increments [`fallback_count`].
//! * One-time inputs ([`ChaoticSeed`]s) **never count** toward the requirement: they are public or
//!   reproducible data at worst (a NOAA file anyone can download, a deterministic map). They are mixed
//!   into the entropy input only when a healthy regular source (or the explicit fallback) met the
//!   requirement on its own, are reported apart ([`SeedReport::one_time_sources`],
//!   [`SeedReport::one_time_bits`]), and are kept, not consumed, when seeding fails.
//!
//! ```
//! use qres::entropy::OsEntropy;
//! use qres::rng::{CtrDrbg, DrbgConfig, SeedPolicy};
//! let policy = SeedPolicy::new().with_source(OsEntropy)?;
//! let drbg = CtrDrbg::new(policy, DrbgConfig::default())?;
//! # Ok::<(), qres::Error>(())
//! ```

use crate::entropy::{EntropySource, Monitored, OsEntropy};
use crate::error::{Error, Result};
use crate::rng::chaotic::{ChaoticSeed, SEED_BITS};
use crate::rng::health::HealthStatus;
use crate::secret::SecretBytes;
use std::sync::atomic::{AtomicU64, Ordering};
use zeroize::Zeroizing;

/// Minimum assessed entropy for instantiation (bits).
pub const INSTANTIATE_BITS: usize = 384;
/// Minimum assessed entropy for a reseed (bits).
pub const RESEED_BITS: usize = 256;
/// Largest read the policy makes from one source for one seed (guards against absurdly low claims).
pub const MAX_READ_PER_SOURCE: usize = 1 << 20;

static FALLBACKS: AtomicU64 = AtomicU64::new(0);
static NONCE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How many times, process-wide, a seeding policy had to use its fallback source.
pub fn fallback_count() -> u64 {
    FALLBACKS.load(Ordering::Relaxed)
}

/// A unique instantiation nonce: the time in nanoseconds, the process id and a process-wide counter
/// (SP 800-90A §8.6.7 allows a nonce that is unique rather than random).
pub(crate) fn unique_nonce() -> [u8; 24] {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let mut n = [0u8; 24];
    n[..16].copy_from_slice(&nanos.to_be_bytes());
    n[16..20].copy_from_slice(&std::process::id().to_be_bytes());
    n[20..].copy_from_slice(&(NONCE_COUNTER.fetch_add(1, Ordering::Relaxed) as u32).to_be_bytes());
    n
}

/// Where a DRBG's entropy comes from and how much it needs.
pub struct SeedPolicy {
    sources: Vec<Box<dyn EntropySource>>,
    fallback: Option<Box<dyn EntropySource>>,
    one_time: Vec<ChaoticSeed>,
    instantiate_bits: usize,
    reseed_bits: usize,
}

/// Which sources contributed to one seed, and how much they were credited.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SeedReport {
    /// Names of the regular sources (and the fallback, if used) that delivered.
    pub sources: Vec<String>,
    /// Sources that failed, with the reason.
    pub failures: Vec<(String, String)>,
    /// Assessed bits credited: the largest single contribution of a regular source or the fallback (not
    /// the sum: sources may be correlated). One-time seeds are never included.
    pub assessed_bits: usize,
    /// Whether the fallback source was used.
    pub used_fallback: bool,
    /// Origins of the one-time (chaotic) seeds mixed in as additional input.
    pub one_time_sources: Vec<String>,
    /// What the one-time seeds would be credited on their own ([`SEED_BITS`] each): reported for
    /// information only, never counted toward the requirement.
    pub one_time_bits: usize,
}

impl SeedPolicy {
    /// A policy with no sources yet (add them with [`with_source`](Self::with_source)).
    pub fn new() -> Self {
        Self {
            sources: Vec::new(),
            fallback: None,
            one_time: Vec::new(),
            instantiate_bits: INSTANTIATE_BITS,
            reseed_bits: RESEED_BITS,
        }
    }

    /// The operating system's RNG alone.
    pub fn os() -> Self {
        Self::new().with_source(OsEntropy).expect("the OS source's claim is valid")
    }

    /// Adds a source, wrapped in SP 800-90B health tests.
    pub fn with_source<S: EntropySource + 'static>(mut self, source: S) -> Result<Self> {
        self.sources.push(Box::new(Monitored::new(source)?));
        Ok(self)
    }

    /// Adds a one-time chaotic seed as *additional* input: it is mixed into the next successful seeding —
    /// normally the DRBG's instantiation — and zeroized; later reseeds use the regular sources. It never
    /// counts toward the 384 / 256-bit requirement, which a healthy regular source (or the explicit
    /// fallback) must meet on its own; a seeding that fails keeps the seed for the next attempt.
    pub fn with_chaotic_seed(mut self, seed: ChaoticSeed) -> Self {
        self.one_time.push(seed);
        self
    }

    /// Sets a fallback used only when every source fails. Its use is logged and counted: choose it
    /// deliberately (e.g. the OS RNG behind a QRNG gateway).
    pub fn with_fallback<S: EntropySource + 'static>(mut self, source: S) -> Result<Self> {
        self.fallback = Some(Box::new(Monitored::new(source)?));
        Ok(self)
    }

    /// Raises the entropy requirements (they cannot go below 384 / 256 bits).
    pub fn with_requirements(mut self, instantiate_bits: usize, reseed_bits: usize) -> Result<Self> {
        if instantiate_bits < INSTANTIATE_BITS || reseed_bits < RESEED_BITS {
            return Err(Error::InvalidInput(
                "seed requirements cannot go below 384 bits (instantiate) and 256 (reseed)",
            ));
        }
        self.instantiate_bits = instantiate_bits;
        self.reseed_bits = reseed_bits;
        Ok(self)
    }

    /// Names and health of the configured sources (fallback last, if any).
    pub fn sources(&self) -> Vec<(String, HealthStatus)> {
        self.sources.iter().chain(self.fallback.iter()).map(|s| (s.name().to_owned(), s.health())).collect()
    }

    /// Entropy input for instantiation.
    pub fn gather_for_instantiate(&mut self) -> Result<SecretBytes> {
        self.gather(self.instantiate_bits).map(|(bytes, _)| bytes)
    }

    /// Entropy input for a reseed.
    pub fn gather_for_reseed(&mut self) -> Result<SecretBytes> {
        self.gather(self.reseed_bits).map(|(bytes, _)| bytes)
    }

    /// Number of one-time seeds not yet mixed into a seeding.
    pub fn pending_one_time_seeds(&self) -> usize {
        self.one_time.len()
    }

    /// Reads every source for `bits` of assessed entropy each and concatenates what the healthy ones
    /// delivered, followed by the pending one-time seeds (which are consumed only when this succeeds).
    pub fn gather(&mut self, bits: usize) -> Result<(SecretBytes, SeedReport)> {
        let mut report = SeedReport {
            sources: Vec::new(),
            failures: Vec::new(),
            assessed_bits: 0,
            used_fallback: false,
            one_time_sources: Vec::new(),
            one_time_bits: 0,
        };
        // Sized up front so the buffer never reallocates (a reallocation would leave an unzeroized copy),
        // and zeroized on every path out, errors included.
        let capacity = self.one_time.len() * 32
            + self
                .sources
                .iter()
                .chain(self.fallback.iter())
                .map(|s| read_len(s.min_entropy_per_byte(), bits))
                .sum::<usize>();
        let mut out = Zeroizing::new(Vec::with_capacity(capacity));
        for source in &mut self.sources {
            match read_for(source.as_mut(), bits) {
                Ok(bytes) => {
                    out.extend_from_slice(bytes.as_bytes());
                    report.sources.push(source.name().to_owned());
                    report.assessed_bits = bits;
                }
                Err(e) => report.failures.push((source.name().to_owned(), e.to_string())),
            }
        }
        // Only regular sources count: one-time seeds cannot stand in for a failed source.
        if report.assessed_bits < bits {
            let Some(fallback) = self.fallback.as_mut() else {
                tracing::error!(
                    needed_bits = bits,
                    failures = ?report.failures,
                    one_time_seeds_kept = self.one_time.len(),
                    "seeding failed closed: no healthy entropy source (one-time seeds do not count)"
                );
                return Err(Error::InsufficientEntropy { needed_bits: bits, available_bits: 0 });
            };
            let bytes = read_for(fallback.as_mut(), bits)?;
            FALLBACKS.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                fallback = fallback.name(),
                failures = ?report.failures,
                total_fallbacks = fallback_count(),
                "every entropy source failed; seeding from the configured fallback"
            );
            out.extend_from_slice(bytes.as_bytes());
            report.sources.push(fallback.name().to_owned());
            report.assessed_bits = bits;
            report.used_fallback = true;
        }
        // The requirement is met: the one-time seeds are mixed in as additional input, and gone.
        for seed in self.one_time.drain(..) {
            report.one_time_sources.push(seed.origin().to_owned());
            report.one_time_bits += SEED_BITS;
            out.extend_from_slice(seed.into_bytes().as_bytes());
        }
        Ok((SecretBytes::new(std::mem::take(&mut *out)), report))
    }
}

impl Default for SeedPolicy {
    fn default() -> Self {
        Self::os()
    }
}

impl core::fmt::Debug for SeedPolicy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SeedPolicy")
            .field("sources", &self.sources())
            .field("one_time_seeds", &self.one_time.len())
            .field("instantiate_bits", &self.instantiate_bits)
            .field("reseed_bits", &self.reseed_bits)
            .finish()
    }
}

/// Bytes to read from a source claiming `claim` bits per byte for `bits` bits (0 for invalid claims).
fn read_len(claim: f64, bits: usize) -> usize {
    if claim > 0.0 && claim <= 8.0 { ((bits as f64 / claim).ceil() as usize).min(MAX_READ_PER_SOURCE + 1) } else { 0 }
}

/// Reads enough bytes from `source` for `bits` of its claimed entropy.
fn read_for(source: &mut dyn EntropySource, bits: usize) -> Result<SecretBytes> {
    let claim = source.min_entropy_per_byte();
    if !(claim > 0.0 && claim <= 8.0) {
        return Err(Error::InvalidInput("claimed min-entropy must be in (0, 8] bits per byte"));
    }
    let len = read_len(claim, bits);
    if len > MAX_READ_PER_SOURCE {
        return Err(Error::InvalidInput("source's entropy claim too low: a seed would need more than 1 MiB"));
    }
    let mut bytes = SecretBytes::zeroed(len);
    source.fill(bytes.as_mut_bytes())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;
    impl EntropySource for Broken {
        fn name(&self) -> &str {
            "broken"
        }
        fn min_entropy_per_byte(&self) -> f64 {
            8.0
        }
        fn fill(&mut self, _: &mut [u8]) -> Result<()> {
            Err(Error::EntropySource { source_name: "broken".into(), reason: "device gone".into() })
        }
    }

    struct Claim(f64);
    impl EntropySource for Claim {
        fn name(&self) -> &str {
            "claim"
        }
        fn min_entropy_per_byte(&self) -> f64 {
            self.0
        }
        fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
            getrandom::fill(dest).map_err(|_| Error::RandomnessUnavailable)
        }
    }

    #[test]
    fn each_source_is_read_for_the_whole_requirement() {
        let mut p = SeedPolicy::new().with_source(OsEntropy).unwrap().with_source(Claim(2.0)).unwrap();
        let (bytes, report) = p.gather(384).unwrap();
        assert_eq!(bytes.len(), 48 + 192);
        assert_eq!(report.sources, ["os", "claim"]);
        assert_eq!(report.assessed_bits, 384);
    }

    #[test]
    fn failing_sources_fail_closed_without_fallback() {
        let mut p = SeedPolicy::new().with_source(Broken).unwrap();
        assert_eq!(p.gather(256).unwrap_err(), Error::InsufficientEntropy { needed_bits: 256, available_bits: 0 });
    }

    #[test]
    fn fallback_is_used_and_counted() {
        let before = fallback_count();
        let mut p = SeedPolicy::new().with_source(Broken).unwrap().with_fallback(OsEntropy).unwrap();
        let (bytes, report) = p.gather(256).unwrap();
        assert!(report.used_fallback);
        assert_eq!(bytes.len(), 32);
        assert_eq!(report.failures.len(), 1);
        assert!(fallback_count() > before);
    }

    #[test]
    fn one_healthy_source_is_enough() {
        let mut p = SeedPolicy::new().with_source(Broken).unwrap().with_source(OsEntropy).unwrap();
        let (_, report) = p.gather(384).unwrap();
        assert_eq!(report.sources, ["os"]);
        assert_eq!(report.failures[0].0, "broken");
    }

    #[test]
    fn requirements_cannot_be_lowered() {
        assert!(SeedPolicy::new().with_requirements(256, 256).is_err());
        assert!(SeedPolicy::new().with_requirements(512, 384).is_ok());
    }

    #[test]
    fn nonces_are_unique() {
        assert_ne!(unique_nonce(), unique_nonce());
    }
}
