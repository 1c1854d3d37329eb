//! Load benchmark: `GET /api/random?bytes=32&encoding=binary` over loopback with `wrk`, our gateway side
//! by side with the public QRNG-DD gateway (when `QRNGDD_PUBLIC_BIN_DIR` names its binaries), rounds
//! alternating between the two so that background load affects both alike. Then a run of at least a
//! million requests against each, sampling resident memory.
//!
//! ```text
//! cargo bench -p qrngdd --bench gateway_load
//! QRNGDD_PUBLIC_BIN_DIR=<dir with qrng-gateway> QRNGDD_LOAD_SECS=10 QRNGDD_LOAD_ROUNDS=5 cargo bench -p qrngdd --bench gateway_load
//! ```
//!
//! Knobs (environment): `QRNGDD_LOAD_SECS` (per round, default 10), `QRNGDD_LOAD_ROUNDS` (default 3),
//! `QRNGDD_LOAD_CONNECTIONS` (default 32), `QRNGDD_LOAD_THREADS` (wrk threads, default 1),
//! `QRNGDD_LOAD_BYTES` (request sizes, comma-separated, default `32`), `QRNGDD_LOAD_LOG` (the log level
//! of both gateways: ours through `RUST_LOG`, the public one through `--log-level`; default `warn`, the
//! quiet level of both), `QRNGDD_LOAD_BUFFER_MIB` (both buffers, default 64; a round must not drain it),
//! `QRNGDD_LOAD_SLOW` (slow clients attached to the gateway under load during each round: connections
//! that send a request's headers one byte every 500 ms and never finish; default 0),
//! `QRNGDD_LOAD_TLS` (1: also measure TLS handshakes and transfer with X25519MLKEM768 against X25519 on
//! our gateway; default 0),
//! `QRNGDD_LOAD_WORKERS` (runtime worker threads of both gateways: ours through `QRNG_WORKER_THREADS`,
//! the public one through `TOKIO_WORKER_THREADS`; default: one per CPU),
//! `QRNGDD_LOAD_MILLION` (0 skips the memory run; default 1), `QRNGDD_LOAD_CHURN` (iterations of the
//! memory-under-churn run, 0 skips it; default 1500), `QRNGDD_LOAD_MIN_RPS` (fail below this
//! rate for our gateway; default 0 = report only). Needs `wrk` on PATH (Debian package `wrk`).

use qres::qrngdd::{EntropyPacket, HmacKey, unix_nanos_now};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const API_KEY: &str = "bench-api-key-0123456789";
const KEY_HEX: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
const PACKET: usize = 1 << 20;

