//! Why a QRNG-DD entropy packet was refused. Defined here, not in `qrngdd`, so that the variant
//! [`Error::QrngDdPacket`](crate::Error::QrngDdPacket) exists whatever the features (the codec and verifier
//! that produce it need `qrng-dd-packet`).

/// Why an entropy packet was refused, one variant per check of `qrngdd::PacketVerifier` and
/// `qrngdd::SequenceGuard` (feature `qrng-dd-packet`).
///
/// [`reason`](Self::reason) gives a stable short label (used for metrics and audit events). No variant
/// carries payload bytes or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketError {
    /// The body is larger than the configured limit (checked before anything is decoded).
    #[error("packet body of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Body size in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },

    /// The body is not a well-formed packet (MessagePack decoding failed, an element has the wrong type or
    /// size, the payload is empty, or bytes follow the packet).
    #[error("malformed packet: {0}")]
    Malformed(String),

    /// The packet's protocol version is not 1.
    #[error("unsupported packet version {0}")]
    UnsupportedVersion(u8),

    /// The CRC-32 of the payload does not match the packet's checksum.
    #[error("payload checksum mismatch")]
    ChecksumMismatch,

    /// The HMAC-SHA256 signature does not verify under any configured key. Deliberately carries no detail.
    #[error("packet signature does not verify")]
    BadSignature,

    /// The packet's timestamp is older than the packet TTL.
    #[error("packet is stale: signed {age_ms} ms ago (limit {limit_ms} ms)")]
    Stale {
        /// Age of the packet in milliseconds.
        age_ms: i64,
        /// The TTL in milliseconds.
        limit_ms: i64,
    },

    /// The packet's timestamp lies further in the future than the clock-skew limit allows.
    #[error("packet timestamp is {ahead_ms} ms in the future (limit {limit_ms} ms)")]
    FromFuture {
        /// How far ahead of the verifier's clock, in milliseconds.
        ahead_ms: i64,
        /// The skew limit in milliseconds.
        limit_ms: i64,
    },

    /// The packet was signed before the gateway could know the collector's sequence (before its start,
    /// allowing for clock skew): it may have been accepted by an earlier run, so it is refused.
    #[error("packet predates the verifier's start")]
    PredatesStart,

    /// The sequence number is not greater than the last one accepted from this collector: a replay or a
    /// reordered packet.
    #[error("sequence {sequence} is not greater than the last accepted sequence {last}")]
    Replayed {
        /// The packet's sequence number.
        sequence: u64,
        /// The last sequence accepted under the same key.
        last: u64,
    },
}

impl PacketError {
    /// A stable label for metrics and logs: `too_large`, `malformed`, `version`, `checksum`, `hmac`,
    /// `stale`, `future`, `predates_start` or `sequence`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnsupportedVersion(_) => "version",
            Self::ChecksumMismatch => "checksum",
            Self::BadSignature => "hmac",
            Self::Stale { .. } => "stale",
            Self::FromFuture { .. } => "future",
            Self::PredatesStart => "predates_start",
            Self::Replayed { .. } => "sequence",
        }
    }

    /// Every label [`reason`](Self::reason) can return, in check order.
    pub const REASONS: [&'static str; 9] =
        ["too_large", "malformed", "version", "checksum", "hmac", "stale", "future", "predates_start", "sequence"];
}

impl From<PacketError> for crate::Error {
    fn from(e: PacketError) -> Self {
        crate::Error::QrngDdPacket(e)
    }
}
