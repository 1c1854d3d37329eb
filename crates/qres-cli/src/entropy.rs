//! `qres entropy assess`: the SP 800-90B non-IID min-entropy estimators on a file of samples.

use crate::error::CliError;
use std::io::Read;
use std::path::PathBuf;

/// Largest sample file assessed (the estimators hold every sample).
const MAX_SAMPLES: u64 = 256 << 20;

/// The entropy subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum EntropyCommand {
    /// Estimate the min-entropy per sample (SP 800-90B section 6.3, non-IID track) of raw samples, one per byte.
    #[command(
        after_help = "Examples:\n  qres entropy assess noise.bin\n  qres entropy assess --bits-per-sample 1 --json bits.bin"
    )]
    Assess {
        /// Significant bits per sample, 1 to 8 (each byte holds one sample in its low bits).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(1..=8))]
        bits_per_sample: u8,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The sample file (NIST's tool reads 1,000,000 samples; fewer make weaker estimates).
        file: PathBuf,
    },
}

/// Runs `entropy`.
pub fn run(command: EntropyCommand) -> Result<(), CliError> {
    let EntropyCommand::Assess { bits_per_sample, json, file } = command;
    let f = std::fs::File::open(&file).map_err(|e| CliError::usage(format!("cannot open {}: {e}", file.display())))?;
    let mut samples = Vec::new();
    f.take(MAX_SAMPLES + 1)
        .read_to_end(&mut samples)
        .map_err(|e| CliError::failed(format!("reading {}: {e}", file.display())))?;
    if samples.len() as u64 > MAX_SAMPLES {
        return Err(CliError::usage("more than 256 MiB of samples").hint("assess the first 1,000,000 samples"));
    }
    let a = qres::rng::assess::assess_non_iid(&samples, bits_per_sample)
        .map_err(|e| CliError::failed(format!("cannot assess {}: {e}", file.display())))?;
    if json {
        let estimates = |list: &[qres::rng::assess::Estimate]| {
            list.iter()
                .map(|e| format!("{{\"name\":\"{}\",\"h\":{}}}", e.name, e.min_entropy))
                .collect::<Vec<_>>()
                .join(",")
        };
        println!(
            "{{\"samples\":{},\"bits_per_sample\":{},\"h_original\":{},\"h_bitstring\":{},\"min_entropy\":{},\"original\":[{}],\"bitstring\":[{}]}}",
            samples.len(),
            bits_per_sample,
            a.h_original,
            a.h_bitstring,
            a.min_entropy,
            estimates(&a.original),
            estimates(&a.bitstring)
        );
    } else {
        println!("samples: {}, {} bits each", samples.len(), bits_per_sample);
        for e in &a.original {
            println!("  {:<28} {:.6} bits per sample", e.name, e.min_entropy);
        }
        for e in &a.bitstring {
            println!("  {:<28} {:.6} bits per bit (bitstring)", e.name, e.min_entropy);
        }
        println!("H_original: {:.6}", a.h_original);
        println!("H_bitstring: {:.6}", a.h_bitstring);
        println!("min-entropy: {:.6} bits per sample", a.min_entropy);
    }
    Ok(())
}
