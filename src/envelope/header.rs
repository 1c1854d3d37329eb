//! The envelope header: encoding and a bounded, allocation-checked parser (FORMAT.md, "Header").

use crate::alg::{AeadId, KdfId, KemId, SignatureId};
use crate::error::{Error, Result};
use crate::key_id::{KEY_ID_LEN, KeyId};
use crate::primitives::{Aead, Kdf, Kem, SignatureScheme};
use crate::provider::Provider;
use std::io::Read;

/// `"qres-env"`.
pub const MAGIC: [u8; 8] = *b"qres-env";
/// The format version this implementation reads and writes.
pub const VERSION: u8 = 1;
/// Largest header (bytes, MAC included).
pub const MAX_HEADER_LEN: usize = 1 << 20;
/// Largest number of recipients.
pub const MAX_RECIPIENTS: usize = 256;
/// Largest QNE block.
pub const MAX_QNE_LEN: usize = 1024;
/// Smallest streamed chunk size.
pub const MIN_CHUNK_SIZE: u32 = 1024;
/// Largest streamed chunk size.
pub const MAX_CHUNK_SIZE: u32 = 16 << 20;
/// Header MAC length (HMAC-SHA256).
pub const MAC_LEN: usize = 32;
/// File key length.
pub const FILE_KEY_LEN: usize = 32;

const FLAG_STREAMED: u8 = 0x01;
const FLAG_SIGNED: u8 = 0x02;

/// One recipient's wrapped file key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza {
    /// The recipient key's id.
    pub key_id: KeyId,
    /// The recipient key's version (0 for a lone key).
    pub key_version: u32,
    /// The HPKE encapsulation.
    pub enc: Vec<u8>,
    /// The HPKE-encrypted file key.
    pub wrapped_key: Vec<u8>,
}

/// The algorithms an envelope uses, resolved to implementations.
#[derive(Clone)]
pub struct ResolvedSuite {
    /// The KEM of every stanza.
    pub kem: &'static dyn Kem,
    /// The KDF (HPKE and payload key derivation).
    pub kdf: &'static dyn Kdf,
    /// The AEAD that wraps the file key in each stanza.
    pub hpke_aead: &'static dyn Aead,
    /// The payload AEAD.
    pub payload_aead: &'static dyn Aead,
    /// The sender's signature scheme, if the envelope is signed.
    pub signature: Option<&'static dyn SignatureScheme>,
}

impl ResolvedSuite {
    /// The HPKE suite of the stanzas.
    pub fn hpke(&self) -> crate::hpke::Suite {
        crate::hpke::Suite::new(self.kem, self.kdf, Some(self.hpke_aead))
    }
}

/// Everything in a header except its MAC, plus the encoded bytes once known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Whether the payload is a STREAM of chunks.
    pub streamed: bool,
    /// KEM id.
    pub kem: KemId,
    /// KDF id.
    pub kdf: KdfId,
    /// HPKE AEAD id.
    pub hpke_aead: AeadId,
    /// Payload AEAD id.
    pub payload_aead: AeadId,
    /// Plaintext bytes per chunk (0 when not streamed).
    pub chunk_size: u32,
    /// Quantum-noise entropy.
    pub qne: Vec<u8>,
    /// The signer, if the envelope is signed: algorithm and key id.
    pub signer: Option<(SignatureId, KeyId)>,
    /// One stanza per recipient.
    pub stanzas: Vec<Stanza>,
}

/// Why a header's fixed fields are not a valid envelope suite (FORMAT.md, "Allowed algorithms" and
/// "Processing rules for readers"). Sealing and parsing both call [`check_ids`] and [`check_layout`], so a
/// writer can never produce a header that a reader refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Violation {
    /// An algorithm id that the format does not allow in this position (rule 2: "unsupported").
    NotAllowed(&'static str),
    /// Flag bits other than `streamed` and `signed`.
    UnknownFlags,
    /// The legacy payload scheme in a streamed envelope.
    LegacyStreamed,
    /// A chunk size outside the range (streamed) or other than 0 (not streamed).
    ChunkSize(u32),
    /// A QNE block over [`MAX_QNE_LEN`].
    QneLen(usize),
    /// A signer algorithm other than ML-DSA-44/65/87.
    SignerNotAllowed,
}

