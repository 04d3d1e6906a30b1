//! TACACS+ (RFC 8907; TCP 49): the authentication of administrators on routers, switches
//! and firewalls.
//!
//! Every packet is a 12-byte header (version 0xc0/0xc1, type, seq_no, flags, session_id,
//! length) and a body, which is XORed with a pad made of MD5(session_id, key, version,
//! seq_no[, previous block]) — the shared *key* of client and server (RFC 8907 section
//! 4.5) — unless the `TAC_PLUS_UNENCRYPTED_FLAG` is set.
//!
//! - **Unencrypted** (the flag set, a misconfiguration RFC 8907 forbids in production), or
//!   **a key the user gave** (`--tacacs-key`, kept only when the START it decrypts is
//!   well-formed): the authentication START and CONTINUE packets are read. `PAP`: the user
//!   and the password in the START. `ASCII login`: the user (in the START or answered to a
//!   GETUSER prompt) and the password answered to GETPASS (a later GETDATA answer, e.g. an
//!   enable password, is another finding). `CHAP`: the identifier, challenge and response
//!   (hashcat 4800). Outcome from the REPLY that follows: PASS success, FAIL failure,
//!   anything else unknown.
//! - **Encrypted with an unknown key**: nothing of the user's can be read, but the first
//!   authentication REPLY of the connection is a crackable record of the key itself
//!   (hashcat 16100, `$tacacs-plus$0$<session_id>$<body>$<version><seq_no>`): whoever
//!   cracks it reads every TACACS+ session between those hosts, passwords included.
//!   Mechanism `encrypted body (shared key)`, kind challenge-response, no user name,
//!   outcome unknown, one per connection.
//!
//! Authorization and accounting packets are not read.

use md5::Digest;

use super::framing::{Framer, Measure};
use super::radius::chap_hashcat;
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "tacacs",
    tcp_ports: &[49],
    probe,
    new: |config| Box::new(Tacacs::new(config.tacacs_keys)),
};

const HEADER: usize = 12;
/// Longest body read (RFC 8907 bodies are short: lengths are one or two bytes each).
const MAX_BODY: usize = 64 * 1024;
const TYPE_AUTHEN: u8 = 1;
const FLAG_UNENCRYPTED: u8 = 0x01;

/// authen_type values (RFC 8907 section 5.1).
const ASCII: u8 = 1;
const PAP: u8 = 2;
const CHAP: u8 = 3;

/// REPLY status values (RFC 8907 section 5.2).
const PASS: u8 = 1;
const FAIL: u8 = 2;
const GETDATA: u8 = 3;
const GETUSER: u8 = 4;
const GETPASS: u8 = 5;

/// Sessions followed at once on one connection (single-connection mode multiplexes).
const MAX_SESSIONS: usize = 8;

/// A packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub kind: u8,
    pub seq: u8,
    pub flags: u8,
    pub session: [u8; 4],
    pub len: usize,
}

/// The header at the start of `b`, when it is a TACACS+ one.
pub fn header(b: &[u8]) -> Option<Header> {
    let h = b.get(..HEADER)?;
    let len = u32::from_be_bytes([h[8], h[9], h[10], h[11]]) as usize;
    let ok = h[0] >> 4 == 0xc
        && h[0] & 0x0f <= 1
        && (1..=3).contains(&h[1])
        && h[2] != 0
        && h[3] & !0x05 == 0
        && len <= MAX_BODY;
    ok.then(|| Header {
        version: h[0],
        kind: h[1],
        seq: h[2],
        flags: h[3],
        session: [h[4], h[5], h[6], h[7]],
        len,
    })
}

fn measure(b: &[u8]) -> Measure {
    if b.len() < HEADER {
        return Measure::More;
    }
    match header(b) {
        Some(h) => Measure::Total(HEADER + h.len),
        None => Measure::Invalid,
    }
}

