//! FTP control connections (RFC 959): `USER` and `PASS`, with the outcome from the reply
//! to `PASS` (230 success, 530 failure). `AUTH TLS` accepted (234) ends the inspection: the
//! rest is encrypted. Anonymous logins (`anonymous` or `ftp`) are findings marked as such.

use std::collections::VecDeque;

use super::lines::{Line, LineReader, split_command};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "ftp",
    tcp_ports: &[21],
    probe,
    new: |config| {
        Box::new(Ftp {
            lines: [
                LineReader::new(config.max_line),
                LineReader::new(config.max_line),
            ],
            session: Session::default(),
        })
    },
};

/// Commands a client opens an FTP session with (RFC 959, 2228, 2389, 2640).
const OPENING_COMMANDS: &[&[u8]] = &[
    b"USER", b"PASS", b"ACCT", b"AUTH", b"FEAT", b"SYST", b"OPTS", b"HOST", b"CLNT", b"PWD",
    b"XPWD", b"TYPE", b"PASV", b"EPSV", b"PORT", b"EPRT", b"CWD", b"LIST", b"NLST", b"RETR",
    b"STOR", b"SIZE", b"MDTM", b"NOOP", b"QUIT", b"PBSZ", b"PROT", b"REIN", b"STAT", b"HELP",
    b"MLSD", b"MLST", b"LANG", b"ABOR",
];

fn is_ftp_command(line: &[u8]) -> bool {
    let (verb, _) = split_command(line);
    OPENING_COMMANDS
        .iter()
        .any(|c| verb.eq_ignore_ascii_case(c))
}

/// An FTP reply line: three digits then a space, a hyphen, or the end of the line.
fn reply_code(line: &[u8]) -> Option<(u16, bool)> {
    let d = line.get(..3)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = d.iter().fold(0u16, |a, &b| a * 10 + u16::from(b - b'0'));
    match line.get(3) {
        None | Some(b' ') => Some((code, false)),
        Some(b'-') => Some((code, true)),
        _ => None,
    }
}

/// FTP if the server's first line is a reply and the client's first line a command that
/// is not also another text protocol's; `USER` answered by `331` is FTP too.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    use super::lines::first_line;
    let server = first_line(to_client);
    let client = first_line(to_server);
    if let Some(s) = server
        && reply_code(s).is_none()
    {
        return Probe::No;
    }
    if to_client.len() >= 4 && reply_code(to_client).is_none() {
        return Probe::No;
    }
    if let Some(c) = client {
        if !is_ftp_command(c) {
            return Probe::No;
        }
        let (verb, _) = split_command(c);
        // SMTP and POP3 also begin with a greeting, but never answer USER with 331.
        let ftp_only = !verb.eq_ignore_ascii_case(b"USER")
            && !verb.eq_ignore_ascii_case(b"PASS")
            && !verb.eq_ignore_ascii_case(b"QUIT")
            && !verb.eq_ignore_ascii_case(b"NOOP")
            && !verb.eq_ignore_ascii_case(b"LIST")
            && !verb.eq_ignore_ascii_case(b"STAT")
            && !verb.eq_ignore_ascii_case(b"HELP")
            && !verb.eq_ignore_ascii_case(b"AUTH");
        if server.is_some() && ftp_only {
            return Probe::Yes;
        }
        // A reply to the client's first command settles it.
        let mut replies = to_client.split(|&b| b == b'\n').filter_map(reply_code);
        if replies.any(|(code, _)| code == 331 || code == 230 || code == 530) {
            return Probe::Yes;
        }
        if server.is_some_and(|s| s.starts_with(b"220")) && ftp_only {
            return Probe::Yes;
        }
        return Probe::Maybe;
    }
    if to_server.len() >= 8 && !to_server[..4].iter().all(u8::is_ascii_alphabetic) {
        return Probe::No;
    }
    Probe::Maybe
}

/// A command waiting for its reply.
#[derive(Debug)]
enum Pending {
    Pass(Box<Credential>),
    AuthTls,
    Other,
}

/// Replies are matched to commands in order; this many unanswered commands are kept.
const MAX_PENDING: usize = 64;

#[derive(Debug, Default)]
pub struct Ftp {
    lines: [LineReader; 2],
    session: Session,
}

/// The protocol state, apart from line framing.
#[derive(Debug, Default)]
struct Session {
    user: Option<(Vec<u8>, Vec<u64>)>,
    pending: VecDeque<Pending>,
    /// Inside a multi-line reply with this code.
    multiline: Option<u16>,
    tls: bool,
    done: bool,
}

fn is_anonymous(user: &[u8]) -> bool {
    user.eq_ignore_ascii_case(b"anonymous") || user.eq_ignore_ascii_case(b"ftp")
}

