//! Real captures from other projects (`../shared/fixtures/third-party/`, not in this
//! repository): every credential their MANIFEST.toml lists for the protocols plainsight
//! covers must be found with its exact fields, and nothing else may be reported. Skipped
//! (with a message) when the folder is absent.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{repo, scan};

/// Protocols whose captures are checked (the manifest's `protocol` of a capture), and whose
/// expected findings are (`ldap-ntlm`: LDAP with an NTLM mechanism).
const COVERED: &[&str] = &[
    "ftp",
    "pop3",
    "telnet",
    "imap",
    "smtp",
    "ldap",
    "ldap-ntlm",
    "snmp",
    "http",
    "http-ntlm",
];

fn third_party() -> Option<PathBuf> {
    let dir = repo().join("../shared/fixtures/third-party");
    dir.join("MANIFEST.toml").is_file().then_some(dir)
}

fn s<'a>(v: &'a toml::Value, k: &str) -> &'a str {
    v.get(k).and_then(toml::Value::as_str).unwrap_or("")
}

fn endpoint(v: &Value) -> (String, u64) {
    (
        v["ip"].as_str().unwrap_or_default().to_string(),
        v["port"].as_u64().unwrap_or_default(),
    )
}

/// Whether finding `f` is the manifest's entry `e`.
fn matches(e: &toml::Value, f: &Value) -> Result<(), String> {
    let mut why = Vec::new();
    // "http-ntlm" and the like: the protocol, with an NTLM mechanism.
    let (protocol, ntlm) = match s(e, "protocol").strip_suffix("-ntlm") {
        Some(p) => (p, true),
        None => (s(e, "protocol"), false),
    };
    if f["protocol"] != protocol {
        why.push(format!("protocol {} != {protocol}", f["protocol"]));
    }
    if ntlm && !f["mechanism"].as_str().unwrap_or("").contains("NTLM") {
        why.push(format!("mechanism {} is not NTLM", f["mechanism"]));
    }
    let port = |k: &str| e.get(k).and_then(toml::Value::as_integer).unwrap_or(-1) as u64;
    if endpoint(&f["client"]) != (s(e, "client_ip").to_string(), port("client_port")) {
        why.push(format!("client {:?}", endpoint(&f["client"])));
    }
    if endpoint(&f["server"]) != (s(e, "server_ip").to_string(), port("server_port")) {
        why.push(format!("server {:?}", endpoint(&f["server"])));
    }
    let user = s(e, "username");
    let got_user = f.get("username").and_then(Value::as_str).unwrap_or("");
    if got_user != user {
        why.push(format!("username {got_user:?} != {user:?}"));
    }
    // The secret: the password, the community or token, or the response of a
    // challenge-response (the NT response for NTLM); some entries only give a hash.
    let secret = match s(e, "kind") {
        "plaintext" => Some(s(e, "password")),
        "challenge-response" => ["response", "nt_response"]
            .iter()
            .find_map(|k| e.get(*k).and_then(toml::Value::as_str)),
        _ => Some(s(e, "secret")),
    };
    let got_secret = f.get("secret").and_then(Value::as_str).unwrap_or("");
    if let Some(secret) = secret
        && got_secret != secret
    {
        why.push(format!("secret {got_secret:?} != {secret:?}"));
    }
    if s(e, "hash_format").starts_with("hashcat")
        && f["hashcat"]["hash"].as_str() != e.get("hash").and_then(toml::Value::as_str)
    {
        why.push(format!("hashcat {} != {}", f["hashcat"], s(e, "hash")));
    }
    if let Some(domain) = e.get("domain").and_then(toml::Value::as_str)
        && f["domain"] != domain
    {
        why.push(format!("domain {} != {domain}", f["domain"]));
    }
    let want_kind = match s(e, "kind") {
        "plaintext" => "cleartext",
        "community" => "cleartext",
        other => other,
    };
    if f["kind"] != want_kind {
        why.push(format!("kind {} != {want_kind}", f["kind"]));
    }
    if f["outcome"] != s(e, "auth_result") {
        why.push(format!(
            "outcome {} != {}",
            f["outcome"],
            s(e, "auth_result")
        ));
    }
    if let Some(ch) = e.get("challenge").and_then(toml::Value::as_str)
        && f["challenge"] != ch
    {
        why.push(format!("challenge {} != {ch}", f["challenge"]));
    }
    if let Some(frame) = e.get("frame").and_then(toml::Value::as_integer) {
        let frames = f["frames"].as_array().cloned().unwrap_or_default();
        if !frames.iter().any(|x| x.as_i64() == Some(frame)) {
            why.push(format!("frames {frames:?} lack {frame}"));
        }
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join("; "))
    }
}

#[test]
fn third_party_captures_give_their_expected_findings() {
    let Some(dir) = third_party() else {
        eprintln!("skipped: ../shared/fixtures/third-party is not here");
        return;
    };
    let text = std::fs::read_to_string(dir.join("MANIFEST.toml")).expect("manifest");
    let manifest: toml::Value = toml::from_str(&text).expect("manifest parses");
    let captures = manifest["capture"].as_array().expect("captures");
    let mut checked = 0;
    let mut failures = Vec::new();
    for cap in captures {
        let path = s(cap, "path");
        let negative = path.starts_with("negative/");
        if !negative && !COVERED.contains(&s(cap, "protocol")) {
            continue;
        }
        checked += 1;
        let (findings, _code, stderr) = scan(&[&dir.join(path)]);
        let expected = cap["expected"].as_array().cloned().unwrap_or_default();
        let mut left: Vec<&Value> = findings.iter().collect();
        for e in &expected {
            let optional = e
                .get("optional")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false);
            if !COVERED.contains(&s(e, "protocol")) {
                continue; // e.g. telnet-ntlm, another issue's work
            }
            match left.iter().position(|f| matches(e, f).is_ok()) {
                Some(i) => {
                    left.remove(i);
                }
                None if optional => {}
                None => {
                    let why: Vec<String> =
                        left.iter().filter_map(|f| matches(e, f).err()).collect();
                    failures.push(format!(
                        "{path}: missing {e}\n  closest: {why:?}\n  stderr: {stderr}"
                    ));
                }
            }
        }
        for f in left {
            failures.push(format!("{path}: unexpected finding {f}"));
        }
    }
    assert!(checked >= 20, "only {checked} captures checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
