//! EIGRP (RFC 7868, Cisco's Enhanced Interior Gateway Routing Protocol; IP protocol 88,
//! no ports): the digest a router's key puts in its packets.
//!
//! With authentication on (`ip authentication mode eigrp AS md5` and a key chain), every
//! packet's first TLV is an Authentication TLV (type 0x0002): the authentication type
//! (2 MD5, 3 HMAC-SHA-256), the digest's length, a key ID, a key sequence, 8 bytes of
//! padding and the digest. The key is not sent, but one packet lets anyone try keys
//! offline, with John the Ripper's `eigrp` format (hashcat has no mode for it):
//!
//! - MD5 (`$eigrp$2$...`): MD5 of the header (checksum zeroed) and the TLV up to the
//!   digest, then the key NUL-padded to 16 bytes, then — for packets longer than 80
//!   bytes — the TLVs after the Authentication TLV *except their last 20 bytes*, as Cisco
//!   IOS computes it (FRRouting's `eigrpd` does the same for interoperability; the
//!   trimmed tail shows in Cisco's own captures). An update with the INIT flag is signed
//!   without the key (Cisco and FRR alike): nothing to report.
//! - HMAC-SHA-256 (`$eigrp$3$...$1$<address>$...`): HMAC of the whole packet (checksum
//!   and digest zeroed) keyed with a newline, the password and the sender's address in
//!   text, as Cisco computes it.
//!
//! Mechanism `keyed MD5` or `HMAC-SHA-256`, kind `challenge-response`, the digest (hex)
//! as the secret, the bytes before the key as the challenge; reported once per
//! conversation (a router and where it sends: the multicast group or a neighbour), key,
//! and MD5 construction (with TLVs after the key or without: one of each). A router ignores a packet with a wrong digest silently: the outcome is unknown.
//! `details` has the key ID, the autonomous system and the packet's opcode.

use std::net::IpAddr;

use super::keyed::Reported;
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, John, Kind, hex};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "eigrp",
    udp_ports: &[],
    ip_protocols: &[88],
    probe,
    by_content: false,
    new: |_config| Box::<Eigrp>::default(),
};

/// The fixed header: version, opcode, checksum, flags, sequence, acknowledgment, virtual
/// router ID, autonomous system.
const HEADER_LEN: usize = 20;
/// The Authentication TLV's type.
const TLV_AUTHENTICATION: u16 = 0x0002;
/// Its fields before the digest: type, length, authentication type, digest length, key
/// ID, key sequence, 8 bytes of padding.
const AUTH_FIXED: usize = 24;
/// Authentication types.
const AUTH_MD5: u16 = 2;
const AUTH_SHA256: u16 = 3;
/// The INIT flag of an update's header.
const FLAG_INIT: u32 = 1;
/// What Cisco leaves out at the end of an MD5-signed packet.
const MD5_TRIMMED_TAIL: usize = 20;

/// The name of an opcode (RFC 7868 section 6.4).
pub fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        1 => "update",
        3 => "query",
        4 => "reply",
        5 => "hello",
        10 => "SIA-query",
        11 => "SIA-reply",
        _ => "other",
    }
}

/// An authenticated EIGRP packet.
#[derive(Debug, PartialEq, Eq)]
pub struct Signed<'a> {
    pub opcode: u8,
    pub flags: u32,
    pub autonomous_system: u16,
    /// 2 (MD5) or 3 (HMAC-SHA-256).
    pub auth_type: u16,
    pub key_id: u32,
    pub key_sequence: u32,
    pub digest: &'a [u8],
    /// Where the digest starts in the packet.
    pub digest_at: usize,
    /// The whole packet.
    pub packet: &'a [u8],
}

