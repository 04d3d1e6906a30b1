//! Fixtures of protocols carried directly over IP, without ports: OSPFv2, VRRPv2 and
//! PPTP's GRE (with a RIPv2 router signing with keyed MD5 among them), and L2TP's tunnels
//! (UDP 1701) with the PPP logins they carry. Generated here,
//! their findings held to what the RFCs' own examples give, and their packets to
//! tshark's reading of them when tshark is installed.

use std::net::IpAddr;

use md5::{Digest, Md5};
use plainsight::dissect::bfd::build::{self as bfd, Signing as BfdSigning};
use plainsight::dissect::eigrp::build as eigrp;
use plainsight::dissect::l2tp::build::{avp, control as l2tp_control, data as l2tp_data};
use plainsight::dissect::l2tp::{
    AVP_ASSIGNED_SESSION_ID, AVP_CHALLENGE, AVP_CHALLENGE_RESPONSE, AVP_HOST_NAME, ICRP, ICRQ,
    SCCCN, SCCRP, SCCRQ,
};
use plainsight::dissect::ospf::build::{self as ospf, Signing};
use plainsight::dissect::ppp::build::{chap_data, control, gre, lcp_auth, pap_data};
use plainsight::dissect::ppp::{CHAP, PAP};
use plainsight::dissect::rip::build as rip;
use plainsight::dissect::vrrp::build as vrrp;
use plainsight::synth::{SynthPacket, ip_packet, udp_packet};
use plainsight::timestamp::Timestamp;

use crate::fixtures::{Fixture, assert_expected, assert_generated};
use crate::support::{Expect, find_program, fixture, leak, scan, tshark_fields, unhex};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn at(secs: i64, bytes: Vec<u8>) -> SynthPacket {
    SynthPacket {
        ts: Timestamp::new(1_700_390_000 + secs, 0),
        ip: bytes,
    }
}

fn pcap(mut packets: Vec<SynthPacket>) -> Vec<u8> {
    packets.sort_by_key(|p| p.ts);
    plainsight::synth::ethernet_pcap(&packets)
}

/// Routers of one segment, three rounds ten seconds apart: an OSPF router with a simple
/// password, one signing with keyed MD5 (key ID 1, its sequence number rising), one
/// without authentication; a VRRPv2 master with a simple text password and a VRRPv3 one
/// (no authentication); a RIPv2 router signing with keyed MD5; an ICMP echo.
fn routing_auth() -> Vec<u8> {
    let mut packets = Vec::new();
    let allspf = ip("224.0.0.5");
    for round in 0..3i64 {
        let t = round * 10;
        let hello = |router: [u8; 4], signing| ospf::hello(router, [0, 0, 0, 0], signing);
        packets.push(at(
            t,
            ip_packet(
                ip("10.39.0.1"),
                allspf,
                89,
                1,
                &hello([10, 39, 0, 1], Signing::Simple(b"OspfPw")),
            ),
        ));
        packets.push(at(
            t + 1,
            ip_packet(
                ip("10.39.0.2"),
                allspf,
                89,
                1,
                &hello(
                    [10, 39, 0, 2],
                    Signing::Md5(1, 1000 + round as u32, b"ospf-md5-key"),
                ),
            ),
        ));
        packets.push(at(
            t + 2,
            ip_packet(
                ip("10.39.0.3"),
                allspf,
                89,
                1,
                &hello([10, 39, 0, 3], Signing::None),
            ),
        ));
        packets.push(at(
            t + 3,
            ip_packet(
                ip("10.39.1.2"),
                ip("224.0.0.18"),
                112,
                255,
                &vrrp::advertisement(7, 200, &[[10, 39, 1, 254]], Some(b"vrrpPW")),
            ),
        ));
        let mut v3 = vrrp::advertisement(8, 100, &[[10, 39, 1, 253]], None);
        v3[0] = 0x31;
        packets.push(at(
            t + 4,
            ip_packet(ip("10.39.1.3"), ip("224.0.0.18"), 112, 255, &v3),
        ));
        packets.push(at(
            t + 5,
            udp_packet(
                "10.39.2.1:520".parse().unwrap(),
                "224.0.0.9:520".parse().unwrap(),
                &rip::keyed_response(2, 500 + round as u32, b"rip-md5", &[([10, 39, 9, 0], 1)]),
            ),
        ));
    }
    packets.push(at(
        40,
        ip_packet(
            ip("10.39.3.1"),
            ip("10.39.3.2"),
            1,
            64,
            &[8, 0, 0xf7, 0xff, 0, 0, 0, 0],
        ),
    ));
    pcap(packets)
}

