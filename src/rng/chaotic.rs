//! The chaotic-entropy extractor: raw measurements of a chaotic physical process (the NOAA GOES solar
//! X-ray flux of the original design, any CSV column of numbers, raw bytes) turned into one 256-bit seed
//! for the DRBG, used exactly once.
//!
//! 1. **Samples.** Each measurement is quantized at (or coarser than) the instrument's resolution
//!    ([`Quantization`]), the series is optionally differenced once or twice, and each value contributes
//!    its low-order 8 bits. The high-order digits of a slowly varying physical quantity are predictable
//!    from the previous readings, and a smooth trend (the rise and decay of a flare) survives in the low
//!    bits of raw readings as a deterministic pattern; differencing removes it, leaving what a simple
//!    extrapolation cannot predict. Quantizing *below* the real resolution would only add digits produced
//!    by deterministic calibration arithmetic, which look random to statistical tests but are not
//!    ([`RawSamples::from_goes_json_recommended`] documents qres's choice for GOES data).
//! 2. **Assessment.** The SP 800-90B non-IID estimators ([`assess`](crate::rng::assess)) measure the
//!    samples' min-entropy per sample `H`; the caller may supply a lower, externally assessed value. The
//!    extractor needs `N * H >= 320` bits (SP 800-90B §3.1.5: a vetted conditioning function credits a
//!    256-bit output with full entropy only if its input carries at least 256 + 64 bits). Too little data is
//!    [`Error::InsufficientData`], which says roughly how many more samples are needed.
//! 3. **Conditioning.** `SHA3-256("qres chaotic seed v1" || be64(N) || samples)`.
//! 4. **Use once.** The digest is a [`ChaoticSeed`]: not `Clone`, not `Copy`, not serializable, its bytes
//!    not readable. It is consumed by move when it is handed to a [`SeedPolicy`](crate::rng::SeedPolicy),
//!    which mixes it into the DRBG's instantiation as *additional* input and then zeroizes it; every later
//!    output comes from the DRBG. A seed never counts toward the seeding requirement: a healthy regular
//!    source must meet it on its own (the data may be public — anyone can download the same NOAA file).
//! 5. **Refuse the same input twice.** Every extractor in the process shares one record of the inputs
//!    used, keyed on [`RawSamples::input_digest`] — a digest of the samples *after* quantization, so a
//!    re-fetched file with identical readings is the same input. An optional persistent
//!    [ledger](ChaoticExtractor::with_ledger) of the same digests refuses it across processes too.
//!
//! ```
//! use qres::rng::chaotic::{ChaoticExtractor, RawSamples};
//! use qres::rng::{CtrDrbg, DrbgConfig, SeedPolicy};
//! # let logistic: Vec<u8> = { let mut x = 0.3141f64; (0..20_000).map(|_| { x = 3.99 * x * (1.0 - x); (x * 1e6) as u32 as u8 }).collect() };
//! let raw = RawSamples::from_bytes("logistic map", &logistic);
//! let seed = ChaoticExtractor::new().extract(raw)?;
//! // The seed is moved into the policy: it seeds the DRBG once and is gone.
//! let policy = SeedPolicy::os().with_chaotic_seed(seed);
//! let drbg = CtrDrbg::new(policy, DrbgConfig::default())?;
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! Reuse does not compile (error E0382, use of a moved value):
//!
//! ```compile_fail,E0382
//! # use qres::rng::chaotic::{ChaoticExtractor, RawSamples};
//! # use qres::rng::SeedPolicy;
//! # let seed = ChaoticExtractor::new().extract(RawSamples::from_bytes("x", &[0u8; 10]))?;
//! let first = SeedPolicy::os().with_chaotic_seed(seed);
//! let second = SeedPolicy::os().with_chaotic_seed(seed); // error[E0382]: use of moved value: `seed`
//! # Ok::<(), qres::Error>(())
//! ```
//!
//! nor does copying it (error E0599, no method `clone`):
//!
//! ```compile_fail,E0599
//! # use qres::rng::chaotic::{ChaoticExtractor, RawSamples};
//! # let seed = ChaoticExtractor::new().extract(RawSamples::from_bytes("x", &[0u8; 10]))?;
//! let copy = seed.clone(); // error[E0599]: no method named `clone` found
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::rng::assess::assess_non_iid;
use crate::secret::SecretBytes;
use sha3::{Digest, Sha3_256};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, MutexGuard};

