//! WebSocket (RFC 6455) after an HTTP upgrade: the messages of a protocol carried inside,
//! handed to that protocol's dissector.
//!
//! Browsers and IoT dashboards speak MQTT over WebSocket (`Sec-WebSocket-Protocol: mqtt`,
//! mosquitto's and HiveMQ's websockets listeners, Paho's JavaScript client) and STOMP over
//! WebSocket (`v12.stomp`, RabbitMQ's Web-STOMP, ActiveMQ): their `CONNECT` carries the user
//! name and password exactly as on their own ports. WebRTC softphones send SIP over
//! WebSocket (`sip`, RFC 7118: `REGISTER` with Digest), and AMQP 1.0 clients of Azure
//! Service Bus and Qpid AMQP (`amqp`: SASL PLAIN). Web chat clients speak XMPP over
//! WebSocket (`xmpp`, RFC 7395: Converse.js, Strophe.js against Prosody's, ejabberd's or
//! Openfire's `/xmpp-websocket`; an `<open/>` element instead of a stream header, then SASL
//! as on 5222) and IRC (`text.ircv3.net`, `binary.ircv3.net`, InspIRCd 3's
//! `text.inspircd.org` and `binary.inspircd.org`: web clients such as The Lounge, KiwiIRC
//! and gamja against UnrealIRCd, InspIRCd, Ergo; one line a message, its
//! CRLF left out, so each message is handed over as a line). Neo4j Browser and the
//! JavaScript driver speak Bolt over WebSocket on 7687 without naming a subprotocol: a
//! connection upgraded without one is read when its first data is Bolt's handshake. Once
//! the server answers `101 Switching
//! Protocols` with a subprotocol the HTTP dissector knows, each direction's frames are read
//! (a FIN/opcode byte, a length of 7, 16 or 64 bits, the client's 4-byte mask), the data
//! frames' payloads unmasked and given, in order, to that protocol's dissector as that
//! direction's bytes; control frames (close, ping, pong) are passed over. Findings say
//! `details.transport` `websocket`. Compressed messages (`permessage-deflate`, RSV1) are
//! not read: the inspection ends there.

use super::{Chunk, Dissector, amqp, bolt, irc, mqtt, sip, stomp, xmpp};
use crate::finding::Credential;
use crate::flow::Direction;

/// The dissector of a subprotocol named in `Sec-WebSocket-Protocol`.
pub fn inner_for(subprotocol: &[u8]) -> Option<Box<dyn Dissector>> {
    let p = subprotocol.trim_ascii().to_ascii_lowercase();
    let config = super::DissectorConfig::default();
    if p == b"mqtt" || p == b"mqttv3.1" || p == b"mqttv3.1.1" {
        Some((mqtt::SPEC.new)(&config))
    } else if p.ends_with(b"stomp") {
        Some((stomp::SPEC.new)(&config))
    } else if p == b"sip" {
        // RFC 7118: WebRTC softphones registering to Asterisk, FreeSWITCH, Kamailio.
        Some((sip::SPEC.new)(&config))
    } else if p == b"amqp" {
        // The AMQP WebSocket Binding (Azure Service Bus, Event Hubs, Qpid).
        Some((amqp::SPEC.new)(&config))
    } else if p == b"xmpp" {
        Some((xmpp::SPEC.new)(&config))
    } else if is_irc(&p) {
        Some((irc::SPEC.new)(&config))
    } else {
        None
    }
}

/// IRCv3's WebSocket subprotocols and InspIRCd 3's own: one IRC line a message, without
/// its CRLF.
fn is_irc(p: &[u8]) -> bool {
    matches!(
        p,
        b"text.ircv3.net" | b"binary.ircv3.net" | b"text.inspircd.org" | b"binary.inspircd.org"
    )
}

/// The WebSocket reader of a connection upgraded without a subprotocol: its first data
/// says which protocol it carries, if one read there (Bolt).
pub fn sniffing() -> WebSocket {
    WebSocket {
        inner: None,
        sides: Default::default(),
        done: false,
        lines: false,
    }
}

