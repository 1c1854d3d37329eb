//! Connection exhaustion (issue 14, item 6): silent connections cannot lock clients out.

mod common;
use common::*;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Twenty requests of the honest client, each on a new connection: the latencies of those not answered
/// 200 within 2 s.
fn honest_requests(gw: &Gateway) -> Vec<String> {
    let mut bad = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let (s, body) = gw.random(32);
        let ms = t.elapsed().as_millis();
        if s != 200 || body.len() != 32 || ms > 2000 {
            bad.push(format!("{s} after {ms} ms"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bad
}

/// 1,100 connections that send nothing, from 22 other loopback addresses (50 each, under the per-address
/// limit), fill the gateway's 1,024 places. Each new connection closes the one idle for longest, so the
/// honest client is served at once, well before the 10 s header timeout would free a place.
#[test]
fn silent_connections_do_not_lock_clients_out() {
    let gw = Gateway::default();
    assert_eq!(gw.push_now(&key(KEY_A), 1, &counters(0, 1024)).0, 200);
    let silent: Vec<TcpStream> = (0..1100).map(|i| connect_from(2 + (i % 22) as u8, gw.addr, None).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(500));
    let bad = honest_requests(&gw);
    assert!(bad.is_empty(), "the honest client was not served promptly: {bad:?}");
    let shed = gw.metric("qrngdd_connections_closed_total{reason=\"shed_idle\"}");
    assert!(shed >= 76.0, "idle connections closed to make room: {shed}");
    drop(silent);
}

/// 40 silent connections from one address, which may hold 16: the other 24 are closed at once and
/// counted; the honest client (another address) is served.
#[test]
fn connections_per_address_are_limited() {
    let mut env = gateway_env();
    env.push(("QRNG_MAX_CONNECTIONS_PER_ADDRESS", "16".into()));
    let gw = Gateway::start(&env);
    assert_eq!(gw.push_now(&key(KEY_A), 1, &counters(0, 1024)).0, 200);
    let silent: Vec<TcpStream> = (0..40).map(|_| connect_from(50, gw.addr, None).unwrap()).collect();
    eventually("24 connections refused", Duration::from_secs(5), || {
        gw.metrics().contains("qrngdd_connections_closed_total{reason=\"address_limit\"} 24")
    });
    let bad = honest_requests(&gw);
    assert!(bad.is_empty(), "the honest client was not served promptly: {bad:?}");
    assert_eq!(gw.metric("qrngdd_connections_closed_total{reason=\"address_limit\"}"), 24.0);
    drop(silent);
}
