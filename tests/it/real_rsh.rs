//! Real rlogin, rexec and poppass: `tests/e2e/real-rsh.sh` runs netkit's in.rlogind and
//! in.rexecd and Debian's poppassd (from inetutils-inetd, passwords checked by PAM) in a
//! network namespace, and from another one logs in with netkit's rlogin through a pty (a
//! wrong password, then the right one at in.rlogind's next prompt), runs three rexec
//! commands (the right password, a wrong one, the right one with a standard-error
//! connection back) and changes the account's password with poppass (a wrong old
//! password, a change that goes through, an empty new password poppassd refuses).
//! plainsight must report every password with the server's verdict, as the clients saw
//! it, and read each rexec opening as tshark does. Needs root, tcpdump, ip,
//! inetutils-inetd, in.rlogind, in.rexecd, poppassd, rlogin, expect and python3
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{find_program, real_e2e, rows, scan_with, tshark_fields};

// The same values as in tests/e2e/real-rsh.sh.
const PASS: &str = "Rsh!pa55w0rd";
const WRONG: &str = "rsh-Wr0ng";
const NEWPASS: &str = "Changed 2 pa55";

#[test]
fn real_rlogin_and_rexec_logins() {
    let Some(run) = real_e2e(
        "real-rsh",
        &[
            "tcpdump",
            "ip",
            "inetutils-inetd",
            "in.rlogind",
            "in.rexecd",
            "poppassd",
            "rlogin",
            "expect",
            "python3",
        ],
    ) else {
        return;
    };
    let stdout = &run.stdout;
    let user = stdout
        .lines()
        .find_map(|l| l.strip_prefix("user "))
        .expect("user line");
    assert_eq!(
        run.truths,
        [
            "2 SUCCESS",
            "3 FAILURE",
            "4 SUCCESS",
            "5 200 500",
            "6 200 200 200 200",
            "7 200 200 500"
        ],
        "{stdout}"
    );
    for threads in ["1", "2"] {
        let (findings, code, stderr) = scan_with(&["--threads", threads], &[run.pcap.as_path()]);
        assert_eq!(code, 1, "{stderr}");
        let got = rows(&findings, "command");
        assert_eq!(
            got,
            vec![
                ("rlogin", "login", user, WRONG, "failure", 513, ""),
                ("rlogin", "login", user, PASS, "success", 513, ""),
                (
                    "rexec",
                    "password",
                    user,
                    PASS,
                    "success",
                    512,
                    "echo rexec-ok"
                ),
                ("rexec", "password", user, WRONG, "failure", 512, "id"),
                (
                    "rexec",
                    "password",
                    user,
                    PASS,
                    "success",
                    512,
                    "echo out; echo err >&2"
                ),
                ("poppass", "USER/PASS", user, WRONG, "failure", 106, ""),
                ("poppass", "USER/PASS", user, PASS, "success", 106, ""),
                ("poppass", "NEWPASS", user, NEWPASS, "success", 106, ""),
                ("poppass", "USER/PASS", user, NEWPASS, "success", 106, ""),
            ],
            "{threads} threads: {findings:#?}"
        );
        // rlogin's client user is the local account the client ran as.
        assert_eq!(findings[0]["details"]["client_user"], "root");
    }
    // Every rexec opening tshark reads, read alike (tshark skips some with a
    // standard-error port).
    if let Some(tshark) = find_program("tshark") {
        let lines = tshark_fields(
            &tshark,
            &run.pcap,
            "exec.username",
            &["exec.username", "exec.password", "exec.command"],
        );
        assert!(!lines.is_empty(), "tshark read no rexec opening");
        let (findings, _, _) = scan_with(&["--threads", "1"], &[run.pcap.as_path()]);
        for line in &lines {
            let f: Vec<&str> = line.split('\t').collect();
            assert!(
                findings.iter().any(|x| x["protocol"] == "rexec"
                    && x["username"] == f[0]
                    && x["secret"] == f[1]
                    && x["details"]["command"] == f[2]),
                "tshark's {line:?} not among {findings:#?}"
            );
        }
    }
}
