//! IMAP (RFC 9051, RFC 3501): `LOGIN` with atoms, quoted strings (`\"` and `\\`
//! escapes) and literals (`{5}` synchronising and `{5+}` non-synchronising, RFC 7888), and
//! `AUTHENTICATE` through the shared SASL layer (with SASL-IR's initial response, RFC
//! 4959). The outcome comes from the tagged `OK` / `NO` / `BAD` that answers the command;
//! `STARTTLS` accepted ends the inspection.

use std::collections::VecDeque;

use memchr::memchr;

use super::ftp::looks_like_tls;
use super::lines::{is_one_of, starts_with_ignore_case};
use super::sasl::{Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "imap",
    tcp_ports: &[143],
    probe,
    new: |config| {
        Box::new(Imap {
            readers: [
                Reader::new(config.max_line, true),
                Reader::new(config.max_line, false),
            ],
            session: Session::default(),
        })
    },
};

/// One piece of a command: text, or the bytes of a literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Text(usize, usize),
    Literal(usize, usize),
}

/// A complete command or response, literals included.
#[derive(Debug)]
pub struct Message<'a> {
    buf: &'a [u8],
    parts: &'a [Part],
    pub frames: &'a [u64],
    pub ts: Timestamp,
}

impl Message<'_> {
    /// The text of the message without its literals (the first line, for a response).
    fn first_text(&self) -> &[u8] {
        match self.parts.first() {
            Some(Part::Text(a, b)) => &self.buf[*a..*b],
            _ => &[],
        }
    }
}

/// The `{n}` or `{n+}` (or `~{n}`) that ends a line announcing a literal of n bytes.
fn literal_announced(line: &[u8]) -> Option<(usize, usize)> {
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = body[open + 1..]
        .strip_suffix(b"+")
        .unwrap_or(&body[open + 1..]);
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0usize, |a, &d| a * 10 + usize::from(d - b'0'));
    let start = if open > 0 && body[open - 1] == b'~' {
        open - 1
    } else {
        open
    };
    Some((start, n))
}

/// Frames IMAP messages: lines, and the literals they announce.
#[derive(Debug)]
struct Reader {
    buf: Vec<u8>,
    parts: Vec<Part>,
    /// Start of the text part being read.
    text_start: usize,
    /// Bytes of the current literal still to come.
    literal_left: usize,
    frames: Vec<u64>,
    max: usize,
    /// Keep literal bytes (client commands) or only count them (server responses).
    keep_literals: bool,
    /// Dropping bytes up to the end of the current message (after a gap, or too long).
    skipping: bool,
    overlong: u64,
}

impl Reader {
    fn new(max: usize, keep_literals: bool) -> Reader {
        Reader {
            buf: Vec::new(),
            parts: Vec::new(),
            text_start: 0,
            literal_left: 0,
            frames: Vec::new(),
            max,
            keep_literals,
            skipping: false,
            overlong: 0,
        }
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.parts.clear();
        self.frames.clear();
        self.text_start = 0;
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        if self.buf.len() + bytes.len() > self.max {
            self.overlong += 1;
            self.skipping = true;
            self.reset();
            return;
        }
        self.buf.extend_from_slice(bytes);
    }

