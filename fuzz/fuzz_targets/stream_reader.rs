//! The streaming reader on damaged envelopes. The input either is the envelope (first byte even), or is
//! a list of (position, xor) edits applied to a valid streamed envelope of four chunks (first byte odd),
//! which lets the fuzzer reach the MAC, chunk and trailer checks. Nothing may panic, and a modified
//! envelope must never yield a plaintext different from the original.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::envelope::{self, EnvelopeReader, OpenOptions, Recipient, SealOptions};
use qres::{KemId, KemSecretKey};
use std::io::Read;
use std::sync::OnceLock;

struct Fixture {
    key: KemSecretKey,
    sealed: Vec<u8>,
    plaintext: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let kem = qres::default_provider().kem(KemId::ML_KEM_512).unwrap();
        let key = kem.key_pair_from_seed(&[3u8; 64]).unwrap();
        let plaintext: Vec<u8> = (0..3500u32).map(|i| i as u8).collect();
        let options = SealOptions { streamed: true, chunk_size: 1024, ..SealOptions::default() };
        let sealed =
            envelope::seal(&[Recipient::from(key.public_key().clone())], &plaintext, &options, &mut qres::OsRng).unwrap();
        Fixture { key, sealed, plaintext }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else { return };
    let input = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut e = f.sealed.clone();
        for edit in rest.chunks_exact(3) {
            let pos = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % (e.len() + 1);
            if pos == e.len() {
                e.push(edit[2]);
            } else {
                e[pos] ^= edit[2];
            }
        }
        e
    };
    let Ok(mut reader) = EnvelopeReader::new(&input[..], &f.key, &OpenOptions::default()) else { return };
    let mut out = Vec::new();
    if reader.read_to_end(&mut out).is_ok() {
        assert_eq!(out, f.plaintext, "a modified envelope decrypted to something else");
        assert_eq!(input, f.sealed, "a modified envelope was accepted");
    }
});
