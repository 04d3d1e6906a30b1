//! LDAP (RFC 4511) over TCP: the credentials of `BindRequest`s, with the outcome from the
//! `BindResponse` of the same message ID.
//!
//! - Simple bind: the name (a DN, a UPN, exactly as sent) and the password, mechanism
//!   `simple bind`. A bind with an empty password is anonymous (or "unauthenticated",
//!   RFC 4513 section 5.1.2) and not a credential; a password with an empty name is one
//!   (user name `""`).
//! - SASL `PLAIN` (`authzid NUL authcid NUL passwd`): mechanism `SASL PLAIN`, cleartext;
//!   a non-empty authzid goes in `details`.
//! - SASL `CRAM-MD5` and `DIGEST-MD5` through the shared SASL layer ([`super::sasl`]):
//!   the challenge from the `saslBindInProgress` response, the client's response:
//!   mechanisms `SASL CRAM-MD5` (hashcat mode 10200) and `SASL DIGEST-MD5`. A credential
//!   answered with saslBindInProgress (DIGEST-MD5's `rspauth`) takes its outcome from the
//!   response to the client's next SASL bind.
//! - NTLM, as Microsoft's "sicily" binds carry it (authentication choices [9]
//!   sicilyPackageDiscovery, [10] sicilyNegotiate, [11] sicilyResponse; the server's
//!   CHALLENGE comes back in the `matchedDN` field) and inside SASL `GSS-SPNEGO` (or
//!   `NTLM`) credentials (the CHALLENGE in `serverSaslCreds`): the AUTHENTICATE message
//!   with the last CHALLENGE gives a NetNTLMv1/v2 hashcat line ([`ntlmssp`]); mechanism
//!   `sicily NTLM (NetNTLMv2)`, `SASL GSS-SPNEGO NTLM (NetNTLMv2)`.
//!
//! Outcome, from the `resultCode` of the `BindResponse` with the bind's message ID:
//! 0 success; 49 invalidCredentials, 48 inappropriateAuthentication and 50
//! insufficientAccessRights failure (the server refused this credential); 14
//! saslBindInProgress is no outcome (the exchange goes on); any other code is unknown (the
//! server did not judge the password: protocolError, authMethodNotSupported,
//! confidentialityRequired, unwillingToPerform, busy, unavailable, other...), and so is a
//! bind whose response is not seen. A failure's `diagnosticMessage` (Active Directory puts
//! the reason there: `data 52e` bad password, `775` locked) goes in `details`.
//!
//! Passwords written, not only presented (each judged by the response of the same
//! message ID: applied on `success`, refused otherwise):
//! - the Password Modify extended operation (RFC 3062, OID 1.3.6.1.4.1.4203.1.11.1, what
//!   `ldappasswd` sends): the old password (mechanism `password modify (old password)`,
//!   judged as a bind: invalidCredentials refuses it) and the new one (`password modify
//!   (new password)`), for the `userIdentity` it names or else the identity the
//!   connection bound as; a password the server generated comes back in the response's
//!   `genPasswd` (`password modify (generated password)`);
//! - a `ModifyRequest` or `AddRequest` writing `userPassword` (an administrator's reset,
//!   a new account), `unicodePwd` (Active Directory: the password quoted, in UTF-16LE; a
//!   change deletes the old value and adds the new) or `sambaNTPassword` (an NT hash):
//!   mechanism `modify userPassword`, `add userPassword`, `modify unicodePwd (old
//!   value)`..., the entry's DN as the user name. A `userPassword` in a `{SCHEME}` other
//!   than `{CLEARTEXT}` is a hash, not the password: kind `challenge-response`, the hash
//!   as the secret with its hashcat line where one exists (`{SSHA}` 111, `{SHA}` 101,
//!   `{SSHA256}` 1411, `{SSHA512}` 1711, `{CRYPT}` by its crypt prefix;
//!   `sambaNTPassword` 1000) and the scheme in `details`.
//!
//! A StartTLS extended request (OID 1.3.6.1.4.1.1466.20037) answered with success ends
//! the inspection: what follows is TLS.
//!
//! Framing: each direction's bytes are cut into `LDAPMessage`s by their BER length, however
//! TCP segmented them; messages longer than [`MAX_MESSAGE`] (search results, Kerberos
//! tickets) are skipped without being buffered. After a gap (or bytes that are not an
//! LDAP message: a SASL security layer) the framer resynchronises on the next plausible
//! message start.
//!
//! The probe recognises an `LDAPMessage`: `SEQUENCE { messageID INTEGER, protocolOp
//! [APPLICATION n] }` with a request's tag from the client and a response's from the
//! server, and lengths that agree, so LDAP is found on any port.

use std::collections::VecDeque;

use super::ber::{self, Class};
use super::ftp::looks_like_tls;
use super::ntlmssp;
use super::sasl::{BASE64, Exchange, Step, parse_plain};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, John, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

use base64::Engine as _;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "ldap",
    tcp_ports: &[389, 3268],
    probe,
    new: |_config| Box::new(Ldap::default()),
};

/// The longest message buffered whole; longer ones are skipped.
pub const MAX_MESSAGE: usize = 64 << 10;

/// The StartTLS extended operation (RFC 4511 section 4.14).
pub const START_TLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";
/// The Password Modify extended operation (RFC 3062).
pub const PASSWORD_MODIFY_OID: &[u8] = b"1.3.6.1.4.1.4203.1.11.1";

/// `protocolOp` tags ([APPLICATION n]) a client sends: bind, unbind, search, modify, add,
/// delete, modifyDN, compare, abandon, extended.
const CLIENT_OPS: &[u32] = &[0, 2, 3, 6, 8, 10, 12, 14, 16, 23];
/// ... and a server sends: bind, search entry, search done, modify, add, delete,
/// modifyDN, compare responses, search reference, extended and intermediate responses.
const SERVER_OPS: &[u32] = &[1, 4, 5, 7, 9, 11, 13, 15, 19, 24, 25];

/// Operations encoded primitive: unbind (NULL), delete (LDAPDN), abandon (MessageID).
fn primitive_op(tag: u32) -> bool {
    matches!(tag, 2 | 10 | 16)
}

const BIND_REQUEST: u32 = 0;
const BIND_RESPONSE: u32 = 1;
const MODIFY_REQUEST: u32 = 6;
const MODIFY_RESPONSE: u32 = 7;
const ADD_REQUEST: u32 = 8;
const ADD_RESPONSE: u32 = 9;
const EXTENDED_REQUEST: u32 = 23;
const EXTENDED_RESPONSE: u32 = 24;

/// Most password values read from one modify or add request.
const MAX_PASSWORD_VALUES: usize = 8;

/// resultCode saslBindInProgress.
const SASL_BIND_IN_PROGRESS: i64 = 14;

/// Whether `data` begins with an `LDAPMessage` whose operation is one of `ops`: Yes when
/// its headers agree, No when they cannot be LDAP, Maybe when too few bytes are here.
fn message_start(data: &[u8], ops: &[u32]) -> Probe {
    let outer = match ber::header(data) {
        Ok(h) => h,
        Err(ber::Error::Incomplete) => return Probe::Maybe,
        Err(ber::Error::Invalid) => return Probe::No,
    };
    // messageID (3 bytes at least) and an operation header (2).
    if !outer.is(Class::Universal, true, ber::SEQUENCE) || outer.len < 5 || outer.total().is_none()
    {
        return Probe::No;
    }
    let body = data.get(outer.header_len..).unwrap_or_default();
    // Bytes missing inside the message are worth waiting for only when the data ends
    // before the message does; otherwise the message is too short for its parts.
    let more = if body.len() < outer.len {
        Probe::Maybe
    } else {
        Probe::No
    };
    let body = &body[..body.len().min(outer.len)];
    let id = match ber::header(body) {
        Ok(h) => h,
        Err(ber::Error::Incomplete) => return more,
        Err(ber::Error::Invalid) => return Probe::No,
    };
    if !id.is(Class::Universal, false, ber::INTEGER) || id.len == 0 || id.len > 5 {
        return Probe::No;
    }
    let Some(id_end) = id.total().filter(|&e| e < outer.len) else {
        return Probe::No;
    };
    let Some(id_value) = body.get(id.header_len..id_end) else {
        return more;
    };
    if !ber::integer(id_value).is_some_and(|v| (0..=i64::from(u32::MAX)).contains(&v)) {
        return Probe::No;
    }
    let op = match ber::header(body.get(id_end..).unwrap_or_default()) {
        Ok(h) => h,
        Err(ber::Error::Incomplete) => return more,
        Err(ber::Error::Invalid) => return Probe::No,
    };
    if op.class != Class::Application
        || !ops.contains(&op.tag)
        || op.constructed == primitive_op(op.tag)
    {
        return Probe::No;
    }
    match op.total().and_then(|t| t.checked_add(id_end)) {
        Some(end) if end <= outer.len => Probe::Yes,
        _ => Probe::No,
    }
}

/// LDAP when the client's first bytes are an LDAP request or the server's an LDAP response
/// (and neither side's bytes rule it out).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    let client = if to_server.is_empty() {
        Probe::Maybe
    } else {
        message_start(to_server, CLIENT_OPS)
    };
    let server = if to_client.is_empty() {
        Probe::Maybe
    } else {
        message_start(to_client, SERVER_OPS)
    };
    match (client, server) {
        (Probe::No, _) | (_, Probe::No) => Probe::No,
        (Probe::Yes, _) | (_, Probe::Yes) => Probe::Yes,
        _ => Probe::Maybe,
    }
}

