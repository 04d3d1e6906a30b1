//! PPP authentication (RFC 1334 PAP, RFC 1994 CHAP, RFC 2433 MS-CHAP, RFC 2759
//! MS-CHAPv2, RFC 3748 EAP-MD5) as PPTP carries it: PPP frames in enhanced GRE (RFC
//! 2637; IP protocol 47, version 1), the VPN of many networks and of every Windows
//! version since 95.
//!
//! After LCP agrees on an authentication protocol, the peer (the VPN client) proves who
//! it is to the authenticator (the VPN server):
//! - `PAP`: an Authenticate-Request with the peer's name and password in clear; the
//!   authenticator answers Authenticate-Ack or -Nak.
//! - `CHAP` (MD5): a Challenge from the authenticator, a Response with
//!   `MD5(identifier, password, challenge)` and the peer's name; hashcat 4800.
//! - `MS-CHAPv2`: the Response carries the peer's own challenge and an NT-Response to the
//!   ChallengeHash of both challenges and the user name: hashcat 5500 (NetNTLMv1 form,
//!   as asleap and chapcrack give it), which cracks to the account's password.
//! - `MS-CHAP` (version 1): an NT-Response to the 8-byte challenge; hashcat 5500.
//! - `EAP-MD5` inside PPP's EAP: the identity, an MD5-Challenge and its response; hashcat
//!   4800.
//!
//! The outcome comes from CHAP Success/Failure, PAP Ack/Nak and EAP Success/Failure.
//! The client of a finding is the side that sent the credential (the first sender of a
//! GRE conversation need not be the PPTP client). CHAP's algorithm is taken from the
//! authenticator's LCP Configure-Request when the capture has it, otherwise from the
//! sizes of the challenge and the response. `details.call_id` is the PPTP call's ID,
//! `details.authenticator` the name the authenticator gave in its challenge. Encrypted
//! (MPPE) and compressed frames after the login are not read.

use super::radius::{chap_hashcat, mschap_user, mschapv2_hashcat, netntlmv1_hashcat};
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind, Outcome, hex};
use crate::flow::Direction;

pub const PPTP_SPEC: DatagramSpec = DatagramSpec {
    name: "pptp",
    udp_ports: &[],
    ip_protocols: &[47],
    probe,
    by_content: false,
    new: |_config| Box::<Pptp>::default(),
};

/// PPP protocol numbers.
pub const LCP: u16 = 0xc021;
pub const PAP: u16 = 0xc023;
pub const CHAP: u16 = 0xc223;
pub const EAP: u16 = 0xc227;

/// CHAP algorithms (LCP's Authentication-Protocol option).
const CHAP_MD5: u8 = 5;
const MS_CHAP: u8 = 0x80;
const MS_CHAP_V2: u8 = 0x81;

/// The PPP frame an enhanced GRE packet (RFC 2637 section 4.1) carries, with its call ID;
/// `None` for other GRE packets and for acknowledgments without payload.
pub fn gre_ppp(gre: &[u8]) -> Option<(u16, &[u8])> {
    let h = gre.get(..8)?;
    let (flags, version) = (h[0], h[1]);
    // Version 1, protocol 0x880B, the key bit set (it holds the payload length and the
    // call ID), no checksum or routing.
    if version & 0x07 != 1 || h[2..4] != [0x88, 0x0b] || flags & 0x20 == 0 || flags & 0xc0 != 0 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let call = u16::from_be_bytes([h[6], h[7]]);
    let mut at = 8;
    if flags & 0x10 != 0 {
        at += 4; // sequence number
    }
    if version & 0x80 != 0 {
        at += 4; // acknowledgment number
    }
    let payload = gre.get(at..)?;
    let payload = payload.get(..len.min(payload.len()))?;
    (!payload.is_empty()).then_some((call, payload))
}

