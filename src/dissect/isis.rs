//! IS-IS (ISO 10589, RFC 1195; over 802.2 LLC, no IP): the authentication TLV routers put
//! in their hellos, link-state PDUs and sequence-number PDUs.
//!
//! Every IS-IS PDU may carry an Authentication TLV (type 10) whose first byte says how:
//! - type 1, **cleartext password** (ISO 10589): the password as it is. Hellos carry the
//!   interface's password (`isis password`), level-1 LSPs, CSNPs and PSNPs the area's
//!   (`area-password`), level-2 ones the domain's (`domain-password`): whoever has them
//!   can form adjacencies and inject routes. Kind `cleartext`, no user name; reported once
//!   per sender, receiver and password (the finding `repeats`).
//! - type 54, **HMAC-MD5** (RFC 5304): HMAC-MD5 under the key of the whole PDU with the
//!   16-byte digest zeroed (and, in an LSP, its checksum and remaining lifetime zeroed):
//!   John the Ripper's `rsvp` format cracks it (`$rsvp$1$<signed bytes>$<digest>`).
//! - type 3, **generic cryptographic authentication** (RFC 5310): a key ID and an
//!   HMAC-SHA-1 to -512 digest computed as RFC 5709's (the key padded or hashed to the
//!   digest's length, `Apad` in the digest's place); John's `ospf` format cracks it when
//!   the TLV ends the PDU (its line is the signed bytes without the digest, `Apad`
//!   appended by John), which is where routers put it.
//!
//! Digests are reported once per sender, receiver, PDU kind and key. A router refuses a bad
//! password by ignoring the PDU: the outcome is unknown. `details` has the PDU kind
//! (`LAN hello`, `point-to-point hello`, `LSP`, `CSNP`, `PSNP`), the level and the
//! sender's system ID.

use super::keyed::Algorithm;
use super::{Chunk, DatagramDissector};
use crate::finding::{Credential, John, Kind, hex};
use crate::flow::Direction;

/// The Intradomain Routing Protocol Discriminator.
pub const DISCRIMINATOR: u8 = 0x83;
/// The Authentication TLV.
const AUTHENTICATION: u8 = 10;

/// The kinds of PDU (ISO 10589 9.5-9.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pdu {
    LanHello,
    PointToPointHello,
    Lsp,
    Csnp,
    Psnp,
}

impl Pdu {
    pub fn name(self) -> &'static str {
        match self {
            Pdu::LanHello => "LAN hello",
            Pdu::PointToPointHello => "point-to-point hello",
            Pdu::Lsp => "LSP",
            Pdu::Csnp => "CSNP",
            Pdu::Psnp => "PSNP",
        }
    }
}

/// How a PDU is authenticated.
#[derive(Debug, PartialEq, Eq)]
pub enum Auth<'a> {
    Cleartext(&'a [u8]),
    /// RFC 5304: the digest and the bytes it covers as the signer computed it (the PDU
    /// with the digest, and for an LSP its checksum and lifetime, zeroed).
    HmacMd5 {
        signed: Vec<u8>,
        digest: &'a [u8],
    },
    /// RFC 5310: key ID, digest, and the PDU without the digest when the TLV ends it.
    Generic {
        key_id: u16,
        digest: &'a [u8],
        signed: Option<Vec<u8>>,
    },
}

/// A PDU's header fields and its authentication.
#[derive(Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub pdu: Pdu,
    /// 1 or 2 (hellos of both levels on a point-to-point link: 3).
    pub level: u8,
    pub system_id: [u8; 6],
    pub auth: Option<Auth<'a>>,
}

/// The PDU kind, level and fixed header length of a PDU type, and where its PDU length
/// and system ID are.
fn layout(pdu_type: u8) -> Option<(Pdu, u8, usize, usize, usize)> {
    Some(match pdu_type {
        15 => (Pdu::LanHello, 1, 27, 17, 9),
        16 => (Pdu::LanHello, 2, 27, 17, 9),
        17 => (Pdu::PointToPointHello, 3, 20, 17, 9),
        18 => (Pdu::Lsp, 1, 27, 8, 12),
        20 => (Pdu::Lsp, 2, 27, 8, 12),
        24 => (Pdu::Csnp, 1, 33, 8, 10),
        25 => (Pdu::Csnp, 2, 33, 8, 10),
        26 => (Pdu::Psnp, 1, 17, 8, 10),
        27 => (Pdu::Psnp, 2, 17, 8, 10),
        _ => return None,
    })
}

