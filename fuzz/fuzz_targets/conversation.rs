//! What the dissector targets share: a fuzzed conversation, records of a control byte
//! (direction in bit 0, length in the rest; in a TCP conversation 0xff marks a gap)
//! followed by that many bytes.
// Each target is its own crate and uses a part of this module.
#![allow(dead_code)]

use plainsight::dissect::{Chunk, Dissector};
use plainsight::finding::Credential;
use plainsight::flow::Direction;
use plainsight::timestamp::Timestamp;

/// One record of a conversation.
pub enum Record<'a> {
    Data(Direction, Chunk<'a>),
    Gap(Direction),
}

/// Calls `each` with the records of `data` in order (`gaps`: 0xff is a gap, not a control
/// byte); returns how many carried data (their frames are 1 to that).
pub fn replay<'a>(data: &'a [u8], gaps: bool, mut each: impl FnMut(Record<'a>)) -> u64 {
    let mut rest = data;
    let mut frame = 0;
    while let Some((&ctrl, tail)) = rest.split_first() {
        let dir = if ctrl & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        if gaps && ctrl == 0xff {
            each(Record::Gap(dir));
            rest = tail;
            continue;
        }
        let len = usize::from(ctrl >> 1).min(tail.len());
        frame += 1;
        each(Record::Data(
            dir,
            Chunk {
                data: &tail[..len],
                frame,
                ts: Timestamp::ZERO,
            },
        ));
        rest = &tail[len..];
    }
    frame
}

/// Plays `data` to the TCP dissector `d` (a gap is 10 bytes long), which must never hold
/// `max_buffered` bytes or more, ends the directions the input's length picks (as FINs
/// would) and closes it; its findings are checked.
pub fn feed(d: &mut dyn Dissector, data: &[u8], max_buffered: usize, name: &str) {
    let mut out = Vec::new();
    let frames = replay(data, true, |record| {
        match record {
            Record::Gap(dir) => d.gap(dir, 10, &mut out),
            Record::Data(dir, chunk) => d.data(dir, chunk, &mut out),
        }
        assert!(
            d.buffered() < max_buffered,
            "{name}: {} bytes held",
            d.buffered()
        );
    });
    for dir in [Direction::ToServer, Direction::ToClient] {
        if data.len() & (1 << dir.index()) != 0 {
            d.end(dir, &mut out);
        }
    }
    d.close(&mut out);
    check_frames(&out, frames);
}

/// Every finding names the frames it came from, each one of the `frames` played.
pub fn check_frames(out: &[Credential], frames: u64) {
    for c in out {
        assert!(!c.frames.is_empty(), "a finding without frames: {c:?}");
        assert!(
            c.frames.iter().all(|&f| f >= 1 && f <= frames),
            "frames out of range: {c:?}"
        );
    }
}
