//! The HTTP client: configuration, authentication (token, AppRole) and re-login, TLS, bounded responses,
//! and the mapping of Vault's answers to qres errors.

use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeroize::{Zeroize, Zeroizing};

/// Largest response body read from the server.
const MAX_RESPONSE_LEN: u64 = 32 << 20;
const HINT_REACH: &str =
    "the address (VAULT_ADDR), that the server is running and unsealed, and TLS settings (VAULT_CACERT)";
const HINT_AUTH: &str =
    "the token (VAULT_TOKEN) or AppRole credentials, and that its policies allow transit and KV access";

/// How to authenticate.
#[derive(Clone)]
#[non_exhaustive]
pub enum VaultAuth {
    /// A token.
    Token(SecretBytes),
    /// AppRole: log in at `auth/<mount>/login` with a role id and a secret id.
    AppRole {
        /// The auth mount (usually `approle`).
        mount: String,
        /// The role id.
        role_id: String,
        /// The secret id.
        secret_id: SecretBytes,
    },
    /// AppRole with the secret id read from a file at each login (trailing whitespace ignored), so that
    /// a deployment can replace an expiring secret id (for example a response-wrapped one delivered by an
    /// orchestrator) without restarting the process: the next login, after the token expired or was
    /// revoked, reads the new one.
    AppRoleSecretFile {
        /// The auth mount (usually `approle`).
        mount: String,
        /// The role id.
        role_id: String,
        /// The file holding the secret id.
        secret_id_file: PathBuf,
    },
}

impl core::fmt::Debug for VaultAuth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::AppRole { mount, role_id, .. } => {
                f.debug_struct("AppRole").field("mount", mount).field("role_id", role_id).finish_non_exhaustive()
            }
            Self::AppRoleSecretFile { mount, role_id, secret_id_file } => f
                .debug_struct("AppRoleSecretFile")
                .field("mount", mount)
                .field("role_id", role_id)
                .field("secret_id_file", secret_id_file)
                .finish(),
        }
    }
}

/// Where and how to reach the server, and which mounts to use.
#[derive(Clone, Debug)]
pub struct VaultConfig {
    /// The server address, e.g. `https://vault.internal:8200`.
    pub address: String,
    /// Authentication.
    pub auth: VaultAuth,
    /// CA certificates (PEM) to trust instead of the web PKI roots.
    pub ca_pem: Option<Vec<u8>>,
    /// A Vault Enterprise / OpenBao namespace (sent as `X-Vault-Namespace`).
    pub namespace: Option<String>,
    /// The transit mount.
    pub transit_mount: String,
    /// The transit key that wraps data keys.
    pub transit_key: String,
    /// The KV v2 mount.
    pub kv_mount: String,
    /// The path prefix of keysets inside the KV mount.
    pub kv_prefix: String,
    /// Timeout of each request.
    pub timeout: Duration,
    /// An HTTP(S) proxy to use (`http://host:port`). Proxy environment variables are ignored: the
    /// traffic carries tokens and data keys, so a proxy must be chosen explicitly.
    pub proxy: Option<String>,
    /// Allows `http://` to a host that is not loopback. **Hazardous**: tokens, sealed keysets and the
    /// plaintext data keys of transit responses then cross the network in clear. Off by default;
    /// `http://` to 127.0.0.0/8, `::1` or `localhost` (a dev server) is always allowed.
    pub allow_insecure_http: bool,
}

impl VaultConfig {
    /// A configuration with the usual mounts (`transit`, `secret`), transit key `qres`, prefix `qres`,
    /// and a 10-second timeout.
    pub fn new(address: impl Into<String>, auth: VaultAuth) -> Self {
        Self {
            address: address.into().trim_end_matches('/').to_owned(),
            auth,
            ca_pem: None,
            namespace: None,
            transit_mount: "transit".into(),
            transit_key: "qres".into(),
            kv_mount: "secret".into(),
            kv_prefix: "qres".into(),
            timeout: Duration::from_secs(10),
            proxy: None,
            allow_insecure_http: false,
        }
    }

