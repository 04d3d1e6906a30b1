//! RADIUS (RFC 2865, 2866, 2548, 3579) over UDP: the password material of every
//! Access-Request, with the outcome from the server's reply.
//!
//! What an Access-Request carries (one finding per request, kind `challenge-response`):
//!
//! - `PAP`: a `User-Password` attribute. The password is hidden with the shared secret
//!   between the client (NAS) and the server (RFC 2865 section 5.2: `c1 = p1 XOR
//!   MD5(secret + Request Authenticator)`, `c2 = p2 XOR MD5(secret + c1)`...): `secret` is
//!   the hidden bytes (hex), `challenge` the Request Authenticator (hex). Anyone who knows
//!   or cracks the shared secret reads the password: [`pap_reveal`]. No hashcat mode takes
//!   it; John the Ripper's `radius` format (`$radius$1*1*<shared secret>*<authenticator>*
//!   <hidden>`) needs the shared secret, and the secret itself is attacked through the
//!   reply's Response Authenticator (radius2john), so no cracking line is written.
//! - `CHAP`: a `CHAP-Password` attribute (CHAP ident and `MD5(ident + password +
//!   challenge)`, RFC 1994), the challenge in `CHAP-Challenge` or else the Request
//!   Authenticator: `secret` ident and response (hex), hashcat mode 4800
//!   (`response:challenge:ident`, a 16-byte challenge).
//! - `MS-CHAPv2` (RFC 2548: Microsoft vendor 311, `MS-CHAP-Challenge` 11 and
//!   `MS-CHAP2-Response` 25): the NT-Response (hex) with the authenticator challenge;
//!   hashcat mode 5500 (NetNTLMv1) `user::::<NT-Response>:<ChallengeHash>`, where
//!   ChallengeHash is `SHA1(peer challenge + authenticator challenge + user name)[..8]`
//!   (RFC 2759 section 8.2, the user name without a `DOMAIN\` prefix). `MS-CHAP`
//!   (version 1, `MS-CHAP-Response` 1 and an 8-byte challenge) gives the same line with
//!   the challenge itself.
//! - `EAP-MD5` (RFC 3579, 3748): the `EAP-Message` of a Response/MD5-Challenge, with the
//!   challenge of the Request/MD5-Challenge the server sent in the preceding
//!   Access-Challenge (matched by `State` and EAP identifier): the same computation as
//!   CHAP, hashcat mode 4800 with the EAP identifier. A request that carries EAP
//!   authenticates through EAP: a `User-Password` beside it (radeapclient adds one) is
//!   not reported, nor are EAP identities and tunnelled methods (PEAP, TTLS: TLS inside).
//!
//! Outcome: the reply from the other side with the request's Identifier, in the same UDP
//! conversation (the client's address and port, the server's): Access-Accept (2) success,
//! Access-Reject (3) failure, Access-Challenge (11) unknown (the server asks for more:
//! another factor, the next EAP round) with `details.reply`. A request never answered is
//! `unknown`; its retransmissions (same Identifier and Request Authenticator) are one
//! attempt.
//!
//! Accounting (1813, 1646) and the other codes are RADIUS too, and carry no password.
//!
//! The probe is strict: a whole packet, a known code, a Length field equal to the
//! datagram's, attributes that fill it exactly (none of type 0). A packet that begins like
//! RADIUS but does not fit is a Maybe, chosen on the RADIUS ports only.

use std::collections::VecDeque;

use md5::Digest as _;

use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "radius",
    udp_ports: &[1812, 1645, 1813, 1646],
    ip_protocols: &[],
    probe,
    by_content: true,
    new: |config| {
        Box::new(Radius {
            secrets: config.radius_secrets,
            ..Radius::default()
        })
    },
};

/// Packet codes (RFC 2865 section 3, RFC 2866, RFC 5176).
pub mod code {
    pub const ACCESS_REQUEST: u8 = 1;
    pub const ACCESS_ACCEPT: u8 = 2;
    pub const ACCESS_REJECT: u8 = 3;
    pub const ACCOUNTING_REQUEST: u8 = 4;
    pub const ACCOUNTING_RESPONSE: u8 = 5;
    pub const ACCESS_CHALLENGE: u8 = 11;
    pub const STATUS_SERVER: u8 = 12;
    pub const STATUS_CLIENT: u8 = 13;

    /// Codes a RADIUS packet may have: the above, and Disconnect/CoA (40 to 45).
    pub fn is_known(c: u8) -> bool {
        matches!(c, 1..=5 | 11..=13 | 40..=45)
    }
}

/// Attribute types (RFC 2865 section 5, RFC 2869, RFC 3579).
pub mod attr {
    pub const USER_NAME: u8 = 1;
    pub const USER_PASSWORD: u8 = 2;
    pub const CHAP_PASSWORD: u8 = 3;
    pub const STATE: u8 = 24;
    pub const VENDOR_SPECIFIC: u8 = 26;
    pub const CHAP_CHALLENGE: u8 = 60;
    pub const EAP_MESSAGE: u8 = 79;
    pub const MESSAGE_AUTHENTICATOR: u8 = 80;
}

/// Microsoft's vendor attributes (RFC 2548).
pub mod ms {
    pub const VENDOR: u32 = 311;
    pub const CHAP_RESPONSE: u8 = 1;
    pub const CHAP_CHALLENGE: u8 = 11;
    pub const CHAP2_RESPONSE: u8 = 25;
}

/// The smallest and largest packets (RFC 2865 section 3).
pub const MIN_LEN: usize = 20;
pub const MAX_LEN: usize = 4096;

/// A RADIUS packet's header and its attribute bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    pub code: u8,
    pub identifier: u8,
    pub authenticator: [u8; 16],
    /// The attributes, up to the Length field (what follows is padding).
    pub attributes: &'a [u8],
}

/// Attributes in order: `(type, value)`.
#[derive(Clone, Debug)]
pub struct Attributes<'a>(&'a [u8]);

