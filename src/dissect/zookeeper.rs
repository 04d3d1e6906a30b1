//! Apache ZooKeeper's client protocol, TCP 2181: the `digest` authentication scheme, SASL
//! logins (DIGEST-MD5), and the password hashes of digest ACLs.
//!
//! Every message is a 4-byte big-endian length and a jute record. A session opens with the
//! client's ConnectRequest (protocol version 0, last zxid seen, timeout, session id, the
//! session's own 16-byte password, a read-only flag) and the server's ConnectResponse;
//! then each request is `xid, type, body` and each reply `xid, zxid, err, body`.
//!
//! - **`auth` requests** (type 100, xid -4: zkCli's `addauth`, Kazoo's `auth_data`,
//!   Curator's `authorization`): a scheme and its data. Scheme `digest` carries
//!   `user:password` in cleartext (mechanism `digest`). ZooKeeper does not check that
//!   password: it records the identity `user:Base64(SHA-1(user:password))` for the session,
//!   which ACLs (or the super user's digest) match later. Such a login's outcome is
//!   `unknown`, unless the server refused the packet (`AUTHFAILED`: a `failure`). Other
//!   schemes but `ip` and `x509` (which carry no secret) carry an authentication provider's
//!   token: kind `token`, the scheme as the mechanism.
//! - **SASL** (type 102): the tokens of a Java SASL exchange. ZooKeeper names no mechanism
//!   on the wire: an exchange the client opens with an empty token and the server answers
//!   with DIGEST-MD5's directives is `SASL DIGEST-MD5` (the client's response can be
//!   cracked; the next reply says success, or `AUTHFAILED`). GSSAPI exchanges (Kerberos) are
//!   not read.
//! - **digest ACLs**, in `create`, `create2`, `createContainer`, `createTTL` (also inside
//!   `multi`) and `setACL` requests and in `getACL` replies: the entry
//!   `digest:user:Base64(SHA-1(user:password))` is the password's hash, salted only by the
//!   user name: hashcat 120 (`sha1($salt.$pass)`, the salt `user:`). Kind
//!   `challenge-response`, mechanism `digest ACL`, the node in `details.path`; each entry
//!   once per connection.

use std::collections::VecDeque;

use base64::Engine as _;

use super::framing::{Framer, Measure};
use super::sasl::{BASE64, Exchange, Step, parse_directives};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "zookeeper",
    tcp_ports: &[2181],
    probe,
    new: |_config| Box::new(ZooKeeper::default()),
};

/// Request types (`ZooDefs.OpCode`).
pub const OP_CREATE: i32 = 1;
pub const OP_DELETE: i32 = 2;
pub const OP_SET_DATA: i32 = 5;
pub const OP_GET_ACL: i32 = 6;
pub const OP_SET_ACL: i32 = 7;
pub const OP_CHECK: i32 = 13;
pub const OP_MULTI: i32 = 14;
pub const OP_CREATE2: i32 = 15;
pub const OP_CREATE_CONTAINER: i32 = 19;
pub const OP_CREATE_TTL: i32 = 21;
pub const OP_AUTH: i32 = 100;
pub const OP_SASL: i32 = 102;
/// The xid of `auth` requests and their replies.
pub const AUTH_XID: i32 = -4;
/// `KeeperException.Code.AUTHFAILED`.
pub const AUTH_FAILED: i32 = -115;

/// Longest message read (logins and ACLs are small; node data up to ZooKeeper's 1 MiB
/// limit is skipped without being buffered).
const MAX_MESSAGE: usize = 16 * 1024;
/// Requests awaiting a reply that matters, remembered at most.
const MAX_PENDING: usize = 32;
/// Digest ACL entries remembered per connection (later ones are reported unremembered).
const MAX_SEEN: usize = 64;
/// Most entries read from one ACL list.
const MAX_ACL: usize = 64;

/// A jute record being read.
struct Jute<'a> {
    b: &'a [u8],
}

