//! Writing age files: to recipients or with a passphrase, binary or armored, streamed.

use super::{AgeError, AgeRecipient};
use age::armor::{ArmoredWriter, Format};
use age::secrecy::SecretString;
use std::io::{self, Write};

/// Sets up an age file: its recipients (or passphrase) and whether it is armored.
pub struct Encryptor {
    inner: age::Encryptor,
    armor: bool,
}

impl Encryptor {
    /// To `recipients` (at least one; each key at most once). Post-quantum (`age1pq1…`) and X25519
    /// recipients cannot be mixed: the file would be only as strong as its classical stanza.
    pub fn with_recipients(recipients: &[AgeRecipient]) -> Result<Self, AgeError> {
        if recipients.is_empty() {
            return Err(AgeError::Encrypt("no recipient given"));
        }
        let texts: Vec<String> = recipients.iter().map(|r| r.to_string()).collect();
        if (1..texts.len()).any(|i| texts[..i].contains(&texts[i])) {
            return Err(AgeError::Encrypt("a recipient is given twice"));
        }
        let inner = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient)).map_err(
            |e| match e {
                age::EncryptError::IncompatibleRecipients { .. } => {
                    AgeError::Encrypt("post-quantum (age1pq1) and X25519 (age1) recipients cannot be mixed in one file")
                }
                age::EncryptError::Io(io) => match super::error_of(&io) {
                    Some(AgeError::Encrypt(reason)) => AgeError::Encrypt(reason),
                    _ => AgeError::Io(io),
                },
                _ => AgeError::Encrypt("the age crate refused the recipients"),
            },
        )?;
        Ok(Self { inner, armor: false })
    }

    /// With a passphrase (scrypt at work factor 2^`log_n`; age uses about one second of work, 18 is
    /// 2^18 and at most [`MAX_SCRYPT_WORK_FACTOR`](super::MAX_SCRYPT_WORK_FACTOR) can be read back).
    pub fn with_passphrase(passphrase: &str, log_n: u8) -> Result<Self, AgeError> {
        if passphrase.is_empty() {
            return Err(AgeError::Encrypt("the passphrase is empty"));
        }
        if !(10..=super::MAX_SCRYPT_WORK_FACTOR).contains(&log_n) {
            return Err(AgeError::Encrypt("the scrypt work factor must be between 10 and MAX_SCRYPT_WORK_FACTOR"));
        }
        let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
        recipient.set_work_factor(log_n);
        let inner = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|_| AgeError::Encrypt("the age crate refused the passphrase"))?;
        Ok(Self { inner, armor: false })
    }

    /// Armored (`-----BEGIN AGE ENCRYPTED FILE-----`) or binary (the default).
    pub fn armored(mut self, armor: bool) -> Self {
        self.armor = armor;
        self
    }

    /// Starts writing to `output`: the header is written now, the payload as it is written.
    pub fn wrap_output<W: Write>(self, output: W) -> Result<EncryptWriter<W>, AgeError> {
        let format = if self.armor { Format::AsciiArmor } else { Format::Binary };
        let armored = ArmoredWriter::wrap_output(output, format).map_err(AgeError::Io)?;
        let stream = self.inner.wrap_output(armored).map_err(AgeError::Io)?;
        Ok(EncryptWriter { stream })
    }
}

/// Encrypts what is written to it. [`finish`](Self::finish) must be called: without it the file is
/// truncated and will not decrypt.
pub struct EncryptWriter<W: Write> {
    stream: age::stream::StreamWriter<ArmoredWriter<W>>,
}

impl<W: Write> EncryptWriter<W> {
    /// Writes the last chunk (and the armor's END line) and returns the output.
    pub fn finish(self) -> Result<W, AgeError> {
        let armored = self.stream.finish().map_err(AgeError::Io)?;
        armored.finish().map_err(AgeError::Io)
    }
}

impl<W: Write> Write for EncryptWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}
