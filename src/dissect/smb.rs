//! SMB (MS-SMB, MS-SMB2) over TCP 445 (direct TCP) and 139 (the NetBIOS session service,
//! RFC 1002, with its session request): the NTLM challenge-responses of session setups,
//! which an attacker who captures them cracks offline.
//!
//! Framing: every message behind the 4-byte header of the session service (type 0 and a
//! 24-bit length; 139's session request, positive response and keep-alives are other
//! types and carry nothing), cut by [`super::prefixed`]; messages longer than
//! [`MAX_MESSAGE`] (file data) are skipped unbuffered.
//!
//! - SMB2/3 (`0xFE 'SMB'`, compounded messages followed through NextCommand):
//!   SESSION_SETUP requests and responses carry NTLMSSP, usually inside SPNEGO
//!   ([`ntlmssp::find`] looks through the GSS-API wrapping). The server's CHALLENGE comes
//!   in a response with STATUS_MORE_PROCESSING_REQUIRED, keyed by the SessionId it
//!   assigns; the client's AUTHENTICATE in the next request of that session gives a
//!   NetNTLMv2 (hashcat 5600) or NetNTLMv1 (5500) line ([`ntlmssp::Authenticate`]).
//!   Mechanism `SMB2 NTLMSSP (NetNTLMv2)`.
//! - SMB1 (`0xFF 'SMB'`) SESSION_SETUP_ANDX with extended security: the same, the
//!   CHALLENGE keyed by the UID; mechanism `SMB1 NTLMSSP (NetNTLMv2)`.
//! - SMB1 without extended security: the challenge is the NEGOTIATE response's
//!   EncryptionKey, the LM and NT responses are the SESSION_SETUP_ANDX request's
//!   OEMPassword and UnicodePassword fields (mechanism `SMB1 non-extended security
//!   (NetNTLMv1)`, or `(NetNTLMv2)` for LMv2/NTLMv2 responses). When the NEGOTIATE
//!   response said the server does not want encrypted passwords (SecurityMode without
//!   NEGOTIATE_ENCRYPT_PASSWORDS), the password is sent as it is: mechanism `SMB1
//!   plaintext password`, kind cleartext.
//!
//! Outcome, from the NT status of the SESSION_SETUP response with the request's MessageId
//! (SMB2) or PID and MID (SMB1): STATUS_SUCCESS is `success`, unless the server logged the
//! client on as guest (SMB1 Action bit 0, SMB2 SessionFlags IS_GUEST): then the password
//! was not checked and the outcome is `unknown`, with a note. STATUS_LOGON_FAILURE,
//! STATUS_WRONG_PASSWORD, STATUS_NO_SUCH_USER, STATUS_ACCOUNT_* and the other logon
//! refusals are `failure` (the status name goes in `details.status`);
//! STATUS_MORE_PROCESSING_REQUIRED after an AUTHENTICATE keeps the verdict for the next
//! response of the session; any other status, or none seen, is `unknown`.
//!
//! Anonymous (null) sessions, an AUTHENTICATE with no user and no response, are not
//! credentials and give nothing. Kerberos inside SPNEGO carries nothing crackable without
//! the service's key and is left alone. Any number of sessions per connection.

use std::collections::VecDeque;

use super::prefixed::{Framed, Head, Messages};
use super::{Probe, ProtocolSpec, ntlmssp};
use crate::finding::{Credential, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "smb",
    tcp_ports: &[445, 139],
    probe,
    new: |_config| Box::new(Smb::default()),
};

/// The longest message buffered whole (a session setup with a Kerberos ticket fits).
pub const MAX_MESSAGE: usize = 64 << 10;

/// Session service message types (RFC 1002 section 4.3.1).
const SESSION_MESSAGE: u8 = 0x00;
const SESSION_REQUEST: u8 = 0x81;
const POSITIVE_RESPONSE: u8 = 0x82;
const NEGATIVE_RESPONSE: u8 = 0x83;
const RETARGET_RESPONSE: u8 = 0x84;
const KEEP_ALIVE: u8 = 0x85;

const SMB1_MAGIC: &[u8; 4] = b"\xffSMB";
const SMB2_MAGIC: &[u8; 4] = b"\xfeSMB";
const SMB2_TRANSFORM: &[u8; 4] = b"\xfdSMB";
const SMB2_COMPRESSED: &[u8; 4] = b"\xfcSMB";

const SMB1_NEGOTIATE: u8 = 0x72;
const SMB1_SESSION_SETUP_ANDX: u8 = 0x73;
const SMB2_SESSION_SETUP: u16 = 0x0001;

/// SMB1 Flags2 bits.
const FLAGS2_NT_STATUS: u16 = 0x4000;
const FLAGS2_UNICODE: u16 = 0x8000;
/// SMB1 Flags: a reply.
const FLAGS_REPLY: u8 = 0x80;
/// SMB2 Flags: a response.
const SMB2_FLAGS_SERVER_TO_REDIR: u32 = 0x0000_0001;
/// SMB1 NEGOTIATE: the server wants challenge-responses.
const NEGOTIATE_ENCRYPT_PASSWORDS: u8 = 0x02;
const CAP_EXTENDED_SECURITY: u32 = 0x8000_0000;

pub const STATUS_SUCCESS: u32 = 0;
pub const STATUS_PENDING: u32 = 0x0000_0103;
pub const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;
pub const STATUS_LOGON_FAILURE: u32 = 0xC000_006D;

/// The session service header: a message of `4 + length` bytes. Direct TCP (445) uses a
/// zero type and a 24-bit length; NetBIOS (139) the 17-bit length of RFC 1002 (whose
/// other flag bits are zero), read the same way.
pub fn head(data: &[u8]) -> Head {
    let Some(h) = data.get(..4) else {
        return Head::Incomplete;
    };
    match h[0] {
        SESSION_MESSAGE | SESSION_REQUEST | POSITIVE_RESPONSE | NEGATIVE_RESPONSE
        | RETARGET_RESPONSE | KEEP_ALIVE => {
            let len = usize::from(h[1]) << 16 | usize::from(h[2]) << 8 | usize::from(h[3]);
            Head::Message(4 + len)
        }
        _ => Head::Invalid,
    }
}

fn is_smb_magic(d: &[u8]) -> bool {
    matches!(
        d.get(..4),
        Some(m) if m == SMB1_MAGIC || m == SMB2_MAGIC || m == SMB2_TRANSFORM || m == SMB2_COMPRESSED
    )
}

/// A session message holding an SMB message: the strong sign of a message start.
fn message_start(d: &[u8]) -> Probe {
    if d.first().is_some_and(|&b| b != SESSION_MESSAGE) {
        return Probe::No;
    }
    if d.len() < 8 {
        return Probe::Maybe;
    }
    let len = usize::from(d[1]) << 16 | usize::from(d[2]) << 8 | usize::from(d[3]);
    if len >= 32 && is_smb_magic(&d[4..8]) {
        Probe::Yes
    } else {
        Probe::No
    }
}

/// The first bytes of one side: an SMB message, or 139's session request (client) or its
/// answer (server).
fn side_start(d: &[u8], client: bool) -> Probe {
    let Some(&kind) = d.first() else {
        return Probe::Maybe;
    };
    match kind {
        SESSION_MESSAGE => message_start(d),
        SESSION_REQUEST if client => match d.get(1..5) {
            // Two encoded NetBIOS names of 32 bytes each (RFC 1002 section 4.1).
            Some(&[flags, _, _, name_len]) if flags & 0xfe == 0 && name_len == 0x20 => {
                match head(d) {
                    Head::Message(total) if total >= 4 + 68 => Probe::Yes,
                    _ => Probe::No,
                }
            }
            Some(_) => Probe::No,
            None => Probe::Maybe,
        },
        POSITIVE_RESPONSE | NEGATIVE_RESPONSE if !client => match d.get(1..4) {
            Some(&[0, 0, 0]) if kind == POSITIVE_RESPONSE => Probe::Yes,
            Some(&[0, 0, 1]) if kind == NEGATIVE_RESPONSE => Probe::Yes,
            Some(_) => Probe::No,
            None => Probe::Maybe,
        },
        KEEP_ALIVE => match d.get(1..4) {
            Some(&[0, 0, 0]) => Probe::Maybe,
            Some(_) => Probe::No,
            None => Probe::Maybe,
        },
        _ => Probe::No,
    }
}

