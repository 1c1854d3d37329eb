//! A FIPS 204 verification check done in Rust for the liboqs backend: the infinity-norm bound on the
//! signature's `z` (Algorithm 8, `ML-DSA.Verify_internal`, line 13: `||z||∞ < γ1 − β`).
//!
//! liboqs 0.13 selects the AVX2 code of pq-crystals' Dilithium for ML-DSA on CPUs with AVX2, and that
//! verifier omits this check (pq-crystals/dilithium issue 113): it accepts some invalid signatures, which
//! Wycheproof's "violate index ... in the positive/negative direction" cases catch. qres checks the bound
//! before calling liboqs, so the liboqs backend rejects them as the standard requires. `z` is public (part
//! of the signature), so this need not be constant-time.

/// The parameters of the `z` bound for one ML-DSA parameter set.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct ZBound {
    /// Length of the commitment hash `c~` at the start of the signature (λ/4).
    pub c_tilde_len: usize,
    /// Number of polynomials in `z` (ℓ).
    pub l: usize,
    /// log2(γ1): 17 for ML-DSA-44, 19 for ML-DSA-65 and ML-DSA-87.
    pub gamma1_bits: u32,
    /// β = τ·η.
    pub beta: u32,
}

impl ZBound {
    /// ML-DSA-44.
    pub const ML_DSA_44: Self = Self { c_tilde_len: 32, l: 4, gamma1_bits: 17, beta: 78 };
    /// ML-DSA-65.
    pub const ML_DSA_65: Self = Self { c_tilde_len: 48, l: 5, gamma1_bits: 19, beta: 196 };
    /// ML-DSA-87.
    pub const ML_DSA_87: Self = Self { c_tilde_len: 64, l: 7, gamma1_bits: 19, beta: 120 };

    /// Whether every coefficient of `z` in `signature` satisfies `|z_i| < γ1 − β`. `z` is encoded by
    /// `BitPack(z, γ1 − 1, γ1)`: each coefficient is stored as `γ1 − z_i` in `log2(γ1) + 1` bits, little
    /// endian. A signature too short to hold `z` fails.
    pub fn holds(&self, signature: &[u8]) -> bool {
        let bits = self.gamma1_bits + 1;
        let len = self.l * 256 * bits as usize / 8;
        let Some(packed) = signature.get(self.c_tilde_len..self.c_tilde_len + len) else {
            return false;
        };
        let gamma1 = 1i64 << self.gamma1_bits;
        let bound = gamma1 - i64::from(self.beta);
        let mask = (1u64 << bits) - 1;
        let (mut acc, mut acc_bits) = (0u64, 0u32);
        for &byte in packed {
            acc |= u64::from(byte) << acc_bits;
            acc_bits += 8;
            while acc_bits >= bits {
                let z = gamma1 - (acc & mask) as i64;
                if z.abs() >= bound {
                    return false;
                }
                acc >>= bits;
                acc_bits -= bits;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packs coefficients as `γ1 − z` in `bits` bits, little endian.
    fn pack(z: &[i64], gamma1_bits: u32) -> Vec<u8> {
        let bits = gamma1_bits + 1;
        let (mut out, mut acc, mut acc_bits) = (Vec::new(), 0u128, 0u32);
        for &c in z {
            acc |= (((1i64 << gamma1_bits) - c) as u128) << acc_bits;
            acc_bits += bits;
            while acc_bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                acc_bits -= 8;
            }
        }
        out
    }

    #[test]
    fn bound_is_strict_in_both_directions() {
        for p in [ZBound::ML_DSA_44, ZBound::ML_DSA_65, ZBound::ML_DSA_87] {
            let limit = (1i64 << p.gamma1_bits) - i64::from(p.beta);
            let mut z = vec![0i64; p.l * 256];
            let mut sig = vec![0u8; p.c_tilde_len];
            sig.extend(pack(&z, p.gamma1_bits));
            sig.extend([0u8; 100]);
            assert!(p.holds(&sig));
            for (index, value, ok) in
                [(0, limit - 1, true), (5, -(limit - 1), true), (7, limit, false), (p.l * 256 - 1, -limit, false)]
            {
                z.fill(0);
                z[index] = value;
                let mut sig = vec![0u8; p.c_tilde_len];
                sig.extend(pack(&z, p.gamma1_bits));
                assert_eq!(p.holds(&sig), ok, "{p:?} index {index} value {value}");
            }
            assert!(!p.holds(&sig[..p.c_tilde_len + 10]));
        }
    }
}
