//! Keyed digests of routing protocols: the authentication of OSPFv2 (RFC 2328 appendix D,
//! RFC 5709), RIPv2 (RFC 2082, RFC 4822) and BFD (RFC 5880) messages.
//!
//! A router signs every message with a digest of the message and the key it shares with
//! its neighbours: keyed MD5 (the message, then the key NUL-padded to 16 bytes) or
//! HMAC-SHA (RFC 5709's construction: the key padded or hashed to the digest's length,
//! the message followed by `Apad`). The key is not sent, but one captured message is
//! enough to try keys offline: hashcat has no mode for these, John the Ripper has —
//! `net-md5` (`$netmd5$<signed bytes>$<digest>`), `net-sha1` (BFD's keyed SHA-1) and `ospf` (`$ospf$<1-4>$<signed
//! bytes>$<digest>`, SHA-1, SHA-256, SHA-384, SHA-512). Every message carries one, so a
//! conversation reports its first message for each key (key ID and digest length) only.

use super::Chunk;
use crate::finding::{Credential, John, Kind, hex};

/// How a message was signed, from its digest's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    KeyedMd5,
    /// BFD's keyed SHA-1 (RFC 5880 6.7.4): the message, then the key NUL-padded to 20
    /// bytes. Never chosen by a digest's length (20 bytes is HMAC-SHA-1 elsewhere).
    KeyedSha1,
    HmacSha1,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl Algorithm {
    /// The algorithm whose digest has `len` bytes.
    pub fn from_digest_len(len: usize) -> Option<Algorithm> {
        Some(match len {
            16 => Algorithm::KeyedMd5,
            20 => Algorithm::HmacSha1,
            32 => Algorithm::HmacSha256,
            48 => Algorithm::HmacSha384,
            64 => Algorithm::HmacSha512,
            _ => return None,
        })
    }

    /// The mechanism's name, as the RFCs write it.
    pub fn mechanism(self) -> &'static str {
        match self {
            Algorithm::KeyedMd5 => "keyed MD5",
            Algorithm::KeyedSha1 => "keyed SHA-1",
            Algorithm::HmacSha1 => "HMAC-SHA-1",
            Algorithm::HmacSha256 => "HMAC-SHA-256",
            Algorithm::HmacSha384 => "HMAC-SHA-384",
            Algorithm::HmacSha512 => "HMAC-SHA-512",
        }
    }

    /// The John the Ripper line for a message whose `signed` bytes gave `digest`.
    pub fn john(self, signed: &[u8], digest: &[u8]) -> John {
        let (format, hash) = match self {
            Algorithm::KeyedMd5 => (
                "net-md5",
                format!("$netmd5${}${}", hex(signed), hex(digest)),
            ),
            Algorithm::KeyedSha1 => (
                "net-sha1",
                format!("$netsha1${}${}", hex(signed), hex(digest)),
            ),
            sha => {
                let n = match sha {
                    Algorithm::HmacSha1 => 1,
                    Algorithm::HmacSha256 => 2,
                    Algorithm::HmacSha384 => 3,
                    _ => 4,
                };
                ("ospf", format!("$ospf${n}${}${}", hex(signed), hex(digest)))
            }
        };
        John { format, hash }
    }
}

/// A signed message as a finding: kind `challenge-response`, the digest (hex) as the
/// secret, the signed bytes (hex) as the challenge, John's line.
pub fn credential(
    protocol: &'static str,
    algorithm: Algorithm,
    key_id: u8,
    signed: &[u8],
    digest: &[u8],
    chunk: &Chunk<'_>,
) -> Credential {
    let mut c = Credential::new(
        protocol,
        algorithm.mechanism(),
        Kind::ChallengeResponse,
        chunk.ts,
    );
    c.secret = Some(hex(digest).into_bytes());
    c.challenge = Some(hex(signed).into_bytes());
    c.john = Some(algorithm.john(signed, digest));
    c.details.push(("key_id", key_id.to_string()));
    c.add_frames([chunk.frame]);
    c
}

/// Keys a conversation already reported (at most [`Reported::MAX`]: a conversation
/// cycling through more keys reports no more of them).
#[derive(Debug, Default)]
pub struct Reported(Vec<(u32, usize)>);

impl Reported {
    const MAX: usize = 8;

    /// Whether the key `key_id` with digests of `len` bytes is new here (and now
    /// remembered).
    pub fn first(&mut self, key_id: u32, len: usize) -> bool {
        if self.0.contains(&(key_id, len)) || self.0.len() >= Self::MAX {
            return false;
        }
        self.0.push((key_id, len));
        true
    }
}

/// Keyed MD5 as a router computes it, for tests and fixtures.
pub mod build {
    use md5::Digest;

