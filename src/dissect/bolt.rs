//! Bolt, the protocol of Neo4j (and Memgraph): how their drivers (Java, Python,
//! JavaScript, .NET, Go), cypher-shell and Neo4j Browser reach the server. TCP 7687, and
//! any port by content (the client's first bytes are Bolt's magic `60 60 B0 17`). Neo4j 4
//! and 5 accept `bolt://` without TLS by default.
//!
//! The client sends the magic and four version proposals; the server answers the version
//! chosen (or, from Neo4j 2025, `00 00 01 FF` and a manifest of versions the client then
//! picks from). Then both sides send messages in chunks (a 2-byte length and its bytes; an
//! empty chunk ends a message), each message a PackStream structure whose signature names
//! it:
//!
//! ```text
//! C: HELLO {user_agent, scheme: "basic", principal, credentials}    (Bolt 3 to 5.0)
//! C: HELLO {user_agent, ...}  LOGON {scheme, principal, credentials} (Bolt 5.1 and later)
//! C: INIT "user agent" {scheme, principal, credentials}             (Bolt 1 and 2)
//! S: SUCCESS {server, connection_id}   or   FAILURE {code (neo4j_code from 5.7), message}
//! C: RUN "cypher" {parameters} {extra}, PULL {n}
//! ```
//!
//! Requests are pipelined; the server answers each with one summary (SUCCESS, FAILURE or
//! IGNORED; RECORDs before a PULL's), in order, which is how each is judged.
//!
//! Reported: protocol `bolt`; the `basic` scheme's principal and credentials in clear
//! (mechanism `HELLO basic`, `LOGON basic` or `INIT basic`), a `bearer` scheme's token
//! (`... bearer`, kind `token`); `details.realm` when one is given, `details.user_agent`.
//! Outcome: the login's summary, `details.reason` the FAILURE's code. Then the client's
//! next 256 requests: passwords in the Cypher of RUN messages (see [`super::sql`]'s Cypher
//! dialect: `CREATE|ALTER USER ... SET PASSWORD`, `ALTER CURRENT USER SET PASSWORD FROM
//! ... TO ...`, the `dbms.security` procedures), a `$parameter` read from the RUN's
//! parameters; judged by the RUN's summary and its PULL's (a FAILURE's code in
//! `details.diagnostic`).

use std::collections::VecDeque;

use super::sql::{self, Dialect};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "bolt",
    tcp_ports: &[7687],
    probe,
    new: |_config| Box::<Bolt>::default(),
};

pub const MAGIC: [u8; 4] = [0x60, 0x60, 0xb0, 0x17];
/// The server's answer that a manifest of versions follows (Bolt's handshake v2).
const MANIFEST: [u8; 4] = [0, 0, 1, 0xff];

// Message signatures.
pub const HELLO: u8 = 0x01;
pub const GOODBYE: u8 = 0x02;
pub const RESET: u8 = 0x0f;
pub const RUN: u8 = 0x10;
pub const DISCARD: u8 = 0x2f;
pub const PULL: u8 = 0x3f;
pub const LOGON: u8 = 0x6a;
pub const SUCCESS: u8 = 0x70;
pub const RECORD: u8 = 0x71;
pub const IGNORED: u8 = 0x7e;
pub const FAILURE: u8 = 0x7f;

/// Longest message kept whole (a RUN with its query and parameters); longer ones (bulk
/// parameters, big records) are passed over.
const MAX_MESSAGE: usize = 1 << 20;
/// Requests awaiting their summary, at most.
const MAX_PENDING: usize = 64;
/// Client requests read after the login.
const REQUESTS_AFTER_LOGIN: u32 = 256;
/// Client messages without a login after which a connection is left.
const MESSAGES_BEFORE_LOGIN: u32 = 32;
/// Nesting of PackStream values read.
const MAX_DEPTH: u8 = 16;
/// Longest handshake (a manifest of 64 versions).
const MAX_HANDSHAKE: usize = 512;

pub fn probe(to_server: &[u8], _to_client: &[u8]) -> Probe {
    let n = to_server.len().min(4);
    if to_server[..n] != MAGIC[..n] {
        Probe::No
    } else if n == 4 {
        Probe::Yes
    } else {
        Probe::Maybe
    }
}

/// A PackStream value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Bytes(Vec<u8>),
    String(Vec<u8>),
    List(Vec<Value>),
    Map(Vec<(Vec<u8>, Value)>),
    Struct(u8, Vec<Value>),
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.iter().find(|(k, _)| k == key.as_bytes()).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

