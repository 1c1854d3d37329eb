//! Several gateways (issue 14, item 5): one collector pushes to three gateways, each with its own HMAC
//! key; clients fail over between them; one gateway is killed in the middle of the run.

mod common;
use common::*;
use qres::entropy::{EntropySource, QrngDdConfig, QrngDdSource};
use qrngdd::collector::TestCounter;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY_C: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";
const KEYS: [&str; 3] = [KEY_A, KEY_B, KEY_C];

fn gateway_with_key(hex: &str) -> Gateway {
    let mut env = gateway_env();
    env.retain(|(k, _)| *k != "QRNG_HMAC_SECRET_KEY" && *k != "QRNG_BUFFER_SIZE");
    env.push(("QRNG_HMAC_SECRET_KEY", hex.into()));
    env.push(("QRNG_BUFFER_SIZE", (256 << 10).to_string()));
    Gateway::start(&env)
}

/// A collector pushing the known counter sequence to `gateways` (key `KEYS[i]` for gateway `i`).
fn counter_collector(gateways: &[&Gateway], keys: &[&str]) -> Proc {
    let urls: Vec<String> = gateways.iter().map(|g| g.push_url()).collect();
    let mut env = collector_env(&urls.join(","), &keys.join(","));
    env.retain(|(k, _)| !matches!(*k, "QRNG_ENTROPY_SOURCES" | "QRNG_FETCH_CHUNK_SIZE"));
    env.push(("QRNG_ENTROPY_SOURCES", TestCounter::NAME.into()));
    env.push(("QRNG_ALLOW_INSECURE_TEST_SOURCE", "1".into()));
    env.push(("QRNG_FETCH_CHUNK_SIZE", "8192".into()));
    env.push(("QRNG_MAX_RETRIES", "3".into()));
    collector(&env)
}

/// Maps the first 8 bytes of each block of the counter sequence to its index, for `n` blocks.
fn block_index(n: u64) -> HashMap<[u8; 8], u64> {
    (0..n).map(|i| (TestCounter::block(i)[..8].try_into().unwrap(), i)).collect()
}

/// Which counter blocks `data` holds; panics on data that is not whole, aligned blocks of the sequence.
fn blocks_of(index: &HashMap<[u8; 8], u64>, data: &[u8]) -> Vec<u64> {
    assert_eq!(data.len() % TestCounter::BLOCK, 0);
    data.chunks_exact(TestCounter::BLOCK)
        .map(|b| {
            let i = *index.get(&b[..8]).unwrap_or_else(|| panic!("served bytes are not a block of the sequence"));
            assert_eq!(b, TestCounter::block(i), "block {i} altered");
            i
        })
        .collect()
}

/// A packet signed for one gateway is refused by the others (each has its own key), and a collector
/// configured with one URL per key spreads its packets over all of them.
#[test]
fn each_gateway_has_its_own_key() {
    let gws: Vec<Gateway> = KEYS.iter().map(|k| gateway_with_key(k)).collect();
    // The same signed bytes, as captured on the way to gateway 0.
    let body = qres::qrngdd::EntropyPacket::sign(&key(KEY_A), 1, counters(0, 64), qres::qrngdd::unix_nanos_now())
        .unwrap()
        .encode()
        .unwrap();
    for (i, gw) in gws.iter().enumerate().skip(1) {
        let (status, text) = gw.push_body(&body);
        assert_eq!(status, 401, "gateway {i} took a packet signed for gateway 0: {text}");
        assert_eq!(gw.metric("qrngdd_hmac_failures_total"), 1.0);
        assert_eq!(gw.metric("qrngdd_buffer_bytes"), 0.0);
    }
    assert_eq!(gws[0].push_body(&body).0, 200);

    // One key per URL is required, and the keys must differ.
    let refs: Vec<&Gateway> = gws.iter().collect();
    let mut bad = counter_collector(&refs, &[KEY_A, KEY_B]);
    assert_eq!(bad.wait_exit(Duration::from_secs(10)).code(), Some(2), "{}", bad.dump());
    let mut bad = counter_collector(&refs, &[KEY_A, KEY_A, KEY_C]);
    assert_eq!(bad.wait_exit(Duration::from_secs(10)).code(), Some(2), "{}", bad.dump());

    let mut col = counter_collector(&refs, &KEYS);
    for (i, gw) in gws.iter().enumerate() {
        eventually(&format!("gateway {i} to receive packets"), Duration::from_secs(20), || {
            gw.metric("qrngdd_push_accepted_total") >= 3.0
        });
        assert_eq!(gw.metric("qrngdd_hmac_failures_total"), if i == 0 { 0.0 } else { 1.0 });
    }
    assert!(col.terminate(Duration::from_secs(20)).is_some_and(|s| s.success()), "{}", col.dump());
}

