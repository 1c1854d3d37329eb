//! Primitives side by side with the candidate crates, in one run (DESIGN 5; figures in BENCHMARKS.md).
//!
//! `cargo bench --bench primitives` — each group measures qres and its peers on the same inputs:
//! * ML-KEM-768 keygen / encaps / decaps: qres, libcrux-ml-kem, RustCrypto ml-kem, aws-lc-rs;
//! * X-Wing keygen / encaps / decaps: qres, RustCrypto x-wing;
//! * ML-DSA-65 keygen / sign / verify: qres, libcrux-ml-dsa, RustCrypto ml-dsa, aws-lc-rs;
//! * AES-256-GCM seal of 1 KiB, 64 KiB, 1 MiB: qres, RustCrypto aes-gcm, ring, aws-lc-rs;
//! * X25519 base-point and variable-base multiplication: qres, x25519-dalek, libcrux-curve25519.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qres::{AeadId, GroupId, KemId, OsRng, SignatureId, default_provider};
use std::hint::black_box;
use std::time::Duration;

type TestRng = rand_core::UnwrapErr<OsRng>;

fn rng() -> TestRng {
    rand_core::UnwrapErr(OsRng)
}

fn fill<const N: usize>() -> [u8; N] {
    let mut a = [0u8; N];
    getrandom::fill(&mut a).unwrap();
    a
}

fn ml_kem_768(c: &mut Criterion) {
    let mut g = c.benchmark_group("ML-KEM-768");
    let kem = default_provider().kem(KemId::ML_KEM_768).unwrap();
    let sk = kem.generate(&mut OsRng).unwrap();
    let enc = sk.public_key().encapsulate(&mut OsRng).unwrap();
    g.bench_function("keygen/qres", |b| b.iter(|| kem.generate(&mut OsRng).unwrap()));
    g.bench_function("encaps/qres", |b| b.iter(|| sk.public_key().encapsulate(&mut OsRng).unwrap()));
    g.bench_function("decaps/qres", |b| b.iter(|| sk.decapsulate(black_box(&enc.ciphertext)).unwrap()));

    use libcrux_ml_kem::mlkem768 as lc;
    let kp = lc::generate_key_pair(fill::<64>());
    let (ct, _) = lc::encapsulate(kp.public_key(), fill::<32>());
    g.bench_function("keygen/libcrux", |b| b.iter(|| lc::generate_key_pair(fill::<64>())));
    g.bench_function("encaps/libcrux", |b| b.iter(|| lc::encapsulate(kp.public_key(), fill::<32>())));
    g.bench_function("decaps/libcrux", |b| b.iter(|| lc::decapsulate(kp.private_key(), black_box(&ct))));

    {
        use ml_kem::kem::{Decapsulate, Encapsulate, Kem};
        let mut r = rng();
        let (dk, ek) = ml_kem::MlKem768::generate_keypair_from_rng(&mut r);
        let (ct, _) = ek.encapsulate_with_rng(&mut r);
        g.bench_function("keygen/rustcrypto", |b| b.iter(|| ml_kem::MlKem768::generate_keypair_from_rng(&mut r)));
        g.bench_function("encaps/rustcrypto", |b| b.iter(|| ek.encapsulate_with_rng(&mut r)));
        g.bench_function("decaps/rustcrypto", |b| b.iter(|| dk.decapsulate(black_box(&ct))));
    }

    {
        use aws_lc_rs::kem::{DecapsulationKey, ML_KEM_768};
        let dk = DecapsulationKey::generate(&ML_KEM_768).unwrap();
        let ek = dk.encapsulation_key().unwrap();
        let (ct, _) = ek.encapsulate().unwrap();
        g.bench_function("keygen/aws-lc-rs", |b| b.iter(|| DecapsulationKey::generate(&ML_KEM_768).unwrap()));
        g.bench_function("encaps/aws-lc-rs", |b| b.iter(|| ek.encapsulate().unwrap()));
        g.bench_function("decaps/aws-lc-rs", |b| b.iter(|| dk.decapsulate(black_box(ct.as_ref()).into()).unwrap()));
    }
    g.finish();
}

