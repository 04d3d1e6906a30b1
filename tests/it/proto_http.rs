//! HTTP captures (`fixtures/http-*.pcap`): how each is generated, and what plainsight must
//! find in it. Like `fixtures.rs`, the generator is deterministic and
//! `http_fixtures_are_what_the_generator_makes` checks the committed files against it. To
//! regenerate after changing a generator:
//!
//! ```text
//! PLAINSIGHT_REGENERATE_FIXTURES=1 cargo test --test it http_fixtures_are_what
//! ```
//!
//! Expected digests and NTLM responses are computed here from the passwords, with the
//! `md-5`, `md4` and `hmac` crates, independently of the dissector.

use std::net::SocketAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use plainsight::capture::PcapWriter;
use plainsight::dissect::ntlmssp::build;
use plainsight::synth::{Link, SynthPacket, TcpConversation};
use plainsight::timestamp::Timestamp;
use serde_json::Value;

use crate::support::hmac_md5;
use crate::support::{Expect, assert_findings, fixture, leak, scan};

struct HttpFixture {
    name: &'static str,
    bytes: fn() -> Vec<u8>,
    expected: fn() -> Vec<Expect>,
}

const FIXTURES: &[HttpFixture] = &[
    HttpFixture {
        name: "http-basic.pcap",
        bytes: http_basic,
        expected: http_basic_expected,
    },
    HttpFixture {
        name: "http-proxy.pcap",
        bytes: http_proxy,
        expected: http_proxy_expected,
    },
    HttpFixture {
        name: "http-digest.pcap",
        bytes: http_digest,
        expected: http_digest_expected,
    },
    HttpFixture {
        name: "http-ntlm.pcap",
        bytes: http_ntlm,
        expected: http_ntlm_expected,
    },
    HttpFixture {
        name: "http-forms.pcap",
        bytes: http_forms,
        expected: http_forms_expected,
    },
    HttpFixture {
        name: "http-any-port.pcap",
        bytes: http_any_port,
        expected: http_any_port_expected,
    },
];

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::new(secs, 0)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn b64(b: &[u8]) -> String {
    B64.encode(b)
}

fn on(c: TcpConversation) -> Vec<(Link, SynthPacket)> {
    c.into_packets()
        .into_iter()
        .map(|p| (Link::Ethernet, p))
        .collect()
}

/// Packets of several conversations, in time order.
fn merge(parts: Vec<Vec<(Link, SynthPacket)>>) -> Vec<(Link, SynthPacket)> {
    let mut all: Vec<(Link, SynthPacket)> = parts.into_iter().flatten().collect();
    all.sort_by_key(|(_, p)| p.ts);
    all
}

fn pcap(packets: &[(Link, SynthPacket)]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), Link::Ethernet.linktype(), 65535, false, false)
        .expect("header");
    for (link, p) in packets {
        let f = link.frame(&p.ip);
        w.write(p.ts, &f, f.len() as u32).expect("record");
    }
    w.into_inner()
}

fn conversation(client: &str, server: &str, secs: i64) -> TcpConversation {
    let mut c = TcpConversation::new(sa(client), sa(server)).starting_at(at(secs));
    c.handshake();
    c
}

fn get_with(path: &str, host: &str, header: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: synth/1.0\r\n{header}\r\n\r\n")
        .into_bytes()
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Authorization: Basic {}",
        b64(format!("{user}:{pass}").as_bytes())
    )
}

const UNAUTHORIZED: &[u8] = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"admin\"\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nUnauthorized";
const OK: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<html>welcome</html>";

// ---- Basic, Bearer ------------------------------------------------------------------

