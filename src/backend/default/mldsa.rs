//! ML-DSA-44/65/87 (FIPS 204) on libcrux-ml-dsa.
//!
//! libcrux is formally verified for panic freedom and (for its core arithmetic) correctness, and picks its
//! AVX2 path at run time. Pure signing uses libcrux's external interface; HashML-DSA and the internal
//! interface go through libcrux's `sign_internal` / `verify_internal` with the message representative
//! `M'` built by [`SignInput::formatted_message`], which gives us every FIPS 204 pre-hash function (libcrux
//! itself offers only SHAKE128). External-mu signing is not exposed by libcrux and so not offered here.
//!
//! Keys: the 32-byte seed `xi` is the storage form; the expanded signing key lives in the key's state and
//! is zeroized on drop.

use crate::alg::SignatureId;
use crate::error::{Error, Result, check_len};
use crate::primitives::KeyState;
use crate::primitives::sig::{SignInput, Signature, SignatureScheme, SignatureSizes, SigningKey, VerifyingKey};
use crate::primitives::{BackendToken, HazmatToken};
use crate::secret::SecretBytes;
use zeroize::Zeroize;

const SEED_LEN: usize = 32;
const RND_LEN: usize = 32;

/// Checks the part of an expanded ML-DSA signing key that can be malformed: every coefficient of `s1` and
/// `s2` must lie in `[-eta, eta]` (FIPS 204 Algorithm 25, `skDecode`, accepts only such encodings).
///
/// Written here because libcrux signs with whatever bytes it is given and offers no such check; it
/// matters only for keys imported in expanded form (seed-derived keys are valid by construction).
pub(crate) fn check_expanded_key(sk: &[u8], eta: u8, l: usize, k: usize) -> Result<()> {
    // rho (32) || K (32) || tr (64) || s1 (l polys) || s2 (k polys) || t0 (k polys)
    let bits = if eta == 2 { 3 } else { 4 };
    let poly_len = 32 * bits;
    let packed = &sk[128..128 + (l + k) * poly_len];
    let max = u32::from(2 * eta);
    let mut acc: u32 = 0;
    let mut acc_bits = 0;
    let mut bad = 0u32;
    for &byte in packed {
        acc |= u32::from(byte) << acc_bits;
        acc_bits += 8;
        while acc_bits >= bits {
            let c = acc & ((1 << bits) - 1);
            // Branch-free accumulation: the key is secret.
            bad |= max.wrapping_sub(c) >> 31;
            acc >>= bits;
            acc_bits -= bits;
        }
    }
    if bad == 0 {
        Ok(())
    } else {
        Err(Error::InvalidKey { what: "ML-DSA signing key", reason: "s1 or s2 coefficient outside [-eta, eta]" })
    }
}

fn map_signing_error(e: libcrux_ml_dsa::SigningError) -> Error {
    match e {
        libcrux_ml_dsa::SigningError::ContextTooLongError => {
            Error::LengthOutOfRange { what: "signature context string", min: 0, max: 255, actual: 256 }
        }
        _ => Error::Backend("ML-DSA rejection sampling did not terminate within the bound"),
    }
}