    fn feed(&mut self, chunk: Chunk<'_>, mut each: impl FnMut(Message<'_>)) {
        let mut rest = chunk.data;
        if !rest.is_empty() && self.frames.last() != Some(&chunk.frame) && !self.skipping {
            self.frames.push(chunk.frame);
        }
        while !rest.is_empty() {
            if self.literal_left > 0 {
                let n = self.literal_left.min(rest.len());
                if self.keep_literals {
                    self.push(&rest[..n]);
                }
                self.literal_left -= n;
                rest = &rest[n..];
                if self.literal_left == 0 {
                    let start = self.text_start;
                    if !self.skipping {
                        let end = if self.keep_literals {
                            self.buf.len()
                        } else {
                            start
                        };
                        self.parts.push(Part::Literal(start, end));
                    }
                    self.text_start = self.buf.len();
                }
                continue;
            }
            let (line, more) = match memchr(b'\n', rest) {
                Some(pos) => (&rest[..pos], Some(pos + 1)),
                None => (rest, None),
            };
            self.push(line);
            let Some(next) = more else {
                break;
            };
            rest = &rest[next..];
            if self.skipping {
                // A message ends at a line end that announces no literal.
                if literal_announced(line.strip_suffix(b"\r").unwrap_or(line)).is_none() {
                    self.skipping = false;
                    self.reset();
                    // The next message starts in this chunk.
                    if !rest.is_empty() {
                        self.frames.push(chunk.frame);
                    }
                }
                continue;
            }
            // The line's own CR (not the last byte of a literal before it).
            if self.buf.len() > self.text_start && self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            let text = self.buf.get(self.text_start..).unwrap_or_default();
            if let Some((at, n)) = literal_announced(text) {
                let end = self.text_start + at;
                self.parts.push(Part::Text(self.text_start, end));
                self.buf.truncate(end);
                self.text_start = end;
                self.literal_left = n;
                if n == 0 {
                    self.parts.push(Part::Literal(end, end));
                }
                continue;
            }
            self.parts.push(Part::Text(self.text_start, self.buf.len()));
            each(Message {
                buf: &self.buf,
                parts: &self.parts,
                frames: &self.frames,
                ts: chunk.ts,
            });
            self.reset();
            if !rest.is_empty() {
                self.frames.push(chunk.frame);
            }
        }
    }

    fn gap(&mut self) {
        self.reset();
        self.literal_left = 0;
        self.skipping = true;
    }
}

/// Reads the arguments of a command: atoms, quoted strings and literals.
struct Args<'a> {
    msg: &'a Message<'a>,
    part: usize,
    pos: usize,
}

impl<'a> Args<'a> {
    fn new(msg: &'a Message<'a>) -> Args<'a> {
        let pos = match msg.parts.first() {
            Some(Part::Text(a, _)) => *a,
            _ => 0,
        };
        Args { msg, part: 0, pos }
    }

    /// The next astring (RFC 9051: atom, quoted string or literal).
    fn next(&mut self) -> Option<Vec<u8>> {
        let buf = self.msg.buf;
        loop {
            match *self.msg.parts.get(self.part)? {
                Part::Literal(a, b) => {
                    self.part += 1;
                    self.pos = match self.msg.parts.get(self.part) {
                        Some(Part::Text(a, _)) => *a,
                        _ => 0,
                    };
                    return Some(buf[a..b].to_vec());
                }
                Part::Text(_, end) => {
                    while self.pos < end && buf[self.pos] == b' ' {
                        self.pos += 1;
                    }
                    if self.pos >= end {
                        self.part += 1;
                        if let Some(Part::Text(a, _)) = self.msg.parts.get(self.part) {
                            self.pos = *a;
                        }
                        continue;
                    }
                    if buf[self.pos] == b'"' {
                        let mut out = Vec::new();
                        let mut i = self.pos + 1;
                        while i < end && buf[i] != b'"' {
                            if buf[i] == b'\\' && i + 1 < end {
                                i += 1;
                            }
                            out.push(buf[i]);
                            i += 1;
                        }
                        self.pos = (i + 1).min(end);
                        return Some(out);
                    }
                    let start = self.pos;
                    while self.pos < end && buf[self.pos] != b' ' {
                        self.pos += 1;
                    }
                    return Some(buf[start..self.pos].to_vec());
                }
            }
        }
    }
}

/// IMAP when the server greets with `* OK`, `* PREAUTH` or `* BYE`, or (server silent)
/// the client sends a tagged IMAP command.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if !to_client.is_empty() {
        let head = &to_client[..to_client.len().min(9)];
        if [&b"* OK"[..], b"* PREAUTH", b"* BYE"]
            .iter()
            .any(|g| starts_with_ignore_case(head, g) || starts_with_ignore_case(g, head))
        {
            return if to_client.len() >= 4 {
                Probe::Yes
            } else {
                Probe::Maybe
            };
        }
        return Probe::No;
    }
    let Some(end) = memchr(b'\n', to_server) else {
        let printable = to_server
            .iter()
            .take(16)
            .all(|b| b.is_ascii_graphic() || *b == b' ');
        return if printable { Probe::Maybe } else { Probe::No };
    };
    let line = &to_server[..end];
    // The tag ends within 33 bytes (found without walking a long line of another
    // protocol byte by byte), and the command is the word after it.
    let Some(sp) = memchr(b' ', &line[..line.len().min(33)]) else {
        return Probe::No;
    };
    let tag = &line[..sp];
    let rest = &line[sp + 1..];
    let command = &rest[..memchr(b' ', rest).unwrap_or(rest.len())];
    let command = command.strip_suffix(b"\r").unwrap_or(command);
    let tag_ok = !tag.is_empty()
        && tag.len() <= 32
        && tag
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    const COMMANDS: &[&[u8]] = &[
        b"CAPABILITY",
        b"LOGIN",
        b"AUTHENTICATE",
        b"STARTTLS",
        b"ID",
        b"NOOP",
        b"LOGOUT",
        b"SELECT",
        b"EXAMINE",
        b"LIST",
        b"ENABLE",
    ];
    if tag_ok && is_one_of(command, COMMANDS) {
        Probe::Yes
    } else {
        Probe::No
    }
}

