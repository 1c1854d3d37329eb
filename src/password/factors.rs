//! `derive_key(password, factors, policy)`: a key bound to a password *and* to extra factors such as a
//! device or environment identifier (the original design's multi-factor derivation).
//!
//! **Derivation.** `key = KDF(password, salt || factor_digest)` where `salt` is at least 16 fresh random
//! bytes (returned in the [`KeyDerivation`] record and stored with whatever the key protects) and
//! `factor_digest = SHA3-256("qres factors v1" || u32(n) || entry_1 || ... || entry_n)`, each
//! `entry = u32(len(name)) || name || u32(len(value)) || value`, entries sorted by name (byte order), names
//! unique. The encoding is therefore canonical (insertion order does not matter), length-prefixed (no two
//! factor sets encode alike) and binary-safe.
//!
//! **Stability.** Re-deriving needs every factor byte for byte. A factor that can change — a host name
//! after a rename, an environment variable, a user name on another account — silently makes the key
//! unrecoverable. Factors are therefore added as [`Factors::add`] (stable) or [`Factors::add_unstable`]
//! (with the reason); [`Factors::unstable`] lists the latter and [`derive_key`] logs a `tracing` warning for
//! each. The record keeps the factor *names* (never values or their digest, which would allow guessing the
//! factors without the password), so re-derivation can say which factor is missing.
//!
//! ```
//! use qres::password::{derive_key, rederive_key, Factors, PasswordKdf, PasswordPolicy};
//! let policy = PasswordPolicy { kdf_for_new: PasswordKdf::Argon2id { m_kib: 19_456, t: 2, p: 1 }, ..Default::default() };
//! let factors = Factors::new().add("device", b"serial-1234")?;
//! let (key, record) = derive_key(b"password", &factors, &policy, 32, &mut qres::OsRng)?;
//! assert_eq!(rederive_key(b"password", &factors, &record, &policy)?, key);
//! let other = Factors::new().add("device", b"serial-9999")?;
//! assert_ne!(rederive_key(b"password", &other, &record, &policy)?, key);
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::password::policy::{MAX_SALT_LEN, MIN_SALT_LEN};
use crate::password::{PasswordKdf, PasswordPolicy, kdf};
use crate::rng::{DynCryptoRng, random_secret};
use crate::secret::SecretBytes;
use sha3::{Digest, Sha3_256};
use std::collections::BTreeMap;

/// Domain label of the factor digest.
pub const FACTOR_LABEL: &[u8] = b"qres factors v1";
/// Random salt length for new derivations with the default policy (see
/// [`PasswordPolicy::min_salt_len`]).
pub const SALT_LEN: usize = MIN_SALT_LEN;
/// Longest factor name.
pub const MAX_NAME_LEN: usize = 64;
/// Most factors in one set.
pub const MAX_FACTORS: usize = 32;

/// Whether a factor can be expected to have the same value next time.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stability {
    /// Reproducible.
    Stable,
    /// May change; the reason.
    Unstable(String),
}

struct Factor {
    value: SecretBytes,
    stability: Stability,
}

/// A set of named factors.
#[derive(Default)]
pub struct Factors {
    factors: BTreeMap<String, Factor>,
}

impl core::fmt::Debug for Factors {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Factors").field("names", &self.names()).field("values", &"[redacted]").finish()
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.');
    if ok { Ok(()) } else { Err(Error::InvalidInput("factor names are 1-64 characters of a-z, 0-9, '-', '_', '.'")) }
}

impl Factors {
    /// An empty set (then the key depends on the password and salt only).
    pub fn new() -> Self {
        Self::default()
    }

    fn insert(mut self, name: &str, value: &[u8], stability: Stability) -> Result<Self> {
        check_name(name)?;
        if self.factors.len() >= MAX_FACTORS {
            return Err(Error::LengthOutOfRange {
                what: "factor set",
                min: 0,
                max: MAX_FACTORS,
                actual: MAX_FACTORS + 1,
            });
        }
        if self.factors.contains_key(name) {
            return Err(Error::InvalidInput("duplicate factor name"));
        }
        self.factors.insert(name.to_owned(), Factor { value: SecretBytes::from_slice(value), stability });
        Ok(self)
    }

    /// Adds a reproducible factor.
    pub fn add(self, name: &str, value: &[u8]) -> Result<Self> {
        self.insert(name, value, Stability::Stable)
    }

    /// Adds a factor that may change, with the reason (shown by [`unstable`](Self::unstable) and logged
    /// at derivation).
    pub fn add_unstable(self, name: &str, value: &[u8], reason: &str) -> Result<Self> {
        self.insert(name, value, Stability::Unstable(reason.to_owned()))
    }

