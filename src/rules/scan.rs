//! Running detectors over the ordered bytes of a stream.
//!
//! Each direction keeps the first `window` bytes of its stream (the largest window of
//! the detectors that apply). After each new run of bytes, one pass of the combined
//! regex set over the new bytes (and the [`LOOKBACK`] bytes before them, so a match cut
//! across segments is found) says which detectors match; only those run their own regex
//! for the groups. A match that reaches the end of what has arrived may still grow, so it
//! waits for more bytes or the end of the stream. Cost is linear in the bytes scanned,
//! whatever the number of rules.

use std::collections::HashSet;

use super::{Detector, RuleSet, RuleTransport};
use crate::dissect::Chunk;
use crate::finding::{Credential, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

/// How far before new bytes a match may start (a match may span segments, but not more
/// than this).
pub const LOOKBACK: usize = 4096;
/// Bytes looked at to decide whether a direction is text.
const TEXT_SAMPLE: usize = 256;

#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    /// (offset in `buf`, frame, time) of each run of bytes.
    runs: Vec<(usize, u64, Timestamp)>,
    /// Matches already reported, by (detector, start offset).
    reported: HashSet<(usize, usize)>,
    /// Offset up to which the set has been run.
    scanned: usize,
    /// The last pass left a match that reached the end of the bytes (it may still grow):
    /// the end of the stream or a gap completes it. Otherwise a pass over the same bytes
    /// finds nothing new, and none is made.
    deferred: bool,
    /// Passes of the set over this direction.
    #[cfg(test)]
    passes: u32,
    done: bool,
    text_checked: bool,
}

/// The detectors that apply to one flow, and what they have seen of it.
#[derive(Debug)]
pub struct StreamRules {
    /// Detector indices per direction.
    active: [Vec<usize>; 2],
    window: [usize; 2],
    binary: [bool; 2],
    sides: [Side; 2],
}

/// Mostly printable: a text protocol, where detectors look by default. Printable: not a
/// control character other than tab, line feed and carriage return (bytes from 0x80 are
/// UTF-8 text). Counted without branches, 32 bytes at a time into a byte, so that the
/// count runs on vectors (a sample is taken from every stream the rules look at).
fn looks_like_text(sample: &[u8]) -> bool {
    fn control(b: u8) -> u8 {
        u8::from((b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) | (b == 0x7f))
    }
    let blocks = sample.chunks_exact(32);
    let tail: usize = blocks
        .remainder()
        .iter()
        .map(|&b| usize::from(control(b)))
        .sum();
    let control: usize = blocks
        .map(|block| usize::from(block.iter().fold(0u8, |n, &b| n + control(b))))
        .sum::<usize>()
        + tail;
    (sample.len() - control) * 10 >= sample.len() * 9
}

impl StreamRules {
    /// The rules for a TCP flow on `server_port` whose protocol is `protocol` (`None`:
    /// unknown), or `None` when no detector applies.
    pub fn for_flow(
        rules: &RuleSet,
        server_port: u16,
        protocol: Option<&str>,
    ) -> Option<StreamRules> {
        let mut active: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut window = [0usize; 2];
        let mut binary = [false; 2];
        for (i, d) in rules.detectors.iter().enumerate() {
            if !d.applies(RuleTransport::Tcp, server_port, protocol) {
                continue;
            }
            for dir in [Direction::ToServer, Direction::ToClient] {
                if d.direction.matches(dir) {
                    active[dir.index()].push(i);
                    window[dir.index()] = window[dir.index()].max(d.window);
                    binary[dir.index()] |= d.binary;
                }
            }
        }
        if active.iter().all(Vec::is_empty) {
            return None;
        }
        let mut sides = [Side::default(), Side::default()];
        for (side, a) in sides.iter_mut().zip(&active) {
            side.done = a.is_empty();
        }
        Some(StreamRules {
            active,
            window,
            binary,
            sides,
        })
    }

    /// Whether both directions are past their windows (or have no detector).
    pub fn done(&self) -> bool {
        self.sides.iter().all(|s| s.done)
    }

    /// Whether one direction is past its window (or has no detector).
    pub fn direction_done(&self, dir: Direction) -> bool {
        self.sides[dir.index()].done
    }

    /// Bytes held.
    pub fn buffered(&self) -> usize {
        self.sides
            .iter()
            .map(|s| s.buf.capacity() + s.runs.capacity() * 32)
            .sum()
    }