fn be(p: &[u8], at: &mut usize, n: usize) -> Option<u64> {
    let b = p.get(*at..*at + n)?;
    *at += n;
    Some(b.iter().fold(0, |v, &x| v << 8 | u64::from(x)))
}

/// One PackStream value at `at`.
pub fn value(p: &[u8], at: &mut usize, depth: u8) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let marker = *p.get(*at)?;
    *at += 1;
    let sized = |at: &mut usize, n: usize| be(p, at, n).and_then(|l| usize::try_from(l).ok());
    let bytes = |at: &mut usize, len: usize| -> Option<Vec<u8>> {
        let b = p.get(*at..*at + len)?.to_vec();
        *at += len;
        Some(b)
    };
    let list = |at: &mut usize, len: usize| -> Option<Vec<Value>> {
        // Every value takes a byte at least.
        if len > p.len().saturating_sub(*at) {
            return None;
        }
        (0..len).map(|_| value(p, at, depth + 1)).collect()
    };
    let map = |at: &mut usize, len: usize| -> Option<Vec<(Vec<u8>, Value)>> {
        if len > p.len().saturating_sub(*at) / 2 {
            return None;
        }
        (0..len)
            .map(|_| match value(p, at, depth + 1)? {
                Value::String(k) => Some((k, value(p, at, depth + 1)?)),
                _ => None,
            })
            .collect()
    };
    Some(match marker {
        0x00..=0x7f => Value::Int(i64::from(marker)),
        0xf0..=0xff => Value::Int(i64::from(marker as i8)),
        0x80..=0x8f => Value::String(bytes(at, usize::from(marker & 0x0f))?),
        0x90..=0x9f => Value::List(list(at, usize::from(marker & 0x0f))?),
        0xa0..=0xaf => Value::Map(map(at, usize::from(marker & 0x0f))?),
        0xb0..=0xbf => {
            let signature = *p.get(*at)?;
            *at += 1;
            Value::Struct(signature, list(at, usize::from(marker & 0x0f))?)
        }
        0xc0 => Value::Null,
        0xc1 => Value::Float(f64::from_bits(be(p, at, 8)?)),
        0xc2 => Value::Bool(false),
        0xc3 => Value::Bool(true),
        0xc8 => Value::Int(i64::from(be(p, at, 1)? as u8 as i8)),
        0xc9 => Value::Int(i64::from(be(p, at, 2)? as u16 as i16)),
        0xca => Value::Int(i64::from(be(p, at, 4)? as u32 as i32)),
        0xcb => Value::Int(be(p, at, 8)? as i64),
        0xcc..=0xce => {
            let len = sized(at, 1 << (marker - 0xcc))?;
            Value::Bytes(bytes(at, len)?)
        }
        0xd0..=0xd2 => {
            let len = sized(at, 1 << (marker - 0xd0))?;
            Value::String(bytes(at, len)?)
        }
        0xd4..=0xd6 => {
            let len = sized(at, 1 << (marker - 0xd4))?;
            Value::List(list(at, len)?)
        }
        0xd8..=0xda => {
            let len = sized(at, 1 << (marker - 0xd8))?;
            Value::Map(map(at, len)?)
        }
        _ => return None,
    })
}

/// A message: its signature and fields.
pub fn message(p: &[u8]) -> Option<(u8, Vec<Value>)> {
    match value(p, &mut 0, 0)? {
        Value::Struct(signature, fields) => Some((signature, fields)),
        _ => None,
    }
}

/// What a request awaits from its summary.
#[derive(Debug)]
enum Request {
    /// A HELLO, LOGON or INIT carrying credentials.
    Login(Vec<Credential>),
    /// A RUN whose query sets passwords.
    Run(Vec<Credential>),
    /// A PULL or DISCARD: the findings of the RUN before it, once its summary came.
    Pull(Vec<Credential>),
    Other,
}

/// Where one direction's bytes are.
#[derive(Debug, Default)]
struct Side {
    /// The handshake's bytes so far (the client's 20, the server's 4 or its manifest, the
    /// client's pick from a manifest).
    handshake: Vec<u8>,
    handshake_done: bool,
    /// Bytes of the current chunk still to come, and whether the message is kept.
    chunk: usize,
    /// The length of the next chunk, when its first byte came alone.
    half: Option<u8>,
    message: Vec<u8>,
    oversized: bool,
    frames: Vec<u64>,
}

