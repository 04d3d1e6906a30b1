//! Redis (RESP2 and RESP3, the Redis serialization protocol specification): passwords of
//! `AUTH` and `HELLO ... AUTH`, with the outcome from the server's reply.
//!
//! - `AUTH password` (requirepass, or the ACL `default` user): no user name, like an SNMP
//!   community; `AUTH username password` (Redis 6 ACL users): mechanism `AUTH`.
//! - `HELLO protover AUTH username password [SETNAME name]`: mechanism `HELLO AUTH`.
//! - Passwords set, not presented: `CONFIG SET requirepass|masterauth password`
//!   (mechanism `CONFIG SET requirepass`, `CONFIG SET masterauth`: the server's own
//!   password, the one a replica gives its master) and `ACL SETUSER name ... >password`
//!   (mechanism `ACL SETUSER`; a `#<SHA-256>` rule is the password's hash: kind
//!   challenge-response, hashcat 1400). The reply `+OK` says it was applied, an error that
//!   it was not.
//!
//! Commands come as RESP arrays of bulk strings (what every client library and `redis-cli`
//! send) or as inline commands (a line of words, with `"..."` and `'...'` quoting, as typed
//! into `telnet`/`nc`). Arguments are streamed: a multi-megabyte `SET` is never buffered,
//! only the first few short arguments of a command are kept.
//!
//! Replies are matched to commands in order, pipelining included: every command gets
//! exactly one reply (RESP3 push messages and attributes are not replies). `+OK` (or, for
//! `HELLO`, the server's map) is success; `-WRONGPASS ...` and `-ERR invalid password`
//! failure, with the error text in `details`; `-ERR ... no password is set` / `... without
//! any password configured` unknown (the server did not judge the password). After a
//! command that breaks the one-reply-per-command rule (`SUBSCRIBE`, `PSUBSCRIBE`,
//! `SSUBSCRIBE`, `MONITOR`, `CLIENT REPLY OFF|SKIP`) or a gap in the capture, replies can no
//! longer be matched: outcomes are then unknown.

use std::collections::VecDeque;

use memchr::memchr;

use super::ftp::looks_like_tls;
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "redis",
    tcp_ports: &[6379],
    probe,
    new: |config| Box::new(Redis::new(config.max_line)),
};

/// Arguments kept per command (`HELLO 3 AUTH user pass SETNAME name` has 7).
const MAX_ARGS: usize = 8;
/// Longest argument kept; longer ones are streamed past.
const MAX_ARG: usize = 4096;
/// Longest `*<n>` / `$<n>` header line.
const MAX_HEADER: usize = 32;
/// Most elements an array of a command may announce (Redis' own limit is 1024*1024).
const MAX_ARRAY: u64 = 1 << 20;
/// Longest bulk string (Redis' proto-max-bulk-len default is 512 MB).
const MAX_BULK: u64 = 512 << 20;
/// The part of a reply's first line kept (to judge it).
const MAX_REPLY_LINE: usize = 256;
/// Deepest nesting of reply aggregates followed.
const MAX_DEPTH: usize = 64;
/// Credentials waiting for their replies; beyond this the oldest is reported unknown.
const MAX_PENDING_AUTH: usize = 64;
/// Frames remembered for one command.
const MAX_FRAMES: usize = 32;

/// Commands a client may send inline, for the probe.
const INLINE_COMMANDS: &[&[u8]] = &[
    b"AUTH",
    b"HELLO",
    b"PING",
    b"ECHO",
    b"SELECT",
    b"INFO",
    b"GET",
    b"SET",
    b"DEL",
    b"KEYS",
    b"EXISTS",
    b"CONFIG",
    b"CLIENT",
    b"QUIT",
    b"FLUSHALL",
    b"FLUSHDB",
    b"DBSIZE",
    b"SCAN",
    b"HGET",
    b"HSET",
    b"HGETALL",
    b"LPUSH",
    b"RPUSH",
    b"LRANGE",
    b"SADD",
    b"SMEMBERS",
    b"INCR",
    b"EXPIRE",
    b"TTL",
    b"TYPE",
    b"MGET",
    b"MSET",
    b"EVAL",
    b"MULTI",
    b"EXEC",
    b"SUBSCRIBE",
    b"PUBLISH",
    b"MONITOR",
    b"SLAVEOF",
    b"REPLICAOF",
    b"SAVE",
    b"BGSAVE",
    b"ACL",
    b"COMMAND",
];

fn parse_int(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Whether `b` starts a RESP command array: `*<n>\r\n$<m>\r\n<name>\r\n` with a command
/// name of `m` letters (digits, `.`, `_`, `-` allowed after the first).
fn resp_command_start(b: &[u8]) -> Probe {
    fn header(b: &[u8], prefix: u8, max_digits: usize) -> Result<(i64, &[u8]), Probe> {
        match b.first() {
            None => return Err(Probe::Maybe),
            Some(&c) if c != prefix => return Err(Probe::No),
            _ => {}
        }
        let digits = &b[1..];
        let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
        if n > max_digits {
            return Err(Probe::No);
        }
        match (digits.get(n), digits.get(n + 1)) {
            (None, _) | (Some(b'\r'), None) => Err(Probe::Maybe),
            (Some(b'\r'), Some(b'\n')) if n > 0 => {
                Ok((parse_int(&digits[..n]).unwrap_or(0), &digits[n + 2..]))
            }
            _ => Err(Probe::No),
        }
    }
    let (n, rest) = match header(b, b'*', 7) {
        Ok(v) => v,
        Err(p) => return p,
    };
    if n < 1 {
        return Probe::No;
    }
    let (m, rest) = match header(rest, b'$', 2) {
        Ok(v) => v,
        Err(p) => return p,
    };
    let m = m as usize;
    if !(1..=32).contains(&m) {
        return Probe::No;
    }
    let name = &rest[..rest.len().min(m)];
    let valid = name.first().is_none_or(u8::is_ascii_alphabetic)
        && name
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'|'));
    if !valid {
        return Probe::No;
    }
    match rest.get(m..m + 2) {
        Some(b"\r\n") => Probe::Yes,
        Some(_) => Probe::No,
        None if rest.len() <= m + 1 && rest.get(m).is_none_or(|&c| c == b'\r') => Probe::Maybe,
        None => Probe::No,
    }
}

