//! Synthetic traffic: TCP conversations built packet by packet with `etherparse`, framed
//! in any supported link layer. Used to generate the test fixtures and benchmark inputs
//! deterministically (same calls, same bytes).

use std::net::{IpAddr, SocketAddr};

use etherparse::{PacketBuilder, TcpHeader};

use crate::capture::LinkType;
use crate::timestamp::Timestamp;

/// A link layer to frame IP packets in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    /// Ethernet with 802.1Q tags, outermost first (two tags: QinQ).
    Vlan(Vec<u16>),
    /// Linux cooked capture v1.
    LinuxSll,
    /// Linux cooked capture v2.
    LinuxSll2,
    /// BSD loopback (host byte order family; little-endian here).
    Null,
    /// Raw IP.
    Raw,
    /// Ethernet carrying a PPPoE session (RFC 2516) of PPP frames.
    Pppoe,
    /// Ethernet carrying an MPLS label stack, outermost label first.
    Mpls(Vec<u32>),
    /// PPP in HDLC-like framing (LINKTYPE_PPP).
    Ppp,
    /// Cisco HDLC (LINKTYPE_C_HDLC).
    CiscoHdlc,
    /// IEEE 802.11 QoS data frames from a station to its access point, LLC/SNAP inside.
    Ieee80211,
    /// 802.11 behind a radiotap header (TSFT, Flags, Rate, Channel, Antenna signal), the
    /// frame check sequence at the end when `fcs`.
    Radiotap {
        fcs: bool,
    },
    /// 802.11 behind a PPI header.
    Ppi,
    /// Linux NFLOG records (as `tcpdump -i nflog` writes them on a little-endian host).
    Nflog,
    /// OpenBSD pflog.
    Pflog,
}

impl Link {
    pub fn linktype(&self) -> LinkType {
        match self {
            Link::Ethernet | Link::Vlan(_) | Link::Pppoe | Link::Mpls(_) => LinkType::ETHERNET,
            Link::Ppp => LinkType::PPP,
            Link::CiscoHdlc => LinkType::C_HDLC,
            Link::Ieee80211 => LinkType::IEEE802_11,
            Link::Radiotap { .. } => LinkType::IEEE802_11_RADIOTAP,
            Link::Ppi => LinkType::PPI,
            Link::Nflog => LinkType::NFLOG,
            Link::Pflog => LinkType::PFLOG,
            Link::LinuxSll => LinkType::LINUX_SLL,
            Link::LinuxSll2 => LinkType::LINUX_SLL2,
            Link::Null => LinkType::NULL,
            Link::Raw => LinkType::RAW,
        }
    }

