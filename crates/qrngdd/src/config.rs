//! Configuration from environment variables: the public QRNG-DD project's names (`QRNG_*`) plus ours.
//!
//! Every value is read through a lookup function, so tests can configure without touching the process
//! environment. Errors name the variable and what is expected; secrets are never echoed.

use crate::collector::Mixing;
use qres::SecretBytes;
use qres::qrngdd::{HmacKey, VerifierConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A configuration error: which variable, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    /// The variable.
    pub var: &'static str,
    /// What is wrong (never contains a secret value).
    pub reason: String,
}

fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError { var, reason: reason.into() }
}

/// Reads variables through `get` (for the process: [`std::env::var`]).
struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn raw(&self, var: &str) -> Option<String> {
        (self.0)(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn parse<T: core::str::FromStr>(&self, var: &'static str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.raw(var) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| err(var, format!("expected {what}, got {v:?}"))),
        }
    }

    fn range<T: core::str::FromStr + PartialOrd + core::fmt::Display + Copy>(
        &self,
        var: &'static str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T, ConfigError> {
        let v = self.parse(var, default, &format!("a number in {min}..={max}"))?;
        if v < min || v > max {
            return Err(err(var, format!("{v} is outside {min}..={max}")));
        }
        Ok(v)
    }

    fn flag(&self, var: &'static str) -> Result<bool, ConfigError> {
        match self.raw(var).map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("false" | "0" | "no" | "off") => Ok(false),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some(v) => Err(err(var, format!("expected true or false, got {v:?}"))),
        }
    }

    fn list(&self, var: &str) -> Vec<String> {
        self.raw(var)
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    fn path(&self, var: &str) -> Option<PathBuf> {
        self.raw(var).map(PathBuf::from)
    }
}

/// What the gateway does with a push when the buffer lacks room (`QRNG_BUFFER_OVERFLOW_POLICY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverflowPolicy {
    /// `discard` (default): refuse the push whole with 507; nothing is stored.
    Discard,
    /// `replace`: drop (and zeroize) the oldest buffered bytes to make room for the whole push.
    Replace,
}

/// Gateway configuration.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// `QRNG_LISTEN_ADDRESS` (default `127.0.0.1:8080`: loopback unless told otherwise).
    pub listen: SocketAddr,
    /// `QRNG_API_KEYS`: comma-separated client API keys (required; zeroized on drop, redacted in `Debug`).
    pub api_keys: Vec<SecretBytes>,
    /// `QRNG_HMAC_SECRET_KEY`: comma-separated hex HMAC keys accepted on `/push` (several during a
    /// rotation). Without it, `/push` answers 503.
    pub hmac_keys: Vec<HmacKey>,
    /// `QRNG_BUFFER_SIZE`: buffer capacity in bytes (default 10 MiB).
    pub buffer_size: usize,
    /// `QRNG_BUFFER_TTL_SECS`: buffered bytes older than this are dropped; 0 (default) keeps them. When
    /// set, packets older than this are refused too (as in the public gateway), if that is stricter than
    /// `QRNG_PACKET_TTL_SECS`.
    pub buffer_ttl: Option<Duration>,
    /// `QRNG_BUFFER_OVERFLOW_POLICY`: `discard` (default) or `replace`.
    pub overflow: OverflowPolicy,
    /// `QRNG_RATE_LIMIT_PER_SECOND`: requests per second per API key, also the burst (default 100).
    pub rate_limit_per_second: u32,
    /// `QRNG_RATE_LIMIT_BYTES_PER_SECOND`: random bytes per second per API key, also the burst (default
    /// 1 MiB; at least 65,536, the largest request). Beside the request budget, so that a key making
    /// large requests cannot drain the buffer for the others.
    pub rate_limit_bytes_per_second: u64,
    /// Packet checks: `QRNG_PACKET_TTL_SECS` (default 300), `QRNG_MAX_CLOCK_SKEW_SECS` (default 60),
    /// `QRNG_MAX_PUSH_BYTES` (default 1 MiB + 4 KiB).
    pub verifier: VerifierConfig,
    /// `QRNG_TLS_CERT_FILE` and `QRNG_TLS_KEY_FILE` (PEM): serve HTTPS (TLS 1.3 only) when both are set.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `QRNG_REQUIRE_PQ_TLS` (`true`/`false`, default `false`): accept only TLS handshakes that use the
    /// hybrid post-quantum group `X25519MLKEM768` (otherwise it is preferred, and classical clients still
    /// connect).
    pub require_pq_tls: bool,
    /// `QRNG_MAX_CONNECTIONS`: open connections at most (default 1024). At the cap, a new connection
    /// closes the one idle for longest (no request in progress) to take its place.
    pub max_connections: usize,
    /// `QRNG_MAX_CONNECTIONS_PER_ADDRESS`: open connections per source address (IPv6: per /64) at most
    /// (default 128); more are closed at once.
    pub max_connections_per_address: usize,
    /// `QRNG_HEALTH_MIN_FILL_PERCENT`: `/health` is 200 above this buffer fill (default 5, as the public
    /// gateway).
    pub health_min_fill_percent: f64,
    /// `QRNG_WORKER_THREADS`: runtime worker threads (default: the number of CPUs).
    pub worker_threads: Option<usize>,
    /// `QRNG_SHUTDOWN_GRACE_SECS`: how long in-flight requests may take at shutdown (default 10).
    pub shutdown_grace: Duration,
    /// `QRNG_HEADER_TIMEOUT_SECS`: a request's headers (at most 64 KiB) must arrive within this, counted
    /// from when the connection waits for them (default 10).
    pub header_timeout: Duration,
    /// `QRNG_BODY_TIMEOUT_SECS`: a `/push` body must arrive whole within this after its headers
    /// (default 10); a whole request thus takes at most the header plus the body timeout.
    pub body_timeout: Duration,
    /// `QRNG_WRITE_TIMEOUT_SECS`: a connection whose answer makes no progress for this long (the peer
    /// stopped reading) is closed (default 10).
    pub write_timeout: Duration,
    /// `QRNG_MAX_PUSHES_PER_ADDRESS`: `/push` uploads one source address (IPv6: one /64) may have in
    /// progress at once (default 4); more are refused at once with 503 `address_busy`.
    pub max_pushes_per_address: usize,
    /// `QRNG_PUSH_MEMORY_BYTES`: bytes of `/push` bodies held in memory at once, counted as they arrive
    /// (default 16 MiB, at least `QRNG_MAX_PUSH_BYTES`); a push finding none free within its body
    /// timeout is refused with 503 `busy`.
    pub push_memory: usize,
}

