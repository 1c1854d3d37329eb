//! Envelope behaviour: round trips (single-shot and streamed, every KEM, many sizes, several recipients,
//! keysets across rotation), QNE, sender signatures, the legacy scheme, armor, limits, and tampering:
//! every single-bit flip and every truncation of an envelope, and chunks dropped, duplicated, reordered or
//! appended.

use qres::envelope::header::{MAGIC, MAX_RECIPIENTS};
use qres::envelope::{
    self, EnvelopeReader, EnvelopeWriter, OpenOptions, QneSource, Recipient, SealOptions, armor, error_of,
};
use qres::{AeadId, Error, KemId, KemSecretKey, OsRng, SignatureId, default_provider};
use std::io::{Read, Write};

fn key(kem: KemId, seed: u8) -> KemSecretKey {
    let k = default_provider().kem(kem).unwrap();
    k.key_pair_from_seed(&vec![seed; k.sizes().seed]).unwrap()
}

fn streamed(chunk_size: u32) -> SealOptions<'static> {
    SealOptions { streamed: true, chunk_size, ..SealOptions::default() }
}

fn read_all(sealed: &[u8], sk: &KemSecretKey) -> Result<Vec<u8>, Error> {
    let mut r = EnvelopeReader::new(sealed, sk, &OpenOptions::default())?;
    let mut out = Vec::new();
    match r.read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(error_of(&e).cloned().unwrap_or(Error::Backend("io"))),
    }
}

#[test]
fn round_trips_every_kem_and_size() {
    for kem in [KemId::X_WING, KemId::ML_KEM_512, KemId::ML_KEM_768, KemId::ML_KEM_1024] {
        let sk = key(kem, 1);
        let to = [Recipient::from(sk.public_key().clone())];
        for len in [0usize, 1, 1023, 1024, 1025, 3000, 4096] {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let single = envelope::seal(&to, &msg, &SealOptions::default(), &mut OsRng).unwrap();
            assert_eq!(envelope::open(&single, &sk, &OpenOptions::default()).unwrap().plaintext, msg);
            let stream = envelope::seal(&to, &msg, &streamed(1024), &mut OsRng).unwrap();
            assert_eq!(envelope::open(&stream, &sk, &OpenOptions::default()).unwrap().plaintext, msg, "{kem} {len}");
            assert_eq!(read_all(&stream, &sk).unwrap(), msg);
            assert_eq!(read_all(&single, &sk).unwrap(), msg);
            // The writer produces the same format.
            let mut w = EnvelopeWriter::new(Vec::new(), &to, &streamed(1024), &mut OsRng).unwrap();
            for piece in msg.chunks(333) {
                w.write_all(piece).unwrap();
            }
            let written = w.finish().unwrap();
            assert_eq!(written.len(), stream.len());
            assert_eq!(envelope::open(&written, &sk, &OpenOptions::default()).unwrap().plaintext, msg);
        }
    }
}

#[test]
fn multiple_recipients_and_keyset_rotation() {
    let (a, b, c) = (key(KemId::X_WING, 1), key(KemId::X_WING, 2), key(KemId::X_WING, 3));
    let to = [Recipient::new(a.public_key().clone(), 1), Recipient::new(b.public_key().clone(), 1)];
    let sealed = envelope::seal(&to, b"to two", &SealOptions::default(), &mut OsRng).unwrap();
    assert_eq!(envelope::open(&sealed, &a, &OpenOptions::default()).unwrap().plaintext, b"to two");
    assert_eq!(envelope::open(&sealed, &b, &OpenOptions::default()).unwrap().plaintext, b"to two");
    let err = envelope::open(&sealed, &c, &OpenOptions::default()).unwrap_err();
    let Error::NoMatchingKey { wanted, available } = &err else { panic!("{err}") };
    assert_eq!(wanted, &vec![(a.key_id(), 1), (b.key_id(), 1)]);
    assert_eq!(available, &vec![(c.key_id(), 0)]);
    assert!(err.to_string().contains(&a.key_id().to_string()), "{err}");

    // A keyset: version 1 (old, still enabled for opening) and version 2 (new primary).
    let old =
        envelope::seal(&[Recipient::new(a.public_key().clone(), 1)], b"before", &SealOptions::default(), &mut OsRng)
            .unwrap();
    let new =
        envelope::seal(&[Recipient::new(c.public_key().clone(), 2)], b"after", &SealOptions::default(), &mut OsRng)
            .unwrap();
    let keyset = vec![(1u32, key(KemId::X_WING, 1)), (2u32, key(KemId::X_WING, 3))];
    assert_eq!(envelope::open(&old, &keyset, &OpenOptions::default()).unwrap().plaintext, b"before");
    assert_eq!(envelope::open(&new, &keyset, &OpenOptions::default()).unwrap().plaintext, b"after");
    // Versions are matched exactly in a keyset.
    let wrong_version = vec![(9u32, key(KemId::X_WING, 1))];
    assert!(matches!(envelope::open(&old, &wrong_version, &OpenOptions::default()), Err(Error::NoMatchingKey { .. })));
    // Mixed KEMs are refused when sealing.
    let mixed =
        [Recipient::from(a.public_key().clone()), Recipient::from(key(KemId::ML_KEM_768, 1).public_key().clone())];
    assert!(matches!(
        envelope::seal(&mixed, b"", &SealOptions::default(), &mut OsRng),
        Err(Error::WrongAlgorithm { what: "envelope recipient key", .. })
    ));
}

