//! HMAC-SHA256 and HMAC-SHA3-256 on RustCrypto's `hmac` (`Hmac` with precomputed pads for SHA-256,
//! `SimpleHmac` for SHA3-256, whose sponge has no block-level core for `Hmac` to reuse).

use crate::alg::MacId;
use crate::error::{Error, Result};
use crate::primitives::mac::{Mac, MacState};
use hmac::KeyInit;

/// A RustCrypto MAC type `M` as a [`Mac`].
pub struct RustCryptoHmac<M> {
    id: MacId,
    _mac: core::marker::PhantomData<fn() -> M>,
}

struct State<M>(M);

impl<M: hmac::Mac + Send + 'static> MacState for State<M> {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().into_bytes().to_vec()
    }
}

impl<M: hmac::Mac + KeyInit + Send + 'static> Mac for RustCryptoHmac<M> {
    fn id(&self) -> MacId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "RustCrypto"
    }

    fn tag_len(&self) -> usize {
        <M as hmac::digest::OutputSizeUser>::output_size()
    }

    fn new_mac(&self, key: &[u8]) -> Result<Box<dyn MacState>> {
        let mac = <M as KeyInit>::new_from_slice(key).map_err(|_| Error::Backend("HMAC key setup"))?;
        Ok(Box::new(State(mac)))
    }
}

/// HMAC-SHA256.
pub static HMAC_SHA256: RustCryptoHmac<hmac::Hmac<sha2::Sha256>> =
    RustCryptoHmac { id: MacId::HMAC_SHA256, _mac: core::marker::PhantomData };
/// HMAC-SHA3-256.
pub static HMAC_SHA3_256: RustCryptoHmac<hmac::SimpleHmac<sha3::Sha3_256>> =
    RustCryptoHmac { id: MacId::HMAC_SHA3_256, _mac: core::marker::PhantomData };
