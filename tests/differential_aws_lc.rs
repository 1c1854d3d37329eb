//! Differential tests (feature `aws-lc`): the default backend and the aws-lc backend on random inputs, in
//! both directions — sealed by one and opened by the other, encapsulated by one and decapsulated by the
//! other, signed by one and verified by the other — and byte-for-byte agreement where both are
//! deterministic (key generation from seeds, X25519, HKDF, HMAC, hashes, AEAD ciphertexts).
//!
//! The operations run on the aws-lc side are AWS-LC's own: encapsulation with AWS-LC's randomness and
//! decapsulation (ML-KEM), key generation from the seed, hedged pure signing with an empty context and
//! verification (ML-DSA), X25519, the AEADs, HKDF, HMAC, SHA-256 and SHA3-256. Inputs come from a ChaCha20
//! RNG with a fixed seed (printed, `QRES_DIFF_SEED`); `QRES_DIFF_CASES` sets the cases per algorithm.

#![cfg(feature = "aws-lc")]

mod common;

use common::{Tally, bytes, cases, rng};
use qres::backend::{aws_lc, default};
use qres::{Aead, DhGroup, Error, HashFunction, Kdf, Kem, Mac, OsRng, SignInput, SignatureScheme};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::Rng;

fn random_vec(r: &mut ChaCha20Rng, max: u32) -> Vec<u8> {
    let mut v = vec![0u8; (r.next_u32() % (max + 1)) as usize];
    r.fill_bytes(&mut v);
    v
}

fn mlkem(d: &'static dyn Kem, a: &'static dyn Kem) {
    let name = d.id().to_string();
    let mut r = rng(&format!("aws-lc {name}"));
    let mut tally = Tally::new(format!("differential {name} [default vs aws-lc]"));
    let n = cases();
    for case in 0..n {
        let seed: [u8; 64] = bytes(&mut r);
        let (skd, ska) = (d.key_pair_from_seed(&seed).unwrap(), a.key_pair_from_seed(&seed).unwrap());
        let keys_agree = skd.public_key().as_bytes() == ska.public_key().as_bytes()
            && d.expanded_secret_key(&skd).unwrap() == a.expanded_secret_key(&ska).unwrap();
        // AWS-LC encapsulates (its own randomness) to the default key; the default decapsulates, and back.
        let pka = a.parse_public_key(skd.public_key().as_bytes()).unwrap();
        let pkd = d.parse_public_key(ska.public_key().as_bytes()).unwrap();
        let ea = a.encapsulate(&pka, &mut OsRng).unwrap();
        let ed = d.encapsulate(&pkd, &mut OsRng).unwrap();
        let cross = skd.decapsulate(&ea.ciphertext).unwrap() == ea.shared_secret
            && ska.decapsulate(&ed.ciphertext).unwrap() == ed.shared_secret
            && ea.shared_secret != ed.shared_secret;
        // Implicit rejection: a tampered ciphertext gives the same pseudorandom key on both.
        let mut tampered = ea.ciphertext.clone();
        let at = case % tampered.len();
        tampered[at] ^= 1 << (case % 8);
        let (rd, ra) = (skd.decapsulate(&tampered).unwrap(), ska.decapsulate(&tampered).unwrap());
        let rejection = rd == ra && rd != ea.shared_secret;
        // A key imported in expanded form into AWS-LC decapsulates the default's ciphertext.
        let dk = d.expanded_secret_key(&skd).unwrap();
        let imported =
            a.secret_key_from_expanded(dk.as_bytes()).unwrap().decapsulate(&ed.ciphertext).unwrap() == ed.shared_secret;
        tally.check(keys_agree && cross && rejection && imported, || {
            format!("case {case}: keys {keys_agree} cross {cross} rejection {rejection} import {imported}")
        });
    }
    tally.finish(n, 0);
}

#[test]
fn mlkem_512() {
    mlkem(&default::mlkem::ML_KEM_512, &aws_lc::mlkem::ML_KEM_512);
}

#[test]
fn mlkem_768() {
    mlkem(&default::mlkem::ML_KEM_768, &aws_lc::mlkem::ML_KEM_768);
}

#[test]
fn mlkem_1024() {
    mlkem(&default::mlkem::ML_KEM_1024, &aws_lc::mlkem::ML_KEM_1024);
}

