//! Public keys as one line of text: a Bech32m string (BIP 350) whose human-readable part names the kind
//! of key and its algorithm, as age writes its recipients.
//!
//! # Grammar
//!
//! ```text
//! text      = hrp "1" data checksum [ "\n" / "\r\n" ]
//! hrp       = "qrespk-" algorithm      ; a KEM public key (to encrypt to)
//!           / "qresvk-" algorithm      ; a signature verifying key
//! algorithm = the lowercase canonical name: x-wing, ml-kem-768, ml-dsa-65, ... (spaces left out)
//! data      = the public key's bytes, 5 bits per character of the Bech32 alphabet
//!             (qpzry9x8gf2tvdw0s3jn54khce6mua7l), the spare bits of the last character zero
//! checksum  = 6 characters: Bech32m over hrp and data
//! ```
//!
//! For example `qrespk-x-wing1…` (1,966 characters for X-Wing's 1,216-byte key) or
//! `qresvk-ml-dsa-651…`: the separator is the *last* `1` (the alphabet has none), so a name ending in a
//! digit runs into it. Every character is lowercase: uppercase or mixed-case text is refused (Bech32
//! itself allows all-uppercase; qres keeps one spelling per key). The data has exactly one encoding
//! (fewer than 5 padding bits, all zero), the key's exact length and every check its standard requires
//! (FIPS 203 §7.2 for ML-KEM); at most one final line ending. Anything else is a typed error.
//!
//! # What the checksum guarantees
//!
//! The checksum is Bech32m's: its generator polynomial and target residue, unchanged. But the BCH code
//! behind it is designed for strings of at most 1023 characters (BIP 173 limits addresses to 90) and our
//! keys are longer: 1,966 characters for X-Wing, 2,534 for ML-KEM-1024, 4,171 for ML-DSA-87, up to about
//! 2.2 million for liboqs' Classic McEliece. qres therefore uses the same code with a code length raised
//! to [`MAX_TEXT_LEN`], the compromise age makes for its post-quantum recipients (`age1pq1…`, about 1,900
//! characters). What remains at any length: **every single-character substitution** is detected (the
//! generator has a non-zero constant term, so it divides no `e·x^i`), as is any error confined to 6
//! consecutive characters. What is lost beyond 1023 characters: the guarantee for 2 to 4 errors. Two
//! substitutions that change their characters by the same value (XOR of the 5-bit values) exactly a
//! multiple of 1023 positions apart cancel (the generator divides `x^1023 + 1`); other multi-character
//! errors pass with a chance of about 2^-30. Insertions and deletions change the length, which almost
//! always breaks the exact key length as well.
//!
//! # Legacy form
//!
//! [`decode`] also reads the form qres wrote before, `qres-pub1:<kind>:<algorithm>:<base64url>` (kind
//! `kem` or `sig`, unpadded canonical base64url), with the same strictness; it has no checksum, so a
//! typo in it can still parse as another key. [`encode`] writes only the Bech32m form.
//!
//! ```
//! use qres::keys::public::{decode, encode};
//! use qres::keys::PublicKey;
//! use qres::{default_provider, KemId, OsRng};
//! let provider = default_provider();
//! let sk = provider.kem(KemId::X_WING)?.generate(&mut OsRng)?;
//! let text = encode(&PublicKey::Kem(sk.public_key().clone()))?;
//! assert!(text.starts_with("qrespk-x-wing1"));
//! assert_eq!(decode(&text, &provider)?.key_id(), sk.key_id());
//! // One changed character is always caught.
//! let mut chars: Vec<char> = text.chars().collect();
//! let i = "qrespk-x-wing1".len();
//! chars[i] = if chars[i] == 'q' { 'p' } else { 'q' };
//! assert!(decode(&chars.into_iter().collect::<String>(), &provider).is_err());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::{KemId, SignatureId};
use crate::error::{Error, Result};
use crate::keys::{KeyAlgorithm, PublicKey};
use crate::provider::Provider;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bech32::primitives::decode::UncheckedHrpstring;
use bech32::{Bech32m, Checksum, Hrp};

/// The start of the human-readable part of a KEM public key's text.
pub const KEM_PREFIX: &str = "qrespk-";
/// The start of the human-readable part of a signature verifying key's text.
pub const SIGNATURE_PREFIX: &str = "qresvk-";
/// The prefix of the legacy form `qres-pub1:<kind>:<algorithm>:<base64url>`, read but no longer written.
pub const LEGACY_PREFIX: &str = "qres-pub1";
/// Longest public-key line accepted (4 MiB, room for Classic McEliece's 1 MiB keys), and the code length
/// of the checksum.
pub const MAX_TEXT_LEN: usize = 4 << 20;

