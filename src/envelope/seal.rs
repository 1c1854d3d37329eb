//! Building and unlocking headers, per-chunk payload protection, and single-shot [`seal`] / [`open`].

use super::header::{self, FILE_KEY_LEN, Header, ParsedHeader, ResolvedSuite, Stanza};
use super::schedule::{self, SIGNATURE_CONTEXT};
use super::trace::{ChunkTrace, StanzaTrace, Trace};
use super::{EnvelopeInfo, KeyLookup, OpenOptions, Opened, QneSource, Recipient, SealOptions, fill_qne};
use crate::alg::AeadId;
use crate::error::{Error, Result};
use crate::hpke::Mode;
use crate::primitives::{AeadKey, HazmatToken, SignInput, SigningKey, VerifyingKey};
use crate::provider::Provider;
use crate::random::{DynCryptoRng, random_secret};
use crate::secret::SecretBytes;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Per-envelope sealing state: the encoded header, the payload key, the chunk counter.
pub(crate) struct Sealer<'a> {
    pub(crate) header_bytes: Vec<u8>,
    pub(crate) streamed: bool,
    pub(crate) chunk_size: usize,
    digest: [u8; 32],
    payload: AeadKey,
    legacy_iv: Option<[u8; 16]>,
    signer: Option<&'a SigningKey>,
    /// The signature randomness (ML-DSA `rnd`), drawn from the caller's RNG when sealing begins, so that
    /// every random draw of an envelope comes from that RNG, also for a writer that signs at `finish`.
    signing_rnd: Option<SecretBytes>,
    index: u128,
    finished: bool,
    payload_hash: Sha256,
    pub(crate) trace: Option<Box<Trace>>,
}

/// Refuses every option combination that a reader would refuse, through the same checks as the header
/// parser ([`header::check_ids`], [`header::check_layout`], [`header::check_signer`]), plus the writer's
/// own policy: the legacy scheme needs [`SealOptions::allow_legacy`], and a recipient may appear once.
fn check_options(options: &SealOptions<'_>, recipients: &[Recipient]) -> Result<()> {
    let kem = recipients.first().map(|r| r.public_key.algorithm()).ok_or(Error::LengthOutOfRange {
        what: "envelope recipients",
        min: 1,
        max: header::MAX_RECIPIENTS,
        actual: 0,
    })?;
    if recipients.len() > header::MAX_RECIPIENTS {
        return Err(Error::LengthOutOfRange {
            what: "envelope recipients",
            min: 1,
            max: header::MAX_RECIPIENTS,
            actual: recipients.len(),
        });
    }
    header::check_ids(kem, options.kdf, options.hpke_aead, options.payload_aead)
        .map_err(header::Violation::writer_error)?;
    if options.payload_aead == AeadId::AES_256_CBC_HMAC_SHA256 && !options.allow_legacy {
        return Err(Error::Unsupported("sealing with the legacy AES-256-CBC-HMAC-SHA256 scheme needs allow_legacy"));
    }
    let qne_len = match &options.qne {
        QneSource::Given(bytes) => bytes.len(),
        _ => options.qne_len,
    };
    let chunk_size = if options.streamed { options.chunk_size } else { 0 };
    header::check_layout(
        header::flags(options.streamed, options.signer.is_some()),
        options.payload_aead,
        chunk_size,
        qne_len,
    )
    .map_err(header::Violation::writer_error)?;
    if let Some(signer) = options.signer {
        header::check_signer(signer.algorithm()).map_err(header::Violation::writer_error)?;
    }
    if let Some(other) = recipients.iter().find(|r| r.public_key.algorithm() != kem) {
        // All recipients of an envelope share its one KEM (the first recipient's).
        return Err(Error::wrong_algorithm("envelope recipient key", kem, other.public_key.algorithm()));
    }
    let mut ids: Vec<_> = recipients.iter().map(|r| r.public_key.key_id()).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::DuplicateRecipient { key_id: pair[0] });
    }
    Ok(())
}

