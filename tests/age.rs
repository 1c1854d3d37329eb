//! age v1 (feature `age`): the C2SP age test kit (`../shared/vectors/age-testkit`, every file with its
//! expected outcome) and the API's own guarantees (round trips for every recipient type and armor, refused
//! combinations, key text checks, no secret in `Debug` or errors).
#![cfg(feature = "age")]

mod common;

use qres::age::{
    AgeError, AgeIdentity, AgeRecipient, Decryptor, Encryptor, HybridIdentity, HybridRecipient, error_of,
    parse_identity_file, parse_recipients_file,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// One test-kit file: its header fields and the age file after the empty line.
struct KitFile {
    expect: String,
    payload_sha256: Option<String>,
    identities: Vec<String>,
    passphrase: Option<String>,
    armored: bool,
    body: Vec<u8>,
}

fn parse_kit_file(bytes: &[u8]) -> KitFile {
    let split = bytes.windows(2).position(|w| w == b"\n\n").expect("a test-kit header ends with an empty line");
    let header = std::str::from_utf8(&bytes[..split]).expect("the test-kit header is text");
    let mut file = KitFile {
        expect: String::new(),
        payload_sha256: None,
        identities: Vec::new(),
        passphrase: None,
        armored: false,
        body: bytes[split + 2..].to_vec(),
    };
    let mut compressed = false;
    for line in header.lines() {
        let (key, value) = line.split_once(": ").unwrap_or_else(|| panic!("test-kit header line {line:?}"));
        match key {
            "expect" => file.expect = value.to_owned(),
            "payload" => file.payload_sha256 = Some(value.to_owned()),
            "identity" => file.identities.push(value.to_owned()),
            "passphrase" => file.passphrase = Some(value.to_owned()),
            "armored" => file.armored = value == "yes",
            "compressed" => compressed = value == "zlib",
            _ => {} // "file key", "comment", and keys a later kit adds (CCTV: unknown keys are ignored)
        }
    }
    if compressed {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&file.body[..]).read_to_end(&mut out).unwrap();
        file.body = out;
    }
    file
}

/// Decrypts like `age -d`: the payload read so far, and the error if any.
fn decrypt_kit_file(file: &KitFile) -> (Vec<u8>, Result<(), AgeError>) {
    let mut payload = Vec::new();
    let result = (|| {
        let decryptor = Decryptor::new(&file.body[..])?;
        let mut reader = match &file.passphrase {
            Some(p) => decryptor.decrypt_with_passphrase(p)?,
            None => {
                let ids: Vec<AgeIdentity> = file.identities.iter().map(|s| s.parse().unwrap()).collect();
                decryptor.decrypt(&ids)?
            }
        };
        reader.read_to_end(&mut payload).map_err(|e| match error_of(&e) {
            Some(_) => *e.into_inner().unwrap().downcast::<AgeError>().unwrap(),
            None => AgeError::Io(e),
        })?;
        Ok(())
    })();
    (payload, result)
}

fn class(e: &AgeError) -> &'static str {
    match e {
        AgeError::Header(_) | AgeError::ExcessiveWork { .. } => "header failure",
        AgeError::HeaderMac => "HMAC failure",
        AgeError::Payload => "payload failure",
        AgeError::Armor(_) => "armor failure",
        AgeError::NoMatch => "no match",
        _ => "other",
    }
}

#[test]
fn c2sp_age_test_kit() {
    let dir = require!(common::vectors_dir()).join("age-testkit");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "LICENSE")
        .collect();
    names.sort();
    let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for name in &names {
        let file = parse_kit_file(&std::fs::read(dir.join(name)).unwrap());
        let (payload, result) = decrypt_kit_file(&file);
        let got = match &result {
            Ok(()) => "success",
            Err(e) => class(e),
        };
        let mut ok = got == file.expect;
        // Success, and a payload failure too, must match the payload hash: a failure may release only the
        // chunks that authenticated before it.
        if ok && let Some(want) = &file.payload_sha256 {
            ok = hex::encode(Sha256::digest(&payload)) == *want;
        }
        if file.armored && got == "success" {
            assert!(file.body.starts_with(b"-----") || file.body[0].is_ascii_whitespace(), "{name}");
        }
        if ok {
            *by_class.entry(file.expect.clone()).or_default() += 1;
        } else {
            failures.push(format!("{name}: expected {}, got {got} ({result:?})", file.expect));
        }
    }
    println!("age test kit: {} files handled, by expected outcome {by_class:?}, 0 skipped", names.len());
    assert!(
        failures.is_empty(),
        "{} of {} test-kit files failed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
    assert_eq!(names.len(), 143, "the C2SP age test kit has 143 files");
}

fn seal(recipients: &[AgeRecipient], plaintext: &[u8], armor: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = Encryptor::with_recipients(recipients).unwrap().armored(armor).wrap_output(&mut out).unwrap();
    w.write_all(plaintext).unwrap();
    w.finish().unwrap();
    out
}

fn open(sealed: &[u8], identities: &[AgeIdentity]) -> Result<Vec<u8>, AgeError> {
    let mut out = Vec::new();
    let mut r = Decryptor::new(sealed)?.decrypt(identities)?;
    r.read_to_end(&mut out).map_err(AgeError::Io)?;
    Ok(out)
}