fn x_wing(c: &mut Criterion) {
    let mut g = c.benchmark_group("X-Wing");
    let kem = default_provider().kem(KemId::X_WING).unwrap();
    let sk = kem.generate(&mut OsRng).unwrap();
    let enc = sk.public_key().encapsulate(&mut OsRng).unwrap();
    g.bench_function("keygen/qres", |b| b.iter(|| kem.generate(&mut OsRng).unwrap()));
    g.bench_function("encaps/qres", |b| b.iter(|| sk.public_key().encapsulate(&mut OsRng).unwrap()));
    g.bench_function("decaps/qres", |b| b.iter(|| sk.decapsulate(black_box(&enc.ciphertext)).unwrap()));

    use x_wing::{Decapsulate, Encapsulate, Kem};
    let mut r = rng();
    let (dk, ek) = x_wing::XWingKem::generate_keypair_from_rng(&mut r);
    let (ct, _) = ek.encapsulate_with_rng(&mut r);
    g.bench_function("keygen/rustcrypto-x-wing", |b| b.iter(|| x_wing::XWingKem::generate_keypair_from_rng(&mut r)));
    g.bench_function("encaps/rustcrypto-x-wing", |b| b.iter(|| ek.encapsulate_with_rng(&mut r)));
    g.bench_function("decaps/rustcrypto-x-wing", |b| b.iter(|| dk.decapsulate(black_box(&ct))));
    g.finish();
}

fn ml_dsa_65(c: &mut Criterion) {
    let mut g = c.benchmark_group("ML-DSA-65");
    let msg = [0x42u8; 64];
    let scheme = default_provider().signature(SignatureId::ML_DSA_65).unwrap();
    let sk = scheme.generate(&mut OsRng).unwrap();
    let sig = sk.sign(&msg, b"", &mut OsRng).unwrap();
    g.bench_function("keygen/qres", |b| b.iter(|| scheme.generate(&mut OsRng).unwrap()));
    g.bench_function("sign/qres", |b| b.iter(|| sk.sign(black_box(&msg), b"", &mut OsRng).unwrap()));
    g.bench_function("verify/qres", |b| {
        b.iter(|| sk.verifying_key().verify(black_box(&msg), b"", sig.as_bytes()).unwrap())
    });

    use libcrux_ml_dsa::ml_dsa_65 as lc;
    let kp = lc::generate_key_pair(fill::<32>());
    let s = lc::sign(&kp.signing_key, &msg, b"", fill::<32>()).unwrap();
    g.bench_function("keygen/libcrux", |b| b.iter(|| lc::generate_key_pair(fill::<32>())));
    g.bench_function("sign/libcrux", |b| {
        b.iter(|| lc::sign(&kp.signing_key, black_box(&msg), b"", fill::<32>()).unwrap())
    });
    g.bench_function("verify/libcrux", |b| {
        b.iter(|| lc::verify(&kp.verification_key, black_box(&msg), b"", &s).unwrap())
    });

    {
        use ml_dsa::signature::{Keypair, Verifier};
        let mut r = rng();
        let key = ml_dsa::SigningKey::<ml_dsa::MlDsa65>::from_seed(&fill::<32>().into());
        let vk = key.verifying_key();
        let s = key.expanded_key().sign_randomized(&msg, b"", &mut r).unwrap();
        g.bench_function("keygen/rustcrypto", |b| {
            b.iter(|| ml_dsa::SigningKey::<ml_dsa::MlDsa65>::from_seed(&fill::<32>().into()))
        });
        g.bench_function("sign/rustcrypto", |b| {
            b.iter(|| key.expanded_key().sign_randomized(black_box(&msg), b"", &mut r).unwrap())
        });
        g.bench_function("verify/rustcrypto", |b| b.iter(|| vk.verify(black_box(&msg), &s).unwrap()));
    }

    {
        use aws_lc_rs::signature::{KeyPair, UnparsedPublicKey};
        use aws_lc_rs::signature::{ML_DSA_65, ML_DSA_65_SIGNING, PqdsaKeyPair};
        let kp = PqdsaKeyPair::generate(&ML_DSA_65_SIGNING).unwrap();
        let mut s = vec![0u8; ML_DSA_65_SIGNING.signature_len()];
        kp.sign(&msg, &mut s).unwrap();
        let pk = UnparsedPublicKey::new(&ML_DSA_65, kp.public_key().as_ref().to_vec());
        g.bench_function("keygen/aws-lc-rs", |b| b.iter(|| PqdsaKeyPair::generate(&ML_DSA_65_SIGNING).unwrap()));
        let mut out = vec![0u8; ML_DSA_65_SIGNING.signature_len()];
        g.bench_function("sign/aws-lc-rs", |b| b.iter(|| kp.sign(black_box(&msg), &mut out).unwrap()));
        g.bench_function("verify/aws-lc-rs", |b| b.iter(|| pk.verify(black_box(&msg), &s).unwrap()));
    }
    g.finish();
}

