//! HTTP/2 in cleartext (RFC 9113 "h2c" with prior knowledge, HPACK RFC 7541), any port,
//! found by the client's connection preface: gRPC without TLS (the usual set-up inside a
//! cluster or behind a mesh's sidecar), `curl --http2-prior-knowledge`, proxies and load
//! balancers speaking h2c to their back ends.
//!
//! Header blocks are HPACK-compressed (Huffman-coded strings, a dynamic table per
//! direction): a byte search sees nothing. Each direction's blocks are decoded in order,
//! as the peer does, and each request's fields are read as HTTP/1's are: `Authorization`
//! and `Proxy-Authorization` (`Basic`, `Bearer`, `Digest`), login fields in the `:path`'s
//! query string, and form, JSON or SOAP (WS-Security) login bodies in `DATA` frames (up to
//! 64 KiB), all through the HTTP dissector's own readers. Findings
//! have protocol `http2`, HTTP's mechanisms, `details.url`, and `details.grpc_method` for
//! a gRPC call (`content-type: application/grpc…`).
//!
//! **Outcome**: the response's `:status`, read as HTTP/1's; for gRPC, whose responses are
//! `200` whatever the call did, the `grpc-status` of its trailers: 16 `UNAUTHENTICATED`
//! and 7 `PERMISSION_DENIED` are `failure`, 0 `OK` `success`. A reset stream, or a
//! connection that ends first, leaves it `unknown`.
//!
//! Not read: the HTTP/1.1 `Upgrade: h2c` path (the HTTP/1 dissector reads its first
//! request), and connections whose start is not in the capture (the dynamic tables are
//! unknown). A gap in a direction ends the reading of that direction's header blocks.

use std::borrow::Cow;

use loona_hpack::Decoder;

use super::http::{self, BodyType, Class};
use super::{Chunk, Dissector, DissectorConfig, Probe, ProtocolSpec};
use crate::finding::{Credential, Outcome};
use crate::flow::Direction;

pub const SPEC: ProtocolSpec = ProtocolSpec {
    name: "http2",
    tcp_ports: &[],
    probe,
    new: |config| Box::new(Http2::new(config)),
};

/// The client connection preface (RFC 9113 section 3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_HEADER: usize = 9;
pub const DATA: u8 = 0;
pub const HEADERS: u8 = 1;
pub const RST_STREAM: u8 = 3;
pub const SETTINGS: u8 = 4;
pub const CONTINUATION: u8 = 9;
pub const END_STREAM: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY: u8 = 0x20;
/// Largest header block assembled; a larger one ends the direction's reading (its
/// dynamic table would be lost).
const MAX_BLOCK: usize = 64 * 1024;
/// Largest dynamic table followed, whatever a peer's SETTINGS_HEADER_TABLE_SIZE allows.
const MAX_TABLE: usize = 64 * 1024;
/// The dynamic table's size until a peer's SETTINGS say otherwise (RFC 9113 6.5.2).
const DEFAULT_TABLE: usize = 4096;
/// Largest login body kept (as HTTP/1's forms).
const MAX_BODY: usize = 64 * 1024;
/// Requests awaiting their answer per connection; the oldest is settled beyond.
const MAX_STREAMS: usize = 64;
/// Longest gRPC method name kept in a finding.
const MAX_GRPC_METHOD: usize = 256;

/// HTTP/2 on any port: the client's first bytes are the connection preface.
pub fn probe(to_server: &[u8], _to_client: &[u8]) -> Probe {
    let n = to_server.len().min(PREFACE.len());
    if to_server[..n] != PREFACE[..n] {
        Probe::No
    } else if n == PREFACE.len() {
        Probe::Yes
    } else {
        Probe::Maybe
    }
}

/// A frame's header (RFC 9113 section 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHead {
    pub len: usize,
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
}

impl FrameHead {
    pub fn parse(h: &[u8; FRAME_HEADER]) -> FrameHead {
        FrameHead {
            len: usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]),
            kind: h[3],
            flags: h[4],
            stream: u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff,
        }
    }
}

/// The header block fragment of a HEADERS frame's payload (padding and priority removed).
pub fn headers_fragment(flags: u8, payload: &[u8]) -> Option<&[u8]> {
    let mut p = payload;
    let mut pad = 0;
    if flags & PADDED != 0 {
        pad = usize::from(*p.first()?);
        p = &p[1..];
    }
    if flags & PRIORITY != 0 {
        p = p.get(5..)?;
    }
    p.get(..p.len().checked_sub(pad)?)
}