impl GatewayConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Reads variables through `get`.
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(get);
        let listen = env.parse("QRNG_LISTEN_ADDRESS", SocketAddr::from(([127, 0, 0, 1], 8080)), "host:port")?;
        let api_keys = env.list("QRNG_API_KEYS");
        if api_keys.is_empty() {
            return Err(err("QRNG_API_KEYS", "at least one API key is required (comma-separated)"));
        }
        if let Some(short) = api_keys.iter().find(|k| k.len() < 16) {
            return Err(err(
                "QRNG_API_KEYS",
                format!("API keys need at least 16 characters (one has {})", short.len()),
            ));
        }
        let api_keys: Vec<SecretBytes> = api_keys.into_iter().map(|k| SecretBytes::new(k.into_bytes())).collect();
        let hmac_keys = match env.raw("QRNG_HMAC_SECRET_KEY") {
            None => Vec::new(),
            Some(v) => HmacKey::list_from_hex(&v).map_err(|e| err("QRNG_HMAC_SECRET_KEY", e.to_string()))?,
        };
        let buffer_size = env.range("QRNG_BUFFER_SIZE", 10 << 20, 1024, 1 << 34)?;
        let buffer_ttl_secs: u64 = env.range("QRNG_BUFFER_TTL_SECS", 0, 0, 86_400 * 365)?;
        let overflow = match env.raw("QRNG_BUFFER_OVERFLOW_POLICY").map(|s| s.to_ascii_lowercase()).as_deref() {
            None | Some("discard") => OverflowPolicy::Discard,
            Some("replace") => OverflowPolicy::Replace,
            Some(other) => {
                return Err(err("QRNG_BUFFER_OVERFLOW_POLICY", format!("expected discard or replace, got {other:?}")));
            }
        };
        let rate_limit_per_second = env.range("QRNG_RATE_LIMIT_PER_SECOND", 100, 1, 100_000_000)?;
        let rate_limit_bytes_per_second = env.range("QRNG_RATE_LIMIT_BYTES_PER_SECOND", 1 << 20, 65_536, 1 << 40)?;
        let packet_ttl: u64 = env.range("QRNG_PACKET_TTL_SECS", 300, 1, 3600)?;
        let ttl = if buffer_ttl_secs > 0 { packet_ttl.min(buffer_ttl_secs) } else { packet_ttl };
        let skew: u64 = env.range("QRNG_MAX_CLOCK_SKEW_SECS", 60, 0, 600)?;
        let max_body = env.range("QRNG_MAX_PUSH_BYTES", (1 << 20) + 4096, 256, 64 << 20)?;
        let verifier = VerifierConfig {
            max_body,
            ttl: Duration::from_secs(ttl),
            max_skew: Duration::from_secs(skew),
            reset_after_idle: true,
        };
        let tls = match (env.path("QRNG_TLS_CERT_FILE"), env.path("QRNG_TLS_KEY_FILE")) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                return Err(err("QRNG_TLS_CERT_FILE", "set both QRNG_TLS_CERT_FILE and QRNG_TLS_KEY_FILE, or neither"));
            }
        };
        let max_connections = env.range("QRNG_MAX_CONNECTIONS", 1024, 1, 1_000_000)?;
        let require_pq_tls = env.flag("QRNG_REQUIRE_PQ_TLS")?;
        let max_connections_per_address = env.range("QRNG_MAX_CONNECTIONS_PER_ADDRESS", 128, 1, 1_000_000)?;
        let health_min_fill_percent = env.range("QRNG_HEALTH_MIN_FILL_PERCENT", 5.0, 0.0, 100.0)?;
        let worker_threads = match env.raw("QRNG_WORKER_THREADS") {
            None => None,
            Some(_) => Some(env.range("QRNG_WORKER_THREADS", 1, 1, 1024)?),
        };
        let shutdown_grace = Duration::from_secs(env.range("QRNG_SHUTDOWN_GRACE_SECS", 10, 0, 3600)?);
        let header_timeout = Duration::from_secs(env.range("QRNG_HEADER_TIMEOUT_SECS", 10, 1, 600)?);
        let body_timeout = Duration::from_secs(env.range("QRNG_BODY_TIMEOUT_SECS", 10, 1, 600)?);
        let write_timeout = Duration::from_secs(env.range("QRNG_WRITE_TIMEOUT_SECS", 10, 1, 600)?);
        let max_pushes_per_address = env.range("QRNG_MAX_PUSHES_PER_ADDRESS", 4, 1, 100_000)?;
        let push_memory = env.range("QRNG_PUSH_MEMORY_BYTES", 16 << 20, 256, 1 << 32)?;
        if push_memory < max_body {
            return Err(err("QRNG_PUSH_MEMORY_BYTES", format!("must be at least QRNG_MAX_PUSH_BYTES ({max_body})")));
        }
        Ok(Self {
            listen,
            api_keys,
            hmac_keys,
            buffer_size,
            buffer_ttl: (buffer_ttl_secs > 0).then(|| Duration::from_secs(buffer_ttl_secs)),
            overflow,
            rate_limit_per_second,
            rate_limit_bytes_per_second,
            verifier,
            tls,
            max_connections,
            max_connections_per_address,
            require_pq_tls,
            health_min_fill_percent,
            worker_threads,
            shutdown_grace,
            header_timeout,
            body_timeout,
            write_timeout,
            max_pushes_per_address,
            push_memory,
        })
    }
}

