//! Kerberos 5 (RFC 4120) on port 88, over UDP (one message per datagram) and TCP (each
//! message behind a 4-byte length, RFC 4120 section 7.2.2): the exchanges an attacker who
//! captures them cracks offline, because their ciphertext is encrypted with a key derived
//! from a password.
//!
//! - `AS-REQ PA-ENC-TIMESTAMP`: the client's pre-authentication, the current time
//!   encrypted with the user's key (RFC 4120 section 5.2.7.2). User name the `cname`,
//!   domain the `realm`. hashcat mode 7500 for etype 23 (RC4-HMAC, `$krb5pa$23$user$realm$
//!   salt$<timestamp><checksum>`: hashcat wants the 36 encrypted bytes first and the
//!   16-byte HMAC last, the reverse of the wire order), 19800 / 19900 for etypes 17 / 18
//!   (AES, `$krb5pa$18$user$realm$<cipher>`, the wire order; hashcat derives the salt
//!   from the realm and the user name, the KDC's default). Outcome: an AS-REP is
//!   `success`; a KRB-ERROR that refuses the client (24 PREAUTH_FAILED, 6
//!   C_PRINCIPAL_UNKNOWN, 12 POLICY, 18 CLIENT_REVOKED, 23 KEY_EXPIRED, 37 clock SKEW: the
//!   login did not happen) is `failure`, with the error in `details`; any other error
//!   (52 RESPONSE_TOO_BIG: the client retries over TCP) and no reply are `unknown`.
//!   The first round trip of a normal login, an AS-REQ without pre-authentication answered
//!   by 25 PREAUTH_REQUIRED, carries nothing and gives no finding.
//! - `AS-REP (no pre-authentication)`: an AS-REP answering an AS-REQ that carried no
//!   PA-ENC-TIMESTAMP (an account with "do not require Kerberos pre-authentication":
//!   AS-REP roasting). Its `enc-part` is encrypted with the user's key. hashcat 18200
//!   (`$krb5asrep$23$user@realm:<checksum>$<edata2>`), 32100 / 32200 for AES
//!   (`$krb5asrep$18$user$realm$<checksum>$<edata2>`, the 12-byte HMAC last on the wire).
//!   Mechanism `AS-REP` when the request is not in the capture. Replies protected by
//!   PKINIT or FAST carry nothing derived from a password and are not reported.
//! - `TGS-REP service ticket (Kerberoast)`: a service ticket encrypted with RC4-HMAC
//!   (etype 23) with the service account's key. User name and domain are the requesting
//!   client's (`cname`, `crealm`), the service principal goes in `details.spn`; hashcat
//!   13100 (`$krb5tgs$23$*user$realm$spn*$<checksum>$<edata2>`). AES tickets are not
//!   reported: their salt is the service account's name, which the exchange does not
//!   carry, and every machine account's ticket would be one (random 120-character
//!   passwords). Tickets for `krbtgt` (referrals) are not reported either. Outcome
//!   `success` (the KDC issued it).
//!
//! The `secret` of every Kerberos finding is the hex of the EncryptedData `cipher` exactly
//! as sent (for etype 23: the 16-byte HMAC-MD5 checksum then the RC4 ciphertext; for AES:
//! the ciphertext then the 12-byte HMAC-SHA1); `details.etype` is its encryption type.
//!
//! Requests and replies are paired in order (a KDC answers each request once, and a UDP
//! conversation holds one exchange); a retransmitted request is recognised and not
//! reported twice.

use std::collections::VecDeque;

use super::ber::{self, Class, Reader, Tlv};
use super::prefixed::{Framer, Head};
use super::{Chunk, DatagramDissector, DatagramSpec, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "kerberos",
    tcp_ports: &[88],
    probe,
    new: |_config| Box::new(KerberosTcp::default()),
};

pub const UDP_SPEC: DatagramSpec = DatagramSpec {
    name: "kerberos",
    udp_ports: &[88],
    ip_protocols: &[],
    probe: probe_datagram,
    by_content: true,
    new: |_config| Box::new(KerberosUdp::default()),
};

/// The longest message buffered over TCP (Windows' MaxTokenSize is 48000 bytes).
pub const MAX_MESSAGE: usize = 64 << 10;

/// [APPLICATION n] tags of the messages (RFC 4120 section 5.10).
const AS_REQ: u32 = 10;
const AS_REP: u32 = 11;
const TGS_REQ: u32 = 12;
const TGS_REP: u32 = 13;
const KRB_ERROR: u32 = 30;

/// padata-types.
const PA_ENC_TIMESTAMP: i64 = 2;
const PA_PK_AS_REP_19: i64 = 15;
const PA_PK_AS_REQ: i64 = 16;
const PA_PK_AS_REP: i64 = 17;
const PA_FX_FAST: i64 = 136;

/// Encryption types with a hashcat mode.
pub const AES128: i64 = 17;
pub const AES256: i64 = 18;
pub const RC4_HMAC: i64 = 23;

/// A principal name: its name-type and its components.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal<'a> {
    pub name_type: i64,
    pub parts: Vec<&'a [u8]>,
}

impl Principal<'_> {
    /// The components joined by `/` (`HTTP/web.example.org`).
    pub fn joined(&self) -> Vec<u8> {
        self.parts.join(&b"/"[..])
    }

    /// Whether this is the ticket-granting service (`krbtgt/REALM`).
    pub fn is_krbtgt(&self) -> bool {
        self.parts
            .first()
            .is_some_and(|p| p.eq_ignore_ascii_case(b"krbtgt"))
    }
}

/// An `EncryptedData`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedData<'a> {
    pub etype: i64,
    pub kvno: Option<i64>,
    pub cipher: &'a [u8],
}

/// A `PA-DATA`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaData<'a> {
    pub padata_type: i64,
    pub value: &'a [u8],
}

/// An AS-REQ or TGS-REQ (the parts plainsight needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdcReq<'a> {
    pub padata: Vec<PaData<'a>>,
    pub cname: Option<Principal<'a>>,
    pub realm: &'a [u8],
    pub sname: Option<Principal<'a>>,
}

impl<'a> KdcReq<'a> {
    /// The PA-ENC-TIMESTAMP, when there is one.
    pub fn enc_timestamp(&self) -> Option<EncryptedData<'a>> {
        self.padata
            .iter()
            .find(|p| p.padata_type == PA_ENC_TIMESTAMP)
            .and_then(|p| encrypted_data(p.value))
    }
}

/// An AS-REP or TGS-REP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdcRep<'a> {
    pub padata: Vec<PaData<'a>>,
    pub crealm: &'a [u8],
    pub cname: Principal<'a>,
    pub ticket_realm: &'a [u8],
    pub ticket_sname: Principal<'a>,
    pub ticket_enc_part: EncryptedData<'a>,
    pub enc_part: EncryptedData<'a>,
}

/// A KRB-ERROR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KrbError<'a> {
    pub error_code: i64,
    pub crealm: Option<&'a [u8]>,
    pub cname: Option<Principal<'a>>,
}

