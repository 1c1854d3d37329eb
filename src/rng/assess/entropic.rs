//! The estimators of SP 800-90B 6.3.1-6.3.4: Most Common Value, Collision, Markov and
//! Compression. Collision, Markov and Compression are defined for binary data only.

use super::common::{Z_ALPHA, bisect_decreasing, upper_bound};

/// Most Common Value estimate (SP 800-90B 6.3.1).
///
/// `symbols` must all be below `alphabet_size` (2..=256). Returns `-log2(p_u)` where `p_u` is the
/// 99% upper confidence bound on the proportion of the most common symbol, or `None` for fewer
/// than two samples or invalid input.
pub fn most_common_value(symbols: &[u8], alphabet_size: usize) -> Option<f64> {
    if symbols.len() < 2 || !super::valid_symbols(symbols, alphabet_size) {
        return None;
    }
    let mut counts = [0usize; 256];
    for &s in symbols {
        counts[usize::from(s)] += 1;
    }
    let mode = counts.iter().copied().max().unwrap_or(0);
    let len = symbols.len() as f64;
    let p_hat = mode as f64 / len;
    Some(-upper_bound(p_hat, len).log2())
}

/// Collision estimate (SP 800-90B 6.3.2), for binary data (`bits` all 0 or 1).
///
/// The data are cut into consecutive pieces ending at the first repeated value (length 2 or 3);
/// the lower confidence bound `X'` of their mean length gives `p` from
/// `X' = -2 p^2 + 2 p + 2` (the closed form of step 7 for binary data). When `X' >= 2.5` no `p`
/// exists and the estimate is 1 bit. Returns `None` for fewer than two pieces or non-binary
/// input.
pub fn collision(bits: &[u8]) -> Option<f64> {
    if !super::valid_symbols(bits, 2) {
        return None;
    }
    let len = bits.len();
    // `sum` is the total length covered by the pieces, `v` their number.
    let (mut sum, mut v, mut sum_sq) = (0usize, 0usize, 0.0f64);
    while sum + 1 < len {
        let t = if bits[sum] == bits[sum + 1] {
            2
        } else if sum + 2 < len {
            3
        } else {
            break;
        };
        v += 1;
        sum_sq += (t * t) as f64;
        sum += t;
    }
    if v < 2 {
        return None;
    }
    let mean = sum as f64 / v as f64;
    let sigma = ((sum_sq - sum as f64 * mean) / (v as f64 - 1.0)).sqrt();
    let mut x = mean - Z_ALPHA * sigma / (v as f64).sqrt();
    if x < 2.0 {
        x = 2.0;
    }
    Some(if x < 2.5 { -(0.5 + (1.25 - 0.5 * x).sqrt()).log2() } else { 1.0 })
}

/// Markov estimate (SP 800-90B 6.3.3), for binary data (`bits` all 0 or 1).
///
/// Estimates the initial and transition probabilities of a first-order Markov model and returns
/// `-log2` of the probability of the most likely 128-bit sequence, divided by 128 (at most 1).
/// Returns `None` for fewer than two samples or non-binary input.
pub fn markov(bits: &[u8]) -> Option<f64> {
    let len = bits.len();
    if len < 2 || !super::valid_symbols(bits, 2) {
        return None;
    }
    let (mut c0, mut c00, mut c10) = (0usize, 0usize, 0usize);
    for w in bits.windows(2) {
        if w[0] == 0 {
            c0 += 1;
            if w[1] == 0 {
                c00 += 1;
            }
        } else if w[1] == 0 {
            c10 += 1;
        }
    }
    let c1 = len - 1 - c0;
    let (p00, p01) = if c0 > 0 {
        let p = c00 as f64 / c0 as f64;
        (p, 1.0 - p)
    } else {
        (0.0, 0.0)
    };
    let (p10, p11) = if c1 > 0 {
        let p = c10 as f64 / c1 as f64;
        (p, 1.0 - p)
    } else {
        (0.0, 0.0)
    };
    if bits[len - 1] == 0 {
        c0 += 1;
    }
    let p0 = c0 as f64 / len as f64;
    let p1 = 1.0 - p0;

    // -log2 of the probability of each candidate most-likely sequence of 128 bits.
    let mut h_min = 128.0f64;
    let mut consider = |ok: bool, h: f64| {
        if ok && h < h_min {
            h_min = h;
        }
    };
    consider(p00 > 0.0, -p0.log2() - 127.0 * p00.log2()); // 00...0
    consider(p01 > 0.0 && p10 > 0.0, -p0.log2() - 64.0 * p01.log2() - 63.0 * p10.log2()); // 0101...01
    consider(p01 > 0.0 && p11 > 0.0, -p0.log2() - p01.log2() - 126.0 * p11.log2()); // 011...1
    consider(p10 > 0.0 && p00 > 0.0, -p1.log2() - p10.log2() - 126.0 * p00.log2()); // 100...0
    consider(p10 > 0.0 && p01 > 0.0, -p1.log2() - 64.0 * p10.log2() - 63.0 * p01.log2()); // 1010...10
    consider(p11 > 0.0, -p1.log2() - 127.0 * p11.log2()); // 11...1
    Some((h_min / 128.0).min(1.0))
}

