//! Real servers and real clients: `tests/e2e/real-servers.sh` runs vsftpd, dovecot (POP3)
//! and inetutils telnetd in a network namespace, logs in to them with curl, lftp,
//! fetchmail and the `telnet` client (through a pty driven by expect) from another one,
//! and captures the traffic with tcpdump. plainsight must report every login exactly
//! once, with the right user, secret, mechanism and outcome, and nothing else.
//!
//! The expected findings below are written from what the script does (its header lists
//! the same logins in the same order), not from plainsight's output. The only values known
//! at run time come from the clients themselves: the APOP greeting timestamps curl and
//! fetchmail logged, from which the digests are computed here.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test`; otherwise the test
//! says why on standard error and passes.

use std::process::Command;
use std::time::Instant;

use md5::{Digest, Md5};
use serde_json::Value;

use crate::support::{
    Expect, assert_findings, find_program, is_root, leak, repo, scan, without_client_port,
};

// The same values as in tests/e2e/real-servers.sh.
const PASS: &str = "Corr3ct!Horse";
const FTP_WRONG: &str = "ftp-Wr0ng";
const POP_WRONG: &str = "pop-Wr0ng";
const TELNET_WRONG: &str = "telnet-Wr0ng";
/// curl's default anonymous FTP password.
const CURL_ANONYMOUS_PASSWORD: &str = "ftp@example.com";
const CLIENT_IP: &str = "10.213.0.2";

/// Programs the script runs (`telnetd` is inetutils-telnetd's).
const REQUIRED: &[&str] = &[
    "ip",
    "tcpdump",
    "vsftpd",
    "dovecot",
    "inetutils-inetd",
    "telnetd",
    "telnet",
    "curl",
    "lftp",
    "fetchmail",
    "expect",
    "useradd",
    "userdel",
    "chpasswd",
    "ss",
    "bash",
];

/// RFC 1939: the APOP digest is MD5(timestamp + secret), lowercase hex.
fn apop_digest(timestamp: &str, secret: &str) -> String {
    let mut h = Md5::new();
    h.update(timestamp.as_bytes());
    h.update(secret.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One login the script performs. Logins with the same `conn` share one TCP connection;
/// different ones use different connections.
struct Login {
    conn: u32,
    expect: Expect,
}

/// The logins of `real-servers.sh`, in the order it makes them.
/// `apop` holds the (outcome, greeting timestamp) pairs it printed, in order.
fn expected_logins(user: &'static str, apop: &[(String, &'static str)]) -> Vec<Login> {
    let apop_challenge = |outcome: &str| -> &'static str {
        apop.iter()
            .find(|(o, _)| o == outcome)
            .unwrap_or_else(|| panic!("the script logged no APOP {outcome} greeting: {apop:?}"))
            .1
    };
    let client = leak(format!("{CLIENT_IP}:0"));
    let ftp = Expect {
        protocol: "ftp",
        mechanism: "USER/PASS",
        kind: "cleartext",
        client,
        server: "10.213.0.1:21",
        username: Some(user),
        ..Expect::default()
    };
    let pop3 = Expect {
        protocol: "pop3",
        client,
        server: "10.213.0.1:110",
        username: Some(user),
        kind: "cleartext",
        ..Expect::default()
    };
    let apop = |secret: &str, outcome: &'static str| {
        let ts = apop_challenge(outcome);
        let digest = apop_digest(ts, secret);
        Expect {
            mechanism: "APOP",
            kind: "challenge-response",
            secret: leak(digest.clone()),
            outcome,
            challenge: Some(ts),
            hashcat: Some((20, leak(format!("{digest}:{ts}")))),
            ..pop3.clone()
        }
    };
    let telnet = Expect {
        protocol: "telnet",
        mechanism: "login",
        kind: "cleartext",
        client,
        server: "10.213.0.1:23",
        username: Some(user),
        ..Expect::default()
    };
    let login = |conn, expect| Login { conn, expect };
    vec![
        // 1 curl: success.
        login(
            1,
            Expect {
                secret: PASS,
                outcome: "success",
                ..ftp.clone()
            },
        ),
        // 2 curl: wrong password.
        login(
            2,
            Expect {
                secret: FTP_WRONG,
                outcome: "failure",
                ..ftp.clone()
            },
        ),
        // 3 curl: anonymous.
        login(
            3,
            Expect {
                username: Some("anonymous"),
                secret: CURL_ANONYMOUS_PASSWORD,
                outcome: "success",
                anonymous: true,
                ..ftp.clone()
            },
        ),
        // 4 lftp: success.
        login(
            4,
            Expect {
                secret: PASS,
                outcome: "success",
                ..ftp.clone()
            },
        ),
        // 5 curl: AUTH PLAIN.
        login(
            5,
            Expect {
                mechanism: "AUTH PLAIN",
                secret: PASS,
                outcome: "success",
                ..pop3.clone()
            },
        ),
        // 6 curl: AUTH PLAIN, wrong password.
        login(
            6,
            Expect {
                mechanism: "AUTH PLAIN",
                secret: POP_WRONG,
                outcome: "failure",
                ..pop3.clone()
            },
        ),
        // 7 curl: AUTH LOGIN.
        login(
            7,
            Expect {
                mechanism: "AUTH LOGIN",
                secret: PASS,
                outcome: "success",
                ..pop3.clone()
            },
        ),
        // 8 curl: APOP with the wrong password.
        login(8, apop(POP_WRONG, "failure")),
        // 9 fetchmail: USER/PASS.
        login(
            9,
            Expect {
                mechanism: "USER/PASS",
                secret: PASS,
                outcome: "success",
                ..pop3.clone()
            },
        ),
        // 10 fetchmail: APOP.
        login(10, apop(PASS, "success")),
        // 11 telnet, one session: a wrong password, then the right one typed with a typo
        // corrected by backspace (the server received the right one).
        login(
            11,
            Expect {
                secret: TELNET_WRONG,
                outcome: "failure",
                ..telnet.clone()
            },
        ),
        login(
            11,
            Expect {
                secret: PASS,
                outcome: "success",
                ..telnet.clone()
            },
        ),
        // 12 telnet -l: user name in NEW-ENVIRON USER, then the password.
        login(
            12,
            Expect {
                secret: PASS,
                outcome: "success",
                ..telnet.clone()
            },
        ),
    ]
}