/// `payload` read as an EIGRP packet (version 2) whose first TLV is an Authentication TLV
/// of type MD5 (a 16-byte digest) or HMAC-SHA-256 (32 bytes), whole in the datagram;
/// `None` for anything else.
pub fn parse(payload: &[u8]) -> Option<Signed<'_>> {
    let h = payload.get(..HEADER_LEN + AUTH_FIXED)?;
    if h[0] != 2 {
        return None;
    }
    let be16 = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    if be16(20) != TLV_AUTHENTICATION {
        return None;
    }
    let auth_type = be16(24);
    let digest_len = usize::from(be16(26));
    let expected = match auth_type {
        AUTH_MD5 => 16,
        AUTH_SHA256 => 32,
        _ => return None,
    };
    if digest_len != expected || usize::from(be16(22)) != AUTH_FIXED + digest_len {
        return None;
    }
    let digest_at = HEADER_LEN + AUTH_FIXED;
    let digest = payload.get(digest_at..digest_at + digest_len)?;
    Some(Signed {
        opcode: h[1],
        flags: be32(4),
        autonomous_system: be16(18),
        auth_type,
        key_id: be32(28),
        key_sequence: be32(32),
        digest,
        digest_at,
        packet: payload,
    })
}

impl Signed<'_> {
    /// Whether the key went into the digest (an MD5-signed INIT update is signed without
    /// it).
    pub fn keyed(&self) -> bool {
        !(self.auth_type == AUTH_MD5 && self.opcode == 1 && self.flags & FLAG_INIT != 0)
    }

    /// The packet as signed: checksum zeroed, and the digest zeroed too.
    fn zeroed(&self, upto: usize) -> Vec<u8> {
        let mut v = self.packet[..upto].to_vec();
        v[2..4].fill(0);
        let end = (self.digest_at + self.digest.len()).min(upto);
        if self.digest_at < end {
            v[self.digest_at..end].fill(0);
        }
        v
    }

    /// The bytes hashed before the key (MD5) or the whole message (HMAC-SHA-256).
    pub fn challenge(&self) -> Vec<u8> {
        if self.auth_type == AUTH_MD5 {
            self.zeroed(self.digest_at)
        } else {
            self.zeroed(self.packet.len())
        }
    }

    /// What MD5 covers after the key: the TLVs after the Authentication TLV but their
    /// last 20 bytes.
    pub fn after_key(&self) -> &[u8] {
        let from = self.digest_at + self.digest.len();
        let to = self.packet.len().saturating_sub(MD5_TRIMMED_TAIL);
        self.packet.get(from..to).unwrap_or_default()
    }

    /// John the Ripper's line; the sender's address for HMAC-SHA-256, which keys with it.
    pub fn john(&self, sender: Option<IpAddr>) -> Option<John> {
        let hash = if self.auth_type == AUTH_MD5 {
            let after = self.after_key();
            let (flag, extra) = if after.is_empty() {
                (0, "x".to_string())
            } else {
                (1, hex(after))
            };
            format!(
                "$eigrp$2${}${flag}${extra}${}",
                hex(&self.challenge()),
                hex(self.digest)
            )
        } else {
            format!(
                "$eigrp$3${}$0$x$1${}${}",
                hex(&self.challenge()),
                sender?,
                hex(self.digest)
            )
        };
        Some(John {
            format: "eigrp",
            hash,
        })
    }
}

/// Maybe for an EIGRP packet (its IP protocol chose it).
pub fn probe(payload: &[u8]) -> Probe {
    match payload.first() {
        Some(2) if payload.len() >= HEADER_LEN => Probe::Maybe,
        _ => Probe::No,
    }
}

/// A router's packets to one destination (the multicast group 224.0.0.10 or FF02::A, or
/// a neighbour).
#[derive(Debug, Default)]
pub struct Eigrp {
    reported: Reported,
    /// The conversation's first sender and the other address.
    addresses: Option<(IpAddr, IpAddr)>,
}

impl DatagramDissector for Eigrp {
    fn datagram(&mut self, dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(s) = parse(chunk.data) else {
            return;
        };
        // A line with TLVs after the key and one without are built differently (Cisco's
        // trimmed tail): one of each per key, so a hello's line stands beside an update's.
        let shape =
            s.digest.len() | usize::from(s.auth_type == AUTH_MD5 && !s.after_key().is_empty()) << 8;
        if !s.keyed() || !self.reported.first(s.key_id, shape) {
            return;
        }
        let sender = self.addresses.map(|(client, server)| match dir {
            Direction::ToServer => client,
            Direction::ToClient => server,
        });
        let Some(john) = s.john(sender) else {
            return;
        };
        let mechanism = if s.auth_type == AUTH_MD5 {
            "keyed MD5"
        } else {
            "HMAC-SHA-256"
        };
        let mut c = Credential::new("eigrp", mechanism, Kind::ChallengeResponse, chunk.ts);
        c.secret = Some(hex(s.digest).into_bytes());
        c.challenge = Some(hex(&s.challenge()).into_bytes());
        c.john = Some(john);
        c.add_frames([chunk.frame]);
        c.details.push(("key_id", s.key_id.to_string()));
        c.details.push(("key_sequence", s.key_sequence.to_string()));
        c.details
            .push(("autonomous_system", s.autonomous_system.to_string()));
        c.details
            .push(("opcode", opcode_name(s.opcode).to_string()));
        out.push(c);
    }

