//! Key encapsulation: the [`Kem`] trait and its key types.
//!
//! A [`Kem`] is a stateless algorithm object (`&'static dyn Kem`, as in rustls' `CryptoProvider`). Keys
//! remember the implementation that made them, so `secret_key.decapsulate(ct)` and
//! `public_key.encapsulate(rng)` need no provider at hand.
//!
//! Every way of obtaining a key enforces the FIPS 203 input checks for ML-KEM: a public key can only be
//! built by [`Kem::parse_public_key`] (length and modulus check) or by key generation, and an expanded
//! secret key only by [`Kem::secret_key_from_expanded`] (length and hash check). Ciphertext lengths are
//! checked by every decapsulation.
//!
//! ```
//! use qres::{default_provider, KemId, OsRng};
//! let kem = default_provider().kem(KemId::ML_KEM_768)?;
//! let sk = kem.generate(&mut OsRng)?;
//! let encapsulated = sk.public_key().encapsulate(&mut OsRng)?;
//! let shared = sk.decapsulate(&encapsulated.ciphertext)?;
//! assert_eq!(shared, encapsulated.shared_secret);
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::KemId;
use crate::error::{Error, Result, check_len};
use crate::key_id::{KeyFamily, KeyId};
use crate::primitives::{BackendToken, HazmatToken, KeyState};
use crate::random::{DynCryptoRng, random_secret};
use crate::secret::{SecretBytes, SharedSecret};
use core::any::Any;
use core::fmt;

/// Byte sizes of a KEM's encodings.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KemSizes {
    /// Encoded public (encapsulation) key.
    pub public_key: usize,
    /// Ciphertext.
    pub ciphertext: usize,
    /// Shared secret.
    pub shared_secret: usize,
    /// Seed from which a key pair is derived (0 if the algorithm has no seed form).
    pub seed: usize,
    /// Randomness consumed by one derandomized encapsulation.
    pub encapsulation_randomness: usize,
}

/// The result of an encapsulation.
#[derive(Debug)]
pub struct Encapsulation {
    /// The ciphertext to send to the holder of the secret key.
    pub ciphertext: Vec<u8>,
    /// The shared secret (zeroized on drop).
    pub shared_secret: SharedSecret,
}

/// A key encapsulation mechanism.
///
/// Implementations are `'static` values registered in a [`Provider`](crate::Provider). Methods that create
/// keys take `&'static self` so the key can refer back to its implementation.
pub trait Kem: Any + Send + Sync + 'static {
    /// The algorithm id.
    fn id(&self) -> KemId;

    /// Which implementation this is (e.g. `"libcrux"`), for listings and diagnostics.
    fn implementation(&self) -> &'static str;

    /// Encoding sizes.
    fn sizes(&self) -> KemSizes;

    /// Derives a key pair deterministically from a seed of [`KemSizes::seed`] bytes (ML-KEM: `d || z`;
    /// X-Wing: the 32-byte secret key).
    fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<KemSecretKey>;

    /// Generates a key pair from `rng`.
    fn generate(&'static self, rng: &mut dyn DynCryptoRng) -> Result<KemSecretKey> {
        let seed = random_secret(rng, self.sizes().seed)?;
        self.key_pair_from_seed(seed.as_bytes())
    }

    /// Parses an encoded public key, performing every check the standard requires (FIPS 203 §7.2 for
    /// ML-KEM).
    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<KemPublicKey>;

    /// Imports a secret key in its expanded encoding (FIPS 203 `dk` for ML-KEM), performing the
    /// decapsulation-key check (FIPS 203 §7.3). Prefer seeds: an expanded key cannot be exported as a seed.
    fn secret_key_from_expanded(&'static self, bytes: &[u8]) -> Result<KemSecretKey> {
        let _ = bytes;
        Err(Error::Unsupported("importing an expanded secret key"))
    }

    /// Imports a secret key from its expanded encoding and its public key: the storage form of algorithms
    /// without a seed (for example liboqs' HQC, FrodoKEM or Classic McEliece, whose secret keys do not all
    /// embed the public key). The pair is checked: ML-KEM by the checks of
    /// [`secret_key_from_expanded`](Self::secret_key_from_expanded) and a comparison with the embedded
    /// key, other algorithms by a pairwise-consistency test. A mismatch is [`Error::InvalidKey`].
    fn import_secret_key(&'static self, expanded: &[u8], public_key: &[u8]) -> Result<KemSecretKey> {
        let key = self.secret_key_from_expanded(expanded)?;
        if key.public_key().as_bytes() != public_key {
            return Err(Error::InvalidKey {
                what: "KEM key pair",
                reason: "the public key does not belong to the secret key",
            });
        }
        Ok(key)
    }

    /// The expanded encoding of a secret key (FIPS 203 `dk` for ML-KEM), e.g. for known-answer tests.
    fn expanded_secret_key(&self, key: &KemSecretKey) -> Result<SecretBytes> {
        let _ = key;
        Err(Error::Unsupported("exporting an expanded secret key"))
    }

    /// Encapsulates to `public_key` with caller-supplied randomness of
    /// [`KemSizes::encapsulation_randomness`] bytes (ML-KEM: `m`; X-Wing: `eseed`).
    ///
    /// For known-answer tests and deterministic test vectors only: reusing randomness breaks security, so
    /// the call needs a [`HazmatToken`] (`qres::hazmat::token()`, feature `hazmat`).
    fn encapsulate_derand(
        &self,
        public_key: &KemPublicKey,
        randomness: &[u8],
        token: HazmatToken,
    ) -> Result<Encapsulation>;

    /// Encapsulates to `public_key` with fresh randomness from `rng`.
    fn encapsulate(&self, public_key: &KemPublicKey, rng: &mut dyn DynCryptoRng) -> Result<Encapsulation> {
        let randomness = random_secret(rng, self.sizes().encapsulation_randomness)?;
        self.encapsulate_derand(public_key, randomness.as_bytes(), HazmatToken::new())
    }

    /// Decapsulates `ciphertext` with `secret_key`. A ciphertext of the right length that was tampered
    /// with yields a pseudorandom shared secret (implicit rejection), not an error.
    fn decapsulate(&self, secret_key: &KemSecretKey, ciphertext: &[u8]) -> Result<SharedSecret>;

    /// The authenticated-mode capability of this KEM, if it has one (the DHKEMs of RFC 9180). HPKE's
    /// `Auth` and `AuthPsk` modes need it.
    fn as_auth_kem(&'static self) -> Option<&'static dyn AuthKem> {
        None
    }
}

