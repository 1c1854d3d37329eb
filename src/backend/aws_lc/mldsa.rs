//! ML-DSA-44/65/87 (FIPS 204) on aws-lc-rs (`signature::PqdsaKeyPair`, stable since aws-lc-rs 1.18; the
//! `unstable` module only re-exports it), mixed with the default backend for what aws-lc-rs 1.19 cannot
//! express.
//!
//! aws-lc-rs signs and verifies *pure* ML-DSA with an *empty* context string, hedged with randomness from
//! AWS-LC's own DRBG. It has key generation from the 32-byte seed `xi` and exports the expanded key, but no
//! context strings, no HashML-DSA, no internal interface and no caller-supplied signing randomness. So:
//!
//! | operation | implementation |
//! |---|---|
//! | key pair from seed, expanded-key export | AWS-LC |
//! | hedged signing (`sign`), pure, empty context | AWS-LC (randomness from AWS-LC's DRBG; `rng` is not used) |
//! | verification, pure, empty context | AWS-LC |
//! | a non-empty context, HashML-DSA, the internal interface, derandomized or deterministic signing, signing with an expanded key | libcrux (default backend) |
//!
//! The `*_LIBCRUX_SIGNING` variants send every signature to libcrux (faster here), keeping AWS-LC's key
//! generation and verification. For the libcrux path a libcrux key is derived from the seed on first use and cached in the signing key.

use crate::alg::SignatureId;
use crate::backend::default::mldsa as fallback;
use crate::error::{Error, Result, check_len};
use crate::primitives::KeyState;
use crate::primitives::sig::{SignInput, Signature, SignatureScheme, SignatureSizes, SigningKey, VerifyingKey};
use crate::primitives::{BackendToken, HazmatToken};
use crate::random::DynCryptoRng;
use crate::secret::SecretBytes;
use aws_lc_rs::encoding::AsRawBytes;
use aws_lc_rs::signature::{self as lc, KeyPair, PqdsaKeyPair, UnparsedPublicKey};
use std::sync::OnceLock;

/// ML-DSA on aws-lc-rs (mixed with the default backend, see the module documentation).
pub struct AwsLcMlDsa {
    signing: &'static lc::PqdsaSigningAlgorithm,
    verification: &'static lc::PqdsaVerificationAlgorithm,
    fallback: &'static dyn SignatureScheme,
    name: &'static str,
    /// Whether hedged pure signing with an empty context goes to AWS-LC (else to libcrux).
    aws_lc_signing: bool,
}

/// ML-DSA-44.
pub static ML_DSA_44: AwsLcMlDsa = AwsLcMlDsa {
    signing: &lc::ML_DSA_44_SIGNING,
    verification: &lc::ML_DSA_44,
    fallback: &fallback::ML_DSA_44,
    name: "ML-DSA-44",
    aws_lc_signing: true,
};
/// ML-DSA-65.
pub static ML_DSA_65: AwsLcMlDsa = AwsLcMlDsa {
    signing: &lc::ML_DSA_65_SIGNING,
    verification: &lc::ML_DSA_65,
    fallback: &fallback::ML_DSA_65,
    name: "ML-DSA-65",
    aws_lc_signing: true,
};
/// ML-DSA-87.
pub static ML_DSA_87: AwsLcMlDsa = AwsLcMlDsa {
    signing: &lc::ML_DSA_87_SIGNING,
    verification: &lc::ML_DSA_87,
    fallback: &fallback::ML_DSA_87,
    name: "ML-DSA-87",
    aws_lc_signing: true,
};

/// ML-DSA-44 with AWS-LC key generation and verification but every signature by libcrux (which signs
/// faster here; BENCHMARKS.md): the choice of `fastest_provider()`.
pub static ML_DSA_44_LIBCRUX_SIGNING: AwsLcMlDsa = AwsLcMlDsa { aws_lc_signing: false, ..ML_DSA_44 };
/// ML-DSA-65 with AWS-LC key generation and verification, libcrux signing.
pub static ML_DSA_65_LIBCRUX_SIGNING: AwsLcMlDsa = AwsLcMlDsa { aws_lc_signing: false, ..ML_DSA_65 };
/// ML-DSA-87 with AWS-LC key generation and verification, libcrux signing.
pub static ML_DSA_87_LIBCRUX_SIGNING: AwsLcMlDsa = AwsLcMlDsa { aws_lc_signing: false, ..ML_DSA_87 };

/// The AWS-LC key pair (cleansed by AWS-LC when freed), the seed, and the libcrux key once needed.
struct State {
    pair: PqdsaKeyPair,
    seed: SecretBytes,
    libcrux: OnceLock<SigningKey>,
}

impl KeyState for State {}

