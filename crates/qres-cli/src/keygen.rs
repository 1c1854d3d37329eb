//! `qres keygen`: a new identity file, age-keygen style.

use crate::error::{CliError, io};
use crate::io::{Output, read_passphrase};
use crate::keys::{KeyType, generate};
use std::io::Write;
use std::path::PathBuf;

/// The arguments of `keygen`.
#[derive(clap::Args, Debug)]
pub struct KeygenArgs {
    /// The key type.
    #[arg(short = 't', long = "type", value_enum, default_value_t = KeyType::XWing)]
    pub key_type: KeyType,
    /// Write the identity file here (mode 0600, never over an existing file) instead of standard output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Protect the key with a passphrase read from the terminal (Argon2id for qres keys; an age
    /// passphrase-encrypted identity file for age keys).
    #[arg(long)]
    pub passphrase: bool,
}

/// Runs `keygen`.
pub fn run(args: KeygenArgs) -> Result<(), CliError> {
    let passphrase = if args.passphrase { Some(read_passphrase("Passphrase for the new key: ", true)?) } else { None };
    let is_age = matches!(args.key_type, KeyType::AgePq | KeyType::AgeX25519);
    let key = generate(args.key_type, if is_age { None } else { passphrase.as_deref().map(|s| s.as_str()) })?;
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let label = if matches!(args.key_type, KeyType::MlDsa44 | KeyType::MlDsa65 | KeyType::MlDsa87) {
        "verifying key"
    } else {
        "public key"
    };
    let mut text = zeroize::Zeroizing::new(format!("# created: {created}\n# {label}: {}\n", key.public_text));
    text.push_str(&key.secret_text);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut output = Output::create(args.output.as_deref())?;
    match (&passphrase, is_age) {
        (Some(p), true) => {
            // age's convention: the identity file itself is an armored age file under the passphrase.
            let mut w = qres::age::Encryptor::with_passphrase(p, 18)?.armored(true).wrap_output(&mut output)?;
            w.write_all(text.as_bytes()).map_err(|e| io("writing the identity file", e))?;
            w.finish()?;
        }
        _ => output.write_all(text.as_bytes()).map_err(|e| io("writing the identity file", e))?,
    }
    let to_file = args.output.is_some();
    output.commit(true)?;
    if to_file {
        eprintln!("{}: {}", if label == "public key" { "Public key" } else { "Verifying key" }, key.public_text);
    }
    Ok(())
}
