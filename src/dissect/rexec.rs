//! rexec: the BSD remote execution service (`rexecd(8)`), TCP 512.
//!
//! The client opens with four NUL-terminated strings: the port (ASCII decimal, or empty)
//! the server is to connect back to for the command's standard error, the user name, the
//! password, and the command. The server checks the password and answers one byte: `\0`
//! and the command's output (success), or `\1` and a message such as `Login incorrect.`
//! (failure, the message in `details.reason`); netkit's rexecd hangs up without a word
//! when PAM refuses the password (a failure too). Mechanism `password`, kind `cleartext`,
//! `details.command` the command that was run.
//!
//! rsh (514) opens the same way with the local and remote user names where rexec has the
//! user and the password, and rlogin (513) with an empty first string: by content alone
//! the three cannot be told apart, so rexec is read on its port (and on ports a rules file
//! maps to it) — its probe never says more than Maybe.

use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "rexec",
    tcp_ports: &[512],
    probe,
    new: |_config| Box::new(Rexec::default()),
};

/// Longest opening read (rexecd takes user names and passwords of a few dozen bytes, the
/// command up to the system's argument limit: what is past this is not kept).
const MAX_REQUEST: usize = 4096;
/// Longest command kept in the details.
const MAX_COMMAND: usize = 256;
/// Longest failure message kept.
const MAX_REASON: usize = 256;

/// The client's opening, as far as it came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The standard error port asked for (`None` when empty).
    pub port: Option<u16>,
    pub user: &'a [u8],
    pub password: &'a [u8],
    /// The command, when its terminating NUL has come.
    pub command: Option<&'a [u8]>,
}

/// Parses the client's opening once user and password are whole; `Err(true)` when more
/// bytes are needed, `Err(false)` when this is not an rexec opening.
pub fn parse_request(d: &[u8]) -> Result<Request<'_>, bool> {
    // Every other protocol's flow is turned away on its first byte (the probe sees them
    // all): the port's first digit, or the NUL of an empty port.
    match d.first() {
        None => return Err(true),
        Some(&b) if b != 0 && !b.is_ascii_digit() => return Err(false),
        Some(_) => {}
    }
    // The NUL-terminated strings that came whole, then what came of the next.
    let mut whole: [&[u8]; 4] = [&[]; 4];
    let mut count = 0;
    let mut at = 0;
    while count < 4 {
        match memchr::memchr(0, &d[at..]) {
            Some(n) => {
                whole[count] = &d[at..at + n];
                count += 1;
                at += n + 1;
            }
            None => break,
        }
    }
    let whole = &whole[..count];
    let partial = &d[at..];
    let field = |i: usize| whole.get(i).copied().unwrap_or(partial);
    // The port: at most five digits, at most 65535.
    let port = field(0);
    if port.len() > 5 || !port.iter().all(u8::is_ascii_digit) {
        return Err(false);
    }
    let port = match whole.first() {
        Some(&[]) => None,
        Some(p) => match std::str::from_utf8(p).ok().and_then(|p| p.parse().ok()) {
            Some(p) => Some(p),
            None => return Err(false),
        },
        None => return Err(true),
    };
    let user = field(1);
    if user.len() > 256 || !user.iter().all(u8::is_ascii_graphic) {
        return Err(false);
    }
    if whole.len() < 2 {
        return Err(true);
    }
    if user.is_empty() {
        return Err(false);
    }
    let password = field(2);
    if password.len() > 256 {
        return Err(false);
    }
    if whole.len() < 3 {
        return Err(true);
    }
    Ok(Request {
        port,
        user,
        password,
        command: whole.get(3).copied(),
    })
}

/// rexec is read on its port only: a plausible opening is a Maybe (see the module's
/// notes); anything else, or a server that speaks first with more than its one-byte
/// answer, is not rexec.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    match parse_request(to_server) {
        Ok(_) | Err(true) => match to_client.first() {
            None | Some(0) | Some(1) => Probe::Maybe,
            Some(_) => Probe::No,
        },
        Err(false) => Probe::No,
    }
}

#[derive(Debug, Default)]
pub struct Rexec {
    /// The client's opening until user and password are whole.
    request: Vec<u8>,
    frames: Vec<u64>,
    /// The credential, until the server answers.
    pending: Option<Box<Credential>>,
    /// A failure message until its end.
    reason: Vec<u8>,
    /// The server answered `\1`: the message is being read.
    failing: bool,
    /// When the opening's last bytes came.
    ts: Timestamp,
    done: bool,
}

