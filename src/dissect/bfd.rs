//! BFD, Bidirectional Forwarding Detection (RFC 5880, 5881, 5883, 7130; UDP 3784 single
//! hop, 4784 multihop, 6784 on LAG members): the authentication of a session's control
//! packets.
//!
//! Two routers (BIRD, FRRouting's `bfdd`, Cisco, Juniper...) exchange control packets
//! several times a second to detect a failed link; with the A bit set an Authentication
//! Section follows the 24 mandatory bytes:
//!
//! - type 1, `simple password`: the key ID and the password (1-16 bytes) in clear in every
//!   packet: whoever has it can bring the session down. Kind `cleartext`, no user name;
//!   the finding `repeats` (reported once per sender and receiver).
//! - types 2 and 3, `keyed MD5` and `meticulous keyed MD5`: MD5 of the packet with the key
//!   (NUL-padded to 16 bytes) in the digest's place — the digest is the packet's last
//!   field, so John the Ripper's `net-md5` line (`$netmd5$<packet before the
//!   digest>$<digest>`) takes it as it is.
//! - types 4 and 5, `keyed SHA-1` and `meticulous keyed SHA-1`: the same with SHA-1 and a
//!   20-byte field (John's `net-sha1`).
//!
//! Digests are kind `challenge-response`, reported once per conversation and key. A BFD
//! peer drops a packet with a wrong key silently: the outcome is unknown. `details` has
//! the key ID, the session state the sender reports and, for digests, the sequence
//! number. Echo packets (3785) are not authenticated.

use super::keyed::{self, Algorithm, Reported};
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "bfd",
    udp_ports: &[3784, 4784, 6784],
    ip_protocols: &[],
    probe,
    by_content: false,
    new: |_config| Box::<Bfd>::default(),
};

/// The mandatory section.
const MANDATORY: usize = 24;
/// The A bit: an Authentication Section follows.
const FLAG_AUTH: u8 = 0x04;

/// The authentication of a control packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Auth<'a> {
    /// Type 1: key ID and password.
    Simple { key_id: u8, password: &'a [u8] },
    /// Types 2 to 5: what the digest covers before the key, and the digest.
    Digest {
        auth_type: u8,
        key_id: u8,
        sequence: u32,
        signed: &'a [u8],
        digest: &'a [u8],
    },
}

/// An authenticated control packet.
#[derive(Debug, PartialEq, Eq)]
pub struct Control<'a> {
    /// AdminDown, Down, Init or Up.
    pub state: &'static str,
    pub auth: Auth<'a>,
}

/// `payload` read as a BFD version 1 control packet with an Authentication Section whose
/// lengths agree with the packet's; `None` for anything else.
pub fn parse(payload: &[u8]) -> Option<Control<'_>> {
    let h = payload.get(..MANDATORY + 2)?;
    if h[0] >> 5 != 1 || h[1] & FLAG_AUTH == 0 {
        return None;
    }
    let length = usize::from(h[3]);
    let auth_len = usize::from(h[MANDATORY + 1]);
    // The section's type, length and key ID at least (a zero length would leave nothing).
    if auth_len < 3 || length != MANDATORY + auth_len || length > payload.len() {
        return None;
    }
    let section = &payload[MANDATORY..length];
    let auth_type = section[0];
    let key_id = *section.get(2)?;
    let auth = match (auth_type, auth_len) {
        (1, 4..=19) => Auth::Simple {
            key_id,
            password: &section[3..],
        },
        (2 | 3, 24) | (4 | 5, 28) => Auth::Digest {
            auth_type,
            key_id,
            sequence: u32::from_be_bytes([section[4], section[5], section[6], section[7]]),
            signed: &payload[..MANDATORY + 8],
            digest: &section[8..],
        },
        _ => return None,
    };
    let state = match h[1] >> 6 {
        0 => "AdminDown",
        1 => "Down",
        2 => "Init",
        _ => "Up",
    };
    Some(Control { state, auth })
}

/// The mechanism of a digest's authentication type.
fn mechanism(auth_type: u8) -> &'static str {
    match auth_type {
        2 => "keyed MD5",
        3 => "meticulous keyed MD5",
        4 => "keyed SHA-1",
        _ => "meticulous keyed SHA-1",
    }
}

