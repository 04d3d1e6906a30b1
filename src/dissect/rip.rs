//! RIP version 2 (RFC 2453), UDP 520: the simple password a router puts in its routing
//! messages.
//!
//! A RIPv2 message is a 4-byte header (command, version, zero) and 20-byte entries. With
//! authentication its first entry has the address family `0xFFFF` and an authentication
//! type: type 2 is a plain-text password of up to 16 bytes (RFC 2453 section 4.1). Every
//! router of the segment sends it with every update, every 30 seconds, to 224.0.0.9:
//! whoever has it can inject routes. Mechanism `simple password`, kind `cleartext`, no user
//! name; the finding `repeats` (reported once per sender and receiver). RIP has no answer
//! that accepts or refuses a key: the outcome is unknown. Cryptographic authentication
//! (type 3, RFC 2082 keyed MD5 and RFC 4822 HMAC-SHA) sends no key, but a digest of the
//! message and the key in a trailer after the routes (the first entry gives its offset):
//! reported once per sender, receiver and key with John the Ripper's line (see
//! [`super::keyed`]).

use super::keyed::{self, Algorithm, Reported};
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "rip",
    udp_ports: &[520],
    ip_protocols: &[],
    probe,
    by_content: false,
    new: |_config| Box::<Rip>::default(),
};

/// The address family of an authentication entry.
const AFI_AUTH: u16 = 0xffff;
/// Authentication type: a plain-text password.
const AUTH_SIMPLE_PASSWORD: u16 = 2;
/// Authentication type: cryptographic (keyed MD5, HMAC-SHA), with a trailer.
const AUTH_CRYPTOGRAPHIC: u16 = 3;
/// Most entries a message holds (RFC 2453: 25 routes, one more for authentication and a
/// keyed MD5 trailer).
const MAX_ENTRIES: usize = 27;

/// A RIP message: its command, version, and the simple password or the digest it
/// carries if any.
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub command: u8,
    pub version: u8,
    pub password: Option<&'a [u8]>,
    pub keyed: Option<Keyed<'a>>,
}

/// A message's cryptographic authentication: what the digest covers (the message up to
/// and including the trailer's header) and the digest.
#[derive(Debug, PartialEq, Eq)]
pub struct Keyed<'a> {
    pub key_id: u8,
    pub sequence: u32,
    pub signed: &'a [u8],
    pub digest: &'a [u8],
}

/// The trailer of a cryptographically authenticated message, `payload[at..]`: its header
/// (`0xFFFF`, 1) and a digest of one of the known lengths (`auth_len` counts both, or
/// the digest alone).
fn trailer(payload: &[u8], at: usize, auth_len: usize) -> Option<&[u8]> {
    if payload.get(at..at + 4)? != [0xff, 0xff, 0, 1] {
        return None;
    }
    let rest = payload.get(at + 4..)?;
    let len = if auth_len > 4 && auth_len - 4 <= rest.len() && auth_len - 4 >= 16 {
        auth_len - 4
    } else {
        rest.len()
    };
    Algorithm::from_digest_len(len)?;
    rest.get(..len)
}

/// `payload` read as a RIP message: a request (1) or a response (2) of version 1 or 2
/// whose length is the header and whole entries.
pub fn parse(payload: &[u8]) -> Option<Message<'_>> {
    let header = payload.get(..4)?;
    let (command, version) = (header[0], header[1]);
    if !matches!(command, 1 | 2) || !matches!(version, 1 | 2) || header[2..] != [0, 0] {
        return None;
    }
    let first = payload.get(4..24)?;
    let afi = u16::from_be_bytes([first[0], first[1]]);
    let kind = u16::from_be_bytes([first[2], first[3]]);
    let mut keyed = None;
    let mut entries = &payload[4..];
    if version == 2 && afi == AFI_AUTH && kind == AUTH_CRYPTOGRAPHIC {
        // The routes end where the trailer starts.
        let at = usize::from(u16::from_be_bytes([first[4], first[5]]));
        let digest = trailer(payload, at, usize::from(first[7]))?;
        entries = payload.get(4..at)?;
        keyed = Some(Keyed {
            key_id: first[6],
            sequence: u32::from_be_bytes([first[8], first[9], first[10], first[11]]),
            signed: &payload[..at + 4],
            digest,
        });
    }
    if entries.is_empty() || !entries.len().is_multiple_of(20) || entries.len() / 20 > MAX_ENTRIES {
        return None;
    }
    let password = (version == 2 && afi == AFI_AUTH && kind == AUTH_SIMPLE_PASSWORD).then(|| {
        let p = &first[4..20];
        // NUL-padded on the right.
        let end = p.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        &p[..end]
    });
    Some(Message {
        command,
        version,
        password,
        keyed,
    })
}

