//! The prediction estimates of SP 800-90B 6.3.7-6.3.10: MultiMCW, Lag, MultiMMC and LZ78Y.
//!
//! Each predictor makes one prediction per sample (after a warm-up), counts the right ones and
//! the longest run of right ones, and hands them to the shared final step
//! ([`super::common::prediction_estimate`]). Where SP 800-90B leaves a choice open (tie breaks,
//! what happens when a dictionary is full) these follow NIST's `ea_non_iid`, so that the counts
//! agree exactly.

use super::common::{IntMap, prediction_estimate};

/// Counts of right predictions and the longest run of them.
#[derive(Default)]
struct Tally {
    correct: u64,
    run: u64,
    max_run: u64,
}

impl Tally {
    fn record(&mut self, right: bool) {
        if right {
            self.correct += 1;
            self.run += 1;
            self.max_run = self.max_run.max(self.run);
        } else {
            self.run = 0;
        }
    }

    /// Same as [`Tally::record`], without a data-dependent branch.
    fn record_branchless(&mut self, right: bool) {
        let r = u64::from(right);
        self.correct += r;
        self.run = (self.run + 1) * r;
        self.max_run = self.max_run.max(self.run);
    }
}

/// Window sizes of the MultiMCW predictor (SP 800-90B 6.3.7 step 1).
const MCW_WINDOWS: [usize; 4] = [63, 255, 1023, 4095];

/// Most common symbol of a sliding window; ties go to the symbol seen most recently.
struct WindowMode {
    width: usize,
    counts: [u32; 256],
    last_pos: [usize; 256],
    mode: u8,
}

impl WindowMode {
    fn new(width: usize) -> Self {
        WindowMode { width, counts: [0; 256], last_pos: [0; 256], mode: 0 }
    }

    fn is_better(&self, s: u8, than: u8) -> bool {
        let (cs, ct) = (self.counts[usize::from(s)], self.counts[usize::from(than)]);
        cs > ct || (cs == ct && self.last_pos[usize::from(s)] >= self.last_pos[usize::from(than)])
    }

    /// Adds `sym` at position `pos` while the window fills up.
    fn push(&mut self, sym: u8, pos: usize) {
        self.counts[usize::from(sym)] += 1;
        self.last_pos[usize::from(sym)] = pos;
        if self.is_better(sym, self.mode) {
            self.mode = sym;
        }
    }

    /// Slides the window: `old` leaves, `sym` enters at position `pos`.
    fn slide(&mut self, old: u8, sym: u8, pos: usize, alphabet: usize) {
        self.counts[usize::from(old)] -= 1;
        self.counts[usize::from(sym)] += 1;
        self.last_pos[usize::from(sym)] = pos;
        if old == self.mode {
            // The mode lost a count: rescan (rare, and the alphabet is at most 256).
            let mut best = sym;
            for s in 0..alphabet {
                let s = s as u8; // alphabet <= 256, so s <= 255
                if self.counts[usize::from(s)] > 0 && self.is_better(s, best) {
                    best = s;
                }
            }
            self.mode = best;
        } else if self.is_better(sym, self.mode) {
            self.mode = sym;
        }
    }
}

/// Multi Most Common in Window prediction estimate (SP 800-90B 6.3.7).
///
/// Four predictors guess the most common symbol of the last 63, 255, 1023 and 4095 samples
/// (ties: the most recently seen); the one with the best score so far makes the prediction.
/// Returns `None` for fewer than 4096 samples (as NIST's tool does) or invalid input
/// (`alphabet_size` outside 2..=256 or a symbol not below it).
pub fn multi_mcw(symbols: &[u8], alphabet_size: usize) -> Option<f64> {
    let len = symbols.len();
    let widest = MCW_WINDOWS[MCW_WINDOWS.len() - 1];
    if len < widest + 1 || !super::valid_symbols(symbols, alphabet_size) {
        return None;
    }
    let tally = multi_mcw_tally(symbols, alphabet_size);
    let n = (len - MCW_WINDOWS[0]) as u64;
    Some(prediction_estimate(tally.correct, n, tally.max_run, alphabet_size))
}

