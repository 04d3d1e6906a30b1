//! A real L2TP tunnel: `tests/e2e/real-l2tp.sh` runs xl2tpd as an LNS in a network
//! namespace and xl2tpd as a LAC in another, both asking for tunnel authentication, once
//! with the shared secret and once with a wrong one. plainsight must report every
//! Challenge Response with the outcome the LAC saw (the LAC closing the tunnel refuses
//! the LNS's answer), one thread or two, each answer being `MD5(message type + secret +
//! challenge)` as its hashcat line says. Needs root, tcpdump, ip and xl2tpd
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use md5::{Digest, Md5};

use crate::support::{real_e2e, rows, scan_with, unhex};

// The same values as in tests/e2e/real-l2tp.sh.
const SECRET: &str = "L2tp-Tunnel-S3cret";
const WRONG: &str = "l2tp-Wr0ng-secret";

#[test]
fn real_l2tp_tunnel_authentication() {
    let Some(run) = real_e2e("real-l2tp", &["tcpdump", "ip", "xl2tpd"]) else {
        return;
    };
    assert_eq!(run.truths, ["1 SUCCESS", "2 FAILURE"], "{}", run.stdout);
    for threads in ["1", "2"] {
        let (findings, code, stderr) = scan_with(&["--threads", threads], &[run.pcap.as_path()]);
        assert_eq!(code, 1, "{stderr}");
        let got: Vec<_> = rows(&findings, "")
            .into_iter()
            .map(|(p, m, user, _, outcome, port, _)| (p, m, user, outcome, port))
            .collect();
        let tunnel = "tunnel authentication";
        assert_eq!(
            got,
            vec![
                ("l2tp", tunnel, "lns-e2e", "success", 1701),
                ("l2tp", tunnel, "lac-e2e", "success", 1701),
                ("l2tp", tunnel, "lns-e2e", "failure", 1701),
            ],
            "{threads} threads: {findings:#?}"
        );
        // The LNS answered in its SCCRP (message type 2), the LAC in its SCCCN (3); the
        // LNS always knew the secret, the LAC of the second tunnel did not.
        let clients: Vec<&str> = findings
            .iter()
            .filter_map(|f| f["client"]["ip"].as_str())
            .collect();
        assert_eq!(clients, ["10.231.0.1", "10.231.0.2", "10.231.0.1"]);
        for (f, ident) in findings.iter().zip([2u8, 3, 2]) {
            let line = f["hashcat"]["hash"].as_str().expect("hashcat line");
            let parts: Vec<&str> = line.split(':').collect();
            assert_eq!(f["hashcat"]["mode"], 4800);
            assert_eq!(parts[2], format!("{ident:02x}"), "{line}");
            assert_eq!(parts[0], f["secret"], "{line}");
            let made = Md5::new()
                .chain_update([ident])
                .chain_update(SECRET)
                .chain_update(unhex(parts[1]))
                .finalize();
            assert_eq!(crate::support::hex(&made), parts[0], "{line}");
            let wrong = Md5::new()
                .chain_update([ident])
                .chain_update(WRONG)
                .chain_update(unhex(parts[1]))
                .finalize();
            assert_ne!(crate::support::hex(&wrong), parts[0]);
        }
    }
}