impl Violation {
    /// The reader's error: only an id outside the allowed tables is named; everything else means the
    /// (unauthenticated) header is damaged.
    pub(crate) fn reader_error(self) -> Error {
        match self {
            Self::NotAllowed(reason) => Error::Unsupported(reason),
            _ => Error::AuthenticationFailed,
        }
    }

    /// The writer's error, naming the option at fault.
    pub(crate) fn writer_error(self) -> Error {
        match self {
            Self::NotAllowed(reason) => Error::Unsupported(reason),
            Self::UnknownFlags => Error::InvalidInput("envelope flags"),
            Self::LegacyStreamed => Error::Unsupported("the legacy AES-256-CBC-HMAC-SHA256 scheme cannot be streamed"),
            Self::ChunkSize(actual) => Error::LengthOutOfRange {
                what: "envelope chunk size",
                min: MIN_CHUNK_SIZE as usize,
                max: MAX_CHUNK_SIZE as usize,
                actual: actual as usize,
            },
            Self::QneLen(actual) => Error::LengthOutOfRange { what: "QNE block", min: 0, max: MAX_QNE_LEN, actual },
            Self::SignerNotAllowed => Error::Unsupported("envelopes are signed with ML-DSA-44, ML-DSA-65 or ML-DSA-87"),
        }
    }
}

/// The KEMs an envelope may use: post-quantum or hybrid only.
pub const ALLOWED_KEMS: [KemId; 4] = [KemId::X_WING, KemId::ML_KEM_512, KemId::ML_KEM_768, KemId::ML_KEM_1024];
/// The KDFs an envelope may use.
pub const ALLOWED_KDFS: [KdfId; 3] = [KdfId::HKDF_SHA256, KdfId::HKDF_SHA384, KdfId::HKDF_SHA512];
/// The AEADs that may wrap the file key in the stanzas (HPKE AEADs with a 16-byte tag).
pub const ALLOWED_HPKE_AEADS: [AeadId; 3] = [AeadId::AES_128_GCM, AeadId::AES_256_GCM, AeadId::CHACHA20_POLY1305];
/// The payload AEADs (the legacy scheme only unstreamed; writers need an explicit opt-in).
pub const ALLOWED_PAYLOAD_AEADS: [AeadId; 3] =
    [AeadId::AES_256_GCM, AeadId::CHACHA20_POLY1305, AeadId::AES_256_CBC_HMAC_SHA256];
/// The signer algorithms (fixed signature sizes, so a reader knows where the payload ends).
pub const ALLOWED_SIGNERS: [SignatureId; 3] = [SignatureId::ML_DSA_44, SignatureId::ML_DSA_65, SignatureId::ML_DSA_87];

/// Rule 2 (FORMAT.md): each id is in its position's table, checked in header order. Depends on the bytes
/// only, never on what the reader implements.
pub(crate) fn check_ids(kem: KemId, kdf: KdfId, hpke_aead: AeadId, payload_aead: AeadId) -> Result<(), Violation> {
    if !ALLOWED_KEMS.contains(&kem) {
        return Err(Violation::NotAllowed("envelopes use X-Wing or ML-KEM-512/768/1024"));
    }
    if !ALLOWED_KDFS.contains(&kdf) {
        return Err(Violation::NotAllowed("envelopes use HKDF-SHA256, HKDF-SHA384 or HKDF-SHA512"));
    }
    if !ALLOWED_HPKE_AEADS.contains(&hpke_aead) {
        return Err(Violation::NotAllowed(
            "envelope stanzas use AES-128-GCM, AES-256-GCM or ChaCha20-Poly1305 to wrap the file key",
        ));
    }
    if !ALLOWED_PAYLOAD_AEADS.contains(&payload_aead) {
        return Err(Violation::NotAllowed(
            "envelope payloads use AES-256-GCM, ChaCha20-Poly1305 or the legacy AES-256-CBC-HMAC-SHA256",
        ));
    }
    Ok(())
}