impl Rexec {
    fn client(&mut self, chunk: Chunk<'_>) {
        let room = MAX_REQUEST.saturating_sub(self.request.len());
        self.request
            .extend_from_slice(&chunk.data[..chunk.data.len().min(room)]);
        if self.frames.last() != Some(&chunk.frame) {
            self.frames.push(chunk.frame);
        }
        self.ts = chunk.ts;
        match parse_request(&self.request) {
            Ok(r) if r.command.is_some() => self.read(),
            // A command longer than what is kept: the login is whole.
            Ok(_) if self.request.len() >= MAX_REQUEST => self.read(),
            Ok(_) | Err(true) if self.request.len() < MAX_REQUEST => {}
            // Not rexec: nothing to follow.
            Ok(_) | Err(_) => {
                self.request = Vec::new();
                self.done = true;
            }
        }
    }

    /// Makes the opening read so far the pending credential, if user and password are
    /// in it.
    fn read(&mut self) {
        let Ok(r) = parse_request(&self.request) else {
            return;
        };
        let mut c = Credential::new("rexec", "password", Kind::Cleartext, self.ts);
        c.username = Some(r.user.to_vec());
        c.secret = Some(r.password.to_vec());
        if let Some(command) = r.command.filter(|c| !c.is_empty()) {
            let shown = &command[..command.len().min(MAX_COMMAND)];
            c.details
                .push(("command", String::from_utf8_lossy(shown).into_owned()));
        }
        c.add_frames(std::mem::take(&mut self.frames));
        self.pending = Some(Box::new(c));
        self.request = Vec::new();
    }

    /// Reads the server's answer; the credential goes out once it is known.
    fn server(&mut self, data: &[u8], out: &mut Vec<Credential>) {
        if self.pending.is_none() {
            // An answer before the command's end (its last bytes not captured): the
            // login is read if user and password are whole.
            self.read();
        }
        let Some(c) = self.pending.as_mut() else {
            self.done = true;
            return;
        };
        let mut data = data;
        if !self.failing {
            match data.first() {
                Some(0) => {
                    c.outcome = Outcome::Success;
                    return self.finish(out);
                }
                Some(1) => {
                    self.failing = true;
                    c.outcome = Outcome::Failure;
                    data = &data[1..];
                }
                Some(_) => return self.finish(out),
                None => return,
            }
        }
        let room = MAX_REASON.saturating_sub(self.reason.len());
        let end = data.iter().position(|&b| b == b'\n');
        let take = end.unwrap_or(data.len()).min(room);
        self.reason.extend_from_slice(&data[..take]);
        if end.is_some() || self.reason.len() >= MAX_REASON {
            self.finish(out);
        }
    }

    fn finish(&mut self, out: &mut Vec<Credential>) {
        if let Some(mut c) = self.pending.take() {
            let reason = String::from_utf8_lossy(&self.reason).trim().to_string();
            if !reason.is_empty() {
                c.details.push(("reason", reason));
            }
            out.push(*c);
        }
        self.reason = Vec::new();
        self.done = true;
    }
}

impl Dissector for Rexec {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done || chunk.data.is_empty() {
            return;
        }
        match dir {
            Direction::ToServer if self.pending.is_none() => self.client(chunk),
            // Input to the command: the answer decides.
            Direction::ToServer => {}
            Direction::ToClient => self.server(chunk.data, out),
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        // An opening with a hole cannot be read; a credential already read keeps what
        // is known of its outcome.
        self.close(out);
        self.request = Vec::new();
        self.done = true;
    }

