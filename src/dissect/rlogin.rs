//! rlogin (RFC 1282): the user name of the handshake and the password typed at the
//! server's prompt.
//!
//! The client opens with `\0client-user\0server-user\0terminal/speed\0` and the server
//! acknowledges with one `\0`. When the server does not trust the client's host
//! (`.rhosts`, `hosts.equiv`), `login` asks for the password of `server-user`, and the
//! user types it. From there on an rlogin session is a terminal session like Telnet's,
//! without option negotiation: the stream (minus the client's window-size messages,
//! `FF FF 's' 's'` and 8 bytes) is handed to the Telnet dissector ([`super::telnet`]),
//! whose line editor (`keystrokes`) rebuilds what was typed (backspace, `^U`, `^W`) and
//! whose prompt and reply reading decides the outcome (`Last login`, a welcome or a shell
//! prompt: success; `Login incorrect` or a new prompt: failure). Its findings become
//! rlogin's: mechanism `login` (or `shell password prompt` for passwords typed later at
//! `passwd`/`sudo`/`su`), user name the handshake's `server-user` unless the user typed
//! another at a new `login:` prompt, `details.client_user` the client's local account.
//! A login the server trusts asks for nothing and gives no finding.

use super::telnet;
use super::{Chunk, Dissector, DissectorConfig, Probe, ProtocolSpec};
use crate::finding::Credential;
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "rlogin",
    tcp_ports: &[513],
    probe,
    new: |config| Box::new(Rlogin::new(config)),
};

/// Longest handshake kept (user names and the terminal type are short).
const MAX_HANDSHAKE: usize = 1024;
/// The window-size message: magic cookie and four 16-bit numbers.
const WINDOW_MAGIC: [u8; 4] = [0xff, 0xff, b's', b's'];
const WINDOW_LEN: usize = 12;

/// The client's opening: client user, server user, `terminal/speed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    pub client_user: Vec<u8>,
    pub server_user: Vec<u8>,
    pub terminal: Vec<u8>,
    /// Bytes it took.
    pub len: usize,
}

/// Parses the client's handshake; `Err(true)` when more bytes are needed, `Err(false)`
/// when this is not one.
pub fn parse_handshake(d: &[u8]) -> Result<Handshake, bool> {
    match d.first() {
        None => return Err(true),
        Some(0) => {}
        Some(_) => return Err(false),
    }
    let mut fields: Vec<&[u8]> = Vec::with_capacity(3);
    let mut at = 1;
    while fields.len() < 3 {
        let rest = d.get(at..).unwrap_or_default();
        match rest.iter().position(|&b| b == 0) {
            Some(n) => {
                fields.push(&rest[..n]);
                at += n + 1;
            }
            None => {
                let plausible =
                    rest.len() <= 256 && rest.iter().all(|&b| b.is_ascii_graphic() || b == b'/');
                return Err(plausible);
            }
        }
    }
    let ok = |f: &[u8]| f.len() <= 256 && f.iter().all(u8::is_ascii_graphic);
    if !fields.iter().all(|f| ok(f)) {
        return Err(false);
    }
    Ok(Handshake {
        client_user: fields[0].to_vec(),
        server_user: fields[1].to_vec(),
        terminal: fields[2].to_vec(),
        len: at,
    })
}

/// rlogin when the client opens with the handshake and the terminal field is
/// `type/speed`; the server never speaks first.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    match parse_handshake(to_server) {
        Ok(h) => {
            let speed = h
                .terminal
                .iter()
                .position(|&b| b == b'/')
                .map(|i| &h.terminal[i + 1..]);
            let speed_ok = speed.is_some_and(|s| !s.is_empty() && s.iter().all(u8::is_ascii_digit));
            if !speed_ok || h.server_user.is_empty() {
                return Probe::No;
            }
            match to_client.first() {
                None | Some(0) => Probe::Yes,
                Some(_) => Probe::No,
            }
        }
        Err(true) if to_client.is_empty() || to_client == b"\0" => Probe::Maybe,
        Err(_) => Probe::No,
    }
}

#[derive(Debug)]
enum Stage {
    /// Collecting the client's handshake.
    Handshake(Vec<u8>),
    Session(Handshake),
    /// Not a handshake: nothing to follow.
    Lost,
}

pub struct Rlogin {
    stage: Stage,
    handshake_frames: Vec<u64>,
    /// The server's acknowledging `\0` is still to come.
    server_ack: bool,
    /// A window-size message in progress (client side).
    window: Vec<u8>,
    /// The terminal session, read as Telnet reads one.
    terminal: Box<dyn Dissector>,
}

