//! Byte-fair rate limits (issue 14, item 2): a key making large requests at a high rate cannot drain the
//! buffer for the other keys.

mod common;
use common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Four threads under one key ask for 64 KiB as fast as they can for 5 s; the key's byte budget is
/// 256 KiB/s. Another key asks for 1 KiB every 50 ms. The greedy key gets at most its budget (5 s plus
/// one second of burst), the other is served every time, and the refusals are counted per key.
#[test]
fn a_greedy_key_cannot_starve_another() {
    const BUDGET: u64 = 256 * 1024;
    let mut env = gateway_env();
    env.retain(|(k, _)| *k != "QRNG_BUFFER_SIZE" && *k != "QRNG_RATE_LIMIT_BYTES_PER_SECOND");
    env.push(("QRNG_BUFFER_SIZE", (8 << 20).to_string()));
    env.push(("QRNG_RATE_LIMIT_BYTES_PER_SECOND", BUDGET.to_string()));
    let gw = Gateway::start(&env);
    for seq in 1..=6u64 {
        assert_eq!(gw.push_now(&key(KEY_A), seq, &vec![seq as u8; 1 << 20]).0, 200);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let greedy_bytes = Arc::new(AtomicU64::new(0));
    let limited = Arc::new(AtomicU64::new(0));
    let greedy: Vec<_> = (0..4)
        .map(|_| {
            let (stop, got, limited) = (stop.clone(), greedy_bytes.clone(), limited.clone());
            let url = format!("{}/api/random?bytes=65536&encoding=binary", gw.base);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match get(&url, Some(OTHER_API_KEY)) {
                        (200, body) => _ = got.fetch_add(body.len() as u64, Ordering::Relaxed),
                        (429, _) => _ = limited.fetch_add(1, Ordering::Relaxed),
                        // The buffer ran dry (it does without a byte budget).
                        (503, _) => std::thread::sleep(Duration::from_millis(10)),
                        (s, _) => panic!("greedy key: unexpected {s}"),
                    }
                }
            })
        })
        .collect();
    let start = Instant::now();
    let url = format!("{}/api/random?bytes=1024&encoding=binary", gw.base);
    let mut honest = Vec::new();
    while start.elapsed() < Duration::from_secs(5) {
        honest.push(get(&url, Some(API_KEY)).0);
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    greedy.into_iter().for_each(|t| t.join().unwrap());

    let took = greedy_bytes.load(Ordering::Relaxed);
    let share = (BUDGET as f64 * (elapsed + 1.0)) as u64 + 65536;
    assert!(took <= share, "the greedy key took {took} bytes in {elapsed:.1} s; its share is at most {share}");
    let refused: Vec<_> = honest.iter().filter(|&&s| s != 200).collect();
    assert!(refused.is_empty(), "the other key was refused {} of {} times: {refused:?}", refused.len(), honest.len());
    assert!(limited.load(Ordering::Relaxed) > 0);
    assert_eq!(
        gw.metric("qrngdd_requests_rejected_total{reason=\"byte_rate_limited\"}"),
        limited.load(Ordering::Relaxed) as f64
    );
    assert_eq!(
        gw.metric("qrngdd_key_rate_limited_total{key=\"key#1\",limit=\"bytes\"}"),
        limited.load(Ordering::Relaxed) as f64
    );
    assert_eq!(gw.metric("qrngdd_key_rate_limited_total{key=\"key#0\",limit=\"bytes\"}"), 0.0);
    assert_eq!(gw.metric("qrngdd_key_bytes_served_total{key=\"key#1\"}"), took as f64);
    assert_eq!(gw.metric("qrngdd_key_bytes_served_total{key=\"key#0\"}"), 1024.0 * honest.len() as f64);
}
