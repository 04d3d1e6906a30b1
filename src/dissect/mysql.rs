//! MySQL and MariaDB client/server protocol (the connection phase of the MySQL internals
//! documentation): the password, or what is computed from it, in the client's answers to
//! the server's handshake.
//!
//! - `Handshake` v10 from the server: the 20-byte scramble (auth-plugin-data parts 1 and
//!   2) and the server's default authentication plugin.
//! - `HandshakeResponse41` (and the old `HandshakeResponse320`) from the client: the user
//!   name, the database, the client's plugin and its first authentication data.
//! - `AuthSwitchRequest` (0xFE) from the server: another plugin, a new scramble; the
//!   client's next packet is that plugin's data.
//!
//! What is reported, by plugin:
//! - `mysql_native_password`: SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))),
//!   kind challenge-response, the response (hex) as secret, the scramble (hex) as
//!   challenge, hashcat mode 11200 `$mysqlna$<scramble hex>*<response hex>`. An empty
//!   response (no password) is not a credential.
//! - `mysql_old_password` (pre-4.1 scramble, 8 bytes): challenge-response, no hashcat line.
//! - `mysql_clear_password`: the password itself (NUL-terminated), cleartext.
//! - `dialog` (MariaDB's PAM plugin): the answer to a password question (type 4 or 5),
//!   cleartext.
//! - `caching_sha2_password` (MySQL 8's default): the 32-byte scramble
//!   SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce), kind
//!   challenge-response, the scramble (hex) as secret, the 20-byte nonce (hex) as
//!   challenge: one guess costs three SHA-256s, no cracker has a mode for it,
//!   `scripts/offline-crack.py` tries a word list. Its outcome is the login's, fast
//!   authentication (`AuthMoreData` 0x03) or full. An RSA-encrypted password is not
//!   reported. But when the server asks for full authentication (`AuthMoreData` 0x04) on
//!   this connection, which the capture shows in the clear, a client that answers with the
//!   NUL-terminated password instead of asking for the server's public key (0x02) has sent
//!   the password in clear: cleartext, with a `note` saying so. `sha256_password` data
//!   that is a NUL-terminated password likewise.
//! - An `SSLRequest` (a 32-byte response with CLIENT_SSL): TLS follows, nothing more is
//!   read. So are `ed25519`, `gssapi` and the like: nothing.
//!
//! Outcome from the server's answer: an OK packet (0x00) success, an ERR packet (0xFF)
//! failure (its code and message in `details`).
//!
//! After a successful login, the client's next [`MAX_COMMANDS`] commands are read for
//! passwords in `COM_QUERY` statements (`CREATE USER ... IDENTIFIED BY`, `ALTER USER`,
//! `SET PASSWORD`, `GRANT ... IDENTIFIED BY`: see [`super::sql`]): the statement's form as
//! mechanism, the account's user as user name (its host in `details`; the session's user
//! for `SET PASSWORD` without `FOR`), a `mysql_native_password` hash as such. Each is
//! judged by the answer to its command: OK success, ERR failure. Then nothing more is
//! read. A credential answered by an `AuthSwitchRequest` takes the outcome of the exchange
//! that follows (the same password is behind both).

use super::framing::{Framer, Measure};
use super::ftp::looks_like_tls;
use super::sql::{self, Dialect};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "mysql",
    tcp_ports: &[3306],
    probe,
    new: |_config| Box::new(Mysql::default()),
};

/// Capability flags.
pub const CLIENT_CONNECT_WITH_DB: u32 = 0x0000_0008;
pub const CLIENT_PROTOCOL_41: u32 = 0x0000_0200;
pub const CLIENT_SSL: u32 = 0x0000_0800;
pub const CLIENT_SECURE_CONNECTION: u32 = 0x0000_8000;
pub const CLIENT_PLUGIN_AUTH: u32 = 0x0008_0000;
pub const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 0x0020_0000;

/// The longest packet buffered whole; the connection phase's are far shorter.
pub const MAX_PACKET: usize = 16 << 10;
/// Longest error message copied into `details`.
const MAX_DIAGNOSTIC: usize = 256;
/// Credentials of one login kept waiting for its verdict.
const MAX_PENDING: usize = 4;

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A NUL-terminated string at the start of `b`, and what follows it (a string the packet
/// ends without a NUL is taken whole).
fn cstring(b: &[u8]) -> (&[u8], &[u8]) {
    match b.iter().position(|&x| x == 0) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}

/// A length-encoded integer and what follows it.
fn lenenc(b: &[u8]) -> Option<(u64, &[u8])> {
    let (&first, rest) = b.split_first()?;
    let n = match first {
        0..=0xfa => return Some((u64::from(first), rest)),
        0xfc => 2,
        0xfd => 3,
        0xfe => 8,
        _ => return None,
    };
    let bytes = rest.get(..n)?;
    let mut v = 0u64;
    for (i, &x) in bytes.iter().enumerate() {
        v |= u64::from(x) << (8 * i);
    }
    Some((v, &rest[n..]))
}

/// The length of the packet at the start of `b` (4-byte header included).
fn measure(b: &[u8]) -> Measure {
    match b.get(..3) {
        Some(&[a, c, d]) => {
            Measure::Total((usize::from(a) | usize::from(c) << 8 | usize::from(d) << 16) + 4)
        }
        _ => Measure::More,
    }
}

/// The server's `Handshake` v10.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Greeting<'a> {
    pub version: &'a [u8],
    pub scramble: Vec<u8>,
    pub capabilities: u32,
    pub plugin: &'a [u8],
}

