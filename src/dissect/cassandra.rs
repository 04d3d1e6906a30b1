//! Apache Cassandra's native protocol (CQL binary protocol v1-v5; TCP 9042, any by
//! content; ScyllaDB and DataStax Enterprise speak it too): the login of a driver.
//!
//! A connection starts with `OPTIONS` / `SUPPORTED` and `STARTUP`; a server that wants a
//! login answers `AUTHENTICATE` naming its authenticator (`PasswordAuthenticator`), and
//! the client sends `AUTH_RESPONSE` with a SASL PLAIN token, `\0user\0password`: user
//! name and password in clear (mechanism `AUTH_RESPONSE PLAIN`). DSE's authenticator
//! first takes the mechanism's name and answers `AUTH_CHALLENGE` `PLAIN-START`; the token
//! after it is the same. Protocol v1 sent a `CREDENTIALS` map instead (mechanism
//! `CREDENTIALS`). Outcome: `AUTH_SUCCESS` (v1: `READY`) success, `ERROR` 0x0100
//! (authentication error, e.g. "Provided username x and/or password are incorrect")
//! failure with its message in `details.reason`; the authenticator's class goes in
//! `details.authenticator`.
//!
//! Frames are a header (version, flags, stream, opcode, length: 9 bytes, 8 before v3)
//! and a body, LZ4-compressed when the flag says so and `STARTUP` chose `lz4` (Snappy
//! bodies are not read). From v5 on, once the server has answered `STARTUP`, frames
//! travel inside segments (a 3-byte header, 5 when compressed, a CRC-24, the payload, a
//! CRC-32): the `AUTH_RESPONSE` of a current driver is inside one. Responses are matched
//! to requests by stream.
//!
//! After a successful login (or `READY` without one), the client's next 256 frames are
//! read for role passwords: the CQL of each `QUERY` and of each query of a `BATCH`
//! (`CREATE ROLE app WITH PASSWORD = '...'`, `ALTER USER ... WITH PASSWORD '...'`, a
//! `HASHED PASSWORD` as a bcrypt hash: see [`super::sql`]), judged by the answer on its
//! stream: `RESULT` success, `ERROR` failure with its message in `details.reason`.
//! Prepared statements' bound values are not read.

use super::prefixed::Head;
use super::sasl::parse_plain;
use super::sql;
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "cassandra",
    tcp_ports: &[9042],
    probe,
    new: |_config| Box::new(Cassandra::default()),
};

pub const OP_ERROR: u8 = 0x00;
pub const OP_STARTUP: u8 = 0x01;
pub const OP_READY: u8 = 0x02;
pub const OP_AUTHENTICATE: u8 = 0x03;
pub const OP_CREDENTIALS: u8 = 0x04;
pub const OP_OPTIONS: u8 = 0x05;
pub const OP_QUERY: u8 = 0x07;
pub const OP_RESULT: u8 = 0x08;
pub const OP_BATCH: u8 = 0x0D;
pub const OP_AUTH_CHALLENGE: u8 = 0x0E;
pub const OP_AUTH_RESPONSE: u8 = 0x0F;
pub const OP_AUTH_SUCCESS: u8 = 0x10;
/// The flag of a compressed frame body.
pub const FLAG_COMPRESSED: u8 = 0x01;
/// `ERROR`'s code for an authentication error.
pub const ERROR_AUTHENTICATION: u32 = 0x0100;

/// The longest frame or segment buffered whole (login messages are tiny); longer ones
/// end the inspection.
pub const MAX_UNIT: usize = 64 << 10;
/// Longest server error copied into `details.reason`.
const MAX_REASON: usize = 256;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// A frame's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The protocol version, without the response bit.
    pub version: u8,
    pub response: bool,
    pub flags: u8,
    pub stream: i16,
    pub opcode: u8,
    /// The body's length.
    pub len: usize,
    /// The header's length (8 before v3, 9 after).
    pub size: usize,
}

pub fn header(b: &[u8]) -> Option<Header> {
    let (&v, _) = b.split_first()?;
    let version = v & 0x7f;
    let (stream, at) = match version {
        1 | 2 => (i16::from(*b.get(2)? as i8), 3),
        3..=6 => (i16::from_be_bytes([*b.get(2)?, *b.get(3)?]), 4),
        _ => return None,
    };
    Some(Header {
        version,
        response: v & 0x80 != 0,
        flags: b[1],
        stream,
        opcode: *b.get(at)?,
        len: be32(b, at + 1)? as usize,
        size: at + 5,
    })
}

/// A driver's first frame: `OPTIONS` (an empty body) or `STARTUP` (a string map holding
/// the mandatory `CQL_VERSION`), a request of a known version without flags (but beta's).
/// A server's answer alone is only Maybe.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    let first = if to_server.is_empty() {
        to_client
    } else {
        to_server
    };
    if first.is_empty() {
        return Probe::Maybe;
    }
    match header(first) {
        None if first.len() < 9 && (1..=6).contains(&(first[0] & 0x7f)) => Probe::Maybe,
        None => Probe::No,
        Some(h) if to_server.is_empty() => {
            if h.response && h.len < MAX_UNIT {
                Probe::Maybe
            } else {
                Probe::No
            }
        }
        Some(h) if h.response || h.flags & !0x10 != 0 => Probe::No,
        Some(h) if h.opcode == OP_OPTIONS && h.len == 0 => Probe::Yes,
        Some(h) if h.opcode == OP_STARTUP && (13..MAX_UNIT).contains(&h.len) => {
            let body = &first[h.size..first.len().min(h.size + h.len)];
            if body.windows(11).any(|w| w == b"CQL_VERSION") {
                Probe::Yes
            } else if body.len() < h.len {
                Probe::Maybe
            } else {
                Probe::No
            }
        }
        Some(_) => Probe::No,
    }
}

