//! Packet verification: keys, the gateway's checks in order, and the per-collector sequence guard.
//!
//! Order of checks ([`PacketVerifier::verify`] then [`SequenceGuard::admit`]), cheapest and least trusting
//! first, so that nothing is parsed before its size is known and nothing unauthenticated reaches the
//! clock or sequence state:
//!
//! 1. body size limit ([`PacketError::TooLarge`]);
//! 2. MessagePack decoding and structure ([`PacketError::Malformed`], [`PacketError::UnsupportedVersion`]);
//! 3. CRC-32 of the payload ([`PacketError::ChecksumMismatch`]);
//! 4. HMAC-SHA256 under each configured key, compared in constant time, every key tried
//!    ([`PacketError::BadSignature`]);
//! 5. timestamp: not older than the TTL, not further ahead than the clock-skew limit
//!    ([`PacketError::Stale`], [`PacketError::FromFuture`]);
//! 6. sequence: strictly greater than the last accepted under the same key ([`PacketError::Replayed`]),
//!    and not signed before the verifier could know that ([`PacketError::PredatesStart`]).
//!
//! # Collector identity and restarts
//!
//! The wire format carries no collector id (the packet id is random per packet), so a *collector* is
//! identified by the key its packets verify under ([`KeyFingerprint`]): give each collector its own key.
//! A restarted collector is not locked out because:
//!
//! * qres' collector derives its sequence numbers from a per-start epoch: (Unix milliseconds at start) ×
//!   2^22 plus a per-run counter below 2^22 (`crates/qrngdd`, `collector::sequence`), optionally raised
//!   above a persisted mark, so they keep increasing across restarts;
//! * a collector that starts again from 0 (the public collector does) is accepted again once its key has
//!   been silent for longer than TTL + skew: by then every packet signed before the silence is stale, so
//!   accepting a lower sequence cannot let a captured packet be replayed.
//!
//! The guard keeps its state in memory. After a gateway restart, packets signed before the start (less
//! the skew allowance) are refused ([`PacketError::PredatesStart`]), so a packet accepted by the previous
//! run cannot be replayed into the new one.

use super::packet::EntropyPacket;
use crate::alg::MacId;
use crate::error::PacketError;
use crate::primitives::Mac;
use crate::secret::SecretBytes;
use std::collections::HashMap;
use std::time::Duration;
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// Shortest accepted HMAC key (128 bits); 32 bytes (`openssl rand -hex 32`) is recommended.
pub const MIN_KEY_LEN: usize = 16;

/// An HMAC-SHA256 packet key. The bytes are zeroized on drop and never shown by `Debug`.
#[derive(Clone)]
pub struct HmacKey {
    key: SecretBytes,
    fingerprint: KeyFingerprint,
    mac: &'static dyn Mac,
}

/// A public, stable identifier of a key: the first 8 bytes of `HMAC-SHA256(key, "qrngdd key id")`,
/// shown as 16 hex digits. Safe to log; identifies the collector stream a packet belongs to.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyFingerprint(pub [u8; 8]);

impl core::fmt::Display for KeyFingerprint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl core::fmt::Debug for KeyFingerprint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "KeyFingerprint({self})")
    }
}

impl core::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HmacKey").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

impl HmacKey {
    /// A key from raw bytes (at least [`MIN_KEY_LEN`]).
    pub fn new(bytes: &[u8]) -> crate::Result<Self> {
        if bytes.len() < MIN_KEY_LEN {
            return Err(crate::Error::LengthOutOfRange {
                what: "QRNG-DD HMAC key",
                min: MIN_KEY_LEN,
                max: usize::MAX,
                actual: bytes.len(),
            });
        }
        let mac = crate::default_provider().mac(MacId::HMAC_SHA256)?;
        let id = mac.compute(bytes, &[b"qrngdd key id"])?;
        let mut fp = [0u8; 8];
        fp.copy_from_slice(&id[..8]);
        Ok(Self { key: SecretBytes::from_slice(bytes), fingerprint: KeyFingerprint(fp), mac })
    }

