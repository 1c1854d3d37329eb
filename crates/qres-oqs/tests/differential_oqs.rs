//! Differential tests: the default backend (libcrux) and the liboqs backend must agree byte
//! for byte on ML-KEM and ML-DSA given the same seeds and randomness, and accept each other's outputs.
//!
//! Inputs come from a ChaCha20 RNG with a fixed seed (printed, and overridable with `QRES_DIFF_SEED`), so a
//! failure is reproducible; `QRES_DIFF_CASES` changes the number of cases per parameter set.

#[path = "../../../tests/common/mod.rs"]
mod common;

use common::{Tally, bytes, cases, rng};
use qres::backend::default;
use qres::{Error, Kem, SignInput, SignatureScheme};
use qres_oqs as oqs;
use rand_chacha::rand_core::Rng;

fn mlkem(a: &'static dyn Kem, b: &'static dyn Kem) {
    let name = a.id().to_string();
    let mut r = rng(&name);
    let mut tally = Tally::new(format!("differential {name} [default vs oqs]"));
    let n = cases();
    for case in 0..n {
        let seed: [u8; 64] = bytes(&mut r);
        let m: [u8; 32] = bytes(&mut r);
        let (ska, skb) = (a.key_pair_from_seed(&seed).unwrap(), b.key_pair_from_seed(&seed).unwrap());
        let keys_agree = ska.public_key().as_bytes() == skb.public_key().as_bytes()
            && a.expanded_secret_key(&ska).unwrap() == b.expanded_secret_key(&skb).unwrap();
        // Each backend encapsulates to the other's parsed public key.
        let pka = a.parse_public_key(skb.public_key().as_bytes()).unwrap();
        let pkb = b.parse_public_key(ska.public_key().as_bytes()).unwrap();
        let (ea, eb) = (
            a.encapsulate_derand(&pka, &m, qres::hazmat::token()).unwrap(),
            b.encapsulate_derand(&pkb, &m, qres::hazmat::token()).unwrap(),
        );
        let encaps_agree = ea.ciphertext == eb.ciphertext && ea.shared_secret == eb.shared_secret;
        // Cross-decapsulation, and implicit rejection of a tampered ciphertext (same pseudorandom key).
        let cross = skb.decapsulate(&ea.ciphertext).unwrap() == ea.shared_secret
            && ska.decapsulate(&eb.ciphertext).unwrap() == eb.shared_secret;
        let mut tampered = ea.ciphertext.clone();
        let at = case % tampered.len();
        tampered[at] ^= 1 << (case % 8);
        let (ra, rb) = (ska.decapsulate(&tampered).unwrap(), skb.decapsulate(&tampered).unwrap());
        let rejection = ra == rb && ra != ea.shared_secret;
        // A key imported in expanded form decapsulates the same on both.
        let dk = a.expanded_secret_key(&ska).unwrap();
        let imported =
            b.secret_key_from_expanded(dk.as_bytes()).unwrap().decapsulate(&ea.ciphertext).unwrap() == ea.shared_secret;
        tally.check(keys_agree && encaps_agree && cross && rejection && imported, || {
            format!("case {case}: keys {keys_agree} encaps {encaps_agree} cross {cross} rejection {rejection} import {imported}")
        });
    }
    tally.finish(n, 0);
}

#[test]
fn mlkem_512() {
    mlkem(&default::mlkem::ML_KEM_512, &oqs::ML_KEM_512);
}

#[test]
fn mlkem_768() {
    mlkem(&default::mlkem::ML_KEM_768, &oqs::ML_KEM_768);
}

#[test]
fn mlkem_1024() {
    mlkem(&default::mlkem::ML_KEM_1024, &oqs::ML_KEM_1024);
}

fn mldsa(a: &'static dyn SignatureScheme, b: &'static dyn SignatureScheme) {
    let name = a.id().to_string();
    let mut r = rng(&name);
    let mut tally = Tally::new(format!("differential {name} [default vs oqs]"));
    let n = cases();
    for case in 0..n {
        let seed: [u8; 32] = bytes(&mut r);
        let rnd: [u8; 32] = bytes(&mut r);
        let mut message = vec![0u8; (r.next_u32() % 300) as usize];
        r.fill_bytes(&mut message);
        let mut context = vec![0u8; if case % 3 == 0 { 0 } else { (r.next_u32() % 256) as usize }];
        r.fill_bytes(&mut context);
        let input = SignInput::Pure { message: &message, context: &context };
        let (ska, skb) = (a.key_pair_from_seed(&seed).unwrap(), b.key_pair_from_seed(&seed).unwrap());
        let keys_agree = ska.verifying_key().as_bytes() == skb.verifying_key().as_bytes()
            && a.expanded_signing_key(&ska).unwrap() == b.expanded_signing_key(&skb).unwrap();
        let (da, db) = (a.sign_deterministic(&ska, input).unwrap(), b.sign_deterministic(&skb, input).unwrap());
        let (ha, hb) = (
            a.sign_derand(&ska, input, &rnd, qres::hazmat::token()).unwrap(),
            b.sign_derand(&skb, input, &rnd, qres::hazmat::token()).unwrap(),
        );
        let signatures_agree = da == db && ha == hb && da != ha;
        // Cross-verification, and rejection of a modified signature on both.
        let vka = a.parse_verifying_key(skb.verifying_key().as_bytes()).unwrap();
        let vkb = b.parse_verifying_key(ska.verifying_key().as_bytes()).unwrap();
        let cross = a.verify(&vka, input, hb.as_bytes()).is_ok() && b.verify(&vkb, input, ha.as_bytes()).is_ok();
        let mut bad = ha.as_bytes().to_vec();
        let at = case % bad.len();
        bad[at] ^= 1 << (case % 8);
        let rejected = a.verify(&vka, input, &bad) == Err(Error::AuthenticationFailed)
            && b.verify(&vkb, input, &bad) == Err(Error::AuthenticationFailed);
        tally.check(keys_agree && signatures_agree && cross && rejected, || {
            format!("case {case}: keys {keys_agree} signatures {signatures_agree} cross {cross} rejected {rejected}")
        });
    }
    tally.finish(n, 0);
}

