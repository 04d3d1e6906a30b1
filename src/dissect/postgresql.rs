//! PostgreSQL frontend/backend protocol 3.0 (PostgreSQL documentation, chapter
//! "Frontend/Backend Protocol"): the password a client sends when the server asks for it.
//!
//! - The user name (and database) come from the `StartupMessage`.
//! - `AuthenticationCleartextPassword` (pg_hba.conf method `password`) answered with a
//!   `PasswordMessage`: the password itself, mechanism `cleartext password`.
//! - `AuthenticationMD5Password` (method `md5`) with its 4-byte salt, answered with
//!   `"md5" + md5(md5(password + user) + salt)`: mechanism `md5`, kind challenge-response,
//!   the secret as sent, the salt (hex) as challenge and a hashcat mode 11100 line
//!   `$postgres$<user>*<salt hex>*<32 hex digits>`.
//! - `AuthenticationSASL` (method `scram-sha-256`, the default since PostgreSQL 14)
//!   answered with SCRAM-SHA-256 in `SASLInitialResponse` and `SASLResponse`: mechanism
//!   `SASL SCRAM-SHA-256`, kind challenge-response, the client's proof as secret and the
//!   `AuthMessage` it signs as challenge (see [`super::scram`]: crackable offline, slowed by
//!   PBKDF2's 4096 iterations); the user name is the `StartupMessage`'s (libpq sends an
//!   empty SCRAM one). `-PLUS` (channel binding) only runs inside TLS.
//! - GSSAPI and SSPI: nothing, no password crosses the wire.
//! - `SSLRequest` answered `S` and `GSSENCRequest` answered `G`: the rest is encrypted, the
//!   inspection ends; answered `N` the client goes on in the clear with a `StartupMessage`.
//!   A client that starts with TLS right away (PostgreSQL 17's direct SSL) is not
//!   PostgreSQL to the probe.
//!
//! Outcome from the server's next message: `AuthenticationOk` success; an `ErrorResponse`
//! with an SQLSTATE of class 28 (28P01 invalid_password, 28000
//! invalid_authorization_specification) failure, with its message in `details`; another
//! error unknown.
//!
//! After the login, the client's next [`MAX_QUERIES`] messages are read for passwords in
//! statements (`CREATE ROLE ... PASSWORD`, `ALTER USER ... PASSWORD`, what `psql`'s
//! `\password` sends: see [`super::sql`]), in `Query` messages and in the `Parse`
//! messages of the extended protocol: the statement's form as mechanism, the role as user
//! name (the session's for `CURRENT_USER`), a SCRAM or md5 verifier as a hash. Each is
//! judged by the server's answer to its statement: `CommandComplete` success, an
//! `ErrorResponse` failure (with its message); the statements after an error in the same
//! query never ran, and those before it were rolled back with it (one implicit
//! transaction): failure too. Then nothing more is read.
//!
//! Protocol 2.0 (servers before 7.4) is not decoded.

use std::collections::VecDeque;

use super::framing::{Framer, Measure};
use super::ftp::looks_like_tls;
use super::scram::{self, Scram};
use super::sql::{self, Dialect};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "postgresql",
    tcp_ports: &[5432],
    probe,
    new: |_config| Box::new(Postgresql::default()),
};

/// Protocol version 3.0 in a `StartupMessage`.
pub const PROTOCOL_3: u32 = 3 << 16;
/// The request codes of the messages sent instead of a `StartupMessage`.
pub const SSL_REQUEST: u32 = 80_877_103;
pub const GSSENC_REQUEST: u32 = 80_877_104;
pub const CANCEL_REQUEST: u32 = 80_877_102;

/// Authentication request codes (`R` messages).
pub const AUTH_OK: u32 = 0;
pub const AUTH_CLEARTEXT: u32 = 3;
pub const AUTH_MD5: u32 = 5;
pub const AUTH_SASL: u32 = 10;
pub const AUTH_SASL_CONTINUE: u32 = 11;
pub const AUTH_SASL_FINAL: u32 = 12;

/// The longest message buffered whole (startup, authentication and error messages are a
/// few hundred bytes); longer ones are skipped.
pub const MAX_MESSAGE: usize = 16 << 10;
/// The longest length field taken for a plausible message by the probe.
const PLAUSIBLE_LEN: u32 = 1 << 24;
/// Longest error message copied into `details`.
const MAX_DIAGNOSTIC: usize = 256;
/// Client messages read after the login for password statements.
pub const MAX_QUERIES: u32 = 256;
/// Queries (or extended-protocol syncs) whose answers are awaited at once.
const MAX_BATCHES: usize = 64;

/// Message types a frontend sends after the startup phase.
const FRONTEND_TYPES: &[u8] = b"BCcDEdfFHPpQSX";
/// ... and a backend sends.
const BACKEND_TYPES: &[u8] = b"123cCDdEGHIKnNRsSTtvVWZA";

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// An untyped message of the startup phase (`StartupMessage`, `SSLRequest`,
/// `GSSENCRequest`, `CancelRequest`): its length, or why not.
fn measure_untyped(b: &[u8]) -> Measure {
    let (Some(len), Some(code)) = (be32(b, 0), be32(b, 4)) else {
        return Measure::More;
    };
    let len = len as usize;
    let ok = match code {
        SSL_REQUEST | GSSENC_REQUEST => len == 8,
        CANCEL_REQUEST => len == 16,
        c if c >> 16 == 3 || c >> 16 == 2 => (9..=10_000).contains(&len),
        _ => false,
    };
    if ok {
        Measure::Total(len)
    } else {
        Measure::Invalid
    }
}

