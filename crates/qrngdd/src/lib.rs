//! # qrngdd — QRNG-DD gateway and collector
//!
//! Quantum random numbers cross from an internal network to an outside one through a one-way push:
//!
//! ```text
//!  Quantis appliance / device ──> qrngdd-collector ──POST /push (signed packets)──> qrngdd-gateway ──> clients
//!        internal network            (no listening socket)                          (outside)       /api/random
//! ```
//!
//! Wire-compatible with the public QRNG-DD project (v1.0.0): its collector can push to our gateway and
//! ours to its gateway; clients of either gateway work with the other. Stricter than it: packet TTL and
//! clock-skew limits, strictly increasing sequences per collector key, several HMAC keys for rotation,
//! constant-time key checks, per-key rate limits, pushes stored whole or refused (507), every byte served
//! at most once, memory bounded by the buffer, TLS 1.3 only with the post-quantum hybrid `X25519MLKEM768`
//! preferred, an audit event for every refusal.
//!
//! * [`gateway`]: the HTTP server (axum on tokio, rustls);
//! * [`collector`]: the pushing side (blocking, ureq);
//! * [`config`]: both configurations from environment variables;
//! * [`buffer`], [`auth`], [`limits`], [`metrics`], [`tls`]: the gateway's parts.
//!
//! The packet codec is `qres::qrngdd`; the client is `qres::entropy::QrngDdSource`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod buffer;
pub mod collector;
pub mod config;
pub mod gateway;
pub mod limits;
pub mod metrics;
pub mod tls;

/// Logs JSON lines to standard output; `RUST_LOG` filters (default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).try_init();
}