/// Parses the payload of a `Handshake` v10 packet.
pub fn parse_greeting(p: &[u8]) -> Option<Greeting<'_>> {
    let rest = p.strip_prefix(&[10])?;
    let (version, rest) = cstring(rest);
    let part1 = rest.get(4..12)?;
    let rest = rest.get(13..).unwrap_or_default();
    let mut scramble = part1.to_vec();
    let Some(low) = le16(rest, 0) else {
        return Some(Greeting {
            version,
            scramble,
            capabilities: 0,
            plugin: b"",
        });
    };
    let high = le16(rest, 5).unwrap_or(0);
    let capabilities = u32::from(low) | u32::from(high) << 16;
    let data_len = usize::from(rest.get(7).copied().unwrap_or(0));
    let mut rest = rest.get(18..).unwrap_or_default();
    if capabilities & CLIENT_SECURE_CONNECTION != 0 {
        // max(13, auth-plugin-data-len - 8) bytes: 12 and a NUL in practice.
        let n = data_len.saturating_sub(8).max(13).min(rest.len());
        let part2 = &rest[..n];
        scramble.extend_from_slice(part2.strip_suffix(&[0]).unwrap_or(part2));
        rest = &rest[n..];
    }
    let plugin = if capabilities & CLIENT_PLUGIN_AUTH != 0 {
        cstring(rest).0
    } else {
        b""
    };
    Some(Greeting {
        version,
        scramble,
        capabilities,
        plugin,
    })
}

/// The client's `HandshakeResponse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response<'a> {
    /// An `SSLRequest`: TLS follows.
    Ssl,
    Login {
        capabilities: u32,
        user: &'a [u8],
        auth: &'a [u8],
        database: Option<&'a [u8]>,
        plugin: Option<&'a [u8]>,
    },
}

/// Parses the payload of a `HandshakeResponse41` or `HandshakeResponse320`.
pub fn parse_response(p: &[u8]) -> Option<Response<'_>> {
    let low = u32::from(le16(p, 0)?);
    if low & CLIENT_PROTOCOL_41 == 0 {
        if low & CLIENT_SSL != 0 && p.len() == 5 {
            return Some(Response::Ssl);
        }
        let (user, rest) = cstring(p.get(5..)?);
        let (auth, database) = if low & CLIENT_CONNECT_WITH_DB != 0 {
            let (auth, rest) = cstring(rest);
            (auth, Some(cstring(rest).0))
        } else {
            (cstring(rest).0, None)
        };
        return Some(Response::Login {
            capabilities: low,
            user,
            auth,
            database,
            plugin: None,
        });
    }
    let caps = le32(p, 0)?;
    if p.len() < 32 {
        return None;
    }
    if p.len() == 32 {
        return (caps & CLIENT_SSL != 0).then_some(Response::Ssl);
    }
    let (user, rest) = cstring(&p[32..]);
    let (auth, mut rest) = if caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
        let (n, rest) = lenenc(rest)?;
        let n = usize::try_from(n).ok()?;
        (rest.get(..n)?, &rest[n..])
    } else if caps & CLIENT_SECURE_CONNECTION != 0 {
        let (&n, rest) = rest.split_first()?;
        let n = usize::from(n);
        (rest.get(..n)?, &rest[n..])
    } else {
        cstring(rest)
    };
    let mut database = None;
    if caps & CLIENT_CONNECT_WITH_DB != 0 && !rest.is_empty() {
        let (db, r) = cstring(rest);
        database = Some(db);
        rest = r;
    }
    let plugin = (caps & CLIENT_PLUGIN_AUTH != 0 && !rest.is_empty()).then(|| cstring(rest).0);
    Some(Response::Login {
        capabilities: caps,
        user,
        auth,
        database,
        plugin,
    })
}

/// MySQL when the server's first packet is a `Handshake` v10 (sequence 0, protocol 10, a
/// version string that starts with a digit). A silent server with a client packet of
/// sequence 1 (a capture that starts after the greeting) is only Maybe.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    if looks_like_tls(to_server) || looks_like_tls(to_client) {
        return Probe::No;
    }
    if !to_client.is_empty() {
        let Some(header) = to_client.get(..5) else {
            return if to_client.len() < 3 || to_client.get(3).is_none_or(|&s| s == 0) {
                Probe::Maybe
            } else {
                Probe::No
            };
        };
        let len =
            usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
        if header[3] != 0 {
            return Probe::No;
        }
        return match header[4] {
            10 if (30..=1024).contains(&len) => {
                let payload = &to_client[5..to_client.len().min(4 + len)];
                let version_len = payload.iter().position(|&b| b == 0);
                let version = &payload[..version_len.unwrap_or(payload.len())];
                let printable = version.first().is_none_or(u8::is_ascii_digit)
                    && version.iter().all(|b| b.is_ascii_graphic());
                match (printable, version_len) {
                    (false, _) => Probe::No,
                    (true, Some(1..=64)) => Probe::Yes,
                    (true, None) if version.len() <= 64 => Probe::Maybe,
                    _ => Probe::No,
                }
            }
            // An ERR packet at connect (too many connections, host not allowed).
            0xff if (9..=1024).contains(&len) => Probe::Maybe,
            _ => Probe::No,
        };
    }
    match to_server.get(..4) {
        None => Probe::Maybe,
        Some(h) if h[3] == 1 => Probe::Maybe,
        Some(_) => Probe::No,
    }
}

/// Where the login stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// The client's next packet is its `HandshakeResponse`.
    Response,
    /// The client's next packet is data for this plugin.
    PluginData(Vec<u8>),
    /// caching_sha2_password asked for full authentication: the password, its
    /// encryption, or a request for the public key comes next.
    FullAuth(Vec<u8>),
    /// Waiting for the server.
    Server,
}

#[derive(Debug)]
struct Session {
    scramble: Option<Vec<u8>>,
    /// The plugin the client's data belongs to.
    plugin: Vec<u8>,
    user: Option<(Vec<u8>, Vec<u64>)>,
    database: Option<Vec<u8>>,
    phase: Phase,
    /// Credentials of this login waiting for the verdict.
    pending: Vec<Credential>,
    /// The server's last dialog question asked for a password.
    dialog_password: bool,
    /// Logged in: commands still read, and the passwords of the one awaiting its answer.
    commands: Option<(u32, Vec<Credential>)>,
    done: bool,
}