/// Maybe when the datagram reads as a version 2 message (version 1 carries no password),
/// never Yes: a header and 20-byte entries are too loose a shape for content alone to
/// decide, so RIP is read on its port only.
pub fn probe(payload: &[u8]) -> Probe {
    match parse(payload) {
        Some(m) if m.version == 2 => Probe::Maybe,
        _ => Probe::No,
    }
}

/// A conversation's RIP messages: each one's password is a finding (the engine reports a
/// repeated one once), each key's first digest one.
#[derive(Debug, Default)]
pub struct Rip {
    reported: Reported,
}

impl DatagramDissector for Rip {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(m) = parse(chunk.data) else {
            return;
        };
        let mut c = if let Some(k) = m.keyed {
            let Some(alg) = Algorithm::from_digest_len(k.digest.len()) else {
                return;
            };
            if !self.reported.first(k.key_id.into(), k.digest.len()) {
                return;
            }
            let mut c = keyed::credential("rip", alg, k.key_id, k.signed, k.digest, &chunk);
            c.details.push(("sequence", k.sequence.to_string()));
            c
        } else {
            let Some(password) = m.password.filter(|p| !p.is_empty()) else {
                return;
            };
            let mut c = Credential::new("rip", "simple password", Kind::Cleartext, chunk.ts);
            c.secret = Some(password.to_vec());
            c.repeats = true;
            c.add_frames([chunk.frame]);
            c
        };
        let command = if m.command == 1 {
            "request"
        } else {
            "response"
        };
        c.details.push(("command", command.to_string()));
        out.push(c);
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// RIPv2 messages, for tests and fixtures.
pub mod build {
    /// A RIPv2 response announcing `routes`, signed with keyed MD5 (RFC 2082) under `key`.
    pub fn keyed_response(
        key_id: u8,
        sequence: u32,
        key: &[u8],
        routes: &[([u8; 4], u32)],
    ) -> Vec<u8> {
        let mut v = response(None, routes);
        let at = (24 + 20 * routes.len()) as u16;
        let mut auth = vec![0xff, 0xff, 0, 3];
        auth.extend(at.to_be_bytes());
        auth.extend([key_id, 20]);
        auth.extend(sequence.to_be_bytes());
        auth.extend([0; 8]);
        v.splice(4..4, auth);
        v.extend([0xff, 0xff, 0, 1]);
        let digest = super::super::keyed::build::keyed_md5(key, &v);
        v.extend(digest);
        v
    }