/// A typed message: one type byte and a length that counts itself.
fn measure_typed(b: &[u8], types: &[u8]) -> Measure {
    let Some(&t) = b.first() else {
        return Measure::More;
    };
    if !types.contains(&t) {
        return Measure::Invalid;
    }
    match be32(b, 1) {
        None => Measure::More,
        Some(len) if (4..PLAUSIBLE_LEN).contains(&len) => Measure::Total(len as usize + 1),
        Some(_) => Measure::Invalid,
    }
}

/// What the first bytes of one side say.
fn side(m: Measure) -> Probe {
    match m {
        Measure::More => Probe::Maybe,
        Measure::Total(_) => Probe::Yes,
        Measure::Invalid => Probe::No,
    }
}

/// PostgreSQL when the client's first bytes are a `StartupMessage` (protocol 3) or an
/// `SSLRequest`/`GSSENCRequest`/`CancelRequest`: eight bytes of a length and a magic code.
/// A typed frontend message (a capture that starts later) or, the client silent, a typed
/// backend message is only Maybe: the port decides.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if looks_like_tls(to_server) {
        return Probe::No;
    }
    if !to_server.is_empty() {
        let untyped = match measure_untyped(to_server) {
            Measure::Total(_) => {
                let code = be32(to_server, 4).unwrap_or(0);
                if code >> 16 == 2 {
                    return Probe::Maybe;
                }
                return Probe::Yes;
            }
            m => side(m),
        };
        if untyped == Probe::Maybe {
            return Probe::Maybe;
        }
        return match side(measure_typed(to_server, FRONTEND_TYPES)) {
            Probe::No => Probe::No,
            _ => Probe::Maybe,
        };
    }
    if to_client.is_empty() {
        return Probe::Maybe;
    }
    match side(measure_typed(to_client, BACKEND_TYPES)) {
        Probe::No => Probe::No,
        _ => Probe::Maybe,
    }
}

/// The key/value parameters of a `StartupMessage` (after length and protocol).
pub fn startup_parameters(msg: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut params = Vec::new();
    let mut parts = msg.get(8..).unwrap_or_default().split(|&b| b == 0);
    while let Some(key) = parts.next() {
        if key.is_empty() {
            break;
        }
        let Some(value) = parts.next() else { break };
        params.push((key, value));
    }
    params
}

/// The fields of an `ErrorResponse` body: (field type, value).
pub fn error_fields(body: &[u8]) -> Vec<(u8, &[u8])> {
    let mut fields = Vec::new();
    let mut rest = body;
    while let Some((&t, tail)) = rest.split_first() {
        if t == 0 {
            break;
        }
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        fields.push((t, &tail[..end]));
        rest = tail.get(end + 1..).unwrap_or_default();
    }
    fields
}

/// What the server last asked the client for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asked {
    Nothing,
    Cleartext,
    Md5([u8; 4]),
    /// SASL: a `SASLInitialResponse` naming a mechanism is next.
    Sasl,
    /// SASL under way: a `SASLResponse` is next.
    SaslContinue,
    /// GSSAPI, SSPI: no password on the wire.
    Other,
}

#[derive(Debug)]
struct Session {
    /// The client has not sent its `StartupMessage` yet (its messages are untyped).
    startup: bool,
    /// An `SSLRequest`/`GSSENCRequest` waits for its one-byte answer.
    encryption_asked: bool,
    user: Option<(Vec<u8>, Vec<u64>)>,
    database: Option<Vec<u8>>,
    asked: Asked,
    /// A password waiting for the server's verdict.
    pending: Option<Credential>,
    /// A SCRAM exchange under way, and the frames of its client messages.
    scram: Option<(Box<Scram>, Vec<u64>)>,
    /// Logged in: the queries read for password statements.
    queries: Option<Queries>,
    done: bool,
}

/// The passwords of one query (or of the `Parse` messages before a `Sync`), judged as
/// the server answers its statements in turn.
#[derive(Debug, Default)]
struct Batch {
    /// The statement index of each password, and its credential.
    passwords: Vec<(usize, Credential)>,
    /// Statements answered so far.
    answered: usize,
    /// An error ended the batch: the statements after it never ran.
    failed: bool,
    /// `Parse` messages seen (extended protocol: one statement each).
    parses: usize,
}

impl Batch {
    /// The answer to the next statement: success, or an error that fails it and every
    /// statement after it (they never ran) and before it (a query's statements, or the
    /// extended protocol's up to a `Sync`, are one implicit transaction: rolled back).
    /// Reported when the batch ends ([`Batch::report`]).
    fn answer(&mut self, error: Option<&str>) {
        if self.failed {
            return;
        }
        let at = self.answered;
        self.answered += 1;
        for (n, c) in &mut self.passwords {
            match error {
                None if *n == at => c.outcome = Outcome::Success,
                None => {}
                Some(text) => {
                    c.outcome = Outcome::Failure;
                    let text = if *n < at {
                        format!("rolled back: {text}")
                    } else {
                        text.to_string()
                    };
                    c.details.push(("diagnostic", text));
                }
            }
        }
        self.failed = error.is_some();
    }

