//! A real VPN gateway and initiators: `tests/e2e/real-ike.sh` runs strongSwan's charon as
//! an IKEv1 gateway allowing aggressive mode with pre-shared keys, and from another
//! namespace charon initiators (MD5 with 1024-bit DH, SHA-1 with 2048-bit DH, then a wrong
//! key), vpnc (the Cisco VPN client: a group KEY_ID and its key, then XAUTH and mode
//! config) and `ike-scan -A` from a second address, which stops after the gateway's
//! answer. plainsight must report each exchange with its verdict — success, success,
//! failure, success, unknown — and crack material that recovers the gateway's key: `HASH_R` recomputed
//! here, and ike-scan's own `psk-crack` run on each line; the scanner's exchange must be
//! exactly the line ike-scan's `--pskcrack` wrote. One thread or two. Needs root, tcpdump,
//! ip, strongSwan (charon, swanctl, its XAUTH plugin), vpnc and ike-scan
//! (`./scripts/setup-debian.sh --test`);
//! otherwise the test says why and passes.

use std::process::Command;

use hmac::{Hmac, KeyInit, Mac};

use crate::support::{find_program, hex, real_e2e, scan_threads, unhex};

// The same values as in tests/e2e/real-ike.sh.
const MD5_KEY: &str = "Branch-Md5!1";
const SHA_KEY: &str = "branch-sha-2";
const GROUP_KEY: &str = "vpngroup-key";
const CISCO_KEY: &str = "Cisco-Grp!4";
const WRONG: &str = "not-the-key";

fn prf(sha1: bool, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn mac<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut m = <M as KeyInit>::new_from_slice(key).expect("any key length");
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    }
    if sha1 {
        mac::<Hmac<sha1::Sha1>>(key, parts)
    } else {
        mac::<Hmac<md5::Md5>>(key, parts)
    }
}

/// The key (of the five) whose `HASH_R` the line `g_xr:g_xi:cky_r:cky_i:sai_b:idir_b:ni_b:
/// nr_b:hash_r` holds (RFC 2409 section 5).
fn key_of(line: &str) -> &'static str {
    let v: Vec<Vec<u8>> = line.split(':').map(unhex).collect();
    assert_eq!(v.len(), 9, "{line}");
    let sha1 = v[8].len() == 20;
    [MD5_KEY, SHA_KEY, GROUP_KEY, CISCO_KEY, WRONG]
        .into_iter()
        .find(|k| {
            let skeyid = prf(sha1, k.as_bytes(), &[&v[6], &v[7]]);
            hex(&prf(
                sha1,
                &skeyid,
                &[&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]],
            )) == hex(&v[8])
        })
        .unwrap_or_else(|| panic!("a HASH_R of no known key: {line}"))
}

/// ike-scan's psk-crack, given the line and a word list with every key: the key it finds.
fn psk_crack(dir: &std::path::Path, line: &str) -> String {
    let Some(psk_crack) = find_program("psk-crack") else {
        return String::new();
    };
    let (params, words) = (dir.join("one.psk"), dir.join("words"));
    std::fs::write(&params, format!("{line}\n")).expect("write");
    std::fs::write(
        &words,
        [WRONG, MD5_KEY, SHA_KEY, GROUP_KEY, CISCO_KEY].join("\n") + "\n",
    )
    .expect("write");
    let out = Command::new(psk_crack)
        .arg("-d")
        .arg(&words)
        .arg(&params)
        .output()
        .expect("run psk-crack");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("key \"")?.split_once("\" matches"))
        .map(|(k, _)| k.to_string())
        .unwrap_or_else(|| panic!("psk-crack found no key for {line}: {text}"))
}

#[test]
fn real_ike_aggressive_mode() {
    let Some(run) = real_e2e(
        "real-ike",
        &["tcpdump", "ip", "swanctl", "ike-scan", "vpnc"],
    ) else {
        return;
    };
    run.assert_truths(&[
        "1 SUCCESS",
        "2 SUCCESS",
        "3 FAILURE",
        "4 SUCCESS",
        "5 ANSWERED",
    ]);
    let scanner_line = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("pskcrack "))
        .expect("ike-scan's --pskcrack line");
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got: Vec<_> = findings
            .iter()
            .map(|f| {
                assert_eq!(f["protocol"], "ike");
                assert_eq!(f["mechanism"], "aggressive mode PSK");
                assert_eq!(f["kind"], "challenge-response");
                assert_eq!(f["server"]["port"], 500);
                let line = format!(
                    "{}:{}",
                    f["challenge"].as_str().expect("challenge"),
                    f["secret"].as_str().expect("secret")
                );
                // The cracker's line is the same values, whichever cracker takes them.
                let cracker = if let Some(h) = f["hashcat"]["hash"].as_str() {
                    assert_eq!(h, line);
                    format!("hashcat {}", f["hashcat"]["mode"])
                } else {
                    let j = f["john"]["hash"].as_str().expect("a hashcat or john line");
                    assert_eq!(j, format!("$ike$*0*{}", line.replace(':', "*")));
                    format!("john {}", f["john"]["format"].as_str().unwrap_or(""))
                };
                let key = key_of(&line);
                if let Some(k) = Some(psk_crack(&run.dir, &line)).filter(|k| !k.is_empty()) {
                    assert_eq!(k, key, "psk-crack on {line}");
                }
                if f["client"]["ip"] == "10.236.0.3" {
                    assert_eq!(line, scanner_line, "ike-scan's own line");
                }
                let d = |k: &str| f["details"][k].as_str().unwrap_or("").to_string();
                let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
                format!(
                    "{} {}:{} to {} {} {} group {} {} key {} {}",
                    f["client"]["ip"].as_str().unwrap_or(""),
                    d("id_type"),
                    s("username"),
                    d("responder_id"),
                    d("auth"),
                    d("hash"),
                    d("dh_group"),
                    cracker,
                    key,
                    s("outcome"),
                )
            })
            .collect();
        let gw = "vpn.example.test pre-shared key";
        let want = [
            format!(
                "10.236.0.2 FQDN:branch-md5 to {gw} MD5 group 2 john ike key {MD5_KEY} success"
            ),
            format!(
                "10.236.0.2 FQDN:branch-sha to {gw} SHA1 group 14 john ike key {SHA_KEY} success"
            ),
            // The gateway's key: the initiator's wrong one refused it.
            format!(
                "10.236.0.2 FQDN:branch-md5 to {gw} MD5 group 2 john ike key {MD5_KEY} failure"
            ),
            // vpnc offers dozens of transforms: its SA payload overflows hashcat's buffer.
            format!(
                "10.236.0.2 KEY_ID:vpngroup to 10.236.0.1 XAUTH pre-shared key SHA1 group 2 john ike key {CISCO_KEY} success"
            ),
            format!(
                "10.236.0.3 FQDN:vpngroup to {gw} SHA1 group 2 hashcat 5400 key {GROUP_KEY} unknown"
            ),
        ];
        assert_eq!(got, want, "{threads} threads: {findings:#?}");
        // The failure's reason: strongSwan encrypts its refusal under its own key.
        assert_eq!(
            findings[2]["details"]["reason"],
            "encrypted notification instead of the third message"
        );
    }
    let _ = std::fs::remove_dir_all(&run.dir);
}