/// One parsed `LDAPMessage` (the parts plainsight needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub id: i64,
    pub op: Op<'a>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op<'a> {
    BindRequest {
        version: i64,
        name: &'a [u8],
        auth: Auth<'a>,
    },
    BindResponse {
        result: i64,
        matched_dn: &'a [u8],
        diagnostic: &'a [u8],
        sasl_creds: Option<&'a [u8]>,
    },
    ExtendedRequest {
        name: &'a [u8],
        /// `requestValue`.
        value: Option<&'a [u8]>,
    },
    ExtendedResponse {
        result: i64,
        diagnostic: &'a [u8],
        /// `responseValue`.
        value: Option<&'a [u8]>,
    },
    /// A `ModifyRequest` (`add: false`) or `AddRequest`: the entry, and the password
    /// attributes' values it writes.
    Update {
        add: bool,
        object: &'a [u8],
        passwords: Vec<PasswordValue<'a>>,
    },
    /// A `ModifyResponse` or `AddResponse`.
    UpdateResponse { result: i64, diagnostic: &'a [u8] },
    /// Any other operation, by its [APPLICATION n] tag.
    Other(u32),
}

/// A bind's `AuthenticationChoice`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth<'a> {
    /// [0] simple: the password.
    Simple(&'a [u8]),
    /// [3] sasl.
    Sasl {
        mechanism: &'a [u8],
        credentials: Option<&'a [u8]>,
    },
    /// [9] sicilyPackageDiscovery.
    SicilyDiscovery,
    /// [10] sicilyNegotiate: an NTLMSSP NEGOTIATE.
    SicilyNegotiate(&'a [u8]),
    /// [11] sicilyResponse: an NTLMSSP AUTHENTICATE.
    SicilyResponse(&'a [u8]),
    /// Another choice, by its context tag.
    Other(u32),
}

/// A password attribute's value in a modify or add request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordValue<'a> {
    /// `userPassword`, `unicodePwd` or `sambaNTPassword`.
    pub attribute: &'static str,
    /// The modification: add (0), delete (1: the value removed, an old password) or
    /// replace (2); an add request's values are adds.
    pub operation: i64,
    pub value: &'a [u8],
}

/// The attributes that hold passwords, by their description (options such as
/// `;binary` ignored, any case, `userPassword`'s OID too).
pub fn password_attribute(description: &[u8]) -> Option<&'static str> {
    let name = description.split(|&b| b == b';').next()?;
    if name == b"2.5.4.35" {
        return Some("userPassword");
    }
    ["userPassword", "unicodePwd", "sambaNTPassword"]
        .into_iter()
        .find(|a| name.eq_ignore_ascii_case(a.as_bytes()))
}

/// The password values of one `PartialAttribute` (`type`, `vals`), added to `out`.
fn password_values<'a>(attribute: ber::Tlv<'a>, operation: i64, out: &mut Vec<PasswordValue<'a>>) {
    let mut a = attribute.children();
    let Some(attribute) = a.octet_string().and_then(password_attribute) else {
        return;
    };
    let Some(vals) = a.next() else {
        return;
    };
    let mut vals = vals.children();
    while out.len() < MAX_PASSWORD_VALUES
        && let Some(value) = vals.octet_string()
    {
        out.push(PasswordValue {
            attribute,
            operation,
            value,
        });
    }
}

/// The fields of a Password Modify request's value (RFC 3062: `userIdentity`,
/// `oldPasswd`, `newPasswd`, each optional).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PasswordModify<'a> {
    pub user: Option<&'a [u8]>,
    pub old: Option<&'a [u8]>,
    pub new: Option<&'a [u8]>,
}

/// Parses a Password Modify request's value.
pub fn parse_password_modify(value: &[u8]) -> Option<PasswordModify<'_>> {
    let (seq, rest) = ber::read(value).ok()?;
    if !rest.is_empty() || !seq.is(Class::Universal, true, ber::SEQUENCE) {
        return None;
    }
    let mut r = seq.children();
    let mut p = PasswordModify::default();
    for (tag, field) in [(0, &mut p.user), (1, &mut p.old), (2, &mut p.new)] {
        *field = r.next_tagged(Class::Context, false, tag).map(|t| t.value);
    }
    r.is_empty().then_some(p)
}

/// The `genPasswd` of a Password Modify response's value.
pub fn generated_password(value: &[u8]) -> Option<&[u8]> {
    let (seq, _) = ber::read(value).ok()?;
    if !seq.is(Class::Universal, true, ber::SEQUENCE) {
        return None;
    }
    seq.children()
        .next_tagged(Class::Context, false, 0)
        .map(|t| t.value)
}

/// Parses one whole `LDAPMessage` (exactly `data`, nothing after it).
pub fn parse_message(data: &[u8]) -> Option<Message<'_>> {
    let (msg, rest) = ber::read(data).ok()?;
    if !rest.is_empty() || !msg.is(Class::Universal, true, ber::SEQUENCE) {
        return None;
    }
    let mut r = msg.children();
    let id = r.integer().filter(|&v| v >= 0)?;
    let op = r.next()?;
    if op.class != Class::Application {
        return None;
    }
    let op = match (op.tag, op.constructed) {
        (BIND_REQUEST, true) => {
            let mut c = op.children();
            let version = c.integer()?;
            let name = c.octet_string()?;
            let auth = c.next()?;
            if auth.class != Class::Context {
                return None;
            }
            let auth = match (auth.tag, auth.constructed) {
                (0, false) => Auth::Simple(auth.value),
                (3, true) => {
                    let mut s = auth.children();
                    let mechanism = s.octet_string()?;
                    let credentials = s.octet_string();
                    Auth::Sasl {
                        mechanism,
                        credentials,
                    }
                }
                (9, _) => Auth::SicilyDiscovery,
                (10, false) => Auth::SicilyNegotiate(auth.value),
                (11, false) => Auth::SicilyResponse(auth.value),
                (tag, _) => Auth::Other(tag),
            };
            Op::BindRequest {
                version,
                name,
                auth,
            }
        }
        (BIND_RESPONSE, true) => {
            let mut c = op.children();
            let result = c.enumerated()?;
            let matched_dn = c.octet_string()?;
            let diagnostic = c.octet_string()?;
            let _referral = c.next_tagged(Class::Context, true, 3);
            let sasl_creds = c.next_tagged(Class::Context, false, 7).map(|t| t.value);
            Op::BindResponse {
                result,
                matched_dn,
                diagnostic,
                sasl_creds,
            }
        }
        (EXTENDED_REQUEST, true) => {
            let mut c = op.children();
            let name = c.next_tagged(Class::Context, false, 0)?.value;
            let value = c.next_tagged(Class::Context, false, 1).map(|t| t.value);
            Op::ExtendedRequest { name, value }
        }
        (EXTENDED_RESPONSE, true) => {
            let mut c = op.children();
            let result = c.enumerated()?;
            let _matched_dn = c.octet_string()?;
            let diagnostic = c.octet_string()?;
            let _referral = c.next_tagged(Class::Context, true, 3);
            let _name = c.next_tagged(Class::Context, false, 10);
            let value = c.next_tagged(Class::Context, false, 11).map(|t| t.value);
            Op::ExtendedResponse {
                result,
                diagnostic,
                value,
            }
        }
        (MODIFY_REQUEST | ADD_REQUEST, true) => {
            let add = op.tag == ADD_REQUEST;
            let mut c = op.children();
            let object = c.octet_string()?;
            let list = c.next_tagged(Class::Universal, true, ber::SEQUENCE)?;
            let mut passwords = Vec::new();
            for item in list.children() {
                if add {
                    password_values(item, 0, &mut passwords);
                } else {
                    // change: SEQUENCE { operation ENUMERATED, modification }
                    let mut change = item.children();
                    let (Some(operation), Some(modification)) =
                        (change.enumerated(), change.next())
                    else {
                        continue;
                    };
                    password_values(modification, operation, &mut passwords);
                }
            }
            Op::Update {
                add,
                object,
                passwords,
            }
        }
        (MODIFY_RESPONSE | ADD_RESPONSE, true) => {
            let mut c = op.children();
            let result = c.enumerated()?;
            let _matched_dn = c.octet_string()?;
            let diagnostic = c.octet_string()?;
            Op::UpdateResponse { result, diagnostic }
        }
        (tag, _) => Op::Other(tag),
    };
    Some(Message { id, op })
}

/// What a written password value is: the password itself, or a hash of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenPassword {
    pub kind: Kind,
    /// The password (cleartext) or the hash as sent.
    pub secret: Vec<u8>,
    /// A hash's `{SCHEME}` (upper case), or `NT hash`.
    pub scheme: Option<String>,
    pub crack: Option<Result<Hashcat, John>>,
}

/// `userPassword` schemes that hold the password itself.
const CLEARTEXT_SCHEMES: &[&str] = &["CLEARTEXT", "PLAIN", "CLEAR"];

/// What `value` of a password `attribute` is; `None` for an empty value or one that is
/// not what the attribute holds.
pub fn written_password(attribute: &str, value: &[u8]) -> Option<WrittenPassword> {
    let cleartext = |secret: Vec<u8>| {
        (!secret.is_empty()).then_some(WrittenPassword {
            kind: Kind::Cleartext,
            secret,
            scheme: None,
            crack: None,
        })
    };
    match attribute {
        "unicodePwd" => {
            // The password in double quotes, UTF-16LE.
            if !value.len().is_multiple_of(2) {
                return None;
            }
            let text = super::tds::utf16le(value);
            let inner = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(&text);
            cleartext(inner.as_bytes().to_vec())
        }
        "sambaNTPassword" => {
            let hex = std::str::from_utf8(value).ok()?;
            if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let hash = hex.to_ascii_lowercase();
            Some(WrittenPassword {
                kind: Kind::ChallengeResponse,
                secret: value.to_vec(),
                scheme: Some("NT hash".to_string()),
                crack: Some(Ok(Hashcat {
                    mode: 1000,
                    hash,
                    hex_salt: false,
                })),
            })
        }
        _ => {
            // `{SCHEME}`: a name between the braces (an empty one is no scheme).
            let scheme_end = value
                .first()
                .filter(|&&b| b == b'{')
                .and_then(|_| value.iter().take(24).position(|&b| b == b'}'))
                .filter(|&end| end > 1);
            let Some(end) = scheme_end else {
                return cleartext(value.to_vec());
            };
            let scheme = String::from_utf8_lossy(&value[1..end]).to_ascii_uppercase();
            let rest = &value[end + 1..];
            if CLEARTEXT_SCHEMES.contains(&scheme.as_str()) {
                return cleartext(rest.to_vec());
            }
            let text = std::str::from_utf8(value).ok();
            let line = |mode| {
                text.map(|t| {
                    Ok(Hashcat {
                        mode,
                        hash: t.to_string(),
                        hex_salt: false,
                    })
                })
            };
            let crack = match scheme.as_str() {
                "SSHA" => line(111),
                "SHA" => line(101),
                "SSHA256" => line(1411),
                "SSHA512" => line(1711),
                "CRYPT" => super::nis::crypt_line(rest),
                _ => None,
            };
            Some(WrittenPassword {
                kind: Kind::ChallengeResponse,
                secret: value.to_vec(),
                scheme: Some(scheme),
                crack,
            })
        }
    }
}

