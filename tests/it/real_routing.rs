//! Real routers: `tests/e2e/real-routing.sh` runs two BIRD routers and a keepalived VRRP
//! master in network namespaces joined by two veth links, with OSPFv2 HMAC-SHA-256 and
//! RIPv2 keyed MD5 on one link, OSPFv2 and RIPv2 simple passwords on the other, a VRRPv2
//! `auth_type PASS` virtual router, a BGP session signed with TCP MD5 (RFC 2385, by the
//! kernel) and BFD sessions (keyed MD5 on one link, a simple password on the other,
//! meticulous keyed SHA-1 between loopbacks, multihop), captured on every interface of
//! one router (Linux cooked v2). plainsight must
//! report the simple passwords exactly, and for the signed messages a John the Ripper line
//! that the configured key verifies (keyed MD5: MD5 of the message and the key padded to
//! 16 bytes; keyed SHA-1: SHA-1 and the key padded to 20; TCP MD5: MD5 of the signed bytes
//! and the key; HMAC-SHA-256 by RFC 5709), from both
//! routers, with one or two threads alike. Needs root, tcpdump, ip, BIRD and keepalived
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use std::collections::BTreeSet;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;

use crate::support::{hex, real_e2e, scan_with, unhex};

// The same values as in tests/e2e/real-routing.sh.
const OSPF_HMAC: &str = "Ospf-Hmac-256!";
const RIP_MD5: &str = "R1p-md5-key";
const VRRP_PASS: &str = "vrrpPW1";
const OSPF_SIMPLE: &str = "osimple";
const RIP_PLAIN: &str = "rip-plain-pw";
const BGP_KEY: &str = "Bgp-Md5-Key!";
const BFD_MD5: &str = "Bfd-Md5-Key";
const BFD_SIMPLE: &str = "bfdSimple";
const BFD_SHA1: &str = "Bfd-Sha1-Key";

/// Whether John's line `hash` is the digest `key` gives its message.
fn verifies(hash: &str, key: &str) -> bool {
    let parts: Vec<&str> = hash.split('$').collect();
    match parts.as_slice() {
        ["", "netmd5", signed, digest] => {
            let mut k = key.as_bytes().to_vec();
            k.resize(16, 0);
            let mut m = unhex(signed);
            m.extend(k);
            hex(&md5_digest(&m)) == *digest
        }
        ["", "netsha1", signed, digest] => {
            use sha1::Digest;
            let mut k = key.as_bytes().to_vec();
            k.resize(20, 0);
            let mut m = unhex(signed);
            m.extend(k);
            hex(&sha1::Sha1::digest(&m)) == *digest
        }
        ["", "tcpmd5", signed, digest] => {
            let mut m = unhex(signed);
            m.extend(key.as_bytes());
            hex(&md5_digest(&m)) == *digest
        }
        ["", "ospf", "2", signed, digest] => {
            let mut k = key.as_bytes().to_vec();
            k.resize(32, 0);
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap();
            m.update(&unhex(signed));
            m.update(&[0x87, 0x8f, 0xe1, 0xf3].repeat(8));
            hex(&m.finalize().into_bytes()) == *digest
        }
        _ => false,
    }
}

fn md5_digest(data: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(data).to_vec()
}

/// (protocol, mechanism, client) of the findings, and every finding checked against the
/// configured keys.
fn read(findings: &[Value]) -> BTreeSet<(String, String, String)> {
    let mut got = BTreeSet::new();
    for f in findings {
        let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
        let (protocol, mechanism) = (s("protocol"), s("mechanism"));
        let client = if protocol == "bgp" {
            String::new() // whichever router connected first
        } else {
            f["client"]["ip"].as_str().unwrap_or("").to_string()
        };
        assert_eq!(f["outcome"], "unknown", "{f}");
        match (protocol.as_str(), mechanism.as_str()) {
            ("ospf", "simple password") => assert_eq!(s("secret"), OSPF_SIMPLE, "{f}"),
            ("rip", "simple password") => assert_eq!(s("secret"), RIP_PLAIN, "{f}"),
            ("vrrp", "simple text password") => {
                assert_eq!(s("secret"), VRRP_PASS, "{f}");
                assert_eq!(f["details"]["vrid"], "51", "{f}");
                assert_eq!(f["details"]["virtual_ips"], "10.91.0.100", "{f}");
            }
            ("bfd", "simple password") => {
                assert_eq!(s("secret"), BFD_SIMPLE, "{f}");
                assert_eq!(f["details"]["key_id"], "1", "{f}");
            }
            ("ospf", "HMAC-SHA-256")
            | ("rip", "keyed MD5")
            | ("bgp", "TCP MD5 signature")
            | ("bfd", "keyed MD5")
            | ("bfd", "meticulous keyed SHA-1") => {
                let key = match (protocol.as_str(), mechanism.as_str()) {
                    ("ospf", _) => OSPF_HMAC,
                    ("rip", _) => RIP_MD5,
                    ("bfd", "keyed MD5") => BFD_MD5,
                    ("bfd", _) => BFD_SHA1,
                    _ => BGP_KEY,
                };
                let hash = f["john"]["hash"].as_str().unwrap_or("");
                assert!(verifies(hash, key), "{f}");
                assert_eq!(f["kind"], "challenge-response", "{f}");
            }
            _ => panic!("unexpected finding {f}"),
        }
        got.insert((protocol, mechanism, client));
    }
    got
}

#[test]
fn real_routers_keys_and_digests() {
    let Some(run) = real_e2e(
        "real-routing",
        &["tcpdump", "ip", "bird", "birdc", "keepalived"],
    ) else {
        return;
    };
    let (dir, pcap, stdout) = (&run.dir, &run.pcap, &run.stdout);
    assert_eq!(
        run.truths,
        ["ospf 2", "bgp Established", "bfd 3"],
        "both adjacencies, the BGP session and three BFD sessions up: {stdout}"
    );
    let head = std::fs::read(pcap).expect("capture");
    assert_eq!(
        u32::from_le_bytes(head[20..24].try_into().unwrap()),
        276,
        "the capture is Linux cooked v2"
    );
    let (one, code, stderr) = scan_with(&["--threads", "1"], &[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    let got = read(&one);
    let t = |p: &str, m: &str, c: &str| (p.to_string(), m.to_string(), c.to_string());
    for router in ["10.91.0.1", "10.91.0.2"] {
        assert!(got.contains(&t("ospf", "HMAC-SHA-256", router)), "{got:?}");
        assert!(got.contains(&t("rip", "keyed MD5", router)), "{got:?}");
        assert!(got.contains(&t("bfd", "keyed MD5", router)), "{got:?}");
    }
    for router in ["10.245.0.1", "10.245.0.2"] {
        assert!(
            got.contains(&t("bfd", "meticulous keyed SHA-1", router)),
            "{got:?}"
        );
    }
    for router in ["10.92.0.1", "10.92.0.2"] {
        assert!(
            got.contains(&t("ospf", "simple password", router)),
            "{got:?}"
        );
        assert!(
            got.contains(&t("rip", "simple password", router)),
            "{got:?}"
        );
        assert!(
            got.contains(&t("bfd", "simple password", router)),
            "{got:?}"
        );
    }
    assert!(
        got.contains(&t("vrrp", "simple text password", "10.91.0.1")),
        "{got:?}"
    );
    assert!(got.contains(&t("bgp", "TCP MD5 signature", "")), "{got:?}");
    let (two, _, stderr) = scan_with(&["--threads", "2"], &[pcap.as_path()]);
    assert_eq!(one, two, "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}
