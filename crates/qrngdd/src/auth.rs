//! Client API keys: constant-time lookup, and per key a request budget and a byte budget (token buckets),
//! so that one key can take neither more than its requests per second nor more than its bytes per second.
//!
//! Keys are held as SHA-256 digests; a presented key is hashed once and compared against every
//! configured digest with `subtle` (no early exit, no length leak), so response timing does not reveal
//! how much of a key was right.

use qres::SecretBytes;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// The configured API keys (kept only as SHA-256 digests) and their rate limiters.
pub struct ApiKeys {
    keys: Vec<ApiKey>,
}

/// Shows how many keys there are, not their digests (a digest of a short key can be guessed offline).
impl core::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ApiKeys").field("count", &self.keys.len()).finish_non_exhaustive()
    }
}

struct ApiKey {
    digest: [u8; 32],
    bucket: TokenBucket,
    bytes: ByteBucket,
    usage: KeyUsage,
}

/// Counters of one key, for `/metrics`.
#[derive(Debug, Default)]
pub struct KeyUsage {
    /// Random bytes served under the key.
    pub bytes_served: AtomicU64,
    /// Requests refused for the request budget.
    pub limited_requests: AtomicU64,
    /// Requests refused for the byte budget.
    pub limited_bytes: AtomicU64,
}

/// A byte budget of `rate` bytes per second holding at most `rate` bytes (one second of burst), kept like
/// [`TokenBucket`] as a theoretical arrival time in one atomic, in nanoseconds.
#[derive(Debug)]
pub struct ByteBucket {
    tat: AtomicU64,
    rate: u64,
    epoch: Instant,
}

impl ByteBucket {
    /// A full bucket of `rate_per_second` bytes per second (at least 1).
    pub fn new(rate_per_second: u64, now: Instant) -> Self {
        Self { tat: AtomicU64::new(0), rate: rate_per_second.max(1), epoch: now }
    }

    /// Nanoseconds the bucket needs to earn `n` bytes.
    fn cost(&self, n: usize) -> u64 {
        u64::try_from(u128::from(n as u64) * 1_000_000_000 / u128::from(self.rate)).unwrap_or(u64::MAX)
    }

    /// Takes `n` bytes; on refusal returns the seconds until they are available. A request larger than the
    /// whole burst passes from a full bucket (and leaves it in debt), so no size is refused for ever.
    pub fn try_take(&self, n: usize, now: Instant) -> Result<(), f64> {
        let now = u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        let cost = self.cost(n);
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let start = tat.max(now);
            let ahead = (start - now).saturating_add(cost);
            if start > now && ahead > 1_000_000_000 {
                return Err((ahead - 1_000_000_000) as f64 / 1e9);
            }
            match self.tat.compare_exchange_weak(tat, start.saturating_add(cost), Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(actual) => tat = actual,
            }
        }
    }

    /// Gives back `n` bytes taken by [`try_take`](Self::try_take) and not used.
    pub fn refund(&self, n: usize) {
        let cost = self.cost(n);
        let _ = self.tat.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| Some(t.saturating_sub(cost)));
    }
}

/// A token bucket of `rate` tokens per second holding at most `rate` (one second of burst), kept as the
/// generic cell rate algorithm's "theoretical arrival time" in one atomic: lock-free, so a worker thread
/// preempted mid-check never stalls the others.
#[derive(Debug)]
pub struct TokenBucket {
    /// Nanoseconds since `epoch` at which the bucket would be full again.
    tat: AtomicU64,
    /// Nanoseconds per token.
    interval: u64,
    /// How far ahead of now `tat` may be: one second of burst less one token.
    tolerance: u64,
    epoch: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_second: u32, now: Instant) -> Self {
        let interval = 1_000_000_000 / u64::from(rate_per_second.max(1));
        let tolerance = interval * u64::from(rate_per_second.max(1) - 1);
        Self { tat: AtomicU64::new(0), interval, tolerance, epoch: now }
    }

    /// Takes one token; on refusal returns the seconds until one is available.
    pub fn try_take(&self, now: Instant) -> Result<(), f64> {
        let now = u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let start = tat.max(now);
            if start - now > self.tolerance {
                return Err((start - now - self.tolerance) as f64 / 1e9);
            }
            match self.tat.compare_exchange_weak(tat, start + self.interval, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(actual) => tat = actual,
            }
        }
    }
}

/// Why a key was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyCheck {
    /// Accepted: the key's index.
    Ok(usize),
    /// Not a configured key.
    Unknown,
}

