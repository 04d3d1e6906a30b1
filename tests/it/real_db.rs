//! Real database servers and clients: `tests/e2e/real-db.sh` runs redis-server,
//! PostgreSQL and MariaDB on 127.0.0.1, logs in with `redis-cli` (requirepass, an ACL
//! user, `HELLO ... AUTH`, an inline `AUTH` over /dev/tcp), `psql` (md5, password after a
//! refused SSLRequest, SCRAM-SHA-256 right and wrong) and `mariadb` (mysql_native_password, the client's
//! mysql_clear_password plugin switched by the server), `memcping` (libmemcached: SASL
//! PLAIN and CRAM-MD5 against memcached `-S`) and memcached's text protocol login (`-Y`),
//! `mariadb-admin` with libmariadb's caching_sha2_password plugin against a peer greeting
//! as MySQL 8 (`tests/e2e/mysql8-peer.py`: Debian has no MySQL 8 server),
//! right and wrong passwords, and captures lo with tcpdump. plainsight must report each credential exactly once, with the
//! right user, secret and outcome.
//!
//! The expected findings are written from what the script does (its header lists the same
//! exchanges), not from plainsight's output; only the servers' ports (free ports the script
//! picked) come from the run, and the clients' ephemeral ports are normalised to 0. The
//! challenge-responses (PostgreSQL md5 and SCRAM-SHA-256, MySQL native, memcached's
//! CRAM-MD5) are recomputed here from the known passwords with the challenges of the
//! findings, and `scripts/offline-crack.py` must find the SCRAM passwords in a word list. Every server runs on
//! a port none of them is known by: each protocol is found by content.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test` (redis-server,
//! redis-tools, postgresql, mariadb-server, mariadb-client, memcached, libmemcached-tools,
//! sasl2-bin, tcpdump); otherwise the test
//! says why on standard error and passes.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Instant;

use base64::Engine as _;
use md5::{Digest, Md5};
use serde_json::Value;
use sha1::Sha1;

