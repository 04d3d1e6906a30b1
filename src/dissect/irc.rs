//! IRC (RFC 1459, 2812, and the IRCv3 extensions): the passwords a client sends.
//!
//! - `PASS <password>`: the connection (server) password, sent before registration;
//!   mechanism `PASS`, user name the nickname the client registers with (its first
//!   `NICK`, whether sent before or after `PASS`). A Twitch-style `oauth:...` password is
//!   a token (kind token). Outcome: `001` RPL_WELCOME success (registration completed
//!   with that password; a server without a connection password ignores `PASS`),
//!   `464` ERR_PASSWDMISMATCH (or an `ERROR` that speaks of the password before
//!   registration, or Twitch's `Login authentication failed` notice) failure.
//! - `OPER <name> <password>`: mechanism `OPER`, user name the operator name; `381`
//!   RPL_YOUREOPER success, `491` ERR_NOOPERHOST or `464` failure.
//! - NickServ: `PRIVMSG NickServ :IDENTIFY [account] <password>` (also `NS IDENTIFY`,
//!   `NICKSERV IDENTIFY`, `ID`): mechanism `NickServ IDENTIFY`, user name the account, or
//!   the current nickname. Services answer in free-form notices: success or failure only
//!   when NickServ's notice says so plainly (`You are now identified`, `Invalid
//!   password`...) or with `900` RPL_LOGGEDIN; otherwise unknown.
//! - SASL (IRCv3 `CAP REQ :sasl`, then `AUTHENTICATE <mechanism>` and base64 messages cut
//!   in 400-byte pieces) through the shared SASL layer: `AUTHENTICATE PLAIN` and the
//!   others it knows. `900`/`903` success, `904`/`902` failure; `AUTHENTICATE *` (906)
//!   is no credential.
//! - Channel keys: `JOIN #a,#b keyA,keyB`: mechanism `JOIN channel key`, cleartext, user
//!   name the current nickname, the channel in `details.channel`, reported once per
//!   key (clients repeat JOINs). `475` ERR_BADCHANNELKEY is a failure; a successful JOIN
//!   says nothing of the key (a channel without a key accepts any), so that is unknown.
//!
//! IRCv3 `STARTTLS` answered with `670` ends the inspection, as do TLS bytes.

use std::collections::VecDeque;

use super::ftp::looks_like_tls;
use super::lines::{LineReader, first_line};
use super::sasl::{Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "irc",
    tcp_ports: &[6660, 6661, 6662, 6663, 6664, 6665, 6666, 6667, 6668, 6669],
    probe,
    new: |config| {
        Box::new(Irc {
            lines: [
                LineReader::new(config.max_line),
                LineReader::new(config.max_line),
            ],
            session: Session::default(),
        })
    },
};

/// Parameters kept per message (RFC 2812 allows 15).
const MAX_PARAMS: usize = 15;
/// Logins waiting for an answer (OPER, NickServ, channel keys).
const MAX_PENDING: usize = 16;
/// SASL responses are cut in pieces of this many bytes; a shorter one ends the message.
const SASL_CHUNK: usize = 400;
/// Longest SASL message reassembled.
const MAX_SASL: usize = 16 * 1024;

/// One IRC message: `[@tags] [:prefix] COMMAND params... [:trailing]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub prefix: Option<&'a [u8]>,
    pub command: &'a [u8],
    pub params: Vec<&'a [u8]>,
}

impl<'a> Message<'a> {
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        self.params.get(i).copied()
    }

    /// The nickname of the prefix (`nick!user@host`).
    pub fn source_nick(&self) -> Option<&'a [u8]> {
        let p = self.prefix?;
        Some(p.split(|&b| b == b'!' || b == b'@').next().unwrap_or(p))
    }
}

fn split_space(d: &[u8]) -> (&[u8], &[u8]) {
    match d.iter().position(|&b| b == b' ') {
        Some(i) => (&d[..i], &d[i + 1..]),
        None => (d, &[]),
    }
}

fn trim_spaces(d: &[u8]) -> &[u8] {
    let start = d.iter().position(|&b| b != b' ').unwrap_or(d.len());
    &d[start..]
}