impl ApiKeys {
    /// Keys with a budget of `rate_per_second` requests and `bytes_per_second` bytes each.
    pub fn new(keys: &[SecretBytes], rate_per_second: u32, bytes_per_second: u64) -> Self {
        let now = Instant::now();
        let keys = keys
            .iter()
            .map(|k| ApiKey {
                digest: Sha256::digest(k.as_bytes()).into(),
                bucket: TokenBucket::new(rate_per_second, now),
                bytes: ByteBucket::new(bytes_per_second, now),
                usage: KeyUsage::default(),
            })
            .collect();
        Self { keys }
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` without keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Takes `n` bytes from key `index`'s byte budget; on refusal, the seconds until they are available.
    pub fn take_bytes(&self, index: usize, n: usize, now: Instant) -> Result<(), f64> {
        match self.keys.get(index) {
            Some(k) => k.bytes.try_take(n, now),
            None => Err(1.0),
        }
    }

    /// Gives back `n` bytes of key `index`'s budget (taken, then not served).
    pub fn refund_bytes(&self, index: usize, n: usize) {
        if let Some(k) = self.keys.get(index) {
            k.bytes.refund(n);
        }
    }

    /// The counters of key `index`.
    pub fn usage(&self, index: usize) -> Option<&KeyUsage> {
        self.keys.get(index).map(|k| &k.usage)
    }

    /// Finds `presented` among the keys in constant time.
    pub fn check(&self, presented: &[u8]) -> KeyCheck {
        let d: [u8; 32] = Sha256::digest(presented).into();
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, k) in self.keys.iter().enumerate() {
            let hit = k.digest.ct_eq(&d);
            index.conditional_assign(&(i as u64), hit & !found);
            found |= hit;
        }
        if bool::from(found) { KeyCheck::Ok(index as usize) } else { KeyCheck::Unknown }
    }

    /// Takes a token from key `index`'s bucket; on refusal, the seconds until the next token.
    pub fn take_token(&self, index: usize, now: Instant) -> Result<(), f64> {
        match self.keys.get(index) {
            Some(k) => k.bucket.try_take(now),
            None => Err(1.0),
        }
    }

    /// Appends the per-key counters in the Prometheus text format: `qrngdd_key_bytes_served_total` and
    /// `qrngdd_key_rate_limited_total{limit="requests"|"bytes"}`, labelled `key="key#<index>"`.
    pub fn render_usage(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(
            out,
            "# HELP qrngdd_key_bytes_served_total Random bytes served, by API key.\n# TYPE qrngdd_key_bytes_served_total counter"
        );
        for (i, k) in self.keys.iter().enumerate() {
            let _ = writeln!(
                out,
                "qrngdd_key_bytes_served_total{{key=\"key#{i}\"}} {}",
                k.usage.bytes_served.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP qrngdd_key_rate_limited_total Requests refused over a key's request or byte budget.\n# TYPE qrngdd_key_rate_limited_total counter"
        );
        for (i, k) in self.keys.iter().enumerate() {
            for (limit, c) in [("requests", &k.usage.limited_requests), ("bytes", &k.usage.limited_bytes)] {
                let _ = writeln!(
                    out,
                    "qrngdd_key_rate_limited_total{{key=\"key#{i}\",limit=\"{limit}\"}} {}",
                    c.load(Ordering::Relaxed)
                );
            }
        }
    }

    /// A non-secret label for key `index` in logs: `key#<index>`.
    pub fn label(index: usize) -> String {
        format!("key#{index}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn keys_are_found_and_others_refused() {
        let keys = ApiKeys::new(
            &[SecretBytes::from_slice(b"first-key-0123456789"), SecretBytes::from_slice(b"second-key-0123456789")],
            10,
            1 << 20,
        );
        assert_eq!(format!("{keys:?}"), "ApiKeys { count: 2, .. }");
        assert_eq!(keys.check(b"second-key-0123456789"), KeyCheck::Ok(1));
        assert_eq!(keys.check(b"first-key-0123456789"), KeyCheck::Ok(0));
        assert_eq!(keys.check(b"first-key-012345678"), KeyCheck::Unknown);
        assert_eq!(keys.check(b""), KeyCheck::Unknown);
    }

    #[test]
    fn token_bucket_allows_burst_then_rate() {
        let t = Instant::now();
        let b = TokenBucket::new(5, t);
        for _ in 0..5 {
            b.try_take(t).unwrap();
        }
        let wait = b.try_take(t).unwrap_err();
        assert!((wait - 0.2).abs() < 1e-9, "{wait}");
        b.try_take(t + Duration::from_millis(200)).unwrap();
        assert!(b.try_take(t + Duration::from_millis(200)).is_err());
        // Never more than one second of burst.
        let later = t + Duration::from_secs(100);
        for _ in 0..5 {
            b.try_take(later).unwrap();
        }
        assert!(b.try_take(later).is_err());
    }

    #[test]
    fn byte_bucket_allows_a_second_of_bytes_then_the_rate() {
        let t = Instant::now();
        let b = ByteBucket::new(1000, t);
        b.try_take(600, t).unwrap();
        b.try_take(400, t).unwrap();
        let wait = b.try_take(100, t).unwrap_err();
        assert!((wait - 0.1).abs() < 1e-9, "{wait}");
        b.try_take(100, t + Duration::from_millis(100)).unwrap();
        // A refund makes room again.
        b.refund(100);
        b.try_take(100, t + Duration::from_millis(100)).unwrap();
        // Larger than the burst: passes only from a full bucket, then the key waits off the debt.
        let later = t + Duration::from_secs(10);
        b.try_take(5000, later).unwrap();
        assert!(b.try_take(1, later + Duration::from_secs(3)).is_err());
        b.try_take(1, later + Duration::from_secs(5)).unwrap();
    }
}