/// The WebSocket reader of a connection upgraded to `subprotocol`, when its protocol is
/// read.
pub fn for_subprotocol(subprotocol: &[u8]) -> Option<WebSocket> {
    let mut ws = WebSocket::new(inner_for(subprotocol)?);
    ws.lines = is_irc(&subprotocol.trim_ascii().to_ascii_lowercase());
    Some(ws)
}

/// One direction's frame being read.
#[derive(Debug, Default)]
struct Side {
    /// The frame header read so far (at most 14 bytes).
    header: Vec<u8>,
    /// Payload bytes of the current frame still to come.
    remaining: u64,
    /// The frame's mask and where the next payload byte falls in it.
    mask: Option<[u8; 4]>,
    mask_at: usize,
    /// The current frame carries data (text, binary, continuation).
    data: bool,
    /// The current frame ends a message (FIN).
    fin: bool,
    /// The last data byte handed over.
    last: Option<u8>,
}

/// The length of a frame header starting with `b` (its first two bytes known).
fn header_len(b: &[u8]) -> usize {
    let extended = match b[1] & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + extended + if b[1] & 0x80 != 0 { 4 } else { 0 }
}

/// The WebSocket frames of an upgraded connection, their data for `inner`.
pub struct WebSocket {
    /// The protocol inside; `None` until the first data says which (no subprotocol).
    inner: Option<Box<dyn Dissector>>,
    sides: [Side; 2],
    done: bool,
    /// Each message is a line whose end is not sent (IRC): one is handed over after it.
    lines: bool,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("done", &self.done)
            .finish()
    }
}

impl WebSocket {
    /// A whole message of `dir` was handed over: for line protocols, its line ends.
    fn message_end(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let side = &mut self.sides[dir.index()];
        if !self.lines || side.last == Some(b'\n') {
            return;
        }
        side.last = Some(b'\n');
        let end = Chunk {
            data: b"\r\n",
            frame: chunk.frame,
            ts: chunk.ts,
        };
        if let Some(inner) = self.inner.as_mut() {
            inner.data(dir, end, out);
        }
    }

    pub fn new(inner: Box<dyn Dissector>) -> WebSocket {
        WebSocket {
            inner: Some(inner),
            sides: Default::default(),
            done: false,
            lines: false,
        }
    }
}

impl Dissector for WebSocket {
    /// `dir`'s bytes: frames read, data given to the inner dissector.
    fn data(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let from = out.len();
        let mut rest = chunk.data;
        let mut unmasked = Vec::new();
        while !rest.is_empty() && !self.done {
            let side = &mut self.sides[dir.index()];
            if side.remaining == 0 {
                // A frame header, perhaps across chunks.
                let want = if side.header.len() < 2 {
                    2
                } else {
                    header_len(&side.header)
                };
                let take = (want - side.header.len()).min(rest.len());
                side.header.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if side.header.len() < want || want == 2 && header_len(&side.header) > 2 {
                    continue;
                }
                let h = std::mem::take(&mut side.header);
                if h[0] & 0x40 != 0 {
                    // permessage-deflate: compressed payloads.
                    self.done = true;
                    break;
                }
                let opcode = h[0] & 0x0f;
                let (len, at) = match h[1] & 0x7f {
                    126 => (u64::from(u16::from_be_bytes([h[2], h[3]])), 4),
                    127 => (
                        u64::from_be_bytes(h[2..10].try_into().expect("8 bytes")),
                        10,
                    ),
                    n => (u64::from(n), 2),
                };
                side.mask = (h[1] & 0x80 != 0).then(|| [h[at], h[at + 1], h[at + 2], h[at + 3]]);
                side.mask_at = 0;
                side.data = matches!(opcode, 0..=2);
                side.fin = h[0] & 0x80 != 0;
                side.remaining = len;
                if len == 0 && side.data && side.fin {
                    self.message_end(dir, chunk, out);
                }
                continue;
            }
            let take = usize::try_from(side.remaining)
                .unwrap_or(usize::MAX)
                .min(rest.len());
            let (payload, after) = rest.split_at(take);
            rest = after;
            side.remaining -= take as u64;
            if !side.data {
                continue;
            }
            let data = match side.mask {
                Some(m) => {
                    unmasked.clear();
                    unmasked.extend(
                        payload
                            .iter()
                            .enumerate()
                            .map(|(i, &b)| b ^ m[(side.mask_at + i) % 4]),
                    );
                    side.mask_at = (side.mask_at + take) % 4;
                    &unmasked[..]
                }
                None => payload,
            };
            let inner = Chunk {
                data,
                frame: chunk.frame,
                ts: chunk.ts,
            };
            side.last = data.last().copied().or(side.last);
            let ends = side.fin && side.remaining == 0;
            if self.inner.is_none() {
                // No subprotocol named: Bolt is known by its magic (Neo4j Browser and the
                // JavaScript driver's WebSocket on 7687).
                if dir == Direction::ToServer && bolt::probe(data, b"") == super::Probe::Yes {
                    self.inner = Some((bolt::SPEC.new)(&super::DissectorConfig::default()));
                } else {
                    self.done = true;
                    break;
                }
            }
            let Some(reader) = self.inner.as_mut() else {
                break;
            };
            reader.data(dir, inner, out);
            self.done |= reader.done();
            if ends {
                self.message_end(dir, chunk, out);
            }
        }
        mark(&mut out[from..]);
    }

