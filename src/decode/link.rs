//! Link layers around the frames `etherparse` reads: PPPoE sessions and MPLS label stacks
//! inside Ethernet (or a Linux cooked capture), 802.3 frames with LLC/SNAP, PPP, Cisco
//! HDLC, IEEE 802.11 data frames (bare, or behind radiotap, PPI, Prism or AVS headers),
//! Linux NFLOG and OpenBSD pflog. Each is unwrapped down to an IP packet or an Ethernet
//! frame, which the decoder then reads as any other.
//!
//! Numbers and layouts: tcpdump.org's LINKTYPE_ registry, RFC 2516 (PPPoE), RFC 3032
//! (MPLS), RFC 1661/1662 (PPP), IEEE 802.11 (frame control, the header's four address
//! forms, QoS and HT control), radiotap.org (the `present` words, TSFT and Flags fields).

use super::Skip;
use crate::capture::{LinkType, Packet};

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The bytes of `packet` from `start`, as a packet of `linktype`, `trailer` bytes (a frame
/// check sequence) taken off its end; its original length shrinks alike, so a packet the
/// snapshot length cut stays one.
fn inner<'a>(
    packet: &Packet<'a>,
    linktype: LinkType,
    start: usize,
    trailer: usize,
) -> Result<Packet<'a>, Skip> {
    let orig_len = (packet.orig_len as usize)
        .checked_sub(start + trailer)
        .ok_or(Skip::Malformed)?;
    let end = packet.data.len().min(start + orig_len);
    let data = packet.data.get(start..end).ok_or(Skip::Malformed)?;
    Ok(Packet {
        linktype,
        data,
        orig_len: orig_len as u32,
        ..*packet
    })
}

/// IP version of an IP packet's first byte, as a link type to decode it with.
fn ip_at<'a>(packet: &Packet<'a>, at: usize) -> Result<Packet<'a>, Skip> {
    match packet.data.get(at).map(|b| b >> 4) {
        Some(4 | 6) => inner(packet, LinkType::RAW, at, 0),
        Some(_) => Err(Skip::NotTcpUdp),
        None => Err(Skip::Malformed),
    }
}

/// What a link layer holds: an inner packet to decode instead, or nothing to unwrap (the
/// decoder's own slicing reads it). Never inlined: it is off the fast path, and inlined
/// into the decoder it cost every packet of a DNS benchmark six instructions.
#[inline(never)]
pub(super) fn unwrap<'a>(packet: &Packet<'a>) -> Result<Option<Packet<'a>>, Skip> {
    let data = packet.data;
    match packet.linktype {
        LinkType::ETHERNET => ethernet(packet),
        LinkType::LINUX_SLL => match be16(data, 14) {
            Some(ethertype) => ethertype_at(packet, ethertype, 16),
            None => Ok(None),
        },
        LinkType::LINUX_SLL2 => match be16(data, 0) {
            Some(ethertype) if data.len() >= 20 => ethertype_at(packet, ethertype, 20),
            _ => Ok(None),
        },
        LinkType::PPP | LinkType::PPP_HDLC => ppp_framed(packet).map(Some),
        LinkType::PPP_ETHER => pppoe_session(packet, 0).map(Some),
        LinkType::C_HDLC => cisco_hdlc(packet).map(Some),
        LinkType::IEEE802_11 => ieee80211(packet, false).map(Some),
        LinkType::IEEE802_11_RADIOTAP => radiotap(packet).map(Some),
        LinkType::PRISM | LinkType::AVS => prism_or_avs(packet).map(Some),
        LinkType::PPI => ppi(packet).map(Some),
        LinkType::NFLOG => nflog(packet).map(Some),
        LinkType::PFLOG => pflog(packet).map(Some),
        _ => Ok(None),
    }
}

/// An Ethernet frame, past up to four VLAN tags: PPPoE, MPLS and LLC/SNAP are unwrapped
/// here, everything else is left to the decoder (the tags included).
fn ethernet<'a>(packet: &Packet<'a>) -> Result<Option<Packet<'a>>, Skip> {
    let data = packet.data;
    let mut at = 12;
    let Some(mut ethertype) = be16(data, at) else {
        return Ok(None);
    };
    let mut tags = 0;
    while matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) && tags < 4 {
        at += 4;
        tags += 1;
        let Some(next) = be16(data, at) else {
            return Ok(None);
        };
        ethertype = next;
    }
    // 802.3: a length, not a type; IP in it comes with an LLC/SNAP header.
    if ethertype <= 1500 {
        if data.get(at + 2..at + 5) == Some(&[0xaa, 0xaa, 0x03]) {
            let Some(inner_type) = be16(data, at + 8) else {
                return Err(Skip::Malformed);
            };
            return snap_type(packet, inner_type, at + 10).map(Some);
        }
        return Err(Skip::NotTcpUdp);
    }
    ethertype_at(packet, ethertype, at + 2)
}

