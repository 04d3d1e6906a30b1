//! DRDA, IBM's Distributed Relational Database Architecture (DDM over TCP): how Db2 (LUW,
//! z/OS, IBM i) and Apache Derby's network server are reached by their clients — the IBM
//! Data Server Driver (JCC, the JDBC driver Java applications use), the CLI/ODBC driver,
//! Derby's own client. TCP 446 (`ddm-rdb`), 50000 (Db2's default), 1527 (Derby's), and
//! any port by content.
//!
//! Every request and reply is a DSS (Data Stream Structure: a 2-byte length, `0xD0`, a
//! format byte and a correlation number) holding one DDM object (a 2-byte length and a
//! code point) whose parameters are DDM objects too. A connection begins:
//!
//! ```text
//! C: EXCSAT (the managers and levels it speaks) + ACCSEC (SECMEC, the RDB's name)
//! S: EXCSATRD + ACCSECRD (the security mechanism accepted, or those the server offers)
//! C: SECCHK (SECMEC, RDBNAM, USRID, PASSWORD...) + ACCRDB
//! S: SECCHKRM (SVRCOD, SECCHKCD: 0 when the user and password are right) + ACCRDBRM
//! ```
//!
//! With the security mechanism `USRIDPWD` (3) the password crosses in clear: what the IBM
//! JDBC driver uses unless told otherwise (`securityMechanism=3`,
//! `CLEAR_TEXT_PASSWORD_SECURITY`), and Derby's client whenever a password is given.
//! `USRIDNWPWD` (5) also carries a new password (the user changes an expired one). The
//! mechanisms that encrypt the password (7, 9, 13: Diffie-Hellman keys and DES or AES),
//! Derby's strong password substitute (8: a SHA-1 no cracking tool reads) and Kerberos
//! (11) give nothing here; `USRIDONL` (4) carries no password.
//!
//! Character parameters are EBCDIC (CCSID 500 by default, 37 when the client's
//! `CCSIDMGR` says so) until both sides have agreed on UTF-8 (`UNICODEMGR` or `CCSIDMGR`
//! at level 1208, which Derby's client and server do): the user name and password are
//! reported in UTF-8 either way, `details.encoding` naming an EBCDIC one.
//!
//! Reported: protocol `drda`, kind `cleartext`, mechanism `USRIDPWD` (or `USRIDNWPWD`, and
//! `USRIDNWPWD (new password)` for the new one), `details.database` the RDB name (for
//! Derby, with the URL's attributes after `;`). **Outcome**: the `SECCHKRM` answering it —
//! `SECCHKCD` 0 with a severity below error is `success` (a new password is then the
//! account's), anything else `failure` with `details.reason` (`password invalid`,
//! `userid invalid`, `password expired`...).
//!
//! **After the login**, the client's next 256 requests are read for passwords in SQL
//! (the statement text of `EXCSQLIMM`, `PRPSQLSTT` and `EXCSQLSET`, an `SQLSTT` object;
//! see [`super::sql`]'s Db2 dialect: Derby's `SYSCS_CREATE_USER`, `SYSCS_RESET_PASSWORD`,
//! `SYSCS_MODIFY_PASSWORD`, `SYSCS_SET_DATABASE_PROPERTY('derby.user.NAME', ...)`, Db2
//! federation's user mappings and servers). Each is judged by the `SQLCARD` answering the
//! statement's execution (`EXCSQLIMM`, or the `EXCSQLSTT` after its `PRPSQLSTT`; a failed
//! prepare refuses it too): an SQLSTATE of class 00, 01 or 02 (or none) is `success`,
//! another `failure` with `details.diagnostic`. Values bound to `?` markers are not read.

use super::prefixed::{Framed, Head, Messages};
use super::sql::{self, Dialect};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "drda",
    tcp_ports: &[446, 1527, 50000],
    probe,
    new: |_config| Box::<Drda>::default(),
};

/// The DSS header: length, `0xD0`, format, correlation number.
const DSS_HEADER: usize = 6;
const MAGIC: u8 = 0xd0;
/// A DSS's format byte: the DSS type in the low nibble (1 request, 2 reply, 3 object).
const RQSDSS: u8 = 1;
/// Longest DSS buffered; longer ones (query data, LOBs) are passed over.
const MAX_MESSAGE: usize = 32_767;

// DDM code points (DRDA volume 3).
pub const EXCSAT: u16 = 0x1041;
pub const ACCSEC: u16 = 0x106d;
pub const SECCHK: u16 = 0x106e;
pub const ACCRDB: u16 = 0x2001;
pub const EXCSATRD: u16 = 0x1443;
pub const ACCSECRD: u16 = 0x14ac;
pub const SECCHKRM: u16 = 0x1219;
pub const EXCSQLIMM: u16 = 0x200a;
pub const EXCSQLSTT: u16 = 0x200b;
pub const OPNQRY: u16 = 0x200c;
pub const PRPSQLSTT: u16 = 0x200d;
pub const EXCSQLSET: u16 = 0x2014;
pub const SQLSTT: u16 = 0x2414;
pub const SQLCARD: u16 = 0x2408;
const MGRLVLLS: u16 = 0x1404;
const SECMEC: u16 = 0x11a2;
const RDBNAM: u16 = 0x2110;
const USRID: u16 = 0x11a0;
const PASSWORD: u16 = 0x11a1;
const NEWPASSWORD: u16 = 0x11de;
const SVRCOD: u16 = 0x1149;
const SECCHKCD: u16 = 0x11a4;
const CCSIDMGR: u16 = 0x14cc;
const UNICODEMGR: u16 = 0x1c08;
const UTF8_CCSID: u16 = 1208;

/// Security mechanisms whose SECCHK carries the password in clear.
pub const USRIDPWD: u16 = 3;
pub const USRIDNWPWD: u16 = 5;

/// SVRCOD at or above which a reply reports an error.
const SVRCOD_ERROR: u16 = 8;
/// Client requests read after the login.
const REQUESTS_AFTER_LOGIN: u32 = 256;
/// Statements awaiting their answer, at most.
const MAX_PENDING_STATEMENTS: usize = 16;

fn be16(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*p.get(at)?, *p.get(at + 1)?]))
}

fn head(p: &[u8]) -> Head {
    match (be16(p, 0), p.get(2)) {
        (Some(len), Some(&MAGIC)) if usize::from(len) >= DSS_HEADER + 4 && len & 0x8000 == 0 => {
            Head::Message(usize::from(len))
        }
        (Some(_), Some(_)) => Head::Invalid,
        _ => Head::Incomplete,
    }
}

/// A DSS's DDM object: (format byte, correlation number, code point, parameters).
pub fn dss(p: &[u8]) -> Option<(u8, u16, u16, &[u8])> {
    let len = usize::from(be16(p, 0)?);
    if len != p.len() || p.get(2) != Some(&MAGIC) {
        return None;
    }
    let format = *p.get(3)?;
    let correlation = be16(p, 4)?;
    let ddm = &p[DSS_HEADER..];
    let ddm_len = usize::from(be16(ddm, 0)?);
    // An extended length (high bit) belongs to large objects, never to these commands.
    if !(4..=ddm.len()).contains(&ddm_len) {
        return None;
    }
    Some((format, correlation, be16(ddm, 2)?, &ddm[4..ddm_len]))
}