impl Session {
    fn client_line(&mut self, line: Line<'_>) {
        let (text, frames, ts) = (line.text, line.frames, line.ts);
        let (verb, arg) = split_command(text);
        let pending = if verb.eq_ignore_ascii_case(b"USER") {
            self.user = Some((arg.unwrap_or_default().to_vec(), frames.to_vec()));
            Pending::Other
        } else if verb.eq_ignore_ascii_case(b"PASS") {
            let mut c = Credential::new("ftp", "USER/PASS", Kind::Cleartext, ts);
            if let Some((user, uframes)) = &self.user {
                c.anonymous = is_anonymous(user);
                c.username = Some(user.clone());
                c.add_frames(uframes.iter().copied());
            }
            c.secret = Some(arg.unwrap_or_default().to_vec());
            c.add_frames(frames.iter().copied());
            Pending::Pass(Box::new(c))
        } else if verb.eq_ignore_ascii_case(b"AUTH") {
            let mech = arg.unwrap_or_default().trim_ascii();
            if [&b"TLS"[..], b"SSL", b"TLS-C", b"TLS-P"]
                .iter()
                .any(|m| mech.eq_ignore_ascii_case(m))
            {
                Pending::AuthTls
            } else {
                Pending::Other
            }
        } else {
            Pending::Other
        };
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(pending);
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        let Some((code, more)) = reply_code(text) else {
            return; // a line inside a multi-line reply
        };
        if let Some(open) = self.multiline {
            if code == open && !more {
                self.multiline = None;
            } else {
                return;
            }
        } else if more {
            self.multiline = Some(code);
            return;
        }
        // A complete reply. 1yz replies are preliminary: the command is still running.
        if code < 200 {
            return;
        }
        // The greeting (and 421 closing notices) answer no command.
        if code == 220 && !matches!(self.pending.front(), Some(Pending::Other) | None) {
            return;
        }
        match self.pending.pop_front() {
            Some(Pending::Pass(mut c)) => {
                c.outcome = match code {
                    230 | 232 => Outcome::Success,
                    530 => Outcome::Failure,
                    _ => Outcome::Unknown,
                };
                let success = c.outcome == Outcome::Success;
                out.push(*c);
                if success {
                    self.user = None;
                }
            }
            Some(Pending::AuthTls) => {
                if code == 234 {
                    self.tls = true;
                    self.done = true;
                }
            }
            Some(Pending::Other) | None => {}
        }
    }
}

/// A TLS record header (handshake, alert or application data, version 3.x).
pub fn looks_like_tls(data: &[u8]) -> bool {
    matches!(data, [0x14..=0x17, 0x03, 0x00..=0x04, ..])
}

impl Dissector for Ftp {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.tls {
            return;
        }
        if self.lines[dir.index()].partial().is_empty()
            && looks_like_tls(chunk.data)
            && (matches!(s.pending.back(), Some(Pending::AuthTls)) || s.pending.is_empty())
        {
            // Implicit TLS, or AUTH TLS whose reply the capture missed.
            s.tls = true;
            s.done = true;
            s.pending.retain(|p| !matches!(p, Pending::AuthTls));
            return;
        }
        match dir {
            Direction::ToServer => self.lines[0].feed(chunk, |l| s.client_line(l)),
            Direction::ToClient => self.lines[1].feed(chunk, |l| {
                if !s.tls {
                    s.server_line(l.text, out)
                }
            }),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        self.lines[dir.index()].gap();
        if dir == Direction::ToClient {
            self.session.multiline = None;
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for p in self.session.pending.drain(..) {
            if let Pending::Pass(c) = p {
                out.push(*c);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Ftp::default(), script).0
    }

    use Direction::{ToClient as S, ToServer as C};

    #[test]
    fn success_failure_and_anonymous() {
        let out = run(&[
            (S, b"220 ProFTPD\r\n"),
            (C, b"USER test\r\n"),
            (S, b"331 Password required\r\n"),
            (C, b"PASS test1\r\n"),
            (S, b"530 Login incorrect.\r\n"),
            (C, b"USER anonymous\r\n"),
            (S, b"331 ok\r\n"),
            (C, b"PASS me@x\r\n"),
            (S, b"230-Welcome\r\n230-more\r\n230 Logged in\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].username.as_deref(), Some(&b"test"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"test1"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![2, 4]);
        assert!(!out[0].anonymous);
        assert_eq!(out[1].outcome, Outcome::Success);
        assert!(out[1].anonymous);
    }

    #[test]
    fn password_with_spaces_and_unknown_outcome_at_close() {
        let out = run(&[
            (C, b"USER a\r\n"),
            (S, b"331 ok\r\n"),
            (C, b"PASS  two words \r\n"),
        ]);
        assert_eq!(out[0].secret.as_deref(), Some(&b" two words "[..]));
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn auth_tls_yields_nothing() {
        let mut d = Ftp::default();
        let mut out = Vec::new();
        for (i, (dir, data)) in [
            (S, &b"220 hi\r\n"[..]),
            (C, b"AUTH TLS\r\n"),
            (S, b"234 go\r\n"),
            (C, b"\x16\x03\x01\x00\x05hello"),
            (C, b"USER x\r\nPASS y\r\n"),
        ]
        .iter()
        .enumerate()
        {
            d.data(
                *dir,
                Chunk {
                    data,
                    frame: i as u64,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        d.close(&mut out);
        assert!(out.is_empty());
        assert!(d.done());
    }

    #[test]
    fn probe_tells_ftp_from_smtp_and_pop3() {
        assert_eq!(
            probe(b"", b"220 ftp.example.org FTP server ready\r\n"),
            Probe::Maybe
        );
        assert_eq!(probe(b"SYST\r\n", b"220 hi\r\n"), Probe::Yes);
        assert_eq!(probe(b"USER bob\r\n", b"220 hi\r\n331 pw\r\n"), Probe::Yes);
        assert_eq!(probe(b"EHLO x\r\n", b"220 mail ESMTP\r\n"), Probe::No);
        assert_eq!(probe(b"USER bob\r\n", b"+OK POP3\r\n"), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01\x02\x00\x01\x00\x01", b""), Probe::No);
    }
}