impl<'a> Jute<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Some(head)
    }

    fn int(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn long(&mut self) -> Option<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(i64::from_be_bytes(a))
    }

    fn boolean(&mut self) -> Option<bool> {
        self.take(1).map(|b| b[0] != 0)
    }

    /// A buffer or string: a length (-1 for null) and its bytes.
    fn buffer(&mut self) -> Option<&'a [u8]> {
        match self.int()? {
            -1 => Some(&[]),
            n => self.take(usize::try_from(n).ok()?),
        }
    }

    /// A vector of ACLs: `perms`, then the Id's scheme and id. `None` when malformed.
    fn acl(&mut self) -> Option<Vec<(&'a [u8], &'a [u8])>> {
        let n = self.int()?;
        let mut acl = Vec::new();
        for _ in 0..n.clamp(0, MAX_ACL as i32) {
            let _perms = self.int()?;
            let scheme = self.buffer()?;
            let id = self.buffer()?;
            acl.push((scheme, id));
        }
        Some(acl)
    }
}

/// A client's ConnectRequest (`protocolVersion`, `lastZxidSeen`, `timeOut`, `sessionId`,
/// `passwd`, optional `readOnly`), prefix included: whether it is one.
pub fn is_connect_request(msg: &[u8]) -> bool {
    let mut j = Jute { b: msg };
    let (Some(len), Some(version), Some(_zxid), Some(timeout), Some(_session)) =
        (j.int(), j.int(), j.long(), j.int(), j.long())
    else {
        return false;
    };
    let Some(passwd) = j.buffer() else {
        return false;
    };
    version == 0
        && timeout > 0
        && passwd.len() <= 64
        && j.b.len() <= 1
        && usize::try_from(len).is_ok_and(|l| l + 4 == msg.len())
}

/// ZooKeeper: a whole ConnectRequest (Yes); the start of one (Maybe).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        // The server never speaks first.
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    // The length (a ConnectRequest is 44 or 45 bytes, up to 93 with a longer password)
    // and the protocol version, 0.
    const HEAD: [u8; 8] = [0, 0, 0, 0x2c, 0, 0, 0, 0];
    let n = to_server.len().min(8);
    let head_ok = to_server[..n].iter().enumerate().all(|(i, &b)| match i {
        3 => (0x2c..=0x5d).contains(&b),
        _ => b == HEAD[i],
    });
    if !head_ok {
        return Probe::No;
    }
    let total = usize::from(to_server.get(3).copied().unwrap_or(0x2c)) + 4;
    if to_server.len() < total {
        return Probe::Maybe;
    }
    if is_connect_request(&to_server[..total]) {
        Probe::Yes
    } else {
        Probe::No
    }
}

fn measure(b: &[u8]) -> Measure {
    match b.get(..4) {
        None => Measure::More,
        Some(h) => match i32::from_be_bytes([h[0], h[1], h[2], h[3]]) {
            n if n >= 0 => Measure::Total(n as usize + 4),
            _ => Measure::Invalid,
        },
    }
}

/// Where an ACL was read: its node, the request, the message's frames and time.
struct Site<'a> {
    path: String,
    request: &'static str,
    frames: &'a [u64],
    ts: Timestamp,
}

/// A request whose reply is read.
#[derive(Debug)]
enum Pending {
    /// An `auth` packet's credential (`None`: a scheme without a secret).
    Auth(Option<Box<Credential>>),
    Sasl,
    /// A `getACL` of this path.
    GetAcl(String),
}

/// ZooKeeper's error codes that say something about a login.
fn error_name(err: i32) -> String {
    match err {
        AUTH_FAILED => "AUTHFAILED".to_string(),
        -102 => "NOAUTH".to_string(),
        -124 => "SESSIONCLOSEDREQUIRESASLAUTH".to_string(),
        n => format!("error {n}"),
    }
}

#[derive(Debug, Default)]
pub struct ZooKeeper {
    framers: Option<Box<[Framer; 2]>>,
    /// The client's ConnectRequest was read.
    connected: bool,
    /// The server's ConnectResponse was read.
    accepted: bool,
    pending: VecDeque<(i32, Pending)>,
    /// The SASL exchange in progress, once its client opened it with an empty token.
    sasl: Option<Exchange>,
    /// Digest ACL entries reported.
    seen: Vec<Vec<u8>>,
    done: bool,
}

impl ZooKeeper {
    fn push_pending(&mut self, xid: i32, p: Pending, out: &mut Vec<Credential>) {
        if self.pending.len() >= MAX_PENDING
            && let Some((_, Pending::Auth(Some(c)))) = self.pending.pop_front()
        {
            out.push(*c);
        }
        self.pending.push_back((xid, p));
    }