/// Draws the file key, wraps it to every recipient, writes and MACs the header.
pub(crate) fn begin<'a>(
    recipients: &[Recipient],
    options: &SealOptions<'a>,
    rng: &mut dyn DynCryptoRng,
    mut trace: Option<Box<Trace>>,
    checked: bool,
) -> Result<Sealer<'a>> {
    if checked {
        check_options(options, recipients)?;
    }
    let first = recipients.first().ok_or(Error::LengthOutOfRange {
        what: "envelope recipients",
        min: 1,
        max: header::MAX_RECIPIENTS,
        actual: 0,
    })?;
    let kem = first.public_key.kem();
    let p = &options.provider;
    let suite = ResolvedSuite {
        kem,
        kdf: p.kdf(options.kdf)?,
        hpke_aead: p.aead(options.hpke_aead)?,
        payload_aead: p.aead(options.payload_aead)?,
        signature: options.signer.map(|s| s.scheme()),
    };
    let hpke = suite.hpke();
    let file_key = random_secret(rng, FILE_KEY_LEN)?;
    let mut stanzas = Vec::with_capacity(recipients.len());
    for r in recipients {
        let key_id = r.public_key.key_id();
        let ikm_e = random_secret(rng, kem.sizes().encapsulation_randomness)?;
        let encapsulated = kem.encapsulate_derand(&r.public_key, ikm_e.as_bytes(), HazmatToken::new())?;
        let ks = hpke.key_schedule_with_context(
            Mode::Base,
            schedule::stanza_context(&hpke)?,
            encapsulated.shared_secret.as_bytes(),
            None,
            HazmatToken::new(),
        )?;
        let mut st = trace.as_ref().map(|_| StanzaTrace {
            ikm_e: ikm_e.clone(),
            shared_secret: encapsulated.shared_secret.clone(),
            key: ks.key.clone(),
            base_nonce: ks.base_nonce.clone(),
            exporter_secret: ks.exporter_secret.clone(),
            ..Default::default()
        });
        let wrapped_key = hpke
            .sender_context(ks, HazmatToken::new())?
            .seal(&schedule::stanza_aad(&key_id, r.key_version), file_key.as_bytes())?;
        if let (Some(st), Some(t)) = (st.as_mut(), trace.as_mut()) {
            st.enc = encapsulated.ciphertext.clone();
            st.wrapped_key = wrapped_key.clone();
            t.stanzas.push(st.clone());
        }
        stanzas.push(Stanza { key_id, key_version: r.key_version, enc: encapsulated.ciphertext, wrapped_key });
    }
    let qne = fill_qne(&options.qne, options.qne_len)?;
    let header = Header {
        streamed: options.streamed,
        kem: kem.id(),
        kdf: options.kdf,
        hpke_aead: options.hpke_aead,
        payload_aead: options.payload_aead,
        chunk_size: if options.streamed { options.chunk_size } else { 0 },
        qne,
        signer: options.signer.map(|s| (s.algorithm(), s.key_id())),
        stanzas,
    };
    let without_mac = header.encode_without_mac()?;
    let prk = schedule::prk(suite.kdf, file_key.as_bytes());
    let mac_key = schedule::mac_key(suite.kdf, prk.as_bytes())?;
    let mac = schedule::header_mac(mac_key.as_bytes(), &without_mac);
    let digest = schedule::header_digest(&without_mac, &mac);
    let (payload, legacy_iv, payload_key) = payload_cipher(&suite, prk.as_bytes(), &digest)?;
    if let Some(t) = trace.as_mut() {
        t.file_key = file_key.clone();
        t.qne = header.qne.clone();
        t.prk = prk.clone();
        t.mac_key = mac_key.clone();
        t.header_without_mac = without_mac.clone();
        t.header_mac = mac.to_vec();
        t.header_digest = digest.to_vec();
        t.payload_key = payload_key;
    }
    let mut header_bytes = without_mac;
    header_bytes.extend_from_slice(&mac);
    let signing_rnd = match options.signer {
        Some(signer) => Some(random_secret(rng, signer.scheme().sizes().signing_randomness)?),
        None => None,
    };
    Ok(Sealer {
        signing_rnd,
        header_bytes,
        streamed: options.streamed,
        chunk_size: options.chunk_size as usize,
        digest,
        payload,
        legacy_iv,
        signer: options.signer,
        index: 0,
        finished: false,
        payload_hash: Sha256::new(),
        trace,
    })
}

