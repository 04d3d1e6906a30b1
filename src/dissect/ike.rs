//! IKEv1 aggressive mode with a pre-shared key (RFC 2409 section 5, ISAKMP RFC 2408),
//! UDP 500 and 4500 (NAT traversal, RFC 3947: the message after a four-byte zero marker).
//!
//! In aggressive mode the initiator's first message carries its Diffie-Hellman value, nonce
//! and identity in the clear (`HDR, SA, KE, Ni, IDii`), and the responder answers with its
//! own and with `HASH_R` — also in the clear, before anything is encrypted:
//!
//! ```text
//! SKEYID = prf(pre-shared key, Ni_b | Nr_b)
//! HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
//! ```
//!
//! `prf` is the HMAC of the negotiated hash. Everything but the key is in the two messages,
//! so one exchange is enough to try keys offline — and a responder answers anyone who
//! names a valid identity (`ike-scan -A`): Cisco-style group names and their group keys,
//! site-to-site keys typed as words. Main mode and IKEv2 encrypt their authentication
//! payloads: nothing to report there.
//!
//! Reported once per initiator, responder, identity, hash and verdict (the exchange's
//! values change every time, see `Credential::repeat_key`): mechanism `aggressive mode PSK`,
//! kind `challenge-response`, the initiator's identity (`IDii`) as the user name, `HASH_R`
//! (hex) as the secret, and the other eight values, hex, colon-separated, in `challenge`
//! — ike-scan's `--pskcrack` line, which psk-crack reads. hashcat 5300 (MD5) or 5400
//! (SHA-1) takes that line where it fits hashcat's buffers (the six message values
//! together at most 511 bytes, the nonces 63: Diffie-Hellman groups up to 1024 bits, and
//! not two 32-byte nonces);
//! otherwise John the Ripper's `ike` format does (`$ike$*0*…`). SHA-2 hashes have neither:
//! the challenge is there for other tools. `details`: `id_type`, `responder_id`, `hash`,
//! `auth` (`pre-shared key` or `XAUTH pre-shared key`: XAUTH's own user name and password
//! come later, encrypted), `dh_group`.
//!
//! **Outcome**: the initiator checks `HASH_R` with its own key. Its third message, or a
//! Quick Mode or transaction (XAUTH, mode config) exchange under the same cookies, means the
//! keys matched: `success`. An informational exchange from the initiator instead of its
//! third message is its refusal (`AUTHENTICATION-FAILED`, `INVALID-HASH-INFORMATION`, or
//! encrypted under its own, different, key): `failure`, `details.reason`. A scanner that
//! stops after the responder's answer leaves it `unknown` — the responder's key is exposed
//! all the same.

use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Hashcat, John, Kind, Outcome, hex};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "ike",
    udp_ports: &[500, 4500],
    ip_protocols: &[],
    probe,
    by_content: false,
    new: |_config| Box::<Ike>::default(),
};

/// The ISAKMP header's size.
const HEADER: usize = 28;
pub const EXCHANGE_IDENTITY_PROTECTION: u8 = 2;
pub const EXCHANGE_AGGRESSIVE: u8 = 4;
pub const EXCHANGE_INFORMATIONAL: u8 = 5;
pub const EXCHANGE_TRANSACTION: u8 = 6;
pub const EXCHANGE_QUICK_MODE: u8 = 32;
const FLAG_ENCRYPTION: u8 = 1;
pub const PAYLOAD_SA: u8 = 1;
const PAYLOAD_PROPOSAL: u8 = 2;
const PAYLOAD_TRANSFORM: u8 = 3;
pub const PAYLOAD_KE: u8 = 4;
pub const PAYLOAD_ID: u8 = 5;
pub const PAYLOAD_HASH: u8 = 8;
pub const PAYLOAD_NONCE: u8 = 10;
pub const PAYLOAD_NOTIFY: u8 = 11;
/// Phase 1 attribute classes (RFC 2409 appendix A).
const ATTR_HASH: u16 = 2;
const ATTR_AUTH: u16 = 3;
const ATTR_GROUP: u16 = 4;
/// Initiations awaiting their answer and answers awaiting their verdict, per conversation.
const MAX_EXCHANGES: usize = 8;
/// Longest value kept from a message (a Diffie-Hellman value of 8192 bits is 1 KiB).
const MAX_VALUE: usize = 1024;
/// hashcat's limits for modes 5300 and 5400: the six message values, the two nonces. Its
/// buffers hold 512 and 64 bytes, but it writes a padding byte after each value: at 512
/// or 64 it loads the line and never cracks it (6.2.6, measured: strongSwan's two 32-byte
/// nonces).
const HASHCAT_MAX_MESSAGE: usize = 511;
const HASHCAT_MAX_NONCES: usize = 63;

/// An ISAKMP message: its header's fields and its payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub initiator_cookie: [u8; 8],
    pub responder_cookie: [u8; 8],
    /// Major version in the high nibble (1: IKEv1, 2: IKEv2).
    pub version: u8,
    pub exchange: u8,
    pub flags: u8,
    first_payload: u8,
    /// The payloads (encrypted when `flags` says so).
    body: &'a [u8],
}

impl<'a> Message<'a> {
    pub fn encrypted(&self) -> bool {
        self.flags & FLAG_ENCRYPTION != 0
    }

