//! OpenBao / HashiCorp Vault: the transit engine wraps data keys ([`VaultTransitWrapper`]) and KV v2
//! keeps the wrapped keysets with their revisions ([`VaultKeyStore`]). Feature `vault`.
//!
//! The wrapping key never leaves the server: qres sends a fresh 32-byte data key to
//! `transit/encrypt/<key>` and stores only the returned `vault:v<n>:...` ciphertext, sealed beside the
//! keyset as in [`wrap::seal`]. A KV v2 secret `<kv mount>/data/<prefix>/<name>` holds one field
//! `sealed` (base64 of the sealed keyset); each write is a KV version, i.e. a keyset revision, and
//! conditional writes use KV's check-and-set. Rotating the transit key (`transit/keys/<key>/rotate`) is
//! transparent: old wrapped keys still unwrap, new ones use the newest transit key version.
//!
//! Authentication is a token (`VAULT_TOKEN` / `BAO_TOKEN`) or AppRole (role id and secret id; the token it
//! returns is renewed by logging in again when the server refuses it). TLS is rustls, with the system's
//! web PKI roots or a CA given in PEM (`VAULT_CACERT`). Failures are typed and say what to check:
//! [`Error::KeyStoreUnavailable`] (address, server down or sealed, TLS) and
//! [`Error::KeyStoreAccessDenied`] (token, AppRole, policies).
//!
//! ```no_run
//! use qres::keys::store::vault::{VaultConfig, VaultKeyStore};
//! use qres::keys::{KeyAlgorithm, KeyStore, Keyset};
//! use qres::{default_provider, KemId, OsRng};
//! let provider = default_provider();
//! // VAULT_ADDR, VAULT_TOKEN (or BAO_ADDR, BAO_TOKEN), VAULT_CACERT.
//! let store = VaultKeyStore::new(VaultConfig::from_env()?, provider.clone())?;
//! store.ensure_transit_key()?;
//! let keyset = Keyset::generate(&provider, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng)?;
//! store.put("mail", &keyset, &mut OsRng)?;
//! # Ok::<(), qres::Error>(())
//! ```

use super::{KeyStore, StoredKeyset, check_name, context};
use crate::error::{Error, Result};
use crate::keys::wrap::{self, KeyWrapper, kind};
use crate::keys::{KeyStatus, Keyset};
use crate::provider::Provider;
use crate::random::DynCryptoRng;
use crate::secret::SecretBytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest response body read from the server.
const MAX_RESPONSE_LEN: u64 = 32 << 20;
const HINT_REACH: &str =
    "the address (VAULT_ADDR), that the server is running and unsealed, and TLS settings (VAULT_CACERT)";
const HINT_AUTH: &str =
    "the token (VAULT_TOKEN) or AppRole credentials, and that its policies allow transit and KV access";

/// How to authenticate.
#[derive(Clone)]
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
}

impl core::fmt::Debug for VaultAuth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::AppRole { mount, role_id, .. } => {
                f.debug_struct("AppRole").field("mount", mount).field("role_id", role_id).finish_non_exhaustive()
            }
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
    /// `VAULT_ROLE_ID` and `VAULT_SECRET_ID`; `VAULT_CACERT` or `BAO_CACERT` (a PEM file);
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

/// An authenticated HTTP client of one server, shared by the wrapper and the store.
pub struct VaultClient {
    config: VaultConfig,
    agent: ureq::Agent,
    token: Mutex<Option<SecretBytes>>,
}

