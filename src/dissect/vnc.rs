//! VNC: the Remote Framebuffer protocol (RFB, RFC 6143), versions 3.3, 3.7 and 3.8 (and
//! the later 3.8-like versions: Apple's 3.889, RealVNC's 4.x), up to the end of the
//! security handshake.
//!
//! - Security type 2, VNC Authentication: the server sends a 16-byte random challenge,
//!   the client answers with the challenge DES-encrypted under the password (at most 8
//!   characters, each key byte's bits reversed). Mechanism `VNC authentication`, kind
//!   challenge-response: `secret` is the response and `challenge` the challenge, both in
//!   lowercase hex, as for NTLM. hashcat has no mode for it; John the Ripper's `VNC`
//!   format takes `$vnc$*<challenge>*<response>` (uppercase hex, as vncpcap2john writes
//!   it): the `john` field (redacted like `hashcat` without `--reveal`).
//! - VeNCrypt (type 19) with the `Plain` sub-type (256, no TLS): the user name and the
//!   password in clear, mechanism `VeNCrypt Plain`; its `VncAuth` sub-type (2) is VNC
//!   Authentication as above. The TLS sub-types (and the TLS, RA2, Tight and other
//!   security types) end the inspection: nothing readable follows.
//! - Security type 1 (None) is no credential.
//!
//! The outcome is the `SecurityResult` word: 0 success, anything else failure; RFB 3.8
//! adds a reason string to a failure, kept in `details.reason`. The negotiated version
//! (the client's, RFC 6143 section 7.1.1) goes in `details.version`. Versions below 3.7
//! (and unknown ones) behave as 3.3, where the server imposes the security type. Only the
//! usual direction is handled: a "listening viewer" (the VNC server opening the TCP
//! connection, port 5500) is not.

use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, John, Kind, Outcome, hex};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "vnc",
    tcp_ports: &[5900, 5901, 5902, 5903, 5904, 5905],
    probe,
    new: |_config| Box::new(Vnc::default()),
};

pub const SECURITY_INVALID: u8 = 0;
pub const SECURITY_NONE: u8 = 1;
pub const SECURITY_VNC_AUTH: u8 = 2;
pub const SECURITY_VENCRYPT: u8 = 19;
pub const VENCRYPT_PLAIN: u32 = 256;

/// Longest handshake message buffered (a reason string, a VeNCrypt Plain login).
const MAX_MESSAGE: usize = 4096;

/// `RFB xxx.yyy\n`: the major and minor version numbers.
pub fn parse_version(d: &[u8]) -> Option<(u16, u16)> {
    let d = d.get(..12)?;
    if !d.starts_with(b"RFB ") || d[7] != b'.' || d[11] != b'\n' {
        return None;
    }
    let num = |s: &[u8]| -> Option<u16> {
        if s.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(s).ok()?.parse().ok()
        } else {
            None
        }
    };
    Some((num(&d[4..7])?, num(&d[8..11])?))
}

/// RFB when the server's first bytes are a `ProtocolVersion`.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_client.is_empty() {
        return if to_server.is_empty() {
            Probe::Maybe
        } else {
            Probe::No // the server speaks first
        };
    }
    let n = to_client.len().min(4);
    if to_client[..n] != b"RFB "[..n] {
        return Probe::No;
    }
    if to_client.len() < 12 {
        return Probe::Maybe;
    }
    if parse_version(to_client).is_some() {
        Probe::Yes
    } else {
        Probe::No
    }
}

/// The next message of the handshake: who sends it, and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    ServerVersion,
    ClientVersion,
    /// 3.3: the server's `u32` security type.
    SecurityType,
    /// 3.7+: the server's list of security types.
    SecurityTypes,
    /// 3.7+: the client's choice.
    ClientChoice,
    Challenge,
    Response,
    /// `SecurityResult`, and on a 3.8 failure its reason string.
    Result,
    Reason,
    VeServerVersion,
    VeClientVersion,
    VeAck,
    VeSubtypes,
    VeChoice,
    VePlain,
    /// The handshake is over (or cannot be followed).
    End,
}