/// Compensated (Kahan) summation, used where the reference tool uses it so that long sums
/// round the same way.
#[derive(Default, Clone, Copy)]
struct Kahan {
    sum: f64,
    comp: f64,
}

impl Kahan {
    fn add(&mut self, x: f64) {
        let y = x - self.comp;
        let t = self.sum + y;
        self.comp = (t - self.sum) - y;
        self.sum = t;
    }
}

/// `2^-800`: factors `(1-z)^(u-1)` below this no longer affect [`maurer_g`].
const NEGLIGIBLE: f64 = f64::from_bits((1023 - 800) << 52);

/// Block size `b` of the Compression estimate (bits per block).
const COMPRESSION_BLOCK_BITS: usize = 6;
/// Number `d` of dictionary-initialisation blocks of the Compression estimate.
const COMPRESSION_INIT_BLOCKS: usize = 1000;

/// The expected mean of the Maurer statistic, `G(z)` of SP 800-90B 6.3.4 step 7, divided out as
///
/// `G(z) = 1/v * sum_{t=d+1}^{L} sum_{u=1}^{t} log2(u) F(z, t, u)` with
/// `F(z, t, u) = z^2 (1-z)^(u-1)` for `u < t` and `z (1-z)^(t-1)` for `u = t`.
///
/// Writing `a_u = log2(u) (1-z)^(u-1)` and `A_m = sum_{u<m} a_u`, the double sum becomes
/// `z^2 sum_{t=d+1}^{L} A_t + z (A_{L+1} - A_{d+1})`, and `sum_t A_t` is
/// `(L - d) A_{d+1} + sum_{u=d+1}^{L-1} (L - u) a_u`, a single pass over `u`. The reference
/// tool drops the remaining terms once `(L - u) a_u` underflows to zero; this stops once
/// `(1-z)^(u-1)` falls below 2^-800, which gives the same sums (the dropped terms are far below
/// their last bit).
fn maurer_g(z: f64, d: usize, blocks: usize, log2_table: &[f64]) -> f64 {
    let v = (blocks - d) as f64;
    let step = 1.0 - z;
    let mut a = Kahan::default();
    let mut tail = Kahan::default();
    let mut b = step; // (1-z)^(u-1) for u = 2
    for &lg in &log2_table[2..=d] {
        a.add(lg * b);
        b *= step;
    }
    let a_d1 = a.sum;
    let mut truncated = false;
    for (u, &lg) in log2_table.iter().enumerate().take(blocks).skip(d + 1) {
        if b < NEGLIGIBLE {
            // Every remaining term is below 2^-800 while the sums hold at least
            // log2(2) (1 - z) >= 2^-53: they cannot change the result, and carrying on would
            // only grind through subnormal numbers (where `b` can stop decreasing).
            truncated = true;
            break;
        }
        let term = lg * b;
        a.add(term);
        let scaled = (blocks - u) as f64 * term;
        if scaled > 0.0 {
            tail.add(scaled);
        } else {
            truncated = true;
            break;
        }
        b *= step;
    }
    tail.add((blocks - d) as f64 * a_d1);
    if !truncated {
        a.add(log2_table[blocks] * b);
    }
    1.0 / v * z * (z * tail.sum + (a.sum - a_d1))
}