/// Whether AWS-LC can serve this input: pure signing with an empty context.
fn aws_lc_message<'a>(input: &SignInput<'a>) -> Option<&'a [u8]> {
    match *input {
        SignInput::Pure { message, context: [] } => Some(message),
        _ => None,
    }
}

impl AwsLcMlDsa {
    fn state<'a>(&self, key: &'a SigningKey) -> Result<&'a State> {
        key.backend_state::<State>().ok_or(Error::KeyMismatch(self.name))
    }

    /// The libcrux signing key for the same seed, derived on first use.
    fn libcrux<'a>(&self, state: &'a State) -> Result<&'a SigningKey> {
        if let Some(key) = state.libcrux.get() {
            return Ok(key);
        }
        let key = self.fallback.key_pair_from_seed(state.seed.as_bytes())?;
        Ok(state.libcrux.get_or_init(|| key))
    }
}

impl SignatureScheme for AwsLcMlDsa {
    fn id(&self) -> SignatureId {
        self.fallback.id()
    }

    fn implementation(&self) -> &'static str {
        if self.aws_lc_signing {
            "aws-lc-rs (contexts, HashML-DSA, derandomized signing: libcrux)"
        } else {
            "aws-lc-rs keygen and verification, libcrux signing"
        }
    }

    fn sizes(&self) -> SignatureSizes {
        self.fallback.sizes()
    }

    fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<SigningKey> {
        check_len("ML-DSA seed", self.sizes().seed, seed.len())?;
        let pair = PqdsaKeyPair::from_seed(self.signing, seed).map_err(|_| Error::Backend("AWS-LC ML-DSA keygen"))?;
        let verifying = VerifyingKey::new_unchecked(self, pair.public_key().as_ref(), BackendToken::new())?;
        let state = State { pair, seed: SecretBytes::from_slice(seed), libcrux: OnceLock::new() };
        Ok(SigningKey::from_parts(
            self,
            Some(SecretBytes::from_slice(seed)),
            verifying,
            Box::new(state),
            BackendToken::new(),
        ))
    }

    fn parse_verifying_key(&'static self, bytes: &[u8]) -> Result<VerifyingKey> {
        // FIPS 204 defines no validity check on pk beyond its length.
        check_len("ML-DSA verifying key", self.sizes().verifying_key, bytes.len())?;
        VerifyingKey::new_unchecked(self, bytes, BackendToken::new())
    }

    fn sign_derand(
        &self,
        key: &SigningKey,
        input: SignInput<'_>,
        randomness: &[u8],
        token: HazmatToken,
    ) -> Result<Signature> {
        let state = self.state(key)?;
        self.fallback.sign_derand(self.libcrux(state)?, input, randomness, token)
    }

    /// Hedged signing; pure signing with an empty context is AWS-LC's, with randomness from AWS-LC's DRBG
    /// (`rng` is then not used).
    fn sign(&self, key: &SigningKey, input: SignInput<'_>, rng: &mut dyn DynCryptoRng) -> Result<Signature> {
        let state = self.state(key)?;
        match aws_lc_message(&input).filter(|_| self.aws_lc_signing) {
            Some(message) => {
                let mut sig = vec![0u8; self.sizes().signature];
                let len = state.pair.sign(message, &mut sig).map_err(|_| Error::Backend("AWS-LC ML-DSA signing"))?;
                sig.truncate(len);
                Ok(Signature::from_bytes(sig))
            }
            None => self.fallback.sign(self.libcrux(state)?, input, rng),
        }
    }

    fn verify(&self, key: &VerifyingKey, input: SignInput<'_>, signature: &[u8]) -> Result<()> {
        input.validate()?;
        if key.algorithm() != self.id() {
            return Err(Error::wrong_algorithm("verifying key", self.id(), key.algorithm()));
        }
        match aws_lc_message(&input) {
            Some(message) => UnparsedPublicKey::new(self.verification, key.as_bytes())
                .verify(message, signature)
                .map_err(|_| Error::AuthenticationFailed),
            None => self.fallback.verify(key, input, signature),
        }
    }

    fn expanded_signing_key(&self, key: &SigningKey) -> Result<SecretBytes> {
        let raw = self
            .state(key)?
            .pair
            .private_key()
            .as_raw_bytes()
            .map_err(|_| Error::Backend("AWS-LC ML-DSA key export"))?;
        Ok(SecretBytes::from_slice(raw.as_ref()))
    }

    fn sign_with_expanded_key(
        &self,
        expanded: &[u8],
        input: SignInput<'_>,
        randomness: &[u8],
        token: HazmatToken,
    ) -> Result<Signature> {
        self.fallback.sign_with_expanded_key(expanded, input, randomness, token)
    }
}
