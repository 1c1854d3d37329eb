//! QRNG-DD packet codec: golden bytes worked out by hand from the public format, decoding edge cases,
//! and every verification failure in its place in the order of checks.
#![cfg(feature = "qrng-dd-packet")]

use qres::qrngdd::{
    EntropyPacket, HmacKey, PacketError, PacketVerifier, SequenceGuard, VerifierConfig, format_timestamp,
    parse_timestamp,
};
use std::time::Duration;

/// 32-byte key 00 01 .. 1f.
fn key() -> HmacKey {
    HmacKey::new(&(0u8..32).collect::<Vec<_>>()).unwrap()
}

const TS: i64 = 1_700_000_000_123_456_789; // 2023-11-14T22:13:20.123456789Z

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The golden packet: version 1, id 00112233-4455-6677-8899-aabbccddeeff, sequence 42, data 01 02 03 04,
/// timestamp TS; signature and checksum computed independently (Python's `hmac` and `zlib.crc32`):
///
/// * signing input = 01 | 00000000 0000002a | 01020304 | 17979cfe 3d85cd15 (TS as i64 big-endian)
/// * HMAC-SHA256(00..1f, input) = 03e06ffc ce87ea33 8debc687 acc016ea e1e43a73 8ac8a0ea df560659 9fd25edf
/// * CRC-32(01020304) = 0xb63cfbcd
#[test]
fn golden_packet_bytes() {
    // fixarray of 7; version: positive fixint 1; id: bin8 of 16 bytes
    let mut expected = vec![0x97, 0x01, 0xc4, 0x10];
    expected.extend(hex("00112233445566778899aabbccddeeff"));
    expected.push(0x2a);
    expected.extend([0xc4, 0x04, 0x01, 0x02, 0x03, 0x04]);
    // timestamp: fixstr of 30 bytes (0xa0 | 30 = 0xbe)
    expected.push(0xbe);
    expected.extend(b"2023-11-14T22:13:20.123456789Z");
    // signature: bin8, 32 bytes
    expected.extend([0xc4, 0x20]);
    expected.extend(hex("03e06ffcce87ea338debc687acc016eae1e43a738ac8a0eadf5606599fd25edf"));
    // checksum: uint32 (0xce) 0xb63cfbcd
    expected.extend([0xce, 0xb6, 0x3c, 0xfb, 0xcd]);

    let mut p = EntropyPacket::sign(&key(), 42, vec![1, 2, 3, 4], TS).unwrap();
    assert_eq!(p.signature, hex("03e06ffcce87ea338debc687acc016eae1e43a738ac8a0eadf5606599fd25edf"));
    assert_eq!(p.checksum, Some(0xb63c_fbcd));
    p.id = hex("00112233445566778899aabbccddeeff").try_into().unwrap();
    assert_eq!(p.encode().unwrap(), expected);

    let d = EntropyPacket::decode(&expected).unwrap();
    assert_eq!((d.version, d.sequence, d.timestamp_ns, d.checksum), (1, 42, TS, Some(0xb63c_fbcd)));
    assert_eq!(&d.data[..], &[1, 2, 3, 4]);
    assert_eq!(d.id, p.id);
    assert_eq!(d.signature, p.signature);
}

#[test]
fn golden_large_sequence_millisecond_timestamp_no_checksum() {
    // sequence 2^32 needs uint64 (0xcf); a whole-millisecond timestamp has 3 fractional digits (24
    // characters: fixstr 0xb8); an absent checksum is nil (0xc0).
    let ts = 1_700_000_000_120_000_000;
    let mut p = EntropyPacket::sign(&key(), 1 << 32, vec![0xff], ts).unwrap();
    p.checksum = None;
    p.id = [0xab; 16];
    let bytes = p.encode().unwrap();
    let mut expected = vec![0x97, 0x01, 0xc4, 0x10];
    expected.extend([0xab; 16]);
    expected.extend(hex("cf 00000001 00000000"));
    expected.extend([0xc4, 0x01, 0xff]);
    expected.push(0xb8);
    expected.extend(b"2023-11-14T22:13:20.120Z");
    expected.extend([0xc4, 0x20]);
    expected.extend(&p.signature);
    expected.push(0xc0);
    assert_eq!(bytes, expected);
    let d = EntropyPacket::decode(&bytes).unwrap();
    assert_eq!((d.sequence, d.timestamp_ns, d.checksum), (1 << 32, ts, None));
}

#[test]
fn timestamp_formats() {
    assert_eq!(format_timestamp(TS), "2023-11-14T22:13:20.123456789Z");
    assert_eq!(format_timestamp(1_700_000_000_000_001_000), "2023-11-14T22:13:20.000001Z");
    assert_eq!(format_timestamp(1_700_000_000_000_000_000), "2023-11-14T22:13:20Z");
    assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999999999Z");
    // Offsets and any number of digits are accepted on input.
    assert_eq!(parse_timestamp("2023-11-15T00:13:20.123456789+02:00").unwrap(), TS);
    assert_eq!(parse_timestamp("2023-11-14T22:13:20.1234567891Z").unwrap(), TS);
    assert!(matches!(parse_timestamp("2023-11-14 22:13:20"), Err(PacketError::Malformed(_))));
    assert!(matches!(parse_timestamp("2300-01-01T00:00:00Z"), Err(PacketError::Malformed(_))));
}

