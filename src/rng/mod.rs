//! Randomness: an SP 800-90A CTR_DRBG seeded through health-tested entropy sources.
//!
//! ```text
//!  CtrDrbg  <-  SeedPolicy  <-  Monitored<S: EntropySource>  (RCT + APT, start-up test)
//!                                 S = OsEntropy | QRNG-DD client | PKCS#11 | Quantis | chaotic seed | ...
//! ```
//!
//! * [`CtrDrbg`]: AES-256 CTR_DRBG with derivation function, prediction resistance, reseed interval and
//!   timer, fork detection; `rand_core` fallible RNG ([`CtrDrbgRng`] for the infallible traits).
//! * [`CtrDrbgCore`]: the deterministic mechanism, with and without derivation function (known-answer
//!   tested against every AES-256 CAVP and ACVP case).
//! * [`EntropySource`], [`Monitored`], [`OsEntropy`]: sources and their SP 800-90B health tests
//!   ([`health`]; alpha = 2^-40, an intermittent alarm re-runs the start-up test, [`health_alarm_count`]).
//! * [`SeedPolicy`]: SP 800-90C seeding from several sources, failing closed.
//! * [`assess`]: the SP 800-90B non-IID min-entropy estimators.
//! * [`chaotic`]: raw chaotic measurements (NOAA GOES X-ray flux, CSV, bytes) conditioned with SHA3-256
//!   into a seed that can be used once.
//! * `compat` (features `rand_core-0_6`, `rand_core-0_9`, `rustls-random`): these RNGs behind the
//!   rand_core 0.6 / 0.9 traits (rand 0.8 and 0.9, ed25519-dalek 2) and as rustls' `SecureRandom`.

pub mod assess;
pub mod chaotic;
#[cfg(any(feature = "rand_core-0_6", feature = "rand_core-0_9", feature = "rustls-random"))]
pub mod compat;
pub mod ctr_drbg;
pub mod health;
pub mod seed;
pub mod source;

pub use ctr_drbg::{CtrDrbg, CtrDrbgCore, CtrDrbgRng, DrbgConfig};
pub use health::{HealthFailure, HealthStatus, HealthTest, HealthTests, health_alarm_count};
pub use seed::{SeedPolicy, SeedReport, fallback_count};
pub use source::{EntropySource, Monitored, OsEntropy};
