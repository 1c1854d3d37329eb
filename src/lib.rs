//! # qres — quantum-resistant encryption
//!
//! Post-quantum and hybrid primitives behind small, object-safe traits, resolved by stable algorithm ids
//! through a [`Provider`] (crypto agility in the manner of rustls' `CryptoProvider`).
//!
//! What the default provider serves (a test keeps this list equal to [`default_provider`]`().algorithms()`):
//!
//! * **KEMs**: ML-KEM-512, ML-KEM-768, ML-KEM-1024 (FIPS 203), X-Wing (ML-KEM-768 + X25519 hybrid),
//!   DHKEM(X25519, HKDF-SHA256) (RFC 9180, for HPKE).
//! * **Signatures**: ML-DSA-44, ML-DSA-65, ML-DSA-87 (FIPS 204), pure and HashML-DSA, with context
//!   strings, hedged or deterministic.
//! * **AEAD**: AES-256-GCM, AES-128-GCM, ChaCha20-Poly1305; AES-256-CBC-HMAC-SHA256 (legacy, never a
//!   default).
//! * **KDF / hash / MAC**: HKDF-SHA256, HKDF-SHA384, HKDF-SHA512; SHA-256, SHA3-256; HMAC-SHA256,
//!   HMAC-SHA3-256.
//! * **Key agreement**: X25519.
//!
//! Built on them:
//!
//! * [`hpke`]: RFC 9180 HPKE in all modes, with the post-quantum KEMs of draft-ietf-hpke-pq;
//! * [`envelope`]: hybrid envelopes to one or many recipients (FORMAT.md), single-shot or streamed;
//! * [`rng`]: an SP 800-90A CTR_DRBG seeded from SP 800-90B health-tested entropy sources, SP 800-90B
//!   entropy assessment, and a use-once chaotic-entropy extractor;
//! * [`entropy`]: entropy sources, including a QRNG-DD gateway client and a Quantis device (features
//!   below), and `qrngdd` (feature `qrng-dd-packet`): the QRNG-DD entropy-packet codec and verifier.
//!
//! Every primitive is checked against the official known-answer vectors (NIST ACVP and CAVP, Project
//! Wycheproof, the X-Wing draft, RFC 9180 and draft-ietf-hpke-pq) by the test suite.
//!
//! ## Example
//!
//! ```
//! use qres::{default_provider, AeadId, KdfId, KemId, OsRng};
//!
//! let provider = default_provider();
//! // Recipient: an X-Wing key pair (store `sk.seed()`, publish `sk.public_key().as_bytes()`).
//! let sk = provider.kem(KemId::X_WING)?.generate(&mut OsRng)?;
//!
//! // Sender: encapsulate, derive an AES-256-GCM key, seal.
//! let enc = sk.public_key().encapsulate(&mut OsRng)?;
//! let mut key = [0u8; 32];
//! provider.kdf(KdfId::HKDF_SHA256)?.derive(b"", &[enc.shared_secret.as_bytes()], &[b"example"], &mut key)?;
//! let aead = provider.aead(AeadId::AES_256_GCM)?.new_key(&key)?;
//! let ct = aead.encrypt(b"", b"hello", &mut OsRng)?; // a fresh random nonce, prepended
//!
//! // Recipient: decapsulate, derive the same key, open.
//! let shared = sk.decapsulate(&enc.ciphertext)?;
//! provider.kdf(KdfId::HKDF_SHA256)?.derive(b"", &[shared.as_bytes()], &[b"example"], &mut key)?;
//! let aead = provider.aead(AeadId::AES_256_GCM)?.new_key(&key)?;
//! assert_eq!(aead.decrypt(b"", &ct)?, b"hello");
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! ## Features
//!
//! | feature | adds |
//! |---|---|
//! | *(default)* | the pure-Rust backend: everything above; `fastest_provider()` is then the default provider |
//! | `aws-lc` | `backend::aws_lc`: AES-128/256-GCM, ChaCha20-Poly1305, X25519, HKDF-SHA256/384/512, HMAC-SHA256, SHA-256, SHA3-256, ML-KEM-512/768/1024 and ML-DSA-44/65/87 from AWS-LC (aws-lc-rs 1.x, non-FIPS) through the same traits, mixed with the default backend where aws-lc-rs lacks an operation (ML-KEM seed keygen, ML-DSA contexts); `fastest_provider()` then takes it where it measured fastest. Needs a C compiler (README, "The aws-lc backend") |
//! | `qrng-dd` | `entropy::QrngDdSource`: entropy from a QRNG-DD gateway over HTTPS (ureq, rustls); implies `qrng-dd-packet` |
//! | `qrng-dd-packet` | `qrngdd`: the QRNG-DD packet codec and verifier (MessagePack, CRC-32, HMAC-SHA256) |
//! | `quantis` | `entropy::QuantisDevice`: a Quantis QRNG card's `/dev/qrandomN` |
//! | `vault` | `keys::store::vault`: key stores on OpenBao / HashiCorp Vault (transit wraps, KV v2 stores; ureq, rustls) |
//! | `pkcs11` | `pkcs11`: a token and its sessions (`Pkcs11Token`), `Pkcs11Wrapper` (a non-extractable AES key in the token wraps keysets) and `Pkcs11Source` (`C_GenerateRandom` as an entropy source), through cryptoki |
//! | `age` | `age`: age v1 files, including the post-quantum `mlkem768x25519` recipients |
//! | `hazmat` | `hazmat`: the tokens for derandomized and expanded-key operations, FIPS 204's internal interface, HPKE's raw key schedule; the envelope trace; raw AES-CBC. For known-answer tests; implies `backend-api` |
//! | `backend-api` | `backend::backend_token()`: the constructors that backend crates (such as `qres-oqs`) use to assemble keys |
//! | `rustcrypto-traits` | `rustcrypto`: RustCrypto's `kem` 0.3 (`Encapsulate`, `TryDecapsulate`, `Generate`, `FromSeed`) and `aead` 0.6 (`AeadCore`, `AeadInOut`, `KeyInit`) on typed wrappers of the ML-KEM / X-Wing and AES-GCM / ChaCha20-Poly1305 keys |
//! | `rand_core-0_6`, `rand_core-0_9` | `rng::compat::RandCore06` / `RandCore09`: any rand_core 0.10 RNG (`CtrDrbg`) behind the rand_core 0.6 (rand 0.8, ed25519-dalek 2) or 0.9 (rand 0.9) traits |
//! | `rustls-random` | `rng::compat::TlsRandom`: a `CtrDrbg` as rustls 0.23's `SecureRandom` (rustls with aws-lc-rs) |
//!
//! The liboqs backend is a crate of its own, `qres-oqs` (in this workspace): every KEM and signature
//! scheme of liboqs 0.13 (HQC, FrodoKEM, Classic McEliece, BIKE, sntrup761, Falcon, SPHINCS+, MAYO, CROSS,
//! UOV, and its own ML-KEM / ML-DSA) through the same traits, as `qres_oqs::provider()`, and
//! `qres_oqs::fastest_provider()`: this crate's [`fastest_provider`] with ML-KEM and X-Wing from liboqs
//! (built with [`backend::fastest::fastest_provider_with`]). It builds liboqs from source, so it needs
//! `cmake` and `libclang-dev` (README, "The liboqs backend"); qres itself contains no `unsafe` code.
//!
//! ## Security
//!
//! Secrets are zeroized on drop and never appear in `Debug` output or errors; comparisons of secrets are
//! constant-time; authentication failures are one opaque [`Error::AuthenticationFailed`]. See SECURITY.md
//! for the threat model and what is *not* protected (notably copies that dependencies make on their
//! stacks).

