//! memcached authentication, TCP 11211: SASL in the binary protocol, and the text
//! protocol's authentication by a first `set` (memcached's `-Y` auth file).
//!
//! **Binary protocol** (memcached started with `-S`; libmemcached, spymemcached, pylibmc):
//! every message is a 24-byte header (magic `0x80` request / `0x81` response, opcode, key
//! length, extras length, data type, status, total body length, opaque, CAS) and a body
//! of extras, key and value. `SASL Auth` (opcode `0x21`) carries the mechanism name as its
//! key and the client's first data as its value, `SASL Step` (`0x22`) the next ones; a
//! response's status says `0x0021` (go on: its value is the server's challenge), `0x0000`
//! (authenticated) or `0x0020` (authentication error). The mechanism's bytes go through
//! the shared SASL layer: `SASL PLAIN` (user name and password, cleartext), `SASL
//! CRAM-MD5` (hashcat 10200), `SASL LOGIN`...
//!
//! **Text protocol** (memcached 1.5.15 and later with `-Y FILE`): until a client has
//! authenticated, every command but `set` is refused (`CLIENT_ERROR unauthenticated`),
//! and the value of a `set` (whatever its key) is `username SP password`: `STORED` when
//! they match a line of the file, `CLIENT_ERROR authentication failure` otherwise.
//! Mechanism `ASCII authentication`. Only a `set` before the server has served anything
//! else is read so: once a connection stores or reads items without being refused, its
//! server wants no login and values are data. (A server without an auth file stores a
//! first value of that shape alike: a connection whose very first command stores two
//! words is reported, the only case where the capture cannot tell.)

use std::collections::VecDeque;

use base64::Engine as _;

use super::framing::{Framer, Measure};
use super::lines::{LinePair, first_line, split_command};
use super::sasl::{BASE64, Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "memcached",
    tcp_ports: &[11211],
    probe,
    new: |_config| Box::new(Memcached::default()),
};

pub const REQUEST: u8 = 0x80;
pub const RESPONSE: u8 = 0x81;
pub const SASL_LIST_MECHS: u8 = 0x20;
pub const SASL_AUTH: u8 = 0x21;
pub const SASL_STEP: u8 = 0x22;
pub const STATUS_SUCCESS: u16 = 0x0000;
pub const STATUS_AUTH_ERROR: u16 = 0x0020;
pub const STATUS_AUTH_CONTINUE: u16 = 0x0021;

/// Longest key memcached takes.
const MAX_KEY: u16 = 250;
/// The binary header's size.
const HEADER: usize = 24;
/// Longest binary message read (SASL messages are small; a larger message is data and is
/// skipped without being buffered).
const MAX_MESSAGE: usize = HEADER + 4096;
/// Commands (binary or text) read before a server that asked for no login is left alone.
const MAX_COMMANDS: u32 = 16;
/// Longest `set` value read as a login.
const MAX_LOGIN: usize = 512;

/// A binary message's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub magic: u8,
    pub opcode: u8,
    pub key_len: u16,
    pub extras_len: u8,
    pub data_type: u8,
    /// vbucket id in requests, status in responses.
    pub status: u16,
    pub body_len: u32,
}

/// Reads a binary header; `None` unless it is one (magic, raw data type, a key of at most
/// memcached's 250 bytes, a body that holds its extras and key).
pub fn parse_header(b: &[u8]) -> Option<Header> {
    let h = b.get(..HEADER)?;
    let header = Header {
        magic: h[0],
        opcode: h[1],
        key_len: u16::from_be_bytes([h[2], h[3]]),
        extras_len: h[4],
        data_type: h[5],
        status: u16::from_be_bytes([h[6], h[7]]),
        body_len: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
    };
    let fits =
        u64::from(header.key_len) + u64::from(header.extras_len) <= u64::from(header.body_len);
    (matches!(header.magic, REQUEST | RESPONSE)
        && header.data_type == 0
        && header.key_len <= MAX_KEY
        && fits)
        .then_some(header)
}

