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

fn hex(b: impl AsRef<[u8]>) -> Value {
    Value::String(hex::encode(b.as_ref()))
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
    // Writers refuse a key listed twice; readers accept such envelopes, so this vector is written without
    // the writer's checks.
    let seal = if case.name.contains("same-key") {
        qres::hazmat::envelope::seal_unchecked_with_rng_trace
    } else {
        qres::hazmat::envelope::seal_with_rng_trace
    };
    let (sealed, t) = seal(&recipients, &plaintext, &options, &mut rng).unwrap();

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

/// `tests/vectors/envelope/<sub>`, created if missing.
fn vector_dir(sub: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/envelope").join(sub);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compares a generated vector with the committed file `<dir>/<name>.json`, byte for byte (rewriting it
/// first when `QRES_REGENERATE_VECTORS=1`).
fn compare_with_committed(dir: &std::path::Path, name: &str, vector: &Value) {
    let generated = serde_json::to_string_pretty(vector).unwrap() + "\n";
    let path = dir.join(format!("{name}.json"));
    if std::env::var("QRES_REGENERATE_VECTORS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with QRES_REGENERATE_VECTORS=1 to create it)", path.display()));
    assert!(committed == generated, "{} differs from what the implementation produces now", path.display());
}

#[test]
fn envelope_vectors_are_reproduced() {
    let dir = vector_dir("");
    let mut checked = 0;
    for case in cases() {
        compare_with_committed(&dir, case.name, &generate(&case));
        checked += 1;
    }
    println!("envelope vectors reproduced: {checked}");
    assert_eq!(checked, 10);
}

/// One envelope (or public key) that every reader must refuse, with the error class FORMAT.md assigns.
struct Reject {
    name: &'static str,
    description: &'static str,
    /// The error class (FORMAT.md, "Processing rules for readers").
    error: &'static str,
    /// The rule of FORMAT.md that decides.
    rule: u8,
    input: Vec<u8>,
    /// The recipient key to open with: (KEM, seed, key version or `None` for a lone key).
    key: (KemId, Vec<u8>, Option<u32>),
    /// The verifying key the reader requires, if any.
    verify_sender: Option<qres::VerifyingKey>,
}

/// The error class of a reader's error, as the must-reject vectors name them.
fn error_class(e: &qres::Error) -> &'static str {
    use qres::Error;
    match e {
        Error::NotAnEnvelope => "not_an_envelope",
        Error::ArmoredEnvelope => "armored_envelope",
        Error::UnsupportedVersion(_) => "unsupported_version",
        Error::Unsupported(_) => "unsupported_algorithm",
        Error::UnknownAlgorithm { .. } => "unknown_algorithm",
        Error::AuthenticationFailed => "authentication_failed",
        Error::NoMatchingKey { .. } => "no_matching_key",
        Error::SenderSignatureMissing => "sender_signature_missing",
        Error::SenderKeyMismatch { .. } => "sender_key_mismatch",
        Error::InvalidKey { .. } => "invalid_key",
        _ => "other",
    }
}

/// Byte offsets in a header with `qne_len` bytes of QNE, unsigned (FORMAT.md, "Header").
const FLAGS: usize = 9;
const KEM_ID: usize = 10;
const KDF_ID: usize = 12;
const HPKE_AEAD_ID: usize = 14;
const PAYLOAD_AEAD_ID: usize = 16;
const CHUNK_SIZE: usize = 18;
const QNE_LEN: usize = 22;

