//! The hazmat fence of qres, tested from outside the crate (see README.md).
//!
//! Every item below is documentation only: its doctest calls one fenced operation. Without the feature
//! that opens the fence, the doctest must fail to compile with the stated error code (`E0433`, unresolved
//! path, unless said otherwise); with it, the same code must compile and run. rustdoc checks the error
//! codes of `compile_fail` tests only on nightly, so `.ci/run` runs these with `RUSTC_BOOTSTRAP=1`: a
//! snippet that fails for another reason (a typo) then fails the test.
#![forbid(unsafe_code)]

/// One fenced operation: the doctest compiles (and runs) only with `$feature`; without it, it fails with
/// `E0433` (the path `qres::hazmat` does not exist), or the error code given.
macro_rules! fenced {
    ($(#[$doc:meta])* $name:ident, $feature:literal, $code:literal) => {
        fenced!($(#[$doc])* $name, $feature, "E0433", $code);
    };
    ($(#[$doc:meta])* $name:ident, $feature:literal, $error:literal, $code:literal) => {
        $(#[$doc])*
        #[cfg_attr(feature = $feature, doc = concat!("```\n", $code, "\n# Ok::<(), qres::Error>(())\n```"))]
        #[cfg_attr(
            not(feature = $feature),
            doc = concat!("```compile_fail,", $error, "\n", $code, "\n# Ok::<(), qres::Error>(())\n```")
        )]
        pub struct $name;
    };
}

fenced!(
    /// `Kem::encapsulate_derand`: encapsulation with caller-supplied randomness.
    EncapsulateDerand,
    "hazmat",
    "use qres::{default_provider, KemId};
let kem = default_provider().kem(KemId::ML_KEM_768)?;
let sk = kem.key_pair_from_seed(&[1u8; 64])?;
let enc = kem.encapsulate_derand(sk.public_key(), &[2u8; 32], qres::hazmat::token())?;
assert_eq!(sk.decapsulate(&enc.ciphertext)?.as_bytes(), enc.shared_secret.as_bytes());"
);

fenced!(
    /// `SignatureScheme::sign_derand`: signing with caller-supplied randomness.
    SignDerand,
    "hazmat",
    "use qres::{default_provider, SignatureId, SignInput};
let scheme = default_provider().signature(SignatureId::ML_DSA_65)?;
let sk = scheme.key_pair_from_seed(&[1u8; 32])?;
let input = SignInput::Pure { message: b\"m\", context: b\"\" };
let sig = scheme.sign_derand(&sk, input, &[3u8; 32], qres::hazmat::token())?;
sk.verifying_key().verify(b\"m\", b\"\", sig.as_bytes())?;"
);

fenced!(
    /// `SignatureScheme::sign_with_expanded_key`: signing with a FIPS 204 `sk` encoding.
    SignWithExpandedKey,
    "hazmat",
    "use qres::{default_provider, SignatureId, SignInput};
let scheme = default_provider().signature(SignatureId::ML_DSA_65)?;
let sk = scheme.key_pair_from_seed(&[1u8; 32])?;
let expanded = scheme.expanded_signing_key(&sk)?;
let input = SignInput::Pure { message: b\"m\", context: b\"\" };
let sig = scheme.sign_with_expanded_key(expanded.as_bytes(), input, &[0u8; 32], qres::hazmat::token())?;
sk.verifying_key().verify(b\"m\", b\"\", sig.as_bytes())?;"
);

fenced!(
    /// `SignInput::Internal`: FIPS 204's internal interface (`M'` given by the caller).
    SignInputInternal,
    "hazmat",
    "use qres::{default_provider, SignatureId, SignInput};
let scheme = default_provider().signature(SignatureId::ML_DSA_65)?;
let sk = scheme.key_pair_from_seed(&[1u8; 32])?;
let input = SignInput::Internal { message: b\"M'\", token: qres::hazmat::token() };
let sig = scheme.sign_deterministic(&sk, input)?;
scheme.verify(sk.verifying_key(), input, sig.as_bytes())?;"
);

fenced!(
    /// `Suite::key_schedule`, `key_schedule_context`, `key_schedule_with_context` and `sender_context`:
    /// HPKE's raw key schedule (two sender contexts from one schedule reuse nonces).
    HpkeKeySchedule,
    "hazmat",
    "use qres::hpke::{Mode, Suite};
let suite = Suite::default_pq(&qres::default_provider())?;
let token = qres::hazmat::token();
let ksc = suite.key_schedule_context(Mode::Base, b\"info\", None, token)?;
let schedule = suite.key_schedule_with_context(Mode::Base, ksc, &[9u8; 32], None, token)?;
let mut sender = suite.sender_context(schedule, token)?;
let again = suite.key_schedule(Mode::Base, &[9u8; 32], b\"info\", None, token)?;
let mut receiver = suite.receiver_context(again)?;
assert_eq!(receiver.open(b\"\", &sender.seal(b\"\", b\"x\")?)?, b\"x\");"
);

fenced!(
    /// `Suite::setup_sender_derand`: HPKE encapsulation with given `ikmE`.
    HpkeSetupSenderDerand,
    "hazmat",
    "use qres::hpke::{SenderParams, Suite};
let suite = Suite::default_pq(&qres::default_provider())?;
let sk = suite.derive_key_pair(&[4u8; 32])?;
let randomness = vec![5u8; suite.encapsulation_randomness_len()];
let (enc, _ctx) = suite.setup_sender_derand(sk.public_key(), &SenderParams::base(b\"\"), &randomness, qres::hazmat::token())?;
assert!(!enc.is_empty());"
);

fenced!(
    /// `AuthKem::auth_encapsulate_derand`: DHKEM's `AuthEncap` with a given ephemeral key.
    AuthEncapsulateDerand,
    "hazmat",
    "use qres::{default_provider, KemId};
let kem = default_provider().kem(KemId::DHKEM_X25519_HKDF_SHA256)?;
let auth = kem.as_auth_kem().expect(\"DHKEM has an auth mode\");
let (recipient, sender) = (auth.derive_key_pair(&[1u8; 32])?, auth.derive_key_pair(&[2u8; 32])?);
let enc = auth.auth_encapsulate_derand(recipient.public_key(), &sender, &[3u8; 32], qres::hazmat::token())?;
let shared = auth.auth_decapsulate(&recipient, &enc.ciphertext, sender.public_key())?;
assert_eq!(shared.as_bytes(), enc.shared_secret.as_bytes());"
);

fenced!(
    /// `DhGroup::agree_raw`: X25519 without the all-zero check.
    AgreeRaw,
    "hazmat",
    "use qres::{default_provider, GroupId};
let x25519 = default_provider().key_agreement(GroupId::X25519)?;
let (a, b) = (x25519.secret_key_from_bytes(&[1u8; 32])?, x25519.secret_key_from_bytes(&[2u8; 32])?);
let raw = x25519.agree_raw(&a, b.public_key(), qres::hazmat::token())?;
assert_eq!(raw.as_bytes(), a.agree(b.public_key())?.as_bytes());"
);

fenced!(
    /// `qres::hazmat::envelope::seal_with_rng_trace` (and `seal_unchecked_with_rng_trace`): every
    /// intermediate secret of a sealing.
    EnvelopeTrace,
    "hazmat",
    "use qres::envelope::{Recipient, SealOptions};
use qres::{default_provider, KemId, OsRng};
let sk = default_provider().kem(KemId::X_WING)?.generate(&mut OsRng)?;
let to = [Recipient::new(sk.public_key().clone(), 1)];
let (_sealed, trace) = qres::hazmat::envelope::seal_with_rng_trace(&to, b\"x\", &SealOptions::default(), &mut OsRng)?;
assert_eq!(trace.stanzas.len(), 1);"
);

fenced!(
    /// `qres::hazmat::aes_cbc`: unauthenticated AES-256-CBC.
    RawAesCbc,
    "hazmat",
    "let mut block = [0u8; 16];
qres::hazmat::aes_cbc::encrypt_blocks(&[0u8; 32], &[0u8; 16], &mut block)?;
assert_ne!(block, [0u8; 16]);"
);

fenced!(
    /// `KemPublicKey::new_unchecked` and `KemSecretKey::from_parts`, through the hazmat path.
    KemKeyFromParts,
    "hazmat",
    "use qres::{default_provider, KemId, KemPublicKey};
let kem = default_provider().kem(KemId::ML_KEM_768)?;
let sk = kem.key_pair_from_seed(&[1u8; 64])?;
let pk = KemPublicKey::new_unchecked(kem, sk.public_key().as_bytes(), qres::hazmat::backend_token())?;
assert_eq!(&pk, sk.public_key());"
);

fenced!(
    /// `VerifyingKey::new_unchecked`, `DhPublicKey::new_unchecked` and `DhSecretKey::secret_bytes`,
    /// through the backend path (feature `backend-api`, which backend crates such as qres-oqs enable).
    BackendConstructors,
    "backend-api",
    "E0425",
    "use qres::{default_provider, GroupId, SignatureId, DhPublicKey, VerifyingKey};
let token = qres::backend::backend_token();
let scheme = default_provider().signature(SignatureId::ML_DSA_65)?;
let sk = scheme.key_pair_from_seed(&[1u8; 32])?;
let vk = VerifyingKey::new_unchecked(scheme, sk.verifying_key().as_bytes(), token)?;
assert_eq!(&vk, sk.verifying_key());
let x25519 = default_provider().key_agreement(GroupId::X25519)?;
let dh = x25519.secret_key_from_bytes(&[7u8; 32])?;
let public = DhPublicKey::new_unchecked(x25519, dh.public_key().as_bytes(), token)?;
assert_eq!(&public, dh.public_key());
assert_eq!(dh.secret_bytes(token).as_bytes(), &[7u8; 32]);"
);

fenced!(
    /// `KemSecretKey::from_parts`, `SigningKey::from_parts`, `DhSecretKey::from_parts` and
    /// `from_parts_with_state`: keys assembled from a backend's parts.
    SecretKeysFromParts,
    "hazmat",
    "use qres::primitives::KeyState;
use qres::{default_provider, DhSecretKey, GroupId, KemId, KemSecretKey, SecretBytes, SignatureId, SigningKey};
struct NoState;
impl KeyState for NoState {}
let token = qres::hazmat::backend_token();
let kem = default_provider().kem(KemId::ML_KEM_768)?;
let pk = kem.key_pair_from_seed(&[1u8; 64])?.public_key().clone();
let sk = KemSecretKey::from_parts(kem, None, pk, Box::new(NoState), token);
assert!(sk.seed().is_none());
let scheme = default_provider().signature(SignatureId::ML_DSA_65)?;
let vk = scheme.key_pair_from_seed(&[1u8; 32])?.verifying_key().clone();
let _signing = SigningKey::from_parts(scheme, None, vk, Box::new(NoState), token);
let x25519 = default_provider().key_agreement(GroupId::X25519)?;
let pair = x25519.secret_key_from_bytes(&[7u8; 32])?;
let dh = DhSecretKey::from_parts(x25519, SecretBytes::from_slice(&[7u8; 32]), pair.public_key().clone(), token);
assert_eq!(dh.public_key(), pair.public_key());
let _with_state = DhSecretKey::from_parts_with_state(
    x25519, SecretBytes::from_slice(&[7u8; 32]), pair.public_key().clone(), Box::new(NoState), token);"
);

fenced!(
    /// `AeadKey::from_parts`: an AEAD key over a backend's keyed cipher.
    AeadKeyFromParts,
    "hazmat",
    "use qres::primitives::AeadCipher;
use qres::{default_provider, AeadId, AeadKey};
struct Identity;
impl AeadCipher for Identity {
    fn seal_in_place(&self, _: &[u8], _: &[u8], _: &mut Vec<u8>) -> qres::Result<()> { Ok(()) }
    fn open_in_place(&self, _: &[u8], _: &[u8], _: &mut Vec<u8>) -> qres::Result<()> { Ok(()) }
}
let aead = default_provider().aead(AeadId::AES_256_GCM)?;
let key = AeadKey::from_parts(aead, Box::new(Identity), qres::hazmat::backend_token());
assert_eq!(key.algorithm(), AeadId::AES_256_GCM);"
);

fenced!(
    /// `qres::hazmat::envelope::seal_unchecked_with_rng_trace`: the writer of must-reject vectors.
    EnvelopeUncheckedTrace,
    "hazmat",
    "use qres::envelope::{Recipient, SealOptions};
use qres::{default_provider, KemId, OsRng};
let sk = default_provider().kem(KemId::X_WING)?.generate(&mut OsRng)?;
let to = [Recipient::new(sk.public_key().clone(), 1)];
let (_sealed, trace) =
    qres::hazmat::envelope::seal_unchecked_with_rng_trace(&to, b\"x\", &SealOptions::default(), &mut OsRng)?;
assert_eq!(trace.stanzas.len(), 1);"
);

/// The tokens cannot be made without the fence: their field is private, their constructors crate-private.
///
/// ```compile_fail,E0624
/// let token = qres::primitives::HazmatToken::new();
/// ```
///
/// ```compile_fail,E0624
/// let token = qres::primitives::BackendToken::new();
/// ```
pub struct TokensAreUnforgeable;

/// Without a token the hazardous method is not callable at all (wrong number of arguments), whatever the
/// features.
///
/// ```compile_fail,E0061
/// use qres::{default_provider, KemId};
/// let kem = default_provider().kem(KemId::ML_KEM_768).unwrap();
/// let sk = kem.key_pair_from_seed(&[1u8; 64]).unwrap();
/// let _ = kem.encapsulate_derand(sk.public_key(), &[2u8; 32]);
/// ```
pub struct NoTokenNoCall;
