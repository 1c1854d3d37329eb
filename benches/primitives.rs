//! Primitives side by side with the candidate crates, in one run (figures in BENCHMARKS.md).
//!
//! `cargo bench --features aws-lc --bench primitives` — each group measures qres (through the default, the
//! aws-lc and the fastest provider: rows `qres-default`, `qres-aws-lc`, `qres-fastest`) and its peers on
//! the same inputs:
//! * ML-KEM-768 keygen / encaps / decaps: libcrux-ml-kem, RustCrypto ml-kem, aws-lc-rs;
//! * X-Wing keygen / encaps / decaps: RustCrypto x-wing;
//! * ML-DSA-65 keygen / sign / verify: libcrux-ml-dsa, RustCrypto ml-dsa, aws-lc-rs;
//! * AES-256-GCM seal of 1 KiB, 64 KiB, 1 MiB: RustCrypto aes-gcm, ring, aws-lc-rs;
//! * X25519 base-point and variable-base multiplication: x25519-dalek, libcrux-curve25519, aws-lc-rs;
//! * ChaCha20-Poly1305 (64 KiB), SHA-256, SHA3-256, HMAC-SHA256 (1 KiB) and HKDF-SHA256 (32 bytes): qres
//!   rows only, for the choice of `fastest_provider()`.
//!
//! Without `--features aws-lc` the `qres-aws-lc` rows are absent and `qres-fastest` is the default.

mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qres::{AeadId, GroupId, HashId, KdfId, KemId, MacId, OsRng, Provider, SignatureId, default_provider};
use std::hint::black_box;

type TestRng = rand_core::UnwrapErr<OsRng>;

fn rng() -> TestRng {
    rand_core::UnwrapErr(OsRng)
}

fn fill<const N: usize>() -> [u8; N] {
    let mut a = [0u8; N];
    getrandom::fill(&mut a).unwrap();
    a
}

/// The qres providers measured: default, aws-lc (with the feature) and fastest.
fn providers() -> Vec<(&'static str, Provider)> {
    #[allow(unused_mut)]
    let mut all = vec![("qres-default", default_provider())];
    #[cfg(feature = "aws-lc")]
    all.push(("qres-aws-lc", qres::backend::aws_lc::provider()));
    all.push(("qres-fastest", qres::fastest_provider()));
    all
}

/// keygen / encaps / decaps of `id` through every qres provider.
fn qres_kem(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, id: KemId) {
    for (name, p) in providers() {
        let kem = p.kem(id).unwrap();
        let sk = kem.generate(&mut OsRng).unwrap();
        let enc = sk.public_key().encapsulate(&mut OsRng).unwrap();
        g.bench_function(format!("keygen/{name}"), |b| b.iter(|| kem.generate(&mut OsRng).unwrap()));
        g.bench_function(format!("encaps/{name}"), |b| b.iter(|| sk.public_key().encapsulate(&mut OsRng).unwrap()));
        g.bench_function(format!("decaps/{name}"), |b| b.iter(|| sk.decapsulate(black_box(&enc.ciphertext)).unwrap()));
    }
}