/// SMB when one side's first bytes are an SMB message (or the session service's request
/// and response) and neither side rules it out.
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    let client = side_start(to_server, true);
    let server = side_start(to_client, false);
    match (client, server) {
        (Probe::No, _) | (_, Probe::No) => Probe::No,
        (Probe::Yes, _) | (_, Probe::Yes) => Probe::Yes,
        _ => Probe::Maybe,
    }
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// The fields of an SMB1 header (MS-CIFS 2.2.3.1) plainsight uses, and the parameter
/// words and data bytes of the command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smb1<'a> {
    pub command: u8,
    /// The NT status (or DOS error class and code when Flags2 lacks NT_STATUS).
    pub status: u32,
    pub flags: u8,
    pub flags2: u16,
    pub pid: u16,
    pub uid: u16,
    pub mid: u16,
    pub words: &'a [u8],
    pub bytes: &'a [u8],
    /// Offset of `bytes` from the start of the SMB header (for Unicode alignment).
    pub bytes_offset: usize,
}

/// Parses an SMB1 message (from its `0xFF 'SMB'`).
pub fn parse_smb1(m: &[u8]) -> Option<Smb1<'_>> {
    if m.get(..4)? != SMB1_MAGIC {
        return None;
    }
    let wc = usize::from(*m.get(32)?);
    let words = m.get(33..33 + 2 * wc)?;
    let bc_at = 33 + 2 * wc;
    let bc = usize::from(u16_at(m, bc_at)?);
    let bytes_offset = bc_at + 2;
    // Some servers send a byte count larger than the bytes: take what is there.
    let bytes = m.get(bytes_offset..).map(|b| &b[..b.len().min(bc)])?;
    Some(Smb1 {
        command: *m.get(4)?,
        status: u32_at(m, 5)?,
        flags: *m.get(9)?,
        flags2: u16_at(m, 10)?,
        pid: u16_at(m, 26)?,
        uid: u16_at(m, 28)?,
        mid: u16_at(m, 30)?,
        words,
        bytes,
        bytes_offset,
    })
}

/// The fields of an SMB2 header (MS-SMB2 2.2.1) plainsight uses; `body` is the rest of
/// this message (up to NextCommand), `message` the whole message from its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smb2<'a> {
    pub command: u16,
    pub status: u32,
    pub flags: u32,
    pub message_id: u64,
    pub session_id: u64,
    pub message: &'a [u8],
}

/// The SMB2 messages of one session message (compounded ones followed).
pub fn parse_smb2(mut data: &[u8]) -> Vec<Smb2<'_>> {
    let mut out = Vec::new();
    while data.get(..4) == Some(SMB2_MAGIC) && out.len() < 32 {
        let (Some(64), Some(command), Some(status), Some(flags), Some(next), Some(mid), Some(sid)) = (
            u16_at(data, 4),
            u16_at(data, 12),
            u32_at(data, 8),
            u32_at(data, 16),
            u32_at(data, 20),
            u64_at(data, 24),
            u64_at(data, 40),
        ) else {
            break;
        };
        let next = next as usize;
        let end = if next == 0 {
            data.len()
        } else {
            next.min(data.len())
        };
        out.push(Smb2 {
            command,
            status,
            flags,
            message_id: mid,
            session_id: sid,
            message: &data[..end],
        });
        if next < 64 || next >= data.len() {
            break;
        }
        data = &data[next..];
    }
    out
}

/// The security buffer of an SMB2 SESSION_SETUP request or response.
fn smb2_security_buffer<'a>(m: &Smb2<'a>, response: bool) -> Option<&'a [u8]> {
    let (size, at) = if response { (9, 68) } else { (25, 76) };
    if u16_at(m.message, 64)? != size {
        return None;
    }
    let offset = usize::from(u16_at(m.message, at)?);
    let len = usize::from(u16_at(m.message, at + 2)?);
    m.message.get(offset..offset.checked_add(len)?)
}

/// Reads a NUL-terminated string of an SMB1 data area at `at` (Unicode ones aligned on
/// an even offset from the header); returns it and the offset after it.
fn smb1_string(s: &Smb1<'_>, at: usize, unicode: bool) -> Option<(Vec<u8>, usize)> {
    let mut at = at;
    if unicode {
        if (s.bytes_offset + at) % 2 == 1 {
            at += 1;
        }
        let rest = s.bytes.get(at..)?;
        let mut units = Vec::new();
        let mut end = rest.len() - rest.len() % 2;
        for (i, c) in rest.chunks_exact(2).enumerate() {
            let u = u16::from_le_bytes([c[0], c[1]]);
            if u == 0 {
                end = 2 * i + 2;
                break;
            }
            units.push(u);
        }
        Some((String::from_utf16_lossy(&units).into_bytes(), at + end))
    } else {
        let rest = s.bytes.get(at..)?;
        let n = rest.iter().position(|&b| b == 0);
        let text = rest[..n.unwrap_or(rest.len())].to_vec();
        Some((text, at + n.map_or(rest.len(), |n| n + 1)))
    }
}

/// Name and outcome of an NT status answering a session setup.
pub fn status_outcome(status: u32) -> (Outcome, Option<&'static str>) {
    let name = match status {
        STATUS_SUCCESS => return (Outcome::Success, None),
        STATUS_LOGON_FAILURE => "STATUS_LOGON_FAILURE",
        0xC000_006A => "STATUS_WRONG_PASSWORD",
        0xC000_0064 => "STATUS_NO_SUCH_USER",
        0xC000_006E => "STATUS_ACCOUNT_RESTRICTION",
        0xC000_006F => "STATUS_INVALID_LOGON_HOURS",
        0xC000_0070 => "STATUS_INVALID_WORKSTATION",
        0xC000_0071 => "STATUS_PASSWORD_EXPIRED",
        0xC000_0072 => "STATUS_ACCOUNT_DISABLED",
        0xC000_0193 => "STATUS_ACCOUNT_EXPIRED",
        0xC000_0224 => "STATUS_PASSWORD_MUST_CHANGE",
        0xC000_0234 => "STATUS_ACCOUNT_LOCKED_OUT",
        0xC000_015B => "STATUS_LOGON_TYPE_NOT_GRANTED",
        0xC000_0022 => "STATUS_ACCESS_DENIED",
        0xC000_0413 => "STATUS_AUTHENTICATION_FIREWALL_FAILED",
        _ => return (Outcome::Unknown, None),
    };
    (Outcome::Failure, Some(name))
}

/// The outcome of an SMB1 reply's status: an NT status, or a DOS error (class ERRSRV
/// code ERRbadpw, class ERRDOS code ERRnoaccess: refused).
fn smb1_outcome(s: &Smb1<'_>) -> (Outcome, Option<&'static str>) {
    if s.flags2 & FLAGS2_NT_STATUS != 0 {
        return status_outcome(s.status);
    }
    let class = s.status & 0xff;
    let code = s.status >> 16;
    match (class, code) {
        (0, 0) => (Outcome::Success, None),
        (2, 2) => (Outcome::Failure, Some("ERRSRV/ERRbadpw")),
        (1, 5) => (Outcome::Failure, Some("ERRDOS/ERRnoaccess")),
        _ => (Outcome::Unknown, None),
    }
}

