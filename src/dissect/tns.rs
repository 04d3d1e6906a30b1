//! Oracle Database's TNS (Transparent Network Substrate, "Oracle Net", "SQL*Net") and the
//! TTC (Two-Task Common) messages it carries: how every Oracle client — OCI and SQL*Plus,
//! the JDBC thin driver, python-oracledb, node-oracledb, ODP.NET — logs in. TCP 1521 (the
//! listener), 1526, 2483, and any port by content (the client's first packet is a TNS
//! CONNECT).
//!
//! A TNS packet has an 8-byte header: its length (2 bytes and a zero checksum, or — from
//! TNS version 315, Oracle 12c, once the ACCEPT has agreed on it — 4 bytes), its type
//! (1 CONNECT, 2 ACCEPT, 4 REFUSE, 5 REDIRECT, 6 DATA, 11 RESEND, 12 MARKER...), flags
//! and a header checksum. DATA packets carry 2 bytes of flags and then TTC messages, the
//! client's requests (a function call: message type 3, a function code) and the server's
//! answers. The login is O5LOGON, two round trips:
//!
//! ```text
//! C: CONNECT (the connect descriptor: SERVICE_NAME or SID, the client's program and user)
//! S: ACCEPT; then protocol and data type negotiation
//! C: function 0x76, AUTH phase one: the user name, AUTH_TERMINAL, AUTH_PROGRAM_NM...
//! S: AUTH_SESSKEY (the server's half of a session key, AES-encrypted under the
//!    password's verifier), AUTH_VFR_DATA (the verifier's salt; its flags name the
//!    verifier: 0xB152 11g, SHA-1; 0x4815 12c, PBKDF2-SHA512), AUTH_PBKDF2_CSK_SALT,
//!    AUTH_PBKDF2_VGEN_COUNT, AUTH_PBKDF2_SDER_COUNT
//! C: function 0x73, AUTH phase two: AUTH_SESSKEY (the client's half, encrypted under the
//!    same key), AUTH_PASSWORD (the password, AES-encrypted under the combined session
//!    key), AUTH_NEWPASSWORD when it changes an expired password
//! S: AUTH_SESSION_ID, AUTH_SERIAL_NUM, AUTH_SVR_RESPONSE... (logged in), or an error:
//!    ORA-01017: invalid username/password; logon denied
//! ```
//!
//! The password never crosses in clear, but everything needed to test a guess offline
//! does: the guess's verifier key decrypts both halves of the session key, which give the
//! key that decrypts AUTH_PASSWORD (a 16-byte random prefix, the password, padding).
//! Reported: protocol `oracle`, kind `challenge-response`, mechanism `O5LOGON` (`O3LOGON`
//! for the 8i–10g exchange without a verifier salt), `challenge` the AUTH_VFR_DATA salt
//! (hex), `secret` the server's AUTH_SESSKEY, the client's AUTH_SESSKEY and AUTH_PASSWORD
//! as sent, joined by `*`; `details.verifier` (`11g (SHA-1)`, `12c (PBKDF2-SHA512)`), the
//! PBKDF2 salt and counts, `details.database` (the service name or SID). John the
//! Ripper's `o5logon` line when the exchange is one John reads (an 11g verifier without
//! the 12c key derivation). `AUTH_NEWPASSWORD` gives a second finding, `O5LOGON (new
//! password)`, decrypted by the same session key.
//!
//! **Outcome**: the answer to phase two — the session's identifiers are `success`, an
//! `ORA-` error `failure` with `details.reason`.
//!
//! **After the login** the client's next 256 requests are read for passwords in SQL
//! (`CREATE|ALTER USER ... IDENTIFIED BY`, `CREATE DATABASE LINK ... CONNECT TO ...
//! IDENTIFIED BY`, roles; see [`super::sql`]'s Oracle dialect), each judged by its answer
//! (an `ORA-` error refuses it). Native Network Encryption, once negotiated, hides all of
//! this: nothing is then reported.

use super::prefixed::{Framed, Head, Messages};
use super::sql::{self, Dialect};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, John, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "oracle",
    tcp_ports: &[1521, 1526, 2483],
    probe,
    new: |_config| Box::<Tns>::default(),
};

const HEADER: usize = 8;
/// Longest TNS packet buffered whole (a session data unit is at most 2 MiB; the login's
/// packets are a few hundred bytes).
const MAX_PACKET: usize = 256 << 10;
/// Most bytes of one request or answer kept for reading.
const MAX_EXCHANGE: usize = 256 << 10;

pub const CONNECT: u8 = 1;
pub const ACCEPT: u8 = 2;
pub const REFUSE: u8 = 4;
pub const DATA: u8 = 6;
pub const MARKER: u8 = 12;

/// TTC message types and function codes.
pub const TTC_FUNCTION: u8 = 3;
pub const TTC_ERROR: u8 = 4;
pub const TTC_PARAMETER: u8 = 8;
pub const AUTH_PHASE_ONE: u8 = 0x76;
pub const AUTH_PHASE_TWO: u8 = 0x73;
/// OALL8: parse, bind, execute, fetch.
pub const EXECUTE: u8 = 0x5e;

/// Verifier types (AUTH_VFR_DATA's flags).
pub const VERIFIER_11G: u32 = 0xb152;
pub const VERIFIER_11G_2: u32 = 0x1b25;
pub const VERIFIER_12C: u32 = 0x4815;

/// Client requests read after the login.
const REQUESTS_AFTER_LOGIN: u32 = 256;
/// Requests without an authentication call after which a connection is left (the
/// negotiations before a login take three or four).
const REQUESTS_BEFORE_LOGIN: u32 = 64;

fn be16(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]))
}

fn be32(p: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(at..at + 4)?.try_into().ok()?))
}

/// A packet's length: 2 bytes followed by a zero checksum, or (TNS 315 and later) 4
/// bytes, whose first two are then below 8 (packets under 512 KiB). Anything else is no
/// packet start: such as the urgent byte a client sends at TNS 318 to test out-of-band
/// breaks, which lies in the stream between two packets.
fn length(p: &[u8]) -> Option<usize> {
    let short = be16(p, 0)?;
    if short >= HEADER as u16 {
        (be16(p, 2)? == 0).then_some(usize::from(short))
    } else {
        be32(p, 0).map(|l| l as usize)
    }
}

fn head(p: &[u8]) -> Head {
    if p.len() < HEADER {
        return Head::Incomplete;
    }
    match (length(p), p[4]) {
        // Control packets are short: a longer one is a misreading (such as the urgent
        // byte before a MARKER taken for the start of a RESEND).
        (Some(len), 3 | 7 | 11 | 12 | 13) if (HEADER..=64).contains(&len) => Head::Message(len),
        (Some(len), 1 | 2 | 4 | 5 | 6 | 9 | 14) if len >= HEADER => Head::Message(len),
        _ => Head::Invalid,
    }
}

/// Where a packet plausibly starts (after lost bytes): a DATA or MARKER packet.
fn start(p: &[u8]) -> Probe {
    if p.len() < HEADER {
        return Probe::Maybe;
    }
    match (length(p), p[4]) {
        (Some(len), DATA | MARKER) if (HEADER + 2..=MAX_PACKET).contains(&len) => Probe::Yes,
        _ => Probe::No,
    }
}

/// The client's CONNECT: a 2-byte length, a zero checksum, type 1, then the versions it
/// speaks (the highest, 300 to 400 in practice, and the lowest it accepts).
fn connect_packet(p: &[u8]) -> Probe {
    if p.len() < 12 {
        return if p.len() >= 5 && p[4] != CONNECT {
            Probe::No
        } else {
            Probe::Maybe
        };
    }
    let (Some(len), Some(version), Some(lowest)) = (be16(p, 0), be16(p, 8), be16(p, 10)) else {
        return Probe::No;
    };
    if p[4] == CONNECT
        && p[2..4] == [0, 0]
        && len >= 34
        && (256..=511).contains(&version)
        && (256..=version).contains(&lowest)
    {
        Probe::Yes
    } else {
        Probe::No
    }
}

