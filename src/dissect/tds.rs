//! Microsoft SQL Server's Tabular Data Stream ([MS-TDS]), protocol `mssql`: the user name
//! and password of a `LOGIN7` message sent in the clear, and NTLM inside TDS.
//!
//! - `PRELOGIN` (packet type 0x12) and the server's answer negotiate encryption
//!   (2.2.6.5): only when one side answers `ENCRYPT_NOT_SUP` (the server, or the client
//!   with a server at `ENCRYPT_OFF`) does `LOGIN7` cross the wire in the clear. With
//!   `ENCRYPT_OFF` on both sides the `LOGIN7` packet still goes inside TLS (its handshake
//!   inside `PRELOGIN` packets, then TLS records straight on the connection), and the
//!   rest of the session is left unencrypted: the records are skipped and what follows
//!   read. With `ENCRYPT_ON`/`ENCRYPT_REQ` everything is encrypted: the inspection ends
//!   there. So it does on TLS handshake bytes in `PRELOGIN` packets whose negotiation the
//!   capture missed, and on TLS first (TDS 8.0 strict encryption).
//! - `LOGIN7` (packet type 0x10, 2.2.6.4): the user name (UTF-16LE) and the password,
//!   which is only obfuscated: every byte nibble-swapped and XORed with 0xA5. plainsight
//!   reverses that and reports the password as UTF-8, mechanism `LOGIN7`, kind cleartext,
//!   with a `note` saying so; the client's host name, application, server name and
//!   database go in `details`.
//! - Integrated authentication (SSPI): the server's CHALLENGE comes in an SSPI token
//!   (0xED) of its answer to `LOGIN7`, the client's AUTHENTICATE in an SSPI message
//!   (packet type 0x11): NetNTLMv2/v1 with a hashcat 5600/5500 line, mechanism
//!   `SSPI NTLM (NetNTLMv2)`. Kerberos gives nothing.
//!
//! Outcome from the server's tabular result (packet type 0x04): a `LOGINACK` token (0xAD)
//! success, an `ERROR` token (0xAA, e.g. 18456 "Login failed for user") without one failure,
//! with the error's number and text in `details`.
//! - After a successful login (or one encrypted alone), the client's next 256 requests:
//!   each `SQL_BATCH` (packet type 0x01: `ALL_HEADERS`, then UTF-16LE text) is read for
//!   password statements ([`super::sql`], T-SQL), each judged by the answer to its batch
//!   (every request gets one): an `ERROR` token whose line number is the statement's
//!   line failure (its number and text in `details.diagnostic`), a batch answered to its
//!   final `DONE` without any error success, otherwise unknown (an error elsewhere in the
//!   batch, or a result set, whose tokens are not walked). `RPC` requests (packet type
//!   0x03: procedures called by name, `sp_executesql` and `sp_prepexec` with their
//!   parameters written into the statement, see [`super::tds_rpc`]) are read the same
//!   way, `details.rpc` naming the call; any error in a call's answer refuses its
//!   passwords, a final `DONEPROC` without one accepts them. Attention (cancel) leaves the
//!   waiting ones unknown. TDS 4.2/5.0 sessions end at the login.
//!
//! TDS 4.2 and 5.0 (Sybase and SAP Adaptive Server Enterprise, SQL Anywhere, Open Server
//! gateways; Microsoft SQL Server before 7.0 spoke 4.2), protocol `sybase`: the login
//! record (packet type 0x02, Sybase's TDS 5.0 Functional Specification, [MS-TDS]'s
//! "Pre-TDS7 Login") has the host name, user name and password in 30-byte fields, each
//! followed by its length, the password in clear. Mechanism `TDS 5.0 login` or `TDS 4.2
//! login` (the record's `ltdsversion`). When the client asks for the password to be
//! encrypted (`lseclogin`), the field is left empty and the password follows encrypted
//! with the server's key: nothing is reported. The server's answer is written in the byte
//! order the record asked for (`lint2`): a `LOGINACK` with status 5 (TDS 5.0) or 1 (TDS
//! 4.2) is a success, 6 a failure (after an `EED` "Login failed." 4002), 7 a negotiation
//! still to come; a 4.2 server refuses with an `ERROR` token and no `LOGINACK`.

use super::framing::{Framer, Measure};
use super::ftp::looks_like_tls;
use super::ntlmssp;
use super::sql;
use super::tds_rpc;
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "mssql",
    tcp_ports: &[1433],
    probe,
    new: |_config| Box::new(Tds::default()),
};

/// TDS 4.2/5.0: Sybase ASE's usual ports; any other is found by the login record.
pub const SYBASE_SPEC: ProtocolSpec = ProtocolSpec {
    name: "sybase",
    tcp_ports: &[5000, 4100],
    probe: login_record_probe,
    new: |_config| Box::new(Tds::default()),
};

/// Packet types.
pub const SQL_BATCH: u8 = 0x01;
pub const RPC: u8 = 0x03;
pub const TABULAR_RESULT: u8 = 0x04;
pub const ATTENTION: u8 = 0x06;
pub const BULK_LOAD: u8 = 0x07;
pub const TRANSACTION_MANAGER: u8 = 0x0e;
pub const LOGIN7: u8 = 0x10;
pub const SSPI: u8 = 0x11;
pub const PRELOGIN: u8 = 0x12;
/// The login record of TDS 4.2 and 5.0.
pub const LOGIN: u8 = 0x02;

/// Status bit: the last packet of a message.
pub const END_OF_MESSAGE: u8 = 0x01;

/// `PRELOGIN` options.
pub const OPTION_VERSION: u8 = 0x00;
pub const OPTION_ENCRYPTION: u8 = 0x01;
pub const OPTION_TERMINATOR: u8 = 0xff;

/// `ENCRYPTION` values.
pub const ENCRYPT_OFF: u8 = 0x00;
pub const ENCRYPT_ON: u8 = 0x01;
pub const ENCRYPT_NOT_SUP: u8 = 0x02;
pub const ENCRYPT_REQ: u8 = 0x03;

/// Tokens of a tabular result.
pub const TOKEN_ERROR: u8 = 0xaa;
pub const TOKEN_INFO: u8 = 0xab;
pub const TOKEN_LOGINACK: u8 = 0xad;
pub const TOKEN_FEATUREEXTACK: u8 = 0xae;
pub const TOKEN_ENVCHANGE: u8 = 0xe3;
pub const TOKEN_SSPI: u8 = 0xed;
pub const TOKEN_FEDAUTHINFO: u8 = 0xee;
/// Tokens of TDS 4.2/5.0 answers (besides `ERROR`, `INFO`, `LOGINACK`, `ENVCHANGE`).
pub const TOKEN_MSG: u8 = 0x65;
pub const TOKEN_CAPABILITY: u8 = 0xe2;
pub const TOKEN_EED: u8 = 0xe5;
pub const TOKEN_PARAMFMT: u8 = 0xec;
pub const TOKEN_DONE: u8 = 0xfd;
pub const TOKEN_DONEPROC: u8 = 0xfe;
pub const TOKEN_DONEINPROC: u8 = 0xff;

/// `LOGINACK` status of TDS 5.0: the login succeeded, failed, or a negotiation (the
/// encrypted password's) follows; TDS 4.2 says 1 for a success.
pub const LOG_SUCCEED: u8 = 5;
pub const LOG_FAIL: u8 = 6;
pub const LOG_NEGOTIATE: u8 = 7;
pub const LOG_SUCCEED_42: u8 = 1;

/// `OptionFlags2` bit: integrated security (SSPI).
pub const INTEGRATED_SECURITY: u8 = 0x80;

/// Longest packet (a negotiated packet size is at most 32 KiB).
const MAX_PACKET: usize = 32 << 10;
/// Longest message assembled from packets (a login and its answer are a few KiB).
const MAX_ASSEMBLED: usize = 64 << 10;
/// Longest error message copied into `details`.
const MAX_DIAGNOSTIC: usize = 256;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The length of the TDS packet at the start of `b`, or of the TLS record there (a login
/// encrypted alone: TDS packet types never take TLS's content types 0x14-0x17).
fn measure(b: &[u8]) -> Measure {
    if let (Some(0x14..=0x17), Some(3)) = (b.first(), b.get(1)) {
        return match be16(b, 3) {
            None => Measure::More,
            Some(len) => Measure::Total(5 + usize::from(len)),
        };
    }
    match be16(b, 2) {
        None => Measure::More,
        Some(len) if len >= 8 => Measure::Total(usize::from(len)),
        Some(_) => Measure::Invalid,
    }
}

/// UTF-16LE to UTF-8 (lossy).
pub fn utf16le(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Reverses the `LOGIN7` password obfuscation: XOR 0xA5, then swap the nibbles.
pub fn deobfuscate(b: &[u8]) -> Vec<u8> {
    b.iter().map(|&x| (x ^ 0xa5).rotate_left(4)).collect()
}

/// Applies the `LOGIN7` password obfuscation: swap the nibbles, then XOR 0xA5.
pub fn obfuscate(b: &[u8]) -> Vec<u8> {
    b.iter().map(|&x| x.rotate_left(4) ^ 0xa5).collect()
}

/// The options of a `PRELOGIN` message (its payload): (token, data).
pub fn prelogin_options(p: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut options = Vec::new();
    let mut at = 0;
    loop {
        let &token = p.get(at)?;
        if token == OPTION_TERMINATOR {
            return Some(options);
        }
        let offset = usize::from(be16(p, at + 1)?);
        let len = usize::from(be16(p, at + 3)?);
        options.push((token, p.get(offset..offset + len)?));
        at += 5;
        if options.len() > 32 {
            return None;
        }
    }
}

/// The `ENCRYPTION` option of a `PRELOGIN` payload.
pub fn prelogin_encryption(p: &[u8]) -> Option<u8> {
    prelogin_options(p)?
        .into_iter()
        .find(|(t, _)| *t == OPTION_ENCRYPTION)
        .and_then(|(_, d)| d.first().copied())
}

/// The fields of a `LOGIN7` message that plainsight reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login7 {
    pub tds_version: u32,
    pub integrated_security: bool,
    pub hostname: String,
    pub user: String,
    /// The password, de-obfuscated, as UTF-8.
    pub password: String,
    pub app: String,
    pub server: String,
    pub database: String,
    pub sspi: Vec<u8>,
}

/// Parses a `LOGIN7` message (the payload of its packets).
pub fn parse_login7(p: &[u8]) -> Option<Login7> {
    let length = le32(p, 0)? as usize;
    if length < 36 + 58 || length > p.len() {
        return None;
    }
    let p = &p[..length];
    let field = |at: usize| -> Option<&[u8]> {
        let offset = usize::from(le16(p, at)?);
        let chars = usize::from(le16(p, at + 2)?);
        if chars == 0 {
            return Some(&[]);
        }
        p.get(offset..offset + 2 * chars)
    };
    let text = |at: usize| field(at).map(utf16le);
    let sspi = {
        let offset = usize::from(le16(p, 78)?);
        let len = usize::from(le16(p, 80)?);
        p.get(offset..offset + len).unwrap_or_default().to_vec()
    };
    Some(Login7 {
        tds_version: le32(p, 4)?,
        integrated_security: p.get(25)? & INTEGRATED_SECURITY != 0,
        hostname: text(36)?,
        user: text(40)?,
        password: utf16le(&deobfuscate(field(44)?)),
        app: text(48)?,
        server: text(52)?,
        database: text(68)?,
        sspi,
    })
}

/// What a tabular result says about a login.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginAnswer {
    pub loginack: bool,
    /// The TDS version the `LOGINACK` agreed on.
    pub tds_version: Option<u32>,
    /// The first ERROR token: number and message.
    pub error: Option<(u32, String)>,
    /// The data of an SSPI token.
    pub sspi: Option<Vec<u8>>,
}

