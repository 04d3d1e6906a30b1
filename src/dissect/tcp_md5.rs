//! TCP MD5 signatures (RFC 2385): the key two BGP routers (or LDP, MSDP peers) share to
//! sign every segment of their session.
//!
//! Each segment carries option 19: the MD5 of a pseudo-header (addresses, protocol,
//! segment length), the TCP header without options and with a zero checksum, the
//! payload, and the key. The key is not sent, but one segment — the SYN is enough — lets
//! anyone try keys offline: John the Ripper's `tcp-md5` format (`$tcpmd5$<signed
//! bytes>$<digest>`, MD5 of the bytes then the key); hashcat has no mode for it. The
//! engine asks at the first segment of each connection it sees; protocol `bgp` on port
//! 179, `ldp` on 646, `msdp` on 639, `tcp-md5` elsewhere; mechanism `TCP MD5
//! signature`; a wrong key makes the peer drop the segment silently, so the outcome is
//! unknown.

use std::net::IpAddr;

use super::keyed::Algorithm;
use crate::decode::TcpSegment;
use crate::finding::{Credential, Kind, hex};
use crate::timestamp::Timestamp;

/// TCP option kind of an MD5 signature, and its length.
const MD5_OPTION: u8 = 19;
const MD5_OPTION_LEN: usize = 18;

/// The bytes an RFC 2385 signature covers, and the signature, for a segment between
/// `src` and `dst` (its TCP header and payload as captured); `None` without option 19,
/// or for a segment the capture cut short.
pub fn signature(src: IpAddr, dst: IpAddr, segment: &[u8]) -> Option<(Vec<u8>, [u8; 16])> {
    // Most segments have no options beyond what fits in a SYN's: asked only then.
    let header_len = usize::from(*segment.get(12)? >> 4) * 4;
    if header_len <= 20 {
        return None;
    }
    signed(src, dst, segment, header_len)
}

#[inline(never)]
fn signed(
    src: IpAddr,
    dst: IpAddr,
    segment: &[u8],
    header_len: usize,
) -> Option<(Vec<u8>, [u8; 16])> {
    let options = segment.get(20..header_len)?;
    let mut at = 0;
    let digest = loop {
        match *options.get(at)? {
            0 => return None,
            1 => at += 1,
            kind => {
                let len = usize::from(*options.get(at + 1)?);
                if len < 2 {
                    return None;
                }
                if kind == MD5_OPTION && len == MD5_OPTION_LEN {
                    break <[u8; 16]>::try_from(options.get(at + 2..at + 18)?).ok()?;
                }
                at += len;
            }
        }
    };
    let len = u32::try_from(segment.len()).ok()?;
    let mut v = Vec::with_capacity(40 + 20 + segment.len() - header_len);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            v.extend(s.octets());
            v.extend(d.octets());
            v.extend([0, 6]);
            v.extend(u16::try_from(len).ok()?.to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            v.extend(s.octets());
            v.extend(d.octets());
            v.extend(len.to_be_bytes());
            v.extend([0, 0, 0, 6]);
        }
        _ => return None,
    }
    v.extend(&segment[..16]);
    v.extend([0, 0]); // checksum
    v.extend(&segment[18..20]);
    v.extend(&segment[header_len..]);
    Some((v, digest))
}

/// The protocol a signed session on these ports is.
fn protocol(ports: (u16, u16)) -> &'static str {
    match ports {
        (179, _) | (_, 179) => "bgp",
        (646, _) | (_, 646) => "ldp",
        (639, _) | (_, 639) => "msdp",
        _ => "tcp-md5",
    }
}

