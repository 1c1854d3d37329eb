//! Password-KDF known answers: RFC 9106 (Argon2d, Argon2i, Argon2id with secret and associated data),
//! the phc-winner-argon2 `test.c` cases (versions 0x10 and 0x13, up to 1 GiB of memory) and KAT file,
//! RFC 7914 §11 PBKDF2-HMAC-SHA256, and Wycheproof PBKDF2-HMAC-SHA256.

mod common;

use common::*;
use qres::password::PasswordKdf;
use qres::password::kdf::argon2_raw;
use qres::password::kdf::argon2_types::{Algorithm, Version};

fn algorithm(name: &str) -> Algorithm {
    match name {
        "argon2d" => Algorithm::Argon2d,
        "argon2i" => Algorithm::Argon2i,
        "argon2id" => Algorithm::Argon2id,
        other => panic!("{other}"),
    }
}

fn version(v: u64) -> Version {
    match v {
        16 => Version::V0x10,
        19 => Version::V0x13,
        other => panic!("{other}"),
    }
}

#[test]
fn argon2_rfc9106_and_phc() {
    let v = require!(load_json("argon2/argon2_vectors.json"));
    let mut tally = Tally::new("Argon2 RFC 9106 section 5 + phc-winner-argon2 test.c");
    let cases = v["rfc9106"].as_array().unwrap().iter().chain(v["phc_test_c"].as_array().unwrap());
    for t in cases {
        let password =
            hx_opt(t, "password_hex").unwrap_or_else(|| t["password_ascii"].as_str().unwrap().as_bytes().to_vec());
        let salt = hx_opt(t, "salt_hex").unwrap_or_else(|| t["salt_ascii"].as_str().unwrap().as_bytes().to_vec());
        let mut out = vec![0u8; t["tag_len"].as_u64().unwrap() as usize];
        argon2_raw(
            algorithm(t["type"].as_str().unwrap()),
            version(t["version"].as_u64().unwrap()),
            t["m_cost_kib"].as_u64().unwrap() as u32,
            t["t_cost"].as_u64().unwrap() as u32,
            t["parallelism"].as_u64().unwrap() as u32,
            &password,
            &salt,
            &hx_opt(t, "secret_hex").unwrap_or_default(),
            &hx_opt(t, "ad_hex").unwrap_or_default(),
            &mut out,
        )
        .unwrap();
        tally.check(out == hx(t, "tag_hex"), || format!("{} m={} t={}", t["type"], t["m_cost_kib"], t["t_cost"]));
    }
    tally.finish(3 + 26, 0);
}

/// The KAT file `kats/argon2id` (with every intermediate block) ends with the tag of RFC 9106 §5.3.
#[test]
fn argon2id_phc_kat_file() {
    let dir = require!(vectors_dir());
    let text = std::fs::read_to_string(dir.join("argon2/phc_kats_argon2id")).unwrap();
    let tag_line = text.lines().find(|l| l.starts_with("Tag:")).expect("Tag line");
    let tag = h(&tag_line["Tag:".len()..].replace(' ', ""));
    let mut out = [0u8; 32];
    argon2_raw(Algorithm::Argon2id, Version::V0x13, 32, 3, 4, &[1; 32], &[2; 16], &[3; 8], &[4; 12], &mut out).unwrap();
    let mut tally = Tally::new("Argon2id phc-winner-argon2 kats/argon2id");
    tally.check(out[..] == tag[..], || "tag".into());
    tally.finish(1, 0);
}

#[test]
fn pbkdf2_rfc7914() {
    let v = require!(load_json("pbkdf2/rfc7914_section11_pbkdf2_hmac_sha256.json"));
    let mut tally = Tally::new("PBKDF2-HMAC-SHA256 RFC 7914 section 11");
    for t in v["tests"].as_array().unwrap() {
        let mut out = vec![0u8; t["dk_len"].as_u64().unwrap() as usize];
        let kdf = PasswordKdf::Pbkdf2Sha256 { iterations: t["iterations"].as_u64().unwrap() as u32 };
        kdf.derive(
            t["password_ascii"].as_str().unwrap().as_bytes(),
            t["salt_ascii"].as_str().unwrap().as_bytes(),
            &mut out,
        )
        .unwrap();
        tally.check(out == hx(t, "dk_hex"), || format!("{}", t["iterations"]));
    }
    tally.finish(2, 0);
}

#[test]
fn pbkdf2_wycheproof() {
    let v = require!(wycheproof("pbkdf2_hmacsha256_test.json"));
    let mut tally = Tally::new("Wycheproof pbkdf2_hmacsha256_test.json");
    for (_, tests) in wycheproof_groups(&v) {
        for t in tests {
            assert_eq!(t["result"], "valid");
            let mut out = vec![0u8; t["dkLen"].as_u64().unwrap() as usize];
            let kdf = PasswordKdf::Pbkdf2Sha256 { iterations: t["iterationCount"].as_u64().unwrap() as u32 };
            kdf.derive(&hx(t, "password"), &hx(t, "salt"), &mut out).unwrap();
            tally.check(out == hx(t, "dk"), || format!("tc {}", t["tcId"]));
        }
    }
    tally.finish(60, 0);
}
