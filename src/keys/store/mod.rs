//! Key stores: named keysets kept wrapped, with revisions.
//!
//! Every store keeps each saved state of a keyset as a numbered *revision* (1, 2, ...);
//! [`get`](KeyStore::get) returns the newest. Keysets are sealed with [`wrap::seal`](super::wrap::seal) under the
//! store's [`KeyWrapper`](super::KeyWrapper), bound to the keyset's name. Writes are conditional on the
//! revision read ([`put_if_latest`](KeyStore::put_if_latest)), so two processes rotating at once cannot
//! lose each other's key: one of them gets [`Error::ConcurrentModification`] and retries.
//!
//! Stores: [`FileKeyStore`] (a directory; any wrapper, e.g. a password, an AES key, a PKCS#11 token or
//! the Vault transit engine) and, with the `vault` feature, `VaultKeyStore` (OpenBao / HashiCorp Vault
//! KV v2, wrapped by the transit engine).
//!
//! Each sealed revision is bound to the store, its name and its revision number, so it cannot be
//! replayed as a newer revision or moved. Saving a keyset that has destroyed versions purges every older
//! revision in the same step, since those still hold the destroyed seeds;
//! [`destroy_key`](KeyStore::destroy_key) does both. Copies outside the store (backups, snapshots) are out of reach:
//! rotate the wrapping key to retire them.

mod file;
pub mod rollback;
#[cfg(feature = "vault")]
pub mod vault;

pub use file::FileKeyStore;

use crate::error::{Error, Result};
use crate::keys::Keyset;
use crate::random::DynCryptoRng;

/// A keyset as read from a store, with its revision.
#[derive(Debug)]
pub struct StoredKeyset {
    /// The revision number (increasing from 1 with every save).
    pub revision: u64,
    /// The keyset.
    pub keyset: Keyset,
}

/// How many times [`KeyStore::update`] retries after a concurrent modification.
pub const UPDATE_ATTEMPTS: usize = 8;

/// Longest keyset name.
pub const MAX_NAME_LEN: usize = 64;

/// Checks a keyset name: 1 to 64 characters of `[A-Za-z0-9._-]`, not starting with `.` (names become
/// file and path names).
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput("keyset names are 1-64 characters of [A-Za-z0-9._-], not starting with '.'"))
    }
}

/// The context a keyset is sealed under: `"qres keystore v2\0" || u8(len(store id)) || store id ||
/// u64(revision) || name`. It binds the sealed bytes to the store, the revision and the name, so a
/// sealed keyset copied to another store, name or revision number (e.g. an old revision written back as
/// the newest, to revive a destroyed key) fails to open.
pub(crate) fn context(store_id: &str, name: &str, revision: u64) -> Vec<u8> {
    let id = &store_id.as_bytes()[..store_id.len().min(255)];
    let mut c = Vec::with_capacity(17 + 1 + id.len() + 8 + name.len());
    c.extend_from_slice(b"qres keystore v2\0");
    c.push(id.len() as u8);
    c.extend_from_slice(id);
    c.extend_from_slice(&revision.to_be_bytes());
    c.extend_from_slice(name.as_bytes());
    c
}

/// Named keysets, wrapped at rest, with revisions. See the [module docs](self).
pub trait KeyStore {
    /// Creates `name` with `keyset` as revision 1; [`Error::AlreadyExists`] if `name` exists. Later
    /// changes go through [`update`](Self::update) or [`put_if_latest`](Self::put_if_latest), so a stale
    /// copy can never overwrite a newer keyset (and revive a destroyed key).
    fn put(&self, name: &str, keyset: &Keyset, rng: &mut dyn DynCryptoRng) -> Result<u64>;

    /// Saves `keyset` only if the newest revision is still `latest` (`None`: only if nothing is stored
    /// under `name`); otherwise [`Error::ConcurrentModification`].
    fn put_if_latest(
        &self,
        name: &str,
        keyset: &Keyset,
        latest: Option<u64>,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<u64>;

    /// The newest revision ([`Error::NotFound`] if none).
    fn get(&self, name: &str) -> Result<StoredKeyset>;

    /// A given revision ([`Error::NotFound`] if absent or purged).
    fn get_revision(&self, name: &str, revision: u64) -> Result<Keyset>;

    /// The revisions stored under `name`, oldest first (empty if none).
    fn list_revisions(&self, name: &str) -> Result<Vec<u64>>;

    /// The names stored, sorted.
    fn list(&self) -> Result<Vec<String>>;

    /// Permanently removes every revision older than `revision`.
    fn purge_before(&self, name: &str, revision: u64) -> Result<()>;

    /// Permanently removes `name` and all its revisions.
    fn delete(&self, name: &str) -> Result<()>;

    /// Reads the newest revision, applies `change`, saves it conditionally; retries (with randomized
    /// backoff) on concurrent modification, up to [`UPDATE_ATTEMPTS`] times. Stores that can lock (the
    /// file store) hold the lock from read to write instead. Returns the new revision and what `change` returned.
    fn update<T>(
        &self,
        name: &str,
        rng: &mut dyn DynCryptoRng,
        mut change: impl FnMut(&mut Keyset, &mut dyn DynCryptoRng) -> Result<T>,
    ) -> Result<(u64, T)>
    where
        Self: Sized,
    {
        let mut last = None;
        for _ in 0..UPDATE_ATTEMPTS {
            let StoredKeyset { revision, mut keyset } = self.get(name)?;
            let out = change(&mut keyset, rng)?;
            match self.put_if_latest(name, &keyset, Some(revision), rng) {
                Ok(rev) => return Ok((rev, out)),
                Err(e @ Error::ConcurrentModification(_)) => {
                    last = Some(e);
                    // Randomized backoff so that contending writers do not collide again in lock step.
                    let mut jitter = [0u8; 1];
                    let _ = getrandom::fill(&mut jitter);
                    std::thread::sleep(std::time::Duration::from_millis(u64::from(jitter[0] % 32) + 1));
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::ConcurrentModification(name.to_owned())))
    }

    /// Rotates the keyset stored under `name` (a new primary of the primary's algorithm); returns the new
    /// revision and the new key version.
    fn rotate(&self, name: &str, provider: &crate::Provider, rng: &mut dyn DynCryptoRng) -> Result<(u64, u32)>
    where
        Self: Sized,
    {
        self.update(name, rng, |ks, rng| ks.rotate(provider, rng))
    }

    /// Destroys key `version` of the keyset under `name`, then purges older revisions (which still hold
    /// its seed). Returns the new revision.
    fn destroy_key(&self, name: &str, version: u32, rng: &mut dyn DynCryptoRng) -> Result<u64>
    where
        Self: Sized,
    {
        let (revision, ()) = self.update(name, rng, |ks, _| ks.destroy(version))?;
        self.purge_before(name, revision)?;
        Ok(revision)
    }
}

/// For `put_if_latest`: a conditional write that found the name taken lost a race with another writer,
/// which is [`Error::ConcurrentModification`] (read again, then retry), not [`Error::AlreadyExists`].
pub(crate) fn lost_race(written: Result<u64>) -> Result<u64> {
    match written {
        Err(Error::AlreadyExists { name, .. }) => Err(Error::ConcurrentModification(name)),
        other => other,
    }
}
