//! Real mail servers and real clients: `tests/e2e/real-mail.sh` runs dovecot (IMAP, with
//! STARTTLS) and exim (SMTP on port 25 with STARTTLS, on port 587 without) in a network
//! namespace, logs in to them with fetchmail, curl and gsasl (SCRAM) from another one, sends messages
//! whose bodies hold an `AUTH PLAIN <base64>` line, and captures the traffic with
//! tcpdump. plainsight must report every cleartext login exactly once, with the right
//! user, secret, mechanism, outcome and `auth_offered_in_clear` flag, and nothing from the
//! STARTTLS sessions or the mail bodies.
//!
//! The expected findings below are written from what the script does (its header lists
//! the same logins in the same order), not from plainsight's output.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test`; otherwise the test
//! says why on standard error and passes.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::support::{
    Expect, assert_findings, find_program, is_root, repo, scan, scram_proves, without_client_port,
};

// The same values as in tests/e2e/real-mail.sh.
const MAIL_USER: &str = "alice@example.test";
const PASS: &str = "Corr3ct \"Horse\" st@ple!";
const IMAP_WRONG: &str = "imap Wr0ng";
const SMTP_WRONG: &str = "smtp-Wr0ng";
const CLIENT_IP: &str = "10.214.0.2";
/// The flag of SMTP sessions whose EHLO offered AUTH PLAIN/LOGIN but no STARTTLS.
const IN_CLEAR: &[&str] = &["auth_offered_in_clear"];

/// Programs the script runs.
const REQUIRED: &[&str] = &[
    "ip",
    "tcpdump",
    "dovecot",
    "exim",
    "curl",
    "fetchmail",
    "gsasl",
    "openssl",
    "ss",
    "md5sum",
    "bash",
];
/// dovecot's IMAP server (package dovecot-imapd).
const DOVECOT_IMAP: &str = "/usr/lib/dovecot/imap";

