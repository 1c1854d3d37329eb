//! Entropy sources: the [`EntropySource`] trait, its health-test wrapper [`Monitored`] and the OS source
//! (module [`source`]), and the sources that reach hardware or the network.
//!
//! | source | feature | what |
//! |---|---|---|
//! | [`OsEntropy`] | *(default)* | the operating system's RNG |
//! | `QrngDdSource` | `qrng-dd` | a QRNG-DD gateway's `/api/random` over HTTPS |
//! | `QuantisDevice` | `quantis` | a local Quantis QRNG character device (`/dev/qrandomN`) |
//! | `pkcs11::Pkcs11Source` | `pkcs11` | a PKCS#11 token's generator (`C_GenerateRandom`), e.g. an HSM |
//!
//! Wrap a source in [`Monitored`] (or hand it to [`SeedPolicy`](crate::rng::SeedPolicy), which does) to
//! run the SP 800-90B health tests on what it delivers; the network and device sources also test what
//! they receive themselves.

pub mod source;

pub use source::{EntropySource, Monitored, OsEntropy};

#[cfg(feature = "qrng-dd")]
mod qrngdd;
#[cfg(feature = "qrng-dd")]
pub use qrngdd::{QrngDdConfig, QrngDdSource, tls_crypto_provider as qrngdd_tls_crypto_provider};

#[cfg(feature = "quantis")]
mod quantis;
#[cfg(feature = "quantis")]
pub use quantis::QuantisDevice;