    /// Its passwords, each with the verdict it got (unknown when none came).
    fn report(self, out: &mut Vec<Credential>) {
        out.extend(self.passwords.into_iter().map(|(_, c)| c));
    }
}

/// After the login: what is left to read, and the batches awaiting answers (one per
/// `ReadyForQuery` the server owes).
#[derive(Debug)]
struct Queries {
    left: u32,
    batches: VecDeque<Batch>,
    /// Extended protocol: the batch of the `Parse` messages since the last `Sync`.
    open: Batch,
}

impl Queries {
    /// A batch whose `ReadyForQuery` is now owed; past [`MAX_BATCHES`] the oldest is
    /// reported as it stands.
    fn push(&mut self, batch: Batch, out: &mut Vec<Credential>) {
        if self.batches.len() >= MAX_BATCHES
            && let Some(old) = self.batches.pop_front()
        {
            old.report(out);
        }
        self.batches.push_back(batch);
    }

    fn buffered(&self) -> usize {
        (self
            .batches
            .iter()
            .map(|b| b.passwords.len())
            .sum::<usize>()
            + self.open.passwords.len())
            * 256
            + self.batches.len() * 64
    }
}

impl Default for Session {
    fn default() -> Self {
        Session {
            startup: true,
            encryption_asked: false,
            user: None,
            database: None,
            asked: Asked::Nothing,
            pending: None,
            scram: None,
            queries: None,
            done: false,
        }
    }
}

impl Session {
    /// A client message after the login: passwords in a `Query`'s or a `Parse`'s
    /// statements, a `Sync` closing the extended protocol's batch.
    fn query(&mut self, msg: &[u8], frames: &[u64], ts: Timestamp, out: &mut Vec<Credential>) {
        let Some(q) = self.queries.as_mut() else {
            return;
        };
        let body = msg.get(5..).unwrap_or_default();
        q.left = q.left.saturating_sub(1);
        match msg.first() {
            Some(b'Q') => {
                let text = body.strip_suffix(&[0]).unwrap_or(body);
                let mut batch = Batch::default();
                for p in sql::passwords(text, Dialect::Postgresql) {
                    let n = p.statement;
                    batch
                        .passwords
                        .push((n, self.statement_credential(p, frames, ts)));
                }
                if let Some(q) = self.queries.as_mut() {
                    q.push(batch, out);
                }
            }
            Some(b'P') => {
                // Parse: statement name, query, parameter types.
                let mut parts = body.splitn(3, |&b| b == 0);
                let text = parts.nth(1).unwrap_or_default();
                let n = q.open.parses;
                q.open.parses += 1;
                for mut p in sql::passwords(text, Dialect::Postgresql) {
                    p.statement = n;
                    let c = self.statement_credential(p, frames, ts);
                    if let Some(q) = self.queries.as_mut() {
                        q.open.passwords.push((n, c));
                    }
                }
            }
            // A Sync closes the extended protocol's batch; a FunctionCall is answered
            // with a ReadyForQuery of its own.
            Some(b'S' | b'F') => {
                let batch = if msg.first() == Some(&b'S') {
                    std::mem::take(&mut q.open)
                } else {
                    Batch::default()
                };
                q.push(batch, out);
            }
            Some(b'X') => self.end_queries(out),
            _ => {}
        }
        if self
            .queries
            .as_ref()
            .is_some_and(|q| q.left == 0 && q.batches.is_empty() && q.open.passwords.is_empty())
        {
            self.done = true;
        }
    }

    /// The credential of a password statement.
    fn statement_credential(
        &self,
        p: sql::StatementPassword,
        frames: &[u64],
        ts: Timestamp,
    ) -> Credential {
        let user = self.user.as_ref().map(|u| &u.0[..]);
        p.credential("postgresql", user, self.database.as_deref(), frames, ts)
    }

    /// The server's answers to the queries: `CommandComplete` (or `EmptyQueryResponse`),
    /// `ErrorResponse`, `ReadyForQuery`.
    fn answer(&mut self, msg: &[u8], out: &mut Vec<Credential>) {
        let Some(q) = self.queries.as_mut() else {
            return;
        };
        let body = msg.get(5..).unwrap_or_default();
        match msg.first() {
            Some(b'C' | b'I') => {
                if let Some(b) = q.batches.front_mut() {
                    b.answer(None);
                }
            }
            Some(b'E') => {
                if let Some(b) = q.batches.front_mut() {
                    let fields = error_fields(body);
                    let text = fields
                        .iter()
                        .find(|(t, _)| *t == b'M')
                        .map(|(_, m)| String::from_utf8_lossy(&m[..m.len().min(MAX_DIAGNOSTIC)]))
                        .unwrap_or_default();
                    b.answer(Some(&text));
                }
            }
            Some(b'Z') => {
                if let Some(b) = q.batches.pop_front() {
                    b.report(out);
                }
                if q.left == 0 && q.batches.is_empty() && q.open.passwords.is_empty() {
                    self.done = true;
                }
            }
            _ => {}
        }
    }

    /// Every password still awaiting an answer, reported without one.
    fn end_queries(&mut self, out: &mut Vec<Credential>) {
        if let Some(q) = self.queries.take() {
            for b in q.batches {
                b.report(out);
            }
            q.open.report(out);
        }
    }

