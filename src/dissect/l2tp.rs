//! L2TP version 2 (RFC 2661), UDP 1701: the tunnel's own authentication and the PPP
//! logins its sessions carry.
//!
//! An L2TP tunnel joins a LAC (the access concentrator where subscribers dial in or a
//! VPN client) and an LNS (the network server that terminates their PPP sessions). Two
//! things cross it in the clear when IPsec does not wrap it:
//! - **Tunnel authentication** (section 5.1.1): the tunnel's peers share a secret; each
//!   may put a Challenge AVP in its SCCRQ or SCCRP, and the other answers with a
//!   Challenge Response AVP, `MD5(message type + secret + challenge)` where the message
//!   type is that of the message carrying the answer (2 in an SCCRP, 3 in an SCCCN):
//!   CHAP's construction, hashcat 4800 (16-byte challenges). Mechanism `tunnel
//!   authentication`, the answer in `secret` and the challenge in `challenge` (hex), the user name the answering peer's Host Name AVP; the client of the
//!   finding is the peer that answered. The challenger closing the tunnel (StopCCN) in
//!   reply refuses it; any other control message from it (an SCCCN, a session request)
//!   accepts it.
//! - **PPP authentication** inside a session's data messages: PAP, CHAP, MS-CHAP,
//!   MS-CHAPv2 and EAP-MD5, read by the same code as PPTP and PPPoE
//!   ([`super::ppp::Authentication`]) — an ISP's LAC hands every subscriber's PAP or CHAP
//!   login to the LNS this way. `details.tunnel_id` and `details.session_id` are the IDs
//!   the messages carried to the LNS (or, without the control messages, to whichever side
//!   received them).
//!
//! A header's tunnel and session IDs are the *receiver's*: the two directions of a
//! session carry different ones. The session's incoming or outgoing call messages
//! (ICRQ/ICRP, OCRQ/OCRP) pair them; a capture without them has every session's frames
//! read as one link (right for the usual one-session tunnel). Hidden AVPs (encrypted with
//! the secret) are passed over.

use std::collections::HashMap;

use super::ppp::{self, Authentication};
use super::radius::chap_hashcat;
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind, Outcome, hex};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "l2tp",
    udp_ports: &[1701],
    ip_protocols: &[],
    probe,
    // LNSs listen on 1701 (their peers often send from it too): read on the port, and
    // every other conversation pays nothing for it.
    by_content: false,
    new: |_config| Box::<L2tp>::default(),
};

/// Header flags.
const FLAG_TYPE: u8 = 0x80;
const FLAG_LENGTH: u8 = 0x40;
const FLAG_SEQUENCE: u8 = 0x08;
const FLAG_OFFSET: u8 = 0x02;
/// Bits of the first byte that must be zero.
const RESERVED: u8 = 0x34;

/// Control message types.
pub const SCCRQ: u16 = 1;
pub const SCCRP: u16 = 2;
pub const SCCCN: u16 = 3;
pub const STOPCCN: u16 = 4;
pub const OCRQ: u16 = 7;
pub const OCRP: u16 = 8;
pub const ICRQ: u16 = 10;
pub const ICRP: u16 = 11;

/// AVP types (IETF, vendor 0).
pub const AVP_MESSAGE_TYPE: u16 = 0;
pub const AVP_HOST_NAME: u16 = 7;
pub const AVP_CHALLENGE: u16 = 11;
pub const AVP_CHALLENGE_RESPONSE: u16 = 13;
pub const AVP_ASSIGNED_SESSION_ID: u16 = 14;

/// Sessions paired at most per conversation (a LAC's tunnel may carry thousands; the
/// pairs only matter while their logins are read).
const MAX_SESSIONS: usize = 4096;

/// An L2TPv2 message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub control: bool,
    pub tunnel: u16,
    pub session: u16,
    /// Control: the AVPs; data: the PPP frame.
    pub payload: &'a [u8],
}