/// Maximum lag `D` of the Lag predictor (SP 800-90B 6.3.8 step 1).
const LAG_DEPTH: usize = 128;

/// Scores of the 128 lag predictors held as bit-sliced counters: bit `d - 1` of `planes[b]` is
/// bit `b` of the score of lag `d`, so one call adds 1 to any subset of the 128 scores with a
/// few 128-bit operations instead of up to 128 separate increments.
struct LagScores {
    planes: Vec<u128>,
    /// Highest score so far.
    top: u64,
    /// Lags whose score equals `top`.
    at_top: u128,
}

impl LagScores {
    fn new(max_count: usize) -> Self {
        let bits = (usize::BITS - max_count.leading_zeros()) as usize + 1;
        LagScores { planes: vec![0; bits], top: 0, at_top: u128::MAX }
    }

    /// Adds 1 to the score of every lag in `lanes`.
    fn increment(&mut self, lanes: u128) {
        let mut carry = lanes;
        for plane in &mut self.planes {
            if carry == 0 {
                break;
            }
            let next = *plane & carry;
            *plane ^= carry;
            carry = next;
        }
    }

    /// Lags among `lanes` whose score equals `value`. Low bits first: they differ most
    /// between lanes, so the candidate set usually empties after a few planes.
    fn equal_to(&self, value: u64, lanes: u128) -> u128 {
        let mut m = lanes;
        for (b, plane) in self.planes.iter().enumerate() {
            if m == 0 {
                break;
            }
            m &= if (value >> b) & 1 == 1 { *plane } else { !*plane };
        }
        m
    }
}

/// Lag prediction estimate (SP 800-90B 6.3.8).
///
/// 128 predictors guess that the next sample repeats the one `d` samples back (`d = 1..=128`);
/// after each sample every lag that would have been right scores a point, and the lag with the
/// highest score (ties: the largest such `d` among those just scored, as in the step-by-step
/// update of the specification) predicts the next sample. Returns `None` for fewer than three
/// samples or invalid input.
pub fn lag(symbols: &[u8], alphabet_size: usize) -> Option<f64> {
    let len = symbols.len();
    if len < 3 || !super::valid_symbols(symbols, alphabet_size) {
        return None;
    }
    // history[c] at time since[c]: bit d-1 set iff the sample d positions earlier was c.
    let mut history = [0u128; 256];
    let mut since = [0usize; 256];
    let mut scores = LagScores::new(len);
    let mut winner = 1usize;
    let mut tally = Tally::default();
    for (i, &sym) in symbols.iter().enumerate() {
        let c = usize::from(sym);
        let age = i - since[c];
        let lanes = if age >= LAG_DEPTH { 0 } else { history[c] << age };
        if i >= 1 {
            tally.record(symbols[i - winner] == sym);
        }
        if lanes != 0 {
            scores.increment(lanes);
            // Replaying the specification's d = 1..=128 loop ("winner = d if score[d] >=
            // score[winner]"): the last lag to reach the running maximum wins.
            let new_top = scores.at_top & lanes;
            if new_top != 0 {
                scores.top += 1;
                scores.at_top = new_top;
                winner = 128 - new_top.leading_zeros() as usize;
            } else {
                let reached = scores.equal_to(scores.top, lanes);
                if reached != 0 {
                    scores.at_top |= reached;
                    winner = 128 - reached.leading_zeros() as usize;
                }
            }
        }
        history[c] = (lanes << 1) | 1;
        since[c] = i + 1;
    }
    let n = (len - 1) as u64;
    Some(prediction_estimate(tally.correct, n, tally.max_run, alphabet_size))
}

