//! age recipients, identities, identity and recipients files, and age headers on arbitrary input: none
//! may panic; a recipient or identity that parses prints back to text that parses to the same key; a
//! header that parses yields a decryptor that refuses a wrong key without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::age::{AgeIdentity, AgeRecipient, Decryptor, parse_identity_file, parse_recipients_file};
use std::io::Read;
use std::sync::OnceLock;

fn stranger() -> &'static AgeIdentity {
    static I: OnceLock<AgeIdentity> = OnceLock::new();
    I.get_or_init(|| AgeIdentity::generate_hybrid(&mut qres::OsRng).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(r) = text.parse::<AgeRecipient>() {
        let again: AgeRecipient = r.to_string().parse().unwrap();
        assert_eq!(again.to_string(), r.to_string());
    }
    if let Ok(i) = text.parse::<AgeIdentity>() {
        let again: AgeIdentity = i.to_secret_string().parse().unwrap();
        assert_eq!(again.to_public().to_string(), i.to_public().to_string());
    }
    let _ = parse_identity_file(&text);
    let _ = parse_recipients_file(&text);
    if let Ok(d) = Decryptor::new(data) {
        if !d.is_passphrase()
            && let Ok(mut r) = d.decrypt(std::slice::from_ref(stranger()))
        {
            // Only a file sealed to this fuzzer's random key could open; the input cannot be one.
            let _ = r.read_to_end(&mut Vec::new());
        }
    }
});