pub fn probe(to_server: &[u8], _to_client: &[u8]) -> Probe {
    connect_packet(to_server)
}

/// A TTC unsigned integer: a length byte (its top bit a sign), then that many bytes, big
/// endian.
pub fn ub(p: &[u8], at: &mut usize) -> Option<u64> {
    let n = usize::from(*p.get(*at)? & 0x7f);
    if n > 8 {
        return None;
    }
    let bytes = p.get(*at + 1..*at + 1 + n)?;
    *at += 1 + n;
    Some(bytes.iter().fold(0, |v, &b| v << 8 | u64::from(b)))
}

/// A TTC byte string: a length byte and the bytes, or `0xFE` and chunks (each a length as
/// [`ub`] and its bytes) up to an empty one; `0` and `0xFF` are empty (null).
pub fn clr(p: &[u8], at: &mut usize) -> Option<Vec<u8>> {
    let len = *p.get(*at)?;
    *at += 1;
    match len {
        0 | 0xff => Some(Vec::new()),
        0xfe => {
            let mut out = Vec::new();
            loop {
                let n = usize::try_from(ub(p, at)?).ok()?;
                if n == 0 {
                    return Some(out);
                }
                // (A chunk's length is up to 8 bytes wide: added checked.)
                out.extend_from_slice(p.get(*at..at.checked_add(n)?)?);
                *at += n;
                if out.len() > MAX_EXCHANGE {
                    return None;
                }
            }
        }
        n => {
            let n = usize::from(n);
            let b = p.get(*at..*at + n)?.to_vec();
            *at += n;
            Some(b)
        }
    }
}

/// One key/value pair of an authentication message (the client's or the server's):
/// the key's length as [`ub`] and the key, the value's length and the value (absent when
/// that length is 0), flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// Where the pair starts (its key's length).
    pub at: usize,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub flags: u64,
}

fn key_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'
}

/// The `AUTH_*` pairs of a message, found where their keys are (the bytes before them
/// differ between clients and versions).
pub fn auth_pairs(p: &[u8]) -> Vec<Pair> {
    let mut out = Vec::new();
    for k in memchr::memmem::find_iter(p, b"AUTH_") {
        let key_len = p[k..].iter().take_while(|&&b| key_byte(b)).count();
        // The key's own length byte, and its length as a ub4 before that.
        if k < 3 || usize::from(p[k - 1]) != key_len || p[k - 2] as usize != key_len {
            continue;
        }
        if p[k - 3] != 1 {
            continue;
        }
        let mut at = k - 1;
        let Some(key) = clr(p, &mut at) else {
            continue;
        };
        let Some(value_len) = ub(p, &mut at) else {
            continue;
        };
        let value = if value_len > 0 {
            match clr(p, &mut at) {
                Some(v) => v,
                None => continue,
            }
        } else {
            Vec::new()
        };
        let Some(flags) = ub(p, &mut at) else {
            continue;
        };
        out.push(Pair {
            at: k - 3,
            key,
            value,
            flags,
        });
    }
    out
}

fn find_pair<'p>(pairs: &'p [Pair], key: &str) -> Option<&'p Pair> {
    pairs.iter().find(|p| p.key == key.as_bytes())
}

fn pair_value<'p>(pairs: &'p [Pair], key: &str) -> Option<&'p [u8]> {
    find_pair(pairs, key)
        .map(|p| p.value.as_slice())
        .filter(|v| !v.is_empty())
}

/// The user name of an authentication request (function `code`) whose first pair starts
/// at `first`: after the function code, its sequence number (and, for 23ai, a token
/// number), a pointer, the user name's length, the mode, a pointer, the number of pairs
/// and two pointers come the user name's bytes — raw (python-oracledb) or behind a length
/// byte (OCI, JDBC).
pub fn auth_user(p: &[u8], code: u8, first: usize) -> Option<Vec<u8>> {
    let text = |u: &[u8]| u.iter().all(|&b| b >= 0x20 && b != 0x7f);
    let calls = memchr::memmem::find_iter(&p[..first], &[TTC_FUNCTION, code]).collect::<Vec<_>>();
    for &f in calls.iter().rev() {
        for token in [false, true] {
            let mut at = f + 3;
            if token && ub(p, &mut at).is_none() {
                continue;
            }
            at += 1;
            let Some(len) = ub(p, &mut at).and_then(|l| usize::try_from(l).ok()) else {
                continue;
            };
            if len == 0 || len > 1024 {
                continue;
            }
            let fields = ub(p, &mut at).is_some() && {
                at += 1;
                ub(p, &mut at).is_some()
            };
            if !fields {
                continue;
            }
            at += 2;
            let user = if at + len == first {
                p.get(at..first)
            } else if at + 1 + len == first && usize::from(*p.get(at)?) == len {
                p.get(at + 1..first)
            } else {
                None
            };
            if let Some(u) = user.filter(|u| text(u)) {
                return Some(u.to_vec());
            }
        }
    }
    // The user name behind its length byte just before the first pair.
    (1..=first.min(128).saturating_sub(1))
        .find(|&len| usize::from(p[first - len - 1]) == len && text(&p[first - len..first]))
        .map(|len| p[first - len..first].to_vec())
}