/// The Bolt dissector of one connection.
#[derive(Debug, Default)]
pub struct Bolt {
    sides: [Side; 2],
    /// The server answered with a manifest: the client then picks a version (a second
    /// handshake of its own).
    manifest: bool,
    pending: VecDeque<Request>,
    user: Option<Vec<u8>>,
    user_agent: Option<String>,
    logged_in: bool,
    requests: u32,
    messages: u32,
    done: bool,
}

/// An unsigned LEB128 integer at the start of `p`: its value and length.
fn varint(p: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in p.iter().enumerate().take(9) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

impl Bolt {
    /// How many bytes of `dir`'s handshake `held` (what came so far) has, once known.
    fn handshake_len(&self, dir: Direction, held: &[u8]) -> Option<usize> {
        match dir {
            Direction::ToServer => {
                if !self.manifest {
                    return Some(20);
                }
                // The version picked and a varint of capabilities.
                let (_, n) = varint(held.get(4..)?)?;
                Some(4 + n)
            }
            Direction::ToClient => {
                if held.get(..4)? != MANIFEST {
                    return Some(4);
                }
                let (count, n) = varint(&held[4..])?;
                let versions = usize::try_from(count).ok()?.checked_mul(4)?;
                if versions > 256 {
                    return None;
                }
                let (_, m) = varint(held.get(4 + n + versions..)?)?;
                Some(4 + n + versions + m)
            }
        }
    }

    fn credential(&self, mechanism: String, kind: Kind, ts: Timestamp) -> Credential {
        let mut c = Credential::new("bolt", mechanism, kind, ts);
        if let Some(agent) = &self.user_agent {
            c.details.push(("user_agent", agent.clone()));
        }
        c
    }

    /// The credentials of an authentication map (`message`: HELLO, LOGON, INIT).
    fn auth(&self, message: &str, auth: &Value, frames: &[u64], ts: Timestamp) -> Vec<Credential> {
        let scheme = auth.get("scheme").and_then(Value::str).unwrap_or_default();
        let Some(credentials) = auth.get("credentials").and_then(Value::str) else {
            return Vec::new();
        };
        let (kind, scheme) = match scheme {
            b"basic" => (Kind::Cleartext, "basic".to_string()),
            b"bearer" => (Kind::Token, "bearer".to_string()),
            b"kerberos" => (Kind::Token, "kerberos".to_string()),
            other if !other.is_empty() => {
                (Kind::Cleartext, String::from_utf8_lossy(other).into_owned())
            }
            _ => return Vec::new(),
        };
        if credentials.is_empty() {
            return Vec::new();
        }
        let mut c = self.credential(format!("{message} {scheme}"), kind, ts);
        c.username = auth
            .get("principal")
            .and_then(Value::str)
            .filter(|p| !p.is_empty())
            .map(<[u8]>::to_vec);
        c.secret = Some(credentials.to_vec());
        if let Some(realm) = auth
            .get("realm")
            .and_then(Value::str)
            .filter(|r| !r.is_empty())
        {
            c.details
                .push(("realm", String::from_utf8_lossy(realm).into_owned()));
        }
        c.add_frames(frames.iter().copied());
        vec![c]
    }

    fn request(&mut self, p: &[u8], frames: &[u64], ts: Timestamp) {
        let Some((signature, fields)) = message(p) else {
            return;
        };
        self.messages = self.messages.saturating_add(1);
        let request = match signature {
            GOODBYE => return,
            HELLO => {
                let (name, auth) = match &fields[..] {
                    // INIT "user agent" {auth} (Bolt 1, 2).
                    [Value::String(agent), auth @ Value::Map(_)] => {
                        self.user_agent = Some(String::from_utf8_lossy(agent).into_owned());
                        ("INIT", auth)
                    }
                    [extra @ Value::Map(_), ..] => {
                        if let Some(agent) = extra.get("user_agent").and_then(Value::str) {
                            self.user_agent = Some(String::from_utf8_lossy(agent).into_owned());
                        }
                        ("HELLO", extra)
                    }
                    _ => return,
                };
                let found = self.auth(name, auth, frames, ts);
                if found.is_empty() {
                    Request::Other
                } else {
                    Request::Login(found)
                }
            }
            LOGON => match fields.first() {
                Some(auth) => {
                    let found = self.auth("LOGON", auth, frames, ts);
                    if found.is_empty() {
                        Request::Other
                    } else {
                        Request::Login(found)
                    }
                }
                None => Request::Other,
            },
            RUN if self.logged_in && self.requests < REQUESTS_AFTER_LOGIN => {
                self.requests += 1;
                match fields.first().and_then(Value::str) {
                    Some(query) => {
                        let found = self.statement(query, fields.get(1), frames, ts);
                        if found.is_empty() {
                            Request::Other
                        } else {
                            Request::Run(found)
                        }
                    }
                    None => Request::Other,
                }
            }
            PULL | DISCARD => Request::Pull(Vec::new()),
            _ => {
                if self.logged_in {
                    self.requests = self.requests.saturating_add(1);
                }
                Request::Other
            }
        };
        if self.pending.len() < MAX_PENDING {
            self.pending.push_back(request);
        }
    }

    fn statement(
        &self,
        query: &[u8],
        parameters: Option<&Value>,
        frames: &[u64],
        ts: Timestamp,
    ) -> Vec<Credential> {
        sql::passwords(query, Dialect::Cypher)
            .into_iter()
            .filter_map(|mut p| {
                if let Some(name) = p.parameter.take() {
                    let name = String::from_utf8_lossy(&name).into_owned();
                    p.secret = parameters?.get(&name)?.str()?.to_vec();
                    if p.secret.is_empty() {
                        return None;
                    }
                }
                let mut c = p.credential("bolt", self.user.as_deref(), None, frames, ts);
                if let Some(agent) = &self.user_agent {
                    c.details.push(("user_agent", agent.clone()));
                }
                Some(c)
            })
            .collect()
    }

    fn summary(&mut self, p: &[u8], frames: &[u64], out: &mut Vec<Credential>) {
        let Some((signature, fields)) = message(p) else {
            return;
        };
        let verdict = match signature {
            SUCCESS => Some(Ok(())),
            FAILURE => {
                let meta = fields.first();
                let code = meta
                    .and_then(|m| m.get("neo4j_code").or_else(|| m.get("code")))
                    .and_then(Value::str)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .unwrap_or_default();
                Some(Err(code))
            }
            IGNORED => None,
            _ => return,
        };
        let Some(request) = self.pending.pop_front() else {
            return;
        };
        let judge = |found: Vec<Credential>, why: &'static str, out: &mut Vec<Credential>| {
            for mut c in found {
                c.add_frames(frames.iter().copied());
                match &verdict {
                    Some(Ok(())) => c.outcome = Outcome::Success,
                    Some(Err(code)) => {
                        c.outcome = Outcome::Failure;
                        if !code.is_empty() {
                            c.details.push((why, code.clone()));
                        }
                    }
                    None => {}
                }
                out.push(c);
            }
        };
        match request {
            Request::Login(found) => {
                if verdict == Some(Ok(())) {
                    self.logged_in = true;
                    self.requests = 0;
                    self.user = found.first().and_then(|c| c.username.clone());
                }
                judge(found, "reason", out);
            }
            Request::Run(found) => match (&verdict, self.pending.front_mut()) {
                // Accepted: its PULL's summary says whether it ran.
                (Some(Ok(())), Some(Request::Pull(after))) => *after = found,
                _ => judge(found, "diagnostic", out),
            },
            Request::Pull(found) => judge(found, "diagnostic", out),
            Request::Other => {}
        }
    }

    fn whole(
        &mut self,
        dir: Direction,
        p: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        match dir {
            Direction::ToServer => self.request(p, frames, ts),
            Direction::ToClient => self.summary(p, frames, out),
        }
    }
}

