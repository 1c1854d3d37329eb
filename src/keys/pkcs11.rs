//! [`Pkcs11Wrapper`]: data keys wrapped inside a PKCS#11 token by an AES-256 key that was generated there
//! and can never leave it (`CKA_SENSITIVE`, not `CKA_EXTRACTABLE`). Feature `pkcs11`.
//!
//! Wrapping is `C_Encrypt` with `CKM_AES_GCM` on the token: a 96-bit nonce from the caller's RNG (or the
//! one the token writes back, for tokens that choose their own IV), the store's context as associated
//! data, a 128-bit tag. The wrapped key is `0x01 || key id (16) || nonce (12) || ciphertext || tag`,
//! where the key id is the wrapping key's random `CKA_ID`: unwrapping finds the key by it, so several
//! wrapping keys (after a rotation, or two made by a first-deploy race) never make old keysets
//! unreadable. Keys found by label, and keys found by `CKA_ID` when unwrapping, are checked to be
//! persistent, sensitive, never extractable and 256 bits; any other key is refused with a typed error.
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
const KEY_ID_LEN: usize = 16;
const FORMAT: u8 = 1;

/// Wraps data keys with a non-extractable AES-256 key inside a PKCS#11 token.
#[derive(Debug)]
pub struct Pkcs11Wrapper {
    token: Arc<Pkcs11Token>,
    key: ObjectHandle,
    key_id: [u8; KEY_ID_LEN],
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
            Attribute::Token(true),
            Attribute::Label(label.as_bytes().to_vec()),
        ]
    }

    /// Checks that `key` is a wrapping key qres can rely on (sensitive, never extractable, 256 bits, a
    /// 16-byte `CKA_ID`) and returns its `CKA_ID`. `which` names the key in the error ("labelled ...").
    fn vet(token: &Pkcs11Token, key: ObjectHandle, which: &str) -> Result<[u8; KEY_ID_LEN]> {
        let attrs = token
            .session()
            .get_attributes(
                key,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::NeverExtractable,
                    AttributeType::ValueLen,
                    AttributeType::Id,
                ],
            )
            .map_err(|e| token.error("C_GetAttributeValue", e))?;
        let info = info_of(&attrs);
        let id = attrs.iter().find_map(|a| match a {
            Attribute::Id(id) => <[u8; KEY_ID_LEN]>::try_from(id.as_slice()).ok(),
            _ => None,
        });
        let problem = if !info.sensitive || info.extractable || !info.never_extractable {
            Some("is extractable or was extractable once (qres needs a key that never leaves the token)")
        } else if info.value_len != 32 {
            Some("is not an AES-256 key")
        } else if id.is_none() {
            Some("has no 16-byte CKA_ID (it was not made by qres)")
        } else {
            None
        };
        match (problem, id) {
            (None, Some(id)) => Ok(id),
            (p, _) => Err(crate::pkcs11::unavailable(
                &format!("token {:?}", token.label()),
                format!("the key {which} {}", p.unwrap_or("is unusable")),
            )),
        }
    }

    /// Uses the AES key labelled `key_label`, after checking it is persistent, sensitive, never
    /// extractable, 256 bits and carries a qres key id; [`Error::NotFound`] if there is none.
    pub fn find(token: Arc<Pkcs11Token>, key_label: &str) -> Result<Self> {
        let found =
            token.session().find_objects(&Self::template(key_label)).map_err(|e| token.error("C_FindObjects", e))?;
        match found.as_slice() {
            [key] => {
                let key_id = Self::vet(&token, *key, &format!("labelled {key_label:?}"))?;
                Ok(Self { key: *key, key_id, token, key_label: key_label.to_owned() })
            }
            [] => Err(Error::NotFound { what: "PKCS#11 wrapping key", name: key_label.to_owned() }),
            _ => Err(Error::InvalidInput(
                "several PKCS#11 keys carry this label; keysets they wrapped still open (by key id), but new wraps need one key: relabel or remove the others",
            )),
        }
    }

    /// Generates a new AES-256 key labelled `key_label` on the token with a random `CKA_ID`:
    /// persistent, private, sensitive, not extractable, not modifiable or copyable, usable only to
    /// encrypt and decrypt. Fails if the label is taken.
    pub fn generate(token: Arc<Pkcs11Token>, key_label: &str) -> Result<Self> {
        match Self::find(token.clone(), key_label) {
            Err(Error::NotFound { .. }) => {}
            _ => return Err(Error::InvalidInput("a PKCS#11 key with this label exists already")),
        }
        let mut key_id = [0u8; KEY_ID_LEN];
        getrandom::fill(&mut key_id).map_err(|_| Error::RandomnessUnavailable)?;
        let template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Modifiable(false),
            Attribute::Copyable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Derive(false),
            Attribute::ValueLen(32.into()),
            Attribute::Id(key_id.to_vec()),
            Attribute::Label(key_label.as_bytes().to_vec()),
        ];
        let key = token
            .session()
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(|e| token.error("C_GenerateKey", e))?;
        tracing::info!(target: "qres::keystore", store = "pkcs11", token = token.label(), key = key_label, "wrapping key generated");
        Ok(Self { key, key_id, token, key_label: key_label.to_owned() })
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
        Ok(info_of(&attrs))
    }

    /// The AES key with qres key id `id` on the token (this wrapper's own, or an older one), checked like
    /// a key found by label: a key with that `CKA_ID` that is extractable, was ever extractable, is not
    /// sensitive or is not 256 bits (for example one imported by someone who can write to the token and
    /// read a wrapped key's id) is refused with [`Error::KeyStoreUnavailable`] instead of being used.
    fn key_by_id(&self, id: &[u8]) -> Result<ObjectHandle> {
        if id == self.key_id {
            return Ok(self.key);
        }
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(true),
            Attribute::Id(id.to_vec()),
        ];
        let found = self.token.session().find_objects(&template).map_err(|e| self.token.error("C_FindObjects", e))?;
        match found.as_slice() {
            [key] => {
                let which = format!("with CKA_ID {}", id.iter().map(|b| format!("{b:02x}")).collect::<String>());
                match Self::vet(&self.token, *key, &which)? {
                    vetted if vetted[..] == *id => Ok(*key),
                    _ => Err(Error::AuthenticationFailed),
                }
            }
            // The key that wrapped this blob is not on this token (or the id was altered).
            _ => Err(Error::AuthenticationFailed),
        }
    }
}