/// Commands read after the login for password statements.
pub const MAX_COMMANDS: u32 = 256;
/// `COM_QUIT`, `COM_QUERY`.
const COM_QUIT: u8 = 0x01;
const COM_QUERY: u8 = 0x03;

impl Default for Session {
    fn default() -> Self {
        Session {
            scramble: None,
            plugin: Vec::new(),
            user: None,
            database: None,
            phase: Phase::Response,
            pending: Vec::new(),
            dialog_password: false,
            commands: None,
            done: false,
        }
    }
}

/// An ERR packet's code and message (after its SQL state marker), for `details`.
fn error_text(body: &[u8]) -> String {
    let code = le16(body, 0).unwrap_or(0);
    let mut text = body.get(2..).unwrap_or_default();
    if text.first() == Some(&b'#') {
        text = text.get(6..).unwrap_or_default();
    }
    let text = &text[..text.len().min(MAX_DIAGNOSTIC)];
    format!("{code} {}", String::from_utf8_lossy(text))
}

/// A password sent NUL-terminated, as `mysql_clear_password` and the others do.
fn nul_terminated_password(data: &[u8]) -> Option<&[u8]> {
    let pw = data.strip_suffix(&[0])?;
    (!pw.is_empty() && !pw.contains(&0)).then_some(pw)
}

impl Session {
    fn credential(
        &self,
        mechanism: &str,
        kind: Kind,
        secret: &[u8],
        frames: &[u64],
        ts: Timestamp,
    ) -> Credential {
        let mut c = Credential::new("mysql", mechanism.to_string(), kind, ts);
        c.secret = Some(secret.to_vec());
        if let Some((user, user_frames)) = &self.user {
            c.username = Some(user.clone());
            c.add_frames(user_frames.iter().copied());
        }
        c.add_frames(frames.iter().copied());
        if let Some(db) = &self.database {
            c.details
                .push(("database", String::from_utf8_lossy(db).into_owned()));
        }
        c
    }

    fn push(&mut self, c: Credential, out: &mut Vec<Credential>) {
        if self.pending.len() >= MAX_PENDING {
            out.push(self.pending.remove(0));
        }
        self.pending.push(c);
    }

    /// The client's authentication data for `plugin`.
    fn auth_data(
        &mut self,
        plugin: &[u8],
        data: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let c = match plugin {
            b"mysql_native_password" if data.len() == 20 => {
                let mut c = self.credential(
                    "mysql_native_password",
                    Kind::ChallengeResponse,
                    hex(data).as_bytes(),
                    frames,
                    ts,
                );
                if let Some(s) = self.scramble.as_ref().filter(|s| s.len() == 20) {
                    c.challenge = Some(hex(s).into_bytes());
                    c.hashcat = Some(Hashcat {
                        mode: 11200,
                        hash: format!("$mysqlna${}*{}", hex(s), hex(data)),
                        hex_salt: false,
                    });
                }
                c
            }
            b"caching_sha2_password" if data.len() == 32 => {
                let mut c = self.credential(
                    "caching_sha2_password",
                    Kind::ChallengeResponse,
                    hex(data).as_bytes(),
                    frames,
                    ts,
                );
                if let Some(s) = self.scramble.as_ref().filter(|s| s.len() >= 20) {
                    c.challenge = Some(hex(&s[..20]).into_bytes());
                }
                c
            }
            b"mysql_old_password" if data.len() >= 8 => {
                let data = data.strip_suffix(&[0]).unwrap_or(data);
                let mut c = self.credential(
                    "mysql_old_password",
                    Kind::ChallengeResponse,
                    hex(data).as_bytes(),
                    frames,
                    ts,
                );
                if let Some(s) = &self.scramble {
                    c.challenge = Some(hex(&s[..s.len().min(8)]).into_bytes());
                }
                c
            }
            b"mysql_clear_password" => {
                let pw = data.strip_suffix(&[0]).unwrap_or(data);
                if pw.is_empty() {
                    return;
                }
                self.credential("mysql_clear_password", Kind::Cleartext, pw, frames, ts)
            }
            b"dialog" if self.dialog_password => {
                let pw = data.strip_suffix(&[0]).unwrap_or(data);
                self.dialog_password = false;
                self.credential("dialog", Kind::Cleartext, pw, frames, ts)
            }
            b"sha256_password" => {
                let Some(pw) = nul_terminated_password(data) else {
                    return;
                };
                let mut c = self.credential("sha256_password", Kind::Cleartext, pw, frames, ts);
                c.details.push((
                    "note",
                    "password sent in clear on a connection without TLS".to_string(),
                ));
                c
            }
            _ => return,
        };
        self.push(c, out);
    }

    /// A command after the login (sequence 0): a `COM_QUERY`'s password statements await
    /// its answer.
    fn command(&mut self, packet: &[u8], frames: &[u64], ts: Timestamp, out: &mut Vec<Credential>) {
        let payload = packet.get(4..).unwrap_or_default();
        if packet.get(3) != Some(&0) {
            return; // the rest of a command (LOAD DATA, long data)
        }
        let Some((left, awaiting)) = self.commands.take() else {
            return;
        };
        out.extend(awaiting); // a command the server never answered
        let mut awaiting = Vec::new();
        match payload.split_first() {
            Some((&COM_QUERY, text)) => {
                // Query attributes (MySQL 8.0.23+) put a parameter count and set count
                // before the text: none here, two small numbers.
                let text = match text {
                    [0, 1, rest @ ..] => rest,
                    _ => text,
                };
                for p in sql::passwords(text, Dialect::Mysql) {
                    let user = self.user.as_ref().map(|u| &u.0[..]);
                    let c = p.credential("mysql", user, self.database.as_deref(), frames, ts);
                    awaiting.push(c);
                }
            }
            Some((&COM_QUIT, _)) => {
                self.done = true;
                return;
            }
            _ => {}
        }
        self.commands = Some((left.saturating_sub(1), awaiting));
    }