/// Most gateways one collector pushes to (`QRNG_PUSH_URL`).
pub const MAX_GATEWAYS: usize = 16;

/// Collector configuration.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// `QRNG_PUSH_URL`: the gateway's `/push` URL (required), or several gateways' URLs, comma-separated.
    /// With several, each packet goes to one gateway (in turn); a gateway that is down or full is skipped
    /// and its share goes to the others (see [`crate::collector`]).
    pub push_urls: Vec<String>,
    /// `QRNG_HMAC_SECRET_KEY`: the hex key packets are signed with (required), or one key per push URL,
    /// comma-separated and in the same order: each gateway gets its own key, so that a packet meant for
    /// one is refused by the others. The keys must differ.
    pub hmac_keys: Vec<HmacKey>,
    /// `QRNG_APPLIANCE_URLS`: Quantis appliance base URLs (comma-separated). A URL ending in
    /// `/streambytes` is used as is; otherwise `/api/2.0/streambytes` is appended.
    pub appliance_urls: Vec<String>,
    /// `QRNG_APPLIANCE_CA_FILE`: PEM CA certificates trusted for the appliances (default: the webpki
    /// roots). Certificate verification is always on.
    pub appliance_ca: Option<PathBuf>,
    /// `QRNG_QUANTIS_DEVICES`: local Quantis character devices (comma-separated, e.g. `/dev/qrandom0`).
    pub quantis_devices: Vec<PathBuf>,
    /// `QRNG_ENTROPY_SOURCES`: other sources by name; `os` is the operating system's RNG (for tests and
    /// demonstrations: it is not quantum).
    pub other_sources: Vec<String>,
    /// `QRNG_ALLOW_INSECURE_TEST_SOURCE` (default `false`): required, beside its name in
    /// `QRNG_ENTROPY_SOURCES`, for the public, predictable test sequence
    /// [`crate::collector::TestCounter`] (tests only; never randomness).
    pub allow_insecure_test_source: bool,
    /// `QRNG_MIXING_STRATEGY`: `none` (one source only), `xor` or `hkdf`.
    pub mixing: Mixing,
    /// `QRNG_FETCH_CHUNK_SIZE`: bytes read from each source per fetch (default 1024, at most 65,536).
    pub fetch_chunk_size: usize,
    /// `QRNG_FETCH_INTERVAL_MS`: pause between fetches (default 100).
    pub fetch_interval: Duration,
    /// `QRNG_BUFFER_SIZE`: local buffer in bytes (default 1 MiB); fetching pauses while it is full.
    pub buffer_size: usize,
    /// `QRNG_PUSH_INTERVAL_MS`: pause between pushes (default 500).
    pub push_interval: Duration,
    /// `QRNG_MAX_RETRIES`: attempts per packet after the first (default 5).
    pub max_retries: u32,
    /// `QRNG_INITIAL_BACKOFF_MS`: first retry delay, doubled per attempt up to 30 s (default 100).
    pub initial_backoff: Duration,
    /// `QRNG_CONNECT_TIMEOUT_MS`: longest wait to connect to a gateway or appliance (TCP and TLS), and
    /// again to send a request's headers (default 3000, 100..=30,000). A gateway that does not connect in
    /// time certainly stored nothing: its bytes go to the next gateway at once.
    pub connect_timeout: Duration,
    /// `QRNG_PUSH_CA_FILE`: PEM CA certificates trusted for an `https` push URL.
    pub push_ca: Option<PathBuf>,
    /// `QRNG_REQUIRE_PQ_TLS` (default `false`): push only over TLS with the post-quantum group
    /// `X25519MLKEM768` (it is always offered and preferred).
    pub require_pq_tls: bool,
    /// `QRNG_PACKET_MAX_BYTES`: payload bytes per packet at most (default 65,536).
    pub packet_max_bytes: usize,
    /// `QRNG_SEQUENCE_FILE`: where to persist the sequence high-water mark (optional; see
    /// [`crate::collector::SequenceSource`]). With several gateways, the first gateway's mark is kept in
    /// this file and gateway `i`'s in `<file>.<i>` ([`crate::collector::sequence_file_for`]).
    pub sequence_file: Option<PathBuf>,
    /// `QRNG_MIN_ENTROPY_PER_BYTE`: the claim that sets the health-test cutoffs (default 4.0).
    pub min_entropy_per_byte: f64,
    /// `QRNG_MAX_BYTES`: stop after pushing this many payload bytes (0 = run until stopped; default 0).
    pub max_bytes: u64,
}

