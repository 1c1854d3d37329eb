//! Inputs, outputs and the terminal: stdin/stdout by default, output files that appear only complete,
//! passphrases without echo, a progress bar for large inputs.

use crate::error::{CliError, io};
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

/// Inputs at least this large get a progress bar (when stderr is a terminal).
const PROGRESS_MIN: u64 = 4 << 20;

/// Opens `path` (`None` or `-`: standard input), with a progress bar on stderr for a large file.
pub fn open_input(path: Option<&Path>) -> Result<Box<dyn Read>, CliError> {
    match path {
        None => Ok(Box::new(std::io::stdin().lock())),
        Some(p) if p == Path::new("-") => Ok(Box::new(std::io::stdin().lock())),
        Some(p) => {
            let file = File::open(p).map_err(|e| io(&format!("cannot open {}", p.display()), e))?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len >= PROGRESS_MIN && std::io::stderr().is_terminal() {
                let bar = indicatif::ProgressBar::new(len).with_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                Ok(Box::new(bar.wrap_read(file)))
            } else {
                Ok(Box::new(file))
            }
        }
    }
}

/// Where output goes: standard output, or a temporary file beside the target that is renamed into place
/// only by [`Output::commit`] (dropped without it, the temporary file is deleted, so a failed or
/// interrupted run leaves no partial output). An existing target is never replaced.
pub enum Output {
    /// Standard output, buffered (Rust's `Stdout` alone is line-buffered, which ciphertext does not want).
    Stdout(std::io::BufWriter<std::io::Stdout>),
    /// A temporary file and the path it becomes.
    File { temp: tempfile::NamedTempFile, path: PathBuf },
}

impl Output {
    /// Output to `path` (`None` or `-`: standard output).
    pub fn create(path: Option<&Path>) -> Result<Self, CliError> {
        let Some(path) = path.filter(|p| *p != Path::new("-")) else {
            return Ok(Self::Stdout(std::io::BufWriter::with_capacity(256 << 10, std::io::stdout())));
        };
        if path.exists() {
            return Err(CliError::refused(format!("{} already exists", path.display()))
                .hint("remove it first or choose another -o path"));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".qres-partial-")
            .tempfile_in(dir)
            .map_err(|e| io(&format!("cannot create a file in {}", dir.display()), e))?;
        Ok(Self::File { temp, path: path.to_owned() })
    }

    /// Whether this is a terminal (binary ciphertext must not go there).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Stdout(s) if s.get_ref().is_terminal())
    }

    /// Refuses binary output to a terminal.
    pub fn refuse_binary_to_terminal(&self, what: &str, fix: &str) -> Result<(), CliError> {
        if self.is_terminal() {
            return Err(CliError::refused(format!("refusing to write {what} to a terminal")).hint(fix));
        }
        Ok(())
    }

    /// Makes the output final: flushes standard output, or syncs the temporary file and renames it into
    /// place (refusing to replace a file that appeared meanwhile). With `mode_0600`, the file is private.
    pub fn commit(self, mode_0600: bool) -> Result<(), CliError> {
        match self {
            Self::Stdout(mut s) => s.flush().map_err(|e| io("writing to standard output", e)),
            Self::File { temp, path } => {
                #[cfg(unix)]
                if !mode_0600 {
                    // tempfile creates 0600; ordinary outputs get the usual permissions (umask applies).
                    use std::os::unix::fs::PermissionsExt;
                    let _ = temp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
                }
                #[cfg(not(unix))]
                let _ = mode_0600;
                temp.as_file().sync_all().map_err(|e| io("syncing the output file", e))?;
                temp.persist_noclobber(&path).map_err(|e| {
                    CliError::refused(format!("cannot move the output into place at {}: {}", path.display(), e.error))
                })?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Stdout(s) => s.write(buf),
            Self::File { temp, .. } => temp.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Stdout(s) => s.flush(),
            Self::File { temp, .. } => temp.flush(),
        }
    }
}

/// Reads a passphrase from the terminal without echo (never from an argument or a pipe), asking twice
/// when `confirm` is set.
pub fn read_passphrase(prompt: &str, confirm: bool) -> Result<zeroize::Zeroizing<String>, CliError> {
    let no_tty = |e: std::io::Error| {
        CliError::usage(format!("cannot read a passphrase from the terminal: {e}"))
            .hint("run qres from a terminal; passphrases are never taken from arguments or pipes")
    };
    let first = zeroize::Zeroizing::new(rpassword::prompt_password(prompt).map_err(no_tty)?);
    if first.is_empty() {
        return Err(CliError::usage("the passphrase is empty"));
    }
    if confirm {
        let again = zeroize::Zeroizing::new(rpassword::prompt_password("Confirm passphrase: ").map_err(no_tty)?);
        if *again != *first {
            return Err(CliError::usage("the passphrases do not match"));
        }
    }
    Ok(first)
}
