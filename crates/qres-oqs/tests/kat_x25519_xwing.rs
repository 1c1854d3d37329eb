//! X25519 and X-Wing known-answer tests on `qres_oqs::provider()` and `qres_oqs::fastest_provider()`.
//! (kat_x25519_xwing.rs of qres, included by path: its `[oqs]` and `[fastest]` rows are the liboqs provider's.)

#[path = "../../../tests/kat_x25519_xwing.rs"]
mod kat_x25519_xwing;