    /// Adds a collected factor (see [`collect`]).
    pub fn add_collected(self, name: &str, (value, stability): (Vec<u8>, Stability)) -> Result<Self> {
        let mut value = value;
        let r = self.insert(name, &value, stability);
        zeroize::Zeroize::zeroize(&mut value);
        r
    }

    /// The factor names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.factors.keys().cloned().collect()
    }

    /// The factors that may change, with why.
    pub fn unstable(&self) -> Vec<(String, String)> {
        self.factors
            .iter()
            .filter_map(|(n, f)| match &f.stability {
                Stability::Unstable(why) => Some((n.clone(), why.clone())),
                Stability::Stable => None,
            })
            .collect()
    }

    /// The canonical encoding (module documentation).
    pub fn canonical_encoding(&self) -> SecretBytes {
        let len: usize = 4 + self.factors.iter().map(|(n, f)| 8 + n.len() + f.value.len()).sum::<usize>();
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&(self.factors.len() as u32).to_be_bytes());
        for (name, f) in &self.factors {
            out.extend_from_slice(&(name.len() as u32).to_be_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(f.value.len() as u32).to_be_bytes());
            out.extend_from_slice(f.value.as_bytes());
        }
        SecretBytes::new(out)
    }

    /// `SHA3-256("qres factors v1" || canonical_encoding)`.
    pub fn digest(&self) -> SecretBytes {
        let mut h = Sha3_256::new();
        h.update(FACTOR_LABEL);
        h.update(self.canonical_encoding().as_bytes());
        let d: [u8; 32] = h.finalize().into();
        SecretBytes::from(d)
    }
}

/// What is stored with a derived key so it can be derived again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyDerivation {
    /// The KDF and its parameters.
    pub kdf: PasswordKdf,
    /// The random salt component.
    pub salt: Vec<u8>,
    /// Length of the derived key.
    pub key_len: u16,
    /// The names of the factors (sorted).
    pub factor_names: Vec<String>,
}

impl KeyDerivation {
    /// `kdf (13) || u8(len(salt)) || salt || u16(key_len) || u8(n) || (u8(len(name)) || name)*`.
    /// Fails if a field is outside what [`decode`](Self::decode) accepts (the fields are public).
    pub fn encode(&self) -> Result<Vec<u8>> {
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&self.salt.len()) {
            return Err(Error::LengthOutOfRange {
                what: "key derivation salt",
                min: MIN_SALT_LEN,
                max: MAX_SALT_LEN,
                actual: self.salt.len(),
            });
        }
        if self.factor_names.len() > MAX_FACTORS || !self.factor_names.windows(2).all(|w| w[0] < w[1]) {
            return Err(Error::InvalidInput("key derivation record: at most 32 factor names, sorted and distinct"));
        }
        for n in &self.factor_names {
            check_name(n)?;
        }
        let mut out = self.kdf.encode().to_vec();
        out.push(self.salt.len() as u8);
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.key_len.to_be_bytes());
        out.push(self.factor_names.len() as u8);
        for n in &self.factor_names {
            out.push(n.len() as u8);
            out.extend_from_slice(n.as_bytes());
        }
        Ok(out)
    }

    /// Strict inverse of [`encode`](Self::encode); returns the record and the bytes it used.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize)> {
        let bad = || Error::InvalidInput("malformed key derivation record");
        let kdf = PasswordKdf::decode(bytes.get(..kdf::ENCODED_LEN).ok_or_else(bad)?)?;
        let mut i = kdf::ENCODED_LEN;
        let salt_len = usize::from(*bytes.get(i).ok_or_else(bad)?);
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt_len) {
            return Err(bad());
        }
        i += 1;
        let salt = bytes.get(i..i + salt_len).ok_or_else(bad)?.to_vec();
        i += salt_len;
        let key_len = u16::from_be_bytes(bytes.get(i..i + 2).ok_or_else(bad)?.try_into().expect("2 bytes"));
        i += 2;
        let count = usize::from(*bytes.get(i).ok_or_else(bad)?);
        i += 1;
        if count > MAX_FACTORS {
            return Err(bad());
        }
        let mut factor_names = Vec::with_capacity(count);
        for _ in 0..count {
            let n = usize::from(*bytes.get(i).ok_or_else(bad)?);
            i += 1;
            let name = std::str::from_utf8(bytes.get(i..i + n).ok_or_else(bad)?).map_err(|_| bad())?;
            check_name(name)?;
            factor_names.push(name.to_owned());
            i += n;
        }
        if !factor_names.windows(2).all(|w| w[0] < w[1]) {
            return Err(bad());
        }
        Ok((Self { kdf, salt, key_len, factor_names }, i))
    }
}

fn kdf_salt(salt: &[u8], factors: &Factors) -> SecretBytes {
    let digest = factors.digest();
    let mut s = Vec::with_capacity(salt.len() + 32);
    s.extend_from_slice(salt);
    s.extend_from_slice(digest.as_bytes());
    SecretBytes::new(s)
}

