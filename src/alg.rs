//! Stable algorithm identifiers.
//!
//! Every algorithm has a 16-bit id within its family, so that a ciphertext, key or signature can say which
//! algorithm it needs and the [`Provider`](crate::Provider) can resolve it (crypto agility). Ids are taken
//! from public registries wherever one exists, so that they mean the same thing elsewhere:
//!
//! | family | registry | examples |
//! |---|---|---|
//! | [`KemId`] | IANA HPKE KEM identifiers (RFC 9180, draft-ietf-hpke-pq) | ML-KEM-768 = `0x0041`, X-Wing = `0x647a` |
//! | [`KdfId`] | IANA HPKE KDF identifiers | HKDF-SHA256 = `0x0001` |
//! | [`AeadId`] | IANA HPKE AEAD identifiers | AES-256-GCM = `0x0002` |
//! | [`SignatureId`] | IANA TLS SignatureScheme (draft-ietf-tls-mldsa) | ML-DSA-65 = `0x0905` |
//! | [`GroupId`] | IANA TLS Supported Groups | X25519 = `0x001d` |
//! | [`HashId`] | multiformats multicodec table | SHA3-256 = `0x16` |
//! | [`MacId`] | none: qres private range | HMAC-SHA256 = `0xfe01` |
//!
//! **Private range.** Algorithms without a registered codepoint get ids in `0xfe00..=0xfeff` of their family
//! (the range TLS reserves for private use). These are stable within qres formats but mean nothing outside.
//!
//! **liboqs algorithms.** The schemes that only the liboqs backend (crate `qres-oqs`) implements have no IANA
//! HPKE or TLS codepoint, so they take private-range ids, allocated one block of 16 per family (a new
//! parameter set of a family takes the next free id of its block; ids are never reused). Their names are
//! liboqs' own algorithm identifiers, so `KemId::from_name` accepts exactly what liboqs calls them.
//!
//! | [`KemId`] block | family | | [`SignatureId`] block | family |
//! |---|---|---|---|---|
//! | `0xfe10..=0xfe12` | BIKE-L1/L3/L5 | | `0xfe01..=0xfe03` | Dilithium2/3/5 (round 3) |
//! | `0xfe20..=0xfe29` | Classic-McEliece-348864 ... 8192128f | | `0xfe10..=0xfe13` | Falcon-512/1024, Falcon-padded-512/1024 |
//! | `0xfe30..=0xfe32` | HQC-128/192/256 | | `0xfe20..=0xfe2b` | SPHINCS+-SHA2/SHAKE-128f ... 256s-simple |
//! | `0xfe40..=0xfe45` | FrodoKEM-640/976/1344-AES/SHAKE | | `0xfe30..=0xfe33` | MAYO-1/2/3/5 |
//! | `0xfe50` | sntrup761 | | `0xfe40..=0xfe48` | cross-rsdp-128/192/256-balanced/fast/small |
//! | `0xfe60..=0xfe62` | Kyber512/768/1024 (round 3) | | `0xfe50..=0xfe58` | cross-rsdpg-128/192/256-balanced/fast/small |
//! | | | | `0xfe60..=0xfe6b` | OV-Is/Ip/III/V, -pkc, -pkc-skc |
//!
//! liboqs 0.13 ships SPHINCS+ 3.1, not FIPS 205 SLH-DSA (whose hashing and domain separation differ), and
//! round-3 Kyber and Dilithium beside ML-KEM and ML-DSA; the names keep them apart.
//!
//! ```
//! use qres::{KemId, SignatureId};
//! assert_eq!(KemId::X_WING.value(), 0x647a);
//! assert_eq!(KemId::from_name("ml-kem-768"), Some(KemId::ML_KEM_768));
//! assert_eq!(SignatureId::ML_DSA_65.to_string(), "ML-DSA-65");
//! assert_eq!(KemId(0x7777).to_string(), "KEM 0x7777");
//! ```

use crate::error::AlgorithmKind;
use core::fmt;

/// First id of the qres private-use range of every family.
pub const PRIVATE_RANGE_START: u16 = 0xfe00;
/// Last id of the qres private-use range of every family.
pub const PRIVATE_RANGE_END: u16 = 0xfeff;

