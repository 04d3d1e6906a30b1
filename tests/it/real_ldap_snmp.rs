//! Real LDAP and SNMP servers and clients: `tests/e2e/real-ldap-snmp.sh` runs OpenLDAP's
//! slapd and net-snmp's snmpd on 127.0.0.1, binds with `ldapwhoami` (right password,
//! wrong password, anonymous), queries with `snmpget -v2c` (right community, wrong
//! community: snmpd drops it silently) and `snmpget -v3` (USM HMAC-SHA-96 with the right
//! and a wrong pass phrase, HMAC-SHA-256-192 with AES privacy; each HMAC is recomputed
//! here from the pass phrase), and captures lo with tcpdump. plainsight must
//! report each credential exactly once, with the right user, secret and outcome, and
//! nothing for the anonymous bind.
//!
//! Then passwords are written, in a second capture: `ldappasswd` (old and new password,
//! a wrong old password, a password slapd generates), an administrator's `ldapmodify`
//! reset and an `ldapadd` of an entry with a `{SSHA}` userPassword from `slappasswd`.
//! Each must be reported with the verdict slapd gave, the generated password as
//! `ldappasswd` printed it, and the hash checked against the password that made it.
//!
//! The expected findings are written from what the script does (its header lists the same
//! exchanges), not from plainsight's output; only the servers' ports (free ports the script
//! picked) come from the run, and the clients' ephemeral ports are normalised to 0.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test` (slapd, ldap-utils,
//! snmpd, snmp, tcpdump); otherwise the test says why on standard error and passes.

use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::support::{
    Expect, assert_findings, find_program, is_root, leak, repo, scan, unhex, without_client_port,
};

// The same values as in tests/e2e/real-ldap-snmp.sh.
const LDAP_DN: &str = "cn=alice,dc=example,dc=org";
const LDAP_PASS: &str = "Ld4p!Secret";
const LDAP_WRONG: &str = "ldap-Wr0ng";
const COMMUNITY: &str = "c0mmun1ty-RO";
const WRONG_COMMUNITY: &str = "wr0ng-community";
const V3_USER: &str = "v3alice";
const V3_PASS: &str = "Usm-Auth-Pass1";
const V3_WRONG: &str = "usm-Wr0ng-pass";
const V3_USER2: &str = "v3bob";
const V3_PASS2: &str = "Usm-Sha256-Pass2";
const ROOT_DN: &str = "cn=admin,dc=example,dc=org";
const ROOT_PASS: &str = "R00t-Ldap-Admin";
const LDAP_NEW: &str = "Ld4p-N3w!Secret";
const OLD_WRONG: &str = "not-the-0ld-pw";
const NEW_REFUSED: &str = "never-Set-2";
const BOB_DN: &str = "cn=bob,dc=example,dc=org";
const BOB_NEW: &str = "B0b-Reset-Pw";
const CAROL_DN: &str = "cn=carol,dc=example,dc=org";
const CAROL_PASS: &str = "C4rol-Hashed-Pw";

/// RFC 3414 appendix A.2 (RFC 7860 for SHA-2): a pass phrase stretched to 1 MiB and
/// hashed, then localised to the engine: H(Ku || engineID || Ku).
fn localized_key<D: sha2::Digest>(pass: &[u8], engine_id: &[u8]) -> Vec<u8> {
    let stretched: Vec<u8> = pass.iter().copied().cycle().take(1 << 20).collect();
    let ku = D::digest(&stretched);
    let mut h = D::new();
    h.update(&ku);
    h.update(engine_id);
    h.update(&ku);
    h.finalize().to_vec()
}

/// The HMAC of an SNMPv3 finding (`secret`) recomputed from the pass phrase over what it
/// covers (`challenge`), with the hash its length names.
fn usm_hmac_matches(f: &Value, pass: &str) -> bool {
    use hmac::{Hmac, KeyInit, Mac};
    let engine = unhex(f["details"]["engine_id"].as_str().unwrap_or(""));
    let message = unhex(f["challenge"].as_str().unwrap_or(""));
    let digest = unhex(f["secret"].as_str().unwrap_or(""));
    let mac = match digest.len() {
        12 => {
            let key = localized_key::<sha1::Sha1>(pass.as_bytes(), &engine);
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(&key).expect("key");
            m.update(&message);
            m.finalize().into_bytes()[..12].to_vec()
        }
        24 => {
            let key = localized_key::<sha2::Sha256>(pass.as_bytes(), &engine);
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
            m.update(&message);
            m.finalize().into_bytes()[..24].to_vec()
        }
        _ => return false,
    };
    mac == digest
}

