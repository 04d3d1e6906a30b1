//! Mixed traffic for the throughput benchmark: a deterministic (seeded) stream of packets
//! that looks like a busy enterprise mirror port — thousands of concurrent flows with
//! handshakes and teardown, most bytes in bulk TLS-like and HTTP downloads, DNS, some
//! segments retransmitted or out of order, Ethernet with and without 802.1Q tags, IPv4
//! and IPv6 — with logins of every supported protocol planted at an even pace. The planted
//! logins are the ground truth a scan's recall is measured against.
//!
//! Generation is streaming: memory stays flat whatever the size, so a 10 GB input can be
//! piped straight into a scan.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::{Flags, Link, TcpConversation, tcp_packet, udp_packet};
use crate::capture::PcapWriter;
use crate::timestamp::Timestamp;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Bytes of packet data to write (the capture is this plus record headers, give or
    /// take the flows cut short at the end).
    pub bytes: u64,
    pub seed: u64,
    /// Flows open at once.
    pub concurrent: usize,
    /// Logins planted per 10^9 bytes (at least one of each kind whatever the size).
    pub logins_per_gb: u64,
    /// Share of bulk flows whose segments are sometimes retransmitted or reordered.
    pub disorder: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bytes: 100_000_000,
            seed: 1,
            concurrent: 2000,
            logins_per_gb: 240,
            disorder: 0.05,
        }
    }
}

/// One planted login: what a scan must report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    pub protocol: &'static str,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub username: Option<String>,
    /// The secret as a finding shows it with `--reveal`.
    pub secret: String,
    /// `success`, `failure` or `unknown`.
    pub outcome: &'static str,
}

impl Planted {
    /// One JSON object (the ground truth file holds one per line).
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "protocol": self.protocol,
            "client": {"ip": self.client.ip().to_string(), "port": self.client.port()},
            "server": {"ip": self.server.ip().to_string(), "port": self.server.port()},
            "username": self.username,
            "secret": self.secret,
            "outcome": self.outcome,
        })
        .to_string()
    }
}

/// What was written.
#[derive(Clone, Copy, Debug, Default)]
pub struct Written {
    pub packets: u64,
    /// Bytes of packet data.
    pub bytes: u64,
    pub flows: u64,
}

/// Writes the capture to `out` as classic pcap (Ethernet) and hands each planted login to
/// `truth` as soon as its flow starts.
pub fn write_pcap<W: Write>(
    config: &Config,
    out: W,
    mut truth: impl FnMut(&Planted),
) -> io::Result<Written> {
    let mut w = PcapWriter::new(out, Link::Ethernet.linktype(), 65535, false, false)?;
    let mut g = Generator::new(config.clone());
    while let Some((ts, frame)) = g.next_packet() {
        for p in g.truth.drain(..) {
            truth(&p);
        }
        w.write(ts, &frame, frame.len() as u32)?;
    }
    for p in g.truth.drain(..) {
        truth(&p);
    }
    w.into_inner().flush()?;
    Ok(g.written)
}

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Bytes that payloads are cut from: random (compressed or encrypted data) and text.
struct Pools {
    random: Vec<u8>,
    text: Vec<u8>,
}

impl Pools {
    fn new(rng: &mut Rng) -> Pools {
        let mut random = Vec::with_capacity(1 << 20);
        while random.len() < 1 << 20 {
            random.extend_from_slice(&rng.next().to_le_bytes());
        }
        const WORDS: &[&str] = &[
            "<div class=\"row\">",
            "</div>\n",
            "<p>",
            "quarterly",
            "report",
            "the",
            "network",
            "of",
            "and",
            "<a href=\"/docs/index.html\">",
            "</a>",
            "schedule",
            "meeting",
            "function(e){return e}",
            "var x = 1;",
            "{\"id\": 42, \"items\": []}",
            "lorem",
            "ipsum",
            "dolor",
            "sit",
            "amet",
        ];
        let mut text = Vec::with_capacity(1 << 20);
        while text.len() < 1 << 20 {
            text.extend_from_slice(rng.pick(WORDS).as_bytes());
            text.push(b' ');
        }
        Pools { random, text }
    }

    fn slice(&self, rng: &mut Rng, text: bool, len: usize) -> &[u8] {
        let pool = if text { &self.text } else { &self.random };
        let len = len.min(pool.len());
        let start = rng.below((pool.len() - len + 1) as u64) as usize;
        &pool[start..start + len]
    }
}

