//! HPKE (RFC 9180) over qres's [`Kem`], [`Kdf`] and [`Aead`] traits, with the post-quantum KEMs of
//! draft-ietf-hpke-pq (ML-KEM-512/768/1024, X-Wing = MLKEM768-X25519) and DHKEM(X25519, HKDF-SHA256).
//!
//! * all four modes: base, PSK, auth and auth-PSK (the auth modes need a KEM with authenticated
//!   encapsulation, i.e. DHKEM; post-quantum KEMs have none, and asking for it is a typed error);
//! * single-shot [`Suite::seal`] / [`Suite::open`] and the context API ([`Suite::setup_sender`],
//!   [`Suite::setup_receiver`]) with sequence-numbered nonces and the secret exporter;
//! * `DeriveKeyPair` for every supported KEM, so that keys and encapsulations can be reproduced from test
//!   vectors.
//!
//! Checked against the RFC 9180 and draft-ietf-hpke-pq test vectors for every suite whose KEM, KDF and AEAD
//! qres implements, and against the `hpke` crate in both directions.
//!
//! ```
//! use qres::hpke::{ReceiverParams, SenderParams, Suite};
//! use qres::{default_provider, OsRng};
//! let p = default_provider();
//! let suite = Suite::default_pq(&p)?; // X-Wing, HKDF-SHA256, AES-256-GCM
//! let sk = suite.kem().generate(&mut OsRng)?;
//! let info = b"example app v1";
//! let (enc, ct) = suite.seal(sk.public_key(), &SenderParams::base(info), b"aad", b"hello", &mut OsRng)?;
//! let pt = suite.open(&enc, &sk, &ReceiverParams::base(info), b"aad", &ct)?;
//! assert_eq!(pt, b"hello");
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::{AeadId, KdfId, KemId};
use crate::error::{Error, Result};
use crate::primitives::{Aead, AeadKey, AuthKem, HazmatToken, Kdf, Kem, KemPublicKey, KemSecretKey};
use crate::provider::Provider;
use crate::rng::DynCryptoRng;
use crate::secret::{SecretBytes, SharedSecret};

use crate::kem::labeled::{labeled_expand, labeled_extract, shake256_labeled_derive};

/// Minimum pre-shared key length (RFC 9180 §5.1.2: a PSK must have at least 32 bytes of entropy).
pub const MIN_PSK_LEN: usize = 32;

/// HPKE mode (RFC 9180 §5).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// `mode_base` (0x00).
    Base = 0,
    /// `mode_psk` (0x01).
    Psk = 1,
    /// `mode_auth` (0x02).
    Auth = 2,
    /// `mode_auth_psk` (0x03).
    AuthPsk = 3,
}

impl Mode {
    /// The mode for a given combination of PSK and sender authentication.
    pub fn of(psk: bool, auth: bool) -> Self {
        match (psk, auth) {
            (false, false) => Self::Base,
            (true, false) => Self::Psk,
            (false, true) => Self::Auth,
            (true, true) => Self::AuthPsk,
        }
    }
}

/// A pre-shared key and its identifier.
#[derive(Copy, Clone)]
pub struct Psk<'a> {
    /// The key (at least [`MIN_PSK_LEN`] bytes).
    pub key: &'a [u8],
    /// Its identifier (non-empty).
    pub id: &'a [u8],
}

impl core::fmt::Debug for Psk<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Psk").field("key", &"[redacted]").field("id_len", &self.id.len()).finish()
    }
}

/// What the sender mixes into the key schedule.
#[derive(Copy, Clone, Debug, Default)]
pub struct SenderParams<'a> {
    /// Application-supplied context information.
    pub info: &'a [u8],
    /// A pre-shared key (PSK modes).
    pub psk: Option<Psk<'a>>,
    /// The sender's KEM key pair (auth modes; DHKEM only).
    pub sender_key: Option<&'a KemSecretKey>,
}