/// A DDM object's parameters, each (code point, data); stops at the first malformed one.
pub fn params(mut p: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let len = usize::from(be16(p, 0)?);
        if len < 4 || len > p.len() {
            return None;
        }
        let item = (be16(p, 2)?, &p[4..len]);
        p = &p[len..];
        Some(item)
    })
}

fn param(p: &[u8], code: u16) -> Option<&[u8]> {
    params(p).find(|(c, _)| *c == code).map(|(_, v)| v)
}

/// What a client's first DSS looks like: a request DSS holding EXCSAT or ACCSEC (a
/// connection's first commands).
fn start(p: &[u8]) -> Probe {
    let Some(first) = p.get(..DSS_HEADER + 4) else {
        return if p.len() >= 3 && p[2] != MAGIC {
            Probe::No
        } else {
            Probe::Maybe
        };
    };
    let len = usize::from(u16::from_be_bytes([first[0], first[1]]));
    let ddm_len = usize::from(u16::from_be_bytes([first[6], first[7]]));
    let code = u16::from_be_bytes([first[8], first[9]]);
    if first[2] == MAGIC
        && first[3] & 0x0f == RQSDSS
        && ddm_len + DSS_HEADER == len
        && matches!(code, EXCSAT | ACCSEC)
    {
        Probe::Yes
    } else {
        Probe::No
    }
}

/// DRDA on any port: the client's first DSS is an EXCSAT or an ACCSEC request.
pub fn probe(to_server: &[u8], _to_client: &[u8]) -> Probe {
    start(to_server)
}

/// How character parameters are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Utf8,
    /// EBCDIC of this CCSID (500 or 37).
    Ebcdic(u16),
}

/// Whether a manager-level list names UTF-8 for character parameters, and the EBCDIC
/// CCSID it names otherwise.
fn managers(p: &[u8]) -> (bool, Option<u16>) {
    let Some(list) = param(p, MGRLVLLS) else {
        return (false, None);
    };
    let (mut utf8, mut ebcdic) = (false, None);
    for pair in list.chunks_exact(4) {
        let (manager, level) = (
            u16::from_be_bytes([pair[0], pair[1]]),
            u16::from_be_bytes([pair[2], pair[3]]),
        );
        match (manager, level) {
            (UNICODEMGR | CCSIDMGR, UTF8_CCSID) => utf8 = true,
            (CCSIDMGR, 37 | 500) => ebcdic = Some(level),
            _ => {}
        }
    }
    (utf8, ebcdic)
}

/// EBCDIC CCSID 500 (International) to Latin-1, byte by byte.
#[rustfmt::skip]
const CP500: [u8; 256] = [
    0x00, 0x01, 0x02, 0x03, 0x9c, 0x09, 0x86, 0x7f, 0x97, 0x8d, 0x8e, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x9d, 0x85, 0x08, 0x87, 0x18, 0x19, 0x92, 0x8f, 0x1c, 0x1d, 0x1e, 0x1f,
    0x80, 0x81, 0x82, 0x83, 0x84, 0x0a, 0x17, 0x1b, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x05, 0x06, 0x07,
    0x90, 0x91, 0x16, 0x93, 0x94, 0x95, 0x96, 0x04, 0x98, 0x99, 0x9a, 0x9b, 0x14, 0x15, 0x9e, 0x1a,
    0x20, 0xa0, 0xe2, 0xe4, 0xe0, 0xe1, 0xe3, 0xe5, 0xe7, 0xf1, 0x5b, 0x2e, 0x3c, 0x28, 0x2b, 0x21,
    0x26, 0xe9, 0xea, 0xeb, 0xe8, 0xed, 0xee, 0xef, 0xec, 0xdf, 0x5d, 0x24, 0x2a, 0x29, 0x3b, 0x5e,
    0x2d, 0x2f, 0xc2, 0xc4, 0xc0, 0xc1, 0xc3, 0xc5, 0xc7, 0xd1, 0xa6, 0x2c, 0x25, 0x5f, 0x3e, 0x3f,
    0xf8, 0xc9, 0xca, 0xcb, 0xc8, 0xcd, 0xce, 0xcf, 0xcc, 0x60, 0x3a, 0x23, 0x40, 0x27, 0x3d, 0x22,
    0xd8, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0xab, 0xbb, 0xf0, 0xfd, 0xfe, 0xb1,
    0xb0, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0xaa, 0xba, 0xe6, 0xb8, 0xc6, 0xa4,
    0xb5, 0x7e, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0xa1, 0xbf, 0xd0, 0xdd, 0xde, 0xae,
    0xa2, 0xa3, 0xa5, 0xb7, 0xa9, 0xa7, 0xb6, 0xbc, 0xbd, 0xbe, 0xac, 0x7c, 0xaf, 0xa8, 0xb4, 0xd7,
    0x7b, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0xad, 0xf4, 0xf6, 0xf2, 0xf3, 0xf5,
    0x7d, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0xb9, 0xfb, 0xfc, 0xf9, 0xfa, 0xff,
    0x5c, 0xf7, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0xb2, 0xd4, 0xd6, 0xd2, 0xd3, 0xd5,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0xb3, 0xdb, 0xdc, 0xd9, 0xda, 0x9f,
];

/// `b` in EBCDIC `ccsid` (500, or 37: the same but for seven punctuation marks) as UTF-8.
fn from_ebcdic(b: &[u8], ccsid: u16) -> Vec<u8> {
    b.iter()
        .map(|&x| {
            let latin1 = match (ccsid, x) {
                (37, 0x4a) => 0xa2,
                (37, 0x4f) => b'|',
                (37, 0x5a) => b'!',
                (37, 0x5f) => 0xac,
                (37, 0xb0) => b'^',
                (37, 0xba) => b'[',
                (37, 0xbb) => b']',
                _ => CP500[usize::from(x)],
            };
            char::from(latin1)
        })
        .collect::<String>()
        .into_bytes()
}

/// The name of a SECCHKCD (DRDA volume 3, SECCHKCD).
fn reason(code: u8) -> String {
    match code {
        0x01 => "security mechanism not supported".to_string(),
        0x0a => "security token missing or invalid".to_string(),
        0x0e => "password expired".to_string(),
        0x0f => "password invalid".to_string(),
        0x10 => "password missing".to_string(),
        0x12 => "userid missing".to_string(),
        0x13 => "userid invalid".to_string(),
        0x14 => "userid revoked".to_string(),
        0x15 => "new password invalid".to_string(),
        c => format!("SECCHKCD 0x{c:02x}"),
    }
}

/// An SQLSTT object's text: a nullable mixed-byte string then a nullable single-byte one
/// (FD:OCA: a null indicator, 0 or 0xFF, then a 4-byte length and the bytes), whichever is
/// not null.
pub fn statement_text(p: &[u8]) -> Option<&[u8]> {
    let mut rest = p;
    for _ in 0..2 {
        match *rest.first()? {
            0xff => rest = &rest[1..],
            0 => {
                let len = u32::from_be_bytes(rest.get(1..5)?.try_into().ok()?) as usize;
                let end = len.checked_add(5)?;
                let text = rest.get(5..end)?;
                if !text.is_empty() {
                    return Some(text);
                }
                rest = &rest[end..];
            }
            _ => return None,
        }
    }
    None
}

