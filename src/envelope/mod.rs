//! Hybrid post-quantum envelopes (format specified in FORMAT.md).
//!
//! A random file key is wrapped with HPKE to every recipient (X-Wing by default, or ML-KEM); the file key
//! MACs the header and, with the header's digest, derives the payload key; the payload is one AEAD
//! ciphertext ([`seal`] / [`open`]) or a STREAM of fixed-size chunks ([`EnvelopeWriter`] /
//! [`EnvelopeReader`], constant memory for any size). Quantum-noise entropy (QNE) travels in the header and
//! is authenticated with it; [`open`] returns it for audit. Key ids and versions in the header select the
//! right key from a keyset, so data sealed before a rotation stays readable.
//!
//! ```
//! use qres::envelope::{self, OpenOptions, Recipient, SealOptions};
//! use qres::{default_provider, KemId, OsRng};
//! let alice = default_provider().kem(KemId::X_WING)?.generate(&mut OsRng)?;
//! let bob = default_provider().kem(KemId::X_WING)?.generate(&mut OsRng)?;
//! let recipients = [Recipient::from(alice.public_key().clone()), Recipient::new(bob.public_key().clone(), 7)];
//! let sealed = envelope::seal(&recipients, b"attack at dawn", &SealOptions::default(), &mut OsRng)?;
//! let opened = envelope::open(&sealed, &bob, &OpenOptions::default())?;
//! assert_eq!(opened.plaintext, b"attack at dawn");
//! assert_eq!(opened.qne.len(), 32);
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! Security properties and limits are in FORMAT.md and SECURITY.md. Every failure to authenticate —
//! a modified byte anywhere, a truncated, reordered or extended payload, the wrong key's stanza — is the one
//! [`Error::AuthenticationFailed`](crate::Error::AuthenticationFailed); only the public routing fields
//! (magic, version, algorithm ids, key ids) give their own errors.

pub mod armor;
pub mod header;
pub mod schedule;
pub(crate) mod seal;
mod stream;
mod to_path;
// The trace and the sealing functions that return it are public through `qres::hazmat::envelope` only.
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))] // Filled only when a trace is requested (hazmat).
pub(crate) mod trace;

pub use seal::{open, open_with_provider, seal};
pub use stream::{EnvelopeReader, EnvelopeWriter, error_of};
pub use to_path::open_to_path;

use crate::alg::{AeadId, KdfId};
use crate::error::Result;
use crate::key_id::KeyId;
use crate::primitives::{KemPublicKey, KemSecretKey, SigningKey, VerifyingKey};
use crate::provider::Provider;
use crate::rng::EntropySource;
use std::sync::{Arc, Mutex};

/// Default QNE length.
pub const DEFAULT_QNE_LEN: usize = 32;
/// Default streamed chunk size (64 KiB).
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;

/// A recipient: a KEM public key and its version in the recipient's keyset.
#[derive(Clone, Debug)]
pub struct Recipient {
    /// The recipient's public key (X-Wing or ML-KEM).
    pub public_key: KemPublicKey,
    /// The key's version (0 for a key outside any keyset).
    pub key_version: u32,
}

impl Recipient {
    /// A recipient with an explicit key version.
    pub fn new(public_key: KemPublicKey, key_version: u32) -> Self {
        Self { public_key, key_version }
    }
}

impl From<KemPublicKey> for Recipient {
    fn from(public_key: KemPublicKey) -> Self {
        Self { public_key, key_version: 0 }
    }
}

/// Where the secret keys that open envelopes come from: a single key, a list of versioned keys, or a
/// keyset.
pub trait KeyLookup {
    /// The secret key with this id and version, if held.
    fn lookup(&self, key_id: &KeyId, key_version: u32) -> Option<&KemSecretKey>;
    /// Every (key id, version) held, for the "no matching key" error.
    fn available(&self) -> Vec<(KeyId, u32)>;

