//! The views for people and the audit summary: snapshots of the terminal lines, the
//! classroom view and the summary on fixtures (colour forced on and off), secrets never
//! shown without --reveal, --dedup, strength, completions, the manual page and errors.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use plainsight::synth::{SynthPacket, TcpConversation, ethernet_pcap};
use plainsight::timestamp::Timestamp;

use crate::support::{bin, fixture, repo, run, scan};

/// Runs plainsight; stdout and stderr as text.
fn out(args: &[&str]) -> (String, String, i32) {
    let o = run(args);
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code().unwrap_or(-1),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Colour sequences made visible in snapshots.
fn visible(s: &str) -> String {
    s.replace('\x1b', "␛")
}

/// The summary with what depends on the machine (time taken, rate) replaced.
fn steady(summary: &str) -> String {
    let re = regex::Regex::new(r"in \d+\.\d\ds( \([0-9.]+ [KMG]?B/s\))?").unwrap();
    re.replace_all(summary, "in <elapsed>").into_owned()
}

#[test]
fn text_view() {
    let demo = fixture("demo.pcap");
    let (plain, _, code) = out(&[
        "scan",
        "-q",
        "--format",
        "text",
        "--color",
        "never",
        path(&demo),
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("text_redacted_plain", plain);
    let (revealed, _, _) = out(&[
        "scan",
        "-q",
        "--format",
        "text",
        "--color",
        "never",
        "--reveal",
        path(&demo),
    ]);
    insta::assert_snapshot!("text_revealed_plain", revealed);
    let (coloured, _, _) = out(&[
        "scan",
        "-q",
        "--format",
        "text",
        "--color",
        "always",
        path(&demo),
    ]);
    assert!(coloured.contains('\x1b'));
    assert_eq!(plainsight::output::style::strip(&coloured), plain);
    insta::assert_snapshot!("text_redacted_colour", visible(&coloured));
}

#[test]
fn explain_view() {
    let demo = fixture("demo.pcap");
    let (plain, _, _) = out(&[
        "scan",
        "-q",
        "--format",
        "explain",
        "--color",
        "never",
        path(&demo),
    ]);
    insta::assert_snapshot!("explain_demo_redacted_plain", plain);
    let (coloured, _, _) = out(&[
        "scan",
        "-q",
        "--format",
        "explain",
        "--color",
        "always",
        "--reveal",
        path(&demo),
    ]);
    insta::assert_snapshot!("explain_demo_revealed_colour", visible(&coloured));
    // Encoded forms: base64 tokens (SASL), pipelined requests sharing a packet (HTTP
    // Basic), a response in binary and a user name in UTF-16 (NTLM over LDAP).
    for name in [
        "pop3-sasl",
        "http-basic",
        "ldap-ntlm",
        "imap-login",
        "snmp-v1-get",
    ] {
        let f = fixture(&format!("{name}.pcap"));
        let (text, _, _) = out(&[
            "scan",
            "-q",
            "--format",
            "explain",
            "--color",
            "never",
            path(&f),
        ]);
        insta::assert_snapshot!(format!("explain_{name}_redacted_plain"), text);
    }
}

#[test]
fn summary_text_and_json() {
    let demo = fixture("demo.pcap");
    let (_, plain, _) = out(&["scan", "--format", "jsonl", "--color", "never", path(&demo)]);
    insta::assert_snapshot!("summary_demo_plain", steady(&plain));
    let (_, coloured, _) = out(&[
        "scan",
        "--format",
        "jsonl",
        "--color",
        "always",
        path(&demo),
    ]);
    insta::assert_snapshot!("summary_demo_colour", visible(&steady(&coloured)));
    let (_, json, _) = out(&[
        "scan",
        "--format",
        "jsonl",
        "--summary",
        "json",
        path(&demo),
    ]);
    let mut doc: Value = serde_json::from_str(json.trim()).expect("one JSON document");
    assert!(doc["elapsed_seconds"].is_number());
    assert!(doc["throughput_bytes_per_second"].is_number());
    doc["elapsed_seconds"] = Value::from("<elapsed>");
    doc["throughput_bytes_per_second"] = Value::from("<rate>");
    insta::assert_snapshot!(
        "summary_demo_json",
        serde_json::to_string_pretty(&doc).unwrap()
    );
    let (_, none, _) = out(&[
        "scan",
        "--format",
        "jsonl",
        "--summary",
        "none",
        path(&demo),
    ]);
    assert!(none.is_empty(), "{none}");
}

/// The JSON summary agrees with the findings of the same scan, on every fixture.
#[test]
fn summary_json_counts_agree_with_the_findings() {
    for capture in fixtures() {
        let o = Command::new(bin())
            .args(["scan", "--format", "jsonl", "--reveal", "--summary", "json"])
            .arg(&capture)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let doc_line = stderr
            .lines()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("{}: no JSON summary in {stderr}", capture.display()));
        let doc: Value = serde_json::from_str(doc_line).unwrap();
        assert_eq!(doc["schema"], "plainsight-summary/1");
        let findings: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            doc["findings"],
            findings.len() as u64,
            "{}",
            capture.display()
        );
        let mut per: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for f in &findings {
            let e = per
                .entry(f["protocol"].as_str().unwrap().to_string())
                .or_default();
            e.0 += 1;
            e.1 += u64::from(f["kind"] == "cleartext");
        }
        for (protocol, (logins, cleartext)) in &per {
            let row = doc["protocols"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["protocol"] == protocol.as_str())
                .unwrap_or_else(|| panic!("{}: no row for {protocol}", capture.display()));
            assert_eq!(row["logins"], *logins, "{}", capture.display());
            assert_eq!(row["cleartext"], *cleartext, "{}", capture.display());
        }
        // Servers that took cleartext logins: user names, never secrets.
        let listed = serde_json::to_string(&doc["cleartext_servers"]).unwrap();
        for f in findings.iter().filter(|f| f["kind"] == "cleartext") {
            if let Some(user) = f["username"].as_str() {
                assert!(
                    listed.contains(&serde_json::to_string(user).unwrap()),
                    "{}: {user} not listed",
                    capture.display()
                );
            }
            let secret = f["secret"].as_str().unwrap_or_default();
            if secret.len() >= 4 && f["username"].as_str() != Some(secret) {
                assert!(
                    !listed.contains(secret),
                    "{}: secret in summary",
                    capture.display()
                );
            }
        }
        assert!(doc["counters"]["tcp_gaps"].is_u64());
    }
}

fn fixtures() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(repo().join("fixtures"))
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    all.sort();
    all
}

