//! RustCrypto `aead` 0.6 for qres's AES-GCM and ChaCha20-Poly1305 keys (see the [module above](super)).

use crate::alg::AeadId;
use crate::error::Error;
use crate::primitives::AeadKey;
use crate::provider::default_provider;
use aead::inout::InOutBuf;
use aead::{AeadCore, AeadInOut, Key, KeyInit, KeySizeUser, Nonce, Tag, TagPosition};
use core::fmt;
use core::marker::PhantomData;
use hybrid_array::ArraySize;
use hybrid_array::sizes::{U12, U16, U32};

mod sealed {
    pub trait Sealed {}
}

/// An AEAD algorithm of qres as a type, fixing what RustCrypto's traits fix as types (key, nonce and
/// tag sizes) and qres decides at run time (sealed; [`Aes128Gcm`], [`Aes256Gcm`], [`ChaCha20Poly1305`]).
pub trait AeadAlgorithm: sealed::Sealed + Send + Sync + 'static {
    /// The qres algorithm id.
    const ID: AeadId;
    /// Key length.
    type KeySize: ArraySize;
    /// Nonce length.
    type NonceSize: ArraySize;
    /// Tag length.
    type TagSize: ArraySize;
}

macro_rules! aead_algorithm {
    ($(#[$doc:meta])* $name:ident, $id:expr, key = $key:ty) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name;

        impl sealed::Sealed for $name {}

        impl AeadAlgorithm for $name {
            const ID: AeadId = $id;
            type KeySize = $key;
            type NonceSize = U12;
            type TagSize = U16;
        }
    };
}

aead_algorithm!(
    /// AES-128-GCM (96-bit nonce, 128-bit tag).
    Aes128Gcm, AeadId::AES_128_GCM, key = U16
);
aead_algorithm!(
    /// AES-256-GCM (96-bit nonce, 128-bit tag).
    Aes256Gcm, AeadId::AES_256_GCM, key = U32
);
aead_algorithm!(
    /// ChaCha20-Poly1305 (RFC 8439; 96-bit nonce, 128-bit tag).
    ChaCha20Poly1305, AeadId::CHACHA20_POLY1305, key = U32
);

/// A qres [`AeadKey`] of algorithm `A`, with RustCrypto's [`AeadCore`], [`AeadInOut`] (hence
/// `aead::Aead`'s `encrypt`/`decrypt`) and [`KeyInit`].
///
/// Refuses keys of another algorithm: the nonce and tag sizes are part of the type.
/// AES-256-CBC-HMAC-SHA256 has none of these types, since it pads (it is not length-preserving).
///
/// ```
/// use aead::{Aead, AeadInOut, KeyInit};
/// use qres::rustcrypto::Aes256GcmKey;
///
/// let key = Aes256GcmKey::new(&[7u8; 32].into()); // RustCrypto's constructor, default provider
/// let nonce = [1u8; 12].into();
/// let ct = key.encrypt(&nonce, b"secret".as_slice()).unwrap();
/// // The same bytes as qres's own raw-nonce form:
/// assert_eq!(key.as_qres().open_with_nonce(&nonce, b"", &ct)?, b"secret");
/// # Ok::<(), qres::Error>(())
/// ```
pub struct TypedAeadKey<A: AeadAlgorithm> {
    key: AeadKey,
    algorithm: PhantomData<A>,
}

/// AES-128-GCM through the RustCrypto traits.
pub type Aes128GcmKey = TypedAeadKey<Aes128Gcm>;
/// AES-256-GCM through the RustCrypto traits.
pub type Aes256GcmKey = TypedAeadKey<Aes256Gcm>;
/// ChaCha20-Poly1305 through the RustCrypto traits.
pub type ChaCha20Poly1305Key = TypedAeadKey<ChaCha20Poly1305>;

impl<A: AeadAlgorithm> TypedAeadKey<A> {
    /// Wraps `key` (from any provider); a key of another algorithm is [`Error::InvalidKey`].
    ///
    /// ```
    /// use qres::rustcrypto::Aes256GcmKey;
    /// use qres::{default_provider, AeadId};
    /// let chacha = default_provider().aead(AeadId::CHACHA20_POLY1305)?.new_key(&[7u8; 32])?;
    /// assert!(Aes256GcmKey::from_qres(chacha).is_err());
    /// # Ok::<(), qres::Error>(())
    /// ```
    pub fn from_qres(key: AeadKey) -> Result<Self, Error> {
        if key.algorithm() != A::ID {
            return Err(Error::InvalidKey { what: "AEAD key", reason: "another algorithm than the wrapper's" });
        }
        Ok(Self { key, algorithm: PhantomData })
    }

    /// The qres key.
    pub fn as_qres(&self) -> &AeadKey {
        &self.key
    }

    /// Unwraps the qres key.
    pub fn into_qres(self) -> AeadKey {
        self.key
    }
}

impl<A: AeadAlgorithm> TryFrom<AeadKey> for TypedAeadKey<A> {
    type Error = Error;

    fn try_from(key: AeadKey) -> Result<Self, Error> {
        Self::from_qres(key)
    }
}

impl<A: AeadAlgorithm> fmt::Debug for TypedAeadKey<A> {
    /// The algorithm only, as [`AeadKey`]'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedAeadKey").field(&self.key).finish()
    }
}

impl<A: AeadAlgorithm> KeySizeUser for TypedAeadKey<A> {
    type KeySize = A::KeySize;
}

/// A key of the default provider. The trait's constructor is infallible; the default provider has every
/// algorithm with a type here and takes every key of its length.
impl<A: AeadAlgorithm> KeyInit for TypedAeadKey<A> {
    fn new(key: &Key<Self>) -> Self {
        let key = default_provider()
            .aead(A::ID)
            .and_then(|aead| aead.new_key(key))
            .expect("the default provider keys every algorithm with a type here");
        Self { key, algorithm: PhantomData }
    }
}

impl<A: AeadAlgorithm> AeadCore for TypedAeadKey<A> {
    type NonceSize = A::NonceSize;
    type TagSize = A::TagSize;
    const TAG_POSITION: TagPosition = TagPosition::Postfix;
}

/// Every failure is the opaque [`aead::Error`]; a buffer that fails authentication is zeroed.
impl<A: AeadAlgorithm> AeadInOut for TypedAeadKey<A> {
    fn encrypt_inout_detached(
        &self,
        nonce: &Nonce<Self>,
        associated_data: &[u8],
        buffer: InOutBuf<'_, '_, u8>,
    ) -> aead::Result<Tag<Self>> {
        let out = buffer.into_out_with_copied_in();
        let mut tag = Tag::<Self>::default();
        self.key.seal_in_place_detached_with_nonce(nonce, associated_data, out, &mut tag).map_err(|_| aead::Error)?;
        Ok(tag)
    }

    fn decrypt_inout_detached(
        &self,
        nonce: &Nonce<Self>,
        associated_data: &[u8],
        buffer: InOutBuf<'_, '_, u8>,
        tag: &Tag<Self>,
    ) -> aead::Result<()> {
        let out = buffer.into_out_with_copied_in();
        self.key.open_in_place_detached_with_nonce(nonce, associated_data, out, tag).map_err(|_| aead::Error)
    }
}
