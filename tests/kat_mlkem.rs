//! ML-KEM known-answer tests: NIST ACVP (FIPS 203 keyGen, encapDecap, encapDecap-tr1 with key checks and
//! seed / expanded key formats) and every Wycheproof ML-KEM file, on every backend.

mod common;

use common::*;
use qres::{Error, Kem, KemId, Provider};

fn kem_for(p: &Provider, parameter_set: &str) -> &'static dyn Kem {
    let id = KemId::from_name(parameter_set).unwrap_or_else(|| panic!("unknown parameter set {parameter_set}"));
    p.kem(id).unwrap()
}

fn seed_of(t: &serde_json::Value) -> Vec<u8> {
    let mut seed = hx(t, "d");
    seed.extend(hx(t, "z"));
    seed
}

#[test]
fn acvp_keygen() {
    let groups = require!(acvp("ML-KEM-keyGen-FIPS203"));
    for (name, p) in backends() {
        let mut tally = Tally::new(format!("ACVP ML-KEM-keyGen-FIPS203 [{name}]"));
        for g in &groups {
            let kem = kem_for(&p, g.str("parameterSet"));
            for (t, e) in &g.tests {
                let sk = kem.key_pair_from_seed(&seed_of(t)).unwrap();
                let dk = kem.expanded_secret_key(&sk).unwrap();
                tally.check(sk.public_key().as_bytes() == hx(e, "ek") && dk.as_bytes() == hx(e, "dk"), || {
                    format!("tc {}", t["tcId"])
                });
            }
        }
        tally.finish(75, 0);
    }
}

/// Runs one ACVP encapDecap file; returns nothing, asserts the counts.
fn encap_decap(file: &str, expected: usize) {
    let groups = require!(acvp(file));
    for (name, p) in backends() {
        let mut tally = Tally::new(format!("ACVP {file} [{name}]"));
        for g in &groups {
            let kem = kem_for(&p, g.str("parameterSet"));
            for (t, e) in &g.tests {
                let tc = t["tcId"].clone();
                match g.str("function") {
                    "encapsulation" => {
                        let pk = kem.parse_public_key(&hx(t, "ek")).unwrap();
                        let enc = kem.encapsulate_derand(&pk, &hx(t, "m"), qres::hazmat::token()).unwrap();
                        tally.check(enc.ciphertext == hx(e, "c") && enc.shared_secret.as_bytes() == hx(e, "k"), || {
                            format!("encaps tc {tc}")
                        });
                    }
                    "decapsulation" => {
                        let sk = if g.str("keyFormat") == "seed" {
                            kem.key_pair_from_seed(&seed_of(t)).unwrap()
                        } else {
                            kem.secret_key_from_expanded(&hx(t, "dk")).unwrap()
                        };
                        let k = sk.decapsulate(&hx(t, "c")).unwrap();
                        tally.check(k.as_bytes() == hx(e, "k"), || format!("decaps tc {tc}"));
                    }
                    "decapsulationKeyCheck" => {
                        let ok = kem.secret_key_from_expanded(&hx(t, "dk")).is_ok();
                        tally.check(ok == e["testPassed"].as_bool().unwrap(), || format!("dk check tc {tc}"));
                    }
                    "encapsulationKeyCheck" => {
                        let r = kem.parse_public_key(&hx(t, "ek"));
                        if let Err(err) = &r {
                            assert!(matches!(err, Error::InvalidKey { .. }), "tc {tc}: {err}");
                        }
                        tally.check(r.is_ok() == e["testPassed"].as_bool().unwrap(), || format!("ek check tc {tc}"));
                    }
                    other => panic!("unexpected function {other}"),
                }
            }
        }
        tally.finish(expected, 0);
    }
}

#[test]
fn acvp_encap_decap() {
    // 75 encapsulations, 30 decapsulations, 30 decapsulation-key and 30 encapsulation-key checks.
    encap_decap("ML-KEM-encapDecap-FIPS203", 165);
}

#[test]
fn acvp_encap_decap_tr1() {
    // As above, with decapsulation from both seed-format and expanded-format keys.
    encap_decap("ML-KEM-encapDecap-FIPS203-tr1", 195);
}

fn parameter_set(file: &str) -> KemId {
    match file.split('_').nth(1) {
        Some("512") => KemId::ML_KEM_512,
        Some("768") => KemId::ML_KEM_768,
        Some("1024") => KemId::ML_KEM_1024,
        _ => panic!("{file}"),
    }
}