/// Longest context (`D`) of the MultiMMC predictor (SP 800-90B 6.3.9 step 1).
const MMC_DEPTH: usize = 16;
/// Cap on the number of (context, next symbol) pairs each MultiMMC model may hold.
const MMC_MAX_ENTRIES: usize = 100_000;
/// Longest context (`B`) of the LZ78Y predictor (SP 800-90B 6.3.10 step 1).
const LZ_DEPTH: usize = 16;
/// Cap on the number of contexts in the LZ78Y dictionary.
const LZ_MAX_CONTEXTS: usize = 65_536;

/// A context seen before: its identifier (for the counts of its other followers) and its
/// prediction, the most frequent follower (ties: the larger symbol value) with its count.
#[derive(Clone, Copy)]
struct Context {
    id: u32,
    best: u8,
    best_count: u64,
}

/// Dictionary of contexts of length 1..=depth over a general alphabet (up to 256 symbols): one
/// hash table per context length, the context packed one byte per symbol (most recent in the
/// lowest byte) into a `u128`. The count of a context's current prediction is kept in the
/// context itself and only the other followers go to a shared table, since most long contexts
/// only ever see one follower.
struct Contexts {
    tables: Vec<IntMap<u128, Context>>,
    /// (context id << 8 | follower) -> count, for followers other than the context's `best`.
    others: IntMap<u64, u64>,
    next_id: u32,
    /// Optional per-length bit filter over the context hashes (`filter_bits` bits each, 0 for
    /// none): a clear bit proves a context absent without probing the hash table.
    filter: Vec<u64>,
    filter_bits: u32,
}

impl Contexts {
    fn new(depth: usize, per_table: usize, others: usize, filter_bits: u32) -> Self {
        let words = if filter_bits == 0 { 0 } else { (1usize << filter_bits) / 64 };
        Contexts {
            tables: (0..depth).map(|_| IntMap::with_capacity_and_hasher(per_table, Default::default())).collect(),
            others: IntMap::with_capacity_and_hasher(others, Default::default()),
            next_id: 0,
            filter: vec![0; depth * words],
            filter_bits,
        }
    }

    /// Word index and bit mask of a context in the filter.
    fn filter_slot(&self, len: usize, key: u128) -> (usize, u64) {
        let h = ((key as u64) ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            >> (64 - self.filter_bits);
        let words = (1usize << self.filter_bits) / 64;
        ((len - 1) * words + (h as usize >> 6), 1u64 << (h & 63))
    }

    fn find(&self, len: usize, key: u128) -> Option<Context> {
        if self.filter_bits > 0 {
            let (w, bit) = self.filter_slot(len, key);
            if self.filter[w] & bit == 0 {
                return None;
            }
        }
        self.tables[len - 1].get(&key).copied()
    }

    /// Counts `y` after the context `key` of length `len`, creating the context if needed; a
    /// follower not seen before is added only when `allow_new` (always for a new context).
    /// Returns whether a new (context, follower) pair was created.
    fn count(&mut self, len: usize, key: u128, y: u8, allow_new: bool) -> bool {
        let table = &mut self.tables[len - 1];
        let ctx = match table.get_mut(&key) {
            Some(c) => c,
            None => {
                table.insert(key, Context { id: self.next_id, best: y, best_count: 1 });
                self.next_id += 1;
                if self.filter_bits > 0 {
                    let (w, bit) = self.filter_slot(len, key);
                    self.filter[w] |= bit;
                }
                return true;
            }
        };
        if y == ctx.best {
            ctx.best_count += 1;
            return false;
        }
        let fkey = (u64::from(ctx.id) << 8) | u64::from(y);
        let (count, created) = match self.others.get_mut(&fkey) {
            Some(c) => {
                *c += 1;
                (*c, false)
            }
            None if allow_new => (1, true),
            None => return false,
        };
        if count > ctx.best_count || (count == ctx.best_count && y > ctx.best) {
            // `y` becomes the prediction; the old prediction's count moves to `others`.
            if !created {
                self.others.remove(&fkey);
            }
            let old = (u64::from(ctx.id) << 8) | u64::from(ctx.best);
            self.others.insert(old, ctx.best_count);
            ctx.best = y;
            ctx.best_count = count;
        } else if created {
            self.others.insert(fkey, 1);
        }
        created
    }
}

/// Context key of the `len` symbols ending just before `end`, packed `bits` bits per symbol
/// with the most recent symbol lowest.
fn context_key(symbols: &[u8], end: usize, len: usize, bits: u32) -> u128 {
    (0..len).fold(0u128, |k, m| k | (u128::from(symbols[end - 1 - m]) << (bits as usize * m)))
}

/// Follower counts of all binary contexts of length 1..=depth, in one flat array: the counts of
/// 0 and 1 after the `len`-bit context `c` (most recent bit lowest) are at
/// `offset(len) + 2c` and `offset(len) + 2c + 1`. Counts are `u32` below 2^32 samples, `u64`
/// otherwise.
struct BinaryContexts<T> {
    counts: Vec<T>,
}

/// Counter type of [`BinaryContexts`].
trait Counter: Copy + Default + PartialOrd + From<u8> + std::ops::Add<Output = Self> + Into<u64> {}
impl Counter for u32 {}
impl Counter for u64 {}

impl<T: Counter> BinaryContexts<T> {
    fn new(depth: usize) -> Self {
        BinaryContexts { counts: vec![T::default(); (4usize << depth) - 4] }
    }

