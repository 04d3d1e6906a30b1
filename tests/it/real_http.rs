//! A real web server and a real client: `tests/e2e/real-http.sh` runs lighttpd (Basic and
//! Digest through mod_auth, a CGI form login, the same over TLS, a 4 MB download followed
//! by a login on the same connection, a SOAP service behind WS-Security) on the loopback
//! interface of a network namespace, drives curl (and python-zeep for SOAP) against it, and captures the loopback traffic with
//! tcpdump. plainsight must report every login exactly once, with the right user, secret,
//! mechanism and outcome, and nothing for the TLS request.
//!
//! The expected findings are written from what the script does (its header lists the same
//! requests in the same order). The only values known at run time are those of curl's
//! Digest answer (server nonce, client nonce), which the script prints from curl's own
//! log; the response is recomputed here from the password. So are the UsernameToken
//! digests, from the nonce and creation time of each finding.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test` (lighttpd,
//! lighttpd-mod-openssl, curl, tcpdump, openssl, python3-zeep); otherwise the test says why on standard
//! error and passes.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use md5::{Digest, Md5};
use serde_json::Value;

use crate::support::{
    Expect, assert_findings, find_program, is_root, leak, repo, scan, without_client_port,
};

// The same values as in tests/e2e/real-http.sh.
const USER: &str = "alice";
const PASS: &str = "Corr3ct-Horse!9";
const WRONG: &str = "http-Wr0ng";
const REALM: &str = "plainsight e2e";
const DL_USER: &str = "bob";
const DL_PASS: &str = "Aft3r-4MB!dl";

