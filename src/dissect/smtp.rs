//! SMTP and Submission (RFC 5321, RFC 4954 AUTH, RFC 3207 STARTTLS): `AUTH` through the
//! shared SASL layer, outcome `235` success / `535` (any 5xx) failure. The message
//! content after `DATA` (up to the lone `.`) and `BDAT` chunks (RFC 3030) is skipped, so
//! mail text is never taken for commands. When the server's EHLO offers password
//! mechanisms (`AUTH PLAIN`/`LOGIN`) without `STARTTLS`, findings of that session carry
//! `"auth_offered_in_clear": true`.

use std::collections::VecDeque;

use memchr::memchr;

use super::ftp::looks_like_tls;
use super::lines::{Line, LineReader, first_line, is_one_of, split_command};
use super::sasl::{Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "smtp",
    tcp_ports: &[25, 587, 2525],
    probe,
    new: |config| {
        Box::new(Smtp {
            lines: [
                LineReader::new(config.max_line),
                LineReader::new(config.max_line),
            ],
            session: Session::default(),
        })
    },
};

const COMMANDS: &[&[u8]] = &[
    b"EHLO",
    b"HELO",
    b"LHLO",
    b"AUTH",
    b"STARTTLS",
    b"MAIL",
    b"RCPT",
    b"DATA",
    b"BDAT",
    b"RSET",
    b"NOOP",
    b"QUIT",
    b"VRFY",
    b"EXPN",
    b"HELP",
];

/// An SMTP reply line: three digits then a space, a hyphen or the end of the line.
fn reply_code(line: &[u8]) -> Option<(u16, bool)> {
    let d = line.get(..3)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = d.iter().fold(0u16, |a, &b| a * 10 + u16::from(b - b'0'));
    match line.get(3) {
        None | Some(b' ') | Some(b'\r') => Some((code, false)),
        Some(b'-') => Some((code, true)),
        _ => None,
    }
}

