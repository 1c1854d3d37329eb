//! AES-256 CTR_DRBG (NIST SP 800-90A Rev. 1, §10.2.1), with and without the derivation function.
//!
//! [`CtrDrbgCore`] is the deterministic mechanism — instantiate, reseed, generate — taking entropy as
//! arguments; it is what the CAVP and ACVP vectors check. [`CtrDrbg`] is the generator applications
//! use: it seeds itself through a [`SeedPolicy`], reseeds on schedule, on demand (prediction resistance)
//! and after a `fork`, splits large requests into ≤ 64 KiB generates with the backtracking-protection
//! update after each, and implements `rand_core`'s fallible RNG traits.
//!
//! Fork detection has two signals: a fork *generation counter* that a `pthread_atfork` child handler
//! increments (registered by the `forkguard` crate; Unix), and a change of process id. The pid alone
//! misses pid reuse — a process whose parent has exited can fork a child that gets the parent's old pid
//! and would then repeat the parent's output; the counter does not, and the pid still catches children
//! created by a raw `clone` that bypasses the atfork handlers. Either signal sets a *reseed pending* flag
//! that only a successful reseed clears, so a reseed that fails (every source down) is retried before the
//! next output rather than forgotten.
//! [`CtrDrbgRng`] is the infallible view for APIs that need `rand_core::CryptoRng`: it fails closed by
//! panicking if reseeding ever fails.
//!
//! Written here because no crate offers this: the `drbg` crate supports only the derivation-function
//! variant, without prediction resistance or fork detection, and is several times slower (BENCHMARKS.md).
//! The block cipher is RustCrypto's `aes` (AES-NI / VAES), and output blocks are produced by RustCrypto's
//! `ctr` (CTR mode is exactly SP 800-90A's "V = V + 1; output E(K, V)" loop), so the keystream runs many
//! blocks at a time.
//!
//! ```
//! use qres::rng::CtrDrbg;
//! use rand_core::TryRng;
//! let mut drbg = CtrDrbg::from_os()?;
//! let mut key = [0u8; 32];
//! drbg.try_fill_bytes(&mut key)?;
//! // Any qres (or RustCrypto) API that takes an RNG accepts it:
//! let kem = qres::default_provider().kem(qres::KemId::X_WING)?;
//! let sk = kem.generate(&mut drbg)?;
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::rng::seed::SeedPolicy;
use crate::secret::SecretBytes;
use aes::Aes256Enc;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use std::convert::Infallible;
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// Key length (AES-256).
const KEY_LEN: usize = 32;
/// Block length.
const BLOCK_LEN: usize = 16;
/// `seedlen` = key length + block length.
pub const SEED_LEN: usize = KEY_LEN + BLOCK_LEN;
/// Largest output of one generate call (SP 800-90A Table 3: 2^19 bits).
pub const MAX_BYTES_PER_REQUEST: usize = 1 << 16;
/// Largest reseed interval SP 800-90A allows (2^48 generate calls).
pub const MAX_RESEED_INTERVAL: u64 = 1 << 48;
/// Cap on entropy, nonce, personalization and additional inputs (SP 800-90A allows up to 2^35 bits; a
/// smaller cap stops accidental huge allocations).
pub const MAX_INPUT_LEN: usize = 1 << 20;
/// Security strength in bits.
pub const SECURITY_STRENGTH: usize = 256;

fn check_input(what: &'static str, input: &[u8], max: usize) -> Result<()> {
    if input.len() > max {
        return Err(Error::LengthOutOfRange { what, min: 0, max, actual: input.len() });
    }
    Ok(())
}

