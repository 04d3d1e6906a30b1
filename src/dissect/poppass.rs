//! poppass: the Eudora password-change protocol (`poppassd`), TCP 106.
//!
//! A mail client (Eudora, NUPOP, and the web forms that front `poppassd`) changes a
//! mailbox password over a short line protocol:
//!
//! ```text
//! S: 200 poppassd v1.8.5 hello, who are you?
//! C: user alice
//! S: 200 Your password please.
//! C: pass old-password
//! S: 200 Your new password please.        (500 Old password is incorrect.)
//! C: newpass new-password
//! S: 200 Password changed, thank-you.     (500 and why not)
//! C: quit
//! S: 200 Bye.
//! ```
//!
//! Replies are `200` (go on) or `500` (refused, and the server hangs up). Two credentials
//! can cross: the old password (mechanism `USER/PASS`: success when the server asks for
//! the new one, failure on `500`) and the new one (mechanism `NEWPASS`: success when the
//! password was changed — it is then the account's password —, failure when the server
//! refused it). Both are cleartext, the rest of the line after the command and one space
//! (poppassd allows spaces in passwords). Commands are read in any case.

use std::collections::VecDeque;

use super::ftp::looks_like_tls;
use super::lines::{Line, LinePair, first_line, split_command, starts_with_ignore_case};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "poppass",
    tcp_ports: &[106],
    probe,
    new: |config| {
        Box::new(Poppass {
            lines: LinePair::new(config.max_line),
            session: Session::default(),
        })
    },
};

/// Commands waiting for their replies (poppassd answers each at once: more is a client
/// that does not wait, or not poppass).
const MAX_PENDING: usize = 16;

/// A reply: `200` or `500` and its text (`None` for anything else).
fn reply_code(line: &[u8]) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || line.get(3).is_some_and(|&b| b != b' ') {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// poppass when the server greets with `200` and names itself (`poppassd`, or Eudora's
/// `who are you?`): Yes. A bare `200` greeting, or a client opening with `user`: Maybe
/// (NNTP greets with `200` too, FTP and POP3 clients say `USER`: the port decides).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if let Some(&first) = to_client.first() {
        if first != b'2' {
            return Probe::No;
        }
        let Some(line) = first_line(to_client) else {
            return if b"200 ".starts_with(&to_client[..to_client.len().min(4)]) {
                Probe::Maybe
            } else {
                Probe::No
            };
        };
        if reply_code(line) != Some(200) {
            return Probe::No;
        }
        let lower = line.to_ascii_lowercase();
        let named = [&b"poppass"[..], b"who are you"]
            .iter()
            .any(|w| memchr::memmem::find(&lower, w).is_some());
        return if named { Probe::Yes } else { Probe::Maybe };
    }
    match to_server.first() {
        None => Probe::Maybe,
        Some(b'u' | b'U') if !looks_like_tls(to_server) => {
            let head = &to_server[..to_server.len().min(5)];
            if starts_with_ignore_case(b"user ", head) {
                Probe::Maybe
            } else {
                Probe::No
            }
        }
        Some(_) => Probe::No,
    }
}

/// A command waiting for its reply.
#[derive(Debug)]
enum Pending {
    User,
    Pass(Credential),
    NewPass(Credential),
    Quit,
    Other,
}

#[derive(Debug, Default)]
pub struct Poppass {
    lines: LinePair,
    session: Session,
}

#[derive(Debug, Default)]
struct Session {
    greeted: bool,
    /// The user name given and the frames that carried it.
    user: Option<(Vec<u8>, Vec<u64>)>,
    pending: VecDeque<Pending>,
    done: bool,
}

impl Session {
    fn credential(&self, mechanism: &'static str, secret: &[u8], line: &Line<'_>) -> Credential {
        let mut c = Credential::new("poppass", mechanism, Kind::Cleartext, line.ts);
        if let Some((user, frames)) = &self.user {
            c.username = Some(user.clone());
            c.add_frames(frames.iter().copied());
        }
        c.secret = Some(secret.to_vec());
        c.add_frames(line.frames.iter().copied());
        c
    }