/// The hex digits and the ASCII of every dump line, each run together.
fn dump_columns(text: &str) -> (String, String) {
    let (mut hex, mut ascii) = (String::new(), String::new());
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("\t0x") else {
            continue;
        };
        let Some((_, body)) = rest.split_once(":  ") else {
            continue;
        };
        let (h, a) = body.split_at(body.len().min(39));
        hex.push_str(&h.replace(' ', ""));
        ascii.push_str(a.get(2..).unwrap_or_default());
    }
    (hex, ascii)
}

/// The terminal line and the classroom view never show a secret without --reveal: not
/// as text, not in a dump's hex or ASCII columns, in base64 neither (every fixture).
#[test]
fn views_never_show_a_secret_without_reveal() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for capture in fixtures() {
        let (findings, _, _) = scan(&[&capture]);
        let secrets: Vec<String> = findings
            .iter()
            .filter_map(|f| f["secret"].as_str().map(str::to_string))
            .filter(|s| s.len() >= 5)
            .collect();
        for format in ["text", "explain"] {
            for color in ["never", "always"] {
                let (text, _, _) = out(&[
                    "scan",
                    "-q",
                    "--format",
                    format,
                    "--color",
                    color,
                    path(&capture),
                ]);
                // The file's name is no secret (ftp-reordered.pcap's password is "reordered").
                let name = capture.file_name().unwrap().to_string_lossy();
                let text =
                    plainsight::output::style::strip(&text).replace(name.as_ref(), "<source>");
                let (hex, ascii) = dump_columns(&text);
                for s in &secrets {
                    let what = format!("{} {format} {color}: {s}", capture.display());
                    // The views' own words ("secret: found ...") are not the secret.
                    let words = ["secret", "password", "response", "token"];
                    if !words.contains(&s.as_str()) {
                        assert!(!text.contains(s.as_str()), "{what} shown");
                    }
                    assert!(!ascii.contains(s.as_str()), "{what} in a dump");
                    let h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                    assert!(!hex.contains(&h), "{what} in hex");
                    let encoded = b64.encode(s);
                    assert!(
                        !text.contains(&encoded[..encoded.len() - 4]),
                        "{what} in base64"
                    );
                }
            }
        }
    }
}