/// Walks the tokens of a tabular result up to the first one it cannot size.
pub fn login_answer(p: &[u8]) -> LoginAnswer {
    let mut a = LoginAnswer::default();
    let mut at = 0;
    while let Some(&token) = p.get(at) {
        let (len, data_at) = match token {
            TOKEN_ERROR | TOKEN_INFO | TOKEN_LOGINACK | TOKEN_ENVCHANGE | TOKEN_SSPI => {
                match le16(p, at + 1) {
                    Some(l) => (usize::from(l), at + 3),
                    None => break,
                }
            }
            TOKEN_FEDAUTHINFO => match le32(p, at + 1) {
                Some(l) => (l as usize, at + 5),
                None => break,
            },
            TOKEN_FEATUREEXTACK => {
                // (FeatureId, u32 length, data)* up to 0xFF.
                let mut i = at + 1;
                loop {
                    match p.get(i) {
                        Some(0xff) => break,
                        Some(_) => match le32(p, i + 1) {
                            Some(l) => i = i.saturating_add(5).saturating_add(l as usize),
                            None => return a,
                        },
                        None => return a,
                    }
                }
                (0, i + 1)
            }
            _ => break,
        };
        let Some(data) = p.get(data_at..data_at.saturating_add(len)) else {
            break;
        };
        match token {
            TOKEN_LOGINACK => {
                a.loginack = true;
                a.tds_version = be32(data, 1);
            }
            TOKEN_ERROR if a.error.is_none() => {
                let number = le32(data, 0).unwrap_or(0);
                let chars = usize::from(le16(data, 6).unwrap_or(0));
                let text = data.get(8..8 + 2 * chars).unwrap_or_default();
                a.error = Some((number, utf16le(text)));
            }
            TOKEN_SSPI => a.sspi = Some(data.to_vec()),
            _ => {}
        }
        at = data_at + len;
    }
    a
}

/// An error a server sent in answer to a request: number, severity class, message, the
/// procedure it came from (empty for the batch itself) and the line of the batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerError {
    pub number: u32,
    pub class: u8,
    pub text: String,
    pub procedure: String,
    pub line: u32,
}

/// What the answer to a SQL batch says: its errors, and whether it was read to its final
/// `DONE` (a result set's tokens are not sized here: reading stops at them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchAnswer {
    pub errors: Vec<ServerError>,
    pub complete: bool,
    /// A `DONEPROC` with no more results after it: an RPC request's last call answered.
    pub procedures_done: bool,
}

/// `DONE` status bit: more results follow.
const DONE_MORE: u16 = 0x0001;
/// `RETURNSTATUS`, `ORDER`, `TABNAME`, `COLINFO` tokens.
const TOKEN_RETURNSTATUS: u8 = 0x79;
/// An output parameter's value (`sp_prepexec`'s handle).
const TOKEN_RETURNVALUE: u8 = 0xac;
const TOKEN_ORDER: u8 = 0xa9;
const TOKEN_TABNAME: u8 = 0xa4;
const TOKEN_COLINFO: u8 = 0xa5;

/// Walks the answer to a batch (TDS 7.2 and later when `wide`: 8-byte row counts and
/// 4-byte line numbers).
pub fn batch_answer(p: &[u8], wide: bool) -> BatchAnswer {
    let mut a = BatchAnswer::default();
    let done_len = if wide { 12 } else { 8 };
    let mut at = 0;
    while let Some(&token) = p.get(at) {
        match token {
            TOKEN_DONE | TOKEN_DONEPROC | TOKEN_DONEINPROC => {
                let Some(status) = le16(p, at + 1) else {
                    break;
                };
                if token == TOKEN_DONE && status & DONE_MORE == 0 {
                    a.complete = true;
                    break;
                }
                if token == TOKEN_DONEPROC && status & DONE_MORE == 0 {
                    a.procedures_done = true;
                }
                at += 1 + done_len;
            }
            TOKEN_RETURNSTATUS => at += 5,
            TOKEN_RETURNVALUE => match tds_rpc::return_value_end(p, at, wide) {
                Some(end) => at = end,
                None => break,
            },
            TOKEN_ERROR | TOKEN_INFO | TOKEN_ENVCHANGE | TOKEN_ORDER | TOKEN_TABNAME
            | TOKEN_COLINFO => {
                let Some(len) = le16(p, at + 1).map(usize::from) else {
                    break;
                };
                let Some(data) = p.get(at + 3..at + 3 + len) else {
                    break;
                };
                if token == TOKEN_ERROR && a.errors.len() < 16 {
                    a.errors.push(server_error(data, wide));
                }
                at += 3 + len;
            }
            _ => break,
        }
    }
    a
}

/// An `ERROR` token's data.
fn server_error(d: &[u8], wide: bool) -> ServerError {
    let mut e = ServerError {
        number: le32(d, 0).unwrap_or(0),
        class: d.get(5).copied().unwrap_or(0),
        ..ServerError::default()
    };
    let chars = usize::from(le16(d, 6).unwrap_or(0));
    e.text = utf16le(d.get(8..8 + 2 * chars).unwrap_or_default());
    let mut at = 8 + 2 * chars;
    // Server name, then procedure name (B_VARCHAR), then the line number.
    let server = usize::from(d.get(at).copied().unwrap_or(0));
    at += 1 + 2 * server;
    let procedure = usize::from(d.get(at).copied().unwrap_or(0));
    e.procedure = utf16le(d.get(at + 1..at + 1 + 2 * procedure).unwrap_or_default());
    at += 1 + 2 * procedure;
    e.line = if wide {
        le32(d, at).unwrap_or(0)
    } else {
        le16(d, at).map_or(0, u32::from)
    };
    e
}

/// The SQL text of a `SQL_BATCH` message: after its `ALL_HEADERS` (TDS 7.2 and later: a
/// total length, then headers of their own lengths), UTF-16LE.
pub fn batch_text(p: &[u8]) -> String {
    let skip = match (le32(p, 0), le32(p, 4)) {
        (Some(total), Some(first))
            if total >= 4 + 6 && total as usize <= p.len() && first >= 6 && first <= total - 4 =>
        {
            total as usize
        }
        _ => 0,
    };
    utf16le(&p[skip..p.len().min(skip + (64 << 10) * 2)])
}

/// Where the fields of a TDS 4.2/5.0 login record start. Host name, user name, password,
/// host process, application and server name are 30 bytes each, their length in the byte
/// after; the client library's name 10 bytes.
const REC_HOSTNAME: usize = 0;
const REC_USER: usize = 31;
const REC_PASSWORD: usize = 62;
const REC_HOSTPROC: usize = 93;
const REC_APPNAME: usize = 140;
const REC_SERVNAME: usize = 171;
const REC_TDS_VERSION: usize = 458;
const REC_PROGNAME: usize = 462;
/// `lseclogin`: how the client wants to log in (bits asking to encrypt the password).
const REC_SECLOGIN: usize = 514;
/// The shortest record read: up to `lprogvers` (4.2 and 5.0 records are 568 bytes).
const REC_MIN: usize = 477;
/// `lseclogin` bits that keep the password out of the record (`TDS_SEC_LOG_ENCRYPT`,
/// `ENCRYPT2`, `ENCRYPT3`).
const SEC_LOG_ENCRYPT: u8 = 0x01 | 0x20 | 0x80;
/// The data representations a record declares (`lint2`, `lint4`, `lchar`, `lflt`,
/// `ldate`) and the values each may take: big- or little-endian integers (2/3, 0/1),
/// ASCII or EBCDIC, IEEE (either order), VAX or ND5000 floats, dates either way.
const REC_FORMATS: [(usize, &[u8]); 5] = [
    (124, &[2, 3]),
    (125, &[0, 1]),
    (126, &[6, 7]),
    (127, &[4, 5, 10, 11]),
    (128, &[8, 9]),
];
/// `lint2` for little-endian integers.
const INT2_LSB_LO: u8 = 3;

/// Whether the start of a login record holds together: the four first fields' lengths
/// within their 30 bytes, then each representation byte one its list allows. Yes once all
/// are there, Maybe while some are still to come.
fn record_shape(r: &[u8]) -> Probe {
    for at in [REC_HOSTNAME, REC_USER, REC_PASSWORD, REC_HOSTPROC] {
        match r.get(at + 30) {
            Some(&n) if n > 30 => return Probe::No,
            Some(_) => {}
            None => return Probe::Maybe,
        }
    }
    for (at, allowed) in REC_FORMATS {
        match r.get(at) {
            Some(b) if !allowed.contains(b) => return Probe::No,
            Some(_) => {}
            None => return Probe::Maybe,
        }
    }
    Probe::Yes
}

/// The fields of a TDS 4.2/5.0 login record that plainsight reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginRecord<'a> {
    pub hostname: &'a [u8],
    pub user: &'a [u8],
    /// The password as sent (empty when it is to be sent encrypted).
    pub password: &'a [u8],
    pub app: &'a [u8],
    pub server: &'a [u8],
    /// The client library (`lprogname`: `TDS-Library`, `CT-Library`, `jConnect`...).
    pub library: &'a [u8],
    /// `ltdsversion`: 5.0.0.0, 4.2.0.0...
    pub tds_version: [u8; 4],
    /// The client's integers, and so the server's answer, are little-endian.
    pub little_endian: bool,
    /// `lseclogin` asks for the password to be sent encrypted, after the record.
    pub encrypted_password: bool,
}