/// The finding of a signed segment (the first one of a connection), frame `frame`.
pub fn credential(
    src: IpAddr,
    dst: IpAddr,
    seg: &TcpSegment<'_>,
    frame: u64,
    ts: Timestamp,
) -> Option<Credential> {
    if seg.wire_len as usize > seg.payload.len() {
        return None; // the payload the signature covers is not all in the capture
    }
    let (signed, digest) = signature(src, dst, seg.segment)?;
    let mut c = Credential::new(
        protocol((seg.src_port, seg.dst_port)),
        "TCP MD5 signature",
        Kind::ChallengeResponse,
        ts,
    );
    c.secret = Some(hex(&digest).into_bytes());
    c.challenge = Some(hex(&signed).into_bytes());
    let john = Algorithm::KeyedMd5.john(&signed, &digest);
    c.john = Some(crate::finding::John {
        format: "tcp-md5",
        hash: john.hash.replacen("$netmd5$", "$tcpmd5$", 1),
    });
    c.add_frames([frame]);
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::script::unhex;
    use md5::Digest;

    /// John the Ripper's vector (key "lolcats"): a BGP SYN from 192.168.56.20 to .40
    /// with a 40-byte header, rebuilt as it was on the wire (its checksum set, the
    /// signature in its option) — the signed bytes and digest read from it are John's
    /// line, which the key verifies.
    #[test]
    fn johns_vector_from_the_segment() {
        let john_signed = "c0a83814c0a838280006002800b3d10515f72762291b6878a010007300000000";
        let john_digest = "eaf8d1f1da3f03c90b42709e9508fc73";
        let mut seg = unhex("00b3d10515f72762291b6878a0100073");
        seg.extend([0x5a, 0x31, 0, 0]); // the checksum on the wire, then the urgent pointer
        seg.extend([1, 1, 19, 18]);
        seg.extend(unhex(john_digest));
        let (src, dst): (IpAddr, IpAddr) = (
            "192.168.56.20".parse().unwrap(),
            "192.168.56.40".parse().unwrap(),
        );
        let (signed, digest) = signature(src, dst, &seg).unwrap();
        assert_eq!(
            (hex(&signed), hex(&digest)),
            (john_signed.to_string(), john_digest.to_string())
        );
        let check = md5::Md5::new()
            .chain_update(&signed)
            .chain_update(b"lolcats")
            .finalize();
        assert_eq!(hex(&check), john_digest);
        let t = TcpSegment {
            src_port: 179,
            dst_port: 53509,
            seq: 0,
            ack: 0,
            flags: crate::decode::TcpFlags::default(),
            window: 0,
            payload: &[],
            wire_len: 0,
            segment: &seg,
        };
        let c = credential(src, dst, &t, 1, Timestamp::ZERO).unwrap();
        assert_eq!(c.protocol, "bgp");
        let j = c.john.unwrap();
        assert_eq!(
            (j.format, j.hash),
            ("tcp-md5", format!("$tcpmd5${john_signed}${john_digest}"))
        );
    }

    #[test]
    fn option_found_among_others_and_its_bytes_rebuilt() {
        // A 44-byte header: MSS, NOP, NOP, the signature.
        let src: IpAddr = "192.168.56.20".parse().unwrap();
        let dst: IpAddr = "192.168.56.40".parse().unwrap();
        let mut seg = unhex("00b3d10515f72762291b6878b0027210abcd0000");
        seg.extend([2, 4, 0x05, 0xb4, 1, 1, 19, 18]);
        seg.extend([0x77; 16]);
        let (signed, digest) = signature(src, dst, &seg).unwrap();
        assert_eq!(digest, [0x77; 16]);
        assert_eq!(
            hex(&signed),
            "c0a83814c0a838280006002c00b3d10515f72762291b6878b00272100000".to_string() + "0000"
        );
        // Without the option, with options cut, a SYN without options: nothing.
        let mut plain = seg.clone();
        plain[26] = 8; // timestamps, not a signature
        assert_eq!(signature(src, dst, &plain), None);
        assert_eq!(signature(src, dst, &seg[..30]), None);
        assert_eq!(signature(src, dst, &seg[..20]), None);
        for n in 0..seg.len() {
            let _ = signature(src, dst, &seg[..n]);
        }
        assert_eq!(protocol((40000, 179)), "bgp");
        assert_eq!(protocol((646, 40000)), "ldp");
        assert_eq!(protocol((1, 2)), "tcp-md5");
    }
}
