//! CVS pserver, X11, RIP, HSRP and iSCSI captures of the project: how each is generated, and what
//! plainsight must find in it (the conventions of `fixtures.rs`). The expected findings are
//! written from what each generator plants (the real clients are in `real_legacy.rs`). To
//! regenerate after changing a generator:
//!
//! ```text
//! PLAINSIGHT_REGENERATE_FIXTURES=1 cargo test --test it legacy_fixtures_are_what
//! ```

use std::net::SocketAddr;

use plainsight::capture::PcapWriter;
use plainsight::dissect::cvs::scramble;
use plainsight::dissect::hsrp::build as hsrp;
use plainsight::dissect::iscsi::{self, build as scsi};
use plainsight::dissect::rip::build as rip;
use plainsight::dissect::x11::{MIT_MAGIC_COOKIE, build as x11};
use plainsight::synth::{Link, SynthPacket, TcpConversation, udp_packet};
use plainsight::timestamp::Timestamp;

use crate::fixtures::{Fixture, assert_expected, assert_generated};
use crate::support::{Expect, fixture, hex, leak, scan};

fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

/// A little-endian microsecond Ethernet pcap of conversations, in time order.
fn pcap(cs: Vec<TcpConversation>) -> Vec<u8> {
    packets_pcap(
        cs.into_iter()
            .flat_map(TcpConversation::into_packets)
            .collect(),
    )
}

/// The same, of packets.
fn packets_pcap(mut packets: Vec<SynthPacket>) -> Vec<u8> {
    packets.sort_by_key(|p| p.ts);
    let mut w = PcapWriter::new(Vec::new(), Link::Ethernet.linktype(), 65535, false, false)
        .expect("header");
    for p in &packets {
        let f = Link::Ethernet.frame(&p.ip);
        w.write(p.ts, &f, f.len() as u32).expect("record");
    }
    w.into_inner()
}

/// A conversation without pure ACKs: after the handshake (frames 1-3) each segment is
/// one frame.
fn conv(client: &str, server: &str, start: i64) -> TcpConversation {
    let mut c = TcpConversation::new(sa(client), sa(server))
        .without_acks()
        .starting_at(Timestamp::new(start, 0));
    c.handshake();
    c
}

fn none() -> Vec<Expect> {
    Vec::new()
}

// ---- CVS pserver ---------------------------------------------------------------------

fn cvs_request(kind: &str, repository: &str, user: &str, password: &[u8]) -> Vec<u8> {
    let mut r = format!("BEGIN {kind} REQUEST\n{repository}\n{user}\n").into_bytes();
    r.extend(scramble(password));
    r.extend(format!("\nEND {kind} REQUEST\n").as_bytes());
    r
}

/// CVS pserver: `cvs login` (a VERIFICATION request) with a wrong password (`I HATE YOU`),
/// then the right one with every printable byte class (`I LOVE YOU`); a checkout's AUTH
/// request followed by CVS commands; on port 12401 (found by content) a login refused
/// with `E` and `error` lines; a GSSAPI request (no password: nothing).
fn cvs_pserver() -> Vec<u8> {
    let mut a = conv("10.36.0.10:40001", "10.36.0.1:2401", 1_700_360_000);
    a.client(&cvs_request(
        "VERIFICATION",
        "/var/lib/cvs",
        "anoncvs",
        b"guess",
    ))
    .server(b"I HATE YOU\n")
    .close();
    let mut b = conv("10.36.0.10:40002", "10.36.0.1:2401", 1_700_360_010);
    let mut password = scramble(b"~Tr1cky :@/ \"pass\"");
    password.extend(b"\nEND VERIFICATION REQUEST\n");
    b.client(b"BEGIN VERIFICATION REQUEST\n/var/lib/cvs\n")
        .client(b"wendy\n")
        .client(&password)
        .server(b"I LOVE YOU\n")
        .close();
    let mut c = conv("10.36.0.10:40003", "10.36.0.1:2401", 1_700_360_020);
    c.client(&cvs_request(
        "AUTH",
        "/var/lib/cvs",
        "wendy",
        b"~Tr1cky :@/ \"pass\"",
    ))
    .server(b"I LOVE YOU\n")
    .client(b"Root /var/lib/cvs\nValid-responses ok error Valid-requests\nvalid-requests\n")
    .server(b"Valid-requests Root Valid-responses valid-requests Directory\nok\n")
    .close();
    let mut d = conv("10.36.0.11:40004", "10.36.0.2:12401", 1_700_360_030);
    d.client(&cvs_request("AUTH", "/cvsroot", "xavier", b"n0-such"))
        .server(b"E Fatal error, aborting.\nerror 0 xavier: no such user\n")
        .close();
    let mut e = conv("10.36.0.12:40005", "10.36.0.1:2401", 1_700_360_040);
    e.client(b"BEGIN GSSAPI REQUEST\n")
        .server(b"I LOVE YOU\n")
        .close();
    pcap(vec![a, b, c, d, e])
}

