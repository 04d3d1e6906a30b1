//! Telnet (RFC 854, 855): what the user typed at the server's login prompts.
//!
//! Both directions go through a Telnet command decoder (IAC option negotiation and
//! subnegotiation stripped, `IAC IAC` unescaped, state kept across segments). The client's
//! keystrokes are rebuilt into lines by the shared line editor (one character per segment
//! or whole lines in linemode). The server's prompts say what the next line is:
//! `login:` / `Username:` a user name, `Password:` a password; the server's `WILL ECHO`
//! after a user name is a second sign that a password comes next, and the client's
//! NEW-ENVIRON `USER` variable (RFC 1572) can carry the user name. What the server sends
//! after the password gives the outcome (`Login incorrect` or a new prompt: failure;
//! `Last login`, a welcome or a shell prompt: success). Every attempt is its own finding.
//! After the login, passwords typed at a shell's password prompts (`passwd`, `sudo`, `su`)
//! are reported too, once each.

use memchr::memchr;

use super::keystrokes::{LineEditor, TypedLine};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "telnet",
    tcp_ports: &[23],
    probe,
    new: |config| {
        Box::new(Telnet {
            editor: LineEditor::new(config.max_line.min(4096)),
            ..Telnet::default()
        })
    },
};

const IAC: u8 = 255;
const DONT: u8 = 254;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const EL: u8 = 248;
const EC: u8 = 247;
const IP: u8 = 244;
const SE: u8 = 240;
const OPT_ECHO: u8 = 1;
const OPT_NEW_ENVIRON: u8 = 39;

/// One element of a Telnet stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    Data(&'a [u8]),
    /// A two-byte command (`IAC EC`, `IAC IP`, ...).
    Command(u8),
    /// `IAC WILL|WONT|DO|DONT option`.
    Negotiation {
        verb: u8,
        option: u8,
    },
    /// `IAC SB option ... IAC SE`, with `IAC IAC` unescaped.
    Subnegotiation {
        option: u8,
        data: &'a [u8],
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    #[default]
    Data,
    Iac,
    Verb(u8),
    SbOption,
    Sb,
    SbIac,
}

/// Longest subnegotiation kept (an NTLM blob is well under this).
const MAX_SB: usize = 16 * 1024;

/// Splits a Telnet byte stream into data and commands; state carries across segments.
#[derive(Debug, Default)]
pub struct Decoder {
    state: State,
    sb_option: u8,
    sb: Vec<u8>,
    sb_overflow: bool,
}

