//! The classroom view (`--format explain`): for each finding, the packets that carried it
//! as `tcpdump -x -s 0` shows them (frame, time, the IP/TCP summary line, then the hex and
//! ASCII dump with offsets), the user name's and the secret's bytes marked (colour on a
//! terminal, a marker line under them otherwise), then what the protocol exposed and what
//! to use instead. Without `--reveal` the secret's bytes are blanked in the dump.

use std::io::{self, Write};

use super::advice;
use super::locate::{self, How, Located, Mark, Role};
use super::style::{Style, sgr};
use super::text::{MASK, outcome_code};
use super::{Record, View, frames_text, short_time, shown, tcpdump_time};
use crate::finding::{CapturedPacket, Finding};

/// Bytes per dump line, as tcpdump.
const LINE: usize = 16;
/// Dump lines shown whole; longer packets show their first lines and those with marks.
const MAX_LINES: usize = 48;
/// Packets dumped per finding (the rest are listed).
const MAX_PACKETS: usize = 12;

/// Marker characters of the plain (colourless) dump.
const USER_MARKER: char = '~';
const SECRET_MARKER: char = '^';

/// Records held before they are shown (a batch is shown together: findings of one packet
/// blank each other's secrets).
const MAX_PENDING: usize = 256;
const MAX_PENDING_BYTES: usize = 16 << 20;
/// Secrets of findings already shown, remembered to blank them in later dumps.
const RECENT: usize = 64;

/// A record waiting to be shown.
struct Held {
    finding: Finding,
    strength: Option<super::strength::Strength>,
    repeat: Option<super::dedup::Repeat>,
}

/// The source, frames and secret of a finding shown, and whether it stands for repeats
/// merged into it (whose frames are not known here).
type Shown = (std::sync::Arc<str>, Vec<u64>, Vec<u8>, bool);

/// The classroom view.
pub struct Explain<W: Write> {
    out: W,
    reveal: bool,
    style: Style,
    shown: u64,
    pending: Vec<Held>,
    pending_bytes: usize,
    recent: std::collections::VecDeque<Shown>,
}

impl<W: Write> Explain<W> {
    pub fn new(out: W, reveal: bool, style: Style) -> Self {
        Explain {
            out,
            reveal,
            style,
            shown: 0,
            pending: Vec::new(),
            pending_bytes: 0,
            recent: std::collections::VecDeque::new(),
        }
    }

    /// Shows the records held, each with the other secrets its packets may carry blanked.
    fn render_pending(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        // A record's secret may be in another's packets when they share a frame, or when
        // it stands for repeats merged into it: those were in frames it no longer lists
        // (an LDAP bind's password, given again as the old one of a change).
        let shares = |source: &str, frames: &[u64], merged: bool, f: &Finding| {
            *f.source == *source
                && (merged || f.credential.frames.iter().any(|x| frames.contains(x)))
        };
        let merged = |h: &Held| h.repeat.as_ref().is_some_and(|r| r.count > 1);
        for (i, h) in pending.iter().enumerate() {
            let f = &h.finding;
            let mut others: Vec<&[u8]> = Vec::new();
            let recent: Vec<Vec<u8>> = self
                .recent
                .iter()
                .filter(|(source, frames, _, m)| !self.reveal && shares(source, frames, *m, f))
                .map(|(_, _, secret, _)| secret.clone())
                .collect();
            if !self.reveal {
                for (j, o) in pending.iter().enumerate() {
                    if j != i
                        && shares(
                            &o.finding.source,
                            &o.finding.credential.frames,
                            merged(o),
                            f,
                        )
                        && let Some(s) = o.finding.credential.secret.as_deref()
                    {
                        others.push(s);
                    }
                }
                others.extend(recent.iter().map(Vec::as_slice));
            }
            let r = Record {
                finding: f,
                strength: h.strength,
                repeat: h.repeat.as_ref(),
            };
            self.render(&r, &others)?;
        }
        for h in pending {
            let m = merged(&h);
            let c = h.finding.credential;
            if let Some(secret) = c.secret {
                if self.recent.len() >= RECENT {
                    self.recent.pop_front();
                }
                self.recent
                    .push_back((h.finding.source, c.frames, secret, m));
            }
        }
        Ok(())
    }
}

/// What a byte of the dump is.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Cell {
    role: Option<Role>,
    blank: bool,
}