    fn client_line(&mut self, line: Line<'_>, out: &mut Vec<Credential>) {
        let (verb, arg) = split_command(line.text);
        let arg = arg.unwrap_or_default();
        let pending = if verb.eq_ignore_ascii_case(b"user") {
            self.user = Some((arg.to_vec(), line.frames.to_vec()));
            Pending::User
        } else if verb.eq_ignore_ascii_case(b"pass") {
            Pending::Pass(self.credential("USER/PASS", arg, &line))
        } else if verb.eq_ignore_ascii_case(b"newpass") && !arg.is_empty() {
            // An empty new password (poppassd: "New password required.") is no secret.
            Pending::NewPass(self.credential("NEWPASS", arg, &line))
        } else if verb.eq_ignore_ascii_case(b"quit") {
            Pending::Quit
        } else {
            Pending::Other
        };
        if self.pending.len() >= MAX_PENDING
            && let Some(Pending::Pass(c) | Pending::NewPass(c)) = self.pending.pop_front()
        {
            out.push(c);
        }
        self.pending.push_back(pending);
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        let Some(code) = reply_code(text) else {
            return;
        };
        if !self.greeted && self.pending.is_empty() {
            self.greeted = true;
            return;
        }
        self.greeted = true;
        let outcome = match code {
            200 => Outcome::Success,
            500 => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        match self.pending.pop_front() {
            Some(Pending::Pass(mut c) | Pending::NewPass(mut c)) => {
                c.outcome = outcome;
                out.push(c);
            }
            Some(Pending::Quit) => self.done = true,
            Some(Pending::User | Pending::Other) | None => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for p in self.pending.drain(..) {
            if let Pending::Pass(c) | Pending::NewPass(c) = p {
                out.push(c);
            }
        }
    }
}

impl Dissector for Poppass {
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
    }

    /// The server hung up: poppassd answers `500` before it does, so a password still
    /// waiting was cut short, not judged (its outcome stays unknown).
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
    use crate::dissect::script::summary;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
        .0
    }

    /// poppassd 1.8.5's own words, a change that went through.
    #[test]
    fn old_and_new_password_of_a_change() {
        let out = run(&[
            (S, b"200 poppassd v1.8.5 hello, who are you?\r\n"),
            (C, b"user alice\r\n"),
            (S, b"200 Your password please.\r\n"),
            (C, b"pass Old pw 1\r\n"),
            (S, b"200 Your new password please.\r\n"),
            (C, b"newpass N3w!pw\r\n"),
            (S, b"200 Password changed, thank-you.\r\n"),
            (C, b"quit\r\n"),
            (S, b"200 Bye.\r\n"),
        ]);
        assert_eq!(
            summary(&out),
            vec![
                (
                    "USER/PASS",
                    &b"alice"[..],
                    &b"Old pw 1"[..],
                    Outcome::Success
                ),
                ("NEWPASS", b"alice", b"N3w!pw", Outcome::Success),
            ]
        );
        assert_eq!(out[0].frames, vec![2, 4]);
        assert_eq!(out[1].frames, vec![2, 6]);
    }

    #[test]
    fn wrong_old_password_and_refused_new_one() {
        let out = run(&[
            (S, b"200 hello, who are you?\r\n"),
            (C, b"USER bob\r\nPASS nope\r\n"),
            (
                S,
                b"200 Your password please.\r\n500 Old password is incorrect.\r\n",
            ),
        ]);
        assert_eq!(
            summary(&out),
            vec![("USER/PASS", &b"bob"[..], &b"nope"[..], Outcome::Failure)]
        );
        let out = run(&[
            (S, b"200 hello, who are you?\r\n"),
            (C, b"user bob\r\n"),
            (S, b"200 Your password please.\r\n"),
            (C, b"pass right\r\n"),
            (S, b"200 Your new password please.\r\n"),
            (C, b"newpass x\r\n"),
            (S, b"500 Bad password: too short.\r\n"),
        ]);
        assert_eq!(out[1].outcome, Outcome::Failure);
        assert_eq!(out[1].secret.as_deref(), Some(&b"x"[..]));
        let out = run(&[
            (S, b"200 hello, who are you?\r\n"),
            (C, b"user bob\r\npass right\r\nnewpass \r\n"),
            (
                S,
                b"200 Your password please.\r\n200 Your new password please.\r\n",
            ),
            (S, b"500 New password required.\r\n"),
        ]);
        assert_eq!(
            summary(&out),
            vec![("USER/PASS", &b"bob"[..], &b"right"[..], Outcome::Success)]
        );
    }

    /// The capture ends (or the server hangs up) before a reply: reported, not judged.
    #[test]
    fn unanswered_password_is_reported_at_close() {
        let out = run(&[
            (S, b"200 poppassd hello\r\n"),
            (C, b"user carol\r\npass pw\r\n"),
        ]);
        assert_eq!(
            summary(&out),
            vec![("USER/PASS", &b"carol"[..], &b"pw"[..], Outcome::Unknown)]
        );
    }

    #[test]
    fn probe_tells_poppassd_from_its_neighbours() {
        assert_eq!(
            probe(b"", b"200 poppassd v1.8.5 hello, who are you?\r\n"),
            Probe::Yes
        );
        assert_eq!(probe(b"", b"200 news.example ready\r\n"), Probe::Maybe);
        assert_eq!(probe(b"", b"20"), Probe::Maybe);
        assert_eq!(probe(b"", b"220 FTP ready\r\n"), Probe::No);
        assert_eq!(probe(b"", b"+OK POP3\r\n"), Probe::No);
        assert_eq!(probe(b"user alice\r\n", b""), Probe::Maybe);
        assert_eq!(probe(b"us", b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01\x00", b""), Probe::No);
    }
}
