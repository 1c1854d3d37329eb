//! RustCrypto `kem` 0.3 for qres's ML-KEM and X-Wing keys (see the [module above](super) for the whole
//! picture).

use crate::alg::KemId;
use crate::error::Error;
use crate::primitives::{KemPublicKey, KemSecretKey};
use crate::provider::default_provider;
use core::fmt;
use core::marker::PhantomData;
use hybrid_array::sizes::{U32, U64, U768, U800, U1088, U1120, U1184, U1216, U1568};
use hybrid_array::{Array, ArraySize};
use kem::{Ciphertext, InvalidKey, Key, KeyExport, KeyInit, KeySizeUser, SharedKey, TryKeyInit};
use rand_core::{CryptoRng, TryCryptoRng};

mod sealed {
    pub trait Sealed {}
}

/// A KEM algorithm of qres as a type, for RustCrypto's [`kem::Kem`] (implemented by [`MlKem512`],
/// [`MlKem768`], [`MlKem1024`] and [`XWing`]; sealed).
pub trait KemAlgorithm:
    kem::Kem<EncapsulationKey = EncapsulationKey<Self>, DecapsulationKey = DecapsulationKey<Self>> + sealed::Sealed
{
    /// The qres algorithm id.
    const ID: KemId;
    /// Length of the encoded public (encapsulation) key.
    type PublicKeySize: ArraySize;
    /// Length of the seed a key pair is derived from (ML-KEM `d || z`, X-Wing's secret key).
    type SeedSize: ArraySize;
}

macro_rules! kem_algorithm {
    ($(#[$doc:meta])* $name:ident, $id:expr, pk = $pk:ty, ct = $ct:ty, seed = $seed:ty) => {
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name;

        impl sealed::Sealed for $name {}

        impl KemAlgorithm for $name {
            const ID: KemId = $id;
            type PublicKeySize = $pk;
            type SeedSize = $seed;
        }

        impl kem::Kem for $name {
            type DecapsulationKey = DecapsulationKey<$name>;
            type EncapsulationKey = EncapsulationKey<$name>;
            type SharedKeySize = U32;
            type CiphertextSize = $ct;
        }
    };
}

kem_algorithm!(
    /// ML-KEM-512 (FIPS 203) as a RustCrypto [`kem::Kem`].
    MlKem512, KemId::ML_KEM_512, pk = U800, ct = U768, seed = U64
);
kem_algorithm!(
    /// ML-KEM-768 (FIPS 203) as a RustCrypto [`kem::Kem`].
    MlKem768, KemId::ML_KEM_768, pk = U1184, ct = U1088, seed = U64
);
kem_algorithm!(
    /// ML-KEM-1024 (FIPS 203) as a RustCrypto [`kem::Kem`].
    MlKem1024, KemId::ML_KEM_1024, pk = U1568, ct = U1568, seed = U64
);
kem_algorithm!(
    /// X-Wing (ML-KEM-768 + X25519) as a RustCrypto [`kem::Kem`].
    XWing, KemId::X_WING, pk = U1216, ct = U1120, seed = U32
);

fn implementation(id: KemId) -> Result<&'static dyn crate::Kem, Error> {
    default_provider().kem(id)
}

/// A qres [`KemPublicKey`] of algorithm `A`, with RustCrypto's [`kem::Encapsulate`].
///
/// ```
/// use kem::{Encapsulate, TryDecapsulate};
/// use qres::rustcrypto::{EncapsulationKey, MlKem768};
/// use qres::{default_provider, KemId, OsRng};
///
/// let sk = default_provider().kem(KemId::ML_KEM_768)?.generate(&mut OsRng)?;
/// let ek = EncapsulationKey::<MlKem768>::try_from(sk.public_key().clone())?;
/// let (ct, k) = ek.encapsulate_with_rng(&mut rand_core::UnwrapErr(OsRng));
/// assert_eq!(sk.decapsulate(&ct)?.as_bytes(), &k[..]);
/// # Ok::<(), qres::Error>(())
/// ```
pub struct EncapsulationKey<A: KemAlgorithm> {
    key: KemPublicKey,
    algorithm: PhantomData<A>,
}

