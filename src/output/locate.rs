//! Finds a credential's user name and secret in the packets that carried it, for the
//! classroom view: as plain bytes (split across packets or not), inside a quoted string,
//! URL-encoded, inside a base64 token (SASL, HTTP Basic, NTLM), as the binary form of a
//! hex response, or typed one keystroke per packet (Telnet, rlogin). Only what is really
//! there is marked: a credential that cannot be found byte for byte is reported as such.

use std::ops::Range;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::capture::Packet;
use crate::decode::{Decoder, DefragLimits, Transport};
use crate::dissect::keystrokes::LineEditor;
use crate::finding::{CapturedPacket, Finding};
use crate::timestamp::Timestamp;

/// Which part of the credential some bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Secret,
}

/// How the bytes were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// As they are.
    Plain,
    /// Inside a quoted string, with backslash escapes.
    Quoted,
    /// URL-encoded (`%40`, `+`).
    UrlEncoded,
    /// Inside a base64 token: the token is marked.
    Base64,
    /// The bytes of a response that findings show in hex.
    Binary,
    /// Typed one keystroke at a time: every keystroke of the line is marked, edits too.
    Keystrokes,
    /// In UTF-16 (two bytes per character, as NTLM writes names).
    Utf16,
}

impl How {
    /// Words for the classroom view.
    pub fn words(self) -> &'static str {
        match self {
            How::Plain => "as plain bytes",
            How::Quoted => "inside a quoted string (with backslash escapes)",
            How::UrlEncoded => "URL-encoded (percent-encoding is not encryption)",
            How::Base64 => {
                "inside the marked base64 token (base64 is an encoding, not encryption: anyone can decode it)"
            }
            How::Binary => "as the raw bytes of the response (the finding shows them in hex)",
            How::Keystrokes => {
                "typed one keystroke at a time (every keystroke of the line is marked, edits too)"
            }
            How::Utf16 => "in UTF-16, two bytes per character (as NTLM writes names)",
        }
    }
}

/// A packet decoded for the dump.
#[derive(Debug)]
pub struct PacketInfo {
    /// The `tcpdump` summary line (`IP a.1042 > b.21: Flags [P.], ...`).
    pub summary: Option<String>,
    /// Where the IP header starts in the captured bytes (`tcpdump -x` dumps from there).
    pub ip_start: Option<usize>,
    /// The transport payload's bytes within the captured bytes.
    pub payload: Option<Range<usize>>,
    /// Sent by the client.
    pub from_client: Option<bool>,
    /// Could not be decoded on its own (an IP fragment, a damaged packet).
    pub undecoded: bool,
    /// The TCP sequence number of its first payload byte.
    pub seq: Option<u32>,
}

/// Bytes of one packet that belong to the credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub packet: usize,
    pub range: Range<usize>,
    pub role: Role,
    /// Control keystrokes (backspace, Enter) inside it are shown even when the secret
    /// is blanked: they tell how the line was edited, nothing of what it holds.
    pub keystrokes: bool,
}

/// Where a credential's parts were found.
#[derive(Debug, Default)]
pub struct Located {
    pub packets: Vec<PacketInfo>,
    pub user: Option<How>,
    pub secret: Option<How>,
    /// Marks of the user name and the secret (the secret's win where both overlap).
    pub marks: Vec<Mark>,
    /// Every place the secret was found in any form: blanked without `--reveal`.
    pub blank: Vec<Mark>,
    /// The user name is inside the same base64 token as the secret.
    pub user_in_secret: bool,
}

