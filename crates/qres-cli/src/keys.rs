//! Identity files and recipients: what `keygen` writes and what `-i`, `-r` and `-R` read.
//!
//! An identity file is age-keygen's layout: `#` comment lines (creation time, public key), then the secret:
//! an `AGE-SECRET-KEY-…` line for age keys, a `QRES PRIVATE KEY` armor block for qres keys (password
//! protected with Argon2id when made with `--passphrase`). An age identity file may also be an age file
//! encrypted with a passphrase, as `age -p` makes; qres asks for the passphrase.

use crate::error::CliError;
use crate::io::read_passphrase;
use qres::age::{AgeIdentity, AgeRecipient};
use qres::keys::{KeyAlgorithm, PublicKey, SecretKey, private, public};
use qres::password::PasswordPolicy;
use qres::{KemId, KemSecretKey, SignatureId, SigningKey, default_provider};
use std::io::Read;
use std::path::Path;

/// Largest identity or recipients file read.
const MAX_KEY_FILE: u64 = 1 << 20;

/// The key types `keygen -t` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyType {
    /// X-Wing (ML-KEM-768 + X25519): qres envelopes, post-quantum. The default.
    XWing,
    /// ML-KEM-768: qres envelopes.
    #[value(name = "ml-kem-768")]
    MlKem768,
    /// ML-KEM-1024: qres envelopes.
    #[value(name = "ml-kem-1024")]
    MlKem1024,
    /// ML-DSA-44 signing key (sign, verify, encrypt --sign).
    #[value(name = "ml-dsa-44")]
    MlDsa44,
    /// ML-DSA-65 signing key.
    #[value(name = "ml-dsa-65")]
    MlDsa65,
    /// ML-DSA-87 signing key.
    #[value(name = "ml-dsa-87")]
    MlDsa87,
    /// age post-quantum hybrid (age1pq1…, mlkem768x25519): age files readable by age 1.3 and typage.
    AgePq,
    /// age X25519 (age1…): classical, for recipients that only have age 1.2.
    AgeX25519,
}

impl KeyType {
    /// The qres algorithm of this type, or `None` for the age types.
    pub fn qres_algorithm(self) -> Option<KeyAlgorithm> {
        Some(match self {
            Self::XWing => KeyAlgorithm::Kem(KemId::X_WING),
            Self::MlKem768 => KeyAlgorithm::Kem(KemId::ML_KEM_768),
            Self::MlKem1024 => KeyAlgorithm::Kem(KemId::ML_KEM_1024),
            Self::MlDsa44 => KeyAlgorithm::Signature(SignatureId::ML_DSA_44),
            Self::MlDsa65 => KeyAlgorithm::Signature(SignatureId::ML_DSA_65),
            Self::MlDsa87 => KeyAlgorithm::Signature(SignatureId::ML_DSA_87),
            Self::AgePq | Self::AgeX25519 => return None,
        })
    }
}

/// A freshly made key, and its text forms.
pub struct NewKey {
    /// The secret as the identity file holds it (age line or armored key file).
    pub secret_text: zeroize::Zeroizing<String>,
    /// The public key (recipient or verifying key) as text.
    pub public_text: String,
}

/// Makes a key of type `t`; with `passphrase`, a qres key file is encrypted under it.
pub fn generate(t: KeyType, passphrase: Option<&str>) -> Result<NewKey, CliError> {
    let provider = default_provider();
    let Some(qres_alg) = t.qres_algorithm() else {
        let identity = if t == KeyType::AgePq {
            AgeIdentity::generate_hybrid(&mut qres::OsRng)?
        } else {
            AgeIdentity::generate_x25519()
        };
        let mut secret = identity.to_secret_string();
        secret.push('\n');
        return Ok(NewKey { secret_text: secret, public_text: identity.to_public().to_string() });
    };
    let key = qres_alg.generate(&provider, &mut qres::OsRng)?;
    let public_text = public::encode(&key.public_key())?;
    let secret_text = match passphrase {
        Some(p) => private::encrypt_armored(&key, p.as_bytes(), &PasswordPolicy::default(), &mut qres::OsRng)?,
        None => {
            let bytes = private::encode_unprotected(&key)?;
            qres::armor::encode(private::LABEL, bytes.as_bytes())
        }
    };
    Ok(NewKey { secret_text: zeroize::Zeroizing::new(secret_text), public_text })
}

/// Every identity given with `-i`, sorted by kind.
#[derive(Default)]
pub struct Identities {
    /// qres KEM keys (for qres envelopes).
    pub kem: Vec<KemSecretKey>,
    /// qres signing keys (for `--sign` and `sign`).
    pub signing: Vec<SigningKey>,
    /// age identities.
    pub age: Vec<AgeIdentity>,
}

fn read_small(path: &Path, what: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::usage(format!("cannot open the {what} {}: {e}", path.display())))?;
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::usage(format!("cannot read the {what} {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(CliError::usage(format!("the {what} {} is larger than 1 MiB", path.display())));
    }
    Ok(bytes)
}