#[test]
fn every_recipient_type_round_trips_binary_and_armored() {
    let sizes = [0usize, 1, 64 * 1024, 64 * 1024 + 1, 200_000];
    let mut checked = 0;
    for hybrid in [false, true] {
        let identity = if hybrid {
            AgeIdentity::generate_hybrid(&mut qres::OsRng).unwrap()
        } else {
            AgeIdentity::generate_x25519()
        };
        let recipient: AgeRecipient = identity.to_public().to_string().parse().unwrap();
        assert_eq!(recipient.is_post_quantum(), hybrid);
        let other = AgeIdentity::generate_hybrid(&mut qres::OsRng).unwrap();
        for armor in [false, true] {
            for &n in &sizes {
                let plaintext: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
                let sealed = seal(std::slice::from_ref(&recipient), &plaintext, armor);
                assert_eq!(sealed.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"), armor);
                assert_eq!(open(&sealed, std::slice::from_ref(&identity)).unwrap(), plaintext);
                assert!(matches!(open(&sealed, std::slice::from_ref(&other)), Err(AgeError::NoMatch)));
                checked += 1;
            }
        }
    }
    println!("age round trips: {checked}");
    assert_eq!(checked, 20);
}

#[test]
fn the_hybrid_stanza_follows_the_spec() {
    let identity = HybridIdentity::generate(&mut qres::OsRng).unwrap();
    let sealed = seal(&[AgeRecipient::Hybrid(identity.to_public())], b"x", false);
    let text = String::from_utf8_lossy(&sealed);
    let stanza = text.lines().nth(1).unwrap();
    let args: Vec<&str> = stanza.split(' ').collect();
    assert_eq!(args[..2], ["->", "mlkem768x25519"]);
    assert_eq!(args.len(), 3);
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::STANDARD_NO_PAD.decode(args[2]).unwrap().len(), 1120);
    // The body: 32 bytes, 43 base64 characters on one short line.
    assert_eq!(text.lines().nth(2).unwrap().len(), 43);
}

#[test]
fn passphrase_files_round_trip_and_a_wrong_passphrase_is_no_match() {
    for armor in [false, true] {
        let mut sealed = Vec::new();
        let mut w =
            Encryptor::with_passphrase("correct horse", 10).unwrap().armored(armor).wrap_output(&mut sealed).unwrap();
        w.write_all(b"secret words").unwrap();
        w.finish().unwrap();
        let d = Decryptor::new(&sealed[..]).unwrap();
        assert!(d.is_passphrase());
        let mut out = Vec::new();
        d.decrypt_with_passphrase("correct horse").unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, b"secret words");
        let wrong = Decryptor::new(&sealed[..]).unwrap().decrypt_with_passphrase("wrong").err().unwrap();
        assert!(matches!(wrong, AgeError::NoMatch), "{wrong:?}");
        let id = AgeIdentity::generate_x25519();
        assert!(matches!(Decryptor::new(&sealed[..]).unwrap().decrypt(&[id]), Err(AgeError::WrongMode(_))));
    }
    assert!(Encryptor::with_passphrase("", 18).is_err());
    assert!(Encryptor::with_passphrase("p", 23).is_err());
}

#[test]
fn post_quantum_and_classical_recipients_are_not_mixed_and_none_is_given_twice() {
    let pq = AgeIdentity::generate_hybrid(&mut qres::OsRng).unwrap().to_public();
    let pq2 = AgeIdentity::generate_hybrid(&mut qres::OsRng).unwrap().to_public();
    let classic = AgeIdentity::generate_x25519().to_public();
    let e = Encryptor::with_recipients(&[pq.clone(), classic.clone()]).err().unwrap();
    assert!(e.to_string().contains("cannot be mixed"), "{e}");
    assert!(Encryptor::with_recipients(&[pq.clone(), pq.clone()]).is_err());
    assert!(Encryptor::with_recipients(&[]).is_err());
    // Several post-quantum recipients: each opens it.
    let ids: Vec<AgeIdentity> = (0..3).map(|_| AgeIdentity::generate_hybrid(&mut qres::OsRng).unwrap()).collect();
    let to: Vec<AgeRecipient> = ids.iter().map(|i| i.to_public()).chain([pq2]).collect();
    let sealed = seal(&to, b"to three", true);
    for id in ids {
        assert_eq!(open(&sealed, &[id]).unwrap(), b"to three");
    }
}

#[test]
fn every_single_character_edit_of_a_hybrid_recipient_is_refused() {
    let text = HybridIdentity::generate(&mut qres::OsRng).unwrap().to_public().to_string();
    assert!(text.starts_with("age1pq1"));
    assert_eq!(text.len(), 1959);
    let alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let mut tried = 0;
    // Every position, three substitutions each (a Bech32 checksum detects every one).
    for (i, c) in text.char_indices().skip(7) {
        for r in alphabet.chars().filter(|&r| r != c).take(3) {
            let mut edited = text.clone();
            edited.replace_range(i..i + 1, &r.to_string());
            assert!(edited.parse::<HybridRecipient>().is_err(), "edit at {i} accepted");
            tried += 1;
        }
    }
    println!("single-character edits of an age1pq recipient refused: {tried}");
    assert_eq!(tried, (1959 - 7) * 3);
    assert!(text.to_uppercase().parse::<HybridRecipient>().is_err());
    assert!(text[..text.len() - 1].parse::<AgeRecipient>().is_err());
}