/// Parses one line (without its CR LF).
pub fn parse_message(line: &[u8]) -> Option<Message<'_>> {
    let mut rest = trim_spaces(line);
    if rest.first() == Some(&b'@') {
        rest = trim_spaces(split_space(rest).1);
    }
    let mut prefix = None;
    if let Some(p) = rest.strip_prefix(b":") {
        let (pre, r) = split_space(p);
        prefix = Some(pre);
        rest = trim_spaces(r);
    }
    let (command, mut rest) = split_space(rest);
    if command.is_empty() || !command.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut params = Vec::new();
    loop {
        rest = trim_spaces(rest);
        if rest.is_empty() || params.len() >= MAX_PARAMS {
            break;
        }
        if let Some(trailing) = rest.strip_prefix(b":") {
            params.push(trailing);
            break;
        }
        let (p, r) = split_space(rest);
        params.push(p);
        rest = r;
    }
    Some(Message {
        prefix,
        command,
        params,
    })
}

fn is(command: &[u8], name: &str) -> bool {
    command.eq_ignore_ascii_case(name.as_bytes())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// A client's registration commands: `NICK`, `USER` with its four parameters, `CAP`
/// negotiation.
fn client_evidence(m: &Message<'_>) -> bool {
    (is(m.command, "NICK") && m.params.len() == 1)
        || (is(m.command, "USER") && m.params.len() == 4)
        || (is(m.command, "CAP")
            && m.param(0).is_some_and(|s| {
                ["LS", "REQ", "END"]
                    .iter()
                    .any(|c| s.eq_ignore_ascii_case(c.as_bytes()))
            }))
}

/// A server's first words: `:server NOTICE ...`, a numeric, `NOTICE AUTH`, `PING`,
/// `CAP`, `ERROR`.
fn server_evidence(line: &[u8], m: &Message<'_>) -> bool {
    let numeric = m.command.len() == 3 && m.command.iter().all(u8::is_ascii_digit);
    let known = ["NOTICE", "PING", "CAP", "ERROR", "PRIVMSG", "MODE", "JOIN"]
        .iter()
        .any(|c| is(m.command, c));
    (line.starts_with(b":") && (numeric || known) && !m.params.is_empty())
        || (m.prefix.is_none() && known && !m.params.is_empty())
}

/// IRC when the server's first line is an IRC message (a prefixed numeric or notice) or
/// the client registers (`NICK`, `USER` with four parameters, `CAP LS`); a lone `PASS`
/// line is only a Maybe (FTP and POP3 clients send `PASS` too, though never first).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if looks_like_tls(to_server) || looks_like_tls(to_client) {
        return Probe::No;
    }
    let printable = |d: &[u8]| {
        d.iter()
            .take(512)
            .all(|&b| b >= 0x20 || matches!(b, b'\r' | b'\n' | b'\t' | 0x01..=0x1f))
            && !d.iter().take(512).any(|&b| b == 0)
    };
    if !printable(to_server) || !printable(to_client) {
        return Probe::No;
    }
    if let Some(line) = first_line(to_client) {
        return match parse_message(line) {
            Some(m) if server_evidence(line, &m) => Probe::Yes,
            _ => Probe::No,
        };
    }
    if to_client.len() >= 4
        && !to_client.starts_with(b":")
        && !to_client.starts_with(b"NOTICE")
        && !to_client.starts_with(b"PING")
    {
        return Probe::No;
    }
    let mut lines = to_server.split(|&b| b == b'\n');
    let complete = to_server.iter().filter(|&&b| b == b'\n').count();
    let mut saw_pass = false;
    for line in lines.by_ref().take(complete.min(8)) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(m) = parse_message(line) else {
            return Probe::No;
        };
        if m.prefix.is_some() {
            return Probe::No;
        }
        if client_evidence(&m) {
            return Probe::Yes;
        }
        if is(m.command, "PASS") && !saw_pass {
            saw_pass = true;
            continue;
        }
        return Probe::No;
    }
    if complete == 0 && to_server.len() >= 8 {
        let head = &to_server[..to_server.len().min(8)];
        let word = head.split(|&b| b == b' ').next().unwrap_or(head);
        if !["NICK", "USER", "PASS", "CAP"]
            .iter()
            .any(|c| word.eq_ignore_ascii_case(c.as_bytes()))
        {
            return Probe::No;
        }
    }
    Probe::Maybe
}