fn info_of(attrs: &[Attribute]) -> WrappingKeyInfo {
    let mut info = WrappingKeyInfo { sensitive: false, extractable: true, never_extractable: false, value_len: 0 };
    for a in attrs {
        match a {
            Attribute::Sensitive(b) => info.sensitive = *b,
            Attribute::Extractable(b) => info.extractable = *b,
            Attribute::NeverExtractable(b) => info.never_extractable = *b,
            Attribute::ValueLen(l) => info.value_len = u64::from(*l),
            _ => {}
        }
    }
    info
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
        // `iv` now holds the IV the token used: tokens that generate their own write it back.
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + ct.len());
        out.push(FORMAT);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&iv);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        if wrapped.len() < 1 + KEY_ID_LEN + NONCE_LEN + TAG_LEN || wrapped[0] != FORMAT {
            return Err(Error::AuthenticationFailed);
        }
        let (id, rest) = wrapped[1..].split_at(KEY_ID_LEN);
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let key = self.key_by_id(id)?;
        let mut iv = nonce.to_vec();
        let params = GcmParams::new(&mut iv, context, cryptoki::types::Ulong::from(TAG_LEN as u64 * 8))
            .map_err(|e| self.token.error("GCM parameters", e))?;
        match self.token.session().decrypt(&Mechanism::AesGcm(params), key, ct) {
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
                tracing::warn!(target: "qres::keystore", store = "pkcs11", code = ?rv, "C_Decrypt refused a wrapped key");
                Err(Error::AuthenticationFailed)
            }
            Err(e) => Err(self.token.error("C_Decrypt", e)),
        }
    }
}
