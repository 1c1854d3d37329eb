//! Password-based key derivation: Argon2id (RFC 9106, the default) and PBKDF2-HMAC-SHA256 (RFC 8018,
//! for compatibility), with their parameters kept beside the output.
//!
//! [`PasswordKdf`] is the parameter set; it encodes to a few bytes ([`PasswordKdf::encode`]) that travel
//! with whatever the derived key protects, and decodes strictly. Whether parameters are acceptable is the
//! [`PasswordPolicy`](crate::password::PasswordPolicy)'s decision.
//!
//! ```
//! use qres::password::PasswordKdf;
//! let kdf = PasswordKdf::Argon2id { m_kib: 19 * 1024, t: 2, p: 1 };
//! let mut key = [0u8; 32];
//! kdf.derive(b"correct horse battery staple", b"a 16-byte salt!!", &mut key)?;
//! assert_eq!(PasswordKdf::decode(&kdf.encode())?, kdf);
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};

/// Length of [`PasswordKdf::encode`]'s output.
pub const ENCODED_LEN: usize = 13;

/// A password-based KDF and its cost parameters.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordKdf {
    /// Argon2id, version 0x13 (RFC 9106).
    Argon2id {
        /// Memory in KiB.
        m_kib: u32,
        /// Passes over memory.
        t: u32,
        /// Lanes.
        p: u32,
    },
    /// PBKDF2 with HMAC-SHA256 (RFC 8018).
    Pbkdf2Sha256 {
        /// Iterations.
        iterations: u32,
    },
}

impl PasswordKdf {
    /// The default for new data: Argon2id with RFC 9106's second recommended option (64 MiB, 3 passes,
    /// 4 lanes).
    pub const DEFAULT: Self = Self::Argon2id { m_kib: 64 * 1024, t: 3, p: 4 };

    /// OWASP's PBKDF2-HMAC-SHA256 recommendation (600,000 iterations), for compatibility.
    pub const PBKDF2_DEFAULT: Self = Self::Pbkdf2Sha256 { iterations: 600_000 };

    /// Derives `out.len()` bytes from `password` and `salt`. Does not apply any policy: use
    /// [`PasswordPolicy::check_new`](crate::password::PasswordPolicy::check_new) or
    /// [`check_untrusted`](crate::password::PasswordPolicy::check_untrusted) first.
    pub fn derive(&self, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<()> {
        match *self {
            Self::Argon2id { m_kib, t, p } => argon2_raw(
                argon2::Algorithm::Argon2id,
                argon2::Version::V0x13,
                m_kib,
                t,
                p,
                password,
                salt,
                &[],
                &[],
                out,
            ),
            Self::Pbkdf2Sha256 { iterations } => {
                if iterations == 0 || out.is_empty() {
                    return Err(Error::InvalidInput("PBKDF2 needs at least one iteration and one output byte"));
                }
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out);
                Ok(())
            }
        }
    }

    /// `id (1 byte) || three u32 parameters` (big-endian): Argon2id = 1, `m_kib, t, p`; PBKDF2 = 2,
    /// `iterations, 0, 0`.
    pub fn encode(&self) -> [u8; ENCODED_LEN] {
        let (id, a, b, c) = match *self {
            Self::Argon2id { m_kib, t, p } => (1u8, m_kib, t, p),
            Self::Pbkdf2Sha256 { iterations } => (2u8, iterations, 0, 0),
        };
        let mut out = [0u8; ENCODED_LEN];
        out[0] = id;
        out[1..5].copy_from_slice(&a.to_be_bytes());
        out[5..9].copy_from_slice(&b.to_be_bytes());
        out[9..13].copy_from_slice(&c.to_be_bytes());
        out
    }

    /// Strict inverse of [`encode`](Self::encode).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let b: [u8; ENCODED_LEN] = bytes.try_into().map_err(|_| Error::InvalidLength {
            what: "password KDF parameters",
            expected: ENCODED_LEN,
            actual: bytes.len(),
        })?;
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        match b[0] {
            1 => Ok(Self::Argon2id { m_kib: word(1), t: word(5), p: word(9) }),
            2 if word(5) == 0 && word(9) == 0 => Ok(Self::Pbkdf2Sha256 { iterations: word(1) }),
            _ => Err(Error::InvalidInput("unknown password KDF or malformed parameters")),
        }
    }
}

impl core::fmt::Display for PasswordKdf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Argon2id { m_kib, t, p } => write!(f, "Argon2id(m={m_kib} KiB, t={t}, p={p})"),
            Self::Pbkdf2Sha256 { iterations } => write!(f, "PBKDF2-HMAC-SHA256({iterations} iterations)"),
        }
    }
}

/// Argon2 with every input of RFC 9106 exposed (variant, version, secret `K`, associated data `X`), for
/// known-answer tests. Hazardous: no policy is applied.
#[allow(clippy::too_many_arguments)]
pub fn argon2_raw(
    algorithm: argon2::Algorithm,
    version: argon2::Version,
    m_kib: u32,
    t: u32,
    p: u32,
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    associated_data: &[u8],
    out: &mut [u8],
) -> Result<()> {
    let data = argon2::AssociatedData::new(associated_data)
        .map_err(|_| Error::InvalidInput("Argon2 associated data too long"))?;
    let params = argon2::ParamsBuilder::new()
        .m_cost(m_kib)
        .t_cost(t)
        .p_cost(p)
        .data(data)
        .output_len(out.len())
        .build()
        .map_err(|_| Error::InvalidInput("Argon2 parameters out of range"))?;
    let ctx = if secret.is_empty() {
        argon2::Argon2::new(algorithm, version, params)
    } else {
        argon2::Argon2::new_with_secret(secret, algorithm, version, params)
            .map_err(|_| Error::InvalidInput("Argon2 secret too long"))?
    };
    ctx.hash_password_into(password, salt, out).map_err(|e| match e {
        argon2::Error::OutOfMemory => Error::Backend("Argon2 could not allocate its memory"),
        _ => Error::InvalidInput("Argon2 input out of range (salt at least 8 bytes, output at least 4)"),
    })
}

/// Re-exports of the Argon2 variant and version selectors used by [`argon2_raw`].
pub mod argon2_types {
    pub use argon2::{Algorithm, Version};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_strict() {
        for kdf in [PasswordKdf::DEFAULT, PasswordKdf::PBKDF2_DEFAULT] {
            assert_eq!(PasswordKdf::decode(&kdf.encode()).unwrap(), kdf);
        }
        let mut bad = PasswordKdf::PBKDF2_DEFAULT.encode();
        bad[8] = 1;
        assert!(PasswordKdf::decode(&bad).is_err());
        assert!(PasswordKdf::decode(&[3; 13]).is_err());
        assert!(matches!(PasswordKdf::decode(&[1; 12]), Err(Error::InvalidLength { .. })));
    }

    #[test]
    fn invalid_parameters_are_errors_not_panics() {
        let mut out = [0u8; 32];
        assert!(PasswordKdf::Argon2id { m_kib: 0, t: 0, p: 0 }.derive(b"pw", b"saltsalt", &mut out).is_err());
        assert!(PasswordKdf::Argon2id { m_kib: 64, t: 1, p: 1 }.derive(b"pw", b"short", &mut out).is_err());
        assert!(PasswordKdf::Pbkdf2Sha256 { iterations: 0 }.derive(b"pw", b"salt", &mut out).is_err());
    }
}