fn cvs_pserver_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "cvs",
        mechanism: "pserver verification",
        kind: "cleartext",
        client: "10.36.0.10:40001",
        server: "10.36.0.1:2401",
        ..Expect::default()
    };
    vec![
        Expect {
            username: Some("anoncvs"),
            secret: "guess",
            outcome: "failure",
            frame: Some(4),
            ..e.clone()
        },
        Expect {
            client: "10.36.0.10:40002",
            username: Some("wendy"),
            secret: "~Tr1cky :@/ \"pass\"",
            outcome: "success",
            frame: Some(14),
            ..e.clone()
        },
        Expect {
            mechanism: "pserver",
            client: "10.36.0.10:40003",
            username: Some("wendy"),
            secret: "~Tr1cky :@/ \"pass\"",
            outcome: "success",
            ..e.clone()
        },
        Expect {
            mechanism: "pserver",
            client: "10.36.0.11:40004",
            server: "10.36.0.2:12401",
            username: Some("xavier"),
            secret: "n0-such",
            outcome: "failure",
            ..e
        },
    ]
}

// ---- X11 -----------------------------------------------------------------------------

const COOKIE: [u8; 16] = [
    0x9e, 0x41, 0x07, 0xd2, 0x6a, 0xbc, 0x13, 0x58, 0xf0, 0x2d, 0x84, 0x77, 0x3b, 0xc9, 0x65, 0x0a,
];

/// X11: a little-endian client opens display :0 with the right cookie (Success); a
/// big-endian one opens display :10 with a stale cookie (Failed, with its reason), the
/// request cut in two segments; on port 16001 (found by content) a cookie whose setup the
/// server answers with Authenticate; a setup without authorization and one with
/// XDM-AUTHORIZATION-1 (nothing).
fn x11_cookie() -> Vec<u8> {
    let mut a = conv("10.37.0.10:41001", "10.37.0.1:6000", 1_700_370_000);
    a.client(&x11::setup(b'l', MIT_MAGIC_COOKIE, &COOKIE))
        .server(&x11::success())
        .client(b"\x62\x00\x05\x00\x0c\x00\x00\x00BIG-REQUESTS")
        .close();
    let stale: Vec<u8> = COOKIE.iter().map(|b| b ^ 0xff).collect();
    let req = x11::setup(b'B', MIT_MAGIC_COOKIE, &stale);
    let mut b = conv("10.37.0.11:41002", "10.37.0.1:6010", 1_700_370_010);
    b.client(&req[..20])
        .client(&req[20..])
        .server(&x11::failed(b"Invalid MIT-MAGIC-COOKIE-1 key"))
        .close();
    let mut c = conv("10.37.0.12:41003", "10.37.0.2:16001", 1_700_370_020);
    c.client(&x11::setup(b'l', MIT_MAGIC_COOKIE, &COOKIE[..]))
        .server(b"\x02\x00\x00\x00\x00\x00\x00\x00")
        .close();
    let mut d = conv("10.37.0.13:41004", "10.37.0.1:6000", 1_700_370_030);
    d.client(&x11::setup(b'l', b"", b""))
        .server(&x11::failed(b"No protocol specified\n"))
        .close();
    let mut e = conv("10.37.0.13:41005", "10.37.0.1:6000", 1_700_370_040);
    e.client(&x11::setup(b'B', b"XDM-AUTHORIZATION-1", &[0x42; 24]))
        .server(&x11::success())
        .close();
    pcap(vec![a, b, c, d, e])
}

