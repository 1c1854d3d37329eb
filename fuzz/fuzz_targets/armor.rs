//! The armor parser on arbitrary text (never panics; anything it accepts re-armors to something it
//! accepts with the same bytes) and the encoder on arbitrary bytes (always round-trips).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qres::envelope::armor;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(bytes) = armor::decode(&text) {
        assert_eq!(armor::decode(&armor::encode(&bytes).unwrap()).unwrap(), bytes);
    }
    if !data.is_empty() {
        assert_eq!(armor::decode(&armor::encode(data).unwrap()).unwrap(), data);
    }
});