/// Rule 3 (FORMAT.md): flags, chunk size and QNE length.
pub(crate) fn check_layout(flags: u8, payload_aead: AeadId, chunk_size: u32, qne_len: usize) -> Result<(), Violation> {
    if flags & !(FLAG_STREAMED | FLAG_SIGNED) != 0 {
        return Err(Violation::UnknownFlags);
    }
    if flags & FLAG_STREAMED != 0 {
        if payload_aead == AeadId::AES_256_CBC_HMAC_SHA256 {
            return Err(Violation::LegacyStreamed);
        }
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(Violation::ChunkSize(chunk_size));
        }
    } else if chunk_size != 0 {
        return Err(Violation::ChunkSize(chunk_size));
    }
    if qne_len > MAX_QNE_LEN {
        return Err(Violation::QneLen(qne_len));
    }
    Ok(())
}

/// Rule 4 (FORMAT.md): the signer's algorithm.
pub(crate) fn check_signer(alg: SignatureId) -> Result<(), Violation> {
    if ALLOWED_SIGNERS.contains(&alg) { Ok(()) } else { Err(Violation::SignerNotAllowed) }
}

/// The flags byte of a header.
pub(crate) fn flags(streamed: bool, signed: bool) -> u8 {
    (if streamed { FLAG_STREAMED } else { 0 }) | (if signed { FLAG_SIGNED } else { 0 })
}

impl Header {
    /// Encodes everything up to (not including) the MAC.
    pub fn encode_without_mac(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(flags(self.streamed, self.signer.is_some()));
        for id in [self.kem.value(), self.kdf.value(), self.hpke_aead.value(), self.payload_aead.value()] {
            out.extend_from_slice(&id.to_be_bytes());
        }
        out.extend_from_slice(&self.chunk_size.to_be_bytes());
        let qne_len = u16::try_from(self.qne.len())
            .ok()
            .filter(|&l| usize::from(l) <= MAX_QNE_LEN)
            .ok_or(Error::LengthOutOfRange { what: "QNE block", min: 0, max: MAX_QNE_LEN, actual: self.qne.len() })?;
        out.extend_from_slice(&qne_len.to_be_bytes());
        out.extend_from_slice(&self.qne);
        if let Some((alg, key_id)) = self.signer {
            out.extend_from_slice(&alg.value().to_be_bytes());
            out.extend_from_slice(key_id.as_bytes());
        }
        if self.stanzas.is_empty() || self.stanzas.len() > MAX_RECIPIENTS {
            return Err(Error::LengthOutOfRange {
                what: "envelope recipients",
                min: 1,
                max: MAX_RECIPIENTS,
                actual: self.stanzas.len(),
            });
        }
        out.extend_from_slice(&(self.stanzas.len() as u16).to_be_bytes());
        for s in &self.stanzas {
            out.extend_from_slice(s.key_id.as_bytes());
            out.extend_from_slice(&s.key_version.to_be_bytes());
            for field in [&s.enc, &s.wrapped_key] {
                let len = u16::try_from(field.len()).map_err(|_| Error::InvalidInput("stanza field too long"))?;
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(field);
            }
        }
        if out.len() + MAC_LEN > MAX_HEADER_LEN {
            return Err(Error::LengthOutOfRange {
                what: "envelope header",
                min: 0,
                max: MAX_HEADER_LEN,
                actual: out.len() + MAC_LEN,
            });
        }
        Ok(out)
    }
}

/// Reads from the input while keeping a copy of every byte and enforcing the header size limit.
struct Recorder<'r, R: Read> {
    inner: &'r mut R,
    bytes: Vec<u8>,
}