/// Three gateways, one collector of the known counter sequence, three clients failing over. Gateway 1
/// is killed in the middle: the clients keep receiving, the collector sends its share to the others,
/// and across all gateways no block of the sequence is served twice.
#[test]
fn a_killed_gateway_is_failed_over_and_no_byte_is_served_twice() {
    let mut gws: Vec<Option<Gateway>> = KEYS.iter().map(|k| Some(gateway_with_key(k))).collect();
    let bases: Vec<String> = gws.iter().map(|g| g.as_ref().unwrap().base.clone()).collect();
    let refs: Vec<&Gateway> = gws.iter().map(|g| g.as_ref().unwrap()).collect();
    let mut col = counter_collector(&refs, &KEYS);

    let stop = Arc::new(AtomicBool::new(false));
    let received: Arc<Mutex<Vec<Vec<u8>>>> = Arc::new(Mutex::new(Vec::new()));
    let counts: Vec<Arc<AtomicU64>> = (0..3).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let clients: Vec<_> = (0..3)
        .map(|c| {
            // Client c starts at gateway c and fails over to the others in turn.
            let mut config = QrngDdConfig::new(&bases[c], API_KEY)
                .allow_plain_http()
                .with_prefetch(1024)
                .with_timeout(Duration::from_secs(2))
                .with_retries(1000, Duration::from_millis(20), Duration::from_millis(300));
            for k in 1..3 {
                config = config.with_failover_url(&bases[(c + k) % 3]);
            }
            let (stop, received, count) = (stop.clone(), received.clone(), counts[c].clone());
            std::thread::spawn(move || -> Result<(), String> {
                let mut src = QrngDdSource::new(config).map_err(|e| e.to_string())?;
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let mut buf = vec![0u8; 1024];
                    src.fill(&mut buf).map_err(|e| format!("client {c}: {e}"))?;
                    mine.extend_from_slice(&buf);
                    count.fetch_add(1024, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(2));
                }
                received.lock().unwrap().push(mine);
                Ok(())
            })
        })
        .collect();

    let total = || counts.iter().map(|c| c.load(Ordering::Relaxed)).sum::<u64>();
    eventually("every client to receive 64 KiB", Duration::from_secs(20), || {
        counts.iter().all(|c| c.load(Ordering::Relaxed) >= 64 << 10)
    });
    std::thread::sleep(Duration::from_secs(1));
    let accepted_before: Vec<f64> =
        [0, 2].iter().map(|&i| gws[i].as_ref().unwrap().metric("qrngdd_push_accepted_total")).collect();
    // Kill gateway 1 (SIGKILL: no graceful shutdown) while pushes and requests are in flight.
    drop(gws[1].take());
    let killed_at = Instant::now();
    let per_client_at_kill: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let total_at_kill = total();
    std::thread::sleep(Duration::from_secs(4));

    // The clients keep receiving, every one of them (client 1 started at the killed gateway).
    for (c, at_kill) in per_client_at_kill.iter().enumerate() {
        let now = counts[c].load(Ordering::Relaxed);
        assert!(now >= at_kill + (64 << 10), "client {c} received {} bytes in the 4 s after the kill", now - at_kill);
    }
    // The killed gateway's share went to the others.
    for (k, &i) in [0, 2].iter().enumerate() {
        let after = gws[i].as_ref().unwrap().metric("qrngdd_push_accepted_total");
        assert!(after > accepted_before[k] + 5.0, "gateway {i}: {} -> {after} packets", accepted_before[k]);
    }
    assert!(col.has_log(&["gateway unavailable and certainly stored nothing"]), "{}", col.dump());
    stop.store(true, Ordering::Relaxed);
    for (c, h) in clients.into_iter().enumerate() {
        h.join().unwrap().unwrap_or_else(|e| panic!("client {c} stopped: {e}"));
    }
    assert!(col.terminate(Duration::from_secs(20)).is_some_and(|s| s.success()), "{}", col.dump());
    eprintln!(
        "received {total_at_kill} bytes before the kill, {} in the {:.1} s after",
        total() - total_at_kill,
        killed_at.elapsed().as_secs_f64()
    );

    // Every served byte is a block of the sequence, and no block was served twice: collect what the
    // clients received and what the two surviving gateways still hold.
    let mut all = received.lock().unwrap().concat();
    for gw in gws.iter().flatten() {
        loop {
            let held = gw.metric("qrngdd_buffer_bytes") as usize;
            if held == 0 {
                break;
            }
            let (s, body) = gw.random(held.min(65536));
            assert_eq!(s, 200);
            all.extend(body);
        }
    }
    let n_blocks = (all.len() / TestCounter::BLOCK) as u64;
    let index = block_index(n_blocks * 4 + 100_000);
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for i in blocks_of(&index, &all) {
        *seen.entry(i).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).map(|(i, _)| *i).collect();
    assert!(twice.is_empty(), "{} blocks served twice, e.g. {:?}", twice.len(), &twice[..twice.len().min(5)]);
    assert_eq!(seen.len() as u64, n_blocks);
}