const MSS: usize = 1448;

/// A bulk download: TLS-like (handshake records then application data) or plain HTTP
/// (keep-alive requests with large responses).
struct Bulk {
    client: SocketAddr,
    server: SocketAddr,
    cseq: u32,
    sseq: u32,
    tls: bool,
    text: bool,
    /// Requests left on the connection.
    requests: u32,
    /// Bytes of the current response still to send.
    body: u64,
    /// TLS: bytes left in the current record.
    record: usize,
    /// TLS: the handshake flights are written.
    hello_done: bool,
    acks_due: u32,
    disorder: bool,
    step: Step,
    queue: VecDeque<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Syn,
    SynAck,
    Ack,
    Request,
    ResponseHead,
    Body,
    Close,
    Done,
}

const ACK: Flags = Flags {
    syn: false,
    ack: true,
    fin: false,
    rst: false,
    psh: false,
};
const PSH: Flags = Flags {
    syn: false,
    ack: true,
    fin: false,
    rst: false,
    psh: true,
};

impl Bulk {
    fn segment(&mut self, from_client: bool, flags: Flags, payload: &[u8]) -> Vec<u8> {
        let p = if from_client {
            tcp_packet(
                self.client,
                self.server,
                self.cseq,
                self.sseq,
                flags,
                payload,
            )
        } else {
            tcp_packet(
                self.server,
                self.client,
                self.sseq,
                self.cseq,
                flags,
                payload,
            )
        };
        let advance = payload.len() as u32 + u32::from(flags.syn) + u32::from(flags.fin);
        if from_client {
            self.cseq = self.cseq.wrapping_add(advance);
        } else {
            self.sseq = self.sseq.wrapping_add(advance);
        }
        p
    }