impl<'a> SenderParams<'a> {
    /// Base mode with `info`.
    pub fn base(info: &'a [u8]) -> Self {
        Self { info, psk: None, sender_key: None }
    }
}

/// What the receiver mixes into the key schedule (must mirror the sender's).
#[derive(Copy, Clone, Debug, Default)]
pub struct ReceiverParams<'a> {
    /// Application-supplied context information.
    pub info: &'a [u8],
    /// A pre-shared key (PSK modes).
    pub psk: Option<Psk<'a>>,
    /// The sender's public key (auth modes).
    pub sender_public: Option<&'a KemPublicKey>,
}

impl<'a> ReceiverParams<'a> {
    /// Base mode with `info`.
    pub fn base(info: &'a [u8]) -> Self {
        Self { info, psk: None, sender_public: None }
    }
}

/// Every value of the key schedule (RFC 9180 §5.1), for test vectors and format specifications. Made only
/// by [`Suite::key_schedule`] and its siblings (a [`HazmatToken`]).
#[non_exhaustive]
pub struct KeySchedule {
    /// The mode.
    pub mode: Mode,
    /// `mode || psk_id_hash || info_hash`.
    pub key_schedule_context: Vec<u8>,
    /// `LabeledExtract(shared_secret, "secret", psk)`.
    pub secret: SecretBytes,
    /// The AEAD key (empty for export-only suites).
    pub key: SecretBytes,
    /// The base nonce (empty for export-only suites).
    pub base_nonce: SecretBytes,
    /// The exporter secret.
    pub exporter_secret: SecretBytes,
}

impl core::fmt::Debug for KeySchedule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySchedule").field("mode", &self.mode).finish_non_exhaustive()
    }
}

/// An HPKE cipher suite: a KEM, a KDF and an AEAD (or none: export-only).
#[derive(Clone)]
pub struct Suite {
    kem: &'static dyn Kem,
    kdf: &'static dyn Kdf,
    aead: Option<&'static dyn Aead>,
}

impl core::fmt::Debug for Suite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (kem, kdf, aead) = self.ids();
        write!(f, "Suite({kem}, {kdf}, {aead})")
    }
}

impl Suite {
    /// A suite from algorithm objects; `aead = None` is export-only.
    pub fn new(kem: &'static dyn Kem, kdf: &'static dyn Kdf, aead: Option<&'static dyn Aead>) -> Self {
        Self { kem, kdf, aead }
    }

    /// Resolves a suite by its HPKE ids ([`AeadId::EXPORT_ONLY`] for export-only).
    pub fn from_ids(provider: &Provider, kem: KemId, kdf: KdfId, aead: AeadId) -> Result<Self> {
        let aead = if aead == AeadId::EXPORT_ONLY { None } else { Some(provider.aead(aead)?) };
        Ok(Self::new(provider.kem(kem)?, provider.kdf(kdf)?, aead))
    }

    /// X-Wing, HKDF-SHA256, AES-256-GCM: qres's default post-quantum hybrid suite.
    pub fn default_pq(provider: &Provider) -> Result<Self> {
        Self::from_ids(provider, KemId::X_WING, KdfId::HKDF_SHA256, AeadId::AES_256_GCM)
    }