/// The marks and blanks of one packet, per byte of its captured data.
fn cells(packet: usize, len: usize, loc: &Located, reveal: bool, data: &[u8]) -> Vec<Cell> {
    let mut cells = vec![
        Cell {
            role: None,
            blank: false,
        };
        len
    ];
    let apply = |cells: &mut Vec<Cell>, m: &Mark, f: &dyn Fn(&mut Cell, u8)| {
        if m.packet != packet {
            return;
        }
        for i in m.range.clone() {
            if let (Some(c), Some(&b)) = (cells.get_mut(i), data.get(i)) {
                f(c, b);
            }
        }
    };
    // User marks first: the secret's win where both overlap.
    for m in loc.marks.iter().filter(|m| m.role == Role::User) {
        apply(&mut cells, m, &|c, _| c.role = Some(Role::User));
    }
    for m in loc.marks.iter().filter(|m| m.role == Role::Secret) {
        apply(&mut cells, m, &|c, _| c.role = Some(Role::Secret));
    }
    if !reveal {
        for m in &loc.blank {
            let keys = m.keystrokes;
            apply(&mut cells, m, &|c, b| {
                // Edits and Enter say how the line was typed, not what it holds.
                if !(keys && (b < 0x20 || b == 0x7f)) {
                    c.blank = true;
                }
            });
        }
        if loc.secret.is_none() {
            // The secret could not be located: none of the payload is shown.
            if let Some(r) = loc.packets.get(packet).and_then(|p| p.payload.clone()) {
                for c in cells.get_mut(r).into_iter().flatten() {
                    c.blank = true;
                }
            }
        }
    }
    cells
}

fn marker(role: Option<Role>) -> char {
    match role {
        Some(Role::User) => USER_MARKER,
        Some(Role::Secret) => SECRET_MARKER,
        None => ' ',
    }
}

fn role_code(role: Option<Role>) -> &'static str {
    match role {
        Some(Role::User) => sgr::USER_MARK,
        Some(Role::Secret) => sgr::SECRET_MARK,
        None => "",
    }
}

/// Text runs painted by role.
struct Painter {
    style: Style,
    out: String,
    run: String,
    role: Option<Role>,
}

impl Painter {
    fn new(style: Style) -> Painter {
        Painter {
            style,
            out: String::new(),
            run: String::new(),
            role: None,
        }
    }

    fn push(&mut self, text: &str, role: Option<Role>) {
        if role != self.role {
            self.flush_run();
            self.role = role;
        }
        self.run.push_str(text);
    }

    fn flush_run(&mut self) {
        let run = std::mem::take(&mut self.run);
        self.out
            .push_str(&self.style.paint(&run, role_code(self.role)));
    }

    fn finish(mut self) -> String {
        self.flush_run();
        self.out
    }
}

/// One dump line: `\t0x0010:  4500 0034 ...  E..4...`, and its marker line when colour is
/// off and something on it is marked.
fn dump_line(
    data: &[u8],
    cells: &[Cell],
    start: usize,
    base: usize,
    style: Style,
) -> (String, Option<String>) {
    let end = (start + LINE).min(data.len());
    let mut hex = Painter::new(style);
    let mut marks = String::new();
    for i in start..end {
        let c = cells.get(i).copied().unwrap_or(Cell {
            role: None,
            blank: false,
        });
        let text = if c.blank {
            "**".to_string()
        } else {
            format!("{:02x}", data.get(i).copied().unwrap_or(0))
        };
        hex.push(&text, c.role);
        marks.push(marker(c.role));
        marks.push(marker(c.role));
        if (i - start) % 2 == 1 && i + 1 < end {
            // The space between two groups is marked when both sides are.
            let next = cells.get(i + 1).map(|n| n.role);
            let joined = if next == Some(c.role) { c.role } else { None };
            hex.push(" ", joined);
            marks.push(marker(joined));
        }
    }
    let width = (end - start) * 2 + (end - start).saturating_sub(1) / 2;
    let full = LINE * 2 + (LINE - 1) / 2;
    let pad = " ".repeat(full - width);
    let mut ascii = Painter::new(style);
    let mut ascii_marks = String::new();
    for i in start..end {
        let c = cells.get(i).copied().unwrap_or(Cell {
            role: None,
            blank: false,
        });
        let b = data.get(i).copied().unwrap_or(0);
        let ch = if c.blank {
            '*'
        } else if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '.'
        };
        ascii.push(&ch.to_string(), c.role);
        ascii_marks.push(marker(c.role));
    }
    let line = format!(
        "\t0x{:04x}:  {}{}  {}",
        start - base,
        hex.finish(),
        pad,
        ascii.finish()
    );
    let marked = cells
        .get(start..end)
        .is_some_and(|cs| cs.iter().any(|c| c.role.is_some()));
    let marker_line = (marked && !style.on).then(|| {
        format!("\t{}{}{}  {}", " ".repeat(9), marks, pad, ascii_marks)
            .trim_end()
            .to_string()
    });
    (line, marker_line)
}

