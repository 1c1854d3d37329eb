//! Private key files: a secret key's seed, encrypted at rest with AES-256-GCM under a key derived from a
//! password with Argon2id (or the [`PasswordPolicy`]'s KDF), armored as `QRES PRIVATE KEY`.
//!
//! # Format (version 1)
//!
//! All integers big-endian.
//!
//! | field | bytes | meaning |
//! |---|---|---|
//! | magic | 8 | `qres-sk1` |
//! | kind | 1 | 1 = KEM, 2 = signature |
//! | algorithm | 2 | the id within its family |
//! | key id | 16 | [`KeyId`] of the public key (names the key without the password) |
//! | protection | 1 | 1 = password, 0 = none (written only on explicit request) |
//! | *if password*: KDF | 13 | [`PasswordKdf::encode`] |
//! | *if password*: salt length, salt | 1 + 16..=64 | random |
//! | *if password*: nonce | 12 | random |
//! | seed length | 2 | length of the seed (at most 256) |
//! | payload | seed length (+ 16) | the seed, or AES-256-GCM(key, nonce, aad = every byte above, seed) |
//!
//! The AES key is `KDF(password, salt)`. The header is the AEAD's associated data, so for
//! [`decrypt`] a changed byte anywhere after the magic of an encrypted file — or a wrong password — is the
//! same [`Error::AuthenticationFailed`] (a file that no longer parses counts as changed; [`inspect`]
//! says why). The exceptions: KDF parameters beyond the policy's ceilings are refused first with their own
//! error (an attacker who can edit the file could otherwise make opening it cost gigabytes of memory), and
//! a file turned into a well-formed *unprotected* file is refused as "not encrypted". After decryption the
//! key is rebuilt from its seed and its id compared with the stored one. Salts are 16 to 64 bytes
//! ([`PasswordPolicy::min_salt_len`]); `encrypt` reads back what it wrote before returning it.
//!
//! ```
//! use qres::keys::{private, SecretKey};
//! use qres::password::{PasswordKdf, PasswordPolicy};
//! use qres::{default_provider, KemId, OsRng};
//! let provider = default_provider();
//! // A cheap KDF for the example; the default policy uses Argon2id with 64 MiB.
//! let policy = PasswordPolicy { kdf_for_new: PasswordKdf::Argon2id { m_kib: 19_456, t: 2, p: 1 }, ..Default::default() };
//! let key = SecretKey::Kem(provider.kem(KemId::X_WING)?.generate(&mut OsRng)?);
//! let text = private::encrypt_armored(&key, b"hunter2 but longer", &policy, &mut OsRng)?;
//! let back = private::decrypt_armored(&text, b"hunter2 but longer", &policy, &provider)?;
//! assert_eq!(back.key_id(), key.key_id());
//! assert!(private::decrypt_armored(&text, b"wrong", &policy, &provider).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::KeyId;
use crate::error::{Error, Result};
use crate::keys::atomic::{Overwrite, write_atomic};
use crate::keys::{KeyAlgorithm, SecretKey};
use crate::password::policy::{MAX_SALT_LEN, MIN_SALT_LEN};
use crate::password::{PasswordKdf, PasswordPolicy, kdf};
use crate::provider::Provider;
use crate::rng::{DynCryptoRng, random_secret};
use crate::secret::SecretBytes;
use std::path::Path;

/// The armor label.
pub const LABEL: &str = "QRES PRIVATE KEY";
/// The magic bytes.
pub const MAGIC: &[u8; 8] = b"qres-sk1";
/// Largest key file accepted (binary or armored).
pub const MAX_FILE_LEN: usize = 64 << 10;
/// Largest seed accepted.
pub const MAX_SEED_LEN: usize = 256;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Encrypts `key`'s seed under `password` with `policy.kdf_for_new`; returns the binary file.
pub fn encrypt(
    key: &SecretKey,
    password: &[u8],
    policy: &PasswordPolicy,
    rng: &mut dyn DynCryptoRng,
) -> Result<Vec<u8>> {
    policy.check_new(&policy.kdf_for_new)?;
    if password.is_empty() {
        return Err(Error::PasswordPolicy("an empty password protects nothing"));
    }
    let seed = seed_of(key)?;
    // `check_new` keeps the salt length within what `parse` accepts (16..=64).
    let salt = random_secret(rng, policy.min_salt_len)?;
    let nonce = random_secret(rng, NONCE_LEN)?;
    let mut out = header(key, 1);
    out.extend_from_slice(&policy.kdf_for_new.encode());
    out.push(salt.len() as u8);
    out.extend_from_slice(salt.as_bytes());
    out.extend_from_slice(nonce.as_bytes());
    out.extend_from_slice(&(seed.len() as u16).to_be_bytes());
    let kek = derive_kek(&policy.kdf_for_new, password, salt.as_bytes())?;
    let sealed = super::aes256gcm(kek.as_bytes())?.seal_with_nonce(nonce.as_bytes(), &out, seed.as_bytes())?;
    out.extend_from_slice(&sealed);
    // Read back what was written (parse and open with the key just derived) so that a file this
    // function returns is always one `decrypt` accepts.
    let p = parse(&out)?;
    let back = SecretBytes::new(super::aes256gcm(kek.as_bytes())?.open_with_nonce(p.nonce, p.aad, p.payload)?);
    if back.as_bytes() != seed.as_bytes() || p.info.key_id != key.key_id() {
        return Err(Error::Backend("a private key file did not read back as written"));
    }
    Ok(out)
}

