//! AMQP, the message brokers' protocol (RabbitMQ, Qpid, ActiveMQ, Azure Service Bus),
//! TCP 5672: the login of a connection, in both versions of the protocol.
//!
//! - AMQP 0-9-1 (and 0-9, 0-8): after the protocol header the server's `Connection.Start`
//!   offers mechanisms and the client's `Connection.Start-Ok` answers with one and its
//!   response: `PLAIN` (SASL PLAIN, RFC 4616: `authzid NUL user NUL password`) or
//!   `AMQPLAIN` (a field table with `LOGIN` and `PASSWORD`) — the password in clear. The
//!   server's `Connection.Tune` accepts; `Connection.Close` with 403 (`ACCESS_REFUSED`)
//!   refuses, its reply text in `details.reason`.
//! - AMQP 1.0 with its SASL layer (protocol header `AMQP 3.1.0.0`): the client's
//!   `sasl-init` names the mechanism and carries the initial response — `PLAIN` as above;
//!   `sasl-outcome` code 0 accepts, 1 (auth) refuses, others are unknown. The virtual host
//!   asked for goes in `details.hostname`.
//!
//! Mechanisms `PLAIN`, `AMQPLAIN` (0-9-1) and `SASL PLAIN` (1.0); `details.version`. TLS
//! (`AMQP 2.1.0.0`, or a TLS record) and `EXTERNAL`/`ANONYMOUS` give nothing.

use super::ftp::looks_like_tls;
use super::sasl::parse_plain;
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "amqp",
    tcp_ports: &[5672],
    probe,
    new: |_config| Box::new(Amqp::default()),
};

/// Longest frame read: a login's frames are small (a frame larger than this is data, and
/// the inspection ends).
const MAX_FRAME: usize = 64 * 1024;

/// The 0-9-1 frame end octet.
const FRAME_END: u8 = 0xce;

/// The version a protocol header asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// 0-9-1, 0-9 or 0-8: method frames.
    Classic(&'static str),
    /// 1.0 with the SASL layer.
    Sasl,
    /// 1.0 without SASL, or TLS: nothing to read.
    Other,
}

/// The version of the protocol header `AMQP` + 4 bytes at the start of `d`.
pub fn protocol_header(d: &[u8]) -> Option<Version> {
    let h = d.get(..8)?;
    if &h[..4] != b"AMQP" {
        return None;
    }
    Some(match h[4..] {
        [0, 0, 9, 1] => Version::Classic("0-9-1"),
        [1, 1, 0, 9] => Version::Classic("0-9"),
        [1, 1, 8, 0] | [1, 1, 9, 1] => Version::Classic("0-8"),
        [3, 1, 0, 0] => Version::Sasl,
        [0 | 2, 1, 0, 0] => Version::Other,
        _ => return None,
    })
}

/// AMQP when the client opens with a protocol header.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    let n = to_server.len().min(4);
    if to_server[..n] != b"AMQP"[..n] {
        return Probe::No;
    }
    match protocol_header(to_server) {
        Some(_) => Probe::Yes,
        None if to_server.len() < 8 => Probe::Maybe,
        None => Probe::No,
    }
}

/// A big-endian reader over a frame's payload.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn shortstr(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    fn longstr(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(usize::try_from(n).ok()?)
    }
}

/// `LOGIN` and `PASSWORD` of an AMQPLAIN response (a field table's entries: a short-string
/// name, a type octet, a value; the strings are long strings, type `S`).
pub fn amqplain(table: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut r = Reader(table);
    let (mut login, mut password) = (None, None);
    while !r.0.is_empty() {
        let name = r.shortstr()?;
        if r.u8()? != b'S' {
            return None; // another type: not a login table
        }
        let value = r.longstr()?;
        match name {
            b"LOGIN" => login = Some(value),
            b"PASSWORD" => password = Some(value),
            _ => {}
        }
    }
    Some((login?, password?))
}

/// A 0-9-1 `Connection.Start-Ok`: the mechanism and its response.
pub fn start_ok(payload: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut r = Reader(payload);
    if (r.u16()?, r.u16()?) != (10, 11) {
        return None;
    }
    r.longstr()?; // client-properties (a table, as a long string's length and bytes)
    let mechanism = r.shortstr()?;
    let response = r.longstr()?;
    Some((mechanism, response))
}

