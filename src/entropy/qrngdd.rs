//! [`QrngDdSource`]: entropy from one or several QRNG-DD gateways (ours or the public project's) over
//! HTTPS.
//!
//! TLS: rustls with the aws-lc-rs provider, TLS 1.3 only, offering and preferring the hybrid
//! post-quantum key exchange `X25519MLKEM768` (then X25519 and P-256 for classical gateways, unless
//! [`QrngDdConfig::require_pq_tls`] is set).
//!
//! Several gateways ([`QrngDdConfig::with_failover_url`]): requests go to one gateway until it fails
//! (a transport error, 429 or any 5xx); it is then marked down for a backoff (from
//! [`QrngDdConfig::initial_backoff`], doubling per failure up to [`QrngDdConfig::max_backoff`], or its
//! `Retry-After`) and the request goes at once to the next gateway that is up. A gateway whose backoff
//! has ended is used again only after `GET /health` answers 200. When every gateway is down, the source
//! waits for the first backoff to end and tries that gateway. Every failure counts toward
//! [`QrngDdConfig::max_retries`] for the request.
//!
//! Each refill is `GET {base}/api/random?bytes=N&encoding=binary` with `Authorization: Bearer <key>`
//! (N at most 65,536, the API's limit). 429 and 5xx answers, and transport failures, are retried with
//! exponential backoff (honouring `Retry-After` up to the backoff ceiling); other errors fail at once.
//! Received bytes go through the SP 800-90B start-up and continuous health tests before they are
//! buffered; a failure stops the source until [`QrngDdSource::reset`].
//!
//! The gateway is trusted only as far as its claim: combine it with other sources in a
//! [`SeedPolicy`](crate::rng::SeedPolicy) so that a malicious gateway cannot choose a seed.

use crate::entropy::{EntropySource, Monitored};
use crate::error::{Error, Result};
use crate::rng::HealthStatus;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::{Zeroize, Zeroizing};

/// Largest request the gateway API allows.
pub const MAX_REQUEST: usize = 65_536;

/// Configuration of a [`QrngDdSource`].
///
/// ```
/// use qres::entropy::QrngDdConfig;
/// use std::time::Duration;
/// let config = QrngDdConfig::new("https://qrng.example:8443", "client-api-key-0123")
///     .with_timeout(Duration::from_secs(5))
///     .with_prefetch(8192);
/// assert_eq!(config.prefetch_bytes, 8192);
/// ```
#[derive(Clone)]
pub struct QrngDdConfig {
    /// Gateway base URL (`https://host:port`); `/api/random` is appended.
    pub base_url: String,
    /// Further gateways, tried in order when the current one fails (same API key). See the module
    /// documentation.
    pub failover_urls: Vec<String>,
    /// Accept only TLS handshakes with the post-quantum group `X25519MLKEM768` (default false: it is
    /// offered and preferred, and X25519 or P-256 are accepted from classical gateways).
    pub require_pq_tls: bool,
    /// The API key, sent as a bearer token. Zeroized on drop, never shown by `Debug`.
    pub api_key: Zeroizing<String>,
    /// PEM CA certificates to trust instead of the webpki roots (a private CA).
    pub ca_pem: Option<Vec<u8>>,
    /// Timeout of one request, connection included (default 10 s).
    pub timeout: Duration,
    /// Retries after the first attempt on 429, 5xx and transport errors (default 5).
    pub max_retries: u32,
    /// First retry delay, doubled per retry (default 100 ms).
    pub initial_backoff: Duration,
    /// Longest retry delay (default 5 s).
    pub max_backoff: Duration,
    /// Bytes fetched per request and kept ready (default 4,096; at most 65,536).
    pub prefetch_bytes: usize,
    /// Claimed min-entropy per byte, in `(0, 8]` (default 4.0: the gateway's data is not assessed here,
    /// and a lower claim costs only bytes). It also sets the health-test cutoffs.
    pub min_entropy_per_byte: f64,
    /// Allow `http://` URLs (default false: tests and loopback only).
    pub allow_plain_http: bool,
}

