//! Random-number generation side by side (figures in BENCHMARKS.md):
//! qres's CtrDrbg against the raw AES-256 keystream of the same AES implementation (the ceiling: both as
//! CtrDrbg computes it and through RustCrypto's `ctr` crate),
//! `rand_chacha::ChaCha20Rng`, the `drbg` crate's CTR_DRBG and `getrandom`, for 32 B, 1 KiB and 64 KiB
//! requests. `cargo bench --bench rng`.

mod common;

use aes::cipher::{BlockCipherEncrypt, KeyInit, KeyIvInit, StreamCipher};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qres::rng::CtrDrbg;
use rand_core::{Rng, SeedableRng, TryRng};
use std::time::Duration;

/// The AES-256 keystream exactly as CtrDrbg computes it (counter blocks encrypted in place with one
/// `encrypt_blocks` call), without any DRBG bookkeeping: the ceiling for the same AES implementation.
fn raw_blocks(cipher: &aes::Aes256Enc, counter: &mut u128, out: &mut [u8]) {
    let (blocks, _) = aes::Block::slice_as_chunks_mut(out);
    for block in blocks.iter_mut() {
        *counter = counter.wrapping_add(1);
        block.copy_from_slice(&counter.to_be_bytes());
    }
    cipher.encrypt_blocks(blocks);
}

fn fill(c: &mut Criterion) {
    let mut g = c.benchmark_group("random fill");
    let mut qres_drbg = CtrDrbg::from_os().unwrap();
    let mut raw = ctr::Ctr128BE::<aes::Aes256>::new(&[7u8; 32].into(), &[0u8; 16].into());
    let mut chacha = rand_chacha::ChaCha20Rng::from_seed([9u8; 32]);
    let cipher = aes::Aes256Enc::new(&[5u8; 32].into());
    let mut counter = 0u128;
    let mut other = drbg::ctr::CtrBuilder::new(drbg::entropy::OsEntropy::new()).build().unwrap();
    for size in [32usize, 1024, 65_536] {
        let label = match size {
            32 => "32B",
            1024 => "1KiB",
            _ => "64KiB",
        };
        let mut buf = vec![0u8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("qres CtrDrbg", label), &size, |b, _| {
            b.iter(|| qres_drbg.try_fill_bytes(&mut buf).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("raw AES-256-CTR (ceiling)", label), &size, |b, _| {
            b.iter(|| {
                buf.fill(0);
                raw.apply_keystream(&mut buf)
            })
        });
        g.bench_with_input(BenchmarkId::new("raw AES-256 blocks (ceiling)", label), &size, |b, _| {
            b.iter(|| raw_blocks(&cipher, &mut counter, &mut buf))
        });
        g.bench_with_input(BenchmarkId::new("ChaCha20Rng", label), &size, |b, _| {
            b.iter(|| chacha.fill_bytes(&mut buf))
        });
        g.bench_with_input(BenchmarkId::new("drbg crate", label), &size, |b, _| {
            b.iter(|| other.fill_bytes(&mut buf, None).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("getrandom", label), &size, |b, _| {
            b.iter(|| getrandom::fill(&mut buf).unwrap())
        });
    }
    g.finish();
}

/// SP 800-90B non-IID assessment of 1,000,000 8-bit samples (the size the standard asks for).
fn assessment(c: &mut Criterion) {
    let mut samples = vec![0u8; 1_000_000];
    getrandom::fill(&mut samples).unwrap();
    let mut g = c.benchmark_group("SP 800-90B assessment");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("qres non-IID, 1,000,000 samples", |b| {
        b.iter(|| qres::rng::assess::assess_non_iid(&samples, 8).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(30, 2);
    targets = fill, assessment
}
criterion_main!(benches);
