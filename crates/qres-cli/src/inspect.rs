//! `qres inspect`: what a file says about itself, without any key (like age-inspect).

use crate::decrypt::{Detected, detect};
use crate::error::{CliError, io};
use crate::io::open_input;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

/// The arguments of `inspect`.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// The file to describe (standard input if absent or -).
    pub input: Option<PathBuf>,
}

/// Counts the bytes left in `r` without keeping them.
fn count_rest(r: &mut impl Read) -> Result<u64, CliError> {
    std::io::copy(r, &mut std::io::sink()).map_err(|e| io("reading the input", e))
}

/// Runs `inspect`, printing to standard output.
pub fn run(args: InspectArgs) -> Result<(), CliError> {
    let (detected, input) = detect(open_input(args.input.as_deref())?)?;
    let text = match detected {
        Detected::Qres => describe_qres(input, false)?,
        Detected::QresArmored => describe_qres(Box::new(qres::envelope::armor::reader(input)), true)?,
        Detected::Age => describe_age(input)?,
    };
    print!("{text}");
    Ok(())
}

fn describe_qres(mut input: Box<dyn Read>, armored: bool) -> Result<String, CliError> {
    let provider = qres::default_provider();
    let parsed = qres::envelope::header::parse(&mut input, &provider)?;
    let h = &parsed.header;
    let header_len = parsed.without_mac.len() + parsed.mac.len();
    let rest = count_rest(&mut input)?;
    let mut out = String::new();
    let _ = writeln!(out, "format: qres envelope v1, {}", if armored { "armored" } else { "binary" });
    let _ = writeln!(out, "kem: {}", h.kem);
    let _ = writeln!(out, "kdf: {}", h.kdf);
    let _ = writeln!(out, "stanza aead: {}", h.hpke_aead);
    let _ = writeln!(out, "payload aead: {}", h.payload_aead);
    if h.streamed {
        let _ = writeln!(out, "payload: streamed, {}-byte chunks", h.chunk_size);
    } else {
        let _ = writeln!(out, "payload: single shot");
    }
    let _ = writeln!(out, "qne: {} bytes {}", h.qne.len(), hex::encode(&h.qne));
    match &h.signer {
        Some((alg, id)) => {
            let _ = writeln!(out, "signer: {alg}, key id {id} (check it with decrypt --verify)");
        }
        None => {
            let _ = writeln!(out, "signer: none");
        }
    }
    let _ = writeln!(out, "recipients: {}", h.stanzas.len());
    for s in &h.stanzas {
        let _ = writeln!(out, "  key id {} version {}", s.key_id, s.key_version);
    }
    let _ = writeln!(out, "sizes: header {header_len} bytes, payload and trailer {rest} bytes (decoded)");
    let _ =
        writeln!(out, "post-quantum: {}", if h.kem == qres::KemId::DHKEM_X25519_HKDF_SHA256 { "no" } else { "yes" });
    Ok(out)
}

/// Longest age header described.
const MAX_AGE_HEADER: usize = qres::age::MAX_HEADER_LEN;

fn describe_age(input: Box<dyn Read>) -> Result<String, CliError> {
    let mut reader = BufReader::new(age::armor::ArmoredReader::new(input));
    let mut stanzas: Vec<(String, usize)> = Vec::new();
    let mut version = String::new();
    let mut header_len = 0usize;
    let mut line = Vec::new();
    let mut raw = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take((MAX_AGE_HEADER - header_len.min(MAX_AGE_HEADER)) as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| io("reading the age header", e))?;
        header_len += n;
        raw.extend_from_slice(&line);
        if n == 0 || header_len > MAX_AGE_HEADER {
            return Err(CliError::failed("the age header is truncated or longer than 4 MiB"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\n');
        if version.is_empty() {
            version = text.to_owned();
            if !version.starts_with("age-encryption.org/") {
                return Err(CliError::failed("not an age file"));
            }
        } else if let Some(args) = text.strip_prefix("-> ") {
            let mut parts = args.split(' ');
            let tag = parts.next().unwrap_or_default().to_owned();
            stanzas.push((tag, parts.count()));
        } else if text.starts_with("---") {
            break;
        }
    }
    // The header must parse as age's reader parses it (every check but the MAC, which needs the key).
    let mut nonce = Vec::with_capacity(16);
    (&mut reader).take(16).read_to_end(&mut nonce).map_err(|e| io("reading the age payload", e))?;
    raw.extend_from_slice(&nonce);
    qres::age::Decryptor::new(&raw[..])?;
    let rest = nonce.len() as u64 + count_rest(&mut reader)?;
    let mut out = String::new();
    let _ = writeln!(out, "format: age ({version})");
    let _ = writeln!(out, "recipients: {}", stanzas.len());
    for (tag, args) in &stanzas {
        let kind = match tag.as_str() {
            "mlkem768x25519" => "post-quantum hybrid (age1pq1…)",
            "X25519" => "X25519 (age1…)",
            "scrypt" => "passphrase",
            "mlkem768p256tag" | "p256tag" => "tagged (hardware key)",
            _ => "other (a plugin, or grease)",
        };
        let _ = writeln!(out, "  {tag}: {kind}, {args} arguments");
    }
    let pq = stanzas.iter().any(|(t, _)| t == "mlkem768x25519")
        && !stanzas.iter().any(|(t, _)| t == "X25519" || t == "scrypt");
    let _ = writeln!(out, "post-quantum: {}", if pq { "yes" } else { "no" });
    let _ = writeln!(out, "sizes: header {header_len} bytes, payload {rest} bytes (decoded)");
    Ok(out)
}