impl<'a> Iterator for Attributes<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&t, rest) = self.0.split_first()?;
        let len = usize::from(*rest.first()?);
        let value = self.0.get(2..len.max(2))?;
        self.0 = self.0.get(len.max(2)..).unwrap_or_default();
        Some((t, value))
    }
}

/// Whether attribute bytes are a whole number of well-formed attributes.
fn attributes_whole(mut a: &[u8], strict: bool) -> bool {
    while !a.is_empty() {
        let (Some(&t), Some(&len)) = (a.first(), a.get(1)) else {
            return false;
        };
        let len = usize::from(len);
        if len < 2 || len > a.len() || (strict && t == 0) {
            return false;
        }
        a = &a[len..];
    }
    true
}

impl<'a> Packet<'a> {
    pub fn attrs(&self) -> Attributes<'a> {
        Attributes(self.attributes)
    }

    /// The first attribute of type `t`.
    pub fn attr(&self, t: u8) -> Option<&'a [u8]> {
        self.attrs().find(|(a, _)| *a == t).map(|(_, v)| v)
    }

    /// Sub-attributes of Vendor-Specific attributes of `vendor` (RFC 2865 section 5.26
    /// layout: type, length, value): the first of type `vendor_type`.
    pub fn vendor_attr(&self, vendor: u32, vendor_type: u8) -> Option<&'a [u8]> {
        self.attrs()
            .filter(|(t, _)| *t == attr::VENDOR_SPECIFIC)
            .filter_map(|(_, v)| {
                let id = u32::from_be_bytes(v.get(..4)?.try_into().ok()?);
                (id == vendor).then(|| v.get(4..)).flatten()
            })
            .flat_map(Attributes)
            .find(|(t, _)| *t == vendor_type)
            .map(|(_, v)| v)
    }

    /// The EAP packet: the EAP-Message attributes concatenated (RFC 3579 section 3.1).
    pub fn eap(&self) -> Option<Vec<u8>> {
        let mut eap = Vec::new();
        let mut any = false;
        for (t, v) in self.attrs() {
            if t == attr::EAP_MESSAGE {
                any = true;
                if eap.len() + v.len() > MAX_LEN {
                    return None;
                }
                eap.extend_from_slice(v);
            }
        }
        any.then_some(eap)
    }
}

/// Parses a datagram as a RADIUS packet: a known code, a Length between 20 and 4096 that
/// the datagram holds, whole attributes up to it.
pub fn parse(data: &[u8]) -> Option<Packet<'_>> {
    let code = *data.first()?;
    let identifier = *data.get(1)?;
    let len = usize::from(u16::from_be_bytes(data.get(2..4)?.try_into().ok()?));
    if !code::is_known(code) || !(MIN_LEN..=MAX_LEN).contains(&len) {
        return None;
    }
    let attributes = data.get(MIN_LEN..len)?;
    if !attributes_whole(attributes, false) {
        return None;
    }
    Some(Packet {
        code,
        identifier,
        authenticator: data.get(4..20)?.try_into().ok()?,
        attributes,
    })
}

/// Yes for a packet that fills the datagram exactly with at least one attribute (none of
/// type 0); Maybe for one with padding or no attributes, or a header that looks like
/// RADIUS (known code, plausible Length) over attributes that do not parse; No otherwise.
pub fn probe(payload: &[u8]) -> Probe {
    if let Some(p) = parse(payload) {
        let exact = MIN_LEN + p.attributes.len() == payload.len();
        return if exact && !p.attributes.is_empty() && attributes_whole(p.attributes, true) {
            Probe::Yes
        } else {
            Probe::Maybe
        };
    }
    match (payload.first(), payload.get(2..4)) {
        (Some(&c), Some(len)) if code::is_known(c) && payload.len() >= MIN_LEN => {
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            if (MIN_LEN..=MAX_LEN).contains(&len) {
                Probe::Maybe
            } else {
                Probe::No
            }
        }
        _ => Probe::No,
    }
}

/// The password of a PAP `User-Password` attribute, given the shared secret (RFC 2865
/// section 5.2), without its NUL padding.
pub fn pap_reveal(hidden: &[u8], authenticator: &[u8], shared_secret: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hidden.len());
    let mut prev: &[u8] = authenticator;
    for block in hidden.chunks(16) {
        let b = md5::Md5::new()
            .chain_update(shared_secret)
            .chain_update(prev)
            .finalize();
        out.extend(block.iter().zip(b.iter()).map(|(c, k)| c ^ k));
        prev = block;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// The Response Authenticator a reply to the request with `request_authenticator` has
/// when it was made with `shared_secret` (RFC 2865 section 3): MD5(Code, Identifier,
/// Length, Request Authenticator, attributes, shared secret).
fn response_authenticator(
    reply: &Packet<'_>,
    request_authenticator: &[u8; 16],
    shared_secret: &[u8],
) -> [u8; 16] {
    let len = (20 + reply.attributes.len()) as u16;
    md5::Md5::new()
        .chain_update([reply.code, reply.identifier])
        .chain_update(len.to_be_bytes())
        .chain_update(request_authenticator)
        .chain_update(reply.attributes)
        .chain_update(shared_secret)
        .finalize()
        .into()
}

/// A PAP credential whose shared secret is known (the reply proved it): the password.
fn reveal(c: &mut Credential, hidden: &[u8], authenticator: &[u8; 16], secret: &[u8]) {
    c.kind = Kind::Cleartext;
    c.secret = Some(pap_reveal(hidden, authenticator, secret));
    c.challenge = None;
    c.details.retain(|(k, _)| *k != "note");
    c.details.push((
        "note",
        "User-Password decoded with a shared secret given by --radius-secret, which the \
         reply's Response Authenticator confirms"
            .to_string(),
    ));
}

/// EAP codes and the MD5-Challenge type (RFC 3748).
const EAP_REQUEST: u8 = 1;
const EAP_RESPONSE: u8 = 2;
const EAP_MD5_CHALLENGE: u8 = 4;

/// An EAP MD5-Challenge message: its code, identifier, value and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EapMd5<'a> {
    pub code: u8,
    pub identifier: u8,
    pub value: &'a [u8],
    pub name: &'a [u8],
}

