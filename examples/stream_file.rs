//! Seals and opens a large stream in constant memory, printing throughput; run it under
//! `/usr/bin/time -v` to see the peak resident set size.
//!
//! `cargo run --release --example stream_file -- 1024` (size in MiB; default 1024, i.e. 1 GiB). The
//! plaintext is generated on the fly and the envelope goes to a temporary file, so neither is held in
//! memory.

use qres::envelope::{self, EnvelopeReader, EnvelopeWriter, OpenOptions, Recipient, SealOptions};
use qres::{KemId, OsRng, default_provider};
use std::io::{BufReader, BufWriter, Read, Write};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(1024);
    let sk = default_provider().kem(KemId::X_WING)?.generate(&mut OsRng)?;
    let path = std::env::temp_dir().join(format!("qres-stream-{}.env", std::process::id()));
    let block: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();

    let started = Instant::now();
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    let mut w =
        EnvelopeWriter::new(file, &[Recipient::from(sk.public_key().clone())], &SealOptions::default(), &mut OsRng)?;
    for _ in 0..mib {
        w.write_all(&block)?;
    }
    w.finish()?.flush()?;
    let seal_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let file = BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let mut r = EnvelopeReader::new(file, &sk, &OpenOptions::default())?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0usize;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        assert_eq!(buf[0], block[total % block.len()], "plaintext mismatch");
        total += n;
    }
    let open_secs = started.elapsed().as_secs_f64();
    let sealed_len = std::fs::metadata(&path)?.len();

    // Decrypting to a file: `open_to_path` writes into a temporary file beside the destination and moves
    // it into place only once the whole envelope verified, so a truncated or damaged envelope never leaves
    // unauthenticated plaintext under the destination's name.
    let out = path.with_extension("out");
    let file = BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    envelope::open_to_path(file, &sk, &OpenOptions::default(), &out)?;
    assert_eq!(std::fs::metadata(&out)?.len(), (mib << 20) as u64);
    std::fs::remove_file(&out)?;
    std::fs::remove_file(&path)?;
    assert_eq!(total, mib << 20);
    let gb = (mib << 20) as f64 / 1e9;
    println!(
        "{mib} MiB: sealed to {sealed_len} bytes in {seal_secs:.2} s ({:.2} GB/s), opened in {open_secs:.2} s ({:.2} GB/s)",
        gb / seal_secs,
        gb / open_secs
    );
    Ok(())
}