fn ip_bytes(ip: std::net::IpAddr) -> Vec<u8> {
    match ip {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// Where the IP header that carries the transport header at `transport` starts.
fn find_ip_start(
    data: &[u8],
    transport: usize,
    src: std::net::IpAddr,
    dst: std::net::IpAddr,
) -> Option<usize> {
    let (s, d) = (ip_bytes(src), ip_bytes(dst));
    (0..transport).rev().find(|&o| {
        let Some(&first) = data.get(o) else {
            return false;
        };
        match (first >> 4, s.len()) {
            (4, 4) => {
                usize::from(first & 15) * 4 + o == transport
                    && data.get(o + 12..o + 16) == Some(&s[..])
                    && data.get(o + 16..o + 20) == Some(&d[..])
            }
            (6, 16) => {
                o + 40 <= transport
                    && data.get(o + 8..o + 24) == Some(&s[..])
                    && data.get(o + 24..o + 40) == Some(&d[..])
            }
            _ => false,
        }
    })
}

/// Offset of `inner` within `outer`, when it is a part of it.
fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}

fn tcp_flags(byte: u8) -> String {
    let mut s = String::new();
    for (bit, c) in [
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
    ] {
        if byte & bit != 0 {
            s.push(c);
        }
    }
    if byte & 0x10 != 0 {
        s.push('.');
    }
    if s.is_empty() {
        s.push_str("none");
    }
    s
}

fn addr_port(ip: std::net::IpAddr, port: u16) -> String {
    format!("{ip}.{port}")
}

/// Decodes one kept packet for the dump.
pub fn decode(p: &CapturedPacket, f: &Finding) -> PacketInfo {
    let packet = Packet {
        frame: p.frame,
        ts: p.ts,
        linktype: p.linktype,
        data: &p.data,
        orig_len: p.orig_len,
    };
    let mut decoder = Decoder::new(DefragLimits::default());
    let Ok(d) = decoder.decode(&packet) else {
        return PacketInfo {
            summary: None,
            ip_start: None,
            payload: None,
            from_client: None,
            undecoded: true,
            seq: None,
        };
    };
    let family = if d.src.is_ipv4() { "IP" } else { "IP6" };
    let seq = match d.transport {
        Transport::Tcp(t) => Some(t.seq),
        Transport::Udp(_) => None,
    };
    let (summary, header, payload, src_port) = match d.transport {
        Transport::Tcp(t) => {
            let flags = t.segment.get(13).copied().unwrap_or(0);
            let mut s = format!(
                "{family} {} > {}: Flags [{}], seq {}",
                addr_port(d.src, t.src_port),
                addr_port(d.dst, t.dst_port),
                tcp_flags(flags),
                t.seq
            );
            if t.wire_len > 0 {
                s.push_str(&format!(":{}", t.seq.wrapping_add(t.wire_len)));
            }
            if flags & 0x10 != 0 {
                s.push_str(&format!(", ack {}", t.ack));
            }
            s.push_str(&format!(", win {}, length {}", t.window, t.wire_len));
            (s, t.segment, t.payload, t.src_port)
        }
        Transport::Udp(u) => (
            format!(
                "{family} {} > {}: UDP, length {}",
                addr_port(d.src, u.src_port),
                addr_port(d.dst, u.dst_port),
                u.payload.len()
            ),
            u.payload,
            u.payload,
            u.src_port,
        ),
    };
    let payload_at = offset_in(&p.data, payload);
    let header_at = offset_in(&p.data, header);
    // A UDP payload's header is 8 bytes before it.
    let transport_at = match d.transport {
        Transport::Tcp(_) => header_at,
        Transport::Udp(_) => payload_at.and_then(|a| a.checked_sub(8)),
    };
    let from_client = d.src == f.client.ip && src_port == f.client.port;
    PacketInfo {
        summary: Some(summary),
        ip_start: transport_at.and_then(|t| find_ip_start(&p.data, t, d.src, d.dst)),
        payload: payload_at.map(|a| a..a + payload.len()),
        from_client: Some(from_client),
        undecoded: payload_at.is_none(),
        seq,
    }
}

/// The payload bytes of one direction, in capture order, and where each byte came from.
struct Stream {
    bytes: Vec<u8>,
    /// Per byte: packet index and offset in its captured bytes.
    at: Vec<(usize, usize)>,
}

impl Stream {
    /// One direction's payloads in TCP sequence order (capture order for UDP), bytes
    /// sent twice (retransmissions) once.
    fn new(packets: &[CapturedPacket], info: &[PacketInfo], from_client: bool) -> Stream {
        let mut s = Stream {
            bytes: Vec::new(),
            at: Vec::new(),
        };
        let mine: Vec<usize> = (0..packets.len().min(info.len()))
            .filter(|&i| info[i].from_client == Some(from_client) && info[i].payload.is_some())
            .collect();
        // Sequence numbers relative to the first packet's (they may wrap).
        let base = mine.first().and_then(|&i| info[i].seq);
        let rel = |i: usize| -> i64 {
            match (base, info[i].seq) {
                (Some(b), Some(q)) => i64::from(q.wrapping_sub(b) as i32),
                _ => 0,
            }
        };
        let mut order = mine.clone();
        if base.is_some() {
            order.sort_by_key(|&i| rel(i));
        }
        let mut covered: Option<i64> = None;
        for i in order {
            let (Some(r), Some(p)) = (info[i].payload.clone(), packets.get(i)) else {
                continue;
            };
            let skip = match (base, covered) {
                (Some(_), Some(end)) => usize::try_from(end - rel(i)).unwrap_or(0),
                _ => 0,
            };
            let r = (r.start + skip).min(r.end)..r.end;
            if let Some(b) = p.data.get(r.clone()) {
                s.bytes.extend_from_slice(b);
                s.at.extend(r.clone().map(|o| (i, o)));
            }
            let end = rel(i) + (r.end - r.start + skip) as i64;
            covered = Some(covered.map_or(end, |c| c.max(end)));
        }
        s
    }

    /// Stream positions as marks, one per run within a packet.
    fn marks(
        &self,
        positions: impl IntoIterator<Item = usize>,
        role: Role,
        keys: bool,
    ) -> Vec<Mark> {
        let mut out: Vec<Mark> = Vec::new();
        for pos in positions {
            let Some(&(packet, off)) = self.at.get(pos) else {
                continue;
            };
            match out.last_mut() {
                Some(m) if m.packet == packet && m.range.end == off => m.range.end += 1,
                _ => out.push(Mark {
                    packet,
                    range: off..off + 1,
                    role,
                    keystrokes: keys,
                }),
            }
        }
        out
    }
}

/// Every occurrence of `needle` in `hay`.
fn occurrences(hay: &[u8], needle: &[u8]) -> Vec<Range<usize>> {
    if needle.is_empty() {
        return Vec::new();
    }
    memchr::memmem::find_iter(hay, needle)
        .map(|i| i..i + needle.len())
        .collect()
}

/// The occurrence is a whole token: no letter or digit right before or after it.
fn bounded(hay: &[u8], r: &Range<usize>) -> bool {
    let before = r.start.checked_sub(1).and_then(|i| hay.get(i));
    let after = hay.get(r.end);
    !before.is_some_and(u8::is_ascii_alphanumeric) && !after.is_some_and(u8::is_ascii_alphanumeric)
}

/// Bytes decoded from a stream, each with the stream range it came from.
struct Mapped {
    bytes: Vec<u8>,
    from: Vec<Range<usize>>,
}

impl Mapped {
    /// Stream positions of the decoded occurrences of `needle`.
    fn find(&self, needle: &[u8]) -> Vec<Vec<usize>> {
        occurrences(&self.bytes, needle)
            .into_iter()
            .map(|r| {
                let start = self.from.get(r.start).map_or(0, |x| x.start);
                let end = self.from.get(r.end - 1).map_or(start, |x| x.end);
                (start..end).collect()
            })
            .collect()
    }
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `%XX` and `+` decoded.
fn url_decoded(s: &[u8]) -> Mapped {
    let mut m = Mapped {
        bytes: Vec::with_capacity(s.len()),
        from: Vec::with_capacity(s.len()),
    };
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex_value),
                s.get(i + 2).copied().and_then(hex_value),
            )
        {
            m.bytes.push(h << 4 | l);
            m.from.push(i..i + 3);
            i += 3;
            continue;
        }
        m.bytes.push(if s[i] == b'+' { b' ' } else { s[i] });
        m.from.push(i..i + 1);
        i += 1;
    }
    m
}