/// Maybe for a version 1 control packet (its port chose it).
pub fn probe(payload: &[u8]) -> Probe {
    match payload.first() {
        Some(b) if b >> 5 == 1 && payload.len() >= MANDATORY => Probe::Maybe,
        _ => Probe::No,
    }
}

/// A session's packets from one side.
#[derive(Debug, Default)]
pub struct Bfd {
    reported: Reported,
}

impl DatagramDissector for Bfd {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(p) = parse(chunk.data) else {
            return;
        };
        let mut c = match p.auth {
            Auth::Simple { key_id, password } => {
                let mut c = Credential::new("bfd", "simple password", Kind::Cleartext, chunk.ts);
                c.secret = Some(password.to_vec());
                c.repeats = true;
                c.add_frames([chunk.frame]);
                c.details.push(("key_id", key_id.to_string()));
                c
            }
            Auth::Digest {
                auth_type,
                key_id,
                sequence,
                signed,
                digest,
            } => {
                if !self.reported.first(key_id.into(), digest.len()) {
                    return;
                }
                let algorithm = if digest.len() == 16 {
                    Algorithm::KeyedMd5
                } else {
                    Algorithm::KeyedSha1
                };
                let mut c = keyed::credential("bfd", algorithm, key_id, signed, digest, &chunk);
                c.mechanism = mechanism(auth_type).into();
                c.details.push(("sequence", sequence.to_string()));
                c
            }
        };
        c.details.push(("state", p.state.to_string()));
        out.push(c);
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// BFD control packets, for tests and fixtures.
pub mod build {
    use md5::Digest;