    /// The KEM.
    pub fn kem(&self) -> &'static dyn Kem {
        self.kem
    }

    /// The KDF.
    pub fn kdf(&self) -> &'static dyn Kdf {
        self.kdf
    }

    /// The AEAD (`None` for export-only).
    pub fn aead(&self) -> Option<&'static dyn Aead> {
        self.aead
    }

    /// `(kem_id, kdf_id, aead_id)`.
    pub fn ids(&self) -> (KemId, KdfId, AeadId) {
        (self.kem.id(), self.kdf.id(), self.aead.map_or(AeadId::EXPORT_ONLY, |a| a.id()))
    }

    /// `suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)`.
    pub fn suite_id(&self) -> [u8; 10] {
        let (kem, kdf, aead) = self.ids();
        let mut id = [0u8; 10];
        id[..4].copy_from_slice(b"HPKE");
        id[4..6].copy_from_slice(&kem.value().to_be_bytes());
        id[6..8].copy_from_slice(&kdf.value().to_be_bytes());
        id[8..].copy_from_slice(&aead.value().to_be_bytes());
        id
    }

    fn dhkem(&self) -> Option<&'static dyn AuthKem> {
        self.kem.as_auth_kem()
    }

    /// `DeriveKeyPair(ikm)`: RFC 9180 §7.1.3 for DHKEM; `SHAKE256.LabeledDerive(ikm, "DeriveKeyPair", "",
    /// Nsk)` then the KEM's seed expansion for ML-KEM and X-Wing (draft-ietf-hpke-pq).
    pub fn derive_key_pair(&self, ikm: &[u8]) -> Result<KemSecretKey> {
        if let Some(dh) = self.dhkem() {
            return dh.derive_key_pair(ikm);
        }
        if self.kem.id() == KemId::DHKEM_X25519_HKDF_SHA256 {
            // A DHKEM that does not say so would silently get the post-quantum derivation below.
            return Err(Error::Unsupported("a DHKEM implementation without its AuthKem capability"));
        }
        let kem_id = self.kem.id().value().to_be_bytes();
        let suite = [b'K', b'E', b'M', kem_id[0], kem_id[1]];
        let seed_len = self.kem.sizes().seed;
        if seed_len == 0 {
            return Err(Error::Unsupported("DeriveKeyPair for a KEM without a seed form"));
        }
        let seed = shake256_labeled_derive(&suite, ikm, b"DeriveKeyPair", b"", seed_len)?;
        self.kem.key_pair_from_seed(seed.as_bytes())
    }

    /// The key schedule (RFC 9180 §5.1) for `shared_secret`. Hazardous (a [`HazmatToken`]): the schedule
    /// holds the AEAD key and base nonce, and two contexts made from one schedule reuse nonces.
    pub fn key_schedule(
        &self,
        mode: Mode,
        shared_secret: &[u8],
        info: &[u8],
        psk: Option<Psk<'_>>,
        token: HazmatToken,
    ) -> Result<KeySchedule> {
        let ksc = self.key_schedule_context(mode, info, psk, token)?;
        self.key_schedule_with_context(mode, ksc, shared_secret, psk, token)
    }

    /// `key_schedule_context = mode || psk_id_hash || info_hash`, after RFC 9180's `VerifyPSKInputs`. It
    /// depends only on the suite, mode, `info` and PSK id, so protocols with a fixed `info` may compute it
    /// once and use [`key_schedule_with_context`](Self::key_schedule_with_context). Needs a
    /// [`HazmatToken`], as the schedule does.
    pub fn key_schedule_context(
        &self,
        mode: Mode,
        info: &[u8],
        psk: Option<Psk<'_>>,
        _token: HazmatToken,
    ) -> Result<Vec<u8>> {
        let has_psk = psk.is_some();
        if has_psk != matches!(mode, Mode::Psk | Mode::AuthPsk) {
            return Err(Error::InvalidInput("HPKE mode and PSK presence disagree"));
        }
        if let Some(p) = psk
            && (p.key.len() < MIN_PSK_LEN || p.id.is_empty())
        {
            return Err(Error::InvalidInput("an HPKE PSK needs at least 32 bytes and a non-empty id"));
        }
        let psk_id = psk.map_or(&[][..], |p| p.id);
        let suite = self.suite_id();
        let psk_id_hash = labeled_extract(self.kdf, &suite, b"", b"psk_id_hash", &[psk_id]);
        let info_hash = labeled_extract(self.kdf, &suite, b"", b"info_hash", &[info]);
        let mut ksc = Vec::with_capacity(1 + psk_id_hash.len() + info_hash.len());
        ksc.push(mode as u8);
        ksc.extend_from_slice(psk_id_hash.as_bytes());
        ksc.extend_from_slice(info_hash.as_bytes());
        Ok(ksc)
    }

    /// The rest of the key schedule, from a context computed by
    /// [`key_schedule_context`](Self::key_schedule_context) with the same mode and PSK.
    pub fn key_schedule_with_context(
        &self,
        mode: Mode,
        key_schedule_context: Vec<u8>,
        shared_secret: &[u8],
        psk: Option<Psk<'_>>,
        _token: HazmatToken,
    ) -> Result<KeySchedule> {
        if key_schedule_context.first() != Some(&(mode as u8))
            || psk.is_some() != matches!(mode, Mode::Psk | Mode::AuthPsk)
        {
            return Err(Error::InvalidInput("key schedule context does not match the mode"));
        }
        let psk_key = psk.map_or(&[][..], |p| p.key);
        let suite = self.suite_id();
        let kdf = self.kdf;
        let ksc = key_schedule_context;
        let secret = labeled_extract(kdf, &suite, shared_secret, b"secret", &[psk_key]);
        let (key_len, nonce_len) = self.aead.map_or((0, 0), |a| (a.key_len(), a.nonce_len()));
        let mut key = SecretBytes::zeroed(key_len);
        let mut base_nonce = SecretBytes::zeroed(nonce_len);
        if self.aead.is_some() {
            labeled_expand(kdf, &suite, secret.as_bytes(), b"key", &[&ksc], key.as_mut_bytes())?;
            labeled_expand(kdf, &suite, secret.as_bytes(), b"base_nonce", &[&ksc], base_nonce.as_mut_bytes())?;
        }
        let mut exporter_secret = SecretBytes::zeroed(kdf.prk_len());
        labeled_expand(kdf, &suite, secret.as_bytes(), b"exp", &[&ksc], exporter_secret.as_mut_bytes())?;
        Ok(KeySchedule { mode, key_schedule_context: ksc, secret, key, base_nonce, exporter_secret })
    }

    /// A sender context from a key schedule computed with [`key_schedule`](Self::key_schedule) (for
    /// protocols that encapsulate themselves and record intermediate values). Hazardous: a schedule
    /// used for two sender contexts encrypts twice under the same nonces, hence the [`HazmatToken`].
    pub fn sender_context(&self, schedule: KeySchedule, _token: HazmatToken) -> Result<SenderContext> {
        Ok(SenderContext(self.context(schedule)?))
    }

    /// A receiver context from a key schedule computed with [`key_schedule`](Self::key_schedule).
    pub fn receiver_context(&self, schedule: KeySchedule) -> Result<ReceiverContext> {
        Ok(ReceiverContext(self.context(schedule)?))
    }

    fn context(&self, schedule: KeySchedule) -> Result<Context> {
        let aead = match self.aead {
            Some(a) => Some(a.new_key(schedule.key.as_bytes())?),
            None => None,
        };
        Ok(Context {
            suite_id: self.suite_id(),
            kdf: self.kdf,
            aead,
            base_nonce: schedule.base_nonce,
            seq: 0,
            exporter_secret: schedule.exporter_secret,
        })
    }

    fn check_kem(&self, public_key: &KemPublicKey) -> Result<()> {
        if public_key.algorithm() != self.kem.id() {
            return Err(Error::wrong_algorithm("HPKE recipient public key", self.kem.id(), public_key.algorithm()));
        }
        Ok(())
    }

    /// Encapsulates to `recipient` and sets up a sender context.
    pub fn setup_sender(
        &self,
        recipient: &KemPublicKey,
        params: &SenderParams<'_>,
        rng: &mut dyn DynCryptoRng,
    ) -> Result<(Vec<u8>, SenderContext)> {
        self.check_kem(recipient)?;
        let mode = Mode::of(params.psk.is_some(), params.sender_key.is_some());
        // The KEM may be any implementation (Suite::new), so no HazmatToken is handed to it here: it draws
        // its own randomness from `rng`.
        let encapsulation = match (self.dhkem(), params.sender_key) {
            (Some(dh), Some(sk_s)) => dh.auth_encapsulate(recipient, sk_s, rng)?,
            (None, Some(_)) => return Err(Error::Unsupported("HPKE auth modes with a KEM other than DHKEM")),
            (_, None) => self.kem.encapsulate(recipient, rng)?,
        };
        let schedule = self.key_schedule(
            mode,
            encapsulation.shared_secret.as_bytes(),
            params.info,
            params.psk,
            HazmatToken::new(),
        )?;
        Ok((encapsulation.ciphertext, SenderContext(self.context(schedule)?)))
    }

    /// Length of the randomness [`setup_sender_derand`](Self::setup_sender_derand) takes.
    pub fn encapsulation_randomness_len(&self) -> usize {
        self.kem.sizes().encapsulation_randomness
    }

    /// [`setup_sender`](Self::setup_sender) with caller-supplied encapsulation randomness: `ikmE` of the
    /// test vectors (for DHKEM it goes through `DeriveKeyPair`; for ML-KEM and X-Wing it is the
    /// encapsulation randomness itself). For known-answer tests and deterministic test vectors only: needs
    /// a [`HazmatToken`].
    pub fn setup_sender_derand(
        &self,
        recipient: &KemPublicKey,
        params: &SenderParams<'_>,
        randomness: &[u8],
        token: HazmatToken,
    ) -> Result<(Vec<u8>, SenderContext)> {
        self.check_kem(recipient)?;
        let mode = Mode::of(params.psk.is_some(), params.sender_key.is_some());
        let encapsulation = match (self.dhkem(), params.sender_key) {
            (Some(dh), sender) => {
                let eph = dh.derive_key_pair(randomness)?;
                let eph_sk = eph.seed().ok_or(Error::Backend("DHKEM ephemeral key without seed"))?;
                match sender {
                    Some(sk_s) => dh.auth_encapsulate_derand(recipient, sk_s, eph_sk.as_bytes(), token)?,
                    None => self.kem.encapsulate_derand(recipient, eph_sk.as_bytes(), token)?,
                }
            }
            (None, Some(_)) => return Err(Error::Unsupported("HPKE auth modes with a KEM other than DHKEM")),
            (None, None) => self.kem.encapsulate_derand(recipient, randomness, token)?,
        };
        let schedule =
            self.key_schedule(mode, encapsulation.shared_secret.as_bytes(), params.info, params.psk, token)?;
        Ok((encapsulation.ciphertext, SenderContext(self.context(schedule)?)))
    }

    /// The shared secret the receiver obtains from `enc` (for test vectors).
    pub fn decapsulate(
        &self,
        enc: &[u8],
        recipient: &KemSecretKey,
        params: &ReceiverParams<'_>,
    ) -> Result<SharedSecret> {
        if recipient.algorithm() != self.kem.id() {
            return Err(Error::wrong_algorithm("HPKE recipient key", self.kem.id(), recipient.algorithm()));
        }
        match (self.dhkem(), params.sender_public) {
            (Some(dh), Some(pk_s)) => dh.auth_decapsulate(recipient, enc, pk_s),
            (None, Some(_)) => Err(Error::Unsupported("HPKE auth modes with a KEM other than DHKEM")),
            (_, None) => recipient.decapsulate(enc),
        }
    }

    /// Decapsulates `enc` and sets up a receiver context.
    pub fn setup_receiver(
        &self,
        enc: &[u8],
        recipient: &KemSecretKey,
        params: &ReceiverParams<'_>,
    ) -> Result<ReceiverContext> {
        let mode = Mode::of(params.psk.is_some(), params.sender_public.is_some());
        let shared = self.decapsulate(enc, recipient, params)?;
        let schedule = self.key_schedule(mode, shared.as_bytes(), params.info, params.psk, HazmatToken::new())?;
        Ok(ReceiverContext(self.context(schedule)?))
    }

    /// Single-shot encryption: returns `(enc, ciphertext)`.
    pub fn seal(
        &self,
        recipient: &KemPublicKey,
        params: &SenderParams<'_>,
        aad: &[u8],
        plaintext: &[u8],
        rng: &mut dyn DynCryptoRng,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let (enc, mut ctx) = self.setup_sender(recipient, params, rng)?;
        Ok((enc, ctx.seal(aad, plaintext)?))
    }

    /// Single-shot decryption. Every failure after decapsulation is [`Error::AuthenticationFailed`].
    pub fn open(
        &self,
        enc: &[u8],
        recipient: &KemSecretKey,
        params: &ReceiverParams<'_>,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>> {
        self.setup_receiver(enc, recipient, params)?.open(aad, ciphertext)
    }
}

