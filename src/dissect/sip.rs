//! SIP (RFC 3261) over UDP and TCP: the `Authorization` and `Proxy-Authorization` of every
//! request, with the outcome from the final response to that request.
//!
//! - `Digest` (RFC 3261 section 22.4, RFC 2617): kind `challenge-response`, `secret` the
//!   `response`, `challenge` the `nonce`, `details` realm, uri, method, qop; the hashcat
//!   mode 11400 line `$sip$*[URI_SERVER]*[URI_CLIENT]*[USERNAME]*[REALM]*[METHOD]*
//!   [URI_PREFIX]*[URI_RESOURCE]*[URI_SUFFIX]*[NONCE]*[NONCE_CLIENT]*[NONCE_COUNT]*[QOP]*
//!   MD5*[RESPONSE]` for MD5 with `qop=auth` or no qop. hashcat recomputes `HA2 =
//!   MD5(method:prefix:resource:suffix)` (the parts present, joined by `:`), so the
//!   digest `uri` is split at its first and last colons (`sip` / `192.0.2.1` / `5060`);
//!   URI_SERVER and URI_CLIENT (sipdump's server and client addresses) are only checked
//!   for length by hashcat and are left empty. Mechanisms `Digest`, `Proxy Digest`.
//! - `Basic` (deprecated by RFC 3261, still sent): kind `cleartext`, mechanisms `Basic`,
//!   `Proxy Basic`.
//!
//! The parameters are parsed by the HTTP dissector's Digest and Basic code
//! ([`super::http`]): the syntax is the same.
//!
//! Outcome: the final response (not 1xx) with the request's `Call-ID` and `CSeq` (number
//! and method), travelling the other way. 2xx success (a REGISTER answered 200 OK); 403
//! failure; 401 a failure of the `Authorization` and 407 of the `Proxy-Authorization`
//! (the other one was not what was refused: unknown); a 401/407 whose challenge says
//! `stale=true` unknown (the password was right, the nonce old); any other status unknown
//! (`details.status` says which); no final response seen, unknown. Retransmissions of a
//! request (same Call-ID, CSeq and credential) are one attempt.
//!
//! Framing: a UDP datagram holds one message (fragmented datagrams are reassembled by the
//! decoder). Over TCP, messages follow each other, each header section ended by an empty
//! line and followed by `Content-Length` (`l`) bytes of body, skipped without being
//! buffered; CRLF keep-alives between messages are ignored. After a gap (or a header
//! section longer than [`MAX_HEAD`]) the stream resynchronises on the next line that is
//! a SIP start line. Header names are case-insensitive, the compact forms (`i` Call-ID,
//! `l` Content-Length) are understood, and folded header lines are unfolded.
//!
//! SIP is symmetric: either side of a conversation may send requests, so both directions
//! are read (a request that travelled to the flow's client is reported with the flow's
//! endpoints as they are).
//!
//! The probe wants a SIP start line: `METHOD SP Request-URI SP SIP/2.0` or `SIP/2.0 SP
//! 3DIGIT`, after optional CRLF keep-alives; HTTP and TLS say No at once.

use std::borrow::Cow;
use std::collections::VecDeque;

use memchr::{memchr, memmem};

use super::http::{self, DigestFields};
use super::{
    Chunk, DatagramDissector, DatagramSpec, Dissector, DissectorConfig, Probe, ProtocolSpec,
};
use crate::finding::{Credential, Hashcat, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

/// SIP over TCP.
pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "sip",
    tcp_ports: &[5060],
    probe,
    new: |config| Box::new(SipStream::new(config)),
};

/// SIP over UDP.
pub const UDP_SPEC: DatagramSpec = DatagramSpec {
    name: "sip",
    udp_ports: &[5060],
    ip_protocols: &[],
    probe: probe_datagram,
    by_content: true,
    new: |_config| Box::new(SipDatagrams::default()),
};

/// The longest header section buffered over TCP; longer ones are skipped.
pub const MAX_HEAD: usize = 32 << 10;
/// The longest start line the probe waits for.
const MAX_START_LINE: usize = 2048;
/// Header lines read per message.
const MAX_HEADER_LINES: usize = 512;
/// Authorization headers kept per request.
const MAX_AUTHORIZATIONS: usize = 8;
/// The longest Call-ID and CSeq method kept for matching.
const MAX_KEY: usize = 512;

/// The first line of a SIP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request { method: &'a [u8], uri: &'a [u8] },
    Response { code: u16 },
}

/// RFC 3261 `token` characters.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

fn is_version(v: &[u8]) -> bool {
    v.eq_ignore_ascii_case(b"SIP/2.0")
}

/// Parses a start line (without its line end).
pub fn parse_start_line(line: &[u8]) -> Option<StartLine<'_>> {
    if line.len() >= 11 && is_version(&line[..7]) && line[7] == b' ' {
        let code = &line[8..11];
        if !code.iter().all(u8::is_ascii_digit) || !matches!(line.get(11), None | Some(b' ')) {
            return None;
        }
        let code = code.iter().fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
        return (100..=699)
            .contains(&code)
            .then_some(StartLine::Response { code });
    }
    // METHOD SP Request-URI SP SIP-Version: the line ends with the version, which is
    // checked first (most lines a probe sees are other protocols', and a long URI is
    // then not scanned for nothing).
    let tail = line.get(line.len().checked_sub(8)?..)?;
    if tail[0] != b' ' || !is_version(&tail[1..]) {
        return None;
    }
    let mut parts = line.split(|&b| b == b' ');
    let method = parts.next()?;
    let uri = parts.next()?;
    let version = parts.next()?;
    if parts.next().is_some()
        || method.is_empty()
        || method.len() > 32
        || !method.iter().all(|&b| is_token(b))
        || uri.is_empty()
        || uri
            .iter()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        || memchr(b':', uri).is_none()
        || !is_version(version)
    {
        return None;
    }
    Some(StartLine::Request { method, uri })
}

