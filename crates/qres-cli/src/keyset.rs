//! `qres keyset`: Tink-style keysets in a file key store (a directory, sealed under a passphrase read
//! from the terminal). `decrypt --store DIR --keyset NAME` opens envelopes with every enabled version.

use crate::error::CliError;
use crate::io::read_passphrase;
use crate::keys::KeyType;
use qres::default_provider;
use qres::keys::{FileKeyStore, KeyAlgorithm, KeyStatus, KeyStore, Keyset, PasswordWrapper, public};
use qres::password::PasswordPolicy;
use std::path::{Path, PathBuf};

/// The keyset subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum KeysetCommand {
    /// Create a keyset with one key (version 1, primary).
    New {
        /// The keyset's name.
        name: String,
        /// The key type (qres types only).
        #[arg(short = 't', long = "type", value_enum, default_value_t = KeyType::XWing)]
        key_type: KeyType,
    },
    /// Add a new version and make it the primary; older versions keep decrypting.
    Rotate {
        /// The keyset's name.
        name: String,
    },
    /// List the versions: status, primary, algorithm, key id, creation time.
    List {
        /// The keyset's name (every keyset's name if absent).
        name: Option<String>,
    },
    /// Disable a version (it no longer decrypts, and can be enabled again).
    Disable {
        /// The keyset's name.
        name: String,
        /// The version.
        version: u32,
    },
    /// Enable a disabled version.
    Enable {
        /// The keyset's name.
        name: String,
        /// The version.
        version: u32,
    },
    /// Destroy a version's secret for good (its envelopes can never be opened again).
    Destroy {
        /// The keyset's name.
        name: String,
        /// The version.
        version: u32,
    },
    /// Print the primary's public key (qrespk-… / qresvk-…), for senders.
    Public {
        /// The keyset's name.
        name: String,
    },
}

/// The arguments of `keyset`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  qres keyset --store ~/.qres new mail\n  qres keyset --store ~/.qres public mail\n  \
                        qres keyset --store ~/.qres rotate mail\n  qres decrypt --store ~/.qres --keyset mail old.qres"
)]
pub struct KeysetArgs {
    /// The key store directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: KeysetCommand,
}

/// Opens the file store at `dir`, asking for its passphrase on the terminal.
pub fn open_store(dir: &Path, creating: bool) -> Result<FileKeyStore, CliError> {
    let passphrase = read_passphrase(&format!("Passphrase for the key store {}: ", dir.display()), creating)?;
    let wrapper = PasswordWrapper::new(passphrase.as_bytes(), PasswordPolicy::default())?;
    Ok(FileKeyStore::open(dir, wrapper, default_provider())?)
}

fn algorithm_of(t: KeyType) -> Result<KeyAlgorithm, CliError> {
    t.qres_algorithm()
        .ok_or_else(|| CliError::usage("keysets hold qres keys").hint("use -t x-wing, ml-kem-768 or ml-dsa-65"))
}

fn status_name(s: KeyStatus) -> &'static str {
    match s {
        KeyStatus::Enabled => "enabled",
        KeyStatus::Disabled => "disabled",
        KeyStatus::Destroyed => "destroyed",
        _ => "unknown",
    }
}

fn print_versions(keyset: &Keyset) {
    for k in keyset.info() {
        let created =
            humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(k.created));
        println!(
            "version {}{}: {}, {}, key id {}, created {created}",
            k.version,
            if k.primary { " (primary)" } else { "" },
            status_name(k.status),
            k.algorithm,
            k.key_id
        );
    }
}

/// Runs `keyset`.
pub fn run(args: KeysetArgs) -> Result<(), CliError> {
    let provider = default_provider();
    let creating = matches!(args.command, KeysetCommand::New { .. }) && !args.store.exists();
    let store = open_store(&args.store, creating)?;
    let rng = &mut qres::OsRng;
    match args.command {
        KeysetCommand::New { name, key_type } => {
            if store.list()?.contains(&name) {
                return Err(CliError::refused(format!("the keyset {name} already exists")).hint("rotate it instead"));
            }
            let keyset = Keyset::generate(&provider, algorithm_of(key_type)?, rng)?;
            store.put(&name, &keyset, rng)?;
            eprintln!("created keyset {name}; public key:");
            println!("{}", public::encode(&keyset.primary().public_key())?);
        }
        KeysetCommand::Rotate { name } => {
            let (revision, version) = store.rotate(&name, &provider, rng)?;
            eprintln!("keyset {name}: version {version} is the primary (revision {revision})");
        }
        KeysetCommand::List { name: None } => {
            for name in store.list()? {
                println!("{name}");
            }
        }
        KeysetCommand::List { name: Some(name) } => print_versions(&store.get(&name)?.keyset),
        KeysetCommand::Disable { name, version } => {
            store.update(&name, rng, |ks, _| ks.disable(version))?;
        }
        KeysetCommand::Enable { name, version } => {
            store.update(&name, rng, |ks, _| ks.enable(version))?;
        }
        KeysetCommand::Destroy { name, version } => {
            store.destroy_key(&name, version, rng)?;
            eprintln!("keyset {name}: version {version} destroyed");
        }
        KeysetCommand::Public { name } => {
            println!("{}", public::encode(&store.get(&name)?.keyset.primary().public_key())?);
        }
    }
    Ok(())
}
