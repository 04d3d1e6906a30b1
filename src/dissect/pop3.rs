//! POP3 (RFC 1939, 2449, 5034): `USER`/`PASS`, `APOP` (challenge-response over the
//! greeting's timestamp), and `AUTH` through the shared SASL layer. The outcome comes from
//! the `+OK` / `-ERR` status that answers the command; `STLS` accepted ends inspection.

use std::collections::VecDeque;

use memchr::memchr;

use super::ftp::looks_like_tls;
use super::lines::{Line, LineReader, first_line, split_command, starts_with_ignore_case};
use super::sasl::{Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "pop3",
    tcp_ports: &[110],
    probe,
    new: |config| {
        Box::new(Pop3 {
            lines: [
                LineReader::new(config.max_line),
                LineReader::new(config.max_line),
            ],
            session: Session::default(),
        })
    },
};

const COMMANDS: &[&[u8]] = &[
    b"USER", b"PASS", b"APOP", b"AUTH", b"CAPA", b"STLS", b"STAT", b"LIST", b"RETR", b"DELE",
    b"NOOP", b"RSET", b"QUIT", b"TOP", b"UIDL", b"UTF8", b"LANG",
];

fn is_status(line: &[u8], status: &[u8]) -> bool {
    line.len() >= status.len()
        && line[..status.len()].eq_ignore_ascii_case(status)
        && line
            .get(status.len())
            .is_none_or(|&b| b == b' ' || b == b'\r')
}

/// POP3 when the server's first line is `+OK` / `-ERR`, or (server silent so far) the
/// client's first line is a POP3 command.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if !to_client.is_empty() {
        let head = &to_client[..to_client.len().min(4)];
        if starts_with_ignore_case(b"+OK ", head) || starts_with_ignore_case(b"-ERR", head) {
            return if to_client.len() >= 3 {
                Probe::Yes
            } else {
                Probe::Maybe
            };
        }
        return Probe::No;
    }
    match first_line(to_server) {
        Some(line) => {
            let (verb, _) = split_command(line);
            if COMMANDS.iter().any(|c| verb.eq_ignore_ascii_case(c)) {
                Probe::Maybe
            } else {
                Probe::No
            }
        }
        None if to_server.len() >= 4 && !to_server[..4].iter().all(u8::is_ascii_alphabetic) => {
            Probe::No
        }
        None => Probe::Maybe,
    }
}

/// A command waiting for its status line.
#[derive(Debug)]
enum Pending {
    Pass(Credential),
    Apop(Credential),
    Auth,
    Stls,
    /// A command whose `+OK` starts a multi-line response.
    MultiLine,
    Other,
}

const MAX_PENDING: usize = 64;

#[derive(Debug, Default)]
pub struct Pop3 {
    lines: [LineReader; 2],
    session: Session,
}

#[derive(Debug, Default)]
struct Session {
    /// The greeting's `<...>` timestamp, the APOP challenge.
    timestamp: Option<Vec<u8>>,
    greeted: bool,
    user: Option<(Vec<u8>, Vec<u64>)>,
    pending: VecDeque<Pending>,
    /// An AUTH exchange in progress, until its final status: every client line is a
    /// SASL response meanwhile. `None` inside: a mechanism that exposes nothing, or a
    /// cancelled exchange.
    auth: Option<Option<Exchange>>,
    /// Inside a multi-line response, up to its terminating `.`.
    body: bool,
    done: bool,
}

/// The `<...>` msg-id in a greeting (RFC 1939 section 7).
fn greeting_timestamp(line: &[u8]) -> Option<&[u8]> {
    let start = memchr(b'<', line)?;
    let end = start + memchr(b'>', &line[start..])?;
    Some(&line[start..=end])
}

