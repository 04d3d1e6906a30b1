//! DCE/RPC over TCP (`ncacn_ip_tcp`: the connection-oriented protocol of DCE 1.1 RPC with
//! Microsoft's extensions, MS-RPCE): the NTLM authentication of a binding. Port 135 (the
//! endpoint mapper) and, found by content, the dynamic ports Windows services (WMI, DCOM,
//! remote management, the service control manager) listen on.
//!
//! Each PDU starts with a 16-byte header (version 5.0 or 5.1, the PDU type, flags, the data
//! representation, the fragment and authentication lengths); an authenticated PDU ends
//! with a security trailer and the authentication token. The client's `bind` carries an
//! NTLM NEGOTIATE, the server's `bind_ack` the CHALLENGE, the client's `auth3` (or
//! `alter_context`) the AUTHENTICATE — bare (authentication type 10, `RPC_C_AUTHN_WINNT`)
//! or inside SPNEGO (type 9). Together they make a NetNTLMv2/v1 hashcat line (5600/5500),
//! whatever the authentication level (even a sealed binding authenticates in clear).
//! Mechanism `NTLM (NetNTLMv2)` or `SPNEGO NTLM (NetNTLMv2)`; `details.auth_level` the
//! level asked for. Kerberos tokens give nothing.
//!
//! Outcome, from the server's first PDU after the AUTHENTICATE. An `alter_context` is
//! answered itself: `alter_context_resp` success, a `fault` or `bind_nak` failure. An
//! `auth3` gets no answer, so the reply to the next request decides: a `response` is
//! success; a fault with `nca_s_fault_sec_pkg_error` or `nca_proto_error` (Samba's answer
//! after a refused `auth3`, as its real-server test shows) failure; another fault (access
//! denied may refuse the call, not the login) or nothing, unknown.

use super::framing::{Framer, Measure};
use super::ntlmssp::{self, Message};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "dcerpc",
    tcp_ports: &[135],
    probe,
    new: |_config| Box::new(Dcerpc::default()),
};

pub const PTYPE_REQUEST: u8 = 0;
pub const PTYPE_RESPONSE: u8 = 2;
pub const PTYPE_FAULT: u8 = 3;
pub const PTYPE_BIND: u8 = 11;
pub const PTYPE_BIND_ACK: u8 = 12;
pub const PTYPE_BIND_NAK: u8 = 13;
pub const PTYPE_ALTER_CONTEXT: u8 = 14;
pub const PTYPE_ALTER_CONTEXT_RESP: u8 = 15;
pub const PTYPE_AUTH3: u8 = 16;

/// Authentication types (MS-RPCE 2.2.1.1.7).
pub const AUTHN_GSS_NEGOTIATE: u8 = 9;
pub const AUTHN_WINNT: u8 = 10;

/// Fault statuses that refuse the authentication itself.
pub const FAULT_SEC_PKG_ERROR: u32 = 0x0000_0721;
pub const NCA_PROTO_ERROR: u32 = 0x1c01_000b;

const HEADER: usize = 16;

/// A PDU's header fields that matter here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub ptype: u8,
    pub little_endian: bool,
    pub frag_length: usize,
    pub auth_length: usize,
}