    /// How a packet is authenticated.
    pub enum Signing<'a> {
        /// Type 1: key ID and password.
        Simple(u8, &'a [u8]),
        /// Type 2 to 5, key ID, sequence number and key.
        Digest(u8, u8, u32, &'a [u8]),
    }

    /// A control packet in state Up between discriminators `mine` and `yours`.
    pub fn control(mine: u32, yours: u32, signing: Signing<'_>) -> Vec<u8> {
        let mut v = vec![0x20, 0xc0 | 0x04, 3, 0];
        v.extend(mine.to_be_bytes());
        v.extend(yours.to_be_bytes());
        for interval in [300_000u32, 300_000, 0] {
            v.extend(interval.to_be_bytes());
        }
        match signing {
            Signing::Simple(key_id, password) => {
                v.extend([1, 3 + password.len() as u8, key_id]);
                v.extend(password);
            }
            Signing::Digest(auth_type, key_id, sequence, key) => {
                let len = if auth_type <= 3 { 16 } else { 20 };
                v.extend([auth_type, 8 + len as u8, key_id, 0]);
                v.extend(sequence.to_be_bytes());
                let mut k = key.to_vec();
                k.resize(len, 0);
                v.extend(&k);
                v[3] = v.len() as u8;
                let digest = if len == 16 {
                    md5::Md5::digest(&v).to_vec()
                } else {
                    sha1::Sha1::digest(&v).to_vec()
                };
                let at = v.len() - len;
                v[at..].copy_from_slice(&digest);
            }
        }
        v[3] = v.len() as u8;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::{Signing, control};
    use super::*;
    use crate::dissect::script::unhex;
    use crate::finding::hex;
    use md5::Digest;

    fn run(packets: &[Vec<u8>]) -> Vec<Credential> {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let script: Vec<(Direction, &[u8])> = packets
            .iter()
            .map(|p| (Direction::ToServer, &p[..]))
            .collect();
        crate::dissect::script::datagrams(&mut *d, &script)
    }

    /// What John computes for a `$netmd5$` or `$netsha1$` line and a key.
    fn john_accepts(line: &str, key: &[u8]) -> bool {
        let f: Vec<&str> = line.split('$').collect();
        let (kind, signed, digest) = (f[1], unhex(f[2]), f[3]);
        let mut k = key.to_vec();
        match kind {
            "netmd5" => {
                k.resize(16, 0);
                hex(&md5::Md5::new()
                    .chain_update(&signed)
                    .chain_update(&k)
                    .finalize())
                    == digest
            }
            "netsha1" => {
                k.resize(20, 0);
                hex(&sha1::Sha1::new()
                    .chain_update(&signed)
                    .chain_update(&k)
                    .finalize())
                    == digest
            }
            _ => false,
        }
    }

    #[test]
    fn simple_password_from_every_packet() {
        let p = control(1, 2, Signing::Simple(5, b"bfd-pass"));
        let out = run(&[p.clone(), p]);
        assert_eq!(out.len(), 2, "the engine folds repeats");
        let c = &out[0];
        assert_eq!((&*c.protocol, &*c.mechanism), ("bfd", "simple password"));
        assert_eq!(c.secret.as_deref(), Some(&b"bfd-pass"[..]));
        assert!(c.repeats);
        assert!(c.details.contains(&("key_id", "5".to_string())));
        assert!(c.details.contains(&("state", "Up".to_string())));
        // Sixteen bytes, the longest.
        let p = control(1, 2, Signing::Simple(1, b"0123456789abcdef"));
        assert_eq!(
            run(&[p])[0].secret.as_deref(),
            Some(&b"0123456789abcdef"[..])
        );
    }

    #[test]
    fn digests_once_per_key_with_johns_lines() {
        for (auth_type, mech, format) in [
            (2, "keyed MD5", "net-md5"),
            (3, "meticulous keyed MD5", "net-md5"),
            (4, "keyed SHA-1", "net-sha1"),
            (5, "meticulous keyed SHA-1", "net-sha1"),
        ] {
            let key = b"Bfd-Key";
            let a = control(1, 2, Signing::Digest(auth_type, 3, 10, key));
            let b = control(1, 2, Signing::Digest(auth_type, 3, 11, key));
            let out = run(&[a, b]);
            assert_eq!(out.len(), 1, "{mech}");
            let c = &out[0];
            assert_eq!(c.mechanism, mech);
            assert_eq!(c.kind, Kind::ChallengeResponse);
            let j = c.john.as_ref().unwrap();
            assert_eq!(j.format, format);
            assert!(john_accepts(&j.hash, key), "{}", j.hash);
            assert!(!john_accepts(&j.hash, b"Bfd-Kez"));
            assert!(c.details.contains(&("sequence", "10".to_string())));
            assert!(c.details.contains(&("key_id", "3".to_string())));
        }
    }

    /// John the Ripper's net-sha1 test vector (from a Cisco router's BFD packet) parses as
    /// a meticulous keyed SHA-1 packet and verifies with its key.
    #[test]
    fn johns_vector_is_a_bfd_packet() {
        let mut p = unhex("20440a340000000100000000000f4240000f424000000000051c010000000001");
        p.extend(unhex("709d3307304d790f58bf0a3cefd783b438408996"));
        let out = run(&[p]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].mechanism, "meticulous keyed SHA-1");
        assert!(john_accepts(
            &out[0].john.as_ref().unwrap().hash,
            b"password12345"
        ));
        assert!(out[0].details.contains(&("state", "Down".to_string())));
    }

    #[test]
    fn other_packets_are_not_read() {
        let mut p = control(1, 2, Signing::Simple(1, b"pw"));
        p[1] &= !FLAG_AUTH;
        assert!(parse(&p).is_none(), "no A bit");
        let mut p = control(1, 2, Signing::Simple(1, b"pw"));
        p[3] += 1;
        assert!(parse(&p).is_none(), "length beyond the datagram");
        let mut p = control(1, 2, Signing::Digest(2, 1, 1, b"k"));
        p[25] = 28; // MD5 with SHA-1's length
        p[3] = 52;
        assert!(parse(&p).is_none());
        let mut p = control(1, 2, Signing::Simple(1, b"pw"));
        p[0] = 0x40; // version 2
        assert!(parse(&p).is_none());
        assert_eq!(probe(&p), Probe::No);
        assert!(parse(&[0x20, 0x04]).is_none());
        // An Authentication Section of no length (found by fuzzing: it was indexed).
        let mut p = control(1, 2, Signing::Simple(1, b"pw"));
        p.truncate(26);
        p[25] = 0;
        p[3] = 24;
        assert!(parse(&p).is_none());
        p[25] = 2;
        p[3] = 26;
        assert!(parse(&p).is_none());
        // No password at all (an Authentication Section of 3 bytes) is not valid.
        let mut p = control(1, 2, Signing::Simple(1, b"x"));
        p.pop();
        p[25] = 3;
        p[3] = 27;
        assert!(parse(&p).is_none());
    }
}