fn x11_cookie_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "x11",
        mechanism: "MIT-MAGIC-COOKIE-1",
        kind: "token",
        client: "10.37.0.10:41001",
        server: "10.37.0.1:6000",
        secret: "9e4107d26abc1358f02d84773bc9650a",
        outcome: "success",
        frame: Some(4),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            client: "10.37.0.11:41002",
            server: "10.37.0.1:6010",
            secret: "61bef82d9543eca70fd27b88c4369af5",
            outcome: "failure",
            frame: Some(13),
            ..e.clone()
        },
        Expect {
            client: "10.37.0.12:41003",
            server: "10.37.0.2:16001",
            outcome: "unknown",
            frame: Some(22),
            ..e
        },
    ]
}

// ---- RIP and HSRP --------------------------------------------------------------------

/// One UDP datagram `secs` seconds in.
fn udp(secs: i64, src: &str, dst: &str, payload: &[u8]) -> SynthPacket {
    SynthPacket {
        ts: Timestamp::new(1_700_380_000 + secs, 0),
        ip: udp_packet(sa(src), sa(dst), payload),
    }
}

/// Routers of one segment: two RIPv2 routers sending their updates with a simple
/// password to 224.0.0.9 every 30 seconds (three rounds), a RIPv2 router without
/// authentication and one with keyed MD5 (no password on the wire); an HSRP version 1
/// group with Cisco's default key and a version 2 group with its own key, hellos every
/// 3 seconds to 224.0.0.2 / 224.0.0.102; a DNS query whose ID and flags read as an HSRP
/// hello, on port 53 (not HSRP: no finding); an HSRP version 1 group signed with MD5
/// (RFC 1828 keyed MD5, the same hello twice).
fn routing_keys() -> Vec<u8> {
    let routes = [([10, 20, 0, 0], 1), ([10, 21, 0, 0], 2)];
    let mut md5 = rip::response(Some(b"unused"), &routes);
    md5[7] = 3;
    let mut packets = Vec::new();
    for round in 0..3 {
        let t = round * 30;
        packets.push(udp(
            t,
            "10.38.0.1:520",
            "224.0.0.9:520",
            &rip::response(Some(b"RIPkey!"), &routes),
        ));
        packets.push(udp(
            t + 1,
            "10.38.0.2:520",
            "224.0.0.9:520",
            &rip::response(Some(b"RIPkey!"), &routes[..1]),
        ));
        packets.push(udp(
            t + 2,
            "10.38.0.3:520",
            "224.0.0.9:520",
            &rip::response(None, &routes),
        ));
        packets.push(udp(t + 3, "10.38.0.4:520", "224.0.0.9:520", &md5));
    }
    for i in 0..10 {
        packets.push(udp(
            i * 3,
            "10.38.1.2:1985",
            "224.0.0.2:1985",
            &hsrp::hello_v1(1, b"cisco", [10, 38, 1, 1]),
        ));
        packets.push(udp(
            i * 3 + 1,
            "10.38.2.2:1985",
            "224.0.0.102:1985",
            &hsrp::hello_v2(20, Some(b"Hsrp2key")),
        ));
    }
    let mut dns = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00".to_vec();
    dns.extend(b"\x07example\x03com\x00\x00\x01\x00\x01");
    packets.push(udp(40, "10.38.3.9:40000", "10.38.3.1:53", &dns));
    // HSRP MD5 authentication: the same hello twice (one finding, John's line).
    for t in [41, 44] {
        packets.push(udp(
            t,
            "10.38.4.2:1985",
            "224.0.0.2:1985",
            &hsrp::hello_v1_md5(4, HSRP_MD5_KEY, 1, [10, 38, 4, 2], [10, 38, 4, 1]),
        ));
    }
    packets_pcap(packets)
}