// No unsafe code anywhere (the liboqs FFI lives in the qres-oqs crate).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly): each item gated by a feature is marked with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "age")]
pub mod age;
pub mod alg;
pub mod armor;
pub mod backend;
pub mod entropy;
pub mod envelope;
pub mod error;
#[cfg(feature = "hazmat")]
#[cfg_attr(docsrs, doc(cfg(feature = "hazmat")))]
pub mod hazmat;
pub mod hpke;
pub mod kem;
pub mod key_id;
pub mod keys;
pub mod password;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
pub mod primitives;
pub mod provider;
#[cfg(feature = "qrng-dd-packet")]
pub mod qrngdd;
pub mod rng;
#[cfg(feature = "rustcrypto-traits")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustcrypto-traits")))]
pub mod rustcrypto;
pub mod secret;

pub use alg::{AeadId, GroupId, HashId, KdfId, KemId, MacId, SignatureId};
pub use backend::fastest::fastest_provider;
pub use error::{AlgorithmKind, Error, Result};
pub use key_id::KeyId;
pub use primitives::{
    Aead, AeadKey, DhGroup, DhPublicKey, DhSecretKey, Encapsulation, HashFunction, Kdf, Kem, KemPublicKey,
    KemSecretKey, Mac, PreHash, SignInput, Signature, SignatureScheme, SigningKey, VerifyingKey,
};
pub use provider::{AlgorithmInfo, Provider, default_provider};
/// The `rand_core` version (0.10) of qres's RNG traits, so that users name exactly the one qres implements.
pub use rand_core;
pub use rng::{DynCryptoRng, OsRng};
pub use secret::{SecretBytes, SharedSecret};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
