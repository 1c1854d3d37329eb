//! Feeds arbitrary bytes to every parser and decryption path of the primitives: public-key parsing,
//! expanded-key import, decapsulation, signature verification, AEAD opening. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::{SignInput, default_provider};
use std::sync::OnceLock;

struct Keys {
    kems: Vec<qres::KemSecretKey>,
    signers: Vec<qres::SigningKey>,
    aeads: Vec<qres::AeadKey>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let p = default_provider();
        Keys {
            kems: p.kems.iter().map(|k| k.key_pair_from_seed(&vec![1; k.sizes().seed]).unwrap()).collect(),
            signers: p.signatures.iter().map(|s| s.key_pair_from_seed(&[2; 32]).unwrap()).collect(),
            aeads: p.aeads.iter().map(|a| a.new_key(&vec![3; a.key_len()]).unwrap()).collect(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let k = keys();
    match selector % 4 {
        0 => {
            for sk in &k.kems {
                let _ = sk.kem().parse_public_key(rest);
                let _ = sk.kem().secret_key_from_expanded(rest);
                let _ = sk.decapsulate(rest);
            }
        }
        1 => {
            for sk in &k.signers {
                let _ = sk.scheme().parse_verifying_key(rest);
                assert!(sk.verifying_key().verify(b"fuzz", b"", rest).is_err());
                let _ = sk.scheme().sign_with_expanded_key(rest, SignInput::Pure { message: b"m", context: b"" }, &[0; 32], qres::hazmat::token());
            }
        }
        2 => {
            for key in &k.aeads {
                let nonce = vec![0u8; key.aead().nonce_len()];
                assert!(key.open_with_nonce(&nonce, b"", rest).is_err());
            }
        }
        _ => {
            // Round trip: whatever is sealed opens to itself.
            for key in &k.aeads {
                let nonce = vec![9u8; key.aead().nonce_len()];
                let ct = key.seal_with_nonce(&nonce, b"aad", rest).unwrap();
                assert_eq!(key.open_with_nonce(&nonce, b"aad", &ct).unwrap(), rest);
            }
        }
    }
});