impl Dissector for Bolt {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let mut rest = chunk.data;
        let d = dir.index();
        while !rest.is_empty() && !self.done {
            if !self.sides[d].handshake_done {
                let side = &mut self.sides[d];
                let before = side.handshake.len();
                let take = rest.len().min(MAX_HANDSHAKE - before);
                side.handshake.extend_from_slice(&rest[..take]);
                let held = std::mem::take(&mut side.handshake);
                match self.handshake_len(dir, &held) {
                    Some(n) if held.len() >= n => {
                        self.sides[d].handshake_done = true;
                        // (Never below: with those bytes alone the handshake was whole.)
                        rest = rest.get(n.saturating_sub(before)..).unwrap_or_default();
                        if dir == Direction::ToClient && held.starts_with(&MANIFEST) {
                            // The client picks from the manifest: its own second handshake.
                            self.manifest = true;
                            let client = &mut self.sides[Direction::ToServer.index()];
                            client.handshake_done = false;
                            client.handshake.clear();
                        }
                    }
                    _ if held.len() >= MAX_HANDSHAKE => {
                        self.done = true;
                        return;
                    }
                    _ => {
                        self.sides[d].handshake = held;
                        return;
                    }
                }
                continue;
            }
            let side = &mut self.sides[d];
            if side.chunk == 0 {
                // A chunk's 2-byte length, perhaps split.
                let (len, used) = match side.half.take() {
                    Some(high) => (usize::from(high) << 8 | usize::from(rest[0]), 1),
                    None if rest.len() >= 2 => {
                        (usize::from(rest[0]) << 8 | usize::from(rest[1]), 2)
                    }
                    None => {
                        side.half = Some(rest[0]);
                        return;
                    }
                };
                rest = &rest[used..];
                if len == 0 {
                    // The message's end (or a keep-alive NOOP between messages).
                    let message = std::mem::take(&mut side.message);
                    let frames = std::mem::take(&mut side.frames);
                    let oversized = std::mem::replace(&mut side.oversized, false);
                    if !message.is_empty() && !oversized {
                        self.whole(dir, &message, &frames, chunk.ts, out);
                        let side = &mut self.sides[d];
                        if side.message.capacity() < 64 << 10 {
                            side.message = message;
                            side.message.clear();
                        }
                    } else if oversized && dir == Direction::ToClient {
                        // A big RECORD: no summary to match.
                    } else if oversized {
                        self.messages = self.messages.saturating_add(1);
                        if self.pending.len() < MAX_PENDING {
                            self.pending.push_back(Request::Other);
                        }
                    }
                    continue;
                }
                side.chunk = len;
                continue;
            }
            let take = side.chunk.min(rest.len());
            if !side.oversized {
                if side.message.len() + take > MAX_MESSAGE {
                    side.oversized = true;
                    side.message.clear();
                } else {
                    side.message.extend_from_slice(&rest[..take]);
                    if side.frames.last() != Some(&chunk.frame) && side.frames.len() < 32 {
                        side.frames.push(chunk.frame);
                    }
                }
            }
            side.chunk -= take;
            rest = &rest[take..];
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        // Chunks cannot be found again after lost bytes.
        self.done = true;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for request in self.pending.drain(..) {
            match request {
                Request::Login(found) | Request::Run(found) | Request::Pull(found) => {
                    out.extend(found)
                }
                Request::Other => {}
            }
        }
    }