impl core::fmt::Debug for QrngDdConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("QrngDdConfig")
            .field("base_url", &self.base_url)
            .field("failover_urls", &self.failover_urls)
            .field("require_pq_tls", &self.require_pq_tls)
            .field("custom_ca", &self.ca_pem.is_some())
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("prefetch_bytes", &self.prefetch_bytes)
            .field("min_entropy_per_byte", &self.min_entropy_per_byte)
            .finish_non_exhaustive()
    }
}

impl QrngDdConfig {
    /// Defaults for `base_url` and `api_key`.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            failover_urls: Vec::new(),
            require_pq_tls: false,
            api_key: Zeroizing::new(api_key.into()),
            ca_pem: None,
            timeout: Duration::from_secs(10),
            max_retries: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            prefetch_bytes: 4096,
            min_entropy_per_byte: 4.0,
            allow_plain_http: false,
        }
    }

    /// Adds a gateway to fail over to (tried in the order added, after `base_url`).
    pub fn with_failover_url(mut self, base_url: impl Into<String>) -> Self {
        self.failover_urls.push(base_url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Accepts only TLS handshakes with the post-quantum group `X25519MLKEM768`.
    pub fn with_required_pq_tls(mut self) -> Self {
        self.require_pq_tls = true;
        self
    }

    /// Trusts the CA certificates of `pem` (instead of the webpki roots).
    pub fn with_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Sets the per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets retries and the backoff range.
    pub fn with_retries(mut self, max_retries: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        self.max_retries = max_retries;
        self.initial_backoff = initial_backoff;
        self.max_backoff = max_backoff;
        self
    }

    /// Sets the prefetch size (clamped to 1..=65,536).
    pub fn with_prefetch(mut self, bytes: usize) -> Self {
        self.prefetch_bytes = bytes.clamp(1, MAX_REQUEST);
        self
    }

    /// Sets the claimed min-entropy per byte.
    pub fn with_min_entropy(mut self, bits_per_byte: f64) -> Self {
        self.min_entropy_per_byte = bits_per_byte;
        self
    }

    /// Allows an `http://` base URL.
    pub fn allow_plain_http(mut self) -> Self {
        self.allow_plain_http = true;
        self
    }
}

/// The rustls provider of the client: aws-lc-rs, TLS 1.3 cipher suites only (so TLS 1.2 is never
/// negotiated), key exchange `X25519MLKEM768` preferred, then X25519 and P-256; with `require_pq`,
/// `X25519MLKEM768` only.
pub fn tls_crypto_provider(require_pq: bool) -> Arc<rustls::crypto::CryptoProvider> {
    use rustls::crypto::aws_lc_rs::kx_group;
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.cipher_suites.retain(|s| s.version() == &rustls::version::TLS13);
    provider.kx_groups = if require_pq {
        vec![kx_group::X25519MLKEM768]
    } else {
        vec![kx_group::X25519MLKEM768, kx_group::X25519, kx_group::SECP256R1]
    };
    Arc::new(provider)
}

/// How long a gateway is marked down at most when its backoff is too large to add to the clock.
const LONGEST_DOWN: Duration = Duration::from_secs(86_400);

/// One gateway and its failure state.
struct GatewayState {
    url: String,
    /// Not used before this instant (down).
    down_until: Option<Instant>,
    /// The current backoff (zero when up).
    backoff: Duration,
}

/// Why one attempt failed.
enum Attempt {
    /// Worth another attempt (here or at another gateway), after at least the given `Retry-After`.
    Retry(String, Option<Duration>),
    /// Final.
    Fatal(Error),
}

/// The raw HTTP reader (health-tested by the [`Monitored`] around it).
struct Fetcher {
    agent: ureq::Agent,
    gateways: Vec<GatewayState>,
    /// The gateway in use.
    current: usize,
    auth: Zeroizing<String>,
    name: String,
    claim: f64,
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Fetcher {
    fn fail(&self, reason: impl Into<String>) -> Error {
        Error::EntropySource { source_name: self.name.clone(), reason: reason.into() }
    }

    /// Marks gateway `i` down for its next backoff (at least `retry_after`, at most `max_backoff`).
    fn mark_down(&mut self, i: usize, retry_after: Option<Duration>) {
        let g = &mut self.gateways[i];
        // Saturating and checked: a caller may set a huge `max_backoff` (even `Duration::MAX`).
        g.backoff =
            if g.backoff.is_zero() { self.initial_backoff } else { g.backoff.saturating_mul(2) }.min(self.max_backoff);
        let wait = retry_after.map_or(g.backoff, |a| a.max(g.backoff)).min(self.max_backoff);
        let now = Instant::now();
        g.down_until = Some(now.checked_add(wait).or_else(|| now.checked_add(LONGEST_DOWN)).unwrap_or(now));
    }

    /// `GET {url}/health` answers 200.
    fn healthy(&self, i: usize) -> bool {
        let url = format!("{}/health", self.gateways[i].url);
        self.agent.get(&url).call().is_ok_and(|r| r.status().as_u16() == 200)
    }

    /// The gateway to use now: the current one if up, else the next one that is up (a gateway whose
    /// backoff ended must pass its health check first); `None` when all are down.
    fn pick(&mut self) -> Option<usize> {
        let n = self.gateways.len();
        for k in 0..n {
            let i = (self.current + k) % n;
            match self.gateways[i].down_until {
                None => return Some(i),
                Some(at) if Instant::now() >= at => {
                    if n == 1 || self.healthy(i) {
                        return Some(i);
                    }
                    tracing::debug!(source = %self.name, gateway = %self.gateways[i].url, "health check failed");
                    self.mark_down(i, None);
                }
                Some(_) => {}
            }
        }
        None
    }

    /// One request of `dest.len()` (at most [`MAX_REQUEST`]) bytes, failing over and retrying.
    fn fetch(&mut self, dest: &mut [u8]) -> Result<()> {
        let mut attempt = 0u32;
        loop {
            let i = match self.pick() {
                Some(i) => i,
                None => {
                    // Every gateway is down: wait for the first to come back and try it.
                    let (i, at) = self
                        .gateways
                        .iter()
                        .enumerate()
                        .filter_map(|(i, g)| g.down_until.map(|at| (i, at)))
                        .min_by_key(|&(_, at)| at)
                        .unwrap_or((self.current, Instant::now()));
                    std::thread::sleep(at.saturating_duration_since(Instant::now()).min(self.max_backoff));
                    i
                }
            };
            match self.request(i, dest) {
                Ok(()) => {
                    if i != self.current {
                        tracing::info!(source = %self.name, gateway = %self.gateways[i].url, "QRNG-DD gateway in use");
                    }
                    let g = &mut self.gateways[i];
                    g.down_until = None;
                    g.backoff = Duration::ZERO;
                    self.current = i;
                    return Ok(());
                }
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(what, retry_after)) => {
                    attempt += 1;
                    self.mark_down(i, retry_after);
                    let url = &self.gateways[i].url;
                    if attempt > self.max_retries {
                        return Err(self.fail(format!("{url}: {what}; gave up after {attempt} attempts")));
                    }
                    tracing::debug!(source = %self.name, gateway = %url, attempt, reason = %what, "QRNG-DD request failed; failing over or retrying");
                }
            }
        }
    }

    /// One attempt at gateway `i`.
    fn request(&self, i: usize, dest: &mut [u8]) -> core::result::Result<(), Attempt> {
        let url = format!("{}/api/random?bytes={}&encoding=binary", self.gateways[i].url, dest.len());
        let mut resp = match self.agent.get(&url).header("Authorization", self.auth.as_str()).call() {
            Ok(r) => r,
            Err(e) => return Err(Attempt::Retry(format!("request failed: {e}"), None)),
        };
        match resp.status().as_u16() {
            200 => {
                let mut body = Zeroizing::new(Vec::with_capacity(dest.len()));
                let read = resp.body_mut().with_config().limit(dest.len() as u64 + 1).reader().read_to_end(&mut body);
                match read {
                    Ok(n) if n == dest.len() => {
                        dest.copy_from_slice(&body);
                        Ok(())
                    }
                    Ok(n) => Err(Attempt::Fatal(self.fail(format!("asked for {} bytes, received {n}", dest.len())))),
                    Err(e) => Err(Attempt::Retry(format!("reading the response: {e}"), None)),
                }
            }
            // 429 (rate-limited), and any 5xx: 503 from a gateway without bytes, or 500/502/504 from a proxy
            // in front of a dead gateway; another gateway (or a later attempt) may answer.
            s @ (429 | 500..=599) => {
                let after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                Err(Attempt::Retry(format!("the gateway answered {s}"), after))
            }
            401 => Err(Attempt::Fatal(self.fail("the gateway refused the API key (401)"))),
            s => Err(Attempt::Fatal(self.fail(format!("the gateway answered {s}")))),
        }
    }
}

impl EntropySource for Fetcher {
    fn name(&self) -> &str {
        &self.name
    }

    fn min_entropy_per_byte(&self) -> f64 {
        self.claim
    }

    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        for chunk in dest.chunks_mut(MAX_REQUEST) {
            self.fetch(chunk)?;
        }
        Ok(())
    }
}

