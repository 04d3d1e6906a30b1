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
//! hello, so the outcome is unknown.
//!
//! MD5 authentication (an MD5 Authentication TLV, type 4, after version 1's message or
//! among version 2's TLVs) sends no key but a keyed MD5 digest of the message (RFC 1828:
//! the key and its MD5 padding as one block, the message with the digest zeroed, the key
//! again): one hello is enough to try keys offline with John the Ripper's `hsrp` format
//! (`$hsrp$<message, digest zeroed>$<digest>`). Mechanism `MD5 authentication`, kind
//! `challenge-response`, `details.key_id`; reported once per sender, receiver, group and
//! key.

use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, John, Kind, hex};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "hsrp",
    udp_ports: &[1985, 2029],
    ip_protocols: &[],
    probe,
    by_content: false,
    new: |_config| Box::<Hsrp>::default(),
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
    /// An MD5 Authentication TLV: key ID, digest, and the message as signed (the digest
    /// zeroed).
    pub md5: Option<Md5Auth<'a>>,
}

/// What an MD5 Authentication TLV holds.
#[derive(Debug, PartialEq, Eq)]
pub struct Md5Auth<'a> {
    pub key_id: u32,
    pub digest: &'a [u8],
    pub signed: Vec<u8>,
}

/// The MD5 Authentication TLV at `at` in `message` (type 4, 28 bytes: algorithm 1 (MD5),
/// padding, flags, the sender's IP address, key ID, digest), if that is what is there.
fn md5_tlv(message: &[u8], at: usize) -> Option<Md5Auth<'_>> {
    let tlv = message.get(at..at + 30)?;
    if tlv[0] != 4 || tlv[1] != 28 || tlv[2] != 1 {
        return None;
    }
    let mut signed = message.to_vec();
    signed[at + 14..at + 30].fill(0);
    Some(Md5Auth {
        key_id: u32::from_be_bytes([tlv[10], tlv[11], tlv[12], tlv[13]]),
        digest: &tlv[14..30],
        signed,
    })
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
        md5: md5_tlv(d.get(..50).unwrap_or(d), 20),
    })
}

