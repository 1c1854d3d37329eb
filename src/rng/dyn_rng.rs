//! Randomness inputs.
//!
//! Operations that need randomness take `&mut dyn DynCryptoRng`. Every `rand_core` cryptographic RNG —
//! fallible ([`rand_core::TryCryptoRng`]) or infallible ([`rand_core::CryptoRng`]) — implements it through
//! a blanket impl, so the operating-system RNG ([`OsRng`]), `rand`'s generators and the SP 800-90A DRBG of
//! this crate all plug in unchanged, while the primitive traits stay object-safe.
//!
//! ```
//! use qres::{OsRng, DynCryptoRng};
//! let mut seed = [0u8; 32];
//! OsRng.fill_random(&mut seed).unwrap();
//! assert_ne!(seed, [0u8; 32]);
//! ```

use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use rand_core::TryCryptoRng;

/// The operating system's RNG (`getrandom`), re-exported from the `getrandom` crate.
pub use getrandom::SysRng as OsRng;

/// An object-safe view of a cryptographically secure RNG.
///
/// Implemented for every [`rand_core::TryCryptoRng`]; a failure of the underlying generator becomes
/// [`Error::RandomnessUnavailable`] (its details are not forwarded, since RNG errors can describe internal
/// state).
pub trait DynCryptoRng {
    /// Fills `dest` with random bytes.
    fn fill_random(&mut self, dest: &mut [u8]) -> Result<()>;
}

impl<R: TryCryptoRng + ?Sized> DynCryptoRng for R {
    fn fill_random(&mut self, dest: &mut [u8]) -> Result<()> {
        self.try_fill_bytes(dest).map_err(|_| Error::RandomnessUnavailable)
    }
}

/// `len` fresh random bytes from `rng` in a zeroizing buffer.
pub(crate) fn random_secret(rng: &mut dyn DynCryptoRng, len: usize) -> Result<SecretBytes> {
    let mut out = SecretBytes::zeroed(len);
    rng.fill_random(out.as_mut_bytes())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::convert::Infallible;

    struct Failing;
    #[derive(Debug)]
    struct Broken;
    impl core::fmt::Display for Broken {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("broken")
        }
    }
    impl core::error::Error for Broken {}
    impl rand_core::TryRng for Failing {
        type Error = Broken;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Broken> {
            Err(Broken)
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Broken> {
            Err(Broken)
        }
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> core::result::Result<(), Broken> {
            Err(Broken)
        }
    }
    impl TryCryptoRng for Failing {}

    struct Counter(u8);
    impl rand_core::TryRng for Counter {
        type Error = Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Infallible> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Infallible> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> core::result::Result<(), Infallible> {
            for b in d {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
            Ok(())
        }
    }
    impl TryCryptoRng for Counter {}

    #[test]
    fn failing_rng_becomes_typed_error() {
        let mut buf = [0u8; 4];
        assert_eq!(Failing.fill_random(&mut buf), Err(Error::RandomnessUnavailable));
    }

    #[test]
    fn infallible_rng_fills() {
        let s = random_secret(&mut Counter(0), 3).unwrap();
        assert_eq!(s.as_bytes(), &[1, 2, 3]);
    }
}
