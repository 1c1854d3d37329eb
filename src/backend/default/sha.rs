//! SHA-256 and SHA3-256 on RustCrypto's `sha2` (SHA-NI when the CPU has it) and `sha3`.

use crate::alg::HashId;
use crate::primitives::hash::{HashFunction, Hasher};
use sha2::Digest;

/// A RustCrypto digest as a [`HashFunction`].
pub struct RustCryptoHash<D> {
    id: HashId,
    _digest: core::marker::PhantomData<fn() -> D>,
}

struct State<D>(D);

impl<D: Digest + Default + Send + 'static> Hasher for State<D> {
    fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

impl<D: Digest + Default + Send + 'static> HashFunction for RustCryptoHash<D> {
    fn id(&self) -> HashId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "RustCrypto"
    }

    fn output_len(&self) -> usize {
        <D as Digest>::output_size()
    }

    fn new_hasher(&self) -> Box<dyn Hasher> {
        Box::new(State(D::default()))
    }
}

/// SHA-256.
pub static SHA2_256: RustCryptoHash<sha2::Sha256> =
    RustCryptoHash { id: HashId::SHA2_256, _digest: core::marker::PhantomData };
/// SHA3-256.
pub static SHA3_256: RustCryptoHash<sha3::Sha3_256> =
    RustCryptoHash { id: HashId::SHA3_256, _digest: core::marker::PhantomData };