/// Parses an EAP packet as a Request or Response of type MD5-Challenge.
pub fn parse_eap_md5(eap: &[u8]) -> Option<EapMd5<'_>> {
    let code = *eap.first()?;
    let identifier = *eap.get(1)?;
    let len = usize::from(u16::from_be_bytes(eap.get(2..4)?.try_into().ok()?));
    let eap = eap.get(..len)?;
    if !matches!(code, EAP_REQUEST | EAP_RESPONSE) || *eap.get(4)? != EAP_MD5_CHALLENGE {
        return None;
    }
    let size = usize::from(*eap.get(5)?);
    let value = eap.get(6..6 + size)?;
    Some(EapMd5 {
        code,
        identifier,
        value,
        name: eap.get(6 + size..).unwrap_or_default(),
    })
}

/// The hashcat mode 4800 line of a CHAP-style response (`MD5(ident + password +
/// challenge)`): hashcat takes 16-byte challenges only.
pub fn chap_hashcat(ident: u8, response: &[u8], challenge: &[u8]) -> Option<Hashcat> {
    (response.len() == 16 && challenge.len() == 16).then(|| Hashcat {
        mode: 4800,
        hash: format!("{}:{}:{:02x}", hex(response), hex(challenge), ident),
        hex_salt: false,
    })
}

/// The user name MS-CHAPv2's ChallengeHash uses: without a `DOMAIN\` prefix.
pub fn mschap_user(user: &[u8]) -> &[u8] {
    match user.iter().rposition(|&b| b == b'\\') {
        Some(i) => &user[i + 1..],
        None => user,
    }
}

/// MS-CHAPv2's ChallengeHash (RFC 2759 section 8.2).
pub fn challenge_hash(peer: &[u8], authenticator: &[u8], user: &[u8]) -> [u8; 8] {
    let d = sha1::Sha1::new()
        .chain_update(peer)
        .chain_update(authenticator)
        .chain_update(mschap_user(user))
        .finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

/// The hashcat mode 5500 line of an MS-CHAPv2 NT-Response (RFC 2759): to the
/// ChallengeHash of the peer's and the authenticator's challenges and the user name (its
/// `DOMAIN\` left out), as asleap and chapcrack give it. RADIUS and PPP share it.
pub fn mschapv2_hashcat(
    user: &[u8],
    peer_challenge: &[u8],
    authenticator_challenge: &[u8],
    nt_response: &[u8],
) -> Hashcat {
    netntlmv1_hashcat(
        mschap_user(user),
        nt_response,
        &challenge_hash(peer_challenge, authenticator_challenge, user),
    )
}

/// The hashcat mode 5500 (NetNTLMv1) line of an MS-CHAP NT-Response to an 8-byte
/// challenge. hashcat does not use the user name for NetNTLMv1; one it cannot parse (a
/// `:`, more than 60 bytes) is left out of the line.
pub fn netntlmv1_hashcat(user: &[u8], nt_response: &[u8], challenge: &[u8; 8]) -> Hashcat {
    let user = std::str::from_utf8(user)
        .ok()
        .filter(|u| u.len() <= 60 && !u.contains([':', '\r', '\n']))
        .unwrap_or("");
    Hashcat {
        mode: 5500,
        hash: format!("{user}::::{}:{}", hex(nt_response), hex(challenge)),
        hex_salt: false,
    }
}

/// Which authentication an Access-Request carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth<'a> {
    Pap {
        hidden: &'a [u8],
    },
    Chap {
        ident: u8,
        response: &'a [u8],
        challenge: &'a [u8],
        /// The challenge is the Request Authenticator (no CHAP-Challenge attribute).
        from_authenticator: bool,
    },
    MsChapV2 {
        ident: u8,
        peer_challenge: &'a [u8],
        nt_response: &'a [u8],
        challenge: &'a [u8],
    },
    MsChapV1 {
        ident: u8,
        nt_response: &'a [u8],
        challenge: &'a [u8],
    },
    /// An EAP Response/MD5-Challenge (its challenge is in an earlier Access-Challenge).
    EapMd5 {
        identifier: u8,
        response: Vec<u8>,
    },
    /// EAP of another kind (an identity, a tunnelled method): nothing to report.
    OtherEap,
}

/// The authentication of an Access-Request, if it carries one.
pub fn access_auth<'a>(p: &Packet<'a>) -> Option<Auth<'a>> {
    if let Some(eap) = p.eap() {
        return Some(match parse_eap_md5(&eap) {
            Some(m) if m.code == EAP_RESPONSE => Auth::EapMd5 {
                identifier: m.identifier,
                response: m.value.to_vec(),
            },
            _ => Auth::OtherEap,
        });
    }
    if let Some(v) = p.attr(attr::CHAP_PASSWORD)
        && let Some((&ident, response)) = v.split_first()
    {
        let (challenge, from_authenticator) = match p.attr(attr::CHAP_CHALLENGE) {
            Some(c) => (c, false),
            None => (&[][..], true),
        };
        return Some(Auth::Chap {
            ident,
            response,
            challenge,
            from_authenticator,
        });
    }
    let ms_challenge = p.vendor_attr(ms::VENDOR, ms::CHAP_CHALLENGE);
    if let (Some(r), Some(challenge)) =
        (p.vendor_attr(ms::VENDOR, ms::CHAP2_RESPONSE), ms_challenge)
        && r.len() == 50
    {
        return Some(Auth::MsChapV2 {
            ident: r[0],
            peer_challenge: &r[2..18],
            nt_response: &r[26..50],
            challenge,
        });
    }
    if let (Some(r), Some(challenge)) = (p.vendor_attr(ms::VENDOR, ms::CHAP_RESPONSE), ms_challenge)
        && r.len() == 50
    {
        return Some(Auth::MsChapV1 {
            ident: r[0],
            nt_response: &r[26..50],
            challenge,
        });
    }
    p.attr(attr::USER_PASSWORD)
        .map(|hidden| Auth::Pap { hidden })
}

