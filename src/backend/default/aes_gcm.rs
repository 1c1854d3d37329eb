//! AES-256-GCM on RustCrypto's `aes-gcm` (with the `aes` crate's run-time selected AES-NI / VAES code).
//!
//! 96-bit nonces and 128-bit tags only (NIST SP 800-38D's recommended parameters); other nonce lengths are
//! a typed error rather than GHASH-derived counters.

use crate::alg::AeadId;
use crate::error::{Error, Result, check_len};
use crate::primitives::aead::{Aead, AeadCipher, AeadKey, discard};
use aes_gcm::aead::{AeadInOut, KeyInit};
use zeroize::Zeroize;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// AES-256-GCM.
pub struct Aes256Gcm;

/// AES-256-GCM.
pub static AES_256_GCM: Aes256Gcm = Aes256Gcm;

struct Keyed(aes_gcm::Aes256Gcm);

fn nonce(bytes: &[u8]) -> Result<aes_gcm::Nonce<aes_gcm::aes::cipher::consts::U12>> {
    check_len("AES-256-GCM nonce", NONCE_LEN, bytes.len())?;
    aes_gcm::Nonce::try_from(bytes).map_err(|_| Error::Backend("AES-GCM nonce conversion"))
}

impl Aead for Aes256Gcm {
    fn id(&self) -> AeadId {
        AeadId::AES_256_GCM
    }

    fn implementation(&self) -> &'static str {
        "RustCrypto"
    }

    fn key_len(&self) -> usize {
        KEY_LEN
    }

    fn nonce_len(&self) -> usize {
        NONCE_LEN
    }

    fn tag_len(&self) -> usize {
        TAG_LEN
    }

    fn new_key(&'static self, key: &[u8]) -> Result<AeadKey> {
        check_len("AES-256-GCM key", KEY_LEN, key.len())?;
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(key).map_err(|_| Error::Backend("AES-GCM key setup"))?;
        Ok(AeadKey::from_parts(self, Box::new(Keyed(cipher))))
    }
}

impl AeadCipher for Keyed {
    fn seal_in_place(&self, nonce_bytes: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        let n = nonce(nonce_bytes)?;
        let tag = self
            .0
            .encrypt_inout_detached(&n, aad, buffer.as_mut_slice().into())
            .map_err(|_| Error::InvalidInput("AES-GCM message or associated data too long"))?;
        buffer.extend_from_slice(&tag);
        Ok(())
    }

    fn open_in_place(&self, nonce_bytes: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        let n = nonce(nonce_bytes)?;
        if buffer.len() < TAG_LEN {
            discard(buffer);
            return Err(Error::AuthenticationFailed);
        }
        let split = buffer.len() - TAG_LEN;
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&buffer[split..]);
        buffer.truncate(split);
        let tag = aes_gcm::Tag::from(tag);
        match self.0.decrypt_inout_detached(&n, aad, buffer.as_mut_slice().into(), &tag) {
            Ok(()) => Ok(()),
            Err(_) => {
                discard(buffer);
                Err(Error::AuthenticationFailed)
            }
        }
    }

    fn seal_in_place_detached(&self, nonce_bytes: &[u8], aad: &[u8], buffer: &mut [u8], tag: &mut [u8]) -> Result<()> {
        let n = nonce(nonce_bytes)?;
        check_len("AES-256-GCM tag buffer", TAG_LEN, tag.len())?;
        let t = self
            .0
            .encrypt_inout_detached(&n, aad, buffer.into())
            .map_err(|_| Error::InvalidInput("AES-GCM message or associated data too long"))?;
        tag.copy_from_slice(&t);
        Ok(())
    }

    fn open_in_place_detached(&self, nonce_bytes: &[u8], aad: &[u8], buffer: &mut [u8], tag: &[u8]) -> Result<()> {
        let n = nonce(nonce_bytes)?;
        let Ok(t) = <[u8; TAG_LEN]>::try_from(tag) else {
            buffer.zeroize();
            return Err(Error::AuthenticationFailed);
        };
        match self.0.decrypt_inout_detached(&n, aad, buffer.into(), &aes_gcm::Tag::from(t)) {
            Ok(()) => Ok(()),
            Err(_) => {
                buffer.zeroize();
                Err(Error::AuthenticationFailed)
            }
        }
    }
}
