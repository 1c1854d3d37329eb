//! The QRNG-DD packet decoder and verifier on arbitrary bodies: never panic; whatever decodes re-encodes
//! to a body that decodes to the same packet; verification and the sequence guard only ever refuse with a
//! typed error, and a body signed under the key verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::qrngdd::{EntropyPacket, HmacKey, PacketVerifier, SequenceGuard, VerifierConfig};

const NOW: i64 = 1_700_000_000_000_000_000;

fuzz_target!(|data: &[u8]| {
    let key = HmacKey::new(&[7u8; 32]).unwrap();
    let config = VerifierConfig { max_body: 1 << 16, ..VerifierConfig::default() };
    let verifier = PacketVerifier::new(vec![key.clone()], config.clone()).unwrap();
    let mut guard = SequenceGuard::new(NOW - 3_600_000_000_000, &config);
    if let Ok(p) = EntropyPacket::decode(data) {
        let again = EntropyPacket::decode(&p.encode().unwrap()).unwrap();
        assert_eq!((again.sequence, again.timestamp_ns, again.checksum), (p.sequence, p.timestamp_ns, p.checksum));
        assert_eq!((&again.data[..], &again.signature[..], again.id), (&p.data[..], &p.signature[..], p.id));
    }
    if let Ok(v) = verifier.verify(data, NOW) {
        let _ = guard.admit(&v, NOW);
    }
    // The fuzz input as a payload: signed under the key, it verifies and is admitted once.
    if !data.is_empty() && data.len() < 4096 {
        let body = EntropyPacket::sign(&key, 1, data.to_vec(), NOW).unwrap().encode().unwrap();
        let v = verifier.verify(&body, NOW).unwrap();
        let mut fresh = SequenceGuard::new(NOW - 3_600_000_000_000, &config);
        fresh.admit(&v, NOW).unwrap();
        assert!(fresh.admit(&v, NOW).is_err());
    }
});
