//! CTR_DRBG known-answer tests: every `[AES-256 use df]` and `[AES-256 no df]` case of the NIST CAVP
//! files (no_reseed, pr_false, pr_true: 1,440 cases) and the AES-256 groups of ACVP ctrDRBG-1.0 and
//! ctrDRBG-SP800-90Ar1. In each case the DRBG is instantiated, optionally reseeded, asked twice for output,
//! and the second output is compared.

mod common;

use common::*;
use qres::rng::CtrDrbgCore;

/// One CAVP record: the section's mode and its fields in file order.
struct Record {
    use_df: bool,
    returned_bytes: usize,
    fields: Vec<(String, Vec<u8>)>,
}

fn parse_cavp(text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let mut section: Option<bool> = None; // Some(use_df) inside an AES-256 section
    let mut returned_bytes = 0;
    let mut current: Option<Record> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            if let Some(r) = current.take() {
                records.push(r);
            }
            match line {
                "[AES-256 use df]" => section = Some(true),
                "[AES-256 no df]" => section = Some(false),
                l if l.starts_with("[ReturnedBitsLen = ") => {
                    returned_bytes =
                        l.trim_start_matches("[ReturnedBitsLen = ").trim_end_matches(']').parse::<usize>().unwrap() / 8
                }
                l if !l.contains(" = ") => section = None,
                _ => {}
            }
            continue;
        }
        let Some(use_df) = section else { continue };
        let Some((key, value)) = line.split_once(" = ").or_else(|| line.strip_suffix(" =").map(|k| (k, ""))) else {
            continue;
        };
        if key == "COUNT" {
            if let Some(r) = current.take() {
                records.push(r);
            }
            current = Some(Record { use_df, returned_bytes, fields: Vec::new() });
        } else if let Some(r) = current.as_mut() {
            r.fields.push((key.to_owned(), h(value)));
        }
    }
    records.extend(current);
    records
}

fn run_cavp(record: &Record) -> bool {
    let get = |k: &str| record.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut drbg =
        CtrDrbgCore::instantiate(&get("EntropyInput"), &get("Nonce"), &get("PersonalizationString"), record.use_df)
            .unwrap();
    let mut output = vec![0u8; record.returned_bytes];
    let mut i = 0;
    let fields = &record.fields;
    while i < fields.len() {
        match fields[i].0.as_str() {
            "EntropyInputReseed" => {
                let additional = &fields[i + 1];
                assert_eq!(additional.0, "AdditionalInputReseed");
                drbg.reseed(&fields[i].1, &additional.1).unwrap();
                i += 2;
            }
            "AdditionalInput" => {
                if fields.get(i + 1).is_some_and(|(k, _)| k == "EntropyInputPR") {
                    // Prediction resistance: reseed with the additional input, then generate without it.
                    drbg.reseed(&fields[i + 1].1, &fields[i].1).unwrap();
                    drbg.generate(&mut output, &[]).unwrap();
                    i += 2;
                } else {
                    drbg.generate(&mut output, &fields[i].1).unwrap();
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    output == get("ReturnedBits")
}

#[test]
fn cavp_ctr_drbg_aes256() {
    let dir = require!(vectors_dir());
    let mut tally = Tally::new("CAVP CTR_DRBG AES-256 (no_reseed, pr_false, pr_true; use df and no df)");
    for file in ["no_reseed", "pr_false", "pr_true"] {
        let text = std::fs::read_to_string(dir.join(format!("cavp-ctr-drbg/{file}/CTR_DRBG.rsp"))).unwrap();
        let records = parse_cavp(&text);
        assert_eq!(records.len(), 480, "{file}: AES-256 records");
        assert_eq!(records.iter().filter(|r| r.use_df).count(), 240, "{file}: use df records");
        for (n, r) in records.iter().enumerate() {
            tally.check(run_cavp(r), || format!("{file} record {n} (df = {})", r.use_df));
        }
    }
    tally.finish(1440, 0);
}

fn run_acvp(file: &str, expected: usize) {
    let groups = require!(acvp(file));
    let mut tally = Tally::new(format!("ACVP {file} (AES-256 groups)"));
    for g in groups.iter().filter(|g| g.str("mode") == "AES-256") {
        let use_df = g.meta["derFunc"].as_bool().unwrap();
        let pr = g.meta["predResistance"].as_bool().unwrap();
        let len = g.meta["returnedBitsLen"].as_u64().unwrap() as usize / 8;
        for (t, e) in &g.tests {
            let mut drbg =
                CtrDrbgCore::instantiate(&hx(t, "entropyInput"), &hx(t, "nonce"), &hx(t, "persoString"), use_df)
                    .unwrap();
            let mut out = vec![0u8; len];
            for step in t["otherInput"].as_array().unwrap() {
                let (entropy, additional) = (hx(step, "entropyInput"), hx(step, "additionalInput"));
                match step["intendedUse"].as_str().unwrap() {
                    "reSeed" => drbg.reseed(&entropy, &additional).unwrap(),
                    "generate" if pr => {
                        drbg.reseed(&entropy, &additional).unwrap();
                        drbg.generate(&mut out, &[]).unwrap();
                    }
                    "generate" => drbg.generate(&mut out, &additional).unwrap(),
                    other => panic!("{other}"),
                }
            }
            tally.check(out == hx(e, "returnedBits"), || format!("tg {} tc {}", g.meta["tgId"], t["tcId"]));
        }
    }
    tally.finish(expected, 0);
}

#[test]
fn acvp_ctr_drbg_1_0() {
    run_acvp("ctrDRBG-1.0", 60);
}

#[test]
fn acvp_ctr_drbg_sp800_90ar1() {
    run_acvp("ctrDRBG-SP800-90Ar1", 90);
}
