//! Cross-check of every SP 800-90B §6.3 estimate of `qres::rng::assess` against NIST's reference
//! implementation (the C++ of usnistgov/SP800-90B_EntropyAssessment, run through the PyPI package
//! `sp800-90b` 0.1.1 by `tools/sp800-90b/crosscheck.py`), on four data sets: OS random bytes (8-bit and
//! expanded to 1-bit samples), a biased source, a logistic-map series and the NOAA GOES X-ray data.
//!
//! `tests/vectors/sp800-90b/expected.json` holds NIST's results and the SHA-256 of each data set. The
//! OS random bytes are stored (`os_random.bin`); the other sets are regenerated here exactly as
//! `tests/vectors/sp800-90b/README.md` describes, and their digests checked before use.
//!
//! Tolerances (absolute, bits per symbol):
//! * 1e-12 for Most Common Value, Collision, Markov, t-Tuple and LRS: closed formulas over integer
//!   counts evaluated with the same double-precision operations as NIST's tool (agreement is bit-exact
//!   here);
//! * 1e-9 for Compression and the predictors (MultiMCW, Lag, MultiMMC, LZ78Y): the counts agree exactly
//!   but NIST evaluates the final probability in x87 80-bit `long double` before a binary search with a
//!   4-ulp stopping rule; in `f64` the root moves by at most 3e-11 on these data.

mod common;

use qres::rng::assess::{Estimate, assess_non_iid};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

const EXACT_TOL: f64 = 1e-12;
const SEARCH_TOL: f64 = 1e-9;

#[derive(Deserialize)]
struct Expected {
    sets: BTreeMap<String, SetResult>,
}

#[derive(Deserialize)]
struct SetResult {
    bits_per_symbol: u8,
    binary: bool,
    sha256: String,
    original: BTreeMap<String, f64>,
    bitstring: BTreeMap<String, f64>,
    h_original: f64,
    h_bitstring: f64,
    min_entropy: f64,
}

fn ours_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sp800-90b")
}

fn expected() -> Expected {
    let text = std::fs::read_to_string(ours_dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn biased() -> Vec<u8> {
    let mut s = 0x5EED_90B0_0000_0001u64;
    (0..1_000_000)
        .map(|_| {
            let r = splitmix64(&mut s);
            ((r & 0xff) & ((r >> 8) & 0xff)) as u8
        })
        .collect()
}

fn logistic() -> Vec<u8> {
    let mut x = 0.123456789f64;
    (0..1_000_000)
        .map(|_| {
            x = 3.99 * x * (1.0 - x);
            ((x * 256.0).floor() as i64).clamp(0, 255) as u8
        })
        .collect()
}

/// `round_half_even(flux * 1e12) & 0xff` per record of the shared NOAA GOES file, in file order.
fn noaa() -> Option<Vec<u8>> {
    let dir = common::vectors_dir()?;
    let json = std::fs::read_to_string(dir.join("../data/noaa-goes/xrays-1-day-20220425.json")).ok()?;
    let raw = qres::rng::chaotic::RawSamples::from_goes_json(&json, qres::rng::chaotic::Quantization::Scale(1e12), 0)
        .unwrap();
    Some(raw.samples().to_vec())
}

fn tolerance(name: &str) -> f64 {
    match name {
        "most_common_value" | "collision" | "markov" | "t_tuple" | "lrs" => EXACT_TOL,
        _ => SEARCH_TOL,
    }
}

fn compare(set: &str, part: &str, expected: &BTreeMap<String, f64>, ours: &[Estimate], skipped: &[&str]) -> f64 {
    assert_eq!(expected.len(), ours.len() + skipped.len(), "{set} {part}: estimator sets differ");
    let mut worst = 0.0f64;
    for (name, &want) in expected {
        if want < 0.0 {
            assert!(skipped.contains(&name.as_str()), "{set} {part} {name}: NIST found it not applicable");
            println!("{set:<15} {part:<9} {name:<18} not applicable (NIST and qres)");
            continue;
        }
        let got =
            ours.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{set} {part} {name} missing")).min_entropy;
        let diff = (got - want).abs();
        println!("{set:<15} {part:<9} {name:<18} NIST {want:.12} qres {got:.12} |diff| {diff:.1e}");
        assert!(diff <= tolerance(name), "{set} {part} {name}: NIST {want} qres {got}");
        worst = worst.max(diff);
    }
    worst
}

fn check(set: &str, data: Vec<u8>) {
    let e = &expected().sets[set];
    let digest = hex::encode(Sha256::digest(&data));
    let data: Vec<u8> = if e.bits_per_symbol == 1 {
        data.iter().flat_map(|&b| (0..8).rev().map(move |j| (b >> j) & 1)).collect()
    } else {
        assert_eq!(digest, e.sha256, "{set}: regenerated data differ from what NIST's tool was run on");
        data
    };
    let started = std::time::Instant::now();
    let a = assess_non_iid(&data, e.bits_per_symbol).unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(a.original.is_empty(), e.binary, "{set}: binary classification");
    let w = compare(set, "original", &e.original, &a.original, &a.original_skipped).max(compare(
        set,
        "bitstring",
        &e.bitstring,
        &a.bitstring,
        &a.bitstring_skipped,
    ));
    for (what, want, got) in [
        ("H_original", e.h_original, a.h_original),
        ("H_bitstring", e.h_bitstring, a.h_bitstring),
        ("min_entropy", e.min_entropy, a.min_entropy),
    ] {
        assert!((got - want).abs() <= SEARCH_TOL, "{set} {what}: NIST {want} qres {got}");
    }
    println!(
        "SP 800-90B {set}: {} samples, min-entropy NIST {:.6} qres {:.6} bits/sample, largest estimator difference {w:.1e}, {secs:.2} s",
        data.len(),
        e.min_entropy,
        a.min_entropy
    );
}

fn os_random() -> Vec<u8> {
    std::fs::read(ours_dir().join("os_random.bin")).unwrap()
}

#[test]
fn os_random_8bit() {
    check("os_random", os_random());
}

#[test]
fn os_random_1bit() {
    check("os_random_1bit", os_random());
}

#[test]
fn biased_8bit() {
    check("biased", biased());
}

#[test]
fn logistic_8bit() {
    check("logistic", logistic());
}

#[test]
fn noaa_8bit() {
    let data = require!(noaa());
    check("noaa", data);
}
