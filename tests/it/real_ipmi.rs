//! A real BMC and console: `tests/e2e/real-ipmi.sh` runs OpenIPMI's BMC simulator
//! (ipmi_sim) on 127.0.0.1 and asks it with ipmitool: an IPMI 2.0 session (RAKP-HMAC-SHA1)
//! with the right password and one with a wrong password (ipmitool gives up after RAKP
//! Message 2, whose HMAC it cannot verify), then an IPMI 1.5 session with the straight
//! password, captured on lo. plainsight must report the three logins; both RAKP hashes must
//! be HMAC-SHA1 of their salt under the account's real password — the wrong-password
//! session's too, since the BMC computed it — and the 1.5 password must be the cleartext.
//! Needs root, tcpdump, ipmi_sim and ipmitool (`./scripts/setup-debian.sh --test`);
//! otherwise the test says why and passes.

use hmac::{Hmac, KeyInit, Mac};

use crate::support::{hex, real_e2e, scan};

// The same values as in tests/e2e/real-ipmi.sh.
const USER: &str = "bmcadmin";
const PASS: &str = "Ipmi-L4n-pw";

#[test]
fn real_ipmi_rakp_and_straight_password() {
    let Some(run) = real_e2e("real-ipmi", &["tcpdump", "ipmi_sim", "ipmitool"]) else {
        return;
    };
    let (dir, pcap, stdout, port) = (&run.dir, &run.pcap, &run.stdout, run.port);
    let truths: Vec<&str> = run.truths.iter().map(String::as_str).collect();
    assert_eq!(truths, vec!["1 0", "2 1", "3 0"], "{stdout}");

    let (findings, code, stderr) = scan(&[pcap.as_path()]);
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(&str, &str, &str, u64)> = findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("");
            (
                s("mechanism"),
                s("username"),
                s("outcome"),
                f["server"]["port"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("RAKP-HMAC-SHA1", USER, "success", port),
            ("RAKP-HMAC-SHA1", USER, "unknown", port),
            ("straight password", USER, "success", port),
        ],
        "{findings:#?}"
    );
    for f in &findings[..2] {
        let line = f["hashcat"]["hash"].as_str().expect("hashcat line");
        assert_eq!(f["hashcat"]["mode"], 7300, "{f}");
        let (salt, hash) = line.split_once(':').expect("salt:hmac");
        let salt: Vec<u8> = (0..salt.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&salt[i..i + 2], 16).unwrap())
            .collect();
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(PASS.as_bytes()).unwrap();
        mac.update(&salt);
        let expected = hex(&mac.finalize().into_bytes());
        assert_eq!(hash, expected, "{f}");
        assert_eq!(f["secret"], expected.as_str(), "{f}");
        assert!(salt.ends_with(USER.as_bytes()), "{f}");
    }
    assert_eq!(findings[2]["secret"], PASS);
    assert_eq!(findings[2]["kind"], "cleartext");
    let _ = std::fs::remove_dir_all(dir);
}
