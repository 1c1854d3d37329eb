//! PEM-like ASCII armor with a label (`-----BEGIN QRES <LABEL>-----`) and a strict parser.
//!
//! Used for envelopes (FORMAT.md, "ASCII armor") and private key files. The parser accepts exactly what
//! [`encode`] produces (LF or CRLF line endings): the BEGIN line, canonical padded base64 in lines of 64
//! characters (the last one 1 to 64), the END line, one optional final line ending. Anything else is an
//! [`Error::InvalidInput`] naming what is wrong.
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
use zeroize::Zeroizing;

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
pub fn decode(label: &str, text: &str, max_len: usize) -> Result<Vec<u8>> {
    if text.len() > max_len {
        return Err(Error::LengthOutOfRange { what: "armored input", min: 0, max: max_len, actual: text.len() });
    }
    let normalized: Zeroizing<String>;
    let text = if text.contains("\r\n") {
        normalized = Zeroizing::new(text.replace("\r\n", "\n"));
        normalized.as_str()
    } else {
        text
    };
    if text.contains('\r') {
        return Err(Error::InvalidInput("armor: stray carriage return"));
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut lines = body.split('\n');
    if lines.next() != Some(begin_line(label).as_str()) {
        return Err(Error::InvalidInput("armor: the first line must be the expected BEGIN line"));
    }
    let lines: Vec<&str> = lines.collect();
    let Some((last, data)) = lines.split_last() else {
        return Err(Error::InvalidInput("armor: missing END line"));
    };
    if *last != end_line(label) {
        return Err(Error::InvalidInput("armor: the last line must be the matching END line"));
    }
    let Some((final_line, full_lines)) = data.split_last() else {
        return Err(Error::InvalidInput("armor: no data"));
    };
    if full_lines.iter().any(|l| l.len() != LINE_LEN) {
        return Err(Error::InvalidInput("armor: every line but the last must hold exactly 64 characters"));
    }
    if final_line.is_empty() || final_line.len() > LINE_LEN {
        return Err(Error::InvalidInput("armor: the last data line must hold 1 to 64 characters"));
    }
    let mut b64 = Zeroizing::new(String::with_capacity(data.len() * LINE_LEN));
    for l in data {
        if !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=') {
            return Err(Error::InvalidInput("armor: character outside the base64 alphabet"));
        }
        b64.push_str(l);
    }
    // The standard engine rejects missing padding and non-zero unused bits (canonical encoding only).
    STANDARD.decode(b64.as_bytes()).map_err(|_| Error::InvalidInput("armor: invalid or non-canonical base64"))
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
