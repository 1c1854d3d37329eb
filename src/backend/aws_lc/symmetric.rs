//! SHA-256, SHA3-256, HMAC-SHA256 and HKDF-SHA256/384/512 on aws-lc-rs.
//!
//! aws-lc-rs' `hkdf::Prk` cannot be exported, but [`Kdf::extract`] returns the PRK: extraction is therefore
//! computed as what RFC 5869 defines it to be, `HMAC-Hash(salt, IKM)` with aws-lc-rs' HMAC (an empty salt
//! is `HashLen` zero bytes, which HMAC's zero padding of the key makes the same key), and expansion by
//! aws-lc-rs' HKDF-Expand from that PRK. HMAC-SHA3-256 is not offered by aws-lc-rs; the provider takes it
//! from the default backend.

use crate::alg::{HashId, KdfId, MacId};
use crate::error::{Error, Result};
use crate::primitives::hash::{HashFunction, Hasher};
use crate::primitives::kdf::Kdf;
use crate::primitives::mac::{Mac, MacState};
use crate::secret::SecretBytes;
use aws_lc_rs::{digest, hkdf, hmac};

/// An aws-lc-rs digest as a [`HashFunction`].
pub struct AwsLcHash {
    id: HashId,
    algorithm: &'static digest::Algorithm,
}

/// SHA-256.
pub static SHA2_256: AwsLcHash = AwsLcHash { id: HashId::SHA2_256, algorithm: &digest::SHA256 };
/// SHA3-256.
pub static SHA3_256: AwsLcHash = AwsLcHash { id: HashId::SHA3_256, algorithm: &digest::SHA3_256 };

struct HashState(digest::Context);

impl Hasher for HashState {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finish().as_ref().to_vec()
    }
}

impl HashFunction for AwsLcHash {
    fn id(&self) -> HashId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "aws-lc-rs"
    }

    fn output_len(&self) -> usize {
        self.algorithm.output_len()
    }

    fn new_hasher(&self) -> Box<dyn Hasher> {
        Box::new(HashState(digest::Context::new(self.algorithm)))
    }
}

/// An aws-lc-rs HMAC as a [`Mac`].
pub struct AwsLcHmac {
    id: MacId,
    algorithm: hmac::Algorithm,
}

/// HMAC-SHA256.
pub static HMAC_SHA256: AwsLcHmac = AwsLcHmac { id: MacId::HMAC_SHA256, algorithm: hmac::HMAC_SHA256 };

struct MacCtx(hmac::Context);

impl MacState for MacCtx {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.sign().as_ref().to_vec()
    }
}

impl Mac for AwsLcHmac {
    fn id(&self) -> MacId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "aws-lc-rs"
    }

    fn tag_len(&self) -> usize {
        self.algorithm.digest_algorithm().output_len()
    }

    fn new_mac(&self, key: &[u8]) -> Result<Box<dyn MacState>> {
        let key = hmac::Key::new(self.algorithm, key);
        Ok(Box::new(MacCtx(hmac::Context::with_key(&key))))
    }
}

/// HKDF (RFC 5869) on aws-lc-rs' HMAC and HKDF-Expand.
pub struct AwsLcHkdf {
    id: KdfId,
    hmac: hmac::Algorithm,
    hkdf: hkdf::Algorithm,
}

/// HKDF-SHA256.
pub static HKDF_SHA256: AwsLcHkdf =
    AwsLcHkdf { id: KdfId::HKDF_SHA256, hmac: hmac::HMAC_SHA256, hkdf: hkdf::HKDF_SHA256 };
/// HKDF-SHA384.
pub static HKDF_SHA384: AwsLcHkdf =
    AwsLcHkdf { id: KdfId::HKDF_SHA384, hmac: hmac::HMAC_SHA384, hkdf: hkdf::HKDF_SHA384 };
/// HKDF-SHA512.
pub static HKDF_SHA512: AwsLcHkdf =
    AwsLcHkdf { id: KdfId::HKDF_SHA512, hmac: hmac::HMAC_SHA512, hkdf: hkdf::HKDF_SHA512 };

/// An output length for aws-lc-rs' `Okm`.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl Kdf for AwsLcHkdf {
    fn id(&self) -> KdfId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "aws-lc-rs"
    }

    fn prk_len(&self) -> usize {
        self.hmac.digest_algorithm().output_len()
    }

    fn extract(&self, salt: &[u8], ikm: &[&[u8]]) -> SecretBytes {
        let key = hmac::Key::new(self.hmac, salt);
        let mut ctx = hmac::Context::with_key(&key);
        for part in ikm {
            ctx.update(part);
        }
        SecretBytes::from_slice(ctx.sign().as_ref())
    }

    fn expand(&self, prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<()> {
        if out.len() > self.max_output_len() {
            return Err(Error::OutputTooLong { requested: out.len(), max: self.max_output_len() });
        }
        if prk.len() < self.prk_len() {
            return Err(Error::LengthOutOfRange {
                what: "HKDF pseudorandom key",
                min: self.prk_len(),
                max: usize::MAX,
                actual: prk.len(),
            });
        }
        let prk = hkdf::Prk::new_less_safe(self.hkdf, prk);
        let okm = prk.expand(info, Len(out.len())).map_err(|_| Error::Backend("HKDF expand"))?;
        okm.fill(out).map_err(|_| Error::Backend("HKDF expand"))
    }
}
