//! The shipped rules' stream scanner on fuzzed streams of an unknown protocol: the first
//! two bytes are the server port, then a conversation (see `conversation`).
#![no_main]

mod conversation;

use std::sync::LazyLock;

use conversation::Record;
use libfuzzer_sys::fuzz_target;
use plainsight::dissect::detect::Registry;
use plainsight::rules::StreamRules;

static REGISTRY: LazyLock<Registry> =
    LazyLock::new(|| Registry::with_shipped_rules().expect("shipped rules load"));

fuzz_target!(|data: &[u8]| {
    let rules = REGISTRY.rules();
    let [hi, lo, rest @ ..] = data else {
        return;
    };
    let port = u16::from_be_bytes([*hi, *lo]);
    let Some(mut s) = StreamRules::for_flow(rules, port, None) else {
        return;
    };
    let mut out = Vec::new();
    let frames = conversation::replay(rest, true, |record| {
        match record {
            Record::Gap(dir) => s.gap(rules, dir, &mut out),
            Record::Data(dir, c) => s.data(rules, dir, c.data, c.frame, c.ts, &mut out),
        }
        assert!(s.buffered() < 1 << 20, "{} bytes held", s.buffered());
    });
    s.close(rules, &mut out);
    conversation::check_frames(&out, frames);
});