#[test]
fn x_wing() {
    let (d, a): (&'static dyn Kem, &'static dyn Kem) = (&default::X_WING, &aws_lc::X_WING);
    let mut r = rng("aws-lc X-Wing");
    let mut tally = Tally::new("differential X-Wing [default vs aws-lc]");
    let n = cases();
    for case in 0..n {
        let seed: [u8; 32] = bytes(&mut r);
        let eseed: [u8; 64] = bytes(&mut r);
        let (skd, ska) = (d.key_pair_from_seed(&seed).unwrap(), a.key_pair_from_seed(&seed).unwrap());
        let keys_agree = skd.public_key().as_bytes() == ska.public_key().as_bytes();
        let pka = a.parse_public_key(skd.public_key().as_bytes()).unwrap();
        let pkd = d.parse_public_key(ska.public_key().as_bytes()).unwrap();
        let ea = a.encapsulate(&pka, &mut OsRng).unwrap();
        let ed = d.encapsulate_derand(&pkd, &eseed, qres::hazmat::token()).unwrap();
        let cross = skd.decapsulate(&ea.ciphertext).unwrap() == ea.shared_secret
            && ska.decapsulate(&ed.ciphertext).unwrap() == ed.shared_secret;
        tally.check(keys_agree && cross, || format!("case {case}: keys {keys_agree} cross {cross}"));
    }
    tally.finish(n, 0);
}

fn mldsa(d: &'static dyn SignatureScheme, a: &'static dyn SignatureScheme) {
    let name = d.id().to_string();
    let mut r = rng(&format!("aws-lc {name}"));
    let mut tally = Tally::new(format!("differential {name} [default vs aws-lc]"));
    let n = cases();
    for case in 0..n {
        let seed: [u8; 32] = bytes(&mut r);
        let message = random_vec(&mut r, 300);
        // Every third case with a context string (served by libcrux on the aws-lc side), else empty (AWS-LC).
        let context = if case % 3 == 2 { random_vec(&mut r, 255) } else { Vec::new() };
        let input = SignInput::Pure { message: &message, context: &context };
        let (skd, ska) = (d.key_pair_from_seed(&seed).unwrap(), a.key_pair_from_seed(&seed).unwrap());
        let keys_agree = skd.verifying_key().as_bytes() == ska.verifying_key().as_bytes()
            && d.expanded_signing_key(&skd).unwrap() == a.expanded_signing_key(&ska).unwrap();
        let sa = a.sign(&ska, input, &mut OsRng).unwrap();
        let sd = d.sign(&skd, input, &mut OsRng).unwrap();
        let vka = a.parse_verifying_key(skd.verifying_key().as_bytes()).unwrap();
        let vkd = d.parse_verifying_key(ska.verifying_key().as_bytes()).unwrap();
        let cross = d.verify(&vkd, input, sa.as_bytes()).is_ok() && a.verify(&vka, input, sd.as_bytes()).is_ok();
        let mut bad = sa.as_bytes().to_vec();
        let at = case % bad.len();
        bad[at] ^= 1 << (case % 8);
        let rejected = a.verify(&vka, input, &bad) == Err(Error::AuthenticationFailed)
            && d.verify(&vkd, input, &bad) == Err(Error::AuthenticationFailed);
        let other = SignInput::Pure { message: b"another message", context: &context };
        let wrong_message = a.verify(&vka, other, sd.as_bytes()) == Err(Error::AuthenticationFailed);
        tally.check(keys_agree && cross && rejected && wrong_message, || {
            format!("case {case}: keys {keys_agree} cross {cross} rejected {rejected} wrong message {wrong_message}")
        });
    }
    tally.finish(n, 0);
}

#[test]
fn mldsa_44() {
    mldsa(&default::mldsa::ML_DSA_44, &aws_lc::mldsa::ML_DSA_44);
}

#[test]
fn mldsa_65() {
    mldsa(&default::mldsa::ML_DSA_65, &aws_lc::mldsa::ML_DSA_65);
}

#[test]
fn mldsa_87() {
    mldsa(&default::mldsa::ML_DSA_87, &aws_lc::mldsa::ML_DSA_87);
}