    fn next(&mut self, rng: &mut Rng, pools: &Pools, stop: bool) -> Option<Vec<u8>> {
        loop {
            if let Some(p) = self.queue.pop_front() {
                return Some(p);
            }
            if stop && matches!(self.step, Step::Request | Step::ResponseHead | Step::Body) {
                self.step = Step::Close;
            }
            match self.step {
                Step::Syn => {
                    let f = Flags {
                        syn: true,
                        ..Flags::default()
                    };
                    let p = self.segment(true, f, b"");
                    self.queue.push_back(p);
                    self.step = Step::SynAck;
                }
                Step::SynAck => {
                    let f = Flags {
                        syn: true,
                        ack: true,
                        ..Flags::default()
                    };
                    let p = self.segment(false, f, b"");
                    self.queue.push_back(p);
                    self.step = Step::Ack;
                }
                Step::Ack => {
                    let p = self.segment(true, ACK, b"");
                    self.queue.push_back(p);
                    self.step = Step::Request;
                }
                Step::Request => {
                    let req = if self.tls {
                        // ClientHello, then (after the server's flight) the client's
                        // ChangeCipherSpec, Finished and first application data.
                        if self.hello_done {
                            let mut r = tls_record(0x17, pools.slice(rng, false, 400));
                            r.splice(0..0, tls_record(0x16, pools.slice(rng, false, 40)));
                            r.splice(0..0, [0x14, 3, 3, 0, 1, 1]);
                            r
                        } else {
                            let mut hello = vec![0x01, 0, 0, 0xfc, 3, 3];
                            hello.extend_from_slice(pools.slice(rng, false, 248));
                            tls_record_v(0x16, 0x0301, &hello)
                        }
                    } else {
                        let n = rng.below(100_000);
                        format!(
                            "GET /static/{n}/{}.{} HTTP/1.1\r\nHost: www{}.example.com\r\n\
                             User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
                             Accept: */*\r\nAccept-Encoding: gzip, deflate\r\n\
                             Cookie: _ga=GA1.2.{n}; theme=dark\r\nConnection: keep-alive\r\n\r\n",
                            rng.below(1000),
                            if self.text { "html" } else { "jpg" },
                            rng.below(50)
                        )
                        .into_bytes()
                    };
                    let p = self.segment(true, PSH, &req);
                    self.queue.push_back(p);
                    let p = self.segment(false, ACK, b"");
                    self.queue.push_back(p);
                    self.step = Step::ResponseHead;
                }
                Step::ResponseHead => {
                    if self.tls && !self.hello_done {
                        // ServerHello, Certificate, ServerHelloDone: two segments.
                        let flight = tls_record(0x16, pools.slice(rng, false, 2 * MSS - 5));
                        for chunk in flight.chunks(MSS) {
                            let p = self.segment(false, ACK, chunk);
                            self.queue.push_back(p);
                        }
                        // Next: the client's Finished and request.
                        self.hello_done = true;
                        self.step = Step::Request;
                        continue;
                    }
                    self.record = 0;
                    self.step = Step::Body;
                    if !self.tls {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: {}\r\n\
                             Content-Length: {}\r\nCache-Control: max-age=3600\r\n\r\n",
                            if self.text { "text/html" } else { "image/jpeg" },
                            self.body
                        );
                        let p = self.segment(false, PSH, head.as_bytes());
                        self.queue.push_back(p);
                    }
                }
                Step::Body => {
                    if self.body == 0 {
                        self.requests = self.requests.saturating_sub(1);
                        if self.requests == 0 || self.tls {
                            self.step = Step::Close;
                        } else {
                            self.body = body_size(rng);
                            self.step = Step::Request;
                        }
                        continue;
                    }
                    let reorder = self.disorder && self.body > 2 * MSS as u64 && rng.chance(0.02);
                    let count = if reorder { 2 } else { 1 };
                    let mut segs = Vec::with_capacity(2);
                    for _ in 0..count {
                        let payload = self.payload(rng, pools);
                        segs.push(self.segment(false, ACK, &payload));
                    }
                    if reorder {
                        segs.reverse();
                    }
                    for s in segs {
                        if self.disorder && rng.chance(0.01) {
                            self.queue.push_back(s.clone());
                        }
                        self.queue.push_back(s);
                        self.acks_due += 1;
                    }
                    if self.acks_due >= 2 {
                        self.acks_due = 0;
                        let p = self.segment(true, ACK, b"");
                        self.queue.push_back(p);
                    }
                }
                Step::Close => {
                    let fin = Flags {
                        fin: true,
                        ack: true,
                        ..Flags::default()
                    };
                    let p = self.segment(true, fin, b"");
                    self.queue.push_back(p);
                    let p = self.segment(false, fin, b"");
                    self.queue.push_back(p);
                    let p = self.segment(true, ACK, b"");
                    self.queue.push_back(p);
                    self.step = Step::Done;
                }
                Step::Done => return None,
            }
        }
    }

    /// The next full-size (or last) segment of the response body.
    fn payload(&mut self, rng: &mut Rng, pools: &Pools) -> Vec<u8> {
        let len = (MSS as u64).min(self.body) as usize;
        self.body -= len as u64;
        if !self.tls {
            return pools.slice(rng, self.text, len).to_vec();
        }
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            if self.record == 0 {
                if len - out.len() < 5 {
                    out.extend_from_slice(pools.slice(rng, false, len - out.len()));
                    break;
                }
                let r = 16_384usize.min((self.body as usize) + (len - out.len()) - 5);
                out.extend_from_slice(&[0x17, 3, 3]);
                out.extend_from_slice(&(r as u16).to_be_bytes());
                self.record = r;
            }
            let take = self.record.min(len - out.len());
            out.extend_from_slice(pools.slice(rng, false, take));
            self.record -= take;
        }
        out
    }
}

fn tls_record_v(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(body.len() + 5);
    r.push(content_type);
    r.extend_from_slice(&version.to_be_bytes());
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn tls_record(content_type: u8, body: &[u8]) -> Vec<u8> {
    tls_record_v(content_type, 0x0303, body)
}

/// Response sizes: log-uniform between 2 KB and 8 MB.
fn body_size(rng: &mut Rng) -> u64 {
    let (lo, hi) = (2_000f64.ln(), 8_000_000f64.ln());
    let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    (lo + u * (hi - lo)).exp() as u64
}

/// A flow being written.
enum Flow {
    Bulk(Box<Bulk>, Link),
    /// Packets built up front (logins, DNS).
    Built(VecDeque<Vec<u8>>, Link),
}

/// The generator: one packet at a time.
struct Generator {
    config: Config,
    rng: Rng,
    pools: Pools,
    flows: Vec<Flow>,
    clock_us: u64,
    written: Written,
    /// Logins to plant in all, and planted so far.
    logins: u64,
    planted: u64,
    truth: Vec<Planted>,
    next_port: u16,
}

impl Generator {
    fn new(config: Config) -> Generator {
        let mut rng = Rng(config.seed ^ 0x005e_ed0f_91a1_5160);
        let pools = Pools::new(&mut rng);
        let logins = (config.bytes.saturating_mul(config.logins_per_gb) / 1_000_000_000)
            .max(PLANTERS.len() as u64);
        Generator {
            config,
            rng,
            pools,
            flows: Vec::new(),
            clock_us: 0,
            written: Written::default(),
            logins,
            planted: 0,
            truth: Vec::new(),
            next_port: 1024,
        }
    }

    fn done_writing(&self) -> bool {
        self.written.bytes >= self.config.bytes
    }

    fn port(&mut self) -> u16 {
        self.next_port = if self.next_port >= 65_000 {
            1024
        } else {
            self.next_port + 1
        };
        self.next_port
    }

    fn link(&mut self) -> Link {
        if self.rng.chance(0.15) {
            Link::Vlan(vec![10 + self.rng.below(4000) as u16])
        } else {
            Link::Ethernet
        }
    }

    /// A client and a server address: 20 % IPv6.
    fn endpoints(&mut self, server_port: u16) -> (SocketAddr, SocketAddr) {
        let port = self.port();
        if self.rng.chance(0.2) {
            let c = Ipv6Addr::new(0xfd00, 0, 0, 1, 0, 0, self.rng.below(256) as u16, {
                self.rng.below(65_536) as u16
            });
            let s = Ipv6Addr::new(0xfd00, 0, 0, 2, 0, 0, 0, 1 + self.rng.below(200) as u16);
            (
                SocketAddr::new(IpAddr::V6(c), port),
                SocketAddr::new(IpAddr::V6(s), server_port),
            )
        } else {
            let c = Ipv4Addr::from(0x0a00_0000 | (self.rng.below(1 << 20) as u32));
            let s = Ipv4Addr::from(0xac10_0000 | (1 + self.rng.below(200) as u32));
            (
                SocketAddr::new(IpAddr::V4(c), port),
                SocketAddr::new(IpAddr::V4(s), server_port),
            )
        }
    }

    fn new_flow(&mut self) -> Flow {
        self.written.flows += 1;
        // Logins at an even pace over the bytes.
        let due = self.planted < self.logins
            && self.written.bytes >= self.planted * self.config.bytes / self.logins;
        if due {
            let kind = PLANTERS[(self.planted % PLANTERS.len() as u64) as usize];
            let n = self.planted;
            self.planted += 1;
            let (client, server) = self.endpoints(kind.port);
            let login = Login {
                n,
                user: user_name(n),
                password: password(&mut self.rng, n),
                success: n % 3 != 2,
            };
            let (packets, planted) = (kind.build)(&login, client, server, &mut self.rng);
            self.truth.push(planted);
            let link = self.link();
            return Flow::Built(packets.into(), link);
        }
        let r = self.rng.below(100);
        let link = self.link();
        if r < 30 {
            let (client, server) = self.endpoints(53);
            let name = format!("host{}.corp{}.example.com", self.rng.below(5000), r);
            let (q, a) = dns(&name, self.rng.below(65_536) as u16);
            return Flow::Built(
                vec![
                    udp_packet(client, server, &q),
                    udp_packet(server, client, &a),
                ]
                .into(),
                link,
            );
        }
        let tls = r < 70;
        let (client, server) = self.endpoints(if tls {
            443
        } else if r < 90 {
            80
        } else {
            8080
        });
        let text = !tls && self.rng.chance(0.5);
        let body = body_size(&mut self.rng);
        let requests = if tls { 1 } else { 1 + self.rng.below(3) as u32 };
        Flow::Bulk(
            Box::new(Bulk {
                client,
                server,
                cseq: self.rng.next() as u32,
                sseq: self.rng.next() as u32,
                tls,
                text,
                requests,
                body,
                record: 0,
                hello_done: false,
                acks_due: 0,
                disorder: self.rng.chance(self.config.disorder),
                step: Step::Syn,
                queue: VecDeque::new(),
            }),
            link,
        )
    }

    /// The next packet's time and frame, or `None` at the end.
    fn next_packet(&mut self) -> Option<(Timestamp, Vec<u8>)> {
        loop {
            let stop = self.done_writing();
            if !stop {
                while self.flows.len() < self.config.concurrent.max(1) {
                    let f = self.new_flow();
                    self.flows.push(f);
                }
            }
            if self.flows.is_empty() {
                return None;
            }
            let i = self.rng.below(self.flows.len() as u64) as usize;
            let (next, link) = match &mut self.flows[i] {
                Flow::Bulk(b, link) => (b.next(&mut self.rng, &self.pools, stop), &*link),
                Flow::Built(q, link) => (q.pop_front(), &*link),
            };
            let Some(ip) = next else {
                self.flows.swap_remove(i);
                continue;
            };
            let frame = link.frame(&ip);
            self.clock_us += 1 + self.rng.below(12);
            self.written.packets += 1;
            self.written.bytes += frame.len() as u64;
            let ts = Timestamp::new(
                1_760_000_000 + (self.clock_us / 1_000_000) as i64,
                (self.clock_us % 1_000_000) * 1000,
            );
            return Some((ts, frame));
        }
    }
}

/// A DNS A query and its answer.
fn dns(name: &str, id: u16) -> (Vec<u8>, Vec<u8>) {
    let mut q = Vec::new();
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let mut a = q.clone();
    a[2] = 0x81;
    a[3] = 0x80;
    a[7] = 1;
    a.extend_from_slice(&[
        0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 172, 16, 9, 9,
    ]);
    (q, a)
}

// ---- Planted logins ---------------------------------------------------------------------

/// The login a planter writes.
struct Login {
    n: u64,
    user: String,
    password: String,
    success: bool,
}

/// A planted login's packets (IP, in order) and what a scan must report of it.
type Plant = (Vec<Vec<u8>>, Planted);

/// One kind of planted login: its server port and how to write it.
#[derive(Clone, Copy)]
struct Planter {
    port: u16,
    build: fn(&Login, SocketAddr, SocketAddr, &mut Rng) -> Plant,
}

const PLANTERS: &[Planter] = &[
    Planter {
        port: 21,
        build: ftp,
    },
    Planter {
        port: 110,
        build: pop3,
    },
    Planter {
        port: 143,
        build: imap,
    },
    Planter {
        port: 587,
        build: smtp,
    },
    Planter {
        port: 23,
        build: telnet,
    },
    Planter {
        port: 80,
        build: http_basic,
    },
    Planter {
        port: 8080,
        build: http_form,
    },
    Planter {
        port: 389,
        build: ldap,
    },
    Planter {
        port: 161,
        build: snmp,
    },
];

fn user_name(n: u64) -> String {
    const NAMES: &[&str] = &[
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
        "mallory", "oscar", "peggy", "trent", "victor", "walter",
    ];
    format!("{}{}", NAMES[(n % NAMES.len() as u64) as usize], n)
}

/// Passwords of letters, digits and a few symbols (no quotes or spaces, so every protocol
/// carries them unquoted).
fn password(rng: &mut Rng, n: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%*-_.";
    let len = 8 + rng.below(9) as usize;
    let mut p: String = (0..len).map(|_| char::from(*rng.pick(ALPHABET))).collect();
    p.push_str(&n.to_string());
    p
}

fn conversation(client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> TcpConversation {
    let mut c = TcpConversation::new(client, server).isns(rng.next() as u32, rng.next() as u32);
    c.handshake();
    c
}

/// The conversation's packets; a third of the logins have one client segment sent twice
/// (a retransmission the reassembly must deliver once).
fn finish(c: TcpConversation, rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut packets: Vec<Vec<u8>> = c.into_packets().into_iter().map(|p| p.ip).collect();
    if rng.chance(0.33) && packets.len() > 6 {
        let i = 3 + rng.below(packets.len() as u64 - 6) as usize;
        let dup = packets[i].clone();
        packets.insert(i + 1, dup);
    }
    packets
}

fn planted(
    protocol: &'static str,
    client: SocketAddr,
    server: SocketAddr,
    username: Option<String>,
    secret: String,
    outcome: &'static str,
) -> Planted {
    Planted {
        protocol,
        client,
        server,
        username,
        secret,
        outcome,
    }
}

fn outcome(l: &Login) -> &'static str {
    if l.success { "success" } else { "failure" }
}

fn ftp(l: &Login, client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Plant {
    let mut c = conversation(client, server, rng);
    c.server(b"220 (vsFTPd 3.0.3)\r\n")
        .client(format!("USER {}\r\n", l.user).as_bytes())
        .server(b"331 Please specify the password.\r\n")
        .client(format!("PASS {}\r\n", l.password).as_bytes());
    if l.success {
        c.server(b"230 Login successful.\r\n")
            .client(b"SYST\r\n")
            .server(b"215 UNIX Type: L8\r\n");
    } else {
        c.server(b"530 Login incorrect.\r\n");
    }
    c.client(b"QUIT\r\n").server(b"221 Goodbye.\r\n").close();
    let p = planted(
        "ftp",
        client,
        server,
        Some(l.user.clone()),
        l.password.clone(),
        outcome(l),
    );
    (finish(c, rng), p)
}

fn pop3(l: &Login, client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Plant {
    let mut c = conversation(client, server, rng);
    c.server(b"+OK Dovecot (Debian) ready.\r\n");
    if l.n.is_multiple_of(2) {
        c.client(format!("USER {}\r\n", l.user).as_bytes())
            .server(b"+OK\r\n")
            .client(format!("PASS {}\r\n", l.password).as_bytes());
    } else {
        let token = B64.encode(format!("\0{}\0{}", l.user, l.password));
        c.client(format!("AUTH PLAIN {token}\r\n").as_bytes());
    }
    if l.success {
        c.server(b"+OK Logged in.\r\n")
            .client(b"STAT\r\n")
            .server(b"+OK 2 3021\r\n");
    } else {
        c.server(b"-ERR [AUTH] Authentication failed.\r\n");
    }
    c.client(b"QUIT\r\n")
        .server(b"+OK Logging out.\r\n")
        .close();
    let p = planted(
        "pop3",
        client,
        server,
        Some(l.user.clone()),
        l.password.clone(),
        outcome(l),
    );
    (finish(c, rng), p)
}

fn imap(l: &Login, client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Plant {
    let mut c = conversation(client, server, rng);
    c.server(b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE AUTH=PLAIN] Dovecot ready.\r\n")
        .client(format!("a1 LOGIN {} \"{}\"\r\n", l.user, l.password).as_bytes());
    if l.success {
        c.server(b"a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n")
            .client(b"a2 SELECT INBOX\r\n")
            .server(b"* 2 EXISTS\r\na2 OK [READ-WRITE] Select completed.\r\n");
    } else {
        c.server(b"a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    }
    c.client(b"a3 LOGOUT\r\n")
        .server(b"* BYE Logging out\r\na3 OK Logout completed.\r\n")
        .close();
    let p = planted(
        "imap",
        client,
        server,
        Some(l.user.clone()),
        l.password.clone(),
        outcome(l),
    );
    (finish(c, rng), p)
}

fn smtp(l: &Login, client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Plant {
    let mut c = conversation(client, server, rng);
    c.server(b"220 mail.example.com ESMTP Exim 4.96\r\n")
        .client(b"EHLO workstation\r\n")
        .server(b"250-mail.example.com Hello workstation\r\n250-SIZE 52428800\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n");
    if l.n.is_multiple_of(2) {
        let token = B64.encode(format!("\0{}\0{}", l.user, l.password));
        c.client(format!("AUTH PLAIN {token}\r\n").as_bytes());
    } else {
        c.client(b"AUTH LOGIN\r\n")
            .server(b"334 VXNlcm5hbWU6\r\n")
            .client(format!("{}\r\n", B64.encode(&l.user)).as_bytes())
            .server(b"334 UGFzc3dvcmQ6\r\n")
            .client(format!("{}\r\n", B64.encode(&l.password)).as_bytes());
    }
    if l.success {
        c.server(b"235 Authentication succeeded\r\n");
    } else {
        c.server(b"535 Incorrect authentication data\r\n");
    }
    c.client(b"QUIT\r\n")
        .server(b"221 mail.example.com closing connection\r\n")
        .close();
    let p = planted(
        "smtp",
        client,
        server,
        Some(l.user.clone()),
        l.password.clone(),
        outcome(l),
    );
    (finish(c, rng), p)
}

fn telnet(l: &Login, client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Plant {
    let mut c = conversation(client, server, rng);
    c.server(b"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01\xff\xfb\x03")
        .client(b"\xff\xfb\x18\xff\xfb\x20\xff\xfd\x01\xff\xfd\x03")
        .server(b"Debian GNU/Linux 12\r\n")
        .server(b"host login: ");
    c.client_keystrokes(format!("{}\r\0", l.user).as_bytes(), true);
    c.server(b"\r\nPassword: ");
    // A typo corrected with backspace: the finding holds the password as finally typed.
    let mut keys = l.password.as_bytes().to_vec();
    keys.splice(2..2, [b'x', 0x7f]);
    keys.extend_from_slice(b"\r\0");
    c.client_keystrokes(&keys, false);
    if l.success {
        c.server(b"\r\nLast login: Mon Nov 23 10:00:00 2026 from 10.0.0.4\r\n")
            .server(format!("{}@host:~$ ", l.user).as_bytes());
        c.client_keystrokes(b"exit\r\0", true);
        c.server(b"logout\r\n");
    } else {
        c.server(b"\r\nLogin incorrect\r\nhost login: ");
    }
    c.close();
    let p = planted(
        "telnet",
        client,
        server,
        Some(l.user.clone()),
        l.password.clone(),
        outcome(l),
    );
    (finish(c, rng), p)
}

fn http_basic(l: &Login, client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Plant {
    let mut c = conversation(client, server, rng);
    let token = B64.encode(format!("{}:{}", l.user, l.password));
    c.client(
        format!(
            "GET /admin/status HTTP/1.1\r\nHost: intranet{}.example.com\r\nAuthorization: Basic {token}\r\nAccept: text/html\r\n\r\n",
            l.n % 7
        )
        .as_bytes(),
    );
    if l.success {
        c.server(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 22\r\n\r\n<html>status ok</html>");
    } else {
        c.server(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"admin\"\r\nContent-Length: 0\r\n\r\n");
    }
    c.close();
    let p = planted(
        "http",
        client,
        server,
        Some(l.user.clone()),
        l.password.clone(),
        outcome(l),
    );
    (finish(c, rng), p)
}

fn http_form(l: &Login, client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Plant {
    let mut c = conversation(client, server, rng);
    let pw: String = l
        .password
        .bytes()
        .map(|b| match b {
            b'!' | b'#' | b'%' | b'*' => format!("%{b:02X}"),
            _ => char::from(b).to_string(),
        })
        .collect();
    let body = format!("username={}&password={pw}&remember=1", l.user);
    c.client(
        format!(
            "POST /login HTTP/1.1\r\nHost: portal.example.com:8080\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    if l.success {
        c.server(b"HTTP/1.1 302 Found\r\nLocation: /home\r\nSet-Cookie: sid=1f2e3d; HttpOnly\r\nContent-Length: 0\r\n\r\n");
    } else {
        c.server(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    }
    c.close();
    let p = planted(
        "http",
        client,
        server,
        Some(l.user.clone()),
        l.password.clone(),
        outcome(l),
    );
    (finish(c, rng), p)
}

/// A BER element: tag, definite length, contents.
fn ber(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = contents.len();
    if n < 0x80 {
        v.push(n as u8);
    } else if n < 0x100 {
        v.extend_from_slice(&[0x81, n as u8]);
    } else {
        v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(contents);
    v
}

fn ldap(l: &Login, client: SocketAddr, server: SocketAddr, rng: &mut Rng) -> Plant {
    let dn = format!("uid={},ou=people,dc=example,dc=com", l.user);
    let bind = [
        ber(0x02, &[3]),
        ber(0x04, dn.as_bytes()),
        ber(0x80, l.password.as_bytes()),
    ]
    .concat();
    let request = ber(0x30, &[ber(0x02, &[1]), ber(0x60, &bind)].concat());
    let code = if l.success { 0 } else { 49 };
    let result = [ber(0x0a, &[code]), ber(0x04, b""), ber(0x04, b"")].concat();
    let response = ber(0x30, &[ber(0x02, &[1]), ber(0x61, &result)].concat());
    let mut c = conversation(client, server, rng);
    c.client(&request).server(&response);
    c.client(&ber(0x30, &[ber(0x02, &[2]), ber(0x42, b"")].concat()));
    c.close();
    let p = planted(
        "ldap",
        client,
        server,
        Some(dn),
        l.password.clone(),
        outcome(l),
    );
    (finish(c, rng), p)
}

fn snmp(l: &Login, client: SocketAddr, server: SocketAddr, _rng: &mut Rng) -> Plant {
    let community = format!("comm-{}", l.password);
    let varbind = ber(
        0x30,
        &ber(
            0x30,
            &[ber(0x06, &[0x2b, 6, 1, 2, 1, 1, 1, 0]), ber(0x05, b"")].concat(),
        ),
    );
    let pdu = |tag: u8, value: Option<&[u8]>| {
        let vb = match value {
            None => varbind.clone(),
            Some(v) => ber(
                0x30,
                &ber(
                    0x30,
                    &[ber(0x06, &[0x2b, 6, 1, 2, 1, 1, 1, 0]), ber(0x04, v)].concat(),
                ),
            ),
        };
        let body = [
            ber(0x02, &(l.n as u32).to_be_bytes()),
            ber(0x02, &[0]),
            ber(0x02, &[0]),
            vb,
        ]
        .concat();
        ber(
            0x30,
            &[
                ber(0x02, &[1]),
                ber(0x04, community.as_bytes()),
                ber(tag, &body),
            ]
            .concat(),
        )
    };
    let mut packets = vec![udp_packet(client, server, &pdu(0xa0, None))];
    // A wrong community gets no answer at all: the outcome stays unknown.
    if l.success {
        packets.push(udp_packet(
            server,
            client,
            &pdu(0xa2, Some(b"Linux router 6.1.0")),
        ));
    }
    let p = planted(
        "snmp",
        client,
        server,
        None,
        community,
        if l.success { "success" } else { "unknown" },
    );
    (packets, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(config: &Config) -> (Vec<u8>, Vec<Planted>, Written) {
        let mut out = Vec::new();
        let mut truth = Vec::new();
        let w = write_pcap(config, &mut out, |p| truth.push(p.clone())).expect("write");
        (out, truth, w)
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let config = Config {
            bytes: 2_000_000,
            concurrent: 50,
            ..Config::default()
        };
        let (a, ta, _) = generate(&config);
        let (b, tb, _) = generate(&config);
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        let (c, _, _) = generate(&Config { seed: 2, ..config });
        assert_ne!(a, c);
    }

    #[test]
    fn size_and_plants_are_as_asked() {
        let config = Config {
            bytes: 5_000_000,
            concurrent: 100,
            ..Config::default()
        };
        let (out, truth, w) = generate(&config);
        assert!(
            w.bytes >= config.bytes && w.bytes < config.bytes * 2,
            "{w:?}"
        );
        assert_eq!(out.len() as u64, 24 + w.bytes + 16 * w.packets);
        // At least one login of each kind, each on its own client endpoint.
        assert_eq!(truth.len(), PLANTERS.len());
        let mut protocols: Vec<&str> = truth.iter().map(|p| p.protocol).collect();
        protocols.sort_unstable();
        protocols.dedup();
        assert_eq!(protocols.len(), 8, "{protocols:?}");
    }

    #[test]
    fn bulk_bytes_dominate() {
        let config = Config {
            bytes: 20_000_000,
            concurrent: 200,
            ..Config::default()
        };
        let mut g = Generator::new(config);
        let (mut tcp_443_or_80, mut all) = (0u64, 0u64);
        while let Some((_, f)) = g.next_packet() {
            all += f.len() as u64;
            // Source or destination port 443/80/8080 in an untagged IPv4 TCP frame.
            if f.len() > 38 && f[12..14] == [8, 0] && f[23] == 6 {
                let ihl = usize::from(f[14] & 0x0f) * 4;
                let sp = u16::from_be_bytes([f[14 + ihl], f[15 + ihl]]);
                let dp = u16::from_be_bytes([f[16 + ihl], f[17 + ihl]]);
                if [443, 80, 8080].contains(&sp) || [443, 80, 8080].contains(&dp) {
                    tcp_443_or_80 += f.len() as u64;
                }
            }
        }
        // Untagged IPv4 is ~68 % of flows; bulk is ~90 % of their bytes.
        assert!(tcp_443_or_80 * 100 / all > 50, "{tcp_443_or_80} of {all}");
    }
}