    /// Why a key that is known but not usable cannot open data (e.g. [`Error::KeyDisabled`],
    /// [`Error::KeyDestroyed`]), so that opening reports it instead of "no matching key".
    ///
    /// [`Error::KeyDisabled`]: crate::Error::KeyDisabled
    /// [`Error::KeyDestroyed`]: crate::Error::KeyDestroyed
    fn unavailable(&self, key_id: &KeyId, key_version: u32) -> Option<crate::Error> {
        let _ = (key_id, key_version);
        None
    }
}

impl KeyLookup for KemSecretKey {
    /// A lone key matches its id at any version.
    fn lookup(&self, key_id: &KeyId, _key_version: u32) -> Option<&KemSecretKey> {
        (self.key_id() == *key_id).then_some(self)
    }

    fn available(&self) -> Vec<(KeyId, u32)> {
        vec![(self.key_id(), 0)]
    }
}

impl KeyLookup for [(u32, KemSecretKey)] {
    /// Versioned keys match id and version exactly; a version-0 stanza (a sender who knew only the
    /// public key) matches by key id alone (FORMAT.md, "Stanzas and recipients").
    fn lookup(&self, key_id: &KeyId, key_version: u32) -> Option<&KemSecretKey> {
        self.iter().find(|(v, k)| (*v == key_version || key_version == 0) && k.key_id() == *key_id).map(|(_, k)| k)
    }

    fn available(&self) -> Vec<(KeyId, u32)> {
        self.iter().map(|(v, k)| (k.key_id(), *v)).collect()
    }
}

impl KeyLookup for Vec<(u32, KemSecretKey)> {
    fn lookup(&self, key_id: &KeyId, key_version: u32) -> Option<&KemSecretKey> {
        self.as_slice().lookup(key_id, key_version)
    }

    fn available(&self) -> Vec<(KeyId, u32)> {
        self.as_slice().available()
    }
}

/// Where the QNE block comes from.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum QneSource {
    /// The operating system's RNG (until a quantum source is configured).
    #[default]
    Os,
    /// An entropy source (a QRNG-DD gateway client, a Quantis device, ...), shared across threads.
    Source(Arc<Mutex<dyn EntropySource>>),
    /// Caller-supplied bytes (for example QNE fetched earlier and audited).
    Given(Vec<u8>),
}

impl core::fmt::Debug for QneSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Os => f.write_str("Os"),
            Self::Source(_) => f.write_str("Source(..)"),
            Self::Given(b) => write!(f, "Given({} bytes)", b.len()),
        }
    }
}

/// How to seal.
#[derive(Clone, Debug)]
pub struct SealOptions<'a> {
    /// The provider that resolves algorithms.
    pub provider: Provider,
    /// The KDF (HPKE and payload key derivation).
    pub kdf: KdfId,
    /// The AEAD that wraps the file key in each stanza.
    pub hpke_aead: AeadId,
    /// The payload AEAD: AES-256-GCM (default), ChaCha20-Poly1305, or the legacy
    /// AES-256-CBC-HMAC-SHA256 (only with [`allow_legacy`](Self::allow_legacy)).
    pub payload_aead: AeadId,
    /// Explicit opt-in to seal with the legacy scheme.
    pub allow_legacy: bool,
    /// [`seal`] only: write a STREAM of chunks instead of one ciphertext.
    pub streamed: bool,
    /// Plaintext bytes per chunk when streamed (1 KiB ..= 16 MiB; default 64 KiB).
    pub chunk_size: u32,
    /// Where the QNE comes from.
    pub qne: QneSource,
    /// QNE length (0 ..= 1024; default 32; ignored for [`QneSource::Given`]).
    pub qne_len: usize,
    /// Sign the envelope with this ML-DSA-44/65/87 key: the trailer is a signature over
    /// `header_digest || SHA-256(payload)`, the whole payload with its tags (FORMAT.md, "Trailer").
    pub signer: Option<&'a SigningKey>,
}

