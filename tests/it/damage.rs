//! Damaged captures (issue: "hostile and broken input"): random byte errors as
//! `editcap -E` makes them, truncation at every kind of offset, a wrong magic number,
//! packets cut by the snapshot length, absurd record lengths. Each must end with a clear
//! message and a documented exit status, never a panic, and every finding that lies
//! before the damage must still be printed. The damage is generated here, deterministically.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::fixtures::FIXTURES;
use crate::support::{fixture, scan};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Byte ranges of the records of a classic little-endian pcap: (header start, data start,
/// end).
fn records(bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        let end = off + 16 + caplen;
        if end > bytes.len() {
            break;
        }
        out.push((off, off + 16, end));
        off = end;
    }
    out
}

fn classic_fixtures() -> Vec<(&'static str, Vec<u8>)> {
    FIXTURES
        .iter()
        .filter(|f| f.name.ends_with(".pcap") && f.name != "ftp-port2121-be-ns.pcap")
        .map(|f| (f.name, std::fs::read(fixture(f.name)).unwrap()))
        .collect()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plainsight-damage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Scans a damaged capture: no panic, a status of 0, 1 or 2, output well-formed.
fn scan_damaged(path: &Path) -> (Vec<Value>, i32, String) {
    let (findings, code, stderr) = scan(&[path]);
    assert!(
        (0..=2).contains(&code) && !stderr.contains("panicked"),
        "{}: exit {code}, stderr: {stderr}",
        path.display()
    );
    (findings, code, stderr)
}

/// (user, secret) of findings, for comparisons where the outcome may change because the
/// server's reply was lost.
fn creds(findings: &[Value]) -> Vec<(String, String)> {
    findings
        .iter()
        .map(|f| (f["username"].to_string(), f["secret"].to_string()))
        .collect()
}

#[test]
fn random_byte_errors_in_packets_never_break_the_scan() {
    // editcap -E 0.02: each byte of packet data changed with probability 2%.
    let mut rng = Rng(0x5eed_0001);
    for (name, bytes) in classic_fixtures() {
        for round in 0..8 {
            let mut damaged = bytes.clone();
            for (_, data, end) in records(&bytes) {
                for b in &mut damaged[data..end] {
                    if rng.chance(0.02) {
                        *b = rng.next() as u8;
                    }
                }
            }
            let path = tmp(&format!("E-{round}-{name}"));
            std::fs::write(&path, &damaged).unwrap();
            let (_, code, _) = scan_damaged(&path);
            assert_ne!(code, 2, "{name}: packet damage is not a file error");
        }
    }
}

#[test]
fn random_byte_errors_anywhere_never_break_the_scan() {
    // Headers too: record lengths, magic, link type.
    let mut rng = Rng(0x5eed_0002);
    for (name, bytes) in classic_fixtures() {
        for round in 0..8 {
            let mut damaged = bytes.clone();
            for b in &mut damaged {
                if rng.chance(0.01) {
                    *b = rng.next() as u8;
                }
            }
            let path = tmp(&format!("A-{round}-{name}"));
            std::fs::write(&path, &damaged).unwrap();
            scan_damaged(&path);
        }
    }
}

#[test]
fn truncation_keeps_every_finding_before_the_cut() {
    let mut rng = Rng(0x5eed_0003);
    for (name, bytes) in classic_fixtures() {
        let full = scan(&[&fixture(name)]).0;
        let recs = records(&bytes);
        for _ in 0..12 {
            let cut = 1 + (rng.next() as usize) % (bytes.len() - 1);
            let path = tmp(&format!("T-{cut}-{name}"));
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let (got, code, stderr) = scan_damaged(&path);
            // Frames wholly before the cut.
            let whole = recs.iter().take_while(|r| r.2 <= cut).count() as u64;
            let before: Vec<Value> = full
                .iter()
                .filter(|f| {
                    f["frames"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|n| n.as_u64().unwrap() <= whole)
                })
                .cloned()
                .collect();
            let got_creds = creds(&got);
            for c in creds(&before) {
                assert!(
                    got_creds.contains(&c),
                    "{name} cut at {cut}: lost {c:?}; got {got_creds:?}"
                );
            }
            if cut < 24 {
                assert_eq!(
                    code, 2,
                    "{name} cut at {cut} inside the file header: {stderr}"
                );
            } else if cut < bytes.len() && cut != 24 && !recs.iter().any(|r| r.2 == cut) {
                assert!(
                    stderr.contains("cut short"),
                    "{name} cut at {cut}: {stderr}"
                );
            }
        }
    }
}

#[test]
fn a_wrong_magic_is_a_clear_error() {
    let mut bytes = std::fs::read(fixture("demo.pcap")).unwrap();
    bytes[..4].copy_from_slice(b"\x7fELF");
    let path = tmp("wrong-magic.pcap");
    std::fs::write(&path, &bytes).unwrap();
    let (findings, code, stderr) = scan_damaged(&path);
    assert_eq!(code, 2);
    assert!(findings.is_empty());
    assert!(
        stderr.contains("wrong-magic.pcap") && stderr.contains("not a pcap or pcapng"),
        "{stderr}"
    );
    let empty = tmp("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let (_, code, stderr) = scan_damaged(&empty);
    assert_eq!(code, 2);
    assert!(stderr.contains("empty"), "{stderr}");
}

#[test]
fn packets_cut_by_the_snapshot_length_are_decoded_as_far_as_they_go() {
    // Every packet cut to 60 bytes (headers and a few payload bytes), as `tcpdump -s 60`
    // would: nothing readable is lost, nothing breaks, gaps are counted.
    let bytes = std::fs::read(fixture("demo.pcap")).unwrap();
    let mut out = bytes[..24].to_vec();
    out[16..20].copy_from_slice(&60u32.to_le_bytes());
    for (head, data, end) in records(&bytes) {
        let mut h = bytes[head..data].to_vec();
        let caplen = (end - data).min(60);
        h[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(&bytes[data..data + caplen]);
    }
    let path = tmp("snaplen60.pcap");
    std::fs::write(&path, &out).unwrap();
    let (findings, code, stderr) = scan_damaged(&path);
    assert!(code == 0 || code == 1, "{stderr}");
    // The Telnet keystrokes fit in 60 bytes: that login survives whole.
    assert!(
        findings.iter().any(|f| f["secret"] == "letmein!"),
        "{findings:?}\n{stderr}"
    );
}

#[test]
fn an_absurd_record_length_stops_that_file_with_a_message() {
    let bytes = std::fs::read(fixture("ftp-logins.pcap")).unwrap();
    let full = scan(&[&fixture("ftp-logins.pcap")]).0;
    let recs = records(&bytes);
    // Damage the record after the first login's reply (frame 20).
    let (head, _, _) = recs[20];
    let mut damaged = bytes.clone();
    damaged[head + 8..head + 12].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
    let path = tmp("absurd.pcap");
    std::fs::write(&path, &damaged).unwrap();
    let (findings, code, stderr) = scan_damaged(&path);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("absurd.pcap") && stderr.contains("frame 20"),
        "{stderr}"
    );
    // Both findings of the first connection lie before the damage (alice's two
    // attempts); the anonymous login after it is lost.
    let mut want: Vec<_> = creds(&full)
        .into_iter()
        .filter(|(user, _)| user == "\"alice\"")
        .collect();
    let mut got = creds(&findings);
    want.sort();
    got.sort();
    assert_eq!(want.len(), 2);
    assert_eq!(got, want, "{stderr}");
}

#[test]
fn a_damaged_file_does_not_stop_the_next_one() {
    let path = tmp("garbage.pcap");
    std::fs::write(&path, [0xd4, 0xc3, 0xb2, 0xa1, 1, 2, 3]).unwrap();
    let (findings, code, stderr) = scan(&[&path, &fixture("pop3-apop.pcap")]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(findings.len(), 1);
    assert!(stderr.contains("garbage.pcap"), "{stderr}");
}