/// An [`EntropySource`] reading one or several QRNG-DD gateways (ours or the public project's) over
/// HTTPS (TLS 1.3, post-quantum `X25519MLKEM768` preferred), failing over between them: requests go to
/// one gateway until it fails (a transport error, 429 or any 5xx); it is then marked down for a backoff
/// ([`QrngDdConfig::initial_backoff`] doubling to [`QrngDdConfig::max_backoff`], or its `Retry-After`)
/// and the request goes at once to the next gateway that is up. A gateway whose backoff has ended is used
/// again only after `GET /health` answers 200; with every gateway down, the source waits for the first
/// backoff to end and tries that gateway. Every failure counts toward [`QrngDdConfig::max_retries`].
///
/// Each refill is `GET {base}/api/random?bytes=N&encoding=binary` with `Authorization: Bearer <key>` (N at
/// most 65,536). 429 and 5xx answers and transport failures are retried with exponential backoff
/// (honouring `Retry-After` up to the ceiling); other errors fail at once. Received bytes pass the SP
/// 800-90B start-up and continuous health tests before they are buffered; a failure stops the source
/// until [`reset`](Self::reset). Combine it with other sources in a
/// [`SeedPolicy`](crate::rng::SeedPolicy) so that a malicious gateway cannot choose a seed.
///
/// ```no_run
/// use qres::entropy::{EntropySource, QrngDdConfig, QrngDdSource};
/// let ca = std::fs::read("/etc/qrngdd/ca.pem").unwrap();
/// let mut qrng = QrngDdSource::new(QrngDdConfig::new("https://qrng.internal:8443", "api-key").with_ca_pem(ca))?;
/// let mut buf = [0u8; 32];
/// qrng.fill(&mut buf)?;
/// # Ok::<(), qres::Error>(())
/// ```
pub struct QrngDdSource {
    inner: Monitored<Fetcher>,
    ready: Zeroizing<Vec<u8>>,
    pos: usize,
    prefetch: usize,
}

