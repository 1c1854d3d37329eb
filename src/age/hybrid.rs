//! The post-quantum hybrid recipient of age 1.3: `mlkem768x25519` stanzas, `age1pq1…` recipients and
//! `AGE-SECRET-KEY-PQ-1…` identities (C2SP age, "The MLKEM768-X25519 (i.e. X-Wing) hybrid post-quantum
//! recipient type").
//!
//! The `age` crate (0.12) has no such recipient, so this module implements its `Recipient` and
//! `Identity` traits over qres's own X-Wing and HPKE:
//!
//! * the identity is a 32-byte X-Wing seed, Bech32 with the human-readable part `AGE-SECRET-KEY-PQ-`;
//! * the recipient is the 1,216-byte X-Wing public key, Bech32 with the human-readable part `age1pq`;
//! * a stanza is `-> mlkem768x25519 <base64 enc>` with the file key sealed by HPKE base mode, suite
//!   (X-Wing, HKDF-SHA256, ChaCha20-Poly1305), `info = "age-encryption.org/mlkem768x25519"`, empty aad.
//!
//! ```
//! use qres::age::{HybridIdentity, HybridRecipient};
//! let identity = HybridIdentity::generate(&mut qres::OsRng)?;
//! let recipient: HybridRecipient = identity.to_public().to_string().parse()?;
//! assert!(recipient.to_string().starts_with("age1pq1"));
//! # Ok::<(), qres::age::AgeError>(())
//! ```

use super::AgeError;
use crate::alg::{AeadId, KdfId, KemId};
use crate::hpke::{ReceiverParams, SenderParams, Suite};
use crate::primitives::{KemPublicKey, KemSecretKey};
use crate::provider::{Provider, default_provider};
use crate::rng::{DynCryptoRng, OsRng};
use age_core::format::{FileKey, Stanza};
use age_core::secrecy::ExposeSecret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Checksum, Hrp};
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// The stanza tag (first argument) of the hybrid recipient.
pub const STANZA_TAG: &str = "mlkem768x25519";
/// The HPKE `info` of the hybrid recipient.
pub const HPKE_INFO: &[u8] = b"age-encryption.org/mlkem768x25519";
/// The human-readable part of a hybrid recipient (`age1pq1…`).
pub const RECIPIENT_HRP: &str = "age1pq";
/// The human-readable part of a hybrid identity (`AGE-SECRET-KEY-PQ-1…`), in the uppercase age writes.
pub const IDENTITY_HRP: &str = "AGE-SECRET-KEY-PQ-";
/// Length of `enc` in a stanza: an X-Wing ciphertext.
pub const ENC_LEN: usize = 1120;
/// Length of a stanza body: the 16-byte file key and the 16-byte Poly1305 tag.
pub const BODY_LEN: usize = 32;
const SEED_LEN: usize = 32;
/// The label age gives post-quantum recipients: a file sealed to one may only be sealed to others with it.
const POSTQUANTUM_LABEL: &str = "postquantum";

/// Bech32 (BIP 173, the constant-1 checksum age uses) with its code length raised from 1023 to 8191
/// characters, since an `age1pq1…` recipient is 1,959 characters long. age (Go and typage) apply no length
/// limit either. Every single-character substitution is still detected; see `keys::public` for what a
/// longer code length costs.
enum Bech32Long {}

impl Checksum for Bech32Long {
    type MidstateRepr = <Bech32 as Checksum>::MidstateRepr;
    type CorrectionField = <Bech32 as Checksum>::CorrectionField;
    const ROOT_GENERATOR: Self::CorrectionField = <Bech32 as Checksum>::ROOT_GENERATOR;
    const ROOT_EXPONENTS: core::ops::RangeInclusive<usize> = <Bech32 as Checksum>::ROOT_EXPONENTS;
    const CODE_LENGTH: usize = 8191;
    const CHECKSUM_LENGTH: usize = <Bech32 as Checksum>::CHECKSUM_LENGTH;
    const GENERATOR_SH: [Self::MidstateRepr; 5] = <Bech32 as Checksum>::GENERATOR_SH;
    const TARGET_RESIDUE: Self::MidstateRepr = <Bech32 as Checksum>::TARGET_RESIDUE;
}

/// The HPKE suite of the hybrid recipient, from `provider`.
fn suite(provider: &Provider) -> Result<Suite, AgeError> {
    Suite::from_ids(provider, KemId::X_WING, KdfId::HKDF_SHA256, AeadId::CHACHA20_POLY1305)
        .map_err(|_| AgeError::Unsupported("the provider lacks X-Wing, HKDF-SHA256 or ChaCha20-Poly1305"))
}

