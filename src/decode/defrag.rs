//! IP fragment reassembly (RFC 791 for IPv4, RFC 8200 section 4.5 for IPv6).
//!
//! Fragments are kept per datagram (source, destination, protocol, identification) in any
//! order; duplicates and overlaps are allowed, and where copies overlap the bytes seen
//! first win (overlaps whose bytes disagree are counted). A datagram is released when its
//! last fragment (MF clear) and every byte before it are in. Memory is bounded: datagrams
//! larger than 64 KiB are refused, incomplete ones expire after a timeout (capture time),
//! and when the pending bytes or datagrams exceed their caps the oldest are dropped.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use crate::timestamp::Timestamp;

/// Largest reassembled payload (the IPv4 total length is 16 bits; IPv6 jumbograms are
/// never fragmented).
const MAX_DATAGRAM: u32 = 65_535;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4: the protocol; IPv6: the fragment header's next header.
    pub proto: u8,
    pub id: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefragLimits {
    /// Bytes held over all incomplete datagrams.
    pub max_bytes: usize,
    /// Incomplete datagrams held at once.
    pub max_datagrams: usize,
    /// Seconds (capture time) an incomplete datagram is kept.
    pub timeout: u64,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits {
            max_bytes: 16 << 20,
            max_datagrams: 8192,
            timeout: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefragStats {
    pub fragments: u64,
    pub reassembled: u64,
    /// Incomplete datagrams dropped when their time ran out.
    pub timed_out: u64,
    /// Incomplete datagrams dropped to stay within the caps.
    pub capped: u64,
    /// Fragments refused (beyond 64 KiB, past the datagram's end, or empty).
    pub invalid: u64,
    /// Overlapping fragments whose bytes disagreed (first copy kept).
    pub conflicts: u64,
}

#[derive(Debug)]
struct Datagram {
    first_seen: Timestamp,
    data: Vec<u8>,
    /// Byte ranges received, sorted and merged.
    have: Vec<(u32, u32)>,
    /// The datagram's length, once its last fragment is in.
    total: Option<u32>,
}

impl Datagram {
    fn complete(&self) -> bool {
        matches!((self.total, self.have.as_slice()), (Some(t), [(0, end)]) if *end == t)
    }

    /// Copies the bytes of `[start, end)` that no earlier fragment covered.
    fn insert(&mut self, start: u32, payload: &[u8], stats: &mut DefragStats) {
        let end = start + payload.len() as u32;
        if self.data.len() < end as usize {
            self.data.resize(end as usize, 0);
        }
        let mut cursor = start;
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.have.len() + 1);
        for &(s, e) in &self.have {
            // Overlap with an earlier fragment: keep its bytes, compare ours.
            let lo = s.max(start);
            let hi = e.min(end);
            if lo < hi
                && self.data[lo as usize..hi as usize]
                    != payload[(lo - start) as usize..(hi - start) as usize]
            {
                stats.conflicts += 1;
            }
            if s > cursor && cursor < end {
                let to = s.min(end);
                self.data[cursor as usize..to as usize]
                    .copy_from_slice(&payload[(cursor - start) as usize..(to - start) as usize]);
            }
            cursor = cursor.max(e);
            merged.push((s, e));
        }
        if cursor < end {
            self.data[cursor as usize..end as usize]
                .copy_from_slice(&payload[(cursor - start) as usize..]);
        }
        merged.push((start, end));
        merged.sort_unstable();
        self.have.clear();
        for (s, e) in merged {
            match self.have.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => self.have.push((s, e)),
            }
        }
    }
}

/// Reassembles fragmented IP datagrams.
#[derive(Debug, Default)]
pub struct Defragmenter {
    pending: HashMap<FragKey, Datagram, foldhash::fast::RandomState>,
    /// Arrival order, for expiry and eviction (entries of finished datagrams are skipped).
    order: VecDeque<(FragKey, Timestamp)>,
    bytes: usize,
    limits: DefragLimits,
    pub stats: DefragStats,
}

