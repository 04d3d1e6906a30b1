//! OSPF version 2 (RFC 2328; IP protocol 89, no ports): the authentication every router
//! puts in every packet it sends.
//!
//! The 24-byte header of every OSPFv2 packet carries an authentication type (`AuType`)
//! and 8 bytes of authentication data. Type 1 is a simple password: the 8 bytes are the
//! segment's key in clear, in every Hello (every 10 seconds to 224.0.0.5): whoever has it
//! can form an adjacency and inject routes. Mechanism `simple password`, kind
//! `cleartext`, no user name; the finding `repeats` (reported once per sender and
//! receiver). Type 2 is cryptographic authentication (appendix D.3): a key ID, the
//! digest's length and a sequence number in the header, the digest appended after the
//! packet — keyed MD5 (16 bytes) or, by RFC 5709, HMAC-SHA-1 to -512: reported once per
//! sender, receiver and key, with John the Ripper's line (see [`super::keyed`]). OSPF
//! refuses a bad key by ignoring the packet: the outcome is unknown. `details` has the
//! router ID, the area and the packet type. OSPFv3 (IPv6) authenticates with IPsec or
//! RFC 7166's trailer, not in its header, and gives nothing.

use super::keyed::{self, Algorithm, Reported};
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "ospf",
    udp_ports: &[],
    ip_protocols: &[89],
    probe,
    by_content: false,
    new: |_config| Box::<Ospf>::default(),
};

/// The authentication of a packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Auth<'a> {
    /// Type 0.
    Null,
    /// Type 1: the password, its NUL padding removed.
    Simple(&'a [u8]),
    /// Type 2: what the digest covers (the packet as sent, without the digest) and the
    /// digest.
    Cryptographic {
        key_id: u8,
        sequence: u32,
        signed: &'a [u8],
        digest: &'a [u8],
    },
    /// A type RFC 2328 does not define, or a digest cut off by the capture.
    Other(u16),
}

/// An OSPFv2 packet's header.
#[derive(Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub packet_type: u8,
    pub router_id: [u8; 4],
    pub area: [u8; 4],
    pub auth: Auth<'a>,
}

/// The name of a packet type (RFC 2328 A.3.1).
pub fn packet_type_name(t: u8) -> &'static str {
    match t {
        1 => "hello",
        2 => "database description",
        3 => "link state request",
        4 => "link state update",
        _ => "link state acknowledgment",
    }
}

/// `payload` read as an OSPFv2 packet: version 2, one of the five types, a length that
/// covers the header and fits the datagram.
pub fn parse(payload: &[u8]) -> Option<Header<'_>> {
    let h = payload.get(..24)?;
    if h[0] != 2 || !(1..=5).contains(&h[1]) {
        return None;
    }
    let length = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if length < 24 || length > payload.len() {
        return None;
    }
    let au_type = u16::from_be_bytes([h[14], h[15]]);
    let data = &h[16..24];
    let auth = match au_type {
        0 => Auth::Null,
        1 => {
            let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            Auth::Simple(&data[..end])
        }
        2 => {
            let len = usize::from(data[3]);
            match payload.get(length..length + len) {
                Some(digest) if len > 0 => Auth::Cryptographic {
                    key_id: data[2],
                    sequence: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
                    signed: &payload[..length],
                    digest,
                },
                _ => Auth::Other(au_type),
            }
        }
        other => Auth::Other(other),
    };
    Some(Header {
        packet_type: h[1],
        router_id: [h[4], h[5], h[6], h[7]],
        area: [h[8], h[9], h[10], h[11]],
        auth,
    })
}

/// Maybe for an OSPFv2 packet (its IP protocol chose it; nothing else is sent on 89).
pub fn probe(payload: &[u8]) -> Probe {
    match parse(payload) {
        Some(_) => Probe::Maybe,
        None => Probe::No,
    }
}

/// A router's packets to one destination.
#[derive(Debug, Default)]
pub struct Ospf {
    reported: Reported,
}

fn dotted(a: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}

