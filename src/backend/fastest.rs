//! [`fastest_provider`]: per algorithm, the fastest implementation among the compiled backends that passes
//! every known-answer test on this machine; [`fastest_provider_with`]: the same, completed by backends of
//! other crates (the `qres-oqs` crate builds `qres_oqs::fastest_provider()`, liboqs' ML-KEM and X-Wing,
//! with it).
//!
//! The choice is fixed by the side-by-side measurements in BENCHMARKS.md ("Choice of implementation per
//! algorithm") and by the known-answer suites (tests/kat_*.rs run every vector on every backend, this
//! provider included, and the qres-oqs crate runs them on its providers). Without `aws-lc` it is the
//! default provider.
//!
//! | algorithm | with `aws-lc` | `qres_oqs::fastest_provider()` (with or without `aws-lc`) | why |
//! |---|---|---|---|
//! | ML-KEM-512/768/1024 | aws-lc (encaps / decaps; libcrux seed keygen) | liboqs | liboqs (mlkem-native) is the fastest in all three operations and has seed keygen |
//! | X-Wing | over aws-lc's ML-KEM-768 and X25519 | over liboqs' ML-KEM-768 and this provider's [`X25519`] | its cost is its components' |
//! | ML-DSA-44/65/87 | aws-lc keygen and verification, libcrux signing (`ML_DSA_*_LIBCRUX_SIGNING`) | the same if `aws-lc` is compiled, else the default (libcrux) | AWS-LC verifies 1.3x faster and generates keys as fast; libcrux signs about 1.2x faster (its key is derived from the seed on first signature and cached). liboqs 0.13's AVX2 verifier rejects a valid Wycheproof signature per parameter set: never chosen |
//! | X25519 | aws-lc | aws-lc if compiled, else the default | AWS-LC: base point 2.8x, ladder 1.6x faster than the default's |
//! | AES-128/256-GCM, ChaCha20-Poly1305 | aws-lc | aws-lc if compiled | stitched AES-NI/VAES + VPCLMULQDQ assembly |
//! | SHA3-256 | aws-lc | aws-lc if compiled | 1.17x faster than RustCrypto `sha3` at 1 KiB |
//! | SHA-256, HMAC-SHA256, HKDF-SHA256/384/512 | default | default | RustCrypto with SHA-NI measured 1.1-1.4x faster than AWS-LC |
//! | HMAC-SHA3-256, AES-256-CBC-HMAC-SHA256 | default | default | the only implementation |
//!
//! `qres_oqs::fastest_provider()` then lists the liboqs-only schemes (HQC, FrodoKEM, Falcon, ...). Which
//! implementation serves an id is reported at run time by [`Provider::algorithms`] (and each object's
//! `implementation()`).
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
//! A backend in another crate that measured faster for some ids, or that serves ids no qres backend has,
//! joins the fastest provider through [`fastest_provider_with`]; an X-Wing over its ML-KEM-768 uses
//! [`X25519`] to stay on the fastest provider's X25519.
//!
//! [`Provider::algorithms`]: crate::Provider::algorithms

#[allow(unused_imports)]
use crate::kem::dhkem::DhKem;
use crate::primitives::{DhGroup, Kem};
use crate::provider::Provider;

#[cfg(feature = "aws-lc")]
use crate::backend::aws_lc;
#[allow(unused_imports)]
use crate::backend::default;

/// The X25519 of the fastest provider: AWS-LC's with the `aws-lc` feature, else the default backend's.
///
/// For an X-Wing built over another backend's ML-KEM-768 that is to use the same X25519 as
/// [`fastest_provider`] (`qres_oqs::FASTEST_X_WING` is `XWing::new(&ML_KEM_768, X25519)`).
#[cfg(feature = "aws-lc")]
pub const X25519: &dyn DhGroup = &aws_lc::x25519::X25519_DH;
/// The X25519 of the fastest provider: AWS-LC's with the `aws-lc` feature, else the default backend's.
///
/// For an X-Wing built over another backend's ML-KEM-768 that is to use the same X25519 as
/// [`fastest_provider`] (`qres_oqs::FASTEST_X_WING` is `XWing::new(&ML_KEM_768, X25519)`).
#[cfg(not(feature = "aws-lc"))]
pub const X25519: &dyn DhGroup = &default::x25519::X25519_DH;

/// DHKEM(X25519, HKDF-SHA256) over aws-lc's X25519 and the default HKDF-SHA256 (RustCrypto with SHA-NI
/// measured faster than aws-lc's HKDF here).
#[cfg(feature = "aws-lc")]
pub static DHKEM_X25519_HKDF_SHA256: DhKem = DhKem::new(&aws_lc::x25519::X25519_DH, &default::hkdf::HKDF_SHA256);

/// The X-Wing of the fastest provider.
#[allow(clippy::needless_return)]
fn x_wing() -> &'static dyn Kem {
    #[cfg(feature = "aws-lc")]
    return &aws_lc::X_WING;
    #[cfg(not(feature = "aws-lc"))]
    return &default::X_WING;
}

/// The ML-KEMs of the fastest provider (768, 1024, 512).
#[allow(clippy::needless_return)]
fn ml_kems() -> Vec<&'static dyn Kem> {
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
/// documentation for the choice and its reasons).
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
    Provider { kems, key_agreements: vec![X25519], ..base }
}

