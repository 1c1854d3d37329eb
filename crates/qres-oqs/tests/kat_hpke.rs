//! HPKE known-answer tests (RFC 9180, draft-ietf-hpke-pq) on `qres_oqs::provider()` and `qres_oqs::fastest_provider()`.
//! (kat_hpke.rs of qres, included by path: its `[oqs]` and `[fastest]` rows are the liboqs provider's.)

#[path = "../../../tests/kat_hpke.rs"]
mod kat_hpke;