impl core::fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VaultClient").field("address", &self.config.address).finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Method {
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
            VaultAuth::Token(t) => Some(t.clone()),
            VaultAuth::AppRole { .. } => None,
        };
        Ok(Self { config, agent, token: Mutex::new(token) })
    }

    /// The configuration.
    pub fn config(&self) -> &VaultConfig {
        &self.config
    }

    fn store_name(&self) -> String {
        format!("Vault/OpenBao at {}", self.config.address)
    }

    fn unavailable(&self, detail: String) -> Error {
        Error::KeyStoreUnavailable { store: self.store_name(), detail, hint: HINT_REACH }
    }

    fn denied(&self, detail: String) -> Error {
        Error::KeyStoreAccessDenied { store: self.store_name(), detail, hint: HINT_AUTH }
    }

    /// One HTTP exchange; returns the status and the JSON body (`null` when empty).
    fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&SecretBytes>,
    ) -> Result<(u16, Value)> {
        let url = format!("{}/v1/{path}", self.config.address);
        let token = token.map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned());
        let result = match method {
            Method::Get | Method::Delete => {
                let mut req = if method == Method::Get { self.agent.get(&url) } else { self.agent.delete(&url) };
                if let Some(t) = &token {
                    req = req.header("X-Vault-Token", t);
                }
                if let Some(ns) = &self.config.namespace {
                    req = req.header("X-Vault-Namespace", ns);
                }
                req.call()
            }
            Method::Post => {
                let mut req = self.agent.post(&url).header("Content-Type", "application/json");
                if let Some(t) = &token {
                    req = req.header("X-Vault-Token", t);
                }
                if let Some(ns) = &self.config.namespace {
                    req = req.header("X-Vault-Namespace", ns);
                }
                req.send(body.map(|b| b.to_string()).unwrap_or_default())
            }
        };
        let mut response = result.map_err(|e| self.unavailable(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_LEN)
            .read_to_string()
            .map_err(|e| self.unavailable(format!("reading the response: {e}")))?;
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|_| self.unavailable(format!("HTTP {status} with a body that is not JSON")))?
        };
        Ok((status, value))
    }

    fn login(&self) -> Result<SecretBytes> {
        let VaultAuth::AppRole { mount, role_id, secret_id } = &self.config.auth else {
            return Err(self.denied("the token was refused".into()));
        };
        let body = json!({ "role_id": role_id, "secret_id": String::from_utf8_lossy(secret_id.as_bytes()) });
        let (status, value) = self.send(Method::Post, &format!("auth/{mount}/login"), Some(&body), None)?;
        match status {
            200 => {}
            400 | 403 => return Err(self.denied(format!("AppRole login refused (HTTP {status})"))),
            _ => return Err(self.unexpected(status, &value)),
        }
        let token = value["auth"]["client_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.unavailable("AppRole login returned no token".into()))?;
        tracing::info!(target: "qres::keystore", store = "vault", mount = %mount, "AppRole login");
        Ok(SecretBytes::new(token.as_bytes().to_vec()))
    }

    fn unexpected(&self, status: u16, value: &Value) -> Error {
        let errors =
            value["errors"].as_array().map(|a| a.iter().filter_map(|e| e.as_str()).collect::<Vec<_>>().join("; "));
        match status {
            404 if errors.as_deref().is_some_and(|e| e.contains("no handler for route")) => self.unavailable(format!(
                "no secrets engine is mounted where qres expects one (transit at {}/, KV v2 at {}/); enable them, \
                 e.g. `bao secrets enable transit`",
                self.config.transit_mount, self.config.kv_mount
            )),
            503 => self.unavailable(format!("HTTP 503 (sealed or in standby): {}", errors.unwrap_or_default())),
            _ => self.unavailable(format!("unexpected HTTP {status}: {}", errors.unwrap_or_default())),
        }
    }

    /// An authenticated request; a refused AppRole token is renewed by logging in again, once.
    fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        for attempt in 0..2 {
            let token = {
                let mut guard = self.token.lock().unwrap_or_else(|p| p.into_inner());
                if guard.is_none() {
                    *guard = Some(self.login()?);
                }
                guard.clone()
            };
            let (status, value) = self.send(method, path, body, token.as_ref())?;
            if status == 403 {
                if attempt == 0 && matches!(self.config.auth, VaultAuth::AppRole { .. }) {
                    *self.token.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    continue;
                }
                return Err(self.denied(format!("permission denied on {path}")));
            }
            if status == 503 {
                return Err(self.unexpected(status, &value));
            }
            return Ok((status, value));
        }
        Err(self.denied(format!("permission denied on {path}")))
    }

    /// Checks that the server answers and is unsealed (`sys/health`, no token needed).
    pub fn health(&self) -> Result<()> {
        let (status, value) = self.send(Method::Get, "sys/health", None, None)?;
        match status {
            200 | 429 | 473 => Ok(()),
            501 => Err(self.unavailable("the server is not initialized".into())),
            503 => Err(self.unavailable("the server is sealed".into())),
            _ => Err(self.unexpected(status, &value)),
        }
    }
}