fn routing_auth_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "ospf",
        mechanism: "simple password",
        kind: "cleartext",
        client: "10.39.0.1:0",
        server: "224.0.0.5:0",
        secret: "OspfPw",
        outcome: "unknown",
        frame: Some(1),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            mechanism: "keyed MD5",
            kind: "challenge-response",
            client: "10.39.0.2:0",
            secret: "1661dc6d5c9a0c5473e0679e54c28f75",
            frame: Some(2),
            challenge: Some(
                "0201002c0a270002000000000000000200000110000003e8ffffff00000a0201000000280000000000000000",
            ),
            ..e.clone()
        },
        Expect {
            protocol: "vrrp",
            mechanism: "simple text password",
            client: "10.39.1.2:0",
            server: "224.0.0.18:0",
            secret: "vrrpPW",
            frame: Some(4),
            ..e.clone()
        },
        Expect {
            protocol: "rip",
            mechanism: "keyed MD5",
            kind: "challenge-response",
            client: "10.39.2.1:520",
            server: "224.0.0.9:520",
            secret: "2dceb2cf5270f119e73f9e9b3824da9c",
            frame: Some(6),
            ..e
        },
    ]
}

// EIGRP and BFD keys of the eigrp-bfd-auth.pcap fixture.
const EIGRP_MD5_KEY: &[u8] = b"eigrp-md5";
const EIGRP_SHA_KEY: &[u8] = b"eigrp-sha256";
const BFD_MD5_KEY: &[u8] = b"bfd-md5-key";
const BFD_SHA1_KEY: &[u8] = b"bfd-sha1-key";

/// An EIGRP packet signed with HMAC-SHA-256 as Cisco signs it (keyed with a newline, the
/// password and the sender's address in text), from `sender`.
fn eigrp_sha256(opcode: u8, tlvs: &[u8], key_id: u32, key: &[u8], sender: IpAddr) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let (mut v, at) = eigrp::unsigned(opcode, 0, 0, 200, tlvs, true, key_id);
    let mut k = vec![b'\n'];
    k.extend(key);
    k.extend(sender.to_string().as_bytes());
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(&k).expect("any key length");
    m.update(&v);
    v[at..at + 32].copy_from_slice(&m.finalize().into_bytes());
    eigrp::checksum(&mut v);
    v
}