#[test]
fn mldsa_44() {
    mldsa(&default::mldsa::ML_DSA_44, &oqs::ML_DSA_44);
}

#[test]
fn mldsa_65() {
    mldsa(&default::mldsa::ML_DSA_65, &oqs::ML_DSA_65);
}

#[test]
fn mldsa_87() {
    mldsa(&default::mldsa::ML_DSA_87, &oqs::ML_DSA_87);
}

/// Malformed inputs reach neither backend's C or Rust core: each gives the same typed error.
#[test]
fn malformed_inputs_give_the_same_typed_errors() {
    let mut r = rng("malformed");
    let pairs: [(&'static dyn Kem, &'static dyn Kem); 3] = [
        (&default::mlkem::ML_KEM_512, &oqs::ML_KEM_512),
        (&default::mlkem::ML_KEM_768, &oqs::ML_KEM_768),
        (&default::mlkem::ML_KEM_1024, &oqs::ML_KEM_1024),
    ];
    let mut tally = Tally::new("differential malformed ML-KEM inputs [default vs oqs]");
    for (a, b) in pairs {
        let sizes = a.sizes();
        let sk = b.key_pair_from_seed(&bytes::<64>(&mut r)).unwrap();
        for len in [0, 1, sizes.public_key - 1, sizes.public_key + 1] {
            let input = vec![0u8; len];
            let same = matches!(a.parse_public_key(&input), Err(Error::InvalidLength { .. }))
                && matches!(b.parse_public_key(&input), Err(Error::InvalidLength { .. }));
            tally.check(same, || format!("{}: public key of {len} bytes", a.id()));
        }
        for len in [0, 1, sizes.ciphertext - 1, sizes.ciphertext + 1] {
            let ok = matches!(sk.decapsulate(&vec![0u8; len]), Err(Error::InvalidLength { .. }));
            tally.check(ok, || format!("{}: ciphertext of {len} bytes", a.id()));
        }
        // An all-0xff key has every coefficient unreduced: the FIPS 203 modulus check fails on both.
        let unreduced = vec![0xffu8; sizes.public_key];
        let same = matches!(a.parse_public_key(&unreduced), Err(Error::InvalidKey { .. }))
            && matches!(b.parse_public_key(&unreduced), Err(Error::InvalidKey { .. }));
        tally.check(same, || format!("{}: unreduced public key", a.id()));
        // A decapsulation key with a wrong embedded hash fails the FIPS 203 hash check on both.
        let mut dk = b.expanded_secret_key(&sk).unwrap().as_bytes().to_vec();
        let last = dk.len() - 33;
        dk[last] ^= 1;
        let same = matches!(a.secret_key_from_expanded(&dk), Err(Error::InvalidKey { .. }))
            && matches!(b.secret_key_from_expanded(&dk), Err(Error::InvalidKey { .. }));
        tally.check(same, || format!("{}: decapsulation key with a wrong hash", a.id()));
        for len in [0, 63, 65] {
            let same = matches!(a.key_pair_from_seed(&vec![0u8; len]), Err(Error::InvalidLength { .. }))
                && matches!(b.key_pair_from_seed(&vec![0u8; len]), Err(Error::InvalidLength { .. }));
            tally.check(same, || format!("{}: seed of {len} bytes", a.id()));
        }
        let same = matches!(
            a.encapsulate_derand(sk.public_key(), &[0u8; 31], qres::hazmat::token()),
            Err(Error::InvalidLength { .. })
        ) && matches!(
            b.encapsulate_derand(sk.public_key(), &[0u8; 31], qres::hazmat::token()),
            Err(Error::InvalidLength { .. })
        );
        tally.check(same, || format!("{}: short encapsulation randomness", a.id()));
    }
    tally.finish(3 * 14, 0);
}
