//! A gateway restarted between two attempts of one packet (issue 14, item 3): the collector must never
//! re-sign bytes that the previous gateway instance may have stored and served.

mod common;
use common::*;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The first push reaches gateway 1 and is stored, but its answer is lost. Gateway 1 serves those bytes,
/// is killed, and gateway 2 starts; the collector's retry of the same packet is refused there as
/// `predates_start`. The collector must drop those bytes (and count them), not re-sign them for gateway 2.
#[test]
fn collector_never_resigns_bytes_a_restarted_gateway_may_have_served() {
    let gw1 = Gateway::default();
    let relay = Relay::start(gw1.addr);
    relay.lose_next_answer.store(true, Ordering::SeqCst);
    let mut env = collector_env(&format!("http://{}/push", relay.addr), KEY_A);
    env.retain(|(k, _)| *k != "QRNG_INITIAL_BACKOFF_MS");
    env.push(("QRNG_INITIAL_BACKOFF_MS", "5000".into()));
    let col = collector(&env);

    eventually("gateway 1 to store the first packet", Duration::from_secs(20), || {
        gw1.metric("qrngdd_push_accepted_total") >= 1.0
    });
    col.wait_log(&["push failed"], Duration::from_secs(5));
    assert_eq!(gw1.metric("qrngdd_push_accepted_total"), 1.0);
    let served_by_1 = drain(&gw1);
    assert!(served_by_1.len() >= 4096, "{}", served_by_1.len());

    // Restart: gateway 2 behind the same relay, before the collector's retry (5 s or more after the loss).
    drop(gw1);
    let gw2 = Gateway::default();
    *relay.upstream.lock().unwrap() = gw2.addr;
    eventually("gateway 2 to refuse the retry", Duration::from_secs(30), || gw2.rejected("predates_start") >= 1.0);
    eventually("gateway 2 to accept newer packets", Duration::from_secs(30), || {
        gw2.metric("qrngdd_push_accepted_total") >= 3.0
    });
    let mut col = col;
    assert!(col.terminate(Duration::from_secs(20)).is_some_and(|s| s.success()), "{}", col.dump());
    let served_by_2 = drain(&gw2);

    // No byte served by gateway 1 is served again by gateway 2 (random data: a repeated 32-byte window
    // means the bytes were sent twice).
    let repeated = served_by_1.chunks_exact(32).filter(|w| served_by_2.windows(32).any(|v| v == *w)).count();
    assert_eq!(repeated, 0, "bytes served by gateway 1 were served again by gateway 2 ({} bytes)", repeated * 32);
    assert!(
        col.has_log(&["may have been stored; its bytes are dropped, never re-signed"]),
        "the collector did not report the dropped packet:\n{}",
        col.dump()
    );
}
