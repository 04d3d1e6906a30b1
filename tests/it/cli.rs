//! The command line: exit statuses, redaction, output files, inputs.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::support::{bin, fixture, run};

#[test]
fn exit_status_tells_found_clean_and_unreadable() {
    let found = run(&["scan", "-q", fixture("ftp-logins.pcap").to_str().unwrap()]);
    assert_eq!(found.status.code(), Some(1));
    let clean = run(&["scan", "-q", fixture("negative-tls.pcap").to_str().unwrap()]);
    assert_eq!(clean.status.code(), Some(0));
    assert!(clean.stdout.is_empty());
    let missing = run(&["scan", "/nonexistent/x.pcap"]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("/nonexistent/x.pcap"), "{stderr}");
}

#[test]
fn an_unreadable_input_does_not_stop_the_others() {
    let dir = tempdir();
    let junk = dir.join("notes.pcap");
    std::fs::write(&junk, b"this is not a capture file at all").unwrap();
    let out = run(&[
        "scan",
        "--format",
        "jsonl",
        junk.to_str().unwrap(),
        fixture("pop3-apop.pcap").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("notes.pcap") && stderr.contains("not a pcap or pcapng"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn secrets_are_redacted_unless_revealed() {
    for format in ["jsonl", "text"] {
        let out = run(&[
            "scan",
            "-q",
            "--format",
            format,
            fixture("demo.pcap").to_str().unwrap(),
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        for secret in ["test1", "Summer2026!", "Winter2026!", "letmein!"] {
            assert!(
                !text.contains(secret),
                "{format} output shows {secret}: {text}"
            );
        }
        assert!(text.contains("alice") && text.contains("admin"), "{text}");
        let revealed = run(&[
            "scan",
            "-q",
            "--reveal",
            "--format",
            format,
            fixture("demo.pcap").to_str().unwrap(),
        ]);
        let text = String::from_utf8_lossy(&revealed.stdout);
        assert!(
            text.contains("Winter2026!") && text.contains("letmein!"),
            "{text}"
        );
    }
    let out = run(&[
        "scan",
        "-q",
        "--format",
        "jsonl",
        fixture("pop3-apop.pcap").to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["secret_redacted"], true);
    assert!(v.get("secret").is_none());
    assert_eq!(v["hashcat"]["mode"], 20);
    assert!(v["hashcat"].get("hash").is_none(), "{v}");
}

#[test]
fn output_file_is_private() {
    let dir = tempdir();
    let path = dir.join("findings.jsonl");
    // Even a file that existed with a wider mode ends up private.
    std::fs::write(&path, b"old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&[
        "scan",
        "-q",
        "--reveal",
        "-o",
        path.to_str().unwrap(),
        fixture("demo.pcap").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 4);
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
}

#[test]
fn standard_input_is_a_capture_stream() {
    let bytes = std::fs::read(fixture("telnet-linemode.pcap")).unwrap();
    let mut child = Command::new(bin())
        .args(["scan", "--format", "jsonl", "--reveal", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Written in small pieces, as a pipe from tcpdump delivers it.
    let writer = std::thread::spawn(move || {
        for piece in bytes.chunks(7) {
            stdin.write_all(piece).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["secret"], "linemode pw");
    assert_eq!(v["source"], "-");
}

#[test]
fn a_directory_is_scanned_for_captures() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::copy(fixture("pop3-apop.pcap"), dir.join("a.cap")).unwrap();
    std::fs::copy(fixture("ftp-ipv6.pcap"), dir.join("sub/b.anything")).unwrap();
    std::fs::write(dir.join("README.txt"), b"not a capture").unwrap();
    let out = run(&["scan", "--format", "jsonl", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sources: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["source"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(sources, vec!["a.cap", "b.anything"]);
}

#[test]
fn summary_goes_to_stderr() {
    let out = run(&[
        "scan",
        "--format",
        "jsonl",
        fixture("demo.pcap").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("4 findings") && stderr.contains("packets"),
        "{stderr}"
    );
    let quiet = run(&["scan", "-q", fixture("demo.pcap").to_str().unwrap()]);
    assert!(quiet.stderr.is_empty());
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "plainsight-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn caps_that_trigger_are_counted_in_the_summary() {
    // "331 Please specify the password." is longer than 20 bytes, twice.
    let out = run(&[
        "scan",
        "--max-line",
        "20",
        fixture("ftp-logins.pcap").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("lines skipped (longer than the line cap)"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let out = run(&[
        "scan",
        "--max-flows",
        "1",
        fixture("multi-link.pcapng").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("flows evicted (flow table full)"),
        "{stderr}"
    );
    let bad = run(&[
        "scan",
        "--memory",
        "lots",
        fixture("demo.pcap").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a byte count"));
}
