//! Wrapping keys: what protects keysets at rest.
//!
//! A [`KeyWrapper`] wraps and unwraps a 32-byte *data key*; [`seal`] encrypts any secret (a serialized
//! keyset) under a fresh data key with AES-256-GCM and stores the wrapped data key beside it (envelope
//! encryption, as Tink's `KmsEnvelopeAead`). The wrapper therefore only ever sees 32 bytes, which suits
//! remote wrappers: the Vault/OpenBao transit engine and a PKCS#11 token keep the wrapping key and do the
//! wrapping themselves.
//!
//! Wrappers here: [`PasswordWrapper`] (Argon2id), [`AesKeyWrapper`] (a raw 256-bit key, for keys held by
//! the application); with features, `VaultTransitWrapper` (`vault`) and `Pkcs11Wrapper` (`pkcs11`).
//!
//! # Sealed format
//!
//! `"qres-wk1" || wrapper kind (1) || wrapped data key length (2, big-endian) || wrapped data key ||
//! nonce (12) || AES-256-GCM(data key, nonce, aad, plaintext)`, where `aad` is every byte before the
//! ciphertext followed by the caller's context (the key store binds the keyset's name there, so a
//! wrapped keyset cannot be moved to another name). Every failure to open is
//! [`Error::AuthenticationFailed`], except a blob made by another kind of wrapper
//! ([`Error::WrongWrapper`]).
//!
//! ```
//! use qres::keys::wrap::{self, AesKeyWrapper};
//! use qres::OsRng;
//! let wrapper = AesKeyWrapper::new(&[7u8; 32])?;
//! let sealed = wrap::seal(&wrapper, b"keyset bytes", b"name", &mut OsRng)?;
//! assert_eq!(wrap::open(&wrapper, &sealed, b"name")?.as_bytes(), b"keyset bytes");
//! assert!(wrap::open(&wrapper, &sealed, b"other name").is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::password::policy::{MAX_SALT_LEN, MIN_SALT_LEN};
use crate::password::{PasswordKdf, PasswordPolicy, kdf};
use crate::rng::{DynCryptoRng, random_secret};
use crate::secret::SecretBytes;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

/// Magic bytes of a sealed blob.
pub const MAGIC: &[u8; 8] = b"qres-wk1";
/// Length of data keys.
pub const DATA_KEY_LEN: usize = 32;
/// Largest wrapped data key accepted (Vault's transit ciphertexts are text of ~90 bytes).
pub const MAX_WRAPPED_KEY_LEN: usize = 4096;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The kind byte of each wrapper, stored in sealed blobs.
pub mod kind {
    /// [`super::PasswordWrapper`].
    pub const PASSWORD: u8 = 1;
    /// [`super::AesKeyWrapper`].
    pub const AES_KEY: u8 = 2;
    /// The Vault/OpenBao transit engine (feature `vault`).
    pub const VAULT_TRANSIT: u8 = 3;
    /// A PKCS#11 token (feature `pkcs11`).
    pub const PKCS11: u8 = 4;

    /// The name of a kind byte, for errors.
    pub fn name(kind: u8) -> &'static str {
        match kind {
            PASSWORD => "a password",
            AES_KEY => "an AES-256 key",
            VAULT_TRANSIT => "the Vault/OpenBao transit engine",
            PKCS11 => "a PKCS#11 token",
            _ => "an unknown wrapper",
        }
    }
}

/// Wraps and unwraps 32-byte data keys under a wrapping key the implementation holds (or a remote
/// service holds for it).
pub trait KeyWrapper: Send + Sync {
    /// The kind byte stored in sealed blobs ([`kind`]).
    fn kind(&self) -> u8;

    /// Wraps `data_key`, bound to `context` (a wrapped key must not unwrap under another context).
    fn wrap_key(&self, data_key: &[u8], context: &[u8], rng: &mut dyn DynCryptoRng) -> Result<Vec<u8>>;

    /// Unwraps what [`wrap_key`](Self::wrap_key) returned for the same `context`. A wrapped key that was
    /// altered, or belongs to another wrapping key or context, is [`Error::AuthenticationFailed`];
    /// remote wrappers may also return key-store errors (unreachable, access denied).
    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes>;
}