    /// Frames an IP packet.
    pub fn frame(&self, ip: &[u8]) -> Vec<u8> {
        let v6 = ip.first().is_some_and(|b| b >> 4 == 6);
        let ethertype: u16 = if v6 { 0x86dd } else { 0x0800 };
        let mut f = Vec::with_capacity(ip.len() + 24);
        match self {
            Link::Pppoe => {
                f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
                f.extend_from_slice(&0x8864u16.to_be_bytes());
                f.extend_from_slice(&[0x11, 0x00, 0x12, 0x34]); // version, type, code, session
                f.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
                f.extend_from_slice(&ppp_protocol(v6).to_be_bytes());
            }
            Link::Mpls(labels) => {
                f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
                f.extend_from_slice(&0x8847u16.to_be_bytes());
                for (i, label) in labels.iter().enumerate() {
                    let bottom = u32::from(i + 1 == labels.len());
                    let entry = (label & 0xf_ffff) << 12 | bottom << 8 | 64;
                    f.extend_from_slice(&entry.to_be_bytes());
                }
            }
            Link::Ppp => {
                f.extend_from_slice(&[0xff, 0x03]);
                f.extend_from_slice(&ppp_protocol(v6).to_be_bytes());
            }
            Link::CiscoHdlc => {
                f.extend_from_slice(&[0x0f, 0x00]);
                f.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::Ieee80211 => ieee80211_header(&mut f, ethertype),
            Link::Radiotap { fcs } => {
                // present: TSFT, Flags, Rate, Channel, dBm antenna signal.
                f.extend_from_slice(&[0, 0, 24, 0]);
                f.extend_from_slice(&0x2fu32.to_le_bytes());
                f.extend_from_slice(&1_700_000_000_000_000u64.to_le_bytes()); // TSFT
                f.push(if *fcs { 0x10 } else { 0 }); // Flags
                f.push(108); // Rate: 54 Mb/s
                f.extend_from_slice(&2437u16.to_le_bytes()); // Channel 6
                f.extend_from_slice(&0x00c0u16.to_le_bytes()); // OFDM, 2 GHz
                f.push(-42i8 as u8); // signal
                f.push(0);
                let start = f.len();
                ieee80211_header(&mut f, ethertype);
                f.extend_from_slice(ip);
                if *fcs {
                    let sum = crc32(&f[start..]);
                    f.extend_from_slice(&sum.to_le_bytes());
                }
                return f;
            }
            Link::Ppi => {
                f.extend_from_slice(&[0, 0, 8, 0]);
                f.extend_from_slice(&105u32.to_le_bytes());
                ieee80211_header(&mut f, ethertype);
            }
            Link::Nflog => {
                f.extend_from_slice(&[if v6 { 10 } else { 2 }, 0, 0, 5]); // family, version, group 5
                // NFULA_PACKET_HDR: hardware protocol, hook, padding.
                f.extend_from_slice(&8u16.to_le_bytes());
                f.extend_from_slice(&1u16.to_le_bytes());
                f.extend_from_slice(&ethertype.to_be_bytes());
                f.extend_from_slice(&[3, 0]);
                // NFULA_PREFIX "plainsight\0", padded to four bytes.
                let prefix = b"plainsight\0";
                f.extend_from_slice(&((4 + prefix.len()) as u16).to_le_bytes());
                f.extend_from_slice(&10u16.to_le_bytes());
                f.extend_from_slice(prefix);
                f.resize(f.len().next_multiple_of(4), 0);
                // NFULA_PAYLOAD.
                f.extend_from_slice(&((4 + ip.len()) as u16).to_le_bytes());
                f.extend_from_slice(&9u16.to_le_bytes());
            }
            Link::Pflog => {
                // struct pfloghdr: length 61 (padded to 64), family, action, reason,
                // interface name, ruleset, rule numbers, direction...
                let mut h = [0u8; 64];
                h[0] = 61;
                h[1] = if v6 { 24 } else { 2 };
                h[4..7].copy_from_slice(b"em0");
                f.extend_from_slice(&h);
            }
            Link::Ethernet | Link::Vlan(_) => {
                f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
                f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
                if let Link::Vlan(tags) = self {
                    for (i, tag) in tags.iter().enumerate() {
                        // 802.1ad (0x88a8) for the outer tag of a QinQ pair, 802.1Q inside.
                        let tpid: u16 = if tags.len() > 1 && i == 0 {
                            0x88a8
                        } else {
                            0x8100
                        };
                        f.extend_from_slice(&tpid.to_be_bytes());
                        f.extend_from_slice(&(tag & 0x0fff).to_be_bytes());
                    }
                }
                f.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::LinuxSll => {
                f.extend_from_slice(&0u16.to_be_bytes()); // packet type: to us
                f.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
                f.extend_from_slice(&6u16.to_be_bytes());
                f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0, 0]);
                f.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::LinuxSll2 => {
                f.extend_from_slice(&ethertype.to_be_bytes());
                f.extend_from_slice(&0u16.to_be_bytes());
                f.extend_from_slice(&2u32.to_be_bytes()); // interface index
                f.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
                f.push(0); // packet type
                f.push(6);
                f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0, 0]);
            }
            Link::Null => {
                let family: u32 = if v6 { 30 } else { 2 };
                f.extend_from_slice(&family.to_le_bytes());
            }
            Link::Raw => {}
        }
        f.extend_from_slice(ip);
        f
    }
}

/// PPP's protocol number for IPv4 or IPv6.
fn ppp_protocol(v6: bool) -> u16 {
    if v6 { 0x0057 } else { 0x0021 }
}

/// An 802.11 QoS data header from a station to its access point (To DS), and the LLC/SNAP
/// header of an Ethernet type.
fn ieee80211_header(f: &mut Vec<u8>, ethertype: u16) {
    f.extend_from_slice(&[0x88, 0x01]); // QoS data, To DS
    f.extend_from_slice(&[0x2c, 0x00]); // duration
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x0a]); // BSSID
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // source
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // destination
    f.extend_from_slice(&[0x10, 0x00]); // sequence
    f.extend_from_slice(&[0x00, 0x00]); // QoS control
    f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0]);
    f.extend_from_slice(&ethertype.to_be_bytes());
}

