//! NNTP (RFC 3977) authentication (RFC 4643, and the older RFC 2980 forms).
//!
//! - `AUTHINFO USER name` then `AUTHINFO PASS password`: mechanism `AUTHINFO USER/PASS`,
//!   cleartext. `381` after USER asks for the password; the reply to PASS decides: `281`
//!   success, `481` failure (`482` out of sequence and `502` unavailable mean the
//!   password was not judged: unknown). A USER accepted at once (`281`) carries no secret.
//! - `AUTHINFO SASL mechanism [initial-response]` through the shared SASL layer:
//!   challenges come in `383` replies, the outcome is `281`/`283` success, `481` failure;
//!   `*` cancels. Mechanism `AUTHINFO SASL PLAIN` etc.
//! - `AUTHINFO SIMPLE` (RFC 2980): `350`, then `user password` on one line; `250`
//!   success, `452` failure. Mechanism `AUTHINFO SIMPLE`.
//!
//! Replies are matched to commands in order (pipelining allowed). Multi-line replies
//! (articles, lists, overviews, capabilities) and the articles a client sends after `POST`
//! / `IHAVE` (or with `TAKETHIS`) are skipped up to their terminating `.`, so text inside
//! them is never taken for a command or a reply. `STARTTLS` answered `382` ends the
//! inspection (port 563, NNTP over TLS, shows nothing).

use std::collections::VecDeque;

use super::ftp::looks_like_tls;
use super::lines::{Line, LinePair, first_line, is_one_of, split_command};
use super::sasl::{Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "nntp",
    tcp_ports: &[119],
    probe,
    new: |config| {
        Box::new(Nntp {
            lines: LinePair::new(config.max_line),
            session: Session::default(),
        })
    },
};

const MAX_PENDING: usize = 64;

/// Commands only NNTP has (as a client's first command, they settle the protocol).
const NNTP_ONLY: &[&[u8]] = &[
    b"AUTHINFO",
    b"CAPABILITIES",
    b"GROUP",
    b"LISTGROUP",
    b"ARTICLE",
    b"XOVER",
    b"OVER",
    b"NEWNEWS",
    b"NEWGROUPS",
    b"IHAVE",
    b"TAKETHIS",
    b"CHECK",
    b"XHDR",
    b"HDR",
    b"POST",
    b"MODE",
];

/// Other commands a client may start with.
const NNTP_OTHER: &[&[u8]] = &[
    b"LIST",
    b"HELP",
    b"DATE",
    b"STARTTLS",
    b"QUIT",
    b"HEAD",
    b"BODY",
    b"STAT",
];

/// A three-digit reply code at the start of a line.
pub fn reply_code(line: &[u8]) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if line
        .get(3)
        .is_some_and(|&b| b != b' ' && b != b'\r' && b != b'-')
    {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// NNTP when the server greets with `200`/`201` (Yes when the greeting names news or NNTP,
/// or the client's first command is one only NNTP has), or the client's first command is
/// `AUTHINFO`.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if looks_like_tls(to_server) || looks_like_tls(to_client) {
        return Probe::No;
    }
    let client_verb = first_line(to_server).map(|l| split_command(l).0);
    let nntp_only = client_verb.is_some_and(|v| is_one_of(v, NNTP_ONLY));
    if !to_client.is_empty() {
        let Some(line) = first_line(to_client) else {
            return match to_client.get(..to_client.len().min(4)) {
                Some(head) if b"200 ".starts_with(head) || b"201 ".starts_with(head) => {
                    Probe::Maybe
                }
                _ => Probe::No,
            };
        };
        return match reply_code(line) {
            Some(200 | 201) => {
                let lower = line.to_ascii_lowercase();
                let named = [&b"nntp"[..], b"news", b"inn ", b"leafnode"]
                    .iter()
                    .any(|w| memchr::memmem::find(&lower, w).is_some());
                if named || nntp_only {
                    Probe::Yes
                } else {
                    Probe::Maybe
                }
            }
            Some(400 | 502) => Probe::Maybe,
            _ => Probe::No,
        };
    }
    match client_verb {
        Some(v) if v.eq_ignore_ascii_case(b"AUTHINFO") => Probe::Yes,
        Some(v) if is_one_of(v, NNTP_ONLY) || is_one_of(v, NNTP_OTHER) => Probe::Maybe,
        Some(_) => Probe::No,
        None if to_server.len() >= 8 && !to_server[..8].iter().all(u8::is_ascii_alphabetic) => {
            Probe::No
        }
        None => Probe::Maybe,
    }
}

