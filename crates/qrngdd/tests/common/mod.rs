//! Test harness: the real gateway and collector binaries as child processes on loopback.
#![allow(dead_code)]

use qres::qrngdd::{EntropyPacket, HmacKey, unix_nanos_now};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const API_KEY: &str = "test-api-key-0123456789";
pub const OTHER_API_KEY: &str = "other-api-key-0123456789";
pub const KEY_A: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
pub const KEY_B: &str = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";

pub fn key(hex: &str) -> HmacKey {
    HmacKey::from_hex(hex).unwrap()
}

/// A directory under the target dir for this test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A child process whose standard output (JSON log lines) is collected.
pub struct Proc {
    pub child: Child,
    pub logs: Arc<Mutex<Vec<String>>>,
    pub name: &'static str,
}

impl Proc {
    pub fn spawn(name: &'static str, bin: &str, envs: &[(&str, String)]) -> Self {
        Self::spawn_args(name, bin, &[], envs)
    }

    /// [`Proc::spawn`] with command-line arguments.
    pub fn spawn_args(name: &'static str, bin: &str, args: &[&str], envs: &[(&str, String)]) -> Self {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env_clear()
            .env("RUST_LOG", "info")
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {bin}: {e}"));
        let logs = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let logs = logs.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    logs.lock().unwrap().push(line);
                }
            });
        }
        Self { child, logs, name }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a log line containing every one of `needles`.
    pub fn wait_log(&self, needles: &[&str], timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        loop {
            if let Some(l) = self.logs.lock().unwrap().iter().find(|l| needles.iter().all(|n| l.contains(n))) {
                return l.clone();
            }
            assert!(Instant::now() < end, "{}: no log line with {needles:?}; logs:\n{}", self.name, self.dump());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn has_log(&self, needles: &[&str]) -> bool {
        self.logs.lock().unwrap().iter().any(|l| needles.iter().all(|n| l.contains(n)))
    }

    pub fn dump(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM and waits for the exit status (at most `timeout`).
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        // The shell's built-in `kill` (no procps needed).
        let _ = Command::new("sh").arg("-c").arg(format!("kill -TERM {}", self.pid())).status();
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let end = Instant::now() + timeout;
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            assert!(Instant::now() < end, "{} did not exit; logs:\n{}", self.name, self.dump());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our gateway on an ephemeral loopback port.
pub struct Gateway {
    pub proc: Proc,
    pub addr: SocketAddr,
    pub base: String,
}

/// Default gateway environment: two API keys, key A for pushes, 1 MiB buffer, small skew so tests need
/// not wait at start (packets signed before start + skew are refused).
pub fn gateway_env() -> Vec<(&'static str, String)> {
    vec![
        ("QRNG_LISTEN_ADDRESS", "127.0.0.1:0".into()),
        ("QRNG_API_KEYS", format!("{API_KEY},{OTHER_API_KEY}")),
        ("QRNG_HMAC_SECRET_KEY", KEY_A.into()),
        ("QRNG_BUFFER_SIZE", (1 << 20).to_string()),
        ("QRNG_MAX_CLOCK_SKEW_SECS", "1".into()),
        ("QRNG_RATE_LIMIT_PER_SECOND", "100000".into()),
        ("QRNG_RATE_LIMIT_BYTES_PER_SECOND", (1u64 << 40).to_string()),
        ("QRNG_WORKER_THREADS", "2".into()),
    ]
}

impl Gateway {
    pub fn start(envs: &[(&str, String)]) -> Self {
        let proc = Proc::spawn("gateway", env!("CARGO_BIN_EXE_qrngdd-gateway"), envs);
        let line = proc.wait_log(&["qrngdd-gateway listening"], Duration::from_secs(20));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let addr: SocketAddr = v["fields"]["listen"].as_str().unwrap().parse().unwrap();
        let tls = v["fields"]["tls"].as_str() == Some("TLS 1.3");
        let base = format!("{}://127.0.0.1:{}", if tls { "https" } else { "http" }, addr.port());
        // Packets must be dated after start + skew (1 s in these tests).
        std::thread::sleep(Duration::from_millis(1100));
        Self { proc, addr, base }
    }

    pub fn default() -> Self {
        Self::start(&gateway_env())
    }

    pub fn push_url(&self) -> String {
        format!("{}/push", self.base)
    }

    pub fn metrics(&self) -> String {
        let (s, body) = get(&format!("{}/metrics", self.base), None);
        assert_eq!(s, 200);
        String::from_utf8(body).unwrap()
    }

    pub fn metric(&self, series: &str) -> f64 {
        qrngdd::metrics::scrape(&self.metrics(), series).unwrap_or_else(|| panic!("no series {series}"))
    }

    pub fn rejected(&self, reason: &str) -> f64 {
        self.metric(&format!("qrngdd_push_rejected_total{{reason=\"{reason}\"}}"))
    }

    /// `GET /api/random?bytes=n&encoding=binary` with the default key.
    pub fn random(&self, n: usize) -> (u16, Vec<u8>) {
        get(&format!("{}/api/random?bytes={n}&encoding=binary", self.base), Some(API_KEY))
    }

    /// POSTs a packet body.
    pub fn push_body(&self, body: &[u8]) -> (u16, String) {
        post(&self.push_url(), "application/msgpack", body)
    }

    pub fn push(&self, key: &HmacKey, seq: u64, data: &[u8], ts: i64) -> (u16, String) {
        self.push_body(&EntropyPacket::sign(key, seq, data.to_vec(), ts).unwrap().encode().unwrap())
    }

    pub fn push_now(&self, key: &HmacKey, seq: u64, data: &[u8]) -> (u16, String) {
        self.push(key, seq, data, unix_nanos_now())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// GET with an optional bearer key: (status, body).
pub fn get(url: &str, bearer: Option<&str>) -> (u16, Vec<u8>) {
    let (s, _, b) = get_full(url, bearer);
    (s, b)
}

/// GET: (status, headers, body).
pub fn get_full(url: &str, bearer: Option<&str>) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut req = agent().get(url);
    if let Some(k) = bearer {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    let mut r = req.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let headers = r.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned())).collect();
    (r.status().as_u16(), headers, r.body_mut().with_config().limit(1 << 20).read_to_vec().unwrap())
}

/// POST: (status, body text).
pub fn post(url: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut r =
        agent().post(url).header("Content-Type", content_type).send(body).unwrap_or_else(|e| panic!("POST {url}: {e}"));
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
}

/// Distinct, recognisable test data: 8-byte big-endian counters from `start`.
pub fn counters(start: u64, n: usize) -> Vec<u8> {
    (start..start + n as u64).flat_map(u64::to_be_bytes).collect()
}

/// Environment for our collector pushing to `gateway` with the OS source.
pub fn collector_env(push_url: &str, key_hex: &str) -> Vec<(&'static str, String)> {
    vec![
        ("QRNG_PUSH_URL", push_url.into()),
        ("QRNG_HMAC_SECRET_KEY", key_hex.into()),
        ("QRNG_ENTROPY_SOURCES", "os".into()),
        ("QRNG_FETCH_CHUNK_SIZE", "4096".into()),
        ("QRNG_FETCH_INTERVAL_MS", "10".into()),
        ("QRNG_PUSH_INTERVAL_MS", "50".into()),
        ("QRNG_PACKET_MAX_BYTES", "16384".into()),
        ("QRNG_INITIAL_BACKOFF_MS", "20".into()),
    ]
}

pub fn collector(envs: &[(&str, String)]) -> Proc {
    Proc::spawn("collector", env!("CARGO_BIN_EXE_qrngdd-collector"), envs)
}

/// Inodes of the sockets a process holds (from /proc/PID/fd).
pub fn socket_inodes(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter_map(|t| t.to_str()?.strip_prefix("socket:[")?.strip_suffix(']').map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Inodes of listening TCP sockets (state 0A) in /proc/net/tcp and tcp6.
pub fn listening_inodes() -> Vec<String> {
    let mut out = Vec::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() > 9 && cols[3] == "0A" {
                out.push(cols[9].to_owned());
            }
        }
    }
    out
}

/// Waits until `f` holds.
pub fn eventually(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Writes a test CA and a server certificate for 127.0.0.1 / localhost into `dir`: ca.pem, cert.pem,
/// key.pem.
pub fn write_test_pki(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "qrngdd test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    leaf.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf_cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
}

/// A stand-in for a Quantis appliance's REST API (`GET /api/2.0/streambytes?size=N`) on loopback, over
/// TLS with the given certificate when `tls` is set. Serves OS random bytes (or a fixed byte when
/// `stuck`), as raw bytes or, with `json`, as a JSON array.
pub struct MockAppliance {
    pub base: String,
    pub requests: Arc<std::sync::atomic::AtomicU64>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

#[derive(Clone, Copy, Default)]
pub struct ApplianceMode {
    pub json: bool,
    pub stuck: bool,
}

impl MockAppliance {
    pub fn start(tls: Option<(&Path, &Path)>, mode: ApplianceMode) -> Self {
        use axum::extract::{Query, State};
        use axum::response::IntoResponse;
        use std::sync::atomic::{AtomicU64, Ordering};
        let requests = Arc::new(AtomicU64::new(0));
        let tls = tls.map(|(c, k)| tokio_rustls::TlsAcceptor::from(qrngdd::tls::server_config(c, k, false).unwrap()));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let counter = requests.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                async fn stream(
                    State((mode, n)): State<(ApplianceMode, Arc<AtomicU64>)>,
                    Query(q): Query<std::collections::HashMap<String, String>>,
                ) -> axum::response::Response {
                    n.fetch_add(1, Ordering::Relaxed);
                    let size: usize = q.get("size").and_then(|s| s.parse().ok()).unwrap_or(0);
                    let mut data = vec![0x77u8; size];
                    if !mode.stuck {
                        getrandom::fill(&mut data).unwrap();
                    }
                    if mode.json {
                        ([("content-type", "application/json")], serde_json::to_vec(&data).unwrap()).into_response()
                    } else {
                        ([("content-type", "application/octet-stream")], data).into_response()
                    }
                }
                let app = axum::Router::new()
                    .route("/api/2.0/streambytes", axum::routing::get(stream))
                    .with_state((mode, counter));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let mut rx = rx;
                loop {
                    let (stream, _) = tokio::select! {
                        r = listener.accept() => r.unwrap(),
                        _ = &mut rx => break,
                    };
                    let app = app.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        let svc = hyper_util::service::TowerToHyperService::new(app);
                        let http = hyper::server::conn::http1::Builder::new();
                        match tls {
                            Some(acc) => {
                                if let Ok(s) = acc.accept(stream).await {
                                    let _ = http.serve_connection(hyper_util::rt::TokioIo::new(s), svc).await;
                                }
                            }
                            None => {
                                let _ = http.serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
                            }
                        }
                    });
                }
            });
        });
        let addr: SocketAddr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Self { base: format!("{scheme}://localhost:{}", addr.port()), requests, _stop: tx }
    }
}

