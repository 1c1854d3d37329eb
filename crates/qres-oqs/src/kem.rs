//! liboqs KEMs behind the [`Kem`] trait.
//!
//! One type, [`OqsKem`], serves every KEM of the linked liboqs; ML-KEM gets what FIPS 203 adds on top:
//!
//! | | ML-KEM-512/768/1024 | every other liboqs KEM |
//! |---|---|---|
//! | key pair from a seed | `d \|\| z` (64 bytes), liboqs `keypair_derand` | not offered by liboqs 0.13 |
//! | generation from an RNG | seed from the RNG, as above | liboqs key generation drawing from the RNG |
//! | public-key check | FIPS 203 §7.2 modulus check (in Rust) | length only (liboqs defines no check) |
//! | expanded secret-key import | FIPS 203 §7.3 hash check and the modulus check of the embedded `ek` | with the public key and a pairwise-consistency test ([`Kem::import_secret_key`]) |
//! | derandomized encapsulation | `m` (32 bytes) served to liboqs' RNG hook | not offered |
//!
//! Secret keys live in [`SecretBytes`] (zeroized on drop). Every length is checked here, with the
//! algorithm's name in the error, before anything reaches liboqs; [`super::ffi`] checks them once more.

use crate::ffi::{FixedBytes, RawKem};
use crate::{check_len, mlkem_checks, random_secret};
use core::ffi::CStr;
use qres::DynCryptoRng;
use qres::alg::KemId;
use qres::primitives::{Encapsulation, Kem, KemPublicKey, KemSecretKey, KemSizes, KeyState};
use qres::secret::{SecretBytes, SharedSecret};
use qres::{Error, Result};
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

/// Which extra rules an [`OqsKem`] follows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum KemKind {
    /// ML-KEM with module rank `k` (FIPS 203 checks, seeds, derandomized encapsulation).
    MlKem {
        /// The module rank (2, 3 or 4).
        rank: usize,
    },
    /// HQC: its decapsulation signals a rejected ciphertext through liboqs' return code while still
    /// writing the implicit-rejection secret (HQC's `sigma`-derived key). qres keeps the implicit-rejection
    /// contract of [`Kem::decapsulate`] and returns that secret: an error here would be a decryption oracle.
    Hqc,
    /// Any other liboqs KEM.
    Generic,
}

/// A KEM implemented by liboqs.
pub struct OqsKem {
    id: KemId,
    name: &'static CStr,
    kind: KemKind,
    raw: OnceLock<Option<RawKem>>,
}

/// The secret key in liboqs' encoding, zeroized on drop.
struct OqsKemSecret {
    sk: SecretBytes,
}

impl KeyState for OqsKemSecret {}

/// ML-KEM seed `d || z`.
const MLKEM_SEED_LEN: usize = 64;
/// ML-KEM encapsulation randomness `m`.
const MLKEM_M_LEN: usize = 32;

impl OqsKem {
    pub(super) const fn new(id: KemId, name: &'static CStr, kind: KemKind) -> Self {
        Self { id, name, kind, raw: OnceLock::new() }
    }

