//! A real ZooKeeper and real clients: `tests/e2e/real-zookeeper.sh` runs Debian's
//! ZooKeeper 3.8 in a network namespace (SASL logins through DigestLoginModule, a super
//! user) and from another Kazoo (`auth digest`, a node created with a digest ACL, read with
//! the right password and a wrong one), the Java zkCli with SASL DIGEST-MD5 (right and
//! wrong), and zkCli as super user reading and setting the node's ACL. plainsight must
//! report each digest login (cleartext; ZooKeeper does not check it: outcome `unknown`),
//! each SASL login with the outcome the client saw (its response recomputed from the
//! password), and each digest ACL entry once per connection with a hashcat 120 line that
//! the password solves; one thread or two. Needs root, tcpdump, ip, java, ZooKeeper and
//! Kazoo (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use base64::Engine as _;
use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::support::{digest_md5_response, hex, real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-zookeeper.sh.
const ACL_USER: &str = "zkalice";
const SASL_USER: &str = "zkbob";
const READER_USER: &str = "zkcarol";
const PASS: &str = "Zk-Pw!1";
const WRONG: &str = "zk-Wr0ng";
const SUPER_PASS: &str = "Sup3r-zk";
const READER_PASS: &str = "Carol-Rd1";

/// Hashcat 120's line for ZooKeeper's digest of `user:password`: SHA-1 of the salt
/// `user:` and the password.
fn acl_line(user: &str, password: &str) -> String {
    format!(
        "{}:{user}:",
        hex(&Sha1::digest(format!("{user}:{password}").as_bytes()))
    )
}

#[test]
fn real_zookeeper_logins_and_acls() {
    let Some(run) = real_e2e("real-zookeeper", &["tcpdump", "ip", "java", "openssl"]) else {
        return;
    };
    run.assert_truths(&[
        "1 SUCCESS",
        "2 FAILURE",
        "3 SUCCESS",
        "4 FAILURE",
        "5 SUCCESS",
    ]);
    for (threads, findings) in scan_threads(&run.pcap, &["--no-dedup"]) {
        assert!(
            findings
                .iter()
                .all(|f| f["protocol"] == "zookeeper" && f["server"]["port"] == 2181)
        );
        let of = |mechanism: &str| -> Vec<&Value> {
            findings
                .iter()
                .filter(|f| f["mechanism"] == mechanism)
                .collect()
        };
        // Digest logins: Kazoo's two, then zkCli's (the Java client sends its `addauth`
        // packet twice).
        let digest: Vec<_> = rows(&findings, "")
            .into_iter()
            .filter(|r| r.1 == "digest")
            .map(|r| (r.2, r.3, r.4))
            .collect();
        assert_eq!(
            digest,
            vec![
                (ACL_USER, PASS, "unknown"),
                (ACL_USER, WRONG, "unknown"),
                ("super", SUPER_PASS, "unknown"),
                ("super", SUPER_PASS, "unknown"),
            ],
            "{threads} threads: {findings:#?}"
        );
        // SASL: the response of each recomputed from the password its outcome says.
        let sasl = of("SASL DIGEST-MD5");
        assert_eq!(sasl.len(), 2, "{findings:#?}");
        for (f, (password, outcome)) in sasl.iter().zip([(PASS, "success"), (WRONG, "failure")]) {
            assert_eq!(f["kind"], "challenge-response");
            assert_eq!(f["username"], SASL_USER);
            assert_eq!(f["outcome"], outcome, "{f:#}");
            assert_eq!(f["details"]["digest_uri"], "zookeeper/zk-sasl-md5");
            assert_eq!(f["secret"], digest_md5_response(f, password), "{f:#}");
        }
        assert_eq!(sasl[1]["details"]["reason"], "AUTHFAILED");
        // Digest ACLs: Kazoo's create, then zkCli's getAcl reply (another connection)
        // and its setAcl (the owner's entry already reported on that connection).
        let acls: Vec<(&str, &str, &str, &str)> = of("digest ACL")
            .iter()
            .map(|f| {
                assert_eq!(f["kind"], "challenge-response");
                assert_eq!(f["hashcat"]["mode"], 120);
                let hash = f["secret"].as_str().unwrap_or("");
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(hash)
                    .expect("base64");
                let line = f["hashcat"]["hash"].as_str().unwrap_or("");
                assert!(line.starts_with(&hex(&raw)), "{f:#}");
                (
                    f["username"].as_str().unwrap_or(""),
                    f["details"]["request"].as_str().unwrap_or(""),
                    f["details"]["path"].as_str().unwrap_or(""),
                    line,
                )
            })
            .collect();
        let (alice, carol) = (acl_line(ACL_USER, PASS), acl_line(READER_USER, READER_PASS));
        assert_eq!(
            acls,
            vec![
                (ACL_USER, "create", "/vault", alice.as_str()),
                (ACL_USER, "getACL", "/vault", alice.as_str()),
                (READER_USER, "setACL", "/vault", carol.as_str()),
            ],
            "{threads} threads"
        );
        assert_eq!(findings.len(), 9, "{findings:#?}");
    }
    let _ = std::fs::remove_dir_all(&run.dir);
}
