//! RFC 9180's labeled KDF functions and draft-ietf-hpke-pq's `SHAKE256.LabeledDerive`.

use crate::error::{Error, Result};
use crate::primitives::Kdf;
use crate::secret::SecretBytes;
use shake::{ExtendableOutput, Shake256, Update, XofReader};

/// The version label every HPKE derivation starts with.
pub const HPKE_V1: &[u8] = b"HPKE-v1";

/// `LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm)`.
pub fn labeled_extract(kdf: &dyn Kdf, suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[&[u8]]) -> SecretBytes {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(3 + ikm.len());
    parts.extend_from_slice(&[HPKE_V1, suite_id, label]);
    parts.extend_from_slice(ikm);
    kdf.extract(salt, &parts)
}

/// `LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)`.
pub fn labeled_expand(
    kdf: &dyn Kdf,
    suite_id: &[u8],
    prk: &[u8],
    label: &[u8],
    info: &[&[u8]],
    out: &mut [u8],
) -> Result<()> {
    let len = u16::try_from(out.len()).map_err(|_| Error::OutputTooLong { requested: out.len(), max: 65_535 })?;
    let len = len.to_be_bytes();
    let mut parts: Vec<&[u8]> = Vec::with_capacity(4 + info.len());
    parts.extend_from_slice(&[&len, HPKE_V1, suite_id, label]);
    parts.extend_from_slice(info);
    kdf.expand(prk, &parts, out)
}

/// `SHAKE256.LabeledDerive(ikm, label, context, L)`: `SHAKE256(ikm || "HPKE-v1" || suite_id ||
/// I2OSP(len(label), 2) || label || I2OSP(L, 2) || context, L)` (draft-ietf-hpke-pq), used by the ML-KEM and
/// X-Wing `DeriveKeyPair`.
pub fn shake256_labeled_derive(
    suite_id: &[u8],
    ikm: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Result<SecretBytes> {
    let label_len = u16::try_from(label.len()).map_err(|_| Error::InvalidInput("label too long"))?;
    let out_len = u16::try_from(len).map_err(|_| Error::OutputTooLong { requested: len, max: 65_535 })?;
    let mut x = Shake256::default();
    for part in [ikm, HPKE_V1, suite_id, &label_len.to_be_bytes(), label, &out_len.to_be_bytes(), context] {
        x.update(part);
    }
    let mut out = SecretBytes::zeroed(len);
    x.finalize_xof().read(out.as_mut_bytes());
    Ok(out)
}
