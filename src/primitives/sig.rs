//! Signatures: the [`SignatureScheme`] trait and its key types.
//!
//! ML-DSA (FIPS 204) signs a message with an optional context string (at most 255 bytes), either
//! *hedged* (fresh randomness mixed in; the default) or *deterministic*. What is signed is described by a
//! [`SignInput`]: a pure message, a pre-hashed message (HashML-DSA) or, for known-answer tests, the
//! internal message representative `M'`.
//!
//! ```
//! use qres::{default_provider, SignatureId, OsRng};
//! let scheme = default_provider().signature(SignatureId::ML_DSA_65)?;
//! let sk = scheme.generate(&mut OsRng)?;
//! let sig = sk.sign(b"message", b"my-app v1", &mut OsRng)?;
//! sk.verifying_key().verify(b"message", b"my-app v1", sig.as_bytes())?;
//! assert!(sk.verifying_key().verify(b"message", b"other", sig.as_bytes()).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::SignatureId;
use crate::error::{Error, Result, check_len};
use crate::key_id::{KeyFamily, KeyId};
use crate::primitives::{BackendToken, HazmatToken, KeyState};
use crate::random::{DynCryptoRng, random_secret};
use crate::secret::SecretBytes;
use core::any::Any;
use core::fmt;

/// Longest context string FIPS 204 allows.
pub const MAX_CONTEXT_LEN: usize = 255;

/// Byte sizes of a signature scheme's encodings.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SignatureSizes {
    /// Encoded verifying (public) key.
    pub verifying_key: usize,
    /// Signature.
    pub signature: usize,
    /// Seed of a key pair (0 if the algorithm has no seed form).
    pub seed: usize,
    /// Randomness consumed by one hedged signature.
    pub signing_randomness: usize,
}

/// The hash functions FIPS 204 allows for HashML-DSA, with their object identifiers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PreHash {
    /// SHA-224.
    Sha2_224,
    /// SHA-256.
    Sha2_256,
    /// SHA-384.
    Sha2_384,
    /// SHA-512.
    Sha2_512,
    /// SHA-512/224.
    Sha2_512_224,
    /// SHA-512/256.
    Sha2_512_256,
    /// SHA3-224.
    Sha3_224,
    /// SHA3-256.
    Sha3_256,
    /// SHA3-384.
    Sha3_384,
    /// SHA3-512.
    Sha3_512,
    /// SHAKE128 with 256 bits of output.
    Shake128,
    /// SHAKE256 with 512 bits of output.
    Shake256,
}

impl PreHash {
    /// Every pre-hash function.
    pub const ALL: [PreHash; 12] = [
        Self::Sha2_224,
        Self::Sha2_256,
        Self::Sha2_384,
        Self::Sha2_512,
        Self::Sha2_512_224,
        Self::Sha2_512_256,
        Self::Sha3_224,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
        Self::Shake128,
        Self::Shake256,
    ];

