//! [`FileKeyStore`]: a directory of wrapped keysets.
//!
//! Layout: `<root>/<name>/<revision, 20 digits>.qks`, each file one [sealed](crate::keys::wrap::seal)
//! keyset, written with [`write_atomic`] (temporary file, `fsync`, link into place, directory `fsync`)
//! and mode 0600; directories are 0700. Writers of one name serialize on an advisory lock
//! (`<root>/<name>/.lock`, `flock`); readers take no lock, since a revision file appears complete or not
//! at all. A writer killed at any point leaves at most a temporary file (removed by a later writer), never
//! a damaged revision, so the last good keyset is never lost.

use super::{KeyStore, StoredKeyset, check_name, context};
use crate::error::{Error, Result};
use crate::keys::Keyset;
use crate::keys::atomic::{Overwrite, remove_stale_temporaries, sync_dir, write_atomic};
use crate::keys::wrap::{self, KeyWrapper};
use crate::provider::Provider;
use crate::random::DynCryptoRng;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Extension of revision files.
pub const EXTENSION: &str = "qks";
/// Largest revision file read (16 MiB).
pub const MAX_FILE_LEN: u64 = 16 << 20;
const REVISION_DIGITS: usize = 20;
/// Temporary files older than this are a dead writer's and are removed by the next writer.
const STALE_AFTER: Duration = Duration::from_secs(600);

/// A directory of wrapped keysets. See the [module docs](self).
///
/// ```
/// use qres::keys::{AesKeyWrapper, FileKeyStore, KeyAlgorithm, KeyStore, Keyset};
/// use qres::{default_provider, KemId, OsRng};
/// let dir = std::env::temp_dir().join(format!("qres-doc-store-{}", std::process::id()));
/// let provider = default_provider();
/// let store = FileKeyStore::open(&dir, AesKeyWrapper::new(&[42u8; 32])?, provider.clone())?;
/// let keyset = Keyset::generate(&provider, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng)?;
/// assert_eq!(store.put("mail", &keyset, &mut OsRng)?, 1);
/// let (revision, version) = store.rotate("mail", &provider, &mut OsRng)?;
/// assert_eq!((revision, version), (2, 2));
/// assert_eq!(store.get("mail")?.keyset.primary_version(), 2);
/// assert_eq!(store.list_versions("mail")?, vec![1, 2]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), qres::Error>(())
/// ```
pub struct FileKeyStore {
    root: PathBuf,
    wrapper: Box<dyn KeyWrapper>,
    provider: Provider,
}

impl core::fmt::Debug for FileKeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileKeyStore").field("root", &self.root).finish_non_exhaustive()
    }
}

fn create_private_dir(path: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|e| Error::io("creating a key store directory", &e))
}

impl FileKeyStore {
    /// Opens (creating if needed, mode 0700) the store at `root`; keysets are wrapped by `wrapper` and
    /// rebuilt with `provider`.
    pub fn open(root: impl Into<PathBuf>, wrapper: impl KeyWrapper + 'static, provider: Provider) -> Result<Self> {
        let root = root.into();
        create_private_dir(&root)?;
        Ok(Self { root, wrapper: Box::new(wrapper), provider })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, name: &str) -> Result<PathBuf> {
        check_name(name)?;
        Ok(self.root.join(name))
    }

    fn revision_path(dir: &Path, revision: u64) -> PathBuf {
        dir.join(format!("{revision:0REVISION_DIGITS$}.{EXTENSION}"))
    }

