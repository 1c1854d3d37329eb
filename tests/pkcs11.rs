//! PKCS#11 against SoftHSM2: the keyset wrapper (a non-extractable AES key generated in the token) and the
//! `C_GenerateRandom` entropy source.
//!
//! SoftHSM reads its configuration from `SOFTHSM2_CONF` when the module is initialized, once per process.
//! So `softhsm_suite` builds a temporary token directory and configuration, initializes two tokens with
//! `softhsm2-util --init-token --free`, and runs the `#[ignore]`d tests below in a child process of this
//! test binary with `SOFTHSM2_CONF` set (no `set_var` in a multi-threaded test process). Without SoftHSM
//! the suite skips, except with CI=true, where it fails (`.ci/run` installs Debian's `softhsm2`).
#![cfg(feature = "pkcs11")]

use qres::entropy::{EntropySource, Monitored, Pkcs11Source};
use qres::envelope::{self, OpenOptions, SealOptions};
use qres::keys::pkcs11::Pkcs11Wrapper;
use qres::keys::wrap::{self, KeyWrapper};
use qres::keys::{FileKeyStore, KeyAlgorithm, KeyStore, Keyset};
use qres::pkcs11::{Pkcs11Config, Pkcs11Token};
use qres::rng::{CtrDrbg, DrbgConfig, SeedPolicy};
use qres::{AeadId, Error, KemId, OsRng, default_provider};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const CHILD: &str = "QRES_SOFTHSM_CHILD";
const TOKEN: &str = "qres-test";
const OTHER_TOKEN: &str = "qres-other";
/// A token the reset tests log out, finalize and re-initialize (the others keep their keys).
const RESET_TOKEN: &str = "qres-reset";
const SO_PIN: &str = "5678-so-pin";
const PIN: &[u8] = b"1234-user-pin";
/// An AES-256 key imported into the token (so extractable) under a qres-like 16-byte `CKA_ID`.
const PLANTED_KEY: [u8; 32] = [0xa7; 32];
const PLANTED_ID: [u8; 16] = *b"planted-key-id16";

fn module() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("QRES_PKCS11_MODULE").map(PathBuf::from),
        Some(PathBuf::from("/usr/lib/softhsm/libsofthsm2.so")),
        Some(PathBuf::from("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")),
        Some(PathBuf::from("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

fn config(label: &str) -> Pkcs11Config {
    Pkcs11Config::new(module().expect("SoftHSM module"), label, PIN)
}

fn init_token(conf: &Path, label: &str) {
    let out = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin"])
        .arg(std::str::from_utf8(PIN).unwrap())
        .env("SOFTHSM2_CONF", conf)
        .output()
        .expect("running softhsm2-util");
    assert!(out.status.success(), "softhsm2-util: {}", String::from_utf8_lossy(&out.stderr));
}

/// Imports the AES key `value` into the test token with `softhsm2-util --import` (so it is extractable).
fn import_aes_key(conf: &Path, dir: &Path, value: &[u8], label: &str, id_hex: &str) {
    let raw = dir.join(format!("{label}.key"));
    std::fs::write(&raw, value).unwrap();
    let out = Command::new("softhsm2-util")
        .args(["--import"])
        .arg(&raw)
        .args(["--aes", "--token", TOKEN, "--label", label, "--id", id_hex, "--pin"])
        .arg(std::str::from_utf8(PIN).unwrap())
        .env("SOFTHSM2_CONF", conf)
        .output()
        .expect("running softhsm2-util --import");
    assert!(out.status.success(), "softhsm2-util --import: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(&raw).unwrap();
}

#[test]
fn softhsm_suite() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let tool = Command::new("softhsm2-util").arg("--version").output().is_ok_and(|o| o.status.success());
    if module().is_none() || !tool {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("CI=true but SoftHSM2 is missing (apt-get install softhsm2)");
        }
        eprintln!("SoftHSM2 not installed: skipping the PKCS#11 tests (apt-get install softhsm2)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("qres-softhsm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.join("tokens").display()
        ),
    )
    .unwrap();
    init_token(&conf, TOKEN);
    init_token(&conf, OTHER_TOKEN);
    init_token(&conf, RESET_TOKEN);
    // An AES key imported from outside (so extractable, and with a foreign id) under a label qres might
    // be asked to use: `Pkcs11Wrapper::find` must refuse it.
    import_aes_key(&conf, &dir, &[0x5a; 32], "imported-kek", "0102");
    // The same kind of extractable key, but with a 16-byte CKA_ID like the ones qres gives its keys: a
    // wrapped key naming that id must not be opened with it.
    import_aes_key(&conf, &dir, &PLANTED_KEY, "planted-kek", &hex::encode(PLANTED_ID));
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--test-threads=1"])
        .env(CHILD, "1")
        .env("SOFTHSM2_CONF", &conf)
        .env("QRES_SOFTHSM_DIR", &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "the PKCS#11 tests failed in the child process");
    let passed: usize = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("test result: ok. ").and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok())
        })
        .unwrap_or(0);
    assert_eq!(passed, 10, "every PKCS#11 test must have run against SoftHSM");
}

