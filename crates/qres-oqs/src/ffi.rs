//! The boundary to liboqs: the one module of qres-oqs that contains `unsafe` code.
//!
//! Everything here is a thin, checked wrapper over liboqs' C API as bound by `oqs-sys` (re-exported as
//! `oqs::ffi`):
//!
//! * [`RawKem`] and [`RawSig`] own an `OQS_KEM` / `OQS_SIG` object and call its function pointers. Every
//!   buffer handed to C is a Rust slice whose length is compared with the object's declared length *before*
//!   the call; a mismatch is a typed error, never a call.
//! * Randomness: liboqs draws all of its randomness through `OQS_randombytes`. At first use this crate installs
//!   [`randombytes_hook`] with `OQS_randombytes_custom_algorithm`; during a call made through
//!   [`with_rng`] the hook serves bytes from the caller's [`DynCryptoRng`] (a thread-local pointer, so
//!   concurrent calls on other threads are unaffected), otherwise it serves the operating system's RNG as
//!   liboqs' default would. This is how qres reaches liboqs' randomness:
//!   - ML-KEM encapsulation with given `m`: liboqs 0.13 has no `OQS_KEM_encaps_derand`; its ML-KEM
//!     (mlkem-native) draws exactly the 32 bytes of `m` from `OQS_randombytes`, so serving `m` there is the
//!     derandomized encapsulation;
//!   - ML-DSA key generation from a seed and signing with given `rnd`: liboqs 0.13 exposes neither
//!     `keypair_derand` nor a signing call taking `rnd` for ML-DSA; its implementation draws exactly the
//!     32-byte seed `xi` (key generation) and the 32-byte `rnd` (hedged signing);
//!   - every other algorithm's key generation, encapsulation and signing draw from the caller's RNG, and
//!     the NIST-style KAT DRBG of the tests plugs in the same way.
//!
//!   Callers that serve fixed bytes check afterwards that exactly those bytes were drawn (see
//!   [`FixedBytes`]), so a change in liboqs' internals, or another library replacing the hook, is an
//!   error rather than a silent difference.
//!
//! Why not the safe `oqs` API: it returns secret keys and shared secrets in plain `Vec`s that are never
//! zeroized, cannot write into our zeroizing buffers, has no hook for randomness, and its algorithm enum
//! lacks liboqs 0.13's Falcon-padded-512/1024. The wrappers below are the few lines it would have saved.
//!
//! Not exposed by liboqs 0.13 at all (so not offered by this backend): derandomized key generation for
//! any KEM but ML-KEM, HashML-DSA, ML-DSA's internal and external-mu interfaces, and validity checks of
//! encoded keys (the FIPS 203 checks are done in Rust, in `mlkem_checks.rs`).
#![allow(unsafe_code)]

use core::ffi::{CStr, c_char};
use core::ptr::NonNull;
use oqs::ffi::common::OQS_STATUS;
use oqs::ffi::kem::{
    OQS_KEM, OQS_KEM_alg_count, OQS_KEM_alg_identifier, OQS_KEM_alg_is_enabled, OQS_KEM_free, OQS_KEM_new,
};
use oqs::ffi::rand::OQS_randombytes_custom_algorithm;
use oqs::ffi::sig::{
    OQS_SIG, OQS_SIG_alg_count, OQS_SIG_alg_identifier, OQS_SIG_alg_is_enabled, OQS_SIG_free, OQS_SIG_new,
};
use qres::DynCryptoRng;
use qres::{Error, Result};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

/// Initialises liboqs (CPU feature detection) and installs the randomness hook, once per process.
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        oqs::init();
        // SAFETY: `randombytes_hook` has the signature liboqs expects and stays valid for the life of the
        // process; liboqs only stores the pointer. Running inside `Once` means no other thread of ours
        // calls liboqs before the hook is in place.
        unsafe { OQS_randombytes_custom_algorithm(Some(randombytes_hook)) };
    });
}

