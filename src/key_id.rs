//! Key identifiers: a fingerprint of a public key.
//!
//! `KeyId = SHA3-256("qres key id v1" || family || alg_id || len || public_key)[0..16]`, where `family` is one
//! byte (1 = KEM, 2 = signature, 3 = key agreement), `alg_id` the 16-bit algorithm id and `len` the public
//! key length, both big-endian (u16 and u32). The id is computed with the `sha3` crate directly rather than
//! through a [`Provider`](crate::Provider), so it is the same whatever backend made the key. It names keys;
//! it is not a security boundary (128 bits are ample against accidental collisions).

use core::fmt;
use sha3::{Digest, Sha3_256};

/// Length of a [`KeyId`] in bytes.
pub const KEY_ID_LEN: usize = 16;

const LABEL: &[u8] = b"qres key id v1";

/// A 16-byte fingerprint of a public key, shown as lowercase hex.
///
/// ```
/// use qres::{default_provider, KemId, OsRng};
/// let kem = default_provider().kem(KemId::X_WING).unwrap();
/// let sk = kem.generate(&mut OsRng).unwrap();
/// assert_eq!(sk.key_id(), sk.public_key().key_id());
/// assert_eq!(sk.key_id().to_string().len(), 32);
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

/// Which kind of public key a [`KeyId`] was computed over.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Kem = 1,
    Signature = 2,
    KeyAgreement = 3,
}

impl KeyId {
    pub(crate) fn compute(family: KeyFamily, alg: u16, public_key: &[u8]) -> Self {
        let mut h = Sha3_256::new();
        h.update(LABEL);
        h.update([family as u8]);
        h.update(alg.to_be_bytes());
        // Public keys are at most a few MiB (Classic McEliece); u32 is ample.
        h.update((public_key.len() as u32).to_be_bytes());
        h.update(public_key);
        let digest = h.finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        Self(id)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_depends_on_every_input() {
        let base = KeyId::compute(KeyFamily::Kem, 0x41, b"pk");
        assert_ne!(base, KeyId::compute(KeyFamily::Signature, 0x41, b"pk"));
        assert_ne!(base, KeyId::compute(KeyFamily::Kem, 0x42, b"pk"));
        assert_ne!(base, KeyId::compute(KeyFamily::Kem, 0x41, b"pK"));
        assert_eq!(base, KeyId::compute(KeyFamily::Kem, 0x41, b"pk"));
    }

    #[test]
    fn known_answer() {
        // SHA3-256("qres key id v1" || 01 || 0041 || 00000002 || "pk")[..16], computed independently with
        // Python's hashlib.sha3_256.
        let id = KeyId::compute(KeyFamily::Kem, 0x41, b"pk");
        assert_eq!(id.to_string(), KNOWN_ANSWER);
    }

    const KNOWN_ANSWER: &str = "f6b08d6e4f5abb07decea8d398212855";
}
