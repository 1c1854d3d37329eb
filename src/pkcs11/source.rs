//! [`Pkcs11Source`]: random bytes from a PKCS#11 token's generator (`C_GenerateRandom`), e.g. an HSM's
//! hardware RNG. Feature `pkcs11`.
//!
//! The token's generator is usually a DRBG seeded by a hardware noise source, so its output is
//! full-entropy in the token's own claim; qres cannot check that claim and defaults to a conservative
//! 7 bits per byte ([`Pkcs11Source::with_min_entropy`] changes it). Wrap it in
//! [`Monitored`](crate::entropy::Monitored) (the seed policy does) for the SP 800-90B health tests.
//! Tested against SoftHSM2, whose generator is OpenSSL's/Botan's DRBG (not a hardware source).
//!
//! ```no_run
//! use qres::entropy::EntropySource;
//! use qres::pkcs11::{Pkcs11Config, Pkcs11Source, Pkcs11Token};
//! let token = Pkcs11Token::open(&Pkcs11Config::new("/usr/lib/softhsm/libsofthsm2.so", "qres", b"1234"))?;
//! let mut source = Pkcs11Source::new(token);
//! let mut seed = [0u8; 48];
//! source.fill(&mut seed)?;
//! # Ok::<(), qres::Error>(())
//! ```

use crate::entropy::EntropySource;
use crate::error::{Error, Result};
use crate::pkcs11::Pkcs11Token;
use std::sync::Arc;

/// Largest single `C_GenerateRandom` request; larger fills are split.
pub const MAX_REQUEST: usize = 64 << 10;

/// Entropy from a PKCS#11 token's `C_GenerateRandom`.
#[derive(Debug)]
pub struct Pkcs11Source {
    token: Arc<Pkcs11Token>,
    name: String,
    min_entropy: f64,
}

impl Pkcs11Source {
    /// A source over `token` claiming 7 bits of min-entropy per byte.
    pub fn new(token: Arc<Pkcs11Token>) -> Self {
        let name = format!("pkcs11:{}", token.label());
        Self { token, name, min_entropy: 7.0 }
    }

    /// Sets the claimed min-entropy per byte (`0 < h <= 8`).
    pub fn with_min_entropy(mut self, bits_per_byte: f64) -> Result<Self> {
        if !(bits_per_byte > 0.0 && bits_per_byte <= 8.0) {
            return Err(Error::InvalidInput("min-entropy per byte must be in (0, 8]"));
        }
        self.min_entropy = bits_per_byte;
        Ok(self)
    }
}

impl EntropySource for Pkcs11Source {
    fn name(&self) -> &str {
        &self.name
    }

    fn min_entropy_per_byte(&self) -> f64 {
        self.min_entropy
    }

    fn fill(&mut self, dest: &mut [u8]) -> Result<()> {
        let result = self.token.run("C_GenerateRandom", |session| {
            for chunk in dest.chunks_mut(MAX_REQUEST) {
                session.generate_random_slice(chunk)?;
            }
            Ok(())
        });
        result.map_err(|e| {
            dest.fill(0);
            Error::EntropySource { source_name: self.name.clone(), reason: format!("C_GenerateRandom failed: {e}") }
        })
    }
}
