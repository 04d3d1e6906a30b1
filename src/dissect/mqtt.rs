//! MQTT 3.1 (`MQIsdp`, protocol level 3), 3.1.1 (level 4, OASIS) and 5.0 (level 5, OASIS):
//! the user name and password of the client's `CONNECT`, and MQTT 5 enhanced
//! authentication (the `Authentication Method` and `Authentication Data` properties of
//! `CONNECT` and `AUTH` packets).
//!
//! - `CONNECT` with the User Name and/or Password flags: mechanism `CONNECT`, kind
//!   cleartext (token when the password is plainly a bearer token: a JSON Web Token or an
//!   Azure `SharedAccessSignature`). The password is binary data in MQTT: its exact bytes
//!   are kept (`secret_hex` when they are not UTF-8). The client identifier and the
//!   protocol version go in `details` (`client_id`, `version`). A CONNECT without a
//!   password is no credential.
//! - Enhanced authentication (MQTT 5): a method that is a SASL mechanism the shared SASL
//!   layer knows (`PLAIN`, `CRAM-MD5`, ...) is decoded by it (the `AUTH` data are the
//!   mechanism's raw messages, not base64), mechanism `enhanced auth <MECHANISM>`; SCRAM,
//!   GSSAPI, EXTERNAL and other SASL methods that expose no reusable secret give nothing;
//!   any other method's first client data (a custom token, a JWT) is reported as kind
//!   token, mechanism `enhanced auth`. The method name is always in `details.method`.
//!
//! Outcome from the server's `CONNACK`: return code 0 (3.1, 3.1.1) / reason code 0x00 (5)
//! success; 4 bad user name or password, 5 not authorised / 0x86 bad user name or password,
//! 0x87 not authorised, 0x8C bad authentication method failure; any other code is
//! `unknown` (the server refused the connection for another reason: protocol version,
//! client identifier, unavailable). A re-authentication (`AUTH` with reason 0x19) is
//! judged by the server's `AUTH` success or a `DISCONNECT` with one of those codes.
//!
//! Framing: packets are cut by their remaining length (a variable byte integer) however
//! TCP segmented them; only `CONNECT`, `CONNACK`, `AUTH` and `DISCONNECT` are buffered (up
//! to [`MAX_PACKET`]); `PUBLISH` payloads and the rest are skipped without being copied.
//! Properties are walked by type and the property block is always skipped by its length,
//! so unknown properties do not derail the parser. A gap, or bytes that are not MQTT,
//! stop the parsing of that direction. Once the `CONNACK` has come (and no enhanced
//! authentication could re-authenticate), nothing more is looked at. Port 8883 is MQTT
//! over TLS: nothing to see.

use base64::Engine as _;

use super::sasl::{BASE64, Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "mqtt",
    tcp_ports: &[1883],
    probe,
    new: |_config| Box::new(Mqtt::default()),
};

/// The longest `CONNECT`/`CONNACK`/`AUTH` buffered; longer packets are skipped.
pub const MAX_PACKET: usize = 64 << 10;

pub const CONNECT: u8 = 1;
pub const CONNACK: u8 = 2;
pub const PUBLISH: u8 = 3;
pub const DISCONNECT: u8 = 14;
pub const AUTH: u8 = 15;

/// Property identifiers used here (MQTT 5 section 2.2.2.2).
pub const PROP_AUTH_METHOD: u8 = 0x15;
pub const PROP_AUTH_DATA: u8 = 0x16;
pub const PROP_REASON_STRING: u8 = 0x1f;

/// A fixed header: packet type and flags, the remaining length, and the header's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: u8,
    pub flags: u8,
    pub remaining: usize,
    pub len: usize,
}

/// Why a fixed header cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// More bytes are needed.
    Incomplete,
    /// Not an MQTT fixed header (a variable byte integer longer than four bytes).
    Malformed,
}

/// Reads a fixed header (section 2.1).
pub fn parse_header(data: &[u8]) -> Result<Header, HeaderError> {
    let &first = data.first().ok_or(HeaderError::Incomplete)?;
    let (remaining, n) = varint(data.get(1..).unwrap_or_default())?;
    Ok(Header {
        kind: first >> 4,
        flags: first & 0x0f,
        remaining: remaining as usize,
        len: 1 + n,
    })
}