    /// Ordered bytes of one direction.
    pub fn data(
        &mut self,
        rules: &RuleSet,
        dir: Direction,
        data: &[u8],
        frame: u64,
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let i = dir.index();
        let window = self.window[i];
        let side = &mut self.sides[i];
        if side.done || data.is_empty() {
            return;
        }
        let take = data.len().min(window.saturating_sub(side.buf.len()));
        if !side.text_checked && side.buf.is_empty() && (take >= TEXT_SAMPLE || take < data.len()) {
            // The sample is in the first bytes as they came: a binary stream (a TLS
            // handshake, most often) is left before anything is copied.
            side.text_checked = true;
            if !self.binary[i] && !looks_like_text(&data[..take.min(TEXT_SAMPLE)]) {
                side.done = true;
                return;
            }
        }
        side.runs.push((side.buf.len(), frame, ts));
        side.buf.extend_from_slice(&data[..take]);
        if !side.text_checked && (side.buf.len() >= TEXT_SAMPLE || take < data.len()) {
            side.text_checked = true;
            if !self.binary[i] && !looks_like_text(&side.buf[..side.buf.len().min(TEXT_SAMPLE)]) {
                side.done = true;
                side.buf = Vec::new();
                return;
            }
        }
        let full = side.buf.len() >= window;
        scan(rules, &self.active[i], side, full, out);
        if full {
            side.done = true;
            side.buf = Vec::new();
            side.runs = Vec::new();
        }
    }

    /// A gap: what follows is not contiguous with what came before, so the direction
    /// starts over (matches never span a gap).
    pub fn gap(&mut self, rules: &RuleSet, dir: Direction, out: &mut Vec<Credential>) {
        let i = dir.index();
        let side = &mut self.sides[i];
        if side.done {
            return;
        }
        complete(rules, &self.active[i], side, out);
        side.buf.clear();
        side.runs.clear();
        side.reported.clear();
        side.scanned = 0;
    }

    /// The end of the stream: matches that reached its last byte are complete now.
    pub fn close(&mut self, rules: &RuleSet, out: &mut Vec<Credential>) {
        for i in 0..2 {
            let side = &mut self.sides[i];
            if !side.done {
                complete(rules, &self.active[i], side, out);
                side.done = true;
                side.buf = Vec::new();
            }
        }
    }

    /// One datagram, matched on its own (UDP).
    pub fn datagram(
        rules: &RuleSet,
        server_port: u16,
        protocol: Option<&str>,
        dir: Direction,
        datagram: Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let Chunk {
            data: payload,
            frame,
            ts,
        } = datagram;
        let (set, index) = rules.set(RuleTransport::Udp);
        if index.is_empty() {
            return;
        }
        for hit in set.matches(payload).iter() {
            let d = &rules.detectors[index[hit]];
            if !d.applies(RuleTransport::Udp, server_port, protocol) || !d.direction.matches(dir) {
                continue;
            }
            let mut at = 0;
            while let Some(caps) = d.regex.captures_at(payload, at) {
                let Some(whole) = caps.get(0) else { break };
                if let Some(c) = credential(d, &caps, &[(0, frame, ts)]) {
                    out.push(c);
                }
                at = if whole.end() > whole.start() {
                    whole.end()
                } else {
                    whole.start() + 1
                };
                if at > payload.len() {
                    break;
                }
            }
        }
    }

    /// Passes of the set made over one direction so far.
    #[cfg(test)]
    fn passes(&self, dir: Direction) -> u32 {
        self.sides[dir.index()].passes
    }
}

/// The bytes of one direction end (the stream's end, a gap): a match left waiting at the
/// end of the bytes is complete now. Without one, and with every byte scanned, a pass
/// would find what the last one found, all reported already.
fn complete(rules: &RuleSet, active: &[usize], side: &mut Side, out: &mut Vec<Credential>) {
    if side.deferred || side.scanned < side.buf.len() {
        scan(rules, active, side, true, out);
    }
}

/// Runs the detectors of one direction over its new bytes. With `complete`, a match may
/// end at the last byte (the stream ended or its window is full).
fn scan(
    rules: &RuleSet,
    active: &[usize],
    side: &mut Side,
    complete: bool,
    out: &mut Vec<Credential>,
) {
    let (set, index) = rules.set(RuleTransport::Tcp);
    let start = side.scanned.saturating_sub(LOOKBACK);
    let buf = &side.buf;
    side.deferred = false;
    if start >= buf.len() {
        return;
    }
    #[cfg(test)]
    {
        side.passes += 1;
    }
    let hits = set.matches_at(buf, start);
    for (slot, &d_index) in index.iter().enumerate() {
        if !hits.matched(slot) || !active.contains(&d_index) {
            continue;
        }
        let d = &rules.detectors[d_index];
        let mut at = start;
        while at <= buf.len() {
            let Some(caps) = d.regex.captures_at(buf, at) else {
                break;
            };
            let Some(whole) = caps.get(0) else { break };
            if whole.end() == buf.len() && !complete {
                side.deferred = true;
                break; // it may still grow
            }
            if side.reported.insert((d_index, whole.start()))
                && let Some(c) = credential(d, &caps, &side.runs)
            {
                out.push(c);
            }
            at = if whole.end() > whole.start() {
                whole.end()
            } else {
                whole.start() + 1
            };
        }
    }
    side.scanned = buf.len();
}

