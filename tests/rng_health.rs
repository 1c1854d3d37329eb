//! SP 800-90B health tests on whole sources: a stuck source trips the Repetition Count Test, a biased one
//! the Adaptive Proportion Test (and both stay stopped, through the retest), a healthy source's false-alarm
//! rate over hundreds of millions of samples is what alpha predicts (2^-20 as a check of the cutoff
//! functions, 2^-40 in use), and a single false alarm is survived by the source and by a DRBG on it.
//! Long soaks (`#[ignore]`): `soak_*` below.

use qres::rng::health::{APT_WINDOW, STARTUP_SAMPLES, apt_cutoff, rct_cutoff};
use qres::rng::{
    CtrDrbg, CtrDrbgCore, DrbgConfig, EntropySource, HealthStatus, HealthTest, HealthTests, Monitored, OsEntropy,
    SeedPolicy, health_alarm_count,
};
use rand_core::TryRng;

/// A deterministic stand-in for an ideal source: CTR_DRBG output from a fixed seed.
fn ideal_bytes(seed: u8) -> impl FnMut(&mut [u8]) {
    let mut drbg = CtrDrbgCore::instantiate(&[seed; 48], b"health test", b"", true).unwrap();
    move |buf: &mut [u8]| {
        for chunk in buf.chunks_mut(65_536) {
            drbg.generate(chunk, &[]).unwrap();
        }
    }
}

struct FnSource<F>(F, f64);
impl<F: FnMut(&mut [u8]) + Send> EntropySource for FnSource<F> {
    fn name(&self) -> &str {
        "test source"
    }
    fn min_entropy_per_byte(&self) -> f64 {
        self.1
    }
    fn fill(&mut self, dest: &mut [u8]) -> qres::Result<()> {
        (self.0)(dest);
        Ok(())
    }
}

#[test]
fn stuck_source_trips_the_repetition_count_test() {
    // Healthy for a while, then stuck at one value.
    let mut ideal = ideal_bytes(1);
    let mut produced = 0usize;
    let source = FnSource(
        move |buf: &mut [u8]| {
            ideal(buf);
            for b in buf.iter_mut() {
                if produced > 10_000 {
                    *b = 0x5a;
                }
                produced += 1;
            }
        },
        8.0,
    );
    let mut s = Monitored::new(source).unwrap();
    let mut buf = [0u8; 1000];
    let mut delivered = 0;
    let err = loop {
        match s.fill(&mut buf) {
            Ok(()) => delivered += buf.len(),
            Err(e) => break e,
        }
    };
    assert!(delivered >= 8_000, "healthy output was delivered first");
    let HealthStatus::Failed(f) = s.health() else { panic!("not failed") };
    assert_eq!(f.test, HealthTest::RepetitionCount);
    // The first alarm (on the cutoff-th repeat, at 10,001 + C - 1) discards the rest of that read (reads
    // start at 1,024 + k * 1,000, so it ends at 10,024); the retest trips C samples later and latches.
    let c = rct_cutoff(8.0) as u64;
    assert_eq!(f.sample_index, 10_024 + c - 1, "the retest trips on its cutoff-th repeat");
    assert_eq!(s.alarms(), 2, "the alarm and the failed retest");
    assert!(delivered <= 9_000, "no read containing stuck output was delivered");
    assert!(err.to_string().contains("retest") && err.to_string().contains("repetition count"), "{err}");
    assert!(s.fill(&mut buf).is_err(), "a failed source stays stopped");
}