/// EIGRP routers and BFD sessions, two rounds five seconds apart: an EIGRP router whose
/// hellos are signed with MD5 (key ID 1) and its update to a neighbour with two internal
/// routes, an INIT update (signed without the key: nothing), a router signing with
/// HMAC-SHA-256 (key ID 2), one without authentication; BFD sessions with a simple
/// password (UDP 3784), keyed MD5 (3784) and meticulous keyed SHA-1 (multihop, 4784), and
/// one without authentication.
fn eigrp_bfd_auth() -> Vec<u8> {
    let mut packets = Vec::new();
    let group = ip("224.0.0.10");
    let hello = eigrp::hello_tlvs();
    let route: Vec<u8> = [0x01u8, 0x02, 0x00, 0x1c]
        .into_iter()
        .chain([
            0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0x64, 0, 0, 0, 0, 0, 0x05, 0xdc, 0xff, 1, 0, 0, 24, 10,
        ])
        .collect();
    let routes = [route.clone(), route].concat();
    for round in 0..2i64 {
        let t = round * 5;
        let md5_hello = eigrp::md5(5, 0, 0, 100, &hello, 1, EIGRP_MD5_KEY);
        packets.push(at(t, ip_packet(ip("10.39.4.1"), group, 88, 2, &md5_hello)));
        let sha = eigrp_sha256(5, &hello, 2, EIGRP_SHA_KEY, ip("10.39.4.3"));
        packets.push(at(t + 1, ip_packet(ip("10.39.4.3"), group, 88, 2, &sha)));
        let (mut plain, _) = eigrp::unsigned(5, 0, 0, 100, &[], false, 0);
        plain.truncate(20);
        plain.extend(&hello);
        eigrp::checksum(&mut plain);
        packets.push(at(t + 2, ip_packet(ip("10.39.4.4"), group, 88, 2, &plain)));
        let mine = 0x1000 + round as u32;
        for (src, dst, signing) in [
            (
                "10.39.5.1:49152",
                "10.39.5.2:3784",
                BfdSigning::Simple(1, b"bfd-simple"),
            ),
            (
                "10.39.5.3:49153",
                "10.39.5.4:3784",
                BfdSigning::Digest(2, 5, 77 + round as u32, BFD_MD5_KEY),
            ),
            (
                "10.39.5.5:49154",
                "10.39.6.6:4784",
                BfdSigning::Digest(5, 9, 900 + round as u32, BFD_SHA1_KEY),
            ),
        ] {
            let p = bfd::control(mine, 0x2000, signing);
            packets.push(at(
                t + 3,
                udp_packet(src.parse().unwrap(), dst.parse().unwrap(), &p),
            ));
        }
        let mut open = bfd::control(mine, 0x2000, BfdSigning::Simple(1, b"x"));
        open[1] &= !0x04;
        open.truncate(24);
        open[3] = 24;
        packets.push(at(
            t + 4,
            udp_packet(
                "10.39.5.7:49155".parse().unwrap(),
                "10.39.5.8:3784".parse().unwrap(),
                &open,
            ),
        ));
    }
    let init = eigrp::md5(1, 1, 1, 100, &[], 1, EIGRP_MD5_KEY);
    packets.push(at(
        11,
        ip_packet(ip("10.39.4.1"), ip("10.39.4.2"), 88, 2, &init),
    ));
    let update = eigrp::md5(1, 0, 2, 100, &routes, 1, EIGRP_MD5_KEY);
    packets.push(at(
        12,
        ip_packet(ip("10.39.4.1"), ip("10.39.4.2"), 88, 2, &update),
    ));
    pcap(packets)
}

fn eigrp_bfd_auth_expected() -> Vec<Expect> {
    let e = Expect {
        protocol: "eigrp",
        mechanism: "keyed MD5",
        kind: "challenge-response",
        client: "10.39.4.1:0",
        server: "224.0.0.10:0",
        secret: "676084c8dab7bc7d2857d92eb37e817a",
        outcome: "unknown",
        frame: Some(1),
        ..Expect::default()
    };
    vec![
        e.clone(),
        Expect {
            mechanism: "HMAC-SHA-256",
            client: "10.39.4.3:0",
            secret: "e8acd2d3e045cdab2363224f894da949ff2166ad7fef1d351b9791719fafeb41",
            frame: Some(2),
            ..e.clone()
        },
        Expect {
            server: "10.39.4.2:0",
            secret: "39e0bad76fd4ee67c312e48800c5c949",
            frame: Some(16),
            ..e.clone()
        },
        Expect {
            protocol: "bfd",
            mechanism: "simple password",
            kind: "cleartext",
            client: "10.39.5.1:49152",
            server: "10.39.5.2:3784",
            secret: "bfd-simple",
            frame: Some(4),
            ..e.clone()
        },
        Expect {
            protocol: "bfd",
            client: "10.39.5.3:49153",
            server: "10.39.5.4:3784",
            secret: "2b1d88aa058cc96f7bf3edcdaea3411e",
            frame: Some(5),
            ..e.clone()
        },
        Expect {
            protocol: "bfd",
            mechanism: "meticulous keyed SHA-1",
            client: "10.39.5.5:49154",
            server: "10.39.6.6:4784",
            secret: "d27fe428e3f8cb15f8afc4cd63f27979892c3269",
            frame: Some(6),
            ..e
        },
    ]
}

/// RFC 2759 section 9.2: user "User", password "clientPass".
const MSCHAPV2_AUTH_CHALLENGE: &str = "5b5d7c7d7b3f2f3e3c2c602132262628";
const MSCHAPV2_PEER_CHALLENGE: &str = "21402324255e262a28295f2b3a337c7e";
const MSCHAPV2_NT_RESPONSE: &str = "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df";