/// CRC-32 (IEEE 802.3), as an 802.11 frame check sequence holds it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// One generated packet: its time and its IP bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthPacket {
    pub ts: Timestamp,
    pub ip: Vec<u8>,
}

/// A classic pcap file (microseconds, little-endian) of `packets` in Ethernet frames, in
/// the order given.
pub fn ethernet_pcap(packets: &[SynthPacket]) -> Vec<u8> {
    let mut w =
        crate::capture::PcapWriter::new(Vec::new(), Link::Ethernet.linktype(), 65535, false, false)
            .expect("writing to memory");
    for p in packets {
        let f = Link::Ethernet.frame(&p.ip);
        w.write(p.ts, &f, f.len() as u32)
            .expect("writing to memory");
    }
    w.into_inner()
}

/// TCP flags of a generated segment.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

/// Builds one TCP/IP packet.
pub fn tcp_packet(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: Flags,
    payload: &[u8],
) -> Vec<u8> {
    let mut h = TcpHeader::new(src.port(), dst.port(), seq, 64240);
    h.syn = flags.syn;
    h.fin = flags.fin;
    h.rst = flags.rst;
    h.psh = flags.psh;
    if flags.ack {
        h.ack = true;
        h.acknowledgment_number = ack;
    }
    let builder = match (src.ip(), dst.ip()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => PacketBuilder::ipv4(a.octets(), b.octets(), 64),
        (IpAddr::V6(a), IpAddr::V6(b)) => PacketBuilder::ipv6(a.octets(), b.octets(), 64),
        (IpAddr::V4(a), IpAddr::V6(b)) => {
            PacketBuilder::ipv6(a.to_ipv6_mapped().octets(), b.octets(), 64)
        }
        (IpAddr::V6(a), IpAddr::V4(b)) => {
            PacketBuilder::ipv6(a.octets(), b.to_ipv6_mapped().octets(), 64)
        }
    };
    let b = builder.tcp_header(h);
    let mut v = Vec::with_capacity(b.size(payload.len()));
    // Writing to a Vec cannot fail; a payload too large for IP is the caller's bug.
    if b.write(&mut v, payload).is_err() {
        v.clear();
    }
    v
}

/// Builds one UDP/IP packet.
pub fn udp_packet(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let builder = match (src.ip(), dst.ip()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => PacketBuilder::ipv4(a.octets(), b.octets(), 64),
        (IpAddr::V6(a), IpAddr::V6(b)) => PacketBuilder::ipv6(a.octets(), b.octets(), 64),
        (IpAddr::V4(a), IpAddr::V6(b)) => {
            PacketBuilder::ipv6(a.to_ipv6_mapped().octets(), b.octets(), 64)
        }
        (IpAddr::V6(a), IpAddr::V4(b)) => {
            PacketBuilder::ipv6(a.octets(), b.to_ipv6_mapped().octets(), 64)
        }
    };
    let b = builder.udp(src.port(), dst.port());
    let mut v = Vec::with_capacity(b.size(payload.len()));
    if b.write(&mut v, payload).is_err() {
        v.clear();
    }
    v
}

/// Builds one IP packet of protocol `protocol` (OSPF, VRRP, GRE...) with TTL / hop limit
/// `ttl`.
pub fn ip_packet(src: IpAddr, dst: IpAddr, protocol: u8, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let builder = match (src, dst) {
        (IpAddr::V4(a), IpAddr::V4(b)) => PacketBuilder::ipv4(a.octets(), b.octets(), ttl),
        (IpAddr::V6(a), IpAddr::V6(b)) => PacketBuilder::ipv6(a.octets(), b.octets(), ttl),
        (IpAddr::V4(a), IpAddr::V6(b)) => {
            PacketBuilder::ipv6(a.to_ipv6_mapped().octets(), b.octets(), ttl)
        }
        (IpAddr::V6(a), IpAddr::V4(b)) => {
            PacketBuilder::ipv6(a.octets(), b.to_ipv6_mapped().octets(), ttl)
        }
    };
    let mut v = Vec::with_capacity(payload.len() + 40);
    if builder
        .write(&mut v, etherparse::IpNumber(protocol), payload)
        .is_err()
    {
        v.clear();
    }
    v
}