const REQUIRED: &[&str] = &[
    "ip", "tcpdump", "lighttpd", "curl", "openssl", "ss", "bash", "python3",
];
const LIGHTTPD_MODULES: &[&str] = &["mod_auth", "mod_authn_file", "mod_cgi", "mod_openssl"];

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `name="value", name=value, ...` as curl writes an Authorization: Digest value.
fn digest_params(v: &str) -> Vec<(String, String)> {
    v.split(", ")
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

/// A UsernameToken digest's secret replaced by the password it was made from (checked:
/// `Base64(SHA-1(nonce + created + password))`), so that it can be expected; its hashcat
/// line checked to carry the same digest and salt (mode 120, `--hex-salt`).
fn label_token_digest(mut f: Value) -> Value {
    use base64::Engine as _;
    if f["mechanism"] != "UsernameToken PasswordDigest" {
        return f;
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let nonce = b64
        .decode(f["challenge"].as_str().expect("nonce"))
        .expect("base64 nonce");
    let created = f["details"]["created"]
        .as_str()
        .expect("created")
        .to_string();
    let digest = |password: &str| {
        b64.encode(
            sha1::Sha1::new()
                .chain_update(&nonce)
                .chain_update(&created)
                .chain_update(password)
                .finalize(),
        )
    };
    let secret = f["secret"].as_str().expect("secret").to_string();
    let line = format!(
        "{}:{}{}",
        crate::support::hex(&b64.decode(&secret).expect("base64 digest")),
        crate::support::hex(&nonce),
        crate::support::hex(created.as_bytes())
    );
    assert_eq!(f["hashcat"]["hash"], line, "{f:#}");
    assert_eq!(f["hashcat"]["mode"], 120, "{f:#}");
    assert_eq!(f["hashcat"]["options"], "--hex-salt", "{f:#}");
    f.as_object_mut().expect("object").remove("hashcat");
    let label = if secret == digest(PASS) {
        "<digest of the password>"
    } else if secret == digest(WRONG) {
        "<digest of the wrong password>"
    } else {
        panic!("a digest of neither password: {f:#}")
    };
    f["secret"] = Value::from(label);
    f
}

#[test]
fn real_http_every_login_reported_once() {
    if !is_root() {
        eprintln!("real_http: SKIPPED: needs root (a network namespace, a web server on port 80)");
        return;
    }
    let mut missing: Vec<String> = REQUIRED
        .iter()
        .filter(|p| find_program(p).is_none())
        .map(|p| p.to_string())
        .collect();
    missing.extend(
        LIGHTTPD_MODULES
            .iter()
            .filter(|m| !Path::new(&format!("/usr/lib/lighttpd/{m}.so")).is_file())
            .map(|m| format!("lighttpd {m}")),
    );
    let zeep = Command::new("/usr/bin/python3")
        .args(["-c", "import zeep"])
        .status()
        .is_ok_and(|s| s.success());
    if !zeep {
        missing.push("python3-zeep".to_string());
    }
    if !missing.is_empty() {
        eprintln!(
            "real_http: SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }

    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("plainsight-real-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join("real-http.pcap");
    let out = Command::new(find_program("bash").expect("bash"))
        .arg(repo().join("tests/e2e/real-http.sh"))
        .arg(&pcap)
        .output()
        .expect("run tests/e2e/real-http.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        out.status.success(),
        "real-http.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    eprintln!(
        "real_http: traffic captured in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // What curl saw: the outcomes below rest on these statuses.
    let statuses: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("truth "))
        .filter(|l| !l.starts_with("digest "))
        .collect();
    assert_eq!(
        statuses,
        [
            "1 200", "2 401", "3 302", "4 403", "5 200", "6 200", "7 200", "8 401", "9 200 0",
            "10 200", "11 401", "12 200", "13 400"
        ],
        "{stdout}"
    );

    // curl's Digest answer: its response must be the one of the password.
    let header = stdout
        .lines()
        .find_map(|l| l.strip_prefix("truth digest "))
        .unwrap_or_else(|| panic!("the script logged no Digest header: {stdout}"));
    let params = digest_params(header);
    let get = |k: &str| -> &'static str {
        let v = params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k} in {header}"));
        leak(v)
    };
    let (nonce, cnonce, nc, uri, qop) = (
        get("nonce"),
        get("cnonce"),
        get("nc"),
        get("uri"),
        get("qop"),
    );
    assert_eq!((get("username"), get("realm"), qop), (USER, REALM, "auth"));
    let ha1 = md5_hex(&format!("{USER}:{REALM}:{PASS}"));
    let ha2 = md5_hex(&format!("GET:{uri}"));
    let response = leak(md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")));
    assert_eq!(
        response,
        get("response"),
        "curl's Digest response is not MD5 of the password"
    );

    let (findings, code, scan_stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "plainsight exit status\n{scan_stderr}");
    let web = Expect {
        protocol: "http",
        mechanism: "Basic",
        kind: "cleartext",
        client: "127.0.0.1:0",
        server: "127.0.0.1:80",
        username: Some(USER),
        ..Expect::default()
    };
    let form = Expect {
        mechanism: "POST form",
        server: "127.0.0.1:8081",
        ..web.clone()
    };
    // In the script's order.
    let expected = vec![
        Expect {
            secret: PASS,
            outcome: "success",
            ..web.clone()
        },
        Expect {
            secret: WRONG,
            outcome: "failure",
            ..web.clone()
        },
        Expect {
            secret: PASS,
            outcome: "success",
            ..form.clone()
        },
        Expect {
            secret: WRONG,
            outcome: "failure",
            ..form
        },
        Expect {
            mechanism: "Digest",
            kind: "challenge-response",
            secret: response,
            outcome: "success",
            challenge: Some(nonce),
            hashcat: Some((
                11400,
                leak(format!(
                    "$sip$***{USER}*{REALM}*GET**{uri}**{nonce}*{cnonce}*{nc}*auth*MD5*{response}"
                )),
            )),
            ..web.clone()
        },
        Expect {
            mechanism: "POST JSON",
            server: "127.0.0.1:8081",
            secret: PASS,
            outcome: "success",
            ..web.clone()
        },
        Expect {
            mechanism: "POST JSON",
            server: "127.0.0.1:8081",
            secret: WRONG,
            outcome: "failure",
            ..web.clone()
        },
        // After a 4 MB download on the same connection.
        Expect {
            username: Some(DL_USER),
            secret: DL_PASS,
            outcome: "success",
            ..web.clone()
        },
        // WS-Security: digests (checked apart, then labelled), then text.
        Expect {
            mechanism: "UsernameToken PasswordDigest",
            kind: "challenge-response",
            server: "127.0.0.1:8081",
            secret: "<digest of the password>",
            outcome: "success",
            ..web.clone()
        },
        Expect {
            mechanism: "UsernameToken PasswordDigest",
            kind: "challenge-response",
            server: "127.0.0.1:8081",
            secret: "<digest of the wrong password>",
            outcome: "failure",
            ..web.clone()
        },
        Expect {
            mechanism: "UsernameToken PasswordText",
            server: "127.0.0.1:8081",
            secret: PASS,
            outcome: "success",
            ..web.clone()
        },
        Expect {
            mechanism: "UsernameToken PasswordText",
            server: "127.0.0.1:8081",
            secret: WRONG,
            outcome: "failure",
            ..web
        },
    ];
    for f in &findings {
        assert_eq!(f["client"]["ip"], "127.0.0.1", "{f:#}");
        assert_ne!(f["server"]["port"], 443, "a finding inside TLS: {f:#}");
    }
    let normalised: Vec<Value> = findings
        .iter()
        .map(without_client_port)
        .map(label_token_digest)
        .collect();
    assert_findings("real http", &normalised, &expected);

    // One connection per request, in time order.
    let mut sorted: Vec<&Value> = findings.iter().collect();
    sorted.sort_by_key(|f| f["timestamp"].as_str().unwrap_or("").to_string());
    for (i, (f, e)) in sorted.iter().zip(&expected).enumerate() {
        if let Some(why) = e.mismatch(&label_token_digest(without_client_port(f))) {
            panic!(
                "finding #{} in time order is not request #{}: {why}\n{f:#}",
                i + 1,
                i + 1
            );
        }
    }
    let mut ports: Vec<u64> = findings
        .iter()
        .filter_map(|f| f["client"]["port"].as_u64())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), findings.len(), "one connection per login");

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_http: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}