/// Whether `line` (without its CR LF) is a reply only Redis sends to a command: `+OK`,
/// `+PONG`, an error code in capitals (`-ERR`, `-NOAUTH`, `-WRONGPASS`...), or the header
/// of a bulk string, integer, array or map.
fn redis_reply(line: &[u8]) -> bool {
    let digits = |s: &[u8]| {
        let s = s.strip_prefix(b"-").unwrap_or(s);
        !s.is_empty() && s.len() <= 10 && s.iter().all(u8::is_ascii_digit)
    };
    match line.split_first() {
        Some((b'+', rest)) => rest == b"OK" || rest == b"PONG",
        Some((b'-', rest)) => {
            let code = rest.split(|&c| c == b' ').next().unwrap_or_default();
            code.len() >= 3 && code.iter().all(u8::is_ascii_uppercase) && rest.len() > code.len()
        }
        Some((b'$' | b':' | b'*' | b'%', rest)) => digits(rest),
        _ => false,
    }
}

/// Redis when the client's first bytes are a RESP command array, or an inline command
/// Redis knows answered with a reply only Redis sends (`+OK`, `-NOAUTH ...`, `:1`). An
/// inline command alone, or (the client silent) a RESP reply line, is only Maybe: the port
/// decides.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if looks_like_tls(to_server) {
        return Probe::No;
    }
    if let Some(&first) = to_server.first() {
        if first == b'*' {
            return resp_command_start(to_server);
        }
        let head = &to_server[..to_server.len().min(64)];
        let line_end = memchr(b'\n', head);
        let line = &head[..line_end.unwrap_or(head.len())];
        let word_end = line
            .iter()
            .position(|&c| c == b' ' || c == b'\r')
            .unwrap_or(line.len());
        let word = &line[..word_end];
        if word_end < line.len() || line_end.is_some() {
            if !INLINE_COMMANDS.iter().any(|c| word.eq_ignore_ascii_case(c)) {
                return Probe::No;
            }
            let reply = memchr(b'\n', to_client).map(|end| &to_client[..end]);
            return match reply.map(|l| l.strip_suffix(b"\r").unwrap_or(l)) {
                Some(l) if line_end.is_some() && redis_reply(l) => Probe::Yes,
                _ => Probe::Maybe,
            };
        }
        return if word.len() <= 10 && word.iter().all(u8::is_ascii_alphabetic) {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    match to_client.first() {
        None => Probe::Maybe,
        Some(
            b'+' | b'-' | b':' | b'$' | b'*' | b'%' | b'_' | b'#' | b',' | b'(' | b'!' | b'='
            | b'~' | b'>' | b'|',
        ) => Probe::Maybe,
        Some(_) => Probe::No,
    }
}

/// Splits an inline command line into arguments (Redis' `sdssplitargs`): words separated
/// by blanks, `"..."` with `\n \r \t \b \a \\ \" \xHH` escapes, `'...'` with `\'`. `None`
/// for unbalanced quotes (Redis answers with an error).
pub fn split_inline(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while line.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let mut arg = Vec::new();
        let (mut dq, mut sq) = (false, false);
        loop {
            let c = line.get(i).copied();
            if dq {
                match c {
                    None => return None,
                    Some(b'\\') if line.get(i + 1) == Some(&b'x') => {
                        let hex = line.get(i + 2..i + 4).and_then(|h| {
                            std::str::from_utf8(h)
                                .ok()
                                .and_then(|h| u8::from_str_radix(h, 16).ok())
                        });
                        match hex {
                            Some(b) => {
                                arg.push(b);
                                i += 3;
                            }
                            None => arg.push(b'\\'),
                        }
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        i += 1;
                        arg.push(match line[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        // The closing quote must be followed by a blank or the end.
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(c) => arg.push(c),
                }
            } else if sq {
                match c {
                    None => return None,
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        arg.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return None;
                        }
                        i += 1;
                        break;
                    }
                    Some(c) => arg.push(c),
                }
            } else {
                match c {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => dq = true,
                    Some(b'\'') => sq = true,
                    Some(c) => arg.push(c),
                }
            }
            i += 1;
        }
        args.push(arg);
    }
}

/// Where the client's parser stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReqState {
    /// At the start of a command.
    Start,
    /// Inside an inline command line.
    Inline,
    /// Discarding up to the next line end (an over-long line, a bad header, a gap).
    Skip,
    /// Inside a `*<n>` line.
    ArrayHeader,
    /// Inside a `$<n>` line.
    BulkHeader,
    /// Inside an argument: bytes left, then its CR LF.
    BulkBody(u64),
    BulkEnd(u8),
}

/// A command as far as plainsight cares: its first arguments (`None`: too long to keep).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub args: Vec<Option<Vec<u8>>>,
    pub argc: u64,
    pub frames: Vec<u64>,
    pub ts: Timestamp,
}

/// Cuts the client's bytes into commands.
#[derive(Debug)]
struct Requests {
    state: ReqState,
    line: Vec<u8>,
    max_line: usize,
    /// Arguments still to come in the current array.
    left: u64,
    /// The argument being read is kept.
    keep: bool,
    cmd: Command,
    overlong: u64,
}

impl Requests {
    fn new(max_line: usize) -> Requests {
        Requests {
            state: ReqState::Start,
            line: Vec::new(),
            max_line,
            left: 0,
            keep: false,
            cmd: Command::default(),
            overlong: 0,
        }
    }

