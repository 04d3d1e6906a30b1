//! SNMP v1 and v2c (RFC 1157, 1901, 3416) over UDP: the community string of every request
//! is a cleartext credential with no user name (mechanism `community`).
//!
//! - A request (get, get-next, get-bulk, set) waits for its response: a response from the
//!   server with the same request-id means the community was accepted (`success`; an
//!   agent drops requests with a wrong community silently, RFC 3584 section 4.1.2, hence
//!   no "failure" from silence). A response with error-status authorizationError (16)
//!   says the community is known but refused: `failure`. A request whose response is not
//!   seen by the end of the conversation is `unknown`, unless another request with the
//!   same community was answered in the same conversation (the community's outcome is
//!   then known and the repeat adds nothing).
//! - Traps (v1 Trap-PDU, SNMPv2-Trap) have no response: reported at once, `unknown`. An
//!   InformRequest waits for its acknowledgement (a response) like a request.
//!
//! The same community is presented on every request: findings are marked `repeats` and
//! the engine reports each (client, server, community, outcome) once.
//!
//! SNMPv3 (RFC 3412, 3414) with the User-based Security Model: a message sent with
//! authentication carries no secret, but an HMAC of the whole message under a key derived
//! from the user's password and the engine ID — crackable offline (mechanism `USM`, kind
//! challenge-response). `secret` is the HMAC (msgAuthenticationParameters, hex),
//! `challenge` the message with those bytes zeroed (what the HMAC covers, hex),
//! `details.engine_id` the authoritative engine ID; the hashcat line is
//! `$SNMPv3$<type>$<msgID>$<message>$<engine ID>$<HMAC>` (type 0 for a 12-byte HMAC,
//! HMAC-MD5-96 or HMAC-SHA-96, mode 25000; 3-6 for HMAC-SHA-224/256/384/512, modes 26700,
//! 26800, 26900, 27300). The outcome comes from the reply with the same msgID (RFC 3412
//! section 7.1): a Report counting usmStatsWrongDigests or usmStatsUnknownUserNames is a
//! failure; a Response, or a Report of usmStatsNotInTimeWindows or
//! usmStatsDecryptionErrors (checked after the HMAC, RFC 3414 section 3.2) is a success;
//! other Reports and no reply are unknown. A conversation reports each user once per
//! outcome: an `snmpwalk` is thousands of authenticated requests with one password.
//! Unauthenticated messages (discovery, noAuthNoPriv) carry only a user name and give
//! nothing.
//!
//! The probe is strict: the whole datagram must be one SNMP message (version 0 or 1, a
//! community, a PDU whose fields and variable bindings parse, nothing after it), or a v3
//! message's header, so DNS and other UDP traffic on port 161 are not taken for SNMP.

use std::collections::VecDeque;

use super::ber::{self, Class};
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "snmp",
    udp_ports: &[161, 162],
    ip_protocols: &[],
    probe,
    by_content: true,
    new: |_config| Box::new(Snmp::default()),
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V1,
    V2c,
}

impl Version {
    pub fn name(self) -> &'static str {
        match self {
            Version::V1 => "v1",
            Version::V2c => "v2c",
        }
    }
}

/// The PDU types ([CONTEXT n] of RFC 3416 and RFC 1157).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduType {
    Get,
    GetNext,
    Response,
    Set,
    TrapV1,
    GetBulk,
    Inform,
    TrapV2,
    Report,
}

impl PduType {
    fn from_tag(tag: u32) -> Option<PduType> {
        Some(match tag {
            0 => PduType::Get,
            1 => PduType::GetNext,
            2 => PduType::Response,
            3 => PduType::Set,
            4 => PduType::TrapV1,
            5 => PduType::GetBulk,
            6 => PduType::Inform,
            7 => PduType::TrapV2,
            8 => PduType::Report,
            _ => return None,
        })
    }

    /// A request that the receiver answers with a response.
    pub fn is_request(self) -> bool {
        matches!(
            self,
            PduType::Get | PduType::GetNext | PduType::Set | PduType::GetBulk | PduType::Inform
        )
    }

    pub fn is_trap(self) -> bool {
        matches!(self, PduType::TrapV1 | PduType::TrapV2)
    }
}

/// A community-based message (v1, v2c).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub version: Version,
    pub community: &'a [u8],
    pub pdu: PduType,
    /// Absent in a v1 Trap-PDU.
    pub request_id: Option<i64>,
    pub error_status: Option<i64>,
}

/// What a datagram holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    Community(Message<'a>),
    V3(V3Message<'a>),
}

/// msgFlags bits (RFC 3412 section 6.4).
const FLAG_AUTH: u8 = 0x01;
const FLAG_PRIV: u8 = 0x02;
/// msgSecurityModel of USM.
const USM: i64 = 3;

/// An SNMPv3 message: its header, and what could be read of the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V3Message<'a> {
    pub msg_id: i64,
    pub flags: u8,
    /// UsmSecurityParameters, when the security model is USM and they parse.
    pub usm: Option<Usm<'a>>,
    /// The PDU, when the scoped PDU is in clear and parses.
    pub pdu: Option<PduType>,
    /// A Report's first variable name (which usmStats counter it reports).
    pub report_oid: Option<&'a [u8]>,
}

