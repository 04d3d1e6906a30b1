//! XMPP client-to-server streams (RFC 6120; TCP 5222, any by content): logins of Jabber
//! clients to servers that accept them without TLS.
//!
//! - SASL (RFC 6120 section 6): `<auth mechanism='PLAIN'>base64</auth>`, then
//!   `<challenge>`/`<response>` steps, decoded by the shared SASL layer (PLAIN, LOGIN,
//!   CRAM-MD5 with hashcat 10200, DIGEST-MD5, SCRAM-SHA-1 and SCRAM-SHA-256 — the proof
//!   and its `AuthMessage`, crackable offline). Mechanism `SASL <MECHANISM>`. Outcome:
//!   `<success>` success, `<failure>` failure; `<abort/>` cancels.
//! - Non-SASL authentication (XEP-0078, still spoken by old clients and servers): an
//!   `<iq type='set'>` with a `jabber:iq:auth` query holding `<username>` and
//!   `<password>` (mechanism `iq:auth password`, cleartext) or `<digest>` =
//!   hex(SHA1(stream ID + password)) (mechanism `iq:auth digest`, challenge-response,
//!   challenge the stream ID the server sent, hashcat 120 `<digest>:<stream ID>`). Outcome
//!   from the `<iq>` of the same `id`: `result` success, `error` failure.
//! - `<starttls/>` answered by `<proceed/>` ends the inspection: the rest is TLS.
//!
//! Elements are found by a small scanner over each direction's bytes (start tags with
//! quoted attributes, their text up to the matching end tag, the five predefined entities
//! and character references in text); an element longer than [`MAX_BUFFER`] is dropped
//! and reading goes on at the next tag.

use super::sasl::{Exchange, Step};
use super::{Chunk, Dissector, Probe, ProtocolSpec};
use crate::finding::{Credential, Hashcat, Kind, Outcome};
use crate::flow::Direction;
use crate::timestamp::Timestamp;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "xmpp",
    tcp_ports: &[5222],
    probe,
    new: |_config| Box::new(Xmpp::default()),
};

/// Bytes of one direction kept while an element is incomplete.
pub const MAX_BUFFER: usize = 64 * 1024;

/// One element: its local name (prefix dropped), start tag, whether it has no content,
/// and its content (up to the matching end tag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element<'a> {
    pub name: &'a [u8],
    pub tag: &'a [u8],
    pub empty: bool,
    pub content: &'a [u8],
}

impl<'a> Element<'a> {
    /// An attribute's value, entities decoded.
    pub fn attr(&self, name: &[u8]) -> Option<Vec<u8>> {
        attr(self.tag, name)
    }
}

/// The value of attribute `name` in a start tag.
fn attr(tag: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let mut i = 0;
    while let Some(eq) = tag[i..].iter().position(|&b| b == b'=').map(|p| p + i) {
        let key_end = tag[..eq].iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
        let key_start = tag[..key_end]
            .iter()
            .rposition(|b| b.is_ascii_whitespace())
            .map_or(0, |p| p + 1);
        let rest = &tag[eq + 1..];
        let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let quote = *rest.get(skip)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let body = &rest[skip + 1..];
        let close = body.iter().position(|&b| b == quote)?;
        if &tag[key_start..key_end] == name {
            return Some(unescape(&body[..close]));
        }
        i = eq + 1 + skip + 1 + close + 1;
        if i >= tag.len() {
            return None;
        }
    }
    None
}

