//! Rules: each shipped detector on a capture made for it, a user's rules folder from the
//! command line, and rule errors that stop the program with file, line and column.

use std::net::SocketAddr;
use std::path::PathBuf;

use plainsight::capture::PcapWriter;
use plainsight::synth::{Link, TcpConversation};
use plainsight::timestamp::Timestamp;

use crate::support::{Expect, assert_findings, fixture, run, scan};

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("address")
}

fn pcap(convs: Vec<TcpConversation>) -> Vec<u8> {
    let mut packets: Vec<_> = convs
        .into_iter()
        .flat_map(TcpConversation::into_packets)
        .collect();
    packets.sort_by_key(|p| p.ts);
    let mut w = PcapWriter::new(Vec::new(), Link::Ethernet.linktype(), 65535, false, false)
        .expect("header");
    for p in &packets {
        let f = Link::Ethernet.frame(&p.ip);
        w.write(p.ts, &f, f.len() as u32).expect("record");
    }
    w.into_inner()
}

fn at(s: i64) -> Timestamp {
    Timestamp::new(s, 0)
}

/// Traffic for the shipped detectors: an API key in a query string and another in a
/// header, AWS keys in a JSON body, a bearer token in ICAP (HTTP-like, no dissector takes it), and a password
/// field in an unknown protocol split across three segments.
fn shipped_rules_capture() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.20.0.2:50000"), sa("10.20.0.1:80"))
        .starting_at(at(1_700_020_000));
    a.handshake()
        .client(b"GET /v1/report?format=csv&api_key=k3y-0f-the-day HTTP/1.1\r\nHost: api.example\r\n\r\n")
        .server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .client(b"GET /v1/me HTTP/1.1\r\nHost: api.example\r\nX-API-Key: 9f8e7d6c5b4a39281706\r\n\r\n")
        .server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .close();
    let body = br#"{"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}"#;
    let mut b = TcpConversation::new(sa("10.20.0.3:50001"), sa("10.20.0.1:80"))
        .starting_at(at(1_700_020_010));
    b.handshake()
        .client(&[format!("POST /deploy HTTP/1.1\r\nHost: ci.example\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(), body].concat())
        .server(b"HTTP/1.1 204 No Content\r\n\r\n")
        .close();
    let mut c = TcpConversation::new(sa("10.20.0.4:50002"), sa("10.20.0.1:1344"))
        .starting_at(at(1_700_020_020));
    c.handshake()
        .client(b"OPTIONS icap://icap.example/reqmod ICAP/1.0\r\nHost: icap.example\r\nAuthorization: Bearer eyJhbGciOi.c2VjcmV0.dG9rZW4\r\nEncapsulated: null-body=0\r\n\r\n")
        .server(b"ICAP/1.0 200 OK\r\nMethods: REQMOD\r\nEncapsulated: null-body=0\r\n\r\n")
        .close();
    let mut d = TcpConversation::new(sa("10.20.0.5:50003"), sa("10.20.0.1:7000"))
        .starting_at(at(1_700_020_030));
    d.handshake()
        .server(b"INVENTORY v2 ready\r\n")
        .client(b"CONNECT user=bob pass")
        .client(b"word=hunt")
        .client(b"er2 mode=rw\r\n")
        .server(b"OK\r\n")
        .close();
    pcap(vec![a, b, c, d])
}

fn shipped_rules_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "http",
        kind: "token",
        server: "10.20.0.1:80",
        outcome: "unknown",
        ..Expect::default()
    };
    vec![
        Expect {
            mechanism: "http-query-secret",
            client: "10.20.0.2:50000",
            secret: "k3y-0f-the-day",
            ..base.clone()
        },
        Expect {
            mechanism: "http-api-key-header",
            client: "10.20.0.2:50000",
            secret: "9f8e7d6c5b4a39281706",
            ..base.clone()
        },
        Expect {
            mechanism: "aws-access-key",
            kind: "cleartext",
            client: "10.20.0.3:50001",
            username: Some("AKIAIOSFODNN7EXAMPLE"),
            secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ..base.clone()
        },
        Expect {
            mechanism: "http-bearer-token",
            client: "10.20.0.4:50002",
            server: "10.20.0.1:1344",
            secret: "eyJhbGciOi.c2VjcmV0.dG9rZW4",
            ..base
        },
        Expect {
            protocol: "unknown",
            mechanism: "generic-password-field",
            kind: "cleartext",
            client: "10.20.0.5:50003",
            server: "10.20.0.1:7000",
            secret: "hunter2",
            outcome: "unknown",
            frame: Some(42),
            ..Expect::default()
        },
    ]
}