/// Lines of a long dump worth showing: the first ones (headers) and those with marks.
fn lines_to_show(count: usize, marked: &[bool]) -> Vec<bool> {
    if count <= MAX_LINES {
        return vec![true; count];
    }
    (0..count)
        .map(|i| {
            i < 4
                || marked.get(i).copied().unwrap_or(false)
                || marked.get(i + 1).copied().unwrap_or(false)
                || i.checked_sub(1)
                    .and_then(|j| marked.get(j))
                    .copied()
                    .unwrap_or(false)
        })
        .collect()
}

/// Keystroke names for the Telnet and rlogin table.
fn key_name(b: u8) -> String {
    match b {
        0x08 | 0x7f => "⌫".into(),
        b'\r' => "⏎".into(),
        b'\n' => "↵".into(),
        0 => "NUL".into(),
        0x15 => "^U".into(),
        0x17 => "^W".into(),
        0x03 => "^C".into(),
        0x1b => "ESC".into(),
        0xff => "IAC".into(),
        0x20..0x7f => (b as char).to_string(),
        b if b < 0x20 => format!("^{}", (b + 0x40) as char),
        _ => ".".into(),
    }
}

impl<W: Write> Explain<W> {
    fn dump_packet(&mut self, index: usize, p: &CapturedPacket, loc: &Located) -> io::Result<()> {
        let st = self.style;
        let info = loc.packets.get(index);
        let summary = info
            .and_then(|i| i.summary.clone())
            .unwrap_or_else(|| "(could not be decoded on its own: an IP fragment?)".into());
        writeln!(
            self.out,
            "{}  {}  {}",
            st.paint(&format!("frame {}", p.frame), sgr::BOLD),
            st.paint(&tcpdump_time(p.ts), sgr::DIM),
            summary
        )?;
        let undecoded = info.is_none_or(|i| i.undecoded);
        if undecoded && !self.reveal {
            writeln!(
                self.out,
                "\t(bytes not shown: this packet could not be decoded on its own, so the secret's bytes cannot be blanked in it; --reveal shows them)"
            )?;
            return Ok(());
        }
        let data = &p.data[..];
        let base = info
            .and_then(|i| i.ip_start)
            .filter(|&b| b < data.len())
            .unwrap_or(0);
        let cells = cells(index, data.len(), loc, self.reveal, data);
        let starts: Vec<usize> = (base..data.len()).step_by(LINE).collect();
        let marked: Vec<bool> = starts
            .iter()
            .map(|&s| {
                cells
                    .get(s..(s + LINE).min(cells.len()))
                    .is_some_and(|cs| cs.iter().any(|c| c.role.is_some()))
            })
            .collect();
        let show = lines_to_show(starts.len(), &marked);
        let mut skipped = 0;
        for (n, &s) in starts.iter().enumerate() {
            if !show.get(n).copied().unwrap_or(true) {
                skipped += 1;
                continue;
            }
            if skipped > 0 {
                writeln!(
                    self.out,
                    "\t{}",
                    st.paint(
                        &format!("... {skipped} lines without credential bytes ..."),
                        sgr::DIM
                    )
                )?;
                skipped = 0;
            }
            let (line, marks) = dump_line(data, &cells, s, base, st);
            writeln!(self.out, "{line}")?;
            if let Some(m) = marks {
                writeln!(self.out, "{m}")?;
            }
        }
        if skipped > 0 {
            writeln!(
                self.out,
                "\t{}",
                st.paint(
                    &format!("... {skipped} lines without credential bytes"),
                    sgr::DIM
                )
            )?;
        }
        if (p.orig_len as usize) > p.data.len() {
            writeln!(
                self.out,
                "\t({} bytes on the wire, {} captured)",
                p.orig_len,
                p.data.len()
            )?;
        }
        Ok(())
    }

