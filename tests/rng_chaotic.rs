//! The chaotic-entropy extractor: adapters, assessment-driven sizing, use-once semantics (in memory and
//! through the persistent ledger), and seeding the DRBG.

mod common;

use qres::Error;
use qres::entropy::{EntropySource, OsEntropy};
use qres::rng::chaotic::{ChaoticExtractor, ChaoticSeed, Quantization, RawSamples};
use qres::rng::{CtrDrbg, DrbgConfig, SeedPolicy};
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
    let mut strict = ChaoticExtractor::new().with_assessed_entropy(0.01).unwrap();
    assert!(matches!(strict.extract(raw), Err(Error::InsufficientData { .. })));
}

#[test]
fn invalid_external_assessments_are_refused() {
    for h in [f64::NAN, f64::INFINITY, -0.5, 8.5] {
        assert!(
            matches!(ChaoticExtractor::new().with_assessed_entropy(h), Err(Error::InvalidInput(_))),
            "assessed entropy {h} was accepted"
        );
    }
    assert!(ChaoticExtractor::new().with_assessed_entropy(0.0).is_ok());
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
    let used = RawSamples::from_bytes("a", &logistic(20_000, 0.42));
    let digest = hex::encode(used.input_digest());
    ChaoticExtractor::new().with_ledger(&path).unwrap().extract(used).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{digest}\n"));
    // A restarted process reads the ledger and refuses what an earlier one used: simulated with a digest
    // appended by hand for samples this process has never seen.
    let earlier = RawSamples::from_bytes("a", &logistic(20_000, 0.43));
    std::fs::write(&path, format!("{digest}\n{}\n", hex::encode(earlier.input_digest()))).unwrap();
    let mut again = ChaoticExtractor::new().with_ledger(&path).unwrap();
    assert!(matches!(again.extract(earlier.clone()), Err(Error::AlreadyUsed(_))));
    // ... and every other extractor of this process now refuses it too.
    assert!(matches!(ChaoticExtractor::new().extract(earlier), Err(Error::AlreadyUsed(_))));
    assert!(again.extract(RawSamples::from_bytes("a", &logistic(20_000, 0.41))).is_ok());
    let ledger = std::fs::read_to_string(&path).unwrap();
    assert_eq!(ledger.lines().count(), 3);
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
    // Seeds alone never instantiate, however many: they are additional input, not entropy credit.
    let alone = SeedPolicy::new().with_chaotic_seed(s1);
    assert!(matches!(
        CtrDrbg::new(alone, DrbgConfig::default()),
        Err(Error::InsufficientEntropy { needed_bits: 384, available_bits: 0 })
    ));
    // Beside the OS source, they are mixed into the instantiation and reported apart; then they are gone
    // and reseeds use the OS source.
    let s3 = ex.extract(RawSamples::from_bytes("c", &logistic(20_000, 0.13))).unwrap();
    let mut policy = SeedPolicy::new().with_source(OsEntropy).unwrap().with_chaotic_seed(s2).with_chaotic_seed(s3);
    assert_eq!(policy.pending_one_time_seeds(), 2);
    let (_, report) = policy.gather(384).unwrap();
    assert_eq!((report.sources.len(), report.assessed_bits), (1, 384), "{report:?}");
    assert_eq!((report.one_time_sources.len(), report.one_time_bits), (2, 512), "{report:?}");
    assert_eq!(policy.pending_one_time_seeds(), 0);
    let s4 = ex.extract(RawSamples::from_bytes("d", &logistic(20_000, 0.14))).unwrap();
    let policy = SeedPolicy::new().with_source(OsEntropy).unwrap().with_chaotic_seed(s4);
    let mut drbg = CtrDrbg::new(policy, DrbgConfig { reseed_interval: 1, ..DrbgConfig::default() }).unwrap();
    assert_eq!(drbg.policy().pending_one_time_seeds(), 0, "the seed is gone");
    let mut buf = [0u8; 64];
    drbg.try_fill_bytes(&mut buf).unwrap();
    drbg.try_fill_bytes(&mut buf).unwrap();
    assert_eq!(drbg.reseed_count(), 1);
}

/// A regular source that always fails.
struct Dead;
impl EntropySource for Dead {
    fn name(&self) -> &str {
        "dead"
    }
    fn min_entropy_per_byte(&self) -> f64 {
        8.0
    }
    fn fill(&mut self, _: &mut [u8]) -> qres::Result<()> {
        Err(Error::EntropySource { source_name: "dead".into(), reason: "device gone".into() })
    }
}