    /// The name used by NIST ACVP (`"SHA2-256"`, `"SHAKE-128"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha2_224 => "SHA2-224",
            Self::Sha2_256 => "SHA2-256",
            Self::Sha2_384 => "SHA2-384",
            Self::Sha2_512 => "SHA2-512",
            Self::Sha2_512_224 => "SHA2-512/224",
            Self::Sha2_512_256 => "SHA2-512/256",
            Self::Sha3_224 => "SHA3-224",
            Self::Sha3_256 => "SHA3-256",
            Self::Sha3_384 => "SHA3-384",
            Self::Sha3_512 => "SHA3-512",
            Self::Shake128 => "SHAKE-128",
            Self::Shake256 => "SHAKE-256",
        }
    }

    /// Looks a function up by its ACVP name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha2_224 | Self::Sha2_512_224 | Self::Sha3_224 => 28,
            Self::Sha2_256 | Self::Sha2_512_256 | Self::Sha3_256 | Self::Shake128 => 32,
            Self::Sha2_384 | Self::Sha3_384 => 48,
            Self::Sha2_512 | Self::Sha3_512 | Self::Shake256 => 64,
        }
    }

    /// The last arc of the function's OID under `2.16.840.1.101.3.4.2` (NIST hash algorithms).
    fn oid_arc(self) -> u8 {
        match self {
            Self::Sha2_256 => 1,
            Self::Sha2_384 => 2,
            Self::Sha2_512 => 3,
            Self::Sha2_224 => 4,
            Self::Sha2_512_224 => 5,
            Self::Sha2_512_256 => 6,
            Self::Sha3_224 => 7,
            Self::Sha3_256 => 8,
            Self::Sha3_384 => 9,
            Self::Sha3_512 => 10,
            Self::Shake128 => 11,
            Self::Shake256 => 12,
        }
    }

    /// The DER encoding of the function's OID, as FIPS 204 Algorithm 4 places it in `M'`.
    pub fn oid_der(self) -> [u8; 11] {
        [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, self.oid_arc()]
    }

    /// Hashes `message` with this function.
    pub fn digest(self, message: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        use shake::{ExtendableOutput, Update};
        fn xof<X: Default + Update + ExtendableOutput>(m: &[u8], len: usize) -> Vec<u8> {
            let mut x = X::default();
            x.update(m);
            let mut out = vec![0u8; len];
            x.finalize_xof_into(&mut out);
            out
        }
        match self {
            Self::Sha2_224 => sha2::Sha224::digest(message).to_vec(),
            Self::Sha2_256 => sha2::Sha256::digest(message).to_vec(),
            Self::Sha2_384 => sha2::Sha384::digest(message).to_vec(),
            Self::Sha2_512 => sha2::Sha512::digest(message).to_vec(),
            Self::Sha2_512_224 => sha2::Sha512_224::digest(message).to_vec(),
            Self::Sha2_512_256 => sha2::Sha512_256::digest(message).to_vec(),
            Self::Sha3_224 => sha3::Sha3_224::digest(message).to_vec(),
            Self::Sha3_256 => sha3::Sha3_256::digest(message).to_vec(),
            Self::Sha3_384 => sha3::Sha3_384::digest(message).to_vec(),
            Self::Sha3_512 => sha3::Sha3_512::digest(message).to_vec(),
            Self::Shake128 => xof::<shake::Shake128>(message, 32),
            Self::Shake256 => xof::<shake::Shake256>(message, 64),
        }
    }
}

/// What a signature covers.
#[derive(Copy, Clone, Debug)]
#[non_exhaustive]
pub enum SignInput<'a> {
    /// Pure signing of `message` under a context string (FIPS 204 Algorithm 2 / 3).
    Pure {
        /// The message.
        message: &'a [u8],
        /// The context string, at most 255 bytes; empty if unused.
        context: &'a [u8],
    },
    /// HashML-DSA: `digest` is `hash(message)`, computed by the caller (see [`PreHash::digest`]).
    PreHashed {
        /// The pre-hash function.
        hash: PreHash,
        /// The digest of the message.
        digest: &'a [u8],
        /// The context string, at most 255 bytes.
        context: &'a [u8],
    },
    /// The internal interface (FIPS 204 Algorithm 7 / 8): `message` is the already formatted `M'`.
    /// Hazardous: for known-answer tests and protocols that define their own domain separation.
    /// Built with a [`HazmatToken`] (`qres::hazmat::token()`, feature `hazmat`).
    Internal {
        /// The message representative `M'`.
        message: &'a [u8],
        /// The proof that the caller asked for the internal interface by name.
        token: HazmatToken,
    },
}

impl SignInput<'_> {
    /// Checks the context length and the digest length.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Self::Pure { context, .. } => check_context(context),
            Self::PreHashed { hash, digest, context } => {
                check_context(context)?;
                check_len("pre-hash digest", hash.output_len(), digest.len())
            }
            Self::Internal { .. } => Ok(()),
        }
    }

    /// The formatted message `M'` of FIPS 204 (Algorithms 2 and 4): `0 || |ctx| || ctx || M` for pure
    /// signing, `1 || |ctx| || ctx || OID || PH(M)` for HashML-DSA, and the input itself for the internal
    /// interface.
    pub fn formatted_message(&self) -> Result<Vec<u8>> {
        self.validate()?;
        Ok(match *self {
            Self::Pure { message, context } => {
                let mut m = Vec::with_capacity(2 + context.len() + message.len());
                m.extend_from_slice(&[0, context.len() as u8]);
                m.extend_from_slice(context);
                m.extend_from_slice(message);
                m
            }
            Self::PreHashed { hash, digest, context } => {
                let mut m = Vec::with_capacity(2 + context.len() + 11 + digest.len());
                m.extend_from_slice(&[1, context.len() as u8]);
                m.extend_from_slice(context);
                m.extend_from_slice(&hash.oid_der());
                m.extend_from_slice(digest);
                m
            }
            Self::Internal { message, .. } => message.to_vec(),
        })
    }
}

