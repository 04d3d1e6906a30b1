//! NTP symmetric key authentication (RFC 5905 sections 7.3 and 9.2, RFC 7822), UDP 123.
//!
//! A client, server or peer given a key (ntpd's and ntpsec's `keys` file with `server ...
//! key N`, chrony's `keyfile` with `key N`) appends a MAC to every packet: a 32-bit key
//! identifier and a digest of the key followed by the packet — MD5(key ‖ packet), 16 bytes,
//! or SHA-1, 20 bytes (chrony truncates longer hashes to 20). The key is not sent, but such
//! keys are often typed words (ASCII keys of up to 20 characters): one packet is enough to
//! try them offline, hashcat 10 (`md5($pass.$salt)`) or 110 (`sha1($pass.$salt)`) with the
//! signed packet as the salt, in hex (`--hex-salt`). AES-128-CMAC MACs are 16 bytes too and
//! cannot be told from MD5 on the wire (their keys are random). NTS (RFC 8915) protects
//! packets with extension fields and no such MAC: nothing to report.
//!
//! Reported once per client, server, key and verdict (the finding `repeats`, told apart by
//! its key rather than by the digest, which changes with every packet): mechanism `keyed MD5` or `keyed SHA-1`, kind
//! `challenge-response`, the digest (hex) as the secret, the signed packet (hex) in
//! `challenge`, `details.key_id` and `details.mode` (`client`, `server`, `symmetric
//! active`, `symmetric passive`, `broadcast`).
//!
//! **Outcome**: a client request's key is accepted (`success`) when the server answers
//! under the same key; a crypto-NAK (a MAC that is only a zero key identifier, ntpd's
//! answer to a request it cannot authenticate) is a `failure`. chrony drops such requests
//! without an answer, and peers and broadcasts get none: `unknown`.

use super::keyed::Reported;
use super::{Chunk, DatagramDissector, DatagramSpec, Probe};
use crate::finding::{Credential, Hashcat, Kind, Outcome, hex};
use crate::flow::Direction;

pub const SPEC: DatagramSpec = DatagramSpec {
    name: "ntp",
    udp_ports: &[123],
    ip_protocols: &[],
    probe,
    by_content: false,
    new: |_config| Box::<Ntp>::default(),
};

/// The packet header's size (modes 1 to 5).
const HEADER: usize = 48;
pub const MODE_SYMMETRIC_ACTIVE: u8 = 1;
pub const MODE_SYMMETRIC_PASSIVE: u8 = 2;
pub const MODE_CLIENT: u8 = 3;
pub const MODE_SERVER: u8 = 4;
pub const MODE_BROADCAST: u8 = 5;
/// Longest signed packet put in a hashcat line (hashcat's pure kernels take salts of up to
/// 256 bytes).
const MAX_SALT: usize = 256;
/// Client requests awaiting the server's verdict, per conversation.
const MAX_PENDING: usize = 8;

/// What follows a packet's header and extension fields.
#[derive(Debug, PartialEq, Eq)]
pub enum Auth<'a> {
    None,
    /// A MAC of only a zero key identifier: the sender could not authenticate the packet
    /// it answers.
    CryptoNak,
    Mac {
        key_id: u32,
        /// The header and extension fields the digest covers.
        signed: &'a [u8],
        digest: &'a [u8],
    },
}

/// An NTP packet (modes 1 to 5, versions 1 to 4): its mode and authentication. `None` when
/// it is not one.
pub fn parse(p: &[u8]) -> Option<(u8, Auth<'_>)> {
    let first = *p.first()?;
    let (version, mode) = ((first >> 3) & 7, first & 7);
    if p.len() < HEADER || !(1..=4).contains(&version) || !(1..=5).contains(&mode) {
        return None;
    }
    let mut off = HEADER;
    loop {
        let rest = &p[off..];
        let auth = match rest.len() {
            0 => Auth::None,
            4 if rest == [0; 4] => Auth::CryptoNak,
            20 | 24 => {
                let key_id = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
                if key_id == 0 {
                    Auth::None
                } else {
                    Auth::Mac {
                        key_id,
                        signed: &p[..off],
                        digest: &rest[4..],
                    }
                }
            }
            // RFC 7822 extension fields (type, length of at least 16, a multiple of 4).
            n if version == 4 && n >= 16 => {
                let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
                if len < 16 || !len.is_multiple_of(4) || len > n {
                    Auth::None
                } else {
                    off += len;
                    continue;
                }
            }
            _ => Auth::None,
        };
        return Some((mode, auth));
    }
}

/// NTP on its port: a packet of modes 1 to 5.
pub fn probe(payload: &[u8]) -> Probe {
    if parse(payload).is_some() {
        Probe::Yes
    } else {
        Probe::No
    }
}

