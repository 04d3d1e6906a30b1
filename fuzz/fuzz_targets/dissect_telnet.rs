//! The telnet dissector on a fuzzed conversation (see `conversation`).
#![no_main]

mod conversation;

use libfuzzer_sys::fuzz_target;
use plainsight::dissect::{DissectorConfig, telnet};

fuzz_target!(|data: &[u8]| {
    let config = DissectorConfig {
        max_line: 512,
        ..DissectorConfig::default()
    };
    let mut d = (telnet::SPEC.new)(&config);
    conversation::feed(d.as_mut(), data, 64 * 1024, "telnet");
});
