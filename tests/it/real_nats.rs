//! A real NATS server: `tests/e2e/real-nats.sh` runs nats-server twice in a network
//! namespace (users with passwords on 4222, a token on 4223, a port found by content),
//! and a client speaking the protocol as the NATS libraries do logs in from another,
//! right and wrong each. plainsight must report every CONNECT's password or token with
//! the outcome the client saw (nats-server's PONG, or its `-ERR 'Authorization
//! Violation'` in `details.reason`), one thread or two. Needs root, tcpdump, ip,
//! nats-server and python3 (`./scripts/setup-debian.sh --test`); otherwise the test says
//! why and passes.

use crate::support::{real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-nats.sh.
const USER: &str = "alice";
const PASS: &str = "Nats-Pass-1";
const TOKEN: &str = "s3cr3t-Token-77";
const WRONG: &str = "Wrong-Pass-2";

#[test]
fn real_nats_server_logins() {
    let Some(run) = real_e2e("real-nats", &["tcpdump", "ip", "nats-server", "python3"]) else {
        return;
    };
    run.assert_truths(&["1 SUCCESS", "2 FAILURE", "3 SUCCESS", "4 FAILURE"]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got = rows(&findings, "reason");
        let refused = "Authorization Violation";
        assert_eq!(
            got,
            vec![
                ("nats", "user/pass", USER, PASS, "success", 4222, ""),
                ("nats", "user/pass", USER, WRONG, "failure", 4222, refused),
                ("nats", "token", "", TOKEN, "success", 4223, ""),
                ("nats", "token", "", WRONG, "failure", 4223, refused),
            ],
            "{threads} threads: {findings:#?}"
        );
    }
}
