//! Apache Kafka's binary protocol, TCP 9092: SASL authentication on a `SASL_PLAINTEXT`
//! listener (no TLS).
//!
//! A client names a mechanism in `SaslHandshake` (API key 17), then sends the mechanism's
//! bytes in `SaslAuthenticate` (API key 36; versions 0 and 1, and 2 in the "flexible"
//! encoding with tagged fields) — or, after a version 0 handshake (clients before Kafka
//! 1.0), as a bare length-prefixed token. `PLAIN` carries the user name and password
//! (RFC 4616: mechanism `SASL PLAIN`, cleartext); `OAUTHBEARER` a bearer token (RFC 7628:
//! mechanism `SASL OAUTHBEARER`, token); `SCRAM-SHA-256` and `SCRAM-SHA-512` (the usual
//! choice of managed clusters) the client's proof and the `AuthMessage` it signs, taken
//! from two `SaslAuthenticate` round trips (mechanism `SASL SCRAM-SHA-512`,
//! challenge-response, crackable offline: see [`super::scram`]). GSSAPI sends nothing to
//! report, nor does SCRAM after a version 0 handshake (bare tokens, clients before 1.0).
//!
//! Responses carry only the request's correlation ID, so requests are remembered by it.
//! `SaslAuthenticate`'s error code is the outcome: 0 success, 58
//! (`SASL_AUTHENTICATION_FAILED`) failure with its message in `details.reason`; a bare
//! token is answered by a bare (empty) token on success and a closed connection otherwise
//! (unknown). The client's `client_id` goes in `details.client_id`.

use std::collections::VecDeque;

use super::framing::{Framer, Measure};
use super::sasl::parse_plain;
use super::scram::{self, Scram};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "kafka",
    tcp_ports: &[9092],
    probe,
    new: |_config| Box::new(Kafka::default()),
};

pub const API_SASL_HANDSHAKE: i16 = 17;
pub const API_VERSIONS: i16 = 18;
pub const API_SASL_AUTHENTICATE: i16 = 36;
/// `SASL_AUTHENTICATION_FAILED`.
pub const SASL_AUTHENTICATION_FAILED: i16 = 58;

/// Longest frame read before the login: the requests of a login are small (a larger one
/// is data, and the inspection ends).
const MAX_FRAME: usize = 64 * 1024;
/// Requests remembered while their responses are awaited.
const MAX_PENDING: usize = 32;

/// A reader over a frame.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// An unsigned varint (the flexible encoding's lengths and counts).
    fn uvarint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..35).step_by(7) {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// A nullable string with a 16-bit length (-1: null).
    fn nullable_string(&mut self) -> Option<Option<&'a [u8]>> {
        match self.i16()? {
            -1 => Some(None),
            n if n >= 0 => Some(Some(self.take(n as usize)?)),
            _ => None,
        }
    }

    /// Tagged fields: a count, then each a tag, a size and that many bytes.
    fn skip_tagged_fields(&mut self) -> Option<()> {
        for _ in 0..self.uvarint()? {
            self.uvarint()?;
            let size = usize::try_from(self.uvarint()?).ok()?;
            self.take(size)?;
        }
        Some(())
    }

    /// Bytes with a 32-bit length (-1: null, read as empty).
    fn bytes(&mut self) -> Option<&'a [u8]> {
        match self.i32()? {
            -1 => Some(&[]),
            n if n >= 0 => self.take(n as usize),
            _ => None,
        }
    }

    /// Compact bytes: an unsigned varint of the length plus one (0: null).
    fn compact_bytes(&mut self) -> Option<&'a [u8]> {
        match self.uvarint()? {
            0 => Some(&[]),
            n => self.take(usize::try_from(n - 1).ok()?),
        }
    }

    /// A compact nullable string.
    fn compact_string(&mut self) -> Option<Option<&'a [u8]>> {
        match self.uvarint()? {
            0 => Some(None),
            n => Some(Some(self.take(usize::try_from(n - 1).ok()?)?)),
        }
    }
}