thread_local! {
    /// While a call runs under [`with_rng`] on this thread: a type-erased pointer to that call's
    /// `&mut dyn DynCryptoRng`. Taken out of the cell while in use, so the hook cannot alias it.
    static SOURCE: Cell<Option<*mut ()>> = const { Cell::new(None) };
    /// Set by the hook when the caller's RNG failed (or panicked).
    static FAILED: Cell<bool> = const { Cell::new(false) };
}

/// liboqs' randomness source for every thread of the process (see the module documentation).
///
/// Never unwinds: the caller's RNG runs under `catch_unwind`, and its failure is recorded for
/// [`with_rng`] to report.
unsafe extern "C" fn randombytes_hook(buffer: *mut u8, len: usize) {
    if len == 0 || buffer.is_null() {
        return;
    }
    // SAFETY: liboqs calls `OQS_randombytes(buffer, len)` with a writable buffer of `len` bytes that
    // nothing else accesses during the call.
    let out = unsafe { core::slice::from_raw_parts_mut(buffer, len) };
    match SOURCE.replace(None) {
        Some(ptr) => {
            // SAFETY: `ptr` was stored by `with_rng` on this thread and points to a `&mut dyn DynCryptoRng`
            // in `with_rng`'s frame, which is still live: liboqs calls this hook synchronously inside the
            // closure that `with_rng` runs, and `with_rng` clears the cell before returning (also on
            // unwind). The pointer was taken out of the cell above, so this is the only live reference.
            let rng = unsafe { &mut *ptr.cast::<&mut dyn DynCryptoRng>() };
            let ok = catch_unwind(AssertUnwindSafe(|| rng.fill_random(out).is_ok())).unwrap_or(false);
            SOURCE.set(Some(ptr));
            if !ok {
                out.fill(0);
                FAILED.set(true);
            }
        }
        None => {
            // A liboqs call outside `with_rng` (ours never are; another user of liboqs in the process may
            // be): behave as liboqs' own system RNG, which terminates the process if it cannot deliver.
            if getrandom::fill(out).is_err() {
                std::process::abort();
            }
        }
    }
}

/// Clears this thread's randomness source when dropped (also when `f` in [`with_rng`] unwinds).
struct RestoreSource(Option<*mut ()>);

impl Drop for RestoreSource {
    fn drop(&mut self) {
        SOURCE.set(self.0.take());
    }
}

/// Runs `f` (which calls liboqs) with liboqs' randomness drawn from `rng`. A failure of `rng` during `f`
/// is [`Error::RandomnessUnavailable`], and `f`'s output is then discarded.
pub(super) fn with_rng<R>(rng: &mut dyn DynCryptoRng, f: impl FnOnce() -> Result<R>) -> Result<R> {
    init();
    let mut slot: &mut dyn DynCryptoRng = rng;
    let ptr = (&mut slot as *mut &mut dyn DynCryptoRng).cast::<()>();
    let restore = RestoreSource(SOURCE.replace(Some(ptr)));
    let failed_before = FAILED.replace(false);
    let out = f();
    drop(restore);
    let failed = FAILED.replace(failed_before);
    if failed { Err(Error::RandomnessUnavailable) } else { out }
}

/// An RNG that serves exactly the given bytes once, then fails; [`FixedBytes::finish`] checks that all of
/// them were drawn. Used to feed liboqs a known `m`, `xi` or `rnd` (see the module documentation).
pub(super) struct FixedBytes<'a> {
    bytes: &'a [u8],
    drawn: usize,
}

impl<'a> FixedBytes<'a> {
    /// Serves `bytes`.
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, drawn: 0 }
    }

    /// Ok if liboqs drew exactly the bytes given (no more: that would have failed; no fewer).
    pub(super) fn finish(&self) -> Result<()> {
        if self.drawn == self.bytes.len() {
            Ok(())
        } else {
            Err(Error::Backend("liboqs did not draw the expected randomness (was its randombytes hook replaced?)"))
        }
    }
}

