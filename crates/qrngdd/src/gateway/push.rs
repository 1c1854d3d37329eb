//! The push decision: what the gateway answers to a `/push` body, and what it stores. Pure and
//! synchronous (no I/O, no clock of its own), so that tests and fuzzers can drive it directly.

use super::Store;
use crate::buffer::PushOutcome;
use axum::http::StatusCode;
use qres::qrngdd::{KeyFingerprint, PacketError, PacketVerifier};
use std::sync::Mutex;
use std::time::Instant;

/// The gateway's answer to one pushed body, decided by [`decide_push`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushVerdict {
    /// The HTTP status: 200 stored; 400 malformed, bad checksum, stale, from the future or predating the
    /// start; 401 bad HMAC; 409 replayed or old sequence; 413 too large; 507 no room (nothing stored).
    pub status: StatusCode,
    /// The refusal's reason label (as in `/metrics` and `X-Qrngdd-Reason`); `None` when stored.
    pub reason: Option<&'static str>,
    /// The packet's sequence number, when the body could be decoded (unauthenticated if the HMAC failed).
    pub sequence: Option<u64>,
    /// The key the packet verified under, once it did.
    pub key: Option<KeyFingerprint>,
    /// Payload bytes stored in the buffer: the packet's whole payload when accepted, else 0.
    pub stored: usize,
    /// Older buffered bytes dropped to make room (the `replace` overflow policy).
    pub dropped: usize,
    /// With a 409: the last sequence accepted under the packet's key.
    pub last_sequence: Option<u64>,
    /// Accepted, and its sequence is not the one after the key's previous packet (packets of the stream
    /// are missing, or the collector restarted): a sequence gap. `false` for a stream's first packet.
    pub gap: bool,
    /// A human-readable explanation (for the audit log and the answer's body; no secrets).
    pub detail: String,
}

impl PushVerdict {
    fn refused(status: StatusCode, reason: &'static str, sequence: Option<u64>, detail: String) -> Self {
        Self {
            status,
            reason: Some(reason),
            sequence,
            key: None,
            stored: 0,
            dropped: 0,
            last_sequence: None,
            gap: false,
            detail,
        }
    }

    /// Whether the payload was stored.
    pub fn accepted(&self) -> bool {
        self.reason.is_none()
    }
}

/// The HTTP status of a packet refusal.
pub fn push_status(e: &PacketError) -> StatusCode {
    match e {
        PacketError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        PacketError::BadSignature => StatusCode::UNAUTHORIZED,
        PacketError::Replayed { .. } => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Decides a pushed `body` received at `now_ns` (nanoseconds since the Unix epoch; `now` is the same
/// moment on the monotonic clock, for the buffer's ages): checks 1-5 of [`qres::qrngdd::verify`] with
/// `verifier` (outside the lock), then, under `store`'s lock, the sequence check and the store of the
/// whole payload, or of nothing.
///
/// Guarantees, for any input: no panic; a refusal stores nothing; an acceptance stores exactly the
/// packet's payload length. A packet whose sequence was admitted stays
/// consumed even if it finds no room (a resend of it is a replay).
pub fn decide_push(
    body: &[u8],
    verifier: &PacketVerifier,
    store: &Mutex<Store>,
    now_ns: i64,
    now: Instant,
) -> PushVerdict {
    let verified = match verifier.check(body, now_ns) {
        Ok(v) => v,
        Err((e, seq)) => return PushVerdict::refused(push_status(&e), e.reason(), seq, e.to_string()),
    };
    let seq = verified.packet.sequence;
    let len = verified.packet.data.len();
    let mut gap = false;
    let outcome = {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        let previous = store.guard.last_sequence(&verified.key);
        match store.guard.admit(&verified, now_ns) {
            Err(e) => Err(e),
            // The sequence stays consumed even if there is no room (see SequenceGuard).
            Ok(()) => {
                gap = previous.is_some_and(|last| last.checked_add(1) != Some(seq));
                Ok(store.ring.push(&verified.packet.data, now))
            }
        }
    };
    let mut verdict = match outcome {
        Err(e) => {
            let mut v = PushVerdict::refused(push_status(&e), e.reason(), Some(seq), e.to_string());
            if let PacketError::Replayed { last, .. } = e {
                v.last_sequence = Some(last);
            }
            v
        }
        Ok(PushOutcome::Refused { free }) => PushVerdict::refused(
            StatusCode::INSUFFICIENT_STORAGE,
            "buffer_full",
            Some(seq),
            format!("{len} bytes do not fit ({free} free); nothing stored"),
        ),
        Ok(PushOutcome::Stored { dropped }) => PushVerdict {
            status: StatusCode::OK,
            reason: None,
            sequence: Some(seq),
            key: None,
            stored: len,
            dropped,
            last_sequence: None,
            gap,
            detail: format!("{len} bytes stored"),
        },
    };
    verdict.key = Some(verified.key);
    verdict
}
