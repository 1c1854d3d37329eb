//! The gateway's entropy buffer: a fixed-capacity ring that serves every byte at most once.
//!
//! * Memory: one allocation of `capacity` bytes (zero pages until written), plus at most one age record
//!   per second of buffered data; nothing grows with traffic.
//! * A push is stored whole or not at all ([`PushOutcome::Refused`]); with [`OverflowPolicy::Replace`]
//!   the oldest bytes are dropped to make room.
//! * Bytes leave the ring exactly once: served ([`EntropyRing::take`]), expired (older than the buffer
//!   TTL) or replaced; their place in the ring is zeroized as they leave.

use crate::config::OverflowPolicy;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// Result of [`EntropyRing::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushOutcome {
    /// Stored whole; `dropped` older bytes were replaced to make room.
    Stored {
        /// Bytes dropped under [`OverflowPolicy::Replace`].
        dropped: usize,
    },
    /// Not stored at all: not enough room (or larger than the whole buffer).
    Refused {
        /// Free bytes at the time.
        free: usize,
    },
}

/// A fixed-capacity FIFO of random bytes.
pub struct EntropyRing {
    buf: Box<[u8]>,
    /// Total bytes ever consumed (served, expired or replaced) and ever written; `write - read` are held.
    read: u64,
    write: u64,
    /// `(end position, arrival)` of buffered data, merged per second; only kept when a TTL is set.
    ages: VecDeque<(u64, Instant)>,
    ttl: Option<Duration>,
    policy: OverflowPolicy,
    last_push: Option<Instant>,
    expired_total: u64,
    replaced_total: u64,
}

impl core::fmt::Debug for EntropyRing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EntropyRing").field("capacity", &self.capacity()).field("len", &self.len()).finish()
    }
}

impl EntropyRing {
    /// A ring of `capacity` bytes.
    pub fn new(capacity: usize, ttl: Option<Duration>, policy: OverflowPolicy) -> Self {
        Self {
            buf: vec![0u8; capacity.max(1)].into_boxed_slice(),
            read: 0,
            write: 0,
            ages: VecDeque::new(),
            ttl,
            policy,
            last_push: None,
            expired_total: 0,
            replaced_total: 0,
        }
    }

    /// Capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        (self.write - self.read) as usize
    }

    /// `true` when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes dropped for age, in total.
    pub fn expired_total(&self) -> u64 {
        self.expired_total
    }

    /// Bytes dropped to make room (replace policy), in total.
    pub fn replaced_total(&self) -> u64 {
        self.replaced_total
    }

    /// When data last arrived.
    pub fn last_push(&self) -> Option<Instant> {
        self.last_push
    }

    /// Arrival time of the oldest held byte (when a TTL is set).
    pub fn oldest(&self) -> Option<Instant> {
        if self.is_empty() { None } else { self.ages.front().map(|a| a.1) }
    }

    /// Zeroizes `n` bytes from the read position and advances it.
    fn discard(&mut self, n: usize) {
        let cap = self.buf.len();
        let mut left = n;
        while left > 0 {
            let at = (self.read % cap as u64) as usize;
            let run = left.min(cap - at);
            self.buf[at..at + run].zeroize();
            self.read += run as u64;
            left -= run;
        }
        while self.ages.front().is_some_and(|a| a.0 <= self.read) {
            self.ages.pop_front();
        }
    }

    /// Drops bytes older than the TTL.
    pub fn expire(&mut self, now: Instant) {
        let Some(ttl) = self.ttl else { return };
        while let Some(&(end, at)) = self.ages.front() {
            if now.saturating_duration_since(at) <= ttl {
                break;
            }
            let n = end.saturating_sub(self.read) as usize;
            self.expired_total += n as u64;
            // Also drops this record (and any others now fully consumed).
            self.discard(n);
        }
    }

    /// Stores `data` whole, or refuses it (see [`PushOutcome`]).
    pub fn push(&mut self, data: &[u8], now: Instant) -> PushOutcome {
        self.expire(now);
        let cap = self.buf.len();
        let free = cap - self.len();
        if data.len() > cap {
            return PushOutcome::Refused { free };
        }
        let mut dropped = 0;
        if data.len() > free {
            match self.policy {
                OverflowPolicy::Discard => return PushOutcome::Refused { free },
                OverflowPolicy::Replace => {
                    dropped = data.len() - free;
                    self.replaced_total += dropped as u64;
                    self.discard(dropped);
                }
            }
        }
        let mut src = data;
        while !src.is_empty() {
            let at = (self.write % cap as u64) as usize;
            let run = src.len().min(cap - at);
            self.buf[at..at + run].copy_from_slice(&src[..run]);
            self.write += run as u64;
            src = &src[run..];
        }
        if self.ttl.is_some() {
            match self.ages.back_mut() {
                // Merge arrivals within one second (the TTL's resolution) into one record.
                Some(last) if now.saturating_duration_since(last.1) < Duration::from_secs(1) => last.0 = self.write,
                _ => self.ages.push_back((self.write, now)),
            }
        }
        self.last_push = Some(now);
        PushOutcome::Stored { dropped }
    }

    /// Moves `dest.len()` bytes out of the ring into `dest`, or nothing if fewer are held. The bytes'
    /// place in the ring is zeroized: each byte is served at most once.
    pub fn take(&mut self, dest: &mut [u8], now: Instant) -> bool {
        self.expire(now);
        if dest.len() > self.len() {
            return false;
        }
        let cap = self.buf.len();
        let mut done = 0;
        while done < dest.len() {
            let at = (self.read % cap as u64) as usize;
            let run = (dest.len() - done).min(cap - at);
            dest[done..done + run].copy_from_slice(&self.buf[at..at + run]);
            self.buf[at..at + run].zeroize();
            self.read += run as u64;
            done += run;
        }
        while self.ages.front().is_some_and(|a| a.0 <= self.read) {
            self.ages.pop_front();
        }
        true
    }
}

