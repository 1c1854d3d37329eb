//! Key files, keysets and the file key store: round trips, strict parsing, the single error for a wrong
//! password or a tampered file, lifecycle events, rotation, concurrent writers, and a crash test that
//! kills a writer mid-write.

use qres::envelope::{self, OpenOptions, SealOptions};
use qres::keys::{
    AesKeyWrapper, FileKeyStore, KeyAlgorithm, KeyStatus, KeyStore, Keyset, PasswordWrapper, SecretKey, private, public,
};
use qres::password::{PasswordKdf, PasswordPolicy};
use qres::{Error, KemId, OsRng, SignatureId, default_provider};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A cheap policy for tests (the OWASP floor m = 19 MiB, t = 2); the default costs 64 MiB and t = 3.
fn policy() -> PasswordPolicy {
    PasswordPolicy { kdf_for_new: PasswordKdf::Argon2id { m_kib: 19_456, t: 2, p: 1 }, ..Default::default() }
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qres-keys-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn private_key_files_round_trip_for_every_algorithm() {
    let p = default_provider();
    let algorithms = [
        KeyAlgorithm::Kem(KemId::X_WING),
        KeyAlgorithm::Kem(KemId::ML_KEM_512),
        KeyAlgorithm::Kem(KemId::ML_KEM_768),
        KeyAlgorithm::Kem(KemId::ML_KEM_1024),
        KeyAlgorithm::Signature(SignatureId::ML_DSA_44),
        KeyAlgorithm::Signature(SignatureId::ML_DSA_65),
        KeyAlgorithm::Signature(SignatureId::ML_DSA_87),
    ];
    for alg in algorithms {
        let key = alg.generate(&p, &mut OsRng).unwrap();
        let file = private::encrypt(&key, b"pass phrase", &policy(), &mut OsRng).unwrap();
        let info = private::inspect(&file).unwrap();
        assert_eq!((info.algorithm, info.key_id, info.kdf), (alg, key.key_id(), Some(policy().kdf_for_new)));
        let back = private::decrypt(&file, b"pass phrase", &policy(), &p).unwrap();
        assert_eq!(back.key_id(), key.key_id(), "{alg}");
        assert_eq!(back.seed().unwrap().as_bytes(), key.seed().unwrap().as_bytes());
        // The public key round-trips through its text form too.
        let text = public::encode(&key.public_key()).unwrap();
        assert_eq!(public::decode(&text, &p).unwrap(), key.public_key());
    }
}

#[test]
fn wrong_password_and_tampering_give_the_same_error() {
    let p = default_provider();
    let key = SecretKey::Kem(p.kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap());
    let file = private::encrypt(&key, b"pass phrase", &policy(), &mut OsRng).unwrap();
    assert_eq!(private::decrypt(&file, b"pass phrasE", &policy(), &p).unwrap_err(), Error::AuthenticationFailed);
    let kdf_params = 8 + 1 + 2 + 16 + 1 + 1..8 + 1 + 2 + 16 + 1 + 13;
    let mut authentication_failures = 0;
    for i in 0..file.len() {
        let mut bad = file.clone();
        bad[i] ^= 0x04;
        let e = private::decrypt(&bad, b"pass phrase", &policy(), &p).unwrap_err();
        if i < 8 {
            // The magic: not a qres key file at all.
            assert!(matches!(e, Error::InvalidInput(_)), "byte {i}: {e}");
        } else if kdf_params.contains(&i) && e != Error::AuthenticationFailed {
            // KDF parameters pushed beyond the ceilings are refused before any work.
            assert!(matches!(e, Error::InvalidInput(_)), "byte {i}: {e}");
        } else {
            assert_eq!(e, Error::AuthenticationFailed, "byte {i}");
            authentication_failures += 1;
        }
    }
    assert!(authentication_failures > file.len() - 8 - 13, "{authentication_failures}");
    // Truncation and extension.
    assert!(private::decrypt(&file[..file.len() - 1], b"pass phrase", &policy(), &p).is_err());
    assert!(private::decrypt(&[&file[..], &[0]].concat(), b"pass phrase", &policy(), &p).is_err());
}

#[test]
fn salt_lengths_outside_16_to_64_are_refused_when_writing() {
    let p = default_provider();
    let key = SecretKey::Kem(p.kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap());
    for len in [0usize, 15, 65, 300] {
        let bad = PasswordPolicy { min_salt_len: len, ..policy() };
        assert!(private::encrypt(&key, b"pass phrase", &bad, &mut OsRng).is_err(), "{len}");
        assert!(PasswordWrapper::new(b"pass phrase", bad).is_err(), "{len}");
    }
    let long = PasswordPolicy { min_salt_len: 64, ..policy() };
    let file = private::encrypt(&key, b"pass phrase", &long, &mut OsRng).unwrap();
    assert_eq!(private::decrypt(&file, b"pass phrase", &policy(), &p).unwrap().key_id(), key.key_id());
}

#[test]
fn untrusted_kdf_parameters_are_refused_before_any_work() {
    let p = default_provider();
    let key = SecretKey::Kem(p.kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap());
    let mut file = private::encrypt(&key, b"pass phrase", &policy(), &mut OsRng).unwrap();
    let kdf_at = 8 + 1 + 2 + 16 + 1;
    // m = 4 TiB: would take forever and all memory; refused at once.
    file[kdf_at + 1..kdf_at + 5].copy_from_slice(&u32::MAX.to_be_bytes());
    let t = std::time::Instant::now();
    assert!(matches!(private::decrypt(&file, b"pass phrase", &policy(), &p), Err(Error::InvalidInput(_))));
    assert!(t.elapsed().as_millis() < 100);
}

#[test]
fn plaintext_key_files_need_an_explicit_opt_in() {
    let p = default_provider();
    let dir = temp_dir("plain");
    let key = SecretKey::Signing(p.signature(SignatureId::ML_DSA_65).unwrap().generate(&mut OsRng).unwrap());
    let path = dir.join("unprotected.key");
    private::write_file_unprotected(&path, &key).unwrap();
    // The password API refuses an unprotected file, and vice versa.
    assert!(matches!(private::read_file(&path, b"x", &policy(), &p), Err(Error::InvalidInput(_))));
    assert_eq!(private::read_file_unprotected(&path, &p).unwrap().key_id(), key.key_id());
    let protected = dir.join("protected.key");
    private::write_file(&protected, &key, b"pass phrase", &policy(), &mut OsRng).unwrap();
    assert!(matches!(private::read_file_unprotected(&protected, &p), Err(Error::InvalidInput(_))));
    assert_eq!(private::read_file(&protected, b"pass phrase", &policy(), &p).unwrap().key_id(), key.key_id());
    // Written 0600, and never over an existing file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for path in [&path, &protected] {
            assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
    let before = std::fs::read(&protected).unwrap();
    assert!(matches!(
        private::write_file(&protected, &key, b"other", &policy(), &mut OsRng),
        Err(Error::AlreadyExists { what: "file", .. })
    ));
    assert_eq!(std::fs::read(&protected).unwrap(), before);
    // An unprotected file whose seed was changed no longer matches its recorded key id.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut raw = qres::armor::decode(private::LABEL, &text, 1 << 20).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    assert!(private::decode_unprotected(&raw, &p).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_rotated_keyset_opens_data_sealed_before_the_rotation() {
    let p = default_provider();
    let mut ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    let mut sealed = Vec::new();
    for round in 0..4u32 {
        let msg = format!("message sealed under version {}", ks.primary_version());
        sealed.push((
            msg.clone(),
            envelope::seal(&[ks.recipient().unwrap()], msg.as_bytes(), &SealOptions::default(), &mut OsRng).unwrap(),
        ));
        assert_eq!(ks.rotate(&p, &mut OsRng).unwrap(), round + 2);
    }
    // Migrate to ML-KEM-1024 too: a keyset can change algorithm.
    ks.rotate_to(&p, KeyAlgorithm::Kem(KemId::ML_KEM_1024), &mut OsRng).unwrap();
    let ks = Keyset::decode(ks.encode().as_bytes(), &p).unwrap();
    for (msg, env) in &sealed {
        assert_eq!(envelope::open(env, &ks, &OpenOptions::default()).unwrap().plaintext, msg.as_bytes());
    }
    assert_eq!(ks.info().len(), 6);
    assert_eq!(ks.primary_kem().unwrap().algorithm(), KemId::ML_KEM_1024);
    // A key the keyset holds already cannot come back as another version (key ids stay unique, which
    // opening by key id relies on).
    let mut ks = ks;
    let again = ks.primary().algorithm().from_seed(&p, ks.primary().seed().unwrap().as_bytes()).unwrap();
    assert!(matches!(ks.add(again, false), Err(Error::KeysetState(_))));
}

#[test]
fn disabled_and_destroyed_keys_fail_with_clear_errors() {
    let p = default_provider();
    let mut ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::ML_KEM_768), &mut OsRng).unwrap();
    let v1 = envelope::seal(&[ks.recipient().unwrap()], b"one", &SealOptions::default(), &mut OsRng).unwrap();
    ks.rotate(&p, &mut OsRng).unwrap();
    let id1 = ks.info()[0].key_id;
    // The primary can be neither disabled nor destroyed.
    assert!(matches!(ks.disable(2), Err(Error::KeysetState(_))));
    assert!(matches!(ks.destroy(2), Err(Error::KeysetState(_))));
    ks.disable(1).unwrap();
    assert_eq!(
        envelope::open(&v1, &ks, &OpenOptions::default()).unwrap_err(),
        Error::KeyDisabled { key_id: id1, version: 1 }
    );
    assert!(matches!(ks.set_primary(1), Err(Error::KeysetState(_))));
    ks.enable(1).unwrap();
    assert_eq!(envelope::open(&v1, &ks, &OpenOptions::default()).unwrap().plaintext, b"one");
    ks.destroy(1).unwrap();
    let ks = Keyset::decode(ks.encode().as_bytes(), &p).unwrap();
    let e = envelope::open(&v1, &ks, &OpenOptions::default()).unwrap_err();
    assert_eq!(e, Error::KeyDestroyed { key_id: id1, version: 1 });
    assert!(e.to_string().contains("destroyed"));
    assert!(matches!(ks.key(1), Err(Error::KeyDestroyed { .. })));
    assert_eq!(ks.info()[0].status, KeyStatus::Destroyed);
    // The destroyed seed is gone from the serialization: it is shorter by the 64-byte ML-KEM seed.
    let mut fresh = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::ML_KEM_768), &mut OsRng).unwrap();
    fresh.rotate(&p, &mut OsRng).unwrap();
    assert_eq!(fresh.encode().len() - ks.encode().len(), 64);
    // A keyset holds one kind of key.
    let sig = SecretKey::Signing(p.signature(SignatureId::ML_DSA_44).unwrap().generate(&mut OsRng).unwrap());
    let mut ks = ks;
    assert!(matches!(ks.add(sig, false), Err(Error::KeysetState(_))));
}

