//! Behaviour of the self-seeding CtrDrbg: reseed schedule, prediction resistance, fork safety, failing
//! closed, and use as a `rand_core` RNG by the rest of the crate.

use qres::rng::{CtrDrbg, CtrDrbgRng, DrbgConfig, EntropySource, OsEntropy, SeedPolicy};
use qres::{Error, KemId, SignatureId, default_provider};
use rand_core::{Rng, TryRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// OS randomness that counts reads and can be switched off.
#[derive(Clone)]
struct Switchable {
    reads: Arc<AtomicUsize>,
    fail_after: usize,
}

impl EntropySource for Switchable {
    fn name(&self) -> &str {
        "switchable"
    }
    fn min_entropy_per_byte(&self) -> f64 {
        8.0
    }
    fn fill(&mut self, dest: &mut [u8]) -> qres::Result<()> {
        if self.reads.fetch_add(1, Ordering::SeqCst) >= self.fail_after {
            return Err(Error::EntropySource { source_name: "switchable".into(), reason: "switched off".into() });
        }
        getrandom::fill(dest).map_err(|_| Error::RandomnessUnavailable)
    }
}

fn switchable(fail_after: usize) -> (Switchable, Arc<AtomicUsize>) {
    let reads = Arc::new(AtomicUsize::new(0));
    (Switchable { reads: reads.clone(), fail_after }, reads)
}

#[test]
fn output_is_not_repeated_and_large_requests_work() {
    let mut drbg = CtrDrbg::from_os().unwrap();
    let mut a = vec![0u8; 200_000];
    let mut b = vec![0u8; 200_000];
    drbg.try_fill_bytes(&mut a).unwrap();
    drbg.try_fill_bytes(&mut b).unwrap();
    assert_ne!(a[..32], b[..32]);
    assert_ne!(a[65_536..65_568], a[..32]);
    // Two instances never agree (distinct entropy and nonces).
    let mut other = CtrDrbg::from_os().unwrap();
    let mut c = [0u8; 32];
    other.try_fill_bytes(&mut c).unwrap();
    assert_ne!(c, a[..32]);
}

#[test]
fn reseed_interval_and_timer() {
    let config = DrbgConfig { reseed_interval: 2, reseed_after: None, ..DrbgConfig::default() };
    let mut drbg = CtrDrbg::new(SeedPolicy::os(), config).unwrap();
    let mut buf = [0u8; 16];
    for _ in 0..6 {
        drbg.try_fill_bytes(&mut buf).unwrap();
    }
    // Requests 1-2 on the instantiation seed, then a reseed before every second request.
    assert_eq!(drbg.reseed_count(), 2);

    let config = DrbgConfig { reseed_after: Some(Duration::ZERO), ..DrbgConfig::default() };
    let mut drbg = CtrDrbg::new(SeedPolicy::os(), config).unwrap();
    drbg.try_fill_bytes(&mut buf).unwrap();
    drbg.try_fill_bytes(&mut buf).unwrap();
    assert_eq!(drbg.reseed_count(), 2);
}

#[test]
fn prediction_resistance_reseeds_every_request_and_every_64_kib() {
    let (source, reads) = switchable(usize::MAX);
    let policy = SeedPolicy::new().with_source(source).unwrap();
    let config = DrbgConfig { prediction_resistance: true, ..DrbgConfig::default() };
    let mut drbg = CtrDrbg::new(policy, config).unwrap();
    let after_instantiate = reads.load(Ordering::SeqCst);
    let mut buf = vec![0u8; 3 * 65_536];
    drbg.try_fill_bytes(&mut buf).unwrap();
    assert_eq!(drbg.reseed_count(), 3, "one reseed per internal generate");
    drbg.try_fill_bytes(&mut buf[..10]).unwrap();
    assert_eq!(drbg.reseed_count(), 4);
    assert_eq!(reads.load(Ordering::SeqCst) - after_instantiate, 4);
}

#[test]
fn seeding_fails_closed() {
    // No healthy source at instantiation: a typed error.
    let (dead, _) = switchable(0);
    let err = CtrDrbg::new(SeedPolicy::new().with_source(dead).unwrap(), DrbgConfig::default()).unwrap_err();
    assert!(matches!(err, Error::InsufficientEntropy { needed_bits: 384, .. }), "{err}");

    // The source dies after instantiation (start-up test + seed = 2 reads): the next required reseed
    // fails, and the generator returns an error rather than output.
    let (dying, _) = switchable(2);
    let config = DrbgConfig { prediction_resistance: true, ..DrbgConfig::default() };
    let mut drbg = CtrDrbg::new(SeedPolicy::new().with_source(dying).unwrap(), config).unwrap();
    let mut buf = [0xAAu8; 32];
    assert!(matches!(drbg.try_fill_bytes(&mut buf), Err(Error::InsufficientEntropy { needed_bits: 256, .. })));

    // With a fallback the generator continues (and the fallback is counted).
    let (dying, _) = switchable(2);
    let before = qres::rng::fallback_count();
    let policy = SeedPolicy::new().with_source(dying).unwrap().with_fallback(OsEntropy).unwrap();
    let mut drbg = CtrDrbg::new(policy, config_pr()).unwrap();
    drbg.try_fill_bytes(&mut buf).unwrap();
    assert!(qres::rng::fallback_count() > before);
}

fn config_pr() -> DrbgConfig {
    DrbgConfig { prediction_resistance: true, ..DrbgConfig::default() }
}

#[test]
fn infallible_wrapper_fails_closed_by_panicking() {
    let (dying, _) = switchable(2);
    let drbg = CtrDrbg::new(SeedPolicy::new().with_source(dying).unwrap(), config_pr()).unwrap();
    let mut rng = CtrDrbgRng(drbg);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || rng.next_u64()));
    let msg = *r.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.contains("fails closed"), "{msg}");
}