/// Three PPTP tunnels' GRE packets (the control connections on TCP 1723 left out):
/// MS-CHAPv2 with RFC 2759's example, accepted (the client's LCP first); PAP refused
/// then accepted on a tunnel whose server speaks first; CHAP-MD5 with hashcat's example
/// for mode 4800 (password "hashcat"), accepted. And an IP-in-GRE (version 0) packet,
/// which the decoder opens as a tunnel.
fn pptp_logins() -> Vec<u8> {
    let mut packets = Vec::new();
    let mut seq = 0u32;
    let mut send = |t: i64, src: &str, dst: &str, call: u16, ppp: Vec<u8>| {
        seq += 1;
        packets.push(at(
            t,
            ip_packet(ip(src), ip(dst), 47, 64, &gre(call, seq, &ppp)),
        ));
    };
    let (srv, a, b, c) = ("10.40.0.1", "10.40.0.10", "10.40.0.20", "10.40.0.30");
    // Tunnel A: MS-CHAPv2.
    let mut value = unhex(MSCHAPV2_PEER_CHALLENGE);
    value.extend([0; 8]);
    value.extend(unhex(MSCHAPV2_NT_RESPONSE));
    value.push(0);
    send(
        100,
        a,
        srv,
        0x4001,
        lcp_auth(1, None)
            .into_iter()
            .take(8)
            .chain([1, 4, 5, 0xdc])
            .collect(),
    );
    send(101, srv, a, 0x8001, lcp_auth(1, Some(0x81)));
    send(
        102,
        srv,
        a,
        0x8001,
        control(
            CHAP,
            1,
            0x21,
            &chap_data(&unhex(MSCHAPV2_AUTH_CHALLENGE), b"pptp-gw"),
        ),
    );
    send(
        103,
        a,
        srv,
        0x4001,
        control(CHAP, 2, 0x21, &chap_data(&value, b"User")),
    );
    send(
        104,
        srv,
        a,
        0x8001,
        control(
            CHAP,
            3,
            0x21,
            b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Welcome",
        ),
    );
    // Tunnel B: PAP, refused then accepted; the server's packets first.
    send(200, srv, b, 0x8002, lcp_auth(1, None));
    send(
        201,
        b,
        srv,
        0x4002,
        control(PAP, 1, 1, &pap_data(b"alice", b"Wrong-Pap")),
    );
    send(202, srv, b, 0x8002, control(PAP, 3, 1, b"\x0cBad password"));
    send(
        203,
        b,
        srv,
        0x4002,
        control(PAP, 1, 2, &pap_data(b"alice", b"Pap-Secret1")),
    );
    send(204, srv, b, 0x8002, control(PAP, 2, 2, b"\x00"));
    // Tunnel C: CHAP-MD5.
    send(300, srv, c, 0x8003, lcp_auth(1, Some(5)));
    send(
        301,
        srv,
        c,
        0x8003,
        control(
            CHAP,
            1,
            1,
            &chap_data(&unhex("01020304050607080910111213141516"), b"pptp-gw"),
        ),
    );
    send(
        302,
        c,
        srv,
        0x4003,
        control(
            CHAP,
            2,
            1,
            &chap_data(&unhex("afd09efdd6f8ca9f18ec77c5869788c3"), b"bob"),
        ),
    );
    send(303, srv, c, 0x8003, control(CHAP, 3, 1, b"Welcome"));
    // IP in GRE (version 0): a DNS query inside.
    let inner = udp_packet(
        "10.41.0.2:40000".parse().unwrap(),
        "10.41.0.1:53".parse().unwrap(),
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01",
    );
    let mut g = vec![0, 0, 0x08, 0];
    g.extend(inner);
    packets.push(at(
        400,
        ip_packet(ip("10.40.9.1"), ip("10.40.9.2"), 47, 64, &g),
    ));
    pcap(packets)
}

/// L2TP's tunnel secret in the fixture.
const L2TP_SECRET: &[u8] = b"tunnel-Secret9";

/// `MD5(message type + secret + challenge)`: an L2TP Challenge Response.
fn l2tp_answer(kind: u16, challenge: &[u8]) -> Vec<u8> {
    Md5::new()
        .chain_update([kind as u8])
        .chain_update(L2TP_SECRET)
        .chain_update(challenge)
        .finalize()
        .to_vec()
}