/// [`fastest_provider`] completed by backends outside this crate: `faster`'s implementations replace the
/// fastest provider's for every id `faster` serves, and `additional`'s are appended for ids that neither
/// serves. Every id appears once in the result (`faster`'s order first, then the fastest provider's, then
/// `additional`'s), so [`Provider::algorithms`] lists only what lookups return.
///
/// `faster` is for implementations that measured faster *and* pass the same known-answer tests (what to
/// prefer is the caller's measurement); `additional` for algorithms no qres backend has. The `qres-oqs`
/// crate's `qres_oqs::fastest_provider()` passes liboqs' ML-KEM-512/768/1024 and an X-Wing over its
/// ML-KEM-768 and [`X25519`] as `faster`, and liboqs' KEMs and signature schemes as `additional` (so only
/// the liboqs-only ones, HQC, Falcon and the like, are added; ML-DSA stays on the fastest provider's).
///
/// ```
/// use qres::backend::{default, fastest};
/// use qres::{Kem, KemId, Provider};
///
/// // Prefer the default backend's ML-KEM-768 (say it measured faster here), keep the rest.
/// let faster = Provider { kems: vec![&default::mlkem::ML_KEM_768], ..Provider::empty() };
/// let p = fastest::fastest_provider_with(&faster, &Provider::empty());
/// assert_eq!(p.kem(KemId::ML_KEM_768)?.implementation(), default::mlkem::ML_KEM_768.implementation());
/// assert_eq!(p.kems.iter().filter(|k| k.id() == KemId::ML_KEM_768).count(), 1);
/// assert_eq!(p.algorithms().len(), fastest::fastest_provider().algorithms().len());
/// # Ok::<(), qres::Error>(())
/// ```
///
/// [`Provider::algorithms`]: crate::Provider::algorithms
pub fn fastest_provider_with(faster: &Provider, additional: &Provider) -> Provider {
    /// `first`, then the entries of `then` and of `last` whose id is not yet listed.
    fn merge<T: ?Sized, I: PartialEq>(
        first: &[&'static T],
        then: Vec<&'static T>,
        last: &[&'static T],
        id: impl Fn(&T) -> I,
    ) -> Vec<&'static T> {
        let mut out: Vec<&'static T> = Vec::new();
        for a in first.iter().copied().chain(then).chain(last.iter().copied()) {
            if !out.iter().any(|b| id(b) == id(a)) {
                out.push(a);
            }
        }
        out
    }
    let base = fastest_provider();
    Provider {
        kems: merge(&faster.kems, base.kems, &additional.kems, |a| a.id()),
        signatures: merge(&faster.signatures, base.signatures, &additional.signatures, |a| a.id()),
        aeads: merge(&faster.aeads, base.aeads, &additional.aeads, |a| a.id()),
        kdfs: merge(&faster.kdfs, base.kdfs, &additional.kdfs, |a| a.id()),
        hashes: merge(&faster.hashes, base.hashes, &additional.hashes, |a| a.id()),
        macs: merge(&faster.macs, base.macs, &additional.macs, |a| a.id()),
        key_agreements: merge(&faster.key_agreements, base.key_agreements, &additional.key_agreements, |a| a.id()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "aws-lc")]
    use crate::alg::AeadId;
    use crate::alg::{GroupId, KemId, SignatureId};

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
        assert!(core::ptr::addr_eq(x, X25519));
        assert!(fast.kem(KemId::X_WING).is_ok());
    }

    #[test]
    fn fastest_provider_with_prefers_faster_adds_only_missing_ids_and_lists_each_id_once() {
        let base = fastest_provider();
        // An "additional" ML-DSA-65 (already served) and an additional KEM id nothing else serves.
        static EXTRA_XWING: crate::kem::xwing::XWing = crate::kem::xwing::XWing::new(
            &default::mlkem::ML_KEM_768,
            &default::x25519::X25519_DH,
            crate::primitives::BackendToken::new(),
        );
        let faster = Provider { kems: vec![&default::mlkem::ML_KEM_1024, &EXTRA_XWING], ..Provider::empty() };
        let additional = Provider {
            kems: vec![&default::mlkem::ML_KEM_512],
            signatures: vec![&default::mldsa::ML_DSA_65],
            ..Provider::empty()
        };
        let p = fastest_provider_with(&faster, &additional);
        assert!(core::ptr::addr_eq(p.kem(KemId::ML_KEM_1024).unwrap(), &default::mlkem::ML_KEM_1024));
        assert!(core::ptr::addr_eq(p.kem(KemId::X_WING).unwrap(), &EXTRA_XWING));
        // Ids the fastest provider serves keep its implementation, whatever `additional` offers.
        assert!(core::ptr::addr_eq(p.kem(KemId::ML_KEM_512).unwrap(), base.kem(KemId::ML_KEM_512).unwrap()));
        let ml_dsa = SignatureId::ML_DSA_65;
        assert!(core::ptr::addr_eq(p.signature(ml_dsa).unwrap(), base.signature(ml_dsa).unwrap()));
        // `faster` first, in its order; nothing listed twice; the same ids as the fastest provider.
        assert_eq!(p.kems[0].id(), KemId::ML_KEM_1024);
        assert_eq!(p.kems[1].id(), KemId::X_WING);
        let listed = p.algorithms();
        for (i, a) in listed.iter().enumerate() {
            assert!(!listed[..i].iter().any(|b| b.kind == a.kind && b.id == a.id), "{} listed twice", a.name);
        }
        assert_eq!(listed.len(), base.algorithms().len());
        // With nothing to add it is the fastest provider.
        assert_eq!(fastest_provider_with(&Provider::empty(), &Provider::empty()).algorithms(), base.algorithms());
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

    #[cfg(not(feature = "aws-lc"))]
    #[test]
    fn without_other_backends_it_is_the_default_provider() {
        assert_eq!(fastest_provider().algorithms(), default::provider().algorithms());
    }
}
