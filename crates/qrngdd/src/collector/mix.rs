//! Combining equal-length chunks from several sources.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

/// How the chunks of several sources are combined (`QRNG_MIXING_STRATEGY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mixing {
    /// One source only: its chunk as is.
    None,
    /// XOR of all chunks: as unpredictable as the best independent source.
    Xor,
    /// HKDF-Extract (HMAC-SHA256 keyed with a fixed salt) over each 32-byte block position of every
    /// source: `out[i] = HMAC(salt, src1[i] || src2[i] || ...)`. A fresh extraction per 32 output bytes
    /// keeps the output's entropy that of its inputs (one HKDF-Expand stream would be capped at 256
    /// bits). The last block may be shorter.
    Hkdf,
}

/// The HKDF salt (domain separation of our mixing).
pub const HKDF_SALT: &[u8] = b"qrngdd collector mix v1";

/// Mixes `chunks` (all of the same length, at least one) into one chunk.
pub fn mix(mixing: Mixing, chunks: &[Vec<u8>]) -> Result<Vec<u8>, &'static str> {
    let first = chunks.first().ok_or("no chunk to mix")?;
    if chunks.iter().any(|c| c.len() != first.len()) {
        return Err("chunks to mix differ in length");
    }
    match (mixing, chunks.len()) {
        (_, 1) => Ok(first.clone()),
        (Mixing::None, _) => Err("several sources need xor or hkdf mixing"),
        (Mixing::Xor, _) => {
            let mut out = first.clone();
            for c in &chunks[1..] {
                out.iter_mut().zip(c).for_each(|(o, b)| *o ^= b);
            }
            Ok(out)
        }
        (Mixing::Hkdf, _) => {
            let mut out = Vec::with_capacity(first.len());
            let mut start = 0;
            while start < first.len() {
                let end = (start + 32).min(first.len());
                let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(HKDF_SALT).map_err(|_| "HMAC key")?;
                for c in chunks {
                    m.update(&c[start..end]);
                }
                let mut block: [u8; 32] = m.finalize().into_bytes().into();
                out.extend_from_slice(&block[..end - start]);
                block.zeroize();
                start = end;
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_and_single() {
        assert_eq!(mix(Mixing::Xor, &[vec![0xf0, 0xaa], vec![0x0f, 0x55], vec![0xff, 0x00]]).unwrap(), vec![0, 0xff]);
        assert_eq!(mix(Mixing::None, &[vec![1, 2]]).unwrap(), vec![1, 2]);
        assert!(mix(Mixing::None, &[vec![1], vec![2]]).is_err());
        assert!(mix(Mixing::Xor, &[vec![1], vec![2, 3]]).is_err());
        assert!(mix(Mixing::Xor, &[]).is_err());
    }

    #[test]
    fn hkdf_extract_per_block() {
        let a: Vec<u8> = (0..70).collect();
        let b: Vec<u8> = (100..170).collect();
        let out = mix(Mixing::Hkdf, &[a.clone(), b.clone()]).unwrap();
        assert_eq!(out.len(), 70);
        // Block 0 is HMAC(salt, a[0..32] || b[0..32]).
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(HKDF_SALT).unwrap();
        m.update(&a[..32]);
        m.update(&b[..32]);
        assert_eq!(&out[..32], &m.finalize().into_bytes()[..]);
        // Changing one input byte of the last block changes only that block.
        let mut b2 = b.clone();
        b2[69] ^= 1;
        let out2 = mix(Mixing::Hkdf, &[a, b2]).unwrap();
        assert_eq!(out[..64], out2[..64]);
        assert_ne!(out[64..], out2[64..]);
    }
}
