//! The [`Provider`]: which implementation serves which algorithm id.
//!
//! Modelled on rustls' `CryptoProvider`: a plain struct of lists of `&'static dyn` algorithm objects.
//! Backends are swapped or mixed by building a different value; the first entry with a matching id wins,
//! so list order is preference order.
//!
//! ```
//! use qres::{default_provider, KemId, Provider};
//! let p = default_provider();
//! assert_eq!(p.kem(KemId::X_WING)?.id(), KemId::X_WING);
//! assert!(p.kem(KemId(0x7777)).is_err());
//!
//! // A provider with only X-Wing, e.g. to pin what a service accepts.
//! let pinned = Provider { kems: vec![p.kem(KemId::X_WING)?], ..Provider::empty() };
//! assert!(pinned.kem(KemId::ML_KEM_768).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::{AeadId, GroupId, HashId, KdfId, KemId, MacId, SignatureId};
use crate::error::{AlgorithmKind, Error, Result};
use crate::primitives::{Aead, DhGroup, HashFunction, Kdf, Kem, Mac, SignatureScheme};
use core::fmt;

/// Implementations of every algorithm family, in preference order.
#[derive(Clone)]
pub struct Provider {
    /// Key encapsulation mechanisms.
    pub kems: Vec<&'static dyn Kem>,
    /// Signature schemes.
    pub signatures: Vec<&'static dyn SignatureScheme>,
    /// AEADs.
    pub aeads: Vec<&'static dyn Aead>,
    /// Key derivation functions.
    pub kdfs: Vec<&'static dyn Kdf>,
    /// Hash functions.
    pub hashes: Vec<&'static dyn HashFunction>,
    /// MACs.
    pub macs: Vec<&'static dyn Mac>,
    /// Diffie-Hellman groups.
    pub key_agreements: Vec<&'static dyn DhGroup>,
}

/// One row of [`Provider::algorithms`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmInfo {
    /// The family.
    pub kind: AlgorithmKind,
    /// The numeric id within the family.
    pub id: u16,
    /// The display name (or the hexadecimal id for unnamed algorithms).
    pub name: String,
    /// Which implementation serves it.
    pub implementation: &'static str,
}

fn find<T: ?Sized, I: PartialEq>(
    list: &[&'static T],
    id_of: impl Fn(&T) -> I,
    wanted: I,
    kind: AlgorithmKind,
    raw: u16,
) -> Result<&'static T> {
    list.iter().copied().find(|a| id_of(a) == wanted).ok_or(Error::UnknownAlgorithm { kind, id: raw })
}

impl Provider {
    /// A provider with no algorithms, to be filled field by field.
    pub fn empty() -> Self {
        Self {
            kems: Vec::new(),
            signatures: Vec::new(),
            aeads: Vec::new(),
            kdfs: Vec::new(),
            hashes: Vec::new(),
            macs: Vec::new(),
            key_agreements: Vec::new(),
        }
    }

    /// The preferred KEM with this id.
    pub fn kem(&self, id: KemId) -> Result<&'static dyn Kem> {
        find(&self.kems, |a| a.id(), id, AlgorithmKind::Kem, id.value())
    }

    /// The preferred signature scheme with this id.
    pub fn signature(&self, id: SignatureId) -> Result<&'static dyn SignatureScheme> {
        find(&self.signatures, |a| a.id(), id, AlgorithmKind::Signature, id.value())
    }

    /// The preferred AEAD with this id.
    pub fn aead(&self, id: AeadId) -> Result<&'static dyn Aead> {
        find(&self.aeads, |a| a.id(), id, AlgorithmKind::Aead, id.value())
    }

    /// The preferred KDF with this id.
    pub fn kdf(&self, id: KdfId) -> Result<&'static dyn Kdf> {
        find(&self.kdfs, |a| a.id(), id, AlgorithmKind::Kdf, id.value())
    }

    /// The preferred hash function with this id.
    pub fn hash(&self, id: HashId) -> Result<&'static dyn HashFunction> {
        find(&self.hashes, |a| a.id(), id, AlgorithmKind::Hash, id.value())
    }

    /// The preferred MAC with this id.
    pub fn mac(&self, id: MacId) -> Result<&'static dyn Mac> {
        find(&self.macs, |a| a.id(), id, AlgorithmKind::Mac, id.value())
    }

    /// The preferred key agreement with this id.
    pub fn key_agreement(&self, id: GroupId) -> Result<&'static dyn DhGroup> {
        find(&self.key_agreements, |a| a.id(), id, AlgorithmKind::KeyAgreement, id.value())
    }

    /// This provider with `preferred`'s algorithms put first: for every id that `preferred` serves, its
    /// implementation wins; everything else stays as it was. A way to build a mixed provider.
    pub fn prefer(mut self, preferred: &Provider) -> Self {
        fn front<T: ?Sized>(list: &mut Vec<&'static T>, first: &[&'static T]) {
            let mut merged = first.to_vec();
            merged.append(list);
            *list = merged;
        }
        front(&mut self.kems, &preferred.kems);
        front(&mut self.signatures, &preferred.signatures);
        front(&mut self.aeads, &preferred.aeads);
        front(&mut self.kdfs, &preferred.kdfs);
        front(&mut self.hashes, &preferred.hashes);
        front(&mut self.macs, &preferred.macs);
        front(&mut self.key_agreements, &preferred.key_agreements);
        self
    }

    /// Everything this provider offers, in preference order per family (first occurrence of an id is the
    /// one that lookups return).
    pub fn algorithms(&self) -> Vec<AlgorithmInfo> {
        let mut out = Vec::new();
        let mut push = |kind, id: u16, name: String, implementation| {
            out.push(AlgorithmInfo { kind, id, name, implementation });
        };
        for a in &self.kems {
            push(AlgorithmKind::Kem, a.id().value(), a.id().to_string(), a.implementation());
        }
        for a in &self.signatures {
            push(AlgorithmKind::Signature, a.id().value(), a.id().to_string(), a.implementation());
        }
        for a in &self.key_agreements {
            push(AlgorithmKind::KeyAgreement, a.id().value(), a.id().to_string(), a.implementation());
        }
        for a in &self.aeads {
            push(AlgorithmKind::Aead, a.id().value(), a.id().to_string(), a.implementation());
        }
        for a in &self.kdfs {
            push(AlgorithmKind::Kdf, a.id().value(), a.id().to_string(), a.implementation());
        }
        for a in &self.hashes {
            push(AlgorithmKind::Hash, a.id().value(), a.id().to_string(), a.implementation());
        }
        for a in &self.macs {
            push(AlgorithmKind::Mac, a.id().value(), a.id().to_string(), a.implementation());
        }
        out
    }
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.algorithms().iter().map(|a| format!("{} ({}, {})", a.name, a.kind, a.implementation)))
            .finish()
    }
}

