//! Decrypting to a file so that unauthenticated plaintext never appears under the file's name.
//!
//! A streamed envelope releases each chunk once its tag verified, but only the end of the payload shows
//! that nothing was cut off: a truncated envelope yields a prefix of the plaintext before its error. Writing
//! that stream straight into the destination would leave the prefix there. [`open_to_path`] writes into a
//! temporary file in the destination's directory (mode 0600 on Unix), and moves it into place only after
//! the reader returned `Ok(0)`, i.e. after the whole envelope (and the signature, when asked for)
//! verified; on any error the temporary file is deleted.

use super::{EnvelopeInfo, EnvelopeReader, KeyLookup, OpenOptions};
use crate::error::{Error, Result};
use std::io::{self, Read, Write};
use std::path::Path;
use zeroize::Zeroize;

/// Opens the envelope read from `input` with one of `keys` and writes its plaintext to a new file at
/// `path`, which appears only once everything verified: the plaintext goes to a temporary file in the same
/// directory (mode 0600 on Unix), renamed into place after the reader returned `Ok(0)` and deleted on
/// any error. An existing file
/// at `path` is never replaced: that is [`Error::AlreadyExists`].
///
/// ```
/// use qres::envelope::{self, OpenOptions, SealOptions};
/// use qres::{default_provider, KemId, OsRng};
/// let sk = default_provider().kem(KemId::X_WING)?.generate(&mut OsRng)?;
/// let options = SealOptions { streamed: true, ..SealOptions::default() };
/// let sealed = envelope::seal(&[sk.public_key().clone().into()], b"report", &options, &mut OsRng)?;
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("report.txt");
/// envelope::open_to_path(&sealed[..], &sk, &OpenOptions::default(), &out)?;
/// assert_eq!(std::fs::read(&out).unwrap(), b"report");
/// // A truncated envelope leaves nothing behind.
/// let cut = dir.path().join("cut.txt");
/// assert!(envelope::open_to_path(&sealed[..sealed.len() - 1], &sk, &OpenOptions::default(), &cut).is_err());
/// assert!(!cut.exists());
/// # Ok::<(), qres::Error>(())
/// ```
pub fn open_to_path<R: Read, K: KeyLookup + ?Sized>(
    input: R,
    keys: &K,
    options: &OpenOptions<'_>,
    path: &Path,
) -> Result<EnvelopeInfo> {
    let mut reader = EnvelopeReader::new(input, keys, options)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.exists() {
        return Err(Error::AlreadyExists { what: "output file", name: path.display().to_string() });
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".qres-partial-")
        .tempfile_in(dir)
        .map_err(|e| Error::io("creating a temporary output file", &e))?;
    // On any error below, `temp` is dropped and its file deleted.
    copy_authenticated(&mut reader, temp.as_file_mut())?;
    temp.as_file().sync_all().map_err(|e| Error::io("syncing the output file", &e))?;
    temp.persist_noclobber(path).map_err(|e| match e.error.kind() {
        io::ErrorKind::AlreadyExists => Error::AlreadyExists { what: "output file", name: path.display().to_string() },
        _ => Error::io("moving the output file into place", &e.error),
    })?;
    Ok(reader.info())
}

/// Copies the reader to `out` until `Ok(0)`, the point at which the whole envelope has verified.
fn copy_authenticated<R: Read>(reader: &mut EnvelopeReader<'_, R>, out: &mut impl Write) -> Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let result = loop {
        match reader.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if let Err(e) = out.write_all(&buf[..n]) {
                    break Err(Error::io("writing the output file", &e));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(super::error_of(&e).cloned().unwrap_or_else(|| Error::io("reading the envelope", &e))),
        }
    };
    buf.zeroize();
    result?;
    out.flush().map_err(|e| Error::io("writing the output file", &e))
}