impl DynCryptoRng for FixedBytes<'_> {
    fn fill_random(&mut self, dest: &mut [u8]) -> Result<()> {
        let end = self.drawn.checked_add(dest.len()).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(Error::RandomnessUnavailable);
        };
        dest.copy_from_slice(&self.bytes[self.drawn..end]);
        self.drawn = end;
        Ok(())
    }
}

fn status(s: OQS_STATUS, what: &'static str) -> Result<()> {
    match s {
        OQS_STATUS::OQS_SUCCESS => Ok(()),
        _ => Err(Error::Backend(what)),
    }
}

fn check(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    crate::check_len(what, expected, actual)
}

/// Names liboqs knows, enabled or not, from an `OQS_*_alg_count` / `OQS_*_alg_identifier` pair.
fn names(count: i32, identifier: impl Fn(usize) -> *const c_char) -> Vec<&'static str> {
    (0..usize::try_from(count).unwrap_or(0))
        .filter_map(|i| {
            let p = identifier(i);
            // SAFETY: liboqs returns pointers to its static, NUL-terminated algorithm-name table (or NULL
            // for an index out of range, which the filter below handles).
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }).and_then(|s| s.to_str().ok())
        })
        .collect()
}

/// Every KEM name in the linked liboqs, and whether it is enabled.
pub(super) fn kem_names() -> Vec<(&'static str, bool)> {
    init();
    // SAFETY: plain queries of liboqs' static tables; the index is below the count liboqs reports.
    let all = names(unsafe { OQS_KEM_alg_count() }, |i| unsafe { OQS_KEM_alg_identifier(i) });
    all.into_iter()
        .map(|n| {
            let c = std::ffi::CString::new(n).unwrap_or_default();
            // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
            (n, unsafe { OQS_KEM_alg_is_enabled(c.as_ptr()) } == 1)
        })
        .collect()
}

/// Every signature-scheme name in the linked liboqs, and whether it is enabled.
pub(super) fn sig_names() -> Vec<(&'static str, bool)> {
    init();
    // SAFETY: as in `kem_names`.
    let all = names(unsafe { OQS_SIG_alg_count() }, |i| unsafe { OQS_SIG_alg_identifier(i) });
    all.into_iter()
        .map(|n| {
            let c = std::ffi::CString::new(n).unwrap_or_default();
            // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
            (n, unsafe { OQS_SIG_alg_is_enabled(c.as_ptr()) } == 1)
        })
        .collect()
}

/// Declared encoding lengths of a liboqs KEM.
#[derive(Copy, Clone, Debug)]
pub(super) struct KemLengths {
    pub public_key: usize,
    pub secret_key: usize,
    pub ciphertext: usize,
    pub shared_secret: usize,
    pub keypair_seed: usize,
}

/// An `OQS_KEM` object.
pub(super) struct RawKem {
    kem: NonNull<OQS_KEM>,
    lengths: KemLengths,
}

// SAFETY: an `OQS_KEM` is an immutable table of lengths and function pointers after `OQS_KEM_new`; liboqs'
// KEM functions keep no shared mutable state (they are safe to call concurrently), and randomness is
// routed per thread by the hook above.
unsafe impl Send for RawKem {}
// SAFETY: as for `Send`: every method takes `&self` and the object is never mutated.
unsafe impl Sync for RawKem {}

impl Drop for RawKem {
    fn drop(&mut self) {
        // SAFETY: `kem` came from `OQS_KEM_new` and is freed exactly once, here.
        unsafe { OQS_KEM_free(self.kem.as_ptr()) };
    }
}

