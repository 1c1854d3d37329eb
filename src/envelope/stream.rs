//! Streaming envelopes: [`EnvelopeWriter`] and [`EnvelopeReader`] seal and open data of any size through
//! `std::io` in memory proportional to one chunk.

use super::header;
use super::seal::{Opener, Sealer, begin, unlock};
use super::{EnvelopeInfo, KeyLookup, OpenOptions, Recipient, SealOptions};
use crate::error::{Error, Result};
use crate::rng::DynCryptoRng;
use std::io::{self, Read, Write};
use zeroize::{Zeroize, Zeroizing};

fn io_error(e: Error) -> io::Error {
    match e {
        Error::Io { .. } => io::Error::other(e),
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}

/// The qres error inside an `io::Error` returned by [`EnvelopeWriter`] or [`EnvelopeReader`], if any.
pub fn error_of(e: &io::Error) -> Option<&Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Error>())
}

/// Seals a stream: write plaintext into it, then call [`finish`](Self::finish).
///
/// The header is written when the writer is created; each full chunk is encrypted and written as soon
/// as more data follows it; [`finish`](Self::finish) writes the final chunk and the signature. A writer
/// dropped without `finish` leaves a truncated envelope that readers reject.
///
/// ```
/// use qres::envelope::{EnvelopeReader, EnvelopeWriter, OpenOptions, Recipient, SealOptions};
/// use qres::{default_provider, KemId, OsRng};
/// use std::io::{Read, Write};
/// let sk = default_provider().kem(KemId::X_WING)?.generate(&mut OsRng)?;
/// let mut w = EnvelopeWriter::new(Vec::new(), &[sk.public_key().clone().into()], &SealOptions::default(), &mut OsRng)?;
/// w.write_all(&vec![7u8; 200_000])?;
/// let sealed = w.finish()?;
/// let mut r = EnvelopeReader::new(&sealed[..], &sk, &OpenOptions::default())?;
/// let mut out = Vec::new();
/// r.read_to_end(&mut out)?;
/// assert_eq!(out, vec![7u8; 200_000]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EnvelopeWriter<'a, W: Write> {
    inner: W,
    sealer: Sealer<'a>,
    buf: Zeroizing<Vec<u8>>,
}

impl<'a, W: Write> EnvelopeWriter<'a, W> {
    /// Starts an envelope to `recipients` on `inner` (always streamed, with `options.chunk_size`).
    pub fn new(
        mut inner: W,
        recipients: &[Recipient],
        options: &SealOptions<'a>,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<Self> {
        let mut options = options.clone();
        options.streamed = true;
        let sealer = begin(recipients, &options, rng, None, true)?;
        inner.write_all(&sealer.header_bytes).map_err(|e| Error::io("writing the envelope header", &e))?;
        let buf = Zeroizing::new(Vec::with_capacity(sealer.chunk_size + 16));
        Ok(Self { inner, sealer, buf })
    }

    fn seal_buffered(&mut self, last: bool) -> io::Result<()> {
        self.sealer.seal_chunk(&mut self.buf, last).map_err(io_error)?;
        let result = self.inner.write_all(&self.buf);
        self.buf.clear();
        result
    }

    /// Writes the final chunk and the trailer, flushes, and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_buffered(true)?;
        // The signature's randomness was drawn from the caller's RNG in `new`.
        let trailer = self.sealer.trailer().map_err(io_error)?;
        self.inner.write_all(&trailer)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for EnvelopeWriter<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let size = self.sealer.chunk_size;
        let mut written = 0;
        while written < data.len() {
            if self.buf.len() == size {
                // A full chunk followed by more data is not the final one.
                self.seal_buffered(false)?;
            }
            let take = (size - self.buf.len()).min(data.len() - written);
            self.buf.extend_from_slice(&data[written..written + take]);
            written += take;
        }
        Ok(written)
    }

    /// Flushes the inner writer (a partial chunk stays buffered until it fills or [`finish`](Self::finish)).
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Opens a stream: read plaintext from it chunk by chunk.
///
/// Each chunk's plaintext is released only after its tag verified. Truncation, reordering, duplicated,
/// dropped or appended chunks, and a missing or bad signature (when one was requested) are reported as
/// [`Error::AuthenticationFailed`] inside an `io::Error` of kind `InvalidData` (see [`error_of`]), at the
/// latest when the end of the payload is reached: a caller must treat data as authentic only once `read`
/// has returned `Ok(0)` ([`open_to_path`](super::open_to_path) does this for files).
///
/// Memory stays bounded by one chunk for streamed envelopes. A single-shot (unstreamed) envelope is one
/// AEAD ciphertext that has to be held whole; its payload is refused with
/// [`Error::PayloadTooLarge`] when it exceeds [`OpenOptions::max_single_shot_len`] (default 8 MiB), and
/// the reader never reads more than that limit from its input.
pub struct EnvelopeReader<'a, R: Read> {
    inner: R,
    opener: Opener<'a>,
    /// Read-ahead buffer: the current chunk (decrypted in place: plaintext in `..plain_len`), then up to
    /// a trailer and one byte of what follows.
    pending: Vec<u8>,
    /// Ciphertext bytes of the current chunk at the front of `pending` (0 when none is decrypted).
    consumed: usize,
    plain_len: usize,
    position: usize,
    eof: bool,
    done: bool,
    failed: bool,
    max_single_shot_len: usize,
}

