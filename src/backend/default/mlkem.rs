//! ML-KEM-512/768/1024 (FIPS 203) on libcrux-ml-kem.
//!
//! libcrux's implementation is formally verified (hax / F*) for panic freedom, correctness and secret
//! independence, and selects its AVX2 code path at run time. We add what FIPS 203 asks of the caller:
//! the encapsulation-key modulus check (§7.2) whenever a public key is parsed, the decapsulation-key hash
//! check (§7.3) whenever an expanded key is imported, and length checks on every ciphertext.
//!
//! Secret keys keep their seed `d || z` (the storage form) and the expanded `dk` (for speed), both zeroized
//! on drop. Copies that libcrux makes on its own stack are outside our control (see SECURITY.md).

use crate::alg::KemId;
use crate::error::{Error, Result, check_len};
use crate::primitives::{BackendToken, HazmatToken};
use crate::primitives::{Encapsulation, Kem, KemPublicKey, KemSecretKey, KemSizes, KeyState};
use crate::secret::{SecretBytes, SharedSecret};
use zeroize::Zeroize;

/// Length of the seed `d || z`.
const SEED_LEN: usize = 64;
/// Length of the encapsulation randomness `m` and of the shared secret.
const MSG_LEN: usize = 32;

/// Rejects a public key of another algorithm (keys of the same algorithm from other backends are fine:
/// the encoding is standard).
pub(crate) fn check_algorithm(expected: KemId, public_key: &KemPublicKey) -> Result<()> {
    if public_key.algorithm() == expected {
        Ok(())
    } else {
        Err(Error::wrong_algorithm("KEM public key", expected, public_key.algorithm()))
    }
}

