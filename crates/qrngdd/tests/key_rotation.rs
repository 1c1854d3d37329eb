//! Key rotation with the real processes: the gateway accepts the old and the new key while the collector
//! switches; once the old key is removed, packets under it are refused.

mod common;
use common::*;
use std::time::Duration;

fn run_collector(push_url: &str, key_hex: &str) -> Proc {
    let mut env = collector_env(push_url, key_hex);
    env.push(("QRNG_MAX_BYTES", "16384".into()));
    let mut c = collector(&env);
    let s = c.wait_exit(Duration::from_secs(30));
    assert!(s.success(), "{s:?}\n{}", c.dump());
    c
}

#[test]
fn rotation_old_and_new_key_then_old_removed() {
    // Phase 1: the gateway holds both keys; the collector runs under A, then switches to B.
    let mut env = gateway_env();
    env.retain(|(k, _)| *k != "QRNG_HMAC_SECRET_KEY");
    env.push(("QRNG_HMAC_SECRET_KEY", format!("{KEY_A}, {KEY_B}")));
    let gw = Gateway::start(&env);
    let fa = key(KEY_A).fingerprint().to_string();
    let fb = key(KEY_B).fingerprint().to_string();
    gw.proc.wait_log(&["accepting packets signed under key", &fa], Duration::from_secs(1));
    gw.proc.wait_log(&["accepting packets signed under key", &fb], Duration::from_secs(1));
    run_collector(&gw.push_url(), KEY_A);
    let after_a = gw.metric("qrngdd_bytes_in_total");
    assert!(after_a >= 16384.0);
    run_collector(&gw.push_url(), KEY_B);
    assert!(gw.metric("qrngdd_bytes_in_total") >= after_a + 16384.0);
    assert_eq!(gw.metric("qrngdd_hmac_failures_total"), 0.0);
    // A packet captured under A during the overlap can still be pushed now (fresh), not after removal.
    let captured =
        qres::qrngdd::EntropyPacket::sign(&key(KEY_A), u64::MAX - 1, counters(0, 32), qres::qrngdd::unix_nanos_now())
            .unwrap()
            .encode()
            .unwrap();
    drop(gw);

    // Phase 2: the old key is removed.
    let mut env = gateway_env();
    env.retain(|(k, _)| *k != "QRNG_HMAC_SECRET_KEY");
    env.push(("QRNG_HMAC_SECRET_KEY", KEY_B.into()));
    let gw = Gateway::start(&env);
    let mut env = collector_env(&gw.push_url(), KEY_A);
    env.push(("QRNG_MAX_RETRIES", "0".into()));
    let mut old = collector(&env);
    gw.proc.wait_log(&["qrngdd::audit", "\"reason\":\"hmac\""], Duration::from_secs(10));
    old.wait_log(&["packet refused; its bytes are dropped", "\"status\":401"], Duration::from_secs(10));
    old.terminate(Duration::from_secs(10));
    assert!(gw.metric("qrngdd_hmac_failures_total") >= 1.0);
    assert_eq!(gw.metric("qrngdd_push_accepted_total"), 0.0);
    assert_eq!(gw.push_body(&captured).0, 401);
    // The new key still works.
    run_collector(&gw.push_url(), KEY_B);
    assert!(gw.metric("qrngdd_push_accepted_total") >= 1.0);
}