impl Decoder {
    pub fn feed(&mut self, mut data: &[u8], mut each: impl FnMut(Event<'_>)) {
        while !data.is_empty() {
            if self.state == State::Data {
                let end = memchr(IAC, data).unwrap_or(data.len());
                if end > 0 {
                    each(Event::Data(&data[..end]));
                }
                if end < data.len() {
                    self.state = State::Iac;
                    data = &data[end + 1..];
                } else {
                    data = &[];
                }
                continue;
            }
            let b = data[0];
            data = &data[1..];
            self.state = match self.state {
                State::Iac => match b {
                    IAC => {
                        each(Event::Data(&[IAC]));
                        State::Data
                    }
                    WILL..=DONT => State::Verb(b),
                    SB => State::SbOption,
                    _ => {
                        each(Event::Command(b));
                        State::Data
                    }
                },
                State::Verb(verb) => {
                    each(Event::Negotiation { verb, option: b });
                    State::Data
                }
                State::SbOption => {
                    self.sb_option = b;
                    self.sb.clear();
                    self.sb_overflow = false;
                    State::Sb
                }
                State::Sb => {
                    if b == IAC {
                        State::SbIac
                    } else {
                        self.sb_push(b);
                        State::Sb
                    }
                }
                State::SbIac => match b {
                    IAC => {
                        self.sb_push(IAC);
                        State::Sb
                    }
                    SE => {
                        if !self.sb_overflow {
                            each(Event::Subnegotiation {
                                option: self.sb_option,
                                data: &self.sb,
                            });
                        }
                        self.sb.clear();
                        State::Data
                    }
                    // A command inside a subnegotiation: the SB was not terminated.
                    _ => State::Data,
                },
                State::Data => State::Data,
            };
        }
    }

    fn sb_push(&mut self, b: u8) {
        if self.sb.len() < MAX_SB {
            self.sb.push(b);
        } else {
            self.sb_overflow = true;
        }
    }

    /// Forgets a partial command (after a gap).
    pub fn reset(&mut self) {
        self.state = State::Data;
        self.sb.clear();
    }
}

/// The value of the `USER` variable in a NEW-ENVIRON `IS`/`INFO` (RFC 1572).
pub fn environ_user(data: &[u8]) -> Option<Vec<u8>> {
    const VAR: u8 = 0;
    const VALUE: u8 = 1;
    const ESC: u8 = 2;
    const USERVAR: u8 = 3;
    let (&kind, rest) = data.split_first()?;
    if kind != 0 && kind != 2 {
        return None; // not IS or INFO
    }
    // Split into (type, name, value) triples, honouring ESC.
    let mut items: Vec<(u8, Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    let mut i = 0;
    let mut in_value = false;
    while i < rest.len() {
        let b = rest[i];
        match b {
            VAR | USERVAR => {
                items.push((b, Vec::new(), None));
                in_value = false;
            }
            VALUE => {
                if let Some(last) = items.last_mut() {
                    last.2 = Some(Vec::new());
                    in_value = true;
                }
            }
            _ => {
                let byte = if b == ESC {
                    i += 1;
                    match rest.get(i) {
                        Some(&n) => n,
                        None => break,
                    }
                } else {
                    b
                };
                if let Some(last) = items.last_mut() {
                    if in_value {
                        if let Some(v) = last.2.as_mut() {
                            v.push(byte);
                        }
                    } else {
                        last.1.push(byte);
                    }
                }
            }
        }
        i += 1;
    }
    items
        .into_iter()
        .find(|(t, name, v)| {
            *t == VAR && name == b"USER" && v.as_ref().is_some_and(|v| !v.is_empty())
        })
        .and_then(|(_, _, v)| v)
}

/// What a server prompt asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    User,
    Password,
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

const PASSWORD_WORDS: &[&[u8]] = &[
    b"password",
    b"passwd",
    b"passcode",
    b"passphrase",
    b"passwort",
    b"mot de passe",
    b"contrase",
    b"senha",
    b"wachtwoord",
    b"parola",
];

const USER_WORDS: &[&[u8]] = &[
    b"login",
    b"username",
    b"user name",
    b"user",
    b"userid",
    b"user id",
    b"login name",
    b"account",
    b"benutzername",
    b"benutzer",
    b"utilisateur",
    b"usuario",
];

/// Classifies the server's current (unterminated) line as a login prompt.
pub fn classify_prompt(line: &[u8]) -> Option<Prompt> {
    let t = line.trim_ascii_end();
    let t = t.strip_suffix(b":")?;
    let start = t.len().saturating_sub(64);
    let lower = t[start..].to_ascii_lowercase();
    if PASSWORD_WORDS.iter().any(|w| contains(&lower, w)) {
        return Some(Prompt::Password);
    }
    let word = lower.trim_ascii_end();
    if USER_WORDS.iter().any(|w| word.ends_with(w)) {
        return Some(Prompt::User);
    }
    None
}

const FAILURE_WORDS: &[&[u8]] = &[
    b"incorrect",
    b"invalid",
    b"failed",
    b"failure",
    b"denied",
    b"bad password",
    b"not authorized",
    b"unauthorized",
    b"try again",
    b"authentication error",
    b"sorry",
];

const SUCCESS_WORDS: &[&[u8]] = &[
    b"last login",
    b"welcome",
    b"you have mail",
    b"you have new mail",
    b"successfully",
];

/// A shell or router prompt: the line ends in `$`, `#`, `>` or `%`.
fn is_shell_prompt(line: &[u8]) -> bool {
    matches!(
        line.trim_ascii_end().last(),
        Some(b'$' | b'#' | b'>' | b'%')
    )
}

/// Telnet when either side starts with option negotiation, or the server's first text
/// ends in a login prompt.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    let negotiates = |d: &[u8]| matches!(d, [IAC, SB..=DONT, ..]);
    if negotiates(to_client) || negotiates(to_server) {
        return Probe::Yes;
    }
    if !to_server.is_empty() && to_client.is_empty() {
        return Probe::No; // the client spoke first, in clear text: not a Telnet session
    }
    if to_client.starts_with(b"SSH-") {
        return Probe::No;
    }
    let text = |d: &[u8]| {
        d.iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\r' | b'\n' | b'\t' | 0 | 0x07 | 0x08 | 0x1b))
    };
    if !text(to_client) || !text(to_server) {
        return Probe::No;
    }
    let last_line = to_client
        .rsplit(|&b| b == b'\n' || b == b'\r')
        .next()
        .unwrap_or_default();
    if classify_prompt(last_line).is_some() {
        return Probe::Yes;
    }
    Probe::Maybe
}

/// Longest server line and post-password reply kept.
const MAX_TAIL: usize = 512;
const MAX_REPLY: usize = 4096;

/// A password line waiting for the server's verdict.
#[derive(Debug)]
struct Attempt {
    credential: Credential,
    /// What the server said since, lowercased.
    reply: Vec<u8>,
    /// Typed at a shell's prompt after the login.
    in_shell: bool,
}

#[derive(Debug, Default)]
pub struct Telnet {
    decoders: [Decoder; 2],
    editor: LineEditor,
    session: Session,
}

#[derive(Debug, Default)]
struct Session {
    /// The server's current line.
    tail: Vec<u8>,
    /// The prompt the next line answers.
    expect: Option<Prompt>,
    user: Option<(Vec<u8>, Vec<u64>)>,
    /// The NEW-ENVIRON `USER` variable and the frame that carried it.
    environ_user: Option<(Vec<u8>, u64)>,
    /// The server took over echoing (WILL ECHO) after a user name: a password follows.
    echo_off: bool,
    attempt: Option<Attempt>,
    logged_in: bool,
    /// (user, secret) pairs already reported on this connection.
    reported: Vec<(Option<Vec<u8>>, Vec<u8>)>,
    /// Server text has been seen.
    server_seen: bool,
    /// The server's prompts may have been lost (a gap in its direction since the last
    /// prompt recognised): the echo of keystrokes has to tell user names from passwords.
    blind: bool,
    /// Server bytes received while the client was in the middle of a line: its echo.
    echoed: usize,
}

fn contains_any(hay: &[u8], words: &[&[u8]]) -> bool {
    words.iter().any(|w| contains(hay, w))
}

impl Session {
    /// Text from the server. `typing`: the client has started a line, so the server's
    /// text since the prompt is its echo and the prompt still stands.
    fn server_text(&mut self, text: &[u8], typing: bool, out: &mut Vec<Credential>) {
        self.server_seen = true;
        if typing {
            self.echoed += text.len();
        }
        if let Some(a) = self.attempt.as_mut() {
            let room = MAX_REPLY.saturating_sub(a.reply.len());
            a.reply
                .extend(text.iter().take(room).map(u8::to_ascii_lowercase));
        }
        for &b in text {
            if b == b'\n' || b == b'\r' {
                self.tail.clear();
            } else if b != 0 {
                if self.tail.len() >= MAX_TAIL {
                    self.tail.drain(..MAX_TAIL / 2);
                }
                self.tail.push(b);
            }
        }
        self.judge(out);
        if !typing {
            self.expect = match classify_prompt(&self.tail) {
                Some(Prompt::User) if self.logged_in => None,
                p => p,
            };
            if self.expect.is_some() {
                self.blind = false;
            }
        }
    }