/// What the frame being read becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Its header (`have` bytes of it so far).
    Header,
    /// A payload to keep.
    Payload(FrameHead),
    /// A payload passed over: bytes left.
    Skip(usize),
}

/// One direction: its frame reader, HPACK decoder and the header block being assembled.
struct Side {
    /// Preface bytes still to come (the client's).
    preface: usize,
    head: [u8; FRAME_HEADER],
    have: usize,
    reading: Reading,
    payload: Vec<u8>,
    hpack: Decoder<'static>,
    /// A header block continued in CONTINUATION frames: its stream, END_STREAM, bytes.
    block: Option<(u32, bool)>,
    block_bytes: Vec<u8>,
    broken: bool,
    /// The largest dynamic table this direction's encoder may use: what the other side's
    /// SETTINGS_HEADER_TABLE_SIZE allows (a size update above it breaks the direction).
    table_limit: usize,
}

impl Side {
    fn new(preface: usize) -> Side {
        let mut hpack = Decoder::new();
        hpack.set_max_allowed_table_size(DEFAULT_TABLE);
        Side {
            preface,
            head: [0; FRAME_HEADER],
            have: 0,
            reading: Reading::Header,
            payload: Vec::new(),
            hpack,
            block: None,
            block_bytes: Vec::new(),
            broken: false,
            table_limit: DEFAULT_TABLE,
        }
    }
}

/// The request fields read.
#[derive(Debug, Default)]
struct Request {
    stream: u32,
    method: Vec<u8>,
    path: Vec<u8>,
    authority: Vec<u8>,
    grpc: bool,
    /// A form, JSON or SOAP body being collected (`Some` for a login-shaped request).
    body: Option<(BodyType, Vec<u8>)>,
    body_frames: Vec<u64>,
    creds: Vec<(Class, Credential)>,
    /// The response's status, waiting for gRPC trailers.
    status: Option<u16>,
}

impl Request {
    fn url(&self) -> String {
        http::request_url(&self.path, Some(&self.authority))
    }

    fn add(&mut self, class: Class, mut c: Credential) {
        c.protocol = Cow::Borrowed("http2");
        if !c.details.iter().any(|(k, _)| *k == "url") {
            c.details.push(("url", self.url()));
        }
        if self.grpc {
            let method = &self.path[..self.path.len().min(MAX_GRPC_METHOD)];
            c.details
                .push(("grpc_method", String::from_utf8_lossy(method).into_owned()));
        }
        self.creds.push((class, c));
    }

    fn size(&self) -> usize {
        self.path.capacity()
            + self.authority.capacity()
            + self.body.as_ref().map_or(0, |(_, b)| b.capacity())
            + self.creds.len() * 256
            + 128
    }
}

pub struct Http2 {
    client: Side,
    server: Side,
    requests: Vec<Request>,
    user_fields: &'static [&'static str],
    password_fields: &'static [&'static str],
}

impl Http2 {
    pub fn new(config: &DissectorConfig) -> Http2 {
        Http2 {
            client: Side::new(PREFACE.len()),
            server: Side::new(0),
            requests: Vec::new(),
            user_fields: config.form_user_fields,
            password_fields: config.form_password_fields,
        }
    }

    fn side(&mut self, dir: Direction) -> &mut Side {
        match dir {
            Direction::ToServer => &mut self.client,
            Direction::ToClient => &mut self.server,
        }
    }

    /// Whether a DATA frame's payload is read: a login body being collected.
    fn wants_data(&self, dir: Direction, stream: u32) -> bool {
        dir == Direction::ToServer
            && self
                .requests
                .iter()
                .any(|r| r.stream == stream && r.body.is_some())
    }

