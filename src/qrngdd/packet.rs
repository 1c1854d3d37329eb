//! The entropy packet and its byte encoding.
//!
//! # Wire format (public QRNG-DD v1.0.0, `qrng-core/src/protocol.rs` and `crypto.rs`)
//!
//! A packet is the MessagePack array that rmp-serde writes for the struct below, elements in this order:
//!
//! | # | field | MessagePack type | content |
//! |---|---|---|---|
//! | 1 | `version` | positive int | 1 |
//! | 2 | `id` | bin, 16 bytes | a random (version 4) UUID, fresh per packet |
//! | 3 | `sequence` | positive int (smallest encoding) | collector's packet counter |
//! | 4 | `data` | bin | the random payload |
//! | 5 | `timestamp` | str | RFC 3339 in UTC with `Z`, fractional seconds of 0, 3, 6 or 9 digits (chrono's `SecondsFormat::AutoSi`) |
//! | 6 | `signature` | bin, 32 bytes | HMAC-SHA256 (below) |
//! | 7 | `checksum` | positive int, or nil | CRC-32 (IEEE) of `data` |
//!
//! The signature is `HMAC-SHA256(key, version || sequence as u64 big-endian || data || timestamp as i64
//! nanoseconds since the Unix epoch, big-endian)`. The collector sends the packet as the body of
//! `POST /push` with `Content-Type: application/msgpack`; the key is configured on both sides as hex.
//!
//! Decoding is liberal where the public decoder is (any integer width, `Z` or a numeric offset, a map
//! instead of an array) and strict where it matters: exactly seven elements, a 16-byte id, no trailing
//! bytes, a non-empty payload, a timestamp that fits the signed 64-bit nanosecond range.

use super::verify::HmacKey;
use crate::error::PacketError;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The protocol version this implementation writes and accepts.
pub const PROTOCOL_VERSION: u8 = 1;

/// The content type of a pushed packet.
pub const CONTENT_TYPE: &str = "application/msgpack";

/// An entropy packet (see the [module documentation](self) for the format).
///
/// The payload is zeroized when the packet is dropped, and `Debug` shows its length only.
#[derive(Clone)]
pub struct EntropyPacket {
    /// Protocol version ([`PROTOCOL_VERSION`]).
    pub version: u8,
    /// Packet id: a version 4 UUID, fresh per packet. Not covered by the signature.
    pub id: [u8; 16],
    /// The collector's sequence number.
    pub sequence: u64,
    /// The random payload.
    pub data: Zeroizing<Vec<u8>>,
    /// When the packet was signed, in nanoseconds since the Unix epoch (UTC).
    pub timestamp_ns: i64,
    /// HMAC-SHA256 over the signing input.
    pub signature: Vec<u8>,
    /// CRC-32 (IEEE) of `data`, optional in the format.
    pub checksum: Option<u32>,
}

impl core::fmt::Debug for EntropyPacket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EntropyPacket")
            .field("version", &self.version)
            .field("sequence", &self.sequence)
            .field("data_len", &self.data.len())
            .field("timestamp", &format_timestamp(self.timestamp_ns))
            .field("checksum", &self.checksum)
            .finish_non_exhaustive()
    }
}

/// The borrowed view that is serialized: rmp-serde writes a struct as an array of its fields in order.
#[derive(Serialize)]
struct WireOut<'a> {
    version: u8,
    #[serde(with = "serde_bytes")]
    id: &'a [u8],
    sequence: u64,
    #[serde(with = "serde_bytes")]
    data: &'a [u8],
    timestamp: &'a str,
    #[serde(with = "serde_bytes")]
    signature: &'a [u8],
    checksum: Option<u32>,
}

/// What is deserialized; field types are checked by serde, sizes and values afterwards.
#[derive(Deserialize)]
struct WireIn {
    version: u8,
    id: serde_bytes::ByteBuf,
    sequence: u64,
    data: serde_bytes::ByteBuf,
    timestamp: String,
    signature: serde_bytes::ByteBuf,
    checksum: Option<u32>,
}