const HSRP_MD5_KEY: &[u8] = b"Hsrp-Md5-Key";

fn routing_keys_expected() -> Vec<Expect> {
    let hello = hsrp::hello_v1_md5(4, HSRP_MD5_KEY, 1, [10, 38, 4, 2], [10, 38, 4, 1]);
    let mut signed = hello.clone();
    signed[34..50].fill(0);
    assert_eq!(&hsrp::keyed_md5(HSRP_MD5_KEY, &signed)[..], &hello[34..50]);
    let e = Expect {
        protocol: "rip",
        mechanism: "simple password",
        kind: "cleartext",
        client: "10.38.0.1:520",
        server: "224.0.0.9:520",
        secret: "RIPkey!",
        outcome: "unknown",
        frame: Some(1),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            protocol: "hsrp",
            mechanism: "text authentication",
            client: "10.38.1.2:1985",
            server: "224.0.0.2:1985",
            secret: "cisco",
            frame: Some(2),
            ..e.clone()
        },
        Expect {
            client: "10.38.0.2:520",
            frame: Some(3),
            ..e.clone()
        },
        Expect {
            protocol: "hsrp",
            mechanism: "text authentication",
            client: "10.38.2.2:1985",
            server: "224.0.0.102:1985",
            secret: "Hsrp2key",
            frame: Some(4),
            ..e.clone()
        },
        Expect {
            protocol: "hsrp",
            mechanism: "MD5 authentication",
            kind: "challenge-response",
            client: "10.38.4.2:1985",
            server: "224.0.0.2:1985",
            secret: leak(hex(&hello[34..50])),
            challenge: Some(leak(hex(&signed))),
            // After the first two RIP rounds, the twenty HSRP hellos and the DNS query.
            frame: Some(30),
            ..e
        },
    ]
}

// ---- iSCSI ---------------------------------------------------------------------------

/// The CHAP response MD5(identifier, secret, challenge), computed here.
fn chap(id: u8, secret: &[u8], challenge: &[u8]) -> String {
    use md5::{Digest, Md5};
    let d = Md5::new()
        .chain_update([id])
        .chain_update(secret)
        .chain_update(challenge)
        .finalize();
    d.iter().map(|b| format!("{b:02x}")).collect()
}

const ISCSI_CHALLENGE: [u8; 16] = [
    0x6e, 0x02, 0xa1, 0x9c, 0x33, 0x58, 0xf4, 0x0d, 0x7b, 0xe2, 0x15, 0x80, 0x49, 0xcc, 0x21, 0x97,
];

/// An iSCSI login with CHAP: the initiator offers CHAP, the target sends identifier and
/// challenge, the initiator answers name and response (computed for `secret`), the target
/// accepts (status 0) or refuses (2/1).
fn iscsi_login(
    client: &str,
    start: i64,
    id: u8,
    secret: &[u8],
    status: (u8, u8),
) -> TcpConversation {
    let hex: String = ISCSI_CHALLENGE.iter().map(|b| format!("{b:02x}")).collect();
    let req = |keys: &[&str]| scsi::login(iscsi::OP_LOGIN_REQUEST, keys, (0, 0));
    let resp = |keys: &[&str], s| scsi::login(iscsi::OP_LOGIN_RESPONSE, keys, s);
    let mut c = conv(client, "10.40.0.1:3260", start);
    c.client(&req(&[
        "InitiatorName=iqn.1993-08.org.debian:01:db7",
        "TargetName=iqn.2024-01.example:storage.lun1",
        "SessionType=Normal",
        "AuthMethod=CHAP,None",
    ]))
    .server(&resp(
        &["TargetPortalGroupTag=1", "AuthMethod=CHAP"],
        (0, 0),
    ))
    .client(&req(&["CHAP_A=5"]))
    .server(&resp(
        &[
            "CHAP_A=5",
            &format!("CHAP_I={id}"),
            &format!("CHAP_C=0x{hex}"),
        ],
        (0, 0),
    ))
    .client(&req(&[
        "CHAP_N=db7-initiator",
        &format!("CHAP_R=0x{}", chap(id, secret, &ISCSI_CHALLENGE)),
    ]))
    .server(&resp(&[], status))
    .close();
    c
}