/// Backslash escapes (`\"`, `\\`) removed.
fn unquoted(s: &[u8]) -> Mapped {
    let mut m = Mapped {
        bytes: Vec::with_capacity(s.len()),
        from: Vec::with_capacity(s.len()),
    };
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\'
            && let Some(&next) = s.get(i + 1)
        {
            m.bytes.push(next);
            m.from.push(i..i + 2);
            i += 2;
            continue;
        }
        m.bytes.push(s[i]);
        m.from.push(i..i + 1);
        i += 1;
    }
    m
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// Runs of base64 characters (4 or more) and what they decode to.
fn base64_tokens(s: &[u8]) -> Vec<(Range<usize>, Vec<u8>)> {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, config);
    let url = GeneralPurpose::new(&base64::alphabet::URL_SAFE, config);
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if !is_b64(s[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && is_b64(s[i]) {
            i += 1;
        }
        let token = &s[start..i];
        if token.len() < 4 {
            continue;
        }
        if let Ok(d) = standard.decode(token).or_else(|_| url.decode(token)) {
            out.push((start..i, d));
        }
    }
    out
}

/// The bytes of a hex string (a response findings show in hex), if it is one.
fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() < 16 || !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|p| Some(hex_value(p[0])? << 4 | hex_value(p[1])?))
        .collect()
}

