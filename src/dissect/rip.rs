//! RIP version 2 (RFC 2453), UDP 520: the simple password a router puts in its routing
//! messages.
//!
//! A RIPv2 message is a 4-byte header (command, version, zero) and 20-byte entries. With
//! authentication its first entry has the address family `0xFFFF` and an authentication
//! type: type 2 is a plain-text password of up to 16 bytes (RFC 2453 section 4.1). Every
//! router of the segment sends it with every update, every 30 seconds, to 224.0.0.9:
//! whoever has it can inject routes. Mechanism `simple password`, kind `cleartext`, no user
//! name; the finding `repeats` (reported once per sender and receiver). RIP has no answer
//! that accepts or refuses a key: the outcome is unknown. Keyed MD5 authentication
//! (type 3, RFC 4822) sends no password and gives nothing.

use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "rip",
    udp_ports: &[520],
    probe,
    by_content: false,
    new: |_config| Box::new(Rip),
};

/// The address family of an authentication entry.
const AFI_AUTH: u16 = 0xffff;
/// Authentication type: a plain-text password.
const AUTH_SIMPLE_PASSWORD: u16 = 2;
/// Most entries a message holds (RFC 2453: 25 routes, one more for authentication and a
/// keyed MD5 trailer).
const MAX_ENTRIES: usize = 27;

/// A RIP message: its command, version, and the simple password it carries if any.
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub command: u8,
    pub version: u8,
    pub password: Option<&'a [u8]>,
}

/// `payload` read as a RIP message: a request (1) or a response (2) of version 1 or 2
/// whose length is the header and whole entries.
pub fn parse(payload: &[u8]) -> Option<Message<'_>> {
    let header = payload.get(..4)?;
    let (command, version) = (header[0], header[1]);
    if !matches!(command, 1 | 2) || !matches!(version, 1 | 2) || header[2..] != [0, 0] {
        return None;
    }
    let entries = &payload[4..];
    if entries.is_empty() || !entries.len().is_multiple_of(20) || entries.len() / 20 > MAX_ENTRIES {
        return None;
    }
    let first = &entries[..20];
    let afi = u16::from_be_bytes([first[0], first[1]]);
    let kind = u16::from_be_bytes([first[2], first[3]]);
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
/// repeated one once).
#[derive(Debug)]
pub struct Rip;

impl DatagramDissector for Rip {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(Message {
            command,
            password: Some(password),
            ..
        }) = parse(chunk.data)
        else {
            return;
        };
        if password.is_empty() {
            return;
        }
        let mut c = Credential::new("rip", "simple password", Kind::Cleartext, chunk.ts);
        c.secret = Some(password.to_vec());
        c.repeats = true;
        c.add_frames([chunk.frame]);
        let command = if command == 1 { "request" } else { "response" };
        c.details.push(("command", command.to_string()));
        out.push(c);
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// RIPv2 messages, for tests and fixtures.
pub mod build {
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
        md5[7] = 3; // keyed MD5: no password in the message
        assert!(run(&md5).is_empty());
        let mut v1 = response(Some(b"secret"), &[]);
        v1[1] = 1;
        assert!(run(&v1).is_empty());
        assert!(run(&response(Some(b""), &[])).is_empty());
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
                password: Some(&b"k"[..])
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