/// Reads an IS-IS PDU (from its discriminator; what follows its PDU length is ignored).
pub fn parse(d: &[u8]) -> Option<Header<'_>> {
    let h = d.get(..8)?;
    // Discriminator, version/protocol ID extension 1, ID length 0 (6) or 6, version 1.
    if h[0] != DISCRIMINATOR || h[2] != 1 || !matches!(h[3], 0 | 6) || h[5] != 1 {
        return None;
    }
    let (pdu, level, header_len, length_at, id_at) = layout(h[4] & 0x1f)?;
    if usize::from(h[1]) != header_len {
        return None;
    }
    let pdu_len = usize::from(u16::from_be_bytes(
        d.get(length_at..length_at + 2)?.try_into().ok()?,
    ));
    if pdu_len < header_len {
        return None;
    }
    // A PDU cut by the capture is read as far as it goes.
    let d = &d[..pdu_len.min(d.len())];
    let system_id: [u8; 6] = d.get(id_at..id_at + 6)?.try_into().ok()?;
    let level = match (pdu, d.get(8).map(|c| c & 0x03)) {
        (Pdu::PointToPointHello, Some(circuit @ (1 | 2))) => circuit,
        _ => level,
    };
    let mut auth = None;
    let mut at = header_len;
    while let (Some(&t), Some(&len)) = (d.get(at), d.get(at + 1)) {
        let len = usize::from(len);
        let Some(value) = d.get(at + 2..at + 2 + len) else {
            break;
        };
        if t == AUTHENTICATION
            && let Some((&kind, rest)) = value.split_first()
        {
            let digest_at = at + 3;
            auth = match kind {
                1 if !rest.is_empty() => Some(Auth::Cleartext(rest)),
                54 if rest.len() == 16 => {
                    let mut signed = d.to_vec();
                    signed[digest_at..digest_at + 16].fill(0);
                    if pdu == Pdu::Lsp {
                        // Remaining lifetime and checksum (RFC 5304 section 2).
                        signed[10..12].fill(0);
                        signed[24..26].fill(0);
                    }
                    Some(Auth::HmacMd5 {
                        signed,
                        digest: rest,
                    })
                }
                3 if rest.len() > 2 => {
                    let digest = &rest[2..];
                    let ends = at + 2 + len == d.len();
                    let signed = ends.then(|| {
                        let mut s = d[..digest_at + 2].to_vec();
                        if pdu == Pdu::Lsp {
                            s[10..12].fill(0);
                            s[24..26].fill(0);
                        }
                        s
                    });
                    Some(Auth::Generic {
                        key_id: u16::from_be_bytes([rest[0], rest[1]]),
                        digest,
                        signed,
                    })
                }
                _ => None,
            };
            break;
        }
        at += 2 + len;
    }
    Some(Header {
        pdu,
        level,
        system_id,
        auth,
    })
}

/// A system ID as IS-IS writes it: `1921.6800.1001`.
pub fn system_id(id: &[u8; 6]) -> String {
    format!(
        "{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}",
        id[0], id[1], id[2], id[3], id[4], id[5]
    )
}

/// A router's PDUs to one destination (a multicast group of IS-IS routers, or a
/// neighbour).
#[derive(Debug, Default)]
pub struct Isis {
    /// Digests reported: PDU kind, level, key ID and digest length.
    reported: Vec<(Pdu, u8, u16, usize)>,
}

impl Isis {
    const MAX_REPORTED: usize = 16;

    fn first(&mut self, key: (Pdu, u8, u16, usize)) -> bool {
        if self.reported.contains(&key) || self.reported.len() >= Self::MAX_REPORTED {
            return false;
        }
        self.reported.push(key);
        true
    }
}

impl DatagramDissector for Isis {
    fn datagram(&mut self, _dir: Direction, chunk: Chunk<'_>, out: &mut Vec<Credential>) {
        let Some(h) = parse(chunk.data) else {
            return;
        };
        let mut c = match h.auth {
            Some(Auth::Cleartext(password)) => {
                let mut c =
                    Credential::new("isis", "cleartext password", Kind::Cleartext, chunk.ts);
                c.secret = Some(password.to_vec());
                c.repeats = true;
                c
            }
            Some(Auth::HmacMd5 { signed, digest }) => {
                if !self.first((h.pdu, h.level, 0, 16)) {
                    return;
                }
                let mut c = Credential::new("isis", "HMAC-MD5", Kind::ChallengeResponse, chunk.ts);
                c.secret = Some(hex(digest).into_bytes());
                c.john = Some(John {
                    format: "rsvp",
                    hash: format!("$rsvp$1${}${}", hex(&signed), hex(digest)),
                });
                c.challenge = Some(hex(&signed).into_bytes());
                c
            }
            Some(Auth::Generic {
                key_id,
                digest,
                signed,
            }) => {
                let Some(alg) =
                    Algorithm::from_digest_len(digest.len()).filter(|a| *a != Algorithm::KeyedMd5)
                else {
                    return;
                };
                if !self.first((h.pdu, h.level, key_id, digest.len())) {
                    return;
                }
                let mut c =
                    Credential::new("isis", alg.mechanism(), Kind::ChallengeResponse, chunk.ts);
                c.secret = Some(hex(digest).into_bytes());
                if let Some(signed) = signed {
                    c.john = Some(alg.john(&signed, digest));
                    c.challenge = Some(hex(&signed).into_bytes());
                }
                c.details.push(("key_id", key_id.to_string()));
                c
            }
            None => return,
        };
        c.add_frames([chunk.frame]);
        c.details.push(("pdu", h.pdu.name().to_string()));
        c.details.push((
            "level",
            match h.level {
                3 => "1 and 2".to_string(),
                l => l.to_string(),
            },
        ));
        c.details.push(("system_id", system_id(&h.system_id)));
        out.push(c);
    }