/// One Kerberos message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    AsReq(KdcReq<'a>),
    TgsReq(KdcReq<'a>),
    AsRep(KdcRep<'a>),
    TgsRep(KdcRep<'a>),
    Error(KrbError<'a>),
}

/// The element inside an explicit context tag `[n]`, when it comes next.
fn explicit<'a>(r: &mut Reader<'a>, n: u32) -> Option<Tlv<'a>> {
    let outer = r.next_tagged(Class::Context, true, n)?;
    let (inner, rest) = ber::read(outer.value).ok()?;
    rest.is_empty().then_some(inner)
}

fn int(t: Tlv<'_>) -> Option<i64> {
    if t.is(Class::Universal, false, ber::INTEGER) {
        ber::integer(t.value)
    } else {
        None
    }
}

/// A KerberosString (GeneralString) or any other primitive string: its bytes.
fn string(t: Tlv<'_>) -> Option<&[u8]> {
    (t.class == Class::Universal && !t.constructed).then_some(t.value)
}

fn sequence(t: Tlv<'_>) -> Option<Reader<'_>> {
    t.is(Class::Universal, true, ber::SEQUENCE)
        .then(|| t.children())
}

fn principal(t: Tlv<'_>) -> Option<Principal<'_>> {
    let mut r = sequence(t)?;
    let name_type = int(explicit(&mut r, 0)?)?;
    let names = sequence(explicit(&mut r, 1)?)?;
    let parts = names.map(string).collect::<Option<Vec<_>>>()?;
    Some(Principal { name_type, parts })
}

/// Parses a DER `EncryptedData`.
pub fn encrypted_data(data: &[u8]) -> Option<EncryptedData<'_>> {
    let (t, rest) = ber::read(data).ok()?;
    if !rest.is_empty() {
        return None;
    }
    encrypted_data_tlv(t)
}

fn encrypted_data_tlv(t: Tlv<'_>) -> Option<EncryptedData<'_>> {
    let mut r = sequence(t)?;
    let etype = int(explicit(&mut r, 0)?)?;
    let kvno = explicit(&mut r, 1).and_then(int);
    let cipher = explicit(&mut r, 2)?;
    if !cipher.is(Class::Universal, false, ber::OCTET_STRING) {
        return None;
    }
    Some(EncryptedData {
        etype,
        kvno,
        cipher: cipher.value,
    })
}

fn padata_list(t: Tlv<'_>) -> Option<Vec<PaData<'_>>> {
    sequence(t)?
        .map(|p| {
            let mut r = sequence(p)?;
            let padata_type = int(explicit(&mut r, 1)?)?;
            let value = explicit(&mut r, 2)?;
            value
                .is(Class::Universal, false, ber::OCTET_STRING)
                .then_some(PaData {
                    padata_type,
                    value: value.value,
                })
        })
        .collect()
}

fn pvno_and_type(r: &mut Reader<'_>, first: u32, msg_type: u32) -> Option<()> {
    (int(explicit(r, first)?)? == 5).then_some(())?;
    (int(explicit(r, first + 1)?)? == i64::from(msg_type)).then_some(())
}

fn kdc_req(body: Tlv<'_>, msg_type: u32) -> Option<KdcReq<'_>> {
    let mut r = sequence(body)?;
    pvno_and_type(&mut r, 1, msg_type)?;
    let padata = match explicit(&mut r, 3) {
        Some(t) => padata_list(t)?,
        None => Vec::new(),
    };
    let mut b = sequence(explicit(&mut r, 4)?)?;
    explicit(&mut b, 0)?; // kdc-options
    let cname = match explicit(&mut b, 1) {
        Some(t) => Some(principal(t)?),
        None => None,
    };
    let realm = string(explicit(&mut b, 2)?)?;
    let sname = match explicit(&mut b, 3) {
        Some(t) => Some(principal(t)?),
        None => None,
    };
    Some(KdcReq {
        padata,
        cname,
        realm,
        sname,
    })
}

fn kdc_rep(body: Tlv<'_>, msg_type: u32) -> Option<KdcRep<'_>> {
    let mut r = sequence(body)?;
    pvno_and_type(&mut r, 0, msg_type)?;
    let padata = match explicit(&mut r, 2) {
        Some(t) => padata_list(t)?,
        None => Vec::new(),
    };
    let crealm = string(explicit(&mut r, 3)?)?;
    let cname = principal(explicit(&mut r, 4)?)?;
    let ticket = explicit(&mut r, 5)?;
    if !ticket.is(Class::Application, true, 1) {
        return None;
    }
    let (ticket, _) = ber::read(ticket.value).ok()?;
    let mut t = sequence(ticket)?;
    (int(explicit(&mut t, 0)?)? == 5).then_some(())?;
    let ticket_realm = string(explicit(&mut t, 1)?)?;
    let ticket_sname = principal(explicit(&mut t, 2)?)?;
    let ticket_enc_part = encrypted_data_tlv(explicit(&mut t, 3)?)?;
    let enc_part = encrypted_data_tlv(explicit(&mut r, 6)?)?;
    Some(KdcRep {
        padata,
        crealm,
        cname,
        ticket_realm,
        ticket_sname,
        ticket_enc_part,
        enc_part,
    })
}

fn krb_error(body: Tlv<'_>) -> Option<KrbError<'_>> {
    let mut r = sequence(body)?;
    pvno_and_type(&mut r, 0, KRB_ERROR)?;
    let _ctime = explicit(&mut r, 2);
    let _cusec = explicit(&mut r, 3);
    explicit(&mut r, 4)?; // stime
    explicit(&mut r, 5)?; // susec
    let error_code = int(explicit(&mut r, 6)?)?;
    let crealm = explicit(&mut r, 7).and_then(string);
    let cname = explicit(&mut r, 8).and_then(principal);
    Some(KrbError {
        error_code,
        crealm,
        cname,
    })
}

/// Parses one whole Kerberos message (exactly `data`).
pub fn parse(data: &[u8]) -> Option<Message<'_>> {
    let (app, rest) = ber::read(data).ok()?;
    if !rest.is_empty() || app.class != Class::Application || !app.constructed {
        return None;
    }
    let (body, rest) = ber::read(app.value).ok()?;
    if !rest.is_empty() {
        return None;
    }
    Some(match app.tag {
        AS_REQ => Message::AsReq(kdc_req(body, AS_REQ)?),
        TGS_REQ => Message::TgsReq(kdc_req(body, TGS_REQ)?),
        AS_REP => Message::AsRep(kdc_rep(body, AS_REP)?),
        TGS_REP => Message::TgsRep(kdc_rep(body, TGS_REP)?),
        KRB_ERROR => Message::Error(krb_error(body)?),
        _ => return None,
    })
}

/// Whether `data` begins like a Kerberos message of one of `tags`: the application tag,
/// a SEQUENCE, and the protocol version 5 in the first field (`[0]` for replies and
/// errors, `[1]` for requests). `Maybe` when too few bytes are here to tell.
fn message_start(data: &[u8], tags: &[u32], whole: Option<usize>) -> Probe {
    let app = match ber::header(data) {
        Ok(h) => h,
        Err(ber::Error::Incomplete) => return Probe::Maybe,
        Err(ber::Error::Invalid) => return Probe::No,
    };
    if app.class != Class::Application || !app.constructed || !tags.contains(&app.tag) {
        return Probe::No;
    }
    if let Some(len) = whole
        && app.total() != Some(len)
    {
        return Probe::No;
    }
    let body = data.get(app.header_len..).unwrap_or_default();
    let seq = match ber::header(body) {
        Ok(h) => h,
        Err(ber::Error::Incomplete) => return Probe::Maybe,
        Err(ber::Error::Invalid) => return Probe::No,
    };
    if !seq.is(Class::Universal, true, ber::SEQUENCE) || seq.total() != Some(app.len) {
        return Probe::No;
    }
    // [0] or [1] { INTEGER 5 }: a0 03 02 01 05.
    let first = if tags.contains(&AS_REQ) || tags.contains(&TGS_REQ) {
        0xa1
    } else {
        0xa0
    };
    let want = [first, 0x03, 0x02, 0x01, 0x05];
    let pvno = body.get(seq.header_len..).unwrap_or_default();
    let n = pvno.len().min(want.len());
    if pvno[..n] != want[..n] {
        return Probe::No;
    }
    if n < want.len() {
        return Probe::Maybe;
    }
    Probe::Yes
}

const CLIENT_TAGS: &[u32] = &[AS_REQ, TGS_REQ];
const SERVER_TAGS: &[u32] = &[AS_REP, TGS_REP, KRB_ERROR];

/// The 4-byte record mark of Kerberos over TCP: the length of the message that follows
/// (the high bit is reserved for extensions, none of which carry credentials).
pub fn head(data: &[u8]) -> Head {
    let Some(mark) = data.get(..4) else {
        return Head::Incomplete;
    };
    let len = u32::from_be_bytes([mark[0], mark[1], mark[2], mark[3]]);
    if len & 0x8000_0000 != 0 || len < 2 {
        return Head::Invalid;
    }
    Head::Message(len as usize + 4)
}

/// A plausible record start over TCP, from either side (for resynchronising).
fn tcp_start(data: &[u8]) -> Probe {
    record_start(data, CLIENT_TAGS, SERVER_TAGS)
}

/// A record that starts a request (one of `client`'s tags) or a reply (`server`'s).
fn record_start(data: &[u8], client: &[u32], server: &[u32]) -> Probe {
    match head(data) {
        Head::Incomplete => {
            if data.first().is_some_and(|b| b & 0x80 == 0) {
                Probe::Maybe
            } else {
                Probe::No
            }
        }
        Head::Invalid => Probe::No,
        Head::Message(total) => {
            // Separate request tags from reply tags for the pvno position.
            let body = data.get(4..).unwrap_or_default();
            let whole = Some(total - 4);
            let mut best = Probe::No;
            for group in [client, server] {
                if group.is_empty() {
                    continue;
                }
                match message_start(body, group, whole) {
                    Probe::Yes => return Probe::Yes,
                    Probe::Maybe => best = Probe::Maybe,
                    Probe::No => {}
                }
            }
            best
        }
    }
}

/// Kerberos over TCP: the client's first record is a request, the server's a reply.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    let client = if to_server.is_empty() {
        Probe::Maybe
    } else {
        record_start(to_server, CLIENT_TAGS, &[])
    };
    let server = if to_client.is_empty() {
        Probe::Maybe
    } else {
        record_start(to_client, &[], SERVER_TAGS)
    };
    match (client, server) {
        (Probe::No, _) | (_, Probe::No) => Probe::No,
        (Probe::Yes, _) | (_, Probe::Yes) => Probe::Yes,
        _ => Probe::Maybe,
    }
}

/// Kerberos over UDP: the datagram is one whole message (a request, or a reply when the
/// capture missed the request).
pub fn probe_datagram(payload: &[u8]) -> Probe {
    // Every Kerberos message is an application-class constructed element.
    if !ber::begins_with(payload, Class::Application, true) {
        return Probe::No;
    }
    let whole = Some(payload.len());
    match message_start(payload, CLIENT_TAGS, whole) {
        Probe::Yes => {}
        Probe::Maybe => return Probe::No, // a datagram is never incomplete
        Probe::No => match message_start(payload, SERVER_TAGS, whole) {
            Probe::Yes => {}
            _ => return Probe::No,
        },
    }
    if parse(payload).is_some() {
        Probe::Yes
    } else {
        Probe::Maybe
    }
}

/// The name of an error code, for `details`.
pub fn error_name(code: i64) -> &'static str {
    match code {
        6 => "KDC_ERR_C_PRINCIPAL_UNKNOWN",
        12 => "KDC_ERR_POLICY",
        14 => "KDC_ERR_ETYPE_NOSUPP",
        18 => "KDC_ERR_CLIENT_REVOKED",
        23 => "KDC_ERR_KEY_EXPIRED",
        24 => "KDC_ERR_PREAUTH_FAILED",
        25 => "KDC_ERR_PREAUTH_REQUIRED",
        37 => "KRB_AP_ERR_SKEW",
        41 => "KRB_AP_ERR_MODIFIED",
        52 => "KRB_ERR_RESPONSE_TOO_BIG",
        60 => "KRB_ERR_GENERIC",
        68 => "KDC_ERR_WRONG_REALM",
        _ => "",
    }
}

/// The outcome of a pre-authenticated AS-REQ answered by a KRB-ERROR.
pub fn error_outcome(code: i64) -> Outcome {
    match code {
        6 | 12 | 18 | 23 | 24 | 37 => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// A name fit for a `$`-separated hashcat line.
fn plain(s: &[u8], max: usize) -> Option<&str> {
    let s = std::str::from_utf8(s).ok()?;
    (!s.is_empty()
        && s.len() <= max
        && !s
            .chars()
            .any(|c| c.is_control() || matches!(c, '$' | '*' | ':')))
    .then_some(s)
}

/// The hashcat line of a PA-ENC-TIMESTAMP.
pub fn hashcat_pa(etype: i64, user: &[u8], realm: &[u8], cipher: &[u8]) -> Option<Hashcat> {
    match etype {
        RC4_HMAC if cipher.len() == 52 => {
            let (user, realm) = (plain(user, 64)?, plain(realm, 64)?);
            Some(Hashcat {
                mode: 7500,
                hash: format!(
                    "$krb5pa$23${user}${realm}${realm}{user}${}{}",
                    hex(&cipher[16..]),
                    hex(&cipher[..16])
                ),
                hex_salt: false,
            })
        }
        AES128 | AES256 if (52..=56).contains(&cipher.len()) => {
            let (user, realm) = (plain(user, 512)?, plain(realm, 512)?);
            Some(Hashcat {
                mode: if etype == AES128 { 19800 } else { 19900 },
                hash: format!("$krb5pa${etype}${user}${realm}${}", hex(cipher)),
                hex_salt: false,
            })
        }
        _ => None,
    }
}

/// The hashcat line of an AS-REP's enc-part.
pub fn hashcat_asrep(etype: i64, user: &[u8], realm: &[u8], cipher: &[u8]) -> Option<Hashcat> {
    match etype {
        RC4_HMAC if (48..=16 + 20480).contains(&cipher.len()) => {
            let (user, realm) = (plain(user, 512)?, plain(realm, 512)?);
            Some(Hashcat {
                mode: 18200,
                hash: format!(
                    "$krb5asrep$23${user}@{realm}:{}${}",
                    hex(&cipher[..16]),
                    hex(&cipher[16..])
                ),
                hex_salt: false,
            })
        }
        AES128 | AES256 if (44..=12 + 20480).contains(&cipher.len()) => {
            let (user, realm) = (plain(user, 512)?, plain(realm, 512)?);
            let split = cipher.len() - 12;
            Some(Hashcat {
                mode: if etype == AES128 { 32100 } else { 32200 },
                hash: format!(
                    "$krb5asrep${etype}${user}${realm}${}${}",
                    hex(&cipher[split..]),
                    hex(&cipher[..split])
                ),
                hex_salt: false,
            })
        }
        _ => None,
    }
}

/// The hashcat 13100 line of an RC4 service ticket.
pub fn hashcat_tgs(user: &[u8], realm: &[u8], spn: &[u8], cipher: &[u8]) -> Option<Hashcat> {
    if !(48..=16 + 20480).contains(&cipher.len()) {
        return None;
    }
    let (user, realm, spn) = (plain(user, 512)?, plain(realm, 512)?, {
        let s = std::str::from_utf8(spn).ok()?;
        (!s.is_empty() && s.len() <= 1000 && !s.chars().any(|c| c.is_control() || c == '*'))
            .then_some(s)?
    });
    Some(Hashcat {
        mode: 13100,
        hash: format!(
            "$krb5tgs$23$*{user}${realm}${spn}*${}${}",
            hex(&cipher[..16]),
            hex(&cipher[16..])
        ),
        hex_salt: false,
    })
}

/// A request waiting for its reply.
#[derive(Debug)]
enum Pending {
    /// An AS-REQ; with its credential when it was pre-authenticated.
    As(Option<Box<Credential>>),
    Tgs,
}

/// Requests waiting for replies; beyond this the oldest is given up (reported unknown).
const MAX_PENDING: usize = 16;

/// The state of one conversation (a TCP connection or a UDP conversation).
#[derive(Debug, Default)]
struct Session {
    pending: VecDeque<Pending>,
}

fn credential(mechanism: &'static str, ts: Timestamp, frames: &[u64]) -> Credential {
    let mut c = Credential::new("kerberos", mechanism, Kind::ChallengeResponse, ts);
    c.add_frames(frames.iter().copied());
    c
}

impl Session {
    fn push(&mut self, p: Pending, out: &mut Vec<Credential>) {
        if self.pending.len() >= MAX_PENDING
            && let Some(Pending::As(Some(c))) = self.pending.pop_front()
        {
            out.push(*c);
        }
        self.pending.push_back(p);
    }

    /// The oldest pending request the reply can answer.
    fn take(&mut self, as_reply: Option<bool>) -> Option<Pending> {
        let i = self.pending.iter().position(|p| match as_reply {
            Some(true) => matches!(p, Pending::As(_)),
            Some(false) => matches!(p, Pending::Tgs),
            None => true,
        })?;
        self.pending.remove(i)
    }

    fn message(
        &mut self,
        dir: Direction,
        data: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let Some(msg) = parse(data) else {
            return;
        };
        match (dir, msg) {
            (Direction::ToServer, Message::AsReq(req)) => self.as_req(&req, frames, ts, out),
            (Direction::ToServer, Message::TgsReq(_)) => self.push(Pending::Tgs, out),
            (Direction::ToClient, Message::AsRep(rep)) => self.as_rep(&rep, frames, ts, out),
            (Direction::ToClient, Message::TgsRep(rep)) => {
                self.take(Some(false));
                if let Some(c) = kerberoast(&rep, frames, ts) {
                    out.push(c);
                }
            }
            (Direction::ToClient, Message::Error(e)) => {
                if let Some(Pending::As(Some(mut c))) = self.take(None) {
                    c.outcome = error_outcome(e.error_code);
                    let name = error_name(e.error_code);
                    c.details.push((
                        "error",
                        if name.is_empty() {
                            e.error_code.to_string()
                        } else {
                            format!("{name} ({})", e.error_code)
                        },
                    ));
                    out.push(*c);
                }
            }
            _ => {}
        }
    }

    fn as_req(
        &mut self,
        req: &KdcReq<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let Some(enc) = req.enc_timestamp() else {
            self.push(Pending::As(None), out);
            return;
        };
        let secret = hex(enc.cipher).into_bytes();
        let retransmitted = self.pending.iter().any(|p| match p {
            Pending::As(Some(c)) => c.secret.as_ref() == Some(&secret),
            _ => false,
        });
        if retransmitted {
            return;
        }
        let mut c = credential("AS-REQ PA-ENC-TIMESTAMP", ts, frames);
        let user = req.cname.as_ref().map(Principal::joined);
        if let Some(u) = &user {
            c.hashcat = hashcat_pa(enc.etype, u, req.realm, enc.cipher);
        }
        c.username = user;
        c.domain = Some(req.realm.to_vec());
        c.secret = Some(secret);
        c.details.push(("etype", enc.etype.to_string()));
        self.push(Pending::As(Some(Box::new(c))), out);
    }

    fn as_rep(
        &mut self,
        rep: &KdcRep<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let request = self.take(Some(true));
        let mechanism = match request {
            Some(Pending::As(Some(mut c))) => {
                c.outcome = Outcome::Success;
                out.push(*c);
                return;
            }
            Some(_) => "AS-REP (no pre-authentication)",
            None => "AS-REP",
        };
        // PKINIT and FAST replies are encrypted with keys that are not the password's.
        if rep.padata.iter().any(|p| {
            matches!(
                p.padata_type,
                PA_PK_AS_REP | PA_PK_AS_REP_19 | PA_PK_AS_REQ | PA_FX_FAST
            )
        }) {
            return;
        }
        let mut c = credential(mechanism, ts, frames);
        let user = rep.cname.joined();
        c.hashcat = hashcat_asrep(rep.enc_part.etype, &user, rep.crealm, rep.enc_part.cipher);
        c.username = Some(user);
        c.domain = Some(rep.crealm.to_vec());
        c.secret = Some(hex(rep.enc_part.cipher).into_bytes());
        c.outcome = Outcome::Success;
        c.details.push(("etype", rep.enc_part.etype.to_string()));
        if request.is_none() {
            c.details
                .push(("note", "the AS-REQ is not in the capture".to_string()));
        }
        out.push(c);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for p in self.pending.drain(..) {
            if let Pending::As(Some(c)) = p {
                out.push(*c);
            }
        }
    }

    fn buffered(&self) -> usize {
        self.pending.len() * 512
    }
}

/// The finding of an RC4 service ticket.
fn kerberoast(rep: &KdcRep<'_>, frames: &[u64], ts: Timestamp) -> Option<Credential> {
    let ticket = &rep.ticket_enc_part;
    if ticket.etype != RC4_HMAC || rep.ticket_sname.is_krbtgt() {
        return None;
    }
    let mut c = credential("TGS-REP service ticket (Kerberoast)", ts, frames);
    let user = rep.cname.joined();
    let spn = rep.ticket_sname.joined();
    c.hashcat = hashcat_tgs(&user, rep.crealm, &spn, ticket.cipher);
    c.username = Some(user);
    c.domain = Some(rep.crealm.to_vec());
    c.secret = Some(hex(ticket.cipher).into_bytes());
    c.outcome = Outcome::Success;
    c.details.push(("etype", ticket.etype.to_string()));
    c.details
        .push(("spn", String::from_utf8_lossy(&spn).into_owned()));
    Some(c)
}

/// Kerberos over TCP.
#[derive(Debug)]
pub struct KerberosTcp {
    framers: [Framer; 2],
    session: Session,
}

impl Default for KerberosTcp {
    fn default() -> Self {
        KerberosTcp {
            framers: [
                Framer::new(head, tcp_start, MAX_MESSAGE),
                Framer::new(head, tcp_start, MAX_MESSAGE),
            ],
            session: Session::default(),
        }
    }
}

impl Dissector for KerberosTcp {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let session = &mut self.session;
        self.framers[dir.index()].feed(chunk, |msg, frames, ts| {
            session.message(dir, msg.get(4..).unwrap_or_default(), frames, ts, out);
        });
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.session.close(out);
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>() + self.session.buffered()
    }
}

/// Kerberos over UDP.
#[derive(Debug, Default)]
pub struct KerberosUdp {
    session: Session,
}

impl DatagramDissector for KerberosUdp {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        self.session
            .message(dir, chunk.data, &[chunk.frame], chunk.ts, out);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.session.close(out);
    }

    fn buffered(&self) -> usize {
        self.session.buffered()
    }
}

/// Encoders of Kerberos messages, for tests and fixtures (DER, the fields plainsight
/// reads and the mandatory ones around them).
pub mod build {
    use super::super::ber::build::{int, octets, seq, tlv};

    fn ctx(n: u8, inner: &[u8]) -> Vec<u8> {
        tlv(0xa0 | n, inner)
    }

    fn general_string(s: &[u8]) -> Vec<u8> {
        tlv(0x1b, s)
    }

    fn time(s: &[u8]) -> Vec<u8> {
        tlv(0x18, s)
    }

    /// A PrincipalName of name-type 1 (principal) or 2 (service instance).
    pub fn principal(name_type: i64, parts: &[&[u8]]) -> Vec<u8> {
        let names: Vec<Vec<u8>> = parts.iter().map(|p| general_string(p)).collect();
        let refs: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
        seq(&[&ctx(0, &int(name_type)), &ctx(1, &seq(&refs))])
    }

    /// An EncryptedData.
    pub fn enc_data(etype: i64, kvno: Option<i64>, cipher: &[u8]) -> Vec<u8> {
        let mut parts = vec![ctx(0, &int(etype))];
        if let Some(k) = kvno {
            parts.push(ctx(1, &int(k)));
        }
        parts.push(ctx(2, &octets(cipher)));
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        seq(&refs)
    }

    /// A PA-DATA.
    pub fn padata(padata_type: i64, value: &[u8]) -> Vec<u8> {
        seq(&[&ctx(1, &int(padata_type)), &ctx(2, &octets(value))])
    }

    /// PA-ENC-TS-ENC (the plaintext of a PA-ENC-TIMESTAMP): a GeneralizedTime and
    /// microseconds.
    pub fn pa_enc_ts_enc(time_z: &[u8], usec: i64) -> Vec<u8> {
        seq(&[&ctx(0, &time(time_z)), &ctx(1, &int(usec))])
    }

    fn request(
        app: u8,
        msg_type: i64,
        padata: &[Vec<u8>],
        cname: Option<&[u8]>,
        realm: &[u8],
        sname: &[&[u8]],
    ) -> Vec<u8> {
        let mut body = vec![ctx(0, &tlv(0x03, &[0, 0x40, 0x81, 0, 0x10]))];
        if let Some(c) = cname {
            body.push(ctx(1, &principal(1, &[c])));
        }
        body.push(ctx(2, &general_string(realm)));
        body.push(ctx(3, &principal(2, sname)));
        body.push(ctx(5, &time(b"20370913024805Z")));
        body.push(ctx(7, &int(0x1234_5678)));
        body.push(ctx(8, &seq(&[&int(18), &int(17), &int(23)])));
        let body_refs: Vec<&[u8]> = body.iter().map(Vec::as_slice).collect();
        let mut fields = vec![ctx(1, &int(5)), ctx(2, &int(msg_type))];
        if !padata.is_empty() {
            let refs: Vec<&[u8]> = padata.iter().map(Vec::as_slice).collect();
            fields.push(ctx(3, &seq(&refs)));
        }
        fields.push(ctx(4, &seq(&body_refs)));
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        tlv(app, &seq(&refs))
    }

    /// An AS-REQ for `user@realm` to `krbtgt/realm`, with these PA-DATA.
    pub fn as_req(user: &[u8], realm: &[u8], padata: &[Vec<u8>]) -> Vec<u8> {
        request(0x6a, 10, padata, Some(user), realm, &[b"krbtgt", realm])
    }

    /// A TGS-REQ for a service (its AP-REQ padata left out: not read).
    pub fn tgs_req(realm: &[u8], sname: &[&[u8]]) -> Vec<u8> {
        request(0x6c, 12, &[], None, realm, sname)
    }

    /// A Ticket.
    pub fn ticket(realm: &[u8], sname: &[&[u8]], enc_part: &[u8]) -> Vec<u8> {
        tlv(
            0x61,
            &seq(&[
                &ctx(0, &int(5)),
                &ctx(1, &general_string(realm)),
                &ctx(2, &principal(2, sname)),
                &ctx(3, enc_part),
            ]),
        )
    }

    /// An AS-REP (app 0x6b) or TGS-REP (0x6d).
    pub fn reply(
        tgs: bool,
        padata: &[Vec<u8>],
        crealm: &[u8],
        cname: &[u8],
        ticket: &[u8],
        enc_part: &[u8],
    ) -> Vec<u8> {
        let mut fields = vec![ctx(0, &int(5)), ctx(1, &int(if tgs { 13 } else { 11 }))];
        if !padata.is_empty() {
            let refs: Vec<&[u8]> = padata.iter().map(Vec::as_slice).collect();
            fields.push(ctx(2, &seq(&refs)));
        }
        fields.push(ctx(3, &general_string(crealm)));
        fields.push(ctx(4, &principal(1, &[cname])));
        fields.push(ctx(5, ticket));
        fields.push(ctx(6, enc_part));
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        tlv(if tgs { 0x6d } else { 0x6b }, &seq(&refs))
    }

    /// A KRB-ERROR.
    pub fn error(code: i64, realm: &[u8], cname: Option<&[u8]>) -> Vec<u8> {
        let mut fields = vec![
            ctx(0, &int(5)),
            ctx(1, &int(30)),
            ctx(4, &time(b"20231115010000Z")),
            ctx(5, &int(1234)),
            ctx(6, &int(code)),
        ];
        if let Some(c) = cname {
            fields.push(ctx(7, &general_string(realm)));
            fields.push(ctx(8, &principal(1, &[c])));
        }
        fields.push(ctx(9, &general_string(realm)));
        fields.push(ctx(10, &principal(2, &[b"krbtgt", realm])));
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        tlv(0x7e, &seq(&refs))
    }

    /// A message behind its TCP record mark.
    pub fn tcp(message: &[u8]) -> Vec<u8> {
        [&(message.len() as u32).to_be_bytes()[..], message].concat()
    }
}

#[cfg(test)]
#[path = "../../tests/it/krb_crypto.rs"]
mod krb_crypto;

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::krb_crypto::*;
    use super::*;
    use crate::dissect::script::unhex;
    use Direction::{ToClient as S, ToServer as C};

    const TIME: &[u8] = b"20231115010203Z";

    fn run_udp(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        let mut d = KerberosUdp::default();
        let mut out = Vec::new();
        for (i, (dir, data)) in script.iter().enumerate() {
            d.datagram(
                *dir,
                Chunk {
                    data,
                    frame: i as u64 + 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        d.close(&mut out);
        out
    }

    fn run_tcp(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        crate::dissect::script::play(&mut KerberosTcp::default(), script).0
    }

    fn rc4_pa(password: &str) -> Vec<u8> {
        rc4_hmac_encrypt(
            &nt_hash(password),
            USAGE_PA_ENC_TIMESTAMP,
            &[0x42; 8],
            &pa_enc_ts_enc(TIME, 123_456),
        )
    }

    fn pa(etype: i64, cipher: &[u8]) -> Vec<u8> {
        padata(PA_ENC_TIMESTAMP, &enc_data(etype, None, cipher))
    }

    fn as_rep(user: &[u8], realm: &[u8], enc: &[u8]) -> Vec<u8> {
        let t = ticket(
            realm,
            &[b"krbtgt", realm],
            &enc_data(18, Some(2), &[0xee; 200]),
        );
        reply(false, &[], realm, user, &t, enc)
    }

    /// The PA-ENC-TS-ENC plaintext carries the client's time.
    fn is_timestamp(plain: &[u8]) -> bool {
        let Ok((t, _)) = ber::read(plain) else {
            return false;
        };
        let Some(mut r) = sequence(t) else {
            return false;
        };
        explicit(&mut r, 0).is_some_and(|t| t.tag == 24 && t.value == TIME)
    }

    #[test]
    fn rc4_pre_authentication_failure_then_success() {
        let wrong = rc4_pa("Autumn2023");
        let right = rc4_pa("Winter2023!");
        let out = run_udp(&[
            (C, &as_req(b"alice", b"CORP.EXAMPLE", &[])),
            (S, &error(25, b"CORP.EXAMPLE", Some(b"alice"))),
            (C, &as_req(b"alice", b"CORP.EXAMPLE", &[pa(23, &wrong)])),
            (S, &error(24, b"CORP.EXAMPLE", Some(b"alice"))),
            (C, &as_req(b"alice", b"CORP.EXAMPLE", &[pa(23, &right)])),
            (
                S,
                &as_rep(b"alice", b"CORP.EXAMPLE", &enc_data(23, None, &[0; 60])),
            ),
        ]);
        assert_eq!(out.len(), 2, "{out:#?}");
        let (a, b) = (&out[0], &out[1]);
        assert_eq!(a.mechanism, "AS-REQ PA-ENC-TIMESTAMP");
        assert_eq!(a.kind, Kind::ChallengeResponse);
        assert_eq!(a.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(a.domain.as_deref(), Some(&b"CORP.EXAMPLE"[..]));
        assert_eq!(a.outcome, Outcome::Failure);
        assert_eq!(a.frames, vec![3]);
        assert!(
            a.details
                .contains(&("error", "KDC_ERR_PREAUTH_FAILED (24)".to_string()))
        );
        assert!(a.details.contains(&("etype", "23".to_string())));
        assert_eq!(b.outcome, Outcome::Success);
        assert_eq!(b.frames, vec![5]);
        // The secret is the cipher: it decrypts with the password that made it, and only
        // with that one.
        let secret = unhex(std::str::from_utf8(b.secret.as_ref().unwrap()).unwrap());
        assert_eq!(secret, right);
        let plain = rc4_hmac_decrypt(&nt_hash("Winter2023!"), 1, &secret).unwrap();
        assert!(is_timestamp(&plain));
        assert!(rc4_hmac_decrypt(&nt_hash("Autumn2023"), 1, &secret).is_none());
        // hashcat 7500: $krb5pa$23$user$realm$salt$<timestamp><checksum>.
        let h = b.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 7500);
        let f: Vec<&str> = h.hash.split('$').collect();
        assert_eq!(
            f[..6],
            [
                "",
                "krb5pa",
                "23",
                "alice",
                "CORP.EXAMPLE",
                "CORP.EXAMPLEalice"
            ]
        );
        let data = unhex(f[6]);
        let cipher = [&data[36..], &data[..36]].concat();
        assert!(is_timestamp(
            &rc4_hmac_decrypt(&nt_hash("Winter2023!"), 1, &cipher).unwrap()
        ));
    }

    #[test]
    fn aes_pre_authentication_and_its_hashcat_line() {
        for (etype, len, mode) in [(18, 32, 19900), (17, 16, 19800)] {
            let key = aes_string_to_key("Spring#2024", b"EXAMPLE.ORGbob", 4096, len);
            let cipher = aes_encrypt(&key, 1, &[5; 16], &pa_enc_ts_enc(TIME, 42));
            let out = run_udp(&[
                (C, &as_req(b"bob", b"EXAMPLE.ORG", &[pa(etype, &cipher)])),
                (S, &error(37, b"EXAMPLE.ORG", Some(b"bob"))),
            ]);
            assert_eq!(out.len(), 1);
            let c = &out[0];
            assert_eq!(c.outcome, Outcome::Failure);
            assert!(
                c.details
                    .contains(&("error", "KRB_AP_ERR_SKEW (37)".to_string()))
            );
            let h = c.hashcat.as_ref().unwrap();
            assert_eq!(h.mode, mode);
            // $krb5pa$18$user$realm$cipher; hashcat's salt is REALM + user.
            let f: Vec<&str> = h.hash.split('$').collect();
            assert_eq!(f[2], etype.to_string());
            let salt = format!("{}{}", f[4].to_uppercase(), f[3]);
            let key = aes_string_to_key("Spring#2024", salt.as_bytes(), 4096, len);
            assert!(is_timestamp(&aes_decrypt(&key, 1, &unhex(f[5])).unwrap()));
        }
    }

    #[test]
    fn hashcat_example_hashes_decrypt_as_this_module_reads_them() {
        // Example hashes of hashcat's modules (password "hashcat"): the field layout this
        // module writes is the one hashcat verifies.
        let key = nt_hash("hashcat");
        let l7500 = "5cbb0c882a2b26956e81644edbdb746326f4f5f0e947144fb3095dffe4b4b03e854fc1d631323632303636373330383333353630";
        let d = unhex(l7500);
        let cipher = [&d[36..], &d[..36]].concat();
        // This example is made up but for what hashcat checks (its checksum and ASN.1 are
        // not real): the timestamp field decrypts to "20YYMMDDhhmmss" where a
        // PA-ENC-TS-ENC has its time.
        let plain = rc4_hmac_decrypt_unchecked(&key, 1, &cipher).unwrap();
        assert_eq!(&plain[6..8], b"20");
        assert!(plain[8..20].iter().all(u8::is_ascii_digit));
        let l18200 = "3e156ada591263b8aab0965f5aebd837$007497cb51b6c8116d6407a782ea0e1c5402b17db7afa6b05a6d30ed164a9933c754d720e279c6c573679bd27128fe77e5fea1f72334c1193c8ff0b370fadc6368bf2d49bbfdba4c5dccab95e8c8ebfdc75f438a0797dbfb2f8a1a5f4c423f9bfc1fea483342a11bd56a216f4d5158ccc4b224b52894fadfba3957dfe4b6b8f5f9f9fe422811a314768673e0c924340b8ccb84775ce9defaa3baa0910b676ad0036d13032b0dd94e3b13903cc738a7b6d00b0b3c210d1f972a6c7cae9bd3c959acf7565be528fc179118f28c679f6deeee1456f0781eb8154e18e49cb27b64bf74cd7112a0ebae2102ac";
        let (ck, ed) = l18200.split_once('$').unwrap();
        let cipher = [unhex(ck), unhex(ed)].concat();
        assert!(rc4_hmac_decrypt(&key, USAGE_AS_REP_ENC_PART, &cipher).is_some());
        let l19900 = "96c289009b05181bfd32062962740b1b1ce5f74eb12e0266cde74e81094661addab08c0c1a178882c91a0ed89ae4e0e68d2820b9cce69770";
        let key = aes_string_to_key("hashcat", b"HASHCATDOMAIN.COMhashcat", 4096, 32);
        assert!(aes_decrypt(&key, 1, &unhex(l19900)).is_some());
        let l32200 = "aa4c494f520b27873a4de8f7$ebc9976a77f62e8ccca02d43d68bafcc66a81fcbb44a336b00ce401982f32975a5f9bcdc752643252185866685b0a30aaf50e449e392a5994e6979f23aba25f7704c90b2efa03b703c3c2f9e3617cc588ed226d0417e7742d45407878fd946d046b4a9732b9a203cb857811714b009c195b7c96b9bccb7e48832b11a4e92ecf24c49e54de8d0d5d5351445b5126db90bb7eebc7861db1e61de1175824b0a45023a6fa06c2a9d3035fdcf863bea922648e3dc28b48e39b1dec0869e7fe4de399cb52dfcf2596599da54a4bb0169c72d9496de2e137a4594e0e8a69082fc558ac9ace65d32eae5e260a65ca3f2f5871aaeee7a3b090b50f39321d120c144421e0abe7d";
        let (ck, ed) = l32200.split_once('$').unwrap();
        let cipher = [unhex(ed), unhex(ck)].concat();
        let key = aes_string_to_key("hashcat", b"EXAMPLE.COMuser", 4096, 32);
        assert!(aes_decrypt(&key, USAGE_AS_REP_ENC_PART, &cipher).is_some());
    }

    #[test]
    fn third_party_ciphers_decrypt_with_their_known_password() {
        // The PA-ENC-TIMESTAMP ciphers of john-samples' user1/openwall captures (their
        // MANIFEST entries): the secret layout is the wire's, for RC4 and AES.
        let rc4 = unhex(
            "eb0fdb450a65e651a14555742f0ef3bfdd464460e121cbee70cf3344db08c39e1a25422d6afe533838d5bd86b29b4fa5cc7fe58a",
        );
        let plain = rc4_hmac_decrypt(&nt_hash("openwall"), 1, &rc4).unwrap();
        assert_eq!(plain[..4], [0x30, 0x1a, 0xa0, 0x11]);
        let aes = unhex(
            "a3918bd0381107feedec8db0022bdf3ac56e534ed54d13c62a7013a47713cfc31ef4e7e572f912fa4164f76b335e588bf29c2d17b11c5caa",
        );
        let key = aes_string_to_key("openwall", b"EXAMPLE.COMuser1", 4096, 32);
        let plain = aes_decrypt(&key, 1, &aes).unwrap();
        assert_eq!(plain[..4], [0x30, 0x1a, 0xa0, 0x11]);
        assert!(hashcat_pa(18, b"user1", b"EXAMPLE.COM", &aes).is_some());
        assert!(hashcat_pa(23, b"user1", b"EXAMPLE.COM", &rc4).is_some());
    }

    #[test]
    fn as_rep_roasting() {
        let plain = tlv_enc_part();
        let rc4 = rc4_hmac_encrypt(
            &nt_hash("NoPreauth1"),
            USAGE_AS_REP_ENC_PART,
            &[1; 8],
            &plain,
        );
        let key = aes_string_to_key("NoPreauth1", b"CORP.EXAMPLEsvc-old", 4096, 32);
        let aes = aes_encrypt(&key, USAGE_AS_REP_ENC_PART, &[2; 16], &plain);
        let out = run_udp(&[
            (C, &as_req(b"svc-old", b"CORP.EXAMPLE", &[])),
            (
                S,
                &as_rep(b"svc-old", b"CORP.EXAMPLE", &enc_data(23, None, &rc4)),
            ),
            (C, &as_req(b"svc-old", b"CORP.EXAMPLE", &[])),
            (
                S,
                &as_rep(b"svc-old", b"CORP.EXAMPLE", &enc_data(18, Some(3), &aes)),
            ),
            // A reply whose request the capture missed.
            (
                S,
                &as_rep(b"svc-old", b"CORP.EXAMPLE", &enc_data(23, None, &rc4)),
            ),
        ]);
        assert_eq!(out.len(), 3, "{out:#?}");
        assert_eq!(out[0].mechanism, "AS-REP (no pre-authentication)");
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[0].frames, vec![2]);
        let h = out[0].hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 18200);
        let rest = h
            .hash
            .strip_prefix("$krb5asrep$23$svc-old@CORP.EXAMPLE:")
            .unwrap();
        let (ck, ed) = rest.split_once('$').unwrap();
        let cipher = [unhex(ck), unhex(ed)].concat();
        assert_eq!(
            rc4_hmac_decrypt(&nt_hash("NoPreauth1"), USAGE_AS_REP_ENC_PART, &cipher).as_deref(),
            Some(&plain[..])
        );
        let h = out[1].hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 32200);
        let f: Vec<&str> = h.hash.split('$').collect();
        assert_eq!(f[..5], ["", "krb5asrep", "18", "svc-old", "CORP.EXAMPLE"]);
        let cipher = [unhex(f[6]), unhex(f[5])].concat();
        let salt = format!("{}{}", f[4].to_uppercase(), f[3]);
        let key = aes_string_to_key("NoPreauth1", salt.as_bytes(), 4096, 32);
        assert_eq!(aes_decrypt(&key, 3, &cipher).as_deref(), Some(&plain[..]));
        assert_eq!(out[2].mechanism, "AS-REP");
        assert!(out[2].details.iter().any(|(k, _)| *k == "note"));
    }

    /// A stand-in EncASRepPart: [APPLICATION 25] SEQUENCE { [0] key ... }.
    fn tlv_enc_part() -> Vec<u8> {
        use super::super::ber::build::{int, octets, seq, tlv};
        tlv(
            0x79,
            &seq(&[&tlv(
                0xa0,
                &seq(&[&tlv(0xa0, &int(23)), &tlv(0xa1, &octets(&[0x33; 16]))]),
            )]),
        )
    }

    #[test]
    fn pkinit_replies_are_not_password_material() {
        let t = ticket(
            b"R",
            &[b"krbtgt", b"R"],
            &enc_data(18, Some(2), &[0xee; 90]),
        );
        let rep = reply(
            false,
            &[padata(PA_PK_AS_REP, &[0x30, 0x00])],
            b"R",
            b"smartcard-user",
            &t,
            &enc_data(18, None, &[0x11; 90]),
        );
        let out = run_udp(&[(C, &as_req(b"smartcard-user", b"R", &[])), (S, &rep)]);
        assert!(out.is_empty());
    }

    #[test]
    fn kerberoast_rc4_ticket_only() {
        let plain = tlv_enc_part();
        let rc4 = rc4_hmac_encrypt(&nt_hash("SqlSvc2019"), USAGE_TICKET, &[3; 8], &plain);
        let tgs = |etype: i64, sname: &[&[u8]]| {
            let t = ticket(b"CORP.EXAMPLE", sname, &enc_data(etype, Some(4), &rc4));
            tcp(&reply(
                true,
                &[],
                b"CORP.EXAMPLE",
                b"alice",
                &t,
                &enc_data(18, None, &[0x44; 100]),
            ))
        };
        let sql: &[&[u8]] = &[b"MSSQLSvc", b"db01.corp.example:1433"];
        let out = run_tcp(&[
            (C, tcp(&tgs_req(b"CORP.EXAMPLE", sql))),
            (S, tgs(23, sql)),
            (C, tcp(&tgs_req(b"CORP.EXAMPLE", &[b"cifs", b"fs01"]))),
            (S, tgs(18, &[b"cifs", b"fs01"])),
            (
                C,
                tcp(&tgs_req(b"CORP.EXAMPLE", &[b"krbtgt", b"OTHER.EXAMPLE"])),
            ),
            (S, tgs(23, &[b"krbtgt", b"OTHER.EXAMPLE"])),
        ]);
        assert_eq!(out.len(), 1, "{out:#?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "TGS-REP service ticket (Kerberoast)");
        assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![2]);
        assert!(
            c.details
                .contains(&("spn", "MSSQLSvc/db01.corp.example:1433".to_string()))
        );
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 13100);
        let rest = h
            .hash
            .strip_prefix("$krb5tgs$23$*alice$CORP.EXAMPLE$MSSQLSvc/db01.corp.example:1433*$")
            .unwrap();
        let (ck, ed) = rest.split_once('$').unwrap();
        let cipher = [unhex(ck), unhex(ed)].concat();
        assert_eq!(
            rc4_hmac_decrypt(&nt_hash("SqlSvc2019"), USAGE_TICKET, &cipher).as_deref(),
            Some(&plain[..])
        );
    }

    #[test]
    fn nothing_without_pre_authentication_data_and_unknown_without_reply() {
        let out = run_udp(&[
            (C, &as_req(b"u", b"R", &[])),
            (S, &error(25, b"R", Some(b"u"))),
            (C, &as_req(b"u", b"R", &[pa(23, &rc4_pa("x"))])),
            (C, &as_req(b"u", b"R", &[pa(23, &rc4_pa("x"))])), // retransmitted
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // Too big for UDP: the client retries over TCP; not a verdict.
        let out = run_udp(&[
            (C, &as_req(b"u", b"R", &[pa(23, &rc4_pa("x"))])),
            (S, &error(52, b"R", None)),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn error_codes() {
        for code in [6, 12, 18, 23, 24, 37] {
            assert_eq!(error_outcome(code), Outcome::Failure, "{code}");
        }
        for code in [14, 25, 41, 52, 60, 68, 99] {
            assert_eq!(error_outcome(code), Outcome::Unknown, "{code}");
        }
    }

    #[test]
    fn names_that_break_a_hashcat_line_give_none() {
        assert!(hashcat_pa(23, b"WS01$", b"R", &[0; 52]).is_none());
        assert!(hashcat_pa(23, b"u", b"R", &[0; 51]).is_none());
        assert!(hashcat_pa(18, b"u", b"R", &[0; 60]).is_none());
        assert!(hashcat_pa(3, b"u", b"R", &[0; 52]).is_none());
        assert!(hashcat_asrep(23, b"a:b", b"R", &[0; 60]).is_none());
        assert!(hashcat_tgs(b"u", b"R", b"a*b", &[0; 60]).is_none());
    }

    #[test]
    fn parse_messages() {
        let m = as_req(b"alice", b"R", &[pa(23, &[9; 52])]);
        let Some(Message::AsReq(r)) = parse(&m) else {
            panic!()
        };
        assert_eq!(r.cname.unwrap().parts, vec![&b"alice"[..]]);
        assert_eq!(r.realm, b"R");
        assert_eq!(r.sname.unwrap().joined(), b"krbtgt/R");
        assert!(
            matches!(parse(&error(24, b"R", None)), Some(Message::Error(e)) if e.error_code == 24)
        );
        assert!(matches!(
            parse(&tgs_req(b"R", &[b"http", b"x"])),
            Some(Message::TgsReq(_))
        ));
        let mut bad = m.clone();
        bad.push(0);
        assert!(parse(&bad).is_none());
    }

    #[test]
    fn probes() {
        let req = as_req(b"alice", b"R", &[]);
        assert_eq!(probe(&tcp(&req), b""), Probe::Yes);
        assert_eq!(probe(&tcp(&req)[..3], b""), Probe::Maybe);
        assert_eq!(probe(b"", &tcp(&error(25, b"R", None))), Probe::Yes);
        assert_eq!(probe(&tcp(&error(25, b"R", None)), b""), Probe::No);
        assert_eq!(
            probe(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b""),
            Probe::No
        );
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"\x00\x00\x00\x54\xffSMB", b""), Probe::No);
        assert_eq!(probe_datagram(&req), Probe::Yes);
        assert_eq!(probe_datagram(&error(25, b"R", None)), Probe::Yes);
        assert_eq!(probe_datagram(&req[..req.len() - 1]), Probe::No);
        assert_eq!(
            probe_datagram(b"\x30\x26\x02\x01\x01\x04\x06public"),
            Probe::No
        );
        assert_eq!(probe_datagram(b""), Probe::No);
    }

    #[test]
    fn a_first_byte_of_no_application_constructed_tag_is_no_message() {
        // Each kind of message, with each first byte: where the quick test says no, the
        // whole check says no too.
        let messages = [
            as_req(b"alice", b"R", &[]),
            tgs_req(b"R", &[b"krbtgt", b"R"]),
            error(25, b"R", None),
        ];
        for m in messages {
            assert_eq!(probe_datagram(&m), Probe::Yes);
            for b in 0..=255u8 {
                let mut m = m.clone();
                m[0] = b;
                if !ber::begins_with(&m, Class::Application, true) {
                    for tags in [CLIENT_TAGS, SERVER_TAGS] {
                        assert_eq!(message_start(&m, tags, Some(m.len())), Probe::No, "{b:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn tcp_any_split() {
        let wrong = rc4_pa("wrong");
        let script: Vec<(Direction, Vec<u8>)> = vec![
            (C, tcp(&as_req(b"alice", b"R", &[pa(23, &wrong)]))),
            (S, tcp(&error(24, b"R", Some(b"alice")))),
            (C, tcp(&as_req(b"alice", b"R", &[pa(23, &rc4_pa("right"))]))),
            (
                S,
                tcp(&as_rep(b"alice", b"R", &enc_data(23, None, &[0; 60]))),
            ),
        ];
        let seen = |out: Vec<Credential>| -> Vec<(Option<Vec<u8>>, Outcome)> {
            out.into_iter().map(|c| (c.secret, c.outcome)).collect()
        };
        let want = seen(run_tcp(&script));
        assert_eq!(want.len(), 2);
        for (i, (dir, data)) in script.iter().enumerate() {
            for cut in 1..data.len() {
                let mut split = script.clone();
                split[i] = (*dir, data[..cut].to_vec());
                split.insert(i + 1, (*dir, data[cut..].to_vec()));
                assert_eq!(seen(run_tcp(&split)), want, "chunk {i} cut at {cut}");
            }
        }
    }

    #[test]
    fn tcp_gap_then_next_record() {
        let mut d = KerberosTcp::default();
        let mut out = Vec::new();
        let req = tcp(&as_req(b"alice", b"R", &[pa(23, &rc4_pa("pw"))]));
        fn chunk(data: &[u8]) -> Chunk<'_> {
            Chunk {
                data,
                frame: 1,
                ts: Timestamp::ZERO,
            }
        }
        d.data(C, chunk(&req[..10]), &mut out);
        d.gap(C, 5000, &mut out);
        d.data(C, chunk(b"junk"), &mut out);
        d.data(C, chunk(&req), &mut out);
        d.close(&mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn pending_is_bounded_and_garbage_never_panics() {
        let mut d = KerberosUdp::default();
        let mut out = Vec::new();
        for i in 0..100u8 {
            let m = as_req(b"u", b"R", &[pa(23, &[i; 52])]);
            d.datagram(
                C,
                Chunk {
                    data: &m,
                    frame: 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
            assert!(d.session.pending.len() <= MAX_PENDING);
        }
        d.close(&mut out);
        assert_eq!(out.len(), 100);
        let mut seed = 0x2545_f491u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let valid = [
            as_req(b"alice", b"R", &[pa(23, &[1; 52])]),
            as_rep(b"alice", b"R", &enc_data(23, None, &[2; 60])),
            error(24, b"R", Some(b"alice")),
        ];
        let mut u = KerberosUdp::default();
        let mut t = KerberosTcp::default();
        for round in 0..20_000 {
            let mut bytes = valid[round % 3].clone();
            for _ in 0..(next() % 4) {
                let at = next() as usize % bytes.len();
                bytes[at] = next() as u8;
            }
            bytes.truncate(next() as usize % (bytes.len() + 1));
            let _ = probe_datagram(&bytes);
            let _ = probe(&bytes, &bytes);
            let dir = if next() % 2 == 0 { C } else { S };
            let c = Chunk {
                data: &bytes,
                frame: 1,
                ts: Timestamp::ZERO,
            };
            u.datagram(dir, c, &mut out);
            t.data(dir, c, &mut out);
            assert!(t.buffered() < 4 * MAX_MESSAGE);
        }
        u.close(&mut out);
        t.close(&mut out);
    }
}
