//! `qrngdd-collector`: reads Quantis appliances, Quantis devices or other entropy sources and pushes
//! signed packets to a QRNG-DD gateway. Configuration: environment variables (see
//! `qrngdd::config::CollectorConfig`); logs: JSON lines on standard output. Opens no listening socket.

use qrngdd::collector::{Collector, stop_on_signals};
use qrngdd::config::CollectorConfig;
use std::process::ExitCode;

fn main() -> ExitCode {
    qrngdd::init_logging();
    let config = match CollectorConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(variable = e.var, reason = %e.reason, "invalid configuration");
            eprintln!("qrngdd-collector: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let mut collector = match Collector::from_config(config) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            eprintln!("qrngdd-collector: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = stop_on_signals(&collector.stop_flag()) {
        eprintln!("qrngdd-collector: cannot install signal handlers: {e}");
        return ExitCode::FAILURE;
    }
    match collector.run() {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "collector stopped");
            eprintln!("qrngdd-collector: {e}");
            ExitCode::from(3)
        }
    }
}