    /// Telnet and rlogin: every keystroke packet, what each carried, and the lines rebuilt.
    fn keystrokes(&mut self, f: &Finding, loc: &Located) -> io::Result<()> {
        let st = self.style;
        let c = &f.credential;
        writeln!(
            self.out,
            "  {}",
            st.paint("keystrokes sent by the client, one packet each:", sgr::BOLD)
        )?;
        let first = f.packets.first().map(|p| p.ts).unwrap_or_default();
        for (i, p) in f.packets.iter().enumerate() {
            let Some(info) = loc.packets.get(i) else {
                continue;
            };
            if info.from_client != Some(true) {
                continue;
            }
            let Some(range) = info.payload.clone() else {
                continue;
            };
            let cells = cells(i, p.data.len(), loc, self.reveal, &p.data);
            let bytes = p.data.get(range.clone()).unwrap_or_default();
            if bytes.is_empty() {
                continue;
            }
            let mut hex = Painter::new(st);
            let mut keys = Painter::new(st);
            let mut role = None;
            for (k, off) in range.clone().enumerate().take(8) {
                let b = bytes.get(k).copied().unwrap_or(0);
                let cell = cells.get(off).copied().unwrap_or(Cell {
                    role: None,
                    blank: false,
                });
                role = role.or(cell.role);
                if k > 0 {
                    hex.push(" ", None);
                    keys.push(" ", None);
                }
                if cell.blank {
                    hex.push("**", cell.role);
                    keys.push("*", cell.role);
                } else {
                    hex.push(&format!("{b:02x}"), cell.role);
                    keys.push(&key_name(b), cell.role);
                }
            }
            if bytes.len() > 8 {
                hex.push(" …", None);
            }
            let what = match role {
                Some(Role::User) => "user name",
                Some(Role::Secret) => "password",
                None => "",
            };
            let hex = hex.finish();
            let keys = keys.finish();
            let hex_w = super::style::strip(&hex).chars().count();
            let keys_w = super::style::strip(&keys).chars().count();
            let elapsed = p.ts.secs_since(first) as f64
                + (f64::from(p.ts.nanos) - f64::from(first.nanos)) / 1e9;
            let line = format!(
                "    frame {:<6} {:<9} {}{}  {}{}  {}",
                p.frame,
                format!("+{:.3}s", elapsed.max(0.0)),
                hex,
                " ".repeat(11usize.saturating_sub(hex_w)),
                keys,
                " ".repeat(6usize.saturating_sub(keys_w)),
                st.paint(what, sgr::DIM)
            );
            writeln!(self.out, "{}", line.trim_end())?;
        }
        if let Some(u) = &c.username
            && loc.user == Some(How::Keystrokes)
        {
            writeln!(self.out, "  user name rebuilt from them: {}", shown(u))?;
        }
        if let Some(s) = &c.secret
            && loc.secret == Some(How::Keystrokes)
        {
            let text = if self.reveal {
                shown(s)
            } else {
                format!("{MASK} (blanked; --reveal shows it)")
            };
            writeln!(self.out, "  password rebuilt from them: {text}")?;
        }
        Ok(())
    }
}

