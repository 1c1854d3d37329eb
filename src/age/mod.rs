//! age v1 files (C2SP age, <https://c2sp.org/age>), including the post-quantum hybrid `mlkem768x25519`
//! recipients of age 1.3 (feature `age`).
//!
//! * [`AgeRecipient`]: `age1…` (X25519) or `age1pq1…` (X-Wing hybrid) public keys;
//! * [`AgeIdentity`]: `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` secret keys, and
//!   [`parse_identity_file`] for the files `age-keygen` and `qres keygen` write;
//! * [`Encryptor`]/[`EncryptWriter`] and [`Decryptor`]/[`DecryptReader`]: streaming, binary or armored,
//!   to recipients or with a passphrase (scrypt).
//!
//! The format itself (header, header MAC, STREAM, armor, X25519 and scrypt stanzas) is the `age` crate's.
//! qres adds the hybrid recipient ([`hybrid`], over its own X-Wing and HPKE) and, in [`Decryptor`], the
//! checks the C2SP test kit asks for where the `age` crate is lenient: every stanza ends with a short body
//! line; whitespace around an armored file is allowed; a malformed armor BEGIN line is an armor error; the
//! header is bounded ([`MAX_HEADER_LEN`]); and the scrypt work factor has a fixed ceiling rather than one
//! measured on the machine.
//!
//! ```
//! use qres::age::{AgeIdentity, Decryptor, Encryptor, HybridIdentity};
//! use std::io::{Read, Write};
//! let identity = AgeIdentity::Hybrid(HybridIdentity::generate(&mut qres::OsRng)?);
//! let recipient = identity.to_public();
//! let mut sealed = Vec::new();
//! let mut w = Encryptor::with_recipients(&[recipient])?.armored(true).wrap_output(&mut sealed)?;
//! w.write_all(b"hello")?;
//! w.finish()?;
//! let mut plaintext = Vec::new();
//! Decryptor::new(&sealed[..])?.decrypt(&[identity])?.read_to_end(&mut plaintext)?;
//! assert_eq!(plaintext, b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod hybrid;
mod read;
mod write;

pub use hybrid::{HybridIdentity, HybridRecipient};
pub use read::{DecryptReader, Decryptor, MAX_HEADER_LEN, MAX_SCRYPT_WORK_FACTOR};
pub use write::{EncryptWriter, Encryptor};

use std::fmt;
use std::str::FromStr;

/// What went wrong with an age file or key. The classes of the C2SP test kit are [`Header`](Self::Header),
/// [`HeaderMac`](Self::HeaderMac), [`Payload`](Self::Payload), [`Armor`](Self::Armor) and
/// [`NoMatch`](Self::NoMatch). No variant carries key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgeError {
    /// A recipient string is not a valid `age1…` or `age1pq1…` key.
    #[error("invalid age recipient: {0}")]
    InvalidRecipient(&'static str),
    /// An identity is not a valid `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` key.
    #[error("invalid age identity: {0}")]
    InvalidIdentity(&'static str),
    /// Line `line` (from 1) of an identity file is not an identity, a comment or empty.
    #[error("identity file line {line}: {reason}")]
    IdentityFileLine {
        /// The line number, from 1.
        line: usize,
        /// Why (never the line's content, which may be a secret).
        reason: &'static str,
    },
    /// The header is malformed (including a stanza that breaks its recipient type's rules).
    #[error("the age header is invalid: {0}")]
    Header(&'static str),
    /// The header MAC does not verify: the header was changed, or the file key is wrong.
    #[error("the age header MAC does not verify")]
    HeaderMac,
    /// No identity opens any stanza (or the passphrase is wrong).
    #[error("no identity matches a recipient of this age file (wrong key or passphrase?)")]
    NoMatch,
    /// The passphrase file asks for more scrypt work than allowed.
    #[error("the passphrase needs scrypt work factor 2^{required}, above the limit 2^{limit}")]
    ExcessiveWork {
        /// The file's log2(N).
        required: u8,
        /// The accepted maximum.
        limit: u8,
    },
    /// A passphrase file was given identities, or a recipients file a passphrase.
    #[error("{0}")]
    WrongMode(&'static str),
    /// The payload does not decrypt: it was truncated or modified. Plaintext already returned is not
    /// authenticated as a whole; see [`DecryptReader`].
    #[error("the age payload is truncated or was modified")]
    Payload,
    /// The ASCII armor is malformed.
    #[error("the age armor is invalid: {0}")]
    Armor(String),
    /// Encryption could not proceed.
    #[error("cannot encrypt: {0}")]
    Encrypt(&'static str),
    /// The provider lacks an algorithm the hybrid recipient needs.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[source] std::io::Error),
}

/// The [`AgeError`] an I/O error from a [`DecryptReader`] or [`EncryptWriter`] carries, if any.
pub fn error_of(e: &std::io::Error) -> Option<&AgeError> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<AgeError>())
}

/// A recipient: X25519 (`age1…`) or the post-quantum hybrid (`age1pq1…`).
#[derive(Clone)]
#[non_exhaustive]
pub enum AgeRecipient {
    /// An X25519 recipient.
    X25519(age::x25519::Recipient),
    /// An X-Wing hybrid recipient.
    Hybrid(HybridRecipient),
}

impl AgeRecipient {
    /// Whether this recipient resists a quantum computer. age refuses to mix both kinds in one file.
    pub fn is_post_quantum(&self) -> bool {
        matches!(self, Self::Hybrid(_))
    }
}

impl FromStr for AgeRecipient {
    type Err = AgeError;
    fn from_str(s: &str) -> Result<Self, AgeError> {
        let s = s.trim();
        if s.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("age1pq1")) {
            return s.parse().map(Self::Hybrid);
        }
        if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("age1")) {
            return s.parse::<age::x25519::Recipient>().map(Self::X25519).map_err(|_| {
                AgeError::InvalidRecipient("not a valid X25519 recipient (a typo, or a truncated copy?)")
            });
        }
        Err(AgeError::InvalidRecipient("an age recipient starts with age1 (X25519) or age1pq1 (post-quantum)"))
    }
}