/// Wraps data keys with the transit engine: the wrapping key never leaves the server. Usable with any
/// store (e.g. [`FileKeyStore`](crate::keys::FileKeyStore)); [`VaultKeyStore`] uses it for KV.
#[derive(Clone, Debug)]
pub struct VaultTransitWrapper {
    client: Arc<VaultClient>,
}

impl VaultTransitWrapper {
    /// A wrapper using `client`'s transit mount and key.
    pub fn new(client: Arc<VaultClient>) -> Self {
        Self { client }
    }

    fn key_path(&self, op: &str) -> String {
        let c = &self.client.config;
        format!("{}/{op}/{}", c.transit_mount, c.transit_key)
    }

    /// Creates the transit key (AES-256-GCM, not exportable, no plaintext backup) if it does not exist;
    /// an existing key must have those properties too (a typed error says what to change otherwise).
    pub fn ensure_key(&self) -> Result<()> {
        let (status, value) = self.client.request(Method::Get, &self.key_path("keys"), None)?;
        match status {
            200 => return self.check_key(&value["data"]),
            404 | 400 => {}
            _ => return Err(self.client.unexpected(status, &value)),
        }
        let body = json!({ "type": "aes256-gcm96", "exportable": false, "allow_plaintext_backup": false });
        let (status, value) = self.client.request(Method::Post, &self.key_path("keys"), Some(&body))?;
        match status {
            200 | 204 => {
                tracing::info!(target: "qres::keystore", store = "vault", key = %self.client.config.transit_key, "transit key created");
                Ok(())
            }
            _ => Err(self.client.unexpected(status, &value)),
        }
    }

    fn check_key(&self, key: &Value) -> Result<()> {
        let problem = if key["exportable"].as_bool() != Some(false) {
            Some("is exportable")
        } else if key["allow_plaintext_backup"].as_bool() != Some(false) {
            Some("allows plaintext backup")
        } else if key["supports_encryption"].as_bool() != Some(true)
            || key["supports_decryption"].as_bool() != Some(true)
        {
            Some("does not support encryption and decryption")
        } else if !matches!(key["type"].as_str(), Some("aes256-gcm96" | "chacha20-poly1305")) {
            Some("is not an AEAD key (aes256-gcm96 or chacha20-poly1305)")
        } else {
            None
        };
        match problem {
            None => Ok(()),
            Some(p) => Err(Error::KeyStoreUnavailable {
                store: self.client.store_name(),
                detail: format!("the transit key {:?} {p}", self.client.config.transit_key),
                hint: "the transit key's configuration: it must never leave the server (create a new key for qres)",
            }),
        }
    }

    /// Rotates the transit key: new wraps use a new key version; old wrapped keys still unwrap.
    pub fn rotate_key(&self) -> Result<()> {
        let (status, value) = self.client.request(Method::Post, &format!("{}/rotate", self.key_path("keys")), None)?;
        match status {
            200 | 204 => {
                tracing::info!(target: "qres::keystore", store = "vault", key = %self.client.config.transit_key, "transit key rotated");
                Ok(())
            }
            _ => Err(self.client.unexpected(status, &value)),
        }
    }
}

impl KeyWrapper for VaultTransitWrapper {
    fn kind(&self) -> u8 {
        kind::VAULT_TRANSIT
    }

