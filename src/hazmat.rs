//! Hazardous operations, asked for by name: everything here needs the `hazmat` feature.
//!
//! Known-answer tests, test-vector generators and protocol implementations that fix their own randomness
//! need operations that are unsafe in ordinary use: encapsulation and signing with caller-supplied
//! randomness, signing with an expanded key, FIPS 204's internal interface, HPKE's raw key schedule
//! (two sender contexts from one schedule reuse nonces), the envelope's trace of every intermediate
//! secret, unauthenticated CBC, and the backend constructors that skip an algorithm's key checks.
//!
//! The trait methods and constructors that do these things are on the ordinary types, but take a
//! [`HazmatToken`] or [`BackendToken`] as their last argument, and outside qres only [`token`] and
//! [`backend_token`] make one:
//!
//! ```
//! use qres::{default_provider, KemId, OsRng};
//!
//! let kem = default_provider().kem(KemId::ML_KEM_768)?;
//! let sk = kem.key_pair_from_seed(&[7u8; 64])?;
//! // Derandomized encapsulation, as the ACVP vectors need it.
//! let enc = kem.encapsulate_derand(sk.public_key(), &[1u8; 32], qres::hazmat::token())?;
//! assert_eq!(sk.decapsulate(&enc.ciphertext)?.as_bytes(), enc.shared_secret.as_bytes());
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! Without the feature this module does not exist, so none of those calls compile; the crate
//! `tests/hazmat-fence` checks each one (see its README).

pub use crate::primitives::{BackendToken, HazmatToken};

/// The token that the hazardous methods take (derandomized encapsulation and signing, signing with an
/// expanded key, [`SignInput::Internal`](crate::SignInput::Internal), the HPKE key schedule).
pub const fn token() -> HazmatToken {
    HazmatToken::new()
}

/// The token that backend constructors take (keys assembled from parts without the algorithm's checks,
/// a Diffie-Hellman secret's bytes). Backend crates get it without the rest of `hazmat` from
/// `qres::backend::backend_token()` (feature `backend-api`).
pub const fn backend_token() -> BackendToken {
    BackendToken::new()
}

/// The envelope's trace: every intermediate value of a sealing, for the test vectors of FORMAT.md.
pub mod envelope {
    pub use crate::envelope::seal::{seal_unchecked_with_rng_trace, seal_with_rng_trace};
    pub use crate::envelope::trace::{ChunkTrace, StanzaTrace, Trace};
}

/// Raw AES-256-CBC, as used inside the legacy AES-256-CBC-HMAC-SHA256 scheme.
///
/// Nothing here authenticates anything. Unauthenticated CBC is malleable and, combined with a decryption
/// error channel, a padding oracle. Use [`Aead`](crate::Aead) implementations instead.
pub mod aes_cbc {
    use crate::backend::default::cbc_hmac;
    use crate::error::Result;

    /// Encrypts whole blocks in place without padding (NIST SP 800-38A CBC).
    pub fn encrypt_blocks(key: &[u8], iv: &[u8], buffer: &mut [u8]) -> Result<()> {
        cbc_hmac::cbc_no_padding(key, iv, buffer, true)
    }

    /// Decrypts whole blocks in place without padding.
    pub fn decrypt_blocks(key: &[u8], iv: &[u8], buffer: &mut [u8]) -> Result<()> {
        cbc_hmac::cbc_no_padding(key, iv, buffer, false)
    }

    /// Encrypts with PKCS#7 padding; `buffer` grows by 1 to 16 bytes.
    pub fn encrypt_pkcs7(key: &[u8], iv: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        cbc_hmac::cbc_encrypt_pkcs7(key, iv, buffer)
    }

    /// Decrypts and removes PKCS#7 padding; a bad length or padding is
    /// [`Error::AuthenticationFailed`](crate::Error::AuthenticationFailed).
    pub fn decrypt_pkcs7(key: &[u8], iv: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        cbc_hmac::cbc_decrypt_pkcs7(key, iv, buffer)
    }
}