impl CollectorConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Reads variables through `get`.
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(get);
        let push_urls = env.list("QRNG_PUSH_URL");
        if push_urls.is_empty() {
            return Err(err("QRNG_PUSH_URL", "required (the gateway's /push URL, or several comma-separated)"));
        }
        if push_urls.len() > MAX_GATEWAYS {
            return Err(err("QRNG_PUSH_URL", format!("at most {MAX_GATEWAYS} gateways")));
        }
        if let Some(bad) = push_urls.iter().find(|u| !(u.starts_with("https://") || u.starts_with("http://"))) {
            return Err(err("QRNG_PUSH_URL", format!("must be http:// or https:// URLs, got {bad:?}")));
        }
        if (1..push_urls.len()).any(|i| push_urls[..i].contains(&push_urls[i])) {
            return Err(err("QRNG_PUSH_URL", "a push URL is given twice"));
        }
        let hmac_keys = HmacKey::list_from_hex(
            &env.raw("QRNG_HMAC_SECRET_KEY").ok_or_else(|| err("QRNG_HMAC_SECRET_KEY", "required"))?,
        )
        .map_err(|e| err("QRNG_HMAC_SECRET_KEY", e.to_string()))?;
        if hmac_keys.len() != push_urls.len() {
            return Err(err(
                "QRNG_HMAC_SECRET_KEY",
                format!("one key per push URL: {} keys for {} URLs", hmac_keys.len(), push_urls.len()),
            ));
        }
        if (1..hmac_keys.len()).any(|i| hmac_keys[..i].iter().any(|k| k.fingerprint() == hmac_keys[i].fingerprint())) {
            return Err(err("QRNG_HMAC_SECRET_KEY", "each gateway needs its own key (two are equal)"));
        }
        let appliance_urls = env.list("QRNG_APPLIANCE_URLS");
        if let Some(bad) = appliance_urls.iter().find(|u| !u.starts_with("https://") && !u.starts_with("http://")) {
            return Err(err("QRNG_APPLIANCE_URLS", format!("not an http(s) URL: {bad:?}")));
        }
        let quantis_devices: Vec<PathBuf> = env.list("QRNG_QUANTIS_DEVICES").into_iter().map(PathBuf::from).collect();
        let other_sources = env.list("QRNG_ENTROPY_SOURCES");
        let allow_insecure_test_source = env.flag(crate::collector::sources::ALLOW_INSECURE_TEST_SOURCE)?;
        let test_source = crate::collector::TestCounter::NAME;
        if other_sources.iter().any(|s| s == test_source) && !allow_insecure_test_source {
            return Err(err(
                crate::collector::sources::ALLOW_INSECURE_TEST_SOURCE,
                format!(
                    "QRNG_ENTROPY_SOURCES names {test_source:?}, a public, predictable test sequence (never \
                     randomness): set {}=1 too if this is a test",
                    crate::collector::sources::ALLOW_INSECURE_TEST_SOURCE
                ),
            ));
        }
        if let Some(bad) = other_sources
            .iter()
            .find(|s| *s != test_source && !crate::collector::sources::NAMED_SOURCES.contains(&s.as_str()))
        {
            return Err(err(
                "QRNG_ENTROPY_SOURCES",
                format!("unknown source {bad:?} (known: {})", crate::collector::sources::NAMED_SOURCES.join(", ")),
            ));
        }
        let n_sources = appliance_urls.len() + quantis_devices.len() + other_sources.len();
        if n_sources == 0 {
            return Err(err(
                "QRNG_APPLIANCE_URLS",
                "no entropy source (set QRNG_APPLIANCE_URLS, QRNG_QUANTIS_DEVICES or QRNG_ENTROPY_SOURCES)",
            ));
        }
        let mixing = match env.raw("QRNG_MIXING_STRATEGY").map(|s| s.to_ascii_lowercase()).as_deref() {
            None | Some("none") => Mixing::None,
            Some("xor") => Mixing::Xor,
            Some("hkdf") => Mixing::Hkdf,
            Some(o) => return Err(err("QRNG_MIXING_STRATEGY", format!("expected none, xor or hkdf, got {o:?}"))),
        };
        if n_sources > 1 && mixing == Mixing::None {
            return Err(err("QRNG_MIXING_STRATEGY", "several sources are configured: choose xor or hkdf"));
        }
        let fetch_chunk_size = env.range("QRNG_FETCH_CHUNK_SIZE", 1024, 1, 65_536)?;
        let buffer_size = env.range("QRNG_BUFFER_SIZE", 1 << 20, 1024, 1 << 30)?;
        if buffer_size < fetch_chunk_size {
            return Err(err("QRNG_BUFFER_SIZE", "must be at least QRNG_FETCH_CHUNK_SIZE"));
        }
        let min_entropy_per_byte = env.range("QRNG_MIN_ENTROPY_PER_BYTE", 4.0, 0.5, 8.0)?;
        Ok(Self {
            push_urls,
            hmac_keys,
            appliance_urls,
            appliance_ca: env.path("QRNG_APPLIANCE_CA_FILE"),
            quantis_devices,
            other_sources,
            allow_insecure_test_source,
            mixing,
            fetch_chunk_size,
            fetch_interval: Duration::from_millis(env.range("QRNG_FETCH_INTERVAL_MS", 100, 0, 3_600_000)?),
            buffer_size,
            push_interval: Duration::from_millis(env.range("QRNG_PUSH_INTERVAL_MS", 500, 1, 3_600_000)?),
            max_retries: env.range("QRNG_MAX_RETRIES", 5, 0, 100)?,
            initial_backoff: Duration::from_millis(env.range("QRNG_INITIAL_BACKOFF_MS", 100, 1, 60_000)?),
            connect_timeout: Duration::from_millis(env.range("QRNG_CONNECT_TIMEOUT_MS", 3000, 100, 30_000)?),
            push_ca: env.path("QRNG_PUSH_CA_FILE"),
            require_pq_tls: env.flag("QRNG_REQUIRE_PQ_TLS")?,
            packet_max_bytes: env.range("QRNG_PACKET_MAX_BYTES", 65_536, 1, 1 << 20)?,
            sequence_file: env.path("QRNG_SEQUENCE_FILE"),
            min_entropy_per_byte,
            max_bytes: env.range("QRNG_MAX_BYTES", 0, 0, u64::MAX)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn gateway_defaults_are_secure() {
        let c = GatewayConfig::from_lookup(&lookup(&[("QRNG_API_KEYS", "0123456789abcdef0123")])).unwrap();
        assert!(c.listen.ip().is_loopback());
        assert_eq!(c.verifier.ttl, Duration::from_secs(300));
        assert_eq!(c.verifier.max_skew, Duration::from_secs(60));
        assert_eq!(c.overflow, OverflowPolicy::Discard);
        assert!(c.tls.is_none() && c.hmac_keys.is_empty());
    }

    #[test]
    fn gateway_errors_name_the_variable() {
        let e = GatewayConfig::from_lookup(&lookup(&[])).unwrap_err();
        assert_eq!(e.var, "QRNG_API_KEYS");
        let e = GatewayConfig::from_lookup(&lookup(&[("QRNG_API_KEYS", "short")])).unwrap_err();
        assert_eq!(e.var, "QRNG_API_KEYS");
        let base = [("QRNG_API_KEYS", "0123456789abcdef0123")];
        for (var, value) in [
            ("QRNG_HMAC_SECRET_KEY", "not-hex"),
            ("QRNG_BUFFER_SIZE", "12"),
            ("QRNG_BUFFER_OVERFLOW_POLICY", "drop"),
            ("QRNG_PACKET_TTL_SECS", "0"),
            ("QRNG_TLS_CERT_FILE", "/x.pem"),
            ("QRNG_LISTEN_ADDRESS", "nowhere"),
        ] {
            let mut pairs = base.to_vec();
            pairs.push((var, value));
            let e = GatewayConfig::from_lookup(&lookup(&pairs)).unwrap_err();
            assert_eq!(e.var, var, "{e}");
            assert!(!e.reason.contains("not-hex"), "secrets are not echoed: {e}");
        }
        // A buffer TTL stricter than the packet TTL also limits packet age (the public gateway's meaning).
        let mut pairs = base.to_vec();
        pairs.push(("QRNG_BUFFER_TTL_SECS", "30"));
        let c = GatewayConfig::from_lookup(&lookup(&pairs)).unwrap();
        assert_eq!(c.verifier.ttl, Duration::from_secs(30));
        // Several HMAC keys for rotation.
        let two = format!("{},{}", "aa".repeat(32), "bb".repeat(32));
        let mut pairs = base.to_vec();
        pairs.push(("QRNG_HMAC_SECRET_KEY", &two));
        let c = GatewayConfig::from_lookup(&lookup(&pairs)).unwrap();
        assert_eq!(c.hmac_keys.len(), 2);
        // Neither the API keys nor the HMAC keys appear in `Debug`.
        let shown = format!("{c:?}");
        assert_eq!(c.api_keys[0].as_bytes(), b"0123456789abcdef0123");
        assert!(!shown.contains("0123456789abcdef0123") && !shown.contains("aaaa"), "{shown}");
    }

    #[test]
    fn collector_config() {
        let key = "cd".repeat(32);
        let base = [("QRNG_PUSH_URL", "http://127.0.0.1:1/push"), ("QRNG_HMAC_SECRET_KEY", key.as_str())];
        assert_eq!(CollectorConfig::from_lookup(&lookup(&base)).unwrap_err().var, "QRNG_APPLIANCE_URLS");
        let mut pairs = base.to_vec();
        pairs.push(("QRNG_APPLIANCE_URLS", "https://a.example/api/2.0/streambytes, https://b.example"));
        assert_eq!(CollectorConfig::from_lookup(&lookup(&pairs)).unwrap_err().var, "QRNG_MIXING_STRATEGY");
        pairs.push(("QRNG_MIXING_STRATEGY", "HKDF"));
        let c = CollectorConfig::from_lookup(&lookup(&pairs)).unwrap();
        assert_eq!((c.mixing, c.appliance_urls.len(), c.fetch_chunk_size), (Mixing::Hkdf, 2, 1024));
        let mut pairs = base.to_vec();
        pairs.push(("QRNG_ENTROPY_SOURCES", "dice"));
        let e = CollectorConfig::from_lookup(&lookup(&pairs)).unwrap_err();
        assert_eq!(e.var, "QRNG_ENTROPY_SOURCES");
        assert!(!e.reason.contains("insecure-test-counter"), "the test source is not advertised: {e}");
    }

    #[test]
    fn collector_refuses_the_test_source_without_its_switch() {
        let key = "cd".repeat(32);
        let base = [
            ("QRNG_PUSH_URL", "http://127.0.0.1:1/push"),
            ("QRNG_HMAC_SECRET_KEY", key.as_str()),
            ("QRNG_ENTROPY_SOURCES", "insecure-test-counter"),
        ];
        let e = CollectorConfig::from_lookup(&lookup(&base)).unwrap_err();
        assert_eq!(e.var, "QRNG_ALLOW_INSECURE_TEST_SOURCE", "{e}");
        assert!(e.to_string().contains("QRNG_ALLOW_INSECURE_TEST_SOURCE"), "{e}");
        for off in ["0", "false", "no"] {
            let mut pairs = base.to_vec();
            pairs.push(("QRNG_ALLOW_INSECURE_TEST_SOURCE", off));
            let e = CollectorConfig::from_lookup(&lookup(&pairs)).unwrap_err();
            assert_eq!(e.var, "QRNG_ALLOW_INSECURE_TEST_SOURCE", "{off}: {e}");
        }
        let mut pairs = base.to_vec();
        pairs.push(("QRNG_ALLOW_INSECURE_TEST_SOURCE", "1"));
        let c = CollectorConfig::from_lookup(&lookup(&pairs)).unwrap();
        assert!(c.allow_insecure_test_source);
        assert_eq!(c.other_sources, ["insecure-test-counter"]);
        // The source itself refuses too without the switch (a configuration built otherwise).
        assert!(crate::collector::sources::named_source("insecure-test-counter", 4.0, false).is_err());
        assert!(crate::collector::sources::named_source("insecure-test-counter", 4.0, true).is_ok());
    }

    #[test]
    fn collector_several_gateways_need_one_distinct_key_each() {
        let (a, b) = ("aa".repeat(32), "bb".repeat(32));
        let urls = "http://127.0.0.1:1/push, http://127.0.0.1:2/push";
        let with = |url: &str, keys: &str| {
            CollectorConfig::from_lookup(&lookup(&[
                ("QRNG_PUSH_URL", url),
                ("QRNG_HMAC_SECRET_KEY", keys),
                ("QRNG_ENTROPY_SOURCES", "os"),
            ]))
        };
        let c = with(urls, &format!("{a},{b}")).unwrap();
        assert_eq!(c.push_urls, ["http://127.0.0.1:1/push", "http://127.0.0.1:2/push"]);
        assert_eq!(c.hmac_keys.len(), 2);
        assert_ne!(c.hmac_keys[0].fingerprint(), c.hmac_keys[1].fingerprint());
        let e = with(urls, &a).unwrap_err();
        assert_eq!(e.var, "QRNG_HMAC_SECRET_KEY");
        assert!(!e.reason.contains(&a), "secrets are not echoed: {e}");
        assert_eq!(with(urls, &format!("{a},{a}")).unwrap_err().var, "QRNG_HMAC_SECRET_KEY");
        assert_eq!(with("http://h/push,http://h/push", &format!("{a},{b}")).unwrap_err().var, "QRNG_PUSH_URL");
        assert_eq!(with("http://h/push,ftp://h/push", &format!("{a},{b}")).unwrap_err().var, "QRNG_PUSH_URL");
        assert!(!format!("{c:?}").contains("aaaa"), "keys are not shown by Debug");
    }
}