/// The payload at `at`, of an Ethernet type: PPPoE and MPLS unwrapped, IP as IP, anything
/// else left to the decoder.
fn ethertype_at<'a>(
    packet: &Packet<'a>,
    ethertype: u16,
    at: usize,
) -> Result<Option<Packet<'a>>, Skip> {
    match ethertype {
        0x8864 => pppoe_session(packet, at).map(Some),
        0x8863 => Err(Skip::NotTcpUdp), // PPPoE discovery
        0x8847 | 0x8848 => mpls(packet, at).map(Some),
        _ => Ok(None),
    }
}

/// The IP packet of an LLC/SNAP payload's Ethernet type (802.11, 802.3).
fn snap_type<'a>(packet: &Packet<'a>, ethertype: u16, at: usize) -> Result<Packet<'a>, Skip> {
    match ethertype {
        0x0800 | 0x86dd => ip_at(packet, at),
        _ => ethertype_at(packet, ethertype, at)?.ok_or(Skip::NotTcpUdp),
    }
}

/// A PPPoE session packet (RFC 2516: version and type 0x11, code 0, session, length) and
/// the PPP frame it carries.
fn pppoe_session<'a>(packet: &Packet<'a>, at: usize) -> Result<Packet<'a>, Skip> {
    let head = packet.data.get(at..at + 6).ok_or(Skip::Malformed)?;
    if head[0] != 0x11 || head[1] != 0 {
        return Err(Skip::Malformed);
    }
    ppp_protocol(packet, at + 6)
}

/// A PPP frame's protocol field at `at` (one byte when compressed: an odd first byte) and
/// the packet it carries.
fn ppp_protocol<'a>(packet: &Packet<'a>, at: usize) -> Result<Packet<'a>, Skip> {
    let first = *packet.data.get(at).ok_or(Skip::Malformed)?;
    let (protocol, len) = if first & 1 == 1 {
        (u16::from(first), 1)
    } else {
        (be16(packet.data, at).ok_or(Skip::Malformed)?, 2)
    };
    match protocol {
        0x0021 | 0x0057 => ip_at(packet, at + len),
        0x0281 | 0x0283 => mpls(packet, at + len),
        _ => Err(Skip::NotTcpUdp),
    }
}

/// PPP as LINKTYPE_PPP and LINKTYPE_PPP_HDLC have it: in HDLC-like framing (address
/// 0xff, control 0x03) or bare; a Cisco HDLC frame in the latter is read as one.
fn ppp_framed<'a>(packet: &Packet<'a>) -> Result<Packet<'a>, Skip> {
    match packet.data.first() {
        Some(0xff) if packet.data.get(1) == Some(&0x03) => ppp_protocol(packet, 2),
        Some(0x0f | 0x8f) if packet.data.get(1) == Some(&0x00) => cisco_hdlc(packet),
        _ => ppp_protocol(packet, 0),
    }
}

/// A Cisco HDLC frame: address (0x0f unicast, 0x8f broadcast), control 0, an Ethernet type.
fn cisco_hdlc<'a>(packet: &Packet<'a>) -> Result<Packet<'a>, Skip> {
    let ethertype = be16(packet.data, 2).ok_or(Skip::Malformed)?;
    snap_type(packet, ethertype, 4)
}

/// An MPLS label stack (four bytes an entry, the last with its bottom-of-stack bit) and
/// what it carries: IPv4 or IPv6 by the first nibble, or Ethernet behind a pseudowire
/// control word (a first nibble of 0).
fn mpls<'a>(packet: &Packet<'a>, mut at: usize) -> Result<Packet<'a>, Skip> {
    loop {
        let entry = packet.data.get(at..at + 4).ok_or(Skip::Malformed)?;
        at += 4;
        if entry[2] & 0x01 != 0 {
            break;
        }
    }
    match packet.data.get(at).map(|b| b >> 4) {
        Some(0) => inner(packet, LinkType::ETHERNET, at + 4, 0),
        _ => ip_at(packet, at),
    }
}

/// An IEEE 802.11 frame: a data frame's body behind its LLC/SNAP header. Management and
/// control frames, data frames without a body and protected (encrypted) frames carry no
/// IP that can be read. `padded`: radiotap says the header is padded to four bytes.
fn ieee80211<'a>(packet: &Packet<'a>, padded: bool) -> Result<Packet<'a>, Skip> {
    let (ethertype, at) = ieee80211_llc(packet.data, padded)?;
    snap_type(packet, ethertype, at)
}

