//! Packet decoding: link layer -> IPv4/IPv6 -> TCP/UDP, with `etherparse` doing the header
//! slicing. Decoding borrows the captured bytes; nothing is copied.
//!
//! Checksums are never a reason to drop a packet (checksum offload makes bad ones normal
//! in captures taken on the sending host); they can be checked on demand and counted.

use std::net::IpAddr;

pub mod defrag;
mod fast;
mod link;

pub use link::{LinkFrame, LinkPayload, frame as link_frame};

use etherparse::{
    EtherType, IpNumber, Ipv6ExtensionsSlice, LaxNetSlice, LaxSlicedPacket, TcpSlice,
    TransportSlice, UdpSlice,
};

pub use defrag::{DefragLimits, DefragStats, Defragmenter, FragKey};

use crate::capture::{LinkType, Packet};

/// TCP header flags used by the flow layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

/// A TCP segment, borrowed from the packet.
#[derive(Clone, Copy, Debug)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    /// The payload bytes present in the capture.
    pub payload: &'a [u8],
    /// The payload length on the wire: larger than `payload.len()` when the snapshot
    /// length cut the packet short.
    pub wire_len: u32,
    /// The whole TCP header and payload, for checksum verification.
    pub segment: &'a [u8],
}

/// A UDP datagram, borrowed from the packet.
#[derive(Clone, Copy, Debug)]
pub struct UdpDatagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

#[derive(Clone, Copy, Debug)]
pub enum Transport<'a> {
    Tcp(TcpSegment<'a>),
    Udp(UdpDatagram<'a>),
}

/// An IP datagram of a protocol other than TCP and UDP (OSPF, VRRP, PPTP's enhanced
/// GRE...), borrowed from the packet: what [`Stateless::ip_datagram`] gives for a packet
/// decoding skipped as [`Skip::NotTcpUdp`].
#[derive(Clone, Copy, Debug)]
pub struct IpDatagram<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The IP protocol number (IPv6: the header after the extension headers).
    pub protocol: u8,
    /// The IPv4 TTL or IPv6 hop limit (VRRP and OSPF on a link are sent with 255 and 1).
    pub ttl: u8,
    pub payload: &'a [u8],
}

/// What a packet carrying neither TCP nor UDP holds for dissectors: see
/// [`Stateless::other`].
#[derive(Clone, Copy, Debug)]
pub enum Other<'a> {
    Ip(IpDatagram<'a>),
    Link(LinkFrame<'a>),
}

/// A decoded IP packet carrying TCP or UDP.
#[derive(Clone, Copy, Debug)]
pub struct Decoded<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport<'a>,
    /// The packet was complete in the capture (not cut by the snapshot length).
    pub complete: bool,
}

/// Why a packet yields nothing for the flow layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The link type is not one plainsight decodes.
    UnsupportedLinkType,
    /// Not IP (ARP, LLDP, ...), or IP carrying neither TCP nor UDP.
    NotTcpUdp,
    /// An IP fragment, kept until its datagram is complete.
    Fragment,
    /// Headers too short or inconsistent to decode.
    Malformed,
}

/// A decoded packet whose slices are offsets into the packet's bytes: decoded by one
/// thread, put back together over the same bytes by another ([`DecodedAt::over`]), which
/// then need not read the packet's headers again.
///
/// Packed (60 bytes, against 112 for the fields as [`Decoded`] holds them): a worker
/// writes one per packet into the lists another worker reads, and those lists are most of
/// what goes between cores.
#[derive(Clone, Copy, Debug)]
pub struct DecodedAt {
    /// The addresses' bytes (IPv4 in the first four).
    src: [u8; 16],
    dst: [u8; 16],
    seq: u32,
    ack: u32,
    wire_len: u32,
    payload_len: u32,
    src_port: u16,
    dst_port: u16,
    window: u16,
    /// Where the transport header (TCP) or the payload (UDP) starts; a TCP payload
    /// starts `header_len` bytes later and ends where the segment ends.
    segment_at: u16,
    header_len: u8,
    /// [`AT_V6`], [`AT_UDP`] and the TCP flags.
    bits: u8,
    /// A `bool` (not a bit) gives `Option<DecodedAt>` a spare value: no tag byte.
    complete: bool,
}

const AT_V6: u8 = 1;
const AT_UDP: u8 = 2;
const AT_SYN: u8 = 4;
const AT_ACK: u8 = 8;
const AT_FIN: u8 = 16;
const AT_RST: u8 = 32;

