//! Backends: implementations of the primitive traits.
//!
//! * [`default`]: pure Rust (libcrux and RustCrypto crates), always available.
//! * `oqs` (feature `oqs`): liboqs, every KEM and signature scheme it enables, including those the
//!   default backend lacks. Its FFI boundary (`backend::oqs::ffi`) is the only `unsafe` code of the crate.
//!
//! * `aws_lc` (feature `aws-lc`): AWS-LC through aws-lc-rs' safe API (AEADs, X25519, HKDF, HMAC,
//!   SHA-2/3, ML-KEM, ML-DSA), mixed with the default backend where aws-lc-rs lacks an operation.
//! * [`fastest`]: the per-algorithm fastest correct choice among the compiled backends.
//!
//! Each backend exposes its algorithm objects as `static`s and a `provider()` assembling them.

#[cfg(feature = "aws-lc")]
pub mod aws_lc;
pub mod default;
pub mod fastest;
#[cfg(feature = "oqs")]
pub mod oqs;

/// The token that backend constructors take ([`KemSecretKey::from_parts`](crate::KemSecretKey::from_parts),
/// [`KemPublicKey::new_unchecked`](crate::KemPublicKey::new_unchecked) and their siblings): for backend
/// crates such as `qres-oqs`, which check keys themselves. Feature `backend-api` (implied by `hazmat`).
#[cfg(feature = "backend-api")]
pub const fn backend_token() -> crate::primitives::BackendToken {
    crate::primitives::BackendToken::new()
}