    /// From the environment: `VAULT_ADDR` or `BAO_ADDR`; `VAULT_TOKEN` or `BAO_TOKEN`, else AppRole from
    /// `VAULT_ROLE_ID` and `VAULT_SECRET_ID` (or `VAULT_SECRET_ID_FILE`, read at each login); `VAULT_CACERT` or `BAO_CACERT` (a PEM file);
    /// `VAULT_NAMESPACE`. A missing address or credentials is a typed error that names the variables.
    pub fn from_env() -> Result<Self> {
        let var = |a: &str, b: &str| std::env::var(a).or_else(|_| std::env::var(b)).ok().filter(|v| !v.is_empty());
        let address = var("VAULT_ADDR", "BAO_ADDR").ok_or_else(|| Error::KeyStoreUnavailable {
            store: "Vault/OpenBao".into(),
            detail: "no server address configured".into(),
            hint: "VAULT_ADDR (or BAO_ADDR)",
        })?;
        let auth = if let Some(token) = var("VAULT_TOKEN", "BAO_TOKEN") {
            VaultAuth::Token(SecretBytes::new(token.into_bytes()))
        } else if let (Some(role_id), Some(secret_id)) =
            (var("VAULT_ROLE_ID", "BAO_ROLE_ID"), var("VAULT_SECRET_ID", "BAO_SECRET_ID"))
        {
            VaultAuth::AppRole { mount: "approle".into(), role_id, secret_id: SecretBytes::new(secret_id.into_bytes()) }
        } else if let (Some(role_id), Some(file)) =
            (var("VAULT_ROLE_ID", "BAO_ROLE_ID"), var("VAULT_SECRET_ID_FILE", "BAO_SECRET_ID_FILE"))
        {
            VaultAuth::AppRoleSecretFile { mount: "approle".into(), role_id, secret_id_file: PathBuf::from(file) }
        } else {
            return Err(Error::KeyStoreAccessDenied {
                store: format!("Vault/OpenBao at {address}"),
                detail: "no credentials configured".into(),
                hint: "VAULT_TOKEN (or BAO_TOKEN), or VAULT_ROLE_ID and VAULT_SECRET_ID",
            });
        };
        let mut config = Self::new(address, auth);
        if let Some(path) = var("VAULT_CACERT", "BAO_CACERT") {
            config.ca_pem = Some(std::fs::read(&path).map_err(|e| Error::io("reading VAULT_CACERT", &e))?);
        }
        config.namespace = var("VAULT_NAMESPACE", "BAO_NAMESPACE");
        Ok(config)
    }
}

/// A token in use, and when an AppRole login said it expires.
#[derive(Clone)]
struct Token {
    value: SecretBytes,
    expires: Option<Instant>,
}

/// An authenticated HTTP client of one server, shared by the wrapper and the store.
///
/// With AppRole it logs in on first use and again when its token is about to expire (by the lease the
/// login returned) or is refused as invalid (revoked, expired early); a request the token's policy does
/// not allow is an [`Error::KeyStoreAccessDenied`] without another login. A sealed, restarting or
/// overloaded server, and a connection that fails or times out, are
/// [`Error::KeyStoreTemporarilyUnavailable`]: the same client works again once the server is back.
pub struct VaultClient {
    pub(super) config: VaultConfig,
    agent: ureq::Agent,
    token: Mutex<Option<Token>>,
}

/// A JSON body whose strings are overwritten with zeros when it is dropped (transit plaintexts, tokens,
/// secret ids pass through these).
pub(super) struct Json(pub(super) Value);

impl core::ops::Deref for Json {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.0
    }
}

impl Drop for Json {
    fn drop(&mut self) {
        scrub(&mut self.0);
    }
}

/// Overwrites every string of `value` with zeros (in place, then empties it).
fn scrub(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(a) => a.iter_mut().for_each(scrub),
        Value::Object(o) => o.values_mut().for_each(scrub),
        _ => {}
    }
}