impl DecodedAt {
    /// `d`, decoded from `data`, as offsets; `None` when one of its slices is not in `data`
    /// (a datagram reassembled from fragments) or does not fit the packed form.
    pub fn new(d: &Decoded<'_>, data: &[u8]) -> Option<DecodedAt> {
        let at = |s: &[u8]| -> Option<usize> {
            let at = (s.as_ptr() as usize).checked_sub(data.as_ptr() as usize)?;
            (at + s.len() <= data.len()).then_some(at)
        };
        // By reference: an address is read as wide as its family (see [`Stateless`]).
        let (bits, src, dst) = match (&d.src, &d.dst) {
            (IpAddr::V4(s), IpAddr::V4(t)) => {
                let (mut a, mut b) = ([0; 16], [0; 16]);
                a[..4].copy_from_slice(&s.octets());
                b[..4].copy_from_slice(&t.octets());
                (0, a, b)
            }
            (IpAddr::V6(s), IpAddr::V6(t)) => (AT_V6, s.octets(), t.octets()),
            _ => return None,
        };
        let mut packed = DecodedAt {
            src,
            dst,
            seq: 0,
            ack: 0,
            wire_len: 0,
            payload_len: 0,
            src_port: 0,
            dst_port: 0,
            window: 0,
            segment_at: 0,
            header_len: 0,
            bits,
            complete: d.complete,
        };
        match d.transport {
            Transport::Tcp(t) => {
                let segment_at = at(t.segment)?;
                let payload_at = at(t.payload)?;
                // The payload is the end of the segment.
                if payload_at + t.payload.len() != segment_at + t.segment.len() {
                    return None;
                }
                packed.segment_at = u16::try_from(segment_at).ok()?;
                packed.header_len = u8::try_from(payload_at.checked_sub(segment_at)?).ok()?;
                packed.payload_len = u32::try_from(t.payload.len()).ok()?;
                packed.src_port = t.src_port;
                packed.dst_port = t.dst_port;
                packed.seq = t.seq;
                packed.ack = t.ack;
                packed.window = t.window;
                packed.wire_len = t.wire_len;
                let f = t.flags;
                for (on, bit) in [
                    (f.syn, AT_SYN),
                    (f.ack, AT_ACK),
                    (f.fin, AT_FIN),
                    (f.rst, AT_RST),
                ] {
                    if on {
                        packed.bits |= bit;
                    }
                }
            }
            Transport::Udp(u) => {
                packed.segment_at = u16::try_from(at(u.payload)?).ok()?;
                packed.payload_len = u32::try_from(u.payload.len()).ok()?;
                packed.src_port = u.src_port;
                packed.dst_port = u.dst_port;
                packed.bits |= AT_UDP;
            }
        }
        Some(packed)
    }

    /// The decoded packet over `data`, the bytes it was decoded from; `None` if they are
    /// shorter than that.
    pub fn over<'a>(&self, data: &'a [u8]) -> Option<Decoded<'a>> {
        let on = |bit: u8| self.bits & bit != 0;
        let start = usize::from(self.segment_at);
        let payload_at = start + usize::from(self.header_len);
        let end = payload_at + self.payload_len as usize;
        let transport = if on(AT_UDP) {
            Transport::Udp(UdpDatagram {
                src_port: self.src_port,
                dst_port: self.dst_port,
                payload: data.get(start..end)?,
            })
        } else {
            Transport::Tcp(TcpSegment {
                src_port: self.src_port,
                dst_port: self.dst_port,
                seq: self.seq,
                ack: self.ack,
                flags: TcpFlags {
                    syn: on(AT_SYN),
                    ack: on(AT_ACK),
                    fin: on(AT_FIN),
                    rst: on(AT_RST),
                },
                window: self.window,
                payload: data.get(payload_at..end)?,
                wire_len: self.wire_len,
                segment: data.get(start..end)?,
            })
        };
        let (src, dst) = if on(AT_V6) {
            (IpAddr::from(self.src), IpAddr::from(self.dst))
        } else {
            let v4 = |a: &[u8; 16]| IpAddr::from([a[0], a[1], a[2], a[3]]);
            (v4(&self.src), v4(&self.dst))
        };
        Some(Decoded {
            src,
            dst,
            transport,
            complete: self.complete,
        })
    }
}