    /// The digest entries of an ACL (`user:Base64(SHA-1(user:password))`) as findings,
    /// each once.
    fn acl_entries(&mut self, acl: &[(&[u8], &[u8])], at: &Site<'_>, out: &mut Vec<Credential>) {
        for &(scheme, id) in acl {
            if scheme == b"digest" {
                self.acl_entry(id, at, out);
            }
        }
    }

    fn acl_entry(&mut self, id: &[u8], at: &Site<'_>, out: &mut Vec<Credential>) {
        let Some(i) = memchr::memrchr(b':', id) else {
            return;
        };
        let (user, hash_b64) = (&id[..i], &id[i + 1..]);
        let Ok(hash) = BASE64.decode(hash_b64) else {
            return;
        };
        if hash.len() != 20 || user.is_empty() || self.seen.iter().any(|s| s == id) {
            return;
        }
        if self.seen.len() < MAX_SEEN {
            self.seen.push(id.to_vec());
        }
        let mut c = Credential::new("zookeeper", "digest ACL", Kind::ChallengeResponse, at.ts);
        c.username = Some(user.to_vec());
        c.secret = Some(hash_b64.to_vec());
        c.hashcat = Some(Hashcat {
            mode: 120,
            hash: format!("{}:{}:", hex(&hash), String::from_utf8_lossy(user)),
            hex_salt: false,
        });
        c.details.push(("path", at.path.clone()));
        c.details.push(("request", at.request.to_string()));
        c.add_frames(at.frames.iter().copied());
        out.push(c);
    }

    /// A create-like request's body: the path, data, ACL (and flags, TTL).
    fn create(
        &mut self,
        j: &mut Jute<'_>,
        ttl: bool,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) -> Option<()> {
        let path = String::from_utf8_lossy(j.buffer()?).into_owned();
        let _data = j.buffer()?;
        let acl = j.acl()?;
        let _flags = j.int()?;
        if ttl {
            let _ttl = j.long()?;
        }
        let at = Site {
            path,
            request: "create",
            frames,
            ts,
        };
        self.acl_entries(&acl, &at, out);
        Some(())
    }

    /// A `multi` request's operations (creates read, others passed over).
    fn multi(
        &mut self,
        j: &mut Jute<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) -> Option<()> {
        for _ in 0..1024 {
            let op = j.int()?;
            let done = j.boolean()?;
            let _err = j.int()?;
            if done || op == -1 {
                return Some(());
            }
            match op {
                OP_CREATE | OP_CREATE2 | OP_CREATE_CONTAINER => {
                    self.create(j, false, frames, ts, out)?;
                }
                OP_CREATE_TTL => self.create(j, true, frames, ts, out)?,
                OP_DELETE | OP_CHECK => {
                    j.buffer()?;
                    j.int()?;
                }
                OP_SET_DATA => {
                    j.buffer()?;
                    j.buffer()?;
                    j.int()?;
                }
                _ => return None,
            }
        }
        Some(())
    }

    fn client_message(
        &mut self,
        msg: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        if !self.connected {
            if is_connect_request(msg) {
                self.connected = true;
            } else {
                self.done = true;
            }
            return;
        }
        let mut j = Jute { b: &msg[4..] };
        let (Some(xid), Some(op)) = (j.int(), j.int()) else {
            return;
        };
        match op {
            OP_AUTH => {
                let (Some(_type), Some(scheme), Some(auth)) = (j.int(), j.buffer(), j.buffer())
                else {
                    return;
                };
                let c = auth_credential(scheme, auth, frames, ts).map(Box::new);
                self.push_pending(xid, Pending::Auth(c), out);
            }
            OP_SASL => {
                let Some(token) = j.buffer() else {
                    return;
                };
                match self.sasl.as_mut() {
                    Some(x) if !x.is_complete() => {
                        if let Step::Cancelled | Step::Invalid =
                            x.client_response(BASE64.encode(token).as_bytes(), frames, ts)
                        {
                            self.sasl = None;
                        }
                    }
                    // The empty token that opens DIGEST-MD5 (GSSAPI opens with its own).
                    _ if token.is_empty() => self.sasl = Exchange::start(b"DIGEST-MD5"),
                    _ => self.sasl = None,
                }
                self.push_pending(xid, Pending::Sasl, out);
            }
            OP_CREATE | OP_CREATE2 | OP_CREATE_CONTAINER => {
                let _ = self.create(&mut j, false, frames, ts, out);
            }
            OP_CREATE_TTL => {
                let _ = self.create(&mut j, true, frames, ts, out);
            }
            OP_MULTI => {
                let _ = self.multi(&mut j, frames, ts, out);
            }
            OP_SET_ACL => {
                let (Some(path), Some(acl)) = (j.buffer(), j.acl()) else {
                    return;
                };
                let at = Site {
                    path: String::from_utf8_lossy(path).into_owned(),
                    request: "setACL",
                    frames,
                    ts,
                };
                self.acl_entries(&acl, &at, out);
            }
            OP_GET_ACL => {
                if let Some(path) = j.buffer() {
                    let path = String::from_utf8_lossy(path).into_owned();
                    self.push_pending(xid, Pending::GetAcl(path), out);
                }
            }
            _ => {}
        }
    }

