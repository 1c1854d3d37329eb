//! The FIPS 203 input checks for ML-KEM keys, done in Rust for the liboqs backend.
//!
//! liboqs 0.13 offers no call that validates an encoded key, so qres performs the checks FIPS 203 asks of
//! the caller before a key reaches C: the encapsulation-key modulus check (§7.2) and the
//! decapsulation-key hash check (§7.3). Written here rather than borrowed from libcrux so that the liboqs
//! backend does not depend on the default backend's internals; each check is a few lines of the standard.

use sha3::{Digest, Sha3_256};
use subtle::ConstantTimeEq;

/// The ML-KEM modulus.
const Q: u16 = 3329;

/// FIPS 203 §7.2 modulus check: `ek[0..384k]` must be `ByteEncode12` of coefficients below `q`, i.e.
/// re-encoding the decoded coefficients gives the same bytes. `ek` has length `384k + 32`.
pub(super) fn modulus_check(ek: &[u8], rank: usize) -> bool {
    let Some(t) = ek.get(..384 * rank) else {
        return false;
    };
    t.chunks_exact(3).all(|b| {
        let d1 = u16::from(b[0]) | (u16::from(b[1] & 0x0f) << 8);
        let d2 = u16::from(b[1] >> 4) | (u16::from(b[2]) << 4);
        d1 < Q && d2 < Q
    })
}

/// FIPS 203 §7.3 hash check: `dk = dk_pke || ek || H(ek) || z` with `H = SHA3-256`. `dk` has length
/// `768k + 96`. Returns the embedded `ek` when the stored hash matches.
pub(super) fn hash_check(dk: &[u8], rank: usize) -> Option<&[u8]> {
    let ek = dk.get(384 * rank..768 * rank + 32)?;
    let stored = dk.get(768 * rank + 32..768 * rank + 64)?;
    let computed = Sha3_256::digest(ek);
    bool::from(computed.as_slice().ct_eq(stored)).then_some(ek)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_check_rejects_unreduced_coefficients() {
        let mut ek = vec![0u8; 384 * 2 + 32];
        assert!(modulus_check(&ek, 2));
        // d1 = 3328 (largest valid): 0xd00 -> b0 = 0x00, low nibble of b1 = 0xd.
        ek[0] = 0x00;
        ek[1] = 0x0d;
        assert!(modulus_check(&ek, 2));
        // d1 = 3329 = q: invalid.
        ek[0] = 0x01;
        assert!(!modulus_check(&ek, 2));
        // The last coefficient (d2 of the last triple): 0xfff.
        let mut ek = vec![0u8; 384 * 2 + 32];
        ek[384 * 2 - 1] = 0xff;
        ek[384 * 2 - 2] = 0xf0;
        assert!(!modulus_check(&ek, 2));
        // rho is not checked.
        let mut ek = vec![0u8; 384 * 2 + 32];
        ek[384 * 2..].fill(0xff);
        assert!(modulus_check(&ek, 2));
        assert!(!modulus_check(&[0u8; 10], 2));
    }

    #[test]
    fn hash_check_compares_the_stored_hash() {
        let rank = 2;
        let mut dk = vec![7u8; 768 * rank + 96];
        let h = Sha3_256::digest(&dk[384 * rank..768 * rank + 32]);
        dk[768 * rank + 32..768 * rank + 64].copy_from_slice(&h);
        assert_eq!(hash_check(&dk, rank).map(<[u8]>::len), Some(384 * rank + 32));
        dk[384 * rank] ^= 1;
        assert!(hash_check(&dk, rank).is_none());
        assert!(hash_check(&dk[..100], rank).is_none());
    }
}