fn seeds(ex: &mut ChaoticExtractor, x0: f64, n: usize) -> Vec<ChaoticSeed> {
    (0..n)
        .map(|i| ex.extract(RawSamples::from_bytes("logistic map", &logistic(20_000, x0 + i as f64 * 1e-3))).unwrap())
        .collect()
}

fn policy_with(regular: Option<SeedPolicy>, seeds: Vec<ChaoticSeed>) -> SeedPolicy {
    seeds.into_iter().fold(regular.unwrap_or_default(), SeedPolicy::with_chaotic_seed)
}

#[test]
fn chaotic_seeds_never_stand_in_for_a_regular_source() {
    let mut ex = ChaoticExtractor::new();
    // Every regular source failing, plus any number of chaotic seeds: fail closed, in the gather ...
    for n in [2, 4, 1] {
        let mut policy =
            policy_with(Some(SeedPolicy::new().with_source(Dead).unwrap()), seeds(&mut ex, 0.5 + n as f64 / 100.0, n));
        for bits in [384, 256] {
            match policy.gather(bits) {
                Err(Error::InsufficientEntropy { needed_bits, available_bits }) => {
                    assert_eq!((needed_bits, available_bits), (bits, 0), "{n} seeds")
                }
                Err(e) => panic!("{n} seeds, {bits} bits: {e}"),
                Ok((_, report)) => panic!("{n} chaotic seeds seeded {bits} bits alone: {report:?}"),
            }
        }
    }
    // ... and in the DRBG's instantiation, with or without a (dead) regular source.
    for regular in [true, false] {
        let base = if regular { SeedPolicy::new().with_source(Dead).unwrap() } else { SeedPolicy::new() };
        let policy = policy_with(Some(base), seeds(&mut ex, 0.6 + regular as u8 as f64 / 100.0, 3));
        match CtrDrbg::new(policy, DrbgConfig::default()) {
            Err(Error::InsufficientEntropy { needed_bits: 384, available_bits: 0 }) => {}
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("chaotic seeds alone instantiated a CtrDrbg (regular source configured: {regular})"),
        }
    }
}

#[test]
fn chaotic_seeds_are_not_counted_in_assessed_bits() {
    let mut ex = ChaoticExtractor::new();
    let mut policy = policy_with(Some(SeedPolicy::os()), seeds(&mut ex, 0.7, 2));
    let (_, report) = policy.gather(256).unwrap();
    assert_eq!(report.assessed_bits, 256, "{report:?}");
}

#[test]
fn failed_seeding_keeps_the_one_time_seeds() {
    let mut ex = ChaoticExtractor::new();
    let mut policy = policy_with(Some(SeedPolicy::new().with_source(Dead).unwrap()), seeds(&mut ex, 0.8, 1));
    assert!(policy.gather(384).is_err());
    assert!(format!("{policy:?}").contains("one_time_seeds: 1"), "the seed was lost: {policy:?}");
    // Once a regular source is there, the kept seed is mixed in.
    assert_eq!(policy.pending_one_time_seeds(), 1);
    let mut policy = policy.with_source(OsEntropy).unwrap();
    let (_, report) = policy.gather(384).unwrap();
    assert!(format!("{policy:?}").contains("one_time_seeds: 0"), "{policy:?}");
    assert_eq!(report.one_time_sources, ["logistic map"]);
}

#[test]
fn the_same_samples_are_refused_by_every_extractor() {
    let data = logistic(20_000, 0.9);
    ChaoticExtractor::new().extract(RawSamples::from_bytes("a", &data)).unwrap();
    assert!(
        matches!(ChaoticExtractor::new().extract(RawSamples::from_bytes("b", &data)), Err(Error::AlreadyUsed(_))),
        "a second extractor accepted the same samples"
    );
    // A re-fetched GOES file (other formatting and timestamps, the same readings) is the same input.
    let json = require!(noaa_json());
    let mut records: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    records.truncate(2_000); // not the whole file: `noaa_data_is_assessed_honestly` uses that
    let first = serde_json::to_string(&records).unwrap();
    for r in &mut records {
        r["time_tag"] = serde_json::Value::from("re-fetched");
    }
    let refetched = serde_json::to_string_pretty(&records).unwrap();
    assert_ne!(first, refetched);
    ChaoticExtractor::new().extract(RawSamples::from_goes_json_recommended(&first).unwrap()).unwrap();
    assert!(
        matches!(
            ChaoticExtractor::new().extract(RawSamples::from_goes_json_recommended(&refetched).unwrap()),
            Err(Error::AlreadyUsed(_))
        ),
        "a re-fetched file with identical readings was accepted"
    );
}
