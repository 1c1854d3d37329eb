//! TLS: the gateway speaks TLS 1.3 only; the client and the collector trust a private CA.

mod common;
use common::*;
use qres::entropy::{EntropySource, QrngDdConfig, QrngDdSource};
use std::sync::Arc;
use std::time::Duration;

fn tls_gateway(dir: &std::path::Path) -> Gateway {
    write_test_pki(dir);
    let mut env = gateway_env();
    env.push(("QRNG_TLS_CERT_FILE", dir.join("cert.pem").display().to_string()));
    env.push(("QRNG_TLS_KEY_FILE", dir.join("key.pem").display().to_string()));
    Gateway::start(&env)
}

/// A bare rustls handshake with the given provider and protocol versions: the connection, or the error
/// text.
fn connect(
    port: u16,
    ca: &std::path::Path,
    provider: Arc<rustls::crypto::CryptoProvider>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<rustls::ClientConnection, String> {
    let mut roots = rustls::RootCertStore::empty();
    for c in qrngdd::tls::load_certs(ca).unwrap() {
        roots.add(c).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).map_err(|e| e.to_string())?;
    }
    Ok(conn)
}

/// A handshake with ring's (classical) provider: `Ok(version)` or the error text.
fn handshake(
    port: u16,
    ca: &std::path::Path,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<String, String> {
    let conn = connect(port, ca, Arc::new(rustls::crypto::ring::default_provider()), versions)?;
    Ok(format!("{:?}", conn.protocol_version().unwrap()))
}

#[test]
fn tls13_only_and_private_ca() {
    let dir = scratch("tls");
    let gw = tls_gateway(&dir);
    assert!(gw.base.starts_with("https://"));
    let ca = dir.join("ca.pem");

    // TLS 1.3 works; a TLS 1.2-only client is refused, counted and logged.
    assert_eq!(handshake(gw.addr.port(), &ca, &[&rustls::version::TLS13]).unwrap(), "TLSv1_3");
    let e = handshake(gw.addr.port(), &ca, &[&rustls::version::TLS12]).unwrap_err();
    assert!(e.to_lowercase().contains("protocol") || e.contains("alert"), "{e}");
    gw.proc.wait_log(&["qrngdd::audit", "\"reason\":\"tls_handshake\""], Duration::from_secs(5));

    // The collector pushes over TLS, trusting the private CA.
    let url = format!("https://localhost:{}/push", gw.addr.port());
    let mut env = collector_env(&url, KEY_A);
    env.push(("QRNG_PUSH_CA_FILE", ca.display().to_string()));
    env.push(("QRNG_MAX_BYTES", "32768".into()));
    let mut col = collector(&env);
    assert!(col.wait_exit(Duration::from_secs(30)).success(), "{}", col.dump());

    // The client fetches over TLS with the private CA ...
    let base = format!("https://localhost:{}", gw.addr.port());
    let mut src =
        QrngDdSource::new(QrngDdConfig::new(&base, API_KEY).with_ca_pem(std::fs::read(&ca).unwrap())).unwrap();
    let mut buf = [0u8; 4096];
    src.fill(&mut buf).unwrap();
    // ... and without it (webpki roots only) the certificate is refused.
    let mut untrusting = QrngDdSource::new(QrngDdConfig::new(&base, API_KEY).with_retries(
        0,
        Duration::from_millis(1),
        Duration::from_millis(1),
    ))
    .unwrap();
    let e = untrusting.fill(&mut buf).unwrap_err();
    assert!(e.to_string().to_lowercase().contains("certificate") || e.to_string().contains("UnknownIssuer"), "{e}");

    let metrics = String::from_utf8(
        ureq::Agent::config_builder()
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![
                        ureq::tls::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap(),
                    ])))
                    .build(),
            )
            .build()
            .new_agent()
            .get(&format!("{base}/metrics"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_vec()
            .unwrap(),
    )
    .unwrap();
    assert!(qrngdd::metrics::scrape(&metrics, "qrngdd_tls_handshake_failures_total").unwrap() >= 2.0);
    assert!(qrngdd::metrics::scrape(&metrics, "qrngdd_bytes_in_total").unwrap() >= 32768.0);
}

/// `GET {base}/metrics` over X25519MLKEM768 only, trusting `ca`.
fn pq_metrics(base: &str, ca: &std::path::Path) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .unversioned_rustls_crypto_provider(qrngdd::tls::crypto_provider(true))
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![
                    ureq::tls::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap(),
                ])))
                .build(),
        )
        .build()
        .into();
    agent.get(&format!("{base}/metrics")).call().unwrap().body_mut().read_to_string().unwrap()
}

