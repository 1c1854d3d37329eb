//! Keysets in the manner of Tink: several versions of a key, each enabled, disabled or destroyed, one of
//! them primary.
//!
//! New data uses the primary; older versions still open older data, because envelopes name the key id
//! and version they were sealed to. [`rotate`](Keyset::rotate) makes a new primary;
//! [`disable`](Keyset::disable) takes a version out of use reversibly; [`destroy`](Keyset::destroy) zeroizes its
//! seed for good but keeps its id, so data sealed to it fails with [`Error::KeyDestroyed`] instead of a
//! puzzling "no matching key". Every lifecycle change is a `tracing` event (target `qres::keyset`)
//! carrying metadata only: version, key id, algorithm, status.
//!
//! A keyset holds keys of one kind: KEM keys (for opening envelopes) or signing keys.
//!
//! # Outside senders
//!
//! Senders outside the application address a keyset through its public-key text: publish
//! [`public::encode`](crate::keys::public::encode)`(&keyset.primary().public_key())`. A sender builds a
//! [`Recipient`] from the parsed key with `Recipient::from`, which records key version 0, meaning "by
//! key id": the keyset opens such a stanza with the version whose key id matches (key ids are
//! fingerprints of the public key, so at most one version matches), as long as that version is enabled.
//! After a rotation, data sealed to the old text keeps opening until that version is disabled or
//! destroyed (then opening says so); publish the new primary's text for new data.
//! [`recipient`](Keyset::recipient) instead records the primary's version, for senders inside the
//! application.
//!
//! ```
//! use qres::envelope::{self, OpenOptions, SealOptions};
//! use qres::keys::{KeyAlgorithm, Keyset};
//! use qres::{default_provider, KemId, OsRng};
//! let provider = default_provider();
//! let mut keyset = Keyset::generate(&provider, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng)?;
//! let old = envelope::seal(&[keyset.recipient()?], b"before", &SealOptions::default(), &mut OsRng)?;
//! keyset.rotate(&provider, &mut OsRng)?;
//! let new = envelope::seal(&[keyset.recipient()?], b"after", &SealOptions::default(), &mut OsRng)?;
//! assert_eq!(envelope::open(&old, &keyset, &OpenOptions::default())?.plaintext, b"before");
//! assert_eq!(envelope::open(&new, &keyset, &OpenOptions::default())?.plaintext, b"after");
//! keyset.destroy(1)?;
//! assert!(matches!(envelope::open(&old, &keyset, &OpenOptions::default()), Err(qres::Error::KeyDestroyed { .. })));
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! # Serialization (plaintext; store it only wrapped, see [`crate::keys::store`])
//!
//! All integers big-endian: `"qres-ks1" || kind (1) || primary version (4) || count (2)`, then per
//! version in increasing order: `version (4) || status (1: 1 enabled, 2 disabled, 3 destroyed) ||
//! algorithm (2) || key id (16) || created, Unix seconds (8) || seed length (2) || seed` (a destroyed
//! version has an empty seed).

use crate::KeyId;
use crate::envelope::{KeyLookup, Recipient};
use crate::error::{Error, Result};
use crate::keys::{KeyAlgorithm, PublicKey, SecretKey};
use crate::primitives::{KemSecretKey, SigningKey};
use crate::provider::Provider;
use crate::random::DynCryptoRng;
use crate::secret::SecretBytes;
use core::fmt;

/// The magic bytes of a serialized keyset.
pub const MAGIC: &[u8; 8] = b"qres-ks1";
/// Most versions a keyset may hold (destroyed ones included).
pub const MAX_VERSIONS: usize = 4096;
const ENTRY_FIXED_LEN: usize = 4 + 1 + 2 + 16 + 8 + 2;

/// The status of one key version.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyStatus {
    /// Usable.
    Enabled,
    /// Kept but not used; can be enabled again.
    Disabled,
    /// Its secret is gone; only its metadata remains.
    Destroyed,
}

impl KeyStatus {
    fn byte(self) -> u8 {
        match self {
            Self::Enabled => 1,
            Self::Disabled => 2,
            Self::Destroyed => 3,
        }
    }

    fn from_byte(b: u8) -> Result<Self> {
        match b {
            1 => Ok(Self::Enabled),
            2 => Ok(Self::Disabled),
            3 => Ok(Self::Destroyed),
            _ => Err(Error::InvalidInput("keyset: unknown key status")),
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Destroyed => "destroyed",
        })
    }
}

/// Metadata of one key version (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// The version number (1 for the first key, increasing by rotation).
    pub version: u32,
    /// Its status.
    pub status: KeyStatus,
    /// Whether it is the primary.
    pub primary: bool,
    /// Its algorithm.
    pub algorithm: KeyAlgorithm,
    /// Its id.
    pub key_id: KeyId,
    /// When it was created (Unix seconds).
    pub created: u64,
}