impl Session {
    fn push(&mut self, p: Pending) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(p);
    }

    fn client_line(&mut self, line: Line<'_>) {
        if let Some(exchange) = self.auth.as_mut() {
            if let Some(x) = exchange.as_mut()
                && let Step::Cancelled | Step::Invalid =
                    x.client_response(line.text, line.frames, line.ts)
            {
                *exchange = None;
            }
            return;
        }
        let (verb, arg) = split_command(line.text);
        let upper = verb.to_ascii_uppercase();
        let pending = match upper.as_slice() {
            b"USER" => {
                self.user = Some((arg.unwrap_or_default().to_vec(), line.frames.to_vec()));
                Pending::Other
            }
            b"PASS" => {
                let mut c = Credential::new("pop3", "USER/PASS", Kind::Cleartext, line.ts);
                if let Some((user, frames)) = &self.user {
                    c.username = Some(user.clone());
                    c.add_frames(frames.iter().copied());
                }
                c.secret = Some(arg.unwrap_or_default().to_vec());
                c.add_frames(line.frames.iter().copied());
                Pending::Pass(c)
            }
            b"APOP" => {
                let arg = arg.unwrap_or_default();
                let (name, digest) = match arg.iter().rposition(|&b| b == b' ') {
                    Some(i) => (&arg[..i], &arg[i + 1..]),
                    None => (arg, &b""[..]),
                };
                let mut c = Credential::new("pop3", "APOP", Kind::ChallengeResponse, line.ts);
                c.username = Some(name.to_vec());
                c.secret = Some(digest.to_vec());
                c.add_frames(line.frames.iter().copied());
                if let Some(ts) = &self.timestamp {
                    c.challenge = Some(ts.clone());
                    c.hashcat = Some(Hashcat {
                        mode: 20,
                        hash: format!(
                            "{}:{}",
                            String::from_utf8_lossy(digest).to_ascii_lowercase(),
                            String::from_utf8_lossy(ts)
                        ),
                        hex_salt: false,
                    });
                }
                Pending::Apop(c)
            }
            b"AUTH" => match arg.map(|a| split_command(a.trim_ascii())) {
                None | Some((b"", _)) => Pending::MultiLine,
                Some((mech, initial)) => {
                    let mut exchange = Exchange::start(mech);
                    if let (Some(x), Some(ir)) = (exchange.as_mut(), initial)
                        && let Step::Cancelled | Step::Invalid =
                            x.client_response(ir, line.frames, line.ts)
                    {
                        exchange = None;
                    }
                    self.auth = Some(exchange);
                    Pending::Auth
                }
            },
            b"STLS" => Pending::Stls,
            b"CAPA" | b"RETR" | b"TOP" => Pending::MultiLine,
            b"LIST" | b"UIDL" if arg.is_none_or(|a| a.trim_ascii().is_empty()) => {
                Pending::MultiLine
            }
            _ => Pending::Other,
        };
        self.push(pending);
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        if self.body {
            if text == b"." {
                self.body = false;
            }
            return;
        }
        let ok = is_status(text, b"+OK");
        let err = is_status(text, b"-ERR");
        if !ok && !err {
            if let Some(rest) = text.strip_prefix(b"+") {
                // A SASL challenge: "+ <base64>".
                if let Some(Some(x)) = self.auth.as_mut() {
                    x.server_challenge(rest.strip_prefix(b" ").unwrap_or(rest));
                }
            }
            return;
        }
        if !self.greeted && self.pending.is_empty() {
            self.greeted = true;
            self.timestamp = greeting_timestamp(text).map(<[u8]>::to_vec);
            return;
        }
        self.greeted = true;
        let outcome = if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        match self.pending.pop_front() {
            Some(Pending::Pass(mut c)) | Some(Pending::Apop(mut c)) => {
                c.outcome = outcome;
                out.push(c);
                if ok {
                    self.done = true;
                }
            }
            Some(Pending::Auth) => {
                let exchange = self.auth.take().flatten();
                if let Some(mut c) = exchange.and_then(|x| x.credential("pop3", "AUTH")) {
                    c.outcome = outcome;
                    out.push(c);
                    if ok {
                        self.done = true;
                    }
                }
            }
            Some(Pending::Stls) => {
                if ok {
                    self.done = true;
                }
            }
            Some(Pending::MultiLine) => self.body = ok,
            Some(Pending::Other) | None => {}
        }
    }
}

impl Dissector for Pop3 {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.done {
            return;
        }
        if self.lines[dir.index()].partial().is_empty() && looks_like_tls(chunk.data) {
            s.done = true;
            return;
        }
        match dir {
            Direction::ToServer => self.lines[0].feed(chunk, |l| s.client_line(l)),
            Direction::ToClient => self.lines[1].feed(chunk, |l| s.server_line(l.text, out)),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        self.lines[dir.index()].gap();
        if dir == Direction::ToClient {
            self.session.body = false;
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        for p in s.pending.drain(..) {
            match p {
                Pending::Pass(c) | Pending::Apop(c) => out.push(c),
                Pending::Auth => {
                    let exchange = s.auth.take().flatten();
                    if let Some(c) = exchange.and_then(|x| x.credential("pop3", "AUTH")) {
                        out.push(c);
                    }
                }
                _ => {}
            }
        }
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn lines_too_long(&self) -> u64 {
        self.lines.iter().map(|l| l.overlong).sum()
    }

    fn buffered(&self) -> usize {
        self.lines.iter().map(LineReader::buffered).sum::<usize>() + self.session.pending.len() * 64
    }
}

/// Computes the APOP digest: MD5 of the timestamp followed by the secret (RFC 1939).
pub fn apop_digest(timestamp: &[u8], secret: &[u8]) -> String {
    use md5::Digest;
    let mut h = md5::Md5::new();
    h.update(timestamp);
    h.update(secret);
    crate::finding::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Pop3::default(), script).0
    }

