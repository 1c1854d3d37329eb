//! `qres sign` and `qres verify`: detached ML-DSA signatures over a file, with a context string.
//!
//! The signature file is one line of base64 (standard alphabet, padded): the FIPS 204 signature over the
//! file's bytes with the given context (ML-DSA "pure" mode, hedged signing).

use crate::error::{CliError, io};
use crate::io::{Output, open_input};
use crate::keys::{Identities, read_identity_file, read_verifying_key};
use std::io::{Read, Write};
use std::path::PathBuf;

/// Largest file signed or verified (the whole file is the ML-DSA message, held in memory).
const MAX_SIGNED_LEN: u64 = 1 << 30;

/// The arguments of `sign`.
#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// The ML-DSA identity file to sign with.
    #[arg(short = 'i', long = "identity", value_name = "PATH")]
    pub identity: PathBuf,
    /// The context string (FIPS 204), at most 255 bytes; the verifier must give the same.
    #[arg(short = 'c', long, default_value = "")]
    pub context: String,
    /// Write the signature here instead of standard output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The file to sign (standard input if absent or -).
    pub input: Option<PathBuf>,
}

/// The arguments of `verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The signer's verifying key (qresvk-…), or a file holding it (e.g. its identity file).
    #[arg(short = 'k', long = "key", value_name = "KEY")]
    pub key: String,
    /// The signature file `qres sign` wrote.
    #[arg(short = 's', long = "signature", value_name = "PATH")]
    pub signature: PathBuf,
    /// The context string the signer used.
    #[arg(short = 'c', long, default_value = "")]
    pub context: String,
    /// The signed file (standard input if absent or -).
    pub input: Option<PathBuf>,
}

fn read_message(input: Option<&std::path::Path>) -> Result<Vec<u8>, CliError> {
    let mut message = Vec::new();
    open_input(input)?.take(MAX_SIGNED_LEN + 1).read_to_end(&mut message).map_err(|e| io("reading the input", e))?;
    if message.len() as u64 > MAX_SIGNED_LEN {
        return Err(CliError::usage("the file is larger than 1 GiB").hint("sign a digest of it instead"));
    }
    Ok(message)
}

/// Runs `sign`.
pub fn run_sign(args: SignArgs) -> Result<(), CliError> {
    let mut ids = Identities::default();
    read_identity_file(&args.identity, &mut ids)?;
    let key = ids.signing.first().ok_or_else(|| {
        CliError::usage(format!("{} holds no ML-DSA signing key", args.identity.display()))
            .hint("make one with qres keygen -t ml-dsa-65")
    })?;
    let message = read_message(args.input.as_deref())?;
    let signature = key.sign(&message, args.context.as_bytes(), &mut qres::OsRng)?;
    let mut output = Output::create(args.output.as_deref())?;
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(signature.as_bytes());
    writeln!(output, "{text}").map_err(|e| io("writing the signature", e))?;
    output.commit(false)
}

/// Runs `verify`: prints a line and exits 0 if the signature is valid, exits 1 otherwise.
pub fn run_verify(args: VerifyArgs) -> Result<(), CliError> {
    let key = read_verifying_key(&args.key)?;
    let text = std::fs::read_to_string(&args.signature)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", args.signature.display())))?;
    use base64::Engine;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| CliError::usage(format!("{} is not a qres signature file", args.signature.display())))?;
    let message = read_message(args.input.as_deref())?;
    key.verify(&message, args.context.as_bytes(), &signature)
        .map_err(|_| CliError::failed("the signature is not valid for this file, key and context"))?;
    println!("valid {} signature by {}", key.algorithm(), key.key_id());
    Ok(())
}