/// An `ORA-nnnnn: message` in an answer: the first error it reports.
pub fn ora_error(p: &[u8]) -> Option<String> {
    for at in memchr::memmem::find_iter(p, b"ORA-") {
        let digits = p[at + 4..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits != 5 {
            continue;
        }
        let end = p[at..]
            .iter()
            .take(200)
            .position(|&b| b < 0x20 || b == 0x7f)
            .map_or((at + 200).min(p.len()), |n| at + n);
        return Some(String::from_utf8_lossy(&p[at..end]).trim_end().to_string());
    }
    None
}

/// The SQL lengths the execute calls (OALL8, function 0x5E) of a request announce: after
/// the sequence number, the options, the cursor and a pointer.
fn execute_lengths(p: &[u8]) -> Vec<usize> {
    memchr::memmem::find_iter(p, &[TTC_FUNCTION, EXECUTE])
        .filter_map(|f| {
            let mut at = f + 3;
            ub(p, &mut at)?;
            ub(p, &mut at)?;
            if p.get(at) != Some(&1) {
                return None;
            }
            at += 1;
            // A length the request cannot hold is no statement's.
            usize::try_from(ub(p, &mut at)?)
                .ok()
                .filter(|&l| (10..=p.len()).contains(&l))
        })
        .take(16)
        .collect()
}

/// The text of every statement in a request that may set a password: the SQL of an
/// execute call, raw after the call's fields (python-oracledb; its length given before
/// them), behind its length byte or in chunks. Around each `IDENTIFIED`, the run of text
/// its length says it is.
pub fn statement_texts(p: &[u8]) -> Vec<Vec<u8>> {
    let text = |b: u8| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r');
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut covered = 0;
    // The quick test first: most requests set no password, and are not copied.
    if !sql::may_set_password(p, Dialect::Oracle) {
        return out;
    }
    let lower = p.to_ascii_lowercase();
    let lengths = execute_lengths(p);
    for k in memchr::memmem::find_iter(&lower, b"identified") {
        if k < covered {
            continue;
        }
        // Of a length an execute call gave: behind that length, or raw after a byte that
        // is no text (and then beginning as a statement does).
        let fits =
            |s: usize, len: usize| s + len <= p.len() && p[s..s + len].iter().all(|&b| text(b));
        let begins =
            |b: u8| b.is_ascii_alphabetic() || b.is_ascii_whitespace() || b"(/-".contains(&b);
        let raw = lengths.iter().find_map(|&len| {
            let starts = (k + 10).saturating_sub(len)..=k;
            let behind_length = starts
                .clone()
                .find(|&s| s > 0 && usize::from(p[s - 1]) == len && fits(s, len));
            behind_length
                .or_else(|| {
                    starts
                        .clone()
                        .find(|&s| (s == 0 || !text(p[s - 1])) && begins(p[s]) && fits(s, len))
                })
                .map(|s| (s, len))
        });
        if let Some((s, len)) = raw {
            out.push(p[s..s + len].to_vec());
            covered = s + len;
            continue;
        }
        // A string behind its length byte.
        let short = (k.saturating_sub(252)..k).find(|&s| {
            s > 0 && {
                let len = usize::from(p[s - 1]);
                (1..=252).contains(&len)
                    && s + len >= k + 10
                    && s + len <= p.len()
                    && p[s..s + len].iter().all(|&b| text(b))
            }
        });
        if let Some(s) = short {
            let len = usize::from(p[s - 1]);
            out.push(p[s..s + len].to_vec());
            covered = s + len;
            continue;
        }
        // A long one in chunks: 0xFE before it.
        let long = (k.saturating_sub(MAX_EXCHANGE)..k)
            .rev()
            .filter(|&s| p[s] == 0xfe)
            .take(64)
            .find_map(|s| {
                let mut at = s;
                let v = clr(p, &mut at)?;
                (at > k && v.len() >= 10 && v.iter().all(|&b| text(b))).then_some((v, at))
            });
        if let Some((v, end)) = long {
            out.push(v);
            covered = end;
        }
    }
    out
}

/// What the server sent in AUTH phase one.
#[derive(Debug, Default, Clone)]
struct Challenge {
    sesskey: Vec<u8>,
    salt: Vec<u8>,
    verifier: Option<u32>,
    csk_salt: Option<Vec<u8>>,
    vgen_count: Option<String>,
    sder_count: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Nothing,
    /// The answer to AUTH phase one.
    Challenge,
    /// The answer to AUTH phase two: the login's findings.
    Login,
    /// The answer to a statement that sets a password.
    Statement,
}

#[derive(Debug)]
pub struct Session {
    /// The service name or SID the client asked for.
    database: Option<String>,
    /// The client's request, from its DATA packets since the server last spoke.
    request: Vec<u8>,
    request_frames: Vec<u64>,
    request_ts: Timestamp,
    /// The server's answer so far, while one is awaited.
    answer: Vec<u8>,
    waiting: Waiting,
    user: Option<Vec<u8>>,
    program: Option<String>,
    challenge: Option<Challenge>,
    /// Findings awaiting the server's answer.
    pending: Vec<Credential>,
    logged_in: bool,
    requests: u32,
    /// Requests since the connection began or its last authentication call that were
    /// none (protocol negotiation; everything, once Native Network Encryption is on).
    unread: u32,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            database: None,
            request: Vec::new(),
            request_frames: Vec::new(),
            request_ts: Timestamp::ZERO,
            answer: Vec::new(),
            waiting: Waiting::Nothing,
            user: None,
            program: None,
            challenge: None,
            pending: Vec::new(),
            logged_in: false,
            requests: 0,
            unread: 0,
        }
    }
}

fn hex_string(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_hexdigit)
}

/// A `KEY=value` of a connect descriptor.
fn descriptor_value(p: &[u8], key: &[u8]) -> Option<String> {
    let upper = p.to_ascii_uppercase();
    let at = memchr::memmem::find(&upper, key)? + key.len();
    let end = p[at..].iter().position(|&b| b == b')')? + at;
    let v = String::from_utf8_lossy(&p[at..end]).trim().to_string();
    (!v.is_empty()).then_some(v)
}

impl Session {
    /// The client's whole request (the server has begun to answer it).
    fn request_done(&mut self) {
        if self.request.is_empty() {
            return;
        }
        let request = std::mem::take(&mut self.request);
        let frames = std::mem::take(&mut self.request_frames);
        let pairs = auth_pairs(&request);
        let call = |code: u8| memchr::memmem::find(&request, &[TTC_FUNCTION, code]).is_some();
        if find_pair(&pairs, "AUTH_PASSWORD").is_some()
            || find_pair(&pairs, "AUTH_NEWPASSWORD").is_some()
        {
            self.unread = 0;
            self.phase_two(&request, &pairs, &frames);
        } else if !pairs.is_empty() && call(AUTH_PHASE_ONE) {
            self.unread = 0;
            let first = pairs.iter().map(|p| p.at).min().unwrap_or(0);
            self.user = auth_user(&request, AUTH_PHASE_ONE, first).or(self.user.take());
            self.program = pair_value(&pairs, "AUTH_PROGRAM_NM")
                .map(|v| String::from_utf8_lossy(v).into_owned());
            self.challenge = None;
            self.waiting = Waiting::Challenge;
            self.answer.clear();
        } else if self.logged_in && self.requests < REQUESTS_AFTER_LOGIN {
            self.requests += 1;
            self.statement(&request, &frames);
        } else {
            self.unread = self.unread.saturating_add(1);
        }
    }

