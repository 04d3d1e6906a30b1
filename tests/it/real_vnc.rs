//! A real VNC server and viewer: `tests/e2e/real-vnc.sh` runs TigerVNC's Xvnc (VNC
//! authentication only, a vncpasswd file) in a network namespace, and xtightvncviewer (on
//! an Xvfb of its own) connects from another with the right password and a wrong one.
//! plainsight must report both with the outcome the viewer reported, and each response
//! must be the challenge DES-encrypted under the password used (what John the Ripper's
//! `VNC` line, also checked, tries passwords against). Needs root, tcpdump, ip,
//! Xtigervnc, vncpasswd, xtightvncviewer and Xvfb (`./scripts/setup-debian.sh --test`);
//! otherwise the test says why and passes.

use crate::proto_iot::vnc_response;
use crate::support::{real_e2e, scan_with, unhex};

// The same values as in tests/e2e/real-vnc.sh.
const VNC_PASS: &str = "Vnc-Pw12";
const WRONG: &str = "Wrong-Pw";

#[test]
fn real_tigervnc_authentication() {
    let Some(run) = real_e2e(
        "real-vnc",
        &[
            "tcpdump",
            "ip",
            "Xtigervnc",
            "vncpasswd",
            "xtightvncviewer",
            "Xvfb",
        ],
    ) else {
        return;
    };
    assert_eq!(run.truths, ["1 SUCCESS", "2 FAILURE"], "{}", run.stdout);
    for threads in ["1", "2"] {
        let (findings, code, stderr) = scan_with(&["--threads", threads], &[run.pcap.as_path()]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(findings.len(), 2, "{findings:#?}");
        for (f, (password, outcome)) in findings
            .iter()
            .zip([(VNC_PASS, "success"), (WRONG, "failure")])
        {
            assert_eq!(f["protocol"], "vnc", "{f}");
            assert_eq!(f["mechanism"], "VNC authentication", "{f}");
            assert_eq!(f["outcome"], outcome, "{f}");
            assert_eq!(f["server"]["port"], 5901, "{f}");
            let challenge: [u8; 16] = unhex(f["challenge"].as_str().unwrap()).try_into().unwrap();
            let response = f["secret"].as_str().unwrap();
            assert_eq!(
                crate::support::hex(&vnc_response(password.as_bytes(), &challenge)),
                response,
                "{f}"
            );
            assert_ne!(
                crate::support::hex(&vnc_response(b"another", &challenge)),
                response
            );
            assert_eq!(
                f["john"]["hash"].as_str(),
                Some(
                    format!(
                        "$vnc$*{}*{}",
                        f["challenge"].as_str().unwrap().to_uppercase(),
                        response.to_uppercase()
                    )
                    .as_str()
                ),
                "{f}"
            );
        }
        assert_eq!(
            findings[1]["details"]["reason"], "Authentication failure",
            "{:#}",
            findings[1]
        );
    }
}
