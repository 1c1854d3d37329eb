//! HPKE known-answer tests: the RFC 9180 vectors and the draft-ietf-hpke-pq vectors (from
//! `../shared/vectors/hpke`) for every suite whose KEM, KDF and AEAD qres implements. Each case checks
//! the derived key pairs, the encapsulation, every key-schedule value, every encryption (in order, with
//! its nonce) in both directions, and every exported secret.

mod common;

use common::*;
use qres::hpke::{Mode, Psk, ReceiverParams, SenderParams, Suite};
use qres::{AeadId, Error, KdfId, KemId};
use serde_json::Value;

/// Runs one vector; `Ok(false)` means a value did not match, `Err` that the suite is not implemented.
fn run(p: &qres::Provider, v: &Value) -> Result<bool, String> {
    let id = |k: &str| v[k].as_u64().unwrap() as u16;
    let suite = Suite::from_ids(p, KemId(id("kem_id")), KdfId(id("kdf_id")), AeadId(id("aead_id")))
        .map_err(|e| e.to_string())?;
    let mut ok = true;
    let sk_r = suite.derive_key_pair(&hx(v, "ikmR")).unwrap();
    ok &= sk_r.public_key().as_bytes() == hx(v, "pkRm");
    ok &= sk_r.seed().unwrap().as_bytes() == hx(v, "skRm");
    let pk_r = suite.kem().parse_public_key(&hx(v, "pkRm")).unwrap();
    let sk_s = hx_opt(v, "ikmS").map(|ikm| suite.derive_key_pair(&ikm).unwrap());
    if let Some(sk_s) = &sk_s {
        ok &= sk_s.public_key().as_bytes() == hx(v, "pkSm");
    }
    let (psk, psk_id) = (hx_opt(v, "psk"), hx_opt(v, "psk_id"));
    let psk = psk.as_deref().map(|key| Psk { key, id: psk_id.as_deref().unwrap() });
    let info = hx(v, "info");
    let mode = v["mode"].as_u64().unwrap();
    let sender = SenderParams { info: &info, psk, sender_key: sk_s.as_ref() };
    let receiver = ReceiverParams { info: &info, psk, sender_public: sk_s.as_ref().map(|k| k.public_key()) };
    assert_eq!(Mode::of(psk.is_some(), sk_s.is_some()) as u64, mode);

    let (enc, mut sender_ctx) =
        suite.setup_sender_derand(&pk_r, &sender, &hx(v, "ikmE"), qres::hazmat::token()).unwrap();
    ok &= enc == hx(v, "enc");
    let shared = suite.decapsulate(&enc, &sk_r, &receiver).unwrap();
    ok &= shared.as_bytes() == hx(v, "shared_secret");
    let ks = suite
        .key_schedule(Mode::of(psk.is_some(), sk_s.is_some()), shared.as_bytes(), &info, psk, qres::hazmat::token())
        .unwrap();
    ok &= ks.key.as_bytes() == hx(v, "key");
    ok &= ks.base_nonce.as_bytes() == hx(v, "base_nonce");
    ok &= ks.exporter_secret.as_bytes() == hx(v, "exporter_secret");
    if let Some(ksc) = hx_opt(v, "key_schedule_context") {
        ok &= ks.key_schedule_context == ksc;
    }
    if let Some(secret) = hx_opt(v, "secret") {
        ok &= ks.secret.as_bytes() == secret;
    }
    if let Some(suite_id) = hx_opt(v, "suite_id") {
        ok &= suite.suite_id()[..] == suite_id[..];
    }
    let mut receiver_ctx = suite.setup_receiver(&enc, &sk_r, &receiver).unwrap();
    for e in v["encryptions"].as_array().unwrap() {
        let (aad, pt, ct) = (hx(e, "aad"), hx(e, "pt"), hx(e, "ct"));
        ok &= sender_ctx.next_nonce().unwrap() == hx(e, "nonce");
        ok &= sender_ctx.seal(&aad, &pt).unwrap() == ct;
        ok &= receiver_ctx.open(&aad, &ct).unwrap() == pt;
    }
    if v["encryptions"].as_array().unwrap().is_empty() {
        // Export-only suites refuse to encrypt.
        ok &= matches!(sender_ctx.seal(b"", b"x"), Err(Error::Unsupported(_)));
    }
    for e in v["exports"].as_array().unwrap() {
        let (ctx, len) = (hx(e, "exporter_context"), e["L"].as_u64().unwrap() as usize);
        ok &= sender_ctx.export(&ctx, len).unwrap().as_bytes() == hx(e, "exported_value");
        ok &= receiver_ctx.export(&ctx, len).unwrap().as_bytes() == hx(e, "exported_value");
    }
    Ok(ok)
}

fn run_file(file: &str, name: &str, passed: usize, skipped: usize) {
    let v = require!(load_json(&format!("hpke/{file}")));
    for (backend, p) in backends() {
        let mut tally = Tally::new(format!("{name} [{backend}]"));
        for case in v.as_array().unwrap() {
            let label = format!(
                "mode {} kem 0x{:04x} kdf 0x{:04x} aead 0x{:04x}",
                case["mode"],
                case["kem_id"].as_u64().unwrap(),
                case["kdf_id"].as_u64().unwrap(),
                case["aead_id"].as_u64().unwrap()
            );
            match run(&p, case) {
                Ok(ok) => tally.check(ok, || label),
                Err(_) => tally.skip("suites with a KEM or KDF qres does not implement"),
            }
        }
        tally.finish(passed, skipped);
    }
}

#[test]
fn rfc9180_vectors() {
    // DHKEM(X25519, HKDF-SHA256) x {HKDF-SHA256, HKDF-SHA512} x {AES-128-GCM, AES-256-GCM,
    // ChaCha20-Poly1305, export-only} x 4 modes = 32 cases; the P-256, P-521 and X448 suites are skipped.
    run_file("rfc9180-test-vectors.json", "RFC 9180 HPKE vectors", 32, 96);
}

#[test]
fn hpke_pq_vectors() {
    // ML-KEM-512 and ML-KEM-768 with HKDF-SHA256 / AES-128-GCM, ML-KEM-1024 with HKDF-SHA384 /
    // AES-256-GCM, X-Wing with HKDF-SHA256 / ChaCha20-Poly1305. Skipped: the one-stage SHAKE and
    // TurboSHAKE KDFs (ids 0x0010-0x0013) and the P-256, P-384, X448 and ML-KEM + NIST-curve KEMs.
    run_file("hpke-pq-test-vectors.json", "draft-ietf-hpke-pq vectors", 4, 9);
}