macro_rules! ml_kem {
    (
        $(#[$meta:meta])*
        $ty:ident, $state:ident, $id:expr, $name:literal, $module:ident,
        $private:ident, $public:ident, $ciphertext:ident,
        rank = $rank:literal, pk = $pk:literal, ct = $ct:literal, dk = $dk:literal
    ) => {
        $(#[$meta])*
        pub struct $ty;

        /// The expanded decapsulation key in libcrux's representation, zeroized on drop.
        struct $state {
            dk: libcrux_ml_kem::$module::$private,
        }

        impl Drop for $state {
            fn drop(&mut self) {
                self.dk[0..].zeroize();
            }
        }

        impl KeyState for $state {}

        impl $ty {
            fn state<'a>(&self, key: &'a KemSecretKey) -> Result<&'a $state> {
                key.backend_state::<$state>().ok_or(Error::KeyMismatch($name))
            }

        }

        impl Kem for $ty {
            fn id(&self) -> KemId {
                $id
            }

            fn implementation(&self) -> &'static str {
                "libcrux"
            }

            fn sizes(&self) -> KemSizes {
                KemSizes {
                    public_key: $pk,
                    ciphertext: $ct,
                    shared_secret: MSG_LEN,
                    seed: SEED_LEN,
                    encapsulation_randomness: MSG_LEN,
                }
            }

            fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<KemSecretKey> {
                check_len(concat!($name, " seed (d || z)"), SEED_LEN, seed.len())?;
                let mut randomness = [0u8; SEED_LEN];
                randomness.copy_from_slice(seed);
                let pair = libcrux_ml_kem::$module::generate_key_pair(randomness);
                randomness.zeroize();
                let (dk, ek) = pair.into_parts();
                let state = $state { dk };
                let public = KemPublicKey::new_unchecked(self, ek.as_slice(), BackendToken::new())?;
                Ok(KemSecretKey::from_parts(self, Some(SecretBytes::from_slice(seed)), public, Box::new(state), BackendToken::new()))
            }

            fn parse_public_key(&'static self, bytes: &[u8]) -> Result<KemPublicKey> {
                check_len(concat!($name, " encapsulation key"), $pk, bytes.len())?;
                let ek = libcrux_ml_kem::$module::$public::try_from(bytes)
                    .map_err(|_| Error::Backend("ML-KEM public key conversion"))?;
                if !libcrux_ml_kem::$module::validate_public_key(&ek) {
                    return Err(Error::InvalidKey {
                        what: concat!($name, " encapsulation key"),
                        reason: "coefficient not reduced modulo q (FIPS 203 modulus check)",
                    });
                }
                KemPublicKey::new_unchecked(self, bytes, BackendToken::new())
            }

            fn secret_key_from_expanded(&'static self, bytes: &[u8]) -> Result<KemSecretKey> {
                check_len(concat!($name, " decapsulation key"), $dk, bytes.len())?;
                let dk = libcrux_ml_kem::$module::$private::try_from(bytes)
                    .map_err(|_| Error::Backend("ML-KEM private key conversion"))?;
                // From here on the key is zeroized on every exit path.
                let state = $state { dk };
                // FIPS 203 §7.3: H(ek) stored in dk must match the embedded ek. (The ciphertext argument is
                // only there for the type check, which our own length checks perform.)
                let any_ciphertext = libcrux_ml_kem::$module::$ciphertext::from([0u8; $ct]);
                if !libcrux_ml_kem::$module::validate_private_key(&state.dk, &any_ciphertext) {
                    return Err(Error::InvalidKey {
                        what: concat!($name, " decapsulation key"),
                        reason: "embedded hash of the encapsulation key does not match (FIPS 203 hash check)",
                    });
                }
                // The embedded ek must itself be a valid encapsulation key.
                let ek = self.parse_public_key(&bytes[384 * $rank..768 * $rank + 32])?;
                Ok(KemSecretKey::from_parts(self, None, ek, Box::new(state), BackendToken::new()))
            }

            fn expanded_secret_key(&self, key: &KemSecretKey) -> Result<SecretBytes> {
                Ok(SecretBytes::from_slice(self.state(key)?.dk.as_slice()))
            }

            fn encapsulate_derand(
                &self,
                public_key: &KemPublicKey,
                randomness: &[u8],
                _token: HazmatToken,
            ) -> Result<Encapsulation> {
                check_algorithm($id, public_key)?;
                check_len(concat!($name, " encapsulation randomness"), MSG_LEN, randomness.len())?;
                let ek = libcrux_ml_kem::$module::$public::try_from(public_key.as_bytes())
                    .map_err(|_| Error::Backend("ML-KEM public key conversion"))?;
                let mut m = [0u8; MSG_LEN];
                m.copy_from_slice(randomness);
                let (ct, ss) = libcrux_ml_kem::$module::encapsulate(&ek, m);
                m.zeroize();
                Ok(Encapsulation { ciphertext: ct.as_slice().to_vec(), shared_secret: SharedSecret::from(ss) })
            }

            fn decapsulate(&self, secret_key: &KemSecretKey, ciphertext: &[u8]) -> Result<SharedSecret> {
                let state = self.state(secret_key)?;
                check_len(concat!($name, " ciphertext"), $ct, ciphertext.len())?;
                let ct = libcrux_ml_kem::$module::$ciphertext::try_from(ciphertext)
                    .map_err(|_| Error::Backend("ML-KEM ciphertext conversion"))?;
                let ss = libcrux_ml_kem::$module::decapsulate(&state.dk, &ct);
                Ok(SharedSecret::from(ss))
            }
        }
    };
}

ml_kem! {
    /// ML-KEM-512 on libcrux.
    MlKem512, MlKem512State, KemId::ML_KEM_512, "ML-KEM-512", mlkem512,
    MlKem512PrivateKey, MlKem512PublicKey, MlKem512Ciphertext,
    rank = 2, pk = 800, ct = 768, dk = 1632
}

ml_kem! {
    /// ML-KEM-768 on libcrux.
    MlKem768, MlKem768State, KemId::ML_KEM_768, "ML-KEM-768", mlkem768,
    MlKem768PrivateKey, MlKem768PublicKey, MlKem768Ciphertext,
    rank = 3, pk = 1184, ct = 1088, dk = 2400
}

ml_kem! {
    /// ML-KEM-1024 on libcrux.
    MlKem1024, MlKem1024State, KemId::ML_KEM_1024, "ML-KEM-1024", mlkem1024,
    MlKem1024PrivateKey, MlKem1024PublicKey, MlKem1024Ciphertext,
    rank = 4, pk = 1568, ct = 1568, dk = 3168
}

/// ML-KEM-512.
pub static ML_KEM_512: MlKem512 = MlKem512;
/// ML-KEM-768.
pub static ML_KEM_768: MlKem768 = MlKem768;
/// ML-KEM-1024.
pub static ML_KEM_1024: MlKem1024 = MlKem1024;