fn check_context(context: &[u8]) -> Result<()> {
    if context.len() > MAX_CONTEXT_LEN {
        return Err(Error::LengthOutOfRange {
            what: "signature context string",
            min: 0,
            max: MAX_CONTEXT_LEN,
            actual: context.len(),
        });
    }
    Ok(())
}

/// A signature scheme.
pub trait SignatureScheme: Send + Sync + 'static {
    /// The algorithm id.
    fn id(&self) -> SignatureId;

    /// Which implementation this is (e.g. `"libcrux"`).
    fn implementation(&self) -> &'static str;

    /// Encoding sizes.
    fn sizes(&self) -> SignatureSizes;

    /// Derives a key pair from a seed of [`SignatureSizes::seed`] bytes (ML-DSA: `xi`).
    fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<SigningKey>;

    /// Generates a key pair from `rng`.
    fn generate(&'static self, rng: &mut dyn DynCryptoRng) -> Result<SigningKey> {
        let seed = random_secret(rng, self.sizes().seed)?;
        self.key_pair_from_seed(seed.as_bytes())
    }

    /// Parses an encoded verifying key.
    fn parse_verifying_key(&'static self, bytes: &[u8]) -> Result<VerifyingKey>;

    /// Signs with caller-supplied randomness of [`SignatureSizes::signing_randomness`] bytes (all zero gives
    /// the deterministic variant). For known-answer tests, so the call needs a [`HazmatToken`]
    /// (`qres::hazmat::token()`, feature `hazmat`); use [`sign`](Self::sign) otherwise.
    fn sign_derand(
        &self,
        key: &SigningKey,
        input: SignInput<'_>,
        randomness: &[u8],
        token: HazmatToken,
    ) -> Result<Signature>;

    /// Hedged signing: fresh randomness from `rng` (FIPS 204's default).
    fn sign(&self, key: &SigningKey, input: SignInput<'_>, rng: &mut dyn DynCryptoRng) -> Result<Signature> {
        let rnd = random_secret(rng, self.sizes().signing_randomness)?;
        self.sign_derand(key, input, rnd.as_bytes(), HazmatToken::new())
    }

    /// Deterministic signing: the same key and input always give the same signature.
    fn sign_deterministic(&self, key: &SigningKey, input: SignInput<'_>) -> Result<Signature> {
        let zeros = vec![0u8; self.sizes().signing_randomness];
        self.sign_derand(key, input, &zeros, HazmatToken::new())
    }

    /// Verifies `signature`. Every failure, including a malformed signature, is
    /// [`Error::AuthenticationFailed`]; an over-long context string is a length error.
    fn verify(&self, key: &VerifyingKey, input: SignInput<'_>, signature: &[u8]) -> Result<()>;

    /// The expanded encoding of a signing key (FIPS 204 `sk`), e.g. for known-answer tests.
    fn expanded_signing_key(&self, key: &SigningKey) -> Result<SecretBytes> {
        let _ = key;
        Err(Error::Unsupported("exporting an expanded signing key"))
    }

    /// Imports a signing key from its expanded encoding and its verifying key: the storage form of
    /// schemes without a seed (for example liboqs' Falcon, SPHINCS+, MAYO). The pair is checked by a
    /// pairwise-consistency test (sign and verify); a mismatch is [`Error::InvalidKey`].
    fn import_signing_key(&'static self, expanded: &[u8], verifying_key: &[u8]) -> Result<SigningKey> {
        let _ = (expanded, verifying_key);
        Err(Error::Unsupported("importing an expanded signing key"))
    }

    /// Signs with a key given only in expanded form (FIPS 204 `sk` encoding), after checking that the
    /// encoding is well formed. Hazardous: for known-answer tests and imports from systems that do not
    /// keep seeds. Needs a [`HazmatToken`].
    fn sign_with_expanded_key(
        &self,
        expanded: &[u8],
        input: SignInput<'_>,
        randomness: &[u8],
        _token: HazmatToken,
    ) -> Result<Signature> {
        let _ = (expanded, input, randomness);
        Err(Error::Unsupported("signing with an expanded key"))
    }
}

/// An encoded signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature(Vec<u8>);

impl Signature {
    /// Wraps an encoded signature.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The encoding.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Consumes the signature, returning its encoding.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({} bytes)", self.0.len())
    }
}