impl core::fmt::Debug for QrngDdSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("QrngDdSource")
            .field("name", &self.inner.name())
            .field("buffered", &(self.ready.len() - self.pos))
            .field("health", &self.inner.health())
            .finish()
    }
}

impl QrngDdSource {
    /// A source for `config`. Nothing is fetched until the first [`fill`](EntropySource::fill).
    pub fn new(config: QrngDdConfig) -> Result<Self> {
        let urls: Vec<String> =
            core::iter::once(config.base_url.clone()).chain(config.failover_urls.iter().cloned()).collect();
        let mut hosts = Vec::with_capacity(urls.len());
        for url in &urls {
            let host = url.split("://").nth(1).unwrap_or(url).split('/').next().unwrap_or("").to_owned();
            if host.is_empty() {
                return Err(Error::InvalidInput("QRNG-DD gateway URL has no host"));
            }
            let https = url.starts_with("https://");
            if !(https || config.allow_plain_http && url.starts_with("http://")) {
                return Err(Error::InvalidInput(
                    "QRNG-DD gateway URL must be https:// (plain http must be allowed explicitly)",
                ));
            }
            hosts.push(host);
        }
        if !(config.min_entropy_per_byte > 0.0 && config.min_entropy_per_byte <= 8.0) {
            return Err(Error::InvalidInput("claimed min-entropy must be in (0, 8] bits per byte"));
        }
        let name = format!("qrng-dd:{}", hosts.join(","));
        let mut tls = ureq::tls::TlsConfig::builder()
            .unversioned_rustls_crypto_provider(tls_crypto_provider(config.require_pq_tls));
        if let Some(pem) = &config.ca_pem {
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<core::result::Result<_, _>>()
                .map_err(|_| Error::InvalidInput("QRNG-DD CA file is not valid PEM"))?;
            if certs.is_empty() {
                return Err(Error::InvalidInput("QRNG-DD CA PEM holds no certificate"));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(!config.allow_plain_http)
            .timeout_global(Some(config.timeout))
            .max_redirects(0)
            .tls_config(tls.build())
            .user_agent(concat!("qres/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let fetcher = Fetcher {
            agent,
            gateways: urls
                .into_iter()
                .map(|url| GatewayState { url, down_until: None, backoff: Duration::ZERO })
                .collect(),
            current: 0,
            auth: Zeroizing::new(format!("Bearer {}", config.api_key.as_str())),
            name,
            claim: config.min_entropy_per_byte,
            max_retries: config.max_retries,
            initial_backoff: config.initial_backoff,
            max_backoff: config.max_backoff,
        };
        Ok(Self {
            inner: Monitored::new(fetcher)?,
            ready: Zeroizing::new(Vec::new()),
            pos: 0,
            prefetch: config.prefetch_bytes.clamp(1, MAX_REQUEST),
        })
    }

    /// Clears a health-test failure (the next read repeats the start-up test) and drops buffered bytes.
    pub fn reset(&mut self) {
        self.ready.zeroize();
        self.ready.clear();
        self.pos = 0;
        self.inner.reset();
    }

    /// Bytes fetched and not yet delivered.
    pub fn buffered(&self) -> usize {
        self.ready.len() - self.pos
    }
}

impl EntropySource for QrngDdSource {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn min_entropy_per_byte(&self) -> f64 {
        self.inner.min_entropy_per_byte()
    }

    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        let mut done = 0;
        while done < dest.len() {
            if self.pos == self.ready.len() {
                let want = dest.len() - done;
                if want >= self.prefetch {
                    // Large reads go straight to the caller (still health-tested by `inner`).
                    let n = want.min(MAX_REQUEST);
                    if let Err(e) = self.inner.fill(&mut dest[done..done + n]) {
                        dest.zeroize();
                        return Err(e);
                    }
                    done += n;
                    continue;
                }
                self.ready.zeroize();
                self.ready.resize(self.prefetch, 0);
                self.pos = 0;
                if let Err(e) = self.inner.fill(&mut self.ready) {
                    self.ready.clear();
                    dest.zeroize();
                    return Err(e);
                }
            }
            let n = (dest.len() - done).min(self.ready.len() - self.pos);
            dest[done..done + n].copy_from_slice(&self.ready[self.pos..self.pos + n]);
            self.ready[self.pos..self.pos + n].zeroize();
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    fn health(&self) -> HealthStatus {
        self.inner.health()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetcher(initial_backoff: Duration, max_backoff: Duration) -> Fetcher {
        Fetcher {
            agent: ureq::Agent::new_with_defaults(),
            gateways: vec![GatewayState {
                url: "http://127.0.0.1:1".into(),
                down_until: None,
                backoff: Duration::ZERO,
            }],
            current: 0,
            auth: Zeroizing::new(String::new()),
            name: "test".into(),
            claim: 8.0,
            max_retries: 0,
            initial_backoff,
            max_backoff,
        }
    }

    #[test]
    fn huge_backoffs_do_not_overflow() {
        let mut f = fetcher(Duration::MAX / 2, Duration::MAX);
        for _ in 0..4 {
            f.mark_down(0, Some(Duration::MAX));
        }
        assert_eq!(f.gateways[0].backoff, Duration::MAX);
        assert!(f.gateways[0].down_until.is_some_and(|at| at > Instant::now()));
        // Ordinary values: doubling up to the ceiling, and at least Retry-After (capped too).
        let mut f = fetcher(Duration::from_millis(100), Duration::from_secs(1));
        for want in [100, 200, 400, 800, 1000, 1000] {
            f.mark_down(0, None);
            assert_eq!(f.gateways[0].backoff, Duration::from_millis(want));
        }
        let before = Instant::now();
        f.mark_down(0, Some(Duration::from_secs(3600)));
        assert!(f.gateways[0].down_until.is_some_and(|at| at <= before + Duration::from_secs(2)));
    }
}
