//! AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 on aws-lc-rs (`aead::LessSafeKey`: AWS-LC's stitched
//! AES-NI/VAES + VPCLMULQDQ assembly, and its AVX2 ChaCha20-Poly1305).
//!
//! `LessSafeKey` is aws-lc-rs' name for "the caller supplies the nonce", which is what the [`Aead`] trait
//! defines (the envelope layer derives unique nonces). 96-bit nonces and 128-bit tags only, as in the
//! default backend. The key schedule lives in AWS-LC's memory, which AWS-LC cleanses when the key is
//! freed (`OPENSSL_free`).

use crate::alg::AeadId;
use crate::error::{Error, Result, check_len};
use crate::primitives::BackendToken;
use crate::primitives::aead::{Aead, AeadCipher, AeadKey, discard};
use aws_lc_rs::aead::{self as lc, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroize;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// An aws-lc-rs AEAD algorithm as an [`Aead`].
pub struct AwsLcAead {
    id: AeadId,
    algorithm: &'static lc::Algorithm,
    key_name: &'static str,
    nonce_name: &'static str,
    key_len: usize,
}

/// AES-128-GCM.
pub static AES_128_GCM: AwsLcAead = AwsLcAead {
    id: AeadId::AES_128_GCM,
    algorithm: &lc::AES_128_GCM,
    key_name: "AES-128-GCM key",
    nonce_name: "AES-128-GCM nonce",
    key_len: 16,
};
/// AES-256-GCM.
pub static AES_256_GCM: AwsLcAead = AwsLcAead {
    id: AeadId::AES_256_GCM,
    algorithm: &lc::AES_256_GCM,
    key_name: "AES-256-GCM key",
    nonce_name: "AES-256-GCM nonce",
    key_len: 32,
};
/// ChaCha20-Poly1305 (RFC 8439).
pub static CHACHA20_POLY1305: AwsLcAead = AwsLcAead {
    id: AeadId::CHACHA20_POLY1305,
    algorithm: &lc::CHACHA20_POLY1305,
    key_name: "ChaCha20-Poly1305 key",
    nonce_name: "ChaCha20-Poly1305 nonce",
    key_len: 32,
};

struct Keyed {
    key: LessSafeKey,
    nonce_name: &'static str,
}

impl Keyed {
    fn nonce(&self, bytes: &[u8]) -> Result<Nonce> {
        check_len(self.nonce_name, NONCE_LEN, bytes.len())?;
        Nonce::try_assume_unique_for_key(bytes).map_err(|_| Error::Backend("nonce conversion"))
    }
}

impl Aead for AwsLcAead {
    fn id(&self) -> AeadId {
        self.id
    }

    fn implementation(&self) -> &'static str {
        "aws-lc-rs"
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
        check_len(self.key_name, self.key_len, key.len())?;
        let unbound = UnboundKey::new(self.algorithm, key).map_err(|_| Error::Backend("AEAD key setup"))?;
        Ok(AeadKey::from_parts(
            self,
            Box::new(Keyed { key: LessSafeKey::new(unbound), nonce_name: self.nonce_name }),
            BackendToken::new(),
        ))
    }
}

impl AeadCipher for Keyed {
    fn seal_in_place(&self, nonce: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        let n = self.nonce(nonce)?;
        let tag = self
            .key
            .seal_in_place_separate_tag(n, Aad::from(aad), buffer.as_mut_slice())
            .map_err(|_| Error::InvalidInput("AEAD message or associated data too long"))?;
        buffer.extend_from_slice(tag.as_ref());
        Ok(())
    }

    fn open_in_place(&self, nonce: &[u8], aad: &[u8], buffer: &mut Vec<u8>) -> Result<()> {
        let n = self.nonce(nonce)?;
        if buffer.len() < TAG_LEN {
            discard(buffer);
            return Err(Error::AuthenticationFailed);
        }
        let split = buffer.len() - TAG_LEN;
        let (ct, tag) = buffer.split_at_mut(split);
        match self.key.open_in_place_separate_tag(n, Aad::from(aad), tag, ct) {
            Ok(_) => {
                buffer.truncate(split);
                Ok(())
            }
            Err(_) => {
                discard(buffer);
                Err(Error::AuthenticationFailed)
            }
        }
    }

    fn seal_in_place_detached(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8], tag: &mut [u8]) -> Result<()> {
        let n = self.nonce(nonce)?;
        check_len("AEAD tag buffer", TAG_LEN, tag.len())?;
        let t = self
            .key
            .seal_in_place_separate_tag(n, Aad::from(aad), buffer)
            .map_err(|_| Error::InvalidInput("AEAD message or associated data too long"))?;
        tag.copy_from_slice(t.as_ref());
        Ok(())
    }

    fn open_in_place_detached(&self, nonce: &[u8], aad: &[u8], buffer: &mut [u8], tag: &[u8]) -> Result<()> {
        let n = self.nonce(nonce)?;
        if tag.len() != TAG_LEN {
            buffer.zeroize();
            return Err(Error::AuthenticationFailed);
        }
        match self.key.open_in_place_separate_tag(n, Aad::from(aad), tag, buffer) {
            Ok(_) => Ok(()),
            Err(_) => {
                buffer.zeroize();
                Err(Error::AuthenticationFailed)
            }
        }
    }
}