impl signature::SignatureEncoding for Signature {
    type Repr = Vec<u8>;
}

impl TryFrom<&[u8]> for Signature {
    type Error = signature::Error;
    fn try_from(bytes: &[u8]) -> core::result::Result<Self, signature::Error> {
        Ok(Self(bytes.to_vec()))
    }
}

impl From<Signature> for Vec<u8> {
    fn from(s: Signature) -> Vec<u8> {
        s.0
    }
}

/// An encoded verifying (public) key.
#[derive(Clone)]
pub struct VerifyingKey {
    scheme: &'static dyn SignatureScheme,
    bytes: Box<[u8]>,
    key_id: std::sync::OnceLock<KeyId>,
}

impl VerifyingKey {
    /// Wraps bytes that the caller guarantees are a valid key of `scheme`. For backend implementations;
    /// everyone else calls [`SignatureScheme::parse_verifying_key`].
    /// Needs a [`BackendToken`].
    pub fn new_unchecked(scheme: &'static dyn SignatureScheme, bytes: &[u8], _token: BackendToken) -> Result<Self> {
        check_len("verifying key", scheme.sizes().verifying_key, bytes.len())?;
        Ok(Self { scheme, bytes: bytes.into(), key_id: std::sync::OnceLock::new() })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> SignatureId {
        self.scheme.id()
    }

    /// The implementation this key belongs to.
    pub fn scheme(&self) -> &'static dyn SignatureScheme {
        self.scheme
    }

    /// Verifies a pure signature over `message` with `context`.
    pub fn verify(&self, message: &[u8], context: &[u8], signature: &[u8]) -> Result<()> {
        self.scheme.verify(self, SignInput::Pure { message, context }, signature)
    }
}

super::encoded_public_key!(VerifyingKey, KeyFamily::Signature);

impl signature::Verifier<Signature> for VerifyingKey {
    /// Verifies with an empty context string.
    fn verify(&self, msg: &[u8], signature: &Signature) -> core::result::Result<(), signature::Error> {
        VerifyingKey::verify(self, msg, &[], signature.as_bytes()).map_err(|_| signature::Error::new())
    }
}

/// A signing (secret) key: the seed, the verifying key and backend-private state, zeroized on drop.
pub struct SigningKey {
    scheme: &'static dyn SignatureScheme,
    seed: Option<SecretBytes>,
    verifying: VerifyingKey,
    state: Box<dyn KeyState>,
}

impl SigningKey {
    /// Assembles a signing key. For backend implementations (see [`KeyState`]); needs a [`BackendToken`].
    pub fn from_parts(
        scheme: &'static dyn SignatureScheme,
        seed: Option<SecretBytes>,
        verifying: VerifyingKey,
        state: Box<dyn KeyState>,
        _token: BackendToken,
    ) -> Self {
        Self { scheme, seed, verifying, state }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> SignatureId {
        self.scheme.id()
    }

    /// The implementation this key belongs to.
    pub fn scheme(&self) -> &'static dyn SignatureScheme {
        self.scheme
    }

    /// The matching verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// Fingerprint of the verifying key.
    pub fn key_id(&self) -> KeyId {
        self.verifying.key_id()
    }

    /// The seed this key was derived from (its standard storage form), if any.
    pub fn seed(&self) -> Option<&SecretBytes> {
        self.seed.as_ref()
    }

