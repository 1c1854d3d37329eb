//! PEM-like ASCII armor with a label (`-----BEGIN QRES <LABEL>-----`) and a strict parser.
//!
//! Used for envelopes (FORMAT.md, "ASCII armor") and private key files. The parser accepts exactly what
//! [`encode`] produces, with LF or CRLF line endings (each line may use either): the BEGIN line, canonical
//! padded base64 in lines of 64 characters (the last one 1 to 64), the END line, at most one line ending
//! after it (it may be missing). Anything else is an [`Error::InvalidInput`] naming what is wrong.
//! [`Writer`] and [`Reader`] do the same as [`encode`] and [`decode`] through `std::io`, in constant
//! memory, for inputs of any size.
//!
//! ```
//! use qres::armor;
//! let text = armor::encode("QRES PRIVATE KEY", b"any bytes");
//! assert!(text.starts_with("-----BEGIN QRES PRIVATE KEY-----\n"));
//! assert_eq!(armor::decode("QRES PRIVATE KEY", &text, 1 << 20)?, b"any bytes");
//! assert!(armor::decode("QRES ENVELOPE", &text, 1 << 20).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::io::{self, Read, Write};
use zeroize::{Zeroize, Zeroizing};

/// Base64 characters per line.
pub const LINE_LEN: usize = 64;

fn begin_line(label: &str) -> String {
    format!("-----BEGIN {label}-----")
}

fn end_line(label: &str) -> String {
    format!("-----END {label}-----")
}

/// Armors `bytes` under `label`: the begin line, base64 in 64-column lines, the end line, each ending
/// with LF.
pub fn encode(label: &str, bytes: &[u8]) -> String {
    // Zeroized on drop: armored bytes may be an (unprotected) private key.
    let b64 = Zeroizing::new(STANDARD.encode(bytes));
    let (begin, end) = (begin_line(label), end_line(label));
    let mut out = String::with_capacity(b64.len() + b64.len() / LINE_LEN + begin.len() + end.len() + 4);
    out.push_str(&begin);
    out.push('\n');
    for line in b64.as_bytes().chunks(LINE_LEN) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&end);
    out.push('\n');
    out
}

/// Parses text armored under `label`, refusing inputs longer than `max_len` bytes before any work.
///
/// The rules are those of [`Reader`], which this runs over the text, so the in-memory and the streaming
/// parser accept exactly the same inputs.
pub fn decode(label: &str, text: &str, max_len: usize) -> Result<Vec<u8>> {
    if text.len() > max_len {
        return Err(Error::LengthOutOfRange { what: "armored input", min: 0, max: max_len, actual: text.len() });
    }
    let mut reader = Reader::new(text.as_bytes(), label);
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    match reader.read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => {
            out.zeroize();
            Err(reader.error.take().unwrap_or_else(|| Error::io("reading armored text", &e)))
        }
    }
}

/// Bytes of input per full base64 line.
const BYTES_PER_LINE: usize = LINE_LEN / 4 * 3;

/// Armors everything written to it, in constant memory: the BEGIN line is written when the writer is
/// made, each full 64-character line as soon as its 48 bytes are in, and the last line and the END line
/// by [`finish`](Self::finish). The output is byte for byte what [`encode`] produces.
///
/// ```
/// use qres::armor;
/// use std::io::Write;
/// let mut w = armor::Writer::new(Vec::new(), "QRES TEST")?;
/// w.write_all(&[7u8; 100])?;
/// let text = w.finish()?;
/// assert_eq!(text, armor::encode("QRES TEST", &[7u8; 100]).into_bytes());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Writer<W: Write> {
    inner: W,
    end: String,
    pending: Zeroizing<Vec<u8>>,
    line: Zeroizing<Vec<u8>>,
    written: u64,
}

impl<W: Write> Writer<W> {
    /// Starts armored output under `label` on `inner` (writes the BEGIN line).
    pub fn new(mut inner: W, label: &str) -> io::Result<Self> {
        inner.write_all(begin_line(label).as_bytes())?;
        inner.write_all(b"\n")?;
        Ok(Self {
            inner,
            end: end_line(label),
            pending: Zeroizing::new(Vec::with_capacity(BYTES_PER_LINE)),
            line: Zeroizing::new(vec![0u8; LINE_LEN + 1]),
            written: 0,
        })
    }

    fn emit(&mut self, bytes_len: usize) -> io::Result<()> {
        let n = STANDARD
            .encode_slice(&self.pending[..bytes_len], &mut self.line[..LINE_LEN])
            .map_err(|_| io::Error::other("armor: base64 line buffer"))?;
        self.line[n] = b'\n';
        self.inner.write_all(&self.line[..=n])
    }

