//! DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1, as a [`Kem`], plus its authenticated variant
//! (`AuthEncap` / `AuthDecap`) used by HPKE's auth modes.
//!
//! Built over the provider's X25519 [`DhGroup`] and HKDF-SHA256 [`Kdf`]. The "seed" of a DHKEM key
//! is the raw X25519 private key; the encapsulation randomness is the raw ephemeral private key (HPKE's
//! `DeriveKeyPair(ikm)` mapping from input keying material lives in [`crate::hpke`]). All-zero
//! Diffie-Hellman results are rejected, as RFC 9180 §7.1.4 requires.

use crate::alg::{GroupId, KdfId, KemId};
use crate::error::{Error, Result, check_len};
use crate::kem::labeled::{labeled_expand, labeled_extract};
use crate::primitives::{
    AuthKem, BackendToken, DhGroup, DhPublicKey, DhSecretKey, Encapsulation, HazmatToken, Kdf, Kem, KemPublicKey,
    KemSecretKey, KemSizes, KeyState,
};
use crate::secret::{SecretBytes, SharedSecret};

const LEN: usize = 32;

/// DHKEM over a Diffie-Hellman group and an HKDF.
pub struct DhKem {
    group: &'static dyn DhGroup,
    kdf: &'static dyn Kdf,
}

struct DhKemState {
    secret: DhSecretKey,
}

impl KeyState for DhKemState {}

impl DhKem {
    /// DHKEM(X25519, HKDF-SHA256) from `group` (X25519) and `kdf` (HKDF-SHA256); other components are
    /// rejected when keys are made.
    pub const fn new(group: &'static dyn DhGroup, kdf: &'static dyn Kdf) -> Self {
        Self { group, kdf }
    }

    fn check(&self) -> Result<()> {
        if self.group.id() != GroupId::X25519 || self.kdf.id() != KdfId::HKDF_SHA256 {
            return Err(Error::InvalidInput("DHKEM(X25519, HKDF-SHA256) needs X25519 and HKDF-SHA256"));
        }
        Ok(())
    }

    fn suite_id() -> [u8; 5] {
        let id = KemId::DHKEM_X25519_HKDF_SHA256.value().to_be_bytes();
        [b'K', b'E', b'M', id[0], id[1]]
    }

    /// RFC 9180 `DeriveKeyPair(ikm)`: `sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", 32)`.
    fn derive_key_pair_inner(&'static self, ikm: &[u8]) -> Result<KemSecretKey> {
        let sk = self.derive_secret(ikm)?;
        self.key_pair_from_seed(sk.as_bytes())
    }

    fn derive_secret(&self, ikm: &[u8]) -> Result<SecretBytes> {
        let suite = Self::suite_id();
        let prk = labeled_extract(self.kdf, &suite, b"", b"dkp_prk", &[ikm]);
        let mut sk = SecretBytes::zeroed(LEN);
        labeled_expand(self.kdf, &suite, prk.as_bytes(), b"sk", &[], sk.as_mut_bytes())?;
        Ok(sk)
    }

    /// `ExtractAndExpand(dh, kem_context)`.
    fn extract_and_expand(&self, dh: &[&[u8]], kem_context: &[&[u8]]) -> Result<SharedSecret> {
        let suite = Self::suite_id();
        let prk = labeled_extract(self.kdf, &suite, b"", b"eae_prk", dh);
        let mut ss = SecretBytes::zeroed(LEN);
        labeled_expand(self.kdf, &suite, prk.as_bytes(), b"shared_secret", kem_context, ss.as_mut_bytes())?;
        Ok(ss)
    }

    fn state<'a>(&self, key: &'a KemSecretKey) -> Result<&'a DhKemState> {
        key.backend_state::<DhKemState>().ok_or(Error::KeyMismatch("DHKEM(X25519, HKDF-SHA256)"))
    }

    fn check_public(&self, key: &KemPublicKey) -> Result<()> {
        if key.algorithm() != KemId::DHKEM_X25519_HKDF_SHA256 {
            return Err(Error::wrong_algorithm("KEM public key", KemId::DHKEM_X25519_HKDF_SHA256, key.algorithm()));
        }
        Ok(())
    }

    fn dh_public(&self, bytes: &[u8]) -> Result<DhPublicKey> {
        check_len("DHKEM(X25519) encapsulated key", LEN, bytes.len())?;
        DhPublicKey::new_unchecked(self.group, bytes, BackendToken::new())
    }

    /// `AuthEncap(pkR, skS)` with the ephemeral private key given (for known-answer tests).
    fn auth_encapsulate_inner(
        &self,
        recipient: &KemPublicKey,
        sender: &KemSecretKey,
        ephemeral: &[u8],
    ) -> Result<Encapsulation> {
        self.check_public(recipient)?;
        check_len("DHKEM ephemeral secret key", LEN, ephemeral.len())?;
        let sender_state = self.state(sender)?;
        let pk_r = self.dh_public(recipient.as_bytes())?;
        let eph = self.group.secret_key_from_bytes(ephemeral)?;
        let dh1 = eph.agree(&pk_r)?;
        let dh2 = sender_state.secret.agree(&pk_r)?;
        let enc = eph.public_key().as_bytes().to_vec();
        let shared_secret = self.extract_and_expand(
            &[dh1.as_bytes(), dh2.as_bytes()],
            &[&enc, recipient.as_bytes(), sender.public_key().as_bytes()],
        )?;
        Ok(Encapsulation { ciphertext: enc, shared_secret })
    }

    /// `AuthDecap(enc, skR, pkS)`.
    fn auth_decapsulate_inner(
        &self,
        recipient: &KemSecretKey,
        enc: &[u8],
        sender: &KemPublicKey,
    ) -> Result<SharedSecret> {
        self.check_public(sender)?;
        let state = self.state(recipient)?;
        let pk_e = self.dh_public(enc)?;
        let pk_s = self.dh_public(sender.as_bytes())?;
        let dh1 = state.secret.agree(&pk_e)?;
        let dh2 = state.secret.agree(&pk_s)?;
        self.extract_and_expand(
            &[dh1.as_bytes(), dh2.as_bytes()],
            &[enc, recipient.public_key().as_bytes(), sender.as_bytes()],
        )
    }
}

