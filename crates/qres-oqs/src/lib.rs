//! # qres-oqs — the liboqs backend of qres
//!
//! Every KEM and signature scheme that the linked liboqs enables, through the same [`Kem`] and
//! [`SignatureScheme`] traits as qres' own backends, in a crate of its own (as rustls keeps a provider in
//! `rustls-aws-lc-rs`): the `unsafe` code that calling C takes, and liboqs' cmake and bindgen build, stay
//! out of `qres`, which forbids `unsafe` code.
//!
//! liboqs (Open Quantum Safe, 0.13 through the `oqs` crate 0.11) brings the algorithms qres' default
//! backend lacks — HQC, FrodoKEM, Classic McEliece, BIKE, sntrup761, Falcon, SPHINCS+, MAYO, CROSS, UOV, and
//! the round-3 Kyber and Dilithium — and its own implementations of ML-KEM and ML-DSA. Each algorithm is a
//! `static` ([`OqsKem`] / [`OqsSig`]) with a stable id ([`qres::alg`] documents the private-range ids of
//! the liboqs-only schemes); [`provider`] collects those the linked liboqs enables, checked at run time,
//! and [`fastest_provider`] is `qres::fastest_provider()` with ML-KEM and X-Wing taken from liboqs.
//!
//! ```
//! use qres::{default_provider, KemId, OsRng, Provider};
//!
//! // Mix backends: ML-KEM from qres' default backend, HQC from liboqs.
//! let default = default_provider();
//! let liboqs = qres_oqs::provider();
//! let mixed = Provider { kems: vec![default.kem(KemId::ML_KEM_768)?, liboqs.kem(KemId::HQC_128)?], ..Provider::empty() };
//! for a in mixed.algorithms() {
//!     println!("{} {} ({})", a.kind, a.name, a.implementation);
//! }
//! let sk = mixed.kem(KemId::HQC_128)?.generate(&mut OsRng)?;
//! let enc = sk.public_key().encapsulate(&mut OsRng)?;
//! assert_eq!(sk.decapsulate(&enc.ciphertext)?, enc.shared_secret);
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! What liboqs 0.13 does not expose, and so this backend does not offer: key pairs from seeds for any
//! KEM but ML-KEM and any scheme but ML-DSA, derandomized encapsulation and signing except for ML-KEM and
//! ML-DSA, HashML-DSA and ML-DSA's internal and external-mu interfaces, and context strings for schemes
//! other than ML-DSA. These return [`Error::Unsupported`]. FIPS 205 SLH-DSA is not in liboqs 0.13 (its
//! SPHINCS+ is the round-3 submission, which is not interoperable with it).
//!
//! Randomness: liboqs draws its randomness from the RNG passed to each call (see `ffi.rs`: a
//! randombytes hook installed once per process routes it per thread). All `unsafe` code of this crate
//! lives in that one module; the crate denies it everywhere else.
//!
//! ## Features
//!
//! | feature | effect |
//! |---|---|
//! | *(default)* | liboqs, built from the source bundled in `oqs-sys` (cmake, libclang-dev, a C compiler) unless a system liboqs 0.13.x is found by pkg-config |
//! | `aws-lc` | qres' `aws-lc` feature: [`fastest_provider`] then takes what `qres::fastest_provider()` takes from AWS-LC (X25519, the AEADs, ML-DSA verification, SHA3-256) |

// No unsafe code anywhere but the liboqs FFI boundary (src/ffi.rs), the only module allowed to opt out.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod ffi;
mod kem;
mod mldsa_checks;
mod mlkem_checks;
mod sig;

pub use kem::OqsKem;
pub use sig::OqsSig;

use kem::KemKind;
use qres::DynCryptoRng;
use qres::alg::{KemId, SignatureId};
use qres::backend::{default, fastest};
use qres::kem::xwing::XWing;
use qres::primitives::{Kem, SignatureScheme};
use qres::provider::Provider;
use qres::secret::SecretBytes;
use qres::{Error, Result};
use sig::SigKind;