/// The classroom view keeps packets for every finding: it reports exactly the findings of
/// the JSON Lines (a finding per header), on every fixture.
#[test]
fn explain_reports_every_finding() {
    for capture in fixtures() {
        let (findings, _, _) = scan(&[&capture]);
        let (text, _, _) = out(&[
            "scan",
            "-q",
            "--format",
            "explain",
            "--no-dedup",
            "--color",
            "never",
            path(&capture),
        ]);
        let headers = text.lines().filter(|l| l.starts_with('#')).count();
        assert_eq!(headers, findings.len(), "{}", capture.display());
        if !findings.is_empty() {
            assert!(text.contains("Use instead:"), "{}", capture.display());
        }
    }
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// FTP logins: (client, start second, user, password, accepted).
fn ftp_capture(logins: &[(&str, i64, &str, &str, bool)]) -> Vec<u8> {
    let mut packets: Vec<SynthPacket> = Vec::new();
    for (client, start, user, pass, ok) in logins {
        let mut c = TcpConversation::new(sa(client), sa("10.44.0.1:21"))
            .without_acks()
            .starting_at(Timestamp::new(1_700_000_000 + start, 0));
        c.handshake();
        c.server(b"220 ready\r\n");
        c.client(format!("USER {user}\r\n").as_bytes());
        c.server(b"331 password\r\n");
        c.client(format!("PASS {pass}\r\n").as_bytes());
        c.server(if *ok { b"230 in\r\n" } else { b"530 no\r\n" });
        c.close();
        packets.extend(c.into_packets());
    }
    packets.sort_by_key(|p| p.ts);
    ethernet_pcap(&packets)
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plainsight-output-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn dedup_collapses_repeats_with_counts() {
    let capture = temp(
        "repeats.pcap",
        &ftp_capture(&[
            ("10.44.0.5:40001", 0, "backup", "Nightly!1", false),
            ("10.44.0.5:40002", 300, "backup", "Nightly!1", true),
            ("10.44.0.6:40003", 600, "backup", "Nightly!1", true),
            ("10.44.0.5:40004", 900, "alice", "other-pw", true),
        ]),
    );
    // JSON Lines: one finding per login by default.
    let (findings, _, _) = scan(&[&capture]);
    assert_eq!(findings.len(), 4);
    assert!(findings.iter().all(|f| f.get("count").is_none()));
    let (jsonl, stderr, _) = out(&["scan", "--format", "jsonl", "--dedup", path(&capture)]);
    let merged: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(merged.len(), 2, "{jsonl}");
    let backup = merged.iter().find(|f| f["username"] == "backup").unwrap();
    assert_eq!(backup["count"], 3);
    assert_eq!(backup["first_seen"], findings[0]["timestamp"]);
    assert_eq!(backup["last_seen"], findings[2]["timestamp"]);
    assert_eq!(backup["outcomes"]["success"], 2);
    assert_eq!(backup["outcomes"]["failure"], 1);
    // The record shown is the first login with the best verdict: its frames and client.
    assert_eq!(backup["outcome"], "success");
    assert_eq!(backup["frames"], findings[1]["frames"]);
    assert_eq!(backup["client"], findings[1]["client"]);
    assert_eq!(
        merged.iter().find(|f| f["username"] == "alice").unwrap()["count"],
        1
    );
    assert!(
        stderr.contains("2 repeated logins merged (--dedup)"),
        "{stderr}"
    );
    assert!(stderr.contains("4 findings"), "{stderr}");
    // Text merges by default; --no-dedup shows every login.
    let (text, _, _) = out(&["scan", "-q", "--format", "text", path(&capture)]);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("×3 from"), "{text}");
    let (all, _, _) = out(&[
        "scan",
        "-q",
        "--format",
        "text",
        "--no-dedup",
        path(&capture),
    ]);
    assert_eq!(all.lines().count(), 4, "{all}");
    // A stream gets first occurrences at once and the totals at its end.
    let o = Command::new(bin())
        .args(["scan", "-q", "--format", "jsonl", "--dedup", "-"])
        .stdin(std::fs::File::open(&capture).unwrap())
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let counts: Vec<u64> = lines.iter().map(|f| f["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, vec![1, 1, 3], "{lines:#?}");
}

#[test]
fn strength_without_revealing_the_password() {
    let capture = temp(
        "strength.pcap",
        &ftp_capture(&[
            ("10.44.0.5:40001", 0, "carol", "password", true),
            ("10.44.0.5:40002", 10, "dave", "Wq8#vLz!2pR@kN5$", true),
        ]),
    );
    let (jsonl, _, _) = out(&["scan", "-q", "--format", "jsonl", path(&capture)]);
    let f: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(f[0]["secret_redacted"], true);
    assert_eq!(f[0]["secret_length"], 8);
    assert_eq!(f[1]["secret_length"], 16);
    let (weak, strong) = (
        f[0]["secret_strength"].as_u64().unwrap(),
        f[1]["secret_strength"].as_u64().unwrap(),
    );
    assert!(weak < strong && strong <= 4, "{weak} {strong}");
    // Challenge-response findings say nothing of a password's strength.
    let (jsonl, _, _) = out(&[
        "scan",
        "-q",
        "--format",
        "jsonl",
        path(&fixture("pop3-apop.pcap")),
    ]);
    let v: Value = serde_json::from_str(jsonl.trim()).unwrap();
    assert!(v.get("secret_strength").is_none() && v.get("secret_length").is_none());
}

#[test]
fn completions_and_manual_page() {
    for shell in ["bash", "zsh", "fish"] {
        let (script, _, code) = out(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(
            script.contains("plainsight") && script.contains("--reveal"),
            "{shell}"
        );
    }
    let (page, _, code) = out(&["man"]);
    assert_eq!(code, 0);
    assert!(
        page.starts_with(".ie") || page.contains(".TH plainsight"),
        "{page}"
    );
    assert!(page.contains("scan"));
    let dir = std::env::temp_dir().join(format!("plainsight-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (_, _, code) = out(&["man", "--dir", path(&dir)]);
    assert_eq!(code, 0);
    assert!(dir.join("plainsight.1").exists() && dir.join("plainsight-scan.1").exists());
}

#[test]
fn errors_say_what_with_what_and_what_to_do() {
    let (_, err, code) = out(&["scan", "/nonexistent/cap.pcap"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/cap.pcap") && err.contains("check the path"),
        "{err}"
    );
    let demo = fixture("demo.pcap");
    let (_, err, code) = out(&["scan", "-o", "/nonexistent/dir/f.jsonl", path(&demo)]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/dir/f.jsonl")
            && err.contains("(-o)")
            && err.contains("check that its folder exists"),
        "{err}"
    );
    let (_, err, code) = out(&["scan", "--summary", "xml", path(&demo)]);
    assert_eq!(code, 2);
    assert!(err.contains("--summary") && err.contains("json"), "{err}");
    let junk = temp("junk.pcap", b"definitely not a capture");
    let (_, err, _) = out(&["scan", path(&junk)]);
    assert!(
        err.contains("junk.pcap") && err.contains("give a pcap or pcapng file"),
        "{err}"
    );
}

#[test]
fn no_progress_bar_on_a_pipe() {
    let (_, err, _) = out(&["scan", "--format", "jsonl", path(&fixture("demo.pcap"))]);
    assert!(!err.contains('\r') && !err.contains("ETA"), "{err:?}");
}

#[test]
fn summary_to_a_file() {
    let dir = std::env::temp_dir().join(format!("plainsight-summary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("summary.json");
    let (_, err, _) = out(&[
        "scan",
        "--format",
        "jsonl",
        "--summary",
        "json",
        "--summary-file",
        path(&file),
        path(&fixture("demo.pcap")),
    ]);
    assert!(err.is_empty(), "{err}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["findings"], 4);
}