/// A `[string]`: a 16-bit length and the bytes; the rest after it.
fn string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?]));
    Some((b.get(2..2 + len)?, &b[2 + len..]))
}

/// A `[string map]`.
pub fn string_map(b: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let Some((n, mut rest)) = b
        .get(..2)
        .map(|n| (u16::from_be_bytes([n[0], n[1]]), &b[2..]))
    else {
        return out;
    };
    for _ in 0..n.min(64) {
        let Some((k, r)) = string(rest) else { break };
        let Some((v, r)) = string(r) else { break };
        out.push((k, v));
        rest = r;
    }
    out
}

/// A `[bytes]` (a negative length is null: empty).
fn bytes(b: &[u8]) -> Option<&[u8]> {
    let n = be32(b, 0)? as i32;
    if n < 0 {
        return Some(&[]);
    }
    b.get(4..4 + n as usize)
}

/// An LZ4 block of `len` bytes once decompressed (at most [`MAX_UNIT`]).
fn lz4(block: &[u8], len: usize) -> Option<Vec<u8>> {
    if len > MAX_UNIT {
        return None;
    }
    let mut out = vec![0; len];
    let n = lz4_flex::block::decompress_into(block, &mut out).ok()?;
    out.truncate(n);
    Some(out)
}

/// A v5 segment's header: (header and CRC-24 length, payload length, uncompressed length
/// when compressed and not stored as is, self-contained).
fn segment(b: &[u8], compressed: bool) -> Option<(usize, usize, Option<usize>, bool)> {
    let n = if compressed { 5 } else { 3 };
    let raw = b.get(..n)?;
    let mut v = 0u64;
    for (i, &x) in raw.iter().enumerate() {
        v |= u64::from(x) << (8 * i);
    }
    let payload = (v & 0x1ffff) as usize;
    let (uncompressed, flag) = if compressed {
        ((v >> 17) & 0x1ffff, (v >> 34) & 1)
    } else {
        (0, (v >> 17) & 1)
    };
    Some((
        n + 3,
        payload,
        (uncompressed > 0).then_some(uncompressed as usize),
        flag == 1,
    ))
}

/// What the server answered or asked last, for a request's stream.
#[derive(Debug)]
enum Waiting {
    /// A login: its verdict.
    Login(Box<Credential>),
    /// DSE's first step (the mechanism's name): the token after its challenge.
    Mechanism,
}

#[derive(Debug, Default)]
pub struct Session {
    /// LZ4 chosen by `STARTUP`.
    lz4: bool,
    /// From v5 on, frames travel in segments, both ways, once the server answered
    /// `STARTUP` (the client reads that answer before it sends again).
    segments: bool,
    /// The server's authenticator class.
    authenticator: Option<String>,
    waiting: Option<(i16, Waiting)>,
    /// The login's user name.
    user: Option<Vec<u8>>,
    /// After the login: the client's queries are read for passwords.
    queries: Option<Queries>,
    done: bool,
}

/// How many client frames after a login are read for passwords in queries.
const QUERY_BUDGET: u16 = 256;
/// Most queries with passwords waiting for their answers.
const MAX_WAITING: usize = 16;