#[test]
fn keyset_decoding_is_strict() {
    let p = default_provider();
    let mut ks = Keyset::generate(&p, KeyAlgorithm::Signature(SignatureId::ML_DSA_44), &mut OsRng).unwrap();
    ks.rotate(&p, &mut OsRng).unwrap();
    let good = ks.encode().as_bytes().to_vec();
    let back = Keyset::decode(&good, &p).unwrap();
    assert_eq!(back.info(), ks.info());
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x80;
        // Every flipped bit is either detected or (in the creation time) harmless; never a panic.
        if let Ok(k) = Keyset::decode(&bad, &p) {
            let created = |k: &Keyset| k.info().iter().map(|i| i.created).collect::<Vec<_>>();
            assert_ne!(created(&k), created(&ks), "byte {i} changed nothing");
        }
    }
    assert!(Keyset::decode(&good[..good.len() - 1], &p).is_err());
    assert!(Keyset::decode(&[&good[..], &[0]].concat(), &p).is_err());
}

/// A tracing subscriber that records every event's fields as text.
struct Recorder(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct V(String);
        impl tracing::field::Visit for V {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={:?} ", field.name(), value));
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.push_str(&format!("{}={} ", field.name(), value));
            }
        }
        let mut v = V(format!("{} ", event.metadata().target()));
        event.record(&mut v);
        self.0.lock().unwrap().push(v.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn lifecycle_events_carry_metadata_only() {
    let p = default_provider();
    let events = Arc::new(Mutex::new(Vec::new()));
    let dir = temp_dir("events");
    let seeds = tracing::subscriber::with_default(Recorder(events.clone()), || {
        let mut ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
        ks.rotate(&p, &mut OsRng).unwrap();
        ks.disable(1).unwrap();
        ks.enable(1).unwrap();
        let first = ks.key(1).unwrap().seed().unwrap().as_bytes().to_vec();
        ks.destroy(1).unwrap();
        // Store events too: save, rotate, destroy (and the purge it implies).
        let store = FileKeyStore::open(&dir, AesKeyWrapper::new(&[8; 32]).unwrap(), p.clone()).unwrap();
        store.put("ev", &ks, &mut OsRng).unwrap();
        store.rotate("ev", &p, &mut OsRng).unwrap();
        store.destroy_key("ev", 2, &mut OsRng).unwrap();
        let third = store.get("ev").unwrap().keyset.primary().seed().unwrap().as_bytes().to_vec();
        vec![first, ks.primary().seed().unwrap().as_bytes().to_vec(), third]
    });
    std::fs::remove_dir_all(&dir).unwrap();
    let events = events.lock().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .filter(|e| e.starts_with("qres::keyset"))
        .filter_map(|e| e.split("action=").nth(1).and_then(|a| a.split(' ').next()))
        .collect();
    assert_eq!(&actions[..6], ["created", "added", "rotated", "disabled", "enabled", "destroyed"]);
    assert!(events.iter().any(|e| e.starts_with("qres::keystore") && e.contains("purged")), "{events:#?}");
    for e in events.iter().filter(|e| e.starts_with("qres::keyset")) {
        assert!(e.contains("key_id=") && e.contains("version="), "{e}");
    }
    for e in events.iter() {
        for seed in &seeds {
            use base64::Engine;
            let forms = [
                seed[..8].iter().map(|b| format!("{b:02x}")).collect::<String>(),
                seed[..8].iter().map(|b| format!("{b:02X}")).collect::<String>(),
                format!("{:?}", &seed[..6]).trim_end_matches(']').to_owned(),
                base64::engine::general_purpose::STANDARD.encode(&seed[..9]),
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&seed[..9]),
            ];
            for form in forms {
                assert!(!e.contains(&form), "an event carries key bytes ({form}): {e}");
            }
        }
    }
}