fn mode_name(mode: u8) -> &'static str {
    match mode {
        MODE_SYMMETRIC_ACTIVE => "symmetric active",
        MODE_SYMMETRIC_PASSIVE => "symmetric passive",
        MODE_CLIENT => "client",
        MODE_SERVER => "server",
        _ => "broadcast",
    }
}

/// A MAC as a finding (`None` for digests of another length).
pub fn credential(
    mode: u8,
    key_id: u32,
    signed: &[u8],
    digest: &[u8],
    chunk: &Chunk<'_>,
) -> Option<Credential> {
    let (mechanism, hashcat_mode) = match digest.len() {
        16 => ("keyed MD5", 10),
        20 => ("keyed SHA-1", 110),
        _ => return None,
    };
    let mut c = Credential::new("ntp", mechanism, Kind::ChallengeResponse, chunk.ts);
    c.secret = Some(hex(digest).into_bytes());
    c.challenge = Some(hex(signed).into_bytes());
    if signed.len() <= MAX_SALT {
        c.hashcat = Some(Hashcat {
            mode: hashcat_mode,
            hash: format!("{}:{}", hex(digest), hex(signed)),
            hex_salt: true,
        });
    }
    c.details.push(("key_id", key_id.to_string()));
    c.details.push(("mode", mode_name(mode).to_string()));
    // Every packet has its own MAC, and chrony sends each request from a new port: one
    // finding per client, server, key and verdict.
    c.repeats = true;
    c.repeat_key = Some(format!("{} key {key_id}", digest.len()));
    c.add_frames([chunk.frame]);
    Some(c)
}

#[derive(Debug, Default)]
pub struct Ntp {
    reported: Reported,
    /// Client requests' findings awaiting the server's answer, by key.
    pending: Vec<(u32, Credential)>,
}