/// What an SQLCARD says of the statement it answers: `Ok` (no SQLCA, or an SQLSTATE of
/// class 00, 01 or 02, or blank) or `Err` with the SQLSTATE.
pub fn sqlcard_verdict(p: &[u8]) -> Option<Result<(), String>> {
    match *p.first()? {
        0xff => Some(Ok(())),
        0 => {
            let state = p.get(5..10)?;
            // The SQLSTATE is in the server's character set: EBCDIC from a Db2 for z/OS.
            let state = if state.iter().any(|&b| b >= 0x80) {
                from_ebcdic(state, 500)
            } else {
                state.to_vec()
            };
            let state = String::from_utf8_lossy(&state).into_owned();
            if state.bytes().all(|b| b == b' ' || b == 0)
                || ["00", "01", "02"].iter().any(|c| state.starts_with(c))
            {
                Some(Ok(()))
            } else {
                Some(Err(state.trim_end().to_string()))
            }
        }
        _ => None,
    }
}

/// Passwords of a statement awaiting its answer.
#[derive(Debug)]
struct Statement {
    found: Vec<Credential>,
    /// The correlation number of the command that carried the text.
    carried_by: u16,
    /// A prepared statement: the correlation number of the EXCSQLSTT or OPNQRY that runs
    /// it, once sent. `None` for one run at once.
    runs_as: Option<Option<u16>>,
}

#[derive(Debug, Default)]
pub struct Session {
    /// The client's EXCSAT: whether it offered UTF-8, and the EBCDIC CCSID it named.
    client_utf8: Option<bool>,
    ebcdic: Option<u16>,
    /// The encoding both sides agreed on, once the server's EXCSATRD is read.
    agreed: Option<Encoding>,
    /// SECCHKs awaiting their SECCHKRM: (correlation number, findings; the second one a
    /// new password's).
    pending: Vec<(u16, Vec<Credential>)>,
    /// A SECCHK was answered with success.
    connected: bool,
    /// The logged-in user and the database, for the statements after the login.
    user: Option<Vec<u8>>,
    database: Option<String>,
    /// Client requests read since the login.
    requests: u32,
    /// The last command that can carry a statement: (code point, correlation number).
    command: Option<(u16, u16)>,
    statements: Vec<Statement>,
}

impl Session {
    fn encoding(&self, b: &[u8]) -> Encoding {
        let ebcdic = Encoding::Ebcdic(self.ebcdic.unwrap_or(500));
        match (self.agreed, self.client_utf8) {
            (Some(e), _) => e,
            (None, Some(false)) => ebcdic,
            // Not known (the server's answer was not seen): text in printable ASCII is
            // taken as it is, anything else as EBCDIC (whose letters are above 0x80).
            _ if b.iter().all(|c| (0x20..0x7f).contains(c)) => Encoding::Utf8,
            _ => ebcdic,
        }
    }

    /// A character parameter as UTF-8, and the EBCDIC CCSID it was in.
    fn text(&self, b: &[u8]) -> (Vec<u8>, Option<u16>) {
        match self.encoding(b) {
            Encoding::Utf8 => (b.to_vec(), None),
            Encoding::Ebcdic(ccsid) => (from_ebcdic(b, ccsid), Some(ccsid)),
        }
    }

    fn secchk(&self, p: &[u8], frames: &[u64], ts: Timestamp) -> Vec<Credential> {
        let mechanism = match param(p, SECMEC).and_then(|m| be16(m, 0)) {
            Some(USRIDPWD) => "USRIDPWD",
            Some(USRIDNWPWD) => "USRIDNWPWD",
            _ => return Vec::new(),
        };
        let (Some(user), Some(password)) = (param(p, USRID), param(p, PASSWORD)) else {
            return Vec::new();
        };
        let (user, user_ccsid) = self.text(user);
        let database = param(p, RDBNAM).map(|d| {
            let (d, _) = self.text(d);
            String::from_utf8_lossy(&d).trim_end().to_string()
        });
        let credential = |mechanism: &'static str, password: &[u8]| {
            let (secret, ccsid) = self.text(password);
            let mut c = Credential::new("drda", mechanism, Kind::Cleartext, ts);
            c.username = Some(user.clone());
            c.secret = Some(secret);
            if let Some(d) = database.as_ref().filter(|d| !d.is_empty()) {
                c.details.push(("database", d.clone()));
            }
            if let Some(ccsid) = ccsid.or(user_ccsid) {
                c.details
                    .push(("encoding", format!("EBCDIC (CCSID {ccsid})")));
            }
            c.add_frames(frames.iter().copied());
            c
        };
        let mut found = vec![credential(mechanism, password)];
        if mechanism == "USRIDNWPWD"
            && let Some(new) = param(p, NEWPASSWORD)
        {
            found.push(credential("USRIDNWPWD (new password)", new));
        }
        found
    }
}

impl Session {
    /// A client request after the login: a statement's text, or the command running one.
    fn request(&mut self, code: u16, correlation: u16, body: &[u8], frames: &[u64], ts: Timestamp) {
        if self.requests > REQUESTS_AFTER_LOGIN {
            return;
        }
        match code {
            EXCSQLIMM | PRPSQLSTT | EXCSQLSET => self.command = Some((code, correlation)),
            SQLSTT => {
                let Some((command, carried_by)) = self.command.filter(|(_, c)| *c == correlation)
                else {
                    return;
                };
                let Some(text) = statement_text(body) else {
                    return;
                };
                let found: Vec<Credential> = sql::passwords(text, Dialect::Db2)
                    .into_iter()
                    .map(|p| {
                        let database = self.database.as_deref().map(str::as_bytes);
                        p.credential("drda", self.user.as_deref(), database, frames, ts)
                    })
                    .collect();
                if !found.is_empty() && self.statements.len() < MAX_PENDING_STATEMENTS {
                    let runs_as = (command == PRPSQLSTT).then_some(None);
                    self.statements.push(Statement {
                        found,
                        carried_by,
                        runs_as,
                    });
                }
            }
            EXCSQLSTT | OPNQRY => {
                if let Some(s) = self.statements.iter_mut().find(|s| s.runs_as == Some(None)) {
                    s.runs_as = Some(Some(correlation));
                }
            }
            _ => {}
        }
    }