    #[test]
    fn user_pass_failure_then_success() {
        let out = run(&[
            (S, b"+OK POP3 ready\r\n"),
            (C, b"user a@b.c\r\n"),
            (S, b"+OK\r\n"),
            (C, b"pass wrong pw\r\n"),
            (S, b"-ERR [AUTH] nope\r\n"),
            (C, b"PASS right\r\n"),
            (S, b"+OK logged in\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].username.as_deref(), Some(&b"a@b.c"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong pw"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(out[1].frames, vec![2, 6]);
    }

    #[test]
    fn apop_rfc1939_example() {
        let out = run(&[
            (
                S,
                b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
            ),
            (C, b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
            (S, b"+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"mrose"[..]));
        assert_eq!(
            c.secret.as_deref(),
            Some(&b"c4c9334bac560ecc979e58001b3e22fb"[..])
        );
        assert_eq!(
            c.challenge.as_deref(),
            Some(&b"<1896.697170952@dbc.mtview.ca.us>"[..])
        );
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 20);
        assert_eq!(
            h.hash,
            "c4c9334bac560ecc979e58001b3e22fb:<1896.697170952@dbc.mtview.ca.us>"
        );
        // The digest is md5(timestamp . secret) for the RFC's secret.
        assert_eq!(
            apop_digest(b"<1896.697170952@dbc.mtview.ca.us>", b"tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
        assert_eq!(c.outcome, Outcome::Success);
    }

    #[test]
    fn auth_plain_and_login_with_and_without_initial_response() {
        let out = run(&[
            (S, b"+OK hi\r\n"),
            (C, b"AUTH PLAIN\r\n"),
            (S, b"+ \r\n"),
            (C, b"AHRpbQB0YW5zdGFhZg==\r\n"),
            (S, b"-ERR bad\r\n"),
            (C, b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n"),
            (S, b"-ERR bad\r\n"),
            (C, b"AUTH LOGIN dGlt\r\n"),
            (S, b"+ UGFzc3dvcmQ6\r\n"),
            (C, b"dGFuc3RhYWY=\r\n"),
            (S, b"+OK\r\n"),
        ]);
        assert_eq!(out.len(), 3, "{out:?}");
        for c in &out {
            assert_eq!(c.username.as_deref(), Some(&b"tim"[..]));
            assert_eq!(c.secret.as_deref(), Some(&b"tanstaaf"[..]));
        }
        assert_eq!(out[0].mechanism, "AUTH PLAIN");
        assert_eq!(out[2].mechanism, "AUTH LOGIN");
        assert_eq!(out[2].outcome, Outcome::Success);
    }

    #[test]
    fn cancelled_sasl_and_stls_give_nothing() {
        let out = run(&[
            (S, b"+OK hi\r\n"),
            (C, b"AUTH LOGIN\r\n"),
            (S, b"+ VXNlcm5hbWU6\r\n"),
            (C, b"*\r\n"),
            (S, b"-ERR cancelled\r\n"),
            (C, b"STLS\r\n"),
            (S, b"+OK begin TLS\r\n"),
            (C, b"USER x\r\nPASS y\r\n"),
        ]);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn message_bodies_are_not_status_lines() {
        let out = run(&[
            (S, b"+OK hi\r\n"),
            (C, b"CAPA\r\n"),
            (S, b"+OK caps\r\nUSER\r\n-ERR fake\r\n.\r\n"),
            (C, b"USER u\r\n"),
            (S, b"+OK\r\n"),
            (C, b"PASS p\r\n"),
            (S, b"+OK in\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn responses_of_unsupported_mechanisms_are_not_commands() {
        let out = run(&[
            (S, b"+OK hi\r\n"),
            (C, b"AUTH GSSAPI\r\n"),
            (S, b"+ \r\n"),
            (C, b"USER looks-like-a-command\r\n"),
            (S, b"-ERR GSSAPI failed\r\n"),
            (C, b"AUTH DIGEST-MD5\r\n"),
            (S, b"+ bm9uY2U9ImFiYyIscW9wPSJhdXRoIg==\r\n"),
            (C, b"dXNlcm5hbWU9ImRhdmUiLG5vbmNlPSJhYmMiLGNub25jZT0iY24iLG5jPTAwMDAwMDAxLHFvcD1hdXRoLGRpZ2VzdC11cmk9InBvcC9oIixyZXNwb25zZT0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg==\r\n"),
            (S, b"+ cnNwYXV0aD0xMjM0\r\n"),
            (C, b"\r\n"),
            (S, b"+OK logged in\r\n"),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "AUTH DIGEST-MD5");
        assert_eq!(out[0].username.as_deref(), Some(&b"dave"[..]));
        assert_eq!(out[0].challenge.as_deref(), Some(&b"abc"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"", b"+OK Dovecot ready.\r\n"), Probe::Yes);
        assert_eq!(probe(b"USER x\r\n", b""), Probe::Maybe);
        assert_eq!(probe(b"", b"220 smtp\r\n"), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.0\r\n", b""), Probe::No);
    }
}