impl Step {
    fn is_server_message(self) -> bool {
        matches!(
            self,
            Step::ServerVersion
                | Step::SecurityType
                | Step::SecurityTypes
                | Step::Challenge
                | Step::Result
                | Step::Reason
                | Step::VeServerVersion
                | Step::VeAck
                | Step::VeSubtypes
        )
    }
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

#[derive(Debug)]
pub struct Vnc {
    buf: [Vec<u8>; 2],
    frames: [Vec<u64>; 2],
    last_frame: [u64; 2],
    step: Step,
    /// The negotiated version (the client's).
    version: (u16, u16),
    challenge: Option<[u8; 16]>,
    /// The credential waiting for the `SecurityResult`.
    pending: Option<Credential>,
    ts: Timestamp,
}

impl Default for Vnc {
    fn default() -> Self {
        Vnc {
            buf: [Vec::new(), Vec::new()],
            frames: [Vec::new(), Vec::new()],
            last_frame: [0; 2],
            step: Step::ServerVersion,
            version: (3, 3),
            challenge: None,
            pending: None,
            ts: Timestamp::ZERO,
        }
    }
}

impl Vnc {
    /// RFB 3.7 and later: security type lists, a client choice.
    fn v37(&self) -> bool {
        self.version >= (3, 7)
    }

    fn v38(&self) -> bool {
        self.version >= (3, 8)
    }

    /// How many bytes the current message takes, if they are all there.
    fn message_len(&self) -> Option<usize> {
        let d = &self.buf[usize::from(self.step.is_server_message())];
        let need = match self.step {
            Step::ServerVersion | Step::ClientVersion => 12,
            Step::SecurityType => match u32_at(d, 0)? {
                0 => 8 + u32_at(d, 4)? as usize, // invalid: a reason string
                _ => 4,
            },
            Step::SecurityTypes => match *d.first()? {
                0 => 5 + u32_at(d, 1)? as usize,
                n => 1 + usize::from(n),
            },
            Step::ClientChoice | Step::VeAck => 1,
            Step::Challenge | Step::Response => 16,
            Step::Result | Step::VeChoice => 4,
            Step::Reason => 4 + u32_at(d, 0)? as usize,
            Step::VeServerVersion | Step::VeClientVersion => 2,
            Step::VeSubtypes => 1 + 4 * usize::from(*d.first()?),
            Step::VePlain => 8 + u32_at(d, 0)? as usize + u32_at(d, 4)? as usize,
            Step::End => return None,
        };
        if need > MAX_MESSAGE {
            return Some(usize::MAX);
        }
        (d.len() >= need).then_some(need)
    }

    /// Follows the handshake as far as the buffered bytes go.
    fn advance(&mut self, out: &mut Vec<Credential>) {
        while let Some(len) = self.message_len() {
            if len == usize::MAX {
                self.step = Step::End;
                break;
            }
            let side = usize::from(self.step.is_server_message());
            let msg: Vec<u8> = self.buf[side].drain(..len).collect();
            let frames = std::mem::take(&mut self.frames[side]);
            if !self.buf[side].is_empty() {
                self.frames[side].push(self.last_frame[side]);
            }
            self.step = self.message(&msg, &frames, out);
        }
    }