#[test]
fn file_store_saves_revisions_rotates_and_destroys() {
    let p = default_provider();
    let dir = temp_dir("store");
    let store =
        FileKeyStore::open(&dir, PasswordWrapper::new(b"store password", policy()).unwrap(), p.clone()).unwrap();
    assert!(matches!(store.get("mail"), Err(Error::NotFound { .. })));
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    let env1 = envelope::seal(&[ks.recipient().unwrap()], b"v1 data", &SealOptions::default(), &mut OsRng).unwrap();
    assert_eq!(store.put("mail", &ks, &mut OsRng).unwrap(), 1);
    assert_eq!(store.rotate("mail", &p, &mut OsRng).unwrap(), (2, 2));
    let current = store.get("mail").unwrap();
    assert_eq!(current.revision, 2);
    assert_eq!(envelope::open(&env1, &current.keyset, &OpenOptions::default()).unwrap().plaintext, b"v1 data");
    assert_eq!(store.get_revision("mail", 1).unwrap().primary_version(), 1);
    // A stale writer loses: it read revision 1; `put` only creates.
    assert!(matches!(store.put_if_latest("mail", &ks, Some(1), &mut OsRng), Err(Error::ConcurrentModification(_))));
    assert!(matches!(store.put_if_latest("mail", &ks, None, &mut OsRng), Err(Error::ConcurrentModification(_))));
    assert!(matches!(store.put("mail", &ks, &mut OsRng), Err(Error::AlreadyExists { .. })));
    // An old revision copied under a newer number does not open (revisions are bound into the seal).
    let replay = dir.join("mail").join(format!("{:020}.qks", 3));
    std::fs::copy(dir.join("mail").join(format!("{:020}.qks", 1)), &replay).unwrap();
    assert_eq!(store.get("mail").unwrap_err(), Error::AuthenticationFailed);
    std::fs::remove_file(&replay).unwrap();
    // Neither does a revision copied into another store with the same password.
    let other_dir = temp_dir("store-other");
    let other_store =
        FileKeyStore::open(&other_dir, PasswordWrapper::new(b"store password", policy()).unwrap(), p.clone()).unwrap();
    assert_ne!(other_store.id(), store.id());
    std::fs::create_dir_all(other_dir.join("mail")).unwrap();
    std::fs::copy(
        dir.join("mail").join(format!("{:020}.qks", 2)),
        other_dir.join("mail").join(format!("{:020}.qks", 2)),
    )
    .unwrap();
    assert_eq!(other_store.get("mail").unwrap_err(), Error::AuthenticationFailed);
    std::fs::remove_dir_all(&other_dir).unwrap();
    // A symlink or a directory in place of a revision is refused, not followed.
    #[cfg(unix)]
    {
        let fake = dir.join("mail").join(format!("{:020}.qks", 9));
        std::os::unix::fs::symlink(dir.join("mail").join(format!("{:020}.qks", 2)), &fake).unwrap();
        assert!(matches!(store.get_revision("mail", 9), Err(Error::InvalidInput(_))));
        assert_eq!(store.list_revisions("mail").unwrap(), vec![1, 2], "symlinks are not revisions");
        std::fs::remove_file(&fake).unwrap();
    }
    // Destroying version 1 purges the revisions that still hold its seed, whether through destroy_key or
    // by saving a keyset with a destroyed version.
    let mut copy = store.get("mail").unwrap().keyset;
    copy.destroy(1).unwrap();
    assert_eq!(store.put_if_latest("mail", &copy, Some(2), &mut OsRng).unwrap(), 3);
    assert_eq!(store.list_revisions("mail").unwrap(), vec![3]);
    assert!(matches!(store.get_revision("mail", 1), Err(Error::NotFound { .. })));
    let e = envelope::open(&env1, &store.get("mail").unwrap().keyset, &OpenOptions::default()).unwrap_err();
    assert!(matches!(e, Error::KeyDestroyed { version: 1, .. }), "{e}");
    // Files are 0600, directories 0700; names cannot escape the root.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = dir.join("mail").join(format!("{:020}.qks", 3));
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(dir.join(".qres-store-id")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(dir.join("mail")).unwrap().permissions().mode() & 0o777, 0o700);
    }
    for name in ["../x", "", ".hidden", "a/b", &"x".repeat(65)] {
        assert!(matches!(store.put(name, &ks, &mut OsRng), Err(Error::InvalidInput(_))), "{name:?}");
    }
    // A wrong password, and a revision file moved under another name, fail to open.
    let other =
        FileKeyStore::open(&dir, PasswordWrapper::new(b"another password", policy()).unwrap(), p.clone()).unwrap();
    assert_eq!(other.get("mail").unwrap_err(), Error::AuthenticationFailed);
    std::fs::create_dir_all(dir.join("moved")).unwrap();
    std::fs::copy(dir.join("mail").join(format!("{:020}.qks", 3)), dir.join("moved").join(format!("{:020}.qks", 3)))
        .unwrap();
    assert_eq!(store.get("moved").unwrap_err(), Error::AuthenticationFailed);
    // A store with another kind of wrapper says so.
    let aes = FileKeyStore::open(&dir, AesKeyWrapper::new(&[1; 32]).unwrap(), p.clone()).unwrap();
    assert!(matches!(aes.get("mail"), Err(Error::WrongWrapper { .. })));
    assert_eq!(store.list().unwrap(), vec!["mail".to_string(), "moved".to_string()]);
    store.delete("mail").unwrap();
    assert!(!dir.join("mail").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn concurrent_writers_lose_no_rotation() {
    let p = default_provider();
    let dir = temp_dir("concurrent");
    let key = [3u8; 32];
    let store = FileKeyStore::open(&dir, AesKeyWrapper::new(&key).unwrap(), p.clone()).unwrap();
    store
        .put("k", &Keyset::generate(&p, KeyAlgorithm::Kem(KemId::ML_KEM_512), &mut OsRng).unwrap(), &mut OsRng)
        .unwrap();
    let per_thread = 15;
    std::thread::scope(|s| {
        for _ in 0..4 {
            let dir = dir.clone();
            let p = p.clone();
            s.spawn(move || {
                // Each thread has its own store handle (its own lock file descriptor), like separate processes.
                let store = FileKeyStore::open(&dir, AesKeyWrapper::new(&key).unwrap(), p.clone()).unwrap();
                for _ in 0..per_thread {
                    // `update` retries on ConcurrentModification; the file lock serializes the writes.
                    store.rotate("k", &p, &mut OsRng).unwrap();
                }
            });
        }
    });
    let latest = store.get("k").unwrap();
    assert_eq!(latest.keyset.info().len(), 1 + 4 * per_thread);
    assert_eq!(latest.revision, 1 + 4 * per_thread as u64);
    std::fs::remove_dir_all(&dir).unwrap();
}

const CRASH_ENV: &str = "QRES_CRASH_TEST_WRITER";

/// The child half of the crash test: rotates forever, printing each revision once it is saved.
#[test]
fn crash_test_writer() {
    let Ok(dir) = std::env::var(CRASH_ENV) else { return };
    let p = default_provider();
    let store = FileKeyStore::open(&dir, AesKeyWrapper::new(&[5; 32]).unwrap(), p.clone()).unwrap();
    loop {
        let (revision, _) = store.rotate("crash", &p, &mut OsRng).unwrap();
        println!("saved {revision}");
    }
}

#[test]
fn a_writer_killed_mid_write_never_loses_the_last_good_keyset() {
    use std::io::{BufRead, BufReader};
    let p = default_provider();
    let dir = temp_dir("crash");
    let store = FileKeyStore::open(&dir, AesKeyWrapper::new(&[5; 32]).unwrap(), p.clone()).unwrap();
    store
        .put("crash", &Keyset::generate(&p, KeyAlgorithm::Kem(KemId::ML_KEM_512), &mut OsRng).unwrap(), &mut OsRng)
        .unwrap();
    let mut confirmed = 1u64;
    let mut checked = 0u64;
    let mut kills = 0;
    for round in 0..12u64 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_test_writer", "--nocapture", "--test-threads=1"])
            .env(CRASH_ENV, &dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let seen = Arc::new(Mutex::new(0u64));
        let seen2 = seen.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(r) = line.strip_prefix("saved ").and_then(|r| r.trim().parse::<u64>().ok()) {
                    *seen2.lock().unwrap() = r;
                }
            }
        });
        // Kill at varying points in the write cycle.
        std::thread::sleep(std::time::Duration::from_millis(150 + 37 * round));
        child.kill().unwrap(); // SIGKILL: no destructors, no cleanup
        child.wait().unwrap();
        reader.join().unwrap();
        kills += 1;
        let reported = *seen.lock().unwrap();
        confirmed = confirmed.max(reported);
        // Every revision a writer confirmed is there and opens; the newest opens and is complete.
        let latest = store.get("crash").expect("the last good keyset must survive a crash");
        assert!(latest.revision >= confirmed, "revision {} < confirmed {confirmed}", latest.revision);
        assert_eq!(latest.keyset.info().len() as u64, latest.revision, "one key per revision");
        let revisions = store.list_revisions("crash").unwrap();
        assert_eq!(revisions, (1..=latest.revision).collect::<Vec<_>>(), "a revision is missing");
        for r in revisions.into_iter().filter(|&r| r > checked) {
            store.get_revision("crash", r).unwrap_or_else(|e| panic!("revision {r} damaged: {e}"));
        }
        checked = latest.revision;
        confirmed = latest.revision;
    }
    assert!(confirmed > 12, "the writer made too little progress to test anything ({confirmed})");
    eprintln!("crash test: {kills} kills, {confirmed} revisions, every one intact");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The characters tried at every position: the whole Bech32 alphabet, the characters Bech32 leaves out
