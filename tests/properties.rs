//! Property tests: for every KEM, AEAD, MAC and signature scheme of the default provider, round trips
//! succeed, and a wrong key or any tampered byte fails; arbitrary bytes from outside give typed errors,
//! never panics.

use proptest::prelude::*;
use qres::{AeadId, Error, Kem, KemId, MacId, SignInput, SignatureId, SignatureScheme, default_provider};

fn kems() -> Vec<&'static dyn Kem> {
    default_provider().kems
}

fn schemes() -> Vec<&'static dyn SignatureScheme> {
    default_provider().signatures
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn kem_round_trip_and_tamper(seed in any::<[u8; 64]>(), other in any::<[u8; 64]>(), rnd in any::<[u8; 64]>(),
                                 pos in any::<usize>(), bit in 0u8..8) {
        prop_assume!(seed != other);
        for kem in kems() {
            let sizes = kem.sizes();
            let sk = kem.key_pair_from_seed(&seed[..sizes.seed]).unwrap();
            let enc = kem.encapsulate_derand(sk.public_key(), &rnd[..sizes.encapsulation_randomness], qres::hazmat::token()).unwrap();
            prop_assert_eq!(enc.ciphertext.len(), sizes.ciphertext);
            prop_assert_eq!(&sk.decapsulate(&enc.ciphertext).unwrap(), &enc.shared_secret, "{}", kem.id());
            // The public key survives a round trip through its encoding.
            let pk = kem.parse_public_key(sk.public_key().as_bytes()).unwrap();
            prop_assert_eq!(&pk, sk.public_key());
            // Another key decapsulates to a different secret (implicit rejection, not an error).
            let wrong = kem.key_pair_from_seed(&other[..sizes.seed]).unwrap();
            prop_assert_ne!(&wrong.decapsulate(&enc.ciphertext).unwrap(), &enc.shared_secret);
            // Any flipped bit changes the secret.
            let mut ct = enc.ciphertext.clone();
            let i = pos % ct.len();
            ct[i] ^= 1 << bit;
            prop_assert_ne!(&sk.decapsulate(&ct).unwrap(), &enc.shared_secret, "{} byte {}", kem.id(), i);
            // A truncated or extended ciphertext is a typed length error.
            let short = sk.decapsulate(&ct[..ct.len() - 1]);
            prop_assert!(matches!(short, Err(Error::InvalidLength { .. })), "{:?}", short);
        }
    }

    #[test]
    fn kem_inputs_from_outside_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        for kem in kems() {
            let sk = kem.key_pair_from_seed(&vec![7u8; kem.sizes().seed]).unwrap();
            let _ = kem.parse_public_key(&bytes);
            let _ = kem.secret_key_from_expanded(&bytes);
            let _ = kem.key_pair_from_seed(&bytes);
            let _ = sk.decapsulate(&bytes);
            let _ = kem.encapsulate_derand(sk.public_key(), &bytes, qres::hazmat::token());
        }
    }
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn signature_round_trip_and_tamper(seed in any::<[u8; 32]>(), other in any::<[u8; 32]>(),
                                       msg in proptest::collection::vec(any::<u8>(), 0..300),
                                       ctx in proptest::collection::vec(any::<u8>(), 0..40),
                                       pos in any::<usize>(), bit in 0u8..8) {
        prop_assume!(seed != other);
        for scheme in schemes() {
            let sk = scheme.key_pair_from_seed(&seed).unwrap();
            let vk = sk.verifying_key();
            let sig = sk.sign(&msg, &ctx, &mut qres::OsRng).unwrap();
            prop_assert_eq!(sig.as_bytes().len(), scheme.sizes().signature);
            vk.verify(&msg, &ctx, sig.as_bytes()).unwrap();
            // Deterministic signing is reproducible.
            prop_assert_eq!(sk.sign_deterministic(&msg, &ctx).unwrap(), sk.sign_deterministic(&msg, &ctx).unwrap());
            // Wrong key, wrong context, tampered message or signature: one opaque error.
            let wrong = scheme.key_pair_from_seed(&other).unwrap();
            prop_assert_eq!(wrong.verifying_key().verify(&msg, &ctx, sig.as_bytes()), Err(Error::AuthenticationFailed));
            let mut ctx2 = ctx.clone();
            ctx2.push(0);
            prop_assert_eq!(vk.verify(&msg, &ctx2, sig.as_bytes()), Err(Error::AuthenticationFailed));
            let mut m2 = msg.clone();
            m2.push(1);
            prop_assert_eq!(vk.verify(&m2, &ctx, sig.as_bytes()), Err(Error::AuthenticationFailed));
            let mut s2 = sig.as_bytes().to_vec();
            let i = pos % s2.len();
            s2[i] ^= 1 << bit;
            prop_assert_eq!(vk.verify(&msg, &ctx, &s2), Err(Error::AuthenticationFailed), "{} byte {}", scheme.id(), i);
            prop_assert_eq!(vk.verify(&msg, &ctx, &s2[1..]), Err(Error::AuthenticationFailed));
            // Pre-hash and pure signatures do not verify for each other.
            let digest = qres::PreHash::Sha3_256.digest(&msg);
            let ph = SignInput::PreHashed { hash: qres::PreHash::Sha3_256, digest: &digest, context: &ctx };
            let ph_sig = scheme.sign_deterministic(&sk, ph).unwrap();
            scheme.verify(vk, ph, ph_sig.as_bytes()).unwrap();
            prop_assert_eq!(vk.verify(&msg, &ctx, ph_sig.as_bytes()), Err(Error::AuthenticationFailed));
        }
    }

    #[test]
    fn signature_inputs_from_outside_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..5000)) {
        for scheme in schemes() {
            let sk = scheme.key_pair_from_seed(&[3u8; 32]).unwrap();
            let _ = scheme.parse_verifying_key(&bytes);
            let _ = scheme.key_pair_from_seed(&bytes);
            let _ = scheme.sign_with_expanded_key(&bytes, SignInput::Pure { message: b"m", context: b"" }, &[0; 32], qres::hazmat::token());
            prop_assert!(sk.verifying_key().verify(b"m", b"", &bytes).is_err());
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn aead_round_trip_and_tamper(key in any::<[u8; 64]>(), other in any::<[u8; 64]>(), nonce in any::<[u8; 16]>(),
                                  aad in proptest::collection::vec(any::<u8>(), 0..64),
                                  msg in proptest::collection::vec(any::<u8>(), 0..300),
                                  pos in any::<usize>(), bit in 0u8..8) {
        prop_assume!(key != other);
        let p = default_provider();
        for id in [AeadId::AES_256_GCM, AeadId::AES_256_CBC_HMAC_SHA256] {
            let aead = p.aead(id).unwrap();
            let k = aead.new_key(&key[..aead.key_len()]).unwrap();
            let n = &nonce[..aead.nonce_len()];
            let ct = k.seal_with_nonce(n, &aad, &msg).unwrap();
            prop_assert!(ct.len() >= msg.len() + aead.tag_len() && ct.len() <= msg.len() + aead.max_overhead());
            prop_assert_eq!(k.open_with_nonce(n, &aad, &ct).unwrap(), msg.clone());
            let wrong = aead.new_key(&other[..aead.key_len()]).unwrap();
            prop_assert_eq!(wrong.open_with_nonce(n, &aad, &ct), Err(Error::AuthenticationFailed));
            let mut t = ct.clone();
            let i = pos % t.len();
            t[i] ^= 1 << bit;
            prop_assert_eq!(k.open_with_nonce(n, &aad, &t), Err(Error::AuthenticationFailed), "{} byte {}", id, i);
            prop_assert_eq!(k.open_with_nonce(n, &aad, &ct[..ct.len() - 1]), Err(Error::AuthenticationFailed));
            let mut a2 = aad.clone();
            a2.push(0);
            prop_assert_eq!(k.open_with_nonce(n, &a2, &ct), Err(Error::AuthenticationFailed));
            let mut n2 = n.to_vec();
            n2[0] ^= 1;
            prop_assert_eq!(k.open_with_nonce(&n2, &aad, &ct), Err(Error::AuthenticationFailed));
            // In-place variants agree with the allocating ones.
            let mut buf = msg.clone();
            k.seal_in_place_with_nonce(n, &aad, &mut buf).unwrap();
            prop_assert_eq!(&buf, &ct);
            k.open_in_place_with_nonce(n, &aad, &mut buf).unwrap();
            prop_assert_eq!(&buf, &msg);
            if aead.is_length_preserving() {
                let mut buf = msg.clone();
                let mut tag = vec![0u8; aead.tag_len()];
                k.seal_in_place_detached_with_nonce(n, &aad, &mut buf, &mut tag).unwrap();
                prop_assert_eq!(&ct[..msg.len()], &buf[..]);
                prop_assert_eq!(&ct[msg.len()..], &tag[..]);
                tag[0] ^= 1;
                prop_assert_eq!(k.open_in_place_detached_with_nonce(n, &aad, &mut buf, &tag), Err(Error::AuthenticationFailed));
                prop_assert!(buf.iter().all(|&b| b == 0), "failed open must not leave plaintext");
            }
        }
    }

    #[test]
    fn aead_inputs_from_outside_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let p = default_provider();
        for id in [AeadId::AES_256_GCM, AeadId::AES_256_CBC_HMAC_SHA256] {
            let aead = p.aead(id).unwrap();
            let _ = aead.new_key(&bytes);
            let k = aead.new_key(&vec![1u8; aead.key_len()]).unwrap();
            prop_assert!(k.open_with_nonce(&vec![0u8; aead.nonce_len()], b"", &bytes).is_err());
            prop_assert!(k.open_with_nonce(&bytes, b"", &bytes).is_err());
        }
    }

    #[test]
    fn mac_round_trip_and_tamper(key in proptest::collection::vec(any::<u8>(), 0..100),
                                 msg in proptest::collection::vec(any::<u8>(), 0..200),
                                 pos in any::<usize>(), bit in 0u8..8) {
        let p = default_provider();
        for id in [MacId::HMAC_SHA256, MacId::HMAC_SHA3_256] {
            let mac = p.mac(id).unwrap();
            let tag = mac.compute(&key, &[&msg]).unwrap();
            mac.verify(&key, &[&msg], &tag).unwrap();
            let mut t = tag.clone();
            t[pos % tag.len()] ^= 1 << bit;
            prop_assert_eq!(mac.verify(&key, &[&msg], &t), Err(Error::AuthenticationFailed));
            prop_assert_eq!(mac.verify(&key, &[&msg], &tag[..15]), Err(Error::AuthenticationFailed));
            prop_assert_eq!(mac.verify(&key, &[&msg], &tag[..16]), Err(Error::AuthenticationFailed));
            prop_assert_eq!(mac.verify_truncated(&key, &[&msg], &tag[..16], 16), Ok(()));
            // A truncation that keeps the flipped bit fails too.
            let kept = (pos % tag.len() + 1).max(16);
            prop_assert_eq!(mac.verify_truncated(&key, &[&msg], &t[..kept], 16), Err(Error::AuthenticationFailed));
            let mut k2 = key.clone();
            k2.push(0xff);
            prop_assert_eq!(mac.verify(&k2, &[&msg], &tag), Err(Error::AuthenticationFailed));
        }
    }
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let p = default_provider();
    for kem in p.kems.iter() {
        let seed = vec![0xA5u8; kem.sizes().seed];
        let sk = kem.key_pair_from_seed(&seed).unwrap();
        let shown = format!("{sk:?} {:?}", sk.seed());
        assert!(!shown.to_lowercase().contains("a5a5") && !shown.contains("165, 165"), "{shown}");
        assert!(shown.contains("redacted"));
    }
    let sk = p.signature(SignatureId::ML_DSA_65).unwrap().key_pair_from_seed(&[0xA5; 32]).unwrap();
    let shown = format!("{sk:?}");
    assert!(!shown.to_lowercase().contains("a5a5") && shown.contains("redacted"), "{shown}");
    let key = p.aead(AeadId::AES_256_GCM).unwrap().new_key(&[0xA5; 32]).unwrap();
    assert!(!format!("{key:?}").to_lowercase().contains("a5"));
}

#[test]
fn keys_are_bound_to_their_algorithm() {
    let p = default_provider();
    let ml = p.kem(KemId::ML_KEM_768).unwrap();
    let xw = p.kem(KemId::X_WING).unwrap();
    let xsk = xw.key_pair_from_seed(&[1; 32]).unwrap();
    let msk = ml.key_pair_from_seed(&[1; 64]).unwrap();
    // Handing a key to another algorithm's object is a typed error, not a misinterpretation.
    assert!(matches!(ml.decapsulate(&xsk, &[0; 1088]), Err(Error::KeyMismatch(_))));
    assert!(matches!(
        xw.encapsulate_derand(msk.public_key(), &[0; 64], qres::hazmat::token()),
        Err(Error::WrongAlgorithm { .. })
    ));
    assert!(matches!(
        ml.encapsulate_derand(xsk.public_key(), &[0; 32], qres::hazmat::token()),
        Err(Error::WrongAlgorithm { .. })
    ));
}