#[test]
fn decode_accepts_map_form_and_wider_integers() {
    // The same golden packet as a map with field names and version as uint8 (0xcc 01): rmp-serde accepts
    // both, so we do too.
    let p = EntropyPacket::sign(&key(), 42, vec![1, 2, 3, 4], TS).unwrap();
    let mut m = vec![0x87];
    let mut field = |name: &str, value: &[u8]| {
        m.push(0xa0 | name.len() as u8);
        m.extend(name.as_bytes());
        m.extend(value);
    };
    field("version", &[0xcc, 0x01]);
    let mut id = vec![0xc4, 0x10];
    id.extend(p.id);
    field("id", &id);
    field("sequence", &[0xcd, 0x00, 0x2a]);
    field("data", &[0xc4, 0x04, 1, 2, 3, 4]);
    let mut ts = vec![0xbe];
    ts.extend(b"2023-11-14T22:13:20.123456789Z");
    field("timestamp", &ts);
    let mut sig = vec![0xc4, 0x20];
    sig.extend(&p.signature);
    field("signature", &sig);
    field("checksum", &[0xce, 0xb6, 0x3c, 0xfb, 0xcd]);
    let d = EntropyPacket::decode(&m).unwrap();
    assert_eq!((d.sequence, d.timestamp_ns), (42, TS));
    let v = PacketVerifier::new(vec![key()], VerifierConfig::default()).unwrap();
    v.verify(&m, TS).unwrap();
}

#[test]
fn decode_refuses_malformed_input() {
    let good = EntropyPacket::sign(&key(), 1, vec![9; 8], TS).unwrap().encode().unwrap();
    let malformed = |b: &[u8]| matches!(EntropyPacket::decode(b), Err(PacketError::Malformed(_)));
    assert!(malformed(&[]));
    assert!(malformed(&[0xc1])); // never-used marker
    assert!(malformed(&good[..good.len() - 1])); // truncated
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(malformed(&trailing));
    let mut six = good.clone();
    six[0] = 0x96; // array of 6: the checksum is then read as trailing data / missing
    assert!(malformed(&six));
    let mut eight = good.clone();
    eight[0] = 0x98;
    eight.push(0xc0);
    assert!(malformed(&eight));
    let mut short_id = good.clone();
    short_id[3] = 0x0f; // bin8 of 15: the rest is shifted and no longer parses as a packet
    assert!(malformed(&short_id));
    // A bin32 length far beyond the body allocates nothing and fails.
    let mut huge = vec![0x97, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff];
    huge.extend([0u8; 8]);
    assert!(malformed(&huge));
    // Empty payload.
    let mut p = EntropyPacket::sign(&key(), 1, vec![1], TS).unwrap();
    p.data = Default::default();
    assert!(malformed(&p.encode().unwrap()));
    // Other versions.
    let mut v2 = good.clone();
    v2[1] = 0x02;
    assert_eq!(EntropyPacket::decode(&v2).unwrap_err(), PacketError::UnsupportedVersion(2));
}

fn verifier() -> PacketVerifier {
    PacketVerifier::new(vec![key()], VerifierConfig::default()).unwrap()
}

#[test]
fn verification_order_and_reasons() {
    let v = verifier();
    let good = EntropyPacket::sign(&key(), 5, vec![7; 100], TS).unwrap();

    // 1. size before anything else (even garbage of the wrong size is "too large", not "malformed").
    let big = vec![0xc1; v.config().max_body + 1];
    assert!(matches!(v.verify(&big, TS), Err(PacketError::TooLarge { .. })));
    // 2. decoding.
    assert!(matches!(v.verify(b"not msgpack", TS), Err(PacketError::Malformed(_))));
    // 3. CRC before HMAC: a wrong checksum with a wrong signature reports the checksum.
    let mut p = good.clone();
    p.checksum = Some(p.checksum.unwrap() ^ 1);
    p.signature[0] ^= 1;
    assert_eq!(v.verify(&p.encode().unwrap(), TS).unwrap_err(), PacketError::ChecksumMismatch);
    // 4. HMAC before time: a bad signature on a stale packet reports the signature.
    let mut p = good.clone();
    p.signature[31] ^= 0x80;
    assert_eq!(v.verify(&p.encode().unwrap(), TS + 3_600_000_000_000).unwrap_err(), PacketError::BadSignature);
    let mut p = good.clone();
    p.signature.truncate(16); // a truncated tag is refused (the Mac trait would accept 16 bytes)
    assert_eq!(v.verify(&p.encode().unwrap(), TS).unwrap_err(), PacketError::BadSignature);
    // Tampered payload with a fixed-up CRC: the HMAC catches it.
    let mut p = good.clone();
    p.data[0] ^= 1;
    p.checksum = Some(crc32fast_hash(&p.data));
    assert_eq!(v.verify(&p.encode().unwrap(), TS).unwrap_err(), PacketError::BadSignature);
    // 5. time.
    let body = good.encode().unwrap();
    let s = 1_000_000_000i64;
    assert!(v.verify(&body, TS + 300 * s).is_ok());
    assert_eq!(v.verify(&body, TS + 301 * s).unwrap_err().reason(), "stale");
    assert!(v.verify(&body, TS - 60 * s).is_ok());
    assert_eq!(v.verify(&body, TS - 61 * s).unwrap_err().reason(), "future");
    assert_eq!(v.verify(&body, TS).unwrap().key, key().fingerprint());
}