/// Basic: two pipelined requests on a keep-alive connection answered 401 then 200 (the
/// right password holds colons), the same credentials again later (reported once); a
/// UTF-8 login; a value that is not base64; Bearer tokens.
fn http_basic() -> Vec<u8> {
    let host = "intranet.example";
    let mut a = conversation("10.0.10.5:50001", "10.0.10.80:80", 1_700_100_000);
    let wrong = get_with("/admin/", host, &basic("alice", "wrong-guess"));
    let right = get_with("/admin/", host, &basic("alice", "s3:cr3t:colons"));
    a.client(&[wrong, right].concat());
    a.server(UNAUTHORIZED).server(OK);
    a.client(&get_with(
        "/admin/style.css",
        host,
        &basic("alice", "s3:cr3t:colons"),
    ))
    .server(b"HTTP/1.1 304 Not Modified\r\nETag: \"1\"\r\n\r\n");
    a.close();

    let mut b = conversation("10.0.10.6:50002", "10.0.10.80:80", 1_700_100_010);
    b.client(&get_with("/", host, &basic("jürgen", "pässwort")))
        .server(OK)
        .close();

    let mut c = conversation("10.0.10.7:50003", "10.0.10.80:80", 1_700_100_020);
    c.client(&get_with("/", host, "Authorization: Basic dGVzd*DoxMjM0"))
        .server(UNAUTHORIZED)
        .close();

    let mut d = conversation("10.0.10.8:50004", "10.0.10.81:8080", 1_700_100_030);
    d.client(&get_with(
        "/api/v1/items",
        "api.example:8080",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl",
    ))
    .server(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n")
    .client(&get_with(
        "/api/v1/items",
        "api.example:8080",
        "Authorization: Bearer expired-token-123",
    ))
    .server(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"invalid_token\"\r\nContent-Length: 0\r\n\r\n")
    .close();
    pcap(&merge(vec![on(a), on(b), on(c), on(d)]))
}

fn http_basic_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "http",
        mechanism: "Basic",
        kind: "cleartext",
        client: "10.0.10.5:50001",
        server: "10.0.10.80:80",
        username: Some("alice"),
        ..Expect::default()
    };
    let bearer = Expect {
        mechanism: "Bearer",
        kind: "token",
        client: "10.0.10.8:50004",
        server: "10.0.10.81:8080",
        username: None,
        ..base.clone()
    };
    vec![
        // Both requests are in frame 4 (after the handshake).
        Expect {
            secret: "wrong-guess",
            outcome: "failure",
            frame: Some(4),
            ..base.clone()
        },
        Expect {
            secret: "s3:cr3t:colons",
            outcome: "success",
            frame: Some(4),
            ..base.clone()
        },
        Expect {
            client: "10.0.10.6:50002",
            username: Some("jürgen"),
            secret: "pässwort",
            outcome: "success",
            ..base.clone()
        },
        Expect {
            client: "10.0.10.7:50003",
            username: None,
            secret: "dGVzd*DoxMjM0",
            outcome: "failure",
            ..base.clone()
        },
        // A 2xx does not show a bearer token was checked; a 401 shows it was refused.
        Expect {
            secret: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl",
            outcome: "unknown",
            ..bearer.clone()
        },
        Expect {
            secret: "expired-token-123",
            outcome: "failure",
            ..bearer
        },
    ]
}

// ---- Proxy --------------------------------------------------------------------------

