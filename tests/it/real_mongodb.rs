//! The real MongoDB driver: `tests/e2e/real-mongodb.sh` logs in with PyMongo 3.11 (its
//! default mechanism, SCRAM-SHA-256 started in the handshake's speculativeAuthenticate;
//! SCRAM-SHA-1 through saslStart; PLAIN on `$external`; MONGODB-CR) to a peer that
//! answers as mongod does (`tests/e2e/mongo-peer.py`: Debian ships no MongoDB server), one
//! port MongoDB's and one found by content, right and wrong passwords; then, logged in,
//! `createUser` (accepted) and `updateUser` (refused: Unauthorized). plainsight must
//! report each login once and each new password with the outcome the driver saw; each SCRAM proof and
//! MONGODB-CR key must be the one the password makes, and `scripts/offline-crack.py` must
//! find the SCRAM passwords, one thread or two. Needs root, tcpdump, ip, python3 and
//! python3-pymongo (`./scripts/setup-debian.sh --test`); otherwise the test says why and
//! passes.

use md5::{Digest, Md5};
use serde_json::Value;

use crate::support::{
    find_program, hex, offline_crack, real_e2e, rows, scan_threads, scram_proves,
};

// The same values as in tests/e2e/real-mongodb.sh.
const APP_USER: &str = "orders_app";
const APP_PASS: &str = "M0ngo-Orders!";
const LDAP_USER: &str = "jdoe";
const LDAP_PASS: &str = "Ld4p-Dir3ctory";
const CR_USER: &str = "backup";
const CR_PASS: &str = "Backup-2012";
const WRONG: &str = "Wr0ng-Mongo";

fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// The label of a finding's secret: the password it proves.
fn proven(f: &Value) -> &'static str {
    let user = f["username"].as_str().unwrap_or("");
    for password in [APP_PASS, WRONG, CR_PASS] {
        let ok = match f["mechanism"].as_str().unwrap_or("") {
            // MongoDB's SCRAM-SHA-1 hands PBKDF2 the hex MD5 of user:mongo:password.
            "SCRAM-SHA-1" => scram_proves(f, &md5_hex(&format!("{user}:mongo:{password}"))),
            "SCRAM-SHA-256" => scram_proves(f, password),
            "MONGODB-CR" => {
                let nonce = f["challenge"].as_str().unwrap_or("");
                let inner = md5_hex(&format!("{user}:mongo:{password}"));
                let key = md5_hex(&format!("{nonce}{user}{inner}"));
                assert_eq!(
                    f["john"]["hash"].as_str(),
                    Some(format!(
                        "$mongodb$1${user}${nonce}${}",
                        f["secret"].as_str().unwrap()
                    ))
                    .as_deref(),
                    "{f:#}"
                );
                f["secret"] == key.as_str()
            }
            _ => return "",
        };
        if ok {
            return password;
        }
    }
    panic!("no password proves {f:#}");
}

#[test]
fn real_pymongo_logins() {
    if find_program("python3").is_some()
        && !std::process::Command::new("/usr/bin/python3")
            .args(["-c", "import pymongo"])
            .status()
            .is_ok_and(|s| s.success())
    {
        eprintln!("real-mongodb: SKIPPED: missing python3-pymongo");
        return;
    }
    let Some(run) = real_e2e("real-mongodb", &["tcpdump", "ip", "python3"]) else {
        return;
    };
    run.assert_truths(&[
        "1 SUCCESS",
        "2 FAILURE",
        "3 SUCCESS",
        "4 SUCCESS",
        "5 FAILURE",
        "6 SUCCESS OK ERROR 13",
    ]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let labels: Vec<&str> = findings.iter().map(proven).collect();
        let mut got = rows(&findings, "database");
        for (row, label) in got.iter_mut().zip(&labels) {
            if !label.is_empty() {
                row.3 = label;
            }
        }
        assert_eq!(
            got,
            vec![
                (
                    "mongodb",
                    "SCRAM-SHA-256",
                    APP_USER,
                    APP_PASS,
                    "success",
                    27017,
                    "admin"
                ),
                (
                    "mongodb",
                    "SCRAM-SHA-1",
                    APP_USER,
                    WRONG,
                    "failure",
                    27017,
                    "admin"
                ),
                (
                    "mongodb",
                    "PLAIN",
                    LDAP_USER,
                    LDAP_PASS,
                    "success",
                    37017,
                    "$external"
                ),
                (
                    "mongodb",
                    "MONGODB-CR",
                    CR_USER,
                    CR_PASS,
                    "success",
                    37017,
                    "admin"
                ),
                (
                    "mongodb",
                    "MONGODB-CR",
                    CR_USER,
                    WRONG,
                    "failure",
                    27017,
                    "admin"
                ),
                (
                    "mongodb",
                    "SCRAM-SHA-256",
                    APP_USER,
                    APP_PASS,
                    "success",
                    27017,
                    "admin"
                ),
                (
                    "mongodb",
                    "createUser",
                    "reporter",
                    "Rep-Mongo-2026",
                    "success",
                    27017,
                    "admin"
                ),
                (
                    "mongodb",
                    "updateUser",
                    "root",
                    "Root-Mongo-2026",
                    "failure",
                    27017,
                    "admin"
                ),
            ],
            "{threads} threads: {findings:#?}"
        );
        assert_eq!(findings[1]["details"]["reason"], "Authentication failed.");
        assert_eq!(
            findings[1]["details"]["password_input"],
            "hex(MD5(user:mongo:password))"
        );
    }
    // The shipped cracker on the SCRAM findings, as a scan writes them.
    let findings = &scan_threads(&run.pcap, &[])[0].1;
    let said = offline_crack(findings, &[LDAP_PASS, WRONG, APP_PASS]);
    let cracked: Vec<&str> = said.lines().filter_map(|l| l.rsplit(' ').next()).collect();
    assert_eq!(
        cracked,
        [APP_PASS, WRONG, APP_PASS],
        "offline-crack.py said:\n{said}"
    );
}
