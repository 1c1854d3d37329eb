//! The streaming armor reader and writer against the in-memory parser and encoder: for arbitrary text
//! read in arbitrary pieces, `armor::reader` accepts exactly what `armor::decode` accepts, with the same
//! bytes; for arbitrary bytes written in arbitrary pieces, `armor::writer` produces exactly `encode`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::envelope::armor;
use std::io::{Read, Write};

/// Hands out the input in pieces whose sizes come from `sizes` (cycled), as a slow socket would.
struct Pieces<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    turn: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = self.sizes.get(self.turn % self.sizes.len().max(1)).map_or(4096, |&s| usize::from(s) + 1);
        self.turn += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let (sizes, payload) = rest.split_at((usize::from(split) % 16).min(rest.len()));
    let text = String::from_utf8_lossy(payload);
    let in_memory = armor::decode(&text);
    let mut streamed = Vec::new();
    let streaming = armor::reader(Pieces { data: text.as_bytes(), sizes, turn: 0 }).read_to_end(&mut streamed);
    assert_eq!(in_memory.is_ok(), streaming.is_ok(), "the two parsers disagree");
    if let Ok(bytes) = in_memory {
        assert_eq!(bytes, streamed);
    }
    if !payload.is_empty() {
        let mut w = armor::writer(Vec::new()).unwrap();
        let mut at = 0;
        let mut turn = 0;
        while !sizes.is_empty() && at < payload.len() {
            let n = (usize::from(sizes[turn % sizes.len()]) + 1).min(payload.len() - at);
            w.write_all(&payload[at..at + n]).unwrap();
            at += n;
            turn += 1;
        }
        if at < payload.len() {
            w.write_all(&payload[at..]).unwrap();
        }
        assert_eq!(w.finish().unwrap(), armor::encode(payload).unwrap().into_bytes());
    }
});