/// A 30-byte (or `size`-byte) field at `at` cut to the length in the byte after it.
fn record_field(r: &[u8], at: usize, size: usize) -> Option<&[u8]> {
    let len = usize::from(*r.get(at + size)?);
    r.get(at..at + len.min(size))
}

/// Parses a TDS 4.2/5.0 login record (the payload of its packets).
pub fn parse_login_record(r: &[u8]) -> Option<LoginRecord<'_>> {
    if r.len() < REC_MIN || record_shape(r) != Probe::Yes {
        return None;
    }
    Some(LoginRecord {
        hostname: record_field(r, REC_HOSTNAME, 30)?,
        user: record_field(r, REC_USER, 30)?,
        password: record_field(r, REC_PASSWORD, 30)?,
        app: record_field(r, REC_APPNAME, 30)?,
        server: record_field(r, REC_SERVNAME, 30)?,
        library: record_field(r, REC_PROGNAME, 10)?,
        tds_version: r
            .get(REC_TDS_VERSION..REC_TDS_VERSION + 4)?
            .try_into()
            .ok()?,
        little_endian: r[REC_FORMATS[0].0] == INT2_LSB_LO,
        encrypted_password: r
            .get(REC_SECLOGIN)
            .is_some_and(|&s| s & SEC_LOG_ENCRYPT != 0),
    })
}

/// The mechanism a record's TDS version names: `TDS 5.0 login`, `TDS 4.2 login`.
fn record_mechanism(version: [u8; 4]) -> String {
    format!("TDS {}.{} login", version[0], version[1])
}

/// What a TDS 4.2/5.0 server's answer to a login record says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordAnswer {
    /// The first `LOGINACK`'s status.
    pub ack: Option<u8>,
    /// The first error: an `ERROR` token, or an `EED` of severity 11 or more (number and
    /// message; an `EED` of severity 10 is information, such as a changed database).
    pub error: Option<(u32, String)>,
}

/// Walks the tokens of a TDS 4.2/5.0 answer, whose integers are in the order the login
/// record asked for, up to the first one it cannot size.
pub fn record_answer(p: &[u8], little_endian: bool) -> RecordAnswer {
    let u16_at = |b: &[u8], at| {
        if little_endian {
            le16(b, at)
        } else {
            be16(b, at)
        }
    };
    let u32_at = |b: &[u8], at| {
        if little_endian {
            le32(b, at)
        } else {
            be32(b, at)
        }
    };
    let message = |b: &[u8], number_at: usize, len_at: usize| -> Option<(u32, String)> {
        let number = u32_at(b, number_at)?;
        let len = usize::from(u16_at(b, len_at)?);
        let text = b.get(len_at + 2..(len_at + 2 + len).min(b.len()))?;
        let text: String = String::from_utf8_lossy(text)
            .trim_end()
            .chars()
            .take(MAX_DIAGNOSTIC)
            .collect();
        Some((number, text))
    };
    let mut a = RecordAnswer::default();
    let mut at = 0;
    while let Some(&token) = p.get(at) {
        let (len, data_at) = match token {
            TOKEN_ERROR | TOKEN_INFO | TOKEN_LOGINACK | TOKEN_ENVCHANGE | TOKEN_EED
            | TOKEN_CAPABILITY | TOKEN_PARAMFMT => match u16_at(p, at + 1) {
                Some(l) => (usize::from(l), at + 3),
                None => break,
            },
            TOKEN_MSG => match p.get(at + 1) {
                Some(&l) => (usize::from(l), at + 2),
                None => break,
            },
            TOKEN_DONE | TOKEN_DONEPROC | TOKEN_DONEINPROC => (8, at + 1),
            _ => break,
        };
        let Some(data) = p.get(data_at..data_at + len) else {
            break;
        };
        match token {
            TOKEN_LOGINACK if a.ack.is_none() => a.ack = data.first().copied(),
            // Number, state, class, then the message (2-byte length).
            TOKEN_ERROR if a.error.is_none() => a.error = message(data, 0, 6),
            // Number, state, class, SQL state (1-byte length), status, transaction
            // state, then the message.
            TOKEN_EED if a.error.is_none() && data.get(5).is_some_and(|&c| c >= 11) => {
                if let Some(&state_len) = data.get(6) {
                    a.error = message(data, 0, 7 + usize::from(state_len) + 3);
                }
            }
            _ => {}
        }
        at = data_at + len;
    }
    a
}

/// TDS 4.2/5.0 when the client's first packet is a login record whose first fields hold
/// together (see [`record_shape`]); the client silent, a tabular result is only Maybe.
pub fn login_record_probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            header(to_client, &[TABULAR_RESULT])
        };
    }
    match header(to_server, &[LOGIN]) {
        Probe::Maybe => {}
        other => return other,
    }
    let Some(len) = be16(to_server, 2) else {
        return Probe::Maybe;
    };
    let end = to_server.len().min(usize::from(len));
    record_shape(to_server.get(8..end).unwrap_or_default())
}

/// TDS 7.2: `DONE` row counts of 8 bytes and error line numbers of 4 from here on.
const TDS_7_2: u32 = 0x7209_0002;
/// TLS's application data content type (a record of a login encrypted alone).
const TLS_APPLICATION_DATA: u8 = 0x17;

/// TDS versions a `LOGIN7` may carry (7.0 to 7.4).
const TDS_VERSIONS: &[u32] = &[
    0x7000_0000,
    0x7100_0000,
    0x7100_0001,
    0x7209_0002,
    0x730a_0003,
    0x730b_0003,
    0x7400_0004,
];

/// Whether `b` starts with a plausible TDS packet header of one of `types`.
fn header(b: &[u8], types: &[u8]) -> Probe {
    let Some(&t) = b.first() else {
        return Probe::Maybe;
    };
    if !types.contains(&t) {
        return Probe::No;
    }
    let Some(h) = b.get(..8) else {
        return Probe::Maybe;
    };
    let len = u16::from_be_bytes([h[2], h[3]]);
    // Status bits beyond EOM, ignore, reset connection (0x1F); a length; the window is 0.
    if h[1] & !0x1f != 0 || !(8..=32768).contains(&len) || h[7] != 0 {
        return Probe::No;
    }
    Probe::Maybe
}

/// TDS when the client's first message is a `PRELOGIN` whose option list holds together
/// (VERSION first, offsets inside the packet) or a `LOGIN7` of a known TDS version. Other
/// client packets (a capture that starts later) and, the client silent, a tabular result
/// are only Maybe.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if looks_like_tls(to_server) {
        return Probe::No;
    }
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            header(to_client, &[TABULAR_RESULT])
        };
    }
    let h = header(
        to_server,
        &[
            PRELOGIN,
            LOGIN7,
            SQL_BATCH,
            RPC,
            ATTENTION,
            BULK_LOAD,
            TRANSACTION_MANAGER,
            SSPI,
        ],
    );
    if h != Probe::Maybe || to_server.len() < 8 {
        return h;
    }
    let len = usize::from(be16(to_server, 2).unwrap_or(0));
    let payload = &to_server[8..to_server.len().min(len)];
    match to_server[0] {
        PRELOGIN => {
            if payload.first().is_some_and(|&t| t != OPTION_VERSION) {
                return Probe::No;
            }
            if to_server.len() < len {
                return Probe::Maybe;
            }
            match prelogin_options(payload) {
                Some(opts) if opts.first().is_some_and(|(_, d)| d.len() == 6) => Probe::Yes,
                _ => Probe::No,
            }
        }
        LOGIN7 => match le32(payload, 4) {
            Some(v) if TDS_VERSIONS.contains(&v) => Probe::Yes,
            Some(_) => Probe::No,
            None => Probe::Maybe,
        },
        _ => Probe::Maybe,
    }
}

/// Reassembles one direction's packets into messages.
#[derive(Debug, Default)]
struct Assembler {
    kind: u8,
    payload: Vec<u8>,
    frames: Vec<u64>,
    /// The message outgrew the cap: dropped up to its last packet.
    overflow: bool,
}

impl Assembler {
    fn buffered(&self) -> usize {
        self.payload.capacity() + self.frames.capacity() * 8
    }

    /// Adds a packet; the whole message when this was its last packet.
    fn packet(&mut self, p: &[u8], frames: &[u64]) -> Option<(u8, Vec<u8>, Vec<u64>)> {
        let (&kind, _) = p.split_first()?;
        let status = p.get(1).copied().unwrap_or(END_OF_MESSAGE);
        if self.payload.is_empty() && self.frames.is_empty() {
            self.kind = kind;
        }
        let data = p.get(8..).unwrap_or_default();
        if self.overflow || self.payload.len() + data.len() > MAX_ASSEMBLED {
            self.overflow = true;
            self.payload = Vec::new();
        } else {
            self.payload.extend_from_slice(data);
        }
        for &f in frames {
            if self.frames.last() != Some(&f) && self.frames.len() < 32 {
                self.frames.push(f);
            }
        }
        if status & END_OF_MESSAGE == 0 {
            return None;
        }
        let overflow = std::mem::take(&mut self.overflow);
        let payload = std::mem::take(&mut self.payload);
        let frames = std::mem::take(&mut self.frames);
        // An outgrown message is still one message (an answer each request gets): empty.
        let payload = if overflow { Vec::new() } else { payload };
        Some((self.kind, payload, frames))
    }
}

#[derive(Debug, Default)]
struct Session {
    /// The client's PRELOGIN asked for this encryption.
    client_encryption: Option<u8>,
    /// A PRELOGIN waits for its answer.
    prelogin_pending: bool,
    /// The credential of a LOGIN7 waiting for the verdict.
    pending: Option<Credential>,
    /// A LOGIN7 (or SSPI message) waits for its answer.
    login_sent: bool,
    ntlm_challenge: Option<[u8; 8]>,
    /// A TDS 4.2/5.0 login record was sent: the answer's integers are little-endian.
    record_little_endian: Option<bool>,
    /// Both sides said `ENCRYPT_OFF`: TLS protects the `LOGIN7` message alone, the rest
    /// of the session is in the clear.
    login_only_tls: bool,
    /// TLS records the client sent for its login encrypted alone.
    tls_records: u32,
    /// The TDS version of the `LOGIN7`, then of the `LOGINACK`.
    tds_version: Option<u32>,
    /// The login's user name and database, when it was in the clear.
    user: Option<Vec<u8>>,
    database: Option<Vec<u8>>,
    /// After a successful login: the client's requests are read for passwords.
    after: Option<AfterLogin>,
    done: bool,
}

/// TLS records a login encrypted alone may take (a LOGIN7 fits in one or two).
const MAX_LOGIN_RECORDS: u32 = 8;
/// How many client messages after a login are read for passwords in SQL batches.
const AFTER_LOGIN_BUDGET: u16 = 256;
/// Most requests waiting for their answers.
const MAX_WAITING: usize = 16;
/// The "line" of a password an RPC call set: any error in the answer is about it.
const ANY_LINE: u32 = u32::MAX;

