//! FreeTDS's tsql, a real TDS client: `tests/e2e/real-sybase.sh` logs in with TDS 5.0 and
//! TDS 4.2 against a peer that answers as Adaptive Server does
//! (`tests/e2e/sybase-peer.py`: Debian ships no Sybase or SAP ASE server), right and wrong
//! passwords, on Sybase's port 5000 and on 15000 (found by content). plainsight must
//! report each login record's user name and password with the outcome tsql saw, one
//! thread or two. Needs root, tcpdump, ip, python3 and tsql (freetds-bin:
//! `./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-sybase.sh.
const USER: &str = "syb_ops";
const PASS: &str = "Syb4se-Ops!2026";
const WRONG: &str = "Wr0ng-Syb";
const REFUSED: &str = "4002 Login failed.";

#[test]
fn real_tsql_logins() {
    let Some(run) = real_e2e("real-sybase", &["tcpdump", "ip", "python3", "tsql"]) else {
        return;
    };
    run.assert_truths(&["1 SUCCESS", "2 FAILURE", "3 SUCCESS", "4 FAILURE"]);
    let (v5, v42) = ("TDS 5.0 login", "TDS 4.2 login");
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        assert_eq!(
            rows(&findings, "diagnostic"),
            vec![
                ("sybase", v5, USER, PASS, "success", 5000, ""),
                ("sybase", v5, USER, WRONG, "failure", 5000, REFUSED),
                ("sybase", v42, USER, PASS, "success", 15000, ""),
                ("sybase", v42, USER, WRONG, "failure", 15000, REFUSED),
            ],
            "{threads} threads: {findings:#?}"
        );
        for f in &findings {
            // tsql names itself, and FreeTDS's library name is cut to its 10 bytes.
            assert_eq!(f["details"]["application"], "TSQL", "{f}");
            assert_eq!(f["details"]["library"], "TDS-Librar", "{f}");
            assert_eq!(f["details"]["server_name"], "10.242.0.1", "{f}");
        }
    }
}
