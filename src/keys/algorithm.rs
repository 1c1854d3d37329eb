//! [`KeyAlgorithm`]: a KEM or a signature algorithm, the two kinds of keys that key files and keysets
//! hold.

use crate::alg::{KemId, SignatureId};
use crate::error::{Error, Result};
use crate::primitives::{KemPublicKey, KemSecretKey, SigningKey, VerifyingKey};
use crate::provider::Provider;
use crate::secret::SecretBytes;
use crate::{DynCryptoRng, KeyId};
use core::fmt;

/// The algorithm of a stored key: a KEM (decryption keys) or a signature scheme (signing keys).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// A key encapsulation mechanism.
    Kem(KemId),
    /// A signature scheme.
    Signature(SignatureId),
}

impl KeyAlgorithm {
    /// The kind byte used in key files and keysets: 1 = KEM, 2 = signature.
    pub fn kind_byte(self) -> u8 {
        match self {
            Self::Kem(_) => 1,
            Self::Signature(_) => 2,
        }
    }

    /// The algorithm id within its family.
    pub fn id(self) -> u16 {
        match self {
            Self::Kem(id) => id.value(),
            Self::Signature(id) => id.value(),
        }
    }

    /// Inverse of ([`kind_byte`](Self::kind_byte), [`id`](Self::id)).
    pub fn from_parts(kind: u8, id: u16) -> Result<Self> {
        match kind {
            1 => Ok(Self::Kem(KemId(id))),
            2 => Ok(Self::Signature(SignatureId(id))),
            _ => Err(Error::InvalidInput("unknown key kind")),
        }
    }

    /// The short kind name used in public-key text: `kem` or `sig`.
    pub fn kind_name(self) -> &'static str {
        match self {
            Self::Kem(_) => "kem",
            Self::Signature(_) => "sig",
        }
    }

    /// Seed length of this algorithm in `provider`.
    pub fn seed_len(self, provider: &Provider) -> Result<usize> {
        Ok(match self {
            Self::Kem(id) => provider.kem(id)?.sizes().seed,
            Self::Signature(id) => provider.signature(id)?.sizes().seed,
        })
    }

    /// Generates a key of this algorithm.
    pub fn generate(self, provider: &Provider, rng: &mut dyn DynCryptoRng) -> Result<SecretKey> {
        Ok(match self {
            Self::Kem(id) => SecretKey::Kem(provider.kem(id)?.generate(rng)?),
            Self::Signature(id) => SecretKey::Signing(provider.signature(id)?.generate(rng)?),
        })
    }

    /// Rebuilds a key of this algorithm from its seed.
    pub fn from_seed(self, provider: &Provider, seed: &[u8]) -> Result<SecretKey> {
        Ok(match self {
            Self::Kem(id) => SecretKey::Kem(provider.kem(id)?.key_pair_from_seed(seed)?),
            Self::Signature(id) => SecretKey::Signing(provider.signature(id)?.key_pair_from_seed(seed)?),
        })
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kem(id) => id.fmt(f),
            Self::Signature(id) => id.fmt(f),
        }
    }
}

/// A secret key of either kind.
#[derive(Debug)]
#[non_exhaustive]
pub enum SecretKey {
    /// A KEM secret (decapsulation) key.
    Kem(KemSecretKey),
    /// A signing key.
    Signing(SigningKey),
}

impl SecretKey {
    /// The algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Self::Kem(k) => KeyAlgorithm::Kem(k.algorithm()),
            Self::Signing(k) => KeyAlgorithm::Signature(k.algorithm()),
        }
    }

    /// The key id (fingerprint of the public key).
    pub fn key_id(&self) -> KeyId {
        match self {
            Self::Kem(k) => k.key_id(),
            Self::Signing(k) => k.key_id(),
        }
    }

    /// The seed the key was derived from; keys imported in expanded form have none and cannot be stored.
    pub fn seed(&self) -> Result<&SecretBytes> {
        match self {
            Self::Kem(k) => k.seed(),
            Self::Signing(k) => k.seed(),
        }
        .ok_or(Error::Unsupported("storing a key without a seed (imported in expanded form)"))
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        match self {
            Self::Kem(k) => PublicKey::Kem(k.public_key().clone()),
            Self::Signing(k) => PublicKey::Verifying(k.verifying_key().clone()),
        }
    }

    /// The KEM key, or a typed error for a signing key.
    pub fn as_kem(&self) -> Result<&KemSecretKey> {
        match self {
            Self::Kem(k) => Ok(k),
            Self::Signing(k) => Err(Error::wrong_algorithm("secret key", "a KEM key", k.algorithm())),
        }
    }

    /// The signing key, or a typed error for a KEM key.
    pub fn as_signing(&self) -> Result<&SigningKey> {
        match self {
            Self::Signing(k) => Ok(k),
            Self::Kem(k) => Err(Error::wrong_algorithm("secret key", "a signing key", k.algorithm())),
        }
    }
}