/// An L2TP tunnel between a LAC (10.50.0.2) and an LNS (10.50.0.1), both on port 1701,
/// as xl2tpd sets it up with `challenge = yes` on both sides: each answers the other's
/// challenge. Two incoming calls then carry subscribers' PPP logins: CHAP-MD5 with
/// hashcat's mode 4800 example (accepted) on the first, PAP refused on the second, the
/// two sessions' frames interleaved.
fn l2tp_ppp() -> Vec<u8> {
    let (lns, lac) = ("10.50.0.1:1701", "10.50.0.2:1701");
    let mut packets = Vec::new();
    let mut send = |t: i64, from: &str, to: &str, bytes: Vec<u8>| {
        packets.push(at(
            t,
            udp_packet(from.parse().unwrap(), to.parse().unwrap(), &bytes),
        ));
    };
    let lac_challenge = unhex("5be1d2a3c4e5f60718293a4b5c6d7e8f");
    let lns_challenge = unhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    send(
        500,
        lac,
        lns,
        l2tp_control(
            0,
            0,
            0,
            0,
            SCCRQ,
            &[
                avp(2, &[1, 0]),
                avp(AVP_HOST_NAME, b"lac-pop1"),
                avp(9, &[0xa0, 0x01]),
                avp(AVP_CHALLENGE, &lac_challenge),
            ],
        ),
    );
    send(
        501,
        lns,
        lac,
        l2tp_control(
            0xa001,
            0,
            0,
            1,
            SCCRP,
            &[
                avp(2, &[1, 0]),
                avp(AVP_HOST_NAME, b"lns-core"),
                avp(9, &[0xb0, 0x02]),
                avp(AVP_CHALLENGE, &lns_challenge),
                avp(AVP_CHALLENGE_RESPONSE, &l2tp_answer(SCCRP, &lac_challenge)),
            ],
        ),
    );
    send(
        502,
        lac,
        lns,
        l2tp_control(
            0xb002,
            0,
            1,
            1,
            SCCCN,
            &[avp(
                AVP_CHALLENGE_RESPONSE,
                &l2tp_answer(SCCCN, &lns_challenge),
            )],
        ),
    );
    // Two calls: the LAC's session IDs 0x0101 and 0x0102, the LNS's 0x0201 and 0x0202.
    for (i, (mine, theirs)) in [(0x0101u16, 0x0201u16), (0x0102, 0x0202)]
        .into_iter()
        .enumerate()
    {
        let t = 503 + 2 * i as i64;
        let n = 2 + i as u16;
        send(
            t,
            lac,
            lns,
            l2tp_control(
                0xb002,
                0,
                n,
                1 + i as u16,
                ICRQ,
                &[avp(AVP_ASSIGNED_SESSION_ID, &mine.to_be_bytes())],
            ),
        );
        send(
            t + 1,
            lns,
            lac,
            l2tp_control(
                0xa001,
                mine,
                1 + i as u16,
                n + 1,
                ICRP,
                &[avp(AVP_ASSIGNED_SESSION_ID, &theirs.to_be_bytes())],
            ),
        );
    }
    // Frames to the LNS carry its session IDs, frames to the LAC the LAC's.
    send(
        510,
        lns,
        lac,
        l2tp_data(0xa001, 0x0101, &lcp_auth(1, Some(5))),
    );
    send(
        511,
        lns,
        lac,
        l2tp_data(
            0xa001,
            0x0101,
            &control(
                CHAP,
                1,
                1,
                &chap_data(&unhex("01020304050607080910111213141516"), b"lns-core"),
            ),
        ),
    );
    send(512, lns, lac, l2tp_data(0xa001, 0x0102, &lcp_auth(1, None)));
    send(
        513,
        lac,
        lns,
        l2tp_data(
            0xb002,
            0x0202,
            &control(PAP, 1, 1, &pap_data(b"dsl-user2", b"Not-Her-Pw")),
        ),
    );
    send(
        514,
        lac,
        lns,
        l2tp_data(
            0xb002,
            0x0201,
            &control(
                CHAP,
                2,
                1,
                &chap_data(&unhex("afd09efdd6f8ca9f18ec77c5869788c3"), b"dsl-user1"),
            ),
        ),
    );
    send(
        515,
        lns,
        lac,
        l2tp_data(0xa001, 0x0102, &control(PAP, 3, 1, b"\x0bAuth failed")),
    );
    send(
        516,
        lns,
        lac,
        l2tp_data(0xa001, 0x0101, &control(CHAP, 3, 1, b"Welcome")),
    );
    pcap(packets)
}