    /// The first packet of an answer to a command: OK or ERR judges its passwords.
    fn command_answer(&mut self, packet: &[u8], out: &mut Vec<Credential>) {
        if packet.get(3) != Some(&1) {
            return; // later packets of a result set
        }
        let Some((left, awaiting)) = self.commands.as_mut() else {
            return;
        };
        let payload = packet.get(4..).unwrap_or_default();
        let (outcome, detail) = match payload.split_first() {
            Some((0x00, _)) => (Outcome::Success, None),
            Some((0xff, body)) => (Outcome::Failure, Some(error_text(body))),
            _ => (Outcome::Unknown, None),
        };
        for mut c in awaiting.drain(..) {
            c.outcome = outcome;
            if let Some(d) = &detail {
                c.details.push(("diagnostic", d.clone()));
            }
            out.push(c);
        }
        if *left == 0 {
            self.done = true;
        }
    }

    fn client(&mut self, packet: &[u8], frames: &[u64], ts: Timestamp, out: &mut Vec<Credential>) {
        if self.commands.is_some() {
            self.command(packet, frames, ts, out);
            return;
        }
        let payload = packet.get(4..).unwrap_or_default();
        match std::mem::replace(&mut self.phase, Phase::Server) {
            Phase::Response => match parse_response(payload) {
                Some(Response::Ssl) => self.done = true,
                Some(Response::Login {
                    capabilities,
                    user,
                    auth,
                    database,
                    plugin,
                }) => {
                    self.user = Some((user.to_vec(), frames.to_vec()));
                    self.database = database.filter(|d| !d.is_empty()).map(<[u8]>::to_vec);
                    let plugin = match plugin {
                        Some(p) if !p.is_empty() => p.to_vec(),
                        _ if !self.plugin.is_empty() => self.plugin.clone(),
                        _ if capabilities & CLIENT_SECURE_CONNECTION != 0 || auth.len() == 20 => {
                            b"mysql_native_password".to_vec()
                        }
                        _ => b"mysql_old_password".to_vec(),
                    };
                    self.auth_data(&plugin, auth, frames, ts, out);
                    self.plugin = plugin;
                }
                None => {}
            },
            Phase::PluginData(plugin) => {
                self.auth_data(&plugin, payload, frames, ts, out);
            }
            Phase::FullAuth(plugin) => {
                // 0x02 asks for the public key; an RSA-encrypted password is as long as
                // the key; anything else that ends in NUL is the password itself.
                if payload != [2]
                    && !matches!(payload.len(), 128 | 256 | 384 | 512)
                    && let Some(pw) = nul_terminated_password(payload)
                {
                    let mechanism = String::from_utf8_lossy(&plugin).into_owned();
                    let mut c = self.credential(&mechanism, Kind::Cleartext, pw, frames, ts);
                    c.details.push((
                        "note",
                        "full authentication: password sent in clear on a connection without TLS"
                            .to_string(),
                    ));
                    self.push(c, out);
                }
            }
            Phase::Server => {}
        }
    }

    fn finish(&mut self, outcome: Outcome, detail: Option<String>, out: &mut Vec<Credential>) {
        for mut c in self.pending.drain(..) {
            c.outcome = outcome;
            if let Some(d) = &detail {
                c.details.push(("diagnostic", d.clone()));
            }
            out.push(c);
        }
        if outcome == Outcome::Success {
            // Logged in: the commands are read for password statements.
            self.commands = Some((MAX_COMMANDS, Vec::new()));
        } else {
            self.done = true;
        }
    }

    fn server(&mut self, packet: &[u8], out: &mut Vec<Credential>) {
        if self.commands.is_some() {
            self.command_answer(packet, out);
            return;
        }
        let payload = packet.get(4..).unwrap_or_default();
        if self.scramble.is_none() && self.user.is_none() && payload.first() == Some(&10) {
            if let Some(g) = parse_greeting(payload) {
                self.scramble = Some(g.scramble);
                self.plugin = g.plugin.to_vec();
            }
            return;
        }
        let Some((&first, body)) = payload.split_first() else {
            return;
        };
        match first {
            0x00 if self.user.is_some() || !self.pending.is_empty() => {
                self.finish(Outcome::Success, None, out)
            }
            0xff => self.finish(Outcome::Failure, Some(error_text(body)), out),
            0xfe if self.user.is_some() => {
                // AuthSwitchRequest (a lone 0xFE: the old switch to mysql_old_password).
                let (plugin, data) = if body.is_empty() {
                    (&b"mysql_old_password"[..], &b""[..])
                } else {
                    cstring(body)
                };
                let data = data.strip_suffix(&[0]).unwrap_or(data);
                if !data.is_empty() {
                    if plugin == b"dialog" {
                        self.dialog_question(data);
                    } else {
                        self.scramble = Some(data.to_vec());
                    }
                }
                self.plugin = plugin.to_vec();
                self.phase = Phase::PluginData(plugin.to_vec());
            }
            0x01 if matches!(
                &self.plugin[..],
                b"caching_sha2_password" | b"sha256_password"
            ) =>
            {
                self.phase = match body {
                    [4] => Phase::FullAuth(self.plugin.clone()),
                    // Fast authentication succeeded (an OK follows); a public key.
                    _ => Phase::PluginData(Vec::new()),
                };
            }
            _ if self.plugin == b"dialog" && self.user.is_some() => {
                self.dialog_question(payload);
                self.phase = Phase::PluginData(b"dialog".to_vec());
            }
            _ => {}
        }
    }

    /// A MariaDB dialog question: its first byte says whether it asks for a password.
    fn dialog_question(&mut self, q: &[u8]) {
        self.dialog_password = q.first().is_some_and(|&t| t & 0x06 == 4);
    }
}