    /// Index of the count of 0 after the `len`-bit context `ctx`.
    fn slot(len: usize, ctx: u32) -> usize {
        (2usize << len) - 4 + 2 * (ctx as usize & ((1usize << len) - 1))
    }
}

/// MultiMCW on binary data: with two symbols and odd full windows the most common value is
/// the majority; while a window is still filling, ties go to the most recent bit.
fn multi_mcw_binary(bits: &[u8]) -> Tally {
    let mut ones = [0usize; 4];
    let mut filled = [0usize; 4];
    let mut mode = [0u8; 4];
    let mut scores = [0u64; 4];
    let mut winner = 0usize;
    let mut tally = Tally::default();
    let widest = MCW_WINDOWS[3];
    for (i, &b) in bits.iter().enumerate().take(widest) {
        for j in 0..4 {
            if i < MCW_WINDOWS[j] {
                ones[j] += usize::from(b);
                filled[j] += 1;
                let zeros = filled[j] - ones[j];
                mode[j] = if ones[j] > zeros {
                    1
                } else if ones[j] < zeros {
                    0
                } else {
                    b
                };
            }
        }
    }
    for (i, &b) in bits.iter().enumerate().skip(MCW_WINDOWS[0]) {
        tally.record(mode[winner] == b);
        for j in 0..4 {
            let w = MCW_WINDOWS[j];
            if i >= w {
                if mode[j] == b {
                    scores[j] += 1;
                    if scores[j] >= scores[winner] {
                        winner = j;
                    }
                }
                ones[j] = ones[j] + usize::from(b) - usize::from(bits[i - w]);
                mode[j] = u8::from(2 * ones[j] > w);
            }
        }
    }
    tally
}

/// MultiMMC on binary data with flat count tables (see [`multi_mmc`] for the rules).
fn multi_mmc_binary<T: Counter>(bits: &[u8]) -> Tally {
    let mut table = BinaryContexts::<T>::new(MMC_DEPTH);
    let counts = &mut table.counts;
    let one = T::from(1);
    let mut entries = [0usize; MMC_DEPTH];
    for (d, entry) in entries.iter_mut().enumerate() {
        let ctx = context_key(bits, d + 1, d + 1, 1) as u32;
        counts[BinaryContexts::<T>::slot(d + 1, ctx) + usize::from(bits[d + 1])] = one;
        *entry = 1;
    }
    let mut scores = [0u64; MMC_DEPTH];
    let mut winner = 0usize;
    let mut winner_score = 0u64; // scores[winner]
    let mut tally = Tally::default();
    let mut history = u32::from(bits[0]) << 1 | u32::from(bits[1]);
    for (i, &sym) in bits.iter().enumerate().skip(2) {
        let leader = winner;
        let mut chain = true;
        // The scoring below is written without data-dependent branches: whether a model is
        // right is a coin flip on good data, and mispredicted branches dominated the run time.
        for (d, entry) in entries.iter_mut().enumerate().take(i - 1) {
            let slot = BinaryContexts::<T>::slot(d + 1, history);
            let (c0, c1) = (counts[slot], counts[slot + 1]);
            // A context is known when either follower has been counted; once one is
            // unknown, longer ones are not consulted for this bit.
            chain &= c0 > T::default() || c1 > T::default();
            let right = chain & (u8::from(c1 >= c0) == sym);
            scores[d] += u64::from(right);
            let take = right & (scores[d] >= winner_score);
            winner = if take { d } else { winner };
            winner_score = if take { scores[d] } else { winner_score };
            if d == leader && chain {
                tally.record_branchless(right);
            }
            // Count the follower: existing pairs always, new pairs while the model has room.
            let cell = &mut counts[slot + usize::from(sym)];
            if *cell > T::default() {
                *cell = *cell + one;
            } else if *entry < MMC_MAX_ENTRIES {
                *cell = one;
                *entry += 1;
            }
        }
        history = (history << 1) | u32::from(sym);
    }
    tally
}

/// Multi Markov Model with Counting prediction estimate (SP 800-90B 6.3.9).
///
/// Sixteen Markov models of order 1..=16 each predict the symbol that most often followed the
/// current context (ties: the larger symbol value); the model with the best score so far makes
/// the prediction. Each model stores at most 100,000 (context, follower) pairs. As in NIST's
/// tool, once a context is not found the longer contexts are not looked up for that sample, and
/// a sample on which the leading model has no prediction leaves the run of right predictions
/// unchanged. Returns `None` for fewer than four samples or invalid input.
pub fn multi_mmc(symbols: &[u8], alphabet_size: usize) -> Option<f64> {
    let len = symbols.len();
    if len < 4 || !super::valid_symbols(symbols, alphabet_size) {
        return None;
    }
    let tally = if alphabet_size == 2 && len >= MMC_DEPTH + 2 {
        if len < u32::MAX as usize { multi_mmc_binary::<u32>(symbols) } else { multi_mmc_binary::<u64>(symbols) }
    } else {
        multi_mmc_general(symbols)
    };
    let n = (len - 2) as u64;
    Some(prediction_estimate(tally.correct, n, tally.max_run, alphabet_size))
}

/// MultiMMC over any alphabet with hashed contexts.
fn multi_mmc_general(symbols: &[u8]) -> Tally {
    let len = symbols.len();
    let per_table = MMC_MAX_ENTRIES.min(len);
    let mut ctx = Contexts::new(MMC_DEPTH, per_table, per_table, 0);
    let mut entries = [0usize; MMC_DEPTH];
    // The pair formed by the first d + 1 samples and the next is entered up front: the main
    // loop below only forms contexts of length d + 1 from index d + 2 on.
    for (d, entry) in entries.iter_mut().enumerate() {
        if d + 2 < len {
            let key = context_key(symbols, d + 1, d + 1, 8);
            ctx.count(d + 1, key, symbols[d + 1], true);
            *entry = 1;
        }
    }
    let mut scores = [0u64; MMC_DEPTH];
    let mut winner = 0usize;
    let mut tally = Tally::default();
    for i in 2..len {
        let sym = symbols[i];
        let leader = winner;
        let mut known = true;
        let mut key = 0u128;
        for (d, entry) in entries.iter_mut().enumerate().take(i - 1) {
            key |= u128::from(symbols[i - 1 - d]) << (8 * d);
            let found = if known { ctx.find(d + 1, key) } else { None };
            known = found.is_some();
            match found {
                Some(c) => {
                    let right = c.best == sym;
                    if right {
                        scores[d] += 1;
                        if scores[d] >= scores[winner] {
                            winner = d;
                        }
                    }
                    if d == leader {
                        tally.record(right);
                    }
                    if ctx.count(d + 1, key, sym, *entry < MMC_MAX_ENTRIES) {
                        *entry += 1;
                    }
                }
                None => {
                    if *entry < MMC_MAX_ENTRIES {
                        ctx.count(d + 1, key, sym, true);
                        *entry += 1;
                    }
                }
            }
        }
    }
    tally
}

/// LZ78Y on binary data with flat count tables (see [`lz78y`] for the rules).
fn lz78y_binary<T: Counter>(bits: &[u8]) -> Tally {
    let mut table = BinaryContexts::<T>::new(LZ_DEPTH);
    let counts = &mut table.counts;
    // One bit per context (bit `slot / 2`): set once the context is in the dictionary. The
    // dictionary holds at most 65,536 of the 131,070 contexts and most lookups of long contexts
    // miss; this 16 KiB map answers them from the L1 cache instead of the 1 MiB count table.
    let mut known_map = vec![0u64; counts.len().div_ceil(128)];
    let one = T::from(1);
    for j in 1..=LZ_DEPTH {
        let ctx = context_key(bits, LZ_DEPTH, j, 1) as u32;
        let slot = BinaryContexts::<T>::slot(j, ctx);
        counts[slot + usize::from(bits[LZ_DEPTH])] = one;
        known_map[slot >> 7] |= 1 << ((slot >> 1) & 63);
    }
    let mut contexts = LZ_DEPTH;
    let mut tally = Tally::default();
    let mut history = context_key(bits, LZ_DEPTH + 1, LZ_DEPTH, 1) as u32;
    for &sym in &bits[LZ_DEPTH + 1..] {
        let mut prediction = 2u8; // none
        let mut max_count = 0u64;
        for j in (1..=LZ_DEPTH).rev() {
            let slot = BinaryContexts::<T>::slot(j, history);
            let bit = 1u64 << ((slot >> 1) & 63);
            if known_map[slot >> 7] & bit != 0 {
                let (c0, c1) = (counts[slot], counts[slot + 1]);
                let ones = c1 >= c0;
                let best: u64 = if ones { c1.into() } else { c0.into() };
                // Branch-free selection (the comparison is unpredictable).
                let better = best > max_count;
                max_count = if better { best } else { max_count };
                prediction = if better { u8::from(ones) } else { prediction };
                let cell = &mut counts[slot + usize::from(sym)];
                *cell = *cell + one;
            } else if contexts < LZ_MAX_CONTEXTS {
                counts[slot + usize::from(sym)] = one;
                known_map[slot >> 7] |= bit;
                contexts += 1;
            }
        }
        tally.record_branchless(prediction == sym);
        history = (history << 1) | u32::from(sym);
    }
    tally
}

/// LZ78Y prediction estimate (SP 800-90B 6.3.10).
///
/// A dictionary of up to 65,536 contexts of length 1..=16 records which symbols followed each
/// context; the prediction is the most frequent follower of the longest-counted context present
/// (the first, from length 16 down, with the strictly highest count; ties within a context: the
/// larger symbol value). Returns `None` for fewer than 19 samples or invalid input.
pub fn lz78y(symbols: &[u8], alphabet_size: usize) -> Option<f64> {
    let len = symbols.len();
    if len < LZ_DEPTH + 3 || !super::valid_symbols(symbols, alphabet_size) {
        return None;
    }
    let tally = if alphabet_size == 2 {
        if len < u32::MAX as usize { lz78y_binary::<u32>(symbols) } else { lz78y_binary::<u64>(symbols) }
    } else {
        lz78y_general(symbols)
    };
    let n = (len - LZ_DEPTH - 1) as u64;
    Some(prediction_estimate(tally.correct, n, tally.max_run, alphabet_size))
}

/// LZ78Y over any alphabet with hashed contexts.
fn lz78y_general(symbols: &[u8]) -> Tally {
    let mut ctx = Contexts::new(LZ_DEPTH, LZ_MAX_CONTEXTS / LZ_DEPTH, LZ_MAX_CONTEXTS, 16);
    // The contexts ending at index 15, followed by symbols[16], start the dictionary.
    for j in 1..=LZ_DEPTH {
        let key = context_key(symbols, LZ_DEPTH, j, 8);
        ctx.count(j, key, symbols[LZ_DEPTH], true);
    }
    let mut contexts = LZ_DEPTH;
    let mut tally = Tally::default();
    let mut keys = [0u128; LZ_DEPTH + 1];
    for i in LZ_DEPTH + 1..symbols.len() {
        let sym = symbols[i];
        for j in 1..=LZ_DEPTH {
            keys[j] = keys[j - 1] | (u128::from(symbols[i - j]) << (8 * (j - 1)));
        }
        let mut prediction: Option<u8> = None;
        let mut max_count = 0u64;
        for j in (1..=LZ_DEPTH).rev() {
            match ctx.find(j, keys[j]) {
                Some(c) => {
                    if c.best_count > max_count {
                        max_count = c.best_count;
                        prediction = Some(c.best);
                    }
                    ctx.count(j, keys[j], sym, true);
                }
                None => {
                    if contexts < LZ_MAX_CONTEXTS {
                        ctx.count(j, keys[j], sym, true);
                        contexts += 1;
                    }
                }
            }
        }
        tally.record(prediction == Some(sym));
    }
    tally
}

/// MultiMCW dispatch: binary data take the majority-count shortcut.
fn multi_mcw_tally(symbols: &[u8], alphabet_size: usize) -> Tally {
    if alphabet_size == 2 { multi_mcw_binary(symbols) } else { multi_mcw_general(symbols, alphabet_size) }
}

/// MultiMCW over any alphabet, with one [`WindowMode`] per window.
fn multi_mcw_general(symbols: &[u8], alphabet_size: usize) -> Tally {
    let mut windows: Vec<WindowMode> = MCW_WINDOWS.iter().map(|&w| WindowMode::new(w)).collect();
    let mut scores = [0u64; 4];
    let mut winner = 0usize;
    let mut tally = Tally::default();
    let widest = MCW_WINDOWS[MCW_WINDOWS.len() - 1];
    // Each window first takes its initial `width` samples; predictions start at index 63.
    for (i, &sym) in symbols.iter().enumerate().take(widest) {
        for w in windows.iter_mut().filter(|w| i < w.width) {
            w.push(sym, i);
        }
    }
    for (i, &sym) in symbols.iter().enumerate().skip(MCW_WINDOWS[0]) {
        tally.record(windows[winner].mode == sym);
        for (j, w) in windows.iter().enumerate() {
            if i >= w.width && w.mode == sym {
                scores[j] += 1;
                if scores[j] >= scores[winner] {
                    winner = j;
                }
            }
        }
        for w in windows.iter_mut().filter(|w| i >= w.width) {
            let old = symbols[i - w.width];
            w.slide(old, sym, i, alphabet_size);
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// Straightforward Lag predictor (the specification's loop over d = 1..=128).
    fn naive_lag(s: &[u8], k: usize) -> f64 {
        let mut score = [0u64; LAG_DEPTH + 1];
        let mut winner = 1;
        let mut tally = Tally::default();
        for i in 1..s.len() {
            tally.record(s[i - winner] == s[i]);
            for d in 1..=LAG_DEPTH.min(i) {
                if s[i - d] == s[i] {
                    score[d] += 1;
                    if score[d] >= score[winner] {
                        winner = d;
                    }
                }
            }
        }
        prediction_estimate(tally.correct, (s.len() - 1) as u64, tally.max_run, k)
    }

    #[test]
    fn lag_matches_naive() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for k in [2usize, 3, 7, 256] {
            for len in [3usize, 10, 200, 5000] {
                let s: Vec<u8> = (0..len)
                    .map(|i| {
                        let r = xorshift(&mut seed);
                        // Mix noise with a period-5 pattern so that lags matter.
                        if r.is_multiple_of(3) { (i % 5 % k) as u8 } else { (r % k as u64) as u8 }
                    })
                    .collect();
                assert_eq!(lag(&s, k), Some(naive_lag(&s, k)), "k {k} len {len}");
            }
        }
    }

    #[test]
    fn predictors_on_periodic_data_find_no_entropy() {
        let s: Vec<u8> = (0..10_000).map(|i| (i % 3) as u8).collect();
        for h in [lag(&s, 3), multi_mmc(&s, 3), lz78y(&s, 3)] {
            let h = h.unwrap();
            assert!(h < 0.01, "{h}");
        }
        // Every window holds each symbol equally often, and the tie goes to the most recent
        // one, which is never next: MultiMCW predicts nothing right, so only the 1/k bound.
        let h = multi_mcw(&s, 3).unwrap();
        assert!((h - 3f64.log2()).abs() < 1e-12, "{h}");
        // Mostly-constant binary data: the binary MultiMCW path.
        let b: Vec<u8> = (0..10_000).map(|i| u8::from(i % 97 == 0)).collect();
        assert!(multi_mcw(&b, 2).unwrap() < 0.1);
    }

    /// The flat-table binary MultiMMC and LZ78Y agree with the hashed general code, including
    /// once MultiMMC's longest model is full (more than 100,000 pairs) and LZ78Y's dictionary
    /// is full (65,536 contexts).
    #[test]
    fn binary_context_models_match_general() {
        let mut seed = 0xfeed_face_dead_beefu64;
        for bias in [2u64, 4] {
            let b: Vec<u8> = (0..400_000).map(|_| u8::from(xorshift(&mut seed).is_multiple_of(bias))).collect();
            let (x, y) = (multi_mmc_binary::<u32>(&b), multi_mmc_general(&b));
            assert_eq!((x.correct, x.max_run), (y.correct, y.max_run));
            let (x, y) = (lz78y_binary::<u64>(&b), lz78y_general(&b));
            assert_eq!((x.correct, x.max_run), (y.correct, y.max_run));
        }
    }

    /// MultiMCW's binary shortcut agrees with the general sliding-window code.
    #[test]
    fn multi_mcw_binary_matches_general() {
        let mut seed = 0x0123_4567_89ab_cdefu64;
        for bias in [2u64, 3, 5] {
            let b: Vec<u8> = (0..20_000).map(|_| u8::from(xorshift(&mut seed).is_multiple_of(bias))).collect();
            let fast = multi_mcw_binary(&b);
            let general = multi_mcw_general(&b, 2);
            assert_eq!((fast.correct, fast.max_run), (general.correct, general.max_run));
        }
    }

    #[test]
    fn too_short_inputs() {
        assert_eq!(multi_mcw(&[0u8; 4095], 2), None);
        assert!(multi_mcw(&[0u8; 4096], 2).is_some());
        assert_eq!(lag(&[0, 1], 2), None);
        assert_eq!(multi_mmc(&[0, 1, 0], 2), None);
        assert_eq!(lz78y(&[0; 18], 2), None);
        assert!(lz78y(&[0; 19], 2).is_some());
        assert_eq!(lag(&[0, 1, 2], 2), None);
    }
}