fn seed_of(key: &SecretKey) -> Result<&SecretBytes> {
    let seed = key.seed()?;
    if seed.is_empty() || seed.len() > MAX_SEED_LEN {
        return Err(Error::Unsupported("storing a key whose seed is longer than 256 bytes"));
    }
    Ok(seed)
}

/// Writes `key`'s seed **unencrypted**. Only for keys that another layer protects (a sealed secret
/// store, a tmpfs that an HSM-backed service fills); prefer [`encrypt`].
pub fn encode_unprotected(key: &SecretKey) -> Result<SecretBytes> {
    let seed = seed_of(key)?;
    let mut out = header(key, 0);
    out.extend_from_slice(&(seed.len() as u16).to_be_bytes());
    out.extend_from_slice(seed.as_bytes());
    Ok(SecretBytes::new(out))
}

/// What a key file says about itself without the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFileInfo {
    /// The key's algorithm.
    pub algorithm: KeyAlgorithm,
    /// The key's id.
    pub key_id: KeyId,
    /// The password KDF, or `None` for an unprotected file.
    pub kdf: Option<PasswordKdf>,
}

struct Parsed<'a> {
    info: KeyFileInfo,
    salt: &'a [u8],
    nonce: &'a [u8],
    aad: &'a [u8],
    payload: &'a [u8],
}

fn header(key: &SecretKey, protection: u8) -> Vec<u8> {
    let alg = key.algorithm();
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(MAGIC);
    out.push(alg.kind_byte());
    out.extend_from_slice(&alg.id().to_be_bytes());
    out.extend_from_slice(key.key_id().as_bytes());
    out.push(protection);
    out
}

