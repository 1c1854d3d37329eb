//! The gateway: serves buffered quantum entropy to clients and accepts signed packets from collectors.
//!
//! Endpoints (the public QRNG-DD gateway's, same parameters and status codes):
//!
//! | endpoint | auth | answers |
//! |---|---|---|
//! | `GET /api/random?bytes=N&encoding=hex\|base64\|binary` | key | N random bytes (1..=65536; default encoding hex) |
//! | `GET /api/integers?count=N&min=A&max=B` | key | JSON array of N integers in A..=B (unbiased) |
//! | `GET /api/floats?count=N` | key | JSON array of N floats in [0, 1) (53 random bits each) |
//! | `GET /api/uuid?count=N` | key | one UUID v4 as text, or a JSON array for N > 1 |
//! | `GET /api/status` | key | JSON status of the buffer and counters |
//! | `GET /health` | none | 200 when the buffer is filled above the threshold, else 503 |
//! | `GET /metrics` | none | Prometheus text |
//! | `POST /push` | HMAC | an [`EntropyPacket`](qres::qrngdd::EntropyPacket) from a collector |
//!
//! The API key is given as `Authorization: Bearer <key>` or `api_key=<key>`. Client errors: 400 bad
//! parameters, 401 missing or unknown key, 429 over the key's request or byte budget (with `Retry-After`;
//! `QRNG_RATE_LIMIT_PER_SECOND`, `QRNG_RATE_LIMIT_BYTES_PER_SECOND`), 503 not
//! enough entropy buffered. Push errors: 413 body too large, 415 wrong content type, 400 malformed /
//! bad checksum / stale / from the future, 401 bad HMAC, 408 body not whole within the body timeout
//! (`timeout`), 409 replayed or old sequence, 507 not enough room (nothing stored), 503 push not
//! configured, too many uploads in progress from the source address (`address_busy`) or no memory free
//! for push bodies (`busy`). Every push refusal names its reason (the `/metrics`
//! label) in `X-Qrngdd-Reason`. A 409 carries `X-Qrngdd-Last-Sequence`, the last
//! sequence accepted under the packet's key (the packet was authenticated, so only a key holder learns it).
//!
//! Slow peers: a request's headers must arrive within `QRNG_HEADER_TIMEOUT_SECS`, a push body within
//! `QRNG_BODY_TIMEOUT_SECS` after them (held in memory under `QRNG_PUSH_MEMORY_BYTES`, at most
//! `QRNG_MAX_PUSHES_PER_ADDRESS` at once per address); a verification slot ([`PUSH_SLOTS`]) is taken only
//! once the body is in; and a connection whose answer is not read for `QRNG_WRITE_TIMEOUT_SECS` is closed.
//!
//! Every refusal is a `tracing` event with target `qrngdd::audit`, the peer address, the reason and, for
//! pushes, the packet's sequence when it could be decoded.

mod handlers;
pub use handlers::{LAST_SEQUENCE_HEADER, REASON_HEADER};
pub mod io;
pub mod push;
pub use push::{PushVerdict, decide_push};
pub mod server;

use crate::auth::ApiKeys;
use crate::buffer::EntropyRing;
use crate::config::GatewayConfig;
use crate::limits::PerAddress;
use crate::metrics::{BufferGauge, Metrics};
use axum::Router;
use axum::routing::{get, post};
use qres::qrngdd::{PacketVerifier, SequenceGuard, unix_nanos_now};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Concurrent `/push` verifications at most. A slot is taken only once the whole body has arrived (the
/// bodies being read are bounded by `QRNG_PUSH_MEMORY_BYTES`, `QRNG_MAX_PUSHES_PER_ADDRESS` and
/// `QRNG_BODY_TIMEOUT_SECS` instead), so a slow upload never holds one.
pub const PUSH_SLOTS: usize = 4;

/// The buffer and the sequence state, changed together under one lock.
#[derive(Debug)]
pub struct Store {
    /// Buffered entropy.
    pub ring: EntropyRing,
    /// Per-collector sequence state.
    pub guard: SequenceGuard,
}

/// The gateway's shared state.
#[derive(Debug)]
pub struct Gateway {
    config: GatewayConfig,
    keys: ApiKeys,
    verifier: Option<PacketVerifier>,
    store: Mutex<Store>,
    metrics: Metrics,
    started: Instant,
    push_slots: tokio::sync::Semaphore,
    /// `/push` uploads in progress per source address.
    push_addresses: Arc<PerAddress>,
    /// Bytes of `/push` bodies in memory (one permit a byte).
    push_memory: tokio::sync::Semaphore,
}

impl Gateway {
    /// A gateway with an empty buffer.
    pub fn new(config: GatewayConfig) -> Result<Arc<Self>, String> {
        let verifier = if config.hmac_keys.is_empty() {
            None
        } else {
            Some(PacketVerifier::new(config.hmac_keys.clone(), config.verifier.clone()).map_err(|e| e.to_string())?)
        };
        let guard = SequenceGuard::new(unix_nanos_now(), &config.verifier);
        let ring = EntropyRing::new(config.buffer_size, config.buffer_ttl, config.overflow);
        Ok(Arc::new(Self {
            keys: ApiKeys::new(&config.api_keys, config.rate_limit_per_second, config.rate_limit_bytes_per_second),
            verifier,
            store: Mutex::new(Store { ring, guard }),
            metrics: Metrics::default(),
            started: Instant::now(),
            push_slots: tokio::sync::Semaphore::new(PUSH_SLOTS),
            push_addresses: PerAddress::new(config.max_pushes_per_address),
            push_memory: tokio::sync::Semaphore::new(config.push_memory.min(tokio::sync::Semaphore::MAX_PERMITS)),
            config,
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Locks the buffer (a poisoned lock is recovered: the ring's invariants hold between statements).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Buffer figures.
    pub fn gauge(&self) -> BufferGauge {
        let s = self.store();
        BufferGauge {
            bytes: s.ring.len(),
            capacity: s.ring.capacity(),
            expired: s.ring.expired_total(),
            replaced: s.ring.replaced_total(),
        }
    }

    /// Buffer fill in percent.
    pub fn fill_percent(&self) -> f64 {
        let g = self.gauge();
        100.0 * g.bytes as f64 / g.capacity as f64
    }

    /// Seconds since start.
    pub fn uptime_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// The HTTP routes over `gateway`.
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/api/random", get(handlers::random))
        .route("/api/integers", get(handlers::integers))
        .route("/api/floats", get(handlers::floats))
        .route("/api/uuid", get(handlers::uuid))
        .route("/api/status", get(handlers::status))
        .route("/health", get(handlers::health))
        .route("/metrics", get(handlers::metrics))
        .route("/push", post(handlers::push))
        .with_state(gateway)
}