/// The collector's first packet reaches gateway 0 through a relay and is stored, but its answer is lost;
/// gateway 0 serves those bytes and dies before the collector's retry. The retry cannot tell whether the
/// packet was stored, so its bytes must be dropped and counted, never sent to gateway 1.
#[test]
fn bytes_that_may_have_been_stored_never_go_to_another_gateway() {
    let gw0 = gateway_with_key(KEY_A);
    let gw1 = gateway_with_key(KEY_B);
    let relay = Relay::start(gw0.addr);
    relay.lose_next_answer.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut env = collector_env(&format!("http://{}/push,{}", relay.addr, gw1.push_url()), &format!("{KEY_A},{KEY_B}"));
    env.retain(|(k, _)| !matches!(*k, "QRNG_ENTROPY_SOURCES" | "QRNG_INITIAL_BACKOFF_MS"));
    env.push(("QRNG_ENTROPY_SOURCES", TestCounter::NAME.into()));
    env.push(("QRNG_ALLOW_INSECURE_TEST_SOURCE", "1".into()));
    env.push(("QRNG_INITIAL_BACKOFF_MS", "3000".into()));
    env.push(("QRNG_MAX_RETRIES", "1".into()));
    let mut col = collector(&env);

    eventually("gateway 0 to store the first packet", Duration::from_secs(20), || {
        gw0.metric("qrngdd_push_accepted_total") >= 1.0
    });
    let served_by_0 = drain(&gw0);
    drop(gw0);
    assert!(!served_by_0.is_empty());
    eventually("gateway 1 to take the following packets", Duration::from_secs(30), || {
        gw1.metric("qrngdd_push_accepted_total") >= 5.0
    });
    assert!(col.terminate(Duration::from_secs(20)).is_some_and(|s| s.success()), "{}", col.dump());
    let served_by_1 = drain(&gw1);

    let index = block_index(((served_by_0.len() + served_by_1.len()) / TestCounter::BLOCK) as u64 * 4 + 100_000);
    let first: std::collections::HashSet<u64> = blocks_of(&index, &served_by_0).into_iter().collect();
    let again = blocks_of(&index, &served_by_1).into_iter().filter(|i| first.contains(i)).count();
    assert_eq!(again, 0, "{again} blocks served by gateway 0 were sent again to gateway 1");
    assert!(
        col.has_log(&["may have been stored; its bytes are dropped, never re-signed"]),
        "the collector did not report the dropped packet:\n{}",
        col.dump()
    );
}

