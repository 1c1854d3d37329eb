//! Keys at rest: public keys as text, encrypted private key files, keysets with rotation, wrapping keys
//! and key stores.
//!
//! * [`public`]: public keys as one checksummed line, `qrespk-<algorithm>1…` / `qresvk-<algorithm>1…`
//!   (Bech32m; the legacy `qres-pub1:` form is still read);
//! * [`private`]: private key files, AES-256-GCM under an Argon2id-derived key, armored;
//! * [`Keyset`]: versions with a status and one primary, as in Tink;
//! * [`wrap`]: wrapping keys (password, raw AES key, Vault/OpenBao transit, PKCS#11) and envelope
//!   encryption of keysets under them;
//! * [`store`]: key stores behind one trait (a directory of files; Vault/OpenBao KV v2);
//! * [`atomic`]: crash-safe file writes with mode 0600.

pub mod algorithm;
pub mod atomic;
pub mod keyset;
pub mod private;
pub mod public;
pub mod store;
pub mod wrap;

pub use algorithm::{KeyAlgorithm, PublicKey, SecretKey};
pub use keyset::{KeyInfo, KeyStatus, Keyset};
pub use store::{FileKeyStore, KeyStore, StoredKeyset};
pub use wrap::{AesKeyWrapper, KeyWrapper, PasswordWrapper};

use crate::error::Result;
use crate::primitives::AeadKey;

/// AES-256-GCM (the default backend's) keyed with `key`: key files and wrapped keysets always use it.
pub(crate) fn aes256gcm(key: &[u8]) -> Result<AeadKey> {
    use crate::primitives::Aead;
    crate::backend::default::aes_gcm::AES_256_GCM.new_key(key)
}
