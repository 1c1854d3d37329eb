//! RustCrypto's trait crates over qres's keys (feature `rustcrypto-traits`): [`kem`] 0.3 and [`aead`] 0.6.
//!
//! qres decides sizes at run time (one `KemPublicKey` type for every KEM, one `AeadKey` for every AEAD),
//! while RustCrypto's traits fix them as types (`Ciphertext<K>`, `Nonce<A>` are arrays). So the traits are
//! implemented on thin typed wrappers, one type parameter per algorithm, that refuse a key of another
//! algorithm when they are made ([`EncapsulationKey::from_qres`], `TryFrom`) and give the qres key back
//! ([`EncapsulationKey::as_qres`],
//! [`TypedAeadKey::into_qres`]):
//!
//! | qres | RustCrypto traits | wrapper |
//! |---|---|---|
//! | `KemPublicKey` | `kem::Encapsulate`, `TryKeyInit`, `KeyExport` | [`EncapsulationKey<A>`] |
//! | `KemSecretKey` | `kem::TryDecapsulate` (error: [`qres::Error`](crate::Error)), `Decapsulator`, `Generate`, `KeyInit` (seed) | [`DecapsulationKey<A>`] |
//! | — | `kem::Kem` (so `FromSeed`) | `A` = [`MlKem512`], [`MlKem768`], [`MlKem1024`], [`XWing`] |
//! | `AeadKey` | `aead::AeadCore`, `AeadInOut` (so `Aead`), `KeyInit` | [`Aes128GcmKey`], [`Aes256GcmKey`], [`ChaCha20Poly1305Key`] |
//!
//! Keys made by the RustCrypto constructors (`TryKeyInit`, `KeyInit`, `Generate`) use the
//! [default provider](crate::default_provider); wrapping a qres key keeps the implementation it came
//! from (aws-lc, a PKCS#11 token, …). The shared key that `kem`'s traits return is their plain array
//! type: zeroize it yourself (`zeroize::Zeroize` is implemented for it) when you are done.
//!
//! ## Before and after
//!
//! Before this module, code generic over RustCrypto's traits needed glue written by the user: for `kem`,
//! a marker type with `Kem`, newtypes for both keys with `KeySizeUser`, `TryKeyInit`, `KeyExport`,
//! `Encapsulate`, `Decapsulator`, `TryDecapsulate` and `Generate` — **57 lines** per algorithm (the
//! count of issue 11); for `aead`, a newtype with `KeySizeUser`, `AeadCore` and `AeadInOut` —
//! **25 lines**. Now it is **one line** each, the conversion (or none: the RustCrypto constructors
//! work directly):
//!
//! ```
//! use kem::{Decapsulator, Encapsulate, TryDecapsulate};
//! use aead::{Aead, KeyInit};
//! use qres::rustcrypto::{Aes256GcmKey, DecapsulationKey, MlKem768};
//! use qres::{default_provider, KemId, OsRng};
//!
//! // Some generic code written against the RustCrypto traits only.
//! fn send<E: Encapsulate>(ek: &E) -> (kem::Ciphertext<E::Kem>, kem::SharedKey<E::Kem>) {
//!     ek.encapsulate_with_rng(&mut rand_core::UnwrapErr(qres::OsRng))
//! }
//!
//! let sk = default_provider().kem(KemId::ML_KEM_768)?.generate(&mut OsRng)?;
//! let dk = DecapsulationKey::<MlKem768>::try_from(sk)?; // the one line
//! let (ct, k) = send(dk.encapsulation_key());
//! assert_eq!(dk.try_decapsulate(&ct)?, k);
//!
//! let aead = Aes256GcmKey::new(&k); // RustCrypto's `KeyInit`, no line of glue
//! let ct = aead.encrypt(&[0u8; 12].into(), b"hi".as_slice()).unwrap();
//! assert_eq!(aead.as_qres().open_with_nonce(&[0u8; 12], b"", &ct)?, b"hi");
//! # Ok::<(), qres::Error>(())
//! ```

mod aead_traits;
mod kem_traits;

pub use aead_traits::{
    AeadAlgorithm, Aes128Gcm, Aes128GcmKey, Aes256Gcm, Aes256GcmKey, ChaCha20Poly1305, ChaCha20Poly1305Key,
    TypedAeadKey,
};
pub use kem_traits::{DecapsulationKey, EncapsulationKey, KemAlgorithm, MlKem512, MlKem768, MlKem1024, XWing};