/// The requests after a login: how many more are read, and those waiting for an answer
/// (each request gets one tabular result), with the passwords their SQL set.
#[derive(Debug)]
struct AfterLogin {
    budget: u16,
    waiting: std::collections::VecDeque<Vec<Credential>>,
    lines: std::collections::VecDeque<Vec<u32>>,
}

impl Session {
    fn client(
        &mut self,
        kind: u8,
        p: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        if self.after.is_some() {
            self.request(kind, p, frames, ts, out);
            return;
        }
        match kind {
            PRELOGIN => {
                if looks_like_tls(p) {
                    // The TLS handshake, inside PRELOGIN packets: LOGIN7 will be encrypted
                    // (and with it the whole session, unless both sides said ENCRYPT_OFF).
                    if !self.login_only_tls {
                        self.done = true;
                    }
                    return;
                }
                self.client_encryption = prelogin_encryption(p);
                self.prelogin_pending = true;
            }
            TLS_APPLICATION_DATA if self.login_only_tls => {
                // The LOGIN7 message, encrypted alone (a few records at most: a session
                // that stays in TLS is encrypted after all, and given up).
                self.login_sent = true;
                self.tls_records += 1;
                if self.tls_records > MAX_LOGIN_RECORDS {
                    self.done = true;
                }
            }
            LOGIN7 => {
                let Some(l) = parse_login7(p) else { return };
                if let Some(old) = self.pending.take() {
                    out.push(old);
                }
                self.login_sent = true;
                self.tds_version = Some(l.tds_version);
                self.user = (!l.user.is_empty()).then(|| l.user.clone().into_bytes());
                self.database = (!l.database.is_empty()).then(|| l.database.clone().into_bytes());
                if l.integrated_security || (l.user.is_empty() && l.password.is_empty()) {
                    if matches!(ntlmssp::find(&l.sspi), Some(ntlmssp::Message::Negotiate)) {
                        self.ntlm_challenge = None;
                    }
                    return;
                }
                let mut c = Credential::new("mssql", "LOGIN7", Kind::Cleartext, ts);
                c.username = Some(l.user.into_bytes());
                c.secret = Some(l.password.into_bytes());
                c.add_frames(frames.iter().copied());
                for (key, value) in [
                    ("hostname", l.hostname),
                    ("application", l.app),
                    ("server_name", l.server),
                    ("database", l.database),
                ] {
                    if !value.is_empty() {
                        c.details.push((key, value));
                    }
                }
                c.details.push((
                    "note",
                    "LOGIN7 password obfuscation (nibble swap, XOR 0xA5) reversed".to_string(),
                ));
                self.pending = Some(c);
            }
            LOGIN => {
                let Some(r) = parse_login_record(p) else {
                    return;
                };
                if let Some(old) = self.pending.take() {
                    out.push(old);
                }
                self.login_sent = true;
                self.record_little_endian = Some(r.little_endian);
                if r.user.is_empty() || (r.password.is_empty() && r.encrypted_password) {
                    return;
                }
                let mechanism = record_mechanism(r.tds_version);
                let mut c = Credential::new("sybase", mechanism, Kind::Cleartext, ts);
                c.username = Some(r.user.to_vec());
                c.secret = Some(r.password.to_vec());
                c.add_frames(frames.iter().copied());
                for (key, value) in [
                    ("hostname", r.hostname),
                    ("application", r.app),
                    ("server_name", r.server),
                    ("library", r.library),
                ] {
                    if !value.is_empty() {
                        c.details
                            .push((key, String::from_utf8_lossy(value).into_owned()));
                    }
                }
                self.pending = Some(c);
            }
            SSPI => {
                if let Some(ntlmssp::Message::Authenticate(a)) = ntlmssp::find(p)
                    && let Some(mut c) = a.credential("mssql", "SSPI NTLM", self.ntlm_challenge, ts)
                {
                    c.add_frames(frames.iter().copied());
                    if let Some(old) = self.pending.replace(c) {
                        out.push(old);
                    }
                    self.login_sent = true;
                }
            }
            _ => {}
        }
    }

    fn server(&mut self, kind: u8, p: &[u8], out: &mut Vec<Credential>) {
        if kind != TABULAR_RESULT {
            return;
        }
        if self.after.is_some() {
            self.answer(p, out);
            return;
        }
        if self.prelogin_pending {
            self.prelogin_pending = false;
            if let Some(server) = prelogin_encryption(p) {
                let server = server & 0x0f;
                let client = self.client_encryption.map(|c| c & 0x0f);
                let clear = server == ENCRYPT_NOT_SUP
                    || (client == Some(ENCRYPT_NOT_SUP) && server == ENCRYPT_OFF);
                self.login_only_tls = server == ENCRYPT_OFF && client == Some(ENCRYPT_OFF);
                if !clear && !self.login_only_tls {
                    self.done = true;
                }
                return;
            }
        }
        if !self.login_sent {
            return;
        }
        if let Some(little_endian) = self.record_little_endian {
            let a = record_answer(p, little_endian);
            let outcome = match (a.ack, &a.error) {
                (Some(LOG_SUCCEED | LOG_SUCCEED_42), _) => Outcome::Success,
                (Some(LOG_FAIL), _) | (None, Some(_)) => Outcome::Failure,
                // LOG_NEGOTIATE: the encrypted password is still to come.
                _ => return,
            };
            self.judge(outcome, a.error, out);
            return;
        }
        let a = login_answer(p);
        if a.tds_version.is_some() {
            self.tds_version = a.tds_version;
        }
        if let Some(Some(ntlmssp::Message::Challenge { challenge })) =
            a.sspi.as_deref().map(ntlmssp::find)
        {
            self.ntlm_challenge = Some(challenge);
        }
        let outcome = if a.loginack {
            Outcome::Success
        } else if a.error.is_some() {
            Outcome::Failure
        } else {
            return; // an SSPI round trip, or nothing about the login
        };
        self.judge(outcome, a.error, out);
    }

    /// The server's verdict on the login: the pending credential is complete, and the
    /// inspection ends.
    fn judge(&mut self, outcome: Outcome, error: Option<(u32, String)>, out: &mut Vec<Credential>) {
        if let Some(mut c) = self.pending.take() {
            c.outcome = outcome;
            if let (Outcome::Failure, Some((number, text))) = (outcome, &error) {
                let text: String = text.chars().take(MAX_DIAGNOSTIC).collect();
                c.details.push(("diagnostic", format!("{number} {text}")));
            }
            out.push(c);
        }
        // After a Microsoft SQL Server login, its SQL batches (in the clear even when the
        // login was encrypted alone).
        if outcome == Outcome::Success && self.record_little_endian.is_none() {
            self.after = Some(AfterLogin {
                budget: AFTER_LOGIN_BUDGET,
                waiting: Default::default(),
                lines: Default::default(),
            });
        } else {
            self.done = true;
        }
    }

    /// A client request after the login: a SQL batch's passwords wait for its answer.
    fn request(
        &mut self,
        kind: u8,
        p: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let Some(after) = self.after.as_mut() else {
            return;
        };
        match kind {
            SQL_BATCH | RPC | TRANSACTION_MANAGER | BULK_LOAD => {}
            ATTENTION => {
                // The running request is cancelled: what it set is unknown.
                for batch in after.waiting.drain(..) {
                    out.extend(batch);
                }
                after.lines.clear();
                return;
            }
            _ => return,
        }
        if after.budget == 0 {
            return;
        }
        after.budget -= 1;
        let mut found = Vec::new();
        let mut lines = Vec::new();
        if kind == RPC {
            for call in tds_rpc::calls(p) {
                let Some(text) = tds_rpc::text(&call) else {
                    continue;
                };
                for s in sql::passwords(text.as_bytes(), sql::Dialect::Tsql) {
                    // An RPC's errors name the procedure's lines, not the call's.
                    lines.push(ANY_LINE);
                    let mut c = s.credential(
                        "mssql",
                        self.user.as_deref(),
                        self.database.as_deref(),
                        frames,
                        ts,
                    );
                    c.details.push(("rpc", call.procedure.clone()));
                    found.push(c);
                }
            }
        }
        if kind == SQL_BATCH {
            let text = batch_text(p);
            for s in sql::passwords(text.as_bytes(), sql::Dialect::Tsql) {
                lines.push(s.line);
                found.push(s.credential(
                    "mssql",
                    self.user.as_deref(),
                    self.database.as_deref(),
                    frames,
                    ts,
                ));
            }
        }
        if after.waiting.len() >= MAX_WAITING
            && let Some(old) = after.waiting.pop_front()
        {
            after.lines.pop_front();
            out.extend(old);
        }
        after.waiting.push_back(found);
        after.lines.push_back(lines);
    }

    /// The answer to the oldest waiting request: its passwords judged by the errors of
    /// their lines.
    fn answer(&mut self, p: &[u8], out: &mut Vec<Credential>) {
        let wide = self.tds_version.is_none_or(|v| v >= TDS_7_2);
        let Some(after) = self.after.as_mut() else {
            return;
        };
        let (Some(batch), Some(lines)) = (after.waiting.pop_front(), after.lines.pop_front())
        else {
            return;
        };
        if !batch.is_empty() {
            let a = batch_answer(p, wide);
            for (mut c, line) in batch.into_iter().zip(lines) {
                let error = a.errors.iter().find(|e| {
                    (e.line == line && e.procedure.is_empty()) || (line == ANY_LINE && e.class > 10)
                });
                c.outcome = match error {
                    Some(e) => {
                        let text: String = e.text.chars().take(MAX_DIAGNOSTIC).collect();
                        c.details
                            .push(("diagnostic", format!("{} {text}", e.number)));
                        Outcome::Failure
                    }
                    None if a.complete && a.errors.is_empty() => Outcome::Success,
                    None if line == ANY_LINE && a.procedures_done && a.errors.is_empty() => {
                        Outcome::Success
                    }
                    None => Outcome::Unknown,
                };
                out.push(c);
            }
        }
        if after.budget == 0 && after.waiting.is_empty() {
            self.done = true;
        }
    }
}

/// The TDS dissector of one connection.
#[derive(Debug)]
pub struct Tds {
    framers: [Framer; 2],
    messages: [Assembler; 2],
    session: Session,
}

impl Default for Tds {
    fn default() -> Self {
        Tds {
            framers: [Framer::new(MAX_PACKET), Framer::new(MAX_PACKET)],
            messages: [Assembler::default(), Assembler::default()],
            session: Session::default(),
        }
    }
}

