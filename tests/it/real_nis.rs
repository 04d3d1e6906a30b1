//! A real NIS master and client: `tests/e2e/real-nis.sh` runs rpcbind, ypserv and
//! rpc.yppasswdd in one network namespace and rpcbind, ypbind, ypmatch, yppasswd and ypcat
//! in another (each in a mount namespace of its own). plainsight must report the passwd
//! map's hash that the UDP lookups carried (once: every lookup repeats it) with a hashcat
//! line the password solves, yppasswd's cleartext old password and new hash with the
//! outcome rpc.yppasswdd gave (a wrong old password that yppasswd refused itself never
//! crossed the wire), and the other account's hash from ypcat's whole map over TCP (the
//! first account's merged with its lookups). One thread or two. Needs root, tcpdump, ip, ypserv, yp-tools, ypbind, rpcbind and
//! expect (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{real_e2e, scan_threads};

// The same values as in tests/e2e/real-nis.sh.
const NIS_USER: &str = "nisbob";
const OLD: &str = "Nis-Old-Pw2";
const NEW: &str = "Tr1cky-Horse9";
const OTHER_USER: &str = "nisalice";
const OTHER_PASS: &str = "Alice-Pw1";

/// Whether an MD5-crypt hash (`$1$salt$...`) is `password`'s, by openssl.
fn md5_crypt_of(hash: &str, password: &str) -> bool {
    let salt = hash.split('$').nth(2).unwrap_or("");
    let out = std::process::Command::new("openssl")
        .args(["passwd", "-1", "-salt", salt, password])
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&out.stdout).trim() == hash
}

#[test]
fn real_nis_maps_and_yppasswd() {
    let Some(run) = real_e2e(
        "real-nis",
        &[
            "tcpdump", "ip", "rpcbind", "ypbind", "ypmatch", "yppasswd", "expect", "openssl",
        ],
    ) else {
        return;
    };
    run.assert_truths(&[
        "1 SUCCESS",
        "2 SUCCESS",
        "3 FAILURE",
        "4 SUCCESS",
        "5 SUCCESS",
    ]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got: Vec<(&str, &str, &str, &str)> = findings
            .iter()
            .map(|f| {
                assert_eq!(f["protocol"], "nis");
                (
                    f["username"].as_str().unwrap_or(""),
                    f["mechanism"].as_str().unwrap_or(""),
                    f["kind"].as_str().unwrap_or(""),
                    f["outcome"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (NIS_USER, "passwd map", "challenge-response", "unknown"),
                (NIS_USER, "yppasswd", "cleartext", "success"),
                (
                    NIS_USER,
                    "yppasswd new password hash",
                    "challenge-response",
                    "success"
                ),
                (OTHER_USER, "passwd map", "challenge-response", "unknown"),
            ],
            "{threads} threads: {findings:#?}"
        );
        let map = &findings[0];
        assert_eq!(map["details"]["map"], "passwd.byname");
        assert_eq!(map["details"]["domain"], "plainsight.test");
        assert_eq!(map["hashcat"]["mode"], 500);
        assert_eq!(map["hashcat"]["hash"], map["secret"]);
        assert!(
            md5_crypt_of(map["secret"].as_str().unwrap_or(""), OLD),
            "{map:#}"
        );
        assert_eq!(findings[1]["secret"], OLD);
        let new = findings[2]["secret"].as_str().unwrap_or("");
        assert!(md5_crypt_of(new, NEW), "{:#}", findings[2]);
        // ypcat's entry: SHA-512-crypt, hashcat 1800, from the same server over TCP.
        let all = &findings[3];
        assert_eq!(all["hashcat"]["mode"], 1800);
        let hash = all["secret"].as_str().unwrap_or("");
        let salt = hash.split('$').nth(2).unwrap_or("");
        let out = std::process::Command::new("openssl")
            .args(["passwd", "-6", "-salt", salt, OTHER_PASS])
            .output()
            .expect("openssl");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), hash);
    }
    let _ = std::fs::remove_dir_all(&run.dir);
}
