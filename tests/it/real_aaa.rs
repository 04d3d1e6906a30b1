//! Real RADIUS and SIP servers and clients: `tests/e2e/real-aaa.sh` runs FreeRADIUS and
//! Kamailio on 127.0.0.1, logs in with `radtest` (PAP, CHAP, MS-CHAP, EAP-MD5, each with
//! the right and a wrong password) and `sipsak` (REGISTER and OPTIONS with Digest over UDP,
//! OPTIONS over TCP), and captures lo with tcpdump. plainsight must report each login
//! exactly once, with the right user and outcome, and a secret that the password (and for
//! PAP the shared secret) reproduces: every response is recomputed here from the
//! passwords the script used, independently of the dissectors.
//!
//! The expected findings are written from what the script does (its header lists the same
//! exchanges), not from plainsight's output; only the servers' ports (free ports the script
//! picked) come from the run, and the clients' ephemeral ports are normalised to 0.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test` (freeradius,
//! freeradius-utils, tcpdump; kamailio and sipsak for the SIP half, which is skipped with
//! a message when they are missing); otherwise the test says why on standard error and
//! passes.

use std::process::Command;
use std::time::Instant;

use des::cipher::{BlockCipherEncrypt, KeyInit};
use md4::Md4;
use md5::{Digest, Md5};
use serde_json::Value;

use crate::support::{Expect, assert_findings, find_program, is_root, leak, repo, scan, unhex};

// The same values as in tests/e2e/real-aaa.sh.
const RAD_USER: &str = "alice";
const RAD_PASS: &str = "R4dius-Pa55!";
const RAD_WRONG: &str = "radius-wr0ng";
const RAD_SECRET: &str = "Sh4red-s3cret";
const SIP_USER: &str = "bob";
const SIP_PASS: &str = "S1p-Secret";
const SIP_WRONG: &str = "s1p-wr0ng";
const SIP_REALM: &str = "plainsight.test";

