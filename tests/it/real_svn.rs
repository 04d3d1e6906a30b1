//! A real Subversion server and client: `tests/e2e/real-svn.sh` runs Debian's svnserve on
//! 127.0.0.1 (a repository made by svnadmin, anonymous access off, its own password file)
//! and lists it with svn: the right password, a wrong one and an unknown user, captured on
//! lo. The svn client tries a refused login a second time on the same connection. plainsight
//! must report every CRAM-MD5 attempt once with user and outcome, and each response must be
//! HMAC-MD5 of the challenge under the password that client used. Needs root, tcpdump,
//! svn, svnserve and svnadmin (`./scripts/setup-debian.sh --test`); otherwise the test
//! says why and passes.

use hmac::{Hmac, KeyInit, Mac};

use crate::support::{hex, real_e2e, scan};

// The same values as in tests/e2e/real-svn.sh.
const USER: &str = "harry";
const PASS: &str = "Svn-c0mmit!";
const WRONG: &str = "svn-Wr0ng";
const OTHER: &str = "sally";

#[test]
fn real_svnserve_cram_md5_logins() {
    let Some(run) = real_e2e("real-svn", &["tcpdump", "svn", "svnserve", "svnadmin"]) else {
        return;
    };
    let (dir, pcap, stdout, port) = (&run.dir, &run.pcap, &run.stdout, run.port);
    let truths: Vec<&str> = run.truths.iter().map(String::as_str).collect();
    assert_eq!(truths, vec!["1 0", "2 1", "3 1"], "{stdout}");

    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    // The first login succeeds; a refused one is tried again by the client, so each of the
    // other two connections holds two attempts, both refused.
    let got: Vec<(&str, &str, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["username"].as_str().unwrap_or(""),
                f["outcome"].as_str().unwrap_or(""),
                f["server"]["port"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let passwords = [PASS, WRONG, WRONG, PASS, PASS];
    let users = [USER, USER, USER, OTHER, OTHER];
    let outcomes = ["success", "failure", "failure", "failure", "failure"];
    let want: Vec<(&str, &str, u64)> = users
        .iter()
        .zip(outcomes)
        .map(|(u, o)| (*u, o, port))
        .collect();
    assert_eq!(got, want, "{findings:#?}");
    for (f, password) in findings.iter().zip(passwords) {
        assert_eq!(f["protocol"], "svn", "{f}");
        assert_eq!(f["mechanism"], "CRAM-MD5", "{f}");
        assert_eq!(f["hashcat"]["mode"], 10200, "{f}");
        assert_eq!(f["details"]["realm"], "Plainsight Repo", "{f}");
        let challenge = f["challenge"].as_str().expect("challenge");
        let mut mac = Hmac::<md5::Md5>::new_from_slice(password.as_bytes()).unwrap();
        mac.update(challenge.as_bytes());
        let expected = hex(&mac.finalize().into_bytes());
        assert_eq!(f["secret"], expected.as_str(), "{password}: {f}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
