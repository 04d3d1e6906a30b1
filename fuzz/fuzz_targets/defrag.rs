//! A sequence of IP fragments: whatever they say, no panic, memory within the cap, and a
//! datagram whose fragments all agree comes out as sent.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use plainsight::decode::{DefragLimits, Defragmenter, FragKey};
use plainsight::timestamp::Timestamp;

/// Byte `i` of datagram `id`: fragments that follow the pattern agree with each other.
fn pattern(id: u32, i: usize) -> u8 {
    (i as u32).wrapping_mul(31).wrapping_add(id) as u8
}

fuzz_target!(|data: &[u8]| {
    let limits = DefragLimits {
        max_bytes: 64 * 1024,
        max_datagrams: 8,
        timeout: 30,
    };
    let mut d = Defragmenter::new(limits);
    // Records of 5 bytes: id, offset (2, in 8-byte units), length, flags.
    for (i, r) in data.chunks_exact(5).enumerate() {
        let id = u32::from(r[0] & 0x07);
        let offset = u32::from(u16::from_be_bytes([r[1], r[2]]) & 0x1fff) * 8;
        let len = usize::from(r[3]);
        let more = r[4] & 1 == 1;
        let garbage = r[4] & 2 == 2;
        let payload: Vec<u8> = (0..len)
            .map(|j| {
                if garbage {
                    r[4]
                } else {
                    pattern(id, offset as usize + j)
                }
            })
            .collect();
        let key = FragKey {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            proto: 6,
            id,
        };
        let now = Timestamp::new((i / 4) as i64, 0);
        if let Some(whole) = d.add(key, offset, more, &payload, now) {
            assert!(whole.len() <= 65_535);
            if d.stats.conflicts == 0 && !data.chunks_exact(5).any(|r| r[4] & 2 == 2) {
                for (j, &b) in whole.iter().enumerate() {
                    assert_eq!(b, pattern(id, j));
                }
            }
        }
        assert!(d.pending_bytes() <= limits.max_bytes + 65_535);
    }
});
