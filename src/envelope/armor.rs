//! ASCII armor for envelopes (FORMAT.md, "ASCII armor"): [`crate::armor`] with the label
//! `QRES ENVELOPE`.
//!
//! ```
//! use qres::envelope::armor;
//! let text = armor::encode(b"any bytes");
//! assert!(text.starts_with("-----BEGIN QRES ENVELOPE-----\n"));
//! assert_eq!(armor::decode(&text)?, b"any bytes");
//! assert!(armor::decode(&text.replace("QRES", "PGP")).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::Result;

/// The label of armored envelopes.
pub const LABEL: &str = "QRES ENVELOPE";
/// The first line.
pub const BEGIN: &str = "-----BEGIN QRES ENVELOPE-----";
/// The last line.
pub const END: &str = "-----END QRES ENVELOPE-----";
/// Base64 characters per line.
pub const LINE_LEN: usize = crate::armor::LINE_LEN;
/// Largest armored input accepted (64 MiB); larger envelopes should travel in binary.
pub const MAX_ARMORED_LEN: usize = 64 << 20;

/// Armors `bytes`: the begin line, base64 in 64-column lines, the end line, each ending with LF.
pub fn encode(bytes: &[u8]) -> String {
    crate::armor::encode(LABEL, bytes)
}

/// Parses armored text strictly; every deviation is [`Error::InvalidInput`](crate::Error::InvalidInput)
/// naming what is wrong, and inputs over [`MAX_ARMORED_LEN`] are refused before parsing.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    crate::armor::decode(LABEL, text, MAX_ARMORED_LEN)
}