impl DatagramDissector for Ntp {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some((mode, auth)) = parse(chunk.data) else {
            return;
        };
        match auth {
            Auth::Mac {
                key_id,
                signed,
                digest,
            } => {
                if mode == MODE_SERVER
                    && let Some(i) = self.pending.iter().position(|(k, _)| *k == key_id)
                {
                    let (_, mut c) = self.pending.swap_remove(i);
                    c.outcome = Outcome::Success;
                    out.push(c);
                }
                if !self.reported.first(key_id, digest.len()) {
                    return;
                }
                let Some(c) = credential(mode, key_id, signed, digest, &chunk) else {
                    return;
                };
                if mode == MODE_CLIENT && self.pending.len() < MAX_PENDING {
                    self.pending.push((key_id, c));
                } else {
                    out.push(c);
                }
            }
            Auth::CryptoNak if mode == MODE_SERVER => {
                // A crypto-NAK names no key: it refuses what the client sent.
                for (_, mut c) in self.pending.drain(..) {
                    c.outcome = Outcome::Failure;
                    c.details.push(("reason", "crypto-NAK".to_string()));
                    c.add_frames([chunk.frame]);
                    out.push(c);
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, out: &mut Vec<Credential>) {
        out.extend(self.pending.drain(..).map(|(_, c)| c));
    }

    fn buffered(&self) -> usize {
        self.pending
            .iter()
            .map(|(_, c)| c.challenge.as_ref().map_or(0, Vec::capacity) + 128)
            .sum()
    }
}

/// NTP packets, for tests and fixtures.
pub mod build {
    use md5::{Digest, Md5};
    use sha1::Sha1;

    /// A version 4 packet header of `mode` whose transmit timestamp is `tx`.
    pub fn header(mode: u8, tx: u64) -> Vec<u8> {
        let mut h = vec![0u8; super::HEADER];
        h[0] = (4 << 3) | mode;
        h[1] = if mode == super::MODE_CLIENT { 0 } else { 8 };
        h[2] = 6;
        h[3] = 0xe7;
        h[40..48].copy_from_slice(&tx.to_be_bytes());
        h
    }

    /// `packet` with a MAC under `key` (`sha1`: SHA-1, otherwise MD5).
    pub fn signed(packet: &[u8], key_id: u32, key: &[u8], sha1: bool) -> Vec<u8> {
        let digest = if sha1 {
            Sha1::new()
                .chain_update(key)
                .chain_update(packet)
                .finalize()
                .to_vec()
        } else {
            Md5::new()
                .chain_update(key)
                .chain_update(packet)
                .finalize()
                .to_vec()
        };
        [packet, &key_id.to_be_bytes(), &digest].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::build::{header, signed};
    use super::*;
    use crate::dissect::script::unhex;
    use Direction::{ToClient as S, ToServer as C};

    fn run(script: &[(Direction, Vec<u8>)]) -> Vec<Credential> {
        crate::dissect::script::datagrams(&mut Ntp::default(), script)
    }

    /// chrony 4.3's client request under `1 MD5 Ntp-Key!1`, as captured.
    const CHRONY_REQUEST: &str = concat!(
        "23000620000000000000000000000000000000000000000000000000000000000000000000000000",
        "931db8a8a2ffe67f000000016927b12139920c6b1713fb28c4d0df7d"
    );

    #[test]
    fn chrony_request_recomputes_from_its_key() {
        let p = unhex(CHRONY_REQUEST);
        let Some((
            MODE_CLIENT,
            Auth::Mac {
                key_id: 1,
                signed: s,
                digest,
            },
        )) = parse(&p)
        else {
            panic!("{:?}", parse(&p));
        };
        assert_eq!(s.len(), 48);
        assert_eq!(signed(s, 1, b"Ntp-Key!1", false), p);
        assert_eq!(digest.len(), 16);
    }

    #[test]
    fn client_key_accepted_by_the_server_once_per_key() {
        let req = |tx, key: &[u8], sha1| signed(&header(MODE_CLIENT, tx), 1, key, sha1);
        let out = run(&[
            (C, req(1, b"k3y", false)),
            (C, req(2, b"k3y", false)),
            (S, signed(&header(MODE_SERVER, 3), 1, b"k3y", false)),
            (C, signed(&header(MODE_CLIENT, 4), 2, b"sha-key", true)),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        let c = &out[0];
        assert_eq!(
            (c.mechanism.as_ref(), c.outcome, c.frames.clone()),
            ("keyed MD5", Outcome::Success, vec![1])
        );
        assert_eq!(c.detail("key_id"), Some("1"));
        assert_eq!(c.detail("mode"), Some("client"));
        let h = c.hashcat.as_ref().unwrap();
        let packet = header(MODE_CLIENT, 1);
        let digest = &req(1, b"k3y", false)[52..];
        assert_eq!(
            (h.mode, h.hex_salt, h.hash.clone()),
            (10, true, format!("{}:{}", hex(digest), hex(&packet)))
        );
        assert_eq!(c.secret.as_deref(), Some(hex(digest).as_bytes()));
        // SHA-1, never answered: unknown at the close.
        assert_eq!(out[1].mechanism, "keyed SHA-1");
        assert_eq!(out[1].hashcat.as_ref().unwrap().mode, 110);
        assert_eq!(out[1].outcome, Outcome::Unknown);
    }

    #[test]
    fn crypto_nak_refuses_and_peers_are_unknown() {
        let mut nak = header(MODE_SERVER, 9);
        nak.extend([0; 4]);
        let out = run(&[
            (C, signed(&header(MODE_CLIENT, 1), 7, b"wrong", false)),
            (S, nak),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, Outcome::Failure);
        assert_eq!(out[0].detail("reason"), Some("crypto-NAK"));
        assert_eq!(out[0].frames, vec![1, 2]);
        let out = run(&[(
            C,
            signed(&header(MODE_SYMMETRIC_ACTIVE, 1), 5, b"peer", false),
        )]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].detail("mode"), Some("symmetric active"));
    }

    #[test]
    fn extension_fields_before_the_mac_and_nts_without_one() {
        let mut p = header(MODE_CLIENT, 1);
        // An extension field of 16 bytes (RFC 7822), then the MAC over both.
        p.extend([0x01, 0x04, 0x00, 0x10]);
        p.extend([0xab; 12]);
        let with_mac = signed(&p, 3, b"ef-key", false);
        let Some((_, Auth::Mac { signed: s, .. })) = parse(&with_mac) else {
            panic!()
        };
        assert_eq!(s.len(), 64);
        // NTS: extension fields only (unique identifier, cookie, authenticator).
        let mut nts = header(MODE_CLIENT, 1);
        for (t, len) in [(0x0104u16, 36u16), (0x0204, 104), (0x0404, 40)] {
            nts.extend(t.to_be_bytes());
            nts.extend(len.to_be_bytes());
            nts.extend(vec![0x5a; usize::from(len) - 4]);
        }
        assert_eq!(parse(&nts), Some((MODE_CLIENT, Auth::None)));
        // A bad extension length stops the reading.
        let mut bad = header(MODE_CLIENT, 1);
        bad.extend([0, 0, 0, 7]);
        bad.extend([0; 28]);
        assert_eq!(parse(&bad), Some((MODE_CLIENT, Auth::None)));
    }

    #[test]
    fn probe_and_not_ntp() {
        assert_eq!(probe(&header(MODE_CLIENT, 1)), Probe::Yes);
        assert_eq!(probe(&[0x23; 20]), Probe::No);
        // Mode 6 (control) and mode 7 (private) and version 0 are not read.
        let mut control = header(6, 1);
        assert_eq!(probe(&control), Probe::No);
        control[0] = 0x03;
        assert_eq!(probe(&control), Probe::No);
    }
}
