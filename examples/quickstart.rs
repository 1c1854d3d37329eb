//! The qres quickstart: hybrid key encapsulation, key derivation, authenticated encryption and a
//! post-quantum signature, on the default (pure Rust) provider.
//!
//! `cargo run --release --example quickstart`

use qres::{AeadId, KdfId, KemId, OsRng, SignatureId, default_provider};
use std::time::Instant;

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>() + "…"
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
    let sealed = aead.new_key(&sender_key)?.seal(&nonce, b"header", plaintext)?;
    let opened = aead.new_key(&recipient_key)?.open(&nonce, b"header", &sealed)?;
    assert_eq!(opened, plaintext);
    let mut tampered = sealed.clone();
    tampered[0] ^= 1;
    let refused = aead.new_key(&recipient_key)?.open(&nonce, b"header", &tampered);
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
    println!("\nAll steps succeeded.");
    Ok(())
}