/// `Block_Cipher_df` (SP 800-90A §10.3.2) with AES-256, returning `seedlen` bytes, over the
/// concatenation of `parts`.
fn block_cipher_df(parts: &[&[u8]]) -> SecretBytes {
    let input_len: usize = parts.iter().map(|p| p.len()).sum();
    // S = L || N || input || 0x80, zero-padded to whole blocks.
    let mut s = Vec::with_capacity(8 + input_len + BLOCK_LEN);
    s.extend_from_slice(&(input_len as u32).to_be_bytes());
    s.extend_from_slice(&(SEED_LEN as u32).to_be_bytes());
    for p in parts {
        s.extend_from_slice(p);
    }
    s.push(0x80);
    s.resize(s.len().div_ceil(BLOCK_LEN) * BLOCK_LEN, 0);
    let s = SecretBytes::new(s);

    let mut k = [0u8; KEY_LEN];
    for (i, b) in k.iter_mut().enumerate() {
        *b = i as u8;
    }
    let cipher = Aes256Enc::new(&k.into());
    let mut temp = [0u8; SEED_LEN];
    for (i, chunk) in temp.chunks_mut(BLOCK_LEN).enumerate() {
        // BCC(K, IV || S) where IV = i as a 32-bit integer padded to a block.
        let mut chain = [0u8; BLOCK_LEN];
        chain[..4].copy_from_slice(&(i as u32).to_be_bytes());
        cipher.encrypt_block((&mut chain).into());
        for block in s.as_bytes().chunks(BLOCK_LEN) {
            for (c, b) in chain.iter_mut().zip(block) {
                *c ^= b;
            }
            cipher.encrypt_block((&mut chain).into());
        }
        chunk.copy_from_slice(&chain);
        chain.zeroize();
    }
    let cipher = Aes256Enc::new((&temp[..KEY_LEN]).try_into().expect("32 bytes"));
    let mut x = [0u8; BLOCK_LEN];
    x.copy_from_slice(&temp[KEY_LEN..]);
    let mut out = SecretBytes::zeroed(SEED_LEN);
    for chunk in out.as_mut_bytes().chunks_mut(BLOCK_LEN) {
        cipher.encrypt_block((&mut x).into());
        chunk.copy_from_slice(&x);
    }
    temp.zeroize();
    k.zeroize();
    x.zeroize();
    out
}

/// The deterministic CTR_DRBG mechanism (SP 800-90A §10.2.1) with AES-256 and a 128-bit counter.
///
/// The caller supplies all entropy. Most applications want [`CtrDrbg`] instead.
pub struct CtrDrbgCore {
    key: Aes256Enc,
    v: [u8; BLOCK_LEN],
    reseed_counter: u64,
    use_df: bool,
}

impl CtrDrbgCore {
    /// `CTR_DRBG_Instantiate`. With the derivation function `entropy` must hold at least 32 bytes (the
    /// security strength); without it, exactly 48 bytes of full entropy, `nonce` is ignored (it must be
    /// empty) and `personalization` may hold at most 48 bytes.
    pub fn instantiate(entropy: &[u8], nonce: &[u8], personalization: &[u8], use_df: bool) -> Result<Self> {
        let mut core =
            Self { key: Aes256Enc::new(&[0u8; KEY_LEN].into()), v: [0; BLOCK_LEN], reseed_counter: 1, use_df };
        let seed_material = if use_df {
            Self::check_df_entropy(entropy)?;
            check_input("CTR_DRBG nonce", nonce, MAX_INPUT_LEN)?;
            check_input("CTR_DRBG personalization string", personalization, MAX_INPUT_LEN)?;
            block_cipher_df(&[entropy, nonce, personalization])
        } else {
            if !nonce.is_empty() {
                return Err(Error::InvalidInput("CTR_DRBG without derivation function takes no nonce"));
            }
            Self::xor_padded(entropy, personalization, "CTR_DRBG personalization string")?
        };
        core.update(seed_material.as_bytes());
        Ok(core)
    }

    /// `CTR_DRBG_Reseed` with fresh `entropy` and optional `additional` input.
    pub fn reseed(&mut self, entropy: &[u8], additional: &[u8]) -> Result<()> {
        let seed_material = if self.use_df {
            Self::check_df_entropy(entropy)?;
            check_input("CTR_DRBG additional input", additional, MAX_INPUT_LEN)?;
            block_cipher_df(&[entropy, additional])
        } else {
            Self::xor_padded(entropy, additional, "CTR_DRBG additional input")?
        };
        self.update(seed_material.as_bytes());
        self.reseed_counter = 1;
        Ok(())
    }

    /// `CTR_DRBG_Generate`: fills `out` (at most [`MAX_BYTES_PER_REQUEST`] bytes) with optional
    /// `additional` input. Fails when the reseed counter has passed [`MAX_RESEED_INTERVAL`].
    pub fn generate(&mut self, out: &mut [u8], additional: &[u8]) -> Result<()> {
        if out.len() > MAX_BYTES_PER_REQUEST {
            return Err(Error::LengthOutOfRange {
                what: "CTR_DRBG request",
                min: 0,
                max: MAX_BYTES_PER_REQUEST,
                actual: out.len(),
            });
        }
        if self.reseed_counter > MAX_RESEED_INTERVAL {
            return Err(Error::ReseedRequired);
        }
        let additional = if additional.is_empty() {
            None
        } else if self.use_df {
            check_input("CTR_DRBG additional input", additional, MAX_INPUT_LEN)?;
            Some(block_cipher_df(&[additional]))
        } else {
            Some(Self::xor_padded(&[0u8; SEED_LEN], additional, "CTR_DRBG additional input")?)
        };
        if let Some(a) = &additional {
            self.update(a.as_bytes());
        }
        self.keystream(out);
        match &additional {
            Some(a) => self.update(a.as_bytes()),
            None => self.update(&[0u8; SEED_LEN]),
        }
        self.reseed_counter += 1;
        Ok(())
    }

