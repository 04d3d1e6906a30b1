//! A real NTP server and clients: `tests/e2e/real-ntp.sh` runs chronyd in a network
//! namespace with an MD5 key and a SHA-1 key, and `chronyd -Q` from another asks it the time
//! under each key, then under a wrong MD5 key from a second address (which the server drops
//! unanswered). chronyd sends each request from a new port: plainsight must report one
//! finding per client address, key and verdict — success where the server answered —
//! whose hashcat line (mode 10 or 110, the signed packet as a hex salt) the key solves;
//! one thread or two. Needs root, tcpdump, ip and chronyd (`./scripts/setup-debian.sh
//! --test`); otherwise the test says why and passes.

use md5::{Digest, Md5};
use sha1::Sha1;

use crate::support::{hex, real_e2e, scan_threads, unhex};

// The same values as in tests/e2e/real-ntp.sh.
const MD5_KEY: &str = "Ntp-Key!1";
const SHA1_KEY: &str = "sha1-key-2";
const WRONG: &str = "ntp-Wr0ng";

/// The key (of the three) whose MAC the hashcat line `digest:salt` is: key || salt.
fn key_of(mode: u64, line: &str) -> &'static str {
    let (digest, salt) = line.split_once(':').expect("digest:salt");
    let salt = unhex(salt);
    let mac = |key: &str| match mode {
        10 => hex(&Md5::new().chain_update(key).chain_update(&salt).finalize()),
        _ => hex(&Sha1::new().chain_update(key).chain_update(&salt).finalize()),
    };
    [MD5_KEY, SHA1_KEY, WRONG]
        .into_iter()
        .find(|k| mac(k) == digest)
        .unwrap_or_else(|| panic!("a MAC of no known key: {line}"))
}

#[test]
fn real_ntp_symmetric_keys() {
    let Some(run) = real_e2e("real-ntp", &["tcpdump", "ip", "chronyd"]) else {
        return;
    };
    run.assert_truths(&["1 SUCCESS", "2 SUCCESS", "3 FAILURE"]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got: Vec<_> = findings
            .iter()
            .map(|f| {
                assert_eq!(f["protocol"], "ntp");
                assert_eq!(f["kind"], "challenge-response");
                assert_eq!(f["server"]["port"], 123);
                assert_eq!(f["details"]["mode"], "client");
                assert_eq!(f["hashcat"]["options"], "--hex-salt");
                let line = f["hashcat"]["hash"].as_str().expect("hashcat line");
                let mode = f["hashcat"]["mode"].as_u64().unwrap_or(0);
                assert!(
                    line.starts_with(f["secret"].as_str().unwrap_or("?")),
                    "{f:#}"
                );
                (
                    f["client"]["ip"].as_str().unwrap_or(""),
                    f["mechanism"].as_str().unwrap_or(""),
                    f["details"]["key_id"].as_str().unwrap_or(""),
                    mode,
                    key_of(mode, line),
                    f["outcome"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("10.234.0.2", "keyed MD5", "1", 10, MD5_KEY, "success"),
                ("10.234.0.2", "keyed SHA-1", "2", 110, SHA1_KEY, "success"),
                ("10.234.0.3", "keyed MD5", "1", 10, WRONG, "unknown"),
            ],
            "{threads} threads: {findings:#?}"
        );
    }
    let _ = std::fs::remove_dir_all(&run.dir);
}
