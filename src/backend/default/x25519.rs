//! X25519 (RFC 7748).
//!
//! Two well-reviewed implementations, each used where it measured fastest here (BENCHMARKS.md):
//! * fixed-base multiplication (public key from secret key) by curve25519-dalek, whose precomputed
//!   Edwards tables make it about 2.5x faster than a Montgomery ladder;
//! * variable-base multiplication (the shared secret) by libcrux-curve25519, the formally verified
//!   HACL* ladder, about 1.4x faster than dalek's.
//!
//! Both clamp the scalar and mask the top bit of the u-coordinate as RFC 7748 requires.

use crate::alg::GroupId;
use crate::error::{Error, Result, check_len};
use crate::primitives::dh::{DhGroup, DhPublicKey, DhSecretKey};
use crate::primitives::{BackendToken, HazmatToken};
use crate::secret::{SecretBytes, SharedSecret};
use zeroize::Zeroize;

const LEN: usize = 32;

/// X25519 key agreement.
pub struct X25519;

/// X25519.
pub static X25519_DH: X25519 = X25519;

/// `X25519(k, 9)`: the public key of secret scalar `k`.
pub(crate) fn x25519_base(secret: &[u8; LEN]) -> [u8; LEN] {
    curve25519_dalek::MontgomeryPoint::mul_base_clamped(*secret).to_bytes()
}

/// `X25519(k, u)` without the all-zero check.
pub(crate) fn x25519(secret: &[u8; LEN], public: &[u8; LEN]) -> SharedSecret {
    let mut out = [0u8; LEN];
    // libcrux reports an all-zero result as an error but has written it to `out`; callers that must
    // reject it use `DhGroup::agree`.
    let _ = libcrux_curve25519::ecdh(&mut out, public, secret);
    SharedSecret::from(out)
}

fn to_array(bytes: &[u8], what: &'static str) -> Result<[u8; LEN]> {
    check_len(what, LEN, bytes.len())?;
    let mut a = [0u8; LEN];
    a.copy_from_slice(bytes);
    Ok(a)
}

impl DhGroup for X25519 {
    fn id(&self) -> GroupId {
        GroupId::X25519
    }

    fn implementation(&self) -> &'static str {
        "curve25519-dalek (base) + libcrux (ladder)"
    }

    fn public_key_len(&self) -> usize {
        LEN
    }

    fn secret_key_len(&self) -> usize {
        LEN
    }

    fn secret_key_from_bytes(&'static self, bytes: &[u8]) -> Result<DhSecretKey> {
        let mut secret = to_array(bytes, "X25519 secret key")?;
        let public = x25519_base(&secret);
        secret.zeroize();
        Ok(DhSecretKey::from_parts(
            self,
            SecretBytes::from_slice(bytes),
            DhPublicKey::new_unchecked(self, &public, BackendToken::new())?,
            BackendToken::new(),
        ))
    }

    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<DhPublicKey> {
        // Every 32-byte string is a valid u-coordinate encoding (RFC 7748 §5).
        DhPublicKey::new_unchecked(self, bytes, BackendToken::new())
    }

    fn agree(&self, secret: &DhSecretKey, public: &DhPublicKey) -> Result<SharedSecret> {
        let shared = self.agree_raw(secret, public, HazmatToken::new())?;
        let zero = shared.as_bytes().iter().fold(0u8, |acc, b| acc | b);
        if zero == 0 {
            return Err(Error::InvalidKey {
                what: "X25519 public key",
                reason: "low-order point: the shared secret is all zero",
            });
        }
        Ok(shared)
    }

    fn agree_raw(&self, secret: &DhSecretKey, public: &DhPublicKey, _token: HazmatToken) -> Result<SharedSecret> {
        let mut sk = to_array(secret.secret_bytes(BackendToken::new()).as_bytes(), "X25519 secret key")?;
        let pk = to_array(public.as_bytes(), "X25519 public key")?;
        let shared = x25519(&sk, &pk);
        sk.zeroize();
        Ok(shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn rfc7748_section_6_1() {
        let alice = X25519_DH
            .secret_key_from_bytes(&h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
            .unwrap();
        assert_eq!(
            alice.public_key().as_bytes(),
            &h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")[..]
        );
        let bob_pk =
            X25519_DH.parse_public_key(&h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")).unwrap();
        assert_eq!(
            alice.agree(&bob_pk).unwrap().as_bytes(),
            &h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")[..]
        );
    }

    #[test]
    fn zero_shared_secret_is_rejected_by_agree_only() {
        let sk = X25519_DH.secret_key_from_bytes(&[1u8; 32]).unwrap();
        let low_order = X25519_DH.parse_public_key(&[0u8; 32]).unwrap();
        assert!(matches!(sk.agree(&low_order), Err(Error::InvalidKey { .. })));
        assert_eq!(X25519_DH.agree_raw(&sk, &low_order, HazmatToken::new()).unwrap().as_bytes(), &[0u8; 32]);
    }

    #[test]
    fn lengths_are_checked() {
        assert!(matches!(X25519_DH.parse_public_key(&[0u8; 31]), Err(Error::InvalidLength { .. })));
        assert!(matches!(X25519_DH.secret_key_from_bytes(&[0u8; 33]), Err(Error::InvalidLength { .. })));
    }
}