/// SMTP when the client's first command is EHLO/HELO/LHLO (or AUTH, STARTTLS), with a
/// `220` greeting or no server bytes yet; a `220` greeting alone may still be FTP.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if !to_client.is_empty() {
        if to_client.len() >= 4 && reply_code(to_client).is_none() {
            return Probe::No;
        }
        if let Some(l) = first_line(to_client)
            && reply_code(l).is_none_or(|(code, _)| code != 220 && code != 554 && code != 421)
        {
            return Probe::No;
        }
    }
    match first_line(to_server) {
        Some(line) => {
            let (verb, _) = split_command(line);
            if is_one_of(verb, &[b"EHLO", b"HELO", b"LHLO"]) {
                Probe::Yes
            } else if is_one_of(verb, COMMANDS) {
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

#[derive(Debug)]
enum Pending {
    Ehlo,
    Auth,
    StartTls,
    Data,
    /// The end of a message (`.` or `BDAT ... LAST`) waiting for its reply.
    MessageEnd,
    Other,
}

const MAX_PENDING: usize = 64;

#[derive(Debug)]
pub struct Smtp {
    lines: [LineReader; 2],
    session: Session,
}

#[derive(Debug, Default)]
struct Session {
    pending: VecDeque<Pending>,
    /// Inside a multi-line reply.
    multiline: bool,
    /// AUTH in progress, until its final reply: client lines are SASL responses.
    auth: Option<Option<Exchange>>,
    /// The client is sending message content (after DATA and 354).
    in_data: bool,
    /// Bytes of a BDAT chunk still to come.
    bdat_left: u64,
    /// From the last EHLO reply.
    offers_password_auth: bool,
    offers_starttls: bool,
    done: bool,
}

impl Session {
    fn push(&mut self, p: Pending) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(p);
    }

    fn client_line(&mut self, line: Line<'_>) {
        if self.in_data {
            if line.text == b"." {
                self.in_data = false;
                self.push(Pending::MessageEnd);
            }
            return;
        }
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
        let pending = match verb.to_ascii_uppercase().as_slice() {
            b"EHLO" | b"HELO" | b"LHLO" => Pending::Ehlo,
            b"AUTH" => {
                let (mech, initial) = split_command(arg.unwrap_or_default().trim_ascii());
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
            b"STARTTLS" => Pending::StartTls,
            b"DATA" => Pending::Data,
            b"BDAT" => {
                let mut words = arg.unwrap_or_default().split(|&b| b == b' ');
                let size = words
                    .next()
                    .filter(|d| !d.is_empty() && d.len() <= 12 && d.iter().all(u8::is_ascii_digit))
                    .map(|d| d.iter().fold(0u64, |a, &b| a * 10 + u64::from(b - b'0')));
                self.bdat_left = size.unwrap_or(0);
                Pending::Other
            }
            _ => Pending::Other,
        };
        self.push(pending);
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        let Some((code, more)) = reply_code(text) else {
            return;
        };
        let rest = text.get(4..).unwrap_or_default();
        if matches!(self.pending.front(), Some(Pending::Ehlo)) {
            // Capabilities: "250-AUTH PLAIN LOGIN", "250-STARTTLS" (and AUTH=LOGIN).
            let upper = rest.to_ascii_uppercase();
            if upper.starts_with(b"AUTH") {
                let offered = upper[4..].split(|&b| b == b' ' || b == b'=');
                let password = offered.into_iter().any(|m| m == b"PLAIN" || m == b"LOGIN");
                self.offers_password_auth |= password;
            } else if upper.trim_ascii() == b"STARTTLS" {
                self.offers_starttls = true;
            }
        }
        if more {
            self.multiline = true;
            return;
        }
        self.multiline = false;
        if code == 334 {
            // A SASL challenge: "334 <base64>".
            if let Some(Some(x)) = self.auth.as_mut() {
                x.server_challenge(rest);
            }
            return;
        }
        match self.pending.pop_front() {
            Some(Pending::Auth) => {
                if let Some(mut c) = self
                    .auth
                    .take()
                    .flatten()
                    .and_then(|x| x.credential("smtp", "AUTH"))
                {
                    c.outcome = match code {
                        235 => Outcome::Success,
                        500..=599 => Outcome::Failure,
                        _ => Outcome::Unknown,
                    };
                    if self.offers_password_auth && !self.offers_starttls {
                        c.flags.push("auth_offered_in_clear");
                    }
                    let success = c.outcome == Outcome::Success;
                    out.push(c);
                    self.done |= success;
                }
                self.auth = None;
            }
            Some(Pending::StartTls) => self.done |= code == 220,
            Some(Pending::Data) => self.in_data = code == 354,
            Some(Pending::Ehlo) if code == 250 => {}
            Some(Pending::Ehlo) => {
                self.offers_password_auth = false;
                self.offers_starttls = false;
            }
            // The greeting (220) answers no command: leave the queue alone.
            Some(p) if code == 220 && !matches!(p, Pending::Other | Pending::MessageEnd) => {
                self.pending.push_front(p)
            }
            Some(Pending::MessageEnd) | Some(Pending::Other) | None => {}
        }
    }
}

impl Dissector for Smtp {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.done {
            return;
        }
        let reader = &mut self.lines[dir.index()];
        if reader.partial().is_empty() && s.bdat_left == 0 && looks_like_tls(chunk.data) {
            s.done = true;
            return;
        }
        if dir == Direction::ToClient {
            reader.feed(chunk, |l| s.server_line(l.text, out));
            return;
        }
        // Client bytes: lines, except the raw bytes of BDAT chunks.
        let mut rest = chunk.data;
        while !rest.is_empty() && !s.done {
            if s.bdat_left > 0 {
                let n = (s.bdat_left.min(rest.len() as u64)) as usize;
                s.bdat_left -= n as u64;
                rest = &rest[n..];
                continue;
            }
            let end = memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            let piece = Chunk {
                data: &rest[..end],
                ..chunk
            };
            reader.feed(piece, |l| s.client_line(l));
            rest = &rest[end..];
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        self.lines[dir.index()].gap();
        if dir == Direction::ToClient {
            self.session.multiline = false;
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if let Some(mut c) = s
            .auth
            .take()
            .flatten()
            .and_then(|x| x.credential("smtp", "AUTH"))
        {
            if s.offers_password_auth && !s.offers_starttls {
                c.flags.push("auth_offered_in_clear");
            }
            out.push(c);
        }
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn lines_too_long(&self) -> u64 {
        self.lines.iter().map(|l| l.overlong).sum()
    }

    fn buffered(&self) -> usize {
        self.lines.iter().map(LineReader::buffered).sum::<usize>() + self.session.pending.len() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::DissectorConfig;
    use crate::finding::Kind;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut *(SPEC.new)(&DissectorConfig::default()), script).0
    }

    #[test]
    fn auth_login_and_plain_with_outcomes_and_clear_offer() {
        let out = run(&[
            (S, b"220 mail.example.com ESMTP\r\n"),
            (C, b"EHLO client\r\n"),
            (
                S,
                b"250-mail.example.com\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
            ),
            (C, b"AUTH LOGIN\r\n"),
            (S, b"334 VXNlcm5hbWU6\r\n"),
            (C, b"Z3VycGFydGFwQHBhdHJpb3RzLmlu\r\n"),
            (S, b"334 UGFzc3dvcmQ6\r\n"),
            (C, b"cHVuamFiQDEyMw==\r\n"),
            (S, b"535 5.7.8 Authentication credentials invalid\r\n"),
            (C, b"AUTH PLAIN ADEyMzQ1Njc4QGFvbC5jb20AcGFzc3dk\r\n"),
            (S, b"235 2.7.0 Authentication successful\r\n"),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            out[0].username.as_deref(),
            Some(&b"gurpartap@patriots.in"[..])
        );
        assert_eq!(out[0].secret.as_deref(), Some(&b"punjab@123"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].flags, vec!["auth_offered_in_clear"]);
        assert_eq!(out[1].secret.as_deref(), Some(&b"passwd"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(out[1].kind, Kind::Cleartext);
    }

    #[test]
    fn starttls_offered_and_taken_gives_nothing() {
        let out = run(&[
            (S, b"220 mx ESMTP\r\n"),
            (C, b"EHLO c\r\n"),
            (S, b"250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
            (C, b"STARTTLS\r\n"),
            (S, b"220 2.0.0 Ready to start TLS\r\n"),
            (C, b"AUTH PLAIN AGEAYg==\r\n"),
            (S, b"235 ok\r\n"),
        ]);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn message_content_is_not_commands() {
        let out = run(&[
            (S, b"220 mx\r\n"),
            (C, b"HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
            (S, b"250 hi\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
            (C, b"Subject: x\r\n\r\nAUTH PLAIN AGEAYg==\r\n.\r\n"),
            (S, b"250 queued\r\n"),
            (C, b"BDAT 26 LAST\r\nAUTH PLAIN AGEAYg==\r\nxxxxx"),
            (S, b"250 ok\r\n"),
            (C, b"AUTH PLAIN AHUAcA==\r\n"),
            (S, b"235 ok\r\n"),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].username.as_deref(), Some(&b"u"[..]));
        assert!(out[0].flags.is_empty());
    }

    #[test]
    fn cram_md5_and_cancel() {
        let out = run(&[
            (S, b"220 mx\r\n"),
            (C, b"AUTH LOGIN\r\n"),
            (S, b"334 VXNlcm5hbWU6\r\n"),
            (C, b"*\r\n"),
            (S, b"501 cancelled\r\n"),
            (C, b"AUTH CRAM-MD5\r\n"),
            (
                S,
                b"334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
            ),
            (C, b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"),
            (S, b"235 ok\r\n"),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].kind, Kind::ChallengeResponse);
        assert_eq!(out[0].hashcat.as_ref().map(|h| h.mode), Some(10200));
    }

    #[test]
    fn scram_with_initial_response_server_final_and_empty_answer() {
        use crate::dissect::scram::tests::RFC5802;
        use base64::Engine as _;
        let b64 = |m: &[u8]| crate::dissect::sasl::BASE64.encode(m);
        let lines = [
            format!("AUTH SCRAM-SHA-1 {}\r\n", b64(RFC5802[0])),
            format!("334 {}\r\n", b64(RFC5802[1])),
            format!("{}\r\n", b64(RFC5802[2])),
            format!("334 {}\r\n", b64(RFC5802[3])),
        ];
        for (last, outcome) in [
            (
                &b"235 2.7.0 Authentication successful\r\n"[..],
                Outcome::Success,
            ),
            (
                b"535 5.7.8 Authentication credentials invalid\r\n",
                Outcome::Failure,
            ),
        ] {
            let out = run(&[
                (S, b"220 mx ESMTP\r\n"),
                (C, b"EHLO c\r\n"),
                (S, b"250-mx\r\n250 AUTH SCRAM-SHA-1 SCRAM-SHA-256\r\n"),
                (C, lines[0].as_bytes()),
                (S, lines[1].as_bytes()),
                (C, lines[2].as_bytes()),
                (S, lines[3].as_bytes()),
                (C, b"\r\n"),
                (S, last),
            ]);
            assert_eq!(out.len(), 1, "{out:?}");
            assert_eq!(out[0].mechanism, "AUTH SCRAM-SHA-1");
            assert_eq!(out[0].outcome, outcome);
            assert!(crate::dissect::scram::proves(&out[0], "pencil"));
        }
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"EHLO x\r\n", b"220 mx ESMTP\r\n"), Probe::Yes);
        assert_eq!(probe(b"", b"220 mx ESMTP\r\n"), Probe::Maybe);
        assert_eq!(probe(b"USER x\r\n", b"220 ftp\r\n"), Probe::No);
        assert_eq!(probe(b"", b"+OK pop\r\n"), Probe::No);
    }
}