/// A whole binary message's key and value.
fn key_value<'a>(h: &Header, msg: &'a [u8]) -> (&'a [u8], &'a [u8]) {
    let body = msg.get(HEADER..).unwrap_or_default();
    let key_start = usize::from(h.extras_len).min(body.len());
    let key_end = (key_start + usize::from(h.key_len)).min(body.len());
    (&body[key_start..key_end], &body[key_end..])
}

/// Commands of the text protocol a client may start with.
const TEXT_COMMANDS: &[&[u8]] = &[
    b"set",
    b"get",
    b"gets",
    b"gat",
    b"gats",
    b"add",
    b"replace",
    b"append",
    b"prepend",
    b"cas",
    b"delete",
    b"incr",
    b"decr",
    b"touch",
    b"stats",
    b"version",
    b"verbosity",
    b"flush_all",
    b"quit",
    b"mg",
    b"ms",
    b"md",
    b"ma",
    b"mn",
    b"me",
    b"lru_crawler",
    b"watch",
    b"slabs",
    b"lru",
    b"cache_memlimit",
    b"shutdown",
    b"misbehave",
];

/// Replies only memcached's text protocol gives.
const TEXT_REPLIES: &[&[u8]] = &[
    b"STORED",
    b"NOT_STORED",
    b"EXISTS",
    b"NOT_FOUND",
    b"END",
    b"DELETED",
    b"TOUCHED",
    b"CLIENT_ERROR ",
    b"SERVER_ERROR ",
    b"VALUE ",
    b"VERSION ",
    b"STAT ",
];

/// A `set` command line's value length (`set <key> <flags> <exptime> <bytes> [noreply]`).
fn set_length(line: &[u8]) -> Option<usize> {
    let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    if words.next()? != b"set" {
        return None;
    }
    let _key = words.next()?;
    let mut numbers = [0u64; 3];
    for n in &mut numbers {
        let w = words.next()?;
        if w.is_empty() || w.len() > 20 || !w.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *n = std::str::from_utf8(w).ok()?.parse().ok()?;
    }
    usize::try_from(numbers[2]).ok()
}

/// The `username password` of a text-protocol login value.
pub fn parse_login(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = memchr::memchr(b' ', value)?;
    let (user, password) = (&value[..i], &value[i + 1..]);
    let token = |t: &[u8]| !t.is_empty() && t.iter().all(u8::is_ascii_graphic);
    (token(user) && token(password)).then_some((user, password))
}

/// memcached: a binary SASL request (Yes), any other binary request or a text command
/// (Maybe), a text reply only memcached gives to a client's command (Yes).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    match to_server.first() {
        None => {}
        Some(&REQUEST) => {
            if to_server.len() < HEADER {
                return match to_server.get(1) {
                    Some(&op) if op > 0x48 => Probe::No,
                    _ => Probe::Maybe,
                };
            }
            return match parse_header(to_server) {
                Some(h) if matches!(h.opcode, SASL_LIST_MECHS..=SASL_STEP) && h.extras_len == 0 => {
                    Probe::Yes
                }
                Some(h) if h.opcode <= 0x48 => Probe::Maybe,
                _ => Probe::No,
            };
        }
        Some(b'a'..=b'z') => {
            let Some(line) = first_line(to_server) else {
                let head = &to_server[..to_server.len().min(16)];
                return match memchr::memchr(b' ', head) {
                    Some(i) if TEXT_COMMANDS.contains(&&head[..i]) => Probe::Maybe,
                    None if head.len() < 16 && head.iter().all(u8::is_ascii_lowercase) => {
                        Probe::Maybe
                    }
                    _ => Probe::No,
                };
            };
            let verb = split_command(line).0;
            if !TEXT_COMMANDS.contains(&verb) {
                return Probe::No;
            }
            return match first_line(to_client) {
                Some(reply) if TEXT_REPLIES.iter().any(|r| reply.starts_with(r)) => Probe::Yes,
                Some(_) => Probe::No,
                None => Probe::Maybe,
            };
        }
        Some(_) => return Probe::No,
    }
    match to_client.first() {
        None => Probe::Maybe,
        Some(&RESPONSE) => Probe::Maybe,
        Some(_) => Probe::No,
    }
}