#[test]
fn drbg_plugs_into_keygen_signing_and_rand_core_apis() {
    let p = default_provider();
    let mut drbg = CtrDrbg::from_os().unwrap();
    let sk = p.kem(KemId::X_WING).unwrap().generate(&mut drbg).unwrap();
    let enc = sk.public_key().encapsulate(&mut drbg).unwrap();
    assert_eq!(sk.decapsulate(&enc.ciphertext).unwrap(), enc.shared_secret);
    let signer = p.signature(SignatureId::ML_DSA_65).unwrap().generate(&mut drbg).unwrap();
    let sig = signer.sign(b"m", b"", &mut drbg).unwrap();
    signer.verifying_key().verify(b"m", b"", sig.as_bytes()).unwrap();
    // The infallible view satisfies `rand_core::CryptoRng` bounds.
    fn takes_crypto_rng<R: rand_core::CryptoRng>(r: &mut R) -> u64 {
        r.next_u64()
    }
    let mut rng = CtrDrbgRng(drbg);
    assert_ne!(takes_crypto_rng(&mut rng), takes_crypto_rng(&mut rng));
}

/// Forks the process: parent and child must produce different output from the same DRBG state.
#[test]
fn fork_triggers_a_reseed() {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    let mut drbg = CtrDrbg::from_os().unwrap();
    let mut warmup = [0u8; 16];
    drbg.try_fill_bytes(&mut warmup).unwrap();
    let (mut parent_end, mut child_end) = UnixStream::pair().unwrap();
    // SAFETY: the child only computes, writes to a socket and calls `_exit`; no locks are taken that
    // another thread could hold at fork time (the test harness's other threads are not touched).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let mut out = [0u8; 32];
        let ok = drbg.try_fill_bytes(&mut out).is_ok() && drbg.reseed_count() == 1;
        let _ = child_end.write_all(&out);
        let _ = child_end.write_all(&[ok as u8]);
        // SAFETY: terminates the child without running the parent's destructors or test harness.
        unsafe { libc::_exit(0) };
    }
    drop(child_end);
    let mut parent_out = [0u8; 32];
    drbg.try_fill_bytes(&mut parent_out).unwrap();
    let mut child_out = [0u8; 33];
    parent_end.read_exact(&mut child_out).unwrap();
    let mut status = 0;
    // SAFETY: waits for the child we forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(child_out[32], 1, "the child reseeded exactly once");
    assert_ne!(parent_out, child_out[..32], "parent and child produced the same bytes");
    assert_eq!(drbg.reseed_count(), 0, "the parent did not need to reseed");
}