#[test]
fn biased_source_trips_the_adaptive_proportion_test() {
    // Every other byte is 0x00, the others random and never zero: no value ever repeats back to back, so
    // only the APT can notice that 0x00 fills half of each window.
    let mut ideal = ideal_bytes(2);
    let mut i = 0usize;
    let source = FnSource(
        move |buf: &mut [u8]| {
            ideal(buf);
            for b in buf.iter_mut() {
                *b = if i.is_multiple_of(2) { 0 } else { (*b).max(1) };
                i += 1;
            }
        },
        8.0,
    );
    let mut s = Monitored::new(source).unwrap();
    let err = s.fill(&mut [0u8; 64]).unwrap_err();
    let HealthStatus::Failed(f) = s.health() else { panic!("not failed") };
    assert_eq!(f.test, HealthTest::AdaptiveProportion);
    assert_eq!(f.cutoff, apt_cutoff(8.0, APT_WINDOW));
    assert!(f.sample_index < 1024, "caught during the start-up test");
    assert!(err.to_string().contains("start-up"), "{err}");
}

#[test]
fn mildly_biased_source_with_an_honest_claim_passes() {
    // The same alternating source is fine when it claims what it has: its most likely value has
    // probability 1/2, so its min-entropy is 1 bit per byte.
    let mut ideal = ideal_bytes(3);
    let mut i = 0usize;
    let mut t = HealthTests::new(1.0).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    for _ in 0..16 {
        ideal(&mut buf);
        for b in buf.iter_mut() {
            *b = if i.is_multiple_of(2) { 0 } else { (*b).max(1) };
            i += 1;
        }
        t.feed(&buf).unwrap();
    }
}

/// Runs the tests (alpha = 2^-`alpha_exponent`) over `samples` ideal samples, resetting after each alarm;
/// returns (RCT, APT) alarms.
fn false_alarms(claim: f64, alpha_exponent: u32, samples: usize) -> (usize, usize) {
    let mut ideal = ideal_bytes(4);
    let mut t = HealthTests::with_alpha_exponent(claim, alpha_exponent).unwrap();
    let (mut rct, mut apt) = (0, 0);
    let mut buf = vec![0u8; 1 << 20];
    for _ in 0..samples / buf.len() {
        ideal(&mut buf);
        let mut rest = &buf[..];
        loop {
            let start = t.samples_tested();
            let Err(f) = t.feed(rest) else { break };
            match f.test {
                HealthTest::RepetitionCount => rct += 1,
                HealthTest::AdaptiveProportion => apt += 1,
                other => panic!("unexpected health test {other:?}"),
            }
            // Resume just after the failing sample with fresh test state.
            let failing = (f.sample_index - start) as usize;
            rest = &rest[failing + 1..];
            t.reset();
        }
    }
    (rct, apt)
}

#[test]
fn healthy_source_false_alarm_rate_matches_alpha() {
    // The cutoff functions at alpha = 2^-20 (SP 800-90B's Table 2 setting), as a statistical check: over
    // 2^28 samples (268 million) from an ideal source claimed at 8 bits per byte, the RCT cutoff of 4
    // gives a false alarm with probability 2^-24 per sample, so about 16 are expected; the APT's is
    // about 0.6 (P[Binomial(511, 1/256) >= 12] per 512-sample window). We require the counts to stay
    // within generous Poisson bounds of those expectations. Measured with this fixed seed: RCT 11, APT 1.
    let n = 1usize << 28;
    let (rct, apt) = false_alarms(8.0, 20, n);
    println!("alpha 2^-20: false alarms over {n} ideal samples (claim 8 bits/byte): RCT {rct}, APT {apt}");
    assert!((4..=40).contains(&rct), "RCT false alarms {rct}");
    assert!(apt <= 4, "APT false alarms {apt}");
    // The cutoffs in use (alpha = 2^-40, RCT 6, APT 19): about 2^-12 alarms expected over the same data.
    let (rct, apt) = false_alarms(8.0, 40, n);
    println!("alpha 2^-40: false alarms over {n} ideal samples (claim 8 bits/byte): RCT {rct}, APT {apt}");
    assert_eq!((rct, apt), (0, 0));
}