/// The Ethernet type of an 802.11 data frame's LLC/SNAP header and where its payload
/// starts.
fn ieee80211_llc(data: &[u8], padded: bool) -> Result<(u16, usize), Skip> {
    let (fc0, fc1) = match data {
        [a, b, ..] => (*a, *b),
        _ => return Err(Skip::Malformed),
    };
    let kind = (fc0 >> 2) & 0x03;
    let subtype = fc0 >> 4;
    if kind != 2 || subtype & 0x04 != 0 || fc1 & 0x40 != 0 {
        return Err(Skip::NotTcpUdp);
    }
    // To DS and From DS both set: a fourth address.
    let mut at = if fc1 & 0x03 == 0x03 { 30 } else { 24 };
    if subtype & 0x08 != 0 {
        let qos = *data.get(at).ok_or(Skip::Malformed)?;
        if qos & 0x80 != 0 {
            return Err(Skip::NotTcpUdp); // an A-MSDU of several frames
        }
        at += 2;
        if fc1 & 0x80 != 0 {
            at += 4; // HT control
        }
    }
    if padded {
        at = (at + 3) & !3;
    }
    let llc = data.get(at..at + 8).ok_or(Skip::Malformed)?;
    if llc[..3] != [0xaa, 0xaa, 0x03] {
        return Err(Skip::NotTcpUdp);
    }
    Ok((u16::from_be_bytes([llc[6], llc[7]]), at + 8))
}

/// A radiotap header (radiotap.org): its length, and its Flags field for a frame check
/// sequence at the end of the frame and padding after the 802.11 header.
fn radiotap<'a>(packet: &Packet<'a>) -> Result<Packet<'a>, Skip> {
    let (frame, padded) = radiotap_frame(packet)?;
    ieee80211(&frame, padded)
}

/// The 802.11 frame behind a radiotap header, and whether its header is padded.
fn radiotap_frame<'a>(packet: &Packet<'a>) -> Result<(Packet<'a>, bool), Skip> {
    let data = packet.data;
    let len = usize::from(le16(data, 2).ok_or(Skip::Malformed)?);
    if data.first() != Some(&0) || len < 8 {
        return Err(Skip::Malformed);
    }
    let present = le32(data, 4).ok_or(Skip::Malformed)?;
    // Further `present` words follow while bit 31 is set; the fields come after them.
    let mut fields = 8;
    let mut word = present;
    while word & 0x8000_0000 != 0 {
        word = le32(data, fields).ok_or(Skip::Malformed)?;
        fields += 4;
    }
    let mut flags = 0u8;
    if present & 0x02 != 0 {
        let mut at = fields;
        if present & 0x01 != 0 {
            at = ((at + 7) & !7) + 8; // TSFT: eight bytes, aligned to eight
        }
        if at < len {
            flags = *data.get(at).ok_or(Skip::Malformed)?;
        }
    }
    let fcs = if flags & 0x10 != 0 { 4 } else { 0 };
    Ok((
        inner(packet, LinkType::IEEE802_11, len, fcs)?,
        flags & 0x20 != 0,
    ))
}

/// A Prism monitor-mode header (its length in the second word, in the byte order of the
/// host that wrote it) or an AVS one (magic 0x8021100x, big-endian length), then 802.11.
fn prism_or_avs<'a>(packet: &Packet<'a>) -> Result<Packet<'a>, Skip> {
    ieee80211(&prism_or_avs_frame(packet)?, false)
}

/// The 802.11 frame behind a Prism or AVS header.
fn prism_or_avs_frame<'a>(packet: &Packet<'a>) -> Result<Packet<'a>, Skip> {
    let data = packet.data;
    let magic = be32(data, 0).ok_or(Skip::Malformed)?;
    let len = if magic & 0xffff_fff0 == 0x8021_1000 {
        be32(data, 4)
    } else {
        le32(data, 4)
            .filter(|&n| (8..=data.len() as u32).contains(&n))
            .or_else(|| be32(data, 4))
    }
    .ok_or(Skip::Malformed)? as usize;
    if len < 8 {
        return Err(Skip::Malformed);
    }
    inner(packet, LinkType::IEEE802_11, len, 0)
}

/// A PPI header: its length and the link type of the frame after it (802.11 mostly).
fn ppi<'a>(packet: &Packet<'a>) -> Result<Packet<'a>, Skip> {
    let len = usize::from(le16(packet.data, 2).ok_or(Skip::Malformed)?);
    let dlt = le32(packet.data, 4).ok_or(Skip::Malformed)?;
    if len < 8 {
        return Err(Skip::Malformed);
    }
    inner(packet, LinkType(dlt), len, 0)
}

