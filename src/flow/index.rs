//! The flow table's index: from a key's hash to the slot of its flow.
//!
//! Open addressing with linear probing over 8-byte entries (32 bits of the key's hash and
//! the slot number), at most half full, deletion by backward shift (no tombstones). The
//! index of a few thousand flows is a few tens of KiB and stays in the core's cache while
//! packets stream through it; a general hash map keeps the keys (40 bytes each) in its
//! buckets, and on a busy link the bucket of nearly every packet was a cache miss. The
//! keys are compared in the flows themselves, which the packet needs next anyway.
//!
//! The hash is keyed per table (a random seed), so traffic cannot be crafted to make
//! every flow probe the same run of entries.

/// No slot: the entry is free.
const FREE: u64 = u64::MAX;

/// Smallest number of entries.
const MIN_ENTRIES: usize = 16;

#[derive(Debug)]
pub(super) struct Index {
    /// `(hash32 << 32) | slot`, or [`FREE`].
    entries: Vec<u64>,
    len: usize,
}

impl Index {
    pub(super) fn new() -> Index {
        Index {
            entries: vec![FREE; MIN_ENTRIES],
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.entries.len() - 1
    }

    fn home(&self, hash32: u32) -> usize {
        hash32 as usize & self.mask()
    }

    /// The slot of the entry with this hash for which `is_key(slot)` holds.
    #[inline]
    pub(super) fn find(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        let hash32 = hash as u32;
        let mask = self.mask();
        let mut i = self.home(hash32);
        loop {
            let e = self.entries[i];
            if e == FREE {
                return None;
            }
            if (e >> 32) as u32 == hash32 && is_key(e as u32) {
                return Some(e as u32);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `slot` under `hash` (the caller knows the key is not there yet); how many
    /// taken entries it passed over on its way from its home.
    pub(super) fn insert(&mut self, hash: u64, slot: u32) -> usize {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        self.len += 1;
        self.place((u64::from(hash as u32) << 32) | u64::from(slot))
    }

    fn place(&mut self, entry: u64) -> usize {
        let mask = self.mask();
        let mut i = self.home((entry >> 32) as u32);
        let mut probed = 0;
        while self.entries[i] != FREE {
            i = (i + 1) & mask;
            probed += 1;
        }
        self.entries[i] = entry;
        probed
    }

    fn grow(&mut self) {
        self.resize(self.entries.len() * 2);
    }

    fn resize(&mut self, entries: usize) {
        let old = std::mem::replace(&mut self.entries, vec![FREE; entries]);
        for e in old.into_iter().filter(|&e| e != FREE) {
            self.place(e);
        }
    }

    /// Removes the entry of `slot`, filed under `hash`; false when there is none.
    pub(super) fn remove(&mut self, hash: u64, slot: u32) -> bool {
        let wanted = (u64::from(hash as u32) << 32) | u64::from(slot);
        let mask = self.mask();
        let mut hole = self.home(hash as u32);
        loop {
            match self.entries[hole] {
                FREE => return false,
                e if e == wanted => break,
                _ => hole = (hole + 1) & mask,
            }
        }
        // Backward shift: entries after the hole that may live there move up, so every
        // entry stays reachable from its home without a gap.
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let e = self.entries[j];
            if e == FREE {
                break;
            }
            let home = self.home((e >> 32) as u32);
            // The entry stays when its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.entries[hole] = e;
                hole = j;
            }
        }
        self.entries[hole] = FREE;
        self.len -= 1;
        if self.entries.len() > MIN_ENTRIES && self.len * 8 < self.entries.len() {
            self.shrink();
        }
        true
    }

    /// Halves the entries once they are mostly free (after a flood of flows ends).
    fn shrink(&mut self) {
        self.resize(self.entries.len() / 2);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::dissect::garbage::Rng;

    /// Random inserts and removes, with hashes that collide on purpose (few distinct low
    /// bits), against a `HashMap`; every key is looked up after every step.
    #[test]
    fn behaves_as_a_map_under_collisions_growth_and_shrinking() {
        for (seed, spread) in [(1u32, 8u64), (2, 64), (3, 1 << 20), (4, 3)] {
            let mut rng = Rng::new(seed);
            let mut below = |n: u64| u64::from(rng.next()) % n;
            let mut index = Index::new();
            // slot -> hash
            let mut model: HashMap<u32, u64> = HashMap::new();
            let mut next_slot = 0u32;
            for step in 0..6000 {
                let grow = step < 3000 || below(2) == 0;
                if grow || model.is_empty() {
                    let hash = below(spread) | (below(4) << 32);
                    index.insert(hash, next_slot);
                    model.insert(next_slot, hash);
                    next_slot += 1;
                } else {
                    let victim = *model
                        .keys()
                        .nth(below(model.len() as u64) as usize)
                        .unwrap();
                    let hash = model.remove(&victim).unwrap();
                    assert!(index.remove(hash, victim));
                    assert!(!index.remove(hash, victim));
                }
                assert_eq!(index.len(), model.len());
                if step % 97 == 0 || step > 5900 {
                    for (&slot, &hash) in &model {
                        assert_eq!(
                            index.find(hash, |s| s == slot),
                            Some(slot),
                            "seed {seed} step {step}"
                        );
                    }
                    assert_eq!(index.find(u64::from(u32::MAX), |_| false), None);
                }
                assert!(index.len() * 2 <= index.entries.len());
            }
            // Drained, the entries shrink back.
            let all: Vec<(u32, u64)> = model.drain().collect();
            for (slot, hash) in all {
                assert!(index.remove(hash, slot));
            }
            assert_eq!(index.len(), 0);
            assert!(index.entries.len() <= 64, "{}", index.entries.len());
        }
    }
}
