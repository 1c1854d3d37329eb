//! liboqs signature schemes behind the [`SignatureScheme`] trait.
//!
//! One type, [`OqsSig`], serves every signature scheme of the linked liboqs. What each offers:
//!
//! | | ML-DSA-44/65/87 | every other liboqs scheme |
//! |---|---|---|
//! | key pair from a seed | `xi` (32 bytes), served to liboqs' RNG hook | not offered by liboqs 0.13 |
//! | pure signing with a context string | yes (hedged, deterministic, or with given `rnd`) | empty context only; hedged only |
//! | HashML-DSA, internal interface, external mu | not exposed by liboqs 0.13 ([`Error::Unsupported`]) | — |
//! | expanded-key signing | after the `s1`/`s2` range check of FIPS 204 `skDecode` | — |
//! | verification | adds the `‖z‖∞ < γ1 − β` check that liboqs 0.13's AVX2 verifier lacks | liboqs' verifier |
//! | key import | [`SignatureScheme::import_signing_key`] with a pairwise-consistency test | the same |
//!
//! Falcon's unpadded signatures vary in length; [`SignatureSizes::signature`] is the maximum. Every other
//! scheme's signatures have exactly that length, and verification rejects any other length before calling
//! liboqs (whose verifiers for those schemes read the declared length regardless of the length passed).

use crate::ffi::{FixedBytes, RawSig};
use crate::mldsa_checks::ZBound;
use crate::{check_len, random_secret};
use core::ffi::CStr;
use qres::DynCryptoRng;
use qres::alg::SignatureId;
use qres::backend::default::mldsa;
use qres::primitives::KeyState;
use qres::primitives::sig::{SignInput, Signature, SignatureScheme, SignatureSizes, SigningKey, VerifyingKey};
use qres::secret::SecretBytes;
use qres::{Error, Result};
use std::sync::OnceLock;

/// Which extra rules an [`OqsSig`] follows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum SigKind {
    /// ML-DSA (the FIPS 204 expanded-key check of qres' default backend on import, and the `z` bound).
    MlDsa {
        /// The `z` bound checked before liboqs verifies (see `mldsa_checks`).
        z: ZBound,
    },
    /// Falcon-512/1024 (unpadded): signatures of varying length up to the maximum, which liboqs' decoder
    /// bounds-checks.
    VariableLength,
    /// Any other liboqs scheme: fixed-length signatures. liboqs' verification of these reads the declared
    /// length whatever length it is given, so anything else is rejected here, before the call.
    Generic,
}

/// A signature scheme implemented by liboqs.
pub struct OqsSig {
    id: SignatureId,
    name: &'static CStr,
    kind: SigKind,
    raw: OnceLock<Option<RawSig>>,
}

/// The signing key in liboqs' encoding, zeroized on drop.
struct OqsSigningSecret {
    sk: SecretBytes,
}

impl KeyState for OqsSigningSecret {}

/// ML-DSA seed `xi` and signing randomness `rnd`.
const MLDSA_SEED_LEN: usize = 32;
const MLDSA_RND_LEN: usize = 32;

/// The message signed by the pairwise-consistency test of [`OqsSig::import_signing_key`].
const PCT_MESSAGE: &[u8] = b"qres pairwise consistency test";

impl OqsSig {
    pub(super) const fn new(id: SignatureId, name: &'static CStr, kind: SigKind) -> Self {
        Self { id, name, kind, raw: OnceLock::new() }
    }