    /// Decides the pending attempt's outcome from what the server said, if it can.
    fn judge(&mut self, out: &mut Vec<Credential>) {
        let Some(a) = self.attempt.as_ref() else {
            return;
        };
        let prompt = classify_prompt(&self.tail);
        let outcome = if contains_any(&a.reply, FAILURE_WORDS) {
            Some(Outcome::Failure)
        } else if contains_any(&a.reply, SUCCESS_WORDS) {
            Some(Outcome::Success)
        } else if a.in_shell {
            // After the login, new prompts (retype the password) decide nothing, and a
            // shell prompt only says the command ended.
            if prompt.is_none() && is_shell_prompt(&self.tail) {
                Some(Outcome::Unknown)
            } else {
                None
            }
        } else if prompt.is_some() {
            Some(Outcome::Failure)
        } else if is_shell_prompt(&self.tail) {
            Some(Outcome::Success)
        } else {
            None
        };
        if let Some(outcome) = outcome
            && let Some(mut a) = self.attempt.take()
        {
            a.credential.outcome = outcome;
            if outcome == Outcome::Success && !a.in_shell {
                self.logged_in = true;
            }
            out.push(a.credential);
        }
    }

    fn negotiation(&mut self, verb: u8, option: u8) {
        if option == OPT_ECHO {
            match verb {
                WILL if self.user.is_some() => self.echo_off = true,
                WONT => self.echo_off = false,
                _ => {}
            }
        }
    }