fn in_child() -> bool {
    assert!(std::env::var_os(CHILD).is_some(), "run through softhsm_suite (it sets SOFTHSM2_CONF)");
    true
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn wrapping_key_is_generated_in_the_token_and_never_extractable() {
    in_child();
    let token = Pkcs11Token::open(&config(TOKEN)).unwrap();
    let wrapper = Pkcs11Wrapper::generate(token.clone(), "qres-kek").unwrap();
    let info = wrapper.key_info().unwrap();
    assert!(info.sensitive && !info.extractable && info.never_extractable, "{info:?}");
    assert_eq!(info.value_len, 32);
    // The label is unique: generating again is refused; find and find_or_generate return the same key.
    assert!(matches!(Pkcs11Wrapper::generate(token.clone(), "qres-kek"), Err(Error::AlreadyExists { .. })));
    let again = Pkcs11Wrapper::find_or_generate(token.clone(), "qres-kek").unwrap();
    let sealed = wrap::seal(&wrapper, b"data", b"ctx", &mut OsRng).unwrap();
    assert_eq!(wrap::open(&again, &sealed, b"ctx").unwrap().as_bytes(), b"data");
    assert!(matches!(Pkcs11Wrapper::find(token, "absent"), Err(Error::NotFound { .. })));
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn a_token_wrapped_file_store_rotates_and_opens_old_data() {
    in_child();
    let p = default_provider();
    let token = Pkcs11Token::open(&config(TOKEN)).unwrap();
    let wrapper = Pkcs11Wrapper::find_or_generate(token, "qres-store-kek").unwrap();
    let dir = PathBuf::from(std::env::var_os("QRES_SOFTHSM_DIR").unwrap()).join("store");
    let store = FileKeyStore::open(&dir, wrapper, p.clone()).unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    let before =
        envelope::seal(&[ks.recipient().unwrap()], b"before rotation", &SealOptions::default(), &mut OsRng).unwrap();
    store.put("hsm", &ks, &mut OsRng).unwrap();
    assert_eq!(store.rotate("hsm", &p, &mut OsRng).unwrap(), (2, 2));
    let current = store.get("hsm").unwrap().keyset;
    assert_eq!(envelope::open(&before, &current, &OpenOptions::default()).unwrap().plaintext, b"before rotation");
    // The file holds the token's ciphertext of the data key, not the key: flip one byte of it.
    let file = dir.join("hsm").join(format!("{:020}.qks", 2));
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[8 + 1 + 2 + 3] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(store.get("hsm").unwrap_err(), Error::AuthenticationFailed);
    assert_eq!(store.get_revision("hsm", 1).unwrap().primary_version(), 1);
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn wrapped_keys_are_bound_to_their_context_and_key() {
    in_child();
    let token = Pkcs11Token::open(&config(TOKEN)).unwrap();
    let a = Pkcs11Wrapper::find_or_generate(token.clone(), "qres-a").unwrap();
    let b = Pkcs11Wrapper::find_or_generate(token, "qres-b").unwrap();
    let wrapped = a.wrap_key(&[7u8; 32], b"name-1", &mut OsRng).unwrap();
    assert_eq!(a.unwrap_key(&wrapped, b"name-1").unwrap().as_bytes(), &[7u8; 32]);
    assert_eq!(a.unwrap_key(&wrapped, b"name-2").unwrap_err(), Error::AuthenticationFailed);
    // The wrapped key names its wrapping key by CKA_ID: another wrapper on the same token (e.g. after a
    // rotation to a new token key) still opens it; a token without that key cannot.
    assert_eq!(b.unwrap_key(&wrapped, b"name-1").unwrap().as_bytes(), &[7u8; 32]);
    let elsewhere =
        Pkcs11Wrapper::find_or_generate(Pkcs11Token::open(&config(OTHER_TOKEN)).unwrap(), "qres-a").unwrap();
    assert_eq!(elsewhere.unwrap_key(&wrapped, b"name-1").unwrap_err(), Error::AuthenticationFailed);
    for i in 0..wrapped.len() {
        let mut bad = wrapped.clone();
        bad[i] ^= 0x20;
        assert_eq!(a.unwrap_key(&bad, b"name-1").unwrap_err(), Error::AuthenticationFailed, "byte {i}");
    }
    assert_eq!(a.unwrap_key(&wrapped[..20], b"name-1").unwrap_err(), Error::AuthenticationFailed);
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn errors_name_what_to_check() {
    in_child();
    // A wrong PIN (on a token this process has not logged in to: PKCS#11 login state is per process).
    let mut wrong = config(OTHER_TOKEN);
    wrong.pin = qres::SecretBytes::from_slice(b"0000");
    let e = Pkcs11Token::open(&wrong).unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
    assert!(!format!("{wrong:?}").contains("0000"));
    // The right PIN still works afterwards.
    Pkcs11Token::open(&config(OTHER_TOKEN)).unwrap();
    let e = Pkcs11Token::open(&config("no-such-token")).unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }) && e.to_string().contains("no-such-token"), "{e}");
    let e = Pkcs11Token::open(&Pkcs11Config::new("/nonexistent/libpkcs11.so", TOKEN, PIN)).unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }) && e.to_string().contains("module path"), "{e}");
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn pkcs11_source_delivers_health_tested_entropy() {
    in_child();
    let token = Pkcs11Token::open(&config(TOKEN)).unwrap();
    let source = Pkcs11Source::new(token.clone());
    assert_eq!(source.name(), "pkcs11:qres-test");
    assert!(Pkcs11Source::new(token.clone()).with_min_entropy(9.0).is_err());
    let mut monitored = Monitored::new(source).unwrap();
    let mut a = vec![0u8; 200_000];
    let mut b = vec![0u8; 200_000];
    monitored.fill(&mut a).unwrap();
    monitored.fill(&mut b).unwrap();
    assert_ne!(a, b);
    // Roughly uniform bytes: every value appears, none far from the mean (200,000 / 256 = 781).
    let mut counts = [0u32; 256];
    a.iter().for_each(|&x| counts[usize::from(x)] += 1);
    assert!(counts.iter().all(|&c| (600..1000).contains(&c)), "{counts:?}");
    // A DRBG seeded from the token.
    let policy = SeedPolicy::new().with_source(Pkcs11Source::new(token)).unwrap();
    let mut drbg = CtrDrbg::new(policy, DrbgConfig::default()).unwrap();
    let mut out = [0u8; 64];
    drbg.fill_with_additional(&mut out, b"").unwrap();
    assert_ne!(out, [0u8; 64]);
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn tokens_are_found_by_label_not_slot_number() {
    in_child();
    let a = Pkcs11Token::open(&config(TOKEN)).unwrap();
    let b = Pkcs11Token::open(&config(OTHER_TOKEN)).unwrap();
    assert_eq!((a.label(), b.label()), (TOKEN, OTHER_TOKEN));
    // A key generated on one token is not visible on the other.
    Pkcs11Wrapper::find_or_generate(b.clone(), "only-on-other").unwrap();
    assert!(matches!(Pkcs11Wrapper::find(a, "only-on-other"), Err(Error::NotFound { .. })));
    assert!(Pkcs11Wrapper::find(b, "only-on-other").is_ok());
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn an_extractable_key_under_the_label_is_refused() {
    in_child();
    let token = Pkcs11Token::open(&config(TOKEN)).unwrap();
    let e = Pkcs11Wrapper::find(token.clone(), "imported-kek").unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }) && e.to_string().contains("extractable"), "{e}");
    // find_or_generate does not paper over it by making a second key under the same label.
    assert!(Pkcs11Wrapper::find_or_generate(token.clone(), "imported-kek").is_err());
    assert!(matches!(Pkcs11Wrapper::generate(token, "imported-kek"), Err(Error::AlreadyExists { .. })));
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn unwrapping_refuses_an_unvetted_key_found_by_id() {
    in_child();
    let token = Pkcs11Token::open(&config(TOKEN)).unwrap();
    let wrapper = Pkcs11Wrapper::find_or_generate(token, "qres-vetting").unwrap();
    // A wrapped key in qres' format that names the planted key's id, sealed with the planted key's
    // (known) value: the token would decrypt it, so only vetting the key found by id refuses it.
    let context = b"keyset context";
    let nonce = [0x11u8; 12];
    let aead = default_provider().aead(AeadId::AES_256_GCM).unwrap().new_key(&PLANTED_KEY).unwrap();
    let mut blob = vec![1u8];
    blob.extend_from_slice(&PLANTED_ID);
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&aead.seal_with_nonce(&nonce, context, &[0x42; 32]).unwrap());
    let e = wrapper.unwrap_key(&blob, context).map(|k| k.as_bytes().to_vec()).unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }) && e.to_string().contains("extractable"), "{e}");
    // The wrapper's own key still works, and an id no key carries is the usual opaque failure.
    let good = wrapper.wrap_key(&[7u8; 32], context, &mut OsRng).unwrap();
    assert_eq!(wrapper.unwrap_key(&good, context).unwrap().as_bytes(), &[7u8; 32]);
    let mut unknown = good.clone();
    unknown[1..17].copy_from_slice(b"no-such-key-id!!");
    assert_eq!(wrapper.unwrap_key(&unknown, context).unwrap_err(), Error::AuthenticationFailed);
}