/// A proxy on 3128: `Proxy-Authorization: Basic` refused (407) then accepted; an
/// absolute-form request with user:password in its URL.
fn http_proxy() -> Vec<u8> {
    let mut a = conversation("10.0.20.5:51000", "10.0.20.1:3128", 1_700_200_000);
    let req = |pass: &str| {
        format!(
            "GET http://www.example.com/ HTTP/1.1\r\nHost: www.example.com\r\nProxy-Authorization: Basic {}\r\nProxy-Connection: keep-alive\r\n\r\n",
            b64(format!("proxyuser:{pass}").as_bytes())
        )
        .into_bytes()
    };
    a.client(&req("Pr0xy?"))
        .server(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"squid\"\r\nContent-Length: 0\r\n\r\n")
        .client(&req("Pr0xy!"))
        .server(OK)
        .close();
    let mut b = conversation("10.0.20.6:51001", "10.0.20.1:3128", 1_700_200_010);
    b.client(
        b"GET ftp://anon:ftp%40pass@ftp.example.org/pub/ HTTP/1.1\r\nHost: ftp.example.org\r\n\r\n",
    )
    .server(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>listing</html>")
    .close();
    pcap(&merge(vec![on(a), on(b)]))
}

fn http_proxy_expected() -> Vec<Expect> {
    let proxy = Expect {
        protocol: "http",
        mechanism: "Proxy Basic",
        kind: "cleartext",
        client: "10.0.20.5:51000",
        server: "10.0.20.1:3128",
        username: Some("proxyuser"),
        ..Expect::default()
    };
    vec![
        Expect {
            secret: "Pr0xy?",
            outcome: "failure",
            ..proxy.clone()
        },
        Expect {
            secret: "Pr0xy!",
            outcome: "success",
            ..proxy.clone()
        },
        Expect {
            mechanism: "URL userinfo",
            client: "10.0.20.6:51001",
            username: Some("anon"),
            secret: "ftp@pass",
            outcome: "success",
            // After the 14 packets of the first connection.
            frame: Some(18),
            ..proxy
        },
    ]
}

// ---- Digest -------------------------------------------------------------------------

const DIGEST_REALM: &str = "staff@example.org";
const DIGEST_NONCE: &str = "5b2e1a7c9f00d4e1a2b3c4d5e6f70819";
const DIGEST_URI: &str = "/protected/report.html";

fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// RFC 2617 3.2.2.1 with qop=auth: MD5(HA1:nonce:nc:cnonce:qop:HA2).
fn digest(user: &str, password: &str, nc: &str, cnonce: &str) -> String {
    let ha1 = md5_hex(&format!("{user}:{DIGEST_REALM}:{password}"));
    let ha2 = md5_hex(&format!("GET:{DIGEST_URI}"));
    md5_hex(&format!("{ha1}:{DIGEST_NONCE}:{nc}:{cnonce}:auth:{ha2}"))
}

fn digest_header(user: &str, password: &str, nc: &str, cnonce: &str) -> String {
    format!(
        "Authorization: Digest username=\"{user}\", realm=\"{DIGEST_REALM}\", nonce=\"{DIGEST_NONCE}\", uri=\"{DIGEST_URI}\", algorithm=MD5, response=\"{}\", opaque=\"0a1b2c\", qop=auth, nc={nc}, cnonce=\"{cnonce}\"",
        digest(user, password, nc, cnonce)
    )
}

/// Digest with qop=auth: the challenge, a wrong password (401), the right one (200).
fn http_digest() -> Vec<u8> {
    let host = "www.example.org";
    let mut c = conversation("10.0.30.5:52000", "10.0.30.80:80", 1_700_300_000);
    c.client(&get_with(DIGEST_URI, host, "Accept: */*"));
    let challenge = format!(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"{DIGEST_REALM}\", qop=\"auth\", algorithm=MD5, nonce=\"{DIGEST_NONCE}\", opaque=\"0a1b2c\"\r\nContent-Length: 0\r\n\r\n"
    );
    c.server(challenge.as_bytes());
    c.client(&get_with(
        DIGEST_URI,
        host,
        &digest_header("carol", "not-my-password", "00000001", "8f3c2a1b"),
    ));
    c.server(challenge.as_bytes());
    c.client(&get_with(
        DIGEST_URI,
        host,
        &digest_header("carol", "Tr1cky Passw0rd", "00000002", "0d9e8f7a"),
    ));
    c.server(OK).close();
    pcap(&on(c))
}

fn http_digest_expected() -> Vec<Expect> {
    let one = |password: &str, nc: &'static str, cnonce: &'static str, outcome| {
        let response = leak(digest("carol", password, nc, cnonce));
        Expect {
            protocol: "http",
            mechanism: "Digest",
            kind: "challenge-response",
            client: "10.0.30.5:52000",
            server: "10.0.30.80:80",
            username: Some("carol"),
            secret: response,
            outcome,
            challenge: Some(DIGEST_NONCE),
            hashcat: Some((
                11400,
                leak(format!(
                    "$sip$***carol*{DIGEST_REALM}*GET**{DIGEST_URI}**{DIGEST_NONCE}*{cnonce}*{nc}*auth*MD5*{response}"
                )),
            )),
            ..Expect::default()
        }
    };
    vec![
        one("not-my-password", "00000001", "8f3c2a1b", "failure"),
        one("Tr1cky Passw0rd", "00000002", "0d9e8f7a", "success"),
    ]
}

// ---- NTLM ---------------------------------------------------------------------------

const NTLM_CHALLENGE: [u8; 8] = [0x5a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77];

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The NTLMv2 response (MS-NLMP 3.3.2) of `password` to `challenge`: NTProofStr + blob.
fn ntlmv2(user: &str, domain: &str, password: &str, challenge: &[u8], blob: &[u8]) -> Vec<u8> {
    let nt_hash = md4::Md4::digest(utf16(password));
    let ntowf = hmac_md5(&nt_hash, &[&utf16(&(user.to_uppercase() + domain))]);
    [hmac_md5(&ntowf, &[challenge, blob]), blob.to_vec()].concat()
}

fn ntlm_blob(client_challenge: u8) -> Vec<u8> {
    [
        &[1u8, 1, 0, 0, 0, 0, 0, 0][..],
        &[0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01],
        &[client_challenge; 8],
        &[0; 4],
        &[2, 0, 8, 0],
        &utf16("CORP"),
        &[0; 4],
        &[0; 4],
    ]
    .concat()
}

const NTLM_NEGOTIATE: &[u8] =
    b"NTLMSSP\0\x01\0\0\0\x07\x82\x08\xa2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

fn ntlm_type3(client_challenge: u8, challenge: &[u8]) -> Vec<u8> {
    let nt = ntlmv2(
        "dave",
        "CORP",
        "Summer2026!",
        challenge,
        &ntlm_blob(client_challenge),
    );
    build::authenticate("dave", "CORP", "WS-042", &[0; 24], &nt)
}

/// One NTLM handshake on a new connection: 401, NEGOTIATE, 401 with the CHALLENGE,
/// AUTHENTICATE, 200. Returns the conversation and the packet index of the CHALLENGE.
fn ntlm_conversation(client: &str, secs: i64, client_challenge: u8) -> (TcpConversation, usize) {
    let host = "sharepoint.corp.example";
    let mut c = conversation(client, "10.0.40.80:80", secs);
    c.client(&get_with("/sites/team/", host, "Accept: */*"))
        .server(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n");
    c.client(&get_with(
        "/sites/team/",
        host,
        &format!("Authorization: NTLM {}", b64(NTLM_NEGOTIATE)),
    ));
    let index = c.packets().len();
    c.server(
        format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM {}\r\nContent-Length: 0\r\n\r\n",
            b64(&build::challenge(NTLM_CHALLENGE))
        )
        .as_bytes(),
    );
    c.client(&get_with(
        "/sites/team/",
        host,
        &format!(
            "Authorization: NTLM {}",
            b64(&ntlm_type3(client_challenge, &NTLM_CHALLENGE))
        ),
    ));
    c.server(OK).close();
    (c, index)
}

/// NTLMv2 three times: the whole handshake (hashcat 5600 line); a capture that starts
/// after the CHALLENGE (user, domain and response, no hashcat line); and one whose
/// CHALLENGE segment the capture lost (the responses can no longer be matched to the
/// requests: outcome unknown).
fn http_ntlm() -> Vec<u8> {
    let (full, _) = ntlm_conversation("10.0.40.5:53000", 1_700_400_000, 0x11);
    let (late, challenge_at) = ntlm_conversation("10.0.40.6:53001", 1_700_400_010, 0x22);
    let late: Vec<SynthPacket> = late.into_packets().split_off(challenge_at + 2);
    let (lost, challenge_at) = ntlm_conversation("10.0.40.7:53002", 1_700_400_020, 0x33);
    let mut lost = lost.into_packets();
    lost.remove(challenge_at);
    let wrap = |p: Vec<SynthPacket>| p.into_iter().map(|p| (Link::Ethernet, p)).collect();
    pcap(&merge(vec![on(full), wrap(late), wrap(lost)]))
}

fn http_ntlm_expected() -> Vec<Expect> {
    let nt = |cc: u8| {
        ntlmv2(
            "dave",
            "CORP",
            "Summer2026!",
            &NTLM_CHALLENGE,
            &ntlm_blob(cc),
        )
    };
    let full = nt(0x11);
    let base = Expect {
        protocol: "http",
        mechanism: "NTLM (NetNTLMv2)",
        kind: "challenge-response",
        server: "10.0.40.80:80",
        username: Some("dave"),
        ..Expect::default()
    };
    vec![
        Expect {
            client: "10.0.40.5:53000",
            secret: leak(hex(&full)),
            outcome: "success",
            challenge: Some(leak(hex(&NTLM_CHALLENGE))),
            hashcat: Some((
                5600,
                leak(format!(
                    "dave::CORP:{}:{}:{}",
                    hex(&NTLM_CHALLENGE),
                    hex(&full[..16]),
                    hex(&full[16..])
                )),
            )),
            frame: Some(12),
            ..base.clone()
        },
        Expect {
            client: "10.0.40.6:53001",
            secret: leak(hex(&nt(0x22))),
            outcome: "success",
            ..base.clone()
        },
        Expect {
            client: "10.0.40.7:53002",
            secret: leak(hex(&nt(0x33))),
            outcome: "unknown",
            ..base
        },
    ]
}

// ---- Forms --------------------------------------------------------------------------

fn post(path: &str, host: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    [
        format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n{extra}\r\n"
        )
        .as_bytes(),
        body,
    ]
    .concat()
}