    /// An SQLCARD from the server: the verdict on a statement it answers.
    fn answer(&mut self, correlation: u16, body: &[u8], frames: &[u64], out: &mut Vec<Credential>) {
        let Some(verdict) = sqlcard_verdict(body) else {
            return;
        };
        let Some(i) = self.statements.iter().position(|s| match s.runs_as {
            None => s.carried_by == correlation,
            // Its prepare refused, or its run answered.
            Some(run) => {
                (s.carried_by == correlation && verdict.is_err()) || run == Some(correlation)
            }
        }) else {
            return;
        };
        let statement = self.statements.remove(i);
        for mut c in statement.found {
            c.add_frames(frames.iter().copied());
            match &verdict {
                Ok(()) => c.outcome = Outcome::Success,
                Err(state) => {
                    c.outcome = Outcome::Failure;
                    c.details.push(("diagnostic", format!("SQLSTATE {state}")));
                }
            }
            out.push(c);
        }
    }
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
        let Some((format, correlation, code, body)) = dss(p) else {
            return;
        };
        match (dir, code) {
            (Direction::ToServer, EXCSAT) => {
                let (utf8, ebcdic) = managers(body);
                self.client_utf8 = Some(utf8);
                self.ebcdic = ebcdic;
                self.agreed = None;
            }
            (Direction::ToClient, EXCSATRD) => {
                let (utf8, _) = managers(body);
                let ebcdic = Encoding::Ebcdic(self.ebcdic.unwrap_or(500));
                self.agreed = Some(if utf8 && self.client_utf8 != Some(false) {
                    Encoding::Utf8
                } else {
                    ebcdic
                });
            }
            // Also after a login: a pooled connection reused for another user (JCC's
            // reuse, a trusted context's switch) checks its security again.
            (Direction::ToServer, SECCHK) if self.pending.len() < 4 => {
                let found = self.secchk(body, frames, ts);
                if !found.is_empty() {
                    self.pending.push((correlation, found));
                }
            }
            (Direction::ToServer, _) if self.connected => {
                // Requests, not the objects chained to them (an SQLSTT, an SQLDTA).
                if format & 0x0f == RQSDSS {
                    self.requests += 1;
                }
                self.request(code, correlation, body, frames, ts);
            }
            (Direction::ToClient, SQLCARD) if !self.statements.is_empty() => {
                self.answer(correlation, body, frames, out);
            }
            (Direction::ToClient, SECCHKRM) => {
                let Some(i) = self.pending.iter().position(|(c, _)| *c == correlation) else {
                    return;
                };
                let (_, found) = self.pending.remove(i);
                let severity = param(body, SVRCOD).and_then(|s| be16(s, 0)).unwrap_or(0);
                let code = param(body, SECCHKCD).and_then(|c| c.first().copied());
                let accepted = code == Some(0) && severity < SVRCOD_ERROR;
                if accepted && let Some(first) = found.first() {
                    self.user.clone_from(&first.username);
                    self.database = first.detail("database").map(str::to_string);
                }
                for mut c in found {
                    c.add_frames(frames.iter().copied());
                    if accepted {
                        c.outcome = Outcome::Success;
                    } else if let Some(code) = code {
                        c.outcome = Outcome::Failure;
                        c.details.push(("reason", reason(code)));
                    }
                    out.push(c);
                }
                self.connected |= accepted;
            }
            _ => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        out.extend(self.pending.drain(..).flat_map(|(_, found)| found));
        out.extend(self.statements.drain(..).flat_map(|s| s.found));
    }

    fn done(&self) -> bool {
        self.connected
            && self.pending.is_empty()
            && self.statements.is_empty()
            && self.requests >= REQUESTS_AFTER_LOGIN
    }

    fn buffered(&self) -> usize {
        (self.pending.len() + self.statements.len()) * 512
    }
}

/// Bytes the server may send after the login while no statement awaits its answer
/// before the connection is left: query data in DSSes continued past 32 KiB (large rows,
/// LOBs, big query blocks) is not cut into messages here, and is walked a byte at a time
/// for the next DSS.
const SERVER_BYTES_AFTER_LOGIN: u64 = 8 << 20;

/// The DRDA dissector of one connection.
#[derive(Debug)]
pub struct Drda {
    framed: Framed<Session>,
    /// Bytes the server sent since the login.
    server_bytes: u64,
}

impl Default for Drda {
    fn default() -> Self {
        Drda {
            framed: Framed::new(head, start_any, MAX_MESSAGE, Session::default()),
            server_bytes: 0,
        }
    }
}

impl Dissector for Drda {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if dir == Direction::ToClient && self.framed.reader.connected {
            self.server_bytes += chunk.data.len() as u64;
        }
        self.framed.data(dir, chunk, out);
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        self.framed.gap(dir, len, out);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.framed.close(out);
    }

    fn done(&self) -> bool {
        let s = &self.framed.reader;
        self.framed.done()
            || (s.connected
                && s.pending.is_empty()
                && s.statements.is_empty()
                && self.server_bytes > SERVER_BYTES_AFTER_LOGIN)
    }

    fn buffered(&self) -> usize {
        self.framed.buffered()
    }
}

/// Where a DSS of either side plausibly starts (to find the next one after lost bytes).
fn start_any(p: &[u8]) -> Probe {
    match (be16(p, 0), p.get(2), p.get(3)) {
        (Some(len), Some(&MAGIC), Some(format))
            if usize::from(len) >= DSS_HEADER + 4 && (1..=5).contains(&(format & 0x0f)) =>
        {
            Probe::Yes
        }
        (Some(_), Some(_), Some(_)) => Probe::No,
        _ => Probe::Maybe,
    }
}

/// DRDA messages for tests and the fixtures' generator.
pub mod build {
    use super::*;

    /// A DSS of `format` and `correlation` holding DDM object `code` with `params`.
    pub fn dss_of(format: u8, correlation: u16, code: u16, params: &[(u16, &[u8])]) -> Vec<u8> {
        let body: Vec<u8> = params
            .iter()
            .flat_map(|(c, v)| {
                let len = u16::try_from(v.len() + 4).expect("a short parameter");
                [&len.to_be_bytes()[..], &c.to_be_bytes(), v].concat()
            })
            .collect();
        object(format, correlation, code, &body)
    }

    /// A DSS holding DDM object `code` whose data is `data` as it is (FD:OCA objects).
    pub fn object(format: u8, correlation: u16, code: u16, data: &[u8]) -> Vec<u8> {
        let ddm_len = u16::try_from(data.len() + 4).expect("a short object");
        let len = u16::try_from(data.len() + 10).expect("a short DSS");
        [
            &len.to_be_bytes()[..],
            &[MAGIC, format],
            &correlation.to_be_bytes(),
            &ddm_len.to_be_bytes(),
            &code.to_be_bytes(),
            data,
        ]
        .concat()
    }

    /// `s` in EBCDIC CCSID `ccsid` (500 or 37); characters it has not are `?`.
    pub fn ebcdic(s: &str, ccsid: u16) -> Vec<u8> {
        s.chars()
            .map(|c| {
                let mut utf8 = [0; 4];
                let want = c.encode_utf8(&mut utf8).as_bytes();
                (0..=255u8)
                    .find(|&e| from_ebcdic(&[e], ccsid) == want)
                    .unwrap_or(0x6f)
            })
            .collect()
    }

    /// A MGRLVLLS parameter's value: (manager, level) pairs.
    pub fn manager_levels(pairs: &[(u16, u16)]) -> Vec<u8> {
        pairs
            .iter()
            .flat_map(|(m, l)| [m.to_be_bytes(), l.to_be_bytes()].concat())
            .collect()
    }

    /// The managers a client or server lists: SQLAM 7 and friends, and UTF-8 or EBCDIC
    /// 500 for character parameters.
    fn levels(utf8: bool) -> Vec<u8> {
        let ccsid = if utf8 {
            (UNICODEMGR, UTF8_CCSID)
        } else {
            (CCSIDMGR, 500)
        };
        manager_levels(&[(0x1403, 7), (0x2407, 7), (0x240f, 7), (0x1440, 7), ccsid])
    }

    /// A client's EXCSAT (chained to the ACCSEC that follows).
    pub fn excsat(utf8: bool) -> Vec<u8> {
        dss_of(0x41, 1, EXCSAT, &[(MGRLVLLS, &levels(utf8))])
    }

    pub fn excsatrd(utf8: bool) -> Vec<u8> {
        dss_of(0x42, 1, EXCSATRD, &[(MGRLVLLS, &levels(utf8))])
    }

