//! [`fastest_provider`]: per algorithm, the fastest implementation among the compiled backends that passes
//! every known-answer test on this machine.
//!
//! The choice is fixed by the side-by-side measurements in BENCHMARKS.md ("Choice of implementation per
//! algorithm") and by the known-answer suites (tests/kat_*.rs run every vector on every backend, this
//! provider included). With neither `aws-lc` nor `oqs` compiled in it is the default provider.
//!
//! | algorithm | with `aws-lc` | with `oqs` (and with both) | why |
//! |---|---|---|---|
//! | ML-KEM-512/768/1024 | aws-lc (encaps / decaps; libcrux seed keygen) | liboqs | liboqs (mlkem-native) is the fastest in all three operations and has seed keygen |
//! | X-Wing | over aws-lc's ML-KEM-768 and X25519 | over liboqs' ML-KEM-768 and the chosen X25519 | its cost is its components' |
//! | ML-DSA-44/65/87 | aws-lc keygen and verification, libcrux signing (`ML_DSA_*_LIBCRUX_SIGNING`) | the same if `aws-lc` is compiled, else the default (libcrux) | AWS-LC verifies 1.3x faster and generates keys as fast; libcrux signs about 1.2x faster (its key is derived from the seed on first signature and cached). liboqs 0.13's AVX2 verifier rejects a valid Wycheproof signature per parameter set: never chosen |
//! | X25519 | aws-lc | aws-lc if compiled, else the default | AWS-LC: base point 2.8x, ladder 1.6x faster than the default's |
//! | AES-128/256-GCM, ChaCha20-Poly1305 | aws-lc | aws-lc if compiled | stitched AES-NI/VAES + VPCLMULQDQ assembly |
//! | SHA3-256 | aws-lc | aws-lc if compiled | 1.17x faster than RustCrypto `sha3` at 1 KiB |
//! | SHA-256, HMAC-SHA256, HKDF-SHA256/384/512 | default | default | RustCrypto with SHA-NI measured 1.1-1.4x faster than AWS-LC |
//! | HMAC-SHA3-256, AES-256-CBC-HMAC-SHA256 | default | default | the only implementation |
//!
//! liboqs-only schemes (HQC, FrodoKEM, Falcon, ...) follow when `oqs` is compiled in. Which implementation
//! serves an id is reported at run time by [`Provider::algorithms`] (and each object's `implementation()`).
//!
//! # Building your own
//!
//! A [`Provider`] is a plain struct of lists in preference order (the first entry of an id wins), so any
//! mix is a struct literal; [`Provider::prefer`] puts another provider's algorithms first:
//!
//! ```
//! use qres::{default_provider, fastest_provider, AeadId, KemId, Provider};
//! // Everything from the default backend except the AEADs of the fastest provider.
//! let fast_aeads = Provider { aeads: fastest_provider().aeads, ..Provider::empty() };
//! let mine = default_provider().prefer(&fast_aeads);
//! assert_eq!(mine.aead(AeadId::AES_256_GCM)?.implementation(), fastest_provider().aead(AeadId::AES_256_GCM)?.implementation());
//! assert_eq!(mine.kem(KemId::X_WING)?.implementation(), default_provider().kem(KemId::X_WING)?.implementation());
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! [`Provider::algorithms`]: crate::Provider::algorithms

#[allow(unused_imports)]
use crate::hpke::dhkem::DhKem;
use crate::primitives::{Kem, KeyAgreement};
use crate::provider::Provider;
#[allow(unused_imports)]
use crate::xwing::XWing;

#[cfg(feature = "aws-lc")]
use crate::backend::aws_lc;
#[allow(unused_imports)]
use crate::backend::default;
#[cfg(feature = "oqs")]
use crate::backend::oqs;

/// The X25519 of the fastest provider.
#[allow(clippy::needless_return)]
fn x25519() -> &'static dyn KeyAgreement {
    #[cfg(feature = "aws-lc")]
    return &aws_lc::x25519::X25519_DH;
    #[cfg(not(feature = "aws-lc"))]
    return &default::x25519::X25519_DH;
}

/// DHKEM(X25519, HKDF-SHA256) over aws-lc's X25519 and the default HKDF-SHA256 (RustCrypto with SHA-NI
/// measured faster than aws-lc's HKDF here).
#[cfg(feature = "aws-lc")]
pub static DHKEM_X25519_HKDF_SHA256: DhKem = DhKem::new(&aws_lc::x25519::X25519_DH, &default::hkdf::HKDF_SHA256);

/// X-Wing over liboqs' ML-KEM-768 and aws-lc's X25519 (both features).
#[cfg(all(feature = "oqs", feature = "aws-lc"))]
pub static X_WING_LIBOQS_AWS_LC: XWing = XWing::new(&oqs::ML_KEM_768, &aws_lc::x25519::X25519_DH);

/// The X-Wing of the fastest provider.
#[allow(clippy::needless_return)]
fn x_wing() -> &'static dyn Kem {
    #[cfg(all(feature = "oqs", feature = "aws-lc"))]
    if oqs::ML_KEM_768.is_enabled() {
        return &X_WING_LIBOQS_AWS_LC;
    }
    #[cfg(all(feature = "oqs", not(feature = "aws-lc")))]
    if oqs::ML_KEM_768.is_enabled() {
        return &oqs::X_WING;
    }
    #[cfg(feature = "aws-lc")]
    return &aws_lc::X_WING;
    #[cfg(not(feature = "aws-lc"))]
    return &default::X_WING;
}

