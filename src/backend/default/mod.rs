//! The default backend: pure Rust. It needs nothing but cargo: no C code, no system library.
//!
//! | algorithm | crate | why (figures in BENCHMARKS.md) |
//! |---|---|---|
//! | ML-KEM-512/768/1024 | libcrux-ml-kem | formally verified (hax/F*), AVX2; ~4x faster than RustCrypto `ml-kem` here |
//! | ML-DSA-44/65/87 | libcrux-ml-dsa | formally verified core, AVX2; ~5-10x faster signing than RustCrypto `ml-dsa` |
//! | X25519 | curve25519-dalek (base point) + libcrux-curve25519 (ladder, HACL*) | fastest of each operation |
//! | X-Wing | [`crate::kem::xwing`] over the two above | the `x-wing` crate sits on the slower RustCrypto `ml-kem` |
//! | AES-256-GCM, AES-128-GCM | RustCrypto `aes-gcm` | pure Rust, AES-NI/VAES; libcrux-aesgcm measured 10x slower here |
//! | ChaCha20-Poly1305 | RustCrypto `chacha20poly1305` | for HPKE suites that use it; AVX2 |
//! | AES-256-CBC-HMAC-SHA256 | RustCrypto `aes`, `cbc`, `hmac` | legacy scheme |
//! | HKDF-SHA256/384/512, HMAC, SHA-256, SHA3-256 | RustCrypto `hkdf`, `hmac`, `sha2`, `sha3` | SHA-NI; the `digest` traits users already know |

pub mod aes_gcm;
pub mod cbc_hmac;
pub mod hkdf;
pub mod hmac;
pub mod mldsa;
pub mod mlkem;
pub mod sha;
pub mod x25519;

use crate::kem::dhkem::DhKem;
use crate::kem::xwing::XWing;
use crate::provider::Provider;

/// X-Wing over the default ML-KEM-768 and X25519.
pub static X_WING: XWing = XWing::new(&mlkem::ML_KEM_768, &x25519::X25519_DH, crate::primitives::BackendToken::new());

/// DHKEM(X25519, HKDF-SHA256) over the default X25519 and HKDF-SHA256 (for HPKE).
pub static DHKEM_X25519_HKDF_SHA256: DhKem = DhKem::new(&x25519::X25519_DH, &hkdf::HKDF_SHA256);

/// The default provider. KEMs are listed strongest-hybrid first.
pub fn provider() -> Provider {
    Provider {
        kems: vec![&X_WING, &mlkem::ML_KEM_768, &mlkem::ML_KEM_1024, &mlkem::ML_KEM_512, &DHKEM_X25519_HKDF_SHA256],
        signatures: vec![&mldsa::ML_DSA_65, &mldsa::ML_DSA_87, &mldsa::ML_DSA_44],
        aeads: vec![
            &aes_gcm::AES_256_GCM,
            &aes_gcm::CHACHA20_POLY1305,
            &aes_gcm::AES_128_GCM,
            &cbc_hmac::AES_256_CBC_HMAC_SHA256,
        ],
        kdfs: vec![&hkdf::HKDF_SHA256, &hkdf::HKDF_SHA384, &hkdf::HKDF_SHA512],
        hashes: vec![&sha::SHA3_256, &sha::SHA2_256],
        macs: vec![&hmac::HMAC_SHA256, &hmac::HMAC_SHA3_256],
        key_agreements: vec![&x25519::X25519_DH],
    }
}