/// Where a reply is matched to its request: the SMB version and the MessageId (SMB2) or
/// PID and MID (SMB1).
type Key = (u8, u64);

/// Requests and challenges kept per connection; beyond these the oldest go.
const MAX_PENDING: usize = 16;
const MAX_CHALLENGES: usize = 8;

#[derive(Debug, Default)]
pub struct Session {
    /// The SMB1 NEGOTIATE response's EncryptionKey (non-extended security).
    smb1_challenge: Option<[u8; 8]>,
    /// The SMB1 server's SecurityMode asked for plaintext passwords.
    smb1_plaintext: bool,
    /// NTLMSSP challenges by session (SMB2 SessionId, SMB1 UID).
    challenges: VecDeque<(Key, [u8; 8])>,
    /// Session setups waiting for their responses.
    pending: VecDeque<(Key, u64, Box<Credential>)>,
    /// A credential answered with STATUS_MORE_PROCESSING_REQUIRED, by session.
    continued: VecDeque<(Key, Box<Credential>)>,
}

impl Session {
    fn challenge(&self, session: Key) -> Option<[u8; 8]> {
        self.challenges
            .iter()
            .rev()
            .find(|(k, _)| *k == session)
            .map(|(_, c)| *c)
    }

    fn set_challenge(&mut self, session: Key, challenge: [u8; 8]) {
        self.challenges.retain(|(k, _)| *k != session);
        if self.challenges.len() >= MAX_CHALLENGES {
            self.challenges.pop_front();
        }
        self.challenges.push_back((session, challenge));
    }

    fn push(&mut self, key: Key, session: u64, c: Credential, out: &mut Vec<Credential>) {
        if self.pending.len() >= MAX_PENDING
            && let Some((_, _, old)) = self.pending.pop_front()
        {
            out.push(*old);
        }
        self.pending.push_back((key, session, Box::new(c)));
    }

    /// A session setup request without a credential of its own: a credential the server
    /// answered with MORE_PROCESSING_REQUIRED waits for this one's response.
    fn carry_on(&mut self, key: Key, session: Key, out: &mut Vec<Credential>) {
        if let Some(i) = self.continued.iter().position(|(k, _)| *k == session)
            && let Some((_, c)) = self.continued.remove(i)
        {
            self.push(key, session.1, *c, out);
        }
    }

    /// The response to request `key`: its verdict.
    fn answer(
        &mut self,
        key: Key,
        version: u8,
        status: u32,
        outcome: (Outcome, Option<&'static str>),
        guest: bool,
        out: &mut Vec<Credential>,
    ) {
        let Some(i) = self.pending.iter().position(|(k, _, _)| *k == key) else {
            return;
        };
        let Some((_, session, mut c)) = self.pending.remove(i) else {
            return;
        };
        if status == STATUS_MORE_PROCESSING_REQUIRED {
            if self.continued.len() >= MAX_PENDING
                && let Some((_, old)) = self.continued.pop_front()
            {
                out.push(*old);
            }
            self.continued.push_back(((version, session), c));
            return;
        }
        let (mut result, name) = outcome;
        if result == Outcome::Success && guest {
            result = Outcome::Unknown;
            c.details.push((
                "note",
                "the server logged the client on as guest: the password was not checked"
                    .to_string(),
            ));
        }
        c.outcome = result;
        if let Some(name) = name {
            c.details.push(("status", name.to_string()));
        } else if result == Outcome::Unknown && !guest {
            c.details.push(("status", format!("0x{status:08x}")));
        }
        out.push(*c);
    }

    /// An NTLMSSP token in a session setup request: a credential when it is an
    /// AUTHENTICATE.
    fn ntlm_request(
        &self,
        blob: &[u8],
        mechanism: &str,
        session: Key,
        ts: Timestamp,
    ) -> Option<Credential> {
        match ntlmssp::find(blob)? {
            ntlmssp::Message::Authenticate(a) => {
                a.credential("smb", mechanism, self.challenge(session), ts)
            }
            _ => None,
        }
    }

    fn smb2(
        &mut self,
        dir: Direction,
        m: &Smb2<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        if m.command != SMB2_SESSION_SETUP {
            return;
        }
        let response = m.flags & SMB2_FLAGS_SERVER_TO_REDIR != 0;
        let key = (2, m.message_id);
        let session = (2, m.session_id);
        match (dir, response) {
            (Direction::ToServer, false) => {
                let cred = smb2_security_buffer(m, false)
                    .and_then(|b| self.ntlm_request(b, "SMB2 NTLMSSP", session, ts));
                match cred {
                    Some(mut c) => {
                        c.add_frames(frames.iter().copied());
                        self.push(key, m.session_id, c, out);
                    }
                    None => self.carry_on(key, session, out),
                }
            }
            (Direction::ToClient, true) => {
                if m.status == STATUS_PENDING {
                    return; // an interim response
                }
                if let Some(ntlmssp::Message::Challenge { challenge }) =
                    smb2_security_buffer(m, true).and_then(ntlmssp::find)
                {
                    self.set_challenge(session, challenge);
                }
                let flags = u16_at(m.message, 66).unwrap_or(0);
                let guest = m.status == STATUS_SUCCESS && flags & 0x0001 != 0;
                self.answer(key, 2, m.status, status_outcome(m.status), guest, out);
            }
            _ => {}
        }
    }

    fn smb1(
        &mut self,
        dir: Direction,
        s: &Smb1<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let reply = s.flags & FLAGS_REPLY != 0;
        let key = (1, u64::from(s.pid) << 16 | u64::from(s.mid));
        let session = (1, u64::from(s.uid));
        match (s.command, dir, reply) {
            (SMB1_NEGOTIATE, Direction::ToClient, true) => self.smb1_negotiate(s),
            (SMB1_SESSION_SETUP_ANDX, Direction::ToServer, false) => {
                let cred = match s.words.len() {
                    24 => {
                        let len = usize::from(u16_at(s.words, 14).unwrap_or(0));
                        s.bytes
                            .get(..len)
                            .and_then(|b| self.ntlm_request(b, "SMB1 NTLMSSP", session, ts))
                    }
                    26 | 20 => self.smb1_basic(s, ts),
                    _ => None,
                };
                match cred {
                    Some(mut c) => {
                        c.add_frames(frames.iter().copied());
                        self.push(key, u64::from(s.uid), c, out);
                    }
                    None => self.carry_on(key, session, out),
                }
            }
            (SMB1_SESSION_SETUP_ANDX, Direction::ToClient, true) => {
                if s.words.len() == 8 {
                    let len = usize::from(u16_at(s.words, 6).unwrap_or(0));
                    if let Some(ntlmssp::Message::Challenge { challenge }) =
                        s.bytes.get(..len).and_then(ntlmssp::find)
                    {
                        self.set_challenge(session, challenge);
                    }
                }
                let action = if s.words.len() >= 6 {
                    u16_at(s.words, 4).unwrap_or(0)
                } else {
                    0
                };
                let outcome = smb1_outcome(s);
                let guest = outcome.0 == Outcome::Success && action & 0x0001 != 0;
                self.answer(key, 1, s.status, outcome, guest, out);
            }
            _ => {}
        }
    }

    /// The NEGOTIATE response: the challenge of non-extended security, and whether the
    /// server wants plaintext passwords.
    fn smb1_negotiate(&mut self, s: &Smb1<'_>) {
        if s.words.len() != 34 {
            return; // not NT LM 0.12 (or no dialect chosen)
        }
        let security_mode = s.words[2];
        let capabilities = u32_at(s.words, 19).unwrap_or(0);
        let challenge_len = usize::from(s.words[33]);
        if capabilities & CAP_EXTENDED_SECURITY != 0 {
            self.smb1_challenge = None;
            self.smb1_plaintext = false;
            return;
        }
        self.smb1_plaintext = security_mode & NEGOTIATE_ENCRYPT_PASSWORDS == 0;
        self.smb1_challenge = if challenge_len == 8 {
            s.bytes.get(..8).and_then(|c| c.try_into().ok())
        } else {
            None
        };
    }

    /// A SESSION_SETUP_ANDX request without extended security (NT LM 0.12 with 13
    /// parameter words, or LAN Manager's 10).
    fn smb1_basic(&self, s: &Smb1<'_>, ts: Timestamp) -> Option<Credential> {
        let unicode = s.flags2 & FLAGS2_UNICODE != 0;
        let (oem_len, uni_len) = if s.words.len() == 26 {
            (
                usize::from(u16_at(s.words, 14)?),
                usize::from(u16_at(s.words, 16)?),
            )
        } else {
            (usize::from(u16_at(s.words, 14)?), 0)
        };
        let oem = s.bytes.get(..oem_len)?;
        let uni = s.bytes.get(oem_len..oem_len + uni_len)?;
        // LAN Manager's request has OEM strings; NT LM 0.12's follows Flags2.
        let unicode = unicode && s.words.len() == 26;
        let (user, at) = smb1_string(s, oem_len + uni_len, unicode)?;
        let (domain, _) = smb1_string(s, at, unicode).unwrap_or_default();
        if self.smb1_plaintext {
            let password = if uni_len > 0 {
                let units: Vec<u16> = uni
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .take_while(|&u| u != 0)
                    .collect();
                String::from_utf16_lossy(&units).into_bytes()
            } else {
                oem.split(|&b| b == 0).next().unwrap_or_default().to_vec()
            };
            if password.is_empty() {
                return None; // a null session
            }
            let mut c = Credential::new("smb", "SMB1 plaintext password", Kind::Cleartext, ts);
            c.username = Some(user);
            c.domain = Some(domain);
            c.secret = Some(password);
            return Some(c);
        }
        if s.words.len() != 26 {
            return None; // LAN Manager: an LM response only, nothing hashcat takes
        }
        let a = ntlmssp::Authenticate {
            lm_response: oem.to_vec(),
            nt_response: uni.to_vec(),
            domain,
            user,
            workstation: Vec::new(),
        };
        // An NT response that is neither NTLM (24 bytes) nor NTLMv2 is nothing to crack.
        if !(a.nt_response.len() == 24 || a.nt_response.len() >= 48) {
            return None;
        }
        a.credential("smb", "SMB1 non-extended security", self.smb1_challenge, ts)
    }
}

impl Messages for Session {
    fn message(
        &mut self,
        dir: Direction,
        msg: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        if msg.first() != Some(&SESSION_MESSAGE) {
            return; // session request, positive response, keep-alive
        }
        let smb = msg.get(4..).unwrap_or_default();
        match smb.get(..4) {
            Some(m) if m == SMB1_MAGIC => {
                if let Some(s) = parse_smb1(smb) {
                    self.smb1(dir, &s, frames, ts, out);
                }
            }
            Some(m) if m == SMB2_MAGIC => {
                for m in parse_smb2(smb) {
                    self.smb2(dir, &m, frames, ts, out);
                }
            }
            _ => {} // encrypted or compressed: no session setup in there
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for (_, _, c) in self.pending.drain(..) {
            out.push(*c);
        }
        for (_, c) in self.continued.drain(..) {
            out.push(*c);
        }
    }

    fn buffered(&self) -> usize {
        (self.pending.len() + self.continued.len()) * 1024 + self.challenges.len() * 32
    }
}

/// The SMB dissector of one connection.
pub type Smb = Framed<Session>;

impl Default for Smb {
    fn default() -> Self {
        Framed::new(head, message_start, MAX_MESSAGE, Session::default())
    }
}

/// Encoders of SMB messages, for tests and fixtures: each returns the whole session
/// message (the 4-byte header included).
pub mod build {
    use super::*;

