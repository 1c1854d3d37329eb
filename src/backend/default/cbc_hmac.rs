//! AES-256-CBC + HMAC-SHA256, encrypt-then-MAC: the legacy scheme of the original proof of concept.
//!
//! Kept so that data sealed by the original system stays readable; never a default.
//!
//! * Key: 64 bytes, `enc_key (32) || mac_key (32)`: separate keys for encryption and authentication.
//! * Nonce: the 16-byte CBC IV, which must be unpredictable (random) for every message.
//! * Seal: `ct = AES-256-CBC(enc_key, iv, PKCS#7(pt))`, then
//!   `tag = HMAC-SHA256(mac_key, be64(16) || iv || be64(|ct|) || ct || be64(|aad|) || aad)`;
//!   the output is `ct || tag` (32-byte tag).
//! * Open: the length is checked, the tag is verified in constant time *before* anything is decrypted,
//!   and only then is the ciphertext decrypted and unpadded. A padding failure (possible only for data
//!   that a key holder authenticated) returns the same [`Error::AuthenticationFailed`] as a bad tag, so
//!   there is no padding oracle.
//!
//! Built from RustCrypto's `aes`, `cbc` and `hmac` crates; only the composition is written here.

use crate::alg::AeadId;
use crate::error::{Error, Result, check_len};
use crate::primitives::BackendToken;
use crate::primitives::aead::{Aead, AeadCipher, AeadKey, discard};
use crate::secret::SecretBytes;
use cbc::cipher::block_padding::{NoPadding, Pkcs7};
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const KEY_LEN: usize = 64;
const IV_LEN: usize = 16;
const BLOCK: usize = 16;
const TAG_LEN: usize = 32;

/// AES-256-CBC-HMAC-SHA256 (legacy).
pub struct Aes256CbcHmacSha256;

/// AES-256-CBC-HMAC-SHA256 (legacy).
pub static AES_256_CBC_HMAC_SHA256: Aes256CbcHmacSha256 = Aes256CbcHmacSha256;

struct Keyed {
    enc_key: SecretBytes,
    mac_key: SecretBytes,
}

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

fn arrays<'a>(key: &'a [u8], iv: &'a [u8]) -> Result<(&'a [u8; 32], &'a [u8; IV_LEN])> {
    let key: &[u8; 32] =
        key.try_into().map_err(|_| Error::InvalidLength { what: "AES-256 key", expected: 32, actual: key.len() })?;
    let iv: &[u8; IV_LEN] =
        iv.try_into().map_err(|_| Error::InvalidLength { what: "AES-CBC IV", expected: IV_LEN, actual: iv.len() })?;
    Ok((key, iv))
}

/// AES-256-CBC with PKCS#7 padding, in place: `buffer` holds the plaintext and grows by the padding.
pub(crate) fn cbc_encrypt_pkcs7(key: &[u8], iv: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
    let (key, iv) = arrays(key, iv)?;
    let msg_len = buffer.len();
    buffer.resize(msg_len + BLOCK - msg_len % BLOCK, 0);
    let enc = Enc::new(key.into(), iv.into());
    let written = enc.encrypt_padded::<Pkcs7>(buffer, msg_len).map_err(|_| Error::Backend("CBC padding"))?.len();
    buffer.truncate(written);
    Ok(())
}

/// AES-256-CBC with PKCS#7 padding, decrypted in place; a bad length or padding is
/// [`Error::AuthenticationFailed`] (the buffer is then cleared).
pub(crate) fn cbc_decrypt_pkcs7(key: &[u8], iv: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
    let (key, iv) = arrays(key, iv)?;
    if buffer.is_empty() || !buffer.len().is_multiple_of(BLOCK) {
        discard(buffer);
        return Err(Error::AuthenticationFailed);
    }
    let dec = Dec::new(key.into(), iv.into());
    match dec.decrypt_padded::<Pkcs7>(buffer) {
        Ok(pt) => {
            let n = pt.len();
            buffer.truncate(n);
            Ok(())
        }
        Err(_) => {
            discard(buffer);
            Err(Error::AuthenticationFailed)
        }
    }
}

/// AES-256-CBC without padding over whole blocks, in place (`encrypt` selects the direction).
#[cfg_attr(not(feature = "hazmat"), allow(dead_code))] // Reached through qres::hazmat::aes_cbc.
pub(crate) fn cbc_no_padding(key: &[u8], iv: &[u8], buffer: &mut [u8], encrypt: bool) -> Result<()> {
    let (key, iv) = arrays(key, iv)?;
    if !buffer.len().is_multiple_of(BLOCK) {
        return Err(Error::InvalidInput("AES-CBC without padding needs whole 16-byte blocks"));
    }
    let len = buffer.len();
    if encrypt {
        Enc::new(key.into(), iv.into())
            .encrypt_padded::<NoPadding>(buffer, len)
            .map(|_| ())
            .map_err(|_| Error::Backend("CBC block encryption"))
    } else {
        Dec::new(key.into(), iv.into())
            .decrypt_padded::<NoPadding>(buffer)
            .map(|_| ())
            .map_err(|_| Error::Backend("CBC block decryption"))
    }
}

impl Keyed {
    fn tag(&self, iv: &[u8], ct: &[u8], aad: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.mac_key.as_bytes())
            .expect("HMAC accepts keys of any length");
        for part in [iv, ct, aad] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl Aead for Aes256CbcHmacSha256 {
    fn id(&self) -> AeadId {
        AeadId::AES_256_CBC_HMAC_SHA256
    }

    fn implementation(&self) -> &'static str {
        "RustCrypto"
    }

    fn key_len(&self) -> usize {
        KEY_LEN
    }

    fn nonce_len(&self) -> usize {
        IV_LEN
    }

    fn tag_len(&self) -> usize {
        TAG_LEN
    }

    fn max_overhead(&self) -> usize {
        TAG_LEN + BLOCK
    }

    fn is_length_preserving(&self) -> bool {
        false
    }

    fn new_key(&'static self, key: &[u8]) -> Result<AeadKey> {
        check_len("AES-256-CBC-HMAC-SHA256 key (enc || mac)", KEY_LEN, key.len())?;
        let keyed =
            Keyed { enc_key: SecretBytes::from_slice(&key[..32]), mac_key: SecretBytes::from_slice(&key[32..]) };
        Ok(AeadKey::from_parts(self, Box::new(keyed), BackendToken::new()))
    }
}

impl AeadCipher for Keyed {
    fn seal_in_place(&self, iv: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        check_len("AES-CBC IV", IV_LEN, iv.len())?;
        cbc_encrypt_pkcs7(self.enc_key.as_bytes(), iv, buffer)?;
        let tag = self.tag(iv, buffer, aad);
        buffer.extend_from_slice(&tag);
        Ok(())
    }

    fn open_in_place(&self, iv: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        check_len("AES-CBC IV", IV_LEN, iv.len())?;
        if buffer.len() < TAG_LEN + BLOCK || !(buffer.len() - TAG_LEN).is_multiple_of(BLOCK) {
            discard(buffer);
            return Err(Error::AuthenticationFailed);
        }
        let split = buffer.len() - TAG_LEN;
        let expected = self.tag(iv, &buffer[..split], aad);
        if !bool::from(expected.ct_eq(&buffer[split..])) {
            discard(buffer);
            return Err(Error::AuthenticationFailed);
        }
        buffer.truncate(split);
        cbc_decrypt_pkcs7(self.enc_key.as_bytes(), iv, buffer)
    }
}