fn l2tp_ppp_expected() -> Vec<Expect> {
    let tunnel = |user, secret, challenge, frame, hashcat, client, server| Expect {
        protocol: "l2tp",
        mechanism: "tunnel authentication",
        kind: "challenge-response",
        client,
        server,
        username: Some(user),
        secret,
        outcome: "success",
        frame: Some(frame),
        challenge: Some(challenge),
        hashcat: Some((4800, hashcat)),
        ..Expect::default()
    };
    let (lns, lac) = ("10.50.0.1:1701", "10.50.0.2:1701");
    vec![
        tunnel(
            "lns-core",
            leak(crate::support::hex(&l2tp_answer(
                SCCRP,
                &unhex("5be1d2a3c4e5f60718293a4b5c6d7e8f"),
            ))),
            "5be1d2a3c4e5f60718293a4b5c6d7e8f",
            2,
            leak(format!(
                "{}:5be1d2a3c4e5f60718293a4b5c6d7e8f:02",
                crate::support::hex(&l2tp_answer(
                    SCCRP,
                    &unhex("5be1d2a3c4e5f60718293a4b5c6d7e8f")
                ))
            )),
            lns,
            lac,
        ),
        tunnel(
            "lac-pop1",
            leak(crate::support::hex(&l2tp_answer(
                SCCCN,
                &unhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
            ))),
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            3,
            leak(format!(
                "{}:0f1e2d3c4b5a69788796a5b4c3d2e1f0:03",
                crate::support::hex(&l2tp_answer(
                    SCCCN,
                    &unhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
                ))
            )),
            lac,
            lns,
        ),
        Expect {
            protocol: "l2tp",
            mechanism: "PAP",
            kind: "cleartext",
            client: lac,
            server: lns,
            username: Some("dsl-user2"),
            secret: "Not-Her-Pw",
            outcome: "failure",
            frame: Some(11),
            ..Expect::default()
        },
        Expect {
            protocol: "l2tp",
            mechanism: "CHAP",
            kind: "challenge-response",
            client: lac,
            server: lns,
            username: Some("dsl-user1"),
            secret: "01afd09efdd6f8ca9f18ec77c5869788c3",
            outcome: "success",
            frame: Some(12),
            challenge: Some("01020304050607080910111213141516"),
            hashcat: Some((
                4800,
                "afd09efdd6f8ca9f18ec77c5869788c3:01020304050607080910111213141516:01",
            )),
            ..Expect::default()
        },
    ]
}

fn pptp_logins_expected() -> Vec<Expect> {
    vec![
        Expect {
            protocol: "pptp",
            mechanism: "MS-CHAPv2",
            kind: "challenge-response",
            client: "10.40.0.10:0",
            server: "10.40.0.1:0",
            username: Some("User"),
            secret: MSCHAPV2_NT_RESPONSE,
            outcome: "success",
            frame: Some(4),
            challenge: Some(MSCHAPV2_AUTH_CHALLENGE),
            hashcat: Some((
                5500,
                "User::::82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df:d02e4386bce91226",
            )),
            ..Expect::default()
        },
        Expect {
            protocol: "pptp",
            mechanism: "PAP",
            kind: "cleartext",
            client: "10.40.0.20:0",
            server: "10.40.0.1:0",
            username: Some("alice"),
            secret: "Wrong-Pap",
            outcome: "failure",
            frame: Some(7),
            ..Expect::default()
        },
        Expect {
            protocol: "pptp",
            mechanism: "PAP",
            kind: "cleartext",
            client: "10.40.0.20:0",
            server: "10.40.0.1:0",
            username: Some("alice"),
            secret: "Pap-Secret1",
            outcome: "success",
            frame: Some(9),
            ..Expect::default()
        },
        Expect {
            protocol: "pptp",
            mechanism: "CHAP",
            kind: "challenge-response",
            client: "10.40.0.30:0",
            server: "10.40.0.1:0",
            username: Some("bob"),
            secret: "01afd09efdd6f8ca9f18ec77c5869788c3",
            outcome: "success",
            frame: Some(13),
            challenge: Some("01020304050607080910111213141516"),
            hashcat: Some((
                4800,
                "afd09efdd6f8ca9f18ec77c5869788c3:01020304050607080910111213141516:01",
            )),
            ..Expect::default()
        },
    ]
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "routing-auth.pcap",
        bytes: routing_auth,
        expected: routing_auth_expected,
        exit: 1,
    },
    Fixture {
        name: "eigrp-bfd-auth.pcap",
        bytes: eigrp_bfd_auth,
        expected: eigrp_bfd_auth_expected,
        exit: 1,
    },
    Fixture {
        name: "pptp-logins.pcap",
        bytes: pptp_logins,
        expected: pptp_logins_expected,
        exit: 1,
    },
    Fixture {
        name: "l2tp-ppp.pcap",
        bytes: l2tp_ppp,
        expected: l2tp_ppp_expected,
        exit: 1,
    },
];