/// A variable byte integer (section 1.5.5): its value and its length.
pub fn varint(data: &[u8]) -> Result<(u32, usize), HeaderError> {
    let mut value: u32 = 0;
    for i in 0..4 {
        let &b = data.get(i).ok_or(HeaderError::Incomplete)?;
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(HeaderError::Malformed)
}

/// A cursor over a packet's bytes; every read checks the bounds.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        let b = self.bytes(2)?;
        Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.data.len() < n {
            return None;
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Some(head)
    }

    /// A two-byte length followed by that many bytes (UTF-8 string or binary data).
    fn prefixed(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.bytes(usize::from(n))
    }

    fn varint(&mut self) -> Option<usize> {
        let (v, n) = varint(self.data).ok()?;
        self.data = self.data.get(n..)?;
        Some(v as usize)
    }

    /// A property block: its length, then the properties.
    fn properties(&mut self) -> Option<Properties<'a>> {
        let n = self.varint()?;
        Some(Properties::parse(self.bytes(n)?))
    }
}

/// The properties that matter here, from a property block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties<'a> {
    pub auth_method: Option<&'a [u8]>,
    pub auth_data: Option<&'a [u8]>,
    pub reason_string: Option<&'a [u8]>,
}

impl<'a> Properties<'a> {
    /// Walks a property block by each property's type (section 2.2.2.2); an unknown
    /// identifier ends the walk (the block itself is skipped by its length anyway).
    pub fn parse(block: &'a [u8]) -> Properties<'a> {
        let mut p = Properties::default();
        let mut r = Reader { data: block };
        while !r.data.is_empty() {
            let Some(id) = r.varint() else { break };
            let ok = match id {
                // Byte.
                0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2a => r.u8().is_some(),
                // Two Byte Integer.
                0x13 | 0x21 | 0x22 | 0x23 => r.u16().is_some(),
                // Four Byte Integer.
                0x02 | 0x11 | 0x18 | 0x27 => r.bytes(4).is_some(),
                // Variable Byte Integer.
                0x0b => r.varint().is_some(),
                // UTF-8 strings and binary data.
                0x03 | 0x08 | 0x09 | 0x12 | 0x15 | 0x16 | 0x1a | 0x1c | 0x1f => {
                    match r.prefixed() {
                        Some(v) => {
                            match id as u8 {
                                PROP_AUTH_METHOD => p.auth_method = Some(v),
                                PROP_AUTH_DATA => p.auth_data = Some(v),
                                PROP_REASON_STRING => p.reason_string = Some(v),
                                _ => {}
                            }
                            true
                        }
                        None => false,
                    }
                }
                // User Property: a string pair.
                0x26 => r.prefixed().is_some() && r.prefixed().is_some(),
                _ => false,
            };
            if !ok {
                break;
            }
        }
        p
    }
}

/// A client's `CONNECT` (section 3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect<'a> {
    /// `MQTT` or `MQIsdp`.
    pub protocol_name: &'a [u8],
    /// Protocol level, without the bridge bit (0x80) some brokers set.
    pub level: u8,
    pub client_id: &'a [u8],
    pub username: Option<&'a [u8]>,
    pub password: Option<&'a [u8]>,
    pub properties: Properties<'a>,
}

/// Parses the body (after the fixed header) of a `CONNECT`.
pub fn parse_connect(body: &[u8]) -> Option<Connect<'_>> {
    let mut r = Reader { data: body };
    let protocol_name = r.prefixed()?;
    if protocol_name != b"MQTT" && protocol_name != b"MQIsdp" {
        return None;
    }
    let level = r.u8()? & 0x7f;
    let flags = r.u8()?;
    let _keep_alive = r.u16()?;
    let v5 = level >= 5;
    let properties = if v5 {
        r.properties()?
    } else {
        Properties::default()
    };
    let client_id = r.prefixed()?;
    if flags & 0x04 != 0 {
        if v5 {
            r.properties()?; // will properties
        }
        r.prefixed()?; // will topic
        r.prefixed()?; // will payload
    }
    let username = if flags & 0x80 != 0 {
        Some(r.prefixed()?)
    } else {
        None
    };
    let password = if flags & 0x40 != 0 {
        Some(r.prefixed()?)
    } else {
        None
    };
    Some(Connect {
        protocol_name,
        level,
        client_id,
        username,
        password,
        properties,
    })
}

/// A `CONNACK`'s return code (3.x) or reason code (5), and its properties.
pub fn parse_connack(body: &[u8], v5: bool) -> Option<(u8, Properties<'_>)> {
    let mut r = Reader { data: body };
    let _flags = r.u8()?;
    let code = r.u8()?;
    let props = if v5 && !r.data.is_empty() {
        r.properties().unwrap_or_default()
    } else {
        Properties::default()
    };
    Some((code, props))
}

