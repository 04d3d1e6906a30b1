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
//! SNMPv3 messages are recognised (the conversation is SNMP) but report nothing: USM
//! carries no cleartext secret.
//!
//! The probe is strict: the whole datagram must be one SNMP message (version 0 or 1, a
//! community, a PDU whose fields and variable bindings parse, nothing after it), or a v3
//! message's header, so DNS and other UDP traffic on port 161 are not taken for SNMP.

use std::collections::VecDeque;

use super::ber::{self, Class};
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "snmp",
    udp_ports: &[161, 162],
    probe,
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
    /// An SNMPv3 message: nothing to report.
    V3,
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
        3 => {
            // msgGlobalData HeaderData ::= SEQUENCE { msgID, msgMaxSize, msgFlags, msgSecurityModel }
            let global = r.next_tagged(Class::Universal, true, ber::SEQUENCE)?;
            let mut g = global.children();
            g.integer()?;
            g.integer()?;
            g.octet_string()?;
            g.integer()?;
            return g.is_empty().then_some(Parsed::V3);
        }
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
}

impl DatagramDissector for Snmp {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(Parsed::Community(m)) = parse(chunk.data) else {
            return;
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
    }

    fn buffered(&self) -> usize {
        self.pending_bytes
            + self.pending.len() * std::mem::size_of::<Pending>()
            + self.answered.iter().map(Vec::len).sum::<usize>()
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

    #[test]
    fn snmpv3_recognised_not_reported() {
        // The authenticated get-next of john-snmpv3-authnopriv-md5.pcap (its manifest).
        let msg = hex(
            "3072020103301102041c2cd26c020300ffe3040105020103042b3029040b80001f880300000000000002014902012904046a6f686e040cbaeea1064ab1109d40102a780400302d040b80001f88030000000000000400a11c020416a1e2aa020100020100300e300c06082b060102010101000500",
        );
        assert_eq!(parse(&msg), Some(Parsed::V3));
        assert_eq!(probe(&msg), Probe::Yes);
        assert!(run(&[(C, &msg), (S, &msg)]).is_empty());
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