/// Parses an L2TPv2 header (version 2, reserved bits clear, the fields its flags say,
/// a length field that fits the datagram).
pub fn parse(d: &[u8]) -> Option<Message<'_>> {
    let (flags, version) = (*d.first()?, *d.get(1)?);
    if version & 0x0f != 2 || flags & RESERVED != 0 {
        return None;
    }
    let control = flags & FLAG_TYPE != 0;
    // Control messages must have the length and sequence fields and no offset.
    if control
        && (flags & FLAG_LENGTH == 0 || flags & FLAG_SEQUENCE == 0 || flags & FLAG_OFFSET != 0)
    {
        return None;
    }
    let mut at = 2;
    let mut end = d.len();
    if flags & FLAG_LENGTH != 0 {
        let len = usize::from(u16::from_be_bytes(d.get(2..4)?.try_into().ok()?));
        if len < 6 || len > d.len() {
            return None;
        }
        end = len;
        at = 4;
    }
    let ids = d.get(at..at + 4)?;
    let tunnel = u16::from_be_bytes([ids[0], ids[1]]);
    let session = u16::from_be_bytes([ids[2], ids[3]]);
    at += 4;
    if flags & FLAG_SEQUENCE != 0 {
        at += 4;
    }
    if flags & FLAG_OFFSET != 0 {
        let size = usize::from(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?));
        at += 2 + size;
    }
    Some(Message {
        control,
        tunnel,
        session,
        payload: d.get(at..end)?,
    })
}

/// One AVP: mandatory and hidden bits, vendor, type, value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Avp<'a> {
    pub hidden: bool,
    pub vendor: u16,
    pub kind: u16,
    pub value: &'a [u8],
}

/// The AVPs of a control message, up to the first malformed one.
pub fn avps(mut d: &[u8]) -> impl Iterator<Item = Avp<'_>> {
    std::iter::from_fn(move || {
        let h = d.get(..6)?;
        let len = usize::from(u16::from_be_bytes([h[0] & 0x03, h[1]]));
        if len < 6 || len > d.len() {
            return None;
        }
        let avp = Avp {
            hidden: h[0] & 0x40 != 0,
            vendor: u16::from_be_bytes([h[2], h[3]]),
            kind: u16::from_be_bytes([h[4], h[5]]),
            value: &d[6..len],
        };
        d = &d[len..];
        Some(avp)
    })
}

/// The IETF AVP of a type, unless hidden.
fn avp(payload: &[u8], kind: u16) -> Option<&[u8]> {
    avps(payload)
        .find(|a| a.vendor == 0 && a.kind == kind && !a.hidden)
        .map(|a| a.value)
}

fn u16_value(v: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(v.get(..2)?.try_into().ok()?))
}

/// A control message's type (its first AVP, which RFC 2661 puts first); `None` for a
/// ZLB acknowledgment (no AVPs).
pub fn message_type(payload: &[u8]) -> Option<u16> {
    let first = avps(payload).next()?;
    (first.vendor == 0 && first.kind == AVP_MESSAGE_TYPE && !first.hidden)
        .then(|| u16_value(first.value))
        .flatten()
}

/// Yes for a control message whose first AVP is its Message Type; Maybe for a data
/// message carrying a PPP frame (`FF 03`); No otherwise.
pub fn probe(payload: &[u8]) -> Probe {
    // Most datagrams of other protocols fail on the version nibble.
    if payload.get(1).is_none_or(|v| v & 0x0f != 2) {
        return Probe::No;
    }
    match parse(payload) {
        Some(m) if m.control => match message_type(m.payload) {
            Some(1..=16) => Probe::Yes,
            _ if m.payload.is_empty() => Probe::Maybe,
            _ => Probe::No,
        },
        Some(m) if m.payload.starts_with(&[0xff, 0x03]) => Probe::Maybe,
        _ => Probe::No,
    }
}

/// A Challenge AVP waiting for its answer.
#[derive(Debug)]
struct Challenge {
    value: Vec<u8>,
    /// The challenger's direction.
    dir: Direction,
    frame: u64,
}

/// Which session a data message belongs to: the pairs the call messages made.
#[derive(Debug, Default)]
struct Sessions {
    /// (direction, session ID in the header) → link index.
    index: HashMap<(bool, u16), usize>,
    /// A call request whose reply will pair it: (requester's direction, its session ID).
    requested: Option<(Direction, u16)>,
}

#[derive(Debug, Default)]
pub struct L2tp {
    /// Each direction's Host Name AVP.
    host: [Option<Vec<u8>>; 2],
    challenge: Option<Challenge>,
    /// A tunnel answer waiting for the challenger's next control message.
    pending: Option<(Direction, Credential)>,
    sessions: Sessions,
    /// Each session's PPP link (index 0: frames of no known pair).
    links: Vec<Link>,
}

