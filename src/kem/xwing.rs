//! X-Wing: the hybrid KEM of ML-KEM-768 and X25519 (draft-connolly-cfrg-xwing-kem; identical to
//! MLKEM768-X25519 of draft-irtf-cfrg-concrete-hybrid-kems, HPKE KEM id `0x647a`).
//!
//! X-Wing stays secure if *either* ML-KEM-768 or X25519 does: the shared secret is
//!
//! ```text
//! ss = SHA3-256(ss_M || ss_X || ct_X || pk_X || "\.//^\")
//! ```
//!
//! where `ss_M` comes from ML-KEM-768 and `ss_X = X25519(ek_X, pk_X)`. Keys are a 32-byte seed expanded
//! with SHAKE256 into `d || z` for ML-KEM and the X25519 scalar (draft §5.2). The combiner is built over
//! the [`Kem`] and [`DhGroup`] traits, so any ML-KEM-768 and X25519 implementation in a
//! [`Provider`](crate::Provider) can serve as its components; SHA3 and SHAKE come from RustCrypto's
//! `sha3`, fixed by the specification.
//!
//! ```
//! use qres::{default_provider, KemId, OsRng};
//! let xwing = default_provider().kem(KemId::X_WING)?;
//! let sk = xwing.generate(&mut OsRng)?;
//! let enc = sk.public_key().encapsulate(&mut OsRng)?;
//! assert_eq!(enc.ciphertext.len(), 1120);
//! assert_eq!(sk.decapsulate(&enc.ciphertext)?, enc.shared_secret);
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::{GroupId, KemId};
use crate::error::{Error, Result, check_len};
use crate::primitives::{BackendToken, HazmatToken};
use crate::primitives::{DhGroup, DhSecretKey, Encapsulation, Kem, KemPublicKey, KemSecretKey, KemSizes, KeyState};
use crate::secret::{SecretBytes, SharedSecret};
use sha3::{Digest, Sha3_256};
use shake::{ExtendableOutput, Shake256, Update, XofReader};

/// The combiner's domain-separation label, `\.//^\`.
pub const XWING_LABEL: [u8; 6] = [0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c];

const SEED_LEN: usize = 32;
const ESEED_LEN: usize = 64;
const X25519_LEN: usize = 32;
const MLKEM768_PK: usize = 1184;
const MLKEM768_CT: usize = 1088;
const PK_LEN: usize = MLKEM768_PK + X25519_LEN;
const CT_LEN: usize = MLKEM768_CT + X25519_LEN;

/// The encodings of the X25519 points of small order (orders 1, 2, 4 and 8), with the top bit masked as
/// RFC 7748 decoding does: 0, 1, the two points of order 8, p - 1, p and p + 1 (the last two are
/// non-canonical encodings of 0 and 1). This is the complete list (the same one libsodium refuses): a
/// clamped scalar is a multiple of 8, so X25519 with any of these gives the all-zero output, and with
/// any other u-coordinate it never does. `x25519_low_order_points_give_zero` in the tests checks both.
pub const X25519_LOW_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    },
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09,
        0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44,
        0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57,
    ],
    {
        let mut p_minus_1 = [0xffu8; 32];
        p_minus_1[0] = 0xec;
        p_minus_1[31] = 0x7f;
        p_minus_1
    },
    {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        p
    },
    {
        let mut p_plus_1 = [0xffu8; 32];
        p_plus_1[0] = 0xee;
        p_plus_1[31] = 0x7f;
        p_plus_1
    },
];

/// Whether `u` (32 bytes) encodes an X25519 point of small order, ignoring the top bit as RFC 7748 does.
/// Public data: the comparison need not be constant-time.
pub fn x25519_is_low_order(u: &[u8]) -> bool {
    let Ok(mut masked) = <[u8; 32]>::try_from(u) else { return false };
    masked[31] &= 0x7f;
    X25519_LOW_ORDER.contains(&masked)
}

