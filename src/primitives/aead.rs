//! Authenticated encryption: the [`Aead`] algorithm trait, the keyed [`AeadCipher`] it produces, and the
//! [`AeadKey`] handle applications use.
//!
//! Nonces are the caller's responsibility at this layer: never encrypt twice under one key and nonce (the
//! envelope layer derives nonces for you). Every authentication failure — a wrong key, nonce, associated
//! data, a modified or truncated ciphertext — is the one [`Error::AuthenticationFailed`].
//!
//! ```
//! use qres::{default_provider, AeadId};
//! let aead = default_provider().aead(AeadId::AES_256_GCM)?;
//! let key = aead.new_key(&[7u8; 32])?;
//! let nonce = [0u8; 12];
//! let ct = key.seal(&nonce, b"header", b"secret")?;
//! assert_eq!(key.open(&nonce, b"header", &ct)?, b"secret");
//! assert_eq!(key.open(&nonce, b"other", &ct), Err(qres::Error::AuthenticationFailed));
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::AeadId;
use crate::error::{Error, Result};
use crate::primitives::BackendToken;
use core::fmt;
use zeroize::Zeroize;

/// An AEAD algorithm.
pub trait Aead: Send + Sync + 'static {
    /// The algorithm id.
    fn id(&self) -> AeadId;

    /// Which implementation this is (e.g. `"RustCrypto"`).
    fn implementation(&self) -> &'static str;

    /// Key length in bytes.
    fn key_len(&self) -> usize;

    /// Nonce (IV) length in bytes.
    fn nonce_len(&self) -> usize;

    /// Authentication tag length in bytes.
    fn tag_len(&self) -> usize;

    /// The largest number of bytes a ciphertext can exceed its plaintext by (tag plus padding).
    fn max_overhead(&self) -> usize {
        self.tag_len()
    }

    /// Whether the ciphertext is exactly `plaintext + tag` long, so the detached in-place calls work.
    fn is_length_preserving(&self) -> bool {
        true
    }

    /// Creates a keyed cipher. The key schedule is computed once and zeroized when the key is dropped.
    fn new_key(&'static self, key: &[u8]) -> Result<AeadKey>;
}

/// A keyed AEAD instance, produced by [`Aead::new_key`]. Implemented by backends.
pub trait AeadCipher: Send + Sync {
    /// Encrypts `buffer` in place and appends the tag (and any padding).
    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()>;

    /// Verifies and decrypts `buffer` in place, removing the tag. On failure the buffer is cleared.
    fn open_in_place(&self, nonce: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()>;

    /// Encrypts `buffer` in place and writes the tag to `tag` (length-preserving algorithms only).
    fn seal_in_place_detached(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8], tag: &mut [u8]) -> Result<()> {
        let _ = (nonce, aad, buffer, tag);
        Err(Error::Unsupported("detached in-place encryption for this AEAD"))
    }

    /// Verifies `tag` and decrypts `buffer` in place (length-preserving algorithms only). On failure the
    /// buffer is zeroed.
    fn open_in_place_detached(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8], tag: &[u8]) -> Result<()> {
        let _ = (nonce, aad, buffer, tag);
        Err(Error::Unsupported("detached in-place decryption for this AEAD"))
    }
}

/// A key bound to its AEAD algorithm.
pub struct AeadKey {
    aead: &'static dyn Aead,
    cipher: Box<dyn AeadCipher>,
}

impl AeadKey {
    /// Pairs a backend's keyed cipher with its algorithm. For backend implementations; needs a
    /// [`BackendToken`].
    pub fn from_parts(aead: &'static dyn Aead, cipher: Box<dyn AeadCipher>, _token: BackendToken) -> Self {
        Self { aead, cipher }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> AeadId {
        self.aead.id()
    }

    /// The algorithm object.
    pub fn aead(&self) -> &'static dyn Aead {
        self.aead
    }

    /// Encrypts `plaintext`, returning `ciphertext || tag`.
    pub fn seal(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut buffer = Vec::with_capacity(plaintext.len() + self.aead.max_overhead());
        buffer.extend_from_slice(plaintext);
        self.cipher.seal_in_place(nonce, aad, &mut buffer)?;
        Ok(buffer)
    }

    /// Verifies and decrypts `ciphertext || tag`.
    pub fn open(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        let mut buffer = ciphertext.to_vec();
        self.cipher.open_in_place(nonce, aad, &mut buffer)?;
        Ok(buffer)
    }

    /// Encrypts `buffer` in place, appending the tag.
    pub fn seal_in_place(&self, nonce: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        self.cipher.seal_in_place(nonce, aad, buffer)
    }

    /// Decrypts `buffer` in place, removing the tag; cleared on failure.
    pub fn open_in_place(&self, nonce: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        self.cipher.open_in_place(nonce, aad, buffer)
    }

    /// Encrypts `buffer` in place, writing the tag separately (length-preserving algorithms).
    pub fn seal_in_place_detached(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8], tag: &mut [u8]) -> Result<()> {
        self.cipher.seal_in_place_detached(nonce, aad, buffer, tag)
    }

    /// Verifies `tag` and decrypts `buffer` in place (length-preserving algorithms); zeroed on failure.
    pub fn open_in_place_detached(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8], tag: &[u8]) -> Result<()> {
        self.cipher.open_in_place_detached(nonce, aad, buffer, tag)
    }
}

impl fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AeadKey").field("algorithm", &self.algorithm()).field("key", &"[redacted]").finish()
    }
}

/// Clears a buffer that failed authentication so no unauthenticated plaintext escapes.
pub(crate) fn discard(buffer: &mut Vec<u8>) {
    buffer.zeroize();
    buffer.clear();
}