    fn addresses(&mut self, client: IpAddr, server: IpAddr) {
        self.addresses = Some((client, server));
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// EIGRP packets signed as Cisco signs them, for tests and fixtures.
pub mod build {
    use md5::Digest;

    /// A packet of `opcode` with `flags` and sequence number `sequence` in autonomous
    /// system `asn`, with an Authentication TLV (MD5, or HMAC-SHA-256 when `sha256`) of
    /// key `key_id` whose digest is left zero, then `tlvs`; the digest's offset.
    pub fn unsigned(
        opcode: u8,
        flags: u32,
        sequence: u32,
        asn: u16,
        tlvs: &[u8],
        sha256: bool,
        key_id: u32,
    ) -> (Vec<u8>, usize) {
        let mut v = vec![2, opcode, 0, 0];
        v.extend(flags.to_be_bytes());
        v.extend(sequence.to_be_bytes());
        v.extend(0u32.to_be_bytes()); // acknowledgment
        v.extend(0u16.to_be_bytes()); // virtual router ID: unicast address family
        v.extend(asn.to_be_bytes());
        let (auth_type, len): (u16, usize) = if sha256 { (3, 32) } else { (2, 16) };
        v.extend(0x0002u16.to_be_bytes());
        v.extend(((24 + len) as u16).to_be_bytes());
        v.extend(auth_type.to_be_bytes());
        v.extend((len as u16).to_be_bytes());
        v.extend(key_id.to_be_bytes());
        v.extend(0u32.to_be_bytes()); // key sequence
        v.extend([0u8; 8]);
        let digest_at = v.len();
        v.extend(vec![0u8; len]);
        v.extend(tlvs);
        (v, digest_at)
    }

    /// The packet of [`unsigned`] signed with MD5 and `key` (whole, NUL-padded to at
    /// least 16 bytes; an INIT update without it), its checksum computed.
    pub fn md5(
        opcode: u8,
        flags: u32,
        sequence: u32,
        asn: u16,
        tlvs: &[u8],
        key_id: u32,
        key: &[u8],
    ) -> Vec<u8> {
        let (mut v, at) = unsigned(opcode, flags, sequence, asn, tlvs, false, key_id);
        let mut k = key.to_vec();
        if k.len() < 16 {
            k.resize(16, 0);
        }
        let mut h = md5::Md5::new();
        h.update(&v[..at]);
        if !(opcode == 1 && flags & 1 != 0) {
            h.update(&k);
        }
        let end = v.len().saturating_sub(20);
        if end > at + 16 {
            h.update(&v[at + 16..end]);
        }
        v[at..at + 16].copy_from_slice(&h.finalize());
        checksum(&mut v);
        v
    }

    /// Writes the packet's checksum (the Internet checksum of the whole packet).
    pub fn checksum(v: &mut [u8]) {
        v[2..4].fill(0);
        let sum = crate::synth::internet_checksum(v);
        v[2..4].copy_from_slice(&sum.to_be_bytes());
    }

    /// A hello's Parameter TLV (K values 1, 0, 1, 0, 0, hold time 15) and Software
    /// Version TLV (IOS 12.4, EIGRP 1.2).
    pub fn hello_tlvs() -> Vec<u8> {
        let mut v = vec![0x00, 0x01, 0x00, 0x0c, 1, 0, 1, 0, 0, 0, 0x00, 0x0f];
        v.extend([0x00, 0x04, 0x00, 0x08, 12, 4, 1, 2]);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::{checksum, hello_tlvs, md5 as packet_md5, unsigned};
    use super::*;
    use crate::dissect::script::unhex;
    use hmac::{Hmac, KeyInit, Mac};
    use md5::Digest;

    /// A packet signed with HMAC-SHA-256 as Cisco signs it, sent from `sender`.
    fn packet_sha256(opcode: u8, tlvs: &[u8], key_id: u32, key: &[u8], sender: IpAddr) -> Vec<u8> {
        let (mut v, at) = unsigned(opcode, 0, 0, 10, tlvs, true, key_id);
        let mut k = vec![b'\n'];
        k.extend(key);
        k.extend(sender.to_string().as_bytes());
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap();
        m.update(&v);
        v[at..at + 32].copy_from_slice(&m.finalize().into_bytes());
        checksum(&mut v);
        v
    }

    fn run(
        packets: &[(Direction, Vec<u8>)],
        addresses: Option<(IpAddr, IpAddr)>,
    ) -> Vec<Credential> {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        if let Some((a, b)) = addresses {
            d.addresses(a, b);
        }
        crate::dissect::script::datagrams(&mut *d, packets)
    }

    /// What John computes for an `$eigrp$` line and a candidate key: whether it gives the
    /// line's digest.
    fn john_accepts(line: &str, key: &[u8]) -> bool {
        let f: Vec<&str> = line.split('$').collect();
        match f.as_slice() {
            ["", "eigrp", "2", salt, flag, extra, digest] => {
                let mut k = key.to_vec();
                if k.len() < 16 {
                    k.resize(16, 0);
                }
                let mut h = md5::Md5::new();
                h.update(unhex(salt));
                h.update(&k);
                if *flag == "1" {
                    h.update(unhex(extra));
                }
                hex(&h.finalize()) == *digest
            }
            ["", "eigrp", "3", salt, "0", "x", "1", ip, digest] => {
                let mut k = vec![b'\n'];
                k.extend(key);
                k.extend(ip.as_bytes());
                let mut m = Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap();
                m.update(&unhex(salt));
                hex(&m.finalize().into_bytes()) == *digest
            }
            _ => false,
        }
    }

    #[test]
    fn md5_hello_once_per_key_with_johns_line() {
        let key = b"Eigrp-Key-1";
        let p = packet_md5(5, 0, 0, 100, &hello_tlvs(), 7, key);
        let p2 = packet_md5(5, 0, 0, 100, &hello_tlvs(), 8, b"other");
        let out = run(
            &[
                (Direction::ToServer, p.clone()),
                (Direction::ToServer, p),
                (Direction::ToServer, p2),
            ],
            None,
        );
        assert_eq!(out.len(), 2, "{out:?}");
        let c = &out[0];
        assert_eq!((&*c.protocol, &*c.mechanism), ("eigrp", "keyed MD5"));
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.username, None);
        let j = c.john.as_ref().unwrap();
        assert_eq!(j.format, "eigrp");
        // An 80-byte hello: nothing after the key.
        assert!(j.hash.contains("$0$x$"), "{}", j.hash);
        assert!(john_accepts(&j.hash, key), "{}", j.hash);
        assert!(!john_accepts(&j.hash, b"Eigrp-Key-2"));
        assert!(c.details.contains(&("key_id", "7".to_string())));
        assert!(
            c.details
                .contains(&("autonomous_system", "100".to_string()))
        );
        assert!(c.details.contains(&("opcode", "hello".to_string())));
        assert!(john_accepts(&out[1].john.as_ref().unwrap().hash, b"other"));
    }

    #[test]
    fn md5_update_covers_its_routes_but_the_last_twenty_bytes() {
        // An internal route TLV (type 0x0102), 28 bytes, twice.
        let route: Vec<u8> = [0x01, 0x02, 0x00, 0x1c]
            .into_iter()
            .chain((0..24).map(|i| i as u8))
            .collect();
        let tlvs = [route.clone(), route].concat();
        let key = b"a-sixteen-char-k";
        let p = packet_md5(1, 0, 3, 65000, &tlvs, 1, key);
        let out = run(&[(Direction::ToServer, p.clone())], None);
        assert_eq!(out.len(), 1);
        let j = &out[0].john.as_ref().unwrap().hash;
        assert!(
            j.contains(&format!("$1${}$", hex(&tlvs[..tlvs.len() - 20]))),
            "{j}"
        );
        assert!(john_accepts(j, key));
        // The INIT update is signed without the key: nothing.
        let init = packet_md5(1, 1, 1, 65000, &[], 1, key);
        assert!(run(&[(Direction::ToServer, init)], None).is_empty());
        // A key longer than 16 bytes is used whole.
        let long = b"a-key-longer-than-sixteen";
        let p = packet_md5(5, 0, 0, 1, &hello_tlvs(), 2, long);
        let out = run(&[(Direction::ToServer, p)], None);
        assert!(john_accepts(&out[0].john.as_ref().unwrap().hash, long));
    }

    #[test]
    fn hmac_sha256_keys_with_the_senders_address() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "224.0.0.10".parse().unwrap();
        let key = b"Sha-Key";
        let p = packet_sha256(5, &hello_tlvs(), 1, key, a);
        let out = run(&[(Direction::ToServer, p.clone())], Some((a, b)));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "HMAC-SHA-256");
        let j = &out[0].john.as_ref().unwrap().hash;
        assert!(j.contains("$1$10.0.0.1$"), "{j}");
        assert!(john_accepts(j, key), "{j}");
        // Sent the other way: the other address keys it (a neighbour's unicast reply).
        let p = packet_sha256(5, &hello_tlvs(), 1, key, b);
        let out = run(&[(Direction::ToClient, p.clone())], Some((a, b)));
        assert!(john_accepts(&out[0].john.as_ref().unwrap().hash, key));
        // Without the addresses no line can be written: nothing reported.
        assert!(run(&[(Direction::ToServer, p)], None).is_empty());
    }

