//! IPMI over LAN (RMCP, UDP 623): the logins of a baseboard management controller (the
//! BMC: iLO, iDRAC, IMM, Supermicro...), IPMI v2.0 (RMCP+) and v1.5.
//!
//! **IPMI 2.0 RAKP** (IPMI v2.0 section 13.20-13.31): the console opens a session (Open
//! Session Request/Response: the two session IDs and the algorithms), then sends RAKP
//! Message 1 with its random number, the requested role and the user name. The BMC answers
//! RAKP Message 2 with its random number, its GUID and the HMAC, under the user's
//! password, of `SIDm | SIDc | Rm | Rc | GUIDc | ROLEm | ULENGTHm | UNAMEm` — *before* the
//! console proved anything: whoever asks for a valid user name gets a hash of its password
//! (hashcat 7300 for RAKP-HMAC-SHA1, `hex(salt):hex(hmac)`). RAKP Message 3 carries the
//! console's proof, and RAKP Message 4's status says whether it was right (0) or not
//! (0x0F, invalid integrity check value). The finding is the BMC's HMAC, so it cracks to
//! the account's password whatever the console typed; its outcome is the console's login.
//! A RAKP Message 2 refusing the name (0x0D) carries no hash: no finding.
//!
//! **IPMI 1.5** sessions with the `straight password/key` authentication type (4) carry the
//! password in clear in the 16-byte authentication code of every authenticated message
//! (`Activate Session` and the commands after it); the user name is in the `Get Session
//! Challenge` request before. Reported once per console and BMC (`repeats`); the outcome
//! is the Activate Session response's completion code (0 success) when it is seen.
//!
//! Mechanisms `RAKP-HMAC-SHA1` (`-MD5`, `-SHA256` by the HMAC's length; only SHA-1 has a
//! hashcat mode) and `straight password`; `details.role` is the role asked for (RAKP),
//! `details.note` says what the RAKP hash is.

use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "ipmi",
    udp_ports: &[623],
    ip_protocols: &[],
    probe,
    by_content: true,
    new: |_config| {
        Box::new(Ipmi {
            rakp1: Vec::new(),
            pending: Vec::new(),
            challenge_user: None,
            straight: Straight::None,
        })
    },
};

/// RMCP+ payload types (IPMI v2.0 table 13-16).
const OPEN_SESSION_REQUEST: u8 = 0x10;
const RAKP_1: u8 = 0x12;
const RAKP_2: u8 = 0x13;
const RAKP_4: u8 = 0x15;

/// IPMI 1.5 commands of the Application network function.
const GET_SESSION_CHALLENGE: u8 = 0x39;
const ACTIVATE_SESSION: u8 = 0x3a;

/// RAKP exchanges remembered at once (a console tries a handful of names).
const MAX_PENDING: usize = 16;

/// An IPMI message in RMCP: the session header's authentication type and what follows it.
#[derive(Debug, PartialEq, Eq)]
pub enum Session<'a> {
    /// IPMI v2.0 RMCP+: payload type (without the encrypted/authenticated bits) and payload.
    V20 { payload_type: u8, payload: &'a [u8] },
    /// IPMI v1.5: authentication type, session ID, authentication code and message.
    V15 {
        auth_type: u8,
        session_id: u32,
        auth_code: Option<&'a [u8; 16]>,
        message: &'a [u8],
    },
}

/// Parses an RMCP datagram of class IPMI (version 6, class 7).
pub fn parse(d: &[u8]) -> Option<Session<'_>> {
    let (&[version, _, _, class], rest) = d.split_first_chunk::<4>()?;
    if version != 0x06 || class & 0x1f != 0x07 {
        return None;
    }
    let auth_type = *rest.first()?;
    if auth_type == 0x06 {
        let payload_type = rest.get(1)? & 0x3f;
        let len = usize::from(u16::from_le_bytes([*rest.get(10)?, *rest.get(11)?]));
        // OEM payloads (type 2) carry a 6-byte IANA/ID before the length: not read.
        let payload = rest.get(12..12 + len)?;
        return Some(Session::V20 {
            payload_type,
            payload,
        });
    }
    if !matches!(auth_type, 0 | 1 | 2 | 4 | 5) {
        return None;
    }
    let session_id = u32::from_le_bytes(rest.get(5..9)?.try_into().ok()?);
    let (auth_code, at) = if auth_type == 0 {
        (None, 9)
    } else {
        (Some(rest.get(9..25)?.try_into().ok()?), 25)
    };
    let len = usize::from(*rest.get(at)?);
    let message = rest.get(at + 1..at + 1 + len)?;
    Some(Session::V15 {
        auth_type,
        session_id,
        auth_code,
        message,
    })
}

