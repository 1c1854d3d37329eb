//! End to end on loopback with the real binaries: collector → gateway → client.

mod common;
use common::*;
use qres::entropy::{EntropySource, QrngDdConfig, QrngDdSource};
use qres::rng::HealthStatus;
use std::time::Duration;

fn client(gw: &Gateway) -> QrngDdSource {
    QrngDdSource::new(QrngDdConfig::new(&gw.base, API_KEY).allow_plain_http().with_retries(
        20,
        Duration::from_millis(20),
        Duration::from_millis(200),
    ))
    .unwrap()
}

#[test]
fn collector_to_gateway_to_client() {
    let gw = Gateway::default();
    let mut col = collector(&collector_env(&gw.push_url(), KEY_A));
    col.wait_log(&["qrngdd-collector started"], Duration::from_secs(10));

    // The collector opens no listening socket: none of its sockets is in LISTEN state.
    eventually("the collector to hold a socket", Duration::from_secs(10), || !socket_inodes(col.pid()).is_empty());
    let mine = socket_inodes(col.pid());
    let listening = listening_inodes();
    assert!(mine.iter().all(|i| !listening.contains(i)), "collector listens: {mine:?}");
    // (The gateway's listening socket is found the same way, so the check can see one.)
    assert!(socket_inodes(gw.proc.pid()).iter().any(|i| listening.contains(i)));

    eventually("entropy at the gateway", Duration::from_secs(20), || gw.metric("qrngdd_bytes_in_total") >= 65536.0);
    let mut src = client(&gw);
    let mut buf = vec![0u8; 100_000];
    src.fill(&mut buf).unwrap();
    assert_eq!(src.health(), HealthStatus::Healthy);
    assert!(buf.iter().filter(|&&b| b == 0).count() < 1000, "not random-looking");
    assert!(gw.metric("qrngdd_bytes_out_total") >= 100_000.0);
    assert!(gw.metric("qrngdd_push_accepted_total") >= 4.0);
    for r in qres::qrngdd::PacketError::REASONS {
        assert_eq!(gw.rejected(r), 0.0, "honest traffic refused for {r}");
    }

    // The other endpoints.
    let (s, body) = get(&format!("{}/api/random?bytes=16", gw.base), Some(API_KEY));
    assert_eq!(s, 200);
    assert_eq!(body.len(), 32);
    assert!(body.iter().all(u8::is_ascii_hexdigit));
    let (s, body) = get(&format!("{}/api/random?bytes=16&encoding=base64", gw.base), Some(API_KEY));
    assert_eq!((s, body.len()), (200, 24));
    let (s, body) = get(&format!("{}/api/integers?count=50&min=-3&max=3", gw.base), Some(API_KEY));
    assert_eq!(s, 200);
    let ints: Vec<i64> = serde_json::from_slice(&body).unwrap();
    assert_eq!(ints.len(), 50);
    assert!(ints.iter().all(|i| (-3..=3).contains(i)));
    let (s, body) = get(&format!("{}/api/integers?count=5&min={}&max={}", gw.base, i64::MIN, i64::MAX), Some(API_KEY));
    assert_eq!((s, serde_json::from_slice::<Vec<i64>>(&body).unwrap().len()), (200, 5));
    let (s, body) = get(&format!("{}/api/floats?count=20", gw.base), Some(API_KEY));
    let floats: Vec<f64> = serde_json::from_slice(&body).unwrap();
    assert_eq!(s, 200);
    assert!(floats.iter().all(|f| (0.0..1.0).contains(f)));
    let (s, body) = get(&format!("{}/api/uuid", gw.base), Some(API_KEY));
    let id = String::from_utf8(body).unwrap();
    assert_eq!((s, id.len(), &id[14..15]), (200, 36, "4"));
    let (s, body) = get(&format!("{}/api/uuid?count=3", gw.base), Some(API_KEY));
    assert_eq!((s, serde_json::from_slice::<Vec<String>>(&body).unwrap().len()), (200, 3));
    let (s, body) = get(&format!("{}/api/status", gw.base), Some(API_KEY));
    assert_eq!(s, 200);
    let status: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(status["buffer_bytes_available"].as_u64().is_some());
    assert!(status["total_bytes_served"].as_u64().unwrap() >= 100_000);
    assert!(["healthy", "degraded", "unhealthy"].contains(&status["status"].as_str().unwrap()));

    // Graceful shutdown of both: SIGTERM, exit status 0.
    let s = col.terminate(Duration::from_secs(10)).expect("collector did not stop");
    assert!(s.success(), "collector exit {s:?}\n{}", col.dump());
    col.wait_log(&["qrngdd-collector stopped"], Duration::from_secs(1));
    let mut gw = gw;
    let s = gw.proc.terminate(Duration::from_secs(15)).expect("gateway did not stop");
    assert!(s.success(), "gateway exit {s:?}");
    gw.proc.wait_log(&["qrngdd-gateway stopped"], Duration::from_secs(1));
}