    fn revisions_in(dir: &Path) -> Result<Vec<u64>> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("listing a key store directory", &e)),
        };
        let mut revisions: Vec<u64> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let digits = name.strip_suffix(&format!(".{EXTENSION}"))?;
                (digits.len() == REVISION_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| digits.parse().ok())
                    .flatten()
            })
            .collect();
        revisions.sort_unstable();
        Ok(revisions)
    }

    /// Takes the writers' lock of `dir` (blocking until other writers finish).
    fn lock(dir: &Path) -> Result<File> {
        create_private_dir(dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".lock"))
            .map_err(|e| Error::io("opening the key store lock", &e))?;
        file.lock().map_err(|e| Error::io("locking the key store", &e))?;
        Ok(file)
    }

    fn read_revision(&self, name: &str, dir: &Path, revision: u64) -> Result<Keyset> {
        use std::io::Read;
        let path = Self::revision_path(dir, revision);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound { what: "keyset revision", name: format!("{name}@{revision}") });
            }
            Err(e) => return Err(Error::io("opening a keyset file", &e)),
        };
        let mut sealed = Vec::new();
        file.take(MAX_FILE_LEN + 1).read_to_end(&mut sealed).map_err(|e| Error::io("reading a keyset file", &e))?;
        if sealed.len() as u64 > MAX_FILE_LEN {
            return Err(Error::LengthOutOfRange {
                what: "keyset file",
                min: 0,
                max: MAX_FILE_LEN as usize,
                actual: sealed.len(),
            });
        }
        let plain = wrap::open(self.wrapper.as_ref(), &sealed, &context(name))?;
        Keyset::decode(plain.as_bytes(), &self.provider)
    }

    fn write(
        &self,
        name: &str,
        keyset: &Keyset,
        latest: Option<Option<u64>>,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<u64> {
        let dir = self.dir(name)?;
        let _lock = Self::lock(&dir)?;
        self.write_locked(name, &dir, keyset, latest, rng)
    }

    /// Writes the next revision; the caller holds the lock of `dir`.
    fn write_locked(
        &self,
        name: &str,
        dir: &Path,
        keyset: &Keyset,
        latest: Option<Option<u64>>,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<u64> {
        let plain = keyset.encode();
        let sealed = wrap::seal(self.wrapper.as_ref(), plain.as_bytes(), &context(name), rng)?;
        let current = Self::revisions_in(dir)?.last().copied();
        if let Some(expected) = latest
            && expected != current
        {
            return Err(Error::ConcurrentModification(name.to_owned()));
        }
        let revision = current.unwrap_or(0).checked_add(1).ok_or(Error::KeysetState("revision numbers exhausted"))?;
        write_atomic(&Self::revision_path(dir, revision), &sealed, Overwrite::Refuse)?;
        sync_dir(&self.root)?;
        let _ = remove_stale_temporaries(dir, STALE_AFTER);
        tracing::info!(target: "qres::keystore", store = "file", name, revision, primary = keyset.primary_version(), "keyset saved");
        Ok(revision)
    }
}

impl KeyStore for FileKeyStore {
    fn put(&self, name: &str, keyset: &Keyset, rng: &mut dyn DynCryptoRng) -> Result<u64> {
        self.write(name, keyset, None, rng)
    }

    fn put_if_latest(
        &self,
        name: &str,
        keyset: &Keyset,
        latest: Option<u64>,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<u64> {
        self.write(name, keyset, Some(latest), rng)
    }

    /// Holds the writers' lock from the read to the write, so concurrent updates queue instead of
    /// retrying.
    fn update<T>(
        &self,
        name: &str,
        rng: &mut dyn DynCryptoRng,
        mut change: impl FnMut(&mut Keyset, &mut dyn DynCryptoRng) -> Result<T>,
    ) -> Result<(u64, T)> {
        let dir = self.dir(name)?;
        if !dir.exists() {
            return Err(Error::NotFound { what: "keyset", name: name.to_owned() });
        }
        let _lock = Self::lock(&dir)?;
        let StoredKeyset { revision, mut keyset } = self.get(name)?;
        let out = change(&mut keyset, rng)?;
        Ok((self.write_locked(name, &dir, &keyset, Some(Some(revision)), rng)?, out))
    }

    fn get(&self, name: &str) -> Result<StoredKeyset> {
        let dir = self.dir(name)?;
        let revision = *Self::revisions_in(&dir)?
            .last()
            .ok_or_else(|| Error::NotFound { what: "keyset", name: name.to_owned() })?;
        Ok(StoredKeyset { revision, keyset: self.read_revision(name, &dir, revision)? })
    }

    fn get_revision(&self, name: &str, revision: u64) -> Result<Keyset> {
        let dir = self.dir(name)?;
        self.read_revision(name, &dir, revision)
    }

    fn list_versions(&self, name: &str) -> Result<Vec<u64>> {
        Self::revisions_in(&self.dir(name)?)
    }

    fn list(&self) -> Result<Vec<String>> {
        let entries = std::fs::read_dir(&self.root).map_err(|e| Error::io("listing the key store", &e))?;
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| check_name(n).is_ok() && Self::revisions_in(&self.root.join(n)).is_ok_and(|r| !r.is_empty()))
            .collect();
        names.sort();
        Ok(names)
    }

    fn purge_before(&self, name: &str, revision: u64) -> Result<()> {
        let dir = self.dir(name)?;
        let _lock = Self::lock(&dir)?;
        for old in Self::revisions_in(&dir)?.into_iter().filter(|&r| r < revision) {
            std::fs::remove_file(Self::revision_path(&dir, old))
                .map_err(|e| Error::io("removing a keyset revision", &e))?;
        }
        sync_dir(&dir)?;
        tracing::info!(target: "qres::keystore", store = "file", name, before = revision, "older revisions purged");
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<()> {
        let dir = self.dir(name)?;
        if !dir.exists() {
            return Err(Error::NotFound { what: "keyset", name: name.to_owned() });
        }
        {
            let _lock = Self::lock(&dir)?;
            for revision in Self::revisions_in(&dir)? {
                std::fs::remove_file(Self::revision_path(&dir, revision))
                    .map_err(|e| Error::io("removing a keyset revision", &e))?;
            }
            let _ = remove_stale_temporaries(&dir, Duration::ZERO);
        }
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("removing a keyset directory", &e))?;
        sync_dir(&self.root)?;
        tracing::info!(target: "qres::keystore", store = "file", name, "keyset deleted");
        Ok(())
    }
}