fn rejects() -> Vec<Reject> {
    let p = default_provider();
    let seed_of = |s: u8, len: usize| -> Vec<u8> {
        (0..len).map(|i| s.wrapping_mul(31).wrapping_add((i as u8).wrapping_mul(7))).collect()
    };
    let xwing = p.kem(KemId::X_WING).unwrap();
    let mlkem = p.kem(KemId::ML_KEM_512).unwrap();
    let x_seed = seed_of(1, 32);
    let m_seed = seed_of(2, 64);
    let x_key = xwing.key_pair_from_seed(&x_seed).unwrap();
    let m_key = mlkem.key_pair_from_seed(&m_seed).unwrap();
    let signer = p.signature(SignatureId::ML_DSA_44).unwrap().key_pair_from_seed(&seed_of(3, 32)).unwrap();
    let other_signer = p.signature(SignatureId::ML_DSA_44).unwrap().key_pair_from_seed(&seed_of(4, 32)).unwrap();
    let plaintext: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
    let qne: Vec<u8> = (0..32u8).collect();
    let base = SealOptions { qne: QneSource::Given(qne), allow_legacy: true, ..SealOptions::default() };
    let seal_with = |name: &str, key: &qres::KemSecretKey, options: &SealOptions<'_>, checked: bool| -> Vec<u8> {
        let mut rng = RecordingRng::new(name);
        let to = [Recipient::from(key.public_key().clone())];
        let f = if checked {
            qres::hazmat::envelope::seal_with_rng_trace
        } else {
            qres::hazmat::envelope::seal_unchecked_with_rng_trace
        };
        f(&to, &plaintext, options, &mut rng).unwrap().0
    };
    let x = |key_version| (KemId::X_WING, x_seed.clone(), key_version);
    let m = |key_version| (KemId::ML_KEM_512, m_seed.clone(), key_version);
    let single = seal_with("reject-base-single", &m_key, &base, true);
    let streamed_opts = SealOptions { streamed: true, chunk_size: 1024, ..base.clone() };
    let streamed = seal_with("reject-base-streamed", &m_key, &streamed_opts, true);
    let signed_opts = SealOptions { signer: Some(&signer), ..base.clone() };
    let signed = seal_with("reject-base-signed", &m_key, &signed_opts, true);
    let legacy = seal_with(
        "reject-base-legacy",
        &m_key,
        &SealOptions { payload_aead: AeadId::AES_256_CBC_HMAC_SHA256, ..base.clone() },
        true,
    );
    let header_len = |env: &[u8]| envelope::header::parse(&mut &env[..], &p).map(|h| h.without_mac.len() + 32).unwrap();
    let edit = |env: &[u8], at: usize, bytes: &[u8]| {
        let mut e = env.to_vec();
        e[at..at + bytes.len()].copy_from_slice(bytes);
        e
    };
    let r = |name, description, error, rule, input, key| Reject {
        name,
        description,
        error,
        rule,
        input,
        key,
        verify_sender: None,
    };
    let stanza0 = QNE_LEN + 2 + 32 + 2; // after qne (32 bytes) and recipient_count
    let mut low_order_pk = x_key.public_key().as_bytes().to_vec();
    low_order_pk[1184..].copy_from_slice(&qres::kem::xwing::X25519_LOW_ORDER[2]);
    let hl = header_len(&single);
    // An X-Wing envelope whose stanza's ct_X (the last 32 bytes of enc, after ct_M's 1,088) is replaced by
    // the point of order 8: the recipient's X25519 share is then all zero.
    let xwing_single = seal_with("reject-base-xwing", &x_key, &base, true);
    let xwing_ct_x = stanza0 + 16 + 4 + 2 + 1088;
    vec![
        r("magic", "the magic differs in its last byte", "not_an_envelope", 1, edit(&single, 7, b"V"), m(None)),
        r("short-input", "7 bytes of the magic only", "not_an_envelope", 1, single[..7].to_vec(), m(None)),
        r(
            "armored",
            "an envelope in ASCII armor given to a binary reader",
            "armored_envelope",
            1,
            envelope::armor::encode(&single).unwrap().into_bytes(),
            m(None),
        ),
        r("version-2", "format version 2", "unsupported_version", 1, edit(&single, 8, &[2]), m(None)),
        r("version-0", "format version 0", "unsupported_version", 1, edit(&single, 8, &[0]), m(None)),
        r(
            "kem-dhkem-x25519",
            "kem_id 0x0020 DHKEM(X25519): not post-quantum, not in the KEM table",
            "unsupported_algorithm",
            2,
            edit(&single, KEM_ID, &[0x00, 0x20]),
            m(None),
        ),
        r(
            "kdf-unknown",
            "kdf_id 0x0004, not in the KDF table",
            "unsupported_algorithm",
            2,
            edit(&single, KDF_ID, &[0x00, 0x04]),
            m(None),
        ),
        r(
            "hpke-aead-cbc",
            "the legacy AES-256-CBC-HMAC-SHA256 as stanza AEAD, written with a valid MAC and wrapped_len 80",
            "unsupported_algorithm",
            2,
            seal_with(
                "hpke-aead-cbc",
                &m_key,
                &SealOptions { hpke_aead: AeadId::AES_256_CBC_HMAC_SHA256, ..base.clone() },
                false,
            ),
            m(None),
        ),
        r(
            "hpke-aead-export-only",
            "hpke_aead_id 0xffff (HPKE export-only) cannot wrap a file key",
            "unsupported_algorithm",
            2,
            edit(&single, HPKE_AEAD_ID, &[0xff, 0xff]),
            m(None),
        ),
        r(
            "payload-aes128gcm",
            "AES-128-GCM as payload AEAD (allowed for stanzas only), written with a valid MAC",
            "unsupported_algorithm",
            2,
            seal_with(
                "payload-aes128gcm",
                &m_key,
                &SealOptions { payload_aead: AeadId::AES_128_GCM, ..base.clone() },
                false,
            ),
            m(None),
        ),
        r(
            "ids-checked-in-order",
            "kem_id and payload_aead_id both outside their tables: the first decides, and both are unsupported",
            "unsupported_algorithm",
            2,
            edit(&edit(&single, KEM_ID, &[0x00, 0x10]), PAYLOAD_AEAD_ID, &[0x00, 0x01]),
            m(None),
        ),
        r("flags-unknown-bit", "flag bit 2 set", "authentication_failed", 3, edit(&single, FLAGS, &[0x04]), m(None)),
        r(
            "chunk-size-too-small",
            "streamed with chunk_size 1023, written with a valid MAC",
            "authentication_failed",
            3,
            seal_with(
                "chunk-size-too-small",
                &m_key,
                &SealOptions { chunk_size: 1023, ..streamed_opts.clone() },
                false,
            ),
            m(None),
        ),
        r(
            "chunk-size-not-zero",
            "not streamed, chunk_size 1024",
            "authentication_failed",
            3,
            edit(&single, CHUNK_SIZE, &1024u32.to_be_bytes()),
            m(None),
        ),
        r(
            "legacy-streamed",
            "the legacy payload with the streamed flag and chunk_size 1024",
            "authentication_failed",
            3,
            edit(&edit(&legacy, FLAGS, &[0x01]), CHUNK_SIZE, &1024u32.to_be_bytes()),
            m(None),
        ),
        r(
            "qne-too-long",
            "qne_len 1025",
            "authentication_failed",
            3,
            edit(&single, QNE_LEN, &1025u16.to_be_bytes()),
            m(None),
        ),
        r(
            "signer-falcon",
            "signed, sig_alg 0xfe10 (Falcon-512: variable-length signatures, not in the signer table)",
            "authentication_failed",
            4,
            edit(&signed, QNE_LEN + 2 + 32, &[0xfe, 0x10]),
            m(None),
        ),
        r(
            "recipient-count-0",
            "recipient_count 0",
            "authentication_failed",
            4,
            edit(&single, QNE_LEN + 2 + 32, &[0, 0]),
            m(None),
        ),
        r(
            "recipient-count-257",
            "recipient_count 257",
            "authentication_failed",
            4,
            edit(&single, QNE_LEN + 2 + 32, &257u16.to_be_bytes()),
            m(None),
        ),
        r(
            "enc-len",
            "enc_len 767 for ML-KEM-512 (768 required)",
            "authentication_failed",
            4,
            edit(&single, stanza0 + 20, &767u16.to_be_bytes()),
            m(None),
        ),
        r(
            "wrapped-len",
            "wrapped_len 49 (48 required)",
            "authentication_failed",
            4,
            edit(&single, stanza0 + 20 + 2 + 768, &49u16.to_be_bytes()),
            m(None),
        ),
        r(
            "truncated-header",
            "the input ends inside the stanza",
            "authentication_failed",
            4,
            single[..hl - 100].to_vec(),
            m(None),
        ),
        r(
            "no-matching-key",
            "the stanza's key id differs from every key of the reader",
            "no_matching_key",
            5,
            edit(&single, stanza0, &[0xee; 16]),
            m(None),
        ),
        r(
            "stanza-version-mismatch",
            "a reader keeping versions holds the key at version 1; the stanza says version 2",
            "no_matching_key",
            5,
            edit(&single, stanza0 + 16, &2u32.to_be_bytes()),
            m(Some(1)),
        ),
        r(
            "header-mac",
            "the last byte of header_mac flipped",
            "authentication_failed",
            6,
            edit(&single, hl - 1, &[single[hl - 1] ^ 1]),
            m(None),
        ),
        r(
            "qne-modified",
            "a QNE byte changed (the header MAC covers it)",
            "authentication_failed",
            6,
            edit(&single, QNE_LEN + 2, &[single[QNE_LEN + 2] ^ 0x80]),
            m(None),
        ),
        r(
            "streamed-final-chunk-dropped",
            "a streamed payload of three chunks with the final chunk removed",
            "authentication_failed",
            8,
            streamed[..header_len(&streamed) + 2 * 1040].to_vec(),
            m(None),
        ),
        r(
            "trailing-byte",
            "one byte appended after the payload of an unsigned envelope",
            "authentication_failed",
            8,
            [single.clone(), vec![0]].concat(),
            m(None),
        ),
        r(
            "signature-truncated",
            "a signed envelope with the last byte of the signature removed",
            "authentication_failed",
            8,
            signed[..signed.len() - 1].to_vec(),
            m(None),
        ),
        Reject {
            verify_sender: Some(signer.verifying_key().clone()),
            ..r(
                "sender-signature-missing",
                "the reader requires a signature, the (authentic) envelope is unsigned",
                "sender_signature_missing",
                7,
                single.clone(),
                m(None),
            )
        },
        Reject {
            verify_sender: Some(other_signer.verifying_key().clone()),
            ..r(
                "sender-key-mismatch",
                "the reader requires a signature by another key than the one named in the header",
                "sender_key_mismatch",
                7,
                signed.clone(),
                m(None),
            )
        },
        Reject {
            verify_sender: Some(signer.verifying_key().clone()),
            ..r(
                "forged-unsigned-header-with-verification",
                "the reader requires a signature; the unsigned header is damaged: the MAC decides before the signer rule",
                "authentication_failed",
                6,
                edit(&single, QNE_LEN + 2, &[single[QNE_LEN + 2] ^ 1]),
                m(None),
            )
        },
        Reject {
            verify_sender: Some(signer.verifying_key().clone()),
            ..r(
                "signature-invalid",
                "a signed envelope whose signature has one bit flipped, verified",
                "authentication_failed",
                8,
                edit(&signed, signed.len() - 100, &[signed[signed.len() - 100] ^ 1]),
                m(None),
            )
        },
        r(
            "xwing-low-order-x25519-public-key",
            "an X-Wing recipient public key whose X25519 part is a point of order 8: refused when parsed, so nobody can seal to it",
            "invalid_key",
            0,
            low_order_pk,
            x(None),
        ),
        r(
            "xwing-low-order-x25519-ciphertext",
            "an X-Wing stanza whose ct_X is a point of order 8: the X25519 share is all zero, decapsulation refuses it and the stanza does not unwrap",
            "authentication_failed",
            6,
            edit(&xwing_single, xwing_ct_x, &qres::kem::xwing::X25519_LOW_ORDER[2]),
            x(None),
        ),
    ]
}

