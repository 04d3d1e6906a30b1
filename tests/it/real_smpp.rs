//! A real SMS gateway binding to an SMSC: `tests/e2e/real-smpp.sh` runs Kannel's own SMPP
//! test driver (drive_smpp, kannel-extras) as the SMSC in a network namespace and Kannel's
//! bearerbox binding to it as a transmitter from another. plainsight must report the
//! bind's system_id and password — the same tshark's SMPP dissector reads — accepted by
//! the SMSC's bind_transmitter_resp. One thread or two. Needs root, tcpdump, ip and Kannel
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{find_program, real_e2e, rows, scan_threads, tshark_fields};

// The same values as in tests/e2e/real-smpp.sh.
const SYSTEM_ID: &str = "shopnotify";
const PASSWORD: &str = "Sms-pw9";

#[test]
fn real_smpp_bind() {
    let Some(run) = real_e2e("real-smpp", &["tcpdump", "ip", "bearerbox"]) else {
        return;
    };
    run.assert_truths(&["1 BOUND"]);
    if let Some(tshark) = find_program("tshark") {
        let read = tshark_fields(
            &tshark,
            &run.pcap,
            "smpp.command_id == 0x00000002",
            &["smpp.system_id", "smpp.password"],
        );
        assert_eq!(read, vec![format!("{SYSTEM_ID}\t{PASSWORD}")]);
    }
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        assert_eq!(
            rows(&findings, "system_type"),
            vec![(
                "smpp",
                "bind_transmitter",
                SYSTEM_ID,
                PASSWORD,
                "success",
                2775,
                "VMA"
            )],
            "{threads} threads: {findings:#?}"
        );
        assert_eq!(findings[0]["details"]["interface_version"], "3.4");
    }
    let _ = std::fs::remove_dir_all(&run.dir);
}