/// State shared by sender and receiver contexts.
struct Context {
    suite_id: [u8; 10],
    kdf: &'static dyn Kdf,
    aead: Option<AeadKey>,
    base_nonce: SecretBytes,
    seq: u64,
    exporter_secret: SecretBytes,
}

impl Context {
    fn nonce(&self) -> Result<Vec<u8>> {
        self.aead()?;
        if self.base_nonce.len() < 8 {
            return Err(Error::Unsupported("HPKE with an AEAD nonce shorter than 8 bytes"));
        }
        if self.seq == u64::MAX {
            return Err(Error::MessageLimitReached);
        }
        let mut nonce = self.base_nonce.as_bytes().to_vec();
        let seq = self.seq.to_be_bytes();
        let n = nonce.len();
        for (i, b) in seq.iter().enumerate() {
            nonce[n - 8 + i] ^= b;
        }
        Ok(nonce)
    }

    fn aead(&self) -> Result<&AeadKey> {
        self.aead.as_ref().ok_or(Error::Unsupported("encryption with an export-only HPKE suite"))
    }

    fn export(&self, exporter_context: &[u8], len: usize) -> Result<SecretBytes> {
        let max = self.kdf.max_output_len();
        if len > max {
            return Err(Error::OutputTooLong { requested: len, max });
        }
        let mut out = SecretBytes::zeroed(len);
        labeled_expand(
            self.kdf,
            &self.suite_id,
            self.exporter_secret.as_bytes(),
            b"sec",
            &[exporter_context],
            out.as_mut_bytes(),
        )?;
        Ok(out)
    }
}