macro_rules! define_ids {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:expr, $label:literal,
        { $( $(#[$cmeta:meta])* $constant:ident = $value:literal, $text:literal; )* }
    ) => {
        $(#[$meta])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u16);

        impl $name {
            $( $(#[$cmeta])* pub const $constant: Self = Self($value); )*

            /// Every id of this family that qres knows by name, with its name.
            pub const KNOWN: &'static [(Self, &'static str)] = &[ $( (Self($value), $text), )* ];

            /// The family these ids belong to.
            pub const KIND: AlgorithmKind = $kind;

            /// The numeric value.
            pub const fn value(self) -> u16 {
                self.0
            }

            /// The canonical name, if qres knows this id.
            pub fn name(self) -> Option<&'static str> {
                Self::KNOWN.iter().find(|(id, _)| *id == self).map(|(_, n)| *n)
            }

            /// Looks an id up by its canonical name (ASCII case-insensitive).
            pub fn from_name(name: &str) -> Option<Self> {
                Self::KNOWN.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(id, _)| *id)
            }

            /// Whether the id lies in the qres private range.
            pub const fn is_private(self) -> bool {
                self.0 >= PRIVATE_RANGE_START && self.0 <= PRIVATE_RANGE_END
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, concat!($label, " 0x{:04x}"), self.0),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({} = 0x{:04x})"), self, self.0)
            }
        }

        impl From<u16> for $name {
            fn from(v: u16) -> Self {
                Self(v)
            }
        }

        impl From<$name> for u16 {
            fn from(v: $name) -> u16 {
                v.0
            }
        }
    };
}

define_ids! {
    /// Key encapsulation mechanism id (IANA HPKE KEM registry).
    KemId, AlgorithmKind::Kem, "KEM",
    {
        /// DHKEM(X25519, HKDF-SHA256), RFC 9180.
        DHKEM_X25519_HKDF_SHA256 = 0x0020, "DHKEM(X25519, HKDF-SHA256)";
        /// ML-KEM-512, FIPS 203.
        ML_KEM_512 = 0x0040, "ML-KEM-512";
        /// ML-KEM-768, FIPS 203.
        ML_KEM_768 = 0x0041, "ML-KEM-768";
        /// ML-KEM-1024, FIPS 203.
        ML_KEM_1024 = 0x0042, "ML-KEM-1024";
        /// X-Wing (draft-connolly-cfrg-xwing-kem; MLKEM768-X25519 in draft-ietf-hpke-pq).
        X_WING = 0x647a, "X-Wing";
        /// BIKE level 1 (NIST round 4; liboqs).
        BIKE_L1 = 0xfe10, "BIKE-L1";
        /// BIKE level 3 (NIST round 4; liboqs).
        BIKE_L3 = 0xfe11, "BIKE-L3";
        /// BIKE level 5 (NIST round 4; liboqs).
        BIKE_L5 = 0xfe12, "BIKE-L5";
        /// Classic McEliece 348864 (NIST round 4; liboqs).
        CLASSIC_MCELIECE_348864 = 0xfe20, "Classic-McEliece-348864";
        /// Classic McEliece 348864f (NIST round 4; liboqs).
        CLASSIC_MCELIECE_348864F = 0xfe21, "Classic-McEliece-348864f";
        /// Classic McEliece 460896 (NIST round 4; liboqs).
        CLASSIC_MCELIECE_460896 = 0xfe22, "Classic-McEliece-460896";
        /// Classic McEliece 460896f (NIST round 4; liboqs).
        CLASSIC_MCELIECE_460896F = 0xfe23, "Classic-McEliece-460896f";
        /// Classic McEliece 6688128 (NIST round 4; liboqs).
        CLASSIC_MCELIECE_6688128 = 0xfe24, "Classic-McEliece-6688128";
        /// Classic McEliece 6688128f (NIST round 4; liboqs).
        CLASSIC_MCELIECE_6688128F = 0xfe25, "Classic-McEliece-6688128f";
        /// Classic McEliece 6960119 (NIST round 4; liboqs).
        CLASSIC_MCELIECE_6960119 = 0xfe26, "Classic-McEliece-6960119";
        /// Classic McEliece 6960119f (NIST round 4; liboqs).
        CLASSIC_MCELIECE_6960119F = 0xfe27, "Classic-McEliece-6960119f";
        /// Classic McEliece 8192128 (NIST round 4; liboqs).
        CLASSIC_MCELIECE_8192128 = 0xfe28, "Classic-McEliece-8192128";
        /// Classic McEliece 8192128f (NIST round 4; liboqs).
        CLASSIC_MCELIECE_8192128F = 0xfe29, "Classic-McEliece-8192128f";
        /// HQC-128 (selected by NIST for standardisation; liboqs).
        HQC_128 = 0xfe30, "HQC-128";
        /// HQC-192 (selected by NIST for standardisation; liboqs).
        HQC_192 = 0xfe31, "HQC-192";
        /// HQC-256 (selected by NIST for standardisation; liboqs).
        HQC_256 = 0xfe32, "HQC-256";
        /// FrodoKEM-640-AES (ISO proposal; liboqs).
        FRODOKEM_640_AES = 0xfe40, "FrodoKEM-640-AES";
        /// FrodoKEM-640-SHAKE (ISO proposal; liboqs).
        FRODOKEM_640_SHAKE = 0xfe41, "FrodoKEM-640-SHAKE";
        /// FrodoKEM-976-AES (ISO proposal; liboqs).
        FRODOKEM_976_AES = 0xfe42, "FrodoKEM-976-AES";
        /// FrodoKEM-976-SHAKE (ISO proposal; liboqs).
        FRODOKEM_976_SHAKE = 0xfe43, "FrodoKEM-976-SHAKE";
        /// FrodoKEM-1344-AES (ISO proposal; liboqs).
        FRODOKEM_1344_AES = 0xfe44, "FrodoKEM-1344-AES";
        /// FrodoKEM-1344-SHAKE (ISO proposal; liboqs).
        FRODOKEM_1344_SHAKE = 0xfe45, "FrodoKEM-1344-SHAKE";
        /// Streamlined NTRU Prime sntrup761 (liboqs).
        SNTRUP761 = 0xfe50, "sntrup761";
        /// CRYSTALS-Kyber 512 (round 3, pre-FIPS 203; not interoperable with ML-KEM; liboqs).
        KYBER_512 = 0xfe60, "Kyber512";
        /// CRYSTALS-Kyber 768 (round 3, pre-FIPS 203; not interoperable with ML-KEM; liboqs).
        KYBER_768 = 0xfe61, "Kyber768";
        /// CRYSTALS-Kyber 1024 (round 3, pre-FIPS 203; not interoperable with ML-KEM; liboqs).
        KYBER_1024 = 0xfe62, "Kyber1024";
    }
}

