//! The one error type of the crate.
//!
//! Every fallible operation returns [`Error`]. Variants say *what* was wrong with an input (its length, an
//! unknown algorithm id, a failed FIPS 203 key check) but never carry secret material. Everything that is a
//! failed authentication — an AEAD tag that does not verify, a MAC mismatch, a signature that does not
//! verify, a ciphertext too short to hold a tag — is the single opaque [`Error::AuthenticationFailed`], so
//! that callers cannot build an oracle from the error value.

mod packet;
pub use packet::PacketError;

use core::fmt;

/// The family an algorithm id belongs to; ids are only unique within one family.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlgorithmKind {
    /// Key encapsulation mechanisms ([`crate::KemId`]).
    Kem,
    /// Signature schemes ([`crate::SignatureId`]).
    Signature,
    /// Authenticated encryption ([`crate::AeadId`]).
    Aead,
    /// Key derivation functions ([`crate::KdfId`]).
    Kdf,
    /// Hash functions ([`crate::HashId`]).
    Hash,
    /// Message authentication codes ([`crate::MacId`]).
    Mac,
    /// Diffie-Hellman key agreement ([`crate::GroupId`]).
    KeyAgreement,
}

impl fmt::Display for AlgorithmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Kem => "KEM",
            Self::Signature => "signature",
            Self::Aead => "AEAD",
            Self::Kdf => "KDF",
            Self::Hash => "hash",
            Self::Mac => "MAC",
            Self::KeyAgreement => "key agreement",
        })
    }
}