/// An `AUTH` or `DISCONNECT` (MQTT 5): the reason code (0 when the body is empty) and
/// properties.
pub fn parse_reason(body: &[u8]) -> (u8, Properties<'_>) {
    let mut r = Reader { data: body };
    let code = r.u8().unwrap_or(0);
    let props = if r.data.is_empty() {
        Properties::default()
    } else {
        r.properties().unwrap_or_default()
    };
    (code, props)
}

/// What a `CONNACK` code says of the credential.
pub fn connack_outcome(code: u8, v5: bool) -> Outcome {
    match (v5, code) {
        (_, 0) => Outcome::Success,
        (false, 4 | 5) => Outcome::Failure,
        (true, 0x86 | 0x87 | 0x8c) => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

fn version_name(level: u8) -> String {
    match level {
        3 => "3.1".to_string(),
        4 => "3.1.1".to_string(),
        5 => "5.0".to_string(),
        n => format!("level {n}"),
    }
}

/// A JSON Web Token (`header.payload.signature`, base64url, header `{"...`) or an Azure
/// IoT `SharedAccessSignature`: a bearer token rather than a password.
pub fn looks_like_token(password: &[u8]) -> bool {
    if password.starts_with(b"SharedAccessSignature ") {
        return true;
    }
    let b64url = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_' || *b == b'=';
    password.starts_with(b"eyJ")
        && password.iter().filter(|&&b| b == b'.').count() == 2
        && password.iter().all(|b| b64url(b) || *b == b'.')
}

/// MQTT when the client's first packet is a `CONNECT` naming `MQTT` or `MQIsdp`.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        // The server never speaks first.
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    let h = match parse_header(to_server) {
        Ok(h) => h,
        Err(HeaderError::Incomplete) if to_server.first() == Some(&0x10) => return Probe::Maybe,
        Err(_) => return Probe::No,
    };
    if h.kind != CONNECT || h.flags != 0 || h.remaining < 10 {
        return Probe::No;
    }
    let body = to_server.get(h.len..).unwrap_or_default();
    for name in [&b"\x00\x04MQTT"[..], b"\x00\x06MQIsdp"] {
        let n = body.len().min(name.len());
        if body.get(..n) == name.get(..n) {
            return if n == name.len() {
                Probe::Yes
            } else {
                Probe::Maybe
            };
        }
    }
    Probe::No
}

/// One packet of interest, whole.
struct Packet<'a> {
    header: Header,
    body: &'a [u8],
    frames: &'a [u64],
    ts: Timestamp,
}

/// Cuts one direction into packets; buffers only the packets `wanted` says it needs.
#[derive(Debug, Default)]
struct Framer {
    buf: Vec<u8>,
    frames: Vec<u64>,
    /// Bytes of an uninteresting (or too long) packet still to skip.
    skip: usize,
    /// The direction cannot be followed any more (a gap, not MQTT).
    lost: bool,
}

impl Framer {
    fn note(&mut self, frame: u64) {
        if self.frames.last() != Some(&frame) {
            self.frames.push(frame);
        }
    }

    fn feed(
        &mut self,
        chunk: Chunk<'_>,
        wanted: impl Fn(u8) -> bool,
        mut each: impl FnMut(Packet<'_>),
    ) {
        let one = [chunk.frame];
        let mut data = chunk.data;
        while !data.is_empty() && !self.lost {
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = &data[n..];
                continue;
            }
            if self.buf.is_empty() {
                let h = match parse_header(data) {
                    Ok(h) => h,
                    Err(HeaderError::Incomplete) => {
                        self.buf.extend_from_slice(data);
                        self.note(chunk.frame);
                        return;
                    }
                    Err(HeaderError::Malformed) => {
                        self.lost = true;
                        return;
                    }
                };
                let total = h.len + h.remaining;
                if !wanted(h.kind) || total > MAX_PACKET {
                    self.skip = total;
                    continue;
                }
                if let (Some(body), Some(rest)) = (data.get(h.len..total), data.get(total..)) {
                    each(Packet {
                        header: h,
                        body,
                        frames: &one,
                        ts: chunk.ts,
                    });
                    data = rest;
                } else {
                    self.buf.extend_from_slice(data);
                    self.note(chunk.frame);
                    return;
                }
                continue;
            }
            // A packet begun in an earlier chunk.
            let h = match parse_header(&self.buf) {
                Ok(h) => h,
                Err(HeaderError::Incomplete) => {
                    self.buf.push(data[0]);
                    self.note(chunk.frame);
                    data = &data[1..];
                    continue;
                }
                Err(HeaderError::Malformed) => {
                    self.lost = true;
                    return;
                }
            };
            let total = h.len + h.remaining;
            if !wanted(h.kind) || total > MAX_PACKET {
                self.skip = total.saturating_sub(self.buf.len());
                self.buf.clear();
                self.frames.clear();
                continue;
            }
            let need = total.saturating_sub(self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..need]);
            self.note(chunk.frame);
            data = &data[need..];
            if self.buf.len() >= total {
                each(Packet {
                    header: h,
                    body: self.buf.get(h.len..total).unwrap_or_default(),
                    frames: &self.frames,
                    ts: chunk.ts,
                });
                self.buf.clear();
                self.frames.clear();
            }
        }
    }
}