    /// Generate calls since the last (re)seed, plus one (SP 800-90A's `reseed_counter`).
    pub fn reseed_counter(&self) -> u64 {
        self.reseed_counter
    }

    /// Whether the derivation function is in use.
    pub fn uses_df(&self) -> bool {
        self.use_df
    }

    fn check_df_entropy(entropy: &[u8]) -> Result<()> {
        if entropy.len() < SECURITY_STRENGTH / 8 || entropy.len() > MAX_INPUT_LEN {
            return Err(Error::LengthOutOfRange {
                what: "CTR_DRBG entropy input",
                min: SECURITY_STRENGTH / 8,
                max: MAX_INPUT_LEN,
                actual: entropy.len(),
            });
        }
        Ok(())
    }

    /// `entropy XOR (input || 0...)`, for the variant without derivation function.
    fn xor_padded(entropy: &[u8], input: &[u8], what: &'static str) -> Result<SecretBytes> {
        if entropy.len() != SEED_LEN {
            return Err(Error::InvalidLength {
                what: "CTR_DRBG entropy input (no df)",
                expected: SEED_LEN,
                actual: entropy.len(),
            });
        }
        check_input(what, input, SEED_LEN)?;
        let mut out = SecretBytes::from_slice(entropy);
        for (o, i) in out.as_mut_bytes().iter_mut().zip(input) {
            *o ^= i;
        }
        Ok(out)
    }

    /// Writes `E(K, V+1) || E(K, V+2) || ...` to `out` and advances `V` past the blocks used: the counter
    /// blocks are written in place and encrypted in one call, so the `aes` crate runs as many blocks in
    /// parallel as the CPU allows (VAES).
    fn keystream(&mut self, out: &mut [u8]) {
        let mut counter = u128::from_be_bytes(self.v);
        let (blocks, tail) = aes::Block::slice_as_chunks_mut(out);
        for block in blocks.iter_mut() {
            counter = counter.wrapping_add(1);
            block.copy_from_slice(&counter.to_be_bytes());
        }
        self.key.encrypt_blocks(blocks);
        if !tail.is_empty() {
            counter = counter.wrapping_add(1);
            let mut last = aes::Block::from(counter.to_be_bytes());
            self.key.encrypt_block(&mut last);
            tail.copy_from_slice(&last[..tail.len()]);
            last.zeroize();
        }
        self.v = counter.to_be_bytes();
    }

    /// `CTR_DRBG_Update` (§10.2.1.2).
    fn update(&mut self, provided: &[u8]) {
        debug_assert_eq!(provided.len(), SEED_LEN);
        let mut temp = [0u8; SEED_LEN];
        self.keystream(&mut temp);
        for (t, p) in temp.iter_mut().zip(provided) {
            *t ^= p;
        }
        self.key = Aes256Enc::new((&temp[..KEY_LEN]).try_into().expect("32 bytes"));
        self.v.copy_from_slice(&temp[KEY_LEN..]);
        temp.zeroize();
    }
}

impl Drop for CtrDrbgCore {
    fn drop(&mut self) {
        // The AES key schedule zeroizes itself (the `aes` crate's `zeroize` feature).
        self.v.zeroize();
    }
}

impl core::fmt::Debug for CtrDrbgCore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CtrDrbgCore")
            .field("use_df", &self.use_df)
            .field("reseed_counter", &self.reseed_counter)
            .field("state", &"[redacted]")
            .finish()
    }
}

/// When a [`CtrDrbg`] reseeds.
#[derive(Clone, Debug)]
pub struct DrbgConfig {
    /// Reseed before every request (SP 800-90A prediction resistance). Costs a read of every entropy
    /// source per request.
    pub prediction_resistance: bool,
    /// Reseed after this many generate calls (at most [`MAX_RESEED_INTERVAL`]).
    pub reseed_interval: u64,
    /// Also reseed when this much time has passed since the last (re)seed.
    pub reseed_after: Option<Duration>,
    /// Personalization string mixed in at instantiation (e.g. an application and host name).
    pub personalization: Vec<u8>,
}