    fn wrap_key(&self, data_key: &[u8], context: &[u8], _rng: &mut dyn DynCryptoRng) -> Result<Vec<u8>> {
        // `associated_data` binds the context for AEAD transit keys (the `context` parameter would only
        // matter to derived keys).
        let body = json!({ "plaintext": STANDARD.encode(data_key), "associated_data": STANDARD.encode(context) });
        let (status, value) = self.client.request(Method::Post, &self.key_path("encrypt"), Some(&body))?;
        if status != 200 {
            return Err(self.client.unexpected(status, &value));
        }
        let ct = value["data"]["ciphertext"]
            .as_str()
            .filter(|c| c.starts_with("vault:v"))
            .ok_or_else(|| self.client.unavailable("transit encrypt returned no ciphertext".into()))?;
        Ok(ct.as_bytes().to_vec())
    }

    fn unwrap_key(&self, wrapped: &[u8], context: &[u8]) -> Result<SecretBytes> {
        let ct = std::str::from_utf8(wrapped).map_err(|_| Error::AuthenticationFailed)?;
        if !ct.starts_with("vault:v") {
            return Err(Error::AuthenticationFailed);
        }
        let body = json!({ "ciphertext": ct, "associated_data": STANDARD.encode(context) });
        let (status, value) = self.client.request(Method::Post, &self.key_path("decrypt"), Some(&body))?;
        match status {
            200 => {}
            400 => {
                let errors = value["errors"].to_string();
                if errors.contains("encryption key not found") {
                    return Err(Error::KeyStoreUnavailable {
                        store: self.client.store_name(),
                        detail: format!(
                            "no transit key {:?} at {}/",
                            self.client.config.transit_key, self.client.config.transit_mount
                        ),
                        hint: "transit_key and transit_mount (the key that wrapped these keysets must exist)",
                    });
                }
                // The server cannot decrypt: altered ciphertext, another key or context, or a key version
                // below the minimum decryption version. One opaque error.
                return Err(Error::AuthenticationFailed);
            }
            _ => return Err(self.client.unexpected(status, &value)),
        }
        let mut b64 = value["data"]["plaintext"].as_str().ok_or(Error::AuthenticationFailed)?.to_owned();
        let key = STANDARD.decode(b64.as_bytes()).map_err(|_| Error::AuthenticationFailed);
        zeroize::Zeroize::zeroize(&mut b64);
        Ok(SecretBytes::new(key?))
    }
}

/// Keysets in KV v2, wrapped by the transit engine. See the [module docs](self).
#[derive(Debug)]
pub struct VaultKeyStore {
    client: Arc<VaultClient>,
    wrapper: VaultTransitWrapper,
    provider: Provider,
}

impl VaultKeyStore {
    /// A store over a new client for `config`; keysets are rebuilt with `provider`.
    pub fn new(config: VaultConfig, provider: Provider) -> Result<Self> {
        let client = Arc::new(VaultClient::new(config)?);
        Ok(Self { wrapper: VaultTransitWrapper::new(client.clone()), client, provider })
    }

    /// The transit wrapper this store uses.
    pub fn wrapper(&self) -> &VaultTransitWrapper {
        &self.wrapper
    }

    /// Checks the server is reachable and unsealed, then creates the transit key if needed.
    pub fn ensure_transit_key(&self) -> Result<()> {
        self.client.health()?;
        self.wrapper.ensure_key()
    }

    fn path(&self, what: &str, name: &str) -> Result<String> {
        check_name(name)?;
        let c = &self.client.config;
        Ok(format!("{}/{what}/{}/{name}", c.kv_mount, c.kv_prefix))
    }

    /// The id bound into sealed keysets: the KV mount and prefix.
    fn store_id(&self) -> String {
        let c = &self.client.config;
        format!("vault:{}/{}", c.kv_mount, c.kv_prefix)
    }