/// The MySQL dissector of one connection.
#[derive(Debug)]
pub struct Mysql {
    framers: [Framer; 2],
    session: Session,
}

impl Default for Mysql {
    fn default() -> Self {
        Mysql {
            framers: [Framer::new(MAX_PACKET), Framer::new(MAX_PACKET)],
            session: Session::default(),
        }
    }
}

impl Dissector for Mysql {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let s = &mut self.session;
        if s.done {
            return;
        }
        let framer = &mut self.framers[dir.index()];
        if dir == Direction::ToServer
            && s.phase == Phase::Response
            && framer.at_boundary()
            && looks_like_tls(chunk.data)
            && chunk.data.get(5) == Some(&1)
        {
            // A TLS ClientHello where the HandshakeResponse belongs: an SSLRequest the
            // capture missed. (As a packet it would be over 64 KiB long.)
            s.done = true;
            return;
        }
        framer.push(chunk);
        while !s.done {
            let Some(msg) = framer.next(measure) else {
                break;
            };
            match dir {
                Direction::ToServer => s.client(msg.bytes, &msg.frames, msg.ts, out),
                Direction::ToClient => s.server(msg.bytes, out),
            }
        }
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        self.framers[dir.index()].gap(len);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        out.append(&mut self.session.pending);
        if let Some((_, awaiting)) = self.session.commands.take() {
            out.extend(awaiting);
        }
    }

    fn done(&self) -> bool {
        self.session.done
    }

    fn buffered(&self) -> usize {
        let s = &self.session;
        self.framers.iter().map(Framer::buffered).sum::<usize>()
            + s.scramble.as_ref().map_or(0, Vec::len)
            + s.user.as_ref().map_or(0, |u| u.0.len() + u.1.len() * 8)
            + s.database.as_ref().map_or(0, Vec::len)
            + s.plugin.len()
            + s.pending.len() * 256
            + s.commands.as_ref().map_or(0, |(_, a)| a.len() * 256)
    }
}

/// Encoders of MySQL packets, for tests and fixtures.
pub mod build {
    use super::*;