    /// A session message around `smb`.
    pub fn session_message(smb: &[u8]) -> Vec<u8> {
        let len = smb.len() as u32;
        [&len.to_be_bytes()[..], smb].concat()
    }

    /// 139's session request (called and calling names, first-level encoded) and the
    /// positive response.
    pub fn session_request(called: &str, calling: &str) -> Vec<u8> {
        fn encode(name: &str, suffix: u8) -> Vec<u8> {
            let mut raw = [b' '; 16];
            for (i, b) in name.bytes().take(15).enumerate() {
                raw[i] = b.to_ascii_uppercase();
            }
            raw[15] = suffix;
            let mut v = vec![0x20];
            for b in raw {
                v.push(b'A' + (b >> 4));
                v.push(b'A' + (b & 0x0f));
            }
            v.push(0);
            v
        }
        let body = [encode(called, 0x20), encode(calling, 0x00)].concat();
        [&[SESSION_REQUEST, 0, 0, body.len() as u8][..], &body].concat()
    }

    pub fn positive_response() -> Vec<u8> {
        vec![POSITIVE_RESPONSE, 0, 0, 0]
    }

    /// An SMB1 message: header fields, parameter words and data bytes.
    #[allow(clippy::too_many_arguments)]
    pub fn smb1(
        command: u8,
        status: u32,
        reply: bool,
        flags2: u16,
        uid: u16,
        mid: u16,
        words: &[u8],
        bytes: &[u8],
    ) -> Vec<u8> {
        let mut m = SMB1_MAGIC.to_vec();
        m.push(command);
        m.extend_from_slice(&status.to_le_bytes());
        m.push(if reply { 0x98 } else { 0x18 });
        m.extend_from_slice(&flags2.to_le_bytes());
        m.extend_from_slice(&[0; 12]); // PIDHigh, SecurityFeatures, Reserved
        m.extend_from_slice(&0u16.to_le_bytes()); // TID
        m.extend_from_slice(&0x1234u16.to_le_bytes()); // PID
        m.extend_from_slice(&uid.to_le_bytes());
        m.extend_from_slice(&mid.to_le_bytes());
        m.push((words.len() / 2) as u8);
        m.extend_from_slice(words);
        m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        m.extend_from_slice(bytes);
        session_message(&m)
    }

    /// Flags2 of a modern client: long names, extended security (when asked), NT status,
    /// Unicode.
    pub fn flags2(extended: bool) -> u16 {
        0xc001 | if extended { 0x0800 } else { 0 }
    }

    /// An NT LM 0.12 NEGOTIATE response: extended security, or a challenge (with the
    /// server's SecurityMode).
    pub fn smb1_negotiate_response(challenge: Option<[u8; 8]>, security_mode: u8) -> Vec<u8> {
        let mut w = Vec::new();
        w.extend_from_slice(&0u16.to_le_bytes()); // DialectIndex
        w.push(security_mode);
        w.extend_from_slice(&50u16.to_le_bytes());
        w.extend_from_slice(&1u16.to_le_bytes());
        w.extend_from_slice(&16644u32.to_le_bytes());
        w.extend_from_slice(&65536u32.to_le_bytes());
        w.extend_from_slice(&0u32.to_le_bytes());
        let caps: u32 = 0x0000_f3fd
            | if challenge.is_none() {
                CAP_EXTENDED_SECURITY
            } else {
                0
            };
        w.extend_from_slice(&caps.to_le_bytes());
        w.extend_from_slice(&[0; 8]); // SystemTime
        w.extend_from_slice(&0u16.to_le_bytes());
        let bytes = match challenge {
            Some(c) => {
                w.push(8);
                [&c[..], &utf16z("WORKGROUP")].concat()
            }
            None => {
                w.push(0);
                vec![0x11; 16] // ServerGUID, no security blob
            }
        };
        smb1(
            SMB1_NEGOTIATE,
            0,
            true,
            flags2(challenge.is_none()),
            0,
            1,
            &w,
            &bytes,
        )
    }