/// X-Wing's policy on X25519 (FORMAT.md, "X25519"): a public key whose X25519 part has small order is
/// refused when parsed, and an all-zero X25519 shared secret is refused at encapsulation and
/// decapsulation. The draft does not require these checks (ML-KEM-768 keeps the combined secret secret),
/// but with them an X-Wing key can never degrade to a post-quantum-only key without anyone noticing, and
/// qres agrees with the OpenSSL-based readers that refuse such shares. Honest keys and ciphertexts never
/// contain such points, so interoperability is unaffected.
fn refuse_zero_x25519(ss_x: &[u8]) -> Result<()> {
    use subtle::ConstantTimeEq;
    if bool::from(ss_x.ct_eq(&[0u8; X25519_LEN])) {
        return Err(Error::InvalidKey {
            what: "X-Wing X25519 share",
            reason: "it has small order (all-zero shared secret)",
        });
    }
    Ok(())
}

/// X-Wing over an ML-KEM-768 and an X25519 implementation.
pub struct XWing {
    mlkem: &'static dyn Kem,
    x25519: &'static dyn DhGroup,
}

/// The component keys of an X-Wing secret key (each zeroizes itself on drop).
struct XWingState {
    mlkem: KemSecretKey,
    x25519: DhSecretKey,
}

impl KeyState for XWingState {}

impl XWing {
    /// Combines `mlkem` (which must implement ML-KEM-768) and `x25519` (which must implement X25519). A
    /// mismatch is reported as [`Error::InvalidInput`] when keys are made.
    ///
    /// For backends (a [`BackendToken`]): X-Wing calls its components' hazardous methods
    /// (`encapsulate_derand`, `agree_raw`) with a [`HazmatToken`], so the components must be trusted code.
    pub const fn new(mlkem: &'static dyn Kem, x25519: &'static dyn DhGroup, _token: BackendToken) -> Self {
        Self { mlkem, x25519 }
    }

    fn check_components(&self) -> Result<()> {
        if self.mlkem.id() != KemId::ML_KEM_768 || self.x25519.id() != GroupId::X25519 {
            return Err(Error::InvalidInput("X-Wing needs ML-KEM-768 and X25519 components"));
        }
        Ok(())
    }

    fn combine(ss_m: &[u8], ss_x: &[u8], ct_x: &[u8], pk_x: &[u8]) -> SharedSecret {
        let mut h = Sha3_256::new();
        Digest::update(&mut h, ss_m);
        Digest::update(&mut h, ss_x);
        Digest::update(&mut h, ct_x);
        Digest::update(&mut h, pk_x);
        Digest::update(&mut h, XWING_LABEL);
        let out: [u8; 32] = h.finalize().into();
        SharedSecret::from(out)
    }
}

impl Kem for XWing {
    fn id(&self) -> KemId {
        KemId::X_WING
    }