/// Compression estimate (SP 800-90B 6.3.4), for binary data (`bits` all 0 or 1).
///
/// The bits are read as 6-bit blocks; the first 1000 blocks initialise a dictionary and the
/// Maurer universal statistic of the rest gives a lower confidence bound `X'` of the mean
/// log-distance. A binary search finds the `p` with `G(p) + 63 G((1-p)/63) = X'`; the estimate is
/// `-log2(p) / 6`, or 1 bit when no such `p > 1/64` exists. Returns `None` when there are at most
/// 1000 blocks (fewer than 6006 bits), as NIST's tool does, or for non-binary input.
pub fn compression(bits: &[u8]) -> Option<f64> {
    let b = COMPRESSION_BLOCK_BITS;
    let d = COMPRESSION_INIT_BLOCKS;
    let blocks = bits.len() / b;
    if blocks <= d || !super::valid_symbols(bits, 2) {
        return None;
    }
    let alphabet = 1usize << b;
    let block = |i: usize| bits[i * b..(i + 1) * b].iter().fold(0usize, |acc, &x| (acc << 1) | usize::from(x & 1));
    let mut last_seen = vec![0usize; alphabet];
    for i in 0..d {
        last_seen[block(i)] = i + 1;
    }
    let mut x = Kahan::default();
    let mut x2 = Kahan::default();
    for i in d..blocks {
        let blk = block(i);
        let dist = ((i + 1 - last_seen[blk]) as f64).log2();
        x.add(dist);
        x2.add(dist * dist);
        last_seen[blk] = i + 1;
    }
    let v = (blocks - d) as f64;
    let mean = x.sum / v;
    let sigma = 0.5907 * (x2.sum / (v - 1.0) - mean * mean).sqrt();
    let target = mean - Z_ALPHA * sigma / v.sqrt();

    let log2_table: Vec<f64> = (0..=blocks).map(|i| if i < 2 { 0.0 } else { (i as f64).log2() }).collect();
    let k = alphabet as f64;
    let expected = |p: f64| {
        let q = (1.0 - p) / (k - 1.0);
        maurer_g(p, d, blocks, &log2_table) + (k - 1.0) * maurer_g(q, d, blocks, &log2_table)
    };
    let p_min = 1.0 / k;
    let p = if expected(p_min) > target { bisect_decreasing(expected, target, p_min, 1.0, p_min) } else { -1.0 };
    Some(if p > p_min { -p.log2() / b as f64 } else { 1.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcv_constant_and_balanced() {
        assert_eq!(most_common_value(&[0, 0, 0, 0], 2), Some(-0.0));
        let alt: Vec<u8> = (0..1000).map(|i| (i % 2) as u8).collect();
        let h = most_common_value(&alt, 2).unwrap();
        assert!(h > 0.8 && h < 1.0);
        assert_eq!(most_common_value(&[0], 2), None);
        assert_eq!(most_common_value(&[0, 3], 2), None);
    }

    #[test]
    fn collision_and_markov_edge_cases() {
        assert_eq!(collision(&[0, 1]), None);
        assert!(collision(&[0, 0, 0, 0, 0, 0]).is_some());
        assert_eq!(markov(&[1]), None);
        assert_eq!(markov(&[0, 0, 0, 0]), Some(0.0));
        let h = markov(&[0, 1, 1, 0, 1, 0, 0, 1]).unwrap();
        assert!(h > 0.0 && h <= 1.0);
    }

    #[test]
    fn compression_needs_enough_blocks() {
        assert_eq!(compression(&vec![0u8; 6006 - 1]), None);
        let h = compression(&vec![0u8; 6006]).unwrap();
        assert!((0.0..=1.0).contains(&h));
    }
}