impl<R: Read> Recorder<'_, R> {
    /// Reads exactly `n` bytes; end of input or the size limit is a damaged envelope.
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.bytes.len() + n > MAX_HEADER_LEN {
            return Err(Error::AuthenticationFailed);
        }
        let start = self.bytes.len();
        self.bytes.resize(start + n, 0);
        read_exact_or_damaged(self.inner, &mut self.bytes[start..])?;
        Ok(&self.bytes[start..])
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// `read_exact`, with a short read reported as a damaged envelope and other I/O errors as such.
pub(crate) fn read_exact_or_damaged<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> Result<()> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Error::AuthenticationFailed,
        _ => Error::io("reading the envelope", &e),
    })
}

/// The error for input whose first 8 bytes are not the magic: [`Error::ArmoredEnvelope`] when it is the
/// start of an armored envelope (the rest of the BEGIN line is read to tell), else
/// [`Error::NotAnEnvelope`].
fn not_an_envelope<R: Read + ?Sized>(first: &[u8; 8], input: &mut R) -> Error {
    let begin = super::armor::BEGIN.as_bytes();
    if first[..] != begin[..8] {
        return Error::NotAnEnvelope;
    }
    let mut rest = vec![0u8; begin.len() - 8];
    match input.read_exact(&mut rest) {
        Ok(()) if rest[..] == begin[8..] => Error::ArmoredEnvelope,
        _ => Error::NotAnEnvelope,
    }
}

/// A parsed header with its raw bytes and MAC.
pub struct ParsedHeader {
    /// The header fields.
    pub header: Header,
    /// The resolved algorithms.
    pub suite: ResolvedSuite,
    /// The encoded header without the MAC.
    pub without_mac: Vec<u8>,
    /// The MAC as read.
    pub mac: [u8; MAC_LEN],
}