const REQUIRED: &[&str] = &[
    "bash",
    "tcpdump",
    "freeradius",
    "radtest",
    "radclient",
    "radeapclient",
    "ss",
];
const REQUIRED_SIP: &[&str] = &["kamailio", "sipsak"];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn md5(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

fn md5_hex(s: &str) -> String {
    hex(&md5(&[s.as_bytes()]))
}

/// RFC 2865 section 5.2 undone with the shared secret.
fn pap_reveal(hidden: &[u8], authenticator: &[u8], secret: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev = authenticator.to_vec();
    for block in hidden.chunks(16) {
        let pad = md5(&[secret, &prev]);
        out.extend(block.iter().zip(&pad).map(|(c, p)| c ^ p));
        prev = block.to_vec();
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// MS-CHAP's ChallengeResponse (RFC 2433/2759): DES of the challenge under the NT hash.
fn mschap_nt_response(password: &str, challenge: &[u8; 8]) -> Vec<u8> {
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut z = Md4::digest(&utf16).to_vec();
    z.resize(21, 0);
    z.chunks(7)
        .flat_map(|k| {
            let key = [
                k[0],
                k[0] << 7 | k[1] >> 1,
                k[1] << 6 | k[2] >> 2,
                k[2] << 5 | k[3] >> 3,
                k[3] << 4 | k[4] >> 4,
                k[4] << 3 | k[5] >> 5,
                k[5] << 2 | k[6] >> 6,
                k[6] << 1,
            ];
            let mut block = (*challenge).into();
            des::Des::new(&key.into()).encrypt_block(&mut block);
            <[u8; 8]>::from(block)
        })
        .collect()
}

/// Which of `candidates` reproduces finding `f`'s secret (recomputed here), or why none.
fn password_of(f: &Value, candidates: &[&'static str]) -> Result<&'static str, String> {
    let secret = f["secret"].as_str().unwrap_or_default();
    let line = f["hashcat"]["hash"].as_str().unwrap_or_default();
    let found = match f["mechanism"].as_str().unwrap_or_default() {
        "PAP" => {
            let shown = pap_reveal(
                &unhex(secret),
                &unhex(f["challenge"].as_str().unwrap_or_default()),
                RAD_SECRET.as_bytes(),
            );
            candidates.iter().find(|p| p.as_bytes() == shown)
        }
        "CHAP" | "EAP-MD5" => {
            // response:challenge:ident (hashcat 4800); the secret is ident + response.
            let p: Vec<&str> = line.split(':').collect();
            if p.len() != 3 || secret != format!("{}{}", p[2], p[0]) {
                return Err(format!("line {line:?} and secret {secret:?} disagree"));
            }
            candidates
                .iter()
                .find(|pw| hex(&md5(&[&unhex(p[2]), pw.as_bytes(), &unhex(p[1])])) == p[0])
        }
        "MS-CHAP" => {
            // user::::NT:challenge (hashcat 5500).
            let p: Vec<&str> = line.split(':').collect();
            if p.len() != 6 || p[4] != secret {
                return Err(format!("line {line:?} and secret {secret:?} disagree"));
            }
            let challenge: [u8; 8] = unhex(p[5]).try_into().map_err(|_| line.to_string())?;
            candidates
                .iter()
                .find(|pw| hex(&mschap_nt_response(pw, &challenge)) == secret)
        }
        "Digest" => {
            let d = &f["details"];
            let (method, uri) = (
                d["method"].as_str().unwrap_or_default(),
                d["uri"].as_str().unwrap_or_default(),
            );
            let nonce = f["challenge"].as_str().unwrap_or_default();
            let user = f["username"].as_str().unwrap_or_default();
            let fields: Vec<&str> = line.split('*').collect();
            if fields.len() != 15 || fields[14] != secret {
                return Err(format!("line {line:?} and secret {secret:?} disagree"));
            }
            candidates.iter().find(|pw| {
                let ha1 = md5_hex(&format!("{user}:{SIP_REALM}:{pw}"));
                let ha2 = md5_hex(&format!("{method}:{uri}"));
                let want = if d["qop"] == "auth" {
                    md5_hex(&format!(
                        "{ha1}:{nonce}:{}:{}:auth:{ha2}",
                        fields[11], fields[10]
                    ))
                } else {
                    md5_hex(&format!("{ha1}:{nonce}:{ha2}"))
                };
                want == secret
            })
        }
        other => return Err(format!("unexpected mechanism {other}")),
    };
    found
        .copied()
        .ok_or_else(|| format!("no password reproduces {f}"))
}

/// The finding with the client port zeroed and the secret replaced by the password that
/// reproduces it.
fn normalised(f: &Value) -> Value {
    let candidates: &[&'static str] = if f["protocol"] == "sip" {
        &[SIP_PASS, SIP_WRONG]
    } else {
        &[RAD_PASS, RAD_WRONG]
    };
    let mut n = f.clone();
    n["client"]["port"] = Value::from(0);
    n["secret"] = Value::from(password_of(f, candidates).unwrap_or_else(|why| panic!("{why}")));
    n
}

fn expected(radius_port: u16, sip_port: Option<u16>) -> Vec<Expect> {
    let client = "127.0.0.1:0";
    let radius = Expect {
        protocol: "radius",
        kind: "challenge-response",
        client,
        server: leak(format!("127.0.0.1:{radius_port}")),
        username: Some(RAD_USER),
        ..Expect::default()
    };
    let mut want = Vec::new();
    // 1-8: each mechanism with the right password (Access-Accept), then a wrong one.
    for mechanism in ["PAP", "CHAP", "MS-CHAP", "EAP-MD5"] {
        want.push(Expect {
            mechanism,
            secret: RAD_PASS,
            outcome: "success",
            ..radius.clone()
        });
        want.push(Expect {
            mechanism,
            secret: RAD_WRONG,
            outcome: "failure",
            ..radius.clone()
        });
    }
    if let Some(port) = sip_port {
        let sip = Expect {
            protocol: "sip",
            mechanism: "Digest",
            kind: "challenge-response",
            client,
            server: leak(format!("127.0.0.1:{port}")),
            username: Some(SIP_USER),
            ..Expect::default()
        };
        // 9 REGISTER over UDP: 200. 10 OPTIONS, wrong password: 403. 11 OPTIONS over
        // TCP: 200.
        want.push(Expect {
            secret: SIP_PASS,
            outcome: "success",
            ..sip.clone()
        });
        want.push(Expect {
            secret: SIP_WRONG,
            outcome: "failure",
            ..sip.clone()
        });
        want.push(Expect {
            secret: SIP_PASS,
            outcome: "success",
            ..sip
        });
    }
    want
}

#[test]
fn real_radius_and_sip_every_login_reported_once() {
    if !is_root() {
        eprintln!("real_aaa: SKIPPED: needs root (tcpdump on lo, daemons)");
        return;
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "real_aaa: SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }
    let sip_missing: Vec<&str> = REQUIRED_SIP
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !sip_missing.is_empty() {
        eprintln!(
            "real_aaa: SIP half SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            sip_missing.join(", ")
        );
    }

    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("plainsight-real-aaa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join("real-aaa.pcap");
    let out = Command::new(find_program("bash").expect("bash"))
        .arg(repo().join("tests/e2e/real-aaa.sh"))
        .arg(&pcap)
        .env("AAA_SIP", if sip_missing.is_empty() { "1" } else { "0" })
        .output()
        .expect("run tests/e2e/real-aaa.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        out.status.success(),
        "real-aaa.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );

    // "ports radius=<port> sip=<port|none>"
    let ports = stdout
        .lines()
        .find_map(|l| l.strip_prefix("ports "))
        .unwrap_or_else(|| panic!("no ports line from the script: {stdout}"));
    let port = |name: &str| -> Option<u16> {
        ports
            .split(' ')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    };
    let radius_port = port("radius").unwrap_or_else(|| panic!("no radius port in {ports:?}"));
    let sip_port = port("sip");
    assert_eq!(sip_port.is_some(), sip_missing.is_empty(), "{ports}");

    eprintln!("real_aaa: capture {}", pcap.display());
    let (findings, code, scan_stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "plainsight exit status\n{scan_stderr}");
    for f in &findings {
        assert_eq!(f["client"]["ip"], "127.0.0.1", "{f:#}");
        assert_ne!(f["client"]["port"], f["server"]["port"], "{f:#}");
    }
    let normalised: Vec<Value> = findings.iter().map(normalised).collect();
    let want = expected(radius_port, sip_port);
    assert_findings("real radius/sip", &normalised, &want);

    // The exchanges happened one after another, each from its own client port.
    let mut sorted: Vec<&Value> = normalised.iter().collect();
    sorted.sort_by_key(|f| f["timestamp"].as_str().unwrap_or("").to_string());
    for (i, (f, e)) in sorted.iter().zip(&want).enumerate() {
        if let Some(why) = e.mismatch(f) {
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
    assert_eq!(clients.len(), findings.len(), "one client port per login");

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_aaa: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}