/// Bytes pushed come out exactly once and in order, whatever the request sizes.
#[test]
fn every_byte_served_at_most_once() {
    let gw = Gateway::default();
    let mut pushed = Vec::new();
    for seq in 1..=20u64 {
        let data = counters(seq * 1000, 100 + seq as usize * 37);
        assert_eq!(gw.push_now(&key(KEY_A), seq, &data).0, 200);
        pushed.extend(data);
    }
    let mut got = Vec::new();
    let mut n = 1;
    loop {
        let want = n.min(65_536);
        let (s, body) = gw.random(want);
        if s == 503 {
            break;
        }
        assert_eq!(s, 200);
        got.extend(body);
        n = n * 3 + 1;
    }
    // What remains is smaller than the request that failed; fetch it byte-exact.
    let rest = pushed.len() - got.len();
    if rest > 0 {
        let (s, body) = gw.random(rest);
        assert_eq!(s, 200);
        got.extend(body);
    }
    assert_eq!(got, pushed);
    assert_eq!(gw.random(1).0, 503);
    assert_eq!(get(&format!("{}/health", gw.base), None).0, 503);
}

/// A collector restarted (twice) keeps being accepted: its sequence numbers start above the previous
/// run's (per-start epoch).
#[test]
fn restarted_collector_is_not_locked_out() {
    let gw = Gateway::default();
    for run in 1..=3 {
        let mut env = collector_env(&gw.push_url(), KEY_A);
        env.push(("QRNG_MAX_BYTES", "20000".into()));
        let mut c = collector(&env);
        let status = c.wait_exit(Duration::from_secs(30));
        assert!(status.success(), "run {run}: {status:?}\n{}", c.dump());
        assert_eq!(gw.rejected("sequence"), 0.0, "run {run} refused:\n{}", c.dump());
    }
    assert!(gw.metric("qrngdd_bytes_in_total") >= 60_000.0);
}

#[test]
fn client_retries_while_the_buffer_is_empty_then_fails_cleanly() {
    let gw = Gateway::default();
    // Nothing buffered: 503 answers are retried, then the source reports an error (and no bytes).
    let mut src = QrngDdSource::new(QrngDdConfig::new(&gw.base, API_KEY).allow_plain_http().with_retries(
        2,
        Duration::from_millis(10),
        Duration::from_millis(20),
    ))
    .unwrap();
    let mut buf = [0xaau8; 64];
    let e = src.fill(&mut buf).unwrap_err();
    assert!(e.to_string().contains("503"), "{e}");
    assert_eq!(buf, [0; 64]);
    assert_eq!(gw.metric("qrngdd_requests_rejected_total{reason=\"insufficient_entropy\"}"), 3.0);
    // Data arriving during the retries is picked up.
    let pusher = {
        let url = gw.push_url();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            let body =
                qres::qrngdd::EntropyPacket::sign(&key(KEY_A), 1, random_bytes(8192), qres::qrngdd::unix_nanos_now())
                    .unwrap()
                    .encode()
                    .unwrap();
            post(&url, "application/msgpack", &body).0
        })
    };
    let mut src = client(&gw);
    src.fill(&mut buf).unwrap();
    assert_eq!(pusher.join().unwrap(), 200);
    // A wrong key is not retried.
    let mut bad = QrngDdSource::new(QrngDdConfig::new(&gw.base, "nope-nope-nope-nope").allow_plain_http()).unwrap();
    assert!(bad.fill(&mut buf).unwrap_err().to_string().contains("401"));
    // Plain http must be allowed explicitly.
    assert!(QrngDdSource::new(QrngDdConfig::new(&gw.base, API_KEY)).is_err());
}

/// The client's health tests stop a gateway serving stuck data.
#[test]
fn client_health_tests_catch_a_stuck_gateway() {
    let gw = Gateway::default();
    assert_eq!(gw.push_now(&key(KEY_A), 1, &[0x42; 8192]).0, 200);
    let mut src = client(&gw);
    let mut buf = [0u8; 32];
    let e = src.fill(&mut buf).unwrap_err();
    assert!(e.to_string().contains("repetition count"), "{e}");
    assert!(matches!(src.health(), HealthStatus::Failed(_)));
    assert_eq!(buf, [0; 32]);
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    getrandom::fill(&mut v).unwrap();
    v
}

