//! Parsers of keys at rest on arbitrary input: private key files (binary and armored), keysets, sealed
//! (wrapped) blobs and public-key text. None may panic; a private key file that parses must report the
//! algorithm and id it carries consistently.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::password::{PasswordKdf, PasswordPolicy};
use qres::keys::{AesKeyWrapper, Keyset, private, public, wrap};
use std::sync::OnceLock;

fn provider() -> &'static qres::Provider {
    static P: OnceLock<qres::Provider> = OnceLock::new();
    P.get_or_init(qres::default_provider)
}

fuzz_target!(|data: &[u8]| {
    let p = provider();
    // A policy whose ceilings make every accepted KDF cheap, so the fuzzer is not stuck in Argon2.
    let policy = PasswordPolicy {
        kdf_for_new: PasswordKdf::Argon2id { m_kib: 19_456, t: 2, p: 1 },
        max_m_kib: 64,
        max_t: 1,
        max_p: 1,
        max_iterations: 10,
        ..Default::default()
    };
    if let Ok(info) = private::inspect(data) {
        let _ = info.algorithm.to_string();
    }
    let _ = private::decrypt(data, b"password", &policy, p);
    let _ = private::decode_unprotected(data, p);
    let text = String::from_utf8_lossy(data);
    let _ = private::decrypt_armored(&text, b"password", &policy, p);
    let _ = public::decode(&text, p);
    if let Ok(ks) = Keyset::decode(data, p) {
        // Anything that decodes re-encodes to the same bytes.
        assert_eq!(ks.encode().as_bytes(), data);
    }
    let wrapper = AesKeyWrapper::new(&[7u8; 32]).unwrap();
    let _ = wrap::open(&wrapper, data, b"context");
});
