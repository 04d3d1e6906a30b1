//! `--dedup`: repeats of the same credential (protocol, server, user, secret) become one
//! record with `count`, `first_seen` and `last_seen`.
//!
//! It works on what the [`Reporter`](super::Reporter) writes: a credential a client
//! presents over and over (HTTP Basic on every request) is already reported once per
//! verdict there, and counts once here. Scanning files, records are held to the end of the
//! scan and written in the order of each credential's first occurrence; the record shown
//! is the first occurrence with the best verdict (success, else failure, else unknown),
//! so its frames, client and time are those of a real login. A stream (standard input, a
//! live capture) gets each credential's first occurrence at once (`count` 1), and at its
//! end one more record for each credential seen again, with the totals.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io;

use super::Record;
use super::strength::Strength;
use crate::finding::{Finding, Outcome};
use crate::timestamp::Timestamp;

/// Distinct credentials held before they are written early.
const MAX_KEYS: usize = 1 << 16;
/// Bytes of kept packets (the explain view) held before records are written early.
const MAX_PACKET_BYTES: usize = 64 << 20;

/// How often a credential was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repeat {
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Occurrences per outcome: success, failure, unknown.
    pub outcomes: [u64; 3],
}

fn rank(o: Outcome) -> usize {
    match o {
        Outcome::Success => 0,
        Outcome::Failure => 1,
        Outcome::Unknown => 2,
    }
}

struct Entry {
    shown: Finding,
    strength: Option<Strength>,
    repeat: Repeat,
}

/// Merges repeats of a credential.
pub struct Dedup {
    streaming: bool,
    index: HashMap<u64, usize, foldhash::fast::RandomState>,
    entries: Vec<Entry>,
    packet_bytes: usize,
    /// Findings merged into an earlier record.
    pub collapsed: u64,
}

fn packet_bytes(f: &Finding) -> usize {
    f.packets.iter().map(|p| p.data.len()).sum()
}

impl Dedup {
    /// `streaming`: write first occurrences at once (standard input, live captures).
    pub fn new(streaming: bool) -> Dedup {
        Dedup {
            streaming,
            index: HashMap::default(),
            entries: Vec::new(),
            packet_bytes: 0,
            collapsed: 0,
        }
    }

    fn key(f: &Finding) -> u64 {
        let c = &f.credential;
        foldhash::fast::FixedState::with_seed(0xded0).hash_one((
            &c.protocol,
            f.server,
            &c.domain,
            &c.username,
            &c.secret,
        ))
    }

    /// A finding the Reporter wrote; `emit` writes a record.
    pub fn add(
        &mut self,
        f: &Finding,
        strength: Option<Strength>,
        emit: &mut dyn FnMut(&Record<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        let key = Self::key(f);
        let ts = f.credential.timestamp;
        if let Some(&i) = self.index.get(&key)
            && let Some(e) = self.entries.get_mut(i)
        {
            self.collapsed += 1;
            let r = &mut e.repeat;
            r.count += 1;
            r.first_seen = r.first_seen.min(ts);
            r.last_seen = r.last_seen.max(ts);
            r.outcomes[rank(f.credential.outcome)] += 1;
            if rank(f.credential.outcome) < rank(e.shown.credential.outcome) {
                self.packet_bytes = self.packet_bytes.saturating_sub(packet_bytes(&e.shown));
                e.shown = f.clone();
                if self.streaming {
                    e.shown.packets = Vec::new();
                }
                self.packet_bytes += packet_bytes(&e.shown);
            }
            return self.bound(emit);
        }
        let mut outcomes = [0; 3];
        outcomes[rank(f.credential.outcome)] = 1;
        let repeat = Repeat {
            count: 1,
            first_seen: ts,
            last_seen: ts,
            outcomes,
        };
        if self.streaming {
            emit(&Record {
                finding: f,
                strength,
                repeat: Some(&repeat),
            })?;
            // Only what is needed for the final update is kept.
            let mut shown = f.clone();
            shown.packets = Vec::new();
            self.entries.push(Entry {
                shown,
                strength,
                repeat,
            });
        } else {
            self.packet_bytes += packet_bytes(f);
            self.entries.push(Entry {
                shown: f.clone(),
                strength,
                repeat,
            });
        }
        self.index.insert(key, self.entries.len() - 1);
        self.bound(emit)
    }

    /// Keeps memory bounded: past the caps, what is held is written and forgotten.
    fn bound(&mut self, emit: &mut dyn FnMut(&Record<'_>) -> io::Result<()>) -> io::Result<()> {
        if self.entries.len() >= MAX_KEYS || self.packet_bytes > MAX_PACKET_BYTES {
            self.finish(emit)?;
        }
        Ok(())
    }

    /// Writes what is held: every record (files), or the totals of credentials seen again
    /// (streams).
    pub fn finish(
        &mut self,
        emit: &mut dyn FnMut(&Record<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.index.clear();
        self.packet_bytes = 0;
        let streaming = self.streaming;
        for e in self.entries.drain(..) {
            if streaming && e.repeat.count < 2 {
                continue;
            }
            emit(&Record {
                finding: &e.shown,
                strength: e.strength,
                repeat: Some(&e.repeat),
            })?;
        }
        Ok(())
    }
}
