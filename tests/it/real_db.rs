//! Real database servers and clients: `tests/e2e/real-db.sh` runs redis-server,
//! PostgreSQL and MariaDB on 127.0.0.1, logs in with `redis-cli` (requirepass, an ACL
//! user, `HELLO ... AUTH`, an inline `AUTH` over /dev/tcp), `psql` (md5, password after a
//! refused SSLRequest, SCRAM-SHA-256) and `mariadb` (mysql_native_password, the client's
//! mysql_clear_password plugin switched by the server), right and wrong passwords, and
//! captures lo with tcpdump. plainsight must report each credential exactly once, with the
//! right user, secret and outcome, and nothing for SCRAM.
//!
//! The expected findings are written from what the script does (its header lists the same
//! exchanges), not from plainsight's output; only the servers' ports (free ports the script
//! picked) come from the run, and the clients' ephemeral ports are normalised to 0. The
//! challenge-responses (PostgreSQL md5, MySQL native) are recomputed here from the known
//! passwords with the challenges of the findings.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test` (redis-server,
//! redis-tools, postgresql, mariadb-server, mariadb-client, tcpdump); otherwise the test
//! says why on standard error and passes.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Instant;

use md5::{Digest, Md5};
use serde_json::Value;
use sha1::Sha1;

use crate::support::{
    Expect, assert_findings, find_program, is_root, leak, repo, scan, unhex, without_client_port,
};

// The same values as in tests/e2e/real-db.sh.
const REDIS_PASS: &str = "R3dis-Req!pass";
const REDIS_WRONG: &str = "redis-Wr0ng";
const REDIS_USER: &str = "app";
const REDIS_USER_PASS: &str = "App-ACL-pw";
const REDIS_USER_WRONG: &str = "app-Wr0ng";
const PG_MD5_USER: &str = "md5user";
const PG_MD5_PASS: &str = "Md5-Pg!pass";
const PG_PW_USER: &str = "pwuser";
const PG_PW_PASS: &str = "Clear-Pg!pass";
const PG_WRONG: &str = "pg-Wr0ng";
const MY_USER: &str = "webapp";
const MY_PASS: &str = "My-W3b!pass";
const MY_WRONG: &str = "my-Wr0ng";

const REQUIRED: &[&str] = &[
    "bash",
    "tcpdump",
    "redis-server",
    "redis-cli",
    "psql",
    "mariadbd",
    "mariadb",
    "mariadb-install-db",
    "setpriv",
    "ss",
];

