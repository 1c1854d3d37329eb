//! Password KDFs at the policy's defaults: qres' Argon2id (RustCrypto `argon2`) and PBKDF2-HMAC-SHA256,
//! with ring's PBKDF2 in the same run, and the reference C Argon2 (argon2-cffi) and OpenSSL's PBKDF2
//! (hashlib) timed by `tools/kdf-bench/peer.py` at the end of the same run when its virtualenv exists
//! (`target/kdf-bench-venv`, see the script's docstring).
//!
//! `cargo bench --bench kdf`

use criterion::{Criterion, criterion_group, criterion_main};
use qres::password::PasswordKdf;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Duration;

const PASSWORD: &[u8] = b"correct horse battery staple";
const SALT: &[u8] = b"0123456789abcdef";

fn argon2id(c: &mut Criterion) {
    let mut g = c.benchmark_group("argon2id m=64MiB t=3 p=4");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("qres (RustCrypto argon2)", |b| {
        let mut out = [0u8; 32];
        b.iter(|| PasswordKdf::DEFAULT.derive(black_box(PASSWORD), SALT, &mut out).unwrap())
    });
    g.finish();
}

fn pbkdf2(c: &mut Criterion) {
    let mut g = c.benchmark_group("pbkdf2-sha256 600000");
    g.sample_size(10).measurement_time(Duration::from_secs(6));
    g.bench_function("qres (RustCrypto pbkdf2)", |b| {
        let mut out = [0u8; 32];
        b.iter(|| PasswordKdf::PBKDF2_DEFAULT.derive(black_box(PASSWORD), SALT, &mut out).unwrap())
    });
    g.bench_function("ring", |b| {
        let mut out = [0u8; 32];
        let iterations = NonZeroU32::new(600_000).unwrap();
        b.iter(|| {
            ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, iterations, SALT, black_box(PASSWORD), &mut out)
        })
    });
    g.finish();
}

/// Runs the Python peers (reference C Argon2, OpenSSL PBKDF2) in the same run, if installed.
fn peers(_: &mut Criterion) {
    let python = std::env::var_os("QRES_KDF_PEER_PYTHON").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/kdf-bench-venv/bin/python")
    });
    if !python.is_file() {
        eprintln!("kdf peers: {} not found; see tools/kdf-bench/peer.py", python.display());
        return;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/kdf-bench/peer.py");
    match std::process::Command::new(&python).arg(&script).arg("10").output() {
        Ok(out) if out.status.success() => println!("kdf peers: {}", String::from_utf8_lossy(&out.stdout).trim()),
        Ok(out) => eprintln!("kdf peers failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => eprintln!("kdf peers could not run: {e}"),
    }
}

criterion_group!(benches, argon2id, pbkdf2, peers);
criterion_main!(benches);