fn aes_256_gcm(c: &mut Criterion) {
    let mut g = c.benchmark_group("AES-256-GCM seal");
    let key = fill::<32>();
    let nonce = [7u8; 12];
    let qres_key = default_provider().aead(AeadId::AES_256_GCM).unwrap().new_key(&key).unwrap();
    let rc = {
        use aes_gcm::aead::KeyInit;
        aes_gcm::Aes256Gcm::new_from_slice(&key).unwrap()
    };
    let ring_key = ring::aead::LessSafeKey::new(ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &key).unwrap());
    let aws_key = aws_lc_rs::aead::LessSafeKey::new(
        aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, &key).unwrap(),
    );
    for size in [1024usize, 64 * 1024, 1024 * 1024] {
        let label = match size {
            1024 => "1KiB",
            65536 => "64KiB",
            _ => "1MiB",
        };
        g.throughput(Throughput::Bytes(size as u64));
        let mut buf = vec![0u8; size];
        let mut tag = [0u8; 16];
        g.bench_with_input(BenchmarkId::new("qres", label), &size, |b, _| {
            b.iter(|| qres_key.seal_in_place_detached(&nonce, b"", &mut buf, &mut tag).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("rustcrypto", label), &size, |b, _| {
            use aes_gcm::aead::AeadInOut;
            b.iter(|| rc.encrypt_inout_detached(&nonce.into(), b"", buf.as_mut_slice().into()).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("ring", label), &size, |b, _| {
            b.iter(|| {
                ring_key
                    .seal_in_place_separate_tag(
                        ring::aead::Nonce::assume_unique_for_key(nonce),
                        ring::aead::Aad::empty(),
                        &mut buf,
                    )
                    .unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new("aws-lc-rs", label), &size, |b, _| {
            b.iter(|| {
                aws_key
                    .seal_in_place_separate_tag(
                        aws_lc_rs::aead::Nonce::assume_unique_for_key(nonce),
                        aws_lc_rs::aead::Aad::empty(),
                        &mut buf,
                    )
                    .unwrap()
            })
        });
    }
    g.finish();
}

fn x25519(c: &mut Criterion) {
    let mut g = c.benchmark_group("X25519");
    let x = default_provider().key_agreement(GroupId::X25519).unwrap();
    let a = x.generate(&mut OsRng).unwrap();
    let bob = x.generate(&mut OsRng).unwrap();
    let secret = fill::<32>();
    g.bench_function("base/qres", |b| b.iter(|| x.secret_key_from_bytes(black_box(&secret)).unwrap()));
    g.bench_function("dh/qres", |b| b.iter(|| a.agree(black_box(bob.public_key())).unwrap()));
    let s = x25519_dalek::StaticSecret::from(secret);
    let p = x25519_dalek::PublicKey::from(&s);
    g.bench_function("base/x25519-dalek", |b| b.iter(|| x25519_dalek::PublicKey::from(black_box(&s))));
    g.bench_function("dh/x25519-dalek", |b| b.iter(|| black_box(&s).diffie_hellman(&p)));
    g.bench_function("base/libcrux", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            libcrux_curve25519::secret_to_public(&mut out, black_box(&secret));
            out
        })
    });
    g.bench_function("dh/libcrux", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            let _ = libcrux_curve25519::ecdh(&mut out, p.as_bytes(), black_box(&secret));
            out
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = ml_kem_768, x_wing, ml_dsa_65, aes_256_gcm, x25519
}
criterion_main!(benches);
