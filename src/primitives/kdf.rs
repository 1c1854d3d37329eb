//! Key derivation: HKDF-style extract and expand ([`Kdf`]).
//!
//! Inputs are lists of slices so that structured inputs (HPKE's labeled extract and expand, for example)
//! need no intermediate concatenation.
//!
//! ```
//! use qres::{default_provider, KdfId};
//! let kdf = default_provider().kdf(KdfId::HKDF_SHA256)?;
//! let prk = kdf.extract(b"salt", &[b"input key material"]);
//! let mut okm = [0u8; 42];
//! kdf.expand(prk.as_bytes(), &[b"context", b" info"], &mut okm)?;
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::KdfId;
use crate::error::Result;
use crate::secret::SecretBytes;

/// An extract-then-expand key derivation function (RFC 5869).
pub trait Kdf: Send + Sync + 'static {
    /// The algorithm id.
    fn id(&self) -> KdfId;

    /// Which implementation this is.
    fn implementation(&self) -> &'static str;

    /// Length of the pseudorandom key (the hash output length, `Nh`).
    fn prk_len(&self) -> usize;

    /// Longest output [`expand`](Self::expand) can produce (255 · `Nh` for HKDF).
    fn max_output_len(&self) -> usize {
        255 * self.prk_len()
    }

    /// `PRK = Extract(salt, ikm_0 || ikm_1 || ...)`. An empty salt means `Nh` zero bytes.
    fn extract(&self, salt: &[u8], ikm: &[&[u8]]) -> SecretBytes;

    /// `OKM = Expand(prk, info_0 || info_1 || ..., out.len())`. Fails if `prk` is shorter than `Nh` or
    /// `out` is longer than [`max_output_len`](Self::max_output_len).
    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<()>;

    /// Extract then expand in one call.
    fn derive(&self, salt: &[u8], ikm: &[&[u8]], info: &[&[u8]], out: &mut [u8]) -> Result<()> {
        let prk = self.extract(salt, ikm);
        self.expand(prk.as_bytes(), info, out)
    }
}
