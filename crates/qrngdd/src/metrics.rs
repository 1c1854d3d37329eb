//! Gateway counters, rendered in the Prometheus text format at `/metrics`.
//!
//! Counters are relaxed atomics (one per event kind, no labels allocated per request). The two
//! histograms (request latency by route, push size) are the `prometheus` crate's: lock-free atomic
//! buckets, the handle of each route made once, rendered by its text encoder after the counters.
//! (`prometheus-client`'s histogram takes a mutex per observation, which the hot path would contend on.)

use prometheus::core::Collector as _;
use prometheus::{Histogram, HistogramOpts, HistogramVec};
use qres::qrngdd::PacketError;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Routes of the request-latency histogram (`route` label); any other path is `other`.
pub const LATENCY_ROUTES: [&str; 9] = [
    "/api/random",
    "/api/integers",
    "/api/floats",
    "/api/uuid",
    "/api/status",
    "/push",
    "/health",
    "/metrics",
    "other",
];

/// The index of `/api/random` in [`LATENCY_ROUTES`].
pub const ROUTE_RANDOM: usize = 0;

/// Upper bounds (seconds) of the request-latency buckets: 50 µs to 10 s.
pub const LATENCY_BUCKETS: [f64; 16] =
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Upper bounds (payload bytes) of the push-size buckets: 256 B to 4 MiB.
pub const PUSH_SIZE_BUCKETS: [f64; 9] =
    [256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 2097152.0, 4194304.0];

/// The two histograms.
#[derive(Debug, Clone)]
struct Histograms {
    latency: HistogramVec,
    /// One handle per [`LATENCY_ROUTES`] entry.
    routes: Vec<Histogram>,
    push_size: Histogram,
}

impl Default for Histograms {
    fn default() -> Self {
        // The options are constants known to be valid; `expect` cannot fire on outside input.
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "qrngdd_request_duration_seconds",
                "Time from a request's headers to its answer, by route (a push includes its body upload).",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )
        .expect("valid histogram options");
        let routes = LATENCY_ROUTES.iter().map(|r| latency.with_label_values(&[*r])).collect();
        let push_size = Histogram::with_opts(
            HistogramOpts::new("qrngdd_push_size_bytes", "Payload bytes of accepted pushes.")
                .buckets(PUSH_SIZE_BUCKETS.to_vec()),
        )
        .expect("valid histogram options");
        Self { latency, routes, push_size }
    }
}

/// The index of `path` in [`LATENCY_ROUTES`].
pub fn latency_route(path: &str) -> usize {
    LATENCY_ROUTES.iter().position(|r| *r == path).unwrap_or(LATENCY_ROUTES.len() - 1)
}

/// Why a push was refused beyond the packet checks.
pub const PUSH_EXTRA_REASONS: [&str; 6] =
    ["content_type", "buffer_full", "push_disabled", "busy", "address_busy", "timeout"];

/// Why the gateway closed or refused a connection, in the order of [`ConnectionClose`].
pub const CONNECTION_REASONS: [&str; 3] = ["write_timeout", "address_limit", "shed_idle"];

/// Why the gateway closed or refused a connection (index into [`CONNECTION_REASONS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionClose {
    /// The peer read nothing of an answer within the write timeout.
    WriteTimeout = 0,
    /// The source address already had its most connections open: refused at accept.
    AddressLimit = 1,
    /// Idle (no request in progress) and the oldest such, closed to make room for a new connection.
    ShedIdle = 2,
}

/// Why a client request was refused.
pub const CLIENT_REASONS: [&str; 6] =
    ["missing_api_key", "bad_api_key", "rate_limited", "bad_request", "insufficient_entropy", "byte_rate_limited"];

/// The gateway's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    push_accepted: AtomicU64,
    push_rejected: [AtomicU64; PacketError::REASONS.len() + PUSH_EXTRA_REASONS.len()],
    client_ok: [AtomicU64; ENDPOINTS.len()],
    client_rejected: [AtomicU64; CLIENT_REASONS.len()],
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    connections_closed: [AtomicU64; CONNECTION_REASONS.len()],
    sequence_gaps: AtomicU64,
    histograms: Histograms,
}

/// The client endpoints, in the order of [`Endpoint`].
pub const ENDPOINTS: [&str; 5] = ["/api/random", "/api/integers", "/api/floats", "/api/uuid", "/api/status"];

/// A client endpoint (index into [`ENDPOINTS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// `/api/random`
    Random = 0,
    /// `/api/integers`
    Integers = 1,
    /// `/api/floats`
    Floats = 2,
    /// `/api/uuid`
    Uuid = 3,
    /// `/api/status`
    Status = 4,
}

/// A client refusal (index into [`CLIENT_REASONS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientReject {
    /// No API key presented.
    MissingApiKey = 0,
    /// An API key that is not configured.
    BadApiKey = 1,
    /// Over the key's rate limit.
    RateLimited = 2,
    /// Bad parameters.
    BadRequest = 3,
    /// Not enough entropy buffered.
    InsufficientEntropy = 4,
    /// Over the key's byte budget.
    ByteRateLimited = 5,
}

