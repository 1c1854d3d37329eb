//! The CLI's error: a one-line message that names the cause (never a secret), an optional fix, and the
//! exit code.
//!
//! Exit codes: 0 success; 1 the operation failed (wrong key, damaged or truncated input, I/O);
//! 2 bad usage (arguments, an unparseable key or recipient); 3 refused to protect data (an output file
//! exists, binary ciphertext to a terminal).

use std::fmt;

/// A failed command.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong.
    pub message: String,
    /// How to fix it, if there is an obvious way.
    pub hint: Option<String>,
    /// The exit code.
    pub code: u8,
}

impl CliError {
    /// The operation failed (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self { message: message.into(), hint: None, code: 1 }
    }

    /// Bad usage (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self { message: message.into(), hint: None, code: 2 }
    }

    /// Refused to protect data (exit 3).
    pub fn refused(message: impl Into<String>) -> Self {
        Self { message: message.into(), hint: None, code: 3 }
    }

    /// Adds how to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl From<qres::Error> for CliError {
    fn from(e: qres::Error) -> Self {
        use qres::Error as E;
        match &e {
            E::AuthenticationFailed => {
                Self::failed("decryption failed: the input was modified or truncated, or the key does not match")
            }
            E::NoMatchingKey { .. } => Self::failed("no identity matches a recipient of this file")
                .hint("pass the identity file the file was encrypted to with -i"),
            E::NotAnEnvelope => Self::failed("the input is neither a qres envelope nor an age file"),
            E::DuplicateRecipient { .. } => Self::usage(e.to_string()).hint("give each recipient once"),
            _ => Self::failed(e.to_string()),
        }
    }
}

impl From<qres::age::AgeError> for CliError {
    fn from(e: qres::age::AgeError) -> Self {
        use qres::age::AgeError as A;
        match e {
            A::InvalidRecipient(_) | A::InvalidIdentity(_) | A::IdentityFileLine { .. } => Self::usage(e.to_string()),
            A::NoMatch => Self::failed(e.to_string()).hint("pass the identity the file was encrypted to with -i"),
            other => Self::failed(other.to_string()),
        }
    }
}

/// An I/O error with what was being done.
pub fn io(what: &str, e: std::io::Error) -> CliError {
    if let Some(age) = qres::age::error_of(&e) {
        return CliError::failed(age.to_string());
    }
    if let Some(q) = qres::envelope::error_of(&e) {
        return CliError::from(q.clone());
    }
    CliError::failed(format!("{what}: {e}"))
}
