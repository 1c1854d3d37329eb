//! ML-KEM-512/768/1024 (FIPS 203) on aws-lc-rs (`kem::ML_KEM_*`), mixed with the default backend for what
//! aws-lc-rs 1.19 does not offer.
//!
//! aws-lc-rs 1.19 has no key generation from the seed `d || z` under any name (only
//! `DecapsulationKey::generate`, which draws its own randomness and cannot export a seed) and no
//! derandomized encapsulation. qres keys are stored as seeds (key files, X-Wing), so this implementation
//! mixes:
//!
//! | operation | implementation |
//! |---|---|
//! | key pair from seed | libcrux (default backend); the expanded key is then loaded into AWS-LC |
//! | parsing public keys, importing expanded keys | FIPS 203 §7.2 / §7.3 checks of the default backend, then AWS-LC |
//! | encapsulation (`encapsulate`) | AWS-LC, with randomness from AWS-LC's own DRBG (the `rng` argument is not used) |
//! | derandomized encapsulation (`encapsulate_derand`, known-answer tests) | libcrux (default backend) |
//! | decapsulation | AWS-LC |
//!
//! [`Kem::implementation`] says so. The expanded decapsulation key lives in AWS-LC's memory and is cleansed
//! by AWS-LC when freed; the seed is kept in a [`SecretBytes`].

use crate::alg::KemId;
use crate::backend::default::mlkem as fallback;
use crate::error::{Error, Result, check_len};
use crate::primitives::BackendToken;
use crate::primitives::{Encapsulation, HazmatToken, Kem, KemPublicKey, KemSecretKey, KemSizes, KeyState};
use crate::random::DynCryptoRng;
use crate::secret::{SecretBytes, SharedSecret};
use aws_lc_rs::kem::{self as lc, Ciphertext, DecapsulationKey, EncapsulationKey};

/// ML-KEM on aws-lc-rs (mixed with the default backend, see the module documentation).
pub struct AwsLcMlKem {
    algorithm: &'static lc::Algorithm<lc::AlgorithmId>,
    fallback: &'static dyn Kem,
    name: &'static str,
}

/// ML-KEM-512.
pub static ML_KEM_512: AwsLcMlKem =
    AwsLcMlKem { algorithm: &lc::ML_KEM_512, fallback: &fallback::ML_KEM_512, name: "ML-KEM-512" };
/// ML-KEM-768.
pub static ML_KEM_768: AwsLcMlKem =
    AwsLcMlKem { algorithm: &lc::ML_KEM_768, fallback: &fallback::ML_KEM_768, name: "ML-KEM-768" };
/// ML-KEM-1024.
pub static ML_KEM_1024: AwsLcMlKem =
    AwsLcMlKem { algorithm: &lc::ML_KEM_1024, fallback: &fallback::ML_KEM_1024, name: "ML-KEM-1024" };

/// The AWS-LC decapsulation key (cleansed by AWS-LC when freed).
struct State(DecapsulationKey<lc::AlgorithmId>);

impl KeyState for State {}

impl AwsLcMlKem {
    /// Loads a checked expanded key (from the default backend's key object) into AWS-LC.
    fn load(&'static self, checked: &KemSecretKey, seed: Option<SecretBytes>) -> Result<KemSecretKey> {
        let dk = self.fallback.expanded_secret_key(checked)?;
        let key = DecapsulationKey::new(self.algorithm, dk.as_bytes())
            .map_err(|_| Error::Backend("AWS-LC ML-KEM decapsulation key import"))?;
        let public = KemPublicKey::new_unchecked(self, checked.public_key().as_bytes(), BackendToken::new())?;
        Ok(KemSecretKey::from_parts(self, seed, public, Box::new(State(key)), BackendToken::new()))
    }

    fn check_public(&self, public_key: &KemPublicKey) -> Result<()> {
        if public_key.algorithm() == self.id() {
            Ok(())
        } else {
            Err(Error::wrong_algorithm("KEM public key", self.id(), public_key.algorithm()))
        }
    }
}

impl Kem for AwsLcMlKem {
    fn id(&self) -> KemId {
        self.fallback.id()
    }

    fn implementation(&self) -> &'static str {
        "aws-lc-rs (seed keygen and derandomized encaps: libcrux)"
    }

    fn sizes(&self) -> KemSizes {
        self.fallback.sizes()
    }

    fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<KemSecretKey> {
        let checked = self.fallback.key_pair_from_seed(seed)?;
        self.load(&checked, Some(SecretBytes::from_slice(seed)))
    }

    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<KemPublicKey> {
        // The FIPS 203 §7.2 modulus check (AWS-LC performs it too, but only when a key is used).
        self.fallback.parse_public_key(bytes)?;
        KemPublicKey::new_unchecked(self, bytes, BackendToken::new())
    }

    fn secret_key_from_expanded(&'static self, bytes: &[u8]) -> Result<KemSecretKey> {
        // The FIPS 203 §7.3 hash check and the embedded key's modulus check; `DecapsulationKey::new`
        // checks only the length.
        let checked = self.fallback.secret_key_from_expanded(bytes)?;
        self.load(&checked, None)
    }

    fn expanded_secret_key(&self, key: &KemSecretKey) -> Result<SecretBytes> {
        let state = key.backend_state::<State>().ok_or(Error::KeyMismatch(self.name))?;
        let bytes = state.0.key_bytes().map_err(|_| Error::Backend("AWS-LC ML-KEM key export"))?;
        Ok(SecretBytes::from_slice(bytes.as_ref()))
    }

    fn encapsulate_derand(
        &self,
        public_key: &KemPublicKey,
        randomness: &[u8],
        token: HazmatToken,
    ) -> Result<Encapsulation> {
        self.check_public(public_key)?;
        self.fallback.encapsulate_derand(public_key, randomness, token)
    }

    /// Encapsulates with AWS-LC, whose randomness comes from AWS-LC's own DRBG: `rng` is not used.
    fn encapsulate(&self, public_key: &KemPublicKey, _rng: &mut dyn DynCryptoRng) -> Result<Encapsulation> {
        self.check_public(public_key)?;
        let ek = EncapsulationKey::new(self.algorithm, public_key.as_bytes())
            .map_err(|_| Error::InvalidKey { what: "ML-KEM encapsulation key", reason: "refused by AWS-LC" })?;
        let (ct, ss) = ek.encapsulate().map_err(|_| Error::Backend("AWS-LC ML-KEM encapsulation"))?;
        Ok(Encapsulation { ciphertext: ct.as_ref().to_vec(), shared_secret: SharedSecret::from_slice(ss.as_ref()) })
    }

    fn decapsulate(&self, secret_key: &KemSecretKey, ciphertext: &[u8]) -> Result<SharedSecret> {
        let state = secret_key.backend_state::<State>().ok_or(Error::KeyMismatch(self.name))?;
        check_len("ML-KEM ciphertext", self.sizes().ciphertext, ciphertext.len())?;
        let ss = state
            .0
            .decapsulate(Ciphertext::from(ciphertext))
            .map_err(|_| Error::Backend("AWS-LC ML-KEM decapsulation"))?;
        Ok(SharedSecret::from_slice(ss.as_ref()))
    }
}