/// Encrypts `plaintext` under a fresh data key wrapped by `wrapper` (see the [module docs](self)).
pub fn seal(wrapper: &dyn KeyWrapper, plaintext: &[u8], context: &[u8], rng: &mut dyn DynCryptoRng) -> Result<Vec<u8>> {
    let data_key = random_secret(rng, DATA_KEY_LEN)?;
    let wrapped = wrapper.wrap_key(data_key.as_bytes(), context, rng)?;
    if wrapped.len() > MAX_WRAPPED_KEY_LEN {
        return Err(Error::Backend("the wrapper returned an over-long wrapped key"));
    }
    let nonce = random_secret(rng, NONCE_LEN)?;
    let mut out = Vec::with_capacity(MAGIC.len() + 3 + wrapped.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(MAGIC);
    out.push(wrapper.kind());
    out.extend_from_slice(&(wrapped.len() as u16).to_be_bytes());
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(nonce.as_bytes());
    let aad = [&out[..], context].concat();
    let sealed = super::aes256gcm(data_key.as_bytes())?.seal_with_nonce(nonce.as_bytes(), &aad, plaintext)?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Which kind of wrapper sealed `blob` ([`kind`]), if it is a sealed blob.
pub fn sealed_kind(blob: &[u8]) -> Option<u8> {
    (blob.len() > MAGIC.len() && blob.starts_with(MAGIC)).then(|| blob[MAGIC.len()])
}

/// Opens what [`seal`] produced with the same `context`.
pub fn open(wrapper: &dyn KeyWrapper, blob: &[u8], context: &[u8]) -> Result<SecretBytes> {
    let kind = sealed_kind(blob).ok_or(Error::InvalidInput("not a qres wrapped blob (magic qres-wk1 missing)"))?;
    if kind != wrapper.kind() {
        return Err(Error::WrongWrapper { expected: kind::name(wrapper.kind()), found: kind::name(kind) });
    }
    let at = MAGIC.len() + 1;
    let len = blob
        .get(at..at + 2)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        .ok_or(Error::AuthenticationFailed)?;
    let wrapped_end = at + 2 + len;
    let nonce_end = wrapped_end + NONCE_LEN;
    if len > MAX_WRAPPED_KEY_LEN || blob.len() < nonce_end + TAG_LEN {
        return Err(Error::AuthenticationFailed);
    }
    let data_key = wrapper.unwrap_key(&blob[at + 2..wrapped_end], context)?;
    if data_key.len() != DATA_KEY_LEN {
        return Err(Error::AuthenticationFailed);
    }
    let aad = [&blob[..nonce_end], context].concat();
    let plain = super::aes256gcm(data_key.as_bytes())?.open_with_nonce(
        &blob[wrapped_end..nonce_end],
        &aad,
        &blob[nonce_end..],
    )?;
    Ok(SecretBytes::new(plain))
}

/// Wraps under a raw AES-256 key held by the application: `nonce (12) || AES-256-GCM(key, nonce,
/// context, data key)`.
pub struct AesKeyWrapper {
    key: SecretBytes,
}

impl AesKeyWrapper {
    /// A wrapper over a 32-byte key.
    pub fn new(key: &[u8]) -> Result<Self> {
        crate::error::check_len("AES-256 wrapping key", 32, key.len())?;
        Ok(Self { key: SecretBytes::from_slice(key) })
    }
}

impl core::fmt::Debug for AesKeyWrapper {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AesKeyWrapper { key: <redacted> }")
    }
}

impl KeyWrapper for AesKeyWrapper {
    fn kind(&self) -> u8 {
        kind::AES_KEY
    }

    fn wrap_key(&self, data_key: &[u8], context: &[u8], rng: &mut dyn DynCryptoRng) -> Result<Vec<u8>> {
        let nonce = random_secret(rng, NONCE_LEN)?;
        let mut out = nonce.as_bytes().to_vec();
        out.extend_from_slice(&super::aes256gcm(self.key.as_bytes())?.seal_with_nonce(
            nonce.as_bytes(),
            context,
            data_key,
        )?);
        Ok(out)
    }

    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        if wrapped.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::AuthenticationFailed);
        }
        let (nonce, ct) = wrapped.split_at(NONCE_LEN);
        Ok(SecretBytes::new(super::aes256gcm(self.key.as_bytes())?.open_with_nonce(nonce, context, ct)?))
    }
}

struct CachedKek {
    kdf: PasswordKdf,
    salt: Vec<u8>,
    kek: SecretBytes,
}

/// Wraps under a key derived from a password with the policy's KDF (Argon2id by default):
/// `kdf (13) || salt length (1) || salt || nonce (12) || AES-256-GCM(kek, nonce, kdf || salt || context,
/// data key)`.
///
/// Deriving costs what the policy says (64 MiB and ~0.1-0.3 s by default), so a wrapper derives its
/// *write* key once, from a salt it generated itself, and reuses it for every wrap (each with a fresh
/// nonce); it also remembers the last key it derived to *read* a blob, but only after that blob
/// authenticated, and never adopts a salt read from storage for new wraps. KDF parameters read from
/// stored blobs must pass the policy's ceilings.
pub struct PasswordWrapper {
    password: SecretBytes,
    policy: PasswordPolicy,
    write: Mutex<Option<CachedKek>>,
    read: Mutex<Option<CachedKek>>,
}