/// One session's PPP link: the tunnel and session IDs its frames to the server carry
/// (0 until seen), and its authentication.
#[derive(Debug, Default)]
struct Link {
    tunnel: u16,
    session: u16,
    auth: Authentication,
}

impl L2tp {
    fn control(
        &mut self,
        dir: Direction,
        m: Message<'_>,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let Some(kind) = message_type(m.payload) else {
            return; // a ZLB acknowledgment
        };
        // The challenger's next message judges the answer it received.
        if let Some((_, mut c)) = self.pending.take_if(|(answerer, _)| *answerer != dir) {
            c.outcome = if kind == STOPCCN {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            out.push(c);
        }
        if let Some(name) = avp(m.payload, AVP_HOST_NAME) {
            self.host[dir.index()] = Some(name.to_vec());
        }
        if let Some(response) = avp(m.payload, AVP_CHALLENGE_RESPONSE)
            && let Some(ch) = self.challenge.take_if(|ch| ch.dir != dir)
        {
            let ident = u8::try_from(kind).unwrap_or(0);
            let mut c = Credential::new(
                "l2tp",
                "tunnel authentication",
                Kind::ChallengeResponse,
                chunk.ts,
            );
            c.username = self.host[dir.index()].clone();
            // In hex, as PPP's CHAP responses and challenges are given.
            c.secret = Some(hex(response).into_bytes());
            c.challenge = Some(hex(&ch.value).into_bytes());
            c.hashcat = chap_hashcat(ident, response, &ch.value);
            c.sent_by_server = dir == Direction::ToClient;
            c.add_frames([ch.frame, chunk.frame]);
            if let Some(prev) = self.pending.replace((dir, c)) {
                out.push(prev.1);
            }
        }
        if let Some(value) = avp(m.payload, AVP_CHALLENGE)
            && matches!(kind, SCCRQ | SCCRP)
        {
            self.challenge = Some(Challenge {
                value: value.to_vec(),
                dir,
                frame: chunk.frame,
            });
        }
        if kind == STOPCCN {
            // A refused tunnel: its challenge will not be answered.
            self.challenge = None;
        }
        // Pairing a session's two IDs: the request names the requester's, the reply
        // carries it in its header and names the replier's.
        let assigned = avp(m.payload, AVP_ASSIGNED_SESSION_ID).and_then(u16_value);
        match (kind, assigned) {
            (ICRQ | OCRQ, Some(id)) => self.sessions.requested = Some((dir, id)),
            (ICRP | OCRP, Some(replier_id)) => {
                if let Some((requester, requester_id)) = self.sessions.requested.take()
                    && requester != dir
                    && requester_id == m.session
                    && self.links.len() < MAX_SESSIONS
                {
                    // Frames to a peer carry the ID it assigned; a message travelling
                    // to the client was sent by the server.
                    let requester_is_server = requester == Direction::ToClient;
                    let link = self.links().len();
                    self.sessions
                        .index
                        .insert((requester_is_server, requester_id), link);
                    self.sessions
                        .index
                        .insert((!requester_is_server, replier_id), link);
                    let server_id = if requester_is_server {
                        requester_id
                    } else {
                        replier_id
                    };
                    self.links.push(Link {
                        session: server_id,
                        ..Link::default()
                    });
                }
            }
            _ => {}
        }
    }