/// (`1`, `b`, `i`, `o`), an uppercase letter and punctuation of the legacy form.
const EDIT_CHARS: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l1bioQ-_:=";

#[test]
fn public_key_text_refuses_every_single_character_edit() {
    let p = default_provider();
    let keys = [
        KeyAlgorithm::Kem(KemId::X_WING),
        KeyAlgorithm::Kem(KemId::ML_KEM_768),
        KeyAlgorithm::Signature(SignatureId::ML_DSA_65),
    ];
    for alg in keys {
        let pk = alg.generate(&p, &mut OsRng).unwrap().public_key();
        let text = public::encode(&pk).unwrap();
        assert_eq!(public::decode(&text, &p).unwrap(), pk);
        let chars: Vec<char> = text.chars().collect();
        let (mut tried, mut accepted) = (0usize, Vec::new());
        for i in 0..chars.len() {
            for c in EDIT_CHARS.chars().filter(|&c| c != chars[i]) {
                let mut edited = chars.clone();
                edited[i] = c;
                let edited: String = edited.into_iter().collect();
                tried += 1;
                if public::decode(&edited, &p).is_ok() {
                    accepted.push((i, c));
                }
            }
        }
        let expected = chars.iter().map(|&o| EDIT_CHARS.chars().filter(|&c| c != o).count()).sum::<usize>();
        assert_eq!(tried, expected);
        assert!(tried > 40_000, "{alg}: only {tried} edits");
        eprintln!("{alg}: {} characters, {tried} substitutions tried, {} accepted", chars.len(), accepted.len());
        assert!(
            accepted.is_empty(),
            "{alg}: {} of {tried} substitutions accepted, e.g. {:?}",
            accepted.len(),
            &accepted[..accepted.len().min(5)]
        );
        // Deletions and insertions at a sample of positions (the first and last 40 and every 37th).
        let sample: Vec<usize> = (0..chars.len()).filter(|&i| i < 40 || i + 40 >= chars.len() || i % 37 == 0).collect();
        let (mut tried, mut accepted) = (0usize, 0usize);
        for &i in &sample {
            let mut deleted = chars.clone();
            deleted.remove(i);
            tried += 1;
            accepted += usize::from(public::decode(&deleted.into_iter().collect::<String>(), &p).is_ok());
            for c in EDIT_CHARS.chars() {
                let mut inserted = chars.clone();
                inserted.insert(i, c);
                tried += 1;
                accepted += usize::from(public::decode(&inserted.into_iter().collect::<String>(), &p).is_ok());
            }
        }
        eprintln!("{alg}: {tried} deletions/insertions tried, {accepted} accepted");
        assert_eq!(accepted, 0, "{alg}: {accepted} of {tried} deletions/insertions accepted");
        // Uppercase (all or part) and case-mixed forms are refused too.
        assert!(public::decode(&text.to_uppercase(), &p).is_err(), "{alg}: uppercase accepted");
    }
}