impl PasswordWrapper {
    /// A wrapper over `password` with `policy` (its `kdf_for_new` must meet the policy's floors and its
    /// salt length be valid).
    pub fn new(password: &[u8], policy: PasswordPolicy) -> Result<Self> {
        policy.check_new(&policy.kdf_for_new)?;
        if password.is_empty() {
            return Err(Error::PasswordPolicy("an empty password protects nothing"));
        }
        Ok(Self {
            password: SecretBytes::from_slice(password),
            policy,
            write: Mutex::new(None),
            read: Mutex::new(None),
        })
    }

    fn derive(&self, kdf: &PasswordKdf, salt: &[u8]) -> Result<SecretBytes> {
        let mut kek = SecretBytes::zeroed(32);
        kdf.derive(self.password.as_bytes(), salt, kek.as_mut_bytes())?;
        Ok(kek)
    }

    /// The write key and its salt, derived on first use from a fresh salt.
    fn write_kek(&self, rng: &mut dyn DynCryptoRng) -> Result<(PasswordKdf, Vec<u8>, SecretBytes)> {
        let mut write = self.write.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = write.as_ref() {
            return Ok((c.kdf, c.salt.clone(), c.kek.clone()));
        }
        let kdf = self.policy.kdf_for_new;
        let salt = random_secret(rng, self.policy.min_salt_len)?.as_bytes().to_vec();
        let kek = self.derive(&kdf, &salt)?;
        *write = Some(CachedKek { kdf, salt: salt.clone(), kek: kek.clone() });
        Ok((kdf, salt, kek))
    }

    /// A cached key for (kdf, salt) from the write key or an authenticated read, if any.
    fn cached(&self, kdf: &PasswordKdf, salt: &[u8]) -> Option<SecretBytes> {
        for cache in [&self.write, &self.read] {
            let c = cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = c.as_ref()
                && c.kdf == *kdf
                && bool::from(c.salt.ct_eq(salt))
            {
                return Some(c.kek.clone());
            }
        }
        None
    }
}

impl core::fmt::Debug for PasswordWrapper {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PasswordWrapper").field("kdf", &self.policy.kdf_for_new).finish_non_exhaustive()
    }
}

impl KeyWrapper for PasswordWrapper {
    fn kind(&self) -> u8 {
        kind::PASSWORD
    }

