//! Packet decoding: link layer -> IPv4/IPv6 -> TCP/UDP, with `etherparse` doing the header
//! slicing. Decoding borrows the captured bytes; nothing is copied.
//!
//! Checksums are never a reason to drop a packet (checksum offload makes bad ones normal
//! in captures taken on the sending host); they can be checked on demand and counted.

use std::net::IpAddr;

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

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
    segment: &'a [u8],
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
    /// An IP fragment: reassembly is not done at this layer.
    Fragment,
    /// Headers too short or inconsistent to decode.
    Malformed,
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
        let mut sum = etherparse::checksum::Sum16BitWords::new();
        match (self.src, self.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                sum = sum.add_4bytes(s.octets()).add_4bytes(d.octets());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                sum = sum.add_16bytes(s.octets()).add_16bytes(d.octets());
            }
            _ => return None,
        }
        let len = seg.segment.len() as u16;
        let sum = sum
            .add_2bytes([0, 6])
            .add_2bytes(len.to_be_bytes())
            .add_slice(seg.segment);
        Some(sum.ones_complement() == 0)
    }
}

/// Address family values that BSD loopback (NULL/LOOP) headers use for IPv4 and IPv6.
fn null_family_is_ip(family: u32) -> bool {
    matches!(family, 2 | 24 | 28 | 30)
}

/// Decodes one captured packet down to TCP or UDP.
pub fn decode<'a>(packet: &Packet<'a>) -> Result<Decoded<'a>, Skip> {
    let data = packet.data;
    let sliced = match packet.linktype {
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
            let le = u32::from_le_bytes(head);
            let be = u32::from_be_bytes(head);
            if !null_family_is_ip(le) && !null_family_is_ip(be) {
                return Err(Skip::NotTcpUdp);
            }
            LaxSlicedPacket::from_ip(&data[4..]).map_err(|_| Skip::Malformed)?
        }
        LinkType::LINUX_SLL => {
            if data.len() < 16 {
                return Err(Skip::Malformed);
            }
            let proto = u16::from_be_bytes([data[14], data[15]]);
            LaxSlicedPacket::from_ether_type(EtherType(proto), &data[16..])
        }
        LinkType::LINUX_SLL2 => {
            if data.len() < 20 {
                return Err(Skip::Malformed);
            }
            let proto = u16::from_be_bytes([data[0], data[1]]);
            LaxSlicedPacket::from_ether_type(EtherType(proto), &data[20..])
        }
        _ => return Err(Skip::UnsupportedLinkType),
    };
    let (src, dst, ip_payload) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                v4.payload(),
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                v6.payload(),
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Err(Skip::NotTcpUdp),
        None => {
            return Err(if sliced.stop_err.is_some() {
                Skip::Malformed
            } else {
                Skip::NotTcpUdp
            });
        }
    };
    if ip_payload.fragmented {
        return Err(Skip::Fragment);
    }
    let complete = !ip_payload.incomplete;
    // Bytes of the packet the snapshot length cut off, all of them at its end.
    let missing = (packet.orig_len as usize).saturating_sub(data.len());
    let transport = match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let payload = tcp.payload();
            let wire_len = if complete {
                payload.len()
            } else {
                payload.len() + missing
            };
            Transport::Tcp(TcpSegment {
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
                payload,
                wire_len: u32::try_from(wire_len).unwrap_or(u32::MAX),
                segment: tcp.slice(),
            })
        }
        Some(TransportSlice::Udp(udp)) => Transport::Udp(UdpDatagram {
            src_port: udp.source_port(),
            dst_port: udp.destination_port(),
            payload: udp.payload(),
        }),
        Some(_) => return Err(Skip::NotTcpUdp),
        None => {
            return Err(if sliced.stop_err.is_some() {
                Skip::Malformed
            } else {
                Skip::NotTcpUdp
            });
        }
    };
    Ok(Decoded {
        src,
        dst,
        transport,
        complete,
    })
}