    fn server_message(
        &mut self,
        msg: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        if !self.accepted {
            // The ConnectResponse.
            self.accepted = true;
            return;
        }
        let mut j = Jute { b: &msg[4..] };
        let (Some(xid), Some(_zxid), Some(err)) = (j.int(), j.long(), j.int()) else {
            return;
        };
        let Some(i) = self.pending.iter().position(|(x, _)| *x == xid) else {
            return;
        };
        let Some((_, pending)) = self.pending.remove(i) else {
            return;
        };
        match pending {
            Pending::Auth(None) => {}
            Pending::Auth(Some(mut c)) => {
                if err != 0 {
                    c.outcome = Outcome::Failure;
                    c.details.push(("reason", error_name(err)));
                }
                out.push(*c);
            }
            Pending::Sasl => {
                let Some(mut x) = self.sasl.take() else {
                    return;
                };
                if x.is_complete() {
                    if let Some(mut c) = x.credential("zookeeper", "SASL") {
                        if err == 0 {
                            c.outcome = Outcome::Success;
                        } else {
                            c.outcome = Outcome::Failure;
                            c.details.push(("reason", error_name(err)));
                        }
                        out.push(c);
                    }
                    return;
                }
                let token = if err == 0 { j.buffer() } else { None };
                match token {
                    // DIGEST-MD5's challenge: the exchange goes on.
                    Some(t) if parse_directives(t).iter().any(|(n, _)| n == "nonce") => {
                        x.server_challenge(BASE64.encode(t).as_bytes());
                        self.sasl = Some(x);
                    }
                    _ => {}
                }
            }
            Pending::GetAcl(path) => {
                if err != 0 {
                    return;
                }
                if let Some(acl) = j.acl() {
                    let at = Site {
                        path,
                        request: "getACL",
                        frames,
                        ts,
                    };
                    self.acl_entries(&acl, &at, out);
                }
            }
        }
    }
}

/// An `auth` packet's credential: `digest` is `user:password`; `ip` and `x509` carry no
/// secret; any other scheme's data is its provider's token.
fn auth_credential(
    scheme: &[u8],
    auth: &[u8],
    frames: &[u64],
    ts: Timestamp,
) -> Option<Credential> {
    if auth.is_empty() || matches!(scheme, b"ip" | b"x509") || scheme.is_empty() {
        return None;
    }
    let mut c = if scheme == b"digest" {
        let mut c = Credential::new("zookeeper", "digest", Kind::Cleartext, ts);
        match memchr::memchr(b':', auth) {
            Some(i) => {
                c.username = Some(auth[..i].to_vec());
                c.secret = Some(auth[i + 1..].to_vec());
            }
            None => c.secret = Some(auth.to_vec()),
        }
        c
    } else {
        let mut c = Credential::new(
            "zookeeper",
            String::from_utf8_lossy(&scheme[..scheme.len().min(32)]).into_owned(),
            Kind::Token,
            ts,
        );
        c.secret = Some(auth.to_vec());
        c
    };
    c.add_frames(frames.iter().copied());
    Some(c)
}