impl<A: KemAlgorithm> EncapsulationKey<A> {
    /// Wraps `key`; a key of another algorithm is [`Error::InvalidKey`].
    pub fn from_qres(key: KemPublicKey) -> Result<Self, Error> {
        if key.algorithm() != A::ID {
            return Err(Error::InvalidKey { what: "KEM public key", reason: "another algorithm than the wrapper's" });
        }
        Ok(Self { key, algorithm: PhantomData })
    }

    /// The qres key.
    pub fn as_qres(&self) -> &KemPublicKey {
        &self.key
    }

    /// Unwraps the qres key.
    pub fn into_qres(self) -> KemPublicKey {
        self.key
    }
}

impl<A: KemAlgorithm> TryFrom<KemPublicKey> for EncapsulationKey<A> {
    type Error = Error;

    fn try_from(key: KemPublicKey) -> Result<Self, Error> {
        Self::from_qres(key)
    }
}

impl<A: KemAlgorithm> Clone for EncapsulationKey<A> {
    fn clone(&self) -> Self {
        Self { key: self.key.clone(), algorithm: PhantomData }
    }
}

impl<A: KemAlgorithm> PartialEq for EncapsulationKey<A> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<A: KemAlgorithm> Eq for EncapsulationKey<A> {}

impl<A: KemAlgorithm> fmt::Debug for EncapsulationKey<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EncapsulationKey").field(&self.key).finish()
    }
}

impl<A: KemAlgorithm> KeySizeUser for EncapsulationKey<A> {
    type KeySize = A::PublicKeySize;
}

/// Parses the encoding with the default provider's implementation, with every check of
/// [`Kem::parse_public_key`](crate::Kem::parse_public_key) (FIPS 203 §7.2 for ML-KEM).
impl<A: KemAlgorithm> TryKeyInit for EncapsulationKey<A> {
    fn new(key: &Key<Self>) -> Result<Self, InvalidKey> {
        let kem = implementation(A::ID).map_err(|_| InvalidKey)?;
        let key = kem.parse_public_key(key).map_err(|_| InvalidKey)?;
        Ok(Self { key, algorithm: PhantomData })
    }
}

impl<A: KemAlgorithm> KeyExport for EncapsulationKey<A> {
    fn to_bytes(&self) -> Key<Self> {
        Array::try_from(self.key.as_bytes()).expect("a checked key has the algorithm's length")
    }
}

/// Infallible, as the trait requires: the key passed its algorithm's checks when it was made and the RNG is
/// infallible, so an encapsulation error can only be a defect of the backend.
///
/// # Panics
///
/// If the backend fails all the same (never for the default and aws-lc backends).
impl<A: KemAlgorithm> kem::Encapsulate for EncapsulationKey<A> {
    type Kem = A;

    fn encapsulate_with_rng<R>(&self, rng: &mut R) -> (Ciphertext<A>, SharedKey<A>)
    where
        R: CryptoRng + ?Sized,
    {
        let mut rng = rng;
        let encapsulation = self.key.encapsulate(&mut rng).expect("encapsulation to a checked key");
        let ciphertext = Array::try_from(&encapsulation.ciphertext[..]).expect("the algorithm's ciphertext length");
        let shared = Array::try_from(encapsulation.shared_secret.as_bytes()).expect("a 32-byte shared secret");
        (ciphertext, shared)
    }
}

/// A qres [`KemSecretKey`] of algorithm `A`, with RustCrypto's [`kem::TryDecapsulate`],
/// [`kem::Decapsulator`], [`kem::Generate`] and [`KeyInit`] from a seed (so [`kem::FromSeed`]).
///
/// Decapsulation is [`TryDecapsulate`](kem::TryDecapsulate) with [`qres::Error`](Error), not the
/// infallible `Decapsulate`: a backend can fail (an HSM-held key, a liboqs call), and that must reach the
/// caller. A tampered ciphertext of the right length is no error (implicit rejection: a pseudorandom key).
///
/// ```
/// use kem::{Encapsulate, Generate, TryDecapsulate};
/// use qres::rustcrypto::{DecapsulationKey, XWing};
///
/// let dk = DecapsulationKey::<XWing>::generate_from_rng(&mut rand_core::UnwrapErr(qres::OsRng));
/// let (ct, k) = kem::Decapsulator::encapsulation_key(&dk).encapsulate_with_rng(&mut rand_core::UnwrapErr(qres::OsRng));
/// assert_eq!(dk.try_decapsulate(&ct)?, k);
/// // The qres key is inside, for everything else qres does with it:
/// assert_eq!(dk.as_qres().decapsulate(&ct)?.as_bytes(), &k[..]);
/// # Ok::<(), qres::Error>(())
/// ```
pub struct DecapsulationKey<A: KemAlgorithm> {
    key: KemSecretKey,
    public: EncapsulationKey<A>,
}

