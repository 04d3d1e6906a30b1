//! Apache Derby's network server and its own JDBC client (ij with derbyclient), real Java
//! peers speaking DRDA as Db2's do: `tests/e2e/real-drda.sh` logs in on Derby's port 1527
//! and on 15270 (found by content), right and wrong passwords, and calls Derby's user
//! procedures. plainsight must report each USRIDPWD login and each password a procedure
//! call sets, with the outcome ij saw, one thread or two — and nothing for the login whose
//! mechanism keeps the password off the wire (USRSSBPWD). Needs root, tcpdump, ip, java and
//! Derby's jars (libderby-java, libderbyclient-java, derby-tools:
//! `./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{find_program, real_e2e, rows, scan_threads, tshark_fields};

// The same values as in tests/e2e/real-drda.sh.
const ALICE_PW: &str = "Derby-Al1ce!";
const BOB_PW: &str = "B0b-Derby-26";
const WRONG: &str = "Wr0ng-Derby";
const CAROL_PW: &str = "Car0l-Prop-7";
const DAVE_PW: &str = "Dav3-Native-8";

#[test]
fn real_derby_logins_and_user_procedures() {
    if !std::path::Path::new("/usr/share/java/derbyclient.jar").exists() {
        eprintln!("skipped: Derby's jars are not installed (./scripts/setup-debian.sh --test)");
        return;
    }
    let Some(run) = real_e2e("real-drda", &["tcpdump", "ip", "java"]) else {
        return;
    };
    run.assert_truths(&[
        "1 OK",
        "2 OK",
        "3 ERROR 4251K",
        "4 ERROR 08004",
        "5 OK",
        "6 OK",
    ]);
    if let Some(tshark) = find_program("tshark") {
        // Wireshark's DRDA dissector reads the same user names off the wire (its
        // heuristic finds DRDA on any port); the USRSSBPWD login's too.
        let users = tshark_fields(
            &tshark,
            &run.pcap,
            "drda.ddm.codepoint == 0x106e",
            &["tcp.dstport"],
        );
        assert_eq!(users.len(), 4, "four SECCHKs: {users:?}");
    }
    let (refused_db, refused_login) = ("SQLSTATE 4251K", "userid invalid");
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let mut got = rows(&findings, "diagnostic");
        for (row, f) in got.iter_mut().zip(&findings) {
            if let Some(reason) = f["details"]["reason"].as_str() {
                row.6 = reason;
            }
        }
        assert_eq!(
            got,
            vec![
                ("drda", "USRIDPWD", "alice", ALICE_PW, "success", 1527, ""),
                (
                    "drda",
                    "SYSCS_SET_DATABASE_PROPERTY derby.user",
                    "carol",
                    CAROL_PW,
                    "success",
                    1527,
                    ""
                ),
                (
                    "drda",
                    "SYSCS_CREATE_USER",
                    "dave",
                    DAVE_PW,
                    "failure",
                    1527,
                    refused_db
                ),
                (
                    "drda",
                    "USRIDPWD",
                    "bob",
                    WRONG,
                    "failure",
                    1527,
                    refused_login
                ),
                ("drda", "USRIDPWD", "bob", BOB_PW, "success", 15270, ""),
            ],
            "{threads} threads: {findings:#?}"
        );
        for f in &findings {
            let db = if f["server"]["port"] == 1527 {
                "auditdb"
            } else {
                "otherdb"
            };
            assert!(
                f["details"]["database"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(db)),
                "{f}"
            );
        }
    }
}