    fn end(&mut self, dir: Direction, _out: &mut Vec<Credential>) {
        if dir != Direction::ToClient {
            return;
        }
        if self.pending.is_none() && !self.done {
            self.read();
        }
        // rexecd answers a login it accepts before anything else: hanging up without a
        // word (netkit's, when PAM refuses) is a refusal.
        if let Some(c) = self.pending.as_mut()
            && c.outcome == Outcome::Unknown
        {
            c.outcome = Outcome::Failure;
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if self.pending.is_none() && !self.done {
            // The command's end never came: the login is read if it is whole.
            self.read();
        }
        if self.pending.is_some() {
            self.finish(out);
        }
    }

    fn done(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn buffered(&self) -> usize {
        self.request.capacity()
            + self.reason.capacity()
            + self.frames.capacity() * 8
            + self.pending.as_ref().map_or(0, |_| 128)
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

    #[test]
    fn a_login_and_its_command() {
        let (out, done) = run(&[
            (C, b"1023\0"),
            (C, b"alice\0s3cret pass\0uname -a\0"),
            (S, b"\0Linux box 6.1.0\n"),
        ]);
        assert!(done);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.protocol, "rexec");
        assert_eq!(c.mechanism, "password");
        assert_eq!(c.kind, Kind::Cleartext);
        assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"s3cret pass"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.details, vec![("command", "uname -a".to_string())]);
        assert_eq!(c.frames, vec![1, 2]);
    }

    #[test]
    fn a_refusal_and_its_message() {
        let (out, _) = run(&[
            (C, b"\0bob\0wrong\0id\0"),
            (S, b"\x01Login in"),
            (S, b"correct.\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong"[..]));
        assert_eq!(
            out[0].details,
            vec![
                ("command", "id".to_string()),
                ("reason", "Login incorrect.".to_string())
            ]
        );
    }

    #[test]
    fn byte_by_byte_unanswered_and_cut() {
        let opening = b"512\0carol\0pw\0ls\0";
        let script: Vec<(Direction, &[u8])> = opening.chunks(1).map(|b| (C, b)).collect();
        let (out, done) = run(&script);
        assert!(!done, "the answer is still to come");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].frames.len(), opening.len());
        // The command's end never came (not captured): user and password are whole.
        let (out, _) = run(&[(C, b"\0dave\0pw2\0some long comm")]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].secret.as_deref(), Some(&b"pw2"[..]));
        assert_eq!(out[0].outcome, Outcome::Unknown);
        let (out, _) = run(&[(C, b"\0dave\0pw2\0some long comm"), (S, b"\0")]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        // Only the user name: nothing.
        let (out, _) = run(&[(C, b"\0dave\0pw"), (S, b"\0")]);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn hanging_up_without_an_answer_is_a_refusal() {
        let mut d = Rexec::default();
        let mut out = Vec::new();
        let chunk = |data| Chunk {
            data,
            frame: 1,
            ts: Timestamp::default(),
        };
        d.data(C, chunk(b"0\0frank\0nope\0id\0"), &mut out);
        d.end(C, &mut out);
        d.end(S, &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        // Only the client's end: unknown.
        let mut d = Rexec::default();
        let mut out = Vec::new();
        d.data(C, chunk(b"0\0frank\0nope\0id\0"), &mut out);
        d.end(C, &mut out);
        d.close(&mut out);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // An answer already read stands.
        let mut d = Rexec::default();
        let mut out = Vec::new();
        d.data(C, chunk(b"0\0frank\0yes\0id\0"), &mut out);
        d.data(S, chunk(b"\0uid=1000"), &mut out);
        d.end(S, &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn empty_password_is_still_a_login_and_port_bounds() {
        let (out, _) = run(&[(C, b"\0eve\0\0true\0"), (S, b"\x01Password incorrect\n")]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b""[..]));
        assert_eq!(parse_request(b"65536\0a\0b\0c\0"), Err(false));
        assert_eq!(parse_request(b"123456"), Err(false));
        assert_eq!(parse_request(b"6553"), Err(true));
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\n"), Err(false));
        assert_eq!(parse_request(b"\0\0pw\0cmd\0"), Err(false), "no user");
        let r = parse_request(b"2000\0u\0p\0c\0").unwrap();
        assert_eq!(r.port, Some(2000));
        assert_eq!(r.command, Some(&b"c"[..]));
        let r = parse_request(b"2000\0u\0p\0c").unwrap();
        assert_eq!(r.command, None);
    }

    #[test]
    fn probe_never_says_yes() {
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"", b"220 ftp"), Probe::No);
        assert_eq!(probe(b"1023\0alice\0pw\0ls\0", b""), Probe::Maybe);
        assert_eq!(probe(b"1023\0alice\0pw\0ls\0", b"\0"), Probe::Maybe);
        assert_eq!(probe(b"1023\0alice\0pw\0ls\0", b"\x01Login"), Probe::Maybe);
        assert_eq!(probe(b"1023\0alice\0pw\0ls\0", b"SSH-2.0"), Probe::No);
        assert_eq!(probe(b"USER bob\r\n", b""), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01\x02\x00", b""), Probe::No);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x9e37_79b9_u32;
        for n in 0..2000 {
            let mut bytes = Vec::new();
            for _ in 0..(n % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                bytes.push(match seed % 5 {
                    0 => 0,
                    1 => b'1',
                    _ => (seed >> 8) as u8,
                });
            }
            let _ = probe(&bytes, &bytes);
            let _ = run(&[(C, &bytes), (S, &bytes)]);
        }
    }
}