/// A TCP connection between a client and a server, written as its packets.
#[derive(Clone, Debug)]
pub struct TcpConversation {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Next sequence number of each side.
    cseq: u32,
    sseq: u32,
    ts: Timestamp,
    /// Time between packets, in microseconds.
    step_us: u64,
    /// The receiver sends a pure ACK after each data segment.
    acks: bool,
    packets: Vec<SynthPacket>,
}

impl TcpConversation {
    /// A conversation with initial sequence numbers derived from the ports.
    pub fn new(client: SocketAddr, server: SocketAddr) -> TcpConversation {
        let c = u32::from(client.port()).wrapping_mul(2_654_435_761);
        let s = u32::from(server.port()).wrapping_mul(2_246_822_519) ^ c;
        TcpConversation {
            client,
            server,
            cseq: c,
            sseq: s,
            ts: Timestamp::new(1_700_000_000, 0),
            step_us: 1000,
            acks: true,
            packets: Vec::new(),
        }
    }

    pub fn isns(mut self, client: u32, server: u32) -> Self {
        self.cseq = client;
        self.sseq = server;
        self
    }

    pub fn starting_at(mut self, ts: Timestamp) -> Self {
        self.ts = ts;
        self
    }

    /// Leaves out the pure ACKs that answer data.
    pub fn without_acks(mut self) -> Self {
        self.acks = false;
        self
    }

    fn push(&mut self, from_client: bool, flags: Flags, payload: &[u8]) {
        let (src, dst, seq, ack) = if from_client {
            (self.client, self.server, self.cseq, self.sseq)
        } else {
            (self.server, self.client, self.sseq, self.cseq)
        };
        self.packets.push(SynthPacket {
            ts: self.ts,
            ip: tcp_packet(src, dst, seq, ack, flags, payload),
        });
        let advance = payload.len() as u32 + u32::from(flags.syn) + u32::from(flags.fin);
        if from_client {
            self.cseq = self.cseq.wrapping_add(advance);
        } else {
            self.sseq = self.sseq.wrapping_add(advance);
        }
        self.ts = Timestamp::new(self.ts.secs, u64::from(self.ts.nanos) + self.step_us * 1000);
    }

    /// The next sequence number of a side.
    pub fn next_seq(&self, client: bool) -> u32 {
        if client { self.cseq } else { self.sseq }
    }

    /// Sets the next sequence number of a side (to start over, or to jump).
    pub fn set_seq(&mut self, client: bool, seq: u32) -> &mut Self {
        if client {
            self.cseq = seq;
        } else {
            self.sseq = seq;
        }
        self
    }

    /// Sends a segment with explicit sequence number and flags; the conversation's own
    /// sequence numbers do not move (for retransmissions, overlaps, probes).
    pub fn raw(&mut self, from_client: bool, seq: u32, flags: Flags, payload: &[u8]) -> &mut Self {
        let (src, dst, ack) = if from_client {
            (self.client, self.server, self.sseq)
        } else {
            (self.server, self.client, self.cseq)
        };
        self.packets.push(SynthPacket {
            ts: self.ts,
            ip: tcp_packet(src, dst, seq, ack, flags, payload),
        });
        self.ts = Timestamp::new(self.ts.secs, u64::from(self.ts.nanos) + self.step_us * 1000);
        self
    }

    /// Sends data with the given flags (e.g. FIN with the last bytes), advancing the
    /// sequence number.
    pub fn send(&mut self, from_client: bool, flags: Flags, payload: &[u8]) -> &mut Self {
        self.push(from_client, flags, payload);
        self
    }