/// iSCSI CHAP: a login with the right secret (accepted), one with a wrong secret
/// refused with an authentication failure (2/1).
fn iscsi_chap() -> Vec<u8> {
    pcap(vec![
        iscsi_login(
            "10.40.0.10:47001",
            1_700_400_000,
            7,
            b"Iscsi-Chap-Pw1",
            (0, 0),
        ),
        iscsi_login(
            "10.40.0.10:47002",
            1_700_400_010,
            8,
            b"not-the-secret",
            (2, 1),
        ),
    ])
}

fn iscsi_chap_expected() -> Vec<Expect> {
    let hex: String = ISCSI_CHALLENGE.iter().map(|b| format!("{b:02x}")).collect();
    let right = chap(7, b"Iscsi-Chap-Pw1", &ISCSI_CHALLENGE);
    let wrong = chap(8, b"not-the-secret", &ISCSI_CHALLENGE);
    let e = Expect {
        protocol: "iscsi",
        mechanism: "CHAP",
        kind: "challenge-response",
        client: "10.40.0.10:47001",
        server: "10.40.0.1:3260",
        username: Some("db7-initiator"),
        secret: leak(right.clone()),
        outcome: "success",
        frame: Some(8),
        challenge: Some(leak(hex.clone())),
        hashcat: Some((4800, leak(format!("{right}:{hex}:07")))),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            client: "10.40.0.10:47002",
            secret: leak(wrong.clone()),
            outcome: "failure",
            frame: None,
            hashcat: Some((4800, leak(format!("{wrong}:{hex}:08")))),
            ..e
        },
    ]
}

// ---- rsync daemon --------------------------------------------------------------------

/// The challenge and response of a login Debian's rsync 3.5.0 made (protocol 32, SHA-512)
/// with the password `Rsync-pw1`.
const RSYNC_CHALLENGE: &str =
    "7dJ22xZvZaG5lXHwUxs264m2vQA+zHTdM8lQ8EW6vRiy1WxlpyxLcOXBtvlCh/k/nCwZ/9TV2p+FwzxN6eCtaw";
const RSYNC_RESPONSE: &str =
    "hciOlKVUxJAwaoHifBceXw2ww0Zbtjkg0sKALgakx2rXGB9Q4aWjwp5ULsJV228eYi+Ma7Kjwui40x2IItCQRw";
/// An rsync 3.0-era login (protocol 30, no digest lists: MD5) on another port.
const RSYNC_OLD_CHALLENGE: &str = "q0VsAAAAAAAAAAAAAAAAAA";