/// A PPP frame's protocol and information field: the HDLC address and control bytes
/// (`FF 03`) when present, the protocol field whole or compressed to one byte (RFC 1661
/// section 6.5: an odd first byte).
pub fn frame(ppp: &[u8]) -> Option<(u16, &[u8])> {
    let ppp = ppp.strip_prefix(&[0xff, 0x03]).unwrap_or(ppp);
    let first = *ppp.first()?;
    if first & 1 == 1 {
        return Some((u16::from(first), &ppp[1..]));
    }
    let second = *ppp.get(1)?;
    Some((u16::from_be_bytes([first, second]), &ppp[2..]))
}

/// A control packet (LCP, PAP, CHAP, EAP share the shape): code, identifier, data, its
/// length field respected.
fn packet(info: &[u8]) -> Option<(u8, u8, &[u8])> {
    let h = info.get(..4)?;
    let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let data = info.get(4..len.max(4).min(info.len()))?;
    if len < 4 || len > info.len() {
        return None;
    }
    Some((h[0], h[1], data))
}

/// A length-prefixed field (one byte) and what follows it.
fn prefixed(d: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = usize::from(*d.first()?);
    Some((d.get(1..1 + n)?, &d[1 + n..]))
}

/// An authentication exchange message, parsed.
#[derive(Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// LCP Configure-Request asking for an authentication protocol (and CHAP algorithm).
    LcpAuth {
        protocol: u16,
        algorithm: Option<u8>,
    },
    PapRequest {
        id: u8,
        peer: &'a [u8],
        password: &'a [u8],
    },
    PapReply {
        id: u8,
        ack: bool,
        message: &'a [u8],
    },
    ChapChallenge {
        id: u8,
        value: &'a [u8],
        name: &'a [u8],
    },
    ChapResponse {
        id: u8,
        value: &'a [u8],
        name: &'a [u8],
    },
    ChapResult {
        id: u8,
        success: bool,
        message: &'a [u8],
    },
    EapIdentity {
        id: u8,
        identity: &'a [u8],
    },
    EapMd5Challenge {
        id: u8,
        value: &'a [u8],
    },
    EapMd5Response {
        id: u8,
        value: &'a [u8],
    },
    /// Cisco LEAP (EAP type 17): the authenticator's 8-byte challenge, the peer's 24-byte
    /// response (MS-CHAP's NT-Response), the user name.
    LeapChallenge {
        id: u8,
        value: &'a [u8],
        name: &'a [u8],
    },
    LeapResponse {
        id: u8,
        value: &'a [u8],
        name: &'a [u8],
    },
    EapResult {
        id: u8,
        success: bool,
    },
}

/// The authentication message of a PPP frame's protocol and information field.
pub fn message(protocol: u16, info: &[u8]) -> Option<Message<'_>> {
    let (code, id, data) = packet(info)?;
    match (protocol, code) {
        (LCP, 1) => {
            let mut opts = data;
            while opts.len() >= 2 {
                let (kind, len) = (opts[0], usize::from(opts[1]));
                let opt = opts.get(2..len.max(2))?;
                if kind == 3 && opt.len() >= 2 {
                    return Some(Message::LcpAuth {
                        protocol: u16::from_be_bytes([opt[0], opt[1]]),
                        algorithm: opt.get(2).copied(),
                    });
                }
                opts = opts.get(len.max(2)..)?;
            }
            None
        }
        (PAP, 1) => {
            let (peer, rest) = prefixed(data)?;
            let (password, _) = prefixed(rest)?;
            Some(Message::PapRequest { id, peer, password })
        }
        (PAP, 2 | 3) => Some(Message::PapReply {
            id,
            ack: code == 2,
            message: prefixed(data).map_or(&[][..], |(m, _)| m),
        }),
        (CHAP, 1 | 2) => {
            let (value, name) = prefixed(data)?;
            Some(if code == 1 {
                Message::ChapChallenge { id, value, name }
            } else {
                Message::ChapResponse { id, value, name }
            })
        }
        (CHAP, 3 | 4) => Some(Message::ChapResult {
            id,
            success: code == 3,
            message: data,
        }),
        (EAP, 1 | 2) => {
            let (&kind, rest) = data.split_first()?;
            match (code, kind) {
                (2, 1) => Some(Message::EapIdentity { id, identity: rest }),
                (1, 4) => Some(Message::EapMd5Challenge {
                    id,
                    value: prefixed(rest)?.0,
                }),
                (2, 4) => Some(Message::EapMd5Response {
                    id,
                    value: prefixed(rest)?.0,
                }),
                // Version 1, reserved, the count and the bytes, the name.
                (_, 17) if rest.first() == Some(&1) => {
                    let (value, name) = prefixed(rest.get(2..)?)?;
                    Some(match (code, value.len()) {
                        (1, 8) => Message::LeapChallenge { id, value, name },
                        (2, 24) => Message::LeapResponse { id, value, name },
                        _ => return None,
                    })
                }
                _ => None,
            }
        }
        (EAP, 3 | 4) => Some(Message::EapResult {
            id,
            success: code == 3,
        }),
        _ => None,
    }
}