/// Decodes Bech32 `text` whose human-readable part must equal `hrp` (case-insensitively, as Bech32 is).
fn bech32_decode(text: &str, hrp: &str) -> Result<Vec<u8>, &'static str> {
    let checked =
        CheckedHrpstring::new::<Bech32Long>(text).map_err(|_| "not valid Bech32 (a typo, or a truncated copy)")?;
    if !checked.hrp().as_str().eq_ignore_ascii_case(hrp) {
        return Err("wrong prefix");
    }
    checked.validate_segwit_padding().map_err(|_| "non-canonical padding in the last character")?;
    Ok(checked.byte_iter().collect())
}

/// An `age1pq1…` recipient: an X-Wing public key to which age files can be encrypted.
#[derive(Clone, PartialEq, Eq)]
pub struct HybridRecipient {
    key: KemPublicKey,
}

impl HybridRecipient {
    /// The recipient for an X-Wing public key (checked when it was parsed: its X25519 part has no small order).
    pub fn from_public_key(key: KemPublicKey) -> Result<Self, AgeError> {
        if key.algorithm() != KemId::X_WING {
            return Err(AgeError::InvalidRecipient("an age1pq recipient is an X-Wing key"));
        }
        Ok(Self { key })
    }

    /// Parses `age1pq1…` and checks the key with `provider`'s X-Wing.
    pub fn parse_with(text: &str, provider: &Provider) -> Result<Self, AgeError> {
        let bytes = bech32_decode(text, RECIPIENT_HRP).map_err(AgeError::InvalidRecipient)?;
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(AgeError::InvalidRecipient("an age1pq recipient is written in lowercase"));
        }
        let kem = provider.kem(KemId::X_WING).map_err(|_| AgeError::Unsupported("the provider lacks X-Wing"))?;
        let key = kem.parse_public_key(&bytes).map_err(|_| {
            AgeError::InvalidRecipient("not a valid X-Wing public key (wrong length or a small-order X25519 part)")
        })?;
        Ok(Self { key })
    }

    /// The X-Wing public key.
    pub fn public_key(&self) -> &KemPublicKey {
        &self.key
    }

    /// Wraps `file_key` into one stanza, drawing the encapsulation randomness from `rng`.
    pub fn wrap_with_rng(&self, file_key: &[u8; 16], rng: &mut dyn DynCryptoRng) -> Result<Stanza, AgeError> {
        let suite = suite(&default_provider())?;
        let (enc, body) = suite
            .seal(&self.key, &SenderParams::base(HPKE_INFO), b"", file_key, rng)
            .map_err(|_| AgeError::Encrypt("HPKE sealing of the file key failed"))?;
        Ok(Stanza { tag: STANZA_TAG.to_owned(), args: vec![STANDARD_NO_PAD.encode(enc)], body })
    }
}

impl FromStr for HybridRecipient {
    type Err = AgeError;
    fn from_str(s: &str) -> Result<Self, AgeError> {
        Self::parse_with(s, &default_provider())
    }
}

impl fmt::Display for HybridRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = Hrp::parse_unchecked(RECIPIENT_HRP);
        let text = bech32::encode_lower::<Bech32Long>(hrp, self.key.as_bytes()).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl fmt::Debug for HybridRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HybridRecipient({})", self.key.key_id())
    }
}

impl age::Recipient for HybridRecipient {
    fn wrap_file_key(&self, file_key: &FileKey) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        // age's trait gives no RNG: the encapsulation randomness comes from the operating system, as for
        // age's own recipients (the file key itself is drawn by the `age` crate the same way).
        let stanza = self
            .wrap_with_rng(file_key.expose_secret(), &mut OsRng)
            .map_err(|e| age::EncryptError::Io(std::io::Error::other(e)))?;
        Ok((vec![stanza], [POSTQUANTUM_LABEL.to_owned()].into_iter().collect()))
    }
}

/// An `AGE-SECRET-KEY-PQ-1…` identity: an X-Wing secret key (its 32-byte seed), which decrypts files
/// sealed to its [`HybridRecipient`]. Zeroized on drop; `Debug` shows only the key id.
pub struct HybridIdentity {
    key: KemSecretKey,
}

impl HybridIdentity {
    /// A new identity from `rng`.
    pub fn generate(rng: &mut dyn DynCryptoRng) -> Result<Self, AgeError> {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        rng.fill_random(seed.as_mut_slice()).map_err(|_| AgeError::Encrypt("the random generator failed"))?;
        Self::from_seed(&seed)
    }