define_ids! {
    /// Signature scheme id (IANA TLS SignatureScheme registry).
    SignatureId, AlgorithmKind::Signature, "signature",
    {
        /// ML-DSA-44, FIPS 204.
        ML_DSA_44 = 0x0904, "ML-DSA-44";
        /// ML-DSA-65, FIPS 204.
        ML_DSA_65 = 0x0905, "ML-DSA-65";
        /// ML-DSA-87, FIPS 204.
        ML_DSA_87 = 0x0906, "ML-DSA-87";
        /// CRYSTALS-Dilithium2 (round 3, pre-FIPS 204; not interoperable with ML-DSA; liboqs).
        DILITHIUM_2 = 0xfe01, "Dilithium2";
        /// CRYSTALS-Dilithium3 (round 3, pre-FIPS 204; not interoperable with ML-DSA; liboqs).
        DILITHIUM_3 = 0xfe02, "Dilithium3";
        /// CRYSTALS-Dilithium5 (round 3, pre-FIPS 204; not interoperable with ML-DSA; liboqs).
        DILITHIUM_5 = 0xfe03, "Dilithium5";
        /// Falcon-512 (variable-length signatures; liboqs).
        FALCON_512 = 0xfe10, "Falcon-512";
        /// Falcon-1024 (variable-length signatures; liboqs).
        FALCON_1024 = 0xfe11, "Falcon-1024";
        /// Falcon-512 with fixed-length (padded) signatures (liboqs).
        FALCON_PADDED_512 = 0xfe12, "Falcon-padded-512";
        /// Falcon-1024 with fixed-length (padded) signatures (liboqs).
        FALCON_PADDED_1024 = 0xfe13, "Falcon-padded-1024";
        /// SPHINCS+-SHA2-128f-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHA2_128F_SIMPLE = 0xfe20, "SPHINCS+-SHA2-128f-simple";
        /// SPHINCS+-SHA2-128s-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHA2_128S_SIMPLE = 0xfe21, "SPHINCS+-SHA2-128s-simple";
        /// SPHINCS+-SHA2-192f-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHA2_192F_SIMPLE = 0xfe22, "SPHINCS+-SHA2-192f-simple";
        /// SPHINCS+-SHA2-192s-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHA2_192S_SIMPLE = 0xfe23, "SPHINCS+-SHA2-192s-simple";
        /// SPHINCS+-SHA2-256f-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHA2_256F_SIMPLE = 0xfe24, "SPHINCS+-SHA2-256f-simple";
        /// SPHINCS+-SHA2-256s-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHA2_256S_SIMPLE = 0xfe25, "SPHINCS+-SHA2-256s-simple";
        /// SPHINCS+-SHAKE-128f-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHAKE_128F_SIMPLE = 0xfe26, "SPHINCS+-SHAKE-128f-simple";
        /// SPHINCS+-SHAKE-128s-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHAKE_128S_SIMPLE = 0xfe27, "SPHINCS+-SHAKE-128s-simple";
        /// SPHINCS+-SHAKE-192f-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHAKE_192F_SIMPLE = 0xfe28, "SPHINCS+-SHAKE-192f-simple";
        /// SPHINCS+-SHAKE-192s-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHAKE_192S_SIMPLE = 0xfe29, "SPHINCS+-SHAKE-192s-simple";
        /// SPHINCS+-SHAKE-256f-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHAKE_256F_SIMPLE = 0xfe2a, "SPHINCS+-SHAKE-256f-simple";
        /// SPHINCS+-SHAKE-256s-simple (SPHINCS+ 3.1, the submission FIPS 205 SLH-DSA grew from; not interoperable with SLH-DSA; liboqs).
        SPHINCS_PLUS_SHAKE_256S_SIMPLE = 0xfe2b, "SPHINCS+-SHAKE-256s-simple";
        /// MAYO-1 (NIST additional signatures, round 2; liboqs).
        MAYO_1 = 0xfe30, "MAYO-1";
        /// MAYO-2 (NIST additional signatures, round 2; liboqs).
        MAYO_2 = 0xfe31, "MAYO-2";
        /// MAYO-3 (NIST additional signatures, round 2; liboqs).
        MAYO_3 = 0xfe32, "MAYO-3";
        /// MAYO-5 (NIST additional signatures, round 2; liboqs).
        MAYO_5 = 0xfe33, "MAYO-5";
        /// CROSS-R-SDP 128 balanced (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_128_BALANCED = 0xfe40, "cross-rsdp-128-balanced";
        /// CROSS-R-SDP 128 fast (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_128_FAST = 0xfe41, "cross-rsdp-128-fast";
        /// CROSS-R-SDP 128 small (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_128_SMALL = 0xfe42, "cross-rsdp-128-small";
        /// CROSS-R-SDP 192 balanced (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_192_BALANCED = 0xfe43, "cross-rsdp-192-balanced";
        /// CROSS-R-SDP 192 fast (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_192_FAST = 0xfe44, "cross-rsdp-192-fast";
        /// CROSS-R-SDP 192 small (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_192_SMALL = 0xfe45, "cross-rsdp-192-small";
        /// CROSS-R-SDP 256 balanced (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_256_BALANCED = 0xfe46, "cross-rsdp-256-balanced";
        /// CROSS-R-SDP 256 fast (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_256_FAST = 0xfe47, "cross-rsdp-256-fast";
        /// CROSS-R-SDP 256 small (NIST additional signatures, round 2; liboqs).
        CROSS_RSDP_256_SMALL = 0xfe48, "cross-rsdp-256-small";
        /// CROSS-R-SDP(G) 128 balanced (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_128_BALANCED = 0xfe50, "cross-rsdpg-128-balanced";
        /// CROSS-R-SDP(G) 128 fast (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_128_FAST = 0xfe51, "cross-rsdpg-128-fast";
        /// CROSS-R-SDP(G) 128 small (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_128_SMALL = 0xfe52, "cross-rsdpg-128-small";
        /// CROSS-R-SDP(G) 192 balanced (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_192_BALANCED = 0xfe53, "cross-rsdpg-192-balanced";
        /// CROSS-R-SDP(G) 192 fast (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_192_FAST = 0xfe54, "cross-rsdpg-192-fast";
        /// CROSS-R-SDP(G) 192 small (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_192_SMALL = 0xfe55, "cross-rsdpg-192-small";
        /// CROSS-R-SDP(G) 256 balanced (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_256_BALANCED = 0xfe56, "cross-rsdpg-256-balanced";
        /// CROSS-R-SDP(G) 256 fast (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_256_FAST = 0xfe57, "cross-rsdpg-256-fast";
        /// CROSS-R-SDP(G) 256 small (NIST additional signatures, round 2; liboqs).
        CROSS_RSDPG_256_SMALL = 0xfe58, "cross-rsdpg-256-small";
        /// UOV OV-Is (NIST additional signatures, round 2; liboqs).
        UOV_IS = 0xfe60, "OV-Is";
        /// UOV OV-Ip (NIST additional signatures, round 2; liboqs).
        UOV_IP = 0xfe61, "OV-Ip";
        /// UOV OV-III (NIST additional signatures, round 2; liboqs).
        UOV_III = 0xfe62, "OV-III";
        /// UOV OV-V (NIST additional signatures, round 2; liboqs).
        UOV_V = 0xfe63, "OV-V";
        /// UOV OV-Is-pkc (NIST additional signatures, round 2; liboqs).
        UOV_IS_PKC = 0xfe64, "OV-Is-pkc";
        /// UOV OV-Ip-pkc (NIST additional signatures, round 2; liboqs).
        UOV_IP_PKC = 0xfe65, "OV-Ip-pkc";
        /// UOV OV-III-pkc (NIST additional signatures, round 2; liboqs).
        UOV_III_PKC = 0xfe66, "OV-III-pkc";
        /// UOV OV-V-pkc (NIST additional signatures, round 2; liboqs).
        UOV_V_PKC = 0xfe67, "OV-V-pkc";
        /// UOV OV-Is-pkc-skc (NIST additional signatures, round 2; liboqs).
        UOV_IS_PKC_SKC = 0xfe68, "OV-Is-pkc-skc";
        /// UOV OV-Ip-pkc-skc (NIST additional signatures, round 2; liboqs).
        UOV_IP_PKC_SKC = 0xfe69, "OV-Ip-pkc-skc";
        /// UOV OV-III-pkc-skc (NIST additional signatures, round 2; liboqs).
        UOV_III_PKC_SKC = 0xfe6a, "OV-III-pkc-skc";
        /// UOV OV-V-pkc-skc (NIST additional signatures, round 2; liboqs).
        UOV_V_PKC_SKC = 0xfe6b, "OV-V-pkc-skc";
    }
}