macro_rules! oqs_kems {
    ( $( $(#[$meta:meta])* $name:ident = $id:ident, $cname:literal, $kind:expr; )* ) => {
        $( $(#[$meta])* pub static $name: OqsKem = OqsKem::new(KemId::$id, $cname, $kind); )*

        /// Every KEM of liboqs 0.13, enabled or not, in liboqs' order.
        pub static ALL_KEMS: &[&OqsKem] = &[ $( &$name, )* ];
    };
}

macro_rules! oqs_sigs {
    ( $( $(#[$meta:meta])* $name:ident = $id:ident, $cname:literal, $kind:expr; )* ) => {
        $( $(#[$meta])* pub static $name: OqsSig = OqsSig::new(SignatureId::$id, $cname, $kind); )*

        /// Every signature scheme of liboqs 0.13, enabled or not, in liboqs' order.
        pub static ALL_SIGNATURES: &[&OqsSig] = &[ $( &$name, )* ];
    };
}

const G: KemKind = KemKind::Generic;
const S: SigKind = SigKind::Generic;

oqs_kems! {
    /// BIKE-L1.
    BIKE_L1 = BIKE_L1, c"BIKE-L1", G;
    /// BIKE-L3.
    BIKE_L3 = BIKE_L3, c"BIKE-L3", G;
    /// BIKE-L5.
    BIKE_L5 = BIKE_L5, c"BIKE-L5", G;
    /// Classic-McEliece-348864.
    CLASSIC_MCELIECE_348864 = CLASSIC_MCELIECE_348864, c"Classic-McEliece-348864", G;
    /// Classic-McEliece-348864f.
    CLASSIC_MCELIECE_348864F = CLASSIC_MCELIECE_348864F, c"Classic-McEliece-348864f", G;
    /// Classic-McEliece-460896.
    CLASSIC_MCELIECE_460896 = CLASSIC_MCELIECE_460896, c"Classic-McEliece-460896", G;
    /// Classic-McEliece-460896f.
    CLASSIC_MCELIECE_460896F = CLASSIC_MCELIECE_460896F, c"Classic-McEliece-460896f", G;
    /// Classic-McEliece-6688128.
    CLASSIC_MCELIECE_6688128 = CLASSIC_MCELIECE_6688128, c"Classic-McEliece-6688128", G;
    /// Classic-McEliece-6688128f.
    CLASSIC_MCELIECE_6688128F = CLASSIC_MCELIECE_6688128F, c"Classic-McEliece-6688128f", G;
    /// Classic-McEliece-6960119.
    CLASSIC_MCELIECE_6960119 = CLASSIC_MCELIECE_6960119, c"Classic-McEliece-6960119", G;
    /// Classic-McEliece-6960119f.
    CLASSIC_MCELIECE_6960119F = CLASSIC_MCELIECE_6960119F, c"Classic-McEliece-6960119f", G;
    /// Classic-McEliece-8192128.
    CLASSIC_MCELIECE_8192128 = CLASSIC_MCELIECE_8192128, c"Classic-McEliece-8192128", G;
    /// Classic-McEliece-8192128f.
    CLASSIC_MCELIECE_8192128F = CLASSIC_MCELIECE_8192128F, c"Classic-McEliece-8192128f", G;
    /// HQC-128.
    HQC_128 = HQC_128, c"HQC-128", KemKind::Hqc;
    /// HQC-192.
    HQC_192 = HQC_192, c"HQC-192", KemKind::Hqc;
    /// HQC-256.
    HQC_256 = HQC_256, c"HQC-256", KemKind::Hqc;
    /// Kyber512 (round 3).
    KYBER_512 = KYBER_512, c"Kyber512", G;
    /// Kyber768 (round 3).
    KYBER_768 = KYBER_768, c"Kyber768", G;
    /// Kyber1024 (round 3).
    KYBER_1024 = KYBER_1024, c"Kyber1024", G;
    /// ML-KEM-512 (FIPS 203) on liboqs.
    ML_KEM_512 = ML_KEM_512, c"ML-KEM-512", KemKind::MlKem { rank: 2 };
    /// ML-KEM-768 (FIPS 203) on liboqs.
    ML_KEM_768 = ML_KEM_768, c"ML-KEM-768", KemKind::MlKem { rank: 3 };
    /// ML-KEM-1024 (FIPS 203) on liboqs.
    ML_KEM_1024 = ML_KEM_1024, c"ML-KEM-1024", KemKind::MlKem { rank: 4 };
    /// sntrup761.
    SNTRUP761 = SNTRUP761, c"sntrup761", G;
    /// FrodoKEM-640-AES.
    FRODOKEM_640_AES = FRODOKEM_640_AES, c"FrodoKEM-640-AES", G;
    /// FrodoKEM-640-SHAKE.
    FRODOKEM_640_SHAKE = FRODOKEM_640_SHAKE, c"FrodoKEM-640-SHAKE", G;
    /// FrodoKEM-976-AES.
    FRODOKEM_976_AES = FRODOKEM_976_AES, c"FrodoKEM-976-AES", G;
    /// FrodoKEM-976-SHAKE.
    FRODOKEM_976_SHAKE = FRODOKEM_976_SHAKE, c"FrodoKEM-976-SHAKE", G;
    /// FrodoKEM-1344-AES.
    FRODOKEM_1344_AES = FRODOKEM_1344_AES, c"FrodoKEM-1344-AES", G;
    /// FrodoKEM-1344-SHAKE.
    FRODOKEM_1344_SHAKE = FRODOKEM_1344_SHAKE, c"FrodoKEM-1344-SHAKE", G;
}

oqs_sigs! {
    /// Dilithium2 (round 3).
    DILITHIUM_2 = DILITHIUM_2, c"Dilithium2", S;
    /// Dilithium3 (round 3).
    DILITHIUM_3 = DILITHIUM_3, c"Dilithium3", S;
    /// Dilithium5 (round 3).
    DILITHIUM_5 = DILITHIUM_5, c"Dilithium5", S;
    /// ML-DSA-44 (FIPS 204) on liboqs.
    ML_DSA_44 = ML_DSA_44, c"ML-DSA-44", SigKind::MlDsa { z: mldsa_checks::ZBound::ML_DSA_44 };
    /// ML-DSA-65 (FIPS 204) on liboqs.
    ML_DSA_65 = ML_DSA_65, c"ML-DSA-65", SigKind::MlDsa { z: mldsa_checks::ZBound::ML_DSA_65 };
    /// ML-DSA-87 (FIPS 204) on liboqs.
    ML_DSA_87 = ML_DSA_87, c"ML-DSA-87", SigKind::MlDsa { z: mldsa_checks::ZBound::ML_DSA_87 };
    /// Falcon-512.
    FALCON_512 = FALCON_512, c"Falcon-512", SigKind::VariableLength;
    /// Falcon-1024.
    FALCON_1024 = FALCON_1024, c"Falcon-1024", SigKind::VariableLength;
    /// Falcon-padded-512.
    FALCON_PADDED_512 = FALCON_PADDED_512, c"Falcon-padded-512", S;
    /// Falcon-padded-1024.
    FALCON_PADDED_1024 = FALCON_PADDED_1024, c"Falcon-padded-1024", S;
    /// SPHINCS+-SHA2-128f-simple.
    SPHINCS_PLUS_SHA2_128F_SIMPLE = SPHINCS_PLUS_SHA2_128F_SIMPLE, c"SPHINCS+-SHA2-128f-simple", S;
    /// SPHINCS+-SHA2-128s-simple.
    SPHINCS_PLUS_SHA2_128S_SIMPLE = SPHINCS_PLUS_SHA2_128S_SIMPLE, c"SPHINCS+-SHA2-128s-simple", S;
    /// SPHINCS+-SHA2-192f-simple.
    SPHINCS_PLUS_SHA2_192F_SIMPLE = SPHINCS_PLUS_SHA2_192F_SIMPLE, c"SPHINCS+-SHA2-192f-simple", S;
    /// SPHINCS+-SHA2-192s-simple.
    SPHINCS_PLUS_SHA2_192S_SIMPLE = SPHINCS_PLUS_SHA2_192S_SIMPLE, c"SPHINCS+-SHA2-192s-simple", S;
    /// SPHINCS+-SHA2-256f-simple.
    SPHINCS_PLUS_SHA2_256F_SIMPLE = SPHINCS_PLUS_SHA2_256F_SIMPLE, c"SPHINCS+-SHA2-256f-simple", S;
    /// SPHINCS+-SHA2-256s-simple.
    SPHINCS_PLUS_SHA2_256S_SIMPLE = SPHINCS_PLUS_SHA2_256S_SIMPLE, c"SPHINCS+-SHA2-256s-simple", S;
    /// SPHINCS+-SHAKE-128f-simple.
    SPHINCS_PLUS_SHAKE_128F_SIMPLE = SPHINCS_PLUS_SHAKE_128F_SIMPLE, c"SPHINCS+-SHAKE-128f-simple", S;
    /// SPHINCS+-SHAKE-128s-simple.
    SPHINCS_PLUS_SHAKE_128S_SIMPLE = SPHINCS_PLUS_SHAKE_128S_SIMPLE, c"SPHINCS+-SHAKE-128s-simple", S;
    /// SPHINCS+-SHAKE-192f-simple.
    SPHINCS_PLUS_SHAKE_192F_SIMPLE = SPHINCS_PLUS_SHAKE_192F_SIMPLE, c"SPHINCS+-SHAKE-192f-simple", S;
    /// SPHINCS+-SHAKE-192s-simple.
    SPHINCS_PLUS_SHAKE_192S_SIMPLE = SPHINCS_PLUS_SHAKE_192S_SIMPLE, c"SPHINCS+-SHAKE-192s-simple", S;
    /// SPHINCS+-SHAKE-256f-simple.
    SPHINCS_PLUS_SHAKE_256F_SIMPLE = SPHINCS_PLUS_SHAKE_256F_SIMPLE, c"SPHINCS+-SHAKE-256f-simple", S;
    /// SPHINCS+-SHAKE-256s-simple.
    SPHINCS_PLUS_SHAKE_256S_SIMPLE = SPHINCS_PLUS_SHAKE_256S_SIMPLE, c"SPHINCS+-SHAKE-256s-simple", S;
    /// MAYO-1.
    MAYO_1 = MAYO_1, c"MAYO-1", S;
    /// MAYO-2.
    MAYO_2 = MAYO_2, c"MAYO-2", S;
    /// MAYO-3.
    MAYO_3 = MAYO_3, c"MAYO-3", S;
    /// MAYO-5.
    MAYO_5 = MAYO_5, c"MAYO-5", S;
    /// cross-rsdp-128-balanced.
    CROSS_RSDP_128_BALANCED = CROSS_RSDP_128_BALANCED, c"cross-rsdp-128-balanced", S;
    /// cross-rsdp-128-fast.
    CROSS_RSDP_128_FAST = CROSS_RSDP_128_FAST, c"cross-rsdp-128-fast", S;
    /// cross-rsdp-128-small.
    CROSS_RSDP_128_SMALL = CROSS_RSDP_128_SMALL, c"cross-rsdp-128-small", S;
    /// cross-rsdp-192-balanced.
    CROSS_RSDP_192_BALANCED = CROSS_RSDP_192_BALANCED, c"cross-rsdp-192-balanced", S;
    /// cross-rsdp-192-fast.
    CROSS_RSDP_192_FAST = CROSS_RSDP_192_FAST, c"cross-rsdp-192-fast", S;
    /// cross-rsdp-192-small.
    CROSS_RSDP_192_SMALL = CROSS_RSDP_192_SMALL, c"cross-rsdp-192-small", S;
    /// cross-rsdp-256-balanced.
    CROSS_RSDP_256_BALANCED = CROSS_RSDP_256_BALANCED, c"cross-rsdp-256-balanced", S;
    /// cross-rsdp-256-fast.
    CROSS_RSDP_256_FAST = CROSS_RSDP_256_FAST, c"cross-rsdp-256-fast", S;
    /// cross-rsdp-256-small.
    CROSS_RSDP_256_SMALL = CROSS_RSDP_256_SMALL, c"cross-rsdp-256-small", S;
    /// cross-rsdpg-128-balanced.
    CROSS_RSDPG_128_BALANCED = CROSS_RSDPG_128_BALANCED, c"cross-rsdpg-128-balanced", S;
    /// cross-rsdpg-128-fast.
    CROSS_RSDPG_128_FAST = CROSS_RSDPG_128_FAST, c"cross-rsdpg-128-fast", S;
    /// cross-rsdpg-128-small.
    CROSS_RSDPG_128_SMALL = CROSS_RSDPG_128_SMALL, c"cross-rsdpg-128-small", S;
    /// cross-rsdpg-192-balanced.
    CROSS_RSDPG_192_BALANCED = CROSS_RSDPG_192_BALANCED, c"cross-rsdpg-192-balanced", S;
    /// cross-rsdpg-192-fast.
    CROSS_RSDPG_192_FAST = CROSS_RSDPG_192_FAST, c"cross-rsdpg-192-fast", S;
    /// cross-rsdpg-192-small.
    CROSS_RSDPG_192_SMALL = CROSS_RSDPG_192_SMALL, c"cross-rsdpg-192-small", S;
    /// cross-rsdpg-256-balanced.
    CROSS_RSDPG_256_BALANCED = CROSS_RSDPG_256_BALANCED, c"cross-rsdpg-256-balanced", S;
    /// cross-rsdpg-256-fast.
    CROSS_RSDPG_256_FAST = CROSS_RSDPG_256_FAST, c"cross-rsdpg-256-fast", S;
    /// cross-rsdpg-256-small.
    CROSS_RSDPG_256_SMALL = CROSS_RSDPG_256_SMALL, c"cross-rsdpg-256-small", S;
    /// OV-Is.
    UOV_IS = UOV_IS, c"OV-Is", S;
    /// OV-Ip.
    UOV_IP = UOV_IP, c"OV-Ip", S;
    /// OV-III.
    UOV_III = UOV_III, c"OV-III", S;
    /// OV-V.
    UOV_V = UOV_V, c"OV-V", S;
    /// OV-Is-pkc.
    UOV_IS_PKC = UOV_IS_PKC, c"OV-Is-pkc", S;
    /// OV-Ip-pkc.
    UOV_IP_PKC = UOV_IP_PKC, c"OV-Ip-pkc", S;
    /// OV-III-pkc.
    UOV_III_PKC = UOV_III_PKC, c"OV-III-pkc", S;
    /// OV-V-pkc.
    UOV_V_PKC = UOV_V_PKC, c"OV-V-pkc", S;
    /// OV-Is-pkc-skc.
    UOV_IS_PKC_SKC = UOV_IS_PKC_SKC, c"OV-Is-pkc-skc", S;
    /// OV-Ip-pkc-skc.
    UOV_IP_PKC_SKC = UOV_IP_PKC_SKC, c"OV-Ip-pkc-skc", S;
    /// OV-III-pkc-skc.
    UOV_III_PKC_SKC = UOV_III_PKC_SKC, c"OV-III-pkc-skc", S;
    /// OV-V-pkc-skc.
    UOV_V_PKC_SKC = UOV_V_PKC_SKC, c"OV-V-pkc-skc", S;
}

/// X-Wing over liboqs' ML-KEM-768 and the default backend's X25519 (the X-Wing of [`provider`]).
pub static X_WING: XWing = XWing::new(&ML_KEM_768, &default::x25519::X25519_DH, qres::backend::backend_token());

/// X-Wing over liboqs' ML-KEM-768 and the X25519 of `qres::fastest_provider()`
/// ([`qres::backend::fastest::X25519`]: AWS-LC's with qres' `aws-lc` feature, else the default
/// backend's): the X-Wing of [`fastest_provider`].
pub static FASTEST_X_WING: XWing = XWing::new(&ML_KEM_768, fastest::X25519, qres::backend::backend_token());

/// The liboqs KEMs the linked liboqs enables (checked at run time), ML-KEM first, strongest first.
pub fn kems() -> Vec<&'static dyn Kem> {
    let first = [&ML_KEM_768, &ML_KEM_1024, &ML_KEM_512];
    let rest = ALL_KEMS.iter().copied().filter(|k| !first.iter().any(|f| core::ptr::eq(*f, *k)));
    first.into_iter().chain(rest).filter(|k| k.is_enabled()).map(|k| k as &'static dyn Kem).collect()
}

/// The liboqs signature schemes the linked liboqs enables (checked at run time), ML-DSA first.
pub fn signatures() -> Vec<&'static dyn SignatureScheme> {
    let first = [&ML_DSA_65, &ML_DSA_87, &ML_DSA_44];
    let rest = ALL_SIGNATURES.iter().copied().filter(|s| !first.iter().any(|f| core::ptr::eq(*f, *s)));
    first.into_iter().chain(rest).filter(|s| s.is_enabled()).map(|s| s as &'static dyn SignatureScheme).collect()
}

/// The liboqs provider: every KEM and signature scheme of the linked liboqs (X-Wing built on its
/// ML-KEM-768), completed by the default backend for what liboqs' API does not offer (X25519, AEADs,
/// KDFs, hashes, MACs, DHKEM). [`Provider::algorithms`] shows which implementation serves what.
pub fn provider() -> Provider {
    let d = default::provider();
    let mut kems: Vec<&'static dyn Kem> = Vec::new();
    if ML_KEM_768.is_enabled() {
        kems.push(&X_WING);
    }
    kems.extend(self::kems());
    kems.extend(d.kems.iter().copied().filter(|k| !kems.iter().any(|o| o.id() == k.id())).collect::<Vec<_>>());
    Provider { kems, signatures: signatures(), ..d }
}

/// `qres::fastest_provider()` with liboqs: the fastest *correct* implementation of every algorithm
/// among qres' compiled backends and liboqs, followed by every liboqs-only algorithm (HQC, FrodoKEM,
/// Falcon, ...).
///
/// Built with [`qres::backend::fastest::fastest_provider_with`]; the choice per algorithm follows the
/// side-by-side measurements in qres' BENCHMARKS.md ("Algorithm agility", "Choice of implementation per
/// algorithm") and the known-answer tests, which run on this provider too:
///
/// * **ML-KEM-512/768/1024 from liboqs** (mlkem-native, AVX2): faster than libcrux and AWS-LC for every
///   operation measured, with seeded key generation, and it passes every ACVP and Wycheproof case. Taken
///   when the linked liboqs enables all three.
/// * **X-Wing over liboqs' ML-KEM-768** and the X25519 that `qres::fastest_provider()` chooses
///   ([`FASTEST_X_WING`]), when liboqs enables ML-KEM-768.
/// * **ML-DSA never from liboqs**, although liboqs 0.13 signs about 2x faster than libcrux: liboqs' AVX2
///   verifier rejects a valid signature in each Wycheproof ML-DSA verify file (the `use_hint` boundary
///   case; see qres' tests/kat_mldsa.rs) and it offers neither HashML-DSA nor derandomized signing.
///   Correctness first: ML-DSA is what `qres::fastest_provider()` serves.
/// * **Everything else** (X25519, AEADs, KDFs, hashes, MACs, DHKEM) as `qres::fastest_provider()`: the
///   default backend, or AWS-LC where it measured faster when qres' `aws-lc` feature is on (this crate's
///   `aws-lc` feature turns it on).
///
/// Without `aws-lc` this serves exactly what `qres::backend::oqs::fastest_provider()` served before the
/// liboqs backend left qres; with it, what `qres::fastest_provider()` served with both `oqs` and `aws-lc`.
pub fn fastest_provider() -> Provider {
    let mut faster: Vec<&'static dyn Kem> = Vec::new();
    if ML_KEM_768.is_enabled() {
        faster.push(&FASTEST_X_WING);
    }
    if [&ML_KEM_768, &ML_KEM_1024, &ML_KEM_512].iter().all(|k| k.is_enabled()) {
        faster.extend([&ML_KEM_768 as &'static dyn Kem, &ML_KEM_1024, &ML_KEM_512]);
    }
    let liboqs = provider();
    let liboqs_only = Provider { kems: liboqs.kems, signatures: liboqs.signatures, ..Provider::empty() };
    fastest::fastest_provider_with(&Provider { kems: faster, ..Provider::empty() }, &liboqs_only)
}

/// liboqs algorithm names that are enabled in the linked liboqs but have no qres id. Empty for liboqs
/// 0.13 (a test checks this); a non-empty list means a newer liboqs was linked.
pub fn unmapped_algorithms() -> Vec<&'static str> {
    let kems = ffi::kem_names()
        .into_iter()
        .filter(|(n, enabled)| *enabled && !ALL_KEMS.iter().any(|k| k.liboqs_name() == *n))
        .map(|(n, _)| n);
    let sigs = ffi::sig_names()
        .into_iter()
        .filter(|(n, enabled)| *enabled && !ALL_SIGNATURES.iter().any(|s| s.liboqs_name() == *n))
        .map(|(n, _)| n);
    kems.chain(sigs).collect()
}

/// `Error::InvalidLength` unless `actual == expected`, naming the input (as qres' own backends report).
fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual { Ok(()) } else { Err(Error::InvalidLength { what, expected, actual }) }
}

/// `len` fresh random bytes from `rng` in a zeroizing buffer.
fn random_secret(rng: &mut dyn DynCryptoRng, len: usize) -> Result<SecretBytes> {
    let mut out = SecretBytes::zeroed(len);
    rng.fill_random(out.as_mut_bytes())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use qres::{OsRng, SignInput};

    #[test]
    fn fastest_provider_takes_ml_kem_and_x_wing_from_liboqs_and_the_rest_from_qres_fastest() {
        let p = fastest_provider();
        let qres_fastest = qres::fastest_provider();
        for id in [KemId::ML_KEM_512, KemId::ML_KEM_768, KemId::ML_KEM_1024] {
            assert_eq!(p.kem(id).unwrap().implementation(), "liboqs", "{id}");
        }
        assert!(core::ptr::addr_eq(p.kem(KemId::X_WING).unwrap(), &FASTEST_X_WING));
        // ML-DSA is never liboqs': what qres' fastest provider serves (the default backend, or AWS-LC).
        for id in [SignatureId::ML_DSA_44, SignatureId::ML_DSA_65, SignatureId::ML_DSA_87] {
            assert!(core::ptr::addr_eq(p.signature(id).unwrap(), qres_fastest.signature(id).unwrap()), "{id}");
        }
        assert_ne!(p.signature(SignatureId::ML_DSA_65).unwrap().implementation(), ML_DSA_65.implementation());
        // Every other algorithm of qres' fastest provider is served by the same implementation object, and
        // X-Wing's X25519 is the one that provider chooses.
        let ours = p.algorithms();
        for a in qres_fastest.algorithms() {
            let b =
                ours.iter().find(|b| b.kind == a.kind && b.id == a.id).unwrap_or_else(|| panic!("{} missing", a.name));
            if !a.name.starts_with("ML-KEM") {
                assert_eq!(b.implementation, a.implementation, "{}", a.name);
            }
        }
        let x25519 = p.key_agreement(qres::GroupId::X25519).unwrap();
        assert!(core::ptr::addr_eq(x25519, qres::backend::fastest::X25519));
        // No id is listed twice (lookups and `algorithms()` agree).
        for (i, a) in ours.iter().enumerate() {
            assert!(!ours[..i].iter().any(|b| b.kind == a.kind && b.id == a.id), "{} listed twice", a.name);
        }
        // liboqs-only schemes follow.
        assert!(p.signature(SignatureId::from_name("Falcon-512").unwrap()).is_ok());
        assert!(p.kem(KemId::from_name("HQC-128").unwrap()).is_ok());
        assert_eq!(p.kems.len(), qres_fastest.kems.len() + ALL_KEMS.len() - 3);
        assert_eq!(p.signatures.len(), qres_fastest.signatures.len() + ALL_SIGNATURES.len() - 3);
    }

    #[test]
    fn every_enabled_liboqs_algorithm_has_a_qres_id_and_name() {
        assert!(unmapped_algorithms().is_empty(), "{:?}", unmapped_algorithms());
        for k in ALL_KEMS {
            assert_eq!(k.id().name(), Some(k.liboqs_name()));
            assert_eq!(KemId::from_name(k.liboqs_name()), Some(k.id()));
        }
        for s in ALL_SIGNATURES {
            assert_eq!(s.id().name(), Some(s.liboqs_name()));
            assert_eq!(SignatureId::from_name(s.liboqs_name()), Some(s.id()));
        }
        // This build enables every family.
        assert_eq!(kems().len(), ALL_KEMS.len());
        assert_eq!(signatures().len(), ALL_SIGNATURES.len());
        let enabled_in_liboqs =
            ffi::kem_names().iter().filter(|(_, e)| *e).count() + ffi::sig_names().iter().filter(|(_, e)| *e).count();
        assert_eq!(enabled_in_liboqs, ALL_KEMS.len() + ALL_SIGNATURES.len());
    }

    #[test]
    fn provider_lists_liboqs_and_default_implementations() {
        let p = provider();
        assert_eq!(p.kem(KemId::ML_KEM_768).unwrap().implementation(), "liboqs");
        assert_eq!(p.kem(KemId::HQC_128).unwrap().implementation(), "liboqs");
        assert_eq!(p.signature(SignatureId::FALCON_512).unwrap().implementation(), "liboqs");
        assert!(p.kem(KemId::X_WING).is_ok());
        assert!(p.kem(KemId::DHKEM_X25519_HKDF_SHA256).is_ok());
        assert!(p.aead(qres::AeadId::AES_256_GCM).is_ok());
        let listed = p.algorithms();
        assert!(listed.iter().any(|a| a.name == "Classic-McEliece-348864" && a.implementation == "liboqs"));
    }

    #[test]
    fn generic_kems_round_trip_and_reject_bad_lengths() {
        for k in [&HQC_128, &FRODOKEM_640_AES, &BIKE_L1, &SNTRUP761, &KYBER_768] {
            println!("{}", k.liboqs_name());
            let sk = k.generate(&mut OsRng).unwrap();
            let enc = sk.public_key().encapsulate(&mut OsRng).unwrap();
            assert_eq!(sk.decapsulate(&enc.ciphertext).unwrap(), enc.shared_secret, "{}", k.liboqs_name());
            let sizes = k.sizes();
            // Implicit rejection: a tampered ciphertext of the right length gives another secret, no error.
            let mut tampered = enc.ciphertext.clone();
            tampered[0] ^= 1;
            assert_ne!(sk.decapsulate(&tampered).unwrap(), enc.shared_secret, "{}", k.liboqs_name());
            assert!(matches!(sk.decapsulate(&enc.ciphertext[1..]), Err(Error::InvalidLength { .. })));
            assert!(matches!(k.parse_public_key(&[0u8; 3]), Err(Error::InvalidLength { .. })));
            assert!(matches!(k.key_pair_from_seed(&[0u8; 64]), Err(Error::Unsupported(_))));
            assert!(matches!(
                k.encapsulate_derand(sk.public_key(), &[], qres::hazmat::token()),
                Err(Error::Unsupported(_))
            ));
            assert_eq!(enc.ciphertext.len(), sizes.ciphertext);
            // Export and import with the public key; a foreign public key fails the consistency test.
            let expanded = k.expanded_secret_key(&sk).unwrap();
            let back = k.import_secret_key(expanded.as_bytes(), sk.public_key().as_bytes()).unwrap();
            assert_eq!(back.decapsulate(&enc.ciphertext).unwrap(), enc.shared_secret);
            let other = k.generate(&mut OsRng).unwrap();
            let r = k.import_secret_key(expanded.as_bytes(), other.public_key().as_bytes());
            assert!(matches!(r, Err(Error::InvalidKey { .. })), "{}: {:?}", k.liboqs_name(), r.map(|_| ()));
            assert!(matches!(
                k.import_secret_key(&expanded.as_bytes()[1..], sk.public_key().as_bytes()),
                Err(Error::InvalidLength { .. })
            ));
        }
    }

    #[test]
    fn generic_signatures_round_trip_and_reject_what_liboqs_lacks() {
        for s in [
            &FALCON_512,
            &FALCON_PADDED_512,
            &MAYO_1,
            &SPHINCS_PLUS_SHA2_128F_SIMPLE,
            &CROSS_RSDP_128_FAST,
            &UOV_IS_PKC,
        ] {
            println!("{}", s.liboqs_name());
            let sk = s.generate(&mut OsRng).unwrap();
            let sig = sk.sign(b"message", b"", &mut OsRng).unwrap();
            assert!(sig.as_bytes().len() <= s.sizes().signature);
            sk.verifying_key().verify(b"message", b"", sig.as_bytes()).unwrap();
            assert_eq!(sk.verifying_key().verify(b"other", b"", sig.as_bytes()), Err(Error::AuthenticationFailed));
            let mut bad = sig.as_bytes().to_vec();
            let middle = bad.len() / 2;
            bad[middle] ^= 1;
            assert_eq!(sk.verifying_key().verify(b"message", b"", &bad), Err(Error::AuthenticationFailed));
            assert_eq!(sk.verifying_key().verify(b"message", b"", &[]), Err(Error::AuthenticationFailed));
            let too_long = vec![0u8; s.sizes().signature + 1];
            assert_eq!(sk.verifying_key().verify(b"message", b"", &too_long), Err(Error::AuthenticationFailed));
            assert!(matches!(sk.sign(b"m", b"ctx", &mut OsRng), Err(Error::Unsupported(_))));
            assert!(matches!(sk.sign_deterministic(b"m", b""), Err(Error::Unsupported(_))));
            let digest = qres::PreHash::Sha2_256.digest(b"m");
            let prehashed = SignInput::PreHashed { hash: qres::PreHash::Sha2_256, digest: &digest, context: b"" };
            assert!(matches!(s.sign(&sk, prehashed, &mut OsRng), Err(Error::Unsupported(_))));
            let expanded = s.expanded_signing_key(&sk).unwrap();
            let back = s.import_signing_key(expanded.as_bytes(), sk.verifying_key().as_bytes()).unwrap();
            back.verifying_key().verify(b"message", b"", sig.as_bytes()).unwrap();
            let other = s.generate(&mut OsRng).unwrap();
            assert!(matches!(
                s.import_signing_key(expanded.as_bytes(), other.verifying_key().as_bytes()),
                Err(Error::InvalidKey { .. })
            ));
        }
    }

    #[test]
    fn a_failing_rng_is_an_error_not_a_key() {
        struct Failing;
        impl qres::DynCryptoRng for Failing {
            fn fill_random(&mut self, _: &mut [u8]) -> qres::Result<()> {
                Err(Error::RandomnessUnavailable)
            }
        }
        assert_eq!(HQC_128.generate(&mut Failing).err(), Some(Error::RandomnessUnavailable));
        assert_eq!(FALCON_512.generate(&mut Failing).err(), Some(Error::RandomnessUnavailable));
        let sk = HQC_128.generate(&mut OsRng).unwrap();
        assert!(matches!(sk.public_key().encapsulate(&mut Failing), Err(Error::RandomnessUnavailable)));
        // A panicking RNG is contained (no unwinding through C) and reported the same way.
        struct Panicking;
        impl qres::DynCryptoRng for Panicking {
            fn fill_random(&mut self, _: &mut [u8]) -> qres::Result<()> {
                panic!("rng panicked")
            }
        }
        assert_eq!(FALCON_512.generate(&mut Panicking).err(), Some(Error::RandomnessUnavailable));
        // Afterwards liboqs works normally again on this thread.
        assert!(FALCON_512.generate(&mut OsRng).is_ok());
    }

    #[test]
    fn keys_of_another_algorithm_or_backend_are_rejected() {
        let hqc = HQC_128.generate(&mut OsRng).unwrap();
        let ct = vec![0u8; HQC_192.sizes().ciphertext];
        assert!(matches!(HQC_192.decapsulate(&hqc, &ct), Err(Error::WrongAlgorithm { .. })));
        assert!(matches!(HQC_192.encapsulate(hqc.public_key(), &mut OsRng), Err(Error::WrongAlgorithm { .. })));
        let default_key = default::mlkem::ML_KEM_768.generate(&mut OsRng).unwrap();
        assert!(matches!(ML_KEM_768.decapsulate(&default_key, &[0u8; 1088]), Err(Error::KeyMismatch(_))));
    }
}
