//! The aws-lc-rs backend (feature `aws-lc`): AWS-LC (C and assembly, the non-FIPS build of aws-lc-rs 1.x)
//! through the same traits as the default backend.
//!
//! | algorithm | implementation |
//! |---|---|
//! | AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 | AWS-LC ([`aead`]) |
//! | X25519 | AWS-LC ([`x25519`]) |
//! | HKDF-SHA256/384/512, HMAC-SHA256, SHA-256, SHA3-256 | AWS-LC ([`symmetric`]) |
//! | ML-KEM-512/768/1024 | AWS-LC encapsulation and decapsulation; key generation from the seed `d \|\| z` and derandomized encapsulation by libcrux, which aws-lc-rs 1.19 does not offer under any name ([`mlkem`]) |
//! | ML-DSA-44/65/87 | AWS-LC key generation from the seed, pure signing and verification with an empty context; contexts, HashML-DSA and derandomized signing by libcrux, which aws-lc-rs 1.19 cannot express ([`mldsa`]) |
//! | X-Wing | [`crate::kem::xwing`] over this backend's ML-KEM-768 and X25519 |
//! | DHKEM(X25519, HKDF-SHA256) | [`crate::kem::dhkem`] over this backend's X25519 and HKDF-SHA256 |
//! | HMAC-SHA3-256, AES-256-CBC-HMAC-SHA256 | the default backend (not in aws-lc-rs) |
//!
//! So this provider *mixes* backends where aws-lc-rs lacks an operation; [`Provider::algorithms`] and each
//! object's `implementation()` say which code serves what. No `unsafe` code of qres is involved: everything
//! goes through aws-lc-rs' safe API.
//!
//! Randomness: AWS-LC's hedged ML-DSA signing and its ML-KEM encapsulation draw from AWS-LC's own DRBG
//! (seeded from the operating system), not from the `rng` argument; key generation takes its seed from
//! `rng` as everywhere in qres, so keys keep their seed form.
//!
//! ```
//! use qres::backend::aws_lc;
//! use qres::{AeadId, KemId, OsRng};
//! let p = aws_lc::provider();
//! assert_eq!(p.aead(AeadId::AES_256_GCM)?.implementation(), "aws-lc-rs");
//! let sk = p.kem(KemId::X_WING)?.generate(&mut OsRng)?;
//! let enc = sk.public_key().encapsulate(&mut OsRng)?;
//! assert_eq!(sk.decapsulate(&enc.ciphertext)?, enc.shared_secret);
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! [`Provider::algorithms`]: crate::Provider::algorithms

pub mod aead;
pub mod mldsa;
pub mod mlkem;
pub mod symmetric;
pub mod x25519;

use crate::backend::default;
use crate::kem::dhkem::DhKem;
use crate::kem::xwing::XWing;
use crate::provider::Provider;

/// X-Wing over this backend's ML-KEM-768 and X25519.
pub static X_WING: XWing = XWing::new(&mlkem::ML_KEM_768, &x25519::X25519_DH, crate::primitives::BackendToken::new());

/// DHKEM(X25519, HKDF-SHA256) over this backend's X25519 and HKDF-SHA256 (for HPKE).
pub static DHKEM_X25519_HKDF_SHA256: DhKem = DhKem::new(&x25519::X25519_DH, &symmetric::HKDF_SHA256);

/// The aws-lc provider: every algorithm aws-lc-rs implements, in the default provider's order, completed by
/// the default backend (HMAC-SHA3-256, AES-256-CBC-HMAC-SHA256).
pub fn provider() -> Provider {
    Provider {
        kems: vec![&X_WING, &mlkem::ML_KEM_768, &mlkem::ML_KEM_1024, &mlkem::ML_KEM_512, &DHKEM_X25519_HKDF_SHA256],
        signatures: vec![&mldsa::ML_DSA_65, &mldsa::ML_DSA_87, &mldsa::ML_DSA_44],
        aeads: vec![
            &aead::AES_256_GCM,
            &aead::CHACHA20_POLY1305,
            &aead::AES_128_GCM,
            &default::cbc_hmac::AES_256_CBC_HMAC_SHA256,
        ],
        kdfs: vec![&symmetric::HKDF_SHA256, &symmetric::HKDF_SHA384, &symmetric::HKDF_SHA512],
        hashes: vec![&symmetric::SHA3_256, &symmetric::SHA2_256],
        macs: vec![&symmetric::HMAC_SHA256, &default::hmac::HMAC_SHA3_256],
        key_agreements: vec![&x25519::X25519_DH],
    }
}