    fn buffered(&self) -> usize {
        self.line.capacity()
            + self
                .cmd
                .args
                .iter()
                .map(|a| a.as_ref().map_or(0, Vec::capacity))
                .sum::<usize>()
            + self.cmd.frames.capacity() * 8
    }

    fn note_frame(&mut self, frame: u64) {
        if self.cmd.frames.last() != Some(&frame) && self.cmd.frames.len() < MAX_FRAMES {
            self.cmd.frames.push(frame);
        }
    }

    fn reset_line(&mut self) {
        self.line.clear();
        if self.line.capacity() > 4096 {
            self.line = Vec::new();
        }
    }

    /// A gap: skip to the next line end.
    fn gap(&mut self) {
        self.reset_line();
        self.cmd = Command::default();
        self.state = ReqState::Skip;
    }

    /// Reads a line into `self.line` (at most `max` bytes kept); `Some(overlong)` when it
    /// ended, with the position after its LF.
    fn line_from(&mut self, data: &[u8], i: &mut usize, max: usize) -> Option<bool> {
        let rest = &data[*i..];
        let (piece, end) = match memchr(b'\n', rest) {
            Some(p) => (&rest[..p], Some(p + 1)),
            None => (rest, None),
        };
        let room = max.saturating_sub(self.line.len());
        self.line
            .extend_from_slice(&piece[..piece.len().min(room.saturating_add(1))]);
        *i += end.unwrap_or(rest.len());
        end.map(|_| self.line.len() > max)
    }

    fn feed(&mut self, chunk: Chunk<'_>, mut each: impl FnMut(Option<Command>)) {
        let data = chunk.data;
        let mut i = 0;
        while i < data.len() {
            match self.state {
                ReqState::Start => {
                    self.cmd = Command::default();
                    self.note_frame(chunk.frame);
                    self.reset_line();
                    if data[i] == b'*' {
                        i += 1;
                        self.state = ReqState::ArrayHeader;
                    } else {
                        self.state = ReqState::Inline;
                    }
                }
                ReqState::Inline => {
                    self.note_frame(chunk.frame);
                    let max = self.max_line;
                    let Some(overlong) = self.line_from(data, &mut i, max) else {
                        if self.line.len() > max {
                            self.overlong += 1;
                            self.reset_line();
                            self.state = ReqState::Skip;
                        }
                        continue;
                    };
                    self.state = ReqState::Start;
                    if overlong {
                        self.overlong += 1;
                        continue;
                    }
                    let text = self.line.strip_suffix(b"\r").unwrap_or(&self.line);
                    match split_inline(text) {
                        // An empty line is no command: Redis does not answer it.
                        Some(args) if args.is_empty() => {}
                        Some(args) => {
                            self.cmd.argc = args.len() as u64;
                            self.cmd.args = args
                                .into_iter()
                                .take(MAX_ARGS)
                                .map(|a| (a.len() <= MAX_ARG).then_some(a))
                                .collect();
                            self.cmd.ts = chunk.ts;
                            each(Some(std::mem::take(&mut self.cmd)));
                        }
                        // Unbalanced quotes: an error reply.
                        None => each(None),
                    }
                }
                ReqState::Skip => match memchr(b'\n', &data[i..]) {
                    Some(p) => {
                        i += p + 1;
                        self.state = ReqState::Start;
                    }
                    None => i = data.len(),
                },
                ReqState::ArrayHeader | ReqState::BulkHeader => {
                    self.note_frame(chunk.frame);
                    let Some(overlong) = self.line_from(data, &mut i, MAX_HEADER) else {
                        if self.line.len() > MAX_HEADER {
                            each(None);
                            self.reset_line();
                            self.state = ReqState::Skip;
                        }
                        continue;
                    };
                    let text = self.line.strip_suffix(b"\r").unwrap_or(&self.line);
                    let n = if overlong { None } else { Some(text) };
                    if self.state == ReqState::ArrayHeader {
                        match n.and_then(parse_int) {
                            // No command: Redis does not answer `*0` or `*-1`.
                            Some(n) if n <= 0 => self.state = ReqState::Start,
                            Some(n) if (n as u64) <= MAX_ARRAY => {
                                self.left = n as u64;
                                self.cmd.argc = n as u64;
                                self.state = ReqState::BulkHeader;
                            }
                            _ => {
                                each(None);
                                self.state = ReqState::Start;
                            }
                        }
                    } else {
                        match n.and_then(|t| t.strip_prefix(b"$")).and_then(parse_int) {
                            Some(len) if (0..=MAX_BULK as i64).contains(&len) => {
                                let index = self.cmd.args.len();
                                self.keep = index < MAX_ARGS && (len as usize) <= MAX_ARG;
                                if index < MAX_ARGS {
                                    self.cmd.args.push(self.keep.then(Vec::new));
                                }
                                self.state = ReqState::BulkBody(len as u64);
                            }
                            _ => {
                                each(None);
                                self.state = ReqState::Start;
                            }
                        }
                    }
                    self.reset_line();
                }
                ReqState::BulkBody(left) => {
                    self.note_frame(chunk.frame);
                    let n = (data.len() - i).min(usize::try_from(left).unwrap_or(usize::MAX));
                    if self.keep
                        && let Some(Some(arg)) = self.cmd.args.last_mut()
                    {
                        arg.extend_from_slice(&data[i..i + n]);
                    }
                    i += n;
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        ReqState::BulkEnd(2)
                    } else {
                        ReqState::BulkBody(left)
                    };
                }
                ReqState::BulkEnd(left) => {
                    let n = (data.len() - i).min(usize::from(left));
                    i += n;
                    let left = left - n as u8;
                    if left > 0 {
                        self.state = ReqState::BulkEnd(left);
                        continue;
                    }
                    self.left = self.left.saturating_sub(1);
                    if self.left == 0 {
                        self.state = ReqState::Start;
                        self.cmd.ts = chunk.ts;
                        each(Some(std::mem::take(&mut self.cmd)));
                    } else {
                        self.state = ReqState::BulkHeader;
                    }
                }
            }
        }
    }
}

