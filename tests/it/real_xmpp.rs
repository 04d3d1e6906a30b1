//! A real XMPP server and client: `tests/e2e/real-xmpp.sh` runs Prosody on 127.0.0.1 (no
//! TLS, plaintext SASL allowed, a port other than 5222) and logs in with sendxmpp
//! (Net::XMPP) with the right and a wrong password, then over Prosody's WebSocket endpoint
//! (RFC 7395) as web chat clients do, captured on lo. plainsight must report the four SASL
//! PLAIN logins with user, password and outcome, those over WebSocket marked so. Needs
//! root, tcpdump, prosody, sendxmpp and python3-websocket (`./scripts/setup-debian.sh
//! --test`); otherwise the test says why and passes.

use crate::support::{python_has, real_e2e, rows, scan};

// The same values as in tests/e2e/real-xmpp.sh.
const USER: &str = "juliet";
const PASS: &str = "R0me0-pw!";
const WRONG: &str = "xmpp-Wr0ng";
const WS_USER: &str = "romeo";
const WS_PASS: &str = "Balc0ny-ws-7";

#[test]
fn real_xmpp_sasl_plain_logins() {
    let Some(run) = real_e2e(
        "real-xmpp",
        &["tcpdump", "prosody", "prosodyctl", "sendxmpp", "runuser"],
    ) else {
        return;
    };
    if !python_has("websocket", "python3-websocket") {
        return;
    }
    let (dir, pcap, stdout, port) = (&run.dir, &run.pcap, &run.stdout, run.port);
    let truths: Vec<&str> = run.truths.iter().map(String::as_str).collect();
    // sendxmpp's exit status: 0 sent (logged in), non-zero refused.
    assert_eq!(truths.len(), 4, "{stdout}");
    assert_eq!(truths[0], "1 0", "{stdout}");
    assert_ne!(truths[1], "2 0", "{stdout}");
    assert_eq!(truths[2..], ["3 0", "4 1"], "{stdout}");
    let ws_port: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("wsport "))
        .and_then(|p| p.parse().ok())
        .expect("wsport");

    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rows(&findings, "transport"),
        vec![
            ("xmpp", "SASL PLAIN", USER, PASS, "success", port, ""),
            ("xmpp", "SASL PLAIN", USER, WRONG, "failure", port, ""),
            (
                "xmpp",
                "SASL PLAIN",
                WS_USER,
                WS_PASS,
                "success",
                ws_port,
                "websocket"
            ),
            (
                "xmpp",
                "SASL PLAIN",
                WS_USER,
                WRONG,
                "failure",
                ws_port,
                "websocket"
            ),
        ],
        "{findings:#?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