/// Maybe for an enhanced GRE packet carrying PPP (its IP protocol chose it; plain GRE
/// tunnels are opened by the decoder and never reach here).
pub fn probe(payload: &[u8]) -> Probe {
    match payload.get(..4) {
        Some([_, v, 0x88, 0x0b]) if v & 0x07 == 1 => Probe::Maybe,
        _ => Probe::No,
    }
}

/// A challenge an authenticator sent, waiting for its response.
#[derive(Debug)]
struct Challenge {
    id: u8,
    value: Vec<u8>,
    name: Vec<u8>,
    dir: Direction,
    frame: u64,
}

/// The authentication of one PPP link, whatever carries it: messages in, findings out.
#[derive(Debug, Default)]
pub struct Authentication {
    /// The CHAP algorithm each side's LCP asked for (index: the direction it came from).
    algorithm: [Option<u8>; 2],
    chap: Option<Challenge>,
    eap_md5: Option<Challenge>,
    identity: Option<Vec<u8>>,
    /// A credential waiting for its outcome: its identifier, PPP protocol and the
    /// direction its answer comes from.
    pending: Option<(u8, u16, Direction, Credential)>,
}

impl Authentication {
    /// One message of the link, from `dir`. `new` makes a finding's credential with the
    /// carrier's protocol name and details.
    pub fn message(
        &mut self,
        dir: Direction,
        m: Message<'_>,
        chunk: &Chunk<'_>,
        new: &dyn Fn(&'static str, Kind) -> Credential,
        out: &mut Vec<Credential>,
    ) {
        match m {
            Message::LcpAuth {
                protocol: CHAP,
                algorithm,
            } => self.algorithm[dir.index()] = algorithm,
            Message::LcpAuth { .. } => {}
            Message::PapRequest { id, peer, password } => {
                let mut c = new("PAP", Kind::Cleartext);
                c.username = Some(peer.to_vec());
                c.secret = Some(password.to_vec());
                self.start(id, PAP, dir, c, chunk, out);
            }
            Message::ChapChallenge { id, value, name } => {
                self.chap = Some(Challenge {
                    id,
                    value: value.to_vec(),
                    name: name.to_vec(),
                    dir,
                    frame: chunk.frame,
                });
            }
            Message::ChapResponse { id, value, name } => {
                let Some(ch) = self.chap.take_if(|ch| ch.id == id && ch.dir != dir) else {
                    return;
                };
                let Some(mut c) = self.chap_credential(&ch, value, name, new) else {
                    return;
                };
                c.add_frames([ch.frame]);
                if !ch.name.is_empty() {
                    c.details.push((
                        "authenticator",
                        String::from_utf8_lossy(&ch.name).into_owned(),
                    ));
                }
                self.start(id, CHAP, dir, c, chunk, out);
            }
            Message::EapIdentity { identity, .. } => self.identity = Some(identity.to_vec()),
            Message::EapMd5Challenge { id, value } => {
                self.eap_md5 = Some(Challenge {
                    id,
                    value: value.to_vec(),
                    name: Vec::new(),
                    dir,
                    frame: chunk.frame,
                });
            }
            Message::LeapChallenge { id, value, name } => {
                self.eap_md5 = Some(Challenge {
                    id,
                    value: value.to_vec(),
                    name: name.to_vec(),
                    dir,
                    frame: chunk.frame,
                });
            }
            Message::LeapResponse { id, value, name } => {
                let Some(ch) = self
                    .eap_md5
                    .take_if(|ch| ch.value.len() == 8 && ch.dir != dir)
                else {
                    return;
                };
                let mut c = new("LEAP", Kind::ChallengeResponse);
                c.username = Some(name.to_vec());
                c.secret = Some(hex(value).into_bytes());
                c.challenge = Some(hex(&ch.value).into_bytes());
                if let Ok(challenge) = <[u8; 8]>::try_from(&ch.value[..]) {
                    c.hashcat = Some(netntlmv1_hashcat(mschap_user(name), value, &challenge));
                }
                c.add_frames([ch.frame]);
                self.start(id, EAP, dir, c, chunk, out);
            }
            Message::EapMd5Response { id, value } => {
                let Some(ch) = self
                    .eap_md5
                    .take_if(|ch| ch.id == id && ch.dir != dir && ch.value.len() != 8)
                else {
                    return;
                };
                let mut c = new("EAP-MD5", Kind::ChallengeResponse);
                c.username = self.identity.clone();
                c.secret = Some(format!("{id:02x}{}", hex(value)).into_bytes());
                c.challenge = Some(hex(&ch.value).into_bytes());
                c.hashcat = chap_hashcat(id, value, &ch.value);
                c.add_frames([ch.frame]);
                self.start(id, EAP, dir, c, chunk, out);
            }
            Message::PapReply { id, ack, message } => {
                self.answer((id, PAP), dir, ack, message, chunk, out);
            }
            Message::ChapResult {
                id,
                success,
                message,
            } => self.answer((id, CHAP), dir, success, message, chunk, out),
            Message::EapResult { id, success } => {
                self.answer((id, EAP), dir, success, &[], chunk, out);
            }
        }
    }

    /// The credential of a CHAP response to `ch`, by the algorithm LCP agreed on or, when
    /// the capture lacks it, by the sizes.
    fn chap_credential(
        &self,
        ch: &Challenge,
        value: &[u8],
        name: &[u8],
        new: &dyn Fn(&'static str, Kind) -> Credential,
    ) -> Option<Credential> {
        let algorithm = self.algorithm[ch.dir.index()].or(match (ch.value.len(), value.len()) {
            (16, 49) => Some(MS_CHAP_V2),
            (8, 49) => Some(MS_CHAP),
            (_, 16) => Some(CHAP_MD5),
            _ => None,
        })?;
        let mut c = match algorithm {
            MS_CHAP_V2 if value.len() == 49 && ch.value.len() == 16 => {
                let (peer_challenge, nt_response) = (&value[..16], &value[24..48]);
                let mut c = new("MS-CHAPv2", Kind::ChallengeResponse);
                c.secret = Some(hex(nt_response).into_bytes());
                c.details.push(("peer_challenge", hex(peer_challenge)));
                c.hashcat = Some(mschapv2_hashcat(
                    name,
                    peer_challenge,
                    &ch.value,
                    nt_response,
                ));
                c
            }
            MS_CHAP if value.len() == 49 => {
                let nt_response = &value[24..48];
                let mut c = new("MS-CHAP", Kind::ChallengeResponse);
                c.secret = Some(hex(nt_response).into_bytes());
                if let Ok(challenge) = <[u8; 8]>::try_from(&ch.value[..]) {
                    c.hashcat = Some(netntlmv1_hashcat(name, nt_response, &challenge));
                }
                c
            }
            CHAP_MD5 if value.len() == 16 => {
                let mut c = new("CHAP", Kind::ChallengeResponse);
                c.secret = Some(format!("{:02x}{}", ch.id, hex(value)).into_bytes());
                c.hashcat = chap_hashcat(ch.id, value, &ch.value);
                c
            }
            _ => return None,
        };
        c.username = Some(name.to_vec());
        c.challenge = Some(hex(&ch.value).into_bytes());
        c.details.push(("ident", ch.id.to_string()));
        Some(c)
    }

    /// A credential sent from `dir`: it waits for the other side's answer (a previous one
    /// still waiting is reported as it is).
    fn start(
        &mut self,
        id: u8,
        protocol: u16,
        dir: Direction,
        mut c: Credential,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        c.add_frames([chunk.frame]);
        c.timestamp = chunk.ts;
        c.sent_by_server = dir == Direction::ToClient;
        if let Some((_, _, _, previous)) = self.pending.take() {
            out.push(previous);
        }
        self.pending = Some((id, protocol, dir.opposite(), c));
    }

    /// An answer from `dir` with identifier and PPP protocol `key`: the outcome of the
    /// credential it answers.
    fn answer(
        &mut self,
        key: (u8, u16),
        dir: Direction,
        success: bool,
        message: &[u8],
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let Some((_, _, _, mut c)) = self
            .pending
            .take_if(|(id, protocol, from, _)| (*id, *protocol) == key && *from == dir)
        else {
            return;
        };
        c.outcome = if success {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        c.add_frames([chunk.frame]);
        let text = String::from_utf8_lossy(message);
        let text = text.trim_matches(|ch: char| ch.is_control() || ch == ' ');
        if !success && !text.is_empty() {
            c.details.push(("reason", text.chars().take(120).collect()));
        }
        out.push(c);
    }

    /// The link ended: a credential still waiting is reported without an outcome.
    pub fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some((_, _, _, c)) = self.pending.take() {
            out.push(c);
        }
    }
}

/// A PPTP tunnel's GRE packets between two addresses (every call between them).
#[derive(Debug, Default)]
pub struct Pptp {
    auth: Authentication,
}

/// The authentication message of a PPP frame, if it is one.
fn auth_message(ppp: &[u8]) -> Option<Message<'_>> {
    let (protocol, info) = frame(ppp)?;
    if !matches!(protocol, LCP | PAP | CHAP | EAP) {
        return None;
    }
    message(protocol, info)
}

impl DatagramDissector for Pptp {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some((call, m)) =
            gre_ppp(chunk.data).and_then(|(call, ppp)| Some((call, auth_message(ppp)?)))
        else {
            return;
        };
        let new = |mechanism: &'static str, kind: Kind| {
            let mut c = Credential::new("pptp", mechanism, kind, chunk.ts);
            c.details.push(("call_id", call.to_string()));
            c
        };
        self.auth.message(dir, m, &chunk, &new, out);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.auth.close(out);
    }
}

