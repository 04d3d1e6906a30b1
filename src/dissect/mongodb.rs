//! MongoDB's wire protocol (TCP 27017-27019, any by content): a driver's authentication
//! commands, in `OP_MSG` (opcode 2013, MongoDB 3.6+) or in `OP_QUERY` on `<db>.$cmd`
//! (opcode 2004, older drivers and the first `hello` of every connection), answered in
//! `OP_MSG` or `OP_REPLY` (opcode 1). Messages are little-endian, behind a 16-byte header
//! whose `responseTo` names the request answered; commands are BSON documents whose first
//! key is the command's name.
//!
//! - `saslStart` / `saslContinue` with `SCRAM-SHA-1` or `SCRAM-SHA-256` (the default
//!   since MongoDB 3.0 and 4.0), and the same first step carried by `hello`'s
//!   `speculativeAuthenticate` (drivers since 4.4 save a round trip with it): mechanism
//!   `SCRAM-SHA-256`, challenge-response, the proof and its `AuthMessage` (see
//!   [`super::scram`]). For `SCRAM-SHA-1` MongoDB hashes the password first: what PBKDF2
//!   takes is hex(MD5(user `:mongo:` password)), said in `details.password_input`.
//! - `saslStart` with `PLAIN` (LDAP or `$external` users of MongoDB Enterprise and Atlas):
//!   the user name and password, cleartext.
//! - `getnonce` then `authenticate` (`MONGODB-CR`, servers before 4.0): `key` =
//!   hex(MD5(nonce + user + hex(MD5(user `:mongo:` password)))), challenge-response, the
//!   nonce as challenge, John the Ripper's `mongodb` format `$mongodb$1$user$nonce$key`.
//! - `MONGODB-X509`, `GSSAPI`, `MONGODB-AWS`: no password, nothing.
//!
//! - `createUser` and `updateUser` (the shell's `db.createUser`, `db.changeUserPassword`,
//!   drivers' user management, the first administrator created through the localhost
//!   exception): the account and its new password (`pwd`) in clear, mechanism
//!   `createUser` or `updateUser`; with `digestPassword: false` the client sent
//!   hex(MD5(user `:mongo:` password)) instead, a hash (John the Ripper's `mongodb` format
//!   `$mongodb$0$user$digest`).
//!
//! The authentication database (`$db`, the `<db>.$cmd` collection, or `db` inside
//! `speculativeAuthenticate`) goes in `details.database`. Outcome: the reply's `ok` (1
//! success, 0 failure with `errmsg` in `details.reason`). A connection is read until
//! [`MAX_COMMANDS`] commands passed without a login, and for [`AFTER_LOGIN`] commands
//! after one.

use super::prefixed::{Framed, Head, Messages};
use super::sasl::parse_plain;
use super::scram::{self, Scram};
use super::{Probe, ProtocolSpec};
use crate::finding::{Credential, John, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "mongodb",
    tcp_ports: &[27017, 27018, 27019],
    probe,
    new: |_config| Box::new(Mongodb::default()),
};

pub const OP_REPLY: u32 = 1;
pub const OP_QUERY: u32 = 2004;
pub const OP_COMPRESSED: u32 = 2012;
pub const OP_MSG: u32 = 2013;

/// The message header's size.
pub const HEADER: usize = 16;
/// The largest message MongoDB accepts (48 MB).
const MAX_WIRE: usize = 48_000_000;
/// The longest message buffered whole (authentication commands are a few hundred bytes);
/// longer ones are skipped.
pub const MAX_MESSAGE: usize = 64 << 10;
/// Client commands read without a login under way before the connection is left alone.
pub const MAX_COMMANDS: u32 = 16;
/// How many commands after a login are read (for `createUser` and `updateUser`).
pub const AFTER_LOGIN: u32 = 256;
/// Requests remembered while their replies are awaited.
const MAX_PENDING: usize = 8;
/// Longest server error copied into `details.reason`.
const MAX_REASON: usize = 256;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub len: usize,
    pub request_id: u32,
    pub response_to: u32,
    pub opcode: u32,
}

pub fn header(b: &[u8]) -> Option<Header> {
    Some(Header {
        len: le32(b, 0)? as usize,
        request_id: le32(b, 4)?,
        response_to: le32(b, 8)?,
        opcode: le32(b, 12)?,
    })
}

fn head(b: &[u8]) -> Head {
    match le32(b, 0) {
        None => Head::Incomplete,
        Some(len) if (HEADER + 5..=MAX_WIRE).contains(&(len as usize)) => {
            Head::Message(len as usize)
        }
        Some(_) => Head::Invalid,
    }
}

fn start(b: &[u8]) -> Probe {
    match header(b) {
        None => Probe::Maybe,
        Some(h)
            if (HEADER + 5..=MAX_WIRE).contains(&h.len)
                && matches!(h.opcode, OP_REPLY | OP_QUERY | OP_COMPRESSED | OP_MSG) =>
        {
            Probe::Yes
        }
        Some(_) => Probe::No,
    }
}