/// The default provider: the pure-Rust backend (see [`crate::backend::default`]).
pub fn default_provider() -> Provider {
    crate::backend::default::provider()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ids_are_typed_errors() {
        let p = default_provider();
        assert_eq!(p.kem(KemId(1)).err(), Some(Error::UnknownAlgorithm { kind: AlgorithmKind::Kem, id: 1 }));
        assert!(matches!(p.signature(SignatureId(0xffff)), Err(Error::UnknownAlgorithm { id: 0xffff, .. })));
        assert!(p.aead(AeadId(0x00ff)).is_err());
        assert!(Provider::empty().hash(HashId::SHA3_256).is_err());
    }

    #[test]
    fn default_provider_serves_every_algorithm_of_the_foundation() {
        let p = default_provider();
        for id in [KemId::ML_KEM_512, KemId::ML_KEM_768, KemId::ML_KEM_1024, KemId::X_WING] {
            assert_eq!(p.kem(id).unwrap().id(), id);
        }
        for id in [SignatureId::ML_DSA_44, SignatureId::ML_DSA_65, SignatureId::ML_DSA_87] {
            assert_eq!(p.signature(id).unwrap().id(), id);
        }
        assert!(p.aead(AeadId::AES_256_GCM).is_ok());
        assert!(p.aead(AeadId::AES_256_CBC_HMAC_SHA256).is_ok());
        assert!(p.kdf(KdfId::HKDF_SHA256).is_ok());
        assert!(p.hash(HashId::SHA3_256).is_ok());
        assert!(p.hash(HashId::SHA2_256).is_ok());
        assert!(p.mac(MacId::HMAC_SHA256).is_ok());
        assert!(p.mac(MacId::HMAC_SHA3_256).is_ok());
        assert!(p.key_agreement(GroupId::X25519).is_ok());
        assert_eq!(p.algorithms().len(), 5 + 3 + 1 + 4 + 3 + 2 + 2);
    }

    #[test]
    fn list_order_is_preference_order() {
        let p = default_provider();
        let mut mixed = Provider::empty();
        mixed.kems = vec![p.kem(KemId::ML_KEM_768).unwrap(), p.kem(KemId::X_WING).unwrap()];
        assert_eq!(mixed.algorithms()[0].name, "ML-KEM-768");
        assert_eq!(mixed.kem(KemId::X_WING).unwrap().implementation(), p.kem(KemId::X_WING).unwrap().implementation());
    }
}

#[cfg(test)]
mod documented_algorithms {
    /// The algorithm lists of the crate docs, the README and `primitives` name every algorithm the default
    /// provider serves, so that they cannot drift from it again.
    #[test]
    fn every_default_algorithm_is_named_in_the_docs() {
        let docs = [
            ("src/lib.rs", include_str!("lib.rs")),
            ("README.md", include_str!("../README.md")),
            ("src/primitives/mod.rs", include_str!("primitives/mod.rs")),
        ];
        let names: Vec<String> = super::default_provider().algorithms().into_iter().map(|a| a.name).collect();
        assert!(names.len() >= 20, "{names:?}");
        for (file, text) in docs {
            let missing: Vec<&String> = names.iter().filter(|n| !text.contains(n.as_str())).collect();
            assert!(missing.is_empty(), "{file} does not name {missing:?}");
        }
    }
}
