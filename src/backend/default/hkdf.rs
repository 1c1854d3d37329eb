//! HKDF-SHA256 (RFC 5869) on RustCrypto's `hkdf`.

use crate::alg::KdfId;
use crate::error::{Error, Result};
use crate::primitives::kdf::Kdf;
use crate::secret::SecretBytes;

const HASH_LEN: usize = 32;

/// HKDF-SHA256.
pub struct HkdfSha256;

/// HKDF-SHA256.
pub static HKDF_SHA256: HkdfSha256 = HkdfSha256;

impl Kdf for HkdfSha256 {
    fn id(&self) -> KdfId {
        KdfId::HKDF_SHA256
    }

    fn implementation(&self) -> &'static str {
        "RustCrypto"
    }

    fn prk_len(&self) -> usize {
        HASH_LEN
    }

    fn extract(&self, salt: &[u8], ikm: &[&[u8]]) -> SecretBytes {
        let mut ext = hkdf::HkdfExtract::<sha2::Sha256>::new(Some(salt));
        for part in ikm {
            ext.input_ikm(part);
        }
        let (prk, _) = ext.finalize();
        SecretBytes::from_slice(&prk)
    }

    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<()> {
        if out.len() > self.max_output_len() {
            return Err(Error::OutputTooLong { requested: out.len(), max: self.max_output_len() });
        }
        let hk = hkdf::Hkdf::<sha2::Sha256>::from_prk(prk).map_err(|_| Error::LengthOutOfRange {
            what: "HKDF pseudorandom key",
            min: HASH_LEN,
            max: usize::MAX,
            actual: prk.len(),
        })?;
        hk.expand_multi_info(info, out).map_err(|_| Error::Backend("HKDF expand"))
    }
}
