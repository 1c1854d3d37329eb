//! qres's RNGs where older `rand_core` versions, or rustls, expect one (features `rand_core-0_6`,
//! `rand_core-0_9`, `rustls-random`).
//!
//! qres implements `rand_core` 0.10 (re-exported as [`qres::rand_core`](crate::rand_core)). rand 0.8 and
//! ed25519-dalek 2 take `rand_core` 0.6 RNGs, rand 0.9 takes 0.9 ones, and those traits are different
//! traits: a [`CtrDrbg`](crate::rng::CtrDrbg) does not implement them. The adapters here do:
//!
//! | adapter | implements | for |
//! |---|---|---|
//! | [`RandCore06<R>`] | rand_core 0.6 `RngCore` + `CryptoRng` | rand 0.8, ed25519-dalek 2, x25519-dalek 2, p256 0.13, … |
//! | [`RandCore09<R>`] | rand_core 0.9 `RngCore` + `CryptoRng` (so `TryRngCore`) | rand 0.9 |
//! | [`TlsRandom<R>`] | rustls 0.23 `crypto::SecureRandom` | a rustls `CryptoProvider` |
//!
//! `R` is any rand_core 0.10 cryptographic RNG: [`CtrDrbg`](crate::rng::CtrDrbg), `CtrDrbgRng`,
//! [`OsRng`](crate::OsRng), rand_chacha 0.10.
//!
//! Why adapters in qres rather than a newtype in each user's code (the orphan rule forbids implementing
//! the old traits for `CtrDrbg` anywhere but here or in a wrapper): the wrapper is the same ~25 lines for
//! every user, and the part that matters is easy to get wrong — the old infallible `fill_bytes` has no
//! way to report a failed reseed, and a hand-written one tends to ignore the error and hand out a buffer
//! of zeros or stale bytes. These adapters fail closed (they panic, as `CtrDrbgRng` does, and zero the
//! buffer first), forward the error where the old trait can carry one (rand_core 0.6 `try_fill_bytes`,
//! rustls' `fill`), never put the wrapped RNG's error text in a panic message, and cost nothing unless
//! their feature is on (rand_core 0.6 and 0.9 without features are leaf crates).
//!
//! ```
//! # #[cfg(all(feature = "rand_core-0_6", feature = "rand_core-0_9"))] {
//! use qres::rng::CtrDrbg;
//! use qres::rng::compat::{RandCore06, RandCore09};
//!
//! // ed25519-dalek 2 (rand_core 0.6):
//! let mut rng = RandCore06(CtrDrbg::from_os()?);
//! let signing = ed25519_dalek::SigningKey::generate(&mut rng);
//!
//! // rand 0.8 (rand_core 0.6) and rand 0.9 (rand_core 0.9):
//! let x: u64 = rand08::Rng::r#gen(&mut rng);
//! let mut rng = RandCore09(rng.0);
//! let y: u64 = rand09::Rng::random(&mut rng);
//! assert_ne!(x, y);
//! # }
//! # Ok::<(), qres::Error>(())
//! ```

use core::fmt;
#[cfg(any(feature = "rand_core-0_6", feature = "rand_core-0_9"))]
use rand_core::TryCryptoRng;
#[cfg(any(feature = "rand_core-0_6", feature = "rand_core-0_9"))]
use zeroize::Zeroize;

