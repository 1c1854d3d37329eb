//! One test per attack of the QRNG-DD security analysis, against the real gateway process: each is
//! refused with the right status, counted in /metrics, logged as an audit event, and the honest client
//! still receives exactly the honest collector's bytes.

mod common;
use common::*;
use qres::qrngdd::{EntropyPacket, unix_nanos_now};
use std::time::Duration;

const S: i64 = 1_000_000_000;

/// Pushes honest data (counters from `start`) and returns it.
fn honest(gw: &Gateway, seq: u64, start: u64) -> Vec<u8> {
    let data = counters(start, 64);
    assert_eq!(gw.push_now(&key(KEY_A), seq, &data).0, 200);
    data
}

/// The honest client drains the buffer and must get exactly `expected`, then 503.
fn client_gets_exactly(gw: &Gateway, expected: &[u8]) {
    let (s, got) = gw.random(expected.len());
    assert_eq!(s, 200);
    assert_eq!(got, expected, "the honest client's bytes were disturbed");
    assert_eq!(gw.random(1).0, 503, "nothing beyond the honest bytes may be buffered");
}

fn audit(gw: &Gateway, reason: &str) -> String {
    gw.proc.wait_log(
        &["qrngdd::audit", &format!("\"reason\":\"{reason}\""), "\"peer\":\"127.0.0.1:"],
        Duration::from_secs(5),
    )
}

#[test]
fn replayed_packet() {
    let gw = Gateway::default();
    let data = counters(0, 64);
    let body = EntropyPacket::sign(&key(KEY_A), 7, data.clone(), unix_nanos_now()).unwrap().encode().unwrap();
    assert_eq!(gw.push_body(&body).0, 200);
    let (status, text) = gw.push_body(&body);
    assert_eq!(status, 409, "{text}");
    assert_eq!(gw.rejected("sequence"), 1.0);
    assert!(audit(&gw, "sequence").contains("\"sequence\":7"));
    // The replay stored nothing: the client sees the bytes once.
    client_gets_exactly(&gw, &data);
    // A replay after the bytes were served is refused too (they are never served twice).
    assert_eq!(gw.push_body(&body).0, 409);
    assert_eq!(gw.random(1).0, 503);
}

#[test]
fn older_sequence() {
    let gw = Gateway::default();
    let data = honest(&gw, 10, 0);
    let (status, _) = gw.push_now(&key(KEY_A), 9, &counters(1000, 64));
    assert_eq!(status, 409);
    assert_eq!(gw.push_now(&key(KEY_A), 10, &counters(2000, 64)).0, 409);
    assert_eq!(gw.rejected("sequence"), 2.0);
    assert!(audit(&gw, "sequence").contains("\"sequence\":9"));
    client_gets_exactly(&gw, &data);
}

#[test]
fn stale_timestamp() {
    let gw = Gateway::default();
    let data = honest(&gw, 1, 0);
    let (status, text) = gw.push(&key(KEY_A), 2, &counters(1000, 64), unix_nanos_now() - 301 * S);
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("stale"), "{text}");
    assert_eq!(gw.rejected("stale"), 1.0);
    assert!(audit(&gw, "stale").contains("\"sequence\":2"));
    client_gets_exactly(&gw, &data);
}

#[test]
fn future_timestamp() {
    let gw = Gateway::default();
    let data = honest(&gw, 1, 0);
    let (status, _) = gw.push(&key(KEY_A), 2, &counters(1000, 64), unix_nanos_now() + 120 * S);
    assert_eq!(status, 400);
    assert_eq!(gw.rejected("future"), 1.0);
    audit(&gw, "future");
    client_gets_exactly(&gw, &data);
    // The refused future packet did not advance the sequence: seq 2 is still free for the honest
    // collector.
    assert_eq!(gw.push_now(&key(KEY_A), 2, &counters(5000, 1)).0, 200);
}

