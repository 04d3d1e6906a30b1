//! Real CVS and X11 servers and clients: `tests/e2e/real-legacy.sh` runs Debian's cvs as a
//! pserver (from inetutils-inetd) and Xvfb with a random MIT-MAGIC-COOKIE-1 in a network
//! namespace, and from another one logs in with `cvs login` (the right password, a wrong
//! one, an unknown user), checks a module out (an AUTH request with the saved password),
//! and opens the display with xdpyinfo (the cookie, a wrong cookie, none); tcpdump on the
//! veth. plainsight must report every password descrambled and every cookie sent, with the
//! server's verdict. Needs root, tcpdump, cvs, inetutils-inetd, Xvfb, xauth and xdpyinfo
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{find_program, is_root, run_e2e, scan};

// The same values as in tests/e2e/real-legacy.sh.
const CVS_USER: &str = "cvsdev";
const CVS_PASS: &str = "Cvs!pa55 w0rd#";
const CVS_WRONG: &str = "cvs-Wr0ng";
const WRONG_COOKIE: &str = "00112233445566778899aabbccddeeff";

#[test]
fn real_cvs_pserver_and_x11_logins() {
    if !is_root() {
        eprintln!("real_legacy: SKIPPED: needs root (network namespaces, tcpdump)");
        return;
    }
    let missing: Vec<&str> = [
        "tcpdump",
        "ip",
        "cvs",
        "inetutils-inetd",
        "Xvfb",
        "xauth",
        "xdpyinfo",
        "openssl",
    ]
    .into_iter()
    .filter(|p| find_program(p).is_none())
    .collect();
    if !missing.is_empty() {
        eprintln!(
            "real_legacy: SKIPPED: missing {} (./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }
    let (dir, pcap, stdout) = run_e2e("real-legacy");
    let cookie = stdout
        .lines()
        .find_map(|l| l.strip_prefix("cookie "))
        .expect("cookie line");
    assert_eq!(cookie.len(), 32, "{stdout}");

    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(&str, &str, &str, &str, &str, &str, &str)> = findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            (
                s("protocol"),
                s("mechanism"),
                s("kind"),
                s("username"),
                s("secret"),
                s("outcome"),
                f["details"]["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let verify = "pserver verification";
    assert_eq!(
        got,
        vec![
            (
                "cvs",
                verify,
                "cleartext",
                CVS_USER,
                CVS_PASS,
                "success",
                ""
            ),
            (
                "cvs",
                verify,
                "cleartext",
                CVS_USER,
                CVS_WRONG,
                "failure",
                ""
            ),
            (
                "cvs",
                "pserver",
                "cleartext",
                CVS_USER,
                CVS_PASS,
                "success",
                ""
            ),
            (
                "cvs",
                verify,
                "cleartext",
                "nosuch",
                CVS_WRONG,
                "failure",
                "nosuch: no such user"
            ),
            (
                "x11",
                "MIT-MAGIC-COOKIE-1",
                "token",
                "",
                cookie,
                "success",
                ""
            ),
            (
                "x11",
                "MIT-MAGIC-COOKIE-1",
                "token",
                "",
                WRONG_COOKIE,
                "failure",
                "Invalid MIT-MAGIC-COOKIE-1 key"
            ),
        ],
        "{findings:#?}"
    );
    for f in &findings {
        assert_eq!(f["client"]["ip"], "10.219.0.2", "{f:#}");
        assert_eq!(f["server"]["ip"], "10.219.0.1", "{f:#}");
        let port = f["server"]["port"].as_u64().expect("port");
        match f["protocol"].as_str() {
            Some("cvs") => {
                assert_eq!(port, 2401);
                assert!(
                    f["details"]["repository"]
                        .as_str()
                        .is_some_and(|r| r.ends_with("/cvsroot")),
                    "{f:#}"
                );
            }
            _ => assert!((6007..6064).contains(&port), "{f:#}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