impl RawKem {
    /// The liboqs KEM called `name`, or `None` if the linked liboqs does not enable it.
    pub(super) fn new(name: &CStr) -> Option<Self> {
        init();
        // SAFETY: `name` is NUL-terminated; liboqs returns NULL for unknown or disabled algorithms.
        let kem = NonNull::new(unsafe { OQS_KEM_new(name.as_ptr()) })?;
        // SAFETY: `kem` is a valid object just returned by liboqs; we only read its length fields.
        let k = unsafe { kem.as_ref() };
        let lengths = KemLengths {
            public_key: k.length_public_key,
            secret_key: k.length_secret_key,
            ciphertext: k.length_ciphertext,
            shared_secret: k.length_shared_secret,
            keypair_seed: k.length_keypair_seed,
        };
        let complete = k.keypair.is_some() && k.encaps.is_some() && k.decaps.is_some();
        let raw = Self { kem, lengths };
        complete.then_some(raw)
    }

    /// Declared lengths.
    pub(super) fn lengths(&self) -> KemLengths {
        self.lengths
    }

    fn object(&self) -> &OQS_KEM {
        // SAFETY: `kem` is valid for the life of `self` (freed only in `drop`).
        unsafe { self.kem.as_ref() }
    }

    /// Randomized key generation, drawing from `rng`.
    pub(super) fn keypair(&self, rng: &mut dyn DynCryptoRng, pk: &mut [u8], sk: &mut [u8]) -> Result<()> {
        let l = self.lengths;
        check("liboqs public key buffer", l.public_key, pk.len())?;
        check("liboqs secret key buffer", l.secret_key, sk.len())?;
        let f = self.object().keypair.ok_or(Error::Backend("liboqs KEM without keypair"))?;
        with_rng(rng, || {
            // SAFETY: both buffers are writable and exactly as long as liboqs declares for this KEM.
            status(unsafe { f(pk.as_mut_ptr(), sk.as_mut_ptr()) }, "liboqs KEM key generation failed")
        })
    }

    /// Deterministic key generation from a seed (only KEMs with `keypair_seed > 0`).
    pub(super) fn keypair_derand(&self, seed: &[u8], pk: &mut [u8], sk: &mut [u8]) -> Result<()> {
        let l = self.lengths;
        if l.keypair_seed == 0 {
            return Err(Error::Unsupported("key generation from a seed (liboqs offers none for this KEM)"));
        }
        check("liboqs key generation seed", l.keypair_seed, seed.len())?;
        check("liboqs public key buffer", l.public_key, pk.len())?;
        check("liboqs secret key buffer", l.secret_key, sk.len())?;
        let f = self.object().keypair_derand.ok_or(Error::Unsupported("key generation from a seed"))?;
        // SAFETY: the seed is readable and the outputs writable, each exactly as long as liboqs declares.
        status(unsafe { f(pk.as_mut_ptr(), sk.as_mut_ptr(), seed.as_ptr()) }, "liboqs KEM seeded key generation failed")
    }

    /// Encapsulation to `pk`, drawing the encapsulation randomness from `rng`.
    pub(super) fn encaps(&self, rng: &mut dyn DynCryptoRng, pk: &[u8], ct: &mut [u8], ss: &mut [u8]) -> Result<()> {
        let l = self.lengths;
        check("liboqs public key", l.public_key, pk.len())?;
        check("liboqs ciphertext buffer", l.ciphertext, ct.len())?;
        check("liboqs shared secret buffer", l.shared_secret, ss.len())?;
        let f = self.object().encaps.ok_or(Error::Backend("liboqs KEM without encaps"))?;
        with_rng(rng, || {
            // SAFETY: `pk` is readable and `ct`, `ss` writable, each exactly as long as liboqs declares.
            status(unsafe { f(ct.as_mut_ptr(), ss.as_mut_ptr(), pk.as_ptr()) }, "liboqs encapsulation failed")
        })
    }

    /// Decapsulation of `ct` with `sk`.
    pub(super) fn decaps(&self, sk: &[u8], ct: &[u8], ss: &mut [u8]) -> Result<()> {
        let l = self.lengths;
        check("liboqs secret key", l.secret_key, sk.len())?;
        check("liboqs ciphertext", l.ciphertext, ct.len())?;
        check("liboqs shared secret buffer", l.shared_secret, ss.len())?;
        let f = self.object().decaps.ok_or(Error::Backend("liboqs KEM without decaps"))?;
        // Decapsulation draws no randomness; run it under the OS RNG all the same, so that it never
        // depends on what another caller on this thread installed.
        with_rng(&mut qres::OsRng, || {
            // SAFETY: `sk`, `ct` readable and `ss` writable, each exactly as long as liboqs declares.
            status(unsafe { f(ss.as_mut_ptr(), ct.as_ptr(), sk.as_ptr()) }, "liboqs decapsulation failed")
        })
    }
}