#[test]
fn bad_hmac() {
    let gw = Gateway::default();
    let data = honest(&gw, 1, 0);
    // Signed with a key the gateway does not hold.
    assert_eq!(gw.push_now(&key(KEY_B), 2, &counters(1000, 64)).0, 401);
    // A valid packet whose payload was altered (and its CRC fixed up).
    let mut p = EntropyPacket::sign(&key(KEY_A), 3, counters(2000, 64), unix_nanos_now()).unwrap();
    p.data[0] ^= 0xff;
    p.checksum = Some(crc32fast::hash(&p.data));
    assert_eq!(gw.push_body(&p.encode().unwrap()).0, 401);
    // A forged sequence number on a valid packet.
    let mut p = EntropyPacket::sign(&key(KEY_A), 4, counters(3000, 64), unix_nanos_now()).unwrap();
    p.sequence = 1_000_000;
    assert_eq!(gw.push_body(&p.encode().unwrap()).0, 401);
    assert_eq!(gw.rejected("hmac"), 3.0);
    assert_eq!(gw.metric("qrngdd_hmac_failures_total"), 3.0);
    audit(&gw, "hmac");
    client_gets_exactly(&gw, &data);
}

#[test]
fn bad_crc() {
    let gw = Gateway::default();
    let data = honest(&gw, 1, 0);
    let mut p = EntropyPacket::sign(&key(KEY_A), 2, counters(1000, 64), unix_nanos_now()).unwrap();
    p.checksum = Some(p.checksum.unwrap().wrapping_add(1));
    let (status, text) = gw.push_body(&p.encode().unwrap());
    assert_eq!(status, 400, "{text}");
    assert_eq!(gw.rejected("checksum"), 1.0);
    assert!(audit(&gw, "checksum").contains("\"sequence\":2"));
    client_gets_exactly(&gw, &data);
}

#[test]
fn oversized_body() {
    let mut env = gateway_env();
    env.push(("QRNG_MAX_PUSH_BYTES", "4096".into()));
    let gw = Gateway::start(&env);
    let data = honest(&gw, 1, 0);
    // Declared length over the limit: refused before the body is read.
    let big = EntropyPacket::sign(&key(KEY_A), 2, vec![0x5a; 5000], unix_nanos_now()).unwrap().encode().unwrap();
    assert_eq!(gw.push_body(&big).0, 413);
    // Chunked (no declared length): refused while reading.
    let mut r = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
        .post(&gw.push_url())
        .header("Content-Type", "application/msgpack")
        .send(ureq::SendBody::from_reader(&mut &big[..]))
        .unwrap();
    assert_eq!(r.status().as_u16(), 413, "{}", r.body_mut().read_to_string().unwrap_or_default());
    assert_eq!(gw.rejected("too_large"), 2.0);
    audit(&gw, "too_large");
    client_gets_exactly(&gw, &data);
}

#[test]
fn malformed_msgpack() {
    let gw = Gateway::default();
    let data = honest(&gw, 1, 0);
    let good = EntropyPacket::sign(&key(KEY_A), 2, counters(1000, 64), unix_nanos_now()).unwrap().encode().unwrap();
    for body in [&b"{\"json\": true}"[..], &[0xc1], &good[..good.len() - 3], &[0x93, 0x01, 0x02, 0x03]] {
        assert_eq!(gw.push_body(body).0, 400);
    }
    assert_eq!(gw.rejected("malformed"), 4.0);
    audit(&gw, "malformed");
    client_gets_exactly(&gw, &data);
}

#[test]
fn wrong_content_type() {
    let gw = Gateway::default();
    let data = honest(&gw, 1, 0);
    let body = EntropyPacket::sign(&key(KEY_A), 2, counters(1000, 64), unix_nanos_now()).unwrap().encode().unwrap();
    for ct in ["application/json", "application/octet-stream", "text/plain"] {
        assert_eq!(post(&gw.push_url(), ct, &body).0, 415);
    }
    assert_eq!(gw.rejected("content_type"), 3.0);
    audit(&gw, "content_type");
    // The refused packet consumed nothing: the same packet with the right type is accepted.
    assert_eq!(gw.push_body(&body).0, 200);
    let mut expected = data;
    expected.extend(counters(1000, 64));
    client_gets_exactly(&gw, &expected);
}