    /// liboqs' identifier for the algorithm (also its qres name).
    pub fn liboqs_name(&self) -> &'static str {
        self.name.to_str().unwrap_or("")
    }

    /// Whether the linked liboqs enables this algorithm. A [`Provider`](qres::Provider) built by
    /// [`super::provider`] lists only enabled algorithms; calling a disabled one is
    /// [`Error::Unsupported`].
    pub fn is_enabled(&self) -> bool {
        self.raw().is_some()
    }

    fn raw(&self) -> Option<&RawKem> {
        self.raw.get_or_init(|| RawKem::new(self.name)).as_ref()
    }

    fn raw_or_err(&self) -> Result<&RawKem> {
        self.raw().ok_or(Error::Unsupported("this KEM is not enabled in the linked liboqs"))
    }

    fn secret<'a>(&self, key: &'a KemSecretKey) -> Result<&'a OqsKemSecret> {
        if key.algorithm() != self.id {
            return Err(Error::WrongAlgorithm {
                what: "KEM secret key",
                expected: self.id.to_string(),
                actual: key.algorithm().to_string(),
            });
        }
        key.backend_state::<OqsKemSecret>().ok_or(Error::KeyMismatch("liboqs KEM"))
    }

    fn check_public_key_algorithm(&self, public_key: &KemPublicKey) -> Result<()> {
        if public_key.algorithm() == self.id {
            Ok(())
        } else {
            Err(Error::WrongAlgorithm {
                what: "KEM public key",
                expected: self.id.to_string(),
                actual: public_key.algorithm().to_string(),
            })
        }
    }

    /// Builds a key from liboqs' outputs.
    fn assemble(&'static self, seed: Option<&[u8]>, pk: &[u8], sk: SecretBytes) -> Result<KemSecretKey> {
        let public = KemPublicKey::new_unchecked(self, pk, qres::backend::backend_token())?;
        Ok(KemSecretKey::from_parts(
            self,
            seed.map(SecretBytes::from_slice),
            public,
            Box::new(OqsKemSecret { sk }),
            qres::backend::backend_token(),
        ))
    }

    /// Encapsulation with the given ML-KEM `m` (liboqs draws exactly these 32 bytes through the hook).
    fn encapsulate_fixed(&self, public_key: &KemPublicKey, randomness: &[u8]) -> Result<Encapsulation> {
        if !matches!(self.kind, KemKind::MlKem { .. }) {
            return Err(Error::Unsupported("derandomized encapsulation (liboqs 0.13 offers it for ML-KEM only)"));
        }
        check_len("ML-KEM encapsulation randomness", MLKEM_M_LEN, randomness.len())?;
        let mut m = FixedBytes::new(randomness);
        let enc = self.encapsulate_with(public_key, &mut m)?;
        m.finish()?;
        Ok(enc)
    }

    fn encapsulate_with(&self, public_key: &KemPublicKey, rng: &mut dyn DynCryptoRng) -> Result<Encapsulation> {
        self.check_public_key_algorithm(public_key)?;
        let raw = self.raw_or_err()?;
        let l = raw.lengths();
        check_len("liboqs KEM public key", l.public_key, public_key.as_bytes().len())?;
        let mut ciphertext = vec![0u8; l.ciphertext];
        let mut shared_secret = SharedSecret::zeroed(l.shared_secret);
        raw.encaps(rng, public_key.as_bytes(), &mut ciphertext, shared_secret.as_mut_bytes())?;
        Ok(Encapsulation { ciphertext, shared_secret })
    }

    /// Pairwise-consistency test: encapsulating to the public key and decapsulating with the secret key
    /// must agree (a mismatched pair gives a pseudorandom secret under implicit rejection).
    fn pairwise_consistent(&self, key: &KemSecretKey) -> Result<bool> {
        let enc = self.encapsulate_with(key.public_key(), &mut qres::OsRng)?;
        let shared = self.decapsulate(key, &enc.ciphertext)?;
        Ok(bool::from(shared.as_bytes().ct_eq(enc.shared_secret.as_bytes())))
    }
}