    fn phase_two(&mut self, request: &[u8], pairs: &[Pair], frames: &[u64]) {
        let first = pairs.iter().map(|p| p.at).min().unwrap_or(0);
        let user = auth_user(request, AUTH_PHASE_TWO, first).or_else(|| self.user.clone());
        let challenge = self.challenge.clone().unwrap_or_default();
        let client_key = pair_value(pairs, "AUTH_SESSKEY").unwrap_or_default();
        // O3LOGON (8i to 10g): a challenge without a verifier salt. (Without the
        // challenge, its login began before the capture did.)
        let legacy = self.challenge.is_some() && challenge.salt.is_empty();
        let mechanism = if legacy { "O3LOGON" } else { "O5LOGON" };
        let credential = |mechanism: &'static str, encrypted: &[u8]| {
            let mut c = Credential::new(
                "oracle",
                mechanism,
                Kind::ChallengeResponse,
                self.request_ts,
            );
            c.username = user.clone();
            c.secret = Some([&challenge.sesskey[..], client_key, encrypted].join(&b'*'));
            if !challenge.salt.is_empty() {
                c.challenge = Some(challenge.salt.clone());
            }
            if let Some(v) = challenge.verifier {
                let name = match v {
                    VERIFIER_11G | VERIFIER_11G_2 => "11g (SHA-1)".to_string(),
                    VERIFIER_12C => "12c (PBKDF2-SHA512)".to_string(),
                    other => format!("0x{other:04x}"),
                };
                c.details.push(("verifier", name));
            }
            if let Some(s) = &challenge.csk_salt {
                c.details
                    .push(("pbkdf2_csk_salt", String::from_utf8_lossy(s).into_owned()));
            }
            if let Some(n) = &challenge.vgen_count {
                c.details.push(("pbkdf2_vgen_count", n.clone()));
            }
            if let Some(n) = &challenge.sder_count {
                c.details.push(("pbkdf2_sder_count", n.clone()));
            }
            if let Some(d) = &self.database {
                c.details.push(("database", d.clone()));
            }
            if let Some(p) = &self.program {
                c.details.push(("program", p.clone()));
            }
            c.john = if legacy {
                o3logon_line(user.as_deref(), &challenge.sesskey, encrypted)
            } else {
                john_line(&challenge, client_key, encrypted)
            };
            c.add_frames(frames.iter().copied());
            c
        };
        let mut found = Vec::new();
        if let Some(password) = pair_value(pairs, "AUTH_PASSWORD") {
            found.push(credential(mechanism, password));
        }
        if let Some(new) = pair_value(pairs, "AUTH_NEWPASSWORD") {
            let mechanism = if legacy {
                "O3LOGON (new password)"
            } else {
                "O5LOGON (new password)"
            };
            found.push(credential(mechanism, new));
        }
        if found.is_empty() {
            return;
        }
        self.user = user;
        self.pending = found;
        self.waiting = Waiting::Login;
        self.answer.clear();
    }

    fn statement(&mut self, request: &[u8], frames: &[u64]) {
        let mut found = Vec::new();
        for text in statement_texts(request) {
            for p in sql::passwords(&text, Dialect::Oracle) {
                let database = self.database.as_deref().map(str::as_bytes);
                found.push(p.credential(
                    "oracle",
                    self.user.as_deref(),
                    database,
                    frames,
                    self.request_ts,
                ));
            }
        }
        if !found.is_empty() {
            self.pending = found;
            self.waiting = Waiting::Statement;
            self.answer.clear();
        }
    }

    /// The server's answer so far: decided once it says enough.
    fn answered(&mut self, frames: &[u64], out: &mut Vec<Credential>) {
        match self.waiting {
            Waiting::Nothing => self.answer.clear(),
            Waiting::Challenge => {
                let pairs = auth_pairs(&self.answer);
                let Some(key) = pair_value(&pairs, "AUTH_SESSKEY").filter(|k| hex_string(k)) else {
                    return;
                };
                let vfr = find_pair(&pairs, "AUTH_VFR_DATA");
                self.challenge = Some(Challenge {
                    sesskey: key.to_vec(),
                    salt: vfr.map(|p| p.value.clone()).unwrap_or_default(),
                    verifier: vfr.and_then(|p| u32::try_from(p.flags).ok()),
                    csk_salt: pair_value(&pairs, "AUTH_PBKDF2_CSK_SALT").map(<[u8]>::to_vec),
                    vgen_count: pair_value(&pairs, "AUTH_PBKDF2_VGEN_COUNT")
                        .map(|v| String::from_utf8_lossy(v).into_owned()),
                    sder_count: pair_value(&pairs, "AUTH_PBKDF2_SDER_COUNT")
                        .map(|v| String::from_utf8_lossy(v).into_owned()),
                });
                self.waiting = Waiting::Nothing;
                self.answer.clear();
            }
            Waiting::Login => {
                let pairs = auth_pairs(&self.answer);
                let accepted = ["AUTH_SESSION_ID", "AUTH_SVR_RESPONSE", "AUTH_SERIAL_NUM"]
                    .iter()
                    .any(|k| find_pair(&pairs, k).is_some());
                let verdict = if accepted {
                    Ok(())
                } else if let Some(error) = ora_error(&self.answer) {
                    Err(error)
                } else {
                    return;
                };
                self.logged_in |= verdict.is_ok();
                self.requests = 0;
                self.decide(verdict, "reason", frames, out);
            }
            Waiting::Statement => {
                let verdict = match ora_error(&self.answer) {
                    Some(error) => Err(error),
                    None => Ok(()),
                };
                self.decide(verdict, "diagnostic", frames, out);
            }
        }
    }

    fn decide(
        &mut self,
        verdict: Result<(), String>,
        why: &'static str,
        frames: &[u64],
        out: &mut Vec<Credential>,
    ) {
        for mut c in self.pending.drain(..) {
            c.add_frames(frames.iter().copied());
            match &verdict {
                Ok(()) => c.outcome = Outcome::Success,
                Err(e) => {
                    c.outcome = Outcome::Failure;
                    c.details.push((why, e.clone()));
                }
            }
            out.push(c);
        }
        self.waiting = Waiting::Nothing;
        self.answer.clear();
    }
}

/// John the Ripper's `o3logon` line for an 8i–10g login: `$o3logon$<user>$<AUTH_SESSKEY,
/// 16 bytes>$<AUTH_PASSWORD>` (a user name of at most 30 characters, without `$`; the
/// password's hex in whole 8-byte blocks).
fn o3logon_line(user: Option<&[u8]>, sesskey: &[u8], password: &[u8]) -> Option<John> {
    let user = std::str::from_utf8(user?).ok()?;
    let fits = !user.is_empty() && user.chars().count() <= 30 && !user.contains('$');
    if !fits || sesskey.len() != 32 || !hex_string(sesskey) || !hex_string(password) {
        return None;
    }
    if !password.len().is_multiple_of(16) {
        return None;
    }
    let upper = |b: &[u8]| String::from_utf8_lossy(b).to_ascii_uppercase();
    Some(John {
        format: "o3logon",
        hash: format!("$o3logon${user}${}${}", upper(sesskey), upper(password)),
    })
}

/// John the Ripper's `o5logon` line, for the exchange it models: an 11g verifier (a
/// 10-byte salt, a 48-byte server key) and, to check a guess without the CVE-2012-3137
/// padding, the client's 48-byte key and the password — only where the session key is
/// combined by MD5 (no AUTH_PBKDF2_CSK_SALT: servers before 12c).
fn john_line(c: &Challenge, client_key: &[u8], password: &[u8]) -> Option<John> {
    let eleven = matches!(c.verifier, Some(VERIFIER_11G | VERIFIER_11G_2));
    if !eleven || c.csk_salt.is_some() || c.sesskey.len() != 96 || c.salt.len() != 20 {
        return None;
    }
    let (key, salt) = (
        String::from_utf8_lossy(&c.sesskey).to_ascii_uppercase(),
        String::from_utf8_lossy(&c.salt).to_ascii_uppercase(),
    );
    let full = client_key.len() == 96
        && hex_string(client_key)
        && hex_string(password)
        && (64..=96).contains(&password.len())
        && password.len().is_multiple_of(32);
    let hash = if full {
        format!(
            "$o5logon${key}*{salt}*{}*{}",
            String::from_utf8_lossy(password).to_ascii_uppercase(),
            String::from_utf8_lossy(client_key).to_ascii_uppercase()
        )
    } else {
        format!("$o5logon${key}*{salt}")
    };
    Some(John {
        format: "o5logon",
        hash,
    })
}

impl Messages for Session {
    fn message(
        &mut self,
        dir: Direction,
        p: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let kind = p.get(4).copied().unwrap_or(0);
        match (dir, kind) {
            (Direction::ToServer, CONNECT) => {
                self.database = descriptor_value(p, b"SERVICE_NAME=")
                    .or_else(|| descriptor_value(p, b"(SID="))
                    .or(self.database.take());
            }
            (Direction::ToServer, DATA) => {
                let payload = p.get(HEADER + 2..).unwrap_or_default();
                if self.database.is_none()
                    && memchr::memmem::find(payload, b"CONNECT_DATA").is_some()
                {
                    // A connect descriptor too long for the CONNECT packet follows it.
                    self.database = descriptor_value(payload, b"SERVICE_NAME=")
                        .or_else(|| descriptor_value(payload, b"(SID="));
                }
                if self.logged_in && self.requests >= REQUESTS_AFTER_LOGIN {
                    return;
                }
                if self.request.is_empty() {
                    self.request_ts = ts;
                }
                if self.request.len() + payload.len() <= MAX_EXCHANGE {
                    self.request.extend_from_slice(payload);
                    self.request_frames.extend(frames.iter().copied());
                    self.request_frames.truncate(64);
                }
                self.request_ts = ts;
            }
            (Direction::ToClient, DATA | MARKER) => {
                self.request_done();
                if kind == DATA && self.waiting != Waiting::Nothing {
                    let payload = p.get(HEADER + 2..).unwrap_or_default();
                    if self.answer.len() + payload.len() <= MAX_EXCHANGE {
                        self.answer.extend_from_slice(payload);
                    }
                    self.answered(frames, out);
                }
            }
            (Direction::ToClient, REFUSE) => {
                self.request.clear();
            }
            _ => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.request_done();
        out.append(&mut self.pending);
    }

    fn done(&self) -> bool {
        let idle = self.pending.is_empty() && self.waiting == Waiting::Nothing;
        idle && (self.requests >= REQUESTS_AFTER_LOGIN
            || (!self.logged_in && self.unread >= REQUESTS_BEFORE_LOGIN))
    }

    fn buffered(&self) -> usize {
        self.request.capacity() + self.answer.capacity() + self.pending.len() * 512
    }
}

/// The TNS dissector of one connection.
#[derive(Debug)]
pub struct Tns {
    framed: Framed<Session>,
}

impl Default for Tns {
    fn default() -> Self {
        Tns {
            framed: Framed::new(head, start, MAX_PACKET, Session::default()),
        }
    }
}

impl Dissector for Tns {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        self.framed.data(dir, chunk, out);
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        self.framed.gap(dir, len, out);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.framed.close(out);
    }