/// The body XORed with the pseudo-pad of `key` (RFC 8907 section 4.5): encrypts and
/// decrypts alike.
pub fn crypt(h: &Header, key: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut prev: Option<[u8; 16]> = None;
    while out.len() < body.len() {
        let mut m = md5::Md5::new();
        m.update(h.session);
        m.update(key);
        m.update([h.version, h.seq]);
        if let Some(p) = prev {
            m.update(p);
        }
        let block: [u8; 16] = m.finalize().into();
        let at = out.len();
        out.extend(body[at..].iter().zip(block.iter()).map(|(b, k)| b ^ k));
        prev = Some(block);
    }
    out
}

/// An authentication START: `action priv_lvl authen_type authen_service user_len port_len
/// rem_addr_len data_len user port rem_addr data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Start<'a> {
    pub authen_type: u8,
    pub user: &'a [u8],
    pub data: &'a [u8],
}

pub fn parse_start(b: &[u8]) -> Option<Start<'_>> {
    let [
        action,
        _priv,
        authen_type,
        _service,
        ul,
        pl,
        rl,
        dl,
        rest @ ..,
    ] = b
    else {
        return None;
    };
    let (ul, pl, rl, dl) = (*ul as usize, *pl as usize, *rl as usize, *dl as usize);
    if !(1..=4).contains(action)
        || !(1..=6).contains(authen_type)
        || rest.len() != ul + pl + rl + dl
    {
        return None;
    }
    Some(Start {
        authen_type: *authen_type,
        user: &rest[..ul],
        data: &rest[ul + pl + rl..],
    })
}

/// A REPLY's status, when the body is one: `status flags server_msg_len(2) data_len(2)
/// server_msg data`.
pub fn parse_reply(b: &[u8]) -> Option<u8> {
    let [status, _flags, m0, m1, d0, d1, rest @ ..] = b else {
        return None;
    };
    let len =
        usize::from(u16::from_be_bytes([*m0, *m1])) + usize::from(u16::from_be_bytes([*d0, *d1]));
    (rest.len() == len && matches!(status, 1..=7 | 0x21)).then_some(*status)
}

/// A CONTINUE's user_msg: `user_msg_len(2) data_len(2) flags user_msg data`.
pub fn parse_continue(b: &[u8]) -> Option<&[u8]> {
    let [u0, u1, d0, d1, _flags, rest @ ..] = b else {
        return None;
    };
    let ul = usize::from(u16::from_be_bytes([*u0, *u1]));
    let dl = usize::from(u16::from_be_bytes([*d0, *d1]));
    (rest.len() == ul + dl).then(|| &rest[..ul])
}

/// How a session's bodies are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clear {
    Unencrypted,
    Key(&'static [u8]),
}

#[derive(Debug)]
struct Session {
    id: [u8; 4],
    clear: Option<Clear>,
    authen_type: u8,
    user: Option<Vec<u8>>,
    /// The last prompt the server sent (GETUSER, GETPASS, GETDATA).
    prompt: u8,
    frames: Vec<u64>,
    /// A credential waiting for the REPLY that judges it.
    pending: Option<Credential>,
}

/// The TACACS+ dissector of one connection.
#[derive(Debug)]
pub struct Tacacs {
    keys: &'static [&'static [u8]],
    framers: [Framer; 2],
    sessions: Vec<Session>,
    /// The encrypted-body finding of this connection was made.
    key_reported: bool,
}

