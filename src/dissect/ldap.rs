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
use crate::finding::{Credential, Kind, Outcome};
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
const EXTENDED_REQUEST: u32 = 23;
const EXTENDED_RESPONSE: u32 = 24;

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
    },
    ExtendedResponse {
        result: i64,
    },
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
            Op::ExtendedRequest { name }
        }
        (EXTENDED_RESPONSE, true) => {
            let mut c = op.children();
            let result = c.enumerated()?;
            Op::ExtendedResponse { result }
        }
        (tag, _) => Op::Other(tag),
    };
    Some(Message { id, op })
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
            && let Some((_, Pending::Bind(c))) = self.pending.pop_front()
        {
            out.push(*c);
        }
        self.pending.push_back((id, p));
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
            Op::ExtendedRequest { name } if name == START_TLS_OID => {
                self.push(msg.id, Pending::StartTls, out);
            }
            _ => {}
        }
    }

    fn server(&mut self, msg: Message<'_>, out: &mut Vec<Credential>) {
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
                    if c.outcome != Outcome::Success && !diagnostic.is_empty() {
                        let d = &diagnostic[..diagnostic.len().min(MAX_DIAGNOSTIC)];
                        c.details
                            .push(("diagnostic", String::from_utf8_lossy(d).into_owned()));
                    }
                    out.push(*c);
                }
            }
            Op::ExtendedResponse { result } => {
                if let Some(Pending::StartTls) = self.take(msg.id)
                    && result == 0
                {
                    self.done = true;
                }
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
                Direction::ToClient => s.server(msg, out),
            }
        });
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for (_, p) in self.session.pending.drain(..) {
            if let Pending::Bind(c) = p {
                out.push(*c);
            }
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
                name: START_TLS_OID
            }
        );
        assert_eq!(
            parse_message(&extended_response(1, 0)).unwrap().op,
            Op::ExtendedResponse { result: 0 }
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
