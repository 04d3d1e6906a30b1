//! Real HTTP/2 in cleartext: `tests/e2e/real-http2.sh` runs nginx serving h2c (Basic
//! authentication, a refused query-string login, a redirected form login) and a grpcio
//! server refusing calls without its bearer token, in a network namespace; curl
//! (`--http2-prior-knowledge`) and a grpcio client log in from another. Their header
//! blocks are HPACK-compressed (Huffman-coded, indexed): plainsight must decode them as
//! the servers did and report every login with the status each client saw — for gRPC the
//! `grpc-status` of the trailers, its HTTP status being 200 either way. One thread or
//! two. Needs root, tcpdump, ip, nginx, curl and python3-grpcio
//! (`./scripts/setup-debian.sh --test`); otherwise the test says why and passes.

use crate::support::{real_e2e, rows, scan_threads};

// The same values as in tests/e2e/real-http2.sh.
const ALICE_PW: &str = "Alice-h2!";
const TOKEN: &str = "tok-3f9a7c21";

#[test]
fn real_http2_h2c_and_grpc() {
    let Some(run) = real_e2e("real-http2", &["tcpdump", "ip", "nginx", "curl"]) else {
        return;
    };
    run.assert_truths(&[
        "1 401",
        "2 200",
        "3 403",
        "4 302",
        "5 OK",
        "6 UNAUTHENTICATED",
    ]);
    let wrong = format!("not-{ALICE_PW}");
    for (threads, findings) in scan_threads(&run.pcap, &[]) {
        let got = rows(&findings, "grpc_method");
        assert_eq!(
            got,
            vec![
                (
                    "http2",
                    "Basic",
                    "alice",
                    wrong.as_str(),
                    "failure",
                    8080,
                    ""
                ),
                ("http2", "Basic", "alice", ALICE_PW, "success", 8080, ""),
                (
                    "http2",
                    "GET query string",
                    "bob",
                    "B0b!",
                    "failure",
                    8080,
                    ""
                ),
                (
                    "http2",
                    "POST form",
                    "carol",
                    "C4rol-h2",
                    "success",
                    8080,
                    ""
                ),
                (
                    "http2",
                    "Bearer",
                    "",
                    TOKEN,
                    "success",
                    50051,
                    "/demo.Vault/Get"
                ),
                (
                    "http2",
                    "Bearer",
                    "",
                    "tok-forged",
                    "failure",
                    50051,
                    "/demo.Vault/Get"
                ),
            ],
            "{threads} threads: {findings:#?}"
        );
        assert_eq!(
            findings[0]["details"]["url"],
            "http://10.237.0.1:8080/admin/"
        );
        assert_eq!(findings[5]["details"]["grpc_status"], "16");
    }
    let _ = std::fs::remove_dir_all(&run.dir);
}