fn measure(b: &[u8]) -> Measure {
    if b.len() < HEADER {
        return if matches!(b.first(), Some(&REQUEST | &RESPONSE)) {
            Measure::More
        } else {
            Measure::Invalid
        };
    }
    match parse_header(b) {
        Some(h) => Measure::Total(HEADER + h.body_len as usize),
        None => Measure::Invalid,
    }
}

/// A text command waiting for its reply.
#[derive(Debug)]
enum Pending {
    Login(Box<Credential>),
    Other,
}

/// The text protocol's state.
#[derive(Debug, Default)]
struct Text {
    lines: LinePair,
    /// A `set` of this many value bytes was read: its value line is next.
    value: Option<usize>,
    /// The value line of a `set` that is not a login: passed over.
    skip_value: bool,
    pending: VecDeque<Pending>,
    /// The `set` command line's frames, for the login read from its value.
    frames: Vec<u64>,
}

#[derive(Debug, Default)]
pub struct Memcached {
    /// The binary protocol (the client's first byte is its request magic).
    binary: Option<bool>,
    framers: Option<Box<[Framer; 2]>>,
    text: Text,
    /// The binary SASL exchange in progress (`None` inside: a mechanism that exposes
    /// nothing).
    sasl: Option<Option<Exchange>>,
    /// Commands read that were no login.
    commands: u32,
    done: bool,
}

impl Memcached {
    fn enough(&mut self) {
        self.commands += 1;
        if self.commands >= MAX_COMMANDS && self.sasl.is_none() && self.text.pending.is_empty() {
            self.done = true;
        }
    }

    fn client_message(&mut self, h: Header, msg: &[u8], frames: &[u64], ts: Timestamp) {
        if h.magic != REQUEST {
            self.done = true;
            return;
        }
        let (key, value) = key_value(&h, msg);
        match h.opcode {
            SASL_AUTH => {
                let mut exchange = Exchange::start(key);
                if let Some(x) = exchange.as_mut()
                    && !value.is_empty()
                    && let Step::Cancelled | Step::Invalid =
                        x.client_response(BASE64.encode(value).as_bytes(), frames, ts)
                {
                    exchange = None;
                }
                self.sasl = Some(exchange);
            }
            SASL_STEP => {
                if let Some(Some(x)) = self.sasl.as_mut()
                    && let Step::Cancelled | Step::Invalid =
                        x.client_response(BASE64.encode(value).as_bytes(), frames, ts)
                {
                    self.sasl = Some(None);
                }
            }
            SASL_LIST_MECHS => {}
            _ => self.enough(),
        }
    }

    fn server_message(&mut self, h: Header, msg: &[u8], out: &mut Vec<Credential>) {
        if h.magic != RESPONSE {
            self.done = true;
            return;
        }
        if !matches!(h.opcode, SASL_AUTH | SASL_STEP) {
            return;
        }
        let (_, value) = key_value(&h, msg);
        if h.status == STATUS_AUTH_CONTINUE {
            if let Some(Some(x)) = self.sasl.as_mut() {
                x.server_challenge(BASE64.encode(value).as_bytes());
            }
            return;
        }
        let Some(exchange) = self.sasl.take() else {
            return;
        };
        let Some(mut c) = exchange.and_then(|x| x.credential("memcached", "SASL")) else {
            return;
        };
        c.outcome = match h.status {
            STATUS_SUCCESS => Outcome::Success,
            STATUS_AUTH_ERROR => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        if !value.is_empty() && h.status != STATUS_SUCCESS {
            let shown = &value[..value.len().min(256)];
            c.details
                .push(("reason", String::from_utf8_lossy(shown).into_owned()));
        }
        if c.outcome == Outcome::Success {
            self.done = true;
        }
        out.push(c);
    }

    fn binary_data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let i = dir.index();
        let framers = self
            .framers
            .get_or_insert_with(|| Box::new([Framer::new(MAX_MESSAGE), Framer::new(MAX_MESSAGE)]));
        framers[i].push(chunk);
        while !self.done {
            let Some(framers) = self.framers.as_mut() else {
                return;
            };
            if framers[i].is_lost() {
                // Out of step: not memcached's binary protocol after all.
                self.done = true;
                return;
            }
            let Some(msg) = framers[i].next(measure) else {
                return;
            };
            // Login messages are few and small: copied out of the framer to be read.
            let (bytes, frames, ts) = (msg.bytes.to_vec(), msg.frames, msg.ts);
            let Some(h) = parse_header(&bytes) else {
                self.done = true;
                return;
            };
            match dir {
                Direction::ToServer => self.client_message(h, &bytes, &frames, ts),
                Direction::ToClient => self.server_message(h, &bytes, out),
            }
        }
    }

