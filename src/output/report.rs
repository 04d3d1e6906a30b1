//! The last stage before the sink: repeats are dropped and findings counted.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io;

use super::Sink;
use crate::finding::{Finding, Outcome};

/// Distinct repeatable credentials held before they are written early.
const MAX_HELD: usize = 1 << 16;

/// Repeatable credentials remembered before the memory is reset.
const MAX_REMEMBERED: usize = 1 << 20;

/// Bytes of kept packets (the explain view) held before an input's findings are written
/// early.
const MAX_HELD_PACKET_BYTES: usize = 64 << 20;

/// Writes findings to a sink, once per repeatable credential: a credential the client
/// presents over and over (HTTP Basic on every request, an SNMP community on every query,
/// over any number of connections) is reported once per (protocol, mechanism, client
/// address, server, user, secret — or the key's name when each message carries its own
/// MAC) and verdict. A repeat whose verdict was not seen
/// (`unknown`) adds nothing once a verdict is known, and is only reported when no
/// occurrence got one.
///
/// Scanning files, findings are held until the end of each input and written in capture
/// order (by the time, then the frame, that completed each credential), and of repeats the
/// earliest occurrence of each verdict: the output does not depend on how flows were
/// spread over threads. (Past [`MAX_HELD`] findings an input's are written early.) Live,
/// findings are written at once: an `unknown` repeat seen before the first verdict is
/// reported too.
pub struct Reporter<'a> {
    sink: &'a mut dyn Sink,
    /// Live: the outcomes already written per credential.
    seen: HashMap<u64, u8, foldhash::fast::RandomState>,
    /// Flush after every finding (live capture: a log shipper sees it at once).
    flush_each: bool,
    /// Hold repeatable findings to the end of the input (file scans).
    hold: bool,
    /// Per credential, the earliest finding of each outcome.
    held: HashMap<u64, [Option<Finding>; 3], foldhash::fast::RandomState>,
    /// Files: the other findings of the input so far.
    pending: Vec<Finding>,
    /// Bytes of the packets attached to held findings.
    held_packet_bytes: usize,
    /// Findings received that are not known repeats (for progress: held ones count).
    pub received: u64,
    pub written: u64,
    pub repeats: u64,
    pub error: Option<io::Error>,
}

/// What decides which of two occurrences of a repeated credential is reported.
fn order_key(f: &Finding) -> (crate::timestamp::Timestamp, u64) {
    (
        f.credential.timestamp,
        f.credential.frames.first().copied().unwrap_or(0),
    )
}

fn packet_bytes(f: &Finding) -> usize {
    f.packets.iter().map(|p| p.data.len()).sum()
}

/// Orders findings that share a time and first frame by what they say, so the output
/// does not depend on the order they arrived in (threads) or were held in (hash maps).
fn tie_break(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let key = |f: &Finding| {
        let c = &f.credential;
        (
            c.frames.clone(),
            (f.client, f.server),
            (c.protocol.clone(), c.mechanism.clone()),
            (c.username.clone(), c.secret.clone()),
            outcome_index(c.outcome),
        )
    };
    key(a).cmp(&key(b))
}

fn outcome_index(o: Outcome) -> usize {
    match o {
        Outcome::Success => 0,
        Outcome::Failure => 1,
        Outcome::Unknown => 2,
    }
}

