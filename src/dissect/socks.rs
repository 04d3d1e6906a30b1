//! SOCKS proxies: SOCKS5 (RFC 1928) with the username/password sub-negotiation of
//! RFC 1929, and SOCKS4/4a (detected and followed, not reported).
//!
//! - SOCKS5: the client offers methods, the server picks one; with method 0x02 the client
//!   sends `VER=1 ULEN UNAME PLEN PASSWD` and the server answers `VER STATUS`: status 0
//!   success, anything else failure. Mechanism `SOCKS5 username/password`, kind cleartext.
//!   The destination of the request that follows a successful login (`CONNECT`, `BIND` or
//!   `UDP ASSOCIATE`: an IPv4 or IPv6 address or a host name, and a port) goes in
//!   `details.destination` (and `details.command` when it is not `CONNECT`); a finding
//!   whose request never came has none.
//! - SOCKS4/4a: the request carries a `USERID`, which is an identifier (checked against
//!   identd at most), not a secret: plainsight's findings are secrets, so SOCKS4 gives no
//!   finding. It is still recognised, so the flow is classified and its tunnel not read.
//!
//! After the server's reply to the request, the connection is a tunnel to the destination
//! (SSH, TLS, anything): nothing more is read.

use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "socks",
    tcp_ports: &[1080],
    probe,
    new: |_config| Box::new(Socks::default()),
};

/// Longest handshake message kept (a SOCKS5 message is at most 515 bytes; SOCKS4 user ids
/// and host names are NUL-terminated strings of no fixed length).
const MAX_MESSAGE: usize = 1024;

pub const METHOD_NONE: u8 = 0x00;
pub const METHOD_GSSAPI: u8 = 0x01;
pub const METHOD_USERPASS: u8 = 0x02;
pub const METHOD_UNACCEPTABLE: u8 = 0xff;

/// How a message parse went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The message and its length.
    Done(T, usize),
    Incomplete,
    Invalid,
}

/// `VER=5 NMETHODS METHODS`: the offered methods.
pub fn parse_greeting(d: &[u8]) -> Parsed<Vec<u8>> {
    match d {
        [] | [5] => Parsed::Incomplete,
        [5, 0, ..] => Parsed::Invalid,
        [5, n, rest @ ..] => match rest.get(..usize::from(*n)) {
            Some(m) => Parsed::Done(m.to_vec(), 2 + usize::from(*n)),
            None => Parsed::Incomplete,
        },
        _ => Parsed::Invalid,
    }
}

/// RFC 1929: `VER=1 ULEN UNAME PLEN PASSWD`.
pub fn parse_userpass(d: &[u8]) -> Parsed<(&[u8], &[u8])> {
    let Some(&ver) = d.first() else {
        return Parsed::Incomplete;
    };
    if ver != 1 {
        return Parsed::Invalid;
    }
    let Some(&ulen) = d.get(1) else {
        return Parsed::Incomplete;
    };
    let ulen = usize::from(ulen);
    let Some(&plen) = d.get(2 + ulen) else {
        return Parsed::Incomplete;
    };
    let plen = usize::from(plen);
    match (d.get(2..2 + ulen), d.get(3 + ulen..3 + ulen + plen)) {
        (Some(u), Some(p)) => Parsed::Done((u, p), 3 + ulen + plen),
        _ => Parsed::Incomplete,
    }
}

/// A SOCKS5 request's command and destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub command: u8,
    /// `host:port`, `a.b.c.d:port` or `[v6]:port`.
    pub destination: String,
}