define_ids! {
    /// AEAD id (IANA HPKE AEAD registry; qres private range for the legacy scheme).
    AeadId, AlgorithmKind::Aead, "AEAD",
    {
        /// AES-128-GCM (for HPKE interoperability; the envelope format uses AES-256-GCM).
        AES_128_GCM = 0x0001, "AES-128-GCM";
        /// AES-256-GCM.
        AES_256_GCM = 0x0002, "AES-256-GCM";
        /// ChaCha20-Poly1305, RFC 8439 (for HPKE interoperability).
        CHACHA20_POLY1305 = 0x0003, "ChaCha20-Poly1305";
        /// HPKE's export-only mode: no AEAD, only the secret exporter (RFC 9180 §5.3).
        EXPORT_ONLY = 0xffff, "Export-only";
        /// AES-256-CBC with HMAC-SHA256, encrypt-then-MAC: the legacy scheme of the original proof of
        /// concept. Never a default.
        AES_256_CBC_HMAC_SHA256 = 0xfe01, "AES-256-CBC-HMAC-SHA256";
    }
}

define_ids! {
    /// Key derivation function id (IANA HPKE KDF registry).
    KdfId, AlgorithmKind::Kdf, "KDF",
    {
        /// HKDF with SHA-256, RFC 5869.
        HKDF_SHA256 = 0x0001, "HKDF-SHA256";
        /// HKDF with SHA-384.
        HKDF_SHA384 = 0x0002, "HKDF-SHA384";
        /// HKDF with SHA-512.
        HKDF_SHA512 = 0x0003, "HKDF-SHA512";
    }
}