impl Tacacs {
    pub fn new(keys: &'static [&'static [u8]]) -> Tacacs {
        Tacacs {
            keys,
            framers: [
                Framer::new(HEADER + MAX_BODY),
                Framer::new(HEADER + MAX_BODY),
            ],
            sessions: Vec::new(),
            key_reported: false,
        }
    }

    fn session(&mut self, id: [u8; 4]) -> Option<&mut Session> {
        self.sessions.iter_mut().find(|s| s.id == id)
    }

    fn body(s: &Session, h: &Header, body: &[u8]) -> Option<Vec<u8>> {
        match s.clear? {
            Clear::Unencrypted => Some(body.to_vec()),
            Clear::Key(k) => Some(crypt(h, k, body)),
        }
    }

    fn client(
        &mut self,
        h: Header,
        body: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        if h.kind != TYPE_AUTHEN {
            return;
        }
        if h.seq == 1 {
            // A START opens the session: how its body reads decides how the session does.
            let clear = if h.flags & FLAG_UNENCRYPTED != 0 {
                parse_start(body).map(|_| Clear::Unencrypted)
            } else {
                self.keys
                    .iter()
                    .find(|k| parse_start(&crypt(&h, k, body)).is_some())
                    .map(|k| Clear::Key(k))
            };
            if let Some(i) = self.sessions.iter().position(|s| s.id == h.session) {
                let old = self.sessions.remove(i);
                out.extend(old.pending);
            }
            if self.sessions.len() >= MAX_SESSIONS {
                let old = self.sessions.remove(0);
                out.extend(old.pending);
            }
            let mut s = Session {
                id: h.session,
                clear,
                authen_type: 0,
                user: None,
                prompt: 0,
                frames: frames.to_vec(),
                pending: None,
            };
            if let Some(plain) = Self::body(&s, &h, body)
                && let Some(start) = parse_start(&plain)
            {
                s.authen_type = start.authen_type;
                if !start.user.is_empty() {
                    s.user = Some(start.user.to_vec());
                }
                s.pending = start_credential(&s, &start, ts);
            }
            self.sessions.push(s);
            return;
        }
        let Some(s) = self.session(h.session) else {
            return;
        };
        let Some(plain) = Self::body(s, &h, body) else {
            return;
        };
        let Some(msg) = parse_continue(&plain) else {
            return;
        };
        s.frames.extend_from_slice(frames);
        match s.prompt {
            GETUSER => s.user = Some(msg.to_vec()),
            GETPASS | GETDATA if s.authen_type == ASCII && !msg.is_empty() => {
                let mut c = credential(s, "ASCII login", ts);
                c.secret = Some(msg.to_vec());
                if s.prompt == GETDATA {
                    c.details.push(("prompt", "GETDATA".to_string()));
                }
                out.extend(s.pending.replace(c));
            }
            _ => {}
        }
    }

    fn server(&mut self, h: Header, body: &[u8], out: &mut Vec<Credential>) {
        if h.kind != TYPE_AUTHEN {
            return;
        }
        let keys_given = !self.keys.is_empty();
        let readable = self.session(h.session).map(|s| s.clear.is_some());
        if readable != Some(true) {
            // The key is unknown: the REPLY is the record to crack it from (a reply sent
            // without encryption, to a session whose start the capture missed, is none).
            if !self.key_reported && h.seq.is_multiple_of(2) && h.flags & FLAG_UNENCRYPTED == 0 {
                self.key_reported = true;
                out.push(key_record(&h, body, keys_given));
            }
            return;
        }
        let Some(s) = self.session(h.session) else {
            return;
        };
        let Some(status) = Self::body(s, &h, body).and_then(|p| parse_reply(&p)) else {
            return;
        };
        if let Some(mut c) = s.pending.take() {
            c.outcome = match status {
                PASS => Outcome::Success,
                FAIL => Outcome::Failure,
                GETDATA | GETUSER | GETPASS => {
                    // A prompt after a password: a second factor, or a retry.
                    Outcome::Unknown
                }
                _ => Outcome::Unknown,
            };
            out.push(c);
        }
        s.prompt = status;
    }
}

fn credential(s: &Session, mechanism: &'static str, ts: Timestamp) -> Credential {
    let mut c = Credential::new("tacacs", mechanism, Kind::Cleartext, ts);
    c.username = s.user.clone();
    c.add_frames(s.frames.iter().copied());
    match s.clear {
        Some(Clear::Key(_)) => c.details.push((
            "note",
            "body decrypted with a key given by --tacacs-key".to_string(),
        )),
        _ => c.details.push((
            "note",
            "sent with TAC_PLUS_UNENCRYPTED_FLAG: no key at all".to_string(),
        )),
    }
    c
}