    fn text_client_line(&mut self, text: &[u8], frames: &[u64], ts: Timestamp) {
        let t = &mut self.text;
        if let Some(len) = t.value.take() {
            // The value of a `set`: a login when it has the login's shape.
            match parse_login(text).filter(|_| text.len() == len) {
                Some((user, password)) => {
                    let mut c =
                        Credential::new("memcached", "ASCII authentication", Kind::Cleartext, ts);
                    c.username = Some(user.to_vec());
                    c.secret = Some(password.to_vec());
                    c.add_frames(std::mem::take(&mut t.frames));
                    c.add_frames(frames.iter().copied());
                    t.pending.push_back(Pending::Login(Box::new(c)));
                }
                None => t.pending.push_back(Pending::Other),
            }
            return;
        }
        if std::mem::take(&mut t.skip_value) {
            return;
        }
        match set_length(text) {
            Some(len) if len <= MAX_LOGIN => {
                t.value = Some(len);
                t.frames = frames.to_vec();
            }
            Some(_) => {
                // A value longer than any login: data (a server that asks for a login
                // refuses it, and the client's next `set` is read again).
                t.skip_value = true;
                t.pending.push_back(Pending::Other);
            }
            None => t.pending.push_back(Pending::Other),
        }
        if t.pending.len() > MAX_COMMANDS as usize {
            self.done = true;
        }
    }

    fn text_server_line(&mut self, text: &[u8], out: &mut Vec<Credential>) {
        let Some(pending) = self.text.pending.pop_front() else {
            return;
        };
        match pending {
            Pending::Login(mut c) => {
                if text == b"STORED" {
                    c.outcome = Outcome::Success;
                    self.done = true;
                } else if text.starts_with(b"CLIENT_ERROR authentication failure") {
                    c.outcome = Outcome::Failure;
                } else {
                    // Anything else: no login was asked for (or not this way).
                    self.done = true;
                    return;
                }
                out.push(*c);
            }
            Pending::Other => {
                if !text.starts_with(b"CLIENT_ERROR unauthenticated") {
                    // The server served (or judged) a command without a login: nothing
                    // to find on this connection.
                    self.done = true;
                }
            }
        }
        self.enough();
    }

    fn text_data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        // The readers are set aside while their lines change the session.
        let mut lines = std::mem::take(&mut self.text.lines);
        lines.feed(dir, chunk, |dir, l| {
            if self.done {
                return;
            }
            match dir {
                Direction::ToServer => self.text_client_line(l.text, l.frames, l.ts),
                Direction::ToClient => self.text_server_line(l.text, out),
            }
        });
        self.text.lines = lines;
    }
}