/// Another user of the same module in this process (as a second library would be): its own context,
/// which shares the module's state (sessions, login, initialization) with qres'.
fn other_context() -> cryptoki::context::Pkcs11 {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    let ctx = Pkcs11::new(module().unwrap()).unwrap();
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => panic!("C_Initialize: {e}"),
    }
    ctx
}

fn slot_of(ctx: &cryptoki::context::Pkcs11, label: &str) -> cryptoki::slot::Slot {
    ctx.get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label().trim_end() == label)
        .unwrap()
}

/// Logs the whole process out of `label` (PKCS#11 login state is per application).
fn log_out_everyone(label: &str) {
    let ctx = other_context();
    let session = ctx.open_rw_session(slot_of(&ctx, label)).unwrap();
    session.logout().unwrap();
    // Dropping the session closes only this one.
}

/// `C_Finalize` by other code: every session of the process is closed, the login is gone, and handles
/// are renumbered once the module is initialized again.
fn finalize_module() {
    other_context().finalize().unwrap();
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn sessions_survive_logout_closing_every_session_and_a_token_reset() {
    use cryptoki::object::Attribute;
    in_child();
    let token = Pkcs11Token::open(&config(RESET_TOKEN)).unwrap();
    let wrapper = Pkcs11Wrapper::find_or_generate(token.clone(), "qres-reset-kek").unwrap();
    let wrapped = wrapper.wrap_key(&[1u8; 32], b"ctx", &mut OsRng).unwrap();
    // Logged out (CKR_USER_NOT_LOGGED_IN, and the key's handle dropped by the module): logs in again.
    log_out_everyone(RESET_TOKEN);
    assert_eq!(wrapper.unwrap_key(&wrapped, b"ctx").unwrap().as_bytes(), &[1u8; 32]);
    log_out_everyone(RESET_TOKEN);
    wrapper.wrap_key(&[2u8; 32], b"ctx", &mut OsRng).unwrap();
    // Every session closed by C_Finalize (CKR_CRYPTOKI_NOT_INITIALIZED, then CKR_SESSION_HANDLE_INVALID
    // for the pooled sessions): the module is initialized again, sessions reopened, the key found again.
    finalize_module();
    assert_eq!(wrapper.unwrap_key(&wrapped, b"ctx").unwrap().as_bytes(), &[1u8; 32]);
    assert!(token.resets() >= 1);
    // Finalized and initialized again by the other code, which then makes objects of its own: old
    // handle numbers may name them now; the wrapper checks and finds its key by CKA_ID.
    finalize_module();
    let other = other_context();
    let session = other.open_rw_session(slot_of(&other, RESET_TOKEN)).unwrap();
    session
        .login(cryptoki::session::UserType::User, Some(&std::str::from_utf8(PIN).unwrap().to_owned().into()))
        .unwrap();
    for i in 0..4u8 {
        session
            .create_object(&[
                Attribute::Class(cryptoki::object::ObjectClass::SECRET_KEY),
                Attribute::KeyType(cryptoki::object::KeyType::AES),
                Attribute::Token(false),
                Attribute::Value(vec![i; 32]),
            ])
            .unwrap();
    }
    assert_eq!(wrapper.unwrap_key(&wrapped, b"ctx").unwrap().as_bytes(), &[1u8; 32]);
    let info = wrapper.key_info().unwrap();
    assert!(info.sensitive && !info.extractable && info.never_extractable, "{info:?}");
    drop(session);
    // The token re-initialized (every session closed first, then C_InitToken and C_InitPIN): its keys are
    // gone. Unwrapping says so (typed, not "authentication failed"); the same token object logs in again,
    // and a new wrapping key works.
    finalize_module();
    let admin = other_context();
    let slot = slot_of(&admin, RESET_TOKEN);
    admin.init_token(slot, &SO_PIN.to_owned().into(), RESET_TOKEN).unwrap();
    let so = admin.open_rw_session(slot_of(&admin, RESET_TOKEN)).unwrap();
    so.login(cryptoki::session::UserType::So, Some(&SO_PIN.to_owned().into())).unwrap();
    so.init_pin(&std::str::from_utf8(PIN).unwrap().to_owned().into()).unwrap();
    so.logout().unwrap();
    drop(so);
    let e = wrapper.unwrap_key(&wrapped, b"ctx").unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }) && e.to_string().contains("no longer on the token"), "{e}");
    let fresh = Pkcs11Wrapper::find_or_generate(token.clone(), "qres-reset-kek").unwrap();
    let again = fresh.wrap_key(&[3u8; 32], b"ctx", &mut OsRng).unwrap();
    assert_eq!(fresh.unwrap_key(&again, b"ctx").unwrap().as_bytes(), &[3u8; 32]);
}