/// `QrngDdSource` with a dead first gateway moves to the next one at once (no wait for a backoff), stays
/// on it, and with every gateway dead fails after its retries.
#[test]
fn the_client_fails_over_at_once_and_gives_up_when_all_are_down() {
    let gw = gateway_with_key(KEY_A);
    // Bytes that pass the client's health tests (the known sequence, not zero-padded counters).
    let data: Vec<u8> = (0..4096).flat_map(TestCounter::block).collect();
    assert_eq!(gw.push_now(&key(KEY_A), 1, &data).0, 200);
    let dead = format!(
        "http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    );
    let config = QrngDdConfig::new(&dead, API_KEY)
        .allow_plain_http()
        .with_failover_url(&gw.base)
        .with_prefetch(1024)
        .with_retries(3, Duration::from_secs(5), Duration::from_secs(5));
    let mut src = QrngDdSource::new(config).unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 1024];
    for _ in 0..8 {
        src.fill(&mut buf).unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(2), "failover waited {:?}", started.elapsed());
    // The start-up health test's bytes and 8 KiB more, all from the live gateway.
    assert!(gw.metric("qrngdd_bytes_out_total") >= 8192.0);

    let mut all_dead = QrngDdSource::new(
        QrngDdConfig::new(&dead, API_KEY)
            .allow_plain_http()
            .with_failover_url(dead.replace("127.0.0.1", "localhost"))
            .with_retries(3, Duration::from_millis(10), Duration::from_millis(40)),
    )
    .unwrap();
    let e = all_dead.fill(&mut buf).unwrap_err().to_string();
    assert!(e.contains("gave up after 4 attempts"), "{e}");
}

/// A TCP address that takes no new connection: a listener never accepting, its accept queue filled, so
/// that a connect hangs (the kernel drops the SYN) as to a blackholed host. The streams keep it full.
fn blackhole() -> (std::net::TcpListener, Vec<std::net::TcpStream>, std::net::SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..4096 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => held.push(s),
            Err(_) => return (listener, held, addr),
        }
    }
    panic!("the listener's accept queue never filled");
}

/// A gateway that stops answering (connect hangs) is failed over within the connect timeout: it
/// certainly stored nothing, so its bytes go to the other gateways, which keep receiving pushes.
#[test]
fn a_gateway_whose_connect_hangs_is_failed_over_within_seconds() {
    let gw0 = gateway_with_key(KEY_A);
    let gw2 = gateway_with_key(KEY_C);
    let (_listener, _held, hole) = blackhole();
    let urls = format!("{},http://{hole}/push,{}", gw0.push_url(), gw2.push_url());
    let mut env = collector_env(&urls, &KEYS.join(","));
    env.push(("QRNG_CONNECT_TIMEOUT_MS", "500".into()));
    let started = Instant::now();
    let mut col = collector(&env);
    for (name, gw) in [("gateway 0", &gw0), ("gateway 2", &gw2)] {
        eventually(&format!("{name} to receive 10 packets"), Duration::from_secs(8), || {
            gw.metric("qrngdd_push_accepted_total") >= 10.0
        });
    }
    eprintln!("both reachable gateways took 10 packets in {:.1} s", started.elapsed().as_secs_f64());
    let log = col.dump();
    assert!(log.contains("gateway unavailable and certainly stored nothing"), "{log}");
    assert!(!log.contains("may have been stored"), "{log}");
    assert!(col.terminate(Duration::from_secs(20)).is_some_and(|s| s.success()), "{}", col.dump());
}

/// A stand-in for a proxy in front of a dead gateway: answers every request with `status`, counting them.
fn failing_proxy(status: u16) -> (String, Arc<AtomicU64>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = format!("HTTP/1.1 {status} Proxy Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = conn.write_all(answer.as_bytes());
        }
    });
    (base, hits)
}

/// A 5xx from a proxy in front of a dead gateway (500, 502, 504) is failed over like a 503, at once.
#[test]
fn the_client_fails_over_on_5xx_from_a_proxy() {
    let gw = gateway_with_key(KEY_A);
    let data: Vec<u8> = (0..4096).flat_map(TestCounter::block).collect();
    assert_eq!(gw.push_now(&key(KEY_A), 1, &data).0, 200);
    for status in [500, 502, 504] {
        let (proxy, hits) = failing_proxy(status);
        let config = QrngDdConfig::new(&proxy, API_KEY)
            .allow_plain_http()
            .with_failover_url(&gw.base)
            .with_prefetch(1024)
            .with_retries(3, Duration::from_secs(5), Duration::from_secs(5));
        let mut src = QrngDdSource::new(config).unwrap();
        let started = Instant::now();
        let mut buf = vec![0u8; 1024];
        for _ in 0..4 {
            src.fill(&mut buf).unwrap_or_else(|e| panic!("{status}: {e}"));
        }
        assert!(started.elapsed() < Duration::from_secs(2), "{status}: failover waited {:?}", started.elapsed());
        assert_eq!(hits.load(Ordering::SeqCst), 1, "{status}: the proxy is asked once, then marked down");
    }
}
