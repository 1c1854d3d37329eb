//! Key derivation of the envelope format (FORMAT.md, "Key derivation" and "Payload").

use crate::envelope::header::{FILE_KEY_LEN, MAC_LEN};
use crate::error::Result;
use crate::primitives::HazmatToken;
use crate::primitives::Kdf;
use crate::secret::SecretBytes;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

/// HPKE `info` of every stanza.
pub const STANZA_INFO: &[u8] = b"qres envelope v1 file key";
/// HKDF salt of the file-key extraction.
pub const PRK_SALT: &[u8] = b"qres envelope v1";
/// ML-DSA context string of the sender signature.
pub const SIGNATURE_CONTEXT: &[u8] = b"qres envelope v1 sender";
/// Length of a chunk nonce.
pub const NONCE_LEN: usize = 12;

/// The HPKE key-schedule context of a stanza (base mode, `info` = [`STANZA_INFO`]): it depends only on
/// the suite, so it is computed once per suite and cached.
pub fn stanza_context(suite: &crate::hpke::Suite) -> Result<Vec<u8>> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<[u8; 10], Vec<u8>>>> = OnceLock::new();
    let id = suite.suite_id();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(ksc) = cache.lock().ok().and_then(|c| c.get(&id).cloned()) {
        return Ok(ksc);
    }
    let ksc = suite.key_schedule_context(crate::hpke::Mode::Base, STANZA_INFO, None, HazmatToken::new())?;
    if let Ok(mut c) = cache.lock() {
        c.insert(id, ksc.clone());
    }
    Ok(ksc)
}

/// The HPKE associated data of a stanza: `key_id || u32(key_version)`.
pub fn stanza_aad(key_id: &crate::KeyId, key_version: u32) -> [u8; 20] {
    let mut aad = [0u8; 20];
    aad[..16].copy_from_slice(key_id.as_bytes());
    aad[16..].copy_from_slice(&key_version.to_be_bytes());
    aad
}

/// `prk = Extract("qres envelope v1", file_key)`.
pub fn prk(kdf: &dyn Kdf, file_key: &[u8]) -> SecretBytes {
    debug_assert_eq!(file_key.len(), FILE_KEY_LEN);
    kdf.extract(PRK_SALT, &[file_key])
}

/// `mac_key = Expand(prk, "header mac", 32)`.
pub fn mac_key(kdf: &dyn Kdf, prk: &[u8]) -> Result<SecretBytes> {
    let mut k = SecretBytes::zeroed(MAC_LEN);
    kdf.expand(prk, &[b"header mac"], k.as_mut_bytes())?;
    Ok(k)
}

/// `HMAC-SHA256(mac_key, header_without_mac)`.
pub fn header_mac(mac_key: &[u8], header_without_mac: &[u8]) -> [u8; MAC_LEN] {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(mac_key).expect("HMAC takes any key length");
    mac.update(header_without_mac);
    mac.finalize().into_bytes().into()
}

/// Constant-time check of a header MAC.
pub fn verify_header_mac(mac_key: &[u8], header_without_mac: &[u8], mac: &[u8]) -> bool {
    let mut m = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(mac_key).expect("HMAC takes any key length");
    m.update(header_without_mac);
    m.verify_slice(mac).is_ok()
}

/// `SHA-256(header)` over the complete header, MAC included.
pub fn header_digest(header_without_mac: &[u8], mac: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(header_without_mac);
    h.update(mac);
    h.finalize().into()
}

/// `payload_key = Expand(prk, "payload key" || header_digest, len)`.
pub fn payload_key(kdf: &dyn Kdf, prk: &[u8], digest: &[u8; 32], len: usize) -> Result<SecretBytes> {
    let mut k = SecretBytes::zeroed(len);
    kdf.expand(prk, &[b"payload key", digest], k.as_mut_bytes())?;
    Ok(k)
}

/// `iv = Expand(prk, "legacy iv" || header_digest, 16)` for the legacy CBC payload.
pub fn legacy_iv(kdf: &dyn Kdf, prk: &[u8], digest: &[u8; 32]) -> Result<[u8; 16]> {
    let mut iv = [0u8; 16];
    kdf.expand(prk, &[b"legacy iv", digest], &mut iv)?;
    Ok(iv)
}

/// The nonce of chunk `index`: an 11-byte big-endian counter and the last-chunk flag.
pub fn chunk_nonce(index: u128, last: bool) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[..11].copy_from_slice(&index.to_be_bytes()[5..]);
    n[11] = u8::from(last);
    n
}

/// Largest chunk index the 11-byte counter can hold.
pub const MAX_CHUNK_INDEX: u128 = (1 << 88) - 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces() {
        assert_eq!(chunk_nonce(0, true), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(chunk_nonce(0x0102, false), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0]);
        assert_eq!(chunk_nonce(MAX_CHUNK_INDEX, false)[..11], [0xff; 11]);
    }
}
