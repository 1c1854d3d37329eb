//! ASCII armor for envelopes (FORMAT.md, "ASCII armor"): [`crate::armor`] with the label
//! `QRES ENVELOPE`, in memory ([`encode`], [`decode`], up to [`MAX_ARMORED_LEN`] both ways) or streaming
//! through `std::io` in constant memory for any size ([`writer`], [`reader`]).
//!
//! ```
//! use qres::envelope::armor;
//! let text = armor::encode(b"any bytes")?;
//! assert!(text.starts_with("-----BEGIN QRES ENVELOPE-----\n"));
//! assert_eq!(armor::decode(&text)?, b"any bytes");
//! assert!(armor::decode(&text.replace("QRES", "PGP")).is_err());
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! Streaming, e.g. an [`EnvelopeWriter`](super::EnvelopeWriter) over an armor writer, and an
//! [`EnvelopeReader`](super::EnvelopeReader) over an armor reader:
//!
//! ```
//! use qres::envelope::{armor, EnvelopeReader, EnvelopeWriter, OpenOptions, SealOptions};
//! use qres::{default_provider, KemId, OsRng};
//! use std::io::{Read, Write};
//! let sk = default_provider().kem(KemId::X_WING)?.generate(&mut OsRng)?;
//! let mut w = EnvelopeWriter::new(armor::writer(Vec::new())?, &[sk.public_key().clone().into()], &SealOptions::default(), &mut OsRng)?;
//! w.write_all(&[1u8; 100_000])?;
//! let text = w.finish()?.finish()?;
//! let mut r = EnvelopeReader::new(armor::reader(&text[..]), &sk, &OpenOptions::default())?;
//! let mut out = Vec::new();
//! r.read_to_end(&mut out)?;
//! assert_eq!(out, [1u8; 100_000]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{Error, Result};
use std::io::{Read, Write};

/// The label of armored envelopes.
pub const LABEL: &str = "QRES ENVELOPE";
/// The first line.
pub const BEGIN: &str = "-----BEGIN QRES ENVELOPE-----";
/// The last line.
pub const END: &str = "-----END QRES ENVELOPE-----";
/// Base64 characters per line.
pub const LINE_LEN: usize = crate::armor::LINE_LEN;
/// Largest armored text that [`encode`] writes and [`decode`] reads (64 MiB, an envelope of about
/// 47 MiB); larger envelopes go through [`writer`] and [`reader`], which have no limit.
pub const MAX_ARMORED_LEN: usize = 64 << 20;

/// The length of the armored text of `n` bytes.
pub const fn armored_len(n: usize) -> usize {
    let b64 = n.div_ceil(3) * 4;
    BEGIN.len() + 1 + b64 + b64.div_ceil(LINE_LEN) + END.len() + 1
}

/// Armors `bytes`: the begin line, base64 in 64-column lines, the end line, each ending with LF. Refuses
/// exactly what [`decode`] would refuse for size: an empty input, and text over [`MAX_ARMORED_LEN`].
pub fn encode(bytes: &[u8]) -> Result<String> {
    let len = armored_len(bytes.len());
    if bytes.is_empty() || len > MAX_ARMORED_LEN {
        return Err(Error::LengthOutOfRange { what: "armored envelope", min: 1, max: MAX_ARMORED_LEN, actual: len });
    }
    Ok(crate::armor::encode(LABEL, bytes))
}

/// Parses armored text strictly; every deviation is [`Error::InvalidInput`]
/// naming what is wrong, and inputs over [`MAX_ARMORED_LEN`] are refused before parsing.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    crate::armor::decode(LABEL, text, MAX_ARMORED_LEN)
}

/// An armor writer for envelopes (writes the BEGIN line now; call
/// [`finish`](crate::armor::Writer::finish) after the envelope).
pub fn writer<W: Write>(inner: W) -> std::io::Result<Writer<W>> {
    crate::armor::Writer::new(inner, LABEL)
}

/// An armor reader for envelopes.
pub fn reader<R: Read>(inner: R) -> Reader<R> {
    crate::armor::Reader::new(inner, LABEL)
}

/// The streaming armor writer ([`crate::armor::Writer`]).
pub type Writer<W> = crate::armor::Writer<W>;
/// The streaming armor reader ([`crate::armor::Reader`]).
pub type Reader<R> = crate::armor::Reader<R>;
