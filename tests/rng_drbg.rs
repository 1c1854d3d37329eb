//! Behaviour of the self-seeding CtrDrbg: reseed schedule, prediction resistance, fork safety, failing
//! closed, and use as a `rand_core` RNG by the rest of the crate.

use qres::entropy::{EntropySource, OsEntropy};
use qres::rng::{CtrDrbg, CtrDrbgRng, DrbgConfig, SeedPolicy};
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

/// Writes `pid - 1` to `ns_last_pid` so that the next fork gets `pid` (Linux, CAP_SYS_ADMIN).
fn set_next_pid(pid: i32) -> std::io::Result<()> {
    std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string())
}

/// Double fork with pid reuse: child A instantiates a DRBG and forks C; A draws 32 bytes and exits; once
/// A is reaped, C forces the next pid to be A's and forks D, which holds A's DRBG state *and* A's pid, so
/// a pid check alone cannot see the fork. D must reseed rather than repeat A's output.
#[test]
fn fork_with_pid_reuse_triggers_a_reseed() {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    let ci = std::env::var("CI").map(|v| v == "true" || v == "1").unwrap_or(false);
    let probe = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .map_err(|e| e.to_string())
        .and_then(|s| std::fs::write("/proc/sys/kernel/ns_last_pid", s.trim()).map_err(|e| e.to_string()));
    if let Err(e) = probe {
        assert!(!ci, "CI=true but /proc/sys/kernel/ns_last_pid is not writable ({e}): cannot force pid reuse");
        eprintln!("skipping: /proc/sys/kernel/ns_last_pid is not writable ({e}); run as root, or CI=true to fail");
        return;
    }
    let (mut parent_end, mut child_end) = UnixStream::pair().unwrap();
    // SAFETY: the children only use the DRBG, sockets and /proc, fork again and leave with `_exit`.
    let a = unsafe { libc::fork() };
    assert!(a >= 0, "fork failed");
    if a == 0 {
        drop(parent_end);
        let mut drbg = CtrDrbg::from_os().unwrap();
        let mut warmup = [0u8; 16];
        drbg.try_fill_bytes(&mut warmup).unwrap();
        // SAFETY: as above.
        let c = unsafe { libc::fork() };
        if c == 0 {
            // C: wait until the parent has reaped A (it sends A's pid), then fork D with A's pid.
            let mut go = [0u8; 4];
            if child_end.read_exact(&mut go).is_err() {
                unsafe { libc::_exit(3) };
            }
            let a_pid = i32::from_be_bytes(go);
            for _ in 0..50 {
                if set_next_pid(a_pid).is_err() {
                    break;
                }
                // SAFETY: as above.
                let d = unsafe { libc::fork() };
                if d == 0 {
                    // SAFETY: getpid has no preconditions.
                    if unsafe { libc::getpid() } != a_pid {
                        unsafe { libc::_exit(2) }; // another process took the pid: try again
                    }
                    let mut out = [0u8; 32];
                    let ok = drbg.try_fill_bytes(&mut out).is_ok();
                    let mut msg = vec![ok as u8];
                    msg.extend_from_slice(&out);
                    msg.extend_from_slice(&drbg.reseed_count().to_be_bytes());
                    let _ = child_end.write_all(&msg);
                    unsafe { libc::_exit(0) };
                }
                let mut status = 0;
                // SAFETY: waits for the child just forked.
                unsafe { libc::waitpid(d, &mut status, 0) };
                if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
                    unsafe { libc::_exit(0) };
                }
            }
            let _ = child_end.write_all(&[0xff]);
            unsafe { libc::_exit(4) };
        }
        // A: the output a pid check would let D repeat.
        let mut out = [0u8; 32];
        drbg.try_fill_bytes(&mut out).unwrap();
        let _ = child_end.write_all(&out);
        unsafe { libc::_exit(0) };
    }
    drop(child_end);
    let mut a_out = [0u8; 32];
    parent_end.read_exact(&mut a_out).unwrap();
    let mut status = 0;
    // SAFETY: reaps A, freeing its pid for reuse.
    unsafe { libc::waitpid(a, &mut status, 0) };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child A failed: {status}");
    parent_end.write_all(&a.to_be_bytes()).unwrap();
    let mut d_msg = [0u8; 41];
    parent_end.read_exact(&mut d_msg[..1]).unwrap();
    assert_ne!(d_msg[0], 0xff, "could not give a grandchild A's pid {a} (other processes kept taking it)");
    parent_end.read_exact(&mut d_msg[1..]).unwrap();
    let reseeds = u64::from_be_bytes(d_msg[33..41].try_into().unwrap());
    assert_eq!(d_msg[0], 1, "the pid-reusing grandchild's DRBG failed");
    assert_ne!(d_msg[1..33], a_out, "the grandchild with A's pid repeated A's output");
    assert_eq!(reseeds, 1, "the grandchild with A's pid did not reseed");
}