/// A PPPoE session (RFC 2516) between a client and an access concentrator: its PPP
/// frames, protocol field first. `details.session_id` is the session's ID.
#[derive(Debug)]
pub struct Pppoe {
    session: u16,
    auth: Authentication,
}

impl Pppoe {
    pub fn new(session: u16) -> Pppoe {
        Pppoe {
            session,
            auth: Authentication::default(),
        }
    }
}

impl DatagramDissector for Pppoe {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(m) = auth_message(chunk.data) else {
            return;
        };
        let session = self.session;
        let new = |mechanism: &'static str, kind: Kind| {
            let mut c = Credential::new("pppoe", mechanism, kind, chunk.ts);
            c.details.push(("session_id", session.to_string()));
            c
        };
        self.auth.message(dir, m, &chunk, &new, out);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.auth.close(out);
    }
}

/// PPP frames and PPTP's GRE packets, for tests and fixtures.
pub mod build {
    /// A control packet of PPP protocol `protocol` in an HDLC-framed PPP frame.
    pub fn control(protocol: u16, code: u8, id: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![0xff, 0x03];
        v.extend(protocol.to_be_bytes());
        v.extend([code, id]);
        v.extend(((data.len() + 4) as u16).to_be_bytes());
        v.extend(data);
        v
    }