/// The queries after a login: how many more frames are read, and the passwords of those
/// waiting for their answer, by stream.
#[derive(Debug)]
struct Queries {
    budget: u16,
    waiting: Vec<(i16, Vec<Credential>)>,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Session {
    /// One frame of a direction, whole.
    fn frame(
        &mut self,
        dir: Direction,
        frame: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let Some(h) = header(frame) else {
            self.done = true;
            return;
        };
        let raw = frame.get(h.size..h.size + h.len).unwrap_or_default();
        let decompressed;
        let body = if h.flags & FLAG_COMPRESSED != 0 && !self.segments {
            if !self.lz4 {
                return;
            }
            let len = be32(raw, 0).unwrap_or(u32::MAX) as usize;
            match lz4(raw.get(4..).unwrap_or_default(), len) {
                Some(b) => {
                    decompressed = b;
                    &decompressed[..]
                }
                None => return,
            }
        } else {
            raw
        };
        match dir {
            Direction::ToServer => self.request(&h, body, frames, ts, out),
            Direction::ToClient => self.response(&h, body, frames, out),
        }
    }

    fn request(
        &mut self,
        h: &Header,
        body: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        if self.queries.is_some() {
            self.query(h, body, frames, ts, out);
            return;
        }
        match h.opcode {
            OP_STARTUP => {
                for (k, v) in string_map(body) {
                    if k == b"COMPRESSION" {
                        self.lz4 = v.eq_ignore_ascii_case(b"lz4");
                    }
                }
            }
            OP_AUTH_RESPONSE => {
                let Some(token) = bytes(body) else { return };
                match parse_plain(token) {
                    Some((_, user, password)) => {
                        self.user = Some(user.to_vec());
                        let mut c = Credential::new(
                            "cassandra",
                            "AUTH_RESPONSE PLAIN",
                            Kind::Cleartext,
                            ts,
                        );
                        c.username = Some(user.to_vec());
                        c.secret = Some(password.to_vec());
                        self.finish(h.stream, c, frames);
                    }
                    None if token == b"PLAIN" => {
                        self.waiting = Some((h.stream, Waiting::Mechanism));
                    }
                    None => {}
                }
            }
            OP_CREDENTIALS => {
                let map = string_map(body);
                let field = |k: &[u8]| map.iter().find(|(n, _)| *n == k).map(|e| e.1);
                if let (Some(user), Some(password)) = (field(b"username"), field(b"password")) {
                    self.user = Some(user.to_vec());
                    let mut c = Credential::new("cassandra", "CREDENTIALS", Kind::Cleartext, ts);
                    c.username = Some(user.to_vec());
                    c.secret = Some(password.to_vec());
                    self.finish(h.stream, c, frames);
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self, stream: i16, mut c: Credential, frames: &[u64]) {
        c.add_frames(frames.iter().copied());
        if let Some(a) = &self.authenticator {
            c.details.push(("authenticator", a.clone()));
        }
        self.waiting = Some((stream, Waiting::Login(Box::new(c))));
    }

    fn response(&mut self, h: &Header, body: &[u8], frames: &[u64], out: &mut Vec<Credential>) {
        if self.queries.is_some() {
            self.answer(h, body, out);
            return;
        }
        if matches!(h.opcode, OP_AUTHENTICATE | OP_READY) && h.version >= 5 {
            // Both directions carry segments from here on.
            self.segments = true;
        }
        if h.opcode == OP_AUTHENTICATE
            && let Some((class, _)) = string(body)
        {
            self.authenticator = Some(text(&class[..class.len().min(MAX_REASON)]));
        }
        let Some((stream, _)) = &self.waiting else {
            // READY without a login: the queries come next.
            if h.opcode == OP_READY {
                self.start_queries();
            }
            return;
        };
        if *stream != h.stream {
            return;
        }
        let Some((_, waiting)) = self.waiting.take() else {
            return;
        };
        match waiting {
            Waiting::Mechanism => {
                if h.opcode != OP_AUTH_CHALLENGE {
                    self.done = true;
                }
            }
            Waiting::Login(mut c) => {
                c.outcome = match h.opcode {
                    OP_AUTH_SUCCESS | OP_READY => Outcome::Success,
                    OP_ERROR => {
                        let code = be32(body, 0);
                        if let Some((m, _)) = body.get(4..).and_then(string) {
                            c.details
                                .push(("reason", text(&m[..m.len().min(MAX_REASON)])));
                        }
                        if code == Some(ERROR_AUTHENTICATION) {
                            Outcome::Failure
                        } else {
                            Outcome::Unknown
                        }
                    }
                    // A further challenge: a mechanism this does not read.
                    _ => Outcome::Unknown,
                };
                c.add_frames(frames.iter().copied());
                let success = c.outcome == Outcome::Success;
                out.push(*c);
                if success {
                    self.start_queries();
                } else {
                    self.done = true;
                }
            }
        }
    }

    fn start_queries(&mut self) {
        self.queries = Some(Queries {
            budget: QUERY_BUDGET,
            waiting: Vec::new(),
        });
    }

    /// A client frame after the login: the passwords a `QUERY` or `BATCH` sets wait for
    /// the answer on its stream.
    fn query(
        &mut self,
        h: &Header,
        body: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let Some(q) = self.queries.as_mut() else {
            return;
        };
        if q.budget == 0 {
            return;
        }
        q.budget -= 1;
        let texts: Vec<&[u8]> = match h.opcode {
            OP_QUERY => long_string(body).map(|(s, _)| s).into_iter().collect(),
            OP_BATCH => batch_queries(body),
            _ => Vec::new(),
        };
        let mut found = Vec::new();
        for text in texts {
            for p in sql::passwords(text, sql::Dialect::Cql) {
                found.push(p.credential("cassandra", self.user.as_deref(), None, frames, ts));
            }
        }
        if found.is_empty() {
            if q.budget == 0 && q.waiting.is_empty() {
                self.done = true;
            }
            return;
        }
        if let Some(i) = q.waiting.iter().position(|(s, _)| *s == h.stream) {
            // The stream is reused before its answer: the older request's is lost.
            out.extend(q.waiting.remove(i).1);
        }
        if q.waiting.len() >= MAX_WAITING {
            out.extend(q.waiting.remove(0).1);
        }
        q.waiting.push((h.stream, found));
    }

    /// A server frame after the login: `RESULT` applies the passwords of the query on its
    /// stream, `ERROR` refuses them.
    fn answer(&mut self, h: &Header, body: &[u8], out: &mut Vec<Credential>) {
        let Some(q) = self.queries.as_mut() else {
            return;
        };
        if let Some(i) = q.waiting.iter().position(|(s, _)| *s == h.stream) {
            let (_, found) = q.waiting.remove(i);
            let reason = (h.opcode == OP_ERROR)
                .then(|| body.get(4..).and_then(string))
                .flatten()
                .map(|(m, _)| text(&m[..m.len().min(MAX_REASON)]));
            for mut c in found {
                c.outcome = match h.opcode {
                    OP_RESULT => Outcome::Success,
                    OP_ERROR => Outcome::Failure,
                    _ => Outcome::Unknown,
                };
                if let Some(r) = &reason {
                    c.details.push(("reason", r.clone()));
                }
                out.push(c);
            }
        }
        if q.budget == 0 && q.waiting.is_empty() {
            self.done = true;
        }
    }
}

/// A `[long string]` at the start of `b`, and what follows it.
fn long_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = usize::try_from(be32(b, 0)?).ok()?;
    let s = b.get(4..4 + n)?;
    Some((s, &b[4 + n..]))
}

/// The query strings of a `BATCH` body: its type, the count, then each query (kind 0:
/// the string; kind 1: a prepared statement's ID) with its values.
fn batch_queries(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let Some(n) = b.get(1..3).map(|c| u16::from_be_bytes([c[0], c[1]])) else {
        return out;
    };
    let mut rest = &b[3..];
    for _ in 0..n.min(64) {
        let Some((&kind, r)) = rest.split_first() else {
            break;
        };
        rest = r;
        match kind {
            0 => {
                let Some((q, r)) = long_string(rest) else {
                    break;
                };
                out.push(q);
                rest = r;
            }
            1 => {
                let Some(len) = rest
                    .get(..2)
                    .map(|c| usize::from(u16::from_be_bytes([c[0], c[1]])))
                else {
                    break;
                };
                let Some(r) = rest.get(2 + len..) else {
                    break;
                };
                rest = r;
            }
            _ => break,
        }
        // The values: a count, then each as [bytes] (a negative length: null or unset).
        let Some(count) = rest.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]])) else {
            break;
        };
        rest = &rest[2..];
        for _ in 0..count {
            let Some(len) = be32(rest, 0) else {
                return out;
            };
            let len = usize::try_from(len as i32).unwrap_or(0);
            match rest.get(4 + len..) {
                Some(r) => rest = r,
                None => return out,
            }
        }
    }
    out
}