/// base64 without padding, as rsync writes it.
fn b64_no_pad(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

fn rsync_old_response() -> String {
    use md5::{Digest, Md5};
    b64_no_pad(&Md5::digest(
        [&b"old-md5-pw"[..], RSYNC_OLD_CHALLENGE.as_bytes()].concat(),
    ))
}

fn rsync_daemon() -> Vec<u8> {
    let mut a = conv("10.41.0.10:48001", "10.41.0.1:873", 1_700_410_000);
    a.server(b"@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n")
        .client(b"@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\nmod\n")
        .server(format!("@RSYNCD: AUTHREQD {RSYNC_CHALLENGE}\n").as_bytes())
        .client(format!("alice {RSYNC_RESPONSE}\n").as_bytes())
        .server(b"@RSYNCD: OK\n")
        .client(b"--server\0--sender\0-de.LsfxCIvu\0.\0mod/\0\0")
        .close();
    let mut b = conv("10.41.0.11:48002", "10.41.0.2:8873", 1_700_410_010);
    b.server(b"@RSYNCD: 30.0\nWelcome to the backup host.\n\n")
        .client(b"@RSYNCD: 30.0\nbackup\n")
        .server(format!("@RSYNCD: AUTHREQD {RSYNC_OLD_CHALLENGE}\n").as_bytes())
        .client(format!("bkp {}\n", rsync_old_response()).as_bytes())
        .server(b"@ERROR: auth failed on module backup\n")
        .close();
    // An open module: no login.
    let mut c = conv("10.41.0.12:48003", "10.41.0.1:873", 1_700_410_020);
    c.server(b"@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n")
        .client(b"@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\npub\n")
        .server(b"@RSYNCD: OK\n")
        .close();
    pcap(vec![a, b, c])
}

fn rsync_daemon_expected() -> Vec<Expect> {
    let raw = plainsight::dissect::sasl::decode_base64(RSYNC_RESPONSE.as_bytes()).unwrap();
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let old = rsync_old_response();
    let old_raw = plainsight::dissect::sasl::decode_base64(old.as_bytes()).unwrap();
    vec![
        Expect {
            protocol: "rsync",
            mechanism: "AUTHREQD sha512",
            kind: "challenge-response",
            client: "10.41.0.10:48001",
            server: "10.41.0.1:873",
            username: Some("alice"),
            secret: RSYNC_RESPONSE,
            outcome: "success",
            frame: Some(7),
            challenge: Some(RSYNC_CHALLENGE),
            hashcat: Some((1710, leak(format!("{}:{RSYNC_CHALLENGE}", hex(&raw))))),
            ..Expect::default()
        },
        Expect {
            protocol: "rsync",
            mechanism: "AUTHREQD md5",
            kind: "challenge-response",
            client: "10.41.0.11:48002",
            server: "10.41.0.2:8873",
            username: Some("bkp"),
            secret: leak(old),
            outcome: "failure",
            challenge: Some(RSYNC_OLD_CHALLENGE),
            hashcat: Some((10, leak(format!("{}:{RSYNC_OLD_CHALLENGE}", hex(&old_raw))))),
            ..Expect::default()
        },
    ]
}

// ---- Subversion (svn://) ------------------------------------------------------------

/// A CRAM-MD5 challenge and the response svn 1.14.2 sent for the password `Svn-pw1`.
const SVN_CHALLENGE: &str = "<7346212446965349454.1795770893622658@vm>";
const SVN_RESPONSE: &str = "87ae782c4d178a678afa84eafbbd857f";
const SVN_GREETING: &[u8] = b"( success ( 2 2 ( ) ( edit-pipeline svndiff1 accepts-svndiff2 absent-entries commit-revprops depth log-revprops atomic-revprops partial-replay inherited-props ephemeral-txnprops file-revs-reverse list ) ) ) ";

fn svn_hello(url: &str) -> Vec<u8> {
    format!(
        "( 2 ( edit-pipeline svndiff1 accepts-svndiff2 absent-entries depth mergeinfo log-revprops ) {}:{url} 32:SVN/1.14.2 (x86_64-pc-linux-gnu) ( ) ) ",
        url.len()
    )
    .into_bytes()
}

fn svn_logins() -> Vec<u8> {
    let mut a = conv("10.42.0.10:49001", "10.42.0.1:3690", 1_700_420_000);
    a.server(SVN_GREETING)
        .client(&svn_hello("svn://10.42.0.1/repo"))
        .server(b"( success ( ( CRAM-MD5 ) 15:Plainsight Repo ) ) ")
        .client(b"( CRAM-MD5 ( ) ) ")
        .server(format!("( step ( {}:{SVN_CHALLENGE} ) ) ", SVN_CHALLENGE.len()).as_bytes())
        .client(format!("38:alice {SVN_RESPONSE} ").as_bytes())
        .server(b"( success ( ) ) ( success ( 36:35219685-7d26-45c6-96cc-16e546b4c563 20:svn://10.42.0.1/repo ( mergeinfo ) ) ) ")
        .client(b"( get-latest-rev ( ) ) ")
        .close();
    // Cyrus SASL PLAIN on another port, refused.
    let mut b = conv("10.42.0.11:49002", "10.42.0.2:13690", 1_700_420_010);
    b.server(SVN_GREETING)
        .client(&svn_hello("svn://10.42.0.2:13690/code"))
        .server(b"( success ( ( PLAIN ANONYMOUS ) 9:Code Repo ) ) ")
        .client(b"( PLAIN ( 24:AGRldgBzYXNsLXBsYWluLXB3 ) ) ")
        .server(b"( failure ( 26:Authentication error (-13) ) ) ")
        .close();
    pcap(vec![a, b])
}

fn svn_logins_expected() -> Vec<Expect> {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    vec![
        Expect {
            protocol: "svn",
            mechanism: "CRAM-MD5",
            kind: "challenge-response",
            client: "10.42.0.10:49001",
            server: "10.42.0.1:3690",
            username: Some("alice"),
            secret: SVN_RESPONSE,
            outcome: "success",
            frame: Some(9),
            challenge: Some(SVN_CHALLENGE),
            hashcat: Some((
                10200,
                leak(format!(
                    "$cram_md5${}${}",
                    b64(SVN_CHALLENGE),
                    b64(&format!("alice {SVN_RESPONSE}"))
                )),
            )),
            ..Expect::default()
        },
        Expect {
            protocol: "svn",
            mechanism: "SASL PLAIN",
            kind: "cleartext",
            client: "10.42.0.11:49002",
            server: "10.42.0.2:13690",
            username: Some("dev"),
            secret: "sasl-plain-pw",
            outcome: "failure",
            ..Expect::default()
        },
    ]
}

// ---- ManageSieve ---------------------------------------------------------------------

/// The greeting Debian's dovecot-managesieved (Pigeonhole) sends, without STARTTLS.
const SIEVE_GREETING: &[u8] = b"\"IMPLEMENTATION\" \"Dovecot (Debian) Pigeonhole\"\r\n\"SIEVE\" \"fileinto reject envelope encoded-character vacation\"\r\n\"NOTIFY\" \"mailto\"\r\n\"SASL\" \"PLAIN LOGIN\"\r\n\"VERSION\" \"1.0\"\r\nOK \"Dovecot (Debian) ready.\"\r\n";

fn managesieve_logins() -> Vec<u8> {
    use base64::Engine as _;
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    let mut a = conv("10.43.0.10:50001", "10.43.0.1:4190", 1_700_430_000);
    a.server(SIEVE_GREETING)
        .client(
            format!(
                "AUTHENTICATE \"PLAIN\" \"{}\"\r\n",
                b64(b"\0sally\0sieve-Wr0ng")
            )
            .as_bytes(),
        )
        .server(b"NO \"Authentication failed.\"\r\n")
        .client(
            format!(
                "AUTHENTICATE \"PLAIN\" {{28+}}\r\n{}\r\n",
                b64(b"\0sally\0Sieve-filter-1")
            )
            .as_bytes(),
        )
        .server(b"OK \"Logged in.\"\r\n")
        .client(b"LISTSCRIPTS\r\n")
        .server(b"\"vacation\" ACTIVE\r\nOK \"Listscripts completed.\"\r\n")
        .close();
    // LOGIN on another port, step by step.
    let mut b = conv("10.43.0.11:50002", "10.43.0.2:2000", 1_700_430_010);
    b.server(SIEVE_GREETING)
        .client(b"AUTHENTICATE \"LOGIN\"\r\n")
        .server(b"\"VXNlcm5hbWU6\"\r\n")
        .client(format!("\"{}\"\r\n", b64(b"harry")).as_bytes())
        .server(b"\"UGFzc3dvcmQ6\"\r\n")
        .client(format!("\"{}\"\r\n", b64(b"Login-sieve-2")).as_bytes())
        .server(b"OK\r\n")
        .close();
    pcap(vec![a, b])
}

fn managesieve_logins_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "managesieve",
        mechanism: "AUTHENTICATE PLAIN",
        kind: "cleartext",
        client: "10.43.0.10:50001",
        server: "10.43.0.1:4190",
        username: Some("sally"),
        secret: "sieve-Wr0ng",
        outcome: "failure",
        frame: Some(5),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            secret: "Sieve-filter-1",
            outcome: "success",
            frame: Some(7),
            ..e
        },
        Expect {
            mechanism: "AUTHENTICATE LOGIN",
            client: "10.43.0.11:50002",
            server: "10.43.0.2:2000",
            username: Some("harry"),
            secret: "Login-sieve-2",
            outcome: "success",
            frame: None,
            ..e
        },
    ]
}

