//! Public keys as one line of text that names the algorithm:
//! `qres-pub1:<kind>:<algorithm>:<key>`, where `kind` is `kem` or `sig`, `algorithm` the lowercase
//! canonical name (`x-wing`, `ml-kem-768`, `ml-dsa-65`, ...) and `key` the encoded public key in unpadded
//! base64url (RFC 4648 §5).
//!
//! The parser is strict: the exact prefix, a known lowercase name, canonical base64url, the algorithm's
//! exact key length and every check the algorithm's standard requires (FIPS 203 §7.2 for ML-KEM); at most
//! one final line ending. Anything else is a typed error.
//!
//! ```
//! use qres::keys::public::{decode, encode};
//! use qres::keys::PublicKey;
//! use qres::{default_provider, KemId, OsRng};
//! let provider = default_provider();
//! let sk = provider.kem(KemId::X_WING)?.generate(&mut OsRng)?;
//! let text = encode(&PublicKey::Kem(sk.public_key().clone()))?;
//! assert!(text.starts_with("qres-pub1:kem:x-wing:"));
//! assert_eq!(decode(&text, &provider)?.key_id(), sk.key_id());
//! # Ok::<(), qres::Error>(())
//! ```

use crate::alg::{KemId, SignatureId};
use crate::error::{Error, Result};
use crate::keys::{KeyAlgorithm, PublicKey};
use crate::provider::Provider;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The prefix of every public-key line.
pub const PREFIX: &str = "qres-pub1";
/// Longest public-key line accepted (4 MiB, room for Classic McEliece's 1 MiB keys).
pub const MAX_TEXT_LEN: usize = 4 << 20;

/// The text form of `key`. Fails only for an algorithm without a canonical name.
pub fn encode(key: &PublicKey) -> Result<String> {
    let alg = key.algorithm();
    let name = algorithm_name(alg).ok_or(Error::Unsupported("a text form for an algorithm without a name"))?;
    Ok(format!("{PREFIX}:{}:{}:{}", alg.kind_name(), name.to_ascii_lowercase(), URL_SAFE_NO_PAD.encode(key.as_bytes())))
}

/// Parses the text form strictly and checks the key with `provider`'s implementation.
pub fn decode(text: &str, provider: &Provider) -> Result<PublicKey> {
    if text.len() > MAX_TEXT_LEN {
        return Err(Error::LengthOutOfRange { what: "public key text", min: 0, max: MAX_TEXT_LEN, actual: text.len() });
    }
    let line = text.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(text);
    let mut parts = line.split(':');
    let (Some(prefix), Some(kind), Some(name), Some(b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::InvalidInput("public key text must be qres-pub1:<kind>:<algorithm>:<base64url>"));
    };
    if prefix != PREFIX {
        return Err(Error::InvalidInput("public key text must start with qres-pub1:"));
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
    // The engine refuses padding and non-zero trailing bits, so each key has exactly one text form.
    let bytes = URL_SAFE_NO_PAD
        .decode(b64.as_bytes())
        .map_err(|_| Error::InvalidInput("public key text: invalid or non-canonical base64url"))?;
    Ok(match alg {
        KeyAlgorithm::Kem(id) => PublicKey::Kem(provider.kem(id)?.parse_public_key(&bytes)?),
        KeyAlgorithm::Signature(id) => PublicKey::Verifying(provider.signature(id)?.parse_verifying_key(&bytes)?),
    })
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

    #[test]
    fn round_trip_every_algorithm() {
        let p = default_provider();
        for &(id, _) in KemId::KNOWN {
            let Ok(kem) = p.kem(id) else { continue };
            let pk = PublicKey::Kem(kem.generate(&mut OsRng).unwrap().public_key().clone());
            let text = encode(&pk).unwrap();
            assert_eq!(decode(&text, &p).unwrap(), pk);
            assert_eq!(decode(&format!("{text}\n"), &p).unwrap(), pk);
        }
        for &(id, _) in SignatureId::KNOWN {
            let Ok(s) = p.signature(id) else { continue };
            let pk = PublicKey::Verifying(s.generate(&mut OsRng).unwrap().verifying_key().clone());
            assert_eq!(decode(&encode(&pk).unwrap(), &p).unwrap(), pk);
        }
    }

    #[test]
    fn strict_parser() {
        let p = default_provider();
        let sk = p.kem(KemId::ML_KEM_768).unwrap().generate(&mut OsRng).unwrap();
        let good = encode(&PublicKey::Kem(sk.public_key().clone())).unwrap();
        let (head, b64) = good.rsplit_once(':').unwrap();
        let bad = [
            good.replacen("qres-pub1", "qres-pub2", 1),
            good.replacen(":kem:", ":sig:", 1),
            good.replacen("ml-kem-768", "ML-KEM-768", 1),
            good.replacen("ml-kem-768", "ml-kem-1024", 1),
            format!("{good}="),
            format!("{good}\n\n"),
            format!(" {good}"),
            format!("{head}:{}", &b64[1..]),
            format!("{head}:{}+", &b64[..b64.len() - 1]),
            format!("{good}:extra"),
            String::new(),
        ];
        for (i, b) in bad.iter().enumerate() {
            assert!(decode(b, &p).is_err(), "case {i} accepted");
        }
        // A key that fails FIPS 203's modulus check: set the first coefficient to 0xfff (> q).
        let mut raw = sk.public_key().as_bytes().to_vec();
        raw[0] = 0xff;
        raw[1] |= 0x0f;
        let text = format!("{head}:{}", URL_SAFE_NO_PAD.encode(&raw));
        assert!(decode(&text, &p).is_err());
    }
}
