//! `qres`: encrypt files to post-quantum keys from the shell, in qres envelopes or age v1 files, with
//! age's conventions (stdin to stdout by default, `-o`, `-a`, `-r`, `-R`, `-i`, `-p`).
#![forbid(unsafe_code)]

mod decrypt;
mod encrypt;
mod entropy;
mod error;
mod inspect;
mod io;
mod keygen;
mod keys;
mod keyset;
mod random;
mod sign;

use clap::{CommandFactory, Parser, Subcommand};
use error::CliError;

const EXIT_CODES: &str = "\
Exit status: 0 success; 1 the operation failed (wrong key, damaged or truncated input, I/O error); 2 bad
usage or an unparseable key or recipient; 3 refused to protect data (the output file exists, binary
output to a terminal).";

/// Post-quantum file encryption: qres envelopes (X-Wing, ML-KEM, ML-DSA signatures) and age v1 files
/// (age1pq1… hybrid, age1… X25519 and passphrase recipients).
#[derive(Parser, Debug)]
#[command(name = "qres", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make a new identity (secret key) file and print its public key.
    #[command(after_help = "Examples:\n  qres keygen -o key.txt\n  qres keygen -t age-pq -o age-key.txt\n  \
                            qres keygen -t ml-dsa-65 --passphrase -o signing-key.txt")]
    Keygen(keygen::KeygenArgs),
    /// Encrypt a file to recipients or with a passphrase.
    #[command(after_help = "Examples:\n  qres encrypt -r qrespk-x-wing1… -o report.pdf.qres report.pdf\n  \
                            tar c dir | qres encrypt -r age1pq1… -a > dir.tar.age\n  \
                            qres encrypt -p -o secret.age secret.txt")]
    Encrypt(encrypt::EncryptArgs),
    /// Decrypt a qres envelope or an age file (the format is detected).
    #[command(after_help = "Examples:\n  qres decrypt -i key.txt -o report.pdf report.pdf.qres\n  \
                            qres decrypt -i age-key.txt < dir.tar.age | tar x\n\n\
                            With -o the plaintext appears only once the whole input has authenticated; a failure \
                            leaves no file. To standard output, plaintext is written as each chunk authenticates, \
                            so a truncated or modified input can leave a partial output before the error: check \
                            the exit status.")]
    Decrypt(decrypt::DecryptArgs),
    /// Describe a qres envelope or an age file without a key: format, suite, recipients, sizes.
    #[command(after_help = "Example:\n  qres inspect report.pdf.qres")]
    Inspect(inspect::InspectArgs),
    /// Sign a file with an ML-DSA identity (a detached signature).
    #[command(after_help = "Example:\n  qres sign -i signing-key.txt -c release -o app.tar.sig app.tar")]
    Sign(sign::SignArgs),
    /// Verify a detached signature.
    #[command(after_help = "Example:\n  qres verify -k qresvk-ml-dsa-651… -s app.tar.sig -c release app.tar")]
    Verify(sign::VerifyArgs),
    /// Manage keysets (rotation, disable/enable, destroy) in a file key store.
    Keyset(keyset::KeysetArgs),
    /// Entropy tools: SP 800-90B min-entropy assessment of a sample file.
    #[command(subcommand)]
    Entropy(entropy::EntropyCommand),
    /// Random bytes from a CTR_DRBG seeded by the health-tested OS source.
    #[command(after_help = "Example:\n  qres random -n 32 --hex")]
    Random(random::RandomArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) to standard output.
    #[command(after_help = "Example:\n  qres completions bash > /etc/bash_completion.d/qres")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    #[command(after_help = "Example:\n  qres man > qres.1 && man ./qres.1")]
    Man,
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Keygen(a) => keygen::run(a),
        Command::Encrypt(a) => encrypt::run(a),
        Command::Decrypt(a) => decrypt::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Sign(a) => sign::run_sign(a),
        Command::Verify(a) => sign::run_verify(a),
        Command::Random(a) => random::run(a),
        Command::Keyset(a) => keyset::run(a),
        Command::Entropy(c) => entropy::run(c),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "qres", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|e| error::io("writing the man page", e)),
    }
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qres: error: {e}");
            std::process::ExitCode::from(e.code)
        }
    }
}
