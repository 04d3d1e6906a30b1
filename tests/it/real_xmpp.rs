//! A real XMPP server and client: `tests/e2e/real-xmpp.sh` runs Prosody on 127.0.0.1 (no
//! TLS, plaintext SASL allowed, a port other than 5222) and logs in with sendxmpp
//! (Net::XMPP) with the right and a wrong password, captured on lo. plainsight must report
//! both SASL PLAIN logins with user, password and outcome. Needs root, tcpdump, prosody
//! and sendxmpp (`./scripts/setup-debian.sh --test`); otherwise the test says why and
//! passes.

use crate::support::{real_e2e, rows, scan};

// The same values as in tests/e2e/real-xmpp.sh.
const USER: &str = "juliet";
const PASS: &str = "R0me0-pw!";
const WRONG: &str = "xmpp-Wr0ng";

#[test]
fn real_xmpp_sasl_plain_logins() {
    let Some(run) = real_e2e(
        "real-xmpp",
        &["tcpdump", "prosody", "prosodyctl", "sendxmpp", "runuser"],
    ) else {
        return;
    };
    let (dir, pcap, stdout, port) = (&run.dir, &run.pcap, &run.stdout, run.port);
    let truths: Vec<&str> = run.truths.iter().map(String::as_str).collect();
    // sendxmpp's exit status: 0 sent (logged in), non-zero refused.
    assert_eq!(truths.len(), 2, "{stdout}");
    assert_eq!(truths[0], "1 0", "{stdout}");
    assert_ne!(truths[1], "2 0", "{stdout}");

    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rows(&findings, ""),
        vec![
            ("xmpp", "SASL PLAIN", USER, PASS, "success", port, ""),
            ("xmpp", "SASL PLAIN", USER, WRONG, "failure", port, ""),
        ],
        "{findings:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