/// A tagged command waiting for its completion.
#[derive(Debug)]
enum Pending {
    Login(Box<Credential>),
    StartTls,
}

const MAX_PENDING: usize = 64;

#[derive(Debug)]
pub struct Imap {
    /// Client commands (literals kept), server responses (literals skipped).
    readers: [Reader; 2],
    session: Session,
}

#[derive(Debug, Default)]
struct Session {
    pending: VecDeque<(Vec<u8>, Pending)>,
    /// AUTHENTICATE in progress: its tag and exchange (None: nothing to extract).
    auth: Option<(Vec<u8>, Option<Exchange>)>,
    done: bool,
}

impl Session {
    fn client(&mut self, msg: Message<'_>) {
        if let Some((_, exchange)) = self.auth.as_mut() {
            // A SASL response line (or "*" to cancel).
            if let Some(x) = exchange.as_mut()
                && let Step::Cancelled | Step::Invalid =
                    x.client_response(msg.first_text(), msg.frames, msg.ts)
            {
                *exchange = None;
            }
            return;
        }
        let mut args = Args::new(&msg);
        let (Some(tag), Some(command)) = (args.next(), args.next()) else {
            return;
        };
        match command.to_ascii_uppercase().as_slice() {
            b"LOGIN" => {
                let (Some(user), Some(pass)) = (args.next(), args.next()) else {
                    return;
                };
                let mut c = Credential::new("imap", "LOGIN", Kind::Cleartext, msg.ts);
                c.username = Some(user);
                c.secret = Some(pass);
                c.add_frames(msg.frames.iter().copied());
                self.push(tag, Pending::Login(Box::new(c)));
            }
            b"AUTHENTICATE" => {
                let Some(mech) = args.next() else { return };
                let mut exchange = Exchange::start(&mech);
                if let (Some(x), Some(ir)) = (exchange.as_mut(), args.next())
                    && let Step::Cancelled | Step::Invalid =
                        x.client_response(&ir, msg.frames, msg.ts)
                {
                    exchange = None;
                }
                self.auth = Some((tag, exchange));
            }
            b"STARTTLS" => self.push(tag, Pending::StartTls),
            _ => {}
        }
    }

    fn push(&mut self, tag: Vec<u8>, p: Pending) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back((tag, p));
    }

    fn server(&mut self, msg: Message<'_>, out: &mut Vec<Credential>) {
        let text = msg.first_text();
        if let Some(rest) = text.strip_prefix(b"+") {
            if let Some((_, Some(x))) = self.auth.as_mut() {
                x.server_challenge(rest.strip_prefix(b" ").unwrap_or(rest));
            }
            return;
        }
        let mut words = text.splitn(3, |&b| b == b' ');
        let (Some(tag), Some(status)) = (words.next(), words.next()) else {
            return;
        };
        if tag == b"*" {
            return;
        }
        let outcome = match status.to_ascii_uppercase().as_slice() {
            b"OK" => Outcome::Success,
            b"NO" | b"BAD" => Outcome::Failure,
            _ => return,
        };
        if let Some((auth_tag, exchange)) = self.auth.take() {
            if auth_tag == tag {
                if let Some(mut c) = exchange.and_then(|x| x.credential("imap", "AUTHENTICATE")) {
                    c.outcome = outcome;
                    out.push(c);
                    self.done |= outcome == Outcome::Success;
                }
                return;
            }
            self.auth = Some((auth_tag, exchange));
        }
        let Some(i) = self.pending.iter().position(|(t, _)| t == tag) else {
            return;
        };
        match self.pending.remove(i) {
            Some((_, Pending::Login(mut c))) => {
                c.outcome = outcome;
                out.push(*c);
                self.done |= outcome == Outcome::Success;
            }
            Some((_, Pending::StartTls)) => self.done |= outcome == Outcome::Success,
            None => {}
        }
    }
}