/// One direction's bytes, cut into frames or segments.
#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    /// Frames of the chunks buffered.
    frames: Vec<u64>,
}

/// The Cassandra dissector of one connection.
#[derive(Debug, Default)]
pub struct Cassandra {
    buffers: [Buffer; 2],
    /// Bytes of an oversized unit still to skip, by direction.
    skip: [usize; 2],
    session: Session,
}

impl Cassandra {
    /// The next whole unit (a frame, or a v5 segment) at the start of `dir`'s bytes: its
    /// length, or `None` for more bytes. A unit too long is skipped once the queries are
    /// read (a large result), and ends the inspection before; a malformed one ends it.
    fn unit(&mut self, dir: Direction) -> Option<usize> {
        loop {
            let b = &self.buffers[dir.index()].bytes;
            let head = if self.session.segments {
                let (hdr, payload, _, _) = segment(b, self.session.lz4)?;
                Head::Message(hdr + payload + 4)
            } else {
                match header(b) {
                    Some(h) => Head::Message(h.size + h.len),
                    None if b.len() >= 9 => Head::Invalid,
                    None => Head::Incomplete,
                }
            };
            match head {
                Head::Message(n) if n <= MAX_UNIT => return (b.len() >= n).then_some(n),
                Head::Message(n) if self.session.queries.is_some() => {
                    let buf = &mut self.buffers[dir.index()];
                    let have = buf.bytes.len().min(n);
                    buf.bytes.drain(..have);
                    self.skip[dir.index()] = n - have;
                    if n > have {
                        return None;
                    }
                }
                Head::Incomplete => return None,
                _ => {
                    self.session.done = true;
                    return None;
                }
            }
        }
    }

    fn take(&mut self, dir: Direction, n: usize, ts: Timestamp, out: &mut Vec<Credential>) {
        let buf = &mut self.buffers[dir.index()];
        let unit: Vec<u8> = buf.bytes.drain(..n).collect();
        let frames = std::mem::take(&mut buf.frames);
        if !buf.bytes.is_empty()
            && let Some(&last) = frames.last()
        {
            buf.frames.push(last);
        }
        if !self.session.segments {
            self.session.frame(dir, &unit, &frames, ts, out);
            return;
        }
        // A segment: its payload (decompressed), self-contained frames one after another.
        let Some((hdr, len, uncompressed, whole)) = segment(&unit, self.session.lz4) else {
            return;
        };
        if !whole {
            return;
        }
        let stored = &unit[hdr..hdr + len];
        let payload = match uncompressed {
            Some(u) => match lz4(stored, u) {
                Some(p) => p,
                None => return,
            },
            None => stored.to_vec(),
        };
        let mut rest = &payload[..];
        while let Some(h) = header(rest) {
            let Some(frame) = rest.get(..h.size + h.len) else {
                break;
            };
            self.session.frame(dir, frame, &frames, ts, out);
            rest = &rest[frame.len()..];
            if self.session.done {
                break;
            }
        }
    }
}