fn is_executable(p: &std::path::Path) -> bool {
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Debian's PostgreSQL server lives outside PATH, in /usr/lib/postgresql/<version>/bin.
fn postgres_server() -> bool {
    std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| {
            dir.flatten()
                .any(|v| is_executable(&v.path().join("bin/postgres")))
        })
        .unwrap_or(false)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The findings of the script's exchanges, in time order. Challenge-responses are checked
/// apart (their challenges come from the servers).
fn expected(redis: u16, pg: u16, my: u16) -> Vec<Expect> {
    let client = "127.0.0.1:0";
    let r = Expect {
        protocol: "redis",
        mechanism: "AUTH",
        kind: "cleartext",
        client,
        server: leak(format!("127.0.0.1:{redis}")),
        ..Expect::default()
    };
    let md5 = Expect {
        protocol: "postgresql",
        mechanism: "md5",
        kind: "challenge-response",
        client,
        server: leak(format!("127.0.0.1:{pg}")),
        username: Some(PG_MD5_USER),
        ..Expect::default()
    };
    let pw = Expect {
        mechanism: "cleartext password",
        kind: "cleartext",
        username: Some(PG_PW_USER),
        ..md5.clone()
    };
    let native = Expect {
        protocol: "mysql",
        mechanism: "mysql_native_password",
        kind: "challenge-response",
        client,
        server: leak(format!("127.0.0.1:{my}")),
        username: Some(MY_USER),
        ..Expect::default()
    };
    vec![
        // 1 redis-cli -a, the requirepass password: no user name.
        Expect {
            secret: REDIS_PASS,
            outcome: "success",
            ..r.clone()
        },
        // 2 a wrong one.
        Expect {
            secret: REDIS_WRONG,
            outcome: "failure",
            ..r.clone()
        },
        // 3 the ACL user.
        Expect {
            username: Some(REDIS_USER),
            secret: REDIS_USER_PASS,
            outcome: "success",
            ..r.clone()
        },
        // 4 HELLO 3 AUTH, a wrong password.
        Expect {
            mechanism: "HELLO AUTH",
            username: Some(REDIS_USER),
            secret: REDIS_USER_WRONG,
            outcome: "failure",
            ..r.clone()
        },
        // 5 inline AUTH.
        Expect {
            secret: REDIS_PASS,
            outcome: "success",
            ..r
        },
        // 6, 7 md5 (the response is checked apart).
        Expect {
            secret: "<md5 right>",
            outcome: "success",
            ..md5.clone()
        },
        Expect {
            secret: "<md5 wrong>",
            outcome: "failure",
            ..md5
        },
        // 8, 9 password.
        Expect {
            secret: PG_PW_PASS,
            outcome: "success",
            ..pw.clone()
        },
        Expect {
            secret: PG_WRONG,
            outcome: "failure",
            ..pw
        },
        // 10 SCRAM: nothing. 11, 12 mysql_native_password.
        Expect {
            secret: "<native right>",
            outcome: "success",
            ..native.clone()
        },
        Expect {
            secret: "<native wrong>",
            outcome: "failure",
            ..native.clone()
        },
        // 13 the clear password plugin, then the native response after the switch.
        Expect {
            mechanism: "mysql_clear_password",
            kind: "cleartext",
            secret: MY_PASS,
            outcome: "success",
            ..native.clone()
        },
        Expect {
            secret: "<native right, switched>",
            outcome: "success",
            ..native
        },
    ]
}

/// Replaces the response of a challenge-response finding by a label, once it is checked
/// against the one recomputed from `password` with the finding's own challenge.
fn check_challenge_response(f: &mut Value, password: &str, label: &str) {
    let challenge = unhex(f["challenge"].as_str().expect("challenge"));
    let user = f["username"].as_str().expect("user").to_string();
    let (want, hashcat) = if f["protocol"] == "postgresql" {
        let inner = hex(&Md5::digest(format!("{password}{user}")));
        let outer = hex(&Md5::digest([inner.as_bytes(), &challenge].concat()));
        (
            format!("md5{outer}"),
            format!("$postgres${user}*{}*{outer}", hex(&challenge)),
        )
    } else {
        let stage1 = Sha1::digest(password.as_bytes());
        let mask = Sha1::digest([&challenge[..], &Sha1::digest(stage1)[..]].concat());
        let response: Vec<u8> = stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect();
        (
            hex(&response),
            format!("$mysqlna${}*{}", hex(&challenge), hex(&response)),
        )
    };
    assert_eq!(f["secret"], want, "{label}: {f:#}");
    assert_eq!(f["hashcat"]["hash"], hashcat, "{label}: {f:#}");
    f["secret"] = Value::from(label);
}

#[test]
fn real_databases_every_credential_reported_once() {
    if !is_root() {
        eprintln!("real_db: SKIPPED: needs root (tcpdump on lo, daemons)");
        return;
    }
    let mut missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !postgres_server() {
        missing.push("/usr/lib/postgresql/*/bin/postgres");
    }
    if !missing.is_empty() {
        eprintln!(
            "real_db: SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }

    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("plainsight-real-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join("real-db.pcap");
    let out = Command::new(find_program("bash").expect("bash"))
        .arg(repo().join("tests/e2e/real-db.sh"))
        .arg(&pcap)
        .output()
        .expect("run tests/e2e/real-db.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        out.status.success(),
        "real-db.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );

    // "ports redis=<port> postgresql=<port> mysql=<port>"
    let ports = stdout
        .lines()
        .find_map(|l| l.strip_prefix("ports "))
        .unwrap_or_else(|| panic!("no ports line from the script: {stdout}"));
    let port = |name: &str| -> u16 {
        ports
            .split(' ')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} port in {ports:?}"))
    };
    let (redis, pg, my) = (port("redis"), port("postgresql"), port("mysql"));

    eprintln!("real_db: capture {}", pcap.display());
    let (findings, code, scan_stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "plainsight exit status\n{scan_stderr}");
    for f in &findings {
        assert_eq!(f["client"]["ip"], "127.0.0.1", "{f:#}");
        assert_ne!(f["client"]["port"], f["server"]["port"], "{f:#}");
    }

    // In time order, with the challenge-responses recomputed and replaced by labels.
    let mut sorted: Vec<Value> = findings.iter().map(without_client_port).collect();
    sorted.sort_by_key(|f| f["timestamp"].as_str().unwrap_or("").to_string());
    let want = expected(redis, pg, my);
    assert_eq!(sorted.len(), want.len(), "findings: {sorted:#?}");
    for (f, e) in sorted.iter_mut().zip(&want) {
        let (password, label) = match e.secret {
            "<md5 right>" => (PG_MD5_PASS, e.secret),
            "<md5 wrong>" => (PG_WRONG, e.secret),
            "<native right>" | "<native right, switched>" => (MY_PASS, e.secret),
            "<native wrong>" => (MY_WRONG, e.secret),
            _ => continue,
        };
        check_challenge_response(f, password, label);
    }
    assert_findings("real databases", &sorted, &want);
    for (i, (f, e)) in sorted.iter().zip(&want).enumerate() {
        if let Some(why) = e.mismatch(f) {
            panic!(
                "finding #{} in time order is not the expected one: {why}\n{f:#}",
                i + 1
            );
        }
    }
    // One connection per exchange (the 13th gives two findings).
    let mut clients: Vec<u64> = findings
        .iter()
        .filter_map(|f| f["client"]["port"].as_u64())
        .collect();
    clients.sort_unstable();
    clients.dedup();
    assert_eq!(
        clients.len(),
        findings.len() - 1,
        "one client port per exchange"
    );

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_db: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}
