//! Which password-KDF parameters are acceptable.
//!
//! * **Floors** (for new data): OWASP's Password Storage Cheat Sheet — Argon2id with at least one of
//!   (m = 47104 KiB, t = 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5) and p >= 1; PBKDF2-HMAC-SHA256
//!   with at least 600,000 iterations.
//! * **Ceilings** (for parameters read from a file or header that an attacker may have written): Argon2id
//!   m <= 1 GiB, t <= 16, p <= 16 and m·t <= 4 GiB·passes; PBKDF2 <= 10,000,000 iterations. Beyond these,
//!   deriving the key would be a denial of service, so they are refused before any work is done.
//!
//! ```
//! use qres::password::{PasswordKdf, PasswordPolicy};
//! let policy = PasswordPolicy::default();
//! assert!(policy.check_new(&PasswordKdf::DEFAULT).is_ok());
//! assert!(policy.check_new(&PasswordKdf::Pbkdf2Sha256 { iterations: 1000 }).is_err());
//! assert!(policy.check_untrusted(&PasswordKdf::Argon2id { m_kib: u32::MAX, t: 1, p: 1 }).is_err());
//! ```

use crate::error::{Error, Result};
use crate::password::PasswordKdf;

/// OWASP's minimum Argon2id configurations: (memory KiB, passes).
pub const ARGON2ID_FLOORS: [(u32, u32); 5] = [(47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5)];
/// OWASP's minimum PBKDF2-HMAC-SHA256 iterations.
pub const PBKDF2_FLOOR: u32 = 600_000;
/// Shortest salt written or read (bytes).
pub const MIN_SALT_LEN: usize = 16;
/// Longest salt written or read (bytes); every format that stores a salt accepts exactly this range.
pub const MAX_SALT_LEN: usize = 64;

/// Floors and ceilings for password-KDF parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// The KDF and parameters used for new derivations (default [`PasswordKdf::DEFAULT`]).
    pub kdf_for_new: PasswordKdf,
    /// Largest Argon2 memory (KiB).
    pub max_m_kib: u32,
    /// Largest Argon2 passes.
    pub max_t: u32,
    /// Largest Argon2 lanes.
    pub max_p: u32,
    /// Largest Argon2 memory × passes (KiB).
    pub max_work_kib: u64,
    /// Largest PBKDF2 iteration count.
    pub max_iterations: u32,
    /// Salt length for new derivations, in [`MIN_SALT_LEN`]`..=`[`MAX_SALT_LEN`] (checked by
    /// [`check_new`](Self::check_new)). Readers accept any salt in that range.
    pub min_salt_len: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            kdf_for_new: PasswordKdf::DEFAULT,
            max_m_kib: 1 << 20,
            max_t: 16,
            max_p: 16,
            max_work_kib: 4 << 20,
            max_iterations: 10_000_000,
            min_salt_len: 16,
        }
    }
}