fn is_executable(p: &Path) -> bool {
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// One login the script performs, on its own TCP connection (numbered as in the script).
struct Login {
    conn: &'static str,
    expect: Expect,
}

/// The cleartext logins of `real-mail.sh`, in the order it makes them. Connections 3 and
/// 11 (STARTTLS, then a login inside TLS) must give nothing.
fn expected_logins() -> Vec<Login> {
    let client = "10.214.0.2:0";
    let imap = Expect {
        protocol: "imap",
        kind: "cleartext",
        client,
        server: "10.214.0.1:143",
        username: Some(MAIL_USER),
        ..Expect::default()
    };
    // Port 25: EHLO offers STARTTLS, so no flag.
    let smtp25 = Expect {
        protocol: "smtp",
        kind: "cleartext",
        client,
        server: "10.214.0.1:25",
        username: Some(MAIL_USER),
        ..Expect::default()
    };
    // Port 587: EHLO offers AUTH PLAIN LOGIN and no STARTTLS.
    let smtp587 = Expect {
        server: "10.214.0.1:587",
        flags: IN_CLEAR,
        ..smtp25.clone()
    };
    let login = |conn, expect| Login { conn, expect };
    vec![
        // 1 fetchmail: LOGIN, the password a quoted string with \" escapes.
        login(
            "1",
            Expect {
                mechanism: "LOGIN",
                secret: PASS,
                outcome: "success",
                ..imap.clone()
            },
        ),
        // 2 curl: AUTHENTICATE PLAIN (with SASL-IR's initial response).
        login(
            "2",
            Expect {
                mechanism: "AUTHENTICATE PLAIN",
                secret: PASS,
                outcome: "success",
                ..imap.clone()
            },
        ),
        // 2b gsasl: AUTHENTICATE SCRAM-SHA-256 (the proof is checked apart).
        login(
            "2b",
            Expect {
                mechanism: "AUTHENTICATE SCRAM-SHA-256",
                kind: "challenge-response",
                secret: "<scram right>",
                outcome: "success",
                ..imap.clone()
            },
        ),
        // 4 fetchmail: LOGIN with the wrong password.
        login(
            "4",
            Expect {
                mechanism: "LOGIN",
                secret: IMAP_WRONG,
                outcome: "failure",
                ..imap.clone()
            },
        ),
        // 4b gsasl: AUTHENTICATE SCRAM-SHA-1 with the wrong password.
        login(
            "4b",
            Expect {
                mechanism: "AUTHENTICATE SCRAM-SHA-1",
                kind: "challenge-response",
                secret: "<scram wrong>",
                outcome: "failure",
                ..imap.clone()
            },
        ),
        // 5 curl, port 25: AUTH LOGIN, then a message.
        login(
            "5",
            Expect {
                mechanism: "AUTH LOGIN",
                secret: PASS,
                outcome: "success",
                ..smtp25.clone()
            },
        ),
        // 6 curl, port 25: AUTH LOGIN, wrong password.
        login(
            "6",
            Expect {
                mechanism: "AUTH LOGIN",
                secret: SMTP_WRONG,
                outcome: "failure",
                ..smtp25.clone()
            },
        ),
        // 7 curl, port 25: AUTH PLAIN (empty 334 challenge), then a message.
        login(
            "7",
            Expect {
                mechanism: "AUTH PLAIN",
                secret: PASS,
                outcome: "success",
                ..smtp25.clone()
            },
        ),
        // 8 curl, port 25: AUTH PLAIN, wrong password.
        login(
            "8",
            Expect {
                mechanism: "AUTH PLAIN",
                secret: SMTP_WRONG,
                outcome: "failure",
                ..smtp25.clone()
            },
        ),
        // 9 curl, port 587: AUTH PLAIN with an initial response, then a message.
        login(
            "9",
            Expect {
                mechanism: "AUTH PLAIN",
                secret: PASS,
                outcome: "success",
                ..smtp587.clone()
            },
        ),
        // 10 curl, port 587: AUTH LOGIN, wrong password.
        login(
            "10",
            Expect {
                mechanism: "AUTH LOGIN",
                secret: SMTP_WRONG,
                outcome: "failure",
                ..smtp587.clone()
            },
        ),
    ]
}

fn client_port(f: &Value) -> u64 {
    f["client"]["port"].as_u64().unwrap_or(0)
}

/// What tells connections apart here: the client's ephemeral port and the server's port.
fn connection(f: &Value) -> (u64, u64) {
    (client_port(f), f["server"]["port"].as_u64().unwrap_or(0))
}

#[test]
fn real_mail_every_cleartext_login_reported_once() {
    if !is_root() {
        eprintln!("real_mail: SKIPPED: needs root (network namespaces, daemons)");
        return;
    }
    let mut missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !is_executable(Path::new(DOVECOT_IMAP)) {
        missing.push(DOVECOT_IMAP);
    }
    if !missing.is_empty() {
        eprintln!(
            "real_mail: SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }

    let started = Instant::now();
    let pid = std::process::id();
    let dir = std::env::temp_dir().join(format!("plainsight-real-mail-{pid}"));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join("real-mail.pcap");

    let out = Command::new(find_program("bash").expect("bash"))
        .arg(repo().join("tests/e2e/real-mail.sh"))
        .arg(&pcap)
        .output()
        .expect("run tests/e2e/real-mail.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        out.status.success(),
        "real-mail.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    eprintln!(
        "real_mail: traffic captured in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let logins = expected_logins();
    let expected: Vec<Expect> = logins.iter().map(|l| l.expect.clone()).collect();

    // Left in place if the test fails; removed at the end otherwise.
    eprintln!("real_mail: capture {}", pcap.display());
    let (findings, code, scan_stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "plainsight exit status\n{scan_stderr}");

    // Every finding comes from the client namespace's address, an ephemeral port.
    for f in &findings {
        assert_eq!(f["client"]["ip"], CLIENT_IP, "{f:#}");
        assert!(client_port(f) >= 1024, "{f:#}");
    }
    // The SCRAM proofs, recomputed from the passwords, replaced by labels.
    let labelled = |f: &Value| {
        let mut f = without_client_port(f);
        if f["mechanism"].as_str().unwrap_or("").contains("SCRAM") {
            let right = scram_proves(&f, PASS);
            assert!(
                right || scram_proves(&f, IMAP_WRONG),
                "no password proves {f:#}"
            );
            f["secret"] = Value::from(if right {
                "<scram right>"
            } else {
                "<scram wrong>"
            });
        }
        f
    };
    let normalised: Vec<Value> = findings.iter().map(labelled).collect();
    assert_findings("real mail", &normalised, &expected);

    // The logins happened one after another: in time order, the findings are the
    // expected list in order, each on a connection of its own.
    let mut sorted: Vec<&Value> = findings.iter().collect();
    sorted.sort_by_key(|f| f["timestamp"].as_str().unwrap_or("").to_string());
    for (i, (f, l)) in sorted.iter().zip(&logins).enumerate() {
        if let Some(why) = l.expect.mismatch(&labelled(f)) {
            panic!(
                "finding #{} in time order is not the script's login on connection {}: \
                 {why}\n{f:#}",
                i + 1,
                l.conn
            );
        }
    }
    for (i, (a, la)) in sorted.iter().zip(&logins).enumerate() {
        for (b, lb) in sorted.iter().zip(&logins).skip(i + 1) {
            assert_ne!(
                connection(a),
                connection(b),
                "logins of connections {} and {} share (client port, server port)",
                la.conn,
                lb.conn
            );
        }
    }

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_mail: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}
