//! Endpoint handlers (see the [module documentation](super) for the API).

// Handlers return axum `Response`s as their error values: boxing them would only add an allocation.
#![allow(clippy::result_large_err)]

use super::Gateway;
use crate::auth::{ApiKeys, KeyCheck};
use crate::metrics::{ClientReject, Endpoint};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use qres::qrngdd::{CONTENT_TYPE, unix_nanos_now};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// Header of a 409 answer to an authenticated push: the last sequence accepted under its key.
pub const LAST_SEQUENCE_HEADER: &str = "x-qrngdd-last-sequence";

/// Header of every refused push: the reason label (as in `/metrics`), e.g. `predates_start`.
pub const REASON_HEADER: &str = "x-qrngdd-reason";

/// Largest `/api/random` request.
pub const MAX_BYTES: usize = 65_536;
const MAX_COUNT: usize = 1000;
const MAX_UUIDS: usize = 100;

type Gw = State<Arc<Gateway>>;
type Peer = ConnectInfo<SocketAddr>;

/// The query parameters the API knows; others are ignored. Values borrow from the query string unless
/// they had to be percent-decoded.
#[derive(Default)]
struct Params<'a> {
    api_key: Option<Cow<'a, str>>,
    bytes: Option<Cow<'a, str>>,
    encoding: Option<Cow<'a, str>>,
    count: Option<Cow<'a, str>>,
    min: Option<Cow<'a, str>>,
    max: Option<Cow<'a, str>>,
}

impl<'a> Params<'a> {
    fn parse(query: Option<&'a str>) -> Self {
        let mut p = Self::default();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match &*k {
                "api_key" => &mut p.api_key,
                "bytes" => &mut p.bytes,
                "encoding" => &mut p.encoding,
                "count" => &mut p.count,
                "min" => &mut p.min,
                "max" => &mut p.max,
                _ => continue,
            };
            *slot = Some(v);
        }
        p
    }
}

impl Drop for Params<'_> {
    fn drop(&mut self) {
        if let Some(Cow::Owned(k)) = &mut self.api_key {
            k.zeroize();
        }
    }
}

/// The value of a `Result<T, Response>`, or return its refusal: the preamble every client handler shares
/// (admission, then drawing from the pool).
macro_rules! or_respond {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(refusal) => return refusal,
        }
    };
}

fn plain(status: StatusCode, msg: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], msg).into_response()
}