/// An in-house protocol for a user's rule.
fn acme_capture() -> Vec<u8> {
    let mut a = TcpConversation::new(sa("10.21.0.2:51000"), sa("10.21.0.1:7777"))
        .starting_at(at(1_700_021_000));
    a.handshake()
        .server(b"ACME inventory 4.2\r\n")
        .client(b"LOGIN warehouse Pall3t!\r\n")
        .server(b"OK\r\n")
        .close();
    pcap(vec![a])
}

/// A fixture's file name and its generator.
type Generated = (&'static str, fn() -> Vec<u8>);

const FIXTURES: &[Generated] = &[
    ("rules-shipped.pcap", shipped_rules_capture),
    ("rules-acme.pcap", acme_capture),
];

#[test]
fn rule_fixtures_are_what_the_generator_makes() {
    let regenerate = std::env::var_os("PLAINSIGHT_REGENERATE_FIXTURES").is_some();
    for (name, make) in FIXTURES {
        let want = make();
        if regenerate {
            std::fs::write(fixture(name), &want).expect("write");
        }
        assert!(
            std::fs::read(fixture(name)).expect("fixture") == want,
            "{name} differs from its generator"
        );
    }
}

#[test]
fn every_shipped_detector_finds_its_secret() {
    let (findings, code, stderr) = scan(&[&fixture("rules-shipped.pcap")]);
    assert_eq!(code, 1, "{stderr}");
    assert_findings("rules-shipped.pcap", &findings, &shipped_rules_expected());
    for f in &findings {
        assert_eq!(f["rule"], f["mechanism"], "{f}");
    }
    // The password field came in three segments: all three are its frames.
    let generic = findings
        .iter()
        .find(|f| f["rule"] == "generic-password-field")
        .expect("generic");
    assert_eq!(
        generic["frames"],
        serde_json::json!([40, 42, 44]),
        "{generic}"
    );
    // Without the shipped rules, nothing.
    let out = run(&[
        "scan",
        "-q",
        "--no-default-rules",
        "--format",
        "jsonl",
        fixture("rules-shipped.pcap").to_str().unwrap(),
    ]);
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn temp_rules(text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "plainsight-user-rules-{}-{}",
        std::process::id(),
        text.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("acme.toml"), text).unwrap();
    dir
}

const ACME: &str = r#"
[[detector]]
name = "acme-login"
description = "ACME inventory client sends LOGIN <user> <password> in clear"
protocol = "acme"
transport = "tcp"
ports = [7777]
direction = "client"
pattern = '(?m)^LOGIN (?P<user>\S+) (?P<secret>\S+)\r?$'
kind = "cleartext"
"#;

#[test]
fn a_users_rules_folder_from_the_command_line() {
    let dir = temp_rules(ACME);
    let out = run(&[
        "scan",
        "--format",
        "jsonl",
        "--reveal",
        "--rules",
        dir.to_str().unwrap(),
        fixture("rules-acme.pcap").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let findings: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected = vec![Expect {
        protocol: "acme",
        mechanism: "acme-login",
        kind: "cleartext",
        client: "10.21.0.2:51000",
        server: "10.21.0.1:7777",
        username: Some("warehouse"),
        secret: "Pall3t!",
        outcome: "unknown",
        ..Expect::default()
    }];
    assert_findings("user rule", &findings, &expected);
    assert_eq!(findings[0]["rule"], "acme-login");
    let list = run(&["rules", "list", "--rules", dir.to_str().unwrap()]);
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(
        listing.contains("acme-login") && listing.contains("acme.toml"),
        "{listing}"
    );
    assert!(listing.contains("rules/http.toml"), "{listing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_bad_rule_stops_the_program_with_file_line_and_column() {
    let dir = temp_rules(&ACME.replace("(?P<secret>\\S+)", "(?P<secret>\\S+"));
    for args in [
        vec![
            "scan".to_string(),
            "--rules".into(),
            dir.display().to_string(),
            fixture("demo.pcap").display().to_string(),
        ],
        vec![
            "rules".to_string(),
            "check".into(),
            dir.display().to_string(),
        ],
    ] {
        let out = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let want = format!(
            "{}:9:11: detector \"acme-login\": invalid pattern",
            dir.join("acme.toml").display()
        );
        assert!(stderr.contains(&want), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let ok = run(&["rules", "check"]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("rules ok: "));
    std::fs::remove_dir_all(&dir).unwrap();
}
