//! Crash-safe file writes: a temporary file in the target's directory, written and `fsync`ed, then
//! renamed (or hard-linked, when the target must not be replaced) over the target, then the directory
//! `fsync`ed. A reader sees either the old file or the complete new one, never a partial write, even if
//! the writer is killed or the machine loses power at any point.
//!
//! ```
//! use qres::keys::atomic::{write_atomic, Overwrite};
//! let dir = std::env::temp_dir().join(format!("qres-doc-atomic-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("secret");
//! write_atomic(&path, b"v1", Overwrite::Refuse)?;
//! assert!(write_atomic(&path, b"v2", Overwrite::Refuse).is_err());
//! write_atomic(&path, b"v2", Overwrite::Replace)?;
//! assert_eq!(std::fs::read(&path).unwrap(), b"v2");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Prefix of temporary files; readers of a directory skip names that start with it.
pub const TEMP_PREFIX: &str = ".qres-tmp-";

/// What to do when the target exists.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overwrite {
    /// Fail with [`Error::AlreadyExists`] (naming the path) and leave the existing file as it is.
    Refuse,
    /// Replace the existing file atomically.
    Replace,
}

/// Writes `bytes` to `path` atomically with mode 0600 (owner read/write only) on Unix.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: Overwrite) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    path.file_name().ok_or(Error::InvalidInput("the path has no file name"))?;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|_| Error::RandomnessUnavailable)?;
    // A fixed-length temporary name: long target names must not overflow NAME_MAX.
    let temp = dir.join(format!("{TEMP_PREFIX}{}", suffix.iter().map(|b| format!("{b:02x}")).collect::<String>()));
    if let Err(e) = write_temp(&temp, bytes).and_then(|()| publish(&temp, path, overwrite)) {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    // Published: a failed directory fsync only puts durability across a power loss in doubt, so it is
    // reported but does not turn a completed write into an error (a retry would find the file there).
    if let Err(e) = sync_dir(&dir) {
        tracing::warn!(path = %path.display(), error = %e, "directory fsync after an atomic write failed");
    }
    Ok(())
}

fn write_temp(temp: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(temp).map_err(|e| Error::io("creating a temporary file", &e))?;
    file.write_all(bytes).map_err(|e| Error::io("writing a temporary file", &e))?;
    file.sync_all().map_err(|e| Error::io("syncing a temporary file", &e))
}

fn publish(temp: &Path, path: &Path, overwrite: Overwrite) -> Result<()> {
    match overwrite {
        Overwrite::Replace => std::fs::rename(temp, path).map_err(|e| Error::io("renaming into place", &e)),
        Overwrite::Refuse => {
            // A hard link fails if the target exists, atomically; the temporary name is removed after.
            std::fs::hard_link(temp, path).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    Error::AlreadyExists { what: "file", name: path.display().to_string() }
                }
                _ => Error::io("linking into place", &e),
            })?;
            std::fs::remove_file(temp).map_err(|e| Error::io("removing a temporary file", &e))
        }
    }
}

/// `fsync`s a directory so a rename or new entry in it survives a power loss.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io("syncing a directory", &e))
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, File::open);
        Ok(())
    }
}

/// Removes temporary files left in `dir` by writers that died before publishing (older than `min_age`,
/// so a live writer's file is left alone). Returns how many were removed.
pub fn remove_stale_temporaries(dir: &Path, min_age: std::time::Duration) -> Result<usize> {
    let mut removed = 0;
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io("listing a directory", &e)),
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            || !entry.file_type().is_ok_and(|t| t.is_file())
        {
            continue;
        }
        let old = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        if old.is_some_and(|age| age >= min_age) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("qres-atomic-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn writes_replace_and_refuse() {
        let d = temp_dir("basic");
        let p = d.join("k");
        write_atomic(&p, b"one", Overwrite::Refuse).unwrap();
        let e = write_atomic(&p, b"two", Overwrite::Refuse).unwrap_err();
        assert!(matches!(&e, Error::AlreadyExists { what: "file", name } if *name == p.display().to_string()), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two", Overwrite::Replace).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn stale_temporaries_are_cleaned() {
        let d = temp_dir("stale");
        std::fs::write(d.join(format!("{TEMP_PREFIX}00")), b"partial").unwrap();
        std::fs::write(d.join("keep"), b"x").unwrap();
        assert_eq!(remove_stale_temporaries(&d, std::time::Duration::from_secs(3600)).unwrap(), 0);
        assert_eq!(remove_stale_temporaries(&d, std::time::Duration::ZERO).unwrap(), 1);
        assert!(d.join("keep").exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn missing_directory_is_a_typed_error() {
        let e = write_atomic(Path::new("/nonexistent-qres-dir/k"), b"x", Overwrite::Replace).unwrap_err();
        assert!(matches!(e, Error::Io { operation: "creating a temporary file", .. }), "{e}");
    }
}
