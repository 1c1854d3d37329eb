//! Reading age files: armor detection, a bounded and strictly checked header, then the `age` crate's
//! header MAC and STREAM.

use super::{AgeError, AgeIdentity};
use age::armor::{ArmoredReadError, ArmoredReader};
use age::secrecy::SecretString;
use std::io::{self, BufRead, BufReader, Cursor, Read};

/// Longest header read (4 MiB: about 2,600 post-quantum stanzas or 40,000 X25519 ones). The `age` crate
/// grows its header buffer without a bound; qres refuses a longer header before allocating more.
pub const MAX_HEADER_LEN: usize = 4 << 20;
/// Highest scrypt work factor (log2 N) accepted when decrypting: 2^22 takes about 4 s and 4 GiB·s here,
/// the ceiling age (Go) applies too. A file asking for more is refused as a header failure, before any work.
pub const MAX_SCRYPT_WORK_FACTOR: u8 = 22;
/// Longest run of whitespace accepted before an armored file.
const MAX_LEADING_WHITESPACE: usize = 64 << 10;
const BINARY_MAGIC: &[u8] = b"age-encryption.org/";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
/// Body lines of a stanza are at most 64 base64 characters; the last one is shorter (possibly empty).
const BODY_LINE: usize = 64;

type Input<'a> = Box<dyn Read + 'a>;

/// The header of an age file, read and checked; [`decrypt`](Self::decrypt) (or
/// [`decrypt_with_passphrase`](Self::decrypt_with_passphrase)) then finds the file key.
pub struct Decryptor<'a> {
    inner: age::Decryptor<Input<'a>>,
}

impl<'a> Decryptor<'a> {
    /// Reads the header from `input`, binary or armored (whitespace around the armor is allowed).
    pub fn new<R: Read + 'a>(input: R) -> Result<Self, AgeError> {
        let mut input = BufReader::new(input);
        let skipped = skip_whitespace(&mut input)?;
        let mut head = Vec::with_capacity(ARMOR_BEGIN.len());
        input.by_ref().take(ARMOR_BEGIN.len() as u64).read_to_end(&mut head).map_err(AgeError::Io)?;
        let binary = head.starts_with(BINARY_MAGIC) || BINARY_MAGIC.starts_with(&head) && !head.is_empty();
        let armored = head == ARMOR_BEGIN;
        if head.is_empty() {
            return Err(AgeError::Header("the input is empty"));
        }
        if binary && skipped > 0 {
            return Err(AgeError::Header("whitespace before a binary age header"));
        }
        let rest: Input<'a> = Box::new(Cursor::new(head.clone()).chain(input));
        let mut stream: Input<'a> = if armored {
            Box::new(ArmoredReader::new(rest))
        } else if binary {
            rest
        } else if head.starts_with(b"-----") || skipped > 0 || looks_like_text(&head) {
            return Err(AgeError::Armor(
                "an armored age file starts with the line -----BEGIN AGE ENCRYPTED FILE----- (only whitespace may \
                 come before it)"
                    .into(),
            ));
        } else {
            return Err(AgeError::Header("not an age file (no age-encryption.org header and no armor)"));
        };
        let buffered = read_header(&mut stream)?;
        check_stanza_bodies(&buffered[..header_end(&buffered).unwrap_or(buffered.len())])?;
        let input: Input<'a> = Box::new(Cursor::new(buffered).chain(stream));
        let inner = age::Decryptor::new(input).map_err(|e| from_age(e, Stage::Header))?;
        Ok(Self { inner })
    }

    /// Whether the file is sealed with a passphrase (a lone scrypt stanza) rather than to recipients.
    pub fn is_passphrase(&self) -> bool {
        self.inner.is_scrypt()
    }

    /// Finds the file key with one of `identities`.
    pub fn decrypt(self, identities: &[AgeIdentity]) -> Result<DecryptReader<'a>, AgeError> {
        if self.is_passphrase() {
            return Err(AgeError::WrongMode("this file is encrypted with a passphrase, not to a recipient"));
        }
        self.decrypt_with(identities.iter().map(|i| i as &dyn age::Identity))
    }

    /// Finds the file key with identities of any type that implements the `age` crate's trait.
    pub fn decrypt_with<'i>(
        self,
        identities: impl Iterator<Item = &'i dyn age::Identity>,
    ) -> Result<DecryptReader<'a>, AgeError> {
        let stream = self.inner.decrypt(identities).map_err(|e| from_age(e, Stage::Header))?;
        Ok(DecryptReader { stream })
    }

    /// Finds the file key with `passphrase` (scrypt, work factor at most [`MAX_SCRYPT_WORK_FACTOR`]).
    pub fn decrypt_with_passphrase(self, passphrase: &str) -> Result<DecryptReader<'a>, AgeError> {
        let mut identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
        identity.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
        self.decrypt_with(std::iter::once(&identity as &dyn age::Identity))
    }
}

/// The plaintext of an age file, read chunk by chunk (64 KiB): each chunk is authenticated before any of
/// it is returned, but a truncated or modified file is only detected when its damaged chunk is reached.
/// Treat the output as unauthenticated until `read` returned `Ok(0)`; errors carry an [`AgeError`]
/// (see [`error_of`](super::error_of)).
pub struct DecryptReader<'a> {
    stream: age::stream::StreamReader<Input<'a>>,
}