    /// ACCSEC asking for `secmec` on database `rdbnam` (in EBCDIC, before any agreement).
    pub fn accsec(secmec: u16, rdbnam: &str) -> Vec<u8> {
        let name = ebcdic(&format!("{rdbnam:<18}"), 500);
        dss_of(
            0x01,
            2,
            ACCSEC,
            &[(SECMEC, &secmec.to_be_bytes()), (RDBNAM, &name)],
        )
    }

    pub fn accsecrd(secmec: u16) -> Vec<u8> {
        dss_of(0x02, 2, ACCSECRD, &[(SECMEC, &secmec.to_be_bytes())])
    }

    /// SECCHK (correlation 1) with these parameters, already encoded.
    pub fn secchk(mech: u16, user: &[u8], pw: &[u8], new: Option<&[u8]>, db: &[u8]) -> Vec<u8> {
        let mech = mech.to_be_bytes();
        let mut params: Vec<(u16, &[u8])> =
            vec![(SECMEC, &mech), (RDBNAM, db), (USRID, user), (PASSWORD, pw)];
        if let Some(n) = new {
            params.push((NEWPASSWORD, n));
        }
        dss_of(0x41, 1, SECCHK, &params)
    }

    pub fn secchkrm(severity: u16, code: u8) -> Vec<u8> {
        dss_of(
            0x02,
            1,
            SECCHKRM,
            &[(SVRCOD, &severity.to_be_bytes()), (SECCHKCD, &[code])],
        )
    }

    /// `command` (EXCSQLIMM, PRPSQLSTT or EXCSQLSET) with `text` in the SQLSTT chained
    /// to it, both of `correlation`.
    pub fn statement(command: u16, correlation: u16, text: &str) -> Vec<u8> {
        let len = u32::try_from(text.len()).expect("a short statement");
        let sqlstt = [&[0u8][..], &len.to_be_bytes(), text.as_bytes(), &[0xff]].concat();
        [
            dss_of(0x51, correlation, command, &[(0x2113, b"PKGNAMCSN")]),
            object(0x03, correlation, SQLSTT, &sqlstt),
        ]
        .concat()
    }

    /// The EXCSQLSTT running the statement prepared before.
    pub fn excsqlstt(correlation: u16) -> Vec<u8> {
        dss_of(0x01, correlation, EXCSQLSTT, &[(0x2113, b"PKGNAMCSN")])
    }

    /// An SQLCARD: no SQLCA (`None`), or SQLCODE and SQLSTATE (big-endian, ASCII).
    pub fn sqlcard(correlation: u16, error: Option<(i32, &str)>) -> Vec<u8> {
        let data = match error {
            None => vec![0xff],
            Some((code, state)) => [
                &[0u8][..],
                &code.to_be_bytes(),
                state.as_bytes(),
                b"SQLRI01F",
            ]
            .concat(),
        };
        object(0x03, correlation, SQLCARD, &data)
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::script::{play, summary, unhex};
    use Direction::{ToClient as S, ToServer as C};

    // Apache Derby 10.14's ij (derbyclient) against its network server with BUILTIN
    // users, captured on loopback (tests/e2e/real-drda.sh does the same): EXCSAT +
    // ACCSEC, EXCSATRD + ACCSECRD, SECCHK + ACCRDB (USRIDPWD, UTF-8 agreed), SECCHKRM +
    // ACCRDBRM. First alice with her password, then bob with a wrong one.
    const DERBY_EXCSAT: &str = "0067d0410001006110410010115e84859982a8849583948189950009116dc4859982a8001e115ac4d5c3f1f0f1f4f061f1f04bf1f44bf24bf04060404d6f6f6f5d001814041403000724070007240f0007144000071c0804b8000e1147d8c4c5d9c2e861d1e5d40026d00100020020106d000611a2000300162110a385a2a384825e83998581a3857ea399a485";
    const DERBY_EXCSATRD: &str = "0085d0420001007f1443001d115ed585a3a6969992e28599a58599c39695a39996934094818995001814041403000724070007240f0007144000071c0804b800101147c1978183888540c4859982a80018116dd585a3a6969992e28599a58599c39695a3999693001e115ac3e2e2f1f0f1f4f061f1f04bf1f44bf24bf04060404d6f6f6f5d0010d0020002000a14ac000611a20003";
    const DERBY_SECCHK: &str = "003cd04100010036106e000611a20003001621107465737464623b6372656174653d74727565000911a0616c696365000d11a153656372657431323300a8d001000200a22001001621107465737464623b6372656174653d747275650006210f2407000c112e444e433130313430003c210437c4d5c3f1f0f1f4f0d1e5d440404040404040404040404040404084859982a8849583948189954040404040404040404040404040404000000d002f51544453514c41534300172135d5c6f0f0f0f0f0f12ec4f0f6f201a2215cb621001600350006119c04b80006119d04b00006119e04b8";
    const DERBY_SECCHKRM: &str = "0015d0420001000f1219000611490000000511a4000039d052000200332201000611490000000c112e4353533130313430000d002f51544453514c415343001000350006119c04b80006119e04b80018d00200020012c0000005c001020009c002414c494345";
    const DERBY_BOB_EXCSAT: &str = "0067d0410001006110410010115e84859982a8849583948189950009116dc4859982a8001e115ac4d5c3f1f0f1f4f061f1f04bf1f44bf24bf04060404d6f6f6f5d001814041403000724070007240f0007144000071c0804b8000e1147d8c4c5d9c2e861d1e5d40026d00100020020106d000611a2000300162110a385a2a38482404040404040404040404040";
    const DERBY_BOB_EXCSATRD: &str = "0085d0420001007f1443001d115ed585a3a6969992e28599a58599c39695a39996934094818995001814041403000724070007240f0007144000071c0804b800101147c1978183888540c4859982a80018116dd585a3a6969992e28599a58599c39695a3999693001e115ac3e2e2f1f0f1f4f061f1f04bf1f44bf24bf04060404d6f6f6f5d0010d0020002000a14ac000611a20003";
    const DERBY_BOB_SECCHK: &str = "0038d04100010032106e000611a2000300162110746573746462202020202020202020202020000711a0626f62000b11a177726f6e67707700a8d001000200a22001001621107465737464622020202020202020202020200006210f2407000c112e444e433130313430003c210437c4d5c3f1f0f1f4f0d1e5d440404040404040404040404040404084859982a8849583948189954040404040404040404040404040404000000d002f51544453514c41534300172135d5c6f0f0f0f0f0f12ec4f0f7f201a2215cb7af001600350006119c04b80006119d04b00006119e04b8";
    const DERBY_BOB_SECCHKRM: &str = "0015d0020001000f1219000611490008000511a413";

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        play(&mut Drda::default(), script).0
    }

    #[test]
    fn derby_logins_accepted_and_refused() {
        let out = run(&[
            (C, unhex(DERBY_EXCSAT)),
            (S, unhex(DERBY_EXCSATRD)),
            (C, unhex(DERBY_SECCHK)),
            (S, unhex(DERBY_SECCHKRM)),
        ]);
        assert_eq!(
            summary(&out),
            vec![(
                "USRIDPWD",
                &b"alice"[..],
                &b"Secret123"[..],
                Outcome::Success
            )]
        );
        assert_eq!(out[0].detail("database"), Some("testdb;create=true"));
        assert_eq!(out[0].detail("encoding"), None);
        assert_eq!(out[0].frames, vec![3, 4]);
        let out = run(&[
            (C, unhex(DERBY_BOB_EXCSAT)),
            (S, unhex(DERBY_BOB_EXCSATRD)),
            (C, unhex(DERBY_BOB_SECCHK)),
            (S, unhex(DERBY_BOB_SECCHKRM)),
        ]);
        assert_eq!(
            summary(&out),
            vec![("USRIDPWD", &b"bob"[..], &b"wrongpw"[..], Outcome::Failure)]
        );
        assert_eq!(out[0].detail("reason"), Some("userid invalid"));
        assert_eq!(out[0].detail("database"), Some("testdb"), "padding trimmed");
        assert_eq!(probe(&unhex(DERBY_EXCSAT), b""), Probe::Yes);
    }

