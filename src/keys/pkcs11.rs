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
use crate::pkcs11::{Failure, Pkcs11Token};
use crate::random::{DynCryptoRng, random_secret};
use crate::secret::SecretBytes;
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use std::sync::{Arc, Mutex};

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_ID_LEN: usize = 16;
const FORMAT: u8 = 1;
/// The attributes a wrapping key is vetted by.
const VETTED: [AttributeType; 5] = [
    AttributeType::Sensitive,
    AttributeType::Extractable,
    AttributeType::NeverExtractable,
    AttributeType::ValueLen,
    AttributeType::Id,
];

/// Wraps data keys with a non-extractable AES-256 key inside a PKCS#11 token.
///
/// Safe to share between threads: each operation runs on a session of the token's pool, and survives a
/// token reset or a lost login (see [`Pkcs11Token`]). The key's object handle is checked before each use
/// (it must still name a vetted key with this wrapper's `CKA_ID`) and found again by `CKA_ID` when it does
/// not, since handles change when sessions are reopened.
#[derive(Debug)]
pub struct Pkcs11Wrapper {
    token: Arc<Pkcs11Token>,
    key: Mutex<ObjectHandle>,
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

fn hex_id(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
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
    fn vet(
        token: &Pkcs11Token,
        session: &Session,
        key: ObjectHandle,
        which: &str,
    ) -> Result<[u8; KEY_ID_LEN], Failure> {
        let attrs = session.get_attributes(key, &VETTED)?;
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
            (p, _) => Err(Failure::Qres(crate::pkcs11::unavailable(
                &format!("token {:?}", token.label()),
                format!("the key {which} {}", p.unwrap_or("is unusable")),
            ))),
        }
    }

    /// Uses the AES key labelled `key_label`, after checking it is persistent, sensitive, never
    /// extractable, 256 bits and carries a qres key id; [`Error::NotFound`] if there is none.
    pub fn find(token: Arc<Pkcs11Token>, key_label: &str) -> Result<Self> {
        let (key, key_id) = token.run("C_FindObjects", |session| {
            let mut found = session.find_objects(&Self::template(key_label))?;
            if found.is_empty() {
                // Private keys are invisible while logged out (another thread may be logging in again
                // right now): search once more when the session is surely logged in.
                token.require_login(session)?;
                found = session.find_objects(&Self::template(key_label))?;
            }
            match found.as_slice() {
                [key] => Ok((*key, Self::vet(&token, session, *key, &format!("labelled {key_label:?}"))?)),
                [] => Err(Error::NotFound { what: "PKCS#11 wrapping key", name: key_label.to_owned() }.into()),
                _ => Err(Error::InvalidInput(
                    "several PKCS#11 keys carry this label; keysets they wrapped still open (by key id), but new wraps need one key: relabel or remove the others",
                )
                .into()),
            }
        })?;
        Ok(Self { key: Mutex::new(key), key_id, token, key_label: key_label.to_owned() })
    }