#[test]
fn missing_or_wrong_api_key() {
    let gw = Gateway::default();
    let data = honest(&gw, 1, 0);
    let url = format!("{}/api/random?bytes=32&encoding=binary", gw.base);
    assert_eq!(get(&url, None).0, 401);
    assert_eq!(get(&url, Some("wrong-key-0123456789")).0, 401);
    assert_eq!(get(&format!("{url}&api_key=wrong-key-0123456789"), None).0, 401);
    assert_eq!(get(&format!("{}/api/status", gw.base), None).0, 401);
    assert_eq!(get(&format!("{}/api/integers?count=3", gw.base), Some("test-api-key-012345678")).0, 401);
    assert_eq!(gw.metric("qrngdd_requests_rejected_total{reason=\"missing_api_key\"}"), 2.0);
    assert_eq!(gw.metric("qrngdd_requests_rejected_total{reason=\"bad_api_key\"}"), 3.0);
    audit(&gw, "bad_api_key");
    audit(&gw, "missing_api_key");
    // The key also works as a query parameter (as in the public API).
    let (s, body) = get(&format!("{url}&api_key={API_KEY}"), None);
    assert_eq!((s, &body[..]), (200, &data[..32]));
    client_gets_exactly(&gw, &data[32..]);
}

#[test]
fn client_over_rate_limit() {
    let mut env = gateway_env();
    env.retain(|(k, _)| *k != "QRNG_RATE_LIMIT_PER_SECOND");
    env.push(("QRNG_RATE_LIMIT_PER_SECOND", "2".into()));
    let gw = Gateway::start(&env);
    let data = honest(&gw, 1, 0);
    let url = format!("{}/api/random?bytes=1&encoding=binary", gw.base);
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let (s, headers, body) = get_full(&url, Some(OTHER_API_KEY));
        match s {
            200 => got.extend(body),
            429 => {
                assert!(headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("retry-after") && v == "1"), "{headers:?}")
            }
            s => panic!("unexpected {s}"),
        }
        statuses.push(s);
    }
    // A burst of one second's worth (2) passes; then one token per 500 ms at most.
    let refills = (start.elapsed().as_millis() / 500) as usize;
    let passed = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(&statuses[..2], &[200, 200]);
    assert!(passed <= 2 + refills, "{statuses:?} in {:?}", start.elapsed());
    let limited = statuses.len() - passed;
    assert!(limited >= 1);
    assert_eq!(gw.metric("qrngdd_rate_limited_total"), limited as f64);
    audit(&gw, "rate_limited");
    // Another key is unaffected: the honest client gets the rest of the honest bytes.
    assert_eq!(&got[..], &data[..got.len()]);
    client_gets_exactly(&gw, &data[got.len()..]);
}

#[test]
fn push_that_does_not_fit_is_refused_whole() {
    let mut env = gateway_env();
    env.retain(|(k, _)| *k != "QRNG_BUFFER_SIZE");
    env.push(("QRNG_BUFFER_SIZE", "2048".into()));
    let gw = Gateway::start(&env);
    let first = counters(0, 200); // 1600 bytes
    assert_eq!(gw.push_now(&key(KEY_A), 1, &first).0, 200);
    let (status, text) = gw.push_now(&key(KEY_A), 2, &counters(1000, 100)); // 800 > 448 free
    assert_eq!(status, 507, "{text}");
    assert_eq!(gw.rejected("buffer_full"), 1.0);
    assert_eq!(gw.metric("qrngdd_buffer_bytes"), 1600.0);
    audit(&gw, "buffer_full");
    // Nothing of the refused packet was stored, and its sequence stays consumed: resending it later
    // cannot put its bytes in next to a re-signed copy.
    let (s, got) = gw.random(1600);
    assert_eq!((s, got), (200, first));
    assert_eq!(gw.push_now(&key(KEY_A), 2, &counters(1000, 100)).0, 409);
    assert_eq!(gw.random(1).0, 503);
}

#[test]
fn bad_client_parameters() {
    let gw = Gateway::default();
    let data = honest(&gw, 1, 0);
    for q in ["bytes=0", "bytes=65537", "bytes=x", "", "bytes=8&encoding=rot13"] {
        assert_eq!(get(&format!("{}/api/random?{q}", gw.base), Some(API_KEY)).0, 400, "{q}");
    }
    assert_eq!(get(&format!("{}/api/integers?count=2&min=5&max=5", gw.base), Some(API_KEY)).0, 400);
    assert_eq!(get(&format!("{}/api/uuid?count=101", gw.base), Some(API_KEY)).0, 400);
    assert_eq!(gw.metric("qrngdd_requests_rejected_total{reason=\"bad_request\"}"), 7.0);
    audit(&gw, "bad_request");
    client_gets_exactly(&gw, &data);
}