impl<'a, R: Read> EnvelopeReader<'a, R> {
    /// Reads and authenticates the header from `inner` and unwraps the file key with one of `keys`.
    pub fn new<K: KeyLookup + ?Sized>(mut inner: R, keys: &K, options: &OpenOptions<'a>) -> Result<Self> {
        let parsed = header::parse(&mut inner, &options.provider)?;
        let opener = unlock(parsed, keys, options)?;
        let capacity = if opener.header.streamed { opener.chunk_ciphertext_len() + opener.trailer_len + 1 } else { 0 };
        Ok(Self {
            inner,
            pending: Vec::with_capacity(capacity),
            opener,
            consumed: 0,
            plain_len: 0,
            position: 0,
            eof: false,
            done: false,
            failed: false,
            max_single_shot_len: options.max_single_shot_len,
        })
    }

    /// The authenticated header (suite, QNE, signer, stanzas).
    pub fn header(&self) -> &header::Header {
        &self.opener.header
    }

    /// The QNE block.
    pub fn qne(&self) -> &[u8] {
        &self.opener.header.qne
    }

    /// Facts about the envelope; `sender_verified` is only meaningful after the whole payload was read.
    pub fn info(&self) -> EnvelopeInfo {
        EnvelopeInfo { header: self.opener.header.clone(), sender_verified: self.opener.verified }
    }

    /// Reads ahead until `need` bytes are buffered or the input ends.
    fn fill(&mut self, need: usize) -> Result<()> {
        while !self.eof && self.pending.len() < need {
            let start = self.pending.len();
            self.pending.resize(need, 0);
            match self.inner.read(&mut self.pending[start..]) {
                Ok(0) => {
                    self.pending.truncate(start);
                    self.eof = true;
                }
                Ok(n) => self.pending.truncate(start + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.pending.truncate(start),
                Err(e) => {
                    self.pending.truncate(start);
                    return Err(Error::io("reading the envelope", &e));
                }
            }
        }
        Ok(())
    }

    /// Drops the served chunk (zeroizing its plaintext) and decrypts the next one in place.
    fn next_chunk(&mut self) -> Result<()> {
        self.pending[..self.consumed].zeroize();
        self.pending.drain(..self.consumed);
        self.consumed = 0;
        self.plain_len = 0;
        self.position = 0;
        let trailer = self.opener.trailer_len;
        let last;
        let take;
        if self.opener.header.streamed {
            let chunk_len = self.opener.chunk_ciphertext_len();
            self.fill(chunk_len + trailer + 1)?;
            last = self.eof && self.pending.len() <= chunk_len + trailer;
            take = if last {
                self.pending.len().checked_sub(trailer).ok_or(Error::AuthenticationFailed)?
            } else {
                chunk_len
            };
            self.plain_len = self.opener.open_chunk_in_place(&mut self.pending[..take], last)?;
        } else {
            // A single-shot payload is one AEAD ciphertext that must be held whole: read at most the limit
            // (plus the trailer and one byte to tell "at the limit" from "over it"), never the whole input.
            let most = self.max_single_shot_len.saturating_add(trailer);
            (&mut self.inner)
                .take(most.saturating_add(1) as u64)
                .read_to_end(&mut self.pending)
                .map_err(|e| Error::io("reading the envelope", &e))?;
            if self.pending.len() > most {
                return Err(Error::PayloadTooLarge { limit: self.max_single_shot_len });
            }
            self.eof = true;
            last = true;
            take = self.pending.len().checked_sub(trailer).ok_or(Error::AuthenticationFailed)?;
            let mut body = self.pending[..take].to_vec();
            self.opener.open_chunk(&mut body, true)?;
            self.plain_len = body.len();
            self.pending[..body.len()].copy_from_slice(&body);
            body.zeroize();
        }
        self.consumed = take;
        if last {
            self.opener.finish(&self.pending[take..])?;
            self.done = true;
        }
        Ok(())
    }
}

impl<R: Read> Read for EnvelopeReader<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io_error(Error::AuthenticationFailed));
        }
        while self.position == self.plain_len {
            if self.done {
                return Ok(0);
            }
            if let Err(e) = self.next_chunk() {
                self.failed = true;
                self.pending.zeroize();
                self.pending.clear();
                self.consumed = 0;
                self.plain_len = 0;
                self.position = 0;
                return Err(io_error(e));
            }
        }
        let n = out.len().min(self.plain_len - self.position);
        out[..n].copy_from_slice(&self.pending[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

impl<R: Read> Drop for EnvelopeReader<'_, R> {
    fn drop(&mut self) {
        self.pending.zeroize();
    }
}
