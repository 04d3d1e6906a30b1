//! The set of findings does not depend on the number of threads.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::support::{bin, find_program, fixture, is_root, repo};

fn findings(path: &PathBuf, threads: &str) -> Vec<String> {
    scan(path, threads, false)
}

/// The findings of a scan of `path`, given by name or on standard input (`stdin`).
fn scan(path: &PathBuf, threads: &str, stdin: bool) -> Vec<String> {
    let mut cmd = Command::new(bin());
    cmd.args([
        "scan",
        "-q",
        "--format",
        "jsonl",
        "--reveal",
        "--threads",
        threads,
    ]);
    if stdin {
        cmd.arg("-")
            .stdin(Stdio::from(std::fs::File::open(path).unwrap()));
    } else {
        cmd.arg(path);
    }
    let out = cmd.output().expect("run plainsight");
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

/// Threads the operating system refuses (here the limit on an unprivileged user's
/// processes, `prlimit --nproc`, as `ulimit -u` or a container's pids limit would):
/// the capture is still read whole, on the threads that could be started, with the
/// findings of one thread, a warning that says so, and the exit status of findings
/// (not of a failed input). A file (cut into chunks, or pcapng) and standard input (the
/// reader-and-workers runner) alike.
#[test]
fn refused_threads_leave_the_scan_whole() {
    if !is_root() {
        eprintln!("refused_threads: SKIPPED: needs root (to run as nobody under a limit)");
        return;
    }
    let (Some(runuser), Some(prlimit)) = (find_program("runuser"), find_program("prlimit")) else {
        eprintln!("refused_threads: SKIPPED: runuser and prlimit (util-linux) are not here");
        return;
    };
    // Everything the unprivileged user runs and reads, where it may.
    let dir = std::env::temp_dir().join(format!("plainsight-nproc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = |from: &PathBuf, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        let to = dir.join(from.file_name().unwrap());
        std::fs::copy(from, &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).unwrap();
        to
    };
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let exe = copy(&bin(), 0o755);
    for name in ["demo.pcap", "multi-link.pcapng"] {
        let capture = copy(&fixture(name), 0o644);
        let one = findings(&capture, "1");
        assert!(!one.is_empty(), "{name}");
        // On standard input (findings name their source `-`), one thread.
        let one_streamed = scan(&capture, "1", true);
        assert_eq!(one_streamed.len(), one.len(), "{name}");
        for (limit, stdin) in [(1, false), (3, false), (1, true), (3, true)] {
            let mut cmd = Command::new(&runuser);
            cmd.args(["-u", "nobody", "--"])
                .arg(&prlimit)
                .arg(format!("--nproc={limit}"))
                .arg(&exe)
                .args(["scan", "--format", "jsonl", "--reveal", "--threads", "4"]);
            if stdin {
                cmd.arg("-")
                    .stdin(Stdio::from(std::fs::File::open(&capture).unwrap()));
            } else {
                cmd.arg(&capture);
            }
            let out = cmd.output().expect("run plainsight as nobody");
            let what = format!("{name}, at most {limit} processes, standard input {stdin}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            let mut want = if stdin {
                one_streamed.clone()
            } else {
                one.clone()
            };
            if stdin {
                // A stream's findings come out as they are found.
                got.sort();
                want.sort();
            }
            assert_eq!(got, want, "{what}: {stderr}");
            assert!(
                stderr.contains("warning:") && stderr.contains("could not start 4 threads"),
                "{what}: {stderr}"
            );
            assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
