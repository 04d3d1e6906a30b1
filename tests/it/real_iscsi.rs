//! Real iSCSI: `tests/e2e/real-iscsi.sh` runs tgt's tgtd in a network namespace with an
//! incoming and an outgoing CHAP account, and libiscsi's iscsi-inq logs in from another:
//! the right secret, a wrong one, mutual CHAP with the target's secret checked right and
//! wrong. plainsight must report every CHAP answer with the outcome the initiator saw
//! (for mutual CHAP the target's answer as a second credential, accepted or refused by
//! the initiator), and every hashcat 4800 line must give the secret that made it. Needs
//! root, tcpdump, ip, tgt and libiscsi-bin (`./scripts/setup-debian.sh --test`); otherwise
//! the test says why and passes.

use md5::Digest;

use crate::support::{real_e2e, scan_threads, unhex};

// The same values as in tests/e2e/real-iscsi.sh.
const INIT_SECRET: &str = "Chap-Secret-12";
const TARGET_SECRET: &str = "Target-Secret1";
const WRONG: &str = "Wrong-Secret-99";

#[test]
fn real_iscsi_chap_and_mutual_chap() {
    let Some(run) = real_e2e(
        "real-iscsi",
        &["tcpdump", "ip", "tgtd", "tgtadm", "iscsi-inq"],
    ) else {
        return;
    };
    run.assert_truths(&["1 SUCCESS", "2 FAILURE", "3 SUCCESS", "4 FAILURE"]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got: Vec<(&str, &str, &str, &str)> = findings
            .iter()
            .map(|f| {
                // The secret each hashcat line gives back.
                let line = f["hashcat"]["hash"].as_str().unwrap_or("");
                let parts: Vec<&str> = line.split(':').collect();
                assert_eq!(parts.len(), 3, "{f}");
                let made_by = [INIT_SECRET, TARGET_SECRET, WRONG]
                    .into_iter()
                    .find(|secret| {
                        let d = md5::Md5::new()
                            .chain_update(unhex(parts[2]))
                            .chain_update(secret.as_bytes())
                            .chain_update(unhex(parts[1]))
                            .finalize();
                        crate::support::hex(&d) == parts[0]
                    })
                    .unwrap_or("none of them");
                (
                    f["mechanism"].as_str().unwrap_or(""),
                    f["username"].as_str().unwrap_or(""),
                    f["outcome"].as_str().unwrap_or(""),
                    made_by,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("CHAP", "alice", "success", INIT_SECRET),
                ("CHAP", "alice", "failure", WRONG),
                ("CHAP", "alice", "success", INIT_SECRET),
                ("mutual CHAP", "array-1", "success", TARGET_SECRET),
                ("CHAP", "alice", "success", INIT_SECRET),
                // The target answered right; the initiator, told another secret, refused.
                ("mutual CHAP", "array-1", "failure", TARGET_SECRET),
            ],
            "{threads} threads: {findings:#?}"
        );
        // The target's answer: the target is the finding's client.
        let m = &findings[3];
        assert_eq!(m["client"]["port"], 3260, "{m}");
    }
}
