//! Transit: a key-encryption key that never leaves Vault wraps keysets (`KeyWrapper`).

use super::client::{Method, VaultClient};
use crate::error::{Error, Result};
use crate::keys::wrap::{KeyWrapper, kind};
use crate::random::DynCryptoRng;
use crate::secret::SecretBytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::sync::Arc;

/// Wraps data keys with the transit engine: the wrapping key never leaves the server. Usable with any
/// store (e.g. [`FileKeyStore`](crate::keys::FileKeyStore)); [`VaultKeyStore`](super::VaultKeyStore) uses it for KV.
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
            // No transit engine at this mount: creating the key would fail the same way (or, for a role
            // without create rights, hide the cause behind "permission denied").
            404 if value["errors"].to_string().contains("no handler for route") => {
                return Err(self.client.unexpected(status, &value));
            }
            404 | 400 => {}
            _ => return Err(self.client.unexpected(status, &value)),
        }
        let body = json!({ "type": "aes256-gcm96", "exportable": false, "allow_plaintext_backup": false });
        let (status, value) = self.client.request(Method::Post, &self.key_path("keys"), Some(body))?;
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
        let (status, value) = self.client.request(Method::Post, &self.key_path("encrypt"), Some(body))?;
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
        let (status, value) = self.client.request(Method::Post, &self.key_path("decrypt"), Some(body))?;
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
        // The base64 text in `value` is zeroized when `value` drops; the decoded key goes straight into a
        // `SecretBytes`.
        let b64 = value["data"]["plaintext"].as_str().ok_or(Error::AuthenticationFailed)?;
        Ok(SecretBytes::new(STANDARD.decode(b64.as_bytes()).map_err(|_| Error::AuthenticationFailed)?))
    }
}
