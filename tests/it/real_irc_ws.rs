//! IRC over WebSocket with a real IRC server: `tests/e2e/real-irc-ws.sh` runs InspIRCd 3
//! with its websocket module on 127.0.0.1 (a connect class asking for a password) and
//! logs in as web IRC clients do, one line a message without its CRLF, with the right
//! password (`text.inspircd.org`) and a wrong one (`binary.inspircd.org`), captured on lo.
//! plainsight must report both connection passwords with the outcome the server gave,
//! marked as carried over WebSocket. Needs root, tcpdump, inspircd and python3-websocket
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{python_has, real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-irc-ws.sh.
const PASS: &str = "Ws-Irc-Pass-3";
const WRONG: &str = "ws-irc-Wr0ng";

#[test]
fn real_irc_over_websocket() {
    if !python_has("websocket", "python3-websocket") {
        return;
    }
    let Some(run) = real_e2e("real-irc-ws", &["tcpdump", "inspircd", "runuser"]) else {
        return;
    };
    run.assert_truths(&["1 0", "2 1"]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        assert_eq!(
            rows(&findings, "transport"),
            vec![
                (
                    "irc",
                    "PASS",
                    "webby1",
                    PASS,
                    "success",
                    run.port,
                    "websocket"
                ),
                (
                    "irc",
                    "PASS",
                    "webby2",
                    WRONG,
                    "failure",
                    run.port,
                    "websocket"
                ),
            ],
            "{threads} threads: {findings:#?}"
        );
    }
}
