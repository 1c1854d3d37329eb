//! Sequence numbers that keep increasing across collector restarts.
//!
//! `sequence = (Unix milliseconds at start) << 22 + counter`: a restarted collector starts above every
//! number its previous run used, as long as the previous run sent fewer than 2^22 (4 million) packets per
//! millisecond of its lifetime (it sends a few per second) and the clock did not step back.
//!
//! Against a clock that steps back, `QRNG_SEQUENCE_FILE` persists a high-water mark: numbers are reserved
//! in blocks of [`RESERVE`] (the file is written, synced and renamed before any number of a block is
//! used), and a new run starts above both the clock-derived value and the file's mark.

use std::path::PathBuf;

/// Bits of the per-run counter.
pub const COUNTER_BITS: u32 = 22;
/// Numbers reserved per write of the sequence file.
pub const RESERVE: u64 = 4096;

/// Hands out strictly increasing sequence numbers.
#[derive(Debug)]
pub struct SequenceSource {
    next: u64,
    reserved_until: u64,
    file: Option<PathBuf>,
}

impl SequenceSource {
    /// Starts at `unix_ms << 22`, or above the mark in `file`.
    pub fn new(unix_ms: u64, file: Option<PathBuf>) -> std::io::Result<Self> {
        let mut next = unix_ms << COUNTER_BITS;
        if let Some(path) = &file {
            match std::fs::read_to_string(path) {
                Ok(s) => {
                    let mark: u64 = s.trim().parse().map_err(|_| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{}: not a number", path.display()),
                        )
                    })?;
                    next = next.max(mark);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Self { next, reserved_until: next, file })
    }

    /// Moves the next number past `last` (never backwards).
    pub fn advance_past(&mut self, last: u64) -> std::io::Result<()> {
        let next = last.checked_add(1).ok_or_else(|| std::io::Error::other("sequence space exhausted"))?;
        self.next = self.next.max(next);
        Ok(())
    }

    /// Hands `n` out again, if it is the number [`allocate`](Self::allocate) returned last: its packet
    /// certainly never reached the gateway, so the gateway sees no gap in the stream.
    pub fn unallocate(&mut self, n: u64) {
        if n.checked_add(1) == Some(self.next) {
            self.next = n;
        }
    }

    /// The next number (persisting a new reservation first when a file is configured).
    pub fn allocate(&mut self) -> std::io::Result<u64> {
        if let Some(path) = &self.file
            && self.next >= self.reserved_until
        {
            let until = self.next.saturating_add(RESERVE);
            let tmp = path.with_extension("tmp");
            {
                use std::io::Write;
                let mut f = std::fs::File::create(&tmp)?;
                writeln!(f, "{until}")?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, path)?;
            self.reserved_until = until;
        }
        let n = self.next;
        self.next = self.next.checked_add(1).ok_or_else(|| std::io::Error::other("sequence space exhausted"))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_continue_above_previous_numbers() {
        let mut a = SequenceSource::new(1_700_000_000_000, None).unwrap();
        let first = a.allocate().unwrap();
        assert_eq!(first, 1_700_000_000_000 << 22);
        assert_eq!(a.allocate().unwrap(), first + 1);
        // A restart one millisecond later starts above a run that sent a million packets.
        let b = SequenceSource::new(1_700_000_000_001, None).unwrap().next;
        assert!(b > first + 1_000_000);
        // A number that never reached the gateway is handed out again, but only the last one.
        let third = a.allocate().unwrap();
        a.unallocate(first);
        a.unallocate(third);
        assert_eq!(a.allocate().unwrap(), third);
        assert_eq!(a.allocate().unwrap(), third + 1);
    }

    #[test]
    fn file_mark_survives_a_clock_step_back() {
        let dir = std::env::temp_dir().join(format!("qrngdd-seq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("seq");
        let _ = std::fs::remove_file(&path);
        let mut a = SequenceSource::new(2_000, Some(path.clone())).unwrap();
        let used: Vec<u64> = (0..3).map(|_| a.allocate().unwrap()).collect();
        // The clock stepped back by a second.
        let mut b = SequenceSource::new(1_000, Some(path.clone())).unwrap();
        assert!(b.allocate().unwrap() > *used.last().unwrap());
        std::fs::write(&path, "junk").unwrap();
        assert!(SequenceSource::new(1, Some(path)).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