/// Version 2: a Group State TLV (type 1, 40 bytes, version 2) first, then other TLVs.
fn parse_v2(d: &[u8]) -> Option<Hello<'_>> {
    let (&[kind, len], rest) = d.split_first_chunk::<2>()?;
    if kind != 1 || len != 40 || rest.len() < 40 || rest[0] != 2 {
        return None;
    }
    let group = u16::from_be_bytes([rest[4], rest[5]]);
    let mut at = 42;
    let mut key = None;
    let mut md5 = None;
    while let Some(&[kind, len]) = d.get(at..at + 2).and_then(|h| h.first_chunk::<2>()) {
        let Some(value) = d.get(at + 2..at + 2 + usize::from(len)) else {
            break;
        };
        match (kind, len) {
            (3, 8) => key = Some(unpadded(value)),
            (4, 28) if md5.is_none() => md5 = md5_tlv(d, at),
            _ => {}
        }
        at += 2 + usize::from(len);
    }
    Some(Hello {
        version: 2,
        group,
        virtual_ip: None,
        key,
        md5,
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

/// A router's hellos to one destination.
#[derive(Debug, Default)]
pub struct Hsrp {
    /// MD5 keys reported: version, group, key ID.
    reported: Vec<(u8, u16, u32)>,
}

impl Hsrp {
    const MAX_REPORTED: usize = 8;

    fn md5(
        &mut self,
        hello: &Hello<'_>,
        auth: &Md5Auth<'_>,
        chunk: &Chunk<'_>,
    ) -> Option<Credential> {
        let seen = (hello.version, hello.group, auth.key_id);
        if self.reported.contains(&seen) || self.reported.len() >= Self::MAX_REPORTED {
            return None;
        }
        self.reported.push(seen);
        let mut c = Credential::new(
            "hsrp",
            "MD5 authentication",
            Kind::ChallengeResponse,
            chunk.ts,
        );
        c.secret = Some(hex(auth.digest).into_bytes());
        c.challenge = Some(hex(&auth.signed).into_bytes());
        c.john = Some(John {
            format: "hsrp",
            hash: format!("$hsrp${}${}", hex(&auth.signed), hex(auth.digest)),
        });
        c.details.push(("key_id", auth.key_id.to_string()));
        Some(c)
    }
}

impl DatagramDissector for Hsrp {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(hello) = parse(chunk.data) else {
            return;
        };
        let text = hello.key.filter(|k| !k.is_empty());
        let mut c = match (text, &hello.md5) {
            (Some(key), _) => {
                let mut c =
                    Credential::new("hsrp", "text authentication", Kind::Cleartext, chunk.ts);
                c.secret = Some(key.to_vec());
                c.repeats = true;
                if key == DEFAULT_KEY {
                    c.details.push(("note", "Cisco's default key".to_string()));
                }
                c
            }
            (None, Some(auth)) => match self.md5(&hello, auth, &chunk) {
                Some(c) => c,
                None => return,
            },
            (None, None) => return,
        };
        c.add_frames([chunk.frame]);
        let mut details = vec![
            ("version", hello.version.to_string()),
            ("group", hello.group.to_string()),
        ];
        if let Some(ip) = hello.virtual_ip {
            details.push(("virtual_ip", std::net::Ipv4Addr::from(ip).to_string()));
        }
        // The note (text) or key ID (MD5) after them.
        details.append(&mut c.details);
        c.details = details;
        out.push(c);
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// HSRP hellos, for tests and fixtures.
pub mod build {
    use md5::Digest;

    /// RFC 1828's keyed MD5 as HSRP computes it: the key and MD5's padding of it as one
    /// 64-byte block (keys of at most 55 bytes), the message, the key again.
    pub fn keyed_md5(key: &[u8], message: &[u8]) -> [u8; 16] {
        let mut block = [0u8; 64];
        let n = key.len().min(55);
        block[..n].copy_from_slice(&key[..n]);
        block[n] = 0x80;
        block[56..64].copy_from_slice(&((n as u64) * 8).to_le_bytes());
        md5::Md5::new()
            .chain_update(block)
            .chain_update(message)
            .chain_update(&key[..n])
            .finalize()
            .into()
    }

    /// A version 1 hello of an active router signed with MD5 under `key` (key ID
    /// `key_id`, the sender `sender`).
    pub fn hello_v1_md5(
        group: u8,
        key: &[u8],
        key_id: u32,
        sender: [u8; 4],
        virtual_ip: [u8; 4],
    ) -> Vec<u8> {
        let mut v = hello_v1(group, b"", virtual_ip);
        v.extend([4, 28, 1, 0, 0, 0]);
        v.extend(sender);
        v.extend(key_id.to_be_bytes());
        v.extend([0u8; 16]);
        let digest = keyed_md5(key, &v);
        v[34..50].copy_from_slice(&digest);
        v
    }

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
    use crate::dissect::script::unhex;
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
        // No authentication, or a type 4 TLV that is not MD5's: nothing.
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

    /// John the Ripper's test vectors for its `hsrp` format (version 1 hellos captured
    /// from Cisco routers, with the passwords that made them): read back as the same
    /// lines, and RFC 1828's keyed MD5 of the signed bytes under the password gives the
    /// digest.
    #[test]
    fn md5_authentication_gives_johns_hsrp_line() {
        let vectors = [
            (
                "000004030a64010000000000000000000a000064041c010000000a0000140000000000000000000000000000000000000000",
                "52e1db09d18d695b8fefb3730ff8d9d6",
                "password12345",
            ),
            (
                "000004030a5a01000000000000000000ac102801041c01000000ac1028140000000000000000000000000000000000000000",
                "f15dfa631a0679e0801f8e6b0c0c17ac",
                "openwall",
            ),
        ];
        for (signed, digest, password) in vectors {
            let signed_bytes = unhex(signed);
            assert_eq!(
                hex(&build::keyed_md5(password.as_bytes(), &signed_bytes)),
                digest
            );
            let mut hello = signed_bytes.clone();
            hello[34..].copy_from_slice(&unhex(digest));
            let out = run(&hello);
            assert_eq!(out.len(), 1, "{out:?}");
            let c = &out[0];
            assert_eq!(
                (&*c.mechanism, c.kind),
                ("MD5 authentication", Kind::ChallengeResponse)
            );
            assert_eq!(c.secret.as_deref(), Some(digest.as_bytes()));
            let john = c.john.as_ref().unwrap();
            assert_eq!(john.format, "hsrp");
            assert_eq!(john.hash, format!("$hsrp${signed}${digest}"));
            assert_eq!(c.details[0], ("version", "1".to_string()));
            assert_eq!(c.details.last(), Some(&("key_id", "0".to_string())));
        }
        // Built here: the same construction; once per group and key.
        let h = build::hello_v1_md5(7, b"Hsrp-Md5", 3, [10, 0, 0, 2], [10, 0, 0, 1]);
        let mut d = Hsrp::default();
        let mut out = Vec::new();
        for frame in 1..=3 {
            let chunk = Chunk {
                data: &h,
                frame,
                ts: Timestamp::ZERO,
            };
            d.datagram(Direction::ToServer, chunk, &mut out);
        }
        assert_eq!(out.len(), 1);
        let signed = unhex(std::str::from_utf8(out[0].challenge.as_deref().unwrap()).unwrap());
        assert_eq!(&build::keyed_md5(b"Hsrp-Md5", &signed)[..], &h[34..50]);
        assert_ne!(&build::keyed_md5(b"hsrp-md5", &signed)[..], &h[34..50]);
        // Version 2: the Group State TLV and the MD5 TLV, digest zeroed.
        let mut v2 = hello_v2(300, None);
        v2.extend([4, 28, 1, 0, 0, 0, 10, 0, 0, 2, 0, 0, 0, 9]);
        let unsigned = [v2.clone(), vec![0u8; 16]].concat();
        v2.extend(build::keyed_md5(b"v2-key", &unsigned));
        let out = run(&v2);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].challenge.as_deref(), Some(hex(&unsigned).as_bytes()));
        assert_eq!(out[0].details.last(), Some(&("key_id", "9".to_string())));
    }

    #[test]
    fn empty_key_gives_nothing() {
        assert!(run(&hello_v1(1, b"", [10, 0, 0, 1])).is_empty());
    }
}