    fn client(&mut self, msg: &[u8], frames: &[u64], ts: Timestamp, out: &mut Vec<Credential>) {
        if self.queries.is_some() {
            self.query(msg, frames, ts, out);
            return;
        }
        if self.startup {
            let code = be32(msg, 4).unwrap_or(0);
            match code {
                SSL_REQUEST | GSSENC_REQUEST => self.encryption_asked = true,
                CANCEL_REQUEST => self.done = true,
                _ => {
                    self.startup = false;
                    for (key, value) in startup_parameters(msg) {
                        match key {
                            b"user" => self.user = Some((value.to_vec(), frames.to_vec())),
                            b"database" => self.database = Some(value.to_vec()),
                            _ => {}
                        }
                    }
                }
            }
            return;
        }
        if msg.first() != Some(&b'p') {
            return;
        }
        let body = msg.get(5..).unwrap_or_default();
        let password = body.strip_suffix(&[0]).unwrap_or(body);
        let mut c = match self.asked {
            Asked::Sasl | Asked::SaslContinue => match self.sasl(body, frames, ts) {
                Some(c) => c,
                None => return,
            },
            Asked::Cleartext => {
                Credential::new("postgresql", "cleartext password", Kind::Cleartext, ts)
            }
            Asked::Md5(salt) => {
                let mut c = Credential::new("postgresql", "md5", Kind::ChallengeResponse, ts);
                c.challenge = Some(hex(&salt).into_bytes());
                let digest = password.strip_prefix(b"md5").unwrap_or_default();
                let user = self.user.as_ref().map(|u| &u.0[..]).unwrap_or_default();
                if digest.len() == 32
                    && digest.iter().all(u8::is_ascii_hexdigit)
                    && user.len() <= 32
                    && !user.contains(&b'*')
                    && let Ok(user) = std::str::from_utf8(user)
                {
                    c.hashcat = Some(Hashcat {
                        mode: 11100,
                        hash: format!(
                            "$postgres${user}*{}*{}",
                            hex(&salt),
                            String::from_utf8_lossy(digest).to_ascii_lowercase()
                        ),
                        hex_salt: false,
                    });
                }
                c
            }
            Asked::Nothing | Asked::Other => return,
        };
        if c.secret.is_none() {
            c.secret = Some(password.to_vec());
        }
        self.asked = Asked::Nothing;
        if let Some((user, user_frames)) = &self.user {
            c.username = Some(user.clone());
            c.add_frames(user_frames.iter().copied());
        }
        if let Some(db) = &self.database {
            c.details
                .push(("database", String::from_utf8_lossy(db).into_owned()));
        }
        c.add_frames(frames.iter().copied());
        self.pending = Some(c);
    }

    /// A `SASLInitialResponse` (mechanism name, length, client-first) or a `SASLResponse`
    /// (client-final): the credential once the SCRAM exchange is complete.
    fn sasl(&mut self, body: &[u8], frames: &[u64], ts: Timestamp) -> Option<Credential> {
        if self.asked == Asked::Sasl {
            self.asked = Asked::Nothing;
            let nul = body.iter().position(|&b| b == 0)?;
            let hash = scram::Hash::from_mechanism(&body[..nul])?;
            let len = be32(body, nul + 1)? as usize;
            let data = body.get(nul + 5..nul + 5 + len)?;
            let mut s = Box::new(Scram::new(hash));
            if s.client(data) == scram::Progress::Continue {
                self.scram = Some((s, frames.to_vec()));
            }
            return None;
        }
        self.asked = Asked::Nothing;
        let (mut s, mut scram_frames) = self.scram.take()?;
        if s.client(body) != scram::Progress::Complete {
            return None;
        }
        scram_frames.extend_from_slice(frames);
        let mut c = s.credential("postgresql", format!("SASL {}", s.hash.mechanism()), ts)?;
        c.add_frames(scram_frames);
        // The protocol's own verdict follows: `AuthenticationOk` or an error.
        Some(c)
    }

    fn server(&mut self, msg: &[u8], out: &mut Vec<Credential>) {
        if self.queries.is_some() {
            self.answer(msg, out);
            return;
        }
        if self.encryption_asked && msg.len() == 1 {
            self.encryption_asked = false;
            if msg != b"N" {
                // 'S' or 'G': TLS or GSSAPI encryption from here on.
                self.done = true;
            }
            return;
        }
        self.encryption_asked = false;
        let body = msg.get(5..).unwrap_or_default();
        match msg.first() {
            Some(b'R') => match be32(body, 0) {
                Some(AUTH_OK) => {
                    if let Some(mut c) = self.pending.take() {
                        c.outcome = Outcome::Success;
                        out.push(c);
                    }
                    // Logged in: the queries are read for password statements.
                    self.queries = Some(Queries {
                        left: MAX_QUERIES,
                        batches: VecDeque::new(),
                        open: Batch::default(),
                    });
                }
                Some(AUTH_CLEARTEXT) => self.asked = Asked::Cleartext,
                Some(AUTH_MD5) => {
                    self.asked = match body.get(4..8) {
                        Some(&[a, b, c, d]) => Asked::Md5([a, b, c, d]),
                        _ => Asked::Other,
                    }
                }
                Some(AUTH_SASL) => self.asked = Asked::Sasl,
                Some(AUTH_SASL_CONTINUE) => {
                    self.asked = Asked::Other;
                    if let Some((s, _)) = self.scram.as_mut()
                        && s.server(body.get(4..).unwrap_or_default()) == scram::Progress::Continue
                    {
                        self.asked = Asked::SaslContinue;
                    }
                }
                // The server-final message: the verdict is the `AuthenticationOk` after it.
                Some(AUTH_SASL_FINAL) => {}
                Some(_) => self.asked = Asked::Other,
                None => {}
            },
            Some(b'E') => {
                if let Some(mut c) = self.pending.take() {
                    let fields = error_fields(body);
                    let code = fields.iter().find(|(t, _)| *t == b'C').map(|f| f.1);
                    c.outcome = if code.is_some_and(|c| c.starts_with(b"28")) {
                        Outcome::Failure
                    } else {
                        Outcome::Unknown
                    };
                    if let Some((_, m)) = fields.iter().find(|(t, _)| *t == b'M') {
                        let m = &m[..m.len().min(MAX_DIAGNOSTIC)];
                        c.details
                            .push(("diagnostic", String::from_utf8_lossy(m).into_owned()));
                    }
                    out.push(c);
                }
                // The server closes the connection after an error in the startup phase.
                self.done = true;
            }
            _ => {}
        }
    }
}