    /// The client's NEGOTIATE request offering NT LM 0.12.
    pub fn smb1_negotiate_request(extended: bool) -> Vec<u8> {
        smb1(
            SMB1_NEGOTIATE,
            0,
            false,
            flags2(extended),
            0,
            1,
            &[],
            b"\x02NT LM 0.12\0",
        )
    }

    fn utf16z(s: &str) -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    /// A SESSION_SETUP_ANDX request with extended security carrying `blob`.
    pub fn smb1_session_setup_ext(uid: u16, mid: u16, blob: &[u8]) -> Vec<u8> {
        let mut w = vec![0xff, 0, 0, 0];
        w.extend_from_slice(&16644u16.to_le_bytes());
        w.extend_from_slice(&50u16.to_le_bytes());
        w.extend_from_slice(&0u16.to_le_bytes());
        w.extend_from_slice(&0u32.to_le_bytes());
        w.extend_from_slice(&(blob.len() as u16).to_le_bytes());
        w.extend_from_slice(&0u32.to_le_bytes());
        w.extend_from_slice(&0x8000_00d4u32.to_le_bytes());
        let mut bytes = blob.to_vec();
        // NativeOS and NativeLanMan, Unicode, aligned.
        if (32 + 1 + w.len() + 2 + bytes.len()) % 2 == 1 {
            bytes.push(0);
        }
        bytes.extend_from_slice(&utf16z("Unix"));
        bytes.extend_from_slice(&utf16z("Samba"));
        smb1(
            SMB1_SESSION_SETUP_ANDX,
            0,
            false,
            flags2(true),
            uid,
            mid,
            &w,
            &bytes,
        )
    }

    /// A SESSION_SETUP_ANDX request without extended security: LM and NT responses (or
    /// the plaintext password), account and domain, Unicode strings.
    pub fn smb1_session_setup_basic(
        mid: u16,
        lm: &[u8],
        nt: &[u8],
        user: &str,
        domain: &str,
    ) -> Vec<u8> {
        let mut w = vec![0xff, 0, 0, 0];
        w.extend_from_slice(&16644u16.to_le_bytes());
        w.extend_from_slice(&50u16.to_le_bytes());
        w.extend_from_slice(&0u16.to_le_bytes());
        w.extend_from_slice(&0u32.to_le_bytes());
        w.extend_from_slice(&(lm.len() as u16).to_le_bytes());
        w.extend_from_slice(&(nt.len() as u16).to_le_bytes());
        w.extend_from_slice(&0u32.to_le_bytes());
        w.extend_from_slice(&0x0000_00d4u32.to_le_bytes());
        let mut bytes = [lm, nt].concat();
        if (32 + 1 + w.len() + 2 + bytes.len()) % 2 == 1 {
            bytes.push(0); // Pad: Unicode strings start on an even offset
        }
        for s in [user, domain, "Unix", "Samba"] {
            bytes.extend_from_slice(&utf16z(s));
        }
        smb1(
            SMB1_SESSION_SETUP_ANDX,
            0,
            false,
            flags2(false),
            0,
            mid,
            &w,
            &bytes,
        )
    }

    /// A SESSION_SETUP_ANDX response: with a security blob (extended) or without.
    pub fn smb1_session_setup_response(
        status: u32,
        uid: u16,
        mid: u16,
        action: u16,
        blob: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut w = vec![0xff, 0, 0, 0];
        w.extend_from_slice(&action.to_le_bytes());
        let mut bytes = Vec::new();
        if let Some(b) = blob {
            w.extend_from_slice(&(b.len() as u16).to_le_bytes());
            bytes.extend_from_slice(b);
        }
        if (32 + 1 + w.len() + 2 + bytes.len()) % 2 == 1 {
            bytes.push(0);
        }
        bytes.extend_from_slice(&utf16z("Unix"));
        bytes.extend_from_slice(&utf16z("Samba 4.17"));
        smb1(
            SMB1_SESSION_SETUP_ANDX,
            status,
            true,
            flags2(blob.is_some()),
            uid,
            mid,
            &w,
            &bytes,
        )
    }