/// A Linux NFLOG record: the address family, then type-length-value attributes (length
/// and type in the writing host's byte order, each padded to four bytes); the packet is
/// attribute 9 (NFULA_PAYLOAD), an IP packet.
fn nflog<'a>(packet: &Packet<'a>) -> Result<Packet<'a>, Skip> {
    let data = packet.data;
    if !matches!(data.first(), Some(2 | 10)) {
        return Err(Skip::NotTcpUdp);
    }
    // The byte order: little-endian (the hosts that write these) unless the first
    // attribute's length does not fit so.
    let little = le16(data, 4).is_some_and(|l| l >= 4 && usize::from(l) <= data.len() - 4);
    let read = |at| {
        if little {
            le16(data, at)
        } else {
            be16(data, at)
        }
    };
    let mut at = 4;
    while at + 4 <= data.len() {
        let len = usize::from(read(at).ok_or(Skip::Malformed)?);
        let kind = read(at + 2).ok_or(Skip::Malformed)?;
        if len < 4 {
            return Err(Skip::Malformed);
        }
        if kind == 9 {
            let start = at + 4;
            let p = inner(packet, LinkType::RAW, start, 0)?;
            // The attribute's own length bounds the packet (a cut capture keeps less).
            let whole = len - 4;
            return Ok(Packet {
                data: &p.data[..p.data.len().min(whole)],
                orig_len: p.orig_len.min(whole as u32),
                ..p
            });
        }
        at += (len + 3) & !3;
    }
    Err(Skip::NotTcpUdp)
}

/// An OpenBSD pflog header: its length in the first byte (padded to four), the address
/// family in the second, then the IP packet.
fn pflog<'a>(packet: &Packet<'a>) -> Result<Packet<'a>, Skip> {
    let len = usize::from(*packet.data.first().ok_or(Skip::Malformed)?);
    let family = *packet.data.get(1).ok_or(Skip::Malformed)?;
    if len < 4 {
        return Err(Skip::Malformed);
    }
    if !matches!(family, 2 | 10 | 24 | 28 | 30) {
        return Err(Skip::NotTcpUdp);
    }
    ip_at(packet, (len + 3) & !3)
}

/// A link-layer frame that carries no IP but may carry a login: what [`frame`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkFrame<'a> {
    /// The sender's MAC address (802.11: the transmitter).
    pub src: [u8; 6],
    /// The receiver's MAC address.
    pub dst: [u8; 6],
    pub payload: LinkPayload<'a>,
}

/// What a [`LinkFrame`] carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPayload<'a> {
    /// A PPPoE session's PPP frame (RFC 2516), from its protocol field, cut to the
    /// session header's length.
    Pppoe { session: u16, ppp: &'a [u8] },
    /// An IEEE 802.1X EAPOL frame (Ethernet type 0x888E), from its version byte.
    Eapol(&'a [u8]),
    /// An 802.11 beacon, probe response or (re)association request: the network's name,
    /// for the WPA handshakes of its BSSID (`src`).
    Ssid(&'a [u8]),
    /// An IS-IS PDU (802.2 LLC, SAPs 0xFE), from its discriminator.
    Isis(&'a [u8]),
}

/// The IS-IS PDU in an 802.2 LLC frame (DSAP and SSAP 0xFE, unnumbered information), if
/// that is what it holds.
fn llc_isis(llc: &[u8]) -> Option<&[u8]> {
    match llc {
        [0xfe, 0xfe, 0x03, pdu @ ..] if pdu.first() == Some(&0x83) => Some(pdu),
        _ => None,
    }
}

/// The group address of the IS-IS routers a PDU is for, where the capture does not say
/// (Linux cooked captures keep only the sender's address): level 1's (AllL1ISs), level
/// 2's (AllL2ISs), or all of them (AllISs) for point-to-point hellos.
fn isis_group(pdu: &[u8]) -> [u8; 6] {
    match pdu.get(4).map(|t| t & 0x1f) {
        Some(15 | 18 | 24 | 26) => [0x01, 0x80, 0xc2, 0, 0, 0x14],
        Some(16 | 20 | 25 | 27) => [0x01, 0x80, 0xc2, 0, 0, 0x15],
        _ => [0x09, 0x00, 0x2b, 0, 0, 0x05],
    }
}

/// An IS-IS PDU in a Linux cooked capture (`-i any`): protocol 0x0004 (802.2 frames
/// received) or an 802.3 length (802.2 frames sent: the kernel writes the length), the
/// sender's address of 6 bytes.
fn cooked_isis(
    data: &[u8],
    protocol: u16,
    addr_len: u8,
    addr: usize,
    llc: usize,
) -> Option<LinkFrame<'_>> {
    let body = data.get(llc..)?;
    let body = match protocol {
        0x0004 => body,
        len @ 14..=1500 => &body[..usize::from(len).min(body.len())],
        _ => return None,
    };
    if addr_len != 6 {
        return None;
    }
    let pdu = llc_isis(body)?;
    Some(LinkFrame {
        src: mac_at(data, addr)?,
        dst: isis_group(pdu),
        payload: LinkPayload::Isis(pdu),
    })
}

fn mac_at(data: &[u8], at: usize) -> Option<[u8; 6]> {
    data.get(at..at + 6)?.try_into().ok()
}

/// The PPPoE session or EAPOL frame of an Ethernet frame (behind up to four VLAN tags),
/// or an IS-IS PDU (also in Linux cooked captures), or the EAPOL frame or
/// network-naming management frame of an 802.11 one (bare or behind a
/// radiotap, PPI, Prism or AVS header); `None` for any other frame. Off the fast path:
/// only packets that carry neither TCP nor UDP are asked.
pub fn frame<'a>(packet: &Packet<'a>) -> Option<LinkFrame<'a>> {
    let mut packet = *packet;
    for _ in 0..super::MAX_TUNNELS {
        return match packet.linktype {
            LinkType::ETHERNET => ethernet_frame(packet.data),
            LinkType::LINUX_SLL => {
                let d = packet.data;
                cooked_isis(d, be16(d, 14)?, *d.get(5)?, 6, 16)
            }
            LinkType::LINUX_SLL2 => {
                let d = packet.data;
                cooked_isis(d, be16(d, 0)?, *d.get(11)?, 12, 20)
            }
            LinkType::IEEE802_11 => ieee80211_frame(packet.data, false),
            LinkType::IEEE802_11_RADIOTAP => {
                let (f, padded) = radiotap_frame(&packet).ok()?;
                ieee80211_frame(f.data, padded)
            }
            LinkType::PRISM | LinkType::AVS => {
                ieee80211_frame(prism_or_avs_frame(&packet).ok()?.data, false)
            }
            LinkType::PPI => {
                packet = ppi(&packet).ok()?;
                continue;
            }
            _ => None,
        };
    }
    None
}

