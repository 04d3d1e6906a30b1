//! A capture through Linux's NFLOG: `tests/e2e/real-nflog.sh` logs a Redis port's packets
//! to an NFLOG group with nftables (in a network namespace of its own) and captures that
//! group with tcpdump (`-i nflog:7`: LINKTYPE_NFLOG records, IPv4 and IPv6), while
//! redis-cli logs in with the right password over IPv4, a wrong one and an ACL user over
//! IPv6. plainsight must read the records and report the three logins with outcomes, and
//! see no damaged segments in them (checksums left to offload, as such captures show
//! them). Needs root, tcpdump, nft, redis-server and redis-cli
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{real_e2e, scan};

// The same values as in tests/e2e/real-nflog.sh.
const PASS: &str = "nfl0g-Redis!";
const WRONG: &str = "nflog-Wr0ng";
const ACL_USER: &str = "auditor";
const ACL_PASS: &str = "Acl-nfl0g-pw";

#[test]
fn real_nflog_capture_redis_logins() {
    let Some(run) = real_e2e(
        "real-nflog",
        &["tcpdump", "nft", "ip", "redis-server", "redis-cli"],
    ) else {
        return;
    };
    let (dir, pcap, stdout, port) = (&run.dir, &run.pcap, &run.stdout, run.port);
    let truths: Vec<&str> = run.truths.iter().map(String::as_str).collect();
    assert_eq!(truths.len(), 3, "{stdout}");
    assert_eq!(truths[0], "1 PONG", "{stdout}");
    assert!(truths[1].contains("WRONGPASS"), "{stdout}");
    assert_eq!(truths[2], "3 PONG", "{stdout}");

    let head = std::fs::read(pcap).expect("capture");
    assert_eq!(
        u32::from_le_bytes(head[20..24].try_into().unwrap()),
        239,
        "the capture is LINKTYPE_NFLOG"
    );
    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("checksum"), "{stderr}");
    let got: Vec<(&str, &str, &str, &str, &str, u64)> = findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            (
                f["client"]["ip"].as_str().unwrap_or(""),
                s("username"),
                s("secret"),
                s("outcome"),
                s("protocol"),
                f["server"]["port"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("127.0.0.1", "", PASS, "success", "redis", port),
            ("::1", "", WRONG, "failure", "redis", port),
            ("::1", ACL_USER, ACL_PASS, "success", "redis", port),
        ],
        "{findings:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
