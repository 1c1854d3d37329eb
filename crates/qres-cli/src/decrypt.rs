//! `qres decrypt`: qres envelopes and age files, binary or armored, told apart by their first bytes.

use crate::error::{CliError, io};
use crate::io::{Output, open_input, read_passphrase};
use crate::keys::{Identities, read_identity_file, read_verifying_key};
use qres::envelope::{EnvelopeReader, KeyLookup, OpenOptions};
use qres::{KemSecretKey, KeyId};
use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

/// The arguments of `decrypt`.
#[derive(clap::Args, Debug)]
pub struct DecryptArgs {
    /// An identity file (from `qres keygen` or `age-keygen`). May be repeated.
    #[arg(short = 'i', long = "identity", value_name = "PATH")]
    pub identities: Vec<PathBuf>,
    /// Require a valid sender signature by this verifying key (qresvk-… or a file holding it); qres only.
    #[arg(long, value_name = "SIGNER")]
    pub verify: Option<String>,
    /// Decrypt with the keyset of this name (every enabled version), in the store given by --store.
    #[arg(long, value_name = "NAME", requires = "store")]
    pub keyset: Option<String>,
    /// The key store directory of --keyset (its passphrase is asked on the terminal).
    #[arg(long, value_name = "DIR", requires = "keyset")]
    pub store: Option<PathBuf>,
    /// Write the plaintext to this file; it appears only after the whole input has authenticated.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The file to decrypt (standard input if absent or -).
    pub input: Option<PathBuf>,
}

/// The format of an input, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    /// A qres envelope, binary.
    Qres,
    /// A qres envelope, armored.
    QresArmored,
    /// An age file (binary or armored).
    Age,
}

/// Reads enough of `input` to tell the format, and gives back a reader that still yields every byte.
pub fn detect(mut input: Box<dyn Read>) -> Result<(Detected, Box<dyn Read>), CliError> {
    let mut head = Vec::with_capacity(4096);
    (&mut input).take(4096).read_to_end(&mut head).map_err(|e| io("reading the input", e))?;
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    let t = &head[start..];
    let detected = if t.starts_with(&qres::envelope::header::MAGIC) {
        Detected::Qres
    } else if t.starts_with(qres::envelope::armor::BEGIN.as_bytes()) {
        Detected::QresArmored
    } else if t.starts_with(b"age-encryption.org/") || t.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----") {
        Detected::Age
    } else if head.is_empty() {
        return Err(CliError::failed("the input is empty"));
    } else {
        return Err(CliError::failed("the input is neither a qres envelope nor an age file").hint(
            "qres envelopes start with qres-env or -----BEGIN QRES ENVELOPE-----, age files with age-encryption.org/v1",
        ));
    };
    Ok((detected, Box::new(Cursor::new(head).chain(input))))
}

/// Lone qres keys (outside a keyset): a stanza matches by key id at any version.
struct LoneKeys<'a>(&'a [KemSecretKey]);

impl KeyLookup for LoneKeys<'_> {
    fn lookup(&self, key_id: &KeyId, _key_version: u32) -> Option<&KemSecretKey> {
        self.0.iter().find(|k| k.key_id() == *key_id)
    }
    fn available(&self) -> Vec<(KeyId, u32)> {
        self.0.iter().map(|k| (k.key_id(), 0)).collect()
    }
}

/// Copies all of `reader` to `output`, then commits it: on any error nothing is committed.
fn copy_then_commit(mut reader: impl Read, mut output: Output) -> Result<(), CliError> {
    std::io::copy(&mut reader, &mut output).map_err(|e| io("decrypting", e))?;
    output.flush().map_err(|e| io("writing", e))?;
    output.commit(false)
}

/// Runs `decrypt`.
pub fn run(args: DecryptArgs) -> Result<(), CliError> {
    let mut ids = Identities::default();
    for path in &args.identities {
        read_identity_file(path, &mut ids)?;
    }
    let (detected, input) = detect(open_input(args.input.as_deref())?)?;
    let output = Output::create(args.output.as_deref())?;
    match detected {
        Detected::Qres | Detected::QresArmored if args.keyset.is_some() => {
            use qres::keys::KeyStore;
            let (Some(name), Some(dir)) = (&args.keyset, &args.store) else { unreachable!("clap requires both") };
            let keyset = crate::keyset::open_store(dir, false)?.get(name)?.keyset;
            let signer = args.verify.as_deref().map(read_verifying_key).transpose()?;
            let options = OpenOptions { verify_sender: signer.as_ref(), ..OpenOptions::default() };
            if detected == Detected::QresArmored {
                let reader = EnvelopeReader::new(qres::envelope::armor::reader(input), &keyset, &options)?;
                copy_then_commit(reader, output)
            } else {
                copy_then_commit(EnvelopeReader::new(input, &keyset, &options)?, output)
            }
        }
        Detected::Qres | Detected::QresArmored => {
            if ids.kem.is_empty() {
                return Err(CliError::usage("a qres envelope needs a qres identity")
                    .hint("pass the identity file of a qrespk-… recipient with -i"));
            }
            let signer = args.verify.as_deref().map(read_verifying_key).transpose()?;
            let options = OpenOptions { verify_sender: signer.as_ref(), ..OpenOptions::default() };
            let keys = LoneKeys(&ids.kem);
            if detected == Detected::QresArmored {
                let reader = EnvelopeReader::new(qres::envelope::armor::reader(input), &keys, &options)?;
                copy_then_commit(reader, output)
            } else {
                let reader = EnvelopeReader::new(input, &keys, &options)?;
                copy_then_commit(reader, output)
            }
        }
        Detected::Age => {
            if args.verify.is_some() {
                return Err(CliError::usage("--verify works with qres envelopes only")
                    .hint("age files carry no sender signature; check a detached signature with qres verify"));
            }
            let decryptor = qres::age::Decryptor::new(input)?;
            let reader = if decryptor.is_passphrase() {
                if !ids.age.is_empty() || !ids.kem.is_empty() {
                    return Err(CliError::usage("this file is encrypted with a passphrase").hint("drop -i"));
                }
                let passphrase = read_passphrase("Passphrase: ", false)?;
                decryptor.decrypt_with_passphrase(&passphrase)?
            } else {
                if ids.age.is_empty() {
                    return Err(CliError::usage("an age file needs an age identity")
                        .hint("pass an AGE-SECRET-KEY-… identity file with -i"));
                }
                decryptor.decrypt(&ids.age)?
            };
            copy_then_commit(reader, output)
        }
    }
}