/// What kind of secret a `PASS` carries.
fn pass_kind(password: &[u8]) -> Kind {
    if password.starts_with(b"oauth:") {
        Kind::Token
    } else {
        Kind::Cleartext
    }
}

/// NickServ's plain words of success and failure (Anope, Atheme, and their kin).
const NICKSERV_SUCCESS: &[&[u8]] = &[
    b"you are now identified",
    b"password accepted",
    b"you are now logged in",
    b"you're now logged in",
];
const NICKSERV_FAILURE: &[&[u8]] = &[
    b"invalid password",
    b"password incorrect",
    b"incorrect password",
    b"authentication failed",
    b"isn't registered",
    b"is not registered",
    b"is not a registered",
];

/// A login waiting for the server's answer.
#[derive(Debug)]
struct Waiting {
    credential: Credential,
    /// The channel of a key, lowercase.
    channel: Option<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Sasl {
    exchange: Option<Exchange>,
    /// Base64 pieces of a response cut in 400-byte chunks.
    partial: Vec<u8>,
    frames: Vec<u64>,
}

#[derive(Debug, Default)]
struct Session {
    /// The first NICK: the name registration is for.
    registration_nick: Option<(Vec<u8>, Vec<u64>)>,
    /// The nickname now.
    nick: Option<Vec<u8>>,
    registered: bool,
    /// `PASS`, until registration completes or fails.
    pass: Option<Credential>,
    opers: VecDeque<Credential>,
    nickserv: VecDeque<Credential>,
    keys: VecDeque<Waiting>,
    sasl: Option<Sasl>,
    starttls: bool,
    done: bool,
}

fn push_bounded<T>(
    q: &mut VecDeque<T>,
    item: T,
    out: &mut Vec<Credential>,
    cred: fn(T) -> Credential,
) {
    if q.len() >= MAX_PENDING
        && let Some(old) = q.pop_front()
    {
        out.push(cred(old));
    }
    q.push_back(item);
}

impl Session {
    fn client_line(
        &mut self,
        text: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let Some(m) = parse_message(text) else {
            return;
        };
        let cmd = m.command;
        if is(cmd, "NICK") {
            if let Some(n) = m.param(0).filter(|n| !n.is_empty()) {
                if self.registration_nick.is_none() && !self.registered {
                    self.registration_nick = Some((n.to_vec(), frames.to_vec()));
                    if let Some(p) = self.pass.as_mut()
                        && p.username.is_none()
                    {
                        p.username = Some(n.to_vec());
                        p.add_frames(frames.iter().copied());
                    }
                }
                if !self.registered {
                    self.nick = Some(n.to_vec());
                }
            }
        } else if is(cmd, "PASS") {
            let Some(pw) = m.param(0).filter(|p| !p.is_empty()) else {
                return;
            };
            if let Some(old) = self.pass.take() {
                out.push(old);
            }
            let mut c = Credential::new("irc", "PASS", pass_kind(pw), ts);
            c.secret = Some(pw.to_vec());
            c.add_frames(frames.iter().copied());
            if let Some((n, f)) = &self.registration_nick {
                c.username = Some(n.clone());
                c.add_frames(f.iter().copied());
            }
            self.pass = Some(c);
        } else if is(cmd, "OPER") {
            if let (Some(name), Some(pw)) = (m.param(0), m.param(1)) {
                let mut c = Credential::new("irc", "OPER", Kind::Cleartext, ts);
                c.username = Some(name.to_vec());
                c.secret = Some(pw.to_vec());
                c.add_frames(frames.iter().copied());
                push_bounded(&mut self.opers, c, out, |c| c);
            }
        } else if is(cmd, "PRIVMSG") || is(cmd, "NS") || is(cmd, "NICKSERV") {
            let text: Vec<u8> = if is(cmd, "PRIVMSG") {
                let to_nickserv = m.param(0).is_some_and(|t| {
                    let t = t.split(|&b| b == b'@').next().unwrap_or(t);
                    t.eq_ignore_ascii_case(b"NickServ")
                });
                if !to_nickserv {
                    return;
                }
                m.params.get(1..).unwrap_or_default().join(&b' ')
            } else {
                m.params.join(&b' ')
            };
            self.nickserv_command(&text, frames, ts, out);
        } else if is(cmd, "JOIN") {
            let (Some(chans), Some(keys)) = (m.param(0), m.param(1)) else {
                return;
            };
            for (chan, key) in chans.split(|&b| b == b',').zip(keys.split(|&b| b == b',')) {
                if key.is_empty() || chan.is_empty() {
                    continue;
                }
                let mut c = Credential::new("irc", "JOIN channel key", Kind::Cleartext, ts);
                c.username = self.nick.clone();
                c.secret = Some(key.to_vec());
                c.add_frames(frames.iter().copied());
                c.details
                    .push(("channel", String::from_utf8_lossy(chan).into_owned()));
                c.repeats = true;
                push_bounded(
                    &mut self.keys,
                    Waiting {
                        credential: c,
                        channel: Some(chan.to_ascii_lowercase()),
                    },
                    out,
                    |w| w.credential,
                );
            }
        } else if is(cmd, "AUTHENTICATE") {
            self.authenticate(m.param(0).unwrap_or_default(), frames, ts);
        } else if is(cmd, "STARTTLS") {
            self.starttls = true;
        }
    }