/// The payload AEAD key (and the legacy IV) for a header digest.
fn payload_cipher(
    suite: &ResolvedSuite,
    prk: &[u8],
    digest: &[u8; 32],
) -> Result<(AeadKey, Option<[u8; 16]>, SecretBytes)> {
    let key = schedule::payload_key(suite.kdf, prk, digest, suite.payload_aead.key_len())?;
    let aead = suite.payload_aead.new_key(key.as_bytes())?;
    let iv = if suite.payload_aead.id() == AeadId::AES_256_CBC_HMAC_SHA256 {
        Some(schedule::legacy_iv(suite.kdf, prk, digest)?)
    } else {
        None
    };
    Ok((aead, iv, key))
}

impl Sealer<'_> {
    fn nonce(&self, last: bool) -> Vec<u8> {
        match self.legacy_iv {
            Some(iv) => iv.to_vec(),
            None => schedule::chunk_nonce(self.index, last).to_vec(),
        }
    }

    /// Encrypts the next chunk in place (appending its tag).
    pub(crate) fn seal_chunk(&mut self, buf: &mut Vec<u8>, last: bool) -> Result<()> {
        self.check_open()?;
        let nonce = self.nonce(last);
        self.payload.seal_in_place_with_nonce(&nonce, &self.digest, buf)?;
        self.after_chunk(buf, nonce, last);
        Ok(())
    }

    /// Encrypts `out[start..]` in place as the next chunk and appends its tag, without copying the
    /// plaintext (length-preserving AEADs; the legacy scheme takes the copying path).
    pub(crate) fn seal_tail(&mut self, out: &mut Vec<u8>, start: usize, last: bool) -> Result<()> {
        if !self.payload.aead().is_length_preserving() {
            let mut body = out.split_off(start);
            self.seal_chunk(&mut body, last)?;
            out.append(&mut body);
            return Ok(());
        }
        self.check_open()?;
        let nonce = self.nonce(last);
        let mut tag = vec![0u8; self.payload.aead().tag_len()];
        self.payload.seal_in_place_detached_with_nonce(&nonce, &self.digest, &mut out[start..], &mut tag)?;
        out.extend_from_slice(&tag);
        self.after_chunk(&out[start..], nonce, last);
        Ok(())
    }

    fn check_open(&self) -> Result<()> {
        if self.finished || self.index > schedule::MAX_CHUNK_INDEX {
            return Err(Error::InvalidState("envelope payload already finished or too long"));
        }
        Ok(())
    }

    /// Bookkeeping after a chunk was sealed: trace, signature hash, counter.
    fn after_chunk(&mut self, ciphertext: &[u8], nonce: Vec<u8>, last: bool) {
        if let Some(t) = self.trace.as_mut() {
            t.chunks.push(ChunkTrace { nonce, last, ciphertext: ciphertext.to_vec() });
        }
        if self.signer.is_some() {
            self.payload_hash.update(ciphertext);
        }
        self.index += 1;
        self.finished = last;
    }

    /// The trailer: the sender's signature over `header_digest || SHA-256(payload)`, or nothing.
    pub(crate) fn trailer(&mut self) -> Result<Vec<u8>> {
        let Some(signer) = self.signer else { return Ok(Vec::new()) };
        if !self.finished {
            return Err(Error::InvalidState("the payload has not been finished"));
        }
        let rnd = self.signing_rnd.take().ok_or(Error::InvalidState("the envelope was already signed"))?;
        let mut message = self.digest.to_vec();
        message.extend_from_slice(&self.payload_hash.clone().finalize());
        let sig = signer.scheme().sign_derand(
            signer,
            SignInput::Pure { message: &message, context: SIGNATURE_CONTEXT },
            rnd.as_bytes(),
            HazmatToken::new(),
        )?;
        if let Some(t) = self.trace.as_mut() {
            t.signature_input = message;
            t.signature = sig.as_bytes().to_vec();
        }
        Ok(sig.into_bytes())
    }
}