    fn done(&self) -> bool {
        self.framed.done()
    }

    fn buffered(&self) -> usize {
        self.framed.buffered()
    }
}

/// TNS packets and TTC messages for tests and the fixtures' generator, laid out as
/// python-oracledb's thin driver writes them (the user name raw) or, with
/// `prefixed_user`, behind a length byte as OCI and JDBC do.
pub mod build {
    use super::{
        ACCEPT, AUTH_PHASE_ONE, AUTH_PHASE_TWO, CONNECT, DATA, EXECUTE, TTC_ERROR, TTC_FUNCTION,
        TTC_PARAMETER,
    };

    /// A TNS packet: a 4-byte length when `large` (TNS 315 and later), else 2 bytes and
    /// a zero checksum.
    pub fn packet(kind: u8, body: &[u8], large: bool) -> Vec<u8> {
        let len = 8 + body.len();
        let mut p = if large {
            (len as u32).to_be_bytes().to_vec()
        } else {
            let mut p = (len as u16).to_be_bytes().to_vec();
            p.extend_from_slice(&[0, 0]);
            p
        };
        p.extend_from_slice(&[kind, 0, 0, 0]);
        p.extend_from_slice(body);
        p
    }

    /// A DATA packet (its 2 bytes of flags zero) carrying TTC bytes.
    pub fn data(ttc: &[u8], large: bool) -> Vec<u8> {
        packet(DATA, &[&[0, 0][..], ttc].concat(), large)
    }

    /// A CONNECT for version 318 (down to 300) with a connect descriptor naming `service`.
    pub fn connect(service: &str, host: &str) -> Vec<u8> {
        let descriptor = format!(
            "(DESCRIPTION=(CONNECT_DATA=(SERVICE_NAME={service})(CID=(PROGRAM=sqlplus)(HOST=client)(USER=oracle)))(ADDRESS=(PROTOCOL=tcp)(HOST={host})(PORT=1521)))"
        );
        let mut body = Vec::new();
        body.extend_from_slice(&318u16.to_be_bytes()); // version
        body.extend_from_slice(&300u16.to_be_bytes()); // lowest version
        body.extend_from_slice(&[0x0c, 0x41]); // service options
        body.extend_from_slice(&8192u16.to_be_bytes()); // SDU
        body.extend_from_slice(&65535u16.to_be_bytes()); // TDU
        body.extend_from_slice(&[0x4f, 0x98]); // protocol characteristics
        body.extend_from_slice(&[0, 0]); // line turnaround
        body.extend_from_slice(&[0, 1]); // value of one
        body.extend_from_slice(&(descriptor.len() as u16).to_be_bytes());
        body.extend_from_slice(&74u16.to_be_bytes()); // offset of the connect data
        body.extend_from_slice(&[0; 4]); // maximum receivable
        body.extend_from_slice(&[0x41, 0x41]); // flags
        body.extend_from_slice(&[0; 40]);
        body.extend_from_slice(descriptor.as_bytes());
        packet(CONNECT, &body, false)
    }

    /// The ACCEPT of `version`.
    pub fn accept(version: u16) -> Vec<u8> {
        let mut body = version.to_be_bytes().to_vec();
        body.extend_from_slice(&[0; 24]);
        packet(ACCEPT, &body, false)
    }

    /// A TTC unsigned integer.
    pub fn ub(v: u64) -> Vec<u8> {
        if v == 0 {
            return vec![0];
        }
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let n = match 8 - skip {
            1 => 1,
            2 => 2,
            3 | 4 => 4,
            _ => 8,
        };
        let mut out = vec![n as u8];
        out.extend_from_slice(&bytes[8 - n..]);
        out
    }

    /// A TTC byte string (in chunks of 32,767 past 252 bytes).
    pub fn clr(b: &[u8]) -> Vec<u8> {
        if b.len() <= 252 {
            return [&[b.len() as u8][..], b].concat();
        }
        let mut out = vec![0xfe];
        for chunk in b.chunks(32767) {
            out.extend(ub(chunk.len() as u64));
            out.extend_from_slice(chunk);
        }
        out.push(0);
        out
    }

    /// A key/value pair.
    pub fn pair(key: &str, value: &[u8], flags: u64) -> Vec<u8> {
        let mut out = ub(key.len() as u64);
        out.extend(clr(key.as_bytes()));
        out.extend(ub(value.len() as u64));
        if !value.is_empty() {
            out.extend(clr(value));
        }
        out.extend(ub(flags));
        out
    }

    /// An authentication request (phase one or two) with its pairs.
    pub fn auth(
        code: u8,
        user: &[u8],
        mode: u64,
        pairs: &[Vec<u8>],
        prefixed_user: bool,
    ) -> Vec<u8> {
        let mut out = vec![TTC_FUNCTION, code, 1, 1];
        out.extend(ub(user.len() as u64));
        out.extend(ub(mode));
        out.push(1);
        out.extend(ub(pairs.len() as u64));
        out.extend_from_slice(&[1, 1]);
        if prefixed_user {
            out.push(user.len() as u8);
        }
        out.extend_from_slice(user);
        for p in pairs {
            out.extend_from_slice(p);
        }
        out
    }

    /// AUTH phase one as python-oracledb sends it.
    pub fn phase_one(user: &[u8], prefixed_user: bool) -> Vec<u8> {
        let pairs = [
            pair("AUTH_TERMINAL", b"pts/0", 0),
            pair("AUTH_PROGRAM_NM", b"audit-app", 0),
            pair("AUTH_MACHINE", b"client.example", 0),
            pair("AUTH_PID", b"4242", 0),
            pair("AUTH_SID", b"oracle", 0),
        ];
        auth(AUTH_PHASE_ONE, user, 1, &pairs, prefixed_user)
    }

    /// The server's PARAMETER message: a count, then the pairs.
    pub fn parameters(pairs: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![TTC_PARAMETER];
        out.extend(ub(pairs.len() as u64));
        for p in pairs {
            out.extend_from_slice(p);
        }
        out
    }

    /// AUTH phase two: the client's session key half, the password (and a new one).
    pub fn phase_two(
        user: &[u8],
        client_key: &str,
        password: &str,
        new: Option<&str>,
        prefixed_user: bool,
    ) -> Vec<u8> {
        let mut pairs = vec![
            pair("AUTH_SESSKEY", client_key.as_bytes(), 1),
            pair("AUTH_PASSWORD", password.as_bytes(), 0),
        ];
        if let Some(new) = new {
            pairs.push(pair("AUTH_NEWPASSWORD", new.as_bytes(), 0));
        }
        pairs.push(pair("SESSION_CLIENT_CHARSET", b"873", 0));
        auth(AUTH_PHASE_TWO, user, 0x101, &pairs, prefixed_user)
    }

    /// The answer to a login that succeeded.
    pub fn logged_in() -> Vec<u8> {
        let mut out = parameters(&[
            pair("AUTH_VERSION_NO", b"318767104", 0),
            pair("AUTH_SESSION_ID", b"271", 0),
            pair("AUTH_SERIAL_NUM", b"40123", 0),
            pair("AUTH_SVR_RESPONSE", &[b'A'; 64], 0),
        ]);
        out.push(29); // end of response
        out
    }