/// The credential of a mechanism's response: PLAIN's user and password, AMQPLAIN's.
fn credential(mechanism: &[u8], response: &[u8], ts: Timestamp, sasl: bool) -> Option<Credential> {
    let (name, user, password, authzid): (&'static str, &[u8], &[u8], &[u8]) = match mechanism {
        b"PLAIN" => {
            let (authzid, user, password) = parse_plain(response)?;
            let name = if sasl { "SASL PLAIN" } else { "PLAIN" };
            (name, user, password, authzid)
        }
        b"AMQPLAIN" if !sasl => {
            let (user, password) = amqplain(response)?;
            ("AMQPLAIN", user, password, b"")
        }
        _ => return None,
    };
    let mut c = Credential::new("amqp", name, Kind::Cleartext, ts);
    c.username = Some(user.to_vec());
    c.secret = Some(password.to_vec());
    if !authzid.is_empty() {
        c.details
            .push(("authzid", String::from_utf8_lossy(authzid).into_owned()));
    }
    Some(c)
}

/// An AMQP 1.0 performative's descriptor code and its list's fields: `00 53 <code>` then
/// a list (`list0`, `list8`, `list32`).
fn performative(body: &[u8]) -> Option<(u8, Reader<'_>, u32)> {
    let mut r = Reader(body);
    if (r.u8()?, r.u8()?) != (0x00, 0x53) {
        return None;
    }
    let code = r.u8()?;
    let count = match r.u8()? {
        0x45 => 0,
        0xc0 => {
            r.u8()?;
            u32::from(r.u8()?)
        }
        0xd0 => {
            r.u32()?;
            r.u32()?
        }
        _ => return None,
    };
    Some((code, r, count))
}

/// One AMQP 1.0 field of the types a SASL frame uses: its bytes (`None` for null).
fn field<'a>(r: &mut Reader<'a>) -> Option<Option<&'a [u8]>> {
    Some(match r.u8()? {
        0x40 => None,
        0xa0 | 0xa1 | 0xa3 => Some(r.shortstr()?),
        0xb0 | 0xb1 | 0xb3 => Some(r.longstr()?),
        0x50 => Some(r.take(1)?),
        _ => return None,
    })
}

/// What a `sasl-init` carries: the mechanism, the initial response and the hostname.
pub type SaslInit<'a> = (&'a [u8], &'a [u8], Option<&'a [u8]>);

/// A `sasl-init`'s fields.
pub fn sasl_init(body: &[u8]) -> Option<SaslInit<'_>> {
    let (code, mut r, count) = performative(body)?;
    if code != 0x41 || count < 1 {
        return None;
    }
    let mechanism = field(&mut r)??;
    let response = if count >= 2 {
        field(&mut r)?.unwrap_or_default()
    } else {
        b""
    };
    let hostname = if count >= 3 { field(&mut r)? } else { None };
    Some((mechanism, response, hostname))
}

/// A `sasl-outcome`'s code.
pub fn sasl_outcome(body: &[u8]) -> Option<u8> {
    let (code, mut r, count) = performative(body)?;
    if code != 0x44 || count < 1 {
        return None;
    }
    Some(*field(&mut r)??.first()?)
}

#[derive(Debug, Default)]
pub struct Amqp {
    version: Option<Version>,
    buf: [Vec<u8>; 2],
    frames: [Vec<u64>; 2],
    /// The protocol header of each direction is read (the server echoes it in 1.0, and
    /// answers a version it does not speak with its own header).
    header_read: [bool; 2],
    pending: Option<Box<Credential>>,
    done: bool,
}