/// The common header at the start of `d`: version 5.0 or 5.1, a known PDU type, a
/// fragment at least as long as the header and the authentication it says it holds.
pub fn header(d: &[u8]) -> Option<Header> {
    let h = d.get(..HEADER)?;
    if h[0] != 5 || h[1] > 1 || h[2] > 19 {
        return None;
    }
    // The integer representation: high nibble 1 little-endian, 0 big-endian.
    let little_endian = match h[4] >> 4 {
        1 => true,
        0 => false,
        _ => return None,
    };
    let read = |at: usize| {
        let b = [h[at], h[at + 1]];
        usize::from(if little_endian {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let (frag_length, auth_length) = (read(8), read(10));
    if frag_length < HEADER || (auth_length > 0 && HEADER + 8 + auth_length > frag_length) {
        return None;
    }
    Some(Header {
        ptype: h[2],
        little_endian,
        frag_length,
        auth_length,
    })
}

/// The security trailer's authentication type and level, and the token, of a whole PDU.
pub fn auth<'a>(pdu: &'a [u8], h: &Header) -> Option<(u8, u8, &'a [u8])> {
    if h.auth_length == 0 {
        return None;
    }
    let token_at = h.frag_length.checked_sub(h.auth_length)?;
    let trailer = pdu.get(token_at.checked_sub(8)?..token_at)?;
    Some((trailer[0], trailer[1], pdu.get(token_at..h.frag_length)?))
}

/// DCE/RPC when the client opens with a `bind` (or `alter_context`) PDU.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    // Version 5, minor 0 or 1, then the PDU type.
    let start = &to_server[..to_server.len().min(3)];
    let ok = match start {
        [5] | [5, 0 | 1] => true,
        [5, 0 | 1, t] => matches!(*t, PTYPE_BIND | PTYPE_ALTER_CONTEXT),
        _ => false,
    };
    if !ok {
        return Probe::No;
    }
    if to_server.len() < HEADER {
        return Probe::Maybe;
    }
    match header(to_server) {
        Some(_) => Probe::Yes,
        None => Probe::No,
    }
}

/// An AUTHENTICATE waiting for the server's verdict.
#[derive(Debug)]
struct Pending {
    credential: Credential,
    /// It came in an `alter_context`, which the server answers itself.
    answered: bool,
}

#[derive(Debug)]
pub struct Dcerpc {
    /// Each direction cut into PDUs.
    framers: [Framer; 2],
    /// The last CHALLENGE the server sent.
    challenge: Option<[u8; 8]>,
    pending: Option<Box<Pending>>,
    /// Nothing more is read: a PDU could not be framed, a gap, the login was judged, or
    /// [`MAX_PDUS_WITHOUT_LOGIN`] client PDUs went by without NTLM (the rest of a binding
    /// is requests and responses, possibly megabytes of them).
    lost: bool,
    /// Client PDUs read without an NTLM exchange begun.
    quiet_pdus: u32,
}

/// Client PDUs after which a connection that has not begun NTLM is no longer read.
const MAX_PDUS_WITHOUT_LOGIN: u32 = 32;

fn u32_at(d: &[u8], at: usize, little_endian: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(at..at + 4)?.try_into().ok()?;
    Some(if little_endian {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    })
}

impl Default for Dcerpc {
    fn default() -> Dcerpc {
        // A PDU's length is 16 bits: every one fits.
        Dcerpc {
            framers: [Framer::new(65_535), Framer::new(65_535)],
            challenge: None,
            pending: None,
            lost: false,
            quiet_pdus: 0,
        }
    }
}

/// A PDU's length from its header.
fn measure(b: &[u8]) -> Measure {
    match header(b) {
        Some(h) => Measure::Total(h.frag_length),
        None if b.len() >= HEADER => Measure::Invalid,
        None => Measure::More,
    }
}

impl Dcerpc {
    fn client_pdu(&mut self, pdu: &[u8], h: &Header, frames: &[u64], ts: Timestamp) {
        if self.challenge.is_none() {
            self.quiet_pdus += 1;
            if self.quiet_pdus > MAX_PDUS_WITHOUT_LOGIN {
                self.lost = true;
                return;
            }
        }
        let Some((authn, level, token)) = auth(pdu, h) else {
            return;
        };
        if !matches!(authn, AUTHN_WINNT | AUTHN_GSS_NEGOTIATE) {
            return;
        }
        let Some(Message::Authenticate(a)) = ntlmssp::find(token) else {
            return;
        };
        let mechanism = if authn == AUTHN_WINNT {
            "NTLM"
        } else {
            "SPNEGO NTLM"
        };
        let Some(mut c) = a.credential("dcerpc", mechanism, self.challenge, ts) else {
            return;
        };
        c.add_frames(frames.iter().copied());
        c.details
            .push(("auth_level", level_name(level).to_string()));
        self.pending = Some(Box::new(Pending {
            credential: c,
            answered: h.ptype == PTYPE_ALTER_CONTEXT,
        }));
    }

    fn server_pdu(&mut self, pdu: &[u8], h: &Header, out: &mut Vec<Credential>) {
        if let Some((_, _, token)) = auth(pdu, h)
            && let Some(Message::Challenge { challenge }) = ntlmssp::find(token)
        {
            self.challenge = Some(challenge);
        }
        let Some(p) = self.pending.take() else {
            return;
        };
        let mut c = p.credential;
        c.outcome = match h.ptype {
            PTYPE_RESPONSE | PTYPE_ALTER_CONTEXT_RESP => Outcome::Success,
            PTYPE_BIND_NAK => Outcome::Failure,
            PTYPE_FAULT if p.answered => Outcome::Failure,
            PTYPE_FAULT => match u32_at(pdu, 24, h.little_endian) {
                Some(FAULT_SEC_PKG_ERROR | NCA_PROTO_ERROR) => Outcome::Failure,
                _ => Outcome::Unknown,
            },
            _ => Outcome::Unknown,
        };
        out.push(c);
        // Judged: what follows is the binding's requests and responses.
        self.lost = true;
    }

    fn feed(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let i = dir.index();
        self.framers[i].push(chunk);
        while !self.lost {
            // PDUs before the verdict are few: copied out of the framer to be read.
            let Some(msg) = self.framers[i].next(measure) else {
                self.lost |= self.framers[i].is_lost();
                break;
            };
            let (pdu, frames, ts) = (msg.bytes.to_vec(), msg.frames, msg.ts);
            if let Some(h) = header(&pdu) {
                self.pdu(dir, &pdu, &h, &frames, ts, out);
            }
        }
    }

    fn pdu(
        &mut self,
        dir: Direction,
        pdu: &[u8],
        h: &Header,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        match dir {
            Direction::ToServer => self.client_pdu(pdu, h, frames, ts),
            Direction::ToClient => self.server_pdu(pdu, h, out),
        }
    }
}

/// The authentication level's name (MS-RPCE 2.2.1.1.8).
fn level_name(level: u8) -> &'static str {
    match level {
        1 => "none",
        2 => "connect",
        3 => "call",
        4 => "packet",
        5 => "packet integrity",
        6 => "packet privacy",
        _ => "unknown",
    }
}