fn derive_kek(kdf: &PasswordKdf, password: &[u8], salt: &[u8]) -> Result<SecretBytes> {
    let mut kek = SecretBytes::zeroed(32);
    kdf.derive(password, salt, kek.as_mut_bytes())?;
    Ok(kek)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(Error::InvalidInput("truncated private key file"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>> {
    if bytes.len() > MAX_FILE_LEN {
        return Err(Error::LengthOutOfRange {
            what: "private key file",
            min: 0,
            max: MAX_FILE_LEN,
            actual: bytes.len(),
        });
    }
    let mut r = Reader { bytes, at: 0 };
    if r.take(MAGIC.len()).ok() != Some(&MAGIC[..]) {
        return Err(Error::InvalidInput("not a qres private key file (magic qres-sk1 missing)"));
    }
    let kind = r.u8()?;
    let alg = r.u16()?;
    let algorithm = KeyAlgorithm::from_parts(kind, alg)?;
    let mut key_id = [0u8; 16];
    key_id.copy_from_slice(r.take(16)?);
    let (kdf, salt, nonce) = match r.u8()? {
        0 => (None, &[][..], &[][..]),
        1 => {
            let kdf = PasswordKdf::decode(r.take(kdf::ENCODED_LEN)?)?;
            let salt_len = usize::from(r.u8()?);
            if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt_len) {
                return Err(Error::InvalidInput("private key file: salt length outside 16..=64"));
            }
            (Some(kdf), r.take(salt_len)?, r.take(NONCE_LEN)?)
        }
        _ => return Err(Error::InvalidInput("private key file: unknown protection")),
    };
    let seed_len = usize::from(r.u16()?);
    if seed_len == 0 || seed_len > MAX_SEED_LEN {
        return Err(Error::InvalidInput("private key file: seed length outside 1..=256"));
    }
    let aad = &bytes[..r.at];
    let payload = r.take(seed_len + if kdf.is_some() { TAG_LEN } else { 0 })?;
    if r.at != bytes.len() {
        return Err(Error::InvalidInput("private key file: trailing bytes"));
    }
    Ok(Parsed { info: KeyFileInfo { algorithm, key_id: KeyId(key_id), kdf }, salt, nonce, aad, payload })
}

/// Reads what a file says about itself (algorithm, key id, KDF) without decrypting it.
pub fn inspect(bytes: &[u8]) -> Result<KeyFileInfo> {
    parse(bytes).map(|p| p.info)
}

fn rebuild(info: &KeyFileInfo, seed: &[u8], provider: &Provider) -> Result<SecretKey> {
    let key = info.algorithm.from_seed(provider, seed)?;
    if key.key_id() != info.key_id {
        // Only reachable for unprotected files (the AEAD covers the id otherwise): report as corruption.
        return Err(Error::AuthenticationFailed);
    }
    Ok(key)
}

/// Decrypts a binary key file. A wrong password and any modified byte are both
/// [`Error::AuthenticationFailed`]; KDF parameters beyond `policy`'s ceilings are refused first.
pub fn decrypt(bytes: &[u8], password: &[u8], policy: &PasswordPolicy, provider: &Provider) -> Result<SecretKey> {
    let p = match parse(bytes) {
        Ok(p) => p,
        // A qres key file that does not parse was damaged or tampered with: the same opaque error as a
        // wrong password (`inspect` gives the precise reason).
        Err(_) if bytes.starts_with(MAGIC) && bytes.len() <= MAX_FILE_LEN => return Err(Error::AuthenticationFailed),
        Err(e) => return Err(e),
    };
    let kdf = p.info.kdf.ok_or(Error::InvalidInput(
        "this private key file is not encrypted; read it with decode_unprotected if that is intended",
    ))?;
    policy.check_untrusted(&kdf)?;
    let kek = derive_kek(&kdf, password, p.salt)?;
    let seed = SecretBytes::new(super::aes256gcm(kek.as_bytes())?.open_with_nonce(p.nonce, p.aad, p.payload)?);
    rebuild(&p.info, seed.as_bytes(), provider)
}

/// Reads an unprotected key file (see [`encode_unprotected`]); an encrypted file is refused.
pub fn decode_unprotected(bytes: &[u8], provider: &Provider) -> Result<SecretKey> {
    let p = parse(bytes)?;
    if p.info.kdf.is_some() {
        return Err(Error::InvalidInput("this private key file is encrypted; read it with decrypt"));
    }
    rebuild(&p.info, p.payload, provider)
}

/// [`encrypt`], armored.
pub fn encrypt_armored(
    key: &SecretKey,
    password: &[u8],
    policy: &PasswordPolicy,
    rng: &mut dyn DynCryptoRng,
) -> Result<String> {
    Ok(crate::armor::encode(LABEL, &encrypt(key, password, policy, rng)?))
}

/// [`decrypt`] of armored text.
pub fn decrypt_armored(text: &str, password: &[u8], policy: &PasswordPolicy, provider: &Provider) -> Result<SecretKey> {
    decrypt(&crate::armor::decode(LABEL, text, MAX_FILE_LEN)?, password, policy, provider)
}

fn read_limited(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io("opening a private key file", &e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("reading a private key file", &e))?;
    Ok(bytes)
}

/// Unarmors `bytes` if they are armored text, else returns them as they are.
fn unarmor(bytes: Vec<u8>) -> Result<Vec<u8>> {
    if bytes.starts_with(b"-----BEGIN ") {
        let text = std::str::from_utf8(&bytes).map_err(|_| Error::InvalidInput("armored key file is not UTF-8"))?;
        let decoded = crate::armor::decode(LABEL, text, MAX_FILE_LEN)?;
        zeroize::Zeroize::zeroize(&mut SecretBytes::new(bytes));
        Ok(decoded)
    } else {
        Ok(bytes)
    }
}

/// Encrypts `key` and writes it, armored, to `path` atomically with mode 0600; refuses to replace an
/// existing file.
pub fn write_file(
    path: &Path,
    key: &SecretKey,
    password: &[u8],
    policy: &PasswordPolicy,
    rng: &mut dyn DynCryptoRng,
) -> Result<()> {
    write_atomic(path, encrypt_armored(key, password, policy, rng)?.as_bytes(), Overwrite::Refuse)
}

/// Reads and decrypts a key file written by [`write_file`] (armored) or [`encrypt`] (binary).
pub fn read_file(path: &Path, password: &[u8], policy: &PasswordPolicy, provider: &Provider) -> Result<SecretKey> {
    let bytes = SecretBytes::new(unarmor(read_limited(path)?)?);
    decrypt(bytes.as_bytes(), password, policy, provider)
}

/// Writes `key` **unencrypted** (armored) to `path`, atomically, mode 0600. See [`encode_unprotected`].
pub fn write_file_unprotected(path: &Path, key: &SecretKey) -> Result<()> {
    let bytes = encode_unprotected(key)?;
    let text = SecretBytes::new(crate::armor::encode(LABEL, bytes.as_bytes()).into_bytes());
    write_atomic(path, text.as_bytes(), Overwrite::Refuse)
}

/// Reads an unencrypted key file written by [`write_file_unprotected`].
pub fn read_file_unprotected(path: &Path, provider: &Provider) -> Result<SecretKey> {
    let bytes = SecretBytes::new(unarmor(read_limited(path)?)?);
    decode_unprotected(bytes.as_bytes(), provider)
}