    fn gap(&mut self, dir: Direction, len: u64, out: &mut Vec<Credential>) {
        let from = out.len();
        // Frames cannot be found again after lost bytes.
        if let Some(inner) = self.inner.as_mut() {
            inner.gap(dir, len, out);
        }
        self.done = true;
        mark(&mut out[from..]);
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        let from = out.len();
        if let Some(inner) = self.inner.as_mut() {
            inner.close(out);
        }
        mark(&mut out[from..]);
    }

    fn done(&self) -> bool {
        self.done
    }

    fn buffered(&self) -> usize {
        self.inner.as_ref().map_or(0, |i| i.buffered()) + 28
    }
}

fn mark(found: &mut [Credential]) {
    for c in found {
        c.details.push(("transport", "websocket".to_string()));
    }
}

/// WebSocket frames, for tests and fixtures.
pub mod build {
    /// A final frame of `opcode` with `payload`, masked with `mask` when given (clients
    /// mask, servers do not).
    pub fn frame(opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
        let mut v = vec![0x80 | opcode];
        let bit = if mask.is_some() { 0x80 } else { 0 };
        match payload.len() {
            n if n < 126 => v.push(bit | n as u8),
            n if n <= 0xffff => {
                v.push(bit | 126);
                v.extend((n as u16).to_be_bytes());
            }
            n => {
                v.push(bit | 127);
                v.extend((n as u64).to_be_bytes());
            }
        }
        match mask {
            Some(m) => {
                v.extend(m);
                v.extend(payload.iter().enumerate().map(|(i, &b)| b ^ m[i % 4]));
            }
            None => v.extend(payload),
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::frame;
    use super::*;
    use crate::finding::Outcome;

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        let mut ws = WebSocket::new(inner_for(b"mqtt").unwrap());
        crate::dissect::script::play(&mut ws, script).0
    }

    /// An MQTT 3.1.1 CONNECT with a user name and password.
    fn connect(user: &str, password: &str) -> Vec<u8> {
        let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0xc2, 0, 60];
        for s in ["ws-client", user, password] {
            body.extend((s.len() as u16).to_be_bytes());
            body.extend(s.as_bytes());
        }
        let mut v = vec![0x10, body.len() as u8];
        v.extend(body);
        v
    }