/// Declared encoding lengths of a liboqs signature scheme.
#[derive(Copy, Clone, Debug)]
pub(super) struct SigLengths {
    pub public_key: usize,
    pub secret_key: usize,
    /// The maximum signature length (Falcon's unpadded signatures are shorter).
    pub signature: usize,
}

/// An `OQS_SIG` object.
pub(super) struct RawSig {
    sig: NonNull<OQS_SIG>,
    lengths: SigLengths,
    context_strings: bool,
    variable_length: bool,
}

// SAFETY: as for `RawKem`: an immutable table of lengths and function pointers, reentrant functions.
unsafe impl Send for RawSig {}
// SAFETY: as for `Send`.
unsafe impl Sync for RawSig {}

impl Drop for RawSig {
    fn drop(&mut self) {
        // SAFETY: `sig` came from `OQS_SIG_new` and is freed exactly once, here.
        unsafe { OQS_SIG_free(self.sig.as_ptr()) };
    }
}

impl RawSig {
    /// The liboqs signature scheme called `name`, or `None` if the linked liboqs does not enable it.
    /// `variable_length`: the scheme's signatures vary in length and its verifier bounds-checks the length
    /// it is given (Falcon); otherwise [`verify`](Self::verify) passes only signatures of exactly the
    /// declared length, because those verifiers read that many bytes whatever length they are told.
    pub(super) fn new(name: &CStr, variable_length: bool) -> Option<Self> {
        init();
        // SAFETY: `name` is NUL-terminated; liboqs returns NULL for unknown or disabled algorithms.
        let sig = NonNull::new(unsafe { OQS_SIG_new(name.as_ptr()) })?;
        // SAFETY: `sig` is a valid object just returned by liboqs; we only read plain fields.
        let s = unsafe { sig.as_ref() };
        let lengths = SigLengths {
            public_key: s.length_public_key,
            secret_key: s.length_secret_key,
            signature: s.length_signature,
        };
        let complete = s.keypair.is_some()
            && s.sign.is_some()
            && s.verify.is_some()
            && s.sign_with_ctx_str.is_some()
            && s.verify_with_ctx_str.is_some();
        let raw = Self { sig, lengths, context_strings: s.sig_with_ctx_support, variable_length };
        complete.then_some(raw)
    }

    /// Declared lengths.
    pub(super) fn lengths(&self) -> SigLengths {
        self.lengths
    }

    /// Whether the scheme takes a context string (in liboqs 0.13: ML-DSA only).
    pub(super) fn supports_context(&self) -> bool {
        self.context_strings
    }

    fn object(&self) -> &OQS_SIG {
        // SAFETY: `sig` is valid for the life of `self` (freed only in `drop`).
        unsafe { self.sig.as_ref() }
    }

    /// Key generation, drawing from `rng`.
    pub(super) fn keypair(&self, rng: &mut dyn DynCryptoRng, pk: &mut [u8], sk: &mut [u8]) -> Result<()> {
        let l = self.lengths;
        check("liboqs verifying key buffer", l.public_key, pk.len())?;
        check("liboqs signing key buffer", l.secret_key, sk.len())?;
        let f = self.object().keypair.ok_or(Error::Backend("liboqs scheme without keypair"))?;
        with_rng(rng, || {
            // SAFETY: both buffers are writable and exactly as long as liboqs declares for this scheme.
            status(unsafe { f(pk.as_mut_ptr(), sk.as_mut_ptr()) }, "liboqs signature key generation failed")
        })
    }