/// Where the server's parser stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RepState {
    /// At the start of a value's type line.
    Line,
    /// Inside a bulk value: bytes left (CR LF included).
    Bulk(u64),
}

/// What a top-level value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Top {
    Reply,
    /// RESP3 push data (out of band) or an attribute (precedes the reply): no reply.
    NotReply,
}

/// Cuts the server's bytes into replies.
#[derive(Debug)]
struct Replies {
    state: RepState,
    line: Vec<u8>,
    /// The line being read is longer than kept.
    long_line: bool,
    /// Open aggregates: elements left, and whether it is an attribute (whose completion
    /// is not a value of its parent).
    stack: Vec<(u64, bool)>,
    top_line: Vec<u8>,
    top: Top,
    lost: bool,
}

impl Default for Replies {
    fn default() -> Self {
        Replies {
            state: RepState::Line,
            line: Vec::new(),
            long_line: false,
            stack: Vec::new(),
            top_line: Vec::new(),
            top: Top::Reply,
            lost: false,
        }
    }
}

impl Replies {
    fn buffered(&self) -> usize {
        self.line.capacity() + self.top_line.capacity() + self.stack.capacity() * 16
    }

    fn gap(&mut self) {
        *self = Replies {
            lost: true,
            ..Replies::default()
        };
    }

    /// A value ended (`attribute`: an attribute, which is no value of its parent): returns
    /// the first line of the top-level reply that ended with it, if one did.
    fn complete(&mut self, attribute: bool) -> Option<Vec<u8>> {
        let mut attribute = attribute;
        loop {
            let Some(open) = self.stack.last_mut() else {
                // A top-level value: a reply unless it was push data or an attribute.
                return (self.top == Top::Reply && !attribute)
                    .then(|| std::mem::take(&mut self.top_line));
            };
            if attribute {
                return None;
            }
            open.0 -= 1;
            if open.0 > 0 {
                return None;
            }
            attribute = open.1;
            self.stack.pop();
        }
    }

    /// A type line: the reply it completed, if any.
    fn type_line(&mut self) -> Option<Vec<u8>> {
        let line = std::mem::take(&mut self.line);
        let line = line.strip_suffix(b"\r").unwrap_or(&line).to_vec();
        let Some((&t, rest)) = line.split_first() else {
            return None; // an empty line: not RESP; ignored
        };
        let top_level = self.stack.is_empty();
        if top_level {
            self.top_line = line.clone();
            self.top = if t == b'>' || t == b'|' {
                Top::NotReply
            } else {
                Top::Reply
            };
        }
        let n = parse_int(rest);
        match t {
            b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => self.complete(false),
            b'$' | b'!' | b'=' => match n {
                Some(n) if n >= 0 => {
                    self.state = RepState::Bulk(n as u64 + 2);
                    None
                }
                _ => self.complete(false),
            },
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let per = if matches!(t, b'%' | b'|') { 2 } else { 1 };
                match n {
                    Some(n) if n > 0 => {
                        if self.stack.len() >= MAX_DEPTH {
                            self.lost = true;
                            return None;
                        }
                        self.stack.push(((n as u64).saturating_mul(per), t == b'|'));
                        None
                    }
                    _ => self.complete(t == b'|'),
                }
            }
            _ => {
                // Not RESP (a capture that starts inside a value): ignored.
                if top_level {
                    self.top_line.clear();
                }
                None
            }
        }
    }

    fn feed(&mut self, data: &[u8], mut each: impl FnMut(Vec<u8>)) {
        let mut i = 0;
        while i < data.len() && !self.lost {
            match self.state {
                RepState::Line => {
                    let rest = &data[i..];
                    let (piece, end) = match memchr(b'\n', rest) {
                        Some(p) => (&rest[..p], Some(p + 1)),
                        None => (rest, None),
                    };
                    let room = MAX_REPLY_LINE.saturating_sub(self.line.len());
                    if piece.len() > room {
                        self.long_line = true;
                    }
                    self.line.extend_from_slice(&piece[..piece.len().min(room)]);
                    i += end.unwrap_or(rest.len());
                    if end.is_some() {
                        self.long_line = false;
                        if let Some(reply) = self.type_line() {
                            each(reply);
                        }
                    }
                }
                RepState::Bulk(left) => {
                    let n = (data.len() - i).min(usize::try_from(left).unwrap_or(usize::MAX));
                    i += n;
                    let left = left - n as u64;
                    if left == 0 {
                        self.state = RepState::Line;
                        if let Some(reply) = self.complete(false) {
                            each(reply);
                        }
                    } else {
                        self.state = RepState::Bulk(left);
                    }
                }
            }
        }
    }
}

/// A command waiting for its reply.
#[derive(Debug)]
enum Pending {
    /// This many commands that carry no credential.
    Others(u64),
    Auth(Box<Credential>),
}

#[derive(Debug, Default)]
struct Session {
    pending: VecDeque<Pending>,
    auths: usize,
    /// Replies can no longer be matched to commands.
    unsynced: bool,
}

