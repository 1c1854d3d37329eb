//! Rollback detection for a [`FileKeyStore`](super::FileKeyStore): a monotonic counter kept outside the
//! store's directory records the newest revision written of each keyset, and the store refuses to serve
//! (or extend) a keyset whose newest revision file is older than that ([`Error::Rollback`]).
//!
//! Without a counter, someone who can write the store's directory can delete the newest revision files
//! (or put back an old copy of the directory) and so bring back keys that were rotated out, disabled or
//! destroyed; the seal binds each revision to its number, so they cannot forge a newer one, but an older
//! one reads as valid. The counter closes that gap as far as it is out of their reach:
//!
//! * [`FileRollbackCounter`]: a file on another path the caller names (another volume, another owner, a
//!   read-only bind mount for everyone but the key-managing process). Protects against deleting newest
//!   revisions and restoring an old backup of the store directory by someone who cannot also write the
//!   counter file; restoring both from the same old backup is not detected.
//!
//! The counter is advanced after a revision is published, so a writer that dies in between leaves a
//! counter one revision behind (harmless: the check is "not older than the counter"), never ahead.
//!
//! ```
//! use qres::keys::store::rollback::FileRollbackCounter;
//! use qres::keys::{AesKeyWrapper, FileKeyStore, KeyAlgorithm, KeyStore, Keyset};
//! use qres::{default_provider, Error, KemId, OsRng};
//! let base = std::env::temp_dir().join(format!("qres-doc-rollback-{}", std::process::id()));
//! let provider = default_provider();
//! let store = FileKeyStore::open(base.join("keys"), AesKeyWrapper::new(&[7u8; 32])?, provider.clone())?
//!     .with_rollback_counter(FileRollbackCounter::new(base.join("elsewhere/qres-counter")));
//! let keyset = Keyset::generate(&provider, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng)?;
//! store.put("mail", &keyset, &mut OsRng)?;
//! store.rotate("mail", &provider, &mut OsRng)?;
//! // Someone deletes the newest revision file:
//! std::fs::remove_file(base.join("keys/mail/00000000000000000002.qks")).unwrap();
//! assert!(matches!(store.get("mail"), Err(Error::Rollback { found: 1, expected: 2, .. })));
//! # std::fs::remove_dir_all(&base).unwrap();
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::keys::atomic::{Overwrite, write_atomic};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a rollback counter records for one keyset.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct CounterEntry {
    /// The newest revision written (0: none yet).
    pub revision: u64,
    /// The keyset was deleted at `revision`; a keyset created again under its name continues after it.
    pub deleted: bool,
}

/// A monotonic counter per keyset, kept where the key store's writers cannot roll it back.
///
/// Keys are `<store id>/<keyset name>`. Implementations must be safe to call from several threads and
/// processes at once and must never lower a revision.
pub trait RollbackCounter: Send + Sync {
    /// The entry of `key` ([`CounterEntry::default`] if it has none).
    fn load(&self, key: &str) -> Result<CounterEntry>;
    /// Records `entry` for `key`. An entry whose revision is lower than the one recorded is refused with
    /// [`Error::Rollback`] and nothing changes.
    fn store(&self, key: &str, entry: CounterEntry) -> Result<()>;
    /// A short description for logs and errors (never secret).
    fn describe(&self) -> String;
}

const HEADER: &str = "qres rollback counter v1";

/// A [`RollbackCounter`] in one text file on a path the caller names, outside the store's directory:
/// one line per keyset, `<revision> <live|deleted> <store id>/<name>`. Written atomically (temporary
/// file, `fsync`, rename, directory `fsync`) under an advisory lock on `<path>.lock`, so several stores
/// and processes can share one file. Its parent directory is created (mode 0700) if needed.
#[derive(Clone, Debug)]
pub struct FileRollbackCounter {
    path: PathBuf,
}

impl FileRollbackCounter {
    /// A counter in the file `path` (created on the first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The counter file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> Result<std::fs::File> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(dir).map_err(|e| Error::io("creating the rollback counter's directory", &e))?;
        }
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(PathBuf::from(lock_path))
            .map_err(|e| Error::io("opening the rollback counter's lock", &e))?;
        file.lock().map_err(|e| Error::io("locking the rollback counter", &e))?;
        Ok(file)
    }

    fn read_all(&self) -> Result<BTreeMap<String, CounterEntry>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(Error::io("reading the rollback counter", &e)),
        };
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(Error::InvalidInput("the rollback counter file is not a qres rollback counter"));
        }
        let mut entries = BTreeMap::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let mut fields = line.splitn(3, ' ');
            let (Some(revision), Some(state), Some(key)) = (fields.next(), fields.next(), fields.next()) else {
                return Err(Error::InvalidInput("malformed line in the rollback counter file"));
            };
            let revision =
                revision.parse().map_err(|_| Error::InvalidInput("malformed revision in the rollback counter file"))?;
            let deleted = match state {
                "live" => false,
                "deleted" => true,
                _ => return Err(Error::InvalidInput("malformed state in the rollback counter file")),
            };
            entries.insert(key.to_owned(), CounterEntry { revision, deleted });
        }
        Ok(entries)
    }
}

impl RollbackCounter for FileRollbackCounter {
    fn load(&self, key: &str) -> Result<CounterEntry> {
        let _lock = self.lock()?;
        Ok(self.read_all()?.get(key).copied().unwrap_or_default())
    }

    fn store(&self, key: &str, entry: CounterEntry) -> Result<()> {
        if key.contains(['\n', '\r']) {
            return Err(Error::InvalidInput("a rollback counter key holds a line break"));
        }
        let _lock = self.lock()?;
        let mut entries = self.read_all()?;
        let current = entries.get(key).copied().unwrap_or_default();
        if entry.revision < current.revision {
            return Err(Error::Rollback { name: key.to_owned(), found: entry.revision, expected: current.revision });
        }
        if current == entry {
            return Ok(());
        }
        entries.insert(key.to_owned(), entry);
        let mut text = String::from(HEADER);
        text.push('\n');
        for (k, e) in &entries {
            text.push_str(&format!("{} {} {k}\n", e.revision, if e.deleted { "deleted" } else { "live" }));
        }
        write_atomic(&self.path, text.as_bytes(), Overwrite::Replace)
    }

    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }
}