/// UsmSecurityParameters (RFC 3414 section 2.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usm<'a> {
    pub engine_id: &'a [u8],
    pub user: &'a [u8],
    pub auth_params: &'a [u8],
    /// Where `auth_params` starts in the datagram (the HMAC covers the datagram with
    /// these bytes zeroed).
    pub auth_offset: usize,
}

/// usmStats counters (1.3.6.1.6.3.15.1.1.N.0) named by a Report.
fn usm_stat(oid: &[u8]) -> Option<u8> {
    match oid {
        [0x2b, 6, 1, 6, 3, 15, 1, 1, n, 0] => Some(*n),
        _ => None,
    }
}

/// Where `inner` starts within `outer`, when it lies inside it.
fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}

/// The rest of an SNMPv3 message after msgVersion.
fn parse_v3<'a>(data: &'a [u8], mut r: ber::Reader<'a>) -> Option<V3Message<'a>> {
    // msgGlobalData HeaderData ::= SEQUENCE { msgID, msgMaxSize, msgFlags, msgSecurityModel }
    let global = r.next_tagged(Class::Universal, true, ber::SEQUENCE)?;
    let mut g = global.children();
    let msg_id = g.integer()?;
    g.integer()?;
    let flags = g.octet_string()?;
    let model = g.integer()?;
    if !g.is_empty() {
        return None;
    }
    let flags = flags.first().copied().unwrap_or(0);
    let mut m = V3Message {
        msg_id,
        flags,
        usm: None,
        pdu: None,
        report_oid: None,
    };
    let Some(params) = r.octet_string() else {
        return Some(m);
    };
    if model == USM
        && let Ok((seq, _)) = ber::read(params)
        && seq.is(Class::Universal, true, ber::SEQUENCE)
    {
        let mut u = seq.children();
        let usm = (|| {
            let engine_id = u.octet_string()?;
            u.integer()?;
            u.integer()?;
            let user = u.octet_string()?;
            let auth_params = u.octet_string()?;
            u.octet_string()?;
            Some(Usm {
                engine_id,
                user,
                auth_params,
                auth_offset: offset_in(data, auth_params)?,
            })
        })();
        m.usm = usm;
    }
    if flags & FLAG_PRIV == 0
        && let Some(scoped) = r.next_tagged(Class::Universal, true, ber::SEQUENCE)
    {
        // ScopedPDU ::= SEQUENCE { contextEngineID, contextName, data }
        let mut s = scoped.children();
        if s.octet_string().is_some()
            && s.octet_string().is_some()
            && let Some(pdu) = s.next()
            && pdu.class == Class::Context
            && pdu.constructed
        {
            m.pdu = PduType::from_tag(pdu.tag);
            if m.pdu == Some(PduType::Report) {
                let mut p = pdu.children();
                let _ = (p.integer(), p.integer(), p.integer());
                m.report_oid = p
                    .next_tagged(Class::Universal, true, ber::SEQUENCE)
                    .and_then(|list| list.children().next())
                    .and_then(|vb| vb.children().next_tagged(Class::Universal, false, ber::OID))
                    .map(|oid| oid.value);
            }
        }
    }
    Some(m)
}

/// What the HMAC of an authenticated message says about the hash, by its length:
/// (hashcat hash type, hashcat mode, name).
fn usm_auth(len: usize) -> Option<(u8, u32, &'static str)> {
    Some(match len {
        12 => (0, 25000, "HMAC-MD5-96 or HMAC-SHA-96"),
        16 => (3, 26700, "HMAC-SHA-224-128"),
        24 => (4, 26800, "HMAC-SHA-256-192"),
        32 => (5, 26900, "HMAC-SHA-384-256"),
        48 => (6, 27300, "HMAC-SHA-512-384"),
        _ => return None,
    })
}

/// The credential an authenticated USM message carries, without outcome.
fn usm_credential(data: &[u8], m: &V3Message<'_>, chunk: &Chunk<'_>) -> Option<Credential> {
    let usm = m.usm.as_ref()?;
    if m.flags & FLAG_AUTH == 0 || usm.user.is_empty() {
        return None;
    }
    let (hash_type, mode, name) = usm_auth(usm.auth_params.len())?;
    let mut zeroed = data.to_vec();
    zeroed
        .get_mut(usm.auth_offset..usm.auth_offset + usm.auth_params.len())?
        .fill(0);
    let (message, engine, digest) = (hex(&zeroed), hex(usm.engine_id), hex(usm.auth_params));
    let mut c = Credential::new("snmp", "USM", Kind::ChallengeResponse, chunk.ts);
    c.username = Some(usm.user.to_vec());
    c.hashcat = Some(Hashcat {
        mode,
        hash: format!(
            "$SNMPv3${hash_type}${}${message}${engine}${digest}",
            m.msg_id
        ),
        hex_salt: false,
    });
    c.secret = Some(digest.into_bytes());
    c.challenge = Some(message.into_bytes());
    c.add_frames([chunk.frame]);
    c.details.push(("version", "v3".to_string()));
    c.details.push(("engine_id", engine));
    c.details.push(("auth", name.to_string()));
    let level = if m.flags & FLAG_PRIV != 0 {
        "authPriv"
    } else {
        "authNoPriv"
    };
    c.details.push(("level", level.to_string()));
    Some(c)
}