impl Decoded<'_> {
    /// Verifies the TCP checksum; `None` when it cannot be checked (packet cut short).
    pub fn tcp_checksum_ok(&self) -> Option<bool> {
        let Transport::Tcp(seg) = &self.transport else {
            return None;
        };
        if !self.complete || seg.segment.len() > usize::from(u16::MAX) {
            return None;
        }
        // The pseudo-header (RFC 793, RFC 8200 section 8.1), then the segment.
        let mut sum = match (self.src, self.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => word_sum(&s.octets()) + word_sum(&d.octets()),
            (IpAddr::V6(s), IpAddr::V6(d)) => word_sum(&s.octets()) + word_sum(&d.octets()),
            _ => return None,
        };
        let len = seg.segment.len() as u16;
        sum += word_sum(&[0, 6]) + word_sum(&len.to_be_bytes());
        // Captured on the sending host before the network card finished it (checksum
        // offload; Linux's NFLOG and loopback captures show it too): the field holds the
        // pseudo-header's sum alone, which is not a damaged segment.
        let field = seg.segment.get(16..18)?;
        if u16::from_ne_bytes([field[0], field[1]]) == fold(sum) {
            return Some(true);
        }
        sum += word_sum(seg.segment);
        // A segment is intact when the ones' complement sum of all its words, checksum
        // included, is all ones (the value reads the same in either byte order).
        Some(fold(sum) == 0xffff)
    }
}

/// The Internet checksum's sum (RFC 1071) of `data` before folding: its 16-bit words (an
/// odd last byte padded with zero) as the machine reads them, four bytes at a time into
/// 64 bits — no carry to handle below 2^32 words, and the compiler vectorises the loop
/// (a word at a time with end-around carry was 6 % of a scan of short HTTP
/// connections). RFC 1071 section 2(B): the sum of words read in either byte order is
/// the same sum, byte-swapped.
fn word_sum(data: &[u8]) -> u64 {
    let mut quads = data.chunks_exact(4);
    let mut sum: u64 = quads
        .by_ref()
        .map(|q| u64::from(u32::from_ne_bytes([q[0], q[1], q[2], q[3]])))
        .sum();
    let mut pairs = quads.remainder().chunks_exact(2);
    for p in pairs.by_ref() {
        sum += u64::from(u16::from_ne_bytes([p[0], p[1]]));
    }
    if let [last] = pairs.remainder() {
        sum += u64::from(u16::from_ne_bytes([*last, 0]));
    }
    sum
}

/// A [`word_sum`] folded to 16 bits with end-around carries.
fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Address family values that BSD loopback (NULL/LOOP) headers use for IPv4 and IPv6.
fn null_family_is_ip(family: u32) -> bool {
    matches!(family, 2 | 24 | 28 | 30)
}

/// Slices a captured frame from its link layer down.
fn slice_link<'a>(packet: &Packet<'a>) -> Result<LaxSlicedPacket<'a>, Skip> {
    let data = packet.data;
    Ok(match packet.linktype {
        LinkType::ETHERNET => LaxSlicedPacket::from_ethernet(data).map_err(|_| Skip::Malformed)?,
        LinkType::RAW
        | LinkType::RAW_OPENBSD
        | LinkType::RAW_14
        | LinkType::IPV4
        | LinkType::IPV6 => LaxSlicedPacket::from_ip(data).map_err(|_| Skip::Malformed)?,
        LinkType::NULL | LinkType::LOOP => {
            let head: [u8; 4] = data
                .get(..4)
                .and_then(|h| h.try_into().ok())
                .ok_or(Skip::Malformed)?;
            if !null_family_is_ip(u32::from_le_bytes(head))
                && !null_family_is_ip(u32::from_be_bytes(head))
            {
                return Err(Skip::NotTcpUdp);
            }
            LaxSlicedPacket::from_ip(&data[4..]).map_err(|_| Skip::Malformed)?
        }
        LinkType::LINUX_SLL => {
            let proto = data.get(14..16).ok_or(Skip::Malformed)?;
            LaxSlicedPacket::from_ether_type(
                EtherType(u16::from_be_bytes([proto[0], proto[1]])),
                &data[16..],
            )
        }
        LinkType::LINUX_SLL2 => {
            if data.len() < 20 {
                return Err(Skip::Malformed);
            }
            LaxSlicedPacket::from_ether_type(
                EtherType(u16::from_be_bytes([data[0], data[1]])),
                &data[20..],
            )
        }
        _ => return Err(Skip::UnsupportedLinkType),
    })
}

/// The fragment header of an IPv6 packet, found by walking its extension headers:
/// (offset in bytes, more fragments, identification, next header, fragment data).
fn ipv6_fragment(ip: &[u8]) -> Option<(u32, bool, u32, u8, &[u8])> {
    let payload_len = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
    let end = (40 + payload_len).min(ip.len());
    let mut next = *ip.get(6)?;
    let mut pos = 40;
    loop {
        match next {
            // Hop-by-hop, routing, destination options: length in 8-octet units.
            0 | 43 | 60 => {
                let len = (usize::from(*ip.get(pos + 1)?) + 1) * 8;
                next = *ip.get(pos)?;
                pos += len;
            }
            // Authentication header: length in 4-octet units, minus 2.
            51 => {
                let len = (usize::from(*ip.get(pos + 1)?) + 2) * 4;
                next = *ip.get(pos)?;
                pos += len;
            }
            44 => {
                let h = ip.get(pos..pos + 8)?;
                let off_flags = u16::from_be_bytes([h[2], h[3]]);
                let offset = u32::from(off_flags >> 3) * 8;
                let more = off_flags & 1 == 1;
                let id = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                return Some((offset, more, id, h[0], ip.get(pos + 8..end)?));
            }
            _ => return None,
        }
    }
}