/// Assessed input entropy the conditioning function needs for one full-entropy 256-bit output.
pub const REQUIRED_INPUT_BITS: f64 = 320.0;
/// Credited entropy of one seed.
pub const SEED_BITS: usize = 256;
/// Longest prefix of the samples that is assessed (the SP 800-90B estimators' cost grows with length;
/// 1,000,000 samples is the size the standard asks for).
pub const MAX_ASSESSED_SAMPLES: usize = 1_000_000;

/// How a measurement becomes an integer whose low 8 bits are the sample.
#[derive(Copy, Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Quantization {
    /// Keep this many significant decimal digits (e.g. 3 turns 1.2532e-05 into 125). Suits
    /// floating-point measurements spanning orders of magnitude, like X-ray flux.
    SignificantDigits(u32),
    /// Multiply by this factor and round to nearest, ties to even (e.g. 100.0 for a value given to two
    /// decimals).
    Scale(f64),
    /// `round(log10(value) * 10^decimals)`: a fixed *relative* resolution for positive values spanning
    /// orders of magnitude (2 decimals = steps of about 2.3 %).
    Log10(u32),
}

impl Quantization {
    /// The quantized integer, or `None` for non-finite or non-positive input where a log scale is needed.
    pub fn apply(self, value: f64) -> Option<i64> {
        if !value.is_finite() {
            return None;
        }
        let q = match self {
            Self::SignificantDigits(d) => {
                if value == 0.0 || d == 0 || d > 15 {
                    return None;
                }
                let exponent = value.abs().log10().floor() as i32 - (d as i32 - 1);
                (value / 10f64.powi(exponent)).round_ties_even()
            }
            // Rounded to nearest, ties to even (Python's `round`).
            Self::Scale(factor) => (value * factor).round_ties_even(),
            Self::Log10(decimals) => {
                if value <= 0.0 || decimals > 12 {
                    return None;
                }
                (value.log10() * 10f64.powi(decimals as i32)).round_ties_even()
            }
        };
        (q.abs() < 9.0e15).then_some(q as i64)
    }
}

/// Raw samples from a chaotic source, ready for extraction.
#[derive(Clone)]
pub struct RawSamples {
    origin: String,
    samples: Vec<u8>,
}

/// One record of NOAA SWPC's GOES X-ray flux JSON (`json/goes/primary/xrays-1-day.json`).
#[derive(serde::Deserialize)]
struct GoesRecord {
    flux: Option<f64>,
    energy: Option<String>,
}

/// Quantizes `values` and takes `differences` successive differences.
fn quantize(values: &[f64], quantization: Quantization, differences: u8) -> Result<Vec<i64>> {
    if differences > 2 {
        return Err(Error::InvalidInput("at most second differences are supported"));
    }
    let mut series =
        values.iter().map(|&v| quantization.apply(v)).collect::<Option<Vec<i64>>>().ok_or(Error::InvalidInput(
            "a measurement cannot be quantized (not finite, or not positive on a log scale)",
        ))?;
    for _ in 0..differences {
        series = series.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    }
    Ok(series)
}

impl RawSamples {
    /// Each byte is one sample.
    pub fn from_bytes(origin: &str, bytes: &[u8]) -> Self {
        Self { origin: origin.to_owned(), samples: bytes.to_vec() }
    }

    /// Each value is quantized; the integer series is differenced `differences` times (0, 1 or 2: the
    /// second difference removes a locally linear trend, leaving the part a simple extrapolation cannot
    /// predict); each resulting integer contributes its low-order 8 bits (two's complement). A value that
    /// cannot be quantized (not finite, or not positive on a logarithmic scale) is an error.
    pub fn from_values(origin: &str, values: &[f64], quantization: Quantization, differences: u8) -> Result<Self> {
        let series = quantize(values, quantization, differences)?;
        Ok(Self { origin: origin.to_owned(), samples: series.iter().map(|&q| q as u8).collect() })
    }

