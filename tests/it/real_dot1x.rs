//! Real wired 802.1X: `tests/e2e/real-dot1x.sh` runs hostapd (wired driver, its own EAP
//! server) and wpa_supplicant (wired driver) in two network namespaces, EAPOL to the PAE
//! group address; the supplicant logs in with EAP-MD5, with the right password and then a
//! wrong one. plainsight must report both with the identity, the outcome
//! wpa_supplicant itself reported, MAC endpoints (the supplicant as client, the
//! authenticator as server) and a hashcat 4800 line that the password used verifies
//! (MD5 of the identifier, the password and the challenge). Needs root, tcpdump, ip,
//! hostapd and wpa_supplicant (`./scripts/setup-debian.sh --test`); otherwise the test
//! says why and passes.

use md5::Digest;

use crate::support::{hex, real_e2e, scan_with, unhex};

// The same values as in tests/e2e/real-dot1x.sh.
const USER: &str = "alice";
const PASS: &str = "Dot1x-Md5-Pass";
const WRONG: &str = "dot1x-Wr0ng";

#[test]
fn real_wired_dot1x_eap_md5() {
    let Some(run) = real_e2e(
        "real-dot1x",
        &["tcpdump", "ip", "hostapd", "wpa_supplicant"],
    ) else {
        return;
    };
    let (dir, pcap, stdout) = (&run.dir, &run.pcap, &run.stdout);
    assert_eq!(run.truths, ["1 SUCCESS", "2 FAILURE"], "{stdout}");
    let (findings, code, stderr) = scan_with(&["--threads", "1"], &[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(findings.len(), 2, "{findings:#?}");
    for (f, (password, outcome)) in findings.iter().zip([(PASS, "success"), (WRONG, "failure")]) {
        assert_eq!(
            (f["protocol"].as_str(), f["mechanism"].as_str()),
            (Some("eapol"), Some("EAP-MD5")),
            "{f}"
        );
        assert_eq!(f["username"], USER, "{f}");
        assert_eq!(f["outcome"], outcome, "{f}");
        let (client, server) = (&f["client"]["mac"], &f["server"]["mac"]);
        assert!(
            client.is_string() && server.is_string() && client != server,
            "{f}"
        );
        assert_ne!(
            server, "01:80:c2:00:00:03",
            "the authenticator, not the group: {f}"
        );
        let line = f["hashcat"]["hash"].as_str().unwrap_or("");
        let parts: Vec<&str> = line.split(':').collect();
        assert_eq!(parts.len(), 3, "{f}");
        let mut input = unhex(parts[2]);
        input.extend(password.as_bytes());
        input.extend(unhex(parts[1]));
        assert_eq!(hex(&md5::Md5::digest(&input)), parts[0], "{f}");
    }
    let (two, _, _) = scan_with(&["--threads", "2"], &[pcap.as_path()]);
    assert_eq!(findings, two);
    let _ = std::fs::remove_dir_all(dir);
}
