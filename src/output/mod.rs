//! Where findings go and how they look.
//!
//! The engine's findings pass through a chain of stages on the output thread:
//!
//! ```text
//! Reporter (repeats once per verdict, capture order) -> Findings: strength, audit
//!   -> Dedup (--dedup) -> View: JSON Lines | terminal text | classroom explain
//! ```
//!
//! The [`Reporter`] decides what is written and when; [`Findings`] measures each secret's
//! strength once, counts everything for the end-of-scan [`summary`], merges repeats when
//! asked ([`dedup`]) and hands [`Record`]s to the chosen [`View`].

pub mod advice;
pub mod dedup;
pub mod explain;
pub mod file;
pub mod locate;
pub mod progress;
mod report;
pub mod strength;
pub mod style;
pub mod summary;
pub mod text;

pub use report::Reporter;
pub use style::{ColorWhen, Style};
pub use summary::{Audit, human_bytes};
pub use text::Text;

use std::io::{self, Write};

use serde::Serialize;

use crate::finding::{Finding, FindingJson, display_bytes};
use crate::timestamp::Timestamp;
use dedup::{Dedup, Repeat};
use strength::Strength;

/// Receives the findings the [`Reporter`] writes.
pub trait Sink {
    fn finding(&mut self, f: &Finding) -> io::Result<()>;
    /// Findings about to be written one after the other (a file's, at the end of its
    /// scan): what does not depend on their order may be worked out for all at once.
    fn prepare(&mut self, _findings: &[Finding]) {}
    fn flush(&mut self) -> io::Result<()>;
    /// The end of the scan or capture: whatever is held is written.
    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// A finding as a view shows it: with its secret's strength (cleartext kinds) and, with
/// `--dedup`, how often it was seen.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub finding: &'a Finding,
    pub strength: Option<Strength>,
    pub repeat: Option<&'a Repeat>,
}

/// A way of showing findings.
pub trait View {
    fn record(&mut self, r: &Record<'_>) -> io::Result<()>;
    fn flush(&mut self) -> io::Result<()>;
}

/// The stages after the [`Reporter`]: strength, the audit counters, `--dedup`, a view.
pub struct Findings<'a> {
    view: Box<dyn View + 'a>,
    strength: strength::Cache,
    pub audit: Audit,
    dedup: Option<Dedup>,
    /// Records handed to the view (fewer than the findings with `--dedup`).
    pub written: u64,
    /// Threads that may measure strengths at once (the scan's).
    threads: usize,
}

impl<'a> Findings<'a> {
    pub fn new(view: Box<dyn View + 'a>, dedup: Option<Dedup>) -> Findings<'a> {
        Findings {
            view,
            strength: strength::Cache::default(),
            audit: Audit::default(),
            dedup,
            written: 0,
            threads: 1,
        }
    }

    /// Strengths of the findings written together are measured on `threads` threads.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Findings merged into another by `--dedup`.
    pub fn collapsed(&self) -> u64 {
        self.dedup.as_ref().map_or(0, |d| d.collapsed)
    }
}

impl Sink for Findings<'_> {
    fn prepare(&mut self, findings: &[Finding]) {
        self.strength.measure_all(findings, self.threads);
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let strength = self.strength.of(f);
        self.audit.add(f, strength);
        let Findings {
            view,
            dedup,
            written,
            ..
        } = self;
        match dedup {
            None => {
                *written += 1;
                view.record(&Record {
                    finding: f,
                    strength,
                    repeat: None,
                })
            }
            Some(d) => d.add(f, strength, &mut |r| {
                *written += 1;
                view.record(r)
            }),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.view.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        let Findings {
            view,
            dedup,
            written,
            ..
        } = self;
        if let Some(d) = dedup {
            d.finish(&mut |r| {
                *written += 1;
                view.record(r)
            })?;
        }
        self.view.flush()
    }
}

/// Counts of outcomes, as written in JSON.
#[derive(Serialize)]
struct OutcomesJson {
    success: u64,
    failure: u64,
    unknown: u64,
}

/// A finding's JSON line: the documented fields, then the strength and the repeats.
#[derive(Serialize)]
struct LineJson<'a> {
    #[serde(flatten)]
    base: FindingJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_strength: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcomes: Option<OutcomesJson>,
}