impl std::fmt::Debug for Rlogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rlogin")
            .field("stage", &self.stage)
            .finish()
    }
}

/// Doubles `0xff` so the Telnet decoder takes it as data (rlogin has no commands).
fn escape(data: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !data.contains(&0xff) {
        return std::borrow::Cow::Borrowed(data);
    }
    let mut v = Vec::with_capacity(data.len() + 8);
    for &b in data {
        v.push(b);
        if b == 0xff {
            v.push(0xff);
        }
    }
    std::borrow::Cow::Owned(v)
}

impl Rlogin {
    pub fn new(config: &DissectorConfig) -> Rlogin {
        Rlogin {
            stage: Stage::Handshake(Vec::new()),
            handshake_frames: Vec::new(),
            server_ack: true,
            window: Vec::new(),
            terminal: (telnet::SPEC.new)(config),
        }
    }

    /// Removes window-size messages from the client's bytes.
    fn keystrokes(&mut self, data: &[u8]) -> Vec<u8> {
        let mut keys = Vec::with_capacity(data.len());
        for &b in data {
            if self.window.is_empty() && b != 0xff {
                keys.push(b);
                continue;
            }
            self.window.push(b);
            let n = self.window.len();
            if n <= WINDOW_MAGIC.len() && self.window[..] != WINDOW_MAGIC[..n] {
                // Not a window-size message after all: plain bytes.
                keys.append(&mut self.window);
            } else if n == WINDOW_LEN {
                self.window.clear();
            }
        }
        keys
    }

    /// The terminal session's findings, made rlogin's.
    fn adopt(&self, found: Vec<Credential>, out: &mut Vec<Credential>) {
        let Stage::Session(h) = &self.stage else {
            return;
        };
        for mut c in found {
            c.protocol = std::borrow::Cow::Borrowed("rlogin");
            if c.username.is_none() && !h.server_user.is_empty() {
                c.username = Some(h.server_user.clone());
                if c.mechanism == "login" {
                    c.add_frames(self.handshake_frames.iter().copied());
                }
            }
            if !h.client_user.is_empty() {
                c.details.push((
                    "client_user",
                    String::from_utf8_lossy(&h.client_user).into_owned(),
                ));
            }
            out.push(c);
        }
    }

    fn feed_terminal(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let data = match dir {
            Direction::ToServer => self.keystrokes(chunk.data),
            Direction::ToClient => chunk.data.to_vec(),
        };
        if data.is_empty() {
            return;
        }
        let escaped = escape(&data);
        let mut found = Vec::new();
        self.terminal.data(
            dir,
            Chunk {
                data: &escaped,
                frame: chunk.frame,
                ts: chunk.ts,
            },
            &mut found,
        );
        self.adopt(found, out);
    }
}

impl Dissector for Rlogin {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        match (&mut self.stage, dir) {
            (Stage::Lost, _) => {}
            (Stage::Handshake(buf), Direction::ToServer) => {
                let room = MAX_HANDSHAKE.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk.data[..chunk.data.len().min(room)]);
                self.handshake_frames.push(chunk.frame);
                match parse_handshake(buf) {
                    Ok(h) => {
                        let rest = buf.get(h.len..).unwrap_or_default().to_vec();
                        self.stage = Stage::Session(h);
                        if !rest.is_empty() {
                            self.feed_terminal(
                                dir,
                                Chunk {
                                    data: &rest,
                                    ..chunk
                                },
                                out,
                            );
                        }
                    }
                    Err(true) if buf.len() < MAX_HANDSHAKE => {}
                    Err(_) => self.stage = Stage::Lost,
                }
            }
            // The server does not speak before the handshake.
            (Stage::Handshake(_), Direction::ToClient) => {}
            (Stage::Session(_), Direction::ToClient) => {
                let mut data = chunk.data;
                if std::mem::take(&mut self.server_ack) && data.first() == Some(&0) {
                    data = &data[1..];
                }
                if !data.is_empty() {
                    self.feed_terminal(dir, Chunk { data, ..chunk }, out);
                }
            }
            (Stage::Session(_), Direction::ToServer) => self.feed_terminal(dir, chunk, out),
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        match self.stage {
            Stage::Handshake(_) => self.stage = Stage::Lost,
            Stage::Session(_) => {
                if dir == Direction::ToServer {
                    self.window.clear();
                }
                let mut found = Vec::new();
                self.terminal.gap(dir, len, &mut found);
                self.adopt(found, out);
            }
            Stage::Lost => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        let mut found = Vec::new();
        self.terminal.close(&mut found);
        self.adopt(found, out);
    }

