//! SMPP, the Short Message Peer-to-Peer protocol (SMPP v3.3, v3.4, v5.0), TCP 2775 and
//! any port by content: how applications and SMS gateways (Kannel, Jasmin, a bank's or
//! a shop's notification service) log in to an operator's or aggregator's SMSC.
//!
//! An ESME opens its session with `bind_transmitter`, `bind_receiver` or
//! `bind_transceiver`: its `system_id` and `password` in clear (NUL-terminated strings
//! of at most 16 and 9 bytes), with its `system_type` and interface version. An SMSC may
//! first call the ESME with `outbind`, which carries the same two fields the other way.
//!
//! Reported: mechanism the PDU's name, kind `cleartext`, the `system_id` as the user name,
//! `details.system_type`, `details.interface_version` (`3.4`...). **Outcome**: the
//! `bind_*_resp`'s `command_status` — 0 `ESME_ROK` is `success`, anything else `failure`
//! with its name in `details.reason` (`ESME_RINVPASWD`, `ESME_RINVSYSID`,
//! `ESME_RBINDFAIL`...); a `generic_nack` refuses it too. `outbind` is answered by a bind
//! of the ESME's own: `unknown`. The session's messages after the bind are not read.

use super::prefixed::{Framed, Head, Messages};
use super::{Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "smpp",
    tcp_ports: &[2775],
    probe,
    new: |_config| Box::<Smpp>::default(),
};

const HEADER: usize = 16;
pub const BIND_RECEIVER: u32 = 0x0000_0001;
pub const BIND_TRANSMITTER: u32 = 0x0000_0002;
pub const BIND_TRANSCEIVER: u32 = 0x0000_0009;
pub const OUTBIND: u32 = 0x0000_000b;
pub const GENERIC_NACK: u32 = 0x8000_0000;
/// A response's command ID: the request's with the high bit set.
pub const RESPONSE: u32 = 0x8000_0000;
/// The longest bind PDU: the header, system_id 16, password 9, system_type 13, three
/// octets, address_range 41 (v5.0 may add TLVs after a bind response only).
const MAX_BIND: usize = HEADER + 16 + 9 + 13 + 3 + 41;
/// Longest PDU buffered (a bind response with its TLVs); longer ones are passed over.
const MAX_MESSAGE: usize = 4096;

/// An SMPP PDU's header: (command_length, command_id, command_status, sequence_number).
pub fn header(p: &[u8]) -> Option<(usize, u32, u32, u32)> {
    let word = |i: usize| u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
    if p.len() < HEADER {
        return None;
    }
    Some((word(0) as usize, word(4), word(8), word(12)))
}

fn head(p: &[u8]) -> Head {
    match p.get(..4) {
        None => Head::Incomplete,
        Some(l) => match u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize {
            len if len < HEADER => Head::Invalid,
            len => Head::Message(len),
        },
    }
}

fn start(p: &[u8]) -> Probe {
    match header(p) {
        None => Probe::Maybe,
        Some((len, id, _, _))
            if (HEADER..=MAX_MESSAGE).contains(&len) && (id & !RESPONSE) < 0x0200 =>
        {
            Probe::Yes
        }
        Some(_) => Probe::No,
    }
}

/// A C-Octet String of at most `max` bytes with its NUL: the string and what follows.
fn c_string(p: &[u8], max: usize) -> Option<(&[u8], &[u8])> {
    let end = p.iter().take(max).position(|&b| b == 0)?;
    Some((&p[..end], &p[end + 1..]))
}

/// The fields of a bind or outbind PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind<'a> {
    pub command: u32,
    pub sequence: u32,
    pub system_id: &'a [u8],
    pub password: &'a [u8],
    /// `None` for outbind.
    pub system_type: Option<&'a [u8]>,
    pub interface_version: Option<u8>,
}