    /// `value` and `name` as CHAP's challenge and response data hold them.
    pub fn chap_data(value: &[u8], name: &[u8]) -> Vec<u8> {
        let mut v = vec![value.len() as u8];
        v.extend(value);
        v.extend(name);
        v
    }

    /// PAP's Authenticate-Request data.
    pub fn pap_data(peer: &[u8], password: &[u8]) -> Vec<u8> {
        let mut v = vec![peer.len() as u8];
        v.extend(peer);
        v.push(password.len() as u8);
        v.extend(password);
        v
    }

    /// An LCP Configure-Request asking for CHAP with `algorithm` (or PAP when `None`).
    pub fn lcp_auth(id: u8, algorithm: Option<u8>) -> Vec<u8> {
        let option = match algorithm {
            Some(a) => vec![3, 5, 0xc2, 0x23, a],
            None => vec![3, 4, 0xc0, 0x23],
        };
        let mut data = vec![1, 4, 0x05, 0xdc]; // MRU 1500
        data.extend(option);
        control(super::LCP, 1, id, &data)
    }

    /// An enhanced GRE packet of call `call` with sequence number `seq` carrying `ppp`.
    pub fn gre(call: u16, seq: u32, ppp: &[u8]) -> Vec<u8> {
        let mut v = vec![0x30, 0x01, 0x88, 0x0b];
        v.extend((ppp.len() as u16).to_be_bytes());
        v.extend(call.to_be_bytes());
        v.extend(seq.to_be_bytes());
        v.extend(ppp);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::script::unhex;
    use crate::timestamp::Timestamp;

    /// Plays GRE packets (direction, PPP frame) through the PPTP dissector.
    fn run(frames: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        let mut d = (PPTP_SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        for (i, (dir, ppp)) in frames.iter().enumerate() {
            let g = gre(7, i as u32, ppp);
            let chunk = Chunk {
                data: &g,
                frame: i as u64 + 1,
                ts: Timestamp::new(10 + i as i64, 0),
            };
            d.datagram(*dir, chunk, &mut out);
        }
        d.close(&mut out);
        out
    }

    use Direction::{ToClient as S2C, ToServer as C2S};

    /// RFC 2759 section 9.2's example: user "User", password "clientPass".
    #[test]
    fn mschapv2_with_rfc_2759_vectors() {
        let auth_challenge = unhex("5b5d7c7d7b3f2f3e3c2c602132262628");
        let peer_challenge = unhex("21402324255e262a28295f2b3a337c7e");
        let nt_response = unhex("82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df");
        let mut value = peer_challenge.clone();
        value.extend([0; 8]);
        value.extend(&nt_response);
        value.push(0);
        // The server (first sender here) asks for MS-CHAPv2, challenges; the client
        // answers as "User"; the server says success.
        let out = run(&[
            (C2S, lcp_auth(1, Some(0x81))),
            (
                C2S,
                control(CHAP, 1, 9, &chap_data(&auth_challenge, b"vpn-server")),
            ),
            (S2C, control(CHAP, 2, 9, &chap_data(&value, b"User"))),
            (
                C2S,
                control(
                    CHAP,
                    3,
                    9,
                    b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome",
                ),
            ),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref()),
            ("pptp", "MS-CHAPv2")
        );
        assert_eq!(c.username.as_deref(), Some(&b"User"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert!(
            c.sent_by_server,
            "the response came from the conversation's second side"
        );
        assert_eq!(c.frames, [2, 3, 4]);
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 5500);
        assert!(h.hash.starts_with("User::::"), "{}", h.hash);
        assert!(
            h.hash
                .contains("82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df")
        );
        assert!(h.hash.ends_with(":d02e4386bce91226"), "{}", h.hash);
        assert!(
            c.details
                .contains(&("authenticator", "vpn-server".to_string()))
        );
        assert!(c.details.contains(&("call_id", "7".to_string())));
    }

    #[test]
    fn pap_with_its_outcome_and_chap_md5_failing() {
        let out = run(&[
            (C2S, control(PAP, 1, 1, &pap_data(b"alice", b"Pap-Secret"))),
            (S2C, control(PAP, 2, 1, &[0])),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "PAP");
        assert_eq!(out[0].secret.as_deref(), Some(&b"Pap-Secret"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(!out[0].sent_by_server);

        // hashcat's example for mode 4800 (password "hashcat"): response, challenge, id.
        let challenge = unhex("01020304050607080910111213141516");
        let response = unhex("afd09efdd6f8ca9f18ec77c5869788c3");
        let out = run(&[
            (S2C, control(CHAP, 1, 1, &chap_data(&challenge, b"gw"))),
            (C2S, control(CHAP, 2, 1, &chap_data(&response, b"bob"))),
            (S2C, control(CHAP, 4, 1, b"Access denied")),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.mechanism, "CHAP");
        assert_eq!(c.outcome, Outcome::Failure);
        assert_eq!(
            c.hashcat.as_ref().unwrap().hash,
            "afd09efdd6f8ca9f18ec77c5869788c3:01020304050607080910111213141516:01"
        );
        assert!(c.details.contains(&("reason", "Access denied".to_string())));
    }

    #[test]
    fn eap_md5_and_mschap_v1_by_sizes() {
        let challenge = unhex("01020304050607080910111213141516");
        let response = unhex("afd09efdd6f8ca9f18ec77c5869788c3");
        let mut md5_req = vec![4, 16];
        md5_req.extend(&challenge);
        let mut md5_resp = vec![4, 16];
        md5_resp.extend(&response);
        let mut identity = vec![1];
        identity.extend(b"carol");
        let out = run(&[
            (S2C, control(EAP, 1, 0, &[1])),
            (C2S, control(EAP, 2, 0, &identity)),
            (S2C, control(EAP, 1, 1, &md5_req)),
            (C2S, control(EAP, 2, 1, &md5_resp)),
            (S2C, control(EAP, 3, 1, &[])),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "EAP-MD5");
        assert_eq!(out[0].username.as_deref(), Some(&b"carol"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[0].hashcat.as_ref().unwrap().mode, 4800);

        let mut value = vec![0u8; 24];
        value.extend([0xab; 24]);
        value.push(1);
        let out = run(&[
            (
                S2C,
                control(CHAP, 1, 3, &chap_data(&[1, 2, 3, 4, 5, 6, 7, 8], b"")),
            ),
            (C2S, control(CHAP, 2, 3, &chap_data(&value, b"DOM\\dave"))),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "MS-CHAP");
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].hashcat.as_ref().unwrap().mode, 5500);
    }

    #[test]
    fn compressed_frames_mismatched_answers_and_junk() {
        // Address/control omitted and the protocol compressed (PAP's 0xC023 cannot be,
        // but a frame without FF 03 can).
        let mut bare = control(PAP, 1, 5, &pap_data(b"eve", b"pw"));
        bare.drain(..2);
        let out = run(&[(C2S, bare), (S2C, control(PAP, 3, 6, &[0]))]);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].outcome,
            Outcome::Unknown,
            "the Nak answered another id"
        );
        assert_eq!(frame(&[0x21, 0x45]), Some((0x21, &[0x45][..])));
        // A response without its challenge, and a response from the challenger's side.
        assert!(run(&[(C2S, control(CHAP, 2, 1, &chap_data(&[0; 16], b"x")))]).is_empty());
        assert!(
            run(&[
                (C2S, control(CHAP, 1, 1, &chap_data(&[0; 16], b"gw"))),
                (C2S, control(CHAP, 2, 1, &chap_data(&[0; 16], b"x"))),
            ])
            .is_empty()
        );
        // GRE that is not PPTP's, acknowledgments without payload, every cut.
        assert_eq!(gre_ppp(&[0x00, 0x00, 0x08, 0x00, 0, 0, 0, 0]), None);
        assert_eq!(
            gre_ppp(&[0x20, 0x81, 0x88, 0x0b, 0, 0, 0, 7, 0, 0, 0, 1]),
            None
        );
        let p = gre(1, 1, &control(PAP, 1, 1, &pap_data(b"u", b"p")));
        for n in 0..p.len() {
            let _ = gre_ppp(&p[..n])
                .and_then(|(_, f)| frame(f))
                .map(|(pr, i)| message(pr, i));
        }
        assert_eq!(probe(&p), Probe::Maybe);
        assert_eq!(probe(&[0, 0, 0x08, 0]), Probe::No);
    }
}