impl Dissector for Cassandra {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.session.done {
            return;
        }
        let mut data = chunk.data;
        let skip = &mut self.skip[dir.index()];
        if *skip > 0 {
            let n = (*skip).min(data.len());
            *skip -= n;
            data = &data[n..];
            if data.is_empty() {
                return;
            }
        }
        let buf = &mut self.buffers[dir.index()];
        if buf.bytes.len() + data.len() > 2 * MAX_UNIT && self.session.queries.is_none() {
            self.session.done = true;
            return;
        }
        buf.bytes.extend_from_slice(data);
        if buf.frames.len() < 32 {
            buf.frames.push(chunk.frame);
        }
        while !self.session.done {
            let Some(n) = self.unit(dir) else { break };
            self.take(dir, n, chunk.ts, out);
        }
        if self.session.done {
            // Nothing more is read: the buffers go now.
            self.buffers = Default::default();
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        // Frames cannot be found again after lost bytes: what was read is all.
        self.close(out);
        self.session.done = true;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some((_, Waiting::Login(c))) = self.session.waiting.take() {
            out.push(*c);
        }
        if let Some(q) = self.session.queries.as_mut() {
            for (_, found) in q.waiting.drain(..) {
                out.extend(found);
            }
        }
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn buffered(&self) -> usize {
        self.buffers
            .iter()
            .map(|b| b.bytes.capacity() + b.frames.capacity() * 8)
            .sum::<usize>()
            + usize::from(self.session.waiting.is_some()) * 256
            + self.session.queries.as_ref().map_or(0, |q| {
                q.waiting.iter().map(|(_, f)| f.len()).sum::<usize>() * 256
            })
    }
}

/// Encoders of Cassandra frames and segments, for tests and fixtures.
pub mod build {

    /// A v3+ frame.
    pub fn frame(version: u8, flags: u8, stream: i16, opcode: u8, body: &[u8]) -> Vec<u8> {
        let mut f = vec![version, flags];
        f.extend(stream.to_be_bytes());
        f.push(opcode);
        f.extend((body.len() as u32).to_be_bytes());
        f.extend(body);
        f
    }

    /// A `[string map]`.
    pub fn map_of(pairs: &[(&str, &str)]) -> Vec<u8> {
        let mut b = (pairs.len() as u16).to_be_bytes().to_vec();
        for (k, v) in pairs {
            b.extend((k.len() as u16).to_be_bytes());
            b.extend(k.as_bytes());
            b.extend((v.len() as u16).to_be_bytes());
            b.extend(v.as_bytes());
        }
        b
    }

    /// A `[string]`.
    pub fn string_of(s: &str) -> Vec<u8> {
        let mut b = (s.len() as u16).to_be_bytes().to_vec();
        b.extend(s.as_bytes());
        b
    }

    /// A `[bytes]`.
    pub fn bytes_of(d: &[u8]) -> Vec<u8> {
        let mut b = (d.len() as u32).to_be_bytes().to_vec();
        b.extend(d);
        b
    }

    /// An `ERROR` body.
    pub fn error(code: u32, message: &str) -> Vec<u8> {
        let mut b = code.to_be_bytes().to_vec();
        b.extend(string_of(message));
        b
    }

    /// CRC-24 of a segment header (v5: initial 0x875060, polynomial 0x1974F0B, over the
    /// header's bytes as a little-endian integer).
    pub fn crc24(value: u64, len: usize) -> u32 {
        let mut crc: u32 = 0x875060;
        let mut v = value;
        for _ in 0..len {
            crc ^= ((v & 0xff) as u32) << 16;
            v >>= 8;
            for _ in 0..8 {
                crc <<= 1;
                if crc & 0x100_0000 != 0 {
                    crc ^= 0x1974F0B;
                }
            }
        }
        crc & 0xff_ffff
    }

    /// An uncompressed, self-contained v5 segment around `payload` (its CRC-32 is not
    /// checked by the dissector and left zero).
    pub fn segment_of(payload: &[u8]) -> Vec<u8> {
        let header = payload.len() as u64 | (1 << 17);
        let mut s = header.to_le_bytes()[..3].to_vec();
        s.extend(&crc24(header, 3).to_le_bytes()[..3]);
        s.extend(payload);
        s.extend([0; 4]);
        s
    }

    /// An LZ4 block of literals only (valid, not smaller).
    pub fn lz4_literals(data: &[u8]) -> Vec<u8> {
        let n = data.len();
        let mut b = vec![(n.min(15) as u8) << 4];
        if n >= 15 {
            let mut rest = n - 15;
            while rest >= 255 {
                b.push(255);
                rest -= 255;
            }
            b.push(rest as u8);
        }
        b.extend(data);
        b
    }