    /// Writes the last data line and the END line, flushes, and returns the inner writer. Armoring
    /// nothing is refused (`InvalidInput`): an armor block holds at least one byte.
    pub fn finish(mut self) -> io::Result<W> {
        if self.written == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, Error::InvalidInput("armor: nothing to armor")));
        }
        if !self.pending.is_empty() {
            self.emit(self.pending.len())?;
        }
        self.inner.write_all(self.end.as_bytes())?;
        self.inner.write_all(b"\n")?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Writer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        for &b in data {
            // The line is written only when more data follows a full one, so `finish` always has the
            // last line (full or not) in hand.
            if self.pending.len() == BYTES_PER_LINE {
                self.emit(BYTES_PER_LINE)?;
                self.pending.clear();
            }
            self.pending.push(b);
        }
        self.written += data.len() as u64;
        Ok(data.len())
    }

    /// Flushes the inner writer (the current line stays buffered until it is full or `finish`).
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Longest line the reader holds: a data line, or a BEGIN/END line, with its CRLF.
const MAX_LINE: usize = 128;

/// Parses armored input under a label while reading from it, in constant memory (one line of lookahead),
/// with the rules of the module docs: the BEGIN line, lines of exactly 64 base64 characters, a last line
/// of 1 to 64, the END line, then nothing but one optional line ending. Each line may end with LF or
/// CRLF (lines may differ); a lone CR is refused; so are lines longer than 64 characters, before more is
/// read. Errors are `io::Error`s of kind `InvalidData` carrying an [`Error::InvalidInput`] that names the
/// rule (get it with [`crate::envelope::error_of`]); the bytes returned before an error are not
/// authenticated by the armor (the envelope inside authenticates itself).
pub struct Reader<R: Read> {
    inner: R,
    begin: String,
    end: String,
    buf: Box<[u8; 8192]>,
    buf_start: usize,
    buf_end: usize,
    inner_eof: bool,
    state: State,
    /// The previous data line (base64 text), held back until the next line shows whether it is the last.
    held: Zeroizing<Vec<u8>>,
    line: Zeroizing<Vec<u8>>,
    out: Zeroizing<Vec<u8>>,
    out_pos: usize,
    error: Option<Error>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Begin,
    Data,
    Done,
    Failed,
}

impl<R: Read> Reader<R> {
    /// Reads armored input under `label` from `inner`.
    pub fn new(inner: R, label: &str) -> Self {
        Self {
            inner,
            begin: begin_line(label),
            end: end_line(label),
            buf: Box::new([0u8; 8192]),
            buf_start: 0,
            buf_end: 0,
            inner_eof: false,
            state: State::Begin,
            held: Zeroizing::new(Vec::with_capacity(LINE_LEN)),
            line: Zeroizing::new(Vec::with_capacity(MAX_LINE)),
            out: Zeroizing::new(Vec::with_capacity(BYTES_PER_LINE)),
            out_pos: 0,
            error: None,
        }
    }

