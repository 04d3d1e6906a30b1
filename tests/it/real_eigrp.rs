//! Real EIGRP: `tests/e2e/real-eigrp.sh` runs two FRRouting routers (zebra and eigrpd) in
//! network namespaces on one link, turns on MD5 authentication (key ID 7) once they are
//! neighbours, and has one router announce a new network: signed hellos from both and a
//! signed update, captured on the link. plainsight must report, with one or two threads
//! alike, a `keyed MD5` finding for each router's hellos and for the update, each with
//! John the Ripper's `eigrp` line that the configured key verifies — MD5 of the header and
//! Authentication TLV, the key padded to 16 bytes, then the update's TLVs but their last
//! 20 bytes; every digest reported is one tshark reads. FRRouting signs an update before
//! it writes the acknowledgment number into the header (its own neighbours then refuse
//! the update): the update's line verifies once that field is zeroed as it was signed.
//! Needs root, tcpdump, ip and FRR (`./scripts/setup-debian.sh --test`); otherwise the
//! test says why and passes.

use std::collections::BTreeSet;

use crate::support::{find_program, hex, real_e2e, scan_with, tshark_fields, unhex};

// The same value as in tests/e2e/real-eigrp.sh.
const KEY: &str = "Eigrp-Md5-Key";

/// Whether John's `$eigrp$2$` line gives its digest under `key`, the header's
/// acknowledgment number (bytes 12-15) zeroed when `ack_zeroed`.
fn verifies(line: &str, key: &str, ack_zeroed: bool) -> bool {
    use md5::Digest;
    let f: Vec<&str> = line.split('$').collect();
    let ["", "eigrp", "2", salt, flag, extra, digest] = f.as_slice() else {
        return false;
    };
    let mut salt = unhex(salt);
    if ack_zeroed {
        salt[12..16].fill(0);
    }
    let mut k = key.as_bytes().to_vec();
    k.resize(16, 0);
    let mut h = md5::Md5::new();
    h.update(&salt);
    h.update(&k);
    if *flag == "1" {
        h.update(unhex(extra));
    }
    hex(&h.finalize()) == *digest
}

#[test]
fn real_eigrp_md5_digests() {
    let Some(run) = real_e2e("real-eigrp", &["tcpdump", "ip", "vtysh"]) else {
        return;
    };
    assert_eq!(
        run.truths.first().map(String::as_str),
        Some("neighbors 1"),
        "{}",
        run.stdout
    );
    let signed: usize = run
        .truths
        .get(1)
        .and_then(|t| t.strip_prefix("signed "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(signed >= 3, "{}", run.stdout);
    let (one, code, stderr) = scan_with(&["--threads", "1"], &[run.pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    let mut got = BTreeSet::new();
    let mut digests = BTreeSet::new();
    for f in &one {
        let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
        assert_eq!(
            (s("protocol"), s("mechanism")),
            ("eigrp".into(), "keyed MD5".into()),
            "{f}"
        );
        assert_eq!(f["kind"], "challenge-response", "{f}");
        assert_eq!(f["outcome"], "unknown", "{f}");
        assert_eq!(f["details"]["key_id"], "7", "{f}");
        assert_eq!(f["details"]["autonomous_system"], "100", "{f}");
        assert_eq!(f["john"]["format"], "eigrp", "{f}");
        let line = f["john"]["hash"].as_str().unwrap_or("");
        let opcode = f["details"]["opcode"].as_str().unwrap_or("").to_string();
        let ok = if opcode == "update" {
            assert!(
                line.contains("$1$"),
                "an update carries TLVs after the key: {f}"
            );
            verifies(line, KEY, true)
        } else {
            verifies(line, KEY, false)
        };
        assert!(ok, "{f}");
        assert!(!verifies(line, "Eigrp-Md5-Kez", opcode == "update"), "{f}");
        digests.insert(s("secret"));
        let server = f["server"]["ip"].as_str().unwrap_or("").to_string();
        let client = f["client"]["ip"].as_str().unwrap_or("").to_string();
        got.insert((client, server, opcode));
    }
    let t = |c: &str, s: &str, o: &str| (c.to_string(), s.to_string(), o.to_string());
    for router in ["10.243.0.1", "10.243.0.2"] {
        assert!(got.contains(&t(router, "224.0.0.10", "hello")), "{got:?}");
    }
    assert!(
        got.contains(&t("10.243.0.1", "224.0.0.10", "update")),
        "{got:?}"
    );
    if let Some(tshark) = find_program("tshark") {
        let theirs: BTreeSet<String> = tshark_fields(
            &tshark,
            &run.pcap,
            "eigrp.auth.digest",
            &["eigrp.auth.digest"],
        )
        .into_iter()
        .collect();
        assert!(digests.is_subset(&theirs), "{digests:?} {theirs:?}");
    }
    let (two, _, stderr) = scan_with(&["--threads", "2"], &[run.pcap.as_path()]);
    assert_eq!(one, two, "{stderr}");
    let _ = std::fs::remove_dir_all(&run.dir);
}