const REQUIRED: &[&str] = &[
    "bash",
    "tcpdump",
    "slapd",
    "slapadd",
    "ldapwhoami",
    "ldappasswd",
    "ldapmodify",
    "ldapadd",
    "slappasswd",
    "snmpd",
    "snmpget",
    "ss",
];

fn expected(ldap_port: u16, snmp_port: u16) -> Vec<Expect> {
    let client = "127.0.0.1:0";
    let ldap = Expect {
        protocol: "ldap",
        mechanism: "simple bind",
        kind: "cleartext",
        client,
        server: leak(format!("127.0.0.1:{ldap_port}")),
        username: Some(LDAP_DN),
        ..Expect::default()
    };
    let snmp = Expect {
        protocol: "snmp",
        mechanism: "community",
        kind: "cleartext",
        client,
        server: leak(format!("127.0.0.1:{snmp_port}")),
        username: None,
        ..Expect::default()
    };
    vec![
        // 1 ldapwhoami, right password.
        Expect {
            secret: LDAP_PASS,
            outcome: "success",
            ..ldap.clone()
        },
        // 2 ldapwhoami, wrong password: invalidCredentials.
        Expect {
            secret: LDAP_WRONG,
            outcome: "failure",
            ..ldap
        },
        // 3 the anonymous bind: nothing. 4 snmpget, right community: answered.
        Expect {
            secret: COMMUNITY,
            outcome: "success",
            ..snmp.clone()
        },
        // 5 snmpget, wrong community: never answered.
        Expect {
            secret: WRONG_COMMUNITY,
            outcome: "unknown",
            ..snmp
        },
    ]
}