/// One JSON object per line (the documented schema).
pub struct JsonLines<W: Write> {
    out: W,
    reveal: bool,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W, reveal: bool) -> Self {
        JsonLines { out, reveal }
    }
}

impl<W: Write> View for JsonLines<W> {
    fn record(&mut self, r: &Record<'_>) -> io::Result<()> {
        let line = LineJson {
            base: FindingJson {
                finding: r.finding,
                reveal: self.reveal,
            },
            secret_strength: r.strength.map(|s| s.score),
            secret_length: r.strength.map(|s| s.length),
            count: r.repeat.map(|p| p.count),
            first_seen: r.repeat.map(|p| p.first_seen.to_string()),
            last_seen: r.repeat.map(|p| p.last_seen.to_string()),
            outcomes: r.repeat.map(|p| OutcomesJson {
                success: p.outcomes[0],
                failure: p.outcomes[1],
                unknown: p.outcomes[2],
            }),
        };
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Shows bytes for a terminal: printable text as is, anything else escaped.
pub fn printable(bytes: &[u8]) -> String {
    let s = display_bytes(bytes);
    let mut o = String::with_capacity(s.len() + 2);
    for ch in s.chars() {
        match ch {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            c if c.is_control() => o.push_str(&format!("\\x{:02x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// A user name or secret for a terminal: quoted when it has spaces, quotes, or nothing.
pub fn shown(bytes: &[u8]) -> String {
    let p = printable(bytes);
    let raw = display_bytes(bytes);
    if raw.is_empty() || raw.contains([' ', '"', '\\']) || raw == "-" {
        format!("\"{p}\"")
    } else {
        p
    }
}

/// `2023-11-15 01:00:00.009`: a capture time for people (UTC, milliseconds).
pub fn short_time(ts: Timestamp) -> String {
    let mut s = ts.to_string().replacen('T', " ", 1);
    s.truncate(23);
    s
}

/// `2023-11-15 01:00:00.009000`: a capture time as `tcpdump -tttt` prints it (UTC).
pub fn tcpdump_time(ts: Timestamp) -> String {
    let s = ts.to_string().replacen('T', " ", 1);
    s.trim_end_matches('Z').to_string()
}

/// `12,14` or `12-40` for a run of consecutive frames.
pub fn frames_text(frames: &[u64]) -> String {
    match frames {
        [] => "?".into(),
        [one] => one.to_string(),
        [first, .., last]
            if last
                .checked_sub(*first)
                .is_some_and(|d| d as usize + 1 == frames.len())
                && frames.len() > 2 =>
        {
            format!("{first}-{last}")
        }
        many => many
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_ranges() {
        assert_eq!(frames_text(&[]), "?");
        assert_eq!(frames_text(&[4]), "4");
        assert_eq!(frames_text(&[6, 10]), "6,10");
        assert_eq!(frames_text(&[3, 4, 5]), "3-5");
    }

    #[test]
    fn shown_quotes_what_needs_it() {
        assert_eq!(shown(b"alice"), "alice");
        assert_eq!(shown(b"not it"), "\"not it\"");
        assert_eq!(shown(b""), "\"\"");
        assert_eq!(shown(b"a\x07"), "a\\x07");
    }

    #[test]
    fn times() {
        let ts = Timestamp::new(1_700_010_000, 9_000_000);
        assert_eq!(short_time(ts), "2023-11-15 01:00:00.009");
        assert_eq!(tcpdump_time(ts), "2023-11-15 01:00:00.009000");
    }
}