    /// Handles one whole message; returns the next step.
    fn message(&mut self, m: &[u8], frames: &[u64], out: &mut Vec<Credential>) -> Step {
        match self.step {
            Step::ServerVersion => match parse_version(m) {
                Some(v) => {
                    self.version = v;
                    Step::ClientVersion
                }
                None => Step::End,
            },
            Step::ClientVersion => match parse_version(m) {
                Some(v) => {
                    // The client picks a version no higher than the server's.
                    self.version = v.min(self.version);
                    if self.v37() {
                        Step::SecurityTypes
                    } else {
                        Step::SecurityType
                    }
                }
                None => Step::End,
            },
            Step::SecurityType => match u32_at(m, 0) {
                Some(2) => Step::Challenge,
                _ => Step::End,
            },
            Step::SecurityTypes => {
                if m.first() == Some(&0) {
                    Step::End
                } else {
                    Step::ClientChoice
                }
            }
            Step::ClientChoice => match m.first() {
                Some(&SECURITY_VNC_AUTH) => Step::Challenge,
                Some(&SECURITY_VENCRYPT) => Step::VeServerVersion,
                // None (no credential), or a type whose exchange is encrypted or
                // not followed here.
                _ => Step::End,
            },
            Step::Challenge => {
                self.challenge = m.try_into().ok();
                Step::Response
            }
            Step::Response => {
                let mut c = Credential::new(
                    "vnc",
                    "VNC authentication",
                    Kind::ChallengeResponse,
                    self.ts,
                );
                c.secret = Some(hex(m).into_bytes());
                c.challenge = self.challenge.map(|ch| hex(&ch).into_bytes());
                if let Some(ch) = self.challenge {
                    c.john = Some(John {
                        format: "VNC",
                        hash: format!(
                            "$vnc$*{}*{}",
                            hex(&ch).to_ascii_uppercase(),
                            hex(m).to_ascii_uppercase()
                        ),
                    });
                }
                c.add_frames(frames.iter().copied());
                self.pending = Some(c);
                Step::Result
            }
            Step::Result => {
                let result = u32_at(m, 0).unwrap_or(1);
                let outcome = if result == 0 {
                    Outcome::Success
                } else {
                    Outcome::Failure
                };
                if let Some(c) = self.pending.as_mut() {
                    c.outcome = outcome;
                }
                if outcome == Outcome::Failure && self.v38() {
                    return Step::Reason;
                }
                self.report(out);
                Step::End
            }
            Step::Reason => {
                if let Some(c) = self.pending.as_mut() {
                    let reason = String::from_utf8_lossy(m.get(4..).unwrap_or_default());
                    if !reason.is_empty() {
                        c.details.push(("reason", reason.into_owned()));
                    }
                }
                self.report(out);
                Step::End
            }
            Step::VeServerVersion => Step::VeClientVersion,
            Step::VeClientVersion => {
                if m == [0, 2] {
                    Step::VeAck
                } else {
                    Step::End // VeNCrypt 0.1, or a refusal
                }
            }
            Step::VeAck => {
                if m == [0] {
                    Step::VeSubtypes
                } else {
                    Step::End
                }
            }
            Step::VeSubtypes => Step::VeChoice,
            Step::VeChoice => match u32_at(m, 0) {
                Some(VENCRYPT_PLAIN) => Step::VePlain,
                Some(2) => Step::Challenge,
                _ => Step::End, // TLS or X509 sub-types
            },
            Step::VePlain => {
                let (ulen, plen) = (
                    u32_at(m, 0).unwrap_or(0) as usize,
                    u32_at(m, 4).unwrap_or(0) as usize,
                );
                let mut c = Credential::new("vnc", "VeNCrypt Plain", Kind::Cleartext, self.ts);
                c.username = m.get(8..8 + ulen).map(<[u8]>::to_vec);
                c.secret = m.get(8 + ulen..8 + ulen + plen).map(<[u8]>::to_vec);
                c.add_frames(frames.iter().copied());
                self.pending = Some(c);
                Step::Result
            }
            Step::End => Step::End,
        }
    }

    fn report(&mut self, out: &mut Vec<Credential>) {
        if let Some(mut c) = self.pending.take() {
            c.details
                .push(("version", format!("{}.{}", self.version.0, self.version.1)));
            out.push(c);
        }
    }
}

impl Dissector for Vnc {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.step == Step::End {
            return;
        }
        let i = dir.index();
        let room = MAX_MESSAGE.saturating_sub(self.buf[i].len());
        if room == 0 {
            self.step = Step::End;
            self.report(out);
            return;
        }
        self.buf[i].extend_from_slice(&chunk.data[..chunk.data.len().min(room)]);
        if self.frames[i].last() != Some(&chunk.frame) {
            self.frames[i].push(chunk.frame);
        }
        self.last_frame[i] = chunk.frame;
        self.ts = chunk.ts;
        self.advance(out);
        if self.step == Step::End {
            self.buf = [Vec::new(), Vec::new()];
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        // A handshake with a hole cannot be followed; a response already seen keeps an
        // unknown outcome.
        if self.step != Step::End {
            if let Some(c) = self.pending.as_mut() {
                c.outcome = Outcome::Unknown;
            }
            self.report(out);
            self.step = Step::End;
            self.buf = [Vec::new(), Vec::new()];
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.report(out);
    }

    fn done(&self) -> bool {
        self.step == Step::End && self.pending.is_none()
    }

    fn buffered(&self) -> usize {
        self.buf.iter().map(Vec::capacity).sum::<usize>()
            + self.frames.iter().map(|f| f.capacity() * 8).sum::<usize>()
            + self.pending.as_ref().map_or(0, |_| 128)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::script::unhex;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Vnc::default(), script).0
    }

    #[test]
    fn rfb_3_3_type_and_challenge_in_one_segment() {
        // john-samples 06-vnc-Password-3.3-mini.pcap.
        let server = unhex("00000002263cd2330c2902a68c88aae131ba552c");
        let response = unhex("3f0526502c716d0ed6a7de026af40c5a");
        let out = run(&[
            (S, b"RFB 003.003\n"),
            (C, b"RFB 003.003\n"),
            (S, &server),
            (C, &response),
            (S, b"\0\0\0\0"),
            (C, b"\0"),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username, None);
        assert_eq!(
            c.secret.as_deref(),
            Some(&b"3f0526502c716d0ed6a7de026af40c5a"[..])
        );
        assert_eq!(
            c.challenge.as_deref(),
            Some(&b"263cd2330c2902a68c88aae131ba552c"[..])
        );
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![4]);
        assert_eq!(c.detail("version"), Some("3.3"));
        let john = c.john.as_ref().unwrap();
        assert_eq!(john.format, "VNC");
        assert_eq!(
            john.hash,
            "$vnc$*263CD2330C2902A68C88AAE131BA552C*3F0526502C716D0ED6A7DE026AF40C5A"
        );
    }