impl Drop for EntropyRing {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_whole_pushes_and_single_use() {
        let t = Instant::now();
        let mut r = EntropyRing::new(10, None, OverflowPolicy::Discard);
        assert_eq!(r.push(&[1, 2, 3, 4, 5, 6], t), PushOutcome::Stored { dropped: 0 });
        assert_eq!(r.push(&[7, 8, 9, 10, 11], t), PushOutcome::Refused { free: 4 });
        assert_eq!(r.len(), 6);
        let mut out = [0u8; 4];
        assert!(r.take(&mut out, t));
        assert_eq!(out, [1, 2, 3, 4]);
        // Wraps around.
        assert_eq!(r.push(&[7, 8, 9, 10, 11, 12, 13, 14], t), PushOutcome::Stored { dropped: 0 });
        let mut out = [0u8; 10];
        assert!(r.take(&mut out, t));
        assert_eq!(out, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
        assert!(!r.take(&mut [0u8; 1], t));
        // Everything served was zeroized in place.
        assert!(r.buf.iter().all(|&b| b == 0));
        assert_eq!(r.push(&[0; 11], t), PushOutcome::Refused { free: 10 });
    }

    #[test]
    fn replace_policy_drops_oldest() {
        let t = Instant::now();
        let mut r = EntropyRing::new(8, None, OverflowPolicy::Replace);
        r.push(&[1, 2, 3, 4, 5, 6], t);
        assert_eq!(r.push(&[7, 8, 9, 10], t), PushOutcome::Stored { dropped: 2 });
        let mut out = [0u8; 8];
        assert!(r.take(&mut out, t));
        assert_eq!(out, [3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(r.replaced_total(), 2);
    }

    #[test]
    fn ttl_expires_old_bytes() {
        let t = Instant::now();
        let mut r = EntropyRing::new(100, Some(Duration::from_secs(10)), OverflowPolicy::Discard);
        r.push(&[1; 30], t);
        r.push(&[2; 20], t + Duration::from_secs(5));
        let mut out = [0u8; 10];
        assert!(r.take(&mut out, t + Duration::from_secs(6)));
        assert_eq!(out, [1; 10]);
        r.expire(t + Duration::from_secs(11));
        assert_eq!((r.len(), r.expired_total()), (20, 20));
        assert!(r.take(&mut out, t + Duration::from_secs(12)));
        assert_eq!(out, [2; 10]);
        r.expire(t + Duration::from_secs(16));
        assert!(r.is_empty());
        assert_eq!(r.expired_total(), 30);
        assert!(r.ages.is_empty());
    }
}
