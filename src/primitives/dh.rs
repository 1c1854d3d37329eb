//! Diffie-Hellman key agreement ([`DhGroup`]) and its key types.
//!
//! [`DhGroup::agree`] rejects an all-zero shared secret (the result of a low-order public key, RFC 7748
//! §6.1); [`DhGroup::agree_raw`] returns it, for constructions such as X-Wing whose specification
//! does not check.
//!
//! ```
//! use qres::{default_provider, GroupId, OsRng};
//! let x25519 = default_provider().key_agreement(GroupId::X25519)?;
//! let alice = x25519.generate(&mut OsRng)?;
//! let bob = x25519.generate(&mut OsRng)?;
//! assert_eq!(alice.agree(bob.public_key())?, bob.agree(alice.public_key())?);
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::GroupId;
use crate::error::{Result, check_len};
use crate::key_id::{KeyFamily, KeyId};
use crate::primitives::{BackendToken, HazmatToken, KeyState};
use crate::rng::{DynCryptoRng, random_secret};
use crate::secret::{SecretBytes, SharedSecret};
use core::fmt;

/// A Diffie-Hellman function.
pub trait DhGroup: Send + Sync + 'static {
    /// The group id.
    fn id(&self) -> GroupId;

    /// Which implementation this is.
    fn implementation(&self) -> &'static str;

    /// Encoded public key length.
    fn public_key_len(&self) -> usize;

    /// Encoded secret key length.
    fn secret_key_len(&self) -> usize;

    /// Imports a secret key (and computes its public key).
    fn secret_key_from_bytes(&'static self, bytes: &[u8]) -> Result<DhSecretKey>;

    /// Generates a secret key from `rng`.
    fn generate(&'static self, rng: &mut dyn DynCryptoRng) -> Result<DhSecretKey> {
        let sk = random_secret(rng, self.secret_key_len())?;
        self.secret_key_from_bytes(sk.as_bytes())
    }

    /// Parses a peer's public key.
    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<DhPublicKey>;

    /// The shared secret, rejecting the all-zero value with [`crate::Error::InvalidKey`].
    fn agree(&self, secret: &DhSecretKey, public: &DhPublicKey) -> Result<SharedSecret>;

    /// The shared secret without the all-zero check. Hazardous: only for constructions whose security
    /// argument does not need the check (X-Wing), hence the [`HazmatToken`].
    fn agree_raw(&self, secret: &DhSecretKey, public: &DhPublicKey, token: HazmatToken) -> Result<SharedSecret>;
}

/// A Diffie-Hellman public key.
#[derive(Clone)]
pub struct DhPublicKey {
    group: &'static dyn DhGroup,
    bytes: Box<[u8]>,
    key_id: std::sync::OnceLock<KeyId>,
}

impl DhPublicKey {
    /// Wraps an encoded public key of `group` (length-checked). For backend implementations; everyone
    /// else calls [`DhGroup::parse_public_key`].
    /// Needs a [`BackendToken`].
    pub fn new_unchecked(group: &'static dyn DhGroup, bytes: &[u8], _token: BackendToken) -> Result<Self> {
        check_len("key agreement public key", group.public_key_len(), bytes.len())?;
        Ok(Self { group, bytes: bytes.into(), key_id: std::sync::OnceLock::new() })
    }

    /// The group.
    pub fn algorithm(&self) -> GroupId {
        self.group.id()
    }
}

super::encoded_public_key!(DhPublicKey, KeyFamily::KeyAgreement);

/// A Diffie-Hellman secret key with its public key; zeroized on drop.
pub struct DhSecretKey {
    group: &'static dyn DhGroup,
    secret: SecretBytes,
    public: DhPublicKey,
    state: Option<Box<dyn KeyState>>,
}

impl DhSecretKey {
    /// Assembles a secret key. For backend implementations; needs a [`BackendToken`].
    pub fn from_parts(
        group: &'static dyn DhGroup,
        secret: SecretBytes,
        public: DhPublicKey,
        _token: BackendToken,
    ) -> Self {
        Self { group, secret, public, state: None }
    }

    /// Assembles a secret key that also carries backend-private state (for example a parsed key object of
    /// a C library, so that it is not parsed again for every agreement). For backend implementations; the
    /// state must zeroize its secrets on drop (see [`KeyState`]).
    pub fn from_parts_with_state(
        group: &'static dyn DhGroup,
        secret: SecretBytes,
        public: DhPublicKey,
        state: Box<dyn KeyState>,
        _token: BackendToken,
    ) -> Self {
        Self { group, secret, public, state: Some(state) }
    }

    /// The backend-private state, if there is one of type `T`. For backend implementations.
    pub fn backend_state<T: KeyState>(&self) -> Option<&T> {
        let any: &dyn core::any::Any = &**self.state.as_ref()?;
        any.downcast_ref::<T>()
    }

    /// The group.
    pub fn algorithm(&self) -> GroupId {
        self.group.id()
    }

    /// The matching public key.
    pub fn public_key(&self) -> &DhPublicKey {
        &self.public
    }

    /// The encoded secret key. For backend implementations, which compute with it; needs a
    /// [`BackendToken`].
    pub fn secret_bytes(&self, _token: BackendToken) -> &SecretBytes {
        &self.secret
    }

    /// The shared secret with `peer` (all-zero results rejected).
    pub fn agree(&self, peer: &DhPublicKey) -> Result<SharedSecret> {
        self.group.agree(self, peer)
    }
}

impl fmt::Debug for DhSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DhSecretKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.public.key_id())
            .field("secret", &"[redacted]")
            .finish()
    }
}