/// Login forms: a WordPress login with percent-encoding and `+` (302), a chunked body
/// split over two segments (200), a GET query-string login, a Rails-style
/// `user[password]` form refused (401), and a comment form with no password field (no
/// finding).
fn http_forms() -> Vec<u8> {
    let host = "www.example.net";
    let wp = b"log=editor&pwd=Qu%C3%A9bec+%26+Co%3D1&wp-submit=Log+In&redirect_to=%2Fwp-admin%2F&testcookie=1";
    let mut a = conversation("10.0.50.5:54000", "10.0.50.80:80", 1_700_500_000);
    a.client(&post(
        "/wp-login.php",
        host,
        &format!("Content-Length: {}\r\n", wp.len()),
        wp,
    ))
    .server(b"HTTP/1.1 302 Found\r\nLocation: /wp-admin/\r\nContent-Length: 0\r\n\r\n")
    .close();

    let mut b = conversation("10.0.50.6:54001", "10.0.50.80:80", 1_700_500_010);
    b.client(&post(
        "/login",
        host,
        "Transfer-Encoding: chunked\r\n",
        b"f\r\nusername=admin&\r\n",
    ))
    .client(b"15\r\npassword=ch%75nked%21\r\n0\r\n\r\n")
    .server(OK)
    .close();

    let mut c = conversation("10.0.50.7:54002", "10.0.50.80:8000", 1_700_500_020);
    c.client(&get_with(
        "/login?login=root&password=t%6Fo+r",
        "www.example.net:8000",
        "Accept: */*",
    ))
    .server(OK)
    .close();

    let rails = b"utf8=%E2%9C%93&user%5Bemail%5D=eve%40example.net&user%5Bpassword%5D=guess1&commit=Sign+in";
    let mut d = conversation("10.0.50.8:54003", "10.0.50.80:80", 1_700_500_030);
    d.client(&post(
        "/users/sign_in",
        host,
        &format!("Content-Length: {}\r\n", rails.len()),
        rails,
    ))
    .server(UNAUTHORIZED)
    .close();

    let comment = b"author=Eve&email=eve%40example.net&url=&comment=Nice+post%21&user_token=abc123";
    let mut e = conversation("10.0.50.9:54004", "10.0.50.80:80", 1_700_500_040);
    e.client(&post(
        "/wp-comments-post.php",
        host,
        &format!("Content-Length: {}\r\n", comment.len()),
        comment,
    ))
    .server(b"HTTP/1.1 302 Found\r\nLocation: /?p=1\r\nContent-Length: 0\r\n\r\n")
    .close();
    pcap(&merge(vec![on(a), on(b), on(c), on(d), on(e)]))
}