impl EntropyPacket {
    /// Builds a packet of `data` with a fresh random id, its CRC-32, and its signature under `key`.
    pub fn sign(key: &HmacKey, sequence: u64, data: Vec<u8>, timestamp_ns: i64) -> crate::Result<Self> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|_| crate::Error::RandomnessUnavailable)?;
        // RFC 9562 version 4, variant 10.
        id[6] = (id[6] & 0x0f) | 0x40;
        id[8] = (id[8] & 0x3f) | 0x80;
        let data = Zeroizing::new(data);
        let checksum = Some(crc32fast::hash(&data));
        let mut packet =
            Self { version: PROTOCOL_VERSION, id, sequence, data, timestamp_ns, signature: Vec::new(), checksum };
        packet.signature = key.tag(&packet.signing_input_parts())?;
        Ok(packet)
    }

    /// The signed fields, in order: `version || sequence (BE) || data || timestamp_ns (BE)`, as the parts
    /// [`HmacKey::tag`] absorbs (the payload is not copied).
    pub fn signing_input_parts(&self) -> SigningInput<'_> {
        SigningInput {
            head: {
                let mut h = [0u8; 9];
                h[0] = self.version;
                h[1..].copy_from_slice(&self.sequence.to_be_bytes());
                h
            },
            data: &self.data,
            tail: self.timestamp_ns.to_be_bytes(),
        }
    }

    /// `true` if the checksum is absent or equals the CRC-32 of the payload.
    pub fn checksum_matches(&self) -> bool {
        self.checksum.is_none_or(|c| c == crc32fast::hash(&self.data))
    }

    /// The MessagePack encoding (what the public collector sends).
    pub fn encode(&self) -> crate::Result<Vec<u8>> {
        let timestamp = format_timestamp(self.timestamp_ns);
        let wire = WireOut {
            version: self.version,
            id: &self.id,
            sequence: self.sequence,
            data: &self.data,
            timestamp: &timestamp,
            signature: &self.signature,
            checksum: self.checksum,
        };
        let mut out = Vec::with_capacity(self.data.len() + self.signature.len() + 96);
        rmp_serde::encode::write(&mut out, &wire).map_err(|_| crate::Error::InvalidInput("packet encoding failed"))?;
        Ok(out)
    }

    /// Decodes a packet. Checks structure only: neither the checksum nor the signature (see
    /// [`PacketVerifier`](super::PacketVerifier)). The protocol version must be [`PROTOCOL_VERSION`].
    pub fn decode(bytes: &[u8]) -> Result<Self, PacketError> {
        let mut rest = bytes;
        // The reader form (rather than a borrowed slice) lets us see what is left after the packet; it
        // copies byte strings as they are read and never allocates more than the input holds.
        let mut de = rmp_serde::Deserializer::new(&mut rest);
        let wire = WireIn::deserialize(&mut de).map_err(|e| PacketError::Malformed(e.to_string()))?;
        drop(de);
        if !rest.is_empty() {
            return Err(PacketError::Malformed(format!("{} bytes after the packet", rest.len())));
        }
        let WireIn { version, id, sequence, data, timestamp, signature, checksum } = wire;
        let data = Zeroizing::new(data.into_vec());
        if version != PROTOCOL_VERSION {
            return Err(PacketError::UnsupportedVersion(version));
        }
        let id: [u8; 16] = id
            .as_slice()
            .try_into()
            .map_err(|_| PacketError::Malformed(format!("packet id of {} bytes, expected 16", id.len())))?;
        if data.is_empty() {
            return Err(PacketError::Malformed("empty payload".into()));
        }
        let timestamp_ns = parse_timestamp(&timestamp)?;
        Ok(Self { version, id, sequence, data, timestamp_ns, signature: signature.into_vec(), checksum })
    }
}

/// The signing input of a packet, in three parts (see [`EntropyPacket::signing_input_parts`]).
/// `Debug` shows the payload's length, never its bytes.
#[derive(Clone, Copy)]
pub struct SigningInput<'a> {
    /// `version || sequence` (9 bytes).
    pub head: [u8; 9],
    /// The payload.
    pub data: &'a [u8],
    /// The timestamp in nanoseconds, big-endian (8 bytes).
    pub tail: [u8; 8],
}

impl core::fmt::Debug for SigningInput<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningInput")
            .field("head", &self.head)
            .field("data_len", &self.data.len())
            .field("tail", &self.tail)
            .finish()
    }
}

impl SigningInput<'_> {
    /// The parts in order.
    pub fn parts(&self) -> [&[u8]; 3] {
        [&self.head, self.data, &self.tail]
    }
}

/// Formats nanoseconds since the Unix epoch as the public format's RFC 3339 string (UTC, `Z`, 0/3/6/9
/// fractional digits, as chrono's serde serialization does).
///
/// ```
/// use qres::qrngdd::format_timestamp;
/// assert_eq!(format_timestamp(1_700_000_000_123_456_789), "2023-11-14T22:13:20.123456789Z");
/// assert_eq!(format_timestamp(1_700_000_000_120_000_000), "2023-11-14T22:13:20.120Z");
/// assert_eq!(format_timestamp(1_700_000_000_000_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn format_timestamp(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    // Every i64 nanosecond count is within chrono's range.
    DateTime::<Utc>::from_timestamp(secs, nanos).unwrap_or_default().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses an RFC 3339 timestamp (any offset, any number of fractional digits, as chrono's serde
/// deserialization accepts) into nanoseconds since the Unix epoch.
pub fn parse_timestamp(s: &str) -> Result<i64, PacketError> {
    let t: DateTime<FixedOffset> =
        s.parse().map_err(|e| PacketError::Malformed(format!("timestamp is not RFC 3339: {e}")))?;
    t.timestamp_nanos_opt()
        .ok_or_else(|| PacketError::Malformed("timestamp outside the 64-bit nanosecond range".into()))
}

/// The current time in nanoseconds since the Unix epoch.
pub fn unix_nanos_now() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}
