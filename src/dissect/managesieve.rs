//! ManageSieve (RFC 5804; TCP 4190, any by content): the SASL login of the protocol mail
//! clients use to upload Sieve filters (Dovecot Pigeonhole, Cyrus timsieved).
//!
//! The server greets with its capabilities, one quoted string per line (`"IMPLEMENTATION"
//! "..."`, `"SASL" "PLAIN LOGIN"`, `"SIEVE" "..."`, `"STARTTLS"`) and `OK`. The client
//! logs in with `AUTHENTICATE "<mechanism>" ["<initial response>"]`; challenges and
//! responses are base64 strings, quoted or as literals (`{n}` / `{n+}` at the end of a line,
//! the string on the next: base64 never holds a line end). The server ends with `OK` or
//! `NO ["reason"]`. Mechanisms go through the shared SASL layer (PLAIN, LOGIN, CRAM-MD5,
//! DIGEST-MD5, XOAUTH2...): mechanism `AUTHENTICATE <mech>`. `STARTTLS` accepted ends the
//! reading; `details.reason` keeps a refusal's text.

use super::lines::{Line, LineReader};
use super::sasl::{Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "managesieve",
    tcp_ports: &[4190],
    probe,
    new: |config| {
        Box::new(ManageSieve {
            lines: [
                LineReader::new(config.max_line),
                LineReader::new(config.max_line),
            ],
            literal: [None, None],
            exchange: None,
            pending: None,
            starttls: false,
            done: false,
        })
    },
};

/// The capabilities a ManageSieve greeting opens with.
const GREETINGS: [&[u8]; 4] = [
    b"\"IMPLEMENTATION\"",
    b"\"SASL\"",
    b"\"SIEVE\"",
    b"\"STARTTLS\"",
];

/// ManageSieve when the server's first line is one of its capabilities (case-insensitive,
/// as the RFC's examples write them).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_client.is_empty() {
        return if to_server.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    if to_client[0] != b'"' {
        return Probe::No;
    }
    let mut maybe = false;
    for g in GREETINGS {
        let n = to_client.len().min(g.len());
        if to_client[..n].eq_ignore_ascii_case(&g[..n]) {
            if to_client.len() > g.len() {
                return Probe::Yes;
            }
            maybe = true;
        }
    }
    if maybe { Probe::Maybe } else { Probe::No }
}

/// The strings of a line: quoted (`\"` and `\\` escapes undone), atoms as they are; a
/// literal's `{n}` / `{n+}` as `None` (its string is the next line).
fn strings(text: &[u8]) -> Vec<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() && out.len() < 8 {
        match text[i] {
            b' ' | b'\t' => i += 1,
            b'"' => {
                let mut s = Vec::new();
                i += 1;
                while i < text.len() && text[i] != b'"' {
                    if text[i] == b'\\' && i + 1 < text.len() {
                        i += 1;
                    }
                    s.push(text[i]);
                    i += 1;
                }
                i += 1;
                out.push(Some(s));
            }
            b'{' => {
                out.push(None);
                break;
            }
            _ => {
                let start = i;
                while i < text.len() && !matches!(text[i], b' ' | b'\t' | b'"' | b'{') {
                    i += 1;
                }
                out.push(Some(text[start..i].to_vec()));
            }
        }
    }
    out
}