impl PasswordPolicy {
    /// Parameters for new data must clear the floors and stay under the ceilings.
    pub fn check_new(&self, kdf: &PasswordKdf) -> Result<()> {
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&self.min_salt_len) {
            return Err(Error::LengthOutOfRange {
                what: "policy salt length",
                min: MIN_SALT_LEN,
                max: MAX_SALT_LEN,
                actual: self.min_salt_len,
            });
        }
        self.check_untrusted(kdf)?;
        let ok = match *kdf {
            PasswordKdf::Argon2id { m_kib, t, p } => {
                p >= 1 && ARGON2ID_FLOORS.iter().any(|&(m, tt)| m_kib >= m && t >= tt)
            }
            PasswordKdf::Pbkdf2Sha256 { iterations } => iterations >= PBKDF2_FLOOR,
        };
        if ok { Ok(()) } else { Err(Error::PasswordPolicy("password KDF parameters below the OWASP minimum")) }
    }

    /// Parameters read from outside must stay under the ceilings (checked before any work is done).
    /// Parameters below the floors are accepted, with a `tracing` warning, so that data protected under
    /// older settings stays readable.
    pub fn check_untrusted(&self, kdf: &PasswordKdf) -> Result<()> {
        match *kdf {
            PasswordKdf::Argon2id { m_kib, t, p } => {
                if m_kib > self.max_m_kib
                    || t > self.max_t
                    || p > self.max_p
                    || u64::from(m_kib) * u64::from(t) > self.max_work_kib
                    || t == 0
                    || p == 0
                    || u64::from(m_kib) < 8 * u64::from(p)
                {
                    return Err(Error::InvalidInput("Argon2id parameters outside the accepted range"));
                }
            }
            PasswordKdf::Pbkdf2Sha256 { iterations } => {
                if iterations == 0 || iterations > self.max_iterations {
                    return Err(Error::InvalidInput("PBKDF2 iteration count outside the accepted range"));
                }
            }
        }
        if self.check_floor(kdf).is_err() {
            tracing::warn!(kdf = %kdf, "password KDF parameters below the OWASP minimum (accepted for reading)");
        }
        Ok(())
    }

    fn check_floor(&self, kdf: &PasswordKdf) -> Result<()> {
        let ok = match *kdf {
            PasswordKdf::Argon2id { m_kib, t, .. } => ARGON2ID_FLOORS.iter().any(|&(m, tt)| m_kib >= m && t >= tt),
            PasswordKdf::Pbkdf2Sha256 { iterations } => iterations >= PBKDF2_FLOOR,
        };
        if ok { Ok(()) } else { Err(Error::InvalidInput("below floor")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owasp_configurations_pass_and_weaker_ones_fail() {
        let p = PasswordPolicy::default();
        for (m_kib, t) in ARGON2ID_FLOORS {
            assert!(p.check_new(&PasswordKdf::Argon2id { m_kib, t, p: 1 }).is_ok(), "{m_kib} {t}");
            assert!(p.check_new(&PasswordKdf::Argon2id { m_kib: m_kib - 1, t, p: 1 }).is_err());
        }
        assert!(p.check_new(&PasswordKdf::Argon2id { m_kib: 7_168, t: 4, p: 1 }).is_err());
        assert!(p.check_new(&PasswordKdf::Pbkdf2Sha256 { iterations: 599_999 }).is_err());
        assert!(p.check_new(&PasswordKdf::PBKDF2_DEFAULT).is_ok());
    }

    #[test]
    fn ceilings_stop_denial_of_service_but_weak_legacy_reads() {
        let p = PasswordPolicy::default();
        for kdf in [
            PasswordKdf::Argon2id { m_kib: (1 << 20) + 1, t: 1, p: 1 },
            PasswordKdf::Argon2id { m_kib: 1 << 20, t: 5, p: 1 },
            PasswordKdf::Argon2id { m_kib: 65_536, t: 17, p: 1 },
            PasswordKdf::Argon2id { m_kib: 65_536, t: 1, p: 0 },
            PasswordKdf::Pbkdf2Sha256 { iterations: 10_000_001 },
            PasswordKdf::Pbkdf2Sha256 { iterations: 0 },
        ] {
            assert!(p.check_untrusted(&kdf).is_err(), "{kdf}");
        }
        assert!(p.check_untrusted(&PasswordKdf::Pbkdf2Sha256 { iterations: 1000 }).is_ok());
    }

    /// Each ceiling on its own, at the limit (accepted) and one past it (refused); the lower bounds of
    /// untrusted parameters (no zero passes, at least 8 KiB per lane).
    #[test]
    fn each_ceiling_and_lower_bound_alone() {
        let p = PasswordPolicy::default();
        let argon = |m_kib, t, lanes| PasswordKdf::Argon2id { m_kib, t, p: lanes };
        for ok in [
            argon(1 << 20, 4, 1),
            argon(65_536, 16, 1),
            argon(65_536, 1, 16),
            argon(8, 1, 1),
            argon(128, 1, 16),
            PasswordKdf::Pbkdf2Sha256 { iterations: 10_000_000 },
            PasswordKdf::Pbkdf2Sha256 { iterations: 1 },
        ] {
            assert!(p.check_untrusted(&ok).is_ok(), "{ok}");
        }
        for bad in [argon(65_536, 1, 17), argon(65_536, 0, 1), argon(7, 1, 1), argon(127, 1, 16)] {
            assert!(p.check_untrusted(&bad).is_err(), "{bad}");
        }
        // The work ceiling alone (m and t each under their own ceiling).
        let tight = PasswordPolicy { max_work_kib: 65_536 * 4, ..PasswordPolicy::default() };
        assert!(tight.check_untrusted(&argon(65_536, 4, 1)).is_ok());
        assert!(tight.check_untrusted(&argon(65_536, 5, 1)).is_err());
    }

    #[test]
    fn new_data_needs_a_policy_salt_length_in_range() {
        for (len, ok) in [(15, false), (16, true), (64, true), (65, false)] {
            let p = PasswordPolicy { min_salt_len: len, ..PasswordPolicy::default() };
            assert_eq!(p.check_new(&PasswordKdf::DEFAULT).is_ok(), ok, "salt length {len}");
        }
    }
}