impl Amqp {
    /// The next whole frame of direction `i` in its buffer: its length, and where its
    /// payload is.
    fn next_frame(&self, i: usize) -> Option<Result<(usize, usize, usize), ()>> {
        let b = &self.buf[i];
        match self.version? {
            Version::Classic(_) => {
                let h = b.get(..7)?;
                let size = u32::from_be_bytes([h[3], h[4], h[5], h[6]]) as usize;
                if size > MAX_FRAME {
                    return Some(Err(()));
                }
                let end = 7 + size;
                let last = *b.get(end)?;
                if last != FRAME_END {
                    return Some(Err(()));
                }
                Some(Ok((end + 1, 7, end)))
            }
            Version::Sasl => {
                let h = b.get(..8)?;
                let size = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
                let doff = usize::from(h[4]) * 4;
                if !(8..=MAX_FRAME).contains(&size) || doff < 8 || doff > size {
                    return Some(Err(()));
                }
                if b.len() < size {
                    return None;
                }
                Some(Ok((size, doff, size)))
            }
            Version::Other => Some(Err(())),
        }
    }

    fn frame(
        &mut self,
        dir: Direction,
        payload: &[u8],
        frames: Vec<u64>,
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let sasl = self.version == Some(Version::Sasl);
        match dir {
            Direction::ToServer if self.pending.is_none() => {
                let login = if sasl {
                    sasl_init(payload)
                } else {
                    start_ok(payload).map(|(m, resp)| (m, resp, None))
                };
                let Some((mechanism, response, hostname)) = login else {
                    return;
                };
                match credential(mechanism, response, ts, sasl) {
                    Some(mut c) => {
                        c.add_frames(frames);
                        if let Some(Version::Classic(v)) = self.version {
                            c.details.push(("version", v.to_string()));
                        } else {
                            c.details.push(("version", "1.0".to_string()));
                        }
                        if let Some(h) = hostname.filter(|h| !h.is_empty()) {
                            c.details
                                .push(("hostname", String::from_utf8_lossy(h).into_owned()));
                        }
                        self.pending = Some(Box::new(c));
                    }
                    // EXTERNAL, ANONYMOUS, a challenge-response mechanism: nothing here.
                    None => self.done = true,
                }
            }
            Direction::ToServer => {}
            Direction::ToClient => {
                let Some(c) = self.pending.as_mut() else {
                    return;
                };
                if sasl {
                    match sasl_outcome(payload) {
                        Some(0) => c.outcome = Outcome::Success,
                        Some(1) => c.outcome = Outcome::Failure,
                        Some(_) => {}
                        None => return,
                    }
                } else {
                    let mut r = Reader(payload);
                    match (r.u16(), r.u16()) {
                        // Connection.Tune: the login is accepted.
                        (Some(10), Some(30)) => c.outcome = Outcome::Success,
                        // Connection.Secure: a challenge (not a mechanism read here).
                        (Some(10), Some(20)) => return,
                        // Connection.Close: 403 ACCESS_REFUSED.
                        (Some(10), Some(50)) => {
                            let code = r.u16();
                            if code == Some(403) {
                                c.outcome = Outcome::Failure;
                            }
                            if let Some(text) = r.shortstr().filter(|t| !t.is_empty()) {
                                c.details
                                    .push(("reason", String::from_utf8_lossy(text).into_owned()));
                            }
                        }
                        _ => return,
                    }
                }
                if let Some(c) = self.pending.take() {
                    out.push(*c);
                }
                self.done = true;
            }
        }
    }
}

impl Dissector for Amqp {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let i = dir.index();
        if self.buf[i].is_empty() && !self.header_read[i] && looks_like_tls(chunk.data) {
            self.done = true;
            return;
        }
        let room = (MAX_FRAME + 16).saturating_sub(self.buf[i].len());
        self.buf[i].extend_from_slice(&chunk.data[..chunk.data.len().min(room)]);
        if self.frames[i].last() != Some(&chunk.frame) {
            self.frames[i].push(chunk.frame);
        }
        // The protocol header of this direction.
        if !self.header_read[i] {
            match protocol_header(&self.buf[i]) {
                Some(v) => {
                    self.header_read[i] = true;
                    if dir == Direction::ToServer {
                        self.version = Some(v);
                    }
                    self.buf[i].drain(..8);
                    // What follows the header came in this chunk.
                    self.frames[i].clear();
                    if !self.buf[i].is_empty() {
                        self.frames[i].push(chunk.frame);
                    }
                }
                // A 0-9-1 server sends frames at once; a 1.0 server echoes the header.
                None if dir == Direction::ToClient
                    && matches!(self.version, Some(Version::Classic(_))) =>
                {
                    self.header_read[i] = true;
                }
                None if self.buf[i].len() >= 8 => {
                    self.done = true;
                    return;
                }
                None => return,
            }
        }
        if self.version == Some(Version::Other) {
            self.done = true;
            return;
        }
        while !self.done {
            match self.next_frame(i) {
                None => break,
                Some(Err(())) => {
                    // Not a frame: nothing more can be read in order.
                    if let Some(c) = self.pending.take() {
                        out.push(*c);
                    }
                    self.done = true;
                }
                Some(Ok((len, at, end))) => {
                    let bytes: Vec<u8> = self.buf[i].drain(..len).collect();
                    // The frame's packets; what is left of the buffer came in this chunk.
                    let rest = if self.buf[i].is_empty() {
                        Vec::new()
                    } else {
                        vec![chunk.frame]
                    };
                    let frames = std::mem::replace(&mut self.frames[i], rest);
                    self.frame(dir, &bytes[at..end], frames, chunk.ts, out);
                }
            }
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        self.close(out);
        self.buf = Default::default();
        self.done = true;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
    }