/// A request as a driver opens a connection: `OP_QUERY` on a `.$cmd` collection or
/// `OP_MSG` with a body section, `responseTo` zero. The server answering alone (a
/// capture that missed the client) is only Maybe.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return match header(to_client) {
            None => Probe::Maybe,
            Some(h)
                if (HEADER + 5..=MAX_WIRE).contains(&h.len)
                    && h.response_to != 0
                    && matches!(h.opcode, OP_REPLY | OP_MSG) =>
            {
                Probe::Maybe
            }
            Some(_) => Probe::No,
        };
    }
    let Some(h) = header(to_server) else {
        return Probe::Maybe;
    };
    if !(HEADER + 5..=MAX_WIRE).contains(&h.len) || h.response_to != 0 {
        return Probe::No;
    }
    match h.opcode {
        // flagBits, then a kind 0 section: a document whose length fits the message.
        OP_MSG => match (to_server.get(20), le32(to_server, 21)) {
            (Some(0), Some(doc)) if (5..=h.len as u32 - 21).contains(&doc) => Probe::Yes,
            (None, _) | (Some(0), None) => Probe::Maybe,
            _ => Probe::No,
        },
        // flags, then the collection: a command on `<db>.$cmd`.
        OP_QUERY => {
            let name = to_server.get(20..).unwrap_or_default();
            match name.iter().take(128).position(|&b| b == 0) {
                Some(end) if name[..end].ends_with(b".$cmd") => Probe::Yes,
                Some(_) => Probe::No,
                None if name.len() < 128 => Probe::Maybe,
                None => Probe::No,
            }
        }
        _ => Probe::No,
    }
}

/// Just enough BSON (bsonspec.org) to read a command: the top-level elements of a
/// document, each value decoded when it is one a command's fields use.
pub mod bson {
    /// A value of a document's element.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub enum Value<'a> {
        Double(f64),
        /// A UTF-8 string's bytes, without its NUL.
        Str(&'a [u8]),
        /// An embedded document (or array), whole.
        Doc(&'a [u8]),
        /// Binary data, without its subtype.
        Bin(&'a [u8]),
        Bool(bool),
        Int(i64),
        Other,
    }

    fn le32(b: &[u8], at: usize) -> Option<usize> {
        let s = b.get(at..at + 4)?;
        usize::try_from(i32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok()
    }

    /// The document at the start of `b`, cut to its own length.
    pub fn document(b: &[u8]) -> Option<&[u8]> {
        let len = le32(b, 0)?;
        let doc = b.get(..len)?;
        (len >= 5 && doc[len - 1] == 0).then_some(doc)
    }

    /// The elements of a document, in order, until the end or the first malformed one.
    pub fn elements(doc: &[u8]) -> Elements<'_> {
        Elements {
            rest: document(doc).map_or(&[][..], |d| &d[4..d.len() - 1]),
        }
    }

    pub struct Elements<'a> {
        rest: &'a [u8],
    }

    impl<'a> Iterator for Elements<'a> {
        type Item = (&'a [u8], Value<'a>);

        fn next(&mut self) -> Option<Self::Item> {
            let (&kind, b) = self.rest.split_first()?;
            let Some(end) = b.iter().position(|&c| c == 0) else {
                self.rest = &[];
                return None;
            };
            let (name, b) = (&b[..end], &b[end + 1..]);
            let string = |b: &'a [u8]| -> Option<(&'a [u8], usize)> {
                let len = le32(b, 0)?;
                let s = b.get(4..4 + len)?;
                Some((s.strip_suffix(&[0])?, 4 + len))
            };
            let parsed: Option<(Value<'a>, usize)> = match kind {
                0x01 => b
                    .get(..8)
                    .map(|d| (Value::Double(f64::from_le_bytes(d.try_into().unwrap())), 8)),
                0x02 => string(b).map(|(s, n)| (Value::Str(s), n)),
                0x0D | 0x0E => string(b).map(|(_, n)| (Value::Other, n)),
                0x03 | 0x04 => document(b).map(|d| (Value::Doc(d), d.len())),
                0x05 => {
                    le32(b, 0).and_then(|len| b.get(5..5 + len).map(|d| (Value::Bin(d), 5 + len)))
                }
                0x06 | 0x0A | 0x7F | 0xFF => Some((Value::Other, 0)),
                0x07 => Some((Value::Other, 12)),
                0x08 => b.first().map(|&v| (Value::Bool(v != 0), 1)),
                0x09 | 0x11 => Some((Value::Other, 8)),
                0x10 => b.get(..4).map(|d| {
                    (
                        Value::Int(i64::from(i32::from_le_bytes(d.try_into().unwrap()))),
                        4,
                    )
                }),
                0x12 => b
                    .get(..8)
                    .map(|d| (Value::Int(i64::from_le_bytes(d.try_into().unwrap())), 8)),
                0x13 => Some((Value::Other, 16)),
                0x0B => b.iter().position(|&c| c == 0).and_then(|a| {
                    b[a + 1..]
                        .iter()
                        .position(|&c| c == 0)
                        .map(|o| (Value::Other, a + o + 2))
                }),
                0x0C => string(b).map(|(_, n)| (Value::Other, n + 12)),
                0x0F => le32(b, 0).map(|n| (Value::Other, n)),
                _ => None,
            };
            match parsed {
                Some((v, n)) if n <= b.len() => {
                    self.rest = &b[n..];
                    Some((name, v))
                }
                _ => {
                    self.rest = &[];
                    None
                }
            }
        }
    }