fn aead(d: &'static dyn Aead, a: &'static dyn Aead) {
    let name = d.id().to_string();
    let mut r = rng(&format!("aws-lc {name}"));
    let mut tally = Tally::new(format!("differential {name} [default vs aws-lc]"));
    let n = cases();
    for case in 0..n {
        let mut key = vec![0u8; d.key_len()];
        r.fill_bytes(&mut key);
        let nonce: [u8; 12] = bytes(&mut r);
        let aad = random_vec(&mut r, 64);
        let msg = random_vec(&mut r, 4096);
        let (kd, ka) = (d.new_key(&key).unwrap(), a.new_key(&key).unwrap());
        let cd = kd.seal_with_nonce(&nonce, &aad, &msg).unwrap();
        let ca = ka.seal_with_nonce(&nonce, &aad, &msg).unwrap();
        let same = cd == ca;
        let cross = ka.open_with_nonce(&nonce, &aad, &cd).as_deref() == Ok(&msg[..])
            && kd.open_with_nonce(&nonce, &aad, &ca).as_deref() == Ok(&msg[..]);
        let mut bad = ca.clone();
        let at = case % bad.len();
        bad[at] ^= 1 << (case % 8);
        let rejected = ka.open_with_nonce(&nonce, &aad, &bad) == Err(Error::AuthenticationFailed)
            && kd.open_with_nonce(&nonce, &aad, &bad) == Err(Error::AuthenticationFailed);
        // The detached in-place calls agree with the attached ones.
        let mut buf = msg.clone();
        let mut tag = [0u8; 16];
        ka.seal_in_place_detached_with_nonce(&nonce, &aad, &mut buf, &mut tag).unwrap();
        let detached = buf == ca[..msg.len()] && tag == ca[msg.len()..];
        kd.open_in_place_detached_with_nonce(&nonce, &aad, &mut buf, &tag).unwrap();
        let detached = detached && buf == msg;
        tally.check(same && cross && rejected && detached, || {
            format!("case {case}: same {same} cross {cross} rejected {rejected} detached {detached}")
        });
    }
    tally.finish(n, 0);
}

#[test]
fn aes_256_gcm() {
    aead(&default::aes_gcm::AES_256_GCM, &aws_lc::aead::AES_256_GCM);
}

#[test]
fn aes_128_gcm() {
    aead(&default::aes_gcm::AES_128_GCM, &aws_lc::aead::AES_128_GCM);
}

#[test]
fn chacha20_poly1305() {
    aead(&default::aes_gcm::CHACHA20_POLY1305, &aws_lc::aead::CHACHA20_POLY1305);
}

#[test]
fn x25519() {
    let (d, a): (&'static dyn DhGroup, &'static dyn DhGroup) =
        (&default::x25519::X25519_DH, &aws_lc::x25519::X25519_DH);
    let mut r = rng("aws-lc X25519");
    let mut tally = Tally::new("differential X25519 [default vs aws-lc]");
    let n = cases();
    for case in 0..n {
        let (s1, s2): ([u8; 32], [u8; 32]) = (bytes(&mut r), bytes(&mut r));
        let (d1, a1) = (d.secret_key_from_bytes(&s1).unwrap(), a.secret_key_from_bytes(&s1).unwrap());
        let (d2, a2) = (d.secret_key_from_bytes(&s2).unwrap(), a.secret_key_from_bytes(&s2).unwrap());
        let publics = d1.public_key().as_bytes() == a1.public_key().as_bytes()
            && d2.public_key().as_bytes() == a2.public_key().as_bytes();
        // Each side agrees with the other's public key parsed by itself.
        let pa2 = a.parse_public_key(d2.public_key().as_bytes()).unwrap();
        let pd1 = d.parse_public_key(a1.public_key().as_bytes()).unwrap();
        let shared = a1.agree(&pa2).unwrap() == d2.agree(&pd1).unwrap();
        // A random u-coordinate (not on the curve's prime-order subgroup in general): same raw result.
        let u: [u8; 32] = bytes(&mut r);
        let raw = a.agree_raw(&a1, &a.parse_public_key(&u).unwrap(), qres::hazmat::token()).unwrap()
            == d.agree_raw(&d1, &d.parse_public_key(&u).unwrap(), qres::hazmat::token()).unwrap();
        tally.check(publics && shared && raw, || format!("case {case}: publics {publics} shared {shared} raw {raw}"));
    }
    tally.finish(n, 0);
}