/// Text with the predefined entities and character references decoded.
pub fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'&'
            && let Some(semi) = text[i..].iter().take(12).position(|&b| b == b';')
        {
            let entity = &text[i + 1..i + semi];
            let decoded: Option<Vec<u8>> = match entity {
                b"amp" => Some(b"&".to_vec()),
                b"lt" => Some(b"<".to_vec()),
                b"gt" => Some(b">".to_vec()),
                b"quot" => Some(b"\"".to_vec()),
                b"apos" => Some(b"'".to_vec()),
                [b'#', b'x' | b'X', hex @ ..] => std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                    .map(|c| c.to_string().into_bytes()),
                [b'#', dec @ ..] => std::str::from_utf8(dec)
                    .ok()
                    .and_then(|d| d.parse::<u32>().ok())
                    .and_then(char::from_u32)
                    .map(|c| c.to_string().into_bytes()),
                _ => None,
            };
            if let Some(d) = decoded {
                out.extend(d);
                i += semi + 1;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// The local name of a (possibly prefixed) element name.
fn local(name: &[u8]) -> &[u8] {
    match name.iter().position(|&b| b == b':') {
        Some(i) if name != b"stream:stream" => &name[i + 1..],
        _ => name,
    }
}

/// Elements whose content is read; any other start tag is passed over on its own.
const READ: &[&[u8]] = &[
    b"auth",
    b"response",
    b"challenge",
    b"success",
    b"failure",
    b"iq",
];

/// What the scanner found at the start of `buf`.
enum Scan<'a> {
    /// An element (or a tag passed over), and the bytes it took.
    Element(Element<'a>, usize),
    /// Text or a tag not of interest, this many bytes.
    Skip(usize),
    /// More bytes are needed.
    More,
}

/// The end of the start tag beginning at `buf[0] == b'<'`: the index of its `>`.
fn tag_end(buf: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in buf.iter().enumerate().skip(1) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn scan(buf: &[u8]) -> Scan<'_> {
    let Some(&first) = buf.first() else {
        return Scan::More;
    };
    if first != b'<' {
        let n = buf.iter().position(|&b| b == b'<').unwrap_or(buf.len());
        return Scan::Skip(n);
    }
    let Some(end) = tag_end(buf) else {
        return Scan::More;
    };
    let tag = &buf[..=end];
    if matches!(buf.get(1), Some(b'/' | b'?' | b'!')) {
        return Scan::Skip(end + 1);
    }
    let name_end = tag[1..]
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
        .map_or(tag.len(), |p| p + 1);
    let name = local(&tag[1..name_end]);
    let empty = tag.len() >= 2 && tag[tag.len() - 2] == b'/';
    if !READ.contains(&name) || empty {
        return Scan::Element(
            Element {
                name,
                tag,
                empty,
                content: &[],
            },
            end + 1,
        );
    }
    // The content, up to the first end tag of the same (prefixed) name.
    let mut close = b"</".to_vec();
    close.extend_from_slice(&tag[1..name_end]);
    let rest = &buf[end + 1..];
    let Some(at) = memchr::memmem::find(rest, &close) else {
        return Scan::More;
    };
    let Some(gt) = rest[at..].iter().position(|&b| b == b'>') else {
        return Scan::More;
    };
    Scan::Element(
        Element {
            name,
            tag,
            empty: false,
            content: &rest[..at],
        },
        end + 1 + at + gt + 1,
    )
}

/// A jabber:iq:auth query's user and secret.
fn iq_auth(content: &[u8]) -> Option<(Option<Vec<u8>>, Vec<u8>, bool)> {
    memchr::memmem::find(content, b"jabber:iq:auth")?;
    let user = child_text_plain(content, b"username");
    if let Some(p) = child_text_plain(content, b"password").filter(|p| !p.is_empty()) {
        return Some((user, p, false));
    }
    let d = child_text_plain(content, b"digest").filter(|d| !d.is_empty())?;
    Some((user, d, true))
}

/// The text of `<name>text</name>` anywhere in `content`.
fn child_text_plain(content: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let mut open = b"<".to_vec();
    open.extend_from_slice(name);
    let mut from = 0;
    loop {
        let at = memchr::memmem::find(&content[from..], &open)? + from;
        let after = content.get(at + open.len())?;
        if !(after.is_ascii_whitespace() || *after == b'>' || *after == b'/') {
            from = at + 1;
            continue;
        }
        let e = tag_end(&content[at..])? + at;
        if content[e - 1] == b'/' {
            return Some(Vec::new());
        }
        let mut close = b"</".to_vec();
        close.extend_from_slice(name);
        let c = memchr::memmem::find(&content[e..], &close)? + e;
        return Some(unescape(&content[e + 1..c]));
    }
}

#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    frames: Vec<u64>,
    ts: Timestamp,
}

/// The XMPP dissector of one connection.
#[derive(Debug, Default)]
pub struct Xmpp {
    sides: [Side; 2],
    exchange: Option<Exchange>,
    /// A complete credential waiting for the server's verdict.
    pending: Option<Credential>,
    /// iq:auth credentials waiting for the `<iq>` of their id.
    iq_pending: Vec<(Vec<u8>, Credential)>,
    stream_id: Option<Vec<u8>>,
    starttls: bool,
    done: bool,
}

impl Xmpp {
    fn client(
        &mut self,
        e: &Element<'_>,
        frames: &[u64],
        ts: Timestamp,
        out: &mut Vec<Credential>,
    ) {
        match e.name {
            b"auth" => {
                out.extend(self.pending.take());
                let Some(mech) = e.attr(b"mechanism") else {
                    return;
                };
                self.exchange = Exchange::start(&mech);
                if !e.empty && !e.content.trim_ascii().is_empty() {
                    self.respond(e.content, frames, ts);
                }
            }
            b"response" => {
                let content: &[u8] = if e.empty { b"=" } else { e.content };
                self.respond(content, frames, ts);
            }
            b"abort" => self.exchange = None,
            b"starttls" => self.starttls = true,
            b"iq" => {
                let (Some(id), Some(kind)) = (e.attr(b"id"), e.attr(b"type")) else {
                    return;
                };
                if kind != b"set" {
                    return;
                }
                let Some((user, secret, digest)) = iq_auth(e.content) else {
                    return;
                };
                let mut c = if digest {
                    let mut c =
                        Credential::new("xmpp", "iq:auth digest", Kind::ChallengeResponse, ts);
                    if let Some(sid) = &self.stream_id {
                        c.challenge = Some(sid.clone());
                        c.hashcat = Some(Hashcat {
                            mode: 120,
                            hash: format!(
                                "{}:{}",
                                String::from_utf8_lossy(&secret).to_ascii_lowercase(),
                                String::from_utf8_lossy(sid)
                            ),
                            hex_salt: false,
                        });
                    }
                    c
                } else {
                    Credential::new("xmpp", "iq:auth password", Kind::Cleartext, ts)
                };
                c.username = user;
                c.secret = Some(secret);
                c.add_frames(frames.iter().copied());
                if self.iq_pending.len() >= 8 {
                    let (_, old) = self.iq_pending.remove(0);
                    out.push(old);
                }
                self.iq_pending.push((id, c));
            }
            _ => {}
        }
    }

    /// A client response of the SASL exchange (base64 text).
    fn respond(&mut self, b64: &[u8], frames: &[u64], ts: Timestamp) {
        let Some(x) = self.exchange.as_mut() else {
            return;
        };
        match x.client_response(b64, frames, ts) {
            Step::Complete => {
                self.pending = x.credential("xmpp", "SASL");
                self.exchange = None;
            }
            Step::Cancelled | Step::Invalid => self.exchange = None,
            Step::Continue => {}
        }
    }

    fn server(&mut self, e: &Element<'_>, out: &mut Vec<Credential>) {
        match e.name {
            // RFC 7395 (over WebSocket): `<open/>` stands for the stream header.
            b"stream" | b"stream:stream" | b"open" => {
                if let Some(id) = e.attr(b"id") {
                    self.stream_id = Some(id);
                }
            }
            b"challenge" => {
                if let Some(x) = self.exchange.as_mut() {
                    x.server_challenge(e.content);
                }
            }
            b"success" | b"failure" => {
                self.exchange = None;
                if let Some(mut c) = self.pending.take() {
                    c.outcome = if e.name == b"success" {
                        Outcome::Success
                    } else {
                        Outcome::Failure
                    };
                    out.push(c);
                }
            }
            b"proceed" if self.starttls => self.done = true,
            b"iq" => {
                let (Some(id), Some(kind)) = (e.attr(b"id"), e.attr(b"type")) else {
                    return;
                };
                let Some(i) = self.iq_pending.iter().position(|(p, _)| *p == id) else {
                    return;
                };
                let (_, mut c) = self.iq_pending.remove(i);
                c.outcome = match kind.as_slice() {
                    b"result" => Outcome::Success,
                    b"error" => Outcome::Failure,
                    _ => Outcome::Unknown,
                };
                out.push(c);
            }
            _ => {}
        }
    }
}

impl Dissector for Xmpp {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        if self.done {
            return;
        }
        let side = &mut self.sides[dir.index()];
        if side.buf.len() + chunk.data.len() > MAX_BUFFER {
            // An element too long to keep (a large roster, a file in a message): dropped,
            // and reading goes on at the next tag. Elements of interest are short, and a
            // `<` inside text is always escaped, so no tag is made up from the middle.
            side.buf.clear();
            side.frames.clear();
            if chunk.data.len() > MAX_BUFFER {
                return;
            }
        }
        side.buf.extend_from_slice(chunk.data);
        if side.frames.last() != Some(&chunk.frame) {
            side.frames.push(chunk.frame);
        }
        side.ts = chunk.ts;
        let mut buf = std::mem::take(&mut side.buf);
        let frames = std::mem::take(&mut side.frames);
        let ts = side.ts;
        let mut at = 0;
        while at < buf.len() && !self.done {
            match scan(&buf[at..]) {
                Scan::More => break,
                Scan::Skip(n) => at += n,
                Scan::Element(e, n) => {
                    match dir {
                        Direction::ToServer => self.client(&e, &frames, ts, out),
                        Direction::ToClient => self.server(&e, out),
                    }
                    at += n;
                }
            }
        }
        // What is left is the start of an element: kept, with the frames it came in
        // (all of them when nothing was used, else the last one).
        buf.drain(..at);
        let side = &mut self.sides[dir.index()];
        side.frames = match (buf.is_empty(), at) {
            (true, _) => Vec::new(),
            (false, 0) => frames,
            (false, _) => vec![chunk.frame],
        };
        side.buf = buf;
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        // Resynchronise at the next '<' after the gap.
        let side = &mut self.sides[dir.index()];
        side.buf.clear();
        side.frames.clear();
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        out.extend(self.pending.take());
        out.extend(self.iq_pending.drain(..).map(|(_, c)| c));
    }

    fn done(&self) -> bool {
        self.done
    }

    fn buffered(&self) -> usize {
        self.sides.iter().map(|s| s.buf.capacity()).sum::<usize>()
            + self.iq_pending.len() * 256
            + usize::from(self.pending.is_some()) * 256
    }
}