/// An enhanced authentication in progress.
#[derive(Debug)]
struct Enhanced {
    method: Vec<u8>,
    /// The method is a SASL mechanism the SASL layer decodes.
    sasl: Option<Exchange>,
    /// Any other method: the client's first authentication data, as a token.
    token: Option<Credential>,
}

impl Enhanced {
    fn start(method: &[u8]) -> Enhanced {
        Enhanced {
            method: method.to_vec(),
            sasl: Exchange::start(method),
            token: None,
        }
    }

    /// SASL methods whose messages expose no reusable secret.
    fn opaque(&self) -> bool {
        let upper = self.method.to_ascii_uppercase();
        upper.starts_with(b"SCRAM-")
            || upper.starts_with(b"GS2-")
            || matches!(
                upper.as_slice(),
                b"GSSAPI" | b"EXTERNAL" | b"ANONYMOUS" | b"KERBEROS" | b"GSS-SPNEGO"
            )
    }

    fn client_data(&mut self, data: &[u8], frames: &[u64], ts: Timestamp) {
        if let Some(x) = self.sasl.as_mut() {
            let b64 = BASE64.encode(data);
            if let Step::Cancelled | Step::Invalid = x.client_response(b64.as_bytes(), frames, ts) {
                self.sasl = None;
            }
        } else if self.token.is_none() && !self.opaque() && !data.is_empty() {
            let mut c = Credential::new("mqtt", "enhanced auth", Kind::Token, ts);
            c.secret = Some(data.to_vec());
            c.add_frames(frames.iter().copied());
            self.token = Some(c);
        }
    }

    fn server_data(&mut self, data: &[u8]) {
        if let Some(x) = self.sasl.as_mut() {
            x.server_challenge(BASE64.encode(data).as_bytes());
        }
    }

    fn credential(self) -> Option<Credential> {
        let mut c = match self.sasl {
            Some(x) => x.credential("mqtt", "enhanced auth")?,
            None => self.token?,
        };
        c.details
            .push(("method", String::from_utf8_lossy(&self.method).into_owned()));
        Some(c)
    }
}

#[derive(Debug, Default)]
pub struct Mqtt {
    framers: [Framer; 2],
    /// Protocol level of the CONNECT.
    level: Option<u8>,
    /// The CONNECT's password credential, until the CONNACK.
    pending: Option<Credential>,
    enhanced: Option<Enhanced>,
    /// The CONNACK came.
    connected: bool,
    done: bool,
}

impl Mqtt {
    fn v5(&self) -> bool {
        self.level.is_some_and(|l| l >= 5)
    }

    fn client_packet(&mut self, p: Packet<'_>) {
        match p.header.kind {
            CONNECT if self.level.is_none() => {
                let Some(c) = parse_connect(p.body) else {
                    self.framers[0].lost = true;
                    return;
                };
                self.level = Some(c.level);
                if let Some(password) = c.password {
                    let kind = if looks_like_token(password) {
                        Kind::Token
                    } else {
                        Kind::Cleartext
                    };
                    let mut cred = Credential::new("mqtt", "CONNECT", kind, p.ts);
                    cred.username = c.username.map(<[u8]>::to_vec);
                    cred.secret = Some(password.to_vec());
                    cred.add_frames(p.frames.iter().copied());
                    if !c.client_id.is_empty() {
                        cred.details.push((
                            "client_id",
                            String::from_utf8_lossy(c.client_id).into_owned(),
                        ));
                    }
                    cred.details.push(("version", version_name(c.level)));
                    self.pending = Some(cred);
                }
                if let Some(method) = c.properties.auth_method {
                    let mut e = Enhanced::start(method);
                    if let Some(data) = c.properties.auth_data {
                        e.client_data(data, p.frames, p.ts);
                    }
                    self.enhanced = Some(e);
                }
            }
            CONNECT => {}
            AUTH if self.v5() => {
                let (reason, props) = parse_reason(p.body);
                if reason == 0x19 {
                    // Re-authentication: a new exchange.
                    if let Some(method) = props.auth_method {
                        self.enhanced = Some(Enhanced::start(method));
                    }
                }
                if let (Some(e), Some(data)) = (self.enhanced.as_mut(), props.auth_data) {
                    e.client_data(data, p.frames, p.ts);
                }
            }
            _ => {}
        }
    }