impl Dissector for Imap {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.done {
            return;
        }
        let reader = &mut self.readers[dir.index()];
        if reader.buf.is_empty() && reader.literal_left == 0 && looks_like_tls(chunk.data) {
            s.done = true;
            return;
        }
        match dir {
            Direction::ToServer => reader.feed(chunk, |m| s.client(m)),
            Direction::ToClient => reader.feed(chunk, |m| s.server(m, out)),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        self.readers[dir.index()].gap();
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        for (_, p) in s.pending.drain(..) {
            if let Pending::Login(c) = p {
                out.push(*c);
            }
        }
        if let Some((_, Some(x))) = s.auth.take()
            && let Some(c) = x.credential("imap", "AUTHENTICATE")
        {
            out.push(c);
        }
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn lines_too_long(&self) -> u64 {
        self.readers.iter().map(|r| r.overlong).sum()
    }

    fn buffered(&self) -> usize {
        self.readers
            .iter()
            .map(|r| r.buf.capacity() + r.parts.capacity() * 16)
            .sum::<usize>()
            + self.session.pending.len() * 64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::DissectorConfig;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut *(SPEC.new)(&DissectorConfig::default()), script).0
    }

    fn secret(c: &Credential) -> &[u8] {
        c.secret.as_deref().unwrap_or_default()
    }

