//! X11: the connection setup of the X Window System protocol (version 11, "Connection
//! Setup"), TCP 6000 + display number.
//!
//! The client's first message names an authorization protocol and carries its data. With
//! `MIT-MAGIC-COOKIE-1` the data is the display's cookie itself, 16 random bytes that any
//! client presenting them is let in with: whoever sees it can open the display (read the
//! screen, log keystrokes, inject input). Mechanism `MIT-MAGIC-COOKIE-1`, kind `token`,
//! `secret` the cookie in lowercase hex as `xauth add` takes it, no user name. The
//! server's first byte is the outcome: 1 Success, 0 Failed (its reason string goes in
//! `details.reason`), 2 Authenticate (more is asked for: unknown). Other protocols
//! (`XDM-AUTHORIZATION-1`: the data is DES-encrypted under a key that never crosses the
//! wire; `MIT-KERBEROS-5`, `SUN-DES-1`) and a setup with no authorization give nothing.
//! Both byte orders (`B` most significant byte first, `l` least) are read.

use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Kind, Outcome, hex};
use crate::flow::Direction;

/// Displays 0 to 63.
const PORTS: [u16; 64] = {
    let mut p = [0u16; 64];
    let mut i = 0;
    while i < 64 {
        p[i] = 6000 + i as u16;
        i += 1;
    }
    p
};

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "x11",
    tcp_ports: &PORTS,
    probe,
    new: |_config| Box::new(X11::default()),
};

pub const MIT_MAGIC_COOKIE: &[u8] = b"MIT-MAGIC-COOKIE-1";

/// Longest setup request read: a name and data longer than this are not an X client's.
const MAX_SETUP: usize = 4096;

/// The client's setup request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup<'a> {
    pub major: u16,
    pub minor: u16,
    pub auth_name: &'a [u8],
    pub auth_data: &'a [u8],
}

/// Bytes of `n` padded to a multiple of four.
fn padded(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// The fixed part of a setup request: byte order, version, and the lengths of the
/// authorization protocol's name and data.
fn header(d: &[u8]) -> Option<(u16, u16, usize, usize)> {
    let h = d.get(..12)?;
    let read = match h[0] {
        b'B' => u16::from_be_bytes,
        b'l' => u16::from_le_bytes,
        _ => return None,
    };
    let word = |at: usize| read([h[at], h[at + 1]]);
    Some((word(2), word(4), usize::from(word(6)), usize::from(word(8))))
}

/// The setup request at the start of `d`, once all of it is there.
pub fn parse_setup(d: &[u8]) -> Option<Setup<'_>> {
    let (major, minor, n, len) = header(d)?;
    let name_at = 12;
    let data_at = name_at + padded(n);
    Some(Setup {
        major,
        minor,
        auth_name: d.get(name_at..name_at + n)?,
        auth_data: d.get(data_at..data_at + len)?,
    })
}

/// X11 when the client opens with a setup request for protocol version 11 whose
/// authorization name is printable. The server never speaks first.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if to_server.is_empty() {
        return if to_client.is_empty() {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    // The byte order, an unused byte (zero), protocol version 11.0 in that order.
    let start: &[u8] = match to_server[0] {
        b'l' => &[b'l', 0, 11, 0, 0, 0],
        b'B' => &[b'B', 0, 0, 11, 0, 0],
        _ => return Probe::No,
    };
    let n = to_server.len().min(start.len());
    if to_server[..n] != start[..n] {
        return Probe::No;
    }
    let Some((_, _, n, len)) = header(to_server) else {
        return Probe::Maybe;
    };
    if 12 + padded(n) + padded(len) > MAX_SETUP {
        return Probe::No;
    }
    match to_server.get(12..12 + n) {
        Some(name) if name.iter().all(|b| b.is_ascii_graphic()) => Probe::Yes,
        Some(_) => Probe::No,
        None => Probe::Maybe,
    }
}

#[derive(Debug, Default)]
pub struct X11 {
    /// The client's setup request until it is whole.
    request: Vec<u8>,
    frames: Vec<u64>,
    /// The cookie, until the server answers.
    pending: Option<Box<Credential>>,
    /// The server's first bytes until its answer is whole (a failure's reason).
    reply: Vec<u8>,
    done: bool,
}

