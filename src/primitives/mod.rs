//! The primitive traits: one capability each.
//!
//! | trait | capability | default implementations |
//! |---|---|---|
//! | [`Kem`] | key encapsulation | ML-KEM-512, ML-KEM-768, ML-KEM-1024, X-Wing, DHKEM(X25519, HKDF-SHA256) |
//! | [`SignatureScheme`] | signatures (pure, pre-hash, with context) | ML-DSA-44, ML-DSA-65, ML-DSA-87 |
//! | [`DhGroup`] | Diffie-Hellman | X25519 |
//! | [`Aead`] | authenticated encryption | AES-256-GCM, AES-128-GCM, ChaCha20-Poly1305, AES-256-CBC-HMAC-SHA256 (legacy) |
//! | [`Kdf`] | HKDF extract / expand | HKDF-SHA256, HKDF-SHA384, HKDF-SHA512 |
//! | [`HashFunction`] | hashing | SHA-256, SHA3-256 |
//! | [`Mac`] | message authentication | HMAC-SHA256, HMAC-SHA3-256 |
//!
//! Algorithm objects are `&'static dyn Trait` values collected in a [`Provider`](crate::Provider); keys
//! created by an algorithm object remember it.

/// What every encoded public key type shares: `as_bytes`, a cached `key_id` (a SHA3-256 fingerprint),
/// equality by algorithm and bytes, and a `Debug` that shows only the algorithm and key id. The type has
/// the fields `bytes: Box<[u8]>` and `key_id: OnceLock<KeyId>` and a method `algorithm()`.
macro_rules! encoded_public_key {
    ($ty:ident, $family:expr) => {
        impl $ty {
            /// The encoded key.
            pub fn as_bytes(&self) -> &[u8] {
                &self.bytes
            }

            /// Fingerprint of the key.
            pub fn key_id(&self) -> crate::key_id::KeyId {
                // Computed once (a SHA3-256 over the whole key) and cached.
                *self
                    .key_id
                    .get_or_init(|| crate::key_id::KeyId::compute($family, self.algorithm().value(), &self.bytes))
            }
        }

        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.algorithm() == other.algorithm() && self.bytes == other.bytes
            }
        }

        impl Eq for $ty {}

        impl core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("algorithm", &self.algorithm())
                    .field("key_id", &self.key_id())
                    .finish()
            }
        }
    };
}
use encoded_public_key;

pub mod aead;
pub mod dh;
pub mod hash;
pub mod kdf;
pub mod kem;
pub mod mac;
pub mod sig;
pub mod token;

pub use aead::{Aead, AeadCipher, AeadKey};
pub use dh::{DhGroup, DhPublicKey, DhSecretKey};
pub use hash::{HashFunction, Hasher};
pub use kdf::Kdf;
pub use kem::{AuthKem, Encapsulation, Kem, KemPublicKey, KemSecretKey, KemSizes};
pub use mac::{Mac, MacState};
pub use sig::{PreHash, SignInput, Signature, SignatureScheme, SignatureSizes, SigningKey, VerifyingKey};
pub use token::{BackendToken, HazmatToken};

use core::any::Any;

/// Backend-private state carried inside a secret key (for example an expanded key or precomputed
/// tables).
///
/// Implementations must zeroize their secret contents on drop (derive `ZeroizeOnDrop` or wrap the bytes in
/// [`SecretBytes`](crate::SecretBytes)).
pub trait KeyState: Any + Send + Sync {}