    #[test]
    fn a_literal_ending_in_cr_before_a_bare_line_feed() {
        // Found by fuzzing: the literal's last byte (a CR) was taken for the line's own.
        let out = run(&[
            (C, b"a1 LOGIN bob {3}\r\n"),
            (S, b"+ go\r\n"),
            (C, b"pw\r\n"),
            (S, b"a1 OK in\r\n"),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(secret(&out[0]), b"pw\r");
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn a_login_in_the_chunk_that_ends_a_skipped_message_keeps_its_frame() {
        // Found by fuzzing: after a gap, the message that began in the same chunk as the
        // end of the skipped one came out with no frames.
        let mut d = (SPEC.new)(&DissectorConfig::default());
        let mut out = Vec::new();
        let chunk = |data: &'static [u8], frame| Chunk {
            data,
            frame,
            ts: Timestamp::ZERO,
        };
        d.data(C, chunk(b"a0 NOOP and so", 1), &mut out);
        d.gap(C, 10, &mut out);
        d.data(C, chunk(b"on\r\na1 LOGIN samir pfres\r\n", 2), &mut out);
        d.data(S, chunk(b"a1 OK in\r\n", 3), &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].username.as_deref(), Some(&b"samir"[..]));
        assert_eq!(out[0].frames, vec![2]);
    }

    #[test]
    fn login_with_atoms_quoted_strings_and_literals() {
        let out = run(&[
            (S, b"* OK [CAPABILITY IMAP4rev1] ready\r\n"),
            (C, b"a1 LOGIN samir pfres\r\n"),
            (S, b"a1 NO [AUTHENTICATIONFAILED] bad\r\n"),
            (C, b"a2 login \"neu\\\"lingern\" \"p\\\\a ss\"\r\n"),
            (S, b"a2 BAD nope\r\n"),
            (C, b"a3 LOGIN {5}\r\n"),
            (S, b"+ Ready for literal data\r\n"),
            (C, b"alice {10}\r\n"),
            (S, b"+ Ready\r\n"),
            (C, b"pa\"ss w\r\nd\r\n"),
            (
                S,
                b"* CAPABILITY IMAP4rev1\r\na3 OK [CAPABILITY IMAP4rev1] Logged in\r\n",
            ),
        ]);
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(
            (out[0].username.as_deref(), secret(&out[0])),
            (Some(&b"samir"[..]), &b"pfres"[..])
        );
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(
            (out[1].username.as_deref(), secret(&out[1])),
            (Some(&b"neu\"lingern"[..]), &b"p\\a ss"[..])
        );
        assert_eq!(out[1].outcome, Outcome::Failure);
        assert_eq!(
            (out[2].username.as_deref(), secret(&out[2])),
            (Some(&b"alice"[..]), &b"pa\"ss w\r\nd"[..])
        );
        assert_eq!(out[2].outcome, Outcome::Success);
        assert_eq!(out[2].frames, vec![6, 8, 10]);
    }

    #[test]
    fn non_synchronising_literals() {
        let out = run(&[
            (S, b"* OK ready\r\n"),
            (C, b"x LOGIN {3+}\r\nbob {4+}\r\np w!\r\n"),
            (S, b"x OK done\r\n"),
        ]);
        assert_eq!(secret(&out[0]), b"p w!");
        assert_eq!(out[0].username.as_deref(), Some(&b"bob"[..]));
    }

    #[test]
    fn authenticate_plain_with_and_without_initial_response_and_cancel() {
        let out = run(&[
            (S, b"* OK ready\r\n"),
            (C, b"a AUTHENTICATE PLAIN\r\n"),
            (S, b"+ \r\n"),
            (C, b"AHRpbQB0YW5zdGFhZg==\r\n"),
            (S, b"a NO [AUTHENTICATIONFAILED] bad\r\n"),
            (C, b"b AUTHENTICATE LOGIN\r\n"),
            (S, b"+ VXNlcm5hbWU6\r\n"),
            (C, b"*\r\n"),
            (S, b"b BAD cancelled\r\n"),
            (C, b"c AUTHENTICATE PLAIN AHRpbQB0YW5zdGFhZg==\r\n"),
            (S, b"c OK logged in\r\n"),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].mechanism, "AUTHENTICATE PLAIN");
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(secret(&out[1]), b"tanstaaf");
    }

    #[test]
    fn starttls_stops_and_server_literals_are_skipped() {
        let out = run(&[
            (S, b"* OK ready\r\n"),
            (C, b"s1 STARTTLS\r\n"),
            (S, b"s1 OK Begin TLS\r\n"),
            (C, b"a LOGIN hidden secret\r\n"),
            (S, b"a OK\r\n"),
        ]);
        assert!(out.is_empty(), "{out:?}");
        let out = run(&[
            (S, b"* OK ready\r\n"),
            (C, b"f1 FETCH 1 BODY[]\r\n"),
            (
                S,
                b"* 1 FETCH (BODY[] {23}\r\nf2 LOGIN fake fake\r\n)\r\nf1 OK\r\n",
            ),
            (C, b"l1 LOGIN u p\r\n"),
            (S, b"l1 OK\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn probe_cases() {
        assert_eq!(
            probe(b"", b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n"),
            Probe::Yes
        );
        assert_eq!(probe(b"A001 LOGIN a b\r\n", b""), Probe::Yes);
        assert_eq!(probe(b"", b"+OK POP3\r\n"), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"220 smtp\r\n"), Probe::No);
    }

    #[test]
    fn probe_reads_a_tag_of_at_most_32_bytes_and_the_word_after_it() {
        let tag = |n: usize| "t".repeat(n);
        for (line, want) in [
            (format!("{} LOGIN a b\r\n", tag(32)), Probe::Yes),
            (format!("{} LOGIN a b\r\n", tag(33)), Probe::No),
            (format!("{} CAPABILITY\r\n", tag(1)), Probe::Yes),
            (format!("{} CAPABILITY\n", tag(1)), Probe::Yes),
            ("a.b-c_1 noop\r\n".to_string(), Probe::Yes),
            ("a1  LOGIN a b\r\n".to_string(), Probe::No),
            (" a1 LOGIN\r\n".to_string(), Probe::No),
            ("a1 LOGINX a b\r\n".to_string(), Probe::No),
            ("a+1 LOGIN a b\r\n".to_string(), Probe::No),
            ("LOGIN\r\n".to_string(), Probe::No),
            (format!("{}\r\n", "x".repeat(5000)), Probe::No),
        ] {
            assert_eq!(probe(line.as_bytes(), b""), want, "{line:?}");
        }
    }
}