    /// liboqs' identifier for the scheme (also its qres name).
    pub fn liboqs_name(&self) -> &'static str {
        self.name.to_str().unwrap_or("")
    }

    /// Whether the linked liboqs enables this scheme.
    pub fn is_enabled(&self) -> bool {
        self.raw().is_some()
    }

    fn raw(&self) -> Option<&RawSig> {
        self.raw.get_or_init(|| RawSig::new(self.name, self.kind == SigKind::VariableLength)).as_ref()
    }

    fn raw_or_err(&self) -> Result<&RawSig> {
        self.raw().ok_or(Error::Unsupported("this signature scheme is not enabled in the linked liboqs"))
    }

    fn secret<'a>(&self, key: &'a SigningKey) -> Result<&'a OqsSigningSecret> {
        if key.algorithm() != self.id {
            return Err(Error::WrongAlgorithm {
                what: "signing key",
                expected: self.id.to_string(),
                actual: key.algorithm().to_string(),
            });
        }
        key.backend_state::<OqsSigningSecret>().ok_or(Error::KeyMismatch("liboqs signature scheme"))
    }

    /// The message and context of a pure input; the other interfaces are not exposed by liboqs 0.13.
    fn pure<'a>(&self, input: SignInput<'a>) -> Result<(&'a [u8], &'a [u8])> {
        input.validate()?;
        match input {
            SignInput::Pure { message, context } => {
                if !context.is_empty() && !self.raw_or_err()?.supports_context() {
                    return Err(Error::Unsupported("context strings (this liboqs scheme takes none)"));
                }
                Ok((message, context))
            }
            SignInput::PreHashed { .. } => Err(Error::Unsupported("HashML-DSA (not exposed by liboqs 0.13)")),
            _ => Err(Error::Unsupported("the internal signing interface (not exposed by liboqs 0.13)")),
        }
    }

    fn assemble(&'static self, seed: Option<&[u8]>, pk: &[u8], sk: SecretBytes) -> Result<SigningKey> {
        let verifying = VerifyingKey::new_unchecked(self, pk, qres::backend::backend_token())?;
        Ok(SigningKey::from_parts(
            self,
            seed.map(SecretBytes::from_slice),
            verifying,
            Box::new(OqsSigningSecret { sk }),
            qres::backend::backend_token(),
        ))
    }

    /// Signs with the expanded key `sk`, liboqs drawing its randomness from `rng`.
    fn sign_raw(&self, sk: &[u8], input: SignInput<'_>, rng: &mut dyn DynCryptoRng) -> Result<Signature> {
        let (message, context) = self.pure(input)?;
        let raw = self.raw_or_err()?;
        let mut signature = vec![0u8; raw.lengths().signature];
        let len = raw.sign(rng, sk, message, context, &mut signature)?;
        signature.truncate(len);
        Ok(Signature::from_bytes(signature))
    }

    /// ML-DSA signing with the given `rnd` (all zero: deterministic).
    fn sign_mldsa(&self, sk: &[u8], input: SignInput<'_>, randomness: &[u8]) -> Result<Signature> {
        input.validate()?;
        check_len("ML-DSA signing randomness", MLDSA_RND_LEN, randomness.len())?;
        let mut rnd = FixedBytes::new(randomness);
        let signature = self.sign_raw(sk, input, &mut rnd)?;
        rnd.finish()?;
        Ok(signature)
    }

    fn check_expanded(&self, expanded: &[u8]) -> Result<()> {
        let l = self.raw_or_err()?.lengths();
        check_len("expanded signing key", l.secret_key, expanded.len())?;
        if let SigKind::MlDsa { .. } = self.kind {
            mldsa::check_expanded_signing_key(self.id, expanded)?;
        }
        Ok(())
    }
}

impl OqsSig {
    /// Signing with the given ML-DSA `rnd` (liboqs draws exactly these 32 bytes through the hook).
    fn sign_fixed(&self, key: &SigningKey, input: SignInput<'_>, randomness: &[u8]) -> Result<Signature> {
        let secret = self.secret(key)?;
        match self.kind {
            SigKind::MlDsa { .. } => self.sign_mldsa(secret.sk.as_bytes(), input, randomness),
            SigKind::VariableLength | SigKind::Generic => {
                Err(Error::Unsupported("derandomized signing (liboqs draws this scheme's randomness itself)"))
            }
        }
    }
}

