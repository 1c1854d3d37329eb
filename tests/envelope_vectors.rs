//! Deterministic envelope test vectors (`tests/vectors/envelope/*.json`, FORMAT.md "Test vectors").
//!
//! Each vector fixes the recipient and signer keys (by seed), the QNE and the randomness stream, and
//! records every intermediate value. This test regenerates every vector and compares it with the
//! committed file, byte for byte, then opens the envelope. Set `QRES_REGENERATE_VECTORS=1` to rewrite the
//! files after an intentional format change.

use qres::envelope::{self, OpenOptions, QneSource, Recipient, SealOptions};
use qres::rng::CtrDrbgCore;
use qres::{AeadId, KdfId, KemId, SignatureId, default_provider};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::path::PathBuf;

/// A deterministic RNG (CTR_DRBG from a fixed seed) that records what it hands out.
struct RecordingRng {
    drbg: CtrDrbgCore,
    drawn: Vec<u8>,
}

impl RecordingRng {
    fn new(label: &str) -> Self {
        let mut seed = [0u8; 48];
        for (s, b) in seed.iter_mut().zip(label.bytes().cycle()) {
            *s = b;
        }
        Self { drbg: CtrDrbgCore::instantiate(&seed, b"qres envelope vectors", b"", true).unwrap(), drawn: Vec::new() }
    }
}

impl rand_core::TryRng for RecordingRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dest.chunks_mut(65536) {
            self.drbg.generate(chunk, &[]).unwrap();
        }
        self.drawn.extend_from_slice(dest);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for RecordingRng {}

struct Case {
    name: &'static str,
    description: &'static str,
    kem: KemId,
    recipients: Vec<(u8, u32)>,
    signer: Option<(SignatureId, u8)>,
    kdf: KdfId,
    hpke_aead: AeadId,
    qne_len: usize,
    payload_aead: AeadId,
    streamed: bool,
    chunk_size: u32,
    plaintext_len: usize,
}

fn cases() -> Vec<Case> {
    let base = |name, description, kem| Case {
        name,
        description,
        kem,
        recipients: vec![(1, 0)],
        signer: None,
        kdf: KdfId::HKDF_SHA256,
        hpke_aead: AeadId::AES_256_GCM,
        qne_len: 32,
        payload_aead: AeadId::AES_256_GCM,
        streamed: false,
        chunk_size: 0,
        plaintext_len: 100,
    };
    vec![
        base("xwing-single-shot", "X-Wing, one recipient, single-shot AES-256-GCM payload", KemId::X_WING),
        Case {
            recipients: vec![(1, 1), (2, 2)],
            streamed: true,
            chunk_size: 1024,
            plaintext_len: 2500,
            ..base(
                "xwing-two-recipients-streamed",
                "X-Wing, two recipients with key versions 1 and 2, three 1 KiB chunks",
                KemId::X_WING,
            )
        },
        Case {
            streamed: true,
            chunk_size: 1024,
            plaintext_len: 0,
            ..base(
                "mlkem768-streamed-empty",
                "ML-KEM-768, streamed empty plaintext (one empty final chunk)",
                KemId::ML_KEM_768,
            )
        },
        Case {
            signer: Some((SignatureId::ML_DSA_65, 7)),
            ..base("xwing-signed", "X-Wing with an ML-DSA-65 sender signature in the trailer", KemId::X_WING)
        },
        Case {
            signer: Some((SignatureId::ML_DSA_65, 8)),
            streamed: true,
            chunk_size: 1024,
            plaintext_len: 2048,
            ..base(
                "xwing-signed-streamed-exact",
                "X-Wing, ML-DSA-65 signed, streamed, plaintext an exact multiple of the chunk size",
                KemId::X_WING,
            )
        },
        Case {
            signer: Some((SignatureId::ML_DSA_87, 9)),
            payload_aead: AeadId::AES_256_CBC_HMAC_SHA256,
            ..base(
                "mlkem1024-legacy-signed",
                "ML-KEM-1024, legacy payload, ML-DSA-87 signed (32-byte legacy tag)",
                KemId::ML_KEM_1024,
            )
        },
        Case {
            kdf: KdfId::HKDF_SHA384,
            hpke_aead: AeadId::CHACHA20_POLY1305,
            payload_aead: AeadId::CHACHA20_POLY1305,
            qne_len: 0,
            streamed: true,
            chunk_size: 1024,
            plaintext_len: 1500,
            ..base(
                "mlkem768-sha384-chacha-empty-qne",
                "ML-KEM-768, HKDF-SHA384, ChaCha20-Poly1305 stanzas and streamed payload, empty QNE",
                KemId::ML_KEM_768,
            )
        },
        Case {
            kdf: KdfId::HKDF_SHA512,
            hpke_aead: AeadId::AES_128_GCM,
            signer: Some((SignatureId::ML_DSA_44, 10)),
            recipients: vec![(4, 3), (4, 5)],
            ..base(
                "mlkem512-sha512-aes128-two-stanzas-same-key",
                "ML-KEM-512, HKDF-SHA512, AES-128-GCM stanzas, the same key at two versions, ML-DSA-44 signed",
                KemId::ML_KEM_512,
            )
        },
        Case {
            payload_aead: AeadId::AES_256_CBC_HMAC_SHA256,
            ..base(
                "mlkem1024-legacy",
                "ML-KEM-1024 with the legacy AES-256-CBC-HMAC-SHA256 payload",
                KemId::ML_KEM_1024,
            )
        },
        Case {
            payload_aead: AeadId::CHACHA20_POLY1305,
            ..base("mlkem512-chacha20poly1305", "ML-KEM-512 with a ChaCha20-Poly1305 payload", KemId::ML_KEM_512)
        },
    ]
}