impl<W: Write> View for Explain<W> {
    fn record(&mut self, r: &Record<'_>) -> io::Result<()> {
        self.pending_bytes += r
            .finding
            .packets
            .iter()
            .map(|p| p.data.len())
            .sum::<usize>();
        self.pending.push(Held {
            finding: r.finding.clone(),
            strength: r.strength,
            repeat: r.repeat.cloned(),
        });
        if self.pending.len() >= MAX_PENDING || self.pending_bytes > MAX_PENDING_BYTES {
            self.render_pending()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.render_pending()?;
        self.out.flush()
    }
}

impl<W: Write> Explain<W> {
    fn render(&mut self, r: &Record<'_>, others: &[&[u8]]) -> io::Result<()> {
        let f = r.finding;
        let c = &f.credential;
        let st = self.style;
        self.shown += 1;
        if self.shown > 1 {
            writeln!(self.out)?;
        }
        // Heading: what, between whom, and the verdict.
        writeln!(
            self.out,
            "{} {} {}  {} {} {}  {}  {}",
            st.paint(&format!("#{}", self.shown), sgr::BOLD),
            st.paint(&c.protocol, sgr::BOLD_CYAN),
            st.paint(&c.mechanism, sgr::BLUE),
            f.client,
            st.paint("→", sgr::DIM),
            f.server,
            st.paint(c.outcome.as_str(), outcome_code(c.outcome)),
            st.paint(&short_time(c.timestamp), sgr::DIM),
        )?;
        let user = match (&c.username, &c.domain) {
            (Some(u), Some(d)) => format!("{}\\{}", shown(d), shown(u)),
            (Some(u), None) => shown(u),
            (None, _) => "(none)".into(),
        };
        let secret = match (&c.secret, self.reveal) {
            (Some(s), true) => shown(s),
            (Some(_), false) => format!("{MASK} (blanked in the dump; --reveal shows it)"),
            (None, _) => "(none)".into(),
        };
        let mut line = format!(
            "  user {}   {}",
            st.paint(&user, sgr::BOLD),
            match c.kind {
                crate::finding::Kind::Cleartext => "secret",
                crate::finding::Kind::ChallengeResponse => "response",
                crate::finding::Kind::Token => "token",
            },
        );
        line.push(' ');
        line.push_str(&st.paint(&secret, if self.reveal { sgr::MAGENTA } else { sgr::DIM }));
        if let Some(s) = r.strength {
            line.push_str(&format!(
                "   {} characters, strength {}/4 ({})",
                s.length,
                s.score,
                s.word()
            ));
        }
        writeln!(self.out, "{line}")?;
        let mut whence = format!("  {} frames {}", f.source, frames_text(&c.frames));
        if let Some(p) = r.repeat.filter(|p| p.count > 1) {
            whence.push_str(&format!(
                "   seen {} times, {} to {}",
                p.count,
                short_time(p.first_seen),
                short_time(p.last_seen)
            ));
        }
        writeln!(self.out, "{}", st.paint(&whence, sgr::DIM))?;
        writeln!(self.out)?;
        if f.packets.is_empty() {
            writeln!(
                self.out,
                "  (the packets were not kept: the evidence memory cap was reached, or the credential was completed when its conversation ended; see them with `tcpdump -r {} -x` or in Wireshark, frames {})",
                f.source,
                frames_text(&c.frames)
            )?;
        } else {
            let loc = locate::locate(f, others);
            let keystrokes = locate::keystroke_protocol(&c.protocol).is_some()
                && (loc.secret == Some(How::Keystrokes) || loc.user == Some(How::Keystrokes));
            let dumped: Vec<usize> = if keystrokes {
                // One packet of each part in full; every keystroke in the table below.
                let mut picks = Vec::new();
                for role in [Role::User, Role::Secret] {
                    if let Some(m) = loc.marks.iter().find(|m| m.role == role)
                        && !picks.contains(&m.packet)
                    {
                        picks.push(m.packet);
                    }
                }
                picks
            } else {
                (0..f.packets.len()).take(MAX_PACKETS).collect()
            };
            for &i in &dumped {
                if let Some(p) = f.packets.get(i) {
                    self.dump_packet(i, p, &loc)?;
                }
            }
            if !keystrokes && f.packets.len() > MAX_PACKETS {
                writeln!(
                    self.out,
                    "\t({} more packets not dumped)",
                    f.packets.len() - MAX_PACKETS
                )?;
            }
            if keystrokes {
                self.keystrokes(f, &loc)?;
            }
            let legend = if st.on {
                format!(
                    "{} user name   {} secret",
                    st.paint(" ", sgr::USER_MARK),
                    st.paint(" ", sgr::SECRET_MARK)
                )
            } else {
                format!("{USER_MARKER} user name   {SECRET_MARKER} secret")
            };
            writeln!(self.out, "  {legend}")?;
            let mut notes = Vec::new();
            match (&c.username, loc.user) {
                (Some(_), Some(how)) if loc.user_in_secret => notes.push(format!(
                    "user name: in the same token as the secret, {}",
                    how.words()
                )),
                (Some(_), Some(how)) => notes.push(format!("user name: found {}", how.words())),
                (Some(_), None) => notes.push(
                    "user name: not found byte for byte in these packets (carried in a form this view does not decode); nothing is marked"
                        .into(),
                ),
                (None, _) => {}
            }
            match (&c.secret, loc.secret) {
                (Some(_), Some(how)) => notes.push(format!("secret: found {}", how.words())),
                (Some(_), None) if self.reveal => notes.push(
                    "secret: not found byte for byte in these packets (carried in a form this view does not decode); nothing is marked"
                        .into(),
                ),
                (Some(_), None) => notes.push(
                    "secret: not found byte for byte in these packets, so every payload byte is blanked; --reveal shows them"
                        .into(),
                ),
                (None, _) => {}
            }
            let missing: Vec<u64> = c
                .frames
                .iter()
                .copied()
                .filter(|fr| !f.packets.iter().any(|p| p.frame == *fr))
                .collect();
            if !missing.is_empty() {
                notes.push(format!(
                    "frames {} were not kept (memory caps)",
                    frames_text(&missing)
                ));
            }
            for n in notes {
                writeln!(self.out, "  {n}")?;
            }
        }
        writeln!(self.out)?;
        let (exposed, instead) = advice::sentences(&c.protocol, &c.mechanism, c.kind);
        writeln!(self.out, "  {}", st.paint(&exposed, sgr::BOLD))?;
        writeln!(self.out, "  {}", st.paint(&instead, sgr::GREEN))?;
        Ok(())
    }
}
