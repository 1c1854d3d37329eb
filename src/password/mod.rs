//! Key derivation from passwords: Argon2id and PBKDF2 ([`PasswordKdf`]), the parameter policy
//! ([`PasswordPolicy`]), and multi-factor derivation ([`derive_key`]).

pub mod factors;
pub mod kdf;
pub mod policy;

pub use factors::{Factors, KeyDerivation, Stability, derive_key, rederive_key};
pub use kdf::PasswordKdf;
pub use policy::PasswordPolicy;