/// Both gateways' buffer (`QRNGDD_LOAD_BUFFER_MIB`).
fn buffer_size() -> usize {
    (env_num("QRNGDD_LOAD_BUFFER_MIB", 64) as usize) << 20
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Target {
    name: &'static str,
    child: Child,
    port: u16,
    next_seq: u64,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(name: &'static str, bin: &str, args: &[String], extra: &[(&str, String)]) -> Target {
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_clear()
        .env("QRNG_API_KEYS", API_KEY)
        .env("QRNG_HMAC_SECRET_KEY", KEY_HEX)
        .env("QRNG_LISTEN_ADDRESS", format!("127.0.0.1:{port}"))
        .env("QRNG_BUFFER_SIZE", buffer_size().to_string())
        .env("QRNG_RATE_LIMIT_PER_SECOND", "100000000")
        .env("QRNG_RATE_LIMIT_BYTES_PER_SECOND", (1u64 << 40).to_string())
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        // Both write their logs to /dev/null (no pipe to slow them down); errors go to our stderr.
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
    let end = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "{name} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Target { name, child, port, next_seq: 1 }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Buffered bytes, from `/api/status` (both gateways answer it the same way).
fn buffered(t: &Target) -> u64 {
    let mut r = agent()
        .get(&format!("http://127.0.0.1:{}/api/status", t.port))
        .header("Authorization", format!("Bearer {API_KEY}"))
        .call()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
    v["buffer_bytes_available"].as_u64().unwrap()
}

/// Pushes 1 MiB packets until the buffer is (nearly) full. The payload is one block of OS random bytes,
/// signed again for each packet (the gateways do not look at the bytes; filling a large buffer with
/// fresh random bytes would only slow the benchmark down).
fn fill(t: &mut Target) {
    let key = HmacKey::from_hex(KEY_HEX).unwrap();
    let a = agent();
    let mut block = vec![0u8; PACKET];
    getrandom::fill(&mut block).unwrap();
    let mut held = buffered(t);
    while held + (PACKET as u64) <= buffer_size() as u64 {
        let data = block.clone();
        held += PACKET as u64;
        let body = EntropyPacket::sign(&key, t.next_seq, data, unix_nanos_now()).unwrap().encode().unwrap();
        t.next_seq += 1;
        let s = a
            .post(&format!("http://127.0.0.1:{}/push", t.port))
            .header("Content-Type", "application/msgpack")
            .send(&body[..])
            .unwrap()
            .status()
            .as_u16();
        if s != 200 {
            break;
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

#[derive(Debug, Default, Clone, Copy)]
struct Run {
    rps: f64,
    requests: u64,
    p50_us: f64,
    p99_us: f64,
    errors: u64,
    rss_min_kib: u64,
    rss_max_kib: u64,
}

fn to_us(v: &str) -> f64 {
    let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
    let n: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n,
        "ms" => n * 1e3,
        "s" => n * 1e6,
        _ => f64::NAN,
    }
}

/// `n` slow clients on `port` until `stop`: each sends a request's headers one byte every 500 ms and never
/// finishes; a connection the gateway closes is opened again.
fn slow_clients(
    port: u16,
    n: usize,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    use std::io::Write;
    std::thread::spawn(move || {
        let request = format!(
            "GET /api/random?bytes=32&encoding=binary HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {API_KEY}\r\nX-Padding: {}",
            "p".repeat(4096)
        );
        let open = || std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|s| (s, 0usize));
        let mut conns: Vec<Option<(std::net::TcpStream, usize)>> = (0..n).map(|_| open()).collect();
        let mut reopened = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for c in conns.iter_mut() {
                let alive = match c {
                    Some((s, at)) => {
                        let ok = s.write_all(&request.as_bytes()[*at % request.len()..][..1]).is_ok();
                        *at += 1;
                        ok
                    }
                    None => false,
                };
                if !alive {
                    *c = open();
                    reopened += 1;
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        reopened
    })
}

/// Runs wrk for `secs` against `t` with requests of `bytes`, sampling the target's RSS every 250 ms.
fn wrk(t: &Target, secs: u64, connections: u64, threads: u64, bytes: u64) -> Run {
    let url = format!("http://127.0.0.1:{}/api/random?bytes={bytes}&encoding=binary", t.port);
    let pid = t.child.id();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut lo, mut hi) = (u64::MAX, 0);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = rss_kib(pid);
                lo = lo.min(r);
                hi = hi.max(r);
                std::thread::sleep(Duration::from_millis(250));
            }
            (lo, hi)
        })
    };
    let out = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string(), "-d", &format!("{secs}s"), "--latency"])
        .args(["-H", &format!("Authorization: Bearer {API_KEY}"), &url])
        .output()
        .expect("wrk");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (rss_min_kib, rss_max_kib) = sampler.join().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut run = Run { rss_min_kib, rss_max_kib, ..Run::default() };
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        match cols.as_slice() {
            ["Requests/sec:", v] => run.rps = v.parse().unwrap_or(0.0),
            ["50%", v] => run.p50_us = to_us(v),
            ["99%", v] => run.p99_us = to_us(v),
            ["Non-2xx", "or", "3xx", "responses:", v] => run.errors = v.parse().unwrap_or(0),
            [n, "requests", "in", ..] => run.requests = n.parse().unwrap_or(0),
            _ => {}
        }
    }
    assert!(run.rps > 0.0, "{}: could not read wrk's output:\n{text}", t.name);
    run
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("gateway_load: wrk is not installed (apt-get install wrk); nothing measured");
        return;
    }
    let secs = env_num("QRNGDD_LOAD_SECS", 10);
    let rounds = env_num("QRNGDD_LOAD_ROUNDS", 3).max(1);
    let conns = env_num("QRNGDD_LOAD_CONNECTIONS", 32);
    let threads = env_num("QRNGDD_LOAD_THREADS", 1);
    let million = env_num("QRNGDD_LOAD_MILLION", 1) != 0;
    let min_rps = env_num("QRNGDD_LOAD_MIN_RPS", 0) as f64;
    let slow = env_num("QRNGDD_LOAD_SLOW", 0) as usize;
    let log = std::env::var("QRNGDD_LOAD_LOG").unwrap_or_else(|_| "warn".into());
    let sizes: Vec<u64> = std::env::var("QRNGDD_LOAD_BYTES")
        .unwrap_or_else(|_| "32".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();

    let mut ours_env = vec![
        ("QRNG_MAX_PUSH_BYTES", (2 * PACKET).to_string()),
        ("QRNG_MAX_CLOCK_SKEW_SECS", "0".to_owned()),
        ("RUST_LOG", log.clone()),
    ];
    let mut public_env = Vec::new();
    let workers = std::env::var("QRNGDD_LOAD_WORKERS").ok();
    if let Some(n) = &workers {
        ours_env.push(("QRNG_WORKER_THREADS", n.clone()));
        // The public gateway's #[tokio::main] runtime reads tokio's own variable.
        public_env.push(("TOKIO_WORKER_THREADS", n.clone()));
    }
    let mut targets = vec![start("qrngdd-gateway (ours)", env!("CARGO_BIN_EXE_qrngdd-gateway"), &[], &ours_env)];
    if let Some(dir) = std::env::var_os("QRNGDD_PUBLIC_BIN_DIR") {
        let bin = std::path::Path::new(&dir).join("qrng-gateway");
        let args = ["--log-level".to_owned(), log.clone()];
        targets.push(start("qrng-gateway (public v1.0.0)", bin.to_str().unwrap(), &args, &public_env));
    } else {
        eprintln!("gateway_load: QRNGDD_PUBLIC_BIN_DIR not set; measuring our gateway only");
    }
    let mut medians = Vec::new();
    let mut results: Vec<Vec<Run>> = vec![Vec::new(); targets.len()];
    for &bytes in &sizes {
        println!(
            "\nwrk -t{threads} -c{conns} -d{secs}s --latency, GET /api/random?bytes={bytes}&encoding=binary, {rounds} rounds alternating, buffer {} MiB, log level {log} (both), {slow} slow clients, server worker threads: {}",
            buffer_size() >> 20,
            workers.as_deref().unwrap_or("default (one per CPU)")
        );
        results = vec![Vec::new(); targets.len()];
        for round in 0..rounds {
            for (i, t) in targets.iter_mut().enumerate() {
                fill(t);
                let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                let slowpoke = (slow > 0).then(|| slow_clients(t.port, slow, stop.clone()));
                let r = wrk(t, secs, conns, threads, bytes);
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                let reopened = slowpoke.map(|h| h.join().unwrap());
                println!(
                    "round {round} {bytes:>5} B {:<30} {:>9.0} req/s  p50 {:>7.0} us  p99 {:>7.0} us  RSS max {:>6.1} MiB  non-2xx {}{}",
                    t.name,
                    r.rps,
                    r.p50_us,
                    r.p99_us,
                    r.rss_max_kib as f64 / 1024.0,
                    r.errors,
                    reopened.map(|n| format!("  slow connections reopened {n}")).unwrap_or_default()
                );
                assert_eq!(r.errors, 0, "{}: refused requests during the run (buffer ran dry?)", t.name);
                results[i].push(r);
            }
        }
        println!(
            "\n| gateway | bytes | req/s (median of {rounds}) | p50 (us) | p99 (us) | RSS max (MiB) |\n|---|---|---|---|---|---|"
        );
        medians.clear();
        for (t, runs) in targets.iter().zip(&results) {
            let m = (
                median(runs.iter().map(|r| r.rps).collect()),
                median(runs.iter().map(|r| r.p50_us).collect()),
                median(runs.iter().map(|r| r.p99_us).collect()),
            );
            let rss = runs.iter().map(|r| r.rss_max_kib).max().unwrap_or(0) as f64 / 1024.0;
            println!("| {} | {bytes} | {:.0} | {:.0} | {:.0} | {rss:.1} |", t.name, m.0, m.1, m.2);
            medians.push(m);
        }
        if medians.len() == 2 {
            let rps_ratios: Vec<f64> = results[0].iter().zip(&results[1]).map(|(a, b)| a.rps / b.rps).collect();
            let p99_ratios: Vec<f64> = results[0].iter().zip(&results[1]).map(|(a, b)| a.p99_us / b.p99_us).collect();
            println!(
                "\n{bytes} B ours/public, per round (same conditions): req/s {:?} (median {:.2}x); p99 {:?} (median {:.2}x)",
                rps_ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>(),
                median(rps_ratios.clone()),
                p99_ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>(),
                median(p99_ratios.clone()),
            );
        }
    }
    if million {
        println!("\nmemory over at least 1,000,000 requests (buffer {} MiB, prefilled):", buffer_size() >> 20);
        println!(
            "| gateway | requests | RSS before (MiB) | RSS min / max during (MiB) | RSS after (MiB) |\n|---|---|---|---|---|"
        );
        for t in targets.iter_mut() {
            fill(t);
            let before = rss_kib(t.child.id());
            let rate = medians.first().map_or(50_000.0, |m| m.0).max(1.0);
            let mut total = 0;
            let (mut lo, mut hi) = (u64::MAX, 0);
            while total < 1_000_000 {
                let need = ((1_000_000 - total) as f64 / rate * 1.3).ceil().clamp(2.0, 30.0) as u64;
                let r = wrk(t, need, conns, threads, 32);
                assert_eq!(r.errors, 0, "{}: buffer ran dry", t.name);
                total += r.requests;
                lo = lo.min(r.rss_min_kib);
                hi = hi.max(r.rss_max_kib);
            }
            let after = rss_kib(t.child.id());
            let mib = |k: u64| k as f64 / 1024.0;
            println!(
                "| {} | {total} | {:.1} | {:.1} / {:.1} | {:.1} |",
                t.name,
                mib(before),
                mib(lo),
                mib(hi),
                mib(after)
            );
        }
    }
    let churn = env_num("QRNGDD_LOAD_CHURN", 1500);
    if churn > 0 {
        println!(
            "\nmemory under churn: buffer full, then {churn} x (GET 64 KiB, POST a 1 MiB packet) — pushes that do not fit whole:"
        );
        println!("| gateway | pushes answered 200 / 507 | RSS before (MiB) | RSS after (MiB) |\n|---|---|---|---|");
        let key = HmacKey::from_hex(KEY_HEX).unwrap();
        let a = agent();
        for t in targets.iter_mut() {
            fill(t);
            let before = rss_kib(t.child.id());
            let (mut ok, mut full) = (0, 0);
            for _ in 0..churn {
                let s = a
                    .get(&format!("http://127.0.0.1:{}/api/random?bytes=65536&encoding=binary", t.port))
                    .header("Authorization", format!("Bearer {API_KEY}"))
                    .call()
                    .unwrap()
                    .status()
                    .as_u16();
                assert_eq!(s, 200, "{}: buffer ran dry", t.name);
                let mut data = vec![0u8; PACKET];
                getrandom::fill(&mut data).unwrap();
                let body = EntropyPacket::sign(&key, t.next_seq, data, unix_nanos_now()).unwrap().encode().unwrap();
                t.next_seq += 1;
                match a
                    .post(&format!("http://127.0.0.1:{}/push", t.port))
                    .header("Content-Type", "application/msgpack")
                    .send(&body[..])
                    .unwrap()
                    .status()
                    .as_u16()
                {
                    200 => ok += 1,
                    507 => full += 1,
                    s => panic!("{}: push answered {s}", t.name),
                }
            }
            let after = rss_kib(t.child.id());
            println!("| {} | {ok} / {full} | {:.1} | {:.1} |", t.name, before as f64 / 1024.0, after as f64 / 1024.0);
        }
    }
    if env_num("QRNGDD_LOAD_TLS", 0) != 0 {
        tls_section(&log);
    }
    if min_rps > 0.0 {
        let ours = median(results[0].iter().map(|r| r.rps).collect());
        assert!(ours >= min_rps, "our gateway served {ours:.0} req/s, below QRNGDD_LOAD_MIN_RPS={min_rps}");
    }
}

