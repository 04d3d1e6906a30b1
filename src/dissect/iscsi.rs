//! iSCSI (RFC 7143), TCP 3260: CHAP authentication in the login phase.
//!
//! During login the initiator and the target exchange Login Request (opcode 0x03) and
//! Login Response (0x23) PDUs whose data segments hold `key=value` pairs. With
//! `AuthMethod=CHAP` (RFC 1994, section 12.1 of RFC 7143) the target sends `CHAP_I` (an
//! identifier) and `CHAP_C` (the challenge), the initiator answers `CHAP_N` (its name) and
//! `CHAP_R` = MD5(identifier, secret, challenge): crackable offline (hashcat 4800,
//! `response:challenge:identifier`). Mechanism `CHAP`, kind `challenge-response`. The
//! Login Response after it decides: status class 0 success, 2 (initiator error:
//! authentication failure, 0x0201) failure.
//!
//! Mutual CHAP: the initiator sends its own `CHAP_I` and `CHAP_C` with its answer, and the
//! target proves itself with `CHAP_N` and `CHAP_R` under the target's secret (the
//! "outgoing" account): a second credential, mechanism `mutual CHAP`, the target's side
//! (the finding's client is the target). The initiator decides: going on with the login
//! (or the session) accepts it, hanging up refuses it. Digests are not in force during
//! login.

use super::framing::{Framer, Measure};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "iscsi",
    tcp_ports: &[3260],
    probe,
    new: |_config| Box::new(Iscsi::default()),
};

pub const OP_LOGIN_REQUEST: u8 = 0x03;
pub const OP_LOGIN_RESPONSE: u8 = 0x23;
const BHS: usize = 48;
/// Longest login PDU read (its text keys are short; a larger PDU ends the inspection).
const MAX_PDU: usize = 64 * 1024;

/// A PDU's opcode and total length (header, additional headers, padded data) at the start
/// of `d`, once its header is there.
fn pdu_len(d: &[u8]) -> Option<(u8, usize)> {
    let h = d.get(..BHS)?;
    let ahs = usize::from(h[4]) * 4;
    let data = usize::from(h[5]) << 16 | usize::from(h[6]) << 8 | usize::from(h[7]);
    Some((h[0] & 0x3f, BHS + ahs + data.div_ceil(4) * 4))
}

/// A login PDU's data segment.
fn login_data(pdu: &[u8]) -> &[u8] {
    let ahs = usize::from(pdu[4]) * 4;
    let len = usize::from(pdu[5]) << 16 | usize::from(pdu[6]) << 8 | usize::from(pdu[7]);
    pdu.get(BHS + ahs..BHS + ahs + len).unwrap_or_default()
}

/// The value of `key` among a data segment's NUL-separated `key=value` pairs.
pub fn text_value<'a>(data: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    data.split(|&b| b == 0).find_map(|kv| {
        let eq = kv.iter().position(|&b| b == b'=')?;
        (&kv[..eq] == key).then(|| &kv[eq + 1..])
    })
}

/// A CHAP binary value: `0x` hex (RFC 7143 also allows `0b` base64, read too).
pub fn binary_value(v: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let (prefix, body) = v.split_at_checked(2)?;
    match prefix {
        b"0x" | b"0X" => {
            if !body.len().is_multiple_of(2) || body.is_empty() {
                return None;
            }
            body.chunks(2)
                .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
                .collect()
        }
        b"0b" | b"0B" => super::sasl::BASE64.decode(body).ok(),
        _ => None,
    }
}

/// iSCSI when the initiator opens with a Login Request whose data holds text keys.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    // Opcode 0x03 with the Immediate bit (0x43), then the Transit/Continue/stage flags.
    if to_server[0] & 0x3f != OP_LOGIN_REQUEST {
        return Probe::No;
    }
    let Some((_, len)) = pdu_len(to_server) else {
        return Probe::Maybe;
    };
    if len > MAX_PDU {
        return Probe::No;
    }
    let Some(pdu) = to_server.get(..len) else {
        return Probe::Maybe;
    };
    let data = login_data(pdu);
    if text_value(data, b"InitiatorName").is_some() || text_value(data, b"AuthMethod").is_some() {
        Probe::Yes
    } else {
        Probe::No
    }
}

#[derive(Debug)]
pub struct Iscsi {
    framers: [Framer; 2],
    /// The target's CHAP identifier and challenge.
    challenge: Option<(u8, Vec<u8>)>,
    /// The initiator's (mutual CHAP).
    reverse: Option<(u8, Vec<u8>)>,
    pending: Option<Box<Credential>>,
    /// The target's mutual CHAP answer, until the initiator goes on or hangs up.
    mutual: Option<Box<Credential>>,
    done: bool,
}