/// A request's header: API key, version, correlation ID, client ID; and its body.
#[derive(Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    pub client_id: Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// Whether a request of this API and version uses the flexible header (version 2).
fn flexible_request(api_key: i16, version: i16) -> bool {
    match api_key {
        API_SASL_AUTHENTICATE => version >= 2,
        API_VERSIONS => version >= 3,
        _ => false,
    }
}

/// A request frame's payload (after its 4-byte size).
pub fn request(frame: &[u8]) -> Option<Request<'_>> {
    let mut r = Reader(frame);
    let (api_key, api_version, correlation_id) = (r.i16()?, r.i16()?, r.i32()?);
    let client_id = r.nullable_string()?;
    if flexible_request(api_key, api_version) {
        r.skip_tagged_fields()?;
    }
    Some(Request {
        api_key,
        api_version,
        correlation_id,
        client_id,
        body: r.0,
    })
}

/// The mechanism's bytes of a `SaslAuthenticate` request body.
pub fn authenticate_bytes(body: &[u8], version: i16) -> Option<&[u8]> {
    let mut r = Reader(body);
    if version >= 2 {
        r.compact_bytes()
    } else {
        r.bytes()
    }
}

/// A `SaslAuthenticate` response's error code, message and mechanism's bytes.
pub type Answer<'a> = (i16, Option<&'a [u8]>, &'a [u8]);

/// A `SaslAuthenticate` response (after the correlation ID): its error code, message and
/// the mechanism's bytes (empty when cut short: a failure need not carry them).
pub fn authenticate_result(rest: &[u8], version: i16) -> Option<Answer<'_>> {
    let mut r = Reader(rest);
    if version >= 2 {
        r.skip_tagged_fields()?; // response header version 1
        let code = r.i16()?;
        let message = r.compact_string()?;
        Some((code, message, r.compact_bytes().unwrap_or_default()))
    } else {
        let code = r.i16()?;
        let message = r.nullable_string()?;
        Some((code, message, r.bytes().unwrap_or_default()))
    }
}

/// Kafka when the client's first request is a well-formed `ApiVersions` or
/// `SaslHandshake`: a size that holds the header, a known key, a small version, a client
/// ID that fits.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    let Some(size) = to_server.get(..4) else {
        // A size's high bytes are zero for any login request.
        return if to_server.iter().all(|&b| b == 0) {
            Probe::Maybe
        } else {
            Probe::No
        };
    };
    let size = u32::from_be_bytes(size.try_into().unwrap_or_default()) as usize;
    if !(10..=MAX_FRAME).contains(&size) {
        return Probe::No;
    }
    let head = &to_server[4..];
    if head.len() < 4 {
        return Probe::Maybe;
    }
    let api_key = i16::from_be_bytes([head[0], head[1]]);
    let version = i16::from_be_bytes([head[2], head[3]]);
    if !matches!(api_key, API_VERSIONS | API_SASL_HANDSHAKE) || !(0..=10).contains(&version) {
        return Probe::No;
    }
    let Some(frame) = head.get(..size) else {
        return Probe::Maybe;
    };
    match request(frame) {
        Some(r)
            if r.client_id
                .is_none_or(|c| c.iter().all(|b| b.is_ascii_graphic())) =>
        {
            Probe::Yes
        }
        _ => Probe::No,
    }
}

/// A request awaiting its response.
#[derive(Debug)]
struct Waiting {
    correlation_id: i32,
    api_key: i16,
    api_version: i16,
}

#[derive(Debug)]
pub struct Kafka {
    framers: [Framer; 2],
    waiting: VecDeque<Waiting>,
    /// The mechanism the last handshake named.
    mechanism: Option<Vec<u8>>,
    /// A version 0 handshake was accepted: the next client frame is a bare token.
    bare_token: bool,
    client_id: Option<String>,
    pending: Option<Box<Credential>>,
    /// A SCRAM exchange under way, and the frames of its client messages.
    scram: Option<(Box<Scram>, Vec<u64>)>,
    done: bool,
}

