//! `qres random`: bytes from a CTR_DRBG seeded by the health-tested OS source.

use crate::error::{CliError, io};
use crate::io::Output;
use std::io::Write;
use std::path::PathBuf;

/// The arguments of `random`.
#[derive(clap::Args, Debug)]
pub struct RandomArgs {
    /// How many bytes.
    #[arg(short = 'n', long = "bytes", value_name = "BYTES")]
    pub bytes: u64,
    /// Print lowercase hex (and a newline) instead of raw bytes.
    #[arg(long)]
    pub hex: bool,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// Runs `random`.
pub fn run(args: RandomArgs) -> Result<(), CliError> {
    let mut output = Output::create(args.output.as_deref())?;
    if !args.hex {
        output.refuse_binary_to_terminal("raw random bytes", "use --hex, -o FILE, or redirect the output")?;
    }
    let mut drbg = qres::rng::CtrDrbg::from_os()?;
    let mut left = args.bytes;
    let mut buf = zeroize::Zeroizing::new(vec![0u8; 64 * 1024]);
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        drbg.fill_with_additional(&mut buf[..n], b"qres random")?;
        if args.hex { output.write_all(hex::encode(&buf[..n]).as_bytes()) } else { output.write_all(&buf[..n]) }
            .map_err(|e| io("writing", e))?;
        left -= n as u64;
    }
    if args.hex {
        output.write_all(b"\n").map_err(|e| io("writing", e))?;
    }
    output.commit(false)
}