/// `VER=5 CMD RSV ATYP DST.ADDR DST.PORT` (a reply has the same shape).
pub fn parse_request(d: &[u8]) -> Parsed<Request> {
    if d.len() < 4 {
        return if d.first().is_none_or(|&v| v == 5) {
            Parsed::Incomplete
        } else {
            Parsed::Invalid
        };
    }
    if d[0] != 5 {
        return Parsed::Invalid;
    }
    let command = d[1];
    let (host, end) = match d[3] {
        1 => match d.get(4..8) {
            Some(a) => (format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]), 8),
            None => return Parsed::Incomplete,
        },
        3 => {
            let Some(&n) = d.get(4) else {
                return Parsed::Incomplete;
            };
            let n = usize::from(n);
            match d.get(5..5 + n) {
                Some(name) => (String::from_utf8_lossy(name).into_owned(), 5 + n),
                None => return Parsed::Incomplete,
            }
        }
        4 => match d.get(4..20).and_then(|a| <[u8; 16]>::try_from(a).ok()) {
            Some(a) => (format!("[{}]", std::net::Ipv6Addr::from(a)), 20),
            None => return Parsed::Incomplete,
        },
        _ => return Parsed::Invalid,
    };
    match d.get(end..end + 2) {
        Some(p) => Parsed::Done(
            Request {
                command,
                destination: format!("{host}:{}", u16::from_be_bytes([p[0], p[1]])),
            },
            end + 2,
        ),
        None => Parsed::Incomplete,
    }
}

/// SOCKS4/4a: `VER=4 CMD DSTPORT DSTIP USERID NUL [HOST NUL]`: the user id and the
/// destination.
pub fn parse_socks4(d: &[u8]) -> Parsed<(Vec<u8>, String)> {
    let Some(head) = d.get(..8) else {
        return match d {
            [] | [4] | [4, 1 | 2, ..] => Parsed::Incomplete,
            _ => Parsed::Invalid,
        };
    };
    if head[0] != 4 || !matches!(head[1], 1 | 2) {
        return Parsed::Invalid;
    }
    let port = u16::from_be_bytes([head[2], head[3]]);
    let rest = &d[8..];
    let Some(nul) = rest.iter().position(|&b| b == 0) else {
        return Parsed::Incomplete;
    };
    let user = rest[..nul].to_vec();
    // 4a: 0.0.0.x (x != 0) means a host name follows.
    if head[4..7] == [0, 0, 0] && head[7] != 0 {
        let after = &rest[nul + 1..];
        let Some(end) = after.iter().position(|&b| b == 0) else {
            return Parsed::Incomplete;
        };
        let host = String::from_utf8_lossy(&after[..end]);
        return Parsed::Done((user, format!("{host}:{port}")), 8 + nul + 1 + end + 1);
    }
    let ip = format!("{}.{}.{}.{}:{port}", head[4], head[5], head[6], head[7]);
    Parsed::Done((user, ip), 8 + nul + 1)
}

fn command_name(c: u8) -> Option<&'static str> {
    match c {
        1 => None, // CONNECT: the usual case, not worth a detail
        2 => Some("BIND"),
        3 => Some("UDP ASSOCIATE"),
        _ => Some("other"),
    }
}

/// Plausible SOCKS5 method numbers: IANA's 0-9 and the private range.
fn plausible_method(m: u8) -> bool {
    m <= 9 || (0x80..=0xfe).contains(&m)
}

