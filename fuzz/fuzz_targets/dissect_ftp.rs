//! The ftp dissector on a fuzzed conversation: records of a control byte (direction in bit
//! 0, length in the rest; 0xff marks a gap) followed by that many bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plainsight::dissect::{Chunk, DissectorConfig, ftp};
use plainsight::flow::Direction;
use plainsight::timestamp::Timestamp;

fuzz_target!(|data: &[u8]| {
    let config = DissectorConfig {
        max_line: 512,
        ..DissectorConfig::default()
    };
    let mut d = (ftp::SPEC.new)(&config);
    let mut out = Vec::new();
    let mut rest = data;
    let mut frame = 0;
    while let Some((&ctrl, tail)) = rest.split_first() {
        let dir = if ctrl & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if ctrl == 0xff {
            d.gap(dir, 10, &mut out);
            rest = tail;
            continue;
        }
        let len = usize::from(ctrl >> 1).min(tail.len());
        frame += 1;
        d.data(
            dir,
            Chunk {
                data: &tail[..len],
                frame,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        assert!(d.buffered() < 64 * 1024, "{}", d.buffered());
        rest = &tail[len..];
    }
    d.close(&mut out);
    for c in &out {
        assert!(!c.frames.is_empty(), "a finding without frames: {c:?}");
    }
});