/// A TLS 1.3 handshake with the given provider: `Ok(negotiated group)` or the error text.
fn handshake_group(
    port: u16,
    ca: &std::path::Path,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<String, String> {
    let conn = connect(port, ca, provider, &[&rustls::version::TLS13])?;
    Ok(format!("{:?}", conn.negotiated_key_exchange_group().unwrap().name()))
}

/// Post-quantum TLS (issue 14, item 4): our pieces negotiate the hybrid X25519MLKEM768; a classical-only
/// client (ring's provider: X25519, P-256, P-384) still connects, unless `QRNG_REQUIRE_PQ_TLS` forbids it;
/// the collector pushes over X25519MLKEM768, even when both sides require it.
#[test]
fn post_quantum_key_exchange() {
    let dir = scratch("pq-tls");
    let gw = tls_gateway(&dir);
    let ca = dir.join("ca.pem");
    let ours = qrngdd::tls::crypto_provider(false);
    let classical = Arc::new(rustls::crypto::ring::default_provider());
    assert_eq!(handshake_group(gw.addr.port(), &ca, ours.clone()).unwrap(), "X25519MLKEM768");
    assert_eq!(handshake_group(gw.addr.port(), &ca, classical.clone()).unwrap(), "X25519");
    drop(gw);

    let mut env = gateway_env();
    env.push(("QRNG_TLS_CERT_FILE", dir.join("cert.pem").display().to_string()));
    env.push(("QRNG_TLS_KEY_FILE", dir.join("key.pem").display().to_string()));
    env.push(("QRNG_REQUIRE_PQ_TLS", "true".into()));
    let strict = Gateway::start(&env);
    let e = handshake_group(strict.addr.port(), &ca, classical).unwrap_err();
    assert!(e.to_lowercase().contains("handshake") || e.contains("alert"), "{e}");
    assert_eq!(handshake_group(strict.addr.port(), &ca, ours).unwrap(), "X25519MLKEM768");

    let url = format!("https://localhost:{}/push", strict.addr.port());
    let mut cenv = collector_env(&url, KEY_A);
    cenv.push(("QRNG_PUSH_CA_FILE", ca.display().to_string()));
    cenv.push(("QRNG_REQUIRE_PQ_TLS", "true".into()));
    cenv.push(("QRNG_MAX_BYTES", "32768".into()));
    let mut col = collector(&cenv);
    assert!(col.wait_exit(Duration::from_secs(30)).success(), "{}", col.dump());
    let metrics = pq_metrics(&format!("https://localhost:{}", strict.addr.port()), &ca);
    let scrape = |s: &str| qrngdd::metrics::scrape(&metrics, s).unwrap();
    // The test's own PQ handshake, the collector's connection(s) and this scrape; the classical client
    // failed (counted as a handshake failure, not as a classical handshake).
    assert!(scrape("qrngdd_tls_handshakes_total{group=\"X25519MLKEM768\"}") >= 3.0);
    assert_eq!(scrape("qrngdd_tls_handshakes_total{group=\"classical\"}"), 0.0);
    assert!(scrape("qrngdd_tls_handshake_failures_total") >= 1.0);
    assert!(scrape("qrngdd_bytes_in_total") >= 32768.0);
}

/// The root crate's client (issue 14, item 4): `QrngDdSource` negotiates `X25519MLKEM768` with our
/// gateway, even one that refuses every classical group, and with its own `require_pq_tls` as well.
#[test]
fn qrngdd_source_negotiates_x25519mlkem768() {
    let dir = scratch("pq-tls-source");
    write_test_pki(&dir);
    let mut env = gateway_env();
    env.push(("QRNG_TLS_CERT_FILE", dir.join("cert.pem").display().to_string()));
    env.push(("QRNG_TLS_KEY_FILE", dir.join("key.pem").display().to_string()));
    env.push(("QRNG_REQUIRE_PQ_TLS", "true".into()));
    let gw = Gateway::start(&env);
    let ca = dir.join("ca.pem");
    let url = format!("https://localhost:{}/push", gw.addr.port());
    let mut cenv = collector_env(&url, KEY_A);
    cenv.push(("QRNG_PUSH_CA_FILE", ca.display().to_string()));
    cenv.push(("QRNG_MAX_BYTES", "65536".into()));
    let mut col = collector(&cenv);
    assert!(col.wait_exit(Duration::from_secs(30)).success(), "{}", col.dump());

    let base = format!("https://localhost:{}", gw.addr.port());
    let pem = std::fs::read(&ca).unwrap();
    let fast_fail = |c: QrngDdConfig| c.with_retries(0, Duration::from_millis(1), Duration::from_millis(1));
    let mut src = QrngDdSource::new(fast_fail(QrngDdConfig::new(&base, API_KEY).with_ca_pem(pem.clone()))).unwrap();
    let mut buf = [0u8; 4096];
    src.fill(&mut buf).unwrap_or_else(|e| panic!("the client could not fetch from a PQ-only gateway: {e}"));
    let mut strict =
        QrngDdSource::new(fast_fail(QrngDdConfig::new(&base, API_KEY).with_ca_pem(pem).with_required_pq_tls()))
            .unwrap();
    strict.fill(&mut buf).unwrap();

    let metrics = pq_metrics(&base, &ca);
    let scrape = |s: &str| qrngdd::metrics::scrape(&metrics, s).unwrap();
    // The collector's, the two clients' and this scrape's handshakes; none classical, none failed.
    assert!(scrape("qrngdd_tls_handshakes_total{group=\"X25519MLKEM768\"}") >= 4.0);
    assert_eq!(scrape("qrngdd_tls_handshakes_total{group=\"classical\"}"), 0.0);
    assert_eq!(scrape("qrngdd_tls_handshake_failures_total"), 0.0);

    // The collector's provider (push and Quantis appliance clients): TLS 1.3 suites only too.
    let collector = qrngdd::tls::crypto_provider(false);
    assert!(collector.cipher_suites.iter().all(|s| s.version() == &rustls::version::TLS13));
    assert_eq!(collector.kx_groups[0].name(), rustls::NamedGroup::X25519MLKEM768);
    // The client's provider: TLS 1.3 suites only, X25519MLKEM768 first.
    let p = qres::entropy::qrngdd_tls_crypto_provider(false);
    assert!(p.cipher_suites.iter().all(|s| s.version() == &rustls::version::TLS13));
    assert_eq!(p.kx_groups[0].name(), rustls::NamedGroup::X25519MLKEM768);
    let handshake = connect(gw.addr.port(), &ca, p, &[&rustls::version::TLS13]).unwrap();
    assert_eq!(handshake.negotiated_key_exchange_group().unwrap().name(), rustls::NamedGroup::X25519MLKEM768);
}

/// A TLS 1.3 server offering only the classical group X25519 (ring's provider), with the test
/// certificate; it answers every request 401. Returns its port and the count of completed handshakes.
fn classical_only_server(dir: &std::path::Path) -> (u16, Arc<std::sync::atomic::AtomicU64>) {
    use std::io::{Read, Write};
    let provider = rustls::crypto::CryptoProvider {
        kx_groups: vec![rustls::crypto::ring::kx_group::X25519],
        ..rustls::crypto::ring::default_provider()
    };
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            qrngdd::tls::load_certs(&dir.join("cert.pem")).unwrap(),
            qrngdd::tls::load_key(&dir.join("key.pem")).unwrap(),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let count = handshakes.clone();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else { continue };
            let mut tls = rustls::StreamOwned::new(conn, sock);
            let mut handshaken = true;
            while tls.conn.is_handshaking() {
                if tls.conn.complete_io(&mut tls.sock).is_err() {
                    handshaken = false;
                    break;
                }
            }
            if !handshaken {
                continue;
            }
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && tls.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let _ = tls.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = tls.flush();
        }
    });
    (port, handshakes)
}