    fn done(&self) -> bool {
        let idle = self
            .pending
            .iter()
            .all(|r| matches!(r, Request::Other) || matches!(r, Request::Pull(f) if f.is_empty()));
        self.done
            || (idle
                && (self.requests >= REQUESTS_AFTER_LOGIN
                    || (!self.logged_in && self.messages >= MESSAGES_BEFORE_LOGIN)))
    }

    fn buffered(&self) -> usize {
        self.sides
            .iter()
            .map(|s| s.message.capacity() + s.handshake.capacity())
            .sum::<usize>()
            + self.pending.len() * 64
    }
}

/// Bolt messages for tests and the fixtures' generator.
pub mod build {
    use super::{MAGIC, Value};

    /// A PackStream encoding of `v`.
    pub fn pack(v: &Value, out: &mut Vec<u8>) {
        let sized = |out: &mut Vec<u8>, tiny: u8, base: u8, len: usize| {
            if len < 16 && tiny != 0 {
                out.push(tiny | len as u8);
            } else if len < 0x100 {
                out.extend([base, len as u8]);
            } else if len < 0x10000 {
                out.push(base + 1);
                out.extend((len as u16).to_be_bytes());
            } else {
                out.push(base + 2);
                out.extend((len as u32).to_be_bytes());
            }
        };
        match v {
            Value::Null => out.push(0xc0),
            Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
            Value::Int(i) if (-16..128).contains(i) => out.push(*i as i8 as u8),
            Value::Int(i) if i32::try_from(*i).is_ok() => {
                out.push(0xca);
                out.extend((*i as i32).to_be_bytes());
            }
            Value::Int(i) => {
                out.push(0xcb);
                out.extend(i.to_be_bytes());
            }
            Value::Float(f) => {
                out.push(0xc1);
                out.extend(f.to_bits().to_be_bytes());
            }
            Value::Bytes(b) => {
                sized(out, 0, 0xcc, b.len());
                out.extend_from_slice(b);
            }
            Value::String(s) => {
                sized(out, 0x80, 0xd0, s.len());
                out.extend_from_slice(s);
            }
            Value::List(l) => {
                sized(out, 0x90, 0xd4, l.len());
                for x in l {
                    pack(x, out);
                }
            }
            Value::Map(m) => {
                sized(out, 0xa0, 0xd8, m.len());
                for (k, x) in m {
                    pack(&Value::String(k.clone()), out);
                    pack(x, out);
                }
            }
            Value::Struct(signature, fields) => {
                out.extend([0xb0 | fields.len() as u8, *signature]);
                for x in fields {
                    pack(x, out);
                }
            }
        }
    }