/// A bind (or outbind) PDU: `None` for anything else or a malformed one.
pub fn parse_bind(p: &[u8]) -> Option<Bind<'_>> {
    let (len, command, status, sequence) = header(p)?;
    if len != p.len() || len > MAX_BIND || status != 0 {
        return None;
    }
    let body = &p[HEADER..];
    let (system_id, rest) = c_string(body, 16)?;
    let (password, rest) = c_string(rest, 9)?;
    match command {
        BIND_RECEIVER | BIND_TRANSMITTER | BIND_TRANSCEIVER => {
            let (system_type, rest) = c_string(rest, 13)?;
            let (&version, rest) = rest.split_first()?;
            // addr_ton, addr_npi, then address_range.
            c_string(rest.get(2..)?, 41)?;
            Some(Bind {
                command,
                sequence,
                system_id,
                password,
                system_type: Some(system_type),
                interface_version: Some(version),
            })
        }
        OUTBIND => Some(Bind {
            command,
            sequence,
            system_id,
            password,
            system_type: None,
            interface_version: None,
        }),
        _ => None,
    }
}

/// Whether `p` starts with one of `commands`, well formed (bind or outbind PDUs).
fn judge(p: &[u8], commands: &[u32]) -> Probe {
    if let Some(l) = p.get(..4) {
        let len = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
        if !(HEADER + 2..=MAX_BIND).contains(&len) {
            return Probe::No;
        }
    }
    if let Some(c) = p.get(4..8)
        && !commands.contains(&u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    {
        return Probe::No;
    }
    match header(p) {
        Some((len, ..)) if p.len() >= len => {
            if parse_bind(&p[..len]).is_some() {
                Probe::Yes
            } else {
                Probe::No
            }
        }
        _ => Probe::Maybe,
    }
}

/// SMPP on any port: the first PDU of the side that connected is a well-formed bind (an
/// ESME's) or outbind (an SMSC calling its ESME).
pub fn probe(to_server: &[u8], _to_client: &[u8]) -> Probe {
    judge(
        to_server,
        &[BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER, OUTBIND],
    )
}

fn command_name(command: u32) -> &'static str {
    match command {
        BIND_RECEIVER => "bind_receiver",
        BIND_TRANSMITTER => "bind_transmitter",
        BIND_TRANSCEIVER => "bind_transceiver",
        _ => "outbind",
    }
}

/// The name of a `command_status` refusing a bind (SMPP v3.4 section 5.1.3).
fn status_name(status: u32) -> String {
    match status {
        0x05 => "ESME_RALYBND".to_string(),
        0x08 => "ESME_RSYSERR".to_string(),
        0x0d => "ESME_RBINDFAIL".to_string(),
        0x0e => "ESME_RINVPASWD".to_string(),
        0x0f => "ESME_RINVSYSID".to_string(),
        0x58 => "ESME_RTHROTTLED".to_string(),
        s => format!("0x{s:08x}"),
    }
}

#[derive(Debug, Default)]
pub struct Session {
    /// Binds awaiting their response: (sequence, command, finding, the bind's direction).
    pending: Vec<(u32, u32, Credential, Direction)>,
    /// A bind was answered: nothing more is read.
    bound: bool,
}