/// SOCKS5 when the client's greeting offers plausible methods and (once it answered) the
/// server picks one of them; SOCKS4 when the request is well formed and the server answers
/// `0 0x5a..=0x5d`. A greeting alone is only a Maybe (it is three bytes long).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    match to_server.first() {
        None => {
            return if to_client.is_empty() {
                Probe::Maybe
            } else {
                Probe::No // the server does not speak first
            };
        }
        Some(5) => {}
        Some(4) => {
            return match parse_socks4(to_server) {
                Parsed::Invalid => Probe::No,
                Parsed::Incomplete => Probe::Maybe,
                Parsed::Done((user, _), _) => {
                    if !user.iter().all(|b| b.is_ascii_graphic()) {
                        return Probe::No;
                    }
                    match to_client {
                        [] | [0] => Probe::Maybe,
                        [0, 0x5a..=0x5d, ..] => Probe::Yes,
                        _ => Probe::No,
                    }
                }
            };
        }
        Some(_) => return Probe::No,
    }
    let methods = match parse_greeting(to_server) {
        Parsed::Done(m, _) => m,
        Parsed::Incomplete => return Probe::Maybe,
        Parsed::Invalid => return Probe::No,
    };
    if !methods.iter().copied().all(plausible_method) {
        return Probe::No;
    }
    match to_client {
        [] | [5] => Probe::Maybe,
        [5, m, ..] if *m == METHOD_UNACCEPTABLE || methods.contains(m) => Probe::Yes,
        _ => Probe::No,
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ClientStage {
    #[default]
    Greeting,
    /// After the greeting: the sub-negotiation (when 0x02 was offered) or the request.
    AuthOrRequest,
    Request,
    /// Tunnel, or not SOCKS.
    Over,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ServerStage {
    #[default]
    Method,
    AuthStatus,
    Reply,
    Over,
}

/// A login waiting for its status, or (accepted) for the request's destination.
#[derive(Debug)]
struct Login {
    credential: Credential,
    judged: bool,
}

#[derive(Debug, Default)]
pub struct Socks {
    buf: [Vec<u8>; 2],
    frames: [Vec<u64>; 2],
    client: ClientStage,
    server: ServerStage,
    offered: Vec<u8>,
    chosen: Option<u8>,
    login: Option<Login>,
    destination: Option<Request>,
    /// The frame that carried the last bytes of each direction.
    last_frame: [u64; 2],
    done: bool,
}

impl Socks {
    fn client_messages(&mut self, ts: Timestamp, out: &mut Vec<Credential>) {
        loop {
            let d = &self.buf[0];
            let used = match self.client {
                ClientStage::Greeting => match d.first() {
                    Some(4) => match parse_socks4(d) {
                        Parsed::Done(_, n) => {
                            // SOCKS4: the user id is not a secret; only the end of the
                            // handshake matters.
                            self.client = ClientStage::Over;
                            n
                        }
                        Parsed::Incomplete => return,
                        Parsed::Invalid => {
                            self.client = ClientStage::Over;
                            return;
                        }
                    },
                    _ => match parse_greeting(d) {
                        Parsed::Done(m, n) => {
                            self.offered = m;
                            self.client = ClientStage::AuthOrRequest;
                            n
                        }
                        Parsed::Incomplete => return,
                        Parsed::Invalid => {
                            self.client = ClientStage::Over;
                            return;
                        }
                    },
                },
                ClientStage::AuthOrRequest
                    if d.first() == Some(&1) && self.offered.contains(&METHOD_USERPASS) =>
                {
                    match parse_userpass(d) {
                        Parsed::Done((user, pass), n) => {
                            let mut c = Credential::new(
                                "socks",
                                "SOCKS5 username/password",
                                Kind::Cleartext,
                                ts,
                            );
                            c.username = Some(user.to_vec());
                            c.secret = Some(pass.to_vec());
                            c.add_frames(self.frames[0].iter().copied());
                            self.report(out);
                            self.login = Some(Login {
                                credential: c,
                                judged: false,
                            });
                            self.client = ClientStage::Request;
                            n
                        }
                        Parsed::Incomplete => return,
                        Parsed::Invalid => {
                            self.client = ClientStage::Over;
                            return;
                        }
                    }
                }
                ClientStage::AuthOrRequest | ClientStage::Request => match parse_request(d) {
                    Parsed::Done(r, n) => {
                        self.destination = Some(r);
                        self.client = ClientStage::Over;
                        self.release(out);
                        n
                    }
                    Parsed::Incomplete => return,
                    Parsed::Invalid => {
                        self.client = ClientStage::Over;
                        return;
                    }
                },
                ClientStage::Over => return,
            };
            self.consumed(0, used);
        }
    }

    /// `used` bytes of direction `i` made a message: what is left came in the last frame.
    fn consumed(&mut self, i: usize, used: usize) {
        let d = &mut self.buf[i];
        d.drain(..used.min(d.len()));
        self.frames[i].clear();
        if !d.is_empty() {
            self.frames[i].push(self.last_frame[i]);
        }
    }

    fn server_messages(&mut self, out: &mut Vec<Credential>) {
        loop {
            let d = &self.buf[1];
            let (b0, b1) = (d.first().copied(), d.get(1).copied());
            let used = match self.server {
                ServerStage::Method => match (b0, b1) {
                    (Some(0), Some(_)) => {
                        // A SOCKS4 reply: the tunnel starts (the user id is not reported).
                        self.server = ServerStage::Over;
                        self.done = true;
                        return;
                    }
                    (Some(_), Some(m)) => {
                        self.chosen = Some(m);
                        self.server = match m {
                            METHOD_USERPASS => ServerStage::AuthStatus,
                            METHOD_NONE => ServerStage::Reply,
                            // GSSAPI, private methods, or refusal: nothing more to follow.
                            _ => {
                                self.done = true;
                                ServerStage::Over
                            }
                        };
                        2
                    }
                    _ => return,
                },
                ServerStage::AuthStatus => match b1 {
                    Some(status) => {
                        if let Some(l) = self.login.as_mut() {
                            l.judged = true;
                            l.credential.outcome = if status == 0 {
                                Outcome::Success
                            } else {
                                Outcome::Failure
                            };
                        }
                        self.server = if status == 0 {
                            ServerStage::Reply
                        } else {
                            self.done = true;
                            ServerStage::Over
                        };
                        self.release(out);
                        2
                    }
                    None => return,
                },
                ServerStage::Reply => match parse_request(d) {
                    Parsed::Done(_, _) | Parsed::Invalid => {
                        // The tunnel starts.
                        self.server = ServerStage::Over;
                        self.done = true;
                        self.report(out);
                        return;
                    }
                    Parsed::Incomplete => return,
                },
                ServerStage::Over => return,
            };
            self.consumed(1, used);
        }
    }

    /// Reports the login once its outcome is known: at once when refused, with the
    /// destination when accepted and the request was seen.
    fn release(&mut self, out: &mut Vec<Credential>) {
        let ready = match &self.login {
            Some(l) if l.judged => {
                l.credential.outcome != Outcome::Success || self.destination.is_some()
            }
            _ => false,
        };
        if ready {
            self.report(out);
        }
    }

    /// Reports the login, with the request's destination when it was seen.
    fn report(&mut self, out: &mut Vec<Credential>) {
        let Some(mut l) = self.login.take() else {
            return;
        };
        if let Some(r) = &self.destination {
            l.credential
                .details
                .push(("destination", r.destination.clone()));
            if let Some(name) = command_name(r.command) {
                l.credential.details.push(("command", name.to_string()));
            }
        }
        out.push(l.credential);
    }
}

impl Dissector for Socks {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let i = dir.index();
        let over = match dir {
            Direction::ToServer => self.client == ClientStage::Over,
            Direction::ToClient => self.server == ServerStage::Over,
        };
        if over {
            return;
        }
        let room = MAX_MESSAGE.saturating_sub(self.buf[i].len());
        if room == 0 {
            // No handshake message is this long: not SOCKS.
            self.done = true;
            return;
        }
        self.buf[i].extend_from_slice(&chunk.data[..chunk.data.len().min(room)]);
        if self.frames[i].last() != Some(&chunk.frame) {
            self.frames[i].push(chunk.frame);
        }
        self.last_frame[i] = chunk.frame;
        match dir {
            Direction::ToServer => self.client_messages(chunk.ts, out),
            Direction::ToClient => self.server_messages(out),
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        // A handshake with a hole cannot be followed.
        match dir {
            Direction::ToServer => self.client = ClientStage::Over,
            Direction::ToClient => self.server = ServerStage::Over,
        }
        self.buf[dir.index()] = Vec::new();
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.report(out);
    }

    fn done(&self) -> bool {
        self.done
    }

    fn buffered(&self) -> usize {
        self.buf.iter().map(Vec::capacity).sum::<usize>()
            + self.frames.iter().map(|f| f.capacity() * 8).sum::<usize>()
            + self.login.as_ref().map_or(0, |_| 128)
    }
}

/// Builders of SOCKS messages, for tests and fixtures.
pub mod build {
    /// `VER=5 NMETHODS METHODS`.
    pub fn greeting(methods: &[u8]) -> Vec<u8> {
        let mut v = vec![5, methods.len() as u8];
        v.extend_from_slice(methods);
        v
    }

    /// RFC 1929 `VER=1 ULEN UNAME PLEN PASSWD`.
    pub fn userpass(user: &[u8], pass: &[u8]) -> Vec<u8> {
        let mut v = vec![1, user.len() as u8];
        v.extend_from_slice(user);
        v.push(pass.len() as u8);
        v.extend_from_slice(pass);
        v
    }

    /// A CONNECT request (or, with `cmd` 0, a success reply) to a host name and port.
    pub fn connect_host(cmd: u8, host: &[u8], port: u16) -> Vec<u8> {
        let mut v = vec![5, cmd, 0, 3, host.len() as u8];
        v.extend_from_slice(host);
        v.extend_from_slice(&port.to_be_bytes());
        v
    }

    /// A request or reply with an IPv4 address.
    pub fn connect_ipv4(cmd: u8, ip: [u8; 4], port: u16) -> Vec<u8> {
        let mut v = vec![5, cmd, 0, 1];
        v.extend_from_slice(&ip);
        v.extend_from_slice(&port.to_be_bytes());
        v
    }

    /// A SOCKS4a CONNECT with a user id and a host name.
    pub fn socks4a(user: &[u8], host: &[u8], port: u16) -> Vec<u8> {
        let mut v = vec![4, 1];
        v.extend_from_slice(&port.to_be_bytes());
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(user);
        v.push(0);
        v.extend_from_slice(host);
        v.push(0);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Socks::default(), script).0
    }

    #[test]
    fn zeek_socks_auth_capture() {
        // The handshake of Zeek's socks-auth.pcap: bob/alice, CONNECT 192.168.0.2:22.
        let out = run(&[
            (C, b"\x05\x03\x00\x03\x02"),
            (S, b"\x05\x02"),
            (C, b"\x01\x03bob\x05alice"),
            (S, b"\x01\x00"),
            (C, b"\x05\x01\x00\x01\xc0\xa8\x00\x02\x00\x16"),
            (S, b"\x05\x00\x00\x01\xc0\xa8\x00\x01\xda\x8f"),
            (C, b"SSH-2.0-OpenSSH_6.2\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"alice"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.mechanism, "SOCKS5 username/password");
        assert_eq!(c.frames, vec![3]);
        assert_eq!(c.detail("destination"), Some("192.168.0.2:22"));
        assert_eq!(c.detail("command"), None);
    }

    #[test]
    fn failure_is_reported_at_once_and_pipelined_client() {
        let mut d = Socks::default();
        let mut out = Vec::new();
        let feed = |d: &mut Socks, dir, data: &[u8], out: &mut Vec<Credential>| {
            d.data(
                dir,
                Chunk {
                    data,
                    frame: 1,
                    ts: Timestamp::ZERO,
                },
                out,
            )
        };
        feed(&mut d, C, &greeting(&[2]), &mut out);
        feed(&mut d, S, b"\x05\x02", &mut out);
        feed(&mut d, C, &userpass(b"eve", b"guess"), &mut out);
        feed(&mut d, S, b"\x01\x01", &mut out);
        assert_eq!(out.len(), 1, "reported before the connection closes");
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(d.done());
        // Everything at once from the client (greeting, login, request to a host name).
        let all = [
            greeting(&[0, 2]),
            userpass(b"u", "pä".as_bytes()),
            connect_host(3, b"example.org", 443),
        ]
        .concat();
        let out = run(&[
            (C, &all),
            (S, b"\x05\x02\x01\x00"),
            (S, &connect_ipv4(0, [0; 4], 0)),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some("pä".as_bytes()));
        assert_eq!(out[0].detail("destination"), Some("example.org:443"));
        assert_eq!(out[0].detail("command"), Some("UDP ASSOCIATE"));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn no_auth_socks4_and_unanswered() {
        assert!(
            run(&[
                (C, &greeting(&[0])),
                (S, b"\x05\x00"),
                (C, &connect_ipv4(1, [10, 0, 0, 1], 80)),
                (S, &connect_ipv4(0, [0; 4], 0)),
                (C, b"GET / HTTP/1.0\r\nAuthorization: Basic eDp5\r\n\r\n"),
            ])
            .is_empty()
        );
        assert!(
            run(&[
                (C, &socks4a(b"alice", b"example.org", 80)),
                (S, b"\x00\x5a\x00\x00\x00\x00\x00\x00"),
            ])
            .is_empty()
        );
        let out = run(&[
            (C, &greeting(&[2])),
            (S, b"\x05\x02"),
            (C, &userpass(b"u", b"p")),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn parsers() {
        assert_eq!(
            parse_request(&[
                5, 1, 0, 4, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80
            ]),
            Parsed::Done(
                Request {
                    command: 1,
                    destination: "[2001:db8::1]:80".into()
                },
                22
            )
        );
        assert_eq!(parse_request(&[5, 1, 0, 3, 9, b'a']), Parsed::Incomplete);
        assert_eq!(parse_request(&[5, 1, 0, 7, 0, 0]), Parsed::Invalid);
        assert_eq!(parse_userpass(b"\x01\x03bo"), Parsed::Incomplete);
        assert_eq!(parse_greeting(b"\x05\x00"), Parsed::Invalid);
        assert_eq!(
            parse_socks4(&socks4a(b"id", b"h", 1)),
            Parsed::Done((b"id".to_vec(), "h:1".into()), 13)
        );
    }

    #[test]
    fn probe_cases() {
        assert_eq!(probe(b"\x05\x02\x00\x02", b""), Probe::Maybe);
        assert_eq!(probe(b"\x05\x02\x00\x02", b"\x05\x02"), Probe::Yes);
        assert_eq!(probe(b"\x05\x02\x00\x02", b"\x05\x01"), Probe::No);
        assert_eq!(probe(b"\x05\x01\x42", b""), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01\x00", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"220 ftp ready\r\n"), Probe::No);
        assert_eq!(
            probe(&socks4a(b"alice", b"h", 80), b"\x00\x5a\0\0\0\0\0\0"),
            Probe::Yes
        );
        assert_eq!(
            probe(b"\x04\x01\x00\x50\x01\x02\x03\x04", b""),
            Probe::Maybe
        );
    }

    #[test]
    fn garbage_never_panics_and_memory_is_bounded() {
        let mut d = Socks::default();
        let mut out = Vec::new();
        d.data(
            C,
            Chunk {
                data: &[4u8; 5000],
                frame: 1,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        assert!(d.buffered() <= 2 * MAX_MESSAGE);
        for b in 0..=255u8 {
            let _ = run(&[
                (C, &[5, 1, 2]),
                (S, &[5, 2]),
                (C, &[1, b, b, b]),
                (S, &[b; 3]),
            ]);
            let _ = run(&[(C, &[4, 1, b, b]), (S, &[0, b])]);
        }
    }
}