    /// The payloads in the clear, as (type, body without the generic header); none when the
    /// message is encrypted. Stops at the first malformed one.
    pub fn payloads(&self) -> Payloads<'a> {
        Payloads {
            next: if self.encrypted() || self.version >> 4 != 1 {
                0
            } else {
                self.first_payload
            },
            rest: self.body,
        }
    }

    /// The body of the first payload of type `kind`.
    pub fn payload(&self, kind: u8) -> Option<&'a [u8]> {
        self.payloads().find(|(t, _)| *t == kind).map(|(_, b)| b)
    }
}

/// A chain of ISAKMP payloads (RFC 2408 section 3.2: next payload, reserved, length).
#[derive(Debug, Clone)]
pub struct Payloads<'a> {
    next: u8,
    rest: &'a [u8],
}

impl<'a> Iterator for Payloads<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        if self.next == 0 || self.rest.len() < 4 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([self.rest[2], self.rest[3]]));
        if len < 4 || len > self.rest.len() {
            self.next = 0;
            return None;
        }
        let kind = self.next;
        let body = &self.rest[4..len];
        self.next = self.rest[0];
        self.rest = &self.rest[len..];
        Some((kind, body))
    }
}

/// An ISAKMP message (IKEv1 or IKEv2 header), after the NAT-T marker when there is one;
/// `None` when the datagram is not one (ESP on 4500, a NAT keepalive, anything else).
pub fn parse(datagram: &[u8]) -> Option<Message<'_>> {
    let d = match datagram {
        [0, 0, 0, 0, rest @ ..] => rest,
        d => d,
    };
    if d.len() < HEADER {
        return None;
    }
    let version = d[17];
    let length = usize::try_from(u32::from_be_bytes([d[24], d[25], d[26], d[27]])).ok()?;
    let initiator_cookie: [u8; 8] = d[..8].try_into().ok()?;
    if !matches!(version >> 4, 1 | 2)
        || length < HEADER
        || length > d.len()
        || initiator_cookie == [0; 8]
    {
        return None;
    }
    Some(Message {
        initiator_cookie,
        responder_cookie: d[8..16].try_into().ok()?,
        version,
        exchange: d[18],
        flags: d[19],
        first_payload: d[16],
        body: &d[HEADER..length],
    })
}

/// IKE on its ports: an ISAKMP header whose length fits the datagram.
pub fn probe(payload: &[u8]) -> Probe {
    if parse(payload).is_some() {
        Probe::Yes
    } else {
        Probe::No
    }
}

/// What an SA payload's first transform chose: the phase 1 attributes read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transform {
    pub hash: Option<u16>,
    pub auth: Option<u16>,
    pub group: Option<u16>,
}

/// The first transform of the first proposal of an SA payload's body (the one a responder
/// chose: its SA carries only that one).
pub fn first_transform(sa: &[u8]) -> Option<Transform> {
    // Domain of interpretation, situation (IPsec DOI: SIT_IDENTITY_ONLY, nothing more).
    let proposals = sa.get(8..)?;
    let (kind, proposal) = Payloads {
        next: PAYLOAD_PROPOSAL,
        rest: proposals,
    }
    .next()?;
    if kind != PAYLOAD_PROPOSAL || proposal.len() < 4 {
        return None;
    }
    let spi_size = usize::from(proposal[2]);
    let (kind, transform) = Payloads {
        next: PAYLOAD_TRANSFORM,
        rest: proposal.get(4 + spi_size..)?,
    }
    .next()?;
    if kind != PAYLOAD_TRANSFORM || transform.len() < 4 {
        return None;
    }
    let mut chosen = Transform::default();
    let mut attrs = &transform[4..];
    while attrs.len() >= 4 {
        let kind = u16::from_be_bytes([attrs[0], attrs[1]]);
        let value = u16::from_be_bytes([attrs[2], attrs[3]]);
        if kind & 0x8000 == 0 {
            // A variable-length attribute (life duration): its length, then its value.
            attrs = attrs.get(4 + usize::from(value)..)?;
            continue;
        }
        match kind & 0x7fff {
            ATTR_HASH => chosen.hash = Some(value),
            ATTR_AUTH => chosen.auth = Some(value),
            ATTR_GROUP => chosen.group = Some(value),
            _ => {}
        }
        attrs = &attrs[4..];
    }
    Some(chosen)
}

/// A phase 1 hash algorithm's name and its digest's size.
fn hash_name(hash: u16) -> Option<(&'static str, usize)> {
    Some(match hash {
        1 => ("MD5", 16),
        2 => ("SHA1", 20),
        4 => ("SHA2-256", 32),
        5 => ("SHA2-384", 48),
        6 => ("SHA2-512", 64),
        _ => return None,
    })
}

/// Authentication methods that put a pre-shared key into `HASH_R`: the key itself (1) and
/// XAUTH with a pre-shared key (65001: XAUTHInitPreShared, 65002: XAUTHRespPreShared).
fn auth_name(auth: u16) -> Option<&'static str> {
    match auth {
        1 => Some("pre-shared key"),
        65001 | 65002 => Some("XAUTH pre-shared key"),
        _ => None,
    }
}