    /// NOAA SWPC GOES X-ray JSON. With `differences = 0`: the `flux` of every record in file order (both
    /// energy bands interleaved). With `differences > 0`: each energy band's flux series is quantized and
    /// differenced on its own (differencing across bands would mix two processes), and the bands'
    /// samples follow one another in order of first appearance. Records without a flux are skipped.
    pub fn from_goes_json(json: &str, quantization: Quantization, differences: u8) -> Result<Self> {
        let records: Vec<GoesRecord> =
            serde_json::from_str(json).map_err(|_| Error::InvalidInput("not a GOES X-ray JSON array of records"))?;
        let origin = "NOAA GOES X-ray flux";
        if differences == 0 {
            let values: Vec<f64> = records.iter().filter_map(|r| r.flux).collect();
            return Self::from_values(origin, &values, quantization, 0);
        }
        let mut bands: Vec<(Option<String>, Vec<f64>)> = Vec::new();
        for r in &records {
            let Some(flux) = r.flux else { continue };
            match bands.iter_mut().find(|(e, _)| *e == r.energy) {
                Some((_, v)) => v.push(flux),
                None => bands.push((r.energy.clone(), vec![flux])),
            }
        }
        let mut samples = Vec::with_capacity(records.len());
        for (_, values) in &bands {
            samples.extend(quantize(values, quantization, differences)?.iter().map(|&q| q as u8));
        }
        Ok(Self { origin: origin.to_owned(), samples })
    }

    /// qres's recommended reading of GOES X-ray data: per band, `log10(flux)` quantized to 2 decimals
    /// (relative steps of about 2.3 %, coarser than the instrument's resolution, so that calibration
    /// arithmetic does not pass for noise), second differences (removing the smooth rise and decay of
    /// flares), low 8 bits.
    pub fn from_goes_json_recommended(json: &str) -> Result<Self> {
        Self::from_goes_json(json, Quantization::Log10(2), 2)
    }

    /// A CSV column of numbers. `column` is a header name (the first line is then a header) or a 0-based
    /// index given as digits (no header). Empty cells are skipped; anything else that is not a number is an
    /// error.
    pub fn from_csv(text: &str, column: &str, quantization: Quantization) -> Result<Self> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let index = match column.parse::<usize>() {
            Ok(i) => i,
            Err(_) => {
                let header = lines.next().ok_or(Error::InvalidInput("empty CSV"))?;
                header
                    .split(',')
                    .position(|h| h.trim().trim_matches('"') == column)
                    .ok_or(Error::InvalidInput("CSV column not found in the header"))?
            }
        };
        let mut values = Vec::new();
        for line in lines {
            let cell = line.split(',').nth(index).map(|c| c.trim().trim_matches('"')).unwrap_or("");
            if cell.is_empty() {
                continue;
            }
            values.push(cell.parse::<f64>().map_err(|_| Error::InvalidInput("CSV cell is not a number"))?);
        }
        Self::from_values("CSV column", &values, quantization, 0)
    }

    /// The samples.
    pub fn samples(&self) -> &[u8] {
        &self.samples
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The digest by which used inputs are recorded (in the process and in ledgers):
    /// `SHA3-256("qres chaotic ledger v1" || be64(N) || samples)`, over the samples after quantization and
    /// differencing. It is domain-separated from the seed and reveals nothing about it.
    pub fn input_digest(&self) -> [u8; 32] {
        let mut h = Sha3_256::new();
        h.update(b"qres chaotic ledger v1");
        h.update((self.samples.len() as u64).to_be_bytes());
        h.update(&self.samples);
        h.finalize().into()
    }
}

impl core::fmt::Debug for RawSamples {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawSamples").field("origin", &self.origin).field("samples", &self.samples.len()).finish()
    }
}

/// A conditioned 256-bit seed that can be used exactly once (see the module documentation).
///
/// Deliberately neither `Clone`, `Copy` nor serializable; its bytes are only reachable inside qres, when
/// a [`SeedPolicy`](crate::rng::SeedPolicy) consumes it.
pub struct ChaoticSeed {
    digest: SecretBytes,
    origin: String,
    assessed_bits: f64,
}

impl ChaoticSeed {
    /// Where the raw data came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Assessed min-entropy of the conditioned input, in bits (at least 320).
    pub fn assessed_input_bits(&self) -> f64 {
        self.assessed_bits
    }

    /// The digest, consuming the seed (crate-internal: only the seeding policy may call this).
    pub(crate) fn into_bytes(self) -> SecretBytes {
        self.digest
    }
}