const FLOW_ROLE: &str = "QRES_KEYSET_FLOW_ROLE";
const FLOW_DIR: &str = "QRES_KEYSET_FLOW_DIR";
const FLOW_TEST: &str = "a_keyset_published_as_public_text_opens_what_outside_senders_seal";

fn flow_store(dir: &std::path::Path) -> FileKeyStore {
    FileKeyStore::open(dir.join("store"), AesKeyWrapper::new(&[9; 32]).unwrap(), default_provider()).unwrap()
}

/// Runs this test binary again as `role` (a separate process) and checks it passed.
fn flow_step(role: &str, dir: &std::path::Path) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", FLOW_TEST, "--nocapture", "--test-threads=1"])
        .env(FLOW_ROLE, role)
        .env(FLOW_DIR, dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&format!("role {role} done")) && stdout.contains("1 passed"),
        "role {role} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One process creates a keyset in a file store and publishes its primary's public-key text; another
/// (a sender who knows only that text) seals to it; a third opens with the keyset, also after rotations,
/// and a disabled or destroyed version is named as such.
#[test]
fn a_keyset_published_as_public_text_opens_what_outside_senders_seal() {
    let p = default_provider();
    let Some(role) = std::env::var_os(FLOW_ROLE) else {
        let dir = temp_dir("text-flow");
        for role in ["owner-create", "sender-1", "owner-open-rotate", "sender-2", "owner-open-all"] {
            flow_step(role, &dir);
        }
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    };
    let role = role.into_string().unwrap();
    let dir = PathBuf::from(std::env::var_os(FLOW_DIR).unwrap());
    let store = flow_store(&dir);
    let seal_to_text = |name: &str, message: &[u8]| {
        let text = std::fs::read_to_string(dir.join("owner.pub")).unwrap();
        let pk = public::decode(&text, &p).unwrap();
        let recipient = envelope::Recipient::from(pk.as_kem().unwrap().clone());
        let sealed = envelope::seal(&[recipient], message, &SealOptions::default(), &mut OsRng).unwrap();
        std::fs::write(dir.join(name), sealed).unwrap();
    };
    let open = |keyset: &Keyset, name: &str| {
        envelope::open(&std::fs::read(dir.join(name)).unwrap(), keyset, &OpenOptions::default())
    };
    match role.as_str() {
        "owner-create" => {
            let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
            store.put("inbox", &ks, &mut OsRng).unwrap();
            std::fs::write(dir.join("owner.pub"), public::encode(&ks.primary().public_key()).unwrap()).unwrap();
        }
        "sender-1" => seal_to_text("m1.qres", b"first message"),
        "owner-open-rotate" => {
            let ks = store.get("inbox").unwrap().keyset;
            assert_eq!(open(&ks, "m1.qres").unwrap().plaintext, b"first message");
            assert_eq!(store.rotate("inbox", &p, &mut OsRng).unwrap(), (2, 2));
        }
        // A sender who never heard of the rotation still uses the old text.
        "sender-2" => seal_to_text("m2.qres", b"second message"),
        "owner-open-all" => {
            let mut ks = store.get("inbox").unwrap().keyset;
            assert_eq!(ks.primary_version(), 2);
            assert_eq!(open(&ks, "m1.qres").unwrap().plaintext, b"first message");
            assert_eq!(open(&ks, "m2.qres").unwrap().plaintext, b"second message");
            store.rotate("inbox", &p, &mut OsRng).unwrap();
            let mut ks3 = store.get("inbox").unwrap().keyset;
            assert_eq!(open(&ks3, "m2.qres").unwrap().plaintext, b"second message");
            let id1 = ks.info()[0].key_id;
            ks.disable(1).unwrap();
            assert_eq!(open(&ks, "m1.qres").unwrap_err(), Error::KeyDisabled { key_id: id1, version: 1 });
            ks3.destroy(1).unwrap();
            assert_eq!(open(&ks3, "m1.qres").unwrap_err(), Error::KeyDestroyed { key_id: id1, version: 1 });
            // Another keyset's key id does not match.
            let other = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
            assert!(matches!(open(&other, "m1.qres"), Err(Error::NoMatchingKey { .. })));
        }
        other => panic!("unknown role {other}"),
    }
    println!("role {role} done");
}

