//! Any UDP dissector on fuzzed datagrams. The input starts with the protocol's name and a
//! NUL (an unknown name picks a dissector by its first byte), then records of a control
//! byte (direction in bit 0, length in the rest) followed by that many bytes, one datagram
//! each. New dissectors are covered as soon as they are in `builtin_udp()`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plainsight::dissect::{Chunk, DissectorConfig, builtin_udp};
use plainsight::flow::Direction;
use plainsight::timestamp::Timestamp;

fuzz_target!(|data: &[u8]| {
    let specs = builtin_udp();
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (name, mut rest) = (&data[..nul], &data[nul + 1..]);
    let spec = specs
        .iter()
        .find(|s| s.name.as_bytes() == name)
        .unwrap_or(&specs[usize::from(name.first().copied().unwrap_or(0)) % specs.len()]);
    let _ = (spec.probe)(rest);
    let mut d = (spec.new)(&DissectorConfig::default());
    let mut out = Vec::new();
    let mut frame = 0;
    while let Some((&ctrl, tail)) = rest.split_first() {
        let dir = if ctrl & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let len = usize::from(ctrl >> 1).min(tail.len());
        frame += 1;
        d.datagram(
            dir,
            Chunk {
                data: &tail[..len],
                frame,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        assert!(
            d.buffered() < 1 << 20,
            "{}: {} bytes held",
            spec.name,
            d.buffered()
        );
        rest = &tail[len..];
    }
    d.close(&mut out);
    for c in &out {
        assert!(!c.frames.is_empty(), "a finding without frames: {c:?}");
    }
});
