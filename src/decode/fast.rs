//! The fast path of decoding: the packets that make up nearly all traffic — Ethernet with
//! at most two VLAN tags (or raw IP), an unfragmented IPv4 packet or an IPv6 packet without
//! extension headers, carrying a well-formed TCP segment or UDP datagram, complete in the
//! capture — are sliced here by hand, in a few dozen instructions and without copying.
//! Anything else (tunnels, fragments, IPv6 extension headers, cut or inconsistent headers,
//! other link types) returns `None` and goes through `etherparse`, which stays the
//! reference: a test checks both give the same result wherever the fast path answers.
//!
//! Measured on the throughput benchmark's input, slicing through `etherparse`'s
//! `LaxSlicedPacket` cost about a tenth of the whole scan, mostly in copying its large
//! result structures.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Decoded, TcpFlags, TcpSegment, Transport, UdpDatagram, udp_tunnel_payload};
use crate::capture::{LinkType, Packet};

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(s))
}

/// The common case of `decode_frame`, or `None` to take the general path.
pub(super) fn decode<'a>(packet: &Packet<'a>) -> Option<Decoded<'a>> {
    if packet.orig_len as usize != packet.data.len() {
        return None;
    }
    let data = packet.data;
    let ip = match packet.linktype {
        LinkType::ETHERNET => {
            let mut at = 12;
            let mut ethertype = be16(data, at)?;
            let mut tags = 0;
            while matches!(ethertype, 0x8100 | 0x88a8) && tags < 2 {
                at += 4;
                tags += 1;
                ethertype = be16(data, at)?;
            }
            let version = match ethertype {
                0x0800 => 4,
                0x86dd => 6,
                _ => return None,
            };
            let ip = data.get(at + 2..)?;
            if ip.first()? >> 4 != version {
                return None;
            }
            ip
        }
        LinkType::RAW => data,
        _ => return None,
    };
    let (src, dst, proto, payload) = match ip.first()? >> 4 {
        4 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(be16(ip, 2)?);
            // Not a fragment: MF clear and offset zero (DF may be set).
            if ihl < 20 || total < ihl || total > ip.len() || be16(ip, 6)? & 0x3fff != 0 {
                return None;
            }
            let src: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            let dst: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            (
                IpAddr::V4(Ipv4Addr::from(src)),
                IpAddr::V4(Ipv4Addr::from(dst)),
                ip[9],
                &ip[ihl..total],
            )
        }
        6 => {
            let len = usize::from(be16(ip, 4)?);
            if len == 0 || 40 + len > ip.len() {
                return None;
            }
            let src: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            (
                IpAddr::V6(Ipv6Addr::from(src)),
                IpAddr::V6(Ipv6Addr::from(dst)),
                ip[6],
                &ip[40..40 + len],
            )
        }
        _ => return None,
    };
    let transport = match proto {
        6 => {
            let offset = usize::from(*payload.get(12)? >> 4) * 4;
            if offset < 20 || offset > payload.len() {
                return None;
            }
            let flags = payload[13];
            let body = &payload[offset..];
            Transport::Tcp(TcpSegment {
                src_port: be16(payload, 0)?,
                dst_port: be16(payload, 2)?,
                seq: be32(payload, 4)?,
                ack: be32(payload, 8)?,
                flags: TcpFlags {
                    fin: flags & 0x01 != 0,
                    syn: flags & 0x02 != 0,
                    rst: flags & 0x04 != 0,
                    ack: flags & 0x10 != 0,
                },
                window: be16(payload, 14)?,
                payload: body,
                wire_len: body.len() as u32,
                segment: payload,
            })
        }
        17 => {
            if usize::from(be16(payload, 4)?) != payload.len() || payload.len() < 8 {
                return None;
            }
            let dst_port = be16(payload, 2)?;
            let body = &payload[8..];
            if udp_tunnel_payload(dst_port, body).is_some() {
                return None;
            }
            Transport::Udp(UdpDatagram {
                src_port: be16(payload, 0)?,
                dst_port,
                payload: body,
            })
        }
        _ => return None,
    };
    Some(Decoded {
        src,
        dst,
        transport,
        complete: true,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::capture::LinkType;
    use crate::synth::{Flags, Link, tcp_packet, udp_packet};
    use crate::timestamp::Timestamp;

    fn packet(linktype: LinkType, data: &[u8]) -> Packet<'_> {
        Packet {
            linktype,
            data,
            orig_len: data.len() as u32,
            ts: Timestamp::ZERO,
            frame: 1,
        }
    }

    /// The general path's answer, as text (the fast path must give the same).
    fn general(p: &Packet<'_>) -> Option<String> {
        super::super::decode_frame_general(p, 0)
            .ok()
            .map(|d| format!("{d:?}"))
    }

    /// Frames of every shape the fast path knows, and whether each is a tunnel (which it
    /// leaves to the general path).
    fn frames() -> Vec<(LinkType, Vec<u8>, bool)> {
        let a = "10.0.0.1:1234".parse().unwrap();
        let b = "10.0.0.2:80".parse().unwrap();
        let a6 = "[fd00::1]:1234".parse().unwrap();
        let b6 = "[fd00::2]:53".parse().unwrap();
        let flags = Flags {
            ack: true,
            psh: true,
            ..Flags::default()
        };
        let ips = vec![
            tcp_packet(a, b, 1, 2, flags, b"GET / HTTP/1.1\r\n\r\n"),
            tcp_packet(a6, b6, 7, 9, Flags::default(), b""),
            udp_packet(a, b, b"payload"),
            udp_packet(a6, b6, b"\x12\x34 dns"),
            udp_packet(
                a,
                "10.0.0.9:4789".parse().unwrap(),
                b"\x08\0\0\0\0\0\0\0inner",
            ),
        ];
        let mut out = Vec::new();
        for (i, ip) in ips.into_iter().enumerate() {
            let tunnel = i == 4;
            for link in [Link::Ethernet, Link::Vlan(vec![5]), Link::Vlan(vec![5, 6])] {
                out.push((LinkType::ETHERNET, link.frame(&ip), tunnel));
            }
            out.push((LinkType::RAW, ip, tunnel));
        }
        out
    }

    #[test]
    fn common_packets_take_the_fast_path_with_the_same_result() {
        for (linktype, f, tunnel) in frames() {
            let p = packet(linktype, &f);
            let fast = decode(&p).map(|d| format!("{d:?}"));
            assert_eq!(fast.is_some(), !tunnel, "{f:02x?}");
            if fast.is_some() {
                assert_eq!(fast, general(&p), "{f:02x?}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Wherever the fast path answers for a damaged packet, it answers as the general
        /// path does.
        #[test]
        fn fast_path_agrees_with_etherparse(
            which in 0usize..20,
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let all = frames();
            let (linktype, mut f, _) = all[which % all.len()].clone();
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            if truncate {
                f.truncate(cut.index(f.len() + 1));
            }
            let p = packet(linktype, &f);
            if let Some(d) = decode(&p) {
                prop_assert_eq!(Some(format!("{d:?}")), general(&p));
            }
        }
    }
}
