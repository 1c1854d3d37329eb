//! ML-DSA known-answer tests: NIST ACVP (FIPS 204 keyGen, sigGen, sigGen-tr1, sigVer) and every
//! Wycheproof ML-DSA file, on every backend.
//!
//! Coverage: pure and pre-hash (HashML-DSA, all twelve ACVP hash functions) external interfaces, the
//! internal interface with a message, deterministic and hedged signing, seed and expanded key formats.
//! Not covered: the *external-mu* groups (signing or verifying a caller-computed `mu`), because neither
//! libcrux nor liboqs exposes a mu-level interface; they are counted as skipped and the counts are
//! asserted. On the liboqs backend (feature `oqs`) the pre-hash and internal-interface groups are skipped
//! too (liboqs 0.13 exposes only pure ML-DSA); the counts per backend are asserted.

mod common;

use common::*;
use qres::{Error, PreHash, Provider, SignInput, SignatureId, SignatureScheme};
use serde_json::Value;

const MU: &str = "external-mu cases (no mu-level interface in libcrux or liboqs)";
const NOT_IN_LIBOQS: &str = "HashML-DSA / internal-interface cases (not exposed by liboqs 0.13)";

/// The expected (passed, skipped) counts of one file on the backend `name`.
fn per_backend(name: &str, default: (usize, usize), oqs: (usize, usize)) -> (usize, usize) {
    if name == "oqs" { oqs } else { default }
}

fn scheme_for(p: &Provider, parameter_set: &str) -> &'static dyn SignatureScheme {
    p.signature(SignatureId::from_name(parameter_set).unwrap()).unwrap()
}

/// Builds the [`SignInput`] an ACVP group describes, or `None` for external-mu groups. `digest` holds
/// the pre-hash digest so that the returned input can borrow it.
fn acvp_input<'a>(
    g: &AcvpGroup,
    t: &'a Value,
    message: &'a [u8],
    context: &'a [u8],
    digest: &'a mut Vec<u8>,
) -> Option<SignInput<'a>> {
    if g.str("signatureInterface") == "internal" {
        if g.meta["externalMu"].as_bool().unwrap_or(false) {
            return None;
        }
        return Some(SignInput::Internal { message, token: qres::hazmat::token() });
    }
    if g.str("preHash") == "preHash" {
        let hash = PreHash::from_name(t["hashAlg"].as_str().unwrap()).expect("known hash");
        *digest = hash.digest(message);
        return Some(SignInput::PreHashed { hash, digest, context });
    }
    Some(SignInput::Pure { message, context })
}

#[test]
fn acvp_keygen() {
    let groups = require!(acvp("ML-DSA-keyGen-FIPS204"));
    for (name, p) in backends() {
        let mut tally = Tally::new(format!("ACVP ML-DSA-keyGen-FIPS204 [{name}]"));
        for g in &groups {
            let scheme = scheme_for(&p, g.str("parameterSet"));
            for (t, e) in &g.tests {
                let sk = scheme.key_pair_from_seed(&hx(t, "seed")).unwrap();
                let expanded = scheme.expanded_signing_key(&sk).unwrap();
                tally.check(sk.verifying_key().as_bytes() == hx(e, "pk") && expanded.as_bytes() == hx(e, "sk"), || {
                    format!("tc {}", t["tcId"])
                });
            }
        }
        tally.finish(75, 0);
    }
}

fn sig_gen(file: &str, default: (usize, usize), oqs: (usize, usize)) {
    let groups = require!(acvp(file));
    for (name, p) in backends() {
        let mut tally = Tally::new(format!("ACVP {file} [{name}]"));
        for g in &groups {
            let scheme = scheme_for(&p, g.str("parameterSet"));
            let deterministic = g.meta["deterministic"].as_bool().unwrap();
            for (t, e) in &g.tests {
                let message = hx_opt(t, "message").unwrap_or_default();
                let context = hx_opt(t, "context").unwrap_or_default();
                let mut digest = Vec::new();
                let Some(input) = acvp_input(g, t, &message, &context, &mut digest) else {
                    tally.skip(MU);
                    continue;
                };
                let rnd = if deterministic { vec![0u8; 32] } else { hx(t, "rnd") };
                let sig = if let Some(seed) = hx_opt(t, "seed") {
                    let sk = scheme.key_pair_from_seed(&seed).unwrap();
                    scheme.sign_derand(&sk, input, &rnd, qres::hazmat::token())
                } else {
                    scheme.sign_with_expanded_key(&hx(t, "sk"), input, &rnd, qres::hazmat::token())
                };
                if let (Err(Error::Unsupported(_)), "oqs") = (&sig, name) {
                    tally.skip(NOT_IN_LIBOQS);
                    continue;
                }
                let sig = sig.unwrap_or_else(|err| panic!("tc {}: {err}", t["tcId"]));
                tally.check(sig.as_bytes() == hx(e, "signature"), || format!("tg {} tc {}", g.meta["tgId"], t["tcId"]));
            }
        }
        let (passed, skipped) = per_backend(name, default, oqs);
        tally.finish(passed, skipped);
    }
}