/// A KEM with RFC 9180's authenticated encapsulation (`AuthEncap` / `AuthDecap`) and its own
/// `DeriveKeyPair`: the DHKEMs. Reached through [`Kem::as_auth_kem`].
pub trait AuthKem: Kem {
    /// RFC 9180 §7.1.3 `DeriveKeyPair(ikm)` of this KEM.
    fn derive_key_pair(&'static self, ikm: &[u8]) -> Result<KemSecretKey>;

    /// `AuthEncap(pkR, skS)` with the ephemeral secret key given (known-answer tests): needs a
    /// [`HazmatToken`].
    fn auth_encapsulate_derand(
        &self,
        recipient: &KemPublicKey,
        sender: &KemSecretKey,
        ephemeral: &[u8],
        token: HazmatToken,
    ) -> Result<Encapsulation>;

    /// `AuthDecap(enc, skR, pkS)`.
    fn auth_decapsulate(&self, recipient: &KemSecretKey, enc: &[u8], sender: &KemPublicKey) -> Result<SharedSecret>;
}

/// An encoded KEM public (encapsulation) key that has passed its algorithm's checks.
#[derive(Clone)]
pub struct KemPublicKey {
    kem: &'static dyn Kem,
    bytes: Box<[u8]>,
    key_id: std::sync::OnceLock<KeyId>,
}

impl KemPublicKey {
    /// Wraps bytes that the caller guarantees have passed `kem`'s public-key checks.
    ///
    /// For backend implementations, which build keys during key generation or inside
    /// [`Kem::parse_public_key`], and need a [`BackendToken`]. Everyone else calls
    /// [`Kem::parse_public_key`].
    pub fn new_unchecked(kem: &'static dyn Kem, bytes: &[u8], _token: BackendToken) -> Result<Self> {
        check_len("KEM public key", kem.sizes().public_key, bytes.len())?;
        Ok(Self { kem, bytes: bytes.into(), key_id: std::sync::OnceLock::new() })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> KemId {
        self.kem.id()
    }

    /// The implementation this key belongs to.
    pub fn kem(&self) -> &'static dyn Kem {
        self.kem
    }

    /// Encapsulates a fresh shared secret to this key.
    pub fn encapsulate(&self, rng: &mut dyn DynCryptoRng) -> Result<Encapsulation> {
        self.kem.encapsulate(self, rng)
    }
}

super::encoded_public_key!(KemPublicKey, KeyFamily::Kem);

/// A KEM secret (decapsulation) key.
///
/// Holds the seed (when the key was made from one), the public key and backend-private state (the
/// expanded key). Everything secret is zeroized on drop; `Debug` shows only the algorithm and key id.
pub struct KemSecretKey {
    kem: &'static dyn Kem,
    seed: Option<SecretBytes>,
    public: KemPublicKey,
    state: Box<dyn KeyState>,
}

impl KemSecretKey {
    /// Assembles a secret key. For backend implementations: `state` is the backend's private
    /// representation (which must zeroize itself on drop) and is handed back through
    /// [`backend_state`](Self::backend_state). Needs a [`BackendToken`].
    pub fn from_parts(
        kem: &'static dyn Kem,
        seed: Option<SecretBytes>,
        public: KemPublicKey,
        state: Box<dyn KeyState>,
        _token: BackendToken,
    ) -> Self {
        Self { kem, seed, public, state }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> KemId {
        self.kem.id()
    }

    /// The implementation this key belongs to.
    pub fn kem(&self) -> &'static dyn Kem {
        self.kem
    }

    /// The matching public key.
    pub fn public_key(&self) -> &KemPublicKey {
        &self.public
    }

    /// Fingerprint of the public key.
    pub fn key_id(&self) -> KeyId {
        self.public.key_id()
    }

    /// The seed this key was derived from: its standard storage form (`d || z` for ML-KEM, the 32-byte key
    /// for X-Wing). `None` for keys imported in expanded form.
    pub fn seed(&self) -> Option<&SecretBytes> {
        self.seed.as_ref()
    }

    /// Decapsulates `ciphertext`.
    pub fn decapsulate(&self, ciphertext: &[u8]) -> Result<SharedSecret> {
        self.kem.decapsulate(self, ciphertext)
    }

    /// The backend-private state, if it has type `T`. For backend implementations.
    pub fn backend_state<T: KeyState>(&self) -> Option<&T> {
        let any: &dyn Any = &*self.state;
        any.downcast_ref::<T>()
    }
}

impl fmt::Debug for KemSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemSecretKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id())
            .field("secret", &"[redacted]")
            .finish()
    }
}
