//! Envelopes side by side with rust-hpke (figures in BENCHMARKS.md).
//!
//! `cargo bench --features aws-lc --bench envelope`: seal+open of 1 KiB and 1 MiB, single-shot, X-Wing +
//! HKDF-SHA256 + AES-256-GCM, for (a) a qres envelope, (b) qres's HPKE single-shot — each through the
//! default provider and `fastest_provider()` — and (c) the `hpke` crate's single-shot; the X-Wing
//! encapsulation + decapsulation alone (to compute the envelope's own overhead); and streaming throughput of
//! the envelope writer and reader on 64 MiB (both providers) beside raw aws-lc-rs AES-256-GCM on the same
//! 64 KiB chunks.

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hpke::{Kem as _, OpModeR, OpModeS};
use qres::envelope::{self, EnvelopeReader, EnvelopeWriter, OpenOptions, Recipient, SealOptions};
use qres::hpke::{ReceiverParams, SenderParams, Suite};
use qres::{KemId, OsRng, Provider, default_provider, fastest_provider};
use std::io::{Read, Write};

/// The providers measured: the default and the fastest.
fn providers() -> [(&'static str, Provider); 2] {
    [("qres-default", default_provider()), ("qres-fastest", fastest_provider())]
}

fn options(p: &Provider) -> (SealOptions<'static>, OpenOptions<'static>) {
    (
        SealOptions { provider: p.clone(), ..SealOptions::default() },
        OpenOptions { provider: p.clone(), ..OpenOptions::default() },
    )
}

fn seal_open(c: &mut Criterion) {
    let (their_sk, their_pk) = hpke::kem::XWing::gen_keypair();
    let mut g = c.benchmark_group("seal+open X-Wing AES-256-GCM");
    for size in [1024usize, 1 << 20] {
        let label = if size == 1024 { "1KiB" } else { "1MiB" };
        let msg = vec![0x42u8; size];
        g.throughput(Throughput::Bytes(size as u64));
        for (name, p) in providers() {
            let sk = p.kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap();
            let to = [Recipient::from(sk.public_key().clone())];
            let suite = Suite::default_pq(&p).unwrap();
            let (seal_opts, open_opts) = options(&p);
            g.bench_with_input(BenchmarkId::new(format!("{name} envelope"), label), &size, |b, _| {
                b.iter(|| {
                    let sealed = envelope::seal(&to, &msg, &seal_opts, &mut OsRng).unwrap();
                    envelope::open(&sealed, &sk, &open_opts).unwrap()
                })
            });
            g.bench_with_input(BenchmarkId::new(format!("{name} HPKE single-shot"), label), &size, |b, _| {
                b.iter(|| {
                    let (enc, ct) =
                        suite.seal(sk.public_key(), &SenderParams::base(b"bench"), b"", &msg, &mut OsRng).unwrap();
                    suite.open(&enc, &sk, &ReceiverParams::base(b"bench"), b"", &ct).unwrap()
                })
            });
        }
        g.bench_with_input(BenchmarkId::new("rust-hpke single-shot", label), &size, |b, _| {
            b.iter(|| {
                let (enc, ct) =
                    hpke::single_shot_seal::<hpke::aead::AesGcm256, hpke::kdf::HkdfSha256, hpke::kem::XWing>(
                        &OpModeS::Base,
                        &their_pk,
                        b"bench",
                        &msg,
                        b"",
                    )
                    .unwrap();
                hpke::single_shot_open::<hpke::aead::AesGcm256, hpke::kdf::HkdfSha256, hpke::kem::XWing>(
                    &OpModeR::Base,
                    &their_sk,
                    &enc,
                    b"bench",
                    &ct,
                    b"",
                )
                .unwrap()
            })
        });
    }
    for (name, p) in providers() {
        let sk = p.kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap();
        g.bench_function(format!("{name} X-Wing encaps+decaps only (KEM cost)"), |b| {
            b.iter(|| {
                let enc = sk.public_key().encapsulate(&mut OsRng).unwrap();
                sk.decapsulate(&enc.ciphertext).unwrap()
            })
        });
    }
    g.finish();
}

fn streaming(c: &mut Criterion) {
    let size = 64usize << 20;
    let data = vec![0x17u8; 1 << 20];
    let mut g = c.benchmark_group("streaming 64 MiB (64 KiB chunks)");
    g.throughput(Throughput::Bytes(size as u64));
    g.sample_size(10);
    for (name, p) in providers() {
        let sk = p.kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap();
        let to = [Recipient::from(sk.public_key().clone())];
        let (seal_opts, open_opts) = options(&p);
        let mut sealed = Vec::with_capacity(size + (1 << 20));
        {
            let mut w = EnvelopeWriter::new(&mut sealed, &to, &seal_opts, &mut OsRng).unwrap();
            for _ in 0..64 {
                w.write_all(&data).unwrap();
            }
            w.finish().unwrap();
        }
        g.bench_function(format!("{name} EnvelopeWriter to sink"), |b| {
            b.iter(|| {
                let mut w = EnvelopeWriter::new(std::io::sink(), &to, &seal_opts, &mut OsRng).unwrap();
                for _ in 0..64 {
                    w.write_all(&data).unwrap();
                }
                w.finish().unwrap();
            })
        });
        g.bench_function(format!("{name} EnvelopeReader from memory"), |b| {
            let mut buf = vec![0u8; 1 << 20];
            b.iter(|| {
                let mut r = EnvelopeReader::new(&sealed[..], &sk, &open_opts).unwrap();
                while r.read(&mut buf).unwrap() > 0 {}
            })
        });
    }
    // The ceiling: raw aws-lc-rs AES-256-GCM over the same 64 MiB in 64 KiB chunks (one key, counter nonces).
    let key = aws_lc_rs::aead::LessSafeKey::new(
        aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, &[9u8; 32]).unwrap(),
    );
    let mut chunk = vec![0x17u8; 64 * 1024];
    g.bench_function("aws-lc-rs AES-256-GCM raw, 64 KiB chunks", |b| {
        b.iter(|| {
            for i in 0..1024u32 {
                let mut nonce = [0u8; 12];
                nonce[8..].copy_from_slice(&i.to_be_bytes());
                let n = aws_lc_rs::aead::Nonce::assume_unique_for_key(nonce);
                let _tag = key.seal_in_place_separate_tag(n, aws_lc_rs::aead::Aad::empty(), &mut chunk).unwrap();
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(20, 3);
    targets = seal_open, streaming
}
criterion_main!(benches);
