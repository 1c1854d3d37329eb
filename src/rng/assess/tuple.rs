//! t-Tuple (SP 800-90B 6.3.5) and Longest Repeated Substring (6.3.6) estimates, both computed
//! from one suffix array and its longest-common-prefix (LCP) array.
//!
//! Both estimates need, for every tuple length `t` up to the length `v` of the longest repeated
//! substring, the count of the most common `t`-tuple (`Q[t]`) and the number of colliding pairs
//! of `t`-tuples (`sum_i C(C_i, 2)` over the distinct `t`-tuples). Counting tuples directly is
//! `O(n v)` with hashing; on a suffix array the occurrences of a `t`-tuple are a run of adjacent
//! suffixes whose LCPs are all `>= t`, so one stack pass over the LCP array (enumerating the
//! "LCP intervals") yields every `Q[t]` and pair count in `O(n)`.
//!
//! The suffix array is built with SA-IS (Nong, Zhang and Chan, "Linear Suffix Array
//! Construction by Almost Pure Induced-Sorting", 2009), written out here because std has no
//! suffix-array facility and the crate takes no dependencies; the LCP array with the
//! permuted-LCP ("Phi") variant of Kasai et al.'s algorithm. Both are linear time, so the
//! estimators stay fast on an 8,000,000-bit string. Both are dominated by random memory reads
//! of the text, so binary strings (the bitstring) are packed: two bits (character and suffix
//! type) per position for SA-IS, one bit per position, compared 64 at a time, for the LCPs.

use super::common::upper_bound;

/// Suffix-array index type: `u32` halves memory and doubles cache reach for inputs below 4 Gi
/// symbols; `u64` handles anything larger.
trait Index: Copy + Eq {
    const NONE: Self;
    fn from_usize(x: usize) -> Self;
    fn get(self) -> usize;
}

impl Index for u32 {
    const NONE: Self = u32::MAX;
    fn from_usize(x: usize) -> Self {
        x as u32
    }
    fn get(self) -> usize {
        self as usize
    }
}

impl Index for u64 {
    const NONE: Self = u64::MAX;
    fn from_usize(x: usize) -> Self {
        x as u64
    }
    fn get(self) -> usize {
        self as usize
    }
}

/// A character of a string being suffix-sorted, packed with its suffix type: `char << 1 | 1`
/// for an S-type suffix (smaller than the suffix after it), `char << 1` for L-type. Keeping both
/// in one array halves the random memory reads of induced sorting, which dominate its run time.
/// `u16` holds the input bytes; the recursion's names use the index type.
trait Packed: Copy + Eq {
    fn pack(c: usize, s_type: bool) -> Self;
    /// `char << 1 | is_s`.
    fn raw(self) -> usize;
}

impl Packed for u16 {
    fn pack(c: usize, s_type: bool) -> Self {
        ((c << 1) | usize::from(s_type)) as u16
    }
    fn raw(self) -> usize {
        usize::from(self)
    }
}

impl Packed for u32 {
    fn pack(c: usize, s_type: bool) -> Self {
        ((c << 1) | usize::from(s_type)) as u32
    }
    fn raw(self) -> usize {
        self as usize
    }
}

impl Packed for u64 {
    fn pack(c: usize, s_type: bool) -> Self {
        ((c << 1) | usize::from(s_type)) as u64
    }
    fn raw(self) -> usize {
        self as usize
    }
}

/// Packs `chars` (values `< k`) with their suffix types. The last suffix is L-type: a virtual
/// sentinel smaller than every character follows it.
fn pack_types<T: Packed>(chars: impl DoubleEndedIterator<Item = usize>, n: usize) -> Vec<T> {
    let mut out = vec![T::pack(0, false); n];
    let mut next: Option<(usize, bool)> = None;
    for (i, c) in chars.rev().enumerate() {
        let s_type = match next {
            None => false,
            Some((nc, ns)) => c < nc || (c == nc && ns),
        };
        out[n - 1 - i] = T::pack(c, s_type);
        next = Some((c, s_type));
    }
    out
}