/// An HPKE sender context: seals messages in order and exports secrets.
pub struct SenderContext(Context);

impl SenderContext {
    /// Encrypts the next message.
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = self.0.nonce()?;
        let ct = self.0.aead()?.seal_with_nonce(&nonce, aad, plaintext)?;
        self.0.seq += 1;
        Ok(ct)
    }

    /// The nonce the next [`seal`](Self::seal) will use (for test vectors).
    pub fn next_nonce(&self) -> Result<Vec<u8>> {
        self.0.nonce()
    }

    /// `Export(exporter_context, L)`.
    pub fn export(&self, exporter_context: &[u8], len: usize) -> Result<SecretBytes> {
        self.0.export(exporter_context, len)
    }
}

/// An HPKE receiver context: opens messages in order and exports secrets.
pub struct ReceiverContext(Context);

impl ReceiverContext {
    /// Decrypts the next message; the sequence number advances only on success.
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        let nonce = self.0.nonce()?;
        let pt = self.0.aead()?.open_with_nonce(&nonce, aad, ciphertext)?;
        self.0.seq += 1;
        Ok(pt)
    }

    /// `Export(exporter_context, L)`.
    pub fn export(&self, exporter_context: &[u8], len: usize) -> Result<SecretBytes> {
        self.0.export(exporter_context, len)
    }
}

impl core::fmt::Debug for SenderContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SenderContext").field("seq", &self.0.seq).finish_non_exhaustive()
    }
}

impl core::fmt::Debug for ReceiverContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReceiverContext").field("seq", &self.0.seq).finish_non_exhaustive()
    }
}