#[test]
fn qne_is_carried_authenticated_and_returned() {
    let sk = key(KemId::X_WING, 1);
    let to = [Recipient::from(sk.public_key().clone())];
    let qne = (0..64u8).collect::<Vec<_>>();
    let options = SealOptions { qne: QneSource::Given(qne.clone()), ..SealOptions::default() };
    let sealed = envelope::seal(&to, b"m", &options, &mut OsRng).unwrap();
    let opened = envelope::open(&sealed, &sk, &OpenOptions::default()).unwrap();
    assert_eq!(opened.qne, qne);
    // The QNE sits in the clear right after the fixed header fields.
    let at = 8 + 1 + 1 + 8 + 4 + 2;
    assert_eq!(&sealed[at..at + 64], &qne[..]);
    let mut tampered = sealed.clone();
    tampered[at + 5] ^= 0x10;
    assert_eq!(envelope::open(&tampered, &sk, &OpenOptions::default()).unwrap_err(), Error::AuthenticationFailed);
    // Default: 32 bytes from the configured source (the OS).
    let sealed = envelope::seal(&to, b"m", &SealOptions::default(), &mut OsRng).unwrap();
    assert_eq!(envelope::open(&sealed, &sk, &OpenOptions::default()).unwrap().qne.len(), 32);
    // A custom entropy source.
    let source: std::sync::Arc<std::sync::Mutex<dyn qres::rng::EntropySource>> =
        std::sync::Arc::new(std::sync::Mutex::new(qres::rng::OsEntropy));
    let options = SealOptions { qne: QneSource::Source(source), qne_len: 100, ..SealOptions::default() };
    let sealed = envelope::seal(&to, b"m", &options, &mut OsRng).unwrap();
    assert_eq!(envelope::open(&sealed, &sk, &OpenOptions::default()).unwrap().qne.len(), 100);
}

#[test]
fn sender_signatures() {
    let sk = key(KemId::X_WING, 1);
    let to = [Recipient::from(sk.public_key().clone())];
    let p = default_provider();
    let signer = p.signature(SignatureId::ML_DSA_65).unwrap().key_pair_from_seed(&[5; 32]).unwrap();
    let other = p.signature(SignatureId::ML_DSA_65).unwrap().key_pair_from_seed(&[6; 32]).unwrap();
    for options in [
        SealOptions { signer: Some(&signer), ..SealOptions::default() },
        SealOptions { signer: Some(&signer), ..streamed(1024) },
    ] {
        let sealed = envelope::seal(&to, &vec![1u8; 2500], &options, &mut OsRng).unwrap();
        let verify = OpenOptions { verify_sender: Some(signer.verifying_key()), ..OpenOptions::default() };
        let opened = envelope::open(&sealed, &sk, &verify).unwrap();
        assert!(opened.info.sender_verified);
        assert_eq!(opened.info.header.signer, Some((SignatureId::ML_DSA_65, signer.key_id())));
        // Opening without verification still works; the signature is skipped.
        assert!(!envelope::open(&sealed, &sk, &OpenOptions::default()).unwrap().info.sender_verified);
        // Another key: a clear error once the header is authentic, before the payload is decrypted.
        let wrong = OpenOptions { verify_sender: Some(other.verifying_key()), ..OpenOptions::default() };
        assert_eq!(
            envelope::open(&sealed, &sk, &wrong).unwrap_err(),
            Error::SenderKeyMismatch { expected: other.key_id(), found: signer.key_id() }
        );
        // A damaged signature.
        let mut bad = sealed.clone();
        let n = bad.len();
        bad[n - 10] ^= 1;
        assert_eq!(envelope::open(&bad, &sk, &verify).unwrap_err(), Error::AuthenticationFailed);
        // Through the streaming reader too.
        let mut r = EnvelopeReader::new(&sealed[..], &sk, &verify).unwrap();
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert!(r.info().sender_verified);
    }
    // An unsigned envelope cannot satisfy a verification request.
    let sealed = envelope::seal(&to, b"x", &SealOptions::default(), &mut OsRng).unwrap();
    let verify = OpenOptions { verify_sender: Some(signer.verifying_key()), ..OpenOptions::default() };
    assert_eq!(envelope::open(&sealed, &sk, &verify).unwrap_err(), Error::SenderSignatureMissing);
}