/// Parses a header from `input`, resolving algorithms through `provider` and checking every length
/// against the limits before allocating.
pub fn parse<R: Read>(input: &mut R, provider: &Provider) -> Result<ParsedHeader> {
    let mut r = Recorder { inner: input, bytes: Vec::with_capacity(256) };
    let mut magic = [0u8; 8];
    read_exact_or_damaged(r.inner, &mut magic).map_err(|e| match e {
        Error::AuthenticationFailed => Error::NotAnEnvelope,
        other => other,
    })?;
    if magic != MAGIC {
        return Err(not_an_envelope(&magic, r.inner));
    }
    r.bytes.extend_from_slice(&magic);
    let version = r.u8()?;
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    let flags = r.u8()?;
    let ids = [r.u16()?, r.u16()?, r.u16()?, r.u16()?];
    let (kem, kdf, hpke_aead, payload_aead) = (KemId(ids[0]), KdfId(ids[1]), AeadId(ids[2]), AeadId(ids[3]));
    let chunk_size = r.u32()?;
    let qne_len = usize::from(r.u16()?);
    // Rule 2: ids outside the format's tables, then allowed ids this reader does not implement; rule 3:
    // the layout fields. The order is fixed by the bytes (FORMAT.md, "Processing rules for readers").
    check_ids(kem, kdf, hpke_aead, payload_aead).map_err(Violation::reader_error)?;
    let kem_impl = provider.kem(kem)?;
    let kdf_impl = provider.kdf(kdf)?;
    let hpke_aead_impl = provider.aead(hpke_aead)?;
    let payload_impl = provider.aead(payload_aead)?;
    check_layout(flags, payload_aead, chunk_size, qne_len).map_err(Violation::reader_error)?;
    let streamed = flags & FLAG_STREAMED != 0;
    let qne = r.take(qne_len)?.to_vec();
    let (signer, signature) = if flags & FLAG_SIGNED != 0 {
        let alg = SignatureId(r.u16()?);
        // Unlike the suite ids, this field's position depends on the (unauthenticated) flags: a value
        // outside the table (or one this reader lacks) is treated as damage.
        check_signer(alg).map_err(Violation::reader_error)?;
        let scheme = provider.signature(alg).map_err(|_| Error::AuthenticationFailed)?;
        let key_id = KeyId(r.take(KEY_ID_LEN)?.try_into().expect("16 bytes"));
        (Some((alg, key_id)), Some(scheme))
    } else {
        (None, None)
    };
    let count = usize::from(r.u16()?);
    if count == 0 || count > MAX_RECIPIENTS {
        return Err(Error::AuthenticationFailed);
    }
    let enc_len = kem_impl.sizes().ciphertext;
    let wrapped_len = FILE_KEY_LEN + hpke_aead_impl.tag_len();
    let mut stanzas = Vec::with_capacity(count);
    for _ in 0..count {
        let key_id = KeyId(r.take(KEY_ID_LEN)?.try_into().expect("16 bytes"));
        let key_version = r.u32()?;
        if usize::from(r.u16()?) != enc_len {
            return Err(Error::AuthenticationFailed);
        }
        let enc = r.take(enc_len)?.to_vec();
        if usize::from(r.u16()?) != wrapped_len {
            return Err(Error::AuthenticationFailed);
        }
        let wrapped_key = r.take(wrapped_len)?.to_vec();
        stanzas.push(Stanza { key_id, key_version, enc, wrapped_key });
    }
    let without_mac = r.bytes.clone();
    let mac: [u8; MAC_LEN] = r.take(MAC_LEN)?.try_into().expect("32 bytes");
    let header = Header { streamed, kem, kdf, hpke_aead, payload_aead, chunk_size, qne, signer, stanzas };
    let suite = ResolvedSuite {
        kem: kem_impl,
        kdf: kdf_impl,
        hpke_aead: hpke_aead_impl,
        payload_aead: payload_impl,
        signature,
    };
    Ok(ParsedHeader { header, suite, without_mac, mac })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            streamed: true,
            kem: KemId::X_WING,
            kdf: KdfId::HKDF_SHA256,
            hpke_aead: AeadId::AES_256_GCM,
            payload_aead: AeadId::AES_256_GCM,
            chunk_size: 65536,
            qne: vec![7; 32],
            signer: Some((SignatureId::ML_DSA_65, KeyId([9; 16]))),
            stanzas: vec![Stanza {
                key_id: KeyId([1; 16]),
                key_version: 3,
                enc: vec![2; 1120],
                wrapped_key: vec![3; 48],
            }],
        }
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let h = sample();
        let mut bytes = h.encode_without_mac().unwrap();
        bytes.extend_from_slice(&[0xAA; 32]);
        let parsed = parse(&mut &bytes[..], &crate::default_provider()).unwrap();
        assert_eq!(parsed.header, h);
        assert_eq!(parsed.mac, [0xAA; 32]);
        assert_eq!(parsed.without_mac, bytes[..bytes.len() - 32]);
    }

    #[test]
    fn identification_errors_are_distinct() {
        let p = crate::default_provider();
        let mut bytes = sample().encode_without_mac().unwrap();
        bytes.extend_from_slice(&[0; 32]);
        let mut b = bytes.clone();
        b[0] ^= 1;
        assert_eq!(parse(&mut &b[..], &p).err(), Some(Error::NotAnEnvelope));
        let mut b = bytes.clone();
        b[8] = 2;
        assert_eq!(parse(&mut &b[..], &p).err(), Some(Error::UnsupportedVersion(2)));
        let mut b = bytes.clone();
        b[10] = 0x77;
        assert!(matches!(parse(&mut &b[..], &p), Err(Error::Unsupported(_))), "a KEM id outside the table");
        for cut in [0, 5, 9, 20, 60, bytes.len() - 1] {
            let r = parse(&mut &bytes[..cut], &p).err();
            assert!(matches!(r, Some(Error::AuthenticationFailed | Error::NotAnEnvelope)), "cut {cut}: {r:?}");
        }
    }

    #[test]
    fn limits_are_enforced_on_encode() {
        let mut h = sample();
        h.qne = vec![0; MAX_QNE_LEN + 1];
        assert!(matches!(h.encode_without_mac(), Err(Error::LengthOutOfRange { .. })));
        let mut h = sample();
        h.stanzas.clear();
        assert!(matches!(h.encode_without_mac(), Err(Error::LengthOutOfRange { .. })));
    }
}