    fn done(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn buffered(&self) -> usize {
        self.buf.iter().map(Vec::capacity).sum::<usize>()
            + self.frames.iter().map(|f| f.capacity() * 8).sum::<usize>()
            + self.pending.as_ref().map_or(0, |_| 256)
    }
}

/// AMQP frames, for tests and fixtures.
pub mod build {
    /// A 0-9-1 method frame on channel 0.
    pub fn method(class: u16, method: u16, args: &[u8]) -> Vec<u8> {
        let mut payload = class.to_be_bytes().to_vec();
        payload.extend(method.to_be_bytes());
        payload.extend(args);
        let mut v = vec![1, 0, 0];
        v.extend((payload.len() as u32).to_be_bytes());
        v.extend(payload);
        v.push(super::FRAME_END);
        v
    }

    fn shortstr(v: &mut Vec<u8>, s: &[u8]) {
        v.push(s.len() as u8);
        v.extend(s);
    }

    fn longstr(v: &mut Vec<u8>, s: &[u8]) {
        v.extend((s.len() as u32).to_be_bytes());
        v.extend(s);
    }

    /// `Connection.Start` offering `mechanisms`.
    pub fn start(mechanisms: &[u8]) -> Vec<u8> {
        let mut a = vec![0, 9];
        let mut props = Vec::new();
        shortstr(&mut props, b"product");
        props.push(b'S');
        longstr(&mut props, b"RabbitMQ");
        longstr(&mut a, &props);
        longstr(&mut a, mechanisms);
        longstr(&mut a, b"en_US");
        method(10, 10, &a)
    }

    /// `Connection.Start-Ok` with `mechanism` and `response`.
    pub fn start_ok_frame(mechanism: &[u8], response: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        let mut props = Vec::new();
        shortstr(&mut props, b"product");
        props.push(b'S');
        longstr(&mut props, b"pika");
        longstr(&mut a, &props);
        shortstr(&mut a, mechanism);
        longstr(&mut a, response);
        shortstr(&mut a, b"en_US");
        method(10, 11, &a)
    }

    /// An AMQPLAIN response table.
    pub fn amqplain_table(login: &[u8], password: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        shortstr(&mut t, b"LOGIN");
        t.push(b'S');
        longstr(&mut t, login);
        shortstr(&mut t, b"PASSWORD");
        t.push(b'S');
        longstr(&mut t, password);
        t
    }

    /// `Connection.Tune`.
    pub fn tune() -> Vec<u8> {
        method(10, 30, &[0, 0x7f, 0, 2, 0, 0, 0, 60])
    }

    /// `Connection.Close` with `code` and `text`.
    pub fn close(code: u16, text: &[u8]) -> Vec<u8> {
        let mut a = code.to_be_bytes().to_vec();
        shortstr(&mut a, text);
        a.extend([0, 0, 0, 0]);
        method(10, 50, &a)
    }