/// A command waiting for its reply.
#[derive(Debug)]
enum Pending {
    User,
    Pass(Credential),
    Sasl,
    Simple,
    /// The `user password` line of AUTHINFO SIMPLE.
    SimpleLogin(Credential),
    StartTls,
    /// `POST` / `IHAVE`: a 340 / 335 reply lets the client send an article.
    Article,
    /// `LISTGROUP`: 211 starts a multi-line reply (after GROUP it does not).
    ListGroup,
    Other,
}

#[derive(Debug, Default)]
pub struct Nntp {
    lines: LinePair,
    session: Session,
}

#[derive(Debug, Default)]
struct Session {
    greeted: bool,
    user: Option<(Vec<u8>, Vec<u64>)>,
    pending: VecDeque<Pending>,
    /// An AUTHINFO SASL exchange until its final reply (`None` inside: a mechanism that
    /// exposes nothing, or a cancelled one).
    sasl: Option<Option<Exchange>>,
    /// After `350` to AUTHINFO SIMPLE, the next client line is `user password`.
    simple_login: bool,
    /// Inside a multi-line reply / a client's article.
    server_body: bool,
    client_body: bool,
    done: bool,
}

/// Replies that start a multi-line block (RFC 3977 and common extensions).
fn multi_line(code: u16, pending: Option<&Pending>) -> bool {
    match code {
        100 | 101 | 215 | 220 | 221 | 222 | 224 | 225 | 230 | 231 | 282 => true,
        211 => matches!(pending, Some(Pending::ListGroup)),
        _ => false,
    }
}

impl Session {
    fn push(&mut self, p: Pending, out: &mut Vec<Credential>) {
        if self.pending.len() >= MAX_PENDING
            && let Some(Pending::Pass(c) | Pending::SimpleLogin(c)) = self.pending.pop_front()
        {
            out.push(c);
        }
        self.pending.push_back(p);
    }

