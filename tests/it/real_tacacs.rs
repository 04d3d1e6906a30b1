//! A real TACACS+ client: `tests/e2e/real-tacacs.sh` drives Authen::TacacsPlus (Debian's
//! libauthen-tacacsplus-perl, the tac_plus client library) against a small RFC 8907
//! server on 127.0.0.1 (`tests/e2e/tacacs-server.py`), every body encrypted with a shared
//! key: a PAP login, a PAP login with a wrong password, an ASCII login (the user name
//! answered to the GETUSER prompt, the password to GETPASS). Captured on lo with tcpdump.
//!
//! With `--tacacs-key` plainsight must read the three logins with their outcomes, from
//! the client's own encryption; without it, each connection gives one record to crack the
//! key from (hashcat 16100), which the key decrypts to a well-formed REPLY. Needs root,
//! tcpdump and libauthen-tacacsplus-perl (`./scripts/setup-debian.sh --test`); otherwise
//! the test says why and passes.

use std::process::Command;

use md5::{Digest, Md5};
use serde_json::Value;

use crate::support::{is_root, run_e2e, scan, scan_with, unhex};

// The same values as in tests/e2e/real-tacacs.sh.
const KEY: &str = "k3y-Shared-tac";
const USER: &str = "netops";
const PASS: &str = "Rout3r!pw";
const WRONG: &str = "tac-Wr0ng";

/// RFC 8907 section 4.5: the body XOR MD5(session_id, key, version, seq_no[, previous]).
fn decrypt(session: &[u8], version: u8, seq: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut prev: Vec<u8> = Vec::new();
    while out.len() < body.len() {
        let block = Md5::new()
            .chain_update(session)
            .chain_update(KEY)
            .chain_update([version, seq])
            .chain_update(&prev)
            .finalize()
            .to_vec();
        let at = out.len();
        out.extend(body[at..].iter().zip(&block).map(|(b, k)| b ^ k));
        prev = block;
    }
    out
}

#[test]
fn real_tacacs_client_logins_with_and_without_the_key() {
    if !is_root() {
        eprintln!("real_tacacs: SKIPPED: needs root (tcpdump on lo)");
        return;
    }
    let module = Command::new("perl")
        .args(["-MAuthen::TacacsPlus", "-e", "1"])
        .status()
        .is_ok_and(|s| s.success());
    if !module {
        eprintln!(
            "real_tacacs: SKIPPED: missing libauthen-tacacsplus-perl (./scripts/setup-debian.sh --test)"
        );
        return;
    }
    let (dir, pcap, stdout) = run_e2e("real-tacacs");
    let truths: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("truth "))
        .collect();
    assert_eq!(
        truths,
        ["1 1", "2 0", "3 1"],
        "what the client saw: {stdout}"
    );

    // With the key: the three logins, in order.
    let (findings, code, stderr) = scan_with(
        &["--tacacs-key", "not-the-key", "--tacacs-key", KEY],
        &[pcap.as_path()],
    );
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(&str, &str, &str, &str, &str)> = findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            (
                s("mechanism"),
                s("kind"),
                s("username"),
                s("secret"),
                s("outcome"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("PAP", "cleartext", USER, PASS, "success"),
            ("PAP", "cleartext", USER, WRONG, "failure"),
            ("ASCII login", "cleartext", USER, PASS, "success"),
        ],
        "{findings:#?}"
    );
    for f in &findings {
        assert_eq!(f["protocol"], "tacacs");
        assert_eq!(f["client"]["ip"], "127.0.0.1");
    }

    // Without it: one record per connection, each a REPLY the key decrypts.
    let (records, _, _) = scan(&[pcap.as_path()]);
    assert_eq!(records.len(), 3, "{records:#?}");
    for f in &records {
        assert_eq!(f["mechanism"], "encrypted body (shared key)", "{f:#}");
        assert_eq!(f["kind"], "challenge-response");
        assert!(f.get("username").is_none_or(Value::is_null), "{f:#}");
        assert_eq!(f["hashcat"]["mode"], 16100);
    }
    let statuses: Vec<u8> = records
        .iter()
        .map(|f| {
            let line = f["hashcat"]["hash"].as_str().expect("line");
            let p: Vec<&str> = line.split('$').collect();
            assert_eq!(&p[..3], ["", "tacacs-plus", "0"], "{line}");
            let vs = unhex(p[5]);
            let body = decrypt(&unhex(p[3]), vs[0], vs[1], &unhex(p[4]));
            // status, flags, server_msg_len, data_len, then exactly those bytes.
            let len = usize::from(u16::from_be_bytes([body[2], body[3]]))
                + usize::from(u16::from_be_bytes([body[4], body[5]]));
            assert_eq!(body.len(), 6 + len, "{line}");
            body[0]
        })
        .collect();
    // PASS, FAIL, and GETUSER (the ASCII login's first reply: this client sends the user
    // name in a CONTINUE, then the password after GETPASS).
    assert_eq!(statuses, [1, 2, 4]);
    let _ = std::fs::remove_dir_all(&dir);
}