/// error-status authorizationError (RFC 3416).
const AUTHORIZATION_ERROR: i64 = 16;

/// `VarBindList ::= SEQUENCE OF SEQUENCE { name OBJECT IDENTIFIER, value }`.
fn varbinds_ok(list: ber::Tlv<'_>) -> bool {
    if !list.is(Class::Universal, true, ber::SEQUENCE) {
        return false;
    }
    let mut r = list.children();
    while !r.is_empty() {
        let Some(vb) = r.next_tagged(Class::Universal, true, ber::SEQUENCE) else {
            return false;
        };
        let mut v = vb.children();
        if v.next_tagged(Class::Universal, false, ber::OID).is_none() {
            return false;
        }
        let Some(value) = v.next() else {
            return false;
        };
        if !v.is_empty() || (value.constructed && !ber::validate(value.value, 4)) {
            return false;
        }
    }
    true
}

/// Parses a whole datagram as one SNMP message.
pub fn parse(data: &[u8]) -> Option<Parsed<'_>> {
    let (msg, rest) = ber::read(data).ok()?;
    if !rest.is_empty() || !msg.is(Class::Universal, true, ber::SEQUENCE) {
        return None;
    }
    let mut r = msg.children();
    let version = match r.integer()? {
        0 => Version::V1,
        1 => Version::V2c,
        3 => return parse_v3(data, r).map(Parsed::V3),
        _ => return None,
    };
    let community = r.octet_string()?;
    let pdu_tlv = r.next()?;
    if !r.is_empty() || pdu_tlv.class != Class::Context || !pdu_tlv.constructed {
        return None;
    }
    let pdu = PduType::from_tag(pdu_tlv.tag)?;
    let allowed = match version {
        Version::V1 => matches!(
            pdu,
            PduType::Get | PduType::GetNext | PduType::Response | PduType::Set | PduType::TrapV1
        ),
        Version::V2c => pdu != PduType::TrapV1,
    };
    if !allowed {
        return None;
    }
    let mut p = pdu_tlv.children();
    let (request_id, error_status) = if pdu == PduType::TrapV1 {
        // enterprise, agent-addr, generic-trap, specific-trap, time-stamp.
        p.next_tagged(Class::Universal, false, ber::OID)?;
        let addr = p.next_tagged(Class::Application, false, 0)?;
        if addr.value.len() != 4 {
            return None;
        }
        p.integer()?;
        p.integer()?;
        p.next_tagged(Class::Application, false, 3)?;
        (None, None)
    } else {
        let id = p.integer()?;
        let status = p.integer()?;
        p.integer()?;
        (Some(id), Some(status))
    };
    let list = p.next()?;
    if !p.is_empty() || !varbinds_ok(list) {
        return None;
    }
    Some(Parsed::Community(Message {
        version,
        community,
        pdu,
        request_id,
        error_status,
    }))
}

/// SNMP when the datagram is one whole SNMP message; Maybe when it begins like one
/// (`SEQUENCE { INTEGER 0|1|3, ...`) but does not parse (a malformed message on the SNMP
/// port); No otherwise.
pub fn probe(payload: &[u8]) -> Probe {
    // A message is a SEQUENCE: a universal constructed element.
    if !ber::begins_with(payload, Class::Universal, true) {
        return Probe::No;
    }
    if parse(payload).is_some() {
        return Probe::Yes;
    }
    let Ok(h) = ber::header(payload) else {
        return Probe::No;
    };
    if !h.is(Class::Universal, true, ber::SEQUENCE) {
        return Probe::No;
    }
    let body = payload.get(h.header_len..).unwrap_or_default();
    match body {
        [0x02, 0x01, 0x00 | 0x01 | 0x03, ..] => Probe::Maybe,
        _ => Probe::No,
    }
}

/// A request waiting for its response.
#[derive(Debug)]
struct Pending {
    request_id: i64,
    credential: Credential,
}

/// Requests waiting at once, and the bytes of their communities; beyond either the oldest
/// is given up.
const MAX_PENDING: usize = 64;
const MAX_PENDING_BYTES: usize = 16 << 10;
/// Communities whose outcome this conversation showed.
const MAX_ANSWERED: usize = 16;

/// The SNMP dissector of one UDP conversation.
#[derive(Debug, Default)]
pub struct Snmp {
    pending: VecDeque<Pending>,
    pending_bytes: usize,
    answered: Vec<Vec<u8>>,
    /// Authenticated SNMPv3 messages waiting for their reply.
    v3_pending: VecDeque<Pending>,
    /// SNMPv3 credentials whose outcome stayed unknown, one per user: reported at the end
    /// unless a later message of the same user got a verdict.
    v3_undecided: Vec<Credential>,
    /// (user, outcome) reported in this conversation.
    v3_reported: Vec<(Vec<u8>, Outcome)>,
}

fn user_of(c: &Credential) -> &[u8] {
    c.username.as_deref().unwrap_or_default()
}

fn secret_len(c: &Credential) -> usize {
    c.secret.as_ref().map_or(0, Vec::len)
}

impl Snmp {
    fn was_answered(&self, community: &[u8]) -> bool {
        self.answered.iter().any(|a| a == community)
    }

