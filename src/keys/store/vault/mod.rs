//! OpenBao / HashiCorp Vault: the transit engine wraps data keys ([`VaultTransitWrapper`]) and KV v2
//! keeps the wrapped keysets with their revisions ([`VaultKeyStore`]). Feature `vault`.
//!
//! The wrapping key never leaves the server: qres sends a fresh 32-byte data key to
//! `transit/encrypt/<key>` and stores only the returned `vault:v<n>:...` ciphertext, sealed beside the
//! keyset as in [`wrap::seal`](crate::keys::wrap::seal). A KV v2 secret `<kv mount>/data/<prefix>/<name>` holds one field
//! `sealed` (base64 of the sealed keyset); each write is a KV version, i.e. a keyset revision, and
//! conditional writes use KV's check-and-set. Rotating the transit key (`transit/keys/<key>/rotate`) is
//! transparent: old wrapped keys still unwrap, new ones use the newest transit key version.
//!
//! Authentication is a token (`VAULT_TOKEN` / `BAO_TOKEN`) or AppRole (role id and secret id; the token it
//! returns is renewed by logging in again when the server refuses it). TLS is rustls, with the system's
//! web PKI roots or a CA given in PEM (`VAULT_CACERT`). Failures are typed and say what to check:
//! [`Error::KeyStoreUnavailable`](crate::Error::KeyStoreUnavailable) (address, server down or sealed, TLS) and
//! [`Error::KeyStoreAccessDenied`](crate::Error::KeyStoreAccessDenied) (token, AppRole, policies).
//!
//! ```no_run
//! use qres::keys::store::vault::{VaultConfig, VaultKeyStore};
//! use qres::keys::{KeyAlgorithm, KeyStore, Keyset};
//! use qres::{default_provider, KemId, OsRng};
//! let provider = default_provider();
//! // VAULT_ADDR, VAULT_TOKEN (or BAO_ADDR, BAO_TOKEN), VAULT_CACERT.
//! let store = VaultKeyStore::new(VaultConfig::from_env()?, provider.clone())?;
//! store.ensure_transit_key()?;
//! let keyset = Keyset::generate(&provider, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng)?;
//! store.put("mail", &keyset, &mut OsRng)?;
//! # Ok::<(), qres::Error>(())
//! ```

mod client;
mod kv;
mod transit;

pub use client::{VaultAuth, VaultClient, VaultConfig};
pub use kv::VaultKeyStore;
pub use transit::VaultTransitWrapper;