fn hex(b: &[u8]) -> Value {
    Value::String(hex::encode(b))
}

fn generate(case: &Case) -> Value {
    let p = default_provider();
    let kem = p.kem(case.kem).unwrap();
    // Seeds with distinct bytes (so that, e.g., ML-KEM's d and z differ).
    let seed_of = |s: u8, len: usize| -> Vec<u8> {
        (0..len).map(|i| s.wrapping_mul(31).wrapping_add((i as u8).wrapping_mul(7))).collect()
    };
    let keys: Vec<_> = case
        .recipients
        .iter()
        .map(|&(seed, version)| {
            let seed = seed_of(seed, kem.sizes().seed);
            let key = kem.key_pair_from_seed(&seed).unwrap();
            (seed, version, key)
        })
        .collect();
    let recipients: Vec<Recipient> = keys.iter().map(|(_, v, k)| Recipient::new(k.public_key().clone(), *v)).collect();
    let signer = case.signer.map(|(alg, s)| p.signature(alg).unwrap().key_pair_from_seed(&seed_of(s, 32)).unwrap());
    let qne: Vec<u8> = (0..case.qne_len as u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
    let plaintext: Vec<u8> = (0..case.plaintext_len).map(|i| (i % 251) as u8).collect();
    let options = SealOptions {
        kdf: case.kdf,
        hpke_aead: case.hpke_aead,
        payload_aead: case.payload_aead,
        allow_legacy: true,
        streamed: case.streamed,
        chunk_size: if case.streamed { case.chunk_size } else { 65536 },
        qne: QneSource::Given(qne.clone()),
        signer: signer.as_ref(),
        ..SealOptions::default()
    };
    let mut rng = RecordingRng::new(case.name);
    let (sealed, t) = envelope::seal_with_rng_trace(&recipients, &plaintext, &options, &mut rng).unwrap();

    // The envelope opens for every recipient, and the signature verifies.
    for (_, version, k) in &keys {
        let open = OpenOptions { verify_sender: signer.as_ref().map(|s| s.verifying_key()), ..OpenOptions::default() };
        let opened = envelope::open(
            &sealed,
            &vec![(*version, kem.key_pair_from_seed(k.seed().unwrap().as_bytes()).unwrap())],
            &open,
        )
        .unwrap();
        assert_eq!(opened.plaintext, plaintext);
        assert_eq!(opened.qne, qne);
        assert_eq!(opened.info.sender_verified, signer.is_some());
    }

    json!({
        "description": case.description,
        "format": "qres envelope v1 (FORMAT.md)",
        "inputs": {
            "kem_id": case.kem.value(),
            "kdf_id": case.kdf.value(),
            "hpke_aead_id": case.hpke_aead.value(),
            "payload_aead_id": case.payload_aead.value(),
            "streamed": case.streamed,
            "chunk_size": if case.streamed { case.chunk_size } else { 0 },
            "recipients": keys.iter().map(|(seed, version, k)| json!({
                "seed": hex(seed),
                "public_key": hex(k.public_key().as_bytes()),
                "key_id": k.key_id().to_string(),
                "key_version": version,
            })).collect::<Vec<_>>(),
            "signer": signer.as_ref().map(|s| json!({
                "sig_alg": s.algorithm().value(),
                "seed": hex(s.seed().unwrap().as_bytes()),
                "verifying_key": hex(s.verifying_key().as_bytes()),
                "key_id": s.key_id().to_string(),
            })),
            "qne": hex(&qne),
            "plaintext": hex(&plaintext),
            "randomness": hex(&rng.drawn),
            "randomness_use": "in order: file_key (32 bytes), then each stanza's encapsulation randomness (64 bytes for X-Wing, 32 for ML-KEM), then the ML-DSA signing randomness rnd (32 bytes) for signed envelopes",
        },
        "intermediates": {
            "file_key": hex(&t.file_key),
            "stanzas": t.stanzas.iter().map(|s| json!({
                "ikm_e": hex(&s.ikm_e),
                "kem_shared_secret": hex(&s.shared_secret),
                "hpke_key": hex(&s.key),
                "hpke_base_nonce": hex(&s.base_nonce),
                "hpke_exporter_secret": hex(&s.exporter_secret),
                "enc": hex(&s.enc),
                "wrapped_key": hex(&s.wrapped_key),
            })).collect::<Vec<_>>(),
            "prk": hex(&t.prk),
            "mac_key": hex(&t.mac_key),
            "header_without_mac": hex(&t.header_without_mac),
            "header_mac": hex(&t.header_mac),
            "header_digest": hex(&t.header_digest),
            "payload_key": hex(&t.payload_key),
            "chunks": t.chunks.iter().enumerate().map(|(i, c)| json!({
                "index": i,
                "last": c.last,
                "nonce_or_iv": hex(&c.nonce),
                "ciphertext": hex(&c.ciphertext),
            })).collect::<Vec<_>>(),
            "signature_input": hex(&t.signature_input),
            "signature": hex(&t.signature),
        },
        "envelope": hex(&sealed),
    })
}

#[test]
fn envelope_vectors_are_reproduced() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/envelope");
    let regenerate = std::env::var("QRES_REGENERATE_VECTORS").is_ok_and(|v| v == "1");
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for case in cases() {
        let generated = serde_json::to_string_pretty(&generate(&case)).unwrap() + "\n";
        let path = dir.join(format!("{}.json", case.name));
        if regenerate {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with QRES_REGENERATE_VECTORS=1 to create it)", path.display()));
        assert!(committed == generated, "{} differs from what the implementation produces now", path.display());
        checked += 1;
    }
    println!("envelope vectors reproduced: {checked}");
    assert_eq!(checked, 10);
}