/// Whether `data` (an incomplete first line) could still become a start line.
fn could_be_start_line(data: &[u8]) -> bool {
    let v = b"SIP/2.0 ";
    let n = data.len().min(v.len());
    if data[..n].eq_ignore_ascii_case(&v[..n]) {
        return data.get(8..).is_none_or(|code| {
            code.iter().take(3).all(u8::is_ascii_digit) && code.get(3).is_none_or(|&b| b == b' ')
        });
    }
    // METHOD SP URI SP SIP/2.0, cut somewhere.
    let mut parts = data.splitn(3, |&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    if method.is_empty() || method.len() > 32 || !method.iter().all(|&b| is_token(b)) {
        return false;
    }
    let Some(uri) = parts.next() else {
        return true;
    };
    if uri
        .iter()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return false;
    }
    let Some(version) = parts.next() else {
        return true;
    };
    let v = b"SIP/2.0";
    version.len() <= v.len() && version.eq_ignore_ascii_case(&v[..version.len()])
}

fn skip_crlf(data: &[u8]) -> &[u8] {
    let n = data
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    &data[n..]
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// What the first bytes of one direction say.
fn shape(data: &[u8]) -> Probe {
    let data = skip_crlf(data);
    if data.is_empty() {
        return Probe::Maybe;
    }
    match memchr(b'\n', data) {
        Some(end) => {
            if parse_start_line(strip_cr(&data[..end])).is_some() {
                Probe::Yes
            } else {
                Probe::No
            }
        }
        None if data.len() > MAX_START_LINE => Probe::No,
        None if could_be_start_line(data) => Probe::Maybe,
        None => Probe::No,
    }
}

/// The TCP probe: a SIP start line from either side (SIP requests go both ways).
pub fn probe(to_server: &[u8], to_client: &[u8]) -> Probe {
    let sides = [to_server, to_client];
    let mut seen = sides.iter().filter(|s| !s.is_empty()).map(|s| shape(s));
    let mut verdict = Probe::Maybe;
    for p in seen.by_ref() {
        match p {
            Probe::No => return Probe::No,
            Probe::Yes => verdict = Probe::Yes,
            Probe::Maybe => {}
        }
    }
    verdict
}

/// Whether a datagram is a STUN message (RFC 5389: two zero bits, a length that is a
/// multiple of 4 and fills the datagram, the magic cookie), as SIP phones send on the
/// SIP port to keep NAT bindings open.
fn is_stun(p: &[u8]) -> bool {
    p.len() >= 20
        && p[0] & 0xc0 == 0
        && usize::from(u16::from_be_bytes([p[2], p[3]])) + 20 == p.len()
        && p.len().is_multiple_of(4)
        && p[4..8] == [0x21, 0x12, 0xa4, 0x42]
}

/// The UDP probe: the datagram begins with a whole SIP start line; Maybe for a CRLF
/// keep-alive or a STUN message (so that on the SIP port a conversation that begins with
/// one is still read as SIP).
pub fn probe_datagram(payload: &[u8]) -> Probe {
    if is_stun(payload) {
        return Probe::Maybe;
    }
    let data = skip_crlf(payload);
    let Some(&first) = data.first() else {
        return if payload.is_empty() {
            Probe::No
        } else {
            Probe::Maybe
        };
    };
    // A start line begins with a method (a token) or the version: the datagrams of other
    // protocols are told without looking for a line end.
    if !is_token(first) {
        return Probe::No;
    }
    match memchr(b'\n', data) {
        Some(end) if parse_start_line(strip_cr(&data[..end])).is_some() => Probe::Yes,
        _ => Probe::No,
    }
}

/// A message's header section: what matters for credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head<'a> {
    pub start: StartLine<'a>,
    pub call_id: Option<Vec<u8>>,
    /// CSeq number and method.
    pub cseq: Option<(u32, Vec<u8>)>,
    pub content_length: Option<u64>,
    /// `(proxy, value)` of each Authorization (false) and Proxy-Authorization (true).
    pub authorizations: Vec<(bool, Vec<u8>)>,
    /// A WWW-Authenticate or Proxy-Authenticate challenge says `stale=true`.
    pub stale: bool,
}

/// A CSeq value: `1*DIGIT LWS Method`.
pub fn parse_cseq(v: &[u8]) -> Option<(u32, Vec<u8>)> {
    let v = v.trim_ascii();
    let digits = v.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 10 {
        return None;
    }
    let n = std::str::from_utf8(&v[..digits]).ok()?.parse().ok()?;
    let method = v[digits..].trim_ascii();
    if method.is_empty() || !method.iter().all(|&b| is_token(b)) {
        return None;
    }
    Some((n, method[..method.len().min(MAX_KEY)].to_vec()))
}

/// Parses a header section (the start line and the header lines, without the empty line
/// that ends it). Leading CRLFs are skipped.
pub fn parse_head(head: &[u8]) -> Option<Head<'_>> {
    let head = skip_crlf(head);
    let mut lines = head.split(|&b| b == b'\n').map(strip_cr);
    let start = parse_start_line(lines.next()?)?;
    let mut h = Head {
        start,
        call_id: None,
        cseq: None,
        content_length: None,
        authorizations: Vec::new(),
        stale: false,
    };
    // Unfolded header fields.
    let mut fields: Vec<Vec<u8>> = Vec::new();
    for line in lines.take(MAX_HEADER_LINES) {
        if line.is_empty() {
            break;
        }
        match (line[0], fields.last_mut()) {
            (b' ' | b'\t', Some(last)) => {
                last.push(b' ');
                last.extend_from_slice(line.trim_ascii());
            }
            _ => fields.push(line.to_vec()),
        }
    }
    for field in &fields {
        let Some((name, value)) = http::split_header(field) else {
            continue;
        };
        let is = |long: &[u8], short: &[u8]| {
            name.eq_ignore_ascii_case(long)
                || (!short.is_empty() && name.eq_ignore_ascii_case(short))
        };
        if is(b"Call-ID", b"i") {
            h.call_id
                .get_or_insert_with(|| value[..value.len().min(MAX_KEY)].to_vec());
        } else if is(b"CSeq", b"") {
            if h.cseq.is_none() {
                h.cseq = parse_cseq(value);
            }
        } else if is(b"Content-Length", b"l") {
            h.content_length = http::parse_content_length(value);
        } else if is(b"Authorization", b"") || is(b"Proxy-Authorization", b"") {
            if h.authorizations.len() < MAX_AUTHORIZATIONS {
                let proxy = name.len() > b"Authorization".len();
                h.authorizations.push((proxy, value.to_vec()));
            }
        } else if is(b"WWW-Authenticate", b"") || is(b"Proxy-Authenticate", b"") {
            let (_, params) = http::split_scheme(value);
            h.stale |= http::auth_params(params)
                .iter()
                .any(|(n, v)| n == b"stale" && v.eq_ignore_ascii_case(b"true"));
        }
    }
    Some(h)
}