impl Default for Kafka {
    fn default() -> Kafka {
        Kafka {
            framers: [Framer::new(MAX_FRAME + 4), Framer::new(MAX_FRAME + 4)],
            waiting: VecDeque::new(),
            mechanism: None,
            bare_token: false,
            client_id: None,
            pending: None,
            scram: None,
            done: false,
        }
    }
}

/// A frame's length: its 4-byte size and what follows.
fn measure(b: &[u8]) -> Measure {
    match b.get(..4) {
        Some(size) => {
            Measure::Total(4 + u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize)
        }
        None => Measure::More,
    }
}

impl Kafka {
    fn credential(&self, token: &[u8], ts: Timestamp) -> Option<Credential> {
        let mut c = match self.mechanism.as_deref()? {
            b"PLAIN" => {
                let (_, user, password) = parse_plain(token)?;
                let mut c = Credential::new("kafka", "SASL PLAIN", Kind::Cleartext, ts);
                c.username = Some(user.to_vec());
                c.secret = Some(password.to_vec());
                c
            }
            b"OAUTHBEARER" => {
                // gs2 header, then key=value pairs separated by 0x01: auth=Bearer <token>.
                let token = token
                    .split(|&b| b == 1)
                    .find_map(|kv| kv.strip_prefix(b"auth=Bearer "))?;
                let mut c = Credential::new("kafka", "SASL OAUTHBEARER", Kind::Token, ts);
                c.secret = Some(token.to_vec());
                c
            }
            _ => return None,
        };
        if let Some(id) = &self.client_id {
            c.details.push(("client_id", id.clone()));
        }
        Some(c)
    }

    /// A SCRAM message from the client: the credential once its final message came.
    fn scram_client(
        &mut self,
        hash: scram::Hash,
        token: &[u8],
        frames: &[u64],
        ts: Timestamp,
    ) -> Option<Credential> {
        let (s, scram_frames) = self
            .scram
            .get_or_insert_with(|| (Box::new(Scram::new(hash)), Vec::new()));
        scram_frames.extend_from_slice(frames);
        match s.client(token) {
            scram::Progress::Complete => {}
            scram::Progress::Continue => return None,
            _ => {
                self.scram = None;
                return None;
            }
        }
        let (s, scram_frames) = self.scram.take()?;
        let mut c = s.credential("kafka", format!("SASL {}", hash.mechanism()), ts)?;
        // The `SaslAuthenticate` response judges.
        c.add_frames(scram_frames);
        if let Some(id) = &self.client_id {
            c.details.push(("client_id", id.clone()));
        }
        Some(c)
    }

    fn client_frame(&mut self, frame: &[u8], frames: Vec<u64>, ts: Timestamp) {
        if std::mem::take(&mut self.bare_token) {
            if let Some(mut c) = self.credential(frame, ts) {
                c.add_frames(frames);
                self.pending = Some(Box::new(c));
            } else {
                self.done = true;
            }
            return;
        }
        let Some(r) = request(frame) else {
            self.done = true;
            return;
        };
        if let Some(id) = r.client_id.filter(|c| !c.is_empty()) {
            self.client_id = Some(String::from_utf8_lossy(id).into_owned());
        }
        match r.api_key {
            API_SASL_HANDSHAKE => {
                let mut b = Reader(r.body);
                self.mechanism = b.nullable_string().flatten().map(<[u8]>::to_vec);
            }
            API_SASL_AUTHENTICATE => {
                let token = authenticate_bytes(r.body, r.api_version);
                let scram = self
                    .mechanism
                    .as_deref()
                    .and_then(scram::Hash::from_mechanism);
                let made = match (token, scram) {
                    (Some(token), Some(hash)) => self.scram_client(hash, token, &frames, ts),
                    (Some(token), None) => self.credential(token, ts),
                    (None, _) => None,
                };
                match made {
                    Some(mut c) => {
                        c.add_frames(frames);
                        self.pending = Some(Box::new(c));
                    }
                    None => self.done = self.pending.is_none() && self.scram.is_none(),
                }
            }
            _ => {}
        }
        if self.waiting.len() >= MAX_PENDING {
            self.waiting.pop_front();
        }
        self.waiting.push_back(Waiting {
            correlation_id: r.correlation_id,
            api_key: r.api_key,
            api_version: r.api_version,
        });
    }