impl<A: KemAlgorithm> DecapsulationKey<A> {
    /// Wraps `key`; a key of another algorithm is [`Error::InvalidKey`].
    pub fn from_qres(key: KemSecretKey) -> Result<Self, Error> {
        let public = EncapsulationKey::from_qres(key.public_key().clone()).map_err(|_| Error::InvalidKey {
            what: "KEM secret key",
            reason: "another algorithm than the wrapper's",
        })?;
        Ok(Self { key, public })
    }

    /// The qres key.
    pub fn as_qres(&self) -> &KemSecretKey {
        &self.key
    }

    /// Unwraps the qres key.
    pub fn into_qres(self) -> KemSecretKey {
        self.key
    }

    fn from_seed_bytes(seed: &[u8]) -> Self {
        let key = implementation(A::ID)
            .and_then(|kem| kem.key_pair_from_seed(seed))
            .expect("the default provider derives every key pair from a seed of the algorithm's length");
        Self::from_qres(key).expect("a key of the wrapper's algorithm")
    }
}

impl<A: KemAlgorithm> TryFrom<KemSecretKey> for DecapsulationKey<A> {
    type Error = Error;

    fn try_from(key: KemSecretKey) -> Result<Self, Error> {
        Self::from_qres(key)
    }
}

impl<A: KemAlgorithm> fmt::Debug for DecapsulationKey<A> {
    /// The algorithm and key id only, as [`KemSecretKey`]'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DecapsulationKey").field(&self.key).finish()
    }
}

impl<A: KemAlgorithm> kem::Decapsulator for DecapsulationKey<A> {
    type Kem = A;

    fn encapsulation_key(&self) -> &EncapsulationKey<A> {
        &self.public
    }
}

impl<A: KemAlgorithm> kem::TryDecapsulate for DecapsulationKey<A> {
    type Error = Error;

    fn try_decapsulate(&self, ct: &Ciphertext<A>) -> Result<SharedKey<A>, Error> {
        let shared = self.key.decapsulate(ct)?;
        Array::try_from(shared.as_bytes()).map_err(|_| Error::InvalidLength {
            what: "shared secret",
            expected: 32,
            actual: shared.len(),
        })
    }
}

/// Key generation: the seed is drawn from `rng` (its error is returned) into a zeroizing buffer, then
/// the key pair is derived with the default provider.
impl<A: KemAlgorithm> kem::Generate for DecapsulationKey<A> {
    fn try_generate_from_rng<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, R::Error> {
        let mut seed = zeroize::Zeroizing::new(Array::<u8, A::SeedSize>::default());
        rng.try_fill_bytes(&mut seed)?;
        Ok(Self::from_seed_bytes(&seed))
    }
}

impl<A: KemAlgorithm> KeySizeUser for DecapsulationKey<A> {
    type KeySize = A::SeedSize;
}

/// From the seed (ML-KEM `d || z`, X-Wing's 32-byte secret key), with the default provider; this makes
/// [`kem::FromSeed`] available for the algorithm types.
impl<A: KemAlgorithm> KeyInit for DecapsulationKey<A> {
    fn new(seed: &Key<Self>) -> Self {
        Self::from_seed_bytes(seed)
    }
}

/// `TryDecapsulate::try_decapsulate_slice` needs its error to absorb a slice of the wrong length.
impl From<core::array::TryFromSliceError> for Error {
    fn from(_: core::array::TryFromSliceError) -> Self {
        Error::InvalidInput("a KEM ciphertext of another length than the algorithm's")
    }
}
