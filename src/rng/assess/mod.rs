//! Min-entropy estimation for non-IID noise sources, after NIST SP 800-90B (January 2018),
//! section 6.3 ("Estimators for non-IID data") and the combination rule of section 3.1.3.
//!
//! The estimators reproduce the behaviour of NIST's reference tool `ea_non_iid`
//! (usnistgov/SP800-90B_EntropyAssessment, as packaged in the PyPI package `sp800-90b` 0.1.1)
//! wherever the specification leaves a choice open: tie breaks, dictionary limits, binary
//! search tolerances, the minimum sample counts below which an estimator does not run, and which
//! estimators run on which representation of the data. `tests/crosscheck.rs` checks every
//! estimate against values produced by that tool.
//!
//! ```
//! let samples: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
//! let a = qres::rng::assess::assess_non_iid(&samples, 8).unwrap();
//! assert!(a.min_entropy >= 0.0 && a.min_entropy <= 8.0);
//! ```

mod common;
mod entropic;
mod predictors;
mod tuple;

pub use entropic::{collision, compression, markov, most_common_value};
pub use predictors::{lag, lz78y, multi_mcw, multi_mmc};
pub use tuple::t_tuple_and_lrs;

/// One estimator's result (SP 800-90B 6.3.1-6.3.10).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Estimator name: one of [`ESTIMATOR_NAMES`] (SP 800-90B 6.3.1-6.3.10, in that order).
    pub name: &'static str,
    /// Min-entropy estimate in bits per symbol of the sequence it was run on (per sample for the
    /// original symbols, per bit for the bitstring; SP 800-90B 3.1.3).
    pub min_entropy: f64,
}

/// Names of the ten estimators of SP 800-90B 6.3.1-6.3.10, in section order.
pub const ESTIMATOR_NAMES: [&str; 10] = [
    "most_common_value",
    "collision",
    "markov",
    "compression",
    "t_tuple",
    "lrs",
    "multi_mcw",
    "lag",
    "multi_mmc",
    "lz78y",
];

/// Result of the initial entropy assessment of SP 800-90B section 3.1.3 using the non-IID
/// estimators of section 6.3.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Bits per sample, as given (SP 800-90B 3.1.3).
    pub bits_per_symbol: u8,
    /// Estimates on the original symbols (SP 800-90B 3.1.3 `H_original`): Most Common Value,
    /// t-Tuple, LRS, MultiMCW, Lag, MultiMMC and LZ78Y, the estimators that apply to non-binary
    /// data. Empty for binary data (exactly two distinct sample values).
    pub original: Vec<Estimate>,
    /// Estimates on the bitstring (per bit; SP 800-90B 3.1.3 `H_bitstring`): all ten
    /// estimators. For non-binary data the bitstring is every sample written MSB first in
    /// `bits_per_symbol` bits. For binary data it is the samples themselves, the smaller value
    /// read as 0 and the larger as 1, one bit per sample.
    pub bitstring: Vec<Estimate>,
    /// Estimators that did not apply to the original symbols (too few samples, no tuple seen
    /// 35 times (SP 800-90B 6.3.5), `v < u` (6.3.6), ...); they are left out of the minimum.
    pub original_skipped: Vec<&'static str>,
    /// Estimators that did not apply to the bitstring (SP 800-90B 6.3; as for the original).
    pub bitstring_skipped: Vec<&'static str>,
    /// `H_original`: the minimum over [`Assessment::original`] and `bits_per_symbol`. For binary
    /// data it equals [`Assessment::min_entropy`].
    pub h_original: f64,
    /// `H_bitstring` per bit: the minimum over [`Assessment::bitstring`] and 1 (for binary data:
    /// the minimum over the estimates and `bits_per_symbol`, as NIST's tool computes it).
    pub h_bitstring: f64,
    /// Final min-entropy per sample: `min(H_original, bits_per_symbol * H_bitstring)` for
    /// non-binary data, `H_bitstring` (one bit per sample) for binary data, 0 for constant data.
    pub min_entropy: f64,
}