impl Dissector for Memcached {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let binary = match self.binary {
            Some(b) => b,
            None => {
                let Some(&first) = chunk.data.first() else {
                    return;
                };
                let b = match dir {
                    Direction::ToServer => first == REQUEST,
                    Direction::ToClient => first == RESPONSE,
                };
                self.binary = Some(b);
                b
            }
        };
        if binary {
            self.binary_data(dir, chunk, out);
        } else {
            self.text_data(dir, chunk, out);
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        match self.framers.as_mut() {
            Some(f) => f[dir.index()].gap(len),
            None => {
                self.text.lines.gap(dir);
                if dir == Direction::ToServer {
                    // A value line may be among the missing bytes.
                    self.text.value = None;
                    self.text.skip_value = false;
                }
            }
        }
        let _ = out;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self
            .sasl
            .take()
            .flatten()
            .and_then(|x| x.credential("memcached", "SASL"))
        {
            out.push(c);
        }
        for p in self.text.pending.drain(..) {
            if let Pending::Login(c) = p {
                out.push(*c);
            }
        }
    }

    fn done(&self) -> bool {
        self.done
    }

    fn lines_too_long(&self) -> u64 {
        self.text.lines.overlong()
    }

    fn buffered(&self) -> usize {
        self.framers
            .as_ref()
            .map_or(0, |f| f.iter().map(Framer::buffered).sum::<usize>())
            + self.text.lines.buffered()
            + self.text.pending.len() * 64
            + self.text.frames.capacity() * 8
    }
}

/// memcached's binary messages, for tests and fixtures.
pub mod build {
    use super::{HEADER, REQUEST, RESPONSE};

    /// A binary message: `magic`, `opcode`, the status (responses) and key and value.
    pub fn message(magic: u8, opcode: u8, status: u16, key: &[u8], value: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(HEADER + key.len() + value.len());
        m.push(magic);
        m.push(opcode);
        m.extend_from_slice(&(key.len() as u16).to_be_bytes());
        m.push(0);
        m.push(0);
        m.extend_from_slice(&status.to_be_bytes());
        m.extend_from_slice(&((key.len() + value.len()) as u32).to_be_bytes());
        m.extend_from_slice(&[0; 12]);
        m.extend_from_slice(key);
        m.extend_from_slice(value);
        m
    }

    pub fn request(opcode: u8, key: &[u8], value: &[u8]) -> Vec<u8> {
        message(REQUEST, opcode, 0, key, value)
    }

    pub fn response(opcode: u8, status: u16, value: &[u8]) -> Vec<u8> {
        message(RESPONSE, opcode, status, b"", value)
    }
}

#[cfg(test)]
mod tests {
    use super::build::{request, response};
    use super::*;
    use crate::dissect::script::summary;
    use Direction::{ToClient as S, ToServer as C};

    fn run<B: AsRef<[u8]>>(script: &[(Direction, B)]) -> Vec<Credential> {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
        .0
    }

    #[test]
    fn binary_sasl_plain_refused_then_accepted() {
        let out = run(&[
            (C, request(SASL_LIST_MECHS, b"", b"")),
            (S, response(SASL_LIST_MECHS, 0, b"CRAM-MD5 PLAIN")),
            (C, request(SASL_AUTH, b"PLAIN", b"\0mc\0wrong")),
            (S, response(SASL_AUTH, STATUS_AUTH_ERROR, b"Auth failure.")),
            (C, request(SASL_AUTH, b"PLAIN", b"\0mc\0Mc!pw1")),
            (S, response(SASL_AUTH, STATUS_SUCCESS, b"Authenticated")),
        ]);
        assert_eq!(
            summary(&out),
            vec![
                ("SASL PLAIN", &b"mc"[..], &b"wrong"[..], Outcome::Failure),
                ("SASL PLAIN", b"mc", b"Mc!pw1", Outcome::Success),
            ]
        );
        assert_eq!(out[0].detail("reason"), Some("Auth failure."));
        assert_eq!(out[1].frames, vec![5]);
    }