    /// `IDENTIFY [account] password` sent to NickServ.
    fn nickserv_command(
        &mut self,
        text: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let (verb, args) = split_space(trim_spaces(text));
        if !(is(verb, "IDENTIFY") || is(verb, "ID")) {
            return;
        }
        let args = trim_spaces(args);
        let args = args.strip_suffix(b" ").unwrap_or(args);
        if args.is_empty() {
            return;
        }
        let (account, password) = match split_space(args) {
            (pw, b"") => (self.nick.clone(), pw),
            (account, pw) => (Some(account.to_vec()), trim_spaces(pw)),
        };
        let mut c = Credential::new("irc", "NickServ IDENTIFY", Kind::Cleartext, ts);
        c.username = account;
        c.secret = Some(password.to_vec());
        c.add_frames(frames.iter().copied());
        push_bounded(&mut self.nickserv, c, out, |c| c);
    }

    /// A client `AUTHENTICATE`: the mechanism, `*`, or a (piece of a) base64 response.
    fn authenticate(&mut self, arg: &[u8], frames: &[u64], ts: Timestamp) {
        match self.sasl.as_mut() {
            None => {
                self.sasl = Some(Sasl {
                    exchange: Exchange::start(arg),
                    ..Sasl::default()
                });
            }
            Some(s) => {
                if arg == b"*" {
                    self.sasl = None; // aborted: 906
                    return;
                }
                s.frames.extend_from_slice(frames);
                if arg != b"+" && s.partial.len() + arg.len() <= MAX_SASL {
                    s.partial.extend_from_slice(arg);
                }
                if arg.len() == SASL_CHUNK {
                    return; // more pieces follow
                }
                let data = if s.partial.is_empty() {
                    b"=".to_vec()
                } else {
                    std::mem::take(&mut s.partial)
                };
                let frames = std::mem::take(&mut s.frames);
                if let Some(x) = s.exchange.as_mut()
                    && let Step::Cancelled | Step::Invalid = x.client_response(&data, &frames, ts)
                {
                    s.exchange = None;
                }
            }
        }
    }

