// Included by tests/common/mod.rs (from the manifest directory of the package under test): qres' own
// providers and vector location. The qres-oqs crate has its own file of this name.

/// Where the vectors are when `QRES_VECTORS` is unset, relative to the package's manifest directory.
const DEFAULT_VECTORS: &str = "../shared/vectors";

/// Every provider whose implementations the known-answer tests check, by name.
///
/// With `aws-lc`, the aws-lc provider (mixed with the default backend where aws-lc-rs lacks an operation,
/// see `qres::backend::aws_lc`) and `qres::fastest_provider()` as "fastest": the vectors check exactly
/// what it serves. The liboqs providers are checked by the qres-oqs crate's tests, which run these suites
/// with its own list.
pub fn backends() -> Vec<(&'static str, qres::Provider)> {
    #[allow(unused_mut)]
    let mut all = vec![("default", qres::default_provider())];
    #[cfg(feature = "aws-lc")]
    all.push(("aws-lc", qres::backend::aws_lc::provider()));
    #[cfg(feature = "aws-lc")]
    all.push(("fastest", qres::fastest_provider()));
    all
}