pub const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "managesieve-logins.pcap",
        bytes: managesieve_logins,
        expected: managesieve_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "svn-logins.pcap",
        bytes: svn_logins,
        expected: svn_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "rsync-daemon.pcap",
        bytes: rsync_daemon,
        expected: rsync_daemon_expected,
        exit: 1,
    },
    Fixture {
        name: "iscsi-chap.pcap",
        bytes: iscsi_chap,
        expected: iscsi_chap_expected,
        exit: 1,
    },
    Fixture {
        name: "routing-keys.pcap",
        bytes: routing_keys,
        expected: routing_keys_expected,
        exit: 1,
    },
    Fixture {
        name: "cvs-pserver.pcap",
        bytes: cvs_pserver,
        expected: cvs_pserver_expected,
        exit: 1,
    },
    Fixture {
        name: "x11-cookie.pcap",
        bytes: x11_cookie,
        expected: x11_cookie_expected,
        exit: 1,
    },
    Fixture {
        name: "x11-no-cookie.pcap",
        bytes: x11_no_cookie,
        expected: none,
        exit: 0,
    },
];

/// X11 setups that carry no cookie (none, XDM-AUTHORIZATION-1, an empty cookie): nothing.
fn x11_no_cookie() -> Vec<u8> {
    let mut a = conv("10.37.0.20:42001", "10.37.0.1:6000", 1_700_370_100);
    a.client(&x11::setup(b'l', b"", b""))
        .server(&x11::success())
        .close();
    let mut b = conv("10.37.0.20:42002", "10.37.0.1:6001", 1_700_370_110);
    b.client(&x11::setup(b'B', b"XDM-AUTHORIZATION-1", &[0x42; 24]))
        .server(&x11::success())
        .close();
    let mut c = conv("10.37.0.20:42003", "10.37.0.1:6002", 1_700_370_120);
    c.client(&x11::setup(b'l', MIT_MAGIC_COOKIE, b""))
        .server(&x11::failed(b"No protocol specified\n"))
        .close();
    pcap(vec![a, b, c])
}

