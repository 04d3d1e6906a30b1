//! Real SMB and Kerberos servers and clients: `tests/e2e/real-win.sh` runs Samba's smbd
//! and MIT's krb5kdc in a network namespace of its own, logs in with smbclient (SMB3
//! NTLMv2, right and wrong password, a null session, SMB1 NTLMv1, SMB1 without extended
//! security) and kinit/kvno (RC4 pre-authentication right and wrong, a service ticket,
//! AES256 pre-authentication over TCP, an account without pre-authentication), and
//! captures its loopback with tcpdump. plainsight must report each exchange exactly once
//! with the right user, outcome and mechanism, and nothing for the null session.
//!
//! The secrets of these findings are random (challenges, confounders), so each is checked
//! against the passwords the script used: a NetNTLMv2 line is recomputed (MS-NLMP), a
//! Kerberos cipher and its hashcat line are decrypted (RFC 4757, RFC 3962); the finding's
//! `secret` is then replaced by the name of the password that proved it, which the
//! expectations, written from the script's header, name. The clients' ephemeral ports are
//! normalised to 0.
//!
//! Needs root and the packages of `./scripts/setup-debian.sh --test` (samba, smbclient,
//! krb5-kdc, krb5-admin-server, krb5-user, tcpdump); otherwise the test says why on
//! standard error and passes.

use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use crate::proto_win::krb_crypto::{
    USAGE_AS_REP_ENC_PART, USAGE_PA_ENC_TIMESTAMP, USAGE_TICKET, aes_decrypt, aes_string_to_key,
    nt_hash, rc4_hmac_decrypt,
};
use crate::proto_win::netntlmv2_verifies;
use crate::support::{Expect, assert_findings, find_program, is_root, repo, scan, unhex};

// The same values as in tests/e2e/real-win.sh.
const REALM: &str = "PLAINSIGHT.TEST";
const SMB_PASS: &str = "Smb-Summer2024!";
const SMB_WRONG: &str = "Smb-Winter2023!";
const FRANK_PASS: &str = "Frank-Rc4-pass1";
const FRANK_WRONG: &str = "Frank-Rc4-pass0";
const GRACE_PASS: &str = "Grace-Aes256-pass";
const HENRY_PASS: &str = "Henry-NoPreauth9";
const SERVICE_PASS: &str = "Http-Svc-pass7";

const REQUIRED: &[&str] = &[
    "bash",
    "unshare",
    "setsid",
    "ip",
    "ss",
    "tcpdump",
    "smbd",
    "smbclient",
    "pdbedit",
    "krb5kdc",
    "kdb5_util",
    "kadmin.local",
    "kinit",
    "kvno",
];