/// Bech32m (BIP 350: the same generator polynomial, target residue and checksum length) with its code
/// length raised from 1023 to [`MAX_TEXT_LEN`]; see the [module docs](self) for what that costs.
enum Bech32mLong {}

impl Checksum for Bech32mLong {
    type MidstateRepr = <Bech32m as Checksum>::MidstateRepr;
    type CorrectionField = <Bech32m as Checksum>::CorrectionField;
    const ROOT_GENERATOR: Self::CorrectionField = <Bech32m as Checksum>::ROOT_GENERATOR;
    const ROOT_EXPONENTS: core::ops::RangeInclusive<usize> = <Bech32m as Checksum>::ROOT_EXPONENTS;
    const CODE_LENGTH: usize = MAX_TEXT_LEN;
    const CHECKSUM_LENGTH: usize = <Bech32m as Checksum>::CHECKSUM_LENGTH;
    const GENERATOR_SH: [Self::MidstateRepr; 5] = <Bech32m as Checksum>::GENERATOR_SH;
    const TARGET_RESIDUE: Self::MidstateRepr = <Bech32m as Checksum>::TARGET_RESIDUE;
}

/// The text form of `key` (the Bech32m form). Fails only for an algorithm whose name cannot be a
/// human-readable part, or a key too long for [`MAX_TEXT_LEN`].
pub fn encode(key: &PublicKey) -> Result<String> {
    let hrp = Hrp::parse(&hrp_of(key.algorithm())?)
        .map_err(|_| Error::Unsupported("a text form for an algorithm whose name is not a Bech32 prefix"))?;
    bech32::encode_lower::<Bech32mLong>(hrp, key.as_bytes())
        .map_err(|_| Error::Unsupported("a text form for a public key longer than MAX_TEXT_LEN allows"))
}

/// Parses the text form (or the legacy form) strictly and checks the key with `provider`'s
/// implementation.
pub fn decode(text: &str, provider: &Provider) -> Result<PublicKey> {
    if text.len() > MAX_TEXT_LEN {
        return Err(Error::LengthOutOfRange { what: "public key text", min: 0, max: MAX_TEXT_LEN, actual: text.len() });
    }
    let line = text.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(text);
    if line.starts_with(LEGACY_PREFIX) {
        return decode_legacy(line, provider);
    }
    if line.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(Error::InvalidInput("public key text must be lowercase"));
    }
    let unchecked = UncheckedHrpstring::new(line).map_err(|_| {
        Error::InvalidInput("public key text must be qrespk-<algorithm>1<data> or qresvk-<algorithm>1<data> (Bech32m)")
    })?;
    let hrp = unchecked.hrp();
    let alg = algorithm_of_hrp(hrp.as_str())?;
    let checked = unchecked.validate_and_remove_checksum::<Bech32mLong>().map_err(|e| match e {
        bech32::primitives::decode::ChecksumError::CodeLength(_) => {
            Error::LengthOutOfRange { what: "public key text", min: 0, max: MAX_TEXT_LEN, actual: line.len() }
        }
        _ => Error::InvalidInput("public key text: the checksum does not match (a typo, or a truncated copy)"),
    })?;
    // Fewer than 5 padding bits, all zero: each key has exactly one text form.
    checked
        .validate_segwit_padding()
        .map_err(|_| Error::InvalidInput("public key text: non-canonical padding in the last character"))?;
    let bytes: Vec<u8> = checked.byte_iter().collect();
    parse_key(alg, &bytes, provider)
}

/// `qrespk-<name>` or `qresvk-<name>`: the lowercase canonical name without spaces.
fn hrp_of(alg: KeyAlgorithm) -> Result<String> {
    let name = algorithm_name(alg).ok_or(Error::Unsupported("a text form for an algorithm without a name"))?;
    let prefix = match alg {
        KeyAlgorithm::Kem(_) => KEM_PREFIX,
        KeyAlgorithm::Signature(_) => SIGNATURE_PREFIX,
    };
    Ok(format!("{prefix}{}", hrp_name(name)))
}

fn hrp_name(name: &str) -> String {
    name.chars().filter(|c| *c != ' ').map(|c| c.to_ascii_lowercase()).collect()
}

fn algorithm_of_hrp(hrp: &str) -> Result<KeyAlgorithm> {
    let unknown = Error::InvalidInput("public key text: unknown algorithm name");
    if let Some(name) = hrp.strip_prefix(KEM_PREFIX) {
        KemId::KNOWN.iter().find(|(_, n)| hrp_name(n) == name).map(|(id, _)| KeyAlgorithm::Kem(*id)).ok_or(unknown)
    } else if let Some(name) = hrp.strip_prefix(SIGNATURE_PREFIX) {
        SignatureId::KNOWN
            .iter()
            .find(|(_, n)| hrp_name(n) == name)
            .map(|(id, _)| KeyAlgorithm::Signature(*id))
            .ok_or(unknown)
    } else {
        Err(Error::InvalidInput("public key text must start with qrespk- or qresvk-"))
    }
}