use crate::support::{
    Expect, assert_findings, caching_sha2, find_program, hmac_md5, is_root, leak, offline_crack,
    repo, scan, scram_proves, unhex, without_client_port,
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
const PG_SCRAM_USER: &str = "scramuser";
const PG_SCRAM_PASS: &str = "Scram-Pg!pass";
const MY_USER: &str = "webapp";
const MY_PASS: &str = "My-W3b!pass";
const MY_WRONG: &str = "my-Wr0ng";
const PG_DENIED: &str = "Pg-Denied!take0ver";
const PG_NEW: &str = "Pg-N3w!own-pass";
const MY_DENIED: &str = "My-Denied!intruder";
const PG_FDW: &str = "Pg-Fdw!remote-app";
const PG_SUB: &str = "Pg-Sub!replica";
const MY_REPL: &str = "My-Repl!source";
const MY_NEW: &str = "My-N3w!own-pass";
const REDIS_NEWBIE: &str = "R3dis-Newb!e";
const REDIS_BROKEN: &str = "R3dis-Br0ken";
const REDIS_NEW: &str = "R3dis-N3w!req";
const MY8_USER: &str = "app8";
const MY8_PASS: &str = "My8-Sha2!pass";
const MC_USER: &str = "cacheapp";
const MC_PASS: &str = "Mc-S4sl!pass";
const MC_WRONG: &str = "mc-Wr0ng";

const REQUIRED: &[&str] = &[
    "bash",
    "tcpdump",
    "redis-server",
    "redis-cli",
    "psql",
    "mariadbd",
    "mariadb",
    "mariadb-admin",
    "mariadb-install-db",
    "setpriv",
    "ss",
    "memcached",
    "memcping",
    "saslpasswd2",
    "python3",
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
fn expected(redis: u16, pg: u16, my: u16, mc: [u16; 3], my8: u16) -> Vec<Expect> {
    let client = "127.0.0.1:0";
    let r = Expect {
        protocol: "redis",
        mechanism: "AUTH",
        kind: "cleartext",
        client,
        server: leak(format!("127.0.0.1:{redis}")),
        ..Expect::default()
    };
    let r_default = r.clone();
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
    let scram = Expect {
        mechanism: "SASL SCRAM-SHA-256",
        username: Some(PG_SCRAM_USER),
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
    let mc_plain = Expect {
        protocol: "memcached",
        mechanism: "SASL PLAIN",
        kind: "cleartext",
        client,
        server: leak(format!("127.0.0.1:{}", mc[0])),
        username: Some(MC_USER),
        ..Expect::default()
    };
    let mc_cram = Expect {
        mechanism: "SASL CRAM-MD5",
        kind: "challenge-response",
        server: leak(format!("127.0.0.1:{}", mc[1])),
        ..mc_plain.clone()
    };
    let sha2 = Expect {
        protocol: "mysql",
        mechanism: "caching_sha2_password",
        kind: "challenge-response",
        client,
        server: leak(format!("127.0.0.1:{my8}")),
        username: Some(MY8_USER),
        ..Expect::default()
    };
    let mc_text = Expect {
        mechanism: "ASCII authentication",
        server: leak(format!("127.0.0.1:{}", mc[2])),
        ..mc_plain.clone()
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
            ..pw.clone()
        },
        // 10a, 10b SCRAM-SHA-256 (the proofs are checked apart).
        Expect {
            secret: "<scram right>",
            outcome: "success",
            ..scram.clone()
        },
        Expect {
            secret: "<scram wrong>",
            outcome: "failure",
            ..scram
        },
        // 11, 12 mysql_native_password.
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
            ..native.clone()
        },
        // 14, 15 memcached SASL PLAIN.
        Expect {
            secret: MC_PASS,
            outcome: "success",
            ..mc_plain.clone()
        },
        Expect {
            secret: MC_WRONG,
            outcome: "failure",
            ..mc_plain
        },
        // 16, 17 CRAM-MD5 (the response is checked apart).
        Expect {
            secret: "<cram right>",
            outcome: "success",
            ..mc_cram.clone()
        },
        Expect {
            secret: "<cram wrong>",
            outcome: "failure",
            ..mc_cram
        },
        // 18 the text protocol: the wrong password, then the right one, on one connection.
        Expect {
            secret: MC_WRONG,
            outcome: "failure",
            ..mc_text.clone()
        },
        Expect {
            secret: MC_PASS,
            outcome: "success",
            ..mc_text
        },
        // 19, 20 caching_sha2_password's scramble (checked apart).
        Expect {
            secret: "<sha2 right>",
            outcome: "success",
            ..sha2.clone()
        },
        Expect {
            secret: "<sha2 wrong>",
            outcome: "failure",
            ..sha2
        },
        // 21 the login, then the statement the server refused.
        Expect {
            secret: PG_PW_PASS,
            outcome: "success",
            ..pw.clone()
        },
        Expect {
            mechanism: "ALTER ROLE ... PASSWORD",
            username: Some("postgres"),
            secret: PG_DENIED,
            outcome: "failure",
            ..pw.clone()
        },
        // 22 the role's own password (CURRENT_USER: the session's user).
        Expect {
            secret: PG_PW_PASS,
            outcome: "success",
            ..pw.clone()
        },
        Expect {
            mechanism: "ALTER ROLE ... PASSWORD",
            secret: PG_NEW,
            outcome: "success",
            ..pw.clone()
        },
        // 23, 24 the same on MariaDB.
        Expect {
            secret: "<native right>",
            outcome: "success",
            ..native.clone()
        },
        Expect {
            mechanism: "CREATE USER ... IDENTIFIED",
            kind: "cleartext",
            username: Some("intruder"),
            secret: MY_DENIED,
            outcome: "failure",
            ..native.clone()
        },
        Expect {
            secret: "<native right>",
            outcome: "success",
            ..native.clone()
        },
        Expect {
            mechanism: "SET PASSWORD",
            kind: "cleartext",
            secret: MY_NEW,
            outcome: "success",
            ..native.clone()
        },
        // 25 to 27 Redis: each command after its AUTH.
        Expect {
            secret: REDIS_PASS,
            outcome: "success",
            ..r_default.clone()
        },
        Expect {
            mechanism: "ACL SETUSER",
            username: Some("newbie"),
            secret: REDIS_NEWBIE,
            outcome: "success",
            ..r_default.clone()
        },
        Expect {
            username: Some(REDIS_USER),
            secret: REDIS_USER_PASS,
            outcome: "success",
            ..r_default.clone()
        },
        Expect {
            mechanism: "ACL SETUSER",
            username: Some("broken"),
            secret: REDIS_BROKEN,
            outcome: "failure",
            ..r_default.clone()
        },
        Expect {
            secret: REDIS_PASS,
            outcome: "success",
            ..r_default.clone()
        },
        Expect {
            mechanism: "CONFIG SET requirepass",
            secret: REDIS_NEW,
            outcome: "success",
            ..r_default
        },
        // 28, 29 other servers' passwords, after a login with the role's new password.
        Expect {
            secret: PG_NEW,
            outcome: "success",
            ..pw.clone()
        },
        Expect {
            mechanism: "CREATE USER MAPPING ... password",
            username: Some("remote_app"),
            secret: PG_FDW,
            outcome: "success",
            ..pw.clone()
        },
        Expect {
            secret: PG_NEW,
            outcome: "success",
            ..pw.clone()
        },
        Expect {
            mechanism: "CREATE SUBSCRIPTION ... CONNECTION",
            username: Some("rep"),
            secret: PG_SUB,
            outcome: "failure",
            ..pw
        },
        // 30 a replication source's password, refused.
        Expect {
            secret: "<native new>",
            outcome: "success",
            ..native.clone()
        },
        Expect {
            mechanism: "CHANGE MASTER TO ... MASTER_PASSWORD",
            kind: "cleartext",
            username: Some("repl"),
            secret: MY_REPL,
            outcome: "failure",
            ..native
        },
    ]
}

/// Replaces the response of a challenge-response finding by a label, once it is checked
/// against the one recomputed from `password` with the finding's own challenge.
fn check_challenge_response(f: &mut Value, password: &str, label: &str) {
    let challenge = f["challenge"].as_str().expect("challenge");
    // CRAM-MD5's challenge is text, shown as it is; the others' are bytes, in hex.
    let challenge = if f["protocol"] == "memcached" {
        challenge.as_bytes().to_vec()
    } else {
        unhex(challenge)
    };
    let user = f["username"].as_str().expect("user").to_string();
    let (want, hashcat) = if f["protocol"] == "memcached" {
        // CRAM-MD5 (RFC 2195): HMAC-MD5 of the challenge under the password.
        let digest = hex(&hmac_md5(password.as_bytes(), &[&challenge]));
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        (
            digest.clone(),
            format!(
                "$cram_md5${}${}",
                b64(&challenge),
                b64(format!("{user} {digest}").as_bytes())
            ),
        )
    } else if f["protocol"] == "postgresql" {
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

    // "ports redis=<port> postgresql=<port> mysql=<port> mc_plain=<port> mc_cram=<port>
    // mc_text=<port>"
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
    let mc = [port("mc_plain"), port("mc_cram"), port("mc_text")];
    let want = expected(redis, pg, my, mc, port("mysql8"));
    assert_eq!(sorted.len(), want.len(), "findings: {sorted:#?}");
    // The SCRAM exchanges, as plainsight writes them, through the shipped cracker.
    let cracked = offline_crack(
        findings
            .iter()
            .filter(|f| f["mechanism"] == "SASL SCRAM-SHA-256"),
        &["pencil", PG_WRONG, PG_MD5_PASS, PG_SCRAM_PASS],
    );
    let mut passwords: Vec<&str> = cracked
        .lines()
        .filter_map(|l| l.rsplit(' ').next())
        .collect();
    passwords.sort_unstable();
    assert_eq!(
        passwords,
        [PG_SCRAM_PASS, PG_WRONG],
        "offline-crack.py said:\n{cracked}"
    );
    for (f, e) in sorted.iter_mut().zip(&want) {
        let scram = match e.secret {
            "<scram right>" => Some(PG_SCRAM_PASS),
            "<scram wrong>" => Some(PG_WRONG),
            _ => None,
        };
        if let Some(password) = scram {
            assert!(scram_proves(f, password), "{}: {f:#}", e.secret);
            assert!(!scram_proves(f, "pencil"), "{}: {f:#}", e.secret);
            f["secret"] = Value::from(e.secret);
            continue;
        }
        let sha2 = match e.secret {
            "<sha2 right>" => Some(MY8_PASS),
            "<sha2 wrong>" => Some(MY_WRONG),
            _ => None,
        };
        if let Some(password) = sha2 {
            let nonce = unhex(f["challenge"].as_str().expect("nonce"));
            assert_eq!(nonce.len(), 20, "{f:#}");
            assert_eq!(
                f["secret"],
                hex(&caching_sha2(password, &nonce)),
                "{}: {f:#}",
                e.secret
            );
            f["secret"] = Value::from(e.secret);
            continue;
        }
        let (password, label) = match e.secret {
            "<md5 right>" => (PG_MD5_PASS, e.secret),
            "<md5 wrong>" => (PG_WRONG, e.secret),
            "<native right>" | "<native right, switched>" => (MY_PASS, e.secret),
            "<native wrong>" => (MY_WRONG, e.secret),
            "<native new>" => (MY_NEW, e.secret),
            "<cram right>" => (MC_PASS, e.secret),
            "<cram wrong>" => (MC_WRONG, e.secret),
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
    // One connection per exchange (the 13th, the 18th and 21st to 30th give two findings
    // each: a login and a statement). The
    // kernel may give connections to two different servers the same source port: a
    // connection is its client port and its server's.
    let mut clients: Vec<(u64, u64)> = findings
        .iter()
        .filter_map(|f| Some((f["client"]["port"].as_u64()?, f["server"]["port"].as_u64()?)))
        .collect();
    clients.sort_unstable();
    clients.dedup();
    assert_eq!(
        clients.len(),
        findings.len() - 12,
        "one client port per exchange"
    );

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_db: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}