    fn server_packet(&mut self, p: Packet<'_>, out: &mut Vec<Credential>) {
        let v5 = self.v5();
        match p.header.kind {
            CONNACK if !self.connected => {
                let Some((code, props)) = parse_connack(p.body, v5) else {
                    return;
                };
                let outcome = connack_outcome(code, v5);
                self.connected = true;
                self.finish(outcome, props.reason_string, out);
                if self.enhanced.is_none() || outcome != Outcome::Success {
                    self.done = true;
                }
                self.enhanced = None;
            }
            AUTH if v5 => {
                let (reason, props) = parse_reason(p.body);
                if let (Some(e), Some(data)) = (self.enhanced.as_mut(), props.auth_data) {
                    e.server_data(data);
                }
                if self.connected && reason == 0 {
                    self.finish(Outcome::Success, None, out);
                    self.enhanced = None;
                }
            }
            DISCONNECT if v5 && self.connected => {
                let (reason, props) = parse_reason(p.body);
                let outcome = connack_outcome(reason, true);
                if outcome == Outcome::Failure {
                    self.finish(outcome, props.reason_string, out);
                }
                self.done = true;
            }
            _ => {}
        }
    }

    /// Reports the pending credentials with `outcome`.
    fn finish(&mut self, outcome: Outcome, reason: Option<&[u8]>, out: &mut Vec<Credential>) {
        let enhanced = self.enhanced.take().and_then(Enhanced::credential);
        for mut c in self.pending.take().into_iter().chain(enhanced) {
            c.outcome = outcome;
            if let Some(r) = reason.filter(|r| !r.is_empty() && outcome == Outcome::Failure) {
                c.details
                    .push(("reason", String::from_utf8_lossy(r).into_owned()));
            }
            out.push(c);
        }
    }
}

impl Dissector for Mqtt {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let Mqtt { framers, .. } = self;
        let [client, server] = framers;
        match dir {
            Direction::ToServer => {
                let mut packets = Vec::new();
                client.feed(
                    chunk,
                    |k| k == CONNECT || k == AUTH,
                    |p| {
                        packets.push((p.header, p.body.to_vec(), p.frames.to_vec(), p.ts));
                    },
                );
                for (header, body, frames, ts) in packets {
                    self.client_packet(Packet {
                        header,
                        body: &body,
                        frames: &frames,
                        ts,
                    });
                }
            }
            Direction::ToClient => {
                let mut packets = Vec::new();
                server.feed(
                    chunk,
                    |k| k == CONNACK || k == AUTH || k == DISCONNECT,
                    |p| {
                        packets.push((p.header, p.body.to_vec(), p.frames.to_vec(), p.ts));
                    },
                );
                for (header, body, frames, ts) in packets {
                    self.server_packet(
                        Packet {
                            header,
                            body: &body,
                            frames: &frames,
                            ts,
                        },
                        out,
                    );
                }
            }
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        let f = &mut self.framers[dir.index()];
        f.lost = true;
        f.buf = Vec::new();
        f.frames.clear();
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        // No CONNACK seen: the outcome stays unknown.
        self.finish(Outcome::Unknown, None, out);
    }

    fn done(&self) -> bool {
        self.done
    }

    fn buffered(&self) -> usize {
        let pending = |c: &Credential| {
            64 + c.secret.as_ref().map_or(0, Vec::len) + c.username.as_ref().map_or(0, Vec::len)
        };
        self.framers
            .iter()
            .map(|f| f.buf.capacity() + f.frames.capacity() * 8)
            .sum::<usize>()
            + self.pending.as_ref().map_or(0, pending)
            + self.enhanced.as_ref().map_or(0, |e| {
                e.method.len() + e.token.as_ref().map_or(0, pending) + 256
            })
    }
}

/// Builders of MQTT packets, for tests and fixtures.
pub mod build {
    fn varint(mut n: usize) -> Vec<u8> {
        let mut v = Vec::new();
        loop {
            let mut b = (n % 128) as u8;
            n /= 128;
            if n > 0 {
                b |= 0x80;
            }
            v.push(b);
            if n == 0 {
                return v;
            }
        }
    }

