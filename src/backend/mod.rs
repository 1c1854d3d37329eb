//! Backends: implementations of the primitive traits.
//!
//! * [`default`]: pure Rust (libcrux and RustCrypto crates), always available.
//!
//! Each backend exposes its algorithm objects as `static`s and a `provider()` assembling them.

pub mod default;