#[test]
fn routing_fixtures_are_what_the_generator_makes() {
    assert_generated(FIXTURES);
}

#[test]
fn routing_fixtures_give_exactly_their_findings() {
    assert_expected(FIXTURES);
}

/// The signed messages' John the Ripper lines, and the keys they crack to.
#[test]
fn routing_digests_carry_johns_lines() {
    let (findings, _, _) = scan(&[&fixture("routing-auth.pcap")]);
    let johns: Vec<(&str, &str)> = findings
        .iter()
        .filter_map(|f| Some((f["john"]["format"].as_str()?, f["john"]["hash"].as_str()?)))
        .collect();
    assert_eq!(johns.len(), 2, "{findings:#?}");
    for ((format, hash), key) in johns.iter().zip([&b"ospf-md5-key"[..], b"rip-md5"]) {
        assert_eq!(*format, "net-md5");
        let parts: Vec<&str> = hash.split('$').collect();
        let (signed, digest) = (unhex(parts[2]), parts[3]);
        let mine = plainsight::dissect::keyed::build::keyed_md5(key, &signed);
        assert_eq!(crate::support::hex(&mine), digest);
    }
}

/// The EIGRP and BFD digests' John the Ripper lines give their digests under the keys the
/// generator signed with (computed here as John computes each format), and no other.
#[test]
fn eigrp_and_bfd_digests_carry_johns_lines() {
    use hmac::{Hmac, KeyInit, Mac};
    let accepts = |line: &str, key: &[u8]| -> bool {
        let f: Vec<&str> = line.split('$').collect();
        let padded = |n: usize| {
            let mut k = key.to_vec();
            if k.len() < n {
                k.resize(n, 0);
            }
            k
        };
        match f.as_slice() {
            ["", "eigrp", "2", salt, flag, extra, digest] => {
                let mut m = unhex(salt);
                m.extend(padded(16));
                if *flag == "1" {
                    m.extend(unhex(extra));
                }
                crate::support::hex(&Md5::digest(&m)) == *digest
            }
            ["", "eigrp", "3", salt, "0", "x", "1", ip, digest] => {
                let mut k = vec![b'\n'];
                k.extend(key);
                k.extend(ip.as_bytes());
                let mut m = Hmac::<sha2::Sha256>::new_from_slice(&k).unwrap();
                m.update(&unhex(salt));
                crate::support::hex(&m.finalize().into_bytes()) == *digest
            }
            ["", "netmd5", signed, digest] => {
                let mut m = unhex(signed);
                m.extend(padded(16));
                crate::support::hex(&Md5::digest(&m)) == *digest
            }
            ["", "netsha1", signed, digest] => {
                let mut m = unhex(signed);
                m.extend(padded(20));
                crate::support::hex(&sha1::Sha1::digest(&m)) == *digest
            }
            _ => false,
        }
    };
    let (findings, _, _) = scan(&[&fixture("eigrp-bfd-auth.pcap")]);
    let mut checked = 0;
    for f in &findings {
        let Some(line) = f["john"]["hash"].as_str() else {
            continue;
        };
        let key = match (f["protocol"].as_str(), f["mechanism"].as_str()) {
            (Some("eigrp"), Some("keyed MD5")) => EIGRP_MD5_KEY,
            (Some("eigrp"), _) => EIGRP_SHA_KEY,
            (Some("bfd"), Some("keyed MD5")) => BFD_MD5_KEY,
            _ => BFD_SHA1_KEY,
        };
        assert!(accepts(line, key), "{f}");
        assert!(!accepts(line, b"not-the-key"), "{f}");
        checked += 1;
    }
    assert_eq!(checked, 5, "{findings:#?}");
}

