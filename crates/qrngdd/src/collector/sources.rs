//! The collector's entropy sources: Quantis appliances over their REST API, local Quantis devices, and
//! any other [`EntropySource`].

use qres::entropy::{EntropySource, OsEntropy, QuantisDevice};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// An HTTP agent that verifies certificates against `ca_file` (PEM) or, without one, the webpki roots.
/// Status codes are returned, not turned into errors; no redirects are followed.
///
/// A whole call takes at most `timeout`; connecting (TCP and TLS) at most `connect_timeout`, and so does
/// sending the request headers, so that a host that stops answering fails fast with
/// [`ureq::Timeout::Connect`] or [`ureq::Timeout::SendRequest`] (nothing of the packet sent) rather than
/// with a global timeout whose outcome is unknown.
pub fn http_agent(
    ca_file: Option<&Path>,
    timeout: Duration,
    connect_timeout: Duration,
    require_pq: bool,
) -> Result<ureq::Agent, String> {
    let mut tls =
        ureq::tls::TlsConfig::builder().unversioned_rustls_crypto_provider(crate::tls::crypto_provider(require_pq));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("{}: no certificate", path.display()));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)));
    }
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(connect_timeout.min(timeout)))
        .timeout_send_request(Some(connect_timeout.min(timeout)))
        .max_redirects(0)
        .tls_config(tls.build())
        .user_agent(concat!("qrngdd-collector/", env!("CARGO_PKG_VERSION")))
        .build()
        .into())
}

/// A Quantis appliance read through `GET {url}/api/2.0/streambytes?size=N`.
///
/// The answer is the raw bytes (`application/octet-stream`) or, when the appliance says
/// `application/json`, a JSON array of byte values; exactly N bytes are required.
pub struct QuantisAppliance {
    agent: ureq::Agent,
    url: String,
    name: String,
    claim: f64,
}

impl core::fmt::Debug for QuantisAppliance {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("QuantisAppliance").field("url", &self.url).finish()
    }
}

impl QuantisAppliance {
    /// An appliance at `url` (a URL ending in `/streambytes` is used as is, otherwise
    /// `/api/2.0/streambytes` is appended), claiming `claim` bits per byte.
    pub fn new(url: &str, agent: ureq::Agent, claim: f64) -> Self {
        let url = url.trim_end_matches('/');
        let url = if url.ends_with("/streambytes") { url.to_owned() } else { format!("{url}/api/2.0/streambytes") };
        let host = url.split("://").nth(1).unwrap_or(&url).split('/').next().unwrap_or("").to_owned();
        Self { agent, name: format!("quantis-appliance:{host}"), url, claim }
    }

    fn fail(&self, reason: String) -> qres::Error {
        qres::Error::EntropySource { source_name: self.name.clone(), reason }
    }
}

impl EntropySource for QuantisAppliance {
    fn name(&self) -> &str {
        &self.name
    }

    fn min_entropy_per_byte(&self) -> f64 {
        self.claim
    }

    fn fill(&mut self, dest: &mut [u8]) -> qres::Result<()> {
        for chunk in dest.chunks_mut(65_536) {
            let url = format!("{}?size={}", self.url, chunk.len());
            let mut resp = self.agent.get(&url).call().map_err(|e| self.fail(format!("request failed: {e}")))?;
            if resp.status().as_u16() != 200 {
                return Err(self.fail(format!("the appliance answered {}", resp.status().as_u16())));
            }
            let json = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim_start().starts_with("application/json"));
            // A JSON array of N bytes takes at most 4 characters per byte plus brackets.
            let limit = if json { chunk.len() as u64 * 4 + 16 } else { chunk.len() as u64 + 1 };
            let mut body = Zeroizing::new(Vec::new());
            resp.body_mut()
                .with_config()
                .limit(limit)
                .reader()
                .read_to_end(&mut body)
                .map_err(|e| self.fail(format!("reading the answer: {e}")))?;
            let bytes = if json {
                Zeroizing::new(
                    serde_json::from_slice::<Vec<u8>>(&body)
                        .map_err(|e| self.fail(format!("not a JSON byte array: {e}")))?,
                )
            } else {
                body
            };
            if bytes.len() != chunk.len() {
                return Err(self.fail(format!("asked for {} bytes, received {}", chunk.len(), bytes.len())));
            }
            chunk.copy_from_slice(&bytes);
        }
        Ok(())
    }
}