define_ids! {
    /// Hash function id (multiformats multicodec codes).
    HashId, AlgorithmKind::Hash, "hash",
    {
        /// SHA-256.
        SHA2_256 = 0x0012, "SHA-256";
        /// SHA-384.
        SHA2_384 = 0x0020, "SHA-384";
        /// SHA-512.
        SHA2_512 = 0x0013, "SHA-512";
        /// SHA3-256, FIPS 202.
        SHA3_256 = 0x0016, "SHA3-256";
        /// SHA3-384, FIPS 202.
        SHA3_384 = 0x0015, "SHA3-384";
        /// SHA3-512, FIPS 202.
        SHA3_512 = 0x0014, "SHA3-512";
    }
}

define_ids! {
    /// Message authentication code id (qres private range: no public registry covers these).
    MacId, AlgorithmKind::Mac, "MAC",
    {
        /// HMAC-SHA256, RFC 2104 / FIPS 198-1.
        HMAC_SHA256 = 0xfe01, "HMAC-SHA256";
        /// HMAC-SHA3-256, FIPS 198-1 with FIPS 202.
        HMAC_SHA3_256 = 0xfe02, "HMAC-SHA3-256";
    }
}

define_ids! {
    /// Diffie-Hellman group id (IANA TLS Supported Groups registry).
    GroupId, AlgorithmKind::KeyAgreement, "group",
    {
        /// X25519, RFC 7748.
        X25519 = 0x001d, "X25519";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_codepoints_are_the_published_ones() {
        assert_eq!(KemId::ML_KEM_512.value(), 0x0040);
        assert_eq!(KemId::ML_KEM_768.value(), 0x0041);
        assert_eq!(KemId::ML_KEM_1024.value(), 0x0042);
        assert_eq!(KemId::X_WING.value(), 0x647a);
        assert_eq!(KemId::DHKEM_X25519_HKDF_SHA256.value(), 0x0020);
        assert_eq!(KdfId::HKDF_SHA256.value(), 0x0001);
        assert_eq!(AeadId::AES_256_GCM.value(), 0x0002);
        assert_eq!(SignatureId::ML_DSA_44.value(), 0x0904);
        assert_eq!(GroupId::X25519.value(), 0x001d);
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        fn check<T: Copy + Eq + core::fmt::Debug>(known: &[(T, &str)], from: impl Fn(&str) -> Option<T>) {
            for (i, (id, name)) in known.iter().enumerate() {
                assert_eq!(from(name), Some(*id));
                for (other, other_name) in &known[i + 1..] {
                    assert_ne!(id, other, "duplicate id");
                    assert_ne!(name, other_name, "duplicate name");
                }
            }
        }
        check(KemId::KNOWN, KemId::from_name);
        check(SignatureId::KNOWN, SignatureId::from_name);
        check(AeadId::KNOWN, AeadId::from_name);
        check(KdfId::KNOWN, KdfId::from_name);
        check(HashId::KNOWN, HashId::from_name);
        check(MacId::KNOWN, MacId::from_name);
        check(GroupId::KNOWN, GroupId::from_name);
    }

    #[test]
    fn liboqs_only_algorithms_use_the_private_range_and_liboqs_names() {
        let standard_kems =
            [KemId::DHKEM_X25519_HKDF_SHA256, KemId::ML_KEM_512, KemId::ML_KEM_768, KemId::ML_KEM_1024, KemId::X_WING];
        let private: Vec<_> = KemId::KNOWN.iter().filter(|(id, _)| !standard_kems.contains(id)).collect();
        assert_eq!(private.len(), 26);
        assert!(private.iter().all(|(id, _)| id.is_private()));
        let private: Vec<_> = SignatureId::KNOWN.iter().filter(|(id, _)| id.value() >= PRIVATE_RANGE_START).collect();
        assert_eq!(private.len(), 53);
        assert_eq!(
            SignatureId::from_name("sphincs+-sha2-128f-simple"),
            Some(SignatureId::SPHINCS_PLUS_SHA2_128F_SIMPLE)
        );
        assert_eq!(KemId::from_name("Classic-McEliece-348864"), Some(KemId::CLASSIC_MCELIECE_348864));
        assert_eq!(SignatureId::UOV_III_PKC_SKC.to_string(), "OV-III-pkc-skc");
    }

    #[test]
    fn unknown_ids_display_their_value() {
        assert_eq!(KemId(0x1234).name(), None);
        assert_eq!(format!("{}", AeadId(0x00ff)), "AEAD 0x00ff");
        assert_eq!(format!("{:?}", KemId::X_WING), "KemId(X-Wing = 0x647a)");
        assert!(AeadId::AES_256_CBC_HMAC_SHA256.is_private());
        assert!(KemId::HQC_128.is_private() && SignatureId::FALCON_512.is_private());
        assert!(!AeadId::AES_256_GCM.is_private());
    }
}
