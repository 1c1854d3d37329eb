//! The public-key text parser (`qres::keys::public`) on arbitrary input and on edits of real keys:
//! - arbitrary text never panics; text that parses in the Bech32m form is exactly what `encode` writes for
//!   the key it parses to (one spelling per key), and the key re-parses to the same bytes;
//! - one character of a real key's text (X-Wing, ML-KEM-768, ML-DSA-65), changed to any other character at
//!   any position the input picks, is always refused: the checksum promises that for every substitution.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::keys::{PublicKey, public};
use qres::{KemId, OsRng, Provider, SignatureId, default_provider};
use std::sync::OnceLock;

struct Fixture {
    provider: Provider,
    texts: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let provider = default_provider();
        let mut keys = Vec::new();
        for id in [KemId::X_WING, KemId::ML_KEM_768] {
            let sk = provider.kem(id).unwrap().generate(&mut OsRng).unwrap();
            keys.push(PublicKey::Kem(sk.public_key().clone()));
        }
        let sk = provider.signature(SignatureId::ML_DSA_65).unwrap().generate(&mut OsRng).unwrap();
        keys.push(PublicKey::Verifying(sk.verifying_key().clone()));
        let texts = keys.iter().map(|k| public::encode(k).unwrap()).collect();
        Fixture { provider, texts }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = public::decode(&text, &f.provider) {
        let canonical = public::encode(&key).unwrap();
        let again = public::decode(&canonical, &f.provider).unwrap();
        assert_eq!(again.as_bytes(), key.as_bytes());
        assert_eq!(again.algorithm(), key.algorithm());
        let line = text.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&text);
        if !line.starts_with(public::LEGACY_PREFIX) {
            assert_eq!(line, canonical, "a second spelling of one key was accepted");
        }
    }
    // Substitutions in a real key's text: the first 3 bytes pick the key and the position, the next two the
    // replacement characters (one edit each, 97 positions apart).
    if data.len() >= 4 {
        let original = &f.texts[usize::from(data[0]) % f.texts.len()];
        let bytes = original.as_bytes();
        let start = usize::from(u16::from_le_bytes([data[1], data[2]])) % bytes.len();
        for (k, &replacement) in data[3..].iter().take(2).enumerate() {
            let at = (start + k * 97) % bytes.len();
            if replacement == bytes[at] || !replacement.is_ascii() {
                continue;
            }
            let mut edited = bytes.to_vec();
            edited[at] = replacement;
            let edited = String::from_utf8(edited).unwrap();
            assert!(
                public::decode(&edited, &f.provider).is_err(),
                "a one-character edit at {at} ({:?} -> {:?}) was accepted",
                bytes[at] as char,
                replacement as char
            );
        }
    }
});