    /// Generates a new AES-256 key labelled `key_label` on the token with a random `CKA_ID`:
    /// persistent, private, sensitive, not extractable, not modifiable or copyable, usable only to
    /// encrypt and decrypt. Fails if the label is taken.
    pub fn generate(token: Arc<Pkcs11Token>, key_label: &str) -> Result<Self> {
        match Self::find(token.clone(), key_label) {
            Err(Error::NotFound { .. }) => {}
            // A token that is busy or restarting says so; anything else found under the label (a usable
            // key, an unusable one, several) means the label is taken.
            Err(e) if e.is_retryable() => return Err(e),
            _ => return Err(Error::AlreadyExists { what: "PKCS#11 key", name: key_label.to_owned() }),
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
        let key = token.run("C_GenerateKey", |session| Ok(session.generate_key(&Mechanism::AesKeyGen, &template)?))?;
        tracing::info!(target: "qres::keystore", store = "pkcs11", token = token.label(), key = key_label, "wrapping key generated");
        Ok(Self { key: Mutex::new(key), key_id, token, key_label: key_label.to_owned() })
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
        self.token.run("C_GetAttributeValue", |session| {
            let key = self.own_key(session)?;
            Ok(info_of(&session.get_attributes(key, &VETTED)?))
        })
    }

    /// This wrapper's own key on `session`: the kept handle while it still names a vetted key with this
    /// wrapper's id, else the key found again by `CKA_ID` (after a token reset handles are renumbered,
    /// and an old number may name another object).
    fn own_key(&self, session: &Session) -> Result<ObjectHandle, Failure> {
        let kept = *self.key.lock().unwrap_or_else(|p| p.into_inner());
        match Self::vet(&self.token, session, kept, "kept") {
            Ok(id) if id == self.key_id => return Ok(kept),
            // Another object now, or none (ObjectHandleInvalid; SoftHSM2 may say CKR_GENERAL_ERROR for a
            // handle it is dropping at a logout): find ours again. A lost session or login goes to `run`.
            Ok(_) | Err(Failure::Qres(_)) => {}
            Err(Failure::Token(e)) if crate::pkcs11::needs_session(&e) => return Err(Failure::Token(e)),
            Err(Failure::Token(_)) => {}
        }
        let found = self.find_by_id(session, &self.key_id)?.ok_or_else(|| {
            Failure::Qres(crate::pkcs11::unavailable(
                &format!("token {:?}", self.token.label()),
                format!(
                    "the wrapping key {:?} (CKA_ID {}) is no longer on the token (was the token re-initialized or the key deleted?); keysets it wrapped cannot be opened without it",
                    self.key_label,
                    hex_id(&self.key_id)
                ),
            ))
        })?;
        *self.key.lock().unwrap_or_else(|p| p.into_inner()) = found;
        Ok(found)
    }

    /// The vetted AES key with `CKA_ID` `id`, if the token holds exactly one.
    fn find_by_id(&self, session: &Session, id: &[u8]) -> Result<Option<ObjectHandle>, Failure> {
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(true),
            Attribute::Id(id.to_vec()),
        ];
        let mut found = session.find_objects(&template)?;
        if found.is_empty() {
            // As in `find`: a search made while logged out finds no private key.
            self.token.require_login(session)?;
            found = session.find_objects(&template)?;
        }
        match found.as_slice() {
            [key] => match Self::vet(&self.token, session, *key, &format!("with CKA_ID {}", hex_id(id)))? {
                vetted if vetted[..] == *id => Ok(Some(*key)),
                _ => Err(Failure::Qres(Error::AuthenticationFailed)),
            },
            [] => Ok(None),
            _ => Err(Failure::Qres(Error::AuthenticationFailed)),
        }
    }

    /// The AES key with qres key id `id` on the token (this wrapper's own, or an older one), checked like
    /// a key found by label: a key with that `CKA_ID` that is extractable, was ever extractable, is not
    /// sensitive or is not 256 bits (for example one imported by someone who can write to the token and
    /// read a wrapped key's id) is refused with [`Error::KeyStoreUnavailable`] instead of being used.
    fn key_by_id(&self, session: &Session, id: &[u8]) -> Result<ObjectHandle, Failure> {
        if id == self.key_id {
            return self.own_key(session);
        }
        // The key that wrapped this blob is not on this token (or the id was altered).
        self.find_by_id(session, id)?.ok_or(Failure::Qres(Error::AuthenticationFailed))
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
        let (iv, ct) = self.token.run("C_Encrypt", |session| {
            let key = self.own_key(session)?;
            let mut iv = nonce.as_bytes().to_vec();
            let params = GcmParams::new(&mut iv, context, cryptoki::types::Ulong::from(TAG_LEN as u64 * 8))?;
            let ct = session.encrypt(&Mechanism::AesGcm(params), key, data_key)?;
            // `iv` now holds the IV the token used: tokens that generate their own write it back.
            Ok((iv, ct))
        })?;
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
        self.token.run("C_Decrypt", |session| {
            let key = self.key_by_id(session, id)?;
            let mut iv = nonce.to_vec();
            let params = GcmParams::new(&mut iv, context, cryptoki::types::Ulong::from(TAG_LEN as u64 * 8))?;
            match session.decrypt(&Mechanism::AesGcm(params), key, ct) {
                Ok(plain) => Ok(SecretBytes::new(plain)),
                // A tag that does not verify (altered data, another key, another context). SoftHSM2 reports
                // it as CKR_GENERAL_ERROR rather than CKR_ENCRYPTED_DATA_INVALID, so that code counts too:
                // decryption failures are one opaque error either way.
                Err(cryptoki::error::Error::Pkcs11(
                    rv @ (cryptoki::error::RvError::EncryptedDataInvalid
                    | cryptoki::error::RvError::EncryptedDataLenRange
                    | cryptoki::error::RvError::GeneralError),
                    _,
                )) => {
                    tracing::warn!(target: "qres::keystore", store = "pkcs11", code = ?rv, "C_Decrypt refused a wrapped key");
                    Err(Failure::Qres(Error::AuthenticationFailed))
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}
