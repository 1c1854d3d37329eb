//! Interop with typage (`age-encryption` 0.3.1 on npm), the age authors' TypeScript implementation, run
//! under node: qres encrypts and typage decrypts, typage encrypts and qres decrypts, for X25519, scrypt
//! and the hybrid `mlkem768x25519` recipient, binary and armored, 0 B / 1 B / 64 KiB + 1 / 10 MiB, with
//! keys made by each side. `.ci/run` installs typage into `target/typage` (`npm ci` from
//! tools/typage-interop); without it the test skips, except with `CI=true`, where it fails.
#![cfg(feature = "age")]

use qres::age::{AgeIdentity, AgeRecipient, Decryptor, Encryptor};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

fn typage_dir() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = std::env::var_os("QRES_TYPAGE_DIR").map(PathBuf::from).unwrap_or_else(|| target.join("typage"));
    if dir.join("node_modules/age-encryption/package.json").is_file() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "CI=true but typage is not installed in {} (.ci/run installs it)", dir.display());
    eprintln!("typage not installed in {}; skipping (npm ci in tools/typage-interop, see .ci/run)", dir.display());
    None
}

fn node(dir: &Path, args: &[&str]) -> String {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/typage-interop/driver.mjs");
    let out = Command::new("node").arg(driver).args(args).env("TYPAGE_DIR", dir).output().expect("running node");
    assert!(
        out.status.success(),
        "typage driver {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One way to address a file: an identity and its recipient, or a passphrase.
struct Case {
    kind: &'static str,
    maker: &'static str,
    identity: Option<String>,
    recipient: Option<String>,
    passphrase: Option<String>,
}

fn cases(typage_keys: &Value) -> Vec<Case> {
    let mut out = Vec::new();
    for kind in ["x25519", "hybrid"] {
        let ours = match kind {
            "x25519" => AgeIdentity::generate_x25519(),
            _ => AgeIdentity::generate_hybrid(&mut qres::OsRng).unwrap(),
        };
        out.push(Case {
            kind,
            maker: "qres",
            identity: Some(ours.to_secret_string().to_string()),
            recipient: Some(ours.to_public().to_string()),
            passphrase: None,
        });
        out.push(Case {
            kind,
            maker: "typage",
            identity: Some(typage_keys[kind]["identity"].as_str().unwrap().to_owned()),
            recipient: Some(typage_keys[kind]["recipient"].as_str().unwrap().to_owned()),
            passphrase: None,
        });
    }
    out.push(Case {
        kind: "scrypt",
        maker: "-",
        identity: None,
        recipient: None,
        passphrase: Some("interop passphrase".into()),
    });
    out
}

fn qres_encrypt(case: &Case, plaintext: &[u8], armor: bool) -> Vec<u8> {
    let encryptor = match (&case.recipient, &case.passphrase) {
        (Some(r), _) => Encryptor::with_recipients(&[r.parse::<AgeRecipient>().unwrap()]).unwrap(),
        (None, Some(p)) => Encryptor::with_passphrase(p, 10).unwrap(),
        _ => unreachable!(),
    };
    let mut out = Vec::new();
    let mut w = encryptor.armored(armor).wrap_output(&mut out).unwrap();
    w.write_all(plaintext).unwrap();
    w.finish().unwrap();
    out
}

fn qres_decrypt(case: &Case, sealed: &[u8]) -> Vec<u8> {
    let d = Decryptor::new(sealed).unwrap();
    let mut r = match (&case.identity, &case.passphrase) {
        (Some(i), _) => d.decrypt(&[i.parse::<AgeIdentity>().unwrap()]).unwrap(),
        (None, Some(p)) => d.decrypt_with_passphrase(p).unwrap(),
        _ => unreachable!(),
    };
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    out
}

#[test]
fn qres_and_typage_read_each_others_files() {
    let Some(dir) = typage_dir() else { return };
    let work = tempfile::tempdir().unwrap();
    let path = |name: String| work.path().join(name);
    let typage_keys: Value = serde_json::from_str(&node(&dir, &["keygen"])).unwrap();
    let sizes = [0usize, 1, 64 * 1024 + 1, 10 << 20];
    let plaintexts: Vec<Vec<u8>> = sizes
        .iter()
        .map(|&n| (0..n).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1]).collect())
        .collect();
    for (i, p) in plaintexts.iter().enumerate() {
        std::fs::write(path(format!("plain-{i}")), p).unwrap();
    }
    let cases = cases(&typage_keys);
    let mut jobs = Vec::new();
    let mut expected = Vec::new(); // (tag, case, plaintext index, armored)
    for case in &cases {
        for armor in [false, true] {
            for (i, plaintext) in plaintexts.iter().enumerate() {
                let tag = format!("{}-{}-{}-{i}", case.kind, case.maker, if armor { "armor" } else { "bin" });
                // qres -> typage
                std::fs::write(path(format!("qres-{tag}.age")), qres_encrypt(case, plaintext, armor)).unwrap();
                let mut job = json!({"op": "decrypt", "input": path(format!("qres-{tag}.age")),
                                     "output": path(format!("typage-opened-{tag}"))});
                match (&case.identity, &case.passphrase) {
                    (Some(id), _) => job["identity"] = json!(id),
                    (_, Some(p)) => job["passphrase"] = json!(p),
                    _ => unreachable!(),
                }
                jobs.push(job);
                // typage -> qres
                let mut job = json!({"op": "encrypt", "input": path(format!("plain-{i}")),
                                     "output": path(format!("typage-{tag}.age")), "armor": armor});
                match (&case.recipient, &case.passphrase) {
                    (Some(r), _) => job["recipient"] = json!(r),
                    (_, Some(p)) => job["passphrase"] = json!(p),
                    _ => unreachable!(),
                }
                jobs.push(job);
                expected.push((tag, case, i, armor));
            }
        }
    }
    let jobs_file = path("jobs.json".into());
    std::fs::write(&jobs_file, serde_json::to_vec(&jobs).unwrap()).unwrap();
    let summary: Value = serde_json::from_str(node(&dir, &["run", jobs_file.to_str().unwrap()]).trim()).unwrap();
    assert_eq!(summary["failed"], 0);
    let mut checked = 0;
    for (tag, case, i, armor) in &expected {
        let opened = std::fs::read(path(format!("typage-opened-{tag}"))).unwrap();
        assert!(opened == plaintexts[*i], "typage opened qres's {tag} to different bytes");
        let sealed = std::fs::read(path(format!("typage-{tag}.age"))).unwrap();
        assert_eq!(sealed.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"), *armor, "{tag}");
        assert!(qres_decrypt(case, &sealed) == plaintexts[*i], "qres opened typage's {tag} to different bytes");
        checked += 2;
    }
    println!("typage interop: {checked} files (qres->typage and typage->qres), {} jobs run by typage", jobs.len());
    // 5 key pairs or passphrases x 2 armor x 4 sizes x 2 directions.
    assert_eq!(checked, 80);
}