    /// The value of the first element named `name`.
    pub fn get<'a>(doc: &'a [u8], name: &str) -> Option<Value<'a>> {
        elements(doc)
            .find(|(n, _)| *n == name.as_bytes())
            .map(|e| e.1)
    }

    pub fn str<'a>(doc: &'a [u8], name: &str) -> Option<&'a [u8]> {
        match get(doc, name)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Binary data, or a string where an old driver sent one.
    pub fn bytes<'a>(doc: &'a [u8], name: &str) -> Option<&'a [u8]> {
        match get(doc, name)? {
            Value::Bin(b) | Value::Str(b) => Some(b),
            _ => None,
        }
    }

    pub fn doc<'a>(doc: &'a [u8], name: &str) -> Option<&'a [u8]> {
        match get(doc, name)? {
            Value::Doc(d) => Some(d),
            _ => None,
        }
    }

    /// A number or boolean as a driver's `ok` or `done`: true when not zero.
    pub fn truthy(doc: &[u8], name: &str) -> Option<bool> {
        match get(doc, name)? {
            Value::Double(d) => Some(d != 0.0),
            Value::Int(i) => Some(i != 0),
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// A client's command: its database (when the message names one) and its document.
pub fn command(msg: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    let h = header(msg)?;
    match h.opcode {
        OP_MSG => {
            let doc = body_section(msg)?;
            Some((bson::str(doc, "$db"), doc))
        }
        OP_QUERY => {
            let rest = msg.get(20..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            let db = rest[..end].strip_suffix(b".$cmd")?;
            let doc = bson::document(rest.get(end + 1 + 8..)?)?;
            // A command wrapped with its read preference: {$query: {...}, $readPreference}.
            let doc = match bson::elements(doc).next() {
                Some((b"$query" | b"query", bson::Value::Doc(inner))) => inner,
                _ => doc,
            };
            Some((Some(db), doc))
        }
        _ => None,
    }
}

/// A server's reply document.
pub fn reply(msg: &[u8]) -> Option<&[u8]> {
    let h = header(msg)?;
    match h.opcode {
        OP_MSG => body_section(msg),
        // responseFlags, cursorID, startingFrom, numberReturned, then the documents.
        OP_REPLY => bson::document(msg.get(36..)?),
        _ => None,
    }
}

/// The document of an `OP_MSG`'s kind 0 section.
fn body_section(msg: &[u8]) -> Option<&[u8]> {
    let flags = le32(msg, 16)?;
    // checksumPresent: a CRC-32C after the sections.
    let end = msg.len() - if flags & 1 != 0 { 4 } else { 0 };
    let mut at = 20;
    while at < end {
        let kind = msg[at];
        let len = le32(msg, at + 1)? as usize;
        match kind {
            0 => return bson::document(msg.get(at + 1..end)?),
            1 if len >= 4 => at += 1 + len,
            _ => return None,
        }
    }
    None
}

/// What a request awaits.
#[derive(Debug)]
enum Asked {
    /// `hello`/`isMaster`, with a SCRAM first step in `speculativeAuthenticate`.
    Hello,
    /// `saslStart` or `saslContinue` of the SCRAM exchange under way.
    Scram,
    /// `getnonce`.
    Nonce,
    /// A complete login: its verdict.
    Login(Box<Credential>),
    /// A password set by `createUser` or `updateUser`: its verdict.
    Set(Box<Credential>),
}

/// A SCRAM exchange under way.
#[derive(Debug)]
struct Exchange {
    scram: Box<Scram>,
    frames: Vec<u64>,
    database: Option<String>,
}

#[derive(Debug, Default)]
pub struct Session {
    pending: Vec<(u32, Asked)>,
    scram: Option<Exchange>,
    /// The nonce of the last `getnonce` reply.
    nonce: Option<Vec<u8>>,
    commands: u32,
    /// Commands still read after a login.
    after_login: Option<u32>,
    done: bool,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Session {
    fn ask(&mut self, request_id: u32, asked: Asked) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
        }
        self.pending.push((request_id, asked));
    }

    /// `saslStart` (or its speculative form): a SCRAM exchange begins, or a PLAIN login.
    fn sasl_start(
        &mut self,
        start: &[u8],
        database: Option<&[u8]>,
        frames: &[u64],
        ts: Timestamp,
    ) -> Option<Asked> {
        let mechanism = bson::str(start, "mechanism")?;
        let payload = bson::bytes(start, "payload")?;
        let database = database.map(text);
        if mechanism == b"PLAIN" {
            let (_, user, password) = parse_plain(payload)?;
            let mut c = Credential::new("mongodb", "PLAIN", Kind::Cleartext, ts);
            c.username = Some(user.to_vec());
            c.secret = Some(password.to_vec());
            c.add_frames(frames.iter().copied());
            if let Some(db) = database {
                c.details.push(("database", db));
            }
            return Some(Asked::Login(Box::new(c)));
        }
        let hash = scram::Hash::from_mechanism(mechanism)?;
        let mut s = Box::new(Scram::new(hash));
        if s.client(payload) != scram::Progress::Continue {
            return None;
        }
        self.scram = Some(Exchange {
            scram: s,
            frames: frames.to_vec(),
            database,
        });
        Some(Asked::Scram)
    }

    /// `saslContinue`: the client's final SCRAM message makes the login.
    fn sasl_continue(&mut self, doc: &[u8], frames: &[u64], ts: Timestamp) -> Option<Asked> {
        let payload = bson::bytes(doc, "payload")?;
        let x = self.scram.as_mut()?;
        match x.scram.client(payload) {
            scram::Progress::Complete => {}
            _ => {
                self.scram = None;
                return None;
            }
        }
        let x = self.scram.take()?;
        let hash = x.scram.hash;
        let mut c = x.scram.credential("mongodb", hash.mechanism(), ts)?;
        if hash == scram::Hash::Sha1 {
            c.details
                .push(("password_input", "hex(MD5(user:mongo:password))".into()));
        }
        if let Some(db) = x.database {
            c.details.push(("database", db));
        }
        c.add_frames(x.frames);
        c.add_frames(frames.iter().copied());
        Some(Asked::Login(Box::new(c)))
    }

    /// `authenticate` with `MONGODB-CR` (the default when no mechanism is named).
    fn authenticate(
        &self,
        doc: &[u8],
        database: Option<&[u8]>,
        frames: &[u64],
        ts: Timestamp,
    ) -> Option<Asked> {
        let mechanism = bson::str(doc, "mechanism").unwrap_or(b"MONGODB-CR");
        if mechanism != b"MONGODB-CR" {
            return None;
        }
        let user = bson::str(doc, "user")?;
        let key = bson::str(doc, "key")?;
        let nonce = bson::str(doc, "nonce").or(self.nonce.as_deref())?;
        let mut c = Credential::new("mongodb", "MONGODB-CR", Kind::ChallengeResponse, ts);
        c.username = Some(user.to_vec());
        c.secret = Some(key.to_vec());
        c.challenge = Some(nonce.to_vec());
        c.add_frames(frames.iter().copied());
        if key.len() == 32
            && key.iter().all(u8::is_ascii_hexdigit)
            && nonce.iter().all(u8::is_ascii_alphanumeric)
            && !user.contains(&b'$')
            && let Ok(u) = std::str::from_utf8(user)
        {
            c.john = Some(John {
                format: "mongodb",
                hash: format!("$mongodb$1${u}${}${}", text(nonce), text(key)),
            });
        }
        if let Some(db) = database {
            c.details.push(("database", text(db)));
        }
        Some(Asked::Login(Box::new(c)))
    }

    fn client(&mut self, msg: &[u8], frames: &[u64], ts: Timestamp) {
        let (Some(h), Some((database, doc))) = (header(msg), command(msg)) else {
            return;
        };
        let Some((name, _)) = bson::elements(doc).next() else {
            return;
        };
        let asked = match name {
            b"hello" | b"isMaster" | b"ismaster" => {
                match bson::doc(doc, "speculativeAuthenticate") {
                    Some(spec) if bson::get(spec, "saslStart").is_some() => {
                        let db = bson::str(spec, "db").or(database);
                        match self.sasl_start(spec, db, frames, ts) {
                            Some(Asked::Scram) => Some(Asked::Hello),
                            // PLAIN is never speculative; nothing else is a password.
                            _ => None,
                        }
                    }
                    _ => None,
                }
            }
            b"saslStart" => self.sasl_start(doc, database, frames, ts),
            b"saslContinue" if self.scram.is_some() => self.sasl_continue(doc, frames, ts),
            b"getnonce" => Some(Asked::Nonce),
            b"authenticate" => self.authenticate(doc, database, frames, ts),
            b"createUser" | b"updateUser" => user_password(name, doc, database, frames, ts),
            _ => None,
        };
        if let Some(left) = self.after_login.as_mut() {
            *left = left.saturating_sub(1);
        }
        match asked {
            Some(a) => self.ask(h.request_id, a),
            None => {
                self.commands += 1;
                let exhausted = match self.after_login {
                    Some(left) => left == 0,
                    None => self.commands > MAX_COMMANDS,
                };
                if exhausted && self.scram.is_none() && self.pending.is_empty() {
                    self.done = true;
                }
            }
        }
    }

    fn server(&mut self, msg: &[u8], frames: &[u64], out: &mut Vec<Credential>) {
        let (Some(h), Some(doc)) = (header(msg), reply(msg)) else {
            return;
        };
        let Some(i) = self.pending.iter().position(|(id, _)| *id == h.response_to) else {
            return;
        };
        let ok = bson::truthy(doc, "ok").unwrap_or(false);
        match self.pending.remove(i).1 {
            Asked::Hello => {
                let answer = bson::doc(doc, "speculativeAuthenticate")
                    .and_then(|s| bson::bytes(s, "payload"));
                let taken = match (answer, self.scram.as_mut()) {
                    (Some(p), Some(x)) => x.scram.server(p) == scram::Progress::Continue,
                    _ => false,
                };
                if !taken {
                    // The driver starts again with saslStart.
                    self.scram = None;
                }
            }
            Asked::Scram => {
                let payload = bson::bytes(doc, "payload");
                let taken = match (ok, payload, self.scram.as_mut()) {
                    (true, Some(p), Some(x)) => x.scram.server(p) == scram::Progress::Continue,
                    _ => false,
                };
                if !taken {
                    self.scram = None;
                }
            }
            Asked::Nonce => self.nonce = bson::str(doc, "nonce").map(<[u8]>::to_vec),
            Asked::Login(c) => {
                out.push(judged(*c, ok, doc, frames));
                if ok && self.after_login.is_none() {
                    self.after_login = Some(AFTER_LOGIN);
                }
            }
            Asked::Set(c) => out.push(judged(*c, ok, doc, frames)),
        }
        if self.after_login == Some(0) && self.pending.is_empty() {
            self.done = true;
        }
    }
}

/// `c` judged by its reply `doc` (`ok`, and `errmsg` when refused).
fn judged(mut c: Credential, ok: bool, doc: &[u8], frames: &[u64]) -> Credential {
    c.outcome = if ok {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    if !ok && let Some(m) = bson::str(doc, "errmsg").or(bson::str(doc, "codeName")) {
        c.details
            .push(("reason", text(&m[..m.len().min(MAX_REASON)])));
    }
    c.add_frames(frames.iter().copied());
    c
}

/// `createUser` / `updateUser` with a `pwd`: the account's new password (or, with
/// `digestPassword: false`, its MONGODB-CR digest).
fn user_password(
    name: &[u8],
    doc: &[u8],
    database: Option<&[u8]>,
    frames: &[u64],
    ts: Timestamp,
) -> Option<Asked> {
    let user = bson::str(doc, std::str::from_utf8(name).ok()?)?;
    let pwd = bson::str(doc, "pwd").filter(|p| !p.is_empty())?;
    let mechanism = if name == b"createUser" {
        "createUser"
    } else {
        "updateUser"
    };
    let digest = bson::truthy(doc, "digestPassword") == Some(false);
    let kind = if digest {
        Kind::ChallengeResponse
    } else {
        Kind::Cleartext
    };
    let mut c = Credential::new("mongodb", mechanism, kind, ts);
    c.username = Some(user.to_vec());
    c.secret = Some(pwd.to_vec());
    c.add_frames(frames.iter().copied());
    if digest {
        c.details
            .push(("scheme", "hex(MD5(user:mongo:password))".into()));
        if pwd.len() == 32
            && pwd.iter().all(u8::is_ascii_hexdigit)
            && !user.contains(&b'$')
            && let Ok(u) = std::str::from_utf8(user)
        {
            c.john = Some(John {
                format: "mongodb",
                hash: format!("$mongodb$0${u}${}", text(pwd)),
            });
        }
    }
    if let Some(db) = database {
        c.details.push(("database", text(db)));
    }
    Some(Asked::Set(Box::new(c)))
}

impl Messages for Session {
    fn message(
        &mut self,
        dir: Direction,
        msg: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        if self.done {
            return;
        }
        match dir {
            Direction::ToServer => self.client(msg, frames, ts),
            Direction::ToClient => self.server(msg, frames, out),
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for (_, asked) in self.pending.drain(..) {
            if let Asked::Login(c) | Asked::Set(c) = asked {
                out.push(*c);
            }
        }
    }

    fn buffered(&self) -> usize {
        self.pending.len() * 256
            + self
                .scram
                .as_ref()
                .map_or(0, |x| x.scram.buffered() + x.frames.len() * 8)
            + self.nonce.as_ref().map_or(0, Vec::len)
    }

    fn done(&self) -> bool {
        self.done
    }
}

/// The MongoDB dissector of one connection.
pub type Mongodb = Framed<Session>;

impl Default for Mongodb {
    fn default() -> Self {
        Framed::new(head, start, MAX_MESSAGE, Session::default())
    }
}

/// Encoders of MongoDB messages, for tests and fixtures.
pub mod build {
    use super::*;

    /// A BSON value to encode.
    pub enum B<'a> {
        Str(&'a str),
        Bin(&'a [u8]),
        Int(i32),
        Double(f64),
        Bool(bool),
        Doc(Vec<(&'a str, B<'a>)>),
    }

    /// A BSON document of these elements.
    pub fn doc(elements: &[(&str, B<'_>)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, value) in elements {
            let (kind, bytes): (u8, Vec<u8>) = match value {
                B::Str(s) => {
                    let mut v = (s.len() as i32 + 1).to_le_bytes().to_vec();
                    v.extend(s.as_bytes());
                    v.push(0);
                    (0x02, v)
                }
                B::Bin(b) => {
                    let mut v = (b.len() as i32).to_le_bytes().to_vec();
                    v.push(0);
                    v.extend(*b);
                    (0x05, v)
                }
                B::Int(i) => (0x10, i.to_le_bytes().to_vec()),
                B::Double(d) => (0x01, d.to_le_bytes().to_vec()),
                B::Bool(b) => (0x08, vec![u8::from(*b)]),
                B::Doc(e) => (0x03, doc(e)),
            };
            body.push(kind);
            body.extend(name.as_bytes());
            body.push(0);
            body.extend(bytes);
        }
        let mut d = (body.len() as i32 + 5).to_le_bytes().to_vec();
        d.extend(body);
        d.push(0);
        d
    }

    fn message(request_id: u32, response_to: u32, opcode: u32, body: &[u8]) -> Vec<u8> {
        let mut m = ((HEADER + body.len()) as u32).to_le_bytes().to_vec();
        m.extend(request_id.to_le_bytes());
        m.extend(response_to.to_le_bytes());
        m.extend(opcode.to_le_bytes());
        m.extend(body);
        m
    }

    /// An `OP_MSG` with one body section.
    pub fn op_msg(request_id: u32, response_to: u32, document: &[u8]) -> Vec<u8> {
        let mut body = 0u32.to_le_bytes().to_vec();
        body.push(0);
        body.extend(document);
        message(request_id, response_to, OP_MSG, &body)
    }

    /// An `OP_QUERY` of a command on `<db>.$cmd`.
    pub fn op_query(request_id: u32, db: &str, document: &[u8]) -> Vec<u8> {
        let mut body = 0u32.to_le_bytes().to_vec();
        body.extend(format!("{db}.$cmd").as_bytes());
        body.push(0);
        body.extend(0i32.to_le_bytes());
        body.extend((-1i32).to_le_bytes());
        body.extend(document);
        message(request_id, 0, OP_QUERY, &body)
    }

    /// An `OP_REPLY` with one document.
    pub fn op_reply(request_id: u32, response_to: u32, document: &[u8]) -> Vec<u8> {
        let mut body = 8u32.to_le_bytes().to_vec(); // AwaitCapable
        body.extend(0i64.to_le_bytes());
        body.extend(0i32.to_le_bytes());
        body.extend(1i32.to_le_bytes());
        body.extend(document);
        message(request_id, response_to, OP_REPLY, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::script::play;
    use crate::flow::Direction::{ToClient as S, ToServer as C};

    fn run<B: AsRef<[u8]>>(script: &[(Direction, B)]) -> (Vec<Credential>, bool) {
        play(&mut Mongodb::default(), script)
    }

    fn ok<'a>(extra: Vec<(&'a str, B<'a>)>) -> Vec<u8> {
        let mut e = extra;
        e.push(("ok", B::Double(1.0)));
        doc(&e)
    }

    fn refused() -> Vec<u8> {
        doc(&[
            ("ok", B::Double(0.0)),
            ("errmsg", B::Str("Authentication failed.")),
            ("code", B::Int(18)),
            ("codeName", B::Str("AuthenticationFailed")),
        ])
    }

    /// The four SCRAM messages of `password` for `user` (MongoDB's SHA-1 input is the
    /// hex MD5 of `user:mongo:password`).
    fn scram_messages(hash: scram::Hash, user: &str, password: &str) -> [Vec<u8>; 4] {
        let input = match hash {
            scram::Hash::Sha1 => {
                use md5::Digest;
                crate::finding::hex(&md5::Md5::digest(format!("{user}:mongo:{password}")))
            }
            _ => password.to_string(),
        };
        crate::dissect::scram::build::exchange(
            hash,
            user,
            &input,
            "xyzClientNonce123",
            "ServerNonce456",
            b"mongo-salt-16byt",
            15000,
        )
    }

    /// A driver since 4.4: the first step in `hello`'s speculativeAuthenticate (OP_QUERY,
    /// as the first message of a connection is), the rest in OP_MSG.
    fn speculative(password: &str, last: Vec<u8>) -> Vec<(Direction, Vec<u8>)> {
        let [first, server, fin, verdict] =
            scram_messages(scram::Hash::Sha256, "appuser", password);
        let hello = doc(&[
            ("isMaster", B::Int(1)),
            (
                "client",
                B::Doc(vec![("driver", B::Doc(vec![("name", B::Str("PyMongo"))]))]),
            ),
            (
                "speculativeAuthenticate",
                B::Doc(vec![
                    ("saslStart", B::Int(1)),
                    ("mechanism", B::Str("SCRAM-SHA-256")),
                    ("payload", B::Bin(&first)),
                    ("autoAuthorize", B::Int(1)),
                    (
                        "options",
                        B::Doc(vec![("skipEmptyExchange", B::Bool(true))]),
                    ),
                    ("db", B::Str("admin")),
                ]),
            ),
        ]);
        vec![
            (C, op_query(1, "admin", &hello)),
            (
                S,
                op_reply(
                    10,
                    1,
                    &ok(vec![
                        ("ismaster", B::Bool(true)),
                        (
                            "speculativeAuthenticate",
                            B::Doc(vec![
                                ("conversationId", B::Int(1)),
                                ("done", B::Bool(false)),
                                ("payload", B::Bin(&server)),
                            ]),
                        ),
                    ]),
                ),
            ),
            (
                C,
                op_msg(
                    2,
                    0,
                    &doc(&[
                        ("saslContinue", B::Int(1)),
                        ("conversationId", B::Int(1)),
                        ("payload", B::Bin(&fin)),
                        ("$db", B::Str("admin")),
                    ]),
                ),
            ),
            (
                S,
                op_msg(
                    11,
                    2,
                    &if last.is_empty() {
                        ok(vec![
                            ("conversationId", B::Int(1)),
                            ("done", B::Bool(true)),
                            ("payload", B::Bin(&verdict)),
                        ])
                    } else {
                        last
                    },
                ),
            ),
            (
                C,
                op_msg(
                    3,
                    0,
                    &doc(&[("find", B::Str("orders")), ("$db", B::Str("shop"))]),
                ),
            ),
        ]
    }

    #[test]
    fn speculative_scram_sha_256_success_and_failure() {
        let (out, done) = run(&speculative("M0ngo-App!", Vec::new()));
        assert!(
            !done,
            "commands after the login are read for user passwords"
        );
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.protocol, "mongodb");
        assert_eq!(c.mechanism, "SCRAM-SHA-256");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"appuser"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.detail("database"), Some("admin"));
        assert_eq!(c.detail("iterations"), Some("15000"));
        assert_eq!(c.frames, vec![1, 3, 4]);
        assert!(scram::proves(c, "M0ngo-App!"));
        let (out, _) = run(&speculative("wrong", refused()));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].detail("reason"), Some("Authentication failed."));
        assert!(scram::proves(&out[0], "wrong"));
    }

    #[test]
    fn sasl_start_scram_sha_1_hashes_the_password_first() {
        let [first, server, fin, verdict] = scram_messages(scram::Hash::Sha1, "old", "pw1");
        let start = doc(&[
            ("saslStart", B::Int(1)),
            ("mechanism", B::Str("SCRAM-SHA-1")),
            ("payload", B::Bin(&first)),
            ("$db", B::Str("reports")),
        ]);
        let cont = |p: &[u8]| {
            doc(&[
                ("saslContinue", B::Int(1)),
                ("conversationId", B::Int(1)),
                ("payload", B::Bin(p)),
                ("$db", B::Str("reports")),
            ])
        };
        let script = vec![
            (C, op_msg(7, 0, &start)),
            (
                S,
                op_msg(
                    70,
                    7,
                    &ok(vec![("done", B::Bool(false)), ("payload", B::Bin(&server))]),
                ),
            ),
            (C, op_msg(8, 0, &cont(&fin))),
            (
                S,
                op_msg(
                    80,
                    8,
                    &ok(vec![
                        ("done", B::Bool(false)),
                        ("payload", B::Bin(&verdict)),
                    ]),
                ),
            ),
            (C, op_msg(9, 0, &cont(b""))),
            (S, op_msg(90, 9, &ok(vec![("done", B::Bool(true))]))),
        ];
        let (out, done) = run(&script);
        assert!(!done);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "SCRAM-SHA-1");
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.detail("database"), Some("reports"));
        assert_eq!(
            c.detail("password_input"),
            Some("hex(MD5(user:mongo:password))")
        );
        use md5::Digest;
        let input = crate::finding::hex(&md5::Md5::digest("old:mongo:pw1"));
        assert!(scram::proves(c, &input));
        assert!(!scram::proves(c, "pw1"));
        // Every split of every message reads the same.
        for (i, (dir, m)) in script.iter().enumerate() {
            for cut in 1..m.len() {
                let mut split = script.clone();
                split[i] = (*dir, m[..cut].to_vec());
                split.insert(i + 1, (*dir, m[cut..].to_vec()));
                let (out, _) = run(&split);
                assert_eq!(out.len(), 1, "message {i} cut at {cut}");
                assert!(scram::proves(&out[0], &input));
            }
        }
    }

    #[test]
    fn plain_is_cleartext() {
        let start = doc(&[
            ("saslStart", B::Int(1)),
            ("mechanism", B::Str("PLAIN")),
            ("payload", B::Bin(b"\0ldapuser\0Ld4p-pw")),
            ("autoAuthorize", B::Int(1)),
            ("$db", B::Str("$external")),
        ]);
        let (out, _) = run(&[
            (C, op_msg(1, 0, &start)),
            (S, op_msg(2, 1, &ok(vec![("done", B::Bool(true))]))),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "PLAIN");
        assert_eq!(out[0].kind, Kind::Cleartext);
        assert_eq!(out[0].username.as_deref(), Some(&b"ldapuser"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"Ld4p-pw"[..]));
        assert_eq!(out[0].detail("database"), Some("$external"));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn mongodb_cr_with_its_nonce_and_john_line() {
        use md5::Digest;
        let hex = |d: &[u8]| crate::finding::hex(&md5::Md5::digest(d));
        let nonce = "2375531c32080ae8";
        let key = hex(format!("{nonce}sa{}", hex(b"sa:mongo:secret")).as_bytes());
        let script = vec![
            (C, op_query(1, "test", &doc(&[("getnonce", B::Int(1))]))),
            (S, op_reply(2, 1, &ok(vec![("nonce", B::Str(nonce))]))),
            (
                C,
                op_query(
                    3,
                    "test",
                    &doc(&[
                        ("authenticate", B::Int(1)),
                        ("user", B::Str("sa")),
                        ("nonce", B::Str(nonce)),
                        ("key", B::Str(&key)),
                    ]),
                ),
            ),
            (S, op_reply(4, 3, &refused())),
        ];
        let (out, done) = run(&script);
        assert!(!done);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.mechanism, "MONGODB-CR");
        assert_eq!(c.secret.as_deref(), Some(key.as_bytes()));
        assert_eq!(c.challenge.as_deref(), Some(nonce.as_bytes()));
        assert_eq!(c.outcome, Outcome::Failure);
        assert_eq!(c.detail("database"), Some("test"));
        let john = c.john.as_ref().unwrap();
        assert_eq!(john.format, "mongodb");
        assert_eq!(john.hash, format!("$mongodb$1$sa${nonce}${key}"));
        // The nonce taken from the getnonce reply when the command leaves it out.
        let mut s = script.clone();
        s[2] = (
            C,
            op_query(
                3,
                "test",
                &doc(&[
                    ("authenticate", B::Int(1)),
                    ("user", B::Str("sa")),
                    ("key", B::Str(&key)),
                ]),
            ),
        );
        let (out, _) = run(&s);
        assert_eq!(out[0].challenge.as_deref(), Some(nonce.as_bytes()));
    }

    #[test]
    fn passwords_of_create_user_and_update_user() {
        let mut script = speculative("M0ngo-App!", Vec::new());
        let create = doc(&[
            ("createUser", B::Str("reporter")),
            ("pwd", B::Str("Rep-M0ngo-1")),
            ("$db", B::Str("admin")),
        ]);
        let update = doc(&[
            ("updateUser", B::Str("root")),
            ("pwd", B::Str("Root-M0ngo-2")),
            ("$db", B::Str("admin")),
        ]);
        // An old shell's digest: hex(MD5("legacy:mongo:Legacy-3")).
        let digest = "f1a5fb7e4bc8a8b2e0df2e1f85b4d9a5";
        let legacy = doc(&[
            ("createUser", B::Str("legacy")),
            ("pwd", B::Str(digest)),
            ("digestPassword", B::Bool(false)),
        ]);
        let refused = doc(&[
            ("ok", B::Double(0.0)),
            (
                "errmsg",
                B::Str("not authorized on admin to execute command"),
            ),
            ("code", B::Int(13)),
        ]);
        script.extend([
            (C, op_msg(20, 0, &create)),
            (C, op_msg(21, 0, &update)),
            (S, op_msg(91, 21, &refused)),
            (S, op_msg(90, 20, &ok(vec![]))),
            (C, op_msg(22, 0, &legacy)),
            (S, op_msg(92, 22, &ok(vec![]))),
        ]);
        let (out, done) = run(&script);
        assert!(!done);
        let got = crate::dissect::script::seen(&out);
        assert_eq!(
            got[1..],
            [
                (
                    "updateUser",
                    &b"root"[..],
                    &b"Root-M0ngo-2"[..],
                    Outcome::Failure
                ),
                ("createUser", b"reporter", b"Rep-M0ngo-1", Outcome::Success),
                ("createUser", b"legacy", digest.as_bytes(), Outcome::Success),
            ]
        );
        assert_eq!(
            out[1].detail("reason"),
            Some("not authorized on admin to execute command")
        );
        assert_eq!(out[2].detail("database"), Some("admin"));
        assert_eq!(out[3].kind, Kind::ChallengeResponse);
        assert_eq!(
            out[3].john.as_ref().map(|j| j.hash.as_str()),
            Some(&*format!("$mongodb$0$legacy${digest}"))
        );
        // Without any login (the localhost exception's first user): read too.
        let (out, _) = run(&[(C, op_msg(1, 0, &create)), (S, op_msg(2, 1, &ok(vec![])))]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn x509_unauthenticated_sessions_and_probe() {
        // X.509 and a session that never logs in: nothing, and read no further than
        // MAX_COMMANDS commands.
        let x509 = doc(&[
            ("authenticate", B::Int(1)),
            ("mechanism", B::Str("MONGODB-X509")),
            ("user", B::Str("CN=client")),
        ]);
        let mut script = vec![(C, op_msg(1, 0, &x509)), (S, op_msg(2, 1, &ok(vec![])))];
        for i in 0..=MAX_COMMANDS {
            script.push((C, op_msg(10 + i, 0, &doc(&[("ping", B::Int(1))]))));
        }
        let (out, done) = run(&script);
        assert!(out.is_empty());
        assert!(done);
        let hello = op_query(1, "admin", &doc(&[("hello", B::Int(1))]));
        assert_eq!(probe(&hello, b""), Probe::Yes);
        assert_eq!(
            probe(&op_msg(1, 0, &doc(&[("ping", B::Int(1))])), b""),
            Probe::Yes
        );
        assert_eq!(probe(&hello[..10], b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n\r\n", b""), Probe::No);
        assert_eq!(probe(b"", &op_reply(5, 1, &ok(vec![]))), Probe::Maybe);
        assert_eq!(probe(&op_reply(5, 1, &ok(vec![])), b""), Probe::No);
        let other = op_query(1, "admin", &doc(&[("hello", B::Int(1))]))
            .iter()
            .map(|&b| if b == b'$' { b'x' } else { b })
            .collect::<Vec<u8>>();
        assert_eq!(probe(&other, b""), Probe::No);
    }

    #[test]
    fn bson_reader_walks_every_type_and_stops_on_damage() {
        let mut d = doc(&[("a", B::Int(1)), ("s", B::Str("x")), ("ok", B::Double(1.0))]);
        assert_eq!(bson::get(&d, "s"), Some(bson::Value::Str(b"x")));
        assert_eq!(bson::truthy(&d, "ok"), Some(true));
        assert_eq!(bson::elements(&d).count(), 3);
        // A damaged string length ends the walk at that element.
        d[4 + 3 + 4 + 3] = 0x7f;
        assert_eq!(bson::elements(&d).count(), 1);
        assert_eq!(bson::document(&d[..5]), None);
        assert_eq!(bson::elements(b"").count(), 0);
    }

    #[test]
    fn never_panics_on_garbage() {
        let [first, server, fin, _] = scram_messages(scram::Hash::Sha256, "u", "p");
        let valid: Vec<Vec<u8>> = speculative("p", Vec::new())
            .into_iter()
            .map(|(_, m)| m)
            .chain([first, server, fin])
            .collect();
        crate::dissect::garbage::feed(
            0x6d6f6e67,
            300,
            8,
            &valid,
            Mongodb::default,
            |m| {
                let _ = command(m);
                let _ = reply(m);
                let _ = bson::elements(m).count();
                let _ = probe(m, m);
            },
            |r| u64::from(r.next() % 64),
            |d| {
                let _ = crate::dissect::Dissector::buffered(d);
            },
        );
    }
}