/// An EAP MD5-Challenge the server sent, waiting for the peer's response.
#[derive(Clone, Debug)]
struct EapChallenge {
    /// The direction the Access-Challenge travelled.
    dir: Direction,
    state: Option<Vec<u8>>,
    identifier: u8,
    challenge: Vec<u8>,
}

/// A request waiting for its reply.
#[derive(Debug)]
struct Pending {
    /// The direction the request travelled.
    dir: Direction,
    identifier: u8,
    authenticator: [u8; 16],
    credential: Credential,
    /// A PAP request's hidden User-Password, for the shared secrets the user gave.
    pap_hidden: Option<Vec<u8>>,
}

/// Requests waiting at once; beyond, the oldest is given up (reported as unknown).
const MAX_PENDING: usize = 256;
/// Answered requests remembered, to know their retransmissions.
const MAX_ANSWERED: usize = 32;
/// EAP challenges remembered.
const MAX_CHALLENGES: usize = 16;
/// The longest State kept for matching (RADIUS attributes hold 253 bytes at most).
const MAX_STATE: usize = 253;

/// The RADIUS dissector of one UDP conversation.
#[derive(Debug, Default)]
pub struct Radius {
    /// Shared secrets to try on PAP passwords (`--radius-secret`).
    secrets: &'static [&'static [u8]],
    pending: VecDeque<Pending>,
    pending_bytes: usize,
    challenges: VecDeque<EapChallenge>,
    /// Requests answered lately (direction, Identifier, Request Authenticator): a copy
    /// sent again after the reply (the client missed it) is the same attempt.
    answered: VecDeque<(Direction, u8, [u8; 16])>,
}

fn credential_size(c: &Credential) -> usize {
    c.username.as_ref().map_or(0, Vec::len)
        + c.secret.as_ref().map_or(0, Vec::len)
        + c.challenge.as_ref().map_or(0, Vec::len)
        + c.hashcat.as_ref().map_or(0, |h| h.hash.len())
        + c.details.iter().map(|(_, v)| v.len()).sum::<usize>()
}

impl Radius {
    /// The credential of an Access-Request, if it carries one.
    fn credential(&self, dir: Direction, p: &Packet<'_>, chunk: &Chunk<'_>) -> Option<Credential> {
        let user = p.attr(attr::USER_NAME);
        let new = |mechanism: &'static str| {
            let mut c = Credential::new("radius", mechanism, Kind::ChallengeResponse, chunk.ts);
            c.username = user.map(<[u8]>::to_vec);
            c.add_frames([chunk.frame]);
            c
        };
        let c = match access_auth(p)? {
            Auth::Pap { hidden } => {
                let mut c = new("PAP");
                c.secret = Some(hex(hidden).into_bytes());
                c.challenge = Some(hex(&p.authenticator).into_bytes());
                c.details.push((
                    "note",
                    "User-Password hidden with the RADIUS shared secret: \
                     MD5(shared secret + challenge) XOR password (RFC 2865 5.2)"
                        .to_string(),
                ));
                c
            }
            Auth::Chap {
                ident,
                response,
                challenge,
                from_authenticator,
            } => {
                let challenge: &[u8] = if from_authenticator {
                    &p.authenticator
                } else {
                    challenge
                };
                let mut c = new("CHAP");
                c.secret = Some(format!("{ident:02x}{}", hex(response)).into_bytes());
                c.challenge = Some(hex(challenge).into_bytes());
                c.hashcat = chap_hashcat(ident, response, challenge);
                if from_authenticator {
                    c.details
                        .push(("challenge_from", "Request Authenticator".to_string()));
                }
                c
            }
            Auth::MsChapV2 {
                ident,
                peer_challenge,
                nt_response,
                challenge,
            } => {
                let mut c = new("MS-CHAPv2");
                c.secret = Some(hex(nt_response).into_bytes());
                c.challenge = Some(hex(challenge).into_bytes());
                c.details.push(("peer_challenge", hex(peer_challenge)));
                c.details.push(("ident", ident.to_string()));
                c.hashcat = Some(mschapv2_hashcat(
                    user.unwrap_or_default(),
                    peer_challenge,
                    challenge,
                    nt_response,
                ));
                c
            }
            Auth::MsChapV1 {
                ident,
                nt_response,
                challenge,
            } => {
                let mut c = new("MS-CHAP");
                c.secret = Some(hex(nt_response).into_bytes());
                c.challenge = Some(hex(challenge).into_bytes());
                c.details.push(("ident", ident.to_string()));
                if let Ok(ch) = <[u8; 8]>::try_from(challenge) {
                    c.hashcat = Some(netntlmv1_hashcat(
                        user.unwrap_or_default(),
                        nt_response,
                        &ch,
                    ));
                }
                c
            }
            Auth::EapMd5 {
                identifier,
                response,
            } => {
                let state = p.attr(attr::STATE);
                let ch = self.challenges.iter().rev().find(|ch| {
                    ch.dir != dir
                        && ch.identifier == identifier
                        && (state.is_none() || ch.state.as_deref() == state)
                });
                let mut c = new("EAP-MD5");
                c.secret = Some(format!("{identifier:02x}{}", hex(&response)).into_bytes());
                match ch {
                    Some(ch) => {
                        c.challenge = Some(hex(&ch.challenge).into_bytes());
                        c.hashcat = chap_hashcat(identifier, &response, &ch.challenge);
                    }
                    None => c
                        .details
                        .push(("challenge", "not in the capture".to_string())),
                }
                c
            }
            Auth::OtherEap => return None,
        };
        Some(c)
    }

    fn give_up_oldest(&mut self, out: &mut Vec<Credential>) {
        if let Some(p) = self.pending.pop_front() {
            self.pending_bytes = self
                .pending_bytes
                .saturating_sub(credential_size(&p.credential));
            out.push(p.credential);
        }
    }

    /// An Access-Challenge's EAP MD5-Challenge, kept for the next request.
    fn remember_challenge(&mut self, dir: Direction, p: &Packet<'_>) {
        let Some(eap) = p.eap() else {
            return;
        };
        let Some(m) = parse_eap_md5(&eap) else {
            return;
        };
        if m.code != EAP_REQUEST {
            return;
        }
        if self.challenges.len() >= MAX_CHALLENGES {
            self.challenges.pop_front();
        }
        self.challenges.push_back(EapChallenge {
            dir,
            state: p
                .attr(attr::STATE)
                .map(|s| s[..s.len().min(MAX_STATE)].to_vec()),
            identifier: m.identifier,
            challenge: m.value.to_vec(),
        });
    }
}