    fn client_line(&mut self, line: TypedLine<'_>, out: &mut Vec<Credential>) {
        let echoed = std::mem::take(&mut self.echoed);
        let expect = self.expect.take();
        let password = match expect {
            Some(Prompt::User) => {
                if !line.text.is_empty() {
                    if let Some(a) = self.attempt.take() {
                        out.push(a.credential);
                    }
                    self.user = Some((line.text.to_vec(), line.frames.to_vec()));
                    self.echo_off = false;
                } else {
                    self.expect = Some(Prompt::User);
                }
                return;
            }
            Some(Prompt::Password) => true,
            None if self.logged_in || self.attempt.is_some() => false,
            None if self.echo_off && self.user.is_some() => true,
            None if self.blind || !self.server_seen => {
                // No prompt to go by: a line the server echoed is a user name, the
                // unechoed line after it a password.
                if !line.text.is_empty() && echoed * 2 >= line.text.len() {
                    self.user = Some((line.text.to_vec(), line.frames.to_vec()));
                    return;
                }
                self.user.is_some() || self.environ_user.is_some()
            }
            None => false,
        };
        if !password || line.text.is_empty() {
            return;
        }
        self.echo_off = false;
        let (user, user_frames) = match (&self.user, &self.environ_user) {
            (Some((u, frames)), _) => (Some(u.clone()), frames.clone()),
            (None, Some((u, frame))) => (Some(u.clone()), vec![*frame]),
            (None, None) => (None, Vec::new()),
        };
        let in_shell = self.logged_in;
        if in_shell {
            // Report each secret once: re-typed confirmations and the login password
            // entered again (passwd asks for it) are not new.
            if let Some(a) = self.attempt.as_mut()
                && a.credential.secret.as_deref() == Some(line.text)
            {
                a.credential.add_frames(line.frames.iter().copied());
                return;
            }
            let key = (user.clone(), line.text.to_vec());
            if self.reported.contains(&key) {
                return;
            }
        }
        if let Some(a) = self.attempt.take() {
            out.push(a.credential);
        }
        let mechanism = if in_shell {
            "shell password prompt"
        } else {
            "login"
        };
        let mut c = Credential::new("telnet", mechanism, Kind::Cleartext, line.ts);
        if !in_shell {
            c.add_frames(user_frames);
        }
        c.username = user.clone();
        c.secret = Some(line.text.to_vec());
        c.add_frames(line.frames.iter().copied());
        self.reported.push((user, line.text.to_vec()));
        self.attempt = Some(Attempt {
            credential: c,
            reply: Vec::new(),
            in_shell,
        });
    }
}

impl Dissector for Telnet {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Telnet {
            decoders,
            editor,
            session,
        } = self;
        match dir {
            Direction::ToClient => decoders[1].feed(chunk.data, |ev| match ev {
                Event::Data(d) => session.server_text(d, !editor.current().is_empty(), out),
                Event::Negotiation { verb, option } => session.negotiation(verb, option),
                _ => {}
            }),
            Direction::ToServer => decoders[0].feed(chunk.data, |ev| match ev {
                Event::Data(d) => {
                    editor.feed(d, chunk.frame, chunk.ts, |line| {
                        session.client_line(line, out)
                    });
                }
                Event::Command(EC) => editor.erase_char(),
                Event::Command(EL) | Event::Command(IP) => editor.erase_line(),
                Event::Subnegotiation {
                    option: OPT_NEW_ENVIRON,
                    data,
                } => {
                    if let Some(u) = environ_user(data) {
                        session.environ_user = Some((u, chunk.frame));
                    }
                }
                _ => {}
            }),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        self.decoders[dir.index()].reset();
        match dir {
            Direction::ToServer => self.editor.reset(),
            Direction::ToClient => {
                self.session.tail.clear();
                self.session.blind = true;
            }
        }
    }