struct Entry {
    version: u32,
    status: KeyStatus,
    algorithm: KeyAlgorithm,
    key_id: KeyId,
    created: u64,
    key: Option<SecretKey>,
}

/// Versions of one key, one of them primary. See the [module docs](self).
pub struct Keyset {
    entries: Vec<Entry>,
    primary: u32,
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Keyset {
    /// A keyset with one new key (version 1, primary).
    pub fn generate(provider: &Provider, algorithm: KeyAlgorithm, rng: &mut dyn DynCryptoRng) -> Result<Self> {
        Self::from_key(algorithm.generate(provider, rng)?)
    }

    /// A keyset whose version 1 (primary) is `key`, which must have a seed.
    pub fn from_key(key: SecretKey) -> Result<Self> {
        key.seed()?;
        let mut ks = Self { entries: Vec::new(), primary: 1 };
        ks.push(1, key);
        ks.event("created", 1);
        Ok(ks)
    }

    fn push(&mut self, version: u32, key: SecretKey) {
        self.entries.push(Entry {
            version,
            status: KeyStatus::Enabled,
            algorithm: key.algorithm(),
            key_id: key.key_id(),
            created: now(),
            key: Some(key),
        });
    }

    fn event(&self, action: &'static str, version: u32) {
        if let Some(e) = self.entries.iter().find(|e| e.version == version) {
            tracing::info!(
                target: "qres::keyset",
                action,
                version,
                key_id = %e.key_id,
                algorithm = %e.algorithm,
                status = %e.status,
                primary = self.primary,
                "keyset {action}"
            );
        }
    }

    fn entry(&self, version: u32) -> Result<&Entry> {
        self.entries.iter().find(|e| e.version == version).ok_or(Error::KeysetState("no such key version"))
    }

    fn entry_mut(&mut self, version: u32) -> Result<&mut Entry> {
        self.entries.iter_mut().find(|e| e.version == version).ok_or(Error::KeysetState("no such key version"))
    }

    /// Adds a new key of the primary's algorithm and makes it primary; returns its version.
    pub fn rotate(&mut self, provider: &Provider, rng: &mut dyn DynCryptoRng) -> Result<u32> {
        let algorithm = self.entry(self.primary)?.algorithm;
        self.rotate_to(provider, algorithm, rng)
    }

    /// Adds a new key of `algorithm` (of the same kind as the keyset's) and makes it primary: the way to
    /// migrate to another algorithm.
    pub fn rotate_to(
        &mut self,
        provider: &Provider,
        algorithm: KeyAlgorithm,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<u32> {
        let key = algorithm.generate(provider, rng)?;
        self.add(key, true)
    }

    /// Adds `key` (which must have a seed, be of the keyset's kind and not be in the keyset already) as a
    /// new version, primary if asked.
    pub fn add(&mut self, key: SecretKey, make_primary: bool) -> Result<u32> {
        key.seed()?;
        if key.algorithm().kind_byte() != self.entries[0].algorithm.kind_byte() {
            return Err(Error::KeysetState("a keyset holds keys of one kind (KEM or signature)"));
        }
        if self.entries.iter().any(|e| e.key_id == key.key_id()) {
            return Err(Error::KeysetState("the keyset holds this key already (as another version)"));
        }
        if self.entries.len() >= MAX_VERSIONS {
            return Err(Error::KeysetState("the keyset holds the maximum number of versions"));
        }
        let version = self
            .entries
            .iter()
            .map(|e| e.version)
            .max()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or(Error::KeysetState("version numbers exhausted"))?;
        self.push(version, key);
        self.event("added", version);
        if make_primary {
            self.primary = version;
            self.event("rotated", version);
        }
        Ok(version)
    }

    /// Makes `version` (which must be enabled) the primary.
    pub fn set_primary(&mut self, version: u32) -> Result<()> {
        if self.entry(version)?.status != KeyStatus::Enabled {
            return Err(Error::KeysetState("only an enabled key can be primary"));
        }
        self.primary = version;
        self.event("primary_set", version);
        Ok(())
    }

    /// Disables `version` (not the primary): it no longer opens data until enabled again.
    pub fn disable(&mut self, version: u32) -> Result<()> {
        if version == self.primary {
            return Err(Error::KeysetState("the primary key cannot be disabled; rotate or set another primary first"));
        }
        let e = self.entry_mut(version)?;
        match e.status {
            KeyStatus::Destroyed => return Err(Error::KeysetState("a destroyed key cannot be disabled")),
            KeyStatus::Disabled => return Ok(()),
            KeyStatus::Enabled => e.status = KeyStatus::Disabled,
        }
        self.event("disabled", version);
        Ok(())
    }

    /// Enables a disabled `version` again.
    pub fn enable(&mut self, version: u32) -> Result<()> {
        let e = self.entry_mut(version)?;
        match e.status {
            KeyStatus::Destroyed => return Err(Error::KeysetState("a destroyed key cannot be enabled")),
            KeyStatus::Enabled => return Ok(()),
            KeyStatus::Disabled => e.status = KeyStatus::Enabled,
        }
        self.event("enabled", version);
        Ok(())
    }

    /// Destroys `version` (not the primary): its seed is zeroized and dropped; its id and metadata stay
    /// so that data sealed to it fails with [`Error::KeyDestroyed`]. Irreversible once the keyset is
    /// stored (older stored revisions still hold it: see the key store's `delete` and pruning).
    pub fn destroy(&mut self, version: u32) -> Result<()> {
        if version == self.primary {
            return Err(Error::KeysetState("the primary key cannot be destroyed; rotate first"));
        }
        let e = self.entry_mut(version)?;
        if e.status == KeyStatus::Destroyed {
            return Ok(());
        }
        e.status = KeyStatus::Destroyed;
        // Dropping the key zeroizes its seed and expanded state (SecretBytes and backend states zeroize on
        // drop).
        e.key = None;
        self.event("destroyed", version);
        Ok(())
    }

    /// The primary version.
    pub fn primary_version(&self) -> u32 {
        self.primary
    }

    /// The primary key.
    pub fn primary(&self) -> &SecretKey {
        // The invariant "the primary is enabled and holds its key" is kept by every mutator and checked by
        // `decode`.
        self.entries
            .iter()
            .find(|e| e.version == self.primary)
            .and_then(|e| e.key.as_ref())
            .expect("keyset invariant: the primary exists and is not destroyed")
    }

    /// The primary key as a KEM key, or a typed error for a signing keyset.
    pub fn primary_kem(&self) -> Result<&KemSecretKey> {
        self.primary().as_kem()
    }

    /// The primary key as a signing key, or a typed error for a KEM keyset.
    pub fn primary_signing(&self) -> Result<&SigningKey> {
        self.primary().as_signing()
    }

    /// The envelope recipient for new data: the primary's public key and version (KEM keysets).
    pub fn recipient(&self) -> Result<Recipient> {
        Ok(Recipient::new(self.primary_kem()?.public_key().clone(), self.primary))
    }

    /// The key of `version` if it is enabled; a typed error saying why not otherwise.
    pub fn key(&self, version: u32) -> Result<&SecretKey> {
        let e = self.entry(version)?;
        match (e.status, &e.key) {
            (KeyStatus::Enabled, Some(k)) => Ok(k),
            (KeyStatus::Disabled, _) => Err(Error::KeyDisabled { key_id: e.key_id, version }),
            _ => Err(Error::KeyDestroyed { key_id: e.key_id, version }),
        }
    }

    /// The public keys of the enabled versions, with their versions.
    pub fn public_keys(&self) -> Vec<(u32, PublicKey)> {
        self.entries
            .iter()
            .filter(|e| e.status == KeyStatus::Enabled)
            .filter_map(|e| e.key.as_ref().map(|k| (e.version, k.public_key())))
            .collect()
    }

    /// Metadata of every version, oldest first.
    pub fn info(&self) -> Vec<KeyInfo> {
        self.entries
            .iter()
            .map(|e| KeyInfo {
                version: e.version,
                status: e.status,
                primary: e.version == self.primary,
                algorithm: e.algorithm,
                key_id: e.key_id,
                created: e.created,
            })
            .collect()
    }

    /// The plaintext serialization (see the [module docs](self)); wrap it before storing.
    pub fn encode(&self) -> SecretBytes {
        let seeds: usize =
            self.entries.iter().filter_map(|e| e.key.as_ref()).filter_map(|k| k.seed().ok()).map(|s| s.len()).sum();
        let mut out = Vec::with_capacity(MAGIC.len() + 7 + self.entries.len() * ENTRY_FIXED_LEN + seeds);
        out.extend_from_slice(MAGIC);
        out.push(self.entries[0].algorithm.kind_byte());
        out.extend_from_slice(&self.primary.to_be_bytes());
        out.extend_from_slice(&(self.entries.len() as u16).to_be_bytes());
        for e in &self.entries {
            out.extend_from_slice(&e.version.to_be_bytes());
            out.push(e.status.byte());
            out.extend_from_slice(&e.algorithm.id().to_be_bytes());
            out.extend_from_slice(e.key_id.as_bytes());
            out.extend_from_slice(&e.created.to_be_bytes());
            // Every stored key has a seed (checked on insertion).
            let seed = e.key.as_ref().and_then(|k| k.seed().ok()).map(|s| s.as_bytes()).unwrap_or(&[]);
            out.extend_from_slice(&(seed.len() as u16).to_be_bytes());
            out.extend_from_slice(seed);
        }
        SecretBytes::new(out)
    }

    /// Parses a serialization strictly and rebuilds every live key with `provider`, checking its id.
    pub fn decode(bytes: &[u8], provider: &Provider) -> Result<Self> {
        let bad = |m: &'static str| Error::InvalidInput(m);
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8]> {
            let end = at.checked_add(n).filter(|&e| e <= bytes.len()).ok_or(bad("keyset: truncated"))?;
            let s = &bytes[at..end];
            at = end;
            Ok(s)
        };
        if take(MAGIC.len())? != MAGIC {
            return Err(bad("not a qres keyset (magic qres-ks1 missing)"));
        }
        let kind = take(1)?[0];
        let primary = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes"));
        let count = usize::from(u16::from_be_bytes(take(2)?.try_into().expect("2 bytes")));
        if count == 0 || count > MAX_VERSIONS {
            return Err(bad("keyset: version count outside 1..=4096"));
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(count);
        for _ in 0..count {
            let version = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes"));
            let status = KeyStatus::from_byte(take(1)?[0])?;
            let algorithm = KeyAlgorithm::from_parts(kind, u16::from_be_bytes(take(2)?.try_into().expect("2 bytes")))?;
            let key_id = KeyId(take(16)?.try_into().expect("16 bytes"));
            let created = u64::from_be_bytes(take(8)?.try_into().expect("8 bytes"));
            let seed_len = usize::from(u16::from_be_bytes(take(2)?.try_into().expect("2 bytes")));
            let seed = take(seed_len)?;
            if entries.last().is_some_and(|p| p.version >= version) || version == 0 {
                return Err(bad("keyset: versions must be positive and increasing"));
            }
            let key = match (status, seed_len) {
                (KeyStatus::Destroyed, 0) => None,
                (KeyStatus::Destroyed, _) => return Err(bad("keyset: a destroyed version holds a seed")),
                (_, 0) => return Err(bad("keyset: a live version has no seed")),
                _ => {
                    let key = algorithm.from_seed(provider, seed)?;
                    if key.key_id() != key_id {
                        return Err(bad("keyset: a key does not match its recorded id"));
                    }
                    Some(key)
                }
            };
            entries.push(Entry { version, status, algorithm, key_id, created, key });
        }
        if at != bytes.len() {
            return Err(bad("keyset: trailing bytes"));
        }
        if !entries.iter().any(|e| e.version == primary && e.status == KeyStatus::Enabled) {
            return Err(bad("keyset: the primary version must exist and be enabled"));
        }
        Ok(Self { entries, primary })
    }
}

impl fmt::Debug for Keyset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyset").field("primary", &self.primary).field("versions", &self.info()).finish()
    }
}

