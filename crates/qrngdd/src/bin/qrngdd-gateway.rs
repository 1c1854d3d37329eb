//! `qrngdd-gateway`: serves quantum entropy pushed by `qrngdd-collector` (or the public QRNG-DD
//! collector). Configuration: environment variables (see `qrngdd::config::GatewayConfig`); logs: JSON
//! lines on standard output (`RUST_LOG` filters, default `info`).

use qrngdd::config::GatewayConfig;
use qrngdd::gateway::{Gateway, server};
use std::process::ExitCode;

fn main() -> ExitCode {
    qrngdd::init_logging();
    let config = match GatewayConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(variable = e.var, reason = %e.reason, "invalid configuration");
            eprintln!("qrngdd-gateway: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(n) = config.worker_threads {
        rt.worker_threads(n);
    }
    let rt = match rt.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("qrngdd-gateway: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "gateway stopped");
            eprintln!("qrngdd-gateway: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: GatewayConfig) -> Result<(), String> {
    let tls = match &config.tls {
        Some((cert, key)) => {
            Some(tokio_rustls::TlsAcceptor::from(qrngdd::tls::server_config(cert, key, config.require_pq_tls)?))
        }
        None => None,
    };
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.map_err(|e| format!("bind {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        listen = %addr,
        tls = if tls.is_some() { "TLS 1.3" } else { "off" },
        require_pq_tls = config.require_pq_tls,
        buffer_bytes = config.buffer_size,
        hmac_keys = config.hmac_keys.len(),
        api_keys = config.api_keys.len(),
        packet_ttl_secs = config.verifier.ttl.as_secs(),
        max_clock_skew_secs = config.verifier.max_skew.as_secs(),
        "qrngdd-gateway listening"
    );
    for k in &config.hmac_keys {
        tracing::info!(key = %k.fingerprint(), "accepting packets signed under key");
    }
    let gateway = Gateway::new(config)?;
    server::serve(gateway, listener, tls, server::shutdown_signal()).await.map_err(|e| e.to_string())?;
    tracing::info!("qrngdd-gateway stopped");
    Ok(())
}