/// A collector whose sequence fell behind the gateway's record (as after a clock step back without a
/// sequence file) learns the gateway's mark from the 409 and continues above it, losing no bytes.
#[test]
fn collector_behind_the_gateway_catches_up() {
    let gw = Gateway::default();
    let now_ms = (qres::qrngdd::unix_nanos_now() / 1_000_000) as u64;
    let ahead = (now_ms + 3_600_000) << 22; // an hour ahead of the collector's epoch
    assert_eq!(gw.push_now(&key(KEY_A), ahead, &counters(0, 8)).0, 200);
    let (s, _) = gw.push_now(&key(KEY_A), ahead - 1, &counters(0, 8));
    assert_eq!(s, 409);
    let mut env = collector_env(&gw.push_url(), KEY_A);
    env.push(("QRNG_MAX_BYTES", "32768".into()));
    let mut c = collector(&env);
    assert!(c.wait_exit(Duration::from_secs(30)).success(), "{}", c.dump());
    assert!(c.has_log(&["sequence behind the gateway's; jumping ahead"]), "{}", c.dump());
    assert!(gw.metric("qrngdd_bytes_in_total") >= 64.0 + 32768.0);
    assert!(!c.has_log(&["bytes are dropped"]), "{}", c.dump());
}

/// A gateway that accepts the connection and never answers: the client gives up after its timeout (per
/// attempt) and retries, then reports an error.
#[test]
fn client_times_out_on_a_silent_gateway() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for _ in 0..2 {
            conns.push(listener.accept().unwrap().0);
        }
        std::thread::sleep(Duration::from_secs(3));
    });
    let mut src = QrngDdSource::new(
        QrngDdConfig::new(format!("http://127.0.0.1:{port}"), API_KEY)
            .allow_plain_http()
            .with_timeout(Duration::from_millis(300))
            .with_retries(1, Duration::from_millis(10), Duration::from_millis(10)),
    )
    .unwrap();
    let start = std::time::Instant::now();
    let e = src.fill(&mut [0u8; 16]).unwrap_err();
    let took = start.elapsed();
    assert!(e.to_string().contains("gave up after 2 attempts"), "{e}");
    assert!(took >= Duration::from_millis(600) && took < Duration::from_secs(3), "{took:?}");
    held.join().unwrap();
}

/// SIGTERM while the gateway is unreachable and the collector is backing off: it stops promptly.
#[test]
fn collector_stops_promptly_while_backing_off() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut env = collector_env(&format!("http://127.0.0.1:{port}/push"), KEY_A);
    env.push(("QRNG_INITIAL_BACKOFF_MS", "5000".into()));
    env.push(("QRNG_MAX_RETRIES", "10".into()));
    let mut c = collector(&env);
    c.wait_log(&["push failed"], Duration::from_secs(10));
    let start = std::time::Instant::now();
    let status = c.terminate(Duration::from_secs(10)).expect("collector did not stop");
    assert!(status.success(), "{status:?}\n{}", c.dump());
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
    assert!(c.has_log(&["push abandoned"]) || c.has_log(&["retries exhausted"]), "{}", c.dump());
}

/// Right after a gateway start, packets signed before start + skew are refused (`predates_start`): the
/// collector keeps those bytes and sends them once the gateway accepts packets, dropping nothing.
#[test]
fn collector_waits_out_a_gateway_restart() {
    let mut env = gateway_env();
    env.retain(|(k, _)| *k != "QRNG_MAX_CLOCK_SKEW_SECS");
    env.push(("QRNG_MAX_CLOCK_SKEW_SECS", "4".into()));
    let gw = Gateway::start(&env); // waits 1.1 s: about 3 s of refusals remain
    let mut cenv = collector_env(&gw.push_url(), KEY_A);
    cenv.push(("QRNG_MAX_BYTES", "32768".into()));
    let mut c = collector(&cenv);
    assert!(c.wait_exit(Duration::from_secs(60)).success(), "{}", c.dump());
    assert!(gw.rejected("predates_start") >= 1.0);
    assert!(c.has_log(&["keeping the bytes and backing off"]), "{}", c.dump());
    assert!(!c.has_log(&["bytes are dropped"]), "{}", c.dump());
    assert!(gw.metric("qrngdd_bytes_in_total") >= 32768.0);
}