fn parse_key(alg: KeyAlgorithm, bytes: &[u8], provider: &Provider) -> Result<PublicKey> {
    Ok(match alg {
        KeyAlgorithm::Kem(id) => PublicKey::Kem(provider.kem(id)?.parse_public_key(bytes)?),
        KeyAlgorithm::Signature(id) => PublicKey::Verifying(provider.signature(id)?.parse_verifying_key(bytes)?),
    })
}

/// The legacy form `qres-pub1:<kind>:<algorithm>:<base64url>`, as strictly as before.
fn decode_legacy(line: &str, provider: &Provider) -> Result<PublicKey> {
    let mut parts = line.split(':');
    let (Some(prefix), Some(kind), Some(name), Some(b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::InvalidInput("legacy public key text must be qres-pub1:<kind>:<algorithm>:<base64url>"));
    };
    if prefix != LEGACY_PREFIX {
        return Err(Error::InvalidInput("legacy public key text must start with qres-pub1:"));
    }
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(Error::InvalidInput("public key text: the algorithm name must be lowercase"));
    }
    let alg = match kind {
        "kem" => KemId::from_name(name).map(KeyAlgorithm::Kem),
        "sig" => SignatureId::from_name(name).map(KeyAlgorithm::Signature),
        _ => return Err(Error::InvalidInput("public key text: the kind must be kem or sig")),
    }
    .ok_or(Error::InvalidInput("public key text: unknown algorithm name"))?;
    // The engine refuses padding and non-zero trailing bits, so each key has exactly one legacy form.
    let bytes = URL_SAFE_NO_PAD
        .decode(b64.as_bytes())
        .map_err(|_| Error::InvalidInput("public key text: invalid or non-canonical base64url"))?;
    parse_key(alg, &bytes, provider)
}

