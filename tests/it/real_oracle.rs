//! python-oracledb's thin driver — a real, pure-Python implementation of Oracle's client
//! protocol (TNS, TTC, O5LOGON) — against `tests/e2e/oracle-peer.py`, which answers as an
//! Oracle Database server does and checks each password for real (Debian ships no Oracle
//! server): `tests/e2e/real-oracle.sh` logs in with 12c and 11g verifiers, right and wrong
//! passwords, on Oracle's port 1521 (TNS 318, with the urgent byte of the out-of-band
//! check in the client's stream) and on 15210 (found by content; TNS 315 after a RESEND),
//! changes a password at login and sets two by `ALTER USER`. plainsight must report each
//! login with the outcome the client saw and what it takes to test a guess offline — this
//! test decrypts the password from the reported values with the known one — and each
//! password a statement set, one thread or two; and `scripts/offline-crack.py` must find
//! the typed passwords in a word list. Needs root, tcpdump, ip and
//! python3-oracledb (`./scripts/setup-debian.sh --test`); otherwise says why and passes.

use crate::o5logon::{Challenge, VERIFIER_11G, VERIFIER_12C, decrypt_password};
use crate::support::{
    find_program, offline_crack, python_has, real_e2e, rows, scan_threads, tshark_fields,
};

// The same values as in tests/e2e/oracle-client.py.
const SCOTT_PW: &str = "Tiger-0racle-1";
const WRONG_PW: &str = "Wr0ng-Tiger";
const LEGACY_PW: &str = "Leg4cy-Pw-11";
const ALICE_PW: &str = "Al1ce-New-Pw";
const SYSTEM_PW: &str = "Sys-Pw-42";
const SCOTT_NEW_PW: &str = "Sc0tt-Changed-2";

#[test]
fn real_oracle_logins_and_statements() {
    if !python_has("oracledb", "python3-oracledb") {
        return;
    }
    let Some(run) = real_e2e("real-oracle", &["tcpdump", "ip"]) else {
        return;
    };
    run.assert_truths(&[
        "1 OK",
        "2 ERROR ORA-01017",
        "3 OK",
        "4 ERROR ORA-01031",
        "5 OK",
        "6 OK",
    ]);
    if let Some(tshark) = find_program("tshark") {
        // Wireshark reads the same TNS packets: a CONNECT per connection on 1521 (the
        // RESEND on 15210 makes the client send its CONNECT twice).
        let connects = tshark_fields(&tshark, &run.pcap, "tns.type == 1", &["tcp.dstport"]);
        assert_eq!(connects.len(), 4, "four CONNECTs on 1521: {connects:?}");
    }
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got: Vec<_> = rows(&findings, "reason")
            .into_iter()
            .zip(&findings)
            .map(|(r, f)| {
                let why = f["details"]["diagnostic"].as_str().unwrap_or(r.6);
                let secret = if r.1.starts_with("O5LOGON") { "" } else { r.3 };
                (r.1, r.2, secret, r.4, r.5, why)
            })
            .collect();
        let denied = "ORA-01017: invalid username/password; logon denied";
        assert_eq!(
            got,
            vec![
                ("O5LOGON", "scott", "", "success", 1521, ""),
                (
                    "ALTER USER ... IDENTIFIED BY",
                    "alice",
                    ALICE_PW,
                    "success",
                    1521,
                    ""
                ),
                ("O5LOGON", "scott", "", "failure", 1521, denied),
                ("O5LOGON", "legacy", "", "success", 1521, ""),
                (
                    "ALTER USER ... IDENTIFIED BY",
                    "system",
                    SYSTEM_PW,
                    "failure",
                    1521,
                    "ORA-01031: insufficient privileges"
                ),
                ("O5LOGON", "scott", "", "success", 15210, ""),
                ("O5LOGON", "scott", "", "success", 1521, ""),
                ("O5LOGON (new password)", "scott", "", "success", 1521, ""),
            ],
            "{threads} threads: {findings:#?}"
        );
        // Each login's values test a guess: the right password decrypts what the client
        // sent (a wrong attempt's to what was typed), another guess does not.
        let typed = [
            SCOTT_PW,
            WRONG_PW,
            LEGACY_PW,
            SCOTT_PW,
            SCOTT_PW,
            SCOTT_NEW_PW,
        ];
        let logins = findings.iter().filter(|f| {
            f["mechanism"]
                .as_str()
                .is_some_and(|m| m.starts_with("O5LOGON"))
        });
        for (f, want) in logins.zip(typed) {
            let d = &f["details"];
            let verifier = match d["verifier"].as_str() {
                Some("12c (PBKDF2-SHA512)") => VERIFIER_12C,
                Some("11g (SHA-1)") => VERIFIER_11G,
                other => panic!("verifier {other:?}: {f}"),
            };
            let count = |k: &str| d[k].as_str().and_then(|n| n.parse().ok()).unwrap_or(0);
            let challenge = Challenge {
                verifier,
                salt: f["challenge"].as_str().expect("AUTH_VFR_DATA"),
                csk_salt: d["pbkdf2_csk_salt"].as_str().expect("CSK salt"),
                vgen_count: count("pbkdf2_vgen_count"),
                sder_count: count("pbkdf2_sder_count"),
            };
            let parts: Vec<&str> = f["secret"].as_str().expect("secret").split('*').collect();
            let [server_key, client_key, encrypted] = parts[..] else {
                panic!("three values: {f}");
            };
            // The session key comes from the account's password (the first of the row
            // for the new password's finding).
            let account = if want == SCOTT_NEW_PW { SCOTT_PW } else { want };
            let decrypted = decrypt_password(
                &challenge,
                account.as_bytes(),
                server_key,
                client_key,
                encrypted,
            );
            assert_eq!(decrypted.as_deref(), Some(want.as_bytes()), "{f}");
            assert!(
                decrypt_password(
                    &challenge,
                    b"not-the-password",
                    server_key,
                    client_key,
                    encrypted
                )
                .as_deref()
                    != Some(want.as_bytes())
            );
            assert_eq!(d["database"], "ORCLPDB1", "{f}");
        }
    }
    // The shipped cracker on the O5LOGON findings, as a scan writes them: each login's
    // typed password (the new one decrypts with the old, not tested alone).
    let findings = &scan_threads(&run.pcap, &[])[0].1;
    let words = [
        ALICE_PW,
        LEGACY_PW,
        "nope",
        WRONG_PW,
        SCOTT_PW,
        SCOTT_NEW_PW,
    ];
    let said = offline_crack(findings, &words);
    let cracked: Vec<&str> = said.lines().filter_map(|l| l.rsplit(' ').next()).collect();
    assert_eq!(
        cracked,
        [SCOTT_PW, WRONG_PW, LEGACY_PW, SCOTT_PW, SCOTT_PW],
        "offline-crack.py said:\n{said}"
    );
}
