//! KV v2: keysets stored as secrets with check-and-set revisions (`KeyStore`).

use super::super::{KeyStore, StoredKeyset, check_name, context};
use super::client::{Method, VaultClient, VaultConfig};
use super::transit::VaultTransitWrapper;
use crate::error::{Error, Result};
use crate::keys::wrap::{self};
use crate::keys::{KeyStatus, Keyset};
use crate::provider::Provider;
use crate::random::DynCryptoRng;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::sync::Arc;

/// Keysets in KV v2, wrapped by the transit engine. See the [module docs](super).
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
        let (status, value) = self.client.request(Method::Post, &path, Some(body))?;
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
            200 => Ok(Some(value.0.clone())),
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
        super::super::lost_race(self.write(name, keyset, latest.unwrap_or(0), rng))
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

    fn list_revisions(&self, name: &str) -> Result<Vec<u64>> {
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
            self.client.request(Method::Post, &self.path("destroy", name)?, Some(json!({ "versions": old })))?;
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