    fn server_frame(&mut self, frame: &[u8], out: &mut Vec<Credential>) {
        // A bare token's answer: another bare token (empty for PLAIN).
        if self.pending.is_some()
            && self
                .waiting
                .back()
                .is_none_or(|w| w.api_key != API_SASL_AUTHENTICATE)
        {
            if let Some(mut c) = self.pending.take() {
                c.outcome = Outcome::Success;
                out.push(*c);
            }
            self.done = true;
            return;
        }
        let mut r = Reader(frame);
        let Some(id) = r.i32() else {
            return;
        };
        let Some(at) = self.waiting.iter().position(|w| w.correlation_id == id) else {
            return;
        };
        let Some(w) = self.waiting.remove(at) else {
            return;
        };
        match w.api_key {
            API_SASL_HANDSHAKE => {
                let accepted = r.i16() == Some(0);
                self.bare_token = accepted && w.api_version == 0;
            }
            API_SASL_AUTHENTICATE => {
                let Some(mut c) = self.pending.take() else {
                    // A SCRAM exchange's first answer: the server-first message, or a
                    // refusal before any proof was sent.
                    if let Some((s, _)) = self.scram.as_mut() {
                        let taken = authenticate_result(r.0, w.api_version)
                            .filter(|(code, _, _)| *code == 0)
                            .is_some_and(|(_, _, auth)| {
                                s.server(auth) == scram::Progress::Continue
                            });
                        if !taken {
                            self.scram = None;
                            self.done = true;
                        }
                    }
                    return;
                };
                if let Some((code, message, _)) = authenticate_result(r.0, w.api_version) {
                    c.outcome = match code {
                        0 => Outcome::Success,
                        SASL_AUTHENTICATION_FAILED => Outcome::Failure,
                        _ => Outcome::Unknown,
                    };
                    if let Some(m) = message.filter(|m| code != 0 && !m.is_empty()) {
                        c.details
                            .push(("reason", String::from_utf8_lossy(m).into_owned()));
                    }
                }
                out.push(*c);
                self.done = true;
            }
            _ => {}
        }
    }
}