impl From<KemSecretKey> for SecretKey {
    fn from(k: KemSecretKey) -> Self {
        Self::Kem(k)
    }
}

impl From<SigningKey> for SecretKey {
    fn from(k: SigningKey) -> Self {
        Self::Signing(k)
    }
}

/// A public key of either kind.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// A KEM public (encapsulation) key.
    Kem(KemPublicKey),
    /// A signature verifying key.
    Verifying(VerifyingKey),
}

impl PublicKey {
    /// The algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            Self::Kem(k) => KeyAlgorithm::Kem(k.algorithm()),
            Self::Verifying(k) => KeyAlgorithm::Signature(k.algorithm()),
        }
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Kem(k) => k.as_bytes(),
            Self::Verifying(k) => k.as_bytes(),
        }
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        match self {
            Self::Kem(k) => k.key_id(),
            Self::Verifying(k) => k.key_id(),
        }
    }

    /// The KEM key, or a typed error for a verifying key.
    pub fn as_kem(&self) -> Result<&KemPublicKey> {
        match self {
            Self::Kem(k) => Ok(k),
            Self::Verifying(k) => Err(Error::wrong_algorithm("public key", "a KEM key", k.algorithm())),
        }
    }

    /// The verifying key, or a typed error for a KEM key.
    pub fn as_verifying(&self) -> Result<&VerifyingKey> {
        match self {
            Self::Verifying(k) => Ok(k),
            Self::Kem(k) => Err(Error::wrong_algorithm("public key", "a verifying key", k.algorithm())),
        }
    }
}

// Conversions between the two key hierarchies, so that a key read from a file or a keyset goes where a
// KEM or signature key is needed without `.as_kem()?` at every call.

impl TryFrom<SecretKey> for KemSecretKey {
    type Error = Error;
    /// A KEM key; a signing key is [`Error::WrongAlgorithm`].
    fn try_from(key: SecretKey) -> Result<Self> {
        match key {
            SecretKey::Kem(k) => Ok(k),
            SecretKey::Signing(k) => Err(Error::wrong_algorithm("secret key", "a KEM key", k.algorithm())),
        }
    }
}

impl TryFrom<SecretKey> for SigningKey {
    type Error = Error;
    /// A signing key; a KEM key is [`Error::WrongAlgorithm`].
    fn try_from(key: SecretKey) -> Result<Self> {
        match key {
            SecretKey::Signing(k) => Ok(k),
            SecretKey::Kem(k) => Err(Error::wrong_algorithm("secret key", "a signing key", k.algorithm())),
        }
    }
}

impl From<KemPublicKey> for PublicKey {
    fn from(key: KemPublicKey) -> Self {
        Self::Kem(key)
    }
}

impl From<VerifyingKey> for PublicKey {
    fn from(key: VerifyingKey) -> Self {
        Self::Verifying(key)
    }
}

impl TryFrom<PublicKey> for KemPublicKey {
    type Error = Error;
    /// A KEM key; a verifying key is [`Error::WrongAlgorithm`].
    fn try_from(key: PublicKey) -> Result<Self> {
        match key {
            PublicKey::Kem(k) => Ok(k),
            PublicKey::Verifying(k) => Err(Error::wrong_algorithm("public key", "a KEM key", k.algorithm())),
        }
    }
}

impl TryFrom<PublicKey> for VerifyingKey {
    type Error = Error;
    /// A verifying key; a KEM key is [`Error::WrongAlgorithm`].
    fn try_from(key: PublicKey) -> Result<Self> {
        match key {
            PublicKey::Verifying(k) => Ok(k),
            PublicKey::Kem(k) => Err(Error::wrong_algorithm("public key", "a verifying key", k.algorithm())),
        }
    }
}

impl TryFrom<&PublicKey> for crate::envelope::Recipient {
    type Error = Error;
    /// A recipient (key version 0) for a KEM public key; a verifying key is [`Error::WrongAlgorithm`].
    fn try_from(key: &PublicKey) -> Result<Self> {
        Ok(Self::from(key.as_kem()?.clone()))
    }
}

impl crate::envelope::KeyLookup for SecretKey {
    /// A KEM key matches as a lone [`KemSecretKey`] does; a signing key opens nothing.
    fn lookup(&self, key_id: &crate::KeyId, key_version: u32) -> Option<&KemSecretKey> {
        match self {
            Self::Kem(k) => k.lookup(key_id, key_version),
            Self::Signing(_) => None,
        }
    }

    fn available(&self) -> Vec<(crate::KeyId, u32)> {
        match self {
            Self::Kem(k) => k.available(),
            Self::Signing(_) => Vec::new(),
        }
    }
}
