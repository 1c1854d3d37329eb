//! Capability tokens: the hazardous and the backend-only methods of the public traits and key types take
//! one as their last argument, so they cannot be called without asking for them by name.
//!
//! * [`HazmatToken`]: derandomized encapsulation and signing, signing with an expanded key, FIPS 204's
//!   internal interface, HPKE's raw key schedule. Made only by `qres::hazmat::token()`, which exists with
//!   the `hazmat` feature.
//! * [`BackendToken`]: assembling keys from a backend's parts without the algorithm's checks, and reading
//!   a Diffie-Hellman secret's bytes. Made only by `qres::backend::backend_token()`, which exists with the
//!   `backend-api` feature (for backend crates such as `qres-oqs`; `hazmat` implies it).
//!
//! Backends that implement such a method receive the token and may pass it on to the methods they call.
//! Inside qres the tokens are made where the library itself needs the operation (for example the
//! encapsulation randomness that [`Kem::encapsulate`](crate::Kem::encapsulate) draws).

use core::fmt;

/// Proof that the caller asked for a hazardous operation by name (`qres::hazmat::token()`).
///
/// Deliberately not constructible outside qres without the `hazmat` feature:
///
/// ```compile_fail,E0423
/// let token = qres::primitives::HazmatToken(());
/// ```
#[derive(Clone, Copy)]
pub struct HazmatToken(());

impl HazmatToken {
    /// The token qres's own code uses where it performs the operation safely itself.
    pub(crate) const fn new() -> Self {
        Self(())
    }
}

impl fmt::Debug for HazmatToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HazmatToken")
    }
}

/// Proof that the caller is a backend implementation (`qres::backend::backend_token()`, feature
/// `backend-api`): it assembles keys whose checks it has done itself.
///
/// ```compile_fail,E0423
/// let token = qres::primitives::BackendToken(());
/// ```
#[derive(Clone, Copy)]
pub struct BackendToken(());

impl BackendToken {
    /// The token qres's own backends use.
    pub(crate) const fn new() -> Self {
        Self(())
    }
}

impl fmt::Debug for BackendToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackendToken")
    }
}