/// Tunnels and link layers opened around one packet at most (GRE in GRE in VXLAN, PPI
/// around 802.11, PPPoE inside ERSPAN...).
const MAX_TUNNELS: u8 = 8;

/// The frame inside a GRE packet (RFC 2784/2890): Ethernet for ERSPAN (type I, II and
/// III: Cisco's mirrored traffic) and transparent Ethernet bridging, IP for IP in GRE.
fn gre_payload(gre: &[u8]) -> Option<(LinkType, &[u8])> {
    let flags = *gre.first()?;
    let version = gre.get(1)? & 0x07;
    if version != 0 {
        return None; // PPTP's enhanced GRE carries PPP
    }
    let proto = u16::from_be_bytes([*gre.get(2)?, *gre.get(3)?]);
    let checksum = flags & 0x80 != 0;
    let key = flags & 0x20 != 0;
    let sequence = flags & 0x10 != 0;
    let mut at = 4;
    if checksum {
        at += 4;
    }
    if key {
        at += 4;
    }
    if sequence {
        at += 4;
    }
    let rest = gre.get(at..)?;
    match proto {
        // ERSPAN type II carries an 8-byte header (and sets the sequence bit); type I
        // has none.
        0x88be => Some((
            LinkType::ETHERNET,
            if sequence { rest.get(8..)? } else { rest },
        )),
        // ERSPAN type III: 12 bytes, and an 8-byte platform subheader when O is set.
        0x22eb => {
            let optional = rest.get(11)? & 0x01 != 0;
            Some((
                LinkType::ETHERNET,
                rest.get(if optional { 20 } else { 12 }..)?,
            ))
        }
        0x6558 => Some((LinkType::ETHERNET, rest)),
        0x0800 | 0x86dd => Some((LinkType::RAW, rest)),
        _ => None,
    }
}

/// The Ethernet frame inside VXLAN (UDP 4789, RFC 7348) or Geneve (UDP 6081, RFC 8926).
fn udp_tunnel_payload(dst_port: u16, payload: &[u8]) -> Option<&[u8]> {
    match dst_port {
        4789 if payload.first()? & 0x08 != 0 => payload.get(8..),
        6081 => {
            let options = usize::from(payload.first()? & 0x3f) * 4;
            let proto = u16::from_be_bytes([*payload.get(2)?, *payload.get(3)?]);
            (proto == 0x6558).then_some(())?;
            payload.get(8 + options..)
        }
        _ => None,
    }
}

/// Decodes packets: stateless but for IP fragment reassembly.
#[derive(Debug, Default)]
pub struct Decoder {
    defrag: Defragmenter,
    /// The last datagram reassembled from fragments.
    reassembled: Vec<u8>,
}

fn tcp_segment<'a>(tcp: &TcpSlice<'a>, wire_len: usize) -> TcpSegment<'a> {
    TcpSegment {
        src_port: tcp.source_port(),
        dst_port: tcp.destination_port(),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: TcpFlags {
            syn: tcp.syn(),
            ack: tcp.ack(),
            fin: tcp.fin(),
            rst: tcp.rst(),
        },
        window: tcp.window_size(),
        payload: tcp.payload(),
        wire_len: u32::try_from(wire_len).unwrap_or(u32::MAX),
        segment: tcp.slice(),
    }
}

/// Slices TCP or UDP out of an IP payload carrying protocol `proto`.
fn transport(proto: u8, payload: &[u8]) -> Result<Transport<'_>, Skip> {
    match proto {
        6 => {
            let tcp = TcpSlice::from_slice(payload).map_err(|_| Skip::Malformed)?;
            let len = tcp.payload().len();
            Ok(Transport::Tcp(tcp_segment(&tcp, len)))
        }
        17 => {
            let udp = UdpSlice::from_slice_lax(payload).map_err(|_| Skip::Malformed)?;
            Ok(Transport::Udp(UdpDatagram {
                src_port: udp.source_port(),
                dst_port: udp.destination_port(),
                payload: udp.payload(),
            }))
        }
        _ => Err(Skip::NotTcpUdp),
    }
}