fn client_port(f: &Value) -> u64 {
    f["client"]["port"].as_u64().unwrap_or(0)
}

/// What tells connections apart here: the client's ephemeral port and the server's port
/// (the same ephemeral port may well serve connections to two different servers).
fn connection(f: &Value) -> (u64, u64) {
    (client_port(f), f["server"]["port"].as_u64().unwrap_or(0))
}

#[test]
fn real_servers_every_login_reported_once() {
    if !is_root() {
        eprintln!(
            "real_servers: SKIPPED: needs root (network namespaces, daemons, a test account)"
        );
        return;
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "real_servers: SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }

    let started = Instant::now();
    let pid = std::process::id();
    let dir = std::env::temp_dir().join(format!("plainsight-real-servers-{pid}"));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join("real-servers.pcap");
    let user: &'static str = leak(format!("pse{pid}"));

    let out = Command::new(find_program("bash").expect("bash"))
        .arg(repo().join("tests/e2e/real-servers.sh"))
        .arg(&pcap)
        .env("E2E_USER", user)
        .env("PLAINSIGHT_LIVE", crate::support::bin())
        .output()
        .expect("run tests/e2e/real-servers.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        out.status.success(),
        "real-servers.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    eprintln!(
        "real_servers: traffic captured in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // "truth apop <outcome> <timestamp>": the greetings the APOP clients logged.
    let apop: Vec<(String, &'static str)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("truth apop "))
        .map(|rest| {
            let (outcome, ts) = rest.split_once(' ').expect("truth apop <outcome> <ts>");
            (outcome.to_string(), leak(ts.to_string()))
        })
        .collect();
    assert_eq!(apop.len(), 2, "APOP greetings from the script: {stdout}");
    let logins = expected_logins(user, &apop);
    let expected: Vec<Expect> = logins.iter().map(|l| l.expect.clone()).collect();

    // Left in place if the test fails; removed at the end otherwise.
    eprintln!("real_servers: capture {}", pcap.display());
    let (findings, code, scan_stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "plainsight exit status\n{scan_stderr}");

    // Every finding comes from the client namespace's address, an ephemeral port.
    for f in &findings {
        assert_eq!(f["client"]["ip"], CLIENT_IP, "{f:#}");
        assert!(client_port(f) >= 1024, "{f:#}");
    }
    let normalised: Vec<Value> = findings.iter().map(without_client_port).collect();
    assert_findings("real servers", &normalised, &expected);

    // The logins happened one after another: in time order, the findings are the
    // expected list in order, and they share a TCP connection exactly when the logins did.
    let mut sorted: Vec<&Value> = findings.iter().collect();
    sorted.sort_by_key(|f| f["timestamp"].as_str().unwrap_or("").to_string());
    for (i, (f, l)) in sorted.iter().zip(&logins).enumerate() {
        if let Some(why) = l.expect.mismatch(&without_client_port(f)) {
            panic!(
                "finding #{} in time order is not login #{} of the script: {why}\n{f:#}",
                i + 1,
                i + 1
            );
        }
    }
    for (i, (a, la)) in sorted.iter().zip(&logins).enumerate() {
        for (b, lb) in sorted.iter().zip(&logins).skip(i + 1) {
            assert_eq!(
                connection(a) == connection(b),
                la.conn == lb.conn,
                "logins of connections {} and {}: (client port, server port) {:?} and {:?}",
                la.conn,
                lb.conn,
                connection(a),
                connection(b)
            );
        }
    }

    // The same logins, seen live by `plainsight live` on the veth and stopped by SIGINT:
    // each one exactly once, nothing else, and exit status 1 (credentials found).
    assert!(
        stdout.contains("live status 1"),
        "plainsight live exit status: {stdout}\n{stderr}"
    );
    let live_path = dir.join("real-servers.pcap.live.jsonl");
    let live_text = std::fs::read_to_string(&live_path).expect("live findings");
    let live: Vec<Value> = live_text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad live line {l:?}: {e}")))
        .collect();
    let live_normalised: Vec<Value> = live.iter().map(without_client_port).collect();
    assert_findings("plainsight live", &live_normalised, &expected);
    let mode = std::fs::metadata(&live_path)
        .expect("live file")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    let live_err =
        std::fs::read_to_string(dir.join("real-servers.pcap.live.err")).unwrap_or_default();
    assert!(
        live_err.contains("dropped by the kernel"),
        "live summary: {live_err}"
    );
    // The evidence capture holds the flows with findings: scanning it finds them again.
    let (again, _, _) = scan(&[dir.join("real-servers.pcap.live-evidence.pcap").as_path()]);
    let again: Vec<Value> = again.iter().map(without_client_port).collect();
    assert_findings("live evidence capture", &again, &expected);

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_servers: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}