fn reject_json(case: &Reject) -> Value {
    let (kem, seed, version) = &case.key;
    let public_key = case.name.ends_with("public-key");
    json!({
        "description": case.description,
        "format": "qres envelope v1 (FORMAT.md): must be rejected",
        "expected_error": case.error,
        "rule": case.rule,
        "kind": if public_key { "public_key" } else { "envelope" },
        "recipient": { "kem_id": kem.value(), "seed": hex(seed), "key_version": version },
        "verify_sender": case.verify_sender.as_ref().map(|vk| json!({
            "sig_alg": vk.algorithm().value(),
            "verifying_key": hex(vk.as_bytes()),
        })),
        "input": hex(&case.input),
    })
}

/// What this implementation answers for a must-reject vector.
fn reject_outcome(case: &Reject) -> Result<(), qres::Error> {
    let p = default_provider();
    let (kem, seed, version) = &case.key;
    let kem = p.kem(*kem).unwrap();
    if case.name.ends_with("public-key") {
        return kem.parse_public_key(&case.input).map(|_| ());
    }
    let key = kem.key_pair_from_seed(seed).unwrap();
    let options = OpenOptions { verify_sender: case.verify_sender.as_ref(), ..OpenOptions::default() };
    // In memory and through the streaming reader: both must give the same class.
    let in_memory = match version {
        None => envelope::open(&case.input, &key, &options).map(|_| ()),
        Some(v) => {
            envelope::open(&case.input, &vec![(*v, kem.key_pair_from_seed(seed).unwrap())], &options).map(|_| ())
        }
    };
    let streaming = (|| {
        use std::io::Read;
        let keys = vec![(version.unwrap_or(0), kem.key_pair_from_seed(seed).unwrap())];
        let mut reader = match version {
            None => envelope::EnvelopeReader::new(&case.input[..], &key, &options)?,
            Some(_) => envelope::EnvelopeReader::new(&case.input[..], &keys, &options)?,
        };
        let mut out = Vec::new();
        reader
            .read_to_end(&mut out)
            .map_err(|e| envelope::error_of(&e).cloned().unwrap_or(qres::Error::Backend("io")))?;
        Ok::<(), qres::Error>(())
    })();
    assert_eq!(
        in_memory.as_ref().err().map(error_class),
        streaming.as_ref().err().map(error_class),
        "{}: open and EnvelopeReader disagree",
        case.name
    );
    in_memory
}

#[test]
fn must_reject_vectors_are_reproduced_and_refused() {
    let dir = vector_dir("reject");
    let mut checked = 0;
    for case in rejects() {
        let outcome = reject_outcome(&case);
        let class = outcome.as_ref().err().map(error_class);
        assert_eq!(class, Some(case.error), "{}: {outcome:?}", case.name);
        compare_with_committed(&dir, case.name, &reject_json(&case));
        checked += 1;
    }
    println!("must-reject envelope vectors refused with their expected error class: {checked}");
    assert_eq!(checked, 35);
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"))
        .count();
    assert_eq!(files, checked, "a file in {} has no generator case", dir.display());
}
