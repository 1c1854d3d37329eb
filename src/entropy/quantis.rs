//! [`QuantisDevice`]: an ID Quantique Quantis QRNG read through its driver's character device.
//!
//! The Quantis PCIe and USB drivers expose each card as `/dev/qrandomN`; reading it returns random bytes
//! (blocking until the card has produced them). This source reads that device with plain `read(2)` calls.
//!
//! **Testing note:** no Quantis device was present where qres is developed and tested. The source is
//! tested against a named pipe (`mkfifo`) that the test feeds, which behaves like the character device
//! for reading (blocking reads, short reads, end of stream when the writer goes away). A real device
//! also needs its kernel driver loaded and read permission on `/dev/qrandomN`.

use crate::entropy::EntropySource;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A Quantis character device (or a FIFO standing in for one).
///
/// ```no_run
/// use qres::entropy::{EntropySource, Monitored, QuantisDevice};
/// let mut qrng = Monitored::new(QuantisDevice::open_index(0)?.with_min_entropy(7.0)?)?;
/// let mut seed = [0u8; 48];
/// qrng.fill(&mut seed)?;
/// # Ok::<(), qres::Error>(())
/// ```
#[derive(Debug)]
pub struct QuantisDevice {
    file: File,
    path: PathBuf,
    name: String,
    claim: f64,
}

impl QuantisDevice {
    /// The default entropy claim, bits per byte (see [`with_min_entropy`](Self::with_min_entropy)).
    pub const DEFAULT_MIN_ENTROPY: f64 = 7.0;

    /// Opens `/dev/qrandom{index}`.
    pub fn open_index(index: u32) -> Result<Self> {
        Self::open(format!("/dev/qrandom{index}"))
    }

    /// Opens a device path. Only a character device or a FIFO is accepted: a regular file would replay
    /// the same bytes on every start, which is never entropy. Opening a FIFO blocks until it has a
    /// writer.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let name = format!("quantis:{}", path.display());
        let fail = |reason: String| Error::EntropySource { source_name: name.clone(), reason };
        let meta = std::fs::metadata(&path).map_err(|e| fail(format!("cannot stat the device: {e}")))?;
        if !is_device_or_fifo(&meta) {
            return Err(fail("not a character device or FIFO (is the Quantis driver loaded?)".into()));
        }
        let file = File::open(&path).map_err(|e| fail(format!("cannot open the device: {e}")))?;
        Ok(Self { file, path, name, claim: Self::DEFAULT_MIN_ENTROPY })
    }

    /// Sets the claimed min-entropy per byte (in `(0, 8]`; default 7.0). The Quantis output is
    /// post-processed by the card; the claim stays below 8 because qres does not assess it, and it sets
    /// the health-test cutoffs.
    pub fn with_min_entropy(mut self, bits_per_byte: f64) -> Result<Self> {
        if !(bits_per_byte > 0.0 && bits_per_byte <= 8.0) {
            return Err(Error::InvalidInput("claimed min-entropy must be in (0, 8] bits per byte"));
        }
        self.claim = bits_per_byte;
        Ok(self)
    }

    /// The device path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn is_device_or_fifo(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    t.is_char_device() || t.is_fifo()
}

#[cfg(not(unix))]
fn is_device_or_fifo(_: &std::fs::Metadata) -> bool {
    false
}

impl EntropySource for QuantisDevice {
    fn name(&self) -> &str {
        &self.name
    }

    fn min_entropy_per_byte(&self) -> f64 {
        self.claim
    }

    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        // `read_exact` loops over short reads; end of stream means the device (or the FIFO's writer) is
        // gone.
        self.file.read_exact(dest).map_err(|e| {
            zeroize::Zeroize::zeroize(dest);
            let reason = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "the device returned end of stream".to_owned()
            } else {
                format!("read failed: {e}")
            };
            Error::EntropySource { source_name: self.name.clone(), reason }
        })
    }
}