    #[test]
    fn any_split_of_a_real_login() {
        let c: Vec<u8> = [unhex(DERBY_EXCSAT), unhex(DERBY_SECCHK)].concat();
        let (excsatrd, secchkrm) = (unhex(DERBY_EXCSATRD), unhex(DERBY_SECCHKRM));
        let first = unhex(DERBY_EXCSAT).len();
        for cut in (1..c.len()).step_by(7) {
            let (a, b) = c.split_at(cut);
            // The server's answer to EXCSAT comes before SECCHK is sent, SECCHKRM after.
            let script = if cut <= first {
                vec![
                    (C, a.to_vec()),
                    (C, b[..first - cut].to_vec()),
                    (S, excsatrd.clone()),
                    (C, b[first - cut..].to_vec()),
                    (S, secchkrm.clone()),
                ]
            } else {
                vec![
                    (C, a.to_vec()),
                    (S, excsatrd.clone()),
                    (C, b.to_vec()),
                    (S, secchkrm.clone()),
                ]
            };
            let out = run(&script);
            assert_eq!(
                summary(&out),
                vec![(
                    "USRIDPWD",
                    &b"alice"[..],
                    &b"Secret123"[..],
                    Outcome::Success
                )],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn ebcdic_parameters_in_either_ccsid() {
        // A client that offers no UTF-8 (Db2's older drivers): EBCDIC 500 by default,
        // 37 when its CCSIDMGR says so ('!' and '|' differ between them).
        for (ccsid, managers) in [
            (500, manager_levels(&[(0x1403, 7), (0x2407, 7)])),
            (37, manager_levels(&[(0x1403, 7), (CCSIDMGR, 37)])),
        ] {
            let excsat = dss_of(0x41, 1, EXCSAT, &[(MGRLVLLS, &managers)]);
            let excsatrd = dss_of(0x42, 1, EXCSATRD, &[(MGRLVLLS, &managers)]);
            let user = ebcdic("DB2INST1", ccsid);
            let pw = ebcdic("Pa|ss!w0rd", ccsid);
            let out = run(&[
                (C, excsat),
                (S, excsatrd),
                (
                    C,
                    secchk(
                        USRIDPWD,
                        &user,
                        &pw,
                        None,
                        &ebcdic("SAMPLE            ", ccsid),
                    ),
                ),
                (S, secchkrm(0, 0)),
            ]);
            assert_eq!(
                summary(&out),
                vec![(
                    "USRIDPWD",
                    &b"DB2INST1"[..],
                    &b"Pa|ss!w0rd"[..],
                    Outcome::Success
                )],
                "CCSID {ccsid}"
            );
            assert_eq!(out[0].detail("database"), Some("SAMPLE"));
            let encoding = format!("EBCDIC (CCSID {ccsid})");
            assert_eq!(out[0].detail("encoding"), Some(encoding.as_str()));
        }
        // The client offers UTF-8 but the server does not take it: EBCDIC.
        let offer = manager_levels(&[(UNICODEMGR, UTF8_CCSID)]);
        let out = run(&[
            (C, dss_of(0x41, 1, EXCSAT, &[(MGRLVLLS, &offer)])),
            (
                S,
                dss_of(
                    0x42,
                    1,
                    EXCSATRD,
                    &[(MGRLVLLS, &manager_levels(&[(0x1403, 7)]))],
                ),
            ),
            (
                C,
                secchk(
                    USRIDPWD,
                    &ebcdic("ALICE", 500),
                    &ebcdic("secret", 500),
                    None,
                    b"",
                ),
            ),
            (S, secchkrm(0, 0)),
        ]);
        assert_eq!(
            summary(&out),
            vec![("USRIDPWD", &b"ALICE"[..], &b"secret"[..], Outcome::Success)]
        );
        // No EXCSAT seen (the capture began later): ASCII text as it is, EBCDIC decoded.
        let out = run(&[
            (C, secchk(USRIDPWD, b"carol", b"plain-pw", None, b"DB")),
            (S, secchkrm(0, 0x0f)),
        ]);
        assert_eq!(
            summary(&out),
            vec![(
                "USRIDPWD",
                &b"carol"[..],
                &b"plain-pw"[..],
                Outcome::Failure
            )]
        );
        assert_eq!(out[0].detail("reason"), Some("password invalid"));
        let out = run(&[(
            C,
            secchk(
                USRIDPWD,
                &ebcdic("dave", 500),
                &ebcdic("ebcdic-pw", 500),
                None,
                b"",
            ),
        )]);
        assert_eq!(
            summary(&out),
            vec![(
                "USRIDPWD",
                &b"dave"[..],
                &b"ebcdic-pw"[..],
                Outcome::Unknown
            )]
        );
    }

    #[test]
    fn a_new_password_and_mechanisms_without_one() {
        let out = run(&[
            (
                C,
                secchk(
                    USRIDNWPWD,
                    b"erin",
                    b"expired-pw",
                    Some(b"fresh-pw"),
                    b"SAMPLE",
                ),
            ),
            (S, secchkrm(0, 0)),
        ]);
        assert_eq!(
            summary(&out),
            vec![
                (
                    "USRIDNWPWD",
                    &b"erin"[..],
                    &b"expired-pw"[..],
                    Outcome::Success
                ),
                (
                    "USRIDNWPWD (new password)",
                    &b"erin"[..],
                    &b"fresh-pw"[..],
                    Outcome::Success
                ),
            ]
        );
        let out = run(&[
            (
                C,
                secchk(
                    USRIDNWPWD,
                    b"erin",
                    b"expired-pw",
                    Some(b"short"),
                    b"SAMPLE",
                ),
            ),
            (S, secchkrm(8, 0x15)),
        ]);
        assert!(out.iter().all(|c| c.outcome == Outcome::Failure));
        assert_eq!(out[1].detail("reason"), Some("new password invalid"));
        // A severe SVRCOD refuses even with SECCHKCD 0; another correlation answers nothing.
        let out = run(&[
            (C, secchk(USRIDPWD, b"f", b"g", None, b"")),
            (
                S,
                dss_of(
                    0x02,
                    9,
                    SECCHKRM,
                    &[(SVRCOD, &0u16.to_be_bytes()), (SECCHKCD, &[0])],
                ),
            ),
            (S, secchkrm(16, 0)),
        ]);
        assert_eq!(
            summary(&out),
            vec![("USRIDPWD", &b"f"[..], &b"g"[..], Outcome::Failure)]
        );
        // USRIDONL (no password), an encrypted mechanism, Derby's password substitute.
        for mech in [4u16, 9, 8] {
            let m = mech.to_be_bytes();
            let p = dss_of(
                0x41,
                1,
                SECCHK,
                &[(SECMEC, &m), (USRID, b"u"), (PASSWORD, &[0x8a; 20])],
            );
            assert!(
                run(&[(C, p), (S, secchkrm(0, 0))]).is_empty(),
                "SECMEC {mech}"
            );
        }
    }

    #[test]
    fn probes_and_malformed_structures() {
        assert_eq!(probe(&unhex(DERBY_EXCSAT)[..5], b""), Probe::Maybe);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        // A reply DSS, or a request holding another command, does not open a connection.
        assert_eq!(probe(&dss_of(0x02, 1, EXCSAT, &[]), b""), Probe::No);
        assert_eq!(probe(&dss_of(0x01, 1, SECCHK, &[]), b""), Probe::No);
        assert_eq!(probe(&dss_of(0x01, 1, ACCSEC, &[]), b""), Probe::Yes);
        // Parameters whose lengths overrun their object, a DDM longer than its DSS.
        let mut bad = secchk(USRIDPWD, b"u", b"p", None, b"");
        let n = bad.len();
        bad[n - 4] = 0x7f;
        assert!(run(&[(C, bad), (S, secchkrm(0, 0))]).is_empty());
        let mut bad = secchk(USRIDPWD, b"u", b"p", None, b"");
        bad[6] = 0x7f;
        assert!(dss(&bad).is_none());
        assert_eq!(params(&[0, 3, 0x11, 0xa0]).count(), 0);
        // Shorter than a DSS header, whatever its length says.
        assert!(dss(&[0, 3, MAGIC]).is_none());
        assert!(dss(&[0, 4, MAGIC, 1]).is_none());
        assert_eq!(statement_text(&[0, 0xff, 0xff, 0xff, 0xff, b'a']), None);
    }

    // The same ij, logged in as alice, calling Derby's user procedures
    // (tests/e2e/real-drda.sh): PRPSQLSTT + SQLATTR + SQLSTT, EXCSQLSTT; the server's
    // SQLCARDs for the prepare and the run. The property is set; SYSCS_CREATE_USER is
    // refused (SQLSTATE 4251K: the first credentials created must be the DBO's).
    const DERBY2_EXCSAT: &str = "0067d0410001006110410010115e84859982a8849583948189950009116dc4859982a8001e115ac4d5c3f1f0f1f4f061f1f04bf1f44bf24bf04060404d6f6f6f5d001814041403000724070007240f0007144000071c0804b8000e1147d8c4c5d9c2e861d1e5d40026d00100020020106d000611a2000300162110a385a2a38482404040404040404040404040";
    const DERBY2_EXCSATRD: &str = "0085d0420001007f1443001d115ed585a3a6969992e28599a58599c39695a39996934094818995001814041403000724070007240f0007144000071c0804b800101147c1978183888540c4859982a80018116dd585a3a6969992e28599a58599c39695a3999693001e115ac3e2e2f1f0f1f4f061f1f04bf1f44bf24bf04060404d6f6f6f5d0010d0020002000a14ac000611a20003";
    const DERBY2_SECCHK: &str = "003cd04100010036106e000611a2000300162110746573746462202020202020202020202020000911a0616c696365000d11a153656372657431323300a8d001000200a22001001621107465737464622020202020202020202020200006210f2407000c112e444e433130313430003c210437c4d5c3f1f0f1f4f0d1e5d440404040404040404040404040404084859982a8849583948189954040404040404040404040404040404000000d002f51544453514c41534300172135d5c6f0f0f0f0f0f12ec5f3c5f601a221631ec2001600350006119c04b80006119d04b00006119e04b8";
    const DERBY2_SECCHKRM: &str = "0015d0420001000f1219000611490000000511a4000039d052000200332201000611490000000c112e4353533130313430000d002f51544453514c415343001000350006119c04b80006119e04b80018d00200020012c0000005c001020009c002414c494345";
    const DERBY2_SET_PROPERTY: &str = "004ed05100010048200d004421137465737464622020202020202020202020204e554c4c49442020202020202020202020205359534c48303030202020202020202020205359534c564c30310001001ad053000100142450000000000a5749544820484f4c4420ff005cd043000100562414000000004c43414c4c2053595343535f5554494c2e53595343535f5345545f44415441424153455f50524f5045525459282764657262792e757365722e6361726f6c272c20274361726f6c2d7077312729ff0074d0010002006e200b004421137465737464622020202020202020202020204e554c4c49442020202020202020202020205359534c48303030202020202020202020205359534c564c3031000100052105f10008211400007fff00062141ffff00062140ffff00052142040008215600000040";
    const DERBY2_SET_PROPERTY_DONE: &str = "0047d043000100412408000000000020202020204353533130313430000000000000000000000000000000000000000000000000002020202020202020202020000000000000ff0047d003000200412408000000000020202020204353533130313430000000000000000000ffffffffffffffff00000000000000002020202020202020202020000000000000ff";
    const DERBY2_CREATE_USER: &str = "004ed05100010048200d004421137465737464622020202020202020202020204e554c4c49442020202020202020202020205359534c48303030202020202020202020205359534c564c30310001001ad053000100142450000000000a5749544820484f4c4420ff0045d0430001003f2414000000003543414c4c2053595343535f5554494c2e53595343535f4352454154455f55534552282764617665272c2027446176652d7077322729ff0074d0010002006e200b004421137465737464622020202020202020202020204e554c4c49442020202020202020202020205359534c48303030202020202020202020205359534c564c3031000100052105f10008211400007fff00062141ffff00062140ffff00052142040008215600000040";
    const DERBY2_CREATE_USER_REFUSED: &str = "0047d043000100412408000000000020202020204353533130313430000000000000000000000000000000000000000000000000002020202020202020202020000000000000ff004cd00300020046240800ffffb1df343235314b435353313031343000000000000000000000000000000000000000000000000000202020202020202020202000000005343235314b0000ff";

    #[test]
    fn derby_user_procedures_after_the_login() {
        let out = run(&[
            (C, unhex(DERBY2_EXCSAT)),
            (S, unhex(DERBY2_EXCSATRD)),
            (C, unhex(DERBY2_SECCHK)),
            (S, unhex(DERBY2_SECCHKRM)),
            (C, unhex(DERBY2_SET_PROPERTY)),
            (S, unhex(DERBY2_SET_PROPERTY_DONE)),
            (C, unhex(DERBY2_CREATE_USER)),
            (S, unhex(DERBY2_CREATE_USER_REFUSED)),
        ]);
        assert_eq!(
            summary(&out),
            vec![
                (
                    "USRIDPWD",
                    &b"alice"[..],
                    &b"Secret123"[..],
                    Outcome::Success
                ),
                (
                    "SYSCS_SET_DATABASE_PROPERTY derby.user",
                    &b"carol"[..],
                    &b"Carol-pw1"[..],
                    Outcome::Success
                ),
                (
                    "SYSCS_CREATE_USER",
                    &b"dave"[..],
                    &b"Dave-pw2"[..],
                    Outcome::Failure
                ),
            ]
        );
        assert_eq!(out[1].frames, vec![5, 6]);
        assert_eq!(out[1].detail("database"), Some("testdb"));
        assert_eq!(out[2].detail("diagnostic"), Some("SQLSTATE 4251K"));
        // The request's third DSS is the SQLSTT.
        let request = unhex(DERBY2_SET_PROPERTY);
        let mut at = 0;
        let mut texts = Vec::new();
        while let Some(len) = be16(&request, at) {
            let (_, _, code, body) = dss(&request[at..at + usize::from(len)]).unwrap();
            if code == SQLSTT {
                texts.push(statement_text(body).unwrap().to_vec());
            }
            at += usize::from(len);
        }
        assert_eq!(
            texts,
            vec![
                b"CALL SYSCS_UTIL.SYSCS_SET_DATABASE_PROPERTY('derby.user.carol', 'Carol-pw1')"
                    .to_vec()
            ]
        );
    }

    #[test]
    fn statements_run_at_once_and_prepares_refused() {
        let login = [
            (C, secchk(USRIDPWD, b"db2inst1", b"pw", None, b"SAMPLE")),
            (S, secchkrm(0, 0)),
        ];
        let mut script = login.to_vec();
        script.extend([
            (
                C,
                statement(
                    EXCSQLIMM,
                    3,
                    "CREATE USER MAPPING FOR db2inst1 SERVER r OPTIONS (REMOTE_AUTHID 'ru', REMOTE_PASSWORD 'R-pw')",
                ),
            ),
            // Another statement's card answers nothing.
            (S, sqlcard(2, Some((-204, "42704")))),
            (S, sqlcard(3, Some((-204, "42704")))),
            (C, statement(EXCSQLIMM, 4, "SET ENCRYPTION PASSWORD = 'Enc-pw'")),
            (S, sqlcard(4, None)),
            // Prepared: the prepare's success says nothing, the run's card decides.
            (
                C,
                statement(
                    PRPSQLSTT,
                    5,
                    "CALL SYSCS_UTIL.SYSCS_CREATE_USER('u1', 'U1-pw')",
                ),
            ),
            (S, sqlcard(5, None)),
            (C, excsqlstt(6)),
            (S, sqlcard(6, Some((20, "01503")))),
            // A prepare refused: never run.
            (
                C,
                statement(PRPSQLSTT, 7, "CALL SYSCS_UTIL.SYSCS_MODIFY_PASSWORD('Mine')"),
            ),
            (S, sqlcard(7, Some((-440, "42884")))),
        ]);
        let out = run(&script);
        assert_eq!(
            summary(&out)[1..],
            vec![
                (
                    "CREATE USER MAPPING ... REMOTE_PASSWORD",
                    &b"ru"[..],
                    &b"R-pw"[..],
                    Outcome::Failure
                ),
                (
                    "SET ENCRYPTION PASSWORD",
                    &b"db2inst1"[..],
                    &b"Enc-pw"[..],
                    Outcome::Success
                ),
                (
                    "SYSCS_CREATE_USER",
                    &b"u1"[..],
                    &b"U1-pw"[..],
                    Outcome::Success
                ),
                (
                    "SYSCS_MODIFY_PASSWORD",
                    &b"db2inst1"[..],
                    &b"Mine"[..],
                    Outcome::Failure
                ),
            ]
        );
        assert_eq!(out[1].detail("diagnostic"), Some("SQLSTATE 42704"));
        assert_eq!(out[1].detail("host"), Some("r"));
        assert_eq!(out[1].detail("database"), Some("SAMPLE"));
        assert_eq!(out[4].detail("diagnostic"), Some("SQLSTATE 42884"));
        // EBCDIC SQLSTATEs (Db2 for z/OS), warnings, no SQLCA.
        let ebcdic_state = [&[0u8][..], &[0; 4], &ebcdic("42501", 500)].concat();
        assert_eq!(
            sqlcard_verdict(&ebcdic_state),
            Some(Err("42501".to_string()))
        );
        assert_eq!(
            sqlcard_verdict(&[&[0u8][..], &[0; 4], b"02000"].concat()),
            Some(Ok(()))
        );
        assert_eq!(sqlcard_verdict(&[0xff]), Some(Ok(())));
        assert_eq!(sqlcard_verdict(&[0, 0, 0]), None);
        let text = |t: &str| {
            [
                &[0u8][..],
                &(t.len() as u32).to_be_bytes(),
                t.as_bytes(),
                &[0xff],
            ]
            .concat()
        };
        assert_eq!(statement_text(&text("")), None);
        assert_eq!(
            statement_text(&[&[0xffu8][..], &text("x")].concat()),
            Some(&b"x"[..])
        );
        assert_eq!(statement_text(&[0, 0, 0, 0, 9, b'a']), None);
        // A connection reused for another user checks its security again.
        let mut again = login.to_vec();
        again.extend([
            (C, secchk(USRIDPWD, b"batch", b"Batch-Pw", None, b"SAMPLE")),
            (S, secchkrm(8, 0x0f)),
            (C, secchk(USRIDPWD, b"batch", b"Batch-Pw2", None, b"SAMPLE")),
            (S, secchkrm(0, 0)),
            (C, statement(EXCSQLIMM, 3, "SET ENCRYPTION PASSWORD 'e'")),
            (S, sqlcard(3, None)),
        ]);
        assert_eq!(
            summary(&run(&again))[1..],
            vec![
                (
                    "USRIDPWD",
                    &b"batch"[..],
                    &b"Batch-Pw"[..],
                    Outcome::Failure
                ),
                (
                    "USRIDPWD",
                    &b"batch"[..],
                    &b"Batch-Pw2"[..],
                    Outcome::Success
                ),
                (
                    "SET ENCRYPTION PASSWORD",
                    &b"batch"[..],
                    &b"e"[..],
                    Outcome::Success
                ),
            ]
        );
        // Statements before any login are not read; the login's inspection ends 256
        // requests after it.
        assert!(
            run(&[
                (C, statement(EXCSQLIMM, 3, "SET ENCRYPTION PASSWORD 'x'")),
                (S, sqlcard(3, None))
            ])
            .is_empty()
        );
        let mut d = Drda::default();
        let mut script = login.to_vec();
        let commit = dss_of(0x01, 1, 0x200e, &[]);
        script.extend((0..REQUESTS_AFTER_LOGIN).map(|_| (C, commit.clone())));
        play(&mut d, &script[..script.len() - 1]);
        assert!(!d.done());
        play(&mut d, &script[script.len() - 1..]);
        assert!(d.done());
    }

    #[test]
    fn a_long_answer_after_the_login_ends_the_reading() {
        // Query data continued past 32 KiB: its continuation segments are no DSS.
        let segment = [&[0xffu8, 0xff][..], &[0x5a; 65_533]].concat();
        let n = (SERVER_BYTES_AFTER_LOGIN / 65_535) as usize;
        let script = |statement_first: bool, segments: usize| {
            let mut s = vec![
                (C, secchk(USRIDPWD, b"u", b"p", None, b"")),
                (S, secchkrm(0, 0)),
            ];
            if statement_first {
                s.push((C, statement(EXCSQLIMM, 3, "SET ENCRYPTION PASSWORD 'x'")));
            }
            s.extend(std::iter::repeat_n((S, segment.clone()), segments));
            s
        };
        assert!(!play(&mut Drda::default(), &script(false, n)).1);
        assert!(play(&mut Drda::default(), &script(false, n + 1)).1);
        // Not while a statement awaits its answer.
        let mut s = script(true, n + 1);
        let (_, done) = play(&mut Drda::default(), &s);
        assert!(!done);
        s.push((S, sqlcard(3, None)));
        let (out, done) = play(&mut Drda::default(), &s);
        assert_eq!(
            summary(&out)[1..],
            vec![(
                "SET ENCRYPTION PASSWORD",
                &b"u"[..],
                &b"x"[..],
                Outcome::Success
            )]
        );
        assert!(done);
    }
}