    fn data(
        &mut self,
        dir: Direction,
        m: Message<'_>,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let Some((protocol, info)) = ppp::frame(m.payload) else {
            return;
        };
        if !matches!(protocol, ppp::LCP | ppp::PAP | ppp::CHAP | ppp::EAP) {
            return;
        }
        let Some(message) = ppp::message(protocol, info) else {
            return;
        };
        // The header's IDs are the receiver's.
        let receiver_is_server = dir == Direction::ToServer;
        let link = self
            .sessions
            .index
            .get(&(receiver_is_server, m.session))
            .copied()
            .unwrap_or(0);
        let Some(slot) = self.links().get_mut(link) else {
            return;
        };
        // The IDs frames to the server carry name the link (for link 0, no pair known,
        // those of the first such frame).
        if receiver_is_server {
            if slot.tunnel == 0 {
                slot.tunnel = m.tunnel;
            }
            if slot.session == 0 {
                slot.session = m.session;
            }
        }
        let (tunnel, session) = (slot.tunnel, slot.session);
        let new = |mechanism: &'static str, kind: Kind| {
            let mut c = Credential::new("l2tp", mechanism, kind, chunk.ts);
            if tunnel != 0 {
                c.details.push(("tunnel_id", tunnel.to_string()));
            }
            if session != 0 {
                c.details.push(("session_id", session.to_string()));
            }
            c
        };
        slot.auth.message(dir, message, chunk, &new, out);
    }

    /// The links, link 0 (frames of no known pair) first.
    fn links(&mut self) -> &mut Vec<Link> {
        if self.links.is_empty() {
            self.links.push(Link::default());
        }
        &mut self.links
    }
}

impl DatagramDissector for L2tp {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(m) = parse(chunk.data) else {
            return;
        };
        if m.control {
            self.control(dir, m, &chunk, out);
        } else {
            self.data(dir, m, &chunk, out);
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some((_, c)) = self.pending.take() {
            out.push(c);
        }
        for link in &mut self.links {
            link.auth.close(out);
        }
    }

    fn buffered(&self) -> usize {
        self.links.len() * std::mem::size_of::<Link>() + self.sessions.index.len() * 16
    }
}

/// L2TPv2 messages, for tests and fixtures.
pub mod build {
    use super::{FLAG_LENGTH, FLAG_SEQUENCE, FLAG_TYPE};

    /// An IETF AVP, mandatory.
    pub fn avp(kind: u16, value: &[u8]) -> Vec<u8> {
        let len = 6 + value.len() as u16;
        let mut a = vec![0x80 | (len >> 8) as u8 & 0x03, len as u8, 0, 0];
        a.extend_from_slice(&kind.to_be_bytes());
        a.extend_from_slice(value);
        a
    }

    /// A control message of `kind` with more AVPs after its Message Type.
    pub fn control(
        tunnel: u16,
        session: u16,
        ns: u16,
        nr: u16,
        kind: u16,
        avps: &[Vec<u8>],
    ) -> Vec<u8> {
        let mut body = avp(super::AVP_MESSAGE_TYPE, &kind.to_be_bytes());
        for a in avps {
            body.extend_from_slice(a);
        }
        let len = 12 + body.len() as u16;
        let mut m = vec![FLAG_TYPE | FLAG_LENGTH | FLAG_SEQUENCE, 0x02];
        m.extend_from_slice(&len.to_be_bytes());
        m.extend_from_slice(&tunnel.to_be_bytes());
        m.extend_from_slice(&session.to_be_bytes());
        m.extend_from_slice(&ns.to_be_bytes());
        m.extend_from_slice(&nr.to_be_bytes());
        m.extend_from_slice(&body);
        m
    }

    /// A data message carrying a PPP frame, with the length field as xl2tpd sends it.
    pub fn data(tunnel: u16, session: u16, ppp: &[u8]) -> Vec<u8> {
        let len = 6 + 2 + ppp.len() as u16;
        let mut m = vec![FLAG_LENGTH, 0x02];
        m.extend_from_slice(&len.to_be_bytes());
        m.extend_from_slice(&tunnel.to_be_bytes());
        m.extend_from_slice(&session.to_be_bytes());
        m.extend_from_slice(ppp);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::build::{avp, control, data};
    use super::*;
    use crate::dissect::ppp::build as pppb;
    use Direction::{ToClient as S, ToServer as C};
    use md5::{Digest, Md5};

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        crate::dissect::script::datagrams(&mut L2tp::default(), script)
    }

    fn answer(kind: u16, secret: &[u8], challenge: &[u8]) -> Vec<u8> {
        Md5::new()
            .chain_update([kind as u8])
            .chain_update(secret)
            .chain_update(challenge)
            .finalize()
            .to_vec()
    }