    fn prefixed(s: &[u8]) -> Vec<u8> {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    /// A packet: fixed header (type, flags) and body.
    pub fn packet(kind: u8, flags: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![kind << 4 | flags];
        v.extend(varint(body.len()));
        v.extend_from_slice(body);
        v
    }

    /// A property block of raw properties.
    pub fn properties(props: &[Vec<u8>]) -> Vec<u8> {
        let body = props.concat();
        let mut v = varint(body.len());
        v.extend(body);
        v
    }

    /// A string or binary property.
    pub fn prop_bytes(id: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vec![id];
        v.extend(prefixed(value));
        v
    }

    /// A user property (string pair).
    pub fn user_property(k: &[u8], v: &[u8]) -> Vec<u8> {
        let mut p = vec![0x26];
        p.extend(prefixed(k));
        p.extend(prefixed(v));
        p
    }

    /// What a CONNECT carries.
    #[derive(Clone, Debug, Default)]
    pub struct ConnectSpec<'a> {
        /// 3 (`MQIsdp`), 4 or 5.
        pub level: u8,
        pub client_id: &'a [u8],
        pub username: Option<&'a [u8]>,
        pub password: Option<&'a [u8]>,
        /// Will topic and payload.
        pub will: Option<(&'a [u8], &'a [u8])>,
        /// MQTT 5 CONNECT properties (raw).
        pub properties: Vec<Vec<u8>>,
    }

    pub fn connect(s: &ConnectSpec<'_>) -> Vec<u8> {
        let name: &[u8] = if s.level == 3 { b"MQIsdp" } else { b"MQTT" };
        let mut flags = 0x02u8;
        if s.username.is_some() {
            flags |= 0x80;
        }
        if s.password.is_some() {
            flags |= 0x40;
        }
        if s.will.is_some() {
            flags |= 0x04;
        }
        let mut body = prefixed(name);
        body.push(s.level);
        body.push(flags);
        body.extend_from_slice(&60u16.to_be_bytes());
        if s.level >= 5 {
            body.extend(properties(&s.properties));
        }
        body.extend(prefixed(s.client_id));
        if let Some((topic, payload)) = s.will {
            if s.level >= 5 {
                body.extend(properties(&[vec![0x18, 0, 0, 0, 5]]));
            }
            body.extend(prefixed(topic));
            body.extend(prefixed(payload));
        }
        if let Some(u) = s.username {
            body.extend(prefixed(u));
        }
        if let Some(p) = s.password {
            body.extend(prefixed(p));
        }
        packet(super::CONNECT, 0, &body)
    }

    /// A CONNACK with a return code (3.x) or a reason code and properties (5).
    pub fn connack(level: u8, code: u8, props: &[Vec<u8>]) -> Vec<u8> {
        let mut body = vec![0, code];
        if level >= 5 {
            body.extend(properties(props));
        }
        packet(super::CONNACK, 0, &body)
    }

    /// An MQTT 5 AUTH with a reason code and properties.
    pub fn auth(reason: u8, props: &[Vec<u8>]) -> Vec<u8> {
        let mut body = vec![reason];
        body.extend(properties(props));
        packet(super::AUTH, 0, &body)
    }

    /// A QoS 0 PUBLISH.
    pub fn publish(topic: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut body = prefixed(topic);
        body.extend_from_slice(payload);
        packet(super::PUBLISH, 0, &body)
    }

    pub fn disconnect() -> Vec<u8> {
        packet(super::DISCONNECT, 0, b"")
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Mqtt::default(), script).0
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn suricata_capture_packets_all_three_versions() {
        // The CONNECT and CONNACK of suricata-verify's mqtt31/311/5-pub-userpass captures.
        let cases = [
            (
                "102d00064d514973647003c2003c00136d79766f69636569736d7970617373706f7274000475736572000470617373",
                "20020000",
                "3.1",
            ),
            (
                "102b00044d51545404c2003c00136d79766f69636569736d7970617373706f7274000475736572000470617373",
                "20020000",
                "3.1.1",
            ),
            (
                "102f00044d51545405c2003c0321001400136d79766f69636569736d7970617373706f7274000475736572000470617373",
                "200600000322000a",
                "5.0",
            ),
        ];
        for (connect, connack, version) in cases {
            let (connect, connack) = (hex(connect), hex(connack));
            assert_eq!(probe(&connect, b""), Probe::Yes);
            let out = run(&[(C, &connect), (S, &connack)]);
            assert_eq!(out.len(), 1, "{version}");
            let c = &out[0];
            assert_eq!(c.username.as_deref(), Some(&b"user"[..]));
            assert_eq!(c.secret.as_deref(), Some(&b"pass"[..]));
            assert_eq!(c.outcome, Outcome::Success);
            assert_eq!(c.mechanism, "CONNECT");
            assert_eq!(c.kind, Kind::Cleartext);
            assert_eq!(c.frames, vec![1]);
            assert_eq!(c.detail("client_id"), Some("myvoiceismypassport"));
            assert_eq!(c.detail("version"), Some(version));
        }
    }

