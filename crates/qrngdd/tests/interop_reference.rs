//! Interoperability with an independent implementation of the public QRNG-DD wire format, in both
//! directions, run in CI.
//!
//! The public project itself cannot be built by CI (its source is not on crates.io; `tests/interop.rs`
//! runs against its real binaries when they are at hand). `tools/qrngdd-peer/peer.py` is a second,
//! independent implementation of its format (Python's `msgpack`, `hmac` and `zlib`, written from the
//! format's description) with a minimal gateway in the public gateway's manner. These tests check that
//! our codec's bytes re-encode identically there, that our collector's packets are accepted by that
//! gateway and our client reads from it, and that its packets are accepted by our gateway.
//!
//! The Python comes from `target/qrngdd-peer-venv` (`.ci/run` creates it from
//! `tools/qrngdd-peer/requirements.txt`) or `QRNGDD_PEER_PYTHON`. Without it the tests print a notice
//! and pass, except with CI=true, where they fail.

mod common;
use common::*;
use qres::entropy::{EntropySource, QrngDdConfig, QrngDdSource};
use qres::qrngdd::{EntropyPacket, PacketError, unix_nanos_now};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn peer_script() -> String {
    workspace_root().join("tools/qrngdd-peer/peer.py").display().to_string()
}

/// The Python with `msgpack`, or `None` (after a notice) when it is not installed outside CI.
fn python(test: &str) -> Option<String> {
    let candidate = std::env::var_os("QRNGDD_PEER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/qrngdd-peer-venv/bin/python"));
    if candidate.is_file() {
        return Some(candidate.display().to_string());
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("CI=true but {} is missing (see tools/qrngdd-peer/requirements.txt)", candidate.display());
    }
    eprintln!(
        "SKIPPED {test}: no {} (python3 -m venv + pip install -r tools/qrngdd-peer/requirements.txt)",
        candidate.display()
    );
    None
}