    fn lines_too_long(&self) -> u64 {
        self.editor.overlong
    }

    fn buffered(&self) -> usize {
        let s = &self.session;
        self.decoders.iter().map(|d| d.sb.capacity()).sum::<usize>()
            + self.editor.current().len()
            + s.tail.capacity()
            + s.attempt.as_ref().map_or(0, |a| a.reply.capacity() + 64)
            + s.reported
                .iter()
                .map(|(u, p)| u.as_ref().map_or(0, Vec::len) + p.len())
                .sum::<usize>()
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        // The server's verdict never came: the outcome stays unknown.
        if let Some(a) = s.attempt.take() {
            out.push(a.credential);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Telnet::default(), script).0
    }

    fn keys(s: &[u8]) -> Vec<(Direction, &[u8])> {
        s.chunks(1).map(|c| (C, c)).collect()
    }

    #[test]
    fn decoder_strips_negotiation_and_unescapes_across_splits() {
        let stream: &[u8] =
            b"\xff\xfd\x18ab\xff\xffc\xff\xfa\x27\x00\x00USER\x01bob\xff\xf0d\xff\xf7";
        for cut in 0..stream.len() {
            let mut dec = Decoder::default();
            let mut data = Vec::new();
            let mut subs = Vec::new();
            let mut cmds = Vec::new();
            for part in [&stream[..cut], &stream[cut..]] {
                dec.feed(part, |e| match e {
                    Event::Data(d) => data.extend_from_slice(d),
                    Event::Subnegotiation { option, data } => subs.push((option, data.to_vec())),
                    Event::Command(c) => cmds.push(c),
                    Event::Negotiation { .. } => {}
                });
            }
            assert_eq!(data, b"ab\xffcd", "cut at {cut}");
            assert_eq!(subs, vec![(39, b"\x00\x00USER\x01bob".to_vec())]);
            assert_eq!(cmds, vec![EC]);
        }
        assert_eq!(environ_user(b"\x00\x00USER\x01bob"), Some(b"bob".to_vec()));
        assert_eq!(environ_user(b"\x00\x00DISPLAY\x01x:0"), None);
    }

    #[test]
    fn prompts() {
        assert_eq!(classify_prompt(b"login: "), Some(Prompt::User));
        assert_eq!(classify_prompt(b"laptop login:"), Some(Prompt::User));
        assert_eq!(classify_prompt(b"Username:"), Some(Prompt::User));
        assert_eq!(classify_prompt(b"Password: "), Some(Prompt::Password));
        assert_eq!(
            classify_prompt(b"[sudo] password for ccso: "),
            Some(Prompt::Password)
        );
        assert_eq!(classify_prompt(b"Last login: Thu Dec 2"), None);
        assert_eq!(classify_prompt(b"$ "), None);
    }

