//! The shipped rules' stream scanner on fuzzed streams of an unknown protocol: the first
//! two bytes are the server port, then records of a control byte (direction in bit 0,
//! length in the rest; 0xff marks a gap) followed by that many bytes.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use plainsight::dissect::detect::Registry;
use plainsight::flow::Direction;
use plainsight::rules::StreamRules;
use plainsight::timestamp::Timestamp;

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
    let mut rest = rest;
    let mut frame = 0;
    while let Some((&ctrl, tail)) = rest.split_first() {
        let dir = if ctrl & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if ctrl == 0xff {
            s.gap(rules, dir, &mut out);
            rest = tail;
            continue;
        }
        let len = usize::from(ctrl >> 1).min(tail.len());
        frame += 1;
        s.data(rules, dir, &tail[..len], frame, Timestamp::ZERO, &mut out);
        assert!(s.buffered() < 1 << 20, "{} bytes held", s.buffered());
        rest = &tail[len..];
    }
    s.close(rules, &mut out);
    for c in &out {
        assert!(!c.frames.is_empty(), "a finding without frames: {c:?}");
        assert!(
            c.frames.iter().all(|&f| f >= 1 && f <= frame),
            "frames out of range: {c:?}"
        );
    }
});