    fn frame(
        &mut self,
        dir: Direction,
        head: FrameHead,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let payload = std::mem::take(&mut self.side(dir).payload);
        match head.kind {
            HEADERS | CONTINUATION => self.header_frame(dir, head, &payload, chunk, out),
            DATA => self.data_frame(head, &payload, chunk),
            RST_STREAM => self.settle(head.stream, None, chunk, out),
            SETTINGS => {
                // SETTINGS_HEADER_TABLE_SIZE bounds the table of the blocks sent the other
                // way.
                let limit = payload
                    .chunks_exact(6)
                    .rev()
                    .find(|s| s[..2] == [0, 1])
                    .map(|s| u32::from_be_bytes([s[2], s[3], s[4], s[5]]) as usize);
                if let Some(limit) = limit {
                    let other = self.side(dir.opposite());
                    other.table_limit = limit.min(MAX_TABLE);
                    other.hpack.set_max_allowed_table_size(other.table_limit);
                }
            }
            _ => {}
        }
        let side = self.side(dir);
        side.payload = payload;
        side.payload.clear();
    }

    fn header_frame(
        &mut self,
        dir: Direction,
        head: FrameHead,
        payload: &[u8],
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let side = self.side(dir);
        let fragment = match (head.kind, side.block) {
            (HEADERS, None) => {
                side.block = Some((head.stream, head.flags & END_STREAM != 0));
                headers_fragment(head.flags, payload)
            }
            (CONTINUATION, Some((stream, _))) if stream == head.stream => Some(payload),
            _ => None,
        };
        let Some(fragment) = fragment else {
            side.broken = true;
            return;
        };
        if side.block_bytes.len() + fragment.len() > MAX_BLOCK {
            side.broken = true;
            return;
        }
        side.block_bytes.extend_from_slice(fragment);
        if head.flags & END_HEADERS == 0 {
            return;
        }
        let (stream, end_stream) = side.block.take().unwrap_or_default();
        let block = std::mem::take(&mut side.block_bytes);
        let mut fields = Fields::default();
        let decoded = side
            .hpack
            .decode_with_cb(&block, |name: Cow<'_, [u8]>, value: Cow<'_, [u8]>| {
                fields.add(&name, &value)
            });
        let side = self.side(dir);
        side.block_bytes = block;
        side.block_bytes.clear();
        if decoded.is_err() {
            side.broken = true;
            return;
        }
        match dir {
            Direction::ToServer => self.request(stream, end_stream, fields, chunk, out),
            Direction::ToClient => self.response(stream, fields, chunk, out),
        }
    }

    fn request(
        &mut self,
        stream: u32,
        end_stream: bool,
        f: Fields,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        if f.method.is_none() || self.requests.iter().any(|r| r.stream == stream) {
            return; // trailers, or not a request
        }
        let mut req = Request {
            stream,
            method: f.method.unwrap_or_default(),
            path: f.path.unwrap_or_default(),
            authority: f.authority.unwrap_or_default(),
            grpc: f.content_type.as_deref().is_some_and(|t| {
                t.len() >= 16 && t[..16].eq_ignore_ascii_case(b"application/grpc")
            }),
            ..Request::default()
        };
        let ts = chunk.ts;
        for (proxy, value) in f.authorization {
            let (scheme, rest) = http::split_scheme(&value);
            if let Some((class, mut c)) =
                http::authorization_credential(proxy, scheme, rest, &req.method, ts)
            {
                c.add_frames([chunk.frame]);
                req.add(class, c);
            }
        }
        let found = http::query_credential(
            &req.path,
            &req.method,
            self.user_fields,
            self.password_fields,
            ts,
            || req.url(),
        );
        if let Some(mut c) = found {
            c.add_frames([chunk.frame]);
            req.add(Class::Form, c);
        }
        if !end_stream && !req.grpc && req.method.eq_ignore_ascii_case(b"POST") {
            let media = f.content_type.unwrap_or_default();
            let kind = BodyType::of(media.split(|&b| b == b';').next().unwrap_or_default());
            if kind != BodyType::Other {
                req.body = Some((kind, Vec::new()));
            }
        }
        if req.creds.is_empty() && req.body.is_none() {
            return;
        }
        if self.requests.len() >= MAX_STREAMS {
            let oldest = self.requests.remove(0);
            out.extend(oldest.creds.into_iter().map(|(_, c)| c));
        }
        self.requests.push(req);
    }

