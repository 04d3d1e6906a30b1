//! HSRP, Cisco's Hot Standby Router Protocol (version 1: RFC 2281; version 2: Cisco's
//! type-length-value form), UDP 1985 (2029 for IPv6): the text key of a gateway group.
//!
//! The routers sharing a virtual gateway address send hellos every few seconds to
//! 224.0.0.2 (version 2: 224.0.0.102), each carrying the group's 8-byte authentication
//! data in clear — `cisco` unless configured. Whoever has it can send hellos with a higher
//! priority and become the gateway of the segment. Version 1 holds it at bytes 8-15 of the
//! 20-byte message; version 2 in a Text Authentication TLV (type 3). Mechanism
//! `text authentication`, kind `cleartext`, no user name; `details.group` and, for
//! version 1, `details.virtual_ip`; `details.note` says when the key is Cisco's default.
//! The finding `repeats` (reported once per sender and receiver); HSRP never refuses a
//! hello, so the outcome is unknown. MD5 authentication (TLV type 4) sends no key and gives
//! nothing.

use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "hsrp",
    udp_ports: &[1985, 2029],
    ip_protocols: &[],
    probe,
    by_content: false,
    new: |_config| Box::new(Hsrp),
};

/// The key of a router configured without one.
pub const DEFAULT_KEY: &[u8] = b"cisco";

/// What a hello carries.
#[derive(Debug, PartialEq, Eq)]
pub struct Hello<'a> {
    pub version: u8,
    pub group: u16,
    /// Version 1's virtual address.
    pub virtual_ip: Option<[u8; 4]>,
    /// The text authentication data, its NUL padding removed.
    pub key: Option<&'a [u8]>,
}

fn unpadded(data: &[u8]) -> &[u8] {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &data[..end]
}

/// Version 1: version 0, a Hello, Coup or Resign, one of the six states.
fn parse_v1(d: &[u8]) -> Option<Hello<'_>> {
    let m = d.get(..20)?;
    if m[0] != 0 || m[1] > 2 || !matches!(m[2], 0 | 1 | 2 | 4 | 8 | 16) {
        return None;
    }
    Some(Hello {
        version: 1,
        group: u16::from(m[6]),
        virtual_ip: Some([m[16], m[17], m[18], m[19]]),
        key: Some(unpadded(&m[8..16])),
    })
}

/// Version 2: a Group State TLV (type 1, 40 bytes, version 2) first, then other TLVs.
fn parse_v2(d: &[u8]) -> Option<Hello<'_>> {
    let (&[kind, len], rest) = d.split_first_chunk::<2>()?;
    if kind != 1 || len != 40 || rest.len() < 40 || rest[0] != 2 {
        return None;
    }
    let group = u16::from_be_bytes([rest[4], rest[5]]);
    let mut tlvs = &rest[40..];
    let mut key = None;
    while let Some((&[kind, len], rest)) = tlvs.split_first_chunk::<2>() {
        let Some(value) = rest.get(..usize::from(len)) else {
            break;
        };
        if kind == 3 && len == 8 {
            key = Some(unpadded(value));
        }
        tlvs = &rest[usize::from(len)..];
    }
    Some(Hello {
        version: 2,
        group,
        virtual_ip: None,
        key,
    })
}

/// An HSRP message of either version.
pub fn parse(payload: &[u8]) -> Option<Hello<'_>> {
    match payload.first()? {
        0 => parse_v1(payload),
        1 => parse_v2(payload),
        _ => None,
    }
}

/// Maybe for a message of either version, never Yes: twenty bytes that start with zeros
/// are too common (a DNS query with a small ID reads as a version 1 hello) for content
/// alone to decide, so HSRP is read on its ports only.
pub fn probe(payload: &[u8]) -> Probe {
    if parse(payload).is_some() {
        Probe::Maybe
    } else {
        Probe::No
    }
}

#[derive(Debug)]
pub struct Hsrp;