impl DatagramDissector for Radius {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(p) = parse(chunk.data) else {
            return;
        };
        match p.code {
            code::ACCESS_REQUEST => {
                if self.pending.iter().any(|q| {
                    q.dir == dir
                        && q.identifier == p.identifier
                        && q.authenticator == p.authenticator
                }) || self
                    .answered
                    .contains(&(dir, p.identifier, p.authenticator))
                {
                    return; // a retransmission
                }
                let Some(c) = self.credential(dir, &p, &chunk) else {
                    return;
                };
                // A new request with the Identifier of an unanswered one: the old one
                // will not be answered any more.
                if let Some(i) = self
                    .pending
                    .iter()
                    .position(|q| q.dir == dir && q.identifier == p.identifier)
                    && let Some(old) = self.pending.remove(i)
                {
                    self.pending_bytes = self
                        .pending_bytes
                        .saturating_sub(credential_size(&old.credential));
                    out.push(old.credential);
                }
                while self.pending.len() >= MAX_PENDING {
                    self.give_up_oldest(out);
                }
                self.pending_bytes += credential_size(&c);
                let pap_hidden = match access_auth(&p) {
                    Some(Auth::Pap { hidden }) if !self.secrets.is_empty() => Some(hidden.to_vec()),
                    _ => None,
                };
                self.pending.push_back(Pending {
                    dir,
                    identifier: p.identifier,
                    authenticator: p.authenticator,
                    credential: c,
                    pap_hidden,
                });
            }
            code::ACCESS_ACCEPT | code::ACCESS_REJECT | code::ACCESS_CHALLENGE => {
                if p.code == code::ACCESS_CHALLENGE {
                    self.remember_challenge(dir, &p);
                }
                let Some(i) = self
                    .pending
                    .iter()
                    .position(|q| q.dir != dir && q.identifier == p.identifier)
                else {
                    return;
                };
                let Some(mut q) = self.pending.remove(i) else {
                    return;
                };
                self.pending_bytes = self
                    .pending_bytes
                    .saturating_sub(credential_size(&q.credential));
                if self.answered.len() >= MAX_ANSWERED {
                    self.answered.pop_front();
                }
                self.answered
                    .push_back((q.dir, q.identifier, q.authenticator));
                if let Some(hidden) = &q.pap_hidden
                    && let Some(secret) = self.secrets.iter().find(|s| {
                        response_authenticator(&p, &q.authenticator, s) == p.authenticator
                    })
                {
                    reveal(&mut q.credential, hidden, &q.authenticator, secret);
                }
                q.credential.outcome = match p.code {
                    code::ACCESS_ACCEPT => Outcome::Success,
                    code::ACCESS_REJECT => Outcome::Failure,
                    _ => {
                        q.credential
                            .details
                            .push(("reply", "Access-Challenge".to_string()));
                        Outcome::Unknown
                    }
                };
                out.push(q.credential);
            }
            _ => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        while !self.pending.is_empty() {
            self.give_up_oldest(out);
        }
    }

    fn buffered(&self) -> usize {
        self.pending_bytes
            + self.pending.len() * std::mem::size_of::<Pending>()
            + self.answered.len() * std::mem::size_of::<(Direction, u8, [u8; 16])>()
            + self
                .challenges
                .iter()
                .map(|c| {
                    std::mem::size_of::<EapChallenge>()
                        + c.challenge.len()
                        + c.state.as_ref().map_or(0, Vec::len)
                })
                .sum::<usize>()
    }
}

/// Encoders of RADIUS packets, for tests and fixtures.
pub mod build {
    use md5::Digest as _;

    /// One attribute.
    pub fn attr(t: u8, value: &[u8]) -> Vec<u8> {
        let mut a = vec![t, (value.len() + 2) as u8];
        a.extend_from_slice(value);
        a
    }

    /// A Vendor-Specific attribute holding one sub-attribute.
    pub fn vendor(vendor: u32, t: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vendor.to_be_bytes().to_vec();
        v.extend(attr(t, value));
        attr(super::attr::VENDOR_SPECIFIC, &v)
    }

    /// A packet of `code` with these attributes.
    pub fn packet(
        code: u8,
        identifier: u8,
        authenticator: &[u8; 16],
        attrs: &[Vec<u8>],
    ) -> Vec<u8> {
        let body: Vec<u8> = attrs.concat();
        let len = (20 + body.len()) as u16;
        let mut p = vec![code, identifier];
        p.extend_from_slice(&len.to_be_bytes());
        p.extend_from_slice(authenticator);
        p.extend(body);
        p
    }

    /// A reply to a request: the Response Authenticator computed with the shared secret
    /// (RFC 2865 section 3).
    pub fn reply(
        code: u8,
        identifier: u8,
        request_authenticator: &[u8; 16],
        attrs: &[Vec<u8>],
        shared_secret: &[u8],
    ) -> Vec<u8> {
        let mut p = packet(code, identifier, request_authenticator, attrs);
        let auth = md5::Md5::new()
            .chain_update(&p)
            .chain_update(shared_secret)
            .finalize();
        p[4..20].copy_from_slice(&auth);
        p
    }