/// The credential a START carries by itself (PAP, CHAP); ASCII logins come in CONTINUEs.
fn start_credential(s: &Session, start: &Start<'_>, ts: Timestamp) -> Option<Credential> {
    match start.authen_type {
        PAP if !start.data.is_empty() => {
            let mut c = credential(s, "PAP", ts);
            c.secret = Some(start.data.to_vec());
            Some(c)
        }
        CHAP if start.data.len() > 17 => {
            let (id, rest) = start.data.split_first()?;
            let (challenge, response) = rest.split_at(rest.len() - 16);
            let mut c = credential(s, "CHAP", ts);
            c.kind = Kind::ChallengeResponse;
            c.secret = Some(format!("{id:02x}{}", hex(response)).into_bytes());
            c.challenge = Some(hex(challenge).into_bytes());
            c.hashcat = chap_hashcat(*id, response, challenge);
            Some(c)
        }
        _ => None,
    }
}

/// The record of an encrypted REPLY for cracking the key (hashcat 16100).
fn key_record(h: &Header, body: &[u8], keys_given: bool) -> Credential {
    let mut c = Credential::new(
        "tacacs",
        "encrypted body (shared key)",
        Kind::ChallengeResponse,
        Timestamp::ZERO,
    );
    c.secret = Some(hex(body).into_bytes());
    c.challenge = Some(hex(&h.session).into_bytes());
    c.hashcat = Some(Hashcat {
        mode: 16100,
        hash: format!(
            "$tacacs-plus$0${}${}${:02x}{:02x}",
            hex(&h.session),
            hex(body),
            h.version,
            h.seq
        ),
        hex_salt: false,
    });
    let note = if keys_given {
        "none of the keys given decrypts this session; the shared key can be cracked from this reply"
    } else {
        "the body is encrypted with the shared key; cracking the key from this reply decrypts every session between these hosts"
    };
    c.details.push(("note", note.to_string()));
    c
}

impl Dissector for Tacacs {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        self.framers[dir.index()].push(chunk);
        // Messages are taken one at a time (the framer lends its buffer), every one the
        // chunk completed.
        while let Some((bytes, frames, ts)) = self.framers[dir.index()]
            .next(measure)
            .map(|m| (m.bytes.to_vec(), m.frames, m.ts))
        {
            let Some(h) = header(&bytes) else { continue };
            let body = &bytes[HEADER..];
            match dir {
                Direction::ToServer => self.client(h, body, &frames, ts, out),
                Direction::ToClient => {
                    let before = out.len();
                    self.server(h, body, out);
                    for c in &mut out[before..] {
                        if c.frames.is_empty() {
                            c.add_frames(frames.iter().copied());
                        }
                        if c.timestamp == Timestamp::ZERO {
                            c.timestamp = ts;
                        }
                    }
                }
            }
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for s in self.sessions.drain(..) {
            out.extend(s.pending);
        }
    }

    fn buffered(&self) -> usize {
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + self
                .sessions
                .iter()
                .map(|s| 64 + s.frames.len() * 8 + s.user.as_ref().map_or(0, Vec::len))
                .sum::<usize>()
    }
}

/// TACACS+ when the client's first bytes are an authentication (or authorization,
/// accounting) header with seq_no 1.
pub fn probe(to_server: &[u8], _to_client: &[u8]) -> Probe {
    if to_server.len() < HEADER {
        return if to_server.first().is_some_and(|v| *v == 0xc0 || *v == 0xc1) {
            Probe::Maybe
        } else {
            Probe::No
        };
    }
    match header(to_server) {
        Some(h) if h.seq == 1 => Probe::Yes,
        _ => Probe::No,
    }
}

/// Encoders of TACACS+ packets, for tests and fixtures.
pub mod build {
    use super::{Header, crypt};

