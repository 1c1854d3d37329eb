//! Authenticated encryption: the [`Aead`] algorithm trait, the keyed [`AeadCipher`] it produces, and the
//! [`AeadKey`] handle applications use.
//!
//! [`AeadKey::encrypt`] draws a random nonce and puts it in front of the ciphertext, so nonces never
//! have to be managed (Tink's layout). The forms that take a nonce say so in their names
//! ([`AeadKey::seal_with_nonce`] and its in-place siblings): with them, never encrypt twice under one key
//! and nonce (the envelope and HPKE layers derive nonces for you). Every authentication failure — a wrong
//! key, nonce, associated data, a modified or truncated ciphertext — is the one
//! [`Error::AuthenticationFailed`].
//!
//! ```
//! use qres::{default_provider, AeadId, OsRng};
//! let aead = default_provider().aead(AeadId::AES_256_GCM)?;
//! let key = aead.new_key(&[7u8; 32])?;
//! let ct = key.encrypt(b"header", b"secret", &mut OsRng)?;
//! assert_eq!(key.decrypt(b"header", &ct)?, b"secret");
//! assert_eq!(key.decrypt(b"other", &ct), Err(qres::Error::AuthenticationFailed));
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::AeadId;
use crate::error::{Error, Result};
use crate::primitives::BackendToken;
use crate::random::DynCryptoRng;
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

    /// Encrypts `plaintext` under a fresh random nonce from `rng`, returning `nonce || ciphertext || tag`
    /// (the Tink layout). The nonce never has to be managed, so it cannot be reused by mistake.
    ///
    /// Random 96-bit nonces bound how many messages one key may seal: at most 2^32 for AES-GCM and
    /// ChaCha20-Poly1305 (NIST SP 800-38D §8.3), after which the key must be rotated. For more, or for
    /// records of a stream, use a protocol that derives nonces (the envelope's STREAM, HPKE contexts).
    pub fn encrypt(&self, aad: &[u8], plaintext: &[u8], rng: &mut dyn DynCryptoRng) -> Result<Vec<u8>> {
        let mut nonce = vec![0u8; self.aead.nonce_len()];
        rng.fill_random(&mut nonce)?;
        let mut body = Vec::with_capacity(plaintext.len() + self.aead.max_overhead());
        body.extend_from_slice(plaintext);
        self.cipher.seal_in_place(&nonce, aad, &mut body)?;
        nonce.extend_from_slice(&body);
        Ok(nonce)
    }

    /// Verifies and decrypts `nonce || ciphertext || tag` made by [`encrypt`](Self::encrypt). Every
    /// failure, including a message too short to hold a nonce and a tag, is
    /// [`Error::AuthenticationFailed`].
    pub fn decrypt(&self, aad: &[u8], message: &[u8]) -> Result<Vec<u8>> {
        let nonce_len = self.aead.nonce_len();
        if message.len() < nonce_len {
            return Err(Error::AuthenticationFailed);
        }
        let (nonce, ciphertext) = message.split_at(nonce_len);
        let mut buffer = ciphertext.to_vec();
        self.cipher.open_in_place(nonce, aad, &mut buffer)?;
        Ok(buffer)
    }

    /// Encrypts `plaintext` under a caller-chosen `nonce`, returning `ciphertext || tag`.
    ///
    /// The caller must never use a nonce twice with one key: for AES-GCM a repeated nonce reveals the
    /// XOR of the two plaintexts and the authentication key. Prefer [`encrypt`](Self::encrypt).
    pub fn seal_with_nonce(&self, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut buffer = Vec::with_capacity(plaintext.len() + self.aead.max_overhead());
        buffer.extend_from_slice(plaintext);
        self.cipher.seal_in_place(nonce, aad, &mut buffer)?;
        Ok(buffer)
    }

    /// Verifies and decrypts `ciphertext || tag` sealed under `nonce`.
    pub fn open_with_nonce(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        let mut buffer = ciphertext.to_vec();
        self.cipher.open_in_place(nonce, aad, &mut buffer)?;
        Ok(buffer)
    }

    /// Encrypts `buffer` in place under a caller-chosen `nonce` (never reused with this key), appending
    /// the tag.
    pub fn seal_in_place_with_nonce(&self, nonce: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        self.cipher.seal_in_place(nonce, aad, buffer)
    }

    /// Decrypts `buffer` in place, removing the tag; cleared on failure.
    pub fn open_in_place_with_nonce(&self, nonce: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        self.cipher.open_in_place(nonce, aad, buffer)
    }

    /// Encrypts `buffer` in place under a caller-chosen `nonce` (never reused with this key), writing the
    /// tag separately (length-preserving algorithms).
    pub fn seal_in_place_detached_with_nonce(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &mut [u8],
    ) -> Result<()> {
        self.cipher.seal_in_place_detached(nonce, aad, buffer, tag)
    }

    /// Verifies `tag` and decrypts `buffer` in place (length-preserving algorithms); zeroed on failure.
    pub fn open_in_place_detached_with_nonce(
        &self,
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8],
    ) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use crate::{AeadId, Error, OsRng, default_provider};

    #[test]
    fn encrypt_draws_a_fresh_nonce_and_decrypt_refuses_every_change() {
        for id in [AeadId::AES_128_GCM, AeadId::AES_256_GCM, AeadId::CHACHA20_POLY1305] {
            let aead = default_provider().aead(id).unwrap();
            let key = aead.new_key(&vec![9u8; aead.key_len()]).unwrap();
            let a = key.encrypt(b"aad", b"message", &mut OsRng).unwrap();
            let b = key.encrypt(b"aad", b"message", &mut OsRng).unwrap();
            assert_ne!(a[..aead.nonce_len()], b[..aead.nonce_len()], "{id}: two encryptions, one nonce");
            assert_eq!(a.len(), aead.nonce_len() + 7 + aead.max_overhead());
            assert_eq!(key.decrypt(b"aad", &a).unwrap(), b"message");
            // The nonce is what was used: opening the body under it with the raw form agrees.
            let (nonce, body) = a.split_at(aead.nonce_len());
            assert_eq!(key.open_with_nonce(nonce, b"aad", body).unwrap(), b"message");
            for i in 0..a.len() {
                let mut c = a.clone();
                c[i] ^= 1;
                assert_eq!(key.decrypt(b"aad", &c), Err(Error::AuthenticationFailed), "{id}: byte {i} flipped");
            }
            for len in 0..a.len() {
                assert_eq!(key.decrypt(b"aad", &a[..len]), Err(Error::AuthenticationFailed), "{id}: {len} bytes");
            }
            assert_eq!(key.decrypt(b"other", &a), Err(Error::AuthenticationFailed));
        }
    }
}
