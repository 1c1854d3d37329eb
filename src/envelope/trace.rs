//! Every intermediate value of one sealing, for the test vectors of FORMAT.md.
//!
//! Hazardous, behind the `hazmat` feature: a trace holds the file key and every derived secret. It exists
//! so that a second implementation can check each step; never produce one for real data. Secret values are
//! [`SecretBytes`] (zeroized on drop, redacted in `Debug`); read them with `as_bytes()`.

use crate::secret::SecretBytes;

/// One stanza's intermediate values.
#[derive(Clone, Debug, Default)]
pub struct StanzaTrace {
    /// Encapsulation randomness (HPKE `ikmE`).
    pub ikm_e: SecretBytes,
    /// KEM shared secret.
    pub shared_secret: SecretBytes,
    /// HPKE key-schedule outputs.
    pub key: SecretBytes,
    /// HPKE base nonce.
    pub base_nonce: SecretBytes,
    /// HPKE exporter secret.
    pub exporter_secret: SecretBytes,
    /// HPKE `enc`.
    pub enc: Vec<u8>,
    /// The wrapped file key.
    pub wrapped_key: Vec<u8>,
}

/// One payload chunk.
#[derive(Clone, Debug, Default)]
pub struct ChunkTrace {
    /// The AEAD nonce (or the CBC IV of the legacy scheme).
    pub nonce: Vec<u8>,
    /// Whether this was the final chunk.
    pub last: bool,
    /// Ciphertext and tag.
    pub ciphertext: Vec<u8>,
}

/// The intermediate values of one sealing.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The file key.
    pub file_key: SecretBytes,
    /// Per-recipient values.
    pub stanzas: Vec<StanzaTrace>,
    /// The QNE block.
    pub qne: Vec<u8>,
    /// `prk`.
    pub prk: SecretBytes,
    /// `mac_key`.
    pub mac_key: SecretBytes,
    /// The header without its MAC.
    pub header_without_mac: Vec<u8>,
    /// `header_mac`.
    pub header_mac: Vec<u8>,
    /// `header_digest`.
    pub header_digest: Vec<u8>,
    /// `payload_key`.
    pub payload_key: SecretBytes,
    /// The payload chunks.
    pub chunks: Vec<ChunkTrace>,
    /// The signed message `header_digest || SHA-256(payload)` (signed envelopes).
    pub signature_input: Vec<u8>,
    /// The signature (signed envelopes).
    pub signature: Vec<u8>,
}