#[test]
fn legacy_fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn legacy_fixtures_give_exactly_their_findings() {
    assert_expected(FIXTURES);
}

#[test]
fn legacy_details_carry_repository_version_and_reason() {
    let details = |name: &str| -> Vec<serde_json::Value> {
        let (findings, _, _) = scan(&[&fixture(name)]);
        findings.iter().map(|f| f["details"].clone()).collect()
    };
    let cvs = details("cvs-pserver.pcap");
    assert_eq!(cvs[0], serde_json::json!({"repository": "/var/lib/cvs"}));
    assert_eq!(
        cvs[3],
        serde_json::json!({"repository": "/cvsroot", "reason": "xavier: no such user"})
    );
    let routing = details("routing-keys.pcap");
    assert!(
        routing.contains(&serde_json::json!({"command": "response"})),
        "{routing:?}"
    );
    assert!(
        routing.contains(&serde_json::json!({
            "version": "1",
            "group": "1",
            "virtual_ip": "10.38.1.1",
            "note": "Cisco's default key"
        })),
        "{routing:?}"
    );
    assert!(
        routing.contains(&serde_json::json!({"version": "2", "group": "20"})),
        "{routing:?}"
    );
    let x = details("x11-cookie.pcap");
    assert_eq!(x[0], serde_json::json!({"version": "11.0"}));
    assert_eq!(
        x[1],
        serde_json::json!({"version": "11.0", "reason": "Invalid MIT-MAGIC-COOKIE-1 key"})
    );
}
