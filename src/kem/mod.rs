//! KEMs built from other primitives, for every backend: [`xwing`] (ML-KEM-768 + X25519, the hybrid the
//! envelopes use) and [`dhkem`] (RFC 9180's DHKEM over a [`DhGroup`](crate::DhGroup) and an HKDF, for
//! HPKE), with [`labeled`], RFC 9180's labeled extract and expand that DHKEM and HPKE share.
//!
//! They take their parts from whichever backend serves them (the backends build their statics from
//! here), so that a backend depends only on `primitives` and `kem`, never on `hpke` or `envelope`.

pub mod dhkem;
pub mod labeled;
pub mod xwing;