impl Messages for Session {
    fn message(
        &mut self,
        dir: Direction,
        p: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let Some((_, command, status, sequence)) = header(p) else {
            return;
        };
        if let Some(bind) = parse_bind(p) {
            if self.pending.len() >= 4 {
                return;
            }
            let mut c = Credential::new("smpp", command_name(bind.command), Kind::Cleartext, ts);
            c.username = Some(bind.system_id.to_vec());
            c.secret = Some(bind.password.to_vec());
            if let Some(t) = bind.system_type.filter(|t| !t.is_empty()) {
                c.details
                    .push(("system_type", String::from_utf8_lossy(t).into_owned()));
            }
            if let Some(v) = bind.interface_version {
                c.details
                    .push(("interface_version", format!("{}.{}", v >> 4, v & 0xf)));
            }
            c.add_frames(frames.iter().copied());
            // An SMSC that connected to its ESME sent an outbind; the ESME binds back
            // from the accepting side, which then sent the credential.
            c.sent_by_server = dir == Direction::ToClient;
            if bind.command == OUTBIND {
                // Answered by a bind of the ESME's own: no verdict on this one.
                out.push(c);
            } else {
                self.pending.push((sequence, bind.command, c, dir));
            }
            return;
        }
        let answered = self.pending.iter().position(|(seq, cmd, _, from)| {
            *seq == sequence
                && *from != dir
                && (command == cmd | RESPONSE || command == GENERIC_NACK)
        });
        if let Some(i) = answered {
            let (_, _, mut c, _) = self.pending.remove(i);
            c.outcome = if status == 0 && command != GENERIC_NACK {
                Outcome::Success
            } else {
                c.details.push(("reason", status_name(status)));
                Outcome::Failure
            };
            c.add_frames(frames.iter().copied());
            out.push(c);
            self.bound |= status == 0;
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        out.extend(self.pending.drain(..).map(|(_, _, c, _)| c));
    }

    fn done(&self) -> bool {
        self.bound && self.pending.is_empty()
    }

    fn buffered(&self) -> usize {
        self.pending.len() * 256
    }
}

/// The SMPP dissector of one connection.
pub type Smpp = Framed<Session>;

impl Default for Smpp {
    fn default() -> Self {
        Framed::new(head, start, MAX_MESSAGE, Session::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::Dissector;
    use crate::dissect::script::{play, summary, unhex};
    use Direction::{ToClient as S, ToServer as C};

    fn pdu(command: u32, status: u32, sequence: u32, body: &[u8]) -> Vec<u8> {
        let len = u32::try_from(HEADER + body.len()).unwrap();
        [
            &len.to_be_bytes()[..],
            &command.to_be_bytes(),
            &status.to_be_bytes(),
            &sequence.to_be_bytes(),
            body,
        ]
        .concat()
    }

    fn bind(command: u32, sequence: u32, id: &str, pw: &str) -> Vec<u8> {
        let body = [
            id.as_bytes(),
            b"\0",
            pw.as_bytes(),
            b"\0",
            b"VMA\0",
            &[0x34, 1, 1],
            b"\0",
        ]
        .concat();
        pdu(command, 0, sequence, &body)
    }

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        play(&mut Smpp::default(), script).0
    }

    /// Kannel 1.4.5's bind_transmitter (system_id `shopnotify`, password `Sms-pw9`) and
    /// drive_smpp's answer, as captured by tests/e2e/real-smpp.sh.
    const KANNEL_BIND: &str = concat!(
        "0000002b00000002000000000000000173686f706e6f7469667900536d732d707739",
        "00564d410034000000"
    );
    const DRIVE_SMPP_RESP: &str = "0000001180000002000000000000000100";

    #[test]
    fn kannel_bind_accepted() {
        let out = run(&[(C, unhex(KANNEL_BIND)), (S, unhex(DRIVE_SMPP_RESP))]);
        assert_eq!(
            summary(&out),
            vec![(
                "bind_transmitter",
                &b"shopnotify"[..],
                &b"Sms-pw9"[..],
                Outcome::Success
            )]
        );
        assert_eq!(out[0].detail("system_type"), Some("VMA"));
        assert_eq!(out[0].detail("interface_version"), Some("3.4"));
        assert_eq!(out[0].frames, vec![1, 2]);
        assert_eq!(probe(&unhex(KANNEL_BIND), b""), Probe::Yes);
    }

    #[test]
    fn refusals_by_status_and_generic_nack() {
        let out = run(&[
            (C, bind(BIND_TRANSCEIVER, 7, "esme1", "wrong")),
            (S, pdu(BIND_TRANSCEIVER | RESPONSE, 0x0e, 7, b"smsc\0")),
            (C, bind(BIND_RECEIVER, 8, "esme2", "pw2")),
            (S, pdu(GENERIC_NACK, 0x03, 8, b"")),
            (C, bind(BIND_TRANSMITTER, 9, "esme1", "right")),
            // Another sequence number answers nothing; then the real answer.
            (S, pdu(BIND_TRANSMITTER | RESPONSE, 0, 99, b"smsc\0")),
            (S, pdu(BIND_TRANSMITTER | RESPONSE, 0, 9, b"smsc\0")),
        ]);
        assert_eq!(
            summary(&out),
            vec![
                (
                    "bind_transceiver",
                    &b"esme1"[..],
                    &b"wrong"[..],
                    Outcome::Failure
                ),
                (
                    "bind_receiver",
                    &b"esme2"[..],
                    &b"pw2"[..],
                    Outcome::Failure
                ),
                (
                    "bind_transmitter",
                    &b"esme1"[..],
                    &b"right"[..],
                    Outcome::Success
                ),
            ]
        );
        assert_eq!(out[0].detail("reason"), Some("ESME_RINVPASWD"));
        assert_eq!(out[1].detail("reason"), Some("0x00000003"));
        // Bound: nothing more is read.
        let mut d = Smpp::default();
        let (_, _) = play(
            &mut d,
            &[
                (C, bind(BIND_TRANSMITTER, 1, "a", "b")),
                (S, pdu(BIND_TRANSMITTER | RESPONSE, 0, 1, b"\0")),
            ],
        );
        assert!(d.done());
    }

    #[test]
    fn outbind_then_the_esme_binds_from_the_accepting_side() {
        let out = run(&[
            (C, pdu(OUTBIND, 0, 1, b"smsc-7\0Out-pw\0")),
            (S, bind(BIND_RECEIVER, 1, "esme", "Esme-pw")),
            (C, pdu(BIND_RECEIVER | RESPONSE, 0, 1, b"smsc-7\0")),
        ]);
        assert_eq!(
            summary(&out),
            vec![
                ("outbind", &b"smsc-7"[..], &b"Out-pw"[..], Outcome::Unknown),
                (
                    "bind_receiver",
                    &b"esme"[..],
                    &b"Esme-pw"[..],
                    Outcome::Success
                ),
            ]
        );
        assert!(!out[0].sent_by_server);
        assert!(out[1].sent_by_server);
    }

    #[test]
    fn any_split_and_what_is_not_a_bind() {
        let a = bind(BIND_TRANSCEIVER, 3, "sys", "p@ss");
        let r = pdu(BIND_TRANSCEIVER | RESPONSE, 0, 3, b"x\0");
        for cut in 0..a.len() {
            let out = run(&[
                (C, a[..cut].to_vec()),
                (C, a[cut..].to_vec()),
                (S, r.clone()),
            ]);
            assert_eq!(
                summary(&out),
                vec![(
                    "bind_transceiver",
                    &b"sys"[..],
                    &b"p@ss"[..],
                    Outcome::Success
                )]
            );
        }
        // Fields longer than the specification allows, unterminated, a non-zero status.
        assert!(parse_bind(&bind(BIND_TRANSMITTER, 1, "seventeen-chars-x", "pw")).is_none());
        assert!(parse_bind(&bind(BIND_TRANSMITTER, 1, "id", "ten-chars!")).is_none());
        assert!(parse_bind(&pdu(BIND_TRANSMITTER, 0, 1, b"id\0pw")).is_none());
        assert!(parse_bind(&pdu(BIND_TRANSMITTER, 5, 1, b"id\0pw\0t\0\x34\0\0\0")).is_none());
        assert_eq!(probe(&a[..6], b""), Probe::Maybe);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(&pdu(0x04, 0, 1, &[0; 40]), b""), Probe::No);
        assert_eq!(
            probe(&pdu(BIND_TRANSMITTER, 0, 1, &[b'a'; 30]), b""),
            Probe::No
        );
    }
}