impl Defragmenter {
    pub fn new(limits: DefragLimits) -> Defragmenter {
        Defragmenter {
            limits,
            ..Defragmenter::default()
        }
    }

    /// Bytes held for incomplete datagrams.
    pub fn pending_bytes(&self) -> usize {
        self.bytes
    }

    /// Adds a fragment: `offset` in bytes, `more` the MF flag. Returns the whole payload
    /// when this fragment completes its datagram.
    pub fn add(
        &mut self,
        key: FragKey,
        offset: u32,
        more: bool,
        payload: &[u8],
        now: Timestamp,
    ) -> Option<Vec<u8>> {
        self.stats.fragments += 1;
        self.expire(now);
        let end = offset.saturating_add(payload.len() as u32);
        if end > MAX_DATAGRAM || (payload.is_empty() && more) {
            self.stats.invalid += 1;
            return None;
        }
        if !self.pending.contains_key(&key) {
            while self.pending.len() >= self.limits.max_datagrams.max(1) {
                if !self.evict_oldest() {
                    break;
                }
            }
            self.pending.insert(
                key,
                Datagram {
                    first_seen: now,
                    data: Vec::new(),
                    have: Vec::new(),
                    total: None,
                },
            );
            self.order.push_back((key, now));
        }
        let d = self.pending.get_mut(&key)?;
        match (more, d.total) {
            (false, None) => {
                if d.have.last().is_some_and(|&(_, e)| e > end) {
                    // Bytes beyond the end this fragment declares: inconsistent.
                    self.stats.invalid += 1;
                    return None;
                }
                d.total = Some(end);
            }
            (false, Some(t)) if t != end => {
                self.stats.invalid += 1;
                return None;
            }
            (true, Some(t)) if end > t => {
                self.stats.invalid += 1;
                return None;
            }
            _ => {}
        }
        let before = d.data.len();
        d.insert(offset, payload, &mut self.stats);
        self.bytes += d.data.len() - before;
        if d.complete() {
            let d = self.pending.remove(&key)?;
            self.bytes -= d.data.len();
            self.stats.reassembled += 1;
            return Some(d.data);
        }
        while self.bytes > self.limits.max_bytes {
            if !self.evict_oldest() {
                break;
            }
        }
        None
    }

    /// Drops the oldest incomplete datagram; false when there is none.
    fn evict_oldest(&mut self) -> bool {
        while let Some((key, seen)) = self.order.pop_front() {
            if let Some(d) = self.pending.get(&key)
                && d.first_seen == seen
            {
                let d = self.pending.remove(&key);
                self.bytes -= d.map_or(0, |d| d.data.len());
                self.stats.capped += 1;
                return true;
            }
        }
        false
    }