impl Default for DrbgConfig {
    /// No prediction resistance, reseed every 2^24 requests or every hour, personalization
    /// `"qres CtrDrbg"`.
    fn default() -> Self {
        Self {
            prediction_resistance: false,
            reseed_interval: 1 << 24,
            reseed_after: Some(Duration::from_secs(3600)),
            personalization: b"qres CtrDrbg".to_vec(),
        }
    }
}

/// A self-seeding, fork-safe AES-256 CTR_DRBG with the derivation function.
///
/// Entropy comes from a [`SeedPolicy`]: 384 bits of assessed entropy to instantiate, 256 to reseed,
/// combined from every healthy source through the derivation function (so one dishonest source cannot
/// choose the state). Requests larger than 64 KiB are split into several generates.
pub struct CtrDrbg {
    core: CtrDrbgCore,
    policy: SeedPolicy,
    config: DrbgConfig,
    seeded_at: Instant,
    pid: u32,
    #[cfg(unix)]
    fork_guard: forkguard::atfork::Guard,
    reseed_pending: bool,
    reseeds: u64,
}

impl CtrDrbg {
    /// Instantiates from `policy` with `config`.
    pub fn new(mut policy: SeedPolicy, config: DrbgConfig) -> Result<Self> {
        if config.reseed_interval == 0 || config.reseed_interval > MAX_RESEED_INTERVAL {
            return Err(Error::LengthOutOfRange {
                what: "CTR_DRBG reseed interval",
                min: 1,
                max: MAX_RESEED_INTERVAL as usize,
                actual: config.reseed_interval as usize,
            });
        }
        // Registered (once per process) before the state exists, so no fork can go unseen.
        #[cfg(unix)]
        let fork_guard = forkguard::atfork::Guard::try_new().map_err(|e| {
            tracing::error!(error = %e, "CtrDrbg: cannot register its fork handler");
            Error::RandomnessUnavailable
        })?;
        let entropy = policy.gather_for_instantiate()?;
        let nonce = crate::rng::seed::unique_nonce();
        let core = CtrDrbgCore::instantiate(entropy.as_bytes(), &nonce, &config.personalization, true)?;
        Ok(Self {
            core,
            policy,
            config,
            seeded_at: Instant::now(),
            pid: std::process::id(),
            #[cfg(unix)]
            fork_guard,
            reseed_pending: false,
            reseeds: 0,
        })
    }

    /// Seeded from the operating system's RNG alone, with the default configuration.
    pub fn from_os() -> Result<Self> {
        Self::new(SeedPolicy::os(), DrbgConfig::default())
    }

    /// Reseeds now with fresh entropy and optional additional input. Success clears a pending
    /// fork-triggered reseed.
    pub fn reseed(&mut self, additional: &[u8]) -> Result<()> {
        self.check_fork();
        let entropy = self.policy.gather_for_reseed()?;
        self.core.reseed(entropy.as_bytes(), additional)?;
        self.seeded_at = Instant::now();
        self.pid = std::process::id();
        self.reseed_pending = false;
        self.reseeds += 1;
        Ok(())
    }

    /// Whether a fork was detected and the reseed it requires has not succeeded yet.
    pub fn reseed_pending(&self) -> bool {
        self.reseed_pending
    }

    /// Sets the pending flag if this process is a fork child the state has not been reseeded in: the
    /// atfork generation counter moved, or the pid changed. Only a successful reseed clears the flag.
    fn check_fork(&mut self) {
        #[cfg(unix)]
        if self.fork_guard.detected_fork() {
            self.reseed_pending = true;
        }
        if std::process::id() != self.pid {
            self.reseed_pending = true;
        }
    }

    /// How many times this generator has reseeded since instantiation.
    pub fn reseed_count(&self) -> u64 {
        self.reseeds
    }

    /// The seeding policy (e.g. to inspect its sources' health).
    pub fn policy(&self) -> &SeedPolicy {
        &self.policy
    }

    /// Fills `dest`, mixing `additional` input into every internal generate.
    pub fn fill_with_additional(&mut self, dest: &mut [u8], additional: &[u8]) -> Result<()> {
        for chunk in dest.chunks_mut(MAX_BYTES_PER_REQUEST) {
            self.check_fork();
            if self.reseed_due() {
                // SP 800-90A §9.3.1 step 7: a reseed takes the additional input, which the generate then
                // does not repeat.
                self.reseed(additional)?;
                self.core.generate(chunk, &[])?;
            } else {
                self.core.generate(chunk, additional)?;
            }
        }
        Ok(())
    }

    fn reseed_due(&self) -> bool {
        self.reseed_pending
            || self.config.prediction_resistance
            || self.core.reseed_counter() > self.config.reseed_interval
            || self.config.reseed_after.is_some_and(|d| self.seeded_at.elapsed() >= d)
    }
}

