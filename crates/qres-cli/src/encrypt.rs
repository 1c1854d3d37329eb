//! `qres encrypt`: to qres or age recipients, or with a passphrase (age), binary or armored.

use crate::error::{CliError, io};
use crate::io::{Output, open_input, read_passphrase};
use crate::keys::{AnyRecipient, Identities, parse_recipient, read_identity_file, read_recipients_file};
use qres::age::{AgeRecipient, Encryptor};
use qres::envelope::{EnvelopeWriter, Recipient, SealOptions};
use std::io::Write;
use std::path::PathBuf;

/// The file format written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A qres envelope (FORMAT.md): X-Wing or ML-KEM recipients, optional ML-DSA signature, QNE.
    Qres,
    /// An age v1 file: age1pq1… / age1… recipients or a passphrase; readable by age 1.3, rage, typage.
    Age,
}

/// The arguments of `encrypt`.
#[derive(clap::Args, Debug)]
pub struct EncryptArgs {
    /// Encrypt to this recipient (qrespk-…, age1pq1…, age1…). May be repeated.
    #[arg(short = 'r', long = "recipient", value_name = "RECIPIENT")]
    pub recipients: Vec<String>,
    /// Encrypt to the recipients listed in this file, one per line. May be repeated.
    #[arg(short = 'R', long = "recipients-file", value_name = "PATH")]
    pub recipients_files: Vec<PathBuf>,
    /// Encrypt with a passphrase read from the terminal (an age file, scrypt).
    #[arg(short = 'p', long)]
    pub passphrase: bool,
    /// Write ASCII armor (PEM-style text) instead of binary.
    #[arg(short = 'a', long)]
    pub armor: bool,
    /// Sign as this ML-DSA identity file (qres format only); readers check it with --verify.
    #[arg(long, value_name = "IDENTITY")]
    pub sign: Option<PathBuf>,
    /// The format; by default the recipients decide (qrespk-… gives qres, age1… gives age).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// scrypt work factor (log2 N) with -p.
    #[arg(long, default_value_t = 18, value_name = "LOG_N")]
    pub work_factor: u8,
    /// Write the result to this file (it appears only when complete) instead of standard output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The file to encrypt (standard input if absent or -).
    pub input: Option<PathBuf>,
}

/// Runs `encrypt`.
pub fn run(args: EncryptArgs) -> Result<(), CliError> {
    let mut recipients = Vec::new();
    for r in &args.recipients {
        recipients.push(parse_recipient(r)?);
    }
    for f in &args.recipients_files {
        recipients.extend(read_recipients_file(f)?);
    }
    let has_qres = recipients.iter().any(|r| matches!(r, AnyRecipient::Qres(_)));
    let has_age = recipients.iter().any(|r| matches!(r, AnyRecipient::Age(_)));
    if has_qres && has_age {
        return Err(CliError::usage("qres (qrespk-…) and age (age1…) recipients cannot share one file")
            .hint("encrypt once per format"));
    }
    if args.passphrase && !recipients.is_empty() {
        return Err(CliError::usage("-p cannot be combined with recipients")
            .hint("a passphrase file has no other recipient (age's rule)"));
    }
    if !args.passphrase && recipients.is_empty() {
        return Err(CliError::usage("no recipient").hint("give -r RECIPIENT, -R FILE, or -p for a passphrase"));
    }
    let format = match (args.format, has_qres, args.passphrase) {
        (Some(Format::Qres), _, true) => {
            return Err(CliError::usage("qres envelopes are sealed to keys, not passphrases")
                .hint("drop --format qres: -p writes an age file"));
        }
        (Some(Format::Qres), false, false) => {
            return Err(CliError::usage("--format qres needs qrespk-… recipients"));
        }
        (Some(Format::Age), true, _) => return Err(CliError::usage("--format age needs age1… recipients")),
        (Some(f), _, _) => f,
        (None, true, _) => Format::Qres,
        (None, false, _) => Format::Age,
    };
    if args.sign.is_some() && format != Format::Qres {
        return Err(CliError::usage("--sign works with qres envelopes only")
            .hint("age files have no sender signature; use `qres sign` beside the file"));
    }
    let mut output = Output::create(args.output.as_deref())?;
    if !args.armor {
        output.refuse_binary_to_terminal(
            "binary ciphertext",
            "use -a for armored text, -o FILE, or redirect the output",
        )?;
    }
    let mut input = open_input(args.input.as_deref())?;
    match format {
        Format::Qres => {
            let keys: Vec<Recipient> = recipients
                .into_iter()
                .filter_map(|r| match r {
                    AnyRecipient::Qres(k) => Some(Recipient::from(k)),
                    AnyRecipient::Age(_) => None,
                })
                .collect();
            let mut ids = Identities::default();
            if let Some(path) = &args.sign {
                read_identity_file(path, &mut ids)?;
            }
            let signer = match &args.sign {
                Some(path) => Some(ids.signing.first().ok_or_else(|| {
                    CliError::usage(format!("{} holds no ML-DSA signing key", path.display()))
                        .hint("make one with qres keygen -t ml-dsa-65")
                })?),
                None => None,
            };
            let options = SealOptions { signer, ..SealOptions::default() };
            if args.armor {
                let armored = qres::envelope::armor::writer(&mut output).map_err(|e| io("writing", e))?;
                let mut w = EnvelopeWriter::new(armored, &keys, &options, &mut qres::OsRng)?;
                std::io::copy(&mut input, &mut w).map_err(|e| io("encrypting", e))?;
                w.finish().map_err(|e| io("encrypting", e))?.finish().map_err(|e| io("writing", e))?;
            } else {
                let mut w = EnvelopeWriter::new(&mut output, &keys, &options, &mut qres::OsRng)?;
                std::io::copy(&mut input, &mut w).map_err(|e| io("encrypting", e))?;
                w.finish().map_err(|e| io("encrypting", e))?;
            }
        }
        Format::Age => {
            let encryptor = if args.passphrase {
                let passphrase = read_passphrase("Passphrase: ", true)?;
                Encryptor::with_passphrase(&passphrase, args.work_factor)?
            } else {
                let to: Vec<AgeRecipient> = recipients
                    .into_iter()
                    .filter_map(|r| match r {
                        AnyRecipient::Age(a) => Some(a),
                        AnyRecipient::Qres(_) => None,
                    })
                    .collect();
                Encryptor::with_recipients(&to)?
            };
            let mut w = encryptor.armored(args.armor).wrap_output(&mut output)?;
            std::io::copy(&mut input, &mut w).map_err(|e| io("encrypting", e))?;
            w.finish()?;
        }
    }
    output.flush().map_err(|e| io("writing", e))?;
    output.commit(false)
}