    /// Lets capture time pass.
    pub fn wait(&mut self, secs: i64) -> &mut Self {
        self.ts = Timestamp::new(self.ts.secs + secs, u64::from(self.ts.nanos));
        self
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> &mut Self {
        self.push(
            true,
            Flags {
                syn: true,
                ..Flags::default()
            },
            b"",
        );
        self.push(
            false,
            Flags {
                syn: true,
                ack: true,
                ..Flags::default()
            },
            b"",
        );
        self.push(
            true,
            Flags {
                ack: true,
                ..Flags::default()
            },
            b"",
        );
        self
    }

    fn data(&mut self, from_client: bool, payload: &[u8]) {
        self.push(
            from_client,
            Flags {
                ack: true,
                psh: true,
                ..Flags::default()
            },
            payload,
        );
        if self.acks {
            self.push(
                !from_client,
                Flags {
                    ack: true,
                    ..Flags::default()
                },
                b"",
            );
        }
    }

    /// The client sends `payload` in one segment.
    pub fn client(&mut self, payload: &[u8]) -> &mut Self {
        self.data(true, payload);
        self
    }

    /// The server sends `payload` in one segment.
    pub fn server(&mut self, payload: &[u8]) -> &mut Self {
        self.data(false, payload);
        self
    }

    /// The client types `keys` one byte per segment; with `echo` the server echoes each
    /// printable key (as a character-mode Telnet server does for a user name).
    pub fn client_keystrokes(&mut self, keys: &[u8], echo: bool) -> &mut Self {
        for &k in keys {
            self.push(
                true,
                Flags {
                    ack: true,
                    psh: true,
                    ..Flags::default()
                },
                &[k],
            );
            if echo && k >= 0x20 && k != 0x7f {
                self.push(
                    false,
                    Flags {
                        ack: true,
                        psh: true,
                        ..Flags::default()
                    },
                    &[k],
                );
            } else if self.acks {
                self.push(
                    false,
                    Flags {
                        ack: true,
                        ..Flags::default()
                    },
                    b"",
                );
            }
        }
        self
    }

    /// FIN from the client, FIN-ACK from the server, last ACK.
    pub fn close(&mut self) -> &mut Self {
        self.push(
            true,
            Flags {
                fin: true,
                ack: true,
                ..Flags::default()
            },
            b"",
        );
        self.push(
            false,
            Flags {
                fin: true,
                ack: true,
                ..Flags::default()
            },
            b"",
        );
        self.push(
            true,
            Flags {
                ack: true,
                ..Flags::default()
            },
            b"",
        );
        self
    }

    /// RST from the client.
    pub fn reset(&mut self) -> &mut Self {
        self.push(
            true,
            Flags {
                rst: true,
                ack: true,
                ..Flags::default()
            },
            b"",
        );
        self
    }

    /// The time the next packet will carry.
    pub fn now(&self) -> Timestamp {
        self.ts
    }

    pub fn packets(&self) -> &[SynthPacket] {
        &self.packets
    }

    pub fn into_packets(self) -> Vec<SynthPacket> {
        self.packets
    }
}

/// The Internet checksum (RFC 1071) of `data`: the one's complement of the one's
/// complement sum of its 16-bit words (a last odd byte padded with zero).
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The Internet checksum of an IPv4 header (RFC 791), its checksum field taken as zero.
fn ipv4_header_checksum(h: &[u8]) -> u16 {
    let mut zeroed = h.to_vec();
    if let Some(field) = zeroed.get_mut(10..12) {
        field.fill(0);
    }
    internet_checksum(&zeroed)
}

/// Splits an IPv4 packet into fragments carrying `chunk` payload bytes each (a multiple
/// of 8), in order.
pub fn fragment_ipv4(ip: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).min(ip.len());
    let payload = &ip[ihl..total];
    let chunk = (chunk / 8).max(1) * 8;
    let mut out = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let end = (off + chunk).min(payload.len());
        let more = end < payload.len();
        let mut f = ip[..ihl].to_vec();
        f[2..4].copy_from_slice(&((ihl + end - off) as u16).to_be_bytes());
        let field = ((off / 8) as u16) | if more { 0x2000 } else { 0 };
        f[6..8].copy_from_slice(&field.to_be_bytes());
        let sum = ipv4_header_checksum(&f);
        f[10..12].copy_from_slice(&sum.to_be_bytes());
        f.extend_from_slice(&payload[off..end]);
        out.push(f);
        off = end;
    }
    out
}