/// Why an assessment could not be made (SP 800-90B 3.1.3 input requirements).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssessError {
    /// Fewer samples than the smallest count for which every estimator that always runs is
    /// defined ([`MIN_SAMPLES`]). SP 800-90B 3.1.1 asks for 1,000,000 samples; like NIST's tool
    /// this crate only warns about that through [`Assessment`] values, it does not refuse.
    TooFewSamples {
        /// Minimum number of samples ([`MIN_SAMPLES`], from SP 800-90B 6.3.10).
        needed: usize,
        /// Number of samples given (SP 800-90B 3.1.1 asks for 1,000,000).
        got: usize,
    },
    /// A sample does not fit in `bits_per_symbol` bits (SP 800-90B 3.1.3 samples of that width).
    SymbolOutOfRange {
        /// Position of the first such sample (SP 800-90B 3.1.3 input).
        index: usize,
        /// Its value (SP 800-90B 3.1.3 input).
        value: u8,
    },
    /// `bits_per_symbol` is not in 1..=8 (SP 800-90B 3.1.3 samples are at most 8 bits here, as in
    /// NIST's tool).
    InvalidBitsPerSymbol(u8),
}

impl std::fmt::Display for AssessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssessError::TooFewSamples { needed, got } => {
                write!(f, "too few samples: need at least {needed}, got {got}")
            }
            AssessError::SymbolOutOfRange { index, value } => {
                write!(f, "sample {index} has value {value}, which does not fit in the bit width")
            }
            AssessError::InvalidBitsPerSymbol(b) => {
                write!(f, "bits per symbol must be 1..=8, got {b}")
            }
        }
    }
}

impl std::error::Error for AssessError {}

/// Smallest number of samples accepted by [`assess_non_iid`] (SP 800-90B 6.3.10 LZ78Y with
/// `B = 16` needs `L >= B + 3` for two predictions, the fewest for which its confidence bound is
/// defined; every other estimator that always runs needs fewer). NIST's tool accepts shorter
/// inputs but then reads past the data or divides by zero.
pub const MIN_SAMPLES: usize = 19;

/// Bitstring length kept when [`Options::truncate_bitstring`] is set (`ea_non_iid -t`), and the
/// sample count SP 800-90B 3.1.1 asks for.
pub const TRUNCATED_BITSTRING_LEN: usize = 1_000_000;

/// Options of [`assess_non_iid_with`], mirroring `ea_non_iid`'s command-line switches for the
/// initial entropy estimate of SP 800-90B 3.1.3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Assess only the first 1,000,000 bits of the bitstring (`ea_non_iid -t`; SP 800-90B 3.1.1
    /// and 3.1.3). The default,
    /// like the tool's (`-a`), uses every bit. Binary data have no bitstring pass, so this does
    /// not affect them.
    pub truncate_bitstring: bool,
}

/// `symbols` are all below `alphabet_size`, and the alphabet size is 2..=256.
pub(crate) fn valid_symbols(symbols: &[u8], alphabet_size: usize) -> bool {
    (2..=256).contains(&alphabet_size) && symbols.iter().copied().max().is_none_or(|m| usize::from(m) < alphabet_size)
}

/// Initial entropy assessment of SP 800-90B section 3.1.3 with the non-IID estimators of
/// section 6.3, using every bit of the bitstring (NIST `ea_non_iid -i -a`, its default).
///
/// `samples` holds one sample per byte in its low `bits_per_symbol` bits. See
/// [`assess_non_iid_with`] for the details.
pub fn assess_non_iid(samples: &[u8], bits_per_symbol: u8) -> Result<Assessment, AssessError> {
    assess_non_iid_with(samples, bits_per_symbol, Options::default())
}