    fn client_line(&mut self, line: Line<'_>, out: &mut Vec<Credential>) {
        if self.client_body {
            if line.text == b"." {
                self.client_body = false;
            }
            return;
        }
        if let Some(exchange) = self.sasl.as_mut() {
            if let Some(x) = exchange.as_mut()
                && let Step::Cancelled | Step::Invalid =
                    x.client_response(line.text, line.frames, line.ts)
            {
                *exchange = None;
            }
            return;
        }
        if std::mem::take(&mut self.simple_login) {
            let (user, pass) = split_command(line.text);
            let mut c = Credential::new("nntp", "AUTHINFO SIMPLE", Kind::Cleartext, line.ts);
            c.username = Some(user.to_vec());
            c.secret = Some(pass.unwrap_or_default().to_vec());
            c.add_frames(line.frames.iter().copied());
            self.push(Pending::SimpleLogin(c), out);
            return;
        }
        let (verb, arg) = split_command(line.text);
        let upper = verb.to_ascii_uppercase();
        let pending = match upper.as_slice() {
            b"AUTHINFO" => {
                let (sub, rest) = split_command(arg.unwrap_or_default());
                match sub.to_ascii_uppercase().as_slice() {
                    b"USER" => {
                        self.user = Some((rest.unwrap_or_default().to_vec(), line.frames.to_vec()));
                        Pending::User
                    }
                    b"PASS" => {
                        let mut c =
                            Credential::new("nntp", "AUTHINFO USER/PASS", Kind::Cleartext, line.ts);
                        if let Some((u, f)) = &self.user {
                            c.username = Some(u.clone());
                            c.add_frames(f.iter().copied());
                        }
                        c.secret = Some(rest.unwrap_or_default().to_vec());
                        c.add_frames(line.frames.iter().copied());
                        Pending::Pass(c)
                    }
                    b"SASL" => {
                        let (mech, initial) = split_command(rest.unwrap_or_default());
                        let mut exchange = Exchange::start(mech);
                        if let (Some(x), Some(ir)) = (exchange.as_mut(), initial)
                            && let Step::Cancelled | Step::Invalid =
                                x.client_response(ir, line.frames, line.ts)
                        {
                            exchange = None;
                        }
                        self.sasl = Some(exchange);
                        Pending::Sasl
                    }
                    b"SIMPLE" => Pending::Simple,
                    _ => Pending::Other,
                }
            }
            b"STARTTLS" => Pending::StartTls,
            b"POST" | b"IHAVE" => Pending::Article,
            b"TAKETHIS" => {
                // The article follows at once (RFC 4644).
                self.client_body = true;
                Pending::Other
            }
            b"LISTGROUP" => Pending::ListGroup,
            _ => Pending::Other,
        };
        self.push(pending, out);
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        if self.server_body {
            if text == b"." {
                self.server_body = false;
            }
            return;
        }
        let Some(code) = reply_code(text) else {
            return;
        };
        if !self.greeted && self.pending.is_empty() {
            self.greeted = true;
            return;
        }
        self.greeted = true;
        if code == 383 {
            // A SASL challenge: the exchange goes on, the command is still pending.
            if let Some(Some(x)) = self.sasl.as_mut() {
                let rest = text.get(4..).unwrap_or_default();
                x.server_challenge(if rest == b"=" { b"" } else { rest });
            }
            return;
        }
        let pending = self.pending.pop_front();
        if multi_line(code, pending.as_ref()) {
            self.server_body = true;
        }
        let outcome = match code {
            281 | 283 | 250 => Outcome::Success,
            481 | 452 => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        match pending {
            Some(Pending::Pass(mut c) | Pending::SimpleLogin(mut c)) => {
                c.outcome = outcome;
                out.push(c);
            }
            Some(Pending::Sasl) => {
                let exchange = self.sasl.take().flatten();
                if let Some(mut c) = exchange.and_then(|x| x.credential("nntp", "AUTHINFO SASL")) {
                    c.outcome = outcome;
                    out.push(c);
                }
            }
            Some(Pending::Simple) => self.simple_login = code == 350,
            Some(Pending::StartTls) => {
                if code == 382 {
                    self.done = true;
                }
            }
            Some(Pending::Article) => self.client_body = code == 340 || code == 335,
            Some(Pending::User | Pending::ListGroup | Pending::Other) | None => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for p in self.pending.drain(..) {
            match p {
                Pending::Pass(c) | Pending::SimpleLogin(c) => out.push(c),
                Pending::Sasl => {
                    if let Some(c) = self
                        .sasl
                        .take()
                        .flatten()
                        .and_then(|x| x.credential("nntp", "AUTHINFO SASL"))
                    {
                        out.push(c);
                    }
                }
                _ => {}
            }
        }
    }
}

impl Dissector for Nntp {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.done {
            return;
        }
        if self.lines.at_line_start(dir) && looks_like_tls(chunk.data) {
            s.done = true;
            return;
        }
        self.lines.feed(dir, chunk, |dir, l| match dir {
            Direction::ToServer => s.client_line(l, out),
            Direction::ToClient => s.server_line(l.text, out),
        });
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        self.lines.gap(dir);
        match dir {
            Direction::ToClient => self.session.server_body = false,
            Direction::ToServer => self.session.client_body = false,
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.session.close(out);
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn lines_too_long(&self) -> u64 {
        self.lines.overlong()
    }

    fn buffered(&self) -> usize {
        self.lines.buffered()
            + self.session.pending.len() * 64
            + self.session.user.as_ref().map_or(0, |(u, _)| u.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
        .0
    }

    #[test]
    fn user_pass_failure_then_success() {
        let out = run(&[
            (
                S,
                b"200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n",
            ),
            (C, b"MODE READER\r\n"),
            (S, b"200 ok\r\n"),
            (C, b"AUTHINFO USER alice\r\n"),
            (S, b"381 Enter password\r\n"),
            (C, b"AUTHINFO PASS wrong one\r\n"),
            (S, b"481 Authentication failed\r\n"),
            (C, b"AUTHINFO USER alice\r\nAUTHINFO PASS n3ws!\r\n"),
            (S, b"381 Enter password\r\n281 Authentication accepted\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong one"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![4, 6]);
        assert_eq!(out[1].secret.as_deref(), Some(&b"n3ws!"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(out[1].mechanism, "AUTHINFO USER/PASS");
    }

    #[test]
    fn sasl_plain_with_and_without_initial_response() {
        let out = run(&[
            (S, b"200 ready\r\n"),
            (C, b"AUTHINFO SASL PLAIN\r\n"),
            (S, b"383 =\r\n"),
            (C, b"AHRpbQB0YW5zdGFhZg==\r\n"),
            (S, b"481 no\r\n"),
            (C, b"AUTHINFO SASL PLAIN AHRpbQB0YW5zdGFhZg==\r\n"),
            (S, b"281 ok\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].mechanism, "AUTHINFO SASL PLAIN");
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].username.as_deref(), Some(&b"tim"[..]));
        assert_eq!(out[1].secret.as_deref(), Some(&b"tanstaaf"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
    }

    #[test]
    fn bodies_are_skipped_both_ways() {
        let out = run(&[
            (S, b"200 ready\r\n"),
            (C, b"ARTICLE 1\r\n"),
            (
                S,
                b"220 1 <a@b> article\r\nAUTHINFO PASS fake\r\n281 fake\r\n.\r\n",
            ),
            (C, b"POST\r\n"),
            (S, b"340 send article\r\n"),
            (
                C,
                b"From: x\r\n\r\nAUTHINFO USER u\r\nAUTHINFO PASS in-article\r\n.\r\n",
            ),
            (S, b"240 posted\r\n"),
            (C, b"AUTHINFO USER u\r\n"),
            (S, b"381 more\r\n"),
            (C, b"AUTHINFO PASS real\r\n"),
            (S, b"281 ok\r\n"),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].secret.as_deref(), Some(&b"real"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn simple_and_starttls() {
        let out = run(&[
            (S, b"201 ready, no posting\r\n"),
            (C, b"AUTHINFO SIMPLE\r\n"),
            (S, b"350 continue\r\n"),
            (C, b"bob s3cret\r\n"),
            (S, b"250 ok\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "AUTHINFO SIMPLE");
        assert_eq!(out[0].username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        let out = run(&[
            (S, b"200 ready\r\n"),
            (C, b"STARTTLS\r\n"),
            (S, b"382 Continue with TLS negotiation\r\n"),
            (C, b"AUTHINFO USER u\r\nAUTHINFO PASS p\r\n"),
        ]);
        assert!(out.is_empty());
    }

    #[test]
    fn unanswered_and_out_of_sequence() {
        let out = run(&[
            (S, b"200 ready\r\n"),
            (C, b"AUTHINFO PASS early\r\n"),
            (S, b"482 Authentication commands issued out of sequence\r\n"),
            (C, b"AUTHINFO USER u\r\nAUTHINFO PASS late\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].username, None);
        assert_eq!(out[1].outcome, Outcome::Unknown);
    }

    #[test]
    fn probe_cases() {
        assert_eq!(
            probe(
                b"",
                b"200 news.example.com InterNetNews NNRP server INN 2.7.1 ready\r\n"
            ),
            Probe::Yes
        );
        assert_eq!(probe(b"", b"200 ready\r\n"), Probe::Maybe);
        assert_eq!(probe(b"MODE READER\r\n", b"200 ready\r\n"), Probe::Yes);
        assert_eq!(probe(b"", b"220 smtp ESMTP\r\n"), Probe::No);
        assert_eq!(probe(b"", b"+OK pop\r\n"), Probe::No);
        assert_eq!(probe(b"AUTHINFO USER x\r\n", b""), Probe::Yes);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"\x16\x03\x01"), Probe::No);
        assert_eq!(probe(b"", b"SSH-2.0-x\r\n"), Probe::No);
    }
}
