// Included by qres' tests/common/mod.rs (from this crate's manifest directory) when the tests of this
// crate include that module and qres' known-answer suites by path: the providers those suites check here,
// and where the vectors lie.

/// Where the vectors are when `QRES_VECTORS` is unset, relative to this crate's manifest directory (the
/// `shared/vectors` beside the workspace).
const DEFAULT_VECTORS: &str = "../../../shared/vectors";

/// Every provider whose implementations the known-answer tests check, by name: the list qres' tests had
/// when the liboqs backend was its feature `oqs`, so that every suite prints the same rows.
///
/// The liboqs provider `qres_oqs::provider()` as "oqs": its ML-KEM, ML-DSA and X-Wing (over liboqs'
/// ML-KEM) are liboqs'; for families liboqs does not implement (AEADs, KDFs, X25519, ...) it delegates to
/// the default backend, so those known-answer tests run the same code twice. `qres_oqs::fastest_provider()`
/// as "fastest". The default provider (first: the suites that run an expensive case on one implementation
/// only pick it) and, with this crate's `aws-lc` feature, the aws-lc provider, as in qres' own tests.
pub fn backends() -> Vec<(&'static str, qres::Provider)> {
    let mut all = vec![("default", qres::default_provider()), ("oqs", qres_oqs::provider())];
    #[cfg(feature = "aws-lc")]
    all.push(("aws-lc", qres::backend::aws_lc::provider()));
    all.push(("fastest", qres_oqs::fastest_provider()));
    all
}