    #[test]
    fn rfb_3_8_failure_with_reason_and_3_7_without() {
        let ch = [7u8; 16];
        let resp = [9u8; 16];
        let out = run(&[
            (S, b"RFB 003.008\n"),
            (C, b"RFB 003.008\n"),
            (S, b"\x02\x02\x10"),
            (C, b"\x02"),
            (S, &ch),
            (C, &resp),
            (S, b"\0\0\0\x01\0\0\0\x15Authentication failed"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].detail("reason"), Some("Authentication failed"));
        assert_eq!(out[0].detail("version"), Some("3.8"));
        // 3.7: no reason string; the client's older version wins.
        let out = run(&[
            (S, b"RFB 003.008\n"),
            (C, b"RFB 003.007\n"),
            (S, b"\x01\x02"),
            (C, b"\x02"),
            (S, &ch),
            (C, &resp[..5]),
            (C, &resp[5..]),
            (S, b"\0\0\0\x01"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![6, 7]);
        assert_eq!(out[0].detail("version"), Some("3.7"));
    }

    #[test]
    fn none_security_and_refusals_give_nothing() {
        assert!(
            run(&[
                (S, b"RFB 003.008\n"),
                (C, b"RFB 003.008\n"),
                (S, b"\x01\x01"),
                (C, b"\x01"),
                (S, b"\0\0\0\0"),
            ])
            .is_empty()
        );
        assert!(
            run(&[
                (S, b"RFB 003.003\n"),
                (C, b"RFB 003.003\n"),
                (S, b"\0\0\0\x00\0\0\0\x0etoo many tries"),
            ])
            .is_empty()
        );
    }

    #[test]
    fn vencrypt_plain_and_tls() {
        let mut plain = 5u32.to_be_bytes().to_vec();
        plain.extend(7u32.to_be_bytes());
        plain.extend(b"aliceP4ss!wd");
        let out = run(&[
            (S, b"RFB 003.008\n"),
            (C, b"RFB 003.008\n"),
            (S, b"\x01\x13"),
            (C, b"\x13"),
            (S, b"\x00\x02"),
            (C, b"\x00\x02"),
            (S, b"\x00\x02\x00\x00\x01\x00\x00\x00\x01\x03"),
            (C, b"\x00\x00\x01\x00"),
            (C, &plain),
            (S, b"\0\0\0\0"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "VeNCrypt Plain");
        assert_eq!(out[0].username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"P4ss!wd"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        let out = run(&[
            (S, b"RFB 003.008\n"),
            (C, b"RFB 003.008\n"),
            (S, b"\x01\x13"),
            (C, b"\x13"),
            (S, b"\x00\x02"),
            (C, b"\x00\x02"),
            (S, b"\x00\x01\x00\x00\x01\x03"),
            (C, b"\x00\x00\x01\x03"),
            (C, b"\x16\x03\x01\x00\x05hello"),
        ]);
        assert!(out.is_empty());
    }

    #[test]
    fn no_result_is_unknown() {
        let out = run(&[
            (S, b"RFB 003.008\n"),
            (C, b"RFB 003.008\n"),
            (S, b"\x01\x02"),
            (C, b"\x02"),
            (S, &[1; 16]),
            (C, &[2; 16]),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"", b"RFB 003.008\n"), Probe::Yes);
        assert_eq!(probe(b"", b"RFB"), Probe::Maybe);
        assert_eq!(probe(b"", b"RFB 00x.008\n"), Probe::No);
        assert_eq!(probe(b"", b"SSH-2.0-OpenSSH\r\n"), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"\x16\x03\x01", b""), Probe::No);
    }

    #[test]
    fn garbage_never_panics() {
        let script: Vec<&[u8]> = vec![
            b"RFB 003.008\n",
            b"RFB 003.008\n",
            b"\x00\xff\xff\xff\xff",
            b"\x13",
            b"\x00\x02\x00\xff",
            b"\xff\xff\xff\xff\xff\xff\xff\xff",
        ];
        for n in 0..script.len() {
            let s: Vec<(Direction, &[u8])> = script[..n]
                .iter()
                .enumerate()
                .map(|(i, d)| (if i % 2 == 0 { S } else { C }, *d))
                .collect();
            let _ = run(&s);
        }
    }
}