/// Errors returned by qres.
///
/// The enum is `#[non_exhaustive]`: match the variants you handle and keep a fallback arm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No implementation of this algorithm id is registered in the provider.
    #[error("unknown {kind} algorithm id 0x{id:04x}")]
    UnknownAlgorithm {
        /// The algorithm family that was searched.
        kind: AlgorithmKind,
        /// The id that was not found.
        id: u16,
    },

    /// An input had the wrong length.
    #[error("{what}: expected {expected} bytes, got {actual}")]
    InvalidLength {
        /// What the input was (e.g. "ML-KEM-768 encapsulation key").
        what: &'static str,
        /// The length that was required.
        expected: usize,
        /// The length that was given.
        actual: usize,
    },

    /// An input's length was outside the allowed range.
    #[error("{what}: length {actual} is outside {min}..={max}")]
    LengthOutOfRange {
        /// What the input was.
        what: &'static str,
        /// Smallest allowed length.
        min: usize,
        /// Largest allowed length.
        max: usize,
        /// The length that was given.
        actual: usize,
    },

    /// A key failed a validity check (for example the FIPS 203 encapsulation-key modulus check or the
    /// decapsulation-key hash check).
    #[error("invalid {what}: {reason}")]
    InvalidKey {
        /// Which key.
        what: &'static str,
        /// Which check failed.
        reason: &'static str,
    },

    /// An input was malformed in a way other than its length, and no more specific variant applies.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),

    /// A key or object of one algorithm (or kind) was given where another is needed: use a key of the
    /// expected algorithm.
    #[error("{what}: expected {expected}, got {actual}")]
    WrongAlgorithm {
        /// What was given.
        what: &'static str,
        /// The algorithm (or kind) needed.
        expected: String,
        /// The algorithm (or kind) given.
        actual: String,
    },

    /// The CTR_DRBG reached its reseed interval (SP 800-90A `reseed_counter`): reseed it, then retry.
    #[error("CTR_DRBG reseed required: the reseed counter is exhausted")]
    ReseedRequired,

    /// An HPKE context has used its last sequence number (RFC 9180 §5.2): set up a new context.
    #[error("HPKE message limit reached for this context")]
    MessageLimitReached,

    /// A password, or the parameters of a password KDF, is refused by the password policy (an empty
    /// password, parameters below the policy's floor): choose another.
    #[error("password policy: {0}")]
    PasswordPolicy(&'static str),

    /// A streaming object was used out of order (written after it was finished, signed twice, signed
    /// before the payload was finished).
    #[error("invalid state: {0}")]
    InvalidState(&'static str),

    /// Authentication failed: an AEAD ciphertext, MAC or signature did not verify. Deliberately carries no
    /// detail.
    #[error("authentication failed")]
    AuthenticationFailed,

    /// The operation is not offered by this implementation (for example a derandomized API that a
    /// backend does not expose, or sealing with a legacy scheme that is open-only by default).
    #[error("not supported: {0}")]
    Unsupported(&'static str),

    /// The random number generator failed to produce output.
    #[error("the random number generator failed")]
    RandomnessUnavailable,

    /// A key was handed to an implementation other than the one that created it.
    #[error("the key belongs to a different implementation of {0}")]
    KeyMismatch(&'static str),

    /// A key derivation was asked for more output than it can produce.
    #[error("requested output length {requested} exceeds the maximum {max}")]
    OutputTooLong {
        /// Requested length in bytes.
        requested: usize,
        /// Maximum length in bytes.
        max: usize,
    },

    /// An entropy source failed: it returned an error, or its health tests tripped and it stopped
    /// delivering.
    #[error("entropy source {source_name} failed: {reason}")]
    EntropySource {
        /// The source's name.
        source_name: String,
        /// What went wrong (never contains sample data).
        reason: String,
    },

    /// The seeding policy could not gather enough assessed entropy from healthy sources.
    #[error("not enough entropy: needed {needed_bits} bits, healthy sources provided {available_bits}")]
    InsufficientEntropy {
        /// Bits of assessed min-entropy the policy requires.
        needed_bits: usize,
        /// Bits the healthy sources could provide.
        available_bits: usize,
    },

    /// Raw data for an entropy extractor carried too little assessed entropy.
    #[error("{what}: {have} samples carry too little entropy; about {more_needed} more samples are needed")]
    InsufficientData {
        /// What was being extracted.
        what: &'static str,
        /// Samples given.
        have: usize,
        /// Estimated additional samples needed.
        more_needed: usize,
    },

    /// Input that may be used only once was presented again (for example raw chaotic data already
    /// recorded in the extractor's ledger).
    #[error("this input was already used once: {0}")]
    AlreadyUsed(&'static str),

    /// An I/O error (file-backed ledgers and sources), with the operation and the OS error text.
    #[error("I/O error during {operation}: {message}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The OS error text.
        message: String,
    },

    /// The input is not a qres envelope (its magic bytes differ).
    #[error("not a qres envelope")]
    NotAnEnvelope,

    /// The input is an ASCII-armored envelope (`-----BEGIN QRES ENVELOPE-----`): decode it first with
    /// [`envelope::armor`](crate::envelope::armor) (or read it through
    /// [`armor::Reader`](crate::envelope::armor::Reader)).
    #[error("this is an ASCII-armored qres envelope: decode the armor first (qres::envelope::armor)")]
    ArmoredEnvelope,

    /// A single-shot (unstreamed) envelope's payload is larger than the reader's limit
    /// ([`OpenOptions::max_single_shot_len`](crate::envelope::OpenOptions::max_single_shot_len)). Large
    /// data should be sealed streamed; a reader that trusts the sender may raise the limit.
    #[error(
        "the single-shot envelope payload exceeds the limit of {limit} bytes (raise OpenOptions::max_single_shot_len, or seal large data streamed)"
    )]
    PayloadTooLarge {
        /// The limit in force, in bytes.
        limit: usize,
    },

    /// The same recipient key was given twice for one envelope.
    #[error("recipient {key_id} is listed more than once")]
    DuplicateRecipient {
        /// The repeated key's id.
        key_id: crate::KeyId,
    },

    /// A sender signature was required ([`OpenOptions::verify_sender`](crate::envelope::OpenOptions)),
    /// but the authenticated envelope is not signed.
    #[error("the envelope carries no sender signature, but one was required")]
    SenderSignatureMissing,

    /// The authenticated envelope names a different signer than the verifying key given.
    #[error("the envelope was signed by {found}, not by the expected key {expected}")]
    SenderKeyMismatch {
        /// The key id of the verifying key given.
        expected: crate::KeyId,
        /// The signer key id in the envelope header.
        found: crate::KeyId,
    },

    /// The envelope has a format version this implementation does not read.
    #[error("unsupported envelope format version {0}")]
    UnsupportedVersion(u8),

    /// None of the given keys can open the envelope.
    #[error("no matching key: the envelope is for {}; the keys given were {}", list_keys(.wanted), list_keys(.available))]
    NoMatchingKey {
        /// The (key id, key version) pairs the envelope lists.
        wanted: Vec<(crate::KeyId, u32)>,
        /// The (key id, key version) pairs that were tried.
        available: Vec<(crate::KeyId, u32)>,
    },

    /// The factors given to re-derive a key do not have the names it was derived with (names are not
    /// secret; values never appear).
    #[error("factor mismatch: missing {missing:?}, not expected {unexpected:?}")]
    FactorMismatch {
        /// Factor names the key was derived with that were not given.
        missing: Vec<String>,
        /// Factor names given that the key was not derived with.
        unexpected: Vec<String>,
    },

    /// Something with this name exists already (use a conditional update instead).
    #[error("{what} already exists: {name}")]
    AlreadyExists {
        /// What was being created.
        what: &'static str,
        /// Its name.
        name: String,
    },

    /// The key that could open the data is disabled in its keyset (it can be enabled again).
    #[error("key {key_id} v{version} is disabled in the keyset; enable it to open this data")]
    KeyDisabled {
        /// The key's id.
        key_id: crate::KeyId,
        /// The key's version.
        version: u32,
    },

    /// The key that could open the data was destroyed: the data can no longer be opened.
    #[error("key {key_id} v{version} was destroyed; data sealed to it can no longer be opened")]
    KeyDestroyed {
        /// The key's id.
        key_id: crate::KeyId,
        /// The key's version.
        version: u32,
    },

    /// A keyset operation that the keyset's state does not allow (for example disabling the primary key).
    #[error("keyset: {0}")]
    KeysetState(&'static str),

    /// Nothing is stored under this name (or revision).
    #[error("{what} not found: {name}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// The name (or name and revision) looked for.
        name: String,
    },

    /// A key store could not be reached or answered unexpectedly. `hint` says what to check.
    #[error("{store} unavailable: {detail} (check {hint})")]
    KeyStoreUnavailable {
        /// Which store (e.g. "Vault/OpenBao at http://127.0.0.1:8200").
        store: String,
        /// What went wrong (never secret).
        detail: String,
        /// What to check.
        hint: &'static str,
    },

    /// A key store refused the credentials. `hint` says what to check.
    #[error("{store} refused access: {detail} (check {hint})")]
    KeyStoreAccessDenied {
        /// Which store.
        store: String,
        /// What the store said (never secret).
        detail: String,
        /// What to check.
        hint: &'static str,
    },

    /// A key store cannot serve now but may a moment later: it is sealed, restarting, electing a leader,
    /// rate limiting, or the connection failed or timed out. Nothing was changed by the failed call; the
    /// same client works again once the store is back (retry with a backoff). See
    /// [`Error::is_retryable`].
    #[error("{store} temporarily unavailable: {detail} (retry later; check {hint})")]
    KeyStoreTemporarilyUnavailable {
        /// Which store.
        store: String,
        /// What went wrong (never secret).
        detail: String,
        /// What to check if it lasts.
        hint: &'static str,
        /// The I/O error kind, when a connection failed.
        kind: Option<std::io::ErrorKind>,
    },

    /// A keyset revision is older than the rollback counter kept outside the store says it must be: newer
    /// revisions were deleted or an old copy of the store was restored. Nothing is returned.
    #[error("rollback of {name}: the newest revision found is {found}, but the rollback counter records {expected}")]
    Rollback {
        /// The keyset's name.
        name: String,
        /// The newest revision in the store (0: none).
        found: u64,
        /// The revision the counter records as the newest written.
        expected: u64,
    },

    /// Another writer changed the stored object first; read it again and retry.
    #[error("concurrent modification of {0}: another writer saved a newer revision first")]
    ConcurrentModification(String),

    /// Stored bytes were protected by a different kind of wrapper than the one given.
    #[error("wrapped by {found}, but the wrapper given is {expected}")]
    WrongWrapper {
        /// The wrapper given.
        expected: &'static str,
        /// The wrapper that protected the bytes.
        found: &'static str,
    },

    /// A backend reported an internal failure that is not attributable to the inputs.
    #[error("backend failure: {0}")]
    Backend(&'static str),

    /// A QRNG-DD entropy packet was refused (see [`PacketError`] for the reasons).
    #[error("QRNG-DD packet refused: {0}")]
    QrngDdPacket(PacketError),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// Whether the same call may succeed later without any change of configuration or input: true for
    /// [`Error::KeyStoreTemporarilyUnavailable`] (a sealed, restarting or overloaded store) and
    /// [`Error::ConcurrentModification`] (read again, then retry).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::KeyStoreTemporarilyUnavailable { .. } | Self::ConcurrentModification(_))
    }

    /// An [`Error::WrongAlgorithm`] naming the algorithms.
    pub(crate) fn wrong_algorithm(
        what: &'static str,
        expected: impl core::fmt::Display,
        actual: impl core::fmt::Display,
    ) -> Self {
        Self::WrongAlgorithm { what, expected: expected.to_string(), actual: actual.to_string() }
    }

    /// An [`Error::Io`] for `operation`.
    pub(crate) fn io(operation: &'static str, e: &std::io::Error) -> Self {
        Self::Io { operation, message: e.to_string() }
    }
}

fn list_keys(keys: &[(crate::KeyId, u32)]) -> String {
    if keys.is_empty() {
        return "none".into();
    }
    keys.iter().map(|(id, v)| format!("{id} v{v}")).collect::<Vec<_>>().join(", ")
}

/// Checks that `actual == expected`, naming the input in the error.
pub(crate) fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual { Ok(()) } else { Err(Error::InvalidLength { what, expected, actual }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_input_and_carry_no_data() {
        let e = Error::InvalidLength { what: "X-Wing ciphertext", expected: 1120, actual: 3 };
        assert_eq!(e.to_string(), "X-Wing ciphertext: expected 1120 bytes, got 3");
        assert_eq!(Error::AuthenticationFailed.to_string(), "authentication failed");
        let e = Error::UnknownAlgorithm { kind: AlgorithmKind::Kem, id: 0x1234 };
        assert_eq!(e.to_string(), "unknown KEM algorithm id 0x1234");
    }

    #[test]
    fn check_len_reports_both_lengths() {
        assert!(check_len("k", 32, 32).is_ok());
        assert_eq!(check_len("k", 32, 31), Err(Error::InvalidLength { what: "k", expected: 32, actual: 31 }));
    }
}