    /// A packet: 3-byte length, sequence number, payload.
    pub fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut p = len.to_le_bytes()[..3].to_vec();
        p.push(seq);
        p.extend_from_slice(payload);
        p
    }

    /// A `Handshake` v10 with a 20-byte scramble and a default plugin.
    pub fn greeting(version: &str, scramble: &[u8; 20], plugin: &str) -> Vec<u8> {
        let caps: u32 = 0xa03f_f7ff & !CLIENT_SSL;
        let mut p = vec![10];
        p.extend_from_slice(version.as_bytes());
        p.push(0);
        p.extend_from_slice(&42u32.to_le_bytes());
        p.extend_from_slice(&scramble[..8]);
        p.push(0);
        p.extend_from_slice(&(caps as u16).to_le_bytes());
        p.push(0x21);
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
        p.push(21);
        p.extend_from_slice(&[0; 10]);
        p.extend_from_slice(&scramble[8..]);
        p.push(0);
        p.extend_from_slice(plugin.as_bytes());
        p.push(0);
        packet(0, &p)
    }

    /// A `HandshakeResponse41` with a 1-byte length auth response.
    pub fn response(user: &str, auth: &[u8], database: Option<&str>, plugin: &str) -> Vec<u8> {
        let mut caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | 1;
        if database.is_some() {
            caps |= CLIENT_CONNECT_WITH_DB;
        }
        let mut p = caps.to_le_bytes().to_vec();
        p.extend_from_slice(&(16u32 << 20).to_le_bytes());
        p.push(0x21);
        p.extend_from_slice(&[0; 23]);
        p.extend_from_slice(user.as_bytes());
        p.push(0);
        p.push(auth.len() as u8);
        p.extend_from_slice(auth);
        if let Some(db) = database {
            p.extend_from_slice(db.as_bytes());
            p.push(0);
        }
        p.extend_from_slice(plugin.as_bytes());
        p.push(0);
        packet(1, &p)
    }

    /// An `SSLRequest`.
    pub fn ssl_request() -> Vec<u8> {
        let caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_SSL | CLIENT_PLUGIN_AUTH;
        let mut p = caps.to_le_bytes().to_vec();
        p.extend_from_slice(&(16u32 << 20).to_le_bytes());
        p.push(0x21);
        p.extend_from_slice(&[0; 23]);
        packet(1, &p)
    }

    /// An `AuthSwitchRequest`.
    pub fn auth_switch(seq: u8, plugin: &str, data: &[u8]) -> Vec<u8> {
        let mut p = vec![0xfe];
        p.extend_from_slice(plugin.as_bytes());
        p.push(0);
        p.extend_from_slice(data);
        packet(seq, &p)
    }

    /// An OK packet.
    pub fn ok(seq: u8) -> Vec<u8> {
        packet(seq, &[0, 0, 0, 2, 0, 0, 0])
    }

    /// An ERR packet with SQLSTATE 28000.
    pub fn err(seq: u8, code: u16, text: &str) -> Vec<u8> {
        let mut p = vec![0xff];
        p.extend_from_slice(&code.to_le_bytes());
        p.extend_from_slice(b"#28000");
        p.extend_from_slice(text.as_bytes());
        packet(seq, &p)
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::DissectorConfig;
    use crate::dissect::script::unhex;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> (Vec<Credential>, bool) {
        crate::dissect::script::play(&mut Mysql::default(), script)
    }

    const SCRAMBLE: [u8; 20] = *b">~$4uth,>612IWZ>fhWX";

    const RESPONSE: [u8; 20] = [
        0xee, 0xfd, 0x6d, 0x55, 0x62, 0x85, 0x1b, 0xc5, 0x96, 0x6a, 0x0b, 0x41, 0x23, 0x6a, 0xe3,
        0xf2, 0x31, 0x5e, 0xfc, 0xc4,
    ];

    #[test]
    fn greeting_of_mysql_5_0() {
        // The greeting of the CredSLayer capture (MySQL 5.0.54: no plugin).
        let payload = unhex(
            "0a352e302e3534005e0000003e7e24347574682c002ca22102000000000000000000000000\
             00003e36313249575a3e6668575800",
        );
        let g = parse_greeting(&payload).unwrap();
        assert_eq!(g.version, b"5.0.54");
        assert_eq!(g.scramble, SCRAMBLE);
        assert_eq!(g.plugin, b"");
        let g = greeting("10.11.6-MariaDB", &SCRAMBLE, "mysql_native_password");
        let g = parse_greeting(&g[4..]).unwrap();
        assert_eq!(g.scramble, SCRAMBLE);
        assert_eq!(g.plugin, b"mysql_native_password");
    }

    #[test]
    fn password_statements_after_the_login() {
        let query = |text: &str| packet(0, &[&[COM_QUERY][..], text.as_bytes()].concat());
        let (out, done) = run(&[
            (
                S,
                &greeting("10.11.6-MariaDB", &SCRAMBLE, "mysql_native_password"),
            ),
            (
                C,
                &response("root", &RESPONSE, Some("mysql"), "mysql_native_password"),
            ),
            (S, &ok(2)),
            (
                C,
                &query("CREATE USER 'app'@'10.0.%' IDENTIFIED BY 'App-Pw-1'"),
            ),
            (S, &ok(1)),
            (C, &query("SELECT 1")),
            (S, &packet(1, &[1])),
            (S, &packet(2, b"\x03def")),
            // MySQL 8's query attributes: none, before the text.
            (C, &packet(0, b"\x03\x00\x01SET PASSWORD = 'mine-2'")),
            (S, &ok(1)),
            (C, &query("ALTER USER ghost IDENTIFIED BY 'ghost-3'")),
            (
                S,
                &err(1, 1396, "Operation ALTER USER failed for 'ghost'@'%'"),
            ),
            (
                C,
                &query(
                    "GRANT ALL ON *.* TO old IDENTIFIED BY PASSWORD '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'",
                ),
            ),
        ]);
        assert!(!done);
        let got = crate::dissect::script::seen(&out[1..]);
        assert_eq!(
            got,
            vec![
                (
                    "CREATE USER ... IDENTIFIED",
                    &b"app"[..],
                    &b"App-Pw-1"[..],
                    Outcome::Success
                ),
                ("SET PASSWORD", b"root", b"mine-2", Outcome::Success),
                (
                    "ALTER USER ... IDENTIFIED",
                    b"ghost",
                    b"ghost-3",
                    Outcome::Failure
                ),
                (
                    "GRANT ... IDENTIFIED",
                    b"old",
                    b"*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19",
                    Outcome::Unknown
                ),
            ]
        );
        assert_eq!(
            out[1].details,
            vec![
                ("host", "10.0.%".to_string()),
                ("database", "mysql".to_string())
            ]
        );
        assert_eq!(
            out[3].details.last(),
            Some(&(
                "diagnostic",
                "1396 Operation ALTER USER failed for 'ghost'@'%'".to_string()
            ))
        );
        assert_eq!(out[4].kind, Kind::ChallengeResponse);
        assert_eq!(out[4].hashcat.as_ref().map(|h| h.mode), Some(300));
        // COM_QUIT ends the reading; a refused login reads nothing more.
        let (_, done) = run(&[
            (S, &greeting("8.0.36", &SCRAMBLE, "mysql_native_password")),
            (C, &response("u", &RESPONSE, None, "mysql_native_password")),
            (S, &ok(2)),
            (C, &packet(0, &[COM_QUIT])),
        ]);
        assert!(done);
        let (_, done) = run(&[
            (S, &greeting("8.0.36", &SCRAMBLE, "mysql_native_password")),
            (C, &response("u", &RESPONSE, None, "mysql_native_password")),
            (S, &err(2, 1045, "Access denied")),
        ]);
        assert!(done);
    }

    #[test]
    fn native_password_success() {
        let (out, done) = run(&[
            (S, &greeting("5.5.35", &SCRAMBLE, "mysql_native_password")),
            (
                C,
                &response("tfoerste", &RESPONSE, Some("db1"), "mysql_native_password"),
            ),
            (S, &ok(2)),
        ]);
        assert!(!done, "logged in: its commands are read");
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.mechanism, "mysql_native_password");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"tfoerste"[..]));
        assert_eq!(c.secret.as_deref(), Some(hex(&RESPONSE).as_bytes()));
        assert_eq!(c.challenge.as_deref(), Some(hex(&SCRAMBLE).as_bytes()));
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 11200);
        assert_eq!(
            h.hash,
            "$mysqlna$3e7e24347574682c3e36313249575a3e66685758*eefd6d5562851bc5966a0b41236ae3f2315efcc4"
        );
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![2]);
        assert_eq!(c.details, vec![("database", "db1".to_string())]);
    }

    #[test]
    fn native_password_failure_and_empty_password() {
        let (out, _) = run(&[
            (
                S,
                &greeting("5.1.67-log", &SCRAMBLE, "mysql_native_password"),
            ),
            (
                C,
                &response("root", &RESPONSE, None, "mysql_native_password"),
            ),
            (
                S,
                &err(
                    2,
                    1045,
                    "Access denied for user 'root'@'host' (using password: YES)",
                ),
            ),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(
            out[0].details,
            vec![(
                "diagnostic",
                "1045 Access denied for user 'root'@'host' (using password: YES)".to_string()
            )]
        );
        let (out, done) = run(&[
            (
                S,
                &greeting("5.1.67-log", &SCRAMBLE, "mysql_native_password"),
            ),
            (C, &response("root", b"", None, "mysql_native_password")),
            (S, &err(2, 1045, "Access denied (using password: NO)")),
        ]);
        assert!(out.is_empty());
        assert!(done);
    }

    #[test]
    fn auth_switch_to_clear_password() {
        let (out, _) = run(&[
            (
                S,
                &greeting("10.11.6-MariaDB", &SCRAMBLE, "mysql_native_password"),
            ),
            (
                C,
                &response("pam_user", &RESPONSE, None, "mysql_native_password"),
            ),
            (S, &auth_switch(2, "mysql_clear_password", b"")),
            (C, &packet(3, b"Cl34r-pw\0")),
            (S, &ok(4)),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].mechanism, "mysql_native_password");
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].mechanism, "mysql_clear_password");
        assert_eq!(out[1].kind, Kind::Cleartext);
        assert_eq!(out[1].username.as_deref(), Some(&b"pam_user"[..]));
        assert_eq!(out[1].secret.as_deref(), Some(&b"Cl34r-pw"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(out[1].frames, vec![2, 4]);
    }

    #[test]
    fn auth_switch_to_native_with_a_new_scramble() {
        let new: [u8; 20] = *b"0123456789abcdefghij";
        let (out, _) = run(&[
            (S, &greeting("8.0.36", &SCRAMBLE, "caching_sha2_password")),
            (C, &response("bob", &[7; 32], None, "caching_sha2_password")),
            (
                S,
                &auth_switch(2, "mysql_native_password", &[&new[..], &[0]].concat()),
            ),
            (C, &packet(3, &RESPONSE)),
            (S, &err(4, 1045, "Access denied")),
        ]);
        // The first scramble (caching_sha2_password, the client's default) and the
        // native response after the switch: the same password behind both, one verdict.
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].mechanism, "caching_sha2_password");
        assert_eq!(out[0].challenge.as_deref(), Some(hex(&SCRAMBLE).as_bytes()));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].challenge.as_deref(), Some(hex(&new).as_bytes()));
        assert_eq!(
            out[1].hashcat.as_ref().unwrap().hash,
            format!("$mysqlna${}*{}", hex(&new), hex(&RESPONSE))
        );
        assert_eq!(out[1].outcome, Outcome::Failure);
    }

    /// caching_sha2_password's scramble: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce).
    pub(crate) fn caching_sha2(password: &[u8], nonce: &[u8]) -> Vec<u8> {
        use sha2::{Digest, Sha256};
        let stage1 = Sha256::digest(password);
        let stage2 = Sha256::digest(stage1);
        let mask = Sha256::digest([&stage2[..], nonce].concat());
        stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect()
    }

    #[test]
    fn caching_sha2_fast_auth_scramble_is_crackable_and_rsa_gives_nothing_more() {
        let scramble = caching_sha2(b"Sha2-F4st!", &SCRAMBLE);
        let (out, done) = run(&[
            (S, &greeting("8.0.36", &SCRAMBLE, "caching_sha2_password")),
            (
                C,
                &response("bob", &scramble, None, "caching_sha2_password"),
            ),
            (S, &packet(2, &[1, 3])),
            (S, &ok(3)),
        ]);
        assert!(!done, "logged in: its commands are read");
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "caching_sha2_password");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.challenge.as_deref(), Some(hex(&SCRAMBLE).as_bytes()));
        // What a cracker computes per guess, from the finding alone.
        let nonce = crate::dissect::script::unhex(&String::from_utf8_lossy(
            c.challenge.as_deref().unwrap(),
        ));
        let secret = String::from_utf8_lossy(c.secret.as_deref().unwrap()).into_owned();
        assert_eq!(secret, hex(&caching_sha2(b"Sha2-F4st!", &nonce)));
        assert_ne!(secret, hex(&caching_sha2(b"sha2-F4st!", &nonce)));
        // Full authentication with RSA: the scramble, judged by the final OK; the
        // encrypted password is not reported.
        let (out, _) = run(&[
            (S, &greeting("8.0.36", &SCRAMBLE, "caching_sha2_password")),
            (
                C,
                &response("bob", &scramble, None, "caching_sha2_password"),
            ),
            (S, &packet(2, &[1, 4])),
            (C, &packet(3, &[2])),
            (
                S,
                &packet(
                    4,
                    b"\x01-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
                ),
            ),
            (C, &packet(5, &[0x5a; 256])),
            (S, &err(6, 1045, "Access denied for user 'bob'")),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].kind, Kind::ChallengeResponse);
        assert_eq!(out[0].outcome, Outcome::Failure);
        // No password: an empty scramble is no credential.
        let (out, _) = run(&[
            (S, &greeting("8.0.36", &SCRAMBLE, "caching_sha2_password")),
            (C, &response("bob", &[], None, "caching_sha2_password")),
            (S, &ok(2)),
        ]);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn caching_sha2_full_auth_in_clear() {
        let scramble = caching_sha2(b"sha2-Secret", &SCRAMBLE);
        let (out, _) = run(&[
            (S, &greeting("8.0.36", &SCRAMBLE, "caching_sha2_password")),
            (
                C,
                &response("bob", &scramble, None, "caching_sha2_password"),
            ),
            (S, &packet(2, &[1, 4])),
            (C, &packet(3, b"sha2-Secret\0")),
            (S, &ok(4)),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        // The scramble, then the password itself; the same OK judges both.
        assert_eq!(out[0].kind, Kind::ChallengeResponse);
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].mechanism, "caching_sha2_password");
        assert_eq!(out[1].kind, Kind::Cleartext);
        assert_eq!(out[1].secret.as_deref(), Some(&b"sha2-Secret"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(out[1].details[0].0, "note");
    }

    #[test]
    fn dialog_password_question() {
        let (out, _) = run(&[
            (
                S,
                &greeting("10.11.6-MariaDB", &SCRAMBLE, "mysql_native_password"),
            ),
            (
                C,
                &response("carol", &RESPONSE, None, "mysql_native_password"),
            ),
            (S, &auth_switch(2, "dialog", b"\x02Login: ")),
            (C, &packet(3, b"carol\0")),
            (S, &packet(4, b"\x05Password: ")),
            (C, &packet(5, b"d1alog\0")),
            (S, &err(6, 1045, "Access denied")),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[1].mechanism, "dialog");
        assert_eq!(out[1].secret.as_deref(), Some(&b"d1alog"[..]));
        assert_eq!(out[1].outcome, Outcome::Failure);
    }

    #[test]
    fn ssl_request_stops() {
        let (out, done) = run(&[
            (S, &greeting("8.0.36", &SCRAMBLE, "caching_sha2_password")),
            (C, &ssl_request()),
            (C, b"\x16\x03\x01\x00\x05hello"),
        ]);
        assert!(out.is_empty());
        assert!(done);
    }

    #[test]
    fn handshake_response_320() {
        // caps (LONG_PASSWORD | CONNECT_WITH_DB), max packet, user, scramble, database.
        let mut p = vec![0x09, 0x00, 0xff, 0xff, 0xff];
        p.extend_from_slice(b"old\0ABCDEFGH\0test\0");
        match parse_response(&p) {
            Some(Response::Login {
                user,
                auth,
                database,
                ..
            }) => {
                assert_eq!(user, b"old");
                assert_eq!(auth, b"ABCDEFGH");
                assert_eq!(database, Some(&b"test"[..]));
            }
            r => panic!("{r:?}"),
        }
        let (out, _) = run(&[(C, &packet(1, &p)), (S, &ok(2))]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "mysql_old_password");
        assert_eq!(out[0].secret.as_deref(), Some(&b"4142434445464748"[..]));
    }

    #[test]
    fn probe_recognises_mysql() {
        let g = greeting("5.7.44", &SCRAMBLE, "mysql_native_password");
        assert_eq!(probe(b"", &g), Probe::Yes);
        assert_eq!(probe(b"", &g[..12]), Probe::Yes);
        assert_eq!(probe(b"", &g[..7]), Probe::Maybe);
        assert_eq!(probe(b"", &g[..2]), Probe::Maybe);
        assert_eq!(
            probe(b"", &err(0, 1040, "Too many connections")),
            Probe::Maybe
        );
        assert_eq!(
            probe(
                &response("a", &RESPONSE, None, "mysql_native_password"),
                b""
            ),
            Probe::Maybe
        );
        for banner in [
            &b"220 ftp ready\r\n"[..],
            b"+OK POP3\r\n",
            b"* OK IMAP\r\n",
            b"SSH-2.0-OpenSSH_9.2\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"\x16\x03\x03\x00\x31\x02",
        ] {
            assert_eq!(probe(b"", banner), Probe::No, "{banner:?}");
        }
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"*2\r\n$4\r\nAUTH\r\n", b""), Probe::No);
    }

    #[test]
    fn never_panics_on_garbage() {
        let valid = [
            greeting("5.7.44", &SCRAMBLE, "mysql_native_password"),
            response("a", &RESPONSE, Some("d"), "mysql_native_password"),
            auth_switch(2, "mysql_clear_password", b""),
            packet(3, b"pw\0"),
            err(2, 1045, "no"),
            packet(2, &[1, 4]),
        ];
        super::super::garbage::feed(
            0x2545_f491,
            2000,
            6,
            &valid,
            Mysql::default,
            |b| {
                let _ = probe(b, b);
                let _ = parse_greeting(b);
                let _ = parse_response(b);
            },
            |r| u64::from(r.next() % 100),
            |d| assert!(d.buffered() < 4 * MAX_PACKET),
        );
    }

    /// Every chunk of a session cut at every offset gives the same findings
    /// (`split_tests` in `dissect/mod.rs`).
    #[test]
    fn any_split() {
        type Seen = (Option<Vec<u8>>, Option<Vec<u8>>, Outcome, String);
        fn go(script: &[(Direction, Vec<u8>)]) -> Vec<Seen> {
            let mut out = Vec::new();
            // Each connection is a dissector of its own; an empty chunk separates them.
            let mut d = (SPEC.new)(&DissectorConfig::default());
            for (dir, data) in script {
                if data.is_empty() {
                    d.close(&mut out);
                    d = (SPEC.new)(&DissectorConfig::default());
                    continue;
                }
                d.data(
                    *dir,
                    Chunk {
                        data,
                        frame: 1,
                        ts: Timestamp::ZERO,
                    },
                    &mut out,
                );
            }
            d.close(&mut out);
            out.into_iter()
                .map(|c| (c.username, c.secret, c.outcome, c.mechanism.into_owned()))
                .collect()
        }
        let whole: Vec<(Direction, Vec<u8>)> = vec![
            (S, greeting("5.7.44", &SCRAMBLE, "mysql_native_password")),
            (
                C,
                response("alice", &RESPONSE, Some("db"), "mysql_native_password"),
            ),
            (S, err(2, 1045, "Access denied")),
            (C, Vec::new()),
            (
                S,
                greeting("10.11.6-MariaDB", &SCRAMBLE, "mysql_native_password"),
            ),
            (C, response("bob", &RESPONSE, None, "mysql_native_password")),
            (S, auth_switch(2, "mysql_clear_password", b"")),
            (C, packet(3, b"clear\0")),
            (S, [ok(4), packet(1, &[0x0e])].concat()),
        ];
        let want = go(&whole);
        assert_eq!(want.len(), 3, "{want:?}");
        for (i, (dir, data)) in whole.iter().enumerate() {
            for cut in 1..data.len() {
                let mut split = whole.clone();
                split[i] = (*dir, data[..cut].to_vec());
                split.insert(i + 1, (*dir, data[cut..].to_vec()));
                assert_eq!(go(&split), want, "chunk {i} cut at {cut}");
            }
        }
    }
}