    #[test]
    fn refused_codes() {
        for (level, code, outcome) in [
            (4, 4, Outcome::Failure),
            (4, 5, Outcome::Failure),
            (3, 4, Outcome::Failure),
            (4, 2, Outcome::Unknown),
            (5, 0x86, Outcome::Failure),
            (5, 0x87, Outcome::Failure),
            (5, 0x84, Outcome::Unknown),
            (5, 0x00, Outcome::Success),
        ] {
            let connect = connect(&ConnectSpec {
                level,
                client_id: b"c",
                username: Some(b"u"),
                password: Some(b"p"),
                ..ConnectSpec::default()
            });
            let out = run(&[(C, &connect), (S, &connack(level, code, &[]))]);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].outcome, outcome, "level {level} code {code:#x}");
        }
    }

    #[test]
    fn binary_password_will_and_properties_are_skipped_right() {
        let pw = b"\x00\xffbin\x80ary";
        let props = vec![
            vec![0x11, 0, 0, 0x0e, 0x10], // session expiry
            user_property(b"k", b"v"),
            vec![0x21, 0, 10], // receive maximum
        ];
        let c = connect(&ConnectSpec {
            level: 5,
            client_id: b"",
            username: Some(b"dev\xc3\xa9"),
            password: Some(pw),
            will: Some((b"last/will", b"gone")),
            properties: props,
        });
        let out = run(&[(C, &c), (S, &connack(5, 0x86, &[prop_bytes(0x1f, b"bad")]))]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&pw[..]));
        assert_eq!(out[0].username.as_deref(), Some("devé".as_bytes()));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].detail("client_id"), None);
        assert_eq!(out[0].detail("reason"), Some("bad"));
    }

    #[test]
    fn no_password_no_credential_and_unknown_without_connack() {
        let c = connect(&ConnectSpec {
            level: 4,
            client_id: b"x",
            username: Some(b"only-user"),
            ..ConnectSpec::default()
        });
        assert!(run(&[(C, &c), (S, &connack(4, 0, &[]))]).is_empty());
        let c = connect(&ConnectSpec {
            level: 4,
            client_id: b"x",
            username: Some(b"u"),
            password: Some(b"p"),
            ..ConnectSpec::default()
        });
        let out = run(&[(C, &c)]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn jwt_password_is_a_token() {
        let jwt = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let c = connect(&ConnectSpec {
            level: 4,
            client_id: b"projects/p/devices/d",
            username: Some(b"unused"),
            password: Some(jwt),
            ..ConnectSpec::default()
        });
        let out = run(&[(C, &c), (S, &connack(4, 0, &[]))]);
        assert_eq!(out[0].kind, Kind::Token);
        assert!(!looks_like_token(b"eyJ.not a jwt"));
    }

    #[test]
    fn enhanced_auth_sasl_plain_and_custom_token() {
        let c = connect(&ConnectSpec {
            level: 5,
            client_id: b"e",
            properties: vec![
                prop_bytes(PROP_AUTH_METHOD, b"PLAIN"),
                prop_bytes(PROP_AUTH_DATA, b"\0alice\0s3cr3t"),
            ],
            ..ConnectSpec::default()
        });
        let out = run(&[(C, &c), (S, &connack(5, 0, &[]))]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "enhanced auth PLAIN");
        assert_eq!(out[0].username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"s3cr3t"[..]));
        assert_eq!(out[0].detail("method"), Some("PLAIN"));
        assert_eq!(out[0].outcome, Outcome::Success);

        // CRAM-MD5 over AUTH packets: the server's challenge, the client's answer.
        let c = connect(&ConnectSpec {
            level: 5,
            client_id: b"e",
            properties: vec![prop_bytes(PROP_AUTH_METHOD, b"CRAM-MD5")],
            ..ConnectSpec::default()
        });
        let out = run(&[
            (C, &c),
            (
                S,
                &auth(
                    0x18,
                    &[
                        prop_bytes(PROP_AUTH_METHOD, b"CRAM-MD5"),
                        prop_bytes(
                            PROP_AUTH_DATA,
                            b"<1896.697170952@postoffice.reston.mci.net>",
                        ),
                    ],
                ),
            ),
            (
                C,
                &auth(
                    0x18,
                    &[
                        prop_bytes(PROP_AUTH_METHOD, b"CRAM-MD5"),
                        prop_bytes(PROP_AUTH_DATA, b"tim b913a602c7eda7a495b4e6e7334d3890"),
                    ],
                ),
            ),
            (S, &connack(5, 0x87, &[])),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, Kind::ChallengeResponse);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].hashcat.as_ref().map(|h| h.mode), Some(10200));
        assert_eq!(out[0].frames, vec![3]);

        // A custom method: its data are a token; SCRAM exposes nothing.
        let c = connect(&ConnectSpec {
            level: 5,
            client_id: b"e",
            properties: vec![
                prop_bytes(PROP_AUTH_METHOD, b"custom-jwt"),
                prop_bytes(PROP_AUTH_DATA, b"tok3n"),
            ],
            ..ConnectSpec::default()
        });
        let out = run(&[(C, &c), (S, &connack(5, 0, &[]))]);
        assert_eq!(out[0].kind, Kind::Token);
        assert_eq!(out[0].secret.as_deref(), Some(&b"tok3n"[..]));
        let c = connect(&ConnectSpec {
            level: 5,
            client_id: b"e",
            properties: vec![
                prop_bytes(PROP_AUTH_METHOD, b"SCRAM-SHA-256"),
                prop_bytes(PROP_AUTH_DATA, b"n,,n=user,r=abc"),
            ],
            ..ConnectSpec::default()
        });
        assert!(run(&[(C, &c), (S, &connack(5, 0, &[]))]).is_empty());
    }

    #[test]
    fn publish_payloads_are_skipped_and_split_headers_rejoin() {
        let big = vec![0x10u8; 200_000]; // looks like CONNECT bytes, but is a payload
        let c = connect(&ConnectSpec {
            level: 4,
            client_id: b"c",
            username: Some(b"u"),
            password: Some(b"p"),
            ..ConnectSpec::default()
        });
        let publish = publish(b"t", &big);
        let mut d = Mqtt::default();
        let mut out = Vec::new();
        let mut feed = |d: &mut Mqtt, dir, data: &[u8]| {
            d.data(
                dir,
                Chunk {
                    data,
                    frame: 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            )
        };
        feed(&mut d, C, &c[..1]);
        feed(&mut d, C, &c[1..]);
        for part in publish.chunks(1460) {
            feed(&mut d, C, part);
        }
        assert!(d.buffered() < 1024, "{}", d.buffered());
        feed(&mut d, S, &connack(4, 0, &[]));
        assert!(d.done());
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn probe_cases() {
        let c = connect(&ConnectSpec {
            level: 4,
            client_id: b"c",
            ..ConnectSpec::default()
        });
        assert_eq!(probe(&c, b""), Probe::Yes);
        assert_eq!(probe(&c[..1], b""), Probe::Maybe);
        assert_eq!(probe(&c[..5], b""), Probe::Maybe);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01\x02\x00", b""), Probe::No);
        assert_eq!(probe(b"", b"SSH-2.0-x\r\n"), Probe::No);
        assert_eq!(
            probe(b"\x10\x0c\x00\x04MQTX\x04\x02\x00\x3c\x00\x00", b""),
            Probe::No
        );
        assert_eq!(
            parse_header(b"\x30\xff\xff\xff\xff\x01"),
            Err(HeaderError::Malformed)
        );
    }

    #[test]
    fn garbage_never_panics() {
        let c = connect(&ConnectSpec {
            level: 5,
            client_id: b"c",
            username: Some(b"u"),
            password: Some(b"p"),
            will: Some((b"t", b"w")),
            properties: vec![user_property(b"a", b"b")],
        });
        for cut in 0..c.len() {
            let mut broken = c.clone();
            broken.truncate(cut);
            // A CONNECT whose remaining length says more than there is, then bytes.
            let _ = parse_connect(broken.get(2..).unwrap_or_default());
            let _ = run(&[(C, &broken), (S, b"\x20\x02\x00")]);
            let mut flipped = c.clone();
            flipped[cut] ^= 0xff;
            let _ = run(&[(C, &flipped), (S, &connack(5, 0, &[]))]);
        }
    }
}
