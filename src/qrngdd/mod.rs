//! QRNG-DD wire format: the entropy packet a collector pushes to a gateway, and its verification.
//!
//! The format is the one of the public QRNG-DD project (v1.0.0), byte for byte, so that our collector
//! and gateway interoperate with its gateway and collector:
//!
//! * [`packet`]: [`EntropyPacket`], a MessagePack array of seven elements (rmp-serde's encoding of a
//!   struct), its CRC-32 and its HMAC-SHA256 signature.
//! * [`verify`]: [`PacketVerifier`], the gateway's checks in a fixed order — body size, MessagePack
//!   decoding, CRC-32, HMAC-SHA256 under any of the configured keys (constant time), timestamp (age and
//!   clock skew) — and [`SequenceGuard`], the last check: strictly increasing sequence numbers per
//!   collector key. Each failure is a distinct [`PacketError`].
//!
//! ```
//! use qres::qrngdd::{EntropyPacket, HmacKey, PacketVerifier, SequenceGuard, VerifierConfig, unix_nanos_now};
//!
//! let key = HmacKey::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")?;
//! let now = unix_nanos_now();
//! let body = EntropyPacket::sign(&key, 7, vec![0x42; 64], now)?.encode()?;
//!
//! let verifier = PacketVerifier::new(vec![key], VerifierConfig::default())?;
//! let verified = verifier.verify(&body, now)?;
//! let mut guard = SequenceGuard::new(now - 120_000_000_000, &VerifierConfig::default());
//! guard.admit(&verified, now)?;
//! assert!(guard.admit(&verified, now).is_err()); // the same sequence again is a replay
//! # Ok::<(), qres::Error>(())
//! ```

pub mod packet;
pub mod verify;

pub use crate::error::PacketError;
pub use packet::{CONTENT_TYPE, EntropyPacket, PROTOCOL_VERSION, format_timestamp, parse_timestamp, unix_nanos_now};
pub use verify::{HmacKey, KeyFingerprint, PacketVerifier, SequenceGuard, VerifiedPacket, VerifierConfig};