    /// Writes revision `cas + 1` with KV check-and-set `cas` (0: only if absent).
    fn write(&self, name: &str, keyset: &Keyset, cas: u64, rng: &mut dyn DynCryptoRng) -> Result<u64> {
        let path = self.path("data", name)?;
        let revision = cas.checked_add(1).ok_or(Error::KeysetState("revision numbers exhausted"))?;
        let plain = keyset.encode();
        let ctx = context(&self.store_id(), name, revision);
        let sealed = wrap::seal(&self.wrapper, plain.as_bytes(), &ctx, rng)?;
        // Read back before publishing: a revision that would not open must never become the newest.
        if wrap::open(&self.wrapper, &sealed, &ctx)?.as_bytes() != plain.as_bytes() {
            return Err(Error::Backend("a sealed keyset did not read back as written"));
        }
        let body = json!({
            "options": { "cas": cas },
            "data": { "format": "qres-wk1", "sealed": STANDARD.encode(&sealed) },
        });
        let (status, value) = self.client.request(Method::Post, &path, Some(&body))?;
        match status {
            200 => {}
            400 if value.to_string().contains("did not match the current version") => {
                return Err(if cas == 0 {
                    Error::AlreadyExists { what: "keyset", name: name.to_owned() }
                } else {
                    Error::ConcurrentModification(name.to_owned())
                });
            }
            _ => return Err(self.client.unexpected(status, &value)),
        }
        let written = value["data"]["version"]
            .as_u64()
            .ok_or_else(|| self.client.unavailable("KV write returned no version".into()))?;
        if written != revision {
            return Err(self.client.unavailable(format!("KV wrote version {written}, expected {revision}")));
        }
        tracing::info!(target: "qres::keystore", store = "vault", name, revision, primary = keyset.primary_version(), "keyset saved");
        if keyset.info().iter().any(|k| k.status == KeyStatus::Destroyed) {
            // Older revisions may still hold a destroyed seed: destroy them as part of this write.
            self.purge_before(name, revision)?;
        }
        Ok(revision)
    }

    fn read(&self, name: &str, revision: Option<u64>) -> Result<StoredKeyset> {
        let mut path = self.path("data", name)?;
        if let Some(r) = revision {
            path.push_str(&format!("?version={r}"));
        }
        let (status, value) = self.client.request(Method::Get, &path, None)?;
        let not_found = |why: &str| Error::NotFound {
            what: "keyset",
            name: match revision {
                Some(r) => format!("{name}@{r}{why}"),
                None => format!("{name}{why}"),
            },
        };
        let data = &value["data"];
        match status {
            200 if !data["data"].is_null() => {}
            200 | 404 => {
                // The newest version deleted or destroyed while older ones exist: never fall back to them.
                if revision.is_none()
                    && self.metadata(name)?.is_some_and(|m| m["data"]["current_version"].as_u64().unwrap_or(0) > 0)
                {
                    return Err(not_found(
                        " (its newest revision was deleted; undelete or destroy it, or delete the keyset)",
                    ));
                }
                return Err(not_found(""));
            }
            _ => return Err(self.client.unexpected(status, &value)),
        }
        let sealed = data["data"]["sealed"]
            .as_str()
            .and_then(|s| STANDARD.decode(s).ok())
            .ok_or(Error::InvalidInput("the KV secret does not hold a sealed qres keyset"))?;
        let revision =
            data["metadata"]["version"].as_u64().ok_or(Error::InvalidInput("KV secret without a version"))?;
        let plain = wrap::open(&self.wrapper, &sealed, &context(&self.store_id(), name, revision))?;
        Ok(StoredKeyset { revision, keyset: Keyset::decode(plain.as_bytes(), &self.provider)? })
    }

    fn metadata(&self, name: &str) -> Result<Option<Value>> {
        let (status, value) = self.client.request(Method::Get, &self.path("metadata", name)?, None)?;
        match status {
            200 => Ok(Some(value)),
            404 => Ok(None),
            _ => Err(self.client.unexpected(status, &value)),
        }
    }