/// The production names [`named_source`] knows (`QRNG_ENTROPY_SOURCES`). The test source
/// [`TestCounter::NAME`] is known too, but only with [`ALLOW_INSECURE_TEST_SOURCE`] set, and is not listed.
pub const NAMED_SOURCES: [&str; 1] = ["os"];

/// The variable that must be `1` (or `true`) for `QRNG_ENTROPY_SOURCES` to accept
/// [`TestCounter::NAME`]: a second, explicit switch, so that the test source cannot be selected by a
/// source list alone.
pub const ALLOW_INSECURE_TEST_SOURCE: &str = "QRNG_ALLOW_INSECURE_TEST_SOURCE";

/// A named source of `QRNG_ENTROPY_SOURCES`, with `claim` bits per byte. The test source
/// [`TestCounter::NAME`] is refused unless `allow_test_source` ([`ALLOW_INSECURE_TEST_SOURCE`]) is set.
pub fn named_source(name: &str, claim: f64, allow_test_source: bool) -> Result<Box<dyn EntropySource>, String> {
    match name {
        "os" => Ok(Box::new(Claimed { inner: OsEntropy, claim })),
        TestCounter::NAME if !allow_test_source => Err(format!(
            "{name:?} is a public, predictable test sequence: it needs {ALLOW_INSECURE_TEST_SOURCE}=1 as well"
        )),
        TestCounter::NAME => {
            tracing::warn!(
                source = TestCounter::NAME,
                "TEST SOURCE: the bytes are a public, predictable sequence and must never be used as randomness"
            );
            Ok(Box::new(TestCounter::new(claim)))
        }
        other => Err(format!("unknown entropy source {other:?}")),
    }
}

/// Opens a local Quantis device claiming `claim` bits per byte.
pub fn device_source(path: &Path, claim: f64) -> Result<Box<dyn EntropySource>, String> {
    let dev = QuantisDevice::open(path).and_then(|d| d.with_min_entropy(claim)).map_err(|e| e.to_string())?;
    Ok(Box::new(dev))
}

/// A source with its entropy claim replaced (so that every source's health tests use the configured
/// claim).
struct Claimed<S> {
    inner: S,
    claim: f64,
}

impl<S: EntropySource> EntropySource for Claimed<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn min_entropy_per_byte(&self) -> f64 {
        self.claim
    }
    fn fill(&mut self, dest: &mut [u8]) -> qres::Result<()> {
        self.inner.fill(dest)
    }
}

/// **Not random: for tests only.** A source whose output is a known sequence of 32-byte blocks, block `i`
/// being [`TestCounter::block`]`(i)` = SHA-256(`"qrngdd insecure test counter"` ‖ `i` as 8 big-endian
/// bytes), for `i` = 0, 1, 2, … from the start of each collector run.
///
/// It exists so that a test can tell exactly which bytes a gateway served, and so check that no byte is
/// served twice across gateways (SHA-256 makes the blocks pass the health tests; anyone can compute
/// them). It is reachable only by its explicit name `insecure-test-counter` in `QRNG_ENTROPY_SOURCES`
/// *and* the second switch `QRNG_ALLOW_INSECURE_TEST_SOURCE=1` ([`ALLOW_INSECURE_TEST_SOURCE`]); the
/// collector logs a warning when it is configured.
#[derive(Debug)]
pub struct TestCounter {
    /// Bytes of the sequence delivered so far.
    pos: u64,
    claim: f64,
}

impl TestCounter {
    /// The name in `QRNG_ENTROPY_SOURCES`.
    pub const NAME: &'static str = "insecure-test-counter";
    /// Bytes per block.
    pub const BLOCK: usize = 32;

    /// The sequence from its start, claiming `claim` bits per byte (the claim sets the health tests).
    pub fn new(claim: f64) -> Self {
        Self { pos: 0, claim }
    }

    /// Block `i` of the sequence.
    pub fn block(i: u64) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"qrngdd insecure test counter");
        h.update(i.to_be_bytes());
        h.finalize().into()
    }
}

impl EntropySource for TestCounter {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn min_entropy_per_byte(&self) -> f64 {
        self.claim
    }
    fn fill(&mut self, dest: &mut [u8]) -> qres::Result<()> {
        let mut done = 0;
        while done < dest.len() {
            let block = Self::block(self.pos / Self::BLOCK as u64);
            let at = (self.pos % Self::BLOCK as u64) as usize;
            let n = (Self::BLOCK - at).min(dest.len() - done);
            dest[done..done + n].copy_from_slice(&block[at..at + n]);
            done += n;
            self.pos += n as u64;
        }
        Ok(())
    }
}
