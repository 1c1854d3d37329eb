//! Backends: implementations of the primitive traits.
//!
//! * [`default`]: pure Rust (libcrux and RustCrypto crates), always available.
//! * `aws_lc` (feature `aws-lc`): AWS-LC through aws-lc-rs' safe API (AEADs, X25519, HKDF, HMAC,
//!   SHA-2/3, ML-KEM, ML-DSA), mixed with the default backend where aws-lc-rs lacks an operation.
//! * [`fastest`]: the per-algorithm fastest correct choice among the compiled backends, and
//!   [`fastest::fastest_provider_with`] to add backends from other crates.
//!
//! Each backend exposes its algorithm objects as `static`s and a `provider()` assembling them. Backends
//! need not live in this crate: liboqs (every KEM and signature scheme it enables) is the `qres-oqs` crate,
//! whose FFI boundary is the `unsafe` code that qres, which forbids it, does not contain.

#[cfg(feature = "aws-lc")]
pub mod aws_lc;
pub mod default;
pub mod fastest;
/// The token that backend constructors take ([`KemSecretKey::from_parts`](crate::KemSecretKey::from_parts),
/// [`KemPublicKey::new_unchecked`](crate::KemPublicKey::new_unchecked) and their siblings): for backend
/// crates such as `qres-oqs`, which check keys themselves. Feature `backend-api` (implied by `hazmat`).
#[cfg(feature = "backend-api")]
pub const fn backend_token() -> crate::primitives::BackendToken {
    crate::primitives::BackendToken::new()
}