impl<'a> Reporter<'a> {
    pub fn new(sink: &'a mut dyn Sink, flush_each: bool, hold: bool) -> Reporter<'a> {
        Reporter {
            sink,
            seen: HashMap::default(),
            flush_each,
            hold,
            held: HashMap::default(),
            pending: Vec::new(),
            held_packet_bytes: 0,
            received: 0,
            written: 0,
            repeats: 0,
            error: None,
        }
    }

    /// Whether findings wait for the end of the input (files) or go out at once (a
    /// stream on standard input, a live capture).
    pub fn set_hold(&mut self, hold: bool) {
        if !hold {
            self.end_of_input();
        }
        self.hold = hold;
    }

    /// Writes a finding (unless it repeats one already written); false once the output
    /// has failed.
    pub fn report(&mut self, f: Finding) -> bool {
        if self.error.is_some() {
            return false;
        }
        let c = &f.credential;
        if !c.repeats {
            self.received += 1;
            if self.hold {
                // Files: every finding waits for the end of the input, to come out in
                // capture order whatever the threads did.
                if self.pending.len() >= MAX_HELD || self.held_packet_bytes > MAX_HELD_PACKET_BYTES
                {
                    self.end_of_input();
                }
                self.held_packet_bytes += packet_bytes(&f);
                self.pending.push(f);
                return self.error.is_none();
            }
            return self.write(&f);
        }
        let key = foldhash::fast::FixedState::with_seed(0x7e9e).hash_one((
            &c.protocol,
            &c.mechanism,
            (f.client.ip, f.client.mac),
            f.server,
            &c.username,
            c.repeat_key
                .as_ref()
                .map_or(c.secret.as_deref(), |k| Some(k.as_bytes())),
        ));
        let slot = outcome_index(c.outcome);
        if self.hold {
            if (!self.held.contains_key(&key) && self.held.len() >= MAX_HELD)
                || self.held_packet_bytes > MAX_HELD_PACKET_BYTES
            {
                // Bounded memory beats a deterministic choice here.
                self.end_of_input();
            }
            let kept = self.held.entry(key).or_default();
            if kept[slot].is_some() {
                self.repeats += 1;
            } else {
                self.received += 1;
            }
            match &kept[slot] {
                Some(k) if order_key(k) <= order_key(&f) => {}
                _ => {
                    if let Some(old) = &kept[slot] {
                        self.held_packet_bytes =
                            self.held_packet_bytes.saturating_sub(packet_bytes(old));
                    }
                    self.held_packet_bytes += packet_bytes(&f);
                    kept[slot] = Some(f);
                }
            }
            return true;
        }
        if self.seen.len() >= MAX_REMEMBERED {
            self.seen.clear();
        }
        let mask = self.seen.entry(key).or_insert(0);
        let repeat = *mask & (1 << slot) != 0 || (slot == 2 && *mask != 0);
        if repeat {
            self.repeats += 1;
            return true;
        }
        *mask |= 1 << slot;
        self.received += 1;
        self.write(&f)
    }

    /// The end of an input: held repeatable findings are written, earliest first.
    pub fn end_of_input(&mut self) -> bool {
        self.held_packet_bytes = 0;
        let mut out: Vec<Finding> = std::mem::take(&mut self.pending);
        for (_, kept) in self.held.drain() {
            let [success, failure, unknown] = kept;
            let verdicts = success.is_some() || failure.is_some();
            let total = [&success, &failure, &unknown]
                .iter()
                .filter(|k| k.is_some())
                .count();
            let keep: Vec<Finding> = if verdicts {
                success.into_iter().chain(failure).collect()
            } else {
                unknown.into_iter().collect()
            };
            self.repeats += (total - keep.len()) as u64;
            out.extend(keep);
        }
        out.sort_by(|a, b| {
            order_key(a)
                .cmp(&order_key(b))
                .then_with(|| tie_break(a, b))
        });
        self.sink.prepare(&out);
        for f in &out {
            if !self.write(f) {
                return false;
            }
        }
        // The explain view renders what it holds (a batch of findings can share packets).
        if !out.is_empty() {
            self.flush();
        }
        self.error.is_none()
    }

    fn write(&mut self, f: &Finding) -> bool {
        if self.error.is_some() {
            return false;
        }
        let result = self.sink.finding(f).and_then(|()| {
            if self.flush_each {
                self.sink.flush()
            } else {
                Ok(())
            }
        });
        match result {
            Ok(()) => {
                self.written += 1;
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    pub fn flush(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.sink.flush()
        {
            self.error = Some(e);
        }
    }

    /// The end of the scan or capture: what later stages hold (`--dedup`) is written.
    pub fn finish(&mut self) {
        self.end_of_input();
        if self.error.is_none()
            && let Err(e) = self.sink.finish()
        {
            self.error = Some(e);
        }
    }
}

impl crate::pipeline::Output for Reporter<'_> {
    fn finding(&mut self, f: Finding) -> bool {
        self.report(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Credential, Endpoint, Kind};
    use crate::timestamp::Timestamp;

    #[derive(Default)]
    struct Collect(Vec<(String, Outcome)>);

    impl Sink for Collect {
        fn finding(&mut self, f: &Finding) -> io::Result<()> {
            let secret =
                String::from_utf8_lossy(f.credential.secret.as_deref().unwrap_or_default());
            self.0.push((secret.into_owned(), f.credential.outcome));
            Ok(())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// An NTP MAC of key `key` from client port `port`: every packet's digest differs.
    fn mac(port: u16, key: u32, digest: &str, outcome: Outcome, frame: u64) -> Finding {
        let mut c = Credential::new("ntp", "keyed MD5", Kind::ChallengeResponse, Timestamp::ZERO);
        c.secret = Some(digest.as_bytes().to_vec());
        c.outcome = outcome;
        c.repeats = true;
        c.repeat_key = Some(format!("16 key {key}"));
        c.add_frames([frame]);
        Finding {
            credential: c,
            client: Endpoint::new("10.0.0.2".parse().unwrap(), port),
            server: Endpoint::new("10.0.0.1".parse().unwrap(), 123),
            source: "t.pcap".into(),
            packets: Vec::new(),
        }
    }

    /// Repeats that name their key are merged by it, whatever their secrets (and client
    /// ports): one per key and verdict, the earliest; an unknown one only without a
    /// verdict.
    #[test]
    fn keyed_repeats_merge_by_key_not_secret() {
        for hold in [true, false] {
            let mut sink = Collect::default();
            let mut r = Reporter::new(&mut sink, false, hold);
            r.report(mac(40001, 1, "d1", Outcome::Success, 1));
            r.report(mac(40002, 1, "d2", Outcome::Success, 2));
            r.report(mac(40003, 2, "d3", Outcome::Unknown, 3));
            r.report(mac(40004, 2, "d4", Outcome::Unknown, 4));
            r.end_of_input();
            assert_eq!(
                sink.0,
                vec![
                    ("d1".to_string(), Outcome::Success),
                    ("d3".to_string(), Outcome::Unknown)
                ],
                "hold {hold}"
            );
        }
    }
}