impl Default for Iscsi {
    fn default() -> Iscsi {
        Iscsi {
            framers: [Framer::new(MAX_PDU), Framer::new(MAX_PDU)],
            challenge: None,
            reverse: None,
            pending: None,
            mutual: None,
            done: false,
        }
    }
}

impl Iscsi {
    fn request(&mut self, pdu: &[u8], frames: Vec<u64>, ts: Timestamp) {
        let data = login_data(pdu);
        let (Some(name), Some(response)) = (
            text_value(data, b"CHAP_N"),
            text_value(data, b"CHAP_R").and_then(binary_value),
        ) else {
            return;
        };
        self.reverse = chap_challenge(data);
        let c = credential("CHAP", name, &response, self.challenge.as_ref(), frames, ts);
        self.pending = Some(Box::new(c));
    }

    fn response(&mut self, pdu: &[u8], frames: Vec<u64>, ts: Timestamp, out: &mut Vec<Credential>) {
        let data = login_data(pdu);
        if self.pending.is_none()
            && let Some(challenge) = chap_challenge(data)
        {
            self.challenge = Some(challenge);
            return;
        }
        let Some(mut c) = self.pending.take() else {
            return;
        };
        c.outcome = match pdu[36] {
            0 => Outcome::Success,
            2 if pdu[37] == 1 => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        let accepted = c.outcome == Outcome::Success;
        out.push(*c);
        self.done = true;
        // The target's proof, when the initiator asked for one.
        if let (true, Some(reverse), Some(name), Some(answer)) = (
            accepted,
            self.reverse.take(),
            text_value(data, b"CHAP_N"),
            text_value(data, b"CHAP_R").and_then(binary_value),
        ) {
            let mut m = credential("mutual CHAP", name, &answer, Some(&reverse), frames, ts);
            m.sent_by_server = true;
            self.mutual = Some(Box::new(m));
            self.done = false;
        }
    }

    /// The initiator's verdict on the target's mutual CHAP answer.
    fn mutual(&mut self, outcome: Outcome, out: &mut Vec<Credential>) {
        if let Some(mut m) = self.mutual.take() {
            m.outcome = outcome;
            out.push(*m);
            self.done = true;
        }
    }
}

/// The `CHAP_I` and `CHAP_C` of a data segment.
fn chap_challenge(data: &[u8]) -> Option<(u8, Vec<u8>)> {
    Some((
        std::str::from_utf8(text_value(data, b"CHAP_I")?)
            .ok()?
            .parse()
            .ok()?,
        text_value(data, b"CHAP_C").and_then(binary_value)?,
    ))
}

/// A CHAP answer (`CHAP_N`, `CHAP_R`) to `challenge` (identifier and challenge) as a
/// finding, with hashcat's 4800 line when the challenge is known.
fn credential(
    mechanism: &'static str,
    name: &[u8],
    response: &[u8],
    challenge: Option<&(u8, Vec<u8>)>,
    frames: Vec<u64>,
    ts: Timestamp,
) -> Credential {
    let mut c = Credential::new("iscsi", mechanism, Kind::ChallengeResponse, ts);
    c.username = Some(name.to_vec());
    c.secret = Some(hex(response).into_bytes());
    c.add_frames(frames);
    if let Some((id, challenge)) = challenge {
        c.challenge = Some(hex(challenge).into_bytes());
        c.hashcat = Some(Hashcat {
            mode: 4800,
            hash: format!("{}:{}:{:02x}", hex(response), hex(challenge), id),
            hex_salt: false,
        });
    }
    c
}

impl Dissector for Iscsi {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if dir == Direction::ToServer && self.mutual.is_some() {
            // The initiator goes on: it took the target's answer.
            self.mutual(Outcome::Success, out);
        }
        if self.done {
            return;
        }
        let i = dir.index();
        let login = match dir {
            Direction::ToServer => OP_LOGIN_REQUEST,
            Direction::ToClient => OP_LOGIN_RESPONSE,
        };
        self.framers[i].push(chunk);
        while !self.done {
            let measure = |b: &[u8]| match pdu_len(b) {
                // Past the login phase (or not iSCSI): out of step for this reader.
                Some((op, _)) if op != login => Measure::Invalid,
                Some((_, len)) => Measure::Total(len),
                None => Measure::More,
            };
            // Login PDUs are few and small: copied out of the framer to be read.
            let Some(msg) = self.framers[i].next(measure) else {
                if self.framers[i].is_lost() {
                    // What is pending keeps its outcome so far.
                    self.close(out);
                    self.done = true;
                }
                break;
            };
            let (pdu, frames) = (msg.bytes.to_vec(), msg.frames);
            match dir {
                Direction::ToServer => self.request(&pdu, frames, chunk.ts),
                Direction::ToClient => self.response(&pdu, frames, chunk.ts, out),
            }
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        self.close(out);
        for f in &mut self.framers {
            f.lose();
        }
        self.done = true;
    }