/// The hashcat mode 11400 line of a SIP Digest response: the HTTP Digest line (its
/// checks: MD5, qop auth or none, hashcat's lengths) with the URI in sipdump's parts.
pub fn sip_hashcat(d: &DigestFields, method: &[u8]) -> Option<Hashcat> {
    let line = http::digest_hashcat(d, method)?;
    let mut f: Vec<&str> = line.split('*').collect();
    if f.len() != 15 || !f[6].is_empty() || !f[8].is_empty() {
        return None;
    }
    let uri = f[7];
    if let Some((prefix, rest)) = uri.split_once(':')
        && !prefix.is_empty()
        && !rest.is_empty()
    {
        let (resource, suffix) = match rest.rsplit_once(':') {
            Some((r, s)) if !r.is_empty() && !s.is_empty() => (r, s),
            _ => (rest, ""),
        };
        if prefix.len() <= 245 && (1..=246).contains(&resource.len()) && suffix.len() <= 245 {
            f[6] = prefix;
            f[7] = resource;
            f[8] = suffix;
        }
    }
    Some(Hashcat {
        mode: 11400,
        hash: f.join("*"),
        hex_salt: false,
    })
}

/// The credential of one Authorization or Proxy-Authorization value of a request.
pub fn credential(proxy: bool, value: &[u8], method: &[u8], ts: Timestamp) -> Option<Credential> {
    let (scheme, rest) = http::split_scheme(value);
    let mut c = if scheme.eq_ignore_ascii_case(b"Digest") {
        let mut c = http::digest_credential(
            rest,
            method,
            if proxy { "Proxy Digest" } else { "Digest" },
            ts,
        )?;
        c.hashcat = http::parse_digest(rest).and_then(|d| sip_hashcat(&d, method));
        c
    } else if scheme.eq_ignore_ascii_case(b"Basic") {
        http::basic_credential(rest, if proxy { "Proxy Basic" } else { "Basic" }, ts)?
    } else {
        return None;
    };
    c.protocol = Cow::Borrowed("sip");
    Some(c)
}