impl Dissector for Tds {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.done {
            return;
        }
        let framer = &mut self.framers[dir.index()];
        let a = &mut self.messages[dir.index()];
        if framer.at_boundary()
            && a.payload.is_empty()
            && !s.login_only_tls
            && looks_like_tls(chunk.data)
        {
            // TLS first (TDS 8.0), or after a negotiation the capture missed.
            s.done = true;
            return;
        }
        framer.push(chunk);
        while !s.done {
            let Some(packet) = framer.next(measure) else {
                break;
            };
            let ts = packet.ts;
            let Some((kind, payload, frames)) = a.packet(packet.bytes, &packet.frames) else {
                continue;
            };
            match dir {
                Direction::ToServer => s.client(kind, &payload, &frames, ts, out),
                Direction::ToClient => s.server(kind, &payload, out),
            }
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
        let a = &mut self.messages[dir.index()];
        // The message being assembled has a hole.
        a.overflow = !a.payload.is_empty() || !a.frames.is_empty();
        a.payload = Vec::new();
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.session.pending.take() {
            out.push(c);
        }
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self.messages.iter().map(Assembler::buffered).sum::<usize>()
            + usize::from(self.session.pending.is_some()) * 512
            + self
                .session
                .after
                .as_ref()
                .map_or(0, |a| a.waiting.iter().map(Vec::len).sum::<usize>() * 512)
    }
}

/// Encoders of TDS messages, for tests and fixtures.
pub mod build {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// One packet of a message (`last`: the end-of-message status bit).
    pub fn packet(kind: u8, id: u8, last: bool, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![kind, u8::from(last)];
        p.extend_from_slice(&(payload.len() as u16 + 8).to_be_bytes());
        p.extend_from_slice(&[0, 0, id, 0]);
        p.extend_from_slice(payload);
        p
    }

    /// A `PRELOGIN` payload: VERSION, ENCRYPTION, INSTOPT, THREADID, MARS.
    pub fn prelogin(encryption: u8) -> Vec<u8> {
        let data: [&[u8]; 5] = [
            &[15, 0, 0x07, 0xd0, 0, 0],
            &[encryption],
            &[0],
            &[0, 0, 0x12, 0x34],
            &[0],
        ];
        let mut header = Vec::new();
        let mut body = Vec::new();
        let mut offset = 5 * data.len() + 1;
        for (token, d) in data.iter().enumerate() {
            header.push(token as u8);
            header.extend_from_slice(&(offset as u16).to_be_bytes());
            header.extend_from_slice(&(d.len() as u16).to_be_bytes());
            body.extend_from_slice(d);
            offset += d.len();
        }
        header.push(OPTION_TERMINATOR);
        [header, body].concat()
    }

    /// A `LOGIN7` payload (TDS 7.4) with these strings.
    pub fn login7(
        host: &str,
        user: &str,
        password: &str,
        app: &str,
        server: &str,
        database: &str,
    ) -> Vec<u8> {
        login7_with(host, user, password, app, server, database, 0, &[])
    }

    /// A `LOGIN7` payload with `OptionFlags2` and SSPI data.
    #[allow(clippy::too_many_arguments)]
    pub fn login7_with(
        host: &str,
        user: &str,
        password: &str,
        app: &str,
        server: &str,
        database: &str,
        flags2: u8,
        sspi: &[u8],
    ) -> Vec<u8> {
        let mut fixed = Vec::new();
        fixed.extend_from_slice(&0u32.to_le_bytes()); // length, set below
        fixed.extend_from_slice(&0x7400_0004u32.to_le_bytes());
        fixed.extend_from_slice(&4096u32.to_le_bytes());
        fixed.extend_from_slice(&0x0700_0000u32.to_le_bytes());
        fixed.extend_from_slice(&4242u32.to_le_bytes());
        fixed.extend_from_slice(&0u32.to_le_bytes());
        fixed.extend_from_slice(&[0xe0, 0x03 | flags2, 0, 0]);
        fixed.extend_from_slice(&0u32.to_le_bytes());
        fixed.extend_from_slice(&0x0409u32.to_le_bytes());
        let strings: Vec<Vec<u8>> = [host, user, "", app, server, "", "plainsight", "", database]
            .iter()
            .map(|s| utf16(s))
            .collect();
        let mut data = Vec::new();
        let mut offsets = Vec::new();
        let base = 94;
        for (i, s) in strings.iter().enumerate() {
            let bytes = if i == 2 {
                obfuscate(&utf16(password))
            } else {
                s.clone()
            };
            let chars = if i == 2 {
                password.encode_utf16().count()
            } else {
                s.len() / 2
            };
            offsets.extend_from_slice(&((base + data.len()) as u16).to_le_bytes());
            offsets.extend_from_slice(&(chars as u16).to_le_bytes());
            data.extend_from_slice(&bytes);
        }
        offsets.extend_from_slice(&[0x00, 0x50, 0x8b, 0xe3, 0xb7, 0x8f]); // ClientID
        offsets.extend_from_slice(&((base + data.len()) as u16).to_le_bytes());
        offsets.extend_from_slice(&(sspi.len() as u16).to_le_bytes());
        data.extend_from_slice(sspi);
        for _ in 0..2 {
            offsets.extend_from_slice(&((base + data.len()) as u16).to_le_bytes());
            offsets.extend_from_slice(&0u16.to_le_bytes());
        }
        offsets.extend_from_slice(&0u32.to_le_bytes()); // cbSSPILong
        let mut p = [fixed, offsets, data].concat();
        let len = p.len() as u32;
        p[..4].copy_from_slice(&len.to_le_bytes());
        p
    }

    /// A `LOGINACK` token and a DONE token.
    pub fn loginack() -> Vec<u8> {
        let name = utf16("Microsoft SQL Server");
        let mut body = vec![1];
        body.extend_from_slice(&0x7400_0004u32.to_be_bytes());
        body.push((name.len() / 2) as u8);
        body.extend_from_slice(&name);
        body.extend_from_slice(&[16, 0, 0x10, 0x5e]);
        let mut t = vec![TOKEN_LOGINACK];
        t.extend_from_slice(&(body.len() as u16).to_le_bytes());
        t.extend_from_slice(&body);
        [envchange(), t, done()].concat()
    }

    /// An ENVCHANGE token (database).
    pub fn envchange() -> Vec<u8> {
        let new = utf16("master");
        let mut body = vec![1, (new.len() / 2) as u8];
        body.extend_from_slice(&new);
        body.push(0);
        let mut t = vec![TOKEN_ENVCHANGE];
        t.extend_from_slice(&(body.len() as u16).to_le_bytes());
        t.extend_from_slice(&body);
        t
    }