    /// A request given up (overflow, end of conversation): unknown, unless the community's
    /// outcome is already known.
    fn give_up(&self, p: Pending, out: &mut Vec<Credential>) {
        let known = p
            .credential
            .secret
            .as_deref()
            .is_some_and(|c| self.was_answered(c));
        if !known {
            out.push(p.credential);
        }
    }

    fn pop_front(&mut self, out: &mut Vec<Credential>) {
        if let Some(p) = self.pending.pop_front() {
            self.pending_bytes = self.pending_bytes.saturating_sub(secret_len(&p.credential));
            self.give_up(p, out);
        }
    }

    fn has_verdict(&self, user: &[u8]) -> bool {
        self.v3_reported
            .iter()
            .any(|(u, o)| u == user && *o != Outcome::Unknown)
    }

    /// An SNMPv3 credential whose outcome is known (or a trap's, which never will be).
    fn report_v3(&mut self, c: Credential, out: &mut Vec<Credential>) {
        if c.outcome == Outcome::Unknown {
            if !self.has_verdict(user_of(&c))
                && !self.v3_undecided.iter().any(|u| user_of(u) == user_of(&c))
                && self.v3_undecided.len() < MAX_ANSWERED
            {
                self.v3_undecided.push(c);
            }
            return;
        }
        let seen = self
            .v3_reported
            .iter()
            .any(|(u, o)| u == user_of(&c) && *o == c.outcome);
        if seen {
            return;
        }
        if self.v3_reported.len() < MAX_ANSWERED {
            self.v3_reported.push((user_of(&c).to_vec(), c.outcome));
        }
        self.v3_undecided.retain(|u| user_of(u) != user_of(&c));
        out.push(c);
    }

    fn v3(
        &mut self,
        dir: Direction,
        m: &V3Message<'_>,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        match dir {
            Direction::ToServer => {
                // One more request of a user whose pass phrase is known to work (or not):
                // nothing to build (an snmpwalk is thousands of them).
                if m.usm.as_ref().is_some_and(|u| self.has_verdict(u.user)) {
                    return;
                }
                let Some(c) = usm_credential(chunk.data, m, chunk) else {
                    return;
                };
                if m.pdu.is_some_and(PduType::is_trap) {
                    return self.report_v3(c, out); // no reply to wait for
                }
                if self.v3_pending.iter().any(|p| p.request_id == m.msg_id) {
                    return; // a retransmission
                }
                if self.v3_pending.len() >= MAX_PENDING
                    && let Some(p) = self.v3_pending.pop_front()
                {
                    self.report_v3(p.credential, out);
                }
                self.v3_pending.push_back(Pending {
                    request_id: m.msg_id,
                    credential: c,
                });
            }
            Direction::ToClient => {
                let Some(i) = self
                    .v3_pending
                    .iter()
                    .position(|p| p.request_id == m.msg_id)
                else {
                    return;
                };
                let Some(mut p) = self.v3_pending.remove(i) else {
                    return;
                };
                p.credential.outcome = match (m.pdu, m.report_oid.and_then(usm_stat)) {
                    // usmStatsUnknownUserNames, usmStatsWrongDigests.
                    (Some(PduType::Report), Some(3 | 5)) => Outcome::Failure,
                    // usmStatsNotInTimeWindows, usmStatsDecryptionErrors: the HMAC was
                    // checked first, and was right.
                    (Some(PduType::Report), Some(2 | 6)) => Outcome::Success,
                    (Some(PduType::Report), _) => Outcome::Unknown,
                    (Some(PduType::Response), _) => Outcome::Success,
                    // An encrypted reply: the agent authenticated and decrypted the request.
                    (None, _) if m.flags & FLAG_PRIV != 0 => Outcome::Success,
                    _ => Outcome::Unknown,
                };
                self.report_v3(p.credential, out);
            }
        }
    }
}

impl DatagramDissector for Snmp {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let m = match parse(chunk.data) {
            Some(Parsed::Community(m)) => m,
            Some(Parsed::V3(m)) => return self.v3(dir, &m, &chunk, out),
            None => return,
        };
        match dir {
            Direction::ToServer if m.pdu.is_request() || m.pdu.is_trap() => {
                let mut c = Credential::new("snmp", "community", Kind::Cleartext, chunk.ts);
                c.secret = Some(m.community.to_vec());
                c.repeats = true;
                c.add_frames([chunk.frame]);
                c.details.push(("version", m.version.name().to_string()));
                let Some(request_id) = m.request_id.filter(|_| m.pdu.is_request()) else {
                    out.push(c); // a trap: no answer to wait for
                    return;
                };
                if self.pending.iter().any(|p| {
                    p.request_id == request_id
                        && p.credential.secret.as_deref() == Some(m.community)
                }) {
                    return; // a retransmission
                }
                while !self.pending.is_empty()
                    && (self.pending.len() >= MAX_PENDING
                        || self.pending_bytes + m.community.len() > MAX_PENDING_BYTES)
                {
                    self.pop_front(out);
                }
                self.pending_bytes += m.community.len();
                self.pending.push_back(Pending {
                    request_id,
                    credential: c,
                });
            }
            Direction::ToClient if m.pdu == PduType::Response => {
                let Some(i) = self
                    .pending
                    .iter()
                    .position(|p| Some(p.request_id) == m.request_id)
                else {
                    return;
                };
                let Some(mut p) = self.pending.remove(i) else {
                    return;
                };
                self.pending_bytes = self.pending_bytes.saturating_sub(secret_len(&p.credential));
                p.credential.outcome = if m.error_status == Some(AUTHORIZATION_ERROR) {
                    Outcome::Failure
                } else {
                    Outcome::Success
                };
                if let Some(community) = &p.credential.secret
                    && !self.was_answered(community)
                    && self.answered.len() < MAX_ANSWERED
                {
                    self.answered.push(community.clone());
                }
                out.push(p.credential);
            }
            _ => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        while !self.pending.is_empty() {
            self.pop_front(out);
        }
        while let Some(p) = self.v3_pending.pop_front() {
            self.report_v3(p.credential, out);
        }
        for c in std::mem::take(&mut self.v3_undecided) {
            if !self.has_verdict(user_of(&c)) {
                out.push(c);
            }
        }
    }

