//! The pop3 dissector on a fuzzed conversation (see `conversation`).
#![no_main]

mod conversation;

use libfuzzer_sys::fuzz_target;
use plainsight::dissect::{DissectorConfig, pop3};

fuzz_target!(|data: &[u8]| {
    let config = DissectorConfig {
        max_line: 512,
        ..DissectorConfig::default()
    };
    let mut d = (pop3::SPEC.new)(&config);
    conversation::feed(d.as_mut(), data, 64 * 1024, "pop3");
});