    /// An SMB2 header.
    pub fn smb2_header(
        command: u16,
        status: u32,
        response: bool,
        message_id: u64,
        session_id: u64,
    ) -> Vec<u8> {
        let mut h = SMB2_MAGIC.to_vec();
        h.extend_from_slice(&64u16.to_le_bytes());
        h.extend_from_slice(&1u16.to_le_bytes()); // CreditCharge
        h.extend_from_slice(&status.to_le_bytes());
        h.extend_from_slice(&command.to_le_bytes());
        h.extend_from_slice(&1u16.to_le_bytes()); // Credits
        h.extend_from_slice(&u32::from(response).to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // NextCommand
        h.extend_from_slice(&message_id.to_le_bytes());
        h.extend_from_slice(&0xfeffu32.to_le_bytes()); // Reserved
        h.extend_from_slice(&0u32.to_le_bytes()); // TreeId
        h.extend_from_slice(&session_id.to_le_bytes());
        h.extend_from_slice(&[0; 16]);
        h
    }

    /// An SMB2 NEGOTIATE request and response (dialect 3.1.1 offered, 2.1 chosen).
    pub fn smb2_negotiate(response: bool, message_id: u64) -> Vec<u8> {
        let mut m = smb2_header(0, 0, response, message_id, 0);
        if response {
            m.extend_from_slice(&65u16.to_le_bytes());
            m.extend_from_slice(&1u16.to_le_bytes()); // SecurityMode
            m.extend_from_slice(&0x0210u16.to_le_bytes());
            m.extend_from_slice(&0u16.to_le_bytes());
            m.extend_from_slice(&[0x22; 16]); // ServerGuid
            m.extend_from_slice(&[0; 4 + 4 + 4 + 4 + 8 + 8]);
            m.extend_from_slice(&128u16.to_le_bytes()); // SecurityBufferOffset
            m.extend_from_slice(&0u16.to_le_bytes());
            m.extend_from_slice(&0u32.to_le_bytes());
        } else {
            m.extend_from_slice(&36u16.to_le_bytes());
            m.extend_from_slice(&2u16.to_le_bytes()); // DialectCount
            m.extend_from_slice(&1u16.to_le_bytes());
            m.extend_from_slice(&0u16.to_le_bytes());
            m.extend_from_slice(&0u32.to_le_bytes());
            m.extend_from_slice(&[0x33; 16]);
            m.extend_from_slice(&[0; 8]);
            m.extend_from_slice(&0x0202u16.to_le_bytes());
            m.extend_from_slice(&0x0210u16.to_le_bytes());
        }
        session_message(&m)
    }

    /// An SMB2 SESSION_SETUP request with a security buffer.
    pub fn smb2_session_setup(message_id: u64, session_id: u64, blob: &[u8]) -> Vec<u8> {
        let mut m = smb2_header(SMB2_SESSION_SETUP, 0, false, message_id, session_id);
        m.extend_from_slice(&25u16.to_le_bytes());
        m.push(0);
        m.push(1); // signing enabled
        m.extend_from_slice(&1u32.to_le_bytes());
        m.extend_from_slice(&0u32.to_le_bytes());
        m.extend_from_slice(&88u16.to_le_bytes());
        m.extend_from_slice(&(blob.len() as u16).to_le_bytes());
        m.extend_from_slice(&0u64.to_le_bytes());
        m.extend_from_slice(blob);
        session_message(&m)
    }

    /// An SMB2 SESSION_SETUP response.
    pub fn smb2_session_setup_response(
        status: u32,
        message_id: u64,
        session_id: u64,
        session_flags: u16,
        blob: &[u8],
    ) -> Vec<u8> {
        let mut m = smb2_header(SMB2_SESSION_SETUP, status, true, message_id, session_id);
        m.extend_from_slice(&9u16.to_le_bytes());
        m.extend_from_slice(&session_flags.to_le_bytes());
        m.extend_from_slice(&72u16.to_le_bytes());
        m.extend_from_slice(&(blob.len() as u16).to_le_bytes());
        m.extend_from_slice(blob);
        session_message(&m)
    }

    /// The NTLM OID (1.3.6.1.4.1.311.2.2.10) and SPNEGO's (1.3.6.1.5.5.2).
    const NTLM_OID: &[u8] = &[0x2b, 6, 1, 4, 1, 0x82, 0x37, 2, 2, 10];
    const SPNEGO_OID: &[u8] = &[0x2b, 6, 1, 5, 5, 2];

    /// A GSS-API InitialContextToken with an SPNEGO NegTokenInit (RFC 4178) offering
    /// NTLM with its first token.
    pub fn spnego_init(token: &[u8]) -> Vec<u8> {
        use crate::dissect::ber::build::tlv;
        let mech_types = tlv(0xa0, &tlv(0x30, &tlv(0x06, NTLM_OID)));
        let mech_token = tlv(0xa2, &tlv(0x04, token));
        let init = tlv(0xa0, &tlv(0x30, &[mech_types, mech_token].concat()));
        tlv(0x60, &[tlv(0x06, SPNEGO_OID), init].concat())
    }

    /// A NegTokenResp with a token; from the server, with accept-incomplete (or
    /// accept-completed when `token` is empty) and the NTLM OID.
    pub fn spnego_resp(token: &[u8], from_server: bool) -> Vec<u8> {
        use crate::dissect::ber::build::tlv;
        let mut body = Vec::new();
        if from_server {
            let state = if token.is_empty() { 0 } else { 1 };
            body.extend_from_slice(&tlv(0xa0, &[0x0a, 0x01, state]));
            body.extend_from_slice(&tlv(0xa1, &tlv(0x06, NTLM_OID)));
        }
        if !token.is_empty() {
            body.extend_from_slice(&tlv(0xa2, &tlv(0x04, token)));
        }
        tlv(0xa1, &tlv(0x30, &body))
    }

    /// An NTLMSSP NEGOTIATE message.
    pub fn ntlm_negotiate() -> Vec<u8> {
        let mut m = b"NTLMSSP\0".to_vec();
        m.extend_from_slice(&1u32.to_le_bytes());
        m.extend_from_slice(&0xe208_8297u32.to_le_bytes());
        m.extend_from_slice(&[0; 16]);
        m
    }

    /// An SMB2 TREE_CONNECT request, for traffic after the login.
    pub fn smb2_tree_connect(message_id: u64, session_id: u64, path: &str) -> Vec<u8> {
        let mut m = smb2_header(3, 0, false, message_id, session_id);
        let p = utf16z(path);
        let p = &p[..p.len() - 2];
        m.extend_from_slice(&9u16.to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&72u16.to_le_bytes());
        m.extend_from_slice(&(p.len() as u16).to_le_bytes());
        m.extend_from_slice(p);
        session_message(&m)
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::dissect::script::unhex;
    use crate::dissect::{Chunk, Dissector};
    use crate::finding::hex;
    use Direction::{ToClient as S, ToServer as C};
    use hmac::{Hmac, KeyInit, Mac};
    use md4::{Digest, Md4};

    type HmacMd5 = Hmac<md5::Md5>;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut m = HmacMd5::new_from_slice(key).unwrap();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    }

    /// NTProofStr of MS-NLMP 3.3.2 for a password.
    fn nt_proof(
        password: &str,
        user: &str,
        domain: &str,
        challenge: &[u8],
        blob: &[u8],
    ) -> Vec<u8> {
        let nt_hash = Md4::digest(utf16(password));
        let ntowf = hmac_md5(&nt_hash, &[&utf16(&(user.to_uppercase() + domain))]);
        hmac_md5(&ntowf, &[challenge, blob])
    }

    fn blob(seed: u8) -> Vec<u8> {
        [
            &[1u8, 1, 0, 0, 0, 0, 0, 0][..],
            &[0x80, 0x3d, 0x1c, 0x5f, 0x42, 0x17, 0xda, 0x01],
            &[seed; 8],
            &[0; 4],
            &[2, 0, 8, 0],
            &utf16("CORP"),
            &[0; 4],
        ]
        .concat()
    }

    /// An NTLMv2 response (NTProofStr || blob) for a password.
    fn ntlmv2(password: &str, user: &str, domain: &str, challenge: [u8; 8], seed: u8) -> Vec<u8> {
        let b = blob(seed);
        [nt_proof(password, user, domain, &challenge, &b), b].concat()
    }

    /// Checks a 5600 line against the password, from its own fields.
    fn verifies(line: &str, password: &str) -> bool {
        let p: Vec<&str> = line.split(':').collect();
        hex(&nt_proof(password, p[0], p[2], &unhex(p[3]), &unhex(p[5]))) == p[4]
    }

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Smb::default(), script).0
    }

    const CH1: [u8; 8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];
    const CH2: [u8; 8] = [0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x01];

    fn smb2_script() -> Vec<(Direction, Vec<u8>)> {
        let auth1 = ntlmssp::build::authenticate(
            "alice",
            "CORP",
            "WS01",
            &[0; 24],
            &ntlmv2("Wrong-Pass1", "alice", "CORP", CH1, 1),
        );
        let auth2 = ntlmssp::build::authenticate(
            "alice",
            "CORP",
            "WS01",
            &[0; 24],
            &ntlmv2("Summer2024!", "alice", "CORP", CH2, 2),
        );
        vec![
            (C, smb2_negotiate(false, 0)),
            (S, smb2_negotiate(true, 0)),
            (C, smb2_session_setup(1, 0, &spnego_init(&ntlm_negotiate()))),
            (
                S,
                smb2_session_setup_response(
                    STATUS_MORE_PROCESSING_REQUIRED,
                    1,
                    0x1001,
                    0,
                    &spnego_resp(&ntlmssp::build::challenge(CH1), true),
                ),
            ),
            (
                C,
                smb2_session_setup(2, 0x1001, &spnego_resp(&auth1, false)),
            ),
            (
                S,
                smb2_session_setup_response(STATUS_LOGON_FAILURE, 2, 0x1001, 0, &[]),
            ),
            // A second session on the same connection.
            (C, smb2_session_setup(3, 0, &spnego_init(&ntlm_negotiate()))),
            (
                S,
                smb2_session_setup_response(
                    STATUS_MORE_PROCESSING_REQUIRED,
                    3,
                    0x2002,
                    0,
                    &spnego_resp(&ntlmssp::build::challenge(CH2), true),
                ),
            ),
            (
                C,
                smb2_session_setup(4, 0x2002, &spnego_resp(&auth2, false)),
            ),
            (
                S,
                smb2_session_setup_response(0, 4, 0x2002, 0, &spnego_resp(&[], true)),
            ),
            (C, smb2_tree_connect(5, 0x2002, "\\\\fs01\\share")),
        ]
    }