/// The outcome a final response status gives a credential of either header.
fn outcome(proxy: bool, status: u16, stale: bool) -> Outcome {
    match status {
        200..=299 => Outcome::Success,
        403 => Outcome::Failure,
        401 | 407 if stale => Outcome::Unknown,
        401 if !proxy => Outcome::Failure,
        407 if proxy => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// A request with credentials waiting for its final response.
#[derive(Debug)]
struct Pending {
    /// The direction the request travelled.
    dir: Direction,
    call_id: Vec<u8>,
    cseq: (u32, Vec<u8>),
    credentials: Vec<(bool, Credential)>,
    size: usize,
}

/// Answered requests remembered, to know their retransmissions.
const MAX_ANSWERED: usize = 32;

/// What tells a request's retransmissions: its direction, Call-ID, CSeq and credentials.
fn fingerprint(
    dir: Direction,
    call_id: &[u8],
    cseq: &(u32, Vec<u8>),
    credentials: &[(bool, Credential)],
) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    (dir.index(), call_id, cseq).hash(&mut h);
    for (proxy, c) in credentials {
        (proxy, &c.username, &c.secret).hash(&mut h);
    }
    h.finish()
}

/// Requests waiting at once, and their bytes; beyond either the oldest is given up.
const MAX_PENDING: usize = 64;
const MAX_PENDING_BYTES: usize = 64 << 10;

fn credential_size(c: &Credential) -> usize {
    c.username.as_ref().map_or(0, Vec::len)
        + c.secret.as_ref().map_or(0, Vec::len)
        + c.challenge.as_ref().map_or(0, Vec::len)
        + c.hashcat.as_ref().map_or(0, |h| h.hash.len())
        + c.details.iter().map(|(_, v)| v.len()).sum::<usize>()
}

/// Requests and responses, whatever carried them.
#[derive(Debug, Default)]
struct Core {
    pending: VecDeque<Pending>,
    pending_bytes: usize,
    /// Fingerprints of requests answered lately: a copy sent again after the final
    /// response (the client missed it) is the same attempt.
    answered: VecDeque<u64>,
}

impl Core {
    fn message(
        &mut self,
        dir: Direction,
        head: &Head<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        match head.start {
            StartLine::Request { method, .. } => self.request(dir, head, method, frames, ts, out),
            StartLine::Response { code } => self.response(dir, head, code, out),
        }
    }

    fn request(
        &mut self,
        dir: Direction,
        head: &Head<'_>,
        method: &[u8],
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        let mut credentials: Vec<(bool, Credential)> = head
            .authorizations
            .iter()
            .filter_map(|(proxy, v)| Some((*proxy, credential(*proxy, v, method, ts)?)))
            .collect();
        if credentials.is_empty() {
            return;
        }
        for (_, c) in &mut credentials {
            c.add_frames(frames.iter().copied());
        }
        let (Some(call_id), Some(cseq)) = (&head.call_id, &head.cseq) else {
            out.extend(credentials.into_iter().map(|(_, c)| c));
            return;
        };
        let same = |p: &Pending| {
            p.dir == dir
                && &p.call_id == call_id
                && &p.cseq == cseq
                && p.credentials.len() == credentials.len()
                && p.credentials
                    .iter()
                    .zip(&credentials)
                    .all(|((_, a), (_, b))| a.secret == b.secret && a.username == b.username)
        };
        let print = fingerprint(dir, call_id, cseq, &credentials);
        if self.pending.iter().any(same) || self.answered.contains(&print) {
            return; // a retransmission
        }
        let size = credentials
            .iter()
            .map(|(_, c)| credential_size(c))
            .sum::<usize>()
            + call_id.len()
            + cseq.1.len();
        while !self.pending.is_empty()
            && (self.pending.len() >= MAX_PENDING || self.pending_bytes + size > MAX_PENDING_BYTES)
        {
            self.give_up_oldest(out);
        }
        self.pending_bytes += size;
        self.pending.push_back(Pending {
            dir,
            call_id: call_id.clone(),
            cseq: cseq.clone(),
            credentials,
            size,
        });
    }

    fn response(&mut self, dir: Direction, head: &Head<'_>, code: u16, out: &mut Vec<Credential>) {
        if code < 200 {
            return; // provisional: the final response is still to come
        }
        let (Some(call_id), Some(cseq)) = (&head.call_id, &head.cseq) else {
            return;
        };
        let Some(i) = self
            .pending
            .iter()
            .position(|p| p.dir != dir && &p.call_id == call_id && &p.cseq == cseq)
        else {
            return;
        };
        let Some(p) = self.pending.remove(i) else {
            return;
        };
        self.pending_bytes = self.pending_bytes.saturating_sub(p.size);
        if self.answered.len() >= MAX_ANSWERED {
            self.answered.pop_front();
        }
        self.answered
            .push_back(fingerprint(p.dir, &p.call_id, &p.cseq, &p.credentials));
        for (proxy, mut c) in p.credentials {
            c.outcome = outcome(proxy, code, head.stale);
            c.details.push(("status", code.to_string()));
            if head.stale && matches!(code, 401 | 407) {
                c.details.push(("note", "stale nonce".to_string()));
            }
            out.push(c);
        }
    }

    fn give_up_oldest(&mut self, out: &mut Vec<Credential>) {
        if let Some(p) = self.pending.pop_front() {
            self.pending_bytes = self.pending_bytes.saturating_sub(p.size);
            out.extend(p.credentials.into_iter().map(|(_, c)| c));
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        while !self.pending.is_empty() {
            self.give_up_oldest(out);
        }
    }

    fn buffered(&self) -> usize {
        self.pending_bytes
            + self.pending.len() * std::mem::size_of::<Pending>()
            + self.answered.len() * 8
    }
}

/// The end of a header section: the index of the empty line's start and its length with
/// the line end before it.
fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let crlf = memmem::find(buf, b"\r\n\r\n").map(|i| (i, 4));
    let lf = memmem::find(buf, b"\n\n").map(|i| (i, 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// SIP over UDP: one message per datagram.
#[derive(Debug, Default)]
pub struct SipDatagrams {
    core: Core,
}

impl DatagramDissector for SipDatagrams {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let data = skip_crlf(chunk.data);
        if data.is_empty() {
            return; // a keep-alive
        }
        let head = match head_end(data) {
            Some((end, _)) => &data[..end],
            None => data,
        };
        if let Some(h) = parse_head(head) {
            self.core.message(dir, &h, &[chunk.frame], chunk.ts, out);
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.core.close(out);
    }

    fn buffered(&self) -> usize {
        self.core.buffered()
    }
}

/// One direction of a SIP stream.
#[derive(Debug, Default)]
struct Side {
    /// Bytes of a header section not yet complete.
    buf: Vec<u8>,
    /// Frames that carried `buf`.
    frames: Vec<u64>,
    /// Body bytes still to skip.
    skip: u64,
    /// Not at a message boundary: looking for the next start line.
    lost: bool,
}

/// SIP over TCP.
#[derive(Debug, Default)]
pub struct SipStream {
    core: Core,
    sides: [Side; 2],
    too_long: u64,
}

impl SipStream {
    pub fn new(_config: &DissectorConfig) -> SipStream {
        SipStream::default()
    }

    /// Finds the next start line in a lost side's buffer; false when there is none yet.
    fn resync(side: &mut Side) -> bool {
        let mut at = 0;
        loop {
            let Some(nl) = memchr(b'\n', &side.buf[at..]) else {
                // Keep the last, incomplete line (bounded).
                if side.buf.len() - at > MAX_START_LINE {
                    side.buf.clear();
                } else {
                    side.buf.drain(..at);
                }
                return false;
            };
            if parse_start_line(strip_cr(&side.buf[at..at + nl])).is_some() {
                side.buf.drain(..at);
                side.lost = false;
                return true;
            }
            at += nl + 1;
        }
    }

    fn feed(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let side = &mut self.sides[dir.index()];
        let mut data = chunk.data;
        if side.skip > 0 {
            let n = (side.skip.min(data.len() as u64)) as usize;
            side.skip -= n as u64;
            data = &data[n..];
        }
        if data.is_empty() {
            return;
        }
        side.buf.extend_from_slice(data);
        if side.frames.last() != Some(&chunk.frame) && side.frames.len() < 256 {
            side.frames.push(chunk.frame);
        }
        loop {
            let side = &mut self.sides[dir.index()];
            if side.lost && !Self::resync(side) {
                side.frames.clear();
                side.frames.push(chunk.frame);
                return;
            }
            let lead = side
                .buf
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            side.buf.drain(..lead);
            if side.buf.is_empty() {
                side.frames.clear();
                return;
            }
            let Some((end, sep)) = head_end(&side.buf) else {
                if side.buf.len() > MAX_HEAD {
                    self.too_long += 1;
                    side.buf.clear();
                    side.frames.clear();
                    side.lost = true;
                }
                return;
            };
            let mut body = 0u64;
            match parse_head(&side.buf[..end]) {
                Some(h) => {
                    body = h.content_length.unwrap_or(0);
                    let frames = std::mem::take(&mut side.frames);
                    self.core.message(dir, &h, &frames, chunk.ts, out);
                }
                None => side.lost = true,
            }
            let side = &mut self.sides[dir.index()];
            side.buf.drain(..end + sep);
            side.frames.clear();
            let n = (body.min(side.buf.len() as u64)) as usize;
            side.buf.drain(..n);
            side.skip = body - n as u64;
            if side.buf.is_empty() {
                return;
            }
            side.frames.push(chunk.frame);
        }
    }
}

impl Dissector for SipStream {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        self.feed(dir, chunk, out);
    }

    fn gap(&mut self, dir: Direction, len: u64, _out: &mut Vec<Credential>) {
        let side = &mut self.sides[dir.index()];
        side.buf.clear();
        side.frames.clear();
        if side.skip >= len {
            side.skip -= len; // inside a body: still in step
        } else {
            side.skip = 0;
            side.lost = true;
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        self.core.close(out);
    }

    fn lines_too_long(&self) -> u64 {
        self.too_long
    }

    fn buffered(&self) -> usize {
        self.core.buffered()
            + self
                .sides
                .iter()
                .map(|s| s.buf.capacity() + s.frames.capacity() * 8)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Kind;
    use Direction::{ToClient as S, ToServer as C};

    fn md5_hex(s: &str) -> String {
        use md5::Digest;
        crate::finding::hex(&md5::Md5::digest(s.as_bytes()))
    }

    /// RFC 2617 section 3.2.2.1, computed here from the password.
    fn digest(
        user: &str,
        realm: &str,
        pass: &str,
        method: &str,
        uri: &str,
        nonce: &str,
        qop: Option<(&str, &str)>,
    ) -> String {
        let ha1 = md5_hex(&format!("{user}:{realm}:{pass}"));
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        match qop {
            Some((nc, cnonce)) => md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")),
            None => md5_hex(&format!("{ha1}:{nonce}:{ha2}")),
        }
    }

    /// What hashcat -m 11400 computes for a `$sip$` line and a candidate password
    /// (src/modules/module_11400.c: HA2 over method and the URI parts joined by `:`).
    fn hashcat_11400(line: &str, pass: &str) -> (String, String) {
        let f: Vec<&str> = line.split('*').collect();
        assert_eq!(f.len(), 15, "{line}");
        assert_eq!((f[0], f[13]), ("$sip$", "MD5"));
        let mut uri = String::new();
        if !f[6].is_empty() {
            uri = format!("{}:", f[6]);
        }
        uri.push_str(f[7]);
        if !f[8].is_empty() {
            uri = format!("{uri}:{}", f[8]);
        }
        let ha1 = md5_hex(&format!("{}:{}:{pass}", f[3], f[4]));
        let ha2 = md5_hex(&format!("{}:{uri}", f[5]));
        let got = if f[12] == "auth" {
            md5_hex(&format!("{ha1}:{}:{}:{}:auth:{ha2}", f[9], f[11], f[10]))
        } else {
            md5_hex(&format!("{ha1}:{}:{ha2}", f[9]))
        };
        (got, f[14].to_string())
    }

    fn register(cseq: u32, auth: Option<&str>) -> Vec<u8> {
        let mut m = format!(
            "REGISTER sip:example.org SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK{cseq}\r\n\
             From: <sip:alice@example.org>;tag=1\r\n\
             To: <sip:alice@example.org>\r\n\
             Call-ID: abc123@192.0.2.5\r\n\
             CSeq: {cseq} REGISTER\r\n"
        );
        if let Some(a) = auth {
            m.push_str(&format!("Authorization: {a}\r\n"));
        }
        m.push_str("Content-Length: 0\r\n\r\n");
        m.into_bytes()
    }

    fn response(code: u16, cseq: u32, method: &str, extra: &str) -> Vec<u8> {
        format!(
            "SIP/2.0 {code} Whatever\r\n\
             Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bK{cseq}\r\n\
             Call-ID: abc123@192.0.2.5\r\n\
             CSeq: {cseq} {method}\r\n{extra}\
             Content-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn digest_header(response: &str, qop: Option<(&str, &str)>) -> String {
        let mut h = format!(
            "Digest username=\"alice\",realm=\"example.org\",nonce=\"n0nce\",\
             uri=\"sip:example.org\",response=\"{response}\",algorithm=MD5"
        );
        if let Some((nc, cnonce)) = qop {
            h.push_str(&format!(",qop=auth,nc={nc},cnonce=\"{cnonce}\""));
        }
        h
    }

    fn run_udp(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        let mut d = SipDatagrams::default();
        let mut out = Vec::new();
        for (i, (dir, data)) in script.iter().enumerate() {
            d.datagram(
                *dir,
                Chunk {
                    data,
                    frame: i as u64 + 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        d.close(&mut out);
        out
    }

    fn run_tcp(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        crate::dissect::script::play(&mut SipStream::new(&DissectorConfig::default()), script).0
    }

    #[test]
    fn digest_without_qop_recomputes_and_200_is_success() {
        let resp = digest(
            "alice",
            "example.org",
            "s3cret",
            "REGISTER",
            "sip:example.org",
            "n0nce",
            None,
        );
        let out = run_udp(&[
            (C, &register(1, None)),
            (
                S,
                &response(
                    401,
                    1,
                    "REGISTER",
                    "WWW-Authenticate: Digest realm=\"example.org\", nonce=\"n0nce\"\r\n",
                ),
            ),
            (C, &register(2, Some(&digest_header(&resp, None)))),
            (S, &response(100, 2, "REGISTER", "")),
            (S, &response(200, 2, "REGISTER", "")),
        ]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref(), c.kind),
            ("sip", "Digest", Kind::ChallengeResponse)
        );
        assert_eq!(c.username.as_deref(), Some(&b"alice"[..]));
        assert_eq!(c.secret.as_deref(), Some(resp.as_bytes()));
        assert_eq!(c.challenge.as_deref(), Some(&b"n0nce"[..]));
        assert_eq!(c.outcome, Outcome::Success);
        assert_eq!(c.frames, vec![3]);
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(h.mode, 11400);
        assert_eq!(
            h.hash,
            format!("$sip$***alice*example.org*REGISTER*sip*example.org**n0nce****MD5*{resp}")
        );
        let (got, want) = hashcat_11400(&h.hash, "s3cret");
        assert_eq!(got, want);
        assert_ne!(hashcat_11400(&h.hash, "s3creT").0, want);
    }

    #[test]
    fn digest_with_qop_auth_recomputes() {
        let resp = digest(
            "alice",
            "example.org",
            "pw",
            "REGISTER",
            "sip:example.org",
            "n0nce",
            Some(("00000001", "c1ient")),
        );
        let out = run_udp(&[
            (
                C,
                &register(5, Some(&digest_header(&resp, Some(("00000001", "c1ient"))))),
            ),
            (S, &response(403, 5, "REGISTER", "")),
        ]);
        let c = &out[0];
        assert_eq!(c.outcome, Outcome::Failure);
        let h = c.hashcat.as_ref().unwrap();
        assert_eq!(
            h.hash,
            format!(
                "$sip$***alice*example.org*REGISTER*sip*example.org**n0nce*c1ient*00000001*auth*MD5*{resp}"
            )
        );
        let (got, want) = hashcat_11400(&h.hash, "pw");
        assert_eq!(got, want);
    }

    #[test]
    fn hashcat_example_11400_recomputes() {
        // hashcat's example hash for mode 11400 (password "hashcat").
        let ex = "$sip$*192.168.100.100*192.168.100.121*username*asterisk*REGISTER*sip*192.168.100.121**2b01df0b****MD5*ad0520061ca07c120d7e8ce696a6df2d";
        let (got, want) = hashcat_11400(ex, "hashcat");
        assert_eq!(got, want);
        // The same from our line: the URI split the same way, addresses left empty.
        let d = DigestFields {
            username: Some(b"username".to_vec()),
            realm: b"asterisk".to_vec(),
            nonce: b"2b01df0b".to_vec(),
            uri: b"sip:192.168.100.121".to_vec(),
            response: b"ad0520061ca07c120d7e8ce696a6df2d".to_vec(),
            ..DigestFields::default()
        };
        assert_eq!(
            sip_hashcat(&d, b"REGISTER").unwrap().hash,
            "$sip$***username*asterisk*REGISTER*sip*192.168.100.121**2b01df0b****MD5*ad0520061ca07c120d7e8ce696a6df2d"
        );
        // A port is the suffix; IPv6 brackets keep their colons.
        let d = DigestFields {
            uri: b"sip:[2001:db8::1]:5060".to_vec(),
            ..d
        };
        let line = sip_hashcat(&d, b"INVITE").unwrap().hash;
        let f: Vec<&str> = line.split('*').collect();
        assert_eq!((f[6], f[7], f[8]), ("sip", "[2001:db8::1]", "5060"));
    }

    #[test]
    fn outcomes_by_header_and_status() {
        assert_eq!(outcome(false, 200, false), Outcome::Success);
        assert_eq!(outcome(true, 202, false), Outcome::Success);
        assert_eq!(outcome(false, 401, false), Outcome::Failure);
        assert_eq!(outcome(true, 407, false), Outcome::Failure);
        assert_eq!(outcome(true, 401, false), Outcome::Unknown);
        assert_eq!(outcome(false, 407, false), Outcome::Unknown);
        assert_eq!(outcome(false, 403, false), Outcome::Failure);
        assert_eq!(outcome(false, 401, true), Outcome::Unknown);
        assert_eq!(outcome(false, 480, false), Outcome::Unknown);
        assert_eq!(outcome(false, 500, false), Outcome::Unknown);
    }

    #[test]
    fn stale_nonce_is_not_a_failure() {
        let out = run_udp(&[
            (C, &register(3, Some(&digest_header(&"a".repeat(32), None)))),
            (
                S,
                &response(
                    401,
                    3,
                    "REGISTER",
                    "WWW-Authenticate: Digest realm=\"x\", nonce=\"y\", stale=TRUE\r\n",
                ),
            ),
        ]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert!(out[0].details.contains(&("status", "401".to_string())));
    }

    #[test]
    fn basic_is_cleartext_and_compact_headers_match() {
        let req = b"OPTIONS sip:bob@example.org SIP/2.0\r\n\
            i: short-form-id\r\n\
            CSeq: 7 OPTIONS\r\n\
            Authorization: Basic Ym9iOnB3\r\n\
            l: 0\r\n\r\n";
        let resp = b"SIP/2.0 200 OK\r\ni: short-form-id\r\nCSeq: 7 OPTIONS\r\nl: 0\r\n\r\n";
        let out = run_udp(&[(C, req), (S, resp)]);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!((c.mechanism.as_ref(), c.kind), ("Basic", Kind::Cleartext));
        assert_eq!(c.protocol, "sip");
        assert_eq!(c.username.as_deref(), Some(&b"bob"[..]));
        assert_eq!(c.secret.as_deref(), Some(&b"pw"[..]));
        assert_eq!(c.outcome, Outcome::Success);
    }

    #[test]
    fn proxy_digest_and_folded_headers() {
        let req = b"INVITE sip:bob@example.org SIP/2.0\r\n\
            Call-ID: x1\r\n\
            CSeq: 2 INVITE\r\n\
            Proxy-Authorization: Digest username=\"carol\",\r\n realm=\"r\",nonce=\"n\",\r\n\turi=\"sip:bob@example.org\",response=\"0123456789abcdef0123456789abcdef\"\r\n\
            Content-Length: 0\r\n\r\n";
        let out = run_udp(&[
            (C, req),
            (S, b"SIP/2.0 407 Proxy Authentication Required\r\nCall-ID: x1\r\nCSeq: 2 INVITE\r\n\r\n"),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "Proxy Digest");
        assert_eq!(out[0].username.as_deref(), Some(&b"carol"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert!(out[0].hashcat.is_some());
    }

    #[test]
    fn retransmissions_and_unanswered() {
        let r = register(9, Some(&digest_header(&"b".repeat(32), None)));
        let out = run_udp(&[(C, &r), (C, &r), (C, &r)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        assert_eq!(out[0].frames, vec![1]);
        // Sent again after its answer: the same attempt.
        let out = run_udp(&[(C, &r), (S, &response(401, 9, "REGISTER", "")), (C, &r)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        // A response to another CSeq does not settle it.
        let out = run_udp(&[(C, &r), (S, &response(200, 10, "REGISTER", ""))]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
        // Nor a response in the same direction.
        let out = run_udp(&[(C, &r), (C, &response(200, 9, "REGISTER", ""))]);
        assert_eq!(out[0].outcome, Outcome::Unknown);
    }

    #[test]
    fn tcp_several_messages_with_bodies_in_one_segment() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\n\r\n\r\nSIP/2.0 200 fake in body\r\n";
        let invite = format!(
            "INVITE sip:bob@example.org SIP/2.0\r\nCall-ID: t1\r\nCSeq: 1 INVITE\r\n\
             Authorization: {}\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            digest_header(&"c".repeat(32), None),
            sdp.len()
        );
        let two = [
            b"\r\n\r\n".to_vec(),
            invite.clone().into_bytes(),
            register(4, Some(&digest_header(&"d".repeat(32), None))),
        ]
        .concat();
        let out = run_tcp(&[
            (C, two),
            (
                S,
                [
                    b"SIP/2.0 200 OK\r\nCall-ID: t1\r\nCSeq: 1 INVITE\r\nl: 3\r\n\r\nabc".to_vec(),
                    response(401, 4, "REGISTER", ""),
                ]
                .concat(),
            ),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].secret.as_deref(), Some("c".repeat(32).as_bytes()));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[1].secret.as_deref(), Some("d".repeat(32).as_bytes()));
        assert_eq!(out[1].outcome, Outcome::Failure);
    }

    fn tcp_script() -> Vec<(Direction, Vec<u8>)> {
        let sdp = "v=0\r\ns=-\r\n";
        vec![
            (
                C,
                format!(
                    "INVITE sip:bob@example.org SIP/2.0\r\ni: t2\r\nCSeq: 1 INVITE\r\n\
                     Proxy-Authorization: {}\r\nl: {}\r\n\r\n{sdp}",
                    digest_header(&"e".repeat(32), None),
                    sdp.len()
                )
                .into_bytes(),
            ),
            (
                S,
                b"SIP/2.0 100 Trying\r\ni: t2\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n".to_vec(),
            ),
            (
                S,
                b"SIP/2.0 407 No\r\ni: t2\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n".to_vec(),
            ),
            (
                C,
                register(
                    6,
                    Some(&digest_header(&"f".repeat(32), Some(("00000002", "cn")))),
                ),
            ),
            (S, response(200, 6, "REGISTER", "")),
        ]
    }

    #[test]
    fn tcp_any_split_gives_the_same_findings() {
        let whole = tcp_script();
        type Seen = (Option<Vec<u8>>, Option<Vec<u8>>, Outcome);
        let seen = |out: Vec<Credential>| -> Vec<Seen> {
            out.into_iter()
                .map(|c| (c.username, c.secret, c.outcome))
                .collect()
        };
        let want = seen(run_tcp(&whole));
        assert_eq!(want.len(), 2);
        assert_eq!(want[0].2, Outcome::Failure);
        assert_eq!(want[1].2, Outcome::Success);
        for (i, (dir, data)) in whole.iter().enumerate() {
            for cut in 1..data.len() {
                let mut split = whole.clone();
                split[i] = (*dir, data[..cut].to_vec());
                split.insert(i + 1, (*dir, data[cut..].to_vec()));
                assert_eq!(seen(run_tcp(&split)), want, "chunk {i} cut at {cut}");
            }
        }
    }

    #[test]
    fn tcp_frames_cover_the_header_segments() {
        let r = register(8, Some(&digest_header(&"a".repeat(32), None)));
        let out = run_tcp(&[(C, r[..40].to_vec()), (C, r[40..].to_vec())]);
        assert_eq!(out[0].frames, vec![1, 2]);
    }

    #[test]
    fn tcp_resynchronises_after_a_gap() {
        let mut d = SipStream::new(&DissectorConfig::default());
        let mut out = Vec::new();
        fn ch(data: &[u8]) -> Chunk<'_> {
            Chunk {
                data,
                frame: 1,
                ts: Timestamp::ZERO,
            }
        }
        let r = register(1, Some(&digest_header(&"a".repeat(32), None)));
        d.data(C, ch(&r[..30]), &mut out);
        d.gap(C, 100, &mut out);
        d.data(C, ch(b"garbage line\r\nmore: junk\r\n\r\n"), &mut out);
        d.data(
            C,
            ch(&register(2, Some(&digest_header(&"9".repeat(32), None)))),
            &mut out,
        );
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some("9".repeat(32).as_bytes()));
        // A gap inside a body keeps the framing.
        let mut d = SipStream::new(&DissectorConfig::default());
        let mut out = Vec::new();
        d.data(C, ch(b"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: q\r\nCSeq: 1 MESSAGE\r\nContent-Length: 50\r\n\r\n0123456789"), &mut out);
        d.gap(C, 20, &mut out);
        d.data(
            C,
            ch(&[
                b"0123456789".repeat(2),
                register(3, Some(&digest_header(&"8".repeat(32), None))),
            ]
            .concat()),
            &mut out,
        );
        d.close(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some("8".repeat(32).as_bytes()));
    }

    #[test]
    fn overlong_header_is_skipped_and_counted() {
        let mut d = SipStream::new(&DissectorConfig::default());
        let mut out = Vec::new();
        let mut big = b"REGISTER sip:x SIP/2.0\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        d.data(
            C,
            Chunk {
                data: &big,
                frame: 1,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        assert_eq!(d.lines_too_long(), 1);
        assert!(d.buffered() < MAX_HEAD + 4096);
        d.data(
            C,
            Chunk {
                data: &[
                    b"\r\n\r\n".to_vec(),
                    register(1, Some(&digest_header(&"a".repeat(32), None))),
                ]
                .concat(),
                frame: 2,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        d.close(&mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn probes() {
        assert_eq!(
            probe_datagram(b"REGISTER sip:example.org SIP/2.0\r\nVia: x\r\n"),
            Probe::Yes
        );
        assert_eq!(probe_datagram(b"SIP/2.0 200 OK\r\n"), Probe::Yes);
        assert_eq!(probe_datagram(b"\r\n\r\n"), Probe::Maybe);
        assert_eq!(probe_datagram(b"GET / HTTP/1.1\r\n"), Probe::No);
        assert_eq!(probe_datagram(&[0x80, 0x00, 0x12, 0x34]), Probe::No);
        assert_eq!(probe_datagram(b""), Probe::No);
        // A STUN Binding request (RFC 5389), as phones send on 5060.
        let mut stun = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
        stun.extend_from_slice(&[7; 12]);
        assert_eq!(probe_datagram(&stun), Probe::Maybe);
        stun[4] = 0;
        assert_eq!(probe_datagram(&stun), Probe::No);
        assert_eq!(probe(b"INVITE sip:bob@x SIP/2.0\r\n", b""), Probe::Yes);
        assert_eq!(probe(b"INVITE sip:bob@x SI", b""), Probe::Maybe);
        assert_eq!(probe(b"INVI", b""), Probe::Maybe);
        assert_eq!(probe(b"", b"SIP/2.0 1"), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1", b""), Probe::No);
        assert_eq!(probe(b"\x16\x03\x01\x02\x00", b""), Probe::No);
        assert_eq!(probe(b"SSH-2.0-OpenSSH_9.2\r\n", b""), Probe::No);
        assert_eq!(probe(b"", b"220 mail ESMTP\r\n"), Probe::No);
        assert_eq!(probe(b"", b"HTTP/1.1 200 OK\r\n"), Probe::No);
        assert_eq!(
            parse_start_line(b"SIP/2.0 200"),
            Some(StartLine::Response { code: 200 })
        );
        assert_eq!(parse_start_line(b"SIP/2.0 099 x"), None);
        assert_eq!(parse_start_line(b"REGISTER example.org SIP/2.0"), None);
    }

    #[test]
    fn a_datagram_whose_start_line_would_begin_with_no_token_is_no_message() {
        for line in [&b"INVITE sip:bob@x SIP/2.0"[..], b"SIP/2.0 200 OK"] {
            for b in 0..=255u8 {
                let mut l = line.to_vec();
                l[0] = b;
                if !is_token(b) && b != b'\r' && b != b'\n' {
                    assert_eq!(parse_start_line(&l), None, "{b:#x}");
                    let datagram = [&l[..], b"\r\nVia: x\r\n"].concat();
                    assert_eq!(probe_datagram(&datagram), Probe::No);
                }
            }
        }
    }

    #[test]
    fn tokens_are_rfc_3261s() {
        // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
        for b in 0..=255u8 {
            let want = b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b);
            assert_eq!(is_token(b), want, "{b:#x}");
        }
    }

    #[test]
    fn request_lines_end_with_the_version_alone() {
        let request = |l: &[u8]| matches!(parse_start_line(l), Some(StartLine::Request { .. }));
        assert!(request(b"INVITE sip:bob@example.org SIP/2.0"));
        assert!(request(b"invite sip:bob@example.org sip/2.0"));
        assert!(request(b"A sip:b SIP/2.0"));
        // The version not last, not alone, not after a space, or the line too short.
        assert!(!request(b"INVITE sip:bob@example.org SIP/2.0 x"));
        assert!(!request(b"INVITE sip:bob@example.org XSIP/2.0"));
        assert!(!request(b"INVITE sip:bob@example.org\tSIP/2.0"));
        assert!(!request(b"INVITE sip:a b SIP/2.0"));
        assert!(!request(b" SIP/2.0"));
        assert!(!request(b"SIP/2.0"));
        assert!(!request(b"IP/2.0"));
        // What the probes see most: another protocol's long request line.
        let mut http = b"GET /".to_vec();
        http.extend(std::iter::repeat_n(b'a', 4000));
        http.extend_from_slice(b" HTTP/1.1");
        assert!(!request(&http));
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut seed = 0x1234_5679u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let valid: Vec<Vec<u8>> = tcp_script().into_iter().map(|(_, d)| d).collect();
        let mut u = SipDatagrams::default();
        let mut t = SipStream::new(&DissectorConfig::default());
        let mut out = Vec::new();
        for round in 0..20_000 {
            let mut bytes = valid[round % valid.len()].clone();
            for _ in 0..(next() % 6) {
                let at = next() as usize % bytes.len();
                bytes[at] = next() as u8;
            }
            bytes.truncate(next() as usize % (bytes.len() + 1));
            let _ = probe_datagram(&bytes);
            let _ = probe(&bytes, &bytes);
            let dir = if next() % 2 == 0 { C } else { S };
            let chunk = Chunk {
                data: &bytes,
                frame: 1,
                ts: Timestamp::ZERO,
            };
            u.datagram(dir, chunk, &mut out);
            t.data(dir, chunk, &mut out);
            if next() % 50 == 0 {
                t.gap(dir, u64::from(next() % 100), &mut out);
            }
        }
        u.close(&mut out);
        t.close(&mut out);
    }
}
