//! The chaotic-entropy extractor: adapters, assessment-driven sizing, use-once semantics (in memory and
//! through the persistent ledger), and seeding the DRBG.

mod common;

use qres::Error;
use qres::rng::chaotic::{ChaoticExtractor, Quantization, RawSamples};
use qres::rng::{CtrDrbg, DrbgConfig, OsEntropy, SeedPolicy};
use rand_core::TryRng;

fn logistic(n: usize, x0: f64) -> Vec<u8> {
    let mut x = x0;
    (0..n)
        .map(|_| {
            x = 3.99 * x * (1.0 - x);
            (x * 1e6) as u64 as u8
        })
        .collect()
}

fn noaa_json() -> Option<String> {
    let dir = common::vectors_dir()?;
    std::fs::read_to_string(dir.join("../data/noaa-goes/xrays-1-day-20220425.json")).ok()
}

#[test]
fn noaa_data_is_assessed_honestly() {
    let json = require!(noaa_json());
    // The recommended reading: per band, log10 flux to 2 decimals, second differences.
    let raw = RawSamples::from_goes_json_recommended(&json).unwrap();
    assert_eq!(raw.len(), 2876 - 4);
    let h = qres::rng::assess::assess_non_iid(raw.samples(), 8).unwrap().min_entropy;
    println!("NOAA GOES, recommended reading: assessed {h:.3} bits/sample over {} samples", raw.len());
    match ChaoticExtractor::new().extract(raw) {
        Ok(seed) => println!("  enough for a seed: {:.0} bits", seed.assessed_input_bits()),
        Err(Error::InsufficientData { have, more_needed, .. }) => {
            println!("  not enough: {more_needed} more samples needed");
            assert_eq!(have, 2876);
            assert!(more_needed > 0);
        }
        Err(e) => panic!("{e}"),
    }
    // Read naively — raw readings at 3 significant digits, or quantized far below the instrument's
    // resolution — the smooth trend and floating-point residue look random to the estimators, which
    // credit far more entropy: the reading must be chosen with care (SECURITY.md).
    for (what, q) in
        [("3 significant digits", Quantization::SignificantDigits(3)), ("1e-12 W/m^2 steps", Quantization::Scale(1e12))]
    {
        let naive = RawSamples::from_goes_json(&json, q, 0).unwrap();
        let h_naive = qres::rng::assess::assess_non_iid(naive.samples(), 8).unwrap().min_entropy;
        println!("NOAA GOES, naive {what}: assessed {h_naive:.3} bits/sample");
        assert!(h_naive > 1.5 * h, "{what}");
    }
}

#[test]
fn too_little_data_is_a_typed_error_with_the_shortfall() {
    let raw = RawSamples::from_bytes("logistic", &logistic(50, 0.2));
    let Err(Error::InsufficientData { have, more_needed, .. }) = ChaoticExtractor::new().extract(raw) else {
        panic!("expected InsufficientData")
    };
    assert_eq!(have, 50);
    assert!(more_needed > 0 && more_needed < 1_000_000, "{more_needed}");
    // Supplying that many more samples (with margin for estimator variance) succeeds.
    let raw = RawSamples::from_bytes("logistic", &logistic(2 * (have + more_needed), 0.2));
    assert!(ChaoticExtractor::new().extract(raw).is_ok());
    // A stuck source is never enough, however long.
    let raw = RawSamples::from_bytes("stuck", &[7u8; 50_000]);
    assert!(matches!(
        ChaoticExtractor::new().extract(raw),
        Err(Error::InsufficientData { more_needed: usize::MAX, .. })
    ));
    // An external, lower assessment wins.
    let raw = RawSamples::from_bytes("logistic", &logistic(20_000, 0.3));
    let strict = ChaoticExtractor::new().with_assessed_entropy(0.01);
    let mut strict = strict;
    assert!(matches!(strict.extract(raw), Err(Error::InsufficientData { .. })));
}

#[test]
fn the_same_raw_data_is_refused_twice_even_across_restarts() {
    let data = logistic(20_000, 0.4);
    let mut ex = ChaoticExtractor::new();
    ex.extract(RawSamples::from_bytes("a", &data)).unwrap();
    assert_eq!(
        ex.extract(RawSamples::from_bytes("b", &data)).unwrap_err(),
        Error::AlreadyUsed("these raw samples were already turned into a seed")
    );

    let path = std::env::temp_dir().join(format!("qres-ledger-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    ChaoticExtractor::new().with_ledger(&path).unwrap().extract(RawSamples::from_bytes("a", &data)).unwrap();
    // A new extractor (a restarted process) reads the ledger and refuses the same samples.
    let mut again = ChaoticExtractor::new().with_ledger(&path).unwrap();
    assert!(matches!(again.extract(RawSamples::from_bytes("a", &data)), Err(Error::AlreadyUsed(_))));
    assert!(again.extract(RawSamples::from_bytes("a", &logistic(20_000, 0.41))).is_ok());
    let ledger = std::fs::read_to_string(&path).unwrap();
    assert_eq!(ledger.lines().count(), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // A corrupt ledger is an error, not a silently empty one.
    std::fs::write(&path, "not hex\n").unwrap();
    assert!(ChaoticExtractor::new().with_ledger(&path).is_err());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn seeds_feed_the_drbg_once() {
    let mut ex = ChaoticExtractor::new();
    let s1 = ex.extract(RawSamples::from_bytes("a", &logistic(20_000, 0.11))).unwrap();
    let s2 = ex.extract(RawSamples::from_bytes("b", &logistic(20_000, 0.12))).unwrap();
    assert!(s1.assessed_input_bits() >= 320.0);
    assert!(format!("{s1:?}").contains("redacted"));
    // One seed (256 credited bits) alone cannot instantiate (384 needed): fail closed.
    let alone = SeedPolicy::new().with_chaotic_seed(s1);
    assert!(matches!(
        CtrDrbg::new(alone, DrbgConfig::default()),
        Err(Error::InsufficientEntropy { available_bits: 256, .. })
    ));
    // Two seeds can; the DRBG then serves requests, and reseeding needs a regular source.
    let s3 = ex.extract(RawSamples::from_bytes("c", &logistic(20_000, 0.13))).unwrap();
    let policy = SeedPolicy::new().with_chaotic_seed(s2).with_chaotic_seed(s3);
    let mut drbg = CtrDrbg::new(policy, DrbgConfig { reseed_interval: 1, ..DrbgConfig::default() }).unwrap();
    let mut buf = [0u8; 64];
    drbg.try_fill_bytes(&mut buf).unwrap();
    assert!(matches!(drbg.try_fill_bytes(&mut buf), Err(Error::InsufficientEntropy { .. })), "the seeds are gone");
    // Combined with the OS source, the chaotic seed adds to the instantiation input.
    let s4 = ex.extract(RawSamples::from_bytes("d", &logistic(20_000, 0.14))).unwrap();
    let policy = SeedPolicy::new().with_source(OsEntropy).unwrap().with_chaotic_seed(s4);
    let mut drbg = CtrDrbg::new(policy, DrbgConfig::default()).unwrap();
    drbg.try_fill_bytes(&mut buf).unwrap();
}