impl X11 {
    fn client(&mut self, chunk: Chunk<'_>) {
        let room = MAX_SETUP.saturating_sub(self.request.len());
        self.request
            .extend_from_slice(&chunk.data[..chunk.data.len().min(room)]);
        if self.frames.last() != Some(&chunk.frame) {
            self.frames.push(chunk.frame);
        }
        let Some(setup) = parse_setup(&self.request) else {
            if self.request.len() >= MAX_SETUP
                || (self.request.len() >= 12 && header(&self.request).is_none())
            {
                self.done = true;
            }
            return;
        };
        if setup.auth_name == MIT_MAGIC_COOKIE && !setup.auth_data.is_empty() {
            let mut c = Credential::new("x11", "MIT-MAGIC-COOKIE-1", Kind::Token, chunk.ts);
            c.secret = Some(hex(setup.auth_data).into_bytes());
            c.add_frames(std::mem::take(&mut self.frames));
            c.details
                .push(("version", format!("{}.{}", setup.major, setup.minor)));
            self.pending = Some(Box::new(c));
        } else {
            // No cookie: nothing to find on this connection.
            self.done = true;
        }
        self.request = Vec::new();
    }

    fn server(&mut self, data: &[u8], out: &mut Vec<Credential>) {
        let Some(c) = self.pending.as_mut() else {
            // The server spoke before the request was whole: not an X connection.
            self.done = true;
            return;
        };
        let room = MAX_SETUP.saturating_sub(self.reply.len());
        self.reply.extend_from_slice(&data[..data.len().min(room)]);
        match self.reply[0] {
            1 => c.outcome = Outcome::Success,
            2 => c.outcome = Outcome::Unknown,
            0 => {
                // Failed: the reason's length, the version, then the reason.
                let Some(&n) = self.reply.get(1) else {
                    return;
                };
                let reason = match self.reply.get(8..8 + usize::from(n)) {
                    Some(reason) => reason,
                    None if self.reply.len() < MAX_SETUP => return,
                    None => &[][..],
                };
                c.outcome = Outcome::Failure;
                let reason = String::from_utf8_lossy(reason).trim_end().to_string();
                if !reason.is_empty() {
                    c.details.push(("reason", reason));
                }
            }
            _ => c.outcome = Outcome::Unknown,
        }
        if let Some(c) = self.pending.take() {
            out.push(*c);
        }
        self.reply = Vec::new();
        self.done = true;
    }
}

impl Dissector for X11 {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done || chunk.data.is_empty() {
            return;
        }
        match dir {
            Direction::ToServer if self.pending.is_none() => self.client(chunk),
            // Requests after the setup: the answer decides.
            Direction::ToServer => {}
            Direction::ToClient => self.server(chunk.data, out),
        }
    }

    fn gap(&mut self, _dir: Direction, _len: u64, out: &mut Vec<Credential>) {
        // A setup with a hole cannot be read; a cookie already read keeps an unknown
        // outcome.
        self.close(out);
        self.request = Vec::new();
        self.reply = Vec::new();
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
        self.request.capacity()
            + self.reply.capacity()
            + self.frames.capacity() * 8
            + self.pending.as_ref().map_or(0, |_| 128)
    }
}

/// Setup requests and replies, for tests and fixtures.
pub mod build {
    fn pad(v: &mut Vec<u8>) {
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
    }

    /// A setup request in the byte order `order` (`b'B'` or `b'l'`).
    pub fn setup(order: u8, name: &[u8], data: &[u8]) -> Vec<u8> {
        let word = |w: u16| {
            if order == b'B' {
                w.to_be_bytes()
            } else {
                w.to_le_bytes()
            }
        };
        let mut v = vec![order, 0];
        v.extend(word(11));
        v.extend(word(0));
        v.extend(word(name.len() as u16));
        v.extend(word(data.len() as u16));
        v.extend([0, 0]);
        v.extend(name);
        pad(&mut v);
        v.extend(data);
        pad(&mut v);
        v
    }

    /// A Failed reply with `reason`, little-endian.
    pub fn failed(reason: &[u8]) -> Vec<u8> {
        let mut v = vec![0, reason.len() as u8];
        v.extend(11u16.to_le_bytes());
        v.extend(0u16.to_le_bytes());
        v.extend((reason.len().div_ceil(4) as u16).to_le_bytes());
        v.extend(reason);
        pad(&mut v);
        v
    }