#[test]
fn legacy_scheme_opens_always_seals_only_on_request() {
    let sk = key(KemId::ML_KEM_768, 1);
    let to = [Recipient::from(sk.public_key().clone())];
    let legacy = SealOptions { payload_aead: AeadId::AES_256_CBC_HMAC_SHA256, ..SealOptions::default() };
    assert!(matches!(envelope::seal(&to, b"old", &legacy, &mut OsRng), Err(Error::Unsupported(_))));
    let allowed = SealOptions { allow_legacy: true, ..legacy.clone() };
    let sealed = envelope::seal(&to, b"old data", &allowed, &mut OsRng).unwrap();
    assert_eq!(envelope::open(&sealed, &sk, &OpenOptions::default()).unwrap().plaintext, b"old data");
    let streamed_legacy = SealOptions { streamed: true, ..allowed };
    assert!(matches!(envelope::seal(&to, b"x", &streamed_legacy, &mut OsRng), Err(Error::Unsupported(_))));
    for i in 0..sealed.len() {
        let mut t = sealed.clone();
        t[i] ^= 0x80;
        assert!(envelope::open(&t, &sk, &OpenOptions::default()).is_err(), "flip at {i} accepted");
    }
}

#[test]
fn limits_are_enforced_when_sealing() {
    let sk = key(KemId::ML_KEM_512, 1);
    let many: Vec<Recipient> = (0..=MAX_RECIPIENTS).map(|_| Recipient::from(sk.public_key().clone())).collect();
    assert!(matches!(
        envelope::seal(&many, b"", &SealOptions::default(), &mut OsRng),
        Err(Error::LengthOutOfRange { .. })
    ));
    assert!(matches!(
        envelope::seal(&[], b"", &SealOptions::default(), &mut OsRng),
        Err(Error::LengthOutOfRange { .. })
    ));
    let to = [Recipient::from(sk.public_key().clone())];
    for chunk in [0, 1023, (16 << 20) + 1] {
        assert!(matches!(envelope::seal(&to, b"", &streamed(chunk), &mut OsRng), Err(Error::LengthOutOfRange { .. })));
    }
    let big_qne = SealOptions { qne: QneSource::Given(vec![0; 1025]), ..SealOptions::default() };
    assert!(matches!(envelope::seal(&to, b"", &big_qne, &mut OsRng), Err(Error::LengthOutOfRange { .. })));
    // 256 recipients is fine (each a different key: a repeated key is refused).
    let max: Vec<Recipient> = std::iter::once(Recipient::from(sk.public_key().clone()))
        .chain((1..MAX_RECIPIENTS).map(|i| {
            let kem = default_provider().kem(KemId::ML_KEM_512).unwrap();
            let mut seed = [0u8; 64];
            seed[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Recipient::from(kem.key_pair_from_seed(&seed).unwrap().public_key().clone())
        }))
        .collect();
    let sealed = envelope::seal(&max, b"many", &SealOptions::default(), &mut OsRng).unwrap();
    assert_eq!(envelope::open(&sealed, &sk, &OpenOptions::default()).unwrap().plaintext, b"many");
}

/// The byte ranges of the public routing fields of a one-recipient, unsigned envelope.
struct Layout {
    version: usize,
    ids: std::ops::Range<usize>,
    key_id: std::ops::Range<usize>,
}

fn layout(qne_len: usize) -> Layout {
    let stanza = 8 + 1 + 1 + 8 + 4 + 2 + qne_len + 2;
    Layout { version: 8, ids: 10..18, key_id: stanza..stanza + 16 }
}

#[test]
fn every_bit_flip_and_truncation_fails() {
    let sk = key(KemId::ML_KEM_512, 9);
    let to = [Recipient::from(sk.public_key().clone())];
    for options in [SealOptions::default(), streamed(1024)] {
        // About 1 KiB of ciphertext beyond the header; for the streamed case two chunks.
        let msg = vec![0x5au8; if options.streamed { 1100 } else { 1024 }];
        let sealed = envelope::seal(&to, &msg, &options, &mut OsRng).unwrap();
        let l = layout(32);
        let (mut auth, mut routing) = (0usize, 0usize);
        for byte in 0..sealed.len() {
            for bit in 0..8 {
                let mut t = sealed.clone();
                t[byte] ^= 1 << bit;
                let err = envelope::open(&t, &sk, &OpenOptions::default()).unwrap_err();
                let reader = read_all(&t, &sk).unwrap_err();
                assert_eq!(err, reader, "open and reader disagree at byte {byte} bit {bit}");
                let expected_routing = match byte {
                    b if b < MAGIC.len() => matches!(err, Error::NotAnEnvelope),
                    b if b == l.version => matches!(err, Error::UnsupportedVersion(_)),
                    b if l.ids.contains(&b) => matches!(
                        err,
                        Error::UnknownAlgorithm { .. } | Error::Unsupported(_) | Error::AuthenticationFailed
                    ),
                    b if l.key_id.contains(&b) => matches!(err, Error::NoMatchingKey { .. }),
                    _ => {
                        assert_eq!(err, Error::AuthenticationFailed, "byte {byte} bit {bit}");
                        auth += 1;
                        continue;
                    }
                };
                assert!(expected_routing, "byte {byte} bit {bit}: {err}");
                routing += 1;
            }
        }
        println!(
            "bit flips over a {}-byte envelope (streamed: {}): {auth} authentication failures, {routing} routing-field errors",
            sealed.len(),
            options.streamed
        );
        assert_eq!(auth + routing, sealed.len() * 8);
        for cut in 0..sealed.len() {
            let err = envelope::open(&sealed[..cut], &sk, &OpenOptions::default()).unwrap_err();
            let ok = if cut < MAGIC.len() { err == Error::NotAnEnvelope } else { err == Error::AuthenticationFailed };
            assert!(ok, "truncation at {cut}: {err}");
            assert_eq!(read_all(&sealed[..cut], &sk).unwrap_err(), err, "reader, truncation at {cut}");
        }
        // Appended bytes.
        for extra in [&[0u8][..], &[1, 2, 3], &sealed[sealed.len() - 16..]] {
            let mut t = sealed.clone();
            t.extend_from_slice(extra);
            assert_eq!(envelope::open(&t, &sk, &OpenOptions::default()).unwrap_err(), Error::AuthenticationFailed);
            assert_eq!(read_all(&t, &sk).unwrap_err(), Error::AuthenticationFailed);
        }
    }
}

#[test]
fn chunk_level_attacks_are_detected() {
    let sk = key(KemId::X_WING, 4);
    let to = [Recipient::from(sk.public_key().clone())];
    let msg: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    let sealed = envelope::seal(&to, &msg, &streamed(1024), &mut OsRng).unwrap();
    let header_len = sealed.len() - (4 * (1024 + 16) + (5000 - 4096) + 16);
    let (header, payload) = sealed.split_at(header_len);
    let chunks: Vec<&[u8]> = payload.chunks(1040).collect();
    assert_eq!(chunks.len(), 5);
    let build = |order: &[usize]| {
        let mut v = header.to_vec();
        for &i in order {
            v.extend_from_slice(chunks[i]);
        }
        v
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("dropped middle chunk", build(&[0, 1, 3, 4])),
        ("dropped final chunk", build(&[0, 1, 2, 3])),
        ("dropped first chunk", build(&[1, 2, 3, 4])),
        ("duplicated chunk", build(&[0, 1, 1, 2, 3, 4])),
        ("reordered chunks", build(&[0, 2, 1, 3, 4])),
        ("final chunk moved", build(&[0, 1, 2, 4, 3])),
        ("chunk appended after final", build(&[0, 1, 2, 3, 4, 0])),
        ("only the header", build(&[])),
    ];
    for (what, t) in cases {
        assert_eq!(
            envelope::open(&t, &sk, &OpenOptions::default()).unwrap_err(),
            Error::AuthenticationFailed,
            "{what}"
        );
        assert_eq!(read_all(&t, &sk).unwrap_err(), Error::AuthenticationFailed, "{what} (reader)");
    }
    // A chunk from another envelope to the same key (different file key) is rejected.
    let other = envelope::seal(&to, &msg, &streamed(1024), &mut OsRng).unwrap();
    let mut spliced = sealed.clone();
    spliced[header_len..header_len + 1040].copy_from_slice(&other[header_len..header_len + 1040]);
    assert_eq!(read_all(&spliced, &sk).unwrap_err(), Error::AuthenticationFailed);
    // The reader releases the authenticated prefix but fails before reporting the end of the stream.
    let truncated = build(&[0, 1, 2]);
    let mut r = EnvelopeReader::new(&truncated[..], &sk, &OpenOptions::default()).unwrap();
    let mut out = Vec::new();
    let err = r.read_to_end(&mut out).unwrap_err();
    assert_eq!(error_of(&err), Some(&Error::AuthenticationFailed));
    assert_eq!(out, msg[..2048], "only chunks that authenticated were released");
}

#[test]
fn armored_envelopes() {
    let sk = key(KemId::X_WING, 2);
    let sealed =
        envelope::seal(&[sk.public_key().clone().into()], b"armored", &SealOptions::default(), &mut OsRng).unwrap();
    let text = armor::encode(&sealed).unwrap();
    assert!(text.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
    let back = armor::decode(&text).unwrap();
    assert_eq!(envelope::open(&back, &sk, &OpenOptions::default()).unwrap().plaintext, b"armored");
}

#[test]
fn unknown_version_and_suite_are_distinct_errors() {
    let sk = key(KemId::X_WING, 2);
    let sealed = envelope::seal(&[sk.public_key().clone().into()], b"x", &SealOptions::default(), &mut OsRng).unwrap();
    let mut v2 = sealed.clone();
    v2[8] = 2;
    assert_eq!(envelope::open(&v2, &sk, &OpenOptions::default()).unwrap_err(), Error::UnsupportedVersion(2));
    let mut suite = sealed.clone();
    suite[10] = 0x12;
    // A KEM id outside the format's table is "unsupported", whatever the reader implements.
    assert!(matches!(envelope::open(&suite, &sk, &OpenOptions::default()), Err(Error::Unsupported(_))));
    assert_eq!(
        envelope::open(b"not an envelope at all", &sk, &OpenOptions::default()).unwrap_err(),
        Error::NotAnEnvelope
    );
}

/// A recipient knows the file key, hence the payload key. Replacing a non-final chunk with another valid
/// chunk leaves the final tag unchanged: a signature over only the final tag would still verify. The
/// signature covers the whole payload, so the forgery is caught (FORMAT.md, "Trailer").
#[test]
fn a_recipient_cannot_forge_a_signed_message() {
    let p = default_provider();
    let (a, b) = (key(KemId::X_WING, 1), key(KemId::X_WING, 2));
    let to = [Recipient::from(a.public_key().clone()), Recipient::from(b.public_key().clone())];
    let signer = p.signature(SignatureId::ML_DSA_65).unwrap().key_pair_from_seed(&[5; 32]).unwrap();
    let options = SealOptions { signer: Some(&signer), ..streamed(1024) };
    let msg = vec![b'A'; 3000];
    let (sealed, trace) = qres::hazmat::envelope::seal_with_rng_trace(&to, &msg, &options, &mut OsRng).unwrap();
    // Recipient `a` re-encrypts chunk 0 with a message of its choosing under the real payload key.
    let aead = p.aead(AeadId::AES_256_GCM).unwrap().new_key(trace.payload_key.as_bytes()).unwrap();
    let forged_chunk = aead.seal_with_nonce(&trace.chunks[0].nonce, &trace.header_digest, &vec![b'F'; 1024]).unwrap();
    let header_len = trace.header_without_mac.len() + 32;
    let mut forged = sealed.clone();
    forged[header_len..header_len + 1040].copy_from_slice(&forged_chunk);
    // Without sender verification the forged envelope decrypts (recipients share the file key) ...
    let opened = envelope::open(&forged, &b, &OpenOptions::default()).unwrap();
    assert_eq!(&opened.plaintext[..4], b"FFFF");
    // ... but it cannot pass as the sender's message.
    let verify = OpenOptions { verify_sender: Some(signer.verifying_key()), ..OpenOptions::default() };
    assert_eq!(envelope::open(&forged, &b, &verify).unwrap_err(), Error::AuthenticationFailed);
    assert_eq!(envelope::open(&sealed, &b, &verify).unwrap().plaintext, msg);
}