/// Reads the identity file at `path` into `into`.
pub fn read_identity_file(path: &Path, into: &mut Identities) -> Result<(), CliError> {
    let bytes = read_small(path, "identity file")?;
    let shown = path.display();
    // An age file encrypted with a passphrase (age -p), binary or armored: decrypt it first.
    let trimmed = bytes.iter().position(|b| !b.is_ascii_whitespace()).map_or(&bytes[..0], |i| &bytes[i..]);
    if trimmed.starts_with(b"age-encryption.org/") || trimmed.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----") {
        let decryptor = qres::age::Decryptor::new(&bytes[..])?;
        if !decryptor.is_passphrase() {
            return Err(CliError::usage(format!("{shown} is an age file encrypted to a key, not an identity file")));
        }
        let passphrase = read_passphrase(&format!("Passphrase for {shown}: "), false)?;
        let mut plain = zeroize::Zeroizing::new(Vec::new());
        decryptor
            .decrypt_with_passphrase(&passphrase)?
            .read_to_end(&mut plain)
            .map_err(|e| crate::error::io("decrypting the identity file", e))?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| CliError::usage(format!("{shown} does not decrypt to an identity file")))?;
        into.age.extend(qres::age::parse_identity_file(text)?);
        return Ok(());
    }
    let text =
        std::str::from_utf8(&bytes).map_err(|_| CliError::usage(format!("{shown} is not a text identity file")))?;
    let body: String = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    let body = zeroize::Zeroizing::new(body);
    if body.contains("-----BEGIN QRES PRIVATE KEY-----") {
        let der = qres::armor::decode(private::LABEL, body.trim(), private::MAX_FILE_LEN)
            .map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
        let der = zeroize::Zeroizing::new(der);
        let info = private::inspect(&der).map_err(|e| CliError::usage(format!("{shown}: {e}")))?;
        let provider = default_provider();
        let key = if info.kdf.is_some() {
            let passphrase = read_passphrase(&format!("Passphrase for {shown}: "), false)?;
            private::decrypt(&der, passphrase.as_bytes(), &PasswordPolicy::default(), &provider).map_err(
                |e| match e {
                    qres::Error::AuthenticationFailed => CliError::failed(format!("wrong passphrase for {shown}")),
                    other => CliError::usage(format!("{shown}: {other}")),
                },
            )?
        } else {
            private::decode_unprotected(&der, &provider).map_err(|e| CliError::usage(format!("{shown}: {e}")))?
        };
        match key {
            SecretKey::Kem(k) => into.kem.push(k),
            SecretKey::Signing(k) => into.signing.push(k),
            _ => return Err(CliError::usage(format!("{shown}: a kind of key this version of qres cannot use"))),
        }
        return Ok(());
    }
    into.age.extend(qres::age::parse_identity_file(&body).map_err(|e| match e {
        qres::age::AgeError::IdentityFileLine { line, reason } => {
            CliError::usage(format!("{shown}: line {line} (not counting comments): {reason}"))
        }
        other => CliError::usage(format!("{shown}: {other}")),
    })?);
    Ok(())
}

/// A recipient of either format.
pub enum AnyRecipient {
    /// A qres envelope recipient (`qrespk-…`, or the legacy `qres-pub1:` form).
    Qres(qres::KemPublicKey),
    /// An age recipient (`age1…`, `age1pq1…`).
    Age(AgeRecipient),
}

/// Parses one recipient string.
pub fn parse_recipient(text: &str) -> Result<AnyRecipient, CliError> {
    let t = text.trim();
    if t.starts_with("age1") {
        return Ok(AnyRecipient::Age(t.parse()?));
    }
    if t.starts_with(public::KEM_PREFIX) || t.starts_with(public::LEGACY_PREFIX) {
        return match public::decode(t, &default_provider()) {
            Ok(PublicKey::Kem(k)) => Ok(AnyRecipient::Qres(k)),
            Ok(_) => Err(CliError::usage("a verifying key (qresvk-…) cannot be encrypted to")
                .hint("give the recipient's qrespk-… key")),
            Err(e) => Err(CliError::usage(format!("invalid recipient: {e}"))),
        };
    }
    if t.starts_with(public::SIGNATURE_PREFIX) {
        return Err(CliError::usage("a verifying key (qresvk-…) cannot be encrypted to")
            .hint("give the recipient's qrespk-… key"));
    }
    Err(CliError::usage("a recipient is qrespk-… (qres), age1pq1… or age1… (age)")
        .hint("copy the public key that `qres keygen` printed"))
}

/// Reads a recipients file (`-R`): one recipient per line, `#` comments and empty lines ignored.
pub fn read_recipients_file(path: &Path) -> Result<Vec<AnyRecipient>, CliError> {
    let bytes = read_small(path, "recipients file")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::usage(format!("{} is not a text recipients file", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(
            parse_recipient(line).map_err(|e| CliError::usage(format!("{} line {}: {e}", path.display(), i + 1)))?,
        );
    }
    Ok(out)
}

/// Reads a verifying key: `qresvk-…` text, or the public key line of an identity file.
pub fn read_verifying_key(arg: &str) -> Result<qres::VerifyingKey, CliError> {
    let text = if Path::new(arg).is_file() {
        let bytes = read_small(Path::new(arg), "verifying key file")?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        text.lines()
            .map(|l| {
                let l = l.trim();
                let l = l.strip_prefix("# verifying key:").or_else(|| l.strip_prefix("# public key:")).unwrap_or(l);
                l.trim().to_owned()
            })
            .find(|l| l.starts_with(public::SIGNATURE_PREFIX))
            .ok_or_else(|| CliError::usage(format!("{arg} holds no qresvk-… verifying key")))?
    } else {
        arg.to_owned()
    };
    match public::decode(&text, &default_provider()) {
        Ok(PublicKey::Verifying(k)) => Ok(k),
        Ok(_) => Err(CliError::usage("a KEM key was given where a verifying key (qresvk-…) is needed")),
        Err(e) => Err(CliError::usage(format!("invalid verifying key: {e}"))),
    }
}