    /// A key from hex (the format of `QRNG_HMAC_SECRET_KEY`); surrounding whitespace is ignored.
    pub fn from_hex(hex: &str) -> crate::Result<Self> {
        let hex = hex.trim();
        if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(crate::Error::InvalidInput("QRNG-DD HMAC key must be hex (e.g. `openssl rand -hex 32`)"));
        }
        let bytes: zeroize::Zeroizing<Vec<u8>> = zeroize::Zeroizing::new(
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)).collect(),
        );
        Self::new(&bytes)
    }

    /// Parses a comma-separated list of hex keys (`QRNG_HMAC_SECRET_KEY` of our gateway, for rotation).
    pub fn list_from_hex(list: &str) -> crate::Result<Vec<Self>> {
        let keys: Vec<Self> =
            list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Self::from_hex).collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Err(crate::Error::InvalidInput("no QRNG-DD HMAC key given"));
        }
        Ok(keys)
    }

    /// The key's public fingerprint.
    pub fn fingerprint(&self) -> KeyFingerprint {
        self.fingerprint
    }

    /// HMAC-SHA256 of the concatenated signing input.
    pub fn tag(&self, input: &super::packet::SigningInput<'_>) -> crate::Result<Vec<u8>> {
        self.mac.compute(self.key.as_bytes(), &input.parts())
    }
}