impl DatagramDissector for Ospf {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(h) = parse(chunk.data) else {
            return;
        };
        let mut c = match h.auth {
            Auth::Simple(password) if !password.is_empty() => {
                let mut c = Credential::new("ospf", "simple password", Kind::Cleartext, chunk.ts);
                c.secret = Some(password.to_vec());
                c.repeats = true;
                c.add_frames([chunk.frame]);
                c
            }
            Auth::Cryptographic {
                key_id,
                sequence,
                signed,
                digest,
            } => {
                let Some(alg) = Algorithm::from_digest_len(digest.len()) else {
                    return;
                };
                if !self.reported.first(key_id.into(), digest.len()) {
                    return;
                }
                let mut c = keyed::credential("ospf", alg, key_id, signed, digest, &chunk);
                c.details.push(("sequence", sequence.to_string()));
                c
            }
            _ => return,
        };
        c.details.push(("router_id", dotted(h.router_id)));
        c.details.push(("area", dotted(h.area)));
        c.details
            .push(("packet_type", packet_type_name(h.packet_type).to_string()));
        out.push(c);
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// OSPFv2 packets, for tests and fixtures.
pub mod build {
    /// A Hello from `router` in `area` on a /24 network, signed as `auth` says: `None`,
    /// `Simple(password)` or `Md5(key_id, sequence, key)` (the digest appended).
    pub enum Signing<'a> {
        None,
        Simple(&'a [u8]),
        Md5(u8, u32, &'a [u8]),
    }

    pub fn hello(router: [u8; 4], area: [u8; 4], signing: Signing<'_>) -> Vec<u8> {
        let mut v = vec![2, 1, 0, 44];
        v.extend(router);
        v.extend(area);
        v.extend([0, 0]); // checksum: none with cryptographic authentication
        let (au_type, data): (u16, [u8; 8]) = match &signing {
            Signing::None => (0, [0; 8]),
            Signing::Simple(p) => {
                let mut d = [0u8; 8];
                let n = p.len().min(8);
                d[..n].copy_from_slice(&p[..n]);
                (1, d)
            }
            Signing::Md5(key_id, seq, _) => {
                let s = seq.to_be_bytes();
                (2, [0, 0, *key_id, 16, s[0], s[1], s[2], s[3]])
            }
        };
        v.extend(au_type.to_be_bytes());
        v.extend(data);
        // Network mask, hello interval 10, options E, priority 1, dead interval 40,
        // no designated routers.
        v.extend([255, 255, 255, 0, 0, 10, 0x02, 1, 0, 0, 0, 40]);
        v.extend([0; 8]);
        if let Signing::Md5(_, _, key) = signing {
            let digest = super::super::keyed::build::keyed_md5(key, &v);
            v.extend(digest);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::{Signing, hello};
    use super::*;
    use crate::finding::hex;
    use crate::timestamp::Timestamp;

    fn run(packets: &[Vec<u8>]) -> Vec<Credential> {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            let chunk = Chunk {
                data: p,
                frame: i as u64 + 1,
                ts: Timestamp::new(1, 0),
            };
            d.datagram(Direction::ToServer, chunk, &mut out);
        }
        d.close(&mut out);
        out
    }

    #[test]
    fn simple_password_from_every_hello() {
        let p = hello([10, 0, 0, 1], [0, 0, 0, 0], Signing::Simple(b"s3cret"));
        let out = run(&[p.clone(), p]);
        assert_eq!(out.len(), 2, "the engine folds repeats");
        let c = &out[0];
        assert_eq!(c.protocol, "ospf");
        assert_eq!(c.mechanism, "simple password");
        assert_eq!(c.secret.as_deref(), Some(&b"s3cret"[..]));
        assert!(c.repeats);
        assert_eq!(c.username, None);
        assert!(c.details.contains(&("router_id", "10.0.0.1".to_string())));
        assert!(c.details.contains(&("packet_type", "hello".to_string())));
        // An eight-byte password uses the whole field.
        let p = hello([10, 0, 0, 1], [0, 0, 0, 1], Signing::Simple(b"12345678"));
        assert_eq!(run(&[p])[0].secret.as_deref(), Some(&b"12345678"[..]));
    }

    #[test]
    fn keyed_md5_once_per_key_with_johns_line() {
        let a = hello(
            [10, 0, 0, 2],
            [0, 0, 0, 0],
            Signing::Md5(7, 100, b"ospfkey"),
        );
        let b = hello(
            [10, 0, 0, 2],
            [0, 0, 0, 0],
            Signing::Md5(7, 101, b"ospfkey"),
        );
        let c2 = hello([10, 0, 0, 2], [0, 0, 0, 0], Signing::Md5(8, 102, b"newkey"));
        let out = run(&[a.clone(), b, c2]);
        assert_eq!(out.len(), 2, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "keyed MD5");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        let j = c.john.as_ref().unwrap();
        assert_eq!(j.format, "net-md5");
        assert_eq!(
            j.hash,
            format!("$netmd5${}${}", hex(&a[..44]), hex(&a[44..]))
        );
        assert!(c.details.contains(&("key_id", "7".to_string())));
        assert!(c.details.contains(&("sequence", "100".to_string())));
        assert!(out[1].details.contains(&("key_id", "8".to_string())));
        // The line recomputes from the key.
        let digest = keyed::tests::digest(Algorithm::KeyedMd5, b"ospfkey", &a[..44]);
        assert_eq!(digest, a[44..]);
    }

    #[test]
    fn hmac_sha_digests_by_their_length() {
        for len in [20usize, 32, 48, 64] {
            let mut p = hello([10, 0, 0, 3], [0, 0, 0, 0], Signing::None);
            p[14..16].copy_from_slice(&2u16.to_be_bytes());
            p[18] = 1;
            p[19] = len as u8;
            let digest = keyed::tests::digest(Algorithm::from_digest_len(len).unwrap(), b"k", &p);
            p.extend(&digest);
            let out = run(&[p]);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].john.as_ref().unwrap().format, "ospf");
            assert!(out[0].mechanism.starts_with("HMAC-SHA-"));
        }
    }

    #[test]
    fn nothing_without_a_key_and_nothing_from_other_bytes() {
        assert!(run(&[hello([1, 1, 1, 1], [0; 4], Signing::None)]).is_empty());
        assert!(run(&[hello([1, 1, 1, 1], [0; 4], Signing::Simple(b""))]).is_empty());
        // A digest the capture cut off, an OSPFv3 packet, a length past the datagram.
        let mut cut = hello([1, 1, 1, 1], [0; 4], Signing::Md5(1, 1, b"k"));
        cut.truncate(50);
        assert_eq!(parse(&cut).unwrap().auth, Auth::Other(2));
        assert!(run(&[cut]).is_empty());
        let mut v3 = hello([1, 1, 1, 1], [0; 4], Signing::Simple(b"x"));
        v3[0] = 3;
        assert_eq!(probe(&v3), Probe::No);
        let mut long = hello([1, 1, 1, 1], [0; 4], Signing::Simple(b"x"));
        long[3] = 200;
        assert_eq!(parse(&long), None);
        for n in 0..60 {
            let p = hello([1, 1, 1, 1], [0; 4], Signing::Md5(1, 1, b"k"));
            let _ = run(&[p[..n.min(p.len())].to_vec()]);
        }
    }
}