    /// Every KV version of `name` with (version, destroyed, deleted now).
    fn versions(&self, name: &str) -> Result<Vec<(u64, bool, bool)>> {
        let Some(meta) = self.metadata(name)? else { return Ok(Vec::new()) };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let mut versions: Vec<(u64, bool, bool)> = meta["data"]["versions"]
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| {
                        let destroyed = v["destroyed"].as_bool() == Some(true);
                        // A deletion time in the future (`delete_version_after`) is not a deletion yet.
                        let deleted = v["deletion_time"].as_str().filter(|t| !t.is_empty()).is_some_and(|t| {
                            chrono::DateTime::parse_from_rfc3339(t).map_or(true, |t| t.timestamp() <= now)
                        });
                        Some((k.parse().ok()?, destroyed, deleted))
                    })
                    .collect()
            })
            .unwrap_or_default();
        versions.sort_unstable();
        Ok(versions)
    }
}

impl KeyStore for VaultKeyStore {
    fn put(&self, name: &str, keyset: &Keyset, rng: &mut dyn DynCryptoRng) -> Result<u64> {
        self.write(name, keyset, 0, rng)
    }

    fn put_if_latest(
        &self,
        name: &str,
        keyset: &Keyset,
        latest: Option<u64>,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<u64> {
        // KV's check-and-set: 0 means "only if absent".
        match self.write(name, keyset, latest.unwrap_or(0), rng) {
            Err(Error::AlreadyExists { name, .. }) => Err(Error::ConcurrentModification(name)),
            other => other,
        }
    }

    fn get(&self, name: &str) -> Result<StoredKeyset> {
        self.read(name, None)
    }

    fn get_revision(&self, name: &str, revision: u64) -> Result<Keyset> {
        if revision == 0 {
            return Err(Error::NotFound { what: "keyset revision", name: format!("{name}@0") });
        }
        self.read(name, Some(revision)).map(|s| s.keyset)
    }

    fn list_versions(&self, name: &str) -> Result<Vec<u64>> {
        Ok(self
            .versions(name)?
            .into_iter()
            .filter(|&(_, destroyed, deleted)| !destroyed && !deleted)
            .map(|(v, ..)| v)
            .collect())
    }

    fn list(&self) -> Result<Vec<String>> {
        let c = &self.client.config;
        let (status, value) =
            self.client.request(Method::Get, &format!("{}/metadata/{}/?list=true", c.kv_mount, c.kv_prefix), None)?;
        match status {
            200 => {}
            404 => return Ok(Vec::new()),
            _ => return Err(self.client.unexpected(status, &value)),
        }
        let mut names: Vec<String> = value["data"]["keys"]
            .as_array()
            .map(|a| a.iter().filter_map(|k| k.as_str()).filter(|k| check_name(k).is_ok()).map(str::to_owned).collect())
            .unwrap_or_default();
        names.sort();
        Ok(names)
    }

    fn purge_before(&self, name: &str, revision: u64) -> Result<()> {
        // Every older version not yet destroyed, soft-deleted ones included: `undelete` would bring
        // those back.
        let old: Vec<u64> = self
            .versions(name)?
            .into_iter()
            .filter(|&(v, destroyed, _)| v < revision && !destroyed)
            .map(|(v, ..)| v)
            .collect();
        if old.is_empty() {
            return Ok(());
        }
        // `destroy` removes the versions' data permanently (`delete` would only hide it).
        let (status, value) =
            self.client.request(Method::Post, &self.path("destroy", name)?, Some(&json!({ "versions": old })))?;
        match status {
            200 | 204 => {
                tracing::info!(target: "qres::keystore", store = "vault", name, before = revision, purged = old.len(), "older revisions destroyed");
                Ok(())
            }
            _ => Err(self.client.unexpected(status, &value)),
        }
    }

    fn delete(&self, name: &str) -> Result<()> {
        if self.metadata(name)?.is_none() {
            return Err(Error::NotFound { what: "keyset", name: name.to_owned() });
        }
        let (status, value) = self.client.request(Method::Delete, &self.path("metadata", name)?, None)?;
        match status {
            200 | 204 => {
                tracing::info!(target: "qres::keystore", store = "vault", name, "keyset deleted");
                Ok(())
            }
            _ => Err(self.client.unexpected(status, &value)),
        }
    }
}
