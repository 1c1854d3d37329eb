//! The qres quickstart, on the default (pure Rust) provider: hybrid key encapsulation, key derivation,
//! authenticated encryption and a post-quantum signature; then the pieces built on them: a CTR_DRBG
//! seeded from health-tested entropy, a password-wrapped keyset in a file key store, hybrid envelopes
//! carrying quantum-noise entropy, rotation, and destruction of an old key.
//!
//! `cargo run --release --example quickstart`

use qres::envelope::{self, OpenOptions, SealOptions};
use qres::keys::{FileKeyStore, KeyAlgorithm, KeyStore, Keyset, PasswordWrapper};
use qres::password::PasswordPolicy;
use qres::rng::CtrDrbg;
use qres::{AeadId, KdfId, KemId, OsRng, SignatureId, default_provider};
use std::time::Instant;

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>() + "…"
}

/// A scratch directory removed when the demo ends, however it ends.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn main() -> Result<(), qres::Error> {
    let provider = default_provider();
    println!("qres {} — default provider:", env!("CARGO_PKG_VERSION"));
    for a in provider.algorithms() {
        println!("  {:<14} {:<26} 0x{:04x}  ({})", a.kind.to_string(), a.name, a.id, a.implementation);
    }
    println!();

    // 1. The recipient generates an X-Wing key pair (ML-KEM-768 + X25519 hybrid).
    let started = Instant::now();
    let xwing = provider.kem(KemId::X_WING)?;
    let recipient = xwing.generate(&mut OsRng)?;
    println!(
        "1. X-Wing key pair: key id {}, public key {} bytes, secret key stored as a {}-byte seed  [{:?}]",
        recipient.key_id(),
        recipient.public_key().as_bytes().len(),
        recipient.seed().map_or(0, |s| s.len()),
        started.elapsed()
    );

    // 2. The sender parses the published key (FIPS 203 checks run here) and encapsulates.
    let started = Instant::now();
    let public = xwing.parse_public_key(recipient.public_key().as_bytes())?;
    let encapsulated = public.encapsulate(&mut OsRng)?;
    println!(
        "2. Encapsulated: ciphertext {} bytes, shared secret {} bytes  [{:?}]",
        encapsulated.ciphertext.len(),
        encapsulated.shared_secret.len(),
        started.elapsed()
    );

    // 3. Both sides derive an AES-256-GCM key from the shared secret with HKDF-SHA256.
    let kdf = provider.kdf(KdfId::HKDF_SHA256)?;
    let info: &[&[u8]] = &[b"qres quickstart v1", b" aes-256-gcm key"];
    let mut sender_key = [0u8; 32];
    kdf.derive(b"", &[encapsulated.shared_secret.as_bytes()], info, &mut sender_key)?;
    let received = recipient.decapsulate(&encapsulated.ciphertext)?;
    let mut recipient_key = [0u8; 32];
    kdf.derive(b"", &[received.as_bytes()], info, &mut recipient_key)?;
    assert_eq!(sender_key, recipient_key);
    println!("3. Decapsulated and derived the same 256-bit key on both sides with HKDF-SHA256");

    // 4. Seal and open with AES-256-GCM; a modified ciphertext is refused with one opaque error.
    let aead = provider.aead(AeadId::AES_256_GCM)?;
    let nonce = [0u8; 12]; // a fresh key per message, so a fixed nonce is safe here
    let plaintext = b"attack at dawn, quantum adversaries notwithstanding";
    let sealed = aead.new_key(&sender_key)?.seal_with_nonce(&nonce, b"header", plaintext)?;
    let opened = aead.new_key(&recipient_key)?.open_with_nonce(&nonce, b"header", &sealed)?;
    assert_eq!(opened, plaintext);
    let mut tampered = sealed.clone();
    tampered[0] ^= 1;
    let refused = aead.new_key(&recipient_key)?.open_with_nonce(&nonce, b"header", &tampered);
    println!(
        "4. AES-256-GCM: sealed {} bytes into {} ({}), opened intact; a flipped bit gives: {}",
        plaintext.len(),
        sealed.len(),
        hex_prefix(&sealed),
        refused.unwrap_err()
    );

    // 5. Sign and verify with ML-DSA-65 under a context string.
    let started = Instant::now();
    let ml_dsa = provider.signature(SignatureId::ML_DSA_65)?;
    let signer = ml_dsa.generate(&mut OsRng)?;
    let signature = signer.sign(&sealed, b"qres quickstart", &mut OsRng)?;
    signer.verifying_key().verify(&sealed, b"qres quickstart", signature.as_bytes())?;
    let wrong_context = signer.verifying_key().verify(&sealed, b"other context", signature.as_bytes());
    println!(
        "5. ML-DSA-65: signature {} bytes by key {}, verified; under another context: {}  [{:?}]",
        signature.as_bytes().len(),
        signer.key_id(),
        wrong_context.unwrap_err(),
        started.elapsed()
    );

    // 6. A CTR_DRBG (SP 800-90A, AES-256) seeded through the SP 800-90C policy from the OS source, whose
    //    output passes the SP 800-90B health tests first. Everything below draws its randomness from it.
    let mut drbg = CtrDrbg::from_os()?;
    let sources: Vec<String> =
        drbg.policy().sources().iter().map(|(name, health)| format!("{name} ({health:?})")).collect();
    println!("6. CTR_DRBG seeded from {}", sources.join(", "));

    // 7. An X-Wing keyset in a file key store, wrapped under a password (Argon2id + AES-256-GCM).
    let started = Instant::now();
    let dir = TempDir(std::env::temp_dir().join(format!("qres-quickstart-{}", std::process::id())));
    let dir = &dir.0;
    let wrapper = PasswordWrapper::new(b"correct horse battery staple", PasswordPolicy::default())?;
    let store = FileKeyStore::open(dir, wrapper, provider.clone())?;
    let keyset = Keyset::generate(&provider, KeyAlgorithm::Kem(KemId::X_WING), &mut drbg)?;
    let revision = store.put("demo", &keyset, &mut drbg)?;
    println!(
        "7. Keyset \"demo\" (X-Wing, version {}, key id {}) saved as revision {revision} under {}  [{:?}]",
        keyset.primary_version(),
        keyset.recipient()?.public_key.key_id(),
        dir.display(),
        started.elapsed()
    );

    // 8. Seal an envelope to the keyset, rotate, seal another; both open with the rotated keyset, and
    //    each returns the quantum-noise entropy its header carried (authenticated with the header).
    let before =
        envelope::seal(&[keyset.recipient()?], b"sealed before the rotation", &SealOptions::default(), &mut drbg)?;
    let (revision, version) = store.rotate("demo", &provider, &mut drbg)?;
    let rotated = store.get("demo")?.keyset;
    let after =
        envelope::seal(&[rotated.recipient()?], b"sealed after the rotation", &SealOptions::default(), &mut drbg)?;
    for (label, sealed) in [("older", &before), ("newer", &after)] {
        let opened = envelope::open(sealed, &rotated, &OpenOptions::default())?;
        println!(
            "8. Rotated to version {version} (revision {revision}); the {label} envelope ({} bytes) opens: {:?}, QNE {}",
            sealed.len(),
            String::from_utf8_lossy(&opened.plaintext),
            hex_prefix(&opened.qne)
        );
    }

    // 9. Destroy version 1: its seed is gone from the store, and the older envelope says so.
    store.destroy_key("demo", 1, &mut drbg)?;
    let current = store.get("demo")?.keyset;
    let refused = envelope::open(&before, &current, &OpenOptions::default()).unwrap_err();
    assert!(matches!(refused, qres::Error::KeyDestroyed { .. }));
    let still = envelope::open(&after, &current, &OpenOptions::default())?;
    println!(
        "9. Destroyed version 1: the older envelope gives \"{refused}\"; the newer still opens ({} bytes)",
        still.plaintext.len()
    );

    println!("\nAll steps succeeded.");
    Ok(())
}