#[test]
fn refusing_to_overwrite_a_file_is_already_exists() {
    use qres::keys::atomic::{Overwrite, write_atomic};
    let dir = temp_dir("atomic-exists");
    let path = dir.join("alice.key");
    write_atomic(&path, b"first", Overwrite::Refuse).unwrap();
    let e = write_atomic(&path, b"second", Overwrite::Refuse).unwrap_err();
    assert!(matches!(&e, Error::AlreadyExists { name, .. } if name.ends_with("alice.key")), "{e:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"first");
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // private::write_file refuses to replace a key file the same way.
    let p = default_provider();
    let key = KeyAlgorithm::Kem(KemId::ML_KEM_512).generate(&p, &mut OsRng).unwrap();
    let e = private::write_file_unprotected(&path, &key).unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Copies every file of `from` into `to` (a flat directory of revision files).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_rollback_counter_outside_the_store_detects_deleted_newest_revisions() {
    use qres::keys::store::rollback::{CounterEntry, FileRollbackCounter, RollbackCounter};
    let p = default_provider();
    let base = temp_dir("rollback");
    let (dir, counter_path) = (base.join("store"), base.join("elsewhere").join("counter"));
    let open = || {
        FileKeyStore::open(&dir, AesKeyWrapper::new(&[3u8; 32]).unwrap(), p.clone())
            .unwrap()
            .with_rollback_counter(FileRollbackCounter::new(&counter_path))
    };
    let store = open();
    let revision = |r: u64| dir.join("mail").join(format!("{r:020}.qks"));
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("mail", &ks, &mut OsRng).unwrap();
    copy_dir(&dir.join("mail"), &base.join("backup-at-1"));
    store.rotate("mail", &p, &mut OsRng).unwrap();
    store.rotate("mail", &p, &mut OsRng).unwrap();
    assert_eq!(store.get("mail").unwrap().revision, 3);
    // The newest revision file deleted: every read and write of the keyset fails, typed, naming both
    // revisions; nothing older is served and no revision 3 is written again.
    std::fs::remove_file(revision(3)).unwrap();
    let rolled_back = |e: Error| matches!(e, Error::Rollback { ref name, found: 2, expected: 3 } if name == "mail");
    assert!(rolled_back(store.get("mail").unwrap_err()));
    assert!(rolled_back(store.get_revision("mail", 1).unwrap_err()));
    assert!(rolled_back(store.list_revisions("mail").unwrap_err()));
    assert!(rolled_back(store.rotate("mail", &p, &mut OsRng).unwrap_err()));
    assert!(rolled_back(store.put_if_latest("mail", &ks, Some(2), &mut OsRng).unwrap_err()));
    assert!(rolled_back(store.delete("mail").unwrap_err()));
    assert!(!revision(3).exists());
    // A new store object (another process) reads the same counter.
    assert!(rolled_back(open().get("mail").unwrap_err()));
    let e = store.get("mail").unwrap_err();
    assert!(e.to_string().contains("rollback of mail"), "{e}");
    // Every revision file deleted, and an old copy of the directory put back.
    std::fs::remove_dir_all(dir.join("mail")).unwrap();
    assert!(matches!(store.get("mail"), Err(Error::Rollback { found: 0, expected: 3, .. })));
    copy_dir(&base.join("backup-at-1"), &dir.join("mail"));
    assert!(matches!(store.get("mail"), Err(Error::Rollback { found: 1, expected: 3, .. })));
    // The same directory without the counter serves the old revision: the gap the counter closes.
    let unbound = FileKeyStore::open(&dir, AesKeyWrapper::new(&[3u8; 32]).unwrap(), p.clone()).unwrap();
    assert_eq!(unbound.get("mail").unwrap().revision, 1);
    // A deletion through the store is recorded: the name is free again and continues after the deleted
    // revisions; an out-of-band deletion of the new revision is a rollback again.
    store.put("other", &ks, &mut OsRng).unwrap();
    copy_dir(&dir.join("other"), &base.join("other-backup"));
    store.delete("other").unwrap();
    let counter = FileRollbackCounter::new(&counter_path);
    assert_eq!(counter.load(&format!("{}/other", store.id())).unwrap(), CounterEntry { revision: 1, deleted: true });
    assert!(matches!(store.get("other"), Err(Error::NotFound { .. })));
    copy_dir(&base.join("other-backup"), &dir.join("other"));
    assert!(
        matches!(store.get("other"), Err(Error::Rollback { found: 1, expected: 2, .. })),
        "a deleted keyset put back"
    );
    std::fs::remove_dir_all(dir.join("other")).unwrap();
    assert_eq!(store.put("other", &ks, &mut OsRng).unwrap(), 2, "numbering continues after the deletion");
    assert_eq!(store.get("other").unwrap().revision, 2);
    std::fs::remove_file(dir.join("other").join(format!("{:020}.qks", 2))).unwrap();
    assert!(matches!(store.get("other"), Err(Error::Rollback { found: 0, expected: 2, .. })));
    // The counter never goes down, and a damaged counter file is an error, not a panic.
    let key = format!("{}/mail", store.id());
    let e = counter.store(&key, CounterEntry { revision: 2, deleted: false }).unwrap_err();
    assert!(matches!(e, Error::Rollback { found: 2, expected: 3, .. }), "{e}");
    std::fs::write(&counter_path, "not a counter\n3 live x").unwrap();
    assert!(matches!(store.get("mail"), Err(Error::InvalidInput(_))));
    std::fs::write(&counter_path, "qres rollback counter v1\nlive 3\n").unwrap();
    assert!(matches!(store.get("mail"), Err(Error::InvalidInput(_))));
    std::fs::remove_dir_all(&base).unwrap();
}

/// The two key hierarchies convert without `.as_kem()?`: a `keys::SecretKey` opens envelopes itself, a
/// `keys::PublicKey` becomes a `Recipient`, and a key of the wrong kind is a typed error.
#[test]
fn keys_of_either_hierarchy_seal_and_open_directly() {
    use qres::envelope::Recipient;
    use qres::keys::PublicKey;
    use qres::{KemPublicKey, KemSecretKey, SigningKey, VerifyingKey};
    let p = default_provider();
    let kem_key = KeyAlgorithm::Kem(KemId::X_WING).generate(&p, &mut OsRng).unwrap();
    let text = public::encode(&kem_key.public_key()).unwrap();
    let pk = public::decode(&text, &p).unwrap();
    let sealed =
        envelope::seal(&[Recipient::try_from(&pk).unwrap()], b"m", &SealOptions::default(), &mut OsRng).unwrap();
    assert_eq!(envelope::open(&sealed, &kem_key, &OpenOptions::default()).unwrap().plaintext, b"m");

    let signing = KeyAlgorithm::Signature(SignatureId::ML_DSA_65).generate(&p, &mut OsRng).unwrap();
    let vk: PublicKey = signing.public_key();
    assert!(matches!(Recipient::try_from(&vk), Err(Error::WrongAlgorithm { .. })));
    assert!(matches!(KemPublicKey::try_from(vk.clone()), Err(Error::WrongAlgorithm { .. })));
    assert!(VerifyingKey::try_from(vk).is_ok());
    // A signing key opens nothing: the lookup finds no key, and says which keys it holds (none).
    assert!(matches!(envelope::open(&sealed, &signing, &OpenOptions::default()), Err(Error::NoMatchingKey { .. })));
    assert!(matches!(KemSecretKey::try_from(signing), Err(Error::WrongAlgorithm { .. })));
    let back: SecretKey = SecretKey::from(KemSecretKey::try_from(kem_key).unwrap());
    assert!(matches!(SigningKey::try_from(back), Err(Error::WrongAlgorithm { .. })));
}