    fn server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        let Some(m) = parse_message(text) else {
            return;
        };
        let cmd = m.command;
        let numeric = if cmd.len() == 3 && cmd.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(cmd)
                .ok()
                .and_then(|s| s.parse::<u16>().ok())
        } else {
            None
        };
        match numeric {
            Some(1) => {
                self.registered = true;
                if let Some(n) = m.param(0) {
                    self.nick = Some(n.to_vec());
                }
                self.judge_pass(Outcome::Success, out);
            }
            Some(464) if !self.registered => self.judge_pass(Outcome::Failure, out),
            Some(381) => judge_front(&mut self.opers, Outcome::Success, out),
            Some(464) | Some(491) => judge_front(&mut self.opers, Outcome::Failure, out),
            Some(900) | Some(903) => {
                if self.sasl.is_some() {
                    self.judge_sasl(Outcome::Success, out);
                } else {
                    judge_front(&mut self.nickserv, Outcome::Success, out);
                }
            }
            Some(902) | Some(904) => self.judge_sasl(Outcome::Failure, out),
            Some(906) => self.sasl = None,
            Some(475) => {
                let chan = m.param(1).map(<[u8]>::to_ascii_lowercase);
                if let Some(i) = self.keys.iter().position(|w| w.channel == chan)
                    && let Some(mut w) = self.keys.remove(i)
                {
                    w.credential.outcome = Outcome::Failure;
                    out.push(w.credential);
                }
            }
            Some(670) if self.starttls => self.done = true,
            _ => {}
        }
        if numeric.is_some() {
            return;
        }
        if is(cmd, "AUTHENTICATE") {
            if let Some(x) = self.sasl.as_mut().and_then(|s| s.exchange.as_mut()) {
                let arg = m.param(0).unwrap_or_default();
                x.server_challenge(if arg == b"+" { b"" } else { arg });
            }
        } else if is(cmd, "NOTICE") {
            let from_nickserv = m
                .source_nick()
                .is_some_and(|n| n.eq_ignore_ascii_case(b"NickServ"));
            let lower = m.param(1).unwrap_or_default().to_ascii_lowercase();
            if from_nickserv {
                if NICKSERV_SUCCESS.iter().any(|w| contains(&lower, w)) {
                    judge_front(&mut self.nickserv, Outcome::Success, out);
                } else if NICKSERV_FAILURE.iter().any(|w| contains(&lower, w)) {
                    judge_front(&mut self.nickserv, Outcome::Failure, out);
                }
            } else if !self.registered && contains(&lower, b"login authentication failed") {
                // Twitch refuses a bad oauth token this way.
                self.judge_pass(Outcome::Failure, out);
            }
        } else if is(cmd, "ERROR") {
            // A server that refuses the connection password may close with a bare ERROR
            // instead of 464 (ngircd: "Access denied: Bad password?"; InspIRCd, whose
            // connect class then matches no client: "Access denied by configuration").
            let lower = m.param(0).unwrap_or_default().to_ascii_lowercase();
            if !self.registered
                && (contains(&lower, b"password") || contains(&lower, b"access denied"))
            {
                self.judge_pass(Outcome::Failure, out);
            }
        } else if is(cmd, "NICK") {
            let ours = m
                .source_nick()
                .is_some_and(|n| Some(n) == self.nick.as_deref());
            if ours && let Some(new) = m.param(0) {
                self.nick = Some(new.to_vec());
            }
        } else if is(cmd, "JOIN") {
            // Joined: the key was not refused, but a channel without a key takes any.
            let ours = m
                .source_nick()
                .is_some_and(|n| Some(n) == self.nick.as_deref());
            let chan = m.param(0).map(<[u8]>::to_ascii_lowercase);
            if ours
                && let Some(i) = self.keys.iter().position(|w| w.channel == chan)
                && let Some(w) = self.keys.remove(i)
            {
                out.push(w.credential);
            }
        }
    }

    fn judge_pass(&mut self, outcome: Outcome, out: &mut Vec<Credential>) {
        if let Some(mut c) = self.pass.take() {
            c.outcome = outcome;
            out.push(c);
        }
    }

    fn judge_sasl(&mut self, outcome: Outcome, out: &mut Vec<Credential>) {
        if let Some(s) = self.sasl.take()
            && let Some(mut c) = s.exchange.and_then(|x| x.credential("irc", "AUTHENTICATE"))
        {
            c.outcome = outcome;
            out.push(c);
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.judge_pass(Outcome::Unknown, out);
        out.extend(self.opers.drain(..));
        out.extend(self.nickserv.drain(..));
        out.extend(self.keys.drain(..).map(|w| w.credential));
        self.judge_sasl(Outcome::Unknown, out);
    }
}

fn judge_front(q: &mut VecDeque<Credential>, outcome: Outcome, out: &mut Vec<Credential>) {
    if let Some(mut c) = q.pop_front() {
        c.outcome = outcome;
        out.push(c);
    }
}