    /// An AMQP 1.0 SASL frame around a performative `code` with `fields` (already
    /// encoded).
    pub fn sasl_frame(code: u8, fields: &[&[u8]]) -> Vec<u8> {
        let list: Vec<u8> = fields.concat();
        let mut body = vec![
            0x00,
            0x53,
            code,
            0xc0,
            (list.len() + 1) as u8,
            fields.len() as u8,
        ];
        body.extend(list);
        let mut v = ((8 + body.len()) as u32).to_be_bytes().to_vec();
        v.extend([2, 1, 0, 0]);
        v.extend(body);
        v
    }

    /// `sasl-init` with `mechanism`, `response` and `hostname`.
    pub fn sasl_init_frame(mechanism: &[u8], response: &[u8], hostname: &[u8]) -> Vec<u8> {
        let mut m = vec![0xa3, mechanism.len() as u8];
        m.extend(mechanism);
        let mut r = vec![0xa0, response.len() as u8];
        r.extend(response);
        let mut h = vec![0xa1, hostname.len() as u8];
        h.extend(hostname);
        sasl_frame(0x41, &[&m, &r, &h])
    }

    /// `sasl-mechanisms` offering one mechanism.
    pub fn sasl_mechanisms(mechanism: &[u8]) -> Vec<u8> {
        let mut m = vec![0xa3, mechanism.len() as u8];
        m.extend(mechanism);
        sasl_frame(0x40, &[&m])
    }

    /// `sasl-outcome` with `code`.
    pub fn sasl_outcome_frame(code: u8) -> Vec<u8> {
        sasl_frame(0x44, &[&[0x50, code]])
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    const V091: &[u8] = b"AMQP\x00\x00\x09\x01";
    const V10_SASL: &[u8] = b"AMQP\x03\x01\x00\x00";

    fn run(script: &[(Direction, Vec<u8>)]) -> (Vec<Credential>, bool) {
        let script: Vec<(Direction, &[u8])> =
            script.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            &script,
        )
    }

    fn classic(mechanism: &[u8], response: &[u8], verdict: Vec<u8>) -> Vec<(Direction, Vec<u8>)> {
        vec![
            (C, V091.to_vec()),
            (S, start(b"AMQPLAIN PLAIN")),
            (C, start_ok_frame(mechanism, response)),
            (S, verdict),
            (C, method(10, 31, &[0, 0x7f, 0, 2, 0, 0, 0, 60])),
        ]
    }

    #[test]
    fn plain_accepted_with_tune() {
        let (out, done) = run(&classic(b"PLAIN", b"\0guest\0gu3st!", tune()));
        assert!(done);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "amqp");
        assert_eq!(c.mechanism, "PLAIN");
        assert_eq!(c.kind, Kind::Cleartext);
        assert_eq!(c.username.as_deref(), Some(&b"guest"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"gu3st!"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![3]);
        assert_eq!(c.details, vec![("version", "0-9-1".to_string())]);
    }

    #[test]
    fn amqplain_refused_with_403() {
        let reason = b"ACCESS_REFUSED - Login was refused using authentication mechanism AMQPLAIN";
        let (out, _) = run(&classic(
            b"AMQPLAIN",
            &amqplain_table(b"app", b"wr0ng"),
            close(403, reason),
        ));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "AMQPLAIN");
        assert_eq!(out[0].username.as_deref(), Some(&b"app"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"wr0ng"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(
            out[0]
                .details
                .contains(&("reason", String::from_utf8_lossy(reason).into_owned()))
        );
    }

    #[test]
    fn byte_by_byte_and_unanswered() {
        let s = classic(b"PLAIN", b"admin\0ops\0S3cret", tune());
        let bytes: Vec<(Direction, Vec<u8>)> = s[..3]
            .iter()
            .flat_map(|(d, b)| b.iter().map(move |x| (*d, vec![*x])))
            .collect();
        let (out, done) = run(&bytes);
        assert!(!done);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].username.as_deref(), Some(&b"ops"[..]));
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert!(out[0].details.contains(&("authzid", "admin".to_string())));
        // The Start-Ok's frames: every byte of it (one a frame).
        let first = (s[0].1.len() + s[1].1.len()) as u64 + 1;
        let last = first + s[2].1.len() as u64 - 1;
        assert_eq!(out[0].frames, (first..=last).collect::<Vec<_>>());
    }