fn ethernet_frame(data: &[u8]) -> Option<LinkFrame<'_>> {
    let (dst, src) = (mac_at(data, 0)?, mac_at(data, 6)?);
    let mut at = 12;
    let mut ethertype = be16(data, at)?;
    let mut tags = 0;
    while matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) && tags < 4 {
        at += 4;
        tags += 1;
        ethertype = be16(data, at)?;
    }
    let body = data.get(at + 2..)?;
    let payload = match ethertype {
        0x8864 => {
            let h = body.get(..6)?;
            if h[0] != 0x11 || h[1] != 0 {
                return None;
            }
            let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
            let ppp = &body[6..];
            LinkPayload::Pppoe {
                session: u16::from_be_bytes([h[2], h[3]]),
                ppp: &ppp[..len.min(ppp.len())],
            }
        }
        0x888e => LinkPayload::Eapol(body),
        // An 802.3 length: 802.2 LLC follows, cut to it.
        len @ ..=1500 => LinkPayload::Isis(llc_isis(&body[..usize::from(len).min(body.len())])?),
        _ => return None,
    };
    Some(LinkFrame { src, dst, payload })
}

fn ieee80211_frame(data: &[u8], padded: bool) -> Option<LinkFrame<'_>> {
    let fc0 = *data.first()?;
    let (dst, src) = (mac_at(data, 4)?, mac_at(data, 10)?);
    let kind = (fc0 >> 2) & 0x03;
    let subtype = fc0 >> 4;
    if kind == 0 {
        // Management frames naming the network: beacons and probe responses (the access
        // point's: timestamp, interval, capabilities), association requests (the
        // station's: capabilities, listen interval) and reassociation requests (and the
        // current access point's address), then elements, the SSID first. Address 3 is
        // the BSSID. A hidden network's beacons name none (an empty or zeroed SSID);
        // its probe responses and its stations' association requests do.
        let elements_at = match subtype {
            5 | 8 => 36,
            0 => 28,
            2 => 34,
            _ => return None,
        };
        let bssid = mac_at(data, 16)?;
        let elements = data.get(elements_at..)?;
        let (&id, rest) = elements.split_first()?;
        let len = usize::from(*rest.first()?);
        let ssid = rest.get(1..1 + len)?;
        if id != 0 || len > 32 || ssid.iter().all(|&b| b == 0) {
            return None;
        }
        return Some(LinkFrame {
            src: bssid,
            dst: if bssid == dst { src } else { dst },
            payload: LinkPayload::Ssid(ssid),
        });
    }
    let (ethertype, at) = ieee80211_llc(data, padded).ok()?;
    (ethertype == 0x888e).then_some(LinkFrame {
        src,
        dst,
        payload: LinkPayload::Eapol(data.get(at..)?),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Decoded, Transport, decode_stateless};
    use super::*;
    use crate::synth::{Flags, Link, tcp_packet, udp_packet};
    use crate::timestamp::Timestamp;

    fn packet(linktype: LinkType, data: &[u8]) -> Packet<'_> {
        Packet {
            frame: 1,
            ts: Timestamp::ZERO,
            linktype,
            data,
            orig_len: data.len() as u32,
        }
    }

    /// What the decoder makes of a packet, as text to compare.
    fn decoded(p: &Packet<'_>) -> String {
        match decode_stateless(p).get() {
            Ok(Decoded {
                src,
                dst,
                transport,
                complete,
            }) => match transport {
                Transport::Tcp(t) => format!(
                    "{src}:{} > {dst}:{} tcp {:?} wire {} complete {complete}",
                    t.src_port, t.dst_port, t.payload, t.wire_len
                ),
                Transport::Udp(u) => format!(
                    "{src}:{} > {dst}:{} udp {:?} complete {complete}",
                    u.src_port, u.dst_port, u.payload
                ),
            },
            Err(e) => format!("{e:?}"),
        }
    }

    fn links() -> Vec<Link> {
        vec![
            Link::Pppoe,
            Link::Mpls(vec![16]),
            Link::Mpls(vec![1000, 2000, 3000]),
            Link::Ppp,
            Link::CiscoHdlc,
            Link::Ieee80211,
            Link::Radiotap { fcs: false },
            Link::Radiotap { fcs: true },
            Link::Ppi,
            Link::Nflog,
            Link::Pflog,
        ]
    }

    fn ip_packets() -> Vec<Vec<u8>> {
        let flags = Flags {
            ack: true,
            psh: true,
            ..Flags::default()
        };
        vec![
            tcp_packet(
                "10.1.0.2:40000".parse().unwrap(),
                "10.1.0.1:110".parse().unwrap(),
                7,
                9,
                flags,
                b"PASS over-the-link\r\n",
            ),
            tcp_packet(
                "[fd00::2]:40000".parse().unwrap(),
                "[fd00::1]:21".parse().unwrap(),
                7,
                9,
                flags,
                b"USER six\r\n",
            ),
            udp_packet(
                "10.1.0.2:5353".parse().unwrap(),
                "10.1.0.1:1812".parse().unwrap(),
                b"\x01\x02\x00\x14",
            ),
        ]
    }

    /// Every link layer gives the decoder the packet raw IP gives it, IPv4 and IPv6, TCP
    /// and UDP.
    #[test]
    fn every_link_layer_decodes_as_raw_ip() {
        for ip in ip_packets() {
            let raw = decoded(&packet(LinkType::RAW, &ip));
            assert!(raw.contains(" > "), "{raw}");
            for link in links() {
                let frame = link.frame(&ip);
                assert_eq!(decoded(&packet(link.linktype(), &frame)), raw, "{link:?}");
            }
        }
    }

    /// A frame the snapshot length cut stays cut once unwrapped (its wire length is the
    /// sender's), and a frame cut inside its link header is malformed, never a panic.
    #[test]
    fn cut_frames_keep_their_wire_length() {
        let ip = &ip_packets()[0];
        for link in links() {
            let frame = link.frame(ip);
            let cut = &frame[..frame.len()
                - 8
                - if link == (Link::Radiotap { fcs: true }) {
                    4
                } else {
                    0
                }];
            let p = Packet {
                orig_len: frame.len() as u32,
                ..packet(link.linktype(), cut)
            };
            let text = decoded(&p);
            assert!(text.contains("wire 20 complete false"), "{link:?}: {text}");
            for n in 0..frame.len() {
                let p = Packet {
                    orig_len: frame.len() as u32,
                    ..packet(link.linktype(), &frame[..n])
                };
                let _ = decoded(&p);
            }
        }
    }

    /// 802.11 frames that carry no readable IP: management, encrypted, null data, and a
    /// data frame whose body is not LLC/SNAP.
    #[test]
    fn ieee80211_without_ip_is_skipped() {
        let ip = &ip_packets()[0];
        let frame = Link::Ieee80211.frame(ip);
        let mut protected = frame.clone();
        protected[1] |= 0x40;
        let mut beacon = frame.clone();
        beacon[0] = 0x80;
        let mut null = frame.clone();
        null[0] = 0xc8; // QoS null
        let mut not_snap = frame.clone();
        not_snap[26] = 0x42;
        for f in [protected, beacon, null, not_snap] {
            assert_eq!(decoded(&packet(LinkType::IEEE802_11, &f)), "NotTcpUdp");
        }
        // Four addresses (a wireless bridge), radiotap's padding after the header.
        let mut wds = frame[..24].to_vec();
        wds[1] = 0x03;
        wds.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x0b]);
        wds.extend_from_slice(&frame[24..]);
        let raw = decoded(&packet(LinkType::RAW, ip));
        assert_eq!(decoded(&packet(LinkType::IEEE802_11, &wds)), raw);
        let mut padded = frame[..26].to_vec();
        padded.extend_from_slice(&[0, 0]);
        padded.extend_from_slice(&frame[26..]);
        let p = packet(LinkType::IEEE802_11, &padded);
        assert_eq!(decoded(&p), "NotTcpUdp", "unpadded reading sees no LLC");
        assert_eq!(
            ieee80211(&p, true).map(|p| p.data.to_vec()),
            Ok(ip.clone()),
            "padded reading"
        );
    }

    /// The management frames that name a network give its SSID with its BSSID as sender:
    /// beacons and probe responses from the access point, (re)association requests from
    /// the station; a hidden network's beacon (empty or zeroed SSID) and frames of other
    /// subtypes give nothing.
    #[test]
    fn ieee80211_network_names() {
        const AP: [u8; 6] = [2, 0, 0, 0, 0xa1, 1];
        const STA: [u8; 6] = [2, 0, 0, 0, 0x5a, 2];
        let management = |subtype: u8, a1: [u8; 6], a2: [u8; 6], fixed: usize, ssid: &[u8]| {
            let mut f = vec![subtype << 4, 0, 0, 0];
            f.extend(a1);
            f.extend(a2);
            f.extend(AP);
            f.extend([0x20, 0]);
            f.extend(vec![0x11; fixed]);
            f.push(0);
            f.push(ssid.len() as u8);
            f.extend(ssid);
            f.extend([1, 1, 0x82]);
            f
        };
        let cases = [
            (management(8, [0xff; 6], AP, 12, b"Lab"), [0xff; 6]),
            (management(5, STA, AP, 12, b"Lab"), STA),
            (management(0, AP, STA, 4, b"Lab"), STA),
            (management(2, AP, STA, 10, b"Lab"), STA),
        ];
        for (f, other) in cases {
            let p = packet(LinkType::IEEE802_11, &f);
            let got = frame(&p).expect("a network name");
            assert_eq!(got.src, AP, "{:02x}", f[0]);
            assert_eq!(got.dst, other, "{:02x}", f[0]);
            assert_eq!(got.payload, LinkPayload::Ssid(b"Lab"), "{:02x}", f[0]);
        }
        for f in [
            management(8, [0xff; 6], AP, 12, b""),
            management(8, [0xff; 6], AP, 12, &[0, 0, 0]),
            // A probe request (no BSSID to name), an authentication frame.
            management(4, [0xff; 6], STA, 0, b"Lab"),
            management(11, AP, STA, 6, b"Lab"),
            management(0, AP, STA, 4, &[b'x'; 33]),
        ] {
            assert_eq!(frame(&packet(LinkType::IEEE802_11, &f)), None, "{f:02x?}");
        }
        // Cut anywhere: no panic.
        let f = management(2, AP, STA, 10, b"Lab");
        for n in 0..f.len() {
            let _ = frame(&packet(LinkType::IEEE802_11, &f[..n]));
        }
    }

    /// Prism (length in the writer's byte order) and AVS (big-endian, its magic) headers
    /// before 802.11, and Cisco HDLC in a PPP_HDLC capture: each decodes as raw IP.
    #[test]
    fn prism_avs_and_cisco_hdlc_in_ppp() {
        let ip = &ip_packets()[0];
        let raw = decoded(&packet(LinkType::RAW, ip));
        let dot11 = Link::Ieee80211.frame(ip);
        for msglen in [144u32.to_le_bytes(), 144u32.to_be_bytes()] {
            let mut prism = vec![0x44, 0, 0, 0];
            prism.extend_from_slice(&msglen);
            prism.resize(144, 0x5a);
            prism.extend_from_slice(&dot11);
            assert_eq!(decoded(&packet(LinkType::PRISM, &prism)), raw);
        }
        let mut avs = 0x8021_1001u32.to_be_bytes().to_vec();
        avs.extend_from_slice(&64u32.to_be_bytes());
        avs.resize(64, 0);
        avs.extend_from_slice(&dot11);
        assert_eq!(decoded(&packet(LinkType::AVS, &avs)), raw);
        assert_eq!(decoded(&packet(LinkType::PRISM, &avs)), raw);
        let chdlc = Link::CiscoHdlc.frame(ip);
        assert_eq!(decoded(&packet(LinkType::PPP_HDLC, &chdlc)), raw);
        let mut bare_ppp = vec![0x21]; // compressed protocol field, no address/control
        bare_ppp.extend_from_slice(ip);
        assert_eq!(decoded(&packet(LinkType::PPP, &bare_ppp)), raw);
    }

    /// Headers that nest (PPI around PPI...) stop at the decoder's bound, not the stack's.
    #[test]
    fn nested_headers_are_bounded() {
        let ip = &ip_packets()[0];
        let mut frame = Link::Raw.frame(ip);
        for _ in 0..10_000 {
            let mut outer = vec![0, 0, 8, 0];
            outer.extend_from_slice(&192u32.to_le_bytes());
            outer.extend_from_slice(&frame);
            frame = outer;
        }
        assert_eq!(decoded(&packet(LinkType::PPI, &frame)), "Malformed");
    }

    /// Ethernet: PPPoE behind a VLAN tag, 802.3 with LLC/SNAP, Ethernet over MPLS behind
    /// a control word, PPPoE discovery, and PPPoE and MPLS in Linux cooked captures.
    #[test]
    fn ethernet_variants() {
        let ip = &ip_packets()[0];
        let raw = decoded(&packet(LinkType::RAW, ip));
        let pppoe = Link::Pppoe.frame(ip);
        let mut tagged = pppoe[..12].to_vec();
        tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x07]);
        tagged.extend_from_slice(&pppoe[12..]);
        assert_eq!(decoded(&packet(LinkType::ETHERNET, &tagged)), raw);

        let mut dot3 = pppoe[..12].to_vec();
        dot3.extend_from_slice(&((ip.len() + 8) as u16).to_be_bytes());
        dot3.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
        dot3.extend_from_slice(ip);
        assert_eq!(decoded(&packet(LinkType::ETHERNET, &dot3)), raw);

        let mut eompls = Link::Mpls(vec![77]).frame(&[]);
        eompls.extend_from_slice(&[0, 0, 0, 1]); // control word
        eompls.extend_from_slice(&Link::Ethernet.frame(ip));
        assert_eq!(decoded(&packet(LinkType::ETHERNET, &eompls)), raw);

        let mut discovery = pppoe.clone();
        discovery[13] = 0x63;
        assert_eq!(
            decoded(&packet(LinkType::ETHERNET, &discovery)),
            "NotTcpUdp"
        );

        for (outer, proto) in [
            (&pppoe, 0x8864u16),
            (&Link::Mpls(vec![5]).frame(ip), 0x8847),
        ] {
            let body = &outer[14..];
            let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
            sll.extend_from_slice(&proto.to_be_bytes());
            sll.extend_from_slice(body);
            assert_eq!(decoded(&packet(LinkType::LINUX_SLL, &sll)), raw);
            let mut sll2 = proto.to_be_bytes().to_vec();
            sll2.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
            sll2.extend_from_slice(body);
            assert_eq!(decoded(&packet(LinkType::LINUX_SLL2, &sll2)), raw);
        }
    }

    /// NFLOG written on a big-endian host, and attributes after the payload.
    #[test]
    fn nflog_either_byte_order() {
        let ip = &ip_packets()[0];
        let raw = decoded(&packet(LinkType::RAW, ip));
        let mut f = vec![2, 0, 0, 5];
        f.extend_from_slice(&8u16.to_be_bytes());
        f.extend_from_slice(&1u16.to_be_bytes());
        f.extend_from_slice(&[0x08, 0x00, 3, 0]);
        f.extend_from_slice(&((4 + ip.len()) as u16).to_be_bytes());
        f.extend_from_slice(&9u16.to_be_bytes());
        f.extend_from_slice(ip);
        f.resize(f.len().next_multiple_of(4), 0);
        f.extend_from_slice(&[8, 0, 11, 0, 0, 0, 0, 0]); // NFULA_UID after it
        assert_eq!(decoded(&packet(LinkType::NFLOG, &f)), raw);
        f[0] = 7; // not IP
        assert_eq!(decoded(&packet(LinkType::NFLOG, &f)), "NotTcpUdp");
    }

    proptest::proptest! {
        /// Any bytes under any of these link types: a decoding or a reason, never a panic.
        #[test]
        fn any_bytes_never_panic(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            which in 0usize..14,
        ) {
            let linktype = [
                LinkType::ETHERNET, LinkType::LINUX_SLL, LinkType::LINUX_SLL2, LinkType::PPP,
                LinkType::PPP_HDLC, LinkType::PPP_ETHER, LinkType::C_HDLC,
                LinkType::IEEE802_11, LinkType::IEEE802_11_RADIOTAP, LinkType::PRISM,
                LinkType::AVS, LinkType::PPI, LinkType::NFLOG, LinkType::PFLOG,
            ][which];
            let _ = decoded(&packet(linktype, &data));
        }
    }
}
