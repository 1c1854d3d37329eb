//! The official vectors are pinned: `tests/vectors/official-manifest.sha256` gives the SHA-256 of every
//! file below the vector directory (`QRES_VECTORS`, or `../shared/vectors`) that the known-answer tests
//! read, in `sha256sum` format (`sha256sum -c` in that directory checks it too). A changed, truncated or
//! missing file fails here, naming the file, instead of as an odd case count in some known-answer test.
//! The directories a test reads whole (`age-testkit/`) must hold no file the manifest does not list.

mod common;

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

const MANIFEST: &str = include_str!("vectors/official-manifest.sha256");

/// Directories whose every file a test reads (by listing the directory), with the names it passes over.
const READ_WHOLE: &[(&str, &[&str])] = &[("age-testkit", &["LICENSE"])];

/// `(hex digest, relative path)` per line; `#` starts a comment line.
fn entries() -> Vec<(&'static str, &'static str)> {
    MANIFEST
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (digest, path) =
                l.split_once("  ").unwrap_or_else(|| panic!("manifest line {l:?}: not `DIGEST  PATH`"));
            assert!(
                digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "manifest line {l:?}: not a lowercase SHA-256"
            );
            (digest, path)
        })
        .collect()
}

#[test]
fn manifest_is_well_formed() {
    let entries = entries();
    assert!(entries.len() > 100, "the manifest lists {} files", entries.len());
    let paths: BTreeSet<_> = entries.iter().map(|(_, p)| *p).collect();
    assert_eq!(paths.len(), entries.len(), "a path is listed twice");
    for (_, path) in &entries {
        assert!(!path.starts_with('/') && !path.contains('\\'), "{path}: not a relative path");
    }
}

#[test]
fn official_vectors_match_the_manifest() {
    let entries = entries();
    let Some(dir) = common::vectors_dir() else {
        common::skipped_loudly(&format!(
            "{} official vector files of tests/vectors/official-manifest.sha256 not checked",
            entries.len()
        ));
        return;
    };
    let mut failures = Vec::new();
    let mut matched = 0;
    for (digest, path) in &entries {
        match std::fs::read(dir.join(path)) {
            Ok(bytes) => {
                let actual = hex::encode(Sha256::digest(&bytes));
                if actual == *digest {
                    matched += 1;
                } else {
                    failures.push(format!("{path}: SHA-256 {actual}, manifest {digest}"));
                }
            }
            Err(e) => failures.push(format!("{path}: {e}")),
        }
    }
    let listed: BTreeSet<&str> = entries.iter().map(|(_, p)| *p).collect();
    for (sub, passed_over) in READ_WHOLE {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap_or_else(|e| panic!("{sub}: {e}")) {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let path = format!("{sub}/{name}");
            if !passed_over.contains(&name.as_str()) && !listed.contains(path.as_str()) {
                failures.push(format!("{path}: read by the tests but not in the manifest"));
            }
        }
    }
    println!("KAT official vector files (SHA-256 manifest): {} matched, {} failed, 0 skipped", matched, failures.len());
    assert!(
        failures.is_empty(),
        "{} vector files differ from tests/vectors/official-manifest.sha256:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
