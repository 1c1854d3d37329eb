//! ML-KEM known-answer tests (ACVP, Wycheproof) on `qres_oqs::provider()` and `qres_oqs::fastest_provider()`.
//! (kat_mlkem.rs of qres, included by path: its `[oqs]` and `[fastest]` rows are the liboqs provider's.)

#[path = "../../../tests/kat_mlkem.rs"]
mod kat_mlkem;