    /// John the Ripper's own test vectors (from Cisco IOS captures) verify with the
    /// construction this module writes lines for: a hello with nothing after the key, and
    /// one whose last TLVs are trimmed.
    #[test]
    fn johns_vectors_recompute() {
        for line in [
            "$eigrp$2$020500000000000000000000000000000000002a000200280002001000000001000000000000000000000000$0$x$1a42aaf8ebe2f766100ea1fa05a5fa55",
            "$eigrp$2$020500000000000000000000000000000000002a000200280002001000000001000000000000000000000000$1$0001000c010001000000000f000400080500030000f5000c0000000400$560c87396267310978883da92c0cff90",
            "$eigrp$3$020500000000000000000000000000000000000a00020038000300200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000c010001000000000f000400080f00020000f5000a000000020000$0$x$1$10.0.0.2$cff66484cea20c6f58f175f8c004fc6d73be72090e53429c2616309aca38d5f3",
        ] {
            assert!(john_accepts(line, b"password12345"), "{line}");
        }
        // The second one rebuilt as a packet (its trimmed 20 bytes made up): the line
        // this module writes is John's.
        let f: Vec<&str> = JOHN_TRIMMED.split('$').collect();
        let mut p = unhex(f[3]);
        p.extend(unhex(f[6]));
        p.extend(unhex(f[5]));
        p.extend([0xaa; 20]);
        let s = parse(&p).unwrap();
        assert_eq!(s.john(None).unwrap().hash, JOHN_TRIMMED);
    }

    const JOHN_TRIMMED: &str = "$eigrp$2$020500000000000000000000000000000000002a000200280002001000000001000000000000000000000000$1$0001000c010001000000000f000400080500030000f5000c0000000400$560c87396267310978883da92c0cff90";

    #[test]
    fn other_packets_are_not_read() {
        let mut p = packet_md5(5, 0, 0, 1, &hello_tlvs(), 1, b"k");
        assert!(parse(&p[..50]).is_none(), "digest cut off");
        p[25] = 9; // authentication type
        assert!(parse(&p).is_none());
        let mut p = packet_md5(5, 0, 0, 1, &hello_tlvs(), 1, b"k");
        p[27] = 20; // digest length
        assert!(parse(&p).is_none());
        // No authentication: the Parameter TLV first.
        let mut v = packet_md5(5, 0, 0, 1, &[], 1, b"k")[..20].to_vec();
        v.extend(hello_tlvs());
        assert!(parse(&v).is_none());
        assert_eq!(probe(&v), Probe::Maybe);
        assert_eq!(probe(&[1; 40]), Probe::No);
        assert!(parse(&[]).is_none());
    }
}