impl SignatureScheme for OqsSig {
    fn id(&self) -> SignatureId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "liboqs"
    }

    fn sizes(&self) -> SignatureSizes {
        let Some(raw) = self.raw() else {
            return SignatureSizes { verifying_key: 0, signature: 0, seed: 0, signing_randomness: 0 };
        };
        let l = raw.lengths();
        let (seed, signing_randomness) = match self.kind {
            SigKind::MlDsa { .. } => (MLDSA_SEED_LEN, MLDSA_RND_LEN),
            SigKind::VariableLength | SigKind::Generic => (0, 0),
        };
        SignatureSizes { verifying_key: l.public_key, signature: l.signature, seed, signing_randomness }
    }

    fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<SigningKey> {
        if !matches!(self.kind, SigKind::MlDsa { .. }) {
            return Err(Error::Unsupported(
                "key pairs from a seed (liboqs 0.13 has no seeded key generation for this scheme)",
            ));
        }
        check_len("ML-DSA seed", MLDSA_SEED_LEN, seed.len())?;
        let raw = self.raw_or_err()?;
        let l = raw.lengths();
        let mut pk = vec![0u8; l.public_key];
        let mut sk = SecretBytes::zeroed(l.secret_key);
        let mut xi = FixedBytes::new(seed);
        raw.keypair(&mut xi, &mut pk, sk.as_mut_bytes())?;
        xi.finish()?;
        self.assemble(Some(seed), &pk, sk)
    }

    fn generate(&'static self, rng: &mut dyn DynCryptoRng) -> Result<SigningKey> {
        if let SigKind::MlDsa { .. } = self.kind {
            let seed = random_secret(rng, MLDSA_SEED_LEN)?;
            return self.key_pair_from_seed(seed.as_bytes());
        }
        let raw = self.raw_or_err()?;
        let l = raw.lengths();
        let mut pk = vec![0u8; l.public_key];
        let mut sk = SecretBytes::zeroed(l.secret_key);
        raw.keypair(rng, &mut pk, sk.as_mut_bytes())?;
        self.assemble(None, &pk, sk)
    }

    fn parse_verifying_key(&'static self, bytes: &[u8]) -> Result<VerifyingKey> {
        // No liboqs scheme defines a validity check on encoded public keys beyond their length.
        check_len("verifying key", self.raw_or_err()?.lengths().public_key, bytes.len())?;
        VerifyingKey::new_unchecked(self, bytes, qres::backend::backend_token())
    }

    fn sign_derand(
        &self,
        key: &SigningKey,
        input: SignInput<'_>,
        randomness: &[u8],
        _token: qres::primitives::HazmatToken,
    ) -> Result<Signature> {
        self.sign_fixed(key, input, randomness)
    }

    fn sign_deterministic(&self, key: &SigningKey, input: SignInput<'_>) -> Result<Signature> {
        self.sign_fixed(key, input, &[0u8; MLDSA_RND_LEN])
    }

    fn sign(&self, key: &SigningKey, input: SignInput<'_>, rng: &mut dyn DynCryptoRng) -> Result<Signature> {
        let secret = self.secret(key)?;
        match self.kind {
            SigKind::MlDsa { .. } => {
                let rnd = random_secret(rng, MLDSA_RND_LEN)?;
                self.sign_mldsa(secret.sk.as_bytes(), input, rnd.as_bytes())
            }
            SigKind::VariableLength | SigKind::Generic => self.sign_raw(secret.sk.as_bytes(), input, rng),
        }
    }

    fn verify(&self, key: &VerifyingKey, input: SignInput<'_>, signature: &[u8]) -> Result<()> {
        if key.algorithm() != self.id {
            return Err(Error::WrongAlgorithm {
                what: "verifying key",
                expected: self.id.to_string(),
                actual: key.algorithm().to_string(),
            });
        }
        let (message, context) = self.pure(input)?;
        let raw = self.raw_or_err()?;
        if let SigKind::MlDsa { z, .. } = self.kind {
            // FIPS 204 Algorithm 8 line 13, which liboqs 0.13's AVX2 verifier omits (see `mldsa_checks`).
            if signature.len() != raw.lengths().signature || !z.holds(signature) {
                return Err(Error::AuthenticationFailed);
            }
        }
        // Signature lengths are checked in `RawSig::verify` (exact for fixed-length schemes).
        if raw.verify(key.as_bytes(), message, context, signature)? { Ok(()) } else { Err(Error::AuthenticationFailed) }
    }

    fn expanded_signing_key(&self, key: &SigningKey) -> Result<SecretBytes> {
        Ok(SecretBytes::from_slice(self.secret(key)?.sk.as_bytes()))
    }

    fn import_signing_key(&'static self, expanded: &[u8], verifying_key: &[u8]) -> Result<SigningKey> {
        self.check_expanded(expanded)?;
        let vk = self.parse_verifying_key(verifying_key)?;
        let key = self.assemble(None, vk.as_bytes(), SecretBytes::from_slice(expanded))?;
        let input = SignInput::Pure { message: PCT_MESSAGE, context: b"" };
        let signature = self.sign(&key, input, &mut qres::OsRng)?;
        match self.verify(key.verifying_key(), input, signature.as_bytes()) {
            Ok(()) => Ok(key),
            Err(Error::AuthenticationFailed) => Err(Error::InvalidKey {
                what: "signature key pair",
                reason: "the verifying key does not belong to the signing key",
            }),
            Err(e) => Err(e),
        }
    }

    fn sign_with_expanded_key(
        &self,
        expanded: &[u8],
        input: SignInput<'_>,
        randomness: &[u8],
        _token: qres::primitives::HazmatToken,
    ) -> Result<Signature> {
        if !matches!(self.kind, SigKind::MlDsa { .. }) {
            return Err(Error::Unsupported("derandomized signing (liboqs draws this scheme's randomness itself)"));
        }
        input.validate()?;
        self.check_expanded(expanded)?;
        self.sign_mldsa(expanded, input, randomness)
    }
}