/// Whether a Kerberos finding's cipher (its `secret`, and the one its hashcat line
/// carries) is the password's: it decrypts, and to what it should.
fn kerberos_cipher_of(f: &Value, password: &str) -> bool {
    let secret = unhex(f["secret"].as_str().unwrap_or_default());
    let line = f["hashcat"]["hash"].as_str().unwrap_or_default();
    let fields: Vec<&str> = line.split('$').collect();
    let user = f["username"].as_str().unwrap_or_default();
    match f["hashcat"]["mode"].as_u64() {
        Some(7500) => {
            let data = unhex(fields.get(6).copied().unwrap_or_default());
            if data.len() != 52 || [&data[36..], &data[..36]].concat() != secret {
                return false;
            }
            rc4_hmac_decrypt(&nt_hash(password), USAGE_PA_ENC_TIMESTAMP, &secret)
                .is_some_and(|p| p.first() == Some(&0x30))
        }
        // hashcat's 7500 takes a 52-byte cipher only (a timestamp whose microseconds need
        // three bytes): kinit's other timestamps (microseconds below 32768, about one login
        // in thirty) come without a hashcat line and are proved from the secret itself.
        None if f["mechanism"] == "AS-REQ PA-ENC-TIMESTAMP" && f["details"]["etype"] == "23" => {
            secret.len() != 52
                && rc4_hmac_decrypt(&nt_hash(password), USAGE_PA_ENC_TIMESTAMP, &secret)
                    .is_some_and(|p| p.first() == Some(&0x30))
        }
        Some(19900) => {
            let salt = format!("{}{}", fields[4].to_uppercase(), fields[3]);
            let key = aes_string_to_key(password, salt.as_bytes(), 4096, 32);
            unhex(fields[5]) == secret
                && aes_decrypt(&key, USAGE_PA_ENC_TIMESTAMP, &secret)
                    .is_some_and(|p| p.first() == Some(&0x30))
        }
        Some(18200) => {
            let Some((_, rest)) = line.split_once(':') else {
                return false;
            };
            let Some((ck, ed)) = rest.split_once('$') else {
                return false;
            };
            let cipher = [unhex(ck), unhex(ed)].concat();
            // EncASRepPart is [APPLICATION 25]; MIT encodes it as EncTGSRepPart (26).
            cipher == secret
                && rc4_hmac_decrypt(&nt_hash(password), USAGE_AS_REP_ENC_PART, &secret)
                    .is_some_and(|p| matches!(p.first(), Some(0x79 | 0x7a)))
        }
        Some(13100) => {
            let cipher = [unhex(fields[6]), unhex(fields[7])].concat();
            // EncTicketPart is [APPLICATION 3].
            cipher == secret
                && fields[3] == format!("*{user}")
                && rc4_hmac_decrypt(&nt_hash(password), USAGE_TICKET, &secret)
                    .is_some_and(|p| p.first() == Some(&0x63))
        }
        _ => false,
    }
}

/// The finding with its client port set to 0 and its secret replaced by what proved it.
fn normalised(f: &Value) -> Value {
    let mut n = f.clone();
    n["client"]["port"] = Value::from(0);
    let passwords: &[(&str, &str)] = if f["protocol"] == "smb" {
        &[("SMB_PASS", SMB_PASS), ("SMB_WRONG", SMB_WRONG)]
    } else {
        &[
            ("FRANK_PASS", FRANK_PASS),
            ("FRANK_WRONG", FRANK_WRONG),
            ("GRACE_PASS", GRACE_PASS),
            ("HENRY_PASS", HENRY_PASS),
            ("SERVICE_PASS", SERVICE_PASS),
        ]
    };
    let line = f["hashcat"]["hash"].as_str().unwrap_or_default();
    let proof = match f["hashcat"]["mode"].as_u64() {
        Some(5600) => passwords
            .iter()
            .find(|(_, p)| netntlmv2_verifies(line, p))
            .map(|(name, _)| format!("NetNTLMv2 of {name}")),
        // No DES here to recompute NetNTLMv1: its fields are checked for shape.
        Some(5500) => {
            let p: Vec<&str> = line.split(':').collect();
            (p.len() == 6
                && p[4].len() == 48
                && f["challenge"].as_str() == Some(p[5])
                && f["secret"].as_str() == Some(p[4]))
            .then(|| "NetNTLMv1".to_string())
        }
        _ if f["protocol"] == "kerberos" => passwords
            .iter()
            .find(|(_, p)| kerberos_cipher_of(f, p))
            .map(|(name, _)| format!("cipher of {name}")),
        _ => None,
    };
    n["secret"] = Value::from(proof.unwrap_or_else(|| "NOT PROVED".to_string()));
    n
}