#[test]
fn wycheproof_mlkem_test() {
    for (file, expected) in [("mlkem_512_test.json", 193), ("mlkem_768_test.json", 193), ("mlkem_1024_test.json", 193)]
    {
        let v = require!(wycheproof(file));
        for (name, p) in backends() {
            let kem = p.kem(parameter_set(file)).unwrap();
            let mut tally = Tally::new(format!("Wycheproof {file} [{name}]"));
            for (_, tests) in wycheproof_groups(&v) {
                for t in tests {
                    let run = || -> qres::Result<Vec<u8>> {
                        let sk = kem.key_pair_from_seed(&hx(t, "seed"))?;
                        if let Some(ek) = hx_opt(t, "ek") {
                            assert_eq!(sk.public_key().as_bytes(), ek, "tc {}", t["tcId"]);
                        }
                        Ok(sk.decapsulate(&hx(t, "c"))?.as_bytes().to_vec())
                    };
                    let r = run();
                    let ok = match t["result"].as_str().unwrap() {
                        "valid" => r.as_deref().ok() == Some(&hx(t, "K")[..]),
                        "invalid" => matches!(r, Err(Error::InvalidLength { .. })),
                        other => panic!("result {other}"),
                    };
                    tally.check(ok, || format!("tc {} ({}): {:?}", t["tcId"], t["comment"], r.err()));
                }
            }
            tally.finish(expected, 0);
        }
    }
}

#[test]
fn wycheproof_mlkem_encaps() {
    for (file, expected) in
        [("mlkem_512_encaps_test.json", 261), ("mlkem_768_encaps_test.json", 265), ("mlkem_1024_encaps_test.json", 269)]
    {
        let v = require!(wycheproof(file));
        for (name, p) in backends() {
            let kem = p.kem(parameter_set(file)).unwrap();
            let mut tally = Tally::new(format!("Wycheproof {file} [{name}]"));
            for (_, tests) in wycheproof_groups(&v) {
                for t in tests {
                    let r = kem
                        .parse_public_key(&hx(t, "ek"))
                        .and_then(|pk| kem.encapsulate_derand(&pk, &hx(t, "m"), qres::hazmat::token()));
                    let ok = match t["result"].as_str().unwrap() {
                        "valid" => r.as_ref().is_ok_and(|enc| {
                            enc.ciphertext == hx(t, "c") && enc.shared_secret.as_bytes() == hx(t, "K")
                        }),
                        "invalid" => matches!(r, Err(Error::InvalidKey { .. } | Error::InvalidLength { .. })),
                        other => panic!("result {other}"),
                    };
                    tally.check(ok, || format!("tc {} ({})", t["tcId"], t["comment"]));
                }
            }
            tally.finish(expected, 0);
        }
    }
}

#[test]
fn wycheproof_mlkem_keygen_seed() {
    for file in
        ["mlkem_512_keygen_seed_test.json", "mlkem_768_keygen_seed_test.json", "mlkem_1024_keygen_seed_test.json"]
    {
        let v = require!(wycheproof(file));
        for (name, p) in backends() {
            let kem = p.kem(parameter_set(file)).unwrap();
            let mut tally = Tally::new(format!("Wycheproof {file} [{name}]"));
            for (_, tests) in wycheproof_groups(&v) {
                for t in tests {
                    assert_eq!(t["result"], "valid");
                    let sk = kem.key_pair_from_seed(&hx(t, "seed")).unwrap();
                    let dk = kem.expanded_secret_key(&sk).unwrap();
                    tally.check(sk.public_key().as_bytes() == hx(t, "ek") && dk.as_bytes() == hx(t, "dk"), || {
                        format!("tc {}", t["tcId"])
                    });
                }
            }
            tally.finish(100, 0);
        }
    }
}

#[test]
fn wycheproof_mlkem_semi_expanded_decaps() {
    for file in [
        "mlkem_512_semi_expanded_decaps_test.json",
        "mlkem_768_semi_expanded_decaps_test.json",
        "mlkem_1024_semi_expanded_decaps_test.json",
    ] {
        let v = require!(wycheproof(file));
        for (name, p) in backends() {
            let kem = p.kem(parameter_set(file)).unwrap();
            let mut tally = Tally::new(format!("Wycheproof {file} [{name}]"));
            for (_, tests) in wycheproof_groups(&v) {
                for t in tests {
                    let r = kem
                        .secret_key_from_expanded(&hx(t, "dk"))
                        .and_then(|sk| sk.decapsulate(&hx(t, "c")).map(|k| k.as_bytes().to_vec()));
                    let ok = match t["result"].as_str().unwrap() {
                        "valid" => r.as_deref().ok() == Some(&hx(t, "K")[..]),
                        "invalid" => matches!(r, Err(Error::InvalidKey { .. } | Error::InvalidLength { .. })),
                        other => panic!("result {other}"),
                    };
                    tally.check(ok, || format!("tc {} ({}): {:?}", t["tcId"], t["comment"], r.err()));
                }
            }
            tally.finish(9, 0);
        }
    }
}