/// Runs `peer.py ARGS` with `stdin`, returning its standard output; panics on failure.
fn peer(py: &str, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(py)
        .arg(peer_script())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "peer.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The reference gateway on a free loopback port.
fn reference_gateway(py: &str) -> (Proc, String) {
    let script = peer_script();
    let p = Proc::spawn_args(
        "reference gateway",
        py,
        &[&script, "gateway", "--hmac-key", KEY_A, "--api-key", API_KEY, "--listen", "127.0.0.1:0"],
        &[],
    );
    let line = p.wait_log(&["reference gateway listening on"], Duration::from_secs(20));
    let addr = line.rsplit(' ').next().unwrap().to_owned();
    (p, format!("http://{addr}"))
}

fn stats(base: &str) -> serde_json::Value {
    let (s, body) = get(&format!("{base}/stats"), None);
    assert_eq!(s, 200);
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn our_codec_re_encodes_identically() {
    let Some(py) = python("our_codec_re_encodes_identically") else { return };
    let now = unix_nanos_now();
    let second = now - now % 1_000_000_000;
    // Every timestamp form (0, 3, 6, 9 fraction digits), sequence widths from fixint to u64, payload
    // sizes across the bin8/bin16/bin32 boundaries, with and without a checksum.
    let cases: [(u64, usize, i64, bool); 8] = [
        (0, 1, second, true),
        (127, 255, second + 120_000_000, true),
        (128, 256, second + 123_456_000, true),
        (65_535, 65_535, now, true),
        (65_536, 65_536, second + 7, true),
        (u32::MAX as u64 + 1, 70_000, now, false),
        (u64::MAX, 3, now, true),
        (42, 0, now, true),
    ];
    for (seq, len, ts, checksum) in cases {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let mut p = EntropyPacket::sign(&key(KEY_A), seq, data, ts).unwrap();
        if !checksum {
            p.checksum = None;
        }
        let out = peer(&py, &["reencode", "--hmac-key", KEY_A], &hex::encode(p.encode().unwrap()));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["identical"], true, "sequence {seq}, {len} bytes, ts {ts}: {out}");
        assert_eq!(v["sequence"].as_u64(), Some(seq));
        assert_eq!(v["data_len"].as_u64(), Some(len as u64));
    }
}

#[test]
fn our_codec_collector_and_client_with_the_reference_gateway() {
    let Some(py) = python("our_codec_collector_and_client_with_the_reference_gateway") else { return };
    let (gw, base) = reference_gateway(&py);
    let push = format!("{base}/push");

    // A packet from our codec is accepted and exactly its bytes are served.
    let data = counters(0, 512);
    let body = EntropyPacket::sign(&key(KEY_A), 0, data.clone(), unix_nanos_now()).unwrap().encode().unwrap();
    assert_eq!(post(&push, "application/msgpack", &body).0, 200, "{}", gw.dump());
    assert_eq!(get(&format!("{base}/api/random?bytes=4096&encoding=binary"), Some(API_KEY)), (200, data));

    // The reference is not a pushover: a wrong key and a wrong checksum are refused.
    let bad_key = EntropyPacket::sign(&key(KEY_B), 1, vec![1; 64], unix_nanos_now()).unwrap().encode().unwrap();
    assert_eq!(post(&push, "application/msgpack", &bad_key).0, 401);
    let mut p = EntropyPacket::sign(&key(KEY_A), 2, vec![2; 64], unix_nanos_now()).unwrap();
    p.checksum = p.checksum.map(|c| c ^ 1);
    assert_eq!(post(&push, "application/msgpack", &p.encode().unwrap()).0, 400);
    let s = stats(&base);
    assert_eq!((s["refused"]["hmac"].as_u64(), s["refused"]["checksum"].as_u64()), (Some(1), Some(1)));

    // Our collector pushes to it until 64 KiB are delivered; nothing is refused.
    let mut env = collector_env(&push, KEY_A);
    env.push(("QRNG_MAX_BYTES", "65536".into()));
    let mut c = collector(&env);
    assert!(c.wait_exit(Duration::from_secs(60)).success(), "{}", c.dump());
    assert!(!c.has_log(&["push refused"]), "{}", c.dump());
    let s = stats(&base);
    assert_eq!(s["refused"].as_object().unwrap().len(), 2, "new refusals: {s}");
    let seqs: Vec<u64> = s["sequences"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    assert!(seqs.len() >= 2 && seqs[1..].windows(2).all(|w| w[0] < w[1]), "collector sequences: {seqs:?}");
    assert!(s["accepted_bytes"].as_u64().unwrap() >= 512 + 65_536);

    // Our client reads what the collector delivered.
    let mut src = QrngDdSource::new(QrngDdConfig::new(&base, API_KEY).allow_plain_http()).unwrap();
    let mut buf = vec![0u8; 50_000];
    src.fill(&mut buf).unwrap();
    assert!(buf.iter().filter(|&&b| b == 0).count() < 1_000, "OS entropy should not be mostly zeros");
}

#[test]
fn reference_packets_to_our_gateway() {
    let Some(py) = python("reference_packets_to_our_gateway") else { return };
    let gw = Gateway::default();
    // A whole second after the gateway's start-up window: wait for the next one.
    let now = unix_nanos_now();
    let second = now - now % 1_000_000_000 + 1_000_000_000;
    std::thread::sleep(Duration::from_nanos((second - now) as u64 + 1_000_000));
    let now = unix_nanos_now();
    let mut expected = Vec::new();
    // Timestamps with 0, 3, 6 and 9 fraction digits; the last packet without a checksum.
    let stamps = [second, second + 250_000_000, second + 250_001_000, now];
    for (seq, ts) in stamps.iter().enumerate() {
        let data = counters(seq as u64 * 100, 64);
        let mut args = vec![
            "packet".to_owned(),
            "--hmac-key".into(),
            KEY_A.into(),
            "--sequence".into(),
            seq.to_string(),
            "--data-hex".into(),
            hex::encode(&data),
            "--ts-nanos".into(),
            ts.to_string(),
        ];
        if seq == 3 {
            args.push("--no-checksum".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let body = hex::decode(peer(&py, &args, "").trim()).unwrap();
        assert_eq!(gw.push_body(&body).0, 200, "packet {seq}: {}", gw.proc.dump());
        expected.extend(data);
        if seq == 0 {
            // Ours is stricter than the public gateway: the same packet again is a replay.
            assert_eq!(gw.push_body(&body).0, 409);
        }
    }
    assert_eq!(gw.random(expected.len()), (200, expected));
    assert_eq!(gw.rejected("sequence"), 1.0);

    // Signed under a key our gateway does not hold: refused as a bad HMAC.
    let body = peer(&py, &["packet", "--hmac-key", KEY_B, "--sequence", "9", "--data-hex", "00ff"], "");
    assert_eq!(gw.push_body(&hex::decode(body.trim()).unwrap()).0, 401);
    assert_eq!(gw.rejected("hmac"), 1.0);
    for r in PacketError::REASONS.iter().filter(|r| !["sequence", "hmac"].contains(r)) {
        assert_eq!(gw.rejected(r), 0.0, "reference packet refused for {r}:\n{}", gw.proc.dump());
    }
}