/// CRC-32 (IEEE, reflected, polynomial 0xEDB88320), written out so the test does not trust the codec's
/// own dependency.
fn crc32fast_hash(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn any_configured_key_verifies_and_is_identified() {
    let old = key();
    let new = HmacKey::from_hex(&"ab".repeat(32)).unwrap();
    let both = PacketVerifier::new(vec![old.clone(), new.clone()], VerifierConfig::default()).unwrap();
    let only_new = PacketVerifier::new(vec![new.clone()], VerifierConfig::default()).unwrap();
    let p_old = EntropyPacket::sign(&old, 1, vec![1; 32], TS).unwrap().encode().unwrap();
    let p_new = EntropyPacket::sign(&new, 1, vec![1; 32], TS).unwrap().encode().unwrap();
    assert_eq!(both.verify(&p_old, TS).unwrap().key, old.fingerprint());
    assert_eq!(both.verify(&p_new, TS).unwrap().key, new.fingerprint());
    assert_eq!(only_new.verify(&p_old, TS).unwrap_err(), PacketError::BadSignature);
    assert_ne!(old.fingerprint(), new.fingerprint());
    // Keys: hex only, at least 16 bytes, and never shown by Debug.
    assert!(HmacKey::from_hex("secret123").is_err());
    assert!(HmacKey::from_hex(&"00".repeat(15)).is_err());
    assert!(HmacKey::list_from_hex(" , ").is_err());
    assert_eq!(HmacKey::list_from_hex(&format!("{}, {}", "11".repeat(32), "22".repeat(16))).unwrap().len(), 2);
    assert!(!format!("{new:?}").contains("abab"));
}

#[test]
fn sequence_guard() {
    let s = 1_000_000_000i64;
    let cfg = VerifierConfig { max_skew: Duration::from_secs(60), ttl: Duration::from_secs(300), ..Default::default() };
    let v = verifier();
    let start = TS - 120 * s;
    let mut g = SequenceGuard::new(start, &cfg);
    let packet = |seq: u64, ts: i64| {
        v.verify(&EntropyPacket::sign(&key(), seq, vec![3; 16], ts).unwrap().encode().unwrap(), ts).unwrap()
    };

    // Signed before start + skew: could have been accepted by a previous run.
    assert_eq!(g.admit(&packet(1, start + 59 * s), TS).unwrap_err(), PacketError::PredatesStart);
    g.admit(&packet(10, TS), TS).unwrap();
    assert_eq!(g.admit(&packet(10, TS), TS).unwrap_err(), PacketError::Replayed { sequence: 10, last: 10 });
    assert_eq!(g.admit(&packet(9, TS + s), TS + s).unwrap_err().reason(), "sequence");
    g.admit(&packet(11, TS + s), TS + s).unwrap();
    assert_eq!(g.last_sequence(&key().fingerprint()), Some(11));
    // A collector restarting at 0 while its stream is active is refused ...
    assert!(g.admit(&packet(0, TS + 2 * s), TS + 2 * s).is_err());
    // ... and accepted once the key was silent for longer than TTL + skew (every earlier packet is stale).
    let later = TS + s + 361 * s;
    g.admit(&packet(0, later), later).unwrap();
    assert_eq!(g.last_sequence(&key().fingerprint()), Some(0));
    // Without the idle reset, it stays refused.
    let strict = VerifierConfig { reset_after_idle: false, ..cfg };
    let mut g = SequenceGuard::new(start, &strict);
    g.admit(&packet(5, TS), TS).unwrap();
    assert!(g.admit(&packet(0, TS + 1000 * s), TS + 1000 * s).is_err());
}

#[test]
fn debug_hides_payload() {
    let p = EntropyPacket::sign(&key(), 1, vec![0x5a; 4], TS).unwrap();
    let d = format!("{p:?}");
    assert!(d.contains("data_len: 4") && !d.contains("90"), "{d}");
    let s = format!("{:?}", p.signing_input_parts());
    assert!(s.contains("data_len: 4") && !s.contains("90, 90"), "{s}");
}