/// liboqs: pure external-interface groups only.
const OQS_SIGGEN: (usize, usize) = (90, 270);
const OQS_SIGGEN_TR1: (usize, usize) = (180, 540);
const OQS_SIGVER: (usize, usize) = (45, 135);

#[test]
fn acvp_sig_gen() {
    // 24 groups of 15; the 6 external-mu groups are skipped.
    sig_gen("ML-DSA-sigGen-FIPS204", (270, 90), (OQS_SIGGEN.0, OQS_SIGGEN.1));
}

#[test]
fn acvp_sig_gen_tr1() {
    // 48 groups of 15 (seed and expanded key formats); the 12 external-mu groups are skipped.
    sig_gen("ML-DSA-sigGen-FIPS204-tr1", (540, 180), (OQS_SIGGEN_TR1.0, OQS_SIGGEN_TR1.1));
}

#[test]
fn acvp_sig_ver() {
    let groups = require!(acvp("ML-DSA-sigVer-FIPS204"));
    for (name, p) in backends() {
        let mut tally = Tally::new(format!("ACVP ML-DSA-sigVer-FIPS204 [{name}]"));
        for g in &groups {
            let scheme = scheme_for(&p, g.str("parameterSet"));
            for (t, e) in &g.tests {
                let message = hx_opt(t, "message").unwrap_or_default();
                let context = hx_opt(t, "context").unwrap_or_default();
                let mut digest = Vec::new();
                let Some(input) = acvp_input(g, t, &message, &context, &mut digest) else {
                    tally.skip(MU);
                    continue;
                };
                let vk = scheme.parse_verifying_key(&hx(t, "pk")).unwrap();
                let r = scheme.verify(&vk, input, &hx(t, "signature"));
                if let (Err(Error::Unsupported(_)), "oqs") = (&r, name) {
                    tally.skip(NOT_IN_LIBOQS);
                    continue;
                }
                if let Err(err) = &r {
                    assert_eq!(*err, Error::AuthenticationFailed, "tc {}", t["tcId"]);
                }
                tally.check(r.is_ok() == e["testPassed"].as_bool().unwrap(), || format!("tc {}", t["tcId"]));
            }
        }
        let (passed, skipped) = per_backend(name, (135, 45), OQS_SIGVER);
        tally.finish(passed, skipped);
    }
}

fn parameter_set(file: &str) -> SignatureId {
    match file.split('_').nth(1) {
        Some("44") => SignatureId::ML_DSA_44,
        Some("65") => SignatureId::ML_DSA_65,
        Some("87") => SignatureId::ML_DSA_87,
        _ => panic!("{file}"),
    }
}