impl ClientReject {
    /// The metric label.
    pub fn label(self) -> &'static str {
        CLIENT_REASONS[self as usize]
    }
}

/// Buffer figures sampled when rendering.
#[derive(Debug, Clone, Copy)]
pub struct BufferGauge {
    /// Bytes held.
    pub bytes: usize,
    /// Capacity.
    pub capacity: usize,
    /// Bytes dropped for age, in total.
    pub expired: u64,
    /// Bytes dropped to make room, in total.
    pub replaced: u64,
}

impl Metrics {
    /// Counts an accepted push of `bytes` payload bytes.
    pub fn push_accepted(&self, bytes: usize) {
        self.push_accepted.fetch_add(1, Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Relaxed);
        self.histograms.push_size.observe(bytes as f64);
    }

    /// Counts an accepted packet whose sequence did not follow its stream's previous one.
    pub fn sequence_gap(&self) {
        self.sequence_gaps.fetch_add(1, Relaxed);
    }

    /// Records how long a request on route `route` (an index from [`latency_route`]) took.
    pub fn request_latency(&self, route: usize, took: Duration) {
        if let Some(h) = self.histograms.routes.get(route) {
            h.observe(took.as_secs_f64());
        }
    }

    /// Counts a refused push by reason label (a [`PacketError::reason`] or one of
    /// [`PUSH_EXTRA_REASONS`]).
    pub fn push_rejected(&self, reason: &str) {
        if let Some(i) = PacketError::REASONS.iter().chain(PUSH_EXTRA_REASONS.iter()).position(|r| *r == reason) {
            self.push_rejected[i].fetch_add(1, Relaxed);
        }
    }

    /// Counts a served request and its bytes.
    pub fn served(&self, endpoint: Endpoint, bytes: usize) {
        self.client_ok[endpoint as usize].fetch_add(1, Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }

    /// Counts a refused client request.
    pub fn client_rejected(&self, why: ClientReject) {
        self.client_rejected[why as usize].fetch_add(1, Relaxed);
    }

    /// Counts a connection closed or refused by the gateway.
    pub fn connection_closed(&self, why: ConnectionClose) {
        self.connections_closed[why as usize].fetch_add(1, Relaxed);
    }

    /// Requests served, all endpoints.
    pub fn requests_served(&self) -> u64 {
        self.client_ok.iter().map(|c| c.load(Relaxed)).sum()
    }

    /// Payload bytes served.
    pub fn bytes_out(&self) -> u64 {
        self.bytes_out.load(Relaxed)
    }

    /// Prometheus text exposition.
    pub fn render(&self, buffer: BufferGauge, uptime_secs: f64) -> String {
        let mut s = String::with_capacity(4096);
        let mut counter = |name: &str, help: &str, rows: &[(Option<(&str, &str)>, u64)]| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter");
            for (label, v) in rows {
                match label {
                    Some((k, l)) => _ = writeln!(s, "{name}{{{k}=\"{l}\"}} {v}"),
                    None => _ = writeln!(s, "{name} {v}"),
                }
            }
        };
        counter("qrngdd_push_accepted_total", "Entropy packets accepted.", &[(None, self.push_accepted.load(Relaxed))]);
        let rows: Vec<_> = PacketError::REASONS
            .iter()
            .chain(PUSH_EXTRA_REASONS.iter())
            .zip(&self.push_rejected)
            .map(|(r, c)| (Some(("reason", *r)), c.load(Relaxed)))
            .collect();
        counter("qrngdd_push_rejected_total", "Entropy packets refused, by reason.", &rows);
        let hmac =
            self.push_rejected[PacketError::REASONS.iter().position(|r| *r == "hmac").unwrap_or(0)].load(Relaxed);
        counter("qrngdd_hmac_failures_total", "Packets whose HMAC verified under no configured key.", &[(None, hmac)]);
        let rows: Vec<_> =
            ENDPOINTS.iter().zip(&self.client_ok).map(|(e, c)| (Some(("endpoint", *e)), c.load(Relaxed))).collect();
        counter("qrngdd_requests_served_total", "Client requests served, by endpoint.", &rows);
        let rows: Vec<_> = CLIENT_REASONS
            .iter()
            .zip(&self.client_rejected)
            .map(|(r, c)| (Some(("reason", *r)), c.load(Relaxed)))
            .collect();
        counter("qrngdd_requests_rejected_total", "Client requests refused, by reason.", &rows);
        let limited = self.client_rejected[ClientReject::RateLimited as usize].load(Relaxed);
        counter("qrngdd_rate_limited_total", "Client requests over their key's rate limit.", &[(None, limited)]);
        counter(
            "qrngdd_bytes_in_total",
            "Payload bytes accepted from collectors.",
            &[(None, self.bytes_in.load(Relaxed))],
        );
        counter("qrngdd_bytes_out_total", "Random bytes served to clients.", &[(None, self.bytes_out.load(Relaxed))]);
        let rows: Vec<_> = CONNECTION_REASONS
            .iter()
            .zip(&self.connections_closed)
            .map(|(r, c)| (Some(("reason", *r)), c.load(Relaxed)))
            .collect();
        counter("qrngdd_connections_closed_total", "Connections closed or refused by the gateway, by reason.", &rows);
        counter(
            "qrngdd_sequence_gaps_total",
            "Accepted packets whose sequence is not the one after their stream's previous packet (lost packets, or a collector restart).",
            &[(None, self.sequence_gaps.load(Relaxed))],
        );
        counter("qrngdd_bytes_expired_total", "Buffered bytes dropped for age.", &[(None, buffer.expired)]);
        counter("qrngdd_bytes_replaced_total", "Buffered bytes dropped to make room.", &[(None, buffer.replaced)]);
        let fill = if buffer.capacity == 0 { 0.0 } else { buffer.bytes as f64 / buffer.capacity as f64 };
        let _ = write!(
            s,
            "# HELP qrngdd_buffer_bytes Random bytes buffered.\n# TYPE qrngdd_buffer_bytes gauge\nqrngdd_buffer_bytes {}\n\
             # HELP qrngdd_buffer_capacity_bytes Buffer capacity.\n# TYPE qrngdd_buffer_capacity_bytes gauge\nqrngdd_buffer_capacity_bytes {}\n\
             # HELP qrngdd_buffer_fill_ratio Buffer fill (0 to 1).\n# TYPE qrngdd_buffer_fill_ratio gauge\nqrngdd_buffer_fill_ratio {fill:.6}\n\
             # HELP qrngdd_uptime_seconds Seconds since start.\n# TYPE qrngdd_uptime_seconds gauge\nqrngdd_uptime_seconds {uptime_secs:.3}\n",
            buffer.bytes, buffer.capacity
        );
        let mut families = self.histograms.latency.collect();
        families.extend(self.histograms.push_size.collect());
        if let Err(e) = prometheus::TextEncoder::new().encode_utf8(&families, &mut s) {
            tracing::error!(error = %e, "cannot render the histograms");
        }
        s
    }
}