/// The credential of a command, if it carries one.
pub fn credential(cmd: &Command) -> Option<Credential> {
    let arg = |i: usize| cmd.args.get(i).and_then(|a| a.as_deref());
    let name = arg(0)?.to_ascii_uppercase();
    let (mechanism, user, password) = match name.as_slice() {
        b"AUTH" if cmd.argc == 2 => ("AUTH", None, arg(1)?),
        b"AUTH" if cmd.argc == 3 => ("AUTH", Some(arg(1)?), arg(2)?),
        b"HELLO" => {
            // HELLO [protover [AUTH username password] [SETNAME clientname]]
            let mut i = 2;
            let mut found = None;
            while (i as u64) < cmd.argc {
                let opt = arg(i).map(<[u8]>::to_ascii_uppercase);
                match opt.as_deref() {
                    Some(b"AUTH") => {
                        found = Some((arg(i + 1)?, arg(i + 2)?));
                        i += 3;
                    }
                    Some(b"SETNAME") => i += 2,
                    _ => break,
                }
            }
            let (user, password) = found?;
            ("HELLO AUTH", Some(user), password)
        }
        b"CONFIG" if arg(1).is_some_and(|a| a.eq_ignore_ascii_case(b"SET")) => {
            // CONFIG SET parameter value [parameter value ...]
            let (mechanism, password) = (2..(cmd.argc as usize).min(MAX_ARGS))
                .step_by(2)
                .find_map(|i| match arg(i)?.to_ascii_lowercase().as_slice() {
                    b"requirepass" => Some(("CONFIG SET requirepass", arg(i + 1)?)),
                    b"masterauth" => Some(("CONFIG SET masterauth", arg(i + 1)?)),
                    _ => None,
                })?;
            if password.is_empty() {
                return None; // no password from now on
            }
            (mechanism, None, password)
        }
        b"ACL" if arg(1).is_some_and(|a| a.eq_ignore_ascii_case(b"SETUSER")) => {
            // ACL SETUSER username rule...: `>password` adds one in clear, `#<SHA-256>`
            // its hash.
            let user = arg(2)?;
            let rule = (3..(cmd.argc as usize).min(MAX_ARGS))
                .filter_map(arg)
                .find(|r| r.len() > 1 && matches!(r[0], b'>' | b'#'))?;
            if rule[0] == b'#' {
                let hash = &rule[1..];
                if hash.len() != 64 || !hash.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let mut c =
                    Credential::new("redis", "ACL SETUSER", Kind::ChallengeResponse, cmd.ts);
                c.username = Some(user.to_vec());
                c.secret = Some(hash.to_vec());
                c.hashcat = Some(Hashcat {
                    mode: 1400,
                    hash: String::from_utf8_lossy(hash).to_ascii_lowercase(),
                    hex_salt: false,
                });
                c.add_frames(cmd.frames.iter().copied());
                return Some(c);
            }
            ("ACL SETUSER", Some(user), &rule[1..])
        }
        _ => return None,
    };
    let mut c = Credential::new("redis", mechanism, Kind::Cleartext, cmd.ts);
    c.username = user.map(<[u8]>::to_vec);
    c.secret = Some(password.to_vec());
    c.add_frames(cmd.frames.iter().copied());
    Some(c)
}

/// Whether a command breaks the one-reply-per-command rule.
fn breaks_replies(cmd: &Command) -> bool {
    let arg = |i: usize| {
        cmd.args
            .get(i)
            .and_then(|a| a.as_deref())
            .map(<[u8]>::to_ascii_uppercase)
    };
    match arg(0).as_deref() {
        Some(b"SUBSCRIBE" | b"PSUBSCRIBE" | b"SSUBSCRIBE" | b"MONITOR") => true,
        Some(b"CLIENT") => {
            arg(1).as_deref() == Some(b"REPLY")
                && matches!(arg(2).as_deref(), Some(b"OFF" | b"SKIP"))
        }
        _ => false,
    }
}

/// The outcome a reply gives a credential, and the server's error text.
pub fn judge(mechanism: &str, reply: &[u8]) -> (Outcome, Option<String>) {
    match reply.first() {
        // AUTH, and the commands that set a password (CONFIG SET, ACL SETUSER).
        Some(b'+') if mechanism != "HELLO AUTH" => (Outcome::Success, None),
        Some(b'%' | b'*') if mechanism == "HELLO AUTH" => (Outcome::Success, None),
        Some(b'-' | b'!') => {
            let text = String::from_utf8_lossy(&reply[1..]).into_owned();
            let lower = text.to_ascii_lowercase();
            let outcome = if lower.contains("no password is set")
                || lower.contains("without any password configured")
                || lower.starts_with("noproto")
            {
                Outcome::Unknown
            } else {
                Outcome::Failure
            };
            (outcome, Some(text))
        }
        _ => (Outcome::Unknown, None),
    }
}

impl Session {
    fn flush(&mut self, out: &mut Vec<Credential>) {
        for p in self.pending.drain(..) {
            if let Pending::Auth(c) = p {
                out.push(*c);
            }
        }
        self.auths = 0;
    }

    /// Reports the oldest credential waiting for its reply as unknown; its place in the
    /// queue becomes an ordinary command (merged with its neighbours, so the queue stays
    /// short however many commands are pipelined).
    fn give_up_oldest(&mut self, out: &mut Vec<Credential>) {
        let Some(i) = self
            .pending
            .iter()
            .position(|p| matches!(p, Pending::Auth(_)))
        else {
            return;
        };
        if let Some(Pending::Auth(old)) = self
            .pending
            .get_mut(i)
            .map(|p| std::mem::replace(p, Pending::Others(1)))
        {
            out.push(*old);
            self.auths -= 1;
        }
        let mut merged = 1;
        let mut start = i;
        if i > 0
            && let Some(Pending::Others(n)) = self.pending.get(i - 1)
        {
            merged += n;
            start = i - 1;
        }
        if let Some(Pending::Others(n)) = self.pending.get(i + 1) {
            merged += n;
            self.pending.remove(i + 1);
        }
        if start < i {
            self.pending.remove(i);
        }
        if let Some(slot) = self.pending.get_mut(start) {
            *slot = Pending::Others(merged);
        }
    }

    fn command(&mut self, cmd: Option<Command>, out: &mut Vec<Credential>) {
        let cred = cmd.as_ref().and_then(credential);
        if cmd.as_ref().is_some_and(breaks_replies) {
            self.unsynced = true;
            self.flush(out);
        }
        if self.unsynced {
            if let Some(c) = cred {
                out.push(c);
            }
            return;
        }
        match cred {
            Some(c) => {
                if self.auths >= MAX_PENDING_AUTH {
                    self.give_up_oldest(out);
                }
                self.pending.push_back(Pending::Auth(Box::new(c)));
                self.auths += 1;
            }
            None => match self.pending.back_mut() {
                Some(Pending::Others(n)) => *n += 1,
                _ => self.pending.push_back(Pending::Others(1)),
            },
        }
    }

