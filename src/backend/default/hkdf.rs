//! HKDF-SHA256, HKDF-SHA384 and HKDF-SHA512 (RFC 5869) on RustCrypto's `hkdf` and `sha2`.

use crate::alg::KdfId;
use crate::error::{Error, Result};
use crate::primitives::kdf::Kdf;
use crate::secret::SecretBytes;
use hmac::EagerHash;
use sha2::Digest;

/// HKDF over the SHA-2 function `D`.
pub struct RustCryptoHkdf<D> {
    id: KdfId,
    _digest: core::marker::PhantomData<fn() -> D>,
}

/// HKDF-SHA256.
pub static HKDF_SHA256: RustCryptoHkdf<sha2::Sha256> =
    RustCryptoHkdf { id: KdfId::HKDF_SHA256, _digest: core::marker::PhantomData };
/// HKDF-SHA384.
pub static HKDF_SHA384: RustCryptoHkdf<sha2::Sha384> =
    RustCryptoHkdf { id: KdfId::HKDF_SHA384, _digest: core::marker::PhantomData };
/// HKDF-SHA512.
pub static HKDF_SHA512: RustCryptoHkdf<sha2::Sha512> =
    RustCryptoHkdf { id: KdfId::HKDF_SHA512, _digest: core::marker::PhantomData };

impl<D> Kdf for RustCryptoHkdf<D>
where
    D: EagerHash + Digest + Clone + Send + Sync + 'static,
    hkdf::Hkdf<D>: Clone,
{
    fn id(&self) -> KdfId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "RustCrypto"
    }

    fn prk_len(&self) -> usize {
        <D as Digest>::output_size()
    }

    fn extract(&self, salt: &[u8], ikm: &[&[u8]]) -> SecretBytes {
        let mut ext = hkdf::HkdfExtract::<D>::new(Some(salt));
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
        let hk = hkdf::Hkdf::<D>::from_prk(prk).map_err(|_| Error::LengthOutOfRange {
            what: "HKDF pseudorandom key",
            min: self.prk_len(),
            max: usize::MAX,
            actual: prk.len(),
        })?;
        hk.expand_multi_info(info, out).map_err(|_| Error::Backend("HKDF expand"))
    }
}
