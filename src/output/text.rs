//! The terminal view: one aligned, coloured line per finding.
//!
//! ```text
//! 2023-11-15 01:00:00.009  ftp      192.168.1.211:1042    → 192.168.1.17:21        test            ********        USER/PASS   success  demo.pcap #6,10
//! ```
//!
//! time, protocol, client → server, user, secret (a fixed `********` unless `--reveal`:
//! the mask says nothing of the length), mechanism, outcome, then where to find it.

use std::io::{self, Write};

use super::style::{Style, sgr};
use super::{Record, View, frames_text, short_time, shown};
use crate::finding::Outcome;

/// The fixed mask of a hidden secret.
pub const MASK: &str = "********";

/// Minimum widths of the columns (longer values push the rest of the line).
const PROTOCOL_W: usize = 8;
const ENDPOINT_W: usize = 21;
const USER_W: usize = 15;
const SECRET_W: usize = 15;
const MECHANISM_W: usize = 11;
const OUTCOME_W: usize = 7;

/// One readable line per finding.
pub struct Text<W: Write> {
    out: W,
    reveal: bool,
    style: Style,
}

impl<W: Write> Text<W> {
    pub fn new(out: W, reveal: bool, style: Style) -> Self {
        Text { out, reveal, style }
    }
}

/// `text` padded with spaces to `width` characters, then painted.
fn cell(style: Style, text: &str, width: usize, code: &str) -> String {
    let pad = width.saturating_sub(text.chars().count());
    format!("{}{}", style.paint(text, code), " ".repeat(pad))
}

/// Frames for a line: a long list (Telnet keystrokes) shortened, `54,56,…,90`; JSON
/// Lines have them all.
fn short_frames(frames: &[u64]) -> String {
    let all = frames_text(frames);
    match frames {
        [a, b, .., z] if frames.len() > 6 && all.contains(',') => format!("{a},{b},…,{z}"),
        _ => all,
    }
}

/// The colour of an outcome: a login that worked is the worst news.
pub fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => sgr::BOLD_RED,
        Outcome::Failure => sgr::YELLOW,
        Outcome::Unknown => sgr::DIM,
    }
}

impl<W: Write> View for Text<W> {
    fn record(&mut self, r: &Record<'_>) -> io::Result<()> {
        let f = r.finding;
        let c = &f.credential;
        let st = self.style;
        let user = match (&c.username, &c.domain) {
            (Some(u), Some(d)) => format!("{}\\{}", shown(d), shown(u)),
            (Some(u), None) => shown(u),
            (None, _) => "-".to_string(),
        };
        let (secret, secret_code) = match (&c.secret, self.reveal) {
            (Some(s), true) => (shown(s), sgr::MAGENTA),
            (Some(_), false) => (MASK.to_string(), sgr::DIM),
            (None, _) => ("-".to_string(), sgr::DIM),
        };
        let mut line = String::with_capacity(160);
        line.push_str(&st.paint(&short_time(c.timestamp), sgr::DIM));
        line.push_str("  ");
        line.push_str(&cell(st, &c.protocol, PROTOCOL_W, sgr::BOLD_CYAN));
        line.push(' ');
        line.push_str(&cell(st, &f.client.to_string(), ENDPOINT_W, ""));
        line.push(' ');
        line.push_str(&st.paint("→", sgr::DIM));
        line.push(' ');
        line.push_str(&cell(st, &f.server.to_string(), ENDPOINT_W, ""));
        line.push(' ');
        line.push_str(&cell(st, &user, USER_W, sgr::BOLD));
        line.push(' ');
        line.push_str(&cell(st, &secret, SECRET_W, secret_code));
        line.push(' ');
        line.push_str(&cell(st, &c.mechanism, MECHANISM_W, sgr::BLUE));
        line.push(' ');
        line.push_str(&cell(
            st,
            c.outcome.as_str(),
            OUTCOME_W,
            outcome_code(c.outcome),
        ));
        let mut extra = Vec::new();
        if c.anonymous {
            extra.push("anonymous".to_string());
        }
        if let Some(p) = r.repeat.filter(|p| p.count > 1) {
            extra.push(format!(
                "×{} from {} to {}",
                p.count,
                short_time(p.first_seen),
                short_time(p.last_seen)
            ));
        }
        if let (Some(h), true) = (&c.hashcat, self.reveal) {
            let options = if h.hex_salt { " --hex-salt" } else { "" };
            extra.push(format!("hashcat -m {}{options} '{}'", h.mode, h.hash));
        }
        if let (Some(j), true) = (&c.john, self.reveal) {
            extra.push(format!("john --format={} '{}'", j.format, j.hash));
        }
        if !extra.is_empty() {
            line.push_str("  ");
            line.push_str(&extra.join("  "));
        }
        line.push_str("  ");
        line.push_str(&st.paint(
            &format!("{} #{}", f.source, short_frames(&c.frames)),
            sgr::DIM,
        ));
        // No trailing padding when the line ends early.
        let trimmed = line.trim_end();
        writeln!(self.out, "{trimmed}")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