    /// The start of a Success reply (what follows it is not read).
    pub fn success() -> Vec<u8> {
        let mut v = vec![1, 0];
        v.extend(11u16.to_le_bytes());
        v.extend(0u16.to_le_bytes());
        v.extend(8u16.to_le_bytes());
        v.extend([0u8; 32]);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::{failed, setup, success};
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    const COOKIE: [u8; 16] = [
        0x3f, 0x8a, 0x01, 0x77, 0xc2, 0x5e, 0x90, 0x0d, 0x44, 0xa1, 0xfe, 0x23, 0x6b, 0x18, 0x02,
        0xd9,
    ];

    fn run(script: &[(Direction, &[u8])]) -> (Vec<Credential>, bool) {
        crate::dissect::script::play(
            &mut *(SPEC.new)(&super::super::DissectorConfig::default()),
            script,
        )
    }

    #[test]
    fn a_cookie_accepted_in_either_byte_order() {
        for order in [b'l', b'B'] {
            let req = setup(order, MIT_MAGIC_COOKIE, &COOKIE);
            let (out, done) = run(&[(C, &req), (S, &success())]);
            assert!(done);
            assert_eq!(out.len(), 1);
            let c = &out[0];
            assert_eq!(c.protocol, "x11");
            assert_eq!(c.mechanism, "MIT-MAGIC-COOKIE-1");
            assert_eq!(c.kind, Kind::Token);
            assert_eq!(c.username, None);
            assert_eq!(
                c.secret.as_deref(),
                Some(&b"3f8a0177c25e900d44a1fe236b1802d9"[..])
            );
            assert_eq!(c.outcome, Outcome::Success);
            assert_eq!(c.frames, vec![1]);
            assert_eq!(c.details, vec![("version", "11.0".to_string())]);
        }
    }

    #[test]
    fn a_wrong_cookie_is_refused_with_its_reason() {
        let req = setup(b'l', MIT_MAGIC_COOKIE, &[0; 16]);
        let reply = failed(b"Authorization required, but no authorization protocol specified\n");
        // The reply in two pieces: the reason is waited for.
        let (out, _) = run(&[(C, &req), (S, &reply[..10]), (S, &reply[10..])]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(out[0].details.contains(&(
            "reason",
            "Authorization required, but no authorization protocol specified".to_string()
        )));
    }

    #[test]
    fn byte_by_byte_and_unanswered() {
        let req = setup(b'B', MIT_MAGIC_COOKIE, &COOKIE);
        let script: Vec<(Direction, &[u8])> = req.chunks(1).map(|b| (C, b)).collect();
        let (out, done) = run(&script);
        assert!(!done);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].frames, (1..=req.len() as u64).collect::<Vec<_>>());
    }

    #[test]
    fn no_cookie_no_finding() {
        for req in [
            setup(b'l', b"", b""),
            setup(b'l', b"XDM-AUTHORIZATION-1", &[7; 24]),
            setup(b'l', MIT_MAGIC_COOKIE, b""),
        ] {
            let (out, done) = run(&[(C, &req), (S, &success())]);
            assert!(out.is_empty());
            assert!(done);
        }
    }

    #[test]
    fn parse_setup_waits_for_the_whole_request() {
        let req = setup(b'l', MIT_MAGIC_COOKIE, &COOKIE);
        assert_eq!(req.len(), 12 + 20 + 16);
        for n in 0..req.len() {
            assert_eq!(parse_setup(&req[..n]), None, "{n}");
        }
        let s = parse_setup(&req).expect("whole");
        assert_eq!(s.auth_name, MIT_MAGIC_COOKIE);
        assert_eq!(s.auth_data, COOKIE);
        assert_eq!((s.major, s.minor), (11, 0));
    }

    #[test]
    fn probe_wants_a_version_11_setup() {
        let req = setup(b'l', MIT_MAGIC_COOKIE, &COOKIE);
        assert_eq!(probe(&req, b""), Probe::Yes);
        assert_eq!(probe(&setup(b'B', b"", b""), b""), Probe::Yes);
        assert_eq!(probe(&req[..6], b""), Probe::Maybe);
        assert_eq!(probe(&req[..20], b""), Probe::Maybe);
        let mut v10 = req.clone();
        v10[2] = 10;
        assert_eq!(probe(&v10, b""), Probe::No);
        assert_eq!(probe(&v10[..3], b""), Probe::No);
        let mut minor = req.clone();
        minor[4] = 1;
        assert_eq!(probe(&minor, b""), Probe::No);
        let mut long = req.clone();
        long[8] = 0xff;
        long[9] = 0x0f;
        assert_eq!(probe(&long, b""), Probe::No);
        let mut binary_name = req.clone();
        binary_name[12] = 0;
        assert_eq!(probe(&binary_name, b""), Probe::No);
        assert_eq!(probe(b"let me in\r\n", b""), Probe::No);
        assert_eq!(probe(b"l", b""), Probe::Maybe);
        assert_eq!(probe(b"BEGIN AUTH REQUEST\n", b""), Probe::No);
        assert_eq!(probe(b"", b"SSH-2.0-OpenSSH_9.2\r\n"), Probe::No);
        assert_eq!(probe(b"", b""), Probe::Maybe);
    }

    #[test]
    fn garbage_never_panics() {
        let valid = [
            setup(b'l', MIT_MAGIC_COOKIE, &COOKIE),
            setup(b'B', MIT_MAGIC_COOKIE, &COOKIE),
            failed(b"no"),
            success(),
        ];
        crate::dissect::garbage::feed(
            0x0b5e_ed11,
            2000,
            6,
            &valid,
            X11::default,
            |b| {
                let _ = probe(b, b);
                let _ = parse_setup(b);
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * MAX_SETUP),
        );
    }
}
