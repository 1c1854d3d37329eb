//! Operability (issue 14, item 7): the histograms and the sequence-gap counter on a live gateway's
//! `/metrics`, the alert rules of `deploy/qrngdd/alerts.yml` against those metric names (and through
//! `promtool` where installed), and the systemd units of `deploy/qrngdd/`.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/qrngdd")
}

/// Whether a tool is on PATH; under `CI=true` a missing tool fails the test (`.ci/run` installs it).
fn have(tool: &str) -> bool {
    let found =
        Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{tool} is required in CI");
        eprintln!("SKIPPED part of the test: {tool} is not installed");
    }
    found
}

#[test]
fn metrics_have_latency_and_push_size_histograms_and_sequence_gaps() {
    let gw = Gateway::default();
    let k = key(KEY_A);
    assert_eq!(gw.push_now(&k, 10, &counters(0, 512)).0, 200);
    assert_eq!(gw.push_now(&k, 11, &counters(512, 512)).0, 200);
    assert_eq!(gw.metric("qrngdd_sequence_gaps_total"), 0.0);
    // Sequence 12 and 13 never arrive.
    assert_eq!(gw.push_now(&k, 14, &counters(1024, 32)).0, 200);
    assert_eq!(gw.metric("qrngdd_sequence_gaps_total"), 1.0);
    for _ in 0..20 {
        assert_eq!(gw.random(32).0, 200);
    }
    let (s, _) = get(&format!("{}/api/status", gw.base), Some(API_KEY));
    assert_eq!(s, 200);

    let m = gw.metrics();
    let scrape = |s: &str| qrngdd::metrics::scrape(&m, s).unwrap_or_else(|| panic!("no series {s} in:\n{m}"));
    assert_eq!(scrape("qrngdd_request_duration_seconds_count{route=\"/api/random\"}"), 20.0);
    assert_eq!(scrape("qrngdd_request_duration_seconds_count{route=\"/push\"}"), 3.0);
    assert_eq!(scrape("qrngdd_request_duration_seconds_count{route=\"/api/status\"}"), 1.0);
    // Every request took less than 10 s, and some time.
    assert_eq!(scrape("qrngdd_request_duration_seconds_bucket{route=\"/api/random\",le=\"10\"}"), 20.0);
    assert!(scrape("qrngdd_request_duration_seconds_sum{route=\"/api/random\"}") > 0.0);
    // Two pushes of 4,096 bytes and one of 256.
    assert_eq!(scrape("qrngdd_push_size_bytes_count"), 3.0);
    assert_eq!(scrape("qrngdd_push_size_bytes_sum"), 8448.0);
    assert_eq!(scrape("qrngdd_push_size_bytes_bucket{le=\"256\"}"), 1.0);
    assert_eq!(scrape("qrngdd_push_size_bytes_bucket{le=\"4096\"}"), 3.0);
    // The counters are still there.
    assert_eq!(scrape("qrngdd_push_accepted_total"), 3.0);
    assert_eq!(scrape("qrngdd_bytes_in_total"), 8448.0);
}

/// Every metric an alert rule uses exists in a live gateway's `/metrics`, and the rules pass
/// `promtool check rules` and their unit tests (`promtool test rules`).
#[test]
fn alert_rules_use_real_metrics_and_pass_promtool() {
    let rules_path = deploy_dir().join("alerts.yml");
    let rules = std::fs::read_to_string(&rules_path).unwrap();
    let exprs: Vec<&str> = rules.lines().filter_map(|l| l.trim_start().strip_prefix("expr:")).map(str::trim).collect();
    assert_eq!(exprs.len(), 4, "the four alerts of the security analysis");
    let gw = Gateway::default();
    let metrics = gw.metrics();
    let exposed: std::collections::HashSet<&str> =
        metrics.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split(['{', ' ']).next()).collect();
    for expr in &exprs {
        let mut names = Vec::new();
        let mut rest = *expr;
        while let Some(i) = rest.find("qrngdd_") {
            let tail = &rest[i..];
            let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
            names.push(&tail[..end]);
            rest = &tail[end..];
        }
        assert!(!names.is_empty(), "no qrngdd metric in {expr}");
        for name in names {
            assert!(exposed.contains(name), "alert expression {expr:?} uses {name}, which /metrics does not expose");
        }
    }
    if have("promtool") {
        for args in [["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]] {
            let out = Command::new("promtool").args(args).current_dir(deploy_dir()).output().unwrap();
            assert!(
                out.status.success(),
                "promtool {args:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The units carry the hardening, the collector may bind no port, and `systemd-analyze verify` finds
/// nothing to say about them (with the binaries of this build in place of `/usr/local/bin`).
#[test]
fn systemd_units_are_hardened_and_verify() {
    let units = [
        ("qrngdd-gateway.service", env!("CARGO_BIN_EXE_qrngdd-gateway")),
        ("qrngdd-collector.service", env!("CARGO_BIN_EXE_qrngdd-collector")),
    ];
    let dir = scratch("units");
    for (unit, bin) in units {
        let text = std::fs::read_to_string(deploy_dir().join(unit)).unwrap();
        let settings: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        for needed in [
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
            "SocketBindDeny=any",
            "CapabilityBoundingSet=",
        ] {
            assert!(settings.contains(&needed), "{unit} lacks {needed}");
        }
        let allows_bind = settings.iter().any(|l| l.starts_with("SocketBindAllow="));
        assert_eq!(allows_bind, unit.contains("gateway"), "{unit}: only the gateway may bind a port");
        assert!(!settings.iter().any(|l| l.starts_with("ListenStream=")), "{unit}: no socket activation");
        let installed =
            text.replace(&format!("/usr/local/bin/{}", Path::new(bin).file_name().unwrap().to_str().unwrap()), bin);
        std::fs::write(dir.join(unit), installed).unwrap();
    }
    if have("systemd-analyze") {
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .args(units.iter().map(|(u, _)| dir.join(u)))
            .output()
            .unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify:\n{said}");
    }
}
