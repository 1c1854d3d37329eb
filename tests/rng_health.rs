//! SP 800-90B health tests on whole sources: a stuck source trips the Repetition Count Test, a biased one
//! the Adaptive Proportion Test, and a healthy source's false-alarm rate over hundreds of millions of
//! samples is what alpha = 2^-20 predicts.

use qres::rng::health::{APT_WINDOW, apt_cutoff, rct_cutoff};
use qres::rng::{CtrDrbgCore, EntropySource, HealthStatus, HealthTest, HealthTests, Monitored};

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
    assert_eq!(f.sample_index, 10_001 + rct_cutoff(8.0) as u64 - 1, "trips on the cutoff-th repeat");
    assert!(err.to_string().contains("repetition count"), "{err}");
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

/// Runs the tests over `samples` ideal samples, resetting after each alarm; returns (RCT, APT) alarms.
fn false_alarms(claim: f64, samples: usize) -> (usize, usize) {
    let mut ideal = ideal_bytes(4);
    let mut t = HealthTests::new(claim).unwrap();
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
    // 2^28 samples (268 million) from an ideal source claimed at 8 bits per byte. The RCT cutoff of 4
    // gives a false alarm with probability 2^-24 per sample, so about 16 are expected; the APT's is
    // about 0.6 (P[Binomial(511, 1/256) >= 12] per 512-sample window). We require the counts to stay
    // within generous Poisson bounds of those expectations. Measured with this fixed seed: RCT 11, APT 1.
    let n = 1usize << 28;
    let (rct, apt) = false_alarms(8.0, n);
    println!("health-test false alarms over {n} ideal samples (claim 8 bits/byte): RCT {rct}, APT {apt}");
    assert!(rct <= 40, "RCT false alarms {rct}");
    assert!(apt <= 4, "APT false alarms {apt}");
    // With an honest, more conservative claim of 6 bits per byte (RCT cutoff 5), false alarms vanish.
    let (rct, apt) = false_alarms(6.0, 1 << 26);
    println!("health-test false alarms over {} ideal samples (claim 6 bits/byte): RCT {rct}, APT {apt}", 1 << 26);
    assert_eq!((rct, apt), (0, 0));
}
