//! A real proxy: `tests/e2e/real-proxy.sh` runs Squid (Basic credentials checked by
//! basic_ncsa_auth) in a network namespace with two origins (Python's http.server and an
//! openssl s_server), and curl goes through it from another: a GET and a CONNECT (then
//! TLS), each with the right password and a wrong one. plainsight must report every
//! `Proxy-Authorization` with the proxy's verdict (407 a failure, the origin's answer or
//! the tunnel a success), the request's target in `details.url`, and nothing from inside
//! the tunnel. Needs root, tcpdump, ip, squid, htpasswd (apache2-utils), curl and openssl
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-proxy.sh.
const WEB_USER: &str = "proxyuser";
const WEB_PASS: &str = "Proxy-Pass-1";
const TUNNEL_USER: &str = "tunneluser";
const TUNNEL_PASS: &str = "Tunnel-Pass-3";
const WRONG: &str = "Wrong-Pass-2";

#[test]
fn real_squid_proxy_basic() {
    let Some(run) = real_e2e(
        "real-proxy",
        &[
            "tcpdump", "ip", "squid", "htpasswd", "curl", "openssl", "python3",
        ],
    ) else {
        return;
    };
    run.assert_truths(&["1 200", "2 407", "3 200", "4 407"]);
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got = rows(&findings, "url");
        let web = "http://10.226.0.1:8080/";
        let tunnel = "10.226.0.1:8443";
        assert_eq!(
            got,
            vec![
                (
                    "http",
                    "Proxy Basic",
                    WEB_USER,
                    WEB_PASS,
                    "success",
                    3128,
                    web
                ),
                ("http", "Proxy Basic", WEB_USER, WRONG, "failure", 3128, web),
                (
                    "http",
                    "Proxy Basic",
                    TUNNEL_USER,
                    TUNNEL_PASS,
                    "success",
                    3128,
                    tunnel
                ),
                (
                    "http",
                    "Proxy Basic",
                    TUNNEL_USER,
                    WRONG,
                    "failure",
                    3128,
                    tunnel
                ),
            ],
            "{threads} threads: {findings:#?}"
        );
        assert!(
            findings.iter().all(|f| f["server"]["port"] == 3128),
            "{findings:#?}"
        );
    }
}