impl Dissector for ZooKeeper {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let i = dir.index();
        // The framers are set aside while their messages change the session: a session is
        // read for as long as it lasts (ACLs may come at any time), so messages are read
        // in place, not copied.
        let mut framers = self
            .framers
            .take()
            .unwrap_or_else(|| Box::new([Framer::new(MAX_MESSAGE), Framer::new(MAX_MESSAGE)]));
        framers[i].push(chunk);
        while !self.done {
            if framers[i].is_lost() {
                if dir == Direction::ToServer {
                    self.done = true;
                }
                break;
            }
            let Some(msg) = framers[i].next(measure) else {
                break;
            };
            match dir {
                Direction::ToServer => self.client_message(msg.bytes, &msg.frames, msg.ts, out),
                Direction::ToClient => self.server_message(msg.bytes, &msg.frames, msg.ts, out),
            }
        }
        self.framers = Some(framers);
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        if let Some(f) = self.framers.as_mut() {
            f[dir.index()].gap(len);
        }
        let _ = out;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for (_, p) in self.pending.drain(..) {
            if let Pending::Auth(Some(c)) = p {
                out.push(*c);
            }
        }
        if let Some(c) = self
            .sasl
            .take()
            .and_then(|x| x.credential("zookeeper", "SASL"))
        {
            out.push(c);
        }
    }

    fn done(&self) -> bool {
        self.done
    }

    fn buffered(&self) -> usize {
        self.framers
            .as_ref()
            .map_or(0, |f| f.iter().map(Framer::buffered).sum::<usize>())
            + self.pending.len() * 64
            + self.seen.iter().map(Vec::capacity).sum::<usize>()
    }
}

/// ZooKeeper's messages, for tests and fixtures.
pub mod build {
    /// A jute buffer or string.
    pub fn buffer(b: &[u8]) -> Vec<u8> {
        [&(b.len() as i32).to_be_bytes()[..], b].concat()
    }

    /// A vector of ACLs (all permissions) of `(scheme, id)`.
    pub fn acl(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut v = (entries.len() as i32).to_be_bytes().to_vec();
        for (scheme, id) in entries {
            v.extend_from_slice(&31i32.to_be_bytes());
            v.extend(buffer(scheme.as_bytes()));
            v.extend(buffer(id.as_bytes()));
        }
        v
    }

    fn framed(body: Vec<u8>) -> Vec<u8> {
        [&(body.len() as u32).to_be_bytes()[..], &body].concat()
    }

