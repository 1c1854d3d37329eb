//! Message authentication codes ([`Mac`]).
//!
//! [`Mac::verify`] takes the full tag only (exactly [`Mac::tag_len`] bytes, compared in constant time), so
//! every message has exactly one valid tag. Protocols that send truncated tags say so explicitly with
//! [`Mac::verify_truncated`], which takes the shortest length it accepts, at least [`MIN_VERIFY_TAG_LEN`]
//! bytes. Every failure is [`Error::AuthenticationFailed`].
//!
//! ```
//! use qres::{default_provider, MacId};
//! let hmac = default_provider().mac(MacId::HMAC_SHA256)?;
//! let tag = hmac.compute(b"key", &[b"message"])?;
//! hmac.verify(b"key", &[b"message"], &tag)?;
//! assert!(hmac.verify(b"key", &[b"massage"], &tag).is_err());
//! // A truncated tag only passes where the caller allows truncation, and never below 16 bytes.
//! assert!(hmac.verify(b"key", &[b"message"], &tag[..16]).is_err());
//! hmac.verify_truncated(b"key", &[b"message"], &tag[..16], 16)?;
//! assert!(hmac.verify_truncated(b"key", &[b"message"], &tag[..16], 20).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::MacId;
use crate::error::{Error, Result};
use subtle::ConstantTimeEq;

/// Smallest `min_len` [`Mac::verify_truncated`] takes (128 bits).
pub const MIN_VERIFY_TAG_LEN: usize = 16;

/// A message authentication code.
pub trait Mac: Send + Sync + 'static {
    /// The algorithm id.
    fn id(&self) -> MacId;

    /// Which implementation this is.
    fn implementation(&self) -> &'static str;

    /// Full tag length in bytes.
    fn tag_len(&self) -> usize;

    /// Starts an incremental computation under `key`.
    fn new_mac(&self, key: &[u8]) -> Result<Box<dyn MacState>>;

    /// The tag of the concatenation of `parts`.
    fn compute(&self, key: &[u8], parts: &[&[u8]]) -> Result<Vec<u8>> {
        let mut m = self.new_mac(key)?;
        for p in parts {
            m.update(p);
        }
        Ok(m.finalize())
    }

    /// Checks the full `tag` (exactly [`tag_len`](Self::tag_len) bytes) in constant time.
    fn verify(&self, key: &[u8], parts: &[&[u8]], tag: &[u8]) -> Result<()> {
        let full = self.compute(key, parts)?;
        // The length is public; only the bytes are compared in constant time.
        if tag.len() == full.len() && bool::from(full.ct_eq(tag)) { Ok(()) } else { Err(Error::AuthenticationFailed) }
    }

    /// Checks `tag`, the leftmost `min_len` or more bytes of the tag (up to the full tag), in constant
    /// time. For protocols that define truncated tags (RFC 2104 §5, e.g. `HMAC-SHA256-128`): pass the
    /// protocol's tag length as `min_len`. `min_len` must be at least [`MIN_VERIFY_TAG_LEN`] (16) and at
    /// most [`tag_len`](Self::tag_len), else [`Error::InvalidInput`]; a tag of the wrong length or value
    /// is [`Error::AuthenticationFailed`]. Use [`verify`](Self::verify) unless truncation is intended.
    fn verify_truncated(&self, key: &[u8], parts: &[&[u8]], tag: &[u8], min_len: usize) -> Result<()> {
        if min_len < MIN_VERIFY_TAG_LEN || min_len > self.tag_len() {
            return Err(Error::InvalidInput("verify_truncated: min_len must be within 16..=tag_len"));
        }
        let full = self.compute(key, parts)?;
        if tag.len() < min_len || tag.len() > full.len() {
            return Err(Error::AuthenticationFailed);
        }
        if bool::from(full[..tag.len()].ct_eq(tag)) { Ok(()) } else { Err(Error::AuthenticationFailed) }
    }
}

/// An incremental MAC computation; the key state is zeroized on drop.
pub trait MacState: Send {
    /// Absorbs `data`.
    fn update(&mut self, data: &[u8]);

    /// Returns the tag.
    fn finalize(self: Box<Self>) -> Vec<u8>;
}