/// An IP fragment found while decoding: what the defragmenter needs.
#[derive(Debug)]
struct Fragment<'a> {
    key: FragKey,
    offset: u32,
    more: bool,
    payload: &'a [u8],
}

/// Why [`decode_frame`] returned no segment.
#[derive(Debug)]
enum Stop<'a> {
    Skip(Skip),
    Fragment(Fragment<'a>),
    /// Neither TCP nor UDP: [`Skip::NotTcpUdp`], with the datagram.
    Ip(IpDatagram<'a>),
}

impl From<Skip> for Stop<'_> {
    fn from(s: Skip) -> Self {
        Stop::Skip(s)
    }
}

/// Decodes one frame down to TCP or UDP without keeping state: tunnels are opened
/// (`depth` counts those already opened), fragments are handed back.
fn decode_frame<'a>(packet: &Packet<'a>, depth: u8) -> Result<Decoded<'a>, Stop<'a>> {
    match fast::decode(packet) {
        Some(d) => Ok(d),
        None => decode_frame_general(packet, depth),
    }
}

/// [`decode_frame`] for any packet, through `etherparse`.
fn decode_frame_general<'a>(packet: &Packet<'a>, depth: u8) -> Result<Decoded<'a>, Stop<'a>> {
    if let Some(inner) = link::unwrap(packet)? {
        if depth >= MAX_TUNNELS {
            return Err(Skip::Malformed.into());
        }
        return decode_frame(&inner, depth + 1);
    }
    let sliced = slice_link(packet)?;
    let (src, dst, ttl, ip_payload) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                h.ttl(),
                v4.payload(),
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                h.hop_limit(),
                v6.payload(),
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Err(Skip::NotTcpUdp.into()),
        None => {
            return Err(if sliced.stop_err.is_some() {
                Skip::Malformed
            } else {
                Skip::NotTcpUdp
            }
            .into());
        }
    };
    if ip_payload.fragmented {
        return Err(Stop::Fragment(fragment_of(&sliced, packet, src, dst)?));
    }
    if depth < MAX_TUNNELS
        && ip_payload.ip_number.0 == 47
        && let Some((linktype, inner)) = gre_payload(ip_payload.payload)
    {
        let inner = Packet {
            linktype,
            data: inner,
            orig_len: inner.len() as u32,
            ..*packet
        };
        return decode_frame(&inner, depth + 1);
    }
    let complete = !ip_payload.incomplete;
    let other = || {
        Stop::Ip(IpDatagram {
            src,
            dst,
            protocol: ip_payload.ip_number.0,
            ttl,
            payload: ip_payload.payload,
        })
    };
    // Bytes of the packet the snapshot length cut off, all of them at its end.
    let missing = (packet.orig_len as usize).saturating_sub(packet.data.len());
    let transport = match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let len = tcp.payload().len();
            let wire_len = if complete { len } else { len + missing };
            Transport::Tcp(tcp_segment(tcp, wire_len))
        }
        Some(TransportSlice::Udp(udp)) => {
            if depth < MAX_TUNNELS
                && let Some(inner) = udp_tunnel_payload(udp.destination_port(), udp.payload())
            {
                let inner = Packet {
                    linktype: LinkType::ETHERNET,
                    data: inner,
                    orig_len: inner.len() as u32,
                    ..*packet
                };
                return decode_frame(&inner, depth + 1);
            }
            Transport::Udp(UdpDatagram {
                src_port: udp.source_port(),
                dst_port: udp.destination_port(),
                payload: udp.payload(),
            })
        }
        Some(_) => return Err(other()),
        None if sliced.stop_err.is_some() => return Err(Skip::Malformed.into()),
        None => return Err(other()),
    };
    Ok(Decoded {
        src,
        dst,
        transport,
        complete,
    })
}

/// The fragment carried by a fragmented IPv4 or IPv6 packet.
fn fragment_of<'a>(
    sliced: &LaxSlicedPacket<'a>,
    packet: &Packet<'a>,
    src: IpAddr,
    dst: IpAddr,
) -> Result<Fragment<'a>, Skip> {
    match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            Ok(Fragment {
                key: FragKey {
                    src,
                    dst,
                    proto: h.protocol().0,
                    id: u32::from(h.identification()),
                },
                offset: u32::from(h.fragments_offset().value()) * 8,
                more: h.more_fragments(),
                payload: v4.payload().payload,
            })
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let head = v6.header().slice();
            let start = (head.as_ptr() as usize).saturating_sub(packet.data.as_ptr() as usize);
            let ip = packet.data.get(start..).ok_or(Skip::Malformed)?;
            let (offset, more, id, next, payload) = ipv6_fragment(ip).ok_or(Skip::Malformed)?;
            Ok(Fragment {
                key: FragKey {
                    src,
                    dst,
                    proto: next,
                    id,
                },
                offset,
                more,
                payload,
            })
        }
        _ => Err(Skip::Malformed),
    }
}