/// OS randomness behind an on/off switch shared with the test.
struct Gated(Arc<std::sync::atomic::AtomicBool>);
impl EntropySource for Gated {
    fn name(&self) -> &str {
        "gated"
    }
    fn min_entropy_per_byte(&self) -> f64 {
        8.0
    }
    fn fill(&mut self, dest: &mut [u8]) -> qres::Result<()> {
        if !self.0.load(Ordering::SeqCst) {
            return Err(Error::EntropySource { source_name: "gated".into(), reason: "switched off".into() });
        }
        getrandom::fill(dest).map_err(|_| Error::RandomnessUnavailable)
    }
}

/// In a fork child whose sources are down, the fork-triggered reseed fails, no output is produced, and
/// the reseed stays pending until one succeeds.
#[test]
fn a_fork_reseed_stays_pending_until_a_reseed_succeeds() {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    let on = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut drbg =
        CtrDrbg::new(SeedPolicy::new().with_source(Gated(on.clone())).unwrap(), DrbgConfig::default()).unwrap();
    let (mut parent_end, mut child_end) = UnixStream::pair().unwrap();
    // SAFETY: the child only uses the DRBG and a socket, then leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        on.store(false, Ordering::SeqCst);
        let mut out = [0u8; 32];
        let failed_closed = matches!(drbg.try_fill_bytes(&mut out), Err(Error::InsufficientEntropy { .. }));
        let pending_after_failure = drbg.reseed_pending();
        on.store(true, Ordering::SeqCst);
        let ok = drbg.try_fill_bytes(&mut out).is_ok();
        let report = [failed_closed, pending_after_failure, ok, !drbg.reseed_pending(), drbg.reseed_count() == 1];
        let _ = child_end.write_all(&report.map(u8::from));
        // SAFETY: terminates the child without running the parent's destructors or test harness.
        unsafe { libc::_exit(0) };
    }
    drop(child_end);
    let mut report = [0u8; 5];
    parent_end.read_exact(&mut report).unwrap();
    let mut status = 0;
    // SAFETY: waits for the child we forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(report, [1; 5], "[failed closed, pending after the failure, then served, pending cleared, one reseed]");
    assert!(!drbg.reseed_pending(), "the parent has nothing pending");
}

/// Cost of a 32-byte request (default configuration), for BENCHMARKS.md: the best and median of 7 rounds
/// of 10^6 requests. `cargo test --test rng_drbg cost_of_a_32_byte_request -- --ignored --nocapture`.
#[test]
#[ignore = "measurement; run explicitly"]
fn cost_of_a_32_byte_request() {
    let mut drbg = CtrDrbg::from_os().unwrap();
    let mut out = [0u8; 32];
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let start = std::time::Instant::now();
            for _ in 0..1_000_000 {
                drbg.try_fill_bytes(&mut out).unwrap();
            }
            start.elapsed().as_secs_f64() * 1e3 // ns per request
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    println!("32 B request: best {:.1} ns, median {:.1} ns (7 rounds of 10^6)", rounds[0], rounds[3]);
}