/// Read access to a string being suffix-sorted, as packed (character, type) values.
trait Text {
    fn size(&self) -> usize;
    /// `char << 1 | is_s` at position `i`.
    fn raw(&self, i: usize) -> usize;
    fn ch(&self, i: usize) -> usize {
        self.raw(i) >> 1
    }
    fn is_s(&self, i: usize) -> bool {
        self.raw(i) & 1 == 1
    }
}

impl<T: Packed> Text for [T] {
    fn size(&self) -> usize {
        self.len()
    }
    fn raw(&self, i: usize) -> usize {
        self[i].raw()
    }
}

/// A binary string packed two bits (character, type) per position: a quarter of the memory of
/// one `u8` per position, so that the random reads of induced sorting mostly hit the cache.
struct BinaryText {
    words: Vec<u64>,
    n: usize,
}

impl BinaryText {
    /// `bits` must all be 0 or 1.
    fn new(bits: &[u8]) -> Self {
        let n = bits.len();
        let mut words = vec![0u64; n.div_ceil(32)];
        let mut next: Option<(u8, bool)> = None;
        for i in (0..n).rev() {
            let c = bits[i];
            let s_type = match next {
                None => false,
                Some((nc, ns)) => c < nc || (c == nc && ns),
            };
            let v = (u64::from(c) << 1) | u64::from(s_type);
            words[i >> 5] |= v << ((i & 31) * 2);
            next = Some((c, s_type));
        }
        BinaryText { words, n }
    }
}

impl Text for BinaryText {
    fn size(&self) -> usize {
        self.n
    }
    fn raw(&self, i: usize) -> usize {
        ((self.words[i >> 5] >> ((i & 31) * 2)) & 3) as usize
    }
}

/// Bucket boundaries: `ends == false` gives the first slot of each character's bucket,
/// `ends == true` one past its last slot.
fn buckets(counts: &[usize], ends: bool) -> Vec<usize> {
    let mut acc = 0;
    counts
        .iter()
        .map(|&c| {
            acc += c;
            if ends { acc } else { acc - c }
        })
        .collect()
}

/// Induced sorting: given the LMS suffixes already placed at the ends of their buckets, place
/// all L-type suffixes (left-to-right scan) and then all S-type suffixes (right-to-left scan).
fn induce<X: Text + ?Sized, I: Index>(t: &X, sa: &mut [I], counts: &[usize]) {
    let n = t.size();
    let mut heads = buckets(counts, false);
    // The suffix before the virtual sentinel is the first L-type suffix induced.
    let c = t.ch(n - 1);
    sa[heads[c]] = I::from_usize(n - 1);
    heads[c] += 1;
    for i in 0..n {
        let j = sa[i];
        if j != I::NONE && j.get() > 0 {
            let prev = t.raw(j.get() - 1);
            if prev & 1 == 0 {
                let c = prev >> 1;
                sa[heads[c]] = I::from_usize(j.get() - 1);
                heads[c] += 1;
            }
        }
    }
    let mut tails = buckets(counts, true);
    for i in (0..n).rev() {
        let j = sa[i];
        if j != I::NONE && j.get() > 0 {
            let prev = t.raw(j.get() - 1);
            if prev & 1 == 1 {
                let c = prev >> 1;
                tails[c] -= 1;
                sa[tails[c]] = I::from_usize(j.get() - 1);
            }
        }
    }
}

