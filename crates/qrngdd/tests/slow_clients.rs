//! Slow clients (issue 14, item 1) against the real gateway process: unauthenticated sockets that trickle a
//! `/push` body, or that request 64 KiB answers and never read them, must not stall the honest collector
//! or the honest clients.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// An honest client fetching 32 bytes every 100 ms until `stop`: (requests, failures as "status after ms").
fn honest_client(base: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(usize, Vec<String>)> {
    std::thread::spawn(move || {
        let url = format!("{base}/api/random?bytes=32&encoding=binary");
        let (mut n, mut bad) = (0, Vec::new());
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let (s, body) = get(&url, Some(API_KEY));
            let ms = t.elapsed().as_millis();
            n += 1;
            if s != 200 || body.len() != 32 || ms > 2000 {
                bad.push(format!("{s} after {ms} ms"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        (n, bad)
    })
}

/// 64 sockets from 16 other loopback addresses send `POST /push` headers announcing 1000 bytes, then one
/// body byte every 250 ms (reconnecting whenever the gateway closes them), for 12 s. Meanwhile the honest
/// collector's pushes all succeed, with progress in every second, and the honest client is served.
#[test]
fn trickling_pushes_do_not_stall_the_collector() {
    let gw = Gateway::default();
    // About 40 KB/s: the 1 MiB buffer does not fill during the test.
    let mut cenv = collector_env(&gw.push_url(), KEY_A);
    cenv.retain(|(k, _)| *k != "QRNG_FETCH_INTERVAL_MS");
    cenv.push(("QRNG_FETCH_INTERVAL_MS", "100".into()));
    let mut col = collector(&cenv);
    eventually("the collector's first bytes", Duration::from_secs(20), || {
        gw.metric("qrngdd_bytes_in_total") >= 16384.0
    });

    let stop = Arc::new(AtomicBool::new(false));
    let reconnects = Arc::new(AtomicU64::new(0));
    let trickler = {
        let (stop, reconnects, addr) = (stop.clone(), reconnects.clone(), gw.addr);
        std::thread::spawn(move || {
            let head = "POST /push HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/msgpack\r\n\
                        Content-Length: 1000\r\n\r\n";
            let open = |i: usize| -> Option<TcpStream> {
                let mut s = connect_from(2 + (i % 16) as u8, addr, None).ok()?;
                s.write_all(head.as_bytes()).ok()?;
                Some(s)
            };
            let mut socks: Vec<Option<TcpStream>> = (0..64).map(open).collect();
            while !stop.load(Ordering::Relaxed) {
                for (i, slot) in socks.iter_mut().enumerate() {
                    let alive = slot.as_mut().is_some_and(|s| s.write_all(&[0x93]).is_ok());
                    if !alive {
                        reconnects.fetch_add(1, Ordering::Relaxed);
                        *slot = open(i);
                    }
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let client = honest_client(gw.base.clone(), stop.clone());

    // Pushes accepted, sampled every second for 12 s: each second must see progress.
    let mut accepted = vec![gw.metric("qrngdd_push_accepted_total")];
    for _ in 0..12 {
        std::thread::sleep(Duration::from_secs(1));
        accepted.push(gw.metric("qrngdd_push_accepted_total"));
    }
    stop.store(true, Ordering::Relaxed);
    trickler.join().unwrap();
    let (served, bad) = client.join().unwrap();

    let stalled: Vec<usize> = (1..accepted.len()).filter(|&i| accepted[i] <= accepted[i - 1]).collect();
    assert_eq!(gw.rejected("busy"), 0.0, "honest pushes were refused as busy; accepted per second: {accepted:?}");
    assert!(stalled.is_empty(), "no push accepted in seconds {stalled:?}; accepted per second: {accepted:?}");
    assert!(
        !col.has_log(&["push refused"]) && !col.has_log(&["push failed"]) && !col.has_log(&["bytes are dropped"]),
        "the honest collector saw a failed push:\n{}",
        col.dump()
    );
    assert!(served >= 50 && bad.is_empty(), "honest client: {served} requests, failures {bad:?}");
    // The trickled bodies were cut off by the request deadline and counted.
    assert!(gw.rejected("timeout") >= 64.0, "trickled pushes timed out: {}", gw.rejected("timeout"));
    assert!(reconnects.load(Ordering::Relaxed) >= 64);
    assert!(col.terminate(Duration::from_secs(10)).is_some());
}

/// 16 readers (from 16 other loopback addresses, with a 4 KiB receive buffer) each ask for eighty 64 KiB
/// answers on one connection (5 MiB: more than the kernel's send buffer, 4 MiB at most) and never read.
/// The gateway closes every one of them once a write has made no progress for the write timeout (2 s
/// here), and serves the honest client meanwhile.
#[test]
fn slow_readers_are_cut_off() {
    const READERS: usize = 16;
    const REQUESTS: usize = 80;
    let mut env = gateway_env();
    env.retain(|(k, _)| *k != "QRNG_BUFFER_SIZE");
    env.push(("QRNG_BUFFER_SIZE", (48 << 20).to_string()));
    env.push(("QRNG_WRITE_TIMEOUT_SECS", "2".into()));
    let gw = Gateway::start(&env);
    for seq in 1..=44u64 {
        assert_eq!(gw.push_now(&key(KEY_A), seq, &vec![seq as u8 ^ 0x5c; 1 << 20]).0, 200);
    }

    // 32 KiB of entropy as 64 KiB of hex per answer.
    let request = format!(
        "GET /api/random?bytes=32768&encoding=hex HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {OTHER_API_KEY}\r\n\r\n"
    );
    let mut readers: Vec<TcpStream> = (0..READERS)
        .map(|i| {
            let mut s = connect_from(2 + i as u8, gw.addr, Some(4096)).unwrap();
            s.write_all(request.repeat(REQUESTS).as_bytes()).unwrap();
            s
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let client = honest_client(gw.base.clone(), stop.clone());
    std::thread::sleep(Duration::from_secs(6));
    stop.store(true, Ordering::Relaxed);
    let (served, bad) = client.join().unwrap();
    assert!(served >= 20 && bad.is_empty(), "honest client: {served} requests, failures {bad:?}");

    // Now read: a connection the gateway closed ends (EOF or reset) before all answers are in; one it kept
    // open goes on delivering them, then blocks.
    let full = REQUESTS * 65536;
    let mut open = Vec::new();
    for (i, s) in readers.iter_mut().enumerate() {
        s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        let (mut got, mut buf) = (0usize, vec![0u8; 65536]);
        let closed = loop {
            match s.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
                Err(_) => break false,
            }
        };
        if !closed || got >= full {
            open.push((i, got));
        }
    }
    assert!(open.is_empty(), "slow readers still connected (index, bytes read): {open:?}");
    assert_eq!(gw.metric("qrngdd_connections_closed_total{reason=\"write_timeout\"}"), READERS as f64);
}