/// Telnet commands removed from a client stream (`IAC IAC` is a 255 byte); what is left
/// maps back to the stream. `IAC EC` and `IAC EL` become backspace and `^U`.
fn telnet_text(s: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let (mut out, mut at) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < s.len() {
        if s[i] != 255 {
            out.push(s[i]);
            at.push(i);
            i += 1;
            continue;
        }
        match s.get(i + 1) {
            Some(255) => {
                out.push(255);
                at.push(i);
                i += 2;
            }
            Some(247) => {
                out.push(0x08);
                at.push(i);
                i += 2;
            }
            Some(248) => {
                out.push(0x15);
                at.push(i);
                i += 2;
            }
            Some(250) => {
                // Subnegotiation: to IAC SE.
                i += 2;
                while i < s.len() && !(s[i] == 255 && s.get(i + 1) == Some(&240)) {
                    i += 1;
                }
                i += 2;
            }
            Some(251..=254) => i += 3,
            _ => i += 2,
        }
    }
    (out, at)
}

/// Lines typed in a keystroke stream equal to `target`: the stream positions of every
/// keystroke of each (edits included, the line's end excluded).
fn typed_lines(stream: &Stream, target: &[u8], telnet: bool) -> Vec<Vec<usize>> {
    let (text, at) = if telnet {
        telnet_text(&stream.bytes)
    } else {
        (stream.bytes.clone(), (0..stream.bytes.len()).collect())
    };
    let mut editor = LineEditor::new(4096);
    let mut found = Vec::new();
    for (i, b) in text.iter().enumerate() {
        // The "frame" of each keystroke is its position: the editor lists the positions
        // that made the line.
        editor.feed(&[*b], i as u64, Timestamp::ZERO, |line| {
            if line.text == target {
                let keys: Vec<usize> = line
                    .frames
                    .iter()
                    .filter(|&&k| !matches!(text.get(k as usize), Some(b'\r' | b'\n' | 0)))
                    .filter_map(|&k| at.get(k as usize).copied())
                    .collect();
                found.push(keys);
            }
        });
    }
    found
}

/// What searching for one part found: how, and the stream positions of each place.
struct Hits {
    how: How,
    places: Vec<Vec<usize>>,
}