/// Decodes a packet as [`Decoder::decode`] does, without IP fragment reassembly: a
/// fragment is `Skip::Fragment` ([`Stateless::get`]).
pub fn decode_stateless<'a>(packet: &Packet<'a>) -> Stateless<'a> {
    Stateless(decode_frame(packet, 0))
}

/// What [`decode_stateless`] returns, read through [`Stateless::get`].
///
/// The decoding is read where the decoder wrote it: converting it into a
/// `Result<Decoded, Skip>` moved the decoded packet, and the move's wide loads of
/// fields just written by narrower stores (an IPv4 address in a 16-byte slot) waited
/// for those stores to land, on every packet the readers of several threads sort
/// (BENCHMARKS.md).
pub struct Stateless<'a>(Result<Decoded<'a>, Stop<'a>>);

impl<'a> Stateless<'a> {
    /// The decoded packet, or why there is none.
    pub fn get(&self) -> Result<&Decoded<'a>, Skip> {
        match &self.0 {
            Ok(d) => Ok(d),
            Err(Stop::Skip(s)) => Err(*s),
            Err(Stop::Fragment(_)) => Err(Skip::Fragment),
            Err(Stop::Ip(_)) => Err(Skip::NotTcpUdp),
        }
    }

    /// What a packet that carries neither TCP nor UDP carries for the dissectors of
    /// other protocols: an IP datagram (not reassembled: a fragment of one is
    /// [`Skip::Fragment`]) or a link-layer frame (PPPoE, EAPOL, 802.11 beacons). `packet`
    /// is the packet this was decoded from.
    pub fn other(&self, packet: &Packet<'a>) -> Option<Other<'a>> {
        match &self.0 {
            Err(Stop::Ip(d)) => Some(Other::Ip(*d)),
            Err(Stop::Skip(Skip::NotTcpUdp)) => link::frame(packet).map(Other::Link),
            _ => None,
        }
    }
}