/// One Wycheproof signing file: `seeded` selects `privateSeed` groups over expanded `privateKey` groups.
fn wycheproof_sign(file: &str, seeded: bool, passed: usize, skipped: usize) {
    let v = require!(wycheproof(file));
    for (name, p) in backends() {
        let scheme = p.signature(parameter_set(file)).unwrap();
        let mut tally = Tally::new(format!("Wycheproof {file} [{name}]"));
        for (g, tests) in wycheproof_groups(&v) {
            for t in tests {
                let valid = t["result"] == "valid";
                let Some(message) = hx_opt(t, "msg") else {
                    assert!(t.get("mu").is_some(), "tc {}: neither msg nor mu", t["tcId"]);
                    tally.skip(MU);
                    continue;
                };
                let context = hx_opt(t, "ctx").unwrap_or_default();
                let input = SignInput::Pure { message: &message, context: &context };
                let rnd = hx_opt(t, "rnd").unwrap_or_else(|| vec![0u8; 32]);
                let r = if seeded {
                    scheme.key_pair_from_seed(&hx(g, "privateSeed")).and_then(|sk| {
                        if valid {
                            assert_eq!(sk.verifying_key().as_bytes(), hx(g, "publicKey"), "tc {}", t["tcId"]);
                        }
                        scheme.sign_derand(&sk, input, &rnd, qres::hazmat::token())
                    })
                } else {
                    scheme.sign_with_expanded_key(&hx(g, "privateKey"), input, &rnd, qres::hazmat::token())
                };
                let ok = if valid {
                    r.as_ref().is_ok_and(|sig| {
                        let vk = scheme.parse_verifying_key(&hx(g, "publicKey")).unwrap();
                        sig.as_bytes() == hx(t, "sig") && scheme.verify(&vk, input, sig.as_bytes()).is_ok()
                    })
                } else {
                    matches!(
                        r,
                        Err(Error::InvalidLength { .. } | Error::LengthOutOfRange { .. } | Error::InvalidKey { .. })
                    )
                };
                tally.check(ok, || format!("tc {} ({}): {:?}", t["tcId"], t["comment"], r.err()));
            }
        }
        tally.finish(passed, skipped);
    }
}

#[test]
fn wycheproof_mldsa_sign_seed() {
    wycheproof_sign("mldsa_44_sign_seed_test.json", true, 78, 8);
    wycheproof_sign("mldsa_65_sign_seed_test.json", true, 88, 17);
    wycheproof_sign("mldsa_87_sign_seed_test.json", true, 79, 17);
}

#[test]
fn wycheproof_mldsa_sign_noseed() {
    wycheproof_sign("mldsa_44_sign_noseed_test.json", false, 66, 7);
    wycheproof_sign("mldsa_65_sign_noseed_test.json", false, 68, 10);
    wycheproof_sign("mldsa_87_sign_noseed_test.json", false, 59, 10);
}

/// The Wycheproof case liboqs 0.13 gets wrong (one per parameter set): a *valid* signature whose verification calls
/// `use_hint(1, 0)`, which the AVX2 code of pq-crystals' Dilithium that liboqs 0.13 uses computes wrongly
/// (fixed upstream in pq-crystals after liboqs 0.13). It is rejected. The default backend accepts it. (The
/// other AVX2 verifier defect, the missing `‖z‖∞` bound, is covered by a check in qres' liboqs backend.)
const LIBOQS_USE_HINT_CASE: &str = "signature that calls use_hint(1, 0)";
const LIBOQS_USE_HINT_DEFECT: &str = "valid signature liboqs 0.13 rejects (AVX2 use_hint defect)";

#[test]
fn wycheproof_mldsa_verify() {
    for (file, expected) in
        [("mldsa_44_verify_test.json", 180), ("mldsa_65_verify_test.json", 210), ("mldsa_87_verify_test.json", 241)]
    {
        let v = require!(wycheproof(file));
        for (name, p) in backends() {
            let scheme = p.signature(parameter_set(file)).unwrap();
            let mut tally = Tally::new(format!("Wycheproof {file} [{name}]"));
            for (g, tests) in wycheproof_groups(&v) {
                for t in tests {
                    let message = hx(t, "msg");
                    let context = hx_opt(t, "ctx").unwrap_or_default();
                    let r = scheme.parse_verifying_key(&hx(g, "publicKey")).and_then(|vk| {
                        scheme.verify(&vk, SignInput::Pure { message: &message, context: &context }, &hx(t, "sig"))
                    });
                    if name == "oqs" && t["comment"] == LIBOQS_USE_HINT_CASE {
                        // Known liboqs 0.13 defect, asserted so that a fixed liboqs makes this test fail
                        // (and the exception is then removed).
                        assert_eq!(r, Err(Error::AuthenticationFailed), "liboqs now accepts tc {}", t["tcId"]);
                        tally.skip(LIBOQS_USE_HINT_DEFECT);
                        continue;
                    }
                    let ok = match t["result"].as_str().unwrap() {
                        "valid" => r.is_ok(),
                        "invalid" => r.is_err(),
                        other => panic!("result {other}"),
                    };
                    tally.check(ok, || format!("tc {} ({}): {:?}", t["tcId"], t["comment"], r.err()));
                }
            }
            // One such case per file (asserted through the counts).
            let skipped = usize::from(name == "oqs");
            tally.finish(expected - skipped, skipped);
        }
    }
}
