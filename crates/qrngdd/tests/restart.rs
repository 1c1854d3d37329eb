//! A gateway restarted between two attempts of one packet (issue 14, item 3): the collector must never
//! re-sign bytes that the previous gateway instance may have stored and served.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A TCP relay on loopback in front of a gateway that can be moved to another gateway, and that can lose
/// one answer: it passes the request on, reads the gateway's answer and closes the client's connection
/// without relaying it (as a network failure after the gateway stored the packet would).
struct Relay {
    addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    lose_next_answer: Arc<AtomicBool>,
}

impl Relay {
    fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let upstream = Arc::new(Mutex::new(upstream));
        let lose_next_answer = Arc::new(AtomicBool::new(false));
        let (up, lose) = (upstream.clone(), lose_next_answer.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { continue };
                let to = *up.lock().unwrap();
                let lose = lose.clone();
                std::thread::spawn(move || {
                    let Ok(mut server) = TcpStream::connect(to) else { return };
                    let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut c2, &mut s2);
                        let _ = s2.shutdown(Shutdown::Write);
                    });
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let n = match server.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if lose.swap(false, Ordering::SeqCst) {
                            // The gateway answered; the collector never hears it.
                            break;
                        }
                        if client.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = client.shutdown(Shutdown::Both);
                    let _ = server.shutdown(Shutdown::Both);
                });
            }
        });
        Self { addr, upstream, lose_next_answer }
    }
}

/// Takes every byte the gateway holds.
fn drain(gw: &Gateway) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let held = gw.metric("qrngdd_buffer_bytes") as usize;
        if held == 0 {
            return out;
        }
        let (s, body) = gw.random(held.min(65536));
        assert_eq!(s, 200);
        out.extend(body);
    }
}

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