    fn buffered(&self) -> usize {
        let v3 = |c: &Credential| {
            std::mem::size_of::<Credential>()
                + c.challenge.as_ref().map_or(0, Vec::len)
                + c.hashcat.as_ref().map_or(0, |h| h.hash.len())
                + secret_len(c)
        };
        self.pending_bytes
            + self.pending.len() * std::mem::size_of::<Pending>()
            + self.answered.iter().map(Vec::len).sum::<usize>()
            + self
                .v3_pending
                .iter()
                .map(|p| v3(&p.credential))
                .sum::<usize>()
            + self.v3_undecided.iter().map(v3).sum::<usize>()
            + self
                .v3_reported
                .iter()
                .map(|(u, _)| u.len() + 8)
                .sum::<usize>()
    }
}

/// Encoders of SNMP messages, for tests and fixtures.
pub mod build {
    use super::super::ber::build::{int, octets, seq, tlv};

    /// A varbind list of `oids` (encoded OID contents) with NULL values.
    pub fn varbinds(oids: &[&[u8]]) -> Vec<u8> {
        let items: Vec<Vec<u8>> = oids
            .iter()
            .map(|o| seq(&[&tlv(0x06, o), &[0x05, 0x00]]))
            .collect();
        let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
        seq(&refs)
    }