    #[test]
    fn amqp_1_0_sasl_plain() {
        let script = vec![
            (C, V10_SASL.to_vec()),
            (S, [V10_SASL, &sasl_mechanisms(b"PLAIN")].concat()),
            (
                C,
                sasl_init_frame(b"PLAIN", b"\0iot-hub\0Sh4redKey", b"vhost-7"),
            ),
            (S, sasl_outcome_frame(0)),
        ];
        let (out, done) = run(&script);
        assert!(done);
        assert_eq!(out[0].mechanism, "SASL PLAIN");
        assert_eq!(out[0].secret.as_deref(), Some(&b"Sh4redKey"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(
            out[0].details,
            vec![
                ("version", "1.0".to_string()),
                ("hostname", "vhost-7".to_string())
            ]
        );
        let mut refused = script.clone();
        refused[3] = (S, sasl_outcome_frame(1));
        assert_eq!(run(&refused).0[0].outcome, Outcome::Failure);
    }

    #[test]
    fn tls_external_and_anonymous_give_nothing() {
        let (out, _) = run(&[(C, b"AMQP\x02\x01\x00\x00".to_vec())]);
        assert!(out.is_empty());
        let (out, done) = run(&classic(b"EXTERNAL", b"", tune()));
        assert!(out.is_empty());
        assert!(done);
        let (out, _) = run(&[
            (C, V10_SASL.to_vec()),
            (S, V10_SASL.to_vec()),
            (C, sasl_init_frame(b"ANONYMOUS", b"", b"")),
            (S, sasl_outcome_frame(0)),
        ]);
        assert!(out.is_empty());
        let (out, _) = run(&[(C, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03".to_vec())]);
        assert!(out.is_empty());
    }

    #[test]
    fn probe_wants_a_protocol_header() {
        assert_eq!(probe(V091, b""), Probe::Yes);
        assert_eq!(probe(V10_SASL, b""), Probe::Yes);
        assert_eq!(probe(b"AMQ", b""), Probe::Maybe);
        assert_eq!(probe(b"AMQP\x00\x00", b""), Probe::Maybe);
        assert_eq!(probe(b"AMQP\x07\x07\x07\x07", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"AMQP\x00\x00\x09\x01"), Probe::No);
    }

    #[test]
    fn parsers_refuse_short_input() {
        let ok = start_ok_frame(b"PLAIN", b"\0u\0p");
        let payload = &ok[7..ok.len() - 1];
        assert_eq!(start_ok(payload), Some((&b"PLAIN"[..], &b"\0u\0p"[..])));
        // Cut anywhere before the response's end (the locale after it is not needed).
        for n in 0..payload.len() - b"\x05en_US".len() {
            assert_eq!(start_ok(&payload[..n]), None, "{n}");
        }
        let init = sasl_init_frame(b"PLAIN", b"\0u\0p", b"h");
        let body = &init[8..];
        assert!(sasl_init(body).is_some());
        for n in 0..body.len() {
            assert_eq!(sasl_init(&body[..n]), None, "{n}");
        }
        assert_eq!(amqplain(&me_pw()), Some((&b"me"[..], &b"pw"[..])));
        let mut other_type = me_pw();
        other_type[6] = b'I';
        assert_eq!(amqplain(&other_type), None);
    }

    fn me_pw() -> Vec<u8> {
        build::amqplain_table(b"me", b"pw")
    }

    #[test]
    fn garbage_never_panics() {
        let valid = [
            V091.to_vec(),
            start(b"PLAIN"),
            start_ok_frame(b"PLAIN", b"\0u\0p"),
            start_ok_frame(b"AMQPLAIN", &build::amqplain_table(b"u", b"p")),
            tune(),
            close(403, b"no"),
            V10_SASL.to_vec(),
            sasl_init_frame(b"PLAIN", b"\0u\0p", b"h"),
            sasl_outcome_frame(1),
        ];
        crate::dissect::garbage::feed(
            0xa3a9_0091,
            2000,
            6,
            &valid,
            Amqp::default,
            |b| {
                let _ = probe(b, b);
                let _ = start_ok(b);
                let _ = sasl_init(b);
                let _ = sasl_outcome(b);
                let _ = amqplain(b);
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * MAX_FRAME),
        );
    }
}