impl DatagramDissector for Hsrp {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(hello) = parse(chunk.data) else {
            return;
        };
        let Some(key) = hello.key.filter(|k| !k.is_empty()) else {
            return;
        };
        let mut c = Credential::new("hsrp", "text authentication", Kind::Cleartext, chunk.ts);
        c.secret = Some(key.to_vec());
        c.repeats = true;
        c.add_frames([chunk.frame]);
        c.details.push(("version", hello.version.to_string()));
        c.details.push(("group", hello.group.to_string()));
        if let Some(ip) = hello.virtual_ip {
            c.details
                .push(("virtual_ip", std::net::Ipv4Addr::from(ip).to_string()));
        }
        if key == DEFAULT_KEY {
            c.details.push(("note", "Cisco's default key".to_string()));
        }
        out.push(c);
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// HSRP hellos, for tests and fixtures.
pub mod build {
    /// A version 1 hello of an active router.
    pub fn hello_v1(group: u8, key: &[u8], virtual_ip: [u8; 4]) -> Vec<u8> {
        let mut v = vec![0, 0, 16, 3, 10, 110, group, 0];
        let mut field = [0u8; 8];
        field[..key.len().min(8)].copy_from_slice(&key[..key.len().min(8)]);
        v.extend(field);
        v.extend(virtual_ip);
        v
    }

    /// A version 2 hello (IPv4) with a Text Authentication TLV when `key` is given.
    pub fn hello_v2(group: u16, key: Option<&[u8]>) -> Vec<u8> {
        let mut v = vec![1, 40, 2, 0, 16, 4];
        v.extend(group.to_be_bytes());
        v.extend([0x00, 0x00, 0x0c, 0x9f, 0xf0, 0x01]);
        v.extend(100u32.to_be_bytes());
        v.extend(3000u32.to_be_bytes());
        v.extend(10000u32.to_be_bytes());
        v.extend([10, 0, 0, 254]);
        v.extend([0; 12]);
        if let Some(k) = key {
            let mut field = [0u8; 8];
            field[..k.len().min(8)].copy_from_slice(&k[..k.len().min(8)]);
            v.extend([3, 8]);
            v.extend(field);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::{hello_v1, hello_v2};
    use super::*;
    use crate::timestamp::Timestamp;

    fn run(payload: &[u8]) -> Vec<Credential> {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        d.datagram(
            Direction::ToServer,
            Chunk {
                data: payload,
                frame: 3,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        d.close(&mut out);
        out
    }

    #[test]
    fn version_1_default_key() {
        let out = run(&hello_v1(1, b"cisco", [192, 168, 1, 254]));
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "hsrp");
        assert_eq!(c.mechanism, "text authentication");
        assert_eq!(c.secret.as_deref(), Some(&b"cisco"[..]));
        assert!(c.repeats);
        assert_eq!(c.frames, vec![3]);
        assert_eq!(
            c.details,
            vec![
                ("version", "1".to_string()),
                ("group", "1".to_string()),
                ("virtual_ip", "192.168.1.254".to_string()),
                ("note", "Cisco's default key".to_string()),
            ]
        );
    }

    #[test]
    fn version_2_text_tlv_and_an_8_byte_key() {
        let out = run(&hello_v2(300, Some(b"Gw8bytes")));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].secret.as_deref(), Some(&b"Gw8bytes"[..]));
        assert_eq!(
            out[0].details,
            vec![("version", "2".to_string()), ("group", "300".to_string())]
        );
        // MD5 authentication (TLV type 4) or none: nothing.
        let mut md5 = hello_v2(300, None);
        md5.extend([4, 28]);
        md5.extend([0u8; 28]);
        assert!(run(&md5).is_empty());
        assert!(run(&hello_v2(300, None)).is_empty());
        // A TLV that claims more than is there ends the walk.
        let mut cut = hello_v2(300, None);
        cut.extend([3, 8, b'x']);
        assert!(run(&cut).is_empty());
    }

    #[test]
    fn probe_reads_both_versions() {
        assert_eq!(probe(&hello_v1(1, b"k", [10, 0, 0, 1])), Probe::Maybe);
        assert_eq!(probe(&hello_v2(1, None)), Probe::Maybe);
        let v1 = hello_v1(1, b"k", [10, 0, 0, 1]);
        for n in 0..20 {
            assert_eq!(probe(&v1[..n]), Probe::No, "{n}");
        }
        let mut bad = v1.clone();
        bad[2] = 3; // not a state
        assert_eq!(probe(&bad), Probe::No);
        bad = v1.clone();
        bad[1] = 3; // an Advertise: not a hello
        assert_eq!(probe(&bad), Probe::No);
        let mut v2 = hello_v2(1, None);
        v2[2] = 3;
        assert_eq!(probe(&v2), Probe::No);
        assert_eq!(probe(&hello_v2(1, None)[..41]), Probe::No);
        assert_eq!(probe(b"\x02\x02\x00\x00"), Probe::No);
    }

    #[test]
    fn empty_key_gives_nothing() {
        assert!(run(&hello_v1(1, b"", [10, 0, 0, 1])).is_empty());
    }
}
