//! The set of findings does not depend on the number of threads.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{bin, repo};

fn findings(path: &PathBuf, threads: &str) -> Vec<String> {
    let out = Command::new(bin())
        .args([
            "scan",
            "-q",
            "--format",
            "jsonl",
            "--reveal",
            "--threads",
            threads,
        ])
        .arg(path)
        .output()
        .expect("run plainsight");
    // Files come out in capture order: the same lines in the same order.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn captures() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(repo().join("fixtures"))
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    let third = repo().join("../shared/fixtures/third-party");
    if let Ok(dirs) = std::fs::read_dir(&third) {
        for d in dirs.filter_map(|e| e.ok()).filter(|e| e.path().is_dir()) {
            if let Ok(files) = std::fs::read_dir(d.path()) {
                all.extend(files.filter_map(|e| e.ok().map(|e| e.path())));
            }
        }
    }
    all.sort();
    all
}

#[test]
fn one_thread_and_many_find_the_same() {
    let all = captures();
    assert!(all.len() >= 20);
    for path in all {
        let one = findings(&path, "1");
        for n in ["2", "4"] {
            assert_eq!(
                findings(&path, n),
                one,
                "{} with {n} threads",
                path.display()
            );
        }
    }
}
