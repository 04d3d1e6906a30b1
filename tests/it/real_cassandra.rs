//! The real DataStax Python driver: `tests/e2e/real-cassandra.sh` runs its connection
//! set-up (OPTIONS, STARTUP, AUTH_RESPONSE with a PlainTextAuthenticator) against a peer
//! that answers as Cassandra's PasswordAuthenticator (`tests/e2e/cassandra-peer.py`:
//! Debian ships no Cassandra), in protocol v4 with and without LZ4-compressed frames and
//! in v5 with plain and LZ4 segments, right and wrong passwords, on 9042 and on a port
//! found by content, then, after two logins, the driver's own QUERY messages setting role
//! passwords (`CREATE ROLE ... WITH PASSWORD =` answered RESULT, `ALTER ROLE cassandra`
//! refused with ERROR 0x2100, `ALTER USER ... WITH PASSWORD` inside v5 LZ4 segments).
//! plainsight must report each login's user name and password and each query's role and
//! password with the outcome the driver saw, one thread or two. Needs root, tcpdump, ip, python3,
//! python3-cassandra and python3-lz4 (`./scripts/setup-debian.sh --test`); otherwise the
//! test says why and passes.

use crate::support::{real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-cassandra.sh.
const USER: &str = "cass_app";
const PASS: &str = "C4ss-Pw!Orders";
const WRONG: &str = "Wr0ng-Cass";
const REFUSED: &str = "Provided username cass_app and/or password are incorrect";

#[test]
fn real_cassandra_driver_logins() {
    if !std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import cassandra, lz4.block"])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("real-cassandra: SKIPPED: missing python3-cassandra or python3-lz4");
        return;
    }
    let Some(run) = real_e2e("real-cassandra", &["tcpdump", "ip", "python3"]) else {
        return;
    };
    run.assert_truths(&[
        "1 SUCCESS",
        "2 FAILURE",
        "3 SUCCESS",
        "4 FAILURE",
        "5 SUCCESS OK ERROR Unauthorized",
        "6 SUCCESS OK",
    ]);
    let unauthorized =
        "User cass_app has no ALTER permission on <role cassandra> or any of its parents";
    let m = "AUTH_RESPONSE PLAIN";
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        assert_eq!(
            rows(&findings, "reason"),
            vec![
                ("cassandra", m, USER, PASS, "success", 9042, ""),
                ("cassandra", m, USER, WRONG, "failure", 9042, REFUSED),
                ("cassandra", m, USER, PASS, "success", 19042, ""),
                ("cassandra", m, USER, WRONG, "failure", 19042, REFUSED),
                ("cassandra", m, USER, PASS, "success", 9042, ""),
                (
                    "cassandra",
                    "CREATE ROLE ... PASSWORD",
                    "app",
                    "App-Cql-2026",
                    "success",
                    9042,
                    ""
                ),
                (
                    "cassandra",
                    "ALTER ROLE ... PASSWORD",
                    "cassandra",
                    "Root-Cql-2026",
                    "failure",
                    9042,
                    unauthorized
                ),
                ("cassandra", m, USER, PASS, "success", 19042, ""),
                (
                    "cassandra",
                    "ALTER USER ... PASSWORD",
                    "reporting",
                    "Rep-Cql-2026",
                    "success",
                    19042,
                    ""
                ),
            ],
            "{threads} threads: {findings:#?}"
        );
        for f in findings.iter().filter(|f| f["mechanism"] == m) {
            assert_eq!(
                f["details"]["authenticator"],
                "org.apache.cassandra.auth.PasswordAuthenticator"
            );
        }
    }
}