/// Initial entropy assessment of SP 800-90B section 3.1.3 with the non-IID estimators of
/// section 6.3, with [`Options`].
///
/// As in NIST's tool, the sample values are first mapped to `0..k` in increasing order, `k`
/// being the number of distinct values (this changes no estimate, but `k` is the alphabet size
/// the predictors use). Then:
///
/// * `k == 1`: no entropy (the tool refuses such data); every estimate list is empty and all
///   entropies are 0.
/// * `k == 2` (binary data): all ten estimators run on the 0/1 sequence, one bit per sample;
///   there is no separate bitstring pass.
/// * `k > 2`: the estimators for non-binary data run on the symbols, all ten run on the
///   bitstring, and the result is `min(H_original, bits_per_symbol * H_bitstring)`.
///
/// Errors: `bits_per_symbol` outside 1..=8, a sample that does not fit, or fewer than
/// [`MIN_SAMPLES`] samples.
pub fn assess_non_iid_with(samples: &[u8], bits_per_symbol: u8, options: Options) -> Result<Assessment, AssessError> {
    if !(1..=8).contains(&bits_per_symbol) {
        return Err(AssessError::InvalidBitsPerSymbol(bits_per_symbol));
    }
    let limit = 1u16 << bits_per_symbol;
    if let Some((index, &value)) = samples.iter().enumerate().find(|&(_, &v)| u16::from(v) >= limit) {
        return Err(AssessError::SymbolOutOfRange { index, value });
    }
    if samples.len() < MIN_SAMPLES {
        return Err(AssessError::TooFewSamples { needed: MIN_SAMPLES, got: samples.len() });
    }

    // Map the values down to 0..k, preserving order.
    let mut present = [false; 256];
    for &s in samples {
        present[usize::from(s)] = true;
    }
    let mut map = [0u8; 256];
    let mut k = 0usize;
    for (v, &p) in present.iter().enumerate() {
        if p {
            map[v] = k as u8;
            k += 1;
        }
    }
    let bps = f64::from(bits_per_symbol);
    let mut result = Assessment {
        bits_per_symbol,
        original: Vec::new(),
        bitstring: Vec::new(),
        original_skipped: Vec::new(),
        bitstring_skipped: Vec::new(),
        h_original: 0.0,
        h_bitstring: 0.0,
        min_entropy: 0.0,
    };
    if k < 2 {
        return Ok(result);
    }
    let symbols: Vec<u8> = samples.iter().map(|&s| map[usize::from(s)]).collect();

    if k == 2 {
        let (est, skipped) = run_estimators(&symbols, 2, true);
        let h = minimum(&est, bps);
        result.bitstring = est;
        result.bitstring_skipped = skipped;
        result.h_original = h;
        result.h_bitstring = h;
        result.min_entropy = h;
        return Ok(result);
    }

    let (orig, orig_skipped) = run_estimators(&symbols, k, false);
    drop(symbols);
    let width = usize::from(bits_per_symbol);
    let mut bits = Vec::with_capacity(samples.len() * width);
    for &s in samples {
        bits.extend((0..width).rev().map(|j| (s >> j) & 1));
    }
    if options.truncate_bitstring {
        bits.truncate(TRUNCATED_BITSTRING_LEN);
    }
    let (bit_est, bit_skipped) = run_estimators(&bits, 2, true);
    result.h_original = minimum(&orig, bps);
    result.h_bitstring = minimum(&bit_est, 1.0);
    result.min_entropy = result.h_original.min(bps * result.h_bitstring);
    result.original = orig;
    result.original_skipped = orig_skipped;
    result.bitstring = bit_est;
    result.bitstring_skipped = bit_skipped;
    Ok(result)
}

/// Minimum of `cap` and the estimates.
fn minimum(estimates: &[Estimate], cap: f64) -> f64 {
    estimates.iter().map(|e| e.min_entropy).fold(cap, f64::min)
}