    fn data_frame(&mut self, head: FrameHead, payload: &[u8], chunk: &Chunk<'_>) {
        let Some(i) = self.requests.iter().position(|r| r.stream == head.stream) else {
            return;
        };
        let (user_fields, password_fields) = (self.user_fields, self.password_fields);
        let req = &mut self.requests[i];
        let Some((kind, body)) = req.body.as_mut() else {
            return;
        };
        let data = headers_fragment(head.flags & PADDED, payload).unwrap_or_default();
        if body.len() + data.len() > MAX_BODY {
            req.body = None;
            return;
        }
        body.extend_from_slice(data);
        req.body_frames.push(chunk.frame);
        if head.flags & END_STREAM == 0 {
            return;
        }
        let (kind, body) = (*kind, std::mem::take(body));
        req.body = None;
        let found =
            http::body_credential(kind, &body, user_fields, password_fields, chunk.ts, || {
                req.url()
            });
        if let Some(mut c) = found {
            c.add_frames(req.body_frames.iter().copied());
            req.add(Class::Form, c);
        }
        if req.creds.is_empty() {
            self.requests.remove(i);
        }
    }

    fn response(&mut self, stream: u32, f: Fields, chunk: &Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(i) = self.requests.iter().position(|r| r.stream == stream) else {
            return;
        };
        let req = &mut self.requests[i];
        if let Some(status) = f.status {
            req.status = Some(status);
        }
        let verdict = match (req.grpc, f.grpc_status, req.status) {
            (true, Some(g), _) => Some(Verdict::Grpc(g)),
            // A gRPC call answered 200 waits for its trailers.
            (true, None, Some(200)) => None,
            (_, _, Some(status)) => Some(Verdict::Status(status)),
            _ => None,
        };
        if let Some(v) = verdict {
            self.settle(stream, Some(v), chunk, out);
        }
    }

