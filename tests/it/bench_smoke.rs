//! The throughput benchmark's smoke test (bench/throughput.sh times the real thing): a
//! small mixed capture from the benchmark's generator is scanned with one and two
//! threads, and every planted login must be found, with its outcome, and nothing else.

use std::collections::HashMap;

use plainsight::synth::mixed::{Config, Planted, write_pcap};
use serde_json::Value;

use crate::support::scan_with;

fn key(protocol: &str, client: String, user: Option<&str>, secret: &str) -> String {
    format!("{protocol} {client} {user:?} {secret}")
}

#[test]
fn benchmark_input_gives_every_planted_login_and_nothing_else() {
    let dir = std::env::temp_dir().join(format!("plainsight-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("mixed.pcap");
    let config = Config {
        bytes: 30_000_000,
        seed: 7,
        concurrent: 300,
        // Many logins for the size: every kind several times.
        logins_per_gb: 3000,
        ..Config::default()
    };
    let mut planted: Vec<Planted> = Vec::new();
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let written = write_pcap(&config, file, |p| planted.push(p.clone())).expect("generate");
    assert!(
        written.flows > 500 && planted.len() >= 80,
        "{written:?}, {}",
        planted.len()
    );
    let want: HashMap<String, &str> = planted
        .iter()
        .map(|p| {
            let client = p.client.to_string();
            (
                key(p.protocol, client, p.username.as_deref(), &p.secret),
                p.outcome,
            )
        })
        .collect();
    for threads in ["1", "2"] {
        let (findings, code, stderr) = scan_with(&["--threads", threads], &[&path]);
        assert!(code == 0 || code == 1, "exit {code}: {stderr}");
        let mut found: HashMap<String, String> = HashMap::new();
        for f in &findings {
            let client = match f["client"]["ip"].as_str().unwrap_or("") {
                ip if ip.contains(':') => format!("[{ip}]:{}", f["client"]["port"]),
                ip => format!("{ip}:{}", f["client"]["port"]),
            };
            let k = key(
                f["protocol"].as_str().unwrap_or(""),
                client,
                f.get("username").and_then(Value::as_str),
                f["secret"].as_str().unwrap_or(""),
            );
            assert!(want.contains_key(&k), "unexpected finding {f}");
            found.insert(k, f["outcome"].as_str().unwrap_or("").to_string());
        }
        for (k, outcome) in &want {
            assert_eq!(
                found.get(k).map(String::as_str),
                Some(*outcome),
                "{threads} thread(s): planted {k}"
            );
        }
        assert_eq!(findings.len(), want.len(), "{threads} thread(s)");
    }
    std::fs::remove_dir_all(&dir).ok();
}