/// Runs the estimators that apply (all ten when `binary`, else the seven for non-binary data)
/// on `symbols` (values below `k`), in section order; returns the estimates and the names of
/// those that did not apply.
fn run_estimators(symbols: &[u8], k: usize, binary: bool) -> (Vec<Estimate>, Vec<&'static str>) {
    let mut estimates = Vec::new();
    let mut skipped = Vec::new();
    let mut push = |name: &'static str, value: Option<f64>| match value {
        // `+ 0.0` turns the -0.0 of -log2(1.0) into 0.0.
        Some(v) => estimates.push(Estimate { name, min_entropy: v + 0.0 }),
        None => skipped.push(name),
    };
    push("most_common_value", most_common_value(symbols, k));
    if binary {
        push("collision", collision(symbols));
        push("markov", markov(symbols));
        push("compression", compression(symbols));
    }
    let (t_tuple, lrs) = t_tuple_and_lrs(symbols);
    push("t_tuple", t_tuple);
    push("lrs", lrs);
    push("multi_mcw", multi_mcw(symbols, k));
    push("lag", lag(symbols, k));
    push("multi_mmc", multi_mmc(symbols, k));
    push("lz78y", lz78y(symbols, k));
    (estimates, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors() {
        assert_eq!(assess_non_iid(&[0; 100], 0), Err(AssessError::InvalidBitsPerSymbol(0)));
        assert_eq!(assess_non_iid(&[0; 100], 9), Err(AssessError::InvalidBitsPerSymbol(9)));
        assert_eq!(assess_non_iid(&[0, 1, 2, 4, 1], 2), Err(AssessError::SymbolOutOfRange { index: 3, value: 4 }));
        assert_eq!(assess_non_iid(&[], 8), Err(AssessError::TooFewSamples { needed: MIN_SAMPLES, got: 0 }));
        assert_eq!(assess_non_iid(&[1; 18], 8), Err(AssessError::TooFewSamples { needed: MIN_SAMPLES, got: 18 }));
    }

    #[test]
    fn constant_data_has_no_entropy() {
        let a = assess_non_iid(&[5; 1000], 8).unwrap();
        assert_eq!(a.min_entropy, 0.0);
        assert!(a.original.is_empty() && a.bitstring.is_empty());
    }

    #[test]
    fn tiny_inputs_are_well_defined() {
        for len in MIN_SAMPLES..80 {
            for bps in 1..=8u8 {
                let s: Vec<u8> = (0..len).map(|i| ((i * 37 + i / 3) % (1 << bps)) as u8).collect();
                let a = assess_non_iid(&s, bps).unwrap();
                assert!(
                    a.min_entropy.is_finite() && a.min_entropy >= 0.0 && a.min_entropy <= f64::from(bps),
                    "len {len} bps {bps}: {a:?}"
                );
                for e in a.original.iter().chain(&a.bitstring) {
                    assert!(e.min_entropy.is_finite() && e.min_entropy >= 0.0, "{e:?}");
                }
            }
        }
    }

    #[test]
    fn nothing_repeats_in_the_original_symbols() {
        let s: Vec<u8> = (0..=255).collect();
        let a = assess_non_iid(&s, 8).unwrap();
        assert!(a.original_skipped.contains(&"t_tuple"));
        assert!(a.original_skipped.contains(&"lrs"));
        assert!(a.original_skipped.contains(&"multi_mcw"));
        assert!(a.min_entropy > 0.0 && a.min_entropy <= 8.0);
    }

    #[test]
    fn binary_data_uses_one_pass() {
        let s: Vec<u8> =
            (0..5000u32).map(|i| if i.wrapping_mul(2_654_435_761) >> 31 == 1 { 0xff } else { 0x00 }).collect();
        let a = assess_non_iid(&s, 8).unwrap();
        assert!(a.original.is_empty());
        assert_eq!(a.bitstring.len() + a.bitstring_skipped.len(), 10);
        assert_eq!(a.min_entropy, a.h_bitstring);
    }

    #[test]
    fn truncation_only_shortens_the_bitstring() {
        let s: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let t = assess_non_iid_with(&s, 8, Options { truncate_bitstring: true }).unwrap();
        let a = assess_non_iid(&s, 8).unwrap();
        assert_eq!(t.original, a.original);
        assert_ne!(t.bitstring, a.bitstring);
    }
}