/// Derives a new `key_len`-byte key from `password` and `factors` with `policy.kdf_for_new` and a fresh
/// 16-byte salt; returns the key and the record to store beside what it protects.
pub fn derive_key(
    password: &[u8],
    factors: &Factors,
    policy: &PasswordPolicy,
    key_len: usize,
    rng: &mut dyn DynCryptoRng,
) -> Result<(SecretBytes, KeyDerivation)> {
    policy.check_new(&policy.kdf_for_new)?;
    let key_len = u16::try_from(key_len).ok().filter(|&l| (16..=64).contains(&l)).ok_or(Error::LengthOutOfRange {
        what: "derived key",
        min: 16,
        max: 64,
        actual: key_len,
    })?;
    for (name, reason) in factors.unstable() {
        tracing::warn!(factor = %name, %reason, "key derived from a factor that may change: the key may not be re-derivable");
    }
    let salt = random_secret(rng, policy.min_salt_len)?;
    let record = KeyDerivation {
        kdf: policy.kdf_for_new,
        salt: salt.as_bytes().to_vec(),
        key_len,
        factor_names: factors.names(),
    };
    let key = rederive_key(password, factors, &record, policy)?;
    Ok((key, record))
}

/// Derives the key described by `record` again. The factors must have the recorded names (a missing or
/// extra factor is reported by name in [`Error::FactorMismatch`]); the KDF parameters must pass
/// `policy.check_untrusted`.
pub fn rederive_key(
    password: &[u8],
    factors: &Factors,
    record: &KeyDerivation,
    policy: &PasswordPolicy,
) -> Result<SecretBytes> {
    policy.check_untrusted(&record.kdf)?;
    let names = factors.names();
    if names != record.factor_names {
        return Err(Error::FactorMismatch {
            missing: record.factor_names.iter().filter(|n| !names.contains(n)).cloned().collect(),
            unexpected: names.iter().filter(|n| !record.factor_names.contains(n)).cloned().collect(),
        });
    }
    if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&record.salt.len()) || !(16..=64).contains(&record.key_len) {
        return Err(Error::InvalidInput("key derivation record with a short salt or an invalid key length"));
    }
    let salt = kdf_salt(&record.salt, factors);
    let mut key = SecretBytes::zeroed(usize::from(record.key_len));
    record.kdf.derive(password, salt.as_bytes(), key.as_mut_bytes())?;
    Ok(key)
}

/// Collectors for common factors, each with its stability.
pub mod collect {
    use super::Stability;
    use crate::error::{Error, Result};