#[test]
#[ignore = "run by softhsm_suite with SOFTHSM2_CONF set"]
fn one_wrapper_serves_many_threads_through_logouts() {
    in_child();
    let token = Pkcs11Token::open(&config(RESET_TOKEN)).unwrap();
    let wrapper = Arc::new(Pkcs11Wrapper::find_or_generate(token.clone(), "qres-threads-kek").unwrap());
    // Each round starts with the process logged out or every session closed, so the four threads meet
    // the lost login or the dead pooled sessions at once and recover side by side. (A logout racing
    // operations in flight is not tested: SoftHSM2 then answers some calls with CKR_GENERAL_ERROR, which
    // qres reports as a typed error rather than guessing.)
    for round in 0..6u8 {
        if round % 2 == 0 {
            log_out_everyone(RESET_TOKEN);
        } else {
            finalize_module();
        }
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let wrapper = wrapper.clone();
                s.spawn(move || {
                    for i in 0..40u8 {
                        let key = [t ^ i ^ round; 32];
                        let ctx = [t, i, round];
                        let wrapped = wrapper.wrap_key(&key, &ctx, &mut OsRng).unwrap();
                        assert_eq!(wrapper.unwrap_key(&wrapped, &ctx).unwrap().as_bytes(), &key);
                    }
                });
            }
        });
    }
    assert!(token.resets() >= 3, "{}", token.resets());
    let wrapped = wrapper.wrap_key(&[9u8; 32], b"end", &mut OsRng).unwrap();
    assert_eq!(wrapper.unwrap_key(&wrapped, b"end").unwrap().as_bytes(), &[9u8; 32]);
}