#[test]
fn real_ldap_and_snmp_every_credential_reported_once() {
    if !is_root() {
        eprintln!("real_ldap_snmp: SKIPPED: needs root (tcpdump on lo, daemons)");
        return;
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "real_ldap_snmp: SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }

    let started = Instant::now();
    let dir =
        std::env::temp_dir().join(format!("plainsight-real-ldap-snmp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join("real-ldap-snmp.pcap");
    let writes = dir.join("real-ldap-writes.pcap");
    let out = Command::new(find_program("bash").expect("bash"))
        .arg(repo().join("tests/e2e/real-ldap-snmp.sh"))
        .arg(&pcap)
        .arg(&writes)
        .output()
        .expect("run tests/e2e/real-ldap-snmp.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        out.status.success(),
        "real-ldap-snmp.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );

    // "ports ldap=<port> snmp=<port>"
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
    let (ldap_port, snmp_port) = (port("ldap"), port("snmp"));

    eprintln!("real_ldap_snmp: capture {}", pcap.display());
    let (findings, code, scan_stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "plainsight exit status\n{scan_stderr}");
    for f in &findings {
        assert_eq!(f["client"]["ip"], "127.0.0.1", "{f:#}");
        assert_ne!(f["client"]["port"], f["server"]["port"], "{f:#}");
    }
    // SNMPv3: each authenticated snmpget once, its HMAC made by the pass phrase used.
    let usm: Vec<&Value> = findings
        .iter()
        .filter(|f| f["mechanism"] == "USM")
        .collect();
    let got: Vec<(&str, &str, u64)> = usm
        .iter()
        .map(|f| {
            (
                f["username"].as_str().unwrap_or(""),
                f["outcome"].as_str().unwrap_or(""),
                f["hashcat"]["mode"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (V3_USER, "success", 25000),
            (V3_USER, "failure", 25000),
            (V3_USER2, "success", 26800),
        ],
        "{usm:#?}"
    );
    for (f, pass) in usm.iter().zip([V3_PASS, V3_WRONG, V3_PASS2]) {
        assert_eq!(f["kind"], "challenge-response", "{f:#}");
        assert!(
            usm_hmac_matches(f, pass),
            "HMAC not made by {pass:?}: {f:#}"
        );
        assert!(!usm_hmac_matches(f, "not-the-pass"), "{f:#}");
    }
    let findings: Vec<Value> = findings
        .iter()
        .filter(|f| f["mechanism"] != "USM")
        .cloned()
        .collect();
    let normalised: Vec<Value> = findings.iter().map(without_client_port).collect();
    let want = expected(ldap_port, snmp_port);
    assert_findings("real ldap/snmp", &normalised, &want);

    // The exchanges happened one after another, each on its own connection.
    let mut sorted: Vec<&Value> = findings.iter().collect();
    sorted.sort_by_key(|f| f["timestamp"].as_str().unwrap_or("").to_string());
    for (i, (f, e)) in sorted.iter().zip(&want).enumerate() {
        if let Some(why) = e.mismatch(&without_client_port(f)) {
            panic!(
                "finding #{} in time order is not the expected one: {why}\n{f:#}",
                i + 1
            );
        }
    }
    let mut clients: Vec<u64> = findings
        .iter()
        .filter_map(|f| f["client"]["port"].as_u64())
        .collect();
    clients.sort_unstable();
    clients.dedup();
    assert_eq!(
        clients.len(),
        findings.len(),
        "one client port per exchange"
    );

    check_writes(&stdout, &writes);

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_ldap_snmp: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}

/// The second capture: every password written, with slapd's verdict.
fn check_writes(stdout: &str, writes: &std::path::Path) {
    let printed = |key: &str| -> &str {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {key} line from the script: {stdout}"))
    };
    let (generated, carol_hash) = (printed("generated"), printed("carol_hash"));
    let (findings, code, stderr) = scan(&[writes]);
    assert_eq!(code, 1, "plainsight exit status\n{stderr}");
    let got: Vec<(&str, &str, &str, &str, &str)> = findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            let diagnostic = f["details"]["diagnostic"].as_str().unwrap_or("");
            (
                s("mechanism"),
                s("username"),
                s("secret"),
                s("outcome"),
                diagnostic,
            )
        })
        .collect();
    let (bind, old, new) = (
        "simple bind",
        "password modify (old password)",
        "password modify (new password)",
    );
    let refused = "unwilling to verify old password";
    assert_eq!(
        got,
        vec![
            // 9 bound with the old password, which the request gives again, then the new.
            (bind, LDAP_DN, LDAP_PASS, "success", ""),
            (new, LDAP_DN, LDAP_NEW, "success", ""),
            (old, LDAP_DN, LDAP_PASS, "success", ""),
            // 10 a wrong old password: slapd is unwilling to perform (53), which says
            // nothing of the old password's worth; the new one was not set.
            (bind, LDAP_DN, LDAP_NEW, "success", ""),
            (new, LDAP_DN, NEW_REFUSED, "failure", refused),
            (old, LDAP_DN, OLD_WRONG, "unknown", refused),
            // 11 generated by slapd, for the identity bound.
            (bind, LDAP_DN, LDAP_NEW, "success", ""),
            (
                "password modify (generated password)",
                LDAP_DN,
                generated,
                "success",
                ""
            ),
            // 12 and 13 the administrator, then what it wrote.
            (bind, ROOT_DN, ROOT_PASS, "success", ""),
            ("modify userPassword", BOB_DN, BOB_NEW, "success", ""),
            (bind, ROOT_DN, ROOT_PASS, "success", ""),
            ("add userPassword", CAROL_DN, carol_hash, "success", ""),
        ],
        "{findings:#?}"
    );
    let carol = findings.last().expect("carol");
    assert_eq!(carol["kind"], "challenge-response", "{carol:#}");
    assert_eq!(carol["details"]["scheme"], "SSHA", "{carol:#}");
    assert_eq!(carol["hashcat"]["mode"], 111, "{carol:#}");
    assert_eq!(carol["hashcat"]["hash"], carol_hash, "{carol:#}");
    // {SSHA}: base64 of SHA-1(password + salt) then the salt.
    let ssha_of = |password: &str| {
        use base64::Engine as _;
        use sha1::Digest as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(carol_hash.trim_start_matches("{SSHA}"))
            .expect("base64");
        let (digest, salt) = raw.split_at(20);
        let mut h = sha1::Sha1::new();
        h.update(password.as_bytes());
        h.update(salt);
        h.finalize().as_slice() == digest
    };
    assert!(ssha_of(CAROL_PASS), "{carol_hash} is not {CAROL_PASS:?}");
    assert!(!ssha_of("C4rol-Hashed-Px"), "{carol_hash}");
    for f in &findings {
        let client_port = f["client"]["port"].as_u64().unwrap_or(0);
        assert!(client_port > 0, "{f:#}");
    }
}