    /// libmemcached's CRAM-MD5, as memcached 1.6 with Cyrus SASL answers it.
    #[test]
    fn binary_sasl_cram_md5_gives_a_hashcat_line() {
        let out = run(&[
            (C, request(SASL_AUTH, b"CRAM-MD5", b"")),
            (
                S,
                response(SASL_AUTH, STATUS_AUTH_CONTINUE, b"<264560771.633458@vm>"),
            ),
            (
                C,
                request(
                    SASL_STEP,
                    b"CRAM-MD5",
                    b"mcuser f2162ee3bd20f5c1c7458e1936e50193",
                ),
            ),
            (S, response(SASL_STEP, STATUS_AUTH_ERROR, b"Auth failure.")),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "SASL CRAM-MD5");
        assert_eq!(out[0].kind, Kind::ChallengeResponse);
        assert_eq!(out[0].username.as_deref(), Some(&b"mcuser"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        let h = out[0].hashcat.as_ref().expect("hashcat line");
        assert_eq!(h.mode, 10200);
        assert_eq!(
            h.hash,
            format!(
                "$cram_md5${}${}",
                BASE64.encode("<264560771.633458@vm>"),
                BASE64.encode("mcuser f2162ee3bd20f5c1c7458e1936e50193")
            )
        );
    }

    /// A server without SASL serves the commands: the connection is left alone.
    #[test]
    fn binary_traffic_without_a_login_ends_the_inspection() {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        for i in 0..MAX_COMMANDS {
            let get = request(0x00, format!("key{i}").as_bytes(), b"");
            d.data(
                C,
                Chunk {
                    data: &get,
                    frame: u64::from(i),
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        assert!(d.done());
        assert!(out.is_empty());
    }

    #[test]
    fn text_login_refused_then_stored() {
        let out = run(&[
            (C, &b"get foo\r\n"[..]),
            (S, b"CLIENT_ERROR unauthenticated\r\n"),
            (C, b"set x 0 0 9\r\nasc wrong\r\n"),
            (S, b"CLIENT_ERROR authentication failure\r\n"),
            (C, b"set auth 0 0 11\r\nasc Asc!pw2\r\n"),
            (S, b"STORED\r\n"),
        ]);
        assert_eq!(
            summary(&out),
            vec![
                (
                    "ASCII authentication",
                    &b"asc"[..],
                    &b"wrong"[..],
                    Outcome::Failure
                ),
                ("ASCII authentication", b"asc", b"Asc!pw2", Outcome::Success),
            ]
        );
        assert_eq!(out[1].frames, vec![5]);
    }

    /// A server that asks for no login stores two-word values as data: once it has
    /// served a command, nothing is read as a login.
    #[test]
    fn text_values_of_a_server_without_login_are_not_logins() {
        let out = run(&[
            (C, &b"get greeting\r\n"[..]),
            (S, b"END\r\n"),
            (C, b"set greeting 0 0 11\r\nhello world\r\n"),
            (S, b"STORED\r\n"),
        ]);
        assert!(out.is_empty(), "{out:?}");
        // A first value of another shape is data, and so is everything after it.
        let out = run(&[
            (C, &b"set k 0 0 5\r\nhello\r\n"[..]),
            (S, b"STORED\r\n"),
            (C, b"set x 0 0 9\r\nasc wrong\r\n"),
            (S, b"STORED\r\n"),
        ]);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn probe_reads_both_protocols() {
        assert_eq!(
            probe(&request(SASL_AUTH, b"PLAIN", b"\0a\0b"), b""),
            Probe::Yes
        );
        assert_eq!(probe(&request(0x00, b"k", b""), b""), Probe::Maybe);
        assert_eq!(probe(b"\x80\x01", b""), Probe::Maybe);
        // An SSLv2-compatible ClientHello starts with 0x80 too (its "key length" is
        // the message type and the version's first byte).
        assert_eq!(
            probe(b"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", b""),
            Probe::No
        );
        assert_eq!(probe(b"set x 0 0 9\r\n", b""), Probe::Maybe);
        assert_eq!(
            probe(b"get foo\r\n", b"CLIENT_ERROR unauthenticated\r\n"),
            Probe::Yes
        );
        assert_eq!(probe(b"get foo\r\n", b"+OK\r\n"), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"*1\r\n$4\r\nPING\r\n", b""), Probe::No);
        assert_eq!(probe(b"ver", b""), Probe::Maybe);
    }
}