fn algorithm_name(alg: KeyAlgorithm) -> Option<&'static str> {
    match alg {
        KeyAlgorithm::Kem(id) => id.name(),
        KeyAlgorithm::Signature(id) => id.name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OsRng, default_provider};

    /// The legacy text of `key`, as qres wrote it before the Bech32m form.
    fn legacy(key: &PublicKey) -> String {
        let alg = key.algorithm();
        let name = algorithm_name(alg).unwrap().to_ascii_lowercase();
        format!("{LEGACY_PREFIX}:{}:{name}:{}", alg.kind_name(), URL_SAFE_NO_PAD.encode(key.as_bytes()))
    }

    #[test]
    fn checksum_constants_are_consistent() {
        Bech32mLong::sanity_check();
    }

    #[test]
    fn round_trip_every_algorithm() {
        let p = default_provider();
        for &(id, _) in KemId::KNOWN {
            let Ok(kem) = p.kem(id) else { continue };
            let pk = PublicKey::Kem(kem.generate(&mut OsRng).unwrap().public_key().clone());
            let text = encode(&pk).unwrap();
            assert!(text.starts_with(KEM_PREFIX) && !text.bytes().any(|b| b.is_ascii_uppercase()), "{text}");
            assert_eq!(decode(&text, &p).unwrap(), pk);
            assert_eq!(decode(&format!("{text}\n"), &p).unwrap(), pk);
            assert_eq!(decode(&format!("{text}\r\n"), &p).unwrap(), pk);
            assert_eq!(decode(&legacy(&pk), &p).unwrap(), pk);
        }
        for &(id, _) in SignatureId::KNOWN {
            let Ok(s) = p.signature(id) else { continue };
            let pk = PublicKey::Verifying(s.generate(&mut OsRng).unwrap().verifying_key().clone());
            let text = encode(&pk).unwrap();
            assert!(text.starts_with(SIGNATURE_PREFIX), "{text}");
            assert_eq!(decode(&text, &p).unwrap(), pk);
            assert_eq!(decode(&legacy(&pk), &p).unwrap(), pk);
        }
    }

    #[test]
    fn lengths_in_the_docs() {
        let p = default_provider();
        let kem = |id| encode(&PublicKey::Kem(p.kem(id).unwrap().generate(&mut OsRng).unwrap().public_key().clone()));
        assert_eq!(kem(KemId::X_WING).unwrap().len(), 1966);
        assert_eq!(kem(KemId::ML_KEM_1024).unwrap().len(), 2534);
        let s = p.signature(SignatureId::ML_DSA_87).unwrap().generate(&mut OsRng).unwrap();
        assert_eq!(encode(&PublicKey::Verifying(s.verifying_key().clone())).unwrap().len(), 4171);
    }

    #[test]
    fn strict_parser() {
        let p = default_provider();
        let sk = p.kem(KemId::ML_KEM_768).unwrap().generate(&mut OsRng).unwrap();
        let pk = PublicKey::Kem(sk.public_key().clone());
        let good = encode(&pk).unwrap();
        let hrp = Hrp::parse("qrespk-ml-kem-768").unwrap();
        let with = |bytes: &[u8]| bech32::encode_lower::<Bech32mLong>(hrp, bytes).unwrap();
        let sig_hrp = Hrp::parse("qresvk-ml-kem-768").unwrap();
        let (_, data) = good.rsplit_once('1').unwrap();
        let bad = [
            good.to_uppercase(),
            good.replacen("qrespk", "QRESPK", 1),
            good.replacen("qrespk-", "qresxk-", 1),
            // The right checksum over another prefix or the wrong kind.
            bech32::encode_lower::<Bech32mLong>(sig_hrp, pk.as_bytes()).unwrap(),
            bech32::encode_lower::<Bech32mLong>(Hrp::parse("qrespk-ml-kem-1024").unwrap(), pk.as_bytes()).unwrap(),
            // Standard Bech32m and Bech32 checksums are not ours (Bech32m refuses the length anyway).
            bech32::encode_lower::<bech32::NoChecksum>(hrp, pk.as_bytes()).unwrap(),
            with(&pk.as_bytes()[1..]),
            with(&[pk.as_bytes(), &[0]].concat()),
            format!("{good}\n\n"),
            format!(" {good}"),
            format!("{good} "),
            format!("qrespk-ml-kem-768{data}"),
            good[..good.len() - 1].to_string(),
            String::new(),
        ];
        for (i, b) in bad.iter().enumerate() {
            assert!(decode(b, &p).is_err(), "case {i} accepted");
        }
        // The last character's 3 spare bits (1184 bytes = 1895 characters less 3 bits) set, with a valid
        // checksum: non-canonical padding.
        let mut fes: Vec<bech32::Fe32> = UncheckedHrpstring::new(&good)
            .unwrap()
            .validate_and_remove_checksum::<Bech32mLong>()
            .unwrap()
            .fe32_iter()
            .collect();
        let last = fes.pop().unwrap();
        fes.push(bech32::Fe32::try_from(last.to_u8() | 1).unwrap());
        let padded: String = {
            use bech32::primitives::iter::Fe32IterExt;
            fes.into_iter().with_checksum::<Bech32mLong>(&hrp).chars().collect()
        };
        assert!(matches!(decode(&padded, &p), Err(Error::InvalidInput(_))), "non-zero padding accepted");
        // A key that fails FIPS 203's modulus check: set the first coefficient to 0xfff (> q).
        let mut raw = pk.as_bytes().to_vec();
        raw[0] = 0xff;
        raw[1] |= 0x0f;
        assert!(matches!(decode(&with(&raw), &p), Err(Error::InvalidKey { .. })));
        // The legacy form stays as strict as it was.
        let old = legacy(&pk);
        let (head, b64) = old.rsplit_once(':').unwrap();
        let bad_legacy = [
            old.replacen("qres-pub1", "qres-pub2", 1),
            old.replacen(":kem:", ":sig:", 1),
            old.replacen("ml-kem-768", "ML-KEM-768", 1),
            old.replacen("ml-kem-768", "ml-kem-1024", 1),
            format!("{old}="),
            format!("{head}:{}", &b64[1..]),
            format!("{head}:{}+", &b64[..b64.len() - 1]),
            format!("{old}:extra"),
        ];
        for (i, b) in bad_legacy.iter().enumerate() {
            assert!(decode(b, &p).is_err(), "legacy case {i} accepted");
        }
    }

    /// The documented limit beyond the designed length of 1023: two equal changes 1023 characters apart
    /// cancel in the checksum (single changes never do; see the module docs).
    #[test]
    fn the_checksum_limit_beyond_1023_characters_is_as_documented() {
        let p = default_provider();
        let pk = PublicKey::Kem(p.kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap().public_key().clone());
        let text = encode(&pk).unwrap();
        let alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        let value = |c: u8| alphabet.bytes().position(|a| a == c).unwrap();
        let mut chars = text.clone().into_bytes();
        let (i, j) = (20, 20 + 1023);
        chars[i] = alphabet.as_bytes()[value(chars[i]) ^ 1];
        chars[j] = alphabet.as_bytes()[value(chars[j]) ^ 1];
        let edited = String::from_utf8(chars).unwrap();
        let checked = UncheckedHrpstring::new(&edited).unwrap();
        assert!(checked.has_valid_checksum::<Bech32mLong>(), "x^1023 = 1 modulo the generator");
    }
}