/// Finds `target` in a stream, every way it may be there; the first way that finds it is
/// the one shown, all of them are returned for blanking.
fn search(stream: &Stream, target: &[u8], keystrokes: Option<bool>) -> Vec<Hits> {
    let mut all = Vec::new();
    if target.is_empty() || stream.bytes.is_empty() {
        return all;
    }
    if let Some(telnet) = keystrokes {
        let places = typed_lines(stream, target, telnet);
        if !places.is_empty() {
            all.push(Hits {
                how: How::Keystrokes,
                places,
            });
        }
    }
    let plain = occurrences(&stream.bytes, target);
    let whole: Vec<Range<usize>> = plain
        .iter()
        .filter(|r| bounded(&stream.bytes, r))
        .cloned()
        .collect();
    // A short value found only inside longer words is a coincidence, not a finding.
    let chosen = if !whole.is_empty() || target.len() < 4 {
        whole
    } else {
        plain
    };
    if !chosen.is_empty() {
        all.push(Hits {
            how: How::Plain,
            places: chosen.into_iter().map(|r| r.collect()).collect(),
        });
    }
    if stream.bytes.contains(&b'\\') {
        let places = unquoted(&stream.bytes).find(target);
        if !places.is_empty() {
            all.push(Hits {
                how: How::Quoted,
                places,
            });
        }
    }
    if stream.bytes.iter().any(|&b| b == b'%' || b == b'+') {
        let places = url_decoded(&stream.bytes).find(target);
        if !places.is_empty() {
            all.push(Hits {
                how: How::UrlEncoded,
                places,
            });
        }
    }
    let binary = unhex(target);
    let wide = utf16le(target);
    let tokens = base64_tokens(&stream.bytes);
    let places: Vec<Vec<usize>> = tokens
        .iter()
        .filter(|(_, decoded)| {
            memchr::memmem::find(decoded, target).is_some()
                || [&binary, &wide].iter().any(|b| {
                    b.as_ref()
                        .is_some_and(|b| memchr::memmem::find(decoded, b).is_some())
                })
        })
        .map(|(r, _)| r.clone().collect())
        .collect();
    if !places.is_empty() {
        all.push(Hits {
            how: How::Base64,
            places,
        });
    }
    for (form, how) in [(binary, How::Binary), (wide, How::Utf16)] {
        let Some(b) = form else { continue };
        let places: Vec<Vec<usize>> = occurrences(&stream.bytes, &b)
            .into_iter()
            .map(|r| r.collect())
            .collect();
        if !places.is_empty() {
            all.push(Hits { how, places });
        }
    }
    all
}

/// A UTF-8 value in UTF-16LE (NTLM's user and domain names), if it is text.
fn utf16le(s: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(s).ok()?;
    Some(text.encode_utf16().flat_map(u16::to_le_bytes).collect())
}

/// Protocols whose passwords are typed one keystroke per packet (`Some(true)`: with
/// Telnet commands in the stream).
pub fn keystroke_protocol(protocol: &str) -> Option<bool> {
    match protocol {
        "telnet" => Some(true),
        "rlogin" => Some(false),
        _ => None,
    }
}

/// The stream position of the first secret byte marked in `stream`, if any.
fn secret_position(stream: &Stream, marks: &[Mark]) -> Option<usize> {
    stream.at.iter().position(|&(packet, off)| {
        marks
            .iter()
            .any(|m| m.role == Role::Secret && m.packet == packet && m.range.contains(&off))
    })
}

fn overlaps(a: &Mark, b: &Mark) -> bool {
    a.packet == b.packet && a.range.start < b.range.end && b.range.start < a.range.end
}

