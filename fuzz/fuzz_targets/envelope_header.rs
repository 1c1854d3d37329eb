//! The envelope header parser on arbitrary bytes: it must return (never panic), and whatever it accepts
//! must re-encode to the bytes it read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::envelope::header;
use std::sync::OnceLock;

fn provider() -> &'static qres::Provider {
    static P: OnceLock<qres::Provider> = OnceLock::new();
    P.get_or_init(qres::default_provider)
}

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    if let Ok(parsed) = header::parse(&mut input, provider()) {
        let encoded = parsed.header.encode_without_mac().expect("a parsed header re-encodes");
        assert_eq!(encoded, parsed.without_mac);
        assert_eq!(&data[..encoded.len()], &encoded[..]);
    }
});