impl Decoder {
    /// The packet `stateless` was decoded from, for the flow stage: as `stateless`
    /// decoded it (read in place), or, for an IP fragment, as this reassembling decoder
    /// decodes it, kept in `again` (rare: the move there costs nothing that matters).
    pub fn reassembling<'s, 'a: 's>(
        &'a mut self,
        packet: &Packet<'a>,
        stateless: &'s Stateless<'a>,
        again: &'s mut Option<Result<Decoded<'a>, Skip>>,
    ) -> Result<&'s Decoded<'a>, Skip> {
        match stateless.get() {
            Err(Skip::Fragment) => again.insert(self.decode(packet)).as_ref().map_err(|s| *s),
            other => other,
        }
    }

    pub fn new(limits: DefragLimits) -> Decoder {
        Decoder {
            defrag: Defragmenter::new(limits),
            reassembled: Vec::new(),
        }
    }

    pub fn defrag_stats(&self) -> DefragStats {
        self.defrag.stats
    }

    /// Bytes held for incomplete IP datagrams.
    pub fn pending_fragment_bytes(&self) -> usize {
        self.defrag.pending_bytes()
    }

    /// Decodes one captured packet down to TCP or UDP, through tunnels (GRE, ERSPAN,
    /// VXLAN, Geneve). A fragment that completes its datagram yields the whole datagram;
    /// other fragments yield `Skip::Fragment`.
    pub fn decode<'a>(&'a mut self, packet: &Packet<'a>) -> Result<Decoded<'a>, Skip> {
        let f = match decode_frame(packet, 0) {
            Ok(d) => return Ok(d),
            Err(Stop::Skip(s)) => return Err(s),
            Err(Stop::Ip(_)) => return Err(Skip::NotTcpUdp),
            Err(Stop::Fragment(f)) => f,
        };
        let Some(whole) = self
            .defrag
            .add(f.key, f.offset, f.more, f.payload, packet.ts)
        else {
            return Err(Skip::Fragment);
        };
        self.reassembled = whole;
        let (src, dst) = (f.key.src, f.key.dst);
        let (proto, data) = match src {
            IpAddr::V4(_) => (f.key.proto, &self.reassembled[..]),
            IpAddr::V6(_) => {
                // Extension headers may follow the fragment header (RFC 8200 4.5).
                let (_, next, rest) =
                    Ipv6ExtensionsSlice::from_slice(IpNumber(f.key.proto), &self.reassembled)
                        .map_err(|_| Skip::Malformed)?;
                (next.0, rest)
            }
        };
        if proto == 47
            && let Some((linktype, inner)) = gre_payload(data)
        {
            // A tunnel packet that was fragmented on its way (mirrored traffic often is).
            let inner = Packet {
                linktype,
                data: inner,
                orig_len: inner.len() as u32,
                ..*packet
            };
            return decode_frame(&inner, 1).map_err(|stop| match stop {
                Stop::Skip(s) => s,
                Stop::Fragment(_) => Skip::Fragment,
                Stop::Ip(_) => Skip::NotTcpUdp,
            });
        }
        Ok(Decoded {
            src,
            dst,
            transport: transport(proto, data)?,
            complete: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::capture::FileSource;

    proptest::proptest! {
        /// The sum four bytes at a time, read as the machine reads them, folds to the sum
        /// etherparse computes a 16-bit word at a time (which it also gives in the
        /// machine's byte order): any length, odd ones included.
        #[test]
        fn word_sums_fold_to_the_internet_checksum(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000)) {
            let theirs = !etherparse::checksum::Sum16BitWords::new().add_slice(&data).ones_complement();
            proptest::prop_assert_eq!(fold(word_sum(&data)), theirs);
        }
    }

    /// Segments as senders write them verify, over IPv4 and IPv6 and at odd lengths; a
    /// bit flipped anywhere in the segment fails.
    #[test]
    fn tcp_checksums_verify_and_a_flipped_bit_fails() {
        let flags = crate::synth::Flags {
            ack: true,
            psh: true,
            ..crate::synth::Flags::default()
        };
        for (client, server) in [
            ("10.1.2.3:40000", "10.9.8.7:21"),
            ("[fd00::1]:40000", "[fd00::2]:21"),
        ] {
            for len in [0usize, 1, 2, 3, 5, 1447] {
                let payload: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
                let ip = crate::synth::tcp_packet(
                    client.parse().unwrap(),
                    server.parse().unwrap(),
                    1,
                    2,
                    flags,
                    &payload,
                );
                let frame = crate::synth::Link::Ethernet.frame(&ip);
                let pkt = Packet {
                    frame: 1,
                    ts: crate::timestamp::Timestamp::ZERO,
                    linktype: crate::synth::Link::Ethernet.linktype(),
                    data: &frame,
                    orig_len: frame.len() as u32,
                };
                let d = decode_stateless(&pkt);
                assert_eq!(
                    d.get().unwrap().tcp_checksum_ok(),
                    Some(true),
                    "{client} {len}"
                );
                let at = frame.len() - len - 20;
                for flip in [at, at + 17, frame.len() - 1] {
                    let mut bad = frame.clone();
                    bad[flip] ^= 0x10;
                    let pkt = Packet { data: &bad, ..pkt };
                    let d = decode_stateless(&pkt);
                    assert_eq!(
                        d.get().unwrap().tcp_checksum_ok(),
                        Some(false),
                        "{client} {len} byte {flip}"
                    );
                }
                // Offloaded: the field holds the pseudo-header's sum (big-endian words,
                // folded, not complemented), as the sending host's capture shows it.
                let mut pseudo = [pkt_src(&ip), pkt_dst(&ip)].concat();
                pseudo.extend_from_slice(&[0, 6]);
                pseudo.extend_from_slice(&((20 + len) as u16).to_be_bytes());
                let mut sum: u32 = pseudo
                    .chunks(2)
                    .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
                    .sum();
                while sum > 0xffff {
                    sum = (sum & 0xffff) + (sum >> 16);
                }
                let mut offloaded = frame.clone();
                offloaded[at + 16..at + 18].copy_from_slice(&(sum as u16).to_be_bytes());
                let pkt = Packet {
                    data: &offloaded,
                    ..pkt
                };
                assert_eq!(
                    decode_stateless(&pkt).get().unwrap().tcp_checksum_ok(),
                    Some(true),
                    "{client} {len} offloaded"
                );
            }
        }
    }

    /// The source and destination address bytes of an IPv4 or IPv6 packet.
    fn pkt_src(ip: &[u8]) -> Vec<u8> {
        if ip[0] >> 4 == 4 {
            ip[12..16].to_vec()
        } else {
            ip[8..24].to_vec()
        }
    }

    fn pkt_dst(ip: &[u8]) -> Vec<u8> {
        if ip[0] >> 4 == 4 {
            ip[16..20].to_vec()
        } else {
            ip[24..40].to_vec()
        }
    }

    /// A TCP segment over `data`: header `data[at..at + 20]`, payload the rest.
    fn tcp_over(data: &[u8], at: usize, src: IpAddr, dst: IpAddr, flags: TcpFlags) -> Decoded<'_> {
        Decoded {
            src,
            dst,
            transport: Transport::Tcp(TcpSegment {
                src_port: 40_000,
                dst_port: 21,
                seq: 0xdead_beef,
                ack: 7,
                flags,
                window: 513,
                payload: &data[at + 20..],
                wire_len: 1_000_000,
                segment: &data[at..],
            }),
            complete: false,
        }
    }

    #[test]
    fn packed_offsets_keep_every_field_or_decline() {
        // Bytes that differ from place to place: a slice taken at the wrong offset shows.
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let v4: IpAddr = "10.1.2.3".parse().unwrap();
        let v4b: IpAddr = "192.0.2.200".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let v6b: IpAddr = "fe80::aa:bb".parse().unwrap();
        for bits in 0..16u8 {
            let flags = TcpFlags {
                syn: bits & 1 != 0,
                ack: bits & 2 != 0,
                fin: bits & 4 != 0,
                rst: bits & 8 != 0,
            };
            for (src, dst) in [(v4, v4b), (v6, v6b)] {
                let d = tcp_over(&data[..200], 54, src, dst, flags);
                let back = DecodedAt::new(&d, &data[..200]).unwrap().over(&data[..200]);
                assert_eq!(format!("{back:?}"), format!("{:?}", Some(d)));
            }
        }
        let udp = Decoded {
            src: v6,
            dst: v6b,
            transport: Transport::Udp(UdpDatagram {
                src_port: 5060,
                dst_port: 5061,
                payload: &data[62..300],
            }),
            complete: true,
        };
        let at = DecodedAt::new(&udp, &data[..400]).unwrap();
        assert_eq!(
            format!("{:?}", at.over(&data[..400])),
            format!("{:?}", Some(udp))
        );
        assert!(at.over(&data[..299]).is_none());
        let flags = TcpFlags::default();
        // Mixed address families, a header beyond 64 KiB, a payload that does not end the
        // segment: not packed (the owner decodes the packet itself).
        assert!(DecodedAt::new(&tcp_over(&data, 54, v4, v6, flags), &data).is_none());
        assert!(DecodedAt::new(&tcp_over(&data, 65_600, v4, v4b, flags), &data).is_none());
        let mut short = tcp_over(&data[..200], 54, v4, v4b, flags);
        if let Transport::Tcp(t) = &mut short.transport {
            t.payload = &data[74..150];
        }
        assert!(DecodedAt::new(&short, &data[..200]).is_none());
    }

    /// Every packet of every fixture: decoded, turned into offsets and put back together
    /// over the same bytes, it is the same; over bytes cut before its payload ends it is
    /// nothing; a datagram reassembled from fragments (not in the packet's bytes) has no
    /// offsets over the packet, but has over its transport bytes alone, as the
    /// reader-and-workers runner packs every packet.
    #[test]
    fn decoded_packets_survive_the_trip_through_offsets() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let (mut checked, mut reassembled) = (0, 0);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_none_or(|e| e != "pcap" && e != "pcapng")
            {
                continue;
            }
            let mut source = FileSource::new(std::fs::File::open(&path).unwrap()).unwrap();
            let mut decoder = Decoder::new(DefragLimits::default());
            while let Ok(Some(p)) = source.next_packet() {
                // Every packet through the stateful decoder once, as a runner would.
                let full = decoder.decode(&p);
                if let Ok(d) = &full {
                    let l4 = match d.transport {
                        Transport::Tcp(t) => t.segment,
                        Transport::Udp(u) => u.payload,
                    };
                    let at = DecodedAt::new(d, l4).expect("packs over its transport bytes");
                    let back = at.over(l4).expect("same bytes");
                    assert_eq!(format!("{back:?}"), format!("{d:?}"), "{path:?}");
                }
                if let Ok(d) = decode_stateless(&p).get() {
                    let at = DecodedAt::new(d, p.data).expect("offsets");
                    let back = at.over(p.data).expect("same bytes");
                    assert_eq!(format!("{back:?}"), format!("{d:?}"), "{path:?}");
                    let end = match d.transport {
                        Transport::Tcp(t) => t.segment.as_ptr_range().end,
                        Transport::Udp(u) => u.payload.as_ptr_range().end,
                    } as usize
                        - p.data.as_ptr() as usize;
                    if end > 0 {
                        assert!(at.over(&p.data[..end - 1]).is_none(), "{path:?}");
                    }
                    checked += 1;
                } else if let Ok(d) = &full {
                    assert!(DecodedAt::new(d, p.data).is_none(), "{path:?}");
                    reassembled += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked} packets");
        assert!(reassembled > 0, "no reassembled datagram in the fixtures");
    }
}