    /// An ERROR token and a DONE token.
    pub fn error(number: u32, text: &str) -> Vec<u8> {
        let msg = utf16(text);
        let mut body = number.to_le_bytes().to_vec();
        body.extend_from_slice(&[1, 14]);
        body.extend_from_slice(&((msg.len() / 2) as u16).to_le_bytes());
        body.extend_from_slice(&msg);
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&1u32.to_le_bytes());
        let mut t = vec![TOKEN_ERROR];
        t.extend_from_slice(&(body.len() as u16).to_le_bytes());
        t.extend_from_slice(&body);
        [t, done()].concat()
    }

    /// An SSPI token.
    pub fn sspi_token(data: &[u8]) -> Vec<u8> {
        let mut t = vec![TOKEN_SSPI];
        t.extend_from_slice(&(data.len() as u16).to_le_bytes());
        t.extend_from_slice(data);
        t
    }

    /// A `SQL_BATCH` payload: `ALL_HEADERS` with a transaction descriptor (TDS 7.2 and
    /// later), then the text in UTF-16LE.
    pub fn sql_batch(text: &str) -> Vec<u8> {
        let mut p = 22u32.to_le_bytes().to_vec();
        p.extend_from_slice(&18u32.to_le_bytes());
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&utf16(text));
        p
    }

    /// An ERROR token of severity `class` from line `line` of the batch (TDS 7.2 and
    /// later), and a final DONE token with its error bit.
    pub fn error_at(number: u32, class: u8, text: &str, line: u32) -> Vec<u8> {
        let mut t = error_token(number, class, text, "", line);
        t.extend_from_slice(&[TOKEN_DONE, 0x02, 0, 0, 0]);
        t.extend_from_slice(&[0; 8]);
        t
    }

    /// An ERROR token (TDS 7.2 and later) raised on `line` of `procedure` (empty: of the
    /// batch).
    fn error_token(number: u32, class: u8, text: &str, procedure: &str, line: u32) -> Vec<u8> {
        let msg = utf16(text);
        let mut body = number.to_le_bytes().to_vec();
        body.extend_from_slice(&[1, class]);
        body.extend_from_slice(&((msg.len() / 2) as u16).to_le_bytes());
        body.extend_from_slice(&msg);
        for name in ["SQL1", procedure] {
            let name = utf16(name);
            body.push((name.len() / 2) as u8);
            body.extend_from_slice(&name);
        }
        body.extend_from_slice(&line.to_le_bytes());
        let mut t = vec![TOKEN_ERROR];
        t.extend_from_slice(&(body.len() as u16).to_le_bytes());
        t.extend_from_slice(&body);
        t
    }

    /// The answer to an RPC call: an ERROR token raised in `procedure` when `error` says
    /// so, its RETURNSTATUS, and the final DONEPROC (with its error bit after an error).
    pub fn rpc_answer(error: Option<(u32, &str)>, procedure: &str) -> Vec<u8> {
        let mut t = Vec::new();
        if let Some((number, text)) = error {
            t = error_token(number, 16, text, procedure, 7);
        }
        t.push(TOKEN_RETURNSTATUS);
        t.extend_from_slice(&i32::from(error.is_some()).to_le_bytes());
        t.push(TOKEN_DONEPROC);
        t.extend_from_slice(&(if error.is_some() { 2u16 } else { 0 }).to_le_bytes());
        t.extend_from_slice(&[0; 10]);
        t
    }

    /// A final DONE token: the request ran.
    pub fn done_final() -> Vec<u8> {
        done()
    }

    fn done() -> Vec<u8> {
        let mut t = vec![0xfd, 0, 0, 0, 0];
        t.extend_from_slice(&[0; 8]);
        t
    }

    /// A TDS 4.2/5.0 login record as FreeTDS writes it: `version` 4.2 or 5.0, integers
    /// little- or big-endian, the password field left empty when `encrypt` asks for it to
    /// be sent encrypted.
    pub fn login_record(
        host: &str,
        user: &str,
        password: &str,
        app: &str,
        version: [u8; 2],
        little_endian: bool,
        encrypt: bool,
    ) -> Vec<u8> {
        fn put(r: &mut [u8], at: usize, size: usize, value: &[u8]) {
            let n = value.len().min(size);
            r[at..at + n].copy_from_slice(&value[..n]);
            r[at + size] = n as u8;
        }
        let mut r = vec![0u8; 568];
        put(&mut r, REC_HOSTNAME, 30, host.as_bytes());
        put(&mut r, REC_USER, 30, user.as_bytes());
        if !encrypt {
            put(&mut r, REC_PASSWORD, 30, password.as_bytes());
        }
        put(&mut r, REC_HOSTPROC, 30, b"4242");
        let int2 = if little_endian { 3 } else { 2 };
        r[124..133].copy_from_slice(&[int2, int2 - 2, 6, 10, 9, 1, 0, 0, 0]);
        put(&mut r, REC_APPNAME, 30, app.as_bytes());
        put(&mut r, REC_SERVNAME, 30, b"ASE01");
        // lrempw: no server name, the same password.
        if !encrypt {
            r[202] = 0;
            r[203] = password.len() as u8;
            r[204..204 + password.len()].copy_from_slice(password.as_bytes());
            r[457] = password.len() as u8 + 2;
        }
        r[REC_TDS_VERSION..REC_TDS_VERSION + 2].copy_from_slice(&version);
        put(&mut r, REC_PROGNAME, 10, b"CT-Library");
        r[473..477].copy_from_slice(&[16, 0, 0, 0]);
        r[478..480].copy_from_slice(&[13, 17]);
        put(&mut r, 480, 30, b"us_english");
        if encrypt {
            r[REC_SECLOGIN] = 0x01;
        }
        put(&mut r, 525, 30, b"utf8");
        put(&mut r, 557, 6, b"512");
        r
    }

    /// A TDS 4.2/5.0 login record in 512-byte packets, as a client sends it.
    pub fn login_record_packets(record: &[u8]) -> Vec<u8> {
        let chunks: Vec<&[u8]> = record.chunks(504).collect();
        let mut out = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            out.extend(packet(LOGIN, 0, i + 1 == chunks.len(), c));
        }
        out
    }

    /// A TDS 4.2/5.0 token with a 2-byte length in the client's byte order.
    fn token(id: u8, body: &[u8], little_endian: bool) -> Vec<u8> {
        let len = body.len() as u16;
        let mut t = vec![id];
        t.extend_from_slice(&if little_endian {
            len.to_le_bytes()
        } else {
            len.to_be_bytes()
        });
        t.extend_from_slice(body);
        t
    }

    /// A TDS 4.2/5.0 server's answer to a login: `LOGINACK` with `status` (after an `EED`
    /// "Login failed." when 6), or for `None` a TDS 4.2 refusal (an `ERROR` token alone),
    /// then `DONE`.
    pub fn login_record_answer(status: Option<u8>, little_endian: bool) -> Vec<u8> {
        let i32b = |v: u32| {
            if little_endian {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let u16b = |v: u16| {
            if little_endian {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let text = b"Login failed.\n";
        let mut t = Vec::new();
        // An EED of severity 10 (information) comes first either way.
        let mut info = i32b(5701).to_vec();
        info.extend_from_slice(&[1, 10, 0, 0]);
        info.extend_from_slice(&u16b(0));
        info.extend_from_slice(&u16b(4));
        info.extend_from_slice(b"info");
        info.extend_from_slice(&[0, 0, 0, 0]);
        t.extend(token(TOKEN_EED, &info, little_endian));
        match status {
            Some(LOG_FAIL) => {
                let mut eed = i32b(4002).to_vec();
                eed.extend_from_slice(&[1, 14, 5]);
                eed.extend_from_slice(b"ZZZZZ");
                eed.push(0);
                eed.extend_from_slice(&u16b(0));
                eed.extend_from_slice(&u16b(text.len() as u16));
                eed.extend_from_slice(text);
                eed.extend_from_slice(&[5]);
                eed.extend_from_slice(b"ASE01");
                eed.extend_from_slice(&[0, 0, 0]);
                t.extend(token(TOKEN_EED, &eed, little_endian));
            }
            None => {
                let mut e = i32b(4002).to_vec();
                e.extend_from_slice(&[1, 14]);
                e.extend_from_slice(&u16b(13));
                e.extend_from_slice(&text[..13]);
                e.extend_from_slice(&[0, 0, 0, 0]);
                t.extend(token(TOKEN_ERROR, &e, little_endian));
            }
            _ => {}
        }
        if let Some(s) = status {
            let mut ack = vec![s, 5, 0, 0, 0, 10];
            ack.extend_from_slice(b"sql server");
            ack.extend_from_slice(&[16, 0, 2, 0]);
            t.extend(token(TOKEN_LOGINACK, &ack, little_endian));
        }
        t.extend_from_slice(&[TOKEN_DONE, 0, 0, 0, 0, 0, 0, 0, 0]);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::DissectorConfig;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> (Vec<Credential>, bool) {
        crate::dissect::script::play(&mut Tds::default(), script)
    }

    fn login(user: &str, password: &str) -> Vec<u8> {
        packet(
            LOGIN7,
            1,
            true,
            &login7(
                "WS-042",
                user,
                password,
                "sqlcmd",
                "db.example.org",
                "sales",
            ),
        )
    }

    #[test]
    fn obfuscation_round_trip() {
        // MS-TDS 2.2.6.4: 'a' (0x61) is sent as 0xB3.
        assert_eq!(obfuscate(b"a"), vec![0xb3]);
        assert_eq!(deobfuscate(&[0xb3, 0xa5]), b"a\0");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(deobfuscate(&obfuscate(&all)), all);
    }

    #[test]
    fn cleartext_login_success() {
        let (out, done) = run(&[
            (C, &packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_NOT_SUP))),
            (
                S,
                &packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_NOT_SUP)),
            ),
            (C, &login("sa", "Pässw0rd!")),
            (S, &packet(TABULAR_RESULT, 1, true, &loginack())),
        ]);
        assert!(!done, "the session's SQL batches are read next");
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "mssql");
        assert_eq!(c.mechanism, "LOGIN7");
        assert_eq!(c.kind, Kind::Cleartext);
        assert_eq!(c.username.as_deref(), Some(&b"sa"[..]));
        assert_eq!(c.secret.as_deref(), Some("Pässw0rd!".as_bytes()));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![3]);
        let d: Vec<&str> = c.details.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            d,
            ["hostname", "application", "server_name", "database", "note"]
        );
        assert_eq!(c.details[0].1, "WS-042");
    }

    #[test]
    fn login_failure_keeps_the_error() {
        let (out, _) = run(&[
            (C, &login("sa", "wrong")),
            (
                S,
                &packet(
                    TABULAR_RESULT,
                    1,
                    true,
                    &error(18456, "Login failed for user 'sa'."),
                ),
            ),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(
            out[0].details.last().unwrap(),
            &(
                "diagnostic",
                "18456 Login failed for user 'sa'.".to_string()
            )
        );
    }

    fn s<'a>(
        m: &'a str,
        u: &'a str,
        p: &'a str,
        o: Outcome,
    ) -> (&'a str, &'a [u8], &'a [u8], Outcome) {
        (m, u.as_bytes(), p.as_bytes(), o)
    }

    /// After a login: RPC requests — a procedure called by name, `sp_executesql` with its
    /// parameters written into the statement — judged by their answers (any error in
    /// the call's answer refuses its passwords; a final DONEPROC without one accepts).
    #[test]
    fn passwords_in_rpc_calls_after_the_login() {
        use crate::dissect::tds_rpc::build::{nvarchar, request};
        let setapprole = request(&[(
            "sp_setapprole",
            vec![
                nvarchar("@rolename", Some("Payroll")),
                nvarchar("@password", Some("Ap-Pw-1")),
            ],
        )]);
        let executesql = request(&[(
            "10",
            vec![
                nvarchar("", Some("EXEC sp_addlogin @P1, @P2")),
                nvarchar("", Some("@P1 nvarchar(4000),@P2 nvarchar(4000)")),
                nvarchar("", Some("bob")),
                nvarchar("", Some("Bob-Pw-2")),
            ],
        )]);
        let plain = request(&[("sp_helpdb", vec![nvarchar("", Some("master"))])]);
        let (out, _) = run(&[
            (C, &packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_NOT_SUP))),
            (
                S,
                &packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_NOT_SUP)),
            ),
            (C, &login("admin", "Admin-Pw")),
            (S, &packet(TABULAR_RESULT, 1, true, &loginack())),
            (C, &packet(RPC, 1, true, &setapprole)),
            (C, &packet(RPC, 1, true, &plain)),
            (C, &packet(RPC, 1, true, &executesql)),
            (S, &packet(TABULAR_RESULT, 1, true, &rpc_answer(None, ""))),
            (S, &packet(TABULAR_RESULT, 1, true, &rpc_answer(None, ""))),
            (
                S,
                &packet(
                    TABULAR_RESULT,
                    1,
                    true,
                    &rpc_answer(
                        Some((15025, "The server principal 'bob' already exists.")),
                        "sp_addlogin",
                    ),
                ),
            ),
        ]);
        assert_eq!(
            crate::dissect::script::seen(&out),
            [
                s("LOGIN7", "admin", "Admin-Pw", Outcome::Success),
                s("sp_setapprole", "Payroll", "Ap-Pw-1", Outcome::Success),
                s("sp_addlogin", "bob", "Bob-Pw-2", Outcome::Failure),
            ]
        );
        assert_eq!(out[1].detail("rpc"), Some("sp_setapprole"));
        assert_eq!(out[2].detail("rpc"), Some("sp_executesql"));
        assert_eq!(
            out[2].detail("diagnostic"),
            Some("15025 The server principal 'bob' already exists.")
        );
    }

    /// `sp_prepexec` (what ODBC and JDBC drivers send for a prepared statement): its answer
    /// returns the new handle in a RETURNVALUE token before the DONEPROC.
    #[test]
    fn a_prepared_call_answered_with_its_handle() {
        use crate::dissect::tds_rpc::build::{int, nvarchar, request};
        let prepexec = request(&[(
            "13",
            vec![
                int("@handle", 0),
                nvarchar("", Some("@P1 nvarchar(128)")),
                nvarchar("", Some("EXEC sp_password NULL, @P1")),
                nvarchar("", Some("Prep-Pw-1")),
            ],
        )]);
        // RETURNVALUE: ordinal 0, "@handle", output, user type 0, flags 0, INTN(4) 1.
        let mut answer = vec![TOKEN_RETURNVALUE, 0, 0, 7];
        answer.extend("@handle".encode_utf16().flat_map(u16::to_le_bytes));
        answer.extend([1, 0, 0, 0, 0, 0, 0, 0x26, 4, 4, 1, 0, 0, 0]);
        answer.extend(rpc_answer(None, ""));
        let (out, _) = run(&[
            (C, &login("admin", "Admin-Pw")),
            (S, &packet(TABULAR_RESULT, 1, true, &loginack())),
            (C, &packet(RPC, 1, true, &prepexec)),
            (S, &packet(TABULAR_RESULT, 1, true, &answer)),
        ]);
        assert_eq!(
            crate::dissect::script::seen(&out)[1..],
            [s("sp_password", "admin", "Prep-Pw-1", Outcome::Success)]
        );
        assert_eq!(out[1].detail("rpc"), Some("sp_prepexec"));
        // An output parameter of a type not read: the answer is not walked past it.
        let mut odd = vec![TOKEN_RETURNVALUE, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xf1, 0];
        odd.extend(rpc_answer(None, ""));
        assert!(!batch_answer(&odd, true).procedures_done);
    }

    /// After a login in the clear: each SQL batch's passwords, judged by the errors of
    /// their lines.
    #[test]
    fn passwords_in_sql_batches_after_the_login() {
        let batch1 = "ALTER LOGIN sa WITH PASSWORD = 'New-Sa-1' OLD_PASSWORD = 'Old-Sa-1'";
        let batch2 = "SELECT 1\nCREATE LOGIN app WITH PASSWORD = N'App-Pw-2'";
        let batch3 = "EXEC sp_addlogin 'bob', 'Bob-Pw-3'";
        let (out, done) = run(&[
            (C, &packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_NOT_SUP))),
            (
                S,
                &packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_NOT_SUP)),
            ),
            (C, &login("admin", "Admin-Pw")),
            (S, &packet(TABULAR_RESULT, 1, true, &loginack())),
            (C, &packet(SQL_BATCH, 1, true, &sql_batch(batch1))),
            (C, &packet(SQL_BATCH, 1, true, &sql_batch(batch2))),
            (C, &packet(SQL_BATCH, 1, true, &sql_batch(batch3))),
            (
                S,
                &packet(
                    TABULAR_RESULT,
                    1,
                    true,
                    &error_at(15151, 16, "Cannot alter the login 'sa'", 1),
                ),
            ),
            (S, &packet(TABULAR_RESULT, 1, true, &done_final())),
            (
                S,
                &packet(TABULAR_RESULT, 1, true, &error_at(208, 16, "elsewhere", 9)),
            ),
        ]);
        assert!(!done);
        let got = crate::dissect::script::seen(&out);
        assert_eq!(
            got,
            [
                s("LOGIN7", "admin", "Admin-Pw", Outcome::Success),
                s(
                    "ALTER LOGIN ... WITH PASSWORD",
                    "sa",
                    "New-Sa-1",
                    Outcome::Failure
                ),
                s(
                    "ALTER LOGIN ... OLD_PASSWORD",
                    "sa",
                    "Old-Sa-1",
                    Outcome::Failure
                ),
                s(
                    "CREATE LOGIN ... WITH PASSWORD",
                    "app",
                    "App-Pw-2",
                    Outcome::Success
                ),
                s("sp_addlogin", "bob", "Bob-Pw-3", Outcome::Unknown),
            ]
        );
        assert!(
            out[1].details.contains(&(
                "diagnostic",
                "15151 Cannot alter the login 'sa'".to_string()
            )),
            "{:?}",
            out[1].details
        );
        assert!(out[3].details.contains(&("database", "sales".to_string())));
    }

    /// Both sides at ENCRYPT_OFF: TLS carries the LOGIN7 alone (its handshake inside
    /// PRELOGIN packets, then a record), the answer and the rest of the session are in the
    /// clear: the batches' passwords are read.
    #[test]
    fn login_encrypted_alone_then_batches_in_the_clear() {
        let record = |n: usize| {
            let mut r = vec![0x17, 0x03, 0x03];
            r.extend_from_slice(&(n as u16).to_be_bytes());
            r.extend(std::iter::repeat_n(0x5a, n));
            r
        };
        let (out, done) = run(&[
            (C, &packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_OFF))),
            (S, &packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_OFF))),
            (C, &packet(PRELOGIN, 1, true, b"\x16\x03\x01\x00\x05hello")),
            (S, &packet(PRELOGIN, 1, true, b"\x16\x03\x03\x00\x05hello")),
            (C, &packet(PRELOGIN, 1, true, b"\x14\x03\x03\x00\x01\x01")),
            (C, &record(300)),
            (S, &packet(TABULAR_RESULT, 1, true, &loginack())),
            (
                C,
                &packet(
                    SQL_BATCH,
                    1,
                    true,
                    &sql_batch("ALTER LOGIN [report] WITH PASSWORD = 'Rep-Pw'"),
                ),
            ),
            (S, &packet(TABULAR_RESULT, 1, true, &done_final())),
        ]);
        assert!(!done);
        let got = crate::dissect::script::seen(&out);
        assert_eq!(
            got,
            [s(
                "ALTER LOGIN ... WITH PASSWORD",
                "report",
                "Rep-Pw",
                Outcome::Success
            )]
        );
        // ENCRYPT_OFF said, but the client stays in TLS: given up after a few records.
        let mut script: Vec<(Direction, Vec<u8>)> = vec![
            (C, packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_OFF))),
            (S, packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_OFF))),
            (C, packet(PRELOGIN, 1, true, b"\x16\x03\x01\x00\x05hello")),
        ];
        for _ in 0..=MAX_LOGIN_RECORDS {
            script.push((C, record(40)));
        }
        let refs: Vec<(Direction, &[u8])> = script.iter().map(|(d, b)| (*d, &b[..])).collect();
        let (out, done) = run(&refs);
        assert!(out.is_empty() && done);
        // The whole session encrypted: nothing, and the inspection ends.
        let (out, done) = run(&[
            (C, &packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_ON))),
            (S, &packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_ON))),
            (C, &packet(PRELOGIN, 1, true, b"\x16\x03\x01\x00\x05hello")),
            (C, &record(300)),
        ]);
        assert!(out.is_empty() && done);
    }

    /// A refused login reads nothing after it; requests are read for a budget of
    /// messages, then the inspection ends.
    #[test]
    fn batches_only_after_a_login_and_for_a_budget() {
        let (out, done) = run(&[
            (C, &login("admin", "Wrong")),
            (
                S,
                &packet(TABULAR_RESULT, 1, true, &error(18456, "Login failed")),
            ),
            (
                C,
                &packet(
                    SQL_BATCH,
                    1,
                    true,
                    &sql_batch("EXEC sp_password NULL, 'x', 'sa'"),
                ),
            ),
        ]);
        assert_eq!(out.len(), 1);
        assert!(done);
        let mut script: Vec<(Direction, Vec<u8>)> = vec![
            (C, login("admin", "Admin-Pw")),
            (S, packet(TABULAR_RESULT, 1, true, &loginack())),
        ];
        for _ in 0..AFTER_LOGIN_BUDGET {
            script.push((C, packet(SQL_BATCH, 1, true, &sql_batch("SELECT 1"))));
            script.push((S, packet(TABULAR_RESULT, 1, true, &done_final())));
        }
        script.push((
            C,
            packet(
                SQL_BATCH,
                1,
                true,
                &sql_batch("EXEC sp_password NULL, 'late', 'sa'"),
            ),
        ));
        let refs: Vec<(Direction, &[u8])> = script.iter().map(|(d, b)| (*d, &b[..])).collect();
        let (out, done) = run(&refs);
        assert_eq!(out.len(), 1, "the login only");
        assert!(done);
    }

    #[test]
    fn batch_answers_and_texts() {
        let a = batch_answer(&error_at(102, 15, "Incorrect syntax", 3), true);
        assert_eq!(a.errors.len(), 1);
        assert_eq!(a.errors[0].line, 3);
        assert_eq!(a.errors[0].class, 15);
        assert_eq!(a.errors[0].text, "Incorrect syntax");
        assert!(a.complete);
        // A result set stops the walk: not known to be complete.
        let a = batch_answer(&[0x81, 1, 0, 0, 0], true);
        assert!(!a.complete && a.errors.is_empty());
        assert!(!batch_answer(&[], true).complete);
        assert_eq!(batch_text(&sql_batch("SELECT 1")), "SELECT 1");
        // TDS 7.1: no ALL_HEADERS.
        let bare: Vec<u8> = "SELECT 2"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(batch_text(&bare), "SELECT 2");
    }

    #[test]
    fn encryption_negotiated_stops() {
        for (client, server) in [
            (ENCRYPT_ON, ENCRYPT_ON),
            (ENCRYPT_OFF, ENCRYPT_REQ),
            (ENCRYPT_NOT_SUP, ENCRYPT_REQ),
        ] {
            let (out, done) = run(&[
                (C, &packet(PRELOGIN, 1, true, &prelogin(client))),
                (S, &packet(TABULAR_RESULT, 1, true, &prelogin(server))),
                (C, &login("sa", "hidden")),
                (S, &packet(TABULAR_RESULT, 1, true, &loginack())),
            ]);
            assert!(out.is_empty(), "{client} {server}");
            assert!(done);
        }
        // Client NOT_SUP, server OFF: no encryption at all.
        let (out, _) = run(&[
            (C, &packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_NOT_SUP))),
            (S, &packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_OFF))),
            (C, &login("sa", "visible")),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // The answer missed, the TLS handshake inside PRELOGIN packets.
        let (_, done) = run(&[
            (C, &packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_OFF))),
            (C, &packet(PRELOGIN, 2, true, b"\x16\x03\x01\x00\x05hello")),
        ]);
        assert!(done);
        // TDS 8.0: TLS first.
        let (_, done) = run(&[(C, b"\x16\x03\x01\x00\x05hello")]);
        assert!(done);
    }

    #[test]
    fn login_in_several_packets() {
        let l = login7("h", "bob", "multi-packet", "app", "srv", "db");
        let (a, b) = l.split_at(40);
        let (out, _) = run(&[
            (C, &packet(LOGIN7, 1, false, a)),
            (C, &packet(LOGIN7, 2, true, b)),
            (S, &packet(TABULAR_RESULT, 1, true, &loginack())),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"multi-packet"[..]));
        assert_eq!(out[0].frames, vec![1, 2]);
    }

    #[test]
    fn sspi_ntlm() {
        let ch = [1, 2, 3, 4, 5, 6, 7, 8];
        let mut negotiate = b"NTLMSSP\0".to_vec();
        negotiate.extend_from_slice(&1u32.to_le_bytes());
        negotiate.extend_from_slice(&0xa088_0205u32.to_le_bytes());
        negotiate.extend_from_slice(&[0; 16]);
        let nt: Vec<u8> = (0u8..48).collect();
        let auth = ntlmssp::build::authenticate("alice", "CORP", "WS01", &[0; 24], &nt);
        let (out, _) = run(&[
            (
                C,
                &packet(
                    LOGIN7,
                    1,
                    true,
                    &login7_with(
                        "h",
                        "",
                        "",
                        "app",
                        "srv",
                        "",
                        INTEGRATED_SECURITY,
                        &negotiate,
                    ),
                ),
            ),
            (
                S,
                &packet(
                    TABULAR_RESULT,
                    1,
                    true,
                    &sspi_token(&ntlmssp::build::challenge(ch)),
                ),
            ),
            (C, &packet(SSPI, 1, true, &auth)),
            (S, &packet(TABULAR_RESULT, 1, true, &loginack())),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "SSPI NTLM (NetNTLMv2)");
        assert_eq!(out[0].challenge.as_deref(), Some(&b"0102030405060708"[..]));
        assert_eq!(out[0].hashcat.as_ref().unwrap().mode, 5600);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn parse_login7_fields() {
        let l = parse_login7(&login7("WS", "user", "pw", "app", "srv", "db")).unwrap();
        assert_eq!(l.tds_version, 0x7400_0004);
        assert_eq!(l.hostname, "WS");
        assert_eq!(l.user, "user");
        assert_eq!(l.password, "pw");
        assert_eq!(l.app, "app");
        assert_eq!(l.server, "srv");
        assert_eq!(l.database, "db");
        assert!(!l.integrated_security);
        let mut short = login7("WS", "user", "pw", "app", "srv", "db");
        short.truncate(60);
        assert_eq!(parse_login7(&short), None);
    }

    #[test]
    fn probe_recognises_tds() {
        let pre = packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_OFF));
        assert_eq!(probe(&pre, b""), Probe::Yes);
        assert_eq!(probe(&pre[..12], b""), Probe::Maybe);
        assert_eq!(probe(&pre[..3], b""), Probe::Maybe);
        assert_eq!(probe(&login("sa", "x"), b""), Probe::Yes);
        assert_eq!(
            probe(&packet(SQL_BATCH, 1, true, b"s\0e\0"), b""),
            Probe::Maybe
        );
        assert_eq!(
            probe(b"", &packet(TABULAR_RESULT, 1, true, &loginack())),
            Probe::Maybe
        );
        for other in [
            &b"GET / HTTP/1.1\r\n"[..],
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"USER bob\r\n",
            b"*2\r\n$4\r\nAUTH\r\n",
            b"\x00\x00\x00\x08\x04\xd2\x16\x2f",
            b"\x12\x01\x00\x2f\x00\x00\x01\x00\x05\x00",
        ] {
            assert_eq!(probe(other, b""), Probe::No, "{other:?}");
        }
        assert_eq!(probe(b"", b"220 ftp ready\r\n"), Probe::No);
    }

    fn record_session(
        record: &[u8],
        answer: Option<u8>,
        little_endian: bool,
    ) -> (Vec<Credential>, bool) {
        let login = login_record_packets(record);
        let answer = packet(
            TABULAR_RESULT,
            1,
            true,
            &login_record_answer(answer, little_endian),
        );
        run(&[(C, &login), (S, &answer)])
    }

    #[test]
    fn login_record_tds50() {
        let r = login_record("ws-12", "sa", "Syb4se!", "isql", [5, 0], true, false);
        let (out, done) = record_session(&r, Some(LOG_SUCCEED), true);
        assert!(done);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.protocol, "sybase");
        assert_eq!(c.mechanism, "TDS 5.0 login");
        assert_eq!(c.kind, Kind::Cleartext);
        assert_eq!(c.username.as_deref(), Some(&b"sa"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"Syb4se!"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        // The record spans two packets: both carry it.
        assert_eq!(c.frames, vec![1]);
        let details: Vec<(&str, &str)> = c.details.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            details,
            vec![
                ("hostname", "ws-12"),
                ("application", "isql"),
                ("server_name", "ASE01"),
                ("library", "CT-Library"),
            ]
        );
        // Refused, the answer big-endian as the record asked.
        let r = login_record("ws-12", "sa", "guess", "isql", [5, 0], false, false);
        let (out, _) = record_session(&r, Some(LOG_FAIL), false);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(
            out[0].details.last(),
            Some(&("diagnostic", "4002 Login failed.".to_string()))
        );
        // Read in the wrong byte order the tokens do not hold together: no verdict.
        let answer = login_record_answer(Some(LOG_FAIL), true);
        assert_eq!(record_answer(&answer, true).ack, Some(LOG_FAIL));
        assert_eq!(record_answer(&answer, false), RecordAnswer::default());
    }

    #[test]
    fn login_record_tds42() {
        let r = login_record("pc", "report", "Old-4.2", "dblib", [4, 2], true, false);
        let (out, done) = record_session(&r, Some(LOG_SUCCEED_42), true);
        assert!(done);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "TDS 4.2 login");
        assert_eq!(out[0].outcome, Outcome::Success);
        // A 4.2 server refuses with an ERROR token and no LOGINACK.
        let (out, done) = record_session(&r, None, true);
        assert!(done);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(
            out[0].details.last(),
            Some(&("diagnostic", "4002 Login failed.".to_string()))
        );
        // An answer with nothing about the login (information only) is no verdict.
        let (out, done) = run(&[
            (C, &login_record_packets(&r)),
            (
                S,
                &packet(
                    TABULAR_RESULT,
                    1,
                    true,
                    &[TOKEN_DONE, 0, 0, 0, 0, 0, 0, 0, 0],
                ),
            ),
        ]);
        assert!(!done);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn login_record_encrypted_password_gives_nothing() {
        let r = login_record("pc", "sa", "never-sent", "isql", [5, 0], true, true);
        let negotiate = login_record_answer(Some(LOG_NEGOTIATE), true);
        let success = login_record_answer(Some(LOG_SUCCEED), true);
        let (out, done) = run(&[
            (C, &login_record_packets(&r)),
            (S, &packet(TABULAR_RESULT, 1, true, &negotiate)),
            (C, &packet(0x0f, 1, true, b"\x65\x03\x01\x00\x1f")),
            (S, &packet(TABULAR_RESULT, 1, true, &success)),
        ]);
        assert!(out.is_empty(), "{out:?}");
        assert!(done);
        // The negotiation alone is no verdict.
        let (_, done) = run(&[
            (C, &login_record_packets(&r)),
            (S, &packet(TABULAR_RESULT, 1, true, &negotiate)),
        ]);
        assert!(!done);
    }

    #[test]
    fn login_record_probe_and_shape() {
        let r = login_record("pc", "sa", "pw", "isql", [5, 0], true, false);
        let first = login_record_packets(&r);
        assert_eq!(login_record_probe(&first, b""), Probe::Yes);
        assert_eq!(login_record_probe(&first[..8 + 100], b""), Probe::Maybe);
        assert_eq!(login_record_probe(&first[..3], b""), Probe::Maybe);
        assert_eq!(login_record_probe(b"", b""), Probe::Maybe);
        // MS-TDS's probe leaves it to this one, and this one leaves MS-TDS alone.
        assert_eq!(probe(&first, b""), Probe::No);
        assert_eq!(login_record_probe(&login("sa", "x"), b""), Probe::No);
        let pre = packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_OFF));
        assert_eq!(login_record_probe(&pre, b""), Probe::No);
        // A length past its field, a byte order no spec has: not a login record.
        for (at, value) in [(REC_USER + 30, 31), (124, 4), (126, 0), (128, 1)] {
            let mut bad = r.clone();
            bad[at] = value;
            let p = login_record_packets(&bad);
            assert_eq!(login_record_probe(&p, b""), Probe::No, "{at}");
            assert_eq!(parse_login_record(&bad), None, "{at}");
        }
        let mut short = r.clone();
        short.truncate(REC_MIN - 1);
        assert_eq!(parse_login_record(&short), None);
        for other in [
            &b"\x02\x00\x02\x00\x00\x00\x00\x00GET / HTTP/1.1\r\nHost: example.org\r\n"[..],
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"USER bob\r\n",
        ] {
            assert_eq!(login_record_probe(other, b""), Probe::No, "{other:?}");
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let valid = [
            packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_NOT_SUP)),
            packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_NOT_SUP)),
            login("sa", "pw"),
            packet(TABULAR_RESULT, 1, true, &loginack()),
            packet(TABULAR_RESULT, 1, true, &error(18456, "no")),
            login_record_packets(&login_record("h", "u", "p", "a", [5, 0], true, false)),
            packet(
                TABULAR_RESULT,
                1,
                true,
                &login_record_answer(Some(LOG_FAIL), true),
            ),
        ];
        super::super::garbage::feed(
            0x1357_9bdf,
            2000,
            5,
            &valid,
            Tds::default,
            |b| {
                let _ = probe(b, b);
                let _ = parse_login7(b);
                let _ = login_answer(b);
                let _ = prelogin_options(b);
                let _ = login_record_probe(b, b);
                let _ = parse_login_record(b);
                let _ = record_answer(b, true);
                let _ = record_answer(b, false);
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * MAX_ASSEMBLED),
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
        let l = login7("h", "bob", "two-packets", "app", "srv", "db");
        let mut whole: Vec<(Direction, Vec<u8>)> = vec![
            (C, packet(PRELOGIN, 1, true, &prelogin(ENCRYPT_NOT_SUP))),
            (
                S,
                packet(TABULAR_RESULT, 1, true, &prelogin(ENCRYPT_NOT_SUP)),
            ),
            (C, login("sa", "wrong")),
            (
                S,
                packet(TABULAR_RESULT, 1, true, &error(18456, "Login failed")),
            ),
            (C, Vec::new()),
            (
                C,
                [
                    packet(LOGIN7, 1, false, &l[..50]),
                    packet(LOGIN7, 2, true, &l[50..]),
                ]
                .concat(),
            ),
            (S, packet(TABULAR_RESULT, 1, true, &loginack())),
        ];
        let record = login_record("h", "sa", "Syb4se-pw", "isql", [5, 0], false, false);
        whole.extend([
            (C, Vec::new()),
            (C, login_record_packets(&record)),
            (
                S,
                packet(
                    TABULAR_RESULT,
                    1,
                    true,
                    &login_record_answer(Some(LOG_FAIL), false),
                ),
            ),
        ]);
        let want = go(&whole);
        assert_eq!(want.len(), 3, "{want:?}");
        assert_eq!(want[2].2, Outcome::Failure);
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