    fn end(&mut self, dir: Direction, out: &mut Vec<Credential>) {
        if dir == Direction::ToServer {
            // The initiator hung up on the target's answer: it refused it.
            self.mutual(Outcome::Failure, out);
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
        self.mutual(Outcome::Unknown, out);
    }

    fn done(&self) -> bool {
        self.done && self.pending.is_none() && self.mutual.is_none()
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + (usize::from(self.pending.is_some()) + usize::from(self.mutual.is_some())) * 256
    }
}

/// Login PDUs, for tests and fixtures.
pub mod build {
    use super::*;

    /// A login PDU (request or response) with `keys` as its data segment; a response's
    /// status class and detail.
    pub fn login(opcode: u8, keys: &[&str], status: (u8, u8)) -> Vec<u8> {
        let mut data: Vec<u8> = Vec::new();
        for k in keys {
            data.extend(k.as_bytes());
            data.push(0);
        }
        let mut v = vec![0u8; BHS];
        v[0] = if opcode == OP_LOGIN_REQUEST {
            0x43
        } else {
            opcode
        };
        v[1] = 0x81; // Transit, security negotiation to operational
        let len = data.len();
        v[5] = (len >> 16) as u8;
        v[6] = (len >> 8) as u8;
        v[7] = len as u8;
        if opcode == OP_LOGIN_RESPONSE {
            v[36] = status.0;
            v[37] = status.1;
        }
        v.extend(data);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::login;
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, Vec<u8>)]) -> (Vec<Credential>, bool) {
        let script: Vec<(Direction, &[u8])> =
            script.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            &script,
        )
    }

    /// MD5(identifier, secret, challenge), computed here.
    fn chap(id: u8, secret: &[u8], challenge: &[u8]) -> String {
        use md5::{Digest, Md5};
        hex(&Md5::new()
            .chain_update([id])
            .chain_update(secret)
            .chain_update(challenge)
            .finalize())
    }

    const CHALLENGE: &str = "0x1a2b3c4d5e6f708192a3b4c5d6e7f809";

    fn session(response: &str, status: (u8, u8)) -> Vec<(Direction, Vec<u8>)> {
        vec![
            (
                C,
                login(
                    OP_LOGIN_REQUEST,
                    &[
                        "InitiatorName=iqn.1993-08.org.debian:01:host7",
                        "SessionType=Normal",
                        "AuthMethod=CHAP,None",
                    ],
                    (0, 0),
                ),
            ),
            (S, login(OP_LOGIN_RESPONSE, &["AuthMethod=CHAP"], (0, 0))),
            (C, login(OP_LOGIN_REQUEST, &["CHAP_A=5"], (0, 0))),
            (
                S,
                login(
                    OP_LOGIN_RESPONSE,
                    &["CHAP_A=5", "CHAP_I=42", &format!("CHAP_C={CHALLENGE}")],
                    (0, 0),
                ),
            ),
            (
                C,
                login(
                    OP_LOGIN_REQUEST,
                    &["CHAP_N=backup-host", &format!("CHAP_R=0x{response}")],
                    (0, 0),
                ),
            ),
            (S, login(OP_LOGIN_RESPONSE, &["HeaderDigest=None"], status)),
        ]
    }

    /// Mutual CHAP: the target answers the initiator's challenge; the initiator going on
    /// accepts it, hanging up refuses it.
    #[test]
    fn mutual_chap_is_the_targets_credential() {
        let challenge = binary_value(CHALLENGE.as_bytes()).unwrap();
        let reverse = [0x5cu8; 16];
        let mutual = |target_secret: &[u8], then: Option<&[u8]>| {
            let mut script = session(&chap(42, b"Sup3r-Secret!", &challenge), (0, 0));
            let last = script.len() - 1;
            script[last - 1] = (
                C,
                login(
                    OP_LOGIN_REQUEST,
                    &[
                        "CHAP_N=backup-host",
                        &format!("CHAP_R=0x{}", chap(42, b"Sup3r-Secret!", &challenge)),
                        "CHAP_I=7",
                        &format!("CHAP_C=0x{}", hex(&reverse)),
                    ],
                    (0, 0),
                ),
            );
            let answer = chap(7, target_secret, &reverse);
            script[last] = (
                S,
                login(
                    OP_LOGIN_RESPONSE,
                    &["CHAP_N=array-1", &format!("CHAP_R=0x{answer}")],
                    (0, 0),
                ),
            );
            let mut d = Iscsi::default();
            let mut out = Vec::new();
            for (i, (dir, bytes)) in script.iter().enumerate() {
                let chunk = Chunk {
                    data: bytes,
                    frame: i as u64 + 1,
                    ts: Timestamp::ZERO,
                };
                d.data(*dir, chunk, &mut out);
            }
            match then {
                Some(more) => {
                    let chunk = Chunk {
                        data: more,
                        frame: 9,
                        ts: Timestamp::ZERO,
                    };
                    d.data(C, chunk, &mut out);
                }
                None => d.end(C, &mut out),
            }
            d.close(&mut out);
            (out, answer)
        };
        let next = login(OP_LOGIN_REQUEST, &["HeaderDigest=None"], (0, 0));
        let (out, answer) = mutual(b"Array-Secret", Some(&next));
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            (&*out[0].mechanism, out[0].outcome),
            ("CHAP", Outcome::Success)
        );
        let m = &out[1];
        assert_eq!(m.mechanism, "mutual CHAP");
        assert_eq!(m.username.as_deref(), Some(&b"array-1"[..]));
        assert!(m.sent_by_server);
        assert_eq!(m.outcome, Outcome::Success);
        assert_eq!(m.frames, vec![6]);
        assert_eq!(
            m.hashcat.as_ref().unwrap().hash,
            format!("{answer}:{}:07", hex(&reverse))
        );
        let (out, _) = mutual(b"Wrong", None);
        assert_eq!(out[1].outcome, Outcome::Failure);
    }

    #[test]
    fn chap_accepted_and_its_line_verifies() {
        let challenge = binary_value(CHALLENGE.as_bytes()).unwrap();
        let response = chap(42, b"Sup3r-Secret!", &challenge);
        let (out, done) = run(&session(&response, (0, 0)));
        assert!(done);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "iscsi");
        assert_eq!(c.mechanism, "CHAP");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"backup-host"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![5]);
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 4800);
        // hashcat 4800: response:challenge:identifier; the response recomputes.
        let parts: Vec<&str> = h.hash.split(':').collect();
        assert_eq!(parts[1], &CHALLENGE[2..]);
        assert_eq!(parts[2], "2a");
        assert_eq!(parts[0], chap(42, b"Sup3r-Secret!", &challenge));
        assert_ne!(parts[0], chap(42, b"wrong", &challenge));
    }

    #[test]
    fn authentication_failure_and_no_answer() {
        let (out, _) = run(&session("00112233445566778899aabbccddeeff", (2, 1)));
        assert_eq!(out[0].outcome, Outcome::Failure);
        let mut s = session("00112233445566778899aabbccddeeff", (0, 0));
        s.pop();
        let (out, done) = run(&s);
        assert!(!done);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn byte_by_byte_and_no_chap() {
        let s = session("00112233445566778899aabbccddeeff", (0, 0));
        let bytes: Vec<(Direction, Vec<u8>)> = s
            .iter()
            .flat_map(|(d, b)| b.iter().map(move |x| (*d, vec![*x])))
            .collect();
        let (out, _) = run(&bytes);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(out[0].hashcat.is_some());
        let (out, done) = run(&[
            (
                C,
                login(
                    OP_LOGIN_REQUEST,
                    &["InitiatorName=iqn.x", "AuthMethod=None"],
                    (0, 0),
                ),
            ),
            (S, login(OP_LOGIN_RESPONSE, &["AuthMethod=None"], (0, 0))),
            (C, vec![0x01; 48]),
        ]);
        assert!(out.is_empty());
        assert!(done);
    }

    #[test]
    fn values_and_probe() {
        assert_eq!(binary_value(b"0x0aFF"), Some(vec![0x0a, 0xff]));
        assert_eq!(binary_value(b"0bAQI="), Some(vec![1, 2]));
        assert_eq!(binary_value(b"0x0"), None);
        assert_eq!(binary_value(b"0xzz"), None);
        assert_eq!(binary_value(b"12"), None);
        assert_eq!(text_value(b"A=1\0B=2\0", b"B"), Some(&b"2"[..]));
        assert_eq!(text_value(b"A=1\0B\0", b"B"), None);
        let first = &session("00", (0, 0))[0].1;
        assert_eq!(probe(first, b""), Probe::Yes);
        assert_eq!(probe(&first[..20], b""), Probe::Maybe);
        assert_eq!(probe(&first[..60], b""), Probe::Maybe);
        assert_eq!(
            probe(&login(OP_LOGIN_REQUEST, &["Foo=bar"], (0, 0)), b""),
            Probe::No
        );
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"\x23"), Probe::No);
    }

    #[test]
    fn garbage_never_panics() {
        let valid: Vec<Vec<u8>> = session("00112233445566778899aabbccddeeff", (2, 1))
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        crate::dissect::garbage::feed(
            0x15c5_1c4a,
            2000,
            6,
            &valid,
            Iscsi::default,
            |b| {
                let _ = probe(b, b);
                let _ = binary_value(b);
                if b.len() >= BHS {
                    let _ = login_data(b);
                }
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * MAX_PDU),
        );
    }
}