/// IPMI when a datagram is RMCP carrying an IPMI session (a v2.0 payload of the session
/// setup, or a v1.5 message to the BMC), or the ASF presence ping consoles open with
/// (RMCP class 6, the ASF IANA number 4542).
pub fn probe(d: &[u8]) -> Probe {
    // RMCP version 1.0 first: every other datagram (a DNS conversation's) stops here.
    if d.first() != Some(&0x06) {
        return Probe::No;
    }
    if let [0x06, 0x00, _, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80 | 0x40, ..] = d {
        return Probe::Yes;
    }
    match parse(d) {
        Some(Session::V20 { payload_type, .. }) if (0x10..=0x15).contains(&payload_type) => {
            Probe::Yes
        }
        Some(Session::V20 { payload_type, .. }) if payload_type <= 0x02 => Probe::Yes,
        Some(Session::V15 { message, .. }) if message.len() >= 7 => Probe::Yes,
        _ => Probe::No,
    }
}

/// A RAKP Message 1: what the HMAC of Message 2 covers besides the BMC's answer.
#[derive(Debug, Clone)]
struct Rakp1 {
    tag: u8,
    bmc_session: [u8; 4],
    console_random: [u8; 16],
    role: u8,
    user: Vec<u8>,
    frame: u64,
}

/// A RAKP Message 2 read: its credential waits for Message 4.
#[derive(Debug)]
struct Pending {
    console_session: [u8; 4],
    credential: Credential,
}

#[derive(Debug)]
pub struct Ipmi {
    rakp1: Vec<Rakp1>,
    pending: Vec<Pending>,
    /// The user name of the last v1.5 Get Session Challenge.
    challenge_user: Option<Vec<u8>>,
    straight: Straight,
}

/// Where an IPMI 1.5 straight password login is.
#[derive(Debug)]
enum Straight {
    None,
    /// Sent in an Activate Session request: the response decides.
    Pending(Box<Credential>),
    /// Reported (once per conversation).
    Reported,
}

/// The role of a RAKP Message 1's privilege byte.
fn role_name(role: u8) -> String {
    match role & 0x0f {
        0 => "highest available".to_string(),
        1 => "callback".to_string(),
        2 => "user".to_string(),
        3 => "operator".to_string(),
        4 => "administrator".to_string(),
        5 => "OEM".to_string(),
        n => n.to_string(),
    }
}

/// A v1.5 LAN message: (network function, command, data after the command, completion
/// code when a response).
fn lan_message(m: &[u8]) -> Option<(u8, u8, &[u8])> {
    // rsAddr, netFn/rsLUN, checksum, rqAddr, rqSeq/rqLUN, cmd, data..., checksum
    if m.len() < 7 {
        return None;
    }
    Some((m[1] >> 2, m[5], &m[6..m.len() - 1]))
}

