//! A real rsync daemon and client: `tests/e2e/real-rsync.sh` runs Debian's `rsync --daemon`
//! on 127.0.0.1 (a module with `auth users`, an open one) and asks it with the rsync
//! client: the right password, a wrong one, an unknown user, the open module and the module
//! list, captured on lo. plainsight must report the three challenge-response logins with
//! user, outcome and a hashcat line that the password each client used verifies (SHA-512
//! of password and challenge, mode 1710), and nothing for the two without a login. Needs
//! root, tcpdump, rsync and sha512sum (`./scripts/setup-debian.sh --test`); otherwise the
//! test says why and passes.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{real_e2e, scan};

// The same values as in tests/e2e/real-rsync.sh.
const USER: &str = "mirror";
const PASS: &str = "Rsync-d4emon!";
const WRONG: &str = "rsync-Wr0ng";
const OTHER: &str = "intruder";

/// SHA-512 of `data` in hex, by coreutils.
fn sha512_hex(data: &[u8]) -> String {
    let mut child = Command::new("sha512sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sha512sum");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}

#[test]
fn real_rsync_daemon_logins() {
    let Some(run) = real_e2e("real-rsync", &["tcpdump", "rsync", "sha512sum"]) else {
        return;
    };
    let (dir, pcap, stdout, port) = (&run.dir, &run.pcap, &run.stdout, run.port);
    let truths: Vec<&str> = run.truths.iter().map(String::as_str).collect();
    // rsync's exit status: 0, or 5 (error starting the client-server protocol).
    assert_eq!(truths, vec!["1 0", "2 5", "3 5"], "{stdout}");

    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(&str, &str, &str, &str, u64)> = findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            (
                s("protocol"),
                s("mechanism"),
                s("username"),
                s("outcome"),
                f["server"]["port"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("rsync", "AUTHREQD sha512", USER, "success", port),
            ("rsync", "AUTHREQD sha512", USER, "failure", port),
            ("rsync", "AUTHREQD sha512", OTHER, "failure", port),
        ],
        "{findings:#?}"
    );
    for (f, password) in findings.iter().zip([PASS, WRONG, PASS]) {
        assert_eq!(f["hashcat"]["mode"], 1710, "{f}");
        assert_eq!(f["kind"], "challenge-response", "{f}");
        let line = f["hashcat"]["hash"].as_str().expect("hashcat line");
        let (hash, salt) = line.split_once(':').expect("hash:salt");
        assert_eq!(salt, f["challenge"].as_str().unwrap(), "{f}");
        assert_eq!(f["details"]["module"], "secure", "{f}");
        let expected = sha512_hex(&[password.as_bytes(), salt.as_bytes()].concat());
        assert_eq!(hash, expected, "{password}: {f}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