    /// Returns the inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn refill(&mut self) -> io::Result<()> {
        loop {
            match self.inner.read(&mut self.buf[..]) {
                Ok(0) => {
                    self.inner_eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.buf_start = 0;
                    self.buf_end = n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next line without its line ending into `self.line`; `Ok(false)` at the end of input with no
    /// byte read. A line that ends at the end of input without LF is returned with `ended = false`.
    fn next_line(&mut self) -> std::result::Result<Option<bool>, LineError> {
        self.line.clear();
        loop {
            if self.buf_start == self.buf_end {
                if self.inner_eof {
                    return Ok(if self.line.is_empty() { None } else { Some(false) });
                }
                self.refill().map_err(LineError::Io)?;
                continue;
            }
            let b = self.buf[self.buf_start];
            self.buf_start += 1;
            if b == b'\n' {
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
                if self.line.contains(&b'\r') {
                    return Err(LineError::Rule("armor: stray carriage return"));
                }
                return Ok(Some(true));
            }
            if self.line.len() == MAX_LINE {
                return Err(LineError::Rule("armor: line too long"));
            }
            self.line.push(b);
        }
    }

    fn at_end_of_input(&mut self) -> io::Result<bool> {
        if self.buf_start < self.buf_end {
            return Ok(false);
        }
        if !self.inner_eof {
            self.refill()?;
        }
        Ok(self.buf_start == self.buf_end)
    }

    /// Advances by one line; fills `self.out` with decoded bytes when a data line is released.
    fn step(&mut self) -> std::result::Result<(), LineError> {
        match self.state {
            State::Begin => {
                let first = self.next_line()?;
                if first != Some(true) || self.line.as_slice() != self.begin.as_bytes() {
                    return Err(LineError::Rule("armor: the first line must be the expected BEGIN line"));
                }
                self.state = State::Data;
            }
            State::Data => {
                let Some(ended) = self.next_line()? else {
                    return Err(LineError::Rule("armor: missing END line"));
                };
                if self.line.as_slice() == self.end.as_bytes() {
                    if self.held.is_empty() {
                        return Err(LineError::Rule("armor: no data"));
                    }
                    if !self.at_end_of_input().map_err(LineError::Io)? {
                        return Err(LineError::Rule("armor: nothing may follow the END line"));
                    }
                    self.release_last()?;
                    self.state = State::Done;
                    return Ok(());
                }
                if !ended {
                    return Err(LineError::Rule("armor: missing END line"));
                }
                if !self.held.is_empty() {
                    // A line follows, so the held one is not the last: it must be full and unpadded.
                    if self.held.len() != LINE_LEN {
                        return Err(LineError::Rule("armor: every line but the last must hold exactly 64 characters"));
                    }
                    if self.held.contains(&b'=') {
                        return Err(LineError::Rule("armor: invalid or non-canonical base64"));
                    }
                    self.release_held()?;
                }
                if self.line.is_empty() || self.line.len() > LINE_LEN {
                    return Err(LineError::Rule(if self.line.len() > LINE_LEN {
                        "armor: every line but the last must hold exactly 64 characters"
                    } else {
                        "armor: the last data line must hold 1 to 64 characters"
                    }));
                }
                if !self.line.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=') {
                    return Err(LineError::Rule("armor: character outside the base64 alphabet"));
                }
                self.held.clear();
                self.held.extend_from_slice(&self.line);
            }
            State::Done | State::Failed => {}
        }
        Ok(())
    }

    fn release_held(&mut self) -> std::result::Result<(), LineError> {
        self.out.clear();
        self.out.resize(BYTES_PER_LINE, 0);
        let n = STANDARD
            .decode_slice(&self.held[..], &mut self.out[..])
            .map_err(|_| LineError::Rule("armor: invalid or non-canonical base64"))?;
        self.out.truncate(n);
        self.out_pos = 0;
        Ok(())
    }

    fn release_last(&mut self) -> std::result::Result<(), LineError> {
        // The standard engine refuses missing padding and non-zero unused bits (canonical encoding only).
        self.release_held()
    }
}

/// Why the reader stopped: an I/O error of the inner reader, or a broken rule.
enum LineError {
    Io(io::Error),
    Rule(&'static str),
}

impl<R: Read> Read for Reader<R> {
    fn read(&mut self, dest: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out.len() {
                let n = dest.len().min(self.out.len() - self.out_pos);
                dest[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            match self.state {
                State::Done => return Ok(0),
                State::Failed => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        Error::InvalidInput("armor: input refused"),
                    ));
                }
                State::Begin | State::Data => {}
            }
            if let Err(e) = self.step() {
                self.state = State::Failed;
                self.out.zeroize();
                self.out.clear();
                self.out_pos = 0;
                return Err(match e {
                    LineError::Io(e) => e,
                    LineError::Rule(rule) => {
                        self.error = Some(Error::InvalidInput(rule));
                        io::Error::new(io::ErrorKind::InvalidData, Error::InvalidInput(rule))
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: &str = "QRES TEST";

    #[test]
    fn round_trip_all_lengths() {
        for n in [0usize, 1, 2, 3, 47, 48, 49, 96, 1000] {
            let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let text = encode(L, &data);
            if n == 0 {
                // An empty payload has no data line, which the parser refuses (nothing armored is empty).
                assert!(decode(L, &text, 1 << 20).is_err());
                continue;
            }
            assert_eq!(decode(L, &text, 1 << 20).unwrap(), data, "{n}");
            assert_eq!(decode(L, &text.replace('\n', "\r\n"), 1 << 20).unwrap(), data);
            assert!(text.lines().skip(1).all(|l| l.len() <= 64));
        }
    }

    #[test]
    fn strictness() {
        let good = encode(L, &[0xAB; 100]);
        let bad = [
            good.replacen("-----BEGIN", "----BEGIN", 1),
            format!("junk\n{good}"),
            format!("{good}junk\n"),
            good.replace("\n-----END", "\n\n-----END"),
            good.replacen('q', "!", 1).replacen('A', "*", 1),
            good.replacen('\n', " \n", 2),
            good.replace("=\n", "\n"),
            good.replacen('\n', "\r", 1),
            good.replace("END QRES TEST", "END QRES OTHER"),
        ];
        for (i, b) in bad.iter().enumerate() {
            assert!(decode(L, b, 1 << 20).is_err(), "case {i} accepted:\n{b}");
        }
        // Non-canonical trailing bits.
        let text = format!("{}\nq7==\n{}\n", begin_line(L), end_line(L));
        assert!(decode(L, &text, 1 << 20).is_err());
        // Over-long lines.
        let text = format!("{}\n{}\n{}\n", begin_line(L), "A".repeat(68), end_line(L));
        assert!(decode(L, &text, 1 << 20).is_err());
        // The size limit applies before parsing.
        assert!(matches!(decode(L, &good, 10), Err(Error::LengthOutOfRange { .. })));
    }
}