    fn reply(&mut self, line: &[u8], out: &mut Vec<Credential>) {
        if self.unsynced {
            return;
        }
        match self.pending.front_mut() {
            None => {} // the reply to a command the capture missed
            Some(Pending::Others(n)) => {
                *n -= 1;
                if *n == 0 {
                    self.pending.pop_front();
                }
            }
            Some(Pending::Auth(_)) => {
                if let Some(Pending::Auth(mut c)) = self.pending.pop_front() {
                    self.auths -= 1;
                    let (outcome, text) = judge(&c.mechanism, line);
                    c.outcome = outcome;
                    if let Some(t) = text {
                        c.details.push(("diagnostic", t));
                    }
                    out.push(*c);
                }
            }
        }
    }
}

/// The Redis dissector of one connection.
#[derive(Debug)]
pub struct Redis {
    requests: Requests,
    replies: Replies,
    session: Session,
}

impl Redis {
    pub fn new(max_line: usize) -> Redis {
        Redis {
            requests: Requests::new(max_line),
            replies: Replies::default(),
            session: Session::default(),
        }
    }
}

impl Dissector for Redis {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        match dir {
            Direction::ToServer => self.requests.feed(chunk, |cmd| s.command(cmd, out)),
            Direction::ToClient => {
                self.replies.feed(chunk.data, |line| s.reply(&line, out));
                if self.replies.lost && !s.unsynced {
                    s.unsynced = true;
                    s.flush(out);
                }
            }
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        match dir {
            Direction::ToServer => self.requests.gap(),
            Direction::ToClient => self.replies.gap(),
        }
        self.session.unsynced = true;
        self.session.flush(out);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.session.flush(out);
    }

    fn lines_too_long(&self) -> u64 {
        self.requests.overlong
    }

    fn buffered(&self) -> usize {
        self.requests.buffered()
            + self.replies.buffered()
            + self.session.pending.len() * std::mem::size_of::<Pending>()
            + self.session.auths * 256
    }
}

