//! Hash functions ([`HashFunction`]) with an incremental interface ([`Hasher`]).
//!
//! ```
//! use qres::{default_provider, HashId};
//! let sha3 = default_provider().hash(HashId::SHA3_256)?;
//! let mut h = sha3.new_hasher();
//! h.update(b"ab");
//! h.update(b"c");
//! assert_eq!(h.finalize(), sha3.digest(&[b"abc"]));
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::HashId;

/// A hash function.
pub trait HashFunction: Send + Sync + 'static {
    /// The algorithm id.
    fn id(&self) -> HashId;

    /// Which implementation this is.
    fn implementation(&self) -> &'static str;

    /// Digest length in bytes.
    fn output_len(&self) -> usize;

    /// Starts an incremental computation.
    fn new_hasher(&self) -> Box<dyn Hasher>;

    /// The digest of the concatenation of `parts`.
    fn digest(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut h = self.new_hasher();
        for p in parts {
            h.update(p);
        }
        h.finalize()
    }
}

/// An incremental hash computation.
pub trait Hasher: Send {
    /// Absorbs `data`.
    fn update(&mut self, data: &[u8]);

    /// Returns the digest.
    fn finalize(self: Box<Self>) -> Vec<u8>;
}