/// Suffix array of the packed string `t` (characters `< k`) into `sa` (same length), by SA-IS.
fn sais<X: Text + ?Sized, I: Index + Packed>(t: &X, k: usize, sa: &mut [I]) {
    let n = t.size();
    if n == 0 {
        return;
    }
    if n == 1 {
        sa[0] = I::from_usize(0);
        return;
    }
    let is_lms = |i: usize| i > 0 && t.is_s(i) && !t.is_s(i - 1);
    let mut counts = vec![0usize; k];
    for i in 0..n {
        counts[t.ch(i)] += 1;
    }

    // Stage 1: sort the LMS substrings by induced sorting from arbitrarily ordered LMS seeds.
    sa.fill(I::NONE);
    let mut tails = buckets(&counts, true);
    for i in 1..n {
        if is_lms(i) {
            let c = t.ch(i);
            tails[c] -= 1;
            sa[tails[c]] = I::from_usize(i);
        }
    }
    induce(t, sa, &counts);

    let sorted_lms: Vec<I> = sa.iter().copied().filter(|&j| j != I::NONE && is_lms(j.get())).collect();
    let m = sorted_lms.len();

    // Name the LMS substrings: equal substrings share a name, names increase with order.
    // Two LMS substrings are equal when their characters and types agree up to and including
    // the next LMS position; a substring that runs into the sentinel is unique.
    // LMS positions are at least two apart, so `pos / 2` indexes them uniquely.
    let lms_equal = |a: usize, b: usize| {
        let mut d = 0;
        loop {
            if a + d >= n || b + d >= n || t.raw(a + d) != t.raw(b + d) {
                return false;
            }
            if d > 0 && is_lms(a + d) {
                return true; // both end here (their types agree, so both are LMS)
            }
            d += 1;
        }
    };
    let mut names = vec![I::NONE; n / 2 + 1];
    let mut name_count = 0usize;
    let mut prev: Option<usize> = None;
    for &p in &sorted_lms {
        let p = p.get();
        if prev.is_none_or(|q| !lms_equal(q, p)) {
            name_count += 1;
        }
        names[p / 2] = I::from_usize(name_count - 1);
        prev = Some(p);
    }

    // Stage 2: sort the LMS suffixes, recursing when some LMS substrings are equal.
    let order: Vec<I> = if name_count < m {
        let positions: Vec<I> = (1..n).filter(|&i| is_lms(i)).map(I::from_usize).collect();
        let reduced: Vec<I> = pack_types(positions.iter().map(|&p| names[p.get() / 2].get()), m);
        drop(names);
        let mut sa1 = vec![I::NONE; m];
        sais(&reduced[..], name_count, &mut sa1);
        drop(reduced);
        sa1.iter().map(|&r| positions[r.get()]).collect()
    } else {
        sorted_lms
    };

    // Stage 3: induce the full suffix array from the sorted LMS suffixes.
    sa.fill(I::NONE);
    let mut tails = buckets(&counts, true);
    for &p in order.iter().rev() {
        let c = t.ch(p.get());
        tails[c] -= 1;
        sa[tails[c]] = p;
    }
    drop(order);
    induce(t, sa, &counts);
}

/// Suffix array of a byte string.
fn suffix_array<I: Index + Packed>(s: &[u8]) -> Vec<I> {
    let mut sa = vec![I::NONE; s.len()];
    if s.iter().all(|&c| c <= 1) {
        sais(&BinaryText::new(s), 2, &mut sa);
    } else {
        let packed: Vec<u16> = pack_types(s.iter().map(|&c| usize::from(c)), s.len());
        sais(&packed[..], 256, &mut sa);
    }
    sa
}

/// Length of the common prefix of the suffixes at `i` and `j` of `s`, given that it is at
/// least `h`. Binary strings compare 64 bits at a time on a packed copy (`packed`, most
/// significant bit first), other strings 8 bytes at a time.
fn extend_lcp(s: &[u8], packed: Option<&[u64]>, i: usize, j: usize, mut h: usize) -> usize {
    let limit = s.len() - i.max(j);
    if let Some(words) = packed {
        let read = |p: usize| {
            let (w, off) = (p >> 6, p & 63);
            let hi = words[w] << off;
            if off == 0 || w + 1 >= words.len() { hi } else { hi | (words[w + 1] >> (64 - off)) }
        };
        while h < limit {
            let x = read(i + h) ^ read(j + h);
            if x != 0 {
                h += x.leading_zeros() as usize;
                break;
            }
            h += 64;
        }
        return h.min(limit);
    }
    while h + 8 <= limit {
        let a = u64::from_be_bytes(s[i + h..i + h + 8].try_into().unwrap_or([0; 8]));
        let b = u64::from_be_bytes(s[j + h..j + h + 8].try_into().unwrap_or([0; 8]));
        if a != b {
            return h + ((a ^ b).leading_zeros() / 8) as usize;
        }
        h += 8;
    }
    while h < limit && s[i + h] == s[j + h] {
        h += 1;
    }
    h
}

