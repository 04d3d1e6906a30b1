//! Real IS-IS: `tests/e2e/real-isis.sh` runs two FRRouting routers (zebra and isisd) in
//! network namespaces on one broadcast link, hellos with a cleartext interface password,
//! level-1 LSPs and SNPs signed with RFC 5304 HMAC-MD5 under the area password, level-2
//! ones with a cleartext domain password; captured at once on the veth (802.3 and LLC)
//! and with `-i any` (Linux cooked v2, where sent frames carry their 802.3 length).
//! plainsight must report, from both captures alike and with one or two threads, each
//! router's passwords (MAC endpoints: the router and its IS-IS group address) and its
//! level-1 LSP's HMAC-MD5 with John the Ripper's `rsvp` line that the area password
//! verifies; every password tshark reads is among them, every digest reported is one
//! tshark reads. Needs root, tcpdump, ip and FRR (`./scripts/setup-debian.sh --test`);
//! otherwise the test says why and passes.

use std::collections::BTreeSet;

use hmac::{Hmac, KeyInit, Mac};

use crate::support::{find_program, hex, real_e2e, scan_with, tshark_fields, unhex};

// The same values as in tests/e2e/real-isis.sh.
const HELLO_PW: &str = "Hello-Pw1";
const AREA_KEY: &str = "Area-Md5-Key";
const DOMAIN_PW: &str = "Domain-Pw";

#[test]
fn real_isis_passwords_and_hmac_md5() {
    let Some(run) = real_e2e("real-isis", &["tcpdump", "ip", "vtysh"]) else {
        return;
    };
    // B's LSPs in A's database, of each level: its own, and a pseudonode's when B was
    // elected the LAN's designated router.
    let counts: Vec<u32> = run
        .truths
        .first()
        .and_then(|t| t.strip_prefix("lsps "))
        .map(|t| t.split(' ').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_default();
    assert!(
        counts.len() == 2 && counts.iter().all(|&n| (1..=2).contains(&n)),
        "{}",
        run.stdout
    );
    let any = run.dir.join("real-isis-any.pcap");
    let mut seen: Option<BTreeSet<String>> = None;
    for (pcap, threads) in [(&run.pcap, "1"), (&run.pcap, "2"), (&any, "1")] {
        let (findings, code, stderr) = scan_with(&["--threads", threads], &[pcap.as_path()]);
        assert_eq!(code, 1, "{stderr}");
        let mut got = BTreeSet::new();
        let mut routers = BTreeSet::new();
        for f in &findings {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            let d = |k: &str| f["details"][k].as_str().unwrap_or("").to_string();
            assert_eq!(s("protocol"), "isis", "{f}");
            let router = f["client"]["mac"]
                .as_str()
                .expect("a MAC client")
                .to_string();
            let group = f["server"]["mac"].as_str().expect("a MAC server");
            let level = d("level");
            let want_group = if level == "1" {
                "01:80:c2:00:00:14"
            } else {
                "01:80:c2:00:00:15"
            };
            assert_eq!(group, want_group, "{f}");
            routers.insert((router.clone(), d("system_id")));
            let secret = match s("mechanism").as_str() {
                "cleartext password" => s("secret"),
                "HMAC-MD5" => {
                    let (digest, signed) = (s("secret"), s("challenge"));
                    let mut mac = Hmac::<md5::Md5>::new_from_slice(AREA_KEY.as_bytes()).unwrap();
                    mac.update(&unhex(&signed));
                    assert_eq!(hex(&mac.finalize().into_bytes()), digest, "{f}");
                    assert_eq!(f["john"]["format"], "rsvp", "{f}");
                    assert_eq!(
                        f["john"]["hash"].as_str(),
                        Some(format!("$rsvp$1${signed}${digest}").as_str())
                    );
                    "HMAC-MD5 of the area password".to_string()
                }
                m => panic!("unexpected mechanism {m}: {f}"),
            };
            got.insert(format!("{router} {} {level} {secret}", d("pdu")));
        }
        // Two routers, each with its hellos of both levels, its level-1 LSP signed, its
        // level-2 LSP with the domain password.
        assert_eq!(routers.len(), 2, "{routers:?}");
        for (router, _) in &routers {
            for want in [
                format!("{router} LAN hello 1 {HELLO_PW}"),
                format!("{router} LAN hello 2 {HELLO_PW}"),
                format!("{router} LSP 1 HMAC-MD5 of the area password"),
                format!("{router} LSP 2 {DOMAIN_PW}"),
            ] {
                assert!(got.contains(&want), "{want:?} not in {got:#?}");
            }
        }
        match &seen {
            None => seen = Some(got),
            Some(first) => assert_eq!(first, &got, "{} with {threads} threads", pcap.display()),
        }
        // tshark's reading of the Ethernet capture (in the cooked one it leaves the frames
        // sent, their protocol an 802.3 length, undecoded): its passwords are ours, our
        // digests are among its.
        if let Some(tshark) = find_program("tshark").filter(|_| pcap == &run.pcap) {
            let fields = [
                "isis.hello.clv_authentication",
                "isis.lsp.authentication",
                "isis.csnp.authentication",
            ];
            let theirs: BTreeSet<String> = tshark_fields(&tshark, pcap, "isis", &fields)
                .iter()
                .flat_map(|l| l.split(['\t', ',']).map(str::to_string).collect::<Vec<_>>())
                .filter(|v| !v.is_empty())
                .collect();
            for pw in [HELLO_PW, DOMAIN_PW] {
                assert!(
                    theirs.contains(&hex(pw.as_bytes())),
                    "{pw} not in tshark's {theirs:?}"
                );
            }
            for f in findings.iter().filter(|f| f["mechanism"] == "HMAC-MD5") {
                let digest = f["secret"].as_str().unwrap().to_string();
                assert!(
                    theirs.contains(&digest),
                    "{digest} not in tshark's {theirs:?}"
                );
            }
            // Every other value tshark reads is a digest (of a later LSP or an SNP).
            for v in &theirs {
                assert!(
                    findings.iter().any(|f| f["secret"]
                        .as_str()
                        .map(|s| hex(s.as_bytes()))
                        .as_ref()
                        == Some(v))
                        || v.len() == 32,
                    "tshark's {v} is neither a password we report nor a digest"
                );
            }
        }
    }
}