impl core::fmt::Debug for ChaoticSeed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChaoticSeed")
            .field("origin", &self.origin)
            .field("assessed_input_bits", &self.assessed_bits)
            .field("digest", &"[redacted]")
            .finish()
    }
}

/// Digests of every input turned into a seed by any extractor in this process (and of those read from
/// ledgers).
static USED: LazyLock<Mutex<HashSet<[u8; 32]>>> = LazyLock::new(Mutex::default);

fn used() -> MutexGuard<'static, HashSet<[u8; 32]>> {
    // The set stays consistent even if a holder panicked: every critical section is a single insert or
    // remove.
    USED.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An input digest reserved in [`USED`] while its extraction runs; released unless committed.
struct Reservation {
    digest: [u8; 32],
    committed: bool,
}

impl Reservation {
    /// Reserves `digest`, or refuses an input already used (or being used) in this process.
    fn take(digest: [u8; 32]) -> Result<Self> {
        if !used().insert(digest) {
            return Err(Error::AlreadyUsed("these raw samples were already turned into a seed"));
        }
        Ok(Self { digest, committed: false })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.committed {
            used().remove(&self.digest);
        }
    }
}

/// Checks that `h` bits per sample over `have` samples reach [`REQUIRED_INPUT_BITS`] and returns the
/// assessed bits. Written so that a NaN estimate is refused, never credited.
#[allow(clippy::neg_cmp_op_on_partial_ord)] // deliberate: `NaN < x` is false, `!(NaN >= x)` is true
fn check_credit(h: f64, have: usize) -> Result<f64> {
    let assessed_bits = h * have as f64;
    if !(assessed_bits >= REQUIRED_INPUT_BITS) {
        let more_needed =
            if h > 0.0 { ((REQUIRED_INPUT_BITS / h).ceil() as usize).saturating_sub(have).max(1) } else { usize::MAX };
        return Err(Error::InsufficientData { what: "chaotic seed", have, more_needed });
    }
    Ok(assessed_bits)
}

/// Turns raw samples into [`ChaoticSeed`]s, refusing inputs that any extractor in this process (or, with a
/// ledger, any earlier process) has used before.
#[derive(Debug, Default)]
pub struct ChaoticExtractor {
    ledger: Option<PathBuf>,
    external_assessment: Option<f64>,
}

impl ChaoticExtractor {
    /// An extractor sharing the process-wide record of the inputs used.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also records input digests in the file at `path` (created with mode 0600 if absent; one hex digest
    /// per line, appended and fsynced before a seed is returned), so the same raw data is refused across
    /// restarts. The digests already in the file join the process-wide record.
    pub fn with_ledger(mut self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let digests = text
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(|l| hex_digest(l).ok_or(Error::InvalidInput("corrupt chaotic-seed ledger line")))
                    .collect::<Result<Vec<_>>>()?;
                used().extend(digests);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("reading the chaotic-seed ledger", &e)),
        }
        self.ledger = Some(path);
        Ok(self)
    }

    /// Uses `bits_per_sample` when it is lower than qres's own SP 800-90B assessment (for example the result
    /// of a full assessment of the source on a million samples). It must be finite and in `[0, 8]`.
    pub fn with_assessed_entropy(mut self, bits_per_sample: f64) -> Result<Self> {
        if !(bits_per_sample.is_finite() && (0.0..=8.0).contains(&bits_per_sample)) {
            return Err(Error::InvalidInput("assessed entropy must be a finite number of bits in [0, 8] per sample"));
        }
        self.external_assessment = Some(bits_per_sample);
        Ok(self)
    }

    /// Assesses, checks and conditions `raw` into a seed; records its digest.
    pub fn extract(&mut self, raw: RawSamples) -> Result<ChaoticSeed> {
        // Reserved before the (slow) assessment so that two threads cannot both use the same input.
        let mut reservation = Reservation::take(raw.input_digest())?;
        let assessed_prefix = &raw.samples[..raw.samples.len().min(MAX_ASSESSED_SAMPLES)];
        let mut h = match assess_non_iid(assessed_prefix, 8) {
            Ok(a) => a.min_entropy,
            // Too few samples for the estimators: nothing can be credited yet.
            Err(_) => 0.0,
        };
        if let Some(external) = self.external_assessment {
            h = h.min(external);
        }
        let have = raw.samples.len();
        let assessed_bits = check_credit(h, have)?;
        let mut hasher = Sha3_256::new();
        hasher.update(b"qres chaotic seed v1");
        hasher.update((have as u64).to_be_bytes());
        hasher.update(&raw.samples);
        let out: [u8; 32] = hasher.finalize().into();
        self.record(&reservation.digest)?;
        reservation.committed = true;
        tracing::info!(origin = %raw.origin, samples = have, assessed_bits, "chaotic seed extracted");
        Ok(ChaoticSeed { digest: SecretBytes::from(out), origin: raw.origin, assessed_bits })
    }

    fn record(&self, digest: &[u8; 32]) -> Result<()> {
        if let Some(path) = &self.ledger {
            let mut options = std::fs::OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(|e| Error::io("opening the chaotic-seed ledger", &e))?;
            let line: String = digest.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n";
            file.write_all(line.as_bytes()).map_err(|e| Error::io("writing the chaotic-seed ledger", &e))?;
            file.sync_all().map_err(|e| Error::io("syncing the chaotic-seed ledger", &e))?;
        }
        Ok(())
    }
}