    /// The keyed MD5 digest of `signed` under `key` (NUL-padded or cut to 16 bytes).
    pub fn keyed_md5(key: &[u8], signed: &[u8]) -> [u8; 16] {
        let mut k = [0u8; 16];
        let n = key.len().min(16);
        k[..n].copy_from_slice(&key[..n]);
        md5::Md5::new()
            .chain_update(signed)
            .chain_update(k)
            .finalize()
            .into()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dissect::script::unhex;
    use hmac::{Hmac, KeyInit, Mac};
    use md5::Digest;

    /// RFC 5709's `Apad`, `len` bytes.
    fn apad(len: usize) -> Vec<u8> {
        [0x87u8, 0x8f, 0xe1, 0xf3]
            .iter()
            .copied()
            .cycle()
            .take(len)
            .collect()
    }

    /// RFC 5709's HMAC-SHA: the key padded with NULs (or hashed) to the digest's length,
    /// `Apad` in the digest's place.
    macro_rules! hmac_sha {
        ($d:ty, $key:expr, $signed:expr) => {{
            let len = <$d as Digest>::output_size();
            let k: Vec<u8> = if $key.len() > len {
                <$d>::digest($key).to_vec()
            } else {
                let mut k = $key.to_vec();
                k.resize(len, 0);
                k
            };
            let mut m = Hmac::<$d>::new_from_slice(&k).unwrap();
            m.update($signed);
            m.update(&apad(len));
            m.finalize().into_bytes().to_vec()
        }};
    }

    pub(crate) fn digest(algorithm: Algorithm, key: &[u8], signed: &[u8]) -> Vec<u8> {
        match algorithm {
            Algorithm::KeyedMd5 => build::keyed_md5(key, signed).to_vec(),
            Algorithm::KeyedSha1 => {
                let mut k = key.to_vec();
                k.resize(20, 0);
                sha1::Sha1::new()
                    .chain_update(signed)
                    .chain_update(k)
                    .finalize()
                    .to_vec()
            }
            Algorithm::HmacSha1 => hmac_sha!(sha1::Sha1, key, signed),
            Algorithm::HmacSha256 => hmac_sha!(sha2::Sha256, key, signed),
            Algorithm::HmacSha384 => hmac_sha!(sha2::Sha384, key, signed),
            Algorithm::HmacSha512 => hmac_sha!(sha2::Sha512, key, signed),
        }
    }

    /// John the Ripper's own test vectors (net-md5: RIPv2 and OSPF with key
    /// `abcdefghijklmnop` and `quagga`; ospf: HMAC-SHA-1 and -256 with `1234`) recompute.
    #[test]
    fn johns_vectors_recompute() {
        for (signed, d, key, alg) in [
            (
                "02020000ffff0003002c01145267d48d000000000000000000020000ac100100ffffff000000000000000001ffff0001",
                "1e372a8a233c6556253a0909bc3dcce6",
                "quagga",
                Algorithm::KeyedMd5,
            ),
            (
                "0201002cac1001010000000000000002000001105267ff8fffffff00000a0201000000280000000000000000",
                "445ecbb27272bd791a757a6c85856150",
                "abcdefghijklmnop",
                Algorithm::KeyedMd5,
            ),
            (
                "02010030ac10001400000000000000020000011454ee4518ffffff00000a120100000028c0a86f14c0a86f0aac10000a",
                "e59ba2c56a2c0429ebe72a194e4b54c250cac1a3",
                "1234",
                Algorithm::HmacSha1,
            ),
            (
                "0201002cac10000a00000000000000020000012054f4c8adffffff00000a120100000028c0a86f0a00000000",
                "508a1abffb5b4554e1aa46eb053bca7105c3e8f6fece4c945f0a0020edb054ec",
                "1234",
                Algorithm::HmacSha256,
            ),
        ] {
            assert_eq!(
                hex(&digest(alg, key.as_bytes(), &unhex(signed))),
                d,
                "{alg:?}"
            );
            assert_eq!(Algorithm::from_digest_len(d.len() / 2), Some(alg));
        }
    }

    #[test]
    fn john_lines_and_mechanisms() {
        let j = Algorithm::KeyedMd5.john(&[1, 2], &[0xab; 16]);
        assert_eq!(j.format, "net-md5");
        assert_eq!(j.hash, format!("$netmd5$0102${}", "ab".repeat(16)));
        let j = Algorithm::HmacSha384.john(&[0xff], &[0; 48]);
        assert_eq!(j.format, "ospf");
        assert!(j.hash.starts_with("$ospf$3$ff$"), "{}", j.hash);
        assert_eq!(Algorithm::HmacSha512.mechanism(), "HMAC-SHA-512");
        assert_eq!(Algorithm::from_digest_len(17), None);
    }

    #[test]
    fn each_key_is_reported_once_and_the_memory_is_bounded() {
        let mut r = Reported::default();
        assert!(r.first(1, 16));
        assert!(!r.first(1, 16));
        assert!(r.first(1, 32));
        assert!(r.first(2, 16));
        for k in 3..20 {
            r.first(k, 16);
        }
        assert_eq!(r.0.len(), Reported::MAX);
        assert!(!r.first(200, 16));
    }
}