impl Default for SealOptions<'_> {
    fn default() -> Self {
        Self {
            provider: crate::default_provider(),
            kdf: KdfId::HKDF_SHA256,
            hpke_aead: AeadId::AES_256_GCM,
            payload_aead: AeadId::AES_256_GCM,
            allow_legacy: false,
            streamed: false,
            chunk_size: DEFAULT_CHUNK_SIZE,
            qne: QneSource::Os,
            qne_len: DEFAULT_QNE_LEN,
            signer: None,
        }
    }
}

/// How to open.
#[derive(Clone, Debug)]
pub struct OpenOptions<'a> {
    /// The provider that resolves algorithms.
    pub provider: Provider,
    /// Require a sender signature by this key, and verify it.
    pub verify_sender: Option<&'a VerifyingKey>,
    /// Largest single-shot (unstreamed) payload that [`EnvelopeReader`] buffers, in bytes (default
    /// [`DEFAULT_MAX_SINGLE_SHOT_LEN`], 8 MiB). A single-shot payload is one AEAD ciphertext that must be
    /// held whole before its tag can be checked, so anyone with the public key could otherwise make a
    /// reader hold any amount of memory. Larger payloads are refused with
    /// [`Error::PayloadTooLarge`](crate::Error::PayloadTooLarge) before they are read; data that large
    /// should be sealed streamed. [`open`] takes the envelope already in memory and does not apply it.
    pub max_single_shot_len: usize,
}

/// Default of [`OpenOptions::max_single_shot_len`]: 8 MiB.
pub const DEFAULT_MAX_SINGLE_SHOT_LEN: usize = 8 << 20;

impl Default for OpenOptions<'_> {
    fn default() -> Self {
        Self {
            provider: crate::default_provider(),
            verify_sender: None,
            max_single_shot_len: DEFAULT_MAX_SINGLE_SHOT_LEN,
        }
    }
}

/// Public facts about an envelope, available after opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeInfo {
    /// The header fields (suite, QNE, signer, stanzas).
    pub header: header::Header,
    /// Whether the sender's signature was verified (only when requested).
    pub sender_verified: bool,
}

/// The result of [`open`]. Its `Debug` shows lengths, never the plaintext; the plaintext is zeroized
/// when the value is dropped.
pub struct Opened {
    /// The plaintext (zeroized when the `Opened` is dropped; take it with
    /// [`into_plaintext`](Self::into_plaintext)).
    pub plaintext: Vec<u8>,
    /// The QNE carried in the header (authenticated), for audit.
    pub qne: Vec<u8>,
    /// The header and verification facts.
    pub info: EnvelopeInfo,
}

impl Opened {
    /// Takes the plaintext, in a buffer that zeroizes itself on drop.
    pub fn into_plaintext(mut self) -> zeroize::Zeroizing<Vec<u8>> {
        zeroize::Zeroizing::new(core::mem::take(&mut self.plaintext))
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.plaintext);
    }
}

impl core::fmt::Debug for Opened {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Opened")
            .field("plaintext", &format_args!("{} bytes", self.plaintext.len()))
            .field("qne", &format_args!("{} bytes", self.qne.len()))
            .field("info", &self.info)
            .finish()
    }
}

pub(crate) fn fill_qne(source: &QneSource, len: usize) -> Result<Vec<u8>> {
    use crate::error::Error;
    match source {
        QneSource::Given(bytes) => Ok(bytes.clone()),
        QneSource::Os => {
            let mut out = vec![0u8; len];
            crate::rng::OsEntropy.fill(&mut out)?;
            Ok(out)
        }
        QneSource::Source(s) => {
            let mut out = vec![0u8; len];
            let mut guard = s.lock().map_err(|_| Error::Backend("QNE source lock poisoned"))?;
            guard.fill(&mut out)?;
            Ok(out)
        }
    }
}