/// XMPP when the client opens a stream in the `jabber:client` namespace.
pub fn probe(to_server: &[u8], _to_client: &[u8]) -> Probe {
    let t = to_server.trim_ascii_start();
    let t = t.strip_prefix(b"\xef\xbb\xbf").unwrap_or(t);
    if !(t.starts_with(b"<?xml") || t.starts_with(b"<stream:stream")) {
        return Probe::No;
    }
    if memchr::memmem::find(t, b"jabber:client").is_some() {
        Probe::Yes
    } else if t.len() < 512 && memchr::memmem::find(t, b"<stream").is_none() {
        Probe::Maybe
    } else {
        Probe::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, &[u8])]) -> Vec<Credential> {
        crate::dissect::script::play(&mut Xmpp::default(), script).0
    }

    const OPEN: &[u8] = b"<?xml version='1.0'?><stream:stream to='example.org' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
    const SERVER_OPEN: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='c2s_123' from='example.org' version='1.0'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>";

    #[test]
    fn sasl_scram_sha_1_rfc5802_example() {
        use crate::dissect::scram::tests::RFC5802;
        use base64::Engine as _;
        let b64 = |m: &[u8]| crate::dissect::sasl::BASE64.encode(m);
        let auth = format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>{}</auth>",
            b64(RFC5802[0])
        );
        let challenge = format!(
            "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</challenge>",
            b64(RFC5802[1])
        );
        let response = format!(
            "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</response>",
            b64(RFC5802[2])
        );
        let success = format!(
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</success>",
            b64(RFC5802[3])
        );
        let out = run(&[
            (C, OPEN),
            (S, SERVER_OPEN),
            (C, auth.as_bytes()),
            (S, challenge.as_bytes()),
            (C, response.as_bytes()),
            (S, success.as_bytes()),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "SASL SCRAM-SHA-1");
        assert_eq!(out[0].outcome, Outcome::Success);
        assert_eq!(out[0].username.as_deref(), Some(&b"user"[..]));
        assert!(crate::dissect::scram::proves(&out[0], "pencil"));
    }

    #[test]
    fn sasl_plain_success_and_failure() {
        // "\0juliet\0r0m30myr0m30" and "\0juliet\0wrong".
        let out = run(&[
            (C, OPEN),
            (S, SERVER_OPEN),
            (C, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>"),
            (S, b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"),
            (C, b"<auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\"\n mechanism=\"PLAIN\">AGp1bGll"),
            (C, b"dAByMG0zMG15cjBtMzA=</auth>"),
            (S, b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].mechanism, "SASL PLAIN");
        assert_eq!(out[0].username.as_deref(), Some(&b"juliet"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].secret.as_deref(), Some(&b"r0m30myr0m30"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        assert_eq!(out[1].frames, vec![5, 6]);
    }

    #[test]
    fn sasl_steps_and_abort() {
        // LOGIN in steps, with an empty <response/> first turned down by the mechanism.
        let out = run(&[
            (C, OPEN),
            (C, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='LOGIN'/>"),
            (S, b"<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>VXNlcm5hbWU6</challenge>"),
            (C, b"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cm9tZW8=</response>"),
            (S, b"<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>UGFzc3dvcmQ6</challenge>"),
            (C, b"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cEAmc3M=</response>"),
            (S, b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
            (C, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='LOGIN'/><abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
            (S, b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>"),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].mechanism, "SASL LOGIN");
        assert_eq!(out[0].username.as_deref(), Some(&b"romeo"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"p@&ss"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn iq_auth_password_and_digest() {
        let out = run(&[
            (C, b"<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"),
            (S, b"<?xml version='1.0'?><stream:stream from='example.com' id='3EE948B0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"),
            (C, b"<iq type='set' id='auth2'><query xmlns='jabber:iq:auth'><username>bill</username><password>Calli0pe&amp;x</password><resource>globe</resource></query></iq>"),
            (S, b"<iq type='error' id='auth2'><error code='401' type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"),
            (C, b"<iq type='set' id='auth3'><query xmlns='jabber:iq:auth'><username>bill</username><digest>48fc78be9ec8f86d8ce1c39c320c97c21d62334d</digest><resource>globe</resource></query></iq>"),
            (S, b"<iq type='result' id='auth3'/>"),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].mechanism, "iq:auth password");
        assert_eq!(out[0].secret.as_deref(), Some(&b"Calli0pe&x"[..]));
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[1].mechanism, "iq:auth digest");
        assert_eq!(out[1].kind, Kind::ChallengeResponse);
        assert_eq!(out[1].challenge.as_deref(), Some(&b"3EE948B0"[..]));
        assert_eq!(out[1].outcome, Outcome::Success);
        // XEP-0078's example: SHA1("3EE948B0" + "Calli0pe").
        use sha1::Digest;
        let digest = sha1::Sha1::digest(b"3EE948B0Calli0pe");
        assert_eq!(
            crate::finding::hex(&digest),
            "48fc78be9ec8f86d8ce1c39c320c97c21d62334d"
        );
        assert_eq!(
            out[1].hashcat.as_ref().map(|h| (h.mode, h.hash.as_str())),
            Some((120, "48fc78be9ec8f86d8ce1c39c320c97c21d62334d:3EE948B0"))
        );
    }

    #[test]
    fn starttls_ends_and_probe() {
        let out = run(&[
            (C, OPEN),
            (C, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            (S, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            (C, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>"),
        ]);
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(probe(OPEN, b""), Probe::Yes);
        assert_eq!(probe(b"<?xml version='1.0'?>", b""), Probe::Maybe);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(
            probe(b"<?xml version='1.0'?><soap:Envelope/>", b""),
            Probe::Maybe
        );
    }

    #[test]
    fn a_stanza_too_long_to_keep_is_passed_over() {
        // A roster far over the buffer, in pieces, then a login on the same stream.
        let mut big = b"<iq type='result' id='roster'><query xmlns='jabber:iq:roster'>".to_vec();
        while big.len() < 3 * MAX_BUFFER {
            big.extend_from_slice(b"<item jid='someone@example.org' name='A &lt;friend&gt;'/>");
        }
        big.extend_from_slice(b"</query></iq>");
        let mut script: Vec<(Direction, &[u8])> = vec![(C, OPEN)];
        script.extend(big.chunks(1400).map(|c| (C, c)));
        script.push((
            C,
            b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>",
        ));
        script.push((S, b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"));
        let out = run(&script);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].secret.as_deref(), Some(&b"wrong"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
    }

    #[test]
    fn an_element_in_pieces_keeps_all_its_frames() {
        let out = run(&[
            (C, OPEN),
            (C, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mech"),
            (C, b"anism='PLAIN'>AGp1bG"),
            (C, b"lldAB3cm9uZw==</auth>"),
            (S, b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].frames, vec![2, 3, 4]);
    }

    #[test]
    fn garbage_never_panics() {
        let script: Vec<(Direction, Vec<u8>)> = (0..300u32)
            .flat_map(|n| {
                let junk: Vec<u8> = (0..n)
                    .map(|i| b"<>/'\"= &;#xauth"[(i * 7 + n) as usize % 15])
                    .collect();
                [(C, junk.clone()), (S, junk)]
            })
            .collect();
        crate::dissect::script::play(&mut Xmpp::default(), &script);
        assert_eq!(unescape(b"a&amp;b&#x41;&#66;&bogus;&"), b"a&bAB&bogus;&");
        assert_eq!(
            attr(b"<auth a='1' mechanism = \"PLAIN\">", b"mechanism"),
            Some(b"PLAIN".to_vec())
        );
    }
}