/// Tuple statistics for lengths `1..=v` (`v` = length of the longest repeated substring):
/// `max_count[t]` is the count of the most common `t`-tuple and `pairs[t]` the number of
/// colliding pairs `sum C(C_i, 2)` over the distinct `t`-tuples. Index 0 is unused.
struct TupleStats {
    v: usize,
    max_count: Vec<usize>,
    pairs: Vec<u128>,
}

fn tuple_stats_with<I: Index + Packed>(s: &[u8]) -> TupleStats {
    let n = s.len();
    let sa = suffix_array::<I>(s);

    let packed: Option<Vec<u64>> = s.iter().all(|&c| c <= 1).then(|| {
        let mut words = vec![0u64; n.div_ceil(64)];
        for (p, &b) in s.iter().enumerate() {
            words[p >> 6] |= u64::from(b) << (63 - (p & 63));
        }
        words
    });
    // Permuted LCP (Kasai / Phi): plcp[i] = LCP of suffix i and its predecessor in `sa`.
    let mut plcp = vec![I::NONE; n];
    for k in 1..n {
        plcp[sa[k].get()] = sa[k - 1];
    }
    let mut h = 0usize;
    for (i, slot) in plcp.iter_mut().enumerate() {
        let j = *slot;
        if j == I::NONE {
            h = 0;
            *slot = I::from_usize(0);
            continue;
        }
        h = extend_lcp(s, packed.as_deref(), i, j.get(), h);
        *slot = I::from_usize(h);
        h = h.saturating_sub(1);
    }
    // LCP array in suffix-array order, written over the suffix array (one random-access pass).
    let mut lcp = sa;
    for x in lcp.iter_mut() {
        *x = plcp[x.get()];
    }
    drop(plcp);
    let v = lcp.iter().map(|x| x.get()).max().unwrap_or(0);

    // Enumerate LCP intervals bottom-up. An interval of `size` adjacent suffixes with common
    // prefix length `l`, whose enclosing interval has prefix length `parent`, is exactly the
    // occurrence set of one t-tuple for every t in (parent, l].
    let mut best = vec![1usize; v + 2];
    let mut diff = vec![0i128; v + 2];
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
    for k in 1..=n {
        let cur = lcp.get(k).map_or(0, |x| x.get());
        let mut left = k - 1;
        while let Some(&(l, lb)) = stack.last() {
            if cur >= l {
                break;
            }
            stack.pop();
            let parent = stack.last().map_or(0, |t| t.0).max(cur);
            let size = k - lb;
            best[l] = best[l].max(size);
            let pairs = (size as i128) * (size as i128 - 1) / 2;
            diff[parent + 1] += pairs;
            diff[l + 1] -= pairs;
            left = lb;
        }
        if stack.last().is_none_or(|t| cur > t.0) {
            stack.push((cur, left));
        }
    }
    let mut max_count = vec![1usize; v + 1];
    let mut running = 1usize;
    for t in (1..=v).rev() {
        running = running.max(best[t]);
        max_count[t] = running;
    }
    let mut pairs = vec![0u128; v + 1];
    let mut acc = 0i128;
    for t in 1..=v {
        acc += diff[t];
        pairs[t] = acc as u128;
    }
    TupleStats { v, max_count, pairs }
}

fn tuple_stats(s: &[u8]) -> TupleStats {
    if s.len() < u32::MAX as usize { tuple_stats_with::<u32>(s) } else { tuple_stats_with::<u64>(s) }
}

/// Tuples must occur at least this often for the t-Tuple estimate (SP 800-90B 6.3.5 step 1).
const TUPLE_CUTOFF: usize = 35;