/// Finds the user name and the secret of `f` in its kept packets. `others`: secrets of
/// other findings whose packets these may share (pipelined requests): blanked too.
pub fn locate(f: &Finding, others: &[&[u8]]) -> Located {
    let c = &f.credential;
    let packets: Vec<PacketInfo> = f.packets.iter().map(|p| decode(p, f)).collect();
    let keys = keystroke_protocol(&c.protocol);
    let mut located = Located::default();
    let streams = [
        Stream::new(&f.packets, &packets, true),
        Stream::new(&f.packets, &packets, false),
    ];
    // The secret first: where it is, the user name is not.
    if let Some(secret) = c.secret.as_deref() {
        for (n, stream) in streams.iter().enumerate() {
            let found = search(stream, secret, if n == 0 { keys } else { None });
            for h in &found {
                for place in &h.places {
                    located.blank.extend(stream.marks(
                        place.iter().copied(),
                        Role::Secret,
                        h.how == How::Keystrokes,
                    ));
                }
            }
            if located.secret.is_none()
                && let Some(h) = found.first()
            {
                located.secret = Some(h.how);
                for place in &h.places {
                    located.marks.extend(stream.marks(
                        place.iter().copied(),
                        Role::Secret,
                        h.how == How::Keystrokes,
                    ));
                }
            }
        }
    }
    for other in others.iter().filter(|o| !o.is_empty()) {
        for stream in &streams {
            for h in search(stream, other, None) {
                for place in &h.places {
                    located
                        .blank
                        .extend(stream.marks(place.iter().copied(), Role::Secret, false));
                }
            }
        }
    }
    if let Some(user) = c.username.as_deref() {
        for (n, stream) in streams.iter().enumerate() {
            if located.user.is_some() {
                break;
            }
            // Where the secret starts in this stream: the user name nearest to it is the
            // one of this login (a packet may carry several).
            let secret_at = secret_position(stream, &located.marks);
            for h in search(stream, user, if n == 0 { keys } else { None }) {
                let mut inside = false;
                let mut apart: Vec<&Vec<usize>> = Vec::new();
                for place in &h.places {
                    let marks = stream.marks(place.iter().copied(), Role::User, false);
                    if marks.iter().any(|m| {
                        located
                            .marks
                            .iter()
                            .any(|s| s.role == Role::Secret && overlaps(s, m))
                    }) {
                        inside = true;
                    } else {
                        apart.push(place);
                    }
                }
                if inside && h.how == How::Base64 {
                    located.user = Some(h.how);
                    located.user_in_secret = true;
                    break;
                }
                if let Some(at) = secret_at {
                    apart.sort_by_key(|p| p.first().map_or(usize::MAX, |&x| x.abs_diff(at)));
                    apart.truncate(1);
                }
                if !apart.is_empty() {
                    located.user = Some(h.how);
                    for place in apart {
                        located.marks.extend(stream.marks(
                            place.iter().copied(),
                            Role::User,
                            h.how == How::Keystrokes,
                        ));
                    }
                    break;
                }
            }
        }
    }
    located.packets = packets;
    located
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_quotes_map_back() {
        let m = url_decoded(b"pw=p%40ss+w");
        assert_eq!(m.find(b"p@ss w"), vec![(3..11).collect::<Vec<_>>()]);
        let q = unquoted(br#""pa\"ss""#);
        assert_eq!(q.find(b"pa\"ss"), vec![(1..7).collect::<Vec<_>>()]);
    }

    #[test]
    fn base64_tokens_decode() {
        let t = base64_tokens(b"AUTH PLAIN AGZyYW5rAHBsQGluIHB3\r\n");
        assert!(
            t.iter()
                .any(|(r, d)| *r == (11..31) && d == b"\0frank\0pl@in pw")
        );
    }

    #[test]
    fn whole_words_win() {
        let hay = b"USER test\r\nPASS test1\r\n";
        let r: Vec<_> = occurrences(hay, b"test")
            .into_iter()
            .filter(|r| bounded(hay, r))
            .collect();
        assert_eq!(r, vec![5..9]);
    }

    #[test]
    fn telnet_commands_are_not_keystrokes() {
        let (t, at) = telnet_text(b"a\xff\xfb\x18b\xff\xff");
        assert_eq!(t, b"ab\xff");
        assert_eq!(at, vec![0, 4, 5]);
    }
}