    /// Drops datagrams older than the timeout.
    pub fn expire(&mut self, now: Timestamp) {
        while let Some(&(key, seen)) = self.order.front() {
            if now.secs_since(seen) <= self.limits.timeout {
                break;
            }
            self.order.pop_front();
            if let Some(d) = self.pending.get(&key)
                && d.first_seen == seen
            {
                let d = self.pending.remove(&key);
                self.bytes -= d.map_or(0, |d| d.data.len());
                self.stats.timed_out += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(id: u32) -> FragKey {
        FragKey {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            proto: 6,
            id,
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::new(s, 0)
    }

    #[test]
    fn any_order_with_duplicates() {
        let data: Vec<u8> = (0..=255).cycle().take(3000).collect();
        let mut d = Defragmenter::default();
        assert!(d.add(key(1), 2400, false, &data[2400..], t(0)).is_none());
        assert!(d.add(key(1), 0, true, &data[..1200], t(0)).is_none());
        assert!(d.add(key(1), 0, true, &data[..1200], t(0)).is_none());
        let out = d.add(key(1), 1200, true, &data[1200..2400], t(0)).unwrap();
        assert_eq!(out, data);
        assert_eq!(d.pending_bytes(), 0);
        assert_eq!(d.stats.reassembled, 1);
    }

    #[test]
    fn overlaps_keep_first_copy_and_count_conflicts() {
        let mut d = Defragmenter::default();
        assert!(d.add(key(2), 8, true, b"BBBBBBBB", t(0)).is_none());
        assert!(d.add(key(2), 0, true, b"AAAAAAAAXXXX", t(0)).is_none());
        let out = d.add(key(2), 16, false, b"CC", t(0)).unwrap();
        assert_eq!(out, b"AAAAAAAABBBBBBBBCC");
        assert_eq!(d.stats.conflicts, 1);
    }

    #[test]
    fn timeout_and_caps_bound_memory() {
        let mut d = Defragmenter::new(DefragLimits {
            max_bytes: 100,
            max_datagrams: 2,
            timeout: 30,
        });
        d.add(key(3), 0, true, &[1; 40], t(0));
        d.add(key(4), 0, true, &[1; 40], t(1));
        d.add(key(5), 0, true, &[1; 40], t(2));
        assert_eq!(d.stats.capped, 1);
        d.add(key(6), 80, true, &[1; 40], t(3));
        assert!(d.pending_bytes() <= 100, "{}", d.pending_bytes());
        let mut d = Defragmenter::default();
        d.add(key(7), 0, true, &[1; 40], t(0));
        d.add(key(8), 0, true, &[1; 40], t(20));
        d.add(key(9), 0, true, &[1; 40], t(40));
        assert_eq!(d.stats.timed_out, 1);
        d.expire(t(100));
        assert_eq!(d.pending_bytes(), 0);
        assert_eq!(d.stats.timed_out, 3);
    }

    #[test]
    fn refuses_oversized_and_inconsistent() {
        let mut d = Defragmenter::default();
        assert!(d.add(key(7), 65_530, true, &[0; 16], t(0)).is_none());
        assert_eq!(d.stats.invalid, 1);
        d.add(key(8), 0, true, &[0; 16], t(0));
        assert!(d.add(key(8), 8, false, &[0; 4], t(0)).is_none());
        assert_eq!(d.stats.invalid, 2);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    proptest! {
        #[test]
        fn any_fragment_order_rebuilds_the_datagram(
            data in proptest::collection::vec(any::<u8>(), 1..3000),
            cuts in proptest::collection::vec(1usize..400, 0..16),
            extra in proptest::collection::vec((0usize..400, 1usize..60), 0..8),
            seed in any::<u64>(),
        ) {
            // Fragment boundaries on 8-byte units, as IP requires.
            let units = data.len().div_ceil(8);
            let mut bounds: Vec<usize> = cuts.into_iter().filter(|&c| c < units).map(|c| c * 8).collect();
            bounds.push(0);
            bounds.push(data.len());
            bounds.sort_unstable();
            bounds.dedup();
            let mut frags: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
            for (start, n) in extra {
                let s = (start % units) * 8;
                let e = (s + n * 8).min(data.len());
                if s < e {
                    frags.push((s, e));
                }
            }
            let mut state = seed | 1;
            for i in (1..frags.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                frags.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let key = FragKey {
                src: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                dst: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
                proto: 6,
                id: 77,
            };
            let mut d = Defragmenter::default();
            let mut done = Vec::new();
            for (s, e) in frags {
                let more = e < data.len();
                if let Some(whole) = d.add(key, s as u32, more, &data[s..e], Timestamp::ZERO) {
                    done.push(whole);
                }
            }
            // Fragments arriving after completion start a new, never-complete datagram.
            prop_assert!(!done.is_empty());
            prop_assert_eq!(&done[0], &data);
            prop_assert_eq!(d.stats.conflicts, 0);
        }
    }
}
