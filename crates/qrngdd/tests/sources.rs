//! Collector sources with real processes: Quantis appliances over HTTPS with a private CA (raw and JSON
//! answers, two mixed), a stuck appliance stopped by the health tests, and a Quantis device (a FIFO fed by
//! the test, since no device is present).

mod common;
use common::*;
use qres::entropy::{EntropySource, Monitored, QuantisDevice};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn appliance_collector(gw: &Gateway, urls: &[&str], ca: &std::path::Path, mixing: &str) -> Proc {
    let mut env = collector_env(&gw.push_url(), KEY_A);
    env.retain(|(k, _)| *k != "QRNG_ENTROPY_SOURCES");
    env.push(("QRNG_APPLIANCE_URLS", urls.join(",")));
    env.push(("QRNG_APPLIANCE_CA_FILE", ca.display().to_string()));
    env.push(("QRNG_MIXING_STRATEGY", mixing.into()));
    env.push(("QRNG_MAX_BYTES", "32768".into()));
    collector(&env)
}

#[test]
fn quantis_appliances_over_https_with_private_ca_mixed() {
    let dir = scratch("appliance");
    write_test_pki(&dir);
    let (cert, key_file, ca) = (dir.join("cert.pem"), dir.join("key.pem"), dir.join("ca.pem"));
    let raw = MockAppliance::start(Some((&cert, &key_file)), ApplianceMode::default());
    let json = MockAppliance::start(Some((&cert, &key_file)), ApplianceMode { json: true, ..Default::default() });
    let gw = Gateway::default();

    // One appliance, base URL form (the path is appended).
    let mut c = appliance_collector(&gw, &[&raw.base], &ca, "none");
    assert!(c.wait_exit(Duration::from_secs(30)).success(), "{}", c.dump());
    assert!(raw.requests.load(Ordering::Relaxed) >= 8);

    // Two appliances (one answering JSON, given with the full path), mixed both ways.
    for mixing in ["xor", "hkdf"] {
        let before = gw.metric("qrngdd_bytes_in_total");
        let full = format!("{}/api/2.0/streambytes", json.base);
        let mut c = appliance_collector(&gw, &[&raw.base, &full], &ca, mixing);
        assert!(c.wait_exit(Duration::from_secs(30)).success(), "{mixing}: {}", c.dump());
        assert!(gw.metric("qrngdd_bytes_in_total") >= before + 32768.0);
    }
    assert!(json.requests.load(Ordering::Relaxed) >= 16);

    // Without the private CA the appliance's certificate is refused: nothing is pushed.
    let mut env = collector_env(&gw.push_url(), KEY_A);
    env.retain(|(k, _)| *k != "QRNG_ENTROPY_SOURCES");
    env.push(("QRNG_APPLIANCE_URLS", raw.base.clone()));
    let c = collector(&env);
    c.wait_log(&["entropy source failed", "certificate"], Duration::from_secs(10));
}

#[test]
fn stuck_appliance_is_stopped_by_health_tests() {
    let stuck = MockAppliance::start(None, ApplianceMode { stuck: true, ..Default::default() });
    let gw = Gateway::default();
    let mut env = collector_env(&gw.push_url(), KEY_A);
    env.retain(|(k, _)| *k != "QRNG_ENTROPY_SOURCES");
    env.push(("QRNG_APPLIANCE_URLS", stuck.base.clone()));
    let mut c = collector(&env);
    let status = c.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(3), "{}", c.dump());
    assert!(c.has_log(&["repetition count"]));
    assert_eq!(gw.metric("qrngdd_bytes_in_total"), 0.0);
}

/// A FIFO fed with OS random bytes by a thread, until `n` bytes or the reader goes away.
fn feed_fifo(path: &std::path::Path, n: usize) -> std::thread::JoinHandle<usize> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let mut sent = 0;
        let mut chunk = vec![0u8; 1000];
        while sent < n {
            getrandom::fill(&mut chunk).unwrap();
            let k = chunk.len().min(n - sent);
            if f.write_all(&chunk[..k]).is_err() {
                break;
            }
            sent += k;
        }
        sent
    })
}

fn mkfifo(path: &std::path::Path) {
    let s = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo (coreutils)");
    assert!(s.success());
}

#[test]
fn quantis_device_reads_a_fifo() {
    let dir = scratch("fifo");
    let path = dir.join("qrandom0");
    mkfifo(&path);
    let feeder = feed_fifo(&path, 10_000);
    let mut dev = Monitored::new(QuantisDevice::open(&path).unwrap()).unwrap();
    assert_eq!(dev.name(), format!("quantis:{}", path.display()));
    let mut buf = vec![0u8; 8000];
    dev.fill(&mut buf).unwrap(); // 1,024 start-up bytes + 8,000
    assert!(buf.iter().any(|&b| b != 0));
    // The writer stops after 10,000 bytes: the next read reaches end of stream and fails cleanly.
    assert_eq!(feeder.join().unwrap(), 10_000);
    let mut more = vec![0xaau8; 2000];
    let e = dev.fill(&mut more).unwrap_err();
    assert!(e.to_string().contains("end of stream"), "{e}");
    assert!(more.iter().all(|&b| b == 0));
    // Regular files are refused (they would replay the same bytes).
    let file = dir.join("not-a-device");
    std::fs::write(&file, [1u8; 64]).unwrap();
    assert!(QuantisDevice::open(&file).unwrap_err().to_string().contains("not a character device"));
    assert!(QuantisDevice::open(dir.join("missing")).is_err());
}

#[test]
fn collector_with_a_quantis_device() {
    let dir = scratch("fifo-collector");
    let path = dir.join("qrandom0");
    mkfifo(&path);
    let gw = Gateway::default();
    let feeder = feed_fifo(&path, 1 << 20);
    let mut env = collector_env(&gw.push_url(), KEY_A);
    env.retain(|(k, _)| *k != "QRNG_ENTROPY_SOURCES");
    env.push(("QRNG_QUANTIS_DEVICES", path.display().to_string()));
    env.push(("QRNG_MAX_BYTES", "65536".into()));
    let mut c = collector(&env);
    assert!(c.wait_exit(Duration::from_secs(30)).success(), "{}", c.dump());
    assert!(gw.metric("qrngdd_bytes_in_total") >= 65536.0);
    // The collector is gone; the feeder's writes fail and it stops.
    assert!(feeder.join().unwrap() >= 65536);
}