    /// A RIPv2 response announcing `routes` (address, metric), authenticated with
    /// `password` when there is one.
    pub fn response(password: Option<&[u8]>, routes: &[([u8; 4], u32)]) -> Vec<u8> {
        let mut v = vec![2, 2, 0, 0];
        if let Some(p) = password {
            v.extend([0xff, 0xff, 0, 2]);
            let mut field = [0u8; 16];
            field[..p.len().min(16)].copy_from_slice(&p[..p.len().min(16)]);
            v.extend(field);
        }
        for (addr, metric) in routes {
            v.extend([0, 2, 0, 0]);
            v.extend(addr);
            v.extend([255, 255, 255, 0]);
            v.extend([0, 0, 0, 0]);
            v.extend(metric.to_be_bytes());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::response;
    use super::*;
    use crate::timestamp::Timestamp;

    fn run(payload: &[u8]) -> Vec<Credential> {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        d.datagram(
            Direction::ToServer,
            Chunk {
                data: payload,
                frame: 7,
                ts: Timestamp::ZERO,
            },
            &mut out,
        );
        d.close(&mut out);
        out
    }

    #[test]
    fn a_simple_password_in_a_response() {
        let out = run(&response(Some(b"r0ute-key"), &[([10, 1, 0, 0], 1)]));
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(c.protocol, "rip");
        assert_eq!(c.mechanism, "simple password");
        assert_eq!(c.kind, Kind::Cleartext);
        assert_eq!(c.secret.as_deref(), Some(&b"r0ute-key"[..]));
        assert_eq!(c.username, None);
        assert!(c.repeats);
        assert_eq!(c.frames, vec![7]);
        assert_eq!(c.details, vec![("command", "response".to_string())]);
        // All 16 bytes used: no padding to strip.
        let out = run(&response(Some(b"0123456789abcdef"), &[]));
        assert_eq!(out[0].secret.as_deref(), Some(&b"0123456789abcdef"[..]));
    }

    #[test]
    fn no_password_md5_and_version_1_give_nothing() {
        assert!(run(&response(None, &[([10, 1, 0, 0], 1)])).is_empty());
        let mut md5 = response(Some(b"x"), &[([10, 1, 0, 0], 1)]);
        md5[7] = 3; // cryptographic, but no trailer where the entry says
        assert!(run(&md5).is_empty());
        let mut v1 = response(Some(b"secret"), &[]);
        v1[1] = 1;
        assert!(run(&v1).is_empty());
        assert!(run(&response(Some(b""), &[])).is_empty());
    }

    /// John the Ripper's RIPv2 vector (Quagga, key `quagga`): the message as sent, its
    /// trailer's digest, the line John cracks.
    #[test]
    fn keyed_md5_digest_once_per_key() {
        let signed = "02020000ffff0003002c01145267d48d000000000000000000020000ac100100ffffff000000000000000001ffff0001";
        let digest = "1e372a8a233c6556253a0909bc3dcce6";
        let bytes = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let mut m = bytes(signed);
        m.extend(bytes(digest));
        let out = run(&m);
        assert_eq!(out.len(), 1, "{out:?}");
        let c = &out[0];
        assert_eq!(c.mechanism, "keyed MD5");
        assert_eq!(c.kind, Kind::ChallengeResponse);
        assert_eq!(c.secret.as_deref(), Some(digest.as_bytes()));
        let j = c.john.as_ref().unwrap();
        assert_eq!(
            (j.format, j.hash.as_str()),
            ("net-md5", format!("$netmd5${signed}${digest}").as_str())
        );
        assert!(c.details.contains(&("key_id", "1".to_string())));
        assert_eq!(
            keyed::build::keyed_md5(b"quagga", &m[..48]).to_vec(),
            m[48..].to_vec()
        );
        // The same key again on the conversation: nothing more; a built one with another.
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        let other = super::build::keyed_response(9, 77, b"other", &[([10, 2, 0, 0], 1)]);
        for p in [&m, &m, &other] {
            let chunk = Chunk {
                data: p,
                frame: 1,
                ts: Timestamp::ZERO,
            };
            d.datagram(Direction::ToServer, chunk, &mut out);
        }
        assert_eq!(out.len(), 2);
        let k = parse(&other).unwrap().keyed.unwrap();
        assert_eq!(k.digest, keyed::build::keyed_md5(b"other", k.signed));
        assert_eq!((k.key_id, k.sequence), (9, 77));
        // Every cut of it reads as nothing or as the whole digest.
        for n in 0..other.len() {
            assert!(
                parse(&other[..n]).is_none_or(|m| m.keyed.is_none_or(|k| k.digest.len() == 16))
            );
        }
    }

    #[test]
    fn parse_and_probe_want_whole_entries() {
        let m = response(Some(b"k"), &[([10, 0, 0, 0], 2)]);
        assert_eq!(probe(&m), Probe::Maybe);
        assert_eq!(
            parse(&m),
            Some(Message {
                command: 2,
                version: 2,
                password: Some(&b"k"[..]),
                keyed: None,
            })
        );
        for n in 0..m.len() {
            if n != 24 {
                assert_ne!(probe(&m[..n]), Probe::Maybe, "{n}");
            }
        }
        let mut bad = m.clone();
        bad[2] = 1;
        assert_eq!(probe(&bad), Probe::No);
        bad = m.clone();
        bad[0] = 3;
        assert_eq!(probe(&bad), Probe::No);
        let mut v1 = m.clone();
        v1[1] = 1;
        assert_eq!(probe(&v1), Probe::No);
        let huge = response(None, &[([10, 0, 0, 0], 1); 28]);
        assert_eq!(probe(&huge), Probe::No);
        // A DNS query is not RIP.
        assert_eq!(
            probe(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"),
            Probe::No
        );
    }
}
