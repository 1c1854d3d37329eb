//! Regression tests for the envelope findings of the audit (issue 10, items 3 and 4): each failed on the
//! code before its fix.

use proptest::prelude::*;
use qres::envelope::{
    self, EnvelopeReader, EnvelopeWriter, OpenOptions, QneSource, Recipient, SealOptions, armor, error_of,
};
use qres::{AeadId, Error, KdfId, KemId, KemSecretKey, OsRng, SignatureId, SigningKey, default_provider};
use std::io::{Read, Write};

fn key(kem: KemId, seed: u8) -> KemSecretKey {
    let k = default_provider().kem(kem).unwrap();
    k.key_pair_from_seed(&vec![seed; k.sizes().seed]).unwrap()
}

fn read_all<R: Read>(r: R, sk: &KemSecretKey, options: &OpenOptions<'_>) -> Result<Vec<u8>, Error> {
    let mut r = EnvelopeReader::new(r, sk, options)?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| error_of(&e).cloned().unwrap_or(Error::Backend("io")))?;
    Ok(out)
}

/// Counts the bytes a reader was asked for and handed out.
struct Counting<R> {
    inner: R,
    read: usize,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n;
        Ok(n)
    }
}

/// Before: the reader called `read_to_end` on a single-shot payload and held all of it (64 MiB read
/// before the first byte came out). Now it reads at most the limit and refuses with a typed error.
#[test]
fn single_shot_payloads_over_the_limit_are_refused_before_they_are_read() {
    let sk = key(KemId::ML_KEM_768, 1);
    let to = [Recipient::from(sk.public_key().clone())];
    let limit = 1 << 20;
    let big = vec![0x5au8; 3 * limit];
    let sealed = envelope::seal(&to, &big, &SealOptions::default(), &mut OsRng).unwrap();
    let options = OpenOptions { max_single_shot_len: limit, ..OpenOptions::default() };
    let mut input = Counting { inner: &sealed[..], read: 0 };
    let mut r = EnvelopeReader::new(&mut input, &sk, &options).unwrap();
    let err = r.read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(error_of(&err), Some(&Error::PayloadTooLarge { limit }));
    drop(r);
    let header_len = sealed.len() - big.len() - 16;
    assert!(input.read <= header_len + limit + 1, "read {} bytes for a limit of {limit}", input.read);
    // At the limit exactly it opens, and so does anything under the default of 8 MiB.
    let at_limit = envelope::seal(&to, &big[..limit - 16], &SealOptions::default(), &mut OsRng).unwrap();
    assert_eq!(read_all(&at_limit[..], &sk, &options).unwrap(), big[..limit - 16]);
    assert_eq!(read_all(&sealed[..], &sk, &OpenOptions::default()).unwrap(), big);
    assert_eq!(OpenOptions::default().max_single_shot_len, 8 << 20);
}