#[test]
fn cutoff_table_alpha_2_40_matches_an_exact_computation() {
    // Expected values printed by `python3 tools/health_cutoffs.py` (exact binomial upper tails with
    // Python fractions for integer H, 120-digit decimals for H = 0.5), alpha = 2^-40, W = 512.
    for (h, rct, apt) in [
        (8.0, 6, 19),
        (7.0, 7, 26),
        (6.0, 8, 35),
        (5.0, 9, 51),
        (4.0, 11, 78),
        (3.0, 15, 123),
        (2.0, 21, 201),
        (1.0, 41, 336),
        (0.5, 81, 432),
    ] {
        assert_eq!((rct_cutoff(h), apt_cutoff(h, APT_WINDOW)), (rct, apt), "H = {h}");
    }
    // The binary window of SP 800-90B (W = 1024) from the same script: 625 at H = 1.
    assert_eq!(apt_cutoff(1.0, 1024), 625);
}

/// An ideal stream with one run of 16 identical bytes injected at `at` (a single false alarm for any
/// claim), from the source's own output position.
fn one_alarm_source(seed: u8, at: usize) -> FnSource<impl FnMut(&mut [u8]) + Send> {
    let mut ideal = ideal_bytes(seed);
    let mut position = 0usize;
    FnSource(
        move |buf: &mut [u8]| {
            ideal(buf);
            for b in buf.iter_mut() {
                if (at..at + 16).contains(&position) {
                    *b = 0x33;
                }
                position += 1;
            }
        },
        8.0,
    )
}

#[test]
fn one_false_alarm_does_not_kill_a_monitored_source() {
    let before = health_alarm_count();
    let mut s = Monitored::new(one_alarm_source(5, 200_000)).unwrap();
    let mut buf = vec![0u8; 4096];
    for i in 0..256 {
        s.fill(&mut buf).unwrap_or_else(|e| panic!("read {i} failed: {e}"));
        assert!(!buf.windows(16).any(|w| w.iter().all(|&b| b == 0x33)), "the alarmed read was delivered");
    }
    assert_eq!(s.health(), HealthStatus::Healthy);
    assert_eq!(s.alarms(), 1, "the alarm was counted");
    assert!(health_alarm_count() > before, "and counted process-wide");
    // Accounted: start-up, 256 delivered reads, the discarded read and the retest.
    assert_eq!(s.tests().samples_tested(), (STARTUP_SAMPLES + 257 * 4096 + STARTUP_SAMPLES) as u64);
}

#[test]
fn a_source_stuck_after_one_recovered_alarm_still_stops_within_the_bound() {
    // One false alarm (recovered), then, later than the relatch window, the source gets stuck for good:
    // it is stopped by the retest of its next alarm, within 2C - 1 samples of the first stuck one plus
    // the unexamined rest of the alarmed read.
    let stuck_from = 40_000_000usize;
    let mut ideal = ideal_bytes(7);
    let mut position = 0usize;
    let source = FnSource(
        move |buf: &mut [u8]| {
            ideal(buf);
            for b in buf.iter_mut() {
                if (100_000..100_016).contains(&position) || position >= stuck_from {
                    *b = 0x44;
                }
                position += 1;
            }
        },
        8.0,
    );
    let mut s = Monitored::new(source).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let err = loop {
        if let Err(e) = s.fill(&mut buf) {
            break e;
        }
    };
    let HealthStatus::Failed(f) = s.health() else { panic!("not failed: {err}") };
    let c = rct_cutoff(8.0) as u64;
    assert_eq!(s.alarms(), 3, "recovered alarm, alarm, failed retest");
    assert!(f.sample_index >= stuck_from as u64 + c - 1, "{f}");
    assert!(f.sample_index < stuck_from as u64 + buf.len() as u64 + 2 * c, "{f}");
}

#[test]
fn one_false_alarm_does_not_kill_a_prediction_resistant_drbg() {
    let policy = SeedPolicy::new().with_source(one_alarm_source(6, 20_000)).unwrap();
    let mut drbg = CtrDrbg::new(policy, DrbgConfig { prediction_resistance: true, ..DrbgConfig::default() }).unwrap();
    let mut out = [0u8; 32];
    for i in 0..2_000 {
        drbg.try_fill_bytes(&mut out).unwrap_or_else(|e| panic!("request {i} failed: {e}"));
    }
}