impl AuthKem for DhKem {
    fn derive_key_pair(&'static self, ikm: &[u8]) -> Result<KemSecretKey> {
        self.derive_key_pair_inner(ikm)
    }

    fn auth_encapsulate_derand(
        &self,
        recipient: &KemPublicKey,
        sender: &KemSecretKey,
        ephemeral: &[u8],
        _token: HazmatToken,
    ) -> Result<Encapsulation> {
        self.auth_encapsulate_inner(recipient, sender, ephemeral)
    }

    fn auth_encapsulate(
        &self,
        recipient: &KemPublicKey,
        sender: &KemSecretKey,
        rng: &mut dyn crate::DynCryptoRng,
    ) -> Result<Encapsulation> {
        let ikm = crate::rng::random_secret(rng, LEN)?;
        let eph = self.derive_secret(ikm.as_bytes())?;
        self.auth_encapsulate_inner(recipient, sender, eph.as_bytes())
    }

    fn auth_decapsulate(&self, recipient: &KemSecretKey, enc: &[u8], sender: &KemPublicKey) -> Result<SharedSecret> {
        self.auth_decapsulate_inner(recipient, enc, sender)
    }
}

impl Kem for DhKem {
    fn as_auth_kem(&'static self) -> Option<&'static dyn AuthKem> {
        Some(self)
    }

    fn id(&self) -> KemId {
        KemId::DHKEM_X25519_HKDF_SHA256
    }

    fn implementation(&self) -> &'static str {
        "qres DHKEM"
    }

    fn sizes(&self) -> KemSizes {
        KemSizes { public_key: LEN, ciphertext: LEN, shared_secret: LEN, seed: LEN, encapsulation_randomness: LEN }
    }

    fn key_pair_from_seed(&'static self, seed: &[u8]) -> Result<KemSecretKey> {
        self.check()?;
        check_len("DHKEM(X25519) secret key", LEN, seed.len())?;
        let secret = self.group.secret_key_from_bytes(seed)?;
        let public = KemPublicKey::new_unchecked(self, secret.public_key().as_bytes(), BackendToken::new())?;
        Ok(KemSecretKey::from_parts(
            self,
            Some(SecretBytes::from_slice(seed)),
            public,
            Box::new(DhKemState { secret }),
            BackendToken::new(),
        ))
    }

    fn generate(&'static self, rng: &mut dyn crate::DynCryptoRng) -> Result<KemSecretKey> {
        // RFC 9180 GenerateKeyPair: DeriveKeyPair(random(Nsk)).
        let ikm = crate::rng::random_secret(rng, LEN)?;
        self.derive_key_pair(ikm.as_bytes())
    }

    fn parse_public_key(&'static self, bytes: &[u8]) -> Result<KemPublicKey> {
        self.check()?;
        check_len("DHKEM(X25519) public key", LEN, bytes.len())?;
        self.group.parse_public_key(bytes)?;
        KemPublicKey::new_unchecked(self, bytes, BackendToken::new())
    }

    fn encapsulate_derand(
        &self,
        public_key: &KemPublicKey,
        randomness: &[u8],
        _token: HazmatToken,
    ) -> Result<Encapsulation> {
        self.check_public(public_key)?;
        check_len("DHKEM ephemeral secret key", LEN, randomness.len())?;
        let pk_r = self.dh_public(public_key.as_bytes())?;
        let eph = self.group.secret_key_from_bytes(randomness)?;
        let dh = eph.agree(&pk_r)?;
        let enc = eph.public_key().as_bytes().to_vec();
        let shared_secret = self.extract_and_expand(&[dh.as_bytes()], &[&enc, public_key.as_bytes()])?;
        Ok(Encapsulation { ciphertext: enc, shared_secret })
    }

    fn encapsulate(&self, public_key: &KemPublicKey, rng: &mut dyn crate::DynCryptoRng) -> Result<Encapsulation> {
        let ikm = crate::rng::random_secret(rng, LEN)?;
        let eph = self.derive_secret(ikm.as_bytes())?;
        self.encapsulate_derand(public_key, eph.as_bytes(), HazmatToken::new())
    }

    fn decapsulate(&self, secret_key: &KemSecretKey, ciphertext: &[u8]) -> Result<SharedSecret> {
        let state = self.state(secret_key)?;
        let pk_e = self.dh_public(ciphertext)?;
        let dh = state.secret.agree(&pk_e)?;
        self.extract_and_expand(&[dh.as_bytes()], &[ciphertext, secret_key.public_key().as_bytes()])
    }
}
