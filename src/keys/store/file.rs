//! [`FileKeyStore`]: a directory of wrapped keysets.
//!
//! Layout: `<root>/.qres-store-id` (a random id, bound into every sealed keyset),
//! `<root>/.<name>.lock` (the writers' lock of `name`, never deleted) and
//! `<root>/<name>/<revision, 20 digits>.qks`, each file one [sealed](crate::keys::wrap::seal) keyset bound
//! to the store id, the name and its revision number. Files are written with [`write_atomic`] (temporary
//! file, `fsync`, link into place, directory `fsync`) and mode 0600; directories are 0700; each revision is
//! read back and opened before it is published. Writers of one name serialize on an advisory lock
//! (`flock`); readers take no lock, since a revision file appears complete or not at all. A writer killed
//! at any point leaves at most a temporary file (removed by a later writer), never a damaged revision, so
//! the last good keyset is never lost.
//!
//! *Rollback:* someone with write access to the directory can delete the newest revisions (or restore an
//! old copy of the directory) and so roll a keyset back; copying an old revision under a newer number
//! fails to open. [`FileKeyStore::with_rollback_counter`] detects the rollback with a counter kept outside
//! the directory ([`rollback`](super::rollback)): every read and write of a keyset whose newest revision is
//! older than the counter fails with [`Error::Rollback`].

use super::rollback::{CounterEntry, RollbackCounter};
use super::{KeyStore, StoredKeyset, check_name, context};
use crate::error::{Error, Result};
use crate::keys::atomic::{Overwrite, remove_stale_temporaries, sync_dir, write_atomic};
use crate::keys::wrap::{self, KeyWrapper};
use crate::keys::{KeyStatus, Keyset};
use crate::provider::Provider;
use crate::random::DynCryptoRng;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Extension of revision files.
pub const EXTENSION: &str = "qks";
/// Largest revision file read (16 MiB).
pub const MAX_FILE_LEN: u64 = 16 << 20;
/// Name of the file holding the store's id.
pub const STORE_ID_FILE: &str = ".qres-store-id";
const REVISION_DIGITS: usize = 20;
/// Temporary files older than this are a dead writer's and are removed by the next writer.
const STALE_AFTER: Duration = Duration::from_secs(600);

/// A directory of wrapped keysets. See the [module docs](crate::keys::store).
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
/// assert_eq!(store.list_revisions("mail")?, vec![1, 2]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), qres::Error>(())
/// ```
pub struct FileKeyStore {
    root: PathBuf,
    id: String,
    wrapper: Box<dyn KeyWrapper>,
    provider: Provider,
    counter: Option<Box<dyn RollbackCounter>>,
}

impl core::fmt::Debug for FileKeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileKeyStore")
            .field("root", &self.root)
            .field("id", &self.id)
            .field("rollback_counter", &self.counter.as_ref().map(|c| c.describe()))
            .finish_non_exhaustive()
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

fn valid_store_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Reads the store id, creating it (atomically, first writer wins) if absent.
fn store_id(root: &Path) -> Result<String> {
    let path = root.join(STORE_ID_FILE);
    let read = |path: &Path| -> Result<Option<String>> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let id = text.trim_end().to_owned();
                if valid_store_id(&id) { Ok(Some(id)) } else { Err(Error::InvalidInput("malformed key store id file")) }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading the key store id", &e)),
        }
    };
    if let Some(id) = read(&path)? {
        return Ok(id);
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| Error::RandomnessUnavailable)?;
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match write_atomic(&path, format!("{id}\n").as_bytes(), Overwrite::Refuse) {
        Ok(()) => Ok(id),
        // Another process created it first: use theirs.
        Err(_) => read(&path)?.ok_or(Error::InvalidInput("the key store id could not be created")),
    }
}

impl FileKeyStore {
    /// Opens (creating if needed, mode 0700) the store at `root`; keysets are wrapped by `wrapper` and
    /// rebuilt with `provider`.
    pub fn open(root: impl Into<PathBuf>, wrapper: impl KeyWrapper + 'static, provider: Provider) -> Result<Self> {
        let root = root.into();
        create_private_dir(&root)?;
        let id = store_id(&root)?;
        Ok(Self { root, id, wrapper: Box::new(wrapper), provider, counter: None })
    }