/// A TCP connection to `to` from the loopback source address `127.0.0.<host>` (every 127.0.0.0/8 address
/// is local on Linux), so that a test can play several clients with different addresses. With `rcvbuf`,
/// the receive buffer is set before connecting (a reader that never reads then stalls the sender early).
pub fn connect_from(host: u8, to: SocketAddr, rcvbuf: Option<usize>) -> std::io::Result<std::net::TcpStream> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    if let Some(n) = rcvbuf {
        s.set_recv_buffer_size(n)?;
    }
    s.bind(&SocketAddr::from(([127, 0, 0, host], 0)).into())?;
    s.connect_timeout(&to.into(), Duration::from_secs(5))?;
    Ok(s.into())
}

/// A TCP relay on loopback in front of a gateway that can be moved to another gateway, and that can lose
/// one answer: it passes the request on, reads the gateway's answer and closes the client's connection
/// without relaying it (as a network failure after the gateway stored the packet would).
pub struct Relay {
    pub addr: SocketAddr,
    pub upstream: Arc<Mutex<SocketAddr>>,
    pub lose_next_answer: Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    pub fn start(upstream: SocketAddr) -> Self {
        use std::io::{Read, Write};
        use std::net::{Shutdown, TcpListener, TcpStream};
        use std::sync::atomic::{AtomicBool, Ordering};
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
pub fn drain(gw: &Gateway) -> Vec<u8> {
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