    #[test]
    fn smb2_sessions_failure_then_success() {
        let out = run(&smb2_script());
        assert_eq!(out.len(), 2, "{out:#?}");
        let (a, b) = (&out[0], &out[1]);
        assert_eq!(a.protocol, "smb");
        assert_eq!(a.mechanism, "SMB2 NTLMSSP (NetNTLMv2)");
        assert_eq!(a.kind, Kind::ChallengeResponse);
        assert_eq!(a.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(a.domain.as_deref(), Some(&b"CORP"[..]));
        assert_eq!(a.outcome, Outcome::Failure);
        assert_eq!(a.frames, vec![5]);
        assert!(
            a.details
                .contains(&("status", "STATUS_LOGON_FAILURE".to_string()))
        );
        assert_eq!(a.challenge.as_deref(), Some(hex(&CH1).as_bytes()));
        let ha = a.hashcat.as_ref().unwrap();
        assert_eq!(ha.mode, 5600);
        assert!(verifies(&ha.hash, "Wrong-Pass1"));
        assert!(!verifies(&ha.hash, "Summer2024!"));
        assert_eq!(b.outcome, Outcome::Success);
        assert_eq!(b.frames, vec![9]);
        let hb = b.hashcat.as_ref().unwrap();
        assert!(hb.hash.starts_with("alice::CORP:99aabbccddeef001:"));
        assert!(verifies(&hb.hash, "Summer2024!"));
    }

    /// SMB1 over NetBIOS: session request, extended security, then non-extended.
    fn smb1_script() -> Vec<(Direction, Vec<u8>)> {
        let auth = ntlmssp::build::authenticate(
            "bob",
            "WG",
            "PC",
            &[0; 24],
            &ntlmv2("pw1", "bob", "WG", CH1, 6),
        );
        vec![
            (C, session_request("FILESRV", "PC")),
            (S, positive_response()),
            (
                C,
                smb1_session_setup_ext(0, 2, &spnego_init(&ntlm_negotiate())),
            ),
            (
                S,
                smb1_session_setup_response(
                    STATUS_MORE_PROCESSING_REQUIRED,
                    0x64,
                    2,
                    0,
                    Some(&spnego_resp(&ntlmssp::build::challenge(CH1), true)),
                ),
            ),
            (
                C,
                smb1_session_setup_ext(0x64, 3, &spnego_resp(&auth, false)),
            ),
            (S, smb1_session_setup_response(0, 0x64, 3, 0, Some(&[]))),
            (S, smb1_negotiate_response(Some(CH2), 0x03)),
            (
                C,
                smb1_session_setup_basic(4, &[7; 24], &[8; 24], "carl", "WG"),
            ),
            (
                S,
                smb1_session_setup_response(STATUS_LOGON_FAILURE, 0, 4, 0, None),
            ),
        ]
    }

    #[test]
    fn smb1_script_findings() {
        let out = run(&smb1_script());
        assert_eq!(out.len(), 2, "{out:#?}");
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].outcome, Outcome::Failure);
        assert_eq!(out[1].challenge.as_deref(), Some(hex(&CH2).as_bytes()));
    }

    #[test]
    fn more_processing_after_authenticate_keeps_the_verdict_for_later() {
        let auth = ntlmssp::build::authenticate(
            "alice",
            "CORP",
            "WS",
            &[0; 24],
            &ntlmv2("pw", "alice", "CORP", CH1, 9),
        );
        let out = run(&[
            (C, smb2_session_setup(1, 0, &ntlm_negotiate())),
            (
                S,
                smb2_session_setup_response(
                    STATUS_MORE_PROCESSING_REQUIRED,
                    1,
                    5,
                    0,
                    &ntlmssp::build::challenge(CH1),
                ),
            ),
            (C, smb2_session_setup(2, 5, &auth)),
            (
                S,
                smb2_session_setup_response(STATUS_MORE_PROCESSING_REQUIRED, 2, 5, 0, &[0xa1, 0]),
            ),
            (C, smb2_session_setup(3, 5, &[0xa1, 0])),
            (
                S,
                smb2_session_setup_response(STATUS_LOGON_FAILURE, 3, 5, 0, &[]),
            ),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].frames, vec![3]);
    }

    #[test]
    fn smb_any_split() {
        for script in [smb2_script(), smb1_script()] {
            any_split(&script);
        }
    }

    fn any_split(script: &[(Direction, Vec<u8>)]) {
        let seen = |out: Vec<Credential>| -> Vec<(Option<Vec<u8>>, Outcome, Option<String>)> {
            out.into_iter()
                .map(|c| (c.secret, c.outcome, c.hashcat.map(|h| h.hash)))
                .collect()
        };
        let want = seen(run(script));
        assert!(!want.is_empty());
        for (i, (dir, data)) in script.iter().enumerate() {
            for cut in 1..data.len() {
                let mut split = script.to_vec();
                split[i] = (*dir, data[..cut].to_vec());
                split.insert(i + 1, (*dir, data[cut..].to_vec()));
                assert_eq!(seen(run(&split)), want, "chunk {i} cut at {cut}");
            }
        }
    }

    #[test]
    fn smb2_guest_and_null_sessions() {
        let auth = ntlmssp::build::authenticate(
            "nobody",
            "",
            "WS",
            &[0; 24],
            &ntlmv2("x", "nobody", "", CH1, 3),
        );
        let null = ntlmssp::build::authenticate("", "", "", &[], &[]);
        let out = run(&[
            (C, smb2_session_setup(1, 0, &ntlm_negotiate())),
            (
                S,
                smb2_session_setup_response(
                    STATUS_MORE_PROCESSING_REQUIRED,
                    1,
                    7,
                    0,
                    &ntlmssp::build::challenge(CH1),
                ),
            ),
            (C, smb2_session_setup(2, 7, &auth)),
            (S, smb2_session_setup_response(0, 2, 7, 0x0001, &[])),
            (C, smb2_session_setup(3, 0, &ntlm_negotiate())),
            (
                S,
                smb2_session_setup_response(
                    STATUS_MORE_PROCESSING_REQUIRED,
                    3,
                    8,
                    0,
                    &ntlmssp::build::challenge(CH2),
                ),
            ),
            (C, smb2_session_setup(4, 8, &null)),
            (S, smb2_session_setup_response(0, 4, 8, 0x0002, &[])),
        ]);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert!(
            out[0]
                .details
                .iter()
                .any(|(k, v)| *k == "note" && v.contains("guest"))
        );
    }

    #[test]
    fn smb1_extended_security_over_netbios() {
        let auth = ntlmssp::build::authenticate(
            "bob",
            "WORKGROUP",
            "PC",
            &[0; 24],
            &ntlmv2("B0b-pass", "bob", "WORKGROUP", CH1, 4),
        );
        let out = run(&[
            (C, session_request("FILESRV", "PC")),
            (S, positive_response()),
            (C, smb1_negotiate_request(true)),
            (S, smb1_negotiate_response(None, 0x03)),
            (
                C,
                smb1_session_setup_ext(0, 2, &spnego_init(&ntlm_negotiate())),
            ),
            (
                S,
                smb1_session_setup_response(
                    STATUS_MORE_PROCESSING_REQUIRED,
                    0x64,
                    2,
                    0,
                    Some(&spnego_resp(&ntlmssp::build::challenge(CH1), true)),
                ),
            ),
            (
                C,
                smb1_session_setup_ext(0x64, 3, &spnego_resp(&auth, false)),
            ),
            (
                S,
                smb1_session_setup_response(0, 0x64, 3, 0, Some(&spnego_resp(&[], true))),
            ),
        ]);
        assert_eq!(out.len(), 1, "{out:#?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "SMB1 NTLMSSP (NetNTLMv2)");
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![7]);
        assert!(verifies(&c.hashcat.as_ref().unwrap().hash, "B0b-pass"));
    }