impl Dissector for Kafka {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let i = dir.index();
        self.framers[i].push(chunk);
        while !self.done {
            // Login messages are few and small: copied out of the framer to be read.
            let Some(msg) = self.framers[i].next(measure) else {
                break;
            };
            let (bytes, frames, ts) = (msg.bytes[4..].to_vec(), msg.frames, msg.ts);
            match dir {
                Direction::ToServer => self.client_frame(&bytes, frames, ts),
                Direction::ToClient => self.server_frame(&bytes, out),
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

    fn close(&mut self, out: &mut Vec<Credential>) {
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
    }

    fn done(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self.waiting.len() * 16
            + self.pending.as_ref().map_or(0, |_| 256)
    }
}

/// Kafka requests and responses, for tests and fixtures.
pub mod build {
    use super::*;

    fn sized(payload: Vec<u8>) -> Vec<u8> {
        let mut v = (payload.len() as u32).to_be_bytes().to_vec();
        v.extend(payload);
        v
    }

    fn string(v: &mut Vec<u8>, s: &[u8]) {
        v.extend((s.len() as i16).to_be_bytes());
        v.extend(s);
    }

    /// An unsigned varint.
    fn uvarint(v: &mut Vec<u8>, mut n: u64) {
        while n >= 0x80 {
            v.push((n as u8) | 0x80);
            n >>= 7;
        }
        v.push(n as u8);
    }

    /// A request with a non-flexible header (client ID `client`) or, when `flexible`, a
    /// flexible one (empty tagged fields), and `body`.
    pub fn frame(api_key: i16, version: i16, id: i32, client: &[u8], body: &[u8]) -> Vec<u8> {
        let mut v = api_key.to_be_bytes().to_vec();
        v.extend(version.to_be_bytes());
        v.extend(id.to_be_bytes());
        string(&mut v, client);
        if flexible_request(api_key, version) {
            v.push(0);
        }
        v.extend(body);
        sized(v)
    }

    /// `SaslHandshake` naming `mechanism`.
    pub fn handshake(version: i16, id: i32, client: &[u8], mechanism: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        string(&mut body, mechanism);
        frame(API_SASL_HANDSHAKE, version, id, client, &body)
    }

    /// Its response: error code 0 and the enabled mechanisms.
    pub fn handshake_ok(id: i32, mechanisms: &[&[u8]]) -> Vec<u8> {
        let mut v = id.to_be_bytes().to_vec();
        v.extend(0i16.to_be_bytes());
        v.extend((mechanisms.len() as i32).to_be_bytes());
        for m in mechanisms {
            string(&mut v, m);
        }
        sized(v)
    }

    /// `SaslAuthenticate` with `token`, in the encoding of `version`.
    pub fn authenticate(version: i16, id: i32, client: &[u8], token: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        if version >= 2 {
            uvarint(&mut body, token.len() as u64 + 1);
            body.extend(token);
            body.push(0);
        } else {
            body.extend((token.len() as i32).to_be_bytes());
            body.extend(token);
        }
        frame(API_SASL_AUTHENTICATE, version, id, client, &body)
    }

    /// Its response with `code` and `message`.
    pub fn authenticate_response(version: i16, id: i32, code: i16, message: &[u8]) -> Vec<u8> {
        authenticate_answer(version, id, code, message, b"")
    }

    /// Its response with `code`, `message` and the mechanism's bytes `auth`.
    pub fn authenticate_answer(
        version: i16,
        id: i32,
        code: i16,
        message: &[u8],
        auth: &[u8],
    ) -> Vec<u8> {
        let mut v = id.to_be_bytes().to_vec();
        if version >= 2 {
            v.push(0); // header tagged fields
            v.extend(code.to_be_bytes());
            v.push(if message.is_empty() {
                0
            } else {
                message.len() as u8 + 1
            });
            v.extend(message);
            uvarint(&mut v, auth.len() as u64 + 1);
            v.extend(auth);
            v.extend(0i64.to_be_bytes());
            v.push(0);
        } else {
            v.extend(code.to_be_bytes());
            if message.is_empty() {
                v.extend((-1i16).to_be_bytes());
            } else {
                string(&mut v, message);
            }
            v.extend((auth.len() as i32).to_be_bytes());
            v.extend(auth);
            if version >= 1 {
                v.extend(0i64.to_be_bytes());
            }
        }
        sized(v)
    }

    /// A bare, length-prefixed token (after a version 0 handshake).
    pub fn bare(token: &[u8]) -> Vec<u8> {
        sized(token.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    const CLIENT: &[u8] = b"producer-1";

    fn run(script: &[(Direction, Vec<u8>)]) -> (Vec<Credential>, bool) {
        let script: Vec<(Direction, &[u8])> =
            script.iter().map(|(d, b)| (*d, b.as_slice())).collect();
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            &script,
        )
    }

    fn login(version: i16, token: &[u8], code: i16, message: &[u8]) -> Vec<(Direction, Vec<u8>)> {
        vec![
            (
                C,
                frame(
                    API_VERSIONS,
                    3,
                    1,
                    CLIENT,
                    &[
                        0x08, b'a', b'p', b'a', b'c', b'h', b'e', 0x04, b'3', b'.', b'6', 0,
                    ],
                ),
            ),
            (S, {
                let mut v = 1i32.to_be_bytes().to_vec();
                v.extend([0, 0, 1]);
                (v.len() as u32)
                    .to_be_bytes()
                    .into_iter()
                    .chain(v)
                    .collect()
            }),
            (C, handshake(1, 2, CLIENT, b"PLAIN")),
            (S, handshake_ok(2, &[b"PLAIN", b"SCRAM-SHA-512"])),
            (C, authenticate(version, 3, CLIENT, token)),
            (S, authenticate_response(version, 3, code, message)),
        ]
    }

    #[test]
    fn plain_accepted_in_every_authenticate_version() {
        for version in [0, 1, 2] {
            let (out, done) = run(&login(version, b"\0alice\0K4fka-pw", 0, b""));
            assert!(done, "{version}");
            assert_eq!(out.len(), 1, "{version}");
            let c = &out[0];
            assert_eq!(c.protocol, "kafka");
            assert_eq!(c.mechanism, "SASL PLAIN");
            assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
            assert_eq!(c.secret.as_deref(), Some(&b"K4fka-pw"[..]));
            assert_eq!(c.outcome, Outcome::Success, "{version}");
            assert_eq!(c.frames, vec![5]);
            assert_eq!(c.details, vec![("client_id", "producer-1".to_string())]);
        }
    }

    #[test]
    fn refused_with_its_message() {
        for version in [0, 2] {
            let message = b"Authentication failed: Invalid username or password";
            let (out, _) = run(&login(
                version,
                b"\0bob\0nope",
                SASL_AUTHENTICATION_FAILED,
                message,
            ));
            assert_eq!(out[0].outcome, Outcome::Failure, "{version}");
            assert!(
                out[0]
                    .details
                    .contains(&("reason", String::from_utf8_lossy(message).into_owned()))
            );
        }
    }

    #[test]
    fn bare_token_after_a_version_0_handshake() {
        let script = vec![
            (C, handshake(0, 1, CLIENT, b"PLAIN")),
            (S, handshake_ok(1, &[b"PLAIN"])),
            (C, bare(b"\0carol\0old-Cl1ent")),
            (S, bare(b"")),
        ];
        let (out, _) = run(&script);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"old-Cl1ent"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        // The server closes instead: unknown.
        let (out, _) = run(&script[..3]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn oauthbearer_token() {
        let mut s = login(2, b"n,,\x01auth=Bearer eyJhbGciOi.x.y\x01\x01", 0, b"");
        s[2] = (C, handshake(1, 2, CLIENT, b"OAUTHBEARER"));
        let (out, _) = run(&s);
        assert_eq!(out[0].kind, Kind::Token);
        assert_eq!(out[0].secret.as_deref(), Some(&b"eyJhbGciOi.x.y"[..]));
    }

    /// A SCRAM login in `SaslAuthenticate` version `version`, the last answer `code`.
    fn scram_login(version: i16, password: &str, code: i16) -> Vec<(Direction, Vec<u8>)> {
        let [first, server, fin, verdict] = crate::dissect::scram::build::exchange(
            scram::Hash::Sha512,
            "alice",
            password,
            "f1ed5b8b3b5a4b0a9b2e",
            "1ycn0l8zw3eq3crhhylsbjq7kr",
            b"kafka-salt-16byt",
            4096,
        );
        let mut s = login(version, &first, 0, b"");
        s[2] = (C, handshake(1, 2, CLIENT, b"SCRAM-SHA-512"));
        s[5] = (S, authenticate_answer(version, 3, 0, b"", &server));
        s.push((C, authenticate(version, 4, CLIENT, &fin)));
        s.push(match code {
            0 => (S, authenticate_answer(version, 4, 0, b"", &verdict)),
            _ => (
                S,
                authenticate_response(
                    version,
                    4,
                    code,
                    b"Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
                ),
            ),
        });
        s
    }

    #[test]
    fn scram_is_a_crackable_exchange_with_its_outcome() {
        for version in [0, 1, 2] {
            let (out, done) = run(&scram_login(version, "K4fka-scram", 0));
            assert!(done);
            assert_eq!(out.len(), 1, "version {version}: {out:?}");
            let c = &out[0];
            assert_eq!(c.mechanism, "SASL SCRAM-SHA-512");
            assert_eq!(c.kind, Kind::ChallengeResponse);
            assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
            assert_eq!(c.outcome, Outcome::Success);
            assert_eq!(c.frames, vec![5, 7]);
            assert_eq!(c.detail("client_id"), Some("producer-1"));
            assert!(crate::dissect::scram::proves(c, "K4fka-scram"));
            let (out, _) = run(&scram_login(version, "wrong", SASL_AUTHENTICATION_FAILED));
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].outcome, Outcome::Failure);
            assert!(
                out[0]
                    .detail("reason")
                    .unwrap()
                    .contains("invalid credentials")
            );
            assert!(crate::dissect::scram::proves(&out[0], "wrong"));
        }
        // Refused at the first step (an unknown user): nothing was proven, nothing to say.
        let mut s = scram_login(1, "x", 0);
        s[5] = (
            S,
            authenticate_response(1, 3, SASL_AUTHENTICATION_FAILED, b"no"),
        );
        s.truncate(6);
        let (out, done) = run(&s);
        assert!(out.is_empty());
        assert!(done);
    }

    #[test]
    fn byte_by_byte_reads_the_same() {
        let s = login(2, b"\0alice\0K4fka-pw", 0, b"");
        let bytes: Vec<(Direction, Vec<u8>)> = s
            .iter()
            .flat_map(|(d, b)| b.iter().map(move |x| (*d, vec![*x])))
            .collect();
        let (out, _) = run(&bytes);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Success);
        let first = s[..4].iter().map(|(_, b)| b.len() as u64).sum::<u64>() + 1;
        let last = first + s[4].1.len() as u64 - 1;
        // The framer keeps the first 31 pieces' frames and folds the rest into the last.
        let f = &out[0].frames;
        assert_eq!((f.first(), f.last()), (Some(&first), Some(&last)));
        assert!(
            f.len() <= 32 && f.iter().all(|x| (first..=last).contains(x)),
            "{f:?}"
        );
    }

    #[test]
    fn probe_wants_a_login_request() {
        let hs = handshake(1, 2, CLIENT, b"PLAIN");
        assert_eq!(probe(&hs, b""), Probe::Yes);
        assert_eq!(probe(&login(2, b"", 0, b"")[0].1, b""), Probe::Yes);
        assert_eq!(probe(&hs[..3], b""), Probe::Maybe);
        assert_eq!(probe(&hs[..6], b""), Probe::Maybe);
        assert_eq!(probe(&hs[..12], b""), Probe::Maybe);
        // A produce request (key 0) first, a huge size, text: not a login.
        assert_eq!(probe(&frame(0, 9, 1, CLIENT, &[0; 8]), b""), Probe::No);
        assert_eq!(probe(b"\x7f\0\0\0\0\x12", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"\0\0\0\x06"), Probe::No);
        let mut bad_client = hs.clone();
        bad_client[14] = 0x01; // a control byte in the client ID
        assert_eq!(probe(&bad_client, b""), Probe::No);
    }

    #[test]
    fn garbage_never_panics() {
        let valid: Vec<Vec<u8>> = login(2, b"\0a\0b", 58, b"no")
            .into_iter()
            .chain(login(0, b"\0a\0b", 0, b""))
            .map(|(_, b)| b)
            .chain([bare(b"\0a\0b")])
            .collect();
        crate::dissect::garbage::feed(
            0x6b61_f4a0,
            2000,
            6,
            &valid,
            Kafka::default,
            |b| {
                let _ = probe(b, b);
                if let Some(r) = request(b) {
                    let _ = authenticate_bytes(r.body, r.api_version);
                }
                let _ = authenticate_result(b, 2);
                let _ = authenticate_result(b, 0);
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * MAX_FRAME),
        );
    }
}
