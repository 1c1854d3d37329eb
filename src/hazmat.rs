//! Hazardous building blocks, exposed for known-answer tests and interoperability.
//!
//! Nothing here authenticates anything. Unauthenticated CBC is malleable and, combined with a decryption
//! error channel, a padding oracle. Use [`Aead`](crate::Aead) implementations instead.

use crate::error::Result;

/// Raw AES-256-CBC, as used inside the legacy AES-256-CBC-HMAC-SHA256 scheme.
pub mod aes_cbc {
    use super::Result;
    use crate::backend::default::cbc_hmac;

    /// Encrypts whole blocks in place without padding (NIST SP 800-38A CBC).
    pub fn encrypt_blocks(key: &[u8], iv: &[u8], buffer: &mut [u8]) -> Result<()> {
        cbc_hmac::cbc_no_padding(key, iv, buffer, true)
    }

    /// Decrypts whole blocks in place without padding.
    pub fn decrypt_blocks(key: &[u8], iv: &[u8], buffer: &mut [u8]) -> Result<()> {
        cbc_hmac::cbc_no_padding(key, iv, buffer, false)
    }

    /// Encrypts with PKCS#7 padding; `buffer` grows by 1 to 16 bytes.
    pub fn encrypt_pkcs7(key: &[u8], iv: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        cbc_hmac::cbc_encrypt_pkcs7(key, iv, buffer)
    }

    /// Decrypts and removes PKCS#7 padding; a bad length or padding is
    /// [`Error::AuthenticationFailed`](crate::Error::AuthenticationFailed).
    pub fn decrypt_pkcs7(key: &[u8], iv: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        cbc_hmac::cbc_decrypt_pkcs7(key, iv, buffer)
    }
}