    fn implementation(&self) -> &'static str {
        "qres combiner"
    }

    fn sizes(&self) -> KemSizes {
        KemSizes {
            public_key: PK_LEN,
            ciphertext: CT_LEN,
            shared_secret: 32,
            seed: SEED_LEN,
            encapsulation_randomness: ESEED_LEN,
        }
    }

    fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<KemSecretKey> {
        self.check_components()?;
        check_len("X-Wing secret key (seed)", SEED_LEN, seed.len())?;
        // expanded = SHAKE256(sk, 96) = d || z || sk_X
        let mut expanded = SecretBytes::zeroed(96);
        let mut xof = Shake256::default();
        xof.update(seed);
        xof.finalize_xof().read(expanded.as_mut_bytes());
        let mlkem = self.mlkem.key_pair_from_seed(&expanded.as_bytes()[..64])?;
        let x25519 = self.x25519.secret_key_from_bytes(&expanded.as_bytes()[64..])?;
        let mut pk = Vec::with_capacity(PK_LEN);
        pk.extend_from_slice(mlkem.public_key().as_bytes());
        pk.extend_from_slice(x25519.public_key().as_bytes());
        let public = KemPublicKey::new_unchecked(self, &pk, BackendToken::new())?;
        let state = XWingState { mlkem, x25519 };
        Ok(KemSecretKey::from_parts(
            self,
            Some(SecretBytes::from_slice(seed)),
            public,
            Box::new(state),
            BackendToken::new(),
        ))
    }

    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<KemPublicKey> {
        self.check_components()?;
        check_len("X-Wing public key", PK_LEN, bytes.len())?;
        // The ML-KEM-768 part gets the FIPS 203 encapsulation-key check.
        self.mlkem.parse_public_key(&bytes[..MLKEM768_PK])?;
        if x25519_is_low_order(&bytes[MLKEM768_PK..]) {
            return Err(Error::InvalidKey { what: "X-Wing public key", reason: "its X25519 part has small order" });
        }
        self.x25519.parse_public_key(&bytes[MLKEM768_PK..])?;
        KemPublicKey::new_unchecked(self, bytes, BackendToken::new())
    }

    fn encapsulate(&self, public_key: &KemPublicKey, rng: &mut dyn crate::DynCryptoRng) -> Result<Encapsulation> {
        let eseed = crate::rng::random_secret(rng, ESEED_LEN)?;
        self.encapsulate_derand(public_key, eseed.as_bytes(), HazmatToken::new())
    }

    fn encapsulate_derand(
        &self,
        public_key: &KemPublicKey,
        randomness: &[u8],
        token: HazmatToken,
    ) -> Result<Encapsulation> {
        if public_key.algorithm() != KemId::X_WING {
            return Err(Error::wrong_algorithm("KEM public key", KemId::X_WING, public_key.algorithm()));
        }
        check_len("X-Wing encapsulation randomness (eseed)", ESEED_LEN, randomness.len())?;
        let (pk_m, pk_x) = public_key.as_bytes().split_at(MLKEM768_PK);
        // Both halves were checked when the X-Wing key was parsed or generated.
        let pk_m = KemPublicKey::new_unchecked(self.mlkem, pk_m, BackendToken::new())?;
        let pk_x = crate::primitives::DhPublicKey::new_unchecked(self.x25519, pk_x, BackendToken::new())?;
        let ephemeral = self.x25519.secret_key_from_bytes(&randomness[32..])?;
        let ct_x = ephemeral.public_key().as_bytes();
        let ss_x = self.x25519.agree_raw(&ephemeral, &pk_x, token)?;
        refuse_zero_x25519(ss_x.as_bytes())?;
        let inner = self.mlkem.encapsulate_derand(&pk_m, &randomness[..32], token)?;
        let shared_secret = Self::combine(inner.shared_secret.as_bytes(), ss_x.as_bytes(), ct_x, pk_x.as_bytes());
        let mut ciphertext = inner.ciphertext;
        ciphertext.extend_from_slice(ct_x);
        Ok(Encapsulation { ciphertext, shared_secret })
    }

    fn decapsulate(&self, secret_key: &KemSecretKey, ciphertext: &[u8]) -> Result<SharedSecret> {
        let state = secret_key.backend_state::<XWingState>().ok_or(Error::KeyMismatch("X-Wing"))?;
        check_len("X-Wing ciphertext", CT_LEN, ciphertext.len())?;
        let (ct_m, ct_x) = ciphertext.split_at(MLKEM768_CT);
        let ss_m = state.mlkem.decapsulate(ct_m)?;
        let ct_x_key = crate::primitives::DhPublicKey::new_unchecked(self.x25519, ct_x, BackendToken::new())?;
        let ss_x = self.x25519.agree_raw(&state.x25519, &ct_x_key, HazmatToken::new())?;
        refuse_zero_x25519(ss_x.as_bytes())?;
        let pk_x = state.x25519.public_key().as_bytes();
        Ok(Self::combine(ss_m.as_bytes(), ss_x.as_bytes(), ct_x, pk_x))
    }
}