fn http_forms_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "http",
        mechanism: "POST form",
        kind: "cleartext",
        server: "10.0.50.80:80",
        ..Expect::default()
    };
    vec![
        Expect {
            client: "10.0.50.5:54000",
            username: Some("editor"),
            secret: "Québec & Co=1",
            outcome: "success",
            ..base.clone()
        },
        // The password is in the second body segment (frame 16, after the 10 packets of
        // the first connection).
        Expect {
            client: "10.0.50.6:54001",
            username: Some("admin"),
            secret: "chunked!",
            outcome: "success",
            frame: Some(16),
            ..base.clone()
        },
        Expect {
            mechanism: "GET query string",
            client: "10.0.50.7:54002",
            server: "10.0.50.80:8000",
            username: Some("root"),
            secret: "too r",
            outcome: "success",
            ..base.clone()
        },
        Expect {
            client: "10.0.50.8:54003",
            username: Some("eve@example.net"),
            secret: "guess1",
            outcome: "failure",
            ..base
        },
    ]
}

// ---- Any port -----------------------------------------------------------------------

/// HTTP on port 8888 (no protocol expected there) is found by its content, also when
/// the capture starts mid-connection; TLS on 8443 carrying HTTP inside gives nothing.
fn http_any_port() -> Vec<u8> {
    let mut a = conversation("192.0.2.10:40100", "192.0.2.20:8888", 1_700_600_000);
    a.client(&get_with(
        "/status",
        "192.0.2.20:8888",
        &basic("monitor", "p@ss w0rd"),
    ))
    .server(OK)
    .close();
    let mut b = conversation("192.0.2.11:40101", "192.0.2.20:8888", 1_700_600_010);
    b.client(&get_with("/", "192.0.2.20:8888", "Accept: */*"))
        .server(OK)
        .client(&get_with(
            "/metrics",
            "192.0.2.20:8888",
            &basic("scraper", "midflow-secret"),
        ))
        .server(OK)
        .close();
    // Starts after the first exchange: no SYN, the first bytes are the second request.
    let b: Vec<SynthPacket> = b.into_packets().split_off(7);
    let mut c = conversation("192.0.2.12:40102", "192.0.2.20:8443", 1_700_600_020);
    let mut hello = b"\x16\x03\x01\x00\x50\x01\x00\x00\x4c\x03\x03".to_vec();
    hello.extend_from_slice(&[0x42; 76]);
    c.client(&hello)
        .server(b"\x16\x03\x03\x00\x10\x02\x00\x00\x0c\x03\x03abcdefgh\x00\x00")
        .client(
            &[
                b"\x17\x03\x03\x00\x40".as_slice(),
                &get_with("/", "x", &basic("no", "find")),
            ]
            .concat(),
        )
        .close();
    let wrap = |p: Vec<SynthPacket>| p.into_iter().map(|p| (Link::Ethernet, p)).collect();
    pcap(&merge(vec![on(a), wrap(b), on(c)]))
}

