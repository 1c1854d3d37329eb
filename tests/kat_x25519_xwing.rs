//! Known-answer tests of X25519 (ACVP XECDH keyGen, Wycheproof) and X-Wing (the draft's test vectors),
//! on every backend.
//!
//! The ACVP XECDH-SSC file is not used: its expected results give the implementation's *public* key and
//! the shared secret but not the private key, so they cannot be recomputed (Wycheproof covers the shared
//! secret computation instead, including every low-order and non-canonical edge case).

mod common;

use common::*;
use qres::{Error, GroupId, KemId};

#[test]
fn acvp_xecdh_keygen_x25519() {
    let groups = require!(acvp("XECDH-keyGen-RFC7748"));
    for (name, p) in backends() {
        let x25519 = p.key_agreement(GroupId::X25519).unwrap();
        let mut tally = Tally::new(format!("ACVP XECDH-keyGen-RFC7748 Curve25519 [{name}]"));
        for g in groups.iter().filter(|g| g.str("curve") == "Curve25519") {
            for (t, e) in &g.tests {
                let sk = x25519.secret_key_from_bytes(&hx(e, "privateKey")).unwrap();
                tally.check(sk.public_key().as_bytes() == hx(e, "publicKey"), || format!("tc {}", t["tcId"]));
            }
        }
        tally.finish(10, 0);
    }
}

#[test]
fn wycheproof_x25519() {
    let v = require!(wycheproof("x25519_test.json"));
    for (name, p) in backends() {
        let x25519 = p.key_agreement(GroupId::X25519).unwrap();
        let mut tally = Tally::new(format!("Wycheproof x25519_test.json [{name}]"));
        let mut zero_rejected = 0;
        for (_, tests) in wycheproof_groups(&v) {
            for t in tests {
                let sk = x25519.secret_key_from_bytes(&hx(t, "private")).unwrap();
                let pk = x25519.parse_public_key(&hx(t, "public")).unwrap();
                let shared = hx(t, "shared");
                // The raw function must match every vector bit for bit.
                let raw_ok = x25519.agree_raw(&sk, &pk, qres::hazmat::token()).unwrap().as_bytes() == shared;
                // The checked function rejects exactly the all-zero results (flag ZeroSharedSecret, which
                // Wycheproof rates "acceptable" either way) and returns the rest.
                let checked = sk.agree(&pk);
                let checked_ok = if shared.iter().all(|&b| b == 0) {
                    zero_rejected += 1;
                    matches!(checked, Err(Error::InvalidKey { .. }))
                } else {
                    checked.is_ok_and(|s| s.as_bytes() == shared)
                };
                let result = t["result"].as_str().unwrap();
                assert!(result == "valid" || result == "acceptable", "tc {}", t["tcId"]);
                tally.check(raw_ok && checked_ok, || format!("tc {} ({})", t["tcId"], t["comment"]));
            }
        }
        assert_eq!(zero_rejected, 31, "all-zero shared secrets seen");
        tally.finish(518, 0);
    }
}

#[test]
fn xwing_draft_vectors() {
    let v = require!(load_json("xwing/test-vectors.json"));
    for (name, p) in backends() {
        let xwing = p.kem(KemId::X_WING).unwrap();
        let mut tally = Tally::new(format!("X-Wing draft test-vectors.json [{name}]"));
        for t in v.as_array().unwrap() {
            let sk = xwing.key_pair_from_seed(&hx(t, "seed")).unwrap();
            assert_eq!(hx(t, "sk"), hx(t, "seed"), "the secret key is the seed");
            let pk = xwing.parse_public_key(&hx(t, "pk")).unwrap();
            let enc = xwing.encapsulate_derand(&pk, &hx(t, "eseed"), qres::hazmat::token()).unwrap();
            let ss = sk.decapsulate(&hx(t, "ct")).unwrap();
            tally.check(
                sk.public_key() == &pk
                    && enc.ciphertext == hx(t, "ct")
                    && enc.shared_secret.as_bytes() == hx(t, "ss")
                    && ss.as_bytes() == hx(t, "ss"),
                || format!("vector with seed {}", t["seed"]),
            );
        }
        tally.finish(3, 0);
    }
}
