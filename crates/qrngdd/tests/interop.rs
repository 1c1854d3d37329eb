//! Interoperability with the public QRNG-DD project (v1.0.0) in both directions, with its real binaries.
//!
//! The public project's code is not part of this repository and cannot be fetched by CI, so these tests
//! run only when `QRNGDD_PUBLIC_BIN_DIR` names a directory holding its `qrng-gateway` and
//! `qrng-collector` binaries (built locally from its source; see BENCHMARKS.md). Without it they print
//! a notice and pass.
//!
//! Its collector fetches only over HTTPS and, as shipped, trusts only the webpki roots, so it cannot read
//! an appliance behind a private CA. The run recorded in BENCHMARKS.md used a build whose reqwest also had
//! its native-roots feature enabled (no code change), so that `SSL_CERT_FILE` could name the test CA.

mod common;
use common::*;
use qres::entropy::{EntropySource, QrngDdConfig, QrngDdSource};
use qres::qrngdd::{EntropyPacket, unix_nanos_now};
use std::path::PathBuf;
use std::time::Duration;

fn public_bin(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("QRNGDD_PUBLIC_BIN_DIR")?;
    let p = PathBuf::from(dir).join(name);
    assert!(p.is_file(), "QRNGDD_PUBLIC_BIN_DIR is set but {} is missing", p.display());
    Some(p)
}

fn skip(test: &str) {
    eprintln!("SKIPPED {test}: set QRNGDD_PUBLIC_BIN_DIR to the public QRNG-DD binaries to run the interop tests");
}

/// The public gateway on a free loopback port, with our test keys.
fn public_gateway(bin: &std::path::Path) -> (Proc, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let p = Proc::spawn(
        "public gateway",
        bin.to_str().unwrap(),
        &[
            ("QRNG_API_KEYS", API_KEY.to_owned()),
            ("QRNG_HMAC_SECRET_KEY", KEY_A.to_owned()),
            ("QRNG_LISTEN_ADDRESS", format!("127.0.0.1:{port}")),
            ("QRNG_BUFFER_SIZE", (1 << 20).to_string()),
            ("QRNG_RATE_LIMIT_PER_SECOND", "100000".to_owned()),
        ],
    );
    p.wait_log(&["Gateway server starting"], Duration::from_secs(20));
    let base = format!("http://127.0.0.1:{port}");
    eventually("the public gateway to answer", Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (p, base)
}

#[test]
fn our_packets_and_collector_to_the_public_gateway() {
    let Some(bin) = public_bin("qrng-gateway") else { return skip("our_packets_and_collector_to_the_public_gateway") };
    let (_gw, base) = public_gateway(&bin);

    // Byte-exact: a packet from our codec is accepted, and exactly its bytes are served.
    let data = counters(0, 512);
    let body = EntropyPacket::sign(&key(KEY_A), 0, data.clone(), unix_nanos_now()).unwrap().encode().unwrap();
    assert_eq!(post(&format!("{base}/push"), "application/msgpack", &body).0, 200);
    let (s, got) = get(&format!("{base}/api/random?bytes=4096&encoding=binary"), Some(API_KEY));
    assert_eq!((s, got), (200, data));

    // Our collector pushes to it (sequence numbers from our per-start epoch).
    let mut env = collector_env(&format!("{base}/push"), KEY_A);
    env.push(("QRNG_MAX_BYTES", "65536".into()));
    let mut c = collector(&env);
    assert!(c.wait_exit(Duration::from_secs(30)).success(), "{}", c.dump());
    assert!(!c.has_log(&["push refused"]), "{}", c.dump());

    // Our client reads it.
    let mut src = QrngDdSource::new(QrngDdConfig::new(&base, API_KEY).allow_plain_http()).unwrap();
    let mut buf = vec![0u8; 50_000];
    src.fill(&mut buf).unwrap();
    assert!(buf.iter().filter(|&&b| b == 0).count() < 1000);

    // Observation (not a requirement on it): the public gateway stores a replayed packet again.
    let body = EntropyPacket::sign(&key(KEY_A), 1, counters(9000, 4), unix_nanos_now()).unwrap().encode().unwrap();
    let first = post(&format!("{base}/push"), "application/msgpack", &body).0;
    let replay = post(&format!("{base}/push"), "application/msgpack", &body).0;
    eprintln!("public gateway: packet {first}, same packet replayed {replay}");
}

#[test]
fn public_collector_to_our_gateway() {
    let Some(bin) = public_bin("qrng-collector") else { return skip("public_collector_to_our_gateway") };
    let dir = scratch("interop-appliance");
    write_test_pki(&dir);
    let appliance = MockAppliance::start(Some((&dir.join("cert.pem"), &dir.join("key.pem"))), ApplianceMode::default());
    let gw = Gateway::default();
    let mut c = Proc::spawn(
        "public collector",
        bin.to_str().unwrap(),
        &[
            ("QRNG_APPLIANCE_URLS", format!("{}/api/2.0/streambytes", appliance.base)),
            ("QRNG_PUSH_URL", gw.push_url()),
            ("QRNG_HMAC_SECRET_KEY", KEY_A.to_owned()),
            ("QRNG_FETCH_CHUNK_SIZE", "4096".to_owned()),
            ("QRNG_FETCH_INTERVAL_MS", "20".to_owned()),
            ("QRNG_PUSH_INTERVAL_MS", "100".to_owned()),
            ("SSL_CERT_FILE", dir.join("ca.pem").display().to_string()),
        ],
    );
    eventually("packets from the public collector", Duration::from_secs(30), || {
        gw.metric("qrngdd_push_accepted_total") >= 3.0
    });
    assert!(c.terminate(Duration::from_secs(10)).is_some());
    for r in qres::qrngdd::PacketError::REASONS {
        assert_eq!(gw.rejected(r), 0.0, "public collector's packet refused for {r}:\n{}", gw.proc.dump());
    }
    let mut src = QrngDdSource::new(QrngDdConfig::new(&gw.base, API_KEY).allow_plain_http()).unwrap();
    let mut buf = vec![0u8; 8192];
    src.fill(&mut buf).unwrap();
}