    /// A packet: the header, and the body encrypted with `key` (None: the unencrypted
    /// flag is set).
    pub fn packet(seq: u8, session: [u8; 4], key: Option<&[u8]>, body: &[u8]) -> Vec<u8> {
        let h = Header {
            version: 0xc0 | u8::from(seq == 1 && body.get(2) == Some(&2)),
            kind: 1,
            seq,
            flags: if key.is_some() { 0 } else { 1 },
            session,
            len: body.len(),
        };
        let mut p = vec![h.version, h.kind, h.seq, h.flags];
        p.extend_from_slice(&session);
        p.extend_from_slice(&(body.len() as u32).to_be_bytes());
        match key {
            Some(k) => p.extend(crypt(&h, k, body)),
            None => p.extend_from_slice(body),
        }
        p
    }

    /// A START body.
    pub fn start(authen_type: u8, user: &[u8], data: &[u8]) -> Vec<u8> {
        let mut b = vec![
            1,
            1,
            authen_type,
            1,
            user.len() as u8,
            4,
            9,
            data.len() as u8,
        ];
        b.extend_from_slice(user);
        b.extend_from_slice(b"tty0");
        b.extend_from_slice(b"192.0.2.9");
        b.extend_from_slice(data);
        b
    }

    /// A REPLY body with a server message.
    pub fn reply(status: u8, msg: &[u8]) -> Vec<u8> {
        let mut b = vec![status, 0];
        b.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        b.extend_from_slice(&0u16.to_be_bytes());
        b.extend_from_slice(msg);
        b
    }