    fn lines_too_long(&self) -> u64 {
        self.terminal.lines_too_long()
    }

    fn buffered(&self) -> usize {
        let stage = match &self.stage {
            Stage::Handshake(b) => b.capacity(),
            Stage::Session(h) => h.client_user.len() + h.server_user.len() + h.terminal.len(),
            Stage::Lost => 0,
        };
        stage + self.window.capacity() + self.terminal.buffered() + self.handshake_frames.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Outcome;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Rlogin::new(&DissectorConfig::default()), script).0
    }

    fn keys(s: &'static [u8]) -> Vec<(Direction, &'static [u8])> {
        s.chunks(1).map(|c| (C, c)).collect()
    }

    #[test]
    fn handshake_password_with_backspace_then_success() {
        let mut script: Vec<(Direction, &[u8])> = vec![
            (C, b"\0"),
            (C, b"alice\0root\0xterm/38400\0"),
            (S, b"\0"),
            (S, b"\x80"),
            (C, b"\xff\xffss\x00\x18\x00\x50\x00\x00\x00\x00"),
            (S, b"Password: "),
        ];
        script.extend(keys(b"t00rx\x7f!\r"));
        script.push((S, b"\r\nLast login: Mon Jan  1 from host\r\nroot@box:~# "));
        let out = run(&script);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.protocol, "rlogin");
        assert_eq!(c.mechanism, "login");
        assert_eq!(c.username.as_deref(), Some(&b"root"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"t00r!"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.details, vec![("client_user", "alice".to_string())]);
        // The handshake frames and every keystroke.
        assert_eq!(c.frames, (1..=2).chain(7..=14).collect::<Vec<u64>>());
    }

    #[test]
    fn failure_then_new_login_prompt() {
        let out = run(&[
            (C, b"\0bob\0bob\0vt100/9600\0"),
            (S, b"\0Password: "),
            (C, b"wrong\r"),
            (S, b"\r\nLogin incorrect\r\nlogin: "),
            (C, b"carol\r"),
            (S, b"carol\r\nPassword: "),
            (C, b"c4rol\r"),
            (S, b"\r\n$ "),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].username.as_deref(), Some(&b"carol"[..]));
        assert_eq!(out[1].secret.as_deref(), Some(&b"c4rol"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
    }

    #[test]
    fn trusted_host_gives_nothing_and_ff_bytes_survive() {
        let out = run(&[
            (C, b"\0u\0u\0xterm/38400\0"),
            (S, b"\0Last login: yesterday\r\nu@h:~$ "),
            (C, b"ls\r"),
            (S, b"ls\r\nfile\r\nu@h:~$ "),
        ]);
        assert!(out.is_empty());
        let out = run(&[
            (C, b"\0u\0u\0xterm/38400\0"),
            (S, b"\0Password: "),
            (C, b"p\xff\xffw\r"), // not a window message: the bytes are typed
            (S, b"\r\nLogin incorrect\r\n"),
        ]);
        assert_eq!(out[0].secret.as_deref(), Some(&b"p\xff\xffw"[..]));
    }

    #[test]
    fn handshake_parser_and_probe() {
        let h = parse_handshake(b"\0a\0b\0xterm/38400\0rest").unwrap();
        assert_eq!(h.client_user, b"a");
        assert_eq!(h.server_user, b"b");
        assert_eq!(h.terminal, b"xterm/38400");
        assert_eq!(h.len, 17);
        assert_eq!(parse_handshake(b"\0a\0b"), Err(true));
        assert_eq!(parse_handshake(b"GET"), Err(false));
        assert_eq!(probe(b"\0a\0b\0xterm/38400\0", b""), Probe::Yes);
        assert_eq!(probe(b"\0a\0b\0xterm/38400\0", b"\0"), Probe::Yes);
        assert_eq!(probe(b"\0a\0b\0xte", b""), Probe::Maybe);
        assert_eq!(probe(b"\0", b""), Probe::Maybe);
        assert_eq!(probe(b"\0a\0b\0xterm\0", b""), Probe::No);
        assert_eq!(probe(b"", b"login: "), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01", b""), Probe::No);
        assert_eq!(probe(b"\0\0\0\0\0\0\0\0", b""), Probe::No);
    }
}
