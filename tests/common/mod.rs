//! Shared helpers for the known-answer tests: locating `../shared/vectors` (or `$QRES_VECTORS`), reading
//! ACVP and Wycheproof JSON, and counting cases so that an empty or misread file fails the test.
//!
//! The qres-oqs crate's tests include this module (and qres' suites) by path; what differs between the two
//! packages, the providers checked and where the vectors lie, is in each package's `tests/common/package.rs`.
#![allow(dead_code)]

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The vector directory, or `None` (with a `SKIPPED` line on stderr) when it is absent outside CI. With `CI=true`
/// a missing directory panics: CI must never pass by skipping.
pub fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("QRES_VECTORS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_VECTORS),
    };
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    let ci = std::env::var("CI").map(|v| v == "true" || v == "1").unwrap_or(false);
    if ci {
        panic!("CI=true but the test vectors are missing at {} (set QRES_VECTORS)", dir.display());
    }
    skipped_loudly(&format!("official vectors not found at {}", dir.display()));
    None
}

/// Says on the real standard error, past the test harness's capture (which swallows `eprintln!` of a
/// passing test), that the calling test returned without checking anything, so a run without the
/// vectors never reads as a full pass: one line per skipped test, naming its file and test.
pub fn skipped_loudly(why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("?").to_string();
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED (vectors missing): tests/{}.rs {test}: {why}; set QRES_VECTORS (CI=true fails instead)",
        env!("CARGO_CRATE_NAME"),
    );
}

/// Parses a JSON file below the vector directory.
pub fn load_json(relative: &str) -> Option<Value> {
    let dir = vectors_dir()?;
    let path = dir.join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display())))
}

/// Returns early from a test when the vectors are absent (outside CI).
#[macro_export]
macro_rules! require {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return,
        }
    };
}
/// `require!` for `use common::*` in suites that are a module, not the crate root (the qres-oqs crate's
/// tests include qres' suites as modules).
#[allow(unused_imports)]
pub(crate) use crate::require;

// The package's `backends()` and `DEFAULT_VECTORS`: qres' own (tests/common/package.rs), or those of the
// package whose tests include this module (crates/qres-oqs/tests/common/package.rs adds the liboqs providers).
include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/package.rs"));

/// The backends of [`backends`] that serve distinct implementations of what `get` picks (the first
/// backend of each implementation object): for expensive tests of families that the liboqs provider
/// delegates to the default backend.
pub fn distinct_backends<T: ?Sized + 'static>(
    get: impl Fn(&qres::Provider) -> &'static T,
) -> Vec<(&'static str, qres::Provider)> {
    let mut seen: Vec<*const ()> = Vec::new();
    backends()
        .into_iter()
        .filter(|(_, p)| {
            let at = get(p) as *const T as *const ();
            let new = !seen.contains(&at);
            seen.push(at);
            new
        })
        .collect()
}

/// Hex to bytes (either case).
pub fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

/// A string field decoded as hex (panics if absent).
pub fn hx(v: &Value, field: &str) -> Vec<u8> {
    h(v[field].as_str().unwrap_or_else(|| panic!("missing field {field} in {v}")))
}

/// An optional string field decoded as hex.
pub fn hx_opt(v: &Value, field: &str) -> Option<Vec<u8>> {
    v.get(field).and_then(Value::as_str).map(h)
}

/// One ACVP test group: the prompt's group fields and its tests joined with their expected results.
pub struct AcvpGroup {
    pub meta: Value,
    pub tests: Vec<(Value, Value)>,
}

impl AcvpGroup {
    pub fn str(&self, field: &str) -> &str {
        self.meta[field].as_str().unwrap_or("")
    }
}