/// The client provider for a TLS measurement: aws-lc-rs with the given key-exchange groups only.
fn tls_client(
    groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
    ca: &rustls_pki_types::CertificateDer<'static>,
) -> std::sync::Arc<rustls::ClientConfig> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.kx_groups = groups;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// One TLS connection to `port` with `config`: connect, complete the handshake; the negotiated group.
fn tls_connect(
    port: u16,
    config: &std::sync::Arc<rustls::ClientConfig>,
) -> (rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>, rustls::NamedGroup) {
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(config.clone(), name).unwrap();
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_nodelay(true).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).unwrap();
    }
    let group = conn.negotiated_key_exchange_group().unwrap().name();
    (rustls::StreamOwned::new(conn, sock), group)
}

/// One `GET /api/random?bytes=32` on a TLS stream; the answer must be 200.
fn tls_request(stream: &mut rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>, close: bool) {
    use std::io::{Read, Write};
    let req = format!(
        "GET /api/random?bytes=32&encoding=binary HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {API_KEY}\r\n{}\r\n",
        if close { "Connection: close\r\n" } else { "" }
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the answer");
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            assert!(got.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&got));
            if got.len() >= end + 4 + 32 {
                return;
            }
        }
    }
}

/// TLS on our gateway, X25519MLKEM768 against X25519 (the same aws-lc-rs provider on both sides, only
/// the client's offered group differs): full handshakes per second on one connection at a time, 32-byte
/// requests per second with a new connection each, and on one kept-alive connection.
fn tls_section(log: &str) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let dir = std::env::temp_dir().join(format!("qrngdd-bench-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &rcgen::Issuer::new(ca, ca_key)).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf_cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
    let env = [
        ("QRNG_TLS_CERT_FILE", dir.join("cert.pem").display().to_string()),
        ("QRNG_TLS_KEY_FILE", dir.join("key.pem").display().to_string()),
        ("RUST_LOG", log.to_owned()),
        ("QRNG_MAX_PUSH_BYTES", (2 * PACKET).to_string()),
        ("QRNG_MAX_CLOCK_SKEW_SECS", "0".to_owned()),
    ];
    let t = start("qrngdd-gateway TLS", env!("CARGO_BIN_EXE_qrngdd-gateway"), &[], &env);
    // The buffer is filled over TLS (a plain agent cannot reach it): push through a rustls stream.
    tls_fill(&t, ca_cert.der());
    let secs = env_num("QRNGDD_LOAD_TLS_SECS", 1);
    let rounds = env_num("QRNGDD_LOAD_TLS_ROUNDS", 5).max(1);
    use rustls::crypto::aws_lc_rs::kx_group;
    println!(
        "\nTLS 1.3 on our gateway (aws-lc-rs both sides, server prefers X25519MLKEM768; one client at a time; {rounds} rounds of {secs} s per figure, groups alternating; medians; client and server share the 2 cores):"
    );
    println!(
        "| key exchange offered | negotiated | full handshakes/s | µs per handshake | req/s, new connection each | req/s, one kept-alive connection |\n|---|---|---|---|---|---|"
    );
    let groups = [kx_group::X25519MLKEM768, kx_group::X25519];
    let configs: Vec<_> = groups.iter().map(|g| tls_client(vec![*g], ca_cert.der())).collect();
    let rate = |what: &mut dyn FnMut()| {
        let started = Instant::now();
        let end = started + Duration::from_secs(secs);
        let mut n = 0u64;
        while Instant::now() < end {
            what();
            n += 1;
        }
        n as f64 / started.elapsed().as_secs_f64()
    };
    let mut figures = vec![(Vec::new(), Vec::new(), Vec::new()); groups.len()];
    for _ in 0..rounds {
        for (i, config) in configs.iter().enumerate() {
            figures[i].0.push(rate(&mut || drop(tls_connect(t.port, config))));
            figures[i].1.push(rate(&mut || tls_request(&mut tls_connect(t.port, config).0, true)));
            let mut kept = tls_connect(t.port, config).0;
            figures[i].2.push(rate(&mut || tls_request(&mut kept, false)));
        }
    }
    for (i, config) in configs.iter().enumerate() {
        let negotiated = tls_connect(t.port, config).1;
        let (hs, fresh, kept) =
            (median(figures[i].0.clone()), median(figures[i].1.clone()), median(figures[i].2.clone()));
        println!("| {:?} | {negotiated:?} | {hs:.0} | {:.0} | {fresh:.0} | {kept:.0} |", groups[i].name(), 1e6 / hs);
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Fills `t`'s buffer over TLS with 1 MiB packets.
fn tls_fill(t: &Target, ca: &rustls_pki_types::CertificateDer<'static>) {
    use std::io::{Read, Write};
    let key = HmacKey::from_hex(KEY_HEX).unwrap();
    let config = tls_client(rustls::crypto::aws_lc_rs::default_provider().kx_groups, ca);
    let mut block = vec![0u8; PACKET];
    getrandom::fill(&mut block).unwrap();
    for seq in 1..=(buffer_size() / PACKET) as u64 - 1 {
        let body = EntropyPacket::sign(&key, seq, block.clone(), unix_nanos_now()).unwrap().encode().unwrap();
        let (mut s, _) = tls_connect(t.port, &config);
        let head = format!(
            "POST /push HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/msgpack\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        assert!(answer.starts_with(b"HTTP/1.1 200"), "push: {}", String::from_utf8_lossy(&answer));
    }
}
