//! Message authentication codes ([`Mac`]).
//!
//! [`Mac::verify`] compares in constant time and accepts a tag truncated to its leftmost bytes down to
//! [`MIN_VERIFY_TAG_LEN`] bytes (or the full tag if shorter); anything else fails as
//! [`Error::AuthenticationFailed`].
//!
//! ```
//! use qres::{default_provider, MacId};
//! let hmac = default_provider().mac(MacId::HMAC_SHA256)?;
//! let tag = hmac.compute(b"key", &[b"message"])?;
//! hmac.verify(b"key", &[b"message"], &tag)?;
//! assert!(hmac.verify(b"key", &[b"massage"], &tag).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::MacId;
use crate::error::{Error, Result};
use subtle::ConstantTimeEq;

/// Shortest truncated tag [`Mac::verify`] accepts (128 bits).
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

    /// Checks `tag` (full, or truncated to at least [`MIN_VERIFY_TAG_LEN`] bytes) in constant time.
    fn verify(&self, key: &[u8], parts: &[&[u8]], tag: &[u8]) -> Result<()> {
        let full = self.compute(key, parts)?;
        let min = MIN_VERIFY_TAG_LEN.min(full.len());
        if tag.len() < min || tag.len() > full.len() {
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