impl Keyset {
    /// The versions a stanza addressed to (`key_id`, `key_version`) is for: the exact version, or for
    /// version 0 ("by key id", what [`Recipient::from`] a bare public key writes) the version with that
    /// id. Key ids are fingerprints of the public key and [`add`](Self::add) refuses a key the keyset
    /// holds already, so at most one version matches.
    fn entries_for(&self, key_id: KeyId, key_version: u32) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.key_id == key_id && (key_version == 0 || e.version == key_version))
    }
}

impl KeyLookup for Keyset {
    /// Enabled KEM keys match their id and version exactly; a stanza of version 0 (sealed to the public
    /// key alone, e.g. from its [public-key text](crate::keys::public)) matches the version with its id.
    fn lookup(&self, key_id: &KeyId, key_version: u32) -> Option<&KemSecretKey> {
        self.entries_for(*key_id, key_version).filter(|e| e.status == KeyStatus::Enabled).find_map(|e| match &e.key {
            Some(SecretKey::Kem(k)) => Some(k),
            _ => None,
        })
    }

    fn available(&self) -> Vec<(KeyId, u32)> {
        self.entries.iter().filter(|e| e.status == KeyStatus::Enabled).map(|e| (e.key_id, e.version)).collect()
    }

    /// A disabled or destroyed version named by the stanza, by version or (version 0) by key id; the
    /// error names the keyset's version.
    fn unavailable(&self, key_id: &KeyId, key_version: u32) -> Option<Error> {
        if self.lookup(key_id, key_version).is_some() {
            return None;
        }
        let e = self.entries_for(*key_id, key_version).next()?;
        match e.status {
            KeyStatus::Enabled => None,
            KeyStatus::Disabled => Some(Error::KeyDisabled { key_id: *key_id, version: e.version }),
            KeyStatus::Destroyed => Some(Error::KeyDestroyed { key_id: *key_id, version: e.version }),
        }
    }
}