macro_rules! ml_dsa {
    (
        $(#[$meta:meta])*
        $ty:ident, $state:ident, $id:expr, $name:literal, $module:ident,
        $signing:ident, $verification:ident, $signature:ident,
        vk = $vk:literal, sk = $sk:literal, sig = $sig:literal, eta = $eta:literal, l = $l:literal, k = $k:literal
    ) => {
        $(#[$meta])*
        pub struct $ty;

        /// The expanded signing key, zeroized on drop.
        struct $state {
            sk: libcrux_ml_dsa::$module::$signing,
        }

        impl Drop for $state {
            fn drop(&mut self) {
                self.sk.as_mut_slice().zeroize();
            }
        }

        impl KeyState for $state {}

        impl $ty {
            fn sign_expanded(
                sk: &libcrux_ml_dsa::$module::$signing,
                input: SignInput<'_>,
                randomness: &[u8],
            ) -> Result<Signature> {
                input.validate()?;
                check_len(concat!($name, " signing randomness"), RND_LEN, randomness.len())?;
                let mut rnd = [0u8; RND_LEN];
                rnd.copy_from_slice(randomness);
                let signed = match input {
                    SignInput::Pure { message, context } => libcrux_ml_dsa::$module::sign(sk, message, context, rnd),
                    other => {
                        let m_prime = other.formatted_message()?;
                        libcrux_ml_dsa::$module::sign_internal(sk, &m_prime, rnd)
                    }
                };
                rnd.zeroize();
                let sig = signed.map_err(map_signing_error)?;
                Ok(Signature::from_bytes(sig.as_slice().to_vec()))
            }
        }

        impl SignatureScheme for $ty {
            fn id(&self) -> SignatureId {
                $id
            }

            fn implementation(&self) -> &'static str {
                "libcrux"
            }

            fn sizes(&self) -> SignatureSizes {
                SignatureSizes { verifying_key: $vk, signature: $sig, seed: SEED_LEN, signing_randomness: RND_LEN }
            }

            fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<SigningKey> {
                check_len(concat!($name, " seed"), SEED_LEN, seed.len())?;
                let mut xi = [0u8; SEED_LEN];
                xi.copy_from_slice(seed);
                let pair = libcrux_ml_dsa::$module::generate_key_pair(xi);
                xi.zeroize();
                let state = $state { sk: pair.signing_key };
                let verifying = VerifyingKey::new_unchecked(self, pair.verification_key.as_slice(), BackendToken::new())?;
                Ok(SigningKey::from_parts(self, Some(SecretBytes::from_slice(seed)), verifying, Box::new(state), BackendToken::new()))
            }

            fn parse_verifying_key(&'static self, bytes: &[u8]) -> Result<VerifyingKey> {
                // FIPS 204 defines no validity check on pk beyond its length: every encoding decodes.
                check_len(concat!($name, " verifying key"), $vk, bytes.len())?;
                VerifyingKey::new_unchecked(self, bytes, BackendToken::new())
            }

            fn sign_derand(
                &self,
                key: &SigningKey,
                input: SignInput<'_>,
                randomness: &[u8],
                _token: HazmatToken,
            ) -> Result<Signature> {
                let state = key.backend_state::<$state>().ok_or(Error::KeyMismatch($name))?;
                Self::sign_expanded(&state.sk, input, randomness)
            }

            fn verify(&self, key: &VerifyingKey, input: SignInput<'_>, signature: &[u8]) -> Result<()> {
                input.validate()?;
                if key.algorithm() != $id {
                    return Err(Error::wrong_algorithm("verifying key", $id, key.algorithm()));
                }
                let sig: [u8; $sig] = signature.try_into().map_err(|_| Error::AuthenticationFailed)?;
                let sig = libcrux_ml_dsa::$module::$signature::new(sig);
                let vk_bytes: [u8; $vk] =
                    key.as_bytes().try_into().map_err(|_| Error::Backend("ML-DSA verifying key length"))?;
                let vk = libcrux_ml_dsa::$module::$verification::new(vk_bytes);
                let verified = match input {
                    SignInput::Pure { message, context } => libcrux_ml_dsa::$module::verify(&vk, message, context, &sig),
                    other => {
                        let m_prime = other.formatted_message()?;
                        libcrux_ml_dsa::$module::verify_internal(&vk, &m_prime, &sig)
                    }
                };
                verified.map_err(|_| Error::AuthenticationFailed)
            }

            fn expanded_signing_key(&self, key: &SigningKey) -> Result<SecretBytes> {
                let state = key.backend_state::<$state>().ok_or(Error::KeyMismatch($name))?;
                Ok(SecretBytes::from_slice(state.sk.as_slice()))
            }

            fn sign_with_expanded_key(
                &self,
                expanded: &[u8],
                input: SignInput<'_>,
                randomness: &[u8],
                _token: HazmatToken,
            ) -> Result<Signature> {
                check_len(concat!($name, " expanded signing key"), $sk, expanded.len())?;
                check_expanded_key(expanded, $eta, $l, $k)?;
                let mut bytes = [0u8; $sk];
                bytes.copy_from_slice(expanded);
                let state = $state { sk: libcrux_ml_dsa::$module::$signing::new(bytes) };
                bytes.zeroize();
                Self::sign_expanded(&state.sk, input, randomness)
            }
        }
    };
}

ml_dsa! {
    /// ML-DSA-44 on libcrux.
    MlDsa44, MlDsa44State, SignatureId::ML_DSA_44, "ML-DSA-44", ml_dsa_44,
    MLDSA44SigningKey, MLDSA44VerificationKey, MLDSA44Signature,
    vk = 1312, sk = 2560, sig = 2420, eta = 2, l = 4, k = 4
}

ml_dsa! {
    /// ML-DSA-65 on libcrux.
    MlDsa65, MlDsa65State, SignatureId::ML_DSA_65, "ML-DSA-65", ml_dsa_65,
    MLDSA65SigningKey, MLDSA65VerificationKey, MLDSA65Signature,
    vk = 1952, sk = 4032, sig = 3309, eta = 4, l = 5, k = 6
}

ml_dsa! {
    /// ML-DSA-87 on libcrux.
    MlDsa87, MlDsa87State, SignatureId::ML_DSA_87, "ML-DSA-87", ml_dsa_87,
    MLDSA87SigningKey, MLDSA87VerificationKey, MLDSA87Signature,
    vk = 2592, sk = 4896, sig = 4627, eta = 2, l = 7, k = 8
}

/// ML-DSA-44.
pub static ML_DSA_44: MlDsa44 = MlDsa44;
/// ML-DSA-65.
pub static ML_DSA_65: MlDsa65 = MlDsa65;
/// ML-DSA-87.
pub static ML_DSA_87: MlDsa87 = MlDsa87;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expanded_key_check_accepts_bounds_and_rejects_beyond() {
        // eta = 2: 3-bit values 0..=4 valid, 5..=7 invalid.
        let mut sk = vec![0u8; 2560];
        assert!(check_expanded_key(&sk, 2, 4, 4).is_ok());
        sk[128] = 0b0000_0100; // first coefficient = 4 -> -2: valid
        assert!(check_expanded_key(&sk, 2, 4, 4).is_ok());
        sk[128] = 0b0000_0101; // 5 -> -3: invalid
        assert!(check_expanded_key(&sk, 2, 4, 4).is_err());
        // The last coefficient of s2 (bits 5..7 of the last packed byte).
        let mut sk = vec![0u8; 2560];
        sk[128 + 8 * 96 - 1] = 0b1110_0000;
        assert!(check_expanded_key(&sk, 2, 4, 4).is_err());
        // t0 is not checked.
        let mut sk = vec![0u8; 2560];
        sk[128 + 8 * 96] = 0xff;
        assert!(check_expanded_key(&sk, 2, 4, 4).is_ok());
        // eta = 4: 4-bit values 0..=8 valid, 9..=15 invalid.
        let mut sk = vec![0u8; 4032];
        sk[128] = 0x88;
        assert!(check_expanded_key(&sk, 4, 5, 6).is_ok());
        sk[128] = 0x98;
        assert!(check_expanded_key(&sk, 4, 5, 6).is_err());
    }
}