    fn close(&mut self, _out: &mut Vec<Credential>) {}
}

/// IS-IS PDUs, for tests and fixtures.
pub mod build {
    use super::DISCRIMINATOR;

    /// How a PDU is signed.
    pub enum Signing<'a> {
        None,
        Cleartext(&'a [u8]),
        /// RFC 5304 HMAC-MD5 under the key.
        HmacMd5(&'a [u8]),
    }

    /// RFC 2104's HMAC with MD5 (keys of at most 64 bytes).
    fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
        use md5::Digest;
        let mut k = [0u8; 64];
        k[..key.len().min(64)].copy_from_slice(&key[..key.len().min(64)]);
        let pad = |b: u8| k.map(|x| x ^ b);
        let inner = md5::Md5::new()
            .chain_update(pad(0x36))
            .chain_update(data)
            .finalize();
        md5::Md5::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize()
            .into()
    }

    /// The fixed header of PDU type `pdu_type`, `header_len` bytes.
    fn header(pdu_type: u8, header_len: u8) -> Vec<u8> {
        vec![DISCRIMINATOR, header_len, 1, 0, pdu_type, 1, 0, 0]
    }

    /// Appends the authentication TLV and the TLVs, sets the PDU length at `length_at`,
    /// and signs (the digest of the PDU with its digest, checksum and lifetime zeroed).
    fn finish(mut p: Vec<u8>, length_at: usize, signing: Signing<'_>, tlvs: &[u8]) -> Vec<u8> {
        let digest_at = match signing {
            Signing::None => None,
            Signing::Cleartext(pw) => {
                p.extend([10, pw.len() as u8 + 1, 1]);
                p.extend(pw);
                None
            }
            Signing::HmacMd5(_) => {
                p.extend([10, 17, 54]);
                p.extend([0u8; 16]);
                Some(p.len() - 16)
            }
        };
        p.extend(tlvs);
        let len = (p.len() as u16).to_be_bytes();
        p[length_at..length_at + 2].copy_from_slice(&len);
        if let (Signing::HmacMd5(key), Some(at)) = (signing, digest_at) {
            let mut signed = p.clone();
            if p[4] == 18 || p[4] == 20 {
                signed[10..12].fill(0);
                signed[24..26].fill(0);
            }
            p[at..at + 16].copy_from_slice(&hmac_md5(key, &signed));
        }
        p
    }

    /// A level-`level` LAN hello from `system`, with an area address TLV and padding.
    pub fn lan_hello(level: u8, system: [u8; 6], signing: Signing<'_>) -> Vec<u8> {
        let mut p = header(14 + level, 27);
        p.push(level);
        p.extend(system);
        p.extend(30u16.to_be_bytes());
        p.extend([0, 0]);
        p.push(64);
        p.extend(system);
        p.push(1);
        let tlvs = [1, 4, 3, 0x49, 0, 1, 8, 6, 0, 0, 0, 0, 0, 0];
        finish(p, 17, signing, &tlvs)
    }

    /// A level-`level` LSP of `system` with a checksum and lifetime set (as sent).
    pub fn lsp(level: u8, system: [u8; 6], signing: Signing<'_>) -> Vec<u8> {
        let mut p = header(if level == 1 { 18 } else { 20 }, 27);
        p.extend([0, 0]);
        p.extend(1199u16.to_be_bytes());
        p.extend(system);
        p.extend([0, 0]);
        p.extend(7u32.to_be_bytes());
        p.extend([0xbe, 0xef]);
        p.push(0x03);
        let tlvs = [129, 1, 0xcc, 137, 2, b'r', b'1'];
        finish(p, 8, signing, &tlvs)
    }
}

#[cfg(test)]
mod tests {
    use super::build::{Signing, lan_hello, lsp};
    use super::*;
    use crate::timestamp::Timestamp;
    use hmac::{Hmac, KeyInit, Mac};

    const SYS: [u8; 6] = [0x19, 0x21, 0x68, 0x00, 0x10, 0x01];