/// Reads `name{label="value"}` (or `name` without labels) from a Prometheus text exposition.
pub fn scrape(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (k, v) = l.rsplit_once(' ')?;
        (k == series).then(|| v.parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_scrapes() {
        let m = Metrics::default();
        m.push_accepted(100);
        m.push_rejected("hmac");
        m.push_rejected("buffer_full");
        m.served(Endpoint::Random, 32);
        m.client_rejected(ClientReject::RateLimited);
        let t = m.render(BufferGauge { bytes: 68, capacity: 1000, expired: 0, replaced: 0 }, 1.0);
        assert_eq!(scrape(&t, "qrngdd_push_accepted_total"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_push_rejected_total{reason=\"hmac\"}"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_push_rejected_total{reason=\"buffer_full\"}"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_push_rejected_total{reason=\"stale\"}"), Some(0.0));
        assert_eq!(scrape(&t, "qrngdd_hmac_failures_total"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_rate_limited_total"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_requests_served_total{endpoint=\"/api/random\"}"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_bytes_in_total"), Some(100.0));
        assert_eq!(scrape(&t, "qrngdd_bytes_out_total"), Some(32.0));
        assert_eq!(scrape(&t, "qrngdd_buffer_fill_ratio"), Some(0.068));
        assert_eq!(scrape(&t, "qrngdd_sequence_gaps_total"), Some(0.0));
        assert_eq!(scrape(&t, "qrngdd_push_size_bytes_count"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_push_size_bytes_bucket{le=\"256\"}"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_push_size_bytes_sum"), Some(100.0));
    }

    #[test]
    fn latency_histogram_by_route() {
        let m = Metrics::default();
        m.request_latency(latency_route("/api/random"), Duration::from_micros(70));
        m.request_latency(latency_route("/api/random"), Duration::from_millis(3));
        m.request_latency(latency_route("/nowhere"), Duration::from_secs(20));
        let t = m.render(BufferGauge { bytes: 0, capacity: 1, expired: 0, replaced: 0 }, 1.0);
        let bucket = |route: &str, le: &str| {
            scrape(&t, &format!("qrngdd_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}}"))
        };
        assert_eq!(bucket("/api/random", "0.00005"), Some(0.0));
        assert_eq!(bucket("/api/random", "0.0001"), Some(1.0));
        assert_eq!(bucket("/api/random", "0.005"), Some(2.0));
        assert_eq!(bucket("other", "10"), Some(0.0));
        assert_eq!(bucket("other", "+Inf"), Some(1.0));
        assert_eq!(scrape(&t, "qrngdd_request_duration_seconds_count{route=\"/push\"}"), Some(0.0));
    }
}