    /// The systemd/D-Bus machine id (`/etc/machine-id`, else `/var/lib/dbus/machine-id`), trimmed and
    /// lower-cased. Stable for the life of an installation; changes on re-installation or cloning from an
    /// image that regenerates it.
    pub fn machine_id() -> Result<(Vec<u8>, Stability)> {
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            if let Ok(text) = std::fs::read_to_string(path) {
                let id = text.trim().to_ascii_lowercase();
                if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Ok((id.into_bytes(), Stability::Stable));
                }
            }
        }
        Err(Error::InvalidInput("no machine id found in /etc/machine-id or /var/lib/dbus/machine-id"))
    }

    /// The host name (`/proc/sys/kernel/hostname`), trimmed and lower-cased. **Unstable**: changes when
    /// the host is renamed, and differs between containers.
    pub fn hostname() -> Result<(Vec<u8>, Stability)> {
        let text =
            std::fs::read_to_string("/proc/sys/kernel/hostname").map_err(|e| Error::io("reading the host name", &e))?;
        Ok((
            text.trim().to_ascii_lowercase().into_bytes(),
            Stability::Unstable("changes when the host is renamed".into()),
        ))
    }

    /// An environment variable's value, exactly. **Unstable**: environment variables are easy to change
    /// and differ between shells, services and containers.
    pub fn env(var: &str) -> Result<(Vec<u8>, Stability)> {
        let v = std::env::var_os(var).ok_or(Error::InvalidInput("environment variable not set"))?;
        Ok((v.into_encoded_bytes(), Stability::Unstable(format!("environment variable {var} may change"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weak() -> PasswordPolicy {
        PasswordPolicy { kdf_for_new: PasswordKdf::Argon2id { m_kib: 47_104, t: 1, p: 1 }, ..Default::default() }
    }

    #[test]
    fn encoding_is_canonical_and_order_independent() {
        let a = Factors::new().add("b", b"2").unwrap().add("a", b"1").unwrap();
        let b = Factors::new().add("a", b"1").unwrap().add("b", b"2").unwrap();
        assert_eq!(a.canonical_encoding(), b.canonical_encoding());
        assert_eq!(a.digest(), b.digest());
        // Length prefixes: moving a byte between name and value changes the encoding.
        let c = Factors::new().add("ab", b"c").unwrap();
        let d = Factors::new().add("a", b"bc").unwrap();
        assert_ne!(c.digest(), d.digest());
        assert_eq!(
            hex_of(&Factors::new().add("a", b"1").unwrap().canonical_encoding()),
            "00000001000000016100000001".to_owned() + "31"
        );
    }

    fn hex_of(s: &SecretBytes) -> String {
        s.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn names_are_validated_and_unique() {
        assert!(Factors::new().add("Device", b"x").is_err());
        assert!(Factors::new().add("", b"x").is_err());
        assert!(Factors::new().add("a", b"x").unwrap().add("a", b"y").is_err());
    }

    #[test]
    fn every_factor_matters_and_records_round_trip() {
        let policy = weak();
        let f = Factors::new().add("device", b"abc").unwrap().add_unstable("host", b"h1", "renames").unwrap();
        assert_eq!(f.unstable(), vec![("host".to_owned(), "renames".to_owned())]);
        let (key, record) = derive_key(b"pw", &f, &policy, 32, &mut crate::OsRng).unwrap();
        let (decoded, used) = KeyDerivation::decode(&record.encode().unwrap()).unwrap();
        assert_eq!(decoded, record);
        assert_eq!(used, record.encode().unwrap().len());
        assert_eq!(rederive_key(b"pw", &f, &decoded, &policy).unwrap(), key);
        let changed = Factors::new().add("device", b"abd").unwrap().add_unstable("host", b"h1", "r").unwrap();
        assert_ne!(rederive_key(b"pw", &changed, &record, &policy).unwrap(), key);
        assert_ne!(rederive_key(b"pW", &f, &record, &policy).unwrap(), key);
        let missing = Factors::new().add("device", b"abc").unwrap();
        let e = rederive_key(b"pw", &missing, &record, &policy).unwrap_err();
        assert_eq!(e, Error::FactorMismatch { missing: vec!["host".into()], unexpected: vec![] });
        assert!(!e.to_string().contains("abc"));
        // A record from outside with absurd parameters is refused before any work.
        // Salt lengths outside 16..=64 are refused by the policy for new data and by the record encoder.
        for bad_len in [15usize, 65, 300] {
            let bad_policy = PasswordPolicy { min_salt_len: bad_len, ..weak() };
            assert!(derive_key(b"pw", &f, &bad_policy, 32, &mut crate::OsRng).is_err(), "{bad_len}");
            let rec = KeyDerivation { salt: vec![0; bad_len], ..record.clone() };
            assert!(rec.encode().is_err());
        }
        let long = PasswordPolicy { min_salt_len: 64, ..weak() };
        let (k64, r64) = derive_key(b"pw", &f, &long, 32, &mut crate::OsRng).unwrap();
        assert_eq!(r64.salt.len(), 64);
        let (d64, _) = KeyDerivation::decode(&r64.encode().unwrap()).unwrap();
        assert_eq!(rederive_key(b"pw", &f, &d64, &long).unwrap(), k64);
        let mut hostile = record.clone();
        hostile.kdf = PasswordKdf::Argon2id { m_kib: u32::MAX, t: 1, p: 1 };
        assert!(rederive_key(b"pw", &f, &hostile, &policy).is_err());
        // New derivations refuse weak parameters.
        let too_weak =
            PasswordPolicy { kdf_for_new: PasswordKdf::Pbkdf2Sha256 { iterations: 10 }, ..Default::default() };
        assert!(derive_key(b"pw", &f, &too_weak, 32, &mut crate::OsRng).is_err());
    }

    #[test]
    fn collectors() {
        if let Ok((id, s)) = collect::machine_id() {
            assert_eq!(id.len(), 32);
            assert_eq!(s, Stability::Stable);
        }
        let (_, s) = collect::hostname().unwrap();
        assert!(matches!(s, Stability::Unstable(_)));
        assert!(collect::env("QRES_SURELY_NOT_SET_12345").is_err());
    }

    #[test]
    fn malformed_records_are_errors() {
        assert!(KeyDerivation::decode(&[]).is_err());
        let rec = KeyDerivation {
            kdf: PasswordKdf::DEFAULT,
            salt: vec![1; 16],
            key_len: 32,
            factor_names: vec!["b".into(), "a".into()],
        };
        assert!(rec.encode().is_err(), "unsorted names");
        let good = KeyDerivation { factor_names: vec!["a".into()], ..rec };
        let enc = good.encode().unwrap();
        for cut in 0..enc.len() {
            assert!(KeyDerivation::decode(&enc[..cut]).is_err());
        }
    }
}