impl Dissector for Dcerpc {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        self.feed(dir, chunk, out);
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        // PDUs cannot be framed across a hole.
        self.close(out);
        for f in &mut self.framers {
            f.lose();
        }
        self.lost = true;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(p) = self.pending.take() {
            out.push(p.credential);
        }
    }

    fn done(&self) -> bool {
        self.lost && self.pending.is_none()
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self.pending.as_ref().map_or(0, |_| 512)
    }
}

/// DCE/RPC PDUs, for tests and fixtures (little-endian, version 5.0).
pub mod build {
    use super::*;

    /// A PDU of type `ptype` with `body` and, when given, an authentication trailer of
    /// type `authn` at level `level` holding `token`.
    pub fn pdu(ptype: u8, call_id: u32, body: &[u8], auth: Option<(u8, u8, &[u8])>) -> Vec<u8> {
        let mut body = body.to_vec();
        let auth_length = auth.map_or(0, |(_, _, t)| t.len());
        if let Some((authn, level, _)) = auth {
            // The trailer starts 4-byte aligned.
            let pad = (4 - (HEADER + body.len()) % 4) % 4;
            body.extend(std::iter::repeat_n(0, pad));
            body.extend([authn, level, pad as u8, 0]);
            body.extend(79_231u32.to_le_bytes());
        }
        let frag_length = HEADER + body.len() + auth_length;
        let mut v = vec![5, 0, ptype, 0x03, 0x10, 0, 0, 0];
        v.extend((frag_length as u16).to_le_bytes());
        v.extend((auth_length as u16).to_le_bytes());
        v.extend(call_id.to_le_bytes());
        v.extend(body);
        if let Some((_, _, token)) = auth {
            v.extend(token);
        }
        v
    }

    /// A bind's body: one presentation context for the interface `uuid` (NDR).
    pub fn bind_body(uuid: [u8; 16]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(5840u16.to_le_bytes());
        b.extend(5840u16.to_le_bytes());
        b.extend(0u32.to_le_bytes());
        b.extend([1, 0, 0, 0]); // one context
        b.extend(0u16.to_le_bytes());
        b.extend([1, 0]); // one transfer syntax
        b.extend(uuid);
        b.extend([0, 0, 0, 0]);
        // NDR 2.0
        b.extend([
            0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10,
            0x48, 0x60,
        ]);
        b.extend(2u32.to_le_bytes());
        b
    }

    /// A fault PDU with `status`.
    pub fn fault(call_id: u32, status: u32) -> Vec<u8> {
        let mut body = vec![0u8; 8];
        body.extend(status.to_le_bytes());
        body.extend([0u8; 4]);
        pdu(PTYPE_FAULT, call_id, &body, None)
    }
}