/// Per-envelope opening state.
pub(crate) struct Opener<'a> {
    pub(crate) header: Header,
    pub(crate) trailer_len: usize,
    pub(crate) chunk_size: usize,
    digest: [u8; 32],
    payload: AeadKey,
    legacy_iv: Option<[u8; 16]>,
    signature: Option<&'static dyn crate::primitives::SignatureScheme>,
    verify: Option<&'a VerifyingKey>,
    index: u128,
    finished: bool,
    payload_hash: Sha256,
    pub(crate) verified: bool,
}

/// Finds the stanza for one of `keys`, unwraps the file key, checks the header MAC.
pub(crate) fn unlock<'a, K: KeyLookup + ?Sized>(
    parsed: ParsedHeader,
    keys: &K,
    options: &OpenOptions<'a>,
) -> Result<Opener<'a>> {
    let ParsedHeader { header, suite, without_mac, mac } = parsed;
    let hpke = suite.hpke();
    let mut candidates =
        header.stanzas.iter().filter_map(|s| keys.lookup(&s.key_id, s.key_version).map(|k| (s, k))).peekable();
    if candidates.peek().is_none() {
        if let Some(e) = header.stanzas.iter().find_map(|s| keys.unavailable(&s.key_id, s.key_version)) {
            return Err(e);
        }
        return Err(Error::NoMatchingKey {
            wanted: header.stanzas.iter().map(|s| (s.key_id, s.key_version)).collect(),
            available: keys.available(),
        });
    }
    let mut file_key = None;
    for (stanza, key) in candidates {
        if key.algorithm() != suite.kem.id() {
            continue;
        }
        let Ok(shared) = key.decapsulate(&stanza.enc) else { continue };
        let ks = hpke.key_schedule_with_context(
            Mode::Base,
            schedule::stanza_context(&hpke)?,
            shared.as_bytes(),
            None,
            HazmatToken::new(),
        )?;
        let mut ctx = hpke.receiver_context(ks)?;
        if let Ok(fk) = ctx.open(&schedule::stanza_aad(&stanza.key_id, stanza.key_version), &stanza.wrapped_key) {
            file_key = Some(SecretBytes::new(fk));
            break;
        }
    }
    let file_key = file_key.ok_or(Error::AuthenticationFailed)?;
    let prk = schedule::prk(suite.kdf, file_key.as_bytes());
    let mac_key = schedule::mac_key(suite.kdf, prk.as_bytes())?;
    if !schedule::verify_header_mac(mac_key.as_bytes(), &without_mac, &mac) {
        return Err(Error::AuthenticationFailed);
    }
    // Rule 7 (FORMAT.md): the signer requirement is checked only once the header is authentic, so an
    // attacker cannot make a reader report anything about a header it forged.
    if let Some(vk) = options.verify_sender {
        match header.signer {
            None => return Err(Error::SenderSignatureMissing),
            Some((alg, key_id)) if alg != vk.algorithm() || key_id != vk.key_id() => {
                return Err(Error::SenderKeyMismatch { expected: vk.key_id(), found: key_id });
            }
            Some(_) => {}
        }
    }
    let digest = schedule::header_digest(&without_mac, &mac);
    let (payload, legacy_iv, _) = payload_cipher(&suite, prk.as_bytes(), &digest)?;
    Ok(Opener {
        trailer_len: suite.signature.map_or(0, |s| s.sizes().signature),
        chunk_size: header.chunk_size as usize,
        header,
        digest,
        payload,
        legacy_iv,
        signature: suite.signature,
        verify: options.verify_sender,
        index: 0,
        finished: false,
        payload_hash: Sha256::new(),
        verified: false,
    })
}