    #[test]
    fn smb1_non_extended_security() {
        // NTLMv2 and LMv2 in the password fields, the challenge from NEGOTIATE.
        let nt = ntlmv2("Carol#1", "carol", "CORP", CH2, 5);
        let lmv2 = [vec![0xab; 16], vec![5; 8]].concat();
        // NTLMv1: 24-byte LM and NT responses.
        let v1_lm = [0x5a; 24];
        let v1_nt = [0xa5; 24];
        let out = run(&[
            (C, smb1_negotiate_request(false)),
            (S, smb1_negotiate_response(Some(CH2), 0x03)),
            (C, smb1_session_setup_basic(2, &lmv2, &nt, "carol", "CORP")),
            (
                S,
                smb1_session_setup_response(STATUS_LOGON_FAILURE, 0, 2, 0, None),
            ),
            (
                C,
                smb1_session_setup_basic(3, &v1_lm, &v1_nt, "dave", "CORP"),
            ),
            (S, smb1_session_setup_response(0, 0x65, 3, 0, None)),
        ]);
        assert_eq!(out.len(), 2, "{out:#?}");
        let (a, b) = (&out[0], &out[1]);
        assert_eq!(a.mechanism, "SMB1 non-extended security (NetNTLMv2)");
        assert_eq!(a.username.as_deref(), Some(&b"carol"[..]));
        assert_eq!(a.domain.as_deref(), Some(&b"CORP"[..]));
        assert_eq!(a.outcome, Outcome::Failure);
        assert!(verifies(&a.hashcat.as_ref().unwrap().hash, "Carol#1"));
        assert_eq!(b.mechanism, "SMB1 non-extended security (NetNTLMv1)");
        assert_eq!(b.outcome, Outcome::Success);
        let h = b.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 5500);
        assert_eq!(
            h.hash,
            format!("dave::CORP:{}:{}:{}", hex(&v1_lm), hex(&v1_nt), hex(&CH2))
        );
    }

    #[test]
    fn smb1_plaintext_password_and_dos_errors() {
        let out = run(&[
            (C, smb1_negotiate_request(false)),
            (S, smb1_negotiate_response(Some(CH1), 0x01)),
            (
                C,
                smb1_session_setup_basic(2, b"", &utf16("pl4in-text"), "erin", "WG"),
            ),
            (S, smb1_session_setup_response(0, 0x70, 2, 0, None)),
            // A null session: nothing.
            (C, smb1_session_setup_basic(3, b"", b"", "", "")),
            (S, smb1_session_setup_response(0, 0x71, 3, 0, None)),
        ]);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].mechanism, "SMB1 plaintext password");
        assert_eq!(out[0].kind, Kind::Cleartext);
        assert_eq!(out[0].secret.as_deref(), Some(&b"pl4in-text"[..]));
        assert_eq!(out[0].username.as_deref(), Some(&b"erin"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        let dos = |class: u32, code: u32| Smb1 {
            command: 0x73,
            status: class | code << 16,
            flags: 0x80,
            flags2: 0,
            pid: 0,
            uid: 0,
            mid: 0,
            words: &[],
            bytes: &[],
            bytes_offset: 35,
        };
        assert_eq!(smb1_outcome(&dos(2, 2)).0, Outcome::Failure);
        assert_eq!(smb1_outcome(&dos(0, 0)).0, Outcome::Success);
        assert_eq!(smb1_outcome(&dos(3, 31)).0, Outcome::Unknown);
    }

    #[test]
    fn large_messages_skipped_and_sessions_found_after() {
        let mut script = vec![(C, smb2_negotiate(false, 0))];
        let mut read = smb2_header(8, 0, true, 9, 0x1001);
        read.extend(std::iter::repeat_n(0x5a, 300_000));
        script.push((S, session_message(&read)));
        script.extend(smb2_script().into_iter().skip(2));
        let mut d = Smb::default();
        let mut out = Vec::new();
        for (dir, data) in &script {
            for piece in data.chunks(1448) {
                d.data(
                    *dir,
                    Chunk {
                        data: piece,
                        frame: 1,
                        ts: Timestamp::ZERO,
                    },
                    &mut out,
                );
                assert!(d.buffered() < 3 * MAX_MESSAGE);
            }
        }
        d.close(&mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn gap_then_resynchronised() {
        let script = smb2_script();
        let mut d = Smb::default();
        let mut out = Vec::new();
        let chunk = |data: &[u8]| -> Vec<u8> { data.to_vec() };
        for (i, (dir, data)) in script.iter().enumerate() {
            if i == 4 {
                // The first AUTHENTICATE is lost: its session gives nothing.
                d.data(
                    *dir,
                    Chunk {
                        data: &chunk(&data[..20]),
                        frame: 1,
                        ts: Timestamp::ZERO,
                    },
                    &mut out,
                );
                d.gap(*dir, (data.len() - 20 + 7) as u64, &mut out);
                d.data(
                    *dir,
                    Chunk {
                        data: b"xxxxxxx",
                        frame: 1,
                        ts: Timestamp::ZERO,
                    },
                    &mut out,
                );
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
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn compound_messages() {
        let mut a = smb2_header(SMB2_SESSION_SETUP, 0, false, 1, 0);
        a.extend_from_slice(&[0; 8]);
        let next = a.len() as u32;
        a[20..24].copy_from_slice(&next.to_le_bytes());
        let b = smb2_header(3, 0, false, 2, 0);
        let both = [a, b].concat();
        let msgs = parse_smb2(&both);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].command, SMB2_SESSION_SETUP);
        assert_eq!(msgs[1].message_id, 2);
    }

    #[test]
    fn probes() {
        assert_eq!(probe(&smb2_negotiate(false, 0), b""), Probe::Yes);
        assert_eq!(probe(&smb1_negotiate_request(true), b""), Probe::Yes);
        assert_eq!(probe(&session_request("SRV", "PC"), b""), Probe::Yes);
        assert_eq!(probe(b"", &positive_response()), Probe::Yes);
        assert_eq!(probe(&smb2_negotiate(false, 0)[..5], b""), Probe::Maybe);
        assert_eq!(probe(b"\x85\x00\x00\x00", b""), Probe::Maybe);
        assert_eq!(probe(b"\x16\x03\x01\x00\xa5\x01\x00\x00", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"SSH-2.0-OpenSSH_9.6\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"220 ftp ready\r\n"), Probe::No);
        // An LDAP bind is 0x30 ...; a Kerberos record starts with 0 but no SMB magic.
        assert_eq!(probe(b"\x00\x00\x00\x54\x6a\x52\x30\x50", b""), Probe::No);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let valid: Vec<Vec<u8>> = smb2_script()
            .into_iter()
            .map(|(_, d)| d)
            .chain([
                smb1_negotiate_response(Some(CH1), 3),
                smb1_session_setup_basic(2, &[1; 24], &[2; 24], "u", "d"),
                smb1_session_setup_ext(1, 2, &ntlm_negotiate()),
            ])
            .collect();
        let mut d = Smb::default();
        let mut out = Vec::new();
        for round in 0..20_000 {
            let mut bytes = valid[round % valid.len()].clone();
            for _ in 0..(next() % 4) {
                let at = next() as usize % bytes.len();
                bytes[at] = next() as u8;
            }
            bytes.truncate(next() as usize % (bytes.len() + 1));
            let _ = probe(&bytes, &bytes);
            let dir = if next() % 2 == 0 { C } else { S };
            d.data(
                dir,
                Chunk {
                    data: &bytes,
                    frame: 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
            if next() % 50 == 0 {
                d.gap(dir, u64::from(next() % 3000), &mut out);
            }
            assert!(d.buffered() < 4 * MAX_MESSAGE);
        }
        d.close(&mut out);
    }
}