/// Splits an IPv6 packet into fragments of `chunk` bytes (a multiple of 8) of its
/// fragmentable part. With `extension_headers`, a hop-by-hop header precedes the
/// fragment header and a destination-options header starts the fragmentable part, so
/// the chain is hop-by-hop, fragment, destination options, payload.
pub fn fragment_ipv6(ip: &[u8], chunk: usize, id: u32, extension_headers: bool) -> Vec<Vec<u8>> {
    let next = ip[6];
    let mut fragmentable = Vec::new();
    let first_of_fragmentable = if extension_headers {
        // Destination options: next header, length 0 (8 bytes), PadN of 4.
        fragmentable.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
        60
    } else {
        next
    };
    fragmentable.extend_from_slice(&ip[40..]);
    let chunk = (chunk / 8).max(1) * 8;
    let mut out = Vec::new();
    let mut off = 0;
    while off < fragmentable.len() {
        let end = (off + chunk).min(fragmentable.len());
        let more = end < fragmentable.len();
        let mut f = ip[..40].to_vec();
        let mut rest = Vec::new();
        if extension_headers {
            f[6] = 0; // hop-by-hop
            rest.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        } else {
            f[6] = 44;
        }
        rest.push(first_of_fragmentable);
        rest.push(0);
        let field = ((off / 8) as u16) << 3 | u16::from(more);
        rest.extend_from_slice(&field.to_be_bytes());
        rest.extend_from_slice(&id.to_be_bytes());
        rest.extend_from_slice(&fragmentable[off..end]);
        f[4..6].copy_from_slice(&(rest.len() as u16).to_be_bytes());
        f.extend_from_slice(&rest);
        out.push(f);
        off = end;
    }
    out
}

pub mod mixed;

/// A number's little-endian bytes (`v.to_le_bytes()`) in a byte order: pcapng writes its
/// fields in its section's.
#[cfg(test)]
pub(crate) fn in_order<const N: usize>(mut le: [u8; N], big: bool) -> [u8; N] {
    if big {
        le.reverse();
    }
    le
}

/// `pcapng` (as [`to_pcapng`] writes it, in its byte order `big`) with `comments` comments
/// of 65,532 bytes in its section header's options.
#[cfg(test)]
pub(crate) fn with_long_section_header(pcapng: &mut Vec<u8>, big: bool, comments: usize) {
    let old = crate::capture::word(pcapng, 4, big).unwrap() as usize;
    let mut shb = pcapng[..24].to_vec();
    for _ in 0..comments {
        shb.extend_from_slice(&in_order(1u16.to_le_bytes(), big));
        shb.extend_from_slice(&in_order(65_532u16.to_le_bytes(), big));
        shb.extend(std::iter::repeat_n(b'c', 65_532));
    }
    shb.extend_from_slice(&[0; 4]);
    let len = in_order(((shb.len() + 4) as u32).to_le_bytes(), big);
    shb[4..8].copy_from_slice(&len);
    shb.extend_from_slice(&len);
    pcapng.splice(..old, shb);
}

/// `pcap` (a little-endian classic file) as a pcapng section: its byte order, one
/// interface (nanosecond resolution when `nanos`), an Enhanced Packet Block per record;
/// `edit(i, block)` may change block `i` as written.
#[cfg(test)]
pub(crate) fn to_pcapng(
    pcap: &[u8],
    big: bool,
    nanos: bool,
    edit: &dyn Fn(usize, &mut Vec<u8>),
) -> Vec<u8> {
    let le = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let u32b = |v: u32| in_order(v.to_le_bytes(), big);
    let u16b = |v: u16| in_order(v.to_le_bytes(), big);
    let block = |kind: u32, body: &[u8]| {
        let len = 12 + body.len() as u32;
        let mut b = u32b(kind).to_vec();
        b.extend_from_slice(&u32b(len));
        b.extend_from_slice(body);
        b.extend_from_slice(&u32b(len));
        b
    };
    let mut shb = u32b(0x1a2b_3c4d).to_vec();
    shb.extend_from_slice(&u16b(1));
    shb.extend_from_slice(&u16b(0));
    shb.extend_from_slice(&[0xff; 8]);
    let mut out = block(0x0a0d_0d0a, &shb);
    let mut idb = u16b(le(pcap, 20) as u16).to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&u32b(le(pcap, 16)));
    if nanos {
        idb.extend_from_slice(&u16b(9));
        idb.extend_from_slice(&u16b(1));
        idb.extend_from_slice(&[9, 0, 0, 0, 0, 0, 0, 0]);
    }
    out.extend(block(1, &idb));
    for (i, (at, end)) in records(pcap).into_iter().enumerate() {
        let units = u64::from(le(pcap, at)) * if nanos { 1_000_000_000 } else { 1_000_000 }
            + u64::from(le(pcap, at + 4)) * if nanos { 1000 } else { 1 };
        let mut epb = u32b(0).to_vec();
        epb.extend_from_slice(&u32b((units >> 32) as u32));
        epb.extend_from_slice(&u32b(units as u32));
        epb.extend_from_slice(&u32b((end - at - 16) as u32));
        epb.extend_from_slice(&u32b(le(pcap, at + 12)));
        epb.extend_from_slice(&pcap[at + 16..end]);
        epb.resize(epb.len().next_multiple_of(4), 0);
        let mut b = block(6, &epb);
        edit(i, &mut b);
        out.extend(b);
    }
    out
}

