//! VRRP version 2 (RFC 3768; IP protocol 112, no ports): the simple text password of a
//! virtual router.
//!
//! The master of a virtual router sends an advertisement every second to 224.0.0.18:
//! version and type, the virtual router ID, its priority, the virtual addresses and, with
//! authentication type 1 ("simple text password", RFC 2338; keepalived's `auth_type
//! PASS`), 8 bytes of password in clear. Whoever has it can advertise a higher priority
//! and take the gateway's addresses. Mechanism `simple text password`, kind `cleartext`,
//! no user name; the finding `repeats` (reported once per sender and receiver); VRRP
//! never answers an advertisement, so the outcome is unknown. `details` has the virtual
//! router ID, the priority and the virtual addresses. Type 2 (IP Authentication Header)
//! and version 3 (RFC 5798, no authentication) give nothing.

use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Kind};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "vrrp",
    udp_ports: &[],
    ip_protocols: &[112],
    probe,
    by_content: false,
    new: |_config| Box::new(Vrrp),
};

/// Authentication type 1.
const AUTH_SIMPLE_TEXT: u8 = 1;

/// A version 2 advertisement.
#[derive(Debug, PartialEq, Eq)]
pub struct Advertisement<'a> {
    pub vrid: u8,
    pub priority: u8,
    pub addresses: Vec<[u8; 4]>,
    pub auth_type: u8,
    /// The authentication data, its NUL padding removed.
    pub password: &'a [u8],
}

/// `payload` read as a VRRPv2 advertisement over IPv4: version 2, type 1, and exactly the
/// length its address count gives (which tells it apart from CARP, also protocol 112).
pub fn parse(payload: &[u8]) -> Option<Advertisement<'_>> {
    let h = payload.get(..8)?;
    if h[0] != 0x21 {
        return None;
    }
    let count = usize::from(h[3]);
    if payload.len() != 16 + 4 * count {
        return None;
    }
    let addresses = payload[8..8 + 4 * count]
        .chunks_exact(4)
        .map(|a| [a[0], a[1], a[2], a[3]])
        .collect();
    let data = &payload[8 + 4 * count..];
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    Some(Advertisement {
        vrid: h[1],
        priority: h[2],
        addresses,
        auth_type: h[4],
        password: &data[..end],
    })
}

/// Maybe for a version 2 or 3 advertisement (its IP protocol chose it).
pub fn probe(payload: &[u8]) -> Probe {
    match payload.first() {
        Some(0x21 | 0x31) => Probe::Maybe,
        _ => Probe::No,
    }
}

/// A virtual router's advertisements.
#[derive(Debug)]
pub struct Vrrp;

impl DatagramDissector for Vrrp {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(a) = parse(chunk.data) else {
            return;
        };
        if a.auth_type != AUTH_SIMPLE_TEXT || a.password.is_empty() {
            return;
        }
        let mut c = Credential::new("vrrp", "simple text password", Kind::Cleartext, chunk.ts);
        c.secret = Some(a.password.to_vec());
        c.repeats = true;
        c.add_frames([chunk.frame]);
        c.details.push(("vrid", a.vrid.to_string()));
        c.details.push(("priority", a.priority.to_string()));
        let addresses: Vec<String> = a
            .addresses
            .iter()
            .map(|&a| std::net::Ipv4Addr::from(a).to_string())
            .collect();
        c.details.push(("virtual_ips", addresses.join(",")));
        out.push(c);
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// VRRPv2 advertisements, for tests and fixtures.
pub mod build {
    /// An advertisement of virtual router `vrid` for `addresses`, with a simple text
    /// password when there is one (its checksum computed).
    pub fn advertisement(
        vrid: u8,
        priority: u8,
        addresses: &[[u8; 4]],
        password: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut v = vec![0x21, vrid, priority, addresses.len() as u8];
        v.push(u8::from(password.is_some()));
        v.extend([1, 0, 0]);
        for a in addresses {
            v.extend(a);
        }
        let mut data = [0u8; 8];
        if let Some(p) = password {
            let n = p.len().min(8);
            data[..n].copy_from_slice(&p[..n]);
        }
        v.extend(data);
        let sum = crate::synth::internet_checksum(&v);
        v[6..8].copy_from_slice(&sum.to_be_bytes());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::build::advertisement;
    use super::*;
    use crate::timestamp::Timestamp;

    fn run(p: &[u8]) -> Vec<Credential> {
        let mut d = (SPEC.new)(&super::super::DissectorConfig::default());
        let mut out = Vec::new();
        let chunk = Chunk {
            data: p,
            frame: 3,
            ts: Timestamp::new(1, 0),
        };
        d.datagram(Direction::ToServer, chunk, &mut out);
        d.close(&mut out);
        out
    }

    #[test]
    fn simple_text_password() {
        let p = advertisement(
            51,
            150,
            &[[192, 168, 1, 1], [192, 168, 1, 2]],
            Some(b"vrrpPW"),
        );
        let out = run(&p);
        assert_eq!(out.len(), 1);
        let c = &out[0];
        assert_eq!(
            (c.protocol.as_ref(), c.mechanism.as_ref()),
            ("vrrp", "simple text password")
        );
        assert_eq!(c.secret.as_deref(), Some(&b"vrrpPW"[..]));
        assert!(c.repeats);
        assert_eq!(c.frames, [3]);
        assert!(c.details.contains(&("vrid", "51".to_string())));
        assert!(
            c.details
                .contains(&("virtual_ips", "192.168.1.1,192.168.1.2".to_string()))
        );
    }

    #[test]
    fn nothing_without_a_password_or_from_other_shapes() {
        assert!(run(&advertisement(1, 100, &[[10, 0, 0, 1]], None)).is_empty());
        // Authentication Header type, VRRPv3, CARP's length, cut advertisements.
        let mut ah = advertisement(1, 100, &[[10, 0, 0, 1]], Some(b"x"));
        ah[4] = 2;
        assert!(run(&ah).is_empty());
        let mut v3 = advertisement(1, 100, &[[10, 0, 0, 1]], Some(b"x"));
        v3[0] = 0x31;
        assert_eq!(probe(&v3), Probe::Maybe);
        assert!(run(&v3).is_empty());
        let mut carp = vec![0x21, 1, 0, 7, 0, 1, 0, 0];
        carp.extend([0u8; 28]);
        assert_eq!(parse(&carp), None);
        let p = advertisement(1, 100, &[[10, 0, 0, 1]], Some(b"x"));
        for n in 0..p.len() {
            assert!(run(&p[..n]).is_empty());
        }
    }
}
