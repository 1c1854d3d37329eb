//! AES-128-GCM, AES-256-GCM (RustCrypto `aes-gcm`, with the `aes` crate's run-time selected AES-NI /
//! VAES code) and ChaCha20-Poly1305 (RustCrypto `chacha20poly1305`), behind one generic adapter.
//!
//! 96-bit nonces and 128-bit tags only (NIST SP 800-38D's recommended parameters for GCM, and the only ones
//! RFC 8439 defines); other nonce lengths are a typed error rather than GHASH-derived counters.

use crate::alg::AeadId;
use crate::error::{Error, Result, check_len};
use crate::primitives::BackendToken;
use crate::primitives::aead::{Aead, AeadCipher, AeadKey, discard};
use aes_gcm::aead::array::Array;
use aes_gcm::aead::{AeadCore, AeadInOut, KeyInit};
use aes_gcm::aes::cipher::consts::{U12, U16};
use zeroize::Zeroize;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A RustCrypto AEAD `C` (96-bit nonce, 128-bit tag) as an [`Aead`].
pub struct RustCryptoAead<C> {
    id: AeadId,
    name: &'static str,
    nonce_name: &'static str,
    key_len: usize,
    _cipher: core::marker::PhantomData<fn() -> C>,
}

/// AES-128-GCM.
pub static AES_128_GCM: RustCryptoAead<aes_gcm::Aes128Gcm> = RustCryptoAead {
    id: AeadId::AES_128_GCM,
    name: "AES-128-GCM key",
    nonce_name: "AES-128-GCM nonce",
    key_len: 16,
    _cipher: core::marker::PhantomData,
};
/// AES-256-GCM.
pub static AES_256_GCM: RustCryptoAead<aes_gcm::Aes256Gcm> = RustCryptoAead {
    id: AeadId::AES_256_GCM,
    name: "AES-256-GCM key",
    nonce_name: "AES-256-GCM nonce",
    key_len: 32,
    _cipher: core::marker::PhantomData,
};
/// ChaCha20-Poly1305 (RFC 8439).
pub static CHACHA20_POLY1305: RustCryptoAead<chacha20poly1305::ChaCha20Poly1305> = RustCryptoAead {
    id: AeadId::CHACHA20_POLY1305,
    name: "ChaCha20-Poly1305 key",
    nonce_name: "ChaCha20-Poly1305 nonce",
    key_len: 32,
    _cipher: core::marker::PhantomData,
};

struct Keyed<C> {
    cipher: C,
    name: &'static str,
}

fn nonce(name: &'static str, bytes: &[u8]) -> Result<Array<u8, U12>> {
    check_len(name, NONCE_LEN, bytes.len())?;
    Array::try_from(bytes).map_err(|_| Error::Backend("nonce conversion"))
}

impl<C> Aead for RustCryptoAead<C>
where
    C: AeadInOut + AeadCore<NonceSize = U12, TagSize = U16> + KeyInit + Send + Sync + 'static,
{
    fn id(&self) -> AeadId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "RustCrypto"
    }

    fn key_len(&self) -> usize {
        self.key_len
    }

    fn nonce_len(&self) -> usize {
        NONCE_LEN
    }

    fn tag_len(&self) -> usize {
        TAG_LEN
    }

    fn new_key(&'static self, key: &[u8]) -> Result<AeadKey> {
        check_len(self.name, self.key_len, key.len())?;
        let cipher = C::new_from_slice(key).map_err(|_| Error::Backend("AEAD key setup"))?;
        Ok(AeadKey::from_parts(self, Box::new(Keyed { cipher, name: self.nonce_name }), BackendToken::new()))
    }
}

impl<C> AeadCipher for Keyed<C>
where
    C: AeadInOut + AeadCore<NonceSize = U12, TagSize = U16> + Send + Sync,
{
    fn seal_in_place(&self, nonce_bytes: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        let n = nonce(self.name, nonce_bytes)?;
        let tag = self
            .cipher
            .encrypt_inout_detached(&n, aad, buffer.as_mut_slice().into())
            .map_err(|_| Error::InvalidInput("AEAD message or associated data too long"))?;
        buffer.extend_from_slice(&tag);
        Ok(())
    }

    fn open_in_place(&self, nonce_bytes: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        let n = nonce(self.name, nonce_bytes)?;
        if buffer.len() < TAG_LEN {
            discard(buffer);
            return Err(Error::AuthenticationFailed);
        }
        let split = buffer.len() - TAG_LEN;
        let tag = Array::<u8, U16>::try_from(&buffer[split..]).map_err(|_| Error::Backend("tag conversion"))?;
        buffer.truncate(split);
        match self.cipher.decrypt_inout_detached(&n, aad, buffer.as_mut_slice().into(), &tag) {
            Ok(()) => Ok(()),
            Err(_) => {
                discard(buffer);
                Err(Error::AuthenticationFailed)
            }
        }
    }

    fn seal_in_place_detached(&self, nonce_bytes: &[u8], aad: &[u8], buffer: &mut [u8], tag: &mut [u8]) -> Result<()> {
        let n = nonce(self.name, nonce_bytes)?;
        check_len("AEAD tag buffer", TAG_LEN, tag.len())?;
        let t = self
            .cipher
            .encrypt_inout_detached(&n, aad, buffer.into())
            .map_err(|_| Error::InvalidInput("AEAD message or associated data too long"))?;
        tag.copy_from_slice(&t);
        Ok(())
    }

    fn open_in_place_detached(&self, nonce_bytes: &[u8], aad: &[u8], buffer: &mut [u8], tag: &[u8]) -> Result<()> {
        let n = nonce(self.name, nonce_bytes)?;
        let Ok(t) = Array::<u8, U16>::try_from(tag) else {
            buffer.zeroize();
            return Err(Error::AuthenticationFailed);
        };
        match self.cipher.decrypt_inout_detached(&n, aad, buffer.into(), &t) {
            Ok(()) => Ok(()),
            Err(_) => {
                buffer.zeroize();
                Err(Error::AuthenticationFailed)
            }
        }
    }
}