impl Gateway {
    /// Records and logs a refused client request, and builds its response.
    fn refuse(&self, peer: SocketAddr, endpoint: Endpoint, why: ClientReject, detail: &str) -> Response {
        self.metrics.client_rejected(why);
        tracing::warn!(target: "qrngdd::audit", peer = %peer, endpoint = crate::metrics::ENDPOINTS[endpoint as usize],
            reason = why.label(), detail, "client request refused");
        match why {
            ClientReject::MissingApiKey => plain(StatusCode::UNAUTHORIZED, "API key required\n"),
            ClientReject::BadApiKey => plain(StatusCode::UNAUTHORIZED, "invalid API key\n"),
            ClientReject::RateLimited => plain(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded\n"),
            ClientReject::ByteRateLimited => plain(StatusCode::TOO_MANY_REQUESTS, "byte rate limit exceeded\n"),
            ClientReject::BadRequest => plain(StatusCode::BAD_REQUEST, "bad request\n"),
            ClientReject::InsufficientEntropy => {
                plain(StatusCode::SERVICE_UNAVAILABLE, "not enough entropy buffered\n")
            }
        }
    }

    /// API key (query `api_key` first, as the public gateway, then `Authorization: Bearer`) and rate limit.
    fn admit_client(
        &self,
        peer: SocketAddr,
        endpoint: Endpoint,
        headers: &HeaderMap,
        params: &Params,
        rate_limited: bool,
    ) -> Result<usize, Response> {
        let presented: Option<&[u8]> = match &params.api_key {
            Some(k) => Some(k.as_bytes()),
            None => headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
                .map(|k| k.trim_ascii()),
        };
        let Some(presented) = presented.filter(|k| !k.is_empty()) else {
            return Err(self.refuse(peer, endpoint, ClientReject::MissingApiKey, "no API key"));
        };
        let KeyCheck::Ok(index) = self.keys.check(presented) else {
            return Err(self.refuse(peer, endpoint, ClientReject::BadApiKey, "unknown API key"));
        };
        if rate_limited && let Err(wait) = self.keys.take_token(index, Instant::now()) {
            if let Some(u) = self.keys.usage(index) {
                u.limited_requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            return Err(self.refuse_limited(peer, endpoint, ClientReject::RateLimited, index, wait));
        }
        Ok(index)
    }

    /// A 429 with `Retry-After` (whole seconds, at least 1).
    fn refuse_limited(
        &self,
        peer: SocketAddr,
        endpoint: Endpoint,
        why: ClientReject,
        key: usize,
        wait: f64,
    ) -> Response {
        let mut r = self.refuse(peer, endpoint, why, &ApiKeys::label(key));
        let secs = wait.ceil().max(1.0) as u64;
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }

    /// Moves `n` bytes out of the buffer for key `key`: refuses with 429 over the key's byte budget, or
    /// with 503 when the buffer holds fewer (the budget is then given back).
    fn take(&self, peer: SocketAddr, endpoint: Endpoint, key: usize, n: usize) -> Result<Vec<u8>, Response> {
        let now = Instant::now();
        if let Err(wait) = self.keys.take_bytes(key, n, now) {
            if let Some(u) = self.keys.usage(key) {
                u.limited_bytes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            return Err(self.refuse_limited(peer, endpoint, ClientReject::ByteRateLimited, key, wait));
        }
        let mut out = vec![0u8; n];
        if self.store().ring.take(&mut out, now) {
            if let Some(u) = self.keys.usage(key) {
                u.bytes_served.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(out)
        } else {
            self.keys.refund_bytes(key, n);
            Err(self.refuse(peer, endpoint, ClientReject::InsufficientEntropy, "buffer too low"))
        }
    }
}

fn parse_count(v: Option<&str>, default: Option<usize>, max: usize) -> Option<usize> {
    let n = match v {
        None => default?,
        Some(s) => s.parse().ok()?,
    };
    (1..=max).contains(&n).then_some(n)
}

fn bytes_response(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(Bytes::from(body)));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /api/random`.
pub(super) async fn random(
    State(gw): Gw,
    ConnectInfo(peer): Peer,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    random_response(&gw, peer, q.as_deref(), &headers)
}

/// `GET /api/random` without extractors: the server calls it directly for the hot path.
pub(crate) fn random_response(gw: &Gateway, peer: SocketAddr, query: Option<&str>, headers: &HeaderMap) -> Response {
    let p = Params::parse(query);
    let key = or_respond!(gw.admit_client(peer, Endpoint::Random, headers, &p, true));
    let Some(n) = p.bytes.as_deref().and_then(|b| b.parse::<usize>().ok()).filter(|n| (1..=MAX_BYTES).contains(n))
    else {
        return gw.refuse(peer, Endpoint::Random, ClientReject::BadRequest, "bytes must be 1..=65536");
    };
    #[derive(Clone, Copy)]
    enum Enc {
        Hex,
        Base64,
        Binary,
    }
    let enc = match p.encoding.as_deref() {
        None => Enc::Hex,
        Some(e) if e.eq_ignore_ascii_case("binary") || e.eq_ignore_ascii_case("raw") => Enc::Binary,
        Some(e) if e.eq_ignore_ascii_case("hex") || e.eq_ignore_ascii_case("hexadecimal") => Enc::Hex,
        Some(e) if e.eq_ignore_ascii_case("base64") || e.eq_ignore_ascii_case("b64") => Enc::Base64,
        Some(_) => {
            return gw.refuse(
                peer,
                Endpoint::Random,
                ClientReject::BadRequest,
                "encoding must be hex, base64 or binary",
            );
        }
    };
    let mut data = or_respond!(gw.take(peer, Endpoint::Random, key, n));
    gw.metrics.served(Endpoint::Random, n);
    match enc {
        Enc::Binary => bytes_response("application/octet-stream", data),
        Enc::Hex => {
            let text = hex_encode(&data);
            data.zeroize();
            bytes_response("text/plain; charset=utf-8", text)
        }
        Enc::Base64 => {
            let text = base64::engine::general_purpose::STANDARD.encode(&data).into_bytes();
            data.zeroize();
            bytes_response("text/plain; charset=utf-8", text)
        }
    }
}

fn hex_encode(data: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(data.len() * 2);
    for b in data {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    out
}

fn json_response(body: Vec<u8>) -> Response {
    bytes_response("application/json", body)
}

/// `GET /api/integers`: `count` integers in `min..=max` (defaults 0 and 100), by rejection sampling of
/// 64-bit little-endian words (the public gateway reduces modulo the range, which is biased).
pub(super) async fn integers(
    State(gw): Gw,
    ConnectInfo(peer): Peer,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let p = Params::parse(q.as_deref());
    let key = or_respond!(gw.admit_client(peer, Endpoint::Integers, &headers, &p, true));
    let bad = |d| gw.refuse(peer, Endpoint::Integers, ClientReject::BadRequest, d);
    let Some(count) = parse_count(p.count.as_deref(), None, MAX_COUNT) else { return bad("count must be 1..=1000") };
    let min: i64 = match p.min.as_deref().map(str::parse).transpose() {
        Ok(v) => v.unwrap_or(0),
        Err(_) => return bad("min must be an integer"),
    };
    let max: i64 = match p.max.as_deref().map(str::parse).transpose() {
        Ok(v) => v.unwrap_or(100),
        Err(_) => return bad("max must be an integer"),
    };
    if min >= max {
        return bad("min must be less than max");
    }
    let range = (i128::from(max) - i128::from(min) + 1) as u128; // 2..=2^64
    // Accept words below the largest multiple of `range` that fits in 2^64.
    let limit = (1u128 << 64) - ((1u128 << 64) % range);
    let mut values = Vec::with_capacity(count);
    let mut words = or_respond!(gw.take(peer, Endpoint::Integers, key, 8 * count));
    let mut used = 8 * count;
    let mut i = 0;
    while values.len() < count {
        if i == words.len() {
            // Rare: a rejected word; draw another.
            words.zeroize();
            words = or_respond!(gw.take(peer, Endpoint::Integers, key, 8));
            used += 8;
            i = 0;
        }
        let w = u64::from_le_bytes(words[i..i + 8].try_into().unwrap_or_default());
        i += 8;
        if u128::from(w) < limit {
            values.push((i128::from(min) + (u128::from(w) % range) as i128) as i64);
        }
    }
    words.zeroize();
    gw.metrics.served(Endpoint::Integers, used);
    json_response(serde_json::to_vec(&values).unwrap_or_default())
}

/// `GET /api/floats`: `count` floats in [0, 1) from the top 53 bits of 64-bit little-endian words.
pub(super) async fn floats(
    State(gw): Gw,
    ConnectInfo(peer): Peer,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let p = Params::parse(q.as_deref());
    let key = or_respond!(gw.admit_client(peer, Endpoint::Floats, &headers, &p, true));
    let Some(count) = parse_count(p.count.as_deref(), None, MAX_COUNT) else {
        return gw.refuse(peer, Endpoint::Floats, ClientReject::BadRequest, "count must be 1..=1000");
    };
    let mut words = or_respond!(gw.take(peer, Endpoint::Floats, key, 8 * count));
    let values: Vec<f64> = words
        .chunks_exact(8)
        .map(|c| (u64::from_le_bytes(c.try_into().unwrap_or_default()) >> 11) as f64 * (1.0 / (1u64 << 53) as f64))
        .collect();
    words.zeroize();
    gw.metrics.served(Endpoint::Floats, 8 * count);
    json_response(serde_json::to_vec(&values).unwrap_or_default())
}

/// `GET /api/uuid`: `count` (default 1) version 4 UUIDs.
pub(super) async fn uuid(
    State(gw): Gw,
    ConnectInfo(peer): Peer,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let p = Params::parse(q.as_deref());
    let key = or_respond!(gw.admit_client(peer, Endpoint::Uuid, &headers, &p, true));
    let Some(count) = parse_count(p.count.as_deref(), Some(1), MAX_UUIDS) else {
        return gw.refuse(peer, Endpoint::Uuid, ClientReject::BadRequest, "count must be 1..=100");
    };
    let mut raw = or_respond!(gw.take(peer, Endpoint::Uuid, key, 16 * count));
    let ids: Vec<String> = raw
        .chunks_exact_mut(16)
        .map(|b| {
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            let h = String::from_utf8(hex_encode(b)).unwrap_or_default();
            format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
        })
        .collect();
    raw.zeroize();
    gw.metrics.served(Endpoint::Uuid, 16 * count);
    if count == 1 {
        bytes_response("text/plain", ids[0].clone().into_bytes())
    } else {
        json_response(serde_json::to_vec(&ids).unwrap_or_default())
    }
}

/// `GET /api/status`.
pub(super) async fn status(
    State(gw): Gw,
    ConnectInfo(peer): Peer,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let p = Params::parse(q.as_deref());
    if let Err(r) = gw.admit_client(peer, Endpoint::Status, &headers, &p, false) {
        return r;
    }
    let (held, capacity, last_push, oldest) = {
        let s = gw.store();
        (s.ring.len(), s.ring.capacity(), s.ring.last_push(), s.ring.oldest())
    };
    let fill = 100.0 * held as f64 / capacity as f64;
    let now = Instant::now();
    let status = if fill < 10.0 {
        "unhealthy"
    } else if fill < 30.0 {
        "degraded"
    } else {
        "healthy"
    };
    let mut warnings = Vec::new();
    if fill < 10.0 {
        warnings.push("Buffer critically low".to_owned());
    }
    let freshness = oldest.or(last_push).map(|t| now.saturating_duration_since(t).as_secs());
    if let Some(age) = freshness.filter(|a| *a > 300) {
        warnings.push(format!("Data is {age} seconds old"));
    }
    let last_received = last_push.map(|t| {
        let ago = i64::try_from(now.saturating_duration_since(t).as_nanos()).unwrap_or(i64::MAX);
        qres::qrngdd::format_timestamp(unix_nanos_now().saturating_sub(ago))
    });
    let uptime = gw.uptime_secs();
    let served = gw.metrics.requests_served();
    gw.metrics.served(Endpoint::Status, 0);
    let body = serde_json::json!({
        "status": status,
        "buffer_fill_percent": fill,
        "buffer_bytes_available": held,
        "last_data_received": last_received,
        "data_freshness_seconds": freshness,
        "uptime_seconds": uptime as u64,
        "total_requests_served": served,
        "total_bytes_served": gw.metrics.bytes_out(),
        "requests_per_second": if uptime > 0.0 { served as f64 / uptime } else { 0.0 },
        "warnings": warnings,
    });
    json_response(serde_json::to_vec(&body).unwrap_or_default())
}

/// `GET /health`: 200 when the buffer is filled above the configured threshold, else 503.
pub(super) async fn health(State(gw): Gw) -> Response {
    if gw.fill_percent() > gw.config.health_min_fill_percent {
        plain(StatusCode::OK, "ok\n")
    } else {
        plain(StatusCode::SERVICE_UNAVAILABLE, "entropy buffer low\n")
    }
}

/// `GET /metrics`.
pub(super) async fn metrics(State(gw): Gw) -> Response {
    let mut text = gw.metrics.render(gw.gauge(), gw.uptime_secs());
    gw.keys.render_usage(&mut text);
    let tls = super::server::TLS_HANDSHAKE_FAILURES.load(std::sync::atomic::Ordering::Relaxed);
    text.push_str(&format!(
        "# HELP qrngdd_tls_handshake_failures_total TLS handshakes refused or failed.\n\
         # TYPE qrngdd_tls_handshake_failures_total counter\nqrngdd_tls_handshake_failures_total {tls}\n"
    ));
    let pq = super::server::TLS_HANDSHAKES_PQ.load(std::sync::atomic::Ordering::Relaxed);
    let classical = super::server::TLS_HANDSHAKES_CLASSICAL.load(std::sync::atomic::Ordering::Relaxed);
    text.push_str(&format!(
        "# HELP qrngdd_tls_handshakes_total TLS handshakes completed, by key exchange.\n\
         # TYPE qrngdd_tls_handshakes_total counter\n\
         qrngdd_tls_handshakes_total{{group=\"X25519MLKEM768\"}} {pq}\n\
         qrngdd_tls_handshakes_total{{group=\"classical\"}} {classical}\n"
    ));
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

impl Gateway {
    /// Counts and logs a refused push and builds its answer, which names the reason in
    /// [`REASON_HEADER`].
    fn refuse_push(
        &self,
        peer: SocketAddr,
        reason: &'static str,
        sequence: Option<u64>,
        detail: &str,
        status: StatusCode,
        body: String,
    ) -> Response {
        self.metrics.push_rejected(reason);
        tracing::warn!(target: "qrngdd::audit", peer = %peer, endpoint = "/push", sequence, reason, detail, "push refused");
        let mut r = (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response();
        r.headers_mut().insert(REASON_HEADER, HeaderValue::from_static(reason));
        r
    }
}

/// Why a `/push` body could not be read.
enum ReadFail {
    /// Larger than the limit.
    TooLarge,
    /// Not whole within the body timeout.
    Timeout,
    /// No room among the bodies in memory (`QRNG_PUSH_MEMORY_BYTES`) within the body timeout.
    Busy,
    /// The connection failed or closed mid-body.
    Broken(String),
}

/// Reads a `/push` body of at most `max` bytes by `deadline`, taking one permit of `memory` per byte as
/// the bytes arrive (so a slow sender holds only what it sent). Returns the body and its permits.
async fn read_body<'a>(
    mut body: Body,
    max: usize,
    deadline: tokio::time::Instant,
    memory: &'a tokio::sync::Semaphore,
) -> Result<(Vec<u8>, Option<tokio::sync::SemaphorePermit<'a>>), ReadFail> {
    use http_body_util::BodyExt as _;
    let mut out = Vec::new();
    let mut held: Option<tokio::sync::SemaphorePermit<'a>> = None;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(ReadFail::Timeout),
            Ok(None) => return Ok((out, held)),
            Ok(Some(Err(e))) => return Err(ReadFail::Broken(e.to_string())),
            Ok(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else { continue };
        if data.is_empty() {
            continue;
        }
        if out.len() + data.len() > max {
            out.zeroize();
            return Err(ReadFail::TooLarge);
        }
        let n = u32::try_from(data.len()).map_err(|_| ReadFail::TooLarge)?;
        let permit = match memory.try_acquire_many(n) {
            Ok(p) => p,
            Err(_) => match tokio::time::timeout_at(deadline, memory.acquire_many(n)).await {
                Ok(Ok(p)) => p,
                _ => {
                    out.zeroize();
                    return Err(ReadFail::Busy);
                }
            },
        };
        match &mut held {
            Some(h) => h.merge(permit),
            None => held = Some(permit),
        }
        if out.capacity() < out.len() + data.len() {
            // Grow by copying into a new vector, so the old one can be zeroized (no stray copies of the
            // entropy are left to the allocator).
            let mut bigger = Vec::with_capacity((out.len() + data.len()).max(2 * out.len()).min(max));
            bigger.extend_from_slice(&out);
            out.zeroize();
            out = bigger;
        }
        out.extend_from_slice(&data);
    }
}

/// `POST /push`: the cheap checks on the headers; a place among the source address's uploads; the body,
/// read whole within the body timeout; only then a verification slot, and [`decide_push`](super::decide_push).
pub(super) async fn push(State(gw): Gw, ConnectInfo(peer): Peer, headers: HeaderMap, body: Body) -> Response {
    let ct_ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(CONTENT_TYPE));
    if !ct_ok {
        let msg = "content type must be application/msgpack\n".to_owned();
        return gw.refuse_push(
            peer,
            "content_type",
            None,
            "wrong content type",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            msg,
        );
    }
    let Some(verifier) = &gw.verifier else {
        let msg = "push is not configured\n".to_owned();
        return gw.refuse_push(peer, "push_disabled", None, "no HMAC key", StatusCode::SERVICE_UNAVAILABLE, msg);
    };
    let max = verifier.config().max_body;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > max as u64) {
        let detail = format!("declared body of {n} bytes exceeds {max}");
        return gw.refuse_push(
            peer,
            "too_large",
            None,
            &detail,
            StatusCode::PAYLOAD_TOO_LARGE,
            "packet too large\n".into(),
        );
    }
    let Some(_address) = gw.push_addresses.try_acquire(peer.ip()) else {
        return gw.refuse_push(
            peer,
            "address_busy",
            None,
            "too many pushes in progress from this address",
            StatusCode::SERVICE_UNAVAILABLE,
            "busy\n".into(),
        );
    };
    let deadline = tokio::time::Instant::now() + gw.config.body_timeout;
    let (mut body, memory) = match read_body(body, max, deadline, &gw.push_memory).await {
        Ok(b) => b,
        Err(e) => {
            let (reason, status, detail) = match e {
                ReadFail::TooLarge => ("too_large", StatusCode::PAYLOAD_TOO_LARGE, format!("body exceeds {max} bytes")),
                ReadFail::Timeout => (
                    "timeout",
                    StatusCode::REQUEST_TIMEOUT,
                    format!("body not complete within {:?}", gw.config.body_timeout),
                ),
                ReadFail::Busy => ("busy", StatusCode::SERVICE_UNAVAILABLE, "no memory free for push bodies".into()),
                ReadFail::Broken(e) => ("malformed", StatusCode::BAD_REQUEST, e),
            };
            return gw.refuse_push(peer, reason, None, &detail, status, "packet body could not be read\n".into());
        }
    };
    let Ok(Ok(slot)) = tokio::time::timeout(Duration::from_secs(5), gw.push_slots.acquire()).await else {
        body.zeroize();
        return gw.refuse_push(
            peer,
            "busy",
            None,
            "too many concurrent pushes",
            StatusCode::SERVICE_UNAVAILABLE,
            "busy\n".into(),
        );
    };
    let v = super::decide_push(&body, verifier, &gw.store, unix_nanos_now(), Instant::now());
    drop(slot);
    body.zeroize();
    drop(memory);
    match v.reason {
        None => {
            gw.metrics.push_accepted(v.stored);
            if v.gap {
                gw.metrics.sequence_gap();
            }
            tracing::debug!(peer = %peer, sequence = v.sequence, key = ?v.key, bytes = v.stored, dropped = v.dropped, "packet accepted");
            plain(StatusCode::OK, "ok\n")
        }
        Some(reason) => {
            let text = if reason == "buffer_full" {
                "buffer full: nothing stored\n".to_owned()
            } else {
                format!("{}\n", v.detail)
            };
            let mut r = gw.refuse_push(peer, reason, v.sequence, &v.detail, v.status, text);
            // Only a key holder gets a 409 (the HMAC verified): tell it where its stream stands, so that a
            // collector whose sequence fell behind (a clock stepped back) can continue above it.
            if let Some(last) = v.last_sequence
                && let Ok(h) = HeaderValue::from_str(&last.to_string())
            {
                r.headers_mut().insert(LAST_SEQUENCE_HEADER, h);
            }
            r
        }
    }
}