impl fmt::Display for AgeRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X25519(r) => write!(f, "{r}"),
            Self::Hybrid(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Debug for AgeRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X25519(r) => write!(f, "AgeRecipient::X25519({r})"),
            Self::Hybrid(r) => write!(f, "AgeRecipient::{r:?}"),
        }
    }
}

impl age::Recipient for AgeRecipient {
    fn wrap_file_key(
        &self,
        file_key: &age_core::format::FileKey,
    ) -> Result<(Vec<age_core::format::Stanza>, std::collections::HashSet<String>), age::EncryptError> {
        match self {
            Self::X25519(r) => r.wrap_file_key(file_key),
            Self::Hybrid(r) => r.wrap_file_key(file_key),
        }
    }
}

/// An identity: X25519 (`AGE-SECRET-KEY-1…`) or the post-quantum hybrid (`AGE-SECRET-KEY-PQ-1…`).
/// `Debug` never shows the secret.
#[non_exhaustive]
pub enum AgeIdentity {
    /// An X25519 identity.
    X25519(age::x25519::Identity),
    /// An X-Wing hybrid identity.
    Hybrid(HybridIdentity),
}

impl AgeIdentity {
    /// A new X25519 identity (from the operating system's generator, as the `age` crate draws it).
    pub fn generate_x25519() -> Self {
        Self::X25519(age::x25519::Identity::generate())
    }

    /// A new post-quantum hybrid identity from `rng`.
    pub fn generate_hybrid(rng: &mut dyn crate::rng::DynCryptoRng) -> Result<Self, AgeError> {
        HybridIdentity::generate(rng).map(Self::Hybrid)
    }

    /// The recipient of this identity.
    pub fn to_public(&self) -> AgeRecipient {
        match self {
            Self::X25519(i) => AgeRecipient::X25519(i.to_public()),
            Self::Hybrid(i) => AgeRecipient::Hybrid(i.to_public()),
        }
    }

    /// The identity as text, a secret zeroized on drop.
    pub fn to_secret_string(&self) -> zeroize::Zeroizing<String> {
        use age_core::secrecy::ExposeSecret;
        match self {
            Self::X25519(i) => zeroize::Zeroizing::new(i.to_string().expose_secret().to_owned()),
            Self::Hybrid(i) => i.to_secret_string(),
        }
    }
}

impl FromStr for AgeIdentity {
    type Err = AgeError;
    fn from_str(s: &str) -> Result<Self, AgeError> {
        let s = s.trim();
        if s.get(..19).is_some_and(|p| p.eq_ignore_ascii_case("AGE-SECRET-KEY-PQ-1")) {
            return s.parse().map(Self::Hybrid);
        }
        if s.get(..16).is_some_and(|p| p.eq_ignore_ascii_case("AGE-SECRET-KEY-1")) {
            return s
                .parse::<age::x25519::Identity>()
                .map(Self::X25519)
                .map_err(|_| AgeError::InvalidIdentity("not a valid X25519 identity (a typo, or a truncated copy?)"));
        }
        Err(AgeError::InvalidIdentity(
            "an age identity starts with AGE-SECRET-KEY-1 (X25519) or AGE-SECRET-KEY-PQ-1 (post-quantum)",
        ))
    }
}

impl fmt::Debug for AgeIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X25519(i) => write!(f, "AgeIdentity::X25519({}, secret redacted)", i.to_public()),
            Self::Hybrid(i) => write!(f, "AgeIdentity::{i:?}"),
        }
    }
}

impl age::Identity for AgeIdentity {
    fn unwrap_stanza(
        &self,
        stanza: &age_core::format::Stanza,
    ) -> Option<Result<age_core::format::FileKey, age::DecryptError>> {
        match self {
            Self::X25519(i) => i.unwrap_stanza(stanza),
            Self::Hybrid(i) => i.unwrap_stanza(stanza),
        }
    }
}

/// Largest identity file read (1 MiB).
pub const MAX_IDENTITY_FILE_LEN: usize = 1 << 20;

/// The identities of an identity file: one per line, `#` comments and empty lines ignored (age-keygen's
/// format). An error names the line, never its content.
pub fn parse_identity_file(text: &str) -> Result<Vec<AgeIdentity>, AgeError> {
    if text.len() > MAX_IDENTITY_FILE_LEN {
        return Err(AgeError::InvalidIdentity("the identity file is larger than 1 MiB"));
    }
    let mut identities = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let identity = line.parse::<AgeIdentity>().map_err(|e| AgeError::IdentityFileLine {
            line: i + 1,
            reason: match e {
                AgeError::InvalidIdentity(reason) => reason,
                _ => "not an age identity",
            },
        })?;
        identities.push(identity);
    }
    if identities.is_empty() {
        return Err(AgeError::InvalidIdentity("the identity file holds no identity"));
    }
    Ok(identities)
}

/// The recipients of a recipients file (`age -R`): one per line, `#` comments and empty lines ignored.
pub fn parse_recipients_file(text: &str) -> Result<Vec<AgeRecipient>, AgeError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(line.parse()?);
    }
    if out.is_empty() {
        return Err(AgeError::InvalidRecipient("the recipients file holds no recipient"));
    }
    Ok(out)
}