fn http_any_port_expected() -> Vec<Expect> {
    let base = Expect {
        protocol: "http",
        mechanism: "Basic",
        kind: "cleartext",
        server: "192.0.2.20:8888",
        outcome: "success",
        ..Expect::default()
    };
    vec![
        Expect {
            client: "192.0.2.10:40100",
            username: Some("monitor"),
            secret: "p@ss w0rd",
            ..base.clone()
        },
        Expect {
            client: "192.0.2.11:40101",
            username: Some("scraper"),
            secret: "midflow-secret",
            ..base
        },
    ]
}

// ---- Tests --------------------------------------------------------------------------

#[test]
fn http_fixtures_are_what_the_generator_makes() {
    let regenerate = std::env::var_os("PLAINSIGHT_REGENERATE_FIXTURES").is_some();
    for f in FIXTURES {
        let want = (f.bytes)();
        let path = fixture(f.name);
        if regenerate {
            std::fs::write(&path, &want).expect("write fixture");
        }
        let have = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            have == want,
            "{} differs from its generator: regenerate the fixtures",
            f.name
        );
    }
}

#[test]
fn http_fixtures_give_exactly_their_findings() {
    for f in FIXTURES {
        let (findings, code, stderr) = scan(&[&fixture(f.name)]);
        assert_findings(f.name, &findings, &(f.expected)());
        assert_eq!(code, 1, "{}: exit status (stderr: {stderr})", f.name);
    }
}