    pub fn s(text: &str) -> Value {
        Value::String(text.as_bytes().to_vec())
    }

    pub fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.clone()))
                .collect(),
        )
    }

    /// A message in chunks of at most `chunk` bytes, then the empty chunk.
    pub fn message(signature: u8, fields: Vec<Value>, chunk: usize) -> Vec<u8> {
        let mut body = Vec::new();
        pack(&Value::Struct(signature, fields), &mut body);
        let mut out = Vec::new();
        for c in body.chunks(chunk.max(1)) {
            out.extend((c.len() as u16).to_be_bytes());
            out.extend_from_slice(c);
        }
        out.extend([0, 0]);
        out
    }

    /// The client's handshake: the magic, then what the Python driver 5.28 proposes (a
    /// manifest, 5.0-5.8, 4.2-4.4, 3.0).
    pub fn handshake() -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend([0, 0, 1, 0xff, 0, 8, 8, 5, 0, 2, 4, 4, 0, 0, 0, 3]);
        v
    }

    /// The basic scheme's authentication map.
    pub fn basic(user: &str, password: &str) -> Value {
        map(&[
            ("scheme", s("basic")),
            ("principal", s(user)),
            ("credentials", s(password)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::build::{basic, handshake, map, message as msg, s};
    use super::*;
    use crate::dissect::script::play;
    use Direction::{ToClient as S, ToServer as C};

    fn success() -> Vec<u8> {
        msg(SUCCESS, vec![map(&[("server", s("Neo4j/5.26.0"))])], 4096)
    }

    fn failure(code_key: &str, code: &str) -> Vec<u8> {
        msg(
            FAILURE,
            vec![map(&[(code_key, s(code)), ("message", s("no"))])],
            4096,
        )
    }

    fn rows(out: &[Credential]) -> Vec<(String, String, String, Outcome, String)> {
        out.iter()
            .map(|c| {
                let t = |b: &Option<Vec<u8>>| {
                    String::from_utf8_lossy(b.as_deref().unwrap_or_default()).into_owned()
                };
                let why = c.detail("reason").or(c.detail("diagnostic")).unwrap_or("");
                (
                    c.mechanism.to_string(),
                    t(&c.username),
                    t(&c.secret),
                    c.outcome,
                    why.to_string(),
                )
            })
            .collect()
    }

    fn row(
        m: &str,
        u: &str,
        p: &str,
        o: Outcome,
        why: &str,
    ) -> (String, String, String, Outcome, String) {
        (m.into(), u.into(), p.into(), o, why.into())
    }

    /// Bolt 5.8: HELLO and LOGON in one segment, a refused login, RUN and PULL.
    fn bolt5() -> Vec<(Direction, Vec<u8>)> {
        let hello = msg(
            HELLO,
            vec![map(&[("user_agent", s("neo4j-java/5.26"))])],
            4096,
        );
        vec![
            (C, handshake()),
            (S, vec![0, 0, 8, 5]),
            (
                C,
                [
                    hello.clone(),
                    msg(LOGON, vec![basic("neo4j", "Wr0ng")], 4096),
                ]
                .concat(),
            ),
            (
                S,
                [
                    success(),
                    failure("neo4j_code", "Neo.ClientError.Security.Unauthorized"),
                ]
                .concat(),
            ),
            (C, msg(RESET, vec![], 4096)),
            (S, success()),
            (C, msg(LOGON, vec![basic("neo4j", "N30-Pw")], 4096)),
            (S, success()),
            (
                C,
                [
                    msg(
                        RUN,
                        vec![
                            s("ALTER USER alice SET PASSWORD $pw CHANGE NOT REQUIRED"),
                            map(&[("pw", s("Al1ce-9"))]),
                            map(&[]),
                        ],
                        7,
                    ),
                    msg(PULL, vec![map(&[("n", Value::Int(1000))])], 4096),
                ]
                .concat(),
            ),
            (S, [success(), success()].concat()),
            (
                C,
                [
                    msg(
                        RUN,
                        vec![
                            s("CREATE USER bob SET PASSWORD 'B0b-1'"),
                            map(&[]),
                            map(&[]),
                        ],
                        4096,
                    ),
                    msg(PULL, vec![map(&[("n", Value::Int(-1))])], 4096),
                ]
                .concat(),
            ),
            (
                S,
                [
                    failure("neo4j_code", "Neo.ClientError.Security.Forbidden"),
                    msg(IGNORED, vec![], 4096),
                ]
                .concat(),
            ),
            (C, msg(GOODBYE, vec![], 4096)),
        ]
    }

    #[test]
    fn bolt5_logins_and_password_statements() {
        let (out, _) = play(&mut Bolt::default(), &bolt5());
        assert_eq!(
            rows(&out),
            vec![
                row(
                    "LOGON basic",
                    "neo4j",
                    "Wr0ng",
                    Outcome::Failure,
                    "Neo.ClientError.Security.Unauthorized"
                ),
                row("LOGON basic", "neo4j", "N30-Pw", Outcome::Success, ""),
                row(
                    "ALTER USER ... SET PASSWORD",
                    "alice",
                    "Al1ce-9",
                    Outcome::Success,
                    ""
                ),
                row(
                    "CREATE USER ... SET PASSWORD",
                    "bob",
                    "B0b-1",
                    Outcome::Failure,
                    "Neo.ClientError.Security.Forbidden"
                ),
            ]
        );
        assert_eq!(out[0].detail("user_agent"), Some("neo4j-java/5.26"));
        assert_eq!(out[0].kind, Kind::Cleartext);
    }

    #[test]
    fn every_split_gives_the_same_findings() {
        let script = bolt5();
        let (whole, _) = play(&mut Bolt::default(), &script);
        assert_eq!(whole.len(), 4, "{whole:?}");
        for cut in 1..24 {
            let split: Vec<(Direction, Vec<u8>)> = script
                .iter()
                .flat_map(|(d, b)| b.chunks(cut).map(|c| (*d, c.to_vec())).collect::<Vec<_>>())
                .collect();
            let (out, _) = play(&mut Bolt::default(), &split);
            assert_eq!(rows(&out), rows(&whole), "pieces of {cut}");
        }
    }

    #[test]
    fn older_versions_carry_credentials_in_hello_and_init() {
        // Bolt 4.4: HELLO with the credentials; a bearer token too.
        let hello = |auth: Vec<(&str, Value)>| {
            let mut pairs = vec![("user_agent", s("neo4j-python/4.4.12"))];
            pairs.extend(auth);
            msg(HELLO, vec![map(&pairs)], 4096)
        };
        let script = vec![
            (C, handshake()),
            (S, vec![0, 0, 4, 4]),
            (
                C,
                hello(vec![
                    ("scheme", s("basic")),
                    ("principal", s("neo4j")),
                    ("credentials", s("H3llo-Pw")),
                    ("realm", s("native")),
                ]),
            ),
            (S, success()),
        ];
        let (out, _) = play(&mut Bolt::default(), &script);
        assert_eq!(
            rows(&out),
            vec![row(
                "HELLO basic",
                "neo4j",
                "H3llo-Pw",
                Outcome::Success,
                ""
            )]
        );
        assert_eq!(out[0].detail("realm"), Some("native"));
        let script = vec![
            (C, handshake()),
            (S, vec![0, 0, 4, 4]),
            (
                C,
                hello(vec![
                    ("scheme", s("bearer")),
                    ("credentials", s("eyJhbGciOi.tok.en")),
                ]),
            ),
            (S, failure("code", "Neo.ClientError.Security.Unauthorized")),
        ];
        let (out, _) = play(&mut Bolt::default(), &script);
        assert_eq!(
            rows(&out),
            vec![row(
                "HELLO bearer",
                "",
                "eyJhbGciOi.tok.en",
                Outcome::Failure,
                "Neo.ClientError.Security.Unauthorized"
            )]
        );
        assert_eq!(out[0].kind, Kind::Token);
        // Bolt 1: INIT "agent" {auth}.
        let script = vec![
            (
                C,
                [
                    &MAGIC[..],
                    &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                ]
                .concat(),
            ),
            (S, vec![0, 0, 0, 1]),
            (
                C,
                msg(
                    HELLO,
                    vec![s("neo4j-javascript/1.7"), basic("neo4j", "Init-Pw")],
                    4096,
                ),
            ),
            (S, success()),
            // A scheme without credentials gives nothing.
        ];
        let (out, _) = play(&mut Bolt::default(), &script);
        assert_eq!(
            rows(&out),
            vec![row("INIT basic", "neo4j", "Init-Pw", Outcome::Success, "")]
        );
        assert_eq!(out[0].detail("user_agent"), Some("neo4j-javascript/1.7"));
    }

    #[test]
    fn a_manifest_handshake_is_passed_over() {
        // Neo4j 2025: 00 00 01 FF, two versions and capabilities; the client picks 5.8.
        let script = vec![
            (C, handshake()),
            (S, vec![0, 0, 1, 0xff, 2, 0, 8, 8, 5, 0, 0, 4, 4, 0]),
            (
                C,
                [
                    vec![0, 0, 8, 5, 0],
                    msg(HELLO, vec![map(&[])], 4096),
                    msg(LOGON, vec![basic("neo4j", "Man1fest")], 4096),
                ]
                .concat(),
            ),
            (S, [success(), success()].concat()),
        ];
        let (out, _) = play(&mut Bolt::default(), &script);
        assert_eq!(
            rows(&out),
            vec![row(
                "LOGON basic",
                "neo4j",
                "Man1fest",
                Outcome::Success,
                ""
            )]
        );
    }

    #[test]
    fn packstream_values() {
        let mut b = Vec::new();
        let v = Value::List(vec![
            Value::Int(-16),
            Value::Int(1 << 40),
            Value::Int(-129),
            Value::Float(1.5),
            Value::Bytes(vec![1, 2]),
            s(&"x".repeat(300)),
            Value::Null,
            Value::Bool(true),
            map(&[("k", Value::List(vec![]))]),
        ]);
        build::pack(&v, &mut b);
        assert_eq!(value(&b, &mut 0, 0), Some(v));
        // Lengths past the end, bad markers and deep nesting are refused.
        assert_eq!(value(&[0xd1, 0xff, 0xff, b'a'], &mut 0, 0), None);
        assert_eq!(value(&[0xd6, 0xff, 0xff, 0xff, 0xff], &mut 0, 0), None);
        assert_eq!(value(&[0xe0], &mut 0, 0), None);
        assert_eq!(value(&[0x91; 40], &mut 0, 0), None);
        assert_eq!(value(&[0xa1, 0x01, 0x01], &mut 0, 0), None);
    }

    #[test]
    fn probe_needs_the_magic() {
        assert_eq!(probe(&handshake(), b""), Probe::Yes);
        assert_eq!(probe(&MAGIC[..2], b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
    }

    #[test]
    fn a_connection_without_a_login_is_left() {
        let mut d = Bolt::default();
        let mut out = Vec::new();
        let ts = Timestamp::ZERO;
        d.data(
            C,
            Chunk {
                data: &handshake(),
                frame: 1,
                ts,
            },
            &mut out,
        );
        d.data(
            S,
            Chunk {
                data: &[0, 0, 8, 5],
                frame: 2,
                ts,
            },
            &mut out,
        );
        for _ in 0..MESSAGES_BEFORE_LOGIN {
            assert!(!d.done());
            let m = msg(HELLO, vec![map(&[("user_agent", s("probe"))])], 4096);
            d.data(
                C,
                Chunk {
                    data: &m,
                    frame: 3,
                    ts,
                },
                &mut out,
            );
            d.data(
                S,
                Chunk {
                    data: &success(),
                    frame: 4,
                    ts,
                },
                &mut out,
            );
        }
        assert!(d.done());
    }

    #[test]
    fn never_panics_on_garbage() {
        let valid: Vec<Vec<u8>> = bolt5().into_iter().map(|(_, m)| m).collect();
        crate::dissect::garbage::feed(
            0xb017,
            400,
            8,
            &valid,
            Bolt::default,
            |m| {
                let _ = message(m);
                let _ = varint(m);
                let _ = probe(m, m);
            },
            |r| u64::from(r.next() % 16),
            |d| {
                let _ = Dissector::buffered(d);
            },
        );
    }
}