    /// A new session's ConnectRequest, as the Java client and Kazoo send it.
    pub fn connect_request() -> Vec<u8> {
        let mut b = vec![0u8; 12];
        b.extend_from_slice(&30_000i32.to_be_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend(buffer(&[0; 16]));
        b.push(0);
        framed(b)
    }

    pub fn connect_response() -> Vec<u8> {
        let mut b = vec![0u8; 4];
        b.extend_from_slice(&30_000i32.to_be_bytes());
        b.extend_from_slice(&0x0100_0366_9f8b_0003u64.to_be_bytes());
        b.extend(buffer(&[7; 16]));
        b.push(0);
        framed(b)
    }

    pub fn request(xid: i32, op: i32, body: &[u8]) -> Vec<u8> {
        framed([&xid.to_be_bytes()[..], &op.to_be_bytes(), body].concat())
    }

    pub fn reply(xid: i32, err: i32, body: &[u8]) -> Vec<u8> {
        framed(
            [
                &xid.to_be_bytes()[..],
                &7i64.to_be_bytes(),
                &err.to_be_bytes(),
                body,
            ]
            .concat(),
        )
    }

    /// An `auth` request's body.
    pub fn auth(scheme: &str, data: &[u8]) -> Vec<u8> {
        [
            &0i32.to_be_bytes()[..],
            &buffer(scheme.as_bytes()),
            &buffer(data),
        ]
        .concat()
    }

    /// A `create` request's body.
    pub fn create(path: &str, data: &[u8], acl_entries: &[(&str, &str)]) -> Vec<u8> {
        [
            buffer(path.as_bytes()),
            buffer(data),
            acl(acl_entries),
            0i32.to_be_bytes().to_vec(),
        ]
        .concat()
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::script::summary;
    use crate::dissect::script::unhex;
    use Direction::{ToClient as S, ToServer as C};

    fn run<B: AsRef<[u8]>>(script: &[(Direction, B)]) -> Vec<Credential> {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
        .0
    }

    /// The ACL id ZooKeeper's DigestAuthenticationProvider makes of `user:password`.
    fn digest_id(user: &str, password: &str) -> String {
        use sha1::{Digest, Sha1};
        let h = Sha1::digest(format!("{user}:{password}").as_bytes());
        format!("{user}:{}", BASE64.encode(h))
    }

    #[test]
    fn digest_auth_is_cleartext_and_unchecked() {
        let out = run(&[
            (C, connect_request()),
            (S, connect_response()),
            (
                C,
                request(AUTH_XID, OP_AUTH, &auth("digest", b"alice:Al1ce pw")),
            ),
            (S, reply(AUTH_XID, 0, b"")),
            (C, request(AUTH_XID, OP_AUTH, &auth("ip", b"10.0.0.1"))),
            (S, reply(AUTH_XID, 0, b"")),
            (C, request(AUTH_XID, OP_AUTH, &auth("digest", b"nocolon"))),
            (S, reply(AUTH_XID, AUTH_FAILED, b"")),
            (
                C,
                request(AUTH_XID, OP_AUTH, &auth("token", b"eyJhbGciOi.x.y")),
            ),
        ]);
        assert_eq!(
            summary(&out),
            vec![
                ("digest", &b"alice"[..], &b"Al1ce pw"[..], Outcome::Unknown),
                ("digest", b"", b"nocolon", Outcome::Failure),
                ("token", b"", b"eyJhbGciOi.x.y", Outcome::Unknown),
            ]
        );
        assert_eq!(out[0].kind, Kind::Cleartext);
        assert_eq!(out[0].frames, vec![3]);
        assert_eq!(out[1].detail("reason"), Some("AUTHFAILED"));
        assert_eq!(out[2].kind, Kind::Token);
    }

    /// Kazoo's SASL DIGEST-MD5 login to ZooKeeper 3.8 (DigestLoginModule, user bob,
    /// password `bobsecret`), the messages as captured.
    #[test]
    fn sasl_digest_md5_as_kazoo_and_zookeeper_speak_it() {
        let challenge = "0000007900000001000000000000000000000000000000657265616c6d3d227a6b2d7361736c2d6d6435222c6e6f6e63653d224d35554951734d694333365641316d7a6b4a6147746a3461595967365770536e424673524175614a222c636861727365743d7574662d382c616c676f726974686d3d6d64352d73657373";
        let response = "000000db0000000200000066000000cf716f703d617574682c7265616c6d3d227a6b2d7361736c2d6d6435222c757365726e616d653d22626f62222c6e6f6e63653d224d35554951734d694333365641316d7a6b4a6147746a3461595967365770536e424673524175614a222c636e6f6e63653d2235313531383733323131383331393531222c6e633d30303030303030312c6469676573742d7572693d227a6f6f6b65657065722f7a6b2d7361736c2d6d6435222c726573706f6e73653d3435353664633432656639376464623562663135323339636434306235613766";
        let rspauth = "0000003c0000000200000000000000000000000000000028727370617574683d6631613531633232653238326564613935613132336633626639356363363538";
        let script = [
            (C, connect_request()),
            (S, connect_response()),
            (C, request(1, OP_SASL, &buffer(b""))),
            (S, unhex(challenge)),
            (C, unhex(response)),
            (S, unhex(rspauth)),
        ];
        let out = run(&script);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "SASL DIGEST-MD5");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.detail("digest_uri"), Some("zookeeper/zk-sasl-md5"));
        assert_eq!(
            super::super::sasl::digest_md5_response(c, "bobsecret").as_bytes(),
            c.secret.as_deref().unwrap()
        );
        // The same response refused.
        let mut refused = script.to_vec();
        refused[5] = (S, reply(2, AUTH_FAILED, &(-1i32).to_be_bytes()));
        let out = run(&refused);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].detail("reason"), Some("AUTHFAILED"));
        // An exchange that is not DIGEST-MD5 (a GSSAPI token first) gives nothing.
        let out = run(&[
            (C, connect_request()),
            (S, connect_response()),
            (C, request(1, OP_SASL, &buffer(b"\x60\x82\x02\x00\x06\x09"))),
            (S, reply(1, 0, &buffer(b"\x60\x81\x90"))),
        ]);
        assert!(out.is_empty());
    }

    #[test]
    fn digest_acls_give_hashcat_lines_once() {
        let alice = digest_id("alice", "alicepw");
        assert_eq!(alice, "alice:mmRnm3Q742LDeHiWvW5mAKUPIhY=");
        let bob = digest_id("bob", "b0b");
        let mut set_acl = buffer(b"/app");
        set_acl.extend(acl(&[("digest", &bob), ("world", "anyone")]));
        set_acl.extend(3i32.to_be_bytes());
        let mut get_acl_reply = acl(&[("digest", "carol:AAAAAAAAAAAAAAAAAAAAAAAAAAA=")]);
        get_acl_reply.extend([0u8; 68]);
        let out = run(&[
            (C, connect_request()),
            (S, connect_response()),
            (
                C,
                request(
                    1,
                    OP_CREATE,
                    &create("/secret", b"x", &[("digest", &alice)]),
                ),
            ),
            (S, reply(1, 0, &buffer(b"/secret"))),
            (
                C,
                request(2, OP_CREATE2, &create("/other", b"", &[("digest", &alice)])),
            ),
            (C, request(3, OP_SET_ACL, &set_acl)),
            (C, request(4, OP_GET_ACL, &buffer(b"/c"))),
            (S, reply(4, 0, &get_acl_reply)),
        ]);
        let rows: Vec<_> = out
            .iter()
            .map(|c| {
                (
                    c.mechanism.as_ref(),
                    String::from_utf8_lossy(c.username.as_deref().unwrap()).into_owned(),
                    c.detail("path").unwrap(),
                    c.detail("request").unwrap(),
                    c.hashcat.as_ref().unwrap().hash.clone(),
                )
            })
            .collect();
        let line = |id: &str| {
            let (user, b64) = id.split_once(':').unwrap();
            format!("{}:{user}:", hex(&BASE64.decode(b64).unwrap()))
        };
        assert_eq!(
            rows,
            vec![
                (
                    "digest ACL",
                    "alice".into(),
                    "/secret",
                    "create",
                    line(&alice)
                ),
                ("digest ACL", "bob".into(), "/app", "setACL", line(&bob)),
                (
                    "digest ACL",
                    "carol".into(),
                    "/c",
                    "getACL",
                    "0000000000000000000000000000000000000000:carol:".into()
                ),
            ]
        );
        assert_eq!(out[0].hashcat.as_ref().unwrap().mode, 120);
        assert_eq!(out[0].kind, Kind::ChallengeResponse);
        assert_eq!(
            out[0].secret.as_deref(),
            Some(&b"mmRnm3Q742LDeHiWvW5mAKUPIhY="[..])
        );
    }

    #[test]
    fn creates_inside_multi() {
        let dave = digest_id("dave", "pw");
        let mut multi = Vec::new();
        // A delete, then a create, then the end marker.
        multi.extend(OP_DELETE.to_be_bytes());
        multi.push(0);
        multi.extend((-1i32).to_be_bytes());
        multi.extend(buffer(b"/old"));
        multi.extend((-1i32).to_be_bytes());
        multi.extend(OP_CREATE.to_be_bytes());
        multi.push(0);
        multi.extend((-1i32).to_be_bytes());
        multi.extend(create("/new", b"v", &[("digest", &dave)]));
        multi.extend((-1i32).to_be_bytes());
        multi.push(1);
        multi.extend((-1i32).to_be_bytes());
        let out = run(&[
            (C, connect_request()),
            (S, connect_response()),
            (C, request(9, OP_MULTI, &multi)),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].username.as_deref(), Some(&b"dave"[..]));
        assert_eq!(out[0].detail("path"), Some("/new"));
    }

    #[test]
    fn probe_wants_a_connect_request() {
        let cr = connect_request();
        assert_eq!(probe(&cr, b""), Probe::Yes);
        for n in 1..cr.len() {
            assert_eq!(probe(&cr[..n], b""), Probe::Maybe, "{n}");
        }
        // Without the read-only flag (clients before 3.4), and a reconnecting session.
        let mut old = cr[..cr.len() - 1].to_vec();
        old[3] = 0x2c;
        assert_eq!(probe(&old, b""), Probe::Yes);
        // The four-letter words, other protocols, a server that speaks first.
        for other in [
            &b"ruok"[..],
            b"stat\n",
            b"GET / HTTP/1.1\r\n",
            b"\0\0\0\x2d\0\0\0\x01",
        ] {
            assert_eq!(probe(other, b""), Probe::No, "{other:?}");
        }
        assert_eq!(probe(b"", b"220 ready\r\n"), Probe::No);
        // A length that disagrees with the fields.
        let mut bad = cr.clone();
        bad[31] = 20;
        assert_eq!(probe(&bad, b""), Probe::No);
    }

    #[test]
    fn a_stream_that_is_not_zookeeper_is_left() {
        let mut z = ZooKeeper::default();
        let mut out = Vec::new();
        z.data(
            C,
            Chunk {
                data: b"\0\0\0\x05hello",
                frame: 1,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        assert!(z.done());
        assert!(out.is_empty());
    }
}