#[cfg(test)]
mod tests {
    use super::build::{bind_body, fault, pdu};
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    const CHALLENGE: [u8; 8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
    const EPM: [u8; 16] = [
        0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0,
        0xfa,
    ];

    fn nt_v2() -> Vec<u8> {
        let mut nt = vec![0xab; 16];
        nt.extend([1, 1, 0, 0, 0, 0, 0, 0]);
        nt.extend([0x42; 24]);
        nt
    }

    fn negotiate() -> Vec<u8> {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend(1u32.to_le_bytes());
        m.extend(0xe208_8297u32.to_le_bytes());
        m.extend([0; 16]);
        m
    }

    fn exchange(authn: u8, verdict: Vec<u8>) -> Vec<(Direction, Vec<u8>)> {
        let auth = ntlmssp::build::authenticate("svc-wmi", "CORP", "WS7", &[0; 24], &nt_v2());
        vec![
            (
                C,
                pdu(
                    PTYPE_BIND,
                    1,
                    &bind_body(EPM),
                    Some((authn, 6, &negotiate())),
                ),
            ),
            (
                S,
                pdu(
                    PTYPE_BIND_ACK,
                    1,
                    &[0u8; 24],
                    Some((authn, 6, &ntlmssp::build::challenge(CHALLENGE))),
                ),
            ),
            (C, pdu(PTYPE_AUTH3, 1, &[0u8; 4], Some((authn, 6, &auth)))),
            (
                C,
                pdu(PTYPE_REQUEST, 2, &[0u8; 40], Some((authn, 6, &[0u8; 16]))),
            ),
            (S, verdict),
        ]
    }

    fn run(script: &[(Direction, Vec<u8>)]) -> (Vec<Credential>, bool) {
        let script: Vec<(Direction, &[u8])> =
            script.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            &script,
        )
    }

    #[test]
    fn ntlm_bind_answered_with_a_response() {
        let (out, _) = run(&exchange(
            AUTHN_WINNT,
            pdu(PTYPE_RESPONSE, 2, &[0u8; 24], None),
        ));
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "dcerpc");
        assert_eq!(c.mechanism, "NTLM (NetNTLMv2)");
        assert_eq!(c.username.as_deref(), Some(&b"svc-wmi"[..]));
        assert_eq!(c.domain.as_deref(), Some(&b"CORP"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![3]);
        let h = c.hashcat.as_ref().expect("hashcat line");
        assert_eq!(h.mode, 5600);
        assert!(
            h.hash.starts_with("svc-wmi::CORP:1122334455667788:"),
            "{}",
            h.hash
        );
        assert!(
            c.details
                .contains(&("auth_level", "packet privacy".to_string()))
        );
    }