/// `with_required_pq_tls()` refuses a server that offers only classical key exchange (X25519): no
/// handshake completes; the same client without it connects (and gets the server's 401).
#[test]
fn required_pq_tls_refuses_a_classical_only_server() {
    use std::sync::atomic::Ordering;
    let dir = scratch("pq-tls-classical-server");
    write_test_pki(&dir);
    let (port, handshakes) = classical_only_server(&dir);
    let base = format!("https://localhost:{port}");
    let pem = std::fs::read(dir.join("ca.pem")).unwrap();
    let config = || {
        QrngDdConfig::new(&base, API_KEY).with_ca_pem(pem.clone()).with_retries(
            0,
            Duration::from_millis(1),
            Duration::from_millis(1),
        )
    };
    let mut buf = [0u8; 64];

    let mut strict = QrngDdSource::new(config().with_required_pq_tls()).unwrap();
    let e = strict.fill(&mut buf).unwrap_err().to_string();
    assert!(e.contains("request failed"), "the strict client must fail in the TLS handshake: {e}");
    assert!(!e.contains("401"), "the strict client must not reach HTTP: {e}");
    assert_eq!(handshakes.load(Ordering::SeqCst), 0, "a classical handshake completed: {e}");

    // The control: the server works, and a client that allows classical groups gets through TLS.
    let mut lenient = QrngDdSource::new(config()).unwrap();
    let e = lenient.fill(&mut buf).unwrap_err().to_string();
    assert!(e.contains("401"), "{e}");
    assert_eq!(handshakes.load(Ordering::SeqCst), 1);
}