/// The PostgreSQL dissector of one connection.
#[derive(Debug)]
pub struct Postgresql {
    framers: [Framer; 2],
    session: Session,
}

impl Default for Postgresql {
    fn default() -> Self {
        Postgresql {
            framers: [Framer::new(MAX_MESSAGE), Framer::new(MAX_MESSAGE)],
            session: Session::default(),
        }
    }
}

impl Dissector for Postgresql {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.done {
            return;
        }
        let framer = &mut self.framers[dir.index()];
        if framer.at_boundary() && looks_like_tls(chunk.data) {
            // Encryption whose answer the capture missed, or direct TLS.
            s.done = true;
            return;
        }
        framer.push(chunk);
        while !s.done {
            let msg = match dir {
                Direction::ToServer => framer.next(|b| {
                    if s.startup {
                        match measure_untyped(b) {
                            // A capture that starts after the startup phase.
                            Measure::Invalid => {
                                s.startup = false;
                                measure_typed(b, FRONTEND_TYPES)
                            }
                            m => m,
                        }
                    } else {
                        measure_typed(b, FRONTEND_TYPES)
                    }
                }),
                Direction::ToClient => framer.next(|b| match b.first() {
                    Some(b'S' | b'N' | b'G') if s.encryption_asked => Measure::Total(1),
                    _ => measure_typed(b, BACKEND_TYPES),
                }),
            };
            let Some(msg) = msg else { break };
            match dir {
                Direction::ToServer => s.client(msg.bytes, &msg.frames, msg.ts, out),
                Direction::ToClient => s.server(msg.bytes, out),
            }
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.session.pending.take() {
            out.push(c);
        }
        self.session.end_queries(out);
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self
                .session
                .user
                .as_ref()
                .map_or(0, |u| u.0.len() + u.1.len() * 8)
            + self.session.database.as_ref().map_or(0, Vec::len)
            + usize::from(self.session.pending.is_some()) * 256
            + self
                .session
                .scram
                .as_ref()
                .map_or(0, |(s, f)| s.buffered() + f.len() * 8)
            + self.session.queries.as_ref().map_or(0, Queries::buffered)
    }
}

/// Encoders of PostgreSQL messages, for tests and fixtures.
pub mod build {
    use super::*;