/// Small-order points: both refuse them in `agree` and return the all-zero value in `agree_raw`.
#[test]
fn x25519_low_order_points() {
    let (d, a): (&'static dyn DhGroup, &'static dyn DhGroup) =
        (&default::x25519::X25519_DH, &aws_lc::x25519::X25519_DH);
    let mut tally = Tally::new("differential X25519 low-order points [default vs aws-lc]");
    let (sd, sa) = (d.secret_key_from_bytes(&[7u8; 32]).unwrap(), a.secret_key_from_bytes(&[7u8; 32]).unwrap());
    for point in qres::kem::xwing::X25519_LOW_ORDER {
        let (pd, pa) = (d.parse_public_key(&point).unwrap(), a.parse_public_key(&point).unwrap());
        let refused = matches!(sa.agree(&pa), Err(Error::InvalidKey { .. }))
            && matches!(sd.agree(&pd), Err(Error::InvalidKey { .. }));
        let zero = a.agree_raw(&sa, &pa, qres::hazmat::token()).unwrap().as_bytes() == [0u8; 32]
            && d.agree_raw(&sd, &pd, qres::hazmat::token()).unwrap().as_bytes() == [0u8; 32];
        tally.check(refused && zero, || format!("{point:02x?}: refused {refused} zero {zero}"));
    }
    tally.finish(7, 0);
}

#[test]
fn hkdf() {
    let pairs: [(&'static dyn Kdf, &'static dyn Kdf); 3] = [
        (&default::hkdf::HKDF_SHA256, &aws_lc::symmetric::HKDF_SHA256),
        (&default::hkdf::HKDF_SHA384, &aws_lc::symmetric::HKDF_SHA384),
        (&default::hkdf::HKDF_SHA512, &aws_lc::symmetric::HKDF_SHA512),
    ];
    for (d, a) in pairs {
        let name = d.id().to_string();
        let mut r = rng(&format!("aws-lc {name}"));
        let mut tally = Tally::new(format!("differential {name} [default vs aws-lc]"));
        let n = cases();
        for case in 0..n {
            let (salt, ikm1, ikm2, info) =
                (random_vec(&mut r, 100), random_vec(&mut r, 100), random_vec(&mut r, 100), random_vec(&mut r, 100));
            let len = 1 + (r.next_u32() as usize) % d.max_output_len();
            let (pd, pa) = (d.extract(&salt, &[&ikm1, &ikm2]), a.extract(&salt, &[&ikm1, &ikm2]));
            let (mut od, mut oa) = (vec![0u8; len], vec![0u8; len]);
            d.expand(pd.as_bytes(), &[&info, b"x"], &mut od).unwrap();
            a.expand(pa.as_bytes(), &[&info, b"x"], &mut oa).unwrap();
            let too_long = vec![0u8; a.max_output_len() + 1];
            let refused =
                matches!(a.expand(pa.as_bytes(), &[], &mut too_long.clone()), Err(Error::OutputTooLong { .. }));
            tally.check(pd == pa && od == oa && refused, || format!("case {case}: prk or okm of {len} bytes differ"));
        }
        tally.finish(n, 0);
    }
}

#[test]
fn hmac_and_hashes() {
    let (hd, ha): (&'static dyn Mac, &'static dyn Mac) = (&default::hmac::HMAC_SHA256, &aws_lc::symmetric::HMAC_SHA256);
    let hashes: [(&'static dyn HashFunction, &'static dyn HashFunction); 2] = [
        (&default::sha::SHA2_256, &aws_lc::symmetric::SHA2_256),
        (&default::sha::SHA3_256, &aws_lc::symmetric::SHA3_256),
    ];
    let mut r = rng("aws-lc HMAC and hashes");
    let mut tally = Tally::new("differential HMAC-SHA256, SHA-256, SHA3-256 [default vs aws-lc]");
    let n = cases();
    for case in 0..n {
        let (key, m1, m2) = (random_vec(&mut r, 200), random_vec(&mut r, 1000), random_vec(&mut r, 1000));
        let tag = ha.compute(&key, &[&m1, &m2]).unwrap();
        let macs = tag == hd.compute(&key, &[&m1, &m2]).unwrap() && hd.verify(&key, &[&m1, &m2], &tag).is_ok();
        let digests = hashes.iter().all(|(d, a)| d.digest(&[&m1, &m2]) == a.digest(&[&m1, &m2]));
        tally.check(macs && digests, || format!("case {case}: macs {macs} digests {digests}"));
    }
    tally.finish(n, 0);
}