    /// A CONTINUE body.
    pub fn cont(msg: &[u8]) -> Vec<u8> {
        let mut b = (msg.len() as u16).to_be_bytes().to_vec();
        b.extend_from_slice(&0u16.to_be_bytes());
        b.push(0);
        b.extend_from_slice(msg);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    const KEY: &[u8] = b"tac-Key-42";
    const SID: [u8; 4] = [0x5f, 0xde, 0x8e, 0x68];

    fn run(keys: &'static [&'static [u8]], script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Tacacs::new(keys), script).0
    }

    fn pap_session(key: Option<&[u8]>, password: &[u8], status: u8) -> Vec<(Direction, Vec<u8>)> {
        vec![
            (C, packet(1, SID, key, &start(PAP, b"netadmin", password))),
            (S, packet(2, SID, key, &reply(status, b""))),
        ]
    }

    #[test]
    fn crypt_is_its_own_inverse_and_depends_on_the_key() {
        let h = header(&packet(1, SID, Some(KEY), &start(PAP, b"u", b"p"))).unwrap();
        let body = start(PAP, b"netadmin", &[b'x'; 40]);
        let enc = crypt(&h, KEY, &body);
        assert_ne!(enc, body);
        assert_eq!(crypt(&h, KEY, &enc), body);
        assert_ne!(crypt(&h, b"other", &enc), body);
    }

    #[test]
    fn pap_with_the_key_and_unencrypted() {
        static KEYS: &[&[u8]] = &[b"wrong-one", KEY];
        let out = run(KEYS, &pap_session(Some(KEY), b"En4ble!", PASS));
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref(), c.kind),
            ("tacacs", "PAP", Kind::Cleartext)
        );
        assert_eq!(c.username.as_deref(), Some(&b"netadmin"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"En4ble!"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![1]);
        let out = run(&[], &pap_session(None, b"plain", FAIL));
        assert_eq!(out[0].secret.as_deref(), Some(&b"plain"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(out[0].details[0].1.contains("UNENCRYPTED"));
    }

    #[test]
    fn ascii_login_with_prompts() {
        static KEYS: &[&[u8]] = &[KEY];
        let k = Some(KEY);
        let script = vec![
            (C, packet(1, SID, k, &start(ASCII, b"", b""))),
            (S, packet(2, SID, k, &reply(GETUSER, b"Username: "))),
            (C, packet(3, SID, k, &cont(b"alice"))),
            (S, packet(4, SID, k, &reply(GETPASS, b"Password: "))),
            (C, packet(5, SID, k, &cont(b"wrong-pw"))),
            (S, packet(6, SID, k, &reply(FAIL, b"Login incorrect"))),
        ];
        let out = run(KEYS, &script);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "ASCII login");
        assert_eq!(out[0].username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong-pw"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![1, 3, 5]);
    }

    #[test]
    fn chap_is_crackable() {
        let mut data = vec![0x42];
        data.extend_from_slice(&[7; 16]);
        data.extend_from_slice(&[9; 16]);
        let out = run(
            &[],
            &[
                (C, packet(1, SID, None, &start(CHAP, b"bob", &data))),
                (S, packet(2, SID, None, &reply(PASS, b""))),
            ],
        );
        assert_eq!(out[0].kind, Kind::ChallengeResponse);
        assert_eq!(out[0].hashcat.as_ref().unwrap().mode, 4800);
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn unknown_key_gives_the_record_to_crack_it_once() {
        let mut script = pap_session(Some(KEY), b"secret", PASS);
        script.extend(pap_session(Some(KEY), b"secret2", FAIL));
        for keys in [&[][..], &[&b"not-it"[..]][..]] {
            let keys: &'static [&'static [u8]] = Box::leak(keys.to_vec().into_boxed_slice());
            let out = run(keys, &script);
            assert_eq!(out.len(), 1, "{out:?}");
            let c = &out[0];
            assert_eq!(c.mechanism, "encrypted body (shared key)");
            assert_eq!(c.username, None);
            assert_eq!(c.outcome, Outcome::Unknown);
            assert_eq!(c.frames, vec![2]);
            let h = c.hashcat.as_ref().unwrap();
            assert_eq!(h.mode, 16100);
            let reply_packet = &script[1].1;
            assert_eq!(
                h.hash,
                format!(
                    "$tacacs-plus$0$5fde8e68${}$c002",
                    hex(&reply_packet[HEADER..])
                )
            );
            // The record decrypts with the key to a well-formed REPLY.
            let hdr = header(reply_packet).unwrap();
            assert_eq!(
                parse_reply(&crypt(&hdr, KEY, &reply_packet[HEADER..])),
                Some(PASS)
            );
        }
    }

    #[test]
    fn many_messages_in_one_chunk_are_all_read() {
        // 100 accounting packets, then a PAP START, in a single segment.
        let mut to_server = Vec::new();
        for i in 0..100u8 {
            let mut p = packet(1, [1, 0, 0, i], None, &[0; 9]);
            p[1] = 3; // accounting: not read
            to_server.extend(p);
        }
        to_server.extend(packet(1, SID, None, &start(PAP, b"u", b"pw")));
        let out = run(
            &[],
            &[(C, to_server), (S, packet(2, SID, None, &reply(PASS, b"")))],
        );
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn an_unencrypted_reply_of_an_unseen_session_is_no_key_record() {
        let out = run(&[], &[(S, packet(2, SID, None, &reply(PASS, b"")))]);
        assert!(out.is_empty(), "{out:?}");
        let out = run(&[], &[(S, packet(2, SID, Some(KEY), &reply(PASS, b"")))]);
        assert_eq!(out.len(), 1, "{out:?}");
    }

    #[test]
    fn probe_and_garbage() {
        let p = packet(1, SID, Some(KEY), &start(PAP, b"u", b"p"));
        assert_eq!(probe(&p, b""), Probe::Yes);
        assert_eq!(probe(&p[..5], b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        let script: Vec<(Direction, Vec<u8>)> = (0..200u8)
            .flat_map(|n| {
                let junk: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37) ^ n).collect();
                [(C, junk.clone()), (S, junk)]
            })
            .collect();
        crate::dissect::script::play(&mut Tacacs::new(&[]), &script);
    }
}