    #[test]
    fn spnego_access_denied_and_bind_nak() {
        let (out, _) = run(&exchange(AUTHN_GSS_NEGOTIATE, fault(2, NCA_PROTO_ERROR)));
        assert_eq!(out[0].mechanism, "SPNEGO NTLM (NetNTLMv2)");
        assert_eq!(out[0].outcome, Outcome::Failure);
        let (out, _) = run(&exchange(AUTHN_WINNT, fault(2, FAULT_SEC_PKG_ERROR)));
        assert_eq!(out[0].outcome, Outcome::Failure);
        // Access denied after an auth3 may refuse the call, not the login.
        let (out, _) = run(&exchange(AUTHN_WINNT, fault(2, 5)));
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // The AUTHENTICATE in an alter_context: its own answer decides.
        let auth = ntlmssp::build::authenticate("svc-wmi", "CORP", "WS7", &[0; 24], &nt_v2());
        let mut s = exchange(AUTHN_GSS_NEGOTIATE, Vec::new());
        s.truncate(2);
        s.push((
            C,
            pdu(PTYPE_ALTER_CONTEXT, 1, &bind_body(EPM), Some((9, 5, &auth))),
        ));
        let mut denied = s.clone();
        denied.push((S, fault(1, 5)));
        assert_eq!(run(&denied).0[0].outcome, Outcome::Failure);
        s.push((S, pdu(PTYPE_ALTER_CONTEXT_RESP, 1, &[0u8; 24], None)));
        assert_eq!(run(&s).0[0].outcome, Outcome::Success);
        let (out, _) = run(&exchange(
            AUTHN_WINNT,
            pdu(PTYPE_BIND_NAK, 1, &[0; 4], None),
        ));
        assert_eq!(out[0].outcome, Outcome::Failure);
        // Never answered.
        let mut s = exchange(AUTHN_WINNT, Vec::new());
        s.pop();
        let (out, _) = run(&s);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn pdus_split_and_joined_read_the_same() {
        let s = exchange(AUTHN_WINNT, pdu(PTYPE_RESPONSE, 2, &[0u8; 24], None));
        // Byte by byte.
        let bytes: Vec<(Direction, Vec<u8>)> = s
            .iter()
            .flat_map(|(d, b)| b.iter().map(move |x| (*d, vec![*x])))
            .collect();
        let (out, _) = run(&bytes);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(out[0].hashcat.is_some());
        // The client's PDUs in one segment.
        let joined = vec![
            s[0].clone(),
            s[1].clone(),
            (C, [s[2].1.clone(), s[3].1.clone()].concat()),
            s[4].clone(),
        ];
        let (out2, _) = run(&joined);
        assert_eq!(out2[0].hashcat, out[0].hashcat);
        assert_eq!(out2[0].outcome, Outcome::Success);
    }

    #[test]
    fn reading_stops_once_judged_or_after_many_unauthenticated_pdus() {
        let mut s = exchange(AUTHN_WINNT, pdu(PTYPE_RESPONSE, 2, &[0u8; 24], None));
        s.push((C, pdu(PTYPE_REQUEST, 3, &[0u8; 40], None)));
        let (out, done) = run(&s);
        assert_eq!(out.len(), 1);
        assert!(done);
        // An unauthenticated binding: requests and responses, then a login after 32 of
        // them is not looked for.
        let mut quiet = vec![
            (C, pdu(PTYPE_BIND, 1, &bind_body(EPM), None)),
            (S, pdu(PTYPE_BIND_ACK, 1, &[0u8; 24], None)),
        ];
        for call in 0..32 {
            quiet.push((C, pdu(PTYPE_REQUEST, call, &[0u8; 40], None)));
            quiet.push((S, pdu(PTYPE_RESPONSE, call, &[0u8; 40], None)));
        }
        let (out, done) = run(&quiet);
        assert!(out.is_empty());
        assert!(done);
        // Within that many, a later authenticated binding is read.
        let mut late = quiet[..10].to_vec();
        late.extend(exchange(
            AUTHN_WINNT,
            pdu(PTYPE_RESPONSE, 2, &[0u8; 24], None),
        ));
        assert_eq!(run(&late).0.len(), 1);
    }

    #[test]
    fn kerberos_and_no_auth_give_nothing() {
        let (out, _) = run(&[
            (C, pdu(PTYPE_BIND, 1, &bind_body(EPM), None)),
            (S, pdu(PTYPE_BIND_ACK, 1, &[0u8; 24], None)),
        ]);
        assert!(out.is_empty());
        let auth = ntlmssp::build::authenticate("u", "D", "W", &[0; 24], &nt_v2());
        let (out, _) = run(&[(C, pdu(PTYPE_AUTH3, 1, &[0; 4], Some((16, 6, &auth))))]);
        assert!(out.is_empty());
    }

    #[test]
    fn probe_wants_a_bind() {
        let bind = pdu(PTYPE_BIND, 1, &bind_body(EPM), None);
        assert_eq!(probe(&bind, b""), Probe::Yes);
        assert_eq!(probe(&bind[..2], b""), Probe::Maybe);
        assert_eq!(probe(&bind[..10], b""), Probe::Maybe);
        let request = pdu(PTYPE_REQUEST, 1, &[0; 8], None);
        assert_eq!(probe(&request, b""), Probe::No);
        let mut v4 = bind.clone();
        v4[0] = 4;
        assert_eq!(probe(&v4, b""), Probe::No);
        let mut short = bind.clone();
        short[8] = 4; // a fragment shorter than its header
        short[9] = 0;
        assert_eq!(probe(&short, b""), Probe::No);
        assert_eq!(probe(b"", b"\x05\x00\x0c"), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
    }

    #[test]
    fn header_checks_lengths_and_byte_order() {
        let bind = pdu(PTYPE_BIND, 1, &bind_body(EPM), Some((10, 2, &negotiate())));
        let h = header(&bind).expect("header");
        assert_eq!(h.frag_length, bind.len());
        assert_eq!(h.auth_length, 32);
        let (authn, level, token) = auth(&bind, &h).expect("auth");
        assert_eq!((authn, level), (10, 2));
        assert_eq!(token, negotiate());
        let mut be = bind.clone();
        be[4] = 0x00;
        be.swap(8, 9);
        be.swap(10, 11);
        assert_eq!(header(&be).map(|h| h.frag_length), Some(bind.len()));
        let mut too_much_auth = bind.clone();
        too_much_auth[10] = 0xff;
        assert_eq!(header(&too_much_auth), None);
    }

    #[test]
    fn garbage_never_panics() {
        let s = exchange(AUTHN_WINNT, fault(2, 5));
        let valid: Vec<Vec<u8>> = s.into_iter().map(|(_, b)| b).collect();
        crate::dissect::garbage::feed(
            0xdce0_4bc1,
            2000,
            6,
            &valid,
            Dcerpc::default,
            |b| {
                let _ = probe(b, b);
                if let Some(h) = header(b) {
                    let _ = auth(b, &h);
                }
            },
            |r| u64::from(r.next() % 100),
            // A PDU's length is 16 bits: what one direction holds stays below that.
            |d| assert!(d.buffered() < 4 * 65_536),
        );
    }
}