impl Kem for OqsKem {
    fn id(&self) -> KemId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "liboqs"
    }

    fn sizes(&self) -> KemSizes {
        let Some(raw) = self.raw() else {
            return KemSizes { public_key: 0, ciphertext: 0, shared_secret: 0, seed: 0, encapsulation_randomness: 0 };
        };
        let l = raw.lengths();
        let (seed, encapsulation_randomness) = match self.kind {
            KemKind::MlKem { .. } => (MLKEM_SEED_LEN, MLKEM_M_LEN),
            KemKind::Hqc | KemKind::Generic => (l.keypair_seed, 0),
        };
        KemSizes {
            public_key: l.public_key,
            ciphertext: l.ciphertext,
            shared_secret: l.shared_secret,
            seed,
            encapsulation_randomness,
        }
    }

    fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<KemSecretKey> {
        let raw = self.raw_or_err()?;
        let l = raw.lengths();
        if l.keypair_seed == 0 {
            return Err(Error::Unsupported(
                "key pairs from a seed (liboqs 0.13 has no seeded key generation for this KEM)",
            ));
        }
        check_len("KEM key generation seed", l.keypair_seed, seed.len())?;
        let mut pk = vec![0u8; l.public_key];
        let mut sk = SecretBytes::zeroed(l.secret_key);
        raw.keypair_derand(seed, &mut pk, sk.as_mut_bytes())?;
        self.assemble(Some(seed), &pk, sk)
    }

    fn generate(&'static self, rng: &mut dyn DynCryptoRng) -> Result<KemSecretKey> {
        let raw = self.raw_or_err()?;
        let l = raw.lengths();
        if l.keypair_seed > 0 {
            // Keep the seed, the standard storage form (ML-KEM: liboqs would draw the same 64 bytes).
            let seed = random_secret(rng, l.keypair_seed)?;
            return self.key_pair_from_seed(seed.as_bytes());
        }
        let mut pk = vec![0u8; l.public_key];
        let mut sk = SecretBytes::zeroed(l.secret_key);
        raw.keypair(rng, &mut pk, sk.as_mut_bytes())?;
        self.assemble(None, &pk, sk)
    }

    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<KemPublicKey> {
        let l = self.raw_or_err()?.lengths();
        check_len("KEM public key", l.public_key, bytes.len())?;
        if let KemKind::MlKem { rank } = self.kind
            && !mlkem_checks::modulus_check(bytes, rank)
        {
            return Err(Error::InvalidKey {
                what: "ML-KEM encapsulation key",
                reason: "coefficient not reduced modulo q (FIPS 203 modulus check)",
            });
        }
        KemPublicKey::new_unchecked(self, bytes, qres::backend::backend_token())
    }

    fn secret_key_from_expanded(&'static self, bytes: &[u8]) -> Result<KemSecretKey> {
        let KemKind::MlKem { rank } = self.kind else {
            return Err(Error::Unsupported(
                "importing a secret key without its public key (use import_secret_key for this liboqs KEM)",
            ));
        };
        let l = self.raw_or_err()?.lengths();
        check_len("ML-KEM decapsulation key", l.secret_key, bytes.len())?;
        let ek = mlkem_checks::hash_check(bytes, rank).ok_or(Error::InvalidKey {
            what: "ML-KEM decapsulation key",
            reason: "embedded hash of the encapsulation key does not match (FIPS 203 hash check)",
        })?;
        let public = self.parse_public_key(ek)?;
        Ok(KemSecretKey::from_parts(
            self,
            None,
            public,
            Box::new(OqsKemSecret { sk: SecretBytes::from_slice(bytes) }),
            qres::backend::backend_token(),
        ))
    }

    fn import_secret_key(&'static self, expanded: &[u8], public_key: &[u8]) -> Result<KemSecretKey> {
        let mismatch =
            Error::InvalidKey { what: "KEM key pair", reason: "the public key does not belong to the secret key" };
        if let KemKind::MlKem { .. } = self.kind {
            let key = self.secret_key_from_expanded(expanded)?;
            return if key.public_key().as_bytes() == public_key { Ok(key) } else { Err(mismatch) };
        }
        let l = self.raw_or_err()?.lengths();
        check_len("KEM secret key", l.secret_key, expanded.len())?;
        let public = self.parse_public_key(public_key)?;
        let key = KemSecretKey::from_parts(
            self,
            None,
            public,
            Box::new(OqsKemSecret { sk: SecretBytes::from_slice(expanded) }),
            qres::backend::backend_token(),
        );
        if self.pairwise_consistent(&key)? { Ok(key) } else { Err(mismatch) }
    }

    fn expanded_secret_key(&self, key: &KemSecretKey) -> Result<SecretBytes> {
        Ok(SecretBytes::from_slice(self.secret(key)?.sk.as_bytes()))
    }

    fn encapsulate_derand(
        &self,
        public_key: &KemPublicKey,
        randomness: &[u8],
        _token: qres::primitives::HazmatToken,
    ) -> Result<Encapsulation> {
        self.encapsulate_fixed(public_key, randomness)
    }

    fn encapsulate(&self, public_key: &KemPublicKey, rng: &mut dyn DynCryptoRng) -> Result<Encapsulation> {
        match self.kind {
            KemKind::MlKem { .. } => {
                let m = random_secret(rng, MLKEM_M_LEN)?;
                self.encapsulate_fixed(public_key, m.as_bytes())
            }
            KemKind::Hqc | KemKind::Generic => self.encapsulate_with(public_key, rng),
        }
    }

    fn decapsulate(&self, secret_key: &KemSecretKey, ciphertext: &[u8]) -> Result<SharedSecret> {
        let secret = self.secret(secret_key)?;
        let raw = self.raw_or_err()?;
        let l = raw.lengths();
        check_len("KEM ciphertext", l.ciphertext, ciphertext.len())?;
        let mut shared = SharedSecret::zeroed(l.shared_secret);
        let status = raw.decaps(secret.sk.as_bytes(), ciphertext, shared.as_mut_bytes());
        match (status, self.kind) {
            (Ok(()), _) => Ok(shared),
            // Rejected ciphertext: `shared` holds HQC's implicit-rejection secret (see `KemKind::Hqc`).
            (Err(Error::Backend(_)), KemKind::Hqc) => Ok(shared),
            (Err(e), _) => Err(e),
        }
    }
}