impl Opener<'_> {
    /// Ciphertext length of a full chunk.
    pub(crate) fn chunk_ciphertext_len(&self) -> usize {
        self.chunk_size + self.payload.aead().tag_len()
    }

    /// Decrypts the next chunk in place (removing its tag).
    pub(crate) fn open_chunk(&mut self, buf: &mut Vec<u8>, last: bool) -> Result<()> {
        let tag_len = self.payload.aead().tag_len();
        if self.finished || buf.len() < tag_len || (last && self.index > 0 && buf.len() == tag_len) {
            // Chunks after the final one, chunks shorter than a tag, and empty final chunks (other than an
            // empty payload's only chunk) are invalid.
            return Err(Error::AuthenticationFailed);
        }
        if self.verify.is_some() {
            self.payload_hash.update(&buf);
        }
        let nonce = match self.legacy_iv {
            Some(iv) => iv.to_vec(),
            None => schedule::chunk_nonce(self.index, last).to_vec(),
        };
        self.payload.open_in_place_with_nonce(&nonce, &self.digest, buf)?;
        self.index += 1;
        self.finished = last;
        Ok(())
    }

    /// Decrypts the next chunk in place inside `buf` (ciphertext then tag) and returns the plaintext
    /// length; the plaintext is `buf[..len]`. Length-preserving AEADs only (streamed payloads never use
    /// the legacy scheme). On failure the buffer is zeroed.
    pub(crate) fn open_chunk_in_place(&mut self, buf: &mut [u8], last: bool) -> Result<usize> {
        let tag_len = self.payload.aead().tag_len();
        if !self.payload.aead().is_length_preserving()
            || self.finished
            || buf.len() < tag_len
            || (last && self.index > 0 && buf.len() == tag_len)
        {
            return Err(Error::AuthenticationFailed);
        }
        if self.verify.is_some() {
            self.payload_hash.update(&*buf);
        }
        let nonce = schedule::chunk_nonce(self.index, last);
        let (ciphertext, tag) = buf.split_at_mut(buf.len() - tag_len);
        self.payload.open_in_place_detached_with_nonce(&nonce, &self.digest, ciphertext, tag)?;
        self.index += 1;
        self.finished = last;
        Ok(ciphertext.len())
    }

    /// Checks the trailer (after the final chunk): its length always, its signature over
    /// `header_digest || SHA-256(payload)` when requested.
    pub(crate) fn finish(&mut self, trailer: &[u8]) -> Result<()> {
        if !self.finished || trailer.len() != self.trailer_len {
            return Err(Error::AuthenticationFailed);
        }
        if let (Some(vk), Some(_)) = (self.verify, self.signature) {
            let mut message = self.digest.to_vec();
            message.extend_from_slice(&self.payload_hash.clone().finalize());
            vk.verify(&message, SIGNATURE_CONTEXT, trailer)?;
            self.verified = true;
        }
        Ok(())
    }
}

/// Seals `plaintext` to `recipients`.
pub fn seal(
    recipients: &[Recipient],
    plaintext: &[u8],
    options: &SealOptions<'_>,
    rng: &mut dyn DynCryptoRng,
) -> Result<Vec<u8>> {
    seal_inner(recipients, plaintext, options, rng, None, true).map(|(out, _)| out)
}

/// [`seal`] that also returns every intermediate value (see [`Trace`]). Hazardous: for test vectors only.
#[cfg(feature = "hazmat")]
pub fn seal_with_rng_trace(
    recipients: &[Recipient],
    plaintext: &[u8],
    options: &SealOptions<'_>,
    rng: &mut dyn DynCryptoRng,
) -> Result<(Vec<u8>, Trace)> {
    let (out, trace) = seal_inner(recipients, plaintext, options, rng, Some(Box::default()), true)?;
    Ok((out, *trace.expect("trace requested")))
}