    /// A typed message.
    pub fn message(t: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![t];
        m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    /// A protocol 3.0 `StartupMessage` with these parameters.
    pub fn startup(params: &[(&str, &str)]) -> Vec<u8> {
        let mut body = PROTOCOL_3.to_be_bytes().to_vec();
        for (k, v) in params {
            body.extend_from_slice(k.as_bytes());
            body.push(0);
            body.extend_from_slice(v.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut m = (body.len() as u32 + 4).to_be_bytes().to_vec();
        m.extend_from_slice(&body);
        m
    }

    /// `SSLRequest` (or `GSSENCRequest`).
    pub fn encryption_request(code: u32) -> Vec<u8> {
        [8u32.to_be_bytes(), code.to_be_bytes()].concat()
    }

    /// An authentication request with its extra data (the MD5 salt, SASL mechanisms).
    pub fn auth(code: u32, extra: &[u8]) -> Vec<u8> {
        message(b'R', &[&code.to_be_bytes()[..], extra].concat())
    }

    /// A `PasswordMessage` (NUL-terminated).
    pub fn password(p: &[u8]) -> Vec<u8> {
        message(b'p', &[p, &[0]].concat())
    }

    /// An `ErrorResponse` with severity, SQLSTATE and message.
    pub fn error(code: &str, text: &str) -> Vec<u8> {
        let mut body = Vec::new();
        for (t, v) in [(b'S', "FATAL"), (b'V', "FATAL"), (b'C', code), (b'M', text)] {
            body.push(t);
            body.extend_from_slice(v.as_bytes());
            body.push(0);
        }
        body.push(0);
        message(b'E', &body)
    }

    /// What a server sends after `AuthenticationOk`: parameters, key data, ready.
    pub fn ready() -> Vec<u8> {
        [
            message(b'S', b"server_version\x0016.2\x00"),
            message(b'K', &[0, 0, 0x30, 0x39, 1, 2, 3, 4]),
            message(b'Z', b"I"),
        ]
        .concat()
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::DissectorConfig;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> (Vec<Credential>, bool) {
        crate::dissect::script::play(&mut Postgresql::default(), script)
    }

    const SALT: [u8; 4] = [0xad, 0x44, 0xff, 0x54];

    #[test]
    fn cleartext_password_success() {
        let (out, done) = run(&[
            (C, &startup(&[("user", "ju-Test"), ("database", "Test")])),
            (S, &auth(AUTH_CLEARTEXT, b"")),
            (C, &password(b"TestTest!2")),
            (S, &[auth(AUTH_OK, b""), ready()].concat()),
            (C, &message(b'Q', b"select 1\0")),
        ]);
        assert!(!done, "logged in: its queries are read");
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.mechanism, "cleartext password");
        assert_eq!(c.kind, Kind::Cleartext);
        assert_eq!(c.username.as_deref(), Some(&b"ju-Test"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"TestTest!2"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![1, 3]);
        assert_eq!(c.details, vec![("database", "Test".to_string())]);
    }

    #[test]
    fn md5_failure_with_hashcat_line() {
        let digest = b"md5ceffc01dcde7541829deef6b5e9c9142";
        let (out, _) = run(&[
            (C, &startup(&[("user", "oryx"), ("database", "mailstore")])),
            (S, &auth(AUTH_MD5, &SALT)),
            (C, &password(digest)),
            (
                S,
                &error("28P01", "password authentication failed for user \"oryx\""),
            ),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.mechanism, "md5");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.secret.as_deref(), Some(&digest[..]));
        assert_eq!(c.challenge.as_deref(), Some(&b"ad44ff54"[..]));
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 11100);
        assert_eq!(
            h.hash,
            "$postgres$oryx*ad44ff54*ceffc01dcde7541829deef6b5e9c9142"
        );
        assert_eq!(c.outcome, Outcome::Failure);
        assert_eq!(
            c.details[1],
            (
                "diagnostic",
                "password authentication failed for user \"oryx\"".to_string()
            )
        );
    }

    #[test]
    fn other_errors_are_unknown_and_no_reply_is_unknown() {
        let (out, _) = run(&[
            (C, &startup(&[("user", "u")])),
            (S, &auth(AUTH_CLEARTEXT, b"")),
            (C, &password(b"pw")),
            (S, &error("53300", "too many connections")),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        let (out, _) = run(&[
            (C, &startup(&[("user", "u")])),
            (S, &auth(AUTH_CLEARTEXT, b"")),
            (C, &password(b"pw")),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].secret.as_deref(), Some(&b"pw"[..]));
    }

    /// A SCRAM-SHA-256 login as libpq makes it (no SCRAM user name), answered `last`.
    fn scram_login(password: &str, last: &[u8]) -> Vec<(Direction, Vec<u8>)> {
        let [first, server, fin, verdict] = crate::dissect::scram::build::exchange(
            crate::dissect::scram::Hash::Sha256,
            "",
            password,
            "U8xI9WY8YscRAsVw74yx2Lt4",
            "Qs9Ow3Yd",
            b"0123456789abcdef",
            4096,
        );
        let mut initial = b"SCRAM-SHA-256\0".to_vec();
        initial.extend((first.len() as u32).to_be_bytes());
        initial.extend(&first);
        vec![
            (C, startup(&[("user", "zeek"), ("database", "db")])),
            (S, auth(AUTH_SASL, b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0")),
            (C, message(b'p', &initial)),
            (S, auth(AUTH_SASL_CONTINUE, &server)),
            (C, message(b'p', &fin)),
            (S, [auth(AUTH_SASL_FINAL, &verdict), last.to_vec()].concat()),
        ]
    }

    #[test]
    fn scram_sha_256_is_a_crackable_exchange_with_its_outcome() {
        let s = scram_login("Scr4m!", &auth(AUTH_OK, b""));
        let (out, done) = crate::dissect::script::play(&mut Postgresql::default(), &s);
        assert!(!done, "logged in: its queries are read");
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "SASL SCRAM-SHA-256");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"zeek"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![1, 3, 5]);
        assert_eq!(c.detail("database"), Some("db"));
        assert_eq!(c.detail("iterations"), Some("4096"));
        assert!(crate::dissect::scram::proves(c, "Scr4m!"));
        assert!(!crate::dissect::scram::proves(c, "scr4m!"));
        // A wrong password: the server's error, no server-final.
        let mut s = scram_login("wrong", &[]);
        s.pop();
        s.push((
            S,
            error("28P01", "password authentication failed for user \"zeek\""),
        ));
        let (out, _) = crate::dissect::script::play(&mut Postgresql::default(), &s);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(crate::dissect::scram::proves(&out[0], "wrong"));
        // Every split of each client message gives the same.
        let s = scram_login("Scr4m!", &auth(AUTH_OK, b""));
        for (i, (dir, m)) in s.iter().enumerate() {
            if *dir != C {
                continue;
            }
            for cut in 1..m.len() {
                let mut split = s.clone();
                split[i] = (C, m[..cut].to_vec());
                split.insert(i + 1, (C, m[cut..].to_vec()));
                let (out, _) = crate::dissect::script::play(&mut Postgresql::default(), &split);
                assert_eq!(out.len(), 1, "message {i} cut at {cut}");
                assert_eq!(out[0].outcome, Outcome::Success);
                assert!(crate::dissect::scram::proves(&out[0], "Scr4m!"));
            }
        }
    }

    #[test]
    fn scram_out_of_order_or_unchained_gives_nothing() {
        let (out, done) = run(&[
            (C, &startup(&[("user", "zeek")])),
            (S, &auth(AUTH_SASL, b"SCRAM-SHA-256\0\0")),
            (
                C,
                &message(
                    b'p',
                    b"SCRAM-SHA-256\0\0\0\0\x20n,,n=,r=U8xI9WY8YscRAsVw74yx2Lt4",
                ),
            ),
            // The server's nonce does not continue the client's.
            (S, &auth(11, b"r=U8x,s=+Cte,i=4096")),
            (C, &message(b'p', b"c=biws,r=U8x,p=GH3b")),
            (S, &auth(12, b"v=abc")),
            (S, &auth(AUTH_OK, b"")),
        ]);
        assert!(out.is_empty(), "{out:?}");
        assert!(!done, "logged in: its queries are read");
    }

    #[test]
    fn gss_and_trust_give_nothing() {
        let (out, _) = run(&[
            (C, &startup(&[("user", "user"), ("database", "dbdb")])),
            (S, &[auth(AUTH_OK, b""), ready()].concat()),
        ]);
        assert!(out.is_empty());
    }

    #[test]
    fn ssl_request_accepted_stops_refused_goes_on() {
        let (out, done) = run(&[
            (C, &encryption_request(SSL_REQUEST)),
            (S, b"S"),
            (C, b"\x16\x03\x01\x00\x05hello"),
        ]);
        assert!(out.is_empty());
        assert!(done);
        let (_, done) = run(&[(C, &encryption_request(GSSENC_REQUEST)), (S, b"G")]);
        assert!(done);
        let (out, done) = run(&[
            (C, &encryption_request(GSSENC_REQUEST)),
            (S, b"N"),
            (C, &encryption_request(SSL_REQUEST)),
            (S, b"N"),
            (C, &startup(&[("user", "ju")])),
            (S, &auth(AUTH_CLEARTEXT, b"")),
            (C, &password(b"in clear")),
            (S, &auth(AUTH_OK, b"")),
        ]);
        assert!(!done, "logged in: its queries are read");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"in clear"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        // The answer missed by the capture: TLS bytes end it.
        let (_, done) = run(&[
            (C, &encryption_request(SSL_REQUEST)),
            (C, b"\x16\x03\x01\x00\x05hello"),
        ]);
        assert!(done);
    }

    #[test]
    fn long_user_names_have_no_hashcat_line() {
        let user = "u".repeat(40);
        let (out, _) = run(&[
            (C, &startup(&[("user", &user)])),
            (S, &auth(AUTH_MD5, &SALT)),
            (C, &password(b"md5ceffc01dcde7541829deef6b5e9c9142")),
        ]);
        assert_eq!(out.len(), 1);
        assert!(out[0].hashcat.is_none());
    }

    #[test]
    fn capture_starting_after_startup() {
        let (out, _) = run(&[
            (S, &auth(AUTH_CLEARTEXT, b"")),
            (C, &password(b"no-user")),
            (S, &auth(AUTH_OK, b"")),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].username, None);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn probe_recognises_postgresql() {
        let st = startup(&[("user", "x")]);
        assert_eq!(probe(&st, b""), Probe::Yes);
        assert_eq!(probe(&st[..8], b""), Probe::Yes);
        assert_eq!(probe(&st[..5], b""), Probe::Maybe);
        assert_eq!(probe(&encryption_request(SSL_REQUEST), b""), Probe::Yes);
        assert_eq!(probe(&encryption_request(SSL_REQUEST), b"N"), Probe::Yes);
        assert_eq!(probe(&message(b'Q', b"select 1\0"), b""), Probe::Maybe);
        assert_eq!(probe(b"", &auth(AUTH_MD5, &SALT)), Probe::Maybe);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        for other in [
            &b"GET / HTTP/1.1\r\n"[..],
            b"POST /login HTTP/1.1\r\n",
            b"SSH-2.0-OpenSSH_9.2\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"USER bob\r\n",
            b"*2\r\n$4\r\nAUTH\r\n",
            b"\x12\x01\x00\x2f\x00\x00\x01\x00",
        ] {
            assert_eq!(probe(other, b""), Probe::No, "{other:?}");
        }
        for banner in [&b"220 ftp ready\r\n"[..], b"+OK POP3\r\n", b"* OK IMAP\r\n"] {
            assert_eq!(probe(b"", banner), Probe::No, "{banner:?}");
        }
    }

    /// A trusted login (no password asked), then `script`.
    fn logged_in(script: &[(Direction, Vec<u8>)]) -> (Vec<Credential>, bool) {
        let mut all: Vec<(Direction, Vec<u8>)> = vec![
            (C, startup(&[("user", "dba"), ("database", "prod")])),
            (S, [auth(AUTH_OK, b""), ready()].concat()),
        ];
        all.extend(script.iter().cloned());
        let refs: Vec<(Direction, &[u8])> = all.iter().map(|(d, b)| (*d, &b[..])).collect();
        run(&refs)
    }

    fn query(text: &str) -> Vec<u8> {
        message(b'Q', format!("{text}\0").as_bytes())
    }

    fn complete(tag: &str) -> Vec<u8> {
        message(b'C', format!("{tag}\0").as_bytes())
    }

    #[test]
    fn password_statements_after_the_login() {
        let (out, done) = logged_in(&[
            (C, query("ALTER ROLE app PASSWORD 'App-Pw-1'")),
            (S, [complete("ALTER ROLE"), ready()].concat()),
            // Three statements: the second fails, the third never runs.
            (
                C,
                query(
                    "CREATE ROLE a LOGIN PASSWORD 'p-a'; ALTER ROLE missing PASSWORD 'p-b'; \
                     ALTER ROLE c PASSWORD 'p-c'",
                ),
            ),
            (
                S,
                [
                    complete("CREATE ROLE"),
                    error("42704", "role \"missing\" does not exist"),
                    ready(),
                ]
                .concat(),
            ),
            // The extended protocol: Parse, Bind, Execute, Sync.
            (
                C,
                [
                    message(b'P', b"\0ALTER USER CURRENT_USER PASSWORD 'own-pw'\0\0\0"),
                    message(b'B', b"\0\0\0\0\0\0\0\0"),
                    message(b'E', b"\0\0\0\0\0"),
                    message(b'S', b""),
                ]
                .concat(),
            ),
            (
                S,
                [
                    message(b'1', b""),
                    message(b'2', b""),
                    complete("ALTER ROLE"),
                    ready(),
                ]
                .concat(),
            ),
            // Never answered.
            (C, query("ALTER ROLE late PASSWORD 'late-pw'")),
        ]);
        assert!(!done);
        let got = crate::dissect::script::seen(&out);
        let alter = "ALTER ROLE ... PASSWORD";
        assert_eq!(
            got,
            vec![
                (alter, &b"app"[..], &b"App-Pw-1"[..], Outcome::Success),
                // Rolled back with the query's failed statement.
                ("CREATE ROLE ... PASSWORD", b"a", b"p-a", Outcome::Failure),
                (alter, b"missing", b"p-b", Outcome::Failure),
                (alter, b"c", b"p-c", Outcome::Failure),
                (
                    "ALTER USER ... PASSWORD",
                    b"dba",
                    b"own-pw",
                    Outcome::Success
                ),
                (alter, b"late", b"late-pw", Outcome::Unknown),
            ]
        );
        assert_eq!(
            out[2].details,
            vec![
                ("database", "prod".to_string()),
                ("diagnostic", "role \"missing\" does not exist".to_string())
            ]
        );
        assert_eq!(out[0].kind, Kind::Cleartext);
    }

    #[test]
    fn queries_are_read_only_so_long() {
        let mut script = Vec::new();
        for _ in 0..MAX_QUERIES {
            script.push((C, query("SELECT 1")));
            script.push((S, [complete("SELECT 1"), ready()].concat()));
        }
        let (_, done) = logged_in(&script);
        assert!(done);
        script.pop();
        let (_, done) = logged_in(&script);
        assert!(!done);
        // A refused login reads nothing more.
        let (_, done) = run(&[
            (C, &startup(&[("user", "u")])),
            (S, &auth(AUTH_CLEARTEXT, b"")),
            (C, &password(b"nope")),
            (S, &error("28P01", "password authentication failed")),
        ]);
        assert!(done);
    }

    #[test]
    fn never_panics_on_garbage() {
        let valid = [
            startup(&[("user", "a"), ("database", "b")]),
            auth(AUTH_MD5, &SALT),
            password(b"md5ceffc01dcde7541829deef6b5e9c9142"),
            error("28P01", "no"),
            encryption_request(SSL_REQUEST),
        ];
        super::super::garbage::feed(
            0x9e37_79b9,
            2000,
            5,
            &valid,
            Postgresql::default,
            |b| {
                let _ = probe(b, b);
                let _ = startup_parameters(b);
                let _ = error_fields(b);
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * MAX_MESSAGE),
        );
    }

    /// Every chunk of a session cut at every offset gives the same findings
    /// (`split_tests` in `dissect/mod.rs`).
    #[test]
    fn any_split() {
        type Seen = (Option<Vec<u8>>, Option<Vec<u8>>, Outcome, String);
        fn go(script: &[(Direction, Vec<u8>)]) -> Vec<Seen> {
            let mut out = Vec::new();
            // Each connection is a dissector of its own; an empty chunk separates them.
            let mut d = (SPEC.new)(&DissectorConfig::default());
            for (dir, data) in script {
                if data.is_empty() {
                    d.close(&mut out);
                    d = (SPEC.new)(&DissectorConfig::default());
                    continue;
                }
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
            (C, encryption_request(SSL_REQUEST)),
            (S, b"N".to_vec()),
            (C, startup(&[("user", "alice"), ("database", "db")])),
            (S, auth(AUTH_MD5, &SALT)),
            (C, password(b"md5ceffc01dcde7541829deef6b5e9c9142")),
            (S, error("28P01", "bad")),
            (C, Vec::new()),
            (C, startup(&[("user", "bob")])),
            (S, auth(AUTH_CLEARTEXT, b"")),
            (C, password(b"s3cret")),
            (S, [auth(AUTH_OK, b""), ready()].concat()),
        ];
        let want = go(&whole);
        assert_eq!(want.len(), 2, "{want:?}");
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