    #[test]
    fn character_mode_with_backspace_then_success() {
        let mut script: Vec<(Direction, &[u8])> =
            vec![(S, b"\xff\xfb\x01\xff\xfb\x03Debian\r\nhost login: ")];
        script.extend(keys(b"alice\r\0"));
        script.push((S, b"Password: "));
        script.extend(keys(b"s3cx\x7fret\r\0"));
        script.push((S, b"\r\nLast login: Mon\r\n$ "));
        let out = run(&script);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"s3cret"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn linemode_failure_then_retry() {
        let out = run(&[
            (S, b"\xff\xfd\x03login: "),
            (C, b"bob\r\n"),
            (S, b"\xff\xfb\x01Password:"),
            (C, b"wrong\r\n"),
            (S, b"\r\nLogin incorrect\r\nlogin: "),
            (C, b"bob\r\n"),
            (S, b"Password:"),
            (C, b"right\r\n"),
            (S, b"\xff\xfc\x01\r\nWelcome\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].secret.as_deref(), Some(&b"right"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
    }

    #[test]
    fn prompt_split_across_segments_and_echo() {
        let mut script: Vec<(Direction, &[u8])> =
            vec![(S, b"\xff\xfb\x01lo"), (S, b"gin"), (S, b": ")];
        for k in [b"r", b"o", b"o", b"t"] {
            script.push((C, k));
            script.push((S, k)); // the server echoes each character
        }
        script.push((C, b"\r\n"));
        script.push((S, b"\r\nPass"));
        script.push((S, b"word: "));
        script.extend(keys(b"toor\r\n"));
        script.push((S, b"\r\n# "));
        let out = run(&script);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].username.as_deref(), Some(&b"root"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"toor"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn environ_user_and_password_only_prompt() {
        let out = run(&[
            (C, b"\xff\xfa\x27\x00\x00USER\x01carol\xff\xf0"),
            (S, b"Password: "),
            (C, b"pw\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].username.as_deref(), Some(&b"carol"[..]));
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // The frame that carried the user name (NEW-ENVIRON) is among the frames.
        assert_eq!(out[0].frames, vec![1, 3]);
    }

    #[test]
    fn shell_password_change_reported_once() {
        let out = run(&[
            (S, b"login: "),
            (C, b"ccso\r\n"),
            (S, b"Password: "),
            (C, b"old\r\n"),
            (S, b"\r\nLast login: x\r\n[ccso@h ~]$ "),
            (C, b"passwd\r\n"),
            (
                S,
                b"Changing password for user ccso.\r\n(current) UNIX password: ",
            ),
            (C, b"old\r\n"),
            (S, b"\r\nNew password: "),
            (C, b"new\r\n"),
            (S, b"\r\nRetype new password: "),
            (C, b"new\r\n"),
            (
                S,
                b"\r\npasswd: all authentication tokens updated successfully.\r\n[ccso@h ~]$ ",
            ),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[1].secret.as_deref(), Some(&b"new"[..]));
        assert_eq!(out[1].mechanism, "shell password prompt");
        assert_eq!(out[1].outcome, Outcome::Success);
    }

    #[test]
    fn prompts_lost_to_a_gap_echo_tells_user_from_password() {
        let mut d = Telnet::default();
        let mut out = Vec::new();
        let mut feed = |d: &mut Telnet, dir, data: &[u8]| {
            d.data(
                dir,
                Chunk {
                    data,
                    frame: 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            )
        };
        feed(&mut d, S, b"\xff\xfd\x18Ubuntu");
        d.gap(S, 23, &mut Vec::new());
        for k in [b"a", b"d", b"m", b"i", b"n"] {
            feed(&mut d, C, k);
            feed(&mut d, S, k); // echoed: a user name
        }
        feed(&mut d, C, b"\r\0");
        feed(&mut d, S, b"\r\nPass");
        d.gap(S, 6, &mut Vec::new());
        for k in [b"p", b"w", b"\r"] {
            feed(&mut d, C, k); // not echoed: a password
        }
        d.close(&mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].username.as_deref(), Some(&b"admin"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"pw"[..]));
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"", b"\xff\xfd\x18\xff\xfd\x20"), Probe::Yes);
        assert_eq!(probe(b"", b"Ubuntu\r\nhost login: "), Probe::Yes);
        assert_eq!(probe(b"", b"SSH-2.0-OpenSSH_9.2\r\n"), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"\x16\x03\x01"), Probe::No);
    }
}