    /// Signs `message` (with `context`, which must be empty for schemes without context support), drawing
    /// from `rng`; writes into `signature` (at least [`SigLengths::signature`] bytes) and returns the
    /// signature's length.
    pub(super) fn sign(
        &self,
        rng: &mut dyn DynCryptoRng,
        sk: &[u8],
        message: &[u8],
        context: &[u8],
        signature: &mut [u8],
    ) -> Result<usize> {
        let l = self.lengths;
        check("liboqs signing key", l.secret_key, sk.len())?;
        check("liboqs signature buffer", l.signature, signature.len())?;
        if context.len() > qres::primitives::sig::MAX_CONTEXT_LEN {
            return Err(Error::LengthOutOfRange {
                what: "signature context string",
                min: 0,
                max: 255,
                actual: context.len(),
            });
        }
        let mut len: usize = 0;
        let s = self.object();
        with_rng(rng, || {
            let rc = if context.is_empty() {
                let f = s.sign.ok_or(Error::Backend("liboqs scheme without sign"))?;
                // SAFETY: `signature` is writable for the maximum signature length liboqs declares, `len`
                // is a valid out-pointer, `message` and `sk` are readable for the lengths passed.
                unsafe { f(signature.as_mut_ptr(), &mut len, message.as_ptr(), message.len(), sk.as_ptr()) }
            } else {
                if !self.context_strings {
                    return Err(Error::Unsupported("context strings (this liboqs scheme takes none)"));
                }
                let f = s.sign_with_ctx_str.ok_or(Error::Backend("liboqs scheme without sign_with_ctx_str"))?;
                // SAFETY: as above; `context` is readable for `context.len()` (at most 255) bytes.
                unsafe {
                    f(
                        signature.as_mut_ptr(),
                        &mut len,
                        message.as_ptr(),
                        message.len(),
                        context.as_ptr(),
                        context.len(),
                        sk.as_ptr(),
                    )
                }
            };
            status(rc, "liboqs signing failed")
        })?;
        if len > signature.len() {
            // liboqs promises `len <= length_signature`; if that were ever broken, memory beyond the buffer
            // was already written, so stop the process rather than continue on corrupted memory.
            std::process::abort();
        }
        Ok(len)
    }

    /// Verifies `signature` over `message` with `context`; `false` on any failure, including a signature
    /// of a length the scheme cannot have (checked here, before the call).
    pub(super) fn verify(&self, pk: &[u8], message: &[u8], context: &[u8], signature: &[u8]) -> Result<bool> {
        let l = self.lengths;
        check("liboqs verifying key", l.public_key, pk.len())?;
        let well_sized = if self.variable_length {
            !signature.is_empty() && signature.len() <= l.signature
        } else {
            signature.len() == l.signature
        };
        if !well_sized {
            return Ok(false);
        }
        if !context.is_empty() && !self.context_strings {
            return Err(Error::Unsupported("context strings (this liboqs scheme takes none)"));
        }
        let s = self.object();
        with_rng(&mut qres::OsRng, || {
            let rc = if context.is_empty() {
                let f = s.verify.ok_or(Error::Backend("liboqs scheme without verify"))?;
                // SAFETY: all inputs are readable for the lengths passed; `pk` has the declared length and
                // `signature` is at most the declared maximum.
                unsafe { f(message.as_ptr(), message.len(), signature.as_ptr(), signature.len(), pk.as_ptr()) }
            } else {
                let f = s.verify_with_ctx_str.ok_or(Error::Backend("liboqs scheme without verify_with_ctx_str"))?;
                // SAFETY: as above, and `context` is readable for `context.len()` bytes.
                unsafe {
                    f(
                        message.as_ptr(),
                        message.len(),
                        signature.as_ptr(),
                        signature.len(),
                        context.as_ptr(),
                        context.len(),
                        pk.as_ptr(),
                    )
                }
            };
            Ok(rc == OQS_STATUS::OQS_SUCCESS)
        })
    }
}