/// An identification payload's body (RFC 2407 section 4.6.2: ID type, protocol, port,
/// data): the type's name and the identity's bytes (addresses written out).
pub fn identity(id: &[u8]) -> Option<(&'static str, Vec<u8>)> {
    let (&kind, data) = (id.first()?, id.get(4..)?);
    let text = |s: String| s.into_bytes();
    Some(match (kind, data.len()) {
        (1, 4) => (
            "IPV4_ADDR",
            text(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(data).ok()?).to_string()),
        ),
        (5, 16) => (
            "IPV6_ADDR",
            text(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(data).ok()?).to_string()),
        ),
        (2, _) => ("FQDN", data.to_vec()),
        (3, _) => ("USER_FQDN", data.to_vec()),
        (11, _) => ("KEY_ID", data.to_vec()),
        (9, _) => ("DER_ASN1_DN", text(hex(data))),
        (10, _) => ("DER_ASN1_GN", text(hex(data))),
        _ => ("other", text(hex(data))),
    })
}

/// The name of an ISAKMP notify message type (RFC 2408 section 3.14.1) that refuses an
/// authentication.
fn notify_name(kind: u16) -> Option<&'static str> {
    Some(match kind {
        14 => "NO-PROPOSAL-CHOSEN",
        23 => "INVALID-HASH-INFORMATION",
        24 => "AUTHENTICATION-FAILED",
        25 => "INVALID-SIGNATURE",
        _ => return None,
    })
}

/// The initiator's first message, kept until the responder answers.
#[derive(Debug)]
struct Initiation {
    cookie: [u8; 8],
    dir: Direction,
    frame: u64,
    sa: Vec<u8>,
    ke: Vec<u8>,
    nonce: Vec<u8>,
    id: Vec<u8>,
}

/// The payloads an aggressive mode message's hash covers or carries: the first of each
/// type, absent when longer than [`MAX_VALUE`].
#[derive(Debug, Default)]
struct Values<'a> {
    sa: Option<&'a [u8]>,
    ke: Option<&'a [u8]>,
    nonce: Option<&'a [u8]>,
    id: Option<&'a [u8]>,
    hash: Option<&'a [u8]>,
}

impl<'a> Values<'a> {
    fn of(msg: &Message<'a>) -> Values<'a> {
        let mut v = Values::default();
        for (kind, body) in msg.payloads() {
            let slot = match kind {
                PAYLOAD_SA => &mut v.sa,
                PAYLOAD_KE => &mut v.ke,
                PAYLOAD_NONCE => &mut v.nonce,
                PAYLOAD_ID => &mut v.id,
                PAYLOAD_HASH => &mut v.hash,
                _ => continue,
            };
            slot.get_or_insert(body);
        }
        for slot in [&mut v.sa, &mut v.ke, &mut v.nonce, &mut v.id, &mut v.hash] {
            *slot = slot.filter(|b| b.len() <= MAX_VALUE);
        }
        v
    }
}

impl Initiation {
    fn read(msg: &Message<'_>, dir: Direction, frame: u64) -> Option<Initiation> {
        let v = Values::of(msg);
        let (sa, ke, nonce, id) = (v.sa?, v.ke?, v.nonce?, v.id?);
        Some(Initiation {
            cookie: msg.initiator_cookie,
            dir,
            frame,
            sa: sa.to_vec(),
            ke: ke.to_vec(),
            nonce: nonce.to_vec(),
            id: id.to_vec(),
        })
    }

    fn bytes(&self) -> usize {
        self.sa.capacity() + self.ke.capacity() + self.nonce.capacity() + self.id.capacity()
    }
}

/// The responder's answer to `init` as a finding (`None` when it authenticates otherwise
/// than with a pre-shared key, or lacks a value).
fn credential(init: &Initiation, msg: &Message<'_>, chunk: &Chunk<'_>) -> Option<Credential> {
    let v = Values::of(msg);
    let (g_xr, nr, idir, hash_r) = (v.ke?, v.nonce?, v.id?, v.hash?);
    let chosen = first_transform(v.sa?)?;
    let auth = auth_name(chosen.auth?)?;
    let (hash_alg, size) = hash_name(chosen.hash?)?;
    if hash_r.len() != size {
        return None;
    }
    let (id_type, user) = identity(&init.id)?;
    let values = [
        g_xr,
        &init.ke,
        &msg.responder_cookie,
        &init.cookie,
        &init.sa,
        idir,
        &init.nonce,
        nr,
    ];
    let params = values.iter().map(|v| hex(v)).collect::<Vec<_>>().join(":");
    let mut c = Credential::new(
        "ike",
        "aggressive mode PSK",
        Kind::ChallengeResponse,
        chunk.ts,
    );
    c.username = Some(user);
    c.secret = Some(hex(hash_r).into_bytes());
    let message: usize = values[..6].iter().map(|v| v.len()).sum();
    let line = format!("{params}:{}", hex(hash_r));
    match size {
        16 | 20
            if message <= HASHCAT_MAX_MESSAGE
                && init.nonce.len() + nr.len() <= HASHCAT_MAX_NONCES =>
        {
            c.hashcat = Some(Hashcat {
                mode: if size == 16 { 5300 } else { 5400 },
                hash: line,
                hex_salt: false,
            });
        }
        16 | 20 => {
            c.john = Some(John {
                format: "ike",
                hash: format!("$ike$*0*{}", line.replace(':', "*")),
            })
        }
        _ => {}
    }
    c.challenge = Some(params.into_bytes());
    if let Some((_, responder)) = identity(idir) {
        c.details.push((
            "responder_id",
            String::from_utf8_lossy(&responder).into_owned(),
        ));
    }
    c.details.push(("id_type", id_type.to_string()));
    c.details.push(("hash", hash_alg.to_string()));
    c.details.push(("auth", auth.to_string()));
    if let Some(group) = chosen.group {
        c.details.push(("dh_group", group.to_string()));
    }
    // A new exchange's values for every login: one finding per initiator, responder,
    // identity, hash and verdict.
    c.repeats = true;
    c.repeat_key = Some(format!("{id_type} {hash_alg}"));
    // The side the conversation took for its server may have initiated (both on 500).
    c.sent_by_server = init.dir == Direction::ToClient;
    c.add_frames([init.frame, chunk.frame]);
    Some(c)
}

/// One exchange of this conversation, by its initiator's cookie.
#[derive(Debug)]
enum Exchange {
    Initiated(Initiation),
    /// The responder answered: the finding awaits the initiator's verdict.
    Answered {
        cookie: [u8; 8],
        initiator: Direction,
        credential: Box<Credential>,
    },
    /// Reported, or nothing to report: later messages are passed over.
    Done([u8; 8]),
}

impl Exchange {
    fn cookie(&self) -> &[u8; 8] {
        match self {
            Exchange::Initiated(i) => &i.cookie,
            Exchange::Answered { cookie, .. } | Exchange::Done(cookie) => cookie,
        }
    }
}

#[derive(Debug, Default)]
pub struct Ike {
    exchanges: Vec<Exchange>,
}

impl Ike {
    fn settle(
        &mut self,
        i: usize,
        outcome: Outcome,
        reason: Option<String>,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let cookie = *self.exchanges[i].cookie();
        if let Exchange::Answered { mut credential, .. } =
            std::mem::replace(&mut self.exchanges[i], Exchange::Done(cookie))
        {
            credential.outcome = outcome;
            if let Some(reason) = reason {
                credential.details.push(("reason", reason));
            }
            credential.add_frames([chunk.frame]);
            out.push(*credential);
        }
    }

