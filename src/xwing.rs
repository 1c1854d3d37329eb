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
//! the [`Kem`] and [`KeyAgreement`] traits, so any ML-KEM-768 and X25519 implementation in a
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
use crate::primitives::{
    DhSecretKey, Encapsulation, Kem, KemPublicKey, KemSecretKey, KemSizes, KeyAgreement, KeyState,
};
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

/// X-Wing over an ML-KEM-768 and an X25519 implementation.
pub struct XWing {
    mlkem: &'static dyn Kem,
    x25519: &'static dyn KeyAgreement,
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
    pub const fn new(mlkem: &'static dyn Kem, x25519: &'static dyn KeyAgreement) -> Self {
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
        let public = KemPublicKey::new_unchecked(self, &pk)?;
        let state = XWingState { mlkem, x25519 };
        Ok(KemSecretKey::from_parts(self, Some(SecretBytes::from_slice(seed)), public, Box::new(state)))
    }

    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<KemPublicKey> {
        self.check_components()?;
        check_len("X-Wing public key", PK_LEN, bytes.len())?;
        // The ML-KEM-768 part gets the FIPS 203 encapsulation-key check.
        self.mlkem.parse_public_key(&bytes[..MLKEM768_PK])?;
        self.x25519.parse_public_key(&bytes[MLKEM768_PK..])?;
        KemPublicKey::new_unchecked(self, bytes)
    }

    fn encapsulate_derand(&self, public_key: &KemPublicKey, randomness: &[u8]) -> Result<Encapsulation> {
        if public_key.algorithm() != KemId::X_WING {
            return Err(Error::InvalidInput("public key belongs to a different KEM algorithm"));
        }
        check_len("X-Wing encapsulation randomness (eseed)", ESEED_LEN, randomness.len())?;
        let (pk_m, pk_x) = public_key.as_bytes().split_at(MLKEM768_PK);
        // Both halves were checked when the X-Wing key was parsed or generated.
        let pk_m = KemPublicKey::new_unchecked(self.mlkem, pk_m)?;
        let pk_x = crate::primitives::DhPublicKey::new_unchecked(self.x25519, pk_x)?;
        let ephemeral = self.x25519.secret_key_from_bytes(&randomness[32..])?;
        let ct_x = ephemeral.public_key().as_bytes();
        let ss_x = self.x25519.agree_raw(&ephemeral, &pk_x)?;
        let inner = self.mlkem.encapsulate_derand(&pk_m, &randomness[..32])?;
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
        let ct_x_key = crate::primitives::DhPublicKey::new_unchecked(self.x25519, ct_x)?;
        let ss_x = self.x25519.agree_raw(&state.x25519, &ct_x_key)?;
        let pk_x = state.x25519.public_key().as_bytes();
        Ok(Self::combine(ss_m.as_bytes(), ss_x.as_bytes(), ct_x, pk_x))
    }
}