/// Limits of a [`PacketVerifier`] and [`SequenceGuard`].
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Largest accepted body, in bytes (default 1 MiB + 4 KiB: the public collector pushes up to 1 MiB of
    /// payload per packet).
    pub max_body: usize,
    /// Packets older than this are refused (default 300 s).
    pub ttl: Duration,
    /// Packets dated further ahead than this are refused (default 60 s).
    pub max_skew: Duration,
    /// Accept a lower sequence from a key that has been silent for longer than `ttl + max_skew` (default
    /// `true`; see the module documentation).
    pub reset_after_idle: bool,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            max_body: (1 << 20) + 4096,
            ttl: Duration::from_secs(300),
            max_skew: Duration::from_secs(60),
            reset_after_idle: true,
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// A packet that passed checks 1-5, with the key it verified under.
#[derive(Debug)]
pub struct VerifiedPacket {
    /// The packet.
    pub packet: EntropyPacket,
    /// Fingerprint of the key whose HMAC matched (the collector stream).
    pub key: KeyFingerprint,
}

/// Checks 1-5 of the [module documentation](self). Stateless; share it between threads.
#[derive(Debug, Clone)]
pub struct PacketVerifier {
    keys: Vec<HmacKey>,
    config: VerifierConfig,
}

impl PacketVerifier {
    /// A verifier accepting packets signed under any of `keys`.
    pub fn new(keys: Vec<HmacKey>, config: VerifierConfig) -> crate::Result<Self> {
        if keys.is_empty() {
            return Err(crate::Error::InvalidInput("a packet verifier needs at least one key"));
        }
        if config.ttl.is_zero() {
            return Err(crate::Error::InvalidInput("the packet TTL must be positive"));
        }
        Ok(Self { keys, config })
    }

    /// The configuration.
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Fingerprints of the configured keys.
    pub fn fingerprints(&self) -> Vec<KeyFingerprint> {
        self.keys.iter().map(HmacKey::fingerprint).collect()
    }

    /// Runs checks 1-5 on a pushed body at time `now_ns` (nanoseconds since the Unix epoch).
    pub fn verify(&self, body: &[u8], now_ns: i64) -> Result<VerifiedPacket, PacketError> {
        self.check(body, now_ns).map_err(|(e, _)| e)
    }

    /// [`verify`](Self::verify), returning with a refusal the packet's sequence number when the packet
    /// could be decoded (for audit logs; it is unauthenticated when the HMAC check failed).
    pub fn check(&self, body: &[u8], now_ns: i64) -> Result<VerifiedPacket, (PacketError, Option<u64>)> {
        if body.len() > self.config.max_body {
            return Err((PacketError::TooLarge { size: body.len(), max: self.config.max_body }, None));
        }
        let packet = EntropyPacket::decode(body).map_err(|e| (e, None))?;
        let seq = Some(packet.sequence);
        if !packet.checksum_matches() {
            return Err((PacketError::ChecksumMismatch, seq));
        }
        let key = self.authenticate(&packet).map_err(|e| (e, seq))?;
        let age = i128::from(now_ns) - i128::from(packet.timestamp_ns);
        if age > i128::from(ns(self.config.ttl)) {
            let age_ms = i64::try_from(age / 1_000_000).unwrap_or(i64::MAX);
            return Err((PacketError::Stale { age_ms, limit_ms: ms(self.config.ttl) }, seq));
        }
        if -age > i128::from(ns(self.config.max_skew)) {
            let ahead_ms = i64::try_from(-age / 1_000_000).unwrap_or(i64::MAX);
            return Err((PacketError::FromFuture { ahead_ms, limit_ms: ms(self.config.max_skew) }, seq));
        }
        Ok(VerifiedPacket { packet, key })
    }

    /// Check 4: tries every key (no early exit) and compares tags in constant time.
    fn authenticate(&self, packet: &EntropyPacket) -> Result<KeyFingerprint, PacketError> {
        if packet.signature.len() != 32 {
            return Err(PacketError::BadSignature);
        }
        let input = packet.signing_input_parts();
        let mut found = subtle::Choice::from(0);
        let mut which = 0u32;
        for (i, key) in self.keys.iter().enumerate() {
            let tag = key.tag(&input).map_err(|_| PacketError::BadSignature)?;
            let hit = tag.ct_eq(&packet.signature);
            which.conditional_assign(&(i as u32), hit & !found);
            found |= hit;
        }
        if bool::from(found) { Ok(self.keys[which as usize].fingerprint()) } else { Err(PacketError::BadSignature) }
    }
}

/// Per-stream state of a [`SequenceGuard`].
#[derive(Debug, Clone, Copy)]
struct Stream {
    last_sequence: u64,
    last_timestamp_ns: i64,
    last_accepted_at_ns: i64,
}

/// Check 6: strictly increasing sequence numbers per key (see the [module documentation](self)).
///
/// Call [`admit`](Self::admit) under the same lock as the store of the payload, and keep the sequence
/// consumed even when the payload is then refused (for example for lack of room): a refused packet must
/// never be accepted later, since its collector may resend the same bytes under a new sequence.
#[derive(Debug, Clone)]
pub struct SequenceGuard {
    streams: HashMap<KeyFingerprint, Stream>,
    not_before_ns: i64,
    idle_reset_ns: Option<i64>,
}

impl SequenceGuard {
    /// A guard for a verifier started at `started_ns`: packets dated before `started_ns + max_skew` are
    /// refused, because a previous run may have accepted them.
    pub fn new(started_ns: i64, config: &VerifierConfig) -> Self {
        let skew = ns(config.max_skew);
        let idle = config.reset_after_idle.then(|| ns(config.ttl).saturating_add(skew));
        Self { streams: HashMap::new(), not_before_ns: started_ns.saturating_add(skew), idle_reset_ns: idle }
    }

    /// Admits `packet` at time `now_ns` if its sequence is new for its key, recording it.
    pub fn admit(&mut self, packet: &VerifiedPacket, now_ns: i64) -> Result<(), PacketError> {
        let p = &packet.packet;
        if p.timestamp_ns < self.not_before_ns {
            return Err(PacketError::PredatesStart);
        }
        let next = Stream { last_sequence: p.sequence, last_timestamp_ns: p.timestamp_ns, last_accepted_at_ns: now_ns };
        match self.streams.get_mut(&packet.key) {
            None => {
                self.streams.insert(packet.key, next);
                Ok(())
            }
            Some(s) if p.sequence > s.last_sequence => {
                *s = next;
                Ok(())
            }
            Some(s) => {
                let idle = self.idle_reset_ns.is_some_and(|limit| now_ns.saturating_sub(s.last_accepted_at_ns) > limit);
                if idle && p.timestamp_ns > s.last_timestamp_ns {
                    tracing::info!(
                        key = %packet.key,
                        sequence = p.sequence,
                        previous = s.last_sequence,
                        "sequence restarted after an idle period longer than TTL + skew; accepted"
                    );
                    *s = next;
                    Ok(())
                } else {
                    Err(PacketError::Replayed { sequence: p.sequence, last: s.last_sequence })
                }
            }
        }
    }

    /// The last accepted sequence for `key`, if any.
    pub fn last_sequence(&self, key: &KeyFingerprint) -> Option<u64> {
        self.streams.get(key).map(|s| s.last_sequence)
    }
}