    /// Binds every keyset revision to `counter`, kept outside the store's directory (see
    /// [`rollback`](super::rollback)): each write advances it after publishing the revision, and a read
    /// or write of a keyset whose newest revision file is older than it fails with [`Error::Rollback`].
    /// A keyset deleted with [`KeyStore::delete`] is recorded as deleted, so a keyset made again under its
    /// name continues with the next revision number. Keysets written before the counter was attached are
    /// bound from their next write on.
    pub fn with_rollback_counter(mut self, counter: impl RollbackCounter + 'static) -> Self {
        self.counter = Some(Box::new(counter));
        self
    }

    fn counter_key(&self, name: &str) -> String {
        format!("{}/{name}", self.id)
    }

    /// The counter's entry of `name` after checking that `newest` (the newest revision file) is not older
    /// than it; the default entry without a counter.
    fn check_rollback(&self, name: &str, newest: Option<u64>) -> Result<CounterEntry> {
        let Some(counter) = &self.counter else { return Ok(CounterEntry::default()) };
        let entry = counter.load(&self.counter_key(name))?;
        let found = newest.unwrap_or(0);
        let rolled_back = if entry.deleted {
            // Revisions from before the deletion came back.
            found != 0 && found <= entry.revision
        } else {
            found < entry.revision
        };
        if rolled_back {
            tracing::error!(target: "qres::keystore", store = "file", name, found, expected = entry.revision, "keyset rolled back");
            let expected = if entry.deleted { entry.revision + 1 } else { entry.revision };
            return Err(Error::Rollback { name: name.to_owned(), found, expected });
        }
        Ok(entry)
    }