#[derive(Debug, Default)]
pub struct Irc {
    lines: [LineReader; 2],
    session: Session,
}

impl Dissector for Irc {
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
            Direction::ToServer => {
                self.lines[0].feed(chunk, |l| s.client_line(l.text, l.frames, l.ts, out))
            }
            Direction::ToClient => self.lines[1].feed(chunk, |l| s.server_line(l.text, out)),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        self.lines[dir.index()].gap();
        if dir == Direction::ToServer
            && let Some(s) = self.session.sasl.as_mut()
        {
            s.partial.clear();
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.session.close(out);
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn lines_too_long(&self) -> u64 {
        self.lines.iter().map(|l| l.overlong).sum()
    }

    fn buffered(&self) -> usize {
        let s = &self.session;
        self.lines.iter().map(LineReader::buffered).sum::<usize>()
            + (usize::from(s.pass.is_some()) + s.opers.len() + s.nickserv.len() + s.keys.len())
                * 128
            + s.sasl.as_ref().map_or(0, |x| x.partial.capacity() + 256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ToClient as S, ToServer as C};
    use base64::Engine as _;

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
        .0
    }

    fn seen(out: &[Credential]) -> Vec<(String, Option<String>, String, Outcome)> {
        out.iter()
            .map(|c| {
                (
                    c.mechanism.to_string(),
                    c.username
                        .as_ref()
                        .map(|u| String::from_utf8_lossy(u).into_owned()),
                    String::from_utf8_lossy(c.secret.as_deref().unwrap_or_default()).into_owned(),
                    c.outcome,
                )
            })
            .collect()
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn messages() {
        let m = parse_message(b"@time=x :nick!u@h PRIVMSG #c :hello there").unwrap();
        assert_eq!(m.prefix, Some(&b"nick!u@h"[..]));
        assert_eq!(m.command, b"PRIVMSG");
        assert_eq!(m.params, vec![&b"#c"[..], b"hello there"]);
        assert_eq!(m.source_nick(), Some(&b"nick"[..]));
        let m = parse_message(b"USER tim tim 127.0.0.1 :Tim").unwrap();
        assert_eq!(m.params.len(), 4);
        assert_eq!(parse_message(b""), None);
        assert_eq!(parse_message(b":only-prefix"), None);
    }

    #[test]
    fn pass_then_nick_oper_failure_and_success() {
        // The first connection of Zeek's irc-more-commands.pcap.
        let out = run(&[
            (
                C,
                b"CAP LS\r\nPASS test\r\nNICK tim\r\nUSER tim tim 127.0.0.1 :Tim\r\n",
            ),
            (
                S,
                b":ircd1.local NOTICE * :*** Looking up your hostname...\r\n",
            ),
            (C, b"CAP END\r\n"),
            (
                S,
                b":ircd1.local 001 tim :Welcome to the ircd1 IRC Network tim!tim@172.16.238.1\r\n",
            ),
            (C, b"OPER tim fail\r\n"),
            (S, b":ircd1.local 491 tim :Invalid oper credentials\r\n"),
            (C, b"OPER tim test\r\n"),
            (
                S,
                b":ircd1.local MODE tim :+o\r\n:ircd1.local 381 tim :You are now a NetAdmin\r\n",
            ),
        ]);
        assert_eq!(
            seen(&out),
            vec![
                (s("PASS"), Some(s("tim")), s("test"), Outcome::Success),
                (s("OPER"), Some(s("tim")), s("fail"), Outcome::Failure),
                (s("OPER"), Some(s("tim")), s("test"), Outcome::Success),
            ]
        );
        assert_eq!(out[0].frames, vec![1]);
        assert_eq!(out[2].frames, vec![7]);
    }

    #[test]
    fn pass_before_nick_in_another_segment_and_464() {
        let out = run(&[
            (C, b"PASS l0m3za\r\n"),
            (
                C,
                b"NICK damn-0262937047\r\nUSER ghmfeirsfnw 0 0 :damn-0262937047\r\n",
            ),
            (
                S,
                b":hunt3d.devilz.net 464 * :Password incorrect\r\nERROR :Closing link\r\n",
            ),
        ]);
        assert_eq!(
            seen(&out),
            vec![(
                s("PASS"),
                Some(s("damn-0262937047")),
                s("l0m3za"),
                Outcome::Failure
            )]
        );
        assert_eq!(out[0].frames, vec![1, 2]);
    }

    #[test]
    fn error_about_the_password_before_registration() {
        let out = run(&[
            (C, b"PASS bad\r\nNICK n\r\nUSER n localhost h :n\r\n"),
            (S, b"ERROR :Access denied: Bad password?\r\n"),
        ]);
        assert_eq!(out[0].outcome, Outcome::Failure);
        let out = run(&[
            (C, b"PASS pw\r\nNICK n\r\nUSER n localhost h :n\r\n"),
            (S, b"ERROR :Closing link: (n@h) [Registration timeout]\r\n"),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // InspIRCd: no connect class takes a client whose password is wrong.
        let out = run(&[
            (C, b"PASS bad\r\nNICK n\r\nUSER n 0 * :n\r\n"),
            (
                S,
                b"ERROR :Closing link: (n@127.0.0.1) [Access denied by configuration]\r\n",
            ),
        ]);
        assert_eq!(out[0].outcome, Outcome::Failure);
    }

    #[test]
    fn twitch_oauth_token() {
        let out = run(&[
            (C, b"CAP REQ :twitch.tv/tags twitch.tv/commands\r\n"),
            (
                S,
                b":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands\r\n",
            ),
            (C, b"PASS oauth:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"),
            (C, b"NICK THE-USER\r\n"),
            (
                S,
                b":tmi.twitch.tv NOTICE * :Login authentication failed\r\n",
            ),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, Kind::Token);
        assert_eq!(out[0].username.as_deref(), Some(&b"THE-USER"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![3, 4]);
    }

    #[test]
    fn nickserv_forms() {
        let out = run(&[
            (C, b"NICK alice\r\nUSER a 0 * :A\r\n"),
            (S, b":srv 001 alice :Welcome\r\n"),
            (C, b"PRIVMSG NickServ :IDENTIFY wrongpw\r\n"),
            (S, b":NickServ!services@srv NOTICE alice :Invalid password for \x02alice\x02.\r\n"),
            (C, b"NS IDENTIFY alice right pw\r\n"),
            (S, b":NickServ!services@srv NOTICE alice :You are now identified for \x02alice\x02.\r\n"),
            (C, b"NICKSERV :ID bob pw2\r\n"),
            (S, b":NickServ!s@srv NOTICE alice :Hmm, something else.\r\n"),
            (C, b"PRIVMSG NickServ@services.example :identify pw3\r\n"),
            (S, b":srv 900 alice alice!a@h alice :You are now logged in as alice\r\n"),
            (C, b"PRIVMSG #chan :IDENTIFY not-to-nickserv\r\n"),
        ]);
        assert_eq!(
            seen(&out),
            vec![
                (
                    s("NickServ IDENTIFY"),
                    Some(s("alice")),
                    s("wrongpw"),
                    Outcome::Failure
                ),
                (
                    s("NickServ IDENTIFY"),
                    Some(s("alice")),
                    s("right pw"),
                    Outcome::Success
                ),
                (
                    s("NickServ IDENTIFY"),
                    Some(s("bob")),
                    s("pw2"),
                    Outcome::Success
                ),
                (
                    s("NickServ IDENTIFY"),
                    Some(s("alice")),
                    s("pw3"),
                    Outcome::Unknown
                ),
            ]
        );
    }

    #[test]
    fn sasl_plain_in_pieces_and_abort() {
        // A 400-byte piece, then the rest: one response.
        let plain = format!("\0{}\0{}", "u".repeat(200), "p".repeat(200));
        let b64 = super::super::sasl::BASE64.encode(plain.as_bytes());
        assert!(b64.len() > 400);
        let (first, rest) = b64.split_at(400);
        let line1 = format!("AUTHENTICATE {first}\r\n");
        let line2 = format!("AUTHENTICATE {rest}\r\n");
        let out = run(&[
            (C, b"CAP LS 302\r\nNICK n\r\nUSER n 0 * :n\r\n"),
            (S, b":srv CAP * LS :sasl\r\n"),
            (C, b"CAP REQ :sasl\r\n"),
            (S, b":srv CAP n ACK :sasl\r\n"),
            (C, b"AUTHENTICATE PLAIN\r\n"),
            (S, b"AUTHENTICATE +\r\n"),
            (C, line1.as_bytes()),
            (C, line2.as_bytes()),
            (S, b":srv 900 n n!n@h u :You are now logged in as u\r\n:srv 903 n :SASL authentication successful\r\n"),
            (C, b"CAP END\r\n"),
            (S, b":srv 001 n :Welcome\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "AUTHENTICATE PLAIN");
        assert_eq!(out[0].username.as_deref(), Some("u".repeat(200).as_bytes()));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[0].frames, vec![7, 8]);
        let out = run(&[
            (C, b"AUTHENTICATE PLAIN\r\n"),
            (S, b"AUTHENTICATE +\r\n"),
            (C, b"AUTHENTICATE *\r\n"),
            (S, b":srv 906 * :SASL authentication aborted\r\n"),
        ]);
        assert!(out.is_empty());
        let out = run(&[
            (C, b"AUTHENTICATE PLAIN\r\n"),
            (S, b"AUTHENTICATE +\r\n"),
            (C, b"AUTHENTICATE AGJvYgB3cm9uZw==\r\n"),
            (S, b":srv 904 * :SASL authentication failed\r\n"),
        ]);
        assert_eq!(
            seen(&out),
            vec![(
                s("AUTHENTICATE PLAIN"),
                Some(s("bob")),
                s("wrong"),
                Outcome::Failure
            )]
        );
    }

    #[test]
    fn channel_keys() {
        let out = run(&[
            (C, b"NICK bot\r\nUSER b 0 0 :b\r\n"),
            (S, b":srv 001 bot :hi\r\n"),
            (C, b"JOIN #a,#b,#c ka,kb\r\n"),
            (
                S,
                b":bot!b@h JOIN :#a\r\n:srv 475 bot #B :Cannot join channel (+k)\r\n",
            ),
            (C, b"JOIN #open\r\n"),
        ]);
        assert_eq!(
            seen(&out),
            vec![
                (
                    s("JOIN channel key"),
                    Some(s("bot")),
                    s("ka"),
                    Outcome::Unknown
                ),
                (
                    s("JOIN channel key"),
                    Some(s("bot")),
                    s("kb"),
                    Outcome::Failure
                ),
            ]
        );
        assert!(out.iter().all(|c| c.repeats));
        assert_eq!(out[0].details, vec![("channel", s("#a"))]);
    }

    #[test]
    fn starttls_ends() {
        let out = run(&[
            (C, b"STARTTLS\r\n"),
            (
                S,
                b":srv 670 * :STARTTLS successful, go ahead with TLS handshake\r\n",
            ),
            (C, b"PASS secret\r\nNICK x\r\n"),
        ]);
        assert!(out.is_empty());
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"CAP LS\r\nPASS test\r\n", b""), Probe::Yes);
        assert_eq!(probe(b"PASS l0m3za\r\n", b""), Probe::Maybe);
        assert_eq!(probe(b"PASS l0m3za\r\nNICK x\r\n", b""), Probe::Yes);
        assert_eq!(probe(b"CAP REQ :twitch.tv/tags\r\n", b""), Probe::Yes);
        assert_eq!(
            probe(b"", b":irc.example.net NOTICE * :*** Looking up\r\n"),
            Probe::Yes
        );
        assert_eq!(
            probe(b"", b"NOTICE AUTH :*** Looking up your hostname\r\n"),
            Probe::Yes
        );
        assert_eq!(probe(b"", b"220 ftp.example.org ready\r\n"), Probe::No);
        assert_eq!(probe(b"", b"+OK POP3\r\n"), Probe::No);
        assert_eq!(probe(b"USER anonymous\r\n", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01\x00\x10", b""), Probe::No);
        assert_eq!(probe(b"", b"SSH-2.0-OpenSSH_9\r\n"), Probe::No);
        assert_eq!(probe(b"", b""), Probe::Maybe);
    }
}
