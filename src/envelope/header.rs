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

/// The payload AEADs an envelope may use.
pub(crate) fn payload_aead_allowed(id: AeadId) -> bool {
    matches!(id, AeadId::AES_256_GCM | AeadId::CHACHA20_POLY1305 | AeadId::AES_256_CBC_HMAC_SHA256)
}

/// The KEMs an envelope may use (post-quantum or hybrid only).
pub(crate) fn kem_allowed(id: KemId) -> bool {
    matches!(id, KemId::X_WING | KemId::ML_KEM_512 | KemId::ML_KEM_768 | KemId::ML_KEM_1024)
}

impl Header {
    /// Encodes everything up to (not including) the MAC.
    pub fn encode_without_mac(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(if self.streamed { FLAG_STREAMED } else { 0 } | if self.signer.is_some() { FLAG_SIGNED } else { 0 });
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
        return Err(Error::NotAnEnvelope);
    }
    r.bytes.extend_from_slice(&magic);
    let version = r.u8()?;
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    let flags = r.u8()?;
    let ids = [r.u16()?, r.u16()?, r.u16()?, r.u16()?];
    let (kem, kdf, hpke_aead, payload_aead) = (KemId(ids[0]), KdfId(ids[1]), AeadId(ids[2]), AeadId(ids[3]));
    let kem_impl = provider.kem(kem)?;
    let kdf_impl = provider.kdf(kdf)?;
    let hpke_aead_impl = provider.aead(hpke_aead)?;
    let payload_impl = provider.aead(payload_aead)?;
    if !kem_allowed(kem) {
        return Err(Error::Unsupported("envelopes use X-Wing or ML-KEM"));
    }
    if !payload_aead_allowed(payload_aead) || hpke_aead == AeadId::AES_256_CBC_HMAC_SHA256 {
        return Err(Error::Unsupported("this AEAD is not allowed in envelopes"));
    }
    if flags & !(FLAG_STREAMED | FLAG_SIGNED) != 0 {
        return Err(Error::AuthenticationFailed);
    }
    let streamed = flags & FLAG_STREAMED != 0;
    let chunk_size = r.u32()?;
    let chunk_ok = if streamed {
        (MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) && payload_aead != AeadId::AES_256_CBC_HMAC_SHA256
    } else {
        chunk_size == 0
    };
    if !chunk_ok {
        return Err(Error::AuthenticationFailed);
    }
    let qne_len = usize::from(r.u16()?);
    if qne_len > MAX_QNE_LEN {
        return Err(Error::AuthenticationFailed);
    }
    let qne = r.take(qne_len)?.to_vec();
    let (signer, signature) = if flags & FLAG_SIGNED != 0 {
        let alg = SignatureId(r.u16()?);
        // Unlike the suite ids, this field's position depends on the (unauthenticated) flags: an unknown
        // value here is treated as damage.
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
        assert!(matches!(parse(&mut &b[..], &p), Err(Error::UnknownAlgorithm { .. })));
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