    fn advance(&self, name: &str, revision: u64, deleted: bool) -> Result<()> {
        match &self.counter {
            Some(counter) => counter.store(&self.counter_key(name), CounterEntry { revision, deleted }),
            None => Ok(()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The store's id (random, made when the store was created; bound into every sealed keyset).
    pub fn id(&self) -> &str {
        &self.id
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
            // Regular files only (`file_type` does not follow symlinks).
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
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

    /// Takes the writers' lock of `name` (blocking until other writers finish). The lock file lives in
    /// the root and is never deleted, so every writer locks the same file.
    fn lock(&self, name: &str) -> Result<File> {
        check_name(name)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join(format!(".{name}.lock")))
            .map_err(|e| Error::io("opening the key store lock", &e))?;
        file.lock().map_err(|e| Error::io("locking the key store", &e))?;
        Ok(file)
    }

    fn read_sealed(path: &Path) -> Result<Vec<u8>> {
        use std::io::Read;
        // Only a regular file (not a symlink planted in place of a revision, nor a FIFO that would block).
        let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io("reading keyset file metadata", &e))?;
        if !meta.is_file() {
            return Err(Error::InvalidInput("a keyset revision is not a regular file"));
        }
        let file = File::open(path).map_err(|e| Error::io("opening a keyset file", &e))?;
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
        Ok(sealed)
    }

    fn read_revision(&self, name: &str, dir: &Path, revision: u64) -> Result<Keyset> {
        let path = Self::revision_path(dir, revision);
        if !path.exists() {
            return Err(Error::NotFound { what: "keyset revision", name: format!("{name}@{revision}") });
        }
        let sealed = Self::read_sealed(&path)?;
        let plain = wrap::open(self.wrapper.as_ref(), &sealed, &context(&self.id, name, revision))?;
        Keyset::decode(plain.as_bytes(), &self.provider)
    }

    fn write(&self, name: &str, keyset: &Keyset, latest: Option<u64>, rng: &mut dyn DynCryptoRng) -> Result<u64> {
        let dir = self.dir(name)?;
        let _lock = self.lock(name)?;
        self.write_locked(name, &dir, keyset, latest, rng)
    }

    /// Writes the next revision if the newest is `latest`; the caller holds the lock of `name`.
    fn write_locked(
        &self,
        name: &str,
        dir: &Path,
        keyset: &Keyset,
        latest: Option<u64>,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<u64> {
        let current = Self::revisions_in(dir)?.last().copied();
        let entry = self.check_rollback(name, current)?;
        let conflict = || match latest {
            None => Error::AlreadyExists { what: "keyset", name: name.to_owned() },
            Some(_) => Error::ConcurrentModification(name.to_owned()),
        };
        if latest != current {
            return Err(conflict());
        }
        // A keyset made again after a deletion continues after the deleted one's revisions.
        let base = if current.is_none() && entry.deleted { entry.revision } else { current.unwrap_or(0) };
        let revision = base.checked_add(1).ok_or(Error::KeysetState("revision numbers exhausted"))?;
        let plain = keyset.encode();
        let ctx = context(&self.id, name, revision);
        let sealed = wrap::seal(self.wrapper.as_ref(), plain.as_bytes(), &ctx, rng)?;
        // Read back before publishing: a revision that would not open must never become the newest.
        let back = wrap::open(self.wrapper.as_ref(), &sealed, &ctx)?;
        if back.as_bytes() != plain.as_bytes() {
            return Err(Error::Backend("a sealed keyset did not read back as written"));
        }
        create_private_dir(dir)?;
        // The revision file exists only if a writer bypassed the lock: the same conflict as above.
        write_atomic(&Self::revision_path(dir, revision), &sealed, Overwrite::Refuse).map_err(|e| match e {
            Error::AlreadyExists { .. } => conflict(),
            e => e,
        })?;
        if let Err(e) = sync_dir(&self.root) {
            // The revision is published; only its durability across a power loss is in doubt.
            tracing::warn!(target: "qres::keystore", store = "file", name, revision, error = %e, "directory fsync failed");
        }
        let _ = remove_stale_temporaries(dir, STALE_AFTER);
        // After publishing: a writer that dies here leaves the counter one behind, which reads still
        // accept; an error here means the revision is saved but not yet bound to the counter.
        self.advance(name, revision, false)?;
        tracing::info!(target: "qres::keystore", store = "file", name, revision, primary = keyset.primary_version(), "keyset saved");
        if keyset.info().iter().any(|k| k.status == KeyStatus::Destroyed) {
            // Older revisions may still hold a destroyed seed: purge them as part of this write.
            self.purge_locked(name, dir, revision)?;
        }
        Ok(revision)
    }

    fn purge_locked(&self, name: &str, dir: &Path, revision: u64) -> Result<()> {
        let old: Vec<u64> = Self::revisions_in(dir)?.into_iter().filter(|&r| r < revision).collect();
        if old.is_empty() {
            return Ok(());
        }
        for r in &old {
            std::fs::remove_file(Self::revision_path(dir, *r))
                .map_err(|e| Error::io("removing a keyset revision", &e))?;
        }
        sync_dir(dir)?;
        tracing::info!(target: "qres::keystore", store = "file", name, before = revision, purged = old.len(), "older revisions purged");
        Ok(())
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
        super::lost_race(self.write(name, keyset, latest, rng))
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
        let _lock = self.lock(name)?;
        let StoredKeyset { revision, mut keyset } = self.get(name)?;
        let out = change(&mut keyset, rng)?;
        Ok((self.write_locked(name, &dir, &keyset, Some(revision), rng)?, out))
    }

    fn get(&self, name: &str) -> Result<StoredKeyset> {
        let dir = self.dir(name)?;
        let revisions = Self::revisions_in(&dir)?;
        self.check_rollback(name, revisions.last().copied())?;
        let revision = *revisions.last().ok_or_else(|| Error::NotFound { what: "keyset", name: name.to_owned() })?;
        Ok(StoredKeyset { revision, keyset: self.read_revision(name, &dir, revision)? })
    }

    fn get_revision(&self, name: &str, revision: u64) -> Result<Keyset> {
        let dir = self.dir(name)?;
        self.check_rollback(name, Self::revisions_in(&dir)?.last().copied())?;
        self.read_revision(name, &dir, revision)
    }

    fn list_revisions(&self, name: &str) -> Result<Vec<u64>> {
        let revisions = Self::revisions_in(&self.dir(name)?)?;
        self.check_rollback(name, revisions.last().copied())?;
        Ok(revisions)
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
        let _lock = self.lock(name)?;
        self.purge_locked(name, &dir, revision)
    }

    fn delete(&self, name: &str) -> Result<()> {
        let dir = self.dir(name)?;
        let _lock = self.lock(name)?;
        let newest = Self::revisions_in(&dir)?.last().copied();
        self.check_rollback(name, newest)?;
        let Some(newest) = newest else {
            return Err(Error::NotFound { what: "keyset", name: name.to_owned() });
        };
        for revision in Self::revisions_in(&dir)? {
            std::fs::remove_file(Self::revision_path(&dir, revision))
                .map_err(|e| Error::io("removing a keyset revision", &e))?;
        }
        let _ = remove_stale_temporaries(&dir, Duration::ZERO);
        // Only our own files were there; anything else stays (and keeps the directory).
        if std::fs::read_dir(&dir).map(|mut d| d.next().is_none()).unwrap_or(false) {
            std::fs::remove_dir(&dir).map_err(|e| Error::io("removing a keyset directory", &e))?;
        }
        sync_dir(&self.root)?;
        self.advance(name, newest, true)?;
        tracing::info!(target: "qres::keystore", store = "file", name, "keyset deleted");
        Ok(())
    }
}
