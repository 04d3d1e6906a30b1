//! Real DCE/RPC over TCP: `tests/e2e/real-dcerpc.sh` runs Samba's samba-dcerpcd
//! standalone (the endpoint mapper on 135, the services on dynamic ports) in a network
//! and mount namespace, and rpcclient asks the server service for its information over
//! `ncacn_ip_tcp` with NTLM at the integrity and privacy levels, bare and inside SPNEGO,
//! with the right and a wrong password; tcpdump on lo. plainsight must report each
//! binding's NTLMv2 response with the server's verdict, and each hashcat line must verify
//! against the password the client used. Needs root, tcpdump, rpcclient, pdbedit and
//! samba-dcerpcd (`./scripts/setup-debian.sh --test`); otherwise the test says why and
//! passes.

use crate::proto_win::netntlmv2_verifies;
use crate::support::{find_program, is_root, run_e2e, scan};

// The same values as in tests/e2e/real-dcerpc.sh.
const PASS: &str = "Dce-Rpc!pass1";
const WRONG: &str = "dce-Wr0ng";

#[test]
fn real_dcerpc_ntlm_bindings() {
    if !is_root() {
        eprintln!("real_dcerpc: SKIPPED: needs root (namespaces, tcpdump)");
        return;
    }
    let mut missing: Vec<&str> = ["tcpdump", "unshare", "rpcclient", "pdbedit"]
        .into_iter()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !std::path::Path::new("/usr/libexec/samba/samba-dcerpcd").exists() {
        missing.push("samba-dcerpcd");
    }
    if !missing.is_empty() {
        eprintln!(
            "real_dcerpc: SKIPPED: missing {} (./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }
    let (dir, pcap, stdout) = run_e2e("real-dcerpc");
    let truths: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("truth "))
        .collect();
    assert_eq!(
        truths,
        ["1 0", "2 1", "3 0", "4 0", "5 1"],
        "what rpcclient said: {stdout}"
    );

    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(&str, &str, &str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["mechanism"].as_str().unwrap_or(""),
                f["username"].as_str().unwrap_or(""),
                f["outcome"].as_str().unwrap_or(""),
                f["details"]["auth_level"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("NTLM (NetNTLMv2)", "alice", "success", "packet integrity"),
            ("NTLM (NetNTLMv2)", "alice", "failure", "packet integrity"),
            ("NTLM (NetNTLMv2)", "alice", "success", "packet privacy"),
            (
                "SPNEGO NTLM (NetNTLMv2)",
                "alice",
                "success",
                "packet privacy"
            ),
            (
                "SPNEGO NTLM (NetNTLMv2)",
                "alice",
                "failure",
                "packet integrity"
            ),
        ],
        "{findings:#?}"
    );
    for (f, password) in findings.iter().zip([PASS, WRONG, PASS, PASS, WRONG]) {
        assert_eq!(f["protocol"], "dcerpc", "{f:#}");
        assert_eq!(f["kind"], "challenge-response", "{f:#}");
        assert_eq!(f["domain"], "PLAINSIGHT", "{f:#}");
        // The service's dynamic port, not the endpoint mapper: found by content.
        assert_ne!(f["server"]["port"], 135, "{f:#}");
        assert_eq!(f["hashcat"]["mode"], 5600, "{f:#}");
        let line = f["hashcat"]["hash"].as_str().expect("hashcat line");
        assert!(netntlmv2_verifies(line, password), "{line} for {password}");
        assert!(!netntlmv2_verifies(line, "not-the-password"), "{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