    #[test]
    fn mqtt_connect_in_masked_frames() {
        let c = connect("dash", "Ws-Mqtt-1");
        let framed = frame(2, &c, Some([0x12, 0x34, 0x56, 0x78]));
        // Split inside the header and inside the payload.
        let (a, b) = framed.split_at(1);
        let (b, d) = b.split_at(9);
        let out = run(&[
            (Direction::ToServer, frame(9, b"ping", Some([1, 2, 3, 4]))),
            (Direction::ToServer, a.to_vec()),
            (Direction::ToServer, b.to_vec()),
            (Direction::ToServer, d.to_vec()),
            (Direction::ToClient, frame(2, &[0x20, 2, 0, 0], None)),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].protocol, "mqtt");
        assert_eq!(out[0].username.as_deref(), Some(&b"dash"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"Ws-Mqtt-1"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(
            out[0]
                .details
                .contains(&("transport", "websocket".to_string()))
        );
        // A message split over a first frame and a continuation.
        let (x, y) = c.split_at(7);
        let mut first = frame(2, x, Some([9, 9, 9, 9]));
        first[0] &= 0x7f; // not final
        let out = run(&[
            (Direction::ToServer, first),
            (Direction::ToServer, frame(0, y, Some([7, 7, 7, 7]))),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"Ws-Mqtt-1"[..]));
    }

    #[test]
    fn long_lengths_compression_and_subprotocols() {
        // A 16-bit length (a long password).
        let long = "p".repeat(300);
        let out = run(&[(
            Direction::ToServer,
            frame(
                2,
                &{
                    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0xc2, 0, 60];
                    for s in ["c", "u", long.as_str()] {
                        body.extend((s.len() as u16).to_be_bytes());
                        body.extend(s.as_bytes());
                    }
                    let mut v = vec![
                        0x10,
                        (body.len() as u8 & 0x7f) | 0x80,
                        (body.len() >> 7) as u8,
                    ];
                    v.extend(body);
                    v
                },
                Some([1, 1, 1, 1]),
            ),
        )]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(long.as_bytes()));
        // permessage-deflate: not read.
        let mut z = frame(2, &connect("a", "b"), Some([1, 2, 3, 4]));
        z[0] |= 0x40;
        assert!(run(&[(Direction::ToServer, z)]).is_empty());
        assert!(inner_for(b"v12.stomp").is_some());
        assert!(inner_for(b" MQTT ").is_some());
        assert!(inner_for(b"graphql-ws").is_none());
    }

    /// RFC 7395: a web chat client's SASL PLAIN over WebSocket, `<open/>` for the stream
    /// header, one element a message.
    #[test]
    fn xmpp_over_websocket() {
        let mut ws = for_subprotocol(b"xmpp").unwrap();
        let mask = Some([9, 8, 7, 6]);
        let plain = "AGp1bGlldABSMG1lMC1wdyE="; // \0juliet\0R0me0-pw!
        let script = [
            (
                Direction::ToServer,
                frame(1, b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.test' version='1.0'/>", mask),
            ),
            (
                Direction::ToClient,
                frame(1, b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='ws-5b2' from='example.test' version='1.0'/>", None),
            ),
            (
                Direction::ToClient,
                frame(1, b"<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", None),
            ),
            (
                Direction::ToServer,
                frame(1, format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>").as_bytes(), mask),
            ),
            (
                Direction::ToClient,
                frame(1, b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", None),
            ),
        ];
        let (out, _) = crate::dissect::script::play(&mut ws, &script);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].protocol, "xmpp");
        assert_eq!(out[0].mechanism, "SASL PLAIN");
        assert_eq!(out[0].username.as_deref(), Some(&b"juliet"[..]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"R0me0-pw!"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(
            out[0]
                .details
                .contains(&("transport", "websocket".to_string()))
        );
    }

    /// IRCv3's WebSocket binding: one line a message, without its CRLF (a message split
    /// over two frames, and one sent with its CRLF, are lines too).
    #[test]
    fn irc_over_websocket() {
        for subprotocol in [
            &b"text.ircv3.net"[..],
            b"binary.ircv3.net",
            b"text.inspircd.org",
        ] {
            let mut ws = for_subprotocol(subprotocol).unwrap();
            let mask = Some([5, 5, 0, 1]);
            let mut first = frame(1, b"PASS :ircd-", mask);
            first[0] &= 0x7f; // not final
            let script = [
                (Direction::ToServer, first),
                (Direction::ToServer, frame(0, b"Pw-26", Some([1, 2, 3, 4]))),
                (Direction::ToServer, frame(1, b"NICK webby", mask)),
                (
                    Direction::ToServer,
                    frame(1, b"USER webby 0 * :Web Client\r\n", mask),
                ),
                (
                    Direction::ToClient,
                    frame(
                        1,
                        b":irc.example.net 001 webby :Welcome to the network",
                        None,
                    ),
                ),
                (
                    Direction::ToServer,
                    frame(1, b"PRIVMSG NickServ :IDENTIFY webby Nick-Serv-9", mask),
                ),
            ];
            let (out, _) = crate::dissect::script::play(&mut ws, &script);
            let got: Vec<_> = out
                .iter()
                .map(|c| {
                    (
                        c.protocol.as_ref(),
                        c.mechanism.as_ref(),
                        c.secret.clone().unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(
                got,
                vec![
                    ("irc", "PASS", b"ircd-Pw-26".to_vec()),
                    ("irc", "NickServ IDENTIFY", b"Nick-Serv-9".to_vec())
                ],
                "{out:?}"
            );
            assert_eq!(out[0].outcome, Outcome::Success);
            // Without the line ends handed over, the messages run together: the
            // findings are not these.
            let mut joined = WebSocket::new(inner_for(subprotocol).unwrap());
            let (without, _) = crate::dissect::script::play(&mut joined, &script);
            assert_ne!(
                crate::dissect::script::summary(&without),
                crate::dissect::script::summary(&out)
            );
        }
        // Without the subprotocol's line ends, a lone message would never end.
        assert!(!WebSocket::new(inner_for(b"text.ircv3.net").unwrap()).lines);
    }

    /// RFC 7118: a softphone's REGISTER with Digest, one SIP message per text frame, the
    /// 401 first; the 200 judges it.
    #[test]
    fn sip_register_over_websocket() {
        let register = |auth: &str| {
            format!(
                "REGISTER sip:pbx.example.org SIP/2.0\r\nVia: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK{}\r\nFrom: <sip:1001@pbx.example.org>;tag=a\r\nTo: <sip:1001@pbx.example.org>\r\nCall-ID: ws-call-1\r\nCSeq: {} REGISTER\r\n{auth}Content-Length: 0\r\n\r\n",
                auth.len(),
                if auth.is_empty() { 1 } else { 2 }
            )
        };
        let answer = |code: &str, cseq: u32, extra: &str| {
            format!(
                "SIP/2.0 {code}\r\nVia: SIP/2.0/WS df7jal23ls0d.invalid\r\nCall-ID: ws-call-1\r\nCSeq: {cseq} REGISTER\r\n{extra}Content-Length: 0\r\n\r\n"
            )
        };
        let digest = "Authorization: Digest username=\"1001\",realm=\"pbx.example.org\",nonce=\"abc\",uri=\"sip:pbx.example.org\",response=\"0123456789abcdef0123456789abcdef\",algorithm=MD5\r\n";
        let mut ws = WebSocket::new(inner_for(b"sip").unwrap());
        let mask = Some([3, 1, 4, 1]);
        let script = [
            (Direction::ToServer, frame(1, register("").as_bytes(), mask)),
            (
                Direction::ToClient,
                frame(
                    1,
                    answer(
                        "401 Unauthorized",
                        1,
                        "WWW-Authenticate: Digest realm=\"pbx.example.org\", nonce=\"abc\"\r\n",
                    )
                    .as_bytes(),
                    None,
                ),
            ),
            (
                Direction::ToServer,
                frame(1, register(digest).as_bytes(), mask),
            ),
            (
                Direction::ToClient,
                frame(1, answer("200 OK", 2, "").as_bytes(), None),
            ),
        ];
        let (out, _) = crate::dissect::script::play(&mut ws, &script);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].protocol, "sip");
        assert_eq!(out[0].username.as_deref(), Some(&b"1001"[..]));
        assert_eq!(out[0].outcome, Outcome::Success);
        assert!(
            out[0]
                .details
                .contains(&("transport", "websocket".to_string()))
        );
        assert!(inner_for(b"amqp").is_some());
    }
}
