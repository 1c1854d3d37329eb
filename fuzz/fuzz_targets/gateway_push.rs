//! The gateway's push decision (`qrngdd::gateway::decide_push`) on arbitrary bodies, and on bodies built
//! from the input (signed packets, possibly altered by one byte): never panic, and the verdict is
//! consistent: an acceptance is a 200 with no reason that stored exactly the packet's payload length; a
//! refusal has a reason and a non-200 status and stores nothing; the same body is never accepted twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::qrngdd::{EntropyPacket, HmacKey, PacketError, PacketVerifier, SequenceGuard, VerifierConfig};
use qrngdd::buffer::EntropyRing;
use qrngdd::config::OverflowPolicy;
use qrngdd::gateway::{Store, decide_push};
use qrngdd::metrics::PUSH_EXTRA_REASONS;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

const S: i64 = 1_000_000_000;
const NOW: i64 = 1_800_000_000 * S;

struct Fixture {
    key: HmacKey,
    config: VerifierConfig,
    verifier: PacketVerifier,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let key = HmacKey::new(&[7u8; 32]).unwrap();
        let config = VerifierConfig { max_body: 1 << 16, ..VerifierConfig::default() };
        let verifier = PacketVerifier::new(vec![key.clone()], config.clone()).unwrap();
        Fixture { key, config, verifier }
    })
}

/// Decides `body` and checks the verdict against the buffer; returns whether it was accepted.
fn decide_and_check(f: &Fixture, store: &Mutex<Store>, body: &[u8]) -> bool {
    let before = store.lock().unwrap().ring.len();
    let v = decide_push(body, &f.verifier, store, NOW, Instant::now());
    let after = store.lock().unwrap().ring.len();
    if v.accepted() {
        assert_eq!(v.status.as_u16(), 200);
        let packet = EntropyPacket::decode(body).expect("an accepted body decodes");
        assert_eq!(v.stored, packet.data.len());
        assert_eq!(after, before + v.stored - v.dropped);
        assert_eq!(v.sequence, Some(packet.sequence));
    } else {
        let reason = v.reason.unwrap();
        assert!(PacketError::REASONS.contains(&reason) || PUSH_EXTRA_REASONS.contains(&reason), "{reason}");
        assert_ne!(v.status.as_u16(), 200);
        assert_eq!((v.stored, v.dropped), (0, 0));
        assert_eq!(after, before, "a refusal stored something");
    }
    v.accepted()
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let capacity = 1024 + usize::from(data.first().copied().unwrap_or(0)) * 64;
    let store = Mutex::new(Store {
        ring: EntropyRing::new(capacity, None, OverflowPolicy::Discard),
        guard: SequenceGuard::new(NOW - 3_600 * S, &f.config),
    });
    // The raw input as a body.
    decide_and_check(f, &store, data);
    // A signed packet from the input: [mode, seq (2), age in s (2, signed), flip index (2), payload...].
    if data.len() >= 8 {
        let seq = u64::from(u16::from_le_bytes([data[1], data[2]]));
        let age = i64::from(i16::from_le_bytes([data[3], data[4]]));
        let payload = data[7..].to_vec();
        let Ok(p) = EntropyPacket::sign(&f.key, seq, payload, NOW - age * S) else { return };
        let mut body = p.encode().unwrap();
        if data[0] & 1 == 1 && !body.is_empty() {
            let i = usize::from(u16::from_le_bytes([data[5], data[6]])) % body.len();
            body[i] ^= 0x5a;
        }
        decide_and_check(f, &store, &body);
        // The same body again: a replay is never accepted.
        assert!(!decide_and_check(f, &store, &body), "a body was accepted twice");
    }
});