    /// xl2tpd's exchange with `challenge = yes` on both sides: each peer answers the
    /// other's challenge, and both answers are accepted.
    #[test]
    fn tunnel_authentication_both_ways() {
        let lac_challenge = [0x19u8; 16];
        let lns_challenge = [0x2au8; 16];
        let secret = b"L2tp-Tunnel-S3cret";
        let out = run(&[
            (
                C,
                control(
                    0,
                    0,
                    0,
                    0,
                    SCCRQ,
                    &[
                        avp(AVP_HOST_NAME, b"lac-host"),
                        avp(AVP_CHALLENGE, &lac_challenge),
                    ],
                ),
            ),
            (
                S,
                control(
                    40979,
                    0,
                    0,
                    1,
                    SCCRP,
                    &[
                        avp(AVP_HOST_NAME, b"lns-host"),
                        avp(AVP_CHALLENGE, &lns_challenge),
                        avp(AVP_CHALLENGE_RESPONSE, &answer(2, secret, &lac_challenge)),
                    ],
                ),
            ),
            (
                C,
                control(
                    43957,
                    0,
                    1,
                    1,
                    SCCCN,
                    &[avp(
                        AVP_CHALLENGE_RESPONSE,
                        &answer(3, secret, &lns_challenge),
                    )],
                ),
            ),
            (
                S,
                control(40979, 0, 1, 2, 0, &[])
                    .into_iter()
                    .take(12)
                    .collect(),
            ),
            (
                C,
                control(
                    43957,
                    0,
                    2,
                    1,
                    ICRQ,
                    &[avp(AVP_ASSIGNED_SESSION_ID, &27237u16.to_be_bytes())],
                ),
            ),
            // The LNS's first control message after the SCCCN accepts the LAC's answer.
            (
                S,
                control(
                    40979,
                    27237,
                    1,
                    3,
                    ICRP,
                    &[avp(AVP_ASSIGNED_SESSION_ID, &57213u16.to_be_bytes())],
                ),
            ),
        ]);
        assert_eq!(out.len(), 2, "{out:#?}");
        let lns = &out[0];
        assert_eq!(lns.mechanism, "tunnel authentication");
        assert_eq!(lns.username.as_deref(), Some(&b"lns-host"[..]));
        assert!(lns.sent_by_server);
        assert_eq!(lns.outcome, Outcome::Success);
        assert_eq!(
            lns.hashcat.as_ref().map(|h| h.hash.clone()),
            Some(format!(
                "{}:{}:02",
                crate::finding::hex(&answer(2, secret, &lac_challenge)),
                crate::finding::hex(&lac_challenge)
            ))
        );
        let lac = &out[1];
        assert_eq!(lac.username.as_deref(), Some(&b"lac-host"[..]));
        assert!(!lac.sent_by_server);
        assert_eq!(lac.outcome, Outcome::Success);
        assert!(
            lac.hashcat
                .as_ref()
                .is_some_and(|h| h.hash.ends_with(":03"))
        );
    }