    /// A compressed, self-contained v5 segment (LZ4).
    pub fn segment_lz4(payload: &[u8]) -> Vec<u8> {
        let block = lz4_literals(payload);
        let header = block.len() as u64 | ((payload.len() as u64) << 17) | (1 << 34);
        let mut s = header.to_le_bytes()[..5].to_vec();
        s.extend(&crc24(header, 5).to_le_bytes()[..3]);
        s.extend(block);
        s.extend([0; 4]);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::script::play;
    use crate::flow::Direction::{ToClient as S, ToServer as C};

    const AUTHENTICATOR: &str = "org.apache.cassandra.auth.PasswordAuthenticator";

    fn run(script: &[(Direction, Vec<u8>)]) -> (Vec<Credential>, bool) {
        play(&mut Cassandra::default(), script)
    }

    /// A v4 login as the DataStax drivers make it: OPTIONS, STARTUP, AUTH_RESPONSE.
    fn v4(password: &str, verdict: Vec<u8>) -> Vec<(Direction, Vec<u8>)> {
        vec![
            (C, frame(4, 0, 0, OP_OPTIONS, b"")),
            (S, frame(0x84, 0, 0, 0x06, &map_of(&[]))),
            (
                C,
                frame(
                    4,
                    0,
                    1,
                    OP_STARTUP,
                    &map_of(&[("CQL_VERSION", "3.4.5"), ("DRIVER_NAME", "Python")]),
                ),
            ),
            (
                S,
                frame(0x84, 0, 1, OP_AUTHENTICATE, &string_of(AUTHENTICATOR)),
            ),
            (
                C,
                frame(
                    4,
                    0,
                    2,
                    OP_AUTH_RESPONSE,
                    &bytes_of(format!("\0cassandra_app\0{password}").as_bytes()),
                ),
            ),
            (S, verdict),
        ]
    }

    /// A `QUERY` body: the string, consistency ONE, no flags.
    fn query_body(q: &str) -> Vec<u8> {
        let mut b = (q.len() as u32).to_be_bytes().to_vec();
        b.extend_from_slice(q.as_bytes());
        b.extend_from_slice(&[0, 1, 0]);
        b
    }

    #[test]
    fn role_passwords_in_queries_after_the_login() {
        let mut script = v4("C4ss-pw", frame(0x84, 0, 2, OP_AUTH_SUCCESS, &[0xff; 4]));
        script.extend([
            (
                C,
                frame(
                    4,
                    0,
                    3,
                    OP_QUERY,
                    &query_body("CREATE ROLE app WITH PASSWORD = 'App-Pw1' AND LOGIN = true"),
                ),
            ),
            (
                C,
                frame(
                    4,
                    0,
                    4,
                    OP_QUERY,
                    &query_body("ALTER ROLE cassandra WITH PASSWORD = 'Root-Pw2'"),
                ),
            ),
            (
                C,
                frame(4, 0, 5, OP_QUERY, &query_body("SELECT * FROM system.local")),
            ),
            // Answers out of order, by stream.
            (
                S,
                frame(
                    0x84,
                    0,
                    4,
                    OP_ERROR,
                    &error(0x2100, "User cassandra_app has no ALTER permission"),
                ),
            ),
            (S, frame(0x84, 0, 3, OP_RESULT, &1u32.to_be_bytes())),
        ]);
        // A BATCH of two queries, one with a bound value.
        let mut batch = vec![0u8, 0, 2];
        for q in [
            "ALTER USER bob WITH PASSWORD 'B0b-Pw3'",
            "INSERT INTO t (k) VALUES (?)",
        ] {
            batch.push(0);
            batch.extend((q.len() as u32).to_be_bytes());
            batch.extend(q.as_bytes());
            if q.contains('?') {
                batch.extend([0, 1, 0, 0, 0, 1, 7]);
            } else {
                batch.extend([0, 0]);
            }
        }
        batch.extend([0, 1, 0]);
        script.push((C, frame(4, 0, 6, OP_BATCH, &batch)));
        script.push((S, frame(0x84, 0, 6, OP_RESULT, &1u32.to_be_bytes())));
        let (out, done) = run(&script);
        assert!(!done);
        let got = crate::dissect::script::seen(&out);
        assert_eq!(
            got,
            [
                (
                    "AUTH_RESPONSE PLAIN",
                    &b"cassandra_app"[..],
                    &b"C4ss-pw"[..],
                    Outcome::Success
                ),
                (
                    "ALTER ROLE ... PASSWORD",
                    b"cassandra",
                    b"Root-Pw2",
                    Outcome::Failure
                ),
                (
                    "CREATE ROLE ... PASSWORD",
                    b"app",
                    b"App-Pw1",
                    Outcome::Success
                ),
                (
                    "ALTER USER ... PASSWORD",
                    b"bob",
                    b"B0b-Pw3",
                    Outcome::Success
                ),
            ]
        );
        assert_eq!(
            out[1].detail("reason"),
            Some("User cassandra_app has no ALTER permission")
        );
        // A large result (skipped, not buffered) does not end the reading.
        let mut script = v4("C4ss-pw", frame(0x84, 0, 2, OP_AUTH_SUCCESS, &[0xff; 4]));
        script.push((
            C,
            frame(4, 0, 3, OP_QUERY, &query_body("SELECT * FROM big")),
        ));
        let big = frame(0x84, 0, 3, OP_RESULT, &vec![7u8; 200 << 10]);
        for part in big.chunks(30_000) {
            script.push((S, part.to_vec()));
        }
        script.push((
            C,
            frame(
                4,
                0,
                4,
                OP_QUERY,
                &query_body("ALTER ROLE r WITH PASSWORD = 'After-Big'"),
            ),
        ));
        script.push((S, frame(0x84, 0, 4, OP_RESULT, &1u32.to_be_bytes())));
        let (out, done) = run(&script);
        assert!(!done);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[1].secret.as_deref(), Some(&b"After-Big"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        // A refused login reads nothing after it.
        let mut script = v4(
            "Wrong",
            error(
                ERROR_AUTHENTICATION,
                "Provided username x and/or password are incorrect",
            ),
        );
        if let Some(last) = script.last_mut() {
            last.1 = frame(0x84, 0, 2, OP_ERROR, &last.1.clone());
        }
        script.push((
            C,
            frame(
                4,
                0,
                3,
                OP_QUERY,
                &query_body("ALTER ROLE a WITH PASSWORD = 'x'"),
            ),
        ));
        let (out, done) = run(&script);
        assert_eq!(out.len(), 1);
        assert!(done);
    }

    #[test]
    fn v4_password_authenticator_success_and_failure() {
        let (out, done) = run(&v4(
            "C4ss-pw",
            frame(0x84, 0, 2, OP_AUTH_SUCCESS, &[0xff; 4]),
        ));
        assert!(!done, "the queries are read next");
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.protocol, "cassandra");
        assert_eq!(c.mechanism, "AUTH_RESPONSE PLAIN");
        assert_eq!(c.username.as_deref(), Some(&b"cassandra_app"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"C4ss-pw"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![5, 6]);
        assert_eq!(c.detail("authenticator"), Some(AUTHENTICATOR));
        let refused = error(
            ERROR_AUTHENTICATION,
            "Provided username cassandra_app and/or password are incorrect",
        );
        let (out, _) = run(&v4("wrong", frame(0x84, 0, 2, OP_ERROR, &refused)));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(out[0].detail("reason").unwrap().contains("are incorrect"));
        // Byte by byte, the same.
        let s = v4("C4ss-pw", frame(0x84, 0, 2, OP_AUTH_SUCCESS, &[]));
        let bytes: Vec<(Direction, Vec<u8>)> = s
            .iter()
            .flat_map(|(d, b)| b.iter().map(move |x| (*d, vec![*x])))
            .collect();
        let (out, _) = run(&bytes);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"C4ss-pw"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn lz4_compressed_auth_response() {
        let mut s = v4("C4ss-pw", frame(0x84, 0, 2, OP_AUTH_SUCCESS, &[]));
        s[2] = (
            C,
            frame(
                4,
                0,
                1,
                OP_STARTUP,
                &map_of(&[("CQL_VERSION", "3.0.0"), ("COMPRESSION", "lz4")]),
            ),
        );
        let body = bytes_of(b"\0cassandra_app\0C4ss-pw");
        let mut compressed = (body.len() as u32).to_be_bytes().to_vec();
        compressed.extend(lz4_literals(&body));
        s[4] = (
            C,
            frame(4, FLAG_COMPRESSED, 2, OP_AUTH_RESPONSE, &compressed),
        );
        let (out, _) = run(&s);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].secret.as_deref(), Some(&b"C4ss-pw"[..]));
        // Snappy bodies are not read (and not misread).
        s[2] = (
            C,
            frame(4, 0, 1, OP_STARTUP, &map_of(&[("COMPRESSION", "snappy")])),
        );
        let (out, _) = run(&s);
        assert!(out.is_empty(), "{out:?}");
    }

    /// v5: STARTUP and AUTHENTICATE in frames, everything after in segments.
    fn v5(compress: bool) -> Vec<(Direction, Vec<u8>)> {
        let seg = |f: Vec<u8>| {
            if compress {
                segment_lz4(&f)
            } else {
                segment_of(&f)
            }
        };
        let mut startup = vec![("CQL_VERSION", "3.0.0")];
        if compress {
            startup.push(("COMPRESSION", "lz4"));
        }
        vec![
            (C, frame(5, 0, 0, OP_OPTIONS, b"")),
            (S, frame(0x85, 0, 0, 0x06, &map_of(&[]))),
            (C, frame(5, 0, 1, OP_STARTUP, &map_of(&startup))),
            (
                S,
                frame(0x85, 0, 1, OP_AUTHENTICATE, &string_of(AUTHENTICATOR)),
            ),
            (
                C,
                seg(frame(
                    5,
                    0,
                    2,
                    OP_AUTH_RESPONSE,
                    &bytes_of(b"\0reporting\0V5-p4ss"),
                )),
            ),
            (S, seg(frame(0x85, 0, 2, OP_AUTH_SUCCESS, &bytes_of(b"")))),
        ]
    }

    #[test]
    fn v5_segments_plain_and_lz4() {
        for compress in [false, true] {
            let (out, done) = run(&v5(compress));
            assert!(!done, "the queries are read next");
            assert_eq!(out.len(), 1, "lz4 {compress}: {out:?}");
            assert_eq!(out[0].username.as_deref(), Some(&b"reporting"[..]));
            assert_eq!(out[0].secret.as_deref(), Some(&b"V5-p4ss"[..]));
            assert_eq!(out[0].outcome, Outcome::Success);
        }
        // Segment header CRCs as the DataStax Python driver computes them
        // (cassandra.segment.compute_crc24).
        assert_eq!(crc24(0x2001f, 3), 0xfcfa53);
        assert_eq!(crc24((1 << 34) | (40 << 17) | 38, 5), 0x92eab2);
    }

    #[test]
    fn dse_mechanism_step_and_v1_credentials() {
        let s = vec![
            (
                C,
                frame(4, 0, 0, OP_STARTUP, &map_of(&[("CQL_VERSION", "3.0.0")])),
            ),
            (
                S,
                frame(
                    0x84,
                    0,
                    0,
                    OP_AUTHENTICATE,
                    &string_of("com.datastax.bdp.cassandra.auth.DseAuthenticator"),
                ),
            ),
            (C, frame(4, 0, 1, OP_AUTH_RESPONSE, &bytes_of(b"PLAIN"))),
            (
                S,
                frame(0x84, 0, 1, OP_AUTH_CHALLENGE, &bytes_of(b"PLAIN-START")),
            ),
            (
                C,
                frame(4, 0, 2, OP_AUTH_RESPONSE, &bytes_of(b"\0dse_user\0Dse-pw")),
            ),
            (S, frame(0x84, 0, 2, OP_AUTH_SUCCESS, &bytes_of(b""))),
        ];
        let (out, _) = run(&s);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].username.as_deref(), Some(&b"dse_user"[..]));
        assert_eq!(
            out[0].detail("authenticator"),
            Some("com.datastax.bdp.cassandra.auth.DseAuthenticator")
        );
        // Protocol v1: an 8-byte header and a CREDENTIALS map, answered READY.
        let v1 = |opcode: u8, stream: u8, body: &[u8], response: bool| {
            let mut f = vec![if response { 0x81 } else { 1 }, 0, stream, opcode];
            f.extend((body.len() as u32).to_be_bytes());
            f.extend(body);
            f
        };
        let s = vec![
            (
                C,
                v1(OP_STARTUP, 0, &map_of(&[("CQL_VERSION", "3.0.0")]), false),
            ),
            (S, v1(OP_AUTHENTICATE, 0, &string_of(AUTHENTICATOR), true)),
            (
                C,
                v1(
                    OP_CREDENTIALS,
                    1,
                    &map_of(&[("username", "old"), ("password", "V1-pw")]),
                    false,
                ),
            ),
            (S, v1(OP_READY, 1, b"", true)),
        ];
        let (out, _) = run(&s);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "CREDENTIALS");
        assert_eq!(out[0].secret.as_deref(), Some(&b"V1-pw"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn no_login_and_probe() {
        let (out, done) = run(&[
            (
                C,
                frame(4, 0, 0, OP_STARTUP, &map_of(&[("CQL_VERSION", "3.0.0")])),
            ),
            (S, frame(0x84, 0, 0, OP_READY, b"")),
            (C, frame(4, 0, 1, 0x07, b"\0\0\0\x08SELECT 1")),
        ]);
        assert!(out.is_empty());
        assert!(!done, "the queries are read");
        assert_eq!(probe(&frame(4, 0, 0, OP_OPTIONS, b""), b""), Probe::Yes);
        assert_eq!(
            probe(
                &frame(5, 0, 0, OP_STARTUP, &map_of(&[("CQL_VERSION", "3.0.0")])),
                b""
            ),
            Probe::Yes
        );
        assert_eq!(probe(&frame(4, 0, 0, OP_OPTIONS, b"xx"), b""), Probe::No);
        assert_eq!(probe(&frame(4, 1, 0, OP_OPTIONS, b""), b""), Probe::No);
        // A MongoDB OP_QUERY of 260 bytes with request ID 1 starts as a v4 STARTUP would,
        // a flag set; a STARTUP without CQL_VERSION is something else too.
        let mongo = [4, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xd4, 7, 0, 0];
        assert_eq!(probe(&mongo, b""), Probe::No);
        let startup = frame(4, 0, 0, OP_STARTUP, &map_of(&[("CQL_VERSION", "3.0.0")]));
        assert_eq!(probe(&startup[..12], b""), Probe::Maybe);
        assert_eq!(
            probe(
                &frame(4, 0, 0, OP_STARTUP, &map_of(&[("DRIVER", "x.y.z.w.v")])),
                b""
            ),
            Probe::No
        );
        assert_eq!(probe(b"\x04\0", b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", &frame(0x84, 0, 0, OP_READY, b"")), Probe::Maybe);
        assert_eq!(probe(&frame(0x84, 0, 0, OP_READY, b""), b""), Probe::No);
    }

    #[test]
    fn never_panics_on_garbage() {
        let valid: Vec<Vec<u8>> = v4("p", frame(0x84, 0, 2, OP_AUTH_SUCCESS, b""))
            .into_iter()
            .chain(v5(true))
            .map(|(_, m)| m)
            .collect();
        crate::dissect::garbage::feed(
            0xca55,
            400,
            6,
            &valid,
            Cassandra::default,
            |m| {
                let _ = header(m);
                let _ = super::string_map(m);
                let _ = super::segment(m, true);
                let _ = probe(m, m);
            },
            |r| u64::from(r.next() % 16),
            |d| {
                let _ = Dissector::buffered(d);
            },
        );
    }
}
