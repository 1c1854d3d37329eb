//! Symmetric known-answer tests (SHA3, HMAC, AES, HKDF) on `qres_oqs::provider()` and `qres_oqs::fastest_provider()`.
//! (kat_symmetric.rs of qres, included by path: its `[oqs]` and `[fastest]` rows are the liboqs provider's.)

#[path = "../../../tests/kat_symmetric.rs"]
mod kat_symmetric;
