//! TCP reassembly driven by a fuzzed sequence of segments, FINs and ACKs: no panic,
//! buffered bytes within the cap, and when every segment carries the stream's own bytes,
//! what comes out is exactly the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plainsight::flow::reassembly::{Delivery, HalfStream, Origin, ReassemblyStats, Segment};
use plainsight::timestamp::Timestamp;

fn byte_at(offset: u64) -> u8 {
    (offset.wrapping_mul(7) % 251) as u8
}

fuzz_target!(|data: &[u8]| {
    let Some((&isn_byte, rest)) = data.split_first() else {
        return;
    };
    // ISNs near the wrap as often as not.
    let isn = u32::MAX - u32::from(isn_byte) * 17;
    let cap = 4096;
    let mut s = HalfStream::new();
    let mut stats = ReassemblyStats::default();
    if isn_byte & 1 == 0 {
        s.syn(isn);
    }
    let mut pos: u64 = 0; // stream offset of the next byte delivered
    let mut consistent = true;
    let check = |d: Delivery<'_>, pos: &mut u64, consistent: bool| match d {
        Delivery::Data(bytes, _) => {
            if consistent && isn_byte & 1 == 0 {
                for (i, &b) in bytes.iter().enumerate() {
                    assert_eq!(b, byte_at(*pos + i as u64), "at {}", *pos + i as u64);
                }
            }
            *pos += bytes.len() as u64;
        }
        Delivery::Gap(n) => *pos += n,
    };
    // Records of 6 bytes: kind, offset (3 bytes, signed around the stream), length, cut.
    for (i, r) in rest.chunks_exact(6).enumerate() {
        let off = i64::from(i32::from_be_bytes([0, r[1], r[2], r[3]]) - 0x80_0000);
        let len = usize::from(r[4]) * 4;
        let seq = isn.wrapping_add(1).wrapping_add(off as u32);
        match r[0] % 4 {
            0 | 1 => {
                let garbage = r[0] & 0x80 != 0;
                if garbage {
                    consistent = false;
                }
                let payload: Vec<u8> = (0..len)
                    .map(|j| {
                        if garbage {
                            0xee
                        } else {
                            byte_at((off as u64).wrapping_add(j as u64))
                        }
                    })
                    .collect();
                let captured = &payload[..len.saturating_sub(usize::from(r[5] & 0x0f))];
                let seg = Segment {
                    seq,
                    payload: captured,
                    wire_len: len as u32,
                    fin: r[0] & 0x40 != 0,
                    origin: Origin {
                        frame: i as u64,
                        ts: Timestamp::ZERO,
                    },
                };
                s.segment(seg, cap, &mut stats, &mut |d| {
                    check(d, &mut pos, consistent)
                });
            }
            2 => s.acknowledged(seq, &mut stats, &mut |d| check(d, &mut pos, consistent)),
            _ => s.flush(&mut stats, &mut |d| check(d, &mut pos, consistent)),
        }
        assert!(s.pending_bytes() <= cap + 1024, "{}", s.pending_bytes());
    }
    s.flush(&mut stats, &mut |d| check(d, &mut pos, consistent));
    assert_eq!(s.pending_bytes(), 0);
});