fn hex_digest(line: &str) -> Option<[u8; 32]> {
    let line = line.trim();
    if line.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(line.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantization() {
        assert_eq!(Quantization::SignificantDigits(3).apply(1.2532499567896593e-05), Some(125));
        assert_eq!(Quantization::SignificantDigits(3).apply(9.719e-07), Some(972));
        assert_eq!(Quantization::SignificantDigits(3).apply(0.0), None);
        assert_eq!(Quantization::Scale(100.0).apply(-1.234), Some(-123));
        assert_eq!(Quantization::Scale(1.0).apply(f64::NAN), None);
        assert_eq!(Quantization::Scale(1e300).apply(1e300), None);
        assert_eq!(Quantization::Log10(2).apply(1e-6), Some(-600));
        assert_eq!(Quantization::Log10(2).apply(-1.0), None);
    }

    #[test]
    fn csv_by_name_and_index() {
        let text = "t,flux\n1,2.5\n2,\n3,4.25\n";
        assert_eq!(RawSamples::from_csv(text, "flux", Quantization::Scale(4.0)).unwrap().samples(), &[10, 17]);
        assert_eq!(RawSamples::from_csv("1,7\n2,9\n", "1", Quantization::Scale(1.0)).unwrap().samples(), &[7, 9]);
        assert!(RawSamples::from_csv(text, "missing", Quantization::Scale(1.0)).is_err());
        assert!(RawSamples::from_csv("a\nx\n", "a", Quantization::Scale(1.0)).is_err());
    }

    #[test]
    fn goes_json_parses_and_rejects_garbage() {
        let json = r#"[{"time_tag":"t","flux":1.5e-6,"energy":"0.1-0.8nm"},{"time_tag":"t","flux":null}]"#;
        assert_eq!(RawSamples::from_goes_json(json, Quantization::SignificantDigits(3), 0).unwrap().samples(), &[150]);
        assert!(RawSamples::from_goes_json("{", Quantization::SignificantDigits(3), 0).is_err());
        // Per-band differencing: band a = 100, 110, 130 -> second difference 10; band b = 5, 4, 1 -> -2.
        let json = r#"[{"flux":100,"energy":"a"},{"flux":5,"energy":"b"},{"flux":110,"energy":"a"},
                       {"flux":4,"energy":"b"},{"flux":130,"energy":"a"},{"flux":1,"energy":"b"}]"#;
        let raw = RawSamples::from_goes_json(json, Quantization::Scale(1.0), 2).unwrap();
        assert_eq!(raw.samples(), &[10, (-2i64) as u8]);
    }

    #[test]
    fn nan_assessment_is_never_credited() {
        assert!(matches!(check_credit(f64::NAN, 20_000), Err(Error::InsufficientData { more_needed: usize::MAX, .. })));
        assert!(check_credit(-1.0, 20_000).is_err());
        assert!(check_credit(0.016, 20_000).is_ok());
        assert!(check_credit(0.015, 20_000).is_err());
    }

    #[test]
    fn ledger_lines_parse() {
        assert_eq!(hex_digest(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(hex_digest("abc"), None);
        assert_eq!(hex_digest(&"zz".repeat(32)), None);
    }
}
