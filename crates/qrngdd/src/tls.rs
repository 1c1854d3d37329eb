//! TLS settings: the crypto provider (aws-lc-rs, with the hybrid post-quantum key exchange
//! `X25519MLKEM768` preferred), the gateway's server configuration (TLS 1.3 only) and PEM loading.

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// Reads every certificate of a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", path.display()));
    }
    Ok(certs)
}

/// Reads the first private key of a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{}: no usable private key ({e})", path.display()))
}

/// The aws-lc-rs provider with TLS 1.3 cipher suites only (so the collector's push and appliance
/// clients never negotiate TLS 1.2 either) and the key-exchange groups in order of preference: the hybrid
/// `X25519MLKEM768` (ML-KEM-768 with X25519, as current browsers offer), then the classical X25519 and
/// P-256. With `require_pq` (`QRNG_REQUIRE_PQ_TLS`), `X25519MLKEM768` only: a peer that offers no
/// post-quantum group fails the handshake.
///
/// The same provider as the gateway client's (`qres::entropy::qrngdd_tls_crypto_provider`), so the
/// gateway, the collector and `QrngDdSource` cannot drift apart.
pub fn crypto_provider(require_pq: bool) -> Arc<CryptoProvider> {
    qres::entropy::qrngdd_tls_crypto_provider(require_pq)
}

/// The gateway's TLS configuration: TLS 1.3 only (a TLS 1.2 client fails the handshake),
/// [`crypto_provider`] (`X25519MLKEM768` preferred; only it with `require_pq`), HTTP/1.1 by ALPN, no
/// client authentication.
pub fn server_config(cert: &Path, key: &Path, require_pq: bool) -> Result<Arc<ServerConfig>, String> {
    let provider = crypto_provider(require_pq);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(load_certs(cert)?, load_key(key)?)
        .map_err(|e| format!("certificate and key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