    /// A TTC error message reporting `text` (its fixed fields zero).
    pub fn error(number: u16, text: &str) -> Vec<u8> {
        let mut out = vec![TTC_ERROR];
        out.extend_from_slice(&[0; 20]);
        out.extend(ub(u64::from(number)));
        out.extend_from_slice(&[0; 12]);
        out.extend(clr(text.as_bytes()));
        out
    }

    /// An execute call (OALL8) carrying `sql`: raw, as python-oracledb writes it, or
    /// with `prefixed` behind its length (in chunks past 252 bytes).
    pub fn execute(sql: &str, prefixed: bool) -> Vec<u8> {
        let mut out = vec![TTC_FUNCTION, EXECUTE, 2];
        out.extend(ub(0x8021)); // options
        out.extend(ub(0)); // cursor
        out.push(1);
        out.extend(ub(sql.len() as u64));
        out.extend_from_slice(&[1, 1, 0x0d, 0, 0, 0, 1, 1, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0]);
        out.extend_from_slice(&[0; 12]);
        if prefixed {
            out.extend(clr(sql.as_bytes()));
        } else {
            out.extend_from_slice(sql.as_bytes());
        }
        out.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0]);
        out
    }

    /// The answer to a call that succeeded (an error message whose number is 0).
    pub fn call_ok() -> Vec<u8> {
        let mut out = vec![TTC_ERROR];
        out.extend_from_slice(&[0; 40]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::build::{
        accept, call_ok, connect, data, error, execute, logged_in, packet, pair, parameters,
        phase_one, phase_two,
    };
    use super::*;
    use crate::dissect::script::{play, summary, unhex};
    use Direction::{ToClient as S, ToServer as C};

    const SERVER_KEY_12C: &str = "1F0E3F4A5B6C7D8E9FA0B1C2D3E4F5061728394A5B6C7D8E9FA0B1C2D3E4F506";
    const CLIENT_KEY_12C: &str = "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90";
    const SALT_12C: &str = "4F739806EBC1D7742BC6A1B2C3D4E5F6";
    const CSK_SALT: &str = "8A4F2B1C9D3E7F6A5B4C3D2E1F0A9B8C";
    const PASSWORD_12C: &str = "0C7E5E3A9D1B2F4A6C8E0A1B3C5D7E9F1A2B3C4D5E6F708192A3B4C5D6E7F801";
    const SERVER_KEY_11G: &str = "566499330E8896301A1D2711EFB59E756D41AF7A550488D82FE7C8A418E5BE08B4052C0DC404A805C1D7D43FE3350873";
    const SALT_11G: &str = "4F739806EBC1D7742BC6";

    fn challenge_12c() -> Vec<u8> {
        let mut m = parameters(&[
            pair("AUTH_SESSKEY", SERVER_KEY_12C.as_bytes(), 0),
            pair(
                "AUTH_VFR_DATA",
                SALT_12C.as_bytes(),
                u64::from(VERIFIER_12C),
            ),
            pair("AUTH_PBKDF2_CSK_SALT", CSK_SALT.as_bytes(), 0),
            pair("AUTH_PBKDF2_VGEN_COUNT", b"4096", 0),
            pair("AUTH_PBKDF2_SDER_COUNT", b"3", 0),
            pair(
                "AUTH_GLOBALLY_UNIQUE_DBID",
                b"C0FFEE0123456789C0FFEE0123456789",
                0,
            ),
        ]);
        m.push(29);
        m
    }

    fn challenge_11g() -> Vec<u8> {
        parameters(&[
            pair("AUTH_SESSKEY", SERVER_KEY_11G.as_bytes(), 0),
            pair(
                "AUTH_VFR_DATA",
                SALT_11G.as_bytes(),
                u64::from(VERIFIER_11G),
            ),
        ])
    }

    /// A thin-driver login on 12c (4-byte packet lengths after the ACCEPT).
    fn login_12c(user: &[u8], answer: Vec<u8>) -> Vec<(Direction, Vec<u8>)> {
        vec![
            (C, connect("ORCLPDB1", "db.example")),
            (S, accept(318)),
            (C, data(&phase_one(user, false), true)),
            (S, data(&challenge_12c(), true)),
            (
                C,
                data(
                    &phase_two(user, CLIENT_KEY_12C, PASSWORD_12C, None, false),
                    true,
                ),
            ),
            (S, data(&answer, true)),
        ]
    }

    #[test]
    fn a_12c_login_is_reported_with_what_tests_a_guess() {
        let (out, _) = play(&mut Tns::default(), &login_12c(b"scott", logged_in()));
        let secret = format!("{SERVER_KEY_12C}*{CLIENT_KEY_12C}*{PASSWORD_12C}");
        assert_eq!(
            summary(&out),
            vec![(
                "O5LOGON",
                &b"scott"[..],
                secret.as_bytes(),
                Outcome::Success
            )]
        );
        let c = &out[0];
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.challenge.as_deref(), Some(SALT_12C.as_bytes()));
        assert_eq!(c.detail("verifier"), Some("12c (PBKDF2-SHA512)"));
        assert_eq!(c.detail("pbkdf2_csk_salt"), Some(CSK_SALT));
        assert_eq!(c.detail("pbkdf2_vgen_count"), Some("4096"));
        assert_eq!(c.detail("pbkdf2_sder_count"), Some("3"));
        assert_eq!(c.detail("database"), Some("ORCLPDB1"));
        assert_eq!(c.detail("program"), Some("audit-app"));
        assert!(c.john.is_none(), "John reads no 12c exchange");
        assert_eq!(c.frames, vec![5, 6]);
    }

    #[test]
    fn a_refused_login_gets_the_servers_error() {
        let answer = error(1017, "ORA-01017: invalid username/password; logon denied\n");
        let (out, _) = play(&mut Tns::default(), &login_12c(b"scott", answer));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(
            out[0].detail("reason"),
            Some("ORA-01017: invalid username/password; logon denied")
        );
    }

    #[test]
    fn an_11g_login_from_an_oci_client_gets_johns_line() {
        // OCI: the user name behind a length byte; 2-byte packet lengths (TNS 314).
        let client_key = "B".repeat(96);
        let password = "C".repeat(64);
        let script = vec![
            (C, connect("LEGACY", "db11")),
            (S, accept(314)),
            (C, data(&phase_one(b"SYSTEM", true), false)),
            (S, data(&challenge_11g(), false)),
            (
                C,
                data(
                    &phase_two(b"SYSTEM", &client_key, &password, None, true),
                    false,
                ),
            ),
            (S, data(&logged_in(), false)),
        ];
        let (out, _) = play(&mut Tns::default(), &script);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.username.as_deref(), Some(&b"SYSTEM"[..]));
        assert_eq!(c.detail("verifier"), Some("11g (SHA-1)"));
        assert_eq!(c.outcome, Outcome::Success);
        let john = c.john.as_ref().expect("o5logon line");
        assert_eq!(john.format, "o5logon");
        assert_eq!(
            john.hash,
            format!("$o5logon${SERVER_KEY_11G}*{SALT_11G}*{password}*{client_key}")
        );
        // A 32-byte client key (python-oracledb's): the server's half alone.
        let script = vec![
            (C, data(&phase_one(b"legacy", false), false)),
            (S, data(&challenge_11g(), false)),
            (
                C,
                data(
                    &phase_two(b"legacy", CLIENT_KEY_12C, &password, None, false),
                    false,
                ),
            ),
        ];
        let (out, _) = play(&mut Tns::default(), &script);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(
            out[0].john.as_ref().map(|j| j.hash.as_str()),
            Some(format!("$o5logon${SERVER_KEY_11G}*{SALT_11G}").as_str())
        );
    }

    #[test]
    fn a_password_changed_at_login_is_a_second_finding() {
        let new = "D".repeat(64);
        let script = vec![
            (C, data(&phase_one(b"scott", false), true)),
            (S, data(&challenge_12c(), true)),
            (
                C,
                data(
                    &phase_two(b"scott", CLIENT_KEY_12C, PASSWORD_12C, Some(&new), false),
                    true,
                ),
            ),
            (S, data(&logged_in(), true)),
        ];
        let (out, _) = play(&mut Tns::default(), &script);
        let got: Vec<_> = out
            .iter()
            .map(|c| (c.mechanism.as_ref(), c.outcome))
            .collect();
        assert_eq!(
            got,
            vec![
                ("O5LOGON", Outcome::Success),
                ("O5LOGON (new password)", Outcome::Success)
            ]
        );
        assert!(out[1].secret.as_deref().unwrap().ends_with(new.as_bytes()));
    }

    #[test]
    fn passwords_in_statements_after_the_login_are_judged_by_their_answers() {
        let long = format!(
            "ALTER USER reporting IDENTIFIED BY \"Rep0rt-Long-Pw\" /* {} */",
            "x".repeat(400)
        );
        let mut script = login_12c(b"scott", logged_in());
        script.extend([
            (C, data(&execute("SELECT 1 FROM dual", false), true)),
            (S, data(&call_ok(), true)),
            (
                C,
                data(
                    &execute("ALTER USER alice IDENTIFIED BY \"Al1ce-New\"", false),
                    true,
                ),
            ),
            (S, data(&call_ok(), true)),
            (
                C,
                data(
                    &execute("ALTER USER system IDENTIFIED BY Sys_Pw_42", true),
                    true,
                ),
            ),
            (S, packet(MARKER, &[1, 0, 1], true)),
            (C, packet(MARKER, &[1, 0, 2], true)),
            (
                S,
                data(&error(1031, "ORA-01031: insufficient privileges\n"), true),
            ),
            (C, data(&execute(&long, true), true)),
            (S, data(&call_ok(), true)),
            (
                C,
                data(
                    &execute(&long.replace("reporting", "raw_long"), false),
                    true,
                ),
            ),
            (S, data(&call_ok(), true)),
        ]);
        let (out, _) = play(&mut Tns::default(), &script);
        let got: Vec<_> = out
            .iter()
            .map(|c| {
                (
                    c.mechanism.as_ref(),
                    String::from_utf8_lossy(c.username.as_deref().unwrap_or_default()).into_owned(),
                    String::from_utf8_lossy(c.secret.as_deref().unwrap_or_default()).into_owned(),
                    c.outcome,
                    c.detail("diagnostic").map(str::to_string),
                )
            })
            .skip(1)
            .collect();
        let row = |user: &str, pw: &str, outcome, diag: Option<&str>| {
            (
                "ALTER USER ... IDENTIFIED BY",
                user.to_string(),
                pw.to_string(),
                outcome,
                diag.map(str::to_string),
            )
        };
        assert_eq!(
            got,
            vec![
                row("alice", "Al1ce-New", Outcome::Success, None),
                row(
                    "system",
                    "Sys_Pw_42",
                    Outcome::Failure,
                    Some("ORA-01031: insufficient privileges")
                ),
                row("reporting", "Rep0rt-Long-Pw", Outcome::Success, None),
                row("raw_long", "Rep0rt-Long-Pw", Outcome::Success, None),
            ]
        );
        assert_eq!(out[1].detail("database"), Some("ORCLPDB1"));
    }

    #[test]
    fn a_login_whose_challenge_was_not_captured_is_still_reported() {
        // The capture began between the two authentication calls.
        let script = vec![
            (
                C,
                data(
                    &phase_two(b"scott", CLIENT_KEY_12C, PASSWORD_12C, None, false),
                    true,
                ),
            ),
            (S, data(&logged_in(), true)),
        ];
        let (out, _) = play(&mut Tns::default(), &script);
        let secret = format!("*{CLIENT_KEY_12C}*{PASSWORD_12C}");
        assert_eq!(
            summary(&out),
            vec![(
                "O5LOGON",
                &b"scott"[..],
                secret.as_bytes(),
                Outcome::Success
            )]
        );
        assert!(out[0].challenge.is_none() && out[0].detail("verifier").is_none());
        // An 8i-10g server's challenge has no verifier salt: O3LOGON.
        let o3 = parameters(&[pair("AUTH_SESSKEY", b"0123456789ABCDEF0123456789ABCDEF", 0)]);
        let script = vec![
            (C, data(&phase_one(b"scott", true), false)),
            (S, data(&o3, false)),
            (
                C,
                data(
                    &phase_two(
                        b"scott",
                        "A".repeat(32).as_str(),
                        &"B".repeat(32),
                        None,
                        true,
                    ),
                    false,
                ),
            ),
            (
                S,
                data(
                    &error(1017, "ORA-01017: invalid username/password; logon denied"),
                    false,
                ),
            ),
        ];
        let (out, _) = play(&mut Tns::default(), &script);
        assert_eq!(out[0].mechanism, "O3LOGON");
        assert_eq!(out[0].outcome, Outcome::Failure);
        let john = out[0].john.as_ref().expect("John's o3logon line");
        assert_eq!(john.format, "o3logon");
        assert_eq!(
            john.hash,
            format!(
                "$o3logon$scott$0123456789ABCDEF0123456789ABCDEF${}",
                "B".repeat(32)
            )
        );
    }

    #[test]
    fn a_connection_without_a_login_is_left() {
        // Native Network Encryption: after the negotiations nothing is readable.
        let mut d = Tns::default();
        let mut out = Vec::new();
        let mut feed = |d: &mut Tns, dir, bytes: Vec<u8>| {
            let chunk = Chunk {
                data: &bytes,
                frame: 1,
                ts: Timestamp::ZERO,
            };
            d.data(dir, chunk, &mut out);
        };
        feed(&mut d, C, connect("ORCL", "db"));
        feed(&mut d, S, accept(318));
        for i in 0..REQUESTS_BEFORE_LOGIN {
            assert!(!d.done(), "left after {i} requests");
            feed(&mut d, C, data(&[0x9d, 0x17, i as u8, 0x42, 0x88], true));
            feed(&mut d, S, data(&[0x31, 0x07, 0x55], true));
        }
        assert!(d.done());
        assert!(out.is_empty());
    }

    // python-oracledb 1.2.1 (thin) logging in as scott (12c verifier) to
    // tests/e2e/oracle-peer.py, as tests/e2e/real-oracle.sh captured it: the two
    // authentication calls and their answers (TNS 318, 4-byte lengths).
    const REAL_PHASE_ONE: &str = concat!(
        "000000990600000000000376010101050101010105010173636f7474010d0d415554485f5445524d494e414c01070775",
        "6e6b6e6f776e00010f0f415554485f50524f4752414d5f4e4d0110102f7573722f62696e2f707974686f6e3300010c0c",
        "415554485f4d414348494e45010202766d00010808415554485f504944010505323136353000010808415554485f5349",
        "44010404726f6f7400",
    );
    const REAL_CHALLENGE: &str = concat!(
        "0000016f060000000000080106010c0c415554485f534553534b45590140404231463937363436463033383446453743",
        "334636353736464539353937423737463637454442424635313443333141393838303635424442343744384635433500",
        "010d0d415554485f5646525f444154410120203831464345373741374346443337433930434536413638414136343737",
        "463344024815011414415554485f50424b4446325f43534b5f53414c5401202031413344333436324443323934393644",
        "3034413938314246313941374336373700011616415554485f50424b4446325f5647454e5f434f554e54010404343039",
        "3600011616415554485f50424b4446325f534445525f434f554e540101013300011919415554485f474c4f42414c4c59",
        "5f554e495155455f44424944012020463046364244323231433234393741303342314243363945423035383944383900",
        "04000000000000000000000000000000000000000000000000000000000000",
    );
    const REAL_PHASE_TWO: &str = concat!(
        "00000203060000000000037302010105020101010106010173636f7474010c0c415554485f534553534b455901404033",
        "373832424335444646373833373245413633424146413338364436443137303744343741423341414239323530443530",
        "3534414637414630383533353245390101010d0d415554485f50415353574f5244014040313338373232424535394136",
        "433537374130463736304136373433354242433041344137373533434434323831334142314633373644314232383542",
        "3735303300011616415554485f50424b4446325f5350454544595f4b455901a0a0354644343034464336443134374435",
        "323936353234304330314338454131464333393036423144353635353330463636443241383632424531363843423031",
        "333139354435343035304445434231454142354645353136354541373643453937353035394245454443333632413142",
        "463735433531314244433939373543433838423543353533463642314441343334393543303937424141303341413136",
        "430001161653455353494f4e5f434c49454e545f4348415253455401030338373300011a1a53455353494f4e5f434c49",
        "454e545f4452495645525f4e414d45011b1b707974686f6e2d6f7261636c6564622074686e203a20312e322e31000116",
        "1653455353494f4e5f434c49454e545f56455253494f4e010808313838373834363400",
    );
    const REAL_LOGGED_IN: &str = concat!(
        "0000024a060000000000080111011313415554485f56455253494f4e5f535452494e47010c0c2d2050726f6475637469",
        "6f6e00011010415554485f56455253494f4e5f53514c010202313900011313415554485f58414354494f4e5f54524149",
        "54530101013300010f0f415554485f56455253494f4e5f4e4f01090933313839363337313200011313415554485f5645",
        "5253494f4e5f5354415455530101013000011515415554485f4341504142494c4954595f5441424c450000010b0b4155",
        "54485f44424e414d450108084f52434c5044423100011111415554485f494e5354414e43454e414d450107074f52434c",
        "43444200011010415554485f494e5354414e43455f4e4f0101013100010c0c415554485f555345525f49440103033130",
        "3500010f0f415554485f53455353494f4e5f4944010202353700010f0f415554485f53455249414c5f4e554d01050534",
        "3030353700010f0f415554485f5345525645525f504944010505323136333000011414415554485f53435f5345525649",
        "43455f4e414d450108086f72636c7064623100011313415554485f4e4c535f4c584343484152534554010808414c3332",
        "5554463800011414415554485f4d41585f4944454e5f4c454e47544801030331323800011111415554485f5356525f52",
        "4553504f4e53450140404530373435424638463543413830304239323832463332354430424535353633434545423041",
        "393842433131454544353833433631353038443741413931314200040000000000000000000000000000000000000000",
        "00000000000000000000",
    );

    #[test]
    fn python_oracledb_real_login() {
        let script: Vec<(Direction, Vec<u8>)> = vec![
            (C, unhex(REAL_PHASE_ONE)),
            (S, unhex(REAL_CHALLENGE)),
            (C, unhex(REAL_PHASE_TWO)),
            (S, unhex(REAL_LOGGED_IN)),
        ];
        let (out, _) = play(&mut Tns::default(), &script);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(
            (c.mechanism.as_ref(), c.outcome),
            ("O5LOGON", Outcome::Success)
        );
        assert_eq!(c.username.as_deref(), Some(&b"scott"[..]));
        assert_eq!(c.detail("verifier"), Some("12c (PBKDF2-SHA512)"));
        assert_eq!(c.detail("program"), Some("/usr/bin/python3"));
        let secret = String::from_utf8(c.secret.clone().unwrap()).unwrap();
        let parts: Vec<&str> = secret.split('*').collect();
        // The server's half (32 bytes), the client's (32: the driver cuts its 48), the
        // password (16 random bytes, 14 characters, padding: 32).
        let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(lengths, vec![64, 64, 64], "{secret}");
        assert!(
            parts
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        assert_eq!(c.challenge.as_ref().map(Vec::len), Some(32));
        // The same bytes with the urgent byte of TNS 318's out-of-band check and a
        // MARKER before them, as the client sends them after the ACCEPT.
        let mut with_urgent = vec![
            (S, accept(318)),
            (C, vec![0x21]),
            (C, packet(MARKER, &[1, 0, 2], true)),
        ];
        with_urgent.extend(script);
        let (again, _) = play(&mut Tns::default(), &with_urgent);
        assert_eq!(summary(&again), summary(&out));
    }

    #[test]
    fn every_split_of_a_login_gives_the_same_finding() {
        let script = login_12c(b"scott", logged_in());
        let (whole, _) = play(&mut Tns::default(), &script);
        assert_eq!(whole.len(), 1, "{whole:?}");
        for cut in 1..40 {
            let mut split = Vec::new();
            for (dir, bytes) in &script {
                for piece in bytes.chunks(cut) {
                    split.push((*dir, piece.to_vec()));
                }
            }
            let (out, _) = play(&mut Tns::default(), &split);
            assert_eq!(summary(&out), summary(&whole), "pieces of {cut}");
        }
    }

    #[test]
    fn ttc_integers_and_strings() {
        let mut at = 0;
        assert_eq!(ub(&[2, 0x12, 0x34], &mut at), Some(0x1234));
        assert_eq!(at, 3);
        assert_eq!(ub(&[0], &mut 0), Some(0));
        assert_eq!(ub(&[9, 0], &mut 0), None);
        assert_eq!(ub(&[4, 0, 0], &mut 0), None);
        let long = vec![b'q'; 300];
        let mut at = 0;
        assert_eq!(clr(&super::build::clr(&long), &mut at), Some(long));
        assert_eq!(clr(&[0xfe, 1, 5, b'a'], &mut 0), None);
        // Chunk lengths past the end, up to 8 bytes wide, never overflow.
        let huge = [
            0xfe, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, b'a',
        ];
        assert_eq!(clr(&huge, &mut 0), None);
        let mut call = vec![TTC_FUNCTION, EXECUTE, 2, 0, 0, 1, 8];
        call.extend([0xff; 8]);
        call.extend_from_slice(b" ALTER USER a IDENTIFIED BY b");
        assert!(statement_texts(&call).is_empty());
        assert_eq!(clr(&[0xff], &mut 0), Some(Vec::new()));
        assert_eq!(
            ora_error(b"\x01ORA-1017 x ORA-01017: invalid\x00"),
            Some("ORA-01017: invalid".into())
        );
        assert_eq!(ora_error(b"ORA-"), None);
    }

    #[test]
    fn probe_knows_a_connect_packet() {
        let c = connect("ORCL", "db");
        assert_eq!(probe(&c, b""), Probe::Yes);
        assert_eq!(probe(&c[..4], b""), Probe::Maybe);
        assert_eq!(probe(&data(b"\x03\x76", true), b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\nHost: x\r\n", b""), Probe::No);
        assert_eq!(
            probe(b"\x00\x00\x00\x10\x01\x00\x00\x00\x01\x3e\x01\x2c", b""),
            Probe::No
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        let valid: Vec<Vec<u8>> = login_12c(b"scott", logged_in())
            .into_iter()
            .chain([
                (
                    C,
                    data(&execute("ALTER USER a IDENTIFIED BY b", false), true),
                ),
                (S, data(&error(1031, "ORA-01031: x"), true)),
            ])
            .map(|(_, m)| m)
            .collect();
        crate::dissect::garbage::feed(
            0x0a5e,
            400,
            8,
            &valid,
            Tns::default,
            |m| {
                let _ = auth_pairs(m);
                let _ = auth_user(m, AUTH_PHASE_TWO, m.len());
                let _ = statement_texts(m);
                let _ = ora_error(m);
                let _ = probe(m, m);
                let _ = head(m);
            },
            |r| u64::from(r.next() % 16),
            |d| {
                let _ = Dissector::buffered(d);
            },
        );
    }
}