    /// The identity whose X-Wing seed is `seed`.
    pub fn from_seed(seed: &[u8; SEED_LEN]) -> Result<Self, AgeError> {
        Self::from_seed_with(seed, &default_provider())
    }

    fn from_seed_with(seed: &[u8], provider: &Provider) -> Result<Self, AgeError> {
        let kem = provider.kem(KemId::X_WING).map_err(|_| AgeError::Unsupported("the provider lacks X-Wing"))?;
        let key = kem.key_pair_from_seed(seed).map_err(|_| AgeError::InvalidIdentity("not a valid X-Wing seed"))?;
        Ok(Self { key })
    }

    /// Parses `AGE-SECRET-KEY-PQ-1…` (uppercase, as age writes it, or all lowercase) with `provider`'s X-Wing.
    pub fn parse_with(text: &str, provider: &Provider) -> Result<Self, AgeError> {
        let seed = Zeroizing::new(bech32_decode(text, IDENTITY_HRP).map_err(AgeError::InvalidIdentity)?);
        if seed.len() != SEED_LEN {
            return Err(AgeError::InvalidIdentity("an AGE-SECRET-KEY-PQ identity holds a 32-byte seed"));
        }
        Self::from_seed_with(&seed, provider)
    }

    /// The recipient files for this identity are encrypted to.
    pub fn to_public(&self) -> HybridRecipient {
        HybridRecipient { key: self.key.public_key().clone() }
    }

    /// The identity as text (`AGE-SECRET-KEY-PQ-1…`, uppercase): a secret, zeroized on drop.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        let seed = self.key.seed().expect("an X-Wing key made from a seed keeps it");
        let hrp = Hrp::parse_unchecked(IDENTITY_HRP);
        Zeroizing::new(bech32::encode_upper::<Bech32>(hrp, seed.as_bytes()).expect("a 32-byte seed fits Bech32"))
    }

    /// The X-Wing secret key.
    pub fn secret_key(&self) -> &KemSecretKey {
        &self.key
    }

    /// Unwraps one stanza: `None` if it is not a hybrid stanza or does not open with this key (a wrong
    /// tag is then told apart from nothing), an error if it is malformed (C2SP age: wrong argument count,
    /// non-canonical base64, `enc` not 1,120 bytes, body not 32 bytes, an X25519 share of small order).
    pub fn unwrap(&self, stanza: &Stanza) -> Option<Result<Zeroizing<[u8; 16]>, AgeError>> {
        if stanza.tag != STANZA_TAG {
            return None;
        }
        let [enc_b64] = &stanza.args[..] else {
            return Some(Err(AgeError::Header("a mlkem768x25519 stanza has exactly one argument after its tag")));
        };
        let enc = match STANDARD_NO_PAD.decode(enc_b64) {
            Ok(enc) if enc.len() == ENC_LEN && STANDARD_NO_PAD.encode(&enc) == *enc_b64 => enc,
            _ => {
                return Some(Err(AgeError::Header(
                    "a mlkem768x25519 stanza's enc must be the canonical base64 of 1,120 bytes",
                )));
            }
        };
        // Checked before any decryption, against partitioning oracles (C2SP age).
        if stanza.body.len() != BODY_LEN {
            return Some(Err(AgeError::Header("a mlkem768x25519 stanza's body must be 32 bytes")));
        }
        let suite = match suite(&default_provider()) {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        // X-Wing refuses an all-zero X25519 share (a small-order point in enc): a malformed header.
        let mut context = match suite.setup_receiver(&enc, &self.key, &ReceiverParams::base(HPKE_INFO)) {
            Ok(c) => c,
            Err(_) => {
                return Some(Err(AgeError::Header("the X25519 share in a mlkem768x25519 stanza has small order")));
            }
        };
        // A tag that does not verify is not ours: another identity may open the stanza.
        let file_key = context.open(b"", &stanza.body).ok()?;
        let file_key = Zeroizing::new(file_key);
        let mut out = Zeroizing::new([0u8; 16]);
        out.copy_from_slice(&file_key[..16]);
        Some(Ok(out))
    }
}

impl FromStr for HybridIdentity {
    type Err = AgeError;
    fn from_str(s: &str) -> Result<Self, AgeError> {
        Self::parse_with(s, &default_provider())
    }
}

impl fmt::Debug for HybridIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HybridIdentity({}, secret redacted)", self.key.key_id())
    }
}

impl age::Identity for HybridIdentity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        self.unwrap(stanza).map(|r| match r {
            Ok(key) => Ok(FileKey::init_with_mut(|k| k.copy_from_slice(&key[..]))),
            Err(_) => Err(age::DecryptError::InvalidHeader),
        })
    }
}
