//! Sinks: where findings go (JSON Lines, human-readable text), and the end-of-scan summary.

pub mod file;
mod report;
mod summary;

pub use report::Reporter;
pub use summary::{human_bytes, write_summary};

use std::io::{self, Write};

use crate::finding::{Finding, FindingJson, display_bytes};

/// Receives findings as they complete.
pub trait Sink {
    fn finding(&mut self, f: &Finding) -> io::Result<()>;
    fn flush(&mut self) -> io::Result<()>;
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

impl<W: Write> Sink for JsonLines<W> {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        serde_json::to_writer(
            &mut self.out,
            &FindingJson {
                finding: f,
                reveal: self.reveal,
            },
        )?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One readable line per finding.
pub struct Text<W: Write> {
    out: W,
    reveal: bool,
}

impl<W: Write> Text<W> {
    pub fn new(out: W, reveal: bool) -> Self {
        Text { out, reveal }
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

impl<W: Write> Sink for Text<W> {
    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let c = &f.credential;
        let user = match &c.username {
            Some(u) => format!("\"{}\"", printable(u)),
            None => "-".to_string(),
        };
        let secret = match (&c.secret, self.reveal) {
            (Some(s), true) => format!("\"{}\"", printable(s)),
            (Some(_), false) => "********".to_string(),
            (None, _) => "-".to_string(),
        };
        write!(
            self.out,
            "{}  {:<7} {} -> {}  {}  user {}  secret {}  {}",
            c.timestamp,
            c.protocol,
            f.client,
            f.server,
            c.mechanism,
            user,
            secret,
            c.outcome.as_str(),
        )?;
        if c.anonymous {
            write!(self.out, "  (anonymous)")?;
        }
        if let (Some(h), true) = (&c.hashcat, self.reveal) {
            write!(self.out, "  hashcat -m {} '{}'", h.mode, h.hash)?;
        }
        writeln!(
            self.out,
            "  [{} frame {}]",
            f.source,
            frames_text(&c.frames)
        )
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `12,14` or `12-40` for a run of consecutive frames.
fn frames_text(frames: &[u64]) -> String {
    match frames {
        [] => "?".into(),
        [one] => one.to_string(),
        [first, .., last] if (last - first) as usize + 1 == frames.len() && frames.len() > 2 => {
            format!("{first}-{last}")
        }
        many => many
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}
