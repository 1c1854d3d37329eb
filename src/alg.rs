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
    fn unknown_ids_display_their_value() {
        assert_eq!(KemId(0x1234).name(), None);
        assert_eq!(format!("{}", AeadId(0x00ff)), "AEAD 0x00ff");
        assert_eq!(format!("{:?}", KemId::X_WING), "KemId(X-Wing = 0x647a)");
        assert!(AeadId::AES_256_CBC_HMAC_SHA256.is_private());
        assert!(!AeadId::AES_256_GCM.is_private());
    }
}
