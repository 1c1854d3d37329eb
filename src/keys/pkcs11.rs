//! [`Pkcs11Wrapper`]: data keys wrapped inside a PKCS#11 token by an AES-256 key that was generated there
//! and can never leave it (`CKA_SENSITIVE`, not `CKA_EXTRACTABLE`). Feature `pkcs11`.
//!
//! Wrapping is `C_Encrypt` with `CKM_AES_GCM` on the token: a 96-bit nonce from the caller's RNG, the
//! store's context as associated data, a 128-bit tag; the wrapped key is `nonce || ciphertext || tag`.
//! Keysets sealed this way can live in any store (e.g. a [`FileKeyStore`](crate::keys::FileKeyStore)).
//!
//! ```no_run
//! use qres::keys::pkcs11::Pkcs11Wrapper;
//! use qres::keys::{FileKeyStore, KeyAlgorithm, KeyStore, Keyset};
//! use qres::pkcs11::{Pkcs11Config, Pkcs11Token};
//! use qres::{default_provider, KemId, OsRng};
//! let token = Pkcs11Token::open(&Pkcs11Config::new("/usr/lib/softhsm/libsofthsm2.so", "qres", b"1234"))?;
//! let wrapper = Pkcs11Wrapper::find_or_generate(token, "qres-keysets")?;
//! let store = FileKeyStore::open("/var/lib/myapp/keys", wrapper, default_provider())?;
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::keys::wrap::{KeyWrapper, kind};
use crate::pkcs11::Pkcs11Token;
use crate::random::{DynCryptoRng, random_secret};
use crate::secret::SecretBytes;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use std::sync::Arc;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Wraps data keys with a non-extractable AES-256 key inside a PKCS#11 token.
#[derive(Debug)]
pub struct Pkcs11Wrapper {
    token: Arc<Pkcs11Token>,
    key: ObjectHandle,
    key_label: String,
}

/// Properties of the wrapping key as the token reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappingKeyInfo {
    /// `CKA_SENSITIVE`.
    pub sensitive: bool,
    /// `CKA_EXTRACTABLE`.
    pub extractable: bool,
    /// `CKA_NEVER_EXTRACTABLE`.
    pub never_extractable: bool,
    /// `CKA_VALUE_LEN` in bytes.
    pub value_len: u64,
}

impl Pkcs11Wrapper {
    fn template(label: &str) -> Vec<Attribute> {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Label(label.as_bytes().to_vec()),
        ]
    }

    /// Uses the AES key labelled `key_label`; [`Error::NotFound`] if there is none.
    pub fn find(token: Arc<Pkcs11Token>, key_label: &str) -> Result<Self> {
        let found =
            token.session().find_objects(&Self::template(key_label)).map_err(|e| token.error("C_FindObjects", e))?;
        match found.as_slice() {
            [key] => Ok(Self { key: *key, token, key_label: key_label.to_owned() }),
            [] => Err(Error::NotFound { what: "PKCS#11 wrapping key", name: key_label.to_owned() }),
            _ => Err(Error::InvalidInput("several PKCS#11 keys carry this label; labels must be unique")),
        }
    }

    /// Generates a new AES-256 key labelled `key_label` on the token: persistent, private, sensitive and
    /// not extractable, usable only to encrypt and decrypt. Fails if the label is taken.
    pub fn generate(token: Arc<Pkcs11Token>, key_label: &str) -> Result<Self> {
        if Self::find(token.clone(), key_label).is_ok() {
            return Err(Error::InvalidInput("a PKCS#11 key with this label exists already"));
        }
        let template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::ValueLen(32.into()),
            Attribute::Label(key_label.as_bytes().to_vec()),
        ];
        let key = token
            .session()
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(|e| token.error("C_GenerateKey", e))?;
        tracing::info!(target: "qres::keystore", store = "pkcs11", token = token.label(), key = key_label, "wrapping key generated");
        Ok(Self { key, token, key_label: key_label.to_owned() })
    }

    /// [`find`](Self::find), or [`generate`](Self::generate) if there is no such key.
    pub fn find_or_generate(token: Arc<Pkcs11Token>, key_label: &str) -> Result<Self> {
        match Self::find(token.clone(), key_label) {
            Err(Error::NotFound { .. }) => Self::generate(token, key_label),
            other => other,
        }
    }

    /// The key's label.
    pub fn key_label(&self) -> &str {
        &self.key_label
    }

    /// What the token says about the key (to check it is sensitive and was never extractable).
    pub fn key_info(&self) -> Result<WrappingKeyInfo> {
        let attrs = self
            .token
            .session()
            .get_attributes(
                self.key,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::NeverExtractable,
                    AttributeType::ValueLen,
                ],
            )
            .map_err(|e| self.token.error("C_GetAttributeValue", e))?;
        let mut info = WrappingKeyInfo { sensitive: false, extractable: true, never_extractable: false, value_len: 0 };
        for a in attrs {
            match a {
                Attribute::Sensitive(b) => info.sensitive = b,
                Attribute::Extractable(b) => info.extractable = b,
                Attribute::NeverExtractable(b) => info.never_extractable = b,
                Attribute::ValueLen(l) => info.value_len = u64::from(l),
                _ => {}
            }
        }
        Ok(info)
    }
}

impl KeyWrapper for Pkcs11Wrapper {
    fn kind(&self) -> u8 {
        kind::PKCS11
    }

    fn wrap_key(&self, data_key: &[u8], context: &[u8], rng: &mut dyn DynCryptoRng) -> Result<Vec<u8>> {
        let nonce = random_secret(rng, NONCE_LEN)?;
        let mut iv = nonce.as_bytes().to_vec();
        let params = GcmParams::new(&mut iv, context, cryptoki::types::Ulong::from(TAG_LEN as u64 * 8))
            .map_err(|e| self.token.error("GCM parameters", e))?;
        let ct = self
            .token
            .session()
            .encrypt(&Mechanism::AesGcm(params), self.key, data_key)
            .map_err(|e| self.token.error("C_Encrypt", e))?;
        Ok([nonce.as_bytes(), &ct].concat())
    }

    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        if wrapped.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::AuthenticationFailed);
        }
        let (nonce, ct) = wrapped.split_at(NONCE_LEN);
        let mut iv = nonce.to_vec();
        let params = GcmParams::new(&mut iv, context, cryptoki::types::Ulong::from(TAG_LEN as u64 * 8))
            .map_err(|e| self.token.error("GCM parameters", e))?;
        match self.token.session().decrypt(&Mechanism::AesGcm(params), self.key, ct) {
            Ok(plain) => Ok(SecretBytes::new(plain)),
            // A tag that does not verify (altered data, another key, another context). SoftHSM2 reports it
            // as CKR_GENERAL_ERROR rather than CKR_ENCRYPTED_DATA_INVALID, so that code counts too: decryption
            // failures are one opaque error either way.
            Err(cryptoki::error::Error::Pkcs11(
                rv @ (cryptoki::error::RvError::EncryptedDataInvalid
                | cryptoki::error::RvError::EncryptedDataLenRange
                | cryptoki::error::RvError::GeneralError),
                _,
            )) => {
                tracing::debug!(target: "qres::keystore", store = "pkcs11", code = ?rv, "C_Decrypt refused a wrapped key");
                Err(Error::AuthenticationFailed)
            }
            Err(e) => Err(self.token.error("C_Decrypt", e)),
        }
    }
}
