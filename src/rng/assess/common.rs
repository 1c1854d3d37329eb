//! Numerical helpers shared by the estimators: the 99% confidence bound, the floating-point
//! closeness test and monotone binary search used by the Compression estimate (SP 800-90B
//! 6.3.4 step 7) and the local-probability search of the predictors (6.3.7-6.3.10), and the
//! final prediction-estimate step shared by the four predictors.

use std::hash::{BuildHasherDefault, Hasher};

/// Upper 0.5% point of the standard normal distribution: SP 800-90B uses 2.576 for its 99%
/// confidence bounds; NIST's tool uses this more precise value of the same quantile (its
/// literal `2.5758293035489008` is this same `f64`).
pub(crate) const Z_ALPHA: f64 = 2.575_829_303_548_901;

/// Iteration cap of the binary searches (the number of distinct exponents and significands a
/// bisection of `[0, 1]` can visit before it cannot make progress, as in NIST's tool).
const ITER_MAX: usize = 1076;

/// `a` and `b` are the same within 4 units in the last place or a relative error of one
/// machine epsilon; near zero (subnormal magnitudes) an absolute test against the smallest
/// normal number is used instead. NaN is never close to anything. This is the stopping test the
/// reference implementation uses for its binary searches.
pub(crate) fn nearly_equal(a: f64, b: f64) -> bool {
    const MAX_ULPS: u64 = 4;
    if a.is_nan() || b.is_nan() {
        return false;
    }
    if a == b {
        return true;
    }
    if a.is_infinite() || b.is_infinite() {
        return false;
    }
    let (small, large) = if a.abs() > b.abs() { (b, a) } else { (a, b) };
    let diff = (large - small).abs();
    if small.abs() < f64::MIN_POSITIVE
        || diff < f64::MIN_POSITIVE
        || diff.is_infinite()
        || large.abs() * f64::EPSILON < f64::MIN_POSITIVE
    {
        return diff <= f64::MIN_POSITIVE;
    }
    if diff <= large.abs() * f64::EPSILON {
        return true;
    }
    if small.is_sign_negative() != large.is_sign_negative() {
        return false;
    }
    large.abs().to_bits() - small.abs().to_bits() <= MAX_ULPS
}

/// `x` lies in the closed interval spanned by `a` and `b` (in either order).
fn in_closed(x: f64, a: f64, b: f64) -> bool {
    if a > b { x >= b && x <= a } else { x >= a && x <= b }
}

/// `x` lies strictly inside the interval spanned by `a` and `b` (in either order).
fn in_open(x: f64, a: f64, b: f64) -> bool {
    if a > b { x > b && x < a } else { x > a && x < b }
}

/// Binary search for `p` in `[lo, hi]` with `f(p) = target`, where `f` is non-increasing.
///
/// SP 800-90B only says "binary search"; this follows the reference tool's conventions so that
/// results agree: bisect until `f(p)` is [`nearly_equal`] to the target, the bracket stops
/// shrinking, or an invariant (bracket inside the domain, target inside the bracketing values,
/// `f` monotone on the visited points) breaks. A broken bracket or target invariant returns
/// `on_failure`; a collapsed bracket or a non-monotone value returns the upper bracket end.
pub(crate) fn bisect_decreasing(f: impl Fn(f64) -> f64, target: f64, lo: f64, hi: f64, on_failure: f64) -> f64 {
    let (mut lbound, mut hbound) = (lo, hi);
    let (mut lvalue, mut hvalue) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut p = (lbound + hbound) / 2.0;
    let mut value = f(p);
    for _ in 0..ITER_MAX {
        if nearly_equal(value, target) {
            break;
        }
        if target < value {
            lbound = p;
            lvalue = value;
        } else {
            hbound = p;
            hvalue = value;
        }
        if lbound >= hbound {
            p = lbound.max(hbound).min(hi);
            break;
        }
        if !(in_closed(lbound, lo, hi) && in_closed(hbound, lo, hi)) {
            p = on_failure;
            break;
        }
        if !in_closed(target, lvalue, hvalue) {
            p = on_failure;
            break;
        }
        let last = p;
        p = (lbound + hbound) / 2.0;
        if !in_open(p, lbound, hbound) || last == p {
            p = hbound;
            break;
        }
        value = f(p);
        if !in_closed(value, lvalue, hvalue) {
            p = hbound;
            break;
        }
    }
    p
}