    fn unhex(s: &str) -> Option<Vec<u8>> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    }

    fn run(pdus: &[Vec<u8>]) -> Vec<Credential> {
        let mut d = Isis::default();
        let mut out = Vec::new();
        for (i, p) in pdus.iter().enumerate() {
            d.datagram(
                Direction::ToServer,
                Chunk {
                    data: p,
                    frame: i as u64 + 1,
                    ts: Timestamp::ZERO,
                },
                &mut out,
            );
        }
        out
    }

    fn hmac_md5(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<md5::Md5>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn cleartext_passwords_of_hellos_and_lsps() {
        let out = run(&[
            lan_hello(1, SYS, Signing::Cleartext(b"Hello-Pw1")),
            lsp(2, SYS, Signing::Cleartext(b"Domain-Pw")),
        ]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].protocol, "isis");
        assert_eq!(out[0].mechanism, "cleartext password");
        assert_eq!(out[0].secret.as_deref(), Some(&b"Hello-Pw1"[..]));
        assert!(out[0].repeats);
        assert_eq!(
            out[0].details,
            vec![
                ("pdu", "LAN hello".to_string()),
                ("level", "1".to_string()),
                ("system_id", "1921.6800.1001".to_string())
            ]
        );
        assert_eq!(out[1].secret.as_deref(), Some(&b"Domain-Pw"[..]));
        assert_eq!(out[1].details[0].1, "LSP");
        assert_eq!(out[1].details[1].1, "2");
    }

    #[test]
    fn hmac_md5_gives_johns_rsvp_line_once_per_pdu_kind() {
        let key = b"Area-Md5-Key";
        let l = lsp(1, SYS, Signing::HmacMd5(key));
        let h = lan_hello(1, SYS, Signing::HmacMd5(key));
        let out = run(&[l.clone(), l.clone(), h.clone(), h]);
        assert_eq!(out.len(), 2, "{out:?}");
        for c in &out {
            let john = c.john.as_ref().unwrap();
            assert_eq!(john.format, "rsvp");
            let parts: Vec<&str> = john.hash.split('$').collect();
            assert_eq!((parts[1], parts[2]), ("rsvp", "1"));
            let signed = unhex(parts[3]).unwrap();
            // The key makes the digest again from the signed bytes; another does not.
            assert_eq!(hex(&hmac_md5(key, &signed)), parts[4]);
            assert_ne!(hex(&hmac_md5(b"other", &signed)), parts[4]);
            assert_eq!(c.secret.as_deref(), Some(parts[4].as_bytes()));
        }
        // The LSP's checksum and lifetime are zeroed in what was signed.
        let challenge = std::str::from_utf8(out[0].challenge.as_deref().unwrap()).unwrap();
        let signed = unhex(challenge).unwrap();
        assert_eq!(&signed[10..12], &[0, 0]);
        assert_eq!(&signed[24..26], &[0, 0]);
        assert_eq!(&l[10..12], &1199u16.to_be_bytes());
    }

    /// John the Ripper's own IS-IS test vector (a point-to-point hello signed with key
    /// "1234"): read back as the same line.
    #[test]
    fn johns_isis_vector() {
        let salt = "831401001101000301192168201101001b005a000104034900018102cc8ee50400000002e810fe800000000000000465fffffe000000f00f0000000004192168201104000000040a113600000000000000000000000000000000";
        let digest = "44b62860b363f9adf60acdb9d66abe27";
        let mut pdu = unhex(salt).unwrap();
        let at = pdu.len() - 16;
        pdu[at..].copy_from_slice(&unhex(digest).unwrap());
        assert_eq!(hex(&hmac_md5(b"1234", &unhex(salt).unwrap())), digest);
        let out = run(&[pdu]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(
            out[0].john.as_ref().unwrap().hash,
            format!("$rsvp$1${salt}${digest}")
        );
        assert_eq!(out[0].details[0].1, "point-to-point hello");
        assert_eq!(out[0].details[2].1, "1921.6820.1101");
    }

    #[test]
    fn nothing_without_authentication_and_garbage_never_panics() {
        assert!(run(&[lan_hello(2, SYS, Signing::None)]).is_empty());
        let good = lsp(1, SYS, Signing::HmacMd5(b"k"));
        for n in 0..good.len() {
            let _ = run(&[good[..n].to_vec()]);
        }
        let mut seed = 7u32;
        for _ in 0..3000 {
            let mut p = good.clone();
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let i = seed as usize % p.len();
            p[i] = (seed >> 8) as u8;
            let _ = run(&[p]);
        }
        // Not IS-IS: a different discriminator, a header length that does not match.
        let mut p = good.clone();
        p[0] = 0x82;
        assert!(parse(&p).is_none());
        let mut p = good;
        p[1] = 20;
        assert!(parse(&p).is_none());
    }
}