impl Ipmi {
    fn rakp(&mut self, payload_type: u8, p: &[u8], chunk: &Chunk<'_>, out: &mut Vec<Credential>) {
        match payload_type {
            RAKP_1 => {
                let (Some(head), Some(&ulen)) = (p.get(..28), p.get(27)) else {
                    return;
                };
                let Some(user) = p.get(28..28 + usize::from(ulen)) else {
                    return;
                };
                if self.rakp1.len() >= MAX_PENDING {
                    self.rakp1.remove(0);
                }
                self.rakp1.push(Rakp1 {
                    tag: head[0],
                    bmc_session: head[4..8].try_into().unwrap_or_default(),
                    console_random: head[8..24].try_into().unwrap_or_default(),
                    role: head[24],
                    user: user.to_vec(),
                    frame: chunk.frame,
                });
            }
            RAKP_2 => {
                let Some(head) = p.get(..40) else {
                    return;
                };
                let Some(i) = self.rakp1.iter().rposition(|r| r.tag == head[0]) else {
                    return;
                };
                let r1 = self.rakp1.remove(i);
                let hmac = &p[40..];
                if head[1] != 0 || !matches!(hmac.len(), 16 | 20 | 32) {
                    return; // a refused name (or no authentication): no hash
                }
                let mut salt = Vec::with_capacity(58 + r1.user.len());
                salt.extend_from_slice(&head[4..8]); // SIDm: the console's session ID
                salt.extend_from_slice(&r1.bmc_session); // SIDc
                salt.extend_from_slice(&r1.console_random); // Rm
                salt.extend_from_slice(&head[8..24]); // Rc
                salt.extend_from_slice(&head[24..40]); // GUIDc
                salt.push(r1.role);
                salt.push(r1.user.len() as u8);
                salt.extend_from_slice(&r1.user);
                let mechanism = match hmac.len() {
                    20 => "RAKP-HMAC-SHA1",
                    16 => "RAKP-HMAC-MD5",
                    _ => "RAKP-HMAC-SHA256",
                };
                let mut c = Credential::new("ipmi", mechanism, Kind::ChallengeResponse, chunk.ts);
                c.username = Some(r1.user.clone());
                c.secret = Some(hex(hmac).into_bytes());
                c.add_frames([r1.frame, chunk.frame]);
                if hmac.len() == 20 {
                    c.hashcat = Some(Hashcat {
                        mode: 7300,
                        hash: format!("{}:{}", hex(&salt), hex(hmac)),
                        hex_salt: false,
                    });
                }
                c.challenge = Some(hex(&salt).into_bytes());
                c.details.push(("role", role_name(r1.role)));
                c.details.push((
                    "note",
                    "the BMC's HMAC of RAKP Message 2: it cracks to the account's password, whatever the console sent"
                        .to_string(),
                ));
                if self.pending.len() >= MAX_PENDING {
                    let old = self.pending.remove(0);
                    out.push(old.credential);
                }
                self.pending.push(Pending {
                    console_session: head[4..8].try_into().unwrap_or_default(),
                    credential: c,
                });
            }
            RAKP_4 => {
                let Some(head) = p.get(..8) else {
                    return;
                };
                let Some(i) = self
                    .pending
                    .iter()
                    .rposition(|x| x.console_session[..] == head[4..8])
                else {
                    return;
                };
                let mut done = self.pending.remove(i);
                done.credential.outcome = if head[1] == 0 {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
                if head[1] != 0 {
                    done.credential
                        .details
                        .push(("status", format!("0x{:02x}", head[1])));
                }
                out.push(done.credential);
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn v15(
        &mut self,
        dir: Direction,
        auth_type: u8,
        session_id: u32,
        auth_code: Option<&[u8; 16]>,
        message: &[u8],
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let Some((netfn, cmd, data)) = lan_message(message) else {
            return;
        };
        let activate = cmd == ACTIVATE_SESSION;
        match dir {
            Direction::ToServer => {
                if netfn == 0x06 && cmd == GET_SESSION_CHALLENGE {
                    // authentication type, then the user name (16 bytes, NUL padded)
                    if let Some(user) = data.get(1..17) {
                        let end = user.iter().position(|&b| b == 0).unwrap_or(16);
                        self.challenge_user = Some(user[..end].to_vec());
                    }
                }
                let (4, true, Some(code), Straight::None) =
                    (auth_type, session_id != 0, auth_code, &self.straight)
                else {
                    return;
                };
                let end = code.iter().position(|&b| b == 0).unwrap_or(16);
                let mut c = Credential::new("ipmi", "straight password", Kind::Cleartext, chunk.ts);
                c.username = self.challenge_user.clone();
                c.secret = Some(code[..end].to_vec());
                c.repeats = true;
                c.add_frames([chunk.frame]);
                if netfn == 0x06 && activate {
                    self.straight = Straight::Pending(Box::new(c));
                } else {
                    // A command of a session already active: the session is the proof.
                    c.outcome = Outcome::Success;
                    out.push(c);
                    self.straight = Straight::Reported;
                }
            }
            Direction::ToClient => {
                if netfn == 0x07
                    && activate
                    && matches!(self.straight, Straight::Pending(_))
                    && let Straight::Pending(mut c) =
                        std::mem::replace(&mut self.straight, Straight::Reported)
                {
                    // The response's completion code: 0 success.
                    c.outcome = if data.first() == Some(&0) {
                        Outcome::Success
                    } else {
                        Outcome::Failure
                    };
                    out.push(*c);
                }
            }
        }
    }
}

impl DatagramDissector for Ipmi {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        match parse(chunk.data) {
            Some(Session::V20 {
                payload_type,
                payload,
            }) if payload_type != OPEN_SESSION_REQUEST => {
                self.rakp(payload_type, payload, &chunk, out);
            }
            Some(Session::V15 {
                auth_type,
                session_id,
                auth_code,
                message,
            }) => self.v15(dir, auth_type, session_id, auth_code, message, &chunk, out),
            Some(Session::V20 { .. }) | None => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for p in self.pending.drain(..) {
            out.push(p.credential);
        }
        if let Straight::Pending(c) = std::mem::replace(&mut self.straight, Straight::Reported) {
            out.push(*c);
        }
    }

    fn buffered(&self) -> usize {
        self.rakp1.len() * 64 + self.pending.len() * 256
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;
    use Direction::{ToClient as S, ToServer as C};
    use hmac::{Hmac, KeyInit, Mac};

    fn rmcp_plus(payload_type: u8, payload: &[u8]) -> Vec<u8> {
        let mut d = vec![0x06, 0x00, 0xff, 0x07, 0x06, payload_type];
        d.extend_from_slice(&[0; 8]); // session ID, sequence: 0 before the session
        d.extend_from_slice(&(payload.len() as u16).to_le_bytes());
        d.extend_from_slice(payload);
        d
    }

    const CONSOLE_SID: [u8; 4] = [0xa4, 0xa3, 0xa2, 0xa0];
    const BMC_SID: [u8; 4] = [0x02, 0x00, 0x00, 0x00];
    const RM: [u8; 16] = [0x11; 16];
    const RC: [u8; 16] = [0x22; 16];
    const GUID: [u8; 16] = [0xa1; 16];

    fn rakp1(tag: u8, user: &[u8]) -> Vec<u8> {
        let mut p = vec![tag, 0, 0, 0];
        p.extend_from_slice(&BMC_SID);
        p.extend_from_slice(&RM);
        p.extend_from_slice(&[0x14, 0, 0, user.len() as u8]);
        p.extend_from_slice(user);
        rmcp_plus(RAKP_1, &p)
    }

    fn salt(user: &[u8]) -> Vec<u8> {
        [
            &CONSOLE_SID[..],
            &BMC_SID,
            &RM,
            &RC,
            &GUID,
            &[0x14, user.len() as u8],
            user,
        ]
        .concat()
    }

    fn rakp2(tag: u8, status: u8, code: &[u8]) -> Vec<u8> {
        let mut p = vec![tag, status, 0, 0];
        p.extend_from_slice(&CONSOLE_SID);
        p.extend_from_slice(&RC);
        p.extend_from_slice(&GUID);
        p.extend_from_slice(code);
        rmcp_plus(RAKP_2, &p)
    }

    fn rakp4(tag: u8, status: u8) -> Vec<u8> {
        let mut p = vec![tag, status, 0, 0];
        p.extend_from_slice(&CONSOLE_SID);
        p.extend_from_slice(&[0x5a; 12]);
        rmcp_plus(RAKP_4, &p)
    }

    fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    fn run(datagrams: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        for (i, (dir, data)) in datagrams.iter().enumerate() {
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
    fn rakp_sha1_hash_and_the_consoles_outcome() {
        let user = b"admin";
        let code = hmac_sha1(b"Ipmi-pw1", &salt(user));
        for (status, outcome) in [(0, Outcome::Success), (0x0f, Outcome::Failure)] {
            let found = run(&[
                (C, rakp1(7, user)),
                (S, rakp2(7, 0, &code)),
                (S, rakp4(7, status)),
            ]);
            assert_eq!(found.len(), 1);
            let c = &found[0];
            assert_eq!(c.mechanism, "RAKP-HMAC-SHA1");
            assert_eq!(c.username.as_deref(), Some(&user[..]));
            assert_eq!(c.outcome, outcome);
            assert_eq!(c.frames, vec![1, 2]);
            let h = c.hashcat.as_ref().unwrap();
            assert_eq!(h.mode, 7300);
            assert_eq!(h.hash, format!("{}:{}", hex(&salt(user)), hex(&code)));
        }
        // No RAKP 4 (the console gave up): unknown, reported at the end.
        let found = run(&[(C, rakp1(8, user)), (S, rakp2(8, 0, &code))]);
        assert_eq!(found[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn a_refused_name_and_other_digests() {
        assert!(run(&[(C, rakp1(1, b"nobody")), (S, rakp2(1, 0x0d, &[]))]).is_empty());
        let found = run(&[(C, rakp1(2, b"md5user")), (S, rakp2(2, 0, &[0x33; 16]))]);
        assert_eq!(found[0].mechanism, "RAKP-HMAC-MD5");
        assert!(found[0].hashcat.is_none());
        let found = run(&[(C, rakp1(3, b"u")), (S, rakp2(3, 0, &[0x33; 32]))]);
        assert_eq!(found[0].mechanism, "RAKP-HMAC-SHA256");
        // A Message 2 of another exchange (tag) is not matched.
        assert!(run(&[(C, rakp1(4, b"u")), (S, rakp2(5, 0, &[0x33; 20]))]).is_empty());
    }

    fn v15(
        auth_type: u8,
        session: u32,
        code: &[u8; 16],
        netfn: u8,
        cmd: u8,
        data: &[u8],
    ) -> Vec<u8> {
        let mut d = vec![0x06, 0x00, 0xff, 0x07, auth_type, 0, 0, 0, 0];
        d.extend_from_slice(&session.to_le_bytes());
        if auth_type != 0 {
            d.extend_from_slice(code);
        }
        let mut m = vec![0x20, netfn << 2, 0, 0x81, 0x04, cmd];
        m.extend_from_slice(data);
        m.push(0);
        d.push(m.len() as u8);
        d.extend_from_slice(&m);
        d
    }

    #[test]
    fn straight_password_of_ipmi_1_5() {
        let mut user = [0u8; 17];
        user[0] = 4;
        user[1..6].copy_from_slice(b"admin");
        let mut code = [0u8; 16];
        code[..8].copy_from_slice(b"Ipmi-pw1");
        for (completion, outcome) in [(0u8, Outcome::Success), (0x86, Outcome::Failure)] {
            let found = run(&[
                (C, v15(0, 0, &[0; 16], 0x06, GET_SESSION_CHALLENGE, &user)),
                (
                    S,
                    v15(0, 0, &[0; 16], 0x07, GET_SESSION_CHALLENGE, &[0; 21]),
                ),
                (
                    C,
                    v15(4, 0x0500, &code, 0x06, ACTIVATE_SESSION, &[4, 4, 0, 0]),
                ),
                (
                    S,
                    v15(4, 0x0500, &code, 0x07, ACTIVATE_SESSION, &[completion, 4]),
                ),
                (C, v15(4, 0x0500, &code, 0x06, 0x01, &[])),
            ]);
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].mechanism, "straight password");
            assert_eq!(found[0].username.as_deref(), Some(&b"admin"[..]));
            assert_eq!(found[0].secret.as_deref(), Some(&b"Ipmi-pw1"[..]));
            assert_eq!(found[0].outcome, outcome);
            assert!(found[0].repeats);
        }
        // MD5 authentication codes are not passwords.
        assert!(run(&[(C, v15(2, 0x0500, &code, 0x06, ACTIVATE_SESSION, &[2, 4]))]).is_empty());
    }

    #[test]
    fn probe_knows_rmcp() {
        assert_eq!(probe(&rakp1(1, b"u")), Probe::Yes);
        assert_eq!(
            probe(&[
                0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x00, 0x00, 0x00
            ]),
            Probe::Yes
        );
        assert_eq!(
            probe(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"),
            Probe::No
        );
        assert_eq!(probe(&[0x06, 0x00, 0xff, 0x07]), Probe::No);
    }

    proptest::proptest! {
        #[test]
        fn any_datagrams_never_panic(
            ds in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), 0..6),
            prefix in 0usize..3,
        ) {
            let heads: [&[u8]; 3] = [&[0x06, 0x00, 0xff, 0x07, 0x06], &[0x06, 0x00, 0xff, 0x07, 0x04], &[]];
            let datagrams: Vec<(Direction, Vec<u8>)> = ds
                .into_iter()
                .enumerate()
                .map(|(i, d)| (if i % 2 == 0 { C } else { S }, [heads[prefix], &d].concat()))
                .collect();
            let _ = run(&datagrams);
            for (_, d) in &datagrams {
                let _ = probe(d);
            }
        }
    }
}