impl core::fmt::Debug for CtrDrbg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CtrDrbg")
            .field("core", &self.core)
            .field("config", &self.config)
            .field("reseeds", &self.reseeds)
            .field("reseed_pending", &self.reseed_pending)
            .finish_non_exhaustive()
    }
}

impl rand_core::TryRng for CtrDrbg {
    type Error = Error;

    fn try_next_u32(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<()> {
        self.fill_with_additional(dest, &[])
    }
}

impl rand_core::TryCryptoRng for CtrDrbg {}

/// A [`CtrDrbg`] as an infallible `rand_core::CryptoRng`, for APIs that cannot take a fallible RNG.
///
/// **Fails closed**: if the generator cannot reseed when it must (every source failed its health tests
/// or errored and no fallback is configured), it panics rather than return unseeded output.
#[derive(Debug)]
pub struct CtrDrbgRng(pub CtrDrbg);

impl rand_core::TryRng for CtrDrbgRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> core::result::Result<u32, Infallible> {
        Ok(rand_core::TryRng::try_next_u32(&mut self.0).unwrap_or_else(|e| fail_closed(&e)))
    }

    fn try_next_u64(&mut self) -> core::result::Result<u64, Infallible> {
        Ok(rand_core::TryRng::try_next_u64(&mut self.0).unwrap_or_else(|e| fail_closed(&e)))
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> core::result::Result<(), Infallible> {
        if let Err(e) = self.0.fill_with_additional(dest, &[]) {
            dest.zeroize();
            fail_closed(&e)
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for CtrDrbgRng {}

fn fail_closed(e: &Error) -> ! {
    panic!("CtrDrbg cannot produce output and fails closed: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_wraps_modulo_2_128() {
        let mut d = CtrDrbgCore::instantiate(&[7u8; 48], &[], &[], true).unwrap();
        d.v = [0xff; BLOCK_LEN];
        let mut out = [0u8; 40];
        d.keystream(&mut out);
        // Blocks used V = 0, 1, 2 after the wrap.
        assert_eq!(d.v, 2u128.to_be_bytes());
        let mut block = aes::Block::from([0u8; 16]);
        d.key.encrypt_block(&mut block);
        assert_eq!(&out[..16], &block[..]);
    }

    #[test]
    fn split_requests_equal_separate_generates() {
        // A 100,000-byte fill is two generates (65,536 + 34,464), each followed by the update.
        let mut a = CtrDrbgCore::instantiate(&[7u8; 48], &[1u8; 16], b"p", true).unwrap();
        let mut b = CtrDrbgCore::instantiate(&[7u8; 48], &[1u8; 16], b"p", true).unwrap();
        let mut big = vec![0u8; 100_000];
        for chunk in big.chunks_mut(MAX_BYTES_PER_REQUEST) {
            a.generate(chunk, &[]).unwrap();
        }
        let mut first = vec![0u8; MAX_BYTES_PER_REQUEST];
        let mut second = vec![0u8; 100_000 - MAX_BYTES_PER_REQUEST];
        b.generate(&mut first, &[]).unwrap();
        b.generate(&mut second, &[]).unwrap();
        assert_eq!(&big[..MAX_BYTES_PER_REQUEST], &first[..]);
        assert_eq!(&big[MAX_BYTES_PER_REQUEST..], &second[..]);
        assert!(a.generate(&mut vec![0u8; MAX_BYTES_PER_REQUEST + 1], &[]).is_err());
    }

    #[test]
    fn input_lengths_are_checked() {
        assert!(matches!(CtrDrbgCore::instantiate(&[0; 31], &[], &[], true), Err(Error::LengthOutOfRange { .. })));
        assert!(matches!(CtrDrbgCore::instantiate(&[0; 47], &[], &[], false), Err(Error::InvalidLength { .. })));
        assert!(CtrDrbgCore::instantiate(&[0; 48], &[1], &[], false).is_err());
        assert!(CtrDrbgCore::instantiate(&[0; 48], &[], &[0; 49], false).is_err());
        let mut d = CtrDrbgCore::instantiate(&[0; 48], &[], &[0; 48], false).unwrap();
        assert!(d.generate(&mut [0; 16], &[0; 49]).is_err());
        assert!(d.reseed(&[0; 48], &[0; 48]).is_ok());
    }

    #[test]
    fn debug_hides_state() {
        let d = CtrDrbgCore::instantiate(&[9u8; 48], &[], &[], true).unwrap();
        assert!(format!("{d:?}").contains("redacted"));
    }
}
