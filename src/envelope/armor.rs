//! PEM-like ASCII armor for envelopes, with a strict parser (FORMAT.md, "ASCII armor").
//!
//! ```
//! use qres::envelope::armor;
//! let text = armor::encode(b"any bytes");
//! assert!(text.starts_with("-----BEGIN QRES ENVELOPE-----\n"));
//! assert_eq!(armor::decode(&text)?, b"any bytes");
//! assert!(armor::decode(&text.replace("QRES", "PGP")).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The first line.
pub const BEGIN: &str = "-----BEGIN QRES ENVELOPE-----";
/// The last line.
pub const END: &str = "-----END QRES ENVELOPE-----";
/// Base64 characters per line.
pub const LINE_LEN: usize = 64;
/// Largest armored input accepted (64 MiB); larger envelopes should travel in binary.
pub const MAX_ARMORED_LEN: usize = 64 << 20;

/// Armors `bytes`: the begin line, base64 in 64-column lines, the end line, each ending with LF.
pub fn encode(bytes: &[u8]) -> String {
    let b64 = STANDARD.encode(bytes);
    let mut out = String::with_capacity(b64.len() + b64.len() / LINE_LEN + BEGIN.len() + END.len() + 4);
    out.push_str(BEGIN);
    out.push('\n');
    for line in b64.as_bytes().chunks(LINE_LEN) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// Parses armored text strictly; every deviation is [`Error::InvalidInput`] naming what is wrong.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    if text.len() > MAX_ARMORED_LEN {
        return Err(Error::LengthOutOfRange {
            what: "armored envelope",
            min: 0,
            max: MAX_ARMORED_LEN,
            actual: text.len(),
        });
    }
    let crlf = text.contains("\r\n");
    let normalized;
    let text = if crlf {
        if text.replace("\r\n", "").contains('\r') {
            return Err(Error::InvalidInput("armor: stray carriage return"));
        }
        normalized = text.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        if text.contains('\r') {
            return Err(Error::InvalidInput("armor: stray carriage return"));
        }
        text
    };
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut lines = body.split('\n');
    if lines.next() != Some(BEGIN) {
        return Err(Error::InvalidInput("armor: the first line must be the BEGIN line"));
    }
    let lines: Vec<&str> = lines.collect();
    let Some((last, data)) = lines.split_last() else {
        return Err(Error::InvalidInput("armor: missing END line"));
    };
    if *last != END {
        return Err(Error::InvalidInput("armor: the last line must be the END line"));
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
    let mut b64 = String::with_capacity(data.len() * LINE_LEN);
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

    #[test]
    fn round_trip_all_lengths() {
        for n in [0usize, 1, 2, 3, 47, 48, 49, 96, 1000] {
            let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let text = encode(&data);
            if n == 0 {
                // An empty payload has no data line, which the parser refuses (envelopes are never empty).
                assert!(decode(&text).is_err());
                continue;
            }
            assert_eq!(decode(&text).unwrap(), data, "{n}");
            assert_eq!(decode(&text.replace('\n', "\r\n")).unwrap(), data);
            assert!(text.lines().skip(1).all(|l| l.len() <= 64));
        }
    }

    #[test]
    fn strictness() {
        let good = encode(&[0xAB; 100]);
        let bad = [
            good.replacen("-----BEGIN", "----BEGIN", 1),
            format!("junk\n{good}"),
            format!("{good}junk\n"),
            good.replace("\n-----END", "\n\n-----END"),
            good.replacen('q', "!", 1).replacen('A', "*", 1),
            good.replacen('\n', " \n", 2),
            good.replace("=\n", "\n"),
            good.replacen('\n', "\r", 1),
        ];
        for (i, b) in bad.iter().enumerate() {
            assert!(decode(b).is_err(), "case {i} accepted:\n{b}");
        }
        // Non-canonical trailing bits: "q7" decodes "ab"-like only with zero unused bits.
        let text = format!("{BEGIN}\nq7==\n{END}\n");
        assert!(decode(&text).is_err());
        // Over-long lines.
        let text = format!("{BEGIN}\n{}\n{END}\n", "A".repeat(68));
        assert!(decode(&text).is_err());
    }
}