fn expected() -> Vec<Expect> {
    let client = "127.0.0.1:0";
    let smb = |mechanism, secret, outcome| Expect {
        protocol: "smb",
        mechanism,
        kind: "challenge-response",
        client,
        server: "127.0.0.1:445",
        username: Some("alice"),
        secret,
        outcome,
        domain: Some("WORKGROUP"),
        ..Expect::default()
    };
    let krb = |mechanism, user, secret, outcome| Expect {
        protocol: "kerberos",
        mechanism,
        kind: "challenge-response",
        client,
        server: "127.0.0.1:88",
        username: Some(user),
        secret,
        outcome,
        domain: Some(REALM),
        ..Expect::default()
    };
    vec![
        // 1 SMB3, NTLMv2, the right password.
        smb(
            "SMB2 NTLMSSP (NetNTLMv2)",
            "NetNTLMv2 of SMB_PASS",
            "success",
        ),
        // 2 the wrong one: STATUS_LOGON_FAILURE.
        smb(
            "SMB2 NTLMSSP (NetNTLMv2)",
            "NetNTLMv2 of SMB_WRONG",
            "failure",
        ),
        // 3 the null session: nothing. 4 SMB1, NTLMSSP, NTLMv1.
        smb("SMB1 NTLMSSP (NetNTLMv1)", "NetNTLMv1", "success"),
        // 5 SMB1 without SPNEGO: NTLMv2 in the session setup.
        smb(
            "SMB1 non-extended security (NetNTLMv2)",
            "NetNTLMv2 of SMB_PASS",
            "success",
        ),
        // 6 frank, RC4 pre-authentication (after the 25 round trip, which gives nothing).
        krb(
            "AS-REQ PA-ENC-TIMESTAMP",
            "frank",
            "cipher of FRANK_PASS",
            "success",
        ),
        // 7 the wrong password: PREAUTH_FAILED.
        krb(
            "AS-REQ PA-ENC-TIMESTAMP",
            "frank",
            "cipher of FRANK_WRONG",
            "failure",
        ),
        // 8 the service ticket frank asked for, RC4 with the service's key.
        krb(
            "TGS-REP service ticket (Kerberoast)",
            "frank",
            "cipher of SERVICE_PASS",
            "success",
        ),
        // 9 grace, AES256 over TCP.
        krb(
            "AS-REQ PA-ENC-TIMESTAMP",
            "grace",
            "cipher of GRACE_PASS",
            "success",
        ),
        // 10 henry, no pre-authentication asked: the AS-REP.
        krb(
            "AS-REP (no pre-authentication)",
            "henry",
            "cipher of HENRY_PASS",
            "success",
        ),
    ]
}

#[test]
fn real_smb_and_kerberos_every_exchange_reported_once() {
    if !is_root() {
        eprintln!("real_win: SKIPPED: needs root (network namespace, tcpdump, daemons)");
        return;
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "real_win: SKIPPED: missing {} (install with ./scripts/setup-debian.sh --test)",
            missing.join(", ")
        );
        return;
    }

    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("plainsight-real-win-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let pcap = dir.join("real-win.pcap");
    let out = Command::new(find_program("bash").expect("bash"))
        .arg(repo().join("tests/e2e/real-win.sh"))
        .arg(&pcap)
        .output()
        .expect("run tests/e2e/real-win.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        out.status.success() && stdout.contains("done"),
        "real-win.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );

    eprintln!("real_win: capture {}", pcap.display());
    let (findings, code, scan_stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "plainsight exit status\n{scan_stderr}");
    let normal: Vec<Value> = findings.iter().map(normalised).collect();
    let want = expected();
    assert_findings("real smb/kerberos", &normal, &want);

    // One after another, in the script's order.
    let mut sorted: Vec<&Value> = normal.iter().collect();
    sorted.sort_by_key(|f| f["timestamp"].as_str().unwrap_or("").to_string());
    for (i, (f, e)) in sorted.iter().zip(&want).enumerate() {
        if let Some(why) = e.mismatch(f) {
            panic!(
                "finding #{} in time order is not the expected one: {why}\n{f:#}",
                i + 1
            );
        }
    }
    // The refusals say why.
    let status: Vec<&Value> = findings
        .iter()
        .filter(|f| f["outcome"] == "failure")
        .map(|f| {
            if f["protocol"] == "smb" {
                &f["details"]["status"]
            } else {
                &f["details"]["error"]
            }
        })
        .collect();
    assert_eq!(
        status,
        [
            &Value::from("STATUS_LOGON_FAILURE"),
            &Value::from("KDC_ERR_PREAUTH_FAILED (24)")
        ]
    );

    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "real_win: {} findings as expected, {:.1}s in all",
        findings.len(),
        started.elapsed().as_secs_f64()
    );
}