/// `Debug` that shows nothing of the wrapped RNG's state.
macro_rules! opaque_debug {
    ($name:ident) => {
        impl<R> fmt::Debug for $name<R> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

/// The infallible methods of an old `RngCore`, over the wrapped RNG in `self.0`, failing closed.
#[cfg(any(feature = "rand_core-0_6", feature = "rand_core-0_9"))]
macro_rules! infallible_methods {
    () => {
        fn next_u32(&mut self) -> u32 {
            let mut b = [0u8; 4];
            fill_or_panic(&mut self.0, &mut b);
            u32::from_le_bytes(b)
        }

        fn next_u64(&mut self) -> u64 {
            let mut b = [0u8; 8];
            fill_or_panic(&mut self.0, &mut b);
            u64::from_le_bytes(b)
        }

        fn fill_bytes(&mut self, dest: &mut [u8]) {
            fill_or_panic(&mut self.0, dest)
        }
    };
}

/// Fills `dest` from `rng`, zeroing it and panicking if the RNG fails (fail closed; the error's text is
/// not shown, since RNG errors can describe internal state).
#[cfg(any(feature = "rand_core-0_6", feature = "rand_core-0_9"))]
fn fill_or_panic<R: TryCryptoRng>(rng: &mut R, dest: &mut [u8]) {
    if rng.try_fill_bytes(dest).is_err() {
        dest.zeroize();
        panic!("the wrapped RNG failed and fails closed (for a CtrDrbg: it could not reseed)");
    }
}

/// A rand_core 0.10 cryptographic RNG behind the rand_core **0.6** traits (rand 0.8, ed25519-dalek 2).
///
/// `try_fill_bytes` returns the failure as a rand_core 0.6 error (code [`RandCore06::ERROR_CODE`]); the
/// infallible methods panic on it (fail closed). Bytes come straight from the wrapped RNG, in order:
/// `fill_bytes(32 bytes)` returns the next 32 bytes it generates.
///
/// ```
/// use qres::rng::{CtrDrbg, compat::RandCore06};
/// let mut rng = RandCore06(CtrDrbg::from_os()?);
/// let key = ed25519_dalek::SigningKey::generate(&mut rng);
/// # let _ = key;
/// # Ok::<(), qres::Error>(())
/// ```
#[cfg(feature = "rand_core-0_6")]
#[cfg_attr(docsrs, doc(cfg(feature = "rand_core-0_6")))]
pub struct RandCore06<R>(pub R);

#[cfg(feature = "rand_core-0_6")]
impl<R> RandCore06<R> {
    /// The error code `try_fill_bytes` reports a failure of the wrapped RNG with
    /// (`rand_core_06::Error::CUSTOM_START`).
    pub const ERROR_CODE: u32 = rand_core_06::Error::CUSTOM_START;
}

#[cfg(feature = "rand_core-0_6")]
impl<R: TryCryptoRng> rand_core_06::RngCore for RandCore06<R> {
    infallible_methods!();

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_06::Error> {
        self.0.try_fill_bytes(dest).map_err(|_| {
            dest.zeroize();
            let code = core::num::NonZeroU32::new(Self::ERROR_CODE).expect("a non-zero code");
            rand_core_06::Error::from(code)
        })
    }
}

#[cfg(feature = "rand_core-0_6")]
impl<R: TryCryptoRng> rand_core_06::CryptoRng for RandCore06<R> {}

#[cfg(feature = "rand_core-0_6")]
opaque_debug!(RandCore06);

/// A rand_core 0.10 cryptographic RNG behind the rand_core **0.9** traits (rand 0.9).
///
/// rand_core 0.9 derives `TryRngCore` (with an infallible error) from `RngCore`, so there is no way to
/// hand a failure on: every method panics on one (fail closed). Bytes come straight from the wrapped RNG.
///
/// ```
/// use qres::rng::{CtrDrbg, compat::RandCore09};
/// use rand09::Rng;
/// let mut rng = RandCore09(CtrDrbg::from_os()?);
/// let roll = rng.random_range(1..=6);
/// assert!((1..=6).contains(&roll));
/// # Ok::<(), qres::Error>(())
/// ```
#[cfg(feature = "rand_core-0_9")]
#[cfg_attr(docsrs, doc(cfg(feature = "rand_core-0_9")))]
pub struct RandCore09<R>(pub R);

#[cfg(feature = "rand_core-0_9")]
impl<R: TryCryptoRng> rand_core_09::RngCore for RandCore09<R> {
    infallible_methods!();
}

#[cfg(feature = "rand_core-0_9")]
impl<R: TryCryptoRng> rand_core_09::CryptoRng for RandCore09<R> {}

#[cfg(feature = "rand_core-0_9")]
opaque_debug!(RandCore09);

/// A rand_core 0.10 cryptographic RNG as rustls 0.23's `SecureRandom`, behind a mutex (rustls holds a
/// shared `&'static dyn SecureRandom`).
///
/// rustls draws from it the client and server randoms, session ids, ticket nonces and the like; the
/// ephemeral key-exchange keys (X25519, ML-KEM) come from the provider's own cryptography library, which
/// this does not change. A failure of the RNG (or a poisoned lock) is rustls' `GetRandomFailed`, and the
/// buffer is zeroed; the handshake then fails.
///
/// ```
/// use qres::rng::{CtrDrbg, compat::TlsRandom};
/// use rustls::crypto::SecureRandom;
/// let provider = TlsRandom::new(CtrDrbg::from_os()?)
///     .install_in(rustls::crypto::aws_lc_rs::default_provider());
/// let mut nonce = [0u8; 32];
/// provider.secure_random.fill(&mut nonce).unwrap();
/// assert_ne!(nonce, [0u8; 32]);
/// # Ok::<(), qres::Error>(())
/// ```
#[cfg(feature = "rustls-random")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls-random")))]
pub struct TlsRandom<R>(std::sync::Mutex<R>);

#[cfg(feature = "rustls-random")]
impl<R: rand_core::TryCryptoRng + Send + 'static> TlsRandom<R> {
    /// Wraps `rng`.
    pub fn new(rng: R) -> Self {
        Self(std::sync::Mutex::new(rng))
    }

    /// `provider` with its `secure_random` replaced by this RNG. rustls needs a `'static` reference, so
    /// this allocates the adapter once and never frees it: call it once per provider you build (usually
    /// once per process), not per connection.
    pub fn install_in(self, provider: rustls::crypto::CryptoProvider) -> rustls::crypto::CryptoProvider {
        let random: &'static Self = Box::leak(Box::new(self));
        rustls::crypto::CryptoProvider { secure_random: random, ..provider }
    }
}

#[cfg(feature = "rustls-random")]
impl<R: rand_core::TryCryptoRng + Send> rustls::crypto::SecureRandom for TlsRandom<R> {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        let filled = match self.0.lock() {
            Ok(mut rng) => rng.try_fill_bytes(buf).is_ok(),
            Err(_) => false,
        };
        if filled {
            Ok(())
        } else {
            zeroize::Zeroize::zeroize(buf);
            Err(rustls::crypto::GetRandomFailed)
        }
    }
}

#[cfg(feature = "rustls-random")]
opaque_debug!(TlsRandom);