/// A size from the environment variable `var` (digits, optionally in scientific notation such as `1e8`),
/// or `default`.
fn env_size(var: &str, default: u64) -> u64 {
    match std::env::var(var) {
        Ok(v) => v.parse::<u64>().ok().or_else(|| v.parse::<f64>().ok().map(|f| f as u64)).unwrap_or_else(|| {
            panic!("{var}={v} is not a number");
        }),
        Err(_) => default,
    }
}

/// Soak: a prediction-resistant CtrDrbg over the OS source (a reseed, hence an OS read and its health
/// tests, before every request) through `QRES_SOAK_REQUESTS` 32-byte requests (default 10^8). Target: no
/// failed request. `cargo test --test rng_health soak_prediction_resistant_drbg -- --ignored
/// --nocapture`.
#[test]
#[ignore = "long soak (minutes); run explicitly"]
fn soak_prediction_resistant_drbg_over_the_os_source() {
    let requests = env_size("QRES_SOAK_REQUESTS", 100_000_000);
    let alarms_before = health_alarm_count();
    let config = DrbgConfig { prediction_resistance: true, ..DrbgConfig::default() };
    let mut drbg = CtrDrbg::new(SeedPolicy::os(), config).unwrap();
    let start = std::time::Instant::now();
    let (mut failed, mut out) = (0u64, [0u8; 32]);
    for i in 0..requests {
        if drbg.try_fill_bytes(&mut out).is_err() {
            failed += 1;
            if failed == 1 {
                eprintln!("first failed request: {i}");
            }
        }
        if (i + 1) % 10_000_000 == 0 {
            eprintln!("  {} requests, {:.0} s, {failed} failed", i + 1, start.elapsed().as_secs_f64());
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "soak: prediction-resistant CtrDrbg over OS: {requests} requests of 32 B ({} reseeds) in {secs:.0} s \
         ({:.2} us/request): {} health-test alarms, {failed} failed requests, source {:?}",
        drbg.reseed_count(),
        secs * 1e6 / requests as f64,
        health_alarm_count() - alarms_before,
        drbg.policy().sources()
    );
    assert_eq!(failed, 0);
}

/// Soak: `Monitored<OsEntropy>` through `QRES_SOAK_BYTES` bytes (default 100 GB = 10^11) in reads of
/// `QRES_SOAK_READ` bytes (default 1 MiB). Target: no failed read.
/// `cargo test --test rng_health soak_monitored_os -- --ignored --nocapture`.
#[test]
#[ignore = "long soak (minutes); run explicitly"]
fn soak_monitored_os_entropy() {
    let total = env_size("QRES_SOAK_BYTES", 100_000_000_000);
    let read = env_size("QRES_SOAK_READ", 1 << 20) as usize;
    let alarms_before = health_alarm_count();
    let mut s = Monitored::new(OsEntropy).unwrap();
    let mut buf = vec![0u8; read];
    let start = std::time::Instant::now();
    let (mut done, mut failed, mut next_report) = (0u64, 0u64, 10_000_000_000u64);
    while done < total {
        let n = read.min((total - done) as usize);
        if s.fill(&mut buf[..n]).is_err() {
            failed += 1;
            if failed == 1 {
                eprintln!("first failed read after {done} bytes");
            }
        }
        done += n as u64;
        if done >= next_report {
            eprintln!("  {} GB, {:.0} s, {failed} failed", done / 1_000_000_000, start.elapsed().as_secs_f64());
            next_report += 10_000_000_000;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "soak: Monitored<OsEntropy>: {done} bytes in reads of {read} B in {secs:.0} s ({:.0} MB/s): {} alarms \
         ({} process-wide), {failed} failed reads, health {:?}",
        done as f64 / secs / 1e6,
        s.alarms(),
        health_alarm_count() - alarms_before,
        s.health()
    );
    assert_eq!(failed, 0);
}
