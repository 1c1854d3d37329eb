//! Owned secret bytes: zeroized on drop, redacted in `Debug`, compared in constant time.

use core::fmt;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A heap buffer holding secret material.
///
/// * the buffer is overwritten with zeros when the value is dropped;
/// * `Debug` prints only the length;
/// * equality is constant-time in the contents (lengths are public).
///
/// ```
/// use qres::SecretBytes;
/// let s = SecretBytes::from_slice(b"key material");
/// assert_eq!(format!("{s:?}"), "SecretBytes([redacted; 12 bytes])");
/// assert_eq!(s, SecretBytes::from_slice(b"key material"));
/// ```
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Box<[u8]>);

/// A shared secret produced by a KEM or a key agreement.
pub type SharedSecret = SecretBytes;

impl SecretBytes {
    /// Takes ownership of `bytes`. When the vector has spare capacity its contents are copied into an
    /// exact-size buffer and the original allocation is zeroized (shrinking in place could otherwise leave
    /// a stale copy behind).
    pub fn new(mut bytes: Vec<u8>) -> Self {
        if bytes.len() == bytes.capacity() {
            Self(bytes.into_boxed_slice())
        } else {
            let exact = Self::from_slice(&bytes);
            bytes.zeroize();
            exact
        }
    }

    /// Copies `bytes` into a new secret buffer.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.into())
    }

    /// A zero-filled buffer of `len` bytes, to be written in place.
    pub fn zeroed(len: usize) -> Self {
        Self(vec![0u8; len].into_boxed_slice())
    }

    /// The secret bytes. Avoid copying them into buffers that are not zeroized.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Mutable access, for filling a [`zeroed`](Self::zeroed) buffer.
    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<[u8]> for SecretBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(v: Vec<u8>) -> Self {
        Self::new(v)
    }
}

impl<const N: usize> From<[u8; N]> for SecretBytes {
    fn from(mut a: [u8; N]) -> Self {
        let s = Self::from_slice(&a);
        a.zeroize();
        s
    }
}

impl ConstantTimeEq for SecretBytes {
    fn ct_eq(&self, other: &Self) -> Choice {
        // Lengths are public; contents are compared without early exit.
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for SecretBytes {}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([redacted; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_contents() {
        let s = SecretBytes::from_slice(&[0xAB; 4]);
        let d = format!("{s:?}");
        assert!(!d.contains("ab") && !d.contains("171"), "{d}");
    }

    #[test]
    fn equality_respects_length_and_contents() {
        assert_ne!(SecretBytes::from_slice(b"abc"), SecretBytes::from_slice(b"abd"));
        assert_ne!(SecretBytes::from_slice(b"abc"), SecretBytes::from_slice(b"ab"));
        assert_eq!(SecretBytes::from([1u8, 2, 3]), SecretBytes::new(vec![1, 2, 3]));
    }

    #[test]
    fn zeroize_clears_contents() {
        let mut s = SecretBytes::from_slice(b"secret");
        s.zeroize();
        assert!(s.as_bytes().iter().all(|&b| b == 0));
    }
}