/// The ML-KEMs of the fastest provider (768, 1024, 512).
#[allow(clippy::needless_return)]
fn ml_kems() -> Vec<&'static dyn Kem> {
    #[cfg(feature = "oqs")]
    if oqs::ML_KEM_768.is_enabled() && oqs::ML_KEM_1024.is_enabled() && oqs::ML_KEM_512.is_enabled() {
        return vec![&oqs::ML_KEM_768, &oqs::ML_KEM_1024, &oqs::ML_KEM_512];
    }
    #[cfg(feature = "aws-lc")]
    return vec![&aws_lc::mlkem::ML_KEM_768, &aws_lc::mlkem::ML_KEM_1024, &aws_lc::mlkem::ML_KEM_512];
    #[cfg(not(feature = "aws-lc"))]
    return vec![&default::mlkem::ML_KEM_768, &default::mlkem::ML_KEM_1024, &default::mlkem::ML_KEM_512];
}

/// DHKEM(X25519, HKDF-SHA256) over the fastest provider's X25519 and HKDF-SHA256.
#[allow(clippy::needless_return)]
fn dhkem() -> &'static dyn Kem {
    #[cfg(feature = "aws-lc")]
    return &DHKEM_X25519_HKDF_SHA256;
    #[cfg(not(feature = "aws-lc"))]
    return &default::DHKEM_X25519_HKDF_SHA256;
}

/// The fastest correct implementation of every algorithm among the compiled backends (see the module
/// documentation for the choice and its reasons), followed by the liboqs-only schemes when `oqs` is
/// compiled in.
pub fn fastest_provider() -> Provider {
    let d = default::provider();
    #[cfg(feature = "aws-lc")]
    let base = {
        // AWS-LC for the AEADs, X25519, ML-DSA and SHA3-256; SHA-256, HMAC-SHA256 and HKDF stay on
        // RustCrypto (SHA-NI), which measured faster than AWS-LC's for the sizes qres uses.
        let a = aws_lc::provider();
        Provider {
            signatures: vec![
                &aws_lc::mldsa::ML_DSA_65_LIBCRUX_SIGNING,
                &aws_lc::mldsa::ML_DSA_87_LIBCRUX_SIGNING,
                &aws_lc::mldsa::ML_DSA_44_LIBCRUX_SIGNING,
            ],
            kdfs: d.kdfs.clone(),
            macs: d.macs.clone(),
            hashes: vec![&aws_lc::symmetric::SHA3_256, &default::sha::SHA2_256],
            ..a
        }
    };
    #[cfg(not(feature = "aws-lc"))]
    let base = d;
    let mut kems = vec![x_wing()];
    kems.extend(ml_kems());
    kems.push(dhkem());
    #[allow(unused_mut)]
    let mut p = Provider { kems, key_agreements: vec![x25519()], ..base };
    #[cfg(feature = "oqs")]
    {
        let liboqs = oqs::provider();
        let kems: Vec<_> = liboqs.kems.iter().copied().filter(|k| p.kem(k.id()).is_err()).collect();
        let sigs: Vec<_> = liboqs.signatures.iter().copied().filter(|s| p.signature(s.id()).is_err()).collect();
        p.kems.extend(kems);
        p.signatures.extend(sigs);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "aws-lc")]
    use crate::alg::AeadId;
    #[cfg(any(feature = "aws-lc", feature = "oqs"))]
    use crate::alg::SignatureId;
    use crate::alg::{GroupId, KemId};
    #[allow(unused_imports)]
    use crate::primitives::SignatureScheme;

    #[test]
    fn every_default_algorithm_is_served_and_reported() {
        let fast = fastest_provider();
        let d = default::provider();
        for a in d.algorithms() {
            assert!(
                fast.algorithms().iter().any(|b| b.kind == a.kind && b.id == a.id),
                "{} missing from the fastest provider",
                a.name
            );
        }
        // The X-Wing components are the provider's own choices.
        let x = fast.key_agreement(GroupId::X25519).unwrap();
        assert_eq!(x.implementation(), x25519().implementation());
        assert!(fast.kem(KemId::X_WING).is_ok());
    }

    #[cfg(feature = "aws-lc")]
    #[test]
    fn aws_lc_serves_the_aeads_ml_dsa_and_x25519() {
        let fast = fastest_provider();
        assert_eq!(fast.aead(AeadId::AES_256_GCM).unwrap().implementation(), "aws-lc-rs");
        assert_eq!(fast.aead(AeadId::CHACHA20_POLY1305).unwrap().implementation(), "aws-lc-rs");
        assert_eq!(fast.key_agreement(GroupId::X25519).unwrap().implementation(), "aws-lc-rs");
        assert!(fast.signature(SignatureId::ML_DSA_65).unwrap().implementation().starts_with("aws-lc-rs"));
        let info = fast.algorithms();
        let aes = info.iter().find(|a| a.name == "AES-256-GCM").unwrap();
        assert_eq!(aes.implementation, "aws-lc-rs");
    }

    #[cfg(feature = "oqs")]
    #[test]
    fn liboqs_serves_ml_kem_but_never_ml_dsa() {
        let fast = fastest_provider();
        assert_eq!(fast.kem(KemId::ML_KEM_768).unwrap().implementation(), oqs::ML_KEM_768.implementation());
        assert_ne!(fast.signature(SignatureId::ML_DSA_65).unwrap().implementation(), oqs::ML_DSA_65.implementation());
        assert!(fast.kem(KemId::from_name("HQC-128").unwrap()).is_ok());
    }

    #[cfg(not(any(feature = "aws-lc", feature = "oqs")))]
    #[test]
    fn without_other_backends_it_is_the_default_provider() {
        assert_eq!(fastest_provider().algorithms(), default::provider().algorithms());
    }
}