/// Encoders of RESP, for tests and fixtures.
pub mod build {
    /// A command as a RESP array of bulk strings.
    pub fn command(args: &[&[u8]]) -> Vec<u8> {
        let mut c = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            c.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            c.extend_from_slice(a);
            c.extend_from_slice(b"\r\n");
        }
        c
    }

    /// A bulk string reply.
    pub fn bulk(b: &[u8]) -> Vec<u8> {
        [format!("${}\r\n", b.len()).as_bytes(), b, b"\r\n"].concat()
    }

    /// The RESP3 map a server answers `HELLO 3` with.
    pub fn hello3_reply() -> Vec<u8> {
        let mut m = b"%7\r\n".to_vec();
        for (k, v) in [
            ("server", bulk(b"redis")),
            ("version", bulk(b"7.2.4")),
            ("proto", b":3\r\n".to_vec()),
            ("id", b":5\r\n".to_vec()),
            ("mode", bulk(b"standalone")),
            ("role", bulk(b"master")),
            ("modules", b"*0\r\n".to_vec()),
        ] {
            m.extend_from_slice(&bulk(k.as_bytes()));
            m.extend_from_slice(&v);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::DissectorConfig;
    use crate::dissect::lines::DEFAULT_MAX_LINE;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Redis::new(DEFAULT_MAX_LINE), script).0
    }

    fn chunk(data: &[u8]) -> Chunk<'_> {
        Chunk {
            data,
            frame: 1,
            ts: Timestamp::ZERO,
        }
    }

    const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";

    #[test]
    fn passwords_set_by_config_set_and_acl_setuser() {
        let sha = "8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92";
        let out = run(&[
            (
                C,
                &command(&[b"config", b"set", b"requirepass", b"N3w-Req!pw"]),
            ),
            (S, b"+OK\r\n"),
            (
                C,
                &command(&[
                    b"CONFIG",
                    b"SET",
                    b"maxmemory",
                    b"1gb",
                    b"masterauth",
                    b"M4ster",
                ]),
            ),
            (S, b"-ERR CONFIG SET failed\r\n"),
            (
                C,
                &command(&[
                    b"ACL",
                    b"SETUSER",
                    b"newbie",
                    b"on",
                    b">Newb-pw",
                    b"~*",
                    b"+get",
                ]),
            ),
            (S, b"+OK\r\n"),
            (
                C,
                &command(&[
                    b"ACL",
                    b"SETUSER",
                    b"hashed",
                    b"on",
                    format!("#{sha}").as_bytes(),
                ]),
            ),
            (
                S,
                b"-NOPERM this user has no permissions to run the 'acl|setuser' command\r\n",
            ),
            // No password: nothing.
            (C, &command(&[b"CONFIG", b"SET", b"requirepass", b""])),
            (S, b"+OK\r\n"),
            (
                C,
                &command(&[b"ACL", b"SETUSER", b"nopass", b"on", b"nopass"]),
            ),
            (S, b"+OK\r\n"),
            (C, &command(&[b"CONFIG", b"GET", b"requirepass"])),
            (S, b"*0\r\n"),
        ]);
        let got = crate::dissect::script::seen(&out);
        assert_eq!(
            got,
            vec![
                (
                    "CONFIG SET requirepass",
                    &b""[..],
                    &b"N3w-Req!pw"[..],
                    Outcome::Success
                ),
                ("CONFIG SET masterauth", b"", b"M4ster", Outcome::Failure),
                ("ACL SETUSER", b"newbie", b"Newb-pw", Outcome::Success),
                ("ACL SETUSER", b"hashed", sha.as_bytes(), Outcome::Failure),
            ]
        );
        assert_eq!(out[3].kind, Kind::ChallengeResponse);
        let h = out[3].hashcat.as_ref().unwrap();
        assert_eq!((h.mode, h.hash.as_str()), (1400, sha));
    }

    #[test]
    fn acl_auth_three_attempts() {
        let out = run(&[
            (C, &command(&[b"AUTH", b"notauser", b"notapassword"])),
            (S, WRONGPASS),
            (C, &command(&[b"AUTH", b"default", b"defaultpassword"])),
            (S, b"+OK\r\n"),
            (C, &command(&[b"AUTH", b"noone", b"password"])),
            (S, WRONGPASS),
        ]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].mechanism, "AUTH");
        assert_eq!(out[0].kind, Kind::Cleartext);
        assert_eq!(out[0].username.as_deref(), Some(&b"notauser"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"notapassword"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![1]);
        assert_eq!(
            out[0].details,
            vec![(
                "diagnostic",
                "WRONGPASS invalid username-password pair or user is disabled.".to_string()
            )]
        );
        assert_eq!(out[1].username.as_deref(), Some(&b"default"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(out[2].outcome, Outcome::Failure);
    }

    #[test]
    fn one_argument_auth_has_no_user_name() {
        let out = run(&[
            (C, &command(&[b"auth", b"requirepass-secret"])),
            (S, b"-ERR invalid password\r\n"),
            (C, &command(&[b"AUTH", b"right"])),
            (S, b"+OK\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].username, None);
        assert_eq!(out[0].secret.as_deref(), Some(&b"requirepass-secret"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].outcome, Outcome::Success);
    }

    #[test]
    fn no_password_configured_is_unknown() {
        let out = run(&[
            (C, &command(&[b"AUTH", b"pw"])),
            (
                S,
                b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
            ),
            (C, b"AUTH old\r\n"),
            (S, b"-ERR Client sent AUTH, but no password is set\r\n"),
        ]);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|c| c.outcome == Outcome::Unknown));
    }

    #[test]
    fn inline_commands_with_quotes() {
        let out = run(&[
            (C, b"PING\r\n"),
            (S, b"-NOAUTH Authentication required.\r\n"),
            (C, b"\r\n"),
            (C, b"AUTH \"with space\\x21\"\r\n"),
            (S, b"+OK\r\n"),
            (C, b"auth 'bob' 'it\\'s'\n"),
            (S, WRONGPASS),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].secret.as_deref(), Some(&b"with space!"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(out[1].secret.as_deref(), Some(&b"it's"[..]));
        assert_eq!(out[1].outcome, Outcome::Failure);
    }

    #[test]
    fn split_inline_like_redis() {
        let s = |l: &[u8]| split_inline(l).map(|v| v.concat());
        assert_eq!(
            split_inline(b"  a  b "),
            Some(vec![b"a".to_vec(), b"b".to_vec()])
        );
        assert_eq!(s(b"\"a\\nb\""), Some(b"a\nb".to_vec()));
        assert_eq!(split_inline(b"\"unbalanced"), None);
        assert_eq!(split_inline(b"\"a\"b"), None);
        assert_eq!(split_inline(b""), Some(vec![]));
    }

    #[test]
    fn hello_auth_resp3_and_resp2() {
        let out = run(&[
            (
                C,
                &command(&[
                    b"HELLO",
                    b"3",
                    b"AUTH",
                    b"alice",
                    b"hello-pw",
                    b"SETNAME",
                    b"cli",
                ]),
            ),
            (S, &hello3_reply()),
            (
                C,
                &command(&[b"HELLO", b"2", b"SETNAME", b"x", b"AUTH", b"bob", b"bad"]),
            ),
            (S, WRONGPASS),
            (C, &command(&[b"HELLO", b"3"])),
            (S, &hello3_reply()),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].mechanism, "HELLO AUTH");
        assert_eq!(out[0].username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"hello-pw"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(out[1].outcome, Outcome::Failure);
    }

    #[test]
    fn pipelined_commands_and_nested_replies() {
        let mut cmds = command(&[b"SET", b"k", &[b'x'; 10_000]]);
        cmds.extend_from_slice(&command(&[b"LRANGE", b"l", b"0", b"-1"]));
        cmds.extend_from_slice(&command(&[b"AUTH", b"pipelined"]));
        cmds.extend_from_slice(&command(&[b"GET", b"k"]));
        let mut replies = b"+OK\r\n*2\r\n*2\r\n$1\r\na\r\n:1\r\n$-1\r\n".to_vec();
        replies.extend_from_slice(b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"); // push
        replies.extend_from_slice(b"|1\r\n+key\r\n+val\r\n"); // attribute, then the reply
        replies.extend_from_slice(b"-ERR invalid password\r\n");
        replies.extend_from_slice(&bulk(&[b'\n'; 100]));
        let out = run(&[(C, &cmds), (S, &replies)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"pipelined"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
    }

    #[test]
    fn subscribe_and_gaps_make_outcomes_unknown() {
        let out = run(&[
            (C, &command(&[b"SUBSCRIBE", b"a", b"b"])),
            (C, &command(&[b"AUTH", b"x"])),
            (S, b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"),
            (S, b"+OK\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        let mut d = Redis::new(DEFAULT_MAX_LINE);
        let mut out = Vec::new();
        d.data(C, chunk(&command(&[b"AUTH", b"y"])), &mut out);
        d.gap(S, 10, &mut out);
        d.data(S, chunk(b"+OK\r\n"), &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn huge_values_are_streamed_not_buffered() {
        let mut d = Redis::new(DEFAULT_MAX_LINE);
        let mut out = Vec::new();
        let head = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10000000\r\n";
        d.data(C, chunk(head), &mut out);
        let block = vec![b'v'; 100_000];
        for _ in 0..100 {
            d.data(C, chunk(&block), &mut out);
            assert!(d.buffered() < 16_384, "{}", d.buffered());
        }
        d.data(C, chunk(b"\r\n"), &mut out);
        d.data(C, chunk(&command(&[b"AUTH", b"after"])), &mut out);
        d.data(S, chunk(b"+OK\r\n+OK\r\n"), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        // Thousands of pipelined commands: bounded.
        let mut d = Redis::new(DEFAULT_MAX_LINE);
        let mut out = Vec::new();
        let mut many = Vec::new();
        for i in 0..5000 {
            many.extend_from_slice(&command(&[b"AUTH", format!("p{i}").as_bytes()]));
        }
        d.data(C, chunk(&many), &mut out);
        assert!(d.buffered() < 64 * 1024, "{}", d.buffered());
        d.close(&mut out);
        assert_eq!(out.len(), 5000);
    }

    #[test]
    fn probe_recognises_redis() {
        let auth = command(&[b"AUTH", b"x"]);
        assert_eq!(probe(&auth, b""), Probe::Yes);
        assert_eq!(probe(&auth[..14], b""), Probe::Yes);
        assert_eq!(probe(&auth[..6], b""), Probe::Maybe);
        assert_eq!(probe(&auth[..1], b""), Probe::Maybe);
        assert_eq!(probe(&command(&[b"JSON.SET", b"k"]), b""), Probe::Yes);
        assert_eq!(probe(b"AUTH secret\r\n", b""), Probe::Maybe);
        assert_eq!(probe(b"AUTH secret\r\n", b"+OK\r\n"), Probe::Yes);
        assert_eq!(probe(b"PING\r\n", b"+PONG\r\n"), Probe::Yes);
        assert_eq!(
            probe(b"PING\r\n", b"-NOAUTH Authentication required.\r\n"),
            Probe::Yes
        );
        assert_eq!(probe(b"GET k\r\n", b"$-1\r\n"), Probe::Yes);
        assert_eq!(probe(b"AUTH x\r\n", b"-WRONGPASS invalid"), Probe::Maybe);
        // POP3 and other text protocols: their greetings are not Redis replies.
        assert_eq!(
            probe(b"AUTH PLAIN\r\n", b"+OK POP3 ready\r\n"),
            Probe::Maybe
        );
        assert_eq!(probe(b"QUIT\r\n", b"220 ftp ready\r\n"), Probe::Maybe);
        assert_eq!(probe(b"QUIT\r\n", b"-ERR\r\n"), Probe::Maybe);
        assert_eq!(probe(b"AU", b""), Probe::Maybe);
        assert_eq!(probe(b"", b"+OK\r\n"), Probe::Maybe);
        for other in [
            &b"USER bob\r\n"[..],
            b"a1 LOGIN bob pw\r\n",
            b"\x16\x03\x01\x02\x00\x01",
            b"*2\r\n$4\r\n12ab\r\n",
            b"*x\r\n",
            b"\x00\x00\x00\x08\x04\xd2\x16\x2f",
            b"SSH-2.0-OpenSSH\r\n",
        ] {
            assert_eq!(probe(other, b""), Probe::No, "{other:?}");
        }
        assert_eq!(probe(b"", b"220 ftp ready\r\n"), Probe::No);
        assert_eq!(probe(b"", b"SSH-2.0-x\r\n"), Probe::No);
    }

    #[test]
    fn never_panics_on_garbage() {
        let valid = [
            command(&[b"AUTH", b"u", b"p"]),
            hello3_reply(),
            b"AUTH \"x\\x4\" 'y'\r\n".to_vec(),
            WRONGPASS.to_vec(),
            command(&[b"HELLO", b"3", b"AUTH", b"a", b"b"]),
        ];
        super::super::garbage::feed(
            0x0bad_cafe,
            3000,
            5,
            &valid,
            || Redis::new(DEFAULT_MAX_LINE),
            |b| {
                let _ = probe(b, b);
                let _ = split_inline(b);
            },
            |_| 5,
            |_| {},
        );
    }

    /// Every chunk of a session cut at every offset gives the same findings
    /// (`split_tests` in `dissect/mod.rs`).
    #[test]
    fn any_split() {
        type Seen = (Option<Vec<u8>>, Option<Vec<u8>>, Outcome, String);
        fn go(script: &[(Direction, Vec<u8>)]) -> Vec<Seen> {
            let mut d = (SPEC.new)(&DissectorConfig::default());
            let mut out = Vec::new();
            for (dir, data) in script {
                d.data(
                    *dir,
                    Chunk {
                        data,
                        frame: 1,
                        ts: Timestamp::ZERO,
                    },
                    &mut out,
                );
            }
            d.close(&mut out);
            out.into_iter()
                .map(|c| (c.username, c.secret, c.outcome, c.mechanism.into_owned()))
                .collect()
        }
        let whole: Vec<(Direction, Vec<u8>)> = vec![
            (C, command(&[b"AUTH", b"alice", b"wrong"])),
            (S, WRONGPASS.to_vec()),
            (
                C,
                [
                    command(&[b"AUTH", b"s3cret"]),
                    command(&[b"GET", b"key"]),
                    b"AUTH 'in line'\r\n".to_vec(),
                ]
                .concat(),
            ),
            (
                S,
                [
                    &b"+OK\r\n"[..],
                    &bulk(b"va\r\nlue"),
                    b"-ERR invalid password\r\n",
                ]
                .concat(),
            ),
            (C, command(&[b"HELLO", b"3", b"AUTH", b"bob", b"pw"])),
            (S, hello3_reply()),
        ];
        let want = go(&whole);
        assert_eq!(want.len(), 4, "{want:?}");
        for (i, (dir, data)) in whole.iter().enumerate() {
            for cut in 1..data.len() {
                let mut split = whole.clone();
                split[i] = (*dir, data[..cut].to_vec());
                split.insert(i + 1, (*dir, data[cut..].to_vec()));
                assert_eq!(go(&split), want, "chunk {i} cut at {cut}");
            }
        }
    }
}