/// Serializes `value` into a buffer that is zeroized on drop, then scrubs `value`.
fn to_body(mut value: Value) -> Zeroizing<Vec<u8>> {
    // Sized first (a counting pass), so that the buffer never reallocates and leaves no copy behind.
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` cannot fail (neither writer fails).
    let _ = serde_json::to_writer(&mut count, &value);
    let mut out = Zeroizing::new(Vec::with_capacity(count.0));
    let _ = serde_json::to_writer(&mut *out, &value);
    scrub(&mut value);
    out
}

/// HTTP statuses after which the same request may succeed later: rate limited, sealed or in standby
/// (503), a gateway or proxy in between failing (502, 504); and a 500 while a node has no active leader
/// (just after an unseal or a restart).
fn transient(status: u16, value: &Value) -> bool {
    let errors = value["errors"].to_string();
    matches!(status, 429 | 502 | 503 | 504)
        || (status == 500 && ["not active", "no leader", "sealed", "standby"].iter().any(|w| errors.contains(w)))
}

impl core::fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VaultClient").field("address", &self.config.address).finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Post,
    Delete,
}

impl VaultClient {
    /// A client for `config` (no request is made yet).
    pub fn new(config: VaultConfig) -> Result<Self> {
        if let Some(rest) = config.address.strip_prefix("http://") {
            let host = rest.split('/').next().unwrap_or("");
            let host = host
                .rsplit_once(':')
                .map_or(host, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { host });
            let loopback = host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback && !config.allow_insecure_http {
                return Err(Error::InvalidInput(
                    "plain http:// to a Vault server that is not on loopback would expose tokens and data keys; use https:// (or set allow_insecure_http)",
                ));
            }
            if !loopback {
                tracing::warn!(target: "qres::keystore", address = %config.address, "Vault over plain HTTP: tokens and data keys cross the network in clear");
            }
        } else if !config.address.starts_with("https://") {
            return Err(Error::InvalidInput("the Vault address must start with https:// (or http:// on loopback)"));
        }
        let proxy = match &config.proxy {
            Some(p) => {
                Some(ureq::Proxy::new(p).map_err(|_| Error::InvalidInput("the Vault proxy is not a valid proxy URL"))?)
            }
            None => None,
        };
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = &config.ca_pem {
            let certs: Vec<_> = ureq::tls::parse_pem(pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(Error::InvalidInput("the Vault CA file holds no PEM certificate"));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            .tls_config(tls.build())
            .build()
            .into();
        let token = match &config.auth {
            VaultAuth::Token(t) if t.is_empty() => {
                return Err(Error::KeyStoreAccessDenied {
                    store: format!("Vault/OpenBao at {}", config.address),
                    detail: "the token is empty".into(),
                    hint: HINT_AUTH,
                });
            }
            VaultAuth::Token(t) => Some(Token { value: t.clone(), expires: None }),
            _ => None,
        };
        Ok(Self { config, agent, token: Mutex::new(token) })
    }

    /// The configuration.
    pub fn config(&self) -> &VaultConfig {
        &self.config
    }

    pub(super) fn store_name(&self) -> String {
        format!("Vault/OpenBao at {}", self.config.address)
    }

    pub(super) fn unavailable(&self, detail: String) -> Error {
        Error::KeyStoreUnavailable { store: self.store_name(), detail, hint: HINT_REACH }
    }

    fn denied(&self, detail: String) -> Error {
        Error::KeyStoreAccessDenied { store: self.store_name(), detail, hint: HINT_AUTH }
    }

    fn temporarily(&self, detail: String, kind: Option<std::io::ErrorKind>) -> Error {
        Error::KeyStoreTemporarilyUnavailable { store: self.store_name(), detail, hint: HINT_REACH, kind }
    }

    /// A failed exchange: a connection refused, reset or timed out may work later (a restarting server);
    /// TLS, address and protocol errors need a change of configuration.
    fn transport(&self, e: ureq::Error) -> Error {
        use std::io::ErrorKind as K;
        match e {
            ureq::Error::Io(io) => {
                let kind = io.kind();
                let detail = io.to_string();
                match kind {
                    K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::TimedOut
                    | K::BrokenPipe
                    | K::UnexpectedEof
                    | K::Interrupted => self.temporarily(detail, Some(kind)),
                    _ => self.unavailable(detail),
                }
            }
            ureq::Error::Timeout(t) => self.temporarily(format!("timed out ({t})"), Some(K::TimedOut)),
            ureq::Error::ConnectionFailed => self.temporarily("connection failed".into(), None),
            other => self.unavailable(other.to_string()),
        }
    }

    /// One HTTP exchange; returns the status and the JSON body (`null` when empty). The request body,
    /// the token header's copy and the response text are held in buffers zeroized on drop; what ureq and
    /// rustls copy internally is not (SECURITY.md, "Running the key stores in production").
    fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&[u8]>,
        token: Option<&SecretBytes>,
    ) -> Result<(u16, Json)> {
        let url = format!("{}/v1/{path}", self.config.address);
        let token = match token {
            Some(t) => Some(Zeroizing::new(
                std::str::from_utf8(t.as_bytes())
                    .map_err(|_| Error::InvalidInput("a Vault token must be UTF-8"))?
                    .to_owned(),
            )),
            None => None,
        };
        let result = match method {
            Method::Get | Method::Delete => {
                let mut req = if method == Method::Get { self.agent.get(&url) } else { self.agent.delete(&url) };
                if let Some(t) = &token {
                    req = req.header("X-Vault-Token", t.as_str());
                }
                if let Some(ns) = &self.config.namespace {
                    req = req.header("X-Vault-Namespace", ns);
                }
                req.call()
            }
            Method::Post => {
                let mut req = self.agent.post(&url).header("Content-Type", "application/json");
                if let Some(t) = &token {
                    req = req.header("X-Vault-Token", t.as_str());
                }
                if let Some(ns) = &self.config.namespace {
                    req = req.header("X-Vault-Namespace", ns);
                }
                req.send(body.unwrap_or_default())
            }
        };
        let mut response = result.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        // Read into one buffer sized by Content-Length up front: a growing Vec would leave unzeroized
        // copies behind at each reallocation.
        let expected = response.body().content_length().unwrap_or(16 << 10).min(MAX_RESPONSE_LEN);
        let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(expected).unwrap_or(16 << 10)));
        {
            use std::io::Read;
            let reader = response.body_mut().with_config().limit(MAX_RESPONSE_LEN).reader();
            reader.take(MAX_RESPONSE_LEN + 1).read_to_end(&mut bytes).map_err(|e| {
                let kind = e.kind();
                match self.transport(ureq::Error::Io(e)) {
                    Error::KeyStoreUnavailable { detail, .. } => {
                        self.unavailable(format!("reading the response ({kind}): {detail}"))
                    }
                    other => other,
                }
            })?;
        }
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                // A proxy's or load balancer's error page while the server is away.
                Err(_) if transient(status, &Value::Null) => {
                    return Err(self.temporarily(format!("HTTP {status} with a body that is not JSON"), None));
                }
                Err(_) => return Err(self.unavailable(format!("HTTP {status} with a body that is not JSON"))),
            }
        };
        Ok((status, Json(value)))
    }

    /// Logs in with AppRole; returns the token and when it expires (a little before its lease ends).
    fn login(&self) -> Result<Token> {
        let (mount, role_id, secret_id) = match &self.config.auth {
            VaultAuth::AppRole { mount, role_id, secret_id } => (mount, role_id, secret_id.clone()),
            VaultAuth::AppRoleSecretFile { mount, role_id, secret_id_file } => {
                let mut raw = std::fs::read(secret_id_file)
                    .map_err(|e| self.denied(format!("reading the AppRole secret id file: {}", e.kind())))?;
                let len = raw.trim_ascii_end().len();
                raw.truncate(len);
                (mount, role_id, SecretBytes::new(raw))
            }
            _ => return Err(self.denied("the token was refused".into())),
        };
        let secret_id = std::str::from_utf8(secret_id.as_bytes())
            .map_err(|_| self.denied("the AppRole secret id is not UTF-8".into()))?;
        let body = to_body(json!({ "role_id": role_id, "secret_id": secret_id }));
        let (status, value) = self.send(Method::Post, &format!("auth/{mount}/login"), Some(&body), None)?;
        match status {
            200 => {}
            400 | 403 => {
                return Err(self.denied(format!(
                    "AppRole login refused (HTTP {status}): the role id or secret id is wrong, or the secret id \
                     expired or has no uses left"
                )));
            }
            s if transient(s, &value) => return Err(self.unexpected(status, &value)),
            _ => return Err(self.unexpected(status, &value)),
        }
        let token = value["auth"]["client_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.unavailable("AppRole login returned no token".into()))?;
        // Renew by logging in again once 90 % of the lease has passed (0: no expiry).
        let expires = value["auth"]["lease_duration"]
            .as_u64()
            .filter(|&l| l > 0)
            .map(|l| Instant::now() + Duration::from_millis(l.saturating_mul(900)));
        tracing::info!(target: "qres::keystore", store = "vault", mount = %mount, "AppRole login");
        Ok(Token { value: SecretBytes::from_slice(token.as_bytes()), expires })
    }

    /// The current token, logging in first when there is none or it is about to expire.
    fn token(&self) -> Result<Token> {
        let mut guard = self.token.lock().unwrap_or_else(|p| p.into_inner());
        match &*guard {
            Some(t) if t.expires.is_none_or(|e| Instant::now() < e) => Ok(t.clone()),
            _ => {
                let fresh = self.login()?;
                *guard = Some(fresh.clone());
                Ok(fresh)
            }
        }
    }

    /// Whether the server still accepts `token` (`auth/token/lookup-self`, allowed by the default
    /// policy): tells a revoked or expired token from a request its policy denies.
    fn token_valid(&self, token: &SecretBytes) -> Result<bool> {
        let (status, value) = self.send(Method::Get, "auth/token/lookup-self", None, Some(token))?;
        match status {
            200 => Ok(true),
            401 | 403 => Ok(false),
            _ => Err(self.unexpected(status, &value)),
        }
    }

    pub(super) fn unexpected(&self, status: u16, value: &Value) -> Error {
        let errors =
            value["errors"].as_array().map(|a| a.iter().filter_map(|e| e.as_str()).collect::<Vec<_>>().join("; "));
        match status {
            404 if errors.as_deref().is_some_and(|e| e.contains("no handler for route")) => self.unavailable(format!(
                "no secrets engine is mounted where qres expects one (transit at {}/, KV v2 at {}/); enable them, \
                 e.g. `bao secrets enable transit`",
                self.config.transit_mount, self.config.kv_mount
            )),
            s if transient(s, value) => self.temporarily(
                format!(
                    "HTTP {status} (sealed, in standby, restarting or rate limited): {}",
                    errors.unwrap_or_default()
                ),
                None,
            ),
            _ => self.unavailable(format!("unexpected HTTP {status}: {}", errors.unwrap_or_default())),
        }
    }

    /// An authenticated request. With AppRole, a token the server no longer accepts is replaced by a new
    /// login, once; a token that is valid but not allowed on `path` is an access-denied error at once.
    pub(super) fn request(&self, method: Method, path: &str, body: Option<Value>) -> Result<(u16, Json)> {
        let body = body.map(to_body);
        let approle = !matches!(self.config.auth, VaultAuth::Token(_));
        for attempt in 0..2 {
            let token = self.token()?;
            let (status, value) = self.send(method, path, body.as_deref().map(Vec::as_slice), Some(&token.value))?;
            if status == 403 || status == 401 {
                if approle && attempt == 0 && !self.token_valid(&token.value)? {
                    let mut guard = self.token.lock().unwrap_or_else(|p| p.into_inner());
                    // Forget it unless another thread has already logged in again.
                    if guard.as_ref().is_some_and(|t| t.value == token.value) {
                        *guard = None;
                    }
                    continue;
                }
                return Err(self.denied(format!(
                    "permission denied on {path} (the token's policies do not allow this {})",
                    match method {
                        Method::Get => "read",
                        Method::Post => "write",
                        Method::Delete => "delete",
                    }
                )));
            }
            if transient(status, &value) {
                return Err(self.unexpected(status, &value));
            }
            return Ok((status, value));
        }
        Err(self.denied(format!("permission denied on {path} (a fresh AppRole token was refused)")))
    }

    /// Checks that the server answers and is unsealed (`sys/health`, no token needed).
    pub fn health(&self) -> Result<()> {
        let (status, value) = self.send(Method::Get, "sys/health", None, None)?;
        match status {
            200 | 429 | 473 => Ok(()),
            501 => Err(self.unavailable("the server is not initialized".into())),
            503 => Err(self.temporarily("the server is sealed".into(), None)),
            _ => Err(self.unexpected(status, &value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde_json::json;

    #[test]
    fn request_bodies_never_reallocate_and_values_are_scrubbed() {
        let key = STANDARD.encode([0x42u8; 32]);
        let body = to_body(json!({ "plaintext": key, "associated_data": STANDARD.encode([7u8; 300]) }));
        // Allocated once at its final size: no freed, unzeroized copy of the data key left behind.
        assert_eq!(body.len(), body.capacity());
        assert!(body.windows(key.len()).any(|w| w == key.as_bytes()));
        let mut value = json!({ "data": { "plaintext": key, "list": ["a-token"] }, "n": 1 });
        scrub(&mut value);
        assert_eq!(value, json!({ "data": { "plaintext": "", "list": [""] }, "n": 1 }));
    }
}