/// t-Tuple (SP 800-90B 6.3.5) and LRS (SP 800-90B 6.3.6) estimates of `symbols`, computed
/// together as NIST's tool does.
///
/// t-Tuple: `t` is the largest length such that some `t`-tuple occurs at least 35 times; the
/// estimate bounds `max_{i<=t} (Q[i] / (L - i + 1))^(1/i)`. It is `None` when no symbol occurs
/// 35 times. LRS: `u` is the smallest length whose most common tuple occurs fewer than 35
/// times and `v` the length of the longest repeated substring; the estimate bounds
/// `max_{u<=W<=v} (P_W)^(1/W)` with `P_W` the collision probability of `W`-tuples. It is `None`
/// when `v < u` (including when nothing repeats at all). Symbol values are only compared, so
/// no alphabet size is needed.
pub fn t_tuple_and_lrs(symbols: &[u8]) -> (Option<f64>, Option<f64>) {
    let n = symbols.len();
    if n < 2 {
        return (None, None);
    }
    let stats = tuple_stats(symbols);
    let v = stats.v;
    let nf = n as f64;
    let u = (1..=v).find(|&t| stats.max_count[t] < TUPLE_CUTOFF).unwrap_or(v + 1);

    let t_tuple = (u > 1).then(|| {
        let p_max = (1..u)
            .map(|i| (stats.max_count[i] as f64 / (n - i + 1) as f64).powf(1.0 / i as f64))
            .fold(-1.0f64, |a, b| if b > a { b } else { a });
        -upper_bound(p_max, nf).log2()
    });

    let lrs = (v >= u).then(|| {
        let p_max = (u..=v)
            .map(|w| {
                let m = (n - w) as u128;
                let total = m * (m + 1) / 2;
                (stats.pairs[w] as f64 / total as f64).powf(1.0 / w as f64)
            })
            .fold(0.0f64, |a, b| if a < b { b } else { a });
        -upper_bound(p_max, nf).log2()
    });
    (t_tuple, lrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_sa(s: &[u8]) -> Vec<u32> {
        let mut v: Vec<u32> = (0..s.len() as u32).collect();
        v.sort_by(|&a, &b| s[a as usize..].cmp(&s[b as usize..]));
        v
    }

    fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn sais_matches_naive_sort() {
        let mut seed = 0x1234_5678_9abc_def1u64;
        for len in 0..300usize {
            for k in [2u64, 3, 4, 256] {
                let s: Vec<u8> = (0..len).map(|_| (xorshift(&mut seed) % k) as u8).collect();
                assert_eq!(suffix_array::<u32>(&s), naive_sa(&s), "len {len} k {k}");
                let wide: Vec<u64> = naive_sa(&s).iter().map(|&x| u64::from(x)).collect();
                assert_eq!(suffix_array::<u64>(&s), wide);
            }
        }
        for s in [&b"aaaaaaaaaaaa"[..], b"abababababab", b"mississippi", b"abcabcabcabx"] {
            assert_eq!(suffix_array::<u32>(s), naive_sa(s));
        }
    }

    fn naive_stats(s: &[u8], t: usize) -> (usize, u128) {
        let mut m = std::collections::HashMap::new();
        for w in s.windows(t) {
            *m.entry(w.to_vec()).or_insert(0usize) += 1;
        }
        let max = m.values().copied().max().unwrap_or(0);
        let pairs = m.values().map(|&c| (c * (c - 1) / 2) as u128).sum();
        (max, pairs)
    }

    #[test]
    fn tuple_stats_match_naive_counts() {
        let mut seed = 0xdead_beef_cafe_f00du64;
        for len in [2usize, 3, 10, 100, 1000] {
            for k in [2u64, 5, 256] {
                let s: Vec<u8> = (0..len).map(|_| (xorshift(&mut seed) % k) as u8).collect();
                let st = tuple_stats(&s);
                for t in 1..=st.v {
                    assert_eq!((st.max_count[t], st.pairs[t]), naive_stats(&s, t));
                }
                assert_eq!(naive_stats(&s, st.v + 1).0.max(1), 1);
            }
        }
    }

    #[test]
    fn nothing_repeats() {
        let s: Vec<u8> = (0..=255).collect();
        assert_eq!(t_tuple_and_lrs(&s), (None, None));
        assert_eq!(t_tuple_and_lrs(&[7]), (None, None));
    }
}
