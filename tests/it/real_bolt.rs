//! The Neo4j Python driver (neo4j 5.28 from PyPI: Bolt 5.8 and 4.4, the pure-Python
//! implementation Neo4j ships) against `tests/e2e/bolt-peer.py`, which answers as a Neo4j 5
//! server does (Debian ships no Neo4j): `tests/e2e/real-bolt.sh` logs in on 7687 (HELLO
//! then LOGON, pipelined) with right and wrong passwords and on 17687 (found by content;
//! Bolt 4.4, the credentials in HELLO), and sets passwords with Cypher, a literal, a
//! `$parameter`, and a refused `ALTER CURRENT USER`. plainsight must report each with the
//! outcome the driver saw, one thread or two. Needs root, tcpdump, ip and the neo4j
//! package (`./scripts/setup-debian.sh --test` installs it with pip); otherwise says why
//! and passes.

use crate::support::{python_has, real_e2e, rows, scan_threads};

// The same values as in tests/e2e/bolt-client.py.
const NEO4J_PW: &str = "N30-Graph-Pw1";
const READER_PW: &str = "Read3r-Pw-2";
const WRONG: &str = "Wr0ng-Graph-Pw";
const ALICE_PW: &str = "Al1ce-Graph-9";
const BOB_PW: &str = "B0b-Param-Pw3";
const READER_NEW_PW: &str = "Read3r-New-4";

#[test]
fn real_neo4j_driver_logins_and_cypher() {
    if !python_has("neo4j", "the neo4j Python driver") {
        return;
    }
    let Some(run) = real_e2e("real-bolt", &["tcpdump", "ip"]) else {
        return;
    };
    run.assert_truths(&[
        "1 OK",
        "2 ERROR Neo.ClientError.Security.Unauthorized",
        "3 OK",
        "4 ERROR Neo.ClientError.Security.Forbidden",
        "5 OK",
    ]);
    let forbidden = "Neo.ClientError.Security.Forbidden";
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got: Vec<_> = rows(&findings, "reason")
            .into_iter()
            .zip(&findings)
            .map(|(r, f)| {
                let why = f["details"]["diagnostic"].as_str().unwrap_or(r.6);
                (r.1, r.2, r.3, r.4, r.5, why)
            })
            .collect();
        let mut want = vec![
            ("LOGON basic", "neo4j", NEO4J_PW, "success", 7687, ""),
            (
                "ALTER USER ... SET PASSWORD",
                "alice",
                ALICE_PW,
                "success",
                7687,
                "",
            ),
            (
                "LOGON basic",
                "neo4j",
                WRONG,
                "failure",
                7687,
                "Neo.ClientError.Security.Unauthorized",
            ),
            ("LOGON basic", "neo4j", NEO4J_PW, "success", 7687, ""),
            (
                "CREATE USER ... SET PASSWORD",
                "bob",
                BOB_PW,
                "success",
                7687,
                "",
            ),
            ("LOGON basic", "reader", READER_PW, "success", 7687, ""),
            (
                "ALTER CURRENT USER SET PASSWORD FROM",
                "reader",
                READER_PW,
                "failure",
                7687,
                forbidden,
            ),
            (
                "ALTER CURRENT USER SET PASSWORD ... TO",
                "reader",
                READER_NEW_PW,
                "failure",
                7687,
                forbidden,
            ),
            ("HELLO basic", "neo4j", NEO4J_PW, "success", 17687, ""),
        ];
        // Findings of one packet come in the order of their secrets.
        let mut got_sorted = got.clone();
        got_sorted.sort();
        want.sort();
        assert_eq!(got_sorted, want, "{threads} threads: {findings:#?}");
        assert!(
            findings.iter().all(|f| f["protocol"] == "bolt"
                && f["details"]["user_agent"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("neo4j-python/5.28"))),
            "{findings:#?}"
        );
    }
}