/// [`seal_with_rng_trace`] without the writer's checks of the options: it writes headers that readers
/// must refuse (duplicate recipients, a stanza AEAD outside the table, ...). Hazardous: for must-reject
/// test vectors only.
#[cfg(feature = "hazmat")]
pub fn seal_unchecked_with_rng_trace(
    recipients: &[Recipient],
    plaintext: &[u8],
    options: &SealOptions<'_>,
    rng: &mut dyn DynCryptoRng,
) -> Result<(Vec<u8>, Trace)> {
    let (out, trace) = seal_inner(recipients, plaintext, options, rng, Some(Box::default()), false)?;
    Ok((out, *trace.expect("trace requested")))
}

fn seal_inner(
    recipients: &[Recipient],
    plaintext: &[u8],
    options: &SealOptions<'_>,
    rng: &mut dyn DynCryptoRng,
    trace: Option<Box<Trace>>,
    checked: bool,
) -> Result<(Vec<u8>, Option<Box<Trace>>)> {
    let mut sealer = begin(recipients, options, rng, trace, checked)?;
    let overhead = if sealer.streamed { plaintext.len() / sealer.chunk_size.max(1) * 16 + 32 } else { 48 };
    let mut out = Vec::with_capacity(sealer.header_bytes.len() + plaintext.len() + overhead + 4627);
    out.extend_from_slice(&sealer.header_bytes);
    if sealer.streamed {
        let size = sealer.chunk_size;
        let mut chunks = plaintext.chunks(size).peekable();
        if chunks.peek().is_none() {
            let start = out.len();
            sealer.seal_tail(&mut out, start, true)?;
        }
        while let Some(chunk) = chunks.next() {
            let start = out.len();
            out.extend_from_slice(chunk);
            sealer.seal_tail(&mut out, start, chunks.peek().is_none())?;
        }
    } else {
        let start = out.len();
        out.extend_from_slice(plaintext);
        sealer.seal_tail(&mut out, start, true)?;
    }
    out.extend_from_slice(&sealer.trailer()?);
    Ok((out, sealer.trace.take()))
}

/// Opens an envelope held in memory with one of `keys`.
///
/// Armored text is refused with [`Error::ArmoredEnvelope`]: decode it with [`super::armor::decode`] first.
/// On any failure every byte decrypted so far is zeroized before the error is returned.
pub fn open<K: KeyLookup + ?Sized>(envelope: &[u8], keys: &K, options: &OpenOptions<'_>) -> Result<Opened> {
    let mut input = envelope;
    let parsed = header::parse(&mut input, &options.provider)?;
    let mut opener = unlock(parsed, keys, options)?;
    let rest = input;
    let payload_len = rest.len().checked_sub(opener.trailer_len).ok_or(Error::AuthenticationFailed)?;
    let (payload, trailer) = rest.split_at(payload_len);
    // Zeroized on every exit: a failure after some chunks verified must not leave their plaintext behind.
    let mut plaintext = Zeroizing::new(Vec::with_capacity(payload.len()));
    if opener.header.streamed {
        let chunk_len = opener.chunk_ciphertext_len();
        let mut chunks = payload.chunks(chunk_len).peekable();
        if chunks.peek().is_none() {
            return Err(Error::AuthenticationFailed);
        }
        let mut buf = Zeroizing::new(Vec::with_capacity(chunk_len));
        while let Some(chunk) = chunks.next() {
            buf.clear();
            buf.extend_from_slice(chunk);
            opener.open_chunk(&mut buf, chunks.peek().is_none())?;
            plaintext.extend_from_slice(&buf);
        }
    } else {
        plaintext.extend_from_slice(payload);
        opener.open_chunk(&mut plaintext, true)?;
    }
    opener.finish(trailer)?;
    let qne = opener.header.qne.clone();
    Ok(Opened {
        plaintext: core::mem::take(&mut *plaintext),
        qne,
        info: EnvelopeInfo { header: opener.header, sender_verified: opener.verified },
    })
}

/// [`open`] with an explicit provider and no sender verification.
pub fn open_with_provider<K: KeyLookup + ?Sized>(envelope: &[u8], keys: &K, provider: &Provider) -> Result<Opened> {
    open(envelope, keys, &OpenOptions { provider: provider.clone(), ..OpenOptions::default() })
}
