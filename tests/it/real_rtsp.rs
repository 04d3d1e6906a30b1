//! A real RTSP server and client: `tests/e2e/real-rtsp.sh` runs GStreamer's
//! gst-rtsp-server in a network namespace (Basic on 554, Digest on 8554) and plays its
//! stream with GStreamer's rtspsrc from another, over TCP (the media interleaved with the
//! RTSP messages), with the right password and a wrong one. plainsight must report each
//! login with the outcome the client saw, protocol `rtsp`, one thread or two; every Digest
//! response (rtspsrc answers the challenge on each request, and retries a refused one) is
//! recomputed from the password its outcome says. Needs root, tcpdump, ip,
//! gst-launch-1.0 and gst-rtsp-server's introspection data (`./scripts/setup-debian.sh
//! --test`); otherwise the test says why and passes.

use md5::{Digest, Md5};
use serde_json::Value;

use crate::support::{real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-rtsp.sh.
const USER: &str = "camuser";
const PASS: &str = "Cam-Pw!1";
const WRONG: &str = "cam-Wr0ng";

fn md5_hex(s: &str) -> String {
    crate::support::hex(&Md5::digest(s.as_bytes()))
}

/// The password a Digest finding's response was made from, by its hashcat line
/// (`$sip$***user*realm*method**uri**nonce*cnonce*nc*qop*MD5*response`).
fn digest_password(f: &Value) -> &'static str {
    let line = f["hashcat"]["hash"].as_str().expect("hashcat line");
    let p: Vec<&str> = line.split('*').collect();
    let (user, realm, method, uri, nonce, response) = (p[3], p[4], p[5], p[7], p[9], p[14]);
    assert_eq!(user, USER, "{line}");
    assert_eq!(f["secret"], response, "{line}");
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    [PASS, WRONG]
        .into_iter()
        .find(|pw| {
            let ha1 = md5_hex(&format!("{user}:{realm}:{pw}"));
            md5_hex(&format!("{ha1}:{nonce}:{ha2}")) == response
        })
        .unwrap_or_else(|| panic!("a response of neither password: {line}"))
}

#[test]
fn real_rtsp_camera_logins() {
    let Some(run) = real_e2e("real-rtsp", &["tcpdump", "ip", "gst-launch-1.0", "python3"]) else {
        return;
    };
    run.assert_truths(&["1 SUCCESS", "2 FAILURE", "3 SUCCESS", "4 FAILURE"]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let basic: Vec<_> = rows(&findings, "")
            .into_iter()
            .filter(|r| r.1 == "Basic")
            .collect();
        assert_eq!(
            basic,
            vec![
                ("rtsp", "Basic", USER, PASS, "success", 554, ""),
                ("rtsp", "Basic", USER, WRONG, "failure", 554, ""),
            ],
            "{threads} threads: {findings:#?}"
        );
        // Digest: the right password's answers, all accepted, then the wrong one's, all
        // refused.
        let digests: Vec<(&str, &str)> = findings
            .iter()
            .filter(|f| f["mechanism"] == "Digest")
            .map(|f| {
                assert_eq!(f["protocol"], "rtsp");
                assert_eq!(f["server"]["port"], 8554);
                (digest_password(f), f["outcome"].as_str().unwrap_or(""))
            })
            .collect();
        let accepted = digests
            .iter()
            .take_while(|d| **d == (PASS, "success"))
            .count();
        assert!(accepted >= 1, "{digests:?}");
        assert!(
            digests[accepted..].iter().all(|d| *d == (WRONG, "failure")),
            "{digests:?}"
        );
        assert!(digests.len() > accepted, "{digests:?}");
        assert_eq!(findings.len(), 2 + digests.len(), "{findings:#?}");
    }
}