/// The credential of a written password.
fn written_credential(
    mechanism: String,
    user: Option<&[u8]>,
    w: WrittenPassword,
    frames: &[u64],
    ts: Timestamp,
) -> Credential {
    let mut c = Credential::new("ldap", mechanism, w.kind, ts);
    c.username = user.map(<[u8]>::to_vec);
    c.secret = Some(w.secret);
    if let Some(scheme) = w.scheme {
        c.details.push(("scheme", scheme));
    }
    match w.crack {
        Some(Ok(h)) => c.hashcat = Some(h),
        Some(Err(j)) => c.john = Some(j),
        None => {}
    }
    c.add_frames(frames.iter().copied());
    c
}

/// The outcome a bind's resultCode gives (see the module documentation).
pub fn outcome(result: i64) -> Outcome {
    match result {
        0 => Outcome::Success,
        48..=50 => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// Most chunk origins remembered for one buffered message (a message cut into more pieces
/// than this has its later pieces counted under the last origin).
const MAX_ORIGINS: usize = 32;

/// Cuts one direction's bytes into whole LDAP messages.
#[derive(Debug)]
struct Framer {
    /// The operations this direction sends (to resynchronise).
    ops: &'static [u32],
    buf: Vec<u8>,
    /// Where each chunk in `buf` starts, and its frame.
    origins: Vec<(usize, u64)>,
    /// Bytes of an oversized message still to skip.
    skip: usize,
    /// Out of step (after a gap or bytes that were not LDAP): looking for a message start.
    lost: bool,
}

impl Framer {
    fn new(ops: &'static [u32]) -> Framer {
        Framer {
            ops,
            buf: Vec::new(),
            origins: Vec::new(),
            skip: 0,
            lost: false,
        }
    }

    fn buffered(&self) -> usize {
        self.buf.capacity() + self.origins.capacity() * std::mem::size_of::<(usize, u64)>()
    }

    /// Whether no partial message is held (the next byte starts a message).
    fn at_boundary(&self) -> bool {
        self.buf.is_empty() && self.skip == 0 && !self.lost
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.origins.clear();
        if self.buf.capacity() > 4096 {
            self.buf = Vec::new();
        }
    }

    /// Removes the first `n` buffered bytes.
    fn drain(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        let len = self.buf.len();
        let mut kept = Vec::with_capacity(self.origins.len());
        for (i, &(start, frame)) in self.origins.iter().enumerate() {
            let end = self.origins.get(i + 1).map_or(len, |o| o.0);
            if end > n {
                kept.push((start.saturating_sub(n), frame));
            }
        }
        self.origins = kept;
        self.buf.drain(..n);
        if self.buf.is_empty() {
            self.clear();
        }
    }

    /// Frames of the chunks that carried buffered bytes `from..to`.
    fn frames(&self, from: usize, to: usize) -> Vec<u64> {
        let len = self.buf.len();
        self.origins
            .iter()
            .enumerate()
            .filter(|&(i, &(start, _))| {
                let end = self.origins.get(i + 1).map_or(len, |o| o.0);
                start < to && end > from
            })
            .map(|(_, &(_, f))| f)
            .collect()
    }

    /// A gap of `len` bytes: still in step when it falls inside a message being skipped or
    /// buffered (whose length is known); otherwise lost until the next message start.
    fn gap(&mut self, len: u64) {
        let remaining = if self.skip > 0 {
            Some(self.skip)
        } else if !self.lost && !self.buf.is_empty() {
            ber::header(&self.buf)
                .ok()
                .and_then(|h| h.total())
                .and_then(|t| t.checked_sub(self.buf.len()))
        } else if self.lost {
            None
        } else {
            Some(0)
        };
        self.clear();
        match remaining {
            Some(r) if (len as u128) <= r as u128 => {
                self.skip = r - len as usize;
            }
            _ => {
                self.skip = 0;
                self.lost = true;
            }
        }
    }

    /// The next plausible message start at or after `pos`: `Ok` with its offset, or
    /// `Err` with the offset from which bytes must be kept to decide (the end when none).
    fn resync(&self, pos: usize) -> Result<usize, usize> {
        let mut i = pos;
        while let Some(rest) = self.buf.get(i..).filter(|r| !r.is_empty()) {
            if rest.first() == Some(&0x30) {
                match message_start(rest, self.ops) {
                    Probe::Yes => return Ok(i),
                    Probe::Maybe => return Err(i),
                    Probe::No => {}
                }
            }
            i += 1;
        }
        Err(self.buf.len())
    }

    fn feed(&mut self, chunk: Chunk<'_>, mut each: impl FnMut(&[u8], &[u64], Timestamp)) {
        let mut data = chunk.data;
        if self.skip > 0 {
            let n = self.skip.min(data.len());
            self.skip -= n;
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        if self.origins.len() >= MAX_ORIGINS {
            if let Some(last) = self.origins.last_mut() {
                last.1 = chunk.frame;
            }
        } else {
            self.origins.push((self.buf.len(), chunk.frame));
        }
        self.buf.extend_from_slice(data);
        // Messages are taken from `pos` on; the bytes before it are dropped at the end.
        let mut pos = 0;
        while pos < self.buf.len() {
            if self.lost {
                match self.resync(pos) {
                    Ok(start) => {
                        pos = start;
                        self.lost = false;
                    }
                    Err(keep) => {
                        pos = keep;
                        break;
                    }
                }
            }
            let rest = self.buf.get(pos..).unwrap_or_default();
            let total = match ber::header(rest) {
                Err(ber::Error::Incomplete) => break,
                Ok(h) if h.is(Class::Universal, true, ber::SEQUENCE) => match h.total() {
                    Some(t) => t,
                    None => {
                        self.lost = true;
                        pos += 1;
                        continue;
                    }
                },
                Ok(_) | Err(ber::Error::Invalid) => {
                    self.lost = true;
                    continue;
                }
            };
            if total > MAX_MESSAGE {
                if rest.len() >= total {
                    pos += total;
                } else {
                    self.skip = total - rest.len();
                    pos = self.buf.len();
                }
                continue;
            }
            let Some(message) = rest.get(..total) else {
                break;
            };
            let frames = self.frames(pos, pos + total);
            each(message, &frames, chunk.ts);
            pos += total;
        }
        self.drain(pos);
    }
}

/// A request waiting for its response.
#[derive(Debug)]
enum Pending {
    /// A bind whose credential waits for the verdict.
    Bind(Box<Credential>),
    StartTls,
    /// Passwords a modify, add or Password Modify request wrote, each with how the
    /// response judges it (`true`: applied only on success; `false`: as a bind, an old
    /// password); and for a Password Modify, the user a generated password is for.
    Write {
        written: Vec<(Credential, bool)>,
        generated_for: Option<Option<Vec<u8>>>,
    },
}

impl Pending {
    /// Its credentials, reported without a verdict.
    fn unjudged(self, out: &mut Vec<Credential>) {
        match self {
            Pending::Bind(c) => out.push(*c),
            Pending::Write { written, .. } => out.extend(written.into_iter().map(|(c, _)| c)),
            Pending::StartTls => {}
        }
    }
}

/// What the response to a write says: its resultCode, diagnosticMessage and (a Password
/// Modify's) responseValue.
struct WriteAnswer<'a> {
    result: i64,
    diagnostic: &'a [u8],
    value: Option<&'a [u8]>,
}

/// Binds and StartTLS requests waiting for their responses; beyond this the oldest is
/// given up (a bind reported with an unknown outcome).
const MAX_PENDING: usize = 64;
/// Longest SASL challenge kept (CRAM-MD5's are short).
const MAX_SASL_CHALLENGE: usize = 1024;
/// Longest diagnostic message copied into `details`.
const MAX_DIAGNOSTIC: usize = 256;

#[derive(Debug, Default)]
struct Session {
    pending: VecDeque<(i64, Pending)>,
    /// The last NTLM CHALLENGE from the server.
    ntlm_challenge: Option<[u8; 8]>,
    /// The last `serverSaslCreds` of a saslBindInProgress response.
    sasl_challenge: Option<Vec<u8>>,
    /// A SASL credential the server answered with saslBindInProgress (DIGEST-MD5's
    /// rspauth, SPNEGO's mechListMIC): the client's next SASL bind carries its outcome.
    continued: Option<Box<Credential>>,
    /// The user name of the last bind the server accepted: whose password a Password
    /// Modify without `userIdentity` changes.
    bound: Option<Vec<u8>>,
    done: bool,
}

/// A mechanism name fit for the `mechanism` field: printable ASCII, at most 32 bytes.
fn mechanism_name(m: &[u8]) -> String {
    m.iter()
        .take(32)
        .map(|&b| {
            if b.is_ascii_graphic() {
                char::from(b).to_ascii_uppercase()
            } else {
                '?'
            }
        })
        .collect()
}

impl Session {
    fn push(&mut self, id: i64, p: Pending, out: &mut Vec<Credential>) {
        if self.pending.len() >= MAX_PENDING
            && let Some((_, oldest)) = self.pending.pop_front()
        {
            oldest.unjudged(out);
        }
        self.pending.push_back((id, p));
    }

    /// The credentials of a modify or add request's password values.
    fn update(
        &mut self,
        add: bool,
        object: &[u8],
        passwords: &[PasswordValue<'_>],
        frames: &[u64],
        ts: Timestamp,
    ) -> Vec<(Credential, bool)> {
        let mut written = Vec::new();
        for p in passwords {
            let mechanism = match (add, p.operation) {
                (true, _) => format!("add {}", p.attribute),
                (false, 0 | 2) => format!("modify {}", p.attribute),
                (false, 1) => format!("modify {} (old value)", p.attribute),
                _ => continue,
            };
            let Some(w) = written_password(p.attribute, p.value) else {
                continue;
            };
            let c = written_credential(mechanism, Some(object), w, frames, ts);
            written.push((c, p.operation != 1));
        }
        written
    }

    fn take(&mut self, id: i64) -> Option<Pending> {
        let i = self.pending.iter().position(|(x, _)| *x == id)?;
        self.pending.remove(i).map(|(_, p)| p)
    }

    /// An NTLMSSP message in a bind: a NEGOTIATE starts a new exchange, an AUTHENTICATE
    /// completes it.
    fn ntlm(&mut self, data: &[u8], mechanism: &str, ts: Timestamp) -> Option<Credential> {
        match ntlmssp::find(data)? {
            ntlmssp::Message::Negotiate => {
                self.ntlm_challenge = None;
                None
            }
            ntlmssp::Message::Authenticate(a) => {
                a.credential("ldap", mechanism, self.ntlm_challenge, ts)
            }
            ntlmssp::Message::Challenge { .. } => None,
        }
    }

    fn sasl(
        &mut self,
        mechanism: &[u8],
        credentials: Option<&[u8]>,
        ts: Timestamp,
    ) -> Option<Credential> {
        let mech = mechanism_name(mechanism);
        match mech.as_str() {
            "PLAIN" => {
                let (authzid, authcid, passwd) = parse_plain(credentials?)?;
                let mut c = Credential::new("ldap", "SASL PLAIN", Kind::Cleartext, ts);
                c.username = Some(authcid.to_vec());
                c.secret = Some(passwd.to_vec());
                if !authzid.is_empty() {
                    c.details
                        .push(("authzid", String::from_utf8_lossy(authzid).into_owned()));
                }
                Some(c)
            }
            "CRAM-MD5" | "DIGEST-MD5" => {
                // The first bind has no credentials and gets the challenge back; the
                // shared SASL layer decodes the response (it speaks base64).
                let response = credentials.filter(|c| !c.is_empty())?;
                let mut x = Exchange::start(mech.as_bytes())?;
                if let Some(ch) = self.sasl_challenge.take() {
                    x.server_challenge(BASE64.encode(ch).as_bytes());
                }
                match x.client_response(BASE64.encode(response).as_bytes(), &[], ts) {
                    Step::Complete => x.credential("ldap", "SASL"),
                    _ => None,
                }
            }
            _ => {
                let label = if mech == "NTLM" {
                    "SASL NTLM".to_string()
                } else {
                    format!("SASL {mech} NTLM")
                };
                self.ntlm(credentials?, &label, ts)
            }
        }
    }

    fn client(
        &mut self,
        msg: Message<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        match msg.op {
            Op::BindRequest { name, auth, .. } => {
                let is_sasl = matches!(auth, Auth::Sasl { .. });
                let cred = match auth {
                    Auth::Simple(password) if !password.is_empty() => {
                        let mut c = Credential::new("ldap", "simple bind", Kind::Cleartext, ts);
                        c.username = Some(name.to_vec());
                        c.secret = Some(password.to_vec());
                        Some(c)
                    }
                    Auth::Simple(_) | Auth::Other(_) => None,
                    Auth::Sasl {
                        mechanism,
                        credentials,
                    } => self.sasl(mechanism, credentials, ts),
                    Auth::SicilyDiscovery => {
                        self.ntlm_challenge = None;
                        None
                    }
                    Auth::SicilyNegotiate(data) | Auth::SicilyResponse(data) => {
                        self.ntlm(data, "sicily NTLM", ts)
                    }
                };
                match cred {
                    Some(mut c) => {
                        if let Some(old) = self.continued.take() {
                            out.push(*old); // abandoned for a new credential
                        }
                        c.add_frames(frames.iter().copied());
                        self.push(msg.id, Pending::Bind(Box::new(c)), out);
                    }
                    None if is_sasl => {
                        if let Some(c) = self.continued.take() {
                            self.push(msg.id, Pending::Bind(c), out);
                        }
                    }
                    None => {}
                }
            }
            Op::ExtendedRequest { name, .. } if name == START_TLS_OID => {
                self.push(msg.id, Pending::StartTls, out);
            }
            Op::ExtendedRequest { name, value } if name == PASSWORD_MODIFY_OID => {
                // Without a value: the bound user's password, generated by the server.
                let Some(p) = value.map_or(Some(PasswordModify::default()), parse_password_modify)
                else {
                    return;
                };
                let user = p.user.map(<[u8]>::to_vec).or_else(|| self.bound.clone());
                let mut written = Vec::new();
                for (password, which, applied) in [(p.old, "old", false), (p.new, "new", true)] {
                    if let Some(w) = password.and_then(|v| written_password("userPassword", v)) {
                        let mechanism = format!("password modify ({which} password)");
                        let c = written_credential(mechanism, user.as_deref(), w, frames, ts);
                        written.push((c, applied));
                    }
                }
                // A request without a new password asks the server to generate one.
                let generated_for = p.new.is_none().then_some(user);
                let write = Pending::Write {
                    written,
                    generated_for,
                };
                self.push(msg.id, write, out);
            }
            Op::Update {
                add,
                object,
                passwords,
            } if !passwords.is_empty() => {
                let written = self.update(add, object, &passwords, frames, ts);
                if !written.is_empty() {
                    let write = Pending::Write {
                        written,
                        generated_for: None,
                    };
                    self.push(msg.id, write, out);
                }
            }
            _ => {}
        }
    }

    /// The response to a write: each password judged, and a generated one reported.
    fn written(
        &mut self,
        id: i64,
        answer: WriteAnswer<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let WriteAnswer {
            result,
            diagnostic,
            value,
        } = answer;
        let Some(Pending::Write {
            written,
            generated_for,
        }) = self.take(id)
        else {
            return;
        };
        for (mut c, applied) in written {
            c.outcome = match (applied, result) {
                (_, 0) => Outcome::Success,
                (true, _) => Outcome::Failure,
                (false, r) => outcome(r),
            };
            if c.outcome != Outcome::Success && !diagnostic.is_empty() {
                let d = &diagnostic[..diagnostic.len().min(MAX_DIAGNOSTIC)];
                c.details
                    .push(("diagnostic", String::from_utf8_lossy(d).into_owned()));
            }
            out.push(c);
        }
        if let (Some(user), 0, Some(generated)) =
            (generated_for, result, value.and_then(generated_password))
            && let Some(w) = written_password("userPassword", generated)
        {
            let mechanism = "password modify (generated password)".to_string();
            let mut c = written_credential(mechanism, user.as_deref(), w, frames, ts);
            c.outcome = Outcome::Success;
            out.push(c);
        }
    }

    fn server(
        &mut self,
        msg: Message<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        match msg.op {
            Op::BindResponse {
                result,
                matched_dn,
                diagnostic,
                sasl_creds,
            } => {
                // The NTLM CHALLENGE: in serverSaslCreds (SASL), in matchedDN (sicily).
                let challenge = [sasl_creds, Some(matched_dn)]
                    .into_iter()
                    .flatten()
                    .find_map(|f| match ntlmssp::find(f) {
                        Some(ntlmssp::Message::Challenge { challenge }) => Some(challenge),
                        _ => None,
                    });
                if challenge.is_some() {
                    self.ntlm_challenge = challenge;
                }
                if result == SASL_BIND_IN_PROGRESS {
                    if let Some(creds) = sasl_creds.filter(|c| c.len() <= MAX_SASL_CHALLENGE) {
                        self.sasl_challenge = Some(creds.to_vec());
                    }
                    if let Some(Pending::Bind(c)) = self.take(msg.id)
                        && let Some(old) = self.continued.replace(c)
                    {
                        out.push(*old);
                    }
                    return;
                }
                if let Some(Pending::Bind(mut c)) = self.take(msg.id) {
                    c.outcome = outcome(result);
                    if c.outcome == Outcome::Success {
                        self.bound.clone_from(&c.username);
                    }
                    if c.outcome != Outcome::Success && !diagnostic.is_empty() {
                        let d = &diagnostic[..diagnostic.len().min(MAX_DIAGNOSTIC)];
                        c.details
                            .push(("diagnostic", String::from_utf8_lossy(d).into_owned()));
                    }
                    out.push(*c);
                }
            }
            Op::ExtendedResponse {
                result,
                diagnostic,
                value,
            } => match self.pending.iter().find(|(id, _)| *id == msg.id) {
                Some((_, Pending::StartTls)) => {
                    self.take(msg.id);
                    if result == 0 {
                        self.done = true;
                    }
                }
                Some((_, Pending::Write { .. })) => {
                    let answer = WriteAnswer {
                        result,
                        diagnostic,
                        value,
                    };
                    self.written(msg.id, answer, frames, ts, out);
                }
                _ => {}
            },
            Op::UpdateResponse { result, diagnostic } => {
                let answer = WriteAnswer {
                    result,
                    diagnostic,
                    value: None,
                };
                self.written(msg.id, answer, frames, ts, out);
            }
            _ => {}
        }
    }
}

/// The LDAP dissector of one connection.
#[derive(Debug)]
pub struct Ldap {
    framers: [Framer; 2],
    session: Session,
}

impl Default for Ldap {
    fn default() -> Self {
        Ldap {
            framers: [Framer::new(CLIENT_OPS), Framer::new(SERVER_OPS)],
            session: Session::default(),
        }
    }
}

impl Dissector for Ldap {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.done {
            return;
        }
        let framer = &mut self.framers[dir.index()];
        if dir == Direction::ToServer
            && framer.at_boundary()
            && looks_like_tls(chunk.data)
            && s.pending
                .iter()
                .any(|(_, p)| matches!(p, Pending::StartTls))
        {
            // StartTLS whose response the capture missed.
            s.done = true;
            return;
        }
        framer.feed(chunk, |bytes, frames, ts| {
            if s.done {
                return;
            }
            let Some(msg) = parse_message(bytes) else {
                return;
            };
            match dir {
                Direction::ToServer => s.client(msg, frames, ts, out),
                Direction::ToClient => s.server(msg, frames, ts, out),
            }
        });
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for (_, p) in self.session.pending.drain(..) {
            p.unjudged(out);
        }
        if let Some(c) = self.session.continued.take() {
            out.push(*c);
        }
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self.session.pending.len() * 256
            + self.session.sasl_challenge.as_ref().map_or(0, Vec::len)
            + usize::from(self.session.continued.is_some()) * 256
    }
}

/// Encoders of LDAP messages, for tests and fixtures.
pub mod build {
    use super::super::ber::build::{enumerated, int, octets, seq, tlv};

    fn message(id: i64, op: Vec<u8>) -> Vec<u8> {
        seq(&[&int(id), &op])
    }

    /// A BindRequest (version 3) with a raw authentication choice.
    pub fn bind(id: i64, name: &[u8], auth: Vec<u8>) -> Vec<u8> {
        message(id, tlv(0x60, &[int(3), octets(name), auth].concat()))
    }

    /// A simple bind.
    pub fn simple_bind(id: i64, name: &[u8], password: &[u8]) -> Vec<u8> {
        bind(id, name, tlv(0x80, password))
    }

    /// A SASL bind.
    pub fn sasl_bind(id: i64, mechanism: &[u8], credentials: Option<&[u8]>) -> Vec<u8> {
        let mut sasl = octets(mechanism);
        if let Some(c) = credentials {
            sasl.extend_from_slice(&octets(c));
        }
        bind(id, b"", tlv(0xa3, &sasl))
    }

    /// A sicily NTLM bind: choice 10 (negotiate) or 11 (response).
    pub fn sicily_bind(id: i64, name: &[u8], choice: u8, ntlm: &[u8]) -> Vec<u8> {
        bind(id, name, tlv(0x80 | choice, ntlm))
    }

    /// A BindResponse.
    pub fn bind_response(
        id: i64,
        result: i64,
        matched_dn: &[u8],
        diagnostic: &[u8],
        sasl_creds: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut body = [enumerated(result), octets(matched_dn), octets(diagnostic)].concat();
        if let Some(c) = sasl_creds {
            body.extend_from_slice(&tlv(0x87, c));
        }
        message(id, tlv(0x61, &body))
    }

    /// An ExtendedRequest with a request name.
    pub fn extended(id: i64, oid: &[u8]) -> Vec<u8> {
        message(id, tlv(0x77, &tlv(0x80, oid)))
    }

    /// An ExtendedResponse.
    pub fn extended_response(id: i64, result: i64) -> Vec<u8> {
        message(
            id,
            tlv(
                0x78,
                &[enumerated(result), octets(b""), octets(b"")].concat(),
            ),
        )
    }

    /// A search request for the base object, and its SearchResultDone.
    pub fn search(id: i64, base: &[u8]) -> Vec<u8> {
        let body = [
            octets(base),
            tlv(0x0a, &[0]),
            tlv(0x0a, &[0]),
            int(0),
            int(0),
            tlv(0x01, &[0]),
            tlv(0x87, b"objectClass"),
            seq(&[]),
        ]
        .concat();
        message(id, tlv(0x63, &body))
    }

    pub fn search_done(id: i64) -> Vec<u8> {
        message(
            id,
            tlv(0x65, &[enumerated(0), octets(b""), octets(b"")].concat()),
        )
    }

    pub fn unbind(id: i64) -> Vec<u8> {
        message(id, vec![0x42, 0x00])
    }

    /// A Password Modify request (RFC 3062); `None` fields are left out.
    pub fn password_modify(
        id: i64,
        user: Option<&[u8]>,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut fields = Vec::new();
        for (tag, f) in [(0x80, user), (0x81, old), (0x82, new)] {
            if let Some(v) = f {
                fields.extend_from_slice(&tlv(tag, v));
            }
        }
        let body = [
            tlv(0x80, super::PASSWORD_MODIFY_OID),
            tlv(0x81, &seq(&[&fields])),
        ]
        .concat();
        message(id, tlv(0x77, &body))
    }

    /// A Password Modify response, with a generated password or without.
    pub fn password_modify_response(
        id: i64,
        result: i64,
        diagnostic: &[u8],
        generated: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut body = [enumerated(result), octets(b""), octets(diagnostic)].concat();
        if let Some(g) = generated {
            body.extend_from_slice(&tlv(0x8b, &seq(&[&tlv(0x80, g)])));
        }
        message(id, tlv(0x78, &body))
    }

    /// An attribute and its values (a `PartialAttribute`).
    fn attribute(name: &[u8], values: &[&[u8]]) -> Vec<u8> {
        let vals: Vec<u8> = values.iter().flat_map(|v| octets(v)).collect();
        seq(&[&octets(name), &tlv(0x31, &vals)])
    }

    /// A modification: operation (add 0, delete 1, replace 2), attribute, values.
    pub type Change<'a> = (i64, &'a [u8], &'a [&'a [u8]]);

    /// A ModifyRequest of these changes.
    pub fn modify(id: i64, object: &[u8], changes: &[Change<'_>]) -> Vec<u8> {
        let changes: Vec<u8> = changes
            .iter()
            .flat_map(|(op, name, values)| seq(&[&enumerated(*op), &attribute(name, values)]))
            .collect();
        message(id, tlv(0x66, &[octets(object), seq(&[&changes])].concat()))
    }

    /// An AddRequest: (attribute, values).
    pub fn add(id: i64, entry: &[u8], attributes: &[(&[u8], &[&[u8]])]) -> Vec<u8> {
        let attributes: Vec<u8> = attributes
            .iter()
            .flat_map(|(name, values)| attribute(name, values))
            .collect();
        message(
            id,
            tlv(0x68, &[octets(entry), seq(&[&attributes])].concat()),
        )
    }

    /// A ModifyResponse (`add`: an AddResponse).
    pub fn update_response(id: i64, add: bool, result: i64, diagnostic: &[u8]) -> Vec<u8> {
        let tag = if add { 0x69 } else { 0x67 };
        let body = [enumerated(result), octets(b""), octets(diagnostic)].concat();
        message(id, tlv(tag, &body))
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::DissectorConfig;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> (Vec<Credential>, bool) {
        crate::dissect::script::play(&mut Ldap::default(), script)
    }

    fn findings(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        run(script).0
    }

    #[test]
    fn simple_bind_success_and_failure() {
        let out = findings(&[
            (C, &simple_bind(1, b"cn=admin,dc=example,dc=org", b"wrong")),
            (
                S,
                &bind_response(1, 49, b"", b"80090308: LdapErr: data 52e", None),
            ),
            (
                C,
                &simple_bind(2, b"cn=admin,dc=example,dc=org", b"s3cret!"),
            ),
            (S, &bind_response(2, 0, b"", b"", None)),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].mechanism, "simple bind");
        assert_eq!(out[0].kind, Kind::Cleartext);
        assert_eq!(
            out[0].username.as_deref(),
            Some(&b"cn=admin,dc=example,dc=org"[..])
        );
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![1]);
        assert_eq!(
            out[0].details,
            vec![("diagnostic", "80090308: LdapErr: data 52e".to_string())]
        );
        assert_eq!(out[1].secret.as_deref(), Some(&b"s3cret!"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        assert!(out[1].details.is_empty());
    }

    #[test]
    fn result_codes() {
        assert_eq!(outcome(0), Outcome::Success);
        assert_eq!(outcome(49), Outcome::Failure);
        assert_eq!(outcome(48), Outcome::Failure);
        assert_eq!(outcome(50), Outcome::Failure);
        for code in [1, 2, 7, 13, 51, 52, 53, 80] {
            assert_eq!(outcome(code), Outcome::Unknown, "{code}");
        }
        // unwillingToPerform: the password was not judged.
        let out = findings(&[
            (C, &simple_bind(1, b"u", b"p")),
            (S, &bind_response(1, 53, b"", b"", None)),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn no_response_is_unknown_and_responses_match_by_id() {
        let out = findings(&[
            (C, &simple_bind(7, b"a", b"pa")),
            (C, &simple_bind(8, b"b", b"pb")),
            (S, &bind_response(8, 0, b"", b"", None)),
            (S, &bind_response(99, 49, b"", b"", None)),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].username.as_deref(), Some(&b"b"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].username.as_deref(), Some(&b"a"[..]));
        assert_eq!(out[1].outcome, Outcome::Unknown);
    }

    #[test]
    fn anonymous_and_unauthenticated_binds_are_not_credentials() {
        let out = findings(&[
            (C, &simple_bind(1, b"", b"")),
            (S, &bind_response(1, 0, b"", b"", None)),
            (C, &simple_bind(2, b"cn=someone", b"")),
            (S, &bind_response(2, 0, b"", b"", None)),
            (C, &search(3, b"")),
            (S, &search_done(3)),
            (C, &unbind(4)),
        ]);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn several_messages_in_one_segment_and_one_message_in_many() {
        let bind = simple_bind(1, b"uid=bob,ou=people", b"hunter2");
        let mut two = search(5, b"dc=x");
        two.extend_from_slice(&simple_bind(6, b"uid=eve", b"pw"));
        let mut script: Vec<(Direction, Vec<u8>)> =
            bind.chunks(3).map(|c| (C, c.to_vec())).collect::<Vec<_>>();
        script.push((S, bind_response(1, 0, b"", b"", None)));
        script.push((C, two));
        script.push((
            S,
            [search_done(5), bind_response(6, 49, b"", b"", None)].concat(),
        ));
        let refs: Vec<(Direction, &[u8])> = script.iter().map(|(d, b)| (*d, &b[..])).collect();
        let out = findings(&refs);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].secret.as_deref(), Some(&b"hunter2"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        let n = bind.len().div_ceil(3) as u64;
        assert_eq!(out[0].frames, (1..=n).collect::<Vec<_>>());
        assert_eq!(out[1].username.as_deref(), Some(&b"uid=eve"[..]));
        assert_eq!(out[1].outcome, Outcome::Failure);
        assert_eq!(out[1].frames, vec![n + 2]);
    }

    #[test]
    fn thousands_of_messages_in_one_chunk() {
        let mut binds = Vec::new();
        let mut responses = Vec::new();
        for id in 0..2000 {
            binds.extend_from_slice(&simple_bind(id, format!("u{id}").as_bytes(), b"pw"));
            responses.extend_from_slice(&bind_response(
                id,
                if id % 2 == 0 { 0 } else { 49 },
                b"",
                b"",
                None,
            ));
        }
        responses.extend_from_slice(&big_entry(1, 1000));
        let mut d = Ldap::default();
        let mut out = Vec::new();
        d.data(C, chunk(&binds), &mut out);
        d.data(S, chunk(&responses), &mut out);
        d.close(&mut out);
        // At most MAX_PENDING binds wait: the older ones were given up as unknown.
        assert_eq!(out.len(), 2000);
        let known = out.iter().filter(|c| c.outcome != Outcome::Unknown).count();
        assert_eq!(known, MAX_PENDING);
        assert!(d.buffered() < 4096, "{}", d.buffered());
    }

    type Seen = (String, Option<Vec<u8>>, Vec<u8>, Kind, Outcome);

    fn seen(out: &[Credential]) -> Vec<Seen> {
        out.iter()
            .map(|c| {
                (
                    c.mechanism.to_string(),
                    c.username.clone(),
                    c.secret.clone().unwrap_or_default(),
                    c.kind,
                    c.outcome,
                )
            })
            .collect()
    }

    fn row(m: &str, user: &[u8], secret: &[u8], kind: Kind, outcome: Outcome) -> Seen {
        (
            m.to_string(),
            Some(user.to_vec()),
            secret.to_vec(),
            kind,
            outcome,
        )
    }

    #[test]
    fn password_modify_old_new_and_generated() {
        use Kind::Cleartext as Clear;
        use Outcome::{Failure, Success, Unknown};
        let dn = b"uid=ann,ou=people,dc=example,dc=org";
        let (old, new) = (
            "password modify (old password)",
            "password modify (new password)",
        );
        // userIdentity named, old and new given, accepted.
        let out = findings(&[
            (
                C,
                &password_modify(1, Some(dn), Some(b"Old-Pw-1"), Some(b"New-Pw-2")),
            ),
            (S, &password_modify_response(1, 0, b"", None)),
        ]);
        assert_eq!(
            seen(&out),
            vec![
                row(old, dn, b"Old-Pw-1", Clear, Success),
                row(new, dn, b"New-Pw-2", Clear, Success)
            ]
        );
        // The old password refused as a bind's would be (invalidCredentials); the new one
        // was then not set; the diagnostic kept.
        let out = findings(&[
            (
                C,
                &password_modify(1, Some(dn), Some(b"Guess-1"), Some(b"New-Pw-3")),
            ),
            (S, &password_modify_response(1, 49, b"bad old", None)),
        ]);
        assert_eq!(
            seen(&out),
            vec![
                row(old, dn, b"Guess-1", Clear, Failure),
                row(new, dn, b"New-Pw-3", Clear, Failure)
            ]
        );
        assert_eq!(out[0].details, vec![("diagnostic", "bad old".to_string())]);
        // Refused for another reason (a password policy): the old password's worth unknown.
        let out = findings(&[
            (
                C,
                &password_modify(1, Some(dn), Some(b"Old-Pw-1"), Some(b"short")),
            ),
            (S, &password_modify_response(1, 19, b"too short", None)),
        ]);
        assert_eq!(out[0].outcome, Unknown);
        assert_eq!(out[1].outcome, Failure);
        // No userIdentity: the identity bound; no new password: the server generates one
        // and sends it back.
        let out = findings(&[
            (C, &simple_bind(1, dn, b"Old-Pw-1")),
            (S, &bind_response(1, 0, b"", b"", None)),
            (C, &password_modify(2, None, None, None)),
            (S, &password_modify_response(2, 0, b"", Some(b"xK3-gen"))),
        ]);
        assert_eq!(
            seen(&out),
            vec![
                row("simple bind", dn, b"Old-Pw-1", Clear, Success),
                row(
                    "password modify (generated password)",
                    dn,
                    b"xK3-gen",
                    Clear,
                    Success
                )
            ]
        );
        assert_eq!(out[1].frames, vec![4]);
        // A request without any value at all asks the same.
        let bare = extended(3, PASSWORD_MODIFY_OID);
        let out = findings(&[
            (C, &simple_bind(1, dn, b"Old-Pw-1")),
            (S, &bind_response(1, 0, b"", b"", None)),
            (C, &bare),
            (S, &password_modify_response(3, 0, b"", Some(b"Gen-2"))),
        ]);
        assert_eq!(out[1].secret.as_deref(), Some(&b"Gen-2"[..]));
        // Unanswered: reported when the connection closes, verdict unknown; a refused
        // bind is no identity to change.
        let out = findings(&[
            (C, &simple_bind(1, dn, b"Wrong")),
            (S, &bind_response(1, 49, b"", b"", None)),
            (
                C,
                &password_modify(2, None, Some(b"Wrong"), Some(b"New-Pw-4")),
            ),
        ]);
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(out[2].username, None);
        assert_eq!(out[2].outcome, Unknown);
        // A generated password is only believed from a success.
        let out = findings(&[
            (C, &password_modify(1, Some(dn), None, None)),
            (S, &password_modify_response(1, 53, b"", Some(b"not-set"))),
        ]);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn modify_and_add_write_passwords() {
        use Kind::{ChallengeResponse as Hash, Cleartext as Clear};
        use Outcome::{Failure, Success, Unknown};
        let dn = b"cn=bob,dc=example,dc=org";
        // An administrator's reset, other attributes alongside.
        let out = findings(&[
            (
                C,
                &modify(
                    2,
                    dn,
                    &[
                        (2, b"description", &[b"reset"]),
                        (2, b"userPassword", &[b"B0b-New"]),
                    ],
                ),
            ),
            (S, &update_response(2, false, 0, b"")),
        ]);
        assert_eq!(
            seen(&out),
            vec![row("modify userPassword", dn, b"B0b-New", Clear, Success)]
        );
        // Active Directory's change: the old value deleted, the new added, both quoted
        // UTF-16LE; refused (constraintViolation): the old one unknown, the new not set.
        let quoted = |s: &str| -> Vec<u8> {
            format!("\"{s}\"")
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect()
        };
        let (o, n) = (quoted("Ält-Pw"), quoted("Nëu-Pw"));
        let out = findings(&[
            (
                C,
                &modify(
                    3,
                    dn,
                    &[(1, b"unicodePwd", &[&o]), (0, b"unicodePwd", &[&n])],
                ),
            ),
            (
                S,
                &update_response(3, false, 19, b"0000052D: Constraint violation"),
            ),
        ]);
        assert_eq!(
            seen(&out),
            vec![
                row(
                    "modify unicodePwd (old value)",
                    dn,
                    "Ält-Pw".as_bytes(),
                    Clear,
                    Unknown
                ),
                row("modify unicodePwd", dn, "Nëu-Pw".as_bytes(), Clear, Failure),
            ]
        );
        // A new entry with a hashed password (and an NT hash), answered by an AddResponse.
        let ssha = b"{SSHA}cjmKlDysb9752L6toZF0XHfefSXy9vEE";
        let nt = b"8846F7EAEE8FB117AD06BDD830B7586C";
        let out = findings(&[
            (
                C,
                &add(
                    4,
                    dn,
                    &[
                        (b"objectClass", &[b"person"]),
                        (b"userPassword;binary", &[ssha]),
                        (b"sambaNTPassword", &[nt]),
                    ],
                ),
            ),
            (S, &update_response(4, true, 0, b"")),
        ]);
        assert_eq!(
            seen(&out),
            vec![
                row("add userPassword", dn, ssha, Hash, Success),
                row("add sambaNTPassword", dn, nt, Hash, Success),
            ]
        );
        assert_eq!(out[0].hashcat.as_ref().map(|h| h.mode), Some(111));
        assert_eq!(out[0].details, vec![("scheme", "SSHA".to_string())]);
        let h = out[1].hashcat.as_ref().unwrap();
        assert_eq!(
            (h.mode, h.hash.as_str()),
            (1000, "8846f7eaee8fb117ad06bdd830b7586c")
        );
        // Nothing written that is a password: nothing pending, nothing reported.
        let out = findings(&[
            (C, &modify(5, dn, &[(2, b"mail", &[b"bob@example.org"])])),
            (S, &update_response(5, false, 0, b"")),
            (C, &modify(6, dn, &[(1, b"userPassword", &[])])),
        ]);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn written_password_schemes() {
        let w = |a: &str, v: &[u8]| written_password(a, v);
        let clear = w("userPassword", b"plain-pw").unwrap();
        assert_eq!(
            (clear.kind, clear.secret.as_slice()),
            (Kind::Cleartext, &b"plain-pw"[..])
        );
        let clear = w("userPassword", b"{CLEARTEXT}in-clear").unwrap();
        assert_eq!(clear.secret, b"in-clear");
        assert_eq!(clear.kind, Kind::Cleartext);
        let mode = |v: &[u8]| match w("userPassword", v).unwrap().crack {
            Some(Ok(h)) => Some(h.mode),
            _ => None,
        };
        assert_eq!(mode(b"{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="), Some(101));
        assert_eq!(mode(b"{ssha256}abcd"), Some(1411));
        assert_eq!(mode(b"{SSHA512}abcd"), Some(1711));
        assert_eq!(mode(b"{CRYPT}$6$salt$abcdef"), Some(1800));
        assert_eq!(mode(b"{ARGON2}$argon2id$v=19$m=65536"), None);
        let argon = w("userPassword", b"{ARGON2}$argon2id$v=19").unwrap();
        assert_eq!(argon.kind, Kind::ChallengeResponse);
        assert_eq!(argon.scheme.as_deref(), Some("ARGON2"));
        // A brace that closes nothing near is no scheme.
        let odd = w("userPassword", b"{not a scheme at all, a password}").unwrap();
        assert_eq!(odd.kind, Kind::Cleartext);
        assert_eq!(w("userPassword", b""), None);
        assert_eq!(w("userPassword", b"{}pw").unwrap().kind, Kind::Cleartext);
        assert_eq!(w("userPassword", b"{CLEARTEXT}"), None);
        assert_eq!(w("sambaNTPassword", b"not-a-hash"), None);
        assert_eq!(w("unicodePwd", b"\"\0\"\0"), None);
        assert_eq!(w("unicodePwd", b"\"\0x"), None);
        assert_eq!(password_attribute(b"USERPASSWORD"), Some("userPassword"));
        assert_eq!(password_attribute(b"2.5.4.35"), Some("userPassword"));
        assert_eq!(password_attribute(b"unicodePwd;binary"), Some("unicodePwd"));
        assert_eq!(password_attribute(b"cn"), None);
        assert_eq!(password_attribute(b"userPasswordX"), None);
    }

    #[test]
    fn sasl_plain_with_authzid() {
        let out = findings(&[
            (C, &sasl_bind(1, b"PLAIN", Some(b"admin\0bob\0pl@in"))),
            (S, &bind_response(1, 0, b"", b"", None)),
            (C, &sasl_bind(2, b"plain", Some(b"\0carol\0x"))),
            (S, &bind_response(2, 49, b"", b"", None)),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].mechanism, "SASL PLAIN");
        assert_eq!(out[0].username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"pl@in"[..]));
        assert_eq!(out[0].details, vec![("authzid", "admin".to_string())]);
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].username.as_deref(), Some(&b"carol"[..]));
        assert!(out[1].details.is_empty());
        assert_eq!(out[1].outcome, Outcome::Failure);
    }

    #[test]
    fn sasl_cram_md5() {
        let challenge = b"<1896.697170952@postoffice.example.net>";
        let response = b"tim b913a602c7eda7a495b4e6e7334d3890";
        let out = findings(&[
            (C, &sasl_bind(1, b"CRAM-MD5", None)),
            (S, &bind_response(1, 14, b"", b"", Some(challenge))),
            (C, &sasl_bind(2, b"CRAM-MD5", Some(response))),
            (S, &bind_response(2, 0, b"", b"", None)),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.mechanism, "SASL CRAM-MD5");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"tim"[..]));
        assert_eq!(
            c.secret.as_deref(),
            Some(&b"b913a602c7eda7a495b4e6e7334d3890"[..])
        );
        assert_eq!(c.challenge.as_deref(), Some(&challenge[..]));
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 10200);
        assert_eq!(
            h.hash,
            format!(
                "$cram_md5${}${}",
                BASE64.encode(challenge),
                BASE64.encode(response)
            )
        );
        assert_eq!(c.outcome, Outcome::Success);
    }

    #[test]
    fn sasl_digest_md5_outcome_after_rspauth() {
        let challenge = b"realm=\"example.org\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",charset=utf-8,algorithm=md5-sess";
        let response = b"charset=utf-8,username=\"chris\",realm=\"example.org\",nonce=\"OA6MG9tEQGm2hh\",nc=00000001,cnonce=\"OA6MHXh6VqTrRk\",digest-uri=\"ldap/ldap.example.org\",response=d388dad90d4bbd760a152321f2143af7,qop=auth";
        let out = findings(&[
            (C, &sasl_bind(1, b"DIGEST-MD5", None)),
            (S, &bind_response(1, 14, b"", b"", Some(challenge))),
            (C, &sasl_bind(2, b"DIGEST-MD5", Some(response))),
            (
                S,
                &bind_response(
                    2,
                    14,
                    b"",
                    b"",
                    Some(b"rspauth=ea40f60335c427b5527b84dbabcdfffd"),
                ),
            ),
            (C, &sasl_bind(3, b"DIGEST-MD5", None)),
            (S, &bind_response(3, 0, b"", b"", None)),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "SASL DIGEST-MD5");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"chris"[..]));
        assert_eq!(
            c.secret.as_deref(),
            Some(&b"d388dad90d4bbd760a152321f2143af7"[..])
        );
        assert_eq!(c.challenge.as_deref(), Some(&b"OA6MG9tEQGm2hh"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![3]);
        // A wrong password: invalidCredentials right away.
        let out = findings(&[
            (C, &sasl_bind(1, b"DIGEST-MD5", None)),
            (S, &bind_response(1, 14, b"", b"", Some(challenge))),
            (C, &sasl_bind(2, b"DIGEST-MD5", Some(response))),
            (S, &bind_response(2, 49, b"", b"", None)),
        ]);
        assert_eq!(out[0].outcome, Outcome::Failure);
        // The client never finishes: unknown.
        let out = findings(&[
            (C, &sasl_bind(2, b"DIGEST-MD5", Some(response))),
            (S, &bind_response(2, 14, b"", b"", Some(b"rspauth=x"))),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    fn ntlm_auth() -> Vec<u8> {
        let nt: Vec<u8> = (0u8..48).collect();
        ntlmssp::build::authenticate("alice", "CORP", "WS01", &[0; 24], &nt)
    }

    fn negotiate() -> Vec<u8> {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&1u32.to_le_bytes());
        m.extend_from_slice(&0xa088_0205u32.to_le_bytes());
        m.extend_from_slice(&[0; 16]);
        m
    }

    #[test]
    fn sicily_ntlm_bind() {
        let ch = [0x80, 0x1d, 0x05, 0x0b, 0xed, 0xf3, 0x85, 0x30];
        let out = findings(&[
            (C, &sicily_bind(10, b"alice", 10, &negotiate())),
            (
                S,
                &bind_response(10, 0, &ntlmssp::build::challenge(ch), b"", None),
            ),
            (C, &sicily_bind(11, b"alice", 11, &ntlm_auth())),
            (S, &bind_response(11, 0, b"", b"", None)),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "sicily NTLM (NetNTLMv2)");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(c.domain.as_deref(), Some(&b"CORP"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![3]);
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 5600);
        assert!(
            h.hash.starts_with("alice::CORP:801d050bedf38530:"),
            "{}",
            h.hash
        );
    }

    #[test]
    fn sasl_gss_spnego_ntlm_bind_failing() {
        let ch = [1, 2, 3, 4, 5, 6, 7, 8];
        // SPNEGO wraps the NTLMSSP messages: a few bytes of GSS-API before them.
        let wrap = |m: &[u8]| [&[0x60, 0x48, 0x06, 0x06][..], m].concat();
        let out = findings(&[
            (C, &sasl_bind(1, b"GSS-SPNEGO", Some(&wrap(&negotiate())))),
            (
                S,
                &bind_response(1, 14, b"", b"", Some(&wrap(&ntlmssp::build::challenge(ch)))),
            ),
            (C, &sasl_bind(2, b"GSS-SPNEGO", Some(&wrap(&ntlm_auth())))),
            (S, &bind_response(2, 49, b"", b"", None)),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "SASL GSS-SPNEGO NTLM (NetNTLMv2)");
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].challenge.as_deref(), Some(&b"0102030405060708"[..]));
    }

    #[test]
    fn ntlm_without_challenge_still_reported() {
        let out = findings(&[
            (C, &sicily_bind(3, b"", 11, &ntlm_auth())),
            (S, &bind_response(3, 0, b"", b"", None)),
        ]);
        assert_eq!(out.len(), 1);
        assert!(out[0].hashcat.is_none());
    }

    #[test]
    fn starttls_success_stops() {
        let (out, done) = run(&[
            (C, &extended(1, START_TLS_OID)),
            (S, &extended_response(1, 0)),
            (C, b"\x16\x03\x01\x00\x05hello"),
            (C, &simple_bind(2, b"cn=x", b"not seen")),
        ]);
        assert!(out.is_empty());
        assert!(done);
    }

    #[test]
    fn starttls_refused_goes_on() {
        let (out, done) = run(&[
            (C, &extended(1, START_TLS_OID)),
            (S, &extended_response(1, 2)),
            (C, &simple_bind(2, b"cn=x", b"pw")),
            (S, &bind_response(2, 0, b"", b"", None)),
        ]);
        assert!(!done);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn starttls_response_missed_then_tls() {
        let (_, done) = run(&[
            (C, &extended(1, START_TLS_OID)),
            (C, b"\x16\x03\x01\x00\x05hello"),
        ]);
        assert!(done);
    }

    /// A SearchResultEntry whose `LDAPMessage` contents are `len` bytes (4-octet lengths).
    fn big_entry(id: u8, len: usize) -> Vec<u8> {
        let mut m = vec![0x30, 0x84];
        m.extend_from_slice(&(len as u32).to_be_bytes());
        m.extend_from_slice(&[0x02, 0x01, id, 0x64, 0x84]);
        m.extend_from_slice(&((len - 9) as u32).to_be_bytes());
        m.resize(6 + len, 0);
        m
    }

    fn chunk(data: &[u8]) -> Chunk<'_> {
        Chunk {
            data,
            frame: 1,
            ts: Timestamp::ZERO,
        }
    }

    #[test]
    fn oversized_messages_are_skipped_not_buffered() {
        let mut d = Ldap::default();
        let mut out = Vec::new();
        let big = big_entry(2, 1 << 20);
        for piece in big.chunks(1400) {
            d.data(S, chunk(piece), &mut out);
            assert!(d.buffered() < 2 * MAX_MESSAGE, "{}", d.buffered());
        }
        d.data(C, chunk(&simple_bind(3, b"a", b"b")), &mut out);
        d.data(S, chunk(&bind_response(3, 0, b"", b"", None)), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        // Two in one chunk, the big one first.
        let mut d = Ldap::default();
        let mut out = Vec::new();
        d.data(C, chunk(&simple_bind(4, b"a", b"b")), &mut out);
        let both = [
            big_entry(2, MAX_MESSAGE + 1),
            bind_response(4, 49, b"", b"", None),
        ]
        .concat();
        d.data(S, chunk(&both), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
    }

    #[test]
    fn gap_inside_a_skipped_message_keeps_step() {
        let mut d = Ldap::default();
        let mut out = Vec::new();
        // A response of 100,006 bytes whose middle is missing.
        let big = big_entry(2, 100_000);
        d.data(S, chunk(&big[..1000]), &mut out);
        d.gap(S, 50_000, &mut out);
        d.data(C, chunk(&simple_bind(3, b"a", b"b")), &mut out);
        d.data(S, chunk(&big[51_000..]), &mut out);
        d.data(S, chunk(&bind_response(3, 0, b"", b"", None)), &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        // The same with a buffered (not oversized) message.
        let mut d = Ldap::default();
        let mut out = Vec::new();
        let mid = big_entry(2, 10_000);
        d.data(S, chunk(&mid[..1000]), &mut out);
        d.gap(S, 5_000, &mut out);
        d.data(C, chunk(&simple_bind(3, b"a", b"b")), &mut out);
        d.data(S, chunk(&mid[6000..]), &mut out);
        d.data(S, chunk(&bind_response(3, 0, b"", b"", None)), &mut out);
        d.close(&mut out);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn resynchronises_after_a_gap() {
        let bind1 = simple_bind(1, b"first", b"lost");
        let out = {
            let mut d = Ldap::default();
            let mut out = Vec::new();
            d.data(C, chunk(&bind1[..10]), &mut out);
            d.gap(C, 500, &mut out); // longer than the rest of the message
            d.data(C, chunk(b"garbage\x30\x02"), &mut out);
            d.data(C, chunk(&simple_bind(2, b"second", b"found")), &mut out);
            d.data(S, chunk(&bind_response(2, 0, b"", b"", None)), &mut out);
            d.close(&mut out);
            out
        };
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].username.as_deref(), Some(&b"second"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn lost_framer_stays_bounded() {
        let mut d = Ldap::default();
        let mut out = Vec::new();
        d.gap(C, 10, &mut out);
        // A candidate whose operation header overruns its message, then junk, forever.
        let junk = [
            0x30, 0x06, 0x02, 0x01, 0x01, 0x60, 0x84, 0x00, 0x00, 0x00, 0x00, 0x55,
        ];
        for _ in 0..10_000 {
            d.data(C, chunk(&junk), &mut out);
        }
        assert!(d.buffered() < 4096, "{}", d.buffered());
        d.data(C, chunk(&simple_bind(9, b"after", b"junk")), &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn sasl_security_layer_bytes_are_not_messages() {
        // After a bind, wrapped (length-prefixed, encrypted) bytes: nothing, no panic.
        let mut wrapped = vec![0, 0, 0, 40];
        wrapped.extend((0u8..40).map(|i| i.wrapping_mul(37)));
        let out = findings(&[
            (C, &simple_bind(1, b"u", b"p")),
            (S, &bind_response(1, 0, b"", b"", None)),
            (C, &wrapped),
            (S, &wrapped),
        ]);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn parse_message_kinds() {
        let b = simple_bind(5, b"n", b"p");
        let m = parse_message(&b).unwrap();
        assert_eq!(
            m,
            Message {
                id: 5,
                op: Op::BindRequest {
                    version: 3,
                    name: b"n",
                    auth: Auth::Simple(b"p")
                }
            }
        );
        let b = sicily_bind(6, b"n", 10, b"x");
        let m = parse_message(&b).unwrap();
        assert!(matches!(
            m.op,
            Op::BindRequest {
                auth: Auth::SicilyNegotiate(b"x"),
                ..
            }
        ));
        let b = bind(6, b"n", vec![0x89, 0x00]);
        let m = parse_message(&b).unwrap();
        assert!(matches!(
            m.op,
            Op::BindRequest {
                auth: Auth::SicilyDiscovery,
                ..
            }
        ));
        let b = bind_response(9, 14, b"dn", b"msg", Some(b"creds"));
        let m = parse_message(&b).unwrap();
        assert_eq!(
            m.op,
            Op::BindResponse {
                result: 14,
                matched_dn: b"dn",
                diagnostic: b"msg",
                sasl_creds: Some(b"creds")
            }
        );
        let b = extended(1, START_TLS_OID);
        let m = parse_message(&b).unwrap();
        assert_eq!(
            m.op,
            Op::ExtendedRequest {
                name: START_TLS_OID,
                value: None
            }
        );
        assert_eq!(
            parse_message(&extended_response(1, 0)).unwrap().op,
            Op::ExtendedResponse {
                result: 0,
                diagnostic: b"",
                value: None
            }
        );
        assert_eq!(parse_message(&unbind(4)).unwrap().op, Op::Other(2));
        assert_eq!(parse_message(&search(4, b"")).unwrap().op, Op::Other(3));
        // Trailing bytes, truncation, a negative ID, a universal operation: not messages.
        let mut long = simple_bind(5, b"n", b"p");
        long.push(0);
        assert_eq!(parse_message(&long), None);
        let b = simple_bind(5, b"n", b"p");
        assert_eq!(parse_message(&b[..b.len() - 1]), None);
        assert_eq!(parse_message(&simple_bind(-1, b"n", b"p")), None);
        assert_eq!(
            parse_message(&[0x30, 0x05, 0x02, 0x01, 0x01, 0x30, 0x00]),
            None
        );
    }

    #[test]
    fn microsoft_long_form_lengths() {
        // The sicily CHALLENGE response of the zeek capture: 4-octet lengths.
        let ch = ntlmssp::build::challenge([9; 8]);
        let mut op = vec![0x0a, 0x01, 0x00, 0x04, 0x84];
        op.extend_from_slice(&(ch.len() as u32).to_be_bytes());
        op.extend_from_slice(&ch);
        op.extend_from_slice(&[0x04, 0x00]);
        let mut body = vec![0x02, 0x04, 0x0a, 0x5e, 0x31, 0xe8, 0x61, 0x84];
        body.extend_from_slice(&(op.len() as u32).to_be_bytes());
        body.extend_from_slice(&op);
        let mut msg = vec![0x30, 0x84];
        msg.extend_from_slice(&(body.len() as u32).to_be_bytes());
        msg.extend_from_slice(&body);
        let m = parse_message(&msg).unwrap();
        assert_eq!(m.id, 173_945_320);
        assert!(matches!(m.op, Op::BindResponse { result: 0, .. }));
        assert_eq!(probe(b"", &msg), Probe::Yes);
    }

    #[test]
    fn probe_recognises_ldap_by_content() {
        let bind = simple_bind(1, b"cn=x", b"y");
        assert_eq!(probe(&bind, b""), Probe::Yes);
        assert_eq!(probe(&bind[..7], b""), Probe::Yes);
        assert_eq!(probe(&bind[..4], b""), Probe::Maybe);
        assert_eq!(probe(&bind[..1], b""), Probe::Maybe);
        assert_eq!(probe(&extended(1, START_TLS_OID), b""), Probe::Yes);
        assert_eq!(probe(&unbind(3), b""), Probe::Yes);
        assert_eq!(
            probe(&bind, &bind_response(1, 0, b"", b"", None)),
            Probe::Yes
        );
        assert_eq!(probe(b"", &bind_response(1, 0, b"", b"", None)), Probe::Yes);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        // A response from the client, a request from the server: the wrong way round.
        assert_eq!(probe(&bind_response(1, 0, b"", b"", None), b""), Probe::No);
        assert_eq!(probe(b"", &bind), Probe::No);
        // Other protocols.
        assert_eq!(probe(b"USER bob\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"220 ftp ready\r\n"), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01\x02\x00\x01", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"0 BEGIN\r\n", b""), Probe::No);
        // Inconsistent lengths: the operation longer than the message.
        assert_eq!(
            probe(&[0x30, 0x07, 0x02, 0x01, 0x01, 0x60, 0x10, 0, 0], b""),
            Probe::No
        );
        // An operation header cut by the end of the message (not of the data).
        assert_eq!(
            probe(
                &[
                    0x30, 0x06, 0x02, 0x01, 0x01, 0x60, 0x84, 0x00, 0x00, 0x00, 0x00
                ],
                b""
            ),
            Probe::No
        );
        assert_eq!(
            probe(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x60, 0x84], b""),
            Probe::Maybe
        );
        // Indefinite length.
        assert_eq!(
            probe(&[0x30, 0x80, 0x02, 0x01, 0x01, 0x60, 0x00], b""),
            Probe::No
        );
        // A constructed unbind, a primitive bind.
        assert_eq!(
            probe(&[0x30, 0x05, 0x02, 0x01, 0x01, 0x62, 0x00], b""),
            Probe::No
        );
        assert_eq!(
            probe(&[0x30, 0x05, 0x02, 0x01, 0x01, 0x40, 0x00], b""),
            Probe::No
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let valid = [
            simple_bind(1, b"n", b"p"),
            bind_response(1, 0, b"", b"", None),
            sicily_bind(2, b"x", 11, &ntlm_auth()),
        ];
        for round in 0..2000 {
            let mut d = Ldap::default();
            let mut out = Vec::new();
            for i in 0..4 {
                let mut bytes = valid[(round + i) % valid.len()].clone();
                for _ in 0..(next() % 6) {
                    let at = next() as usize % bytes.len();
                    bytes[at] = next() as u8;
                }
                let cut = next() as usize % (bytes.len() + 1);
                bytes.truncate(cut);
                let _ = probe(&bytes, &bytes);
                let _ = parse_message(&bytes);
                let dir = if next() % 2 == 0 { C } else { S };
                d.data(
                    dir,
                    Chunk {
                        data: &bytes,
                        frame: 1,
                        ts: Timestamp::ZERO,
                    },
                    &mut out,
                );
                if next() % 5 == 0 {
                    d.gap(dir, u64::from(next()), &mut out);
                }
            }
            d.close(&mut out);
        }
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
        let ch = [7; 8];
        let whole: Vec<(Direction, Vec<u8>)> = vec![
            (C, simple_bind(1, b"cn=admin,dc=example,dc=org", b"wrong")),
            (S, bind_response(1, 49, b"", b"", None)),
            (
                C,
                [
                    simple_bind(2, b"cn=admin,dc=example,dc=org", b"right"),
                    search(3, b"dc=example,dc=org"),
                ]
                .concat(),
            ),
            (
                S,
                [bind_response(2, 0, b"", b"", None), search_done(3)].concat(),
            ),
            (C, sicily_bind(4, b"alice", 10, &negotiate())),
            (
                S,
                bind_response(4, 0, &ntlmssp::build::challenge(ch), b"", None),
            ),
            (C, sicily_bind(5, b"alice", 11, &ntlm_auth())),
            (S, bind_response(5, 0, b"", b"", None)),
            (C, sasl_bind(6, b"PLAIN", Some(b"\0bob\0pw"))),
            (S, bind_response(6, 0, b"", b"", None)),
            (C, extended(7, START_TLS_OID)),
            (S, extended_response(7, 0)),
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
