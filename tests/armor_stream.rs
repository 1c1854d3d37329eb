//! A 100 MiB envelope through the streaming armor and back, in constant memory (issue 10, item 3).
//!
//! Alone in its own test binary so that the peak resident memory it measures is its own. Before the fix
//! armor existed only in memory: `encode` built the whole text, and `decode` refused anything over 64 MiB.

use qres::envelope::{EnvelopeReader, EnvelopeWriter, OpenOptions, SealOptions, armor};
use qres::{KemId, OsRng, default_provider};
use sha2::{Digest, Sha256};
use std::io::{BufReader, BufWriter, Read, Write};

/// The peak resident set size of this process so far, in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn hundred_mib_armored_round_trip_in_constant_memory() {
    const TOTAL: usize = 100 << 20;
    let sk = default_provider().kem(KemId::X_WING).unwrap().generate(&mut OsRng).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.qres.asc");
    let before = peak_rss_kib();

    let file = BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut writer = EnvelopeWriter::new(
        armor::writer(file).unwrap(),
        &[sk.public_key().clone().into()],
        &SealOptions::default(),
        &mut OsRng,
    )
    .unwrap();
    let mut block = vec![0u8; 1 << 16];
    let mut sent = Sha256::new();
    for i in 0..TOTAL / block.len() {
        for (j, b) in block.iter_mut().enumerate() {
            *b = (i * 31 + j * 7) as u8;
        }
        sent.update(&block);
        writer.write_all(&block).unwrap();
    }
    writer.finish().unwrap().finish().unwrap().flush().unwrap();
    let armored_len = std::fs::metadata(&path).unwrap().len();
    assert!(armored_len > (TOTAL as u64) * 4 / 3, "{armored_len}");
    assert!(armored_len as usize > armor::MAX_ARMORED_LEN, "larger than the in-memory limit");

    let input = armor::reader(BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut reader = EnvelopeReader::new(input, &sk, &OpenOptions::default()).unwrap();
    let mut received = Sha256::new();
    let mut total = 0usize;
    loop {
        let n = reader.read(&mut block).unwrap();
        if n == 0 {
            break;
        }
        received.update(&block[..n]);
        total += n;
    }
    assert_eq!(total, TOTAL);
    assert_eq!(sent.finalize(), received.finalize());
    let growth_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    println!("100 MiB armored ({armored_len} bytes of text) round trip: peak RSS grew by {growth_mib} MiB");
    assert!(growth_mib < 16, "peak memory grew by {growth_mib} MiB for a 100 MiB round trip");
}