    fn wrap_key(&self, data_key: &[u8], context: &[u8], rng: &mut dyn DynCryptoRng) -> Result<Vec<u8>> {
        let (kdf, salt, kek) = self.write_kek(rng)?;
        let nonce = random_secret(rng, NONCE_LEN)?;
        let mut out = kdf.encode().to_vec();
        // The policy's salt length is checked to lie in 16..=64 by `check_new` in `new`.
        out.push(salt.len() as u8);
        out.extend_from_slice(&salt);
        let aad = [&out[..], context].concat();
        out.extend_from_slice(nonce.as_bytes());
        out.extend_from_slice(&super::aes256gcm(kek.as_bytes())?.seal_with_nonce(nonce.as_bytes(), &aad, data_key)?);
        Ok(out)
    }

    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        let kdf = PasswordKdf::decode(wrapped.get(..kdf::ENCODED_LEN).ok_or(Error::AuthenticationFailed)?)
            .map_err(|_| Error::AuthenticationFailed)?;
        let salt_len = usize::from(*wrapped.get(kdf::ENCODED_LEN).ok_or(Error::AuthenticationFailed)?);
        let salt_end = kdf::ENCODED_LEN + 1 + salt_len;
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt_len) || wrapped.len() < salt_end + NONCE_LEN + TAG_LEN {
            return Err(Error::AuthenticationFailed);
        }
        let salt = &wrapped[kdf::ENCODED_LEN + 1..salt_end];
        let (kek, fresh) = match self.cached(&kdf, salt) {
            Some(k) => (k, false),
            None => {
                self.policy.check_untrusted(&kdf)?;
                (self.derive(&kdf, salt)?, true)
            }
        };
        let aad = [&wrapped[..salt_end], context].concat();
        let (nonce, ct) = wrapped[salt_end..].split_at(NONCE_LEN);
        let data_key = SecretBytes::new(super::aes256gcm(kek.as_bytes())?.open_with_nonce(nonce, &aad, ct)?);
        if fresh {
            // Cache only what authenticated: a planted blob cannot choose what this wrapper remembers.
            *self.read.lock().unwrap_or_else(|p| p.into_inner()) = Some(CachedKek { kdf, salt: salt.to_vec(), kek });
        }
        Ok(data_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OsRng;

    fn cheap_policy() -> PasswordPolicy {
        PasswordPolicy { kdf_for_new: PasswordKdf::Argon2id { m_kib: 19_456, t: 2, p: 1 }, ..Default::default() }
    }

    #[test]
    fn every_byte_of_a_sealed_blob_is_authenticated() {
        for wrapper in [
            Box::new(AesKeyWrapper::new(&[9u8; 32]).unwrap()) as Box<dyn KeyWrapper>,
            Box::new(PasswordWrapper::new(b"correct horse", cheap_policy()).unwrap()),
        ] {
            let sealed = seal(wrapper.as_ref(), b"secret keyset", b"ctx", &mut OsRng).unwrap();
            assert_eq!(open(wrapper.as_ref(), &sealed, b"ctx").unwrap().as_bytes(), b"secret keyset");
            for i in 0..sealed.len() {
                let mut bad = sealed.clone();
                bad[i] ^= 0x01;
                let e = open(wrapper.as_ref(), &bad, b"ctx").unwrap_err();
                // The magic and kind bytes are routing fields with their own errors; the rest is opaque,
                // except the password wrapper's KDF parameters, which may exceed the policy's ceilings
                // (refused before any work).
                let kdf_params = 11 + 1..11 + kdf::ENCODED_LEN;
                if i > MAGIC.len() {
                    if wrapper.kind() == kind::PASSWORD && kdf_params.contains(&i) {
                        assert!(matches!(e, Error::AuthenticationFailed | Error::InvalidInput(_)), "byte {i}: {e}");
                    } else {
                        assert_eq!(e, Error::AuthenticationFailed, "byte {i}");
                    }
                }
            }
            assert!(open(wrapper.as_ref(), &sealed[..sealed.len() - 1], b"ctx").is_err());
            assert_eq!(open(wrapper.as_ref(), &sealed, b"ctx2").unwrap_err(), Error::AuthenticationFailed);
        }
    }

    #[test]
    fn wrong_password_and_wrong_wrapper() {
        let a = PasswordWrapper::new(b"correct horse", cheap_policy()).unwrap();
        let b = PasswordWrapper::new(b"battery staple", cheap_policy()).unwrap();
        let sealed = seal(&a, b"x", b"", &mut OsRng).unwrap();
        assert_eq!(open(&b, &sealed, b"").unwrap_err(), Error::AuthenticationFailed);
        let aes = AesKeyWrapper::new(&[1u8; 32]).unwrap();
        assert!(matches!(open(&aes, &sealed, b""), Err(Error::WrongWrapper { .. })));
        // The derived key is cached: a second seal reuses the salt but not the nonce.
        let again = seal(&a, b"x", b"", &mut OsRng).unwrap();
        assert_eq!(sealed[11..11 + 13 + 17], again[11..11 + 13 + 17]);
        assert_ne!(sealed, again);
    }

    #[test]
    fn a_planted_blob_cannot_choose_the_salt_of_later_wraps() {
        let w = PasswordWrapper::new(b"correct horse", cheap_policy()).unwrap();
        // A blob with an attacker's salt and garbage after it: it fails, and is not remembered.
        let mut planted = cheap_policy().kdf_for_new.encode().to_vec();
        planted.push(16);
        planted.extend_from_slice(&[0xAA; 16]);
        planted.extend_from_slice(&[0u8; 12 + 48]);
        assert_eq!(w.unwrap_key(&planted, b"").unwrap_err(), Error::AuthenticationFailed);
        let wrapped = w.wrap_key(&[1u8; 32], b"", &mut OsRng).unwrap();
        assert_ne!(&wrapped[14..30], &[0xAA; 16]);
        // Even a genuine blob made by another wrapper (same password) is not adopted for writing.
        let other = PasswordWrapper::new(b"correct horse", cheap_policy()).unwrap();
        let foreign = other.wrap_key(&[2u8; 32], b"", &mut OsRng).unwrap();
        assert_eq!(w.unwrap_key(&foreign, b"").unwrap().as_bytes(), &[2u8; 32]);
        let again = w.wrap_key(&[1u8; 32], b"", &mut OsRng).unwrap();
        assert_eq!(&again[14..30], &wrapped[14..30]);
        assert_ne!(&again[14..30], &foreign[14..30]);
    }

    #[test]
    fn salt_lengths_follow_the_policy() {
        for len in [16usize, 40, 64] {
            let w = PasswordWrapper::new(b"pw", PasswordPolicy { min_salt_len: len, ..cheap_policy() }).unwrap();
            let sealed = seal(&w, b"x", b"", &mut OsRng).unwrap();
            assert_eq!(usize::from(sealed[11 + 13]), len);
            assert_eq!(open(&w, &sealed, b"").unwrap().as_bytes(), b"x");
        }
        for len in [0usize, 15, 65, 300] {
            assert!(PasswordWrapper::new(b"pw", PasswordPolicy { min_salt_len: len, ..cheap_policy() }).is_err());
        }
    }
}