    /// Hedged signature over `message` with `context` (at most 255 bytes).
    pub fn sign(&self, message: &[u8], context: &[u8], rng: &mut dyn DynCryptoRng) -> Result<Signature> {
        self.scheme.sign(self, SignInput::Pure { message, context }, rng)
    }

    /// Deterministic signature over `message` with `context`.
    pub fn sign_deterministic(&self, message: &[u8], context: &[u8]) -> Result<Signature> {
        self.scheme.sign_deterministic(self, SignInput::Pure { message, context })
    }

    /// The backend-private state, if it has type `T`. For backend implementations.
    pub fn backend_state<T: KeyState>(&self) -> Option<&T> {
        let any: &dyn Any = &*self.state;
        any.downcast_ref::<T>()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .field("key_id", &self.key_id())
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl signature::Keypair for SigningKey {
    type VerifyingKey = VerifyingKey;
    fn verifying_key(&self) -> VerifyingKey {
        self.verifying.clone()
    }
}

impl signature::Signer<Signature> for SigningKey {
    /// Hedged signature with an empty context, using the operating system's RNG.
    fn try_sign(&self, msg: &[u8]) -> core::result::Result<Signature, signature::Error> {
        self.sign(msg, &[], &mut crate::OsRng).map_err(|_| signature::Error::new())
    }
}

impl signature::RandomizedSigner<Signature> for SigningKey {
    fn try_sign_with_rng<R: rand_core::TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        msg: &[u8],
    ) -> core::result::Result<Signature, signature::Error> {
        let mut adapter = DynAdapter(rng);
        self.sign(msg, &[], &mut adapter).map_err(|_| signature::Error::new())
    }
}

/// Lets an unsized `rand_core` RNG be used as `&mut dyn DynCryptoRng`.
struct DynAdapter<'a, R: ?Sized>(&'a mut R);

impl<R: rand_core::TryCryptoRng + ?Sized> DynCryptoRng for DynAdapter<'_, R> {
    fn fill_random(&mut self, dest: &mut [u8]) -> Result<()> {
        self.0.try_fill_bytes(dest).map_err(|_| Error::RandomnessUnavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_message_follows_fips_204() {
        let m = SignInput::Pure { message: b"M", context: b"ab" }.formatted_message().unwrap();
        assert_eq!(m, [0, 2, b'a', b'b', b'M']);
        let digest = PreHash::Sha2_256.digest(b"abc");
        let m = SignInput::PreHashed { hash: PreHash::Sha2_256, digest: &digest, context: b"" }
            .formatted_message()
            .unwrap();
        assert_eq!(&m[..2], &[1, 0]);
        assert_eq!(&m[2..13], &[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]);
        assert_eq!(&m[13..], &digest[..]);
    }

    #[test]
    fn context_and_digest_lengths_are_checked() {
        let long = [0u8; 256];
        assert!(matches!(
            SignInput::Pure { message: b"", context: &long }.validate(),
            Err(Error::LengthOutOfRange { actual: 256, .. })
        ));
        assert!(matches!(
            SignInput::PreHashed { hash: PreHash::Sha3_512, digest: &[0; 32], context: b"" }.validate(),
            Err(Error::InvalidLength { expected: 64, actual: 32, .. })
        ));
    }

    #[test]
    fn prehash_digests_match_known_answers() {
        // FIPS 180-4 / FIPS 202 "abc" examples (prefixes).
        assert!(hex_prefix(&PreHash::Sha2_256.digest(b"abc"), "ba7816bf"));
        assert!(hex_prefix(&PreHash::Sha3_256.digest(b"abc"), "3a985da7"));
        assert!(hex_prefix(&PreHash::Shake128.digest(b""), "7f9c2ba4"));
        for p in PreHash::ALL {
            assert_eq!(p.digest(b"x").len(), p.output_len(), "{}", p.name());
            assert_eq!(PreHash::from_name(p.name()), Some(p));
        }
    }

    fn hex_prefix(bytes: &[u8], prefix: &str) -> bool {
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().starts_with(prefix)
    }
}