impl Read for DecryptReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf).map_err(|e| {
            let kind = e.kind();
            io::Error::new(kind, classify_io(e, Stage::Payload))
        })
    }
}

#[derive(Clone, Copy)]
enum Stage {
    Header,
    Payload,
}

fn from_age(e: age::DecryptError, stage: Stage) -> AgeError {
    use age::DecryptError as D;
    match e {
        D::InvalidHeader | D::UnknownFormat => AgeError::Header("malformed or unsupported (see the C2SP age spec)"),
        D::InvalidMac => AgeError::HeaderMac,
        D::NoMatchingKeys | D::DecryptionFailed | D::KeyDecryptionFailed => AgeError::NoMatch,
        D::ExcessiveWork { required, .. } => AgeError::ExcessiveWork { required, limit: MAX_SCRYPT_WORK_FACTOR },
        D::Io(io) => classify_io(io, stage),
    }
}

fn classify_io(e: io::Error, stage: Stage) -> AgeError {
    if let Some(inner) = e.get_ref() {
        if let Some(armor) = inner.downcast_ref::<ArmoredReadError>() {
            return AgeError::Armor(armor.to_string());
        }
        if inner.is::<AgeError>() {
            return *e.into_inner().and_then(|b| b.downcast::<AgeError>().ok()).expect("checked above");
        }
    }
    match (e.kind(), stage) {
        (io::ErrorKind::UnexpectedEof, Stage::Header) => AgeError::Header("the header is truncated"),
        (io::ErrorKind::InvalidData, Stage::Header) => AgeError::Header("malformed"),
        (io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData, Stage::Payload) => AgeError::Payload,
        _ => AgeError::Io(e),
    }
}

/// Skips ASCII whitespace at the start, returning how much.
fn skip_whitespace(input: &mut impl BufRead) -> Result<usize, AgeError> {
    let mut skipped = 0;
    loop {
        let buf = input.fill_buf().map_err(AgeError::Io)?;
        let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if n == 0 {
            return Ok(skipped);
        }
        input.consume(n);
        skipped += n;
        if skipped > MAX_LEADING_WHITESPACE {
            return Err(AgeError::Armor("more than 64 KiB of whitespace before the armor".into()));
        }
    }
}

fn looks_like_text(head: &[u8]) -> bool {
    head.iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

/// Where the header ends: after the line that starts with `---` (the MAC line), if it is complete.
fn header_end(buf: &[u8]) -> Option<usize> {
    let mac_line = buf.windows(4).position(|w| w == b"\n---")? + 1;
    buf[mac_line..].iter().position(|&b| b == b'\n').map(|i| mac_line + i + 1)
}

/// Reads until the header's MAC line is in, at most [`MAX_HEADER_LEN`] bytes (EOF first: the `age` crate
/// reports the truncated header).
fn read_header(stream: &mut Input<'_>) -> Result<Vec<u8>, AgeError> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if header_end(&buf).is_some() {
            return Ok(buf);
        }
        if buf.len() > MAX_HEADER_LEN {
            return Err(AgeError::Header("the header is longer than MAX_HEADER_LEN (4 MiB)"));
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(buf),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(classify_io(e, Stage::Header)),
        }
    }
}

/// C2SP age: "every stanza must end with a short body line, even if empty". The `age` crate still reads
/// stanzas without one (a legacy form), so qres checks it here, on the header text before the MAC line.
fn check_stanza_bodies(header: &[u8]) -> Result<(), AgeError> {
    let mut lines = header.split(|&b| b == b'\n').skip(1).peekable();
    while let Some(line) = lines.next() {
        if line.starts_with(b"---") {
            return Ok(());
        }
        if !line.starts_with(b"-> ") {
            continue; // not a stanza: the age crate refuses it
        }
        loop {
            match lines.next() {
                Some(body) if body.starts_with(b"-") => {
                    return Err(AgeError::Header("a stanza must end with a short body line, even if empty"));
                }
                Some(body) if body.len() == BODY_LINE => continue,
                Some(_) => break,
                None => return Ok(()), // truncated: the age crate reports it
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stanza_without_its_short_final_line_is_refused() {
        let full = "A".repeat(64);
        let ok = format!("age-encryption.org/v1\n-> X25519 abc\n{full}\n\n--- mac\n");
        assert!(check_stanza_bodies(ok.as_bytes()).is_ok());
        let missing_final = format!("age-encryption.org/v1\n-> X25519 abc\n{full}\n--- mac\n");
        assert!(matches!(check_stanza_bodies(missing_final.as_bytes()), Err(AgeError::Header(_))));
        let missing_body = "age-encryption.org/v1\n-> X25519 abc\n-> X25519 def\nAAAA\n--- mac\n";
        assert!(matches!(check_stanza_bodies(missing_body.as_bytes()), Err(AgeError::Header(_))));
    }

    #[test]
    fn the_header_end_is_after_the_mac_line() {
        assert_eq!(header_end(b"age-encryption.org/v1\n--- abc\nPAYLOAD"), Some(30));
        assert_eq!(header_end(b"age-encryption.org/v1\n--- abc"), None);
    }
}