/// Every option combination over the allowed and some refused ids: `seal` succeeds if and only if
/// `open` of the result succeeds. Where the writer refuses, the same envelope written without the
/// writer's checks must be refused by the reader too, unless the writer's refusal is its own policy (the
/// legacy scheme without `allow_legacy`; a duplicated recipient).
/// Before: `hpke_aead = AES-256-CBC-HMAC-SHA256` sealed (wrapped_len 80) and open refused it.
#[test]
fn seal_succeeds_iff_open_of_the_result_succeeds_for_every_option_combination() {
    let sk = key(KemId::ML_KEM_512, 3);
    let to = [Recipient::from(sk.public_key().clone())];
    let signer = default_provider().signature(SignatureId::ML_DSA_44).unwrap().key_pair_from_seed(&[1; 32]).unwrap();
    let kdfs = [KdfId::HKDF_SHA256, KdfId::HKDF_SHA384, KdfId::HKDF_SHA512];
    let aeads = [
        AeadId::AES_128_GCM,
        AeadId::AES_256_GCM,
        AeadId::CHACHA20_POLY1305,
        AeadId::AES_256_CBC_HMAC_SHA256,
        AeadId::EXPORT_ONLY,
    ];
    let (mut sealed_ok, mut refused_both, mut policy_only) = (0, 0, 0);
    for kdf in kdfs {
        for hpke_aead in aeads {
            for payload_aead in aeads {
                for streamed in [false, true] {
                    for allow_legacy in [false, true] {
                        for chunk_size in [1023, 1024] {
                            for signed in [false, true] {
                                let options = SealOptions {
                                    kdf,
                                    hpke_aead,
                                    payload_aead,
                                    streamed,
                                    allow_legacy,
                                    chunk_size,
                                    signer: signed.then_some(&signer),
                                    ..SealOptions::default()
                                };
                                match check_combination(&to, &sk, &options) {
                                    Outcome::SealedAndOpened => sealed_ok += 1,
                                    Outcome::RefusedByBoth => refused_both += 1,
                                    Outcome::WriterPolicy => policy_only += 1,
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    println!(
        "combinations: {sealed_ok} sealed and opened, {refused_both} refused by writer and reader, {policy_only} refused by writer policy only"
    );
    assert_eq!(sealed_ok + refused_both + policy_only, 3 * 5 * 5 * 2 * 2 * 2 * 2);
    assert!(sealed_ok > 100 && refused_both > 100 && policy_only > 0);
}

enum Outcome {
    SealedAndOpened,
    RefusedByBoth,
    WriterPolicy,
}

fn check_combination(to: &[Recipient], sk: &KemSecretKey, options: &SealOptions<'_>) -> Outcome {
    let msg = vec![7u8; 2100];
    let verify = OpenOptions { verify_sender: options.signer.map(SigningKey::verifying_key), ..OpenOptions::default() };
    match envelope::seal(to, &msg, options, &mut OsRng) {
        Ok(sealed) => {
            let opened = envelope::open(&sealed, sk, &verify)
                .unwrap_or_else(|e| panic!("sealed but refused by open ({e}): {options:?}"));
            assert_eq!(opened.plaintext, msg);
            assert_eq!(read_all(&sealed[..], sk, &verify).unwrap(), msg, "{options:?}");
            Outcome::SealedAndOpened
        }
        Err(seal_error) => {
            let Ok((unchecked, _)) =
                qres::hazmat::envelope::seal_unchecked_with_rng_trace(to, &msg, options, &mut OsRng)
            else {
                // Not even expressible as bytes (e.g. an id with no implementation to write it).
                return Outcome::RefusedByBoth;
            };
            let opened = envelope::open(&unchecked, sk, &verify);
            let policy = options.payload_aead == AeadId::AES_256_CBC_HMAC_SHA256 && !options.allow_legacy;
            match opened {
                Ok(_) if policy => {
                    let allowed = SealOptions { allow_legacy: true, ..options.clone() };
                    assert!(envelope::seal(to, &msg, &allowed, &mut OsRng).is_ok(), "{options:?}");
                    Outcome::WriterPolicy
                }
                Ok(_) => panic!("seal refused ({seal_error}) what open accepts: {options:?}"),
                Err(_) => Outcome::RefusedByBoth,
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// The same property over random QNE lengths, chunk sizes and plaintext lengths.
    #[test]
    fn seal_iff_open_random(qne_len in 0usize..1100, chunk_size in 1000u32..1100, len in 0usize..3000, streamed: bool, chacha: bool) {
        let sk = key(KemId::ML_KEM_512, 4);
        let to = [Recipient::from(sk.public_key().clone())];
        let payload_aead = if chacha { AeadId::CHACHA20_POLY1305 } else { AeadId::AES_256_GCM };
        let options = SealOptions { qne_len, chunk_size, streamed, payload_aead, ..SealOptions::default() };
        let msg = vec![1u8; len];
        let sealed = envelope::seal(&to, &msg, &options, &mut OsRng);
        prop_assert_eq!(sealed.is_ok(), qne_len <= 1024 && (!streamed || chunk_size >= 1024));
        if let Ok(sealed) = sealed {
            prop_assert_eq!(&envelope::open(&sealed, &sk, &OpenOptions::default()).unwrap().plaintext, &msg);
        }
    }
}

/// Before: a header whose signer rules failed gave `InvalidInput` before the header MAC was checked (so
/// forged headers got a specific answer), and the two cases were indistinguishable strings.
#[test]
fn signer_requirements_are_typed_and_checked_after_the_header_mac() {
    let sk = key(KemId::X_WING, 1);
    let to = [Recipient::from(sk.public_key().clone())];
    let p = default_provider();
    let signer = p.signature(SignatureId::ML_DSA_65).unwrap().key_pair_from_seed(&[5; 32]).unwrap();
    let verify = OpenOptions { verify_sender: Some(signer.verifying_key()), ..OpenOptions::default() };
    let unsigned = envelope::seal(&to, b"x", &SealOptions::default(), &mut OsRng).unwrap();
    assert_eq!(envelope::open(&unsigned, &sk, &verify).unwrap_err(), Error::SenderSignatureMissing);
    let mut forged = unsigned.clone();
    forged[30] ^= 1; // inside the QNE: the header MAC fails first
    assert_eq!(envelope::open(&forged, &sk, &verify).unwrap_err(), Error::AuthenticationFailed);
    assert_eq!(read_all(&forged[..], &sk, &verify).unwrap_err(), Error::AuthenticationFailed);
}

/// Before: `Opened` derived `Debug` and printed the plaintext.
#[test]
fn opened_debug_shows_no_plaintext() {
    let sk = key(KemId::X_WING, 1);
    let sealed =
        envelope::seal(&[sk.public_key().clone().into()], b"the secret words", &SealOptions::default(), &mut OsRng)
            .unwrap();
    let opened = envelope::open(&sealed, &sk, &OpenOptions::default()).unwrap();
    let debug = format!("{opened:?}");
    assert!(debug.contains("16 bytes"), "{debug}");
    for needle in ["secret", "116, 104, 101", "74686520"] {
        assert!(!debug.contains(needle), "{debug}");
    }
    assert_eq!(&*opened.into_plaintext(), b"the secret words");
}

/// A deterministic RNG (ChaCha20 from a fixed seed).
fn fixed_rng() -> rand_chacha::ChaCha20Rng {
    rand_core::SeedableRng::from_seed([9; 32])
}

/// Before: `EnvelopeWriter::finish` signed with `OsRng`, so two writers over the same deterministic RNG
/// wrote different signatures. Every draw now comes from the caller's RNG.
#[test]
fn envelope_writer_draws_every_random_byte_from_the_callers_rng() {
    let sk = key(KemId::X_WING, 1);
    let signer = default_provider().signature(SignatureId::ML_DSA_65).unwrap().key_pair_from_seed(&[5; 32]).unwrap();
    let options = SealOptions { signer: Some(&signer), qne: QneSource::Given(vec![1; 32]), ..SealOptions::default() };
    let write = || {
        let mut rng = fixed_rng();
        let mut w = EnvelopeWriter::new(Vec::new(), &[sk.public_key().clone().into()], &options, &mut rng).unwrap();
        w.write_all(&[3u8; 70_000]).unwrap();
        w.finish().unwrap()
    };
    let (a, b) = (write(), write());
    assert_eq!(a, b, "two writers over the same RNG state wrote different envelopes");
    // The single-shot writer with the same RNG and the same chunking makes the same bytes.
    let streamed = SealOptions { streamed: true, ..options.clone() };
    let single =
        envelope::seal(&[sk.public_key().clone().into()], &[3u8; 70_000], &streamed, &mut fixed_rng()).unwrap();
    assert_eq!(a, single);
    let verify = OpenOptions { verify_sender: Some(signer.verifying_key()), ..OpenOptions::default() };
    assert!(envelope::open(&a, &sk, &verify).unwrap().info.sender_verified);
}

/// Before: the same recipient given twice produced two identical stanzas.
#[test]
fn duplicate_recipients_are_refused_when_sealing() {
    let sk = key(KemId::X_WING, 1);
    let to = [Recipient::from(sk.public_key().clone()), Recipient::new(sk.public_key().clone(), 4)];
    assert_eq!(
        envelope::seal(&to, b"x", &SealOptions::default(), &mut OsRng).unwrap_err(),
        Error::DuplicateRecipient { key_id: sk.key_id() }
    );
}

/// Before: `open()` on armored text said only "not a qres envelope".
#[test]
fn armored_input_to_the_binary_reader_names_the_armor() {
    let sk = key(KemId::X_WING, 1);
    let sealed = envelope::seal(&[sk.public_key().clone().into()], b"x", &SealOptions::default(), &mut OsRng).unwrap();
    let text = armor::encode(&sealed).unwrap();
    assert_eq!(envelope::open(text.as_bytes(), &sk, &OpenOptions::default()).unwrap_err(), Error::ArmoredEnvelope);
    assert_eq!(EnvelopeReader::new(text.as_bytes(), &sk, &OpenOptions::default()).err(), Some(Error::ArmoredEnvelope));
    assert!(Error::ArmoredEnvelope.to_string().contains("decode the armor"));
    // Another armored object (a key file) is not an envelope at all.
    assert_eq!(
        envelope::open(b"-----BEGIN QRES PRIVATE KEY-----\n", &sk, &OpenOptions::default()).unwrap_err(),
        Error::NotAnEnvelope
    );
}

/// Before: `armor::encode` wrote any size while `armor::decode` refused over 64 MiB, so a 49 MiB
/// envelope armored fine and could not be read back. The limits are now the same both ways.
#[test]
fn in_memory_armor_limits_are_symmetric() {
    let max_payload = (armor::MAX_ARMORED_LEN - 200) / 65 * 48; // fits with line endings and BEGIN/END lines
    let ok = vec![0xa5u8; max_payload];
    let text = armor::encode(&ok).unwrap();
    assert!(text.len() <= armor::MAX_ARMORED_LEN);
    assert_eq!(armor::decode(&text).unwrap(), ok);
    let too_big = vec![0xa5u8; 49 << 20];
    assert!(matches!(armor::encode(&too_big), Err(Error::LengthOutOfRange { .. })));
    assert!(matches!(armor::encode(&[]), Err(Error::LengthOutOfRange { .. })));
}

/// The streaming armor parser accepts exactly what the in-memory one does, fed one byte at a time.
#[test]
fn streaming_armor_agrees_with_the_in_memory_parser() {
    struct OneByte<'a>(&'a [u8]);
    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }
    let good = armor::encode(&[0xabu8; 100]).unwrap();
    let cases = [
        good.clone(),
        good.replace('\n', "\r\n"),
        good.replacen('\n', "\r\n", 1),
        good.trim_end().to_string(),
        good.replacen("-----BEGIN", "----BEGIN", 1),
        format!("{good}junk\n"),
        format!("{good}\n"),
        good.replace("\n-----END", "\n\n-----END"),
        good.replace("=\n", "\n"),
        good.replacen('\n', "\r", 1),
        good.replace("END QRES ENVELOPE", "END QRES OTHER"),
        format!("{}\n{}\n{}\n", armor::BEGIN, "A".repeat(200), armor::END),
    ];
    for (i, text) in cases.iter().enumerate() {
        let in_memory = armor::decode(text);
        let mut streamed = Vec::new();
        let streaming = armor::reader(OneByte(text.as_bytes())).read_to_end(&mut streamed).map(|_| streamed);
        assert_eq!(in_memory.is_ok(), streaming.is_ok(), "case {i}: {in_memory:?}");
        if let (Ok(a), Ok(b)) = (in_memory, streaming) {
            assert_eq!(a, b);
        }
    }
    // The writer produces exactly what `encode` does, for every length around a line.
    for n in [1usize, 47, 48, 49, 95, 96, 97, 1000] {
        let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
        let mut w = armor::writer(Vec::new()).unwrap();
        for b in data.chunks(7) {
            w.write_all(b).unwrap();
        }
        assert_eq!(String::from_utf8(w.finish().unwrap()).unwrap(), armor::encode(&data).unwrap(), "{n}");
    }
}

/// Before: a truncated streamed envelope left its authenticated prefix (31 MB of a 30 MiB truncation)
/// in the caller's output file. `open_to_path` leaves nothing at the path, and no temporary file.
#[test]
fn open_to_path_never_leaves_unauthenticated_plaintext() {
    let sk = key(KemId::X_WING, 1);
    let msg: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
    let options = SealOptions { streamed: true, chunk_size: 4096, ..SealOptions::default() };
    let sealed = envelope::seal(&[sk.public_key().clone().into()], &msg, &options, &mut OsRng).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cut in [1, 100, 4096 + 16, 200_000] {
        let out = dir.path().join(format!("cut-{cut}"));
        let err = envelope::open_to_path(&sealed[..sealed.len() - cut], &sk, &OpenOptions::default(), &out);
        assert_eq!(err.unwrap_err(), Error::AuthenticationFailed, "cut {cut}");
        assert!(!out.exists(), "cut {cut}: output file left behind");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "temporary files left behind");
    let out = dir.path().join("whole");
    envelope::open_to_path(&sealed[..], &sk, &OpenOptions::default(), &out).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), msg);
    // An existing file is never replaced.
    assert!(matches!(
        envelope::open_to_path(&sealed[..], &sk, &OpenOptions::default(), &out),
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(std::fs::read(&out).unwrap(), msg);
}

/// FORMAT.md "X25519": the seven small-order encodings give X25519 output zero with every scalar (so
/// the list is right), X-Wing refuses public keys with them, and nobody can seal to such a key.
/// Before: qres accepted both a low-order share and the all-zero shared secret.
#[test]
fn xwing_refuses_small_order_x25519_shares() {
    use qres::kem::xwing::{X25519_LOW_ORDER, x25519_is_low_order};
    for (i, u) in X25519_LOW_ORDER.iter().enumerate() {
        for s in [[1u8; 32], [0x42; 32], [0xfe; 32]] {
            let shared = x25519_dalek::x25519(s, *u);
            assert_eq!(shared, [0u8; 32], "entry {i} is not of small order");
        }
        let mut high = *u;
        high[31] |= 0x80;
        assert!(x25519_is_low_order(&high), "entry {i} with the top bit set");
    }
    // Random points are not of small order.
    for s in 1..50u8 {
        let point = x25519_dalek::x25519([s; 32], x25519_dalek::X25519_BASEPOINT_BYTES);
        assert!(!x25519_is_low_order(&point));
        assert_ne!(x25519_dalek::x25519([7; 32], point), [0u8; 32]);
    }
    let xwing = default_provider().kem(KemId::X_WING).unwrap();
    let good = key(KemId::X_WING, 1).public_key().as_bytes().to_vec();
    for u in X25519_LOW_ORDER {
        let mut pk = good.clone();
        pk[1184..].copy_from_slice(&u);
        assert!(matches!(xwing.parse_public_key(&pk), Err(Error::InvalidKey { .. })));
    }
    // Decapsulation refuses a ciphertext whose X25519 share has small order.
    let sk = key(KemId::X_WING, 1);
    let mut ct = sk.public_key().encapsulate(&mut OsRng).unwrap().ciphertext;
    ct[1088..].copy_from_slice(&X25519_LOW_ORDER[3]);
    assert!(matches!(sk.decapsulate(&ct), Err(Error::InvalidKey { .. })));
}