/// Upper bound of a 99% confidence interval for a proportion `p` estimated from `n` trials,
/// `min(1, p + Z * sqrt(p (1 - p) / (n - 1)))` (SP 800-90B 6.3.1 step 3 and its relatives).
pub(crate) fn upper_bound(p: f64, n: f64) -> f64 {
    let u = p + Z_ALPHA * (p * (1.0 - p) / (n - 1.0)).sqrt();
    if u < 1.0 { u } else { 1.0 }
}

/// Natural logarithm of the probability that `n` trials with success probability `p` contain no
/// run of `r` or more successes, using the fixed-point form of SP 800-90B 6.3.7 step 9:
/// `x` solves `x = 1 + q p^r x^(r+1)` and the probability is
/// `(1 - p x) / ((r + 1 - r x) q) / x^(n + 1)`.
///
/// The reference tool evaluates this in x87 extended precision; this is the same formula in
/// `f64`, which moves the searched root by far less than the tolerances used in the tests.
fn log_no_run_probability(p: f64, r: f64, n: f64) -> f64 {
    let q = 1.0 - p;
    let qpr = q * p.powf(r);
    let mut x = 1.0_f64;
    let mut last = 0.0_f64;
    let mut iterations = 0;
    while iterations <= 65 && (x - last) > f64::EPSILON * x {
        last = x;
        x = 1.0 + qpr * x.powf(r + 1.0);
        iterations += 1;
    }
    (1.0 - p * x).ln() - ((r + 1.0 - r * x) * q).ln() - (n + 1.0) * x.ln()
}

/// Final step of every prediction estimate (SP 800-90B 6.3.7 steps 4-10, and the matching steps
/// of 6.3.8-6.3.10): from `correct` right predictions out of `n`, the longest run `max_run` of
/// right predictions and the alphabet size `k`, take the larger of the global bound `P'_global`
/// and the local bound `P_local` (never below `1/k`) and return `-log2` of it.
///
/// `n` must be at least 2 (callers guarantee it).
pub(crate) fn prediction_estimate(correct: u64, n: u64, max_run: u64, k: usize) -> f64 {
    let nf = n as f64;
    let p_global = correct as f64 / nf;
    let p_global_prime = if p_global > 0.0 { upper_bound(p_global, nf) } else { 1.0 - 0.01_f64.powf(1.0 / nf) };
    let mut p_max = (1.0 / k as f64).max(p_global_prime);
    let r = (max_run + 1) as f64;
    let log_alpha = 0.99_f64.ln();
    if p_max < 1.0 && log_no_run_probability(p_max, r, nf) > log_alpha {
        // P_local: the p for which a longest run of exactly r - 1 has probability 0.99.
        let p_local = bisect_decreasing(|p| log_no_run_probability(p, r, nf), log_alpha, p_max, 1.0, 1.0);
        p_max = p_max.max(p_local);
    }
    -p_max.log2()
}

/// A small multiplicative hasher for the integer keys of the predictor dictionaries: std's
/// SipHash is several times slower and hash flooding is not a concern for this offline tool.
#[derive(Default, Clone, Copy)]
pub(crate) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        let x = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^ (x >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0xBF58_476D_1CE4_E5B9).rotate_left(31);
    }
    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

/// `HashMap` with [`IntHasher`].
pub(crate) type IntMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<IntHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearly_equal_basics() {
        assert!(nearly_equal(1.0, 1.0));
        assert!(nearly_equal(1.0, 1.0 + f64::EPSILON));
        assert!(!nearly_equal(1.0, 1.0 + 8.0 * f64::EPSILON));
        assert!(!nearly_equal(f64::NAN, f64::NAN));
        assert!(nearly_equal(0.0, -0.0));
        assert!(!nearly_equal(1.0, -1.0));
    }

    #[test]
    fn bisection_finds_root() {
        let p = bisect_decreasing(|p| 1.0 - p, 0.25, 0.0, 1.0, -1.0);
        assert!((p - 0.75).abs() < 1e-15);
    }

    #[test]
    fn prediction_estimate_bounds() {
        // Nothing right: only the 1/k floor and the zero-success bound matter.
        let h = prediction_estimate(0, 1000, 0, 2);
        assert!((h - 1.0).abs() < 1e-12);
        // Everything right: zero entropy.
        assert_eq!(prediction_estimate(1000, 1000, 1000, 2), 0.0);
    }
}
