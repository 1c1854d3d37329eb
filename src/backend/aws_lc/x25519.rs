//! X25519 (RFC 7748) on aws-lc-rs (`agreement::X25519`: AWS-LC's base-point multiplication over
//! precomputed Edwards tables and its s2n-bignum / fiat-crypto ladder).
//!
//! The parsed AWS-LC key object is kept in the [`DhSecretKey`] so that it is built (and its public key
//! computed) once, not on every agreement. AWS-LC refuses an all-zero shared secret itself; that happens
//! exactly for the small-order points of [`crate::kem::xwing::X25519_LOW_ORDER`], so [`DhGroup::agree_raw`]
//! returns the all-zero value for those (as the default backend does) and [`DhGroup::agree`]
//! refuses it with [`Error::InvalidKey`].

use crate::alg::GroupId;
use crate::error::{Error, Result, check_len};
use crate::primitives::KeyState;
use crate::primitives::dh::{DhGroup, DhPublicKey, DhSecretKey};
use crate::primitives::{BackendToken, HazmatToken};
use crate::secret::{SecretBytes, SharedSecret};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use subtle::ConstantTimeEq;

const LEN: usize = 32;

/// X25519 key agreement on aws-lc-rs.
pub struct X25519;

/// X25519.
pub static X25519_DH: X25519 = X25519;

/// The AWS-LC key object (cleansed by AWS-LC when freed).
struct State(PrivateKey);

impl KeyState for State {}

fn parse_secret(bytes: &[u8]) -> Result<PrivateKey> {
    check_len("X25519 secret key", LEN, bytes.len())?;
    PrivateKey::from_private_key(&agreement::X25519, bytes).map_err(|_| Error::Backend("X25519 secret key import"))
}

fn low_order_refusal() -> Error {
    Error::InvalidKey { what: "X25519 public key", reason: "low-order point: the shared secret is all zero" }
}

impl X25519 {
    /// The shared secret, or `None` when AWS-LC refused an all-zero result.
    fn shared(&self, secret: &DhSecretKey, public: &DhPublicKey) -> Result<Option<SharedSecret>> {
        check_len("X25519 public key", LEN, public.as_bytes().len())?;
        let parsed;
        let key = match secret.backend_state::<State>() {
            Some(state) => &state.0,
            None => {
                parsed = parse_secret(secret.secret_bytes(BackendToken::new()).as_bytes())?;
                &parsed
            }
        };
        let peer = UnparsedPublicKey::new(&agreement::X25519, public.as_bytes());
        match agreement::agree(key, peer, (), |s| Ok(SharedSecret::from_slice(s))) {
            // Should AWS-LC ever return the all-zero value instead of refusing it, treat it the same way.
            Ok(shared) if bool::from(shared.as_bytes().ct_eq(&[0u8; LEN][..])) => Ok(None),
            Ok(shared) => Ok(Some(shared)),
            Err(()) if crate::kem::xwing::x25519_is_low_order(public.as_bytes()) => Ok(None),
            Err(()) => Err(Error::Backend("X25519 agreement")),
        }
    }
}

impl DhGroup for X25519 {
    fn id(&self) -> GroupId {
        GroupId::X25519
    }

    fn implementation(&self) -> &'static str {
        "aws-lc-rs"
    }

    fn public_key_len(&self) -> usize {
        LEN
    }

    fn secret_key_len(&self) -> usize {
        LEN
    }

    fn secret_key_from_bytes(&'static self, bytes: &[u8]) -> Result<DhSecretKey> {
        let key = parse_secret(bytes)?;
        let public = key.compute_public_key().map_err(|_| Error::Backend("X25519 public key"))?;
        let public = DhPublicKey::new_unchecked(self, public.as_ref(), BackendToken::new())?;
        Ok(DhSecretKey::from_parts_with_state(
            self,
            SecretBytes::from_slice(bytes),
            public,
            Box::new(State(key)),
            BackendToken::new(),
        ))
    }

    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<DhPublicKey> {
        // Every 32-byte string is a valid u-coordinate encoding (RFC 7748 §5).
        DhPublicKey::new_unchecked(self, bytes, BackendToken::new())
    }

    fn agree(&self, secret: &DhSecretKey, public: &DhPublicKey) -> Result<SharedSecret> {
        self.shared(secret, public)?.ok_or_else(low_order_refusal)
    }

    fn agree_raw(&self, secret: &DhSecretKey, public: &DhPublicKey, _token: HazmatToken) -> Result<SharedSecret> {
        Ok(self.shared(secret, public)?.unwrap_or_else(|| SecretBytes::zeroed(LEN)))
    }
}