    /// Room for one more exchange (a scanner sends many from one port): the oldest
    /// finished one goes, else the oldest unanswered, else the oldest answered one is
    /// reported as it stands.
    fn make_room(&mut self, out: &mut Vec<Credential>) {
        if self.exchanges.len() < MAX_EXCHANGES {
            return;
        }
        let oldest = |done: bool| {
            self.exchanges.iter().position(|e| match e {
                Exchange::Done(_) => done,
                Exchange::Initiated(_) => !done,
                Exchange::Answered { .. } => false,
            })
        };
        let i = oldest(true).or_else(|| oldest(false)).unwrap_or(0);
        if let Exchange::Answered { credential, .. } = self.exchanges.remove(i) {
            out.push(*credential);
        }
    }
}

/// Why an informational message refuses: its notification's name, when in the clear.
fn refusal(msg: &Message<'_>) -> String {
    if msg.encrypted() {
        return "encrypted notification instead of the third message".to_string();
    }
    msg.payload(PAYLOAD_NOTIFY)
        .and_then(|n| n.get(6..8))
        .map(|t| u16::from_be_bytes([t[0], t[1]]))
        .map(|t| notify_name(t).map_or_else(|| format!("notify {t}"), str::to_string))
        .unwrap_or_else(|| "informational instead of the third message".to_string())
}

impl DatagramDissector for Ike {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(msg) = parse(chunk.data) else {
            return;
        };
        if msg.version >> 4 != 1 {
            return;
        }
        let found = self
            .exchanges
            .iter()
            .position(|e| *e.cookie() == msg.initiator_cookie);
        let Some(i) = found else {
            // Only an aggressive mode initiation opens an exchange worth following.
            if msg.exchange == EXCHANGE_AGGRESSIVE
                && msg.responder_cookie == [0; 8]
                && !msg.encrypted()
                && let Some(init) = Initiation::read(&msg, dir, chunk.frame)
            {
                self.make_room(out);
                self.exchanges.push(Exchange::Initiated(init));
            }
            return;
        };
        match &self.exchanges[i] {
            Exchange::Initiated(init) if dir != init.dir && msg.responder_cookie != [0; 8] => {
                let answer = (msg.exchange == EXCHANGE_AGGRESSIVE && !msg.encrypted())
                    .then(|| credential(init, &msg, &chunk))
                    .flatten();
                let initiator = init.dir;
                self.exchanges[i] = match answer {
                    Some(credential) => Exchange::Answered {
                        cookie: msg.initiator_cookie,
                        initiator,
                        credential: Box::new(credential),
                    },
                    // Refused (a notification), or signatures: nothing to crack.
                    None => Exchange::Done(msg.initiator_cookie),
                };
            }
            Exchange::Answered { initiator, .. } => {
                let from_initiator = dir == *initiator;
                match msg.exchange {
                    EXCHANGE_AGGRESSIVE if from_initiator => {
                        self.settle(i, Outcome::Success, None, &chunk, out)
                    }
                    EXCHANGE_QUICK_MODE | EXCHANGE_TRANSACTION => {
                        self.settle(i, Outcome::Success, None, &chunk, out)
                    }
                    EXCHANGE_INFORMATIONAL if from_initiator => {
                        let reason = refusal(&msg);
                        self.settle(i, Outcome::Failure, Some(reason), &chunk, out)
                    }
                    // The responder's answer again (retransmitted), anything else.
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for e in self.exchanges.drain(..) {
            if let Exchange::Answered { credential, .. } = e {
                out.push(*credential);
            }
        }
    }

    fn buffered(&self) -> usize {
        self.exchanges
            .iter()
            .map(|e| match e {
                Exchange::Initiated(i) => i.bytes() + 64,
                Exchange::Answered { credential, .. } => {
                    credential.challenge.as_ref().map_or(0, Vec::capacity) * 3 + 256
                }
                Exchange::Done(_) => 8,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::script::unhex;
    use Direction::{ToClient as R, ToServer as I};
    use hmac::{Hmac, KeyInit, Mac};

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        crate::dissect::script::datagrams(&mut Ike::default(), script)
    }

    /// HMAC of `parts` under `key` with the phase 1 hash `size` names (16: MD5, 20: SHA-1,
    /// 32: SHA-256).
    fn prf(size: usize, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn mac<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            let mut m = <M as KeyInit>::new_from_slice(key).unwrap();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match size {
            16 => mac::<Hmac<md5::Md5>>(key, parts),
            20 => mac::<Hmac<sha1::Sha1>>(key, parts),
            _ => mac::<Hmac<sha2::Sha256>>(key, parts),
        }
    }

    /// `HASH_R` recomputed from a finding's challenge (ike-scan's eight values) and a key.
    fn hash_r(challenge: &[u8], size: usize, psk: &[u8]) -> String {
        let v: Vec<Vec<u8>> = std::str::from_utf8(challenge)
            .unwrap()
            .split(':')
            .map(unhex)
            .collect();
        let skeyid = prf(size, psk, &[&v[6], &v[7]]);
        hex(&prf(
            size,
            &skeyid,
            &[&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]],
        ))
    }

    // ike-scan 1.9.5's aggressive mode request (`-A --id=group-sha --idtype=2
    // --trans=7/128,2,1,14 --dhgroup=14`) and strongSwan 5.9.8's answer under the key
    // `sha-group-2`, as captured; and the line ike-scan's `--pskcrack` wrote for them.
    const IKE_SCAN_REQUEST: &str = concat!(
        "2c08d4c4492bf76b00000000000000000110040000000000000001850400003c000000010000000100000030",
        "0101000100000028010100008001000780020002800300018004000e800e0080800b0001000c000400007080",
        "0a000104e74d50d6c103ef6e629c064b09f2291dea7592d3a3cc7f9e17653cafbba5c06cdf01501ef4a82a28",
        "92571ae04efdb794a0df534ca909dcc8a3fa6c46aa52f5d70f8b983ef078a0e86f886226793e388448f7e0e8",
        "7fcef92abf7f2007dcae96e3cdf2d662b0f1d6ba5a15625ed58dc6c6319f749c997e1b327e12aecaaceb9b1d",
        "091532d820a3f22a18343dc425b93a3402201edb896e2e08a981386772746138801ca6f3c06748132abe4d01",
        "e80b25c0dfa55b84364f60c6198b2366771ec7720e798a6ad9c80a9e494e243f30ca4c5772fb0f1308e5db28",
        "87607af8bf314105b3cd71efe548e670983c6d7ce8732d04fc8e6a338296852c60d657e8f52fb73a05000018",
        "ae87f6f2b985f74479edcc5058be1ad023e74ee700000011021101f467726f75702d736861",
    );

    const STRONGSWAN_ANSWER: &str = concat!(
        "2c08d4c4492bf76bc6a88d9589a1243d0110040000000000000001cc0400003800000001000000010000002c",
        "01010001000000240101000080010007800e0080800200028004000e80030001800b0001800c70800a000104",
        "2423c0226dbf4b85467038faf6e6bd2664322cf01c9bba717c955c0c856ffcdec84f9324f68de8873e8ed2e0",
        "52df5788bce21e32304c56f638c5673a4e0ead3c422d4a9ad7e679ef2225211db41b373ea7db6492ff56a0ac",
        "281eb48c2fd11efef0d288bc8c6fb6d0cdd9ca06ccdfcc6a067b5808a1b469a4c60e9c7121b28f0be328e073",
        "0fe6bfc452983de836f613fc9f9874e51411119be49fef04df38339ecd0501b281f4f5c16a5592a1e0e9f2c9",
        "df3159cb8baee0c15ec71d9207f93e05904bbc3878ee9985ecc767de678a38b50df6a2ec6b94b993b793f273",
        "3cde2194adb14de079166d96a843e3d1aab8e2994360bf49cf93f618207e3f5b77ee921505000024f758060f",
        "64e0172de8a047ca80d2c0f16891be35072d778979b573bb519334c60d0000180200000076706e2e6578616d",
        "706c652e746573740d00000c09002689dfd6b71208000014afcad71368a1f1c96b8696fc7757010000000018",
        "aa6d87acfb97a04b67ddfe590b45ed18bef44cca",
    );

    const PSK_CRACK_LINE: &str = concat!(
        "2423c0226dbf4b85467038faf6e6bd2664322cf01c9bba717c955c0c856ffcdec84f9324f68de8873e8ed2e0",
        "52df5788bce21e32304c56f638c5673a4e0ead3c422d4a9ad7e679ef2225211db41b373ea7db6492ff56a0ac",
        "281eb48c2fd11efef0d288bc8c6fb6d0cdd9ca06ccdfcc6a067b5808a1b469a4c60e9c7121b28f0be328e073",
        "0fe6bfc452983de836f613fc9f9874e51411119be49fef04df38339ecd0501b281f4f5c16a5592a1e0e9f2c9",
        "df3159cb8baee0c15ec71d9207f93e05904bbc3878ee9985ecc767de678a38b50df6a2ec6b94b993b793f273",
        "3cde2194adb14de079166d96a843e3d1aab8e2994360bf49cf93f618207e3f5b77ee9215:e74d50d6c103ef6",
        "e629c064b09f2291dea7592d3a3cc7f9e17653cafbba5c06cdf01501ef4a82a2892571ae04efdb794a0df534",
        "ca909dcc8a3fa6c46aa52f5d70f8b983ef078a0e86f886226793e388448f7e0e87fcef92abf7f2007dcae96e",
        "3cdf2d662b0f1d6ba5a15625ed58dc6c6319f749c997e1b327e12aecaaceb9b1d091532d820a3f22a18343dc",
        "425b93a3402201edb896e2e08a981386772746138801ca6f3c06748132abe4d01e80b25c0dfa55b84364f60c",
        "6198b2366771ec7720e798a6ad9c80a9e494e243f30ca4c5772fb0f1308e5db2887607af8bf314105b3cd71e",
        "fe548e670983c6d7ce8732d04fc8e6a338296852c60d657e8f52fb73a:c6a88d9589a1243d:2c08d4c4492bf",
        "76b:0000000100000001000000300101000100000028010100008001000780020002800300018004000e800e",
        "0080800b0001000c000400007080:0200000076706e2e6578616d706c652e74657374:ae87f6f2b985f74479",
        "edcc5058be1ad023e74ee7:f758060f64e0172de8a047ca80d2c0f16891be35072d778979b573bb519334c6:",
        "aa6d87acfb97a04b67ddfe590b45ed18bef44cca",
    );

    #[test]
    fn strongswan_answer_to_ike_scan_is_ike_scans_line() {
        let out = run(&[
            (I, unhex(IKE_SCAN_REQUEST)),
            (R, unhex(STRONGSWAN_ANSWER)),
            // Retransmitted: still one finding.
            (R, unhex(STRONGSWAN_ANSWER)),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        let line = format!(
            "{}:{}",
            String::from_utf8_lossy(c.challenge.as_deref().unwrap()),
            String::from_utf8_lossy(c.secret.as_deref().unwrap())
        );
        assert_eq!(line, PSK_CRACK_LINE);
        assert_eq!(
            hash_r(c.challenge.as_deref().unwrap(), 20, b"sha-group-2").as_bytes(),
            c.secret.as_deref().unwrap()
        );
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref(), c.kind, c.outcome),
            (
                "ike",
                "aggressive mode PSK",
                Kind::ChallengeResponse,
                Outcome::Unknown
            )
        );
        assert_eq!(c.username.as_deref(), Some(&b"group-sha"[..]));
        assert_eq!(c.detail("id_type"), Some("FQDN"));
        assert_eq!(c.detail("responder_id"), Some("vpn.example.test"));
        assert_eq!(c.detail("hash"), Some("SHA1"));
        assert_eq!(c.detail("auth"), Some("pre-shared key"));
        assert_eq!(c.detail("dh_group"), Some("14"));
        assert_eq!(c.frames, vec![1, 2]);
        assert!(!c.sent_by_server);
        // 2048-bit Diffie-Hellman values overflow hashcat's buffer: John's line.
        assert!(c.hashcat.is_none());
        let john = c.john.as_ref().unwrap();
        assert_eq!(john.format, "ike");
        assert_eq!(
            john.hash,
            format!("$ike$*0*{}", PSK_CRACK_LINE.replace(':', "*"))
        );
    }

    /// Aggressive mode messages built from their values, for the outcome tests.
    struct Exchange {
        cookie_i: [u8; 8],
        cookie_r: [u8; 8],
        sa_i: Vec<u8>,
        sa_r: Vec<u8>,
        g_xi: Vec<u8>,
        g_xr: Vec<u8>,
        ni: Vec<u8>,
        nr: Vec<u8>,
        id_i: Vec<u8>,
        id_r: Vec<u8>,
    }

    fn payloads(list: &[(u8, &[u8])]) -> (u8, Vec<u8>) {
        let mut body = Vec::new();
        for (i, (_, p)) in list.iter().enumerate() {
            let next = list.get(i + 1).map_or(0, |n| n.0);
            body.extend([next, 0]);
            body.extend(u16::try_from(p.len() + 4).unwrap().to_be_bytes());
            body.extend(*p);
        }
        (list.first().map_or(0, |p| p.0), body)
    }

    fn message(ci: [u8; 8], cr: [u8; 8], exchange: u8, flags: u8, list: &[(u8, &[u8])]) -> Vec<u8> {
        let (first, body) = payloads(list);
        let mut m = [&ci[..], &cr[..]].concat();
        m.extend([first, 0x10, exchange, flags, 0, 0, 0, 0]);
        m.extend(u32::try_from(body.len() + HEADER).unwrap().to_be_bytes());
        m.extend(body);
        m
    }

    /// An SA body with one proposal of one transform of these attributes.
    fn sa(attrs: &[(u16, u16)]) -> Vec<u8> {
        let mut t = vec![1, 1, 0, 0];
        for (k, v) in attrs {
            t.extend((k | 0x8000).to_be_bytes());
            t.extend(v.to_be_bytes());
        }
        // A variable-length attribute too (life duration, 4 bytes).
        t.extend([0x00, 0x0c, 0x00, 0x04, 0x00, 0x00, 0x70, 0x80]);
        let (_, transform) = payloads(&[(PAYLOAD_TRANSFORM, &t)]);
        let mut p = vec![1, 1, 0, 1];
        p.extend(transform);
        let (_, proposal) = payloads(&[(PAYLOAD_PROPOSAL, &p)]);
        [&[0, 0, 0, 1, 0, 0, 0, 1][..], &proposal].concat()
    }

    impl Exchange {
        fn new(hash: u16, auth: u16, dh_bytes: usize) -> Exchange {
            let attrs = [
                (1, 5),
                (ATTR_HASH, hash),
                (ATTR_AUTH, auth),
                (ATTR_GROUP, 2),
            ];
            Exchange {
                cookie_i: [0x11; 8],
                cookie_r: [0x22; 8],
                sa_i: sa(&attrs),
                sa_r: sa(&attrs),
                g_xi: vec![0xa1; dh_bytes],
                g_xr: vec![0xb2; dh_bytes],
                ni: vec![0xc3; 20],
                nr: vec![0xd4; 20],
                id_i: [&[11, 0, 0, 0][..], b"vpngroup"].concat(),
                id_r: vec![1, 17, 1, 244, 192, 0, 2, 1],
            }
        }

        fn first(&self) -> Vec<u8> {
            message(
                self.cookie_i,
                [0; 8],
                EXCHANGE_AGGRESSIVE,
                0,
                &[
                    (PAYLOAD_SA, &self.sa_i),
                    (PAYLOAD_KE, &self.g_xi),
                    (PAYLOAD_NONCE, &self.ni),
                    (PAYLOAD_ID, &self.id_i),
                ],
            )
        }

        fn second(&self, size: usize, psk: &[u8]) -> Vec<u8> {
            let skeyid = prf(size, psk, &[&self.ni, &self.nr]);
            let hash = prf(
                size,
                &skeyid,
                &[
                    &self.g_xr,
                    &self.g_xi,
                    &self.cookie_r,
                    &self.cookie_i,
                    &self.sa_i,
                    &self.id_r,
                ],
            );
            message(
                self.cookie_i,
                self.cookie_r,
                EXCHANGE_AGGRESSIVE,
                0,
                &[
                    (PAYLOAD_SA, &self.sa_r),
                    (PAYLOAD_KE, &self.g_xr),
                    (PAYLOAD_NONCE, &self.nr),
                    (PAYLOAD_ID, &self.id_r),
                    (PAYLOAD_HASH, &hash),
                    (13, b"vendor id payload"),
                ],
            )
        }

        fn later(&self, exchange: u8, flags: u8, list: &[(u8, &[u8])]) -> Vec<u8> {
            message(self.cookie_i, self.cookie_r, exchange, flags, list)
        }
    }

    #[test]
    fn third_message_or_quick_mode_is_success_and_hashcat_takes_small_groups() {
        let x = Exchange::new(1, 1, 128);
        let third = x.later(
            EXCHANGE_AGGRESSIVE,
            FLAG_ENCRYPTION,
            &[(PAYLOAD_HASH, &[0x5a; 16])],
        );
        let out = run(&[(I, x.first()), (R, x.second(16, b"cisco123")), (I, third)]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![1, 2, 3]);
        assert_eq!(c.username.as_deref(), Some(&b"vpngroup"[..]));
        assert_eq!(c.detail("id_type"), Some("KEY_ID"));
        assert_eq!(c.detail("responder_id"), Some("192.0.2.1"));
        assert_eq!(c.detail("dh_group"), Some("2"));
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!((h.mode, h.hex_salt), (5300, false));
        let (params, digest) = h.hash.rsplit_once(':').unwrap();
        assert_eq!(hash_r(params.as_bytes(), 16, b"cisco123"), digest);
        assert_ne!(hash_r(params.as_bytes(), 16, b"cisco124"), digest);
        assert!(c.john.is_none());
        // SHA-1, and a Quick Mode exchange from the responder's side settles it too.
        let x = Exchange::new(2, 65001, 128);
        let quick = x.later(EXCHANGE_QUICK_MODE, FLAG_ENCRYPTION, &[]);
        let out = run(&[(I, x.first()), (R, x.second(20, b"s3cret")), (R, quick)]);
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[0].hashcat.as_ref().unwrap().mode, 5400);
        assert_eq!(out[0].detail("auth"), Some("XAUTH pre-shared key"));
    }

    #[test]
    fn informational_from_the_initiator_is_failure() {
        let x = Exchange::new(1, 1, 128);
        // In the clear: its notification names the refusal (doi, protocol, spi size, type).
        let notify = [0, 0, 0, 1, 1, 0, 0, 24];
        let info = x.later(EXCHANGE_INFORMATIONAL, 0, &[(PAYLOAD_NOTIFY, &notify)]);
        let out = run(&[(I, x.first()), (R, x.second(16, b"k")), (I, info)]);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].detail("reason"), Some("AUTHENTICATION-FAILED"));
        // Encrypted under the initiator's own key (strongSwan).
        let info = x.later(EXCHANGE_INFORMATIONAL, FLAG_ENCRYPTION, &[]);
        let out = run(&[(I, x.first()), (R, x.second(16, b"k")), (I, info)]);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(
            out[0].detail("reason"),
            Some("encrypted notification instead of the third message")
        );
        // The responder's informational (dead peer detection...) decides nothing.
        let info = x.later(EXCHANGE_INFORMATIONAL, FLAG_ENCRYPTION, &[]);
        let out = run(&[(I, x.first()), (R, x.second(16, b"k")), (R, info)]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn what_gives_nothing_to_crack() {
        // Signatures (auth 3): no HASH_R.
        let x = Exchange::new(1, 3, 128);
        assert!(run(&[(I, x.first()), (R, x.second(16, b"k"))]).is_empty());
        // The responder refuses the identity with a notification.
        let x = Exchange::new(1, 1, 128);
        let refused = message(
            x.cookie_i,
            [0x33; 8],
            EXCHANGE_INFORMATIONAL,
            0,
            &[(PAYLOAD_NOTIFY, &[0, 0, 0, 1, 1, 0, 0, 24])],
        );
        assert!(run(&[(I, x.first()), (R, refused)]).is_empty());
        // The same initiation as main mode (its payloads all there, only the exchange type
        // differs) is not followed, and an answer without its request gives nothing.
        let mut main = x.first();
        main[18] = EXCHANGE_IDENTITY_PROTECTION;
        assert_eq!(run(&[(I, x.first()), (R, x.second(16, b"k"))]).len(), 1);
        assert!(run(&[(I, main), (R, x.second(16, b"k"))]).is_empty());
        assert!(run(&[(R, x.second(16, b"k"))]).is_empty());
        // A hash of the wrong size for its algorithm.
        let x = Exchange::new(2, 1, 128);
        assert!(run(&[(I, x.first()), (R, x.second(16, b"k"))]).is_empty());
    }

    #[test]
    fn hashcat_where_its_buffers_hold_the_values_john_elsewhere() {
        let lines = |nonces: (usize, usize), dh: usize| {
            let mut x = Exchange::new(1, 1, dh);
            x.ni = vec![1; nonces.0];
            x.nr = vec![2; nonces.1];
            let c = run(&[(I, x.first()), (R, x.second(16, b"k"))]).remove(0);
            (c.hashcat.map(|h| h.mode), c.john.map(|j| j.format))
        };
        assert_eq!(lines((32, 31), 128), (Some(5300), None));
        // strongSwan's two 32-byte nonces; larger Diffie-Hellman values (1920 bits).
        assert_eq!(lines((32, 32), 128), (None, Some("ike")));
        assert_eq!(lines((20, 20), 240), (None, Some("ike")));
    }

    #[test]
    fn sha2_has_no_cracker_line_and_initiator_on_the_other_side() {
        let x = Exchange::new(4, 1, 256);
        // The conversation took the initiator for its server (both on port 500).
        let out = run(&[(R, x.first()), (I, x.second(32, b"long-key"))]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert!(c.sent_by_server);
        assert!(c.hashcat.is_none() && c.john.is_none());
        assert_eq!(c.detail("hash"), Some("SHA2-256"));
        assert_eq!(
            hash_r(c.challenge.as_deref().unwrap(), 32, b"long-key").as_bytes(),
            c.secret.as_deref().unwrap()
        );
    }

    #[test]
    fn nat_traversal_marker_and_not_isakmp() {
        let x = Exchange::new(1, 1, 128);
        let first = x.first();
        let marked = [&[0, 0, 0, 0][..], &first].concat();
        assert_eq!(parse(&marked), parse(&first));
        assert_eq!(probe(&marked), Probe::Yes);
        // ESP on 4500 (an SPI and a sequence number, not the marker, then ciphertext), a NAT
        // keepalive, a short or overlong one.
        let esp: Vec<u8> = [0xc0, 0x01, 0x02, 0x03, 0, 0, 0, 1]
            .into_iter()
            .chain((0..120u8).map(|i| i.wrapping_mul(37)))
            .collect();
        assert_eq!(probe(&esp), Probe::No);
        assert_eq!(probe(&[0xff]), Probe::No);
        assert_eq!(probe(&first[..27]), Probe::No);
        assert_eq!(probe(&first[..first.len() - 1]), Probe::No);
        let mut v3 = first.clone();
        v3[17] = 0x30;
        assert_eq!(probe(&v3), Probe::No);
        // A payload longer than what is left ends the chain.
        let mut bad = first.clone();
        bad[HEADER + 2] = 0xff;
        assert_eq!(parse(&bad).unwrap().payloads().count(), 0);
    }

    #[test]
    fn a_scanner_s_many_exchanges_on_one_port_stay_bounded() {
        let mut d = Ike::default();
        let mut out = Vec::new();
        let feed = |d: &mut Ike, dir, data: &[u8], out: &mut Vec<Credential>| {
            d.datagram(
                dir,
                Chunk {
                    data,
                    frame: 1,
                    ts: crate::timestamp::Timestamp::ZERO,
                },
                out,
            )
        };
        for n in 0..20u8 {
            let mut x = Exchange::new(1, 1, 128);
            x.cookie_i = [n + 1; 8];
            x.id_i = [&[2, 0, 0, 0][..], format!("group{n}").as_bytes()].concat();
            feed(&mut d, I, &x.first(), &mut out);
            // Every third one unanswered.
            if n % 3 != 0 {
                feed(&mut d, R, &x.second(16, b"k"), &mut out);
            }
            assert!(d.exchanges.len() <= MAX_EXCHANGES);
        }
        d.close(&mut out);
        let mut users: Vec<_> = out.iter().map(|c| c.username.clone().unwrap()).collect();
        users.sort();
        users.dedup();
        assert_eq!(users.len(), 13, "every answered exchange reported once");
        assert!(d.buffered() == 0);
    }
}