fn detail<'a>(f: &'a Value, k: &str) -> &'a str {
    f["details"][k].as_str().unwrap_or("")
}

#[test]
fn http_details_hold_no_secret() {
    let (findings, _, _) = scan(&[&fixture("http-forms.pcap")]);
    let query = findings
        .iter()
        .find(|f| f["mechanism"] == "GET query string")
        .expect("query-string finding");
    assert_eq!(detail(query, "url"), "http://www.example.net:8000/login");
    assert_eq!(detail(query, "fields"), "login,password");
    let rails = findings
        .iter()
        .find(|f| f["username"] == "eve@example.net")
        .expect("rails form");
    assert_eq!(detail(rails, "fields"), "user[email],user[password]");
    let (findings, _, _) = scan(&[&fixture("http-proxy.pcap")]);
    for f in &findings {
        let secret = f["secret"].as_str().unwrap_or("");
        assert!(!f["details"].to_string().contains(secret), "{f}");
    }
    let (findings, _, _) = scan(&[&fixture("http-digest.pcap")]);
    assert_eq!(detail(&findings[0], "realm"), DIGEST_REALM);
    assert_eq!(detail(&findings[0], "uri"), DIGEST_URI);
    assert_eq!(detail(&findings[0], "method"), "GET");
}

#[test]
fn http_ntlm_without_challenge_has_no_hashcat_line() {
    let (findings, _, _) = scan(&[&fixture("http-ntlm.pcap")]);
    for f in &findings {
        assert_eq!(f["domain"], "CORP", "{f}");
        assert_eq!(detail(f, "workstation"), "WS-042", "{f}");
        let with_challenge = f["client"]["port"] == 53000;
        assert_eq!(f.get("hashcat").is_some(), with_challenge, "{f}");
        if !with_challenge {
            assert_eq!(detail(f, "challenge"), "not in the capture", "{f}");
        }
    }
}

#[test]
fn http_digest_response_is_the_one_of_the_password() {
    // RFC 2617 section 3.5's example, with this file's digest arithmetic.
    let ha1 = md5_hex("Mufasa:testrealm@host.com:Circle Of Life");
    let ha2 = md5_hex("GET:/dir/index.html");
    assert_eq!(
        md5_hex(&format!(
            "{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:0a4f113b:auth:{ha2}"
        )),
        "6629fae49393a05397450978507c4ef1"
    );
}

#[test]
fn form_field_names_can_be_added_on_the_command_line() {
    // A login form whose fields no built-in name matches: nothing by default; found once
    // the user names its fields (case-insensitively), outcome from the 302.
    let mut c = conversation("10.0.10.9:50100", "10.0.10.80:80", 1_700_300_000);
    c.client(&post(
        "/cgi-bin/auth",
        "router.example",
        "Content-Length: 27\r\n",
        b"Acct=admin&Pin_Code=8675309",
    ));
    c.server(b"HTTP/1.1 302 Found\r\nLocation: /status\r\nContent-Length: 0\r\n\r\n");
    c.close();
    let dir = std::env::temp_dir().join(format!("plainsight-formfields-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("router-form.pcap");
    std::fs::write(&path, pcap(&on(c))).expect("write capture");

    let (plain, code, _) = scan(&[&path]);
    assert_eq!(code, 0);
    assert!(plain.is_empty(), "unknown field names gave {plain:?}");

    let out = crate::support::run(&[
        "scan",
        "--format",
        "jsonl",
        "--reveal",
        "--form-user-fields",
        "acct,login_id",
        "--form-password-fields",
        "PIN_CODE",
        path.to_str().expect("utf-8 path"),
    ]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let found: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_findings(
        "named form fields",
        &found,
        &[Expect {
            protocol: "http",
            mechanism: "POST form",
            kind: "cleartext",
            client: "10.0.10.9:50100",
            server: "10.0.10.80:80",
            username: Some("admin"),
            secret: "8675309",
            outcome: "success",
            ..Expect::default()
        }],
    );
    std::fs::remove_dir_all(&dir).ok();
}