fn ml_kem_768(c: &mut Criterion) {
    let mut g = c.benchmark_group("ML-KEM-768");
    qres_kem(&mut g, KemId::ML_KEM_768);

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
    qres_kem(&mut g, KemId::X_WING);

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
    for (name, p) in providers() {
        let scheme = p.signature(SignatureId::ML_DSA_65).unwrap();
        let sk = scheme.generate(&mut OsRng).unwrap();
        let sig = sk.sign(&msg, b"", &mut OsRng).unwrap();
        g.bench_function(format!("keygen/{name}"), |b| b.iter(|| scheme.generate(&mut OsRng).unwrap()));
        g.bench_function(format!("sign/{name}"), |b| b.iter(|| sk.sign(black_box(&msg), b"", &mut OsRng).unwrap()));
        g.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| sk.verifying_key().verify(black_box(&msg), b"", sig.as_bytes()).unwrap())
        });
    }

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
    let qres_keys: Vec<_> = providers()
        .into_iter()
        .map(|(name, p)| (name, p.aead(AeadId::AES_256_GCM).unwrap().new_key(&key).unwrap()))
        .collect();
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
        for (name, qres_key) in &qres_keys {
            g.bench_with_input(BenchmarkId::new(*name, label), &size, |b, _| {
                b.iter(|| qres_key.seal_in_place_detached_with_nonce(&nonce, b"", &mut buf, &mut tag).unwrap())
            });
        }
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
    let secret = fill::<32>();
    for (name, p) in providers() {
        let x = p.key_agreement(GroupId::X25519).unwrap();
        let a = x.generate(&mut OsRng).unwrap();
        let bob = x.generate(&mut OsRng).unwrap();
        g.bench_function(format!("base/{name}"), |b| b.iter(|| x.secret_key_from_bytes(black_box(&secret)).unwrap()));
        g.bench_function(format!("dh/{name}"), |b| b.iter(|| a.agree(black_box(bob.public_key())).unwrap()));
    }
    {
        use aws_lc_rs::agreement::{PrivateKey, UnparsedPublicKey, X25519, agree};
        let k = PrivateKey::from_private_key(&X25519, &secret).unwrap();
        let peer = PrivateKey::from_private_key(&X25519, &fill::<32>()).unwrap().compute_public_key().unwrap();
        let peer = peer.as_ref().to_vec();
        g.bench_function("base/aws-lc-rs", |b| {
            b.iter(|| PrivateKey::from_private_key(&X25519, black_box(&secret)).unwrap().compute_public_key().unwrap())
        });
        g.bench_function("dh/aws-lc-rs", |b| {
            b.iter(|| agree(&k, UnparsedPublicKey::new(&X25519, black_box(&peer[..])), (), |s| Ok(s[0])).unwrap())
        });
    }
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

fn symmetric(c: &mut Criterion) {
    let mut g = c.benchmark_group("symmetric");
    let data = vec![0x5au8; 1024];
    let big = vec![0x5au8; 64 * 1024];
    let key = fill::<32>();
    for (name, p) in providers() {
        let chacha = p.aead(AeadId::CHACHA20_POLY1305).unwrap().new_key(&key).unwrap();
        let mut buf = big.clone();
        let mut tag = [0u8; 16];
        g.throughput(Throughput::Bytes(big.len() as u64));
        g.bench_function(format!("ChaCha20-Poly1305 64KiB/{name}"), |b| {
            b.iter(|| chacha.seal_in_place_detached_with_nonce(&[1u8; 12], b"", &mut buf, &mut tag).unwrap())
        });
        g.throughput(Throughput::Bytes(data.len() as u64));
        let sha2 = p.hash(HashId::SHA2_256).unwrap();
        g.bench_function(format!("SHA-256 1KiB/{name}"), |b| b.iter(|| sha2.digest(&[black_box(&data)])));
        let sha3 = p.hash(HashId::SHA3_256).unwrap();
        g.bench_function(format!("SHA3-256 1KiB/{name}"), |b| b.iter(|| sha3.digest(&[black_box(&data)])));
        let hmac = p.mac(MacId::HMAC_SHA256).unwrap();
        g.bench_function(format!("HMAC-SHA256 1KiB/{name}"), |b| {
            b.iter(|| hmac.compute(&key, &[black_box(&data)]).unwrap())
        });
        let hkdf = p.kdf(KdfId::HKDF_SHA256).unwrap();
        g.bench_function(format!("HKDF-SHA256 32B/{name}"), |b| {
            let mut out = [0u8; 32];
            b.iter(|| hkdf.derive(b"salt", &[black_box(&key)], &[b"info"], &mut out).unwrap())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(30, 2);
    targets = ml_kem_768, x_wing, ml_dsa_65, aes_256_gcm, x25519, symmetric
}
criterion_main!(benches);