    /// The LAC's secret differs: it closes the tunnel on the LNS's answer.
    #[test]
    fn refused_answer_is_a_failure() {
        let challenge = [7u8; 16];
        let out = run(&[
            (
                C,
                control(
                    0,
                    0,
                    0,
                    0,
                    SCCRQ,
                    &[avp(AVP_HOST_NAME, b"lac"), avp(AVP_CHALLENGE, &challenge)],
                ),
            ),
            (
                S,
                control(
                    9,
                    0,
                    0,
                    1,
                    SCCRP,
                    &[
                        avp(AVP_HOST_NAME, b"lns"),
                        avp(AVP_CHALLENGE_RESPONSE, &answer(2, b"x", &challenge)),
                    ],
                ),
            ),
            (C, control(5, 0, 1, 1, STOPCCN, &[avp(1, &[0, 4])])),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
    }

    /// A subscriber's PAP and CHAP logins in a session's data messages, the session's two
    /// IDs paired by its ICRQ/ICRP.
    #[test]
    fn ppp_logins_inside_sessions() {
        let challenge = [0x33u8; 16];
        let out = run(&[
            (
                C,
                control(
                    100,
                    0,
                    0,
                    0,
                    ICRQ,
                    &[avp(AVP_ASSIGNED_SESSION_ID, &11u16.to_be_bytes())],
                ),
            ),
            (
                S,
                control(
                    200,
                    11,
                    0,
                    1,
                    ICRP,
                    &[avp(AVP_ASSIGNED_SESSION_ID, &22u16.to_be_bytes())],
                ),
            ),
            (
                C,
                data(
                    100,
                    22,
                    &pppb::control(ppp::PAP, 1, 1, &pppb::pap_data(b"sub1", b"pw1")),
                ),
            ),
            (S, data(200, 11, &pppb::control(ppp::PAP, 2, 1, b"\x00"))),
            (
                S,
                data(
                    200,
                    11,
                    &pppb::control(ppp::CHAP, 1, 7, &pppb::chap_data(&challenge, b"lns")),
                ),
            ),
            (
                C,
                data(
                    100,
                    22,
                    &pppb::control(ppp::CHAP, 2, 7, &pppb::chap_data(&[0x44; 16], b"sub2")),
                ),
            ),
            (S, data(200, 11, &pppb::control(ppp::CHAP, 4, 7, b"no"))),
        ]);
        let got: Vec<_> = out
            .iter()
            .map(|c| {
                (
                    c.mechanism.as_ref(),
                    c.username.as_deref().unwrap_or_default(),
                    c.outcome,
                    c.detail("session_id"),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("PAP", &b"sub1"[..], Outcome::Success, Some("22")),
                ("CHAP", b"sub2", Outcome::Failure, Some("22")),
            ]
        );
        assert_eq!(out[0].secret.as_deref(), Some(&b"pw1"[..]));
    }

    /// Two sessions' logins interleaved: each challenge meets its own response (the
    /// sessions' IDs differ in each direction and are paired by the call messages).
    #[test]
    fn interleaved_sessions_are_kept_apart() {
        let call = |lac: u16, lns: u16| {
            [
                (
                    C,
                    control(
                        100,
                        0,
                        0,
                        0,
                        ICRQ,
                        &[avp(AVP_ASSIGNED_SESSION_ID, &lac.to_be_bytes())],
                    ),
                ),
                (
                    S,
                    control(
                        200,
                        lac,
                        0,
                        1,
                        ICRP,
                        &[avp(AVP_ASSIGNED_SESSION_ID, &lns.to_be_bytes())],
                    ),
                ),
            ]
        };
        let challenge = |to_lac: u16, id: u8, v: u8| {
            (
                S,
                data(
                    200,
                    to_lac,
                    &pppb::control(ppp::CHAP, 1, id, &pppb::chap_data(&[v; 16], b"lns")),
                ),
            )
        };
        let response = |to_lns: u16, id: u8, user: &[u8]| {
            (
                C,
                data(
                    100,
                    to_lns,
                    &pppb::control(ppp::CHAP, 2, id, &pppb::chap_data(&[9; 16], user)),
                ),
            )
        };
        let mut script = Vec::new();
        script.extend(call(11, 21));
        script.extend(call(12, 22));
        // Both challenges use identifier 1; the second session's answer comes first.
        script.push(challenge(11, 1, 0xa1));
        script.push(challenge(12, 1, 0xa2));
        script.push(response(22, 1, b"second"));
        script.push(response(21, 1, b"first"));
        script.push((S, data(200, 12, &pppb::control(ppp::CHAP, 3, 1, b"ok"))));
        script.push((S, data(200, 11, &pppb::control(ppp::CHAP, 4, 1, b"no"))));
        let out = run(&script);
        let got: Vec<_> = out
            .iter()
            .map(|c| {
                (
                    c.username.as_deref().unwrap_or_default(),
                    c.challenge.clone(),
                    c.outcome,
                    c.detail("session_id"),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    &b"second"[..],
                    Some(crate::finding::hex(&[0xa2; 16]).into_bytes()),
                    Outcome::Success,
                    Some("22")
                ),
                (
                    &b"first"[..],
                    Some(crate::finding::hex(&[0xa1; 16]).into_bytes()),
                    Outcome::Failure,
                    Some("21")
                ),
            ]
        );
    }

    #[test]
    fn probe_reads_l2tp_and_turns_away_the_rest() {
        assert_eq!(probe(&control(0, 0, 0, 0, SCCRQ, &[])), Probe::Yes);
        assert_eq!(
            probe(&data(1, 2, &pppb::control(ppp::LCP, 1, 1, b""))),
            Probe::Maybe
        );
        // A DNS query.
        assert_eq!(
            probe(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
            Probe::No
        );
        assert_eq!(probe(b"\x00\x02"), Probe::No);
        assert_eq!(probe(b""), Probe::No);
    }
}