    /// A PAP User-Password value: the password padded with NULs to a multiple of 16 and
    /// hidden with the shared secret (RFC 2865 section 5.2).
    pub fn pap_hide(password: &[u8], authenticator: &[u8; 16], shared_secret: &[u8]) -> Vec<u8> {
        let mut padded = password.to_vec();
        padded.resize(password.len().div_ceil(16).max(1) * 16, 0);
        let mut out: Vec<u8> = Vec::with_capacity(padded.len());
        for block in padded.chunks(16) {
            let prev: &[u8] = if out.is_empty() {
                authenticator
            } else {
                &out[out.len() - 16..]
            };
            let b = md5::Md5::new()
                .chain_update(shared_secret)
                .chain_update(prev)
                .finalize();
            let hidden: Vec<u8> = block.iter().zip(b.iter()).map(|(p, k)| p ^ k).collect();
            out.extend(hidden);
        }
        out
    }

    /// An EAP MD5-Challenge message (code 1 request, 2 response).
    pub fn eap_md5(code: u8, identifier: u8, value: &[u8], name: &[u8]) -> Vec<u8> {
        let len = (6 + value.len() + name.len()) as u16;
        let mut e = vec![code, identifier];
        e.extend_from_slice(&len.to_be_bytes());
        e.push(4);
        e.push(value.len() as u8);
        e.extend_from_slice(value);
        e.extend_from_slice(name);
        e
    }