#[test]
fn identity_files_parse_with_comments_and_errors_name_the_line_not_the_secret() {
    let pq = HybridIdentity::generate(&mut qres::OsRng).unwrap();
    let x = AgeIdentity::generate_x25519();
    let pq_text = pq.to_secret_string();
    let file = format!(
        "# created: 2026-12-03\n# public key: {}\n{}\n\n{}\n",
        pq.to_public(),
        &*pq_text,
        &*x.to_secret_string()
    );
    let ids = parse_identity_file(&file).unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0].to_public().to_string(), pq.to_public().to_string());
    // A damaged secret: the error names line 3 and holds no part of the key.
    let mut damaged = pq_text.to_string();
    damaged.replace_range(30..31, if &damaged[30..31] == "Q" { "P" } else { "Q" });
    let bad = format!("# comment\n\n{damaged}\n");
    let e = parse_identity_file(&bad).err().unwrap();
    assert!(matches!(e, AgeError::IdentityFileLine { line: 3, .. }), "{e:?}");
    assert!(!e.to_string().contains(&damaged[19..40]), "{e}");
    assert!(!format!("{:?}", ids[0]).contains(&pq_text[19..40]));
    assert!(!format!("{:?}", ids[1]).contains("AGE-SECRET-KEY-1"));
    assert!(parse_identity_file("# nothing\n").is_err());
    assert!(parse_identity_file("age1pq1abc\n").is_err());
    // Lowercase identities are Bech32 too.
    assert!(pq_text.to_lowercase().parse::<HybridIdentity>().is_ok());
    let recipients = parse_recipients_file(&format!("# team\n{}\n{}\n", pq.to_public(), x.to_public())).unwrap();
    assert_eq!(recipients.len(), 2);
    // Bad recipients files: nothing in them, a damaged key, an identity where a recipient belongs.
    assert!(matches!(parse_recipients_file("# nobody\n\n"), Err(AgeError::InvalidRecipient(_))));
    let mut bad = pq.to_public().to_string();
    bad.replace_range(40..41, if &bad[40..41] == "q" { "p" } else { "q" });
    assert!(matches!(parse_recipients_file(&bad), Err(AgeError::InvalidRecipient(_))));
    let e = parse_recipients_file(&pq_text).err().unwrap();
    assert!(matches!(e, AgeError::InvalidRecipient(_)), "{e:?}");
    assert!(!e.to_string().contains(&pq_text[19..40]), "{e}");
    // A long identity file is refused before it is parsed.
    assert!(parse_identity_file(&"#".repeat(qres::age::MAX_IDENTITY_FILE_LEN + 1)).is_err());
}

#[test]
fn a_truncated_or_modified_file_fails_in_the_payload_with_a_typed_error() {
    let identity = AgeIdentity::generate_hybrid(&mut qres::OsRng).unwrap();
    let plaintext = vec![5u8; 200_000];
    let sealed = seal(&[identity.to_public()], &plaintext, false);
    for cut in [sealed.len() - 1, sealed.len() - 17, sealed.len() - 70_000] {
        let mut out = Vec::new();
        let mut r = Decryptor::new(&sealed[..cut]).unwrap().decrypt(std::slice::from_ref(&identity)).unwrap();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert!(matches!(error_of(&e), Some(AgeError::Payload)), "{e:?}");
        // Only whole authenticated 64 KiB chunks came out.
        assert_eq!(out.len() % 65536, 0);
    }
    let mut flipped = sealed.clone();
    let n = flipped.len();
    flipped[n - 5] ^= 1;
    let mut r = Decryptor::new(&flipped[..]).unwrap().decrypt(std::slice::from_ref(&identity)).unwrap();
    let e = r.read_to_end(&mut Vec::new()).unwrap_err();
    assert!(matches!(error_of(&e), Some(AgeError::Payload)));
    // A header bit flip is a MAC failure (the stanza still opens).
    let mac_line = sealed.windows(4).position(|w| w == b"\n---").unwrap() + 6;
    let mut header_flip = sealed.clone();
    header_flip[mac_line] ^= 1;
    assert!(matches!(open(&header_flip, &[identity]), Err(AgeError::HeaderMac | AgeError::Header(_))));
}

#[test]
fn a_header_is_bounded_before_it_is_buffered() {
    let mut huge = b"age-encryption.org/v1\n".to_vec();
    let line = format!("-> X25519 {}\n{}\n", "A".repeat(43), "A".repeat(43));
    while huge.len() <= qres::age::MAX_HEADER_LEN + 1024 {
        huge.extend_from_slice(line.as_bytes());
    }
    assert!(matches!(Decryptor::new(&huge[..]), Err(AgeError::Header(_))));
}