    /// sysDescr.0 (1.3.6.1.2.1.1.1.0).
    pub const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];

    /// A v1 (`version` 0) or v2c (1) message with a request-style PDU of type `pdu`.
    pub fn message(
        version: i64,
        community: &[u8],
        pdu: u8,
        request_id: i64,
        error_status: i64,
    ) -> Vec<u8> {
        let body = [
            int(request_id),
            int(error_status),
            int(0),
            varbinds(&[SYS_DESCR]),
        ]
        .concat();
        seq(&[&int(version), &octets(community), &tlv(0xa0 | pdu, &body)])
    }

    /// A v1 Trap-PDU (coldStart).
    pub fn trap_v1(community: &[u8]) -> Vec<u8> {
        let body = [
            tlv(0x06, &[0x2b, 6, 1, 4, 1, 4, 1, 2, 21]),
            tlv(0x40, &[192, 0, 2, 7]),
            int(0),
            int(0),
            tlv(0x43, &[0x01, 0x00]),
            varbinds(&[SYS_DESCR]),
        ]
        .concat();
        seq(&[&int(0), &octets(community), &tlv(0xa4, &body)])
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::timestamp::Timestamp;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        let mut d = Snmp::default();
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

    #[test]
    fn get_with_response_is_success() {
        let out = run(&[
            (C, &message(0, b"public", 0, 42, 0)),
            (S, &message(0, b"public", 2, 42, 0)),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref(), c.kind),
            ("snmp", "community", Kind::Cleartext)
        );
        assert_eq!(c.username, None);
        assert_eq!(c.secret.as_deref(), Some(&b"public"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert!(c.repeats);
        assert_eq!(c.frames, vec![1]);
        assert_eq!(c.details, vec![("version", "v1".to_string())]);
    }

    #[test]
    fn unanswered_get_is_unknown() {
        let out = run(&[(C, &message(1, b"s3cr3t", 0, 7, 0))]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].details, vec![("version", "v2c".to_string())]);
    }

    #[test]
    fn responses_match_request_ids() {
        let out = run(&[
            (C, &message(1, b"a", 0, 1, 0)),
            (C, &message(1, b"b", 1, 2, 0)),
            (S, &message(1, b"b", 2, 2, 0)),
            (S, &message(1, b"a", 2, 99, 0)),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].secret.as_deref(), Some(&b"b"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].secret.as_deref(), Some(&b"a"[..]));
        assert_eq!(out[1].outcome, Outcome::Unknown);
    }

    #[test]
    fn error_responses() {
        // noSuchName: the community worked. authorizationError: refused.
        let out = run(&[
            (C, &message(0, b"public", 0, 1, 0)),
            (S, &message(0, b"public", 2, 1, 2)),
            (C, &message(1, b"private", 3, 2, 0)),
            (S, &message(1, b"private", 2, 2, 16)),
        ]);
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].outcome, Outcome::Failure);
    }

    #[test]
    fn unanswered_repeat_of_an_answered_community_adds_nothing() {
        let out = run(&[
            (C, &message(1, b"public", 0, 1, 0)),
            (S, &message(1, b"public", 2, 1, 0)),
            (C, &message(1, b"public", 1, 2, 0)),
            (C, &message(1, b"public", 1, 2, 0)), // retransmitted
            (C, &message(1, b"other", 1, 3, 0)),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].secret.as_deref(), Some(&b"other"[..]));
        assert_eq!(out[1].outcome, Outcome::Unknown);
    }

    #[test]
    fn traps_and_informs() {
        let out = run(&[
            (C, &trap_v1(b"public")),
            (C, &message(1, b"traps", 7, 5, 0)),
            (C, &message(1, b"inform", 6, 6, 0)),
            (S, &message(1, b"inform", 2, 6, 0)),
        ]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].secret.as_deref(), Some(&b"public"[..]));
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[1].secret.as_deref(), Some(&b"traps"[..]));
        assert_eq!(out[1].outcome, Outcome::Unknown);
        assert_eq!(out[2].secret.as_deref(), Some(&b"inform"[..]));
        assert_eq!(out[2].outcome, Outcome::Success);
        let out = run(&[(C, &message(1, b"inform", 6, 6, 0))]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn responses_and_requests_the_wrong_way_are_ignored() {
        let out = run(&[
            (S, &message(1, b"x", 0, 1, 0)),
            (C, &message(1, b"y", 2, 1, 0)),
        ]);
        assert!(out.is_empty());
    }

    #[test]
    fn pending_is_bounded() {
        let mut d = Snmp::default();
        let mut out = Vec::new();
        let big = vec![b'c'; 1000];
        for i in 0..1000 {
            let community = if i % 2 == 0 { &big[..] } else { b"short" };
            d.datagram(
                C,
                Chunk {
                    data: &message(1, community, 0, i, 0),
                    frame: 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
            assert!(d.pending.len() <= MAX_PENDING);
            assert!(d.pending_bytes <= MAX_PENDING_BYTES);
            assert!(d.buffered() < 64 << 10);
        }
        d.close(&mut out);
        assert_eq!(out.len(), 1000);
    }

    #[test]
    fn parse_every_kind() {
        let m = |v, pdu| match parse(&message(v, b"c", pdu, 3, 0)) {
            Some(Parsed::Community(m)) => Some(m.pdu),
            _ => None,
        };
        assert_eq!(m(0, 0), Some(PduType::Get));
        assert_eq!(m(0, 1), Some(PduType::GetNext));
        assert_eq!(m(0, 2), Some(PduType::Response));
        assert_eq!(m(0, 3), Some(PduType::Set));
        assert_eq!(m(1, 5), Some(PduType::GetBulk));
        assert_eq!(m(1, 6), Some(PduType::Inform));
        assert_eq!(m(1, 7), Some(PduType::TrapV2));
        assert_eq!(m(1, 8), Some(PduType::Report));
        // v2 PDUs in v1, a v1 trap in v2c, unknown PDU types and versions.
        assert_eq!(m(0, 5), None);
        assert_eq!(m(0, 7), None);
        assert_eq!(m(1, 9), None);
        assert_eq!(m(2, 0), None);
        let trap = trap_v1(b"public");
        let Some(Parsed::Community(t)) = parse(&trap) else {
            panic!()
        };
        assert_eq!(t.pdu, PduType::TrapV1);
        assert_eq!(t.request_id, None);
        assert_eq!(t.community, b"public");
        let mut v2trap = trap_v1(b"public");
        v2trap[4] = 1;
        assert_eq!(parse(&v2trap), None);
        let get = message(1, b"[R0_C@cti!]", 0, 1_234_567, 0);
        let Some(Parsed::Community(g)) = parse(&get) else {
            panic!()
        };
        assert_eq!(g.request_id, Some(1_234_567));
        assert_eq!(g.version, Version::V2c);
    }

    /// RFC 3414 appendix A.2.1: the MD5 key of a password, localised to an engine.
    fn localized_md5_key(password: &[u8], engine_id: &[u8]) -> Vec<u8> {
        use md5::Digest;
        let stretched: Vec<u8> = password.iter().copied().cycle().take(1 << 20).collect();
        let mut h = md5::Md5::new();
        h.update(stretched);
        let ku = h.finalize();
        let mut h = md5::Md5::new();
        h.update(ku);
        h.update(engine_id);
        h.update(ku);
        h.finalize().to_vec()
    }

    fn hmac_md5_96(key: &[u8], data: &[u8]) -> Vec<u8> {
        use hmac::{Hmac, KeyInit, Mac};
        let mut m = Hmac::<md5::Md5>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes()[..12].to_vec()
    }

    fn unhex(s: &[u8]) -> Vec<u8> {
        hex(std::str::from_utf8(s).unwrap())
    }

    #[test]
    fn snmpv3_usm_hmac_is_reported_crackable() {
        // The authenticated get-next of john-snmpv3-authnopriv-md5.pcap (user john, MD5
        // password "iloveyou" per its README), and the agent's response to it.
        let msg = hex(
            "3072020103301102041c2cd26c020300ffe3040105020103042b3029040b80001f880300000000000002014902012904046a6f686e040cbaeea1064ab1109d40102a780400302d040b80001f88030000000000000400a11c020416a1e2aa020100020100300e300c06082b060102010101000500",
        );
        let Some(Parsed::V3(m)) = parse(&msg) else {
            panic!("not v3")
        };
        assert_eq!(m.msg_id, 0x1c2cd26c);
        assert_eq!(m.flags & (FLAG_AUTH | FLAG_PRIV), FLAG_AUTH);
        assert_eq!(m.pdu, Some(PduType::GetNext));
        let usm = m.usm.as_ref().unwrap();
        assert_eq!(usm.user, b"john");
        assert_eq!(usm.engine_id, &hex("80001f8803000000000000")[..]);
        assert_eq!(probe(&msg), Probe::Yes);
        // The reply: the same message with a Response PDU (tag 0xa2) is enough here.
        let mut reply = msg.clone();
        let at = reply.len() - 0x1e;
        assert_eq!(reply[at], 0xa1);
        reply[at] = 0xa2;
        let out = run(&[(C, &msg), (S, &reply), (C, &msg)]);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!((c.protocol.as_ref(), c.mechanism.as_ref()), ("snmp", "USM"));
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.username.as_deref(), Some(&b"john"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"baeea1064ab1109d40102a78"[..]));
        assert_eq!(c.frames, vec![1]);
        // What the HMAC covers is the message with the HMAC zeroed: the password checks.
        let zeroed = unhex(c.challenge.as_deref().unwrap());
        assert_eq!(zeroed.len(), msg.len());
        let key = localized_md5_key(b"iloveyou", usm.engine_id);
        assert_eq!(hmac_md5_96(&key, &zeroed), usm.auth_params);
        assert_ne!(
            hmac_md5_96(&localized_md5_key(b"iloveyoU", usm.engine_id), &zeroed),
            usm.auth_params
        );
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 25000);
        assert_eq!(
            h.hash,
            format!(
                "$SNMPv3$0$472699500${}$80001f8803000000000000$baeea1064ab1109d40102a78",
                crate::finding::hex(&zeroed)
            )
        );
    }

    /// An SNMPv3 USM message: `flags`, `user`, an HMAC of `auth_len` bytes (0x11 each), a
    /// clear scoped PDU of type `pdu` whose first variable is `oid`.
    fn v3(msg_id: i64, flags: u8, user: &[u8], auth_len: usize, pdu: u8, oid: &[u8]) -> Vec<u8> {
        use crate::dissect::ber::build::{int, octets, seq, tlv};
        let usm = seq(&[
            &octets(&[0x80, 0, 0x1f, 0x88, 3, 1]),
            &int(1),
            &int(100),
            &octets(user),
            &octets(&vec![0x11; auth_len]),
            &octets(b""),
        ]);
        let body = [int(7), int(0), int(0), varbinds(&[oid])].concat();
        let scoped = seq(&[&octets(b""), &octets(b""), &tlv(0xa0 | pdu, &body)]);
        seq(&[
            &int(3),
            &seq(&[&int(msg_id), &int(65507), &octets(&[flags]), &int(3)]),
            &octets(&usm),
            &scoped,
        ])
    }

    const WRONG_DIGESTS: &[u8] = &[0x2b, 6, 1, 6, 3, 15, 1, 1, 5, 0];
    const UNKNOWN_ENGINE: &[u8] = &[0x2b, 6, 1, 6, 3, 15, 1, 1, 4, 0];
    const NOT_IN_TIME: &[u8] = &[0x2b, 6, 1, 6, 3, 15, 1, 1, 2, 0];

    #[test]
    fn snmpv3_outcomes_and_one_finding_per_user_and_outcome() {
        let out = run(&[
            // Discovery: no authentication, no user: nothing.
            (C, &v3(1, 0x04, b"", 0, 0, SYS_DESCR)),
            (S, &v3(1, 0x00, b"", 0, 8, UNKNOWN_ENGINE)),
            // A wrong password, twice (two attempts, one failure reported).
            (C, &v3(2, 0x05, b"alice", 12, 0, SYS_DESCR)),
            (S, &v3(2, 0x00, b"alice", 0, 8, WRONG_DIGESTS)),
            (C, &v3(3, 0x05, b"alice", 12, 0, SYS_DESCR)),
            (S, &v3(3, 0x00, b"alice", 0, 8, WRONG_DIGESTS)),
            // The right one: out of the time window first (the HMAC was right).
            (C, &v3(4, 0x05, b"bob", 24, 1, SYS_DESCR)),
            (S, &v3(4, 0x00, b"bob", 0, 8, NOT_IN_TIME)),
            // A walk: many answered requests, nothing more.
            (C, &v3(5, 0x05, b"bob", 24, 1, SYS_DESCR)),
            (S, &v3(5, 0x01, b"bob", 24, 2, SYS_DESCR)),
            (C, &v3(6, 0x05, b"bob", 24, 1, SYS_DESCR)),
            (S, &v3(6, 0x01, b"bob", 24, 2, SYS_DESCR)),
            // An unknown engine ID answer, then no answer at all: unknown, once.
            (C, &v3(7, 0x05, b"carol", 12, 0, SYS_DESCR)),
            (S, &v3(7, 0x00, b"carol", 0, 8, UNKNOWN_ENGINE)),
            (C, &v3(8, 0x05, b"carol", 12, 0, SYS_DESCR)),
            // An HMAC of a length no protocol has: nothing.
            (C, &v3(9, 0x05, b"dave", 13, 0, SYS_DESCR)),
        ]);
        let got: Vec<(&[u8], Outcome, u32)> = out
            .iter()
            .map(|c| (user_of(c), c.outcome, c.hashcat.as_ref().unwrap().mode))
            .collect();
        assert_eq!(
            got,
            vec![
                (&b"alice"[..], Outcome::Failure, 25000),
                (&b"bob"[..], Outcome::Success, 26800),
                (&b"carol"[..], Outcome::Unknown, 25000),
            ]
        );
        assert_eq!(
            out[1].details.iter().find(|d| d.0 == "auth").unwrap().1,
            "HMAC-SHA-256-192"
        );
        assert!(
            out[1]
                .hashcat
                .as_ref()
                .unwrap()
                .hash
                .starts_with("$SNMPv3$4$4$")
        );
    }

    #[test]
    fn snmpv3_encrypted_request_answered_is_a_success() {
        use crate::dissect::ber::build::{int, octets, seq};
        let usm = seq(&[
            &octets(&[0x80, 0, 0x1f, 0x88, 3, 1]),
            &int(1),
            &int(100),
            &octets(b"pippo"),
            &octets(&[0x22; 12]),
            &octets(&[0, 0, 0, 1, 3, 0xd5, 0x32, 0x1a]),
        ]);
        let enc = |id: i64| {
            seq(&[
                &int(3),
                &seq(&[&int(id), &int(65507), &octets(&[0x07]), &int(3)]),
                &octets(&usm),
                &octets(&[0x5a; 40]),
            ])
        };
        let out = run(&[(C, &enc(10)), (S, &enc(10))]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(
            out[0].details.iter().find(|d| d.0 == "level").unwrap().1,
            "authPriv"
        );
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    }

    #[test]
    fn probe_is_strict() {
        assert_eq!(probe(&message(0, b"public", 0, 1, 0)), Probe::Yes);
        assert_eq!(probe(&trap_v1(b"public")), Probe::Yes);
        // A DNS query for example.org.
        let dns = hex("303901000001000000000000076578616d706c65036f72670000010001");
        assert_eq!(probe(&dns), Probe::No);
        assert_eq!(probe(b""), Probe::No);
        assert_eq!(probe(b"hello world"), Probe::No);
        assert_eq!(probe(&[0x30, 0x80, 0x02, 0x01, 0x00]), Probe::No);
        // Trailing bytes, a truncated message: begins like SNMP, not whole.
        let mut m = message(1, b"public", 0, 1, 0);
        m.push(0);
        assert_eq!(probe(&m), Probe::Maybe);
        let m = message(1, b"public", 0, 1, 0);
        assert_eq!(probe(&m[..m.len() - 3]), Probe::Maybe);
        // The PROTOS-style malformed trap of suricata-snmpv1-trap.pcap: PDU tag in the
        // high-tag form for a low number.
        let bad = hex(
            "303802010004067075626c6963bf042a06092b060104010401021540047f000001020100020100430106300e300c06082b060102010201000500",
        );
        assert_eq!(parse(&bad), None);
        assert_eq!(probe(&bad), Probe::Maybe);
        // Version 2 is not a version.
        assert_eq!(probe(&message(2, b"public", 0, 1, 0)), Probe::No);
    }

    #[test]
    fn a_first_byte_of_no_universal_constructed_tag_is_no_message() {
        // Each first byte of a message, a truncated one and a trap: where the quick test
        // says no, neither the parse nor the header check would have said more.
        let m = message(1, b"public", 0, 1, 0);
        for whole in [m.clone(), m[..m.len() - 3].to_vec(), trap_v1(b"public")] {
            for b in 0..=255u8 {
                let mut d = whole.clone();
                d[0] = b;
                if !ber::begins_with(&d, Class::Universal, true) {
                    assert_eq!(parse(&d), None, "{b:#x}");
                    assert!(
                        ber::header(&d).map_or(true, |h| !h.is(
                            Class::Universal,
                            true,
                            ber::SEQUENCE
                        )),
                        "{b:#x}"
                    );
                    assert_eq!(probe(&d), Probe::No);
                }
            }
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut seed = 0x9e37_79b9u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let valid = [message(1, b"public", 0, 1, 0), trap_v1(b"x")];
        let mut d = Snmp::default();
        let mut out = Vec::new();
        for round in 0..20_000 {
            let mut bytes = valid[round % 2].clone();
            for _ in 0..(next() % 4) {
                let at = next() as usize % bytes.len();
                bytes[at] = next() as u8;
            }
            bytes.truncate(next() as usize % (bytes.len() + 1));
            let _ = probe(&bytes);
            let dir = if next() % 2 == 0 { C } else { S };
            d.datagram(
                dir,
                Chunk {
                    data: &bytes,
                    frame: 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        d.close(&mut out);
    }
}
