//! A real XMPP server and client: `tests/e2e/real-xmpp.sh` runs Prosody on 127.0.0.1 (no
//! TLS, plaintext SASL allowed, a port other than 5222) and logs in with sendxmpp
//! (Net::XMPP) with the right and a wrong password, captured on lo. plainsight must report
//! both SASL PLAIN logins with user, password and outcome. Needs root, tcpdump, prosody
//! and sendxmpp (`./scripts/setup-debian.sh --test`); otherwise the test says why and
//! passes.

use crate::support::{find_program, is_root, run_e2e, scan};

// The same values as in tests/e2e/real-xmpp.sh.
const USER: &str = "juliet";
const PASS: &str = "R0me0-pw!";
const WRONG: &str = "xmpp-Wr0ng";

#[test]
fn real_xmpp_sasl_plain_logins() {
    if !is_root() {
        eprintln!("real_xmpp: SKIPPED: needs root (tcpdump on lo)");
        return;
    }
    let missing: Vec<&str> = ["tcpdump", "prosody", "prosodyctl", "sendxmpp", "runuser"]
        .into_iter()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "real_xmpp: SKIPPED: missing {} (./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }
    let (dir, pcap, stdout) = run_e2e("real-xmpp");
    let port: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("port "))
        .and_then(|p| p.parse().ok())
        .expect("port line");
    let truths: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("truth "))
        .collect();
    // sendxmpp's exit status: 0 sent (logged in), non-zero refused.
    assert_eq!(truths.len(), 2, "{stdout}");
    assert_eq!(truths[0], "1 0", "{stdout}");
    assert_ne!(truths[1], "2 0", "{stdout}");

    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(&str, &str, &str, &str, &str, u64)> = findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            (
                s("protocol"),
                s("mechanism"),
                s("username"),
                s("secret"),
                s("outcome"),
                f["server"]["port"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("xmpp", "SASL PLAIN", USER, PASS, "success", port),
            ("xmpp", "SASL PLAIN", USER, WRONG, "failure", port),
        ],
        "{findings:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