/// tshark reads the generated packets as the protocols they claim to be: OSPF with its
/// authentication, VRRP's password, PPTP's PAP, CHAP and MS-CHAPv2 (the generator is
/// checked by an independent dissector, not by plainsight).
#[test]
fn tshark_reads_the_routing_and_pptp_fixtures_alike() {
    let Some(tshark) = find_program("tshark") else {
        eprintln!("tshark_reads_the_routing_and_pptp_fixtures_alike: SKIPPED: no tshark");
        return;
    };
    let fields = |file: &str, filter: &str, fields: &[&str]| {
        tshark_fields(&tshark, &fixture(file), filter, fields)
    };
    let ospf = fields(
        "routing-auth.pcap",
        "ospf",
        &[
            "ospf.auth.type",
            "ospf.auth.simple",
            "ospf.auth.crypt.key_id",
        ],
    );
    assert_eq!(ospf.len(), 9, "{ospf:?}");
    assert!(ospf.iter().any(|l| l.starts_with("1\tOspfPw")), "{ospf:?}");
    assert!(ospf.iter().any(|l| l.starts_with("2\t\t1")), "{ospf:?}");
    let eigrp = fields(
        "eigrp-bfd-auth.pcap",
        "eigrp",
        &["eigrp.opcode", "eigrp.auth.type", "eigrp.auth.keyid"],
    );
    assert_eq!(eigrp.len(), 8, "{eigrp:?}");
    assert_eq!(
        eigrp.iter().filter(|l| *l == "5\t2\t1").count(),
        2,
        "{eigrp:?}"
    );
    assert_eq!(
        eigrp.iter().filter(|l| *l == "5\t3\t2").count(),
        2,
        "{eigrp:?}"
    );
    assert!(eigrp.contains(&"1\t2\t1".to_string()), "{eigrp:?}");
    let bfd = fields(
        "eigrp-bfd-auth.pcap",
        "bfd.auth.type",
        &["bfd.auth.type", "bfd.auth.key", "bfd.auth.password"],
    );
    assert_eq!(
        bfd,
        ["1\t1\tbfd-simple", "2\t5\t", "5\t9\t"].repeat(2),
        "{bfd:?}"
    );
    let vrrp = fields(
        "routing-auth.pcap",
        "vrrp.auth_type == 1",
        &["vrrp.auth_string"],
    );
    assert_eq!(vrrp, ["vrrpPW"; 3]);
    let pap = fields(
        "pptp-logins.pcap",
        "pap.code == 1",
        &["pap.peer_id", "pap.password"],
    );
    assert_eq!(pap, ["alice\tWrong-Pap", "alice\tPap-Secret1"]);
    let chap = fields(
        "pptp-logins.pcap",
        "chap.code == 2",
        &["chap.name", "chap.value_size"],
    );
    assert_eq!(chap, ["User\t49", "bob\t16"]);
    let dns = fields("pptp-logins.pcap", "dns", &["ip.src"]);
    assert_eq!(dns, ["10.40.9.1,10.41.0.2"]);
    // L2TP: the tunnel's messages, its challenges and answers, and the PPP inside.
    let l2tp = fields(
        "l2tp-ppp.pcap",
        "l2tp.type == 1 && l2tp.avp.type == 13",
        &["l2tp.avp.message_type", "l2tp.avp.chap_challenge_response"],
    );
    assert_eq!(l2tp.len(), 2, "{l2tp:?}");
    assert!(
        l2tp[0].starts_with("2\t") && l2tp[1].starts_with("3\t"),
        "{l2tp:?}"
    );
    let pap = fields(
        "l2tp-ppp.pcap",
        "pap.code == 1",
        &["pap.peer_id", "pap.password"],
    );
    assert_eq!(pap, ["dsl-user2\tNot-Her-Pw"]);
    let chap = fields(
        "l2tp-ppp.pcap",
        "chap.code == 2",
        &["chap.name", "chap.value"],
    );
    assert_eq!(chap, ["dsl-user1\tafd09efdd6f8ca9f18ec77c5869788c3"]);
}