    /// Stream `stream`'s credentials, with the verdict (`None`: reset, unknown).
    fn settle(
        &mut self,
        stream: u32,
        verdict: Option<Verdict>,
        chunk: &Chunk<'_>,
        out: &mut Vec<Credential>,
    ) {
        let Some(i) = self.requests.iter().position(|r| r.stream == stream) else {
            return;
        };
        let req = self.requests.remove(i);
        for (class, mut c) in req.creds {
            c.outcome = match verdict {
                Some(Verdict::Status(s)) => http::outcome(class, s),
                Some(Verdict::Grpc(0)) => Outcome::Success,
                Some(Verdict::Grpc(7 | 16)) => Outcome::Failure,
                _ => Outcome::Unknown,
            };
            if let Some(Verdict::Grpc(g)) = verdict
                && g != 0
            {
                c.details.push(("grpc_status", g.to_string()));
            }
            if verdict.is_some() {
                c.add_frames([chunk.frame]);
            }
            out.push(c);
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Verdict {
    Status(u16),
    Grpc(u32),
}

/// The fields of a header block that matter here.
#[derive(Debug, Default)]
struct Fields {
    method: Option<Vec<u8>>,
    path: Option<Vec<u8>>,
    authority: Option<Vec<u8>>,
    content_type: Option<Vec<u8>>,
    /// (`Proxy-Authorization`, value) of each authorization field.
    authorization: Vec<(bool, Vec<u8>)>,
    status: Option<u16>,
    grpc_status: Option<u32>,
}

impl Fields {
    fn add(&mut self, name: &[u8], value: &[u8]) {
        let text = || std::str::from_utf8(value).ok().map(str::trim);
        match name {
            b":method" => self.method = Some(value.to_vec()),
            b":path" => self.path = Some(value.to_vec()),
            b":authority" => self.authority = Some(value[..value.len().min(256)].to_vec()),
            b":status" => self.status = text().and_then(|t| t.parse().ok()),
            b"content-type" => self.content_type = Some(value[..value.len().min(128)].to_vec()),
            b"grpc-status" => self.grpc_status = text().and_then(|t| t.parse().ok()),
            b"authorization" | b"proxy-authorization" if self.authorization.len() < 4 => self
                .authorization
                .push((name == b"proxy-authorization", value.to_vec())),
            _ => {}
        }
    }
}

impl Dissector for Http2 {
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let mut data = chunk.data;
        while !data.is_empty() {
            let side = self.side(dir);
            if side.broken {
                return;
            }
            if side.preface > 0 {
                let n = side.preface.min(data.len());
                let at = PREFACE.len() - side.preface;
                if data[..n] != PREFACE[at..at + n] {
                    side.broken = true;
                    return;
                }
                side.preface -= n;
                data = &data[n..];
                continue;
            }
            match side.reading {
                Reading::Skip(left) => {
                    let n = left.min(data.len());
                    data = &data[n..];
                    side.reading = if n == left {
                        Reading::Header
                    } else {
                        Reading::Skip(left - n)
                    };
                }
                Reading::Header => {
                    let n = (FRAME_HEADER - side.have).min(data.len());
                    side.head[side.have..side.have + n].copy_from_slice(&data[..n]);
                    side.have += n;
                    data = &data[n..];
                    if side.have < FRAME_HEADER {
                        continue;
                    }
                    side.have = 0;
                    let head = FrameHead::parse(&side.head);
                    let keep = match head.kind {
                        HEADERS | CONTINUATION | RST_STREAM => true,
                        SETTINGS => head.stream == 0,
                        DATA => self.wants_data(dir, head.stream),
                        _ => false,
                    };
                    if keep && head.len == 0 {
                        self.frame(dir, head, &chunk, out);
                        continue;
                    }
                    let side = self.side(dir);
                    side.reading = if keep && head.len <= MAX_BLOCK {
                        Reading::Payload(head)
                    } else if keep && head.kind != DATA {
                        // A header block this large: its dynamic table is lost with it.
                        side.broken = true;
                        return;
                    } else if head.len == 0 {
                        Reading::Header
                    } else {
                        Reading::Skip(head.len)
                    };
                }
                Reading::Payload(head) => {
                    let n = (head.len - side.payload.len()).min(data.len());
                    side.payload.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    if side.payload.len() == head.len {
                        side.reading = Reading::Header;
                        self.frame(dir, head, &chunk, out);
                    }
                }
            }
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut Vec<Credential>) {
        // The dynamic table cannot be followed past lost bytes.
        self.side(dir).broken = true;
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        for req in self.requests.drain(..) {
            out.extend(req.creds.into_iter().map(|(_, c)| c));
        }
    }

    fn done(&self) -> bool {
        self.client.broken && self.server.broken && self.requests.is_empty()
    }

    fn buffered(&self) -> usize {
        // The dynamic tables at the size their peers allow.
        let side = |s: &Side| s.payload.capacity() + s.block_bytes.capacity() + s.table_limit;
        side(&self.client)
            + side(&self.server)
            + self.requests.iter().map(Request::size).sum::<usize>()
    }

    fn skip(&mut self, dir: Direction) -> u64 {
        let side = self.side(dir);
        match side.reading {
            Reading::Skip(left) if side.preface == 0 && !side.broken => {
                side.reading = Reading::Header;
                left as u64
            }
            _ => 0,
        }
    }
}

/// HTTP/2 frames, for tests and fixtures.
#[cfg(test)]
pub mod build {
    /// A frame of `kind` with `flags` on `stream`.
    pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
        f.extend(stream.to_be_bytes());
        f.extend(payload);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::build::frame;
    use super::*;
    use crate::dissect::script::{play, summary};
    use crate::finding::Kind;
    use crate::timestamp::Timestamp;
    use Direction::{ToClient as S, ToServer as C};
    use loona_hpack::Encoder;

    fn b64(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// One direction's header blocks, encoded with one HPACK context (dynamic table).
    struct Blocks(Encoder<'static>);

    impl Blocks {
        fn new() -> Blocks {
            Blocks(Encoder::new())
        }

        fn encode(&mut self, fields: &[(&str, &str)]) -> Vec<u8> {
            self.0
                .encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
        }

        fn headers(&mut self, stream: u32, flags: u8, fields: &[(&str, &str)]) -> Vec<u8> {
            let block = self.encode(fields);
            frame(HEADERS, flags | END_HEADERS, stream, &block)
        }
    }

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        play(&mut Http2::new(&DissectorConfig::default()), script).0
    }

    fn settings() -> Vec<u8> {
        frame(4, 0, 0, &[0, 3, 0, 0, 0, 100])
    }

    fn request(path: &str, auth: Option<&str>, content_type: &str) -> Vec<(&'static str, String)> {
        let mut f = vec![
            (":method", "POST".to_string()),
            (":scheme", "http".to_string()),
            (":authority", "api.test:50051".to_string()),
            (":path", path.to_string()),
            ("content-type", content_type.to_string()),
        ];
        if let Some(a) = auth {
            f.push(("authorization", a.to_string()));
        }
        f
    }

    fn fields<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        v.iter().map(|(n, s)| (*n, s.as_str())).collect()
    }

    #[test]
    fn grpc_bearer_tokens_settled_by_grpc_status() {
        let (mut c, mut s) = (Blocks::new(), Blocks::new());
        let good = request(
            "/demo.Vault/Get",
            Some("Bearer tok-good"),
            "application/grpc",
        );
        let bad = request(
            "/demo.Vault/Get",
            Some("Bearer tok-bad"),
            "application/grpc+proto",
        );
        let client = [
            PREFACE.to_vec(),
            settings(),
            c.headers(1, 0, &fields(&good)),
            frame(DATA, END_STREAM, 1, &[0, 0, 0, 0, 2, 8, 1]),
            c.headers(3, 0, &fields(&bad)),
            frame(DATA, END_STREAM, 3, &[0, 0, 0, 0, 2, 8, 1]),
        ]
        .concat();
        let server = [
            settings(),
            s.headers(
                1,
                0,
                &[(":status", "200"), ("content-type", "application/grpc")],
            ),
            frame(DATA, 0, 1, &[0, 0, 0, 0, 1, 7]),
            s.headers(1, END_STREAM, &[("grpc-status", "0")]),
            // Trailers-only: the refusal in the response's only header block.
            s.headers(
                3,
                END_STREAM,
                &[
                    (":status", "200"),
                    ("content-type", "application/grpc"),
                    ("grpc-status", "16"),
                    ("grpc-message", "bad token"),
                ],
            ),
        ]
        .concat();
        let out = run(&[(C, client), (S, server)]);
        assert_eq!(
            summary(&out),
            vec![
                ("Bearer", &b""[..], &b"tok-good"[..], Outcome::Success),
                ("Bearer", &b""[..], &b"tok-bad"[..], Outcome::Failure),
            ]
        );
        assert_eq!(out[0].protocol, "http2");
        assert_eq!(out[0].kind, Kind::Token);
        assert_eq!(
            out[0].detail("url"),
            Some("http://api.test:50051/demo.Vault/Get")
        );
        assert_eq!(out[0].detail("grpc_method"), Some("/demo.Vault/Get"));
        assert_eq!(out[1].detail("grpc_status"), Some("16"));
    }

    #[test]
    fn basic_query_and_form_logins_with_http_statuses() {
        let (mut c, mut s) = (Blocks::new(), Blocks::new());
        let basic = format!("Basic {}", b64("alice:Wonder-1"));
        let get = [
            (":method", "GET"),
            (":scheme", "http"),
            (":authority", "intranet"),
            (":path", "/admin"),
            ("authorization", basic.as_str()),
        ];
        // The same request again: the encoder now indexes the fields (dynamic table).
        let query = [
            (":method", "GET"),
            (":scheme", "http"),
            (":authority", "intranet"),
            (":path", "/login?user=bob&password=B0b%21"),
        ];
        let post = request(
            "/session",
            None,
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        let client = [
            PREFACE.to_vec(),
            c.headers(1, END_STREAM, &get),
            c.headers(3, END_STREAM, &get),
            c.headers(5, END_STREAM, &query),
            c.headers(7, 0, &fields(&post)),
            frame(DATA, 0, 7, b"login=carol&pass"),
            // Padded: a pad length, then the data, then the padding.
            frame(DATA, END_STREAM | PADDED, 7, b"\x03wd=C4rol\0\0\0"),
        ]
        .concat();
        let server = [
            s.headers(1, END_STREAM, &[(":status", "401")]),
            s.headers(3, END_STREAM, &[(":status", "200")]),
            s.headers(5, END_STREAM, &[(":status", "403")]),
            s.headers(7, END_STREAM, &[(":status", "302"), ("location", "/home")]),
        ]
        .concat();
        let out = run(&[(C, client), (S, server)]);
        assert_eq!(
            summary(&out),
            vec![
                ("Basic", &b"alice"[..], &b"Wonder-1"[..], Outcome::Failure),
                ("Basic", &b"alice"[..], &b"Wonder-1"[..], Outcome::Success),
                (
                    "GET query string",
                    &b"bob"[..],
                    &b"B0b!"[..],
                    Outcome::Failure
                ),
                ("POST form", &b"carol"[..], &b"C4rol"[..], Outcome::Success),
            ]
        );
        assert_eq!(out[0].detail("url"), Some("http://intranet/admin"));
        assert_eq!(out[2].detail("url"), Some("http://intranet/login"));
        assert_eq!(out[3].frames, vec![1, 2]);
    }

    #[test]
    fn soap_usernametoken_in_data_frames() {
        let (mut c, mut s) = (Blocks::new(), Blocks::new());
        let post = request(
            "/onvif/device_service",
            None,
            "application/soap+xml; charset=utf-8",
        );
        let body = "<s:Envelope><s:Header><wsse:Security xmlns:wsse=\"x\"><wsse:UsernameToken>\
            <wsse:Username>operator</wsse:Username><wsse:Password>Cam&amp;Pass1</wsse:Password>\
            </wsse:UsernameToken></wsse:Security></s:Header><s:Body/></s:Envelope>";
        let client = [
            PREFACE.to_vec(),
            c.headers(1, 0, &fields(&post)),
            frame(DATA, END_STREAM, 1, body.as_bytes()),
        ]
        .concat();
        let server = s.headers(1, END_STREAM, &[(":status", "200")]);
        let out = run(&[(C, client), (S, server)]);
        assert_eq!(
            summary(&out),
            vec![(
                "UsernameToken PasswordText",
                &b"operator"[..],
                &b"Cam&Pass1"[..],
                Outcome::Success
            )]
        );
        assert_eq!(out[0].protocol, "http2");
        assert_eq!(
            out[0].detail("url"),
            Some("http://api.test:50051/onvif/device_service")
        );
    }

    #[test]
    fn continuation_padding_priority_and_resets() {
        let mut c = Blocks::new();
        let block = c.encode(&[
            (":method", "GET"),
            (":path", "/x"),
            (":authority", "h"),
            ("authorization", "Bearer abc.def.ghi"),
        ]);
        let (a, b) = block.split_at(5);
        // HEADERS padded and with priority, then a CONTINUATION ending the block.
        let mut first = vec![2];
        first.extend([0, 0, 0, 0, 16]);
        first.extend(a);
        first.extend([0, 0]);
        let client = [
            PREFACE.to_vec(),
            frame(HEADERS, PADDED | PRIORITY | END_STREAM, 1, &first),
            frame(CONTINUATION, END_HEADERS, 1, b),
        ]
        .concat();
        let out = run(&[(C, client), (S, frame(RST_STREAM, 0, 1, &[0, 0, 0, 8]))]);
        assert_eq!(
            summary(&out),
            vec![("Bearer", &b""[..], &b"abc.def.ghi"[..], Outcome::Unknown)]
        );
        // A CONTINUATION of another stream breaks the direction: nothing read after it.
        let mut c = Blocks::new();
        let block = c.encode(&[(":method", "GET"), ("authorization", "Bearer zzz")]);
        let client = [
            PREFACE.to_vec(),
            frame(HEADERS, 0, 1, &block[..3]),
            frame(CONTINUATION, END_HEADERS, 3, &block[3..]),
        ]
        .concat();
        assert!(run(&[(C, client)]).is_empty());
    }

    #[test]
    fn any_split_gives_the_same_findings_and_bulk_data_is_skipped() {
        let (mut c, mut s) = (Blocks::new(), Blocks::new());
        let auth = format!("Basic {}", b64("u:p"));
        let get = [
            (":method", "GET"),
            (":path", "/"),
            ("authorization", auth.as_str()),
        ];
        let client = [PREFACE.to_vec(), settings(), c.headers(1, END_STREAM, &get)].concat();
        let server = [
            s.headers(1, 0, &[(":status", "200")]),
            frame(DATA, 0, 1, &[0x42; 3000]),
            frame(DATA, END_STREAM, 1, &[0x43; 10]),
        ]
        .concat();
        let want = run(&[(C, client.clone()), (S, server.clone())]);
        assert_eq!(
            summary(&want),
            vec![("Basic", &b"u"[..], &b"p"[..], Outcome::Success)]
        );
        for cut in 0..client.len() {
            let out = run(&[
                (C, client[..cut].to_vec()),
                (C, client[cut..].to_vec()),
                (S, server.clone()),
            ]);
            assert_eq!(summary(&out), summary(&want), "client cut at {cut}");
        }
        // The server's DATA payloads are handed to the engine to pass over.
        let mut d = Http2::new(&DissectorConfig::default());
        let mut out = Vec::new();
        let chunk = |data| Chunk {
            data,
            frame: 1,
            ts: Timestamp::ZERO,
        };
        d.data(C, chunk(&client), &mut out);
        d.data(S, chunk(&server[..server.len() - 3019]), &mut out);
        assert_eq!(d.skip(S), 3000);
        d.data(S, chunk(&server[server.len() - 19..]), &mut out);
        d.close(&mut out);
        assert_eq!(summary(&out), summary(&want));
    }

    #[test]
    fn table_size_updates_within_what_the_peer_allowed() {
        let mut c = Blocks::new();
        let auth = format!("Basic {}", b64("t:u"));
        let get = c.headers(
            1,
            END_STREAM,
            &[(":method", "GET"), ("authorization", auth.as_str())],
        );
        // The server's encoder grows its table to 8192 (a size update: 001xxxxx, 8192).
        let mut s = Blocks::new();
        let block = [&[0x3f, 0xe1, 0x3f][..], &s.encode(&[(":status", "200")])].concat();
        let answer = frame(HEADERS, END_HEADERS | END_STREAM, 1, &block);
        let outcome = |client_settings: &[u8]| {
            let client = [PREFACE, client_settings, &get].concat();
            let out = run(&[(C, client), (S, answer.clone())]);
            summary(&out)[0].3
        };
        // Allowed by the client's SETTINGS_HEADER_TABLE_SIZE: the answer is read.
        assert_eq!(
            outcome(&frame(SETTINGS, 0, 0, &[0, 1, 0, 0, 0x20, 0])),
            Outcome::Success
        );
        // Beyond the default 4096 without it: the server's direction is not followed.
        assert_eq!(outcome(&settings()), Outcome::Unknown);
        assert_eq!(
            outcome(&frame(SETTINGS, 0, 0, &[0, 1, 0, 0, 0x10, 0])),
            Outcome::Unknown
        );
    }

    #[test]
    fn probe_preface_and_what_breaks_a_direction() {
        assert_eq!(probe(PREFACE, b""), Probe::Yes);
        assert_eq!(probe(&PREFACE[..10], b""), Probe::Maybe);
        assert_eq!(probe(b"", b""), Probe::Maybe);
        assert_eq!(probe(b"PRI * HTTP/1.1\r\n", b""), Probe::No);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", b""), Probe::No);
        // Not the preface, garbage blocks, a gap: nothing, no panic.
        let mut c = Blocks::new();
        let get = c.headers(
            1,
            END_STREAM,
            &[(":method", "GET"), ("authorization", "Bearer t")],
        );
        assert!(
            run(&[(
                C,
                [b"PRI * HTTP/2.1\r\n\r\nSM\r\n\r\n".to_vec(), get.clone()].concat()
            )])
            .is_empty()
        );
        assert!(
            run(&[(
                C,
                [PREFACE.to_vec(), frame(HEADERS, END_HEADERS, 1, &[0xff; 9])].concat()
            )])
            .is_empty()
        );
        let mut d = Http2::new(&DissectorConfig::default());
        let mut out = Vec::new();
        d.data(
            C,
            Chunk {
                data: PREFACE,
                frame: 1,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        d.gap(C, 10, &mut out);
        d.data(
            C,
            Chunk {
                data: &get,
                frame: 2,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        d.gap(S, 10, &mut out);
        assert!(out.is_empty() && d.done());
    }

    #[test]
    fn mutated_streams_never_panic() {
        let mut c = Blocks::new();
        let valid = vec![
            [PREFACE.to_vec(), settings()].concat(),
            c.headers(
                1,
                0,
                &fields(&request("/a", Some("Bearer x"), "application/grpc")),
            ),
            frame(DATA, END_STREAM | PADDED, 1, b"\x01ab\0"),
            frame(CONTINUATION, END_HEADERS, 1, &[0x82, 0x84]),
            frame(RST_STREAM, 0, 1, &[0, 0, 0, 8]),
        ];
        crate::dissect::garbage::feed(
            0x5eed,
            300,
            8,
            &valid,
            || Http2::new(&DissectorConfig::default()),
            |_| {},
            |rng| u64::from(rng.next() % 64),
            |d| assert!(d.requests.len() <= MAX_STREAMS),
        );
    }
}