    /// An EAP Response/Identity.
    pub fn eap_identity(identifier: u8, identity: &[u8]) -> Vec<u8> {
        let len = (5 + identity.len()) as u16;
        let mut e = vec![2, identifier];
        e.extend_from_slice(&len.to_be_bytes());
        e.push(1);
        e.extend_from_slice(identity);
        e
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::script::unhex;
    use crate::timestamp::Timestamp;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        let mut d = Radius::default();
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

    fn md5(parts: &[&[u8]]) -> Vec<u8> {
        let mut h = md5::Md5::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().to_vec()
    }

    const SECRET: &[u8] = b"testing123";
    const RA: [u8; 16] = *b"0123456789abcdef";

    fn pap_request(id: u8, ra: &[u8; 16], user: &[u8], password: &[u8]) -> Vec<u8> {
        packet(
            1,
            id,
            ra,
            &[
                attr(attr::USER_NAME, user),
                attr(attr::USER_PASSWORD, &pap_hide(password, ra, SECRET)),
            ],
        )
    }

    #[test]
    fn pap_is_hidden_bytes_with_the_authenticator() {
        let req = pap_request(7, &RA, b"steve", b"testing");
        let accept = reply(2, 7, &RA, &[], SECRET);
        let out = run(&[(C, &req), (S, &accept)]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref(), c.kind),
            ("radius", "PAP", Kind::ChallengeResponse)
        );
        assert_eq!(c.username.as_deref(), Some(&b"steve"[..]));
        let hidden = unhex(std::str::from_utf8(c.secret.as_deref().unwrap()).unwrap());
        assert_eq!(hidden.len(), 16);
        assert_eq!(c.challenge.as_deref(), Some(hex(&RA).as_bytes()));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![1]);
        assert!(c.hashcat.is_none());
        // RFC 2865 5.2, recomputed here: c1 = p1 XOR MD5(S + RA).
        let b1 = md5(&[SECRET, &RA]);
        let p1: Vec<u8> = hidden.iter().zip(&b1).map(|(c, b)| c ^ b).collect();
        assert_eq!(&p1, b"testing\0\0\0\0\0\0\0\0\0");
        assert_eq!(pap_reveal(&hidden, &RA, SECRET), b"testing");
    }

    #[test]
    fn pap_reveal_long_passwords_chain_blocks() {
        let pw = b"a password longer than sixteen bytes, and then some";
        let hidden = pap_hide(pw, &RA, SECRET);
        assert_eq!(hidden.len(), 64);
        // Block 2 is hidden with MD5(S + c1) (RFC 2865 5.2).
        let b2 = md5(&[SECRET, &hidden[..16]]);
        let p2: Vec<u8> = hidden[16..32].iter().zip(&b2).map(|(c, b)| c ^ b).collect();
        assert_eq!(&p2, &pw[16..32]);
        assert_eq!(pap_reveal(&hidden, &RA, SECRET), pw);
        assert_ne!(pap_reveal(&hidden, &RA, b"wrong"), pw);
    }

    #[test]
    fn pap_third_party_sample_decodes() {
        // john-samples Radius sample 4, frame 9: shared secret testing123, password testing.
        let hidden = unhex("e47fedf8e66d2b6211407090b929f003");
        let ra = unhex("27896aa2d9719bb136ca6d51d925ea83");
        assert_eq!(pap_reveal(&hidden, &ra, b"testing123"), b"testing");
    }

    #[test]
    fn reject_and_challenge_outcomes() {
        let ra2 = *b"fedcba9876543210";
        let out = run(&[
            (C, &pap_request(1, &RA, b"bob", b"wrong")),
            (S, &reply(3, 1, &RA, &[], SECRET)),
            (C, &pap_request(2, &ra2, b"bob", b"right")),
            (S, &reply(11, 2, &ra2, &[attr(attr::STATE, b"st")], SECRET)),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].outcome, Outcome::Unknown);
        assert!(
            out[1]
                .details
                .contains(&("reply", "Access-Challenge".to_string()))
        );
    }

    #[test]
    fn a_retransmission_after_the_reply_is_the_same_attempt() {
        let req = pap_request(9, &RA, b"steve", b"testing");
        let out = run(&[(C, &req), (S, &reply(2, 9, &RA, &[], SECRET)), (C, &req)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn retransmissions_are_one_attempt_and_unanswered_is_unknown() {
        let req = pap_request(9, &RA, b"steve", b"testing");
        let out = run(&[(C, &req), (C, &req), (C, &req)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].frames, vec![1]);
    }

    #[test]
    fn replies_match_by_identifier_and_direction() {
        let ra2 = *b"fedcba9876543210";
        let out = run(&[
            (C, &pap_request(1, &RA, b"a", b"pa")),
            (C, &pap_request(2, &ra2, b"b", b"pb")),
            (C, &reply(2, 2, &ra2, &[], SECRET)), // wrong direction: ignored
            (S, &reply(3, 2, &ra2, &[], SECRET)),
            (S, &reply(2, 1, &RA, &[], SECRET)),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].username.as_deref(), Some(&b"b"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].username.as_deref(), Some(&b"a"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
    }

    #[test]
    fn chap_with_authenticator_recomputes() {
        let ident = 0xa8;
        let resp = md5(&[&[ident], b"testing", &RA]);
        let req = packet(
            1,
            3,
            &RA,
            &[
                attr(attr::USER_NAME, b"steve"),
                attr(attr::CHAP_PASSWORD, &[&[ident][..], &resp].concat()),
            ],
        );
        let out = run(&[(C, &req), (S, &reply(2, 3, &RA, &[], SECRET))]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.mechanism, "CHAP");
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(
            c.secret.as_deref(),
            Some(format!("a8{}", hex(&resp)).as_bytes())
        );
        assert_eq!(c.challenge.as_deref(), Some(hex(&RA).as_bytes()));
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 4800);
        assert_eq!(h.hash, format!("{}:{}:a8", hex(&resp), hex(&RA)));
    }

    #[test]
    fn chap_with_challenge_attribute_and_third_party_sample() {
        let ch = b"sixteen byte chl";
        let resp = md5(&[&[7], b"pw", ch]);
        let req = packet(
            1,
            4,
            &RA,
            &[
                attr(attr::USER_NAME, b"u"),
                attr(attr::CHAP_PASSWORD, &[&[7][..], &resp].concat()),
                attr(attr::CHAP_CHALLENGE, ch),
            ],
        );
        let out = run(&[(C, &req)]);
        assert_eq!(out[0].challenge.as_deref(), Some(hex(ch).as_bytes()));
        assert_eq!(
            out[0].hashcat.as_ref().unwrap().hash,
            format!("{}:{}:07", hex(&resp), hex(ch))
        );
        // A challenge hashcat cannot take: no line.
        let req = packet(
            1,
            5,
            &RA,
            &[
                attr(attr::CHAP_PASSWORD, &[&[7][..], &resp].concat()),
                attr(attr::CHAP_CHALLENGE, b"short"),
            ],
        );
        assert!(run(&[(C, &req)])[0].hashcat.is_none());
        // hashcat's example for mode 4800 (password "hashcat").
        let ex = "aa4aaa1d52319525023c06a4873f4c51:35343534373533343633383832343736:dc";
        let f: Vec<&str> = ex.split(':').collect();
        assert_eq!(hex(&md5(&[&unhex(f[2]), b"hashcat", &unhex(f[1])])), f[0]);
        // john-samples Radius sample 4, frame 11 (password testing).
        assert_eq!(
            hex(&md5(&[
                &[0xa8],
                b"testing",
                &unhex("95bbe85b56ad0aa36dd80f9b7c59067d")
            ])),
            "0574ae2c413a393f07b5564984bda740"
        );
    }

    #[test]
    fn eap_md5_takes_the_challenge_of_the_access_challenge() {
        let state = b"state-1";
        let challenge = b"0123456789ABCDEF";
        let ident_req = packet(
            1,
            1,
            &RA,
            &[
                attr(attr::USER_NAME, b"steve"),
                attr(attr::USER_PASSWORD, &pap_hide(b"testing", &RA, SECRET)),
                attr(attr::EAP_MESSAGE, &eap_identity(0, b"steve")),
            ],
        );
        let acc_ch = reply(
            11,
            1,
            &RA,
            &[
                attr(attr::EAP_MESSAGE, &eap_md5(1, 5, challenge, b"")),
                attr(attr::STATE, state),
            ],
            SECRET,
        );
        let resp = md5(&[&[5], b"testing", challenge]);
        let ra2 = *b"fedcba9876543210";
        let md5_req = packet(
            1,
            2,
            &ra2,
            &[
                attr(attr::USER_NAME, b"steve"),
                attr(attr::STATE, state),
                attr(attr::EAP_MESSAGE, &eap_md5(2, 5, &resp, b"steve")),
            ],
        );
        let out = run(&[
            (C, &ident_req),
            (S, &acc_ch),
            (C, &md5_req),
            (S, &reply(2, 2, &ra2, &[], SECRET)),
        ]);
        assert_eq!(out.len(), 1, "the identity round is no credential: {out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "EAP-MD5");
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![3]);
        assert_eq!(c.challenge.as_deref(), Some(hex(challenge).as_bytes()));
        assert_eq!(
            c.hashcat.as_ref().unwrap().hash,
            format!("{}:{}:05", hex(&resp), hex(challenge))
        );
        // Without the Access-Challenge: reported, no line.
        let out = run(&[(C, &md5_req)]);
        assert_eq!(out.len(), 1);
        assert!(out[0].hashcat.is_none());
    }

    #[test]
    fn mschapv2_line_and_challenge_hash() {
        // RFC 2759 section 9.2 test vector.
        let user = b"User";
        let auth = unhex("5B5D7C7D7B3F2F3E3C2C602132262628");
        let peer = unhex("21402324255E262A28295F2B3A337C7E");
        assert_eq!(hex(&challenge_hash(&peer, &auth, user)), "d02e4386bce91226");
        let nt = unhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
        let mut r = vec![1u8, 0];
        r.extend_from_slice(&peer);
        r.extend_from_slice(&[0; 8]);
        r.extend_from_slice(&nt);
        let req = packet(
            1,
            8,
            &RA,
            &[
                attr(attr::USER_NAME, b"CORP\\User"),
                vendor(ms::VENDOR, ms::CHAP_CHALLENGE, &auth),
                vendor(ms::VENDOR, ms::CHAP2_RESPONSE, &r),
            ],
        );
        let out = run(&[(C, &req), (S, &reply(3, 8, &RA, &[], SECRET))]);
        let c = &out[0];
        assert_eq!(c.mechanism, "MS-CHAPv2");
        assert_eq!(c.outcome, Outcome::Failure);
        assert_eq!(c.username.as_deref(), Some(&b"CORP\\User"[..]));
        assert_eq!(c.secret.as_deref(), Some(hex(&nt).as_bytes()));
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 5500);
        assert_eq!(
            h.hash,
            "User::::82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df:d02e4386bce91226"
        );
    }

    /// MS-CHAP's ChallengeResponse (RFC 2759 section 8.5), from the password: DES of the
    /// 8-byte challenge under each 7 bytes of the NT hash padded to 21.
    fn nt_response(password: &str, challenge: &[u8; 8]) -> Vec<u8> {
        use des::cipher::{BlockCipherEncrypt, KeyInit};
        use md4::Md4;
        let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut z = Md4::digest(&utf16).to_vec();
        z.resize(21, 0);
        z.chunks(7)
            .flat_map(|k| {
                let key = [
                    k[0],
                    k[0] << 7 | k[1] >> 1,
                    k[1] << 6 | k[2] >> 2,
                    k[2] << 5 | k[3] >> 3,
                    k[3] << 4 | k[4] >> 4,
                    k[4] << 3 | k[5] >> 5,
                    k[5] << 2 | k[6] >> 6,
                    k[6] << 1,
                ];
                let mut block = (*challenge).into();
                des::Des::new(&key.into()).encrypt_block(&mut block);
                <[u8; 8]>::from(block)
            })
            .collect()
    }

    #[test]
    fn mschap_responses_recompute_from_the_password() {
        // RFC 2759 section 9.2: password "clientPass".
        let ch = challenge_hash(
            &unhex("21402324255E262A28295F2B3A337C7E"),
            &unhex("5B5D7C7D7B3F2F3E3C2C602132262628"),
            b"User",
        );
        assert_eq!(
            hex(&nt_response("clientPass", &ch)),
            "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df"
        );
        // MS-CHAP v1: the NT-Response to the 8-byte challenge itself, hashcat 5500.
        let challenge = *b"\x01\x02\x03\x04\x05\x06\x07\x08";
        let nt = nt_response("S3cr3t!", &challenge);
        let mut r = vec![9u8, 1];
        r.extend_from_slice(&[0; 24]);
        r.extend_from_slice(&nt);
        let req = packet(
            1,
            8,
            &RA,
            &[
                attr(attr::USER_NAME, b"dave"),
                vendor(ms::VENDOR, ms::CHAP_CHALLENGE, &challenge),
                vendor(ms::VENDOR, ms::CHAP_RESPONSE, &r),
            ],
        );
        let out = run(&[(C, &req), (S, &reply(2, 8, &RA, &[], SECRET))]);
        let c = &out[0];
        assert_eq!(c.mechanism, "MS-CHAP");
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(
            c.hashcat.as_ref().unwrap().hash,
            format!("dave::::{}:0102030405060708", hex(&nt))
        );
    }

    #[test]
    fn probe_is_strict() {
        let req = pap_request(1, &RA, b"steve", b"testing");
        assert_eq!(probe(&req), Probe::Yes);
        let mut padded = req.clone();
        padded.extend_from_slice(&[0, 0]);
        assert_eq!(probe(&padded), Probe::Maybe);
        assert_eq!(probe(&packet(3, 1, &RA, &[])), Probe::Maybe);
        assert_eq!(probe(&req[..req.len() - 1]), Probe::Maybe);
        assert_eq!(probe(b""), Probe::No);
        assert_eq!(probe(b"REGISTER sip:x SIP/2.0\r\n"), Probe::No);
        assert_eq!(probe(&[0x30, 0x26, 0x02, 0x01, 0x01]), Probe::No);
        assert_eq!(probe(&[0x80; 40]), Probe::No); // RTP
        let mut bad_len = req.clone();
        bad_len[2] = 0xff;
        assert_eq!(probe(&bad_len), Probe::No);
        // A type-0 attribute is not RADIUS.
        assert_eq!(probe(&packet(1, 1, &RA, &[attr(0, b"x")])), Probe::Maybe);
    }

    #[test]
    fn accounting_is_radius_and_gives_nothing() {
        let acct = packet(
            4,
            1,
            &RA,
            &[
                attr(attr::USER_NAME, b"steve"),
                attr(40, &1u32.to_be_bytes()),
            ],
        );
        assert_eq!(probe(&acct), Probe::Yes);
        assert!(run(&[(C, &acct), (S, &reply(5, 1, &RA, &[], SECRET))]).is_empty());
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut seed = 0x2545_f491u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut r = vec![1u8, 0];
        r.extend_from_slice(&[3; 48]);
        let valid = [
            pap_request(1, &RA, b"steve", b"testing"),
            packet(
                1,
                2,
                &RA,
                &[
                    attr(attr::EAP_MESSAGE, &eap_md5(2, 5, &[1; 16], b"x")),
                    vendor(ms::VENDOR, ms::CHAP_CHALLENGE, &[2; 16]),
                    vendor(ms::VENDOR, ms::CHAP2_RESPONSE, &r),
                ],
            ),
            reply(
                11,
                2,
                &RA,
                &[attr(attr::EAP_MESSAGE, &eap_md5(1, 5, &[1; 16], b""))],
                SECRET,
            ),
        ];
        let mut d = Radius::default();
        let mut out = Vec::new();
        for round in 0..30_000 {
            let mut bytes = valid[round % valid.len()].clone();
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
            assert!(d.pending.len() <= MAX_PENDING);
        }
        d.close(&mut out);
    }
}