/// The finding of a match: its groups, the frames of the bytes it spans.
fn credential(
    d: &Detector,
    caps: &regex::bytes::Captures<'_>,
    runs: &[(usize, u64, Timestamp)],
) -> Option<Credential> {
    let whole = caps.get(0)?;
    let user = caps.name("user").map(|m| m.as_bytes().to_vec());
    let secret = caps.name("secret").map(|m| m.as_bytes().to_vec());
    if secret.as_ref().is_none_or(Vec::is_empty) && user.as_ref().is_none_or(Vec::is_empty) {
        return None;
    }
    // Runs that overlap the match, and the one that holds its end.
    let mut frames = Vec::new();
    let mut ts = Timestamp::ZERO;
    for (k, &(offset, frame, t)) in runs.iter().enumerate() {
        let end = runs.get(k + 1).map_or(usize::MAX, |r| r.0);
        if offset < whole.end() && end > whole.start() {
            frames.push(frame);
            ts = t;
        }
    }
    let mut c = Credential::new("rule", d.name.clone(), d.kind.into(), ts);
    c.protocol = d.protocol.clone().into();
    c.username = user;
    c.secret = secret;
    c.outcome = Outcome::Unknown;
    c.rule = Some(d.name.clone());
    c.repeats = d.repeats;
    if let Some(ctx) = caps.name("context") {
        c.details.push((
            "context",
            String::from_utf8_lossy(ctx.as_bytes()).into_owned(),
        ));
    }
    c.add_frames(frames);
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{KnownProtocols, RuleSet, parse_file};

    fn rules(text: &str) -> RuleSet {
        let (d, p) = parse_file("t.toml", text, &KnownProtocols::default()).unwrap();
        RuleSet::new(d, p).unwrap()
    }

    const ACME: &str = r#"
[[detector]]
name = "acme-login"
description = "ACME login"
protocol = "acme"
transport = "tcp"
direction = "client"
pattern = '(?m)^LOGIN (?P<user>\S+) (?P<secret>\S+)\r?$'
kind = "cleartext"
"#;

    fn feed(r: &RuleSet, parts: &[&[u8]]) -> Vec<Credential> {
        let mut s = StreamRules::for_flow(r, 7777, None).unwrap();
        let mut out = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            s.data(
                r,
                Direction::ToServer,
                p,
                i as u64 + 1,
                Timestamp::ZERO,
                &mut out,
            );
        }
        s.close(r, &mut out);
        out
    }

    #[test]
    fn a_match_split_across_three_segments() {
        let r = rules(ACME);
        let out = feed(&r, &[b"HELLO\r\nLOG", b"IN alice s3cr", b"et\r\nQUIT\r\n"]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"s3cret"[..]));
        assert_eq!(out[0].frames, vec![1, 2, 3]);
        assert_eq!(out[0].rule.as_deref(), Some("acme-login"));
        assert_eq!(out[0].protocol, "acme");
    }

    #[test]
    fn every_split_gives_the_same_single_finding() {
        let r = rules(ACME);
        let input: &[u8] = b"x\r\nLOGIN bob pw1\r\nLOGIN carol pw2\r\n";
        for cut in 0..input.len() {
            let out = feed(&r, &[&input[..cut], &input[cut..]]);
            let got: Vec<_> = out.iter().map(|c| c.secret.clone().unwrap()).collect();
            assert_eq!(got, vec![b"pw1".to_vec(), b"pw2".to_vec()], "cut at {cut}");
        }
    }

    #[test]
    fn a_match_at_the_very_end_waits_for_the_close() {
        let r = rules(ACME);
        let mut s = StreamRules::for_flow(&r, 1, None).unwrap();
        let mut out = Vec::new();
        s.data(
            &r,
            Direction::ToServer,
            b"LOGIN dan p",
            1,
            Timestamp::ZERO,
            &mut out,
        );
        assert!(out.is_empty());
        s.data(
            &r,
            Direction::ToServer,
            b"ass",
            2,
            Timestamp::ZERO,
            &mut out,
        );
        assert!(out.is_empty());
        s.close(&r, &mut out);
        assert_eq!(out[0].secret.as_deref(), Some(&b"pass"[..]));
    }

    #[test]
    fn the_end_passes_again_only_over_a_match_left_waiting() {
        let r = rules(ACME);
        let dir = Direction::ToServer;
        let t = Timestamp::ZERO;
        // Nothing waits at the end of the bytes: neither the end nor a gap passes again.
        let mut s = StreamRules::for_flow(&r, 1, None).unwrap();
        let mut out = Vec::new();
        s.data(&r, dir, b"HELLO there\r\nLOGIN ann pw\r\n", 1, t, &mut out);
        assert_eq!((s.passes(dir), out.len()), (1, 1));
        s.gap(&r, dir, &mut out);
        s.data(&r, dir, b"NOOP\r\n", 2, t, &mut out);
        assert_eq!(s.passes(dir), 2);
        s.close(&r, &mut out);
        assert_eq!((s.passes(dir), out.len()), (2, 1));
        // A match reaching the last byte waits, and the end completes it.
        let mut s = StreamRules::for_flow(&r, 1, None).unwrap();
        let mut out = Vec::new();
        s.data(&r, dir, b"LOGIN dan pass", 1, t, &mut out);
        assert!(out.is_empty());
        s.close(&r, &mut out);
        assert_eq!(s.passes(dir), 2);
        assert_eq!(out[0].secret.as_deref(), Some(&b"pass"[..]));
        // So does a gap.
        let mut s = StreamRules::for_flow(&r, 1, None).unwrap();
        let mut out = Vec::new();
        s.data(&r, dir, b"LOGIN eve word", 1, t, &mut out);
        s.gap(&r, dir, &mut out);
        assert_eq!(s.passes(dir), 2);
        assert_eq!(out[0].secret.as_deref(), Some(&b"word"[..]));
    }

    #[test]
    fn binary_streams_and_other_directions_are_skipped() {
        let r = rules(ACME);
        let mut s = StreamRules::for_flow(&r, 1, None).unwrap();
        let mut out = Vec::new();
        s.data(
            &r,
            Direction::ToServer,
            &tls_like(),
            1,
            Timestamp::ZERO,
            &mut out,
        );
        s.data(
            &r,
            Direction::ToClient,
            b"LOGIN srv y\r\n",
            2,
            Timestamp::ZERO,
            &mut out,
        );
        s.close(&r, &mut out);
        assert!(out.is_empty(), "{out:?}");
        assert!(s.done());
        // Judged on the bytes as they came: nothing of the binary stream was kept.
        assert_eq!(s.buffered(), 0);
    }

    /// A TLS handshake's start, then what would be a login in a text protocol.
    fn tls_like() -> Vec<u8> {
        let mut tls = vec![0x16, 0x03, 0x01, 0x02, 0x00];
        tls.extend((0..400).map(|i| (i * 7) as u8));
        tls.extend_from_slice(b"\r\nLOGIN eve x\r\n");
        tls
    }

    #[test]
    fn a_start_split_in_small_pieces_is_judged_once_it_has_a_sample() {
        let r = rules(ACME);
        let pieces = |b: &[u8]| feed(&r, &b.chunks(100).collect::<Vec<_>>());
        assert!(pieces(&tls_like()).is_empty());
        // Text whose first piece alone would look binary (20 control bytes in 100): the
        // judgement waits for the 256-byte sample, where they are under a tenth.
        let text = [&[0u8; 20][..], &b"x".repeat(280), b"\nLOGIN eve x\r\n"].concat();
        assert_eq!(pieces(&text).len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn text_is_judged_as_by_the_printable_ranges(sample in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let printable = sample
                .iter()
                .filter(|&&b| (0x20..0x7f).contains(&b) || matches!(b, b'\r' | b'\n' | b'\t') || b >= 0x80)
                .count();
            proptest::prop_assert_eq!(looks_like_text(&sample), printable * 10 >= sample.len() * 9);
        }
    }

    #[test]
    fn the_window_bounds_how_far_rules_look() {
        let r = rules(&ACME.replace("kind = \"cleartext\"", "kind = \"cleartext\"\nwindow = 64"));
        let mut long = vec![b'a'; 100];
        long.extend_from_slice(b"\nLOGIN late pw\r\n");
        assert!(feed(&r, &[&long]).is_empty());
    }
}