/// Loads `acvp/<name>/prompt.json` and `expectedResults.json`, joined by `tgId` / `tcId`.
pub fn acvp(name: &str) -> Option<Vec<AcvpGroup>> {
    let prompt = load_json(&format!("acvp/{name}/prompt.json"))?;
    let expected = load_json(&format!("acvp/{name}/expectedResults.json"))?;
    let mut exp_by_group: BTreeMap<u64, BTreeMap<u64, Value>> = BTreeMap::new();
    for g in expected["testGroups"].as_array().expect("expected testGroups") {
        let tg = g["tgId"].as_u64().unwrap();
        for t in g["tests"].as_array().unwrap() {
            exp_by_group.entry(tg).or_default().insert(t["tcId"].as_u64().unwrap(), t.clone());
        }
    }
    let mut out = Vec::new();
    for g in prompt["testGroups"].as_array().expect("prompt testGroups") {
        let tg = g["tgId"].as_u64().unwrap();
        let mut meta = g.clone();
        meta.as_object_mut().unwrap().remove("tests");
        let tests = g["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let tc = t["tcId"].as_u64().unwrap();
                let e = exp_by_group
                    .get(&tg)
                    .and_then(|m| m.get(&tc))
                    .unwrap_or_else(|| panic!("{name}: no expected result for tg {tg} tc {tc}"))
                    .clone();
                (t.clone(), e)
            })
            .collect();
        out.push(AcvpGroup { meta, tests });
    }
    Some(out)
}

/// Loads a Wycheproof file from `wycheproof/testvectors_v1/`.
pub fn wycheproof(file: &str) -> Option<Value> {
    load_json(&format!("wycheproof/testvectors_v1/{file}"))
}

/// Wycheproof test groups and their tests.
pub fn wycheproof_groups(v: &Value) -> Vec<(&Value, &Vec<Value>)> {
    v["testGroups"].as_array().unwrap().iter().map(|g| (g, g["tests"].as_array().unwrap())).collect()
}

/// Counts passed and skipped cases and prints a one-line report.
pub struct Tally {
    name: String,
    pub passed: usize,
    skipped: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Tally {
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), passed: 0, skipped: BTreeMap::new(), failures: Vec::new() }
    }

    pub fn pass(&mut self) {
        self.passed += 1;
    }

    pub fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    /// Records a failure (reported together at the end, so one run shows every failing case).
    pub fn fail(&mut self, what: String) {
        self.failures.push(what);
    }

    /// Records `ok` as a pass, or a failure described by `what`.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if ok { self.pass() } else { self.fail(what()) }
    }

    pub fn skipped(&self) -> usize {
        self.skipped.values().sum()
    }

    /// Prints the counts and asserts: no failures, exactly `expected_passed` passes and
    /// `expected_skipped` skips.
    pub fn finish(self, expected_passed: usize, expected_skipped: usize) {
        let skipped: Vec<String> = self.skipped.iter().map(|(r, n)| format!("{n} {r}")).collect();
        println!(
            "KAT {}: {} passed, {} failed, {} skipped{}",
            self.name,
            self.passed,
            self.failures.len(),
            self.skipped(),
            if skipped.is_empty() { String::new() } else { format!(" ({})", skipped.join("; ")) }
        );
        if !self.failures.is_empty() {
            let shown: Vec<_> = self.failures.iter().take(20).collect();
            panic!("{}: {} failures, first: {:#?}", self.name, self.failures.len(), shown);
        }
        assert_eq!(self.passed, expected_passed, "{}: number of cases passed", self.name);
        assert_eq!(self.skipped(), expected_skipped, "{}: number of cases skipped", self.name);
    }
}

/// Cases per parameter set of the differential tests (`QRES_DIFF_CASES`, default 300).
pub fn cases() -> usize {
    std::env::var("QRES_DIFF_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

/// A ChaCha20 RNG for the differential test `label`, seeded from `QRES_DIFF_SEED` (printed) so that a
/// failure is reproducible.
pub fn rng(label: &str) -> ChaCha20Rng {
    let seed: u64 = std::env::var("QRES_DIFF_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x71e5);
    println!("differential {label}: QRES_DIFF_SEED={seed}");
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..8 + label.len().min(24)].copy_from_slice(&label.as_bytes()[..label.len().min(24)]);
    ChaCha20Rng::from_seed(key)
}

/// `N` bytes from `r`.
pub fn bytes<const N: usize>(r: &mut ChaCha20Rng) -> [u8; N] {
    let mut out = [0u8; N];
    r.fill_bytes(&mut out);
    out
}