/// Record boundaries (start, end) of a classic little-endian pcap (the last one cut at
/// the end of the bytes).
#[cfg(test)]
pub(crate) fn records(pcap: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push((at, (at + 16 + caplen).min(pcap.len())));
        at += 16 + caplen;
    }
    out
}

/// Every fixture, and the little-endian classic ones also as pcapng: one section; two
/// sections of the same packets (little-endian, then big-endian with nanoseconds); one
/// section whose second half is on a second interface described halfway (nanoseconds); one
/// section where every seventh packet names an interface the file never describes.
/// The rewrites are written to a folder of this call's own (tests calling it run at once,
/// and one writing a file while another reads it would hand the reader a cut file).
#[cfg(test)]
pub(crate) fn fixtures_and_pcapng() -> Vec<std::path::PathBuf> {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let out = std::env::temp_dir().join(format!("plainsight-ng-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut paths = Vec::new();
    let none = |_: usize, _: &mut Vec<u8>| {};
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("pcapng") => paths.push(path),
            Some("pcap") => {
                let bytes = std::fs::read(&path).unwrap();
                if bytes[..4] == [0xd4, 0xc3, 0xb2, 0xa1] {
                    let name = path.file_stem().unwrap().to_string_lossy().to_string();
                    let le = to_pcapng(&bytes, false, false, &none);
                    let mut two = le.clone();
                    two.extend(to_pcapng(&bytes, true, true, &none));
                    let snaplen = u32::from_le_bytes(bytes[16..20].try_into().unwrap());
                    let linktype = u16::from_le_bytes(bytes[20..22].try_into().unwrap());
                    let half = records(&bytes).len() / 2;
                    let second = move |i: usize, block: &mut Vec<u8>| {
                        if i < half {
                            return;
                        }
                        let word = |b: &[u8], at: usize| {
                            u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
                        };
                        let units =
                            (u64::from(word(block, 12)) << 32 | u64::from(word(block, 16))) * 1000;
                        block[8..12].copy_from_slice(&1u32.to_le_bytes());
                        block[12..16].copy_from_slice(&((units >> 32) as u32).to_le_bytes());
                        block[16..20].copy_from_slice(&(units as u32).to_le_bytes());
                        if i == half {
                            let mut idb = vec![1, 0, 0, 0, 32, 0, 0, 0];
                            idb.extend_from_slice(&linktype.to_le_bytes());
                            idb.extend_from_slice(&[0, 0]);
                            idb.extend_from_slice(&snaplen.to_le_bytes());
                            idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
                            idb.extend_from_slice(&32u32.to_le_bytes());
                            idb.append(block);
                            *block = idb;
                        }
                    };
                    let interfaces = to_pcapng(&bytes, false, false, &second);
                    let nowhere = |i: usize, block: &mut Vec<u8>| {
                        if i % 7 == 3 {
                            block[8..12].copy_from_slice(&5u32.to_le_bytes());
                        }
                    };
                    let unknown = to_pcapng(&bytes, false, false, &nowhere);
                    let rewrites = [
                        ("le", le),
                        ("two", two),
                        ("idb", interfaces),
                        ("unknown", unknown),
                    ];
                    for (suffix, v) in rewrites {
                        let p = out.join(format!("{name}-{suffix}.pcapng"));
                        std::fs::write(&p, v).unwrap();
                        paths.push(p);
                    }
                }
                paths.push(path);
            }
            _ => {}
        }
    }
    paths.sort();
    paths
}
