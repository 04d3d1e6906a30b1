//! Any TCP dissector on a fuzzed conversation. The input starts with the protocol's name and
//! a NUL (an unknown name picks a dissector by its first byte), then the conversation (see
//! `conversation`). New dissectors are covered as soon as they are in `builtin_tcp()`.
#![no_main]

mod conversation;

use libfuzzer_sys::fuzz_target;
use plainsight::dissect::{DissectorConfig, builtin_tcp};

fuzz_target!(|data: &[u8]| {
    let specs = builtin_tcp();
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (name, rest) = (&data[..nul], &data[nul + 1..]);
    let spec = specs
        .iter()
        .find(|s| s.name.as_bytes() == name)
        .unwrap_or(&specs[usize::from(name.first().copied().unwrap_or(0)) % specs.len()]);
    // The probe must never panic either.
    let (a, b) = rest.split_at(rest.len() / 2);
    let _ = (spec.probe)(a, b);
    let config = DissectorConfig {
        max_line: 512,
        ..DissectorConfig::default()
    };
    let mut d = (spec.new)(&config);
    conversation::feed(d.as_mut(), rest, 1 << 20, spec.name);
});
