//! Algorithm agility: the default backend and the liboqs backend side by side, and the schemes only liboqs
//! offers, all through qres' traits (what an application pays), in one run. Figures in BENCHMARKS.md
//! ("Algorithm agility").
//!
//! `cargo bench -p qres-oqs --bench agility`
//!
//! * ML-KEM-768 keygen / encaps / decaps and X-Wing: default (libcrux) vs liboqs (mlkem-native);
//! * ML-DSA-65 keygen / sign / verify: default (libcrux) vs liboqs (pq-crystals);
//! * liboqs only: HQC-128, FrodoKEM-640-AES, Classic-McEliece-348864, SPHINCS+-SHA2-128f-simple (liboqs
//!   0.13 has no FIPS 205 SLH-DSA; this is its round-3 predecessor), Falcon-512.
//!
//! The run starts by printing the encoding sizes of every scheme measured (the table's size columns).

use criterion::{Criterion, criterion_group, criterion_main};
use qres::backend::default;
use qres::{Kem, OsRng, SignatureScheme};
use qres_oqs as oqs;
use std::hint::black_box;
use std::time::Duration;

fn kem(c: &mut Criterion, group: &str, label: &str, kem: &'static dyn Kem) {
    let mut g = c.benchmark_group(group);
    let sk = kem.generate(&mut OsRng).unwrap();
    let enc = sk.public_key().encapsulate(&mut OsRng).unwrap();
    g.bench_function(format!("keygen/{label}"), |b| b.iter(|| kem.generate(&mut OsRng).unwrap()));
    g.bench_function(format!("encaps/{label}"), |b| b.iter(|| sk.public_key().encapsulate(&mut OsRng).unwrap()));
    g.bench_function(format!("decaps/{label}"), |b| b.iter(|| sk.decapsulate(black_box(&enc.ciphertext)).unwrap()));
    g.finish();
}

fn sig(c: &mut Criterion, group: &str, label: &str, scheme: &'static dyn SignatureScheme) {
    let mut g = c.benchmark_group(group);
    let message = [0x5au8; 64];
    let sk = scheme.generate(&mut OsRng).unwrap();
    let signature = sk.sign(&message, b"", &mut OsRng).unwrap();
    g.bench_function(format!("keygen/{label}"), |b| b.iter(|| scheme.generate(&mut OsRng).unwrap()));
    g.bench_function(format!("sign/{label}"), |b| b.iter(|| sk.sign(black_box(&message), b"", &mut OsRng).unwrap()));
    g.bench_function(format!("verify/{label}"), |b| {
        b.iter(|| sk.verifying_key().verify(black_box(&message), b"", signature.as_bytes()).unwrap())
    });
    g.finish();
}

fn print_sizes() {
    println!("scheme | public key | secret key (stored form) | ciphertext / signature | shared secret");
    let kems: [&'static dyn Kem; 6] = [
        &default::mlkem::ML_KEM_768,
        &default::X_WING,
        &oqs::HQC_128,
        &oqs::FRODOKEM_640_AES,
        &oqs::CLASSIC_MCELIECE_348864,
        &oqs::ML_KEM_768,
    ];
    for k in kems {
        let s = k.sizes();
        let sk = k.generate(&mut OsRng).unwrap();
        let stored = match sk.seed() {
            Some(seed) => format!("{} (seed)", seed.len()),
            None => format!("{} (expanded)", k.expanded_secret_key(&sk).unwrap().len()),
        };
        println!("{} | {} | {} | {} | {}", k.id(), s.public_key, stored, s.ciphertext, s.shared_secret);
    }
    let sigs: [&'static dyn SignatureScheme; 3] =
        [&default::mldsa::ML_DSA_65, &oqs::SPHINCS_PLUS_SHA2_128F_SIMPLE, &oqs::FALCON_512];
    for s in sigs {
        let z = s.sizes();
        let sk = s.generate(&mut OsRng).unwrap();
        let stored = match sk.seed() {
            Some(seed) => format!("{} (seed)", seed.len()),
            None => format!("{} (expanded)", s.expanded_signing_key(&sk).unwrap().len()),
        };
        println!("{} | {} | {} | {} (max) | -", s.id(), z.verifying_key, stored, z.signature);
    }
}

fn benches(c: &mut Criterion) {
    print_sizes();
    kem(c, "ML-KEM-768", "default", &default::mlkem::ML_KEM_768);
    kem(c, "ML-KEM-768", "liboqs", &oqs::ML_KEM_768);
    kem(c, "X-Wing", "default", &default::X_WING);
    kem(c, "X-Wing", "liboqs", &oqs::X_WING);
    sig(c, "ML-DSA-65", "default", &default::mldsa::ML_DSA_65);
    sig(c, "ML-DSA-65", "liboqs", &oqs::ML_DSA_65);
    kem(c, "HQC-128", "liboqs", &oqs::HQC_128);
    kem(c, "FrodoKEM-640-AES", "liboqs", &oqs::FRODOKEM_640_AES);
    kem(c, "Classic-McEliece-348864", "liboqs", &oqs::CLASSIC_MCELIECE_348864);
    sig(c, "SPHINCS+-SHA2-128f-simple", "liboqs", &oqs::SPHINCS_PLUS_SHA2_128F_SIMPLE);
    sig(c, "Falcon-512", "liboqs", &oqs::FALCON_512);
}

criterion_group! {
    name = agility;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(agility);
