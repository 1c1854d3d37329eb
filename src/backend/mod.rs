//! Backends: implementations of the primitive traits.
//!
//! * [`default`]: pure Rust (libcrux and RustCrypto crates), always available.
//! * `oqs` (feature `oqs`): liboqs, every KEM and signature scheme it enables, including those the
//!   default backend lacks. Its FFI boundary (`backend::oqs::ffi`) is the only `unsafe` code of the crate.
//!
//! Each backend exposes its algorithm objects as `static`s and a `provider()` assembling them.

pub mod default;
#[cfg(feature = "oqs")]
pub mod oqs;