/// The length a line's closing `{n}` / `{n+}` announces.
fn literal_len(text: &[u8]) -> Option<usize> {
    let open = memchr::memrchr(b'{', text)?;
    let inner = text[open + 1..].strip_suffix(b"}")?;
    let digits = inner.strip_suffix(b"+").unwrap_or(inner);
    if digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[derive(Debug)]
pub struct ManageSieve {
    lines: [LineReader; 2],
    /// The next line of this direction begins with a literal's string of this length.
    literal: [Option<usize>; 2],
    exchange: Option<Exchange>,
    /// A complete login waiting for the server's verdict.
    pending: Option<Box<Credential>>,
    starttls: bool,
    done: bool,
}

impl ManageSieve {
    fn client_line(&mut self, line: Line<'_>) {
        let text = line.text.strip_suffix(b"\r").unwrap_or(line.text);
        if let Some(n) = self.literal[0].take() {
            match text.get(..n) {
                Some(s) => self.response(s, &line),
                None => self.exchange = None, // not the string announced: out of step
            }
            return;
        }
        let words = strings(text);
        if self.exchange.is_some() {
            // A response: a quoted string (or a literal announced on this line).
            match words.first() {
                Some(None) => self.announce(0, text),
                Some(Some(s)) if text.first() == Some(&b'"') => {
                    let s = s.clone();
                    self.response(&s, &line);
                }
                _ => {}
            }
            return;
        }
        let Some(Some(command)) = words.first() else {
            return;
        };
        if command.eq_ignore_ascii_case(b"STARTTLS") {
            self.starttls = true;
            return;
        }
        if !command.eq_ignore_ascii_case(b"AUTHENTICATE") {
            return;
        }
        let Some(Some(mech)) = words.get(1) else {
            return;
        };
        self.exchange = Exchange::start(mech);
        match words.get(2) {
            Some(Some(ir)) => {
                let ir = ir.clone();
                self.response(&ir, &line);
            }
            Some(None) => self.announce(0, text),
            None => {}
        }
    }

    /// A literal announced at the end of `text`, for the next line of direction `side`; a
    /// malformed announcement puts the exchange out of step.
    fn announce(&mut self, side: usize, text: &[u8]) {
        self.literal[side] = literal_len(text);
        if self.literal[side].is_none() {
            self.exchange = None;
        }
    }

    fn response(&mut self, b64: &[u8], line: &Line<'_>) {
        let Some(x) = &mut self.exchange else {
            return;
        };
        match x.client_response(b64, line.frames, line.ts) {
            Step::Complete => {
                if let Some(c) = x.credential("managesieve", "AUTHENTICATE") {
                    self.pending = Some(Box::new(c));
                }
            }
            Step::Cancelled | Step::Invalid => self.exchange = None,
            Step::Continue => {}
        }
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if let Some(n) = self.literal[1].take() {
            match (text.get(..n), &mut self.exchange) {
                (Some(ch), Some(x)) => x.server_challenge(ch),
                (None, _) => self.exchange = None,
                _ => {}
            }
            return;
        }
        let words = strings(text);
        let Some(first) = words.first() else {
            return;
        };
        let (ok, no) = match first {
            // A challenge: a quoted string, or a literal's on the next line.
            Some(ch) if text.first() == Some(&b'"') => {
                if let Some(x) = &mut self.exchange {
                    x.server_challenge(ch);
                }
                return;
            }
            None => {
                if self.exchange.is_some() {
                    self.announce(1, text);
                }
                return;
            }
            Some(w) => (
                w.eq_ignore_ascii_case(b"OK"),
                w.eq_ignore_ascii_case(b"NO") || w.eq_ignore_ascii_case(b"BYE"),
            ),
        };
        if !ok && !no {
            return;
        }
        if self.starttls {
            // TLS from here on (or refused: the client may still log in in clear).
            self.starttls = false;
            if ok {
                self.done = true;
            }
            return;
        }
        if self.exchange.take().is_none() {
            return;
        }
        if let Some(mut c) = self.pending.take() {
            c.outcome = if ok {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            if no
                && let Some(Some(reason)) = words.iter().skip(1).find(|w| {
                    w.as_ref()
                        .is_some_and(|w| !w.starts_with(b"(") && !w.is_empty())
                })
            {
                c.details
                    .push(("reason", String::from_utf8_lossy(reason).into_owned()));
            }
            out.push(*c);
        }
    }
}

impl Dissector for ManageSieve {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let mut lines = std::mem::take(&mut self.lines[dir.index()]);
        lines.feed(chunk, |l| {
            if self.done {
                return;
            }
            match dir {
                Direction::ToServer => self.client_line(l),
                Direction::ToClient => self.server_line(l.text, out),
            }
        });
        self.lines[dir.index()] = lines;
    }

    fn gap(&mut self, dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        self.lines[dir.index()].gap();
        self.literal[dir.index()] = None;
        if self.pending.is_none() {
            self.exchange = None;
        }
        let _ = out;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
    }

    fn done(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn lines_too_long(&self) -> u64 {
        self.lines.iter().map(|l| l.overlong).sum()
    }

    fn buffered(&self) -> usize {
        self.lines.iter().map(LineReader::buffered).sum::<usize>()
            + if self.pending.is_some() { 256 } else { 0 }
            + if self.exchange.is_some() { 256 } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Kind;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
        .0
    }

    const GREETING: &[u8] = b"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"SIEVE\" \"fileinto reject envelope\"\r\n\"SASL\" \"PLAIN LOGIN\"\r\n\"VERSION\" \"1.0\"\r\nOK \"Dovecot ready.\"\r\n";

    #[test]
    fn plain_with_initial_response_refused_then_accepted() {
        let found = run(&[
            (S, GREETING),
            (C, b"AUTHENTICATE \"PLAIN\" \"AGFsaWNlAHdyb25n\"\r\n"),
            (S, b"NO \"Authentication failed.\"\r\n"),
            (
                C,
                b"Authenticate \"PLAIN\" {24+}\r\nAGFsaWNlAFNpZXZlLXB3MSE=\r\n",
            ),
            (S, b"OK \"Logged in.\"\r\n"),
        ]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].mechanism, "AUTHENTICATE PLAIN");
        assert_eq!(found[0].kind, Kind::Cleartext);
        assert_eq!(found[0].username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(found[0].secret.as_deref(), Some(&b"wrong"[..]));
        assert_eq!(found[0].outcome, Outcome::Failure);
        assert!(
            found[0]
                .details
                .contains(&("reason", "Authentication failed.".to_string()))
        );
        assert_eq!(found[1].secret.as_deref(), Some(&b"Sieve-pw1!"[..]));
        assert_eq!(found[1].outcome, Outcome::Success);
    }

    /// LOGIN with quoted challenges and responses; CRAM-MD5 with a literal challenge.
    #[test]
    fn login_and_cram_md5_steps() {
        let found = run(&[
            (S, GREETING),
            (C, b"AUTHENTICATE \"LOGIN\"\r\n"),
            (S, b"\"VXNlcm5hbWU6\"\r\n"),
            (C, b"\"Ym9i\"\r\n"),
            (S, b"\"UGFzc3dvcmQ6\"\r\n"),
            (C, b"\"c2VjcmV0\"\r\n"),
            (S, b"OK\r\n"),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].mechanism, "AUTHENTICATE LOGIN");
        assert_eq!(found[0].username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(found[0].secret.as_deref(), Some(&b"secret"[..]));
        assert_eq!(found[0].outcome, Outcome::Success);
        // RFC 2195's example through a literal challenge.
        let found = run(&[
            (S, GREETING),
            (C, b"AUTHENTICATE \"CRAM-MD5\"\r\n"),
            (
                S,
                b"{56}\r\nPDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
            ),
            (
                C,
                b"\"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\"\r\n",
            ),
            (S, b"NO\r\n"),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].mechanism, "AUTHENTICATE CRAM-MD5");
        assert_eq!(found[0].outcome, Outcome::Failure);
        assert_eq!(found[0].hashcat.as_ref().map(|h| h.mode), Some(10200));
    }

    /// A literal is as long as its `{n}` says: a line shorter than announced (a stream out
    /// of step) gives nothing, a longer one is cut to it.
    #[test]
    fn literals_are_read_to_their_length() {
        let found = run(&[
            (S, GREETING),
            (
                C,
                b"AUTHENTICATE \"PLAIN\" {32+}\r\nAGFsaWNlAFNpZXZlLXB3MSE=\r\n",
            ),
            (S, b"OK\r\n"),
        ]);
        assert!(found.is_empty());
        let found = run(&[
            (S, GREETING),
            (
                C,
                b"AUTHENTICATE \"PLAIN\" {24}\r\nAGFsaWNlAFNpZXZlLXB3MSE=   \r\n",
            ),
            (S, b"OK\r\n"),
        ]);
        assert_eq!(found[0].secret.as_deref(), Some(&b"Sieve-pw1!"[..]));
        assert_eq!(literal_len(b"x {12+}"), Some(12));
        assert_eq!(literal_len(b"x {}"), None);
        assert_eq!(literal_len(b"x {99999999}"), None);
    }

    #[test]
    fn starttls_ends_the_reading_and_cancel_gives_nothing() {
        let found = run(&[
            (S, GREETING),
            (C, b"STARTTLS\r\n"),
            (S, b"OK \"Begin TLS negotiation now.\"\r\n"),
            (C, b"AUTHENTICATE \"PLAIN\" \"AGFsaWNlAHdyb25n\"\r\n"),
        ]);
        assert!(found.is_empty());
        let found = run(&[
            (S, GREETING),
            (C, b"AUTHENTICATE \"LOGIN\"\r\n"),
            (S, b"\"VXNlcm5hbWU6\"\r\n"),
            (C, b"\"*\"\r\n"),
            (S, b"NO \"Cancelled\"\r\n"),
        ]);
        assert!(found.is_empty());
    }

    #[test]
    fn probe_by_capabilities() {
        assert_eq!(probe(b"", GREETING), Probe::Yes);
        assert_eq!(probe(b"", b"\"implementation\" \"x\"\r\n"), Probe::Yes);
        assert_eq!(probe(b"", b"\"SAS"), Probe::Maybe);
        assert_eq!(probe(b"", b"* OK IMAP4rev1\r\n"), Probe::No);
        assert_eq!(probe(b"", b"\"hello\"\r\n"), Probe::No);
        assert_eq!(probe(b"AUTHENTICATE", b""), Probe::No);
    }
}
